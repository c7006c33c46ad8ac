package sandbox

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"cashier/app"
)

// WeChat Pay API v2 sign types.
const (
	SignMD5        = "MD5"
	SignHMACSHA256 = "HMAC-SHA256"
)

// WeChatSign computes the API v2 signature: every non-empty parameter
// except sign, keys sorted by byte value, joined k=v&k=v, then &key=<API key>;
// MD5 or HMAC-SHA256 (keyed with the API key), upper-case hex.
func WeChatSign(params map[string]string, apiKey, signType string) (string, error) {
	keys := make([]string, 0, len(params))
	for k, v := range params {
		if k == "sign" || v == "" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(params[k])
		b.WriteByte('&')
	}
	b.WriteString("key=")
	b.WriteString(apiKey)
	switch signType {
	case "", SignMD5:
		sum := md5.Sum([]byte(b.String()))
		return strings.ToUpper(hex.EncodeToString(sum[:])), nil
	case SignHMACSHA256:
		m := hmac.New(sha256.New, []byte(apiKey))
		m.Write([]byte(b.String()))
		return strings.ToUpper(hex.EncodeToString(m.Sum(nil))), nil
	}
	return "", fmt.Errorf("unknown sign_type %q", signType)
}

var errWeChatXML = errors.New("XML格式错误")

// ParseWeChatXML reads a flat <xml><k>v</k>...</xml> document (values may be
// CDATA). Nested elements, duplicate keys and anything after the root are
// errors. It never panics on any input.
func ParseWeChatXML(body []byte) (map[string]string, error) {
	if !utf8.Valid(body) {
		return nil, errWeChatXML
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	out := map[string]string{}
	depth := 0
	var cur string
	var text strings.Builder
	rootSeen, rootDone := false, false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errWeChatXML
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if rootDone {
				return nil, errWeChatXML
			}
			depth++
			switch depth {
			case 1:
				if t.Name.Local != "xml" {
					return nil, errWeChatXML
				}
				rootSeen = true
			case 2:
				cur = t.Name.Local
				text.Reset()
			default:
				return nil, errWeChatXML
			}
		case xml.EndElement:
			if depth == 2 {
				if _, dup := out[cur]; dup {
					return nil, errWeChatXML
				}
				out[cur] = strings.TrimSpace(text.String())
			}
			depth--
			if depth == 0 {
				rootDone = true
			}
		case xml.CharData:
			if depth == 2 {
				text.Write(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, errWeChatXML
			}
		case xml.Directive:
			return nil, errWeChatXML // no DOCTYPE / entities
		}
	}
	if !rootSeen || !rootDone {
		return nil, errWeChatXML
	}
	return out, nil
}

// buildWeChatXML writes parameters as WeChat does: <xml>, keys sorted,
// every value in CDATA.
func buildWeChatXML(params map[string]string) []byte {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteString("<xml>")
	for _, k := range keys {
		v := strings.ReplaceAll(params[k], "]]>", "]]]]><![CDATA[>")
		fmt.Fprintf(&b, "<%s><![CDATA[%s]]></%s>", k, v, k)
	}
	b.WriteString("</xml>")
	return b.Bytes()
}

// wechatCall describes one WeChat endpoint.
type wechatCall struct {
	cert        bool // mutual TLS with the merchant's API certificate
	hmacOnly    bool // deposit calls: HMAC-SHA256 only
	subOptional bool // a service provider may leave sub_mch_id out (bills of all its merchants)
	handle      func(s *Server, c *wechatCtx) wxAnswer
}

// wechatCtx is one authenticated request.
type wechatCtx struct {
	m        *WeChatMerchant
	p        map[string]string
	signType string
	w        http.ResponseWriter
	r        *http.Request
}

// wxAnswer is what a handler decides: business fields (signed), or a raw
// body (bills), or a transport-level scenario.
type wxAnswer struct {
	fields   map[string]string
	raw      []byte
	rawType  string
	scenario Scenario // slow / dropped / 503 apply only to a newly created order
}

