package alipay

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"cashier/app"
	"cashier/sync/channel"
	"cashier/sync/channel/internal/chantest"
)

const (
	testAppID = "2021000000000001"
	aliCode   = "281234567890123456"
)

var (
	keysOnce              sync.Once
	appKey, aliKey, evilK *rsa.PrivateKey
)

func keys(t testing.TB) {
	keysOnce.Do(func() {
		appKey = chantest.RSAKey(t, 2048)
		aliKey = chantest.RSAKey(t, 2048)
		evilK = chantest.RSAKey(t, 2048)
	})
}

// ---------------------------------------------------------------- fake server

type aliReq struct {
	method string
	params url.Values
	biz    map[string]any
}

type fakeAli struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []aliReq
	answer func(method string, biz map[string]any) string
	mode   string
	files  map[string][]byte // GET paths → bytes (bill archives)
}

func newFake(t *testing.T) *fakeAli {
	keys(t)
	f := &fakeAli{t: t, files: map[string][]byte{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAli) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		f.mu.Lock()
		data, ok := f.files[r.URL.Path]
		f.mu.Unlock()
		if !ok {
			w.WriteHeader(404)
			return
		}
		w.Write(data)
		return
	}
	body, _ := io.ReadAll(r.Body)
	form, err := url.ParseQuery(string(body))
	require.NoError(f.t, err)
	p := map[string]string{}
	for k := range form {
		p[k] = form.Get(k)
	}
	if !VerifyRSA2(&appKey.PublicKey, []byte(SignContent(p)), p["sign"]) {
		f.t.Errorf("request signature does not verify")
	}
	var biz map[string]any
	require.NoError(f.t, json.Unmarshal([]byte(p["biz_content"]), &biz))
	method := p["method"]
	f.mu.Lock()
	f.reqs = append(f.reqs, aliReq{method: method, params: form, biz: biz})
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
	out := answerFor(method, map[string]any{"code": "10000", "msg": "Success"})
	if answer != nil {
		out = answer(method, biz)
	}
	if mode == "truncate" {
		chantest.Truncate(w, []byte(out))
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	io.WriteString(w, out)
}

func (f *fakeAli) requests() []aliReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]aliReq(nil), f.reqs...)
}

// signedRaw wraps raw response bytes with a signature by key.
func signedRaw(method, raw string, key *rsa.PrivateKey) string {
	sig, _ := SignRSA2(key, []byte(raw))
	return fmt.Sprintf(`{"%s":%s,"sign":"%s"}`, ResponseKey(method), raw, sig)
}

func answerFor(method string, fields map[string]any) string {
	raw, _ := json.Marshal(fields)
	return signedRaw(method, string(raw), aliKey)
}

func testConfig(f *fakeAli) Config {
	return Config{
		GatewayURL: f.srv.URL + "/gateway.do", AppID: testAppID,
		PrivateKey:      channel.Secret(chantest.PKCS8PEM(appKey)),
		AlipayPublicKey: chantest.PublicPEM(&aliKey.PublicKey),
		StoreID:         "S01",
		HTTP:            channel.HTTPSettings{Timeout: 2 * time.Second},
	}
}

func newClient(t *testing.T, f *fakeAli, mutate func(*Config)) (*Client, *chantest.LogBuffer) {
	t.Helper()
	logs := &chantest.LogBuffer{}
	cfg := testConfig(f)
	cfg.Logger = logs.Logger()
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := New(cfg, app.NewManualClock(time.Date(2026, 11, 21, 10, 0, 0, 0, channel.Beijing)))
	require.NoError(t, err)
	return c, logs
}

func payReq() app.PayRequest {
	return app.PayRequest{OutTradeNo: "T20261121000001", AuthCode: aliCode, Wallet: app.WalletAlipay,
		Amount: 1250, Subject: "便利店-饮料", TerminalID: "POS-1", StaffID: "7"}
}

func paidFields(biz map[string]any) map[string]any {
	return map[string]any{"code": "10000", "msg": "Success", "trade_no": "2026112122001400000000000001",
		"out_trade_no": biz["out_trade_no"], "total_amount": biz["total_amount"], "gmt_payment": "2026-11-21 10:00:03",
		"buyer_logon_id": "159****5620"}
}

func bizFail(sub string) map[string]any {
	return map[string]any{"code": "40004", "msg": "Business Failed", "sub_code": sub, "sub_msg": "msg " + sub}
}

// ---------------------------------------------------------------- signing

func TestSignContent_AndVerify(t *testing.T) {
	keys(t)
	p := map[string]string{"app_id": "1", "method": "m", "sign": "x", "empty": "", "biz_content": `{"a":"b c"}`, "charset": "utf-8"}
	assert.Equal(t, `app_id=1&biz_content={"a":"b c"}&charset=utf-8&method=m`, SignContent(p))
	sig, err := SignRSA2(appKey, []byte("hello"))
	require.NoError(t, err)
	assert.True(t, VerifyRSA2(&appKey.PublicKey, []byte("hello"), sig))
	assert.False(t, VerifyRSA2(&appKey.PublicKey, []byte("hellO"), sig))
	assert.False(t, VerifyRSA2(&aliKey.PublicKey, []byte("hello"), sig))
	assert.False(t, VerifyRSA2(&appKey.PublicKey, []byte("hello"), "!!"))
}

func TestSplitResponse_RawBytes(t *testing.T) {
	raw := "{\n  \"code\" : \"10000\",\"msg\":\"Success\", \"subject\":\"\\u996e\\u6599\\/x\"\n}"
	body := `{"sign":"S","alipay_trade_pay_response":` + raw + `}`
	got, sign, err := SplitResponse([]byte(body), "alipay.trade.pay")
	require.NoError(t, err)
	assert.Equal(t, raw, string(got), "the exact bytes, whitespace and escapes included")
	assert.Equal(t, "S", sign)
	for _, bad := range []string{
		`{"alipay_trade_pay_response":{"code":"10000"},"alipay_trade_pay_response":{"code":"10000"},"sign":"S"}`,
		`{"alipay_trade_pay_response":{"code":"10000"},"error_response":{"code":"40002"},"sign":"S"}`,
		`{"alipay_trade_pay_response":{"code":"10000"},"sign":"S"} {}`,
		`{"alipay_trade_query_response":{"code":"10000"},"sign":"S"}`,
		`{"alipay_trade_pay_response":"x","sign":"S"}`,
		`[1]`, ``, `{"alipay_trade_pay_response":{"code":"10000"}`,
	} {
		_, _, err := SplitResponse([]byte(bad), "alipay.trade.pay")
		assert.Error(t, err, bad)
	}
}

// ---------------------------------------------------------------- pay

