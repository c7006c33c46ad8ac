// Package counter is the sales Counter (收银台): products scanned or
// searched into a cart, typed amounts for stores without a catalogue, any
// mix of tenders (the customer's payment code, a payment QR the customer
// scans, cash with change), held orders, and the way on to refunds and
// today's receipts — all by keyboard, every key shown on its button.
//
// The cart is edited freely until the first tender; then it becomes an
// order (written first) and tenders attach to it until they cover it. A
// tender that fails leaves the order open for another; giving the order up
// (Esc) voids it and hands back what was paid.
package counter

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/catalog"
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
	PayCash(ctx context.Context, orderNo string, amount, received app.Money, staff app.Staff) (sale.Outcome, error)
	// SellForCash writes a cart paid in full in cash as one commit.
	SellForCash(ctx context.Context, in sale.OrderInput, received app.Money, staff app.Staff) (sale.Outcome, error)
	Cancel(ctx context.Context, outTradeNo string) error
	Void(ctx context.Context, orderNo string, staff app.Staff) (sale.VoidResult, error)
	// OpenDrawer opens the cash drawer without a sale (permission
	// open_drawer, audited).
	OpenDrawer(ctx context.Context, staffID int64) error
	// Authorize checks a person may do an action on the cart now (void a
	// line, give a discount); a manager's override counts once. It writes
	// the audit line.
	Authorize(ctx context.Context, staffID int64, perm, detail string) error
}

// QRCheckout takes a payment by a QR the customer scans (optional).
type QRCheckout interface {
	PayByQR(ctx context.Context, orderNo string, wallet app.Wallet, amount app.Money, staff app.Staff,
		onEvent payment.EventFunc, onQR func(url string, expires time.Time)) (sale.Outcome, error)
}

// Catalog is what the Counter needs from the catalogue (app/catalog.Service).
type Catalog interface {
	Scan(ctx context.Context, storeID int64, code string) (catalog.Scanned, error)
	Search(ctx context.Context, storeID int64, q string, f catalog.Filter) ([]catalog.Found, error)
	Save(ctx context.Context, staffID, storeID, id int64, p catalog.Product) (int64, error)
	CanManage(ctx context.Context, staffID int64) error
}

// PayMode is the store's payment mode (business rules, section 3).
type PayMode string

const (
	ModeDefault          PayMode = "default"
	ModeTotalNonDiscount PayMode = "total_nondiscount" // total + non-discountable (Alipay undiscountable_amount)
	ModeConsumeDeposit   PayMode = "consume_deposit"   // consumption + deposit, the deposit part noted on the order
)

// Rules are the store's rules the Counter applies.
type Rules struct {
	Mode     PayMode
	FloorPct int // discount floor, percent of list price; 0 none
}

// Terminal tells the Counter where it runs.
type Terminal interface {
	CurrentTerminal(ctx context.Context) (app.TerminalInfo, error)
	CounterRules(ctx context.Context) (Rules, error)
}

// Held is a cart parked for later (the holds use case, app/sale.Holds).
type Held interface {
	Hold(ctx context.Context, staff app.Staff, label string, c sale.Cart) error
	// Pick shows the held orders; the chosen one is taken out of the list
	// and handed to resume; closed runs when the list is gone.
	Pick(resume func(sale.Cart), closed func())
}

// CustomerPhase is what the customer display shows.
type CustomerPhase int

const (
	CustomerIdle CustomerPhase = iota
	CustomerCart
	CustomerAwaitCode
	CustomerQR
	CustomerPaid
	CustomerFailed
)

// CustomerView is one state of the customer display.
type CustomerView struct {
	Phase   CustomerPhase
	Order   app.Order // lines and amounts (Paid filled from the tenders)
	Due     app.Money
	Change  app.Money
	QR      string
	Wallet  app.Wallet
	Expires time.Time
	Message string
}

// CustomerDisplay is the second screen facing the customer.
type CustomerDisplay interface {
	ShowCustomer(CustomerView)
}

