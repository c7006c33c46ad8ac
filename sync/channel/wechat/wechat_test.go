package wechat

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"cashier/app"
	"cashier/sync/channel"
	"cashier/sync/channel/internal/chantest"
)

const (
	testKey   = "192006250b4c09247ec02edce69f6a2d"
	otherKey  = "00000000000000000000000000000000"
	testAppID = "wx2421b1c4370ec43b"
	testMch   = "10000100"
	testSub   = "1900000109"
	wxCode    = "134567890123456789"
)

// ---------------------------------------------------------------- fake server

type wxReq struct {
	path     string
	params   map[string]string
	withCert bool
}

type fakeWX struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []wxReq
	answer func(path string, req map[string]string) (int, string)
	mode   string // "", "slow", "drop", "truncate"
}

func newFake(t *testing.T) *fakeWX {
	f := &fakeWX{t: t}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeWX) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	p, err := decodeXML(raw)
	if err != nil {
		f.t.Errorf("request is not WeChat XML: %v", err)
		return
	}
	if !Verify(p, testKey, p["sign_type"]) {
		f.t.Errorf("request sign does not verify: %s", raw)
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, wxReq{path: r.URL.Path, params: p, withCert: r.TLS != nil && len(r.TLS.PeerCertificates) > 0})
	mode, answer := f.mode, f.answer
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
	status, body := 200, ok(p, nil)
	if answer != nil {
		status, body = answer(r.URL.Path, p)
	}
	if mode == "truncate" {
		chantest.Truncate(w, []byte(body))
		return
	}
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func (f *fakeWX) requests() []wxReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]wxReq(nil), f.reqs...)
}

// signedWith builds an answer signed with key.
func signedWith(key, signType string, p map[string]string) string {
	p["sign"] = Sign(p, key, signType)
	return string(encodeXML(p))
}

