package alipay

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"cashier/app"
	"cashier/sync/channel"
	"cashier/sync/channel/internal/chantest"
)

// FuzzAlipayResponse feeds arbitrary bytes as the answer to pay, query,
// cancel, refund and refund query. It must never panic, and no answer may
// be read as anything but unknown unless the Alipay signature over the raw
// "<method>_response" bytes verifies.
func FuzzAlipayResponse(f *testing.F) {
	keys(f)
	biz := map[string]any{"out_trade_no": "T1", "total_amount": "12.50"}
	for _, m := range []string{methodPay, methodQuery, methodCancel, methodRefund, methodRefundQuery} {
		f.Add(m, []byte(answerFor(m, paidFields(biz))))
	}
	f.Add(methodPay, []byte(answerFor(methodPay, map[string]any{"code": "10003", "msg": "wait"})))
	f.Add(methodQuery, []byte(answerFor(methodQuery, map[string]any{"code": "10000", "msg": "Success", "trade_status": "TRADE_SUCCESS", "trade_no": "1", "out_trade_no": "T1", "total_amount": "12.50"})))
	f.Add(methodCancel, []byte(answerFor(methodCancel, map[string]any{"code": "10000", "msg": "Success", "retry_flag": "N", "action": "close"})))
	f.Add(methodRefund, []byte(answerFor(methodRefund, map[string]any{"code": "10000", "msg": "Success", "fund_change": "Y"})))
	f.Add(methodRefundQuery, []byte(answerFor(methodRefundQuery, map[string]any{"code": "10000", "msg": "Success", "refund_status": "REFUND_SUCCESS", "out_request_no": "R1", "refund_amount": "1.00"})))
	f.Add(methodPay, []byte(`{"alipay_trade_pay_response":{"code":"10000"}}`))

	cl, err := New(Config{GatewayURL: "http://127.0.0.1:1/gateway.do", AppID: testAppID,
		PrivateKey: channel.Secret(chantest.PKCS1PEM(appKey)), AlipayPublicKey: chantest.PublicPEM(&aliKey.PublicKey),
		HTTP: channel.HTTPSettings{Timeout: 50 * time.Millisecond}}, nil)
	if err != nil {
		f.Fatal(err)
	}
	cl.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	ref := app.OrderRef{OutTradeNo: "T1", Wallet: app.WalletAlipay}
	rr := app.RefundRequest{OrderRef: ref, OutRefundNo: "R1", Total: 1250, Amount: 100}

	f.Fuzz(func(t *testing.T, method string, body []byte) {
		var res app.ChannelResult
		switch method {
		case methodPay:
			var out payResp
			res = cl.payResult(ctx, "T1", 1250, cl.verify(method, "T1", body, &out), &out)
		case methodQuery:
			var out queryResp
			res = cl.queryResult(ref, cl.verify(method, "T1", body, &out), &out)
		case methodCancel:
			var out cancelResp
			res = cl.cancelResult(ref, cl.verify(method, "T1", body, &out), &out)
		case methodRefund:
			var out refundResp
			res = cl.refundResult(rr, cl.verify(method, "R1", body, &out), &out)
		case methodRefundQuery:
			var out refundQueryResp
			res = cl.refundQueryResult(rr, cl.verify(method, "R1", body, &out), &out)
		default:
			return
		}
		if res.Outcome == app.OutcomeUnknown {
			return
		}
		// Independent check: the response member's raw bytes verify.
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("%v from an answer that is not even a JSON object: %q", res.Outcome, body)
		}
		raw, ok := m[ResponseKey(method)]
		if !ok {
			raw = m["error_response"]
		}
		var sign string
		_ = json.Unmarshal(m["sign"], &sign)
		if !VerifyRSA2(&aliKey.PublicKey, raw, sign) {
			t.Fatalf("%v from an answer whose signature does not verify: %q", res.Outcome, body)
		}
	})
}
