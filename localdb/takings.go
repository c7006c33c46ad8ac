package localdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"cashier/app"
	"cashier/app/summary"
)

// taking is one row of the takings journal (migration 0004).
type taking struct {
	kind     summary.Kind
	ref      string
	storeID  int64
	staffID  int64
	shiftID  int64
	orderID  int64
	method   summary.Method
	amount   int64
	discount int64
	at       time.Time
}

// storeLocation is the store's time zone (app.Zone).
func storeLocation(ctx context.Context, tx *sql.Tx, storeID int64) (*time.Location, error) {
	var name string
	if err := tx.QueryRowContext(ctx, `SELECT timezone FROM store WHERE id=?`, storeID).Scan(&name); err != nil {
		return nil, err
	}
	return app.Zone(name), nil
}

// recordTaking writes one journal row. The business day is the store's
// local date of the shift's start when the row is on a shift (a shift that
// crosses midnight belongs to the day it started), else of the movement.
// A row already recorded for the same kind and ref is left as it is: the
// movement settles once.
func recordTaking(ctx context.Context, tx *sql.Tx, t taking) error {
	if t.amount < 0 || t.discount < 0 {
		return fmt.Errorf("takings %s %s: negative amount %d/%d", t.kind, t.ref, t.amount, t.discount)
	}
	loc, err := storeLocation(ctx, tx, t.storeID)
	if err != nil {
		return err
	}
	dayOf := t.at
	if t.shiftID != 0 {
		var started int64
		if err := tx.QueryRowContext(ctx, `SELECT started_at FROM shift WHERE id=?`, t.shiftID).Scan(&started); err != nil {
			return err
		}
		dayOf = time.UnixMilli(started)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO takings(kind, ref, store_id, staff_id, shift_id, order_id, method, amount, discount, at, business_day)
		VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(kind, ref) DO NOTHING`,
		string(t.kind), t.ref, t.storeID, t.staffID, nullID(t.shiftID), nullID(t.orderID), string(t.method),
		t.amount, t.discount, ms(t.at), summary.DayOf(dayOf, loc).Int())
	return err
}

// shiftNow is the shift staffID has open in the store as a movement is
// recorded, 0 when none: a row belongs to its person's shift at the time
// the money moves. The shift a tender, refund or deposit operation was
// asked on may have been handed over before the money settled (a payment
// confirmed after the clock-off, a refund the bank finished the next day):
// that handover was kept without it, so the row goes to the shift open
// now, or to none, and a handed-over shift's figures never change.
func shiftNow(ctx context.Context, tx *sql.Tx, staffID, storeID int64) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM shift WHERE staff_id=? AND ended_at IS NULL AND store_id=?`, staffID, storeID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// recordTenderPaid journals a tender that has just been paid: takings for
// a sale, a liability for a deposit's freeze.
func recordTenderPaid(ctx context.Context, tx *sql.Tx, tenderID int64) error {
	var t taking
	var tkind, wallet, okind string
	var settled sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT t.kind, t.wallet, t.amount, t.staff_id, t.settled_at,
		o.id, o.store_id, o.kind FROM tender t JOIN orders o ON o.id = t.order_id WHERE t.id=? AND t.state='paid'`, tenderID).
		Scan(&tkind, &wallet, &t.amount, &t.staffID, &settled, &t.orderID, &t.storeID, &okind)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if t.shiftID, err = shiftNow(ctx, tx, t.staffID, t.storeID); err != nil {
		return err
	}
	t.kind, t.ref, t.at = summary.KindSale, "tender:"+strconv.FormatInt(tenderID, 10), fromMS(settled)
	if app.OrderKind(okind) == app.OrderDeposit {
		t.kind = summary.KindDepositHold
	}
	t.method = summary.MethodOf(app.TenderKind(tkind), app.Wallet(wallet))
	return recordTaking(ctx, tx, t)
}

// recordOrderPaid shares an order's discount among its paid tenders in
// proportion to what each paid (app.Money.Allocate: the shares add up to
// the discount exactly) and journals each tender's share with that tender:
// its method, the person who took it and their shift now (the order may
// have been opened by someone else, or held over a handover). Called once,
// when the order becomes paid.
func recordOrderPaid(ctx context.Context, tx *sql.Tx, orderID int64, at time.Time) error {
	var discount, storeID int64
	if err := tx.QueryRowContext(ctx, `SELECT discount, store_id FROM orders WHERE id=?`, orderID).
		Scan(&discount, &storeID); err != nil {
		return err
	}
	if discount == 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, kind, wallet, amount, staff_id FROM tender WHERE order_id=? AND state='paid' ORDER BY id`, orderID)
	if err != nil {
		return err
	}
	type paid struct {
		id      int64
		method  summary.Method
		amount  int64
		staffID int64
	}
	var tenders []paid
	var ratios []int64
	for rows.Next() {
		var p paid
		var kind, wallet string
		if err := rows.Scan(&p.id, &kind, &wallet, &p.amount, &p.staffID); err != nil {
			rows.Close()
			return err
		}
		p.method = summary.MethodOf(app.TenderKind(kind), app.Wallet(wallet))
		tenders = append(tenders, p)
		ratios = append(ratios, p.amount)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(tenders) == 0 {
		return err
	}
	shares, err := app.Money(discount).Allocate(ratios...)
	if err != nil {
		return err
	}
	for i, p := range tenders {
		if _, err := tx.ExecContext(ctx, `UPDATE tender SET discount=? WHERE id=?`, int64(shares[i]), p.id); err != nil {
			return err
		}
		if shares[i] == 0 {
			continue
		}
		shiftID, err := shiftNow(ctx, tx, p.staffID, storeID)
		if err != nil {
			return err
		}
		if err := recordTaking(ctx, tx, taking{kind: summary.KindDiscount, ref: "tender:" + strconv.FormatInt(p.id, 10),
			storeID: storeID, staffID: p.staffID, shiftID: shiftID, orderID: orderID, method: p.method,
			discount: int64(shares[i]), at: at}); err != nil {
			return err
		}
	}
	return nil
}

// recordRefundDone journals a refund that has just been done, with the
// share of its tender's discount it carries back: the cumulative share of
// everything refunded so far, less what earlier refunds carried, so that
// refunding a tender in full carries back exactly its discount.
func recordRefundDone(ctx context.Context, tx *sql.Tx, refundID int64) error {
	t := taking{kind: summary.KindRefund, ref: "refund:" + strconv.FormatInt(refundID, 10)}
	var wallet string
	var tenderAmount, tenderDiscount, before int64
	var finished sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT r.amount, r.staff_id, r.finished_at, o.id, o.store_id, i.wallet,
		COALESCE(t.amount, 0), COALESCE(t.discount, 0),
		(SELECT COALESCE(sum(p.amount),0) FROM refund p WHERE p.intent_id = r.intent_id AND p.state='refunded' AND p.id != r.id)
		FROM refund r JOIN orders o ON o.id = r.order_id JOIN payment_intent i ON i.id = r.intent_id
		LEFT JOIN tender t ON t.id = i.tender_id WHERE r.id=? AND r.state='refunded'`, refundID).
		Scan(&t.amount, &t.staffID, &finished, &t.orderID, &t.storeID, &wallet, &tenderAmount, &tenderDiscount, &before)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if t.shiftID, err = shiftNow(ctx, tx, t.staffID, t.storeID); err != nil {
		return err
	}
	t.at = fromMS(finished)
	t.method = summary.MethodOf(app.TenderWallet, app.Wallet(wallet))
	if tenderAmount > 0 && tenderDiscount > 0 {
		after := min(before+t.amount, tenderAmount)
		t.discount = after*tenderDiscount/tenderAmount - min(before, tenderAmount)*tenderDiscount/tenderAmount
	}
	return recordTaking(ctx, tx, t)
}

// recordCashReturned journals the cash of an order's paid cash tenders
// handed back at a void, on the shift of the person who voided it — the
// drawer that opened is theirs. Someone on no shift (a manager, who may
// void off shift) has no drawer of their own: the cash comes out of the
// drawer it went into, that of the shift its tender was taken on, when
// that is still open. Otherwise no drawer's expected cash would ever lose
// it.
func recordCashReturned(ctx context.Context, tx *sql.Tx, orderID, staffID int64, at time.Time) error {
	rows, err := tx.QueryContext(ctx, `SELECT t.id, t.amount, t.discount, t.staff_id, o.store_id FROM tender t JOIN orders o ON o.id = t.order_id
		WHERE t.order_id=? AND t.kind='cash' AND t.state='paid'`, orderID)
	if err != nil {
		return err
	}
	var out []taking
	var takers []int64
	for rows.Next() {
		var id, taker int64
		t := taking{kind: summary.KindRefund, staffID: staffID, orderID: orderID, method: summary.MethodCash, at: at}
		if err := rows.Scan(&id, &t.amount, &t.discount, &taker, &t.storeID); err != nil {
			rows.Close()
			return err
		}
		t.ref = "return:" + strconv.FormatInt(id, 10)
		out = append(out, t)
		takers = append(takers, taker)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i, t := range out {
		if t.shiftID, err = shiftNow(ctx, tx, staffID, t.storeID); err != nil {
			return err
		}
		if t.shiftID == 0 {
			if t.shiftID, err = shiftNow(ctx, tx, takers[i], t.storeID); err != nil {
				return err
			}
		}
		if err := recordTaking(ctx, tx, t); err != nil {
			return err
		}
	}
	return nil
}

// recordDepositOpDone journals a consume (the amount charged, and the rest
// given back with it) or a release.
func recordDepositOpDone(ctx context.Context, tx *sql.Tx, opID int64) error {
	var kind, wallet string
	var opAmount, released int64
	t := taking{ref: "op:" + strconv.FormatInt(opID, 10)}
	var updated int64
	err := tx.QueryRowContext(ctx, `SELECT op.kind, op.amount, COALESCE(op.staff_id, o.staff_id), op.updated_at,
		d.released, o.id, o.store_id, i.wallet
		FROM deposit_operation op JOIN deposit d ON d.id = op.deposit_id JOIN orders o ON o.id = d.order_id
		JOIN payment_intent i ON i.id = d.intent_id WHERE op.id=? AND op.state='done'`, opID).
		Scan(&kind, &opAmount, &t.staffID, &updated, &released, &t.orderID, &t.storeID, &wallet)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if t.shiftID, err = shiftNow(ctx, tx, t.staffID, t.storeID); err != nil {
		return err
	}
	t.at = time.UnixMilli(updated)
	t.method = summary.MethodOf(app.TenderWallet, app.Wallet(wallet))
	switch app.DepositOpKind(kind) {
	case app.DepositOpConsume:
		t.kind, t.amount = summary.KindDepositConsume, opAmount
		if err := recordTaking(ctx, tx, t); err != nil || released == 0 {
			return err
		}
		t.kind, t.ref, t.amount = summary.KindDepositRelease, t.ref+":rest", released
	case app.DepositOpRelease:
		t.kind, t.amount = summary.KindDepositRelease, released
	default:
		return nil
	}
	return recordTaking(ctx, tx, t)
}

// SumTakings implements summary.Store. Each filter reads one covering
// index (docs/PERFORMANCE.md shows the plans).
func (db *DB) SumTakings(ctx context.Context, f summary.Filter) ([]summary.Row, error) {
	q := `SELECT kind, method, count(*), COALESCE(sum(amount),0), COALESCE(sum(discount),0) FROM takings `
	var args []any
	switch {
	case f.ShiftID != 0:
		q += `INDEXED BY takings_shift WHERE shift_id=? AND store_id=?`
		args = append(args, f.ShiftID, f.StoreID)
		if !f.Day.IsZero() {
			// every row of a shift is on the day it started: all or nothing
			q += ` AND business_day=?`
			args = append(args, f.Day.Int())
		}
		if !f.From.IsZero() {
			// a shift's figures up to a moment (so far); the shift index
			// has no time, and a shift is small
			q += ` AND at>=? AND at<?`
			args = append(args, ms(f.From), ms(f.To))
		}
	case !f.Day.IsZero():
		q += `INDEXED BY takings_store_day WHERE store_id=? AND business_day=?`
		args = append(args, f.StoreID, f.Day.Int())
	case f.StaffID != 0:
		q += `INDEXED BY takings_staff_at WHERE staff_id=? AND at>=? AND at<? AND store_id=?`
		args = append(args, f.StaffID, ms(f.From), ms(f.To), f.StoreID)
	default:
		q += `INDEXED BY takings_store_at WHERE store_id=? AND at>=? AND at<?`
		args = append(args, f.StoreID, ms(f.From), ms(f.To))
	}
	if f.StaffID != 0 && (f.ShiftID != 0 || !f.Day.IsZero()) {
		q += ` AND staff_id=?`
		args = append(args, f.StaffID)
	}
	q += ` GROUP BY kind, method`
	rows, err := db.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []summary.Row
	for rows.Next() {
		var r summary.Row
		var kind, method string
		if err := rows.Scan(&kind, &method, &r.Count, &r.Amount, &r.Discount); err != nil {
			return nil, err
		}
		r.Kind, r.Method = summary.Kind(kind), summary.Method(method)
		out = append(out, r)
	}
	return out, rows.Err()
}

// DepositsHeld implements summary.Store: deposits frozen before at and not
// settled before it — those still frozen, and those settled since — each
// found through its own small index, never a scan of the store's orders.
func (db *DB) DepositsHeld(ctx context.Context, storeID int64, at time.Time) (app.Money, int64, error) {
	var n, sum int64
	err := db.reader.QueryRowContext(ctx, `SELECT count(*), COALESCE(sum(x.amount),0) FROM (
			SELECT amount, order_id FROM deposit WHERE state='frozen' AND created_at < ?1
			UNION ALL
			SELECT amount, order_id FROM deposit WHERE settled_at >= ?1 AND created_at < ?1
		) x CROSS JOIN orders o ON o.id = x.order_id WHERE o.store_id=?2`, ms(at), storeID).Scan(&n, &sum)
	return app.Money(sum), n, err
}
