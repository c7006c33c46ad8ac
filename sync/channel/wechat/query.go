package wechat

import (
	"context"

	"cashier/app"
	"cashier/sync/channel"
)

// Query implements app.PaymentChannel: /pay/orderquery, or
// /deposit/orderquery for a deposit. trade_state decides the outcome; a
// failed query says nothing about the money and is OutcomeUnknown.
func (c *Client) Query(ctx context.Context, r app.OrderRef) (app.ChannelResult, error) {
	params := map[string]string{}
	if err := orderKey(r, params); err != nil {
		return app.ChannelResult{}, err
	}
	s := callSpec{what: "/pay/orderquery", params: params, ref: r.OutTradeNo, refKey: "out_trade_no"}
	if r.Deposit {
		s.what = "/deposit/orderquery"
		s.signType = SignHMACSHA256
	}
	a, err := c.call(ctx, s)
	if err != nil {
		return app.ChannelResult{}, err
	}
	return c.queryResult(s, a), nil
}

// queryResult reads a query answer.
func (c *Client) queryResult(s callSpec, a answer) app.ChannelResult {
	if a.bad != nil {
		return *a.bad
	}
	p := a.p
	if res, failed := c.failedQuery(s, p, "ORDERNOTEXIST"); failed {
		if res.NotFound {
			res.Message = c.redact("微信支付没有这笔订单（可能尚未到达）/ WeChat has no such order (it may not have arrived yet): " + p["err_code_des"])
		}
		return res
	}
	o, state := tradeState(p["trade_state"])
	res := app.ChannelResult{
		Outcome:       o,
		TradeState:    state,
		TransactionID: p["transaction_id"],
		FinishedAt:    parseTime(p["time_end"]),
		Code:          c.redact(p["trade_state"]),
		Message:       c.redact(p["trade_state_desc"]),
	}
	if amt, ok := fen(p["total_fee"]); ok {
		res.Amount = amt
	}
	if o == app.OutcomeSuccess && (res.TransactionID == "" || res.Amount == 0) {
		c.untrusted(s, "signed SUCCESS state without transaction_id or total_fee")
		return channel.Untrusted(channel.CodeMalformed, "微信支付查询应答不完整，结果未知 / WeChat's query answer lacks the transaction id or amount; outcome unknown")
	}
	return res
}