// base is a signed-answer skeleton echoing the merchant ids.
func base(req map[string]string, extra map[string]string) map[string]string {
	p := map[string]string{
		"return_code": "SUCCESS", "return_msg": "OK",
		"appid": testAppID, "mch_id": testMch, "sub_mch_id": testSub,
		"nonce_str":   "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
		"result_code": "SUCCESS",
	}
	if v := req["out_trade_no"]; v != "" {
		p["out_trade_no"] = v
	}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

func ok(req map[string]string, extra map[string]string) string {
	return signedWith(testKey, req["sign_type"], base(req, extra))
}

func fail(req map[string]string, code string) string {
	return ok(req, map[string]string{"result_code": "FAIL", "err_code": code, "err_code_des": "desc " + code})
}

func paid(req map[string]string) map[string]string {
	return map[string]string{
		"transaction_id": "1217752501201407033233368018", "total_fee": req["total_fee"],
		"time_end": "20141030133525", "trade_type": "MICROPAY", "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
	}
}

func testConfig(f *fakeWX, t *testing.T) Config {
	certPEM, keyPEM := chantest.ClientCert(t)
	return Config{
		BaseURL: f.srv.URL, AppID: testAppID, MchID: testMch, SubMchID: testSub,
		APIKey: channel.Secret(testKey), SignType: SignMD5,
		CertPEM: certPEM, KeyPEM: channel.Secret(keyPEM),
		DeviceInfo: "POS-1", ClientIP: "192.168.1.20",
		HTTP: channel.HTTPSettings{Timeout: 2 * time.Second, RootCAPEM: chantest.ServerCAPEM(f.srv)},
	}
}

func newClient(t *testing.T, f *fakeWX, mutate func(*Config)) (*Client, *chantest.LogBuffer) {
	t.Helper()
	logs := &chantest.LogBuffer{}
	cfg := testConfig(f, t)
	cfg.Logger = logs.Logger()
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := New(cfg, app.NewManualClock(time.Date(2026, 11, 21, 10, 0, 0, 0, channel.Beijing)))
	require.NoError(t, err)
	return c, logs
}

func payReq() app.PayRequest {
	return app.PayRequest{OutTradeNo: "T20261121000001", AuthCode: wxCode, Wallet: app.WalletWeChat,
		Amount: 1250, Subject: "便利店-饮料", TerminalID: "POS-1", StaffID: "7"}
}

// ---------------------------------------------------------------- signing

func TestSign_OfficialVector(t *testing.T) {
	p := map[string]string{"appid": "wxd930ea5d5a258f4f", "body": "test", "device_info": "1000",
		"mch_id": "10000100", "nonce_str": "ibuaiVcKdpRxkhJA"}
	key := "192006250b4c09247ec02edce69f6a2d"
	assert.Equal(t, "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA&key=192006250b4c09247ec02edce69f6a2d", SignString(p, key))
	assert.Equal(t, "9A0A8659F005D6984697E2CA0A9CF3B7", Sign(p, key, SignMD5))
	assert.Equal(t, "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6", Sign(p, key, SignHMACSHA256))

	p["sign"] = "9a0a8659f005d6984697e2ca0a9cf3b7" // lower case is accepted
	assert.True(t, Verify(p, key, SignMD5))
	p["empty"] = "" // empty values are not signed
	assert.True(t, Verify(p, key, SignMD5))
	p["body"] = "test2"
	assert.False(t, Verify(p, key, SignMD5))
	delete(p, "sign")
	assert.False(t, Verify(p, key, SignMD5), "a missing sign never verifies")
}

// ---------------------------------------------------------------- pay

func TestPay_AnswerMapping(t *testing.T) {
	type tc struct {
		name    string
		mode    string
		answer  func(path string, req map[string]string) (int, string)
		outcome app.Outcome
		code    string
		check   func(t *testing.T, r app.ChannelResult)
	}
	cases := []tc{
		{name: "signed success", answer: func(_ string, q map[string]string) (int, string) { return 200, ok(q, paid(q)) },
			outcome: app.OutcomeSuccess, check: func(t *testing.T, r app.ChannelResult) {
				assert.Equal(t, app.Money(1250), r.Amount)
				assert.Equal(t, "1217752501201407033233368018", r.TransactionID)
				assert.Equal(t, "PAID", r.TradeState)
				assert.Equal(t, time.Date(2014, 10, 30, 13, 35, 25, 0, channel.Beijing).Unix(), r.FinishedAt.Unix())
			}},
		{name: "USERPAYING is pending", answer: func(_ string, q map[string]string) (int, string) { return 200, fail(q, "USERPAYING") },
			outcome: app.OutcomePending, code: "USERPAYING"},
		{name: "SYSTEMERROR is unknown", answer: func(_ string, q map[string]string) (int, string) { return 200, fail(q, "SYSTEMERROR") },
			outcome: app.OutcomeUnknown, code: "SYSTEMERROR"},
		{name: "BANKERROR is unknown", answer: func(_ string, q map[string]string) (int, string) { return 200, fail(q, "BANKERROR") },
			outcome: app.OutcomeUnknown, code: "BANKERROR"},
		{name: "AUTHCODEEXPIRE fails", answer: func(_ string, q map[string]string) (int, string) { return 200, fail(q, "AUTHCODEEXPIRE") },
			outcome: app.OutcomeFailed, code: "AUTHCODEEXPIRE"},
		{name: "NOTENOUGH fails", answer: func(_ string, q map[string]string) (int, string) { return 200, fail(q, "NOTENOUGH") },
			outcome: app.OutcomeFailed, code: "NOTENOUGH"},
		{name: "ORDERREVERSED: the number is spent", answer: func(_ string, q map[string]string) (int, string) { return 200, fail(q, "ORDERREVERSED") },
			outcome: app.OutcomeFailed, code: "ORDERREVERSED", check: func(t *testing.T, r app.ChannelResult) {
				assert.Equal(t, "REVOKED", r.TradeState)
				assert.True(t, r.NewOrderNo, "a retry of a reversed number must not reuse it")
			}},
		{name: "SIGNERROR is a settings refusal", answer: func(_ string, q map[string]string) (int, string) { return 200, fail(q, "SIGNERROR") },
			outcome: app.OutcomeFailed, code: "SIGNERROR", check: func(t *testing.T, r app.ChannelResult) { assert.True(t, r.ConfigError) }},
		{name: "NOAUTH is a settings refusal", answer: func(_ string, q map[string]string) (int, string) { return 200, fail(q, "NOAUTH") },
			outcome: app.OutcomeFailed, code: "NOAUTH", check: func(t *testing.T, r app.ChannelResult) { assert.True(t, r.ConfigError) }},
		{name: "APPID_MCHID_NOT_MATCH is a settings refusal", answer: func(_ string, q map[string]string) (int, string) { return 200, fail(q, "APPID_MCHID_NOT_MATCH") },
			outcome: app.OutcomeFailed, code: "APPID_MCHID_NOT_MATCH", check: func(t *testing.T, r app.ChannelResult) { assert.True(t, r.ConfigError) }},
		{name: "PARAM_ERROR is no settings refusal", answer: func(_ string, q map[string]string) (int, string) { return 200, fail(q, "PARAM_ERROR") },
			outcome: app.OutcomeFailed, code: "PARAM_ERROR", check: func(t *testing.T, r app.ChannelResult) { assert.False(t, r.ConfigError) }},
		{name: "PARAM_ERROR fails", answer: func(_ string, q map[string]string) (int, string) { return 200, fail(q, "PARAM_ERROR") },
			outcome: app.OutcomeFailed, code: "PARAM_ERROR"},
		{name: "OUT_TRADE_NO_USED needs a new number", answer: func(_ string, q map[string]string) (int, string) { return 200, fail(q, "OUT_TRADE_NO_USED") },
			outcome: app.OutcomeFailed, code: "OUT_TRADE_NO_USED", check: func(t *testing.T, r app.ChannelResult) { assert.True(t, r.NewOrderNo) }},
		{name: "unknown err_code is unknown", answer: func(_ string, q map[string]string) (int, string) { return 200, fail(q, "SOMETHING_NEW") },
			outcome: app.OutcomeUnknown, code: "SOMETHING_NEW"},
		{name: "ORDERPAID then query SUCCESS", answer: func(path string, q map[string]string) (int, string) {
			if path == "/pay/orderquery" {
				return 200, ok(q, map[string]string{"trade_state": "SUCCESS", "transaction_id": "42000001", "total_fee": "1250", "time_end": "20261121100001", "out_trade_no": "T20261121000001"})
			}
			return 200, fail(q, "ORDERPAID")
		}, outcome: app.OutcomeSuccess, check: func(t *testing.T, r app.ChannelResult) { assert.Equal(t, "42000001", r.TransactionID) }},
		{name: "ORDERPAID then query SUCCESS for another amount is a mismatch", answer: func(path string, q map[string]string) (int, string) {
			if path == "/pay/orderquery" {
				return 200, ok(q, map[string]string{"trade_state": "SUCCESS", "transaction_id": "42000001", "total_fee": "1", "time_end": "20261121100001", "out_trade_no": "T20261121000001"})
			}
			return 200, fail(q, "ORDERPAID")
		}, outcome: app.OutcomeUnknown, code: channel.CodeMismatch},
		{name: "ORDERPAID then query fails stays unknown", answer: func(path string, q map[string]string) (int, string) {
			if path == "/pay/orderquery" {
				return 200, fail(q, "SYSTEMERROR")
			}
			return 200, fail(q, "ORDERPAID")
		}, outcome: app.OutcomeUnknown, code: "ORDERPAID"},
		{name: "forged: success signed with another key", answer: func(_ string, q map[string]string) (int, string) {
			return 200, signedWith(otherKey, q["sign_type"], base(q, paid(q)))
		}, outcome: app.OutcomeUnknown, code: channel.CodeBadSign},
		{name: "unsigned success", answer: func(_ string, q map[string]string) (int, string) {
			return 200, string(encodeXML(base(q, paid(q))))
		}, outcome: app.OutcomeUnknown, code: channel.CodeUnsigned},
		{name: "wrongly signed: amount changed after signing", answer: func(_ string, q map[string]string) (int, string) {
			p := base(q, paid(q))
			p["sign"] = Sign(p, testKey, q["sign_type"])
			p["total_fee"] = "1"
			return 200, string(encodeXML(p))
		}, outcome: app.OutcomeUnknown, code: channel.CodeBadSign},
		{name: "wrong algorithm: MD5 request answered with HMAC sign", answer: func(_ string, q map[string]string) (int, string) {
			return 200, signedWith(testKey, SignHMACSHA256, base(q, paid(q)))
		}, outcome: app.OutcomeUnknown, code: channel.CodeBadSign},
		{name: "return_code FAIL refusing the signature is a settings refusal", answer: func(_ string, q map[string]string) (int, string) {
			return 200, "<xml><return_code>FAIL</return_code><return_msg>签名错误</return_msg></xml>"
		}, outcome: app.OutcomeFailed, code: "FAIL", check: func(t *testing.T, r app.ChannelResult) {
			assert.True(t, r.ConfigError)
			assert.Contains(t, r.Message, "签名错误")
		}},
		{name: "return_code FAIL for the merchant numbers is a settings refusal", answer: func(_ string, q map[string]string) (int, string) {
			return 200, "<xml><return_code>FAIL</return_code><return_msg>appid和mch_id不匹配</return_msg></xml>"
		}, outcome: app.OutcomeFailed, code: "FAIL", check: func(t *testing.T, r app.ChannelResult) { assert.True(t, r.ConfigError) }},
		{name: "a business failure quoting the payment code keeps it out", answer: func(_ string, q map[string]string) (int, string) {
			return 200, ok(q, map[string]string{"result_code": "FAIL", "err_code": "AUTH_CODE_INVALID", "err_code_des": "付款码 " + wxCode + " 无效"})
		}, outcome: app.OutcomeFailed, code: "AUTH_CODE_INVALID"},
		{name: "a transport refusal quoting the payment code keeps it out", answer: func(_ string, q map[string]string) (int, string) {
			return 200, "<xml><return_code>FAIL</return_code><return_msg>auth_code=" + wxCode + " 参数格式校验错误</return_msg></xml>"
		}, outcome: app.OutcomeUnknown, code: "FAIL"},
		{name: "return_code FAIL merely containing a settings word is unknown", answer: func(_ string, q map[string]string) (int, string) {
			return 200, "<xml><return_code>FAIL</return_code><return_msg>system redesign, try again later</return_msg></xml>"
		}, outcome: app.OutcomeUnknown, code: "FAIL", check: func(t *testing.T, r app.ChannelResult) { assert.False(t, r.ConfigError) }},
		{name: "return_code FAIL for anything else is unknown", answer: func(_ string, q map[string]string) (int, string) {
			return 200, "<xml><return_code>FAIL</return_code><return_msg>系统繁忙</return_msg></xml>"
		}, outcome: app.OutcomeUnknown, code: "FAIL", check: func(t *testing.T, r app.ChannelResult) { assert.False(t, r.ConfigError) }},
		{name: "signed success for another merchant", answer: func(_ string, q map[string]string) (int, string) {
			p := base(q, paid(q))
			p["sub_mch_id"] = "1900000999"
			return 200, signedWith(testKey, q["sign_type"], p)
		}, outcome: app.OutcomeUnknown, code: channel.CodeMismatch},
		{name: "signed success for another order", answer: func(_ string, q map[string]string) (int, string) {
			p := base(q, paid(q))
			p["out_trade_no"] = "T-OTHER"
			return 200, signedWith(testKey, q["sign_type"], p)
		}, outcome: app.OutcomeUnknown, code: channel.CodeMismatch},
		{name: "signed success with a different amount", answer: func(_ string, q map[string]string) (int, string) {
			p := paid(q)
			p["total_fee"] = "1"
			return 200, ok(q, p)
		}, outcome: app.OutcomeUnknown, code: channel.CodeMismatch},
		{name: "duplicate element", answer: func(_ string, q map[string]string) (int, string) {
			s := ok(q, paid(q))
			return 200, strings.Replace(s, "</xml>", "<result_code>SUCCESS</result_code></xml>", 1)
		}, outcome: app.OutcomeUnknown, code: channel.CodeMalformed},
		{name: "not XML", answer: func(_ string, q map[string]string) (int, string) { return 200, "<html>bad gateway</html>" },
			outcome: app.OutcomeUnknown, code: channel.CodeMalformed},
		{name: "truncated answer", mode: "truncate", answer: func(_ string, q map[string]string) (int, string) { return 200, ok(q, paid(q)) },
			outcome: app.OutcomeUnknown, code: channel.CodeTransport},
		{name: "slow beyond the timeout", mode: "slow", outcome: app.OutcomeUnknown, code: channel.CodeTransport},
		{name: "HTTP 500", mode: "http500", outcome: app.OutcomeUnknown, code: channel.CodeTransport},
		{name: "dropped connection", mode: "drop", outcome: app.OutcomeUnknown, code: channel.CodeTransport},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			f.mu.Lock()
			f.answer, f.mode = c.answer, c.mode
			f.mu.Unlock()
			cl, logs := newClient(t, f, func(cfg *Config) { cfg.HTTP.Timeout = 300 * time.Millisecond })
			res, err := cl.Pay(context.Background(), payReq())
			require.NoError(t, err)
			assert.Equal(t, c.outcome, res.Outcome, "%+v", res)
			if c.code != "" {
				assert.Equal(t, c.code, res.Code)
			}
			if c.check != nil {
				c.check(t, res)
			}
			if strings.HasPrefix(res.Code, "BAD") || res.Code == channel.CodeUnsigned || res.Code == channel.CodeTransport || res.Code == channel.CodeMalformed || res.Code == channel.CodeMismatch {
				assert.Contains(t, logs.String(), "not trusted", "an untrusted answer is logged")
			}
			assert.NotContains(t, logs.String(), testKey)
			assert.NotContains(t, logs.String(), wxCode, "payment codes stay out of the log")
			assert.NotContains(t, res.Code+res.Message, wxCode, "and out of every result")
		})
	}
}

