package login

import (
	"context"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/auth"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

// fakeAuth is 1004 陈静 with a temporary PIN 2580 (must change) and
// 1002 李娜 with 1234; ChangePIN follows auth's rules.
type fakeAuth struct {
	mu      sync.Mutex
	pins    map[string]string
	must    map[string]bool
	changes [][3]string
}

func newFake() *fakeAuth {
	return &fakeAuth{pins: map[string]string{"1004": "2580", "1002": "1234"}, must: map[string]bool{"1004": true}}
}

func (f *fakeAuth) Login(_ context.Context, code, pin string) (app.Staff, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.pins[code]
	switch {
	case !ok:
		return app.Staff{}, app.ErrUnknownStaff
	case p != pin:
		return app.Staff{}, auth.ErrWrongPIN.With("Remaining", 4)
	case f.must[code]:
		return app.Staff{}, auth.ErrMustChangePIN.With("Name", "陈静")
	}
	return app.Staff{ID: 4, Code: code, Name: "陈静"}, nil
}

func (f *fakeAuth) ChangePIN(_ context.Context, code, old, pin string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if pin == old {
		return auth.ErrPINSame
	}
	if f.pins[code] != old {
		return auth.ErrWrongPIN.With("Remaining", 3)
	}
	f.changes = append(f.changes, [3]string{code, old, pin})
	f.pins[code], f.must[code] = pin, false
	return nil
}

func newScreen(t *testing.T, a Authenticator, lang string) (*Screen, fyne.Window, *[]app.Staff) {
	t.Helper()
	async.Synchronous = true
	require.NoError(t, i18n.Use(lang))
	t.Cleanup(func() { _ = i18n.Use(i18n.Chinese) })
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(1024, 768))
	var in []app.Staff
	s := New(Deps{Auth: a, StoreName: "好邻居便利店", Focus: w.Canvas().Focus, OnLogin: func(st app.Staff) { in = append(in, st) },
		Staff: []app.Staff{{ID: 4, Code: "1004", Name: "陈静", Role: app.RoleClerk}}})
	w.SetContent(s.Content())
	s.FocusFirst()
	return s, w, &in
}

func typeAndEnter(c fyne.Canvas, text string) {
	test.Type(c.Focused(), text)
	c.Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

// A temporary PIN: the login asks for a new one twice, then enters with it.
func TestLogin_ChangePINAtNextLogin(t *testing.T) {
	f := newFake()
	s, w, in := newScreen(t, f, i18n.Chinese)
	c := w.Canvas()
	typeAndEnter(c, "1004")
	typeAndEnter(c, "2580")
	require.Empty(t, *in, "not in yet")
	require.True(t, s.Changing())
	require.Equal(t, "陈静 的密码是别人设置的临时密码，请先设置自己的新密码", s.ChangeNote.Text)
	require.Same(t, s.NewPIN, c.Focused())
	require.Empty(t, s.PIN.Text, "the typed PIN is not left in the field")

	typeAndEnter(c, "1357")
	require.Same(t, s.NewPIN2, c.Focused())
	typeAndEnter(c, "1358")
	require.Equal(t, "两次输入的新密码不一致", s.ChangeMsg.Text)
	require.Empty(t, f.changes)
	require.Same(t, s.NewPIN2, c.Focused())
	typeAndEnter(c, "1357")
	require.Equal(t, [][3]string{{"1004", "2580", "1357"}}, f.changes)
	require.Len(t, *in, 1, "in, with the new PIN")
	require.False(t, s.Changing())
}

// The rules' refusals show in the new-PIN form, which stays.
func TestLogin_ChangeRefused(t *testing.T) {
	f := newFake()
	s, w, in := newScreen(t, f, i18n.English)
	c := w.Canvas()
	typeAndEnter(c, "1004")
	typeAndEnter(c, "2580")
	typeAndEnter(c, "2580")
	typeAndEnter(c, "2580")
	require.Equal(t, "The new PIN must differ from the old one", s.ChangeMsg.Text)
	require.Same(t, s.NewPIN, c.Focused())
	typeAndEnter(c, "12")
	typeAndEnter(c, "12")
	require.Equal(t, "The PIN must be 4 to 12 digits", s.ChangeMsg.Text)
	require.Empty(t, *in)
	require.Empty(t, f.changes)

	// Esc goes back to the login; nothing changed.
	s.NewPIN.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	require.False(t, s.Changing())
	require.Same(t, s.PIN, c.Focused())
	require.Equal(t, "2580", f.pins["1004"])
}

// Anyone may change their own PIN from the login screen.
func TestLogin_ChangeMyPIN(t *testing.T) {
	f := newFake()
	s, w, in := newScreen(t, f, i18n.Chinese)
	c := w.Canvas()
	test.Tap(s.Change)
	require.Equal(t, "请输入工号", s.Message.Text, "the number and current PIN first")
	require.False(t, s.Changing())
	s.Code.SetText("1002")
	s.PIN.SetText("1234")
	test.Tap(s.Change)
	require.True(t, s.Changing())
	typeAndEnter(c, "8642")
	typeAndEnter(c, "8642")
	require.Equal(t, [][3]string{{"1002", "1234", "8642"}}, f.changes)
	require.Len(t, *in, 1)

	// A wrong current PIN is the rules' refusal, shown; nothing changed.
	s.Code.SetText("1002")
	s.PIN.SetText("1111")
	test.Tap(s.Change)
	typeAndEnter(c, "9753")
	typeAndEnter(c, "9753")
	require.Equal(t, "密码错误，还可尝试 3 次", s.ChangeMsg.Text)
	require.Len(t, f.changes, 1)
}

// Without a PINChanger the button is not offered.
func TestLogin_NoChanger(t *testing.T) {
	type onlyLogin struct{ Authenticator }
	s, _, _ := newScreen(t, onlyLogin{newFake()}, i18n.Chinese)
	require.False(t, s.Change.Visible())
}
