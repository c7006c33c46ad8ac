// Package products is the Products workspace (商品管理), for holders of the
// product_manage permission: the store's catalogue as a list that stays
// smooth at a million products (the ids of a filter, the rows read a page
// at a time), the one search of the counter as the person types, filters
// by category and state, adding and editing a product, disabling and
// enabling one, a shelf label, and product files in and out (an import is
// always checked whole first). The rules are app/catalog's: this screen
// shows their refusals in words.
package products

import (
	"context"
	"iter"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/catalog"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/scaninput"
)

// Catalog is what the workspace asks of the catalogue (app/catalog.Service).
type Catalog interface {
	Search(ctx context.Context, storeID int64, q string, f catalog.Filter) ([]catalog.Found, error)
	IDs(ctx context.Context, storeID int64, f catalog.Filter) ([]int64, error)
	Products(ctx context.Context, storeID int64, ids []int64) ([]catalog.Record, error)
	Categories(ctx context.Context, storeID int64) ([]string, error)
	Save(ctx context.Context, staffID, storeID, id int64, p catalog.Product) (int64, error)
	SetActive(ctx context.Context, staffID, storeID, id int64, active bool) error
	Import(ctx context.Context, staffID, storeID int64, rows catalog.Rows, o catalog.ImportOptions) (catalog.Report, error)
	Export(ctx context.Context, storeID int64, f catalog.Filter, write func(next func() (catalog.Row, bool)) error) error
}

// Store is this terminal's store: its catalogue is the one shown.
type Store interface {
	CurrentStore(ctx context.Context) (app.StoreInfo, error)
}

// Labels prints a product's shelf label on the store's printer.
type Labels interface {
	PrintShelfLabel(ctx context.Context, r catalog.Record) error
}

// Format is a product file's kind.
type Format string

const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// Sheet is a product file being read: its rows, and the header's columns
// that are not product fields (ignored, and worth saying).
type Sheet interface {
	catalog.Rows
	Unknown() []string
	Close() error
}

// Files reads and writes product files (sync/catalogfile in the GUI).
type Files interface {
	Read(path string) (Sheet, error)
	// Write writes rows to path whole or not at all, the header in English
	// when asked (else Chinese).
	Write(path string, f Format, english bool, rows iter.Seq[catalog.Row]) error
}

// Deps is what the workspace needs.
type Deps struct {
	Catalog Catalog
	Store   Store
	Files   Files
	Labels  Labels    // nil: no printer, no labels offered
	Staff   app.Staff // who is logged in (the catalogue checks the permission on every change)
	Window  fyne.Window
	// ChooseOpen and ChooseSave ask the person for a file; nil: Fyne's
	// file dialogs on Window.
	ChooseOpen func(then func(path string))
	ChooseSave func(name string, then func(path string))
	Now        func() time.Time // names an export; nil: time.Now
	// Run does blocking work off the UI goroutine and applies its result
	// on it, Do runs a function on it; nil: async.Run and fyne.Do. Tests
	// give their own to decide the order results arrive in.
	Run func(work, apply func())
	Do  func(func())
	// PageSize rows are read at a time, MaxPages of them kept; 0: 100 and 30.
	PageSize, MaxPages int
}

// View is the workspace.
type View struct {
	deps    Deps
	storeID int64 // once read
	filter  catalog.Filter
	cats    []string

	pages    *pages // the filter's list; nil until read
	listGen  int
	loading  bool
	query    string
	found    []catalog.Found
	searchN  int // keystrokes searched; a result of an older one is dropped
	cancel   context.CancelFunc
	updating bool // a row is being read for whoever shows it: the table is not redrawn

	toTop   bool            // the rows to come are another filter's or query's: show them from the top
	current *catalog.Record // the selected product
	wantSel int             // the row whose record is being read for the selection; -1 none

	Search   *scaninput.Entry
	Category *widget.Select
	State    *widget.Select
	Table    *keyTable
	Count    *widget.Label
	Status   *widget.Label
	AddNew   *widget.Button
	Edit     *widget.Button
	Toggle   *widget.Button
	Print    *widget.Button
	Import   *widget.Button
	Export   *widget.Button

	Form      *Form         // the add/edit dialog while open
	Importing *ImportDialog // the import dialog while open
	Exporting *ExportDialog // the export dialog while open

	content fyne.CanvasObject
}

