package shell

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/auth"
	appsettings "cashier/app/settings"
	"cashier/ui/async"
	"cashier/ui/i18n"
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

type fakeStaff struct{}

func (fakeStaff) ListStaff(context.Context, int64) ([]app.Staff, error) {
	return []app.Staff{{ID: 1, Code: "1001", Name: "王店长", Role: app.RoleManager}, {ID: 2, Code: "1002", Name: "李娜", Role: app.RoleClerk}}, nil
}

type memSettings struct {
	mu    sync.Mutex
	store app.StoreInfo
	term  app.TerminalInfo
	kv    map[string]string
}

func (m *memSettings) CurrentStore(context.Context) (app.StoreInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.store, nil
}
func (m *memSettings) UpdateStore(_ context.Context, s app.StoreInfo, _ int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
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
	async.Synchronous = true
	require.NoError(t, i18n.Use(i18n.Chinese))
	a := test.NewTempApp(t)
	a.Settings().SetTheme(postheme.New())
	fa := &fakeAuth{}
	mem := &memSettings{
		store: app.StoreInfo{ID: 1, Name: "好邻居便利店"},
		term:  app.TerminalInfo{ID: 1, Name: "1号收银台", CashierMode: app.ModeSaleDeposit},
		kv:    map[string]string{},
	}
	sig := app.NewSignals()
	s := New(a, Deps{Auth: fa, Staff: fakeStaff{}, Settings: appsettings.Service{Store: mem, Permits: fakePermits{}, Signals: sig},
		Signals: sig, Store: mem.store, Terminal: mem.term, DemoPINs: map[string]string{"1001": "8888"}, Sandbox: true,
		UseLanguage: func(l string) { _ = i18n.Use(l) }})
	t.Cleanup(s.Window().Close)
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

// Saving another language rebuilds the screens in it at once.
func TestShell_LanguageSwitchesWithoutRestart(t *testing.T) {
	s, _, _ := newShell(t)
	doLogin(t, s, "1001", "8888")
	require.Eventually(t, func() bool { return s.Session() != nil }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, []string{"设置", "关于"}, s.Titles())
	require.NoError(t, s.deps.Settings.SaveLanguage(context.Background(), "en"))
	require.Eventually(t, func() bool {
		ts := s.Titles()
		return len(ts) == 2 && ts[0] == "Settings"
	}, 5*time.Second, 10*time.Millisecond)
	require.NotNil(t, s.Session(), "still logged in")
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
