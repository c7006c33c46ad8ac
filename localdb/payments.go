package localdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cashier/app"
)

// PaymentStore is the SQLite app.PaymentStore: payment intents, refunds,
// deposits and deposit operations on the tables of 0001_schema.sql. Every
// write is one immediate transaction on the writer connection, committed
// with synchronous=FULL before the method returns — so an intent is
// durable before the first network call, and an intent's final state and
// its order's status change together.
type PaymentStore struct{ db *DB }

// NewPaymentStore wraps db.
func NewPaymentStore(db *DB) *PaymentStore { return &PaymentStore{db: db} }

var _ app.PaymentStore = (*PaymentStore)(nil)

// ErrDepositOpSettled is returned when a deposit operation is already final.
var ErrDepositOpSettled = errors.New("押金操作已结束 / deposit operation already settled")

const settledIntent = `('paid','failed','reversed','closed')`

const intentCols = `i.id, i.out_trade_no, COALESCE(i.order_id,0), COALESCE(o.order_no,''), i.kind, i.channel, i.wallet,
	i.auth_code_masked, i.auth_code_hash, i.amount, i.state, i.transaction_id, i.channel_code, i.channel_msg,
	i.attempts, COALESCE(i.staff_id,0), i.created_at, i.sent_at, i.updated_at, i.finished_at`

const intentFrom = ` FROM payment_intent i LEFT JOIN orders o ON o.id = i.order_id `

func scanIntent(sc interface{ Scan(...any) error }) (app.PaymentIntent, error) {
	var in app.PaymentIntent
	var kind, ch, wallet, state string
	var amount, created, updated int64
	var sent, finished sql.NullInt64
	err := sc.Scan(&in.ID, &in.OutTradeNo, &in.OrderID, &in.OrderNo, &kind, &ch, &wallet,
		&in.CodeMasked, &in.CodeHash, &amount, &state, &in.TransactionID, &in.ChannelCode, &in.ChannelMsg,
		&in.Attempts, &in.StaffID, &created, &sent, &updated, &finished)
	if err != nil {
		return in, err
	}
	in.Kind, in.Channel, in.Wallet, in.State = app.IntentKind(kind), app.ChannelName(ch), app.Wallet(wallet), app.IntentState(state)
	in.Amount = app.Money(amount)
	in.CreatedAt, in.UpdatedAt = time.UnixMilli(created), time.UnixMilli(updated)
	in.SentAt, in.FinishedAt = fromMS(sent), fromMS(finished)
	return in, nil
}

// CreateIntent implements app.PaymentStore.
func (s *PaymentStore) CreateIntent(ctx context.Context, o *app.Order, in *app.PaymentIntent, dupSince time.Time) error {
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		if in.CodeHash != "" {
			var prev string
			var state string
			var at int64
			err := tx.QueryRowContext(ctx, `SELECT out_trade_no, state, created_at FROM payment_intent
				WHERE auth_code_hash=? AND created_at>=? AND state!='failed' ORDER BY id DESC LIMIT 1`,
				in.CodeHash, dupSince.UnixMilli()).Scan(&prev, &state, &at)
			switch {
			case err == nil:
				return &app.DuplicateScanError{OutTradeNo: prev, State: app.IntentState(state), At: time.UnixMilli(at)}
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		if err := InsertOrder(ctx, tx, o); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO payment_intent(out_trade_no, order_id, kind, channel, wallet,
			auth_code_masked, auth_code_hash, amount, state, transaction_id, channel_code, channel_msg, attempts,
			staff_id, created_at, sent_at, updated_at, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			in.OutTradeNo, o.ID, string(in.Kind), string(in.Channel), string(in.Wallet), in.CodeMasked, in.CodeHash,
			int64(in.Amount), string(in.State), in.TransactionID, in.ChannelCode, in.ChannelMsg, in.Attempts,
			nullID(in.StaffID), ms(in.CreatedAt), nullMS(in.SentAt), ms(in.UpdatedAt), nullMS(in.FinishedAt))
		if err != nil {
			return err
		}
		in.ID, err = res.LastInsertId()
		in.OrderID, in.OrderNo = o.ID, o.OrderNo
		return err
	})
}

