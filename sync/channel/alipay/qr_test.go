package alipay

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
	return app.PrecreateRequest{OutTradeNo: "T20261121000009", Wallet: app.WalletAlipay, Amount: 1250,
		Subject: "便利店-饮料", TerminalID: "POS-1", StaffID: "7", Undiscountable: 300,
		ExpiresAt: qrNow.Add(3*time.Minute + 500*time.Millisecond)}
}

func precreated(biz map[string]any) map[string]any {
	return map[string]any{"code": "10000", "msg": "Success", "out_trade_no": biz["out_trade_no"],
		"qr_code": "https://qr.alipay.com/bax03431ljhokirwl38f00a7"}
}

func TestPrecreate_Request(t *testing.T) {
	f := newFake(t)
	f.answer = func(method string, biz map[string]any) string { return answerFor(method, precreated(biz)) }
	c, _ := newClient(t, f, nil)
	res, err := c.Precreate(context.Background(), qrReq())
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeSuccess, res.Outcome)
	assert.Equal(t, "https://qr.alipay.com/bax03431ljhokirwl38f00a7", res.CodeURL)
	assert.Equal(t, qrNow.Add(3*time.Minute), res.ExpiresAt.In(channel.Beijing))

	reqs := f.requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "alipay.trade.precreate", reqs[0].method)
	b := reqs[0].biz
	for k, want := range map[string]any{
		"out_trade_no": "T20261121000009", "total_amount": "12.50", "subject": "便利店-饮料", "undiscountable_amount": "3.00",
		"store_id": "S01", "terminal_id": "POS-1", "operator_id": "7", "time_expire": "2026-11-21 10:03:00",
	} {
		assert.Equal(t, want, b[k], k)
	}
	assert.NotContains(t, b, "auth_code")
	assert.NotContains(t, b, "scene")

	r := qrReq()
	r.Undiscountable = 0
	_, err = c.Precreate(context.Background(), r)
	require.NoError(t, err)
	assert.NotContains(t, f.requests()[1].biz, "undiscountable_amount", "left out when there is none")
}

func TestPrecreate_AnswerMapping(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answer  func(method string, biz map[string]any) string
		outcome app.Outcome
		check   func(t *testing.T, r app.QRResult)
	}{
		{"bad signature", func(m string, biz map[string]any) string {
			raw := `{"code":"10000","msg":"Success","out_trade_no":"T20261121000009","qr_code":"https://qr.alipay.com/x"}`
			return signedRaw(m, raw, evilK)
		}, app.OutcomeUnknown, func(t *testing.T, r app.QRResult) { assert.Equal(t, channel.CodeBadSign, r.Code) }},
		{"another order", func(m string, biz map[string]any) string {
			a := precreated(biz)
			a["out_trade_no"] = "SOMEONEELSE"
			return answerFor(m, a)
		}, app.OutcomeUnknown, func(t *testing.T, r app.QRResult) { assert.Equal(t, channel.CodeMismatch, r.Code) }},
		{"no qr_code", func(m string, biz map[string]any) string {
			a := precreated(biz)
			delete(a, "qr_code")
			return answerFor(m, a)
		}, app.OutcomeUnknown, nil},
		{"system error", func(m string, biz map[string]any) string {
			return answerFor(m, map[string]any{"code": "20000", "msg": "Service Currently Unavailable", "sub_code": "ACQ.SYSTEM_ERROR"})
		}, app.OutcomeUnknown, nil},
		{"already paid: the query decides", func(m string, biz map[string]any) string {
			return answerFor(m, bizFail("ACQ.TRADE_HAS_SUCCESS"))
		}, app.OutcomeUnknown, nil},
		{"closed", func(m string, biz map[string]any) string { return answerFor(m, bizFail("ACQ.TRADE_HAS_CLOSE")) },
			app.OutcomeFailed, func(t *testing.T, r app.QRResult) { assert.True(t, r.NewOrderNo) }},
		{"forbidden", func(m string, biz map[string]any) string { return answerFor(m, bizFail("ACQ.ACCESS_FORBIDDEN")) },
			app.OutcomeFailed, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.answer = tc.answer
			c, _ := newClient(t, f, nil)
			res, err := c.Precreate(context.Background(), qrReq())
			require.NoError(t, err)
			assert.Equal(t, tc.outcome, res.Outcome, "%+v", res)
			if res.Outcome != app.OutcomeSuccess {
				assert.Empty(t, res.CodeURL, "a code is shown only from a verified success")
			}
			if tc.check != nil {
				tc.check(t, res)
			}
		})
	}
}

func TestPrecreate_RefusedBeforeSending(t *testing.T) {
	f := newFake(t)
	c, _ := newClient(t, f, nil)
	for name, mutate := range map[string]func(*app.PrecreateRequest){
		"wechat wallet":  func(r *app.PrecreateRequest) { r.Wallet = app.WalletWeChat },
		"zero":           func(r *app.PrecreateRequest) { r.Amount = 0 },
		"subject":        func(r *app.PrecreateRequest) { r.Subject = "a/b" },
		"expired":        func(r *app.PrecreateRequest) { r.ExpiresAt = qrNow.Add(-time.Second) },
		"too long":       func(r *app.PrecreateRequest) { r.ExpiresAt = qrNow.Add(121 * time.Minute) },
		"undiscountable": func(r *app.PrecreateRequest) { r.Undiscountable = 1251 },
	} {
		r := qrReq()
		mutate(&r)
		_, err := c.Precreate(context.Background(), r)
		assert.True(t, app.IsNotSent(err), "%s: %v", name, err)
	}
	assert.Empty(t, f.requests())
}

func TestCloseQR_IsTradeCancel(t *testing.T) {
	for _, tc := range []struct {
		name     string
		answer   map[string]any
		outcome  app.Outcome
		state    string
		notFound bool
		retry    bool
	}{
		{"closed", map[string]any{"code": "10000", "msg": "Success", "out_trade_no": "T20261121000009", "retry_flag": "N", "action": "close"},
			app.OutcomeSuccess, "CLOSED", false, false},
		{"paid, given back", map[string]any{"code": "10000", "msg": "Success", "out_trade_no": "T20261121000009", "retry_flag": "N",
			"action": "refund", "trade_no": "2026112122001400000000000001"}, app.OutcomeSuccess, "REVOKED", false, false},
		{"again", map[string]any{"code": "10000", "msg": "Success", "retry_flag": "Y"}, app.OutcomeUnknown, "", false, true},
		{"no such trade", bizFail("ACQ.TRADE_NOT_EXIST"), app.OutcomeUnknown, "", true, false},
		{"refused", bizFail("ACQ.TRADE_STATUS_ERROR"), app.OutcomeFailed, "", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.answer = func(method string, biz map[string]any) string {
				assert.Equal(t, "alipay.trade.cancel", method)
				return answerFor(method, tc.answer)
			}
			c, _ := newClient(t, f, nil)
			res, err := c.CloseQR(context.Background(), app.OrderRef{OutTradeNo: "T20261121000009", Wallet: app.WalletAlipay})
			require.NoError(t, err)
			assert.Equal(t, tc.outcome, res.Outcome)
			assert.Equal(t, tc.state, res.TradeState)
			assert.Equal(t, tc.notFound, res.NotFound)
			assert.Equal(t, tc.retry, res.Retry)
		})
	}
}