func TestPay_AnswerMapping(t *testing.T) {
	type tc struct {
		name    string
		mode    string
		answer  func(method string, biz map[string]any) string
		outcome app.Outcome
		code    string
		check   func(t *testing.T, r app.ChannelResult)
	}
	pay := func(fields func(biz map[string]any) map[string]any) func(string, map[string]any) string {
		return func(m string, biz map[string]any) string { return answerFor(m, fields(biz)) }
	}
	cases := []tc{
		{name: "10000 success", answer: pay(paidFields), outcome: app.OutcomeSuccess, code: "10000", check: func(t *testing.T, r app.ChannelResult) {
			assert.Equal(t, app.Money(1250), r.Amount)
			assert.Equal(t, "2026112122001400000000000001", r.TransactionID)
			assert.Equal(t, time.Date(2026, 11, 21, 10, 0, 3, 0, channel.Beijing).Unix(), r.FinishedAt.Unix())
		}},
		{name: "success with odd whitespace and escapes is verified over raw bytes", answer: func(m string, biz map[string]any) string {
			raw := fmt.Sprintf("{ \"code\" : \"10000\" ,\n\"msg\":\"Success\",\"trade_no\":\"2026\",\"out_trade_no\":\"%s\",\"total_amount\":\"12.50\",\"subject\":\"\\u996e\\/\"}", biz["out_trade_no"])
			return signedRaw(m, raw, aliKey)
		}, outcome: app.OutcomeSuccess},
		{name: "10003 is pending, not success", answer: pay(func(map[string]any) map[string]any {
			return map[string]any{"code": "10003", "msg": "order success pay inprocess"}
		}), outcome: app.OutcomePending, code: "10003"},
		{name: "20000 is unknown", answer: pay(func(map[string]any) map[string]any {
			return map[string]any{"code": "20000", "msg": "Service Currently Unavailable", "sub_code": "isp.unknow-error"}
		}), outcome: app.OutcomeUnknown},
		{name: "ACQ.SYSTEM_ERROR is unknown", answer: pay(func(map[string]any) map[string]any { return bizFail("ACQ.SYSTEM_ERROR") }),
			outcome: app.OutcomeUnknown, code: "ACQ.SYSTEM_ERROR"},
		{name: "ACQ.TRADE_HAS_SUCCESS then query success", answer: func(m string, biz map[string]any) string {
			if m == methodQuery {
				return answerFor(m, map[string]any{"code": "10000", "msg": "Success", "trade_status": "TRADE_SUCCESS", "trade_no": "2026Q",
					"out_trade_no": biz["out_trade_no"], "total_amount": "12.50"})
			}
			return answerFor(m, bizFail("ACQ.TRADE_HAS_SUCCESS"))
		}, outcome: app.OutcomeSuccess, check: func(t *testing.T, r app.ChannelResult) { assert.Equal(t, "2026Q", r.TransactionID) }},
		{name: "ACQ.TRADE_HAS_SUCCESS then query success for another amount is a mismatch", answer: func(m string, biz map[string]any) string {
			if m == methodQuery {
				return answerFor(m, map[string]any{"code": "10000", "msg": "Success", "trade_status": "TRADE_SUCCESS", "trade_no": "2026Q",
					"out_trade_no": biz["out_trade_no"], "total_amount": "0.01"})
			}
			return answerFor(m, bizFail("ACQ.TRADE_HAS_SUCCESS"))
		}, outcome: app.OutcomeUnknown, code: channel.CodeMismatch},
		{name: "ACQ.TRADE_HAS_SUCCESS then query waiting stays unknown", answer: func(m string, biz map[string]any) string {
			if m == methodQuery {
				return answerFor(m, map[string]any{"code": "10000", "msg": "Success", "trade_status": "WAIT_BUYER_PAY", "out_trade_no": biz["out_trade_no"]})
			}
			return answerFor(m, bizFail("ACQ.TRADE_HAS_SUCCESS"))
		}, outcome: app.OutcomeUnknown, code: "ACQ.TRADE_HAS_SUCCESS"},
		{name: "balance not enough fails", answer: pay(func(map[string]any) map[string]any { return bizFail("ACQ.BUYER_BALANCE_NOT_ENOUGH") }),
			outcome: app.OutcomeFailed, code: "ACQ.BUYER_BALANCE_NOT_ENOUGH"},
		{name: "trade closed needs a new number", answer: pay(func(map[string]any) map[string]any { return bizFail("ACQ.TRADE_HAS_CLOSE") }),
			outcome: app.OutcomeFailed, check: func(t *testing.T, r app.ChannelResult) { assert.True(t, r.NewOrderNo) }},
		{name: "signed 40002 is a settings refusal", answer: pay(func(map[string]any) map[string]any {
			return map[string]any{"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature", "sub_msg": "验签出错"}
		}), outcome: app.OutcomeFailed, code: "isv.invalid-signature", check: func(t *testing.T, r app.ChannelResult) {
			assert.True(t, r.ConfigError)
			assert.Contains(t, r.Message, "验签出错")
		}},
		{name: "signed error_response is a settings refusal", answer: func(m string, biz map[string]any) string {
			raw := `{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id"}`
			sig, _ := SignRSA2(aliKey, []byte(raw))
			return `{"error_response":` + raw + `,"sign":"` + sig + `"}`
		}, outcome: app.OutcomeFailed, code: "isv.invalid-app-id", check: func(t *testing.T, r app.ChannelResult) { assert.True(t, r.ConfigError) }},
		{name: "unsigned error_response 40002 invalid-signature is a settings refusal", answer: func(m string, biz map[string]any) string {
			return `{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature","sub_msg":"无效签名"}}`
		}, outcome: app.OutcomeFailed, code: "isv.invalid-signature", check: func(t *testing.T, r app.ChannelResult) {
			assert.True(t, r.ConfigError)
			assert.Contains(t, r.Message, "无效签名")
		}},
		{name: "a refusal quoting the verified string keeps the payment code out", answer: func(m string, biz map[string]any) string {
			return `{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature","sub_msg":"验签出错，网关生成的验签字符串为：app_id=1&biz_content={\"auth_code\":\"` + aliCode + `\"}"}}`
		}, outcome: app.OutcomeFailed, code: "isv.invalid-signature", check: func(t *testing.T, r app.ChannelResult) {
			assert.Contains(t, r.Message, "biz_content")
		}},
		{name: "a business failure quoting the payment code keeps it out", answer: pay(func(map[string]any) map[string]any {
			f := bizFail("ACQ.PAYMENT_AUTH_CODE_INVALID")
			f["sub_msg"] = "付款码 " + aliCode + " 无效"
			return f
		}), outcome: app.OutcomeFailed, code: "ACQ.PAYMENT_AUTH_CODE_INVALID"},
		{name: "unsigned error_response invalid-app-id is a settings refusal", answer: func(m string, biz map[string]any) string {
			return `{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id","sub_msg":"无效的AppID参数"}}`
		}, outcome: app.OutcomeFailed, code: "isv.invalid-app-id", check: func(t *testing.T, r app.ChannelResult) { assert.True(t, r.ConfigError) }},
		{name: "unsigned 20001 app auth token is a settings refusal", answer: func(m string, biz map[string]any) string {
			return fmt.Sprintf(`{"%s":{"code":"20001","msg":"Insufficient Token Permissions","sub_code":"aop.invalid-app-auth-token"}}`, ResponseKey(m))
		}, outcome: app.OutcomeFailed, code: "aop.invalid-app-auth-token", check: func(t *testing.T, r app.ChannelResult) { assert.True(t, r.ConfigError) }},
		{name: "unsigned 40004 is not believed", answer: func(m string, biz map[string]any) string {
			return fmt.Sprintf(`{"%s":{"code":"40004","msg":"Business Failed","sub_code":"ACQ.BUYER_BALANCE_NOT_ENOUGH"}}`, ResponseKey(m))
		}, outcome: app.OutcomeUnknown, code: channel.CodeUnsigned, check: func(t *testing.T, r app.ChannelResult) { assert.False(t, r.ConfigError) }},
		{name: "unsigned 40002 without a gateway sub_code is not believed", answer: func(m string, biz map[string]any) string {
			return `{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"ACQ.INVALID_PARAMETER"}}`
		}, outcome: app.OutcomeUnknown, code: channel.CodeUnsigned},
		{name: "AQC.SYSTEM_ERROR (the cancel table's spelling) is unknown", answer: pay(func(map[string]any) map[string]any { return bizFail("AQC.SYSTEM_ERROR") }),
			outcome: app.OutcomeUnknown, code: "AQC.SYSTEM_ERROR"},
		{name: "forged: signed with another key", answer: func(m string, biz map[string]any) string {
			raw, _ := json.Marshal(paidFields(biz))
			return signedRaw(m, string(raw), evilK)
		}, outcome: app.OutcomeUnknown, code: channel.CodeBadSign},
		{name: "unsigned", answer: func(m string, biz map[string]any) string {
			raw, _ := json.Marshal(paidFields(biz))
			return fmt.Sprintf(`{"%s":%s}`, ResponseKey(m), raw)
		}, outcome: app.OutcomeUnknown, code: channel.CodeUnsigned},
		{name: "wrongly signed: amount changed after signing", answer: func(m string, biz map[string]any) string {
			raw, _ := json.Marshal(paidFields(biz))
			sig, _ := SignRSA2(aliKey, raw)
			changed := strings.Replace(string(raw), `"12.50"`, `"0.01"`, 1)
			return fmt.Sprintf(`{"%s":%s,"sign":"%s"}`, ResponseKey(m), changed, sig)
		}, outcome: app.OutcomeUnknown, code: channel.CodeBadSign},
		{name: "unsigned 10000 next to a signed other member", answer: func(m string, biz map[string]any) string {
			raw, _ := json.Marshal(paidFields(biz))
			other := `{"code":"40004"}`
			sig, _ := SignRSA2(aliKey, []byte(other))
			return fmt.Sprintf(`{"%s":%s,"alipay_trade_query_response":%s,"sign":"%s"}`, ResponseKey(m), raw, other, sig)
		}, outcome: app.OutcomeUnknown, code: channel.CodeBadSign},
		{name: "duplicate response member", answer: func(m string, biz map[string]any) string {
			raw, _ := json.Marshal(paidFields(biz))
			sig, _ := SignRSA2(aliKey, raw)
			return fmt.Sprintf(`{"%s":{"code":"40004"},"%s":%s,"sign":"%s"}`, ResponseKey(m), ResponseKey(m), raw, sig)
		}, outcome: app.OutcomeUnknown, code: channel.CodeMalformed},
		{name: "signed success with a different amount", answer: pay(func(biz map[string]any) map[string]any {
			p := paidFields(biz)
			p["total_amount"] = "0.01"
			return p
		}), outcome: app.OutcomeUnknown, code: channel.CodeMismatch},
		{name: "signed success for another order", answer: pay(func(biz map[string]any) map[string]any {
			p := paidFields(biz)
			p["out_trade_no"] = "OTHER"
			return p
		}), outcome: app.OutcomeUnknown, code: channel.CodeMismatch},
		{name: "signed success with a malformed amount", answer: pay(func(biz map[string]any) map[string]any {
			p := paidFields(biz)
			p["total_amount"] = "12.5.0"
			return p
		}), outcome: app.OutcomeUnknown, code: channel.CodeMismatch},
		{name: "not JSON", answer: func(string, map[string]any) string { return "<html>502</html>" }, outcome: app.OutcomeUnknown, code: channel.CodeMalformed},
		{name: "truncated", mode: "truncate", answer: pay(paidFields), outcome: app.OutcomeUnknown, code: channel.CodeTransport},
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
			switch res.Code {
			case channel.CodeBadSign, channel.CodeUnsigned, channel.CodeMalformed, channel.CodeMismatch, channel.CodeTransport:
				assert.Contains(t, logs.String(), "not trusted")
			}
			assert.NotContains(t, logs.String(), aliCode)
			assert.NotContains(t, res.Code+res.Message, aliCode, "the payment code never reaches a result")
		})
	}
}

