// Package login is the staff login screen: pick or type a staff number,
// enter the PIN, press Enter. Works with the keyboard alone. A PIN someone
// else set (a reset, a new person) is replaced before entering: the screen
// asks for a new PIN twice; anyone may change their own PIN from here too.
package login

import (
	"context"
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/auth"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/scaninput"
)

// Authenticator checks a staff number and PIN.
type Authenticator interface {
	Login(ctx context.Context, code, pin string) (app.Staff, error)
}

// PINChanger changes a person's own PIN, checking the old one
// (auth.Auth). An Authenticator that is also a PINChanger lets people
// change their PIN here; without it the screen cannot let in a person
// whose PIN must be changed.
type PINChanger interface {
	ChangePIN(ctx context.Context, code, oldPIN, newPIN string) error
}

// Deps is what the login screen needs.
type Deps struct {
	Auth      Authenticator
	Staff     []app.Staff       // shown as quick-pick buttons
	DemoPINs  map[string]string // staff code → PIN, only on a demo data folder
	StoreName string
	Sandbox   bool
	OnLogin   func(app.Staff)
	// Focus moves keyboard focus (the window canvas's Focus).
	Focus func(fyne.Focusable)
}

// Screen is the login form.
type Screen struct {
	deps    Deps
	Code    *widget.Entry
	PIN     *widget.Entry
	Submit  *widget.Button
	Change  *widget.Button // change my PIN (the number and current PIN typed above)
	Message *widget.Label
	busy    bool
	content fyne.CanvasObject

	// The new-PIN form, shown instead of the login form while a PIN is
	// being changed.
	NewPIN, NewPIN2 *scaninput.Entry
	SavePIN, Back   *widget.Button
	ChangeNote      *widget.Label
	ChangeMsg       *widget.Label
	loginBox        *fyne.Container
	changeBox       *fyne.Container
	changing        struct{ code, oldPIN string }
}

