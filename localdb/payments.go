package localdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"cashier/app"
	"cashier/app/payment"
)

// PaymentStore is the SQLite payment.Store: wallet tenders and their
// payment intents, refunds, deposits and deposit operations. Every write is
// one immediate transaction on the writer connection, committed with
// synchronous=FULL before the method returns — so an intent is durable
// before the first network call, and an intent's final state, its tender's
// and its order's change together. Every update is a compare-and-set on the
// row's version: a writer holding a stale copy gets payment.ErrStale and
// changes nothing.
type PaymentStore struct{ db *DB }

// NewPaymentStore wraps db.
func NewPaymentStore(db *DB) *PaymentStore { return &PaymentStore{db: db} }

var _ payment.Store = (*PaymentStore)(nil)

const settledIntent = `('paid','failed','reversed','closed')`

const intentCols = `i.id, i.out_trade_no, COALESCE(i.order_id,0), COALESCE(o.order_no,''), COALESCE(i.tender_id,0), i.kind, i.channel, i.wallet,
	i.auth_code_masked, i.auth_code_hash, i.amount, i.state, i.transaction_id, i.channel_code, i.channel_msg,
	i.attempts, COALESCE(i.staff_id,0), i.foreign_no, i.version, i.created_at, i.sent_at, i.updated_at, i.finished_at,
	i.qr, i.code_url, i.expires_at`

const intentFrom = ` FROM payment_intent i LEFT JOIN orders o ON o.id = i.order_id `

func scanIntent(sc interface{ Scan(...any) error }) (payment.PaymentIntent, error) {
	var in payment.PaymentIntent
	var kind, ch, wallet, state string
	var amount, created, updated int64
	var foreign int
	var sent, finished, expires sql.NullInt64
	err := sc.Scan(&in.ID, &in.OutTradeNo, &in.OrderID, &in.OrderNo, &in.TenderID, &kind, &ch, &wallet,
		&in.CodeMasked, &in.CodeHash, &amount, &state, &in.TransactionID, &in.ChannelCode, &in.ChannelMsg,
		&in.Attempts, &in.StaffID, &foreign, &in.Version, &created, &sent, &updated, &finished,
		&in.QR, &in.CodeURL, &expires)
	if err != nil {
		return in, err
	}
	in.Kind, in.Channel, in.Wallet, in.State = payment.IntentKind(kind), app.ChannelName(ch), app.Wallet(wallet), payment.IntentState(state)
	in.Amount, in.Foreign = app.Money(amount), foreign != 0
	in.CreatedAt, in.UpdatedAt = time.UnixMilli(created), time.UnixMilli(updated)
	in.SentAt, in.FinishedAt, in.ExpiresAt = fromMS(sent), fromMS(finished), fromMS(expires)
	return in, nil
}

