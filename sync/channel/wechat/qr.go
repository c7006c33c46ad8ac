package wechat

import (
	"context"
	"net"
	"time"

	"cashier/app"
	"cashier/sync/channel"
)

// DefaultNotifyURL is the notify_url of a QR order when Config.NotifyURL is
// empty: a name in the reserved .invalid domain, which never resolves.
const DefaultNotifyURL = "https://notify.invalid/wechatpay/v2"

var _ app.QRChannel = (*Client)(nil)

// Precreate implements app.QRChannel: /pay/unifiedorder with trade_type
// NATIVE in service-provider mode. product_id (required for NATIVE) is the
// order number; time_expire is r.ExpiresAt in Beijing time. A repeat with
// the same parameters gives back the same order and code_url, which is
// how a lost answer is recovered.
func (c *Client) Precreate(ctx context.Context, r app.PrecreateRequest) (app.QRResult, error) {
	if err := c.checkPrecreate(r); err != nil {
		return app.QRResult{}, err
	}
	expires := r.ExpiresAt.Truncate(time.Second).In(channel.Beijing)
	s := callSpec{
		what: "/pay/unifiedorder",
		params: map[string]string{
			"device_info":      c.device(r.TerminalID),
			"body":             r.Subject,
			"out_trade_no":     r.OutTradeNo,
			"total_fee":        itoa(r.Amount),
			"fee_type":         "CNY",
			"spbill_create_ip": c.clientIP(r.ClientIP),
			"time_expire":      expires.Format("20060102150405"),
			"notify_url":       c.notifyURL(),
			"trade_type":       "NATIVE",
			"product_id":       r.OutTradeNo,
		},
		ref:    r.OutTradeNo,
		refKey: "out_trade_no",
		effect: true,
	}
	a, err := c.call(ctx, s)
	if err != nil {
		return app.QRResult{}, err
	}
	res := c.precreateResult(s, a)
	if res.CodeURL != "" {
		res.ExpiresAt = expires
	}
	return res, nil
}

// precreateResult reads a unifiedorder answer.
func (c *Client) precreateResult(s callSpec, a answer) app.QRResult {
	if a.bad != nil {
		return app.QRResult{ChannelResult: *a.bad}
	}
	p := a.p
	if p["result_code"] == "SUCCESS" {
		if p["code_url"] == "" || (p["trade_type"] != "" && p["trade_type"] != "NATIVE") {
			c.untrusted(s, "signed SUCCESS without a NATIVE code_url")
			return app.QRResult{ChannelResult: channel.Untrusted(channel.CodeMalformed,
				"微信支付下单应答没有二维码链接，结果未知 / WeChat's order answer carries no code_url; outcome unknown")}
		}
		res := c.business(app.OutcomeSuccess, p)
		res.TradeState = "NOTPAY"
		return app.QRResult{ChannelResult: res, CodeURL: p["code_url"]}
	}
	if p["result_code"] != "FAIL" {
		return app.QRResult{ChannelResult: channel.Untrusted(channel.CodeMalformed,
			"微信支付应答缺少业务结果，结果未知 / WeChat's answer has no result_code; outcome unknown")}
	}
	if res, ok := c.refusedSettings(s, p); ok {
		return app.QRResult{ChannelResult: res}
	}
	code := p["err_code"]
	switch {
	case code == "ORDERPAID":
		// The number is already paid (a repeat after an answer that was
		// lost and a customer who scanned): the query decides, with the
		// amount it states.
		return app.QRResult{ChannelResult: c.business(app.OutcomeUnknown, p)}
	case code == "ORDERCLOSED":
		res := c.business(app.OutcomeFailed, p)
		res.TradeState, res.NewOrderNo = "CLOSED", true
		return app.QRResult{ChannelResult: res}
	case unknownCodes[code]:
		return app.QRResult{ChannelResult: c.business(app.OutcomeUnknown, p)}
	case code == "INVALID_REQUEST" || code == "OUT_TRADE_NO_USED" || code == "NOTENOUGH" || ourFaultCodes[code]:
		// Refused: nothing was created under this request. (INVALID_REQUEST
		// is also WeChat's answer to the same number with other
		// parameters; the state machine never sends that.)
		res := c.business(app.OutcomeFailed, p)
		if code == "OUT_TRADE_NO_USED" || code == "INVALID_REQUEST" {
			res.NewOrderNo = true
		}
		return app.QRResult{ChannelResult: res}
	}
	return app.QRResult{ChannelResult: c.business(app.OutcomeUnknown, p)}
}