func TestPay_RequestFields(t *testing.T) {
	f := newFake(t)
	f.mu.Lock()
	f.answer = func(m string, biz map[string]any) string { return answerFor(m, paidFields(biz)) }
	f.mu.Unlock()
	cl, _ := newClient(t, f, nil)
	_, err := cl.Pay(context.Background(), payReq())
	require.NoError(t, err)
	q := f.requests()[0]
	assert.Equal(t, methodPay, q.method)
	for k, v := range map[string]string{"app_id": testAppID, "format": "JSON", "charset": "utf-8", "sign_type": "RSA2",
		"version": "1.0", "timestamp": "2026-11-21 10:00:00"} {
		assert.Equal(t, v, q.params.Get(k), k)
	}
	assert.Equal(t, map[string]any{"out_trade_no": "T20261121000001", "scene": "bar_code", "auth_code": aliCode,
		"subject": "便利店-饮料", "total_amount": "12.50", "store_id": "S01", "terminal_id": "POS-1", "operator_id": "7"}, q.biz)

	// The store payment mode "total + non-discountable": the part no
	// promotion may touch goes as undiscountable_amount.
	r := payReq()
	r.OutTradeNo, r.Undiscountable = "T20261121000002", 250
	_, err = cl.Pay(context.Background(), r)
	require.NoError(t, err)
	assert.Equal(t, "2.50", f.requests()[1].biz["undiscountable_amount"])
}

func TestPay_BadInput_NothingSent(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	for name, mutate := range map[string]func(*app.PayRequest){
		"wechat wallet":                   func(r *app.PayRequest) { r.Wallet = app.WalletWeChat },
		"amount 0":                        func(r *app.PayRequest) { r.Amount = 0 },
		"over the ceiling":                func(r *app.PayRequest) { r.Amount = app.DefaultCeiling + 1 },
		"wechat code":                     func(r *app.PayRequest) { r.AuthCode = "134567890123456789" },
		"no subject":                      func(r *app.PayRequest) { r.Subject = " " },
		"subject with &":                  func(r *app.PayRequest) { r.Subject = "a&b" },
		"bad order number":                func(r *app.PayRequest) { r.OutTradeNo = "T-1" },
		"undiscountable above the amount": func(r *app.PayRequest) { r.Undiscountable = r.Amount + 1 },
		"negative undiscountable":         func(r *app.PayRequest) { r.Undiscountable = -1 },
		"undiscountable on a deposit":     func(r *app.PayRequest) { r.Deposit, r.Undiscountable = true, 1 },
	} {
		t.Run(name, func(t *testing.T) {
			r := payReq()
			mutate(&r)
			_, err := cl.Pay(context.Background(), r)
			assert.True(t, app.IsNotSent(err), "%v", err)
		})
	}
	assert.Empty(t, f.requests())
}

// ---------------------------------------------------------------- query / cancel / refund

func TestQuery_TradeStatus(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	for status, want := range map[string]struct {
		o     app.Outcome
		state string
	}{
		"TRADE_SUCCESS": {app.OutcomeSuccess, "PAID"}, "TRADE_FINISHED": {app.OutcomeSuccess, "PAID"},
		"WAIT_BUYER_PAY": {app.OutcomePending, "PAYING"}, "TRADE_CLOSED": {app.OutcomeFailed, "CLOSED"},
		"SOMETHING": {app.OutcomeUnknown, ""},
	} {
		t.Run(status, func(t *testing.T) {
			f.mu.Lock()
			f.answer = func(m string, biz map[string]any) string {
				return answerFor(m, map[string]any{"code": "10000", "msg": "Success", "trade_status": status, "trade_no": "2026",
					"out_trade_no": "T1", "total_amount": "12.50", "send_pay_date": "2026-11-21 10:00:03"})
			}
			f.mu.Unlock()
			res, err := cl.Query(context.Background(), app.OrderRef{OutTradeNo: "T1", Wallet: app.WalletAlipay})
			require.NoError(t, err)
			assert.Equal(t, want.o, res.Outcome)
			assert.Equal(t, want.state, res.TradeState)
		})
	}
	t.Run("trade not exist is unknown and NotFound", func(t *testing.T) {
		f.mu.Lock()
		f.answer = func(m string, _ map[string]any) string { return answerFor(m, bizFail("ACQ.TRADE_NOT_EXIST")) }
		f.mu.Unlock()
		res, err := cl.Query(context.Background(), app.OrderRef{OutTradeNo: "T1"})
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeUnknown, res.Outcome)
		assert.Equal(t, "ACQ.TRADE_NOT_EXIST", res.Code)
		assert.True(t, res.NotFound)
	})
	t.Run("system error is not NotFound", func(t *testing.T) {
		f.mu.Lock()
		f.answer = func(m string, _ map[string]any) string { return answerFor(m, bizFail("ACQ.SYSTEM_ERROR")) }
		f.mu.Unlock()
		res, err := cl.Query(context.Background(), app.OrderRef{OutTradeNo: "T1"})
		require.NoError(t, err)
		assert.False(t, res.NotFound)
	})
	t.Run("a settings refusal of a query is unknown with ConfigError", func(t *testing.T) {
		f.mu.Lock()
		f.answer = func(m string, _ map[string]any) string {
			return `{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id"}}`
		}
		f.mu.Unlock()
		res, err := cl.Query(context.Background(), app.OrderRef{OutTradeNo: "T1"})
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeUnknown, res.Outcome)
		assert.True(t, res.ConfigError)
		assert.Equal(t, "isv.invalid-app-id", res.Code)
	})
}

