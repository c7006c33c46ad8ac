package cloudpay

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/sync/channel"
	"cashier/sync/channel/internal/chantest"
)

const (
	testKey   = "a8f2c0e55b8d4f0f9f7b6e1d2c3b4a59"
	otherKey  = "00000000000000000000000000000000"
	cashierID = "sz01abc"
	wxCode    = "134567890123456789"
	aliCode   = "281234567890123456"
	cardCode  = "9912345678901234"
)

var (
	signOnce sync.Once
	signKey  *rsa.PrivateKey
)

func pssKey(t testing.TB) *rsa.PrivateKey {
	signOnce.Do(func() { signKey = chantest.RSAKey(t, 2048) })
	return signKey
}

// ---------------------------------------------------------------- fake server

type cpReq struct {
	api     string
	content map[string]any
	raw     string
	signed  bool // authen_info.s
}

// reply is what the fake answers.
type reply struct {
	status   int
	desc     string
	internal int
	member   map[string]any // the API object; nil for none
	key      string         // member name; default the API
	unsigned bool
	authKey  string // default testKey
	tamper   func(rc string) string
}

type fakeCP struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []cpReq
	answer func(api string, q map[string]any) reply
	mode   string
	raw    func(api string, q map[string]any) string // full body override
}

func newFake(t *testing.T) *fakeCP {
	f := &fakeCP{t: t}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeCP) serve(w http.ResponseWriter, r *http.Request) {
	assert.Equal(f.t, "application/json", r.Header.Get("Content-Type"))
	body, _ := io.ReadAll(r.Body)
	var env struct {
		RequestContent string `json:"request_content"`
		AuthenInfo     struct {
			A *struct {
				AuthenType int    `json:"authen_type"`
				AuthenCode string `json:"authen_code"`
			} `json:"a"`
			S *struct {
				SignType int    `json:"sign_type"`
				Sign     string `json:"sign"`
			} `json:"s"`
		} `json:"authen_info"`
	}
	require.NoError(f.t, json.Unmarshal(body, &env))
	api := strings.TrimPrefix(r.URL.Path, "/cpay/")
	signed := false
	switch {
	case env.AuthenInfo.A != nil:
		if env.AuthenInfo.A.AuthenType != 1 || AuthenCode(testKey, []byte(env.RequestContent)) != env.AuthenInfo.A.AuthenCode {
			f.t.Errorf("%s: request authen_code does not verify", api)
		}
	case env.AuthenInfo.S != nil:
		signed = true
		sig, _ := base64.StdEncoding.DecodeString(env.AuthenInfo.S.Sign)
		h := sha256.Sum256([]byte(env.RequestContent))
		if env.AuthenInfo.S.SignType != 1 || rsa.VerifyPSS(&pssKey(f.t).PublicKey, crypto.SHA256, h[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) != nil {
			f.t.Errorf("%s: request PSS signature does not verify", api)
		}
	default:
		f.t.Errorf("%s: request without authen_info", api)
	}
	var q map[string]any
	require.NoError(f.t, json.Unmarshal([]byte(env.RequestContent), &q))
	f.mu.Lock()
	f.reqs = append(f.reqs, cpReq{api: api, content: q, raw: env.RequestContent, signed: signed})
	mode, answer, rawFn := f.mode, f.answer, f.raw
	f.mu.Unlock()
	switch mode {
	case "slow":
		time.Sleep(700 * time.Millisecond)
	case "drop":
		chantest.Drop(w)
		return
	case "http500":
		w.WriteHeader(500)
		return
	}
	var out string
	if rawFn != nil {
		out = rawFn(api, q)
	} else {
		rp := reply{member: map[string]any{}}
		if answer != nil {
			rp = answer(api, q)
		}
		out = render(api, rp)
	}
	if mode == "truncate" {
		chantest.Truncate(w, []byte(out))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, out)
}

func render(api string, rp reply) string {
	rc := map[string]any{"status": rp.status, "description": rp.desc, "log_id": 18654852, "internal_status": rp.internal}
	if rp.member != nil {
		key := rp.key
		if key == "" {
			key = api
		}
		rp.member["nonce_str"] = "SmM10CXPlZLalY9PIYdVGVgxcs58wDRG"
		rc[key] = rp.member
	}
	content, _ := json.Marshal(rc)
	s := string(content)
	out := map[string]any{"response_content": s}
	if !rp.unsigned {
		k := rp.authKey
		if k == "" {
			k = testKey
		}
		out["authen_info"] = map[string]any{"a": map[string]any{"authen_type": 1, "authen_code": AuthenCode(k, content)}}
	}
	if rp.tamper != nil {
		out["response_content"] = rp.tamper(s)
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func (f *fakeCP) requests() []cpReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]cpReq(nil), f.reqs...)
}

func testConfig(f *fakeCP) Config {
	return Config{BaseURL: f.srv.URL + "/cpay", OutMchID: "sz01mch", OutSubMchID: "sz01sub", OutShopID: "sz01shop",
		CashierID: cashierID, AuthenKey: testKey, DeviceID: "POS-01", StaffID: "1001", TerminalType: TerminalLinux,
		ClientIP: "192.168.1.20", HTTP: channel.HTTPSettings{Timeout: 2 * time.Second}}
}

func newClient(t *testing.T, f *fakeCP, mutate func(*Config)) (*Client, *chantest.LogBuffer) {
	t.Helper()
	logs := &chantest.LogBuffer{}
	cfg := testConfig(f)
	cfg.Logger = logs.Logger()
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := New(cfg, nil)
	require.NoError(t, err)
	return c, logs
}

func payReq(w app.Wallet, code string) app.PayRequest {
	return app.PayRequest{OutTradeNo: cashierID + "20261121001", AuthCode: code, Wallet: w, Amount: 1250,
		Subject: "便利店-饮料", TerminalID: "M-1", StaffID: "1002"}
}

func order(q map[string]any, ext string, state int) map[string]any {
	pc, _ := q["pay_content"].(map[string]any)
	no := q["out_trade_no"]
	fee := any(1250)
	if pc != nil {
		no, fee = pc["out_trade_no"], pc["total_fee"]
	}
	oc := map[string]any{"out_trade_no": no, "transaction_id": "4200000001", "trade_type": 1, "total_fee": fee,
		"fee_type": "CNY", "time_end": 1763690403, "create_time": 1763690400, "is_transforming": false}
	if ext != "" {
		oc[ext] = map[string]any{"current_trade_state": state}
	}
	return map[string]any{"order_content": oc}
}

// ---------------------------------------------------------------- authentication

func TestAuthenCode(t *testing.T) {
	// HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"), upper-case hex.
	assert.Equal(t, "F7BC83F430538424B13298E6AA6FB143EF4D59A14946175997479DBC2D1A3CD8",
		AuthenCode("key", []byte("The quick brown fox jumps over the lazy dog")))
	assert.True(t, CheckAuthenCode("key", []byte("The quick brown fox jumps over the lazy dog"), "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"))
	assert.False(t, CheckAuthenCode("key", []byte("x"), ""))
}

// ---------------------------------------------------------------- pay

