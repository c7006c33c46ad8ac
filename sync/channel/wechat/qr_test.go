package wechat

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/sync/channel"
)

// The client's clock in newClient.
var qrNow = time.Date(2026, 11, 21, 10, 0, 0, 0, channel.Beijing)

func qrReq() app.PrecreateRequest {
	return app.PrecreateRequest{OutTradeNo: "T20261121000009", Wallet: app.WalletWeChat, Amount: 1250,
		Subject: "便利店-饮料", TerminalID: "POS-1", StaffID: "7", ExpiresAt: qrNow.Add(2*time.Minute + 300*time.Millisecond)}
}

func TestPrecreate_RequestIsANativeUnifiedOrder(t *testing.T) {
	f := newFake(t)
	f.answer = func(path string, req map[string]string) (int, string) {
		return 200, ok(req, map[string]string{"trade_type": "NATIVE", "prepay_id": "wx201410272009395522657a690389285100",
			"code_url": "weixin://wxpay/bizpayurl?pr=abc1234"})
	}
	c, _ := newClient(t, f, nil)
	res, err := c.Precreate(context.Background(), qrReq())
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, res.Outcome)
	assert.Equal(t, "weixin://wxpay/bizpayurl?pr=abc1234", res.CodeURL)
	assert.Equal(t, qrNow.Add(2*time.Minute), res.ExpiresAt.In(channel.Beijing), "to the second, as sent")

	reqs := f.requests()
	require.Len(t, reqs, 1)
	p := reqs[0].params
	assert.Equal(t, "/pay/unifiedorder", reqs[0].path)
	assert.False(t, reqs[0].withCert, "unifiedorder needs no certificate")
	for k, want := range map[string]string{
		"trade_type": "NATIVE", "product_id": "T20261121000009", "out_trade_no": "T20261121000009", "total_fee": "1250",
		"fee_type": "CNY", "body": "便利店-饮料", "sub_mch_id": testSub, "mch_id": testMch, "appid": testAppID,
		"time_expire": "20261121100200", "spbill_create_ip": "192.168.1.20", "device_info": "POS-1",
		"notify_url": DefaultNotifyURL,
	} {
		assert.Equal(t, want, p[k], k)
	}
	assert.Empty(t, p["auth_code"])

	// A repeat of the request after a lost answer is the same request.
	_, err = c.Precreate(context.Background(), qrReq())
	require.NoError(t, err)
	second := f.requests()[1].params
	for _, k := range []string{"time_expire", "total_fee", "body", "product_id", "out_trade_no"} {
		assert.Equal(t, p[k], second[k], k)
	}
}

func TestPrecreate_AnswerMapping(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answer  func(req map[string]string) string
		outcome app.Outcome
		check   func(t *testing.T, r app.QRResult)
	}{
		{"bad signature", func(req map[string]string) string {
			return signedWith(otherKey, req["sign_type"], base(req, map[string]string{"code_url": "weixin://wxpay/bizpayurl?pr=x"}))
		}, app.OutcomeUnknown, func(t *testing.T, r app.QRResult) {
			assert.Equal(t, channel.CodeBadSign, r.Code)
			assert.Empty(t, r.CodeURL, "a code from an answer that does not verify is never shown")
		}},
		{"unsigned", func(req map[string]string) string {
			p := base(req, map[string]string{"code_url": "weixin://wxpay/bizpayurl?pr=x"})
			return string(encodeXML(p))
		}, app.OutcomeUnknown, func(t *testing.T, r app.QRResult) { assert.Empty(t, r.CodeURL) }},
		{"another order", func(req map[string]string) string {
			p := base(req, map[string]string{"code_url": "weixin://wxpay/bizpayurl?pr=x"})
			p["out_trade_no"] = "SOMEONEELSE01"
			return signedWith(testKey, req["sign_type"], p)
		}, app.OutcomeUnknown, func(t *testing.T, r app.QRResult) {
			assert.Equal(t, channel.CodeMismatch, r.Code)
			assert.Empty(t, r.CodeURL)
		}},
		{"success without code_url", func(req map[string]string) string { return ok(req, nil) },
			app.OutcomeUnknown, func(t *testing.T, r app.QRResult) { assert.Equal(t, channel.CodeMalformed, r.Code) }},
		{"another trade type", func(req map[string]string) string {
			return ok(req, map[string]string{"trade_type": "JSAPI", "code_url": "weixin://wxpay/bizpayurl?pr=x"})
		}, app.OutcomeUnknown, nil},
		{"system error", func(req map[string]string) string { return fail(req, "SYSTEMERROR") }, app.OutcomeUnknown, nil},
		{"already paid: the query decides", func(req map[string]string) string { return fail(req, "ORDERPAID") },
			app.OutcomeUnknown, func(t *testing.T, r app.QRResult) { assert.Equal(t, "ORDERPAID", r.Code) }},
		{"closed", func(req map[string]string) string { return fail(req, "ORDERCLOSED") }, app.OutcomeFailed,
			func(t *testing.T, r app.QRResult) {
				assert.Equal(t, "CLOSED", r.TradeState)
				assert.True(t, r.NewOrderNo)
			}},
		{"same number, other content", func(req map[string]string) string { return fail(req, "INVALID_REQUEST") },
			app.OutcomeFailed, func(t *testing.T, r app.QRResult) { assert.True(t, r.NewOrderNo) }},
		{"settings refused", func(req map[string]string) string { return fail(req, "NOAUTH") }, app.OutcomeFailed,
			func(t *testing.T, r app.QRResult) { assert.True(t, r.ConfigError) }},
		{"unknown code", func(req map[string]string) string { return fail(req, "SOMETHING_NEW") }, app.OutcomeUnknown, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.answer = func(path string, req map[string]string) (int, string) { return 200, tc.answer(req) }
			c, _ := newClient(t, f, func(c *Config) { c.Logger = discardLogger() })
			res, err := c.Precreate(context.Background(), qrReq())
			require.NoError(t, err)
			assert.Equal(t, tc.outcome, res.Outcome, "%+v", res)
			if res.Outcome != app.OutcomeSuccess {
				assert.Empty(t, res.CodeURL)
				assert.True(t, res.ExpiresAt.IsZero())
			}
			if tc.check != nil {
				tc.check(t, res)
			}
		})
	}
}

