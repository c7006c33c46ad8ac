package cloudpay

import (
	"context"
	"encoding/json"
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

// freezeReqContent is micro_freeze's content group (page 37676): the
// freeze's own number and amount, not pay_content's. The group's name is
// not legible in the stored copy; its members' extensions are
// wxpay_freeze_content_ext / alipay_freeze_content_ext, as pay_content's
// are wxpay_pay_content_ext, so it is freeze_content.
type freezeReqContent struct {
	OutFreezeNo string `json:"out_freeze_no"`
	AuthorCode  string `json:"author_code"`
	FreezeFee   int64  `json:"freeze_fee"`
	FeeType     string `json:"fee_type"`
	Body        string `json:"body"`
}

type freezeRequest struct {
	PayMchKey     payMchKey        `json:"pay_mch_key"`
	FreezeContent freezeReqContent `json:"freeze_content"`
	OrderClient   orderClient      `json:"order_client"`
	NonceStr      string           `json:"nonce_str"`
}

// mchKeyAnswer is the pay_mch_key an answer carries.
type mchKeyAnswer struct {
	PayPlatform int    `json:"pay_platform"`
	OutSubMchID string `json:"out_sub_mch_id"`
}

type orderAnswer struct {
	PayMchKey          *mchKeyAnswer   `json:"pay_mch_key"`
	OrderContent       *orderContent   `json:"order_content"`
	FreezeOrderContent *freezeContent  `json:"freeze_order_content"`
	OrderClient        json.RawMessage `json:"order_client"`
}

// Pay implements app.PaymentChannel: micro_pay, or micro_freeze for a
// deposit (the deposit's OutTradeNo is its out_freeze_no). The wallet picks
// pay_platform: WeChat 1, Alipay 2.
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
	oc := c.client(r.StaffID, r.TerminalID, r.ClientIP, true)
	if r.Deposit {
		req := freezeRequest{PayMchKey: key, OrderClient: oc, NonceStr: channel.Nonce(),
			FreezeContent: freezeReqContent{OutFreezeNo: r.OutTradeNo, AuthorCode: r.AuthCode, FreezeFee: int64(r.Amount), FeeType: "CNY", Body: r.Subject}}
		a, err := c.call(ctx, "micro_freeze", req, r.OutTradeNo, false)
		if err != nil {
			return app.ChannelResult{}, err
		}
		return c.freezeResult("micro_freeze", app.OrderRef{OutTradeNo: r.OutTradeNo, Wallet: r.Wallet, Deposit: true}, r.Amount, a, kindMoney), nil
	}
	req := payRequest{
		PayMchKey:   key,
		PayContent:  payContent{OutTradeNo: r.OutTradeNo, AuthorCode: r.AuthCode, TotalFee: int64(r.Amount), FeeType: "CNY", Body: r.Subject},
		OrderClient: oc,
		NonceStr:    channel.Nonce(),
	}
	a, err := c.call(ctx, "micro_pay", req, r.OutTradeNo, false)
	if err != nil {
		return app.ChannelResult{}, err
	}
	return c.orderResult("micro_pay", app.OrderRef{OutTradeNo: r.OutTradeNo, Wallet: r.Wallet}, r.Amount, a, kindMoney), nil
}

// orderResult reads an answer carrying order_content (micro_pay,
// query_order). want, when not 0, must be the order's total_fee for a
// success to be believed.
func (c *Client) orderResult(api string, ref app.OrderRef, want app.Money, a answer, kind callKind) app.ChannelResult {
	if a.bad != nil {
		return *a.bad
	}
	if *a.head.Status != statusOK {
		return c.base(a, kind)
	}
	var out orderAnswer
	if bad := c.decodeMember(api, ref.OutTradeNo, a, &out); bad != nil {
		return *bad
	}
	oc := out.OrderContent
	if oc == nil {
		return c.mismatch(api, ref.OutTradeNo, "order_content missing")
	}
	if oc.OutTradeNo != ref.OutTradeNo {
		return c.mismatch(api, ref.OutTradeNo, "out_trade_no")
	}
	if bad := c.otherMerchant(api, ref.OutTradeNo, out.PayMchKey); bad != nil {
		return *bad
	}
	rd, known := oc.state()
	if !known {
		// No platform extension: status 0 of a payment means paid; a query
		// without a state says nothing.
		rd = reading{outcome: app.OutcomeUnknown}
		if kind != kindQuery {
			rd = reading{outcome: app.OutcomeSuccess, state: "PAID"}
		}
	}
	if oc.IsTransforming && rd.outcome == app.OutcomeUnknown && !rd.notFound {
		rd.outcome = app.OutcomePending
	}
	res := app.ChannelResult{Outcome: rd.outcome, TradeState: rd.state, TransactionID: oc.TransactionID, Amount: app.Money(oc.TotalFee),
		FinishedAt: unix(oc.TimeEnd), Code: "0", Message: c.redact(a.head.Description)}
	markForeign(&res, a.head)
	if kind == kindQuery {
		res.NotFound = rd.notFound
		if why := c.notOursAnswer(ref, extPlatform(oc.Wx, oc.Ali), oc.TransactionID, out.PayMchKey, out.OrderClient); why != "" {
			c.untrusted(api, ref.OutTradeNo, "the order under this number is another order: "+why)
			return foreignResult("（" + why + "）")
		}
	}
	if res.Outcome == app.OutcomeSuccess && (oc.TransactionID == "" || oc.TotalFee <= 0 || (want != 0 && app.Money(oc.TotalFee) != want)) {
		return c.mismatch(api, ref.OutTradeNo, "total_fee/transaction_id")
	}
	return res
}

