// Package shell is the main window: login first, then a navigation bar of
// workspaces. A workspace is listed only when it does something.
package shell

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/ui/about"
	"cashier/ui/async"
	"cashier/ui/backofficesync"
	"cashier/ui/i18n"
	"cashier/ui/login"
	"cashier/ui/override"
	"cashier/ui/products"
	"cashier/ui/settings"
	shiftui "cashier/ui/shift"
)

// Workspace is one area of the app in the navigation bar.
type Workspace struct {
	ID string
	// TitleKey is the title's translation key: the title follows a
	// language change.
	TitleKey string
	Icon     fyne.Resource
	// Build makes the workspace for the person logged in. It runs on the UI
	// goroutine and must not block.
	Build func(s Session) Page
	// Visible says whether the person is offered the workspace (nil:
	// always). It runs on the UI goroutine and must not block; the shell
	// asks again when the person clocks on or off.
	Visible func(s Session) bool
}

// Page is a built workspace.
type Page struct {
	Content fyne.CanvasObject
	Focus   fyne.Focusable // gets the keyboard when the page opens (may be nil)
	Stop    func()         // called when the page is left (may be nil)
}

// Session is who is logged in, in which window, and whether they are on
// shift (as the status bar last read it).
type Session struct {
	Staff   app.Staff
	Window  fyne.Window
	OnShift bool
	// Terminal is this terminal's settings as last read (its cashier mode
	// decides which of the Counter and the deposit desk are offered); the
	// workspaces are offered again when they change.
	Terminal app.TerminalInfo
}

// ShiftStatus is what the status bar shows: the shift of the person
// logged in and how many others are on shift in the store.
type ShiftStatus struct {
	On       bool
	Since    time.Time
	Received app.Money // their shift's received amount so far
	Others   int
	// Disabled: the person was disabled since they logged in. Their
	// session ends (every permission-checked action is refused in app
	// already; this ends the rest, like taking payments).
	Disabled bool
	// DepositsNearLimit counts the store's frozen deposits near (or past)
	// their wallet's automatic refund: shown as a warning until settled.
	DepositsNearLimit int
}

// Shifts tells the status bar who is on shift.
type Shifts interface {
	ShiftStatus(ctx context.Context, staffID int64) (ShiftStatus, error)
}

// StaffLister lists who can log in.
type StaffLister interface {
	ListStaff(ctx context.Context, storeID int64) ([]app.Staff, error)
}

// Deps is everything the shell wires into its screens.
type Deps struct {
	Auth     login.Authenticator
	Staff    StaffLister
	Settings settings.Service
	// Overrider takes a manager's override where someone lacks a
	// permission (the Settings save); nil: none offered.
	Overrider override.Overrider
	// Signals tells the shell of settings and language changes: the title
	// bar and the screens follow without a restart.
	Signals   *app.Signals
	Store     app.StoreInfo
	Terminal  app.TerminalInfo
	DemoPINs  map[string]string
	Sandbox   bool
	About     about.Info
	Workspace []Workspace // workspaces from later features, shown before Settings/About
	// UseLanguage applies a new language setting (i18n.Use); when the
	// language in use (i18n.Current) changes, the shell rebuilds the
	// screens in it. Nil: the language never changes while running.
	UseLanguage func(string)
	// Shifts feeds the status bar at the bottom (nil: no status bar). It
	// is read at login, on SignalShift and SignalOrder, and every
	// StatusEvery (0: 30 s) for what changes without a signal (a refund
	// settled by the recovery job, a colleague's shift on another till).
	Shifts      Shifts
	StatusEvery time.Duration
	// ClockOn opens the clock-on dialog from the status bar (nil: no
	// button there).
	ClockOn func(Session)
	// Sync is the back-office sync (nil: none). The status bar shows what
	// waits to go up (read with the shifts, and when Sync says it
	// changed), Settings shows 后台同步, and logging out or closing the
	// window (ConfirmQuit) asks first while records are unsynced.
	Sync backofficesync.Sync
	// SyncLeaveDeadline bounds 先同步再退出 (0:
	// backofficesync.DefaultLeaveDeadline).
	SyncLeaveDeadline time.Duration
	// Scans is the app's scan stream, for the enrolment QR in Settings →
	// 后台同步 (nil: a keyboard-wedge scanner typing into the field).
	Scans func() (<-chan string, func())
}

