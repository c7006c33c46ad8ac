package custdisplay

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/postheme"
)

var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func newDisplay(t testing.TB, lang string) (*View, fyne.Window, *clock) {
	t.Helper()
	require.NoError(t, i18n.Use(lang))
	t.Cleanup(func() { _ = i18n.Use(i18n.Chinese) })
	a := test.NewTempApp(t)
	a.Settings().SetTheme(postheme.New())
	c := &clock{t: now}
	v := New(Deps{StoreName: "好邻居便利店", Now: c.Now})
	v.manualTicks = true // the test moves the clock and ticks
	w := test.NewTempWindow(t, v.Content())
	w.Resize(fyne.NewSize(1024, 600))
	t.Cleanup(v.Stop)
	return v, w, c
}

// texts are the words on screen: every visible text in the tree.
func texts(o fyne.CanvasObject) []string {
	if o == nil || !o.Visible() {
		return nil
	}
	switch x := o.(type) {
	case *canvas.Text:
		if x.Text != "" {
			return []string{x.Text}
		}
		return nil
	case *fyne.Container:
		var out []string
		for _, c := range x.Objects {
			out = append(out, texts(c)...)
		}
		return out
	case fyne.Widget:
		var out []string
		for _, c := range test.WidgetRenderer(x).Objects() {
			out = append(out, texts(c)...)
		}
		return out
	}
	return nil
}

func onScreen(v *View) string { return strings.Join(texts(v.Content()), " | ") }

func cart(n int) []Line {
	out := make([]Line, n)
	for i := range out {
		out[i] = Line{Name: fmt.Sprintf("商品%03d", i+1), Qty: "1", Amount: app.Money(100 + i)}
	}
	return out
}

var sample = []Line{
	{Name: "农夫山泉 550ml", Qty: "2", Amount: 400},
	{Name: "猪肉", Qty: "0.600kg", Amount: 3120},
	{Name: "乐事原味薯片 70g", Qty: "1", Amount: 800},
}

// Each phase shows its own words and amounts, and none of another's.
func TestView_Phases(t *testing.T) {
	v, _, _ := newDisplay(t, i18n.Chinese)
	idle := onScreen(v)
	require.Contains(t, idle, "好邻居便利店")
	require.Contains(t, idle, "欢迎光临")

	v.Show(Screen{Phase: Cart, Lines: sample, Total: 4500, Discount: 180, Due: 4320})
	s := onScreen(v)
	for _, want := range []string{"农夫山泉 550ml", "0.600kg", "￥31.20", "合计", "￥45.00", "优惠", "-￥1.80", "应付", "￥43.20", "共 3 项"} {
		require.Contains(t, s, want)
	}
	require.NotContains(t, s, "欢迎光临")
	require.NotContains(t, s, "请出示付款码")

	v.Show(Screen{Phase: Cart, Lines: sample[:1], Total: 400, Due: 400})
	s = onScreen(v)
	require.NotContains(t, s, "优惠", "no discount, no discount line")
	require.Contains(t, s, "￥4.00")

	v.Show(Screen{Phase: AwaitCode, Lines: sample, Total: 4320, Due: 4320})
	require.Contains(t, onScreen(v), "请出示付款码")
	v.Show(Screen{Phase: Paying, Lines: sample, Total: 4320, Due: 4320, Message: "已等待 12 秒"})
	s = onScreen(v)
	require.Contains(t, s, "请在手机上确认付款")
	require.Contains(t, s, "已等待 12 秒")
	require.NotContains(t, s, "请出示付款码")

	v.Show(Screen{Phase: Paid, Lines: sample, Total: 4320, Paid: 4320, Change: 180})
	s = onScreen(v)
	for _, want := range []string{"支付成功", "￥43.20", "找零 ￥1.80", "谢谢惠顾"} {
		require.Contains(t, s, want)
	}
	require.NotContains(t, s, "农夫山泉", "the outcome covers the cart")
	v.Show(Screen{Phase: Paid, Paid: 1000})
	require.NotContains(t, onScreen(v), "找零", "no change, no change line")

	v.Show(Screen{Phase: Failed, Due: 4320, Message: "余额不足"})
	s = onScreen(v)
	require.Contains(t, s, "支付未成功")
	require.Contains(t, s, "余额不足")
	require.Contains(t, s, "请重新付款")
	require.NotContains(t, s, "支付成功")

	v.Show(Screen{Phase: Refund, Paid: 800, Message: "薯片退货"})
	s = onScreen(v)
	require.Contains(t, s, "退款 ￥8.00")
	require.Contains(t, s, "薯片退货")
	require.Contains(t, s, "原路退回")

	v.Show(Screen{})
	require.Contains(t, onScreen(v), "欢迎光临")
}

