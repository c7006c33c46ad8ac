// Package reports is the Reports workspace (报表) store managers close the
// day and the month with (business-rules section 4): the transaction
// summary — the eight figures in total and per payment method, or by
// store, staff member or shift, deposits apart, with a drawn chart of the
// day by hour or the month by day; the transaction details, filtered and a
// page at a time, each order's detail with a reprint; the day, month and
// year bills with their chart. Any view exports to CSV or XLSX and the
// summary prints on the store's printer.
//
// What a person may see is app/report's to decide, afresh on every read;
// this screen only leaves out the filters the person cannot use (a clerk
// chooses no store and no staff member) and says a refusal in words.
//
// Keys: F2/F3/F4 or Ctrl+Tab switch between the tabs, Enter or F5 reads
// with the filters, F6/F7 export CSV/XLSX, F8 prints the summary; in the
// details ↑/↓ choose, Enter opens an order, Esc goes back, PgUp/PgDn turn
// the page, Ctrl+P reprints.
package reports

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/report"
	"cashier/app/summary"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/today"
)

// Reports is the reports use case (app/report.Service): every call reads
// the viewer afresh and answers only what they may see.
type Reports interface {
	Scope(ctx context.Context, viewer app.Staff) (report.Scope, error)
	Summary(ctx context.Context, viewer app.Staff, f summary.Filter) (summary.Summary, error)
	Breakdown(ctx context.Context, viewer app.Staff, f summary.Filter, by report.By) (report.Breakdown, error)
	Daily(ctx context.Context, viewer app.Staff, f report.BillFilter) (report.Bill, error)
	Monthly(ctx context.Context, viewer app.Staff, f report.BillFilter) (report.Bill, error)
	Hourly(ctx context.Context, viewer app.Staff, f report.BillFilter) (report.Bill, error)
	Details(ctx context.Context, viewer app.Staff, f report.DetailFilter, p report.Page) (report.DetailPage, error)
	DetailsTable(ctx context.Context, viewer app.Staff, f report.DetailFilter) (report.Table, error)
	Order(ctx context.Context, viewer app.Staff, orderNo string) (app.Order, error)
}

// Directory names the stores and people the filters offer (localdb).
type Directory interface {
	Stores(ctx context.Context) ([]app.StoreInfo, error)
	ListStaff(ctx context.Context, storeID int64) ([]app.Staff, error)
}

// Refunds lists an order's refunds for its detail.
type Refunds interface {
	OrderRefunds(ctx context.Context, orderNo string) ([]today.Refund, error)
}

// Exporter writes a table to a file: format "csv" or "xlsx"
// (sync/export); the file is whole or not there.
type Exporter interface {
	Export(ctx context.Context, t report.Table, format, path string) error
}

// Printer prints a summary on the store's receipt printer (queued
// durably).
type Printer interface {
	PrintSummary(ctx context.Context, p SummaryPrint) error
}

// SummaryPrint is a summary as shown, for the printer.
type SummaryPrint struct {
	Store   app.StoreInfo
	Summary summary.Summary // its Filter says the day, range or shift
	// HeldKnown: Summary.Deposits.Held is the store's liability at the
	// end of the period (a whole store's figures only).
	HeldKnown bool
	// Staff is the person the figures are narrowed to (zero: everyone).
	Staff app.Staff
	// Shift is the shift chosen (ID 0: none), its start and end (zero
	// while open).
	Shift     ShiftRef
	PrintedBy app.Staff
	PrintedAt time.Time
}

// ShiftRef names a shift.
type ShiftRef struct {
	ID         int64
	StaffName  string
	Start, End time.Time
}