// New builds the screen.
func New(d Deps) *Screen {
	s := &Screen{deps: d}
	s.Code = widget.NewEntry()
	s.Code.SetPlaceHolder(i18n.T("login.code.placeholder"))
	s.PIN = widget.NewPasswordEntry()
	s.PIN.SetPlaceHolder(i18n.T("login.pin.placeholder"))
	s.Message = widget.NewLabel("")
	s.Message.Wrapping = fyne.TextWrapWord
	s.Message.Importance = widget.DangerImportance
	s.Submit = widget.NewButtonWithIcon(i18n.T("login.submit"), theme.LoginIcon(), s.submit)
	s.Submit.Importance = widget.HighImportance
	s.Code.OnSubmitted = func(string) { s.focus(s.PIN) }
	s.PIN.OnSubmitted = func(string) { s.submit() }
	s.Change = widget.NewButtonWithIcon(i18n.T("login.change_pin"), theme.AccountIcon(), s.askChange)
	if _, ok := d.Auth.(PINChanger); !ok {
		s.Change.Hide()
	}

	cell := fyne.NewSize(150, 64)
	if len(d.DemoPINs) > 0 {
		cell = fyne.NewSize(160, 84) // a third line: the demo PIN
	}
	people := container.NewGridWrap(cell)
	for _, st := range d.Staff {
		st := st
		label := st.Name + "\n" + i18n.T("login.person.role", "Role", roleName(st.Role), "Code", st.Code)
		if pin, ok := d.DemoPINs[st.Code]; ok {
			label += "\n" + i18n.T("login.demo.pin", "PIN", pin)
		}
		b := widget.NewButton(label, func() {
			s.Code.SetText(st.Code)
			s.focus(s.PIN)
		})
		if st.Disabled {
			b.Disable()
		}
		people.Add(b)
	}

	title := widget.NewLabelWithStyle(i18n.T("login.title"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText
	store := widget.NewLabelWithStyle(d.StoreName, fyne.TextAlignCenter, fyne.TextStyle{})
	form := widget.NewForm(
		widget.NewFormItem(i18n.T("login.code"), s.Code),
		widget.NewFormItem(i18n.T("login.pin"), s.PIN),
	)
	items := []fyne.CanvasObject{title, store}
	if d.Sandbox {
		b := widget.NewLabelWithStyle(i18n.T("shell.sandbox"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
		b.Importance = widget.WarningImportance
		items = append(items, b)
	}
	if len(d.DemoPINs) > 0 {
		items = append(items, widget.NewLabelWithStyle(i18n.T("login.demo.hint"), fyne.TextAlignCenter, fyne.TextStyle{Italic: true}))
	}
	items = append(items, people, form, container.NewGridWithColumns(2, s.Submit, s.Change), s.Message)
	s.loginBox = container.NewVBox(items...)
	s.buildChange(title)
	s.changeBox.Hide()
	box := container.NewStack(s.loginBox, s.changeBox)
	s.content = container.NewCenter(container.NewGridWrap(fyne.NewSize(520, box.MinSize().Height), box))
	return s
}

// buildChange makes the new-PIN form: new PIN, again, Enter saves, Esc
// goes back to the login.
func (s *Screen) buildChange(title *widget.Label) {
	s.NewPIN = scaninput.NewEntry(nil, nil)
	s.NewPIN.Password = true
	s.NewPIN.SetPlaceHolder(i18n.T("login.pin.placeholder"))
	s.NewPIN2 = scaninput.NewEntry(nil, nil)
	s.NewPIN2.Password = true
	s.NewPIN.OnSubmitted = func(string) { s.focus(s.NewPIN2) }
	s.NewPIN2.OnSubmitted = func(string) { s.savePIN() }
	s.NewPIN.OnEscape, s.NewPIN2.OnEscape = s.cancelChange, s.cancelChange
	s.ChangeNote = widget.NewLabel("")
	s.ChangeNote.Wrapping = fyne.TextWrapWord
	s.ChangeMsg = widget.NewLabel("")
	s.ChangeMsg.Wrapping = fyne.TextWrapWord
	s.ChangeMsg.Importance = widget.DangerImportance
	s.SavePIN = widget.NewButtonWithIcon(i18n.T("login.change.save"), theme.ConfirmIcon(), s.savePIN)
	s.SavePIN.Importance = widget.HighImportance
	s.Back = widget.NewButtonWithIcon(i18n.T("login.change.back"), theme.NavigateBackIcon(), s.cancelChange)
	heading := widget.NewLabelWithStyle(i18n.T("login.change.title"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	heading.SizeName = theme.SizeNameHeadingText
	form := widget.NewForm(
		widget.NewFormItem(i18n.T("login.change.new"), s.NewPIN),
		widget.NewFormItem(i18n.T("login.change.again"), s.NewPIN2),
	)
	s.changeBox = container.NewVBox(heading, s.ChangeNote, form, container.NewGridWithColumns(2, s.Back, s.SavePIN), s.ChangeMsg)
}

// Changing reports whether the new-PIN form is shown.
func (s *Screen) Changing() bool { return s.changeBox.Visible() }

// askChange: change my PIN, with the number and current PIN typed in the
// login form.
func (s *Screen) askChange() {
	if s.busy {
		return
	}
	code, pin, ok := s.typed()
	if !ok {
		return
	}
	s.startChange(code, pin, i18n.T("login.change.own", "Code", code))
}

func (s *Screen) startChange(code, oldPIN, note string) {
	s.changing.code, s.changing.oldPIN = code, oldPIN
	s.PIN.SetText("")
	s.Message.SetText("")
	s.NewPIN.SetText("")
	s.NewPIN2.SetText("")
	s.ChangeMsg.SetText("")
	s.ChangeNote.SetText(note)
	s.loginBox.Hide()
	s.changeBox.Show()
	s.focus(s.NewPIN)
}

func (s *Screen) cancelChange() {
	if s.busy {
		return
	}
	s.changing.code, s.changing.oldPIN = "", ""
	s.NewPIN.SetText("")
	s.NewPIN2.SetText("")
	s.changeBox.Hide()
	s.loginBox.Show()
	s.focus(s.PIN)
}

// savePIN sets the new PIN (checked twice here, by the rules in auth),
// then logs in with it.
func (s *Screen) savePIN() {
	if s.busy || !s.Changing() {
		return
	}
	pin, again := s.NewPIN.Text, s.NewPIN2.Text
	if err := auth.ValidatePIN(pin); err != nil {
		s.ChangeMsg.SetText(i18n.Err(err))
		s.focus(s.NewPIN)
		return
	}
	if pin != again {
		s.ChangeMsg.SetText(i18n.T("login.change.mismatch"))
		s.NewPIN2.SetText("")
		s.focus(s.NewPIN2)
		return
	}
	changer, ok := s.deps.Auth.(PINChanger)
	if !ok {
		s.ChangeMsg.SetText(i18n.T("login.change.unavailable"))
		return
	}
	s.busy = true
	s.SavePIN.Disable()
	s.ChangeMsg.SetText(i18n.T("login.checking"))
	code, old := s.changing.code, s.changing.oldPIN
	var st app.Staff
	var err error
	async.Run(func() {
		ctx := context.Background()
		if err = changer.ChangePIN(ctx, code, old, pin); err == nil {
			st, err = s.deps.Auth.Login(ctx, code, pin)
		}
	}, func() {
		s.busy = false
		s.SavePIN.Enable()
		if err != nil {
			s.ChangeMsg.SetText(i18n.Err(err))
			s.NewPIN.SetText("")
			s.NewPIN2.SetText("")
			s.focus(s.NewPIN)
			return
		}
		s.changing.code, s.changing.oldPIN = "", ""
		s.NewPIN.SetText("")
		s.NewPIN2.SetText("")
		s.changeBox.Hide()
		s.loginBox.Show()
		s.ChangeMsg.SetText("")
		if s.deps.OnLogin != nil {
			s.deps.OnLogin(st)
		}
	})
}

// Content is the screen's root object.
func (s *Screen) Content() fyne.CanvasObject { return s.content }

// FocusFirst puts the cursor in the staff number field.
func (s *Screen) FocusFirst() { s.focus(s.Code) }

func (s *Screen) focus(o fyne.Focusable) {
	if s.deps.Focus != nil {
		s.deps.Focus(o)
	}
}

// typed is the staff number and PIN typed, or false (said on screen).
func (s *Screen) typed() (code, pin string, ok bool) {
	code = strings.TrimSpace(s.Code.Text)
	pin = s.PIN.Text
	if code == "" {
		s.Message.SetText(i18n.T("login.err.code"))
		s.focus(s.Code)
		return "", "", false
	}
	if err := auth.ValidatePIN(pin); err != nil {
		s.Message.SetText(i18n.T("login.err.pinformat"))
		s.focus(s.PIN)
		return "", "", false
	}
	return code, pin, true
}

func (s *Screen) submit() {
	if s.busy {
		return
	}
	code, pin, ok := s.typed()
	if !ok {
		return
	}
	s.busy = true
	s.Submit.Disable()
	s.Message.SetText(i18n.T("login.checking"))
	// bcrypt takes tens of milliseconds and the store writes: keep it off
	// the UI goroutine.
	var st app.Staff
	var err error
	async.Run(func() {
		st, err = s.deps.Auth.Login(context.Background(), code, pin)
	}, func() {
		s.busy = false
		s.Submit.Enable()
		s.PIN.SetText("")
		if errors.Is(err, auth.ErrMustChangePIN) {
			s.startChange(code, pin, i18n.Err(err))
			return
		}
		if err != nil {
			s.Message.SetText(i18n.Err(err))
			s.focus(s.PIN)
			return
		}
		s.Message.SetText("")
		if s.deps.OnLogin != nil {
			s.deps.OnLogin(st)
		}
	})
}

func roleName(r app.Role) string {
	switch r {
	case app.RoleAdmin:
		return i18n.T("role.admin")
	case app.RoleManager:
		return i18n.T("role.manager")
	}
	return i18n.T("role.clerk")
}

// RoleName is the translated role name.
func RoleName(r app.Role) string { return roleName(r) }
