// Package shift is the Shift workspace (交接班): the person's open shift
// and its takings so far, clocking on, the clock-off handover (a blind
// cash count, the review against what is expected, a manager's
// countersign when the variance is over the store's limit, the printed
// report), and the recent shifts with their reports to reprint.
package shift

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	appshift "cashier/app/shift"
	"cashier/app/summary"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

// Service is what the shift screens need from the shift use cases
// (app/shift.Service). Clocking on and off tells every open screen through
// SignalShift.
type Service interface {
	ClockOner
	Current(ctx context.Context, staffID int64) (appshift.Shift, bool, error)
	Takings(ctx context.Context, shiftID int64) (summary.Summary, error)
	// Review is the handover the count would make; it writes nothing.
	// ReviewFor and ClockOffFor hand over staffID's shift by actorID: the
	// person themselves, or a store manager closing it for them.
	ReviewFor(ctx context.Context, actorID, staffID int64, count appshift.CashCount, floatLeft app.Money) (appshift.Handover, error)
	ClockOffFor(ctx context.Context, actorID, staffID int64, count appshift.CashCount, floatLeft app.Money, cs *appshift.Countersign) (appshift.Shift, error)
	// Print prints a shift's report again, for the person asking.
	Print(ctx context.Context, shiftID, staffID int64) error
	// Recent lists recent shifts, newest first: the person's own, or the
	// whole store's.
	Recent(ctx context.Context, staffID int64, store bool) ([]appshift.Shift, error)
}

// Deps is what the workspace needs.
type Deps struct {
	Shifts  Service
	Signals *app.Signals // clock-on/off and new orders refresh the workspace
	Staff   app.Staff
	Window  fyne.Window // the clock-on dialog opens over it; the keyboard focus moves in its canvas
}

// View is the Shift workspace.
type View struct {
	deps Deps
	// The open shift.
	State     *widget.Label
	Float     *widget.Label
	ClockOnB  *widget.Button
	ClockOffB *widget.Button
	Message   *widget.Label
	Figures   *Figures
	// Recent shifts.
	Scope   *widget.RadioGroup // mine / the store's, for people who may see the store's
	Recent  *widget.List
	recent  []appshift.Shift
	current appshift.Shift
	on      bool
	loaded  bool // the first load has been shown

	Dialog   *ClockOn  // the clock-on dialog last opened
	Handover *Handover // the clock-off wizard while it is open
	overview fyne.CanvasObject
	body     *fyne.Container
	stops    []func()
}

// New builds the workspace and loads the person's shift in the background.
func New(d Deps) *View {
	v := &View{deps: d}
	v.State = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.State.Wrapping = fyne.TextWrapWord
	v.Float = widget.NewLabel("")
	v.Message = widget.NewLabel("")
	v.Message.Wrapping = fyne.TextWrapWord
	v.ClockOnB = widget.NewButtonWithIcon(i18n.T("shiftview.clock_on"), theme.LoginIcon(), v.clockOn)
	v.ClockOnB.Importance = widget.HighImportance
	v.ClockOffB = widget.NewButtonWithIcon(i18n.T("shiftview.clock_off"), theme.LogoutIcon(), v.clockOff)
	v.ClockOnB.Disable()
	v.ClockOffB.Disable()
	v.Figures = NewFigures()

	mine, store := i18n.T("shiftview.recent.mine"), i18n.T("shiftview.recent.store")
	v.Scope = widget.NewRadioGroup([]string{mine, store}, func(string) { v.loadRecent() })
	v.Scope.Horizontal = true
	v.Scope.Required = true
	v.Scope.Selected = mine
	if !d.Staff.Has(app.PermViewStoreOrders) {
		v.Scope.Hide() // a clerk's own shifts only
	}
	v.Recent = widget.NewList(
		func() int { return len(v.recent) },
		func() fyne.CanvasObject {
			who, what := widget.NewLabel(""), widget.NewLabel("")
			who.Truncation, what.Truncation = fyne.TextTruncateEllipsis, fyne.TextTruncateEllipsis
			what.SizeName = theme.SizeNameCaptionText
			// An icon alone, so the shift's own words keep the room.
			b := widget.NewButtonWithIcon("", theme.DocumentPrintIcon(), nil)
			return container.NewBorder(nil, nil, nil, b, container.NewVBox(who, what))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			sh := v.recent[i]
			box := o.(*fyne.Container)
			lines := box.Objects[0].(*fyne.Container).Objects
			who, what := recentLines(sh)
			lines[0].(*widget.Label).SetText(who)
			lines[1].(*widget.Label).SetText(what)
			b := box.Objects[1].(*widget.Button)
			switch {
			case sh.Open() && v.canCloseFor(sh):
				// Someone else's open shift, for a store manager: close it
				// for them (they left without clocking off).
				b.SetIcon(theme.LogoutIcon())
				b.OnTapped = func() { v.closeFor(sh) }
				b.Enable()
			case sh.Open():
				b.SetIcon(theme.DocumentPrintIcon())
				b.Disable() // the report is made at clock-off
			default:
				b.SetIcon(theme.DocumentPrintIcon())
				b.OnTapped = func() { v.reprint(sh.ID, v.Message) }
				b.Enable()
			}
		})

	mineCard := section(i18n.T("shiftview.title"), i18n.T("shiftview.day_note"), container.NewVBox(
		v.State, v.Float, container.NewHBox(v.ClockOnB, v.ClockOffB), v.Message))
	figCard := section(i18n.T("shiftview.takings"), "", v.Figures.Content())
	left := container.NewVScroll(container.NewVBox(mineCard, figCard))
	right := container.NewBorder(container.NewVBox(widget.NewLabelWithStyle(i18n.T("shiftview.recent"), fyne.TextAlignLeading,
		fyne.TextStyle{Bold: true}), v.Scope), nil, nil, nil, v.Recent)
	split := container.NewHSplit(left, right)
	split.Offset = 0.6
	v.overview = split
	v.body = container.NewStack(split)

	v.stops = append(v.stops,
		d.Signals.Subscribe(app.SignalShift, func(any) { async.Do(v.reload) }),
		d.Signals.Subscribe(app.SignalOrder, func(any) { async.Do(v.reloadTakings) }))
	v.reload()
	return v
}

