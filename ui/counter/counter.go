// Package counter is the Counter workspace (收款): type the amount, choose
// sale or deposit, scan the customer's payment code, watch the payment
// reach a final state, cancel if the customer walks away. The amount makes
// an order; the scan is a tender on it. A tender that fails leaves the
// order open, so the next scan pays the same order; changing the amount
// gives the unpaid order up and starts another.
package counter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/payment"
	"cashier/app/sale"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/scaninput"
)

// Checkout is what the Counter needs from the sale use case
// (app/sale.Checkout).
type Checkout interface {
	Open(ctx context.Context, in sale.OrderInput) (app.Order, error)
	PayByCode(ctx context.Context, orderNo, code string, amount app.Money, staff app.Staff, onEvent payment.EventFunc) (sale.Outcome, error)
	Cancel(ctx context.Context, outTradeNo string) error
	Void(ctx context.Context, orderNo string, staff app.Staff) (sale.VoidResult, error)
	// OpenDrawer opens the cash drawer without a sale (permission
	// open_drawer, audited).
	OpenDrawer(ctx context.Context, staffID int64) error
}

// Terminal tells the Counter the terminal's cashier mode.
type Terminal interface {
	CurrentTerminal(ctx context.Context) (app.TerminalInfo, error)
}

// Deps is what the Counter needs.
type Deps struct {
	Checkout Checkout
	Terminal Terminal
	// Signals tells the Counter when the terminal settings change (the
	// cashier mode applies at once).
	Signals  *app.Signals
	Staff    app.Staff
	Detector scaninput.Detector // keyboard-wedge detector; nil: plain entries
	Canvas   fyne.Canvas        // for scans and keys while no widget has focus
	// Scans is the app's one stream of scans (serial scanners, and the
	// keyboard-wedge detector, which publishes there). When set, scans are
	// taken from it only, so a wedge scan is not handled twice.
	Scans func() (<-chan string, func())
	// Override asks a manager to approve one action the person lacks the
	// permission for, then runs then (ui/override); nil: not offered.
	Override func(perm string, then func())
}

// View is the Counter workspace.
type View struct {
	deps     Deps
	Amount   *scaninput.Entry
	Code     *scaninput.Entry
	Kind     *widget.RadioGroup
	Collect  *widget.Button
	CancelB  *widget.Button
	DrawerB  *widget.Button // open the cash drawer without a sale
	Progress *widget.Label
	Seconds  *widget.Label
	Result   *widget.Label
	History  *widget.List
	history  []sale.Outcome
	running  bool
	outTrade string
	// cancelWanted: Esc came before the payment had its number (the order
	// and the intent were still being written); the cancel goes out as
	// soon as the number is known, never dropped.
	cancelWanted bool
	// The open order the next scan pays: its number, amount and kind.
	order        string
	orderAmount  app.Money
	orderDeposit bool
	stops        []func()
	content      fyne.CanvasObject
}

