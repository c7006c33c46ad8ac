package receipt

import (
	"fmt"
	"strings"
	"time"

	"cashier/app"
	"cashier/hardware/escpos"
)

// OrderRefund is a refund at the counter (退款单): the lines and quantities
// it gave back, what each tender paid back, who did it and who approved
// it. The original order's number is printed with its last digits (尾号)
// and as a CODE128 barcode, so the slip leads back to the sale.
type OrderRefund struct {
	RefundNo string
	OrderNo  string
	Time     time.Time
	Cashier  string // who refunded
	Approver string // the manager whose override allowed it; "" when none was needed
	Terminal string
	Reason   string
	Lines    []Line // refunded items and quantities; none for a refund of an amount
	Tenders  []RefundTender
	Amount   app.Money
	// ReprintAt is set when the slip is printed again (after a channel
	// finished, or on request): it is marked 重打.
	ReprintAt time.Time
}

// RefundTender is one tender's part: "微信支付", "支付宝", "现金" and its
// amount.
type RefundTender struct {
	Method string
	Amount app.Money
	Ref    string // the channel refund's number, printed small when set
	// Pending: the channel has not finished (or the refund must be sent
	// again): printed as 退款处理中, never as done.
	Pending bool
}

// OrderRefundReceipt lays out a refund at the counter.
func OrderRefundReceipt(h Header, r OrderRefund, o Options) ([]byte, error) {
	if strings.TrimSpace(r.RefundNo) == "" || strings.TrimSpace(r.OrderNo) == "" {
		return nil, fmt.Errorf("%w: 退款单号和原订单号 / refund and order numbers", ErrMissing)
	}
	if len(r.Tenders) == 0 {
		return nil, fmt.Errorf("%w: 退款方式 / how the money goes back", ErrMissing)
	}
	d := start(h, o)
	d.title("退款单")
	if !r.ReprintAt.IsZero() {
		d.Align(escpos.AlignCenter).Bold(true).Size(2, 2).Line("重打 REPRINT").Normal()
		d.Align(escpos.AlignLeft)
	}
	d.kv("退款单号", r.RefundNo)
	d.kv("原订单号", r.OrderNo)
	d.kv("尾号", app.ShortNo(r.OrderNo))
	d.kv("时间", r.Time.Format(timeLayout))
	if !r.ReprintAt.IsZero() {
		d.kv("重打时间", r.ReprintAt.Format(timeLayout))
	}
	d.kv("退款人", r.Cashier)
	d.kv("审批人", r.Approver)
	d.kv("终端", r.Terminal)
	d.kv("原因", r.Reason)
	d.Rule('-')
	if len(r.Lines) > 0 {
		d.items(r.Lines)
	} else {
		d.Line("按金额退款")
	}
	d.Rule('-')
	pending := false
	for _, t := range r.Tenders {
		d.total("退回"+t.Method, t.Amount, false)
		d.kv("  退款号", t.Ref)
		if t.Pending {
			d.Line("  退款处理中")
			pending = true
		}
	}
	d.big("退款合计", r.Amount)
	if pending {
		for _, l := range wrapNonEmpty("退款处理中的金额以支付通道到账为准", d.Columns()) {
			d.Line(l)
		}
	}
	d.Rule('-')
	d.Align(escpos.AlignCenter)
	d.Code128(r.OrderNo, barcodeOptions())
	d.Align(escpos.AlignLeft)
	d.Line("顾客签字:")
	return d.end(h)
}
