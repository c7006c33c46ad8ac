package cloudpay

import (
	"context"
	"net"

	"cashier/app"
	"cashier/sync/channel"
)

type payContent struct {
	OutTradeNo string `json:"out_trade_no"`
	AuthorCode string `json:"author_code,omitempty"`
	TotalFee   int64  `json:"total_fee"`
	FeeType    string `json:"fee_type"`
	Body       string `json:"body"`
}

type payRequest struct {
	PayMchKey   payMchKey   `json:"pay_mch_key"`
	PayContent  payContent  `json:"pay_content"`
	OrderClient orderClient `json:"order_client"`
	NonceStr    string      `json:"nonce_str"`
}

type orderAnswer struct {
	OrderContent *orderContent `json:"order_content"`
}

// Pay implements app.PaymentChannel: micro_pay, or micro_freeze for a
// deposit (the deposit's out_trade_no is then its out_freeze_no). The
// wallet picks pay_platform: WeChat 1, Alipay 2, member card 3.
func (c *Client) Pay(ctx context.Context, r app.PayRequest) (app.ChannelResult, error) {
	key, err := c.mchKey(r.Wallet)
	if err != nil {
		return app.ChannelResult{}, err
	}
	if err := c.checkNo("商户订单号 out_trade_no", r.OutTradeNo); err != nil {
		return app.ChannelResult{}, err
	}
	if err := channel.CheckAuthCode(r.Wallet, r.AuthCode); err != nil {
		return app.ChannelResult{}, err
	}
	if err := channel.CheckAmount("支付金额 / payment amount", r.Amount); err != nil {
		return app.ChannelResult{}, err
	}
	if r.Subject == "" || len(r.Subject) > 128 {
		return app.ChannelResult{}, app.NotSent("商品描述必填且不超过128字节 / the order description is required and limited to 128 bytes")
	}
	if r.ClientIP != "" && net.ParseIP(r.ClientIP) == nil {
		return app.ChannelResult{}, app.NotSent("终端IP无效 / the terminal IP %q is not an IP address", r.ClientIP)
	}
	api := "micro_pay"
	if r.Deposit {
		api = "micro_freeze"
	}
	req := payRequest{
		PayMchKey:   key,
		PayContent:  payContent{OutTradeNo: r.OutTradeNo, AuthorCode: r.AuthCode, TotalFee: int64(r.Amount), FeeType: "CNY", Body: r.Subject},
		OrderClient: c.client(r.StaffID, r.TerminalID, r.ClientIP, true),
		NonceStr:    channel.Nonce(),
	}
	a, err := c.call(ctx, api, req, r.OutTradeNo, false)
	if err != nil {
		return app.ChannelResult{}, err
	}
	return c.orderResult(api, r.OutTradeNo, r.Amount, a, false), nil
}

// orderResult reads an answer carrying order_content (micro_pay,
// micro_freeze, query_order, deposit_consume). amount, when not 0, must be
// the order's total_fee for a success to be believed.
func (c *Client) orderResult(api, outTradeNo string, amount app.Money, a answer, query bool) app.ChannelResult {
	if a.bad != nil {
		return *a.bad
	}
	if *a.head.Status != statusOK {
		return c.base(a, query)
	}
	var out orderAnswer
	if bad := c.decodeMember(api, outTradeNo, a, &out); bad != nil {
		return *bad
	}
	oc := out.OrderContent
	if oc == nil {
		return c.mismatch(api, outTradeNo, "order_content missing")
	}
	if oc.OutTradeNo != outTradeNo {
		return c.mismatch(api, outTradeNo, "out_trade_no")
	}
	o, state, known := oc.state()
	if !known {
		// No platform extension: status 0 of a payment means paid; a query
		// without a state says nothing.
		o, state = app.OutcomeUnknown, ""
		if !query {
			o, state = app.OutcomeSuccess, "PAID"
		}
	}
	if oc.IsTransforming && o == app.OutcomeUnknown {
		o = app.OutcomePending
	}
	res := app.ChannelResult{Outcome: o, TradeState: state, TransactionID: oc.TransactionID, Amount: app.Money(oc.TotalFee),
		FinishedAt: unix(oc.TimeEnd), Code: "0", Message: c.redact(a.head.Description), NoReverse: a.head.InternalStatus == internalDuplicate}
	if o == app.OutcomeSuccess && (oc.TransactionID == "" || oc.TotalFee <= 0 || (amount != 0 && app.Money(oc.TotalFee) != amount)) {
		return c.mismatch(api, outTradeNo, "total_fee/transaction_id")
	}
	return res
}
