package reports

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"cashier/app"
	"cashier/app/report"
	"cashier/app/summary"
	"cashier/sync/export"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/postheme"
	shiftui "cashier/ui/shift"
	"cashier/ui/today"
)

var (
	store1 = app.StoreInfo{ID: 1, Code: "S001", Name: "科技园店", Timezone: "Asia/Shanghai"}
	store2 = app.StoreInfo{ID: 2, Code: "S002", Name: "二号店", Timezone: "Asia/Shanghai"}
	// now is 15 January 2026, 13:00 on the stores' clock.
	now     = time.Date(2026, 1, 15, 13, 0, 0, 0, shanghai)
	manager = app.Staff{ID: 7, Code: "1001", Name: "王店长", Role: app.RoleManager, StoreID: 1,
		Permissions: map[string]bool{app.PermViewStoreOrders: true}}
	clerk = app.Staff{ID: 8, Code: "1002", Name: "李娜", Role: app.RoleClerk, StoreID: 1}
	admin = app.Staff{ID: 9, Code: "9001", Name: "总部", Role: app.RoleAdmin,
		Permissions: map[string]bool{app.PermViewStoreOrders: true}}
	zhang = app.Staff{ID: 10, Code: "1003", Name: "张伟", Role: app.RoleClerk, StoreID: 1}
)

func figs(base app.Money, tx, refunds int64) summary.Figures {
	return summary.Figures{TxAmount: base + 1111, Settlement: base, Received: base - 222, Discount: 1111,
		Refund: 333, RefundSettlement: 222, TxCount: tx, RefundCount: refunds}
}

// sampleReports is a manager's view of store 1 with figures in every
// place that can hold one, so a figure in the wrong cell shows.
func sampleReports() *fakeReports {
	wechat, cash := figs(1234567, 12, 1), figs(98765, 3, 2)
	total := summary.Figures{}
	for _, f := range []summary.Figures{wechat, cash} {
		total.TxAmount += f.TxAmount
		total.Settlement += f.Settlement
		total.Received += f.Received
		total.Discount += f.Discount
		total.Refund += f.Refund
		total.RefundSettlement += f.RefundSettlement
		total.TxCount += f.TxCount
		total.RefundCount += f.RefundCount
	}
	fr := &fakeReports{
		scope: report.Scope{Staff: manager, StoreID: 1},
		sum: summary.Summary{Total: total, ByMethod: map[summary.Method]summary.Figures{summary.MethodWeChat: wechat, summary.MethodCash: cash},
			Deposits: summary.Deposits{TakenCount: 2, Taken: 80000, Consumed: 12000, Released: 30000}},
		held:    summary.Deposits{Held: 38000, HeldCount: 1},
		hourly:  map[int]app.Money{9: 10000, 12: 45000, 18: 2500},
		daily:   map[int]app.Money{1: 100000, 2: 50000, 15: 250000, 31: 1},
		monthly: map[time.Month]app.Money{time.January: 900000, time.March: 300000},
		groups: map[report.By][]report.Group{
			report.ByShift: {
				{ShiftID: 31, StaffID: 8, StaffName: "李娜", Start: time.Date(2026, 1, 15, 8, 0, 0, 0, shanghai),
					End: time.Date(2026, 1, 15, 16, 0, 0, 0, shanghai), Figures: figs(50000, 4, 0)},
				{ShiftID: 32, StaffID: 10, StaffName: "张伟", Start: time.Date(2026, 1, 15, 12, 0, 0, 0, shanghai), Figures: figs(7000, 1, 0)},
				{Figures: figs(100, 1, 0)}, // on no shift
			},
			report.ByStaff: {
				{StaffID: 8, StaffCode: "1002", StaffName: "李娜", Figures: figs(50000, 4, 0)},
				{StaffID: 10, StaffCode: "1003", StaffName: "张伟", Figures: figs(7100, 2, 0)},
			},
			report.ByStore: {
				{StoreID: 1, StoreCode: "S001", StoreName: "科技园店", Figures: figs(57100, 6, 0)},
				{StoreID: 2, StoreCode: "S002", StoreName: "二号店", Figures: figs(9900, 1, 0)},
			},
		},
		orders: map[string]app.Order{},
	}
	return fr
}

