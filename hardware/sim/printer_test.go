package sim_test

import (
	"image"
	"image/color"
	"image/png"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/hardware/escpos"
	"cashier/hardware/ptytest"
	"cashier/hardware/receipt"
	"cashier/hardware/sim"
)

func decode(t *testing.T, img image.Image, r gozxing.Reader) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	require.NoError(t, err)
	res, err := r.Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true})
	require.NoError(t, err)
	return res.GetText()
}

func saleJob(t testing.TB, paper escpos.Paper) []byte {
	h := receipt.Header{Name: "好邻居便利店", Address: "深圳市南山区科技园路1号", Phone: "0755-12345678", Footer: "谢谢惠顾，欢迎再来！\n退换请保留小票"}
	s := receipt.Sale{
		OrderNo: "P0120260116093045123456", Time: time.Date(2026, 1, 16, 9, 30, 45, 0, time.Local),
		Cashier: "张三", Terminal: "1号收银台",
		Lines: []receipt.Line{
			{Name: "可口可乐 330ml", Qty: 2, UnitPrice: 350, Amount: 700},
			{Name: "康师傅红烧牛肉面（桶装）大份量加量不加价", Qty: 1, UnitPrice: 550, Amount: 550},
			{Name: "Apple", Qty: 3, UnitPrice: 199, Amount: 597},
		},
		Total: 1847, Discount: 47, Payable: 1800,
		Payments: []receipt.Payment{{Method: "微信支付", Amount: 1800, Ref: "4200001234202601160000000001"}},
		QR:       "https://pos.example.cn/o/P0120260116093045123456", QRCaption: "扫码查看电子小票",
	}
	b, err := receipt.SaleReceipt(h, s, receipt.Options{Paper: paper})
	require.NoError(t, err)
	return b
}

func TestPrinterEmulator_SaleReceiptRendersDecodableCodes(t *testing.T) {
	for _, paper := range []escpos.Paper{escpos.Paper80, escpos.Paper58} {
		e := sim.NewPrinterEmulator(sim.PrinterOptions{Paper: paper})
		assert.Empty(t, e.Feed(saleJob(t, paper)))
		rs := e.Receipts()
		require.Len(t, rs, 1, "paper %d", paper)
		r := rs[0]
		assert.True(t, r.Cut)
		assert.Empty(t, r.Notes)
		assert.Equal(t, []string{"P0120260116093045123456"}, r.Barcodes)
		assert.Equal(t, []string{"https://pos.example.cn/o/P0120260116093045123456"}, r.QRCodes)
		for _, want := range []string{"好邻居便利店", "销售小票", "可口可乐 330ml", "微信支付", "￥18.00", "谢谢惠顾，欢迎再来！", "扫码查看电子小票"} {
			assert.Contains(t, r.Text, want, "paper %d", paper)
		}
		for _, l := range strings.Split(r.Text, "\n") {
			assert.LessOrEqual(t, escpos.Width(l), paper.Columns(), "line %q", l)
		}
		assert.Equal(t, paper.Dots()+32, r.Image.Bounds().Dx())

		// the bars and the QR on the image, not just the emulator's notes
		assert.Equal(t, "P0120260116093045123456", decode(t, r.Image, oned.NewCode128Reader()))
		assert.Equal(t, "https://pos.example.cn/o/P0120260116093045123456", decode(t, r.Image, gzqr.NewQRCodeReader()))
		if os.Getenv("PRINTER_PNG") != "" {
			f, err := os.Create(filepath.Join(os.Getenv("PRINTER_PNG"), "receipt"+map[escpos.Paper]string{58: "58", 80: "80"}[paper]+".png"))
			require.NoError(t, err)
			require.NoError(t, png.Encode(f, r.Image))
			f.Close()
		}
	}
}

func TestPrinterEmulator_ChineseIsDrawn(t *testing.T) {
	e := sim.NewPrinterEmulator(sim.PrinterOptions{Paper: escpos.Paper58})
	b, _ := escpos.New(escpos.Paper58).Line("收款").Cut().Bytes()
	e.Feed(b)
	r := e.Receipts()[0]
	assert.Equal(t, "收款", r.Text)
	// two 24-dot cells of ink, not tofu boxes or nothing
	dark := 0
	for y := 0; y < 24; y++ {
		for x := 16; x < 16+48; x++ {
			if r.Image.GrayAt(x, y).Y < 128 {
				dark++
			}
		}
	}
	assert.Greater(t, dark, 60)
}