// openShift is the staff member's open shift, 0 when not clocked on.
func openShift(ctx context.Context, tx *sql.Tx, staffID int64) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM shift WHERE staff_id=? AND ended_at IS NULL`, staffID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// orderDue checks, inside tx, that an order is open and can take amount
// more; it returns the order's kind.
func orderDue(ctx context.Context, tx *sql.Tx, orderID int64, kind app.TenderKind, amount app.Money) (app.OrderKind, error) {
	var status, okind, no string
	var payable, taken int64
	err := tx.QueryRowContext(ctx, `SELECT o.order_no, o.status, o.kind, o.payable,
		(SELECT COALESCE(sum(amount),0) FROM tender t WHERE t.order_id=o.id AND t.state IN ('pending','paid'))
		FROM orders o WHERE o.id=?`, orderID).Scan(&no, &status, &okind, &payable, &taken)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound.With("Ref", strconv.FormatInt(orderID, 10))
	}
	if err != nil {
		return "", err
	}
	if !app.OrderStatus(status).Open() {
		return "", app.ErrOrderNotOpen.With("OrderNo", no)
	}
	if due := app.Money(payable - taken); amount > due {
		return "", app.ErrTenderTooLarge.With("Amount", amount, "Due", max(due, 0))
	}
	// The same rule as app.Order.CheckTender, against the stored tenders.
	o := app.Order{Kind: app.OrderKind(okind), Payable: app.Money(payable)}
	if taken > 0 {
		o.Tenders = []app.Tender{{Amount: app.Money(taken), State: app.TenderPaid}}
	}
	if err := o.CheckTender(kind, amount); err != nil {
		return "", err
	}
	return o.Kind, nil
}

// insertTender writes a tender inside tx, on the staff member's open shift.
func insertTender(ctx context.Context, tx *sql.Tx, t *app.Tender) error {
	shift, err := openShift(ctx, tx, t.StaffID)
	if err != nil {
		return err
	}
	t.ShiftID = shift
	res, err := tx.ExecContext(ctx, `INSERT INTO tender(order_id, kind, wallet, amount, state, cash_received, staff_id, shift_id, created_at, settled_at)
		VALUES (?,?,?,?,?,?,?,?,?,?)`, t.OrderID, string(t.Kind), string(t.Wallet), int64(t.Amount), string(t.State),
		int64(t.CashReceived), t.StaffID, nullID(shift), ms(t.CreatedAt), nullMS(t.SettledAt))
	if err != nil {
		return err
	}
	t.ID, err = res.LastInsertId()
	return err
}

// CreateIntent implements payment.Store.
func (s *PaymentStore) CreateIntent(ctx context.Context, in *payment.PaymentIntent, dupSince time.Time) error {
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		if in.CodeHash != "" {
			var prev, state string
			err := tx.QueryRowContext(ctx, `SELECT out_trade_no, state FROM payment_intent
				WHERE auth_code_hash=? AND state!='failed' AND (state NOT IN `+settledIntent+` OR created_at>=?)
				ORDER BY id DESC LIMIT 1`, in.CodeHash, dupSince.UnixMilli()).Scan(&prev, &state)
			switch {
			case err == nil:
				return payment.ErrDuplicateScan.With("OutTradeNo", prev, "State", state)
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		if in.QR {
			if err := noOpenPayment(ctx, tx, in.OrderID); err != nil {
				return err
			}
		}
		if _, err := orderDue(ctx, tx, in.OrderID, app.TenderWallet, in.Amount); err != nil {
			return err
		}
		t := app.Tender{OrderID: in.OrderID, Kind: app.TenderWallet, Wallet: in.Wallet, Amount: in.Amount,
			State: app.TenderPending, StaffID: in.StaffID, CreatedAt: in.CreatedAt}
		if err := insertTender(ctx, tx, &t); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO payment_intent(out_trade_no, order_id, tender_id, kind, channel, wallet,
			auth_code_masked, auth_code_hash, amount, state, transaction_id, channel_code, channel_msg, attempts,
			staff_id, foreign_no, version, created_at, sent_at, updated_at, finished_at, qr, code_url, expires_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,?,?,?,?,?,?,?)`,
			in.OutTradeNo, in.OrderID, t.ID, string(in.Kind), string(in.Channel), string(in.Wallet), in.CodeMasked, in.CodeHash,
			int64(in.Amount), string(in.State), in.TransactionID, in.ChannelCode, in.ChannelMsg, in.Attempts,
			nullID(in.StaffID), in.Foreign, ms(in.CreatedAt), nullMS(in.SentAt), ms(in.UpdatedAt), nullMS(in.FinishedAt),
			in.QR, in.CodeURL, nullMS(in.ExpiresAt))
		if err != nil {
			return err
		}
		in.ID, err = res.LastInsertId()
		in.TenderID, in.Version = t.ID, 0
		return err
	})
}

// noOpenPayment refuses a QR payment while the order has a wallet payment
// that is not settled (a code payment still asking, another QR on show,
// one a person must check): a customer shown a code while another
// payment of the same order may still go through could pay twice.
func noOpenPayment(ctx context.Context, tx *sql.Tx, orderID int64) error {
	var no, state string
	err := tx.QueryRowContext(ctx, `SELECT out_trade_no, state FROM payment_intent
		WHERE order_id=? AND state NOT IN `+settledIntent+` ORDER BY id LIMIT 1`, orderID).Scan(&no, &state)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	}
	return payment.ErrPaymentPending.With("OutTradeNo", no, "State", state)
}

