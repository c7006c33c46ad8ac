// Package audit is the Audit workspace for managers: the audit log newest
// first — when, who, what in words, on what, details — filtered by date
// range, person and action, a page at a time, and a check of the log's
// hash chain that names the first broken row.
package audit

import (
	"context"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

// Row is one audit line.
type Row struct {
	ID        int64
	At        time.Time
	StaffCode string // "" for the app itself (sealing, demo data)
	StaffName string
	Action    string // the code; shown in words (ActionName)
	Subject   string
	Detail    string
}

// Filter selects rows, newest first.
type Filter struct {
	From, To  time.Time // From ≤ at < To; zero: unbounded
	StaffCode string    // "" everyone
	Action    string    // "" every action
	Before    int64     // rows older than this id (the next page); 0: the newest
	Limit     int
}

// Person is someone the log can be filtered by.
type Person struct{ Code, Name string }

// Check is the chain check's result, in a message.
type Check struct {
	OK      bool
	Message app.Message
}

// Log is what the workspace reads: the audit log (localdb, behind a
// permission check).
type Log interface {
	List(ctx context.Context, f Filter) ([]Row, error)
	People(ctx context.Context) ([]Person, error)
	Verify(ctx context.Context) (Check, error)
}

// Deps is what the workspace needs.
type Deps struct {
	Log Log
	// Zone is the store's time zone: dates typed and times shown are
	// the store's (nil: the computer's).
	Zone *time.Location
}

// PageSize is how many rows a page holds.
const PageSize = 100

// Visible says who is offered the workspace: managers of settings or of
// staff.
func Visible(s app.Staff) bool {
	return s.Has(app.PermSettings) || s.Has(app.PermStaffManage)
}

// View is the workspace.
type View struct {
	deps           Deps
	From, To       *widget.Entry
	Person, Action *widget.Select
	Apply          *widget.Button
	More           *widget.Button // the next (older) page; off when there is none
	Verify         *widget.Button
	Table          *widget.Table
	Status         *widget.Label // how many rows, or why none
	Result         *widget.Label // the chain check
	Detail         *widget.Label // the selected row in full
	rows           []Row
	filter         Filter // as last applied
	people         []Person
	gen            int // the newest load: an older one finishing late is dropped
	content        fyne.CanvasObject
}

var columns = []struct {
	key   string
	width float32
}{
	{i18n.Key("audit.view.col.time"), 180}, // "2006-01-02 15:04:05" whole
	{i18n.Key("audit.view.col.person"), 120},
	{i18n.Key("audit.view.col.action"), 140},
	{i18n.Key("audit.view.col.subject"), 130},
	{i18n.Key("audit.view.col.detail"), 250},
}

// New builds the workspace and loads the newest page.
func New(d Deps) *View {
	if d.Zone == nil {
		d.Zone = time.Local
	}
	v := &View{deps: d}
	v.From = widget.NewEntry()
	v.To = widget.NewEntry()
	for _, e := range []*widget.Entry{v.From, v.To} {
		e.SetPlaceHolder(i18n.T("audit.view.date_placeholder"))
		e.OnSubmitted = func(string) { v.apply() }
	}
	v.Person = widget.NewSelect(nil, func(string) { v.apply() })
	v.setPeople(nil)
	actionOpts := []string{i18n.T("audit.view.all_actions")}
	for _, c := range ActionCodes() {
		actionOpts = append(actionOpts, ActionName(c))
	}
	v.Action = widget.NewSelect(actionOpts, func(string) { v.apply() })
	v.Action.Selected = actionOpts[0]
	v.Apply = widget.NewButtonWithIcon(i18n.T("audit.view.apply"), theme.SearchIcon(), v.apply)
	v.Apply.Importance = widget.HighImportance
	v.More = widget.NewButtonWithIcon(i18n.T("audit.view.more"), theme.MoveDownIcon(), v.more)
	v.More.Disable()
	v.Verify = widget.NewButtonWithIcon(i18n.T("audit.view.verify"), theme.ConfirmIcon(), v.verify)
	v.Status = widget.NewLabel("")
	v.Result = widget.NewLabel("")
	v.Result.Wrapping = fyne.TextWrapWord
	v.Detail = widget.NewLabel("")
	v.Detail.Wrapping = fyne.TextWrapWord
	v.Table = widget.NewTable(
		func() (int, int) { return len(v.rows), len(columns) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			o.(*widget.Label).SetText(v.Cell(id.Row, id.Col))
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
	v.Table.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(v.rows) {
			v.Detail.SetText(v.line(id.Row))
		}
	}

	field := func(key string, o fyne.CanvasObject) fyne.CanvasObject {
		return container.NewBorder(nil, nil, widget.NewLabel(i18n.T(key)), nil, o)
	}
	filters := container.NewVBox(
		container.NewGridWithColumns(4,
			field(i18n.Key("audit.view.from"), v.From), field(i18n.Key("audit.view.to"), v.To),
			field(i18n.Key("audit.view.person"), v.Person), field(i18n.Key("audit.view.action"), v.Action)),
		container.NewHBox(v.Apply, v.More, v.Status, layout.NewSpacer(), v.Verify),
		v.Result,
	)
	v.content = container.NewBorder(filters, v.Detail, nil, nil, v.Table)

	log := d.Log
	var people []Person
	async.Run(func() { people, _ = log.People(context.Background()) }, func() { v.setPeople(people) })
	v.apply()
	return v
}

// Content is the workspace's root object.
func (v *View) Content() fyne.CanvasObject { return v.content }

// Rows are the rows shown, newest first.
func (v *View) Rows() []Row { return v.rows }

// Cell is the text of one table cell.
func (v *View) Cell(row, col int) string {
	if row < 0 || row >= len(v.rows) {
		return ""
	}
	r := v.rows[row]
	switch col {
	case 0:
		return r.At.In(v.deps.Zone).Format("2006-01-02 15:04:05")
	case 1:
		return personName(r.StaffCode, r.StaffName)
	case 2:
		return ActionName(r.Action)
	case 3:
		return r.Subject
	}
	return r.Detail
}

// line is row i in full, for the line under the table.
func (v *View) line(i int) string {
	parts := []string{"#" + strconv.FormatInt(v.rows[i].ID, 10)}
	for c := range columns {
		if s := v.Cell(i, c); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "  ·  ")
}

func personName(code, name string) string {
	if code == "" {
		return i18n.T("audit.view.system")
	}
	return code + " " + name
}

func (v *View) setPeople(people []Person) {
	v.people = people
	opts := []string{i18n.T("audit.view.all_people")}
	for _, p := range people {
		opts = append(opts, personName(p.Code, p.Name))
	}
	keep := v.Person.Selected
	v.Person.Options = opts
	v.Person.Selected = opts[0]
	for _, o := range opts {
		if o == keep {
			v.Person.Selected = o
		}
	}
	v.Person.Refresh()
}

// chosen reads the filter fields; ok is false (and Status says why) when
// a date cannot be read.
func (v *View) chosen() (Filter, bool) {
	f := Filter{Limit: PageSize}
	var ok bool
	if f.From, ok = v.day(v.From.Text, false); !ok {
		return f, false
	}
	if f.To, ok = v.day(v.To.Text, true); !ok {
		return f, false
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		v.Status.SetText(i18n.T("audit.view.bad_range"))
		return f, false
	}
	for i, p := range v.people {
		if v.Person.SelectedIndex() == i+1 {
			f.StaffCode = p.Code
		}
	}
	if i := v.Action.SelectedIndex(); i > 0 {
		f.Action = ActionCodes()[i-1]
	}
	return f, true
}

// day reads a typed date (2006-01-02) in the store's zone; the end of a
// range is the start of the next day (the day typed is included).
func (v *View) day(s string, end bool) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, true
	}
	d, err := time.ParseInLocation("2006-01-02", s, v.deps.Zone)
	if err != nil {
		v.Status.SetText(i18n.T("audit.view.bad_date", "Value", s))
		return time.Time{}, false
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, true
}

func (v *View) apply() {
	f, ok := v.chosen()
	if !ok {
		return
	}
	v.load(f, false)
}

func (v *View) more() {
	if len(v.rows) == 0 {
		return
	}
	f := v.filter
	f.Before = v.rows[len(v.rows)-1].ID
	v.load(f, true)
}

// load reads a page off the UI goroutine; with add it goes under the rows
// shown (the next page), else it replaces them.
func (v *View) load(f Filter, add bool) {
	v.gen++
	gen := v.gen
	v.Status.SetText(i18n.T("audit.view.loading"))
	v.More.Disable()
	log := v.deps.Log
	var rows []Row
	var err error
	async.Run(func() { rows, err = log.List(context.Background(), f) }, func() {
		if gen != v.gen {
			return
		}
		if err != nil {
			v.Status.SetText(i18n.T("audit.view.err", "Err", i18n.Err(err)))
			return
		}
		v.filter = f
		if add {
			v.rows = append(v.rows, rows...)
		} else {
			v.rows = rows
			v.Table.UnselectAll()
			v.Detail.SetText("")
			v.Table.ScrollToTop()
		}
		full := len(rows) == f.Limit
		if full {
			v.More.Enable()
		}
		switch {
		case len(v.rows) == 0:
			v.Status.SetText(i18n.T("audit.view.none"))
		case full:
			v.Status.SetText(i18n.T("audit.view.count_more", "N", len(v.rows)))
		default:
			v.Status.SetText(i18n.T("audit.view.count", "N", len(v.rows)))
		}
		v.Table.Refresh()
	})
}

// verify checks the whole chain (seconds for a million rows) off the UI
// goroutine and says what it found.
func (v *View) verify() {
	v.Verify.Disable()
	v.Result.Importance = widget.MediumImportance
	v.Result.SetText(i18n.T("audit.view.verifying"))
	log := v.deps.Log
	var c Check
	var err error
	async.Run(func() { c, err = log.Verify(context.Background()) }, func() {
		v.Verify.Enable()
		switch {
		case err != nil:
			v.Result.Importance = widget.DangerImportance
			v.Result.SetText(i18n.T("audit.view.verify_err", "Err", i18n.Err(err)))
		case c.OK:
			v.Result.Importance = widget.SuccessImportance
			v.Result.SetText(i18n.M(c.Message))
		default:
			v.Result.Importance = widget.DangerImportance
			v.Result.SetText(i18n.M(c.Message))
		}
	})
}