func TestPay_RequestFields(t *testing.T) {
	f := newFake(t)
	f.mu.Lock()
	f.answer = func(_ string, q map[string]string) (int, string) { return 200, ok(q, paid(q)) }
	f.mu.Unlock()
	cl, _ := newClient(t, f, nil)
	_, err := cl.Pay(context.Background(), payReq())
	require.NoError(t, err)
	reqs := f.requests()
	require.Len(t, reqs, 1)
	p := reqs[0].params
	assert.Equal(t, "/pay/micropay", reqs[0].path)
	for k, v := range map[string]string{"appid": testAppID, "mch_id": testMch, "sub_mch_id": testSub, "out_trade_no": "T20261121000001",
		"total_fee": "1250", "fee_type": "CNY", "auth_code": wxCode, "body": "便利店-饮料", "device_info": "POS-1",
		"spbill_create_ip": "192.168.1.20", "sign_type": "MD5"} {
		assert.Equal(t, v, p[k], k)
	}
	assert.Len(t, p["nonce_str"], 32)
	assert.Empty(t, p["deposit"])
}

func TestPay_BadInput_NothingSent(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	cases := map[string]func(r *app.PayRequest){
		"alipay wallet":           func(r *app.PayRequest) { r.Wallet = app.WalletAlipay },
		"amount 0":                func(r *app.PayRequest) { r.Amount = 0 },
		"negative amount":         func(r *app.PayRequest) { r.Amount = -5 },
		"over the ceiling":        func(r *app.PayRequest) { r.Amount = app.DefaultCeiling + 1 },
		"body 128 bytes":          func(r *app.PayRequest) { r.Subject = strings.Repeat("x", 128) },
		"body 43 CJK (129 B)":     func(r *app.PayRequest) { r.Subject = strings.Repeat("饮", 43) },
		"no body":                 func(r *app.PayRequest) { r.Subject = "" },
		"alipay code":             func(r *app.PayRequest) { r.AuthCode = "281234567890123456" },
		"short code":              func(r *app.PayRequest) { r.AuthCode = "1345678" },
		"no order number":         func(r *app.PayRequest) { r.OutTradeNo = "" },
		"order number too long":   func(r *app.PayRequest) { r.OutTradeNo = strings.Repeat("1", 33) },
		"order number with space": func(r *app.PayRequest) { r.OutTradeNo = "T 1" },
		"bad ip":                  func(r *app.PayRequest) { r.ClientIP = "not-an-ip" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			r := payReq()
			mutate(&r)
			_, err := cl.Pay(context.Background(), r)
			require.Error(t, err)
			assert.True(t, app.IsNotSent(err), "%v", err)
		})
	}
	assert.Empty(t, f.requests(), "nothing reaches the channel")
	ok := payReq()
	ok.Subject = strings.Repeat("饮", 42) // 126 bytes
	ok.AuthCode = "101234567890123456"
	f.mu.Lock()
	f.answer = func(_ string, q map[string]string) (int, string) { return 200, ok2(q) }
	f.mu.Unlock()
	_, err := cl.Pay(context.Background(), ok)
	require.NoError(t, err)
}

func ok2(q map[string]string) string { return ok(q, paid(q)) }

// ---------------------------------------------------------------- query

func TestQuery_TradeStates(t *testing.T) {
	cases := []struct {
		state   string
		outcome app.Outcome
		trade   string
	}{
		{"SUCCESS", app.OutcomeSuccess, "PAID"},
		{"REFUND", app.OutcomeSuccess, "REFUND"},
		{"CLOSED", app.OutcomeFailed, "CLOSED"},
		{"REVOKED", app.OutcomeFailed, "REVOKED"},
		{"PAYERROR", app.OutcomeFailed, "PAYERROR"},
		{"NOTPAY", app.OutcomePending, "NOTPAY"},
		{"USERPAYING", app.OutcomePending, "PAYING"},
		{"ACCEPT", app.OutcomePending, "PAYING"},
		{"CONSUMED", app.OutcomeSuccess, "PAID"},
		{"SETTLING", app.OutcomeSuccess, "PAID"},
		{"WHATEVER", app.OutcomeUnknown, ""},
	}
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	for _, c := range cases {
		t.Run(c.state, func(t *testing.T) {
			f.mu.Lock()
			f.answer = func(_ string, q map[string]string) (int, string) {
				return 200, ok(q, map[string]string{"trade_state": c.state, "transaction_id": "4200", "total_fee": "1250", "out_trade_no": "T1"})
			}
			f.mu.Unlock()
			res, err := cl.Query(context.Background(), app.OrderRef{OutTradeNo: "T1", Wallet: app.WalletWeChat})
			require.NoError(t, err)
			assert.Equal(t, c.outcome, res.Outcome)
			assert.Equal(t, c.trade, res.TradeState)
			assert.Equal(t, c.state, res.Code)
		})
	}
	t.Run("ORDERNOTEXIST is unknown and NotFound", func(t *testing.T) {
		f.mu.Lock()
		f.answer = func(_ string, q map[string]string) (int, string) { return 200, fail(q, "ORDERNOTEXIST") }
		f.mu.Unlock()
		res, err := cl.Query(context.Background(), app.OrderRef{OutTradeNo: "T1"})
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeUnknown, res.Outcome)
		assert.Equal(t, "ORDERNOTEXIST", res.Code)
		assert.True(t, res.NotFound)
	})
	t.Run("SYSTEMERROR is not NotFound", func(t *testing.T) {
		f.mu.Lock()
		f.answer = func(_ string, q map[string]string) (int, string) { return 200, fail(q, "SYSTEMERROR") }
		f.mu.Unlock()
		res, err := cl.Query(context.Background(), app.OrderRef{OutTradeNo: "T1"})
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeUnknown, res.Outcome)
		assert.False(t, res.NotFound)
	})
	t.Run("a settings refusal of a query is unknown with ConfigError", func(t *testing.T) {
		f.mu.Lock()
		f.answer = func(_ string, q map[string]string) (int, string) { return 200, fail(q, "SIGNERROR") }
		f.mu.Unlock()
		res, err := cl.Query(context.Background(), app.OrderRef{OutTradeNo: "T1"})
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeUnknown, res.Outcome, "a refused query says nothing about the money")
		assert.True(t, res.ConfigError)
		assert.Equal(t, "SIGNERROR", res.Code)
	})
	t.Run("by transaction id", func(t *testing.T) {
		f.mu.Lock()
		f.answer = func(_ string, q map[string]string) (int, string) {
			return 200, ok(q, map[string]string{"trade_state": "SUCCESS", "transaction_id": q["transaction_id"], "total_fee": "1"})
		}
		f.mu.Unlock()
		res, err := cl.Query(context.Background(), app.OrderRef{TransactionID: "4200000001"})
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeSuccess, res.Outcome)
		last := f.requests()[len(f.requests())-1]
		assert.Equal(t, "4200000001", last.params["transaction_id"])
		assert.Empty(t, last.params["out_trade_no"])
	})
	t.Run("no order reference", func(t *testing.T) {
		_, err := cl.Query(context.Background(), app.OrderRef{})
		assert.True(t, app.IsNotSent(err))
	})
}