func wxOK(fields map[string]string) wxAnswer {
	if fields == nil {
		fields = map[string]string{}
	}
	fields["result_code"] = "SUCCESS"
	return wxAnswer{fields: fields}
}

// wxDropped closes the connection without an answer (…91 after the
// operation is made, …92 before anything is).
func wxDropped() wxAnswer {
	return wxAnswer{scenario: ScenarioDroppedCharged, fields: map[string]string{}}
}

func wxErr(code, des string, extra ...string) wxAnswer {
	f := map[string]string{"result_code": "FAIL", "err_code": code, "err_code_des": des}
	for i := 0; i+1 < len(extra); i += 2 {
		f[extra[i]] = extra[i+1]
	}
	return wxAnswer{fields: f}
}

func (s *Server) wechatRoutes(mux *http.ServeMux) {
	calls := map[string]wechatCall{
		"/pay/micropay":        {handle: (*Server).wxMicropay},
		"/pay/orderquery":      {handle: (*Server).wxOrderQuery},
		"/secapi/pay/reverse":  {cert: true, handle: (*Server).wxReverse},
		"/secapi/pay/refund":   {cert: true, handle: (*Server).wxRefund},
		"/pay/refundquery":     {handle: (*Server).wxRefundQuery},
		"/pay/downloadbill":    {subOptional: true, handle: (*Server).wxDownloadBill},
		"/deposit/micropay":    {hmacOnly: true, handle: (*Server).wxMicropay},
		"/deposit/orderquery":  {hmacOnly: true, handle: (*Server).wxOrderQuery},
		"/deposit/reverse":     {cert: true, hmacOnly: true, handle: (*Server).wxReverse},
		"/deposit/consume":     {cert: true, hmacOnly: true, handle: (*Server).wxDepositConsume},
		"/deposit/refund":      {cert: true, hmacOnly: true, handle: (*Server).wxRefund},
		"/deposit/refundquery": {hmacOnly: true, handle: (*Server).wxRefundQuery},
		"/pay/unifiedorder":    {handle: (*Server).wxUnifiedOrder},
		"/pay/closeorder":      {handle: (*Server).wxCloseOrder},
	}
	for path, call := range calls {
		mux.Handle(path, s.wechatHandler(call))
	}
}

func wxFail(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write(buildWeChatXML(map[string]string{"return_code": "FAIL", "return_msg": msg}))
}

