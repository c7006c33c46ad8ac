package setup

import (
	"context"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

type fakeInit struct {
	got []Form
	err error
}

func (f *fakeInit) Init(_ context.Context, form Form) error {
	f.got = append(f.got, form)
	return f.err
}

// typeAndEnter types into whatever has the keyboard focus, then Enter.
func typeAndEnter(c fyne.Canvas, text string) {
	test.Type(c.Focused(), text)
	c.Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

// The whole form by keyboard: each Enter moves on, the last one saves.
func TestSetup_ByKeyboard(t *testing.T) {
	async.Synchronous = true
	require.NoError(t, i18n.Use(i18n.English))
	t.Cleanup(func() { _ = i18n.Use(i18n.Chinese) })
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(1024, 768))
	init := &fakeInit{}
	done := 0
	s := New(init, w.Canvas().Focus, func() { done++ })
	w.SetContent(s.Content())
	s.FocusFirst()
	c := w.Canvas()

	require.Equal(t, "Counter 1", s.Terminal.Text, "the terminal has a default name")
	typeAndEnter(c, "好邻居便利店")
	require.Same(t, s.Terminal, c.Focused())
	c.Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // keep the default
	typeAndEnter(c, "1001")
	typeAndEnter(c, "王店长")
	typeAndEnter(c, "246810")
	typeAndEnter(c, "246801") // a typo in the second PIN
	require.Equal(t, "The two PINs differ", s.Message.Text)
	require.Empty(t, init.got, "nothing written")
	require.Same(t, s.PIN2, c.Focused())

	s.PIN2.SetText("")
	typeAndEnter(c, "246810")
	require.Equal(t, []Form{{Store: "好邻居便利店", Terminal: "Counter 1", AdminCode: "1001", AdminName: "王店长", PIN: "246810"}}, init.got)
	require.Equal(t, 1, done)
	require.Empty(t, s.Message.Text)
}

// A refused field is shown in the person's language and the form stays.
func TestSetup_RefusedFieldShown(t *testing.T) {
	async.Synchronous = true
	require.NoError(t, i18n.Use(i18n.Chinese))
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	init := &fakeInit{err: app.NewError("setup.staff_code")}
	done := 0
	s := New(init, w.Canvas().Focus, func() { done++ })
	w.SetContent(s.Content())
	s.Store.SetText("店")
	s.AdminCode.SetText("abc")
	s.AdminName.SetText("王")
	s.PIN.SetText("1234")
	s.PIN2.SetText("1234")
	test.Tap(s.Save)
	require.Len(t, init.got, 1)
	require.Zero(t, done)
	require.Equal(t, i18n.T("setup.staff_code"), s.Message.Text)
	require.Contains(t, s.Message.Text, "工号")
	require.False(t, s.Save.Disabled(), "the person can correct and try again")
}
