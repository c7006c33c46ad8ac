package counter

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/catalog"
	"cashier/app/sale"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

var (
	cartHeads = []string{i18n.Key("counter.col.no"), i18n.Key("counter.col.name"), i18n.Key("counter.col.qty"), i18n.Key("counter.col.price"), i18n.Key("counter.col.discount"), i18n.Key("counter.col.amount")}
	colWidths = []float32{34, 168, 48, 70, 56, 80}
)

// Cells are plain canvas texts: a label with truncation shapes its text
// on every refresh (about 1 ms a cell), which made a scan with a dozen
// lines on screen take ~50 ms; a name too long for its column is cut here.
func newCell() fyne.CanvasObject {
	t := canvas.NewText("", theme.Color(theme.ColorNameForeground))
	t.TextSize = theme.TextSize()
	return container.New(layout.NewCustomPaddedLayout(0, 0, 6, 4), t)
}

func (v *View) cartSize() (int, int) { return len(v.cart.Lines), len(cartHeads) }

func (v *View) cartCell(id widget.TableCellID, o fyne.CanvasObject) {
	t := o.(*fyne.Container).Objects[0].(*canvas.Text)
	text := ""
	sel := id.Row == v.sel
	if id.Row < len(v.cart.Lines) {
		text = cellText(v.cart.Lines[id.Row], id, sel)
	}
	if t.Text == text && t.TextStyle.Bold == sel {
		return
	}
	t.Text, t.TextStyle = text, fyne.TextStyle{Bold: sel}
	t.Refresh()
}

// nameRunes is how much of a name fits the name column (CJK characters
// are the widest).
const nameRunes = 11

func cellText(ln sale.CartLine, id widget.TableCellID, sel bool) string {
	switch id.Col {
	case 0:
		if sel {
			return "▶" + strconv.Itoa(id.Row+1)
		}
		return strconv.Itoa(id.Row + 1)
	case 1:
		name := ln.Name
		if ln.NonDiscountable {
			name += i18n.T("counter.nd_mark")
		}
		if r := []rune(name); len(r) > nameRunes {
			name = string(r[:nameRunes-1]) + "…"
		}
		return name
	case 2:
		if ln.Weighed() {
			return sale.FormatGrams(ln.Grams)
		}
		return strconv.FormatInt(ln.Qty, 10)
	case 3:
		if ln.Weighed() && ln.Unit != "" {
			return ln.UnitPrice.String() + "/" + ln.Unit
		}
		return ln.UnitPrice.String()
	case 4:
		if ln.LineDiscount > 0 {
			return "-" + ln.LineDiscount.String()
		}
	case 5:
		if g, err := ln.Gross(); err == nil {
			return (g - ln.LineDiscount).String()
		}
	}
	return ""
}

func foundLine(f catalog.Found) string {
	code := ""
	if len(f.Barcodes) > 0 {
		code = f.Barcodes[0]
	}
	unit := ""
	if f.Unit != "" {
		unit = "/" + f.Unit
	}
	return fmt.Sprintf("%s  %s%s  %s", f.Name, f.Price.Display(), unit, code)
}

// locked: the cart became an order (a tender started), so its lines are
// what the customer is paying for and stay as they are.
func (v *View) locked() bool { return v.order.OrderNo != "" || v.running }

// typed runs the catalogue's search as the cashier types a name, its
// pinyin initials or part of a code; digits and amounts wait for Enter.
func (v *View) typed(s string) {
	s = strings.TrimSpace(s)
	v.searchN++
	if s == "" || !wantsSearch(s) || v.deps.Catalog == nil || v.locked() {
		v.showResults(nil)
		return
	}
	n, term := v.searchN, v.term
	var found []catalog.Found
	var err error
	async.Run(func() {
		ctx := context.Background()
		var store int64
		if store, err = v.storeID(ctx, term); err == nil {
			found, err = v.deps.Catalog.Search(ctx, store, s, catalog.Filter{State: catalog.ActiveOnly})
		}
	}, func() {
		if n != v.searchN { // a later key started another search
			return
		}
		if err != nil {
			v.say(i18n.Err(err))
			return
		}
		v.showResults(found)
	})
}