// addOrders puts n orders in the details, newest first (one a minute
// back from now), and the third one's full detail.
func (f *fakeReports) addOrders(n int) {
	for i := 0; i < n; i++ {
		no := fmt.Sprintf("P01T01202601151300%06d", i)
		d := report.Detail{ID: int64(10000 - i), At: now.Add(-time.Duration(i) * time.Minute), OrderNo: no, Kind: app.OrderSale,
			Status: app.OrderPaid, StaffID: 8, StaffName: "李娜", Methods: []summary.Method{summary.MethodWeChat},
			Total: app.Money(1000 + i), Amount: app.Money(1000 + i), Paid: app.Money(1000 + i)}
		if i == 1 {
			d.Status = app.OrderOpen
		}
		f.details = append(f.details, d)
	}
	third := f.details[2]
	f.orders[third.OrderNo] = app.Order{OrderNo: third.OrderNo, StoreID: 1, StaffID: 8, Kind: app.OrderSale, Status: app.OrderPartRefunded,
		Total: 3500, Discount: 500, Payable: 3000, Paid: 3000, Refunded: 1000, CreatedAt: third.At, PaidAt: third.At,
		Lines: []app.OrderLine{{Name: "可口可乐 330ml", Qty: 7, UnitPrice: 500, Discount: 500, Amount: 3000}},
		Tenders: []app.Tender{{Kind: app.TenderWallet, Wallet: app.WalletWeChat, Amount: 3000, State: app.TenderPaid,
			TransactionID: "4200001234202601150000000001", OutTradeNo: "P01T0001X"}}}
}

type fx struct {
	v        *View
	w        fyne.Window
	fr       *fakeReports
	dir      *fakeDirectory
	printer  *fakePrinter
	reprints *reprints
	sig      *app.Signals
	saved    []string // names the save dialog was asked for
	dirPath  string
}

func newFx(t *testing.T, fr *fakeReports, staff app.Staff, opts ...func(*Deps)) *fx {
	t.Helper()
	async.Synchronous = true
	t.Cleanup(func() { async.Synchronous = false })
	require.NoError(t, i18n.Use(i18n.Chinese))
	a := test.NewTempApp(t)
	a.Settings().SetTheme(postheme.New())
	x := &fx{fr: fr, printer: &fakePrinter{}, reprints: &reprints{}, sig: app.NewSignals(), dirPath: t.TempDir(),
		dir: &fakeDirectory{stores: []app.StoreInfo{store1, store2},
			people: map[int64][]app.Staff{1: {manager, clerk, zhang}, 2: {{ID: 20, Code: "2001", Name: "赵敏", StoreID: 2}}}}}
	x.w = test.NewTempWindow(t, widget.NewLabel(""))
	d := Deps{Reports: fr, Directory: x.dir, Refunds: fakeRefunds{}, Exporter: fileExporter{}, Printer: x.printer,
		Reprint: x.reprints.reprint, Staff: staff, StoreID: 1, Signals: x.sig, Canvas: x.w.Canvas(),
		Now: func() time.Time { return now },
		ChooseSave: func(name string, then func(string)) {
			x.saved = append(x.saved, name)
			then(filepath.Join(x.dirPath, name))
		}}
	for _, o := range opts {
		o(&d)
	}
	x.v = New(d)
	x.w.SetContent(x.v.Content())
	x.w.Resize(fyne.NewSize(840, 680)) // the workspace's part of a 1024×768 window
	t.Cleanup(x.v.Stop)
	return x
}

// rowHeaders are the summary's figure names, top to bottom.
var rowHeaders = []string{"交易金额", "结算金额", "实收金额", "优惠金额", "退款金额", "退款结算金额", "交易量", "退款量"}

// figureTexts are the eight figures as the summary shows them.
func figureTexts(f summary.Figures) []string {
	y := shiftui.Yuan
	return []string{y(f.TxAmount), y(f.Settlement), y(f.Received), y(f.Discount), y(f.Refund), y(f.RefundSettlement),
		strconv.FormatInt(f.TxCount, 10), strconv.FormatInt(f.RefundCount, 10)}
}

func TestSummary_ShowsTheFiguresOfTheUseCaseExactly(t *testing.T) {
	fr := sampleReports()
	x := newFx(t, fr, manager)
	s := x.v.Summary
	require.True(t, s.loaded, x.v.Status.Text)

	// Asked for today's business day in the store, everyone.
	require.NotEmpty(t, fr.summaries)
	assert.Equal(t, summary.Filter{StoreID: 1, Day: summary.Day{Year: 2026, Month: 1, D: 15}}, fr.summaries[0])

	rows, cols := s.Grid.Cells()
	require.Equal(t, 8, rows)
	require.Equal(t, len(summary.Methods)+1, cols, "every method and the total")
	for r, h := range rowHeaders {
		assert.Equal(t, h, s.Grid.RowHeader(r))
	}
	for c, m := range summary.Methods {
		assert.Equal(t, shiftui.MethodName(m), s.Grid.Header(c))
		assert.Equal(t, figureTexts(fr.sum.Method(m)), column(s.Grid, c), "%s", m)
	}
	assert.Equal(t, "合计", s.Grid.Header(len(summary.Methods)))
	assert.Equal(t, figureTexts(fr.sum.Total), column(s.Grid, len(summary.Methods)))
	assert.Equal(t, "￥12,345.67", s.Grid.Text(1, 0), "yuan with thousands grouped")

	// Deposits apart, with the day's closing liability read as a range.
	assert.Contains(t, s.Deposits.Text, "收取 2 笔 ￥800.00")
	assert.Contains(t, s.Deposits.Text, "消费 ￥120.00")
	assert.Contains(t, s.Deposits.Text, "退还 ￥300.00")
	assert.Contains(t, s.Deposits.Text, "1 笔 ￥380.00")
	start := time.Date(2026, 1, 15, 0, 0, 0, 0, shanghai)
	assert.Contains(t, fr.summaries, summary.Filter{StoreID: 1, From: start, To: start.AddDate(0, 0, 1)})
	assert.Contains(t, s.Covers.Text, "科技园店")
	assert.Contains(t, s.Covers.Text, "2026-01-15")

	// The day's chart: one bar an hour, the takings of each.
	assert.Equal(t, report.BillFilter{StoreID: 1, Day: summary.Day{Year: 2026, Month: 1, D: 15}}, fr.bills[0], "the summary's; the bills tab reads its month after")
	require.Len(t, s.Chart.Values(), 24)
	for h, val := range s.Chart.Values() {
		assert.Equal(t, fr.hourly[h], val, "hour %d", h)
	}
	assert.Contains(t, s.ChartFor.Text, "2026-01-15")
	assertProportional(t, s.Chart.Bars(), s.Chart.Values())

	// The shifts of the day are offered, the takings on no shift are not.
	assert.Equal(t, []string{"全部班次", "#31 李娜 01-15 08:00–01-15 16:00", "#32 张伟 01-15 12:00–在班"}, s.Shift.Options)
}

