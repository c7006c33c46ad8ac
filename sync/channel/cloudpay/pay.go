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

func (r payRequest) paymentCode() string    { return r.PayContent.AuthorCode }
func (r freezeRequest) paymentCode() string { return r.FreezeContent.AuthorCode }

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
// pay_platform: WeChat 1, Alipay 2. The payment code is taken out of
// whatever the result quotes.
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
		return channel.RedactResult(c.freezeResult("micro_freeze", app.OrderRef{OutTradeNo: r.OutTradeNo, Wallet: r.Wallet, Deposit: true}, r.Amount, a, kindMoney), r.AuthCode), nil
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
	return channel.RedactResult(c.orderResult("micro_pay", app.OrderRef{OutTradeNo: r.OutTradeNo, Wallet: r.Wallet}, r.Amount, a, kindMoney), r.AuthCode), nil
}

// orderResult reads an answer carrying order_content (micro_pay,
// query_order). want, when not 0, must be the order's total_fee for a
// success to be believed.
func (c *Client) orderResult(api string, ref app.OrderRef, want app.Money, a answer, kind callKind) app.ChannelResult {
	return c.readRecord(api, ref, want, a, kind, "order_content", func(out *orderAnswer) *record {
		if out.OrderContent == nil {
			return nil
		}
		return out.OrderContent.record()
	})
}

// freezeResult reads an answer carrying freeze_order_content (micro_freeze,
// query_freeze_order).
func (c *Client) freezeResult(api string, ref app.OrderRef, want app.Money, a answer, kind callKind) app.ChannelResult {
	return c.readRecord(api, ref, want, a, kind, "freeze_order_content", func(out *orderAnswer) *record {
		if out.FreezeOrderContent == nil {
			return nil
		}
		return out.FreezeOrderContent.record()
	})
}

// record is what the answer readers check in an order-like record
// (order_content, freeze_order_content), the same way for every kind.
type record struct {
	number, numberField string // the record's own number and the name of its field
	txn                 string
	fee                 int64
	feeField            string
	timeEnd             int64
	platform            int     // pay_platform its extension shows, 0 for none
	rd                  reading // what its state says
	known               bool    // a platform extension gave the state
	transforming        bool    // is_transforming: the state is about to change
	// other names a field that shows the record is not the one asked
	// about ("" when none): the reader's own checks beyond the number.
	other string
}

func (o *orderContent) record() *record {
	rd, known := o.state()
	return &record{number: o.OutTradeNo, numberField: "out_trade_no", txn: o.TransactionID, fee: o.TotalFee, feeField: "total_fee",
		timeEnd: o.TimeEnd, platform: extPlatform(o.Wx, o.Ali), rd: rd, known: known, transforming: o.IsTransforming}
}

func (f *freezeContent) record() *record {
	rd, known := f.state()
	return &record{number: f.OutFreezeNo, numberField: "out_freeze_no", txn: f.TransactionID, fee: f.FreezeFee, feeField: "freeze_fee",
		timeEnd: f.TimeEnd, platform: extPlatform(f.Wx, f.Ali), rd: rd, known: known}
}

// readRecord reads an answer carrying one order-like record, which pick
// takes from the decoded answer (nil when the answer lacks member). The
// checks every such answer gets, in order: the answer is trusted and its
// status 0 (else the status decides); the record is there, under our
// number, passes the reader's own checks and names no other sub-merchant
// (else MISMATCH); without a platform extension a money call's status 0
// means done and a query's says nothing; internal_status 407 makes it
// Foreign; a query's record of another platform, transaction id or
// terminal, or under a number answered 407, is Foreign; a Success needs a
// transaction id and an amount, and the amount want when that is not 0
// (else MISMATCH).
func (c *Client) readRecord(api string, ref app.OrderRef, want app.Money, a answer, kind callKind, member string, pick func(*orderAnswer) *record) app.ChannelResult {
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
	rec := pick(&out)
	switch {
	case rec == nil:
		return c.mismatch(api, ref.OutTradeNo, member+" missing")
	case rec.number != ref.OutTradeNo:
		return c.mismatch(api, ref.OutTradeNo, rec.numberField)
	case rec.other != "":
		return c.mismatch(api, ref.OutTradeNo, rec.other)
	}
	if bad := c.otherMerchant(api, ref.OutTradeNo, out.PayMchKey); bad != nil {
		return *bad
	}
	rd := rec.rd
	if !rec.known {
		// No platform extension: status 0 of a money call means done; a
		// query without a state says nothing.
		rd = reading{outcome: app.OutcomeUnknown}
		if kind != kindQuery {
			rd = reading{outcome: app.OutcomeSuccess, state: "PAID"}
		}
	}
	if rec.transforming && rd.outcome == app.OutcomeUnknown && !rd.notFound {
		rd.outcome = app.OutcomePending
	}
	res := app.ChannelResult{Outcome: rd.outcome, TradeState: rd.state, TransactionID: rec.txn, Amount: app.Money(rec.fee),
		FinishedAt: unix(rec.timeEnd), Code: "0", Message: c.redact(a.head.Description)}
	markForeign(&res, a.head)
	if kind == kindQuery {
		res.NotFound = rd.notFound
		if why := c.notOursAnswer(ref, rec.platform, rec.txn, out.PayMchKey, out.OrderClient); why != "" {
			c.untrusted(api, ref.OutTradeNo, "the "+member+" under this number is another order's: "+why)
			return foreignResult("（" + why + "）")
		}
	}
	if res.Outcome == app.OutcomeSuccess && (rec.txn == "" || rec.fee <= 0 || (want != 0 && app.Money(rec.fee) != want)) {
		return c.mismatch(api, ref.OutTradeNo, rec.feeField+"/transaction_id")
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
