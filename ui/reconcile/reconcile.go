// Package reconcile is the reconciliation view (对账): a bill day and a
// channel (or all of them) are chosen, F5 downloads the channels' bills
// and matches them against this terminal's records, and the kept runs of
// the month before are listed with their counts and totals. The chosen
// day's differences are listed below, each with both sides and how it
// was resolved; the chosen one is settled by asking the channel (Enter)
// or explained with a note (F6). A "no bill yet" or a refused bill is
// said in words and never passes for a reconciled day.
//
// The rules (what matches, who may, what resolves a line) are
// app/reconcile's; docs/reconciliation.md is the rule book. Keyboard
// only: every button shows its key.
package reconcile

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/reconcile"
	"cashier/app/summary"
	"cashier/ui/i18n"
	"cashier/ui/scaninput"
)

// Reconciler is the reconciliation use case (app/reconcile.Service).
type Reconciler interface {
	Channels() []app.ChannelName
	Yesterday() summary.Day
	DayAs(ctx context.Context, staffID int64, day summary.Day, ch app.ChannelName) (reconcile.Result, error)
	Result(ctx context.Context, staffID int64, day summary.Day, ch app.ChannelName) (reconcile.Result, error)
	Runs(ctx context.Context, staffID int64, from, to summary.Day) ([]reconcile.Run, error)
	Settle(ctx context.Context, staffID, id int64) (reconcile.Difference, error)
	Explain(ctx context.Context, staffID, id int64, note string) (reconcile.Difference, error)
}

// Deps is what the view needs.
type Deps struct {
	Reconciler Reconciler
	Staff      app.Staff // the person logged in: every call is theirs
	// Zone is the store's time zone for the times shown (nil: the
	// computer's). Bill days themselves are China-time days, as the
	// channels cut their bills.
	Zone *time.Location
	// Window hosts the note dialog (nil: the window showing the view).
	Window fyne.Window
	// Canvas takes the view's keys while no field has the focus. Leave it
	// nil when the view sits inside another workspace that owns the
	// canvas's keys and hands them on through View.Key.
	Canvas fyne.Canvas
	// Override asks a manager to approve one action, then runs then (nil:
	// a refusal is only said).
	Override func(perm string, then func())
}

// Visible says whether the person is offered the view: reading
// reconciliations needs the store-transactions permission.
func Visible(s app.Staff) bool { return s.Has(reconcile.PermView) }

// History is how many days either side of the chosen one (up to today)
// the kept runs are listed.
const History = 30

// The view's keys, shown on its buttons.
const (
	KeyRun     = fyne.KeyF5
	KeyExplain = fyne.KeyF6
	KeyChannel = fyne.KeyF7
	KeyFilter  = fyne.KeyF8
	KeySettle  = fyne.KeyReturn
	KeyPrev    = fyne.KeyPageUp
	KeyNext    = fyne.KeyPageDown
)

// kept is a kept run with what its lines say.
type kept struct {
	reconcile.Run
	lines     []reconcile.Difference
	explained int
	settled   int
}

// View is the reconciliation view.
type View struct {
	deps Deps

	Day     *scaninput.Entry // the bill day, 2006-01-02
	Channel *widget.Select
	Run     *widget.Button
	Prev    *widget.Button
	Next    *widget.Button
	Filter  *widget.Button // open lines only, or every kept line
	Settle  *widget.Button
	Explain *widget.Button
	Busy    *widget.ProgressBarInfinite
	Status  *widget.Label    // what happened last, in words
	Summary *widget.Label    // the chosen day and channel's state
	History *widget.Label    // the kept runs' range
	Detail  [3]*widget.Label // the chosen line in full, a label a line (each cut to the width)
	Runs    *widget.Table
	Lines   *widget.Table
	Note    *NoteDialog // the open note dialog, nil when none

	chans   []app.ChannelName // the configured channels, in the channels' order
	day     summary.Day       // the day shown; zero while the field holds no day
	channel app.ChannelName   // "" every channel
	all     bool              // resolved lines shown too
	runs    []kept            // kept runs of the range, newest first
	shown   []reconcile.Difference
	sel     int // index into shown; -1 none
	busy    bool
	gen     int // the newest load: an older one finishing late is dropped
	ctx     context.Context
	cancel  context.CancelFunc
	stops   []func()
	done    bool
	content fyne.CanvasObject
}