// column is a grid column top to bottom.
func column(g *Grid, c int) []string {
	rows, _ := g.Cells()
	out := make([]string, rows)
	for r := range out {
		out[r] = g.Text(r, c)
	}
	return out
}

// assertProportional checks a bar per value, heights in proportion.
func assertProportional(t *testing.T, bars []*canvas.Rectangle, values []app.Money) {
	t.Helper()
	require.Len(t, bars, len(values))
	var unit float64
	for i, v := range values {
		if v > 0 {
			unit = float64(bars[i].Size().Height) / float64(v)
			break
		}
	}
	require.Greater(t, unit, 0.0, "the bars have a height")
	for i, v := range values {
		assert.InDelta(t, float64(v)*unit, float64(bars[i].Size().Height), 0.6, "bar %d", i)
	}
}

func TestSummary_MonthDrawsABarADay(t *testing.T) {
	fr := sampleReports()
	x := newFx(t, fr, manager)
	s := x.v.Summary
	require.True(t, s.Mode.Choose(ByMonth))
	assert.Equal(t, "2026-01", s.From.Text)
	last := fr.summaries[len(fr.summaries)-1]
	assert.Equal(t, summary.Filter{StoreID: 1, From: time.Date(2026, 1, 1, 0, 0, 0, 0, shanghai), To: time.Date(2026, 2, 1, 0, 0, 0, 0, shanghai)}, last)
	assert.Equal(t, report.BillFilter{StoreID: 1, Year: 2026, Month: time.January}, fr.bills[len(fr.bills)-1])
	require.Len(t, s.Chart.Bars(), 31, "one bar per day of January")
	assert.Equal(t, "1", s.Chart.Labels()[0])
	assert.Equal(t, "31", s.Chart.Labels()[30])
	assertProportional(t, s.Chart.Bars(), s.Chart.Values())
	assert.True(t, s.HeldKnown, "a store's month is a range: its liability is known")
	assert.Contains(t, s.Deposits.Text, "￥380.00")

	// A quiet month: every bar flat, nothing breaks.
	fr.daily = nil
	s.From.SetText("2026-02")
	s.apply()
	require.Len(t, s.Chart.Bars(), 28)
	for _, b := range s.Chart.Bars() {
		assert.Zero(t, b.Size().Height)
	}
	// One enormous day.
	fr.daily = map[int]app.Money{3: 99_999_999_999_99, 4: 100}
	s.apply()
	bars := s.Chart.Bars()
	assert.Greater(t, bars[2].Size().Height, bars[3].Size().Height*1000)
	for _, b := range bars {
		assert.GreaterOrEqual(t, b.Position().Y, float32(0))
		assert.LessOrEqual(t, b.Position().Y+b.Size().Height, s.Chart.Size().Height)
	}

	// A range draws no chart and says how to get one.
	require.True(t, s.Mode.Choose(ByRange))
	assert.Empty(t, s.Chart.Bars())
	assert.Equal(t, i18n.T("reports.chart.none"), s.ChartFor.Text)
}

