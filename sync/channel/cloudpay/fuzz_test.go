package cloudpay

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"cashier/app"
	"cashier/sync/channel"
)

// FuzzCloudPayResponse feeds arbitrary bytes as the answer to every call
// that reads a ChannelResult. It must never panic, and no answer may be
// read as anything but unknown unless its authentication code over
// response_content verifies — except Cloud Pay's documented unsigned
// refusal, status 101, which may only read as a settings refusal
// (ConfigError) that moved no money.
func FuzzCloudPayResponse(f *testing.F) {
	q := map[string]any{"pay_content": map[string]any{"out_trade_no": cashierID + "1", "total_fee": 1250}}
	f.Add(render("micro_pay", reply{member: order(q, "wxpay_order_content_ext", 2)}))
	f.Add(render("micro_pay", reply{member: order(q, "", 0)}))
	f.Add(render("micro_pay", reply{status: 104, desc: "x"}))
	f.Add(render("micro_pay", reply{status: 3, unsigned: true}))
	f.Add(render("micro_pay", reply{status: 101, unsigned: true, internal: 407}))
	f.Add(render("micro_freeze", reply{member: freezeOrder(cashierID+"1", 1250, "wxpay_freeze_order_content_ext", 2)}))
	f.Add(render("reverse", reply{member: map[string]any{}}))
	f.Add(render("refund", reply{member: map[string]any{"refund_order_content": map[string]any{"out_refund_no": cashierID + "R1", "refund_fee": 100,
		"wxpay_refund_order_content_ext": map[string]any{"state": 2}}}}))
	f.Add(render("query_refund_order", reply{member: map[string]any{"refund_order_content": []any{map[string]any{"out_refund_no": cashierID + "R1", "refund_fee": 100}}}}))
	f.Add(render("unfreeze", reply{member: map[string]any{"unfreeze_order_content": map[string]any{"out_unfreeze_no": cashierID + "U1", "unfreeze_fee": 100,
		"wxpay_unfreeze_order_content_ext": map[string]any{"state": 2}}}}))
	f.Add(`{"response_content":"{\"status\":0}"}`)

	cl, err := New(Config{BaseURL: "http://127.0.0.1:1/cpay", OutMchID: "m", OutSubMchID: "s", OutShopID: "p", CashierID: cashierID,
		AuthenKey: testKey, DeviceID: "d"}, nil)
	if err != nil {
		f.Fatal(err)
	}
	cl.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	ref := app.OrderRef{OutTradeNo: cashierID + "1", Wallet: app.WalletWeChat}
	dep := app.OrderRef{OutTradeNo: cashierID + "1", Wallet: app.WalletWeChat, Deposit: true}
	rr := app.RefundRequest{OrderRef: ref, OutRefundNo: cashierID + "R1", Total: 1250, Amount: 100}
	cons := app.DepositOpRef{OrderRef: dep, Kind: app.DepositOpConsume, OutRequestNo: cashierID + "C1", Total: 1250, Amount: 100}
	rel := app.DepositOpRef{OrderRef: dep, Kind: app.DepositOpRelease, OutRequestNo: cashierID + "U1", Amount: 100}

	f.Fuzz(func(t *testing.T, body string) {
		results := map[string]app.ChannelResult{}
		for _, api := range []string{"micro_pay", "query_order", "micro_freeze", "query_freeze_order", "reverse", "refund",
			"query_refund_order", "deposit_consume", "consume query", "unfreeze", "query_unfreeze_order"} {
			a := cl.verify(api, "fuzz", []byte(body))
			switch api {
			case "micro_pay":
				results[api] = cl.orderResult(api, ref, 1250, a, kindMoney)
			case "query_order":
				results[api] = cl.orderResult(api, ref, 0, a, kindQuery)
			case "micro_freeze":
				results[api] = cl.freezeResult(api, dep, 1250, a, kindMoney)
			case "query_freeze_order":
				results[api] = cl.freezeResult(api, dep, 0, a, kindQuery)
			case "reverse":
				results[api] = cl.reverseResult(a)
			case "refund":
				results[api] = cl.refundResult(rr, a)
			case "query_refund_order":
				results[api] = cl.refundQueryResult(rr, a)
			case "deposit_consume":
				results[api] = cl.consumeResult(api, cons, a, kindMoney)
			case "consume query":
				results[api] = cl.consumeResult("query_order", cons, a, kindQuery)
			case "unfreeze":
				results[api] = cl.unfreezeResult(rel, a)
			case "query_unfreeze_order":
				results[api] = cl.unfreezeQueryResult(rel, a)
			}
		}
		var env struct {
			ResponseContent string `json:"response_content"`
			AuthenInfo      struct {
				A struct {
					AuthenCode string `json:"authen_code"`
				} `json:"a"`
			} `json:"authen_info"`
		}
		authentic := json.Unmarshal([]byte(body), &env) == nil &&
			CheckAuthenCode(testKey, []byte(env.ResponseContent), env.AuthenInfo.A.AuthenCode)
		for api, r := range results {
			refusal := r.Outcome == app.OutcomeFailed && r.ConfigError && r.Code == "101"
			if r.Outcome != app.OutcomeUnknown && !authentic && !refusal {
				t.Fatalf("%s: %v from an answer that is not authenticated: %q", api, r.Outcome, body)
			}
			if r.Outcome == app.OutcomeSuccess && r.Code == channel.CodeUnsigned {
				t.Fatalf("%s: success marked unsigned", api)
			}
			if r.NotFound && r.Outcome != app.OutcomeUnknown {
				t.Fatalf("%s: NotFound with outcome %v", api, r.Outcome)
			}
			if r.Foreign && (!r.NoReverse || r.Outcome == app.OutcomeSuccess) {
				t.Fatalf("%s: Foreign must forbid reversing and never read as success: %+v", api, r)
			}
		}
	})
}
