package main

import (
	"context"
	"image"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/hardware"
	"cashier/hardware/scanner"
	"cashier/hardware/sim"
	"cashier/hardware/speaker"
	"cashier/localdb"
	"cashier/ui/async"
	"cashier/ui/counter"
	"cashier/ui/i18n"
	"cashier/ui/shell"
)

// till is the Counter on the real services: the sandbox gateway for the
// channels, the demo catalogue, the simulated printer (with its drawer)
// and speaker, and the headless window a cashier would type into.
type till struct {
	t   *testing.T
	w   *world
	v   *counter.View
	win fyne.Window
}

func newTill(t *testing.T, ch app.ChannelName) *till { return newTillWith(t, ch, nil) }

// newTillWith is newTill with the channels wrapped (faults).
func newTillWith(t *testing.T, ch app.ChannelName, wrap func(app.PaymentChannel) app.PaymentChannel) *till {
	require.NoError(t, i18n.Use(i18n.Chinese))
	async.Serial = true
	t.Cleanup(func() { async.Serial = false })
	w := newWorld(t, routeAllTo(ch), nil)
	w.close()
	w.devices = true
	w.open(wrap)
	test.NewTempApp(t)
	tl := &till{t: t, w: w}
	tl.start()
	return tl
}

// start builds the Counter as the GUI does, for the demo manager, fully
// loaded before the first scan.
func (tl *till) start() {
	sync := async.Synchronous
	async.Synchronous = true
	defer func() { async.Synchronous = sync }()
	tl.win = test.NewTempWindow(tl.t, nil)
	tl.win.Resize(fyne.NewSize(1024, 768))
	tl.v = counter.New(counterDeps(tl.w.s, shell.Session{Staff: tl.w.staff, Window: tl.win}))
	tl.win.SetContent(tl.v.Content())
	tl.win.Canvas().Focus(tl.v.Line)
	tl.t.Cleanup(func() { async.DoAndWait(tl.v.Stop) })
}

// scan is a code from the scanner (the app's one scan stream).
func (tl *till) scan(code string) {
	tl.w.s.Devices.hub.Publish(scanner.Scan{Code: code, Device: "test", At: time.Now()})
}

// onScreen reads the screen on the UI goroutine.
func onScreen[T any](f func() T) T {
	out := make(chan T, 1)
	async.DoAndWait(func() { out <- f() })
	return <-out
}

func (tl *till) lines() int {
	return onScreen(func() int { r, _ := tl.v.Cart.Length(); return r })
}

func (tl *till) waitBanner(want string) {
	tl.t.Helper()
	require.Eventually(tl.t, func() bool { return onScreen(func() string { return tl.v.Banner.Text }) == want },
		60*time.Second, 20*time.Millisecond, "banner %q; status %q", want, onScreen(func() string { return tl.v.Status.Text }))
}

func (tl *till) key(k fyne.KeyName) {
	async.DoAndWait(func() {
		if f := tl.win.Canvas().Focused(); f != nil {
			f.TypedKey(&fyne.KeyEvent{Name: k})
			return
		}
		tl.v.Line.TypedKey(&fyne.KeyEvent{Name: k})
	})
}

// answer types into the prompt that has the focus and presses Enter.
func (tl *till) answer(text string) {
	async.DoAndWait(func() {
		f := tl.win.Canvas().Focused()
		require.NotNil(tl.t, f)
		if text != "" {
			test.Type(f.(fyne.Focusable), text)
		}
		f.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	})
}

// threeProducts scans the first three demo products (￥2 + ￥2 + ￥3). The
// headless driver runs the screen's work on the goroutine that asks for
// it, so the test waits for what the screen shows, never reads it midway.
func (tl *till) threeProducts() {
	for i, due := range []string{"应收 ￥2.00", "应收 ￥4.00", "应收 ￥7.00"} {
		tl.scan(localdb.DemoBarcode(i))
		require.Eventually(tl.t, func() bool {
			return tl.lines() == i+1 && onScreen(func() string { return tl.v.Total.Text }) == due
		}, 10*time.Second, 5*time.Millisecond, "line %d: %q", i+1, onScreen(func() string { return tl.v.Status.Text }))
	}
}