// columns of the table, each as wide as its header or its widest usual
// value (sample); the name takes what the others leave.
var columns = []struct {
	key    string
	sample func() string
	right  bool
}{
	{i18n.Key("productsview.col.code"), func() string { return "6901234567892" }, false},
	{i18n.Key("productsview.col.name"), nil, false},
	{i18n.Key("productsview.col.price"), func() string { return catalog.PriceCeiling.Display() }, true},
	{i18n.Key("productsview.col.unit"), func() string { return "公斤" }, false},
	{i18n.Key("productsview.col.category"), func() string { return "方便食品" }, false},
	{i18n.Key("productsview.col.tax"), func() string { return "13%" }, true},
	{i18n.Key("productsview.col.state"), func() string { return StateName(false) }, false},
	{i18n.Key("productsview.col.stock"), func() string { return "99999" }, true},
}

// columnWidth is column i's width in the language in use.
func columnWidth(i int) float32 {
	c := columns[i]
	size := theme.TextSize()
	w := fyne.MeasureText(i18n.T(c.key), size, fyne.TextStyle{Bold: true}).Width
	if c.sample != nil {
		w = max(w, fyne.MeasureText(c.sample(), size, fyne.TextStyle{}).Width)
	}
	return w + 2*theme.InnerPadding() + 2
}

const (
	colName     = 1
	minNameWide = 160
)

// New builds the workspace and reads the store's catalogue in the
// background.
func New(d Deps) *View {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.PageSize <= 0 {
		d.PageSize = 100
	}
	if d.MaxPages <= 0 {
		d.MaxPages = 30
	}
	v := &View{deps: d, wantSel: -1}
	v.Search = scaninput.NewEntry(nil, nil)
	v.Search.SetPlaceHolder(i18n.T("productsview.search.placeholder"))
	v.Search.OnChanged = v.typed
	v.Search.OnEscape = func() { v.Search.SetText("") }
	v.Search.OnSubmitted = func(string) { v.toTable() }
	v.Category = widget.NewSelect([]string{allCategories()}, func(string) { v.filterChanged() })
	v.Category.Selected = allCategories()
	v.State = widget.NewSelect(stateOptions(), func(string) { v.filterChanged() })
	v.State.Selected = stateOptions()[0]

	v.Table = &keyTable{onEnter: func() { v.OpenEdit() }}
	v.Table.Length = func() (int, int) { return v.Rows(), len(columns) }
	v.Table.CreateCell = func() fyne.CanvasObject {
		l := widget.NewLabel("")
		l.Truncation = fyne.TextTruncateEllipsis
		return l
	}
	v.Table.UpdateCell = v.updateCell
	v.Table.ExtendBaseWidget(v.Table)
	v.Table.ShowHeaderRow = true
	v.Table.CreateHeader = func() fyne.CanvasObject {
		l := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		l.Truncation = fyne.TextTruncateEllipsis
		return l
	}
	v.Table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 {
			l := o.(*widget.Label)
			l.Alignment = fyne.TextAlignLeading
			if columns[id.Col].right {
				l.Alignment = fyne.TextAlignTrailing
			}
			l.SetText(i18n.T(columns[id.Col].key))
		}
	}
	for i := range columns {
		w := float32(minNameWide)
		if i != colName {
			w = columnWidth(i)
		}
		v.Table.SetColumnWidth(i, w)
	}
	v.Table.OnSelected = func(id widget.TableCellID) { v.selectRow(id.Row) }
	v.Table.OnUnselected = func(widget.TableCellID) { v.setCurrent(nil) }

	v.AddNew = widget.NewButtonWithIcon(i18n.T("productsview.add"), theme.ContentAddIcon(), func() { v.OpenNew() })
	v.AddNew.Importance = widget.HighImportance
	v.Edit = widget.NewButtonWithIcon(i18n.T("productsview.edit"), theme.DocumentCreateIcon(), func() { v.OpenEdit() })
	v.Toggle = widget.NewButtonWithIcon(i18n.T("productsview.disable"), theme.CancelIcon(), v.toggle)
	v.Print = widget.NewButtonWithIcon(i18n.T("productsview.print"), theme.DocumentPrintIcon(), v.printLabel)
	v.Import = widget.NewButtonWithIcon(i18n.T("productsview.import"), theme.UploadIcon(), v.StartImport)
	v.Export = widget.NewButtonWithIcon(i18n.T("productsview.export"), theme.DownloadIcon(), func() { v.OpenExport() })
	if d.Labels == nil {
		v.Print.Hide()
	}
	v.Count = widget.NewLabel("")
	v.Status = widget.NewLabel("")
	v.Status.Wrapping = fyne.TextWrapWord // an error is read whole
	v.setCurrent(nil)

	filters := container.NewHBox(
		widget.NewLabel(i18n.T("productsview.filter.category")), fixedWidth(v.Category, 150),
		widget.NewLabel(i18n.T("productsview.filter.state")), fixedWidth(v.State, 110))
	top := container.NewVBox(
		container.NewBorder(nil, nil, nil, filters, v.Search),
		container.NewHBox(v.AddNew, v.Edit, v.Toggle, v.Print, widget.NewSeparator(), v.Import, v.Export))
	table := container.New(&nameFills{v: v}, v.Table)
	v.content = container.NewBorder(top, container.NewBorder(nil, nil, v.Count, nil, v.Status), nil, nil, table)
	v.start()
	return v
}