func TestPay_AnswerMapping(t *testing.T) {
	type tc struct {
		name    string
		mode    string
		answer  func(api string, q map[string]any) reply
		raw     func(api string, q map[string]any) string
		outcome app.Outcome
		code    string
		check   func(t *testing.T, r app.ChannelResult)
	}
	ok := func(ext string, state int) func(string, map[string]any) reply {
		return func(_ string, q map[string]any) reply { return reply{member: order(q, ext, state)} }
	}
	cases := []tc{
		{name: "status 0, paid", answer: ok("wxpay_order_content_ext", 2), outcome: app.OutcomeSuccess, code: "0", check: func(t *testing.T, r app.ChannelResult) {
			assert.Equal(t, app.Money(1250), r.Amount)
			assert.Equal(t, "4200000001", r.TransactionID)
			assert.Equal(t, int64(1763690403), r.FinishedAt.Unix())
		}},
		{name: "status 0 without state", answer: ok("", 0), outcome: app.OutcomeSuccess},
		{name: "status 0 user paying", answer: ok("wxpay_order_content_ext", 9), outcome: app.OutcomePending},
		{name: "status 3 unsigned: retry", answer: func(string, map[string]any) reply {
			return reply{status: 3, desc: "系统繁忙", unsigned: true}
		}, outcome: app.OutcomeUnknown, code: "3", check: func(t *testing.T, r app.ChannelResult) { assert.True(t, r.Retry) }},
		{name: "status 101 unsigned (as documented) is a settings refusal", answer: func(string, map[string]any) reply {
			return reply{status: 101, desc: "认证码校验失败", unsigned: true}
		}, outcome: app.OutcomeFailed, code: "101", check: func(t *testing.T, r app.ChannelResult) {
			assert.True(t, r.ConfigError)
			assert.Equal(t, "认证码校验失败", r.Message)
		}},
		{name: "status 101 signed fails", answer: func(string, map[string]any) reply { return reply{status: 101, desc: "x"} },
			outcome: app.OutcomeFailed, code: "101", check: func(t *testing.T, r app.ChannelResult) { assert.True(t, r.ConfigError) }},
		{name: "status 104 is no settings refusal", answer: func(string, map[string]any) reply { return reply{status: 104, desc: "余额不足"} },
			outcome: app.OutcomeFailed, code: "104", check: func(t *testing.T, r app.ChannelResult) { assert.False(t, r.ConfigError) }},
		{name: "status 102 needs a new number", answer: func(string, map[string]any) reply { return reply{status: 102, desc: "单号重复"} },
			outcome: app.OutcomeFailed, code: "102", check: func(t *testing.T, r app.ChannelResult) { assert.True(t, r.NewOrderNo) }},
		{name: "status 103 unknown", answer: func(string, map[string]any) reply { return reply{status: 103, desc: "请3秒后查询"} },
			outcome: app.OutcomeUnknown, code: "103", check: func(t *testing.T, r app.ChannelResult) { assert.False(t, r.Retry) }},
		{name: "status 104 fails", answer: func(string, map[string]any) reply { return reply{status: 104, desc: "余额不足"} },
			outcome: app.OutcomeFailed, code: "104", check: func(t *testing.T, r app.ChannelResult) { assert.Equal(t, "余额不足", r.Message) }},
		{name: "internal_status 407: another order's number, never reverse", answer: func(string, map[string]any) reply {
			return reply{status: 102, internal: 407, desc: "订单号重复，但金额等其他信息不一致"}
		}, outcome: app.OutcomeFailed, check: func(t *testing.T, r app.ChannelResult) {
			assert.True(t, r.NoReverse)
			assert.True(t, r.Foreign)
			assert.True(t, r.NewOrderNo)
		}},
		{name: "internal_status 407 unsigned: still foreign", answer: func(string, map[string]any) reply {
			return reply{status: 102, internal: 407, unsigned: true}
		}, outcome: app.OutcomeUnknown, check: func(t *testing.T, r app.ChannelResult) {
			assert.True(t, r.NoReverse)
			assert.True(t, r.Foreign)
		}},
		{name: "status 0 under 407 is not our success", answer: func(_ string, q map[string]any) reply {
			return reply{internal: 407, member: order(q, "wxpay_order_content_ext", 2)}
		}, outcome: app.OutcomeUnknown, check: func(t *testing.T, r app.ChannelResult) { assert.True(t, r.Foreign) }},
		{name: "no 407: not foreign", answer: func(string, map[string]any) reply { return reply{status: 102, desc: "单号重复"} },
			outcome: app.OutcomeFailed, check: func(t *testing.T, r app.ChannelResult) { assert.False(t, r.Foreign) }},
		{name: "forged: another key", answer: func(_ string, q map[string]any) reply {
			return reply{member: order(q, "wxpay_order_content_ext", 2), authKey: otherKey}
		}, outcome: app.OutcomeUnknown, code: channel.CodeBadSign},
		{name: "unsigned status 0", answer: func(_ string, q map[string]any) reply {
			return reply{member: order(q, "wxpay_order_content_ext", 2), unsigned: true}
		}, outcome: app.OutcomeUnknown, code: channel.CodeUnsigned},
		{name: "wrongly signed: amount changed after signing", answer: func(_ string, q map[string]any) reply {
			return reply{member: order(q, "wxpay_order_content_ext", 2), tamper: func(s string) string { return strings.Replace(s, `"total_fee":1250`, `"total_fee":1`, 1) }}
		}, outcome: app.OutcomeUnknown, code: channel.CodeBadSign},
		{name: "re-serialised content fails: signed over other bytes", answer: func(_ string, q map[string]any) reply {
			return reply{member: order(q, "wxpay_order_content_ext", 2), tamper: func(s string) string { return strings.Replace(s, `,"`, `, "`, 1) }}
		}, outcome: app.OutcomeUnknown, code: channel.CodeBadSign},
		{name: "signed paid answer for another order", answer: func(_ string, q map[string]any) reply {
			m := order(q, "wxpay_order_content_ext", 2)
			m["order_content"].(map[string]any)["out_trade_no"] = cashierID + "OTHER"
			return reply{member: m}
		}, outcome: app.OutcomeUnknown, code: channel.CodeMismatch},
		{name: "signed paid answer with another amount", answer: func(_ string, q map[string]any) reply {
			m := order(q, "wxpay_order_content_ext", 2)
			m["order_content"].(map[string]any)["total_fee"] = 1
			return reply{member: m}
		}, outcome: app.OutcomeUnknown, code: channel.CodeMismatch},
		{name: "a refusal quoting the payment code keeps it out", answer: func(string, map[string]any) reply {
			return reply{status: 104, desc: "author_code " + wxCode + " 无效"}
		}, outcome: app.OutcomeFailed, code: "104"},
		{name: "an unsigned 101 quoting the payment code keeps it out", answer: func(string, map[string]any) reply {
			return reply{status: 101, desc: "author_code=" + wxCode + " 格式错误", unsigned: true}
		}, outcome: app.OutcomeFailed, code: "101"},
		{name: "an unsigned answer quoting the payment code keeps it out", answer: func(string, map[string]any) reply {
			return reply{status: 104, desc: "author_code=" + wxCode, unsigned: true}
		}, outcome: app.OutcomeUnknown, code: channel.CodeUnsigned},
		{name: "status 0 without the member", answer: func(string, map[string]any) reply { return reply{} },
			outcome: app.OutcomeUnknown, code: channel.CodeMalformed},
		{name: "response_content as an object", raw: func(string, map[string]any) string {
			return `{"response_content":{"status":0},"authen_info":{"a":{"authen_type":1,"authen_code":"00"}}}`
		}, outcome: app.OutcomeUnknown, code: channel.CodeMalformed},
		{name: "not JSON", raw: func(string, map[string]any) string { return "<html>" }, outcome: app.OutcomeUnknown, code: channel.CodeMalformed},
		{name: "truncated", mode: "truncate", answer: ok("wxpay_order_content_ext", 2), outcome: app.OutcomeUnknown, code: channel.CodeTransport},
		{name: "slow beyond the timeout", mode: "slow", outcome: app.OutcomeUnknown, code: channel.CodeTransport},
		{name: "HTTP 500", mode: "http500", outcome: app.OutcomeUnknown, code: channel.CodeTransport},
		{name: "dropped connection", mode: "drop", outcome: app.OutcomeUnknown, code: channel.CodeTransport},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			f.mu.Lock()
			f.answer, f.mode, f.raw = c.answer, c.mode, c.raw
			f.mu.Unlock()
			cl, logs := newClient(t, f, func(cfg *Config) { cfg.HTTP.Timeout = 300 * time.Millisecond })
			res, err := cl.Pay(context.Background(), payReq(app.WalletWeChat, wxCode))
			require.NoError(t, err)
			assert.Equal(t, c.outcome, res.Outcome, "%+v", res)
			if c.code != "" {
				assert.Equal(t, c.code, res.Code)
			}
			if c.check != nil {
				c.check(t, res)
			}
			switch res.Code {
			case channel.CodeBadSign, channel.CodeUnsigned, channel.CodeMalformed, channel.CodeMismatch, channel.CodeTransport, "3":
				if res.Outcome == app.OutcomeUnknown {
					assert.Contains(t, logs.String(), "not trusted")
				}
			}
			assert.NotContains(t, logs.String(), testKey)
			assert.NotContains(t, logs.String(), wxCode, "payment codes stay out of the log")
			assert.NotContains(t, res.Code+res.Message, wxCode, "and out of every result")
		})
	}
}

func TestPay_RequestAndPlatforms(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	f.mu.Lock()
	f.answer = func(_ string, q map[string]any) reply {
		ext := map[float64]string{1: "wxpay_order_content_ext", 2: "alipay_order_content_ext"}[q["pay_mch_key"].(map[string]any)["pay_platform"].(float64)]
		return reply{member: order(q, ext, 2)}
	}
	f.mu.Unlock()
	for i, c := range []struct {
		w        app.Wallet
		code     string
		platform float64
	}{{app.WalletWeChat, wxCode, 1}, {app.WalletAlipay, aliCode, 2}} {
		res, err := cl.Pay(context.Background(), payReq(c.w, c.code))
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeSuccess, res.Outcome, c.w)
		q := f.requests()[i].content
		assert.Equal(t, c.platform, q["pay_mch_key"].(map[string]any)["pay_platform"])
	}
	q := f.requests()[0]
	assert.Equal(t, "micro_pay", q.api)
	assert.Equal(t, map[string]any{"pay_platform": 1.0, "out_mch_id": "sz01mch", "out_sub_mch_id": "sz01sub", "out_shop_id": "sz01shop"}, q.content["pay_mch_key"])
	assert.Equal(t, map[string]any{"out_trade_no": cashierID + "20261121001", "author_code": wxCode, "total_fee": 1250.0, "fee_type": "CNY", "body": "便利店-饮料"}, q.content["pay_content"])
	assert.Equal(t, map[string]any{"device_id": "POS-01", "staff_id": "1002", "terminal_type": 4.0, "machine_no": "M-1", "sdk_version": "1.0", "spbill_create_ip": "192.168.1.20"}, q.content["order_client"])
	assert.Len(t, q.content["nonce_str"], 32)
	assert.False(t, q.signed)
}

// Cloud Pay's PayPlatform is 1 WeChat Pay, 2 Alipay, 4 bookkeeping (page
// 37628): there is no member card, and no call may send one.
func TestMemberCard_NeverSent(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	ctx := context.Background()
	ref := app.OrderRef{OutTradeNo: cashierID + "1", Wallet: app.WalletMember}
	dep := ref
	dep.Deposit = true
	calls := map[string]func() error{
		"pay": func() error { _, err := cl.Pay(ctx, payReq(app.WalletMember, cardCode)); return err },
		"freeze": func() error {
			r := payReq(app.WalletMember, cardCode)
			r.Deposit = true
			_, err := cl.Pay(ctx, r)
			return err
		},
		"query":   func() error { _, err := cl.Query(ctx, ref); return err },
		"reverse": func() error { _, err := cl.Reverse(ctx, ref); return err },
		"refund": func() error {
			_, err := cl.Refund(ctx, app.RefundRequest{OrderRef: ref, OutRefundNo: cashierID + "R", Total: 100, Amount: 1})
			return err
		},
		"refund query": func() error {
			_, err := cl.RefundQuery(ctx, app.RefundRequest{OrderRef: ref, OutRefundNo: cashierID + "R", Total: 100, Amount: 1})
			return err
		},
		"consume": func() error {
			_, err := cl.Consume(ctx, app.ConsumeRequest{OrderRef: dep, OutRequestNo: cashierID + "C", Total: 100, Amount: 1})
			return err
		},
		"release": func() error {
			_, err := cl.Release(ctx, app.ReleaseRequest{OrderRef: dep, OutRequestNo: cashierID + "U", Amount: 1})
			return err
		},
		"deposit op query": func() error {
			_, err := cl.QueryDepositOp(ctx, app.DepositOpRef{OrderRef: dep, Kind: app.DepositOpRelease, OutRequestNo: cashierID + "U", Amount: 1})
			return err
		},
	}
	for name, call := range calls {
		err := call()
		assert.True(t, app.IsNotSent(err), "%s: %v", name, err)
		if err != nil {
			assert.Contains(t, err.Error(), "member", name)
		}
	}
	assert.Empty(t, f.requests())
}