// The display speaks the app's language.
func TestView_English(t *testing.T) {
	v, _, _ := newDisplay(t, i18n.English)
	v.Show(Screen{Phase: AwaitCode, Lines: sample, Total: 4320, Due: 4320})
	s := onScreen(v)
	require.Contains(t, s, "Please show your payment code")
	require.Contains(t, s, "To pay")
	require.NotContains(t, s, "请出示付款码")
}

// decodeQR reads a QR code off a picture of the screen.
func decodeQR(t *testing.T, w fyne.Window) string {
	t.Helper()
	img := w.Canvas().Capture()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	require.NoError(t, err)
	res, err := gzqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	require.NoError(t, err)
	return res.GetText()
}

// The payment code is drawn big and sharp enough to scan back from the
// screen, with the wallet's name, what is due and how long it is valid;
// a new code replaces the old one; the countdown ends in "expired".
func TestView_QRScansBackAndCountsDown(t *testing.T) {
	v, w, c := newDisplay(t, i18n.Chinese)
	url := "weixin://wxpay/bizpayurl?pr=Ab12Cd3"
	v.Show(Screen{Phase: QR, QR: url, QRWallet: app.WalletWeChat, Due: 4320, Expires: now.Add(90 * time.Second), Lines: sample})
	s := onScreen(v)
	require.Contains(t, s, "请用微信支付扫码付款")
	require.Contains(t, s, "￥43.20")
	require.Contains(t, s, "01:30 后失效")
	require.Equal(t, url, decodeQR(t, w))
	sz := v.qrImage.Size()
	require.GreaterOrEqual(t, min(sz.Width, sz.Height), float32(300), "a code the customer's phone finds from a distance: %v", sz)

	alipay := "https://qr.alipay.com/bax01234abcd5678"
	v.Show(Screen{Phase: QR, QR: alipay, QRWallet: app.WalletAlipay, Due: 4320, Expires: now.Add(90 * time.Second)})
	require.Equal(t, alipay, decodeQR(t, w))
	require.Contains(t, onScreen(v), "支付宝")

	c.t = now.Add(31 * time.Second)
	v.tick()
	require.Contains(t, onScreen(v), "00:59 后失效")
	c.t = now.Add(2 * time.Minute)
	v.tick()
	require.Contains(t, onScreen(v), "二维码已失效")
}

// The countdown ticks by itself while the code is shown.
func TestView_CountdownTicks(t *testing.T) {
	start := time.Now()
	require.NoError(t, i18n.Use(i18n.Chinese))
	test.NewTempApp(t)
	// The ticker's updates and this test's reads take turns, as on the
	// real driver's one event goroutine.
	async.Serial = true
	t.Cleanup(func() { async.Serial = false })
	v := New(Deps{StoreName: "店"})
	t.Cleanup(v.Stop)
	v.Show(Screen{Phase: QR, QR: "https://qr.alipay.com/x", Expires: start.Add(10 * time.Second)})
	first := v.countdown.Text()
	require.Eventually(t, func() bool {
		var now string
		async.DoAndWait(func() { now = v.countdown.Text() })
		return now != first
	}, 5*time.Second, 50*time.Millisecond, "the countdown moves on without a Show")
	async.DoAndWait(func() {
		v.Show(Screen{Phase: Paid, Paid: 100})
		require.Nil(t, v.ticker, "nothing ticks once the code is gone")
	})
}