// Shell owns the main window.
type Shell struct {
	deps    Deps
	win     fyne.Window
	session *Session
	Login   *login.Screen
	nav     *widget.List
	items   []Workspace
	current int
	page    Page
	body    *fyne.Container
	header  *widget.Label
	logout  *widget.Button
	subs    []func() // signal subscriptions, cancelled by Stop
	// The status bar: the shift line, the others on shift, the clock-on
	// button, and the ticker that re-reads them (stopStatus ends it).
	status     *widget.Label
	others     *widget.Label
	deposits   *widget.Label // deposits near their wallet's limit
	clockOn    *widget.Button
	syncState  *widget.Label // what waits to go up to the back office
	stopStatus func()
	leaving    bool   // the question before logging out or quitting is open
	endedFor   string // the person whose session ended because they were disabled, said on the login screen
}

// WindowTitle is the main window's title in Chinese, the default language
// (the smoke test finds the window by it). Title is the title in the
// language in use.
const WindowTitle = "智能收银台 POS"

// Title is the main window's title in the language in use.
func Title() string { return i18n.T("shell.title") }

// New creates the main window on a and shows the login screen. Closing
// the window stops the shell (Stop); a caller that sets its own OnClosed
// on the window must call Stop from it.
func New(a fyne.App, d Deps) *Shell {
	s := &Shell{deps: d, win: a.NewWindow(Title())}
	s.win.Resize(fyne.NewSize(1024, 720))
	s.subs = append(s.subs,
		d.Signals.Subscribe(app.SignalTerminal, func(any) { s.reloadDetails() }),
		d.Signals.Subscribe(app.SignalLanguage, func(v any) {
			lang, _ := v.(string)
			async.Do(func() { s.relanguage(lang) })
		}),
		d.Signals.Subscribe(app.SignalShift, func(any) { async.Do(s.RefreshStatus) }),
		d.Signals.Subscribe(app.SignalOrder, func(any) { async.Do(s.RefreshStatus) }))
	s.win.SetOnClosed(s.Stop)
	s.ShowLogin()
	return s
}

// Stop leaves the signal hub and stops the open workspace. The window
// calls it when it closes; calling it again does nothing.
func (s *Shell) Stop() {
	for _, cancel := range s.subs {
		cancel()
	}
	s.subs = nil
	s.stopPage()
	s.endStatus()
}

// reloadDetails reads the store and terminal details again (settings
// changed) and shows them in the title bar.
func (s *Shell) reloadDetails() {
	var st app.StoreInfo
	var tm app.TerminalInfo
	var err error
	async.Run(func() { st, tm, err = s.deps.Settings.Current(context.Background()) }, func() {
		if err == nil {
			s.deps.Store, s.deps.Terminal = st, tm
			s.updateHeader()
			if s.session != nil && s.session.Terminal != tm {
				s.session.Terminal = tm
				s.reoffer()
			}
		}
	})
}

// relanguage applies a new language setting and, when it changes the
// language in use, rebuilds the screens in it, keeping the person logged
// in and the workspace open. A setting that resolves to the language
// already in use (zh → system on a Chinese computer; any setting while
// --lang rules) rebuilds nothing.
func (s *Shell) relanguage(lang string) {
	before := i18n.Current()
	if s.deps.UseLanguage != nil {
		s.deps.UseLanguage(lang)
	}
	if i18n.Current() == before {
		return
	}
	s.win.SetTitle(Title())
	if s.session == nil {
		s.ShowLogin()
		return
	}
	cur, st := s.current, s.session.Staff
	s.stopPage()
	s.enter(st, cur)
}

// Window is the main window.
func (s *Shell) Window() fyne.Window { return s.win }

// Session is who is logged in, or nil.
func (s *Shell) Session() *Session { return s.session }