// CloseQR implements app.QRChannel: /pay/closeorder (out_trade_no only).
// ORDERCLOSED is as good as closed; ORDERPAID is a refusal — the order
// was paid, the query tells how much; ORDERNOTEXIST is NotFound;
// SYSTEMERROR asks for the same call again.
func (c *Client) CloseQR(ctx context.Context, r app.OrderRef) (app.ChannelResult, error) {
	if r.Deposit {
		return app.ChannelResult{}, app.NotSent("押金不能关单 / a deposit cannot be closed as a QR order")
	}
	if err := channel.CheckOrderNo("商户订单号 out_trade_no", r.OutTradeNo, 32, orderNoChars); err != nil {
		return app.ChannelResult{}, err
	}
	s := callSpec{what: "/pay/closeorder", params: map[string]string{"out_trade_no": r.OutTradeNo},
		ref: r.OutTradeNo, refKey: "out_trade_no", effect: true}
	a, err := c.call(ctx, s)
	if err != nil {
		return app.ChannelResult{}, err
	}
	return c.closeResult(s, a), nil
}

func (c *Client) closeResult(s callSpec, a answer) app.ChannelResult {
	if a.bad != nil {
		return *a.bad
	}
	p := a.p
	if p["result_code"] == "SUCCESS" {
		res := c.business(app.OutcomeSuccess, p)
		res.TradeState = "CLOSED"
		return res
	}
	if p["result_code"] != "FAIL" {
		return channel.Untrusted(channel.CodeMalformed, "微信支付应答缺少业务结果，结果未知 / WeChat's answer has no result_code; outcome unknown")
	}
	if res, ok := c.refusedSettings(s, p); ok {
		return res
	}
	switch code := p["err_code"]; code {
	case "ORDERCLOSED":
		res := c.business(app.OutcomeSuccess, p)
		res.TradeState = "CLOSED"
		return res
	case "ORDERPAID":
		return c.business(app.OutcomeFailed, p)
	case "ORDERNOTEXIST":
		res := c.business(app.OutcomeUnknown, p)
		res.NotFound = true
		return res
	case "SYSTEMERROR":
		res := c.business(app.OutcomeUnknown, p)
		res.Retry = true
		return res
	}
	return c.business(app.OutcomeUnknown, p)
}

func (c *Client) checkPrecreate(r app.PrecreateRequest) error {
	if r.Wallet != app.WalletWeChat {
		return app.NotSent("微信支付不受理 %s 的二维码收款 / WeChat Pay does not take %s QR payments", r.Wallet, r.Wallet)
	}
	if err := channel.CheckOrderNo("商户订单号 out_trade_no", r.OutTradeNo, 32, orderNoChars); err != nil {
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
	if r.Undiscountable != 0 {
		return app.NotSent("微信支付不支持不可打折金额 / WeChat Pay takes no undiscountable amount")
	}
	now := c.clock.Now()
	if !r.ExpiresAt.After(now) || r.ExpiresAt.Sub(now) > app.MaxQRExpire {
		return app.NotSent("二维码有效期须在现在之后、两小时之内 / the QR expiry must be after now and within two hours")
	}
	if ip := c.clientIP(r.ClientIP); net.ParseIP(ip) == nil {
		return app.NotSent("终端IP无效 / the terminal IP %q is not an IP address; set it in the request or the WeChat settings", ip)
	}
	return nil
}

func (c *Client) notifyURL() string {
	if c.cfg.NotifyURL != "" {
		return c.cfg.NotifyURL
	}
	return DefaultNotifyURL
}