func TestPrinterEmulator_SplitAnywhereSameResult(t *testing.T) {
	job := saleJob(t, escpos.Paper80)
	whole := sim.NewPrinterEmulator(sim.PrinterOptions{})
	whole.Feed(job)
	bytewise := sim.NewPrinterEmulator(sim.PrinterOptions{})
	for i := range job {
		bytewise.Feed(job[i : i+1])
	}
	a, b := whole.Receipts(), bytewise.Receipts()
	require.Len(t, b, 1)
	assert.Equal(t, a[0].Text, b[0].Text)
	assert.Equal(t, a[0].Barcodes, b[0].Barcodes)
	assert.Equal(t, a[0].Image.Pix, b[0].Image.Pix)
}

func TestPrinterEmulator_StatusReplies(t *testing.T) {
	e := sim.NewPrinterEmulator(sim.PrinterOptions{})
	q := []byte{0x10, 0x04, 1, 0x10, 0x04, 2, 0x10, 0x04, 4}
	assert.Equal(t, []byte{0x12, 0x12, 0x12}, e.Feed(q))

	e.SetPaperNearEnd(true)
	assert.Equal(t, []byte{0x12, 0x12, 0x1E}, e.Feed(q))
	e.SetPaperNearEnd(false)

	e.SetPaperOut(true)
	assert.Equal(t, []byte{0x1A, 0x32, 0x7E}, e.Feed(q))
	e.SetPaperOut(false)
	assert.Equal(t, []byte{0x12, 0x12, 0x12}, e.Feed(q))

	e.SetCoverOpen(true)
	assert.Equal(t, []byte{0x1A, 0x16, 0x12}, e.Feed(q))
	e.SetCoverOpen(false)

	e.SetOffline(true)
	assert.Equal(t, []byte{0x1A, 0x1A, 0x12}, e.Feed(q))
	e.SetOffline(false)

	e.SetSilent(true)
	assert.Empty(t, e.Feed(q))
	e.SetSilent(false)

	// replies parse back into the status the emulator reports
	e.SetCoverOpen(true)
	r := e.Feed(q)
	var s escpos.Status
	for i, n := range escpos.StatusQueries {
		require.NoError(t, s.Apply(n, r[i]))
	}
	assert.Equal(t, e.Status(), s)
	assert.Equal(t, 21, e.Stats().StatusReplies)
}

func TestPrinterEmulator_PaperOutDropsPrintData(t *testing.T) {
	e := sim.NewPrinterEmulator(sim.PrinterOptions{})
	e.SetPaperOut(true)
	job := saleJob(t, escpos.Paper80)
	e.Feed(job)
	assert.Empty(t, e.Receipts())
	assert.Greater(t, e.Stats().Dropped, len(job)/2)
	e.SetPaperOut(false)
	e.Feed(job)
	assert.Len(t, e.Receipts(), 1)
}

func TestPrinterEmulator_GarbageThenValidJob(t *testing.T) {
	e := sim.NewPrinterEmulator(sim.PrinterOptions{})
	garbage := []byte{0x1B, 0xFF, 0x1D, 0x28, 0x6B, 0xFF, 0xFF, 0x00, 0x1D, 0x76, 0x30, 0, 0xFF, 0xFF, 0xFF, 0xFF,
		0x81, 0x1D, 0x6B, 73, 3, 'x', 'y', 'z', 0xFE, 0x10, 0x99, 0x1C, 0x7A}
	e.Feed(garbage)
	// a raster header announcing 4 GB is skipped, not buffered; the broken
	// GS ( k announcing 64 KB does wait for its data, so end it with ESC @ padding
	e.Feed(make([]byte, 70000))
	e.Disconnect()
	b, _ := escpos.New(escpos.Paper80).Line("好").Code128("A1", escpos.Code128Options{}).Cut().Bytes()
	e.Feed(b)
	rs := e.Receipts()
	require.NotEmpty(t, rs)
	last := rs[len(rs)-1]
	assert.True(t, last.Cut)
	assert.Equal(t, "好\nA1", last.Text)
	assert.Equal(t, []string{"A1"}, last.Barcodes)
}

