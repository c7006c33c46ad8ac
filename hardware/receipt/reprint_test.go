package receipt_test

import (
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/hardware/escpos"
	"cashier/hardware/receipt"
	"cashier/hardware/sim"
)

// printOn decodes a job through the printer emulator: its text, barcodes
// and picture, as a customer would read the paper.
func printOn(t *testing.T, paper escpos.Paper, job []byte) sim.PrinterReceipt {
	t.Helper()
	e := sim.NewPrinterEmulator(sim.PrinterOptions{Paper: paper})
	require.Empty(t, e.Feed(job))
	rs := e.Receipts()
	require.Len(t, rs, 1)
	require.Empty(t, rs[0].Notes)
	return rs[0]
}

// A receipt printed again says so in large type, with when, under the
// time of the sale; everything else is the sale's (lines, tenders, the
// number as a barcode). A first print carries no mark.
func TestSaleReceipt_ReprintMark(t *testing.T) {
	sold := time.Date(2026, 11, 30, 9, 30, 45, 0, time.UTC)
	again := time.Date(2026, 11, 30, 14, 5, 10, 0, time.UTC)
	s := receipt.Sale{
		OrderNo: "T0126113009304512345", Time: sold, Cashier: "李娜", Terminal: "1号收银台",
		Lines: []receipt.Line{{Name: "农夫山泉 550ml", Qty: 2, UnitPrice: 200, Amount: 400}},
		Total: 400, Payable: 400,
		Payments: []receipt.Payment{{Method: "微信支付", Amount: 300, Ref: "4200001234202611300000000001"}, {Method: "现金", Amount: 100}},
	}
	for _, paper := range papers {
		first, err := receipt.SaleReceipt(header, s, receipt.Options{Paper: paper})
		require.NoError(t, err)
		r := printOn(t, paper, first)
		assert.NotContains(t, r.Text, "重打", "paper %d", paper)
		assert.NotContains(t, r.Text, "REPRINT", "paper %d", paper)

		s.ReprintAt = again
		job, err := receipt.SaleReceipt(header, s, receipt.Options{Paper: paper})
		s.ReprintAt = time.Time{}
		require.NoError(t, err)
		r = printOn(t, paper, job)
		for _, want := range []string{"重打 REPRINT", "时间: 2026-11-30 09:30:45", "重打时间: 2026-11-30 14:05:10",
			"农夫山泉 550ml", "微信支付", "现金", "尾号: 512345"} {
			assert.Contains(t, r.Text, want, "paper %d", paper)
		}
		assert.Less(t, strings.Index(r.Text, "时间: 2026-11-30 09:30:45"), strings.Index(r.Text, "重打时间"), "the reprint time follows the sale's")
		assert.Equal(t, []string{s.OrderNo}, r.Barcodes)
		bmp, err := gozxing.NewBinaryBitmapFromImage(r.Image)
		require.NoError(t, err)
		got, err := oned.NewCode128Reader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
		require.NoError(t, err, "paper %d", paper)
		assert.Equal(t, s.OrderNo, got.GetText(), "the drawn barcode reads back")
	}
}

// A deposit receipt printed again is marked the same way.
func TestDepositReceipt_ReprintMark(t *testing.T) {
	dp := receipt.Deposit{DepositNo: "D0126113009304512345", Time: at, Cashier: "李娜", Terminal: "1号收银台",
		Amount: app.Money(50000), Method: "微信支付", ReprintAt: at.Add(2 * time.Hour)}
	for _, paper := range papers {
		job, err := receipt.DepositReceipt(header, dp, receipt.Options{Paper: paper})
		require.NoError(t, err)
		r := printOn(t, paper, job)
		assert.Contains(t, r.Text, "重打 REPRINT")
		assert.Contains(t, r.Text, "重打时间: "+at.Add(2*time.Hour).Format("2006-01-02 15:04:05"))
	}
}