func TestSummary_RangeAndBadInput(t *testing.T) {
	fr := sampleReports()
	x := newFx(t, fr, manager)
	s := x.v.Summary
	require.True(t, s.Mode.Choose(ByRange))
	n := len(fr.summaries)
	s.From.SetText("2026-01-10 08:30")
	s.To.SetText("2026-01-12")
	s.From.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	require.Greater(t, len(fr.summaries), n)
	assert.Equal(t, summary.Filter{StoreID: 1, From: time.Date(2026, 1, 10, 8, 30, 0, 0, shanghai), To: time.Date(2026, 1, 13, 0, 0, 0, 0, shanghai)},
		fr.summaries[n], "the end day is included")

	for _, bad := range []struct{ from, to, want string }{
		{"2026-13-01", "", "无法识别"},
		{"2026-01-12", "2026-01-10", "开始时间必须早于结束时间"},
		{"", "", "无法识别"},
	} {
		n := len(fr.summaries)
		s.From.SetText(bad.from)
		s.To.SetText(bad.to)
		s.apply()
		assert.Len(t, fr.summaries, n, "nothing asked for %q–%q", bad.from, bad.to)
		assert.Contains(t, x.v.Status.Text, bad.want)
	}
	require.True(t, s.Mode.Choose(ByDay))
	s.From.SetText("昨天")
	s.apply()
	assert.Contains(t, x.v.Status.Text, "昨天")

	// Dates as people type them.
	s.From.SetText("２０２６/1/5")
	s.apply()
	assert.Equal(t, summary.Day{Year: 2026, Month: 1, D: 5}, fr.summaries[len(fr.summaries)-2].Day)
}

func TestSummary_BreakdownsAndShift(t *testing.T) {
	fr := sampleReports()
	x := newFx(t, fr, manager)
	s := x.v.Summary
	assert.Equal(t, []string{"按支付方式", "按员工", "按班次"}, s.By.Options, "one store: nothing to split by store")

	require.True(t, s.By.Choose(report.ByStaff))
	_, cols := s.Grid.Cells()
	require.Equal(t, 3, cols, "each person and the total")
	assert.Equal(t, "1002", s.Grid.Header(0))
	assert.Equal(t, "李娜", s.Grid.Text(0, 0), "the person's name, then the figures")
	assert.Equal(t, shiftui.Yuan(50000+1111), s.Grid.Text(1, 0))
	assert.Equal(t, "合计", s.Grid.Header(2))

	require.True(t, s.By.Choose(report.ByShift))
	_, cols = s.Grid.Cells()
	assert.Equal(t, 4, cols)
	assert.Equal(t, "不在班次内", s.Grid.Header(2))

	// One shift's figures: the shift alone.
	require.True(t, s.By.Choose(report.ByMethod))
	require.True(t, s.Shift.Choose(31))
	assert.Equal(t, summary.Filter{StoreID: 1, ShiftID: 31}, fr.summaries[len(fr.summaries)-1])
	assert.Equal(t, int64(8), fr.bills[len(fr.bills)-1].StaffID, "the chart follows the shift's person")
	assert.Contains(t, s.Covers.Text, "#31 李娜")
	assert.Contains(t, s.Deposits.Text, "不计算期末在押", "a shift has no liability of its own")

	// A person's figures.
	require.True(t, s.Shift.Choose(0))
	require.True(t, s.Staff.Choose(10))
	assert.Equal(t, summary.Filter{StoreID: 1, StaffID: 10, Day: summary.Day{Year: 2026, Month: 1, D: 15}}, fr.summaries[len(fr.summaries)-1])
	assert.Contains(t, s.Covers.Text, "1003 张伟")
}

func TestSummary_Print(t *testing.T) {
	fr := sampleReports()
	x := newFx(t, fr, manager)
	s := x.v.Summary
	require.False(t, s.Print.Disabled())
	test.Tap(s.Print)
	require.Len(t, x.printer.prints, 1)
	p := x.printer.prints[0]
	assert.Equal(t, store1, p.Store)
	assert.Equal(t, fr.sum.Total, p.Summary.Total)
	assert.Equal(t, summary.Day{Year: 2026, Month: 1, D: 15}, p.Summary.Filter.Day)
	assert.True(t, p.HeldKnown)
	assert.Equal(t, app.Money(38000), p.Summary.Deposits.Held)
	assert.Equal(t, manager.ID, p.PrintedBy.ID)
	assert.Equal(t, now, p.PrintedAt)
	assert.Zero(t, p.Staff.ID)
	assert.Equal(t, "已送往打印机。", x.v.Status.Text)

	// A shift's summary names it; F8 prints too.
	require.True(t, s.Shift.Choose(32))
	s.From.TypedKey(&fyne.KeyEvent{Name: KeyPrint})
	require.Len(t, x.printer.prints, 2)
	assert.Equal(t, ShiftRef{ID: 32, StaffName: "张伟", Start: time.Date(2026, 1, 15, 12, 0, 0, 0, shanghai)}, x.printer.prints[1].Shift)
	assert.False(t, x.printer.prints[1].HeldKnown)

	x.printer.err = app.NewError("sale.no_printer")
	test.Tap(s.Print)
	assert.Equal(t, "打印失败：本机没有小票打印机", x.v.Status.Text)
}

