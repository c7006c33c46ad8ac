// Package setup is the first-start form of a data folder set up for real
// use (it has a channels.json): the store, this terminal and its first
// administrator — what `pos init` asks for on the command line.
package setup

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/ui/async"
	"cashier/ui/i18n"
)

// Form is what the person typed.
type Form struct {
	Store, Terminal, AdminCode, AdminName, PIN string
}

// Initializer sets the folder up; a bad field is an error whose message
// names it, and nothing is written.
type Initializer interface {
	Init(ctx context.Context, f Form) error
}

// Screen is the form.
type Screen struct {
	init                                  Initializer
	Store, Terminal, AdminCode, AdminName *widget.Entry
	PIN, PIN2                             *widget.Entry
	Save                                  *widget.Button
	Message                               *widget.Label
	onDone                                func()
	content                               fyne.CanvasObject
	focus                                 func(fyne.Focusable)
}

// New builds the form; onDone runs (on the UI goroutine) once the folder
// is set up.
func New(init Initializer, focus func(fyne.Focusable), onDone func()) *Screen {
	s := &Screen{init: init, onDone: onDone, focus: focus}
	s.Store, s.Terminal, s.AdminCode, s.AdminName = widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	s.PIN, s.PIN2 = widget.NewPasswordEntry(), widget.NewPasswordEntry()
	s.Terminal.SetText(i18n.T("setup.terminal.default"))
	s.Message = widget.NewLabel("")
	s.Message.Wrapping = fyne.TextWrapWord
	s.Message.Importance = widget.DangerImportance
	s.Save = widget.NewButtonWithIcon(i18n.T("setup.save"), theme.ConfirmIcon(), s.save)
	s.Save.Importance = widget.HighImportance
	order := []*widget.Entry{s.Store, s.Terminal, s.AdminCode, s.AdminName, s.PIN, s.PIN2}
	for i, e := range order {
		if i+1 < len(order) {
			next := order[i+1]
			e.OnSubmitted = func(string) { s.focus(next) }
		}
	}
	s.PIN2.OnSubmitted = func(string) { s.save() }
	form := widget.NewForm(
		widget.NewFormItem(i18n.T("field.store_name"), s.Store),
		widget.NewFormItem(i18n.T("field.terminal_name"), s.Terminal),
		widget.NewFormItem(i18n.T("setup.admin_code"), s.AdminCode),
		widget.NewFormItem(i18n.T("field.admin_name"), s.AdminName),
		widget.NewFormItem(i18n.T("setup.pin"), s.PIN),
		widget.NewFormItem(i18n.T("setup.pin2"), s.PIN2),
	)
	title := widget.NewLabelWithStyle(i18n.T("setup.title"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText
	hint := widget.NewLabel(i18n.T("setup.hint"))
	hint.Wrapping = fyne.TextWrapWord
	box := container.NewVBox(title, hint, form, s.Save, s.Message)
	s.content = container.NewCenter(container.NewGridWrap(fyne.NewSize(560, box.MinSize().Height+40), box))
	return s
}

// Content is the screen's root.
func (s *Screen) Content() fyne.CanvasObject { return s.content }

// FocusFirst puts the cursor in the store name.
func (s *Screen) FocusFirst() { s.focus(s.Store) }

func (s *Screen) save() {
	if s.PIN.Text != s.PIN2.Text {
		s.Message.SetText(i18n.T("setup.pin_mismatch"))
		s.focus(s.PIN2)
		return
	}
	f := Form{Store: s.Store.Text, Terminal: s.Terminal.Text, AdminCode: s.AdminCode.Text, AdminName: s.AdminName.Text, PIN: s.PIN.Text}
	s.Save.Disable()
	s.Message.SetText("")
	var err error
	async.Run(func() { err = s.init.Init(context.Background(), f) }, func() {
		s.Save.Enable()
		if err != nil {
			s.Message.SetText(i18n.Err(err))
			return
		}
		s.onDone()
	})
}
