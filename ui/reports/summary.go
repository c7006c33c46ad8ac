package reports

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/report"
	"cashier/app/summary"
	"cashier/ui/async"
	"cashier/ui/chart"
	"cashier/ui/i18n"
	shiftui "cashier/ui/shift"
)

// Period is how the summary's time is chosen.
type Period int

const (
	ByDay   Period = iota // a business day (a shift past midnight counts on the day it started)
	ByMonth               // a calendar month of the store's clock
	ByRange               // from a time to a time
)

// byNames are the breakdowns' names.
var byNames = map[report.By]string{
	report.ByMethod: i18n.Key("reports.by.method"),
	report.ByStore:  i18n.Key("reports.by.store"),
	report.ByStaff:  i18n.Key("reports.by.staff"),
	report.ByShift:  i18n.Key("reports.by.shift"),
}

// SummaryTab is the transaction summary: the figures of a day, a month or
// a range, in total and per method or by store, person or shift, deposits
// apart, and the chart of the day by hour or the month by day.
type SummaryTab struct {
	v        *View
	Mode     *choice[Period]
	From, To *keyEntry
	Store    *choice[int64] // nil: one store only
	Staff    *choice[int64] // nil: the person sees only their own figures
	Shift    *choice[int64]
	By       *choice[report.By]

	Apply, CSV, XLSX, Print *widget.Button

	Grid     *Grid
	Covers   *widget.Label // what the figures cover
	Deposits *widget.Label
	Chart    *chart.BarChart
	ChartFor *widget.Label // what the chart shows
	Pointed  *widget.Label // the bar pointed at

	// Shown is the summary on screen (Held filled in for a day).
	Shown     summary.Summary
	HeldKnown bool
	loaded    bool
	bill      report.Bill
	shifts    []report.Group
	toField   fyne.CanvasObject
	fromLabel *widget.Label
	gen       int
	content   fyne.CanvasObject
}

func newSummaryTab(v *View) *SummaryTab {
	t := &SummaryTab{v: v}
	t.Mode = newChoice[Period](t.modeChanged)
	t.Mode.values = []Period{ByDay, ByMonth, ByRange}
	t.Mode.Options = []string{i18n.T("reports.period.day"), i18n.T("reports.period.month"), i18n.T("reports.period.range")}
	t.Mode.Selected = t.Mode.Options[0]
	t.From = newKeyEntry(v, "", t.apply)
	t.To = newKeyEntry(v, i18n.T("reports.ph.moment"), t.apply)
	t.From.SetText(v.today().String())
	t.From.SetPlaceHolder(i18n.T("reports.ph.day"))
	if v.ChooseStores() {
		t.Store = storeChoice(v)
	}
	if v.ChooseStaff() {
		t.Staff = newChoice[int64](t.apply)
		setStaffOptions(t.Staff, v.people)
	}
	t.Shift = newChoice[int64](t.apply)
	t.setShifts(nil)
	t.By = newChoice[report.By](t.apply)
	var byLabels []string
	var bys []report.By
	for _, b := range report.Bys {
		if (b == report.ByStore && !v.ChooseStores()) || (b == report.ByStaff && !v.ChooseStaff()) {
			continue // a clerk is not offered other people; one store has nothing to split
		}
		byLabels = append(byLabels, i18n.T(byNames[b]))
		bys = append(bys, b)
	}
	t.By.set(byLabels, bys)

	t.Apply = widget.NewButtonWithIcon(i18n.T("reports.apply", "Key", string(KeyApply)), theme.SearchIcon(), t.apply)
	t.Apply.Importance = widget.HighImportance
	t.CSV = widget.NewButtonWithIcon(i18n.T("reports.export_csv", "Key", string(KeyCSV)), theme.DownloadIcon(), func() { v.export(CSV) })
	t.XLSX = widget.NewButtonWithIcon(i18n.T("reports.export_xlsx", "Key", string(KeyXLSX)), theme.DownloadIcon(), func() { v.export(XLSX) })
	t.Print = widget.NewButtonWithIcon(i18n.T("reports.print", "Key", string(KeyPrint)), theme.DocumentPrintIcon(), t.print)
	for _, b := range []*widget.Button{t.CSV, t.XLSX, t.Print} {
		b.Disable()
	}

	t.Grid = newGrid(v, true)
	t.Covers = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	t.Covers.Truncation = fyne.TextTruncateEllipsis
	t.Deposits = widget.NewLabel("")
	t.Deposits.Wrapping = fyne.TextWrapWord
	t.Chart = chart.NewBarChart()
	t.Chart.Format = shiftui.Yuan
	t.ChartFor = widget.NewLabel("")
	t.Pointed = widget.NewLabel("")
	t.Chart.OnPoint = func(i int) { t.Pointed.SetText(pointText(t.bill, i)) }

	t.toField = field(i18n.Key("reports.to"), t.To)
	t.toField.Hide()
	t.fromLabel = widget.NewLabel(i18n.T("reports.label.day"))
	row1 := []fyne.CanvasObject{t.Mode.Select, container.NewBorder(nil, nil, t.fromLabel, nil, t.From), t.toField}
	var row2 []fyne.CanvasObject
	if t.Store != nil {
		row2 = append(row2, t.Store.Select)
	}
	if t.Staff != nil {
		row2 = append(row2, t.Staff.Select)
	}
	row2 = append(row2, t.Shift.Select, t.By.Select)
	filters := container.NewVBox(
		container.NewBorder(nil, nil, nil, t.Apply, container.NewGridWithColumns(3, row1...)),
		container.NewGridWithColumns(max(len(row2), 2), row2...),
	)
	head := container.NewBorder(nil, nil, nil, container.NewHBox(t.CSV, t.XLSX, t.Print), t.Covers)
	figures := container.NewBorder(head, t.Deposits, nil, nil, t.Grid)
	graph := container.NewBorder(container.NewBorder(nil, nil, nil, t.Pointed, t.ChartFor), nil, nil, nil, t.Chart)
	body := container.New(&figuresFirst{figures: figures, grid: t.Grid}, figures, graph)
	t.content = container.NewBorder(filters, nil, nil, nil, body)
	return t
}

