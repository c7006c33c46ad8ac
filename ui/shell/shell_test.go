package shell

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/auth"
	appsettings "cashier/app/settings"
	"cashier/ui/async"
	"cashier/ui/backofficesync"
	"cashier/ui/i18n"
	"cashier/ui/keybutton"
	"cashier/ui/postheme"
)

type fakeAuth struct {
	mu    sync.Mutex
	calls int
}

func (f *fakeAuth) Login(_ context.Context, code, pin string) (app.Staff, error) {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	switch {
	case code == "1001" && pin == "8888":
		return app.Staff{ID: 1, Code: code, Name: "王店长", Role: app.RoleManager, Permissions: map[string]bool{app.PermSettings: true}}, nil
	case code == "1002" && pin == "1234":
		return app.Staff{ID: 2, Code: code, Name: "李娜", Role: app.RoleClerk, Permissions: map[string]bool{}}, nil
	case code == "1001" || code == "1002":
		return app.Staff{}, auth.ErrWrongPIN.With("Remaining", 3)
	}
	return app.Staff{}, app.ErrUnknownStaff
}

// fakeStaff lists two people; with gate set it waits for the gate first,
// and it closes listed (when set) as it returns.
type fakeStaff struct{ gate, listed chan struct{} }

func (f fakeStaff) ListStaff(context.Context, int64) ([]app.Staff, error) {
	if f.gate != nil {
		<-f.gate
	}
	if f.listed != nil {
		defer close(f.listed)
	}
	return []app.Staff{{ID: 1, Code: "1001", Name: "王店长", Role: app.RoleManager}, {ID: 2, Code: "1002", Name: "李娜", Role: app.RoleClerk}}, nil
}

type memSettings struct {
	mu     sync.Mutex
	store  app.StoreInfo
	term   app.TerminalInfo
	kv     map[string]string
	writes int // store and terminal writes
}

func (m *memSettings) CurrentStore(context.Context) (app.StoreInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.store, nil
}
func (m *memSettings) UpdateStore(_ context.Context, s app.StoreInfo, _ int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.writes++
	m.store = s
	return nil
}
func (m *memSettings) CurrentTerminal(context.Context) (app.TerminalInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.term, nil
}
func (m *memSettings) UpdateTerminal(_ context.Context, t app.TerminalInfo, _ int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.writes++
	m.term = t
	return nil
}
func (m *memSettings) GetSetting(_ context.Context, k, def string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.kv[k]; ok {
		return v, nil
	}
	return def, nil
}
func (m *memSettings) SetSetting(_ context.Context, k, v string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.kv[k] = v
	return nil
}

// fakePermits: only the manager (ID 1) holds the settings permission.
type fakePermits struct{}

func (fakePermits) Check(_ context.Context, id int64, perm string) (app.Staff, error) {
	if id == 1 {
		return app.Staff{ID: 1}, nil
	}
	return app.Staff{}, app.ErrNoPermission.With("Name", "李娜", "Perm", auth.PermName(perm))
}

func newShell(t *testing.T) (*Shell, *fakeAuth, *memSettings) {
	return newShellWith(t, nil)
}

// newShellWith lets a test change the shell's Deps before it starts.
func newShellWith(t *testing.T, change func(*Deps)) (*Shell, *fakeAuth, *memSettings) {
	async.Synchronous = true
	require.NoError(t, i18n.Use(i18n.Chinese))
	a := test.NewTempApp(t)
	a.Settings().SetTheme(postheme.New())
	fa := &fakeAuth{}
	mem := &memSettings{
		store: app.StoreInfo{ID: 1, Name: "好邻居便利店", ScaleLayout: "price13"},
		term:  app.TerminalInfo{ID: 1, Name: "1号收银台", CashierMode: app.ModeSaleDeposit},
		kv:    map[string]string{},
	}
	sig := app.NewSignals()
	d := Deps{Auth: fa, Staff: fakeStaff{}, Settings: appsettings.Service{Store: mem, Permits: fakePermits{}, Signals: sig},
		Signals: sig, Store: mem.store, Terminal: mem.term, DemoPINs: map[string]string{"1001": "8888"}, Sandbox: true,
		UseLanguage: func(l string) { _ = i18n.Use(l) }}
	if change != nil {
		change(&d)
	}
	s := New(a, d)
	t.Cleanup(func() {
		for _, w := range a.Driver().AllWindows() {
			if w == s.Window() {
				w.Close() // unless the test closed it
			}
		}
	})
	t.Cleanup(func() { _ = i18n.Use(i18n.Chinese) })
	s.Window().Resize(fyne.NewSize(1024, 768))
	return s, fa, mem
}