func TestDetails_PagesForwardAndBack(t *testing.T) {
	fr := sampleReports()
	fr.addOrders(95)
	x := newFx(t, fr, manager, func(d *Deps) { d.PageSize = 40 })
	x.v.Show(1)
	d := x.v.Details
	require.True(t, d.loaded, x.v.Status.Text)
	assert.Equal(t, report.DetailFilter{StoreID: 1, From: time.Date(2026, 1, 15, 0, 0, 0, 0, shanghai)}, fr.filters[0], "today by default")

	page := func(from, to int) {
		t.Helper()
		rows, _ := d.Grid.Cells()
		require.Equal(t, to-from, rows, "at most a page is held")
		require.Len(t, d.Page.Rows, to-from)
		for r := 0; r < rows; r++ {
			assert.Equal(t, fr.details[from+r].OrderNo, d.Grid.Text(r, 1))
		}
	}
	page(0, 40)
	assert.Equal(t, "2026-01-15 13:00:00", d.Grid.Text(0, 0), "newest first, in the store's clock")
	assert.Equal(t, "￥10.00", d.Grid.Text(0, 5))
	assert.True(t, d.Prev.Disabled())
	assert.False(t, d.Next.Disabled())
	assert.Contains(t, d.PageInfo.Text, "第 1 页")

	test.Tap(d.Next)
	page(40, 80)
	assert.Equal(t, report.Cursor{At: fr.details[39].At, ID: fr.details[39].ID}, fr.pages[len(fr.pages)-1].After)
	d.Grid.TypedKey(&fyne.KeyEvent{Name: fyne.KeyPageDown})
	page(80, 95)
	assert.True(t, d.Next.Disabled(), "the last page")
	d.Grid.TypedKey(&fyne.KeyEvent{Name: fyne.KeyPageDown})
	page(80, 95)

	d.Grid.TypedKey(&fyne.KeyEvent{Name: fyne.KeyPageUp})
	page(40, 80)
	test.Tap(d.Prev)
	page(0, 40)
	assert.True(t, fr.pages[len(fr.pages)-1].After.IsZero())
	for _, p := range fr.pages {
		assert.Equal(t, 40, p.Limit)
	}
}

func TestDetails_OpenAnOrderAndReprint(t *testing.T) {
	fr := sampleReports()
	fr.addOrders(5)
	no := fr.details[2].OrderNo
	x := newFx(t, fr, manager, func(d *Deps) {
		d.Refunds = fakeRefunds{no: {{No: "R0001", Amount: 1000, State: today.RefundDone, At: now, Reason: "顾客退货"}}}
	})
	x.v.Show(1)
	d := x.v.Details
	g := d.Grid
	g.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	g.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	g.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	g.TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
	assert.Equal(t, 1, g.Chosen())
	g.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	g.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	require.True(t, d.Order.open)
	assert.Equal(t, []string{no}, fr.orderNos)
	text := labels(d.Order.Lines)
	for _, want := range []string{"订单号：" + no, "可口可乐 330ml  × 7  单价 ￥5.00  小计 ￥30.00", "优惠 -￥5.00", "应付 ￥30.00",
		"已退 ￥10.00", "交易号 4200001234202601150000000001", "退款 ￥10.00 · 已退款", "退款单号 R0001", "顾客退货"} {
		assert.Contains(t, text, want)
	}
	assert.Same(t, d.Order.content, d.body.Objects[0], "the detail in place of the list")

	require.False(t, d.Order.Reprint.Disabled())
	test.Tap(d.Order.Reprint)
	assert.Equal(t, []string{no}, x.reprints.nos)
	assert.Equal(t, manager.ID, x.reprints.by[0].ID)
	assert.Contains(t, x.v.Status.Text, "已重打")
	d.From.TypedShortcut(ctrlP) // Ctrl+P from anywhere in the tab
	assert.Len(t, x.reprints.nos, 2)

	// Esc goes back to the list, the order still chosen.
	x.v.key(fyne.KeyEscape)
	assert.False(t, d.Order.open)
	assert.Same(t, d.list, d.body.Objects[0])
	assert.Equal(t, 2, g.Chosen())

	// An unpaid order has no receipt to print.
	g.Step(-1)
	g.DoubleTapped(&fyne.PointEvent{Position: fyne.NewPos(-10, -10)})
	require.True(t, d.Order.open)
	assert.True(t, d.Order.Reprint.Disabled())
	assert.Contains(t, labels(d.Order.Lines), "读取失败", "an order the use case will not show says why")
	d.Order.reprint()
	assert.Len(t, x.reprints.nos, 2)
}

func labels(c *fyne.Container) string {
	var b strings.Builder
	for _, o := range c.Objects {
		if l, ok := o.(*widget.Label); ok {
			b.WriteString(l.Text + "\n")
		}
	}
	return b.String()
}