// figuresFirst gives the figures the height they need, short of the
// chart's least, and the chart the rest: a day's eight figures stay whole
// on a 768-line screen, a long breakdown scrolls.
type figuresFirst struct {
	figures fyne.CanvasObject
	grid    *Grid
}

func (l *figuresFirst) wanted() float32 {
	rows, _ := l.grid.Cells()
	// A table puts a padding between its rows.
	row := newCell(false).MinSize().Height + theme.Padding()
	head := newCell(true).MinSize().Height + theme.Padding()
	return l.figures.MinSize().Height - l.grid.MinSize().Height + head + float32(rows)*row + theme.Padding()
}

func (l *figuresFirst) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	gap := theme.Padding()
	chartMin := objs[1].MinSize().Height
	top := min(l.wanted(), max(size.Height-chartMin-gap, objs[0].MinSize().Height))
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(fyne.NewSize(size.Width, top))
	objs[1].Move(fyne.NewPos(0, top+gap))
	objs[1].Resize(fyne.NewSize(size.Width, max(size.Height-top-gap, 0)))
}

func (l *figuresFirst) MinSize(objs []fyne.CanvasObject) fyne.Size {
	a, b := objs[0].MinSize(), objs[1].MinSize()
	return fyne.NewSize(max(a.Width, b.Width), a.Height+b.Height+theme.Padding())
}

// modeChanged puts the period's usual value in the field and reads.
func (t *SummaryTab) modeChanged() {
	now := t.v.deps.Now().In(t.v.zone())
	t.To.SetText("")
	t.toField.Hide()
	switch t.Mode.Value() {
	case ByDay:
		t.fromLabel.SetText(i18n.T("reports.label.day"))
		t.From.SetPlaceHolder(i18n.T("reports.ph.day"))
		t.From.SetText(t.v.today().String())
	case ByMonth:
		t.fromLabel.SetText(i18n.T("reports.label.month"))
		t.From.SetPlaceHolder(i18n.T("reports.ph.month"))
		t.From.SetText(now.Format("2006-01"))
	case ByRange:
		t.fromLabel.SetText(i18n.T("reports.from"))
		t.From.SetPlaceHolder(i18n.T("reports.ph.moment"))
		t.From.SetText(now.Format("2006-01-02") + " 00:00")
		t.toField.Show()
	}
	t.apply()
}

func (t *SummaryTab) storeChanged() {
	if t.Store != nil {
		t.Store.show(t.v.store.ID)
	}
	t.setShifts(nil)
	t.apply()
}

func (t *SummaryTab) setPeople(people []app.Staff) {
	if t.Staff != nil {
		setStaffOptions(t.Staff, people)
	}
}