// freezeResult reads an answer carrying freeze_order_content (micro_freeze,
// query_freeze_order).
func (c *Client) freezeResult(api string, ref app.OrderRef, want app.Money, a answer, kind callKind) app.ChannelResult {
	if a.bad != nil {
		return *a.bad
	}
	if *a.head.Status != statusOK {
		return c.base(a, kind)
	}
	var out orderAnswer
	if bad := c.decodeMember(api, ref.OutTradeNo, a, &out); bad != nil {
		return *bad
	}
	fc := out.FreezeOrderContent
	if fc == nil {
		return c.mismatch(api, ref.OutTradeNo, "freeze_order_content missing")
	}
	if fc.OutFreezeNo != ref.OutTradeNo {
		return c.mismatch(api, ref.OutTradeNo, "out_freeze_no")
	}
	if bad := c.otherMerchant(api, ref.OutTradeNo, out.PayMchKey); bad != nil {
		return *bad
	}
	rd, known := fc.state()
	if !known {
		rd = reading{outcome: app.OutcomeUnknown}
		if kind != kindQuery {
			rd = reading{outcome: app.OutcomeSuccess, state: "PAID"}
		}
	}
	res := app.ChannelResult{Outcome: rd.outcome, TradeState: rd.state, TransactionID: fc.TransactionID, Amount: app.Money(fc.FreezeFee),
		FinishedAt: unix(fc.TimeEnd), Code: "0", Message: c.redact(a.head.Description)}
	markForeign(&res, a.head)
	if kind == kindQuery {
		res.NotFound = rd.notFound
		if why := c.notOursAnswer(ref, extPlatform(fc.Wx, fc.Ali), fc.TransactionID, out.PayMchKey, out.OrderClient); why != "" {
			c.untrusted(api, ref.OutTradeNo, "the freeze under this number is another order: "+why)
			return foreignResult("（" + why + "）")
		}
	}
	if res.Outcome == app.OutcomeSuccess && (fc.TransactionID == "" || fc.FreezeFee <= 0 || (want != 0 && app.Money(fc.FreezeFee) != want)) {
		return c.mismatch(api, ref.OutTradeNo, "freeze_fee/transaction_id")
	}
	return res
}

// otherMerchant refuses an answer about another sub-merchant.
func (c *Client) otherMerchant(api, ref string, k *mchKeyAnswer) *app.ChannelResult {
	if k != nil && k.OutSubMchID != "" && k.OutSubMchID != c.cfg.OutSubMchID {
		r := c.mismatch(api, ref, "out_sub_mch_id")
		return &r
	}
	return nil
}

// notOursAnswer tells why a queried order is not the one we made, "" when
// nothing says so: the number was answered 407 before, or the order is on
// another platform than our wallet's, has another transaction id than the
// one we were given, or was made by another terminal. A query of a number
// someone else used must never settle our payment.
func (c *Client) notOursAnswer(ref app.OrderRef, got int, txn string, k *mchKeyAnswer, client json.RawMessage) string {
	want, _ := platform(ref.Wallet)
	switch {
	case c.foreign.has(ref.OutTradeNo):
		return "407"
	case got != 0 && want != 0 && got != want:
		return "pay_platform"
	case k != nil && k.PayPlatform != 0 && want != 0 && k.PayPlatform != want:
		return "pay_platform"
	case ref.TransactionID != "" && txn != "" && txn != ref.TransactionID:
		return "transaction_id"
	}
	if d := clientOf(client); d != "" && d != c.cfg.DeviceID {
		return "order_client.device_id"
	}
	return ""
}
