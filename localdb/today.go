package localdb

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"cashier/app/summary"
)

// terminalOrdersQuery is the store's list narrowed to one terminal: the
// same columns and payment methods, read through the same
// orders(store_id, created_at) range. A day of a store is a few thousand
// rows at most, so filtering the terminal on the way costs less than the
// extra index page every sale would write for an index of its own.
var terminalOrdersQuery = func() string {
	q := strings.Replace(storeOrdersQuery,
		"WHERE o.store_id = ? AND o.created_at >= ? AND o.created_at < ?",
		"WHERE o.store_id = ? AND o.created_at >= ? AND o.created_at < ? AND o.terminal_id = ?", 1)
	if q == storeOrdersQuery {
		panic("localdb: the store's order list changed; terminalOrdersQuery must follow it")
	}
	return q
}()

// TerminalOrders lists the orders one terminal of the store created in
// [from, to), newest first, at most MaxOrderList: the Today view
// (今日订单) of that terminal.
func (db *DB) TerminalOrders(ctx context.Context, storeID, terminalID int64, from, to time.Time) ([]OrderListRow, error) {
	return db.orderList(ctx, terminalOrdersQuery, storeID, ms(from), ms(to), terminalID, MaxOrderList)
}

// orderList reads rows of the store's list shape (storeOrdersQuery's
// columns).
func (db *DB) orderList(ctx context.Context, q string, args ...any) ([]OrderListRow, error) {
	rows, err := db.reader.QueryContext(ctx, q, args...)
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
		r.Methods = methodList(methods)
		out = append(out, r)
	}
	return out, rows.Err()
}

// lastPaidQuery finds the terminal's most recently paid order among those
// created since a time: the created_at range keeps it on
// orders(store_id, created_at) (a sort of that range by paid_at is small),
// and paid_at, not created_at, decides which came last — a held order
// resumed and paid after a newer one was is the last receipt.
const lastPaidQuery = `SELECT order_no FROM orders
	WHERE store_id = ? AND created_at >= ? AND terminal_id = ? AND status IN ('paid','part_refunded','refunded')
	ORDER BY paid_at DESC, id DESC LIMIT 1`

// LastPaidOrder is the number of the order of this store and terminal
// that was paid last among those created since since; "" when there is
// none.
func (db *DB) LastPaidOrder(ctx context.Context, storeID, terminalID int64, since time.Time) (string, error) {
	var no string
	err := db.reader.QueryRowContext(ctx, lastPaidQuery, storeID, ms(since), terminalID).Scan(&no)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return no, err
}

// methodList reads the comma-separated payment methods of a list row,
// each once, in the order they were taken.
func methodList(s string) []summary.Method {
	var out []summary.Method
	for _, m := range strings.Split(s, ",") {
		if m != "" && !slices.Contains(out, summary.Method(m)) {
			out = append(out, summary.Method(m))
		}
	}
	return out
}
