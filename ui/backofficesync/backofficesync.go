// Package backofficesync is Settings → 后台同步: whether this terminal is
// enrolled with a back office and which one, what still waits to go up,
// how the last push and pull went, 立即同步 with its progress, and the
// enrolment by the back office's QR (a 2D scanner types it) or a typed
// code. It also holds the question asked before logging out or quitting
// while records are unsynced (ConfirmLeave), which the shell asks.
package backofficesync

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/sync/backoffice/client"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/products"
	"cashier/ui/scaninput"
)

// Phases of a sync, as Progress reports them.
const (
	PhasePush = "push" // the terminal's records go up
	PhasePull = "pull" // master data comes down
)

// Status is the terminal's enrolment and how sync last went.
type Status struct {
	Enrolled bool
	URL      string // the back office's base address
	Terminal string // this terminal's id there (t-…)
	Store    string // the store's code there
	Demo     bool   // the embedded demo back office of make run
	// Unsynced counts the records waiting to go up (the outbox), enrolled
	// or not.
	Unsynced int
	LastPush time.Time // the last push that went through (zero: never)
	LastPull time.Time // the last pull that went through (zero: never)
	// LastError is the latest attempt's error when it failed (either
	// direction), nil when the latest attempts went through. Errors kept as
	// text come back through StoredError.
	LastError error
	LastTry   time.Time // when that attempt was (zero: never)
	// SearchPending counts the products a first pull brought that sell by
	// their codes but are not found by name until the terminal has
	// indexed them, which it does after the pull.
	SearchPending int
}

// Failing says the latest sync attempt failed.
func (s Status) Failing() bool { return s.LastError != nil }

// Progress is how far a sync has gone.
type Progress struct {
	Phase string // PhasePush or PhasePull
	Topic string // the pull's master topic (protocol.MasterTopics); "" for the push
	Done  int
	Total int // 0: not known
}

// Sync is the back-office sync as the screens need it (the root's sync
// service). Its methods block; none is called on the UI goroutine.
type Sync interface {
	Status(ctx context.Context) (Status, error)
	// SyncNow pushes what is unsynced, then pulls the master data,
	// calling progress (on any goroutine) as it goes. A sync already
	// running (the scheduled job) is waited for, not refused.
	SyncNow(ctx context.Context, progress func(Progress)) error
	// PushNow is SyncNow without the pull: what logging out waits for.
	PushNow(ctx context.Context, progress func(Progress)) error
	// Enrol spends an enrolment code at the back office at url and binds
	// this terminal to it, replacing any earlier binding; staffID must
	// hold the settings permission (checked and audited by the use case).
	Enrol(ctx context.Context, staffID int64, url, code string) error
	// Subscribe calls fn (on any goroutine, never blocking) when the
	// status may have changed: a push or pull ended, an enrolment, records
	// written to the outbox.
	Subscribe(fn func()) (cancel func())
}

// Deps is what the page needs.
type Deps struct {
	Sync  Sync
	Staff app.Staff // who is logged in: enrolling needs the settings permission
	// Window shows the question before enrolling anew over a binding; its
	// canvas passes a scan typed while no field has the focus to the
	// enrolment field. Required.
	Window fyne.Window
	// Scans is the app's scan stream (serial scanners); a scan while the
	// page is open goes to the enrolment. Nil: only a keyboard-wedge
	// scanner typing into the field.
	Scans func() (<-chan string, func())
}

// View is the 后台同步 section.
type View struct {
	deps   Deps
	status Status
	loaded bool

	State, Address, Terminal, Store, Unsynced, LastPush, LastPull *widget.Label
	LastError                                                     *widget.Label
	SyncNow                                                       *widget.Button
	Progress                                                      *widget.ProgressBar
	Busy                                                          *widget.ProgressBarInfinite
	ProgressMsg                                                   *widget.Label
	Result                                                        *widget.Label // what came of 立即同步

	Code    *scaninput.Entry // the scanned QR or a typed code
	URL     *scaninput.Entry // the back office's address, filled from the QR
	CodeErr *widget.Label
	URLErr  *widget.Label
	Enrol   *widget.Button
	Message *widget.Label // what came of the enrolment
	Ask     *Question     // the open question before enrolling anew (nil: none)

	syncing, enrolling bool
	stops              []func()
	content            fyne.CanvasObject
}

