package receipt_test

import (
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/hardware/receipt"
	"cashier/hardware/sim"
)

// A refund at the counter of a WeChat + cash sale, decoded back from its
// ESC/POS bytes on 58 and 80 mm: the refunded lines and quantities, each
// tender's part, who refunded and who approved, the original order's
// number with its last digits, and that number in the barcode.
func TestOrderRefundReceipt_DecodedBack(t *testing.T) {
	r := receipt.OrderRefund{
		RefundNo: "T01A12611211030451234", OrderNo: "P0120261121093045234567", Time: at,
		Cashier: "张伟", Approver: "王店长", Terminal: "1号收银台", Reason: "顾客退货",
		Lines: []receipt.Line{
			{Name: "可口可乐 330ml", Qty: 1, UnitPrice: 350, Amount: 350},
			{Name: "乐事原味薯片 70g", Qty: 2, UnitPrice: 800, Amount: 1600},
		},
		Tenders: []receipt.RefundTender{
			{Method: "微信支付", Amount: 1200, Ref: "T01A1R2611211030459876"},
			{Method: "现金", Amount: 750},
		},
		Amount: 1950,
	}
	for _, p := range papers {
		job, err := receipt.OrderRefundReceipt(header, r, receipt.Options{Paper: p})
		require.NoError(t, err)
		e := sim.NewPrinterEmulator(sim.PrinterOptions{Paper: p})
		assert.Empty(t, e.Feed(job))
		rs := e.Receipts()
		require.Len(t, rs, 1)
		got := rs[0]
		assert.Empty(t, got.Notes)
		for _, want := range []string{"退款单", "退款单号", r.RefundNo, "原订单号", "尾号: 234567", "退款人: 张伟", "审批人: 王店长",
			"原因: 顾客退货", "可口可乐 330ml", "乐事原味薯片 70g", "￥16.00", "退回微信支付", "￥12.00", "T01A1R2611211030459876",
			"退回现金", "￥7.50", "退款合计", "￥19.50", "顾客签字"} {
			assert.Contains(t, got.Text, want, "paper %d", p)
		}
		assert.NotContains(t, got.Text, "退款处理中")
		assert.NotContains(t, got.Text, "重打")
		assert.Equal(t, []string{r.OrderNo}, got.Barcodes)
		bmp, err := gozxing.NewBinaryBitmapFromImage(got.Image)
		require.NoError(t, err)
		res, err := oned.NewCode128Reader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true})
		require.NoError(t, err, "paper %d", p)
		assert.Equal(t, r.OrderNo, res.GetText())
	}
}

// A channel that has not finished is printed as 退款处理中, never as done;
// a refund of an amount says so; a slip printed again is marked 重打.
func TestOrderRefundReceipt_PendingAmountReprint(t *testing.T) {
	r := receipt.OrderRefund{RefundNo: "T1", OrderNo: "P0120260116093045123456", Time: at, Cashier: "李娜",
		Tenders: []receipt.RefundTender{{Method: "支付宝", Amount: 500, Pending: true}}, Amount: 500, ReprintAt: at}
	job, err := receipt.OrderRefundReceipt(header, r, receipt.Options{Paper: 58})
	require.NoError(t, err)
	e := sim.NewPrinterEmulator(sim.PrinterOptions{Paper: 58})
	assert.Empty(t, e.Feed(job))
	text := e.Receipts()[0].Text
	for _, want := range []string{"按金额退款", "退回支付宝", "退款处理中", "重打", "重打时间"} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "审批人", "no approver line when none was needed")
	assert.Equal(t, 2, strings.Count(text, "￥5.00"), "the tender and the total")

	_, err = receipt.OrderRefundReceipt(header, receipt.OrderRefund{RefundNo: "T1", OrderNo: "P1"}, receipt.Options{})
	require.ErrorIs(t, err, receipt.ErrMissing, "no tender")
	_, err = receipt.OrderRefundReceipt(header, receipt.OrderRefund{OrderNo: "P1", Tenders: r.Tenders}, receipt.Options{})
	require.ErrorIs(t, err, receipt.ErrMissing)
}