func TestDetails_Filters(t *testing.T) {
	fr := sampleReports()
	fr.addOrders(3)
	x := newFx(t, fr, manager)
	x.v.Show(1)
	d := x.v.Details
	d.From.SetText("2026-01-10")
	d.To.SetText("2026-01-12 18:00")
	d.Min.SetText("10")
	d.Max.SetText("1,000.5")
	require.True(t, d.Method.Choose(summary.MethodWeChat))
	require.True(t, d.State.Choose(report.StatePartRefunded))
	require.True(t, d.Staff.Choose(8))
	d.Min.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	assert.Equal(t, report.DetailFilter{StoreID: 1, From: time.Date(2026, 1, 10, 0, 0, 0, 0, shanghai), To: time.Date(2026, 1, 12, 18, 0, 0, 0, shanghai),
		Method: summary.MethodWeChat, StaffID: 8, Min: 1000, Max: 100050, State: report.StatePartRefunded}, fr.filters[len(fr.filters)-1])

	n := len(fr.filters)
	d.Max.SetText("十元")
	d.apply()
	assert.Len(t, fr.filters, n, "nothing asked with an amount that cannot be read")
	assert.Contains(t, x.v.Status.Text, "十元")

	// The use case's refusal, in words.
	d.Min.SetText("50")
	d.Max.SetText("20")
	d.apply()
	assert.Contains(t, x.v.Status.Text, "金额范围无效")
	rows, _ := d.Grid.Cells()
	assert.Zero(t, rows, "nothing stale left on screen")
}

func TestBills_MonthYearAndDay(t *testing.T) {
	fr := sampleReports()
	x := newFx(t, fr, manager)
	x.v.Show(2)
	b := x.v.Bills
	require.True(t, b.loaded, x.v.Status.Text)
	assert.Equal(t, report.BillFilter{StoreID: 1, Year: 2026, Month: time.January}, fr.bills[len(fr.bills)-1])
	rows, _ := b.Grid.Cells()
	assert.Equal(t, 32, rows, "every day of January and the total")
	assert.Equal(t, "2026-01-01", b.Grid.Text(0, 0))
	assert.Equal(t, "￥1,000.00", b.Grid.Text(0, 3), "the day's takings")
	assert.Equal(t, "合计", b.Grid.Text(31, 0))
	assert.Equal(t, "￥4,000.01", b.Grid.Text(31, 3))
	assert.Equal(t, "日期", b.Grid.Header(0))
	require.Len(t, b.Chart.Bars(), 31)
	assertProportional(t, b.Chart.Bars(), b.Chart.Values())
	assert.Contains(t, b.ChartFor.Text, "￥4,000.01")

	require.True(t, b.Kind.Choose(YearByMonth))
	assert.Equal(t, "2026", b.Period.Text)
	assert.Equal(t, report.BillFilter{StoreID: 1, Year: 2026}, fr.bills[len(fr.bills)-1])
	rows, _ = b.Grid.Cells()
	assert.Equal(t, 13, rows)
	assert.Equal(t, "2026-03", b.Grid.Text(2, 0))
	assert.Equal(t, "￥3,000.00", b.Grid.Text(2, 3))
	require.Len(t, b.Chart.Bars(), 12)
	assert.Equal(t, "3月", b.Chart.Labels()[2])

	require.True(t, b.Kind.Choose(DayByHour))
	assert.Equal(t, report.BillFilter{StoreID: 1, Day: summary.Day{Year: 2026, Month: 1, D: 15}}, fr.bills[len(fr.bills)-1])
	rows, _ = b.Grid.Cells()
	assert.Equal(t, 25, rows)
	assert.Equal(t, "12:00", b.Grid.Text(12, 0))
	require.Len(t, b.Chart.Bars(), 24)

	n := len(fr.bills)
	b.Period.SetText("2026-13-40")
	b.Period.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	assert.Len(t, fr.bills, n)
	assert.Contains(t, x.v.Status.Text, "2026-13-40")
}

// normalise reads an amount as the screen shows it (￥1,234.50) or as a
// file holds it (1234.50, 1234.5) into fen; anything else stays as it is.
func normalise(s string) string {
	t := strings.ReplaceAll(strings.ReplaceAll(s, "￥", ""), ",", "")
	m, err := app.ParseMoneyWith(t, app.MoneyRules{AllowNegative: true, AllowZero: true})
	if err != nil || t == "" || !strings.ContainsAny(t, ".") {
		return s
	}
	return m.String()
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(b), "\uFEFF"), "Excel needs the BOM")
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\uFEFF"))).ReadAll()
	require.NoError(t, err)
	for _, r := range rows {
		for i := range r {
			r[i] = normalise(export.Unguard(r[i]))
		}
	}
	return rows
}

func readXLSX(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	require.NoError(t, err)
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	require.NoError(t, err)
	for _, r := range rows {
		for i := range r {
			r[i] = normalise(r[i])
		}
	}
	return rows
}

// screen is a non-transposed grid as text, header first, amounts read.
func screen(g *Grid) [][]string {
	rows, cols := g.Cells()
	var out [][]string
	h := make([]string, cols)
	for c := range h {
		h[c] = g.Header(c)
	}
	out = append(out, h)
	for r := 0; r < rows; r++ {
		line := make([]string, cols)
		for c := range line {
			line[c] = normalise(g.Text(r, c))
		}
		out = append(out, line)
	}
	return out
}