// ShowLogin replaces the window's content with the login screen.
func (s *Shell) ShowLogin() {
	s.stopPage()
	s.endStatus()
	s.session = nil
	// The worker gets copies: s.deps changes on the UI goroutine
	// (reloadDetails) meanwhile.
	lister, storeID := s.deps.Staff, s.deps.Store.ID
	var staff []app.Staff
	var err error
	async.Run(func() { staff, err = lister.ListStaff(context.Background(), storeID) }, func() {
		if err != nil {
			fyne.LogError("list staff", err)
		}
		s.showLoginWith(staff)
	})
}

func (s *Shell) showLoginWith(staff []app.Staff) {
	if s.session != nil {
		return // someone logged in meanwhile
	}
	s.Login = login.New(login.Deps{
		Auth: s.deps.Auth, Staff: staff, DemoPINs: s.deps.DemoPINs,
		StoreName: s.deps.Store.Name + " · " + s.deps.Terminal.Name, Sandbox: s.deps.Sandbox,
		OnLogin: func(st app.Staff) { s.enter(st, 0) }, Focus: s.win.Canvas().Focus,
	})
	s.win.SetContent(s.Login.Content())
	s.clearShortcuts()
	if s.endedFor != "" {
		s.Login.Message.SetText(i18n.T("shell.session_ended_disabled", "Name", s.endedFor))
		s.endedFor = ""
	}
	s.Login.FocusFirst()
}

func (s *Shell) builtins() []Workspace {
	return []Workspace{
		{ID: "settings", TitleKey: i18n.Key("nav.settings"), Icon: theme.SettingsIcon(), Build: func(se Session) Page {
			d := settings.Deps{Settings: s.deps.Settings, Staff: se.Staff, Sync: s.deps.Sync, Window: se.Window, Scans: s.deps.Scans}
			if o := s.deps.Overrider; o != nil {
				d.Override = func(perm string, then func()) { override.Ask(se.Window, perm, se.Staff, o, then) }
			}
			v := settings.New(d)
			return Page{Content: v.Content(), Stop: v.Stop}
		}},
		{ID: "about", TitleKey: i18n.Key("nav.about"), Icon: theme.InfoIcon(), Build: func(Session) Page {
			return Page{Content: about.New(s.deps.About)}
		}},
	}
}

