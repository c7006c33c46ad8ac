package wechat

import (
	"context"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"cashier/app"
	"cashier/sync/channel"
)

// Refund implements app.PaymentChannel: /secapi/pay/refund, or
// /deposit/refund for a consumed deposit (needs the transaction_id). Both
// need the client certificate. A SUCCESS answer means WeChat accepted the
// refund (OutcomePending) of refund_fee, reported as Amount whatever was
// asked: the state machine compares the two. RefundQuery tells when the
// money is back.
func (c *Client) Refund(ctx context.Context, r app.RefundRequest) (app.ChannelResult, error) {
	params, err := c.refundParams(r)
	if err != nil {
		return app.ChannelResult{}, err
	}
	s := callSpec{what: "/secapi/pay/refund", params: params, needCert: true, ref: r.OutRefundNo, refKey: "out_refund_no", effect: true}
	if r.Deposit {
		if r.TransactionID == "" {
			return app.ChannelResult{}, app.NotSent("押金退款需要微信支付订单号 / a deposit refund needs the WeChat transaction_id")
		}
		s.what = "/deposit/refund"
		s.signType = SignHMACSHA256
	}
	a, err := c.call(ctx, s)
	if err != nil {
		return app.ChannelResult{}, err
	}
	return c.refundResult(s, a, r), nil
}

// refundResult reads a refund answer.
func (c *Client) refundResult(s callSpec, a answer, r app.RefundRequest) app.ChannelResult {
	if a.bad != nil {
		return *a.bad
	}
	p := a.p
	if bad, ok := c.otherOrder(s, p, r.OrderRef); ok {
		return bad
	}
	if p["result_code"] == "SUCCESS" {
		amt, ok := fen(p["refund_fee"])
		if !ok {
			c.untrusted(s, "signed refund SUCCESS without a readable refund_fee")
			return channel.Untrusted(channel.CodeMalformed, "微信支付退款应答缺少退款金额，请查询 / WeChat's refund answer does not state the refunded amount; query the refund")
		}
		res := app.ChannelResult{
			Outcome:       app.OutcomePending,
			TransactionID: p["refund_id"],
			Amount:        amt,
			TradeState:    "REFUND",
			Message:       "退款已受理，请查询结果 / refund accepted; query for the result",
		}
		if amt != r.Amount {
			c.log.Warn("wechat: refund accepted for another amount", "ref", s.ref, "asked", r.Amount.String(), "refund_fee", amt.String())
			res.Message = fmt.Sprintf("退款已受理，但金额为 %s 而非 %s / WeChat accepted the refund for %s, not the %s asked", amt, r.Amount, amt, r.Amount)
		}
		return res
	}
	if res, ok := c.refusedSettings(s, p); ok {
		return res
	}
	code := p["err_code"]
	switch {
	case refundRetryCodes[code]:
		return c.business(app.OutcomeUnknown, p)
	case refundFailCodes[code]:
		return c.business(app.OutcomeFailed, p)
	}
	return c.business(app.OutcomeUnknown, p)
}

func (c *Client) refundParams(r app.RefundRequest) (map[string]string, error) {
	params := map[string]string{}
	if err := orderKey(r.OrderRef, params); err != nil {
		return nil, err
	}
	if err := channel.CheckOrderNo("退款单号 out_refund_no", r.OutRefundNo, 64, orderNoChars); err != nil {
		return nil, err
	}
	if err := channel.CheckAmount("订单金额 / order total", r.Total); err != nil {
		return nil, err
	}
	if err := channel.CheckAmount("退款金额 / refund amount", r.Amount); err != nil {
		return nil, err
	}
	if r.Amount > r.Total {
		return nil, app.NotSent("退款金额 %s 大于订单金额 %s / the refund %s is more than the order total %s", r.Amount, r.Total, r.Amount, r.Total)
	}
	if utf8.RuneCountInString(r.Reason) > 80 {
		return nil, app.NotSent("退款原因最多80个字 / the refund reason is limited to 80 characters")
	}
	params["out_refund_no"] = r.OutRefundNo
	params["total_fee"] = itoa(r.Total)
	params["refund_fee"] = itoa(r.Amount)
	params["refund_fee_type"] = "CNY"
	params["refund_desc"] = r.Reason
	return params, nil
}

