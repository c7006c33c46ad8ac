package cloudpay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"

	"cashier/app"
	"cashier/sync/channel"
)

// Status values of ResponseContent.status.
const (
	statusOK           = 0   // success (signed)
	statusRetry        = 3   // unknown: resend the same request (unsigned)
	statusFailed       = 101 // failed: check the call (unsigned)
	statusNewOrderNo   = 102 // failed: use a new order number (signed)
	statusUnknownQuery = 103 // unknown: retry after 3 s or query (signed)
	statusFailedDesc   = 104 // failed: see description (signed)

	// internal_status is documented as "for debugging, callers may ignore
	// it"; two values are read anyway: 407 (the number belongs to another
	// order with other content, payments.md: never reverse) and 404, the
	// embedded sandbox's "no such order". The pages name no such code, so
	// on the real platform a query of a number Cloud Pay does not have is
	// a plain 104: Unknown, never NotFound, and the operation stays unknown
	// until a person settles it (docs/channels.md).
	internalNotFound  = 404
	internalDuplicate = 407
)

// callKind tells how a refusal reads: a refusal of a pay, freeze, refund,
// consume or unfreeze is final; a refused reverse is final only when it is
// authenticated and not about the settings; a refused query says nothing
// about the money.
type callKind int

const (
	kindMoney callKind = iota
	kindReverse
	kindQuery
)

type payMchKey struct {
	PayPlatform int    `json:"pay_platform"`
	OutMchID    string `json:"out_mch_id"`
	OutSubMchID string `json:"out_sub_mch_id"`
	OutShopID   string `json:"out_shop_id"`
}

type orderClient struct {
	DeviceID       string `json:"device_id"`
	StaffID        string `json:"staff_id"`
	TerminalType   int    `json:"terminal_type"`
	MachineNo      string `json:"machine_no,omitempty"`
	SDKVersion     string `json:"sdk_version"`
	SpbillCreateIP string `json:"spbill_create_ip"`
}

type authen struct {
	AuthenType int    `json:"authen_type"`
	AuthenCode string `json:"authen_code"`
}

type signature struct {
	SignType int    `json:"sign_type"`
	Sign     string `json:"sign"`
}

type authenInfo struct {
	A *authen    `json:"a,omitempty"`
	S *signature `json:"s,omitempty"`
}

type envelope struct {
	RequestContent string     `json:"request_content"`
	AuthenInfo     authenInfo `json:"authen_info"`
}

// head is the common part of every response_content.
type head struct {
	Status         *int   `json:"status"`
	Description    string `json:"description"`
	InternalStatus int    `json:"internal_status"`
}

// answer is a parsed answer: head is read even from an unsigned answer
// (for Retry/NoReverse/message); member is the API's object, present only
// when the answer is authenticated.
type answer struct {
	head   head
	member json.RawMessage
	bad    *app.ChannelResult // set when not trusted (transport, malformed, unsigned, bad code)
	// unsigned: status 101 without an authentication code. Cloud Pay
	// documents 101 as "failed, check the call" and never signs it (it
	// cannot, when the authentication is what failed): it is read as a
	// refusal of our settings, not as an untrusted business answer.
	unsigned bool
}