// receipt waits for the printer to finish the receipt of order no.
func (tl *till) receipt(no string) sim.PrinterReceipt {
	var got sim.PrinterReceipt
	require.Eventually(tl.t, func() bool {
		for _, r := range tl.w.s.Devices.emu.Receipts() {
			if strings.Contains(r.Text, app.ShortNo(no)) {
				got = r
				return true
			}
		}
		return false
	}, 30*time.Second, 20*time.Millisecond, "no receipt for %s", no)
	return got
}

// lastOrder is the order the Counter is on (or sold last), as stored.
func (tl *till) lastOrder() app.Order {
	tl.t.Helper()
	no := onScreen(tl.v.OrderNo)
	require.NotEmpty(tl.t, no)
	o, err := tl.w.db.GetOrder(context.Background(), no)
	require.NoError(tl.t, err)
	return o
}

// A whole sale at the counter: three products scanned, the customer's
// WeChat code (the customer types the password first: USERPAYING, then
// paid) pays; the receipt printed has the three lines and the order
// number as a barcode, the speaker says the amount.
func TestTill_ScanThreeAndPayByCode(t *testing.T) {
	tl := newTill(t, app.ChannelWeChat)
	tl.threeProducts()
	tl.scan(codeFor(app.WalletWeChat, "101"))
	tl.waitBanner("收款成功 ￥7.00")

	o := tl.lastOrder()
	require.Equal(t, app.OrderPaid, o.Status)
	require.Len(t, o.Lines, 3)
	r := tl.receipt(o.OrderNo)
	for _, l := range o.Lines {
		assert.Contains(t, r.Text, strings.Fields(l.Name)[0])
	}
	assert.Contains(t, r.Barcodes, o.OrderNo)
	assert.Empty(t, r.Drawer, "no drawer for a wallet sale")
	require.Eventually(t, func() bool {
		for _, u := range tl.w.s.Devices.spkSim.Spoken() {
			if u.Text == speaker.Collected(700) {
				return true
			}
		}
		return false
	}, 30*time.Second, 20*time.Millisecond)
	assert.Equal(t, 0, tl.lines(), "the next customer starts with an empty cart")
	checkLedger(t, tl.w.gw.Server.Ledger(), tl.w.store, tl.w.db)
}

// Esc while the customer is still typing the password cancels: the
// channel is asked, the payment reversed (or found paid, if the customer
// was quicker), and the order is still the cashier's to settle.
func TestTill_EscDuringUserPayingCancels(t *testing.T) {
	tl := newTill(t, app.ChannelWeChat)
	tl.threeProducts()
	async.Synchronous = false
	t.Cleanup(func() { async.Synchronous = true })
	tl.scan(codeFor(app.WalletWeChat, "101"))
	require.Eventually(t, func() bool { return len(tl.w.pay.Active()) == 1 }, 30*time.Second, time.Millisecond)
	tl.key(fyne.KeyEscape)
	require.Eventually(t, func() bool { return onScreen(func() string { return tl.v.Banner.Text }) != "" }, 60*time.Second, 20*time.Millisecond)
	o := tl.lastOrder()
	if o.Status == app.OrderPaid {
		t.Log("the customer finished before the cancel reached the channel")
	} else {
		assert.Equal(t, "收款失败", onScreen(func() string { return tl.v.Banner.Text }))
		assert.True(t, o.Status.Open(), "the order stays open for another tender")
	}
	checkLedger(t, tl.w.gw.Server.Ledger(), tl.w.store, tl.w.db)
}

