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

// Query implements app.PaymentChannel: query_order (trade_type 1, code
// payment). A deposit is queried the same way by its number.
func (c *Client) Query(ctx context.Context, r app.OrderRef) (app.ChannelResult, error) {
	key, err := c.mchKey(r.Wallet)
	if err != nil {
		return app.ChannelResult{}, err
	}
	if err := c.checkNo("商户订单号 out_trade_no", r.OutTradeNo); err != nil {
		return app.ChannelResult{}, err
	}
	req := orderRequest{PayMchKey: key, OrderClient: c.client("", "", "", false), OutTradeNo: r.OutTradeNo, TradeType: 1, NonceStr: channel.Nonce()}
	a, err := c.call(ctx, "query_order", req, r.OutTradeNo, false)
	if err != nil {
		return app.ChannelResult{}, err
	}
	return c.orderResult("query_order", r.OutTradeNo, 0, a, true), nil
}