// Deps is what the workspace needs.
type Deps struct {
	Reports   Reports
	Directory Directory
	Refunds   Refunds  // nil: an order's detail lists no refunds
	Exporter  Exporter // nil: no export
	Printer   Printer  // nil: no printing
	// Reprint prints an order's receipt again (sale.Checkout.Reprint,
	// marked and audited there); nil: no reprint.
	Reprint func(ctx context.Context, orderNo string, staff app.Staff) error
	Staff   app.Staff // the person logged in
	StoreID int64     // this terminal's store: shown first
	Signals *app.Signals
	// Window hosts the save dialog; Canvas takes the view's keys while
	// no widget has the focus. Either may be nil (tests).
	Window fyne.Window
	Canvas fyne.Canvas
	// ChooseSave asks where to save a file named name (nil: Fyne's save
	// dialog on Window).
	ChooseSave func(name string, then func(path string))
	Now        func() time.Time // nil: time.Now
	PageSize   int              // orders a details page holds (0: report.DefaultPage)
}

// Visible says whether the person is offered the workspace: whenever
// app/report would show them anything (a clerk only while on shift).
func Visible(s app.Staff, onShift bool) bool {
	_, err := report.Visibility(s, onShift)
	return err == nil
}

// Keys of the workspace, shown on its tabs and buttons.
const (
	KeySummary = fyne.KeyF2
	KeyDetails = fyne.KeyF3
	KeyBills   = fyne.KeyF4
	KeyApply   = fyne.KeyF5
	KeyCSV     = fyne.KeyF6
	KeyXLSX    = fyne.KeyF7
	KeyPrint   = fyne.KeyF8
	KeyNext    = fyne.KeyPageDown
	KeyPrev    = fyne.KeyPageUp
)

var (
	ctrlTab      = &desktop.CustomShortcut{KeyName: fyne.KeyTab, Modifier: fyne.KeyModifierControl}
	ctrlShiftTab = &desktop.CustomShortcut{KeyName: fyne.KeyTab, Modifier: fyne.KeyModifierControl | fyne.KeyModifierShift}
	ctrlP        = &desktop.CustomShortcut{KeyName: fyne.KeyP, Modifier: fyne.KeyModifierShortcutDefault}
)

// View is the Reports workspace.
type View struct {
	deps Deps

	Tabs    *container.AppTabs
	Summary *SummaryTab
	Details *DetailsTab
	Bills   *BillsTab
	Status  *widget.Label // what happened last, a refusal in words
	Refusal *widget.Label // shown instead of the tabs when the person may see nothing

	scope   report.Scope
	scoped  bool // scope was read and allows something
	stores  []app.StoreInfo
	store   app.StoreInfo // the store chosen
	people  []app.Staff   // the chosen store's people
	body    *fyne.Container
	content fyne.CanvasObject
	stops   []func()
	done    bool
	gen     int // the newest scope read
}

// New builds the workspace and reads what the person may see.
func New(d Deps) *View {
	if d.Now == nil {
		d.Now = time.Now
	}
	v := &View{deps: d}
	v.Status = widget.NewLabel("")
	v.Status.Wrapping = fyne.TextWrapWord
	v.Refusal = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	v.Refusal.Wrapping = fyne.TextWrapWord
	v.body = container.NewStack(widget.NewLabel(i18n.T("reports.loading")))
	v.content = container.NewBorder(nil, v.Status, nil, nil, v.body)
	if d.Signals != nil {
		v.stops = append(v.stops, d.Signals.Subscribe(app.SignalShift, func(any) { async.Do(v.check) }))
	}
	if c := d.Canvas; c != nil {
		c.SetOnTypedKey(func(k *fyne.KeyEvent) { v.key(k.Name) })
		c.AddShortcut(ctrlTab, func(fyne.Shortcut) { v.nextTab(1) })
		c.AddShortcut(ctrlShiftTab, func(fyne.Shortcut) { v.nextTab(-1) })
		c.AddShortcut(ctrlP, func(fyne.Shortcut) { v.shortcut(ctrlP) })
		v.stops = append(v.stops, func() {
			c.SetOnTypedKey(nil)
			c.RemoveShortcut(ctrlTab)
			c.RemoveShortcut(ctrlShiftTab)
			c.RemoveShortcut(ctrlP)
		})
	}
	v.check()
	return v
}

// Content is the workspace's root object.
func (v *View) Content() fyne.CanvasObject { return v.content }