// Deps is what the Counter needs. Held, QR, Display, Refund, Today,
// ReprintLast and Override may be nil (not offered).
type Deps struct {
	Checkout Checkout
	QR       QRCheckout
	Catalog  Catalog
	Terminal Terminal
	Held     Held
	Display  CustomerDisplay
	// Signals tells the Counter when the terminal settings change.
	Signals  *app.Signals
	Staff    app.Staff
	Detector scaninput.Detector // keyboard-wedge detector; nil: plain entries
	Canvas   fyne.Canvas
	// Scans is the app's one stream of scans (serial scanners and the
	// keyboard-wedge detector); when set, scans come from it only.
	Scans func() (<-chan string, func())
	// Override asks a manager to approve one action, then runs then.
	Override func(perm string, then func())
	// Refund and Today open those screens over the Counter (their own
	// keys and scans while open); closed runs when they are gone.
	// ReprintLast prints the last receipt again.
	Refund      func(closed func())
	Today       func(closed func())
	ReprintLast func() error
	// PrinterProblem says why the receipt printer cannot print now ("":
	// it can), for the warning above the totals.
	PrinterProblem func() string
	// Dialogs are shown on this window (nil: the Canvas's window is
	// unknown, dialogs are skipped in tests that do not need them).
	Window fyne.Window
}

// View is the Counter workspace.
type View struct {
	deps Deps
	term app.TerminalInfo
	rule Rules

	Line      *scaninput.Entry // the scan line: barcodes, search, amounts, payment codes
	Side      *scaninput.Entry // the second amount of the payment modes (non-discountable / deposit part)
	sideRow   *fyne.Container
	Kind      *widget.RadioGroup
	Cart      *widget.Table
	Results   *widget.List
	centre    *fyne.Container
	Total     *canvas.Text
	Sums      *widget.Label
	TenderBox *widget.Label
	Status    *widget.Label
	Warn      *widget.Label // the receipt printer cannot print
	Seconds   *widget.Label
	Banner    *canvas.Text
	BannerSub *widget.Label
	bannerBG  *canvas.Rectangle
	QRImage   *canvas.Image
	Buttons   map[string]*widget.Button
	grid      *fyne.Container // the buttons; the QR takes their place while shown

	cart     sale.Cart
	sel      int // selected cart line
	found    []catalog.Found
	foundSel int
	searchN  int // generation of the search being shown

	order    app.Order // the open order once the first tender started ("" OrderNo before)
	running  bool      // a tender is in flight
	outTrade string
	// cancelWanted: Esc came before the tender had its number; the cancel
	// goes out as soon as it is known.
	cancelWanted bool
	last         sale.Outcome // the last finished sale, for the banner

	modal *Prompt // the prompt being shown, if any
	// picking: a list or screen is open over the Counter (held orders,
	// refunds, today's orders).
	picking      bool
	canvasKeys   map[fyne.KeyName]func()
	removeCanvas func()
	stops        []func()
	content      fyne.CanvasObject
}

// New builds the Counter.
func New(d Deps) *View {
	v := &View{deps: d, rule: Rules{Mode: ModeDefault}, Buttons: map[string]*widget.Button{}}
	onScan := v.scanned
	if d.Scans != nil {
		onScan = nil
	}
	v.Line = scaninput.NewEntry(d.Detector, onScan)
	v.Line.SetPlaceHolder(i18n.T("counter.line.placeholder"))
	v.Line.OnSubmitted = func(s string) { v.enter(s) }
	v.Line.OnChanged = v.typed
	v.Line.OnEscape = v.escape
	v.Side = scaninput.NewEntry(d.Detector, onScan)
	v.Side.OnSubmitted = func(string) { v.addSide() }
	v.Side.OnEscape = v.escape

	v.Kind = widget.NewRadioGroup(nil, func(string) { v.kindChanged() })
	v.Kind.Horizontal = true
	v.Kind.Required = true

	v.Cart = widget.NewTable(v.cartSize, newCell, v.cartCell)
	for i, w := range colWidths {
		v.Cart.SetColumnWidth(i, w)
	}
	v.Cart.ShowHeaderRow = true
	v.Cart.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	v.Cart.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 {
			o.(*widget.Label).SetText(i18n.T(cartHeads[id.Col]))
		}
	}
	v.Cart.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(v.cart.Lines) {
			v.sel = id.Row
		}
		v.refocus()
	}
	v.Results = widget.NewList(func() int { return len(v.found) }, func() fyne.CanvasObject {
		l := widget.NewLabel("")
		l.Truncation = fyne.TextTruncateEllipsis
		return l
	}, func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(foundLine(v.found[i])) })
	v.Results.OnSelected = func(i widget.ListItemID) { v.foundSel = i }

	v.Total = canvas.NewText(app.Money(0).Display(), theme.Color(theme.ColorNamePrimary))
	v.Total.TextSize = 44
	v.Total.TextStyle = fyne.TextStyle{Bold: true}
	v.Total.Alignment = fyne.TextAlignTrailing
	v.Sums = widget.NewLabel("")
	v.Sums.Alignment = fyne.TextAlignTrailing
	v.TenderBox = widget.NewLabel("")
	v.TenderBox.Wrapping = fyne.TextWrapWord
	v.Status = widget.NewLabel("")
	v.Status.Wrapping = fyne.TextWrapWord
	v.Seconds = widget.NewLabel("")
	v.Warn = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.Warn.Importance = widget.DangerImportance
	v.Warn.Wrapping = fyne.TextWrapWord
	v.Warn.Hide()
	v.Banner = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	v.Banner.TextSize = 30
	v.Banner.TextStyle = fyne.TextStyle{Bold: true}
	v.Banner.Alignment = fyne.TextAlignCenter
	v.BannerSub = widget.NewLabel("")
	v.BannerSub.Alignment = fyne.TextAlignCenter
	v.BannerSub.Wrapping = fyne.TextWrapWord
	v.bannerBG = canvas.NewRectangle(theme.Color(theme.ColorNameBackground))
	v.QRImage = canvas.NewImageFromImage(nil)
	v.QRImage.FillMode = canvas.ImageFillContain
	v.QRImage.ScaleMode = canvas.ImageScalePixels
	v.QRImage.SetMinSize(fyne.NewSize(0, 0))
	v.QRImage.Hide()

	v.content = v.layout()
	v.installKeys()
	v.subscribe()
	v.loadTerminal()
	v.show()
	return v
}

