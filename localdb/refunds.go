package localdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"cashier/app"
	"cashier/app/payment"
	"cashier/app/sale"
	"cashier/app/summary"
)

// Refunds at the counter (退款单, migration 0011): sale.RefundStore.

var _ sale.RefundStore = (*DB)(nil)

// OrdersEndingWith implements sale.RefundStore: the store's orders since
// a moment whose number ends with suffix, newest first. It reads the
// store's range of orders_store_time (a week of one store's orders) and
// compares the numbers' ends there.
func (db *DB) OrdersEndingWith(ctx context.Context, storeID int64, suffix string, since time.Time, limit int) ([]app.Order, error) {
	if suffix == "" || limit <= 0 {
		return nil, nil
	}
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(suffix)
	rows, err := db.reader.QueryContext(ctx, `SELECT `+orderCols+` FROM orders INDEXED BY orders_store_time
		WHERE store_id=? AND created_at>=? AND order_no LIKE ? ESCAPE '\' ORDER BY created_at DESC, id DESC LIMIT ?`,
		storeID, ms(since), "%"+esc, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []app.Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// RefundHistory implements sale.RefundStore.
func (db *DB) RefundHistory(ctx context.Context, orderID int64) (sale.RefundHistory, error) {
	tx, err := db.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return sale.RefundHistory{}, err
	}
	defer tx.Rollback()
	h, err := refundHistory(ctx, tx, orderID)
	if err != nil {
		return h, err
	}
	h.Refunds, err = orderRefunds(ctx, tx, `WHERE r.order_id=?`, orderID)
	return h, err
}

// refundHistory reads what an order's refunds took: the quantities of its
// lines, and per tender what went back, is on its way or waits for a
// person. Every channel refund of a wallet tender counts by its state (the
// counter's and one made elsewhere); a wallet part no channel refund
// carries now (not sent yet, or its last failed) is owed and counts as on
// its way; a cash part went back when it was written.
func refundHistory(ctx context.Context, q querier, orderID int64) (sale.RefundHistory, error) {
	h := sale.RefundHistory{Lines: map[int]int64{}, Tenders: map[int64]sale.TenderRefunds{}}
	rows, err := q.QueryContext(ctx, `SELECT l.line_no, sum(l.qty) FROM order_refund_line l
		JOIN order_refund r ON r.id = l.refund_id WHERE r.order_id=? GROUP BY l.line_no`, orderID)
	if err != nil {
		return h, err
	}
	for rows.Next() {
		var no int
		var qty int64
		if err := rows.Scan(&no, &qty); err != nil {
			rows.Close()
			return h, err
		}
		h.Lines[no] = qty
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return h, err
	}
	add := func(tenderID int64, f func(*sale.TenderRefunds)) {
		t := h.Tenders[tenderID]
		f(&t)
		h.Tenders[tenderID] = t
	}
	rows, err = q.QueryContext(ctx, `SELECT i.tender_id, r.state, r.amount FROM refund r JOIN payment_intent i ON i.id = r.intent_id
		WHERE r.order_id=? AND i.tender_id IS NOT NULL`, orderID)
	if err != nil {
		return h, err
	}
	for rows.Next() {
		var tid, amount int64
		var state string
		if err := rows.Scan(&tid, &state, &amount); err != nil {
			rows.Close()
			return h, err
		}
		m := app.Money(amount)
		switch payment.RefundState(state) {
		case payment.RefundFailed:
		case payment.RefundRefunded:
			add(tid, func(t *sale.TenderRefunds) { t.Done += m })
		case payment.RefundManual:
			add(tid, func(t *sale.TenderRefunds) { t.Manual += m })
		default:
			add(tid, func(t *sale.TenderRefunds) { t.Pending += m })
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return h, err
	}
	rows, err = q.QueryContext(ctx, `SELECT p.tender_id, t.kind, p.amount, COALESCE(cr.state, '') FROM order_refund_part p
		JOIN order_refund o ON o.id = p.refund_id JOIN tender t ON t.id = p.tender_id
		LEFT JOIN refund cr ON cr.id = p.channel_refund_id WHERE o.order_id=?`, orderID)
	if err != nil {
		return h, err
	}
	defer rows.Close()
	for rows.Next() {
		var tid, amount int64
		var kind, state string
		if err := rows.Scan(&tid, &kind, &amount, &state); err != nil {
			return h, err
		}
		m := app.Money(amount)
		switch {
		case app.TenderKind(kind) == app.TenderCash:
			add(tid, func(t *sale.TenderRefunds) { t.Done += m })
		case state == "" || payment.RefundState(state) == payment.RefundFailed:
			add(tid, func(t *sale.TenderRefunds) { t.Pending += m })
		}
	}
	return h, rows.Err()
}

// orderInTx loads an order with its lines and tenders inside tx.
func orderInTx(ctx context.Context, tx *sql.Tx, orderID int64) (app.Order, error) {
	o, err := scanOrder(tx.QueryRowContext(ctx, `SELECT `+orderCols+` FROM orders WHERE id=?`, orderID))
	if errors.Is(err, sql.ErrNoRows) {
		return o, ErrNotFound.With("Ref", strconv.FormatInt(orderID, 10))
	}
	if err != nil {
		return o, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT line_no, COALESCE(product_id,0), barcode, name, qty, unit_price, discount, amount
		FROM order_line WHERE order_id=? ORDER BY line_no`, o.ID)
	if err != nil {
		return o, err
	}
	for rows.Next() {
		var l app.OrderLine
		var up, disc, amt int64
		if err := rows.Scan(&l.LineNo, &l.ProductID, &l.Barcode, &l.Name, &l.Qty, &up, &disc, &amt); err != nil {
			rows.Close()
			return o, err
		}
		l.UnitPrice, l.Discount, l.Amount = app.Money(up), app.Money(disc), app.Money(amt)
		o.Lines = append(o.Lines, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return o, err
	}
	o.Tenders, err = tenders(ctx, tx, o.ID)
	return o, err
}

// WriteRefund implements sale.RefundStore.
func (db *DB) WriteRefund(ctx context.Context, ask sale.RefundAsk, r *sale.OrderRefund, audit app.AuditEntry) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		o, err := orderInTx(ctx, tx, r.OrderID)
		if err != nil {
			return err
		}
		h, err := refundHistory(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		fresh, err := sale.PlanRefund(o, h, ask)
		if err != nil {
			return err
		}
		if !fresh.Matches(*r) {
			return sale.ErrRefundChanged
		}
		shiftID, err := openShift(ctx, tx, r.StaffID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO order_refund(refund_no, order_id, amount, whole, reason, staff_id, approved_by,
			shift_id, terminal_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
			r.RefundNo, o.ID, int64(r.Amount), r.Whole, r.Reason, r.StaffID, nullID(r.ApprovedBy), nullID(shiftID),
			nullID(r.TerminalID), ms(r.CreatedAt))
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		for _, l := range r.Lines {
			if _, err := tx.ExecContext(ctx, `INSERT INTO order_refund_line(refund_id, line_no, qty, amount) VALUES (?,?,?,?)`,
				id, l.LineNo, l.Qty, int64(l.Amount)); err != nil {
				return err
			}
		}
		parts := append([]sale.RefundPart(nil), r.Parts...)
		for i := range parts {
			p := &parts[i]
			res, err := tx.ExecContext(ctx, `INSERT INTO order_refund_part(refund_id, tender_id, amount) VALUES (?,?,?)`,
				id, p.TenderID, int64(p.Amount))
			if err != nil {
				return err
			}
			if p.ID, err = res.LastInsertId(); err != nil {
				return err
			}
			if p.Kind == app.TenderCash {
				if err := cashRefund(ctx, tx, o, *r, p); err != nil {
					return err
				}
			}
		}
		if err := InsertAudit(ctx, tx, audit); err != nil {
			return err
		}
		r.ID, r.ShiftID, r.Parts = id, shiftID, parts
		return nil
	})
}

// cashRefund hands a cash part back inside the refund's transaction: the
// cash refund, its row of the takings journal (with the share of its
// tender's discount it carries back, cumulatively as a wallet refund
// does), and the order's refunded amount and status.
//
// The cash comes out of the drawer of the person's shift. Someone on no
// shift (a manager, who may refund off shift) has no drawer of their own:
// it comes out of the drawer of whoever is clocked on at this terminal,
// else it lands on no shift (the store's and the day's figures still have
// it).
func cashRefund(ctx context.Context, tx *sql.Tx, o app.Order, r sale.OrderRefund, p *sale.RefundPart) error {
	shiftID, err := shiftNow(ctx, tx, r.StaffID, o.StoreID)
	if err != nil {
		return err
	}
	if shiftID == 0 && r.TerminalID != 0 {
		err := tx.QueryRowContext(ctx, `SELECT id FROM shift WHERE terminal_id=? AND store_id=? AND ended_at IS NULL
			ORDER BY started_at DESC LIMIT 1`, r.TerminalID, o.StoreID).Scan(&shiftID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	var tenderAmount, tenderDiscount, before int64
	if err := tx.QueryRowContext(ctx, `SELECT amount, discount, (SELECT COALESCE(sum(amount),0) FROM cash_refund WHERE tender_id=t.id)
		FROM tender t WHERE id=? AND kind='cash' AND state='paid'`, p.TenderID).Scan(&tenderAmount, &tenderDiscount, &before); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO cash_refund(part_id, order_id, tender_id, amount, staff_id, approved_by, shift_id, created_at)
		VALUES (?,?,?,?,?,?,?,?)`, p.ID, o.ID, p.TenderID, int64(p.Amount), r.StaffID, nullID(r.ApprovedBy), nullID(shiftID), ms(r.CreatedAt))
	if err != nil {
		return err
	}
	cashID, err := res.LastInsertId()
	if err != nil {
		return err
	}
	t := taking{kind: summary.KindRefund, ref: "cash_refund:" + strconv.FormatInt(cashID, 10), storeID: o.StoreID,
		staffID: r.StaffID, shiftID: shiftID, orderID: o.ID, method: summary.MethodCash, amount: int64(p.Amount), at: r.CreatedAt}
	if tenderAmount > 0 && tenderDiscount > 0 {
		after := min(before+t.amount, tenderAmount)
		t.discount = after*tenderDiscount/tenderAmount - min(before, tenderAmount)*tenderDiscount/tenderAmount
	}
	if err := recordTaking(ctx, tx, t); err != nil {
		return err
	}
	p.State = sale.PartDone
	return AddOrderRefund(ctx, tx, o.ID, p.Amount)
}

// LinkRefundPart implements sale.RefundStore: the channel refund must be
// of the part's tender and amount, and the part must not be carried by a
// refund that has not failed.
func (db *DB) LinkRefundPart(ctx context.Context, partID int64, outRefundNo string) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		var refundID int64
		err := tx.QueryRowContext(ctx, `SELECT r.id FROM refund r JOIN payment_intent i ON i.id = r.intent_id
			JOIN order_refund_part p ON p.tender_id = i.tender_id AND p.amount = r.amount
			WHERE r.out_refund_no=? AND p.id=?`, outRefundNo, partID).Scan(&refundID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound.With("Ref", outRefundNo)
		}
		if err != nil {
			return err
		}
		return linkPart(ctx, tx, partID, refundID)
	})
}