func TestPrecreate_TransportFailuresAreUnknown(t *testing.T) {
	for _, mode := range []string{"drop", "http500", "truncate"} {
		t.Run(mode, func(t *testing.T) {
			f := newFake(t)
			f.mode = mode
			c, _ := newClient(t, f, func(c *Config) { c.Logger = discardLogger() })
			res, err := c.Precreate(context.Background(), qrReq())
			require.NoError(t, err)
			assert.Equal(t, app.OutcomeUnknown, res.Outcome)
			assert.Empty(t, res.CodeURL)
		})
	}
}

func TestPrecreate_RefusedBeforeSending(t *testing.T) {
	f := newFake(t)
	c, _ := newClient(t, f, nil)
	for name, mutate := range map[string]func(*app.PrecreateRequest){
		"alipay wallet":  func(r *app.PrecreateRequest) { r.Wallet = app.WalletAlipay },
		"bad number":     func(r *app.PrecreateRequest) { r.OutTradeNo = "T 1" },
		"zero":           func(r *app.PrecreateRequest) { r.Amount = 0 },
		"no body":        func(r *app.PrecreateRequest) { r.Subject = "" },
		"expired":        func(r *app.PrecreateRequest) { r.ExpiresAt = qrNow },
		"no expiry":      func(r *app.PrecreateRequest) { r.ExpiresAt = time.Time{} },
		"too long":       func(r *app.PrecreateRequest) { r.ExpiresAt = qrNow.Add(3 * time.Hour) },
		"undiscountable": func(r *app.PrecreateRequest) { r.Undiscountable = 100 },
		"bad ip":         func(r *app.PrecreateRequest) { r.ClientIP = "pos-1" },
	} {
		r := qrReq()
		mutate(&r)
		_, err := c.Precreate(context.Background(), r)
		assert.True(t, app.IsNotSent(err), "%s: %v", name, err)
	}
	assert.Empty(t, f.requests(), "nothing was sent")
}

func TestCloseQR_AnswerMapping(t *testing.T) {
	for _, tc := range []struct {
		name     string
		answer   func(req map[string]string) string
		outcome  app.Outcome
		state    string
		notFound bool
		retry    bool
	}{
		{"closed", func(req map[string]string) string { return ok(req, nil) }, app.OutcomeSuccess, "CLOSED", false, false},
		{"already closed", func(req map[string]string) string { return fail(req, "ORDERCLOSED") }, app.OutcomeSuccess, "CLOSED", false, false},
		{"paid: refused, query it", func(req map[string]string) string { return fail(req, "ORDERPAID") }, app.OutcomeFailed, "", false, false},
		{"no such order", func(req map[string]string) string { return fail(req, "ORDERNOTEXIST") }, app.OutcomeUnknown, "", true, false},
		{"system error: again", func(req map[string]string) string { return fail(req, "SYSTEMERROR") }, app.OutcomeUnknown, "", false, true},
		{"bad signature", func(req map[string]string) string {
			return signedWith(otherKey, req["sign_type"], base(req, nil))
		}, app.OutcomeUnknown, "", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.answer = func(path string, req map[string]string) (int, string) {
				assert.Equal(t, "/pay/closeorder", path)
				return 200, tc.answer(req)
			}
			c, _ := newClient(t, f, func(c *Config) { c.Logger = discardLogger() })
			res, err := c.CloseQR(context.Background(), app.OrderRef{OutTradeNo: "T20261121000009", Wallet: app.WalletWeChat})
			require.NoError(t, err)
			assert.Equal(t, tc.outcome, res.Outcome)
			assert.Equal(t, tc.state, res.TradeState)
			assert.Equal(t, tc.notFound, res.NotFound)
			assert.Equal(t, tc.retry, res.Retry)
			reqs := f.requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, "T20261121000009", reqs[0].params["out_trade_no"])
			assert.False(t, reqs[0].withCert, "closeorder needs no certificate")
		})
	}
}

func TestNotifyURL_Validated(t *testing.T) {
	f := newFake(t)
	cfg := testConfig(f, t)
	for _, bad := range []string{"ftp://x.example/n", "https://x.example/n?a=1", "notify", "https:///n"} {
		cfg.NotifyURL = bad
		assert.Error(t, cfg.Validate(), bad)
	}
	cfg.NotifyURL = "https://pay.example.com/wxpay/notify"
	assert.NoError(t, cfg.Validate())
}
