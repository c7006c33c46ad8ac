// Package today is the Today workspace (今日订单): this terminal's orders
// since the store's midnight, newest first, the details of the one chosen
// (lines, discounts, tenders with their transaction numbers, refunds), a
// reprint of its receipt (marked 重打 on the paper) and the last receipt
// with one key. Everything works from the keyboard: ↑/↓ choose, Enter
// shows, Esc goes back, F4 or Ctrl+P reprints, F12 prints the last
// receipt, F5 reads the list again.
package today

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/summary"
	"cashier/ui/async"
	"cashier/ui/i18n"
	shiftui "cashier/ui/shift"
)

// Row is one order as the list shows it.
type Row struct {
	At       time.Time
	No       string
	Kind     app.OrderKind
	Status   app.OrderStatus
	Amount   app.Money // payable
	Paid     app.Money
	Refunded app.Money
	Methods  []summary.Method // of its tenders that paid, are being paid or were handed back
	Staff    string
}

// RefundState is where a refund stands, as the details say it.
type RefundState string

const (
	RefundDone    RefundState = "refunded"
	RefundPending RefundState = "pending" // still with the channel
	RefundFailed  RefundState = "failed"
	RefundManual  RefundState = "manual" // a person must check it
)

// Refund is one refund of the order.
type Refund struct {
	No     string
	Amount app.Money
	State  RefundState
	At     time.Time
	Reason string
}

// Detail is one order in full.
type Detail struct {
	Order   app.Order // with its lines and tenders
	Staff   string    // who took it
	Refunds []Refund
}

// Orders reads this terminal's orders.
type Orders interface {
	// Today lists this terminal's orders of the store's day that holds
	// now, newest first, with the store's time zone.
	Today(ctx context.Context, now time.Time) ([]Row, *time.Location, error)
	// Detail loads one order with its lines, tenders and refunds.
	Detail(ctx context.Context, orderNo string) (Detail, error)
}

// Printer reprints receipts (app/sale.Checkout): marked as reprints and
// audited there.
type Printer interface {
	Reprint(ctx context.Context, orderNo string, staff app.Staff) error
	ReprintLast(ctx context.Context, staff app.Staff) (app.Order, error)
}

// Deps is what the view needs.
type Deps struct {
	Orders  Orders
	Printer Printer      // nil: no printer, the reprint buttons are off
	Signals *app.Signals // SignalOrder reads the list again
	Staff   app.Staff
	// Canvas takes the view's keys while no widget has the focus (after
	// a button was tapped); nil: only the list takes them.
	Canvas fyne.Canvas
	Now    func() time.Time // nil: time.Now
	// OnClose is Esc with no order chosen: the Counter closes the screen
	// it opened over itself (nil: nothing, the workspace stays).
	OnClose func()
}

// View is the Today workspace.
type View struct {
	deps      Deps
	List      *rowList
	Detail    *fyne.Container // the chosen order's details
	Summary   *widget.Label
	Status    *widget.Label
	Refresh   *widget.Button
	ReprintB  *widget.Button
	LastB     *widget.Button
	Rows      []Row
	loc       *time.Location
	chosen    string // the order whose details are shown
	shown     Detail
	detailBox *container.Scroll
	busy      bool // a reprint is on its way
	stopped   bool
	stops     []func()
	content   fyne.CanvasObject
}

// Keys of the view's buttons: on the buttons and in the tests.
const (
	KeyReprint = fyne.KeyF4
	KeyLast    = fyne.KeyF12
	KeyRefresh = fyne.KeyF5
)

// ctrlP is the reprint's second key, the usual one for printing.
var ctrlP = &desktop.CustomShortcut{KeyName: fyne.KeyP, Modifier: fyne.KeyModifierShortcutDefault}