// New builds the Counter.
func New(d Deps) *View {
	v := &View{deps: d}
	onScan := v.scanned
	if d.Scans != nil {
		onScan = nil // the stream below delivers it
	}
	v.Amount = scaninput.NewEntry(d.Detector, onScan)
	v.Amount.SetPlaceHolder(i18n.T("counter.amount.placeholder"))
	v.Code = scaninput.NewEntry(d.Detector, onScan)
	v.Code.SetPlaceHolder(i18n.T("counter.code.placeholder"))
	v.Amount.OnSubmitted = func(string) { v.focus(v.Code) }
	v.Code.OnSubmitted = func(string) { v.start() }
	v.Amount.OnEscape, v.Code.OnEscape = v.cancel, v.cancel

	v.Kind = widget.NewRadioGroup(nil, nil)
	v.Kind.Horizontal = true
	v.Kind.Required = true
	v.setMode(app.ModeSaleDeposit)

	v.Collect = widget.NewButtonWithIcon(i18n.T("counter.collect"), theme.ConfirmIcon(), v.start)
	v.Collect.Importance = widget.HighImportance
	v.CancelB = widget.NewButtonWithIcon(i18n.T("counter.cancel"), theme.CancelIcon(), v.cancel)
	v.CancelB.Disable()
	v.DrawerB = widget.NewButtonWithIcon(i18n.T("counter.drawer"), theme.LoginIcon(), v.openDrawer)
	v.Progress = widget.NewLabel(i18n.T("counter.ready"))
	v.Progress.Wrapping = fyne.TextWrapWord
	v.Seconds = widget.NewLabel("")
	v.Result = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.Result.Wrapping = fyne.TextWrapWord
	v.History = widget.NewList(
		func() int { return len(v.history) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			o.(*widget.Label).SetText(historyLine(v.history[len(v.history)-1-i]))
		})

	form := widget.NewForm(
		widget.NewFormItem(i18n.T("counter.kind"), v.Kind),
		widget.NewFormItem(i18n.T("counter.amount"), v.Amount),
		widget.NewFormItem(i18n.T("counter.code"), v.Code),
	)
	left := container.NewVBox(
		widget.NewCard(i18n.T("counter.title"), i18n.T("counter.sub"), form),
		container.NewHBox(v.Collect, v.CancelB, layout.NewSpacer(), v.DrawerB),
		widget.NewCard(i18n.T("counter.progress"), "", container.NewVBox(v.Progress, v.Seconds, v.Result)),
	)
	hist := widget.NewCard(i18n.T("counter.history"), "", v.History)
	split := container.NewHSplit(container.NewVScroll(left), hist)
	split.Offset = 0.55
	v.content = split
	if d.Scans != nil {
		ch, cancel := d.Scans()
		done := make(chan struct{})
		v.stops = append(v.stops, cancel, func() {
			// The stream ends when cancelled; wait (briefly) for the last
			// scan handed to the screen, so nothing touches it after Stop.
			select {
			case <-done:
			case <-time.After(2 * time.Second):
			}
		})
		go func() {
			defer close(done)
			for code := range ch {
				fyne.Do(func() { v.scanned(code) })
			}
		}()
	}
	if d.Canvas != nil && d.Detector != nil {
		v.stops = append(v.stops, scaninput.CanvasKeys(d.Canvas, d.Detector, onScan,
			map[fyne.KeyName]func(){fyne.KeyEscape: v.cancel}, nil))
	}
	v.stops = append(v.stops, d.Signals.Subscribe(app.SignalTerminal, func(any) { v.loadMode() }))
	v.loadMode()
	return v
}

// loadMode reads the cashier mode (off the UI goroutine) and applies it.
func (v *View) loadMode() {
	if v.deps.Terminal == nil {
		return
	}
	var t app.TerminalInfo
	var err error
	async.Run(func() { t, err = v.deps.Terminal.CurrentTerminal(context.Background()) }, func() {
		if err == nil {
			v.setMode(t.CashierMode)
		}
	})
}

// setMode shows the kinds the terminal takes.
func (v *View) setMode(m app.CashierMode) {
	var kinds []string
	if m.Takes(false) {
		kinds = append(kinds, i18n.T("counter.kind.sale"))
	}
	if m.Takes(true) {
		kinds = append(kinds, i18n.T("counter.kind.deposit"))
	}
	sel := v.Kind.Selected
	v.Kind.Options = kinds
	keep := false
	for _, k := range kinds {
		keep = keep || k == sel
	}
	if !keep {
		sel = kinds[0]
	}
	v.Kind.SetSelected(sel)
	v.Kind.Refresh()
}

// Content is the workspace's root.
func (v *View) Content() fyne.CanvasObject { return v.content }

// Stop uninstalls the canvas handlers and leaves the scan stream and the
// signal hub.
func (v *View) Stop() {
	for _, s := range v.stops {
		s()
	}
	v.stops = nil
}

