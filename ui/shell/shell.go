// Package shell is the main window: login first, then a navigation bar of
// workspaces. A workspace is listed only when it does something.
package shell

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/ui/about"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/login"
	"cashier/ui/override"
	"cashier/ui/settings"
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
}

// Page is a built workspace.
type Page struct {
	Content fyne.CanvasObject
	Focus   fyne.Focusable // gets the keyboard when the page opens (may be nil)
	Stop    func()         // called when the page is left (may be nil)
}

// Session is who is logged in, in which window.
type Session struct {
	Staff  app.Staff
	Window fyne.Window
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
			fyne.Do(func() { s.relanguage(lang) })
		}))
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
	s.Login.FocusFirst()
}

func (s *Shell) builtins() []Workspace {
	return []Workspace{
		{ID: "settings", TitleKey: i18n.Key("nav.settings"), Icon: theme.SettingsIcon(), Build: func(se Session) Page {
			d := settings.Deps{Settings: s.deps.Settings, Staff: se.Staff}
			if o := s.deps.Overrider; o != nil {
				d.Override = func(perm string, then func()) { override.Ask(se.Window, perm, se.Staff, o, then) }
			}
			return Page{Content: settings.New(d).Content()}
		}},
		{ID: "about", TitleKey: i18n.Key("nav.about"), Icon: theme.InfoIcon(), Build: func(Session) Page {
			return Page{Content: about.New(s.deps.About)}
		}},
	}
}

// enter shows the workspaces to st and opens workspace open (the first
// when out of range).
func (s *Shell) enter(st app.Staff, open int) {
	s.session = &Session{Staff: st, Window: s.win}
	s.items = append(append([]Workspace{}, s.deps.Workspace...), s.builtins()...)
	s.header = widget.NewLabel("")
	s.updateHeader()
	s.logout = widget.NewButtonWithIcon(i18n.T("shell.logout"), theme.LogoutIcon(), s.ShowLogin)
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
			box.Objects[1].(*widget.Label).SetText(fmt.Sprintf("%s  Ctrl+%d", i18n.T(s.items[i].TitleKey), i+1))
		})
	s.body = container.NewStack()
	s.nav.OnSelected = func(i widget.ListItemID) { s.open(i) }
	split := container.NewHSplit(s.nav, s.body)
	split.Offset = 0.18
	s.win.SetContent(container.NewBorder(container.NewVBox(bar, widget.NewSeparator()), nil, nil, nil, split))
	s.installShortcuts()
	if open < 0 || open >= len(s.items) {
		open = 0
	}
	s.nav.Select(open)
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

// installShortcuts binds Ctrl+1…9 and Ctrl+L twice: as main-menu items
// (Fyne gives menu shortcuts priority over a focused Entry, so they work
// while the cashier is typing) and on the canvas (for drivers without a
// menu bar, and tests).
func (s *Shell) installShortcuts() {
	var items []*fyne.MenuItem
	for i, w := range s.items {
		i := i
		it := fyne.NewMenuItem(i18n.T(w.TitleKey), func() { s.nav.Select(i) })
		if i < 9 {
			it.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyName(fmt.Sprint(i + 1)), Modifier: fyne.KeyModifierShortcutDefault}
		}
		items = append(items, it)
	}
	logout := fyne.NewMenuItem(i18n.T("shell.logout"), s.ShowLogin)
	logout.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault}
	items = append(items, fyne.NewMenuItemSeparator(), logout)
	s.win.SetMainMenu(fyne.NewMainMenu(fyne.NewMenu(i18n.T("shell.menu"), items...)))
	c := s.win.Canvas()
	for i := range s.items {
		if i >= 9 {
			break
		}
		i := i
		c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyName(fmt.Sprint(i + 1)), Modifier: fyne.KeyModifierShortcutDefault},
			func(fyne.Shortcut) { s.nav.Select(i) })
	}
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { s.ShowLogin() })
}

func (s *Shell) clearShortcuts() {
	s.win.SetMainMenu(nil)
	c := s.win.Canvas()
	for i := 1; i <= 9; i++ {
		c.RemoveShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyName(fmt.Sprint(i)), Modifier: fyne.KeyModifierShortcutDefault})
	}
	c.RemoveShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault})
}
