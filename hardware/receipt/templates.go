package receipt

import (
	"fmt"
	"strings"
	"time"

	"cashier/app"
	"cashier/hardware/escpos"
)

// Sale is a paid sale.
type Sale struct {
	OrderNo  string // printed as text and as a CODE128 barcode (refunds scan it)
	Time     time.Time
	Cashier  string
	Terminal string
	Lines    []Line
	Total    app.Money // before discount
	Discount app.Money
	Payable  app.Money // what the customer paid for: Total − Discount
	Payments []Payment
	Change   app.Money // cash change, printed when not zero
	Note     string
	// QR is printed as a QR code when set (e.g. an order lookup URL),
	// with QRCaption under it.
	QR        string
	QRCaption string
	// ReprintAt is set when the receipt is printed again: it is marked
	// 重打 and this time is printed under Time, the time of the sale.
	ReprintAt time.Time
}

// SaleReceipt lays out a sale receipt.
func SaleReceipt(h Header, s Sale, o Options) ([]byte, error) {
	if strings.TrimSpace(s.OrderNo) == "" {
		return nil, fmt.Errorf("%w: 订单号 / order number", ErrMissing)
	}
	d := start(h, o)
	d.title("销售小票")
	d.reprintMark(s.ReprintAt)
	d.kv("单号", s.OrderNo)
	// The last digits, to read to a customer on the phone; the whole
	// number is in the barcode.
	d.kv("尾号", app.ShortNo(s.OrderNo))
	d.kv("时间", s.Time.Format(timeLayout))
	d.kv("重打时间", reprintTime(s.ReprintAt))
	d.kv("收银员", s.Cashier)
	d.kv("终端", s.Terminal)
	d.Rule('-')
	d.items(s.Lines)
	if len(s.Lines) > 0 {
		d.Rule('-')
	}
	d.total("合计", s.Total, false)
	if s.Discount != 0 {
		d.Row2("优惠", negative(s.Discount))
	}
	d.big("应付", s.Payable)
	d.payments(s.Payments)
	if s.Change != 0 {
		d.total("找零", s.Change, false)
	}
	d.kv("备注", s.Note)
	d.Rule('-')
	d.Align(escpos.AlignCenter)
	d.Code128(s.OrderNo, barcodeOptions())
	if s.QR != "" {
		d.Newline()
		d.QR(s.QR, qrOptions(d.Paper()))
		for _, l := range wrapNonEmpty(s.QRCaption, d.Columns()) {
			d.Line(l)
		}
	}
	return d.end(h)
}

// Refund is a refund of (part of) an order.
type Refund struct {
	RefundNo string
	OrderNo  string // the original order
	Time     time.Time
	Cashier  string
	Terminal string
	Lines    []Line // refunded items, if the refund is by item
	Amount   app.Money
	Method   string // where the money goes back: "微信支付", "现金" ...
	Reason   string
}

// RefundReceipt lays out a refund receipt; the original order number is
// printed as a barcode.
func RefundReceipt(h Header, r Refund, o Options) ([]byte, error) {
	if strings.TrimSpace(r.RefundNo) == "" || strings.TrimSpace(r.OrderNo) == "" {
		return nil, fmt.Errorf("%w: 退款单号和原订单号 / refund and order numbers", ErrMissing)
	}
	d := start(h, o)
	d.title("退款单")
	d.kv("退款单号", r.RefundNo)
	d.kv("原订单号", r.OrderNo)
	d.kv("时间", r.Time.Format(timeLayout))
	d.kv("操作员", r.Cashier)
	d.kv("终端", r.Terminal)
	d.kv("原因", r.Reason)
	d.Rule('-')
	if len(r.Lines) > 0 {
		d.items(r.Lines)
		d.Rule('-')
	}
	d.kv("退回", r.Method)
	d.big("退款金额", r.Amount)
	d.Rule('-')
	d.Align(escpos.AlignCenter)
	d.Code128(r.OrderNo, barcodeOptions())
	d.Line("顾客签字:")
	return d.end(h)
}
