package sandbox

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"cashier/app"
)

// Cloud Pay status codes (ResponseContent.status).
const (
	cpOK             = 0   // success (signed)
	cpUnknownRetry   = 3   // unknown: retry the same request (not signed)
	cpFailed         = 101 // failed: check the call, e.g. authentication (not signed)
	cpFailedNewNo    = 102 // failed: use a new order number (signed)
	cpUnknownQuery   = 103 // unknown: query or retry after 3 s (signed)
	cpFailedDescribe = 104 // failed: see description (signed)

	cpInternalDuplicate = 407 // out_trade_no reused with different content: never reverse
	cpInternalNotFound  = 404 // sandbox's internal_status for "no such order"
)

// Pay platforms (PayPlatform, page 37628): 1 WeChat Pay, 2 Alipay, 4
// bookkeeping (记账模式, not served here). There is no member card.
const (
	cpWeChat = 1
	cpAlipay = 2
)

// cpForeignDevice is the terminal of the other order the …407 scenario
// puts under the payment's number.
const cpForeignDevice = "POS-OTHER"

// CloudPayAuthenCode is the HMAC-SHA256 authentication code: upper-case hex
// over the exact bytes of request_content (or response_content).
func CloudPayAuthenCode(key string, content []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(content)
	return strings.ToUpper(hex.EncodeToString(m.Sum(nil)))
}

// flexStr accepts a JSON string or number (the Cloud Pay samples send
// device_id both ways).
type flexStr string

func (f *flexStr) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexStr(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexStr(n.String())
	return nil
}

type cpEnvelope struct {
	RequestContent *string `json:"request_content"`
	AuthenInfo     *struct {
		A *struct {
			AuthenType int    `json:"authen_type"`
			AuthenCode string `json:"authen_code"`
		} `json:"a"`
		S *struct {
			SignType  int    `json:"sign_type"`
			Sign      string `json:"sign"`
			Signature string `json:"signature"` // older document spelling
		} `json:"s"`
	} `json:"authen_info"`
}

type cpPayMchKey struct {
	PayPlatform int    `json:"pay_platform"`
	OutMchID    string `json:"out_mch_id"`
	OutSubMchID string `json:"out_sub_mch_id"`
	OutShopID   string `json:"out_shop_id"`
}

// cpPayContent is pay_content; deposit_consume puts the freeze it takes
// from and is_confirm_unfreeze in it too (page 37678).
type cpPayContent struct {
	OutTradeNo        string `json:"out_trade_no"`
	AuthorCode        string `json:"author_code"`
	TotalFee          int64  `json:"total_fee"`
	FeeType           string `json:"fee_type"`
	Body              string `json:"body"`
	OutFreezeNo       string `json:"out_freeze_no"`
	IsConfirmUnfreeze *bool  `json:"is_confirm_unfreeze"`
}

// cpFreezeContent is micro_freeze's content group (page 37676).
type cpFreezeContent struct {
	OutFreezeNo string `json:"out_freeze_no"`
	AuthorCode  string `json:"author_code"`
	FreezeFee   int64  `json:"freeze_fee"`
	FeeType     string `json:"fee_type"`
	Body        string `json:"body"`
}

type cpRefundContent struct {
	OutTradeNo    string `json:"out_trade_no"`
	OutRefundNo   string `json:"out_refund_no"`
	TotalFee      int64  `json:"total_fee"`
	RefundFee     int64  `json:"refund_fee"`
	RefundFeeType string `json:"refund_fee_type"`
	RefundReason  string `json:"refund_reason"`
}

type cpOrderClient struct {
	DeviceID       flexStr `json:"device_id"`
	StaffID        flexStr `json:"staff_id"`
	TerminalType   int     `json:"terminal_type"`
	MachineNo      string  `json:"machine_no"`
	SDKVersion     string  `json:"sdk_version"`
	SpbillCreateIP string  `json:"spbill_create_ip"`
}

type cpRequest struct {
	PayMchKey     *cpPayMchKey     `json:"pay_mch_key"`
	PayContent    *cpPayContent    `json:"pay_content"`
	FreezeContent *cpFreezeContent `json:"freeze_content"`
	RefundContent *cpRefundContent `json:"refund_content"`
	OrderClient   *cpOrderClient   `json:"order_client"`
	NonceStr      string           `json:"nonce_str"`
	OutTradeNo    string           `json:"out_trade_no"`
	OutRefundNo   string           `json:"out_refund_no"`
	TradeType     int              `json:"trade_type"`

	// client_order_detail, query_sub_mch_shop_info, upload_client_monitor_info
	OutMchID       string  `json:"out_mch_id"`
	OutSubMchID    string  `json:"out_sub_mch_id"`
	OutShopID      string  `json:"out_shop_id"`
	StaffID        flexStr `json:"staff_id"`
	DeviceID       flexStr `json:"device_id"`
	PayPlatform    int     `json:"pay_platform"`
	QueryOrderType int     `json:"query_order_type"`
	StartTime      int64   `json:"start_time"`
	EndTime        int64   `json:"end_time"`
	PageNum        int     `json:"page_num"`
	PageSize       int     `json:"page_size"`

	// unfreeze, query_freeze_order, query_unfreeze_order
	OutFreezeNo   string `json:"out_freeze_no"`
	OutUnfreezeNo string `json:"out_unfreeze_no"`
	UnfreezeFee   int64  `json:"unfreeze_fee"`
	Remark        string `json:"remark"`
}

// cpAnswer is what a Cloud Pay handler decides.
type cpAnswer struct {
	status   int
	desc     string
	internal int
	key      string         // name of the API's response object
	payload  map[string]any // nil: no response object
	scenario Scenario       // transport scenario of a fresh payment
}

func cpFail(status int, desc string) cpAnswer { return cpAnswer{status: status, desc: desc} }

type cpCall struct {
	sm  *CloudPaySubMerchant
	req *cpRequest
	api string
}

type cpAPI struct {
	signOK bool // may be signed with authen_info.s (RSASSA-PSS) instead of an authentication code
	handle func(s *Server, c *cpCall) cpAnswer
}