// Content is the workspace's root.
func (v *View) Content() fyne.CanvasObject { return v.content }

// Focus is where the cursor goes when the Counter is shown.
func (v *View) Focus() fyne.Focusable { return v.Line }

// Stop uninstalls the handlers and leaves the scan stream.
func (v *View) Stop() {
	for _, s := range v.stops {
		s()
	}
	v.stops = nil
}

// key is one action: its button text key, its key, and what it does.
type key struct {
	id    string
	label string
	name  fyne.KeyName
	icon  fyne.Resource
	fn    func()
}

func (v *View) keys() []key {
	ks := []key{
		{"qty", i18n.Key("counter.key.qty"), fyne.KeyF1, theme.ContentAddIcon(), v.askQty},
		{"line_discount", i18n.Key("counter.key.line_discount"), fyne.KeyF2, theme.ContentRemoveIcon(), func() { v.askDiscount(false) }},
		{"order_discount", i18n.Key("counter.key.order_discount"), fyne.KeyF3, theme.ContentRemoveIcon(), func() { v.askDiscount(true) }},
		{"void_line", i18n.Key("counter.key.void_line"), fyne.KeyF4, theme.DeleteIcon(), v.voidLine},
	}
	if v.deps.Held != nil {
		ks = append(ks, key{"hold", i18n.Key("counter.key.hold"), fyne.KeyF5, theme.DocumentSaveIcon(), v.askHold},
			key{"resume", i18n.Key("counter.key.resume"), fyne.KeyF6, theme.FolderOpenIcon(), v.resume})
	}
	ks = append(ks, key{"cash", i18n.Key("counter.key.cash"), fyne.KeyF7, theme.ConfirmIcon(), v.askCash})
	if v.deps.QR != nil {
		ks = append(ks, key{"qr", i18n.Key("counter.key.qr"), fyne.KeyF8, theme.GridIcon(), v.askQR})
	}
	if v.deps.Refund != nil {
		ks = append(ks, key{"refund", i18n.Key("counter.key.refund"), fyne.KeyF9, theme.MailReplyIcon(), func() { v.cover(v.deps.Refund) }})
	}
	if v.deps.Today != nil {
		ks = append(ks, key{"today", i18n.Key("counter.key.today"), fyne.KeyF10, theme.ListIcon(), func() { v.cover(v.deps.Today) }})
	}
	ks = append(ks, key{"drawer", i18n.Key("counter.key.drawer"), fyne.KeyF11, theme.LoginIcon(), v.openDrawer})
	if v.deps.ReprintLast != nil {
		ks = append(ks, key{"reprint", i18n.Key("counter.key.reprint"), fyne.KeyF12, theme.DocumentPrintIcon(), v.reprintLast})
	}
	return ks
}