// ---------------------------------------------------------------- reverse

func TestReverse_Mapping(t *testing.T) {
	cases := []struct {
		name    string
		extra   map[string]string
		outcome app.Outcome
		retry   bool
	}{
		{"success", map[string]string{"recall": "N"}, app.OutcomeSuccess, false},
		{"recall=Y on FAIL", map[string]string{"result_code": "FAIL", "err_code": "SYSTEMERROR", "recall": "Y"}, app.OutcomeUnknown, true},
		{"recall=Y even with SUCCESS", map[string]string{"recall": "Y"}, app.OutcomeUnknown, true},
		{"USERPAYING", map[string]string{"result_code": "FAIL", "err_code": "USERPAYING", "recall": "N"}, app.OutcomePending, true},
		{"REVERSE_EXPIRE", map[string]string{"result_code": "FAIL", "err_code": "REVERSE_EXPIRE", "recall": "N"}, app.OutcomeFailed, false},
		{"SYSTEMERROR recall=N", map[string]string{"result_code": "FAIL", "err_code": "SYSTEMERROR", "recall": "N"}, app.OutcomeUnknown, false},
		{"ORDERNOTEXIST", map[string]string{"result_code": "FAIL", "err_code": "ORDERNOTEXIST", "recall": "N"}, app.OutcomeUnknown, false},
		{"SIGNERROR", map[string]string{"result_code": "FAIL", "err_code": "SIGNERROR", "recall": "N"}, app.OutcomeFailed, false},
	}
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.mu.Lock()
			f.answer = func(_ string, q map[string]string) (int, string) { return 200, ok(q, c.extra) }
			f.mu.Unlock()
			res, err := cl.Reverse(context.Background(), app.OrderRef{OutTradeNo: "T1", Wallet: app.WalletWeChat})
			require.NoError(t, err)
			assert.Equal(t, c.outcome, res.Outcome)
			assert.Equal(t, c.retry, res.Retry)
			assert.Equal(t, c.extra["err_code"] == "ORDERNOTEXIST", res.NotFound)
			assert.Equal(t, c.extra["err_code"] == "SIGNERROR", res.ConfigError)
		})
	}
	reqs := f.requests()
	assert.Equal(t, "/secapi/pay/reverse", reqs[0].path)
	assert.True(t, reqs[0].withCert, "reverse is sent with the client certificate")
}

func TestCertCalls_WithoutCertificate_NothingSent(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, func(c *Config) { c.CertPEM, c.KeyPEM = "", "" })
	assert.False(t, cl.HasClientCert())
	_, err := cl.Reverse(context.Background(), app.OrderRef{OutTradeNo: "T1"})
	assert.True(t, app.IsNotSent(err))
	assert.Contains(t, err.Error(), "certificate")
	_, err = cl.Refund(context.Background(), app.RefundRequest{OrderRef: app.OrderRef{OutTradeNo: "T1"}, OutRefundNo: "R1", Total: 100, Amount: 100})
	assert.True(t, app.IsNotSent(err))
	_, err = cl.Consume(context.Background(), app.ConsumeRequest{OrderRef: app.OrderRef{OutTradeNo: "T1", Deposit: true}, Total: 100, Amount: 50})
	assert.True(t, app.IsNotSent(err))
	assert.Empty(t, f.requests())
}

// ---------------------------------------------------------------- refund

func TestRefund_Mapping(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	req := app.RefundRequest{OrderRef: app.OrderRef{OutTradeNo: "T1", Wallet: app.WalletWeChat}, OutRefundNo: "R1", Total: 1250, Amount: 250, Reason: "少找零"}
	cases := []struct {
		name    string
		extra   map[string]string
		outcome app.Outcome
		amount  app.Money
		code    string
		config  bool
	}{
		{name: "accepted", extra: map[string]string{"refund_id": "5000", "refund_fee": "250", "out_refund_no": "R1"}, outcome: app.OutcomePending, amount: 250},
		{name: "SYSTEMERROR", extra: map[string]string{"result_code": "FAIL", "err_code": "SYSTEMERROR"}, outcome: app.OutcomeUnknown, code: "SYSTEMERROR"},
		{name: "BIZERR_NEED_RETRY", extra: map[string]string{"result_code": "FAIL", "err_code": "BIZERR_NEED_RETRY"}, outcome: app.OutcomeUnknown},
		{name: "NOTENOUGH", extra: map[string]string{"result_code": "FAIL", "err_code": "NOTENOUGH"}, outcome: app.OutcomeFailed, code: "NOTENOUGH"},
		{name: "TRADE_OVERDUE", extra: map[string]string{"result_code": "FAIL", "err_code": "TRADE_OVERDUE"}, outcome: app.OutcomeFailed},
		{name: "SIGNERROR refuses the settings", extra: map[string]string{"result_code": "FAIL", "err_code": "SIGNERROR"}, outcome: app.OutcomeFailed, code: "SIGNERROR", config: true},
		// The amount WeChat states is reported, never the one asked: the
		// state machine compares them.
		{name: "a larger amount is reported", extra: map[string]string{"refund_id": "5000", "refund_fee": "1250", "out_refund_no": "R1"}, outcome: app.OutcomePending, amount: 1250},
		{name: "a smaller amount is reported", extra: map[string]string{"refund_id": "5000", "refund_fee": "249", "out_refund_no": "R1"}, outcome: app.OutcomePending, amount: 249},
		{name: "no refund_fee", extra: map[string]string{"refund_id": "5000", "out_refund_no": "R1"}, outcome: app.OutcomeUnknown, code: channel.CodeMalformed},
		{name: "another refund number", extra: map[string]string{"refund_id": "5000", "refund_fee": "250", "out_refund_no": "R2"}, outcome: app.OutcomeUnknown, code: channel.CodeMismatch},
		{name: "another order", extra: map[string]string{"refund_id": "5000", "refund_fee": "250", "out_refund_no": "R1", "out_trade_no": "T9"}, outcome: app.OutcomeUnknown, code: channel.CodeMismatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.mu.Lock()
			f.answer = func(_ string, q map[string]string) (int, string) { return 200, ok(q, c.extra) }
			f.mu.Unlock()
			res, err := cl.Refund(context.Background(), req)
			require.NoError(t, err)
			assert.Equal(t, c.outcome, res.Outcome, "%+v", res)
			assert.Equal(t, c.amount, res.Amount)
			if c.code != "" {
				assert.Equal(t, c.code, res.Code)
			}
			assert.Equal(t, c.config, res.ConfigError)
		})
	}
	t.Run("another transaction id", func(t *testing.T) {
		f.mu.Lock()
		f.answer = func(_ string, q map[string]string) (int, string) {
			return 200, ok(q, map[string]string{"refund_id": "5000", "refund_fee": "250", "out_refund_no": "R1", "transaction_id": "4200999"})
		}
		f.mu.Unlock()
		r := req
		r.TransactionID = "4200001"
		res, err := cl.Refund(context.Background(), r)
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeUnknown, res.Outcome)
		assert.Equal(t, channel.CodeMismatch, res.Code)
	})
	for name, body := range map[string]func(q map[string]string) string{
		"unsigned": func(q map[string]string) string {
			return string(encodeXML(base(q, map[string]string{"refund_id": "5000", "refund_fee": "250", "out_refund_no": "R1"})))
		},
		"badly signed": func(q map[string]string) string {
			return signedWith(otherKey, q["sign_type"], base(q, map[string]string{"refund_id": "5000", "refund_fee": "250", "out_refund_no": "R1"}))
		},
	} {
		t.Run(name, func(t *testing.T) {
			f.mu.Lock()
			f.answer = func(_ string, q map[string]string) (int, string) { return 200, body(q) }
			f.mu.Unlock()
			res, err := cl.Refund(context.Background(), req)
			require.NoError(t, err)
			assert.Equal(t, app.OutcomeUnknown, res.Outcome)
			assert.Zero(t, res.Amount)
		})
	}
	p := f.requests()[0]
	assert.Equal(t, "/secapi/pay/refund", p.path)
	assert.True(t, p.withCert)
	assert.Equal(t, "1250", p.params["total_fee"])
	assert.Equal(t, "250", p.params["refund_fee"])
	assert.Equal(t, "R1", p.params["out_refund_no"])

	bad := req
	bad.Amount = 1300
	_, err := cl.Refund(context.Background(), bad)
	assert.True(t, app.IsNotSent(err))
	bad = req
	bad.OutRefundNo = ""
	_, err = cl.Refund(context.Background(), bad)
	assert.True(t, app.IsNotSent(err))
}