// openDrawer opens the cash drawer without a sale; a person without the
// permission is offered a manager's override.
func (v *View) openDrawer() {
	if v.running {
		return
	}
	v.DrawerB.Disable()
	var err error
	co, id := v.deps.Checkout, v.deps.Staff.ID
	async.Run(func() { err = co.OpenDrawer(context.Background(), id) }, func() {
		v.DrawerB.Enable()
		switch {
		case err == nil:
			v.Progress.SetText(i18n.T("counter.drawer_opened"))
		case v.deps.Override != nil && errors.Is(err, app.ErrNoPermission) && !errors.Is(err, app.ErrStaffDisabled):
			v.Progress.SetText(i18n.Err(err))
			v.deps.Override(app.PermOpenDrawer, v.openDrawer)
		default:
			v.Progress.SetText(i18n.T("counter.drawer_failed", "Err", i18n.Err(err)))
		}
	})
}

func (v *View) focus(o fyne.Focusable) {
	if v.deps.Canvas != nil {
		v.deps.Canvas.Focus(o)
	}
}

// scanned receives a scan from anywhere in the workspace: it is the
// customer's payment code.
func (v *View) scanned(code string) {
	if v.running {
		return
	}
	v.Code.SetText(code)
	v.start()
}

func (v *View) deposit() bool {
	return v.Kind.Selected == i18n.T("counter.kind.deposit")
}

func (v *View) start() {
	if v.running {
		return
	}
	amount, err := app.ParsePositiveMoney(v.Amount.Text)
	if err != nil {
		v.Progress.SetText(i18n.T("counter.err.amount", "Err", err))
		v.focus(v.Amount)
		return
	}
	code := strings.TrimSpace(v.Code.Text)
	if code == "" {
		v.Progress.SetText(i18n.T("counter.scan"))
		v.focus(v.Code)
		return
	}
	if _, _, err := app.ClassifyCode(code); err != nil {
		v.Progress.SetText(i18n.Err(err))
		v.Code.SetText("")
		v.focus(v.Code)
		return
	}
	v.running = true
	v.outTrade = ""
	v.cancelWanted = false
	v.Collect.Disable()
	v.CancelB.Enable()
	v.Result.SetText("")
	v.Seconds.SetText("")
	v.Progress.SetText(i18n.T("counter.sending"))
	deposit := v.deposit()
	staff := v.deps.Staff
	onEvent := func(e payment.Event) {
		fyne.Do(func() {
			if e.Ref != "" && v.outTrade == "" {
				v.outTrade = e.Ref
			}
			v.Progress.SetText(i18n.M(e.Msg))
			v.Seconds.SetText(i18n.T("counter.elapsed", "S", e.Seconds))
			if v.cancelWanted && v.outTrade != "" && v.running {
				v.cancelWanted = false
				v.cancel()
			}
		})
	}
	prev, prevAmount, prevDeposit := v.order, v.orderAmount, v.orderDeposit
	var out sale.Outcome
	var orderNo string
	var voidErr error
	async.Run(func() {
		ctx := context.Background()
		orderNo = prev
		if orderNo != "" && (prevAmount != amount || prevDeposit != deposit) {
			// Another amount is another order: give the unpaid one up
			// first. If that fails it stays the open order and no other
			// is opened beside it.
			if _, voidErr = v.deps.Checkout.Void(ctx, prev, staff); voidErr != nil {
				return
			}
			orderNo = ""
		}
		if orderNo == "" {
			var o app.Order
			o, err = v.deps.Checkout.Open(ctx, sale.OrderInput{Staff: staff, Deposit: deposit, Total: amount})
			if err != nil {
				return
			}
			orderNo = o.OrderNo
		}
		out, err = v.deps.Checkout.PayByCode(ctx, orderNo, code, 0, staff, onEvent)
	}, func() {
		if voidErr != nil {
			v.voidFailed(voidErr)
			return
		}
		v.finish(orderNo, amount, deposit, out, err)
	})
}