// New builds the view and reads today's orders.
func New(d Deps) *View {
	if d.Now == nil {
		d.Now = time.Now
	}
	v := &View{deps: d}
	v.List = newRowList(v)
	v.Summary = widget.NewLabel("")
	v.Status = widget.NewLabel("")
	v.Status.Wrapping = fyne.TextWrapWord
	v.Refresh = widget.NewButtonWithIcon(i18n.T("today.refresh"), theme.ViewRefreshIcon(), func() { v.load(); v.focusList() })
	v.ReprintB = widget.NewButtonWithIcon(i18n.T("today.reprint"), theme.DocumentPrintIcon(), v.reprint)
	v.ReprintB.Importance = widget.HighImportance
	v.LastB = widget.NewButtonWithIcon(i18n.T("today.last"), theme.DocumentPrintIcon(), v.printLast)
	v.ReprintB.Disable()
	if d.Printer == nil {
		v.LastB.Disable()
		v.Status.SetText(i18n.T("today.no_printer"))
	}
	v.Detail = container.NewVBox()
	v.detailBox = container.NewVScroll(v.Detail)
	v.showDetail(Detail{}, false)

	top := container.NewBorder(nil, nil, widget.NewLabelWithStyle(i18n.T("today.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewHBox(v.Refresh, v.ReprintB, v.LastB), v.Summary)
	split := container.NewHSplit(container.NewBorder(listHeader(), nil, nil, nil, v.List), v.detailBox)
	split.Offset = 0.55
	v.content = container.NewBorder(container.NewVBox(top, widget.NewSeparator()), v.Status, nil, nil, split)

	v.stops = append(v.stops, d.Signals.Subscribe(app.SignalOrder, func(any) { async.Do(v.load) }))
	if c := d.Canvas; c != nil {
		c.SetOnTypedKey(func(k *fyne.KeyEvent) { v.key(k.Name) })
		c.AddShortcut(ctrlP, func(fyne.Shortcut) { v.reprint() })
		v.stops = append(v.stops, func() {
			c.SetOnTypedKey(nil)
			c.RemoveShortcut(ctrlP)
		})
	}
	v.load()
	return v
}

// Content is the view's root object.
func (v *View) Content() fyne.CanvasObject { return v.content }

// Focus is what gets the keyboard when the workspace opens: the list.
func (v *View) Focus() fyne.Focusable { return v.List }

// Stop leaves the signal hub and gives the canvas's keys back.
func (v *View) Stop() {
	v.stopped = true
	for _, s := range v.stops {
		s()
	}
	v.stops = nil
}

// key handles the view's keys, from the list or from the canvas.
func (v *View) key(k fyne.KeyName) bool {
	switch k {
	case KeyReprint:
		v.reprint()
	case KeyLast:
		v.printLast()
	case KeyRefresh:
		v.load()
	case fyne.KeyEscape:
		v.back()
	case fyne.KeyUp:
		v.move(-1)
	case fyne.KeyDown:
		v.move(1)
	case fyne.KeyReturn, fyne.KeyEnter:
		v.enter()
	default:
		return false
	}
	return true
}

func (v *View) focusList() {
	if c := fyne.CurrentApp().Driver().CanvasForObject(v.List); c != nil {
		c.Focus(v.List)
	}
}

// index is the row of the order shown, -1 when none is.
func (v *View) index() int {
	for i, r := range v.Rows {
		if r.No == v.chosen {
			return i
		}
	}
	return -1
}

// move chooses the row above or below the one shown (the first when none
// is).
func (v *View) move(by int) {
	if len(v.Rows) == 0 {
		return
	}
	i := v.index() + by
	if v.index() < 0 {
		i = 0
	}
	i = max(0, min(i, len(v.Rows)-1))
	v.List.Select(i)
}

// enter shows the first order when none is shown yet (↑/↓ and a click
// show theirs at once).
func (v *View) enter() {
	if v.index() < 0 && len(v.Rows) > 0 {
		v.List.Select(0)
	}
}

// back leaves the details: nothing chosen, the list keeps the keyboard.
func (v *View) back() {
	if v.chosen == "" && v.deps.OnClose != nil {
		v.deps.OnClose()
		return
	}
	v.List.UnselectAll()
	v.chosen = ""
	v.showDetail(Detail{}, false)
	v.updateButtons()
	v.focusList()
}

// load reads today's orders, keeping the order shown when it is still
// listed.
func (v *View) load() {
	if v.stopped {
		return // the page is gone
	}
	now := v.deps.Now()
	var rows []Row
	var loc *time.Location
	var err error
	orders := v.deps.Orders
	async.Run(func() { rows, loc, err = orders.Today(context.Background(), now) }, func() {
		if err != nil {
			v.Status.SetText(i18n.T("today.err.load", "Err", i18n.Err(err)))
			return
		}
		v.loc = loc
		v.Rows = rows
		v.List.Refresh()
		var paid, refunded app.Money
		for _, r := range rows {
			paid += r.Paid
			refunded += r.Refunded
		}
		v.Summary.SetText(i18n.T("today.summary", "N", len(rows), "Paid", shiftui.Yuan(paid), "Refunded", shiftui.Yuan(refunded)))
		if i := v.index(); i >= 0 {
			v.List.Select(i) // OnSelected does not fire again: read the details anew
			v.open(v.chosen)
		} else if v.chosen != "" {
			v.back()
		}
	})
}

// open reads and shows one order's details.
func (v *View) open(no string) {
	v.chosen = no
	v.updateButtons()
	var d Detail
	var err error
	orders := v.deps.Orders
	async.Run(func() { d, err = orders.Detail(context.Background(), no) }, func() {
		if v.chosen != no {
			return // another was chosen meanwhile
		}
		if err != nil {
			v.Status.SetText(i18n.T("today.err.load", "Err", i18n.Err(err)))
			return
		}
		v.showDetail(d, true)
		v.updateButtons()
	})
}

// reprintable: the chosen order has a receipt (it was paid).
func (v *View) reprintable() bool {
	i := v.index()
	if i < 0 {
		return false
	}
	s := v.Rows[i].Status
	return s == app.OrderPaid || s == app.OrderPartRefunded || s == app.OrderRefunded
}

func (v *View) updateButtons() {
	if v.deps.Printer != nil && !v.busy && v.reprintable() {
		v.ReprintB.Enable()
	} else {
		v.ReprintB.Disable()
	}
	if v.deps.Printer != nil && !v.busy {
		v.LastB.Enable()
	} else {
		v.LastB.Disable()
	}
}

// reprint prints the chosen order's receipt again.
func (v *View) reprint() {
	if v.busy || v.deps.Printer == nil {
		return
	}
	if !v.reprintable() {
		if v.index() >= 0 {
			v.Status.SetText(i18n.T("today.not_paid"))
		} else {
			v.Status.SetText(i18n.T("today.choose"))
		}
		return
	}
	no, p, staff := v.chosen, v.deps.Printer, v.deps.Staff
	v.busy = true
	v.updateButtons()
	v.Status.SetText(i18n.T("today.printing"))
	var err error
	async.Run(func() { err = p.Reprint(context.Background(), no, staff) }, func() {
		v.busy = false
		v.updateButtons()
		if err != nil {
			v.Status.SetText(i18n.T("today.err.reprint", "Err", i18n.Err(err)))
		} else {
			v.Status.SetText(i18n.T("today.reprinted", "No", app.ShortNo(no)))
		}
		v.focusList()
	})
}

// printLast prints this terminal's last receipt again.
func (v *View) printLast() {
	if v.busy || v.deps.Printer == nil {
		return
	}
	v.busy = true
	v.updateButtons()
	v.Status.SetText(i18n.T("today.printing"))
	PrintLast(v.deps.Printer, v.deps.Staff, func(text string, _ error) {
		v.busy = false
		v.updateButtons()
		v.Status.SetText(text)
		v.focusList()
	})
}

// PrintLast prints the terminal's last receipt again for staff (打印上一张,
// marked 重打 and audited by the printer), off the UI goroutine, then
// calls done on it with what happened in words and the error, if any.
// The Counter binds it to a key as this view does (F12).
func PrintLast(p Printer, staff app.Staff, done func(text string, err error)) {
	var o app.Order
	var err error
	async.Run(func() { o, err = p.ReprintLast(context.Background(), staff) }, func() {
		text := i18n.T("today.reprinted", "No", o.ShortNo())
		if err != nil {
			text = i18n.T("today.err.last", "Err", i18n.Err(err))
		}
		if done != nil {
			done(text, err)
		}
	})
}