func doLogin(t *testing.T, s *Shell, code, pin string) {
	t.Helper()
	test.Type(s.Login.Code, code)
	test.Type(s.Login.PIN, pin)
	s.Login.PIN.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

func TestShell_LoginWithKeyboardOpensWorkspaces(t *testing.T) {
	s, _, _ := newShell(t)
	doLogin(t, s, "1001", "8888")
	require.Eventually(t, func() bool { return s.Session() != nil }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, []string{"设置", "关于"}, s.Titles())
	require.Equal(t, "王店长", s.Session().Staff.Name)

	// Ctrl+2 opens About.
	s.Window().Canvas().(interface{ TypedShortcut(fyne.Shortcut) }).TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.Key2, Modifier: fyne.KeyModifierShortcutDefault})
	require.Equal(t, 1, s.current)
	// Ctrl+L logs out.
	s.Window().Canvas().(interface{ TypedShortcut(fyne.Shortcut) }).TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault})
	require.Nil(t, s.Session())
}

func TestShell_WrongPINShowsTriesLeftAndStaysOnLogin(t *testing.T) {
	s, fa, _ := newShell(t)
	doLogin(t, s, "1001", "0000")
	require.Eventually(t, func() bool { return strings.Contains(s.Login.Message.Text, "3") }, 5*time.Second, 10*time.Millisecond)
	require.Contains(t, s.Login.Message.Text, "密码错误")
	require.Nil(t, s.Session())
	require.Empty(t, s.Login.PIN.Text, "the PIN field is cleared after a failure")

	// Malformed PINs never reach the authenticator.
	calls := fa.calls
	doLogin(t, s, "1001", "12")
	require.Contains(t, s.Login.Message.Text, "4到12位")
	require.Equal(t, calls, fa.calls)
}

func TestShell_DemoPINsShownOnLogin(t *testing.T) {
	s, _, _ := newShell(t)
	found := false
	test.WidgetRenderer(s.Login.Submit) // ensure built
	walk(s.Window().Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && strings.Contains(b.Text, "8888") {
			found = true
			test.Tap(b)
		}
	})
	require.True(t, found, "demo PIN not shown")
	require.Equal(t, "1001", s.Login.Code.Text, "tapping a person fills the staff number")
}

func TestShell_ClerkCannotSaveSettings_ManagerCan(t *testing.T) {
	s, _, mem := newShell(t)
	doLogin(t, s, "1002", "1234")
	require.Eventually(t, func() bool { return s.Session() != nil }, 5*time.Second, 10*time.Millisecond)
	var save *widget.Button
	walk(s.Window().Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == "保存" {
			save = b
		}
	})
	require.NotNil(t, save)
	require.True(t, save.Disabled(), "a clerk sees Settings read-only")

	s.ShowLogin()
	doLogin(t, s, "1001", "8888")
	require.Eventually(t, func() bool { return s.Session() != nil }, 5*time.Second, 10*time.Millisecond)
	var name *widget.Entry
	save = nil
	walk(s.Window().Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == "保存" {
			save = b
		}
		if e, ok := o.(*widget.Entry); ok && e.Text == "好邻居便利店" && name == nil {
			name = e
		}
	})
	require.NotNil(t, save)
	require.False(t, save.Disabled())
	require.NotNil(t, name)
	name.SetText("好邻居便利店（新店）")
	test.Tap(save)
	require.Eventually(t, func() bool {
		st, _ := mem.CurrentStore(context.Background())
		return st.Name == "好邻居便利店（新店）"
	}, 5*time.Second, 10*time.Millisecond)
	require.Contains(t, s.header.Text, "（新店）", "the title bar follows the saved settings without a restart")
}