func TestPrinterEmulator_DrawerKickAndRaster(t *testing.T) {
	e := sim.NewPrinterEmulator(sim.PrinterOptions{Paper: escpos.Paper58})
	logo := image.NewGray(image.Rect(0, 0, 40, 30))
	for y := 0; y < 30; y++ {
		for x := 0; x < 40; x++ {
			logo.SetGray(x, y, color.Gray{255})
			if x < 20 {
				logo.SetGray(x, y, color.Gray{0})
			}
		}
	}
	b, err := escpos.New(escpos.Paper58).DrawerKick(escpos.DrawerPulse{}).Image(logo).Cut().Bytes()
	require.NoError(t, err)
	e.Feed(b)
	r := e.Receipts()[0]
	require.Len(t, r.Drawer, 1)
	assert.Equal(t, sim.PrinterDrawerKick{Pin: 2, OnMs: 50, OffMs: 500, Safe: true}, r.Drawer[0])
	// left-aligned logo: black left half, white right half
	assert.Equal(t, uint8(0), r.Image.GrayAt(16+5, 10).Y)
	assert.Equal(t, uint8(255), r.Image.GrayAt(16+30, 10).Y)

	e.Feed([]byte{0x1B, 0x70, 0, 100, 100, 0x1D, 0x56, 0x00}) // an unsafe pulse is reported
	r = e.Receipts()[1]
	assert.False(t, r.Drawer[0].Safe)
}

func TestPrinterEmulator_OnReceiptAndDisconnectMidJob(t *testing.T) {
	e := sim.NewPrinterEmulator(sim.PrinterOptions{})
	got := make(chan sim.PrinterReceipt, 4)
	cancel := e.OnReceipt(func(r sim.PrinterReceipt) { got <- r })
	defer cancel()
	job := saleJob(t, escpos.Paper80)
	e.Feed(job[:200])
	e.Disconnect()
	r := <-got
	assert.False(t, r.Cut, "a receipt cut short by the host leaving is marked")
	assert.Empty(t, r.Barcodes)
	e.Feed(job)
	r = <-got
	assert.True(t, r.Cut)
	assert.Equal(t, 2, r.Seq)
}

func TestPrinterEmulator_ServesPTYAndTCP(t *testing.T) {
	e := sim.NewPrinterEmulator(sim.PrinterOptions{})
	pair := ptytest.New(t)
	go e.Serve(pair.Master)
	_, err := pair.Master.Write(nil) // the far end is live
	require.NoError(t, err)

	srv, err := e.ListenTCP("127.0.0.1:0")
	require.NoError(t, err)
	defer srv.Close()
	c, err := net.Dial("tcp", srv.Addr())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte{0x10, 0x04, 0x01})
	require.NoError(t, err)
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 1)
	_, err = c.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, byte(0x12), buf[0])
	_, err = c.Write(saleJob(t, escpos.Paper80))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(e.Receipts()) == 1 }, 3*time.Second, 5*time.Millisecond)
}

func TestPrinterEmulator_MemPort(t *testing.T) {
	e := sim.NewPrinterEmulator(sim.PrinterOptions{})
	p, err := e.Opener()()
	require.NoError(t, err)
	require.NoError(t, p.SetReadTimeout(20*time.Millisecond))
	buf := make([]byte, 4)
	n, err := p.Read(buf)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing to read: a timed-out read")
	_, err = p.Write([]byte{0x10, 0x04, 0x04})
	require.NoError(t, err)
	n, err = p.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, []byte{0x12}, buf[:n])
	require.NoError(t, p.Close())
	_, err = p.Write([]byte{1})
	assert.Error(t, err)
	_, err = p.Read(buf)
	assert.Error(t, err)
}

func TestPrinterEmulator_MoneyDisplayPrintsYuanSign(t *testing.T) {
	e := sim.NewPrinterEmulator(sim.PrinterOptions{})
	b, _ := escpos.New(escpos.Paper80).Line(app.Money(1250).Display()).Line("¥1").Cut().Bytes()
	e.Feed(b)
	assert.Equal(t, "￥12.50\n￥1", e.Receipts()[0].Text)
}