// updateIntent writes in if the stored version is still in.Version.
func updateIntent(ctx context.Context, tx *sql.Tx, in *payment.PaymentIntent) error {
	res, err := tx.ExecContext(ctx, `UPDATE payment_intent SET state=?, transaction_id=?, channel_code=?, channel_msg=?,
		attempts=?, sent_at=?, updated_at=?, finished_at=?, foreign_no=?, code_url=?, version=version+1
		WHERE id=? AND version=? AND state NOT IN `+settledIntent,
		string(in.State), in.TransactionID, in.ChannelCode, in.ChannelMsg, in.Attempts, nullMS(in.SentAt),
		ms(in.UpdatedAt), nullMS(in.FinishedAt), in.Foreign, in.CodeURL, in.ID, in.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return payment.ErrStale.With("Ref", in.OutTradeNo)
	}
	return nil
}

// SaveIntent implements payment.Store.
func (s *PaymentStore) SaveIntent(ctx context.Context, in *payment.PaymentIntent) error {
	if in.State.Settled() {
		return fmt.Errorf("SaveIntent %s: state %s is final, use FinishIntent", in.OutTradeNo, in.State)
	}
	err := s.db.Write(ctx, func(tx *sql.Tx) error { return updateIntent(ctx, tx, in) })
	if err == nil {
		in.Version++
	}
	return err
}

// FinishIntent implements payment.Store.
func (s *PaymentStore) FinishIntent(ctx context.Context, in *payment.PaymentIntent) error {
	if !in.State.Final() {
		return fmt.Errorf("FinishIntent %s: state %s is not final", in.OutTradeNo, in.State)
	}
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		if err := updateIntent(ctx, tx, in); err != nil {
			return err
		}
		if in.TenderID == 0 {
			return nil
		}
		var tstate app.TenderState
		switch in.State {
		case payment.IntentPaid:
			tstate = app.TenderPaid
		case payment.IntentFailed, payment.IntentReversed, payment.IntentClosed:
			tstate = app.TenderFailed
		default:
			return nil // manual: the tender stays pending for a person
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tender SET state=?, settled_at=? WHERE id=? AND state='pending'`,
			string(tstate), nullMS(in.FinishedAt), in.TenderID); err != nil {
			return err
		}
		if tstate == app.TenderPaid {
			if err := recordTenderPaid(ctx, tx, in.TenderID); err != nil {
				return err
			}
		}
		paid, err := settleOrder(ctx, tx, in.OrderID, in.FinishedAt)
		if err != nil || !paid || in.Kind != payment.IntentKindDeposit {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO deposit(deposit_no, order_id, intent_id, amount, state, created_at, room, guest_name, guest_phone)
			SELECT order_no, id, ?, ?, 'frozen', ?, guest_room, guest_name, guest_phone FROM orders WHERE id=?
			ON CONFLICT(order_id) DO NOTHING`, in.ID, int64(in.Amount), ms(in.FinishedAt), in.OrderID)
		return err
	})
	if err == nil {
		in.Version++
	}
	return err
}