// RefundQuery implements app.PaymentChannel: /pay/refundquery, or
// /deposit/refundquery, by out_refund_no.
func (c *Client) RefundQuery(ctx context.Context, r app.RefundRequest) (app.ChannelResult, error) {
	if err := channel.CheckOrderNo("退款单号 out_refund_no", r.OutRefundNo, 64, orderNoChars); err != nil {
		return app.ChannelResult{}, err
	}
	s := callSpec{what: "/pay/refundquery", params: map[string]string{"out_refund_no": r.OutRefundNo}, ref: r.OutTradeNo, refKey: "out_trade_no"}
	if r.Deposit {
		s.what = "/deposit/refundquery"
		s.signType = SignHMACSHA256
	}
	a, err := c.call(ctx, s)
	if err != nil {
		return app.ChannelResult{}, err
	}
	return c.refundQueryResult(s, a, r), nil
}

// refundQueryResult reads a refund query answer.
func (c *Client) refundQueryResult(s callSpec, a answer, r app.RefundRequest) app.ChannelResult {
	if a.bad != nil {
		return *a.bad
	}
	p := a.p
	if res, failed := c.failedQuery(s, p, "REFUNDNOTEXIST", "ORDERNOTEXIST"); failed {
		// NotFound: a re-send of the refund with the same number is safe.
		return res
	}
	if bad, ok := c.otherOrder(s, p, r.OrderRef); ok {
		return bad
	}
	status, refundID, amount, when, found := findRefund(p, r.OutRefundNo)
	if !found {
		c.untrusted(s, "signed refund query answer without our out_refund_no")
		return channel.Untrusted(channel.CodeMismatch, "微信支付退款查询应答中没有这笔退款，不予采信 / WeChat's refund query answer lists other refunds, not this one; outcome unknown")
	}
	res := app.ChannelResult{
		Outcome:       refundStatus(status),
		TransactionID: refundID,
		FinishedAt:    parseRefundTime(when),
		Code:          status,
		TradeState:    "REFUND",
	}
	amt, ok := fen(amount)
	if ok {
		res.Amount = amt
	} else if res.Outcome == app.OutcomeSuccess {
		c.untrusted(s, "signed refund SUCCESS without a readable refund_fee")
		return channel.Untrusted(channel.CodeMalformed, "微信支付退款查询应答缺少退款金额，结果未知 / WeChat's refund query answer does not state the refunded amount; outcome unknown")
	}
	switch status {
	case "CHANGE":
		res.Message = "退款到银行卡失败，请在商户平台手工处理，切勿重新退款 / the refund bounced at the bank; handle it by hand in the merchant platform and do not refund again"
	case "PROCESSING":
		res.Message = "退款处理中 / refund in progress"
	case "SUCCESS":
		if ok && amt != r.Amount && r.Amount != 0 {
			res.Message = fmt.Sprintf("微信支付退款了 %s 而非 %s / WeChat refunded %s, not the %s asked", amt, r.Amount, amt, r.Amount)
		}
	}
	return res
}

// findRefund finds the refund_*_$n entry whose out_refund_no_$n is ours.
// A flat answer (refund_status without index, as /deposit/refundquery may
// give) is accepted when its out_refund_no matches.
func findRefund(p map[string]string, outRefundNo string) (status, id, amount, when string, ok bool) {
	if p["out_refund_no"] == outRefundNo && p["refund_status"] != "" {
		return p["refund_status"], p["refund_id"], p["refund_fee"], p["refund_success_time"], true
	}
	n, err := strconv.Atoi(p["refund_count"])
	if err != nil || n < 0 || n > 50 {
		return "", "", "", "", false
	}
	for i := 0; i < n; i++ {
		k := strconv.Itoa(i)
		if p["out_refund_no_"+k] == outRefundNo {
			return p["refund_status_"+k], p["refund_id_"+k], p["refund_fee_"+k], p["refund_success_time_"+k], true
		}
	}
	return "", "", "", "", false
}

// parseRefundTime reads refund_success_time ("yyyy-MM-dd HH:mm:ss", or the
// compact form) in Beijing time.
func parseRefundTime(s string) time.Time {
	if v, err := time.ParseInLocation("2006-01-02 15:04:05", s, channel.Beijing); err == nil {
		return v
	}
	return parseTime(s)
}