// transposedScreen is the summary's grid turned back: a row per method.
func transposedScreen(g *Grid) [][]string {
	rows, cols := g.Cells()
	head := []string{i18n.M(g.Report().Columns[0].Title)}
	for r := 0; r < rows; r++ {
		head = append(head, g.RowHeader(r))
	}
	out := [][]string{head}
	for c := 0; c < cols; c++ {
		line := []string{g.Header(c)}
		for r := 0; r < rows; r++ {
			line = append(line, normalise(g.Text(r, c)))
		}
		out = append(out, line)
	}
	return out
}

func TestExport_ReReadEqualsTheScreen(t *testing.T) {
	fr := sampleReports()
	fr.addOrders(3)
	x := newFx(t, fr, manager)
	v := x.v

	v.key(KeyCSV)
	require.Len(t, x.saved, 1)
	assert.Equal(t, "交易汇总-2026-01-15.csv", x.saved[0])
	path := filepath.Join(x.dirPath, x.saved[0])
	assert.Equal(t, "已保存到 "+path, v.Status.Text)
	assert.Equal(t, transposedScreen(v.Summary.Grid), readCSV(t, path))
	v.key(KeyXLSX)
	assert.Equal(t, transposedScreen(v.Summary.Grid), readXLSX(t, filepath.Join(x.dirPath, x.saved[1])))

	v.Show(2)
	v.ExportTo(CSV, filepath.Join(x.dirPath, "bill"))
	got := readCSV(t, filepath.Join(x.dirPath, "bill.csv"))
	assert.Equal(t, screen(v.Bills.Grid), got)
	assert.Len(t, got, 33)
	v.ExportTo(XLSX, filepath.Join(x.dirPath, "bill.xlsx"))
	assert.Equal(t, screen(v.Bills.Grid), readXLSX(t, filepath.Join(x.dirPath, "bill.xlsx")))

	v.Show(1)
	v.key(KeyCSV)
	assert.Equal(t, "交易明细-2026-01-15.csv", x.saved[len(x.saved)-1])
	got = readCSV(t, filepath.Join(x.dirPath, x.saved[len(x.saved)-1]))
	assert.Equal(t, screen(v.Details.Grid), got)
	assert.Len(t, got, 4)
	v.key(KeyXLSX)
	assert.Equal(t, screen(v.Details.Grid), readXLSX(t, filepath.Join(x.dirPath, x.saved[len(x.saved)-1])))

	// A write that fails says so and leaves nothing.
	v.ExportTo(CSV, filepath.Join(x.dirPath, "no-such-dir", "x.csv"))
	assert.Contains(t, v.Status.Text, "导出失败")
}

func TestVisibility_ClerkOnShiftChoosesNoStoreNorStaff(t *testing.T) {
	fr := sampleReports()
	fr.scope = report.Scope{Staff: clerk, StoreID: 1, OwnFigures: true}
	fr.addOrders(3)
	x := newFx(t, fr, clerk)
	v := x.v
	require.NotNil(t, v.Tabs)
	assert.Nil(t, v.Summary.Staff, "no staff filter for their own figures")
	assert.Nil(t, v.Summary.Store)
	assert.Nil(t, v.Bills.Staff)
	assert.Nil(t, v.Bills.Store)
	assert.Nil(t, v.Details.Store)
	assert.NotNil(t, v.Details.Staff, "on shift a clerk sees the store's details (section 2)")
	assert.Equal(t, []string{"按支付方式", "按班次"}, v.Summary.By.Options)
	assert.Empty(t, x.dir.asked[1:], "the people of the store are read once, for the details")

	// The figures are the clerk's own, and say so.
	assert.Equal(t, clerk.ID, v.Summary.Shown.Filter.StaffID)
	assert.Contains(t, v.Summary.Covers.Text, "1002 李娜")
	assert.Contains(t, v.Summary.Deposits.Text, "不计算期末在押")
	test.Tap(v.Summary.Print)
	assert.Equal(t, clerk.ID, x.printer.prints[0].Staff.ID)

	// Off shift: the details are their own orders, no staff filter.
	fr.scope.OwnOrders = true
	x.sig.Emit(app.SignalShift, clerk.ID)
	assert.Nil(t, x.v.Details.Staff)

	// Clocked off: the use case refuses; the screen says it in words.
	fr.scopeErr = report.ErrOffShift.With("Name", "李娜")
	x.sig.Emit(app.SignalShift, clerk.ID)
	assert.Nil(t, v.Tabs)
	assert.Equal(t, "李娜 未上班：店员只在上班时可查看报表", v.Refusal.Text)
	fr.scopeErr = nil
	x.sig.Emit(app.SignalShift, clerk.ID)
	assert.NotNil(t, v.Tabs, "clocked on again: the reports come back")
}