// A cart of 200 lines: the list draws only what fits, the newest line in
// view. How long a Show takes is BenchmarkShowGrowingCart's (a timed
// assertion here would fail on a loaded machine, not on slow code).
func TestView_LongCartStaysFast(t *testing.T) {
	v, w, _ := newDisplay(t, i18n.Chinese)
	lines := cart(200)
	for n := 1; n <= len(lines); n++ {
		v.Show(Screen{Phase: Cart, Lines: lines[:n], Total: app.Money(n * 100), Due: app.Money(n * 100)})
	}
	w.Canvas().Refresh(v.Content())
	s := onScreen(v)
	require.Contains(t, s, "商品200", "the newest line is in view")
	require.NotContains(t, s, "商品001", "the oldest scrolled away")
	require.Contains(t, s, "共 200 项")
	var count func(o fyne.CanvasObject) int
	count = func(o fyne.CanvasObject) int {
		n := 1
		switch x := o.(type) {
		case *fyne.Container:
			for _, c := range x.Objects {
				n += count(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				n += count(c)
			}
		}
		return n
	}
	require.Less(t, count(v.Content()), 600, "rows are reused, not made for each of the 200 lines")
}

// A long amount shrinks to fit a narrow display instead of being cut.
func TestBigText_ShrinksToFit(t *testing.T) {
	test.NewTempApp(t)
	b := newBigText(sizeDue, true, fyne.TextAlignTrailing, nil)
	b.Set("￥99999999.99")
	w := test.NewTempWindow(t, b)
	w.Resize(fyne.NewSize(300, 200))
	b.Resize(fyne.NewSize(300, 150))
	b.Refresh()
	require.Less(t, b.text.TextSize, float32(sizeDue))
	require.LessOrEqual(t, fyne.MeasureText(b.text.Text, b.text.TextSize, b.text.TextStyle).Width, float32(300.5))
	b.Set("￥1")
	b.Refresh()
	require.Equal(t, float32(sizeDue), b.text.TextSize, "a short one at full size")
}

// With the sandbox, a button under the code has its customer pay it;
// a failure is said under the code. Without it there is no button.
func TestView_SandboxDemoPay(t *testing.T) {
	require.NoError(t, i18n.Use(i18n.Chinese))
	a := test.NewTempApp(t)
	a.Settings().SetTheme(postheme.New())
	async.Synchronous = true
	t.Cleanup(func() { async.Synchronous = false })
	var paid []string
	var fail error
	v := New(Deps{StoreName: "店", DemoPay: func(url string) error { paid = append(paid, url); return fail }})
	t.Cleanup(v.Stop)
	test.NewTempWindow(t, v.Content())
	v.Show(Screen{Phase: QR, QR: "https://qr.alipay.com/abc", Due: 100})
	require.Contains(t, onScreen(v), "沙箱")
	test.Tap(v.DemoPay)
	require.Equal(t, []string{"https://qr.alipay.com/abc"}, paid)
	fail = errors.New("sandbox gone")
	test.Tap(v.DemoPay)
	require.Contains(t, onScreen(v), "sandbox gone")

	live, _, _ := newDisplay(t, i18n.Chinese)
	require.Nil(t, live.DemoPay)
	live.Show(Screen{Phase: QR, QR: "https://qr.alipay.com/abc", Due: 100})
	require.NotContains(t, onScreen(live), "沙箱")
}

// BenchmarkShowGrowingCart is one Show of a cart as it grows to 200 lines
// (the customer display follows every scan).
func BenchmarkShowGrowingCart(b *testing.B) {
	v, _, _ := newDisplay(b, i18n.Chinese)
	lines := cart(200)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := i%len(lines) + 1
		v.Show(Screen{Phase: Cart, Lines: lines[:n], Total: app.Money(n * 100), Due: app.Money(n * 100)})
	}
}
