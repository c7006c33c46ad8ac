package receipt

import (
	"fmt"
	"strings"
	"time"

	"cashier/app"
	"cashier/hardware/escpos"
)

// Figures are the transaction summary's metrics (business rules §4) for
// one payment method or in total.
type Figures struct {
	TxAmount         app.Money // 交易金额
	Settlement       app.Money // 结算金额
	Received         app.Money // 实收金额 = settlement − refund settlement
	Discount         app.Money // 优惠金额
	Refund           app.Money // 退款金额
	RefundSettlement app.Money // 退款结算金额
	TxCount          int64     // 交易笔数
	RefundCount      int64     // 退款笔数
}

// MethodFigures are one payment method's figures: "微信支付", "现金" ...
type MethodFigures struct {
	Method string
	Figures
}

// CountLine is one denomination of the cash count: "100元" × 12.
type CountLine struct {
	Name   string
	Pieces int64
	Amount app.Money
}

// HandedItem is a held order or an open deposit handed over by name.
type HandedItem struct {
	No     string
	Amount app.Money
	Note   string
	Since  time.Time
}

// HeldCarts sums the carts held at a terminal at the handover: how many,
// what they come to, when the oldest was held.
type HeldCarts struct {
	Count  int
	Total  app.Money
	Oldest time.Time
}

// ShiftReport is a shift's handover report (交接班报表), printed at
// clock-off and kept for reprints.
type ShiftReport struct {
	Staff     string // name
	StaffCode string
	// Terminal is where the shift was clocked on; "" for a store-wide
	// shift, which CountTerminal then says where it was counted.
	Terminal      string
	CountTerminal string
	Start, End    time.Time
	BusinessDay   string // 2006-01-02: the day the shift started, also past midnight

	Total    Figures
	Methods  []MethodFigures // the methods that moved money, in report order
	Deposits struct {
		TakenCount                int64
		Taken, Consumed, Released app.Money
	}

	OpeningFloat app.Money
	Count        []CountLine // every note, then the coins
	Counted      app.Money
	Expected     app.Money // opening float + cash taken − cash given back
	Variance     app.Money // counted − expected
	Threshold    app.Money
	FloatLeft    app.Money // left in the drawer for the next shift
	Countersign  string    // the manager who accepted the variance, "" if none was needed

	HeldOrders   []HandedItem
	OpenDeposits []HandedItem
	// HeldCarts are the carts held at the terminal, to be resumed (待取挂单).
	HeldCarts HeldCarts

	Reprint   bool
	PrintedAt time.Time
}

// ShiftReportJob lays out a shift report. The store's footer is left off:
// this is a record for the store, not a customer's receipt.
func ShiftReportJob(h Header, s ShiftReport, o Options) ([]byte, error) {
	if strings.TrimSpace(s.Staff) == "" || s.Start.IsZero() || s.End.IsZero() {
		return nil, fmt.Errorf("%w: 收银员、上班和下班时间 / staff, start and end", ErrMissing)
	}
	o.OpenDrawer = false // a report never opens the drawer
	d := start(h, o)
	if s.Reprint {
		d.Rule('=')
		d.Align(escpos.AlignCenter).Bold(true).Line("** 重印 REPRINT **").Bold(false)
	}
	d.title("交接班报表")
	d.kv("营业日", s.BusinessDay)
	if !sameDate(s.Start, s.End) {
		d.Line("（跨零点，计入上班当日）")
	}
	staff := s.Staff
	if s.StaffCode != "" {
		staff += "（" + s.StaffCode + "）"
	}
	d.kv("收银员", staff)
	if s.Terminal == "" {
		d.kv("范围", "全店")
		d.kv("盘点终端", s.CountTerminal)
	} else {
		d.kv("范围", "本终端 "+s.Terminal)
	}
	d.kv("上班", s.Start.Format(timeLayout))
	d.kv("下班", s.End.Format(timeLayout))

	d.title("收款汇总")
	d.figures("合计", s.Total)
	for _, m := range s.Methods {
		d.figures(m.Method, m.Figures)
	}
	d.title("押金（不计入收款）")
	d.Row2(fmt.Sprintf("收取 %d 笔", s.Deposits.TakenCount), s.Deposits.Taken.Display())
	d.Row2("消费", s.Deposits.Consumed.Display())
	d.Row2("退还", s.Deposits.Released.Display())

	d.title("现金盘点")
	for _, c := range s.Count {
		if c.Pieces > 0 || c.Amount > 0 {
			left := c.Name
			if c.Pieces > 0 {
				left = fmt.Sprintf("%s × %d", c.Name, c.Pieces)
			}
			d.Row2(left, c.Amount.Display())
		}
	}
	d.Rule('-')
	d.total("上班备用金", s.OpeningFloat, false)
	d.total("应有现金", s.Expected, false)
	d.total("实点现金", s.Counted, false)
	d.Bold(true).Size(1, 2).Row2("差额", signed(s.Variance)).Normal()
	d.total("差额上限", s.Threshold, false)
	d.total("留存备用金", s.FloatLeft, false)
	d.total("上缴现金", s.Counted-s.FloatLeft, true)
	if s.Countersign != "" {
		d.kv("差额复核", s.Countersign)
	}

	d.heldCarts(s.HeldCarts, s.End)
	d.title(fmt.Sprintf("挂单（%d）", len(s.HeldOrders)))
	d.handed(s.HeldOrders)
	d.title(fmt.Sprintf("未结押金（%d）", len(s.OpenDeposits)))
	d.handed(s.OpenDeposits)
	if len(s.OpenDeposits) > 0 {
		var held app.Money
		for _, it := range s.OpenDeposits {
			held += it.Amount
		}
		d.Row2("在押押金合计（负债）", held.Display())
	}

	d.Rule('-')
	if !s.PrintedAt.IsZero() {
		d.kv("打印时间", s.PrintedAt.Format(timeLayout))
	}
	d.Newline()
	d.Line("交班人签字:")
	d.Newline()
	d.Line("接班人签字:")
	d.Feed(2).Cut()
	return d.Bytes()
}