// A shelf label's code is drawn as the symbology it is sent in (EAN-13,
// EAN-8, UPC-A, or CODE128 for a store's own code) and decodes back from
// the picture, so the virtual printer shows what the label will carry.
func TestPrinterEmulator_ShelfLabelBarcodes(t *testing.T) {
	for _, c := range []struct {
		code   string
		reader gozxing.Reader
	}{
		{"6901234567892", oned.NewEAN13Reader()},
		{"96385074", oned.NewEAN8Reader()},
		{"036000291452", oned.NewUPCAReader()},
		{"RICE-01", oned.NewCode128Reader()},
	} {
		for _, paper := range []escpos.Paper{escpos.Paper58, escpos.Paper80} {
			job, err := receipt.ShelfLabelJob(receipt.ShelfLabel{Name: "可口可乐 330ml", Price: 350, Unit: "罐", Barcode: c.code},
				receipt.Options{Paper: paper})
			require.NoError(t, err)
			e := sim.NewPrinterEmulator(sim.PrinterOptions{Paper: paper})
			assert.Empty(t, e.Feed(job))
			rs := e.Receipts()
			require.Len(t, rs, 1)
			assert.Empty(t, rs[0].Notes, c.code)
			assert.Equal(t, []string{c.code}, rs[0].Barcodes)
			assert.Contains(t, rs[0].Text, "可口可乐 330ml")
			assert.Equal(t, c.code, decode(t, rs[0].Image, c.reader), "paper %d", paper)
		}
	}
	// Digits that are no EAN-13 are noted, not drawn.
	e := sim.NewPrinterEmulator(sim.PrinterOptions{Paper: escpos.Paper80})
	e.Feed([]byte("label\n"))
	e.Feed(append([]byte{0x1d, 'k', 67, 5}, "12345"...))
	e.Feed([]byte{0x1d, 'V', 0})
	rs := e.Receipts()
	require.NotEmpty(t, rs)
	assert.Empty(t, rs[len(rs)-1].Barcodes)
	assert.NotEmpty(t, rs[len(rs)-1].Notes)
}

// A split sale (WeChat and cash with change) decoded back from its bytes:
// every line, both tenders, the change, the short number, and the order
// number in the barcode.
func TestPrinterEmulator_SplitSaleReceipt(t *testing.T) {
	h := receipt.Header{Name: "好邻居便利店", Footer: "谢谢惠顾"}
	s := receipt.Sale{
		OrderNo: "T0126113009304512345", Time: time.Date(2026, 11, 30, 9, 30, 45, 0, time.Local),
		Cashier: "李娜", Terminal: "1号收银台",
		Lines: []receipt.Line{
			{Name: "农夫山泉 550ml", Qty: 2, UnitPrice: 200, Amount: 400},
			{Name: "猪肉 0.600kg", Qty: 1, UnitPrice: 3120, Amount: 3120},
			{Name: "乐事原味薯片 70g", Qty: 1, UnitPrice: 800, Amount: 800},
		},
		Total: 4320, Payable: 4320,
		Payments: []receipt.Payment{{Method: "微信支付", Amount: 3000, Ref: "4200001234202611300000000001"}, {Method: "现金", Amount: 1320}},
		Change:   180,
	}
	for _, paper := range []escpos.Paper{escpos.Paper58, escpos.Paper80} {
		b, err := receipt.SaleReceipt(h, s, receipt.Options{Paper: paper})
		require.NoError(t, err)
		e := sim.NewPrinterEmulator(sim.PrinterOptions{Paper: paper})
		assert.Empty(t, e.Feed(b))
		rs := e.Receipts()
		require.Len(t, rs, 1)
		r := rs[0]
		assert.Empty(t, r.Notes)
		for _, want := range []string{"农夫山泉 550ml", "猪肉 0.600kg", "乐事原味薯片 70g", "微信支付", "￥30.00", "现金", "￥13.20",
			"找零", "￥1.80", "￥43.20", "尾号: 512345", "谢谢惠顾"} {
			assert.Contains(t, r.Text, want, "paper %d", paper)
		}
		assert.Equal(t, []string{s.OrderNo}, r.Barcodes)
		assert.Equal(t, s.OrderNo, decode(t, r.Image, oned.NewCode128Reader()))
	}
}