func (v *View) layout() fyne.CanvasObject {
	grid := container.NewGridWithColumns(2)
	v.grid = grid
	for _, k := range v.keys() {
		b := widget.NewButtonWithIcon(i18n.T(k.label)+"  "+string(k.name), k.icon, k.fn)
		b.Alignment = widget.ButtonAlignLeading
		v.Buttons[k.id] = b
		grid.Add(b)
	}
	v.Buttons["cancel"] = widget.NewButtonWithIcon(i18n.T("counter.key.cancel")+"  Esc", theme.CancelIcon(), v.escape)
	v.Buttons["cancel"].Importance = widget.WarningImportance

	v.centre = container.NewStack(v.Cart, v.Results)
	v.sideRow = container.NewBorder(nil, nil, widget.NewLabel(""), nil, v.Side)
	v.sideRow.Hide()
	top := container.NewVBox(
		container.NewBorder(nil, nil, v.Kind, nil, v.Line),
		v.sideRow,
	)
	left := container.NewBorder(top, nil, nil, nil, v.centre)

	banner := container.NewStack(v.bannerBG, container.NewVBox(v.Banner, v.BannerSub))
	due := container.NewVBox(v.Total, v.Sums)
	status := container.NewVBox(v.Warn, v.Status, v.Seconds, v.TenderBox)
	right := container.NewBorder(
		container.NewVBox(due, widget.NewSeparator(), banner),
		container.NewVBox(grid, v.Buttons["cancel"]), nil, nil,
		container.NewVScroll(container.NewVBox(status, container.NewCenter(v.QRImage))),
	)
	split := container.NewHSplit(left, right)
	split.Offset = 0.6
	return split
}

// installKeys makes every key work wherever the focus is: in the scan
// line, the side field, or nowhere (after a tap).
func (v *View) installKeys() {
	m := map[fyne.KeyName]func(){
		fyne.KeyUp:   func() { v.move(-1) },
		fyne.KeyDown: func() { v.move(1) },
	}
	for _, k := range v.keys() {
		fn := k.fn
		m[k.name] = func() {
			if !v.covered() {
				fn()
			}
		}
	}
	v.Line.Keys, v.Side.Keys = m, m
	v.canvasKeys = map[fyne.KeyName]func(){fyne.KeyEscape: v.escape}
	for n, fn := range m {
		v.canvasKeys[n] = fn
	}
	v.installCanvas()
	v.stops = append(v.stops, func() {
		if v.removeCanvas != nil {
			v.removeCanvas()
		}
	})
}

// installCanvas takes the keys that reach no widget (after a tap), again
// after a screen opened over the Counter had them.
func (v *View) installCanvas() {
	if v.deps.Canvas == nil || v.deps.Detector == nil {
		return
	}
	onScan := v.scanned
	if v.deps.Scans != nil {
		onScan = nil
	}
	v.removeCanvas = scaninput.CanvasKeys(v.deps.Canvas, v.deps.Detector, onScan, v.canvasKeys, nil)
}

// cover opens a screen over the Counter (refunds, today's orders): the
// Counter lets its keys and scans be until it is closed. Not while a
// payment is in flight.
func (v *View) cover(open func(closed func())) {
	if v.running {
		v.say(i18n.T("counter.busy"))
		return
	}
	v.picking = true
	open(func() {
		v.picking = false
		v.installCanvas()
		v.retakeFocus()
	})
}

func (v *View) subscribe() {
	d := v.deps
	if d.Scans != nil {
		ch, cancel := d.Scans()
		done := make(chan struct{})
		v.stops = append(v.stops, cancel, func() {
			select {
			case <-done:
			case <-time.After(2 * time.Second):
			}
		})
		go func() {
			defer close(done)
			for code := range ch {
				async.Do(func() { v.scanned(code) })
			}
		}()
	}
	if d.Signals != nil {
		v.stops = append(v.stops, d.Signals.Subscribe(app.SignalTerminal, func(any) { v.loadTerminal() }))
	}
}

// loadTerminal reads the cashier mode and the store's rules (off the UI
// goroutine) and applies them.
func (v *View) loadTerminal() {
	if v.deps.Terminal == nil {
		v.setKinds(app.ModeSale)
		return
	}
	var t app.TerminalInfo
	var r Rules
	var err, rerr error
	async.Run(func() {
		ctx := context.Background()
		t, err = v.deps.Terminal.CurrentTerminal(ctx)
		r, rerr = v.deps.Terminal.CounterRules(ctx)
	}, func() {
		if err == nil {
			v.term = t
			v.setKinds(t.CashierMode)
		}
		if rerr == nil {
			v.rule = r
			if v.order.OrderNo == "" {
				v.cart.FloorPct = r.FloorPct
			}
		}
		v.showSide()
	})
}