func TestCancel_RetryFlagAndAction(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	cases := []struct {
		name    string
		fields  map[string]any
		outcome app.Outcome
		retry   bool
		state   string
	}{
		{"closed", map[string]any{"code": "10000", "msg": "Success", "retry_flag": "N", "action": "close", "out_trade_no": "T1"}, app.OutcomeSuccess, false, "CLOSED"},
		{"refunded", map[string]any{"code": "10000", "msg": "Success", "retry_flag": "N", "action": "refund", "out_trade_no": "T1"}, app.OutcomeSuccess, false, "REVOKED"},
		{"retry_flag Y on 10000", map[string]any{"code": "10000", "msg": "Success", "retry_flag": "Y"}, app.OutcomeUnknown, true, ""},
		{"retry_flag Y on 40004", map[string]any{"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.SYSTEM_ERROR", "retry_flag": "Y"}, app.OutcomeUnknown, true, ""},
		{"cannot cancel", map[string]any{"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.REASON_TRADE_BEEN_FREEZEN", "retry_flag": "N"}, app.OutcomeFailed, false, ""},
		{"AQC.SYSTEM_ERROR without retry_flag", map[string]any{"code": "40004", "msg": "Business Failed", "sub_code": "AQC.SYSTEM_ERROR"}, app.OutcomeUnknown, false, ""},
		{"AQC.SYSTEM_ERROR with retry_flag Y", map[string]any{"code": "40004", "msg": "Business Failed", "sub_code": "AQC.SYSTEM_ERROR", "retry_flag": "Y"}, app.OutcomeUnknown, true, ""},
		{"20000", map[string]any{"code": "20000", "msg": "Service Currently Unavailable"}, app.OutcomeUnknown, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.mu.Lock()
			f.answer = func(m string, _ map[string]any) string { return answerFor(m, c.fields) }
			f.mu.Unlock()
			res, err := cl.Reverse(context.Background(), app.OrderRef{OutTradeNo: "T1", Wallet: app.WalletAlipay})
			require.NoError(t, err)
			assert.Equal(t, c.outcome, res.Outcome)
			assert.Equal(t, c.retry, res.Retry)
			assert.Equal(t, c.state, res.TradeState)
		})
	}
	assert.Equal(t, methodCancel, f.requests()[0].method)
}

