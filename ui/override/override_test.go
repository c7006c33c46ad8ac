package override

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

type call struct {
	code, pin, perm string
	forID           int64
}

// fakeOverrider approves 1001/8888 and refuses everything else as auth does.
type fakeOverrider struct {
	mu    sync.Mutex
	calls []call
}

func (f *fakeOverrider) Override(_ context.Context, code, pin string, forID int64, perm string) (app.Staff, error) {
	f.mu.Lock()
	f.calls = append(f.calls, call{code, pin, perm, forID})
	f.mu.Unlock()
	switch {
	case code == "1001" && pin == "8888":
		return app.Staff{ID: 1, Code: code, Name: "王店长"}, nil
	case code == "1003":
		return app.Staff{}, app.ErrNoPermission.With("Name", "张伟", "Perm", auth.PermName(perm))
	}
	return app.Staff{}, auth.ErrWrongPIN.With("Remaining", 4)
}

func open(t *testing.T, lang string) (fyne.Window, *fakeOverrider, *Dialog, *int) {
	t.Helper()
	async.Synchronous = true
	require.NoError(t, i18n.Use(lang))
	t.Cleanup(func() { _ = i18n.Use(i18n.Chinese) })
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(1024, 768))
	o := &fakeOverrider{}
	done := 0
	d := Ask(w, app.PermRefund, app.Staff{ID: 3, Code: "1003", Name: "张伟"}, o, func() { done++ })
	return w, o, d, &done
}

func typeAndEnter(c fyne.Canvas, text string) {
	test.Type(c.Focused(), text)
	c.Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

// By keyboard: the staff number first, Enter to the PIN, Enter approves;
// a wrong PIN is said in the dialog, which stays for another try.
func TestAsk_ByKeyboard(t *testing.T) {
	w, o, d, done := open(t, i18n.Chinese)
	c := w.Canvas()
	require.Same(t, d.Code, c.Focused(), "the staff number gets the keyboard")
	typeAndEnter(c, "1001")
	require.Same(t, d.PIN, c.Focused())
	typeAndEnter(c, "0000")
	require.Equal(t, "密码错误，还可尝试 4 次", d.Message.Text)
	require.Zero(t, *done)
	require.False(t, d.Closed())
	require.Empty(t, d.PIN.Text, "the wrong PIN is cleared")
	require.Same(t, d.PIN, c.Focused())

	typeAndEnter(c, "8888")
	require.Equal(t, 1, *done, "approved: the action runs")
	require.True(t, d.Closed())
	require.Equal(t, []call{{"1001", "0000", app.PermRefund, 3}, {"1001", "8888", app.PermRefund, 3}}, o.calls)
}

// The approver's refusal is shown in words; bad input is caught before
// asking anyone.
func TestAsk_RefusedAndBadInput(t *testing.T) {
	w, o, d, done := open(t, i18n.English)
	c := w.Canvas()
	typeAndEnter(c, "1001")
	typeAndEnter(c, "12")
	require.Equal(t, "The PIN must be 4 to 12 digits", d.Message.Text)
	d.Code.SetText("")
	d.PIN.SetText("1234")
	d.Approve.OnTapped()
	require.Equal(t, "Enter your staff number", d.Message.Text)
	require.Empty(t, o.calls, "nobody asked")

	d.Code.SetText("1003")
	d.PIN.SetText("5678")
	test.Tap(d.Approve)
	require.Equal(t, "张伟 does not hold the permission: refund", d.Message.Text)
	require.Zero(t, *done)
	require.False(t, d.Closed())
}

// Esc cancels from either field; nothing is approved or run.
func TestAsk_EscapeCancels(t *testing.T) {
	w, o, d, done := open(t, i18n.Chinese)
	test.Type(w.Canvas().Focused(), "1001")
	d.Code.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	require.True(t, d.Closed())
	require.Zero(t, *done)
	require.Empty(t, o.calls)

	w2, o2, d2, done2 := open(t, i18n.Chinese)
	w2.Canvas().Focus(d2.PIN)
	d2.Code.SetText("1001")
	d2.PIN.SetText("8888")
	d2.PIN.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	require.True(t, d2.Closed())
	d2.PIN.OnSubmitted("8888") // a late Enter after closing
	require.Zero(t, *done2)
	require.Empty(t, o2.calls)
}
