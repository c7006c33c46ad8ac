package wechat

import (
	"context"
	"slices"
	"strings"

	"cashier/app"
	"cashier/sync/channel"
)

// callSpec is one API call.
type callSpec struct {
	what     string            // API path, for the log ("/pay/micropay")
	params   map[string]string // business parameters; common ones are added
	signType string            // "" means the configured one
	needCert bool              // mutual TLS
	ref      string            // out_trade_no / out_refund_no, for the log and the match check
	refKey   string            // answer key that must equal ref when present
	// effect marks a call that moves money (pay, reverse, refund, consume,
	// release): a refusal of our settings is a final failure of it, while
	// for a query it only says the query was not answered.
	effect bool
}

// answer is a verified answer (p) or the reason it is not trusted (bad).
type answer struct {
	p   map[string]string
	bad *app.ChannelResult
}

// prepare adds the common parameters and the signature. It returns a
// NotSent error when the call cannot be made (no certificate).
func (c *Client) prepare(s *callSpec) ([]byte, error) {
	if s.needCert && c.tls == nil {
		return nil, app.NotSent("%s 需要API证书，请在设置中配置微信支付证书 / %s needs the WeChat API client certificate; configure it in Settings", s.what, s.what)
	}
	if s.signType == "" {
		s.signType = c.cfg.signType()
	}
	p := map[string]string{}
	for k, v := range s.params {
		p[k] = v
	}
	p["appid"] = c.cfg.AppID
	p["mch_id"] = c.cfg.MchID
	p["sub_mch_id"] = c.cfg.SubMchID
	if c.cfg.SubAppID != "" {
		p["sub_appid"] = c.cfg.SubAppID
	}
	p["nonce_str"] = channel.Nonce()
	p["sign_type"] = s.signType
	p["sign"] = Sign(p, c.cfg.APIKey.Reveal(), s.signType)
	return encodeXML(p), nil
}

// send posts the body and returns the raw answer or a CallError.
func (c *Client) send(ctx context.Context, s *callSpec, body []byte, limit int64) ([]byte, error) {
	hc := c.plain
	if s.needCert {
		hc = c.tls
	}
	target := strings.TrimRight(c.base.String(), "/") + s.what
	return channel.Post(ctx, hc, target, "text/xml; charset=utf-8", body, limit)
}

// call makes one signed call and verifies the answer.
func (c *Client) call(ctx context.Context, s callSpec) (answer, error) {
	body, err := c.prepare(&s)
	if err != nil {
		return answer{}, err
	}
	raw, err := c.send(ctx, &s, body, channel.MaxAnswer)
	if err != nil {
		r := channel.UnknownFromCall(err)
		c.untrusted(s, "transport: "+err.Error())
		return answer{bad: &r}, nil
	}
	return c.verify(s, raw), nil
}

// verify parses an answer and checks it before any field is believed.
func (c *Client) verify(s callSpec, raw []byte) answer {
	p, err := decodeXML(raw)
	if err != nil {
		c.untrusted(s, "unparseable answer: "+err.Error())
		r := channel.Untrusted(channel.CodeMalformed, "微信支付应答无法解析，结果未知 / WeChat's answer cannot be read; outcome unknown")
		return answer{bad: &r}
	}
	if p["return_code"] != "SUCCESS" {
		// return_code FAIL answers are unsigned. One that refuses our
		// credentials or request format (签名错误, appid和mch_id不匹配,
		// 证书验证失败, XML格式错误...) is WeChat's gateway turning the call
		// away before any business: nothing happened, and asking again
		// cannot help until the settings change. Anything else is only
		// reported.
		if p["return_code"] == "FAIL" && gatewayRefusal(p["return_msg"]) {
			c.log.Warn("wechat: settings refused", "call", s.what, "ref", s.ref, "return_msg", c.redactCall(s, p["return_msg"]))
			r := c.configError(s, "FAIL", p["return_msg"])
			return answer{bad: &r}
		}
		c.untrusted(s, "return_code="+p["return_code"]+" return_msg="+p["return_msg"])
		code := p["return_code"]
		if code == "" {
			code = channel.CodeMalformed
		}
		r := channel.Untrusted(c.redact(code), c.redact("微信支付通信失败，结果未知 / WeChat refused the call at transport level, outcome unknown: "+p["return_msg"]))
		return answer{bad: &r}
	}
	if p["sign"] == "" {
		c.untrusted(s, "answer carries no sign")
		r := channel.Untrusted(channel.CodeUnsigned, "微信支付应答未签名，不予采信 / WeChat's answer is unsigned and is not trusted; outcome unknown")
		return answer{bad: &r}
	}
	if !Verify(p, c.cfg.APIKey.Reveal(), s.signType) {
		c.untrusted(s, "answer sign does not verify")
		r := channel.Untrusted(channel.CodeBadSign, "微信支付应答签名错误，不予采信 / WeChat's answer has a bad signature and is not trusted; outcome unknown")
		return answer{bad: &r}
	}
	for k, want := range map[string]string{"appid": c.cfg.AppID, "mch_id": c.cfg.MchID, "sub_mch_id": c.cfg.SubMchID} {
		if got, ok := p[k]; ok && got != want {
			c.untrusted(s, "signed answer for another "+k)
			r := channel.Untrusted(channel.CodeMismatch, "微信支付应答属于其他商户，不予采信 / WeChat's answer names another merchant ("+k+"); outcome unknown")
			return answer{bad: &r}
		}
	}
	if s.refKey != "" && s.ref != "" {
		if got, ok := p[s.refKey]; ok && got != "" && got != s.ref {
			c.untrusted(s, "signed answer for another "+s.refKey)
			r := channel.Untrusted(channel.CodeMismatch, "微信支付应答属于其他订单，不予采信 / WeChat's answer is about another order; outcome unknown")
			return answer{bad: &r}
		}
	}
	return answer{p: p}
}