func TestVisibility_RefusedFromTheStart(t *testing.T) {
	fr := sampleReports()
	fr.scopeErr = report.ErrOffShift.With("Name", "李娜")
	x := newFx(t, fr, clerk)
	assert.Nil(t, x.v.Tabs)
	assert.Equal(t, i18n.Err(fr.scopeErr), x.v.Refusal.Text)
	assert.Empty(t, fr.summaries, "nothing read for someone who may not see it")
	assert.Nil(t, x.v.Focus())

	// A disabled person too.
	fr.scopeErr = app.ErrStaffDisabled.With("Name", "李娜")
	x.sig.Emit(app.SignalShift, nil)
	assert.Contains(t, x.v.Refusal.Text, "李娜")
}

func TestVisibility_ChainManagerChoosesTheStore(t *testing.T) {
	fr := sampleReports()
	fr.scope = report.Scope{Staff: admin, AllStores: true}
	x := newFx(t, fr, admin)
	v := x.v
	require.NotNil(t, v.Summary.Store)
	assert.Equal(t, []string{"S001 科技园店", "S002 二号店"}, v.Summary.Store.Options)
	assert.Equal(t, "S001 科技园店", v.Summary.Store.Selected, "this terminal's store first")
	assert.Equal(t, []string{"按支付方式", "按门店", "按员工", "按班次"}, v.Summary.By.Options)
	require.True(t, v.Summary.By.Choose(report.ByStore))
	assert.Equal(t, "S001", v.Summary.Grid.Header(0))
	assert.Contains(t, v.Summary.Covers.Text, "全部门店")

	require.True(t, v.Summary.Store.Choose(2))
	assert.Equal(t, int64(2), fr.summaries[len(fr.summaries)-1].StoreID)
	assert.Equal(t, int64(2), fr.bills[len(fr.bills)-1].StoreID, "every tab follows")
	assert.Equal(t, int64(2), fr.filters[len(fr.filters)-1].StoreID)
	assert.Equal(t, "S002 二号店", v.Details.Store.Selected)
	assert.Equal(t, []int64{1, 2}, x.dir.asked)
	assert.Equal(t, []string{"全部员工", "2001 赵敏"}, v.Bills.Staff.Options)

	// A store manager of one store: no store to choose.
	fr2 := sampleReports()
	y := newFx(t, fr2, manager)
	assert.Nil(t, y.v.Summary.Store)
	assert.NotNil(t, y.v.Summary.Staff)
	assert.Equal(t, []string{"全部员工", "1001 王店长", "1002 李娜", "1003 张伟"}, y.v.Summary.Staff.Options)
}

func TestKeys_TabsFiltersAndFit(t *testing.T) {
	fr := sampleReports()
	x := newFx(t, fr, manager)
	v := x.v
	assert.Equal(t, []string{"汇总 F2", "明细 F3", "账单 F4"}, []string{v.Tabs.Items[0].Text, v.Tabs.Items[1].Text, v.Tabs.Items[2].Text})
	assert.Same(t, v.Summary.From, v.Focus())
	v.Summary.From.TypedKey(&fyne.KeyEvent{Name: KeyDetails})
	assert.Equal(t, 1, v.Tabs.SelectedIndex())
	v.Details.From.TypedShortcut(ctrlTab)
	assert.Equal(t, 2, v.Tabs.SelectedIndex())
	v.Bills.Period.TypedShortcut(ctrlTab)
	assert.Equal(t, 0, v.Tabs.SelectedIndex())
	v.Summary.From.TypedShortcut(ctrlShiftTab)
	assert.Equal(t, 2, v.Tabs.SelectedIndex())
	x.w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: KeySummary})
	assert.Equal(t, 0, v.Tabs.SelectedIndex(), "keys reach the view with no widget focused")
	n := len(fr.summaries)
	v.key(KeyApply)
	assert.Greater(t, len(fr.summaries), n)
	v.Summary.From.TypedKey(&fyne.KeyEvent{Name: fyne.KeyF12})
	assert.Equal(t, 0, v.Tabs.SelectedIndex(), "other keys are the field's")

	fits := func(v *View, lang string) {
		for _, tab := range []int{0, 1, 2} {
			v.Show(tab)
			min := v.Content().MinSize()
			assert.LessOrEqual(t, min.Width, float32(840), "%s tab %d fits the workspace of a 1024×768 window", lang, tab)
			assert.LessOrEqual(t, min.Height, float32(590), "%s tab %d: the workspace of a 1024×720 window between the title bar and the status bar", lang, tab)
		}
	}
	fits(v, "zh")
	en := newFx(t, sampleReports(), admin, func(d *Deps) {
		d.Reports.(*fakeReports).scope = report.Scope{Staff: admin, AllStores: true} // every filter there is
		require.NoError(t, i18n.Use(i18n.English))
	})
	require.NotNil(t, en.v.Summary.Store)
	fits(en.v, "en")
	require.NoError(t, i18n.Use(i18n.Chinese))
	v.Show(0)
	x.w.Resize(fyne.NewSize(1700, 1000)) // 1920×1080
	assert.Greater(t, v.Summary.Chart.Size().Width, float32(1000), "the chart grows with the window")
}