func updateIntent(ctx context.Context, tx *sql.Tx, in *app.PaymentIntent) error {
	res, err := tx.ExecContext(ctx, `UPDATE payment_intent SET state=?, transaction_id=?, channel_code=?, channel_msg=?,
		attempts=?, sent_at=?, updated_at=?, finished_at=? WHERE id=? AND state NOT IN `+settledIntent,
		string(in.State), in.TransactionID, in.ChannelCode, in.ChannelMsg, in.Attempts, nullMS(in.SentAt),
		ms(in.UpdatedAt), nullMS(in.FinishedAt), in.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("%s: %w", in.OutTradeNo, app.ErrIntentSettled)
	}
	return nil
}

// SaveIntent implements app.PaymentStore.
func (s *PaymentStore) SaveIntent(ctx context.Context, in *app.PaymentIntent) error {
	if in.State.Settled() {
		return fmt.Errorf("SaveIntent %s: state %s is final, use FinishIntent", in.OutTradeNo, in.State)
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error { return updateIntent(ctx, tx, in) })
}

// FinishIntent implements app.PaymentStore.
func (s *PaymentStore) FinishIntent(ctx context.Context, in *app.PaymentIntent) error {
	if !in.State.Final() {
		return fmt.Errorf("FinishIntent %s: state %s is not final", in.OutTradeNo, in.State)
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		if err := updateIntent(ctx, tx, in); err != nil {
			return err
		}
		if in.OrderID == 0 {
			return nil
		}
		switch in.State {
		case app.IntentPaid:
			if err := SetOrderStatus(ctx, tx, in.OrderID, app.OrderPaid, in.Amount, in.FinishedAt); err != nil {
				return err
			}
			if in.Kind == app.IntentKindDeposit {
				_, err := tx.ExecContext(ctx, `INSERT INTO deposit(deposit_no, order_id, intent_id, amount, state, created_at)
					SELECT order_no, id, ?, ?, 'frozen', ? FROM orders WHERE id=?
					ON CONFLICT(order_id) DO NOTHING`, in.ID, int64(in.Amount), ms(in.FinishedAt), in.OrderID)
				return err
			}
		case app.IntentFailed, app.IntentReversed, app.IntentClosed:
			return SetOrderStatus(ctx, tx, in.OrderID, app.OrderClosed, 0, time.Time{})
		}
		return nil
	})
}

// GetIntent implements app.PaymentStore.
func (s *PaymentStore) GetIntent(ctx context.Context, outTradeNo string) (app.PaymentIntent, error) {
	in, err := scanIntent(s.db.reader.QueryRowContext(ctx, `SELECT `+intentCols+intentFrom+`WHERE i.out_trade_no=?`, outTradeNo))
	if errors.Is(err, sql.ErrNoRows) {
		return in, fmt.Errorf("支付 %s / payment %s: %w", outTradeNo, outTradeNo, ErrNotFound)
	}
	return in, err
}

