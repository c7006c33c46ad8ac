// Package custdisplay is the customer display (顾客屏): what the customer
// reads on a second screen facing them, from two metres — the lines as
// they are scanned, the total and what is due in very large digits, "show
// your payment code", a payment QR code to scan with its countdown, and a
// large paid or failed screen. The Counter drives it with Show on every
// change; the display itself holds no state of the sale.
package custdisplay

import (
	"fmt"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

// Phase is what the display is showing.
type Phase int

const (
	// Idle: no sale; the store's name and a welcome.
	Idle Phase = iota
	// Cart: the lines so far, the total and what is due.
	Cart
	// AwaitCode: the cart and "请出示付款码" — the cashier is ready to
	// scan the customer's payment code.
	AwaitCode
	// Paying: the code was scanned; the customer may have to confirm on
	// their phone (a password).
	Paying
	// QR: a payment code for the customer to scan (QR, QRWallet), valid
	// until Expires.
	QR
	// Paid: "支付成功" with the amount paid and the change due.
	Paid
	// Failed: the payment did not go through (Message says why).
	Failed
	// Refund: money going back to the customer (Paid is the amount).
	Refund
)

// Line is one line of the cart as the customer reads it.
type Line struct {
	Name   string
	Qty    string // "2", "0.600kg": as the cashier's screen shows it
	Amount app.Money
}

// Screen is everything the display shows at one moment.
type Screen struct {
	Phase    Phase
	Lines    []Line
	Total    app.Money // before discounts
	Discount app.Money
	Due      app.Money // what is still to pay
	Paid     app.Money // what was paid (Paid), refunded (Refund) or taken so far
	Change   app.Money // cash handed back (Paid)
	// QR is the payment code's URL to draw (phase QR), QRWallet the
	// wallet it is for and Expires when it stops being valid.
	QR       string
	QRWallet app.Wallet
	Expires  time.Time
	// Message is a line under the phase's own words: a failure's reason,
	// a note from the cashier.
	Message string
}

// Deps is what the display needs.
type Deps struct {
	StoreName string
	Now       func() time.Time // nil: time.Now (the QR countdown)
	// DemoPay is the sandbox's customer paying the code shown, for a
	// demonstration without a phone: a button under the code, marked as
	// the sandbox's. Nil (live channels): no button.
	DemoPay func(codeURL string) error
}

// Colours of the whole-screen outcomes: readable across the counter,
// white type on each.
var (
	paidGreen   = color.NRGBA{R: 0x1B, G: 0x8A, B: 0x3C, A: 0xFF}
	failedRed   = color.NRGBA{R: 0xC6, G: 0x28, B: 0x28, A: 0xFF}
	refundBlue  = color.NRGBA{R: 0x15, G: 0x65, B: 0xC0, A: 0xFF}
	outcomeText = color.White
)

// Type sizes, for a screen read from two metres (at least 1024×600).
const (
	sizeHeader  = 30
	sizeLine    = 28
	sizeLabel   = 30
	sizeTotal   = 44
	sizeDue     = 100
	sizePrompt  = 50
	sizeWelcome = 76
	sizeOutcome = 84
	sizeNote    = 40
)

// View is the display's content.
type View struct {
	deps   Deps
	screen Screen
	shown  Phase
	root   *fyne.Container
	body   *fyne.Container // the phase's panel

	store *bigText

	// idle
	idleStore, welcome *bigText
	idle               fyne.CanvasObject

	// cart, awaiting a code, paying
	Lines          *widget.List
	lines          []Line
	count          *bigText
	total          *bigText
	discountLabel  *widget.Label
	discount       *bigText
	due            *bigText
	prompt, note   *bigText
	cart           fyne.CanvasObject
	discountShown  bool
	lastLinesCount int

	// the QR code
	qrPrompt, qrDue, countdown, qrNote *bigText
	qrImage                            *canvas.Image
	qrFor                              string
	DemoPay                            *widget.Button // nil without Deps.DemoPay
	qr                                 fyne.CanvasObject
	ticker                             *time.Ticker
	tickDone                           chan struct{}
	manualTicks                        bool // tests call tick themselves

	// outcomes
	paidTitle, paidAmount, change, thanks *bigText
	paid                                  fyne.CanvasObject
	failedTitle, failedNote, failedHint   *bigText
	failed                                fyne.CanvasObject
	refundTitle, refundNote, refundHint   *bigText
	refund                                fyne.CanvasObject
}

// New builds the display, showing the idle screen.
func New(d Deps) *View {
	if d.Now == nil {
		d.Now = time.Now
	}
	v := &View{deps: d, shown: -1}
	fg := theme.Color(theme.ColorNameForeground)
	v.store = newBigText(sizeHeader, true, fyne.TextAlignLeading, fg)
	v.store.Set(d.StoreName)

	v.idleStore = newBigText(sizeWelcome, true, fyne.TextAlignCenter, fg)
	v.idleStore.Set(d.StoreName)
	v.welcome = newBigText(sizePrompt, false, fyne.TextAlignCenter, fg)
	v.welcome.Set(i18n.T("custdisplay.welcome"))
	v.idle = middle(v.idleStore, v.welcome)

	v.buildCart(fg)
	v.buildQR(fg)
	v.paidTitle = newBigText(sizeOutcome, true, fyne.TextAlignCenter, outcomeText)
	v.paidAmount = newBigText(sizeDue, true, fyne.TextAlignCenter, outcomeText)
	v.change = newBigText(sizeTotal, true, fyne.TextAlignCenter, outcomeText)
	v.thanks = newBigText(sizeNote, false, fyne.TextAlignCenter, outcomeText)
	v.paid = outcome(paidGreen, v.paidTitle, v.paidAmount, v.change, v.thanks)
	v.failedTitle = newBigText(sizeOutcome, true, fyne.TextAlignCenter, outcomeText)
	v.failedNote = newBigText(sizeNote, false, fyne.TextAlignCenter, outcomeText)
	v.failedHint = newBigText(sizeNote, false, fyne.TextAlignCenter, outcomeText)
	v.failed = outcome(failedRed, v.failedTitle, v.failedNote, v.failedHint)
	v.refundTitle = newBigText(sizeOutcome, true, fyne.TextAlignCenter, outcomeText)
	v.refundNote = newBigText(sizeNote, false, fyne.TextAlignCenter, outcomeText)
	v.refundHint = newBigText(sizeNote, false, fyne.TextAlignCenter, outcomeText)
	v.refund = outcome(refundBlue, v.refundTitle, v.refundNote, v.refundHint)

	v.body = container.NewStack()
	header := container.NewPadded(v.store)
	v.root = container.NewBorder(container.NewVBox(header, widget.NewSeparator()), nil, nil, nil, v.body)
	v.Show(Screen{})
	return v
}

func (v *View) buildCart(fg color.Color) {
	v.Lines = widget.NewList(
		func() int { return len(v.lines) },
		func() fyne.CanvasObject {
			// Plain texts, not labels: a label measures every step of an
			// ellipsis, and a growing cart moves every visible row's text
			// on each scan.
			name := canvas.NewText("", fg)
			name.TextSize = sizeLine
			qty := canvas.NewText("", fg)
			qty.TextSize, qty.Alignment = sizeLine, fyne.TextAlignTrailing
			amount := canvas.NewText("", fg)
			amount.TextSize, amount.Alignment, amount.TextStyle = sizeLine, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}
			return container.New(lineLayout{}, name, qty, amount)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(v.lines) {
				return
			}
			l := v.lines[i]
			c := o.(*fyne.Container).Objects
			setText(c[0].(*canvas.Text), fitName(l.Name, v.Lines.Size().Width-qtyWidth-amountWidth))
			setText(c[1].(*canvas.Text), l.Qty)
			setText(c[2].(*canvas.Text), l.Amount.Display())
		})
	v.count = newBigText(sizeLine*0.8, false, fyne.TextAlignLeading, fg)
	v.total = newBigText(sizeTotal, false, fyne.TextAlignTrailing, fg)
	v.discountLabel = widget.NewLabel(i18n.T("custdisplay.discount"))
	v.discount = newBigText(sizeTotal, false, fyne.TextAlignTrailing, fg)
	v.due = newBigText(sizeDue, true, fyne.TextAlignTrailing, theme.Color(theme.ColorNamePrimary))
	v.prompt = newBigText(sizePrompt, true, fyne.TextAlignCenter, fg)
	v.note = newBigText(sizeNote*0.75, false, fyne.TextAlignCenter, fg)

	// Two rows of label and amount, then what is due at full size and
	// the prompt: all of it fits a 1024×600 customer screen.
	row := func(label fyne.CanvasObject, amount *bigText) fyne.CanvasObject {
		return container.NewBorder(nil, nil, label, nil, amount)
	}
	right := container.NewVBox(
		row(widget.NewLabel(i18n.T("custdisplay.total")), v.total),
		row(v.discountLabel, v.discount),
		widget.NewLabel(i18n.T("custdisplay.due")), v.due,
		layout.NewSpacer(), v.prompt, v.note)
	left := container.NewBorder(nil, v.count, nil, nil, bigger(v.Lines))
	v.cart = container.New(fraction(0.56), left, container.NewPadded(bigger(right)))
}