func (c *Client) untrusted(s callSpec, reason string) {
	c.log.Warn("wechat: answer not trusted", "call", s.what, "ref", s.ref, "reason", c.redactCall(s, reason))
}

func (c *Client) redact(s string) string { return channel.Redact(s, c.secrets...) }

// redactCall also takes the call's payment code out, for log lines that
// quote the channel's words.
func (c *Client) redactCall(s callSpec, text string) string {
	return channel.Redact(c.redact(text), s.params["auth_code"])
}

// business fills Code/Message from err_code/err_code_des.
func (c *Client) business(o app.Outcome, p map[string]string) app.ChannelResult {
	return app.ChannelResult{Outcome: o, Code: c.redact(p["err_code"]), Message: c.redact(p["err_code_des"])}
}

// configError is the result of WeChat refusing our settings: a final
// failure for a call that moves money (nothing moved), unknown for a query
// (it was not answered); ConfigError either way, so nobody keeps asking.
func (c *Client) configError(s callSpec, code, msg string) app.ChannelResult {
	o := app.OutcomeUnknown
	if s.effect {
		o = app.OutcomeFailed
	}
	return app.ChannelResult{Outcome: o, ConfigError: true, Code: c.redact(code),
		Message: c.redact("微信支付拒绝了商户配置，请检查设置 / WeChat Pay refused the merchant settings; check them: " + msg)}
}

// failedQuery reads a query answer whose result_code is not SUCCESS (ok
// false for one that is): a refusal of our settings is a ConfigError;
// anything else leaves the query unanswered, Unknown, and NotFound when
// err_code is one of notFound — a definite "no such order / refund", but
// one sent in flight may still arrive: the state machine decides.
func (c *Client) failedQuery(s callSpec, p map[string]string, notFound ...string) (app.ChannelResult, bool) {
	if p["result_code"] == "SUCCESS" {
		return app.ChannelResult{}, false
	}
	if res, ok := c.refusedSettings(s, p); ok {
		return res, true
	}
	res := c.business(app.OutcomeUnknown, p)
	res.NotFound = slices.Contains(notFound, p["err_code"])
	return res, true
}

// otherOrder checks that a signed answer names our order: out_trade_no
// and transaction_id, where both the answer and r have them.
func (c *Client) otherOrder(s callSpec, p map[string]string, r app.OrderRef) (app.ChannelResult, bool) {
	for _, f := range []struct{ key, want string }{{"out_trade_no", r.OutTradeNo}, {"transaction_id", r.TransactionID}} {
		if got := p[f.key]; got != "" && f.want != "" && got != f.want {
			c.untrusted(s, "signed answer for another "+f.key)
			return channel.Untrusted(channel.CodeMismatch, "微信支付应答属于其他订单，不予采信 / WeChat's answer names another order ("+f.key+"); outcome unknown"), true
		}
	}
	return app.ChannelResult{}, false
}

// refusedSettings reads a signed err_code that refuses our settings.
func (c *Client) refusedSettings(s callSpec, p map[string]string) (app.ChannelResult, bool) {
	if !configCodes[p["err_code"]] {
		return app.ChannelResult{}, false
	}
	return c.configError(s, p["err_code"], p["err_code_des"]), true
}

// gatewayRefusals are the return_msg texts of an unsigned return_code FAIL
// that refuse our credentials or the request format, exactly as WeChat
// writes them (its pages' 签名失败 / 参数格式校验错误, and the texts merchants
// report and the sandbox copies). Matching is exact: a message that merely
// contains a word like "sign" ("design") is no refusal of our settings,
// and anything not listed stays unknown.
var gatewayRefusals = set(
	"签名错误", "签名失败", "签名类型错误, 只支持HMAC-SHA256", "sign_type参数错误",
	"appid和mch_id不匹配", "商户号mch_id与appid不匹配", "appid不存在",
	"mch_id参数错误, 商户号不存在", "sub_mch_id与mch_id不匹配",
	"证书验证失败",
	"XML格式错误", "post数据为空", "请使用post方法", "编码格式错误", "参数格式校验错误",
)

// gatewayRefusal tells whether an unsigned return_code=FAIL message is one
// of gatewayRefusals.
func gatewayRefusal(msg string) bool {
	return gatewayRefusals[strings.TrimSpace(msg)]
}