// setShifts offers the shifts of the period (a clerk's own only: the use
// case answers only those).
func (t *SummaryTab) setShifts(groups []report.Group) {
	t.shifts = nil
	labels := []string{i18n.T("reports.all_shifts")}
	ids := []int64{0}
	for _, g := range groups {
		if g.ShiftID == 0 {
			continue // the takings on no shift cannot be asked for alone
		}
		t.shifts = append(t.shifts, g)
		labels = append(labels, t.shiftLabel(g))
		ids = append(ids, g.ShiftID)
	}
	t.Shift.set(labels, ids)
}

func (t *SummaryTab) shiftLabel(g report.Group) string {
	loc := t.v.zone()
	end := i18n.T("reports.shift_open")
	if !g.End.IsZero() {
		end = g.End.In(loc).Format("01-02 15:04")
	}
	return i18n.T("reports.shift_label", "ID", g.ShiftID, "Name", g.StaffName,
		"Start", g.Start.In(loc).Format("01-02 15:04"), "End", end)
}

func (t *SummaryTab) chosenShift() (report.Group, bool) {
	id := t.Shift.Value()
	for _, g := range t.shifts {
		if g.ShiftID == id && id != 0 {
			return g, true
		}
	}
	return report.Group{}, false
}

// query is what the filters ask: the summary's filter, the period without
// the shift (for the shift list and the chart), whether the held deposits
// are read for a day, and the chart's bill.
type query struct {
	f, period summary.Filter
	heldDay   summary.Filter // zero: not needed
	by        report.By
	chart     report.BillFilter
	hourly    bool // the chart is a day by hour (else a month by day; none for a range)
	ranged    bool
}

// filter reads the fields; false (and the status says why) when one
// cannot be read.
func (t *SummaryTab) filter() (query, bool) {
	v := t.v
	loc := v.zone()
	q := query{by: t.By.Value()}
	f := summary.Filter{StoreID: v.store.ID}
	if t.Staff != nil {
		f.StaffID = t.Staff.Value()
	}
	switch t.Mode.Value() {
	case ByDay:
		d, ok := parseDay(t.From.Text)
		if !ok {
			v.say(i18n.T("reports.bad_day", "Value", t.From.Text))
			return q, false
		}
		f.Day = d
		q.hourly = true
		q.chart = report.BillFilter{StoreID: f.StoreID, StaffID: f.StaffID, Day: d}
	case ByMonth:
		y, m, ok := parseMonth(t.From.Text)
		if !ok {
			v.say(i18n.T("reports.bad_month", "Value", t.From.Text))
			return q, false
		}
		f.From, f.To = time.Date(y, m, 1, 0, 0, 0, 0, loc), time.Date(y, m+1, 1, 0, 0, 0, 0, loc)
		q.chart = report.BillFilter{StoreID: f.StoreID, StaffID: f.StaffID, Year: y, Month: m}
	case ByRange:
		from, ok1 := parseMoment(t.From.Text, loc, false)
		to, ok2 := parseMoment(t.To.Text, loc, true)
		switch {
		case !ok1 || from.IsZero():
			v.say(i18n.T("reports.bad_moment", "Value", t.From.Text))
			return q, false
		case !ok2:
			v.say(i18n.T("reports.bad_moment", "Value", t.To.Text))
			return q, false
		case to.IsZero():
			to = v.deps.Now()
		}
		if !from.Before(to) {
			v.say(i18n.T("reports.bad_range"))
			return q, false
		}
		f.From, f.To = from, to
		q.ranged = true
	}
	q.period = f
	if g, ok := t.chosenShift(); ok {
		// A shift's figures are the shift's whole: asked for alone.
		f = summary.Filter{StoreID: f.StoreID, StaffID: f.StaffID, ShiftID: g.ShiftID}
		if q.chart.StaffID == 0 {
			q.chart.StaffID = g.StaffID
		}
	}
	if !f.Day.IsZero() && f.StaffID == 0 && f.ShiftID == 0 && !v.scope.OwnFigures {
		// The liability at the day's close: a range ending at its midnight.
		start := dayStart(f.Day, loc)
		q.heldDay = summary.Filter{StoreID: f.StoreID, From: start, To: start.AddDate(0, 0, 1)}
	}
	q.f = f
	return q, true
}