// New builds the section and reads the status in the background. Stop
// ends what it listens to.
func New(d Deps) *View {
	v := &View{deps: d}
	label := func() *widget.Label {
		l := widget.NewLabel("")
		l.Wrapping = fyne.TextWrapWord
		return l
	}
	v.State, v.Address, v.Terminal, v.Store = label(), label(), label(), label()
	v.Unsynced, v.LastPush, v.LastPull = label(), label(), label()
	v.LastError, v.ProgressMsg, v.Result = label(), label(), label()
	v.SyncNow = widget.NewButtonWithIcon(i18n.T("backofficesync.sync_now"), theme.ViewRefreshIcon(), v.syncNow)
	v.SyncNow.Importance = widget.HighImportance
	v.SyncNow.Disable() // until the status says enrolled
	v.Progress = widget.NewProgressBar()
	v.Progress.Hide()
	v.Busy = widget.NewProgressBarInfinite()
	v.Busy.Hide()
	v.Busy.Stop()

	v.Code = scaninput.NewEntry(nil, nil)
	v.Code.SetPlaceHolder(i18n.T("backofficesync.code.placeholder"))
	v.URL = scaninput.NewEntry(nil, nil)
	v.URL.SetPlaceHolder(i18n.T("backofficesync.url.placeholder"))
	for _, e := range []*scaninput.Entry{v.Code, v.URL} {
		e.OnSubmitted = func(string) { v.submit() }
		e.OnEscape = v.clearForm
	}
	v.CodeErr, v.URLErr, v.Message = label(), label(), label()
	v.Code.OnChanged = func(string) { say(v.CodeErr, "", widget.DangerImportance) }
	v.URL.OnChanged = func(string) { say(v.URLErr, "", widget.DangerImportance) }
	v.Enrol = widget.NewButtonWithIcon(i18n.T("backofficesync.enrol"), theme.LoginIcon(), v.submit)
	// Messages take no room until there is something to say.
	for _, l := range []*widget.Label{v.LastError, v.ProgressMsg, v.Result, v.CodeErr, v.URLErr, v.Message} {
		l.Hide()
	}
	if !v.mayEnrol() {
		v.Code.Disable()
		v.URL.Disable()
		v.Enrol.Disable()
		say(v.Message, i18n.T("backofficesync.enrol.manager_only"), widget.MediumImportance)
	}

	state := widget.NewForm(
		widget.NewFormItem(i18n.T("backofficesync.state"), v.State),
		widget.NewFormItem(i18n.T("backofficesync.url"), v.Address),
		widget.NewFormItem(i18n.T("backofficesync.terminal"), v.Terminal),
		widget.NewFormItem(i18n.T("backofficesync.store"), v.Store),
		widget.NewFormItem(i18n.T("backofficesync.unsynced"), v.Unsynced),
		widget.NewFormItem(i18n.T("backofficesync.last_push"), v.LastPush),
		widget.NewFormItem(i18n.T("backofficesync.last_pull"), v.LastPull),
	)
	run := container.NewVBox(v.LastError,
		container.NewBorder(nil, nil, nil, v.SyncNow, container.NewStack(v.Progress, v.Busy)),
		v.ProgressMsg, v.Result)
	hint := widget.NewLabel(i18n.T("backofficesync.enrol.hint"))
	hint.Wrapping = fyne.TextWrapWord
	hint.SizeName = theme.SizeNameCaptionText
	enrolForm := widget.NewForm(
		widget.NewFormItem(i18n.T("backofficesync.code"), container.NewVBox(v.Code, v.CodeErr)),
		widget.NewFormItem(i18n.T("backofficesync.url"), container.NewVBox(container.NewBorder(nil, nil, nil, v.Enrol, v.URL), v.URLErr)),
	)
	enrol := container.NewVBox(
		widget.NewLabelWithStyle(i18n.T("backofficesync.enrol.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		hint, enrolForm, v.Message)
	// The card's subtitle would not wrap: the line under it does.
	sub := widget.NewLabel(i18n.T("backofficesync.sub"))
	sub.Wrapping = fyne.TextWrapWord
	sub.SizeName = theme.SizeNameCaptionText
	// The binding beside the enrolment, the run under both at full width,
	// where its messages take one line.
	v.content = widget.NewCard(i18n.T("backofficesync.title"), "",
		container.NewVBox(sub, container.NewGridWithColumns(2, state, enrol), widget.NewSeparator(), run))

	v.listen()
	v.refresh()
	return v
}

// Content is the section's root object.
func (v *View) Content() fyne.CanvasObject { return v.content }

// Focus is the first field: the enrolment's, where a scan lands.
func (v *View) Focus() fyne.Focusable { return v.Code }

// Stop ends the subscriptions and gives the canvas's keys back. The
// Settings page calls it when it is left.
func (v *View) Stop() {
	for _, stop := range v.stops {
		stop()
	}
	v.stops = nil
}

func (v *View) mayEnrol() bool { return v.deps.Staff.Has(app.PermSettings) }

// listen follows the sync's changes, the scan stream, and a QR scanned
// while no field has the focus (the page was just opened, a button was
// tapped): its first key, "{", moves the focus to the enrolment field,
// where the rest of the scan and its Enter land.
func (v *View) listen() {
	v.stops = append(v.stops, v.deps.Sync.Subscribe(func() { async.Do(v.refresh) }))
	if !v.mayEnrol() {
		return
	}
	if v.deps.Window != nil {
		c := v.deps.Window.Canvas()
		c.SetOnTypedRune(func(r rune) {
			if r == '{' && c.Focused() == nil && v.Code.Visible() && !v.Code.Disabled() && v.Ask == nil {
				v.Code.SetText("")
				c.Focus(v.Code)
				v.Code.TypedRune(r)
			}
		})
		v.stops = append(v.stops, func() { c.SetOnTypedRune(nil) })
	}
	if v.deps.Scans != nil {
		ch, cancel := v.deps.Scans()
		done := make(chan struct{})
		go func() {
			defer close(done)
			for code := range ch {
				async.Do(func() { v.scanned(code) })
			}
		}()
		// The stream closes once cancelled; waiting for the reader keeps a
		// test (and a closed window) from leaving it behind.
		v.stops = append(v.stops, cancel, func() {
			select {
			case <-done:
			case <-time.After(2 * time.Second):
			}
		})
	}
}

// scanned takes a scan from the stream as the enrolment's input.
func (v *View) scanned(code string) {
	if v.Code.Disabled() || v.Ask != nil {
		return
	}
	v.Code.SetText(code)
	v.submit()
}

// refresh reads the status again (on the UI goroutine; the read is not).
func (v *View) refresh() {
	var st Status
	var err error
	s := v.deps.Sync
	async.Run(func() { st, err = s.Status(context.Background()) }, func() {
		if err != nil {
			v.State.SetText(i18n.T("backofficesync.err.status", "Err", ErrorText(err)))
			v.State.Importance = widget.DangerImportance
			v.State.Refresh()
			return
		}
		v.status, v.loaded = st, true
		v.show(st)
	})
}

func (v *View) show(st Status) {
	v.State.Importance = widget.MediumImportance
	switch {
	case !st.Enrolled:
		v.State.SetText(i18n.T("backofficesync.state.none"))
		v.State.Importance = widget.WarningImportance
	case st.Demo:
		v.State.SetText(i18n.T("backofficesync.state.demo"))
	default:
		v.State.SetText(i18n.T("backofficesync.state.enrolled"))
	}
	v.State.Refresh()
	dash := func(s string) string {
		if s == "" {
			return "—"
		}
		return s
	}
	v.Address.SetText(dash(st.URL))
	v.Terminal.SetText(dash(st.Terminal))
	v.Store.SetText(dash(st.Store))
	v.Unsynced.SetText(i18n.T("backofficesync.unsynced.count", "N", products.Thousands(st.Unsynced)))
	v.Unsynced.Importance = widget.MediumImportance
	if st.Unsynced > 0 && st.Failing() {
		v.Unsynced.Importance = widget.WarningImportance
	}
	v.Unsynced.Refresh()
	v.LastPush.SetText(When(st.LastPush))
	pull := When(st.LastPull)
	if st.SearchPending > 0 {
		pull += i18n.T("backofficesync.indexing", "N", products.Thousands(st.SearchPending))
	}
	v.LastPull.SetText(pull)
	if st.Failing() {
		say(v.LastError, i18n.T("backofficesync.last_error", "At", When(st.LastTry), "Err", ErrorText(st.LastError)), widget.DangerImportance)
	} else {
		say(v.LastError, "", widget.DangerImportance)
	}
	if st.Enrolled && !v.syncing {
		v.SyncNow.Enable()
	} else {
		v.SyncNow.Disable()
	}
}

// syncNow pushes and pulls, showing how far it has gone, then the result.
func (v *View) syncNow() {
	if v.syncing || !v.status.Enrolled {
		return
	}
	v.syncing = true
	v.SyncNow.Disable()
	say(v.Result, "", widget.MediumImportance)
	say(v.ProgressMsg, i18n.T("backofficesync.progress.start"), widget.MediumImportance)
	v.showProgress(Progress{})
	s := v.deps.Sync
	var err error
	async.Run(func() {
		err = s.SyncNow(context.Background(), func(p Progress) { async.Do(func() { v.showProgress(p) }) })
	}, func() {
		v.syncing = false
		v.Progress.Hide()
		v.Busy.Stop()
		v.Busy.Hide()
		if v.status.Enrolled { // at once, not when the status is read again
			v.SyncNow.Enable()
		}
		say(v.ProgressMsg, "", widget.MediumImportance)
		if err != nil {
			say(v.Result, i18n.T("backofficesync.result.failed", "Err", ErrorText(err)), widget.DangerImportance)
		} else {
			say(v.Result, i18n.T("backofficesync.result.ok", "At", When(time.Now())), widget.SuccessImportance)
		}
		v.refresh()
	})
}

func (v *View) showProgress(p Progress) {
	if !v.syncing {
		return // a late report of a run that has ended
	}
	if p.Total > 0 {
		v.Busy.Stop()
		v.Busy.Hide()
		v.Progress.SetValue(min(1, float64(p.Done)/float64(p.Total)))
		v.Progress.Show()
	} else {
		v.Progress.Hide()
		v.Busy.Show()
		v.Busy.Start()
	}
	if p.Phase != "" {
		say(v.ProgressMsg, ProgressText(p), widget.MediumImportance)
	}
}

// clearForm is Esc in the enrolment's fields.
func (v *View) clearForm() {
	v.Code.SetText("")
	v.URL.SetText("")
	say(v.Message, "", widget.MediumImportance)
}

func (v *View) fieldError(l *widget.Label, text string) { say(l, text, widget.DangerImportance) }

// say shows text in l, or hides l when there is nothing to say.
func say(l *widget.Label, text string, imp widget.Importance) {
	l.Text, l.Importance = text, imp
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
	l.Refresh()
}

// submit reads the enrolment's fields: the scanned QR fills both (the
// field then shows the code it held), a typed code needs the address.
// Enrolling over a binding asks first.
func (v *View) submit() {
	if v.enrolling || !v.mayEnrol() || v.Ask != nil {
		return
	}
	if !v.loaded {
		// Whether a binding would be replaced is not known yet: asked
		// again once the status is read.
		say(v.Message, i18n.T("backofficesync.err.not_loaded"), widget.DangerImportance)
		v.refresh()
		return
	}
	say(v.CodeErr, "", widget.DangerImportance)
	say(v.URLErr, "", widget.DangerImportance)
	base, code, err := client.ParseEnrolQR(v.Code.Text)
	if err != nil {
		v.fieldError(v.CodeErr, ErrorText(err))
		v.focus(v.Code)
		return
	}
	if base != "" {
		v.Code.SetText(code)
		v.URL.SetText(base)
	} else {
		v.Code.SetText(code)
		base = strings.TrimSpace(v.URL.Text)
	}
	if base == "" {
		v.fieldError(v.URLErr, i18n.T("backofficesync.err.url_required"))
		v.focus(v.URL)
		return
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.fieldError(v.URLErr, i18n.T("backofficesync.err.url_bad"))
		v.focus(v.URL)
		return
	}
	if v.status.Enrolled && v.deps.Window != nil {
		text := i18n.T("backofficesync.reenrol.text", "URL", v.status.URL, "Terminal", v.status.Terminal, "New", base)
		if n := v.status.Unsynced; n > 0 {
			text += "\n\n" + i18n.T("backofficesync.reenrol.unsynced", "N", products.Thousands(n))
		}
		v.Ask = NewQuestion(v.deps.Window, i18n.T("backofficesync.reenrol.title"), text, func() {
			v.Ask = nil
			v.focus(v.Code)
		},
			Choice{Label: i18n.T("backofficesync.reenrol.yes"), Icon: theme.ConfirmIcon(), Important: true, Do: func(q *Question) {
				q.Close()
				v.Ask = nil
				v.enrol(base, code)
			}},
			Choice{Label: i18n.T("backofficesync.cancel"), Icon: theme.CancelIcon(), Do: func(q *Question) { q.Cancel() }})
		return
	}
	v.enrol(base, code)
}

func (v *View) enrol(base, code string) {
	v.enrolling = true
	v.Enrol.Disable()
	say(v.Message, i18n.T("backofficesync.enrolling", "URL", base), widget.MediumImportance)
	s, staff := v.deps.Sync, v.deps.Staff.ID
	var err error
	var st Status
	var stErr error
	async.Run(func() {
		ctx := context.Background()
		if err = s.Enrol(ctx, staff, base, code); err == nil {
			st, stErr = s.Status(ctx)
		}
	}, func() {
		v.enrolling = false
		v.Enrol.Enable()
		if err != nil {
			v.enrolRefused(err)
			return
		}
		v.Code.SetText("")
		v.URL.SetText("")
		if stErr == nil {
			v.status, v.loaded = st, true
			v.show(st)
			say(v.Message, i18n.T("backofficesync.enrolled", "URL", st.URL, "Terminal", st.Terminal), widget.SuccessImportance)
		} else {
			say(v.Message, i18n.T("backofficesync.enrolled", "URL", base, "Terminal", "—"), widget.SuccessImportance)
		}
	})
}

// enrolRefused shows a refusal beside the field it is about: a code the
// back office does not take beside the code, an address that cannot be
// reached (or answers as no back office does) beside the address.
func (v *View) enrolRefused(err error) {
	text := ErrorText(err)
	say(v.Message, "", widget.MediumImportance)
	var ce *client.Error
	if !errors.As(err, &ce) {
		say(v.Message, text, widget.DangerImportance)
		return
	}
	switch {
	case ce.Code == "enrol_refused" || ce.Code == "bad_enrol":
		v.fieldError(v.CodeErr, text)
		v.focus(v.Code)
	case ce.Code == "network" || ce.Code == "bad_url" || ce.Code == "bad_answer" || ce.Code == "not_found" ||
		ce.Code == "protocol_unsupported" || ce.Status >= 500:
		v.fieldError(v.URLErr, text)
		v.focus(v.URL)
	default:
		say(v.Message, text, widget.DangerImportance)
	}
}

func (v *View) focus(f fyne.Focusable) {
	if v.deps.Window != nil {
		v.deps.Window.Canvas().Focus(f)
	}
}
