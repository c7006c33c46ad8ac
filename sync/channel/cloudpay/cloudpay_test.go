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
		{name: "status 101 unsigned is not trusted as failed", answer: func(string, map[string]any) reply {
			return reply{status: 101, desc: "认证码校验失败", unsigned: true}
		}, outcome: app.OutcomeUnknown, code: "101"},
		{name: "status 101 signed fails", answer: func(string, map[string]any) reply { return reply{status: 101, desc: "x"} },
			outcome: app.OutcomeFailed, code: "101"},
		{name: "status 102 needs a new number", answer: func(string, map[string]any) reply { return reply{status: 102, desc: "单号重复"} },
			outcome: app.OutcomeFailed, code: "102", check: func(t *testing.T, r app.ChannelResult) { assert.True(t, r.NewOrderNo) }},
		{name: "status 103 unknown", answer: func(string, map[string]any) reply { return reply{status: 103, desc: "请3秒后查询"} },
			outcome: app.OutcomeUnknown, code: "103", check: func(t *testing.T, r app.ChannelResult) { assert.False(t, r.Retry) }},
		{name: "status 104 fails", answer: func(string, map[string]any) reply { return reply{status: 104, desc: "余额不足"} },
			outcome: app.OutcomeFailed, code: "104", check: func(t *testing.T, r app.ChannelResult) { assert.Equal(t, "余额不足", r.Message) }},
		{name: "internal_status 407: never reverse", answer: func(string, map[string]any) reply {
			return reply{status: 102, internal: 407, desc: "订单号重复，但金额等其他信息不一致"}
		}, outcome: app.OutcomeFailed, check: func(t *testing.T, r app.ChannelResult) { assert.True(t, r.NoReverse) }},
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
			case channel.CodeBadSign, channel.CodeUnsigned, channel.CodeMalformed, channel.CodeMismatch, channel.CodeTransport, "3", "101":
				if res.Outcome == app.OutcomeUnknown {
					assert.Contains(t, logs.String(), "not trusted")
				}
			}
			assert.NotContains(t, logs.String(), testKey)
		})
	}
}

