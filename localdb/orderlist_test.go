package localdb_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/summary"
	"cashier/localdb"
)

// The store's orders of a day, newest first, with who took them and how
// they were paid; orders outside the range or of another store are left
// out, and the range is read through orders(store_id, created_at).
func TestStoreOrders_DayNewestFirstWithMethodsAndStaff(t *testing.T) {
	w := newTakingsWorld(t)
	ctx := context.Background()
	before := w.open("1002", w.term.StoreID, app.OrderSale, 100, 0, local(20, 23, 59))
	cash := w.open("1002", w.term.StoreID, app.OrderSale, 1250, 0, local(21, 9, 0))
	w.cash("1002", cash, 1250, local(21, 9, 0))
	mixed := w.open("1001", w.term.StoreID, app.OrderSale, 5000, 0, local(21, 12, 0))
	w.wallet("1001", mixed, app.WalletAlipay, 3000, local(21, 12, 1))
	w.cash("1001", mixed, 2000, local(21, 12, 2))
	open := w.open("1003", w.term.StoreID, app.OrderDeposit, 50000, 0, local(21, 18, 0))
	after := w.open("1002", w.term.StoreID, app.OrderSale, 100, 0, local(22, 0, 0))

	rows, err := w.db.StoreOrders(ctx, w.term.StoreID, local(21, 0, 0), local(22, 0, 0))
	require.NoError(t, err)
	var nos []string
	for _, r := range rows {
		nos = append(nos, r.Order.OrderNo)
	}
	require.Equal(t, []string{open.OrderNo, mixed.OrderNo, cash.OrderNo}, nos, "newest first; %s and %s are outside the day", before.OrderNo, after.OrderNo)

	require.Equal(t, "张伟", rows[0].StaffName)
	require.Equal(t, app.OrderDeposit, rows[0].Order.Kind)
	require.Equal(t, app.OrderOpen, rows[0].Order.Status)
	require.Empty(t, rows[0].Methods)

	require.Equal(t, "王店长", rows[1].StaffName)
	require.Equal(t, []summary.Method{summary.MethodAlipay, summary.MethodCash}, rows[1].Methods)
	require.Equal(t, app.OrderPaid, rows[1].Order.Status)
	require.Equal(t, app.Money(5000), rows[1].Order.Paid)

	require.Equal(t, "李娜", rows[2].StaffName)
	require.Equal(t, []summary.Method{summary.MethodCash}, rows[2].Methods)
	require.True(t, rows[2].Order.CreatedAt.Equal(local(21, 9, 0)))

	other, err := w.db.StoreOrders(ctx, w.term.StoreID+1, local(21, 0, 0), local(22, 0, 0))
	require.NoError(t, err)
	require.Empty(t, other)
}

// The list reads the range on the store-and-time index and needs no sort.
func TestStoreOrders_Plan(t *testing.T) {
	w := newTakingsWorld(t)
	rows, err := w.db.Read().Query(`EXPLAIN QUERY PLAN `+localdb.StoreOrdersQuery, 1, 0, 1, localdb.MaxOrderList)
	require.NoError(t, err)
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		plan = append(plan, detail)
	}
	all := strings.Join(plan, "\n")
	require.Contains(t, all, "orders_store_time", all)
	require.NotContains(t, all, "TEMP B-TREE", all)
}