func (s *Server) wechatHandler(call wechatCall) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			wxFail(w, "请使用post方法")
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
		if err != nil || len(body) > maxRequestBody {
			wxFail(w, "XML格式错误")
			return
		}
		if len(bytes.TrimSpace(body)) == 0 {
			wxFail(w, "post数据为空")
			return
		}
		if !utf8.Valid(body) {
			wxFail(w, "编码格式错误")
			return
		}
		p, err := ParseWeChatXML(body)
		if err != nil {
			wxFail(w, "XML格式错误")
			return
		}
		m := s.cfg.wechatMerchant(p["mch_id"])
		if m == nil {
			wxFail(w, "mch_id参数错误, 商户号不存在")
			return
		}
		if p["appid"] != m.AppID {
			wxFail(w, "appid和mch_id不匹配")
			return
		}
		if call.cert && !s.peerIs(r, m.clientCertDER) {
			wxFail(w, "证书验证失败")
			return
		}
		signType := p["sign_type"]
		if call.hmacOnly && signType != SignHMACSHA256 {
			wxFail(w, "签名类型错误, 只支持HMAC-SHA256")
			return
		}
		if signType != "" && signType != SignMD5 && signType != SignHMACSHA256 {
			wxFail(w, "sign_type参数错误")
			return
		}
		want, _ := WeChatSign(p, m.APIKey, signType)
		if got := strings.ToUpper(p["sign"]); subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			wxFail(w, "签名错误")
			return
		}
		sub := p["sub_mch_id"]
		if len(m.SubMchIDs) > 0 && !contains(m.SubMchIDs, sub) && !(sub == "" && call.subOptional) {
			wxFail(w, "sub_mch_id与mch_id不匹配")
			return
		}
		if len(m.SubMchIDs) == 0 && sub != "" {
			wxFail(w, "sub_mch_id与mch_id不匹配")
			return
		}
		c := &wechatCtx{m: m, p: p, signType: signType, w: w, r: r}
		ans := call.handle(s, c)
		if ans.raw != nil {
			w.Header().Set("Content-Type", ans.rawType)
			_, _ = w.Write(ans.raw)
			return
		}
		out := ans.fields
		out["return_code"] = "SUCCESS"
		out["return_msg"] = "OK"
		out["appid"] = m.AppID
		out["mch_id"] = m.MchID
		if sub != "" {
			out["sub_mch_id"] = sub
		}
		if v := p["sub_appid"]; v != "" {
			out["sub_appid"] = v
		}
		if v := p["device_info"]; v != "" {
			out["device_info"] = v
		}
		out["nonce_str"] = nonce(16)
		out["sign"], _ = WeChatSign(out, m.APIKey, signType)
		s.deliver(w, r, ans.scenario, func() {
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			_, _ = w.Write(buildWeChatXML(out))
		})
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (c *Config) wechatMerchant(mchID string) *WeChatMerchant {
	if mchID == "" {
		return nil
	}
	for i := range c.WeChat.Merchants {
		if c.WeChat.Merchants[i].MchID == mchID {
			return &c.WeChat.Merchants[i]
		}
	}
	return nil
}