// Content is the workspace's root object.
func (v *View) Content() fyne.CanvasObject { return v.content }

// FocusFirst is where the keyboard starts: the search.
func (v *View) FocusFirst() fyne.Focusable { return v.Search }

// Stop ends a search still running.
func (v *View) Stop() {
	if v.cancel != nil {
		v.cancel()
	}
}

func (v *View) run(work, apply func()) {
	if v.deps.Run != nil {
		v.deps.Run(work, apply)
		return
	}
	async.Run(work, apply)
}

func (v *View) do(f func()) {
	if v.deps.Do != nil {
		v.deps.Do(f)
		return
	}
	async.Do(f)
}

func (v *View) focus(o fyne.Focusable) {
	if v.deps.Window != nil {
		v.deps.Window.Canvas().Focus(o)
	}
}

func allCategories() string { return i18n.T("productsview.filter.all_categories") }

func stateOptions() []string {
	return []string{i18n.T("productsview.filter.all_states"), i18n.T("productsview.state.active"), i18n.T("productsview.state.inactive")}
}

// keyTable is the list: Enter edits the row the keyboard is on (arrows
// move, Space selects, as in any table).
type keyTable struct {
	widget.Table
	onEnter func()
}

func (t *keyTable) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter {
		t.Table.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace}) // select the row the keyboard is on
		t.onEnter()
		return
	}
	t.Table.TypedKey(ev)
}

// fixedWidth keeps a select as wide as given, whatever its options.
func fixedWidth(o fyne.CanvasObject, w float32) fyne.CanvasObject {
	return container.NewGridWrap(fyne.NewSize(w, o.MinSize().Height), o)
}

// nameFills gives the name column the table's width the other columns
// leave, so a wide window shows long names whole.
type nameFills struct {
	v     *View
	width float32
}

func (l *nameFills) MinSize(objs []fyne.CanvasObject) fyne.Size { return objs[0].MinSize() }

func (l *nameFills) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	rest := theme.Padding()*float32(len(columns)+1) + theme.ScrollBarSize()
	for i := range columns {
		if i != colName {
			rest += columnWidth(i)
		}
	}
	if w := max(minNameWide, size.Width-rest); w != l.width {
		l.width = w
		l.v.Table.SetColumnWidth(colName, w)
	}
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(size)
}