// enter shows the workspaces to st and opens workspace open (the first
// when out of range).
func (s *Shell) enter(st app.Staff, open int) {
	onShift := s.session != nil && s.session.Staff.ID == st.ID && s.session.OnShift // a rebuild keeps what is known
	s.session = &Session{Staff: st, Window: s.win, OnShift: onShift, Terminal: s.deps.Terminal}
	s.items = s.visibleItems()
	s.header = widget.NewLabel("")
	s.updateHeader()
	s.logout = widget.NewButtonWithIcon(i18n.T("shell.logout"), theme.LogoutIcon(), s.askLogout)
	top := []fyne.CanvasObject{s.header}
	if s.deps.Sandbox {
		b := widget.NewLabelWithStyle(i18n.T("shell.sandbox.badge"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
		b.Importance = widget.WarningImportance
		top = append(top, b)
	}
	bar := container.NewBorder(nil, nil, container.NewHBox(top...), s.logout)
	s.nav = widget.NewList(
		func() int { return len(s.items) },
		func() fyne.CanvasObject {
			return container.NewHBox(widget.NewIcon(theme.InfoIcon()), widget.NewLabel("workspace"))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			box := o.(*fyne.Container)
			box.Objects[0].(*widget.Icon).SetResource(s.items[i].Icon)
			text := i18n.T(s.items[i].TitleKey)
			if sc, ok := navShortcut(i); ok {
				text += "  " + navLabel(sc)
			}
			box.Objects[1].(*widget.Label).SetText(text)
		})
	s.body = container.NewStack()
	s.nav.OnSelected = func(i widget.ListItemID) { s.open(i) }
	split := container.NewHSplit(s.nav, s.body)
	split.Offset = 0.18
	s.win.SetContent(container.NewBorder(container.NewVBox(bar, widget.NewSeparator()), s.statusBar(), nil, nil, split))
	s.installShortcuts()
	if open < 0 || open >= len(s.items) {
		open = 0
	}
	s.nav.Select(open)
	s.startStatus()
}

// visibleItems are the workspaces offered to the person logged in.
func (s *Shell) visibleItems() []Workspace {
	var out []Workspace
	for _, w := range append(append([]Workspace{}, s.deps.Workspace...), s.builtins()...) {
		if w.Visible == nil || w.Visible(*s.session) {
			out = append(out, w)
		}
	}
	return out
}

// statusBar is the line at the bottom: the person's shift and how many
// others are on shift, and what waits to go up to the back office; nil
// without a shift feed or a sync.
func (s *Shell) statusBar() fyne.CanvasObject {
	s.status, s.others, s.deposits, s.clockOn, s.syncState = nil, nil, nil, nil, nil
	if s.deps.Shifts == nil && s.deps.Sync == nil {
		return nil
	}
	var left fyne.CanvasObject
	right := container.NewHBox()
	if s.deps.Shifts != nil {
		s.status = widget.NewLabel(i18n.T("shell.shift.loading"))
		s.others = widget.NewLabel("")
		s.deposits = widget.NewLabel("")
		s.deposits.Importance = widget.WarningImportance
		s.deposits.TextStyle = fyne.TextStyle{Bold: true}
		s.deposits.Hide()
		left = s.status
		right.Add(s.deposits)
		right.Add(s.others)
		if s.deps.ClockOn != nil {
			s.clockOn = widget.NewButtonWithIcon(i18n.T("shell.shift.clock_on"), theme.LoginIcon(), func() {
				if s.session != nil {
					s.deps.ClockOn(*s.session)
				}
			})
			s.clockOn.Hide()
			right.Add(s.clockOn)
		}
	}
	var center []fyne.CanvasObject
	if s.deps.Sync != nil {
		// Between the shift and the others, cut short rather than widen
		// the window.
		s.syncState = widget.NewLabel("")
		s.syncState.Alignment = fyne.TextAlignTrailing
		s.syncState.Truncation = fyne.TextTruncateEllipsis
		center = append(center, s.syncState)
	}
	return container.NewVBox(widget.NewSeparator(), container.NewBorder(nil, nil, left, right, center...))
}

// startStatus reads the status now and every StatusEvery until the person
// logs out.
func (s *Shell) startStatus() {
	s.endStatus()
	if s.deps.Shifts == nil && s.deps.Sync == nil {
		return
	}
	s.RefreshStatus()
	every := s.deps.StatusEvery
	if every <= 0 {
		every = 30 * time.Second
	}
	done := make(chan struct{})
	unsubscribe := func() {}
	if s.deps.Sync != nil {
		unsubscribe = s.deps.Sync.Subscribe(func() { async.Do(s.refreshSync) })
	}
	s.stopStatus = func() { unsubscribe(); close(done) }
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				async.Do(s.RefreshStatus)
			}
		}
	}()
}

func (s *Shell) endStatus() {
	if s.stopStatus != nil {
		s.stopStatus()
		s.stopStatus = nil
	}
}

// RefreshStatus reads the shifts and the sync again (off the UI
// goroutine) and shows them; when the person clocked on or off, the
// workspaces offered follow. It runs on the UI goroutine.
func (s *Shell) RefreshStatus() {
	s.refreshSync()
	if s.session == nil || s.deps.Shifts == nil || s.status == nil {
		return
	}
	se, feed := s.session, s.deps.Shifts
	var st ShiftStatus
	var err error
	async.Run(func() { st, err = feed.ShiftStatus(context.Background(), se.Staff.ID) }, func() {
		if s.session != se {
			return // logged out or someone else meanwhile
		}
		s.showStatus(st, err)
	})
}

func (s *Shell) showStatus(st ShiftStatus, err error) {
	if err == nil && st.Disabled {
		s.endedFor = s.session.Staff.Name
		s.ShowLogin()
		return
	}
	if err != nil {
		s.status.SetText(i18n.T("shell.shift.error", "Err", i18n.Err(err)))
		return
	}
	if st.On {
		s.status.SetText(i18n.T("shell.shift.on", "Name", s.session.Staff.Name, "Since", shiftui.Clock(st.Since, time.Now()),
			"Received", shiftui.Yuan(st.Received)))
	} else {
		s.status.SetText(i18n.T("shell.shift.off"))
	}
	s.status.Importance = widget.MediumImportance
	if !st.On {
		s.status.Importance = widget.WarningImportance
	}
	s.status.Refresh()
	if st.Others > 0 {
		s.others.SetText(i18n.T("shell.shift.others", "N", st.Others))
	} else {
		s.others.SetText("")
	}
	if st.DepositsNearLimit > 0 {
		s.deposits.SetText(i18n.T("shell.deposits_near", "N", st.DepositsNearLimit))
		s.deposits.Show()
	} else {
		s.deposits.SetText("")
		s.deposits.Hide()
	}
	if s.clockOn != nil {
		if st.On {
			s.clockOn.Hide()
		} else {
			s.clockOn.Show()
		}
	}
	if st.On != s.session.OnShift {
		s.session.OnShift = st.On
		s.reoffer()
	}
}