func (v *View) buildQR(fg color.Color) {
	v.qrPrompt = newBigText(sizeNote, true, fyne.TextAlignCenter, fg)
	v.qrDue = newBigText(sizeDue, true, fyne.TextAlignCenter, theme.Color(theme.ColorNamePrimary))
	v.countdown = newBigText(sizeNote*0.8, false, fyne.TextAlignCenter, fg)
	v.qrNote = newBigText(sizeNote*0.7, false, fyne.TextAlignCenter, fg)
	v.qrImage = canvas.NewImageFromImage(nil)
	v.qrImage.ScaleMode = canvas.ImageScalePixels // sharp module edges, no smoothing
	v.qrImage.FillMode = canvas.ImageFillContain
	v.qrImage.SetMinSize(fyne.NewSize(320, 320))
	dueLabel := widget.NewLabelWithStyle(i18n.T("custdisplay.due"), fyne.TextAlignCenter, fyne.TextStyle{})
	left := middle(v.qrPrompt, bigger(dueLabel), v.qrDue, v.countdown, v.qrNote)
	if v.deps.DemoPay != nil {
		v.DemoPay = widget.NewButton(i18n.T("custdisplay.demo_pay"), v.demoPay)
		left = container.NewBorder(nil, container.NewCenter(v.DemoPay), nil, nil, left)
	}
	// White behind the code whatever the theme: the quiet zone is part
	// of the image, and a phone reads dark modules on light.
	code := container.NewStack(canvas.NewRectangle(color.White), container.NewPadded(v.qrImage))
	v.qr = container.New(fraction(0.5), left, container.NewPadded(code))
}