// Saving another language rebuilds the screens in it at once, keeping the
// person and the open workspace; the workspace before it is not built on
// the way.
func TestShell_LanguageSwitchesWithoutRestart(t *testing.T) {
	builds := 0
	s, _, _ := newShellWith(t, func(d *Deps) {
		d.Workspace = []Workspace{{ID: "first", TitleKey: i18n.Key("nav.about"), Build: func(Session) Page {
			builds++
			return Page{Content: widget.NewLabel("first")}
		}}}
	})
	doLogin(t, s, "1001", "8888")
	require.Eventually(t, func() bool { return s.Session() != nil }, 5*time.Second, 10*time.Millisecond)
	require.True(t, s.OpenID("settings"))
	require.Equal(t, "退出登录", s.logout.Text)
	require.Equal(t, "智能收银台 POS", s.Window().Title())
	before := builds

	require.NoError(t, s.deps.Settings.SaveLanguage(context.Background(), "en"))
	require.Eventually(t, func() bool { return s.logout.Text == "Log out" }, 5*time.Second, 10*time.Millisecond)
	require.Contains(t, s.header.Text, "(Store manager)", "the header is rebuilt in English")
	require.True(t, hasText(s.Window().Content(), "Settings  Ctrl+2"), "the navigation bar is rebuilt in English")
	require.NotNil(t, findButton(s.Window().Content(), "Save"), "the open workspace is rebuilt in English")
	require.Equal(t, "Smart Cashier POS", s.Window().Title(), "the title follows the language")
	require.NotNil(t, s.Session(), "still logged in")
	require.Equal(t, 1, s.current, "Settings stays open")
	require.Equal(t, before, builds, "the first workspace is not built and thrown away")
}

// A language setting that resolves to the language in use rebuilds
// nothing.
func TestShell_SameLanguageRebuildsNothing(t *testing.T) {
	s, _, _ := newShell(t)
	doLogin(t, s, "1001", "8888")
	require.Eventually(t, func() bool { return s.Session() != nil }, 5*time.Second, 10*time.Millisecond)
	page, logout := s.page.Content, s.logout
	s.deps.Signals.Emit(app.SignalLanguage, "zh")
	require.Same(t, page, s.page.Content)
	require.Same(t, logout, s.logout)
}

// Saving the store without changing the language says "Saved" on the
// screen the manager is looking at.
func TestShell_SaveShowsSaved(t *testing.T) {
	s, _, mem := newShell(t)
	doLogin(t, s, "1001", "8888")
	require.Eventually(t, func() bool { return s.Session() != nil }, 5*time.Second, 10*time.Millisecond)
	save := findButton(s.Window().Content(), "保存")
	require.NotNil(t, save)
	page := s.page.Content
	test.Tap(save)
	require.Eventually(t, func() bool { return hasText(s.Window().Content(), "已保存") }, 5*time.Second, 10*time.Millisecond)
	require.Same(t, page, s.page.Content, "saving the store rebuilds no screen")
	mem.mu.Lock()
	defer mem.mu.Unlock()
	require.Equal(t, 2, mem.writes)
	require.Empty(t, mem.kv, "the language was not saved again")
}

// A clerk may not save the store's details but may choose their language:
// it is saved when chosen and the screens follow.
func TestShell_ClerkChoosesTheLanguage(t *testing.T) {
	s, _, mem := newShell(t)
	doLogin(t, s, "1002", "1234")
	require.Eventually(t, func() bool { return s.Session() != nil }, 5*time.Second, 10*time.Millisecond)
	var pick *widget.Select // the language, among the page's selects
	walk(s.Window().Content(), func(o fyne.CanvasObject) {
		if sel, ok := o.(*widget.Select); ok && slices.Contains(sel.Options, "English") {
			pick = sel
		}
	})
	require.NotNil(t, pick)
	require.Equal(t, "中文", pick.Selected)
	require.False(t, pick.Disabled())
	pick.SetSelected("English")
	require.Eventually(t, func() bool { return s.logout.Text == "Log out" }, 5*time.Second, 10*time.Millisecond)
	mem.mu.Lock()
	lang, writes := mem.kv[appsettings.SettingLanguage], mem.writes
	mem.mu.Unlock()
	require.Equal(t, "en", lang)
	require.Zero(t, writes, "the store and terminal are not written")
	save := findButton(s.Window().Content(), "Save")
	require.NotNil(t, save)
	require.True(t, save.Disabled(), "the store's details stay read-only")
}

// A closed window's shell no longer follows the signals.
func TestShell_CloseLeavesTheSignals(t *testing.T) {
	calls := 0
	s, _, _ := newShellWith(t, func(d *Deps) {
		d.UseLanguage = func(l string) { calls++; _ = i18n.Use(l) }
	})
	s.deps.Signals.Emit(app.SignalLanguage, "zh")
	require.Equal(t, 1, calls)
	s.Window().Close()
	s.deps.Signals.Emit(app.SignalLanguage, "en")
	require.Equal(t, 1, calls)
	require.Equal(t, i18n.Chinese, i18n.Current())
}