var cloudPayAPIs = map[string]cpAPI{
	"micro_pay":                  {handle: (*Server).cpMicroPay},
	"query_order":                {handle: (*Server).cpQueryOrder},
	"reverse":                    {signOK: true, handle: (*Server).cpReverse},
	"refund":                     {signOK: true, handle: (*Server).cpRefund},
	"query_refund_order":         {handle: (*Server).cpQueryRefund},
	"close_order":                {handle: (*Server).cpCloseOrder},
	"micro_freeze":               {handle: (*Server).cpMicroFreeze},
	"query_freeze_order":         {handle: (*Server).cpQueryFreeze},
	"deposit_consume":            {handle: (*Server).cpDepositConsume},
	"unfreeze":                   {handle: (*Server).cpUnfreeze},
	"query_unfreeze_order":       {handle: (*Server).cpQueryUnfreeze},
	"client_order_detail":        {handle: (*Server).cpOrderDetail},
	"query_sub_mch_shop_info":    {handle: (*Server).cpShopInfo},
	"upload_client_monitor_info": {handle: (*Server).cpMonitor},
}

var cpLogID atomic.Int64

// cloudPay serves POST /cpay/<api>.
func (s *Server) cloudPay(w http.ResponseWriter, r *http.Request) {
	api := strings.TrimPrefix(r.URL.Path, "/cpay/")
	ans, sm := s.cloudPayHandle(r, api)
	s.cpWrite(w, r, sm, ans)
}

func (s *Server) cloudPayHandle(r *http.Request, api string) (cpAnswer, *CloudPaySubMerchant) {
	spec, ok := cloudPayAPIs[api]
	if !ok {
		return cpFail(cpFailed, "接口不存在: "+api), nil
	}
	if r.Method != http.MethodPost {
		return cpFail(cpFailed, "请使用POST方法"), nil
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return cpFail(cpFailed, "content-type必须为application/json"), nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil || len(body) > maxRequestBody {
		return cpFail(cpFailed, "请求包过大或读取失败"), nil
	}
	env, content, req, err := parseCloudPayEnvelope(body)
	if err != nil {
		return cpFail(cpFailed, "请求包格式错误: "+err.Error()), nil
	}
	subID := req.OutSubMchID
	outMch := req.OutMchID
	if req.PayMchKey != nil {
		subID, outMch = req.PayMchKey.OutSubMchID, req.PayMchKey.OutMchID
	}
	sm := s.cfg.cloudPaySub(subID)
	if sm == nil {
		return cpFail(cpFailed, "子商户不存在: out_sub_mch_id"), nil
	}
	if outMch != "" && outMch != sm.OutMchID || outMch == "" && api != "client_order_detail" {
		return cpFail(cpFailed, "服务商与子商户不匹配: out_mch_id"), nil
	}
	ai := env.AuthenInfo
	switch {
	case ai != nil && ai.A != nil:
		if ai.A.AuthenType != 1 {
			return cpFail(cpFailed, "认证算法不支持: authen_type须为1(HMAC-SHA256)"), nil
		}
		want := CloudPayAuthenCode(sm.AuthenKey, content)
		if subtle.ConstantTimeCompare([]byte(strings.ToUpper(ai.A.AuthenCode)), []byte(want)) != 1 {
			return cpFail(cpFailed, "认证码校验失败"), nil
		}
	case ai != nil && ai.S != nil && spec.signOK:
		if ai.S.SignType != 1 {
			return cpFail(cpFailed, "签名算法不支持: sign_type须为1(RSASSA-PSS-2048-SHA256)"), nil
		}
		if sm.signKey == nil {
			return cpFail(cpFailed, "子商户未配置签名公钥"), nil
		}
		sig := ai.S.Sign
		if sig == "" {
			sig = ai.S.Signature
		}
		if !verifyPSS(sm.signKey, content, sig) {
			return cpFail(cpFailed, "签名校验失败"), nil
		}
	case ai != nil && ai.S != nil:
		return cpFail(cpFailed, "该接口须使用认证码(authen_info.a)"), nil
	default:
		return cpFail(cpFailed, "缺少认证信息authen_info"), nil
	}
	c := &cpCall{sm: sm, req: req, api: api}
	ans := spec.handle(s, c)
	if ans.key == "" {
		ans.key = api
	}
	return ans, sm
}

// parseCloudPayEnvelope reads the envelope and the request_content inside
// it. It never panics on any input.
func parseCloudPayEnvelope(body []byte) (*cpEnvelope, []byte, *cpRequest, error) {
	var env cpEnvelope
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&env); err != nil {
		return nil, nil, nil, errors.New("不是合法的JSON")
	}
	if dec.More() {
		return nil, nil, nil, errors.New("JSON后有多余内容")
	}
	if env.RequestContent == nil {
		return nil, nil, nil, errors.New("缺少request_content")
	}
	content := []byte(*env.RequestContent)
	var req cpRequest
	if err := json.Unmarshal(content, &req); err != nil {
		return nil, nil, nil, errors.New("request_content不是合法的JSON对象")
	}
	return &env, content, &req, nil
}

