package cloudpay

import (
	"context"

	"cashier/app"
	"cashier/sync/channel"
)

// Reverse implements app.PaymentChannel: reverse (撤单), signed with
// RSASSA-PSS when a signing key is configured. The caller must honour
// ChannelResult.NoReverse (internal_status 407): the client itself refuses,
// without sending, to reverse a number it was told belongs to another order.
func (c *Client) Reverse(ctx context.Context, r app.OrderRef) (app.ChannelResult, error) {
	key, err := c.mchKey(r.Wallet)
	if err != nil {
		return app.ChannelResult{}, err
	}
	if err := c.checkNo("商户订单号 out_trade_no", r.OutTradeNo); err != nil {
		return app.ChannelResult{}, err
	}
	if err := c.notOurs(r.OutTradeNo); err != nil {
		return app.ChannelResult{}, err
	}
	req := orderRequest{PayMchKey: key, OrderClient: c.client("", "", "", false), OutTradeNo: r.OutTradeNo, NonceStr: channel.Nonce()}
	a, err := c.call(ctx, "reverse", req, r.OutTradeNo, true)
	if err != nil {
		return app.ChannelResult{}, err
	}
	return c.reverseResult(a), nil
}

func (c *Client) reverseResult(a answer) app.ChannelResult {
	if a.bad != nil {
		return *a.bad
	}
	if *a.head.Status != statusOK {
		return c.base(a, kindReverse)
	}
	res := app.ChannelResult{Outcome: app.OutcomeSuccess, TradeState: "REVOKED", Code: "0", Message: c.redact(a.head.Description)}
	markForeign(&res, a.head)
	return res
}
