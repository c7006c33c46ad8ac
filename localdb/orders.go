package localdb

import (
	"cashier/app/sale"
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"cashier/app"
)

// ErrNotFound is returned when a looked-up row does not exist; Ref names
// what was looked for.
var ErrNotFound = app.NewError("db.not_found")

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func nullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid || v.Int64 == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64)
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// CreateOrder implements sale.Store: an open order and its lines, on the
// staff member's open shift.
func (db *DB) CreateOrder(ctx context.Context, o *app.Order) error {
	if err := checkOrder(o); err != nil {
		return err
	}
	st, err := db.writeStmts(ctx, &orderSQL)
	if err != nil {
		return err
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		shift, err := openShift(ctx, tx, o.StaffID)
		if err != nil {
			return err
		}
		o.ShiftID = shift
		return writeOrder(ctx, tx.StmtContext(ctx, st[0]), tx.StmtContext(ctx, st[1]), o)
	})
}

// orderSQL is an order's two inserts, prepared once on the writer.
var orderSQL = writeSQL{queries: []string{insertOrderSQL, insertLineSQL}}

const (
	insertOrderSQL = `INSERT INTO orders(order_no, store_id, terminal_id, staff_id, shift_id, kind, status,
		total, discount, non_discountable, deposit_part, payable, paid, refunded, note, created_at, paid_at,
		guest_room, guest_name, guest_phone)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`
	insertLineSQL = `INSERT INTO order_line(order_id, line_no, product_id, barcode, name, qty, unit_price, discount, amount)
		VALUES (?,?,?,?,?,?,?,?,?)`
)

func checkOrder(o *app.Order) error {
	if o.OrderNo == "" || o.Kind == "" || o.Status == "" {
		return app.ErrOrderInvalid
	}
	return nil
}

// InsertOrder writes o and its lines inside tx and sets o.ID.
func InsertOrder(ctx context.Context, tx *sql.Tx, o *app.Order) error {
	if err := checkOrder(o); err != nil {
		return err
	}
	order, err := tx.PrepareContext(ctx, insertOrderSQL)
	if err != nil {
		return err
	}
	defer order.Close()
	var line *sql.Stmt
	if len(o.Lines) > 0 {
		if line, err = tx.PrepareContext(ctx, insertLineSQL); err != nil {
			return err
		}
		defer line.Close()
	}
	return writeOrder(ctx, order, line, o)
}

// writeOrder writes o and its lines through the transaction's handles on
// insertOrderSQL and insertLineSQL (line may be nil for an order without
// lines), and sets o.ID.
func writeOrder(ctx context.Context, order, line *sql.Stmt, o *app.Order) error {
	res, err := order.ExecContext(ctx, o.OrderNo, o.StoreID, o.TerminalID, o.StaffID, nullID(o.ShiftID),
		string(o.Kind), string(o.Status), int64(o.Total), int64(o.Discount), int64(o.NonDiscountable),
		int64(o.DepositPart), int64(o.Payable), int64(o.Paid), int64(o.Refunded), o.Note, ms(o.CreatedAt), nullMS(o.PaidAt),
		o.Guest.Room, o.Guest.Name, o.Guest.Phone)
	if err != nil {
		return err
	}
	if o.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	for i, l := range o.Lines {
		no := l.LineNo
		if no == 0 {
			no = i + 1
		}
		if _, err := line.ExecContext(ctx, o.ID, no, nullID(l.ProductID), l.Barcode, l.Name, l.Qty,
			int64(l.UnitPrice), int64(l.Discount), int64(l.Amount)); err != nil {
			return err
		}
	}
	return nil
}

// AddOrderRefund records a finished refund on its order: a paid order
// becomes part_refunded or refunded; an open one being voided keeps its
// status until the void closes it. The CHECK constraint refuses refunding
// more than was paid.
func AddOrderRefund(ctx context.Context, tx *sql.Tx, orderID int64, amount app.Money) error {
	_, err := tx.ExecContext(ctx, `UPDATE orders SET refunded = refunded + ?,
		status = CASE WHEN status NOT IN ('paid','part_refunded') THEN status
		              WHEN refunded + ? >= paid THEN 'refunded' ELSE 'part_refunded' END WHERE id=?`,
		int64(amount), int64(amount), orderID)
	return err
}

// AddCashTender implements sale.Store.
func (db *DB) AddCashTender(ctx context.Context, t *app.Tender) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := orderDue(ctx, tx, t.OrderID, app.TenderCash, t.Amount); err != nil {
			return err
		}
		t.Kind, t.State, t.SettledAt = app.TenderCash, app.TenderPaid, t.CreatedAt
		if err := insertTender(ctx, tx, t); err != nil {
			return err
		}
		if err := recordTenderPaid(ctx, tx, t.ID); err != nil {
			return err
		}
		_, err := settleOrder(ctx, tx, t.OrderID, t.CreatedAt)
		return err
	})
}