// New builds the view on the channels' yesterday and reads what is kept.
func New(d Deps) *View {
	if d.Zone == nil {
		d.Zone = time.Local
	}
	v := &View{deps: d, sel: -1, chans: d.Reconciler.Channels()}
	v.ctx, v.cancel = context.WithCancel(context.Background())

	v.Day = scaninput.NewEntry(nil, nil)
	v.Day.SetPlaceHolder(i18n.T("reconview.day_placeholder"))
	v.Day.OnChanged = func(string) { v.dayTyped() }
	v.Day.Keys = v.keyMap() // the view's keys work while the cursor is in the day

	opts := []string{channelName("")}
	for _, ch := range v.chans {
		opts = append(opts, channelName(ch))
	}
	v.Channel = widget.NewSelect(opts, func(string) { v.channelChosen() })
	v.Channel.Selected = opts[0]

	v.Run = widget.NewButtonWithIcon(i18n.T("reconview.run", "Key", "F5"), theme.ViewRefreshIcon(), func() { v.press(KeyRun) })
	v.Run.Importance = widget.HighImportance
	v.Prev = widget.NewButtonWithIcon(i18n.T("reconview.prev", "Key", "PgUp"), theme.NavigateBackIcon(), func() { v.press(KeyPrev) })
	v.Next = widget.NewButtonWithIcon(i18n.T("reconview.next", "Key", "PgDn"), theme.NavigateNextIcon(), func() { v.press(KeyNext) })
	v.Filter = widget.NewButtonWithIcon("", theme.ListIcon(), func() { v.press(KeyFilter) })
	v.Settle = widget.NewButtonWithIcon(i18n.T("reconview.settle", "Key", "Enter"), theme.SearchReplaceIcon(), func() { v.press(KeySettle) })
	v.Settle.Importance = widget.HighImportance
	v.Explain = widget.NewButtonWithIcon(i18n.T("reconview.explain", "Key", "F6"), theme.DocumentCreateIcon(), func() { v.press(KeyExplain) })
	v.Busy = widget.NewProgressBarInfinite()
	v.Busy.Hide()
	v.Status = widget.NewLabel(i18n.T("reconview.hint"))
	v.Status.Wrapping = fyne.TextWrapWord
	v.Summary = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.Summary.Wrapping = fyne.TextWrapWord
	v.History = widget.NewLabel("")
	v.History.Truncation = fyne.TextTruncateEllipsis
	for i := range v.Detail {
		v.Detail[i] = widget.NewLabel("")
		v.Detail[i].Truncation = fyne.TextTruncateEllipsis
	}
	v.Runs = v.newRunsTable()
	v.Lines = v.newLinesTable()
	v.layout()
	v.setFilter(false)

	if c := d.Canvas; c != nil {
		c.SetOnTypedKey(func(k *fyne.KeyEvent) { v.Key(k.Name) })
		v.stops = append(v.stops, func() { c.SetOnTypedKey(nil) })
	}
	v.Day.SetText(d.Reconciler.Yesterday().String()) // reads what is kept
	return v
}

// Content is the view's root object.
func (v *View) Content() fyne.CanvasObject { return v.content }

// Title names the view (a tab's or a workspace's title).
func (v *View) Title() string { return i18n.T("reconview.title") }

// Focus is what takes the keyboard when the view opens: the day.
func (v *View) Focus() fyne.Focusable { return v.Day }

// Stop gives the canvas's keys back and stops what is under way: a run
// keeps nothing of a bill it did not finish matching, and a settle stays
// where the payment state machine's stored state has it (recovery
// finishes it).
func (v *View) Stop() {
	v.done = true
	v.cancel()
	if v.Note != nil {
		v.Note.Close()
	}
	for _, s := range v.stops {
		s()
	}
	v.stops = nil
}

