// Package login is the staff login screen: pick or type a staff number,
// enter the PIN, press Enter. Works with the keyboard alone.
package login

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
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
	s.Code.SetPlaceHolder(i18n.T("login.code.placeholder", "工号"))
	s.PIN = widget.NewPasswordEntry()
	s.PIN.SetPlaceHolder(i18n.T("login.pin.placeholder", "密码（4-12位数字）"))
	s.Message = widget.NewLabel("")
	s.Message.Wrapping = fyne.TextWrapWord
	s.Message.Importance = widget.DangerImportance
	s.Submit = widget.NewButtonWithIcon(i18n.T("login.submit", "登录"), theme.LoginIcon(), s.submit)
	s.Submit.Importance = widget.HighImportance
	s.Code.OnSubmitted = func(string) { s.focus(s.PIN) }
	s.PIN.OnSubmitted = func(string) { s.submit() }

	people := container.NewGridWrap(fyne.NewSize(150, 64))
	for _, st := range d.Staff {
		st := st
		label := fmt.Sprintf("%s\n%s %s", st.Name, roleName(st.Role), st.Code)
		if pin, ok := d.DemoPINs[st.Code]; ok {
			label = fmt.Sprintf("%s（%s）\n%s %s", st.Name, roleName(st.Role), i18n.T("login.demo.pin", "演示密码"), pin)
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

	title := widget.NewLabelWithStyle(i18n.T("login.title", "员工登录"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText
	store := widget.NewLabelWithStyle(d.StoreName, fyne.TextAlignCenter, fyne.TextStyle{})
	form := widget.NewForm(
		widget.NewFormItem(i18n.T("login.code", "工号"), s.Code),
		widget.NewFormItem(i18n.T("login.pin", "密码"), s.PIN),
	)
	items := []fyne.CanvasObject{title, store}
	if d.Sandbox {
		b := widget.NewLabelWithStyle(i18n.T("shell.sandbox", "沙箱模式：不会真实扣款"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
		b.Importance = widget.WarningImportance
		items = append(items, b)
	}
	if len(d.DemoPINs) > 0 {
		items = append(items, widget.NewLabelWithStyle(i18n.T("login.demo.hint", "演示数据：点击员工即可填入工号"), fyne.TextAlignCenter, fyne.TextStyle{Italic: true}))
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
		s.Message.SetText(i18n.T("login.err.code", "请输入工号"))
		s.focus(s.Code)
		return
	}
	if err := app.ValidatePIN(pin); err != nil {
		s.Message.SetText(i18n.T("login.err.pinformat", "密码须为4到12位数字"))
		s.focus(s.PIN)
		return
	}
	s.busy = true
	s.Submit.Disable()
	s.Message.SetText(i18n.T("login.checking", "正在验证…"))
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
			s.Message.SetText(Explain(err))
			s.focus(s.PIN)
			return
		}
		s.Message.SetText("")
		if s.deps.OnLogin != nil {
			s.deps.OnLogin(st)
		}
	})
}

// Explain turns a login error into words for the cashier.
func Explain(err error) string {
	var wrong *app.WrongPINError
	var locked *app.LockedError
	switch {
	case errors.As(err, &wrong):
		return i18n.T("login.err.wrongpin", "密码错误，还可尝试 {{.N}} 次", map[string]any{"N": wrong.Remaining})
	case errors.As(err, &locked):
		return i18n.T("login.err.locked", "密码错误次数过多，已锁定至 {{.Until}}", map[string]any{"Until": locked.Until.Format("15:04:05")})
	case errors.Is(err, app.ErrUnknownStaff):
		return i18n.T("login.err.unknown", "没有这个工号")
	case errors.Is(err, app.ErrStaffDisabled):
		return i18n.T("login.err.disabled", "该员工已停用，请联系店长")
	}
	return i18n.T("login.err.other", "登录失败：{{.Err}}", map[string]any{"Err": err.Error()})
}

func roleName(r app.Role) string {
	switch r {
	case app.RoleAdmin:
		return i18n.T("role.admin", "管理员")
	case app.RoleManager:
		return i18n.T("role.manager", "店长")
	}
	return i18n.T("role.clerk", "店员")
}

// RoleName is the translated role name.
func RoleName(r app.Role) string { return roleName(r) }