// refreshSync reads the sync's status (off the UI goroutine) into the
// status bar.
func (s *Shell) refreshSync() {
	if s.session == nil || s.deps.Sync == nil || s.syncState == nil {
		return
	}
	label, feed := s.syncState, s.deps.Sync
	var st backofficesync.Status
	var err error
	async.Run(func() { st, err = feed.Status(context.Background()) }, func() {
		if s.syncState != label {
			return // logged out or rebuilt meanwhile
		}
		showSync(label, st, err, time.Now())
	})
}

// showSync writes the sync's line: nothing before the terminal is
// enrolled (a cashier has nothing to do about it); what waits to go up and
// when the records last went, or that all went; in the warning colour,
// saying so, when the last attempt failed.
func showSync(l *widget.Label, st backofficesync.Status, err error, now time.Time) {
	if err == nil && !st.Enrolled {
		l.SetText("") // shown empty, not hidden: the bar's layout keeps its place
		return
	}
	var text string
	last := i18n.T("shell.sync.never")
	if !st.LastPush.IsZero() {
		last = shiftui.Clock(st.LastPush, now)
	}
	switch {
	case err != nil:
		text = i18n.T("shell.sync.error")
	case st.Unsynced > 0:
		text = i18n.T("shell.sync.pending", "N", products.Thousands(st.Unsynced), "At", last)
	case st.LastPush.IsZero():
		text = i18n.T("shell.sync.done")
	default:
		text = i18n.T("shell.sync.done_at", "At", last)
	}
	if err == nil && st.SearchPending > 0 {
		text += " · " + i18n.T("shell.sync.indexing", "N", products.Thousands(st.SearchPending))
	}
	l.Importance = widget.MediumImportance
	if err != nil || st.Failing() {
		if err == nil {
			text = i18n.T("shell.sync.failing", "Text", text)
		}
		l.Importance = widget.WarningImportance
	}
	l.SetText(text)
	l.Refresh()
}

// askLogout logs out; while records wait to go up to the back office it
// asks first (backofficesync.ConfirmLeave).
func (s *Shell) askLogout() {
	se := s.session
	s.confirmLeave(func() {
		if s.session == se { // not already ended (disabled) meanwhile
			s.ShowLogin()
		}
	})
}

// ConfirmQuit runs quit, asking first while records wait to go up to the
// back office: the window's close intercept calls it.
func (s *Shell) ConfirmQuit(quit func()) { s.confirmLeave(quit) }

func (s *Shell) confirmLeave(leave func()) {
	if s.deps.Sync == nil {
		leave()
		return
	}
	if s.leaving {
		return // the question is open already
	}
	s.leaving = true
	backofficesync.ConfirmLeave(s.win, s.deps.Sync, s.deps.SyncLeaveDeadline,
		func() { s.leaving = false; leave() }, func() { s.leaving = false })
}

// reoffer lists the workspaces again after a clock-on or clock-off. The
// open page stays: a workspace no longer offered says so itself (the
// store's transactions close at clock-off), until the person moves on.
func (s *Shell) reoffer() {
	cur := ""
	if s.current >= 0 && s.current < len(s.items) {
		cur = s.items[s.current].ID
	}
	s.items = s.visibleItems()
	s.clearShortcuts()
	s.installShortcuts()
	open := s.nav.OnSelected
	s.nav.OnSelected = nil // re-selecting the open page must not build it again
	s.nav.UnselectAll()
	s.current = -1
	for i, w := range s.items {
		if w.ID == cur {
			s.current = i
			s.nav.Select(i)
		}
	}
	s.nav.OnSelected = open
	s.nav.Refresh()
}