// setKinds shows the kinds the terminal takes (sale, deposit).
func (v *View) setKinds(m app.CashierMode) {
	var kinds []string
	if m.Takes(false) {
		kinds = append(kinds, i18n.T("counter.kind.sale"))
	}
	if m.Takes(true) {
		kinds = append(kinds, i18n.T("counter.kind.deposit"))
	}
	if len(kinds) == 0 {
		kinds = []string{i18n.T("counter.kind.sale")}
	}
	sel := v.Kind.Selected
	keep := false
	for _, k := range kinds {
		keep = keep || k == sel
	}
	if !keep {
		sel = kinds[0]
	}
	v.Kind.Options = kinds
	v.Kind.Selected = sel
	v.Kind.Refresh()
	if len(kinds) == 1 {
		v.Kind.Hide()
	} else {
		v.Kind.Show()
	}
}

func (v *View) deposit() bool { return v.Kind.Selected == i18n.T("counter.kind.deposit") }

// kindChanged: a deposit is one amount paid by one code; switching kind
// with a cart rung up is refused (the cart stays a sale).
func (v *View) kindChanged() {
	v.showSide()
	v.refocus()
}

// showSide shows the second amount field of the store payment modes.
func (v *View) showSide() {
	label := v.sideRow.Objects[1].(*widget.Label)
	switch {
	case v.deposit() || v.rule.Mode == ModeDefault || v.rule.Mode == "":
		v.sideRow.Hide()
		return
	case v.rule.Mode == ModeTotalNonDiscount:
		label.SetText(i18n.T("counter.side.nondiscount"))
		v.Side.SetPlaceHolder(i18n.T("counter.side.nondiscount.placeholder"))
	case v.rule.Mode == ModeConsumeDeposit:
		label.SetText(i18n.T("counter.side.deposit"))
		v.Side.SetPlaceHolder(i18n.T("counter.side.deposit.placeholder"))
	}
	v.sideRow.Show()
}

// covered: a prompt or a list is over the Counter; its keys and scans are
// not for the cart.
func (v *View) covered() bool { return v.modal != nil || v.picking }

// retakeFocus gives the scan line the focus back after a screen over the
// Counter closed. The window still counts the line as focused (the
// dialog's focus went with the dialog), so it is unfocused first: gaining
// the focus again binds the wedge detector's flush back to it, which the
// dialog's own field had taken.
func (v *View) retakeFocus() {
	if v.deps.Canvas != nil {
		v.deps.Canvas.Unfocus()
	}
	v.refocus()
}

func (v *View) refocus() {
	if v.deps.Canvas != nil && !v.covered() {
		v.deps.Canvas.Focus(v.Line)
	}
}

// say puts a message in the status area (and clears the elapsed time).
func (v *View) say(s string) {
	v.Status.SetText(s)
	v.Seconds.SetText("")
}

// sayErr explains an error; a missing permission is offered a manager's
// override that runs retry.
func (v *View) sayErr(err error, perm string, retry func()) {
	v.say(i18n.Err(err))
	if perm != "" && retry != nil && v.deps.Override != nil && errors.Is(err, app.ErrNoPermission) && !errors.Is(err, app.ErrStaffDisabled) {
		v.deps.Override(perm, retry)
	}
}

// openDrawer opens the cash drawer without a sale.
func (v *View) openDrawer() {
	if v.running {
		return
	}
	var err error
	co, id := v.deps.Checkout, v.deps.Staff.ID
	async.Run(func() { err = co.OpenDrawer(context.Background(), id) }, func() {
		if err == nil {
			v.say(i18n.T("counter.drawer_opened"))
		} else {
			v.sayErr(err, app.PermOpenDrawer, v.openDrawer)
		}
		v.refocus()
	})
}

func (v *View) reprintLast() {
	var err error
	async.Run(func() { err = v.deps.ReprintLast() }, func() {
		if err != nil {
			v.say(i18n.T("counter.reprint_failed", "Err", i18n.Err(err)))
		} else {
			v.say(i18n.T("counter.reprinted"))
		}
		v.refocus()
	})
}
