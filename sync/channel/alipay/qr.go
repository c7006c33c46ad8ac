package alipay

import (
	"context"
	"time"

	"cashier/app"
	"cashier/sync/channel"
)

const (
	methodPrecreate = "alipay.trade.precreate"
	// timeLayout is Alipay's time format (Beijing time).
	timeLayout = "2006-01-02 15:04:05"
)

type precreateBiz struct {
	OutTradeNo  string `json:"out_trade_no"`
	TotalAmount string `json:"total_amount"`
	Subject     string `json:"subject"`
	// UndiscountableAmount: the part Alipay's promotions must leave
	// alone; left out when there is none.
	UndiscountableAmount string `json:"undiscountable_amount,omitempty"`
	StoreID              string `json:"store_id,omitempty"`
	TerminalID           string `json:"terminal_id,omitempty"`
	OperatorID           string `json:"operator_id,omitempty"`
	// TimeExpire is absolute, so a repeat after a lost answer is the
	// same request; timeout_express and qr_code_timeout_express count
	// from the call (or, for timeout_express, from the scan) and would
	// change between attempts.
	TimeExpire string `json:"time_expire"`
}

type precreateResp struct {
	common
	OutTradeNo string `json:"out_trade_no"`
	QRCode     string `json:"qr_code"`
}

var _ app.QRChannel = (*Client)(nil)

// Precreate implements app.QRChannel: alipay.trade.precreate. Alipay
// creates no trade until the customer scans the code (a query before
// that answers ACQ.TRADE_NOT_EXIST, which the state machine reads as
// "not scanned yet"); time_expire bounds both the code and the trade.
func (c *Client) Precreate(ctx context.Context, r app.PrecreateRequest) (app.QRResult, error) {
	if err := c.checkPrecreate(r); err != nil {
		return app.QRResult{}, err
	}
	expires := r.ExpiresAt.Truncate(time.Second).In(channel.Beijing)
	biz := precreateBiz{OutTradeNo: r.OutTradeNo, TotalAmount: r.Amount.Yuan(), Subject: r.Subject,
		StoreID: or(r.StoreID, c.cfg.StoreID), TerminalID: or(r.TerminalID, c.cfg.TerminalID), OperatorID: r.StaffID,
		TimeExpire: expires.Format(timeLayout)}
	if r.Undiscountable > 0 {
		biz.UndiscountableAmount = r.Undiscountable.Yuan()
	}
	var out precreateResp
	bad, err := c.call(ctx, methodPrecreate, biz, r.OutTradeNo, &out)
	if err != nil {
		return app.QRResult{}, err
	}
	res := c.precreateResult(r.OutTradeNo, bad, &out)
	if res.CodeURL != "" {
		res.ExpiresAt = expires
	}
	return res, nil
}

func (c *Client) precreateResult(outTradeNo string, bad *app.ChannelResult, out *precreateResp) app.QRResult {
	if bad != nil {
		return app.QRResult{ChannelResult: *bad}
	}
	switch out.Code {
	case codeSuccess:
		if out.OutTradeNo != "" && out.OutTradeNo != outTradeNo {
			return app.QRResult{ChannelResult: c.mismatch(methodPrecreate, outTradeNo, "out_trade_no")}
		}
		if out.QRCode == "" {
			return app.QRResult{ChannelResult: c.mismatch(methodPrecreate, outTradeNo, "qr_code")}
		}
		res := c.result(app.OutcomeSuccess, &out.common)
		res.TradeState = "NOTPAY"
		return app.QRResult{ChannelResult: res, CodeURL: out.QRCode}
	case codeBizFail:
		switch {
		case out.SubCode == "ACQ.TRADE_HAS_SUCCESS":
			// Already paid under this number: the query decides, with
			// the amount it states.
			return app.QRResult{ChannelResult: c.result(app.OutcomeUnknown, &out.common)}
		case unknownSubCodes[out.SubCode]:
			return app.QRResult{ChannelResult: c.result(app.OutcomeUnknown, &out.common)}
		}
		res := c.result(app.OutcomeFailed, &out.common)
		if newNumberSubCodes[out.SubCode] {
			res.NewOrderNo = true
			res.TradeState = "CLOSED"
		}
		return app.QRResult{ChannelResult: res}
	}
	return app.QRResult{ChannelResult: c.result(app.OutcomeUnknown, &out.common)} // 20000 and anything else
}

// CloseQR implements app.QRChannel with alipay.trade.cancel, not
// alipay.trade.close. A precreated trade does not exist at Alipay until
// the customer scans: trade.close before the scan answers
// ACQ.TRADE_NOT_EXIST and does not stop a later scan from paying, and
// after a payment it is refused (ACQ.TRADE_STATUS_ERROR) while the money
// stays taken. trade.cancel is Alipay's call for "the result is not known,
// end it": an unpaid trade is closed (action close), a paid one refunded
// (action refund), and a number Alipay has not seen yet is recorded so
// the code can no longer be paid. The state machine queries first, so a
// cancel that refunds only happens when the customer paid in the moment
// between the query and the cancel; no money stays taken either way.
func (c *Client) CloseQR(ctx context.Context, r app.OrderRef) (app.ChannelResult, error) {
	if r.Deposit {
		return app.ChannelResult{}, app.NotSent("押金不能关单 / a deposit cannot be closed as a QR order")
	}
	if err := checkRef(r); err != nil {
		return app.ChannelResult{}, err
	}
	var out cancelResp
	bad, err := c.call(ctx, methodCancel, queryBiz{OutTradeNo: r.OutTradeNo, TradeNo: r.TransactionID}, r.OutTradeNo, &out)
	if err != nil {
		return app.ChannelResult{}, err
	}
	res := c.cancelResult(r, bad, &out)
	if bad == nil && out.Code == codeBizFail && out.SubCode == "ACQ.TRADE_NOT_EXIST" {
		res.Outcome, res.NotFound = app.OutcomeUnknown, true
	}
	return res, nil
}

func (c *Client) checkPrecreate(r app.PrecreateRequest) error {
	if r.Wallet != app.WalletAlipay {
		return app.NotSent("支付宝不受理 %s 的二维码收款 / Alipay does not take %s QR payments", r.Wallet, r.Wallet)
	}
	if err := channel.CheckOrderNo("商户订单号 out_trade_no", r.OutTradeNo, 64, orderNoChars); err != nil {
		return err
	}
	if err := channel.CheckAmount("支付金额 / payment amount", r.Amount); err != nil {
		return err
	}
	if r.Undiscountable < 0 || r.Undiscountable > r.Amount {
		return app.NotSent("不可打折金额 %s 须在 0 到支付金额之间 / undiscountable amount must be 0 to the payment amount", r.Undiscountable.Yuan())
	}
	now := c.clock.Now()
	if !r.ExpiresAt.After(now) || r.ExpiresAt.Sub(now) > app.MaxQRExpire {
		return app.NotSent("二维码有效期须在现在之后、两小时之内 / the QR expiry must be after now and within two hours")
	}
	return checkSubject(r.Subject)
}