func (s *Shell) updateHeader() {
	if s.session == nil || s.header == nil {
		return
	}
	s.header.SetText(i18n.T("shell.header", "Store", s.deps.Store.Name, "Terminal", s.deps.Terminal.Name,
		"Name", s.session.Staff.Name, "Role", login.RoleName(s.session.Staff.Role)))
}

// Open shows workspace i.
func (s *Shell) open(i int) {
	if s.session == nil || i < 0 || i >= len(s.items) {
		return
	}
	s.stopPage()
	s.current = i
	s.page = s.items[i].Build(*s.session)
	s.body.Objects = []fyne.CanvasObject{s.page.Content}
	s.body.Refresh()
	if s.page.Focus != nil {
		s.win.Canvas().Focus(s.page.Focus)
	} else {
		// The field of the page just left keeps the focus otherwise, and
		// with it the keys meant for this one.
		s.win.Canvas().Unfocus()
	}
}

func (s *Shell) stopPage() {
	if s.page.Stop != nil {
		s.page.Stop()
	}
	s.page = Page{}
}

// OpenID selects the workspace with id; false when there is none.
func (s *Shell) OpenID(id string) bool {
	for i, w := range s.items {
		if w.ID == id {
			s.nav.Select(i)
			return true
		}
	}
	return false
}

// Titles lists the navigation entries in order.
func (s *Shell) Titles() []string {
	var out []string
	for _, w := range s.items {
		out = append(out, i18n.T(w.TitleKey))
	}
	return out
}

// navShortcut is the i-th workspace's shortcut: Ctrl with the digits of
// the keyboard's top row, 1…9 then 0, and for the next ten Ctrl+Shift with
// them; the ones after that have none.
func navShortcut(i int) (*desktop.CustomShortcut, bool) {
	mod := fyne.KeyModifierShortcutDefault
	if i >= 10 {
		i -= 10
		mod |= fyne.KeyModifierShift
	}
	switch {
	case i < 9:
		return &desktop.CustomShortcut{KeyName: fyne.KeyName(fmt.Sprint(i + 1)), Modifier: mod}, true
	case i == 9:
		return &desktop.CustomShortcut{KeyName: fyne.Key0, Modifier: mod}, true
	}
	return nil, false
}

// navLabel is how the navigation bar writes a shortcut.
func navLabel(sc *desktop.CustomShortcut) string {
	if sc.Modifier&fyne.KeyModifierShift != 0 {
		return "Ctrl+Shift+" + string(sc.KeyName)
	}
	return "Ctrl+" + string(sc.KeyName)
}

// installShortcuts binds Ctrl+1…9, Ctrl+0, Ctrl+Shift+1…0 and Ctrl+L twice: as main-menu items
// (Fyne gives menu shortcuts priority over a focused Entry, so they work
// while the cashier is typing) and on the canvas (for drivers without a
// menu bar, and tests).
func (s *Shell) installShortcuts() {
	var items []*fyne.MenuItem
	for i, w := range s.items {
		i := i
		it := fyne.NewMenuItem(i18n.T(w.TitleKey), func() { s.nav.Select(i) })
		if sc, ok := navShortcut(i); ok {
			it.Shortcut = sc
		}
		items = append(items, it)
	}
	logout := fyne.NewMenuItem(i18n.T("shell.logout"), s.askLogout)
	logout.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault}
	items = append(items, fyne.NewMenuItemSeparator(), logout)
	s.win.SetMainMenu(fyne.NewMainMenu(fyne.NewMenu(i18n.T("shell.menu"), items...)))
	c := s.win.Canvas()
	for i := range s.items {
		if sc, ok := navShortcut(i); ok {
			c.AddShortcut(sc, func(fyne.Shortcut) { s.nav.Select(i) })
		}
	}
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { s.askLogout() })
}

func (s *Shell) clearShortcuts() {
	s.win.SetMainMenu(nil)
	c := s.win.Canvas()
	for i := range 20 {
		sc, _ := navShortcut(i)
		c.RemoveShortcut(sc)
	}
	c.RemoveShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault})
}