func TestRefundQuery_Statuses(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	for status, want := range map[string]app.Outcome{
		"SUCCESS": app.OutcomeSuccess, "REFUNDCLOSE": app.OutcomeFailed,
		"PROCESSING": app.OutcomePending, "CHANGE": app.OutcomeUnknown,
	} {
		t.Run(status, func(t *testing.T) {
			f.mu.Lock()
			f.answer = func(_ string, q map[string]string) (int, string) {
				return 200, ok(q, map[string]string{"refund_count": "2",
					"out_refund_no_0": "R0", "refund_status_0": "SUCCESS", "refund_fee_0": "1",
					"out_refund_no_1": "R1", "refund_status_1": status, "refund_fee_1": "250", "refund_id_1": "5001",
					"refund_success_time_1": "2026-11-21 10:01:02"})
			}
			f.mu.Unlock()
			res, err := cl.RefundQuery(context.Background(), app.RefundRequest{OrderRef: app.OrderRef{OutTradeNo: "T1"}, OutRefundNo: "R1"})
			require.NoError(t, err)
			assert.Equal(t, want, res.Outcome)
			assert.Equal(t, app.Money(250), res.Amount)
			assert.Equal(t, "5001", res.TransactionID)
		})
	}
	for _, code := range []string{"REFUNDNOTEXIST", "ORDERNOTEXIST"} {
		t.Run(code+" is unknown and NotFound", func(t *testing.T) {
			f.mu.Lock()
			f.answer = func(_ string, q map[string]string) (int, string) { return 200, fail(q, code) }
			f.mu.Unlock()
			res, err := cl.RefundQuery(context.Background(), app.RefundRequest{OutRefundNo: "R1"})
			require.NoError(t, err)
			assert.Equal(t, app.OutcomeUnknown, res.Outcome)
			assert.True(t, res.NotFound)
			assert.Equal(t, code, res.Code)
		})
	}
	t.Run("SYSTEMERROR is not NotFound", func(t *testing.T) {
		f.mu.Lock()
		f.answer = func(_ string, q map[string]string) (int, string) { return 200, fail(q, "SYSTEMERROR") }
		f.mu.Unlock()
		res, err := cl.RefundQuery(context.Background(), app.RefundRequest{OutRefundNo: "R1"})
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeUnknown, res.Outcome)
		assert.False(t, res.NotFound)
	})
	bad := map[string]map[string]string{
		"only another refund":       {"refund_count": "1", "out_refund_no_0": "R9", "refund_status_0": "SUCCESS", "refund_fee_0": "250"},
		"another order":             {"out_trade_no": "T9", "refund_count": "1", "out_refund_no_0": "R1", "refund_status_0": "SUCCESS", "refund_fee_0": "250"},
		"SUCCESS without an amount": {"refund_count": "1", "out_refund_no_0": "R1", "refund_status_0": "SUCCESS"},
	}
	for name, extra := range bad {
		t.Run(name+" never counts as refunded", func(t *testing.T) {
			f.mu.Lock()
			f.answer = func(_ string, q map[string]string) (int, string) { return 200, ok(q, extra) }
			f.mu.Unlock()
			res, err := cl.RefundQuery(context.Background(), app.RefundRequest{OrderRef: app.OrderRef{OutTradeNo: "T1"}, OutRefundNo: "R1", Amount: 250})
			require.NoError(t, err)
			assert.Equal(t, app.OutcomeUnknown, res.Outcome, "%+v", res)
			assert.False(t, res.NotFound)
		})
	}
	t.Run("a larger amount is reported as stated", func(t *testing.T) {
		f.mu.Lock()
		f.answer = func(_ string, q map[string]string) (int, string) {
			return 200, ok(q, map[string]string{"refund_count": "1", "out_refund_no_0": "R1", "refund_status_0": "SUCCESS", "refund_fee_0": "999"})
		}
		f.mu.Unlock()
		res, err := cl.RefundQuery(context.Background(), app.RefundRequest{OrderRef: app.OrderRef{OutTradeNo: "T1"}, OutRefundNo: "R1", Amount: 250})
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeSuccess, res.Outcome)
		assert.Equal(t, app.Money(999), res.Amount, "never the amount asked when WeChat states another")
		assert.Contains(t, res.Message, "9.99")
	})
}

// ---------------------------------------------------------------- deposits