// Content is the display's root object (the window's content).
func (v *View) Content() fyne.CanvasObject { return v.root }

// SetStoreName changes the name in the header and on the idle screen.
func (v *View) SetStoreName(name string) {
	v.deps.StoreName = name
	v.store.Set(name)
	v.idleStore.Set(name)
}

// Screen is what the display shows now.
func (v *View) Screen() Screen { return v.screen }

// Stop ends the QR countdown's ticker.
func (v *View) Stop() { v.stopTicker() }

// Show puts s on the display. It runs on the UI goroutine and is cheap
// enough for every change of the cart: texts that did not change are not
// redrawn and only the visible lines of a long cart are.
func (v *View) Show(s Screen) {
	v.screen = s
	var panel fyne.CanvasObject
	switch s.Phase {
	case Cart, AwaitCode, Paying:
		v.showCart(s)
		panel = v.cart
	case QR:
		v.showQR(s)
		panel = v.qr
	case Paid:
		v.paidTitle.Set(i18n.T("custdisplay.paid"))
		v.paidAmount.Set(s.Paid.Display())
		v.change.Set("")
		if s.Change > 0 {
			v.change.Set(i18n.T("custdisplay.change", "Amount", s.Change.Display()))
		}
		v.thanks.Set(nonEmpty(s.Message, i18n.T("custdisplay.thanks")))
		panel = v.paid
	case Failed:
		v.failedTitle.Set(i18n.T("custdisplay.failed"))
		v.failedNote.Set(s.Message)
		v.failedHint.Set(i18n.T("custdisplay.failed_hint"))
		panel = v.failed
	case Refund:
		v.refundTitle.Set(i18n.T("custdisplay.refund", "Amount", s.Paid.Display()))
		v.refundNote.Set(s.Message)
		v.refundHint.Set(i18n.T("custdisplay.refund_hint"))
		panel = v.refund
	default:
		panel = v.idle
	}
	if s.Phase != QR {
		v.stopTicker()
	}
	if s.Phase != v.shown || len(v.body.Objects) == 0 || v.body.Objects[0] != panel {
		v.shown = s.Phase
		v.body.Objects = []fyne.CanvasObject{panel}
		v.body.Refresh()
	}
}

