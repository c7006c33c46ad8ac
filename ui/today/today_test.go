package today

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/summary"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/postheme"
)

var shanghai = time.FixedZone("CST", 8*3600)

type fakeOrders struct {
	mu      sync.Mutex
	rows    []Row
	details map[string]Detail
	asked   []time.Time
	fail    error
}

func (f *fakeOrders) Today(_ context.Context, now time.Time) ([]Row, *time.Location, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, now)
	return append([]Row{}, f.rows...), shanghai, f.fail
}

func (f *fakeOrders) Detail(_ context.Context, no string) (Detail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.details[no]
	if !ok {
		return Detail{}, errors.New("no such order")
	}
	return d, nil
}

type fakePrinter struct {
	mu        sync.Mutex
	reprinted []string
	by        []int64
	last      int
	fail      error
}

func (p *fakePrinter) Reprint(_ context.Context, no string, staff app.Staff) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	p.reprinted = append(p.reprinted, no)
	p.by = append(p.by, staff.ID)
	return nil
}

func (p *fakePrinter) ReprintLast(_ context.Context, staff app.Staff) (app.Order, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return app.Order{}, p.fail
	}
	p.last++
	p.by = append(p.by, staff.ID)
	return app.Order{OrderNo: "T0126050112000099887766"}, nil
}

const (
	paidNo = "T012605011200000000123456"
	openNo = "T012605011100000000654321"
)

func sample() *fakeOrders {
	at := time.Date(2026, 5, 1, 12, 0, 5, 0, shanghai)
	return &fakeOrders{
		rows: []Row{
			{At: at, No: paidNo, Kind: app.OrderSale, Status: app.OrderPartRefunded, Amount: 4320, Paid: 4320, Refunded: 400,
				Methods: []summary.Method{summary.MethodWeChat, summary.MethodCash}, Staff: "李娜"},
			{At: at.Add(-time.Hour), No: openNo, Kind: app.OrderSale, Status: app.OrderOpen, Amount: 500, Staff: "李娜"},
		},
		details: map[string]Detail{
			paidNo: {Staff: "李娜", Order: app.Order{OrderNo: paidNo, Kind: app.OrderSale, Status: app.OrderPartRefunded,
				Total: 4500, Discount: 180, Payable: 4320, Paid: 4320, Refunded: 400, CreatedAt: at.Add(-time.Minute), PaidAt: at,
				Lines: []app.OrderLine{
					{Name: "农夫山泉 550ml", Qty: 2, UnitPrice: 200, Amount: 400},
					{Name: "猪肉 0.600kg", Qty: 1, UnitPrice: 3300, Discount: 180, Amount: 3120},
					{Name: "乐事原味薯片 70g", Qty: 1, UnitPrice: 800, Amount: 800},
				},
				Tenders: []app.Tender{
					{Kind: app.TenderWallet, Wallet: app.WalletWeChat, Amount: 3000, State: app.TenderPaid,
						OutTradeNo: "P0126050112000000000001", TransactionID: "4200001234202605010000000001"},
					{Kind: app.TenderCash, Amount: 1320, CashReceived: 1500, State: app.TenderPaid},
				}},
				Refunds: []Refund{{No: "R0126050113000000000001", Amount: 400, State: RefundDone, At: at.Add(time.Hour), Reason: "退货"}}},
			openNo: {Staff: "李娜", Order: app.Order{OrderNo: openNo, Kind: app.OrderSale, Status: app.OrderOpen, Total: 500, Payable: 500,
				CreatedAt: at.Add(-time.Hour)}},
		},
	}
}

type fx struct {
	v       *View
	w       fyne.Window
	orders  *fakeOrders
	printer *fakePrinter
	sig     *app.Signals
}

func newFx(t *testing.T, orders *fakeOrders, printer *fakePrinter) *fx {
	t.Helper()
	async.Synchronous = true
	require.NoError(t, i18n.Use(i18n.Chinese))
	a := test.NewTempApp(t)
	a.Settings().SetTheme(postheme.New())
	sig := app.NewSignals()
	w := test.NewTempWindow(t, widget.NewLabel(""))
	d := Deps{Orders: orders, Signals: sig, Staff: app.Staff{ID: 7, Name: "王店长"}, Canvas: w.Canvas(),
		Now: func() time.Time { return time.Date(2026, 5, 1, 13, 0, 0, 0, shanghai) }}
	if printer != nil {
		d.Printer = printer
	}
	v := New(d)
	w.SetContent(v.Content())
	w.Resize(fyne.NewSize(840, 680)) // the workspace's part of a 1024×768 window
	w.Canvas().Focus(v.Focus())
	t.Cleanup(v.Stop)
	return &fx{v: v, w: w, orders: orders, printer: printer, sig: sig}
}

