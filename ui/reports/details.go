package reports

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/report"
	"cashier/app/summary"
	"cashier/ui/async"
	"cashier/ui/i18n"
	shiftui "cashier/ui/shift"
)

// DetailsTab is the transaction details: the orders the filters select,
// newest first, one page in memory at a time (PgDn/PgUp or the buttons
// turn it), and an order's detail with a reprint.
type DetailsTab struct {
	v                  *View
	From, To, Min, Max *keyEntry
	Method             *choice[summary.Method]
	State              *choice[report.State]
	Store              *choice[int64] // nil: one store only
	Staff              *choice[int64] // nil: the person's own orders, or the store's while on shift

	Apply, Prev, Next, CSV, XLSX *widget.Button
	PageInfo                     *widget.Label
	Grid                         *Grid
	Order                        *OrderView

	// Page is the page shown; Number its number from 0.
	Page    report.DetailPage
	Number  int
	applied report.DetailFilter
	cursors []report.Cursor // where each page read so far starts
	loaded  bool
	gen     int
	list    fyne.CanvasObject
	body    *fyne.Container
	content fyne.CanvasObject
}

func newDetailsTab(v *View) *DetailsTab {
	t := &DetailsTab{v: v}
	t.From = newKeyEntry(v, i18n.T("reports.ph.moment"), t.apply)
	t.From.SetText(v.today().String())
	t.To = newKeyEntry(v, i18n.T("reports.ph.moment"), t.apply)
	t.Min = newKeyEntry(v, i18n.T("reports.ph.amount"), t.apply)
	t.Max = newKeyEntry(v, i18n.T("reports.ph.amount"), t.apply)
	t.Method = newChoice[summary.Method](t.apply)
	labels := []string{i18n.T("reports.all_methods")}
	methods := []summary.Method{""}
	for _, m := range summary.Methods {
		labels = append(labels, shiftui.MethodName(m))
		methods = append(methods, m)
	}
	t.Method.set(labels, methods)
	t.State = newChoice[report.State](t.apply)
	labels = []string{i18n.T("reports.all_states")}
	states := []report.State{""}
	for _, s := range report.States {
		labels = append(labels, i18n.M(s.Name()))
		states = append(states, s)
	}
	t.State.set(labels, states)
	if v.ChooseStores() {
		t.Store = storeChoice(v)
	}
	if v.chooseOrderStaff() {
		t.Staff = newChoice[int64](t.apply)
		setStaffOptions(t.Staff, v.people)
	}
	t.Apply = widget.NewButtonWithIcon(i18n.T("reports.apply", "Key", string(KeyApply)), theme.SearchIcon(), t.apply)
	t.Apply.Importance = widget.HighImportance
	t.Prev = widget.NewButtonWithIcon(i18n.T("reports.prev", "Key", "PgUp"), theme.NavigateBackIcon(), t.prev)
	t.Next = widget.NewButtonWithIcon(i18n.T("reports.next", "Key", "PgDn"), theme.NavigateNextIcon(), t.next)
	t.CSV = widget.NewButtonWithIcon(i18n.T("reports.export_csv", "Key", string(KeyCSV)), theme.DownloadIcon(), func() { v.export(CSV) })
	t.XLSX = widget.NewButtonWithIcon(i18n.T("reports.export_xlsx", "Key", string(KeyXLSX)), theme.DownloadIcon(), func() { v.export(XLSX) })
	for _, b := range []*widget.Button{t.Prev, t.Next, t.CSV, t.XLSX} {
		b.Disable()
	}
	t.PageInfo = widget.NewLabel("")
	t.Grid = newGrid(v, false)
	t.Grid.OnOpen = func(row int) {
		if row < len(t.Page.Rows) {
			t.open(t.Page.Rows[row])
		}
	}
	t.Order = newOrderView(t)

	row1 := []fyne.CanvasObject{field(i18n.Key("reports.from"), t.From), field(i18n.Key("reports.to"), t.To),
		t.Method.Select, t.State.Select}
	row2 := []fyne.CanvasObject{field(i18n.Key("reports.min"), t.Min), field(i18n.Key("reports.max"), t.Max)}
	if t.Store != nil {
		row2 = append(row2, t.Store.Select)
	}
	if t.Staff != nil {
		row2 = append(row2, t.Staff.Select)
	}
	filters := container.NewVBox(container.NewGridWithColumns(4, row1...), container.NewGridWithColumns(4, row2...),
		container.NewHBox(t.Apply, t.CSV, t.XLSX))
	hint := widget.NewLabel(i18n.T("reports.details_hint"))
	hint.Truncation = fyne.TextTruncateEllipsis
	paging := container.NewBorder(nil, nil, container.NewHBox(t.Prev, t.Next, t.PageInfo), nil, hint)
	t.list = container.NewBorder(filters, paging, nil, nil, t.Grid)
	t.body = container.NewStack(t.list)
	t.content = t.body
	return t
}

func (t *DetailsTab) storeChanged() {
	if t.Store != nil {
		t.Store.show(t.v.store.ID)
	}
	t.apply()
}

func (t *DetailsTab) setPeople(people []app.Staff) {
	if t.Staff != nil {
		setStaffOptions(t.Staff, people)
	}
}

// pageSize is how many orders a page holds.
func (t *DetailsTab) pageSize() int {
	if n := t.v.deps.PageSize; n > 0 {
		return n
	}
	return report.DefaultPage
}