func TestRefund_FundChange(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	req := app.RefundRequest{OrderRef: app.OrderRef{OutTradeNo: "T1", Wallet: app.WalletAlipay}, OutRefundNo: "R1", Total: 1250, Amount: 250, Reason: "退货"}
	ok := func(extra map[string]any) map[string]any {
		m := map[string]any{"code": "10000", "msg": "Success", "out_trade_no": "T1", "trade_no": "2026"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	for name, c := range map[string]struct {
		fields  map[string]any
		outcome app.Outcome
		amount  app.Money
		code    string
	}{
		"fund_change Y": {fields: ok(map[string]any{"fund_change": "Y", "refund_fee": "2.50", "send_back_fee": "2.50"}), outcome: app.OutcomeSuccess, amount: 250},
		// Every repeat of a refund number answers fund_change=N.
		"fund_change N": {fields: ok(map[string]any{"fund_change": "N", "refund_fee": "2.50"}), outcome: app.OutcomeUnknown, code: "10000"},
		// refund_fee counts every refund of the trade; only send_back_fee is this one's.
		"fund_change Y without send_back_fee": {fields: ok(map[string]any{"fund_change": "Y", "refund_fee": "2.50"}), outcome: app.OutcomeUnknown},
		"a larger amount is reported":         {fields: ok(map[string]any{"fund_change": "Y", "refund_fee": "12.50", "send_back_fee": "12.50"}), outcome: app.OutcomeSuccess, amount: 1250},
		"a smaller amount is reported":        {fields: ok(map[string]any{"fund_change": "Y", "refund_fee": "2.49", "send_back_fee": "2.49"}), outcome: app.OutcomeSuccess, amount: 249},
		"another order":                       {fields: ok(map[string]any{"fund_change": "Y", "out_trade_no": "T9", "send_back_fee": "2.50"}), outcome: app.OutcomeUnknown, code: channel.CodeMismatch},
		"system error":                        {fields: bizFail("ACQ.SYSTEM_ERROR"), outcome: app.OutcomeUnknown},
		"seller broke":                        {fields: bizFail("ACQ.SELLER_BALANCE_NOT_ENOUGH"), outcome: app.OutcomeFailed, code: "ACQ.SELLER_BALANCE_NOT_ENOUGH"},
		"20000":                               {fields: map[string]any{"code": "20000", "msg": "x"}, outcome: app.OutcomeUnknown},
	} {
		t.Run(name, func(t *testing.T) {
			f.mu.Lock()
			f.answer = func(m string, _ map[string]any) string { return answerFor(m, c.fields) }
			f.mu.Unlock()
			res, err := cl.Refund(context.Background(), req)
			require.NoError(t, err)
			assert.Equal(t, c.outcome, res.Outcome, "%+v", res)
			assert.Equal(t, c.amount, res.Amount)
			if c.code != "" {
				assert.Equal(t, c.code, res.Code)
			}
			if name == "fund_change N" {
				assert.NotContains(t, strings.ToLower(res.Message), "error")
				assert.Contains(t, res.Message, "refund query")
			}
		})
	}
	t.Run("another trade number", func(t *testing.T) {
		f.mu.Lock()
		f.answer = func(m string, _ map[string]any) string {
			return answerFor(m, ok(map[string]any{"fund_change": "Y", "send_back_fee": "2.50", "trade_no": "2026OTHER"}))
		}
		f.mu.Unlock()
		r := req
		r.TransactionID = "2026"
		res, err := cl.Refund(context.Background(), r)
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeUnknown, res.Outcome)
		assert.Equal(t, channel.CodeMismatch, res.Code)
	})
	for name, body := range map[string]func(m string) string{
		"unsigned": func(m string) string {
			raw, _ := json.Marshal(ok(map[string]any{"fund_change": "Y", "send_back_fee": "2.50"}))
			return fmt.Sprintf(`{"%s":%s}`, ResponseKey(m), raw)
		},
		"badly signed": func(m string) string {
			raw, _ := json.Marshal(ok(map[string]any{"fund_change": "Y", "send_back_fee": "2.50"}))
			return signedRaw(m, string(raw), evilK)
		},
	} {
		t.Run(name+" never counts as refunded", func(t *testing.T) {
			f.mu.Lock()
			f.answer = func(m string, _ map[string]any) string { return body(m) }
			f.mu.Unlock()
			res, err := cl.Refund(context.Background(), req)
			require.NoError(t, err)
			assert.Equal(t, app.OutcomeUnknown, res.Outcome)
			assert.Zero(t, res.Amount)
		})
	}
	q := f.requests()[0]
	assert.Equal(t, methodRefund, q.method)
	assert.Equal(t, map[string]any{"out_trade_no": "T1", "refund_amount": "2.50", "out_request_no": "R1", "refund_reason": "退货",
		"query_options": []any{"refund_detail_item_list"}}, q.biz)

	for name, mutate := range map[string]func(*app.RefundRequest){
		"more than total": func(r *app.RefundRequest) { r.Amount = 1251 },
		"zero":            func(r *app.RefundRequest) { r.Amount = 0 },
		"no refund no":    func(r *app.RefundRequest) { r.OutRefundNo = "" },
		"no order":        func(r *app.RefundRequest) { r.OutTradeNo = "" },
	} {
		r := req
		mutate(&r)
		_, err := cl.Refund(context.Background(), r)
		assert.True(t, app.IsNotSent(err), name)
	}
}

func TestRefundQuery(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	req := app.RefundRequest{OrderRef: app.OrderRef{OutTradeNo: "T1"}, OutRefundNo: "R1", Amount: 250}
	success := map[string]any{"code": "10000", "msg": "Success", "out_trade_no": "T1", "trade_no": "2026", "refund_status": "REFUND_SUCCESS", "out_request_no": "R1", "refund_amount": "2.50", "gmt_refund_pay": "2026-11-21 10:01:00"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range success {
			m[a] = b
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for name, c := range map[string]struct {
		fields   map[string]any
		outcome  app.Outcome
		notFound bool
		amount   app.Money
	}{
		"REFUND_SUCCESS":                        {fields: success, outcome: app.OutcomeSuccess, amount: 250},
		"REFUND_SUCCESS for a larger amount":    {fields: with("refund_amount", "3.00"), outcome: app.OutcomeSuccess, amount: 300},
		"listed without refund_status":          {fields: with("refund_status", nil), outcome: app.OutcomeUnknown},
		"listed, another refund_status":         {fields: with("refund_status", "REFUND_PROCESSING"), outcome: app.OutcomeUnknown},
		"no refund data":                        {fields: map[string]any{"code": "10000", "msg": "Success", "out_trade_no": "T1", "trade_no": "2026"}, outcome: app.OutcomeUnknown, notFound: true},
		"bare 10000":                            {fields: map[string]any{"code": "10000", "msg": "Success"}, outcome: app.OutcomeUnknown, notFound: true},
		"another refund":                        {fields: with("out_request_no", "R2"), outcome: app.OutcomeUnknown},
		"another order":                         {fields: with("out_trade_no", "T9"), outcome: app.OutcomeUnknown},
		"REFUND_SUCCESS without out_request_no": {fields: with("out_request_no", nil), outcome: app.OutcomeUnknown},
		"REFUND_SUCCESS without an amount":      {fields: with("refund_amount", nil), outcome: app.OutcomeUnknown},
		"trade not exist":                       {fields: bizFail("ACQ.TRADE_NOT_EXIST"), outcome: app.OutcomeUnknown, notFound: true},
		"system error":                          {fields: bizFail("ACQ.SYSTEM_ERROR"), outcome: app.OutcomeUnknown},
	} {
		t.Run(name, func(t *testing.T) {
			f.mu.Lock()
			f.answer = func(m string, _ map[string]any) string { return answerFor(m, c.fields) }
			f.mu.Unlock()
			res, err := cl.RefundQuery(context.Background(), req)
			require.NoError(t, err)
			assert.Equal(t, c.outcome, res.Outcome, "%+v", res)
			assert.Equal(t, c.notFound, res.NotFound, "%+v", res)
			assert.Equal(t, c.amount, res.Amount)
		})
	}
	t.Run("unsigned REFUND_SUCCESS never counts", func(t *testing.T) {
		f.mu.Lock()
		f.answer = func(m string, _ map[string]any) string {
			raw, _ := json.Marshal(success)
			return fmt.Sprintf(`{"%s":%s}`, ResponseKey(m), raw)
		}
		f.mu.Unlock()
		res, err := cl.RefundQuery(context.Background(), req)
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeUnknown, res.Outcome)
		assert.False(t, res.NotFound)
	})
	q := f.requests()[0]
	assert.Equal(t, methodRefundQuery, q.method)
	assert.Equal(t, []any{"gmt_refund_pay"}, q.biz["query_options"])
}

// ---------------------------------------------------------------- deposits

func TestDeposit_FreezeConsumeReleaseCancel(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	f.mu.Lock()
	f.answer = func(m string, biz map[string]any) string {
		switch m {
		case methodFreeze:
			return answerFor(m, map[string]any{"code": "10000", "msg": "Success", "auth_no": "2026112110002001", "out_order_no": biz["out_order_no"],
				"operation_id": "20261121001", "out_request_no": biz["out_request_no"], "amount": biz["amount"], "status": "SUCCESS", "gmt_trans": "2026-11-21 10:00:05"})
		case methodAuthDetail:
			return answerFor(m, map[string]any{"code": "10000", "msg": "Success", "auth_no": "2026112110002001", "out_order_no": "D1",
				"order_status": "AUTHORIZED", "status": "SUCCESS", "amount": "500.00", "rest_amount": "500.00"})
		case methodPay:
			return answerFor(m, map[string]any{"code": "10000", "msg": "Success", "trade_no": "2026T", "out_trade_no": biz["out_trade_no"], "total_amount": biz["total_amount"]})
		case methodUnfreeze:
			return answerFor(m, map[string]any{"code": "10000", "msg": "Success", "auth_no": biz["auth_no"], "amount": biz["amount"], "status": "SUCCESS"})
		case methodAuthCancel:
			return answerFor(m, map[string]any{"code": "10000", "msg": "Success", "auth_no": "2026112110002001", "out_order_no": "D1", "action": "unfreeze"})
		}
		return answerFor(m, bizFail("UNEXPECTED"))
	}
	f.mu.Unlock()
	ctx := context.Background()
	r := payReq()
	r.OutTradeNo, r.Amount, r.Deposit = "D1", 50000, true
	res, err := cl.Pay(ctx, r)
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, res.Outcome)
	assert.Equal(t, "2026112110002001", res.TransactionID)
	ref := app.OrderRef{OutTradeNo: "D1", TransactionID: res.TransactionID, Wallet: app.WalletAlipay, Deposit: true}

	q, err := cl.Query(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, q.Outcome)

	cons, err := cl.Consume(ctx, app.ConsumeRequest{OrderRef: ref, OutRequestNo: "C1", Total: 50000, Amount: 32000})
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, cons.Outcome)
	assert.Equal(t, app.Money(32000), cons.Amount)

	rel, err := cl.Release(ctx, app.ReleaseRequest{OrderRef: ref, OutRequestNo: "U1", Amount: 18000})
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, rel.Outcome)

	rev, err := cl.Reverse(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, rev.Outcome)

	reqs := f.requests()
	require.Len(t, reqs, 5)
	assert.Equal(t, map[string]any{"auth_code": aliCode, "auth_code_type": "bar_code", "out_order_no": "D1", "out_request_no": "D1",
		"order_title": "便利店-饮料", "amount": "500.00", "product_code": "PRE_AUTH"}, reqs[0].biz)
	assert.Equal(t, methodAuthDetail, reqs[1].method)
	assert.Equal(t, methodPay, reqs[2].method)
	assert.Equal(t, "2026112110002001", reqs[2].biz["auth_no"])
	assert.Equal(t, "PRE_AUTH", reqs[2].biz["product_code"])
	assert.Equal(t, "COMPLETE", reqs[2].biz["auth_confirm_mode"])
	assert.Equal(t, "320.00", reqs[2].biz["total_amount"])
	assert.Equal(t, "C1", reqs[2].biz["out_trade_no"], "the capture is a new trade numbered by OutRequestNo")
	assert.Equal(t, map[string]any{"auth_no": "2026112110002001", "out_request_no": "U1", "amount": "180.00", "remark": "押金退还 / deposit released"}, reqs[3].biz)
	assert.Equal(t, methodAuthCancel, reqs[4].method)

	n := len(f.requests())
	_, err = cl.Consume(ctx, app.ConsumeRequest{OrderRef: app.OrderRef{OutTradeNo: "D1", Deposit: true}, OutRequestNo: "C2", Total: 5, Amount: 1})
	assert.True(t, app.IsNotSent(err), "no auth_no")
	_, err = cl.Consume(ctx, app.ConsumeRequest{OrderRef: ref, Total: 5, Amount: 1})
	assert.True(t, app.IsNotSent(err), "no OutRequestNo")
	_, err = cl.Release(ctx, app.ReleaseRequest{OrderRef: ref, OutRequestNo: "U2", Amount: 0})
	assert.True(t, app.IsNotSent(err))
	assert.Len(t, f.requests(), n)

	t.Run("freeze waiting for password", func(t *testing.T) {
		f.mu.Lock()
		f.answer = func(m string, biz map[string]any) string {
			return answerFor(m, map[string]any{"code": "10000", "msg": "Success", "auth_no": "X", "out_order_no": "D1", "status": "INIT"})
		}
		f.mu.Unlock()
		res, err := cl.Pay(ctx, r)
		require.NoError(t, err)
		assert.Equal(t, app.OutcomePending, res.Outcome)
	})
}