func (v *View) showCart(s Screen) {
	v.lines = s.Lines
	v.Lines.Refresh()
	if n := len(s.Lines); n > 0 && n != v.lastLinesCount {
		v.Lines.ScrollToBottom() // the newest line is the one the customer looks for
	}
	v.lastLinesCount = len(s.Lines)
	v.count.Set(i18n.T("custdisplay.items", "N", len(s.Lines)))
	v.total.Set(s.Total.Display())
	if show := s.Discount != 0; show != v.discountShown {
		v.discountShown = show
		if show {
			v.discountLabel.Show()
			v.discount.Show()
		} else {
			v.discountLabel.Hide()
			v.discount.Hide()
		}
	}
	if s.Discount != 0 {
		v.discount.Set("-" + s.Discount.Display())
	}
	v.due.Set(s.Due.Display())
	switch s.Phase {
	case AwaitCode:
		v.prompt.Set(i18n.T("custdisplay.await"))
	case Paying:
		v.prompt.Set(i18n.T("custdisplay.paying"))
	default:
		v.prompt.Set("")
	}
	v.note.Set(s.Message)
}

func (v *View) showQR(s Screen) {
	if s.QR != v.qrFor {
		v.qrFor = s.QR
		v.qrImage.Image = qrImage(s.QR)
		v.qrImage.Refresh()
	}
	if s.QRWallet != "" {
		v.qrPrompt.Set(i18n.T("custdisplay.qr", "Wallet", i18n.M(app.WalletName(s.QRWallet))))
	} else {
		v.qrPrompt.Set(i18n.T("custdisplay.qr_any"))
	}
	v.qrDue.Set(s.Due.Display())
	v.qrNote.Set(s.Message)
	v.tick()
	if !s.Expires.IsZero() && v.ticker == nil && !v.manualTicks {
		v.startTicker()
	}
}

// demoPay has the sandbox's customer pay the code shown; what happens
// next comes from the Counter, as with a real phone.
func (v *View) demoPay() {
	url, pay := v.qrFor, v.deps.DemoPay
	if url == "" {
		return
	}
	v.DemoPay.Disable()
	var err error
	async.Run(func() { err = pay(url) }, func() {
		v.DemoPay.Enable()
		if err != nil {
			v.qrNote.Set(i18n.T("custdisplay.demo_failed", "Err", i18n.Err(err)))
		}
	})
}

// tick shows how long the code is still valid.
func (v *View) tick() {
	s := v.screen
	if s.Phase != QR || s.Expires.IsZero() {
		v.countdown.Set("")
		return
	}
	left := s.Expires.Sub(v.deps.Now())
	if left <= 0 {
		v.countdown.Set(i18n.T("custdisplay.expired"))
		v.stopTicker()
		return
	}
	secs := int(left.Round(time.Second) / time.Second)
	v.countdown.Set(i18n.T("custdisplay.expires", "Left", fmt.Sprintf("%02d:%02d", secs/60, secs%60)))
}

func (v *View) startTicker() {
	v.ticker = time.NewTicker(time.Second)
	v.tickDone = make(chan struct{})
	t, done := v.ticker, v.tickDone
	go func() {
		for {
			select {
			case <-t.C:
				async.Do(func() {
					if v.ticker == t {
						v.tick()
					}
				})
			case <-done:
				return
			}
		}
	}()
}

func (v *View) stopTicker() {
	if v.ticker == nil {
		return
	}
	v.ticker.Stop()
	close(v.tickDone)
	v.ticker, v.tickDone = nil, nil
}

// setText changes a text only when it differs: an unchanged one is not
// measured or drawn again.
func setText(t *canvas.Text, s string) {
	if t.Text != s {
		t.Text = s
		t.Refresh()
	}
}

// fitName cuts a product name to about width at the lines' size, with an
// ellipsis, by an estimate (a Chinese character one em, anything narrower
// about half): measuring every cut would cost more than the whole row.
func fitName(name string, width float32) string {
	if width <= 0 {
		return name
	}
	var used float32
	for i, r := range name {
		w := float32(sizeLine)
		if r < 0x2E80 {
			w *= 0.58
		}
		if used+w > width-sizeLine { // room for the ellipsis
			if rest := name[i:]; estimate(rest) <= width-used {
				return name // the rest fits after all
			}
			return name[:i] + "…"
		}
		used += w
	}
	return name
}

func estimate(s string) float32 {
	var w float32
	for _, r := range s {
		if r < 0x2E80 {
			w += sizeLine * 0.58
		} else {
			w += sizeLine
		}
	}
	return w
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// middle stacks objects across the whole width, centred top to bottom.
func middle(objs ...fyne.CanvasObject) fyne.CanvasObject {
	all := append([]fyne.CanvasObject{layout.NewSpacer()}, objs...)
	return container.NewPadded(container.NewVBox(append(all, layout.NewSpacer())...))
}

// outcome is a whole-screen result on a coloured ground.
func outcome(bg color.Color, objs ...fyne.CanvasObject) fyne.CanvasObject {
	return container.NewStack(canvas.NewRectangle(bg), middle(objs...))
}