// Cash with change: F7, the customer hands ￥10; the change is shown, the
// drawer kicked, the receipt says what was received and the change.
func TestTill_CashWithChangeKicksTheDrawer(t *testing.T) {
	async.Synchronous = true
	t.Cleanup(func() { async.Synchronous = false })
	tl := newTill(t, app.ChannelWeChat)
	tl.threeProducts()
	tl.key(fyne.KeyF7)
	tl.answer("10")
	tl.waitBanner("收款成功 ￥7.00")
	assert.Contains(t, onScreen(func() string { return tl.v.BannerSub.Text }), "找零 ￥3.00")
	o := tl.lastOrder()
	require.Len(t, o.Tenders, 1)
	assert.Equal(t, app.Money(1000), o.Tenders[0].CashReceived)
	r := tl.receipt(o.OrderNo)
	assert.Contains(t, r.Text, "现金")
	assert.Contains(t, r.Text, "3.00")
	kicked := false
	require.Eventually(t, func() bool {
		for _, rc := range tl.w.s.Devices.emu.Receipts() {
			kicked = kicked || len(rc.Drawer) > 0
		}
		return kicked || tl.w.s.Devices.emu.Stats().Receipts > 1
	}, 30*time.Second, 20*time.Millisecond)
	assert.True(t, kicked, "the drawer was kicked (ESC p)")
}

// Cash for part, the customer's WeChat code for the rest: one order, two
// tenders, both on the receipt.
func TestTill_CashAndWeChatSplit(t *testing.T) {
	async.Synchronous = true
	t.Cleanup(func() { async.Synchronous = false })
	tl := newTill(t, app.ChannelWeChat)
	tl.threeProducts()
	tl.key(fyne.KeyF7)
	tl.answer("5")
	tl.answer("") // yes, take it as part payment
	require.Eventually(t, func() bool { return onScreen(func() string { return tl.v.Total.Text }) == "应收 ￥2.00" }, 10*time.Second, 10*time.Millisecond)
	tl.scan(codeFor(app.WalletWeChat, "000"))
	tl.waitBanner("收款成功 ￥7.00")
	o := tl.lastOrder()
	require.Len(t, o.Tenders, 2)
	assert.Equal(t, app.TenderCash, o.Tenders[0].Kind)
	assert.Equal(t, app.Money(500), o.Tenders[0].Amount)
	assert.Equal(t, app.TenderWallet, o.Tenders[1].Kind)
	assert.Equal(t, app.Money(200), o.Tenders[1].Amount)
	r := tl.receipt(o.OrderNo)
	assert.Contains(t, r.Text, "现金")
	assert.Contains(t, r.Text, "微信")
	checkLedger(t, tl.w.gw.Server.Ledger(), tl.w.store, tl.w.db)
}

// Hold the cart, restart the app (the services closed and opened again),
// resume it from the list and sell it: held carts live in the database.
func TestTill_HoldRestartResume(t *testing.T) {
	async.Synchronous = true
	t.Cleanup(func() { async.Synchronous = false })
	tl := newTill(t, app.ChannelWeChat)
	tl.threeProducts()
	tl.key(fyne.KeyF5)
	tl.answer("红衣服")
	require.Eventually(t, func() bool { return tl.lines() == 0 }, 10*time.Second, 5*time.Millisecond)
	assert.Equal(t, "已挂单，可以接待下一位顾客", onScreen(func() string { return tl.v.Status.Text }))

	async.DoAndWait(tl.v.Stop)
	tl.w.close()
	tl.w.open(nil)
	tl.start()
	tl.key(fyne.KeyF6)
	tl.key(fyne.KeyReturn) // the list has the focus: Enter resumes the one held cart
	require.Eventually(t, func() bool {
		return tl.lines() == 3 && onScreen(func() string { return tl.v.Total.Text }) == "应收 ￥7.00"
	}, 10*time.Second, 5*time.Millisecond, onScreen(func() string { return tl.v.Status.Text }))
	assert.Equal(t, tl.v.Line, onScreen(tl.win.Canvas().Focused), "back on the scan line")
	tl.key(fyne.KeyF7)
	tl.answer("")
	tl.waitBanner("收款成功 ￥7.00")
	held, err := tl.w.s.Holds.List(context.Background())
	require.NoError(t, err)
	assert.Empty(t, held, "a resumed cart is no longer held")
}