// VoidOrder implements sale.Store.
func (db *DB) VoidOrder(ctx context.Context, orderID, staffID int64, at time.Time) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		var no, status string
		err := tx.QueryRowContext(ctx, `SELECT order_no, status FROM orders WHERE id=?`, orderID).Scan(&no, &status)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound.With("Ref", strconv.FormatInt(orderID, 10))
		}
		if err != nil {
			return err
		}
		if !app.OrderStatus(status).Open() {
			return app.ErrOrderNotOpen.With("OrderNo", no)
		}
		var pending, unrefunded int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tender WHERE order_id=? AND state='pending'`, orderID).Scan(&pending); err != nil {
			return err
		}
		if pending > 0 {
			return sale.ErrTenderPending
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tender t JOIN payment_intent i ON i.tender_id = t.id
			WHERE t.order_id=? AND t.kind='wallet' AND t.state='paid'
			AND (SELECT COALESCE(sum(amount),0) FROM refund r WHERE r.intent_id=i.id AND r.state='refunded') < t.amount`,
			orderID).Scan(&unrefunded); err != nil {
			return err
		}
		if unrefunded > 0 {
			return sale.ErrVoidNotDone
		}
		if err := recordCashReturned(ctx, tx, orderID, staffID, at); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tender SET state='returned', settled_at=? WHERE order_id=? AND state='paid'`,
			ms(at), orderID); err != nil {
			return err
		}
		// Everything paid has gone back: the wallet tenders by their refunds
		// (already counted in refunded), the cash over the counter now.
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET status='closed', refunded=paid WHERE id=?`, orderID); err != nil {
			return err
		}
		return InsertAudit(ctx, tx, app.AuditEntry{At: at, StaffID: staffID, Action: "void", Subject: no})
	})
}

const orderCols = `id, order_no, store_id, terminal_id, staff_id, shift_id, kind, status, total, discount,
	non_discountable, deposit_part, payable, paid, refunded, note, created_at, paid_at, guest_room, guest_name, guest_phone`

func scanOrder(sc interface{ Scan(...any) error }) (app.Order, error) {
	var o app.Order
	var shift sql.NullInt64
	var kind, status string
	var created int64
	var paidAt sql.NullInt64
	var total, discount, nd, dp, payable, paid, refunded int64
	err := sc.Scan(&o.ID, &o.OrderNo, &o.StoreID, &o.TerminalID, &o.StaffID, &shift, &kind, &status,
		&total, &discount, &nd, &dp, &payable, &paid, &refunded, &o.Note, &created, &paidAt,
		&o.Guest.Room, &o.Guest.Name, &o.Guest.Phone)
	if err != nil {
		return o, err
	}
	o.ShiftID = shift.Int64
	o.Kind, o.Status = app.OrderKind(kind), app.OrderStatus(status)
	o.Total, o.Discount, o.NonDiscountable, o.DepositPart = app.Money(total), app.Money(discount), app.Money(nd), app.Money(dp)
	o.Payable, o.Paid, o.Refunded = app.Money(payable), app.Money(paid), app.Money(refunded)
	o.CreatedAt = time.UnixMilli(created)
	o.PaidAt = fromMS(paidAt)
	return o, nil
}

// GetOrder loads an order with its lines and tenders by order number.
func (db *DB) GetOrder(ctx context.Context, orderNo string) (app.Order, error) {
	// One read transaction: the order, its lines and its tenders as of
	// one moment, never an open order beside a tender that paid it.
	tx, err := db.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return app.Order{}, err
	}
	defer tx.Rollback()
	o, err := scanOrder(tx.QueryRowContext(ctx, `SELECT `+orderCols+` FROM orders WHERE order_no=?`, orderNo))
	if errors.Is(err, sql.ErrNoRows) {
		return o, ErrNotFound.With("Ref", orderNo)
	}
	if err != nil {
		return o, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT line_no, COALESCE(product_id,0), barcode, name, qty, unit_price, discount, amount
		FROM order_line WHERE order_id=? ORDER BY line_no`, o.ID)
	if err != nil {
		return o, err
	}
	defer rows.Close()
	for rows.Next() {
		var l app.OrderLine
		var up, disc, amt int64
		if err := rows.Scan(&l.LineNo, &l.ProductID, &l.Barcode, &l.Name, &l.Qty, &up, &disc, &amt); err != nil {
			return o, err
		}
		l.UnitPrice, l.Discount, l.Amount = app.Money(up), app.Money(disc), app.Money(amt)
		o.Lines = append(o.Lines, l)
	}
	if err := rows.Err(); err != nil {
		return o, err
	}
	rows.Close()
	o.Tenders, err = tenders(ctx, tx, o.ID)
	return o, err
}

func tenders(ctx context.Context, tx *sql.Tx, orderID int64) ([]app.Tender, error) {
	rows, err := tx.QueryContext(ctx, `SELECT t.id, t.order_id, t.kind, t.wallet, t.amount, t.state, t.cash_received,
		COALESCE(i.out_trade_no,''), COALESCE(i.transaction_id,''), t.staff_id, COALESCE(t.shift_id,0), t.created_at, t.settled_at
		FROM tender t LEFT JOIN payment_intent i ON i.tender_id = t.id WHERE t.order_id=? ORDER BY t.id`, orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []app.Tender
	for rows.Next() {
		var t app.Tender
		var kind, wallet, state string
		var amount, received, created int64
		var settled sql.NullInt64
		if err := rows.Scan(&t.ID, &t.OrderID, &kind, &wallet, &amount, &state, &received, &t.OutTradeNo, &t.TransactionID,
			&t.StaffID, &t.ShiftID, &created, &settled); err != nil {
			return nil, err
		}
		t.Kind, t.Wallet, t.State = app.TenderKind(kind), app.Wallet(wallet), app.TenderState(state)
		t.Amount, t.CashReceived = app.Money(amount), app.Money(received)
		t.CreatedAt, t.SettledAt = time.UnixMilli(created), fromMS(settled)
		out = append(out, t)
	}
	return out, rows.Err()
}

// CountOrders counts orders (used by checks and tests).
func (db *DB) CountOrders(ctx context.Context) (int, error) {
	var n int
	err := db.reader.QueryRowContext(ctx, `SELECT count(*) FROM orders`).Scan(&n)
	return n, err
}
