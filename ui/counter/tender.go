package counter

import (
	"context"
	"errors"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	qrcode "github.com/skip2/go-qrcode"

	"cashier/app"
	"cashier/app/payment"
	"cashier/app/sale"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

// callForPayment is Enter on an empty scan line: the cart is complete,
// the customer is asked for their payment code.
func (v *View) callForPayment() {
	if v.running {
		return
	}
	o := v.current()
	if len(o.Lines) == 0 {
		v.say(i18n.Err(sale.ErrCartEmpty))
		return
	}
	v.say(i18n.T("counter.show_code", "Amount", o.Due().Display()))
	v.customer(CustomerView{Phase: CustomerAwaitCode, Order: o, Due: o.Due()})
}

// ensureOrder writes the cart as an order before its first tender (off
// the UI goroutine); later tenders pay the same order.
func (v *View) ensureOrder(ctx context.Context, in sale.OrderInput, existing string) (string, error) {
	if existing != "" {
		return existing, nil
	}
	o, err := v.deps.Checkout.Open(ctx, in)
	if err != nil {
		return "", err
	}
	return o.OrderNo, nil
}

// begin starts a tender: the cart is turned into an order input (unless
// the order exists), the screen shows the tender is in flight.
func (v *View) begin() (sale.OrderInput, string, bool) {
	if v.running {
		v.say(i18n.T("counter.busy"))
		return sale.OrderInput{}, "", false
	}
	var in sale.OrderInput
	if v.order.OrderNo == "" {
		var err error
		if in, err = v.cart.Input(v.deps.Staff); err != nil {
			v.say(i18n.Err(err))
			return in, "", false
		}
		in.Deposit = v.deposit()
	}
	v.running = true
	v.outTrade, v.cancelWanted = "", false
	v.clearBanner()
	v.Buttons["cancel"].Enable()
	v.show()
	return in, v.order.OrderNo, true
}

// payByCode takes the customer's payment code for all that is due.
func (v *View) payByCode(code string, w app.Wallet) {
	if v.order.OrderNo == "" && v.cart.Empty() {
		v.say(i18n.T("counter.code_first"))
		return
	}
	in, existing, ok := v.begin()
	if !ok {
		return
	}
	v.say(i18n.T("counter.sending_wallet", "Wallet", i18n.M(app.WalletName(w))))
	staff := v.deps.Staff
	var out sale.Outcome
	var err error
	var orderNo string
	async.Run(func() {
		ctx := context.Background()
		if orderNo, err = v.ensureOrder(ctx, in, existing); err != nil {
			return
		}
		out, err = v.deps.Checkout.PayByCode(ctx, orderNo, code, 0, staff, v.onEvent)
	}, func() { v.finish(orderNo, out, err) })
}

// onEvent shows a tender's progress: "waiting for the customer's
// password" with the seconds; an Esc that came early goes out now.
func (v *View) onEvent(e payment.Event) {
	async.Do(func() {
		if !v.running {
			return
		}
		if e.Ref != "" && v.outTrade == "" {
			v.outTrade = e.Ref
		}
		v.Status.SetText(i18n.M(e.Msg))
		v.Seconds.SetText(i18n.T("counter.elapsed", "S", e.Seconds))
		if v.cancelWanted && v.outTrade != "" {
			v.cancelWanted = false
			v.cancel()
		}
	})
}

// finish applies a tender's end: the order as stored now, the big paid
// or failed banner, the next sale ready.
func (v *View) finish(orderNo string, out sale.Outcome, err error) {
	v.running, v.cancelWanted = false, false
	v.QRImage.Hide()
	v.grid.Show()
	v.Buttons["cancel"].Enable()
	if out.Order.OrderNo != "" {
		v.order = out.Order
	} else if orderNo != "" && v.order.OrderNo == "" {
		v.order.OrderNo = orderNo // written, but not read back: keep paying it
	}
	switch {
	case out.Order.OrderNo != "" && out.Paid():
		v.sold(out)
	case err != nil:
		v.failed(i18n.T("counter.err.failed", "Err", i18n.Err(err)))
	case out.Payment.State == payment.IntentManual || out.Payment.State != "" && !out.Payment.State.Final():
		v.unsettled(out)
	case out.Payment.State != "" && out.Payment.State != payment.IntentPaid:
		msg := i18n.M(out.Payment.Msg)
		v.failed(stateName(out.Payment) + i18n.T("list.colon") + msg)
	default:
		v.say(i18n.T("counter.part_paid", "Due", v.order.Due().Display()))
		v.show()
	}
	v.showPrinter()
	v.refocus()
}

// showPrinter warns when the receipt printer cannot print (no paper, cover
// open, offline): the sale is done and its receipt waits in the queue.
func (v *View) showPrinter() {
	if v.deps.PrinterProblem == nil {
		return
	}
	if p := v.deps.PrinterProblem(); p != "" {
		v.Warn.SetText(p)
		v.Warn.Show()
	} else {
		v.Warn.Hide()
	}
}

// sold: the order is paid. The next scan starts a new cart.
func (v *View) sold(out sale.Outcome) {
	o := out.Order
	v.last = out
	v.setBanner(i18n.T("counter.banner.paid", "Amount", o.Payable.Display()), colorPaid)
	sub := i18n.T("counter.banner.no", "Short", o.ShortNo(), "No", o.OrderNo)
	if out.Change > 0 {
		sub = i18n.T("counter.banner.change", "Amount", out.Change.Display()) + "\n" + sub
	}
	v.BannerSub.SetText(sub)
	v.say(i18n.T("counter.ready"))
	v.customer(CustomerView{Phase: CustomerPaid, Order: o, Change: out.Change})
	v.reset()
}

// unsettled: the channel has not said whether the customer paid (the
// network went, or a person must check). The order keeps the tender as
// pending, so nothing can charge it twice; recovery asks the channel
// later. The Counter moves on to the next customer and says so plainly.
func (v *View) unsettled(out sale.Outcome) {
	no := v.order.OrderNo
	v.setBanner(i18n.T("counter.banner.unsettled"), colorUnsettled)
	v.BannerSub.SetText(i18n.T("counter.unsettled", "Short", app.ShortNo(no), "Msg", i18n.M(out.Payment.Msg)))
	v.say(i18n.T("counter.ready"))
	v.customer(CustomerView{Phase: CustomerFailed, Order: out.Order, Message: i18n.T("counter.banner.unsettled")})
	v.last = out
	v.reset()
}

// failed: the tender did not take the money; the order stays open for
// another tender.
func (v *View) failed(msg string) {
	v.setBanner(i18n.T("counter.banner.failed"), colorFailed)
	v.BannerSub.SetText(msg)
	v.say(i18n.T("counter.try_again"))
	v.show()
	o := v.current()
	v.customer(CustomerView{Phase: CustomerFailed, Order: o, Due: o.Due(), Message: msg})
}

// reset clears the cart and forgets the order (paid or voided).
func (v *View) reset() {
	v.cart = sale.Cart{FloorPct: v.rule.FloorPct}
	v.order = app.Order{}
	v.sel = 0
	v.Cart.Refresh()
	v.Cart.UnselectAll()
	v.Total.Text = i18n.T("counter.due", "Amount", app.Money(0).Display())
	v.Total.Refresh()
	v.Sums.SetText("")
	v.TenderBox.SetText("")
	for _, id := range []string{"qty", "line_discount", "order_discount", "void_line"} {
		if b := v.Buttons[id]; b != nil {
			b.Disable()
		}
	}
}

var (
	colorPaid   = color.NRGBA{R: 0x1b, G: 0x8a, B: 0x3c, A: 0xff}
	colorFailed = color.NRGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff}
	// colorUnsettled: neither paid nor failed, amber.
	colorUnsettled = color.NRGBA{R: 0xb2, G: 0x6a, B: 0x00, A: 0xff}
)

