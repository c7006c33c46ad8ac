package transactions

import (
	"context"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/summary"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/postheme"
)

type fakeOrders struct {
	mu    sync.Mutex
	rows  []Row
	asked [][2]time.Time
}

func (f *fakeOrders) Store(context.Context) (int64, *time.Location, error) { return 1, shanghai, nil }

func (f *fakeOrders) StoreOrders(_ context.Context, storeID int64, from, to time.Time) ([]Row, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, [2]time.Time{from, to})
	return append([]Row{}, f.rows...), nil
}

type fakeOnShift struct {
	mu sync.Mutex
	on bool
}

func (f *fakeOnShift) OnShift(context.Context, int64) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.on, nil
}

func (f *fakeOnShift) set(on bool) {
	f.mu.Lock()
	f.on = on
	f.mu.Unlock()
}

var shanghai = time.FixedZone("CST", 8*3600)

func rows() []Row {
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, shanghai)
	return []Row{
		{At: at.Add(2 * time.Hour), No: "T1260501120000001", Kind: app.OrderSale, Status: app.OrderPaid, Amount: 1250, Paid: 1250,
			Methods: []summary.Method{summary.MethodWeChat}, Staff: "李娜"},
		{At: at.Add(time.Hour), No: "T1260501110000002", Kind: app.OrderSale, Status: app.OrderPartRefunded, Amount: 5000, Paid: 5000, Refunded: 1000,
			Methods: []summary.Method{summary.MethodCash, summary.MethodAlipay}, Staff: "王店长"},
		{At: at, No: "T1260501100000003", Kind: app.OrderDeposit, Status: app.OrderOpen, Amount: 50000,
			Methods: nil, Staff: "李娜"},
	}
}

func newView(t *testing.T, staff app.Staff, shifts *fakeOnShift, orders *fakeOrders) (*View, *app.Signals) {
	t.Helper()
	async.Synchronous = true
	require.NoError(t, i18n.Use(i18n.Chinese))
	a := test.NewTempApp(t)
	a.Settings().SetTheme(postheme.New())
	sig := app.NewSignals()
	// 01:30 in Shanghai is still the day before in UTC: today is the store's day.
	v := New(Deps{Orders: orders, Shifts: shifts, Signals: sig, Staff: staff,
		Now: func() time.Time { return time.Date(2026, 5, 1, 1, 30, 0, 0, shanghai).UTC() }})
	w := test.NewTempWindow(t, v.Content())
	w.Resize(fyne.NewSize(1024, 768))
	t.Cleanup(v.Stop)
	return v, sig
}

var clerk = app.Staff{ID: 2, Name: "李娜", Role: app.RoleClerk, Permissions: map[string]bool{app.PermShiftHandover: true}}

// A clerk on shift sees the store's orders of the store's today; at
// clock-off the open view closes itself, says why and keeps nothing; at
// the next clock-on it opens again.
func TestTransactions_ClerkSeesThemOnlyOnShift(t *testing.T) {
	shifts := &fakeOnShift{on: true}
	orders := &fakeOrders{rows: rows()}
	v, sig := newView(t, clerk, shifts, orders)
	require.True(t, v.Open())
	require.Len(t, v.Shown, 3)
	require.Equal(t, [2]time.Time{time.Date(2026, 5, 1, 0, 0, 0, 0, shanghai), time.Date(2026, 5, 2, 0, 0, 0, 0, shanghai)},
		orders.asked[0], "today is the store's day")
	require.Equal(t, "05-01 12:00:00", v.cell(v.Shown[0], 0))
	require.Equal(t, "￥50.00", v.cell(v.Shown[1], 2))
	require.Equal(t, "部分退款", v.cell(v.Shown[1], 3))
	require.Equal(t, "现金、支付宝", v.cell(v.Shown[1], 4))
	require.Equal(t, "未付（押金）", v.cell(v.Shown[2], 3))
	require.Contains(t, v.Total.Text, "3 笔")

	shifts.set(false)
	sig.Emit(app.SignalShift, int64(2))
	require.False(t, v.Open())
	require.Empty(t, v.Shown)
	require.Same(t, v.Closed, v.Content().(*fyne.Container).Objects[0].(*fyne.Container).Objects[0], "the notice replaces the list")
	require.Equal(t, "门店交易仅在当班时可见。上班后即可再次查看。", v.Closed.Text)
	asked := len(orders.asked)
	sig.Emit(app.SignalOrder, "x")
	require.Len(t, orders.asked, asked, "a closed view reads nothing")

	shifts.set(true)
	sig.Emit(app.SignalShift, int64(2))
	require.True(t, v.Open())
	require.Len(t, v.Shown, 3)
}

// Off shift a clerk's view opens closed and reads no orders.
func TestTransactions_ClerkOffShiftSeesNothing(t *testing.T) {
	orders := &fakeOrders{rows: rows()}
	v, _ := newView(t, clerk, &fakeOnShift{}, orders)
	require.False(t, v.Open())
	require.Empty(t, orders.asked)
	require.False(t, Visible(clerk, false))
	require.True(t, Visible(clerk, true))
}

// A manager (view_store_orders) sees them off shift and keeps them at a
// clock-off; the filters narrow by method and status.
func TestTransactions_ManagerFiltersByMethodAndStatus(t *testing.T) {
	manager := app.Staff{ID: 1, Name: "王店长", Role: app.RoleManager, Permissions: map[string]bool{app.PermViewStoreOrders: true}}
	orders := &fakeOrders{rows: rows()}
	v, sig := newView(t, manager, &fakeOnShift{}, orders)
	require.True(t, v.Open())
	sig.Emit(app.SignalShift, int64(1))
	require.True(t, v.Open())

	v.Method.SetSelected("支付宝")
	require.Len(t, v.Shown, 1)
	require.Equal(t, "T1260501110000002", v.Shown[0].No)
	v.Method.SetSelected("全部")
	v.Status.SetSelected("未付")
	require.Len(t, v.Shown, 1)
	require.Equal(t, "T1260501100000003", v.Shown[0].No)
	v.Status.SetSelected("全部")

	v.Day.SetSelected("近 7 天")
	last := orders.asked[len(orders.asked)-1]
	require.Equal(t, time.Date(2026, 4, 25, 0, 0, 0, 0, shanghai), last[0])
	require.Equal(t, time.Date(2026, 5, 2, 0, 0, 0, 0, shanghai), last[1])
}
