package cloudpay

import (
	"context"
	"fmt"
	"time"

	"cashier/app"
	"cashier/sync/channel"
)

// billPageSize is the largest page client_order_detail serves.
const billPageSize = 100

// maxBillPages bounds the paging loop (100,000 rows a day).
const maxBillPages = 1000

type orderDetailRequest struct {
	OutSubMchID    string `json:"out_sub_mch_id"`
	OutShopID      string `json:"out_shop_id,omitempty"`
	QueryOrderType int    `json:"query_order_type"`
	StartTime      int64  `json:"start_time"`
	EndTime        int64  `json:"end_time"`
	PageNum        int    `json:"page_num"`
	PageSize       int    `json:"page_size"`
	NonceStr       string `json:"nonce_str"`
}

type receipt struct {
	Order *struct {
		OrderMch     *billMch      `json:"order_mch"`
		OrderContent *orderContent `json:"order_content"`
	} `json:"order"`
	RefundOrder *struct {
		RefundOrderMch     *billMch       `json:"refund_order_mch"`
		RefundOrderContent *refundContent `json:"refund_order_content"`
	} `json:"refund_order"`
}

// billMch is whose an order or refund of the list is.
type billMch struct {
	OutMchID    string `json:"out_mch_id"`
	OutSubMchID string `json:"out_sub_mch_id"`
}

// mch is the merchant a receipt names (nil when it names none).
func (r *receipt) mch() *billMch {
	switch {
	case r == nil:
		return nil
	case r.Order != nil:
		return r.Order.OrderMch
	case r.RefundOrder != nil:
		return r.RefundOrder.RefundOrderMch
	}
	return nil
}

type orderDetailAnswer struct {
	TotalCount   *int `json:"total_count"`
	OrderDetails []struct {
		Receipt *receipt `json:"receipt"`
	} `json:"order_details"`
}

// DownloadBill implements app.PaymentChannel. Cloud Pay has no bill file:
// client_order_detail is paged (orders and refunds of the shop created in
// the Beijing day) until total_count rows are read. Every page is
// authenticated; an empty list is channel.ErrNoBill, a row of another
// merchant refuses the whole list. The bill's Total is the sum of the orders' total_fee
// (Cloud Pay states no total of its own); Count is its total_count.
func (c *Client) DownloadBill(ctx context.Context, day time.Time) (app.Bill, error) {
	if day.IsZero() {
		return app.Bill{}, app.NotSent("缺少账单日期 / the bill date is required")
	}
	d := day.In(channel.Beijing)
	start := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, channel.Beijing)
	bill := app.Bill{Channel: app.ChannelCloudPay, Date: start}
	total := -1
	for page := 1; page <= maxBillPages; page++ {
		req := orderDetailRequest{OutSubMchID: c.cfg.OutSubMchID, OutShopID: c.cfg.OutShopID, QueryOrderType: 3,
			StartTime: start.Unix(), EndTime: start.AddDate(0, 0, 1).Unix() - 1, PageNum: page, PageSize: billPageSize,
			NonceStr: channel.Nonce()}
		a, err := c.call(ctx, "client_order_detail", req, "bill "+start.Format("2006-01-02"), false)
		if err != nil {
			return app.Bill{}, err
		}
		if a.bad != nil {
			return app.Bill{}, fmt.Errorf("云支付订单明细第%d页不可用 / Cloud Pay order list page %d cannot be used: %s", page, page, a.bad.Message)
		}
		if *a.head.Status != statusOK {
			return app.Bill{}, fmt.Errorf("云支付拒绝查询订单明细 / Cloud Pay refused the order list: %d %s", *a.head.Status, c.redact(a.head.Description))
		}
		var out orderDetailAnswer
		if bad := c.decodeMember("client_order_detail", "bill", a, &out); bad != nil {
			return app.Bill{}, fmt.Errorf("云支付订单明细格式不对 / the Cloud Pay order list is malformed")
		}
		if out.TotalCount == nil || *out.TotalCount < 0 || (total >= 0 && *out.TotalCount != total) {
			return app.Bill{}, fmt.Errorf("云支付订单明细总数不一致 / the Cloud Pay order list's total_count is missing or changed while paging")
		}
		total = *out.TotalCount
		if total == 0 {
			// The list is all Cloud Pay has: an empty one is no bill (not
			// yet, or no sale), never a day with nothing to reconcile.
			return app.Bill{}, fmt.Errorf("%w: 云支付该日订单明细为空 / Cloud Pay lists no order for the day", channel.ErrNoBill)
		}
		for _, od := range out.OrderDetails {
			if m := od.Receipt.mch(); m != nil && ((m.OutSubMchID != "" && m.OutSubMchID != c.cfg.OutSubMchID) ||
				(m.OutMchID != "" && m.OutMchID != c.cfg.OutMchID)) {
				return app.Bill{}, fmt.Errorf("云支付订单明细含有另一个商户的订单（%s / %s，本机为 %s / %s）/ the Cloud Pay order list holds another merchant's orders (%s / %s; ours %s / %s)",
					m.OutMchID, m.OutSubMchID, c.cfg.OutMchID, c.cfg.OutSubMchID, m.OutMchID, m.OutSubMchID, c.cfg.OutMchID, c.cfg.OutSubMchID)
			}
			line, ok := billLine(od.Receipt)
			if !ok {
				return app.Bill{}, fmt.Errorf("云支付订单明细含有无法识别的记录 / the Cloud Pay order list has an unreadable row")
			}
			bill.Lines = append(bill.Lines, line)
			bill.Total += line.Amount
		}
		if len(bill.Lines) >= total || len(out.OrderDetails) == 0 {
			break
		}
	}
	if len(bill.Lines) != total {
		return app.Bill{}, fmt.Errorf("云支付订单明细不完整 / the Cloud Pay order list is incomplete: %d of %d rows", len(bill.Lines), total)
	}
	bill.Count = total
	return bill, nil
}