// wantsSearch: anything with a letter or a Chinese character is a name;
// digits (codes, amounts) are looked up on Enter.
func wantsSearch(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

func (v *View) showResults(found []catalog.Found) {
	v.found, v.foundSel = found, 0
	if len(found) == 0 {
		v.Results.Hide()
		v.Cart.Show()
		return
	}
	v.Cart.Hide()
	v.Results.Show()
	v.Results.Refresh()
	v.Results.Select(0)
}

// move walks the results while a search shows, else the cart's lines.
func (v *View) move(d int) {
	if len(v.found) > 0 && v.Results.Visible() {
		i := min(max(v.foundSel+d, 0), len(v.found)-1)
		v.Results.Select(i)
		v.foundSel = i
		return
	}
	if len(v.cart.Lines) == 0 {
		return
	}
	v.sel = min(max(v.sel+d, 0), len(v.cart.Lines)-1)
	v.Cart.Refresh()
	v.Cart.ScrollTo(widget.TableCellID{Row: v.sel, Col: 0})
}

// enter is Enter on the scan line: the chosen search result, a code, a
// typed amount, or (on an empty line with a cart) the call for payment.
func (v *View) enter(s string) {
	s = strings.TrimSpace(s)
	if len(v.found) > 0 && v.Results.Visible() {
		f := v.found[v.foundSel]
		v.Line.SetText("")
		v.addProduct(catalog.Scanned{Record: f.Record}, 1)
		return
	}
	if s == "" {
		v.callForPayment()
		return
	}
	v.Line.SetText("")
	v.route(s)
}

// scanned is a scan from any scanner, wherever the focus is.
func (v *View) scanned(code string) {
	if v.covered() {
		return // a prompt is open: the scan is not for the cart
	}
	v.route(strings.TrimSpace(code))
}

// route decides what a scanned or typed text is: a customer's payment
// code pays; "3*code" rings up three; a product code or scale label rings
// up; a short number or decimal is an amount line; anything else is
// explained.
func (v *View) route(s string) {
	if s == "" {
		return
	}
	if v.running {
		v.say(i18n.T("counter.busy"))
		return
	}
	if w, _, err := app.ClassifyCode(s); err == nil && looksLikePaymentCode(s) {
		v.payByCode(s, w)
		return
	}
	if v.deposit() {
		v.depositAmount(s)
		return
	}
	qty := int64(1)
	if q, rest, ok := strings.Cut(s, "*"); ok {
		n, err := strconv.ParseInt(strings.TrimSpace(q), 10, 64)
		if err != nil || n <= 0 || n > sale.MaxQty {
			v.say(i18n.Err(sale.ErrCartQty.With("Max", sale.MaxQty)))
			return
		}
		qty, s = n, strings.TrimSpace(rest)
	}
	if v.locked() {
		v.say(i18n.T("counter.locked"))
		return
	}
	if isAmount(s) && qty == 1 && (strings.Contains(s, ".") || v.deps.Catalog == nil) {
		v.addAmount(s, false)
		return
	}
	if v.deps.Catalog == nil {
		v.say(i18n.T("counter.no_catalogue"))
		return
	}
	var sc catalog.Scanned
	var err error
	term := v.term
	async.Run(func() {
		ctx := context.Background()
		var store int64
		if store, err = v.storeID(ctx, term); err == nil {
			sc, err = v.deps.Catalog.Scan(ctx, store, s)
		}
	}, func() {
		switch {
		case err == nil:
			v.addProduct(sc, qty)
		case errors.Is(err, catalog.ErrNoProduct) && isAmount(s) && qty == 1 && len(s) <= 6:
			v.addAmount(s, false) // "12" Enter in a store whose codes do not include 12
		case errors.Is(err, catalog.ErrNoProduct) && labelItem(err, s) != "":
			// A scale label whose item code is nobody's: the label is not a
			// product's code, so it is not offered for adding.
			v.say(i18n.T("counter.unknown_label", "Item", labelItem(err, s)))
		case errors.Is(err, catalog.ErrNoProduct):
			v.unknownCode(s)
		default:
			v.say(i18n.Err(err))
		}
	})
}

// storeID is the terminal's store, read now when the first scan came
// before the terminal was loaded (off the UI goroutine).
func (v *View) storeID(ctx context.Context, loaded app.TerminalInfo) (int64, error) {
	if loaded.ID != 0 || v.deps.Terminal == nil {
		return loaded.StoreID, nil
	}
	t, err := v.deps.Terminal.CurrentTerminal(ctx)
	return t.StoreID, err
}

// labelItem is the item code a scale label carried when no product has it
// ("" when the code itself was looked up).
func labelItem(err error, code string) string {
	m, ok := app.AsMessage(err)
	if !ok {
		return ""
	}
	if ref, _ := m.Args["Ref"].(string); ref != "" && ref != code {
		return ref
	}
	return ""
}

// looksLikePaymentCode: payment codes are long; a short member number or
// PLU that happens to match a prefix rule is a product.
func looksLikePaymentCode(s string) bool { return len(s) >= 16 }

// isAmount: digits with at most one decimal point and two decimals.
func isAmount(s string) bool {
	_, err := app.ParsePositiveMoney(s)
	return err == nil && len(s) <= 9
}

func (v *View) addProduct(sc catalog.Scanned, qty int64) {
	v.showResults(nil)
	if v.locked() {
		v.say(i18n.T("counter.locked"))
		return
	}
	i, err := v.cart.Add(sc, qty)
	if errors.Is(err, sale.ErrNeedsWeight) {
		v.askWeight(sc.Record)
		return
	}
	if err != nil {
		v.say(i18n.Err(err))
		return
	}
	v.sel = i
	v.say(i18n.T("counter.added", "Name", sc.Name))
	v.show()
}

func (v *View) addAmount(s string, nonDiscountable bool) {
	m, err := app.ParsePositiveMoney(s)
	if err != nil {
		v.say(i18n.T("counter.err.amount", "Err", i18n.Err(err)))
		return
	}
	name := lineName(app.Msg("counter.amount_line"))
	if nonDiscountable {
		name = lineName(app.Msg("counter.nondiscount_line"))
	}
	i, err := v.cart.AddAmount(name, m, nonDiscountable)
	if err != nil {
		v.say(i18n.Err(err))
		return
	}
	v.sel = i
	v.say(i18n.T("counter.added", "Name", name+" "+m.Display()))
	v.show()
}

// lineName names a typed-amount line as the order keeps it: in Chinese
// whatever the screen's language, like the products' names, because the
// receipt that prints it is Chinese.
func lineName(m app.Message) string { return i18n.In(i18n.Chinese, m) }

// addSide takes the second amount of the payment modes: a
// non-discountable part, or a deposit part noted on the order.
func (v *View) addSide() {
	s := strings.TrimSpace(v.Side.Text)
	if s == "" {
		v.refocus()
		return
	}
	if v.locked() {
		v.say(i18n.T("counter.locked"))
		return
	}
	m, err := app.ParsePositiveMoney(s)
	if err != nil {
		v.say(i18n.T("counter.err.amount", "Err", i18n.Err(err)))
		return
	}
	v.Side.SetText("")
	if v.rule.Mode == ModeConsumeDeposit {
		name := lineName(app.Msg("counter.deposit_line"))
		i, err := v.cart.AddAmount(name, m, true)
		if err == nil {
			if err = v.cart.SetDepositPart(v.cart.DepositPart + m); err != nil {
				_ = v.cart.Remove(i)
			}
		}
		if err != nil {
			v.say(i18n.Err(err))
			return
		}
		v.sel = i
		v.say(i18n.T("counter.added", "Name", name+" "+m.Display()))
		v.show()
		v.refocus()
		return
	}
	v.addAmount(s, true)
	v.refocus()
}

// depositAmount: a deposit is one typed amount.
func (v *View) depositAmount(s string) {
	if v.locked() {
		v.say(i18n.T("counter.locked"))
		return
	}
	m, err := app.ParsePositiveMoney(s)
	if err != nil {
		v.say(i18n.T("counter.err.amount", "Err", i18n.Err(err)))
		return
	}
	v.cart = sale.Cart{FloorPct: v.rule.FloorPct}
	if _, err := v.cart.AddAmount(lineName(app.Msg("counter.deposit_line")), m, true); err != nil {
		v.say(i18n.Err(err))
		return
	}
	v.sel = 0
	v.show()
	v.callForPayment()
}

// unknownCode: no product has the code. A person who may manage the
// catalogue is offered to add it on the spot.
func (v *View) unknownCode(code string) {
	v.say(i18n.T("counter.unknown_code", "Code", code))
	if v.deps.Window == nil {
		return
	}
	var err error
	id := v.deps.Staff.ID
	async.Run(func() { err = v.deps.Catalog.CanManage(context.Background(), id) }, func() {
		if err == nil {
			v.askNewProduct(code)
		}
	})
}

// voidLine takes the selected line off (void_line, or a manager's
// override).
func (v *View) voidLine() {
	if v.locked() {
		v.say(i18n.T("counter.locked"))
		return
	}
	if len(v.cart.Lines) == 0 {
		v.say(i18n.Err(sale.ErrCartEmpty))
		return
	}
	i := v.sel
	ln := v.cart.Lines[i]
	v.authorize(app.PermVoidLine, fmt.Sprintf("line=%d name=%s amount=%s", i+1, ln.Name, ln.UnitPrice), v.voidLine, func() {
		if err := v.cart.Remove(i); err != nil {
			v.say(i18n.Err(err))
			return
		}
		v.sel = max(min(v.sel, len(v.cart.Lines)-1), 0)
		v.say(i18n.T("counter.voided", "Name", ln.Name))
		v.show()
	})
}

// authorize checks perm for the person now (a manager's override counts
// once), then runs do; a refusal offers the override, which runs retry.
func (v *View) authorize(perm, detail string, retry, do func()) {
	var err error
	id := v.deps.Staff.ID
	async.Run(func() { err = v.deps.Checkout.Authorize(context.Background(), id, perm, detail) }, func() {
		if err != nil {
			v.sayErr(err, perm, retry)
			return
		}
		do()
		v.refocus()
	})
}

// show refreshes the cart, the totals and the customer display.
func (v *View) show() {
	if len(v.cart.Lines) > 0 {
		v.Cart.ScrollTo(widget.TableCellID{Row: v.sel, Col: 0}) // refreshes the cells too
	} else {
		v.Cart.Refresh()
	}
	o := v.current()
	v.Total.Text = i18n.T("counter.due", "Amount", o.Due().Display())
	v.Total.Refresh()
	sums := i18n.T("counter.sums", "N", len(o.Lines), "Total", o.Total.Display(), "Discount", o.Discount.Display())
	if o.NonDiscountable > 0 {
		sums += "  " + i18n.T("counter.sums.nd", "Amount", o.NonDiscountable.Display())
	}
	if o.DepositPart > 0 {
		sums += "  " + i18n.T("counter.sums.deposit", "Amount", o.DepositPart.Display())
	}
	v.Sums.SetText(sums)
	v.TenderBox.SetText(tenderLines(o))
	for _, id := range []string{"qty", "line_discount", "order_discount", "void_line"} {
		if b := v.Buttons[id]; b != nil {
			if v.locked() || len(v.cart.Lines) == 0 {
				b.Disable()
			} else {
				b.Enable()
			}
		}
	}
	if !v.running {
		phase := CustomerCart
		if len(o.Lines) == 0 && v.order.OrderNo == "" {
			phase = CustomerIdle
		}
		v.customer(CustomerView{Phase: phase, Order: o, Due: o.Due()})
	}
}

// current is what the screen shows: the open order once written (with its
// tenders), else the cart as an order.
func (v *View) current() app.Order {
	if v.order.OrderNo != "" {
		return v.order
	}
	o, err := v.cart.Order()
	if err != nil {
		return app.Order{}
	}
	return o
}

func (v *View) customer(cv CustomerView) {
	if v.deps.Display != nil {
		v.deps.Display.ShowCustomer(cv)
	}
}

// tenderLines lists the order's tenders: how much, how, and where each
// stands.
func tenderLines(o app.Order) string {
	var b strings.Builder
	for _, t := range o.Tenders {
		how := i18n.T("counter.tender.cash")
		if t.Kind == app.TenderWallet {
			how = i18n.M(app.WalletName(t.Wallet))
		}
		line := i18n.T("counter.tender.line", "How", how, "Amount", t.Amount.Display(), "State", tenderState(t.State))
		if ch := t.Change(); ch > 0 {
			line += "  " + i18n.T("counter.tender.change", "Amount", ch.Display())
		}
		b.WriteString(line + "\n")
	}
	return strings.TrimSpace(b.String())
}

func tenderState(s app.TenderState) string {
	switch s {
	case app.TenderPaid:
		return i18n.T("counter.tstate.paid")
	case app.TenderPending:
		return i18n.T("counter.tstate.pending")
	case app.TenderFailed:
		return i18n.T("counter.tstate.failed")
	case app.TenderReturned:
		return i18n.T("counter.tstate.returned")
	}
	return string(s)
}