func TestDeposit_Calls(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil) // configured MD5: deposit calls still use HMAC-SHA256
	f.mu.Lock()
	f.answer = func(path string, q map[string]string) (int, string) {
		switch path {
		case "/deposit/micropay":
			return 200, ok(q, paid(q))
		case "/deposit/consume":
			return 200, ok(q, map[string]string{"transaction_id": q["transaction_id"], "total_fee": q["total_fee"], "consume_fee": q["consume_fee"]})
		case "/deposit/reverse":
			return 200, ok(q, map[string]string{"recall": "N"})
		case "/deposit/refund":
			return 200, ok(q, map[string]string{"refund_id": "77", "refund_fee": q["refund_fee"], "out_refund_no": q["out_refund_no"]})
		case "/deposit/orderquery":
			return 200, ok(q, map[string]string{"trade_state": "SUCCESS", "transaction_id": "4200", "total_fee": "50000"})
		case "/deposit/refundquery":
			return 200, ok(q, map[string]string{"out_refund_no": q["out_refund_no"], "refund_status": "SUCCESS", "refund_fee": "100"})
		}
		return 404, ""
	}
	f.mu.Unlock()
	ctx := context.Background()
	r := payReq()
	r.Deposit, r.Amount = true, 50000
	res, err := cl.Pay(ctx, r)
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, res.Outcome)

	ref := app.OrderRef{OutTradeNo: r.OutTradeNo, TransactionID: res.TransactionID, Wallet: app.WalletWeChat, Deposit: true}
	q, err := cl.Query(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, q.Outcome)

	cons, err := cl.Consume(ctx, app.ConsumeRequest{OrderRef: ref, Total: 50000, Amount: 32000})
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, cons.Outcome)
	assert.Equal(t, app.Money(32000), cons.Amount)

	rf, err := cl.Refund(ctx, app.RefundRequest{OrderRef: ref, OutRefundNo: "RD1", Total: 32000, Amount: 100})
	require.NoError(t, err)
	assert.Equal(t, app.OutcomePending, rf.Outcome)
	rq, err := cl.RefundQuery(ctx, app.RefundRequest{OrderRef: ref, OutRefundNo: "RD1"})
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, rq.Outcome)

	rel, err := cl.Release(ctx, app.ReleaseRequest{OrderRef: ref, Amount: 50000})
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, rel.Outcome)

	paths := []string{}
	for _, q := range f.requests() {
		paths = append(paths, q.path)
		assert.Equal(t, SignHMACSHA256, q.params["sign_type"], q.path)
		if q.path == "/deposit/consume" || q.path == "/deposit/refund" || q.path == "/deposit/reverse" {
			assert.True(t, q.withCert, q.path)
		}
	}
	assert.Equal(t, []string{"/deposit/micropay", "/deposit/orderquery", "/deposit/consume", "/deposit/refund", "/deposit/refundquery", "/deposit/reverse"}, paths)
	first := f.requests()[0].params
	assert.Equal(t, "Y", first["deposit"])
	cp := f.requests()[2].params
	assert.Equal(t, "50000", cp["total_fee"])
	assert.Equal(t, "32000", cp["consume_fee"])

	// Bad deposit input: nothing sent.
	n := len(f.requests())
	_, err = cl.Consume(ctx, app.ConsumeRequest{OrderRef: ref, Total: 50000, Amount: 50001})
	assert.True(t, app.IsNotSent(err))
	_, err = cl.Consume(ctx, app.ConsumeRequest{OrderRef: ref, Total: 50000, Amount: 0})
	assert.True(t, app.IsNotSent(err))
	_, err = cl.Consume(ctx, app.ConsumeRequest{OrderRef: app.OrderRef{OutTradeNo: "T1"}, Total: 5, Amount: 1})
	assert.True(t, app.IsNotSent(err), "not a deposit")
	_, err = cl.Refund(ctx, app.RefundRequest{OrderRef: app.OrderRef{OutTradeNo: "T1", Deposit: true}, OutRefundNo: "R", Total: 5, Amount: 1})
	assert.True(t, app.IsNotSent(err), "deposit refund needs the transaction id")
	_, err = cl.Release(ctx, app.ReleaseRequest{OrderRef: app.OrderRef{OutTradeNo: "T1"}, Amount: 1})
	assert.True(t, app.IsNotSent(err))
	assert.Len(t, f.requests(), n)
}

// ---------------------------------------------------------------- settings

