// Package login is the staff login screen: pick or type a staff number,
// enter the PIN, press Enter. Works with the keyboard alone.
package login

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/auth"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

// Authenticator checks a staff number and PIN.
type Authenticator interface {
	Login(ctx context.Context, code, pin string) (app.Staff, error)
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
	Message *widget.Label
	busy    bool
	content fyne.CanvasObject
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
	items = append(items, people, form, s.Submit, s.Message)
	box := container.NewVBox(items...)
	s.content = container.NewCenter(container.NewGridWrap(fyne.NewSize(520, box.MinSize().Height), box))
	return s
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

func (s *Screen) submit() {
	if s.busy {
		return
	}
	code := strings.TrimSpace(s.Code.Text)
	pin := s.PIN.Text
	if code == "" {
		s.Message.SetText(i18n.T("login.err.code"))
		s.focus(s.Code)
		return
	}
	if err := auth.ValidatePIN(pin); err != nil {
		s.Message.SetText(i18n.T("login.err.pinformat"))
		s.focus(s.PIN)
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