func verifyPSS(key *rsa.PublicKey, content []byte, sigB64 string) bool {
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil || len(sig) == 0 {
		return false
	}
	sum := sha256.Sum256(content)
	return rsa.VerifyPSS(key, crypto.SHA256, sum[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) == nil
}

func (c *Config) cloudPaySub(outSubMchID string) *CloudPaySubMerchant {
	if outSubMchID == "" {
		return nil
	}
	for i := range c.CloudPay.SubMerchants {
		if c.CloudPay.SubMerchants[i].OutSubMchID == outSubMchID {
			return &c.CloudPay.SubMerchants[i]
		}
	}
	return nil
}

// cpWrite renders the answer. Status 3 and 101 carry no authentication
// code, as the real platform; every other status is signed with the
// sub-merchant's key over the exact response_content bytes.
func (s *Server) cpWrite(w http.ResponseWriter, r *http.Request, sm *CloudPaySubMerchant, a cpAnswer) {
	rc := map[string]any{
		"status":          a.status,
		"description":     a.desc,
		"log_id":          cpLogID.Add(1) + 100000,
		"internal_status": a.internal,
	}
	signed := sm != nil && a.status != cpUnknownRetry && a.status != cpFailed
	if signed {
		p := a.payload
		if p == nil {
			p = map[string]any{}
		}
		p["nonce_str"] = nonce(32)
		rc[a.key] = p
	}
	content, _ := json.Marshal(rc)
	out := map[string]any{"response_content": string(content)}
	if signed {
		out["authen_info"] = map[string]any{"a": map[string]any{"authen_type": 1, "authen_code": CloudPayAuthenCode(sm.AuthenKey, content)}}
	}
	body, _ := json.Marshal(out)
	s.deliver(w, r, a.scenario, func() {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(body)
	})
}

func (c *cpCall) mchKey() map[string]any {
	k := map[string]any{"out_mch_id": c.sm.OutMchID, "out_sub_mch_id": c.sm.OutSubMchID}
	if c.req.PayMchKey != nil {
		k["pay_platform"] = c.req.PayMchKey.PayPlatform
		k["out_shop_id"] = c.req.PayMchKey.OutShopID
	}
	return k
}

func (c *cpCall) checkShop() string {
	if c.req.PayMchKey == nil {
		return "缺少pay_mch_key"
	}
	for _, sh := range c.sm.Shops {
		if sh.OutShopID == c.req.PayMchKey.OutShopID {
			return ""
		}
	}
	return "门店不存在: out_shop_id"
}

// checkMerchant checks the shop of pay_mch_key and order_client, as every
// order call carries them.
func (c *cpCall) checkMerchant() string {
	if msg := c.checkShop(); msg != "" {
		return msg
	}
	return c.checkClient(false)
}

func (c *cpCall) checkClient(payment bool) string {
	oc := c.req.OrderClient
	if oc == nil {
		return "缺少order_client"
	}
	switch {
	case oc.DeviceID == "":
		return "缺少order_client.device_id"
	case oc.StaffID == "":
		return "缺少order_client.staff_id"
	case oc.TerminalType == 0:
		return "缺少order_client.terminal_type"
	case oc.SDKVersion == "":
		return "缺少order_client.sdk_version"
	case oc.SpbillCreateIP == "":
		return "缺少order_client.spbill_create_ip"
	case payment && oc.MachineNo == "":
		return "刷卡支付必填order_client.machine_no"
	}
	return ""
}

func (c *cpCall) prefixed(no string) bool {
	return no != "" && strings.HasPrefix(no, c.sm.CashierID) && len(no) <= 32
}

// platformOf tells the pay_platform a payment code belongs to.
func platformOf(code string) int {
	switch {
	case isWeChatCode(code):
		return cpWeChat
	case isAlipayCode(code):
		return cpAlipay
	}
	return 0
}

func cpTxnPrefix(platform int) string {
	if platform == cpAlipay {
		return "{date}2200"
	}
	return "4200{date}"
}

// cpCode is a code payment or freeze as both calls ask for it.
type cpCode struct {
	no, code, body string
	fee            int64
	deposit        bool
}

func (s *Server) cpMicroPay(c *cpCall) cpAnswer {
	pc := c.req.PayContent
	if pc == nil {
		return cpFail(cpFailed, "缺少pay_content")
	}
	return s.cpCharge(c, cpCode{no: pc.OutTradeNo, code: pc.AuthorCode, body: pc.Body, fee: pc.TotalFee}, pc.FeeType)
}

// cpMicroFreeze is micro_freeze (page 37676): the freeze's own content
// group with out_freeze_no and freeze_fee.
func (s *Server) cpMicroFreeze(c *cpCall) cpAnswer {
	fc := c.req.FreezeContent
	if fc == nil {
		return cpFail(cpFailed, "缺少freeze_content(out_freeze_no, author_code, freeze_fee, fee_type, body)")
	}
	return s.cpCharge(c, cpCode{no: fc.OutFreezeNo, code: fc.AuthorCode, body: fc.Body, fee: fc.FreezeFee, deposit: true}, fc.FeeType)
}

func (s *Server) cpCharge(c *cpCall, in cpCode, feeType string) cpAnswer {
	noName, feeName := "out_trade_no", "total_fee"
	if in.deposit {
		noName, feeName = "out_freeze_no", "freeze_fee"
	}
	if msg := c.checkShop(); msg != "" {
		return cpFail(cpFailed, msg)
	}
	if msg := c.checkClient(true); msg != "" {
		return cpFail(cpFailed, msg)
	}
	if !c.prefixed(in.no) {
		return cpFail(cpFailed, noName+"必须以云支付订单前缀"+c.sm.CashierID+"开头(最长32位)")
	}
	if in.fee <= 0 || in.fee > int64(app.DefaultCeiling) {
		return cpFail(cpFailed, feeName+"不合法")
	}
	if feeType != "CNY" {
		return cpFail(cpFailed, "fee_type须为CNY")
	}
	if in.body == "" {
		return cpFail(cpFailed, "缺少body")
	}
	platform := c.req.PayMchKey.PayPlatform
	if platform != cpWeChat && platform != cpAlipay {
		return cpFail(cpFailed, "pay_platform不合法: 1 微信支付, 2 支付宝 (4 记账模式沙箱不受理)")
	}
	if platformOf(in.code) != platform {
		return cpFail(cpFailed, "授权码author_code无效或与支付平台pay_platform不一致")
	}
	amount := app.Money(in.fee)
	pay := payIn{
		Channel: app.ChannelCloudPay, Merchant: c.sm.OutMchID, SubMerchant: c.sm.OutSubMchID,
		OutTradeNo: in.no, AuthCode: in.code, Platform: platform, Amount: amount,
		Subject: in.body, Deposit: in.deposit, Store: c.req.PayMchKey.OutShopID,
		Terminal: string(c.req.OrderClient.DeviceID), Staff: string(c.req.OrderClient.StaffID),
		TxnPrefix: cpTxnPrefix(platform),
	}
	if cpScenarioFor(in.code) == ScenarioForeignPaid {
		// …407: another terminal's customer already paid under this number.
		other := pay
		other.AuthCode = in.code[:len(in.code)-3] + "000"
		other.Terminal, other.Staff = cpForeignDevice, "other"
		other.Fingerprint = cpFingerprint(other)
		s.ledger.pay(other)
	}
	pay.Fingerprint = cpFingerprint(pay)
	o, res := s.ledger.pay(pay)
	switch res {
	case payUnavailable:
		return cpAnswer{scenario: ScenarioUnavailable}
	case payConflict:
		return cpAnswer{status: cpFailedNewNo, internal: cpInternalDuplicate, desc: "订单号重复，但金额等其他信息不一致"}
	}
	if o.Deposit != in.deposit {
		return cpAnswer{status: cpFailedNewNo, internal: cpInternalDuplicate, desc: "订单号重复，但金额等其他信息不一致"}
	}
	var scen Scenario
	if res == payNew {
		scen = o.Scenario
	}
	switch o.State {
	case StateFailed:
		desc := "支付失败: 顾客余额不足"
		if o.FailCode == failAuthCodeExpired {
			desc = "支付失败: 付款码已过期，请顾客刷新后重试"
		}
		return cpAnswer{status: cpFailedDescribe, desc: desc, scenario: scen}
	case StateClosed:
		return cpAnswer{status: cpFailedDescribe, desc: "订单已关闭", scenario: scen}
	case StateReversed:
		return cpAnswer{status: cpFailedDescribe, desc: "订单已撤销", scenario: scen}
	}
	if res == payNew && o.Scenario == ScenarioSystemError {
		return cpAnswer{status: cpUnknownQuery, desc: "系统繁忙，结果未知，请3秒后查询订单", scenario: scen}
	}
	if in.deposit {
		return cpAnswer{status: cpOK, scenario: scen, payload: map[string]any{
			"pay_mch_key": c.mchKey(), "freeze_order_content": s.cpFreezeOrderContent(&o), "order_client": orderClientOf(&o),
		}}
	}
	return cpAnswer{status: cpOK, scenario: scen, payload: map[string]any{
		"pay_mch_key": c.mchKey(), "order_content": s.cpOrderContent(&o), "order_client": orderClientOf(&o),
	}}
}

// cpFingerprint is what makes a repeat the same request: the same amount,
// code, platform and kind from the same terminal. The same number from
// another terminal is other content: Cloud Pay answers 407.
func cpFingerprint(p payIn) string {
	return strings.Join([]string{fen(p.Amount), p.AuthCode, strconv.Itoa(p.Platform), strconv.FormatBool(p.Deposit), p.Terminal}, "|")
}

// cpScenarioFor is ScenarioFor with Cloud Pay's own …407.
func cpScenarioFor(code string) Scenario {
	if strings.HasSuffix(code, "407") {
		return ScenarioForeignPaid
	}
	return ScenarioFor(code)
}

// orderClientOf is the order_client an answer shows for an order.
func orderClientOf(o *Order) map[string]any {
	return map[string]any{"device_id": o.Terminal, "staff_id": o.Staff}
}

// cpOrderContent renders an order as OrderContent.
func (s *Server) cpOrderContent(o *Order) map[string]any {
	oc := map[string]any{
		"out_trade_no":         o.OutTradeNo,
		"transaction_id":       o.TransactionID,
		"trade_type":           1,
		"author_code":          o.AuthCode,
		"nonce_str":            nonce(32),
		"create_time":          o.CreatedAt.Unix(),
		"last_update_time":     lastUpdate(o).Unix(),
		"is_transforming":      false,
		"total_fee":            int64(o.Amount),
		"fee_type":             "CNY",
		"cash_fee":             int64(o.Amount),
		"cash_fee_type":        "CNY",
		"settlement_total_fee": int64(o.Amount),
		"body":                 o.Subject,
	}
	if o.Placeholder {
		delete(oc, "transaction_id")
	}
	if !o.PaidAt.IsZero() {
		oc["time_end"] = o.PaidAt.Unix()
	}
	state := 0
	switch o.Platform {
	case cpWeChat:
		switch o.State {
		case StatePaying:
			state = 9
		case StatePaid:
			state = 2
			if o.Parent != "" {
				state = 14 // 押金消费成功: a deposit's consumption
			}
			if o.Refunded > 0 {
				state = 4
			}
		case StateClosed:
			state = 5
		case StateReversed:
			state = 8
		case StateFailed:
			state = 10
		}
		oc["wxpay_order_content_ext"] = map[string]any{"current_trade_state": state, "bank_type": "OTHERS"}
	default:
		switch o.State {
		case StatePaying:
			state = 4
		case StatePaid:
			state = 2
			if o.Refunded == o.Amount {
				state = 5
			}
		default:
			state = 5
		}
		logon, _ := buyerID(o.AuthCode)
		ext := map[string]any{"current_trade_state": state, "buyer_logon_id": logon}
		if o.State == StatePaid {
			ext["fund_bill_list"] = []map[string]any{{"fund_channel": "ALIPAYACCOUNT", "amount": int64(o.Amount)}}
		}
		oc["alipay_order_content_ext"] = ext
	}
	if o.Parent != "" {
		oc["out_freeze_no"] = o.Parent
	}
	return oc
}

// cpFreezeOrderContent renders a deposit as FreezeOrderContent, its state
// from WxpayFreezeOrderState / AlipayFreezeOrderState (page 37628).
func (s *Server) cpFreezeOrderContent(o *Order) map[string]any {
	fc := map[string]any{
		"out_freeze_no":    o.OutTradeNo,
		"transaction_id":   o.TransactionID,
		"author_code":      o.AuthCode,
		"freeze_fee":       int64(o.Amount),
		"fee_type":         "CNY",
		"body":             o.Subject,
		"nonce_str":        nonce(32),
		"create_time":      o.CreatedAt.Unix(),
		"last_update_time": lastUpdate(o).Unix(),
	}
	if o.Placeholder {
		delete(fc, "transaction_id")
	}
	if !o.PaidAt.IsZero() {
		fc["time_end"] = o.PaidAt.Unix()
	}
	held := o.State == StatePaid && o.Frozen() > 0
	if o.Platform == cpWeChat {
		state := 0
		switch {
		case o.Placeholder:
			state = 7 // 本地存在，第三方支付没有订单
		case o.State == StatePaying:
			state = 3
		case held:
			state = 2
		case o.Charged: // frozen once; all unfrozen, consumed or reversed since
			state = 5
		case o.State == StateFailed:
			state = 6
		default: // the customer stopped, or it was closed before paying
			state = 4
		}
		fc["wxpay_freeze_order_content_ext"] = map[string]any{"current_trade_state": state}
		return fc
	}
	state := 3 // closed, or all unfrozen/consumed
	switch {
	case o.Placeholder:
		state = 4 // 订单不存在
	case o.State == StatePaying:
		state = 1
	case held:
		state = 2
	}
	fc["alipay_freeze_order_content_ext"] = map[string]any{"current_trade_state": state}
	return fc
}

// cpUnfreezeOrderContent renders one unfreeze as UnfreezeOrderContent:
// the sandbox's unfreezes are done at once (state 2), for what moved.
func cpUnfreezeOrderContent(dep *Order, op DepositOp) map[string]any {
	uc := map[string]any{
		"out_freeze_no":    dep.OutTradeNo,
		"out_unfreeze_no":  op.RequestNo,
		"unfreeze_fee":     int64(op.Amount),
		"fee_type":         "CNY",
		"nonce_str":        nonce(32),
		"create_time":      op.At.Unix(),
		"last_update_time": op.At.Unix(),
	}
	ext := "alipay_unfreeze_order_content_ext"
	if dep.Platform == cpWeChat {
		ext = "wxpay_unfreeze_order_content_ext"
	}
	uc[ext] = map[string]any{"state": 2}
	return uc
}

func lastUpdate(o *Order) time.Time {
	t := o.CreatedAt
	for _, x := range []time.Time{o.PaidAt, o.EndedAt} {
		if x.After(t) {
			t = x
		}
	}
	return t
}

func (s *Server) cpQueryOrder(c *cpCall) cpAnswer {
	if c.req.OutTradeNo == "" {
		return cpFail(cpFailed, "缺少out_trade_no")
	}
	if msg := c.checkMerchant(); msg != "" {
		return cpFail(cpFailed, msg)
	}
	o, ok := s.find(app.ChannelCloudPay, c.sm.OutMchID, c.sm.OutSubMchID, c.req.OutTradeNo, "")
	if !ok {
		return cpAnswer{status: cpFailedDescribe, internal: cpInternalNotFound, desc: "订单不存在"}
	}
	if o.Deposit {
		// A freeze is read with query_freeze_order (the sandbox's choice:
		// the pages do not say whether query_order serves freezes).
		return cpAnswer{status: cpFailedDescribe, internal: cpInternalNotFound, desc: "订单不存在(押金冻结单请用query_freeze_order查询)"}
	}
	return cpAnswer{status: cpOK, payload: map[string]any{"pay_mch_key": c.mchKey(), "order_content": s.cpOrderContent(&o), "order_client": orderClientOf(&o)}}
}

// cpQueryFreeze is query_freeze_order: a freeze by its out_freeze_no.
func (s *Server) cpQueryFreeze(c *cpCall) cpAnswer {
	if c.req.OutFreezeNo == "" {
		return cpFail(cpFailed, "缺少out_freeze_no")
	}
	if msg := c.checkMerchant(); msg != "" {
		return cpFail(cpFailed, msg)
	}
	o, ok := s.find(app.ChannelCloudPay, c.sm.OutMchID, c.sm.OutSubMchID, c.req.OutFreezeNo, "")
	if !ok || !(o.Deposit || o.Placeholder) {
		return cpAnswer{status: cpFailedDescribe, internal: cpInternalNotFound, desc: "押金冻结单不存在"}
	}
	if o.Placeholder {
		o.Platform = c.req.PayMchKey.PayPlatform
	}
	return cpAnswer{status: cpOK, payload: map[string]any{"pay_mch_key": c.mchKey(), "freeze_order_content": s.cpFreezeOrderContent(&o), "order_client": orderClientOf(&o)}}
}

// cpQueryUnfreeze is query_unfreeze_order (page 37681): the unfreezes of a
// freeze, or the one named by out_unfreeze_no.
func (s *Server) cpQueryUnfreeze(c *cpCall) cpAnswer {
	if c.req.OutFreezeNo == "" {
		return cpFail(cpFailed, "缺少out_freeze_no")
	}
	if msg := c.checkMerchant(); msg != "" {
		return cpFail(cpFailed, msg)
	}
	dep, ok := s.find(app.ChannelCloudPay, c.sm.OutMchID, c.sm.OutSubMchID, c.req.OutFreezeNo, "")
	if !ok || !dep.Deposit {
		return cpAnswer{status: cpFailedDescribe, internal: cpInternalNotFound, desc: "押金冻结单不存在"}
	}
	list := []map[string]any{}
	clients := []map[string]any{}
	for _, op := range dep.Ops {
		if op.Kind != "release" || c.req.OutUnfreezeNo != "" && op.RequestNo != c.req.OutUnfreezeNo {
			continue
		}
		list = append(list, cpUnfreezeOrderContent(&dep, op))
		clients = append(clients, orderClientOf(&dep))
	}
	return cpAnswer{status: cpOK, payload: map[string]any{"pay_mch_key": c.mchKey(), "unfreeze_order_content": list, "order_client": clients}}
}

func (s *Server) cpReverse(c *cpCall) cpAnswer {
	if !c.prefixed(c.req.OutTradeNo) {
		return cpFail(cpFailed, "out_trade_no必须以云支付订单前缀"+c.sm.CashierID+"开头")
	}
	if msg := c.checkMerchant(); msg != "" {
		return cpFail(cpFailed, msg)
	}
	opt := reverseOpts{placeholder: true}
	if o, ok := s.find(app.ChannelCloudPay, c.sm.OutMchID, c.sm.OutSubMchID, c.req.OutTradeNo, ""); ok {
		if o.Terminal != "" && o.Terminal != string(c.req.OrderClient.DeviceID) {
			return cpFail(cpFailed, "撤单的终端必须和发起支付的终端是同一个(order_client.device_id)")
		}
		if o.Deposit && o.Platform == 1 {
			opt.minAge = depositReverseMinAge
		}
	}
	_, res := s.ledger.reverse(app.ChannelCloudPay, c.sm.OutMchID, c.sm.OutSubMchID, c.req.OutTradeNo, "", opt)
	switch res {
	case revDone:
		return cpAnswer{status: cpOK}
	case revPaying:
		return cpAnswer{status: cpUnknownQuery, desc: "用户支付中，请稍后重试撤单"}
	case revTooEarly:
		return cpAnswer{status: cpUnknownQuery, desc: "押金支付后15秒内不能撤销，请稍后重试"}
	case revTooOld:
		return cpAnswer{status: cpFailedDescribe, desc: "订单已超过撤销时间限制(7天)"}
	case revNotFound:
		return cpAnswer{status: cpFailedDescribe, internal: cpInternalNotFound, desc: "订单不存在"}
	default:
		return cpAnswer{status: cpFailedDescribe, desc: "订单已退款或已消费，不能撤销，请使用退款"}
	}
}

func (s *Server) cpRefundContent(c *cpCall, o *Order, r *Refund) map[string]any {
	rc := map[string]any{
		"out_refund_no":    r.OutRefundNo,
		"refund_id":        r.RefundID,
		"out_trade_no":     r.OutTradeNo,
		"trade_type":       1,
		"nonce_str":        nonce(32),
		"create_time":      r.CreatedAt.Unix(),
		"last_update_time": r.CreatedAt.Unix(),
		"is_transforming":  false,
		"total_fee":        int64(o.Amount),
		"refund_fee":       int64(r.Amount),
		"refund_fee_type":  "CNY",
	}
	if r.Reason != "" {
		rc["refund_reason"] = r.Reason
	}
	done := r.Done(s.ledger.now())
	if done {
		rc["last_update_time"] = r.DoneAt.Unix()
	}
	if o.Platform == cpWeChat {
		st := 4 // 退款处理中
		if done {
			st = 2
		}
		rc["wxpay_refund_order_content_ext"] = map[string]any{"state": st, "cash_refund_fee": int64(r.Amount), "refund_channel": "ORIGINAL"}
		return rc
	}
	st := 4 // 退款中
	if done {
		st = 2
	}
	rc["alipay_refund_order_content_ext"] = map[string]any{"fund_change": "Y", "gmt_refund_pay": aliTime(r.DoneAt), "refund_status": st}
	return rc
}

func (s *Server) cpRefund(c *cpCall) cpAnswer {
	rq := c.req.RefundContent
	if rq == nil {
		return cpFail(cpFailed, "缺少refund_content")
	}
	if msg := c.checkMerchant(); msg != "" {
		return cpFail(cpFailed, msg)
	}
	if !c.prefixed(rq.OutRefundNo) || rq.OutTradeNo == "" {
		return cpFail(cpFailed, "out_refund_no必须以云支付订单前缀"+c.sm.CashierID+"开头(最长32位)")
	}
	if rq.TotalFee <= 0 || rq.RefundFee <= 0 || rq.RefundFeeType != "CNY" {
		return cpFail(cpFailed, "total_fee/refund_fee/refund_fee_type不合法")
	}
	scen := OpScenarioFor(app.Money(rq.RefundFee))
	o, r, res := s.ledger.refund(refundIn{
		Channel: app.ChannelCloudPay, Merchant: c.sm.OutMchID, SubMerchant: c.sm.OutSubMchID,
		OutTradeNo: rq.OutTradeNo, OutRefundNo: rq.OutRefundNo, Total: app.Money(rq.TotalFee),
		Amount: app.Money(rq.RefundFee), Reason: rq.RefundReason, IDPrefix: "5030{date}", Scenario: scen,
	})
	if res == refNew {
		if a, ok := cpOpFault(scen); ok {
			return a
		}
	}
	switch res {
	case refNew, refSame:
		return cpAnswer{status: cpOK, payload: map[string]any{"pay_mch_key": c.mchKey(), "refund_order_content": s.cpRefundContent(c, &o, &r)}}
	case refLost:
		return cpAnswer{scenario: ScenarioDroppedCharged}
	case refRefused:
		return cpAnswer{status: cpFailedDescribe, desc: "退款失败: 商户可退余额不足，请勿用此退款单号重试"}
	case refConflict:
		return cpAnswer{status: cpFailedNewNo, internal: cpInternalDuplicate, desc: "退款单号重复，但订单或金额不一致"}
	case refOrderNotFound:
		return cpAnswer{status: cpFailedDescribe, internal: cpInternalNotFound, desc: "订单不存在"}
	case refNotPaid:
		return cpAnswer{status: cpFailedDescribe, desc: "订单状态错误: 未支付或已撤销"}
	case refTotalMismatch:
		return cpAnswer{status: cpFailedDescribe, desc: "total_fee与订单金额不一致"}
	case refDepositNotDone:
		return cpAnswer{status: cpFailedDescribe, desc: "押金订单请使用deposit_consume/unfreeze"}
	default:
		return cpAnswer{status: cpFailedDescribe, desc: "退款金额超过订单可退金额"}
	}
}

// cpOpFault is the first answer of a refund, consume or unfreeze that was
// just made under a fault scenario (OpScenario): …91 drops the connection,
// …93 answers 103 (unknown: query after 3 s), as a system error would.
func cpOpFault(scen OpScenario) (cpAnswer, bool) {
	switch scen {
	case OpLostMade:
		return cpAnswer{scenario: ScenarioDroppedCharged}, true
	case OpSystemErrorMade:
		return cpAnswer{status: cpUnknownQuery, desc: "系统繁忙，结果未知，请3秒后查询"}, true
	}
	return cpAnswer{}, false
}

func (s *Server) cpQueryRefund(c *cpCall) cpAnswer {
	if c.req.OutTradeNo == "" || c.req.OutRefundNo == "" {
		return cpFail(cpFailed, "缺少out_trade_no或out_refund_no")
	}
	if msg := c.checkMerchant(); msg != "" {
		return cpFail(cpFailed, msg)
	}
	o, ok := s.find(app.ChannelCloudPay, c.sm.OutMchID, c.sm.OutSubMchID, c.req.OutTradeNo, "")
	rs := s.ledger.refundsOf(app.ChannelCloudPay, c.sm.OutMchID, c.sm.OutSubMchID, c.req.OutTradeNo, c.req.OutRefundNo)
	if !ok || len(rs) == 0 {
		return cpAnswer{status: cpFailedDescribe, internal: cpInternalNotFound, desc: "退款单不存在"}
	}
	list := make([]map[string]any, len(rs))
	for i := range rs {
		list[i] = s.cpRefundContent(c, &o, &rs[i])
	}
	return cpAnswer{status: cpOK, payload: map[string]any{"pay_mch_key": c.mchKey(), "refund_order_content": list}}
}

func (s *Server) cpCloseOrder(c *cpCall) cpAnswer {
	if c.req.OutTradeNo == "" {
		return cpFail(cpFailed, "缺少out_trade_no")
	}
	if msg := c.checkMerchant(); msg != "" {
		return cpFail(cpFailed, msg)
	}
	if !c.prefixed(c.req.OutTradeNo) {
		return cpFail(cpFailed, "out_trade_no必须以云支付订单前缀"+c.sm.CashierID+"开头")
	}
	if _, res := s.ledger.close(app.ChannelCloudPay, c.sm.OutMchID, c.sm.OutSubMchID, c.req.OutTradeNo); res == closePaid {
		return cpAnswer{status: cpFailedDescribe, desc: "订单已支付，不能关单，请使用撤单或退款"}
	}
	return cpAnswer{status: cpOK}
}

// cpDepositConsume is deposit_consume (page 37678): pay_content names the
// consumption order and, in the same group, the freeze (out_freeze_no) and
// is_confirm_unfreeze, which WeChat Pay only takes as true.
func (s *Server) cpDepositConsume(c *cpCall) cpAnswer {
	pc := c.req.PayContent
	if pc == nil || pc.OutFreezeNo == "" || pc.IsConfirmUnfreeze == nil {
		return cpFail(cpFailed, "缺少pay_content或pay_content.out_freeze_no/is_confirm_unfreeze")
	}
	if msg := c.checkMerchant(); msg != "" {
		return cpFail(cpFailed, msg)
	}
	if !c.prefixed(pc.OutTradeNo) {
		return cpFail(cpFailed, "pay_content.out_trade_no必须以云支付订单前缀"+c.sm.CashierID+"开头")
	}
	if pc.TotalFee <= 0 || pc.FeeType != "CNY" || pc.Body == "" {
		return cpFail(cpFailed, "pay_content.total_fee/fee_type/body不合法")
	}
	confirm := *pc.IsConfirmUnfreeze
	prev, found := s.find(app.ChannelCloudPay, c.sm.OutMchID, c.sm.OutSubMchID, pc.OutFreezeNo, "")
	if found && prev.Platform == cpWeChat && !confirm {
		return cpFail(cpFailed, "微信支付押金消费is_confirm_unfreeze只能为true")
	}
	scen := OpScenarioFor(app.Money(pc.TotalFee))
	dep, child, res := s.ledger.consumeInto(consumeIn{
		Channel: app.ChannelCloudPay, Merchant: c.sm.OutMchID, SubMerchant: c.sm.OutSubMchID,
		DepositNo: pc.OutFreezeNo, OutTradeNo: pc.OutTradeNo, Amount: app.Money(pc.TotalFee),
		Complete: confirm, Subject: pc.Body, TxnPrefix: cpTxnPrefix(prev.Platform),
		Fingerprint: fen(app.Money(pc.TotalFee)) + "|" + pc.OutFreezeNo + "|" + strconv.FormatBool(confirm),
		Store:       shopOf(c), Staff: string(c.req.OrderClient.StaffID), Scenario: scen,
	})
	if res == depDone {
		if a, ok := cpOpFault(scen); ok {
			return a
		}
	}
	switch res {
	case depLost:
		return cpAnswer{scenario: ScenarioDroppedCharged}
	case depRefused:
		return cpAnswer{status: cpFailedDescribe, desc: "押金消费失败: 押金订单状态错误，请勿用此订单号重试"}
	case depDone, depSame:
		return cpAnswer{status: cpOK, payload: map[string]any{
			"pay_mch_key": c.mchKey(), "order_content": s.cpOrderContent(&child), "freeze_order_content": s.cpFreezeOrderContent(&dep),
			"order_client": orderClientOf(&child),
		}}
	case depNotFound:
		return cpAnswer{status: cpFailedDescribe, internal: cpInternalNotFound, desc: "押金订单不存在"}
	case depOrderInUse:
		return cpAnswer{status: cpFailedNewNo, internal: cpInternalDuplicate, desc: "订单号重复，但金额等其他信息不一致"}
	case depNotFrozen:
		return cpAnswer{status: cpFailedDescribe, desc: "押金订单状态错误: 未冻结成功或已完结"}
	default:
		return cpAnswer{status: cpFailedDescribe, desc: "消费金额超过剩余冻结金额"}
	}
}

func shopOf(c *cpCall) string {
	if c.req.PayMchKey != nil {
		return c.req.PayMchKey.OutShopID
	}
	return ""
}

func (s *Server) cpUnfreeze(c *cpCall) cpAnswer {
	if c.req.OutFreezeNo == "" || !c.prefixed(c.req.OutUnfreezeNo) {
		return cpFail(cpFailed, "缺少out_freeze_no，或out_unfreeze_no未以云支付订单前缀开头")
	}
	if c.req.UnfreezeFee <= 0 || c.req.Remark == "" {
		return cpFail(cpFailed, "unfreeze_fee须大于0，remark必填")
	}
	if msg := c.checkMerchant(); msg != "" {
		return cpFail(cpFailed, msg)
	}
	scen := OpScenarioFor(app.Money(c.req.UnfreezeFee))
	dep, op, res := s.ledger.releaseOp(releaseIn{Channel: app.ChannelCloudPay, Merchant: c.sm.OutMchID, SubMerchant: c.sm.OutSubMchID,
		DepositNo: c.req.OutFreezeNo, RequestNo: c.req.OutUnfreezeNo, Amount: app.Money(c.req.UnfreezeFee), Scenario: scen})
	if res == depDone {
		if a, ok := cpOpFault(scen); ok {
			return a
		}
	}
	switch res {
	case depLost:
		return cpAnswer{scenario: ScenarioDroppedCharged}
	case depRefused:
		return cpAnswer{status: cpFailedDescribe, desc: "解冻失败: 押金订单状态错误，请勿用此解冻单号重试"}
	case depDone, depSame:
		uc := cpUnfreezeOrderContent(&dep, op)
		return cpAnswer{status: cpOK, payload: map[string]any{"pay_mch_key": c.mchKey(), "unfreeze_order_content": uc, "order_client": orderClientOf(&dep)}}
	case depNotFound:
		return cpAnswer{status: cpFailedDescribe, internal: cpInternalNotFound, desc: "押金订单不存在"}
	case depConflict:
		return cpAnswer{status: cpFailedNewNo, internal: cpInternalDuplicate, desc: "解冻单号重复，但金额不一致"}
	case depNotFrozen:
		return cpAnswer{status: cpFailedDescribe, desc: "押金订单状态错误: 未冻结成功或已完结"}
	default:
		return cpAnswer{status: cpFailedDescribe, desc: "解冻金额超过剩余冻结金额"}
	}
}

// cpOrderDetail is client_order_detail: a paged list of orders and refunds
// for reconciliation, newest first.
func (s *Server) cpOrderDetail(c *cpCall) cpAnswer {
	q := c.req
	if q.PageNum < 1 || q.PageSize < 1 || q.PageSize > cloudPayMaxPageSize {
		return cpFail(cpFailed, "page_num须从1开始，page_size须在1到100之间")
	}
	kind := q.QueryOrderType
	if kind == 0 {
		kind = 3
	}
	if kind < 1 || kind > 3 {
		return cpFail(cpFailed, "query_order_type不合法")
	}
	end := q.EndTime
	if end == 0 {
		end = s.ledger.now().Unix()
	}
	orders, refunds := s.ledger.ordersOf(app.ChannelCloudPay, c.sm.OutMchID, c.sm.OutSubMchID, false)
	byNo := map[string]*Order{}
	type item struct {
		at   int64
		data map[string]any
	}
	var items []item
	match := func(o *Order) bool {
		return (q.OutShopID == "" || o.Store == q.OutShopID) && (q.StaffID == "" || o.Staff == string(q.StaffID)) &&
			(q.DeviceID == "" || o.Terminal == string(q.DeviceID)) && (q.PayPlatform == 0 || o.Platform == q.PayPlatform)
	}
	for i := range orders {
		o := &orders[i]
		byNo[o.OutTradeNo] = o
		t := o.CreatedAt.Unix()
		if o.Placeholder || kind == 2 || t < q.StartTime || t > end || !match(o) {
			continue
		}
		oc := s.cpOrderContent(o)
		oc["refunded_fee"] = int64(o.Refunded)
		items = append(items, item{t, map[string]any{
			"shop_info":       map[string]any{"out_shop_id": o.Store},
			"shop_staff_info": map[string]any{"staff_id": o.Staff},
			"receipt": map[string]any{"order": map[string]any{
				"order_mch":     map[string]any{"pay_platform": o.Platform, "out_mch_id": o.Merchant, "out_sub_mch_id": o.SubMerchant, "out_shop_id": o.Store},
				"order_content": oc,
				"order_client":  map[string]any{"device_id": o.Terminal, "staff_id": o.Staff},
			}},
		}})
	}
	if kind != 1 {
		for i := range refunds {
			r := &refunds[i]
			o := byNo[r.OutTradeNo]
			t := r.CreatedAt.Unix()
			if o == nil || t < q.StartTime || t > end || !match(o) {
				continue
			}
			items = append(items, item{t, map[string]any{
				"shop_info":       map[string]any{"out_shop_id": o.Store},
				"shop_staff_info": map[string]any{"staff_id": o.Staff},
				"receipt": map[string]any{"refund_order": map[string]any{
					"refund_order_mch":     map[string]any{"pay_platform": o.Platform, "out_mch_id": o.Merchant, "out_sub_mch_id": o.SubMerchant, "out_shop_id": o.Store},
					"refund_order_content": s.cpRefundContent(c, o, r),
					"order_client":         map[string]any{"device_id": o.Terminal, "staff_id": o.Staff},
				}},
			}})
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].at > items[j].at })
	total := len(items)
	switch s.BillFault() {
	case BillNotReady:
		items, total = nil, 0
	case BillTruncated:
		total++ // a row the pages never serve
	case BillDuplicateRow:
		if len(items) > 0 {
			items = append(items[:1], items...)
			total++
		}
	case BillForeignMerchant:
		for _, it := range items {
			for _, k := range []string{"order", "refund_order"} {
				if r, ok := it.data["receipt"].(map[string]any)[k].(map[string]any); ok {
					for _, m := range []string{"order_mch", "refund_order_mch"} {
						if mch, ok := r[m].(map[string]any); ok {
							mch["out_sub_mch_id"] = foreignID
						}
					}
				}
			}
		}
	}
	from := (q.PageNum - 1) * q.PageSize
	page := []map[string]any{}
	for i := from; i < len(items) && i < from+q.PageSize; i++ {
		page = append(page, items[i].data)
	}
	return cpAnswer{status: cpOK, key: "order_detail_query", payload: map[string]any{"total_count": total, "order_details": page}}
}