// figures prints one method's (or the total's) metrics: two to a line on
// 80 mm when every amount fits its half, else one to a line.
func (d doc) figures(name string, f Figures) {
	d.Bold(true).Line("【" + name + "】").Bold(false)
	type item struct{ label, value string }
	items := []item{
		{"交易笔数", fmt.Sprint(f.TxCount)}, {"退款笔数", fmt.Sprint(f.RefundCount)},
		{"交易金额", f.TxAmount.Display()}, {"优惠金额", f.Discount.Display()},
		{"结算金额", f.Settlement.Display()}, {"退款金额", f.Refund.Display()},
		{"退款结算金额", f.RefundSettlement.Display()}, {"实收金额", f.Received.Display()},
	}
	const label, gap = 12, 2
	half := (d.Columns() - gap) / 2
	fits := d.Paper() == escpos.Paper80
	for _, it := range items {
		fits = fits && escpos.Width(it.label) <= label && escpos.Width(it.value) < half-label // a space before the value
	}
	if !fits {
		for _, it := range items {
			d.Row2(it.label, it.value)
		}
		return
	}
	cols := []escpos.Column{{Width: label, Align: escpos.AlignLeft}, {Width: half - label, Align: escpos.AlignRight},
		{Width: gap}, {Width: label, Align: escpos.AlignLeft}, {Width: half - label, Align: escpos.AlignRight}}
	for i := 0; i+1 < len(items); i += 2 {
		d.Row(cols, items[i].label, items[i].value, "", items[i+1].label, items[i+1].value)
	}
}

// handed lists items handed over: the number and amount, then the note
// and since when, indented.
func (d doc) handed(items []HandedItem) {
	if len(items) == 0 {
		d.Line("无")
		return
	}
	for _, it := range items {
		amount := it.Amount.Display()
		if escpos.Width(it.No)+1+escpos.Width(amount) > d.Columns() {
			d.Line(it.No) // a number is never cut
			d.Row2("", amount)
		} else {
			d.Row2(it.No, amount)
		}
		note := it.Since.Format("01-02 15:04")
		if it.Note != "" {
			note += " " + it.Note
		}
		for _, l := range escpos.Wrap(note, d.Columns()-2) {
			d.Line("  " + l)
		}
	}
}

// heldCarts prints the carts held at the terminal: how many, their total
// and how long the oldest had waited at the handover (end).
func (d doc) heldCarts(c HeldCarts, end time.Time) {
	d.title(fmt.Sprintf("待取挂单（%d）", c.Count))
	if c.Count == 0 {
		d.Line("无")
		return
	}
	d.Row2("合计", c.Total.Display())
	if !c.Oldest.IsZero() {
		d.Row2("最早", c.Oldest.In(end.Location()).Format("01-02 15:04")+"（"+waited(end.Sub(c.Oldest))+"）")
	}
}

// waited says how long something waited, to the minute: 12分钟, 2小时5分钟, 1天3小时.
func waited(w time.Duration) string {
	m := int64(max(w, 0) / time.Minute)
	switch {
	case m < 60:
		return fmt.Sprintf("%d分钟", m)
	case m < 24*60 && m%60 == 0:
		return fmt.Sprintf("%d小时", m/60)
	case m < 24*60:
		return fmt.Sprintf("%d小时%d分钟", m/60, m%60)
	}
	return fmt.Sprintf("%d天%d小时", m/(24*60), m%(24*60)/60)
}

// signed prints a variance with its sign: +￥3.00 over, -￥3.00 short.
func signed(m app.Money) string {
	switch {
	case m > 0:
		return "+" + m.Display()
	case m < 0:
		return "-" + (-m).Display()
	}
	return m.Display()
}

func sameDate(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.In(a.Location()).Date()
	return ay == by && am == bm && ad == bd
}