// call sends one API call. sign says whether refund/reverse may be signed
// with the RSASSA-PSS key instead of the authentication code.
func (c *Client) call(ctx context.Context, api string, content any, ref string, sign bool) (answer, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(content); err != nil {
		return answer{}, app.NotSent("请求内容无法编码 / the request cannot be encoded: %v", err)
	}
	rc := bytes.TrimRight(b.Bytes(), "\n")
	env := envelope{RequestContent: string(rc)}
	if sign && c.sign != nil {
		sig, err := SignPSS(c.sign, rc)
		if err != nil {
			return answer{}, app.NotSent("签名失败 / signing the Cloud Pay request failed")
		}
		env.AuthenInfo.S = &signature{SignType: 1, Sign: sig}
	} else {
		env.AuthenInfo.A = &authen{AuthenType: 1, AuthenCode: AuthenCode(c.cfg.AuthenKey.Reveal(), rc)}
	}
	body, err := json.Marshal(env)
	if err != nil {
		return answer{}, app.NotSent("请求无法编码 / the request cannot be encoded")
	}
	raw, err := channel.Post(ctx, c.hc, c.cfg.baseURL()+"/"+api, "application/json", body, channel.MaxAnswer)
	if err != nil {
		c.untrusted(api, ref, "transport: "+err.Error())
		r := channel.UnknownFromCall(err)
		return answer{bad: &r}, nil
	}
	var code string
	if pc, ok := content.(interface{ paymentCode() string }); ok {
		code = pc.paymentCode()
	}
	a := c.verify(api, ref, raw, code)
	if a.head.InternalStatus == internalDuplicate && a.bad == nil && !a.unsigned {
		// Remembered only from an authenticated answer: the memory refuses
		// later calls under the number without sending them, and anyone on
		// the path can write an unsigned internal_status.
		c.log.Warn("cloudpay: internal_status 407: the number belongs to another order; nothing more is done under it", "api", api, "ref", ref)
		c.foreign.add(ref)
	}
	return a, nil
}

// verify authenticates an answer over response_content exactly as received
// and picks out the API's member. hide (the call's payment code) is kept
// out of the log lines that quote Cloud Pay's description.
func (c *Client) verify(api, ref string, raw []byte, hide ...string) answer {
	var env struct {
		ResponseContent *string `json:"response_content"`
		AuthenInfo      *struct {
			A *struct {
				AuthenType int    `json:"authen_type"`
				AuthenCode string `json:"authen_code"`
			} `json:"a"`
		} `json:"authen_info"`
	}
	malformed := func(why string) answer {
		c.untrusted(api, ref, "unparseable answer: "+why)
		r := channel.Untrusted(channel.CodeMalformed, "云支付应答无法解析，结果未知 / Cloud Pay's answer cannot be read; outcome unknown")
		return answer{bad: &r}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&env); err != nil || env.ResponseContent == nil {
		return malformed("no response_content string")
	}
	if _, err := dec.Token(); err != io.EOF {
		return malformed("trailing data")
	}
	content := []byte(*env.ResponseContent)
	var a answer
	var members map[string]json.RawMessage
	headErr := json.Unmarshal(content, &a.head)
	if headErr == nil {
		headErr = json.Unmarshal(content, &members)
	}
	if headErr != nil || a.head.Status == nil {
		return malformed("response_content is not an object with a status")
	}
	status, desc := *a.head.Status, channel.Redact(c.redact(a.head.Description), hide...)
	signed := env.AuthenInfo != nil && env.AuthenInfo.A != nil
	switch {
	case !signed && status == statusFailed:
		c.log.Warn("cloudpay: call refused (status 101, unsigned as documented): check the settings", "api", api, "ref", ref, "description", desc)
		a.unsigned = true
		return a
	case !signed:
		c.untrusted(api, ref, fmt.Sprintf("answer carries no authentication code (status %d)", status))
		r := channel.Untrusted(strconv.Itoa(status), "云支付应答未认证，结果未知 / Cloud Pay's answer is not authenticated; outcome unknown: "+desc)
		if status != statusRetry {
			r.Code = channel.CodeUnsigned
		}
		r.Retry = status == statusRetry // resending the same request is always safe
		markForeign(&r, a.head)
		a.bad = &r
		return a
	case env.AuthenInfo.A.AuthenType != 1 || !CheckAuthenCode(c.cfg.AuthenKey.Reveal(), content, env.AuthenInfo.A.AuthenCode):
		c.untrusted(api, ref, "authentication code does not verify")
		r := channel.Untrusted(channel.CodeBadSign, "云支付应答认证码错误，不予采信 / Cloud Pay's answer has a bad authentication code and is not trusted; outcome unknown")
		markForeign(&r, a.head)
		a.bad = &r
		return a
	}
	key := api
	switch api {
	case "client_order_detail":
		key = "order_detail_query"
	case "query_sub_mch_shop_info":
		key = "query_shop_info"
	}
	a.member = members[key]
	return a
}

