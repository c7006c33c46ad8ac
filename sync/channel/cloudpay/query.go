package cloudpay

import (
	"context"

	"cashier/app"
	"cashier/sync/channel"
)

type orderRequest struct {
	PayMchKey   payMchKey   `json:"pay_mch_key"`
	OrderClient orderClient `json:"order_client"`
	OutTradeNo  string      `json:"out_trade_no"`
	TradeType   int         `json:"trade_type,omitempty"`
	NonceStr    string      `json:"nonce_str"`
}

type freezeQueryRequest struct {
	PayMchKey   payMchKey   `json:"pay_mch_key"`
	OrderClient orderClient `json:"order_client"`
	OutFreezeNo string      `json:"out_freeze_no"`
	NonceStr    string      `json:"nonce_str"`
}

// Query implements app.PaymentChannel: query_order (trade_type 1, code
// payment), or query_freeze_order for a deposit, read with the freeze
// state tables. An order under our number that is not ours (answered 407
// before, another platform, transaction id or terminal) is reported
// Foreign and never as paid.
func (c *Client) Query(ctx context.Context, r app.OrderRef) (app.ChannelResult, error) {
	key, err := c.mchKey(r.Wallet)
	if err != nil {
		return app.ChannelResult{}, err
	}
	if err := c.checkNo("商户订单号 out_trade_no", r.OutTradeNo); err != nil {
		return app.ChannelResult{}, err
	}
	if r.Deposit {
		req := freezeQueryRequest{PayMchKey: key, OrderClient: c.client("", "", "", false), OutFreezeNo: r.OutTradeNo, NonceStr: channel.Nonce()}
		a, err := c.call(ctx, "query_freeze_order", req, r.OutTradeNo, false)
		if err != nil {
			return app.ChannelResult{}, err
		}
		return c.foreignQuery(r.OutTradeNo, c.freezeResult("query_freeze_order", r, 0, a, kindQuery)), nil
	}
	req := orderRequest{PayMchKey: key, OrderClient: c.client("", "", "", false), OutTradeNo: r.OutTradeNo, TradeType: 1, NonceStr: channel.Nonce()}
	a, err := c.call(ctx, "query_order", req, r.OutTradeNo, false)
	if err != nil {
		return app.ChannelResult{}, err
	}
	return c.foreignQuery(r.OutTradeNo, c.orderResult("query_order", r, 0, a, kindQuery)), nil
}

// foreignQuery makes sure no answer about a number known to be another
// order's (an untrusted or refused one included) reads as anything else.
func (c *Client) foreignQuery(no string, res app.ChannelResult) app.ChannelResult {
	if res.Foreign || !c.foreign.has(no) {
		return res
	}
	return foreignResult("")
}
