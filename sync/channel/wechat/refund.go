package wechat

import (
	"context"
	"strconv"
	"time"
	"unicode/utf8"

	"cashier/app"
	"cashier/sync/channel"
)

// Refund implements app.PaymentChannel: /secapi/pay/refund, or
// /deposit/refund for a consumed deposit (needs the transaction_id). Both
// need the client certificate. A SUCCESS answer means WeChat accepted the
// refund (OutcomePending); RefundQuery tells when the money is back.
func (c *Client) Refund(ctx context.Context, r app.RefundRequest) (app.ChannelResult, error) {
	params, err := c.refundParams(r)
	if err != nil {
		return app.ChannelResult{}, err
	}
	s := callSpec{what: "/secapi/pay/refund", params: params, needCert: true, ref: r.OutRefundNo, refKey: "out_refund_no"}
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
	if a.bad != nil {
		return *a.bad, nil
	}
	p := a.p
	if p["result_code"] == "SUCCESS" {
		res := app.ChannelResult{
			Outcome:       app.OutcomePending,
			TransactionID: p["refund_id"],
			TradeState:    "REFUND",
			Message:       "退款已受理，请查询结果 / refund accepted; query for the result",
		}
		if amt, ok := fen(p["refund_fee"]); ok {
			res.Amount = amt
		}
		if res.Amount != r.Amount {
			c.untrusted(s, "signed refund SUCCESS with a different refund_fee")
			return channel.Untrusted(channel.CodeMismatch, "微信支付退款应答金额不符，请查询 / WeChat's refund answer states another amount; query the refund"), nil
		}
		return res, nil
	}
	code := p["err_code"]
	switch {
	case refundRetryCodes[code]:
		return c.business(app.OutcomeUnknown, p), nil
	case refundFailCodes[code]:
		return c.business(app.OutcomeFailed, p), nil
	}
	return c.business(app.OutcomeUnknown, p), nil
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
	return c.refundQueryResult(s, a, r.OutRefundNo), nil
}

// refundQueryResult reads a refund query answer.
func (c *Client) refundQueryResult(s callSpec, a answer, outRefundNo string) app.ChannelResult {
	if a.bad != nil {
		return *a.bad
	}
	p := a.p
	if p["result_code"] != "SUCCESS" {
		// REFUNDNOTEXIST included: an in-flight refund may still arrive, so
		// it is not final; retrying the refund with the same number is safe.
		return c.business(app.OutcomeUnknown, p)
	}
	status, refundID, amount, when, found := findRefund(p, outRefundNo)
	if !found {
		c.untrusted(s, "signed refund query answer without our out_refund_no")
		return channel.Untrusted(channel.CodeNoRecord, "微信支付退款查询应答中没有这笔退款，结果未知 / WeChat's refund query answer does not list this refund; outcome unknown")
	}
	res := app.ChannelResult{
		Outcome:       refundStatus(status),
		TransactionID: refundID,
		FinishedAt:    parseRefundTime(when),
		Code:          status,
		TradeState:    "REFUND",
	}
	if amt, ok := fen(amount); ok {
		res.Amount = amt
	}
	switch status {
	case "CHANGE":
		res.Message = "退款到银行卡失败，请在商户平台手工处理，切勿重新退款 / the refund bounced at the bank; handle it by hand in the merchant platform and do not refund again"
	case "PROCESSING":
		res.Message = "退款处理中 / refund in progress"
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
