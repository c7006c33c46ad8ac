package shift

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/require"

	"cashier/app"
	appshift "cashier/app/shift"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

// heldShifts is fakeShifts whose review also finds carts held at the
// terminal.
type heldShifts struct {
	*fakeShifts
	carts appshift.HeldCarts
}

func (f *heldShifts) ReviewFor(ctx context.Context, a, s int64, c appshift.CashCount, fl app.Money) (appshift.Handover, error) {
	h, err := f.fakeShifts.ReviewFor(ctx, a, s, c, fl)
	h.HeldCarts = f.carts
	return h, err
}

// The review says how many carts are held at the till, what they come to
// and how long the oldest has waited, above the unpaid orders it leaves
// as they were.
func TestShift_ReviewShowsHeldCarts(t *testing.T) {
	f := &heldShifts{fakeShifts: &fakeShifts{threshold: 5000},
		carts: appshift.HeldCarts{Count: 3, Total: 8650, Oldest: time.Now().Add(-2*time.Hour - 5*time.Minute)}}
	onShift(f.fakeShifts, 0)
	async.Synchronous = true
	require.NoError(t, i18n.Use(i18n.Chinese))
	test.NewTempApp(t)
	h := NewHandover(HandoverDeps{Shifts: f, Staff: clerk, Shift: *f.open, Close: func() {}})
	w := test.NewTempWindow(t, h.Content())
	w.Resize(fyne.NewSize(1024, 768))
	test.Tap(h.Next)
	require.Equal(t, 2, h.Step)
	require.Equal(t, "待取挂单：3 笔，共 ￥86.50，最早一笔 2 小时前", h.HeldCarts.Text)
	require.Contains(t, h.Held.Text, "挂单（1）", "the unpaid orders are listed as before")
	require.Contains(t, h.Held.Text, "T1260501150301123")

	f.carts = appshift.HeldCarts{}
	test.Tap(h.Back)
	test.Tap(h.Next)
	require.Equal(t, "待取挂单：无", h.HeldCarts.Text)
}

func TestHeldCartsLine(t *testing.T) {
	require.NoError(t, i18n.Use(i18n.English))
	t.Cleanup(func() { _ = i18n.Use(i18n.Chinese) })
	now := time.Date(2026, 5, 1, 15, 0, 0, 0, time.UTC)
	require.Equal(t, "Held orders at this till: 3, ￥86.50, oldest 2 h ago",
		HeldCartsLine(appshift.HeldCarts{Count: 3, Total: 8650, Oldest: now.Add(-2 * time.Hour)}, now))
	require.Equal(t, "Held orders at this till: 1, ￥1.00, oldest just now",
		HeldCartsLine(appshift.HeldCarts{Count: 1, Total: 100, Oldest: now.Add(time.Hour)}, now), "a clock set back")
	require.Equal(t, "Held orders at this till: none", HeldCartsLine(appshift.HeldCarts{}, now))
}
