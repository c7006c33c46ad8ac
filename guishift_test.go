package main

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/sale"
	"cashier/app/shift"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/postheme"
	"cashier/ui/shell"
)

// The shift screens on the real services: a clerk without the permission
// to see the store's transactions clocks on, sells for cash and sees the
// status bar, the store's orders and the Store transactions entry; at
// clock-off (through the shift service, as the wizard does) the entry
// goes, the open view closes itself and the status bar says "no shift".
func TestShiftScreens_OnTheRealServices(t *testing.T) {
	async.Synchronous = true
	t.Cleanup(func() { async.Synchronous = false })
	require.NoError(t, i18n.Use(i18n.Chinese))
	ctx := context.Background()
	s, err := Open(ctx, Options{DataDir: t.TempDir(), Command: "test", Lock: true, Seed: true, Payments: true})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	require.NoError(t, s.Start(ctx))
	require.NotNil(t, s.Shifts)
	mgr, _, err := s.DB.StaffByCode(ctx, "1001")
	require.NoError(t, err)
	clerk, _, err := s.DB.StaffByCode(ctx, "1003")
	require.NoError(t, err)
	require.False(t, clerk.Has(app.PermViewStoreOrders), "the demo clerk 张伟 holds no view_store_orders")

	feed := shiftStatus{s: s.Shifts, db: s.DB}
	st, err := feed.ShiftStatus(ctx, clerk.ID)
	require.NoError(t, err)
	require.Equal(t, shell.ShiftStatus{}, st)

	// The shell with the shift screens, the clerk logged in.
	a := test.NewTempApp(t)
	a.Settings().SetTheme(postheme.New())
	d := shell.Deps{Auth: s.Auth, Staff: s.DB, Settings: s.Settings, Signals: s.Signals, Workspace: shiftWorkspaces(s)}
	withShifts(s, &d)
	sh := shell.New(a, d)
	t.Cleanup(func() { sh.Window().Close() })
	sh.Window().Resize(fyne.NewSize(1024, 768))
	test.Type(sh.Login.Code, "1003")
	test.Type(sh.Login.PIN, "5678")
	sh.Login.PIN.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	require.NotNil(t, sh.Session())
	require.NotContains(t, sh.Titles(), "门店交易", "off shift: not offered")
	require.Contains(t, sh.Titles(), "交接班")

	_, err = s.Shifts.ClockOn(ctx, mgr.ID, shift.ScopeStore, 0)
	require.NoError(t, err)
	_, err = s.Shifts.ClockOn(ctx, clerk.ID, shift.ScopeTerminal, 10000)
	require.NoError(t, err)
	require.True(t, sh.Session().OnShift, "SignalShift reached the shell")
	require.Contains(t, sh.Titles(), "门店交易")

	o, err := s.Checkout.Open(ctx, sale.OrderInput{Staff: clerk, Total: 1250})
	require.NoError(t, err)
	out, err := s.Checkout.PayCash(ctx, o.OrderNo, 1250, 2000, clerk)
	require.NoError(t, err)
	require.True(t, out.Paid())

	st, err = feed.ShiftStatus(ctx, clerk.ID)
	require.NoError(t, err)
	require.True(t, st.On)
	require.Equal(t, app.Money(1250), st.Received)
	require.Equal(t, 1, st.Others, "the manager")

	rows, err := storeOrders{s.DB}.StoreOrders(ctx, mustStore(t, s), o.CreatedAt.Add(-time.Minute), o.CreatedAt.Add(time.Minute))
	require.NoError(t, err)
	require.Len(t, rows, 1)
	require.Equal(t, o.OrderNo, rows[0].No)
	require.Equal(t, "张伟", rows[0].Staff)
	require.Equal(t, app.OrderPaid, rows[0].Status)

	mine, err := shiftView{s.Shifts}.Recent(ctx, clerk.ID, false)
	require.NoError(t, err)
	require.Len(t, mine, 1)
	all, err := shiftView{s.Shifts}.Recent(ctx, clerk.ID, true)
	require.NoError(t, err)
	require.Len(t, all, 2)

	// The Store transactions view, open, lists the sale.
	require.True(t, sh.OpenID("transactions"))
	table := find[*widget.Table](sh.Window().Content())
	require.NotNil(t, table)
	rowsShown, _ := table.Length()
	require.Equal(t, 1, rowsShown)
	closed := i18n.T("txview.closed")
	require.Nil(t, findLabel(sh.Window().Content(), closed))

	// Clock-off: 100.00 float + 12.50 cash = 112.50 counted.
	_, err = s.Shifts.ClockOff(ctx, clerk.ID, shift.CashCount{Notes: map[string]int64{"100": 1, "10": 1, "1": 2, "0.5": 1}}, 10000, nil)
	require.NoError(t, err)
	require.NotNil(t, findLabel(sh.Window().Content(), closed), "the open view closed itself")
	require.Nil(t, find[*widget.Table](sh.Window().Content()))
	require.False(t, sh.Session().OnShift)
	require.NotContains(t, sh.Titles(), "门店交易")
	st, err = feed.ShiftStatus(ctx, clerk.ID)
	require.NoError(t, err)
	require.False(t, st.On)
	require.Equal(t, 1, st.Others)
}

func mustStore(t *testing.T, s *Services) int64 {
	id, loc, err := storeOrders{s.DB}.Store(context.Background())
	require.NoError(t, err)
	require.Equal(t, "Asia/Shanghai", loc.String())
	return id
}

// find is the first visible object of type T under o.
func find[T fyne.CanvasObject](o fyne.CanvasObject) T {
	var zero T
	if o == nil || !o.Visible() {
		return zero
	}
	if v, ok := o.(T); ok {
		return v
	}
	var kids []fyne.CanvasObject
	switch c := o.(type) {
	case *fyne.Container:
		kids = c.Objects
	case fyne.Widget:
		kids = test.WidgetRenderer(c).Objects()
	}
	for _, k := range kids {
		if v := find[T](k); any(v) != any(zero) {
			return v
		}
	}
	return zero
}

func findLabel(o fyne.CanvasObject, text string) *widget.Label {
	if o == nil || !o.Visible() {
		return nil
	}
	if l, ok := o.(*widget.Label); ok && l.Text == text {
		return l
	}
	var kids []fyne.CanvasObject
	switch c := o.(type) {
	case *fyne.Container:
		kids = c.Objects
	case fyne.Widget:
		kids = test.WidgetRenderer(c).Objects()
	}
	for _, k := range kids {
		if l := findLabel(k, text); l != nil {
			return l
		}
	}
	return nil
}
