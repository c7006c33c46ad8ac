package shift

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	appshift "cashier/app/shift"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

// ClockOner clocks a person on (app/shift.Service).
type ClockOner interface {
	// SuggestedFloat is the float the last shift on this terminal left.
	SuggestedFloat(ctx context.Context) (app.Money, error)
	ClockOn(ctx context.Context, staffID int64, scope appshift.Scope, openingFloat app.Money) (appshift.Shift, error)
}

// ClockOn is the clock-on dialog: where the person works (this terminal
// or the whole store) and the cash in the drawer as they start. Enter
// clocks on, Esc cancels.
type ClockOn struct {
	Scope   *widget.RadioGroup
	Float   *Field
	Message *widget.Label
	Confirm *widget.Button
	Cancel  *widget.Button
	dlg     *dialog.CustomDialog
	svc     ClockOner
	staff   app.Staff
	done    func(appshift.Shift)
	busy    bool
	typed   bool // the person typed a float: a late suggestion must not overwrite it
}

// ShowClockOn opens the clock-on dialog over w for staff; done (may be nil)
// gets the new shift.
func ShowClockOn(w fyne.Window, svc ClockOner, staff app.Staff, done func(appshift.Shift)) *ClockOn {
	c := &ClockOn{svc: svc, staff: staff, done: done}
	c.Scope = widget.NewRadioGroup([]string{ScopeName(appshift.ScopeTerminal), ScopeName(appshift.ScopeStore)}, nil)
	c.Scope.Horizontal = true
	c.Scope.Required = true
	c.Scope.SetSelected(ScopeName(appshift.ScopeTerminal))
	c.Float = newField()
	c.Float.SetPlaceHolder("0.00")
	c.Float.OnChanged = func(string) { c.typed = true }
	c.Float.OnSubmitted = func(string) { c.confirm() }
	c.Float.OnEscape = func() { c.dlg.Hide() }
	c.Message = widget.NewLabel("")
	c.Message.Wrapping = fyne.TextWrapWord
	c.Confirm = widget.NewButtonWithIcon(i18n.T("shiftview.clock_on.confirm"), theme.ConfirmIcon(), c.confirm)
	c.Confirm.Importance = widget.HighImportance
	c.Cancel = widget.NewButtonWithIcon(i18n.T("shiftview.cancel"), theme.CancelIcon(), func() { c.dlg.Hide() })

	form := widget.NewForm(
		widget.NewFormItem(i18n.T("shiftview.clock_on.scope"), c.Scope),
		widget.NewFormItem(i18n.T("shiftview.clock_on.float"), c.Float),
	)
	hint := widget.NewLabel(i18n.T("shiftview.clock_on.hint"))
	hint.Wrapping = fyne.TextWrapWord
	content := container.NewVBox(widget.NewLabel(i18n.T("shiftview.clock_on.who", "Name", staff.Name)), form, hint, c.Message)
	c.dlg = dialog.NewCustomWithoutButtons(i18n.T("shiftview.clock_on.title"), content, w)
	c.dlg.SetButtons([]fyne.CanvasObject{c.Cancel, c.Confirm})
	c.dlg.Resize(fyne.NewSize(520, 0))
	c.dlg.Show()
	w.Canvas().Focus(c.Float)
	c.suggest()
	return c
}

// suggest prefills the float the last shift on this terminal left.
func (c *ClockOn) suggest() {
	var m app.Money
	var err error
	async.Run(func() { m, err = c.svc.SuggestedFloat(context.Background()) }, func() {
		if err != nil {
			c.Message.SetText(i18n.T("shiftview.clock_on.no_suggestion", "Err", i18n.Err(err)))
			return
		}
		if !c.typed {
			c.Float.SetText(m.String())
			c.typed = false // the program wrote it, not the person
			c.Float.CursorColumn = len([]rune(c.Float.Text))
		}
	})
}

func (c *ClockOn) scope() appshift.Scope {
	if c.Scope.Selected == ScopeName(appshift.ScopeStore) {
		return appshift.ScopeStore
	}
	return appshift.ScopeTerminal
}

func (c *ClockOn) confirm() {
	if c.busy {
		return
	}
	text := c.Float.Text
	if text == "" {
		text = "0"
	}
	float, err := app.ParseMoney(text)
	if err != nil {
		c.Message.SetText(i18n.T("shiftview.clock_on.bad_float", "Err", i18n.Err(err)))
		return
	}
	c.busy = true
	c.Confirm.Disable()
	c.Message.SetText(i18n.T("shiftview.working"))
	scope, staff := c.scope(), c.staff
	var sh appshift.Shift
	async.Run(func() { sh, err = c.svc.ClockOn(context.Background(), staff.ID, scope, float) }, func() {
		c.busy = false
		c.Confirm.Enable()
		if err != nil {
			c.Message.SetText(i18n.Err(err))
			return
		}
		c.dlg.Hide()
		if c.done != nil {
			c.done(sh)
		}
	})
}