// apply reads the summary, its breakdown, the shifts of the period and the
// chart off the UI goroutine, and shows them together.
func (t *SummaryTab) apply() {
	q, ok := t.filter()
	if !ok {
		return
	}
	v := t.v
	t.gen++
	gen := t.gen
	v.say(i18n.T("reports.loading"))
	d := v.deps
	staff := d.Staff
	var (
		sum        summary.Summary
		table      report.Table
		held       *summary.Deposits
		heldFilter summary.Filter
		shifts     report.Breakdown
		bill       report.Bill
		err        error
	)
	loc := v.zone()
	async.Run(func() {
		ctx := context.Background()
		r := d.Reports
		if sum, err = r.Summary(ctx, staff, q.f); err != nil {
			return
		}
		table = report.SummaryTable(sum, loc)
		if q.by != report.ByMethod {
			var b report.Breakdown
			if b, err = r.Breakdown(ctx, staff, q.f, q.by); err != nil {
				return
			}
			table = report.BreakdownTable(b, loc)
		}
		if !q.heldDay.From.IsZero() {
			var hs summary.Summary
			if hs, err = r.Summary(ctx, staff, q.heldDay); err != nil {
				return
			}
			held, heldFilter = &hs.Deposits, hs.Filter
		}
		if shifts, err = r.Breakdown(ctx, staff, q.period, report.ByShift); err != nil {
			return
		}
		switch {
		case q.ranged:
		case q.hourly:
			bill, err = r.Hourly(ctx, staff, q.chart)
		default:
			bill, err = r.Daily(ctx, staff, q.chart)
		}
	}, func() {
		if gen != t.gen || v.done || v.Summary != t { // a newer read, or tabs rebuilt for a new scope
			return
		}
		if err != nil {
			t.clear()
			v.fail(err)
			return
		}
		t.Shown, t.loaded = sum, true
		t.HeldKnown = heldKnown(sum.Filter) // as the use case narrowed it
		if held != nil {
			t.Shown.Deposits.Held, t.Shown.Deposits.HeldCount, t.HeldKnown = held.Held, held.HeldCount, heldKnown(heldFilter)
		}
		t.Grid.SetTable(table, true)
		t.content.Refresh() // the figures take the height their rows need
		t.Covers.SetText(t.covers(sum.Filter))
		t.Deposits.SetText(depositsText(t.Shown.Deposits, t.HeldKnown))
		keep := t.Shift.Value()
		t.setShifts(shifts.Groups)
		if t.Shift.Value() != keep {
			// The shift chosen is not in this period: the figures read were
			// the shift's; read the period's instead.
			t.apply()
			return
		}
		t.showBill(bill, q)
		for _, b := range []*widget.Button{t.CSV, t.XLSX} {
			if d.Exporter != nil {
				b.Enable()
			}
		}
		if d.Printer != nil {
			t.Print.Enable()
		}
		v.say("")
	})
}

// heldKnown: the engine knows the liability for a whole store's range.
func heldKnown(f summary.Filter) bool {
	return !f.From.IsZero() && f.StaffID == 0 && f.ShiftID == 0
}

// clear takes down what a refused or failed read leaves stale.
func (t *SummaryTab) clear() {
	t.Shown, t.loaded, t.HeldKnown = summary.Summary{}, false, false
	t.Grid.SetTable(report.Table{}, false)
	t.Covers.SetText("")
	t.Deposits.SetText("")
	t.bill = report.Bill{}
	t.Chart.SetData(nil, nil)
	t.ChartFor.SetText("")
	t.Pointed.SetText("")
	for _, b := range []*widget.Button{t.CSV, t.XLSX, t.Print} {
		b.Disable()
	}
}

// showBill draws the chart: the takings (实收) of each hour of the day or
// each day of the month.
func (t *SummaryTab) showBill(b report.Bill, q query) {
	t.bill = b
	t.Pointed.SetText("")
	if q.ranged {
		t.Chart.SetData(nil, nil)
		t.ChartFor.SetText(i18n.T("reports.chart.none"))
		return
	}
	labels, values := barsOf(b)
	t.Chart.SetData(labels, values)
	who := i18n.T("reports.all_staff")
	if id := b.Filter.StaffID; id != 0 {
		who = t.v.personName(id)
	}
	if q.hourly {
		t.ChartFor.SetText(i18n.T("reports.chart.hourly", "Day", b.Filter.Day.String(), "Staff", who))
	} else {
		t.ChartFor.SetText(i18n.T("reports.chart.daily", "Month", fmt.Sprintf("%04d-%02d", b.Filter.Year, int(b.Filter.Month)), "Staff", who))
	}
}

