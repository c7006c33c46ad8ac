package receipt_test

import (
	"fmt"
	"image"
	"image/color"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/hardware/escpos"
	"cashier/hardware/receipt"
	"cashier/hardware/sim"
)

var (
	at     = time.Date(2026, 1, 16, 9, 30, 45, 0, time.UTC)
	header = receipt.HeaderFromStore(app.StoreInfo{
		Name: "好邻居便利店（科技园店）", Address: "深圳市南山区科技园中区科技路一号大厦一楼", Phone: "0755-12345678",
		ReceiptFooter: "谢谢惠顾，欢迎再来！\n退换货请在七日内凭小票办理",
	})
	papers = []escpos.Paper{escpos.Paper58, escpos.Paper80}
)

// typicalSale is the benchmark's receipt: 10 item lines, CODE128 order
// number and a QR lookup URL.
func typicalSale() receipt.Sale {
	names := []string{"可口可乐 330ml", "农夫山泉 550ml", "康师傅红烧牛肉面", "奥利奥饼干 97g", "蒙牛纯牛奶 250ml",
		"乐事薯片 原味 70g", "绿箭口香糖", "维达抽纸 3包装", "雀巢咖啡 1+2", "德芙巧克力 43g"}
	s := receipt.Sale{
		OrderNo: "P0120260116093045123456", Time: at, Cashier: "张三", Terminal: "1号收银台",
		Payments: []receipt.Payment{{Method: "微信支付", Ref: "4200001234202601160000000001"}},
		QR:       "https://pos.example.cn/o/P0120260116093045123456", QRCaption: "扫码查看电子小票",
	}
	for i, n := range names {
		l := receipt.Line{Name: n, Qty: int64(i%3 + 1), UnitPrice: app.Money(250 + 100*i)}
		l.Amount, _ = l.UnitPrice.Mul(l.Qty)
		s.Lines = append(s.Lines, l)
		s.Total += l.Amount
	}
	s.Discount = 100
	s.Payable = s.Total - s.Discount
	s.Payments[0].Amount = s.Payable
	return s
}

func print(t *testing.T, paper escpos.Paper, job []byte) sim.PrinterReceipt {
	t.Helper()
	e := sim.NewPrinterEmulator(sim.PrinterOptions{Paper: paper})
	e.Feed(job)
	rs := e.Receipts()
	require.Len(t, rs, 1)
	r := rs[0]
	require.True(t, r.Cut)
	require.Empty(t, r.Notes)
	for _, l := range strings.Split(r.Text, "\n") {
		require.LessOrEqual(t, escpos.Width(l), paper.Columns(), "line %q overflows %d mm paper", l, paper)
	}
	return r
}

func TestSaleReceipt(t *testing.T) {
	for _, p := range papers {
		job, err := receipt.SaleReceipt(header, typicalSale(), receipt.Options{Paper: p})
		require.NoError(t, err)
		r := print(t, p, job)
		assert.Equal(t, []string{"P0120260116093045123456"}, r.Barcodes)
		assert.Equal(t, []string{"https://pos.example.cn/o/P0120260116093045123456"}, r.QRCodes)
		for _, want := range []string{"好邻居便利店", "销售小票", "单号: P0120260116093045123456", "时间: 2026-01-16 09:30:45",
			"德芙巧克力 43g", "￥1.00", "微信支付", "谢谢惠顾，欢迎再来！"} {
			assert.Contains(t, r.Text, want, "%d mm", p)
		}
		assert.NotContains(t, string(job), "\x81\x30\x84\x36", "no U+00A5 (4-byte GB18030) in the job")
	}
}

func TestSaleReceipt_80mmRowsLineUp(t *testing.T) {
	job, err := receipt.SaleReceipt(header, typicalSale(), receipt.Options{Paper: escpos.Paper80})
	require.NoError(t, err)
	r := print(t, escpos.Paper80, job)
	for _, l := range strings.Split(r.Text, "\n") {
		if strings.HasPrefix(l, "可口可乐") {
			assert.Equal(t, "可口可乐 330ml           1     ￥2.50     ￥2.50", l)
		}
	}
	assert.Contains(t, r.Text, "合计"+strings.Repeat(" ", 48-4-8)+"￥134.50")
}