// markForeign sets Foreign and NoReverse for internal_status 407. They are
// believed even from an unauthenticated answer: they only stop the app
// from acting on the number (no reverse, no settling; a person looks). A
// success under such a number is not ours, so it is no success. The
// client's own memory of foreign numbers (call) takes only authenticated
// answers.
func markForeign(r *app.ChannelResult, h head) {
	if h.InternalStatus == internalDuplicate {
		r.Foreign, r.NoReverse = true, true
		if r.Outcome == app.OutcomeSuccess {
			r.Outcome, r.TradeState = app.OutcomeUnknown, ""
		}
	}
}

// base is the result for an answer whose status is not 0: verified, or an
// unsigned 101.
func (c *Client) base(a answer, kind callKind) app.ChannelResult {
	status := *a.head.Status
	res := app.ChannelResult{Code: strconv.Itoa(status), Message: c.redact(a.head.Description)}
	markForeign(&res, a.head)
	switch status {
	case statusRetry:
		res.Outcome, res.Retry = app.OutcomeUnknown, true
	case statusFailed:
		// "Failed: check the call" — the request as sent can never
		// succeed (authentication, merchant, shop, device or a field).
		res.Outcome, res.ConfigError = app.OutcomeFailed, true
		if a.unsigned && kind == kindReverse {
			// Not worth trusting enough to give up on taking money back.
			res.Outcome = app.OutcomeUnknown
		}
	case statusFailedDesc:
		res.Outcome = app.OutcomeFailed
	case statusNewOrderNo:
		res.Outcome, res.NewOrderNo = app.OutcomeFailed, true
	default: // 103 and anything new
		res.Outcome = app.OutcomeUnknown
	}
	if kind == kindQuery {
		// A failed query says nothing about the money.
		if res.Outcome == app.OutcomeFailed {
			res.Outcome, res.NewOrderNo = app.OutcomeUnknown, false
		}
		res.NotFound = status == statusFailedDesc && a.head.InternalStatus == internalNotFound
	}
	return res
}

// decodeMember reads the verified API member into out.
func (c *Client) decodeMember(api, ref string, a answer, out any) *app.ChannelResult {
	if len(a.member) == 0 || a.member[0] != '{' {
		c.untrusted(api, ref, "authenticated status 0 without the "+api+" object")
		r := channel.Untrusted(channel.CodeMalformed, "云支付应答缺少结果内容，结果未知 / Cloud Pay's answer lacks its result; outcome unknown")
		return &r
	}
	if err := json.Unmarshal(a.member, out); err != nil {
		c.untrusted(api, ref, "authenticated answer with unexpected fields: "+err.Error())
		r := channel.Untrusted(channel.CodeMalformed, "云支付应答字段不符合约定，结果未知 / Cloud Pay's answer has unexpected fields; outcome unknown")
		return &r
	}
	return nil
}

func (c *Client) untrusted(api, ref, reason string) {
	c.log.Warn("cloudpay: answer not trusted", "api", api, "ref", ref, "reason", c.redact(reason))
}

func (c *Client) redact(s string) string { return channel.Redact(s, c.secrets...) }

func (c *Client) mismatch(api, ref, what string) app.ChannelResult {
	c.untrusted(api, ref, "authenticated answer does not match the request: "+what)
	return channel.Untrusted(channel.CodeMismatch, "云支付应答与请求不符（"+what+"），请查询 / Cloud Pay's answer does not match the request ("+what+"); query the order")
}