// barsOf is a bill as bars: each period's takings (实收), labelled by its
// hour, day or month.
func barsOf(b report.Bill) ([]string, []app.Money) {
	labels := make([]string, len(b.Periods))
	values := make([]app.Money, len(b.Periods))
	for i, p := range b.Periods {
		switch {
		case !b.Filter.Day.IsZero():
			labels[i] = strconv.Itoa(p.Hour)
		case b.Filter.Month != 0:
			labels[i] = strconv.Itoa(p.Day.D)
		default:
			labels[i] = i18n.T("reports.chart.month_label", "M", int(p.Day.Month))
		}
		values[i] = p.Total.Received
	}
	return labels, values
}

// pointText says which period a bar is and what it took.
func pointText(b report.Bill, i int) string {
	if i < 0 || i >= len(b.Periods) {
		return ""
	}
	p := b.Periods[i]
	var when string
	switch {
	case !b.Filter.Day.IsZero():
		when = fmt.Sprintf("%s %02d:00–%02d:00", p.Day.String(), p.Hour, p.Hour+1)
	case b.Filter.Month != 0:
		when = p.Day.String()
	default:
		when = fmt.Sprintf("%04d-%02d", p.Day.Year, int(p.Day.Month))
	}
	return i18n.T("reports.chart.point", "Period", when, "Received", shiftui.Yuan(p.Total.Received),
		"Count", p.Total.TxCount)
}

// covers says what the figures are of.
func (t *SummaryTab) covers(f summary.Filter) string {
	v := t.v
	loc := v.zone()
	who := i18n.T("reports.all_staff")
	if f.StaffID != 0 {
		who = v.personName(f.StaffID)
	}
	store := v.store.Name
	if t.By.Value() == report.ByStore {
		store = i18n.T("reports.every_store")
	}
	switch {
	case f.ShiftID != 0:
		g, _ := t.chosenShift()
		return i18n.T("reports.covers.shift", "Store", store, "Shift", t.shiftLabel(g), "Staff", who)
	case !f.Day.IsZero():
		return i18n.T("reports.covers.day", "Store", store, "Day", f.Day.String(), "Staff", who)
	}
	return i18n.T("reports.covers.range", "Store", store, "From", f.From.In(loc).Format("2006-01-02 15:04"),
		"To", f.To.In(loc).Format("2006-01-02 15:04"), "Staff", who)
}

// personName names a person the figures were narrowed to.
func (v *View) personName(id int64) string {
	if id == v.deps.Staff.ID {
		return staffLabel(v.deps.Staff)
	}
	for _, p := range v.people {
		if p.ID == id {
			return staffLabel(p)
		}
	}
	return "#" + strconv.FormatInt(id, 10)
}

func (v *View) person(id int64) app.Staff {
	if id == v.deps.Staff.ID {
		return v.deps.Staff
	}
	for _, p := range v.people {
		if p.ID == id {
			return p
		}
	}
	return app.Staff{ID: id}
}

// depositsText is the deposits of the period, apart from the takings.
func depositsText(d summary.Deposits, heldKnown bool) string {
	s := i18n.T("reports.deposits", "Count", d.TakenCount, "Taken", shiftui.Yuan(d.Taken),
		"Consumed", shiftui.Yuan(d.Consumed), "Released", shiftui.Yuan(d.Released))
	if heldKnown {
		return s + "\n" + i18n.T("reports.deposits_held", "Count", d.HeldCount, "Held", shiftui.Yuan(d.Held))
	}
	return s + "\n" + i18n.T("reports.deposits_held_unknown")
}

// print queues the summary shown on the store's printer.
func (t *SummaryTab) print() {
	v := t.v
	p := v.deps.Printer
	if p == nil || !t.loaded || t.Print.Disabled() {
		return
	}
	sp := SummaryPrint{Store: v.store, Summary: t.Shown, HeldKnown: t.HeldKnown,
		PrintedBy: v.deps.Staff, PrintedAt: v.deps.Now()}
	if id := t.Shown.Filter.StaffID; id != 0 {
		sp.Staff = v.person(id)
	}
	if g, ok := t.chosenShift(); ok && t.Shown.Filter.ShiftID == g.ShiftID {
		sp.Shift = ShiftRef{ID: g.ShiftID, StaffName: g.StaffName, Start: g.Start, End: g.End}
	}
	t.Print.Disable()
	v.say(i18n.T("reports.printing"))
	var err error
	async.Run(func() { err = p.PrintSummary(context.Background(), sp) }, func() {
		if t.loaded {
			t.Print.Enable()
		}
		if err != nil {
			v.say(i18n.T("reports.err.print", "Err", i18n.Err(err)))
			return
		}
		v.say(i18n.T("reports.printed"))
	})
}