func linkPart(ctx context.Context, tx *sql.Tx, partID, refundID int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE order_refund_part SET channel_refund_id=?
		WHERE id=? AND (channel_refund_id IS NULL OR channel_refund_id=?1
		                OR (SELECT state FROM refund WHERE id = order_refund_part.channel_refund_id)='failed')`,
		refundID, partID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("refund part %d: carried by a refund that has not failed", partID)
	}
	return nil
}

// AdoptRefundPart implements sale.RefundStore.
func (db *DB) AdoptRefundPart(ctx context.Context, partID int64) (string, error) {
	var no string
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var tenderID, amount, created int64
		var linked sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT p.tender_id, p.amount, o.created_at, cr.out_refund_no FROM order_refund_part p
			JOIN order_refund o ON o.id = p.refund_id LEFT JOIN refund cr ON cr.id = p.channel_refund_id AND cr.state != 'failed'
			WHERE p.id=?`, partID).Scan(&tenderID, &amount, &created, &linked)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound.With("Ref", strconv.FormatInt(partID, 10))
		}
		if err != nil {
			return err
		}
		if linked.Valid {
			no = linked.String
			return nil
		}
		var refundID int64
		err = tx.QueryRowContext(ctx, `SELECT r.id, r.out_refund_no FROM refund r JOIN payment_intent i ON i.id = r.intent_id
			WHERE i.tender_id=? AND r.amount=? AND r.created_at>=? AND r.state != 'failed'
			AND NOT EXISTS (SELECT 1 FROM order_refund_part p WHERE p.channel_refund_id = r.id)
			ORDER BY r.id LIMIT 1`, tenderID, amount, created).Scan(&refundID, &no)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		return linkPart(ctx, tx, partID, refundID)
	})
	return no, err
}