func TestNew_RejectsMalformedSettings(t *testing.T) {
	f := newFake(t)
	good := testConfig(f, t)
	certPEM, _ := chantest.ClientCert(t)
	_, otherKeyPEM := chantest.ClientCert(t)
	dir := t.TempDir()
	p12 := dir + "/apiclient_cert.p12"
	require.NoError(t, writeFile(p12, "not a p12 file"))
	cases := map[string]struct {
		mutate func(*Config)
		want   string
	}{
		"short API key":       {func(c *Config) { c.APIKey = "abc" }, "32"},
		"API key with space":  {func(c *Config) { c.APIKey = channel.Secret(strings.Repeat("a", 31) + " ") }, "printable"},
		"bad sign type":       {func(c *Config) { c.SignType = "SHA1" }, "SignType"},
		"no app id":           {func(c *Config) { c.AppID = "" }, "AppID"},
		"mch id not digits":   {func(c *Config) { c.MchID = "abc" }, "MchID"},
		"no sub mch id":       {func(c *Config) { c.SubMchID = "" }, "SubMchID"},
		"bad base url":        {func(c *Config) { c.BaseURL = "ftp://x" }, "URL"},
		"garbage certificate": {func(c *Config) { c.CertPEM = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" }, "malformed"},
		"garbage key":         {func(c *Config) { c.KeyPEM = "not a key" }, "malformed"},
		"key of another cert": {func(c *Config) { c.CertPEM, c.KeyPEM = certPEM, channel.Secret(otherKeyPEM) }, "malformed"},
		"cert without key":    {func(c *Config) { c.KeyPEM = "" }, "both"},
		"two ways":            {func(c *Config) { c.P12File = p12 }, "one way"},
		"bad p12":             {func(c *Config) { c.CertPEM, c.KeyPEM, c.P12File = "", "", p12 }, "p12"},
		"missing cert file":   {func(c *Config) { c.CertPEM, c.KeyPEM, c.CertFile, c.KeyFile = "", "", dir+"/none.pem", dir+"/none.key" }, "cannot read"},
		"negative timeout":    {func(c *Config) { c.HTTP.Timeout = -1 }, "negative"},
		"bad root CA":         {func(c *Config) { c.HTTP.RootCAPEM = "nope" }, "root"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := good
			c.mutate(&cfg)
			_, err := New(cfg, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.NotContains(t, err.Error(), testKey)
			assert.NotContains(t, err.Error(), "PRIVATE KEY")
		})
	}
	assert.Empty(t, f.requests())
}

func TestSecrets_NeverInLogsErrorsOrPrints(t *testing.T) {
	f := newFake(t)
	cl, logs := newClient(t, f, func(c *Config) { c.HTTP.Timeout = 300 * time.Millisecond })
	cfg := cl.cfg
	keyPEM := cfg.KeyPEM.Reveal()
	var texts []string
	for _, mode := range []string{"", "drop", "slow", "http500", "truncate"} {
		f.mu.Lock()
		f.mode = mode
		f.mu.Unlock()
		for _, ans := range []func(string, map[string]string) (int, string){
			func(_ string, q map[string]string) (int, string) { return 200, ok2(q) },
			func(_ string, q map[string]string) (int, string) {
				return 200, "<xml><return_code>FAIL</return_code><return_msg>签名错误 key=" + testKey + "</return_msg></xml>"
			},
			func(_ string, q map[string]string) (int, string) {
				return 200, ok(q, map[string]string{"result_code": "FAIL", "err_code": "X" + testKey, "err_code_des": "bad " + testKey})
			},
			func(_ string, q map[string]string) (int, string) {
				return 200, signedWith(otherKey, q["sign_type"], base(q, nil))
			},
		} {
			f.mu.Lock()
			f.answer = ans
			f.mu.Unlock()
			res, err := cl.Pay(context.Background(), payReq())
			if err != nil {
				texts = append(texts, err.Error())
			}
			texts = append(texts, res.Code, res.Message)
			res, _ = cl.Reverse(context.Background(), app.OrderRef{OutTradeNo: "T1"})
			texts = append(texts, res.Message)
		}
	}
	_, err := New(Config{APIKey: channel.Secret(testKey)}, nil)
	texts = append(texts, err.Error())
	texts = append(texts, logs.String())
	printed := []string{
		fmtAll(cfg),
	}
	all := strings.Join(append(texts, printed...), "\n")
	assert.NotContains(t, all, testKey)
	assert.NotContains(t, all, strings.Split(keyPEM, "\n")[1], "no line of the private key")
	assert.Contains(t, printed[0], "***")
}

// ---------------------------------------------------------------- bill

const sampleBill = "\ufeff交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\r\n" +
	"`2026-11-21 10:00:01,`wx2421b1c4370ec43b,`10000100,`1900000109,`POS-1,`4200000001,`T1,`oUpF8u,`MICROPAY,`SUCCESS,`CMC,`CNY,`12.50,`0.00,`0,`0,`0.00,`0.00,`,`,`饮料,大瓶,`,`0.07500,`0.60%,`12.50,`0.00,`\r\n" +
	"`2026-11-21 11:00:00,`wx2421b1c4370ec43b,`10000100,`1900000109,`POS-1,`4200000001,`T1,`oUpF8u,`MICROPAY,`REFUND,`CMC,`CNY,`12.50,`0.00,`5000001,`R1,`2.50,`0.00,`ORIGINAL,`SUCCESS,`饮料,`,`-0.01500,`0.60%,`12.50,`2.50,`\r\n" +
	"总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n" +
	"`2,`12.50,`2.50,`0.00,`0.06000,`12.50,`2.50\r\n"

func TestBill_Parse(t *testing.T) {
	b, err := ParseBill([]byte(sampleBill))
	require.NoError(t, err)
	require.Len(t, b.Lines, 2)
	assert.Equal(t, 2, b.Count)
	assert.Equal(t, app.Money(1250), b.Total)
	l := b.Lines[0]
	assert.Equal(t, "T1", l.OutTradeNo)
	assert.Equal(t, "4200000001", l.TransactionID)
	assert.Equal(t, "SUCCESS", l.Status)
	assert.Equal(t, app.Money(1250), l.Amount)
	assert.Equal(t, app.Money(8), l.Fee, "0.075 yuan rounds to 8 fen")
	assert.Equal(t, time.Date(2026, 11, 21, 10, 0, 1, 0, channel.Beijing).Unix(), l.Time.Unix())
	r := b.Lines[1]
	assert.Equal(t, "REFUND", r.Status)
	assert.Equal(t, "R1", r.OutRefundNo)
	assert.Equal(t, "5000001", r.RefundID)
	assert.Equal(t, app.Money(250), r.RefundAmount)
	assert.Equal(t, app.Money(-2), r.Fee)

	// Truncated bills and wrong counts are refused.
	cut := sampleBill[:strings.Index(sampleBill, "总交易单数")]
	_, err = ParseBill([]byte(cut))
	assert.Error(t, err)
	_, err = ParseBill([]byte(strings.Replace(sampleBill, "`2,`12.50", "`3,`12.50", 1)))
	assert.ErrorContains(t, err, "summary says 3")
	_, err = ParseBill([]byte(strings.Replace(sampleBill, "`12.50,`0.00,`\r\n", "`12.5x,`0.00,`\r\n", 1)))
	assert.Error(t, err)
}

func TestDownloadBill(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	f.mu.Lock()
	f.answer = func(_ string, q map[string]string) (int, string) { return 200, sampleBill }
	f.mu.Unlock()
	b, err := cl.DownloadBill(context.Background(), time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	assert.Equal(t, app.ChannelWeChat, b.Channel)
	assert.Len(t, b.Lines, 2)
	p := f.requests()[0].params
	assert.Equal(t, "20261121", p["bill_date"])
	assert.Equal(t, "ALL", p["bill_type"])
	assert.Equal(t, testSub, p["sub_mch_id"])

	f.mu.Lock()
	f.answer = func(_ string, q map[string]string) (int, string) {
		return 200, "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[No Bill Exist]]></return_msg><error_code><![CDATA[20002]]></error_code></xml>"
	}
	f.mu.Unlock()
	_, err = cl.DownloadBill(context.Background(), time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC))
	assert.ErrorIs(t, err, channel.ErrNoBill)
	assert.False(t, app.IsNotSent(err))

	f.mu.Lock()
	f.mode = "drop"
	f.mu.Unlock()
	_, err = cl.DownloadBill(context.Background(), time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC))
	assert.Error(t, err)
	assert.False(t, app.IsNotSent(err), "the request was sent")
	_, err = cl.DownloadBill(context.Background(), time.Time{})
	assert.True(t, app.IsNotSent(err))
}

// ---------------------------------------------------------------- XML

func TestDecodeXML(t *testing.T) {
	p, err := decodeXML([]byte(`<?xml version="1.0"?><xml><a><![CDATA[x<y]]></a><b>1&amp;2</b><c></c></xml>`))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"a": "x<y", "b": "1&2", "c": ""}, p)
	for _, bad := range []string{
		`<xml><a><b>1</b></a></xml>`, `<root><a>1</a></root>`, `<xml><a>1</a><a>2</a></xml>`,
		`<xml><a>1</a></xml><xml/>`, `<xml>text<a>1</a></xml>`, `<xml><a>1</a>`, ``,
		`<!DOCTYPE x [<!ENTITY e "v">]><xml><a>&e;</a></xml>`,
	} {
		_, err := decodeXML([]byte(bad))
		assert.Error(t, err, bad)
	}
	// encode/decode round trip with awkward values
	in := map[string]string{"body": "a]]>b<&>\"'", "n": "1"}
	out, err := decodeXML(encodeXML(in))
	require.NoError(t, err)
	assert.Equal(t, in, out)
	var x struct{ XMLName xml.Name }
	require.NoError(t, xml.Unmarshal(encodeXML(in), &x))
	assert.Equal(t, "xml", x.XMLName.Local)
}

func TestNew_P12Certificate(t *testing.T) {
	f := newFake(t)
	certPEM, keyPEM := chantest.ClientCert(t)
	pair, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM))
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	require.NoError(t, err)
	dir := t.TempDir()
	for name, enc := range map[string]*pkcs12.Encoder{"legacy": pkcs12.LegacyDES, "modern": pkcs12.Modern} {
		t.Run(name, func(t *testing.T) {
			data, err := enc.Encode(pair.PrivateKey, leaf, nil, testMch)
			require.NoError(t, err)
			path := dir + "/" + name + ".p12"
			require.NoError(t, os.WriteFile(path, data, 0o600))
			cl, _ := newClient(t, f, func(c *Config) { c.CertPEM, c.KeyPEM, c.P12File = "", "", path })
			assert.True(t, cl.HasClientCert(), "the default password is the merchant number")
			f.mu.Lock()
			f.answer = func(_ string, q map[string]string) (int, string) { return 200, ok(q, map[string]string{"recall": "N"}) }
			f.mu.Unlock()
			res, err := cl.Reverse(context.Background(), app.OrderRef{OutTradeNo: "T1"})
			require.NoError(t, err)
			assert.Equal(t, app.OutcomeSuccess, res.Outcome)
			reqs := f.requests()
			assert.True(t, reqs[len(reqs)-1].withCert)

			cfg := testConfig(f, t)
			cfg.CertPEM, cfg.KeyPEM, cfg.P12File, cfg.P12Password = "", "", path, "wrong"
			_, err = New(cfg, nil)
			assert.ErrorContains(t, err, "wrong password")
		})
	}
}

func TestConsume_ReportsTheStatedAmount(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	ref := app.OrderRef{OutTradeNo: "D1", TransactionID: "4200001", Wallet: app.WalletWeChat, Deposit: true}
	req := app.ConsumeRequest{OrderRef: ref, Total: 50000, Amount: 32000}
	for name, c := range map[string]struct {
		extra   map[string]string
		outcome app.Outcome
		amount  app.Money
	}{
		"as asked":          {map[string]string{"transaction_id": "4200001", "consume_fee": "32000"}, app.OutcomeSuccess, 32000},
		"1 fen less":        {map[string]string{"transaction_id": "4200001", "consume_fee": "31999"}, app.OutcomeSuccess, 31999},
		"no consume_fee":    {map[string]string{"transaction_id": "4200001"}, app.OutcomeUnknown, 0},
		"another deposit":   {map[string]string{"transaction_id": "4200999", "consume_fee": "32000"}, app.OutcomeUnknown, 0},
		"SYSTEMERROR":       {map[string]string{"result_code": "FAIL", "err_code": "SYSTEMERROR"}, app.OutcomeUnknown, 0},
		"TRADE_STATE_ERROR": {map[string]string{"result_code": "FAIL", "err_code": "TRADE_STATE_ERROR"}, app.OutcomeFailed, 0},
	} {
		t.Run(name, func(t *testing.T) {
			f.mu.Lock()
			f.answer = func(_ string, q map[string]string) (int, string) { return 200, ok(q, c.extra) }
			f.mu.Unlock()
			res, err := cl.Consume(context.Background(), req)
			require.NoError(t, err)
			assert.Equal(t, c.outcome, res.Outcome, "%+v", res)
			assert.Equal(t, c.amount, res.Amount)
		})
	}
}