// The Chinese title is the one the smoke test searches for.
func TestShell_TitleInChinese(t *testing.T) {
	s, _, _ := newShell(t)
	require.Equal(t, WindowTitle, s.Window().Title())
	require.Contains(t, WindowTitle, "智能收银台")
}

// Logging out while the store's details are reloaded: the staff list is
// read with the store as it was when the login screen was asked for, not
// from the shell's fields the reload writes (go test -race sees a shared
// read).
func TestShell_LogoutWhileDetailsReload(t *testing.T) {
	s, _, mem := newShell(t)
	listed := make(chan struct{})
	gate := make(chan struct{})
	s.deps.Staff = fakeStaff{gate: gate, listed: listed}

	async.Synchronous = false
	s.ShowLogin() // lists staff on another goroutine, waiting at the gate
	async.Synchronous = true
	mem.mu.Lock()
	mem.store.Name = "新店名"
	mem.mu.Unlock()
	s.deps.Signals.Emit(app.SignalTerminal, nil) // reloads the details here and now
	require.Equal(t, "新店名", s.deps.Store.Name)
	// Someone logs in on the screen still shown: the late staff list then
	// changes nothing.
	doLogin(t, s, "1001", "8888")
	require.NotNil(t, s.Session())
	close(gate)
	<-listed
	require.Contains(t, s.header.Text, "新店名")
}

func findButton(o fyne.CanvasObject, text string) *widget.Button {
	var found *widget.Button
	walk(o, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			found = b
		}
	})
	return found
}

func hasText(o fyne.CanvasObject, text string) bool {
	found := false
	walk(o, func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok && l.Text == text {
			found = true
		}
	})
	return found
}

func walk(o fyne.CanvasObject, fn func(fyne.CanvasObject)) {
	fn(o)
	switch c := o.(type) {
	case *fyne.Container:
		for _, ch := range c.Objects {
			walk(ch, fn)
		}
	case fyne.Widget:
		r := test.WidgetRenderer(c)
		for _, ch := range r.Objects() {
			walk(ch, fn)
		}
	}
}

// fakeShiftFeed answers the status bar from what the test sets.
type fakeShiftFeed struct {
	mu    sync.Mutex
	st    ShiftStatus
	reads int
}

func (f *fakeShiftFeed) ShiftStatus(context.Context, int64) (ShiftStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	return f.st, nil
}

func (f *fakeShiftFeed) set(st ShiftStatus) {
	f.mu.Lock()
	f.st = st
	f.mu.Unlock()
}

// The status bar shows the person's shift and the others on shift, and
// follows a clock-on or clock-off (SignalShift) at once; off shift it
// offers to clock on.
func TestShell_StatusBarFollowsSignalShift(t *testing.T) {
	feed := &fakeShiftFeed{st: ShiftStatus{Others: 2}}
	var clockOns []string
	s, _, _ := newShellWith(t, func(d *Deps) {
		d.Shifts = feed
		d.ClockOn = func(se Session) { clockOns = append(clockOns, se.Staff.Name) }
	})
	doLogin(t, s, "1002", "1234")
	require.NotNil(t, s.Session())
	require.Equal(t, "未上班", s.status.Text)
	require.Equal(t, "另有 2 人当班", s.others.Text)
	require.True(t, s.clockOn.Visible())
	test.Tap(s.clockOn)
	require.Equal(t, []string{"李娜"}, clockOns)

	now := time.Now()
	feed.set(ShiftStatus{On: true, Since: time.Date(now.Year(), now.Month(), now.Day(), 15, 2, 0, 0, time.Local), Received: 123400})
	s.deps.Signals.Emit(app.SignalShift, int64(2))
	require.Equal(t, "当班：李娜 · 自 15:02 · 本班实收 ￥1,234.00", s.status.Text)
	require.Empty(t, s.others.Text)
	require.False(t, s.clockOn.Visible())
	require.True(t, s.Session().OnShift)

	// A sale on the shift shows at once.
	feed.set(ShiftStatus{On: true, Since: time.Date(now.Year(), now.Month(), now.Day(), 15, 2, 0, 0, time.Local), Received: 123480})
	s.deps.Signals.Emit(app.SignalOrder, "T1")
	require.Equal(t, "当班：李娜 · 自 15:02 · 本班实收 ￥1,234.80", s.status.Text)

	feed.set(ShiftStatus{})
	s.deps.Signals.Emit(app.SignalShift, int64(2))
	require.Equal(t, "未上班", s.status.Text)
	require.True(t, s.clockOn.Visible())

	// Logged out: a signal reads nothing.
	s.ShowLogin()
	reads := feed.reads
	s.deps.Signals.Emit(app.SignalShift, int64(2))
	require.Equal(t, reads, feed.reads)
}

