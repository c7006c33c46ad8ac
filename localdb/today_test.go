package localdb_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/summary"
	"cashier/localdb"
)

// otherTerminal adds a second till to the fixture's store and returns its id.
func (w *takingsWorld) otherTerminal() int64 {
	return w.exec(`INSERT INTO terminal(store_id, code, name, created_at) VALUES (?,?,?,?)`,
		w.term.StoreID, "T2-"+w.no("c"), "2号收银台", w.now.UnixMilli())
}

// openOn writes an open order on terminal at at.
func (w *takingsWorld) openOn(terminal int64, total app.Money, at time.Time) app.Order {
	o := app.Order{OrderNo: w.no("O"), StoreID: w.term.StoreID, TerminalID: terminal, StaffID: w.people["1002"].ID,
		Kind: app.OrderSale, Status: app.OrderOpen, Total: total, Payable: total, CreatedAt: at}
	require.NoError(w.t, w.db.CreateOrder(context.Background(), &o))
	return o
}

// A terminal's orders of a day: only its own, only that day, newest
// first, each with its payment methods (once each, in the order taken).
func TestTerminalOrders_OnlyThisTerminalsDay(t *testing.T) {
	w := newTakingsWorld(t)
	ctx := context.Background()
	other := w.otherTerminal()
	before := w.openOn(w.term.ID, 100, local(20, 23, 59))
	mine := w.openOn(w.term.ID, 1250, local(21, 9, 0))
	w.cash("1002", mine, 1000, local(21, 9, 0))
	w.wallet("1002", mine, app.WalletAlipay, 250, local(21, 9, 1))
	theirs := w.openOn(other, 800, local(21, 10, 0))
	w.cash("1002", theirs, 800, local(21, 10, 0))
	open := w.openOn(w.term.ID, 300, local(21, 11, 0))
	after := w.openOn(w.term.ID, 100, local(22, 0, 0))

	rows, err := w.db.TerminalOrders(ctx, w.term.StoreID, w.term.ID, local(21, 0, 0), local(22, 0, 0))
	require.NoError(t, err)
	var nos []string
	for _, r := range rows {
		nos = append(nos, r.Order.OrderNo)
	}
	require.Equal(t, []string{open.OrderNo, mine.OrderNo}, nos,
		"%s is another till's, %s and %s another day's", theirs.OrderNo, before.OrderNo, after.OrderNo)
	require.Equal(t, app.OrderOpen, rows[0].Order.Status)
	require.Empty(t, rows[0].Methods)
	require.Equal(t, app.OrderPaid, rows[1].Order.Status)
	require.Equal(t, []summary.Method{summary.MethodCash, summary.MethodAlipay}, rows[1].Methods)
	require.Equal(t, "李娜", rows[1].StaffName)

	theirRows, err := w.db.TerminalOrders(ctx, w.term.StoreID, other, local(21, 0, 0), local(22, 0, 0))
	require.NoError(t, err)
	require.Len(t, theirRows, 1)
	require.Equal(t, theirs.OrderNo, theirRows[0].Order.OrderNo)

	none, err := w.db.TerminalOrders(ctx, w.term.StoreID+1, w.term.ID, local(21, 0, 0), local(22, 0, 0))
	require.NoError(t, err)
	require.Empty(t, none, "the terminal's orders are looked for in its store")
}

// The last receipt is the order paid last (not the one opened last) on
// this terminal; open orders, other tills' orders and orders created
// before the window do not count.
func TestLastPaidOrder_PaidLastOnThisTerminal(t *testing.T) {
	w := newTakingsWorld(t)
	ctx := context.Background()
	other := w.otherTerminal()
	last := func(since time.Time) string {
		no, err := w.db.LastPaidOrder(ctx, w.term.StoreID, w.term.ID, since)
		require.NoError(t, err)
		return no
	}
	require.Empty(t, last(local(1, 0, 0)), "nothing paid yet")

	old := w.openOn(w.term.ID, 500, local(20, 8, 0))
	w.cash("1002", old, 500, local(20, 8, 0))
	require.Equal(t, old.OrderNo, last(local(20, 0, 0)))
	require.Empty(t, last(local(20, 8, 1)), "created before the window")
	held := w.openOn(w.term.ID, 700, local(21, 9, 0)) // held, paid after the next one
	next := w.openOn(w.term.ID, 900, local(21, 9, 5))
	w.cash("1002", next, 900, local(21, 9, 6))
	require.Equal(t, next.OrderNo, last(local(20, 9, 0)))
	w.cash("1002", held, 700, local(21, 9, 10))
	require.Equal(t, held.OrderNo, last(local(20, 9, 0)), "the one paid last, though opened first")

	theirs := w.openOn(other, 100, local(21, 9, 20))
	w.cash("1002", theirs, 100, local(21, 9, 20))
	w.openOn(w.term.ID, 100, local(21, 9, 30)) // still open: no receipt
	require.Equal(t, held.OrderNo, last(local(20, 9, 0)))

	require.Empty(t, last(local(22, 0, 0)), "nothing created since")
}

// Both read the orders(store_id, created_at) range; the list needs no sort.
func TestTodayQueries_Plan(t *testing.T) {
	w := newTakingsWorld(t)
	for _, c := range []struct {
		q      string
		args   []any
		sorted bool
	}{
		{localdb.TerminalOrdersQuery, []any{1, 0, 1, 1, localdb.MaxOrderList}, false},
		{localdb.LastPaidQuery, []any{1, 0, 1}, true},
	} {
		rows, err := w.db.Read().Query(`EXPLAIN QUERY PLAN `+c.q, c.args...)
		require.NoError(t, err)
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
			plan = append(plan, detail)
		}
		require.NoError(t, rows.Err())
		rows.Close()
		all := strings.Join(plan, "\n")
		require.Contains(t, all, "orders_store_time", all)
		if !c.sorted {
			require.NotContains(t, all, "TEMP B-TREE", all)
		}
	}
}