// Focus is what gets the keyboard when the workspace opens: the first
// filter of the summary.
func (v *View) Focus() fyne.Focusable {
	if v.Summary != nil {
		return v.Summary.From
	}
	return nil
}

// Stop leaves the signal hub and gives the canvas's keys back.
func (v *View) Stop() {
	v.done = true
	for _, s := range v.stops {
		s()
	}
	v.stops = nil
}

// Scope is what the person was last found to see.
func (v *View) Scope() report.Scope { return v.scope }

// check reads what the person may see now (at the start, and when someone
// clocks on or off) and builds the tabs for it, or shows the refusal.
func (v *View) check() {
	if v.done {
		return
	}
	v.gen++
	gen := v.gen
	d := v.deps
	var sc report.Scope
	var stores []app.StoreInfo
	var err error
	async.Run(func() {
		ctx := context.Background()
		if sc, err = d.Reports.Scope(ctx, d.Staff); err != nil {
			return
		}
		stores, err = d.Directory.Stores(ctx)
	}, func() {
		if gen != v.gen || v.done {
			return
		}
		if err != nil {
			v.refuse(err)
			return
		}
		same := v.scoped && sc.StoreID == v.scope.StoreID && sc.AllStores == v.scope.AllStores &&
			sc.OwnFigures == v.scope.OwnFigures && sc.OwnOrders == v.scope.OwnOrders
		v.scope, v.scoped = sc, true
		if same {
			return // the tabs shown fit; keep what the person typed
		}
		v.build(stores)
	})
}

// refuse drops everything shown and says why.
func (v *View) refuse(err error) {
	v.scoped = false
	v.Summary, v.Details, v.Bills, v.Tabs = nil, nil, nil, nil
	v.Refusal.SetText(i18n.Err(err))
	v.Status.SetText("")
	v.body.Objects = []fyne.CanvasObject{container.NewCenter(v.Refusal)}
	v.body.Refresh()
}

// visibleStores are the stores the scope covers.
func (v *View) visibleStores(all []app.StoreInfo) []app.StoreInfo {
	var out []app.StoreInfo
	for _, s := range all {
		if v.scope.Sees(s.ID) {
			out = append(out, s)
		}
	}
	return out
}

// build makes the three tabs for the scope, the store first shown being
// this terminal's.
func (v *View) build(all []app.StoreInfo) {
	v.stores = v.visibleStores(all)
	v.store = app.StoreInfo{}
	for _, s := range v.stores {
		if s.ID == v.deps.StoreID || v.store.ID == 0 {
			v.store = s
		}
	}
	if v.store.ID == 0 {
		v.refuse(report.ErrNotVisible.With("Name", v.deps.Staff.Name))
		return
	}
	v.people = nil
	v.Summary = newSummaryTab(v)
	v.Details = newDetailsTab(v)
	v.Bills = newBillsTab(v)
	v.Tabs = container.NewAppTabs(
		container.NewTabItem(i18n.T("reports.tab.summary", "Key", string(KeySummary)), v.Summary.content),
		container.NewTabItem(i18n.T("reports.tab.details", "Key", string(KeyDetails)), v.Details.content),
		container.NewTabItem(i18n.T("reports.tab.bills", "Key", string(KeyBills)), v.Bills.content),
	)
	v.Tabs.OnSelected = func(*container.TabItem) { v.focusTab() }
	v.body.Objects = []fyne.CanvasObject{v.Tabs}
	v.body.Refresh()
	v.focusTab() // the tabs came after the workspace opened: its first field takes the keyboard now
	v.loadPeople(v.store.ID)
	v.Summary.apply()
	v.Details.apply()
	v.Bills.apply()
}

// ChooseStores says whether a store can be chosen: a chain's manager who
// sees more than one.
func (v *View) ChooseStores() bool { return len(v.stores) > 1 }

// ChooseStaff says whether another person's figures can be asked for.
func (v *View) ChooseStaff() bool { return !v.scope.OwnFigures }

// chooseOrderStaff says whether the details can be narrowed to a person.
func (v *View) chooseOrderStaff() bool { return !v.scope.OwnOrders }

