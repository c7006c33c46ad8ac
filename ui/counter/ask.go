package counter

import (
	"context"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/catalog"
	"cashier/app/sale"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/keybutton"
	"cashier/ui/scaninput"
)

// Prompt is one small question the Counter asks (quantity, discount,
// cash received…): Enter answers it, Esc goes back to the scan line.
type Prompt struct {
	Dialog  *dialog.CustomDialog
	Entry   *scaninput.Entry // nil for a yes/no question
	Message *widget.Label
	OK      *keybutton.Button
	Back    *keybutton.Button
	onOK    func(text string) bool // false keeps the prompt open (the message says why)
	v       *View
	box     *fyne.Container
}

// ask shows a prompt. With a field, Enter in it answers; without, the OK
// button has the focus.
func (v *View) ask(title, text, placeholder string, withEntry bool, extra fyne.CanvasObject, onOK func(string) bool) *Prompt {
	p := &Prompt{v: v, onOK: onOK, Message: widget.NewLabel(text)}
	p.Message.Wrapping = fyne.TextWrapWord
	p.OK = keybutton.New(i18n.T("counter.prompt.ok"), theme.ConfirmIcon(), p.answer, p.close)
	p.OK.Importance = widget.HighImportance
	p.Back = keybutton.New(i18n.T("counter.prompt.back"), theme.CancelIcon(), p.close, p.close)
	box := container.NewVBox(p.Message)
	p.box = box
	if withEntry {
		p.Entry = scaninput.NewEntry(nil, nil)
		p.Entry.SetPlaceHolder(placeholder)
		p.Entry.OnSubmitted = func(string) { p.answer() }
		p.Entry.OnEscape = p.close
		box.Add(p.Entry)
	}
	if extra != nil {
		box.Add(extra)
	}
	if v.deps.Window == nil {
		return nil
	}
	p.Dialog = dialog.NewCustomWithoutButtons(title, box, v.deps.Window)
	p.Dialog.SetButtons([]fyne.CanvasObject{p.Back, p.OK})
	p.Dialog.Resize(fyne.NewSize(440, 0))
	v.modal = p
	p.Dialog.Show()
	if p.Entry != nil {
		v.deps.Window.Canvas().Focus(p.Entry)
	} else {
		v.deps.Window.Canvas().Focus(p.OK)
	}
	return p
}

func (p *Prompt) answer() {
	text := ""
	if p.Entry != nil {
		text = strings.TrimSpace(p.Entry.Text)
	}
	// The prompt closes first: what it runs may open the next one.
	p.v.modal = nil
	p.Dialog.Hide()
	if !p.onOK(text) {
		p.v.modal = p
		p.Dialog.Show()
		if p.Entry != nil {
			p.v.deps.Window.Canvas().Focus(p.Entry)
		}
	}
}

func (p *Prompt) close() {
	p.v.modal = nil
	p.Dialog.Hide()
	p.v.refocus()
}

// refuse keeps the prompt open with the reason.
func (p *Prompt) refuse(msg string) bool {
	p.Message.SetText(msg)
	return false
}

// confirm asks a yes/no question; Enter is yes.
func (v *View) confirm(text string, yes func()) *Prompt {
	return v.ask(i18n.T("counter.prompt.confirm"), text, "", false, nil, func(string) bool {
		yes()
		return true
	})
}

func (v *View) selected() (sale.CartLine, bool) {
	if v.locked() {
		v.say(i18n.T("counter.locked"))
		return sale.CartLine{}, false
	}
	if v.sel < 0 || v.sel >= len(v.cart.Lines) {
		v.say(i18n.Err(sale.ErrCartLine))
		return sale.CartLine{}, false
	}
	return v.cart.Lines[v.sel], true
}

// askQty changes the selected line's quantity, or its weight when it is
// sold by weight.
func (v *View) askQty() {
	ln, ok := v.selected()
	if !ok {
		return
	}
	i := v.sel
	if ln.Weighed() {
		var p *Prompt
		p = v.ask(i18n.T("counter.key.qty"), i18n.T("counter.weight.ask", "Name", ln.Name), i18n.T("counter.weight.placeholder"), true, nil, func(s string) bool {
			g, err := parseKg(s)
			if err == nil {
				err = v.cart.SetGrams(i, g)
			}
			if err != nil {
				return p.refuse(i18n.Err(err))
			}
			v.show()
			v.refocus()
			return true
		})
		return
	}
	var p *Prompt
	p = v.ask(i18n.T("counter.key.qty"), i18n.T("counter.qty.ask", "Name", ln.Name, "Qty", ln.Qty), "1", true, nil, func(s string) bool {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return p.refuse(i18n.Err(sale.ErrCartQty.With("Max", sale.MaxQty)))
		}
		if err := v.cart.SetQty(i, n); err != nil {
			return p.refuse(i18n.Err(err))
		}
		v.show()
		v.refocus()
		return true
	})
}

