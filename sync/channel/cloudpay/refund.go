package cloudpay

import (
	"context"
	"unicode/utf8"

	"cashier/app"
	"cashier/sync/channel"
)

type refundReqContent struct {
	OutTradeNo    string `json:"out_trade_no"`
	OutRefundNo   string `json:"out_refund_no"`
	TotalFee      int64  `json:"total_fee"`
	RefundFee     int64  `json:"refund_fee"`
	RefundFeeType string `json:"refund_fee_type"`
	RefundReason  string `json:"refund_reason,omitempty"`
}

type refundRequest struct {
	PayMchKey     payMchKey        `json:"pay_mch_key"`
	RefundContent refundReqContent `json:"refund_content"`
	OrderClient   orderClient      `json:"order_client"`
	NonceStr      string           `json:"nonce_str"`
}

type refundAnswer struct {
	RefundOrderContent *refundContent `json:"refund_order_content"`
}

type refundQueryRequest struct {
	PayMchKey   payMchKey   `json:"pay_mch_key"`
	OrderClient orderClient `json:"order_client"`
	OutTradeNo  string      `json:"out_trade_no"`
	OutRefundNo string      `json:"out_refund_no"`
	NonceStr    string      `json:"nonce_str"`
}

type refundQueryAnswer struct {
	RefundOrderContent []refundContent `json:"refund_order_content"`
}

// Refund implements app.PaymentChannel: refund, signed with RSASSA-PSS
// when a signing key is configured. Money taken from a deposit is refunded
// on the consumption order: r.OutTradeNo must be the
// ConsumeRequest.OutRequestNo (the freeze itself is released, not refunded).
func (c *Client) Refund(ctx context.Context, r app.RefundRequest) (app.ChannelResult, error) {
	key, err := c.mchKey(r.Wallet)
	if err != nil {
		return app.ChannelResult{}, err
	}
	if err := c.checkNo("商户订单号 out_trade_no", r.OutTradeNo); err != nil {
		return app.ChannelResult{}, err
	}
	if err := c.checkNo("退款单号 out_refund_no", r.OutRefundNo); err != nil {
		return app.ChannelResult{}, err
	}
	if err := channel.CheckAmount("订单金额 / order total", r.Total); err != nil {
		return app.ChannelResult{}, err
	}
	if err := channel.CheckAmount("退款金额 / refund amount", r.Amount); err != nil {
		return app.ChannelResult{}, err
	}
	if r.Amount > r.Total {
		return app.ChannelResult{}, app.NotSent("退款金额 %s 大于订单金额 %s / the refund %s is more than the order total %s", r.Amount, r.Total, r.Amount, r.Total)
	}
	if utf8.RuneCountInString(r.Reason) > 80 {
		return app.ChannelResult{}, app.NotSent("退款原因最多80个字 / the refund reason is limited to 80 characters")
	}
	if err := c.notOurs(r.OutTradeNo, r.OutRefundNo); err != nil {
		return app.ChannelResult{}, err
	}
	req := refundRequest{PayMchKey: key, OrderClient: c.client("", "", "", false), NonceStr: channel.Nonce(),
		RefundContent: refundReqContent{OutTradeNo: r.OutTradeNo, OutRefundNo: r.OutRefundNo, TotalFee: int64(r.Total),
			RefundFee: int64(r.Amount), RefundFeeType: "CNY", RefundReason: r.Reason}}
	a, err := c.call(ctx, "refund", req, r.OutRefundNo, true)
	if err != nil {
		return app.ChannelResult{}, err
	}
	return c.refundResult(r, a), nil
}

func (c *Client) refundResult(r app.RefundRequest, a answer) app.ChannelResult {
	if a.bad != nil {
		return *a.bad
	}
	if *a.head.Status != statusOK {
		return c.base(a, kindMoney)
	}
	var out refundAnswer
	if bad := c.decodeMember("refund", r.OutRefundNo, a, &out); bad != nil {
		return *bad
	}
	if out.RefundOrderContent == nil {
		return c.mismatch("refund", r.OutRefundNo, "refund_order_content missing")
	}
	return c.refundRes(r, *out.RefundOrderContent, a, kindMoney)
}