func TestPay_RequestAndPlatforms(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	f.mu.Lock()
	f.answer = func(_ string, q map[string]any) reply {
		ext := map[float64]string{1: "wxpay_order_content_ext", 2: "alipay_order_content_ext", 3: "card_order_content_ext"}[q["pay_mch_key"].(map[string]any)["pay_platform"].(float64)]
		return reply{member: order(q, ext, 2)}
	}
	f.mu.Unlock()
	for i, c := range []struct {
		w        app.Wallet
		code     string
		platform float64
	}{{app.WalletWeChat, wxCode, 1}, {app.WalletAlipay, aliCode, 2}, {app.WalletMember, cardCode, 3}} {
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

func TestPay_BadInput_NothingSent(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	for name, mutate := range map[string]func(*app.PayRequest){
		"unionpay wallet":      func(r *app.PayRequest) { r.Wallet, r.AuthCode = app.WalletUnionPay, "6212345678901234567" },
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
		ext   string
		state int
		o     app.Outcome
		trade string
	}{
		{"wxpay_order_content_ext", 1, app.OutcomePending, "NOTPAY"},
		{"wxpay_order_content_ext", 2, app.OutcomeSuccess, "PAID"},
		{"wxpay_order_content_ext", 4, app.OutcomeSuccess, "REFUND"},
		{"wxpay_order_content_ext", 5, app.OutcomeFailed, "CLOSED"},
		{"wxpay_order_content_ext", 8, app.OutcomeFailed, "REVOKED"},
		{"wxpay_order_content_ext", 9, app.OutcomePending, "PAYING"},
		{"wxpay_order_content_ext", 10, app.OutcomeFailed, "PAYERROR"},
		{"wxpay_order_content_ext", 11, app.OutcomeUnknown, ""},
		{"alipay_order_content_ext", 2, app.OutcomeSuccess, "PAID"},
		{"alipay_order_content_ext", 4, app.OutcomePending, "PAYING"},
		{"alipay_order_content_ext", 5, app.OutcomeFailed, "CLOSED"},
		{"alipay_order_content_ext", 7, app.OutcomeUnknown, ""},
		{"card_order_content_ext", 3, app.OutcomePending, "PAYING"},
		{"card_order_content_ext", 2, app.OutcomeSuccess, "PAID"},
		{"", 0, app.OutcomeUnknown, ""},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.ext, c.state), func(t *testing.T) {
			f.mu.Lock()
			f.answer = func(_ string, q map[string]any) reply { return reply{member: order(q, c.ext, c.state)} }
			f.mu.Unlock()
			res, err := cl.Query(context.Background(), app.OrderRef{OutTradeNo: cashierID + "1", Wallet: app.WalletWeChat})
			require.NoError(t, err)
			assert.Equal(t, c.o, res.Outcome)
			assert.Equal(t, c.trade, res.TradeState)
		})
	}
	t.Run("104 order not found is unknown for a query", func(t *testing.T) {
		f.mu.Lock()
		f.answer = func(string, map[string]any) reply { return reply{status: 104, internal: 404, desc: "订单不存在"} }
		f.mu.Unlock()
		res, err := cl.Query(context.Background(), app.OrderRef{OutTradeNo: cashierID + "1", Wallet: app.WalletWeChat})
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeUnknown, res.Outcome)
	})
	q := f.requests()[0]
	assert.Equal(t, "query_order", q.api)
	assert.Equal(t, 1.0, q.content["trade_type"])
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
		member map[string]any
		o      app.Outcome
	}{
		"wx processing": {refund("wxpay_refund_order_content_ext", map[string]any{"state": 4}), app.OutcomePending},
		"wx success":    {refund("wxpay_refund_order_content_ext", map[string]any{"state": 2}), app.OutcomeSuccess},
		"wx failed":     {refund("wxpay_refund_order_content_ext", map[string]any{"state": 3}), app.OutcomeFailed},
		"wx bounced":    {refund("wxpay_refund_order_content_ext", map[string]any{"state": 5}), app.OutcomeUnknown},
		"ali success":   {refund("alipay_refund_order_content_ext", map[string]any{"refund_status": 2, "fund_change": "Y"}), app.OutcomeSuccess},
		"card init":     {refund("card_refund_order_content_ext", map[string]any{"state": 1}), app.OutcomePending},
		"no extension":  {refund("", nil), app.OutcomePending},
	} {
		t.Run(name, func(t *testing.T) {
			f.mu.Lock()
			f.answer = func(api string, _ map[string]any) reply {
				if api == "query_refund_order" {
					return reply{member: map[string]any{"refund_order_content": []any{refund("", nil), c.member}}}
				}
				return reply{member: map[string]any{"refund_order_content": c.member}}
			}
			f.mu.Unlock()
			f.mu.Lock()
			f.answer = wrapFirstOther(f.answer)
			f.mu.Unlock()
			res, err := cl.Refund(ctx, req)
			require.NoError(t, err)
			assert.Equal(t, c.o, res.Outcome)
			q, err := cl.RefundQuery(ctx, req)
			require.NoError(t, err)
			assert.Equal(t, c.o, q.Outcome)
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

	t.Run("refund with another amount is not believed", func(t *testing.T) {
		f.mu.Lock()
		f.answer = func(string, map[string]any) reply {
			m := refund("wxpay_refund_order_content_ext", map[string]any{"state": 2})
			m["refund_fee"] = 1250
			return reply{member: map[string]any{"refund_order_content": m}}
		}
		f.mu.Unlock()
		res, err := cl.Refund(ctx, req)
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeUnknown, res.Outcome)
	})
	bad := req
	bad.OutRefundNo = "R1"
	_, err := cl.Refund(ctx, bad)
	assert.True(t, app.IsNotSent(err), "refund number without the cashier prefix")
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

func TestDeposit_FreezeConsumeRelease(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	ctx := context.Background()
	f.mu.Lock()
	f.answer = func(api string, q map[string]any) reply {
		switch api {
		case "micro_freeze", "deposit_consume":
			return reply{member: order(q, "wxpay_order_content_ext", 2)}
		case "unfreeze":
			return reply{member: map[string]any{"out_unfreeze_no": q["out_unfreeze_no"], "unfreeze_fee": q["unfreeze_fee"]}}
		}
		return reply{status: 104, desc: "unexpected"}
	}
	f.mu.Unlock()
	r := payReq(app.WalletWeChat, wxCode)
	r.Deposit, r.Amount = true, 50000
	res, err := cl.Pay(ctx, r)
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, res.Outcome)
	ref := app.OrderRef{OutTradeNo: r.OutTradeNo, TransactionID: res.TransactionID, Wallet: app.WalletWeChat, Deposit: true}
	cons, err := cl.Consume(ctx, app.ConsumeRequest{OrderRef: ref, OutRequestNo: cashierID + "C1", Total: 50000, Amount: 32000})
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, cons.Outcome)
	rel, err := cl.Release(ctx, app.ReleaseRequest{OrderRef: ref, OutRequestNo: cashierID + "U1", Amount: 18000})
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, rel.Outcome)
	assert.Equal(t, app.Money(18000), rel.Amount)

	reqs := f.requests()
	assert.Equal(t, "micro_freeze", reqs[0].api)
	assert.Equal(t, "deposit_consume", reqs[1].api)
	assert.Equal(t, r.OutTradeNo, reqs[1].content["out_freeze_no"])
	assert.Equal(t, true, reqs[1].content["is_confirm_unfreeze"])
	assert.Equal(t, map[string]any{"out_trade_no": cashierID + "C1", "total_fee": 32000.0, "fee_type": "CNY", "body": "押金消费 / deposit"}, reqs[1].content["pay_content"])
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

	t.Run("unfreeze answer for another amount", func(t *testing.T) {
		f.mu.Lock()
		f.answer = func(api string, q map[string]any) reply {
			return reply{member: map[string]any{"out_unfreeze_no": q["out_unfreeze_no"], "unfreeze_fee": 1}}
		}
		f.mu.Unlock()
		rel, err := cl.Release(ctx, app.ReleaseRequest{OrderRef: ref, OutRequestNo: cashierID + "U3", Amount: 100})
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeUnknown, rel.Outcome)
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