// settleOrder brings an order's paid amount up to date with its paid
// tenders and marks it paid when they cover it; it reports whether the
// order became paid now.
func settleOrder(ctx context.Context, tx *sql.Tx, orderID int64, at time.Time) (bool, error) {
	var status string
	var payable, paid int64
	if err := tx.QueryRowContext(ctx, `SELECT o.status, o.payable,
		(SELECT COALESCE(sum(amount),0) FROM tender t WHERE t.order_id=o.id AND t.state='paid')
		FROM orders o WHERE o.id=?`, orderID).Scan(&status, &payable, &paid); err != nil {
		return false, err
	}
	if !app.OrderStatus(status).Open() {
		return false, nil
	}
	newStatus := app.OrderOpen
	if paid >= payable {
		newStatus = app.OrderPaid
	}
	var paidAt any
	if newStatus == app.OrderPaid {
		paidAt = ms(at)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET status=?, paid=?, paid_at=COALESCE(?, paid_at) WHERE id=?`,
		string(newStatus), paid, paidAt, orderID); err != nil {
		return false, err
	}
	if newStatus == app.OrderPaid {
		if err := recordOrderPaid(ctx, tx, orderID, at); err != nil {
			return false, err
		}
	}
	return newStatus == app.OrderPaid, nil
}

// GetIntent implements payment.Store.
func (s *PaymentStore) GetIntent(ctx context.Context, outTradeNo string) (payment.PaymentIntent, error) {
	in, err := scanIntent(s.db.reader.QueryRowContext(ctx, `SELECT `+intentCols+intentFrom+`WHERE i.out_trade_no=?`, outTradeNo))
	if errors.Is(err, sql.ErrNoRows) {
		return in, ErrNotFound.With("Ref", outTradeNo)
	}
	return in, err
}

// OpenIntents implements payment.Store.
func (s *PaymentStore) OpenIntents(ctx context.Context) ([]payment.PaymentIntent, error) {
	rows, err := s.db.reader.QueryContext(ctx, `SELECT `+intentCols+intentFrom+`WHERE i.state NOT IN `+settledIntent+` ORDER BY i.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []payment.PaymentIntent
	for rows.Next() {
		in, err := scanIntent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// RefundSource implements payment.Store.
func (s *PaymentStore) RefundSource(ctx context.Context, orderNo, outTradeNo string) (app.Order, payment.PaymentIntent, error) {
	o, err := s.db.GetOrder(ctx, orderNo)
	if err != nil {
		return o, payment.PaymentIntent{}, err
	}
	// The order's paid wallet tenders carry their payments' numbers.
	var found []string
	for _, t := range o.Tenders {
		if t.Kind == app.TenderWallet && t.State == app.TenderPaid && (outTradeNo == "" || t.OutTradeNo == outTradeNo) {
			found = append(found, t.OutTradeNo)
		}
	}
	switch len(found) {
	case 0:
		return o, payment.PaymentIntent{}, payment.ErrNotRefundable.With("Status", string(o.Status))
	case 1:
		in, err := s.GetIntent(ctx, found[0])
		return o, in, err
	}
	return o, payment.PaymentIntent{}, payment.ErrTenderAmbiguous.With("Count", len(found))
}

// --- refunds ---

const refundCols = `r.id, r.out_refund_no, r.order_id, o.order_no, r.intent_id, i.out_trade_no, i.transaction_id,
	i.channel, i.wallet, i.kind, i.amount, r.amount, r.reason, r.state, r.refund_id, r.channel_code, r.channel_msg,
	r.staff_id, COALESCE(r.approved_by,0), r.version, r.created_at, r.updated_at, r.finished_at,
	COALESCE(c.out_request_no,''), COALESCE(c.transaction_id,''), COALESCE(c.amount,0)`

// consumeOf is the done consume of a deposit order (at most one: a
// consume settles the deposit).
const consumeOf = `SELECT op.out_request_no, op.transaction_id, op.amount, d.order_id FROM deposit_operation op
	JOIN deposit d ON d.id = op.deposit_id WHERE op.kind='consume' AND op.state='done'`

const refundFrom = ` FROM refund r JOIN orders o ON o.id = r.order_id JOIN payment_intent i ON i.id = r.intent_id
	LEFT JOIN (` + consumeOf + `) c ON c.order_id = r.order_id `

const refundOpen = `('created','sent','processing','unknown','refused')`

// depositOpOpen: the deposit operations recovery still drives.
const depositOpOpen = `('created','sent','unknown','refused')`

func scanRefund(sc interface{ Scan(...any) error }) (payment.Refund, error) {
	var r payment.Refund
	var ch, wallet, kind, state string
	var total, amount, created, updated, consumed int64
	var finished sql.NullInt64
	err := sc.Scan(&r.ID, &r.OutRefundNo, &r.OrderID, &r.OrderNo, &r.IntentID, &r.OutTradeNo, &r.TransactionID,
		&ch, &wallet, &kind, &total, &amount, &r.Reason, &state, &r.RefundID, &r.ChannelCode, &r.ChannelMsg,
		&r.StaffID, &r.ApprovedBy, &r.Version, &created, &updated, &finished, &r.ConsumeNo, &r.ConsumeTxn, &consumed)
	if err != nil {
		return r, err
	}
	r.Consumed = app.Money(consumed)
	r.Channel, r.Wallet, r.State = app.ChannelName(ch), app.Wallet(wallet), payment.RefundState(state)
	r.Deposit = kind == string(payment.IntentKindDeposit)
	r.Total, r.Amount = app.Money(total), app.Money(amount)
	r.CreatedAt, r.UpdatedAt, r.FinishedAt = time.UnixMilli(created), time.UnixMilli(updated), fromMS(finished)
	return r, nil
}

// CreateRefund implements payment.Store.
func (s *PaymentStore) CreateRefund(ctx context.Context, r *payment.Refund, audit app.AuditEntry) error {
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM refund WHERE intent_id=? AND state IN `+refundOpen,
			r.IntentID).Scan(&open); err != nil {
			return err
		}
		if open > 0 {
			return payment.ErrRefundInProgress
		}
		var kind string
		var base int64
		if err := tx.QueryRowContext(ctx, `SELECT kind, amount FROM payment_intent WHERE id=? AND order_id=? AND state='paid'`, r.IntentID, r.OrderID).
			Scan(&kind, &base); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return payment.ErrNotRefundable.With("Status", "")
			}
			return err
		}
		if kind == string(payment.IntentKindDeposit) {
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
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(sum(amount),0) FROM refund WHERE intent_id=? AND state!='failed'`,
			r.IntentID).Scan(&used); err != nil {
			return err
		}
		if left := app.Money(base - used); r.Amount > left {
			return payment.ErrRefundExceeds.With("Asked", r.Amount, "Left", max(left, 0))
		}
		shift, err := openShift(ctx, tx, r.StaffID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO refund(out_refund_no, order_id, intent_id, amount, reason, state,
			refund_id, channel_code, channel_msg, staff_id, approved_by, shift_id, version, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,0,?,?)`,
			r.OutRefundNo, r.OrderID, r.IntentID, int64(r.Amount), r.Reason, string(r.State), r.RefundID,
			r.ChannelCode, r.ChannelMsg, r.StaffID, nullID(r.ApprovedBy), nullID(shift), ms(r.CreatedAt), ms(r.UpdatedAt))
		if err != nil {
			return err
		}
		if r.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		r.Version = 0
		return InsertAudit(ctx, tx, audit)
	})
}

func updateRefund(ctx context.Context, tx *sql.Tx, r *payment.Refund) error {
	res, err := tx.ExecContext(ctx, `UPDATE refund SET state=?, refund_id=?, channel_code=?, channel_msg=?, updated_at=?, finished_at=?,
		version=version+1 WHERE id=? AND version=? AND state IN `+refundOpen,
		string(r.State), r.RefundID, r.ChannelCode, r.ChannelMsg, ms(r.UpdatedAt), nullMS(r.FinishedAt), r.ID, r.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return payment.ErrStale.With("Ref", r.OutRefundNo)
	}
	return nil
}

// SaveRefund implements payment.Store.
func (s *PaymentStore) SaveRefund(ctx context.Context, r *payment.Refund) error {
	if r.State.Final() {
		return fmt.Errorf("SaveRefund %s: state %s is final, use FinishRefund", r.OutRefundNo, r.State)
	}
	err := s.db.Write(ctx, func(tx *sql.Tx) error { return updateRefund(ctx, tx, r) })
	if err == nil {
		r.Version++
	}
	return err
}

// FinishRefund implements payment.Store.
func (s *PaymentStore) FinishRefund(ctx context.Context, r *payment.Refund) error {
	if !r.State.Final() {
		return fmt.Errorf("FinishRefund %s: state %s is not final", r.OutRefundNo, r.State)
	}
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		if err := updateRefund(ctx, tx, r); err != nil {
			return err
		}
		if r.State == payment.RefundRefunded {
			if err := AddOrderRefund(ctx, tx, r.OrderID, r.Amount); err != nil {
				return err
			}
			return recordRefundDone(ctx, tx, r.ID)
		}
		return nil
	})
	if err == nil {
		r.Version++
	}
	return err
}

// GetRefund implements payment.Store.
func (s *PaymentStore) GetRefund(ctx context.Context, outRefundNo string) (payment.Refund, error) {
	r, err := scanRefund(s.db.reader.QueryRowContext(ctx, `SELECT `+refundCols+refundFrom+`WHERE r.out_refund_no=?`, outRefundNo))
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound.With("Ref", outRefundNo)
	}
	return r, err
}

// OpenRefunds implements payment.Store.
func (s *PaymentStore) OpenRefunds(ctx context.Context) ([]payment.Refund, error) {
	return s.refunds(ctx, `WHERE r.state IN `+refundOpen+` ORDER BY r.id`)
}

// RefundsOf lists an order's refunds, oldest first.
func (s *PaymentStore) RefundsOf(ctx context.Context, orderNo string) ([]payment.Refund, error) {
	return s.refunds(ctx, `WHERE o.order_no=? ORDER BY r.id`, orderNo)
}

func (s *PaymentStore) refunds(ctx context.Context, where string, args ...any) ([]payment.Refund, error) {
	rows, err := s.db.reader.QueryContext(ctx, `SELECT `+refundCols+refundFrom+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []payment.Refund
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
	d.amount, d.consumed, d.released, d.state, d.guest_name, d.room, d.guest_phone, d.created_at, i.finished_at, d.settled_at`

const depositFrom = ` FROM deposit d JOIN payment_intent i ON i.id = d.intent_id `

func scanDeposit(sc interface{ Scan(...any) error }, extra ...any) (payment.Deposit, error) {
	var d payment.Deposit
	var ch, wallet, state string
	var amount, consumed, released, created int64
	var paid, settled sql.NullInt64
	dest := append([]any{&d.ID, &d.DepositNo, &d.OrderID, &d.IntentID, &d.OutTradeNo, &d.TransactionID, &ch, &wallet,
		&amount, &consumed, &released, &state, &d.GuestName, &d.Room, &d.GuestPhone, &created, &paid, &settled}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return d, err
	}
	d.Channel, d.Wallet, d.State = app.ChannelName(ch), app.Wallet(wallet), payment.DepositState(state)
	d.Amount, d.Consumed, d.Released = app.Money(amount), app.Money(consumed), app.Money(released)
	d.CreatedAt, d.PaidAt, d.SettledAt = time.UnixMilli(created), fromMS(paid), fromMS(settled)
	return d, nil
}

// GetDeposit implements payment.Store. It finds the deposit by its number
// (the receipt barcode) or by the channel's transaction number shown in the
// customer's wallet.
func (s *PaymentStore) GetDeposit(ctx context.Context, depositNo string) (payment.Deposit, error) {
	d, err := scanDeposit(s.db.reader.QueryRowContext(ctx, `SELECT `+depositCols+depositFrom+
		`WHERE d.deposit_no=? OR (i.transaction_id=? AND i.transaction_id!='') ORDER BY d.id DESC LIMIT 1`, depositNo, depositNo))
	if errors.Is(err, sql.ErrNoRows) {
		return d, ErrNotFound.With("Ref", depositNo)
	}
	return d, err
}

// CreateDepositOp implements payment.Store.
func (s *PaymentStore) CreateDepositOp(ctx context.Context, op *payment.DepositOp, audit app.AuditEntry) error {
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		var state string
		var amount, consumed, released int64
		if err := tx.QueryRowContext(ctx, `SELECT state, amount, consumed, released FROM deposit WHERE id=?`, op.DepositID).
			Scan(&state, &amount, &consumed, &released); err != nil {
			return err
		}
		if state != string(payment.DepositFrozen) {
			return payment.ErrDepositState.With("State", state)
		}
		// A manual operation keeps the deposit busy: money may have moved
		// by another amount, and a person has to look before anything else.
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM deposit_operation WHERE deposit_id=? AND state NOT IN ('done','failed')`,
			op.DepositID).Scan(&open); err != nil {
			return err
		}
		if open > 0 {
			return payment.ErrDepositBusy
		}
		if left := app.Money(amount - consumed - released); op.Amount <= 0 || op.Amount > left {
			return payment.ErrDepositAmount.With("Amount", op.Amount, "Left", left)
		}
		shift, err := openShift(ctx, tx, op.StaffID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO deposit_operation(deposit_id, kind, out_request_no, amount, state,
			channel_code, channel_msg, staff_id, shift_id, version, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,0,?,?)`,
			op.DepositID, string(op.Kind), op.OutRequestNo, int64(op.Amount), string(op.State), op.ChannelCode,
			op.ChannelMsg, nullID(op.StaffID), nullID(shift), ms(op.CreatedAt), ms(op.UpdatedAt))
		if err != nil {
			return err
		}
		if op.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		op.Version = 0
		return InsertAudit(ctx, tx, audit)
	})
}

func updateDepositOp(ctx context.Context, tx *sql.Tx, op *payment.DepositOp) error {
	res, err := tx.ExecContext(ctx, `UPDATE deposit_operation SET state=?, channel_code=?, channel_msg=?, transaction_id=?, updated_at=?,
		version=version+1 WHERE id=? AND version=? AND state IN `+depositOpOpen,
		string(op.State), op.ChannelCode, op.ChannelMsg, op.TransactionID, ms(op.UpdatedAt), op.ID, op.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return payment.ErrStale.With("Ref", op.OutRequestNo)
	}
	return nil
}

// SaveDepositOp implements payment.Store.
func (s *PaymentStore) SaveDepositOp(ctx context.Context, op *payment.DepositOp) error {
	if op.State.Final() {
		return fmt.Errorf("SaveDepositOp %s: state %s is final", op.OutRequestNo, op.State)
	}
	err := s.db.Write(ctx, func(tx *sql.Tx) error { return updateDepositOp(ctx, tx, op) })
	if err == nil {
		op.Version++
	}
	return err
}

// FinishDepositOp implements payment.Store.
func (s *PaymentStore) FinishDepositOp(ctx context.Context, op *payment.DepositOp) error {
	if !op.State.Final() {
		return fmt.Errorf("FinishDepositOp %s: state %s is not final", op.OutRequestNo, op.State)
	}
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		if err := updateDepositOp(ctx, tx, op); err != nil {
			return err
		}
		if op.State != payment.DepositOpDone {
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
		if err != nil {
			return err
		}
		return recordDepositOpDone(ctx, tx, op.ID)
	})
	if err == nil {
		op.Version++
	}
	return err
}

