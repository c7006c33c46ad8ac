package alipay

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"cashier/app"
	"cashier/sync/channel"
	"cashier/sync/channel/internal/chantest"
)

// FuzzAlipayResponse feeds arbitrary bytes as the answer to pay (and a
// capture), query (and a capture's query), cancel, refund, refund query and
// the unfreeze detail query. It must never panic, and no answer may be
// read as anything but a plain unknown unless the Alipay signature over
// the raw "<method>_response" bytes verifies — except the gateway's
// unsigned refusal of our settings, which may only be a ConfigError
// failure.
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
	f.Add(methodPay, []byte(`{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id","sub_msg":"无效的AppID参数"}}`))
	f.Add(methodRefundQuery, []byte(answerFor(methodRefundQuery, map[string]any{"code": "10000", "msg": "Success", "out_trade_no": "T1"})))
	f.Add(methodQuery, []byte(answerFor(methodQuery, map[string]any{"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST"})))
	f.Add(methodAuthDetail, []byte(answerFor(methodAuthDetail, map[string]any{"code": "10000", "msg": "Success", "out_request_no": "U1", "operation_type": "UNFREEZE", "status": "SUCCESS", "amount": "1.00", "auth_no": "A1"})))

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
		var res []app.ChannelResult
		switch method {
		case methodPay:
			var out payResp
			res = append(res, cl.payResult(ctx, "T1", 1250, false, cl.verify(method, "T1", body, &out), &out))
			var cap payResp
			res = append(res, cl.payResult(ctx, "T1", 1250, true, cl.verify(method, "T1", body, &cap), &cap))
		case methodQuery:
			var out queryResp
			res = append(res, cl.queryResult(ref, cl.verify(method, "T1", body, &out), &out))
			var cap queryResp
			res = append(res, cl.captureResult(app.DepositOpRef{OrderRef: ref, Kind: app.DepositOpConsume, OutRequestNo: "T1"}, cl.verify(method, "T1", body, &cap), &cap))
		case methodCancel:
			var out cancelResp
			res = append(res, cl.cancelResult(ref, cl.verify(method, "T1", body, &out), &out))
		case methodRefund:
			var out refundResp
			res = append(res, cl.refundResult(rr, cl.verify(method, "R1", body, &out), &out))
		case methodRefundQuery:
			var out refundQueryResp
			res = append(res, cl.refundQueryResult(rr, cl.verify(method, "R1", body, &out), &out))
		case methodAuthDetail:
			var out authDetailResp
			res = append(res, cl.unfreezeDetailResult(app.DepositOpRef{OrderRef: ref, Kind: app.DepositOpRelease, OutRequestNo: "U1"}, cl.verify(method, "U1", body, &out), &out))
		default:
			return
		}
		// Independent check: the response member's raw bytes verify.
		var m map[string]json.RawMessage
		signed := false
		if json.Unmarshal(body, &m) == nil {
			raw, ok := m[ResponseKey(method)]
			if !ok {
				raw = m["error_response"]
			}
			var sign string
			_ = json.Unmarshal(m["sign"], &sign)
			signed = VerifyRSA2(&aliKey.PublicKey, raw, sign)
		}
		for i, r := range res {
			if signed || (r.Outcome == app.OutcomeUnknown && !r.NotFound && !r.ConfigError && !r.NewOrderNo) {
				continue
			}
			// The one thing an unsigned answer may say: the gateway refused
			// our settings — never success, never "not found".
			if r.ConfigError && r.Outcome != app.OutcomeSuccess && r.Outcome != app.OutcomePending && !r.NotFound &&
				(strings.HasPrefix(r.Code, "isv.") || strings.HasPrefix(r.Code, "aop.")) {
				continue
			}
			t.Fatalf("result %d %+v from an answer whose signature does not verify: %q", i, r, body)
		}
	})
}