// parseFen reads an integer amount in fen as WeChat and Cloud Pay send it.
func parseFen(s string) (app.Money, bool) {
	if s == "" || len(s) > 12 || s[0] == '0' {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > int64(app.DefaultCeiling) {
		return 0, false
	}
	return app.Money(n), true
}

func fen(m app.Money) string { return strconv.FormatInt(int64(m), 10) }

func isWeChatCode(code string) bool {
	if len(code) != 18 || code[0] != '1' || code[1] < '0' || code[1] > '5' {
		return false
	}
	return allDigits(code)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func wxDeposit(c *wechatCtx) bool { return strings.HasPrefix(c.r.URL.Path, "/deposit/") }

func (s *Server) wxMicropay(c *wechatCtx) wxAnswer {
	p := c.p
	deposit := wxDeposit(c)
	for _, k := range []string{"body", "out_trade_no", "total_fee", "spbill_create_ip", "auth_code"} {
		if p[k] == "" {
			return wxErr("LACK_PARAMS", "缺少参数"+k)
		}
	}
	if deposit && p["deposit"] != "Y" {
		return wxErr("PARAM_ERROR", "押金支付deposit必须为Y")
	}
	amount, ok := parseFen(p["total_fee"])
	if !ok {
		return wxErr("PARAM_ERROR", "total_fee参数错误")
	}
	if len(p["body"]) > 128 || len(p["out_trade_no"]) > 32 {
		return wxErr("PARAM_ERROR", "body或out_trade_no参数长度有误")
	}
	if ft := p["fee_type"]; ft != "" && ft != "CNY" {
		return wxErr("PARAM_ERROR", "fee_type参数错误")
	}
	if !isWeChatCode(p["auth_code"]) {
		return wxErr("AUTH_CODE_INVALID", "请扫描微信支付授权码(以10/11/12/13/14/15为前缀的18位数字)")
	}
	o, res := s.ledger.pay(payIn{
		Channel: app.ChannelWeChat, Merchant: c.m.MchID, SubMerchant: p["sub_mch_id"],
		OutTradeNo: p["out_trade_no"], AuthCode: p["auth_code"], Amount: amount,
		Subject: p["body"], Deposit: deposit, Terminal: p["device_info"], TxnPrefix: "4200{date}",
		Fingerprint: fmt.Sprint(amount, "|", p["auth_code"], "|", deposit),
	})
	switch res {
	case payUnavailable:
		return wxAnswer{scenario: ScenarioUnavailable, fields: map[string]string{}}
	case payConflict:
		return wxErr("OUT_TRADE_NO_USED", "商户订单号重复")
	}
	if o.Deposit != deposit {
		return wxErr("OUT_TRADE_NO_USED", "商户订单号重复")
	}
	ans := wxPayAnswer(&o, res == payNew)
	if res == payNew {
		ans.scenario = o.Scenario
	}
	return ans
}

// wxPayAnswer answers a micropay from the order's state; fresh is true for
// the request that created the order.
func wxPayAnswer(o *Order, fresh bool) wxAnswer {
	switch o.State {
	case StatePaying:
		return wxErr("USERPAYING", "需要用户输入支付密码")
	case StateFailed:
		if o.FailCode == failAuthCodeExpired {
			return wxErr("AUTHCODEEXPIRE", "二维码已过期，请用户在微信上刷新后再试")
		}
		return wxErr("NOTENOUGH", "余额不足")
	case StateClosed:
		return wxErr("ORDERCLOSED", "订单已关闭")
	case StateReversed:
		return wxErr("ORDERREVERSED", "订单已撤销")
	}
	if o.Scenario == ScenarioSystemError && fresh {
		// The first answer to a …301 code: the money is taken, the answer says SYSTEMERROR.
		return wxErr("SYSTEMERROR", "系统超时")
	}
	f := wxOrderFields(o)
	return wxOK(f)
}

func openID(code string) string {
	sum := sha256.Sum256([]byte("openid:" + code))
	return "oSandbox" + hex.EncodeToString(sum[:10])
}

func wxTime(o *Order) string { return o.PaidAt.In(beijing).Format("20060102150405") }

func wxOrderFields(o *Order) map[string]string {
	f := map[string]string{
		"openid":               openID(o.AuthCode),
		"is_subscribe":         "N",
		"trade_type":           wxTradeType(o),
		"bank_type":            "OTHERS",
		"fee_type":             "CNY",
		"total_fee":            fen(o.Amount),
		"cash_fee":             fen(o.Amount),
		"cash_fee_type":        "CNY",
		"settlement_total_fee": fen(o.Amount),
		"coupon_fee":           "0",
		"transaction_id":       o.TransactionID,
		"out_trade_no":         o.OutTradeNo,
		"time_end":             wxTime(o),
	}
	if o.Subject != "" {
		f["body"] = o.Subject
	}
	return f
}

func (s *Server) wxOrderQuery(c *wechatCtx) wxAnswer {
	p := c.p
	if p["out_trade_no"] == "" && p["transaction_id"] == "" {
		return wxErr("LACK_PARAMS", "缺少参数out_trade_no或transaction_id")
	}
	o, ok := s.find(app.ChannelWeChat, c.m.MchID, p["sub_mch_id"], p["out_trade_no"], p["transaction_id"])
	if !ok || o.Placeholder || o.Deposit != wxDeposit(c) {
		return wxErr("ORDERNOTEXIST", "此交易订单号不存在")
	}
	f := map[string]string{
		"out_trade_no": o.OutTradeNo,
		"total_fee":    fen(o.Amount),
		"fee_type":     "CNY",
		"trade_type":   wxTradeType(&o),
		"openid":       openID(o.AuthCode),
	}
	switch o.State {
	case StatePaying:
		f["trade_state"], f["trade_state_desc"] = "USERPAYING", "需要用户输入支付密码"
		if o.QR {
			// A NATIVE order waits for the scan and stays NOTPAY after its
			// time_expire until the merchant closes it.
			f["trade_state"], f["trade_state_desc"] = "NOTPAY", "订单未支付"
			delete(f, "openid")
		}
	case StatePaid:
		f = wxOrderFields(&o)
		f["trade_state"], f["trade_state_desc"] = "SUCCESS", "支付成功"
		if o.Refunded > 0 {
			f["trade_state"], f["trade_state_desc"] = "REFUND", "转入退款"
		}
		if o.Deposit {
			// The deposit states of /deposit/orderquery: SUCCESS is a
			// frozen deposit, CONSUMED one whose consume went through (the
			// sandbox settles a consume at once, so SETTLING never shows).
			f["trade_state"], f["trade_state_desc"] = "SUCCESS", "支付成功，资金冻结中"
			f["consume_fee"] = fen(o.Consumed)
			if o.Consumed > 0 {
				f["trade_state"], f["trade_state_desc"] = "CONSUMED", "押金消费成功"
				f["time_consume"] = o.EndedAt.In(beijing).Format("20060102150405")
			}
		}
	case StateClosed:
		f["trade_state"], f["trade_state_desc"] = "CLOSED", "已关闭"
		if o.FailCode == failUserCancelled {
			f["trade_state_desc"] = "用户取消支付"
		}
	case StateReversed:
		f["trade_state"], f["trade_state_desc"] = "REVOKED", "已撤销"
		f["transaction_id"] = o.TransactionID
	case StateFailed:
		f["trade_state"] = "PAYERROR"
		f["trade_state_desc"] = "支付失败(" + o.FailCode + ")"
	}
	return wxOK(f)
}

// find looks an order up and returns a copy.
func (s *Server) find(ch app.ChannelName, mch, sub, outTradeNo, txn string) (Order, bool) {
	s.ledger.begin()
	defer s.ledger.end()
	o := s.ledger.lookup(ch, mch, sub, outTradeNo, txn)
	if o == nil {
		return Order{}, false
	}
	return o.copy(), true
}

func (s *Server) wxReverse(c *wechatCtx) wxAnswer {
	p := c.p
	if p["out_trade_no"] == "" && p["transaction_id"] == "" {
		return wxErr("LACK_PARAMS", "缺少参数out_trade_no或transaction_id")
	}
	deposit := wxDeposit(c)
	opt := reverseOpts{placeholder: !deposit && p["out_trade_no"] != ""}
	o, ok := s.find(app.ChannelWeChat, c.m.MchID, p["sub_mch_id"], p["out_trade_no"], p["transaction_id"])
	if ok && o.Deposit != deposit && !o.Placeholder {
		return wxErr("ORDERNOTEXIST", "此交易订单号不存在", "recall", "N")
	}
	if deposit {
		opt.minAge = depositReverseMinAge
		// /deposit/reverse is the deposit's release and carries no amount:
		// the deposit's own amount picks the fault (…94 does not apply, the
		// answer states no amount).
		if sc := OpScenarioFor(o.Amount); ok && sc != OpShortOneFen {
			opt.scenario = sc
		}
	}
	_, res, made := s.ledger.reverseOp(app.ChannelWeChat, c.m.MchID, p["sub_mch_id"], p["out_trade_no"], p["transaction_id"], opt)
	switch res {
	case revDone:
		switch {
		case made && opt.scenario == OpLostMade:
			return wxDropped()
		case made && opt.scenario == OpSystemErrorMade:
			return wxErr("SYSTEMERROR", "系统超时", "recall", "Y")
		}
		return wxOK(map[string]string{"recall": "N"})
	case revLost:
		return wxDropped()
	case revRefused:
		return wxErr("TRADE_ERROR", "押金订单不能撤销，请联系微信支付客服", "recall", "N")
	case revNotFound:
		return wxErr("ORDERNOTEXIST", "此交易订单号不存在", "recall", "N")
	case revPaying:
		return wxErr("USERPAYING", "用户支付中，请稍后再撤销", "recall", "Y")
	case revTooEarly:
		return wxErr("INVALID_REQUEST", "支付后15秒内不能撤销押金订单，请稍后再试", "recall", "Y")
	case revTooOld:
		return wxErr("REVERSE_EXPIRE", "订单已经超过撤销时间限制", "recall", "N")
	default:
		return wxErr("TRADE_ERROR", "订单已退款或已消费，不能撤销，请走退款", "recall", "N")
	}
}

func (s *Server) wxRefund(c *wechatCtx) wxAnswer {
	p := c.p
	for _, k := range []string{"out_refund_no", "total_fee", "refund_fee"} {
		if p[k] == "" {
			return wxErr("LACK_PARAMS", "缺少参数"+k)
		}
	}
	if p["out_trade_no"] == "" && p["transaction_id"] == "" {
		return wxErr("LACK_PARAMS", "缺少参数out_trade_no或transaction_id")
	}
	total, ok1 := parseFen(p["total_fee"])
	amount, ok2 := parseFen(p["refund_fee"])
	if !ok1 || !ok2 {
		return wxErr("PARAM_ERROR", "total_fee或refund_fee参数错误")
	}
	deposit := wxDeposit(c)
	if o, ok := s.find(app.ChannelWeChat, c.m.MchID, p["sub_mch_id"], p["out_trade_no"], p["transaction_id"]); ok && o.Deposit != deposit {
		return wxErr("ORDERNOTEXIST", "订单不存在")
	}
	scen := OpScenarioFor(amount)
	o, r, res := s.ledger.refund(refundIn{
		Channel: app.ChannelWeChat, Merchant: c.m.MchID, SubMerchant: p["sub_mch_id"],
		OutTradeNo: p["out_trade_no"], TxnID: p["transaction_id"], OutRefundNo: p["out_refund_no"],
		Total: total, Amount: amount, Reason: p["refund_desc"], IDPrefix: "50300{date}", Scenario: scen,
	})
	if res == refNew {
		switch scen {
		case OpLostMade:
			return wxDropped()
		case OpSystemErrorMade:
			return wxErr("SYSTEMERROR", "系统超时，请用相同的退款单号重试")
		}
	}
	switch res {
	case refLost:
		return wxDropped()
	case refRefused:
		return wxErr("NOTENOUGH", "基本账户余额不足，请充值后重新发起")
	case refNew, refSame:
		return wxOK(map[string]string{
			"transaction_id":  o.TransactionID,
			"out_trade_no":    o.OutTradeNo,
			"out_refund_no":   r.OutRefundNo,
			"refund_id":       r.RefundID,
			"refund_fee":      fen(r.Amount),
			"total_fee":       fen(o.Amount),
			"cash_fee":        fen(o.Amount),
			"cash_refund_fee": fen(r.Amount),
			"refund_channel":  "ORIGINAL",
		})
	case refConflict:
		return wxErr("INVALID_REQUEST", "退款单号已使用，且与本次请求的订单或金额不一致")
	case refOrderNotFound:
		return wxErr("ORDERNOTEXIST", "订单不存在")
	case refNotPaid:
		return wxErr("TRADE_STATE_ERROR", "订单状态错误，未支付或已撤销的订单不能退款")
	case refTotalMismatch:
		return wxErr("PARAM_ERROR", "订单金额total_fee与原订单不一致")
	case refDepositNotDone:
		return wxErr("TRADE_STATE_ERROR", "押金未消费，请使用撤销接口退还押金")
	default:
		return wxErr("INVALID_REQUEST", "退款金额超过订单可退金额")
	}
}

func (s *Server) wxRefundQuery(c *wechatCtx) wxAnswer {
	p := c.p
	sub := p["sub_mch_id"]
	var refunds []Refund
	outTradeNo := p["out_trade_no"]
	switch {
	case p["refund_id"] != "" || p["out_refund_no"] != "":
		r, ok := s.ledger.findRefund(app.ChannelWeChat, c.m.MchID, sub, p["out_refund_no"], p["refund_id"])
		if ok {
			refunds = []Refund{r}
			outTradeNo = r.OutTradeNo
		}
	case outTradeNo != "" || p["transaction_id"] != "":
		o, ok := s.find(app.ChannelWeChat, c.m.MchID, sub, outTradeNo, p["transaction_id"])
		if ok {
			outTradeNo = o.OutTradeNo
			refunds = s.ledger.refundsOf(app.ChannelWeChat, c.m.MchID, sub, o.OutTradeNo, "")
		}
	default:
		return wxErr("LACK_PARAMS", "缺少参数: refund_id/out_refund_no/transaction_id/out_trade_no 四选一")
	}
	if len(refunds) == 0 {
		return wxErr("REFUNDNOTEXIST", "退款订单查询失败")
	}
	o, ok := s.find(app.ChannelWeChat, c.m.MchID, sub, outTradeNo, "")
	if !ok || o.Deposit != wxDeposit(c) {
		return wxErr("REFUNDNOTEXIST", "退款订单查询失败")
	}
	now := s.ledger.now()
	f := map[string]string{
		"transaction_id": o.TransactionID,
		"out_trade_no":   o.OutTradeNo,
		"total_fee":      fen(o.Amount),
		"cash_fee":       fen(o.Amount),
		"refund_count":   strconv.Itoa(len(refunds)),
	}
	var sum app.Money
	for i, r := range refunds {
		n := strconv.Itoa(i)
		sum += r.Amount
		f["out_refund_no_"+n] = r.OutRefundNo
		f["refund_id_"+n] = r.RefundID
		f["refund_channel_"+n] = "ORIGINAL"
		f["refund_fee_"+n] = fen(r.Amount)
		f["settlement_refund_fee_"+n] = fen(r.Amount)
		f["refund_recv_accout_"+n] = "支付用户的零钱"
		if r.Done(now) {
			f["refund_status_"+n] = "SUCCESS"
			f["refund_success_time_"+n] = r.DoneAt.In(beijing).Format("2006-01-02 15:04:05")
		} else {
			f["refund_status_"+n] = "PROCESSING"
		}
	}
	f["refund_fee"] = fen(sum)
	return wxOK(f)
}

func (s *Server) wxDepositConsume(c *wechatCtx) wxAnswer {
	p := c.p
	if p["out_trade_no"] == "" && p["transaction_id"] == "" {
		return wxErr("LACK_PARAMS", "缺少参数out_trade_no或transaction_id")
	}
	total, ok1 := parseFen(p["total_fee"])
	fee, ok2 := parseFen(p["consume_fee"])
	if !ok1 || !ok2 {
		return wxErr("PARAM_ERROR", "total_fee或consume_fee参数错误")
	}
	scen := OpScenarioFor(fee)
	o, res := s.ledger.consumeAll(app.ChannelWeChat, c.m.MchID, p["sub_mch_id"], p["out_trade_no"], p["transaction_id"], total, fee, scen)
	if res == depDone {
		switch scen {
		case OpLostMade:
			return wxDropped()
		case OpSystemErrorMade:
			return wxErr("SYSTEMERROR", "系统超时")
		}
	}
	switch res {
	case depLost:
		return wxDropped()
	case depRefused:
		return wxErr("TRADE_STATE_ERROR", "订单状态错误，押金不能消费")
	case depDone, depSame:
		return wxOK(map[string]string{
			"transaction_id": o.TransactionID,
			"out_trade_no":   o.OutTradeNo,
			"total_fee":      fen(o.Amount),
			"consume_fee":    fen(o.Consumed),
			"fee_type":       "CNY",
		})
	case depNotFound:
		return wxErr("ORDERNOTEXIST", "订单不存在")
	case depConflict:
		return wxErr("INVALID_REQUEST", "押金已消费，且与本次请求的金额不一致")
	case depNotFrozen:
		return wxErr("TRADE_STATE_ERROR", "订单状态错误，押金未支付成功或已撤销")
	default:
		return wxErr("PARAM_ERROR", "消费金额不合法: 0 < consume_fee <= total_fee, total_fee须等于押金金额")
	}
}
