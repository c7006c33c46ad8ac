// Package held is the held-orders list (挂单/取单): the carts parked at
// this terminal with the cashier's label, how many lines, what they come
// to and how long they have waited. Keyboard first: ↑/↓ choose, Enter
// resumes, Delete drops (after a confirm), Esc closes; every key is shown
// on its button. The Counter opens it and puts the resumed lines back into
// its cart; the rules (who may drop, resume once) are app/sale.Holds'.
package held

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

// Holds is what the list needs from the held-orders use case
// (app/sale.Holds).
type Holds interface {
	List(ctx context.Context) ([]app.HeldOrder, error)
	Resume(ctx context.Context, id int64, staff app.Staff) (app.HeldOrder, error)
	Drop(ctx context.Context, id int64, staff app.Staff) error
}

// Deps is what the view needs.
type Deps struct {
	Holds   Holds
	Staff   app.Staff    // who is at the till: resumes and drops in their name
	Signals *app.Signals // SignalHeld refreshes the list (another window held or resumed one)
	// OnResume takes the resumed cart, on the UI goroutine: the Counter
	// puts its lines back into the cart. The view then asks to close.
	OnResume func(app.HeldOrder)
	// OnClose closes whatever shows the view (Esc, 关闭, after a resume).
	OnClose func()
	// Focus moves the keyboard focus in the window; nil: not moved.
	Focus func(fyne.Focusable)
	// Override asks a manager to allow one drop of someone else's cart
	// (ui/override); nil: not offered.
	Override func(perm string, then func())
	Now      func() time.Time // nil: time.Now
}

// View is the list of held carts with its buttons.
type View struct {
	d       Deps
	List    *keyList
	Resume  *widget.Button
	Drop    *widget.Button
	Close   *widget.Button
	Confirm *fyne.Container // "drop this one?" with its two buttons, shown on Delete
	Sure    *widget.Button  // 确认删除（Enter）
	Keep    *widget.Button  // 取消（Esc）
	Ask     *widget.Label   // what Confirm asks
	Status  *widget.Label
	Shown   []app.HeldOrder
	// Selected is the index in Shown of the cart the keys act on; -1: none.
	Selected   int
	confirming bool
	busy       bool
	stop       func()
	content    fyne.CanvasObject
}

// New builds the view and loads the held carts.
func New(d Deps) *View {
	v := &View{d: d, Selected: -1}
	v.List = newKeyList(v)
	v.Resume = widget.NewButtonWithIcon(i18n.T("heldview.resume"), theme.ConfirmIcon(), v.resume)
	v.Resume.Importance = widget.HighImportance
	v.Drop = widget.NewButtonWithIcon(i18n.T("heldview.drop"), theme.DeleteIcon(), v.askDrop)
	v.Close = widget.NewButtonWithIcon(i18n.T("heldview.close"), theme.CancelIcon(), v.close)
	v.Ask = widget.NewLabel("")
	v.Ask.Wrapping = fyne.TextWrapWord
	v.Ask.Importance = widget.WarningImportance
	v.Sure = widget.NewButtonWithIcon(i18n.T("heldview.drop_sure"), theme.DeleteIcon(), v.drop)
	v.Sure.Importance = widget.DangerImportance
	v.Keep = widget.NewButtonWithIcon(i18n.T("heldview.drop_keep"), theme.CancelIcon(), v.keep)
	v.Confirm = container.NewVBox(v.Ask, container.NewHBox(v.Keep, v.Sure))
	v.Confirm.Hide()
	v.Status = widget.NewLabel("")
	v.Status.Wrapping = fyne.TextWrapWord
	hint := widget.NewLabel(i18n.T("heldview.keys"))
	hint.SizeName = theme.SizeNameCaptionText
	buttons := container.NewHBox(v.Close, v.Drop, v.Resume)
	v.content = container.NewBorder(hint, container.NewVBox(v.Status, v.Confirm, container.NewBorder(nil, nil, nil, buttons)),
		nil, nil, v.List)
	if d.Signals != nil {
		v.stop = d.Signals.Subscribe(app.SignalHeld, func(any) { async.Do(v.Reload) })
	}
	v.Reload()
	return v
}

// Content is the view's root object.
func (v *View) Content() fyne.CanvasObject { return v.content }

// FocusFirst puts the keyboard on the list.
func (v *View) FocusFirst() { v.focus(v.List) }

// Stop leaves the signal hub.
func (v *View) Stop() {
	if v.stop != nil {
		v.stop()
		v.stop = nil
	}
}

func (v *View) focus(o fyne.Focusable) {
	if v.d.Focus != nil {
		v.d.Focus(o)
	}
}

func (v *View) now() time.Time {
	if v.d.Now != nil {
		return v.d.Now()
	}
	return time.Now()
}

