// Package override is the manager-override dialog: on the screen of a
// person who may not do something, a manager types their staff number and
// PIN to allow that one action. The rules (who may approve, the lockout
// a wrong PIN counts towards, the one-shot approval) are app/auth's.
package override

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/auth"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/scaninput"
)

// Overrider approves one check of perm for a person (auth.Auth).
type Overrider interface {
	Override(ctx context.Context, managerCode, pin string, forStaffID int64, perm string) (app.Staff, error)
}

// Dialog is the open override dialog.
type Dialog struct {
	Code, PIN *scaninput.Entry
	Message   *widget.Label
	Approve   *widget.Button
	Cancel    *widget.Button
	dlg       *dialog.CustomDialog
	o         Overrider
	perm      string
	forStaff  app.Staff
	then      func()
	busy      bool
	closed    bool
}

// Ask opens the dialog over win: perm is what forStaff is about to do and
// may not; then runs (on the UI goroutine) once a manager approved it, and
// should do the action at once (the approval is good for one check, for
// auth.OverrideTTL). A refusal is shown in the dialog, which stays open;
// Esc or Cancel closes it.
func Ask(win fyne.Window, perm string, forStaff app.Staff, o Overrider, then func()) *Dialog {
	d := &Dialog{o: o, perm: perm, forStaff: forStaff, then: then}
	d.Code = scaninput.NewEntry(nil, nil)
	d.Code.SetPlaceHolder(i18n.T("override.code"))
	d.PIN = scaninput.NewEntry(nil, nil)
	d.PIN.Password = true
	d.PIN.SetPlaceHolder(i18n.T("login.pin.placeholder"))
	d.Code.OnSubmitted = func(string) { win.Canvas().Focus(d.PIN) }
	d.PIN.OnSubmitted = func(string) { d.submit(win) }
	d.Code.OnEscape, d.PIN.OnEscape = d.Close, d.Close
	d.Message = widget.NewLabel("")
	d.Message.Wrapping = fyne.TextWrapWord
	d.Message.Importance = widget.DangerImportance
	d.Approve = widget.NewButtonWithIcon(i18n.T("override.approve"), theme.ConfirmIcon(), func() { d.submit(win) })
	d.Approve.Importance = widget.HighImportance
	d.Cancel = widget.NewButtonWithIcon(i18n.T("override.cancel"), theme.CancelIcon(), d.Close)

	need := widget.NewLabel(i18n.T("override.need", "Name", forStaff.Name, "Perm", i18n.M(auth.PermName(perm))))
	need.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(
		widget.NewFormItem(i18n.T("override.code"), d.Code),
		widget.NewFormItem(i18n.T("login.pin"), d.PIN),
	)
	note := widget.NewLabel(i18n.T("override.note"))
	note.Wrapping = fyne.TextWrapWord
	note.Importance = widget.LowImportance
	d.dlg = dialog.NewCustomWithoutButtons(i18n.T("override.title"), container.NewVBox(need, form, note, d.Message), win)
	d.dlg.SetButtons([]fyne.CanvasObject{d.Cancel, d.Approve})
	d.dlg.SetOnClosed(func() { d.closed = true })
	d.dlg.Resize(fyne.NewSize(460, 0))
	d.dlg.Show()
	win.Canvas().Focus(d.Code)
	return d
}

// Close closes the dialog without approving anything.
func (d *Dialog) Close() { d.dlg.Hide() }

// Closed reports whether the dialog is gone.
func (d *Dialog) Closed() bool { return d.closed }

func (d *Dialog) submit(win fyne.Window) {
	if d.busy || d.closed {
		return
	}
	code, pin := strings.TrimSpace(d.Code.Text), d.PIN.Text
	if code == "" {
		d.Message.SetText(i18n.T("login.err.code"))
		win.Canvas().Focus(d.Code)
		return
	}
	if err := auth.ValidatePIN(pin); err != nil {
		d.Message.SetText(i18n.Err(err))
		win.Canvas().Focus(d.PIN)
		return
	}
	d.busy = true
	d.Approve.Disable()
	d.Message.SetText(i18n.T("login.checking"))
	var err error
	perm, id := d.perm, d.forStaff.ID
	async.Run(func() { _, err = d.o.Override(context.Background(), code, pin, id, perm) }, func() {
		d.busy = false
		d.Approve.Enable()
		d.PIN.SetText("")
		if err != nil {
			d.Message.SetText(i18n.Err(err))
			win.Canvas().Focus(d.PIN)
			return
		}
		d.Message.SetText("")
		d.dlg.Hide()
		if d.then != nil {
			d.then()
		}
	})
}