// A dynamic QR sale: F8, WeChat; the QR on the Counter decodes to the
// channel's code URL, the customer scans it and pays (the sandbox's
// customer), the Counter sees the payment and the order is paid.
func TestTill_DynamicQRSale(t *testing.T) {
	async.Synchronous = true
	tl := newTill(t, app.ChannelWeChat)
	tl.threeProducts()
	async.Synchronous = false
	t.Cleanup(func() { async.Synchronous = true })
	tl.key(fyne.KeyF8)
	tl.answer("1")
	var img image.Image
	require.Eventually(t, func() bool {
		img = onScreen(func() image.Image {
			if !tl.v.QRImage.Visible() {
				return nil
			}
			return tl.v.QRImage.Image
		})
		return img != nil
	}, 30*time.Second, 10*time.Millisecond, onScreen(func() string { return tl.v.Status.Text }))
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	require.NoError(t, err)
	res, err := gzqr.NewQRCodeReader().Decode(bmp, nil)
	require.NoError(t, err)
	url := res.GetText()
	require.True(t, strings.HasPrefix(url, "weixin://"), url)
	assert.Contains(t, onScreen(func() string { return tl.v.Status.Text }), "扫码")
	require.NoError(t, tl.w.gw.Server.PayQR(url)) // the customer scans and pays
	tl.waitBanner("收款成功 ￥7.00")
	o := tl.lastOrder()
	assert.Equal(t, app.OrderPaid, o.Status)
	assert.False(t, onScreen(tl.v.QRImage.Visible), "the QR goes once paid")
	checkLedger(t, tl.w.gw.Server.Ledger(), tl.w.store, tl.w.db)
}

