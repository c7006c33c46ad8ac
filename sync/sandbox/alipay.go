package sandbox

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"cashier/app"
)

// AlipaySignContent is the RSA2 signing string of request parameters: every
// parameter except sign with a non-empty value, sorted by key, joined
// k=v&k=v with raw (not URL-encoded) values.
func AlipaySignContent(params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k, v := range params {
		if k == "sign" || v == "" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(params[k])
	}
	return b.String()
}

// RSA2 signing and verification (SHA256withRSA, PKCS#1 v1.5, base64).
func rsa2Sign(key *rsa.PrivateKey, content []byte) (string, error) {
	sum := sha256.Sum256(content)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

func rsa2Verify(key *rsa.PublicKey, content []byte, sigB64 string) bool {
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil || len(sig) == 0 {
		return false
	}
	sum := sha256.Sum256(content)
	return rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig) == nil
}

// alipayFields is a response body: code, msg and the method's fields.
type alipayFields map[string]any

func aliOK(f alipayFields) alipayFields {
	if f == nil {
		f = alipayFields{}
	}
	f["code"] = "10000"
	f["msg"] = "Success"
	return f
}

// aliBiz is a business failure (40004).
func aliBiz(sub, subMsg string) alipayFields {
	return alipayFields{"code": "40004", "msg": "Business Failed", "sub_code": sub, "sub_msg": subMsg}
}

func aliMissing(sub, subMsg string) alipayFields {
	return alipayFields{"code": "40001", "msg": "Missing Required Arguments", "sub_code": sub, "sub_msg": subMsg}
}

func aliInvalid(sub, subMsg string) alipayFields {
	return alipayFields{"code": "40002", "msg": "Invalid Arguments", "sub_code": sub, "sub_msg": subMsg}
}

// alipayCall is one request after the gateway checks.
type alipayCall struct {
	app    *AlipayApp
	method string
	biz    map[string]any
	r      *http.Request
}

