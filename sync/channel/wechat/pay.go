package wechat

import (
	"context"
	"net"

	"cashier/app"
	"cashier/sync/channel"
)

// maxBody is WeChat's limit for body, counted in UTF-8 bytes.
const maxBody = 127

// orderNoChars are the characters WeChat accepts in out_trade_no besides
// letters and digits.
const orderNoChars = "_-|*@"

// Pay implements app.PaymentChannel: /pay/micropay, or /deposit/micropay
// (deposit=Y, HMAC-SHA256) for a hotel deposit.
func (c *Client) Pay(ctx context.Context, r app.PayRequest) (app.ChannelResult, error) {
	if err := c.checkPay(&r); err != nil {
		return app.ChannelResult{}, err
	}
	s := callSpec{
		what: "/pay/micropay",
		params: map[string]string{
			"device_info":      c.device(r.TerminalID),
			"body":             r.Subject,
			"out_trade_no":     r.OutTradeNo,
			"total_fee":        itoa(r.Amount),
			"fee_type":         "CNY",
			"spbill_create_ip": c.clientIP(r.ClientIP),
			"auth_code":        r.AuthCode,
		},
		ref:    r.OutTradeNo,
		refKey: "out_trade_no",
		effect: true,
	}
	if r.Deposit {
		s.what = "/deposit/micropay"
		s.params["deposit"] = "Y"
		s.signType = SignHMACSHA256
	}
	a, err := c.call(ctx, s)
	if err != nil {
		return app.ChannelResult{}, err
	}
	// The payment code is taken out of whatever the result quotes.
	return channel.RedactResult(c.payResult(ctx, s, a, r), r.AuthCode), nil
}

// payResult reads a pay answer (verified or not).
func (c *Client) payResult(ctx context.Context, s callSpec, a answer, r app.PayRequest) app.ChannelResult {
	if a.bad != nil {
		return *a.bad
	}
	p := a.p
	if p["result_code"] == "SUCCESS" {
		res := app.ChannelResult{
			Outcome:       app.OutcomeSuccess,
			TransactionID: p["transaction_id"],
			FinishedAt:    parseTime(p["time_end"]),
			TradeState:    "PAID",
		}
		amt, ok := fen(p["total_fee"])
		if !ok || amt != r.Amount || p["transaction_id"] == "" {
			c.untrusted(s, "signed SUCCESS with missing or different total_fee/transaction_id")
			return channel.Untrusted(channel.CodeMismatch, "微信支付应答金额或交易号与订单不符，请查询 / WeChat's success answer does not match the order amount or lacks a transaction id; query the order")
		}
		res.Amount = amt
		return res
	}
	if p["result_code"] != "FAIL" {
		return channel.Untrusted(channel.CodeMalformed, "微信支付应答缺少业务结果，结果未知 / WeChat's answer has no result_code; outcome unknown")
	}
	if res, ok := c.refusedSettings(s, p); ok {
		return res
	}
	code := p["err_code"]
	switch {
	case code == "USERPAYING":
		res := c.business(app.OutcomePending, p)
		res.TradeState = "PAYING"
		return res
	case code == "ORDERPAID":
		// Already paid: the query's signed answer decides, and like a pay
		// answer it must state the amount charged.
		q, err := c.Query(ctx, app.OrderRef{OutTradeNo: r.OutTradeNo, Wallet: r.Wallet, Deposit: r.Deposit})
		switch {
		case err != nil || q.Outcome != app.OutcomeSuccess:
			return c.business(app.OutcomeUnknown, p)
		case q.Amount != r.Amount:
			c.untrusted(s, "ORDERPAID, and the query states another total_fee")
			return channel.Untrusted(channel.CodeMismatch, "微信支付说订单已支付，但金额与订单不符，请查询 / WeChat says the order is paid, but for another amount; query the order")
		}
		return q
	case unknownCodes[code]:
		return c.business(app.OutcomeUnknown, p)
	case customerCodes[code]:
		res := c.business(app.OutcomeFailed, p)
		res.TradeState = "PAYERROR"
		if code == "ORDERREVERSED" {
			// A retry of a number that was reversed meanwhile: the number
			// is spent, the next attempt needs a new one.
			res.TradeState = "REVOKED"
			res.NewOrderNo = true
		}
		return res
	case ourFaultCodes[code]:
		res := c.business(app.OutcomeFailed, p)
		switch code {
		case "OUT_TRADE_NO_USED":
			res.NewOrderNo = true
		case "ORDERCLOSED":
			res.TradeState = "CLOSED"
			res.NewOrderNo = true
		}
		return res
	}
	// A code we do not know: the query decides.
	return c.business(app.OutcomeUnknown, p)
}

func (c *Client) checkPay(r *app.PayRequest) error {
	if r.Wallet != app.WalletWeChat {
		return app.NotSent("微信支付不受理 %s 付款码 / WeChat Pay does not take %s payment codes", r.Wallet, r.Wallet)
	}
	if err := channel.CheckOrderNo("商户订单号 out_trade_no", r.OutTradeNo, 32, orderNoChars); err != nil {
		return err
	}
	if err := channel.CheckAuthCode(app.WalletWeChat, r.AuthCode); err != nil {
		return err
	}
	if err := channel.CheckAmount("支付金额 / payment amount", r.Amount); err != nil {
		return err
	}
	if r.Subject == "" {
		return app.NotSent("缺少商品描述 / the order description (body) is required")
	}
	if len(r.Subject) > maxBody {
		return app.NotSent("商品描述超过 %d 字节 / the order description is longer than %d bytes (UTF-8)", maxBody, maxBody)
	}
	ip := c.clientIP(r.ClientIP)
	if net.ParseIP(ip) == nil {
		return app.NotSent("终端IP无效 / the terminal IP %q is not an IP address; set it in the request or the WeChat settings", ip)
	}
	return nil
}

func (c *Client) device(terminal string) string {
	if terminal != "" {
		return terminal
	}
	return c.cfg.DeviceInfo
}

func (c *Client) clientIP(ip string) string {
	if ip != "" {
		return ip
	}
	return c.cfg.ClientIP
}

func itoa(m app.Money) string {
	return formatInt(int64(m))
}
