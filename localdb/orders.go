package localdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cashier/app"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("未找到 / not found")

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

// InsertOrder writes o and its lines inside tx and sets o.ID.
func InsertOrder(ctx context.Context, tx *sql.Tx, o *app.Order) error {
	if o.OrderNo == "" || o.Kind == "" || o.Status == "" {
		return fmt.Errorf("%w: 缺少订单号/类型/状态 / missing number, kind or status", app.ErrOrderInvalid)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO orders(order_no, store_id, terminal_id, staff_id, shift_id, kind, status,
		total, discount, non_discountable, deposit_part, payable, paid, refunded, note, created_at, paid_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		o.OrderNo, o.StoreID, o.TerminalID, o.StaffID, nullID(o.ShiftID), string(o.Kind), string(o.Status),
		int64(o.Total), int64(o.Discount), int64(o.NonDiscountable), int64(o.DepositPart), int64(o.Payable),
		int64(o.Paid), int64(o.Refunded), o.Note, ms(o.CreatedAt), nullMS(o.PaidAt))
	if err != nil {
		return err
	}
	if o.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	if len(o.Lines) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO order_line(order_id, line_no, product_id, barcode, name, qty, unit_price, discount, amount)
		VALUES (?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i, l := range o.Lines {
		no := l.LineNo
		if no == 0 {
			no = i + 1
		}
		if _, err := stmt.ExecContext(ctx, o.ID, no, nullID(l.ProductID), l.Barcode, l.Name, l.Qty,
			int64(l.UnitPrice), int64(l.Discount), int64(l.Amount)); err != nil {
			return err
		}
	}
	return nil
}

// SetOrderStatus moves an order to status, recording what was paid and when.
func SetOrderStatus(ctx context.Context, tx *sql.Tx, orderID int64, status app.OrderStatus, paid app.Money, paidAt time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE orders SET status=?, paid=?, paid_at=COALESCE(?, paid_at) WHERE id=?`,
		string(status), int64(paid), nullMS(paidAt), orderID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("order %d: %w", orderID, ErrNotFound)
	}
	return nil
}

// AddOrderRefund records a finished refund on its order (status becomes
// part_refunded or refunded). The CHECK constraint refuses refunding more
// than was paid.
func AddOrderRefund(ctx context.Context, tx *sql.Tx, orderID int64, amount app.Money) error {
	_, err := tx.ExecContext(ctx, `UPDATE orders SET refunded = refunded + ?,
		status = CASE WHEN refunded + ? >= paid THEN 'refunded' ELSE 'part_refunded' END WHERE id=?`,
		int64(amount), int64(amount), orderID)
	return err
}

const orderCols = `id, order_no, store_id, terminal_id, staff_id, shift_id, kind, status, total, discount,
	non_discountable, deposit_part, payable, paid, refunded, note, created_at, paid_at`

func scanOrder(sc interface{ Scan(...any) error }) (app.Order, error) {
	var o app.Order
	var shift sql.NullInt64
	var kind, status string
	var created int64
	var paidAt sql.NullInt64
	var total, discount, nd, dp, payable, paid, refunded int64
	err := sc.Scan(&o.ID, &o.OrderNo, &o.StoreID, &o.TerminalID, &o.StaffID, &shift, &kind, &status,
		&total, &discount, &nd, &dp, &payable, &paid, &refunded, &o.Note, &created, &paidAt)
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

// GetOrder loads an order with its lines by order number.
func (db *DB) GetOrder(ctx context.Context, orderNo string) (app.Order, error) {
	o, err := scanOrder(db.reader.QueryRowContext(ctx, `SELECT `+orderCols+` FROM orders WHERE order_no=?`, orderNo))
	if errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("订单 %s / order %s: %w", orderNo, orderNo, ErrNotFound)
	}
	if err != nil {
		return o, err
	}
	rows, err := db.reader.QueryContext(ctx, `SELECT line_no, COALESCE(product_id,0), barcode, name, qty, unit_price, discount, amount
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
	return o, rows.Err()
}

// CountOrders counts orders (used by checks and tests).
func (db *DB) CountOrders(ctx context.Context) (int, error) {
	var n int
	err := db.reader.QueryRowContext(ctx, `SELECT count(*) FROM orders`).Scan(&n)
	return n, err
}