func TestPay_BadInput_NothingSent(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	for name, mutate := range map[string]func(*app.PayRequest){
		"unionpay wallet":      func(r *app.PayRequest) { r.Wallet, r.AuthCode = app.WalletUnionPay, "6212345678901234567" },
		"member card":          func(r *app.PayRequest) { r.Wallet, r.AuthCode = app.WalletMember, cardCode },
		"no wallet":            func(r *app.PayRequest) { r.Wallet = "" },
		"amount 0":             func(r *app.PayRequest) { r.Amount = 0 },
		"over the ceiling":     func(r *app.PayRequest) { r.Amount = app.DefaultCeiling + 1 },
		"code of other wallet": func(r *app.PayRequest) { r.AuthCode = aliCode },
		"no cashier prefix":    func(r *app.PayRequest) { r.OutTradeNo = "XX20261121001" },
		"number too long":      func(r *app.PayRequest) { r.OutTradeNo = cashierID + strings.Repeat("1", 26) },
		"no body":              func(r *app.PayRequest) { r.Subject = "" },
	} {
		t.Run(name, func(t *testing.T) {
			r := payReq(app.WalletWeChat, wxCode)
			mutate(&r)
			_, err := cl.Pay(context.Background(), r)
			assert.True(t, app.IsNotSent(err), "%v", err)
		})
	}
	assert.Empty(t, f.requests())
}

// ---------------------------------------------------------------- query / reverse / refund

func TestQuery_States(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	cases := []struct {
		ext      string
		state    int
		o        app.Outcome
		trade    string
		notFound bool
	}{
		{"wxpay_order_content_ext", 1, app.OutcomePending, "NOTPAY", false},
		{"wxpay_order_content_ext", 2, app.OutcomeSuccess, "PAID", false},
		{"wxpay_order_content_ext", 3, app.OutcomeSuccess, "PAID", false},
		{"wxpay_order_content_ext", 4, app.OutcomeSuccess, "REFUND", false},
		{"wxpay_order_content_ext", 5, app.OutcomeFailed, "CLOSED", false},
		{"wxpay_order_content_ext", 6, app.OutcomePending, "NOTPAY", false},
		{"wxpay_order_content_ext", 7, app.OutcomeFailed, "CLOSED", false},
		{"wxpay_order_content_ext", 8, app.OutcomeFailed, "REVOKED", false},
		{"wxpay_order_content_ext", 9, app.OutcomePending, "PAYING", false},
		{"wxpay_order_content_ext", 10, app.OutcomeFailed, "PAYERROR", false},
		{"wxpay_order_content_ext", 11, app.OutcomeUnknown, "", true},
		{"wxpay_order_content_ext", 12, app.OutcomePending, "PAYING", false},
		{"wxpay_order_content_ext", 13, app.OutcomeSuccess, "REFUND", false},
		{"wxpay_order_content_ext", 14, app.OutcomeSuccess, "PAID", false},
		{"wxpay_order_content_ext", 15, app.OutcomeUnknown, "", false},
		{"alipay_order_content_ext", 1, app.OutcomePending, "NOTPAY", false},
		{"alipay_order_content_ext", 2, app.OutcomeSuccess, "PAID", false},
		{"alipay_order_content_ext", 4, app.OutcomePending, "PAYING", false},
		{"alipay_order_content_ext", 5, app.OutcomeFailed, "CLOSED", false},
		{"alipay_order_content_ext", 6, app.OutcomeSuccess, "PAID", false},
		{"alipay_order_content_ext", 7, app.OutcomeUnknown, "", true},
		{"alipay_order_content_ext", 3, app.OutcomeUnknown, "", false},
		{"card_order_content_ext", 2, app.OutcomeUnknown, "", false},
		{"", 0, app.OutcomeUnknown, "", false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.ext, c.state), func(t *testing.T) {
			f.mu.Lock()
			f.answer = func(_ string, q map[string]any) reply { return reply{member: order(q, c.ext, c.state)} }
			f.mu.Unlock()
			wallet := app.WalletWeChat
			if c.ext == "alipay_order_content_ext" {
				wallet = app.WalletAlipay
			}
			res, err := cl.Query(context.Background(), app.OrderRef{OutTradeNo: cashierID + "1", Wallet: wallet})
			require.NoError(t, err)
			assert.Equal(t, c.o, res.Outcome)
			assert.Equal(t, c.trade, res.TradeState)
			assert.Equal(t, c.notFound, res.NotFound)
			assert.False(t, res.Foreign)
		})
	}
	for name, c := range map[string]struct {
		rp       reply
		notFound bool
	}{
		"104 with the not-found internal status": {reply{status: 104, internal: 404, desc: "订单不存在"}, true},
		"104 otherwise":                          {reply{status: 104, desc: "系统错误"}, false},
		"404 unsigned":                           {reply{status: 104, internal: 404, unsigned: true}, false},
		"404 with another key":                   {reply{status: 104, internal: 404, authKey: otherKey}, false},
	} {
		t.Run(name, func(t *testing.T) {
			f.mu.Lock()
			f.answer = func(string, map[string]any) reply { return c.rp }
			f.mu.Unlock()
			res, err := cl.Query(context.Background(), app.OrderRef{OutTradeNo: cashierID + "1", Wallet: app.WalletWeChat})
			require.NoError(t, err)
			assert.Equal(t, app.OutcomeUnknown, res.Outcome, "a failed query says nothing about the money")
			assert.Equal(t, c.notFound, res.NotFound)
		})
	}
	q := f.requests()[0]
	assert.Equal(t, "query_order", q.api)
	assert.Equal(t, 1.0, q.content["trade_type"])
}

// freezeOrder is a micro_freeze / query_freeze_order answer member.
func freezeOrder(no string, fee any, ext string, state int) map[string]any {
	fc := map[string]any{"out_freeze_no": no, "transaction_id": "4200000009", "freeze_fee": fee, "fee_type": "CNY",
		"time_end": 1763690403, "create_time": 1763690400}
	if ext != "" {
		fc[ext] = map[string]any{"current_trade_state": state}
	}
	return map[string]any{"freeze_order_content": fc}
}

func TestQuery_DepositReadsTheFreezeTables(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	for _, c := range []struct {
		ext      string
		state    int
		o        app.Outcome
		trade    string
		notFound bool
	}{
		{"wxpay_freeze_order_content_ext", 1, app.OutcomePending, "NOTPAY", false},
		{"wxpay_freeze_order_content_ext", 2, app.OutcomeSuccess, "PAID", false},
		{"wxpay_freeze_order_content_ext", 3, app.OutcomePending, "PAYING", false},
		{"wxpay_freeze_order_content_ext", 4, app.OutcomeFailed, "CLOSED", false},
		{"wxpay_freeze_order_content_ext", 5, app.OutcomeSuccess, "REFUND", false},
		{"wxpay_freeze_order_content_ext", 6, app.OutcomeFailed, "PAYERROR", false},
		{"wxpay_freeze_order_content_ext", 7, app.OutcomeUnknown, "", true},
		{"wxpay_freeze_order_content_ext", 8, app.OutcomeUnknown, "", false},
		{"alipay_freeze_order_content_ext", 1, app.OutcomePending, "NOTPAY", false},
		{"alipay_freeze_order_content_ext", 2, app.OutcomeSuccess, "PAID", false},
		{"alipay_freeze_order_content_ext", 3, app.OutcomeUnknown, "", false},
		{"alipay_freeze_order_content_ext", 4, app.OutcomeUnknown, "", true},
		{"wxpay_order_content_ext", 2, app.OutcomeUnknown, "", false}, // an order's table is not a freeze's
	} {
		t.Run(fmt.Sprint(c.ext, c.state), func(t *testing.T) {
			f.mu.Lock()
			f.answer = func(api string, q map[string]any) reply {
				if api != "query_freeze_order" {
					return reply{status: 104, desc: "unexpected " + api}
				}
				return reply{member: freezeOrder(q["out_freeze_no"].(string), 50000, c.ext, c.state)}
			}
			f.mu.Unlock()
			wallet := app.WalletWeChat
			if strings.HasPrefix(c.ext, "alipay") {
				wallet = app.WalletAlipay
			}
			res, err := cl.Query(context.Background(), app.OrderRef{OutTradeNo: cashierID + "D1", Wallet: wallet, Deposit: true})
			require.NoError(t, err)
			assert.Equal(t, c.o, res.Outcome, "%+v", res)
			assert.Equal(t, c.trade, res.TradeState)
			assert.Equal(t, c.notFound, res.NotFound)
			if c.o == app.OutcomeSuccess {
				assert.Equal(t, app.Money(50000), res.Amount)
				assert.Equal(t, "4200000009", res.TransactionID)
			}
		})
	}
	q := f.requests()[0]
	assert.Equal(t, "query_freeze_order", q.api)
	assert.Equal(t, cashierID+"D1", q.content["out_freeze_no"])
	assert.NotContains(t, q.content, "out_trade_no")
}

