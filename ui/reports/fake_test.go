package reports

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"cashier/app"
	"cashier/app/report"
	"cashier/app/summary"
	"cashier/localdb"
	"cashier/sync/export"
	"cashier/ui/i18n"
	"cashier/ui/today"
)

// The screen asks for exactly what the use case and the storage offer.
var (
	_ Reports   = (*report.Service)(nil)
	_ Directory = (*localdb.DB)(nil)
)

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// fakeReports answers from what the test put in it, records what it was
// asked, and narrows to the viewer's own figures as the use case does.
type fakeReports struct {
	mu       sync.Mutex
	scope    report.Scope
	scopeErr error
	err      error // every read but Scope fails with it when set

	sum     summary.Summary // Filter is set to what was asked
	held    summary.Deposits
	groups  map[report.By][]report.Group
	daily   map[int]app.Money // a day of the month → its takings
	hourly  map[int]app.Money // an hour → its takings
	monthly map[time.Month]app.Money
	details []report.Detail // newest first; ID descending
	orders  map[string]app.Order

	summaries []summary.Filter
	breakdown []report.By
	bills     []report.BillFilter
	pages     []report.Page
	filters   []report.DetailFilter
	orderNos  []string
}

func (f *fakeReports) Scope(context.Context, app.Staff) (report.Scope, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.scope, f.scopeErr
}

func (f *fakeReports) narrow(staffID int64) int64 {
	if f.scope.OwnFigures {
		return f.scope.Staff.ID
	}
	return staffID
}

func (f *fakeReports) Summary(_ context.Context, _ app.Staff, fl summary.Filter) (summary.Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.summaries = append(f.summaries, fl)
	if f.err != nil {
		return summary.Summary{}, f.err
	}
	fl.StaffID = f.narrow(fl.StaffID)
	s := f.sum
	s.Filter = fl
	if !fl.From.IsZero() && fl.StaffID == 0 && fl.ShiftID == 0 {
		s.Deposits.Held, s.Deposits.HeldCount = f.held.Held, f.held.HeldCount
	}
	return s, nil
}

func (f *fakeReports) Breakdown(_ context.Context, _ app.Staff, fl summary.Filter, by report.By) (report.Breakdown, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.breakdown = append(f.breakdown, by)
	if f.err != nil {
		return report.Breakdown{}, f.err
	}
	fl.StaffID = f.narrow(fl.StaffID)
	b := report.Breakdown{Filter: fl, By: by, Groups: f.groups[by]}
	for _, g := range b.Groups {
		b.Total.Received += g.Figures.Received
		b.Total.TxCount += g.Figures.TxCount
	}
	return b, nil
}

func period(d summary.Day, hour int, received app.Money) report.Period {
	fg := summary.Figures{Settlement: received, Received: received, TxAmount: received}
	if received != 0 {
		fg.TxCount = 1
	}
	return report.Period{Day: d, Hour: hour, Total: fg, ByMethod: map[summary.Method]summary.Figures{summary.MethodCash: fg}}
}

func (f *fakeReports) bill(fl report.BillFilter, periods []report.Period) report.Bill {
	b := report.Bill{Filter: fl, Periods: periods}
	var sum app.Money
	for _, p := range periods {
		sum += p.Total.Received
	}
	b.Total = period(summary.Day{Year: fl.Year, Month: fl.Month, D: 1}, 0, sum)
	return b
}

func (f *fakeReports) Daily(_ context.Context, _ app.Staff, fl report.BillFilter) (report.Bill, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bills = append(f.bills, fl)
	if f.err != nil {
		return report.Bill{}, f.err
	}
	fl.StaffID = f.narrow(fl.StaffID)
	last := time.Date(fl.Year, fl.Month+1, 0, 0, 0, 0, 0, time.UTC).Day()
	var ps []report.Period
	for d := 1; d <= last; d++ {
		ps = append(ps, period(summary.Day{Year: fl.Year, Month: fl.Month, D: d}, 0, f.daily[d]))
	}
	return f.bill(fl, ps), nil
}

func (f *fakeReports) Monthly(_ context.Context, _ app.Staff, fl report.BillFilter) (report.Bill, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bills = append(f.bills, fl)
	if f.err != nil {
		return report.Bill{}, f.err
	}
	fl.StaffID = f.narrow(fl.StaffID)
	var ps []report.Period
	for m := time.January; m <= time.December; m++ {
		ps = append(ps, period(summary.Day{Year: fl.Year, Month: m, D: 1}, 0, f.monthly[m]))
	}
	return f.bill(fl, ps), nil
}