// platform maps a wallet to pay_platform (PayPlatform, page 37628: 1
// WeChat Pay, 2 Alipay, 4 bookkeeping; there is no member card).
func platform(w app.Wallet) (int, error) {
	switch w {
	case app.WalletWeChat:
		return 1, nil
	case app.WalletAlipay:
		return 2, nil
	case app.WalletMember:
		return 0, app.NotSent("会员卡不经云支付 / Cloud Pay has no member-card platform; member cards are not served here")
	case "":
		return 0, app.NotSent("云支付需要知道钱包类型 / Cloud Pay needs the order's wallet (WeChat or Alipay)")
	}
	return 0, app.NotSent("云支付不受理 %s / Cloud Pay does not serve the %s wallet", w, w)
}

func (c *Client) mchKey(w app.Wallet) (payMchKey, error) {
	p, err := platform(w)
	if err != nil {
		return payMchKey{}, err
	}
	return payMchKey{PayPlatform: p, OutMchID: c.cfg.OutMchID, OutSubMchID: c.cfg.OutSubMchID, OutShopID: c.cfg.OutShopID}, nil
}

func (c *Client) client(staff, machine, ip string, payment bool) orderClient {
	oc := orderClient{DeviceID: c.cfg.DeviceID, StaffID: or(staff, c.cfg.StaffID, "0"), TerminalType: c.cfg.terminalType(),
		SDKVersion: or(c.cfg.SDKVersion, "1.0"), SpbillCreateIP: or(ip, c.cfg.ClientIP, "127.0.0.1")}
	if payment {
		oc.MachineNo = or(machine, c.cfg.MachineNo, c.cfg.DeviceID)
	}
	return oc
}

func or(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// checkNo checks an order/refund/request number: at most 32 characters,
// starting with the cashier-id prefix.
func (c *Client) checkNo(what, no string) error {
	if err := channel.CheckOrderNo(what, no, 32, "_-"); err != nil {
		return err
	}
	if len(no) < len(c.cfg.CashierID) || no[:len(c.cfg.CashierID)] != c.cfg.CashierID {
		return app.NotSent("%s 必须以云支付订单前缀 %s 开头 / %s must start with the Cloud Pay cashier prefix %s", what, c.cfg.CashierID, what, c.cfg.CashierID)
	}
	return nil
}

// foreignSet remembers, for the life of the client, the numbers Cloud Pay
// answered internal_status 407 for in an authenticated answer: they
// belong to another order (another
// terminal's, another customer's). Nothing may be reversed or refunded
// under them, and no query of them may read as ours. The app keeps this
// for good (ChannelResult.Foreign); the client's memory covers the calls
// made before the app has stored it. Bounded: 407 is rare, and the oldest
// entry is dropped past the bound.
type foreignSet struct {
	mu    sync.Mutex
	set   map[string]bool
	order []string
}

const maxForeign = 1024

func (f *foreignSet) add(no string) {
	if no == "" {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.set == nil {
		f.set = map[string]bool{}
	}
	if f.set[no] {
		return
	}
	if len(f.order) >= maxForeign {
		delete(f.set, f.order[0])
		f.order = f.order[1:]
	}
	f.set[no] = true
	f.order = append(f.order, no)
}

func (f *foreignSet) has(nos ...string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, no := range nos {
		if no != "" && f.set[no] {
			return true
		}
	}
	return false
}

// notOurs refuses, before sending, a call that would act on a number that
// belongs to another order.
func (c *Client) notOurs(nos ...string) error {
	if c.foreign.has(nos...) {
		return app.NotSent("云支付说该单号属于另一笔订单（407），不能对它操作 / Cloud Pay said this number belongs to another order (407); nothing is done with it")
	}
	return nil
}

// foreignResult is the reading of an answer about a number that belongs
// to another order: whatever the answer says, it is not about ours.
func foreignResult(msg string) app.ChannelResult {
	return app.ChannelResult{Outcome: app.OutcomeUnknown, Code: strconv.Itoa(internalDuplicate), Foreign: true, NoReverse: true,
		Message: "该单号属于另一笔订单，查询结果不属于本单，请人工核对 / this number belongs to another order; what the channel says about it is not about ours: check by hand" + msg}
}