// Content is the workspace's root object.
func (v *View) Content() fyne.CanvasObject { return v.body }

// Stop leaves the signal hub.
func (v *View) Stop() {
	for _, s := range v.stops {
		s()
	}
	v.stops = nil
}

// Focus is what gets the keyboard when the workspace opens: the button
// that does what the person most likely came to do.
func (v *View) Focus() fyne.Focusable {
	if v.on {
		return v.ClockOffB
	}
	return v.ClockOnB
}

func (v *View) focus(o fyne.Focusable) {
	if v.deps.Window != nil && o != nil {
		v.deps.Window.Canvas().Focus(o)
	}
}

// reload reads the person's shift, its takings and the recent shifts.
func (v *View) reload() {
	var sh appshift.Shift
	var on bool
	var sum summary.Summary
	var err, sumErr error
	svc, id := v.deps.Shifts, v.deps.Staff.ID
	async.Run(func() {
		ctx := context.Background()
		sh, on, err = svc.Current(ctx, id)
		if err == nil && on {
			sum, sumErr = svc.Takings(ctx, sh.ID)
		}
	}, func() {
		if err != nil {
			v.State.SetText(i18n.T("shiftview.err.load", "Err", i18n.Err(err)))
			return
		}
		v.current, v.on = sh, on
		v.showState()
		if v.deps.Window != nil && v.Handover == nil {
			// The page opened before it knew which button applies (both
			// start disabled): give the keyboard to the one that does, at
			// the first load and later when it was on the other button.
			if f := v.deps.Window.Canvas().Focused(); !v.loaded || f == nil || f == v.ClockOnB || f == v.ClockOffB {
				v.focus(v.Focus())
			}
		}
		v.loaded = true
		if sumErr != nil {
			v.Message.SetText(i18n.T("shiftview.err.load", "Err", i18n.Err(sumErr)))
		} else if on {
			v.Figures.Show(sum)
		}
	})
	v.loadRecent()
}

// reloadTakings reads the takings again after a sale or refund.
func (v *View) reloadTakings() {
	if !v.on {
		return
	}
	var sum summary.Summary
	var err error
	svc, id := v.deps.Shifts, v.current.ID
	async.Run(func() { sum, err = svc.Takings(context.Background(), id) }, func() {
		if err == nil && v.on && v.current.ID == id {
			v.Figures.Show(sum)
		}
	})
}

func (v *View) showState() {
	if !v.on {
		v.State.SetText(i18n.T("shiftview.off"))
		v.Float.SetText("")
		v.Figures.Clear()
		v.ClockOnB.Enable()
		v.ClockOffB.Disable()
		return
	}
	v.State.SetText(i18n.T("shiftview.on", "Since", Clock(v.current.StartedAt, time.Now()), "Scope", ScopeName(v.current.Scope()),
		"Day", dayOf(v.current)))
	v.Float.SetText(i18n.T("shiftview.opening_float", "Amount", Yuan(v.current.OpeningFloat)))
	v.ClockOnB.Disable()
	v.ClockOffB.Enable()
}