// askWeight rings up a product priced by weight scanned by its own code.
func (v *View) askWeight(r catalog.Record) {
	var p *Prompt
	p = v.ask(i18n.T("counter.weight.title"), i18n.T("counter.weight.ask", "Name", r.Name), i18n.T("counter.weight.placeholder"), true, nil, func(s string) bool {
		g, err := parseKg(s)
		if err != nil {
			return p.refuse(i18n.Err(err))
		}
		i, err := v.cart.AddWeighed(r, g)
		if err != nil {
			return p.refuse(i18n.Err(err))
		}
		v.sel = i
		v.say(i18n.T("counter.added", "Name", r.Name))
		v.show()
		v.refocus()
		return true
	})
}

// parseKg reads a typed weight in kilograms ("0.532") into grams.
func parseKg(s string) (int64, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), "kg"))
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if len(frac) > 3 || strings.Trim(whole+frac, "0123456789") != "" || len(whole) > 3 {
		return 0, sale.ErrCartGrams.With("Max", sale.FormatGrams(sale.MaxGrams))
	}
	for len(frac) < 3 {
		frac += "0"
	}
	g, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || g <= 0 || g > sale.MaxGrams {
		return 0, sale.ErrCartGrams.With("Max", sale.FormatGrams(sale.MaxGrams))
	}
	return g, nil
}

// askDiscount gives the selected line or the whole order a discount: an
// amount ("5" takes ￥5 off) or a rate ("85%" or "85折": the customer pays
// 85 %). It needs the discount permission, or a manager's override.
func (v *View) askDiscount(whole bool) {
	ln, ok := v.selected()
	if !ok {
		return
	}
	i := v.sel
	retry := func() { v.askDiscount(whole) }
	what := ln.Name
	if whole {
		what = i18n.T("counter.whole_order")
	}
	v.authorize(app.PermDiscount, "discount "+what, retry, func() {
		var p *Prompt
		p = v.ask(i18n.T("counter.discount.title"), i18n.T("counter.discount.ask", "What", what), i18n.T("counter.discount.placeholder"), true, nil, func(s string) bool {
			pct, isPct, amount, err := parseDiscount(s)
			if err == nil {
				switch {
				case whole && isPct:
					err = v.cart.SetOrderPercent(pct)
				case whole:
					err = v.cart.SetOrderDiscount(amount)
				case isPct:
					err = v.cart.SetLinePercent(i, pct)
				default:
					err = v.cart.SetLineDiscount(i, amount)
				}
			}
			if err != nil {
				return p.refuse(i18n.Err(err))
			}
			v.show()
			v.refocus()
			return true
		})
	})
}

// parseDiscount reads "5" / "5.50" (an amount; "0" removes it) or "85%" /
// "85折" (a rate).
func parseDiscount(s string) (pct int, isPct bool, amount app.Money, err error) {
	s = strings.TrimSpace(s)
	if r, ok := strings.CutSuffix(s, "%"); ok {
		s, isPct = r, true
	} else if r, ok := strings.CutSuffix(s, "折"); ok {
		s, isPct = r, true
	}
	if isPct {
		n, e := strconv.Atoi(strings.TrimSpace(s))
		if e != nil {
			return 0, true, 0, sale.ErrCartPercent
		}
		return n, true, 0, nil
	}
	if s == "0" {
		return 0, false, 0, nil
	}
	m, e := app.ParsePositiveMoney(s)
	if e != nil {
		return 0, false, 0, sale.ErrCartDiscount
	}
	return 0, false, m, nil
}

// askCash takes cash: what the customer handed over; the change is
// shown before the drawer opens. Less than is due is taken as part of the
// payment only when the cashier says so.
func (v *View) askCash() {
	if v.running {
		v.say(i18n.T("counter.busy"))
		return
	}
	o := v.current()
	due := o.Due()
	if len(o.Lines) == 0 || due <= 0 {
		v.say(i18n.Err(sale.ErrCartEmpty))
		return
	}
	if o.Kind == app.OrderDeposit || v.deposit() {
		v.say(i18n.Err(app.ErrDepositOneTender.With("Amount", o.Payable)))
		return
	}
	change := widget.NewLabel("")
	var p *Prompt
	p = v.ask(i18n.T("counter.cash.title"), i18n.T("counter.cash.ask", "Due", due.Display()), due.String(), true, change, func(s string) bool {
		received := due
		if s != "" {
			m, err := app.ParsePositiveMoney(s)
			if err != nil {
				return p.refuse(i18n.T("counter.err.amount", "Err", i18n.Err(err)))
			}
			received = m
		}
		if received-due >= maxChange {
			return p.refuse(i18n.T("counter.cash.too_much", "Max", maxChange.Display()))
		}
		if received < due {
			short := received
			v.confirm(i18n.T("counter.cash.part", "Received", short.Display(), "Due", due.Display(), "Rest", (due-short).Display()), func() {
				v.cash(short, short)
			})
			return true
		}
		v.cash(due, received)
		return true
	})
	if p != nil {
		p.Entry.OnChanged = func(s string) {
			if m, err := app.ParsePositiveMoney(strings.TrimSpace(s)); err == nil && m >= due {
				change.SetText(i18n.T("counter.cash.change", "Amount", (m - due).Display()))
			} else {
				change.SetText("")
			}
		}
	}
}