func TestReverse_AndSigning(t *testing.T) {
	f := newFake(t)
	ctx := context.Background()
	ref := app.OrderRef{OutTradeNo: cashierID + "1", Wallet: app.WalletAlipay}
	for name, c := range map[string]struct {
		rp   reply
		o    app.Outcome
		flag bool
	}{
		"done":      {reply{member: map[string]any{}}, app.OutcomeSuccess, false},
		"103":       {reply{status: 103, desc: "用户支付中"}, app.OutcomeUnknown, false},
		"104":       {reply{status: 104, desc: "超过撤销时间"}, app.OutcomeFailed, false},
		"3 retry":   {reply{status: 3, unsigned: true}, app.OutcomeUnknown, true},
		"forged ok": {reply{member: map[string]any{}, authKey: otherKey}, app.OutcomeUnknown, false},
	} {
		t.Run(name, func(t *testing.T) {
			cl, _ := newClient(t, f, nil)
			f.mu.Lock()
			f.answer = func(string, map[string]any) reply { return c.rp }
			f.mu.Unlock()
			res, err := cl.Reverse(ctx, ref)
			require.NoError(t, err)
			assert.Equal(t, c.o, res.Outcome)
			assert.Equal(t, c.flag, res.Retry)
		})
	}
	assert.False(t, f.requests()[0].signed, "without a signing key the authentication code is used")

	cl, _ := newClient(t, f, func(c *Config) { c.SignPrivateKey = channel.Secret(chantest.PKCS1PEM(pssKey(t))) })
	f.mu.Lock()
	f.answer = func(string, map[string]any) reply { return reply{member: map[string]any{}} }
	f.mu.Unlock()
	res, err := cl.Reverse(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, res.Outcome)
	last := f.requests()[len(f.requests())-1]
	assert.True(t, last.signed, "reverse is signed with RSASSA-PSS when a key is set")
	_, err = cl.Query(ctx, ref)
	require.NoError(t, err)
	assert.False(t, f.requests()[len(f.requests())-1].signed, "query always uses the authentication code")
}

func TestRefund_AndQuery(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, func(c *Config) { c.SignPrivateKey = channel.Secret(chantest.PKCS8PEM(pssKey(t))) })
	ctx := context.Background()
	req := app.RefundRequest{OrderRef: app.OrderRef{OutTradeNo: cashierID + "1", Wallet: app.WalletWeChat}, OutRefundNo: cashierID + "R1", Total: 1250, Amount: 250, Reason: "退货"}
	refund := func(ext string, st map[string]any) map[string]any {
		rc := map[string]any{"out_refund_no": req.OutRefundNo, "refund_id": "503000001", "out_trade_no": req.OutTradeNo,
			"total_fee": 1250, "refund_fee": 250, "refund_fee_type": "CNY", "create_time": 1763690500}
		if ext != "" {
			rc[ext] = st
		}
		return rc
	}
	for name, c := range map[string]struct {
		member   map[string]any
		o        app.Outcome
		notFound bool // on the query
	}{
		"wx initial":     {refund("wxpay_refund_order_content_ext", map[string]any{"state": 1}), app.OutcomePending, false},
		"wx processing":  {refund("wxpay_refund_order_content_ext", map[string]any{"state": 4}), app.OutcomePending, false},
		"wx success":     {refund("wxpay_refund_order_content_ext", map[string]any{"state": 2}), app.OutcomeSuccess, false},
		"wx failed":      {refund("wxpay_refund_order_content_ext", map[string]any{"state": 3}), app.OutcomeFailed, false},
		"wx bounced":     {refund("wxpay_refund_order_content_ext", map[string]any{"state": 5}), app.OutcomeUnknown, false},
		"wx void":        {refund("wxpay_refund_order_content_ext", map[string]any{"state": 6}), app.OutcomeUnknown, true},
		"ali success":    {refund("alipay_refund_order_content_ext", map[string]any{"refund_status": 2, "fund_change": "Y"}), app.OutcomeSuccess, false},
		"ali refunding":  {refund("alipay_refund_order_content_ext", map[string]any{"refund_status": 4}), app.OutcomePending, false},
		"ali failed":     {refund("alipay_refund_order_content_ext", map[string]any{"refund_status": 3}), app.OutcomeFailed, false},
		"ali no order":   {refund("alipay_refund_order_content_ext", map[string]any{"refund_status": 5}), app.OutcomeUnknown, true},
		"ali unlisted 9": {refund("alipay_refund_order_content_ext", map[string]any{"refund_status": 9}), app.OutcomeUnknown, false},
		"no extension":   {refund("", nil), app.OutcomePending, false},
	} {
		t.Run(name, func(t *testing.T) {
			f.mu.Lock()
			f.answer = wrapFirstOther(func(api string, _ map[string]any) reply {
				if api == "query_refund_order" {
					return reply{member: map[string]any{"refund_order_content": []any{refund("", nil), c.member}}}
				}
				return reply{member: map[string]any{"refund_order_content": c.member}}
			})
			f.mu.Unlock()
			res, err := cl.Refund(ctx, req)
			require.NoError(t, err)
			assert.Equal(t, c.o, res.Outcome)
			assert.False(t, res.NotFound, "NotFound is a query's answer")
			q, err := cl.RefundQuery(ctx, req)
			require.NoError(t, err)
			assert.Equal(t, c.o, q.Outcome)
			assert.Equal(t, c.notFound, q.NotFound)
			assert.Equal(t, app.Money(250), q.Amount)
		})
	}
	reqs := f.requests()
	assert.Equal(t, "refund", reqs[0].api)
	assert.True(t, reqs[0].signed)
	assert.Equal(t, map[string]any{"out_trade_no": req.OutTradeNo, "out_refund_no": req.OutRefundNo, "total_fee": 1250.0,
		"refund_fee": 250.0, "refund_fee_type": "CNY", "refund_reason": "退货"}, reqs[0].content["refund_content"])
	assert.Equal(t, "query_refund_order", reqs[1].api)
	assert.False(t, reqs[1].signed)

	bad := req
	bad.OutRefundNo = "R1"
	_, err := cl.Refund(ctx, bad)
	assert.True(t, app.IsNotSent(err), "refund number without the cashier prefix")
}

// A refund answer about another refund, another order, more money than
// asked, or without a valid authentication code never counts as done; one
// for less than asked is reported as it is, for the caller to compare.
func TestRefund_AnswersThatAreNotOurs(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	ctx := context.Background()
	req := app.RefundRequest{OrderRef: app.OrderRef{OutTradeNo: cashierID + "1", Wallet: app.WalletWeChat}, OutRefundNo: cashierID + "R1", Total: 1250, Amount: 250}
	done := func(mod func(m map[string]any)) map[string]any {
		m := map[string]any{"out_refund_no": req.OutRefundNo, "refund_id": "503000001", "out_trade_no": req.OutTradeNo,
			"total_fee": 1250, "refund_fee": 250, "wxpay_refund_order_content_ext": map[string]any{"state": 2}}
		mod(m)
		return m
	}
	for name, c := range map[string]struct {
		rp     reply
		o      app.Outcome
		amount app.Money
	}{
		"another refund number":     {reply{member: map[string]any{"refund_order_content": done(func(m map[string]any) { m["out_refund_no"] = cashierID + "R9" })}}, app.OutcomeUnknown, 0},
		"another order":             {reply{member: map[string]any{"refund_order_content": done(func(m map[string]any) { m["out_trade_no"] = cashierID + "9" })}}, app.OutcomeUnknown, 0},
		"another order's total":     {reply{member: map[string]any{"refund_order_content": done(func(m map[string]any) { m["total_fee"] = 9999 })}}, app.OutcomeUnknown, 0},
		"more than asked: reported": {reply{member: map[string]any{"refund_order_content": done(func(m map[string]any) { m["refund_fee"] = 251 })}}, app.OutcomeSuccess, 251},
		"nothing refunded":          {reply{member: map[string]any{"refund_order_content": done(func(m map[string]any) { m["refund_fee"] = 0 })}}, app.OutcomeUnknown, 0},
		"unsigned":                  {reply{unsigned: true, member: map[string]any{"refund_order_content": done(func(map[string]any) {})}}, app.OutcomeUnknown, 0},
		"another key":               {reply{authKey: otherKey, member: map[string]any{"refund_order_content": done(func(map[string]any) {})}}, app.OutcomeUnknown, 0},
		"1 fen less: reported":      {reply{member: map[string]any{"refund_order_content": done(func(m map[string]any) { m["refund_fee"] = 249 })}}, app.OutcomeSuccess, 249},
		"ours":                      {reply{member: map[string]any{"refund_order_content": done(func(map[string]any) {})}}, app.OutcomeSuccess, 250},
	} {
		t.Run(name, func(t *testing.T) {
			f.mu.Lock()
			f.answer = func(api string, _ map[string]any) reply {
				if api == "query_refund_order" {
					r := c.rp
					r.member = map[string]any{"refund_order_content": []any{c.rp.member["refund_order_content"]}}
					return r
				}
				return c.rp
			}
			f.mu.Unlock()
			for _, call := range []func(context.Context, app.RefundRequest) (app.ChannelResult, error){cl.Refund, cl.RefundQuery} {
				res, err := call(ctx, req)
				require.NoError(t, err)
				assert.Equal(t, c.o, res.Outcome, "%+v", res)
				assert.Equal(t, c.amount, res.Amount)
			}
		})
	}
	t.Run("a query that does not list our refund: not found", func(t *testing.T) {
		f.mu.Lock()
		f.answer = func(string, map[string]any) reply {
			return reply{member: map[string]any{"refund_order_content": []any{done(func(m map[string]any) { m["out_refund_no"] = cashierID + "R9" })}}}
		}
		f.mu.Unlock()
		res, err := cl.RefundQuery(ctx, req)
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeUnknown, res.Outcome)
		assert.True(t, res.NotFound)
	})
	t.Run("no such order: not found", func(t *testing.T) {
		f.mu.Lock()
		f.answer = func(string, map[string]any) reply {
			return reply{status: 104, internal: 404, desc: "退款单不存在"}
		}
		f.mu.Unlock()
		res, err := cl.RefundQuery(ctx, req)
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeUnknown, res.Outcome)
		assert.True(t, res.NotFound)
		res, err = cl.Refund(ctx, req)
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeFailed, res.Outcome, "a signed 104 refuses the refund")
	})
	t.Run("an unsigned not-listed answer is no proof", func(t *testing.T) {
		f.mu.Lock()
		f.answer = func(string, map[string]any) reply {
			return reply{unsigned: true, member: map[string]any{"refund_order_content": []any{}}}
		}
		f.mu.Unlock()
		res, err := cl.RefundQuery(ctx, req)
		require.NoError(t, err)
		assert.False(t, res.NotFound)
	})
}

