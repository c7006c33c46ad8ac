package wechat

import (
	"context"
	"fmt"

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
	s := callSpec{what: "/deposit/consume", params: params, needCert: true, signType: SignHMACSHA256, ref: r.OutTradeNo, refKey: "out_trade_no", effect: true}
	a, err := c.call(ctx, s)
	if err != nil {
		return app.ChannelResult{}, err
	}
	return c.consumeResult(s, a, r), nil
}

// consumeResult reads a /deposit/consume answer. The consumed amount is
// reported as WeChat states it (consume_fee), whatever was asked.
func (c *Client) consumeResult(s callSpec, a answer, r app.ConsumeRequest) app.ChannelResult {
	if a.bad != nil {
		return *a.bad
	}
	p := a.p
	if bad, ok := c.otherOrder(s, p, r.OrderRef); ok {
		return bad
	}
	if p["result_code"] == "SUCCESS" {
		amt, ok := fen(p["consume_fee"])
		if !ok {
			c.untrusted(s, "signed consume SUCCESS without a readable consume_fee")
			return channel.Untrusted(channel.CodeMalformed, "微信支付押金消费应答缺少消费金额，请查询 / WeChat's consume answer does not state the consumed amount; query the deposit")
		}
		res := app.ChannelResult{
			Outcome:       app.OutcomeSuccess,
			TransactionID: p["transaction_id"],
			Amount:        amt,
			TradeState:    "PAID",
		}
		if amt != r.Amount {
			c.log.Warn("wechat: deposit consumed for another amount", "ref", s.ref, "asked", r.Amount.String(), "consume_fee", amt.String())
			res.Message = fmt.Sprintf("押金消费了 %s 而非 %s / WeChat consumed %s, not the %s asked", amt, r.Amount, amt, r.Amount)
		}
		return res
	}
	if res, ok := c.refusedSettings(s, p); ok {
		return res
	}
	if consumeFailCodes[p["err_code"]] {
		return c.business(app.OutcomeFailed, p)
	}
	return c.business(app.OutcomeUnknown, p)
}
