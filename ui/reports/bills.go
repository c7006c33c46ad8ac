package reports

import (
	"context"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/report"
	"cashier/ui/async"
	"cashier/ui/chart"
	"cashier/ui/i18n"
	shiftui "cashier/ui/shift"
)

// BillKind is which bill the tab shows.
type BillKind int

const (
	MonthByDay  BillKind = iota // 月账单: every business day of a month
	YearByMonth                 // 年账单: every month of a year
	DayByHour                   // 日账单: every hour of a day
)

// BillsTab is the day, month and year bills: the chart of the periods'
// takings over the table of their figures and total.
type BillsTab struct {
	v      *View
	Kind   *choice[BillKind]
	Period *keyEntry
	Store  *choice[int64] // nil: one store only
	Staff  *choice[int64] // nil: the person sees only their own figures

	Apply, CSV, XLSX *widget.Button

	Chart    *chart.BarChart
	ChartFor *widget.Label
	Pointed  *widget.Label
	Grid     *Grid

	Shown   report.Bill
	loaded  bool
	gen     int
	content fyne.CanvasObject
}

func newBillsTab(v *View) *BillsTab {
	t := &BillsTab{v: v}
	t.Kind = newChoice[BillKind](t.kindChanged)
	t.Kind.values = []BillKind{MonthByDay, YearByMonth, DayByHour}
	t.Kind.Options = []string{i18n.T("reports.bill.month"), i18n.T("reports.bill.year"), i18n.T("reports.bill.day")}
	t.Kind.Selected = t.Kind.Options[0]
	t.Period = newKeyEntry(v, i18n.T("reports.ph.month"), t.apply)
	t.Period.SetText(v.deps.Now().In(v.zone()).Format("2006-01"))
	if v.ChooseStores() {
		t.Store = storeChoice(v)
	}
	if v.ChooseStaff() {
		t.Staff = newChoice[int64](t.apply)
		setStaffOptions(t.Staff, v.people)
	}
	t.Apply = widget.NewButtonWithIcon(i18n.T("reports.apply", "Key", string(KeyApply)), theme.SearchIcon(), t.apply)
	t.Apply.Importance = widget.HighImportance
	t.CSV = widget.NewButtonWithIcon(i18n.T("reports.export_csv", "Key", string(KeyCSV)), theme.DownloadIcon(), func() { v.export(CSV) })
	t.XLSX = widget.NewButtonWithIcon(i18n.T("reports.export_xlsx", "Key", string(KeyXLSX)), theme.DownloadIcon(), func() { v.export(XLSX) })
	t.CSV.Disable()
	t.XLSX.Disable()

	t.Chart = chart.NewBarChart()
	t.Chart.Format = shiftui.Yuan
	t.ChartFor = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	t.Pointed = widget.NewLabel("")
	t.Chart.OnPoint = func(i int) { t.Pointed.SetText(pointText(t.Shown, i)) }
	t.Grid = newGrid(v, false)

	row := []fyne.CanvasObject{t.Kind.Select, field(i18n.Key("reports.bill_period"), t.Period)}
	if t.Store != nil {
		row = append(row, t.Store.Select)
	}
	if t.Staff != nil {
		row = append(row, t.Staff.Select)
	}
	filters := container.NewVBox(container.NewGridWithColumns(max(len(row), 3), row...),
		container.NewHBox(t.Apply, t.CSV, t.XLSX))
	graph := container.NewBorder(t.ChartFor, t.Pointed, nil, nil, t.Chart)
	split := container.NewVSplit(graph, t.Grid)
	split.Offset = 0.42
	t.content = container.NewBorder(filters, nil, nil, nil, split)
	return t
}

// kindChanged puts the bill's usual period in the field and reads.
func (t *BillsTab) kindChanged() {
	now := t.v.deps.Now().In(t.v.zone())
	switch t.Kind.Value() {
	case MonthByDay:
		t.Period.SetPlaceHolder(i18n.T("reports.ph.month"))
		t.Period.SetText(now.Format("2006-01"))
	case YearByMonth:
		t.Period.SetPlaceHolder(i18n.T("reports.ph.year"))
		t.Period.SetText(now.Format("2006"))
	case DayByHour:
		t.Period.SetPlaceHolder(i18n.T("reports.ph.day"))
		t.Period.SetText(t.v.today().String())
	}
	t.apply()
}