func TestSaleReceipt_DrawerAndLogo(t *testing.T) {
	logo := image.NewGray(image.Rect(0, 0, 64, 24))
	for i := range logo.Pix {
		logo.Pix[i] = 0
	}
	h := header
	h.Logo = logo
	job, err := receipt.SaleReceipt(h, typicalSale(), receipt.Options{Paper: escpos.Paper58, OpenDrawer: true})
	require.NoError(t, err)
	assert.Equal(t, []byte{0x1B, 0x40, 0x1C, 0x26, 0x1B, 0x70, 0, 25, 250}, job[:9], "drawer kick first, safe pulse")
	r := print(t, escpos.Paper58, job)
	require.Len(t, r.Drawer, 1)
	assert.True(t, r.Drawer[0].Safe)
	// the logo is centred at the top: dark in the middle, white at the edge
	assert.Less(t, r.Image.GrayAt(16+192, 5).Y, uint8(128))
	assert.Equal(t, color.Gray{255}, r.Image.GrayAt(16+10, 5))
}

func TestSaleReceipt_Missing(t *testing.T) {
	_, err := receipt.SaleReceipt(header, receipt.Sale{}, receipt.Options{})
	assert.ErrorIs(t, err, receipt.ErrMissing)
	s := typicalSale()
	s.OrderNo = "订单1"
	_, err = receipt.SaleReceipt(header, s, receipt.Options{})
	assert.ErrorIs(t, err, escpos.ErrBarcodeData)
}

func TestRefundReceipt(t *testing.T) {
	rf := receipt.Refund{RefundNo: "R0120260116100000000001", OrderNo: "P0120260116093045123456", Time: at,
		Cashier: "李四", Amount: 250, Method: "微信支付", Reason: "商品破损",
		Lines: []receipt.Line{{Name: "可口可乐 330ml", Qty: 1, UnitPrice: 250, Amount: 250}}}
	for _, p := range papers {
		job, err := receipt.RefundReceipt(header, rf, receipt.Options{Paper: p})
		require.NoError(t, err)
		r := print(t, p, job)
		assert.Equal(t, []string{"P0120260116093045123456"}, r.Barcodes)
		for _, want := range []string{"退款单", "R0120260116100000000001", "原因: 商品破损", "￥2.50", "顾客签字"} {
			assert.Contains(t, r.Text, want)
		}
	}
	_, err := receipt.RefundReceipt(header, receipt.Refund{RefundNo: "R1"}, receipt.Options{})
	assert.ErrorIs(t, err, receipt.ErrMissing)
}

func TestDepositReceipt(t *testing.T) {
	d := receipt.Deposit{DepositNo: "D0120260116120000654321", Time: at, Cashier: "王五", Amount: 50000,
		Method: "支付宝", Ref: "2026011622001400001234567890", Note: "房号 1208"}
	for _, p := range papers {
		job, err := receipt.DepositReceipt(header, d, receipt.Options{Paper: p})
		require.NoError(t, err)
		r := print(t, p, job)
		assert.Equal(t, []string{"D0120260116120000654321"}, r.Barcodes, "the deposit number is the barcode")
		for _, want := range []string{"押金单", "￥500.00", "房号 1208", "凭此单办理退押金，请妥善保管"} {
			assert.Contains(t, r.Text, want)
		}
	}
}

func TestTypicalSaleFitsIn2KB(t *testing.T) {
	job, err := receipt.SaleReceipt(header, typicalSale(), receipt.Options{Paper: escpos.Paper80})
	require.NoError(t, err)
	assert.LessOrEqual(t, len(job), 2048, "bytes on the wire")
	t.Logf("typical 80 mm sale receipt: %d bytes", len(job))
}

func BenchmarkSaleReceipt80mm(b *testing.B) {
	s := typicalSale()
	var n int
	for b.Loop() {
		job, err := receipt.SaleReceipt(header, s, receipt.Options{Paper: escpos.Paper80})
		if err != nil {
			b.Fatal(err)
		}
		n = len(job)
	}
	b.ReportMetric(float64(n), "bytes/receipt")
}

func ExampleSaleReceipt() {
	job, _ := receipt.SaleReceipt(receipt.Header{Name: "小店"}, receipt.Sale{OrderNo: "A1", Payable: 100}, receipt.Options{Paper: escpos.Paper58})
	fmt.Println(len(job) > 0)
	// Output: true
}