// ---------------------------------------------------------------- settings and secrets

func TestNew_RejectsMalformedKeys(t *testing.T) {
	f := newFake(t)
	small := chantest.RSAKey(t, 1024)
	good := testConfig(f)
	base64Only := strings.Join(strings.Split(chantest.PKCS1PEM(appKey), "\n")[1:len(strings.Split(chantest.PKCS1PEM(appKey), "\n"))-2], "")
	ok := good
	ok.PrivateKey = channel.Secret(base64Only)
	_, err := New(ok, nil)
	require.NoError(t, err, "the bare base64 the Alipay key tool prints is accepted")

	for name, c := range map[string]struct {
		mutate func(*Config)
		want   string
	}{
		"garbage private key":   {func(c *Config) { c.PrivateKey = "hello" }, "private key is malformed"},
		"empty private key":     {func(c *Config) { c.PrivateKey = "" }, "private key is malformed"},
		"1024-bit key":          {func(c *Config) { c.PrivateKey = channel.Secret(chantest.PKCS1PEM(small)) }, "2048"},
		"garbage public key":    {func(c *Config) { c.AlipayPublicKey = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----" }, "public key is malformed"},
		"app public key pasted": {func(c *Config) { c.AlipayPublicKey = chantest.PublicPEM(&appKey.PublicKey) }, "app's own public key"},
		"private key as public": {func(c *Config) { c.AlipayPublicKey = chantest.PKCS1PEM(aliKey) }, "public key is malformed"},
		"app id":                {func(c *Config) { c.AppID = "abc" }, "AppID"},
		"gateway":               {func(c *Config) { c.GatewayURL = "openapi.alipay.com" }, "URL"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := good
			c.mutate(&cfg)
			_, err := New(cfg, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.NotContains(t, err.Error(), "MII")
		})
	}
	assert.Empty(t, f.requests())
}

func TestSecrets_NeverInLogsErrorsOrPrints(t *testing.T) {
	f := newFake(t)
	cl, logs := newClient(t, f, func(c *Config) {
		c.HTTP.Timeout = 300 * time.Millisecond
		c.AppAuthToken = "201510BBaabdb44d8fd04607abf8d5931ec75D84"
	})
	keyLines := strings.Split(chantest.PKCS8PEM(appKey), "\n")
	var texts []string
	for _, mode := range []string{"", "drop", "slow", "http500", "truncate"} {
		f.mu.Lock()
		f.mode = mode
		f.mu.Unlock()
		for _, a := range []func(string, map[string]any) string{
			func(m string, biz map[string]any) string { return answerFor(m, paidFields(biz)) },
			func(m string, biz map[string]any) string { return answerFor(m, bizFail("X "+keyLines[2])) },
			func(m string, biz map[string]any) string { return `{"` + ResponseKey(m) + `":{"code":"10000"}}` },
		} {
			f.mu.Lock()
			f.answer = a
			f.mu.Unlock()
			res, err := cl.Pay(context.Background(), payReq())
			if err != nil {
				texts = append(texts, err.Error())
			}
			texts = append(texts, res.Code, res.Message)
		}
	}
	texts = append(texts, logs.String(), fmt.Sprintf("%v %+v %#v", cl.cfg, cl.cfg, cl.cfg))
	js, _ := json.Marshal(cl.cfg)
	texts = append(texts, string(js))
	all := strings.Join(texts, "\n")
	for _, l := range keyLines[1 : len(keyLines)-2] {
		assert.NotContains(t, all, l)
	}
	assert.NotContains(t, all, "201510BBaabdb44d8fd04607abf8d5931ec75D84")
	// the app auth token is sent (it is a request parameter), but never logged
	assert.Equal(t, "201510BBaabdb44d8fd04607abf8d5931ec75D84", f.requests()[0].params.Get("app_auth_token"))
}

// ---------------------------------------------------------------- bill

func gbk(s string) []byte {
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		panic(err)
	}
	return b
}

const detailCSV = "#支付宝业务明细查询\r\n#账号：[20880000000000000156]\r\n#起始日期：[2026年11月21日 00:00:00]   终止日期：[2026年11月22日 00:00:00]\r\n" +
	"#-----------------------------------------业务明细列表----------------------------------------\r\n" +
	"支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注\r\n" +
	"2026112122001400000000000001\t,T1\t,交易\t,饮料\t,2026-11-21 10:00:01\t,2026-11-21 10:00:03\t,S01\t,一号店\t,7\t,POS-1\t,159****5620\t,12.50\t,12.50\t,0.00\t,0.00\t,0.00\t,0.00\t,0.00\t,\t,0.00\t,0.00\t,\t,-0.08\t,0.00\t,\t\r\n" +
	"2026112122001400000000000001\t,T1\t,退款\t,饮料\t,2026-11-21 11:00:00\t,2026-11-21 11:00:01\t,S01\t,一号店\t,7\t,POS-1\t,159****5620\t,12.50\t,-2.50\t,0.00\t,0.00\t,0.00\t,0.00\t,0.00\t,\t,0.00\t,0.00\t,R1\t,0.02\t,0.00\t,\t\r\n" +
	"#-----------------------------------------业务明细列表结束------------------------------------\r\n" +
	"#交易合计：1笔，退款合计：1笔\r\n#导出时间：[2026年11月22日 09:00:00]\r\n"

const summaryCSV = "#支付宝业务汇总查询\r\n门店编号,门店名称,交易订单总笔数,退款订单总笔数,已收入笔数,订单金额（元）,商家实收（元）\r\nS01,一号店,1,1,1,10.00,10.00\r\n合计,,1,1,1,10.00,10.00\r\n#导出时间：[2026年11月22日 09:00:00]\r\n"

func billZip(t *testing.T, files map[string]string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, content := range files {
		w, err := zw.Create(name)
		require.NoError(t, err)
		w.Write(gbk(content))
	}
	require.NoError(t, zw.Close())
	return b.Bytes()
}

func TestBill_ParseZip(t *testing.T) {
	b, err := ParseBillZip(billZip(t, map[string]string{"20880000000000000156_20261121_业务明细.csv": detailCSV, "20880000000000000156_20261121_业务明细(汇总).csv": summaryCSV}))
	require.NoError(t, err)
	require.Len(t, b.Lines, 2)
	assert.Equal(t, 2, b.Count)
	assert.Equal(t, app.Money(1000), b.Total, "the summary's 合计 row")
	assert.Equal(t, app.BillLine{Time: time.Date(2026, 11, 21, 10, 0, 3, 0, channel.Beijing), OutTradeNo: "T1",
		TransactionID: "2026112122001400000000000001", Status: "SUCCESS", Amount: 1250, Fee: -8}, withUTC(b.Lines[0]))
	assert.Equal(t, "REFUND", b.Lines[1].Status)
	assert.Equal(t, app.Money(250), b.Lines[1].RefundAmount, "商家实收 of the refund row")
	assert.Equal(t, app.Money(1250), b.Lines[1].Amount, "订单金额 of a refund row is the order's")
	assert.Equal(t, "R1", b.Lines[1].OutRefundNo)

	only, err := ParseBillZip(billZip(t, map[string]string{"d.csv": detailCSV}))
	require.NoError(t, err)
	assert.Equal(t, app.Money(1250), only.Total, "without a summary file the total is the sum of the trades")

	_, err = ParseBillZip(billZip(t, map[string]string{"d.csv": strings.Replace(detailCSV, "#交易合计：1笔", "#交易合计：5笔", 1)}))
	assert.ErrorContains(t, err, "truncated")
	_, err = ParseBillZip(billZip(t, map[string]string{"d.csv": detailCSV[:strings.Index(detailCSV, "#----------------------------------------")+1]}))
	assert.Error(t, err)
	_, err = ParseBillZip([]byte("not a zip"))
	assert.Error(t, err)
}

func withUTC(l app.BillLine) app.BillLine {
	l.Time = time.Date(2026, 11, 21, 10, 0, 3, 0, channel.Beijing).Add(l.Time.Sub(time.Date(2026, 11, 21, 10, 0, 3, 0, channel.Beijing)))
	return l
}

func TestDownloadBill(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	f.files["/bill/20261121.zip"] = billZip(t, map[string]string{"d.csv": detailCSV, "s.csv": summaryCSV})
	f.mu.Lock()
	f.answer = func(m string, biz map[string]any) string {
		return answerFor(m, map[string]any{"code": "10000", "msg": "Success", "bill_download_url": f.srv.URL + "/bill/20261121.zip?token=abc"})
	}
	f.mu.Unlock()
	b, err := cl.DownloadBill(context.Background(), time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	assert.Len(t, b.Lines, 2)
	assert.Equal(t, app.ChannelAlipay, b.Channel)
	assert.Equal(t, map[string]any{"bill_type": "trade", "bill_date": "2026-11-21"}, f.requests()[0].biz)

	f.mu.Lock()
	f.answer = func(m string, biz map[string]any) string { return answerFor(m, bizFail("isp.bill_not_exist")) }
	f.mu.Unlock()
	_, err = cl.DownloadBill(context.Background(), time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC))
	assert.ErrorIs(t, err, channel.ErrNoBill)

	f.mu.Lock()
	f.answer = func(m string, biz map[string]any) string {
		return `{"` + ResponseKey(m) + `":{"code":"10000","bill_download_url":"http://evil.example/x.zip"}}`
	}
	f.mu.Unlock()
	_, err = cl.DownloadBill(context.Background(), time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC))
	assert.ErrorContains(t, err, "cannot be used", "an unsigned bill URL is not followed")
}