// wrapFirstOther makes the first refund_order_content entry of a refund
// query another refund, so the client must pick its own by number.
func wrapFirstOther(a func(string, map[string]any) reply) func(string, map[string]any) reply {
	return func(api string, q map[string]any) reply {
		r := a(api, q)
		if api == "query_refund_order" {
			list := r.member["refund_order_content"].([]any)
			other := map[string]any{}
			for k, v := range list[0].(map[string]any) {
				other[k] = v
			}
			other["out_refund_no"] = cashierID + "R0"
			list[0] = other
		}
		return r
	}
}

// ---------------------------------------------------------------- deposits

func consumed(q map[string]any, ext string, state int) map[string]any {
	pc := q["pay_content"].(map[string]any)
	return map[string]any{"order_content": map[string]any{"out_trade_no": pc["out_trade_no"], "transaction_id": "4200000077", "total_fee": pc["total_fee"],
		"out_freeze_no": pc["out_freeze_no"], "time_end": 1763690500, ext: map[string]any{"current_trade_state": state}}}
}

func unfrozen(q map[string]any, fee any, ext string, state int) map[string]any {
	return map[string]any{"unfreeze_order_content": map[string]any{"out_freeze_no": q["out_freeze_no"], "out_unfreeze_no": q["out_unfreeze_no"],
		"unfreeze_fee": fee, "last_update_time": 1763690600, ext: map[string]any{"state": state}}}
}

// The deposit calls send what pages 37676 (micro_freeze) and 37678
// (deposit_consume) document: the freeze's own content group with
// out_freeze_no and freeze_fee, and the consume's out_freeze_no and
// is_confirm_unfreeze inside its pay_content group.
func TestDeposit_FreezeConsumeRelease(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	ctx := context.Background()
	f.mu.Lock()
	f.answer = func(api string, q map[string]any) reply {
		switch api {
		case "micro_freeze":
			fc := q["freeze_content"].(map[string]any)
			return reply{member: freezeOrder(fc["out_freeze_no"].(string), fc["freeze_fee"], "wxpay_freeze_order_content_ext", 2)}
		case "deposit_consume":
			return reply{member: consumed(q, "wxpay_order_content_ext", 14)}
		case "unfreeze":
			return reply{member: unfrozen(q, q["unfreeze_fee"], "wxpay_unfreeze_order_content_ext", 2)}
		}
		return reply{status: 104, desc: "unexpected"}
	}
	f.mu.Unlock()
	r := payReq(app.WalletWeChat, wxCode)
	r.Deposit, r.Amount = true, 50000
	res, err := cl.Pay(ctx, r)
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, res.Outcome)
	assert.Equal(t, "4200000009", res.TransactionID)
	assert.Equal(t, app.Money(50000), res.Amount)
	ref := app.OrderRef{OutTradeNo: r.OutTradeNo, TransactionID: res.TransactionID, Wallet: app.WalletWeChat, Deposit: true}
	cons, err := cl.Consume(ctx, app.ConsumeRequest{OrderRef: ref, OutRequestNo: cashierID + "C1", Total: 50000, Amount: 32000})
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, cons.Outcome)
	assert.Equal(t, app.Money(32000), cons.Amount)
	assert.Equal(t, "4200000077", cons.TransactionID)
	rel, err := cl.Release(ctx, app.ReleaseRequest{OrderRef: ref, OutRequestNo: cashierID + "U1", Amount: 18000})
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, rel.Outcome)
	assert.Equal(t, app.Money(18000), rel.Amount)

	reqs := f.requests()
	assert.Equal(t, "micro_freeze", reqs[0].api)
	assert.NotContains(t, reqs[0].content, "pay_content")
	assert.Equal(t, map[string]any{"out_freeze_no": r.OutTradeNo, "author_code": wxCode, "freeze_fee": 50000.0, "fee_type": "CNY", "body": "便利店-饮料"},
		reqs[0].content["freeze_content"])
	assert.Equal(t, "M-1", reqs[0].content["order_client"].(map[string]any)["machine_no"])
	assert.Equal(t, "deposit_consume", reqs[1].api)
	assert.NotContains(t, reqs[1].content, "out_freeze_no", "out_freeze_no sits in pay_content")
	assert.NotContains(t, reqs[1].content, "is_confirm_unfreeze", "is_confirm_unfreeze sits in pay_content")
	assert.Equal(t, map[string]any{"out_trade_no": cashierID + "C1", "total_fee": 32000.0, "fee_type": "CNY", "body": "押金消费 / deposit",
		"out_freeze_no": r.OutTradeNo, "is_confirm_unfreeze": true}, reqs[1].content["pay_content"])
	assert.Equal(t, "unfreeze", reqs[2].api)
	for k, v := range map[string]any{"out_freeze_no": r.OutTradeNo, "out_unfreeze_no": cashierID + "U1", "unfreeze_fee": 18000.0, "remark": "押金退还 / deposit released"} {
		assert.Equal(t, v, reqs[2].content[k], k)
	}

	n := len(f.requests())
	_, err = cl.Consume(ctx, app.ConsumeRequest{OrderRef: ref, OutRequestNo: cashierID + "C2", Total: 50000, Amount: 50001})
	assert.True(t, app.IsNotSent(err))
	_, err = cl.Consume(ctx, app.ConsumeRequest{OrderRef: ref, OutRequestNo: "C2", Total: 50000, Amount: 1})
	assert.True(t, app.IsNotSent(err))
	_, err = cl.Release(ctx, app.ReleaseRequest{OrderRef: ref, OutRequestNo: cashierID + "U2", Amount: 0})
	assert.True(t, app.IsNotSent(err))
	assert.Len(t, f.requests(), n)

	t.Run("freeze answers that are not ours", func(t *testing.T) {
		for name, member := range map[string]map[string]any{
			"another freeze number": freezeOrder(cashierID+"X", 50000, "wxpay_freeze_order_content_ext", 2),
			"another amount":        freezeOrder(r.OutTradeNo, 49999, "wxpay_freeze_order_content_ext", 2),
			"an order, not a freeze": {"order_content": map[string]any{"out_trade_no": r.OutTradeNo, "transaction_id": "1", "total_fee": 50000,
				"wxpay_order_content_ext": map[string]any{"current_trade_state": 2}}},
		} {
			f.mu.Lock()
			f.answer = func(string, map[string]any) reply { return reply{member: member} }
			f.mu.Unlock()
			res, err := cl.Pay(ctx, r)
			require.NoError(t, err)
			assert.Equal(t, app.OutcomeUnknown, res.Outcome, name)
		}
	})
	t.Run("consume and unfreeze answers that are not ours", func(t *testing.T) {
		cases := map[string]struct {
			api  string
			mod  func(m map[string]any)
			want app.Outcome
			amt  app.Money
		}{
			"consume: another order":  {"deposit_consume", func(m map[string]any) { m["out_trade_no"] = cashierID + "C9" }, app.OutcomeUnknown, 0},
			"consume: another freeze": {"deposit_consume", func(m map[string]any) { m["out_freeze_no"] = cashierID + "D9" }, app.OutcomeUnknown, 0},
			"consume: more, reported": {"deposit_consume", func(m map[string]any) { m["total_fee"] = 32001 }, app.OutcomeSuccess, 32001},
			"consume: no amount":      {"deposit_consume", func(m map[string]any) { delete(m, "total_fee") }, app.OutcomeUnknown, 0},
			"consume: less, reported": {"deposit_consume", func(m map[string]any) { m["total_fee"] = 31999 }, app.OutcomeSuccess, 31999},
			"consume: accepted (12)": {"deposit_consume", func(m map[string]any) {
				m["wxpay_order_content_ext"] = map[string]any{"current_trade_state": 12}
			}, app.OutcomePending, 32000},
			"unfreeze: another number": {"unfreeze", func(m map[string]any) { m["out_unfreeze_no"] = cashierID + "U9" }, app.OutcomeUnknown, 0},
			"unfreeze: another freeze": {"unfreeze", func(m map[string]any) { m["out_freeze_no"] = cashierID + "D9" }, app.OutcomeUnknown, 0},
			"unfreeze: more, reported": {"unfreeze", func(m map[string]any) { m["unfreeze_fee"] = 18001 }, app.OutcomeSuccess, 18001},
			"unfreeze: no amount":      {"unfreeze", func(m map[string]any) { delete(m, "unfreeze_fee") }, app.OutcomeUnknown, 0},
			"unfreeze: less, reported": {"unfreeze", func(m map[string]any) { m["unfreeze_fee"] = 17999 }, app.OutcomeSuccess, 17999},
			"unfreeze: failed (3)": {"unfreeze", func(m map[string]any) {
				m["wxpay_unfreeze_order_content_ext"] = map[string]any{"state": 3}
			}, app.OutcomeFailed, 18000},
		}
		for name, c := range cases {
			t.Run(name, func(t *testing.T) {
				f.mu.Lock()
				f.answer = func(api string, q map[string]any) reply {
					var m map[string]any
					var inner map[string]any
					if api == "deposit_consume" {
						m = consumed(q, "wxpay_order_content_ext", 14)
						inner = m["order_content"].(map[string]any)
					} else {
						m = unfrozen(q, q["unfreeze_fee"], "wxpay_unfreeze_order_content_ext", 2)
						inner = m["unfreeze_order_content"].(map[string]any)
					}
					c.mod(inner)
					return reply{member: m}
				}
				f.mu.Unlock()
				var res app.ChannelResult
				var err error
				if c.api == "deposit_consume" {
					res, err = cl.Consume(ctx, app.ConsumeRequest{OrderRef: ref, OutRequestNo: cashierID + "C1", Total: 50000, Amount: 32000})
				} else {
					res, err = cl.Release(ctx, app.ReleaseRequest{OrderRef: ref, OutRequestNo: cashierID + "U1", Amount: 18000})
				}
				require.NoError(t, err)
				assert.Equal(t, c.want, res.Outcome, "%+v", res)
				assert.Equal(t, c.amt, res.Amount)
			})
		}
	})
}