// focus is what takes the keyboard in the tab: the order's reprint while
// one is open, else the list when it has rows, else the first filter.
func (t *DetailsTab) focus() fyne.Focusable {
	if t.Order.open {
		return t.Order.Back
	}
	if len(t.Page.Rows) > 0 {
		return t.Grid
	}
	return t.From
}

// key handles the tab's own keys.
func (t *DetailsTab) key(k fyne.KeyName) bool {
	switch k {
	case fyne.KeyEscape:
		if !t.Order.open {
			return false
		}
		t.Order.close()
	case KeyNext:
		if t.Order.open {
			return false
		}
		t.next()
	case KeyPrev:
		if t.Order.open {
			return false
		}
		t.prev()
	default:
		return false
	}
	return true
}

// filter reads the fields; false (and the status says why) when one
// cannot be read. The use case checks the rest (a range or amounts the
// wrong way round) and says so.
func (t *DetailsTab) filter() (report.DetailFilter, bool) {
	v := t.v
	loc := v.zone()
	f := report.DetailFilter{StoreID: v.store.ID, Method: t.Method.Value(), State: t.State.Value()}
	if t.Staff != nil {
		f.StaffID = t.Staff.Value()
	}
	var ok bool
	if f.From, ok = parseMoment(t.From.Text, loc, false); !ok {
		v.say(i18n.T("reports.bad_moment", "Value", t.From.Text))
		return f, false
	}
	if f.To, ok = parseMoment(t.To.Text, loc, true); !ok {
		v.say(i18n.T("reports.bad_moment", "Value", t.To.Text))
		return f, false
	}
	if f.Min, ok = parseAmount(t.Min.Text); !ok {
		v.say(i18n.T("reports.bad_amount", "Value", t.Min.Text))
		return f, false
	}
	if f.Max, ok = parseAmount(t.Max.Text); !ok {
		v.say(i18n.T("reports.bad_amount", "Value", t.Max.Text))
		return f, false
	}
	return f, true
}

// apply reads the first page of what the filters select.
func (t *DetailsTab) apply() {
	f, ok := t.filter()
	if !ok {
		return
	}
	t.Order.close()
	t.applied = f
	t.cursors = []report.Cursor{{}}
	t.load(0)
}

func (t *DetailsTab) next() {
	if t.loaded && t.Page.More && t.Number+1 < len(t.cursors) {
		t.load(t.Number + 1)
	}
}

func (t *DetailsTab) prev() {
	if t.loaded && t.Number > 0 {
		t.load(t.Number - 1)
	}
}

// load reads page n off the UI goroutine; it replaces the page shown.
func (t *DetailsTab) load(n int) {
	v := t.v
	t.gen++
	gen := t.gen
	v.say(i18n.T("reports.loading"))
	t.Prev.Disable()
	t.Next.Disable()
	d, f, loc := v.deps, t.applied, v.zone()
	p := report.Page{After: t.cursors[n], Limit: t.pageSize()}
	var pg report.DetailPage
	var err error
	async.Run(func() { pg, err = d.Reports.Details(context.Background(), d.Staff, f, p) }, func() {
		if gen != t.gen || v.done || v.Details != t { // a newer read, or tabs rebuilt for a new scope
			return
		}
		if err != nil {
			t.clear()
			v.fail(err)
			return
		}
		t.Page, t.Number, t.loaded = pg, n, true
		t.cursors = t.cursors[:n+1]
		if pg.More {
			t.cursors = append(t.cursors, pg.Next)
			t.Next.Enable()
		}
		if n > 0 {
			t.Prev.Enable()
		}
		t.Grid.SetTable(report.DetailsPageTable(pg, loc), false)
		if len(pg.Rows) == 0 {
			t.PageInfo.SetText(i18n.T("reports.details_none"))
		} else {
			t.PageInfo.SetText(i18n.T("reports.details_page", "N", n+1, "Rows", len(pg.Rows)))
		}
		if d.Exporter != nil {
			t.CSV.Enable()
			t.XLSX.Enable()
		}
		v.say("")
	})
}

func (t *DetailsTab) clear() {
	t.Page, t.Number, t.loaded = report.DetailPage{}, 0, false
	t.Grid.SetTable(report.Table{}, false)
	t.PageInfo.SetText("")
	for _, b := range []*widget.Button{t.Prev, t.Next, t.CSV, t.XLSX} {
		b.Disable()
	}
}

// open shows an order's detail in place of the list.
func (t *DetailsTab) open(d report.Detail) {
	t.Order.show(d)
	t.body.Objects = []fyne.CanvasObject{t.Order.content}
	t.body.Refresh()
}

// back shows the list again, the order chosen still chosen.
func (t *DetailsTab) back() {
	t.body.Objects = []fyne.CanvasObject{t.list}
	t.body.Refresh()
	if c := fyne.CurrentApp().Driver().CanvasForObject(t.Grid); c != nil {
		c.Focus(t.Grid)
	}
}

// reprint is Ctrl+P: the order open, or the one chosen in the list.
func (t *DetailsTab) reprint() {
	if !t.Order.open {
		if r := t.Grid.Chosen(); r >= 0 && r < len(t.Page.Rows) {
			t.open(t.Page.Rows[r])
		} else {
			return
		}
	}
	t.Order.reprint()
}