// setStore makes s the store of every tab and reads its people.
func (v *View) setStore(id int64) {
	if id == v.store.ID {
		return
	}
	for _, s := range v.stores {
		if s.ID == id {
			v.store = s
		}
	}
	for _, t := range []storeSetter{v.Summary, v.Details, v.Bills} {
		t.storeChanged()
	}
	v.loadPeople(id)
}

type storeSetter interface{ storeChanged() }

// loadPeople reads the store's people for the staff filters, when the
// person may choose anyone.
func (v *View) loadPeople(storeID int64) {
	if !v.ChooseStaff() && !v.chooseOrderStaff() {
		return
	}
	d := v.deps
	var people []app.Staff
	var err error
	async.Run(func() { people, err = d.Directory.ListStaff(context.Background(), storeID) }, func() {
		if v.store.ID != storeID || v.Summary == nil {
			return
		}
		if err != nil {
			v.say(i18n.T("reports.err.load", "Err", i18n.Err(err)))
			return
		}
		v.people = people
		v.Summary.setPeople(people)
		v.Details.setPeople(people)
		v.Bills.setPeople(people)
	})
}

// zone is the chosen store's time zone.
func (v *View) zone() *time.Location { return v.store.Location() }

// today is the store's business day that holds now.
func (v *View) today() summary.Day { return summary.DayOf(v.deps.Now(), v.zone()) }

func (v *View) say(text string) { v.Status.SetText(text) }

// fail says a read or write failed, in words: a refusal of the use case
// reads as what it is.
func (v *View) fail(err error) { v.say(i18n.T("reports.err.load", "Err", i18n.Err(err))) }

// current is the tab shown: 0 summary, 1 details, 2 bills.
func (v *View) current() int {
	if v.Tabs == nil {
		return -1
	}
	return v.Tabs.SelectedIndex()
}

// Show opens tab i (0 summary, 1 details, 2 bills) with the keyboard on
// its first field.
func (v *View) Show(i int) {
	if v.Tabs == nil || i < 0 || i >= len(v.Tabs.Items) {
		return
	}
	v.Tabs.SelectIndex(i)
	v.focusTab()
}

func (v *View) nextTab(by int) {
	if v.Tabs == nil {
		return
	}
	n := len(v.Tabs.Items)
	v.Show(((v.current()+by)%n + n) % n)
}

func (v *View) focusTab() {
	var f fyne.Focusable
	switch v.current() {
	case 0:
		f = v.Summary.From
	case 1:
		f = v.Details.focus()
	case 2:
		f = v.Bills.Period
	}
	if f == nil {
		return
	}
	if c := fyne.CurrentApp().Driver().CanvasForObject(v.body); c != nil {
		c.Focus(f)
	}
}

// key handles the workspace's keys, from its fields and tables or from
// the canvas; true when it took the key.
func (v *View) key(k fyne.KeyName) bool {
	if v.Tabs == nil {
		return false
	}
	switch k {
	case KeySummary:
		v.Show(0)
	case KeyDetails:
		v.Show(1)
	case KeyBills:
		v.Show(2)
	case KeyApply:
		v.applyCurrent()
	case KeyCSV:
		v.export(CSV)
	case KeyXLSX:
		v.export(XLSX)
	case KeyPrint:
		if v.current() != 0 {
			return false
		}
		v.Summary.print()
	default:
		if v.current() == 1 {
			return v.Details.key(k)
		}
		return false
	}
	return true
}

// shortcut handles the workspace's shortcuts; true when it took it.
func (v *View) shortcut(s fyne.Shortcut) bool {
	switch s.ShortcutName() {
	case ctrlTab.ShortcutName():
		v.nextTab(1)
	case ctrlShiftTab.ShortcutName():
		v.nextTab(-1)
	case ctrlP.ShortcutName():
		if v.current() != 1 {
			return false
		}
		v.Details.reprint()
	default:
		return false
	}
	return true
}

func (v *View) applyCurrent() {
	switch v.current() {
	case 0:
		v.Summary.apply()
	case 1:
		v.Details.apply()
	case 2:
		v.Bills.apply()
	}
}