func (s *Server) cpShopInfo(c *cpCall) cpAnswer {
	q := c.req
	if q.PageNum < 1 || q.PageSize < 1 || q.PageSize > cloudPayMaxPageSize {
		return cpFail(cpFailed, "page_num须从1开始，page_size须在1到100之间")
	}
	var shops []map[string]any
	for _, sh := range c.sm.Shops {
		staff := []map[string]any{}
		for _, st := range sh.Staff {
			staff = append(staff, map[string]any{"staff_id": st.StaffID, "staff_name": st.StaffName, "shop_manager": st.ShopManager})
		}
		devices := []map[string]any{}
		for _, d := range sh.Devices {
			devices = append(devices, map[string]any{"device_id": d, "device_type": 1, "device_name": d})
		}
		shops = append(shops, map[string]any{
			"shop_id": sh.OutShopID, "shop_name": sh.ShopName, "out_shop_id": sh.OutShopID,
			"staff_infos": staff, "device_infos": devices, "fee_type": "CNY",
		})
	}
	from := (q.PageNum - 1) * q.PageSize
	page := []map[string]any{}
	for i := from; i < len(shops) && i < from+q.PageSize; i++ {
		page = append(page, shops[i])
	}
	return cpAnswer{status: cpOK, key: "query_shop_info", payload: map[string]any{"shop_infos": page, "total_count": len(shops)}}
}

func (s *Server) cpMonitor(c *cpCall) cpAnswer {
	return cpAnswer{status: cpOK, payload: map[string]any{"interval": 0}}
}