func (v *View) layout() {
	field := func(key string, o fyne.CanvasObject) fyne.CanvasObject {
		return container.NewBorder(nil, nil, widget.NewLabel(i18n.T(key)), nil, o)
	}
	dayBox := container.NewGridWrap(fyne.NewSize(118, v.Day.MinSize().Height), v.Day)
	top := container.NewVBox(
		container.NewHBox(
			widget.NewLabel(i18n.T("reconview.day")), dayBox, v.Prev, v.Next,
			field(i18n.Key("reconview.channel"), v.Channel),
			v.Run, layout.NewSpacer()),
		v.Busy,
		v.Status,
	)
	runs := container.NewBorder(v.History, nil, nil, nil, v.Runs)
	lines := container.NewBorder(
		container.NewBorder(nil, nil, nil, v.Filter, v.Summary),
		// The lines close together: they read as one paragraph.
		container.New(layout.NewCustomPaddedVBoxLayout(-2*theme.Padding()), v.Detail[0], v.Detail[1], v.Detail[2]),
		nil, nil, v.Lines)
	split := container.NewVSplit(runs, lines)
	split.Offset = 0.3
	hint := widget.NewLabel(i18n.T("reconview.keys"))
	hint.Importance = widget.LowImportance
	hint.Truncation = fyne.TextTruncateEllipsis
	bar := container.NewBorder(nil, nil, nil, container.NewHBox(v.Explain, v.Settle), hint)
	v.content = container.NewBorder(top, bar, nil, nil, split)
}

// refocus gives the keyboard back to the day field after a tap on a table
// (a table takes the focus and would keep the view's keys from working).
func (v *View) refocus() {
	if c := fyne.CurrentApp().Driver().CanvasForObject(v.Day); c != nil && v.Note == nil {
		c.Focus(v.Day)
	}
}

func (v *View) keyMap() map[fyne.KeyName]func() {
	m := map[fyne.KeyName]func(){}
	for _, k := range []fyne.KeyName{KeyRun, KeyExplain, KeyChannel, KeyFilter, KeySettle, fyne.KeyEnter,
		KeyPrev, KeyNext, fyne.KeyUp, fyne.KeyDown} {
		k := k
		m[k] = func() { v.Key(k) }
	}
	return m
}

// Key does what key k means here and reports whether it meant anything.
// A workspace that holds the canvas's keys hands them on through this.
func (v *View) Key(k fyne.KeyName) bool {
	if v.done || v.Note != nil {
		return false // the dialog's fields take their own keys
	}
	switch k {
	case fyne.KeyUp:
		v.move(-1)
	case fyne.KeyDown:
		v.move(1)
	case KeyRun, KeyExplain, KeyChannel, KeyFilter, KeySettle, fyne.KeyEnter, KeyPrev, KeyNext:
		v.press(k)
	default:
		return false
	}
	return true
}

// press is a button or its key.
func (v *View) press(k fyne.KeyName) {
	if v.done || v.Note != nil {
		return
	}
	switch k {
	case KeyFilter:
		v.setFilter(!v.all)
		v.showLines(v.selectedID())
	case KeyChannel:
		i := (v.Channel.SelectedIndex() + 1) % len(v.Channel.Options)
		v.Channel.SetSelectedIndex(i)
	case KeyPrev:
		v.shiftDay(-1)
	case KeyNext:
		v.shiftDay(1)
	}
	// One thing at a time goes to the channels; the days and the lines
	// can still be looked through meanwhile.
	if !v.busy {
		switch k {
		case KeyRun:
			v.run()
		case KeySettle, fyne.KeyEnter:
			v.settle()
		case KeyExplain:
			v.explain()
		}
	}
	v.refocus()
}

func (v *View) setFilter(all bool) {
	v.all = all
	if all {
		v.Filter.SetText(i18n.T("reconview.show_open", "Key", "F8"))
	} else {
		v.Filter.SetText(i18n.T("reconview.show_all", "Key", "F8"))
	}
}
