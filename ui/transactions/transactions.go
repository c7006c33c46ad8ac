// Package transactions is the store's transactions view (门店交易): the
// store's orders of a day or a week, with their time, number, amount,
// status, payment methods and staff, filtered by method and status. A
// person with the view_store_orders permission sees it at any time; a
// clerk without it only while clocked on (business-rules section 2): at
// clock-off an open view closes itself and says why.
package transactions

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/summary"
	"cashier/ui/async"
	"cashier/ui/i18n"
	shiftui "cashier/ui/shift"
)

// Row is one order as the view lists it.
type Row struct {
	At       time.Time
	No       string
	Kind     app.OrderKind
	Status   app.OrderStatus
	Amount   app.Money // payable
	Paid     app.Money
	Refunded app.Money
	Methods  []summary.Method // of its tenders that paid or are being paid
	Staff    string
}

// Orders reads this terminal's store's orders.
type Orders interface {
	// Store is the store and its time zone: "today" is the store's day.
	Store(ctx context.Context) (id int64, loc *time.Location, err error)
	// StoreOrders lists the store's orders created in [from, to), newest
	// first.
	StoreOrders(ctx context.Context, storeID int64, from, to time.Time) ([]Row, error)
}

// OnShift tells whether a person is clocked on now.
type OnShift interface {
	OnShift(ctx context.Context, staffID int64) (bool, error)
}

// Deps is what the view needs.
type Deps struct {
	Orders  Orders
	Shifts  OnShift
	Signals *app.Signals // SignalShift closes (or reopens) the view; SignalOrder refreshes it
	Staff   app.Staff
	Now     func() time.Time // nil: time.Now
}

// Visible says whether staff may see the store's transactions: always
// with the view_store_orders permission, else only while on shift.
func Visible(staff app.Staff, onShift bool) bool {
	return staff.Has(app.PermViewStoreOrders) || onShift
}

// View is the store's transactions view.
type View struct {
	deps    Deps
	Day     *widget.Select
	Method  *widget.Select
	Status  *widget.Select
	Refresh *widget.Button
	Table   *widget.Table
	Total   *widget.Label
	Closed  *widget.Label // shown instead of the list when the person may not see it
	all     []Row
	Shown   []Row          // after the filter
	loc     *time.Location // the store's time zone, as last read
	list    fyne.CanvasObject
	body    *fyne.Container
	open    bool
	shown   bool // the list or the notice is on screen
	stops   []func()
}

// Days offered, as offsets of the first day from today and how many days.
var days = []struct {
	key        string
	back, span int
}{
	{i18n.Key("txview.day.today"), 0, 1},
	{i18n.Key("txview.day.yesterday"), 1, 1},
	{i18n.Key("txview.day.week"), 6, 7},
}

var statuses = []struct {
	key string
	is  func(app.OrderStatus) bool
}{
	{i18n.Key("txview.status.open"), func(s app.OrderStatus) bool { return s.Open() }},
	{i18n.Key("txview.status.paid"), func(s app.OrderStatus) bool { return s == app.OrderPaid }},
	{i18n.Key("txview.status.part_refunded"), func(s app.OrderStatus) bool { return s == app.OrderPartRefunded }},
	{i18n.Key("txview.status.refunded"), func(s app.OrderStatus) bool { return s == app.OrderRefunded }},
	{i18n.Key("txview.status.closed"), func(s app.OrderStatus) bool { return s == app.OrderClosed }},
}

// StatusName names an order's status.
func StatusName(s app.OrderStatus) string {
	for _, st := range statuses {
		if st.is(s) {
			return i18n.T(st.key)
		}
	}
	return string(s)
}

var columns = []struct {
	key   string
	width float32
}{
	{i18n.Key("txview.col.time"), 140},
	{i18n.Key("txview.col.no"), 275},
	{i18n.Key("txview.col.amount"), 100},
	{i18n.Key("txview.col.status"), 100},
	{i18n.Key("txview.col.method"), 110},
	{i18n.Key("txview.col.staff"), 90},
}

