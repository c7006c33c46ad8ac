package alipay

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"cashier/app"
	"cashier/sync/channel"
)

// common holds the fields every answer has.
type common struct {
	Code    string `json:"code"`
	Msg     string `json:"msg"`
	SubCode string `json:"sub_code"`
	SubMsg  string `json:"sub_msg"`
}

func (c *common) base() *common { return c }

type response interface{ base() *common }

// call signs and sends one API call and reads the verified answer into out.
// It returns bad != nil when the answer is missing or not trusted.
func (c *Client) call(ctx context.Context, method string, biz any, ref string, out response) (bad *app.ChannelResult, err error) {
	form, err := c.form(method, biz)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, c.cfg.gateway(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, app.NotSent("支付宝网关地址错误 / bad Alipay gateway URL")
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	req.Header.Set("User-Agent", "cashier/1")
	body, err := channel.Exchange(ctx, c.hc, req, channel.MaxAnswer)
	if err != nil {
		c.untrusted(method, ref, "transport: "+err.Error())
		r := channel.UnknownFromCall(err)
		return &r, nil
	}
	return c.verify(method, ref, body, out), nil
}

// form builds the signed request parameters.
func (c *Client) form(method string, biz any) (url.Values, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(biz); err != nil {
		return nil, app.NotSent("请求内容无法编码 / the request cannot be encoded: %v", err)
	}
	p := map[string]string{
		"app_id":      c.cfg.AppID,
		"method":      method,
		"format":      "JSON",
		"charset":     "utf-8",
		"sign_type":   "RSA2",
		"timestamp":   c.clock.Now().In(channel.Beijing).Format("2006-01-02 15:04:05"),
		"version":     "1.0",
		"biz_content": strings.TrimSuffix(b.String(), "\n"),
	}
	if c.cfg.AppAuthToken.IsSet() {
		p["app_auth_token"] = c.cfg.AppAuthToken.Reveal()
	}
	if c.keys.appCertSN != "" {
		p["app_cert_sn"] = c.keys.appCertSN
		p["alipay_root_cert_sn"] = c.keys.rootCertSN
	}
	sign, err := SignRSA2(c.priv, []byte(SignContent(p)))
	if err != nil {
		return nil, app.NotSent("签名失败 / signing the Alipay request failed")
	}
	p["sign"] = sign
	form := url.Values{}
	for k, v := range p {
		form.Set(k, v)
	}
	return form, nil
}

// effectMethods move money: a refusal of our settings is their final
// failure, while a query so refused is only unanswered.
var effectMethods = map[string]bool{methodPay: true, methodFreeze: true, methodUnfreeze: true,
	methodCancel: true, methodAuthCancel: true, methodRefund: true, methodPrecreate: true}

// CodeCertSN is the result code of an answer that names another Alipay
// public-key certificate (alipay_cert_sn) than the configured one.
const CodeCertSN = "ALIPAY_CERT_SN"

// verify checks the answer's signature over the raw bytes of its response
// member, then decodes it into out. A gateway refusal of our settings
// (20001, 40001, 40002, 40003, 40006 with an isv./aop. sub_code) comes back
// as a ConfigError result: signed, or unsigned as Alipay sends some of
// them (an error_response for an app it cannot sign for). Nothing else
// unsigned is believed.
func (c *Client) verify(method, ref string, body []byte, out response) *app.ChannelResult {
	parts, err := splitAnswer(body, method)
	if err != nil {
		c.untrusted(method, ref, "unparseable answer: "+err.Error())
		r := channel.Untrusted(channel.CodeMalformed, "支付宝应答无法解析，结果未知 / Alipay's answer cannot be read; outcome unknown")
		return &r
	}
	if parts.sign == "" {
		if r, ok := c.settingsRefused(method, parts.raw, false); ok {
			return &r
		}
		c.untrusted(method, ref, "answer carries no sign")
		r := channel.Untrusted(channel.CodeUnsigned, "支付宝应答未签名，不予采信 / Alipay's answer is unsigned and is not trusted; outcome unknown")
		return &r
	}
	if c.keys.alipayCertSN != "" && parts.certSN != "" && parts.certSN != c.keys.alipayCertSN {
		c.untrusted(method, ref, "answer names another Alipay certificate: alipay_cert_sn="+parts.certSN)
		r := channel.Untrusted(CodeCertSN, "支付宝应答使用了另一张支付宝公钥证书，请在设置中更新支付宝公钥证书 / Alipay answered with another Alipay public-key certificate (alipay_cert_sn "+parts.certSN+"); update the Alipay certificate in Settings. Outcome unknown")
		return &r
	}
	if !VerifyRSA2(c.pub, parts.raw, parts.sign) {
		c.untrusted(method, ref, "answer sign does not verify")
		r := channel.Untrusted(channel.CodeBadSign, "支付宝应答签名错误，不予采信 / Alipay's answer has a bad signature and is not trusted; outcome unknown")
		return &r
	}
	if err := json.Unmarshal(parts.raw, out); err != nil || out.base().Code == "" {
		c.untrusted(method, ref, "signed answer with unexpected fields")
		r := channel.Untrusted(channel.CodeMalformed, "支付宝应答字段不符合约定，结果未知 / Alipay's signed answer has unexpected fields; outcome unknown")
		return &r
	}
	if r, ok := c.settingsRefused(method, parts.raw, true); ok {
		return &r
	}
	return nil
}

// settingsRefused reads a gateway refusal of our credentials or request:
// a final failure of a call that moves money (nothing happened), an
// unanswered query; ConfigError either way, Code = sub_code.
func (c *Client) settingsRefused(method string, raw []byte, signed bool) (app.ChannelResult, bool) {
	var cm common
	if json.Unmarshal(raw, &cm) != nil || !gatewayRefused[cm.Code] {
		return app.ChannelResult{}, false
	}
	if !signed && !strings.HasPrefix(cm.SubCode, "isv.") && !strings.HasPrefix(cm.SubCode, "aop.") {
		return app.ChannelResult{}, false
	}
	o := app.OutcomeUnknown
	if effectMethods[method] {
		o = app.OutcomeFailed
	}
	res := c.result(o, &cm)
	res.ConfigError = true
	res.Message = channel.Redact("支付宝拒绝了应用配置，请检查设置 / Alipay refused the app settings; check them: "+cm.Msg+" "+cm.SubMsg, c.secrets...)
	c.log.Warn("alipay: settings refused", "method", method, "code", cm.Code, "sub_code", channel.Redact(cm.SubCode, c.secrets...), "signed", signed)
	return res, true
}

func (c *Client) untrusted(method, ref, reason string) {
	c.log.Warn("alipay: answer not trusted", "method", method, "ref", ref, "reason", channel.Redact(reason, c.secrets...))
}

// result fills Code/Message with the answer's own words.
func (c *Client) result(o app.Outcome, cm *common) app.ChannelResult {
	code, msg := cm.Code, cm.Msg
	if cm.SubCode != "" {
		code, msg = cm.SubCode, cm.SubMsg
	}
	return app.ChannelResult{Outcome: o, Code: channel.Redact(code, c.secrets...), Message: channel.Redact(msg, c.secrets...)}
}

// mismatch is the result for a signed answer about another order.
func (c *Client) mismatch(method, ref, what string) app.ChannelResult {
	c.untrusted(method, ref, "signed answer does not match the request: "+what)
	return channel.Untrusted(channel.CodeMismatch, "支付宝应答与请求不符（"+what+"），请查询 / Alipay's answer does not match the request ("+what+"); query the order")
}