func (t *BillsTab) storeChanged() {
	if t.Store != nil {
		t.Store.show(t.v.store.ID)
	}
	t.apply()
}

func (t *BillsTab) setPeople(people []app.Staff) {
	if t.Staff != nil {
		setStaffOptions(t.Staff, people)
	}
}

// filter reads the fields; false (and the status says why) when the
// period cannot be read.
func (t *BillsTab) filter() (report.BillFilter, bool) {
	v := t.v
	f := report.BillFilter{StoreID: v.store.ID}
	if t.Staff != nil {
		f.StaffID = t.Staff.Value()
	}
	var ok bool
	switch t.Kind.Value() {
	case MonthByDay:
		if f.Year, f.Month, ok = parseMonth(t.Period.Text); !ok {
			v.say(i18n.T("reports.bad_month", "Value", t.Period.Text))
		}
	case YearByMonth:
		if f.Year, ok = parseYear(t.Period.Text); !ok {
			v.say(i18n.T("reports.bad_year", "Value", t.Period.Text))
		}
	case DayByHour:
		if f.Day, ok = parseDay(t.Period.Text); !ok {
			v.say(i18n.T("reports.bad_day", "Value", t.Period.Text))
		}
	}
	return f, ok
}

// apply reads the bill off the UI goroutine and shows its chart and table.
func (t *BillsTab) apply() {
	f, ok := t.filter()
	if !ok {
		return
	}
	v := t.v
	t.gen++
	gen := t.gen
	v.say(i18n.T("reports.loading"))
	d, kind, loc := v.deps, t.Kind.Value(), v.zone()
	var b report.Bill
	var err error
	async.Run(func() {
		ctx := context.Background()
		switch kind {
		case MonthByDay:
			b, err = d.Reports.Daily(ctx, d.Staff, f)
		case YearByMonth:
			b, err = d.Reports.Monthly(ctx, d.Staff, f)
		default:
			b, err = d.Reports.Hourly(ctx, d.Staff, f)
		}
	}, func() {
		if gen != t.gen || v.done || v.Bills != t { // a newer read, or tabs rebuilt for a new scope
			return
		}
		if err != nil {
			t.clear()
			v.fail(err)
			return
		}
		t.Shown, t.loaded = b, true
		t.Grid.SetTable(report.BillTable(b, loc), true)
		labels, values := barsOf(b)
		t.Chart.SetData(labels, values)
		t.Pointed.SetText("")
		who := i18n.T("reports.all_staff")
		if b.Filter.StaffID != 0 {
			who = v.personName(b.Filter.StaffID)
		}
		t.ChartFor.SetText(i18n.T("reports.bill_chart", "Bill", t.Kind.Selected, "Period", t.Period.Text,
			"Store", v.store.Name, "Staff", who, "Received", shiftui.Yuan(b.Total.Total.Received)))
		if d.Exporter != nil {
			t.CSV.Enable()
			t.XLSX.Enable()
		}
		v.say("")
	})
}

func (t *BillsTab) clear() {
	t.Shown, t.loaded = report.Bill{}, false
	t.Grid.SetTable(report.Table{}, false)
	t.Chart.SetData(nil, nil)
	t.ChartFor.SetText("")
	t.Pointed.SetText("")
	t.CSV.Disable()
	t.XLSX.Disable()
}

// stamp names the bill's period in a file name.
func (t *BillsTab) stamp() string {
	f := t.Shown.Filter
	switch {
	case !f.Day.IsZero():
		return f.Day.String()
	case f.Month != 0:
		return strconv.Itoa(f.Year) + "-" + twoDigits(int(f.Month))
	}
	return strconv.Itoa(f.Year)
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