// Deposits near their wallet's automatic refund show in the status bar
// in the warning colour, and go when there are none.
func TestShell_StatusBarWarnsOfDepositsNearTheirLimit(t *testing.T) {
	feed := &fakeShiftFeed{st: ShiftStatus{On: true, Since: time.Now(), DepositsNearLimit: 2}}
	s, _, _ := newShellWith(t, func(d *Deps) { d.Shifts = feed })
	doLogin(t, s, "1002", "1234")
	require.True(t, s.deposits.Visible())
	require.Equal(t, "2 笔押金即将到期", s.deposits.Text)
	require.Equal(t, widget.WarningImportance, s.deposits.Importance)
	require.True(t, hasText(s.Window().Content(), "2 笔押金即将到期"))

	feed.set(ShiftStatus{On: true, Since: time.Now()})
	s.deps.Signals.Emit(app.SignalOrder, "T1")
	require.False(t, s.deposits.Visible())
	require.Empty(t, s.deposits.Text)

	require.NoError(t, i18n.Use(i18n.English))
	feed.set(ShiftStatus{DepositsNearLimit: 1})
	s.RefreshStatus()
	require.Equal(t, "Deposits near their limit: 1", s.deposits.Text)
}

// A person disabled while logged in is logged out at the next status
// read (a signal or the 30-second tick), and the login screen says why.
func TestShell_DisabledPersonIsLoggedOut(t *testing.T) {
	feed := &fakeShiftFeed{}
	s, _, _ := newShellWith(t, func(d *Deps) { d.Shifts = feed })
	doLogin(t, s, "1002", "1234")
	require.NotNil(t, s.Session())
	feed.set(ShiftStatus{Disabled: true})
	s.RefreshStatus()
	require.Nil(t, s.Session(), "the session ended")
	require.Equal(t, "李娜 的账号已被停用，已退出登录", s.Login.Message.Text)
}

// A workspace offered only on shift appears at clock-on and goes at
// clock-off; while it is open it stays on screen (it says itself why it
// closed) until the person moves on, and the shortcuts follow the list.
func TestShell_WorkspaceOfferedOnlyOnShift(t *testing.T) {
	feed := &fakeShiftFeed{}
	stops := 0
	s, _, _ := newShellWith(t, func(d *Deps) {
		d.Shifts = feed
		d.Workspace = []Workspace{
			{ID: "first", TitleKey: i18n.Key("nav.about"), Build: func(Session) Page { return Page{Content: widget.NewLabel("first")} }},
			{ID: "onshift", TitleKey: i18n.Key("nav.settings"), Visible: func(se Session) bool { return se.OnShift },
				Build: func(Session) Page {
					return Page{Content: widget.NewLabel("on shift only"), Stop: func() { stops++ }}
				}},
		}
	})
	doLogin(t, s, "1002", "1234")
	require.Equal(t, []string{"关于", "设置", "关于"}, s.Titles(), "off shift: not offered")

	feed.set(ShiftStatus{On: true, Since: time.Now()})
	s.deps.Signals.Emit(app.SignalShift, int64(2))
	require.Equal(t, []string{"关于", "设置", "设置", "关于"}, s.Titles())
	require.True(t, s.OpenID("onshift"))
	require.True(t, hasText(s.Window().Content(), "on shift only"))
	require.Equal(t, 1, s.current)

	feed.set(ShiftStatus{})
	s.deps.Signals.Emit(app.SignalShift, int64(2))
	require.Equal(t, []string{"关于", "设置", "关于"}, s.Titles())
	require.True(t, hasText(s.Window().Content(), "on shift only"), "the open page stays until the person moves on")
	require.Zero(t, stops)
	// Ctrl+2 is now Settings, the second entry.
	s.Window().Canvas().(interface{ TypedShortcut(fyne.Shortcut) }).TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.Key2, Modifier: fyne.KeyModifierShortcutDefault})
	require.Equal(t, 1, stops)
	require.NotNil(t, findButton(s.Window().Content(), "保存"))
}