// texts is every text shown under o (labels, canvas texts, entries), to
// read a screen the test cannot reach by its fields.
func texts(o fyne.CanvasObject) string {
	var b strings.Builder
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch x := o.(type) {
		case *widget.Label:
			b.WriteString(x.Text + "\n")
		case *canvas.Text:
			b.WriteString(x.Text + "\n")
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
			return
		}
		if w, ok := o.(fyne.Widget); ok {
			for _, c := range test.WidgetRenderer(w).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return b.String()
}

// A refund from the Counter (F9) by the receipt's barcode: the barcode
// goes to the refund screen, not the cart; everything goes back through
// WeChat; Esc returns to the Counter, which takes scans again.
func TestTill_RefundByReceiptBarcode(t *testing.T) {
	async.Synchronous = true
	t.Cleanup(func() { async.Synchronous = false })
	tl := newTill(t, app.ChannelWeChat)
	tl.threeProducts()
	tl.scan(codeFor(app.WalletWeChat, "000"))
	tl.waitBanner("收款成功 ￥7.00")
	sold := tl.lastOrder()

	tl.key(fyne.KeyF9)
	screen := func() string {
		return onScreen(func() string {
			if top := tl.win.Canvas().Overlays().Top(); top != nil {
				return texts(top)
			}
			return ""
		})
	}
	tl.scan(sold.OrderNo) // the receipt's barcode
	require.Eventually(t, func() bool { return strings.Contains(screen(), "可口可乐") }, 10*time.Second, 10*time.Millisecond,
		"the order is on the refund screen: %s", screen())
	assert.Equal(t, 0, tl.lines(), "the receipt's barcode did not go into the cart")
	tl.key(fyne.KeyF2)     // everything
	tl.key(fyne.KeyReturn) // the plan shown: confirm
	require.Eventually(t, func() bool {
		o, err := tl.w.db.GetOrder(context.Background(), sold.OrderNo)
		return err == nil && o.Status == app.OrderRefunded
	}, 30*time.Second, 20*time.Millisecond, screen())
	for range 3 {
		if onScreen(func() bool { return tl.win.Canvas().Overlays().Top() == nil }) {
			break
		}
		tl.key(fyne.KeyEscape)
	}
	require.Nil(t, onScreen(tl.win.Canvas().Overlays().Top), "Esc closed the refund screen")
	assert.Equal(t, tl.v.Line, onScreen(tl.win.Canvas().Focused), "back on the scan line")
	tl.scan(localdb.DemoBarcode(0))
	require.Eventually(t, func() bool { return tl.lines() == 1 }, 10*time.Second, 5*time.Millisecond)
}

// cutChannel is the network going away after a payment was sent: the
// charge reaches the channel, but neither its answer nor any query's
// comes back while cut is set.
type cutChannel struct {
	app.PaymentChannel
	cut *atomic.Bool
}

func (c cutChannel) Pay(ctx context.Context, r app.PayRequest) (app.ChannelResult, error) {
	res, err := c.PaymentChannel.Pay(ctx, r)
	if c.cut.Load() && err == nil {
		return app.ChannelResult{Outcome: app.OutcomeUnknown, Message: "network down"}, nil
	}
	return res, err
}

func (c cutChannel) Query(ctx context.Context, r app.OrderRef) (app.ChannelResult, error) {
	if c.cut.Load() {
		return app.ChannelResult{Outcome: app.OutcomeUnknown, Message: "network down"}, nil
	}
	return c.PaymentChannel.Query(ctx, r)
}

func (c cutChannel) Reverse(ctx context.Context, r app.OrderRef) (app.ChannelResult, error) {
	if c.cut.Load() {
		return app.ChannelResult{Outcome: app.OutcomeUnknown, Message: "network down"}, nil
	}
	return c.PaymentChannel.Reverse(ctx, r)
}

// The network goes while the customer pays: the Counter does not say
// "failed" (the customer may have paid); it says the outcome is not
// confirmed, keeps the order unpaid with the tender pending (nothing can
// charge it twice) and moves on. Once the network is back, recovery finds
// the payment and the order is paid.
func TestTill_NetworkGoneDuringAPayment(t *testing.T) {
	async.Synchronous = true
	t.Cleanup(func() { async.Synchronous = false })
	var cut atomic.Bool
	tl := newTillWith(t, app.ChannelWeChat, func(ch app.PaymentChannel) app.PaymentChannel { return cutChannel{ch, &cut} })
	tl.threeProducts()
	cut.Store(true)
	tl.scan(codeFor(app.WalletWeChat, "000"))
	tl.waitBanner("结果未确认")
	assert.Contains(t, onScreen(func() string { return tl.v.BannerSub.Text }), "请不要让顾客重复付款")
	o := tl.lastOrder()
	assert.True(t, o.Status.Open(), "not paid, not failed: %s", o.Status)
	assert.Equal(t, app.Money(0), o.Due(), "the pending tender holds the amount: no second charge")
	assert.Equal(t, 0, tl.lines(), "the next customer can be served")

	cut.Store(false)
	_, err := tl.w.pay.Recover(context.Background())
	require.NoError(t, err)
	o, err = tl.w.db.GetOrder(context.Background(), o.OrderNo)
	require.NoError(t, err)
	assert.Equal(t, app.OrderPaid, o.Status, "recovery asked the channel: the customer had paid")
	checkLedger(t, tl.w.gw.Server.Ledger(), tl.w.store, tl.w.db)
}

// The printer runs out of paper: the sale completes, the receipt waits
// in the queue, the Counter says so; with paper back it prints.
func TestTill_PrinterOutOfPaper(t *testing.T) {
	async.Synchronous = true
	t.Cleanup(func() { async.Synchronous = false })
	tl := newTill(t, app.ChannelWeChat)
	emu := tl.w.s.Devices.emu
	emu.SetPaperOut(true)
	require.Eventually(t, func() bool { return tl.w.s.Devices.printer.State().State == hardware.StatePaperOut },
		30*time.Second, 10*time.Millisecond)
	tl.threeProducts()
	tl.key(fyne.KeyF7)
	tl.answer("")
	tl.waitBanner("收款成功 ￥7.00")
	assert.True(t, onScreen(tl.v.Warn.Visible))
	assert.Contains(t, onScreen(func() string { return tl.v.Warn.Text }), "缺纸")
	o := tl.lastOrder()
	assert.Equal(t, app.OrderPaid, o.Status)
	emu.SetPaperOut(false)
	tl.receipt(o.OrderNo)
}