func (f *fakeReports) Hourly(_ context.Context, _ app.Staff, fl report.BillFilter) (report.Bill, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bills = append(f.bills, fl)
	if f.err != nil {
		return report.Bill{}, f.err
	}
	fl.StaffID = f.narrow(fl.StaffID)
	var ps []report.Period
	for h := 0; h < 24; h++ {
		ps = append(ps, period(fl.Day, h, f.hourly[h]))
	}
	return f.bill(fl, ps), nil
}

// after is the rows of the list after a cursor (keyset on ID: newest
// first, IDs descending).
func (f *fakeReports) after(c report.Cursor) []report.Detail {
	if c.IsZero() {
		return f.details
	}
	for i, d := range f.details {
		if d.ID == c.ID {
			return f.details[i+1:]
		}
	}
	return nil
}

func (f *fakeReports) Details(_ context.Context, _ app.Staff, fl report.DetailFilter, p report.Page) (report.DetailPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pages = append(f.pages, p)
	f.filters = append(f.filters, fl)
	if f.err != nil {
		return report.DetailPage{}, f.err
	}
	if err := fl.Check(); err != nil {
		return report.DetailPage{}, err
	}
	rows := f.after(p.After)
	out := report.DetailPage{Rows: rows}
	if len(rows) > p.Limit {
		out.Rows, out.More = rows[:p.Limit], true
	}
	if n := len(out.Rows); n > 0 {
		out.Next = report.Cursor{At: out.Rows[n-1].At, ID: out.Rows[n-1].ID}
	}
	return out, nil
}

func (f *fakeReports) DetailsTable(_ context.Context, _ app.Staff, fl report.DetailFilter) (report.Table, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.filters = append(f.filters, fl)
	if f.err != nil {
		return report.Table{}, f.err
	}
	all := append([]report.Detail(nil), f.details...)
	t := report.DetailsPageTable(report.DetailPage{}, shanghai)
	t.Stream = func(_ context.Context, fn func([]report.Cell) error) error {
		for _, d := range all {
			if err := fn(report.DetailCells(d)); err != nil {
				return err
			}
		}
		return nil
	}
	return t, nil
}

func (f *fakeReports) Order(_ context.Context, _ app.Staff, no string) (app.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.orderNos = append(f.orderNos, no)
	if f.err != nil {
		return app.Order{}, f.err
	}
	o, ok := f.orders[no]
	if !ok {
		return app.Order{}, report.ErrNotVisible.With("Name", "?")
	}
	return o, nil
}

// fakeDirectory names the stores and people.
type fakeDirectory struct {
	stores []app.StoreInfo
	people map[int64][]app.Staff
	asked  []int64
}

func (d *fakeDirectory) Stores(context.Context) ([]app.StoreInfo, error) { return d.stores, nil }

func (d *fakeDirectory) ListStaff(_ context.Context, storeID int64) ([]app.Staff, error) {
	d.asked = append(d.asked, storeID)
	return d.people[storeID], nil
}

type fakeRefunds map[string][]today.Refund

func (r fakeRefunds) OrderRefunds(_ context.Context, no string) ([]today.Refund, error) {
	return r[no], nil
}

// fileExporter writes with sync/export, as the lead's wiring does.
type fileExporter struct{}

func (fileExporter) Export(ctx context.Context, t report.Table, format, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	switch format {
	case CSV:
		err = export.CSV(ctx, f, t, i18n.M)
	case XLSX:
		err = export.XLSX(ctx, f, t, i18n.M)
	default:
		err = fmt.Errorf("format %q", format)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

type fakePrinter struct {
	mu     sync.Mutex
	prints []SummaryPrint
	err    error
}

func (p *fakePrinter) PrintSummary(_ context.Context, s SummaryPrint) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prints = append(p.prints, s)
	return p.err
}

type reprints struct {
	mu   sync.Mutex
	nos  []string
	by   []app.Staff
	fail error
}

func (r *reprints) reprint(_ context.Context, no string, s app.Staff) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nos = append(r.nos, no)
	r.by = append(r.by, s)
	return r.fail
}