func TestQueryDepositOp(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	ctx := context.Background()
	dep := app.OrderRef{OutTradeNo: cashierID + "D1", Wallet: app.WalletWeChat, Deposit: true}
	consume := app.DepositOpRef{OrderRef: dep, Kind: app.DepositOpConsume, OutRequestNo: cashierID + "C1", Total: 50000, Amount: 32000}
	release := app.DepositOpRef{OrderRef: dep, Kind: app.DepositOpRelease, OutRequestNo: cashierID + "U1", Total: 50000, Amount: 18000}
	consumeOrder := func(mod func(oc map[string]any)) func(string, map[string]any) reply {
		return func(api string, q map[string]any) reply {
			if api != "query_order" {
				return reply{status: 104, desc: "unexpected " + api}
			}
			oc := map[string]any{"out_trade_no": q["out_trade_no"], "transaction_id": "4200000077", "total_fee": 32000,
				"out_freeze_no": dep.OutTradeNo, "wxpay_order_content_ext": map[string]any{"current_trade_state": 14}}
			mod(oc)
			return reply{member: map[string]any{"order_content": oc}}
		}
	}
	unfreezeList := func(entries ...map[string]any) func(string, map[string]any) reply {
		return func(api string, q map[string]any) reply {
			if api != "query_unfreeze_order" {
				return reply{status: 104, desc: "unexpected " + api}
			}
			list := []any{}
			for _, e := range entries {
				list = append(list, e)
			}
			return reply{member: map[string]any{"unfreeze_order_content": list}}
		}
	}
	ours := func(state int, fee int64) map[string]any {
		return map[string]any{"out_freeze_no": dep.OutTradeNo, "out_unfreeze_no": release.OutRequestNo, "unfreeze_fee": fee,
			"last_update_time": 1763690600, "wxpay_unfreeze_order_content_ext": map[string]any{"state": state}}
	}
	other := map[string]any{"out_freeze_no": dep.OutTradeNo, "out_unfreeze_no": cashierID + "U0", "unfreeze_fee": 100,
		"wxpay_unfreeze_order_content_ext": map[string]any{"state": 2}}
	state := func(n int) func(map[string]any) {
		return func(oc map[string]any) { oc["wxpay_order_content_ext"] = map[string]any{"current_trade_state": n} }
	}
	for name, c := range map[string]struct {
		op       app.DepositOpRef
		answer   func(string, map[string]any) reply
		o        app.Outcome
		amount   app.Money
		txn      string
		notFound bool
	}{
		"consume done (14)":          {consume, consumeOrder(func(map[string]any) {}), app.OutcomeSuccess, 32000, "4200000077", false},
		"consume done (2)":           {consume, consumeOrder(state(2)), app.OutcomeSuccess, 32000, "4200000077", false},
		"consume then refunded (4)":  {consume, consumeOrder(state(4)), app.OutcomeSuccess, 32000, "4200000077", false},
		"consume accepted (12)":      {consume, consumeOrder(state(12)), app.OutcomePending, 32000, "4200000077", false},
		"consume refused (10)":       {consume, consumeOrder(state(10)), app.OutcomeFailed, 32000, "4200000077", false},
		"consume: unfrozen (13)":     {consume, consumeOrder(state(13)), app.OutcomeUnknown, 32000, "4200000077", false},
		"consume: platform has none": {consume, consumeOrder(state(11)), app.OutcomeUnknown, 32000, "4200000077", true},
		"consume: 1 fen less":        {consume, consumeOrder(func(oc map[string]any) { oc["total_fee"] = 31999 }), app.OutcomeSuccess, 31999, "4200000077", false},
		"consume: more, reported":    {consume, consumeOrder(func(oc map[string]any) { oc["total_fee"] = 32001 }), app.OutcomeSuccess, 32001, "4200000077", false},
		"consume: another freeze":    {consume, consumeOrder(func(oc map[string]any) { oc["out_freeze_no"] = cashierID + "D9" }), app.OutcomeUnknown, 0, "", false},
		"consume: another order":     {consume, consumeOrder(func(oc map[string]any) { oc["out_trade_no"] = cashierID + "C9" }), app.OutcomeUnknown, 0, "", false},
		"consume: no such order": {consume, func(string, map[string]any) reply { return reply{status: 104, internal: 404, desc: "订单不存在"} },
			app.OutcomeUnknown, 0, "", true},
		"release done":           {release, unfreezeList(other, ours(2, 18000)), app.OutcomeSuccess, 18000, "", false},
		"release initial":        {release, unfreezeList(ours(1, 18000)), app.OutcomePending, 18000, "", false},
		"release failed":         {release, unfreezeList(ours(3, 18000)), app.OutcomeFailed, 18000, "", false},
		"release platform none":  {release, unfreezeList(ours(4, 18000)), app.OutcomeUnknown, 18000, "", true},
		"release not listed":     {release, unfreezeList(other), app.OutcomeUnknown, 0, "", true},
		"release 1 fen less":     {release, unfreezeList(ours(2, 17999)), app.OutcomeSuccess, 17999, "", false},
		"release more, reported": {release, unfreezeList(ours(2, 18001)), app.OutcomeSuccess, 18001, "", false},
		"release no amount":      {release, unfreezeList(ours(2, 0)), app.OutcomeUnknown, 0, "", false},
		"release: another freeze": {release, unfreezeList(func() map[string]any { m := ours(2, 18000); m["out_freeze_no"] = cashierID + "D9"; return m }()),
			app.OutcomeUnknown, 0, "", false},
		"release unsigned": {release, func(a string, q map[string]any) reply {
			r := unfreezeList(ours(2, 18000))(a, q)
			r.unsigned = true
			return r
		}, app.OutcomeUnknown, 0, "", false},
		"release: no such deposit": {release, func(string, map[string]any) reply {
			return reply{status: 104, internal: 404, desc: "押金订单不存在"}
		},
			app.OutcomeUnknown, 0, "", true},
	} {
		t.Run(name, func(t *testing.T) {
			f.mu.Lock()
			f.answer = c.answer
			f.mu.Unlock()
			res, err := cl.QueryDepositOp(ctx, c.op)
			require.NoError(t, err)
			assert.Equal(t, c.o, res.Outcome, "%+v", res)
			assert.Equal(t, c.amount, res.Amount)
			assert.Equal(t, c.txn, res.TransactionID)
			assert.Equal(t, c.notFound, res.NotFound)
		})
	}
	reqs := f.requests()
	var sawOrder, sawUnfreeze bool
	for _, r := range reqs {
		switch r.api {
		case "query_order":
			sawOrder = true
			assert.Equal(t, consume.OutRequestNo, r.content["out_trade_no"])
		case "query_unfreeze_order":
			sawUnfreeze = true
			assert.Equal(t, dep.OutTradeNo, r.content["out_freeze_no"])
			assert.Equal(t, release.OutRequestNo, r.content["out_unfreeze_no"])
			assert.Equal(t, 1.0, r.content["pay_mch_key"].(map[string]any)["pay_platform"])
		}
	}
	assert.True(t, sawOrder && sawUnfreeze)

	n := len(f.requests())
	for name, op := range map[string]app.DepositOpRef{
		"not a deposit": {OrderRef: app.OrderRef{OutTradeNo: dep.OutTradeNo, Wallet: app.WalletWeChat}, Kind: app.DepositOpRelease, OutRequestNo: cashierID + "U1", Amount: 1},
		"unknown kind":  {OrderRef: dep, Kind: "capture", OutRequestNo: cashierID + "U1", Amount: 1},
		"no prefix":     {OrderRef: dep, Kind: app.DepositOpRelease, OutRequestNo: "U1", Amount: 1},
		"no amount":     {OrderRef: dep, Kind: app.DepositOpConsume, OutRequestNo: cashierID + "C1"},
	} {
		_, err := cl.QueryDepositOp(ctx, op)
		assert.True(t, app.IsNotSent(err), name)
	}
	assert.Len(t, f.requests(), n)
}