func TestDepositOps_ReportTheStatedAmount(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	ref := app.OrderRef{OutTradeNo: "D1", TransactionID: "2026112110002001", Wallet: app.WalletAlipay, Deposit: true}
	f.mu.Lock()
	f.answer = func(m string, biz map[string]any) string {
		switch m {
		case methodPay:
			return answerFor(m, map[string]any{"code": "10000", "msg": "Success", "trade_no": "2026T", "out_trade_no": biz["out_trade_no"], "total_amount": "319.99"})
		case methodUnfreeze:
			return answerFor(m, map[string]any{"code": "10000", "msg": "Success", "auth_no": biz["auth_no"], "out_request_no": biz["out_request_no"], "amount": "179.99", "status": "SUCCESS"})
		}
		return answerFor(m, bizFail("UNEXPECTED"))
	}
	f.mu.Unlock()
	cons, err := cl.Consume(context.Background(), app.ConsumeRequest{OrderRef: ref, OutRequestNo: "C1", Total: 50000, Amount: 32000})
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, cons.Outcome, "%+v", cons)
	assert.Equal(t, app.Money(31999), cons.Amount, "the capture as Alipay states it, not as asked")
	assert.Contains(t, cons.Message, "319.99")
	rel, err := cl.Release(context.Background(), app.ReleaseRequest{OrderRef: ref, OutRequestNo: "U1", Amount: 18000})
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, rel.Outcome)
	assert.Equal(t, app.Money(17999), rel.Amount)

	// A capture Alipay says is already made (ACQ.TRADE_HAS_SUCCESS): the
	// query's amount, as stated.
	f.mu.Lock()
	f.answer = func(m string, biz map[string]any) string {
		if m == methodQuery {
			return answerFor(m, map[string]any{"code": "10000", "msg": "Success", "trade_status": "TRADE_SUCCESS", "trade_no": "2026T",
				"out_trade_no": biz["out_trade_no"], "total_amount": "319.99"})
		}
		return answerFor(m, bizFail("ACQ.TRADE_HAS_SUCCESS"))
	}
	f.mu.Unlock()
	cons, err = cl.Consume(context.Background(), app.ConsumeRequest{OrderRef: ref, OutRequestNo: "C2", Total: 50000, Amount: 32000})
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, cons.Outcome, "%+v", cons)
	assert.Equal(t, app.Money(31999), cons.Amount)
	assert.Contains(t, cons.Message, "319.99")

	// A payment (not a capture) for another amount stays untrusted.
	f.mu.Lock()
	f.answer = func(m string, biz map[string]any) string {
		return answerFor(m, map[string]any{"code": "10000", "msg": "Success", "trade_no": "2026T", "out_trade_no": biz["out_trade_no"], "total_amount": "319.99"})
	}
	f.mu.Unlock()
	res, err := cl.Pay(context.Background(), payReq())
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeUnknown, res.Outcome)
	assert.Equal(t, channel.CodeMismatch, res.Code)
}