func (v *View) loadRecent() {
	var list []appshift.Shift
	var err error
	svc, id := v.deps.Shifts, v.deps.Staff.ID
	store := v.Scope.Selected == i18n.T("shiftview.recent.store")
	async.Run(func() { list, err = svc.Recent(context.Background(), id, store) }, func() {
		if err != nil {
			v.Message.SetText(i18n.T("shiftview.err.load", "Err", i18n.Err(err)))
			return
		}
		v.recent = list
		v.Recent.Refresh()
	})
}

func (v *View) clockOn() {
	if v.deps.Window == nil {
		return
	}
	v.Message.SetText("")
	v.Dialog = ShowClockOn(v.deps.Window, v.deps.Shifts, v.deps.Staff, func(appshift.Shift) { v.reload() })
}

// clockOff opens the handover wizard in place of the overview.
func (v *View) clockOff() {
	if !v.on {
		return
	}
	v.Message.SetText("")
	v.Handover = NewHandover(HandoverDeps{Shifts: v.deps.Shifts, Staff: v.deps.Staff, Shift: v.current,
		Focus: v.focus, Close: v.closeHandover})
	v.body.Objects = []fyne.CanvasObject{v.Handover.Content()}
	v.body.Refresh()
	v.Handover.FocusFirst()
}

// canCloseFor: a store manager or an administrator may close another
// person's open shift (the service checks again, and the store).
func (v *View) canCloseFor(sh appshift.Shift) bool {
	me := v.deps.Staff
	return sh.StaffID != me.ID && (me.Role == app.RoleManager || me.Role == app.RoleAdmin) && me.Has(app.PermShiftHandover)
}

// closeFor opens the handover wizard on someone else's open shift.
func (v *View) closeFor(sh appshift.Shift) {
	if v.Handover != nil {
		return
	}
	v.Message.SetText("")
	v.Handover = NewHandover(HandoverDeps{Shifts: v.deps.Shifts, Staff: v.deps.Staff, Shift: sh,
		Focus: v.focus, Close: v.closeHandover})
	v.body.Objects = []fyne.CanvasObject{v.Handover.Content()}
	v.body.Refresh()
	v.Handover.FocusFirst()
}

func (v *View) closeHandover() {
	v.Handover = nil
	v.body.Objects = []fyne.CanvasObject{v.overview}
	v.body.Refresh()
	v.reload()
	v.focus(v.Focus())
}

// reprint asks for a shift's report again and says how it went in msg.
func (v *View) reprint(shiftID int64, msg *widget.Label) {
	reprint(v.deps.Shifts, shiftID, v.deps.Staff.ID, msg)
}

func reprint(svc Service, shiftID, staffID int64, msg *widget.Label) {
	msg.SetText(i18n.T("shiftview.printing"))
	var err error
	async.Run(func() { err = svc.Print(context.Background(), shiftID, staffID) }, func() {
		if err != nil {
			msg.SetText(i18n.T("shiftview.err.print", "Err", i18n.Err(err)))
			return
		}
		msg.SetText(i18n.T("shiftview.printed"))
	})
}

// dayOf is the shift's business day as the screens show it.
func dayOf(sh appshift.Shift) string {
	if sh.Day.IsZero() {
		return sh.StartedAt.Local().Format("2006-01-02")
	}
	return sh.Day.String()
}

// ScopeName names where a shift runs.
func ScopeName(s appshift.Scope) string {
	if s == appshift.ScopeStore {
		return i18n.T("shiftview.scope.store")
	}
	return i18n.T("shiftview.scope.terminal")
}

// recentLines are one shift in the recent list: who and when, then at its
// end what was counted against what was expected.
func recentLines(sh appshift.Shift) (string, string) {
	when := sh.StartedAt.Local().Format("01-02 15:04")
	if sh.Open() {
		return i18n.T("shiftview.recent.open", "Name", sh.StaffName, "Since", when), i18n.T("shiftview.recent.running")
	}
	until := sh.EndedAt.Local().Format("15:04")
	if !sameDay(sh.StartedAt, sh.EndedAt) {
		until = sh.EndedAt.Local().Format("01-02 15:04")
	}
	who := i18n.T("shiftview.recent.closed", "Name", sh.StaffName, "Since", when, "Until", until)
	if sh.Handover == nil {
		return who, ""
	}
	return who, i18n.T("shiftview.recent.line", "Counted", Yuan(sh.Handover.Counted), "Variance", signed(sh.Handover.Variance))
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Local().Date()
	by, bm, bd := b.Local().Date()
	return ay == by && am == bm && ad == bd
}

// signed is a variance with its sign: +￥5.00, -￥3.00, ￥0.00.
func signed(m app.Money) string {
	if m > 0 {
		return "+" + Yuan(m)
	}
	return Yuan(m)
}