func (c *alipayCall) str(k string) string {
	switch v := c.biz[k].(type) {
	case string:
		return strings.TrimSpace(v)
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

type alipayMethod func(s *Server, c *alipayCall) (alipayFields, Scenario)

var alipayMethods = map[string]alipayMethod{
	"alipay.trade.pay":                               (*Server).aliTradePay,
	"alipay.trade.query":                             (*Server).aliTradeQuery,
	"alipay.trade.cancel":                            (*Server).aliTradeCancel,
	"alipay.trade.refund":                            (*Server).aliTradeRefund,
	"alipay.trade.fastpay.refund.query":              (*Server).aliRefundQuery,
	"alipay.fund.auth.order.freeze":                  (*Server).aliFreeze,
	"alipay.fund.auth.order.unfreeze":                (*Server).aliUnfreeze,
	"alipay.fund.auth.operation.cancel":              (*Server).aliAuthCancel,
	"alipay.fund.auth.operation.detail.query":        (*Server).aliAuthDetail,
	"alipay.data.dataservice.bill.downloadurl.query": (*Server).aliBillURL,
	"alipay.trade.precreate":                         (*Server).aliTradePrecreate,
	"alipay.trade.close":                             (*Server).aliTradeClose,
}

// alipayGateway serves /gateway.do: parameters come form-encoded in the
// body and/or in the query string (alipay-sdk puts the common parameters
// in the URL).
func (s *Server) alipayGateway(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	params, perr := alipayParams(r)
	method := params["method"]
	respKey := "error_response"
	if _, known := alipayMethods[method]; known {
		respKey = strings.ReplaceAll(method, ".", "_") + "_response"
	}
	f, scen, a := s.alipayDispatch(r, params, perr)
	var body []byte
	var err error
	if a == nil {
		// Refused before the app is known: nothing to sign for, so an
		// unsigned error_response, as the open platform answers it.
		body, err = alipayUnsigned(f)
	} else {
		body, err = s.alipayBody(respKey, f, a)
	}
	if err != nil {
		http.Error(w, "sandbox: cannot sign the answer", http.StatusInternalServerError)
		return
	}
	s.deliver(w, r, scen, func() {
		w.Header().Set("Content-Type", "text/html;charset=utf-8")
		_, _ = w.Write(body)
	})
}

// alipayParams reads the request parameters from the URL query and a
// form-encoded body. A parameter given twice is an error.
func alipayParams(r *http.Request) (map[string]string, error) {
	if err := r.ParseForm(); err != nil {
		return map[string]string{}, err
	}
	out := make(map[string]string, len(r.Form))
	for k, vs := range r.Form {
		if len(vs) != 1 {
			return out, fmt.Errorf("parameter %s given %d times", k, len(vs))
		}
		if !utf8.ValidString(k) || !utf8.ValidString(vs[0]) {
			return out, errors.New("not UTF-8")
		}
		out[k] = vs[0]
	}
	return out, nil
}

// alipayDispatch applies the gateway's checks, then the method. It returns
// the app the answer is signed for: nil when the request was refused before
// the app was known (malformed parameters, a missing or unknown app_id).
func (s *Server) alipayDispatch(r *http.Request, p map[string]string, perr error) (alipayFields, Scenario, *AlipayApp) {
	if perr != nil {
		return aliInvalid("isv.invalid-parameter", "参数无效: "+perr.Error()), "", nil
	}
	if p["app_id"] == "" {
		return aliMissing("isv.missing-app-id", "缺少AppID参数"), "", nil
	}
	a := s.cfg.alipayApp(p["app_id"])
	if a == nil {
		return aliInvalid("isv.invalid-app-id", "无效的AppID参数"), "", nil
	}
	f, scen := s.alipayChecked(r, a, p)
	return f, scen, a
}

// alipayChecked checks a request of a known app, in the gateway's order.
func (s *Server) alipayChecked(r *http.Request, a *AlipayApp, p map[string]string) (alipayFields, Scenario) {
	if p["method"] == "" {
		return aliMissing("isv.missing-method", "缺少方法名参数"), ""
	}
	h, ok := alipayMethods[p["method"]]
	if !ok {
		return aliInvalid("isv.invalid-method", "不存在的方法名"), ""
	}
	if p["sign"] == "" {
		return aliMissing("isv.missing-signature", "缺少签名参数"), ""
	}
	if p["sign_type"] == "" {
		return aliMissing("isv.missing-signature-type", "缺少签名类型参数"), ""
	}
	if p["sign_type"] != "RSA2" {
		return aliInvalid("isv.invalid-signature-type", "无效的签名类型参数: 沙箱应用只配置了RSA2公钥"), ""
	}
	if p["timestamp"] == "" {
		return aliMissing("isv.missing-timestamp", "缺少时间戳参数"), ""
	}
	if _, err := time.ParseInLocation("2006-01-02 15:04:05", p["timestamp"], beijing); err != nil {
		return aliInvalid("isv.invalid-timestamp", "非法的时间戳参数"), ""
	}
	if p["version"] == "" {
		return aliMissing("isv.missing-version", "缺少版本参数"), ""
	}
	if p["version"] != "1.0" {
		return aliInvalid("isv.invalid-parameter", "参数无效: version"), ""
	}
	if cs := p["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") {
		return aliInvalid("isv.invalid-charset", "字符集错误: 沙箱只支持utf-8"), ""
	}
	if f := p["format"]; f != "" && !strings.EqualFold(f, "json") {
		return aliInvalid("isv.invalid-format", "参数格式错误"), ""
	}
	if a.certSN != "" {
		// Certificate mode: the request names the app's certificate and the
		// root it trusts (the sandbox's own choice of sub_codes).
		switch {
		case p["app_cert_sn"] == "":
			return aliMissing("isv.missing-app-cert-sn", "缺少应用公钥证书序列号app_cert_sn"), ""
		case p["app_cert_sn"] != a.certSN:
			return aliInvalid("isv.invalid-app-cert-sn", "应用公钥证书序列号不匹配，请使用开放平台上该应用的应用公钥证书"), ""
		case p["alipay_root_cert_sn"] == "":
			return aliMissing("isv.missing-alipay-root-cert-sn", "缺少支付宝根证书序列号alipay_root_cert_sn"), ""
		case p["alipay_root_cert_sn"] != s.cfg.Alipay.rootCertSN:
			return aliInvalid("isv.invalid-alipay-root-cert-sn", "支付宝根证书序列号无效，请使用最新的支付宝根证书"), ""
		}
	}
	content := AlipaySignContent(p)
	if !rsa2Verify(a.publicKey, []byte(content), p["sign"]) {
		return aliInvalid("isv.invalid-signature", "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为："+content), ""
	}
	c := &alipayCall{app: a, method: p["method"], biz: map[string]any{}, r: r}
	if bc := p["biz_content"]; bc != "" {
		dec := json.NewDecoder(strings.NewReader(bc))
		dec.UseNumber()
		if err := dec.Decode(&c.biz); err != nil || dec.More() {
			return aliInvalid("isv.invalid-parameter", "参数无效: biz_content不是合法的JSON对象"), ""
		}
	}
	return h(s, c)
}

func (c *Config) alipayApp(appID string) *AlipayApp {
	for i := range c.Alipay.Apps {
		if c.Alipay.Apps[i].AppID == appID {
			return &c.Alipay.Apps[i]
		}
	}
	return nil
}

// alipayBody renders {"<key>":{...},"sign":"..."} with the signature over
// the exact bytes of the inner object, the sign after the response as
// the real gateway writes it (alipay-sdk relies on that order). For an app
// in certificate mode alipay_cert_sn names the certificate of the key
// that signed, between the two.
func (s *Server) alipayBody(respKey string, f alipayFields, a *AlipayApp) ([]byte, error) {
	raw, err := alipayJSON(f)
	if err != nil {
		return nil, err
	}
	sig, err := rsa2Sign(s.cfg.Alipay.gatewayKey, raw)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.WriteString(`{"`)
	out.WriteString(respKey)
	out.WriteString(`":`)
	out.Write(raw)
	if a.certSN != "" {
		out.WriteString(`,"alipay_cert_sn":"`)
		out.WriteString(s.cfg.Alipay.gatewayCertSN)
		out.WriteString(`"`)
	}
	out.WriteString(`,"sign":"`)
	out.WriteString(sig)
	out.WriteString(`"}`)
	return out.Bytes(), nil
}

// alipayUnsigned renders {"error_response":{...}} without a signature.
func alipayUnsigned(f alipayFields) ([]byte, error) {
	raw, err := alipayJSON(f)
	if err != nil {
		return nil, err
	}
	return []byte(`{"error_response":` + string(raw) + `}`), nil
}

func alipayJSON(f alipayFields) ([]byte, error) {
	var inner bytes.Buffer
	enc := json.NewEncoder(&inner)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	return bytes.TrimRight(inner.Bytes(), "\n"), nil
}

// parseYuan reads a wire amount in yuan: digits with at most two decimals, > 0.
func parseYuan(s string) (app.Money, error) {
	m, err := parseYuanAllowZero(s)
	if err == nil && m == 0 {
		return 0, app.ErrMoneyZero
	}
	return m, err
}

func parseYuanAllowZero(s string) (app.Money, error) {
	if s == "" {
		return 0, app.ErrMoneyEmpty
	}
	ip, fp, dot := strings.Cut(s, ".")
	if !allDigits(ip) || (dot && (len(fp) == 0 || len(fp) > 2 || !allDigits(fp))) || len(ip) > 9 {
		return 0, app.ErrMoneySyntax
	}
	return app.ParseMoneyWith(s, app.MoneyRules{AllowZero: true})
}

func isAlipayCode(code string) bool {
	if len(code) < 16 || len(code) > 24 || !allDigits(code) {
		return false
	}
	p := (code[0]-'0')*10 + code[1] - '0'
	return p >= 25 && p <= 30
}

func aliTime(t time.Time) string { return t.In(beijing).Format("2006-01-02 15:04:05") }

func buyerID(code string) (logon, userID string) {
	sum := sha256.Sum256([]byte("alipay-buyer:" + code))
	h := hex.EncodeToString(sum[:])
	digits := ""
	for _, c := range h {
		if len(digits) == 12 {
			break
		}
		if c >= '0' && c <= '9' {
			digits += string(c)
		}
	}
	for len(digits) < 12 {
		digits += "0"
	}
	return "159******" + digits[:2], "2088" + digits
}

func aliTradeFields(o *Order) alipayFields {
	logon, uid := buyerID(o.AuthCode)
	paid := o.Amount.Yuan()
	f := alipayFields{
		"trade_no":         o.TransactionID,
		"out_trade_no":     o.OutTradeNo,
		"buyer_logon_id":   logon,
		"buyer_user_id":    uid,
		"total_amount":     o.Amount.Yuan(),
		"receipt_amount":   paid,
		"buyer_pay_amount": paid,
		"invoice_amount":   paid,
		"point_amount":     "0.00",
		"fund_bill_list":   []map[string]string{{"fund_channel": "ALIPAYACCOUNT", "amount": paid}},
	}
	if !o.PaidAt.IsZero() {
		f["gmt_payment"] = aliTime(o.PaidAt)
	}
	return f
}

func (s *Server) aliTradePay(c *alipayCall) (alipayFields, Scenario) {
	outTradeNo := c.str("out_trade_no")
	if outTradeNo == "" || len(outTradeNo) > 64 {
		return aliBiz("ACQ.INVALID_PARAMETER", "参数无效: out_trade_no"), ""
	}
	if c.str("subject") == "" {
		return aliBiz("ACQ.INVALID_PARAMETER", "参数无效: subject"), ""
	}
	amount, err := parseYuan(c.str("total_amount"))
	if err != nil {
		return aliBiz("ACQ.INVALID_PARAMETER", "参数无效: total_amount"), ""
	}
	if u := c.str("undiscountable_amount"); u != "" {
		// The part no promotion may discount: a price, at most the total.
		if ua, err := parseYuanAllowZero(u); err != nil || ua > amount {
			return aliBiz("ACQ.INVALID_PARAMETER", "参数无效: undiscountable_amount"), ""
		}
	}
	if authNo := c.str("auth_no"); authNo != "" {
		return s.aliConsume(c, authNo, outTradeNo, amount)
	}
	if sc := c.str("scene"); sc != "bar_code" && sc != "security_code" && sc != "wave_code" {
		return aliBiz("ACQ.INVALID_PARAMETER", "参数无效: scene"), ""
	}
	code := c.str("auth_code")
	if !isAlipayCode(code) {
		return aliBiz("ACQ.PAYMENT_AUTH_CODE_INVALID", "支付失败，获取顾客账户信息失败，请顾客刷新付款码后重新收款"), ""
	}
	o, res := s.ledger.pay(payIn{
		Channel: app.ChannelAlipay, Merchant: c.app.AppID, OutTradeNo: outTradeNo, AuthCode: code,
		Amount: amount, Subject: c.str("subject"), Store: c.str("store_id"), Terminal: c.str("terminal_id"),
		Staff: c.str("operator_id"), TxnPrefix: "{date}2200", Fingerprint: fmt.Sprint(amount, "|", code, "|pay"),
	})
	switch res {
	case payUnavailable:
		return alipayFields{}, ScenarioUnavailable
	case payConflict:
		switch o.State {
		case StatePaid:
			return aliBiz("ACQ.TRADE_HAS_SUCCESS", "交易已被支付"), ""
		case StateClosed, StateReversed, StateFailed:
			return aliBiz("ACQ.TRADE_HAS_CLOSE", "交易已经关闭"), ""
		}
		return aliBiz("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改"), ""
	}
	if o.Deposit {
		return aliBiz("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改"), ""
	}
	fresh := res == payNew
	var scen Scenario
	if fresh {
		scen = o.Scenario
	}
	switch o.State {
	case StatePaying:
		f := aliTradeFields(&o)
		delete(f, "gmt_payment")
		f["code"], f["msg"] = "10003", "order success pay inprocess"
		return f, scen
	case StateFailed:
		if o.FailCode == failAuthCodeExpired {
			return aliBiz("ACQ.PAYMENT_AUTH_CODE_INVALID", "支付失败，获取顾客账户信息失败，请顾客刷新付款码后重新收款"), scen
		}
		return aliBiz("ACQ.BUYER_BALANCE_NOT_ENOUGH", "买家余额不足"), scen
	case StateClosed, StateReversed:
		return aliBiz("ACQ.TRADE_HAS_CLOSE", "交易已经关闭"), scen
	}
	if fresh && o.Scenario == ScenarioSystemError {
		return aliSystemError("ACQ.SYSTEM_ERROR"), scen
	}
	return aliOK(aliTradeFields(&o)), scen
}

// aliConsume is alipay.trade.pay with auth_no: capture part of a deposit.
func (s *Server) aliConsume(c *alipayCall, authNo, outTradeNo string, amount app.Money) (alipayFields, Scenario) {
	if pc := c.str("product_code"); pc != "PRE_AUTH" && pc != "PREAUTH_PAY" {
		return aliBiz("ACQ.INVALID_PARAMETER", "参数无效: 预授权转支付product_code须为PRE_AUTH"), ""
	}
	mode := c.str("auth_confirm_mode")
	if mode != "" && mode != "COMPLETE" && mode != "NOT_COMPLETE" {
		return aliBiz("ACQ.INVALID_PARAMETER", "参数无效: auth_confirm_mode"), ""
	}
	scen := OpScenarioFor(amount)
	_, child, res := s.ledger.consumeInto(consumeIn{
		Channel: app.ChannelAlipay, Merchant: c.app.AppID, DepositTxn: authNo, OutTradeNo: outTradeNo,
		Amount: amount, Complete: mode == "COMPLETE", Subject: c.str("subject"), TxnPrefix: "{date}2200",
		Fingerprint: fmt.Sprint(amount, "|", authNo, "|", mode), Store: c.str("store_id"), Staff: c.str("operator_id"),
		Scenario: scen,
	})
	if res == depDone {
		switch scen {
		case OpLostMade:
			return aliDropped()
		case OpSystemErrorMade:
			return aliSystemError("ACQ.SYSTEM_ERROR"), ""
		}
	}
	switch res {
	case depDone, depSame:
		return aliOK(aliTradeFields(&child)), ""
	case depLost:
		return aliDropped()
	case depRefused:
		return aliBiz("ACQ.TRADE_STATUS_ERROR", "交易状态不合法"), ""
	case depNotFound:
		return aliBiz("ACQ.AUTH_NO_NOT_EXIST", "预授权号不存在"), ""
	case depOrderInUse:
		return aliBiz("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改"), ""
	case depNotFrozen:
		return aliBiz("ACQ.TRADE_STATUS_ERROR", "预授权订单状态不合法，已解冻或已完成"), ""
	default:
		return aliBiz("ACQ.TOTAL_FEE_EXCEED", "支付金额超过预授权剩余冻结金额"), ""
	}
}

// aliDropped closes the connection without an answer (…91 after the
// operation is made, …92 before anything is).
func aliDropped() (alipayFields, Scenario) { return alipayFields{}, ScenarioDroppedCharged }

// aliSystemError is the "service unavailable" answer whose outcome the
// client cannot know (…301, …93).
func aliSystemError(sub string) alipayFields {
	return alipayFields{"code": "20000", "msg": "Service Currently Unavailable", "sub_code": sub, "sub_msg": "系统异常"}
}

// hasQueryOption tells whether the request's query_options asks for opt.
func (c *alipayCall) hasQueryOption(opt string) bool {
	list, _ := c.biz["query_options"].([]any)
	for _, v := range list {
		if v == opt {
			return true
		}
	}
	return false
}

func aliTradeStatus(o *Order) string {
	switch o.State {
	case StatePaying:
		return "WAIT_BUYER_PAY"
	case StatePaid:
		if o.Refunded == o.Amount {
			return "TRADE_CLOSED"
		}
		return "TRADE_SUCCESS"
	}
	return "TRADE_CLOSED"
}

func (s *Server) aliFindTrade(c *alipayCall) (Order, bool) {
	no, txn := c.str("out_trade_no"), c.str("trade_no")
	if no == "" && txn == "" {
		return Order{}, false
	}
	o, ok := s.find(app.ChannelAlipay, c.app.AppID, "", no, txn)
	if ok && (o.Deposit || !aliVisible(&o)) {
		return Order{}, false // a precreated code nobody scanned is no trade yet
	}
	return o, ok
}

func (s *Server) aliTradeQuery(c *alipayCall) (alipayFields, Scenario) {
	if c.str("out_trade_no") == "" && c.str("trade_no") == "" {
		return aliBiz("ACQ.INVALID_PARAMETER", "参数无效: out_trade_no和trade_no不能同时为空"), ""
	}
	o, ok := s.aliFindTrade(c)
	if !ok {
		return aliBiz("ACQ.TRADE_NOT_EXIST", "交易不存在"), ""
	}
	f := aliTradeFields(&o)
	f["trade_status"] = aliTradeStatus(&o)
	if !o.PaidAt.IsZero() {
		f["send_pay_date"] = aliTime(o.PaidAt)
	}
	if o.State != StatePaid {
		delete(f, "fund_bill_list")
		f["receipt_amount"], f["buyer_pay_amount"], f["invoice_amount"] = "0.00", "0.00", "0.00"
	}
	if o.Placeholder {
		f["total_amount"] = "0.00"
	}
	return aliOK(f), ""
}

func (s *Server) aliTradeCancel(c *alipayCall) (alipayFields, Scenario) {
	no, txn := c.str("out_trade_no"), c.str("trade_no")
	if no == "" && txn == "" {
		return aliBiz("ACQ.INVALID_PARAMETER", "参数无效: out_trade_no和trade_no不能同时为空"), ""
	}
	if o, ok := s.find(app.ChannelAlipay, c.app.AppID, "", no, txn); ok && o.Deposit {
		return aliBiz("ACQ.TRADE_NOT_EXIST", "交易不存在"), ""
	}
	o, res := s.ledger.reverse(app.ChannelAlipay, c.app.AppID, "", no, txn, reverseOpts{placeholder: no != "", closePaying: true})
	switch res {
	case revDone:
		action := "close"
		if o.Reversed > 0 {
			action = "refund"
		}
		f := alipayFields{"out_trade_no": o.OutTradeNo, "retry_flag": "N", "action": action}
		if !o.Placeholder {
			f["trade_no"] = o.TransactionID
		}
		if action == "refund" {
			f["gmt_refund_pay"] = aliTime(o.EndedAt)
		}
		return aliOK(f), ""
	case revNotFound:
		return aliBiz("ACQ.TRADE_NOT_EXIST", "交易不存在"), ""
	case revTooOld:
		return aliBiz("ACQ.TRADE_CANCEL_TIME_OUT", "超过撤销时间范围"), ""
	default:
		return aliBiz("ACQ.TRADE_STATUS_ERROR", "交易状态不合法: 已退款的交易不能撤销，请使用退款"), ""
	}
}

func (s *Server) aliTradeRefund(c *alipayCall) (alipayFields, Scenario) {
	no, txn := c.str("out_trade_no"), c.str("trade_no")
	if no == "" && txn == "" {
		return aliBiz("ACQ.INVALID_PARAMETER", "参数无效: out_trade_no和trade_no不能同时为空"), ""
	}
	amount, err := parseYuan(c.str("refund_amount"))
	if err != nil {
		return aliBiz("ACQ.INVALID_PARAMETER", "参数无效: refund_amount"), ""
	}
	if o, ok := s.find(app.ChannelAlipay, c.app.AppID, "", no, txn); ok && o.Deposit {
		return aliBiz("ACQ.TRADE_NOT_EXIST", "交易不存在"), ""
	}
	reqNo := c.str("out_request_no")
	if reqNo == "" {
		// Without out_request_no the trade itself names the (single, full) refund.
		reqNo = "trade:" + no + txn
	}
	scen := OpScenarioFor(amount)
	o, r, res := s.ledger.refund(refundIn{
		Channel: app.ChannelAlipay, Merchant: c.app.AppID, OutTradeNo: no, TxnID: txn,
		OutRefundNo: reqNo, Amount: amount, Reason: c.str("refund_reason"), IDPrefix: "{date}2200",
		Scenario: scen,
	})
	if res == refNew {
		switch scen {
		case OpLostMade:
			return aliDropped()
		case OpSystemErrorMade:
			return aliSystemError("ACQ.SYSTEM_ERROR"), ""
		}
	}
	logon, uid := buyerID(o.AuthCode)
	switch res {
	case refLost:
		return aliDropped()
	case refRefused:
		return aliBiz("ACQ.SELLER_BALANCE_NOT_ENOUGH", "卖家余额不足"), ""
	case refNew, refSame:
		// Every repeat of a refund number answers fund_change=N: no money
		// moved on this call.
		fc := "Y"
		if res == refSame {
			fc = "N"
		}
		f := alipayFields{
			"trade_no": o.TransactionID, "out_trade_no": o.OutTradeNo, "buyer_logon_id": logon,
			"buyer_user_id": uid, "fund_change": fc, "refund_fee": o.Refunded.Yuan(),
			"gmt_refund_pay": aliTime(r.CreatedAt),
		}
		// send_back_fee (what this refund returned) comes only when
		// query_options asks for refund_detail_item_list.
		if c.hasQueryOption("refund_detail_item_list") {
			f["send_back_fee"] = r.Amount.Yuan()
			f["refund_detail_item_list"] = []map[string]string{{"fund_channel": "ALIPAYACCOUNT", "amount": r.Amount.Yuan()}}
		}
		return aliOK(f), ""
	case refConflict:
		return aliBiz("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改: 退款请求号已使用，且订单或金额不一致"), ""
	case refOrderNotFound:
		return aliBiz("ACQ.TRADE_NOT_EXIST", "交易不存在"), ""
	case refNotPaid:
		return aliBiz("ACQ.TRADE_STATUS_ERROR", "交易状态不合法"), ""
	default:
		return aliBiz("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限"), ""
	}
}

func (s *Server) aliRefundQuery(c *alipayCall) (alipayFields, Scenario) {
	no, txn, reqNo := c.str("out_trade_no"), c.str("trade_no"), c.str("out_request_no")
	if no == "" && txn == "" {
		return aliBiz("ACQ.INVALID_PARAMETER", "参数无效: out_trade_no和trade_no不能同时为空"), ""
	}
	if reqNo == "" {
		return aliBiz("ACQ.INVALID_PARAMETER", "参数无效: out_request_no"), ""
	}
	o, ok := s.aliFindTrade(c)
	if !ok {
		return aliBiz("ACQ.TRADE_NOT_EXIST", "交易不存在"), ""
	}
	f := alipayFields{"out_trade_no": o.OutTradeNo, "trade_no": o.TransactionID}
	rs := s.ledger.refundsOf(app.ChannelAlipay, c.app.AppID, "", o.OutTradeNo, reqNo)
	if len(rs) == 0 && reqNo == o.OutTradeNo {
		rs = s.ledger.refundsOf(app.ChannelAlipay, c.app.AppID, "", o.OutTradeNo, "trade:"+o.OutTradeNo)
	}
	// As the real API: an unknown refund answers 10000 without refund
	// fields; refund_status REFUND_SUCCESS is what says a refund is done
	// (one still within refund_seconds is listed without it).
	if len(rs) == 1 {
		r := rs[0]
		f["out_request_no"] = reqNo
		f["total_amount"] = o.Amount.Yuan()
		f["refund_amount"] = r.Amount.Yuan()
		if r.Done(s.ledger.now()) {
			f["refund_status"] = "REFUND_SUCCESS"
			if c.hasQueryOption("gmt_refund_pay") {
				f["gmt_refund_pay"] = aliTime(r.DoneAt)
			}
		}
	}
	return aliOK(f), ""
}

func (s *Server) aliFreeze(c *alipayCall) (alipayFields, Scenario) {
	orderNo, reqNo := c.str("out_order_no"), c.str("out_request_no")
	if orderNo == "" || reqNo == "" || c.str("order_title") == "" {
		return aliBiz("INVALID_PARAMETER", "参数无效: out_order_no, out_request_no, order_title必填"), ""
	}
	if t := c.str("auth_code_type"); t != "bar_code" && t != "security_code" {
		return aliBiz("INVALID_PARAMETER", "参数无效: auth_code_type"), ""
	}
	if pc := c.str("product_code"); pc != "PRE_AUTH" && pc != "PREAUTH_PAY" {
		return aliBiz("INVALID_PARAMETER", "参数无效: product_code须为PRE_AUTH"), ""
	}
	amount, err := parseYuan(c.str("amount"))
	if err != nil {
		return aliBiz("INVALID_PARAMETER", "参数无效: amount"), ""
	}
	code := c.str("auth_code")
	if !isAlipayCode(code) {
		return aliBiz("AUTH_CODE_INVALID", "付款码无效，请顾客刷新付款码后重试"), ""
	}
	o, res := s.ledger.pay(payIn{
		Channel: app.ChannelAlipay, Merchant: c.app.AppID, OutTradeNo: orderNo, AuthCode: code,
		Amount: amount, Subject: c.str("order_title"), Deposit: true, TxnPrefix: "{date}1100",
		Extra:       map[string]string{"out_request_no": reqNo, "operation_id": "op" + nonce(20)},
		Fingerprint: fmt.Sprint(amount, "|", code, "|freeze|", reqNo),
	})
	switch res {
	case payUnavailable:
		return alipayFields{}, ScenarioUnavailable
	case payConflict:
		return aliBiz("ORDER_ALREADY_EXIST", "商户授权订单号已存在，且请求内容不一致"), ""
	}
	if !o.Deposit {
		return aliBiz("ORDER_ALREADY_EXIST", "商户授权订单号已存在，且请求内容不一致"), ""
	}
	var scen Scenario
	if res == payNew {
		scen = o.Scenario
	}
	f := aliFreezeFields(&o)
	switch o.State {
	case StatePaying:
		f["status"] = "INIT"
		f["code"], f["msg"] = "10003", "order success pay inprocess"
		return f, scen
	case StateFailed:
		if o.FailCode == failAuthCodeExpired {
			return aliBiz("AUTH_CODE_INVALID", "付款码无效，请顾客刷新付款码后重试"), scen
		}
		return aliBiz("BUYER_BALANCE_NOT_ENOUGH", "买家余额不足"), scen
	case StateClosed, StateReversed:
		return aliBiz("ORDER_ALREADY_CLOSED", "授权订单已关闭"), scen
	}
	if res == payNew && o.Scenario == ScenarioSystemError {
		return aliSystemError("SYSTEM_ERROR"), scen
	}
	f["status"] = "SUCCESS"
	return aliOK(f), scen
}

func aliFreezeFields(o *Order) alipayFields {
	logon, uid := buyerID(o.AuthCode)
	f := alipayFields{
		"auth_no": o.TransactionID, "out_order_no": o.OutTradeNo,
		"operation_id": o.Extra["operation_id"], "out_request_no": o.Extra["out_request_no"],
		"amount": o.Amount.Yuan(), "payer_logon_id": logon, "payer_user_id": uid,
	}
	if !o.PaidAt.IsZero() {
		f["gmt_trans"] = aliTime(o.PaidAt)
	}
	return f
}

func (s *Server) aliFindDeposit(c *alipayCall) (Order, bool) {
	no, authNo := c.str("out_order_no"), c.str("auth_no")
	if no == "" && authNo == "" {
		return Order{}, false
	}
	o, ok := s.find(app.ChannelAlipay, c.app.AppID, "", no, authNo)
	if !ok || !o.Deposit {
		return Order{}, false
	}
	return o, true
}

func (s *Server) aliAuthDetail(c *alipayCall) (alipayFields, Scenario) {
	o, ok := s.aliFindDeposit(c)
	if !ok {
		return aliBiz("AUTH_ORDER_NOT_EXIST", "授权订单不存在"), ""
	}
	opID, req := c.str("operation_id"), c.str("out_request_no")
	if (opID != "" && opID != o.Extra["operation_id"]) || (req != "" && req != o.Extra["out_request_no"]) {
		return s.aliAuthOpDetail(&o, opID, req)
	}
	f := aliFreezeFields(&o)
	f["operation_type"] = "FREEZE"
	f["total_freeze_amount"] = o.Amount.Yuan()
	f["rest_amount"] = o.Frozen().Yuan()
	f["total_pay_amount"] = o.Consumed.Yuan()
	f["gmt_create"] = aliTime(o.CreatedAt)
	switch o.State {
	case StatePaying:
		f["order_status"], f["status"] = "INIT", "INIT"
	case StatePaid:
		f["status"] = "SUCCESS"
		switch {
		case o.Frozen() > 0:
			f["order_status"] = "AUTHORIZED"
		case o.Consumed > 0:
			f["order_status"] = "FINISH"
		default:
			f["order_status"] = "CLOSED"
		}
	default:
		f["order_status"], f["status"] = "CLOSED", "CLOSED"
		f["rest_amount"] = "0.00"
	}
	return aliOK(f), ""
}

// aliAuthOpDetail answers the detail query for an unfreeze of the deposit,
// named by its operation_id or out_request_no.
func (s *Server) aliAuthOpDetail(o *Order, opID, req string) (alipayFields, Scenario) {
	for _, op := range o.Ops {
		if op.Kind != "release" || (opID != "" && op.OperationID != opID) || (req != "" && op.RequestNo != req) {
			continue
		}
		f := aliFreezeFields(o)
		f["operation_type"] = "UNFREEZE"
		f["operation_id"] = op.OperationID
		f["out_request_no"] = op.RequestNo
		f["amount"] = op.Amount.Yuan()
		f["status"] = "SUCCESS"
		f["gmt_create"] = aliTime(op.At)
		f["gmt_trans"] = aliTime(op.At)
		f["total_freeze_amount"] = o.Amount.Yuan()
		f["rest_amount"] = o.Frozen().Yuan()
		f["total_pay_amount"] = o.Consumed.Yuan()
		f["order_status"] = "AUTHORIZED"
		if o.Frozen() == 0 {
			f["order_status"] = "FINISH"
			if o.Consumed == 0 {
				f["order_status"] = "CLOSED"
			}
		}
		return aliOK(f), ""
	}
	return aliBiz("AUTH_OPERATION_NOT_EXIST", "支付宝资金操作流水不存在"), ""
}

func (s *Server) aliUnfreeze(c *alipayCall) (alipayFields, Scenario) {
	authNo, reqNo := c.str("auth_no"), c.str("out_request_no")
	if authNo == "" || reqNo == "" || c.str("remark") == "" {
		return aliBiz("INVALID_PARAMETER", "参数无效: auth_no, out_request_no, remark必填"), ""
	}
	amount, err := parseYuan(c.str("amount"))
	if err != nil {
		return aliBiz("INVALID_PARAMETER", "参数无效: amount"), ""
	}
	scen := OpScenarioFor(amount)
	o, op, res := s.ledger.releaseOp(releaseIn{Channel: app.ChannelAlipay, Merchant: c.app.AppID, DepositTxn: authNo,
		RequestNo: reqNo, Amount: amount, OperationID: "op" + nonce(20), Scenario: scen})
	if res == depDone {
		switch scen {
		case OpLostMade:
			return aliDropped()
		case OpSystemErrorMade:
			return aliSystemError("SYSTEM_ERROR"), ""
		}
	}
	switch res {
	case depDone, depSame:
		at := op.At
		if at.IsZero() {
			at = s.ledger.now()
		}
		return aliOK(alipayFields{
			"auth_no": o.TransactionID, "out_order_no": o.OutTradeNo, "operation_id": op.OperationID,
			"out_request_no": reqNo, "amount": op.Amount.Yuan(), "status": "SUCCESS", "gmt_trans": aliTime(at),
		}), ""
	case depLost:
		return aliDropped()
	case depRefused:
		return aliBiz("ILLEGAL_STATUS", "订单状态非法"), ""
	case depNotFound:
		return aliBiz("AUTH_ORDER_NOT_EXIST", "授权订单不存在"), ""
	case depConflict:
		return aliBiz("REQUEST_AMOUNT_NOT_MATCH", "请求号已使用，且金额不一致"), ""
	case depNotFrozen:
		return aliBiz("ORDER_ALREADY_FINISH", "授权订单已完结或已关闭"), ""
	default:
		return aliBiz("UNFREEZE_AMOUNT_EXCEED", "解冻金额超过剩余冻结金额"), ""
	}
}

func (s *Server) aliAuthCancel(c *alipayCall) (alipayFields, Scenario) {
	no, authNo := c.str("out_order_no"), c.str("auth_no")
	if no == "" && authNo == "" {
		return aliBiz("INVALID_PARAMETER", "参数无效: auth_no和out_order_no不能同时为空"), ""
	}
	if c.str("remark") == "" {
		return aliBiz("INVALID_PARAMETER", "参数无效: remark"), ""
	}
	if o, ok := s.find(app.ChannelAlipay, c.app.AppID, "", no, authNo); ok && !o.Deposit && !o.Placeholder {
		return aliBiz("AUTH_ORDER_NOT_EXIST", "授权订单不存在"), ""
	}
	o, res := s.ledger.reverse(app.ChannelAlipay, c.app.AppID, "", no, authNo, reverseOpts{placeholder: no != "", closePaying: true})
	switch res {
	case revDone:
		action := "close"
		if o.Reversed > 0 {
			action = "unfreeze"
		}
		f := alipayFields{"out_order_no": o.OutTradeNo, "action": action}
		if !o.Placeholder {
			f["auth_no"] = o.TransactionID
			f["operation_id"] = o.Extra["operation_id"]
			f["out_request_no"] = o.Extra["out_request_no"]
		}
		return aliOK(f), ""
	case revNotFound:
		return aliBiz("AUTH_ORDER_NOT_EXIST", "授权订单不存在"), ""
	case revTooOld:
		return aliBiz("CANCEL_TIME_OUT", "超过撤销时间范围"), ""
	default:
		return aliBiz("ORDER_ALREADY_FINISH", "授权订单已支付或已解冻，不能撤销"), ""
	}
}

func (s *Server) aliBillURL(c *alipayCall) (alipayFields, Scenario) {
	if c.str("bill_type") != "trade" {
		return aliBiz("isp.bill_not_exist", "账单不存在: 沙箱只提供trade账单"), ""
	}
	day, err := time.ParseInLocation("2006-01-02", c.str("bill_date"), beijing)
	if err != nil {
		return aliBiz("isv.invalid-parameter", "参数无效: bill_date须为yyyy-MM-dd"), ""
	}
	if len(alipayBillRows(s.ledger, c.app.AppID, day)) == 0 || s.BillFault() == BillNotReady {
		return aliBiz("isp.bill_not_exist", "账单不存在"), ""
	}
	date := day.Format("20060102")
	q := url.Values{
		"bizType": {"trade"}, "userId": {c.app.AppID}, "fileType": {"csv.zip"}, "bizDates": {date},
		"downloadFileName": {c.app.AppID + "_" + date + ".csv.zip"},
		"timestamp":        {strconv.FormatInt(s.ledger.now().UnixMilli(), 10)},
	}
	q.Set("token", s.billToken("alipay", c.app.AppID, date))
	scheme := "https"
	if c.r.TLS == nil {
		scheme = "http"
	}
	return aliOK(alipayFields{"bill_download_url": scheme + "://" + c.r.Host + "/downloadBillFile.resource?" + q.Encode()}), ""
}