// Reload reads the held carts again, keeping the choice on the same cart
// when it is still there (else the newest).
func (v *View) Reload() {
	var list []app.HeldOrder
	var err error
	async.Run(func() { list, err = v.d.Holds.List(context.Background()) }, func() {
		if err != nil {
			v.say(i18n.T("heldview.err.load", "Err", i18n.Err(err)))
			return
		}
		var keep int64
		if v.Selected >= 0 && v.Selected < len(v.Shown) {
			keep = v.Shown[v.Selected].ID
		}
		v.Shown = list
		v.Selected = len(list) - 1 // the newest, held last: the one most often wanted back
		for i, h := range list {
			if h.ID == keep {
				v.Selected = i
			}
		}
		if v.confirming && (v.Selected < 0 || v.Shown[v.Selected].ID != keep) {
			v.keep() // the cart asked about is gone
		}
		v.List.Refresh()
		v.choose(v.Selected)
		if len(list) == 0 {
			v.say(i18n.T("heldview.empty"))
		} else if v.Status.Text == i18n.T("heldview.empty") {
			v.say("")
		}
		v.update()
	})
}

func (v *View) say(s string) { v.Status.SetText(s) }

// choose makes row i the one the keys act on.
func (v *View) choose(i int) {
	if i < 0 || i >= len(v.Shown) {
		v.Selected = -1
		v.List.UnselectAll()
		v.update()
		return
	}
	v.Selected = i
	v.List.Select(i) // OnSelected keeps Selected
	v.List.ScrollTo(i)
	v.update()
}

// move goes up or down the list by delta, staying within it.
func (v *View) move(delta int) {
	if len(v.Shown) == 0 || v.confirming {
		return
	}
	i := v.Selected + delta
	if v.Selected < 0 {
		i = 0
	}
	v.choose(min(max(i, 0), len(v.Shown)-1))
}

func (v *View) update() {
	if v.Selected >= 0 && !v.busy && !v.confirming {
		v.Resume.Enable()
		v.Drop.Enable()
	} else {
		v.Resume.Disable()
		v.Drop.Disable()
	}
}

func (v *View) current() (app.HeldOrder, bool) {
	if v.Selected < 0 || v.Selected >= len(v.Shown) {
		return app.HeldOrder{}, false
	}
	return v.Shown[v.Selected], true
}

// resume takes the chosen cart back (Enter).
func (v *View) resume() {
	h, ok := v.current()
	if !ok || v.busy || v.confirming {
		return
	}
	v.busy = true
	v.update()
	v.say(i18n.T("heldview.resuming"))
	var got app.HeldOrder
	var err error
	holds, staff := v.d.Holds, v.d.Staff
	async.Run(func() { got, err = holds.Resume(context.Background(), h.ID, staff) }, func() {
		v.busy = false
		if err != nil {
			v.say(i18n.Err(err))
			v.update()
			v.FocusFirst()
			if errors.Is(err, app.ErrHeldNotFound) {
				v.Reload() // resumed elsewhere meanwhile
			}
			return
		}
		v.say("")
		if v.d.OnResume != nil {
			v.d.OnResume(got)
		}
		v.close()
	})
}

// askDrop asks before dropping the chosen cart (Delete).
func (v *View) askDrop() {
	h, ok := v.current()
	if !ok || v.busy || v.confirming {
		return
	}
	v.confirming = true
	v.Ask.SetText(i18n.T("heldview.drop_ask", "Label", Title(h), "Amount", h.Total, "Lines", len(h.Lines)))
	v.Confirm.Show()
	v.update()
	v.FocusFirst() // Enter now confirms, Esc keeps it
}

// keep leaves the confirm without dropping (Esc).
func (v *View) keep() {
	v.confirming = false
	v.Confirm.Hide()
	v.update()
	v.FocusFirst()
}

// drop drops the cart asked about (Enter on the confirm).
func (v *View) drop() {
	h, ok := v.current()
	if !ok || v.busy || !v.confirming {
		return
	}
	v.confirming = false
	v.Confirm.Hide()
	v.busy = true
	v.update()
	var err error
	holds, staff := v.d.Holds, v.d.Staff
	async.Run(func() { err = holds.Drop(context.Background(), h.ID, staff) }, func() {
		v.busy = false
		v.update()
		v.FocusFirst()
		if err != nil {
			v.say(i18n.Err(err))
			if v.d.Override != nil && errors.Is(err, app.ErrNoPermission) && !errors.Is(err, app.ErrStaffDisabled) {
				v.d.Override(app.PermVoidLine, func() {
					v.confirming = true // a manager allowed it: drop the same cart
					v.drop()
				})
			}
			return
		}
		v.say(i18n.T("heldview.dropped", "Label", Title(h)))
		v.Reload()
	})
}