// OpenDepositOps implements payment.Store.
func (s *PaymentStore) OpenDepositOps(ctx context.Context) ([]payment.DepositOp, error) {
	return s.depositOps(ctx, `WHERE op.state IN `+depositOpOpen+` ORDER BY op.id`)
}

// GetDepositOp implements payment.Store.
func (s *PaymentStore) GetDepositOp(ctx context.Context, outRequestNo string) (payment.DepositOp, error) {
	ops, err := s.depositOps(ctx, `WHERE op.out_request_no=?`, outRequestNo)
	if err != nil {
		return payment.DepositOp{}, err
	}
	if len(ops) == 0 {
		return payment.DepositOp{}, ErrNotFound.With("Ref", outRequestNo)
	}
	return ops[0], nil
}

func (s *PaymentStore) depositOps(ctx context.Context, where string, args ...any) ([]payment.DepositOp, error) {
	rows, err := s.db.reader.QueryContext(ctx, `SELECT `+depositCols+`, op.id, op.kind, op.out_request_no, op.amount, op.state,
		op.channel_code, op.channel_msg, op.transaction_id, COALESCE(op.staff_id,0), op.version, op.created_at, op.updated_at`+depositFrom+
		`JOIN deposit_operation op ON op.deposit_id = d.id `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []payment.DepositOp
	for rows.Next() {
		var op payment.DepositOp
		var kind, state string
		var amount, created, updated int64
		d, err := scanDeposit(rows, &op.ID, &kind, &op.OutRequestNo, &amount, &state, &op.ChannelCode, &op.ChannelMsg,
			&op.TransactionID, &op.StaffID, &op.Version, &created, &updated)
		if err != nil {
			return nil, err
		}
		op.Deposit, op.DepositID = d, d.ID
		op.Kind, op.State, op.Amount = app.DepositOpKind(kind), payment.DepositOpState(state), app.Money(amount)
		op.CreatedAt, op.UpdatedAt = time.UnixMilli(created), time.UnixMilli(updated)
		out = append(out, op)
	}
	return out, rows.Err()
}
