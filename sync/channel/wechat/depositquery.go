package wechat

import (
	"context"

	"cashier/app"
	"cashier/sync/channel"
)

// QueryDepositOp implements app.PaymentChannel: /deposit/orderquery of the
// deposit (r.OrderRef), read for the operation asked about. WeChat keeps
// no record per operation: a deposit is consumed at most once (the rest
// goes back by itself) and released whole by /deposit/reverse, so the
// deposit's state answers for both.
//
// Consume: trade_state CONSUMED (押金消费成功), or REFUND (consumed, then
// refunded), is done (Amount = consume_fee as WeChat states it,
// TransactionID = the deposit's transaction_id; without a consume_fee it
// is unknown, MALFORMED); SETTLING (消费已受理) is pending; SETTLEMENTFAIL
// (the return of the rest failed) is unknown, for a person to look at; any
// other state without a consumption (consume_fee 0: still frozen,
// reversed, never paid) is NotFound.
//
// Release: REVOKED is done (Amount = total_fee, the whole deposit; without
// a readable total_fee it is unknown, MALFORMED); any other state is
// NotFound (the reverse did not happen).
//
// ORDERNOTEXIST is NotFound; a failed query is unknown.
func (c *Client) QueryDepositOp(ctx context.Context, r app.DepositOpRef) (app.ChannelResult, error) {
	if r.Kind != app.DepositOpConsume && r.Kind != app.DepositOpRelease {
		return app.ChannelResult{}, app.NotSent("未知的押金操作 %q / unknown deposit operation %q", r.Kind, r.Kind)
	}
	params := map[string]string{}
	if err := orderKey(r.OrderRef, params); err != nil {
		return app.ChannelResult{}, err
	}
	s := callSpec{what: "/deposit/orderquery", params: params, signType: SignHMACSHA256, ref: r.OutTradeNo, refKey: "out_trade_no"}
	a, err := c.call(ctx, s)
	if err != nil {
		return app.ChannelResult{}, err
	}
	return c.depositOpResult(s, a, r), nil
}

func (c *Client) depositOpResult(s callSpec, a answer, r app.DepositOpRef) app.ChannelResult {
	if a.bad != nil {
		return *a.bad
	}
	p := a.p
	if res, failed := c.failedQuery(s, p, "ORDERNOTEXIST"); failed {
		return res
	}
	if bad, ok := c.otherOrder(s, p, r.OrderRef); ok {
		return bad
	}
	state := p["trade_state"]
	_, neutral := tradeState(state)
	res := app.ChannelResult{
		Outcome:       app.OutcomeUnknown,
		TransactionID: p["transaction_id"],
		TradeState:    neutral,
		Code:          c.redact(state),
		Message:       c.redact(p["trade_state_desc"]),
	}
	notFound := func() app.ChannelResult {
		res.NotFound = true
		res.Message = c.redact("微信支付没有这笔押金操作（押金状态 " + state + "）/ WeChat shows no such deposit operation (deposit state " + state + ")")
		return res
	}
	switch r.Kind {
	case app.DepositOpConsume:
		consumed, ok := fen(p["consume_fee"])
		switch {
		case state == "CONSUMED" || state == "REFUND":
			// REFUND: consumed, then part of it refunded (a deposit is
			// refunded only from what was consumed).
			if !ok || consumed == 0 {
				c.untrusted(s, "signed "+state+" state without a consume_fee")
				return channel.Untrusted(channel.CodeMalformed, "微信支付押金查询应答缺少消费金额，结果未知 / WeChat's deposit query does not state the consumed amount; outcome unknown")
			}
			res.Outcome, res.Amount = app.OutcomeSuccess, consumed
			res.FinishedAt = parseTime(p["time_consume"])
		case state == "SETTLING":
			res.Outcome = app.OutcomePending
		case state == "SETTLEMENTFAIL":
			// The consume went through but the rest did not go back: not
			// ours to settle by asking again.
			res.Message = c.redact("押金消费后解冻失败，请在商户平台处理 / the consume went through but returning the rest failed; handle it in the merchant platform: " + p["trade_state_desc"])
		case state == "" || neutral == "":
			c.untrusted(s, "signed deposit query answer with an unknown trade_state")
		case ok && consumed > 0:
			// A consumption in a state that should have none: not ours to
			// guess.
			c.untrusted(s, "signed deposit state "+state+" with a consume_fee")
		default:
			return notFound()
		}
	case app.DepositOpRelease:
		switch {
		case state == "REVOKED":
			amt, ok := fen(p["total_fee"])
			if !ok {
				c.untrusted(s, "signed REVOKED state without a readable total_fee")
				return channel.Untrusted(channel.CodeMalformed, "微信支付押金查询应答缺少押金金额，结果未知 / WeChat's deposit query does not state the deposit amount; outcome unknown")
			}
			res.Outcome, res.Amount = app.OutcomeSuccess, amt
		case state == "" || neutral == "":
			c.untrusted(s, "signed deposit query answer with an unknown trade_state")
		default:
			return notFound()
		}
	}
	return res
}