// start reads the store, then its categories and its list.
func (v *View) start() {
	var st app.StoreInfo
	var err error
	v.loading = true
	v.showCount()
	v.run(func() { st, err = v.deps.Store.CurrentStore(context.Background()) }, func() {
		if err != nil {
			v.loading = false
			v.Count.SetText("")
			v.Status.SetText(i18n.T("productsview.err.load", "Err", i18n.Err(err)))
			return
		}
		v.storeID = st.ID
		v.reload(0)
	})
}

// reload reads the categories and the rows shown again (the list, or the
// search's hits), keeping product keep selected when it is still there.
func (v *View) reload(keep int64) {
	v.loadCategories()
	if v.query != "" {
		v.runSearch(keep)
	}
	v.loadList(keep)
}

func (v *View) loadCategories() {
	var cats []string
	var err error
	store := v.storeID
	v.run(func() { cats, err = v.deps.Catalog.Categories(context.Background(), store) }, func() {
		if err != nil {
			v.Status.SetText(i18n.T("productsview.err.load", "Err", i18n.Err(err)))
			return
		}
		v.cats = cats
		v.Category.Options = append([]string{allCategories()}, cats...)
		v.Category.Refresh()
		if v.filter.Category != "" && !slices.Contains(cats, v.filter.Category) {
			v.Category.SetSelected(allCategories()) // its last product moved to another category
		}
	})
}

func (v *View) filterChanged() {
	f := catalog.Filter{}
	if v.Category.Selected != allCategories() {
		f.Category = v.Category.Selected
	}
	switch v.State.Selected {
	case i18n.T("productsview.state.active"):
		f.State = catalog.ActiveOnly
	case i18n.T("productsview.state.inactive"):
		f.State = catalog.InactiveOnly
	}
	if f == v.filter {
		return
	}
	v.filter = f
	v.toTop = true
	if v.storeID == 0 {
		return // the first read takes the filter
	}
	v.reload(v.currentID())
}

func (v *View) currentID() int64 {
	if v.current == nil {
		return 0
	}
	return v.current.ID
}

// Current is the selected product, nil when none is.
func (v *View) Current() *catalog.Record { return v.current }

func (v *View) setCurrent(r *catalog.Record) {
	v.current = r
	if r == nil {
		v.Edit.Disable()
		v.Toggle.Disable()
		v.Print.Disable()
		return
	}
	v.Edit.Enable()
	v.Toggle.Enable()
	v.Print.Enable()
	if r.Active {
		v.Toggle.SetText(i18n.T("productsview.disable"))
		v.Toggle.SetIcon(theme.CancelIcon())
	} else {
		v.Toggle.SetText(i18n.T("productsview.enable"))
		v.Toggle.SetIcon(theme.ConfirmIcon())
	}
}

// toggle disables the selected product, or enables it again.
func (v *View) toggle() {
	if v.current == nil {
		return
	}
	r := *v.current
	staff, store := v.deps.Staff.ID, v.storeID
	var err error
	v.Toggle.Disable()
	v.run(func() { err = v.deps.Catalog.SetActive(context.Background(), staff, store, r.ID, !r.Active) }, func() {
		v.Toggle.Enable()
		if err != nil {
			v.Status.SetText(i18n.T("productsview.err.save", "Err", i18n.Err(err)))
			return
		}
		if r.Active {
			v.Status.SetText(i18n.T("productsview.disabled_done", "Name", r.Name))
		} else {
			v.Status.SetText(i18n.T("productsview.enabled_done", "Name", r.Name))
		}
		v.reload(r.ID)
	})
}

// printLabel sends the selected product's shelf label to the printer.
func (v *View) printLabel() {
	if v.current == nil || v.deps.Labels == nil {
		return
	}
	r := *v.current
	var err error
	v.run(func() { err = v.deps.Labels.PrintShelfLabel(context.Background(), r) }, func() {
		if err != nil {
			v.Status.SetText(i18n.T("productsview.err.print", "Err", i18n.Err(err)))
			return
		}
		v.Status.SetText(i18n.T("productsview.printed", "Name", r.Name))
	})
}
