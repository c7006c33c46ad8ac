package receipt

import (
	"fmt"
	"strings"
	"time"

	"cashier/app"
)

// Summary is a transaction summary (交易汇总, business rules §4) of a store,
// a person or a shift, printed from the Reports workspace: for a business
// day, a time range or one shift, the eight figures in total and per
// payment method, and the deposits apart.
type Summary struct {
	Store string // the store's name and code; the header has its address
	// One of: Day (a business day, 2006-01-02), From and To (a time range,
	// To excluded), Shift (one shift in words).
	Day      string
	From, To time.Time
	Shift    string
	Staff    string // the person the figures are narrowed to; "" for everyone

	Total    Figures
	Methods  []MethodFigures // the methods that moved money, in report order
	Deposits SummaryDeposits

	PrintedBy string
	PrintedAt time.Time
}

// SummaryDeposits are the deposits of the period: held money, not takings.
type SummaryDeposits struct {
	TakenCount                int64
	Taken, Consumed, Released app.Money
	// HeldKnown: the liability at the end of the period is known (a whole
	// store's figures; a person's or a shift's have none of their own).
	HeldKnown bool
	HeldCount int64
	Held      app.Money
}

// SummaryJob lays out a transaction summary. Like the shift report it is a
// record for the store: no customer footer, never the drawer.
func SummaryJob(h Header, s Summary, o Options) ([]byte, error) {
	ranged := !s.From.IsZero() && !s.To.IsZero()
	if strings.TrimSpace(s.Day) == "" && !ranged && strings.TrimSpace(s.Shift) == "" {
		return nil, fmt.Errorf("%w: 营业日、时间段或班次 / business day, time range or shift", ErrMissing)
	}
	o.OpenDrawer = false
	d := start(h, o)
	d.title("交易汇总")
	d.kv("门店", s.Store)
	d.kv("营业日", s.Day)
	if ranged {
		d.kv("起", s.From.Format(timeLayout))
		// The range ends before To: its last second is what people read
		// as the end of a day or a month.
		d.kv("止", s.To.Add(-time.Second).Format(timeLayout))
	}
	d.kv("班次", s.Shift)
	if s.Staff != "" {
		d.kv("收银员", s.Staff)
	} else {
		d.kv("收银员", "全部")
	}

	d.title("收款汇总")
	d.figures("合计", s.Total)
	for _, m := range s.Methods {
		d.figures(m.Method, m.Figures)
	}

	d.title("押金（不计入收款）")
	dep := s.Deposits
	d.Row2(fmt.Sprintf("收取 %d 笔", dep.TakenCount), dep.Taken.Display())
	d.Row2("消费", dep.Consumed.Display())
	d.Row2("退还", dep.Released.Display())
	if dep.HeldKnown {
		d.Row2(fmt.Sprintf("期末在押（负债）%d 笔", dep.HeldCount), dep.Held.Display())
	}

	d.Rule('-')
	d.kv("打印人", s.PrintedBy)
	if !s.PrintedAt.IsZero() {
		d.kv("打印时间", s.PrintedAt.Format(timeLayout))
	}
	d.Feed(2).Cut()
	return d.Bytes()
}