// key types a key where the focus is: the list, or the canvas when no
// widget has it.
func (f *fx) key(name fyne.KeyName) {
	ev := &fyne.KeyEvent{Name: name}
	if foc := f.w.Canvas().Focused(); foc != nil {
		foc.TypedKey(ev)
		return
	}
	f.w.Canvas().OnTypedKey()(ev)
}

func (f *fx) detail() string {
	var b strings.Builder
	for _, o := range f.v.Detail.Objects {
		if l, ok := o.(*widget.Label); ok {
			b.WriteString(l.Text + "\n")
		}
	}
	return b.String()
}

func (f *fx) rowText(i int) string {
	return strings.Join(f.v.cells(f.v.Rows[i]), " | ")
}

// The list shows this terminal's orders of the store's day, newest first:
// time on the store's clock, the short number, amount, status and how
// they were paid; the summary adds them up.
func TestToday_ListsTheDay(t *testing.T) {
	f := newFx(t, sample(), &fakePrinter{})
	require.Len(t, f.v.Rows, 2)
	require.Equal(t, "12:00:05 | 123456 | ￥43.20 | 部分退款 | 微信支付、现金", f.rowText(0))
	require.Equal(t, "11:00:05 | 654321 | ￥5.00 | 未付 | ", f.rowText(1))
	require.Contains(t, f.v.Summary.Text, "2")
	require.Contains(t, f.v.Summary.Text, "￥43.20")
	require.Contains(t, f.v.Summary.Text, "￥4.00")
	require.Equal(t, []time.Time{time.Date(2026, 5, 1, 13, 0, 0, 0, shanghai)}, f.orders.asked)
	require.Contains(t, f.detail(), "选择", "a hint until an order is chosen")
}

// ↓ chooses the newest order and shows everything about it: lines with
// their discount, the totals, each tender with its transaction number,
// the cash handed back, the refund. ↓ and ↑ move; Esc goes back.
func TestToday_KeyboardShowsDetails(t *testing.T) {
	f := newFx(t, sample(), &fakePrinter{})
	f.key(fyne.KeyDown)
	require.Equal(t, paidNo, f.v.chosen)
	d := f.detail()
	for _, want := range []string{"123456", paidNo, "部分退款", "李娜", "农夫山泉 550ml", "× 2", "猪肉 0.600kg", "￥1.80",
		"￥45.00", "￥43.20", "微信支付", "￥30.00", "4200001234202605010000000001", "P0126050112000000000001",
		"现金", "￥13.20", "￥15.00", "R0126050113000000000001", "已退款", "退货"} {
		require.Contains(t, d, want)
	}
	f.key(fyne.KeyDown)
	require.Equal(t, openNo, f.v.chosen)
	f.key(fyne.KeyDown)
	require.Equal(t, openNo, f.v.chosen, "the last row stays chosen")
	f.key(fyne.KeyUp)
	require.Equal(t, paidNo, f.v.chosen)
	f.key(fyne.KeyEscape)
	require.Empty(t, f.v.chosen)
	require.NotContains(t, f.detail(), paidNo)
	f.key(fyne.KeyReturn)
	require.Equal(t, paidNo, f.v.chosen, "Enter shows the first order")
}

// F4 (and Ctrl+P) reprint the chosen paid order for the person logged
// in; an unpaid order has no receipt and nothing is asked of the printer.
func TestToday_ReprintChosen(t *testing.T) {
	p := &fakePrinter{}
	f := newFx(t, sample(), p)
	require.True(t, f.v.ReprintB.Disabled(), "nothing chosen")
	f.key(KeyReprint)
	require.Empty(t, p.reprinted)
	require.Contains(t, f.v.Status.Text, "选择")

	f.key(fyne.KeyDown)
	require.False(t, f.v.ReprintB.Disabled())
	f.key(KeyReprint)
	require.Equal(t, []string{paidNo}, p.reprinted)
	require.Equal(t, []int64{7}, p.by)
	require.Contains(t, f.v.Status.Text, "123456")
	require.Equal(t, f.v.List, f.w.Canvas().Focused(), "the keyboard stays on the list")

	// Ctrl+P from the canvas, as the menu-less driver delivers it.
	f.w.Canvas().(interface{ TypedShortcut(fyne.Shortcut) }).TypedShortcut(
		&desktop.CustomShortcut{KeyName: fyne.KeyP, Modifier: fyne.KeyModifierShortcutDefault})
	require.Equal(t, []string{paidNo, paidNo}, p.reprinted)

	f.key(fyne.KeyDown) // the open order
	require.True(t, f.v.ReprintB.Disabled())
	f.key(KeyReprint)
	require.Len(t, p.reprinted, 2)
	require.Contains(t, f.v.Status.Text, "未付款")

	test.Tap(f.v.ReprintB) // disabled: does nothing
	require.Len(t, p.reprinted, 2)
}