// Issue 8 item 5: a number Cloud Pay answered 407 for belongs to another
// order. Nothing under it is ours: no query of it reads as paid, and it is
// never reversed or refunded.
func TestForeignNumber_NeverOurs(t *testing.T) {
	f := newFake(t)
	ctx := context.Background()
	r := payReq(app.WalletWeChat, wxCode)
	ref := app.OrderRef{OutTradeNo: r.OutTradeNo, Wallet: app.WalletWeChat}
	paidElsewhere := func(mod func(m map[string]any)) func(string, map[string]any) reply {
		return func(api string, q map[string]any) reply {
			if api == "micro_pay" {
				return reply{status: 102, internal: 407, desc: "订单号重复，但金额等其他信息不一致"}
			}
			m := order(map[string]any{"out_trade_no": q["out_trade_no"]}, "wxpay_order_content_ext", 2)
			m["order_client"] = map[string]any{"device_id": "POS-OTHER", "staff_id": "2001"}
			if mod != nil {
				mod(m)
			}
			return reply{member: m}
		}
	}

	t.Run("the same client remembers", func(t *testing.T) {
		cl, _ := newClient(t, f, nil)
		f.mu.Lock()
		f.answer = paidElsewhere(func(m map[string]any) { delete(m, "order_client") })
		f.mu.Unlock()
		res, err := cl.Pay(ctx, r)
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeFailed, res.Outcome)
		assert.True(t, res.Foreign)
		assert.True(t, res.NoReverse)
		q, err := cl.Query(ctx, ref)
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeUnknown, q.Outcome, "the other order is paid, ours is not")
		assert.Empty(t, q.TradeState)
		assert.True(t, q.Foreign)
		assert.True(t, q.NoReverse)
		n := len(f.requests())
		_, err = cl.Reverse(ctx, ref)
		assert.True(t, app.IsNotSent(err))
		_, err = cl.Refund(ctx, app.RefundRequest{OrderRef: ref, OutRefundNo: cashierID + "R1", Total: 1250, Amount: 1250})
		assert.True(t, app.IsNotSent(err))
		assert.Len(t, f.requests(), n, "nothing sent")
		rq, err := cl.RefundQuery(ctx, app.RefundRequest{OrderRef: ref, OutRefundNo: cashierID + "R1", Total: 1250, Amount: 1250})
		require.NoError(t, err)
		assert.True(t, rq.Foreign)
		assert.NotEqual(t, app.OutcomeSuccess, rq.Outcome)
	})
	for name, mod := range map[string]func(m map[string]any){
		"another terminal made it": nil,
		"another platform's order": func(m map[string]any) {
			delete(m, "order_client")
			oc := m["order_content"].(map[string]any)
			delete(oc, "wxpay_order_content_ext")
			oc["alipay_order_content_ext"] = map[string]any{"current_trade_state": 2}
		},
		"another transaction id": func(m map[string]any) {
			delete(m, "order_client")
			m["order_content"].(map[string]any)["transaction_id"] = "4200009999"
		},
	} {
		t.Run("a fresh client reads the answer: "+name, func(t *testing.T) {
			cl, _ := newClient(t, f, nil)
			f.mu.Lock()
			f.answer = paidElsewhere(mod)
			f.mu.Unlock()
			q, err := cl.Query(ctx, app.OrderRef{OutTradeNo: r.OutTradeNo, TransactionID: "4200000001", Wallet: app.WalletWeChat})
			require.NoError(t, err)
			assert.Equal(t, app.OutcomeUnknown, q.Outcome, "%+v", q)
			assert.Empty(t, q.TradeState)
			assert.True(t, q.Foreign)
			assert.True(t, q.NoReverse)
		})
	}
	t.Run("our own order from our terminal is ours", func(t *testing.T) {
		cl, _ := newClient(t, f, nil)
		f.mu.Lock()
		f.answer = paidElsewhere(func(m map[string]any) { m["order_client"] = map[string]any{"device_id": "POS-01"} })
		f.mu.Unlock()
		q, err := cl.Query(ctx, app.OrderRef{OutTradeNo: r.OutTradeNo, TransactionID: "4200000001", Wallet: app.WalletWeChat})
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeSuccess, q.Outcome)
		assert.False(t, q.Foreign)
	})
	t.Run("407 on a refund, consume or unfreeze is foreign too", func(t *testing.T) {
		cl, _ := newClient(t, f, nil)
		f.mu.Lock()
		f.answer = func(string, map[string]any) reply { return reply{status: 102, internal: 407, desc: "单号重复"} }
		f.mu.Unlock()
		dep := app.OrderRef{OutTradeNo: cashierID + "D1", Wallet: app.WalletWeChat, Deposit: true}
		results := map[string]app.ChannelResult{}
		var err error
		results["refund"], err = cl.Refund(ctx, app.RefundRequest{OrderRef: ref, OutRefundNo: cashierID + "R7", Total: 1250, Amount: 1})
		require.NoError(t, err)
		results["consume"], err = cl.Consume(ctx, app.ConsumeRequest{OrderRef: dep, OutRequestNo: cashierID + "C7", Total: 100, Amount: 1})
		require.NoError(t, err)
		results["release"], err = cl.Release(ctx, app.ReleaseRequest{OrderRef: dep, OutRequestNo: cashierID + "U7", Amount: 1})
		require.NoError(t, err)
		for name, res := range results {
			assert.True(t, res.Foreign, name)
			assert.True(t, res.NoReverse, name)
			assert.Equal(t, app.OutcomeFailed, res.Outcome, name)
		}
		op, err := cl.QueryDepositOp(ctx, app.DepositOpRef{OrderRef: dep, Kind: app.DepositOpConsume, OutRequestNo: cashierID + "C7", Total: 100, Amount: 1})
		require.NoError(t, err)
		assert.True(t, op.Foreign)
		_, err = cl.Refund(ctx, app.RefundRequest{OrderRef: ref, OutRefundNo: cashierID + "R7", Total: 1250, Amount: 1})
		assert.True(t, app.IsNotSent(err), "the refund number is another refund's")
	})
}

// ---------------------------------------------------------------- bills and shops

func TestDownloadBill_Paging(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	const n = 230
	f.mu.Lock()
	f.answer = func(api string, q map[string]any) reply {
		page := int(q["page_num"].(float64))
		size := int(q["page_size"].(float64))
		var details []any
		for i := (page - 1) * size; i < n && i < page*size; i++ {
			if i%10 == 9 {
				details = append(details, map[string]any{"receipt": map[string]any{"refund_order": map[string]any{"refund_order_content": map[string]any{
					"out_refund_no": fmt.Sprintf("%sR%d", cashierID, i), "refund_id": "503", "out_trade_no": fmt.Sprintf("%s%d", cashierID, i-1),
					"refund_fee": 100, "create_time": 1763690500, "wxpay_refund_order_content_ext": map[string]any{"state": 2}}}}})
				continue
			}
			details = append(details, map[string]any{"receipt": map[string]any{"order": map[string]any{"order_content": map[string]any{
				"out_trade_no": fmt.Sprintf("%s%d", cashierID, i), "transaction_id": "4200", "total_fee": 1000, "time_end": 1763690403,
				"wxpay_order_content_ext": map[string]any{"current_trade_state": 2}}}}})
		}
		return reply{key: "order_detail_query", member: map[string]any{"total_count": n, "order_details": details}}
	}
	f.mu.Unlock()
	b, err := cl.DownloadBill(context.Background(), time.Date(2026, 11, 21, 12, 0, 0, 0, channel.Beijing))
	require.NoError(t, err)
	assert.Len(t, b.Lines, n)
	assert.Equal(t, n, b.Count)
	assert.Equal(t, app.Money(207*1000), b.Total)
	assert.Equal(t, "SUCCESS", b.Lines[0].Status)
	assert.Equal(t, "REFUND", b.Lines[9].Status)
	assert.Equal(t, app.Money(100), b.Lines[9].RefundAmount)
	reqs := f.requests()
	require.Len(t, reqs, 3)
	q := reqs[0].content
	assert.Equal(t, "client_order_detail", reqs[0].api)
	assert.Equal(t, 3.0, q["query_order_type"])
	assert.Equal(t, float64(time.Date(2026, 11, 21, 0, 0, 0, 0, channel.Beijing).Unix()), q["start_time"])
	assert.Equal(t, float64(time.Date(2026, 11, 22, 0, 0, 0, 0, channel.Beijing).Unix()-1), q["end_time"])
	assert.Equal(t, "sz01sub", q["out_sub_mch_id"])

	t.Run("a page that is not authenticated fails the bill", func(t *testing.T) {
		inner := f.answer
		f.mu.Lock()
		f.answer = func(api string, q map[string]any) reply {
			r := inner(api, q)
			if q["page_num"].(float64) == 2 {
				r.authKey = otherKey
			}
			return r
		}
		f.mu.Unlock()
		_, err := cl.DownloadBill(context.Background(), time.Date(2026, 11, 21, 12, 0, 0, 0, channel.Beijing))
		assert.ErrorContains(t, err, "page 2")
		assert.False(t, app.IsNotSent(err))
	})
	t.Run("total_count larger than what is served", func(t *testing.T) {
		f.mu.Lock()
		f.answer = func(api string, q map[string]any) reply {
			return reply{key: "order_detail_query", member: map[string]any{"total_count": 5, "order_details": []any{}}}
		}
		f.mu.Unlock()
		_, err := cl.DownloadBill(context.Background(), time.Date(2026, 11, 21, 12, 0, 0, 0, channel.Beijing))
		assert.ErrorContains(t, err, "incomplete")
	})
}

func TestQuerySubMchShopInfo(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	f.mu.Lock()
	f.answer = func(api string, q map[string]any) reply {
		return reply{key: "query_shop_info", member: map[string]any{"total_count": 1, "shop_infos": []any{map[string]any{
			"shop_id": "sz01shop", "shop_name": "演示门店", "out_shop_id": "sz01shop",
			"staff_infos":  []any{map[string]any{"staff_id": "1001", "staff_name": "收银员", "shop_manager": true}},
			"device_infos": []any{map[string]any{"device_id": "POS-01", "device_type": 1, "device_name": "POS-01"}}}}}}
	}
	f.mu.Unlock()
	page, err := cl.QuerySubMchShopInfo(context.Background(), 1, 20)
	require.NoError(t, err)
	require.Len(t, page.ShopInfos, 1)
	assert.Equal(t, 1, page.TotalCount)
	assert.Equal(t, "演示门店", page.ShopInfos[0].ShopName)
	assert.Equal(t, "1001", page.ShopInfos[0].StaffInfos[0].StaffID)
	assert.True(t, page.ShopInfos[0].StaffInfos[0].ShopManager)
	assert.Equal(t, "POS-01", page.ShopInfos[0].DeviceInfos[0].DeviceID)
	q := f.requests()[0]
	assert.Equal(t, map[string]any{"out_mch_id": "sz01mch", "out_sub_mch_id": "sz01sub", "page_num": 1.0, "page_size": 20.0, "nonce_str": q.content["nonce_str"]}, q.content)

	_, err = cl.QuerySubMchShopInfo(context.Background(), 0, 20)
	assert.True(t, app.IsNotSent(err))
	f.mu.Lock()
	f.answer = func(string, map[string]any) reply {
		return reply{key: "query_shop_info", member: map[string]any{}, authKey: otherKey}
	}
	f.mu.Unlock()
	_, err = cl.QuerySubMchShopInfo(context.Background(), 1, 20)
	assert.Error(t, err)
	assert.False(t, app.IsNotSent(err))
}

