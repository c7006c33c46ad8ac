package wechat

import (
	"context"
	"testing"
	"time"

	"cashier/app"
	"cashier/sync/channel"
)

// FuzzWeChatResponse feeds arbitrary bytes as the answer to pay, query,
// reverse, refund, refund query, consume and the deposit operation query.
// It must never panic, and no answer may be read as success, pending,
// "not found" or a final failure unless its signature verifies with the
// merchant key — except WeChat's unsigned gateway refusal of our settings
// (return_code FAIL), which may only ever be a ConfigError failure.
func FuzzWeChatResponse(f *testing.F) {
	req := map[string]string{"sign_type": SignMD5, "out_trade_no": "T1", "total_fee": "1250"}
	f.Add([]byte(ok(req, paid(req))))
	f.Add([]byte(fail(req, "USERPAYING")))
	f.Add([]byte(fail(req, "AUTHCODEEXPIRE")))
	f.Add([]byte(ok(req, map[string]string{"trade_state": "SUCCESS", "transaction_id": "4200", "total_fee": "1250"})))
	f.Add([]byte(ok(req, map[string]string{"refund_count": "1", "out_refund_no_0": "R1", "refund_status_0": "SUCCESS", "refund_fee_0": "1"})))
	f.Add([]byte(ok(req, map[string]string{"recall": "N"})))
	f.Add([]byte("<xml><return_code>FAIL</return_code></xml>"))
	f.Add([]byte("<xml><return_code>FAIL</return_code><return_msg>签名错误</return_msg></xml>"))
	f.Add([]byte(fail(req, "ORDERNOTEXIST")))
	f.Add([]byte(ok(req, map[string]string{"trade_state": "CONSUMED", "consume_fee": "100", "transaction_id": "4200"})))
	f.Add([]byte(string(encodeXML(base(req, paid(req))))))
	f.Add([]byte(""))

	cl, err := New(Config{
		BaseURL: "http://127.0.0.1:1", AppID: testAppID, MchID: testMch, SubMchID: testSub,
		APIKey: channel.Secret(testKey), SignType: SignMD5, ClientIP: "127.0.0.1",
		HTTP: channel.HTTPSettings{Timeout: 50 * time.Millisecond},
	}, nil)
	if err != nil {
		f.Fatal(err)
	}
	cl.log = discardLogger()
	pr := app.PayRequest{OutTradeNo: "T1", AuthCode: wxCode, Wallet: app.WalletWeChat, Amount: 1250, Subject: "x"}

	f.Fuzz(func(t *testing.T, body []byte) {
		s := callSpec{what: "/pay/micropay", signType: SignMD5, ref: "T1", refKey: "out_trade_no", effect: true}
		q := s
		q.effect = false
		a := cl.verify(s, body)
		aq := cl.verify(q, body)
		rr := app.RefundRequest{OrderRef: app.OrderRef{OutTradeNo: "T1"}, OutRefundNo: "R1", Total: 1250, Amount: 100}
		results := []app.ChannelResult{
			cl.payResult(context.Background(), s, a, pr),
			cl.queryResult(q, aq),
			cl.reverseResult(s, a),
			cl.refundResult(s, a, rr),
			cl.refundQueryResult(q, aq, rr),
			cl.consumeResult(s, a, app.ConsumeRequest{OrderRef: app.OrderRef{OutTradeNo: "T1", Deposit: true}, Total: 1250, Amount: 100}),
			cl.depositOpResult(q, aq, app.DepositOpRef{OrderRef: app.OrderRef{OutTradeNo: "T1", Deposit: true}, Kind: app.DepositOpConsume, Amount: 100}),
			cl.depositOpResult(q, aq, app.DepositOpRef{OrderRef: app.OrderRef{OutTradeNo: "T1", Deposit: true}, Kind: app.DepositOpRelease, Amount: 100}),
		}
		signed := false
		p, perr := decodeXML(body)
		if perr == nil && p["return_code"] == "SUCCESS" {
			signed = Verify(p, testKey, SignMD5)
		}
		// The one thing an unsigned answer may say: WeChat's gateway
		// (return_code FAIL) refused our settings — a failure, never a success.
		gatewayRefused := perr == nil && p["return_code"] == "FAIL" && gatewayRefusal(p["return_msg"])
		for i, r := range results {
			if signed {
				continue
			}
			if r.Outcome == app.OutcomeSuccess || r.Outcome == app.OutcomePending || r.NotFound || r.NewOrderNo {
				t.Fatalf("result %d is %+v from an answer whose signature does not verify: %q", i, r, body)
			}
			if (r.Outcome == app.OutcomeFailed || r.ConfigError) && !(gatewayRefused && r.ConfigError) {
				t.Fatalf("result %d is %+v from an unsigned answer that is no settings refusal: %q", i, r, body)
			}
		}
	})
}