func TestQueryDepositOp(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	ref := app.OrderRef{OutTradeNo: "D1", TransactionID: "4200001", Wallet: app.WalletWeChat, Deposit: true}
	consume := app.DepositOpRef{OrderRef: ref, Kind: app.DepositOpConsume, OutRequestNo: "C1", Total: 50000, Amount: 32000}
	release := app.DepositOpRef{OrderRef: ref, Kind: app.DepositOpRelease, OutRequestNo: "U1", Total: 50000, Amount: 50000}
	type want struct {
		outcome  app.Outcome
		notFound bool
		amount   app.Money
	}
	cases := []struct {
		name  string
		op    app.DepositOpRef
		extra map[string]string
		want  want
	}{
		{"consume done", consume, map[string]string{"trade_state": "CONSUMED", "consume_fee": "32000", "transaction_id": "4200001", "time_consume": "20261121100000"}, want{app.OutcomeSuccess, false, 32000}},
		{"consume done for another amount", consume, map[string]string{"trade_state": "CONSUMED", "consume_fee": "31999", "transaction_id": "4200001"}, want{app.OutcomeSuccess, false, 31999}},
		{"consume done, then refunded", consume, map[string]string{"trade_state": "REFUND", "consume_fee": "32000", "transaction_id": "4200001"}, want{app.OutcomeSuccess, false, 32000}},
		{"consume accepted", consume, map[string]string{"trade_state": "SETTLING", "consume_fee": "32000", "transaction_id": "4200001"}, want{app.OutcomePending, false, 0}},
		{"consume: the rest did not go back", consume, map[string]string{"trade_state": "SETTLEMENTFAIL", "consume_fee": "32000", "transaction_id": "4200001"}, want{app.OutcomeUnknown, false, 0}},
		{"consume not made: still frozen", consume, map[string]string{"trade_state": "SUCCESS", "consume_fee": "0", "transaction_id": "4200001"}, want{app.OutcomeUnknown, true, 0}},
		{"consume not made: reversed", consume, map[string]string{"trade_state": "REVOKED", "transaction_id": "4200001"}, want{app.OutcomeUnknown, true, 0}},
		{"CONSUMED without consume_fee", consume, map[string]string{"trade_state": "CONSUMED", "transaction_id": "4200001"}, want{app.OutcomeUnknown, false, 0}},
		{"REFUND without consume_fee: consumed, amount unknown", consume, map[string]string{"trade_state": "REFUND", "transaction_id": "4200001"}, want{app.OutcomeUnknown, false, 0}},
		{"REFUND with consume_fee 0", consume, map[string]string{"trade_state": "REFUND", "consume_fee": "0", "transaction_id": "4200001"}, want{app.OutcomeUnknown, false, 0}},
		{"release done without a readable total_fee", release, map[string]string{"trade_state": "REVOKED", "total_fee": "5e4", "transaction_id": "4200001"}, want{app.OutcomeUnknown, false, 0}},
		{"frozen state with a consume_fee", consume, map[string]string{"trade_state": "SUCCESS", "consume_fee": "100", "transaction_id": "4200001"}, want{app.OutcomeUnknown, false, 0}},
		{"release done", release, map[string]string{"trade_state": "REVOKED", "total_fee": "50000", "transaction_id": "4200001"}, want{app.OutcomeSuccess, false, 50000}},
		{"release not made", release, map[string]string{"trade_state": "SUCCESS", "total_fee": "50000", "transaction_id": "4200001"}, want{app.OutcomeUnknown, true, 0}},
		{"release instead consumed", release, map[string]string{"trade_state": "CONSUMED", "consume_fee": "1", "total_fee": "50000", "transaction_id": "4200001"}, want{app.OutcomeUnknown, true, 0}},
		{"no such deposit", consume, map[string]string{"result_code": "FAIL", "err_code": "ORDERNOTEXIST"}, want{app.OutcomeUnknown, true, 0}},
		{"SYSTEMERROR", release, map[string]string{"result_code": "FAIL", "err_code": "SYSTEMERROR"}, want{app.OutcomeUnknown, false, 0}},
		{"another deposit", consume, map[string]string{"trade_state": "CONSUMED", "consume_fee": "32000", "transaction_id": "4200999"}, want{app.OutcomeUnknown, false, 0}},
		{"unknown state", consume, map[string]string{"trade_state": "WHATEVER", "transaction_id": "4200001"}, want{app.OutcomeUnknown, false, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.mu.Lock()
			f.answer = func(_ string, q map[string]string) (int, string) { return 200, ok(q, c.extra) }
			f.mu.Unlock()
			res, err := cl.QueryDepositOp(context.Background(), c.op)
			require.NoError(t, err)
			assert.Equal(t, c.want.outcome, res.Outcome, "%+v", res)
			assert.Equal(t, c.want.notFound, res.NotFound, "%+v", res)
			assert.Equal(t, c.want.amount, res.Amount)
			last := f.requests()[len(f.requests())-1]
			assert.Equal(t, "/deposit/orderquery", last.path)
			assert.Equal(t, SignHMACSHA256, last.params["sign_type"])
			assert.Equal(t, "4200001", last.params["transaction_id"])
		})
	}
	t.Run("unsigned CONSUMED is not believed", func(t *testing.T) {
		f.mu.Lock()
		f.answer = func(_ string, q map[string]string) (int, string) {
			return 200, string(encodeXML(base(q, map[string]string{"trade_state": "CONSUMED", "consume_fee": "32000"})))
		}
		f.mu.Unlock()
		res, err := cl.QueryDepositOp(context.Background(), consume)
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeUnknown, res.Outcome)
		assert.Equal(t, channel.CodeUnsigned, res.Code)
	})
	t.Run("bad input: nothing sent", func(t *testing.T) {
		n := len(f.requests())
		_, err := cl.QueryDepositOp(context.Background(), app.DepositOpRef{OrderRef: ref, Kind: "freeze"})
		assert.True(t, app.IsNotSent(err))
		_, err = cl.QueryDepositOp(context.Background(), app.DepositOpRef{Kind: app.DepositOpConsume})
		assert.True(t, app.IsNotSent(err))
		assert.Len(t, f.requests(), n)
	})
}

// Only the exact return_msg texts WeChat (and the sandbox, which copies
// them) write for a refusal of the credentials or the request format make
// an unsigned return_code FAIL a settings refusal; anything else, however
// close, stays unknown.
func TestGatewayRefusal_ExactTexts(t *testing.T) {
	for _, msg := range []string{"签名错误", "签名失败", " 签名错误\n", "appid和mch_id不匹配", "商户号mch_id与appid不匹配", "mch_id参数错误, 商户号不存在",
		"证书验证失败", "XML格式错误", "post数据为空", "请使用post方法", "编码格式错误", "参数格式校验错误",
		"签名类型错误, 只支持HMAC-SHA256", "sign_type参数错误", "sub_mch_id与mch_id不匹配", "appid不存在"} {
		assert.True(t, gatewayRefusal(msg), msg)
	}
	for _, msg := range []string{"", "系统繁忙", "system redesign", "SYSTEMERROR", "sign", "xml", "证书", "商户号", "签名错误了吗？没有，系统繁忙",
		"post", "编码", "No Bill Exist"} {
		assert.False(t, gatewayRefusal(msg), msg)
	}
}