// GetOrderRefund implements sale.RefundStore.
func (db *DB) GetOrderRefund(ctx context.Context, refundNo string) (sale.OrderRefund, error) {
	tx, err := db.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return sale.OrderRefund{}, err
	}
	defer tx.Rollback()
	rs, err := orderRefunds(ctx, tx, `WHERE r.refund_no=?`, refundNo)
	if err != nil {
		return sale.OrderRefund{}, err
	}
	if len(rs) == 0 {
		return sale.OrderRefund{}, ErrNotFound.With("Ref", refundNo)
	}
	return rs[0], nil
}

// orderRefunds reads refunds at the counter with their lines and parts,
// oldest first.
func orderRefunds(ctx context.Context, q querier, where string, args ...any) ([]sale.OrderRefund, error) {
	rows, err := q.QueryContext(ctx, `SELECT r.id, r.refund_no, r.order_id, o.order_no, r.amount, r.whole, r.reason,
		r.staff_id, s.name, COALESCE(r.approved_by,0), COALESCE(a.name,''), COALESCE(r.shift_id,0), COALESCE(r.terminal_id,0), r.created_at
		FROM order_refund r JOIN orders o ON o.id = r.order_id JOIN staff s ON s.id = r.staff_id
		LEFT JOIN staff a ON a.id = r.approved_by `+where+` ORDER BY r.id`, args...)
	if err != nil {
		return nil, err
	}
	var out []sale.OrderRefund
	index := map[int64]int{}
	for rows.Next() {
		var r sale.OrderRefund
		var amount, created int64
		if err := rows.Scan(&r.ID, &r.RefundNo, &r.OrderID, &r.OrderNo, &amount, &r.Whole, &r.Reason, &r.StaffID, &r.StaffName,
			&r.ApprovedBy, &r.ApprovedByName, &r.ShiftID, &r.TerminalID, &created); err != nil {
			rows.Close()
			return nil, err
		}
		r.Amount, r.CreatedAt = app.Money(amount), time.UnixMilli(created)
		index[r.ID] = len(out)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	ids := make([]string, 0, len(out))
	for _, r := range out {
		ids = append(ids, strconv.FormatInt(r.ID, 10))
	}
	in := "(" + strings.Join(ids, ",") + ")" // integers read from the table: no quoting needed
	rows, err = q.QueryContext(ctx, `SELECT l.refund_id, l.line_no, COALESCE(ol.name,''), l.qty, l.amount FROM order_refund_line l
		JOIN order_refund r ON r.id = l.refund_id LEFT JOIN order_line ol ON ol.order_id = r.order_id AND ol.line_no = l.line_no
		WHERE l.refund_id IN `+in+` ORDER BY l.refund_id, l.line_no`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var rid, amount int64
		var l sale.RefundedLine
		if err := rows.Scan(&rid, &l.LineNo, &l.Name, &l.Qty, &amount); err != nil {
			rows.Close()
			return nil, err
		}
		l.Amount = app.Money(amount)
		r := &out[index[rid]]
		r.Lines = append(r.Lines, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT p.id, p.refund_id, p.tender_id, t.kind, t.wallet, COALESCE(i.out_trade_no,''), p.amount,
		COALESCE(cr.out_refund_no,''), COALESCE(cr.state,''), COALESCE(cr.refund_id,'')
		FROM order_refund_part p JOIN tender t ON t.id = p.tender_id LEFT JOIN payment_intent i ON i.tender_id = t.id
		LEFT JOIN refund cr ON cr.id = p.channel_refund_id WHERE p.refund_id IN `+in+` ORDER BY p.refund_id, p.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var rid, amount int64
		var p sale.RefundPart
		var kind, wallet, state string
		if err := rows.Scan(&p.ID, &rid, &p.TenderID, &kind, &wallet, &p.OutTradeNo, &amount, &p.OutRefundNo, &state, &p.RefundID); err != nil {
			return nil, err
		}
		p.Kind, p.Wallet, p.Amount = app.TenderKind(kind), app.Wallet(wallet), app.Money(amount)
		p.RefundState = payment.RefundState(state)
		p.State = sale.PartStateOf(p.RefundState)
		if p.Kind == app.TenderCash {
			p.State = sale.PartDone
		}
		r := &out[index[rid]]
		r.Parts = append(r.Parts, p)
	}
	return out, rows.Err()
}