func TestQueryDepositOp(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	ref := app.OrderRef{OutTradeNo: "D1", TransactionID: "2026112110002001", Wallet: app.WalletAlipay, Deposit: true}
	consume := app.DepositOpRef{OrderRef: ref, Kind: app.DepositOpConsume, OutRequestNo: "C1", Total: 50000, Amount: 32000}
	release := app.DepositOpRef{OrderRef: ref, Kind: app.DepositOpRelease, OutRequestNo: "U1", Total: 50000, Amount: 18000}
	trade := func(extra map[string]any) map[string]any {
		m := map[string]any{"code": "10000", "msg": "Success", "trade_no": "2026T", "out_trade_no": "C1", "total_amount": "320.00", "send_pay_date": "2026-11-21 10:00:03"}
		for k, v := range extra {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	unfreeze := func(extra map[string]any) map[string]any {
		m := map[string]any{"code": "10000", "msg": "Success", "auth_no": "2026112110002001", "out_order_no": "D1", "out_request_no": "U1",
			"operation_type": "UNFREEZE", "status": "SUCCESS", "amount": "180.00", "gmt_trans": "2026-11-21 11:00:00", "order_status": "AUTHORIZED"}
		for k, v := range extra {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	type want struct {
		outcome  app.Outcome
		notFound bool
		amount   app.Money
		txn      string
	}
	cases := []struct {
		name   string
		op     app.DepositOpRef
		fields map[string]any
		want   want
	}{
		{"capture done", consume, trade(map[string]any{"trade_status": "TRADE_SUCCESS"}), want{app.OutcomeSuccess, false, 32000, "2026T"}},
		{"capture finished", consume, trade(map[string]any{"trade_status": "TRADE_FINISHED"}), want{app.OutcomeSuccess, false, 32000, "2026T"}},
		{"capture done for another amount", consume, trade(map[string]any{"trade_status": "TRADE_SUCCESS", "total_amount": "319.99"}), want{app.OutcomeSuccess, false, 31999, "2026T"}},
		{"capture paid, then refunded in full", consume, trade(map[string]any{"trade_status": "TRADE_CLOSED"}), want{app.OutcomeSuccess, false, 32000, "2026T"}},
		{"capture closed unpaid", consume, trade(map[string]any{"trade_status": "TRADE_CLOSED", "send_pay_date": nil}), want{app.OutcomeFailed, false, 0, "2026T"}},
		{"capture waiting", consume, trade(map[string]any{"trade_status": "WAIT_BUYER_PAY", "send_pay_date": nil}), want{app.OutcomePending, false, 0, "2026T"}},
		{"no capture", consume, bizFail("ACQ.TRADE_NOT_EXIST"), want{app.OutcomeUnknown, true, 0, ""}},
		{"capture query system error", consume, bizFail("ACQ.SYSTEM_ERROR"), want{app.OutcomeUnknown, false, 0, ""}},
		{"another trade", consume, trade(map[string]any{"trade_status": "TRADE_SUCCESS", "out_trade_no": "C9"}), want{app.OutcomeUnknown, false, 0, ""}},
		{"unfreeze done", release, unfreeze(nil), want{app.OutcomeSuccess, false, 18000, "2026112110002001"}},
		{"unfreeze done for another amount", release, unfreeze(map[string]any{"amount": "179.99"}), want{app.OutcomeSuccess, false, 17999, "2026112110002001"}},
		{"unfreeze in progress", release, unfreeze(map[string]any{"status": "INIT"}), want{app.OutcomePending, false, 0, "2026112110002001"}},
		{"unfreeze closed", release, unfreeze(map[string]any{"status": "CLOSED"}), want{app.OutcomeFailed, false, 0, "2026112110002001"}},
		{"no such unfreeze", release, bizFail("AUTH_OPERATION_NOT_EXIST"), want{app.OutcomeUnknown, true, 0, ""}},
		{"no such deposit", release, bizFail("AUTH_ORDER_NOT_EXIST"), want{app.OutcomeUnknown, true, 0, ""}},
		{"the freeze, not our unfreeze", release, unfreeze(map[string]any{"operation_type": "FREEZE", "out_request_no": "D1"}), want{app.OutcomeUnknown, false, 0, ""}},
		{"another unfreeze", release, unfreeze(map[string]any{"out_request_no": "U2"}), want{app.OutcomeUnknown, false, 0, ""}},
		{"another deposit", release, unfreeze(map[string]any{"auth_no": "2026OTHER"}), want{app.OutcomeUnknown, false, 0, ""}},
		{"unfreeze without out_request_no", release, unfreeze(map[string]any{"out_request_no": nil}), want{app.OutcomeUnknown, false, 0, ""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.mu.Lock()
			f.answer = func(m string, _ map[string]any) string { return answerFor(m, c.fields) }
			f.mu.Unlock()
			res, err := cl.QueryDepositOp(context.Background(), c.op)
			require.NoError(t, err)
			assert.Equal(t, c.want.outcome, res.Outcome, "%+v", res)
			assert.Equal(t, c.want.notFound, res.NotFound)
			assert.Equal(t, c.want.amount, res.Amount)
			if c.want.txn != "" {
				assert.Equal(t, c.want.txn, res.TransactionID)
			}
			last := f.requests()[len(f.requests())-1]
			if c.op.Kind == app.DepositOpConsume {
				assert.Equal(t, methodQuery, last.method)
				assert.Equal(t, map[string]any{"out_trade_no": "C1"}, last.biz, "the capture trade is numbered by the operation")
			} else {
				assert.Equal(t, methodAuthDetail, last.method)
				assert.Equal(t, map[string]any{"auth_no": "2026112110002001", "out_order_no": "D1", "out_request_no": "U1"}, last.biz)
			}
		})
	}
	t.Run("unsigned SUCCESS is not believed", func(t *testing.T) {
		f.mu.Lock()
		f.answer = func(m string, _ map[string]any) string {
			raw, _ := json.Marshal(unfreeze(nil))
			return fmt.Sprintf(`{"%s":%s}`, ResponseKey(m), raw)
		}
		f.mu.Unlock()
		res, err := cl.QueryDepositOp(context.Background(), release)
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeUnknown, res.Outcome)
		assert.Equal(t, channel.CodeUnsigned, res.Code)
	})
	t.Run("bad input: nothing sent", func(t *testing.T) {
		n := len(f.requests())
		_, err := cl.QueryDepositOp(context.Background(), app.DepositOpRef{OrderRef: ref, Kind: "freeze", OutRequestNo: "X"})
		assert.True(t, app.IsNotSent(err))
		_, err = cl.QueryDepositOp(context.Background(), app.DepositOpRef{OrderRef: ref, Kind: app.DepositOpConsume})
		assert.True(t, app.IsNotSent(err), "no operation number")
		_, err = cl.QueryDepositOp(context.Background(), app.DepositOpRef{Kind: app.DepositOpRelease, OutRequestNo: "U1"})
		assert.True(t, app.IsNotSent(err), "no deposit")
		assert.Len(t, f.requests(), n)
	})
}

// A member the client does not read may come as another JSON type than
// the pages show (operation_id as a number, say) without making a signed
// answer unreadable.
func TestAnswers_UnreadMembersOfAnotherType(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	f.mu.Lock()
	f.answer = func(m string, biz map[string]any) string {
		switch m {
		case methodFreeze:
			return answerFor(m, map[string]any{"code": "10000", "msg": "Success", "auth_no": "2026112110002001", "out_order_no": biz["out_order_no"],
				"operation_id": 20261121001, "out_request_no": 7, "amount": biz["amount"], "status": "SUCCESS"})
		case methodAuthDetail:
			return answerFor(m, map[string]any{"code": "10000", "msg": "Success", "auth_no": "2026112110002001", "out_order_no": "D1",
				"order_status": "AUTHORIZED", "status": "SUCCESS", "amount": "500.00", "operation_id": 1, "rest_amount": 500, "total_pay_amount": 0})
		case methodUnfreeze:
			return answerFor(m, map[string]any{"code": "10000", "msg": "Success", "auth_no": biz["auth_no"], "amount": biz["amount"], "status": "SUCCESS",
				"out_order_no": 1, "operation_id": 2})
		case methodAuthCancel:
			return answerFor(m, map[string]any{"code": "10000", "msg": "Success", "auth_no": "2026112110002001", "out_order_no": "D1", "action": "unfreeze",
				"operation_id": 3, "out_request_no": 4})
		case methodPay:
			return answerFor(m, map[string]any{"code": "10000", "msg": "Success", "trade_no": "2026T", "out_trade_no": biz["out_trade_no"],
				"total_amount": biz["total_amount"], "buyer_logon_id": 159})
		case methodRefund:
			return answerFor(m, map[string]any{"code": "10000", "msg": "Success", "trade_no": "2026T", "out_trade_no": biz["out_trade_no"],
				"fund_change": "Y", "send_back_fee": biz["refund_amount"], "refund_fee": 12.5})
		}
		return answerFor(m, bizFail("UNEXPECTED"))
	}
	f.mu.Unlock()
	ctx := context.Background()
	r := payReq()
	r.OutTradeNo, r.Amount, r.Deposit = "D1", 50000, true
	res, err := cl.Pay(ctx, r)
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, res.Outcome, "freeze %+v", res)
	ref := app.OrderRef{OutTradeNo: "D1", TransactionID: res.TransactionID, Wallet: app.WalletAlipay, Deposit: true}
	res, err = cl.Query(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, res.Outcome, "detail %+v", res)
	res, err = cl.Release(ctx, app.ReleaseRequest{OrderRef: ref, OutRequestNo: "U1", Amount: 100})
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, res.Outcome, "unfreeze %+v", res)
	res, err = cl.Reverse(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, res.Outcome, "auth cancel %+v", res)
	res, err = cl.Pay(ctx, payReq())
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, res.Outcome, "pay %+v", res)
	res, err = cl.Refund(ctx, app.RefundRequest{OrderRef: app.OrderRef{OutTradeNo: payReq().OutTradeNo, Wallet: app.WalletAlipay},
		OutRefundNo: "R1", Total: 1250, Amount: 100})
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, res.Outcome, "refund %+v", res)
}