// voidFailed: the open order could not be given up for another amount, so
// no other was opened and nothing was sent. It stays the open order (the
// next scan at its amount pays it) unless it is no longer open at all.
func (v *View) voidFailed(err error) {
	if errors.Is(err, app.ErrOrderNotOpen) {
		v.order = "" // closed meanwhile: the next try starts afresh
	}
	v.running = false
	v.Collect.Enable()
	v.CancelB.Disable()
	v.Code.SetText("")
	v.Progress.SetText(i18n.T("counter.ready"))
	v.Result.SetText(i18n.T("counter.err.void", "Err", err, "Amount", v.orderAmount))
	v.focus(v.Amount)
}

func (v *View) finish(orderNo string, amount app.Money, deposit bool, out sale.Outcome, err error) {
	v.running = false
	v.cancelWanted = false
	v.Collect.Enable()
	v.CancelB.Disable()
	v.Code.SetText("")
	v.order, v.orderAmount, v.orderDeposit = orderNo, amount, deposit
	if out.Order.OrderNo == "" || !out.Order.Status.Open() {
		v.order = "" // paid (or never written): the next scan starts afresh
	}
	if err != nil {
		v.Result.SetText(i18n.T("counter.err.failed", "Err", err))
		v.focus(v.Code)
		return
	}
	v.history = append(v.history, out)
	v.History.Refresh()
	if out.Paid() {
		v.Result.SetText(i18n.T("counter.paid", "Amount", out.Order.Payable, "Short", out.Order.ShortNo(), "No", out.Order.OrderNo))
		v.Amount.SetText("")
		v.focus(v.Amount)
		return
	}
	v.Result.SetText(stateName(out.Payment) + i18n.T("list.colon") + i18n.M(out.Payment.Msg))
	v.focus(v.Code)
}

func (v *View) cancel() {
	if !v.running {
		return
	}
	if v.outTrade == "" {
		v.cancelWanted = true
		v.CancelB.Disable()
		v.Progress.SetText(i18n.T("counter.cancelling"))
		return
	}
	no := v.outTrade
	v.CancelB.Disable()
	v.Progress.SetText(i18n.T("counter.cancelling"))
	var err error
	async.Run(func() {
		ctx, stop := context.WithTimeout(context.Background(), 3*time.Minute)
		defer stop()
		err = v.deps.Checkout.Cancel(ctx, no)
	}, func() {
		// On success Pay's own loop reports the final state through finish.
		if err == nil || !v.running || v.outTrade != no {
			return
		}
		v.Result.SetText(i18n.T("counter.err.cancel", "Err", err))
		v.CancelB.Enable() // the payment goes on: the cashier may try again
	})
}

// historyLine puts the state first so a narrow list never cuts it off.
func historyLine(o sale.Outcome) string {
	return fmt.Sprintf("%s  %s  %s  %s", stateName(o.Payment), o.Payment.Amount.Display(),
		i18n.M(app.WalletName(o.Payment.Wallet)), i18n.T("counter.short_no", "Short", app.ShortNo(o.Order.OrderNo)))
}

func stateName(r payment.PayResult) string {
	s := ""
	switch r.State {
	case payment.IntentPaid:
		s = i18n.T("counter.state.paid")
	case payment.IntentReversed:
		s = i18n.T("counter.state.reversed")
	case payment.IntentClosed:
		s = i18n.T("counter.state.closed")
	case payment.IntentFailed:
		s = i18n.T("counter.state.failed")
	case payment.IntentManual:
		s = i18n.T("counter.state.manual")
	default:
		s = string(r.State)
	}
	if r.Deposit {
		return i18n.T("counter.kind.deposit") + " " + s
	}
	return s
}