// ---------------------------------------------------------------- settings and secrets

func TestNew_RejectsMalformedSettings(t *testing.T) {
	f := newFake(t)
	good := testConfig(f)
	small := chantest.RSAKey(t, 1024)
	for name, c := range map[string]struct {
		mutate func(*Config)
		want   string
	}{
		"no authen key":    {func(c *Config) { c.AuthenKey = "" }, "authentication key"},
		"short authen key": {func(c *Config) { c.AuthenKey = "abc" }, "authentication key"},
		"garbage signing key": {func(c *Config) {
			c.SignPrivateKey = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----"
		}, "signing key is malformed"},
		"not PEM":           {func(c *Config) { c.SignPrivateKey = "hello" }, "signing key is malformed"},
		"1024-bit key":      {func(c *Config) { c.SignPrivateKey = channel.Secret(chantest.PKCS1PEM(small)) }, "2048"},
		"no shop":           {func(c *Config) { c.OutShopID = "" }, "OutShopID"},
		"no cashier id":     {func(c *Config) { c.CashierID = "" }, "CashierID"},
		"no device":         {func(c *Config) { c.DeviceID = "" }, "DeviceID"},
		"bad terminal type": {func(c *Config) { c.TerminalType = 9 }, "TerminalType"},
		"bad ip":            {func(c *Config) { c.ClientIP = "x" }, "ClientIP"},
		"bad url":           {func(c *Config) { c.BaseURL = "pay.qcloud.com" }, "URL"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := good
			c.mutate(&cfg)
			_, err := New(cfg, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.NotContains(t, err.Error(), testKey)
		})
	}
	assert.Empty(t, f.requests())
}

func TestSecrets_NeverInLogsErrorsOrPrints(t *testing.T) {
	f := newFake(t)
	keyPEM := chantest.PKCS1PEM(pssKey(t))
	cl, logs := newClient(t, f, func(c *Config) {
		c.HTTP.Timeout = 300 * time.Millisecond
		c.SignPrivateKey = channel.Secret(keyPEM)
	})
	var texts []string
	for _, mode := range []string{"", "drop", "slow", "http500", "truncate"} {
		f.mu.Lock()
		f.mode = mode
		f.mu.Unlock()
		for _, a := range []func(string, map[string]any) reply{
			func(_ string, q map[string]any) reply { return reply{member: order(q, "wxpay_order_content_ext", 2)} },
			func(string, map[string]any) reply { return reply{status: 104, desc: "key " + testKey} },
			func(string, map[string]any) reply { return reply{status: 101, desc: "key " + testKey, unsigned: true} },
			func(_ string, q map[string]any) reply { return reply{member: order(q, "", 0), authKey: otherKey} },
		} {
			f.mu.Lock()
			f.answer = a
			f.mu.Unlock()
			res, err := cl.Pay(context.Background(), payReq(app.WalletWeChat, wxCode))
			if err != nil {
				texts = append(texts, err.Error())
			}
			texts = append(texts, res.Code, res.Message)
			res, _ = cl.Reverse(context.Background(), app.OrderRef{OutTradeNo: cashierID + "1", Wallet: app.WalletWeChat})
			texts = append(texts, res.Message)
		}
	}
	js, _ := json.Marshal(cl.cfg)
	texts = append(texts, logs.String(), fmt.Sprintf("%v %+v %#v", cl.cfg, cl.cfg, cl.cfg), string(js))
	all := strings.Join(texts, "\n")
	assert.NotContains(t, all, testKey)
	for _, l := range strings.Split(keyPEM, "\n")[1:5] {
		assert.NotContains(t, all, l)
	}
}

// A consumption order under our consumption number that is not ours —
// another platform's, another terminal's, or not taken from our freeze —
// never reads as our consume, as query_order and query_freeze_order
// answers never do.
func TestQueryDepositOp_ConsumeOrderNotOurs(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	ctx := context.Background()
	dep := app.OrderRef{OutTradeNo: cashierID + "D1", TransactionID: "4200000009", Wallet: app.WalletWeChat, Deposit: true}
	op := app.DepositOpRef{OrderRef: dep, Kind: app.DepositOpConsume, OutRequestNo: cashierID + "C1", Total: 50000, Amount: 32000}
	answer := func(mod func(m, oc map[string]any)) func(string, map[string]any) reply {
		return func(_ string, q map[string]any) reply {
			oc := map[string]any{"out_trade_no": q["out_trade_no"], "transaction_id": "4200000077", "total_fee": 32000,
				"out_freeze_no": dep.OutTradeNo, "wxpay_order_content_ext": map[string]any{"current_trade_state": 14}}
			m := map[string]any{"order_content": oc, "order_client": map[string]any{"device_id": "POS-01"}}
			mod(m, oc)
			return reply{member: m}
		}
	}
	for name, c := range map[string]struct {
		mod     func(m, oc map[string]any)
		foreign bool
	}{
		"made by another terminal": {func(m, _ map[string]any) { m["order_client"] = map[string]any{"device_id": "POS-OTHER"} }, true},
		"an Alipay order for our WeChat deposit": {func(_, oc map[string]any) {
			delete(oc, "wxpay_order_content_ext")
			oc["alipay_order_content_ext"] = map[string]any{"current_trade_state": 2}
		}, true},
		"another platform in pay_mch_key": {func(m, _ map[string]any) { m["pay_mch_key"] = map[string]any{"pay_platform": 2} }, true},
		"names no freeze":                 {func(_, oc map[string]any) { delete(oc, "out_freeze_no") }, false},
	} {
		t.Run(name, func(t *testing.T) {
			f.mu.Lock()
			f.answer = answer(c.mod)
			f.mu.Unlock()
			res, err := cl.QueryDepositOp(ctx, op)
			require.NoError(t, err)
			assert.Equal(t, app.OutcomeUnknown, res.Outcome, "%+v", res)
			assert.Empty(t, res.TradeState)
			assert.Equal(t, c.foreign, res.Foreign, "%+v", res)
			if !c.foreign {
				assert.Equal(t, channel.CodeMismatch, res.Code)
			}
		})
	}
	t.Run("ours", func(t *testing.T) {
		f.mu.Lock()
		f.answer = answer(func(_, _ map[string]any) {})
		f.mu.Unlock()
		res, err := cl.QueryDepositOp(ctx, op)
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeSuccess, res.Outcome, "%+v", res)
		assert.Equal(t, "4200000077", res.TransactionID, "the consumption order's own transaction id, not the deposit's")
	})
}

// The client remembers a number as another order's only when an
// authenticated answer says 407: anyone on the path can write an unsigned
// internal_status, and the memory refuses, without sending, every later
// reverse, refund, consume and release under the number.
func TestForeignNumber_RememberedOnlyFromAuthenticatedAnswers(t *testing.T) {
	f := newFake(t)
	ctx := context.Background()
	r := payReq(app.WalletWeChat, wxCode)
	ref := app.OrderRef{OutTradeNo: r.OutTradeNo, Wallet: app.WalletWeChat}
	for name, c := range map[string]struct {
		rp       reply
		remember bool
	}{
		"unsigned":               {reply{status: 102, internal: 407, unsigned: true}, false},
		"another key":            {reply{status: 102, internal: 407, authKey: otherKey}, false},
		"unsigned 101 (refusal)": {reply{status: 101, internal: 407, unsigned: true}, false},
		"authenticated":          {reply{status: 102, internal: 407, desc: "订单号重复"}, true},
		"authenticated status 0": {reply{internal: 407}, true},
	} {
		t.Run(name, func(t *testing.T) {
			cl, logs := newClient(t, f, nil)
			f.mu.Lock()
			f.answer = func(_ string, q map[string]any) reply {
				rp := c.rp
				if rp.status == 0 {
					rp.member = order(q, "wxpay_order_content_ext", 2)
				}
				return rp
			}
			f.mu.Unlock()
			res, err := cl.Pay(ctx, r)
			require.NoError(t, err)
			assert.True(t, res.Foreign, "the result itself always says so: it only stops the app")
			n := len(f.requests())
			_, err = cl.Reverse(ctx, ref)
			if c.remember {
				assert.True(t, app.IsNotSent(err))
				assert.Len(t, f.requests(), n, "nothing sent")
				assert.Contains(t, logs.String(), "internal_status 407")
			} else {
				require.NoError(t, err)
				assert.Len(t, f.requests(), n+1, "an unauthenticated 407 is not remembered")
			}
		})
	}
}

// A member the client does not read (log_id, trade_type, cash_fee, ...) may
// come as another JSON type than the pages show without making an
// authenticated answer unreadable.
func TestAnswers_UnreadMembersOfAnotherType(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	f.mu.Lock()
	f.raw = func(api string, q map[string]any) string {
		m := order(q, "wxpay_order_content_ext", 2)
		oc := m["order_content"].(map[string]any)
		oc["trade_type"], oc["cash_fee"], oc["fee_type"], oc["body"], oc["last_update_time"] = "1", "1250", 156, 7, "2026-11-21"
		m["nonce_str"] = "x"
		rc := map[string]any{"status": 0, "description": "", "log_id": "18654852", "internal_status": 0, api: m}
		content, _ := json.Marshal(rc)
		b, _ := json.Marshal(map[string]any{"response_content": string(content),
			"authen_info": map[string]any{"a": map[string]any{"authen_type": 1, "authen_code": AuthenCode(testKey, content)}}})
		return string(b)
	}
	f.mu.Unlock()
	res, err := cl.Pay(context.Background(), payReq(app.WalletWeChat, wxCode))
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, res.Outcome, "%+v", res)
}
