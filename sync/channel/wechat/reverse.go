package wechat

import (
	"context"

	"cashier/app"
	"cashier/sync/channel"
)

// Reverse implements app.PaymentChannel: /secapi/pay/reverse, or
// /deposit/reverse (which returns the whole deposit). Both need the client
// certificate. recall=Y asks for the same call again (Retry).
func (c *Client) Reverse(ctx context.Context, r app.OrderRef) (app.ChannelResult, error) {
	params := map[string]string{}
	if err := orderKey(r, params); err != nil {
		return app.ChannelResult{}, err
	}
	s := callSpec{what: "/secapi/pay/reverse", params: params, needCert: true, ref: r.OutTradeNo, refKey: "out_trade_no", effect: true}
	if r.Deposit {
		s.what = "/deposit/reverse"
		s.signType = SignHMACSHA256
	}
	return c.reverse(ctx, s)
}

// Release implements app.PaymentChannel. WeChat deposits cannot be partly
// released: a consume returns the rest automatically, and a deposit that
// is not consumed is returned whole by /deposit/reverse. r.Amount is
// checked but the channel returns the whole deposit.
func (c *Client) Release(ctx context.Context, r app.ReleaseRequest) (app.ChannelResult, error) {
	if !r.Deposit {
		return app.ChannelResult{}, app.NotSent("只有押金可以解冻退还 / only a deposit can be released")
	}
	if err := channel.CheckAmount("退还金额 / release amount", r.Amount); err != nil {
		return app.ChannelResult{}, err
	}
	params := map[string]string{}
	if err := orderKey(r.OrderRef, params); err != nil {
		return app.ChannelResult{}, err
	}
	return c.reverse(ctx, callSpec{what: "/deposit/reverse", params: params, needCert: true, signType: SignHMACSHA256, ref: r.OutTradeNo, refKey: "out_trade_no", effect: true})
}

func (c *Client) reverse(ctx context.Context, s callSpec) (app.ChannelResult, error) {
	a, err := c.call(ctx, s)
	if err != nil {
		return app.ChannelResult{}, err
	}
	return c.reverseResult(s, a), nil
}

// reverseResult reads a reverse answer.
func (c *Client) reverseResult(s callSpec, a answer) app.ChannelResult {
	if a.bad != nil {
		return *a.bad
	}
	p := a.p
	if res, ok := c.refusedSettings(s, p); ok && p["recall"] != "Y" {
		return res
	}
	recall := p["recall"] == "Y"
	if p["result_code"] == "SUCCESS" && !recall {
		res := c.business(app.OutcomeSuccess, p)
		res.TradeState = "REVOKED"
		return res
	}
	code := p["err_code"]
	switch {
	case recall:
		res := c.business(app.OutcomeUnknown, p)
		res.Retry = true
		return res
	case code == "USERPAYING":
		// The customer is still typing the password: reverse again shortly.
		res := c.business(app.OutcomePending, p)
		res.TradeState = "PAYING"
		res.Retry = true
		return res
	case reverseFailCodes[code]:
		return c.business(app.OutcomeFailed, p)
	case code == "ORDERNOTEXIST":
		// Definite, but an in-flight payment may still arrive: the state
		// machine decides.
		res := c.business(app.OutcomeUnknown, p)
		res.NotFound = true
		return res
	}
	// SYSTEMERROR and unknown codes: not known.
	return c.business(app.OutcomeUnknown, p)
}