// maxChange: more change than this is a typing slip (an extra zero).
const maxChange app.Money = 100_000

// askQR asks which wallet the customer will scan with.
func (v *View) askQR() {
	if v.running {
		v.say(i18n.T("counter.busy"))
		return
	}
	o := v.current()
	if len(o.Lines) == 0 {
		v.say(i18n.Err(sale.ErrCartEmpty))
		return
	}
	var p *Prompt
	p = v.ask(i18n.T("counter.qr.title"), i18n.T("counter.qr.ask", "Due", o.Due().Display()), "1", true, nil, func(s string) bool {
		switch s {
		case "", "1":
			v.qr(app.WalletWeChat)
		case "2":
			v.qr(app.WalletAlipay)
		default:
			return p.refuse(i18n.T("counter.qr.ask", "Due", o.Due().Display()))
		}
		return true
	})
}

// askHold parks the cart with an optional label for the customer.
func (v *View) askHold() {
	if v.locked() {
		v.say(i18n.T("counter.hold.paying"))
		return
	}
	if v.cart.Empty() {
		v.say(i18n.Err(sale.ErrCartEmpty))
		return
	}
	v.ask(i18n.T("counter.key.hold"), i18n.T("counter.hold.ask"), i18n.T("counter.hold.placeholder"), true, nil, func(label string) bool {
		c := v.cart
		staff := v.deps.Staff
		var err error
		async.Run(func() { err = v.deps.Held.Hold(context.Background(), staff, label, c) }, func() {
			if err != nil {
				v.say(i18n.Err(err))
				return
			}
			v.reset()
			v.say(i18n.T("counter.held"))
			v.customer(CustomerView{Phase: CustomerIdle})
			v.refocus()
		})
		return true
	})
}

// resume brings a held cart back (only onto an empty counter).
func (v *View) resume() {
	if v.locked() || !v.cart.Empty() {
		v.say(i18n.T("counter.resume.busy"))
		return
	}
	v.picking = true
	v.deps.Held.Pick(func(c sale.Cart) {
		if v.locked() || !v.cart.Empty() {
			v.say(i18n.T("counter.resume.busy"))
			return
		}
		c.FloorPct = v.rule.FloorPct
		v.cart = c
		v.sel = max(len(c.Lines)-1, 0)
		v.clearBanner()
		v.say(i18n.T("counter.resumed", "N", len(c.Lines)))
		v.show()
	}, func() {
		v.picking = false
		v.retakeFocus()
	})
}

// askNewProduct adds an unknown code to the catalogue on the spot (a
// person with product_manage), then rings it up.
func (v *View) askNewProduct(code string) {
	name := scaninput.NewEntry(nil, nil)
	name.SetPlaceHolder(i18n.T("counter.newproduct.name"))
	unit := scaninput.NewEntry(nil, nil)
	unit.SetPlaceHolder(i18n.T("counter.newproduct.unit"))
	extra := container.NewVBox(name, unit)
	var p *Prompt
	p = v.ask(i18n.T("counter.newproduct.title"), i18n.T("counter.newproduct.ask", "Code", code), i18n.T("counter.newproduct.price"), true, extra, func(price string) bool {
		pr, err := catalog.ParsePrice(price)
		if err != nil {
			return p.refuse(i18n.Err(err))
		}
		prod := catalog.Product{Name: name.Text, Barcodes: []string{code}, Price: pr, Unit: unit.Text, Active: true}
		if err := prod.Normalise().Validate(); err != nil {
			return p.refuse(i18n.Err(err))
		}
		staff, term := v.deps.Staff.ID, v.term
		async.Run(func() {
			ctx := context.Background()
			var store int64
			if store, err = v.storeID(ctx, term); err == nil {
				_, err = v.deps.Catalog.Save(ctx, staff, store, 0, prod)
			}
		}, func() {
			if err != nil {
				v.say(i18n.Err(err))
				return
			}
			v.route(code)
		})
		return true
	})
	if p != nil {
		// Name, unit, then the price, whose Enter answers the prompt.
		p.box.Objects = []fyne.CanvasObject{p.Message, extra, p.Entry}
		p.box.Refresh()
		name.OnEscape, unit.OnEscape = p.close, p.close
		name.OnSubmitted = func(string) { v.deps.Window.Canvas().Focus(unit) }
		unit.OnSubmitted = func(string) { v.deps.Window.Canvas().Focus(p.Entry) }
		v.deps.Window.Canvas().Focus(name)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