// OpenIntents implements app.PaymentStore.
func (s *PaymentStore) OpenIntents(ctx context.Context) ([]app.PaymentIntent, error) {
	rows, err := s.db.reader.QueryContext(ctx, `SELECT `+intentCols+intentFrom+`WHERE i.state NOT IN `+settledIntent+` ORDER BY i.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []app.PaymentIntent
	for rows.Next() {
		in, err := scanIntent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// PaidOrder implements app.PaymentStore.
func (s *PaymentStore) PaidOrder(ctx context.Context, orderNo string) (app.Order, app.PaymentIntent, error) {
	o, err := s.db.GetOrder(ctx, orderNo)
	if err != nil {
		return o, app.PaymentIntent{}, err
	}
	in, err := scanIntent(s.db.reader.QueryRowContext(ctx, `SELECT `+intentCols+intentFrom+`WHERE i.order_id=? AND i.state='paid' ORDER BY i.id DESC LIMIT 1`, o.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return o, in, fmt.Errorf("%w: %s (%s)", app.ErrNotRefundable, orderNo, o.Status)
	}
	return o, in, err
}

// --- refunds ---

const refundCols = `r.id, r.out_refund_no, r.order_id, o.order_no, r.intent_id, i.out_trade_no, i.transaction_id,
	i.channel, i.wallet, i.kind, i.amount, r.amount, r.reason, r.state, r.refund_id, r.channel_code, r.channel_msg,
	r.staff_id, COALESCE(r.approved_by,0), r.created_at, r.updated_at, r.finished_at,
	COALESCE(c.out_request_no,''), COALESCE(c.transaction_id,''), COALESCE(c.amount,0)`

// consumeOf is the done consume of a deposit order (at most one: a
// consume settles the deposit).
const consumeOf = `SELECT op.out_request_no, op.transaction_id, op.amount, d.order_id FROM deposit_operation op
	JOIN deposit d ON d.id = op.deposit_id WHERE op.kind='consume' AND op.state='done'`

const refundFrom = ` FROM refund r JOIN orders o ON o.id = r.order_id JOIN payment_intent i ON i.id = r.intent_id
	LEFT JOIN (` + consumeOf + `) c ON c.order_id = r.order_id `

func scanRefund(sc interface{ Scan(...any) error }) (app.Refund, error) {
	var r app.Refund
	var ch, wallet, kind, state string
	var total, amount, created, updated, consumed int64
	var finished sql.NullInt64
	err := sc.Scan(&r.ID, &r.OutRefundNo, &r.OrderID, &r.OrderNo, &r.IntentID, &r.OutTradeNo, &r.TransactionID,
		&ch, &wallet, &kind, &total, &amount, &r.Reason, &state, &r.RefundID, &r.ChannelCode, &r.ChannelMsg,
		&r.StaffID, &r.ApprovedBy, &created, &updated, &finished, &r.ConsumeNo, &r.ConsumeTxn, &consumed)
	if err != nil {
		return r, err
	}
	r.Consumed = app.Money(consumed)
	r.Channel, r.Wallet, r.State = app.ChannelName(ch), app.Wallet(wallet), app.RefundState(state)
	r.Deposit = kind == string(app.IntentKindDeposit)
	r.Total, r.Amount = app.Money(total), app.Money(amount)
	r.CreatedAt, r.UpdatedAt, r.FinishedAt = time.UnixMilli(created), time.UnixMilli(updated), fromMS(finished)
	return r, nil
}

// CreateRefund implements app.PaymentStore.
func (s *PaymentStore) CreateRefund(ctx context.Context, r *app.Refund, audit app.AuditEntry) error {
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM refund WHERE order_id=? AND state NOT IN ('refunded','failed')`,
			r.OrderID).Scan(&open); err != nil {
			return err
		}
		if open > 0 {
			return app.ErrRefundInProgress
		}
		var kind string
		var base int64
		if err := tx.QueryRowContext(ctx, `SELECT kind, paid FROM orders WHERE id=?`, r.OrderID).Scan(&kind, &base); err != nil {
			return err
		}
		if kind == string(app.OrderDeposit) {
			// Only what was consumed from a deposit was taken; the rest
			// went back by itself.
			var orderID int64
			err := tx.QueryRowContext(ctx, consumeOf+` AND d.order_id=?`, r.OrderID).Scan(&r.ConsumeNo, &r.ConsumeTxn, &base, &orderID)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				base = 0
			case err != nil:
				return err
			}
			r.Consumed = app.Money(base)
		}
		var used int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(sum(amount),0) FROM refund WHERE order_id=? AND state!='failed'`,
			r.OrderID).Scan(&used); err != nil {
			return err
		}
		if left := app.Money(base - used); r.Amount > left {
			return &app.RefundExceedsError{Asked: r.Amount, Left: max(left, 0)}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO refund(out_refund_no, order_id, intent_id, amount, reason, state,
			refund_id, channel_code, channel_msg, staff_id, approved_by, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			r.OutRefundNo, r.OrderID, r.IntentID, int64(r.Amount), r.Reason, string(r.State), r.RefundID,
			r.ChannelCode, r.ChannelMsg, r.StaffID, nullID(r.ApprovedBy), ms(r.CreatedAt), ms(r.UpdatedAt))
		if err != nil {
			return err
		}
		if r.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		return InsertAudit(ctx, tx, audit)
	})
}

func updateRefund(ctx context.Context, tx *sql.Tx, r *app.Refund) error {
	res, err := tx.ExecContext(ctx, `UPDATE refund SET state=?, refund_id=?, channel_code=?, channel_msg=?, updated_at=?, finished_at=?
		WHERE id=? AND state NOT IN ('refunded','failed')`,
		string(r.State), r.RefundID, r.ChannelCode, r.ChannelMsg, ms(r.UpdatedAt), nullMS(r.FinishedAt), r.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("%s: %w", r.OutRefundNo, app.ErrRefundSettled)
	}
	return nil
}

// SaveRefund implements app.PaymentStore.
func (s *PaymentStore) SaveRefund(ctx context.Context, r *app.Refund) error {
	if r.State.Final() {
		return fmt.Errorf("SaveRefund %s: state %s is final, use FinishRefund", r.OutRefundNo, r.State)
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error { return updateRefund(ctx, tx, r) })
}

// FinishRefund implements app.PaymentStore.
func (s *PaymentStore) FinishRefund(ctx context.Context, r *app.Refund) error {
	if !r.State.Final() {
		return fmt.Errorf("FinishRefund %s: state %s is not final", r.OutRefundNo, r.State)
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		if err := updateRefund(ctx, tx, r); err != nil {
			return err
		}
		if r.State == app.RefundRefunded {
			return AddOrderRefund(ctx, tx, r.OrderID, r.Amount)
		}
		return nil
	})
}

// GetRefund implements app.PaymentStore.
func (s *PaymentStore) GetRefund(ctx context.Context, outRefundNo string) (app.Refund, error) {
	r, err := scanRefund(s.db.reader.QueryRowContext(ctx, `SELECT `+refundCols+refundFrom+`WHERE r.out_refund_no=?`, outRefundNo))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("退款 %s / refund %s: %w", outRefundNo, outRefundNo, ErrNotFound)
	}
	return r, err
}

// OpenRefunds implements app.PaymentStore.
func (s *PaymentStore) OpenRefunds(ctx context.Context) ([]app.Refund, error) {
	rows, err := s.db.reader.QueryContext(ctx, `SELECT `+refundCols+refundFrom+`WHERE r.state NOT IN ('refunded','failed') ORDER BY r.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []app.Refund
	for rows.Next() {
		r, err := scanRefund(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RefundsOf lists an order's refunds, oldest first.
func (s *PaymentStore) RefundsOf(ctx context.Context, orderNo string) ([]app.Refund, error) {
	rows, err := s.db.reader.QueryContext(ctx, `SELECT `+refundCols+refundFrom+`WHERE o.order_no=? ORDER BY r.id`, orderNo)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []app.Refund
	for rows.Next() {
		r, err := scanRefund(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// --- deposits ---

const depositCols = `d.id, d.deposit_no, d.order_id, d.intent_id, i.out_trade_no, i.transaction_id, i.channel, i.wallet,
	d.amount, d.consumed, d.released, d.state, d.guest_name, d.room, d.created_at, i.finished_at, d.settled_at`

const depositFrom = ` FROM deposit d JOIN payment_intent i ON i.id = d.intent_id `

func scanDeposit(sc interface{ Scan(...any) error }, extra ...any) (app.Deposit, error) {
	var d app.Deposit
	var ch, wallet, state string
	var amount, consumed, released, created int64
	var paid, settled sql.NullInt64
	dest := append([]any{&d.ID, &d.DepositNo, &d.OrderID, &d.IntentID, &d.OutTradeNo, &d.TransactionID, &ch, &wallet,
		&amount, &consumed, &released, &state, &d.GuestName, &d.Room, &created, &paid, &settled}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return d, err
	}
	d.Channel, d.Wallet, d.State = app.ChannelName(ch), app.Wallet(wallet), app.DepositState(state)
	d.Amount, d.Consumed, d.Released = app.Money(amount), app.Money(consumed), app.Money(released)
	d.CreatedAt, d.PaidAt, d.SettledAt = time.UnixMilli(created), fromMS(paid), fromMS(settled)
	return d, nil
}

// GetDeposit implements app.PaymentStore. It finds the deposit by its
// number (the receipt barcode) or by the channel's transaction number shown
// in the customer's wallet.
func (s *PaymentStore) GetDeposit(ctx context.Context, depositNo string) (app.Deposit, error) {
	d, err := scanDeposit(s.db.reader.QueryRowContext(ctx, `SELECT `+depositCols+depositFrom+
		`WHERE d.deposit_no=? OR (i.transaction_id=? AND i.transaction_id!='') ORDER BY d.id DESC LIMIT 1`, depositNo, depositNo))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("押金 %s / deposit %s: %w", depositNo, depositNo, ErrNotFound)
	}
	return d, err
}

// CreateDepositOp implements app.PaymentStore.
func (s *PaymentStore) CreateDepositOp(ctx context.Context, op *app.DepositOp, audit app.AuditEntry) error {
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		var state string
		var amount, consumed, released int64
		if err := tx.QueryRowContext(ctx, `SELECT state, amount, consumed, released FROM deposit WHERE id=?`, op.DepositID).
			Scan(&state, &amount, &consumed, &released); err != nil {
			return err
		}
		if state != string(app.DepositFrozen) {
			return fmt.Errorf("%w (%s)", app.ErrDepositState, state)
		}
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM deposit_operation WHERE deposit_id=? AND state NOT IN ('done','failed')`,
			op.DepositID).Scan(&open); err != nil {
			return err
		}
		if open > 0 {
			return app.ErrDepositBusy
		}
		if left := app.Money(amount - consumed - released); op.Amount <= 0 || op.Amount > left {
			return fmt.Errorf("%w: %s / %s", app.ErrDepositAmount, op.Amount, left)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO deposit_operation(deposit_id, kind, out_request_no, amount, state,
			channel_code, channel_msg, staff_id, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
			op.DepositID, string(op.Kind), op.OutRequestNo, int64(op.Amount), string(op.State), op.ChannelCode,
			op.ChannelMsg, nullID(op.StaffID), ms(op.CreatedAt), ms(op.UpdatedAt))
		if err != nil {
			return err
		}
		if op.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		return InsertAudit(ctx, tx, audit)
	})
}

func updateDepositOp(ctx context.Context, tx *sql.Tx, op *app.DepositOp) error {
	res, err := tx.ExecContext(ctx, `UPDATE deposit_operation SET state=?, channel_code=?, channel_msg=?, transaction_id=?, updated_at=?
		WHERE id=? AND state NOT IN ('done','failed')`,
		string(op.State), op.ChannelCode, op.ChannelMsg, op.TransactionID, ms(op.UpdatedAt), op.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("%s: %w", op.OutRequestNo, ErrDepositOpSettled)
	}
	return nil
}

// SaveDepositOp implements app.PaymentStore.
func (s *PaymentStore) SaveDepositOp(ctx context.Context, op *app.DepositOp) error {
	if op.State.Final() {
		return fmt.Errorf("SaveDepositOp %s: state %s is final", op.OutRequestNo, op.State)
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error { return updateDepositOp(ctx, tx, op) })
}

// FinishDepositOp implements app.PaymentStore.
func (s *PaymentStore) FinishDepositOp(ctx context.Context, op *app.DepositOp) error {
	if !op.State.Final() {
		return fmt.Errorf("FinishDepositOp %s: state %s is not final", op.OutRequestNo, op.State)
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		if err := updateDepositOp(ctx, tx, op); err != nil {
			return err
		}
		if op.State != app.DepositOpDone {
			return nil
		}
		var err error
		switch op.Kind {
		case app.DepositOpConsume:
			_, err = tx.ExecContext(ctx, `UPDATE deposit SET consumed=consumed+?, released=amount-consumed-?,
				state='consumed', settled_at=? WHERE id=?`, int64(op.Amount), int64(op.Amount), ms(op.UpdatedAt), op.DepositID)
		case app.DepositOpRelease:
			_, err = tx.ExecContext(ctx, `UPDATE deposit SET released=amount-consumed, state='released', settled_at=? WHERE id=?`,
				ms(op.UpdatedAt), op.DepositID)
		}
		return err
	})
}

// OpenDepositOps implements app.PaymentStore.
func (s *PaymentStore) OpenDepositOps(ctx context.Context) ([]app.DepositOp, error) {
	rows, err := s.db.reader.QueryContext(ctx, `SELECT `+depositCols+`, op.id, op.kind, op.out_request_no, op.amount, op.state,
		op.channel_code, op.channel_msg, op.transaction_id, COALESCE(op.staff_id,0), op.created_at, op.updated_at`+depositFrom+
		`JOIN deposit_operation op ON op.deposit_id = d.id WHERE op.state NOT IN ('done','failed') ORDER BY op.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []app.DepositOp
	for rows.Next() {
		var op app.DepositOp
		var kind, state string
		var amount, created, updated int64
		d, err := scanDeposit(rows, &op.ID, &kind, &op.OutRequestNo, &amount, &state, &op.ChannelCode, &op.ChannelMsg,
			&op.TransactionID, &op.StaffID, &created, &updated)
		if err != nil {
			return nil, err
		}
		op.Deposit, op.DepositID = d, d.ID
		op.Kind, op.State, op.Amount = app.DepositOpKind(kind), app.DepositOpState(state), app.Money(amount)
		op.CreatedAt, op.UpdatedAt = time.UnixMilli(created), time.UnixMilli(updated)
		out = append(out, op)
	}
	return out, rows.Err()
}