// Past the tenth workspace the shortcuts go on with Ctrl+Shift and the
// digits; the bar says so.
func TestShell_ShortcutsPastTheTenth(t *testing.T) {
	s, _, _ := newShellWith(t, func(d *Deps) {
		for i := range 11 {
			id := fmt.Sprint("w", i)
			d.Workspace = append(d.Workspace, Workspace{ID: id, TitleKey: i18n.Key("nav.about"),
				Build: func(Session) Page { return Page{Content: widget.NewLabel(id)} }})
		}
	})
	doLogin(t, s, "1001", "8888")
	require.Eventually(t, func() bool { return s.Session() != nil }, 5*time.Second, 10*time.Millisecond)
	require.True(t, hasText(s.Window().Content(), "关于  Ctrl+Shift+1"), "the eleventh")
	s.Window().Canvas().(interface{ TypedShortcut(fyne.Shortcut) }).TypedShortcut(
		&desktop.CustomShortcut{KeyName: fyne.Key2, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift})
	require.True(t, hasText(s.Window().Content(), "设置  Ctrl+Shift+2"), "Settings comes twelfth")
	require.Eventually(t, func() bool { return findButton(s.Window().Content(), "保存") != nil }, 5*time.Second,
		10*time.Millisecond, "Ctrl+Shift+2 opens the twelfth: Settings")
}

// A workspace that names no field to focus takes the keys from the
// canvas: the field of the page left keeps none of them.
func TestShell_PageWithoutFocusTakesTheKeys(t *testing.T) {
	entry := widget.NewEntry()
	s, _, _ := newShellWith(t, func(d *Deps) {
		d.Workspace = []Workspace{
			{ID: "typed", TitleKey: i18n.Key("nav.about"), Build: func(Session) Page { return Page{Content: entry, Focus: entry} }},
			{ID: "plain", TitleKey: i18n.Key("nav.about"), Build: func(Session) Page { return Page{Content: widget.NewLabel("plain")} }},
		}
	})
	doLogin(t, s, "1001", "8888")
	require.Eventually(t, func() bool { return s.Session() != nil }, 5*time.Second, 10*time.Millisecond)
	require.True(t, s.OpenID("typed"))
	require.True(t, s.Window().Canvas().Focused() == entry)
	require.True(t, s.OpenID("plain"))
	require.Nil(t, s.Window().Canvas().Focused(), "the entry of the page left has no keys")
}

// fakeSync is the back-office sync as the test sets it; with gate set,
// PushNow waits for it (or its context).
type fakeSync struct {
	mu     sync.Mutex
	st     backofficesync.Status
	err    error
	gate   chan error
	pushes int
	subs   map[int]func()
	next   int
}

func (f *fakeSync) Status(context.Context) (backofficesync.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st, f.err
}

func (f *fakeSync) SyncNow(ctx context.Context, p func(backofficesync.Progress)) error {
	return f.PushNow(ctx, p)
}

func (f *fakeSync) PushNow(ctx context.Context, p func(backofficesync.Progress)) error {
	f.mu.Lock()
	f.pushes++
	gate := f.gate
	f.mu.Unlock()
	p(backofficesync.Progress{Phase: backofficesync.PhasePush, Done: 3, Total: 12})
	if gate == nil {
		f.set(func(st *backofficesync.Status) { st.Unsynced = 0 })
		return nil
	}
	select {
	case err := <-gate:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *fakeSync) Enrol(context.Context, int64, string, string) error { return nil }

func (f *fakeSync) Subscribe(fn func()) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.subs == nil {
		f.subs = map[int]func(){}
	}
	id := f.next
	f.next++
	f.subs[id] = fn
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.subs, id)
	}
}

func (f *fakeSync) set(change func(*backofficesync.Status)) {
	f.mu.Lock()
	change(&f.st)
	f.mu.Unlock()
}

func (f *fakeSync) notify() {
	f.mu.Lock()
	var fns []func()
	for _, fn := range f.subs {
		fns = append(fns, fn)
	}
	f.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

func (f *fakeSync) subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

func (f *fakeSync) pushCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pushes
}

func today(h, m int) time.Time {
	now := time.Now()
	return time.Date(now.Year(), now.Month(), now.Day(), h, m, 0, 0, time.Local)
}

func newSyncShell(t *testing.T, st backofficesync.Status, shifts bool) (*Shell, *fakeSync) {
	fs := &fakeSync{st: st}
	s, _, _ := newShellWith(t, func(d *Deps) {
		d.Sync = fs
		if shifts {
			d.Shifts = &fakeShiftFeed{st: ShiftStatus{On: true, Since: time.Now()}}
		}
	})
	return s, fs
}