// billLine turns one receipt (an order or a refund) into a bill line.
func billLine(r *receipt) (app.BillLine, bool) {
	switch {
	case r == nil:
		return app.BillLine{}, false
	case r.Order != nil && r.Order.OrderContent != nil:
		oc := r.Order.OrderContent
		rd, _ := oc.state()
		status := map[string]string{"PAID": "SUCCESS", "REFUND": "REFUND", "CLOSED": "CLOSED", "REVOKED": "REVOKED",
			"PAYERROR": "PAYERROR", "NOTPAY": "NOTPAY", "PAYING": "USERPAYING"}[rd.state]
		if status == "" {
			status = "UNKNOWN"
		}
		at := unix(oc.TimeEnd)
		if at.IsZero() {
			at = unix(oc.CreateTime)
		}
		if oc.OutTradeNo == "" || oc.TotalFee < 0 || app.Money(oc.TotalFee) > app.DefaultCeiling {
			return app.BillLine{}, false
		}
		return app.BillLine{Time: at, OutTradeNo: oc.OutTradeNo, TransactionID: oc.TransactionID, Status: status,
			Amount: app.Money(oc.TotalFee), RefundAmount: app.Money(oc.RefundedFee)}, true
	case r.RefundOrder != nil && r.RefundOrder.RefundOrderContent != nil:
		rc := r.RefundOrder.RefundOrderContent
		if rc.OutRefundNo == "" || rc.RefundFee <= 0 || app.Money(rc.RefundFee) > app.DefaultCeiling {
			return app.BillLine{}, false
		}
		at := unix(rc.RefundSuccessTime)
		if at.IsZero() {
			at = unix(rc.CreateTime)
		}
		return app.BillLine{Time: at, OutTradeNo: rc.OutTradeNo, OutRefundNo: rc.OutRefundNo, RefundID: rc.RefundID,
			Status: "REFUND", RefundAmount: app.Money(rc.RefundFee)}, true
	}
	return app.BillLine{}, false
}