func (v *View) close() {
	if v.busy {
		return // a resume is being written: its answer decides
	}
	if v.d.OnClose != nil {
		v.d.OnClose()
	}
}

// escape is Esc: out of the confirm, else close.
func (v *View) escape() {
	if v.confirming {
		v.keep()
		return
	}
	v.close()
}

// enter is Enter: confirm the drop when asked, else resume.
func (v *View) enter() {
	if v.confirming {
		v.drop()
		return
	}
	v.resume()
}

// Title names a held cart: the cashier's label, else its number.
func Title(h app.HeldOrder) string {
	if h.Label != "" {
		return h.Label
	}
	return i18n.T("heldview.untitled", "ID", h.ID)
}

// Detail is a row's second line: who held it, how many lines and pieces.
func Detail(h app.HeldOrder) string {
	return i18n.T("heldview.detail", "Name", h.StaffName, "Lines", len(h.Lines), "Qty", h.Qty())
}

// Age says how long ago something was held: just now, minutes, hours, days.
func Age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return i18n.T("heldview.age.now")
	case d < time.Hour:
		return i18n.T("heldview.age.minutes", "N", int(d/time.Minute))
	case d < 24*time.Hour:
		return i18n.T("heldview.age.hours", "N", int(d/time.Hour))
	}
	return i18n.T("heldview.age.days", "N", int(d/(24*time.Hour)))
}

// keyList is the list the keyboard works: ↑/↓ choose the cart, Enter
// resumes it (or confirms a drop), Delete asks to drop it, Esc closes (or
// keeps the cart when a drop is asked).
type keyList struct {
	widget.List
	v *View
}

func newKeyList(v *View) *keyList {
	l := &keyList{v: v}
	l.Length = func() int { return len(v.Shown) }
	l.CreateItem = func() fyne.CanvasObject {
		title := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		title.Truncation = fyne.TextTruncateEllipsis
		detail := widget.NewLabel("")
		detail.Truncation = fyne.TextTruncateEllipsis
		detail.SizeName = theme.SizeNameCaptionText
		total := widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
		age := widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{})
		age.SizeName = theme.SizeNameCaptionText
		return container.NewBorder(nil, nil, nil, container.NewVBox(total, age), container.NewVBox(title, detail))
	}
	l.UpdateItem = func(i widget.ListItemID, o fyne.CanvasObject) {
		if i < 0 || i >= len(v.Shown) {
			return
		}
		h := v.Shown[i]
		box := o.(*fyne.Container)
		left := box.Objects[0].(*fyne.Container).Objects
		right := box.Objects[1].(*fyne.Container).Objects
		left[0].(*widget.Label).SetText(Title(h))
		left[1].(*widget.Label).SetText(Detail(h))
		right[0].(*widget.Label).SetText(h.Total.Display())
		right[1].(*widget.Label).SetText(Age(h.Age(v.now())))
	}
	l.OnSelected = func(i widget.ListItemID) {
		if v.confirming && i != v.Selected && v.Selected >= 0 {
			l.Select(v.Selected) // the cart asked about stays chosen
			return
		}
		v.Selected = i
		v.update()
	}
	l.ExtendBaseWidget(l)
	return l
}

// TypedKey works the list by keyboard.
func (l *keyList) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyUp:
		l.v.move(-1)
	case fyne.KeyDown:
		l.v.move(1)
	case fyne.KeyReturn, fyne.KeyEnter:
		l.v.enter()
	case fyne.KeyDelete:
		l.v.askDrop()
	case fyne.KeyEscape:
		l.v.escape()
	default:
		l.List.TypedKey(ev)
	}
}

// Dialog is the view in a dialog over the Counter.
type Dialog struct {
	View *View
	dlg  *dialog.CustomDialog
}

// Open shows the held carts in a dialog over win with the keyboard on
// the list; OnClose (if any) runs after the dialog is gone.
func Open(win fyne.Window, d Deps) *Dialog {
	out := &Dialog{}
	closed := d.OnClose
	d.OnClose = func() { out.dlg.Hide() }
	d.Focus = func(o fyne.Focusable) { win.Canvas().Focus(o) }
	out.View = New(d)
	out.dlg = dialog.NewCustomWithoutButtons(i18n.T("heldview.title"), out.View.Content(), win)
	out.dlg.SetOnClosed(func() {
		out.View.Stop()
		if closed != nil {
			closed()
		}
	})
	out.dlg.Resize(dialogSize(win))
	out.dlg.Show()
	out.View.FocusFirst()
	return out
}

// Hide closes the dialog.
func (d *Dialog) Hide() { d.dlg.Hide() }

// dialogSize fits the window: at most 720×520, within a 1024×768 screen.
func dialogSize(win fyne.Window) fyne.Size {
	s := win.Canvas().Size()
	return fyne.NewSize(min(720, s.Width*0.9), min(520, s.Height*0.85))
}
