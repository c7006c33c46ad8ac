package wechat

import (
	"context"

	"cashier/app"
	"cashier/sync/channel"
)

// Consume implements app.PaymentChannel: /deposit/consume (client
// certificate, HMAC-SHA256) takes consume_fee of the deposit; WeChat
// returns the rest to the customer automatically.
func (c *Client) Consume(ctx context.Context, r app.ConsumeRequest) (app.ChannelResult, error) {
	if !r.Deposit {
		return app.ChannelResult{}, app.NotSent("只有押金可以消费 / only a deposit can be consumed")
	}
	params := map[string]string{}
	if err := orderKey(r.OrderRef, params); err != nil {
		return app.ChannelResult{}, err
	}
	if err := channel.CheckAmount("押金金额 / deposit amount", r.Total); err != nil {
		return app.ChannelResult{}, err
	}
	if err := channel.CheckAmount("消费金额 / consume amount", r.Amount); err != nil {
		return app.ChannelResult{}, err
	}
	if r.Amount > r.Total {
		return app.ChannelResult{}, app.NotSent("消费金额 %s 大于押金 %s / the consume amount %s is more than the deposit %s", r.Amount, r.Total, r.Amount, r.Total)
	}
	params["total_fee"] = itoa(r.Total)
	params["consume_fee"] = itoa(r.Amount)
	params["fee_type"] = "CNY"
	s := callSpec{what: "/deposit/consume", params: params, needCert: true, signType: SignHMACSHA256, ref: r.OutTradeNo, refKey: "out_trade_no"}
	a, err := c.call(ctx, s)
	if err != nil {
		return app.ChannelResult{}, err
	}
	if a.bad != nil {
		return *a.bad, nil
	}
	p := a.p
	if p["result_code"] == "SUCCESS" {
		amt, ok := fen(p["consume_fee"])
		if !ok || amt != r.Amount {
			c.untrusted(s, "signed consume SUCCESS with a different consume_fee")
			return channel.Untrusted(channel.CodeMismatch, "微信支付押金消费应答金额不符，请查询 / WeChat's consume answer states another amount; query the deposit"), nil
		}
		return app.ChannelResult{
			Outcome:       app.OutcomeSuccess,
			TransactionID: p["transaction_id"],
			Amount:        amt,
			TradeState:    "PAID",
		}, nil
	}
	code := p["err_code"]
	if consumeFailCodes[code] {
		return c.business(app.OutcomeFailed, p), nil
	}
	return c.business(app.OutcomeUnknown, p), nil
}