// The status bar's sync line: nothing before the terminal is enrolled;
// what waits and when the records last went; all sent; in the warning
// colour when the last attempt failed; following the sync's notices.
func TestShell_StatusBarShowsSync(t *testing.T) {
	for _, shifts := range []bool{true, false} {
		s, fs := newSyncShell(t, backofficesync.Status{Unsynced: 5}, shifts)
		doLogin(t, s, "1002", "1234")
		require.NotNil(t, s.Session())
		require.NotNil(t, s.syncState)
		assert.Empty(t, s.syncState.Text, "not enrolled: nothing to say")

		fs.set(func(st *backofficesync.Status) {
			*st = backofficesync.Status{Enrolled: true, Unsynced: 12, LastPush: today(10, 42)}
		})
		fs.notify()
		assert.Equal(t, "未同步 12 条 · 上次同步 10:42", s.syncState.Text)
		assert.Equal(t, widget.MediumImportance, s.syncState.Importance)
		assert.True(t, hasText(s.Window().Content(), "未同步 12 条 · 上次同步 10:42"))

		fs.set(func(st *backofficesync.Status) { st.LastError = errors.New("network: dial tcp: refused") })
		fs.notify()
		assert.Equal(t, "未同步 12 条 · 上次同步 10:42 · 同步失败", s.syncState.Text)
		assert.Equal(t, widget.WarningImportance, s.syncState.Importance)

		fs.set(func(st *backofficesync.Status) { st.LastError, st.Unsynced = nil, 0 })
		s.deps.Signals.Emit(app.SignalOrder, "T1") // read with the shifts too
		assert.Equal(t, "已同步 · 10:42", s.syncState.Text)
		assert.Equal(t, widget.MediumImportance, s.syncState.Importance)

		// After a first pull: products found by code, not yet by name.
		fs.set(func(st *backofficesync.Status) { st.SearchPending = 250_000 })
		fs.notify()
		assert.Equal(t, "已同步 · 10:42 · 商品索引中 还剩 250,000", s.syncState.Text)
		fs.set(func(st *backofficesync.Status) { st.SearchPending = 0 })

		fs.set(func(st *backofficesync.Status) { st.LastPush = time.Time{}; st.Unsynced = 1500 })
		fs.notify()
		assert.Equal(t, "未同步 1,500 条 · 上次同步 从未", s.syncState.Text)

		fs.mu.Lock()
		fs.err = errors.New("disk I/O error")
		fs.mu.Unlock()
		fs.notify()
		assert.Equal(t, "同步状态未知", s.syncState.Text)
		assert.Equal(t, widget.WarningImportance, s.syncState.Importance)

		// Logged out: the bar no longer listens.
		fs.mu.Lock()
		fs.err = nil
		fs.st.Unsynced = 0
		fs.mu.Unlock()
		s.ShowLogin()
		assert.Zero(t, fs.subscribers(), "shifts %v", shifts)
	}
}

func TestShell_StatusBarSyncInEnglish(t *testing.T) {
	s, _ := newSyncShell(t, backofficesync.Status{Enrolled: true, Unsynced: 2, LastPush: today(9, 5),
		LastError: errors.New("x")}, true)
	require.NoError(t, i18n.Use(i18n.English))
	doLogin(t, s, "1002", "1234")
	assert.Equal(t, "Unsynced: 2 · last sync 09:05 · sync failed", s.syncState.Text)
}

// leaveQuestion is the open question before leaving: its text and its
// answers by label.
func leaveQuestion(s *Shell) (string, map[string]*keybutton.Button) {
	top := s.Window().Canvas().Overlays().Top()
	if top == nil {
		return "", nil
	}
	text := ""
	bs := map[string]*keybutton.Button{}
	walk(top, func(o fyne.CanvasObject) {
		switch w := o.(type) {
		case *keybutton.Button:
			bs[w.Text] = w
		case *widget.Label:
			if strings.Contains(w.Text, "条记录") {
				text = w.Text
			}
		}
	})
	return text, bs
}