// refundRes reads our refund's record. A record about another refund or
// another order, or naming no amount, is never believed; a signed record
// for another amount than we asked (less or more) is reported as it is
// (Amount): the refund state machine then hands it to a person (manual),
// as it does for WeChat's refund_fee and Alipay's refund_fee, and never
// counts it as refunded.
func (c *Client) refundRes(r app.RefundRequest, rc refundContent, a answer, kind callKind) app.ChannelResult {
	api := "refund"
	if kind == kindQuery {
		api = "query_refund_order"
	}
	switch {
	case rc.OutRefundNo != r.OutRefundNo:
		return c.mismatch(api, r.OutRefundNo, "out_refund_no")
	case rc.OutTradeNo != "" && rc.OutTradeNo != r.OutTradeNo:
		return c.mismatch(api, r.OutRefundNo, "out_trade_no")
	case rc.TotalFee > 0 && app.Money(rc.TotalFee) != r.Total:
		return c.mismatch(api, r.OutRefundNo, "total_fee")
	case rc.RefundFee <= 0:
		return c.mismatch(api, r.OutRefundNo, "refund_fee")
	}
	rd := rc.state()
	res := app.ChannelResult{Outcome: rd.outcome, TransactionID: rc.RefundID, Amount: app.Money(rc.RefundFee),
		FinishedAt: unix(rc.RefundSuccessTime), TradeState: "REFUND", Code: "0", Message: c.redact(a.head.Description)}
	markForeign(&res, a.head)
	if kind == kindQuery {
		res.NotFound = rd.notFound
	}
	if rc.Wx != nil && rc.Wx.State == 5 {
		res.Message = "退款到银行卡失败，请手工处理，切勿重新退款 / the refund bounced at the bank; handle it by hand and do not refund again"
	}
	if res.Outcome == app.OutcomeSuccess && res.FinishedAt.IsZero() {
		res.FinishedAt = unix(rc.LastUpdateTime)
	}
	return res
}

// RefundQuery implements app.PaymentChannel: query_refund_order. A signed
// answer that does not list our refund, or "no such order", is NotFound.
func (c *Client) RefundQuery(ctx context.Context, r app.RefundRequest) (app.ChannelResult, error) {
	key, err := c.mchKey(r.Wallet)
	if err != nil {
		return app.ChannelResult{}, err
	}
	if err := c.checkNo("商户订单号 out_trade_no", r.OutTradeNo); err != nil {
		return app.ChannelResult{}, err
	}
	if err := c.checkNo("退款单号 out_refund_no", r.OutRefundNo); err != nil {
		return app.ChannelResult{}, err
	}
	req := refundQueryRequest{PayMchKey: key, OrderClient: c.client("", "", "", false), OutTradeNo: r.OutTradeNo,
		OutRefundNo: r.OutRefundNo, NonceStr: channel.Nonce()}
	a, err := c.call(ctx, "query_refund_order", req, r.OutRefundNo, false)
	if err != nil {
		return app.ChannelResult{}, err
	}
	res := c.refundQueryResult(r, a)
	if !res.Foreign && c.foreign.has(r.OutTradeNo, r.OutRefundNo) {
		return foreignResult(""), nil
	}
	return res, nil
}

func (c *Client) refundQueryResult(r app.RefundRequest, a answer) app.ChannelResult {
	if a.bad != nil {
		return *a.bad
	}
	if *a.head.Status != statusOK {
		return c.base(a, kindQuery)
	}
	var out refundQueryAnswer
	if bad := c.decodeMember("query_refund_order", r.OutRefundNo, a, &out); bad != nil {
		return *bad
	}
	for _, rc := range out.RefundOrderContent {
		if rc.OutRefundNo == r.OutRefundNo {
			return c.refundRes(r, rc, a, kindQuery)
		}
	}
	return app.ChannelResult{Outcome: app.OutcomeUnknown, NotFound: true, Code: channel.CodeNoRecord,
		Message: "云支付没有这笔退款 / Cloud Pay has no such refund"}
}