// F12 prints the last receipt whatever is chosen, even when a tapped
// button took the focus away; a printer error is said in words.
func TestToday_LastReceiptAndErrors(t *testing.T) {
	p := &fakePrinter{}
	f := newFx(t, sample(), p)
	f.key(KeyLast)
	require.Equal(t, 1, p.last)
	require.Contains(t, f.v.Status.Text, "887766")

	f.w.Canvas().Unfocus()
	f.key(KeyLast)
	require.Equal(t, 2, p.last, "the canvas takes the key when nothing has the focus")

	test.Tap(f.v.LastB)
	require.Equal(t, 3, p.last)

	p.fail = app.NewError("sale.no_last_receipt")
	f.key(KeyLast)
	require.Contains(t, f.v.Status.Text, i18n.Err(p.fail))

	f.key(fyne.KeyDown)
	f.key(KeyReprint)
	require.Contains(t, f.v.Status.Text, i18n.Err(p.fail))
}

// A new order (SignalOrder) reads the list again; the order shown stays
// chosen though it moved down.
func TestToday_RefreshKeepsTheChoice(t *testing.T) {
	orders := sample()
	f := newFx(t, orders, &fakePrinter{})
	f.key(fyne.KeyDown)
	require.Equal(t, paidNo, f.v.chosen)
	orders.mu.Lock()
	orders.rows = append([]Row{{At: time.Date(2026, 5, 1, 12, 30, 0, 0, shanghai), No: "T0126050112300000000777777",
		Kind: app.OrderSale, Status: app.OrderPaid, Amount: 100, Paid: 100}}, orders.rows...)
	orders.mu.Unlock()
	f.sig.Emit(app.SignalOrder, "T0126050112300000000777777")
	require.Len(t, f.v.Rows, 3)
	require.Equal(t, paidNo, f.v.chosen)
	require.Equal(t, 1, f.v.index())
	require.Contains(t, f.detail(), paidNo)

	// A failed read says so and keeps what was shown.
	orders.mu.Lock()
	orders.fail = errors.New("disk gone")
	orders.mu.Unlock()
	f.key(KeyRefresh)
	require.Contains(t, f.v.Status.Text, "disk gone")
	require.Len(t, f.v.Rows, 3)
}

// Without a printer the reprint buttons are off and say why; Stop gives
// the canvas's keys back.
func TestToday_NoPrinterAndStop(t *testing.T) {
	f := newFx(t, sample(), nil)
	require.True(t, f.v.LastB.Disabled())
	require.True(t, f.v.ReprintB.Disabled())
	require.NotEmpty(t, f.v.Status.Text)
	f.key(KeyLast) // nothing to call: no panic
	f.v.Stop()
	require.Nil(t, f.w.Canvas().OnTypedKey())
}

// The view fits the workspace area of a 1024×768 window.
func TestToday_FitsTheSmallScreen(t *testing.T) {
	f := newFx(t, sample(), &fakePrinter{})
	f.key(fyne.KeyDown)
	min := f.v.Content().MinSize()
	require.LessOrEqual(t, min.Width, float32(840), "min %v", min)
	require.LessOrEqual(t, min.Height, float32(680), "min %v", min)
}

// PrintLast is what the Counter binds to its own key: it says what
// happened in words.
func TestPrintLast_ForTheCounter(t *testing.T) {
	async.Synchronous = true
	test.NewTempApp(t)
	require.NoError(t, i18n.Use(i18n.Chinese))
	p := &fakePrinter{}
	var text string
	var err error
	PrintLast(p, app.Staff{ID: 3}, func(t string, e error) { text, err = t, e })
	require.NoError(t, err)
	require.Contains(t, text, "887766")
	p.fail = app.NewError("sale.no_printer")
	PrintLast(p, app.Staff{ID: 3}, func(t string, e error) { text, err = t, e })
	require.ErrorIs(t, err, p.fail)
	require.Contains(t, text, i18n.Err(p.fail))
}