func (v *View) setBanner(text string, c color.Color) {
	v.Banner.Text = text
	v.Banner.Color = color.White
	v.Banner.Refresh()
	v.bannerBG.FillColor = c
	v.bannerBG.Refresh()
}

func (v *View) clearBanner() {
	v.Banner.Text = ""
	v.Banner.Refresh()
	v.BannerSub.SetText("")
	v.bannerBG.FillColor = theme.Color(theme.ColorNameBackground)
	v.bannerBG.Refresh()
}

// escape is Esc: cancel the tender in flight; else clear what is being
// typed or searched; else give the order or the cart up (asked first).
func (v *View) escape() {
	switch {
	case v.covered():
		return
	case v.running:
		v.cancel()
	case v.Line.Text != "" || len(v.found) > 0:
		v.Line.SetText("")
		v.showResults(nil)
	case v.order.OrderNo != "":
		v.confirm(i18n.T("counter.void.ask", "Short", v.order.ShortNo(), "Paid", v.order.Paid.Display()), v.voidOrder)
	case !v.cart.Empty():
		v.confirm(i18n.T("counter.clear.ask", "N", len(v.cart.Lines)), v.clearCart)
	default:
		v.clearBanner()
		v.customer(CustomerView{Phase: CustomerIdle})
	}
}

// clearCart gives up a cart not yet paid: every line is voided, so it
// needs void_line like one line does.
func (v *View) clearCart() {
	n := len(v.cart.Lines)
	o := v.current()
	v.authorize(app.PermVoidLine, "clear_cart lines="+itoa(n)+" amount="+o.Payable.String(), v.clearCart, func() {
		v.reset()
		v.say(i18n.T("counter.cleared"))
		v.customer(CustomerView{Phase: CustomerIdle})
	})
}

