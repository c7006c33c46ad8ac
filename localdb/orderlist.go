package localdb

import (
	"context"
	"strings"
	"time"

	"cashier/app"
	"cashier/app/summary"
)

// OrderListRow is one order in a list of the store's orders: what the
// store's transactions view shows, without the lines.
type OrderListRow struct {
	Order     app.Order // without Lines and Tenders
	StaffName string
	// Methods are the payment methods of the order's tenders that paid,
	// are being paid or were handed back, in the order they were taken.
	Methods []summary.Method
}

// MaxOrderList bounds one list: a week of a busy store (a thousand
// orders a day and more) fits; a longer range is a report's work.
const MaxOrderList = 20000

// storeOrdersQuery reads the orders_store_time index for the range, in
// its order (the index ends in the row id, so no sort is needed), and each
// order's tenders through tender_order.
const storeOrdersQuery = `SELECT o.id, o.order_no, o.store_id, o.terminal_id, o.staff_id, o.shift_id, o.kind, o.status,
	o.total, o.discount, o.non_discountable, o.deposit_part, o.payable, o.paid, o.refunded, o.note, o.created_at, o.paid_at, o.guest_room, o.guest_name, o.guest_phone,
	COALESCE(s.name, ''),
	COALESCE((SELECT group_concat(m, ',') FROM (
		SELECT CASE WHEN t.kind = 'cash' THEN 'cash' WHEN t.kind = 'member' OR t.wallet = 'member' THEN 'member'
		            WHEN t.wallet IN ('alipay','unionpay') THEN t.wallet ELSE 'wechat' END AS m
		FROM tender t WHERE t.order_id = o.id AND t.state IN ('paid','pending','returned') ORDER BY t.id)), '')
	FROM orders o LEFT JOIN staff s ON s.id = o.staff_id
	WHERE o.store_id = ? AND o.created_at >= ? AND o.created_at < ?
	ORDER BY o.created_at DESC, o.id DESC LIMIT ?`

// StoreOrders lists the store's orders created in [from, to), newest
// first, at most MaxOrderList.
func (db *DB) StoreOrders(ctx context.Context, storeID int64, from, to time.Time) ([]OrderListRow, error) {
	rows, err := db.reader.QueryContext(ctx, storeOrdersQuery,
		storeID, ms(from), ms(to), MaxOrderList)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OrderListRow
	for rows.Next() {
		var r OrderListRow
		var methods string
		o, err := scanOrder(extraScan{rows, []any{&r.StaffName, &methods}})
		if err != nil {
			return nil, err
		}
		r.Order = o
		seen := map[summary.Method]bool{}
		for _, m := range strings.Split(methods, ",") {
			if m != "" && !seen[summary.Method(m)] {
				seen[summary.Method(m)] = true
				r.Methods = append(r.Methods, summary.Method(m))
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// extraScan lets scanOrder read a row that has more columns after the
// order's.
type extraScan struct {
	sc    interface{ Scan(...any) error }
	extra []any
}

func (e extraScan) Scan(dest ...any) error { return e.sc.Scan(append(dest, e.extra...)...) }
