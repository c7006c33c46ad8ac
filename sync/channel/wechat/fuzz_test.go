package wechat

import (
	"context"
	"testing"
	"time"

	"cashier/app"
	"cashier/sync/channel"
)

// FuzzWeChatResponse feeds arbitrary bytes as the answer to pay, query,
// reverse and refund query. It must never panic, and no answer may be
// read as success (or pending, or a final failure) unless its signature
// verifies with the merchant key.
func FuzzWeChatResponse(f *testing.F) {
	req := map[string]string{"sign_type": SignMD5, "out_trade_no": "T1", "total_fee": "1250"}
	f.Add([]byte(ok(req, paid(req))))
	f.Add([]byte(fail(req, "USERPAYING")))
	f.Add([]byte(fail(req, "AUTHCODEEXPIRE")))
	f.Add([]byte(ok(req, map[string]string{"trade_state": "SUCCESS", "transaction_id": "4200", "total_fee": "1250"})))
	f.Add([]byte(ok(req, map[string]string{"refund_count": "1", "out_refund_no_0": "R1", "refund_status_0": "SUCCESS", "refund_fee_0": "1"})))
	f.Add([]byte(ok(req, map[string]string{"recall": "N"})))
	f.Add([]byte("<xml><return_code>FAIL</return_code></xml>"))
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
		s := callSpec{what: "/pay/micropay", signType: SignMD5, ref: "T1", refKey: "out_trade_no"}
		a := cl.verify(s, body)
		results := []app.ChannelResult{
			cl.payResult(context.Background(), s, a, pr),
			cl.queryResult(s, a),
			cl.reverseResult(a),
			cl.refundQueryResult(s, a, "R1"),
		}
		signed := false
		if p, err := decodeXML(body); err == nil && p["return_code"] == "SUCCESS" {
			signed = Verify(p, testKey, SignMD5)
		}
		for i, r := range results {
			if r.Outcome != app.OutcomeUnknown && !signed {
				t.Fatalf("result %d is %v from an answer whose signature does not verify: %q", i, r.Outcome, body)
			}
		}
	})
}