// voidOrder gives up the open order: paid tenders are handed back.
func (v *View) voidOrder() {
	no := v.order.OrderNo
	staff := v.deps.Staff
	var res sale.VoidResult
	var err error
	v.say(i18n.T("counter.voiding"))
	async.Run(func() { res, err = v.deps.Checkout.Void(context.Background(), no, staff) }, func() {
		switch {
		case err == nil, errors.Is(err, app.ErrOrderNotOpen):
			v.reset()
			v.clearBanner()
			v.say(i18n.T("counter.voided_order", "Short", app.ShortNo(no)))
			v.customer(CustomerView{Phase: CustomerIdle})
		default:
			if res.Order.OrderNo != "" {
				v.order = res.Order
			}
			v.sayErr(err, app.PermRefund, v.voidOrder)
			v.show()
		}
		v.refocus()
	})
}

// cancel is the cashier's cancel of the tender in flight: it goes to the
// channel (query, then reverse or close); the tender's own loop reports
// the end through finish.
func (v *View) cancel() {
	if !v.running {
		return
	}
	v.Buttons["cancel"].Disable()
	v.Status.SetText(i18n.T("counter.cancelling"))
	if v.outTrade == "" {
		v.cancelWanted = true
		return
	}
	no := v.outTrade
	var err error
	async.Run(func() {
		ctx, stop := context.WithTimeout(context.Background(), 3*time.Minute)
		defer stop()
		err = v.deps.Checkout.Cancel(ctx, no)
	}, func() {
		if err == nil || !v.running || v.outTrade != no {
			return
		}
		v.say(i18n.T("counter.err.cancel", "Err", i18n.Err(err)))
		v.Buttons["cancel"].Enable()
	})
}

// cash records cash against the order: amount towards it, received what
// the customer handed over (the rest is change; the drawer opens).
func (v *View) cash(amount, received app.Money) {
	whole := v.order.OrderNo == "" && amount == v.current().Due()
	in, existing, ok := v.begin()
	if !ok {
		return
	}
	v.say(i18n.T("counter.cash_taking"))
	staff := v.deps.Staff
	var out sale.Outcome
	var err error
	var orderNo string
	async.Run(func() {
		ctx := context.Background()
		if whole {
			// The whole cart in cash: order and tender in one commit.
			out, err = v.deps.Checkout.SellForCash(ctx, in, received, staff)
			orderNo = out.Order.OrderNo
			return
		}
		if orderNo, err = v.ensureOrder(ctx, in, existing); err != nil {
			return
		}
		out, err = v.deps.Checkout.PayCash(ctx, orderNo, amount, received, staff)
	}, func() { v.finish(orderNo, out, err) })
}

// qr takes the payment by a QR the customer scans with wallet w.
func (v *View) qr(w app.Wallet) {
	in, existing, ok := v.begin()
	if !ok {
		return
	}
	v.say(i18n.T("counter.qr_making"))
	staff := v.deps.Staff
	var out sale.Outcome
	var err error
	var orderNo string
	onQR := func(url string, expires time.Time) {
		async.Do(func() { v.showQR(url, w, expires) })
	}
	async.Run(func() {
		ctx := context.Background()
		if orderNo, err = v.ensureOrder(ctx, in, existing); err != nil {
			return
		}
		out, err = v.deps.QR.PayByQR(ctx, orderNo, w, 0, staff, v.onEvent, onQR)
	}, func() { v.finish(orderNo, out, err) })
}

// showQR draws the payment QR on the Counter too (a one-screen till
// turns it to the customer) and on the customer display.
func (v *View) showQR(url string, w app.Wallet, expires time.Time) {
	if !v.running {
		return
	}
	if png, err := qrcode.New(url, qrcode.Medium); err == nil {
		png.DisableBorder = false
		v.QRImage.Image = png.Image(280)
		v.QRImage.SetMinSize(fyne.NewSize(220, 220))
		v.grid.Hide() // the keys still work; the QR needs the room on a 1024×768 screen
		v.QRImage.Show()
		v.QRImage.Refresh()
	}
	o := v.current()
	v.Status.SetText(i18n.T("counter.qr_wait", "Wallet", i18n.M(app.WalletName(w))))
	v.customer(CustomerView{Phase: CustomerQR, Order: o, Due: o.Due(), QR: url, Wallet: w, Expires: expires})
}

// stateName names where a wallet tender ended.
func stateName(r payment.PayResult) string {
	switch r.State {
	case payment.IntentPaid:
		return i18n.T("counter.state.paid")
	case payment.IntentReversed:
		return i18n.T("counter.state.reversed")
	case payment.IntentClosed:
		return i18n.T("counter.state.closed")
	case payment.IntentFailed:
		return i18n.T("counter.state.failed")
	case payment.IntentManual:
		return i18n.T("counter.state.manual")
	}
	return string(r.State)
}

// OrderNo is the order the Counter is on: the open one, else the last one
// sold ("" before the first).
func (v *View) OrderNo() string {
	if v.order.OrderNo != "" {
		return v.order.OrderNo
	}
	return v.last.Order.OrderNo
}