// Logging out asks only while records wait to go up; each answer does
// what it says.
func TestShell_LogoutAsksWhileUnsynced(t *testing.T) {
	s, fs := newSyncShell(t, backofficesync.Status{Enrolled: true}, true)
	doLogin(t, s, "1002", "1234")
	test.Tap(s.logout)
	assert.Nil(t, s.Session(), "nothing unsynced: no question")

	fs.set(func(st *backofficesync.Status) { *st = backofficesync.Status{Unsynced: 12} })
	doLogin(t, s, "1002", "1234")
	test.Tap(s.logout)
	assert.Nil(t, s.Session(), "not enrolled: no question")

	fs.set(func(st *backofficesync.Status) { *st = backofficesync.Status{Enrolled: true, Unsynced: 12} })
	doLogin(t, s, "1002", "1234")
	test.Tap(s.logout)
	require.NotNil(t, s.Session(), "asked first")
	text, bs := leaveQuestion(s)
	assert.Equal(t, "还有 12 条记录未上传到后台。它们保存在本机，下次联网时会自动上传。", text)
	require.Len(t, bs, 3)
	assert.True(t, s.Window().Canvas().Focused() == bs["先同步再退出"], "Enter syncs first")

	// 取消: still logged in, nothing sent.
	test.Tap(bs["取消"])
	assert.NotNil(t, s.Session())
	assert.Nil(t, s.Window().Canvas().Overlays().Top())
	assert.Zero(t, fs.pushCount())

	// Esc cancels too; Ctrl+L asks as the button does.
	s.Window().Canvas().(interface{ TypedShortcut(fyne.Shortcut) }).TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault})
	_, bs = leaveQuestion(s)
	require.Len(t, bs, 3)
	bs["先同步再退出"].TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	assert.NotNil(t, s.Session())

	// 仍然退出: out at once, nothing sent.
	test.Tap(s.logout)
	_, bs = leaveQuestion(s)
	test.Tap(bs["仍然退出"])
	assert.Nil(t, s.Session())
	assert.Zero(t, fs.pushCount())

	// 先同步再退出: pushed, then out.
	doLogin(t, s, "1002", "1234")
	test.Tap(s.logout)
	_, bs = leaveQuestion(s)
	bs["先同步再退出"].TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	assert.Equal(t, 1, fs.pushCount())
	assert.Nil(t, s.Session())
	assert.Nil(t, s.Window().Canvas().Overlays().Top())
}

// Closing the window asks the same; a push that does not end within the
// deadline does not hold the window open.
func TestShell_ConfirmQuit(t *testing.T) {
	s, fs := newSyncShell(t, backofficesync.Status{Enrolled: true}, false)
	s.deps.SyncLeaveDeadline = 50 * time.Millisecond
	quits := 0
	s.ConfirmQuit(func() { quits++ })
	assert.Equal(t, 1, quits, "nothing unsynced: closed at once")

	fs.set(func(st *backofficesync.Status) { st.Unsynced = 3 })
	fs.mu.Lock()
	fs.gate = make(chan error) // never answers
	fs.mu.Unlock()
	s.ConfirmQuit(func() { quits++ })
	text, bs := leaveQuestion(s)
	assert.Contains(t, text, "还有 3 条记录未上传到后台")
	s.ConfirmQuit(func() { quits++ }) // a second close while asking asks nothing more
	test.Tap(bs["先同步再退出"])
	assert.Equal(t, 2, quits, "closed after the deadline")
	assert.Equal(t, 1, fs.pushCount())

	s.ConfirmQuit(func() { quits++ })
	_, bs = leaveQuestion(s)
	test.Tap(bs["仍然退出"])
	assert.Equal(t, 3, quits)
}

// Settings shows 后台同步 when the sync is wired, and leaving the page
// stops what it listens to.
func TestShell_SettingsShowsBackOfficeSync(t *testing.T) {
	s, fs := newSyncShell(t, backofficesync.Status{Enrolled: true, URL: "http://127.0.0.1:8700", Terminal: "t-1"}, false)
	s.deps.Workspace = []Workspace{{ID: "other", TitleKey: i18n.Key("nav.about"), Build: func(Session) Page {
		return Page{Content: widget.NewLabel("other")}
	}}}
	doLogin(t, s, "1001", "8888")
	require.True(t, s.OpenID("settings"))
	assert.True(t, hasText(s.Window().Content(), "后台同步") || findButton(s.Window().Content(), "立即同步") != nil)
	assert.NotNil(t, findButton(s.Window().Content(), "立即同步"))
	assert.True(t, hasText(s.Window().Content(), "t-1"))
	assert.Equal(t, 2, fs.subscribers(), "the status bar and the page")
	require.True(t, s.OpenID("other"))
	assert.Equal(t, 1, fs.subscribers(), "the page left")
	assert.Nil(t, s.Window().Canvas().OnTypedRune(), "the page's keys given back")
}