// New builds the view and loads today's orders when the person may see them.
func New(d Deps) *View {
	if d.Now == nil {
		d.Now = time.Now
	}
	v := &View{deps: d}
	all := i18n.T("txview.all")
	var dayOpts []string
	for _, dd := range days {
		dayOpts = append(dayOpts, i18n.T(dd.key))
	}
	v.Day = widget.NewSelect(dayOpts, func(string) { v.load() })
	v.Day.Selected = dayOpts[0]
	methodOpts := []string{all}
	for _, m := range summary.Methods {
		methodOpts = append(methodOpts, shiftui.MethodName(m))
	}
	v.Method = widget.NewSelect(methodOpts, func(string) { v.filter() })
	v.Method.Selected = all
	statusOpts := []string{all}
	for _, s := range statuses {
		statusOpts = append(statusOpts, i18n.T(s.key))
	}
	v.Status = widget.NewSelect(statusOpts, func(string) { v.filter() })
	v.Status.Selected = all
	v.Refresh = widget.NewButtonWithIcon(i18n.T("txview.refresh"), theme.ViewRefreshIcon(), v.load)
	v.Total = widget.NewLabel("")
	v.Table = widget.NewTable(
		func() (int, int) { return len(v.Shown), len(columns) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			o.(*widget.Label).SetText(v.cell(v.Shown[id.Row], id.Col))
		})
	v.Table.ShowHeaderRow = true
	v.Table.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	v.Table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 {
			o.(*widget.Label).SetText(i18n.T(columns[id.Col].key))
		}
	}
	for i, c := range columns {
		v.Table.SetColumnWidth(i, c.width)
	}
	filters := container.NewHBox(
		widget.NewLabel(i18n.T("txview.day")), v.Day,
		widget.NewLabel(i18n.T("txview.method")), v.Method,
		widget.NewLabel(i18n.T("txview.status")), v.Status, v.Refresh)
	v.list = container.NewBorder(filters, v.Total, nil, nil, v.Table)
	v.Closed = widget.NewLabelWithStyle(i18n.T("txview.closed"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	v.Closed.Wrapping = fyne.TextWrapWord
	v.body = container.NewStack()
	v.stops = append(v.stops,
		d.Signals.Subscribe(app.SignalShift, func(any) { async.Do(v.check) }),
		d.Signals.Subscribe(app.SignalOrder, func(any) {
			async.Do(func() {
				if v.open {
					v.load()
				}
			})
		}))
	if Visible(d.Staff, false) {
		v.show(true)
	} else {
		v.check()
	}
	return v
}

// Content is the view's root object.
func (v *View) Content() fyne.CanvasObject { return v.body }

// Stop leaves the signal hub.
func (v *View) Stop() {
	for _, s := range v.stops {
		s()
	}
	v.stops = nil
}

// Open reports whether the list is shown (not closed for being off shift).
func (v *View) Open() bool { return v.open }

// check asks whether a person without the permission is on shift and
// shows or closes the list.
func (v *View) check() {
	if v.stops == nil {
		return // stopped: the page is gone
	}
	if Visible(v.deps.Staff, false) {
		return
	}
	var on bool
	var err error
	svc, id := v.deps.Shifts, v.deps.Staff.ID
	async.Run(func() { on, err = svc.OnShift(context.Background(), id) }, func() {
		// Unknown counts as off shift: the view is withdrawn, not left open.
		v.show(err == nil && on)
	})
}

func (v *View) show(open bool) {
	if v.shown && open == v.open {
		return
	}
	v.shown, v.open = true, open
	if !open {
		v.all, v.Shown = nil, nil // nothing of the store's stays in memory behind the notice
		v.Table.Refresh()
		v.body.Objects = []fyne.CanvasObject{container.NewCenter(v.Closed)}
		v.body.Refresh()
		return
	}
	v.body.Objects = []fyne.CanvasObject{v.list}
	v.body.Refresh()
	v.load()
}

// span is the days chosen (days back from today, how many) as times in
// the store's time zone loc.
func span(now time.Time, loc *time.Location, back, n int) (time.Time, time.Time) {
	y, m, d := now.In(loc).Date()
	from := time.Date(y, m, d-back, 0, 0, 0, 0, loc)
	return from, time.Date(y, m, d-back+n, 0, 0, 0, 0, loc)
}

func (v *View) load() {
	if !v.open {
		return
	}
	back, n := 0, 1
	for _, dd := range days {
		if i18n.T(dd.key) == v.Day.Selected {
			back, n = dd.back, dd.span
		}
	}
	now := v.deps.Now()
	var rows []Row
	var loc *time.Location
	var err error
	svc := v.deps.Orders
	async.Run(func() {
		ctx := context.Background()
		var store int64
		if store, loc, err = svc.Store(ctx); err != nil {
			return
		}
		from, to := span(now, loc, back, n)
		rows, err = svc.StoreOrders(ctx, store, from, to)
	}, func() {
		if !v.open {
			return // closed meanwhile
		}
		if loc != nil {
			v.loc = loc
		}
		if err != nil {
			v.all = nil
			v.filter()
			v.Total.SetText(i18n.T("txview.err.load", "Err", i18n.Err(err)))
			return
		}
		v.all = rows
		v.filter()
	})
}

// filter applies the method and status filters to what was read.
func (v *View) filter() {
	all := i18n.T("txview.all")
	var out []Row
	var paid, refunded app.Money
	for _, r := range v.all {
		if v.Method.Selected != all && !hasMethod(r, v.Method.Selected) {
			continue
		}
		if v.Status.Selected != all && StatusName(r.Status) != v.Status.Selected {
			continue
		}
		out = append(out, r)
		paid += r.Paid
		refunded += r.Refunded
	}
	v.Shown = out
	v.Table.Refresh()
	v.Total.SetText(i18n.T("txview.total", "N", len(out), "Paid", shiftui.Yuan(paid), "Refunded", shiftui.Yuan(refunded)))
}

func hasMethod(r Row, name string) bool {
	for _, m := range r.Methods {
		if shiftui.MethodName(m) == name {
			return true
		}
	}
	return false
}

// cell is the text of one column of a row.
func (v *View) cell(r Row, col int) string {
	switch col {
	case 0:
		loc := v.loc
		if loc == nil {
			loc = time.Local
		}
		return r.At.In(loc).Format("01-02 15:04:05")
	case 1:
		return r.No
	case 2:
		return shiftui.Yuan(r.Amount)
	case 3:
		s := StatusName(r.Status)
		if r.Kind == app.OrderDeposit {
			s = i18n.T("txview.deposit", "Status", s)
		}
		return s
	case 4:
		names := make([]string, 0, len(r.Methods))
		for _, m := range r.Methods {
			names = append(names, shiftui.MethodName(m))
		}
		return strings.Join(names, i18n.T("txview.method_sep"))
	case 5:
		return r.Staff
	}
	return ""
}
