package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cashier/app"
)

func TestOpScenarioFor(t *testing.T) {
	for amount, want := range map[app.Money]OpScenario{
		1291: OpLostMade, 1292: OpLostRefused, 1293: OpSystemErrorMade, 1294: OpShortOneFen,
		91: OpLostMade, 94: OpShortOneFen, 1250: OpOrdinary, 1290: OpOrdinary, 1295: OpOrdinary,
		1: OpOrdinary, 0: OpOrdinary, -91: OpOrdinary, 9100: OpOrdinary,
	} {
		require.Equal(t, want, OpScenarioFor(amount), "%d fen", amount)
	}
	require.Equal(t, app.Money(1293), OpShortOneFen.madeAmount(1294))
	require.Equal(t, app.Money(1294), OpLostMade.madeAmount(1294))
}

// wxTry posts a signed WeChat request; dropped is true when the connection
// closed without an answer.
func (f *fixture) wxTry(path string, p map[string]string) (dropped bool, m map[string]string) {
	f.t.Helper()
	c := f.creds.WeChat
	signType := ""
	if strings.HasPrefix(path, "/deposit/") {
		signType = SignHMACSHA256
	}
	q := map[string]string{"appid": c.AppID, "mch_id": c.MchID, "sub_mch_id": c.SubMchID, "nonce_str": nonce(16)}
	if signType != "" {
		q["sign_type"] = signType
	}
	for k, v := range p {
		q[k] = v
	}
	q["sign"], _ = WeChatSign(q, c.APIKey, signType)
	resp, err := f.withMT.Post(f.srv.BaseURL+path, "text/xml", bytes.NewReader(buildWeChatXML(q)))
	if err != nil {
		return true, nil
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	require.Equal(f.t, http.StatusOK, resp.StatusCode, "%s", raw)
	m, err = ParseWeChatXML(raw)
	require.NoError(f.t, err)
	require.Equal(f.t, "SUCCESS", m["return_code"], "%v", m)
	f.wxVerified(m, signType)
	return false, m
}

// aliTry calls the Alipay gateway; dropped is true when the connection
// closed without an answer. Answers are verified.
func (f *fixture) aliTry(method string, biz map[string]any) (dropped bool, m map[string]any) {
	f.t.Helper()
	resp, err := f.plain.PostForm(f.srv.AlipayGateway, f.aliParams(method, biz, f.aliKey))
	if err != nil {
		return true, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	require.Equal(f.t, http.StatusOK, resp.StatusCode, "%s", raw)
	inner, sig := splitAlipay(f.t, raw, strings.ReplaceAll(method, ".", "_")+"_response")
	gw, err := parseRSAPublicKey([]byte(f.creds.Alipay.GatewayPublicKeyPEM))
	require.NoError(f.t, err)
	require.True(f.t, rsa2Verify(gw, inner, sig))
	require.NoError(f.t, json.Unmarshal(inner, &m))
	return false, m
}

func (f *fixture) refundOf(outRefundNo string) (Refund, bool) {
	for _, r := range f.srv.Ledger().Refunds() {
		if r.OutRefundNo == outRefundNo {
			return r, true
		}
	}
	return Refund{}, false
}

func TestWeChat_RefundFaults(t *testing.T) {
	f := newFixture(t)
	refund := func(no, rno, fee string) (bool, map[string]string) {
		return f.wxTry("/secapi/pay/refund", map[string]string{"out_trade_no": no, "out_refund_no": rno, "total_fee": "10000", "refund_fee": fee})
	}
	query := func(rno string) map[string]string {
		_, m := f.wxTry("/pay/refundquery", map[string]string{"out_refund_no": rno})
		return m
	}
	for _, no := range []string{"WRF-0", "WRF-1", "WRF-2", "WRF-3", "WRF-4"} {
		_, m := f.micropay(no, wxCode("789"), "10000")
		require.Equal(t, "SUCCESS", m["result_code"])
	}

	t.Run("ordinary amount", func(t *testing.T) {
		dropped, m := refund("WRF-0", "WRF-0-R", "1250")
		require.False(t, dropped)
		require.Equal(t, "SUCCESS", m["result_code"])
		require.Equal(t, "1250", m["refund_fee"])
	})
	t.Run("91: made, answer lost; the re-send gets the same refund", func(t *testing.T) {
		dropped, _ := refund("WRF-1", "WRF-1-R", "1291")
		require.True(t, dropped)
		r, ok := f.refundOf("WRF-1-R")
		require.True(t, ok, "the ledger has the refund although its answer was lost")
		require.Equal(t, app.Money(1291), r.Amount)
		dropped, m := refund("WRF-1", "WRF-1-R", "1291")
		require.False(t, dropped)
		require.Equal(t, "SUCCESS", m["result_code"])
		require.Equal(t, r.RefundID, m["refund_id"])
		require.Equal(t, "1291", m["refund_fee"])
		q := query("WRF-1-R")
		require.Equal(t, "SUCCESS", q["refund_status_0"])
		o, _ := f.srv.Ledger().Order(app.ChannelWeChat, "WRF-1")
		require.Equal(t, app.Money(1291), o.Refunded, "refunded once")
	})
	t.Run("92: lost and not made, then refused for good", func(t *testing.T) {
		dropped, _ := refund("WRF-2", "WRF-2-R", "1292")
		require.True(t, dropped)
		_, ok := f.refundOf("WRF-2-R")
		require.False(t, ok, "nothing was refunded")
		for i := 0; i < 2; i++ {
			dropped, m := refund("WRF-2", "WRF-2-R", "1292")
			require.False(t, dropped)
			require.Equal(t, "FAIL", m["result_code"])
			require.Equal(t, "NOTENOUGH", m["err_code"])
		}
		require.Equal(t, "REFUNDNOTEXIST", query("WRF-2-R")["err_code"])
		o, _ := f.srv.Ledger().Order(app.ChannelWeChat, "WRF-2")
		require.Zero(t, o.Refunded)
		// Another refund number of the same order is not affected.
		_, m := refund("WRF-2", "WRF-2-R2", "1250")
		require.Equal(t, "SUCCESS", m["result_code"])
	})
	t.Run("93: SYSTEMERROR but made", func(t *testing.T) {
		dropped, m := refund("WRF-3", "WRF-3-R", "1293")
		require.False(t, dropped)
		require.Equal(t, "FAIL", m["result_code"])
		require.Equal(t, "SYSTEMERROR", m["err_code"])
		r, ok := f.refundOf("WRF-3-R")
		require.True(t, ok)
		_, m = refund("WRF-3", "WRF-3-R", "1293")
		require.Equal(t, "SUCCESS", m["result_code"])
		require.Equal(t, r.RefundID, m["refund_id"])
		require.Equal(t, "SUCCESS", query("WRF-3-R")["refund_status_0"])
	})
	t.Run("94: 1 fen less, said everywhere", func(t *testing.T) {
		_, m := refund("WRF-4", "WRF-4-R", "1294")
		require.Equal(t, "SUCCESS", m["result_code"])
		require.Equal(t, "1293", m["refund_fee"])
		_, m = refund("WRF-4", "WRF-4-R", "1294")
		require.Equal(t, "SUCCESS", m["result_code"], "the re-send with the requested amount is the same refund")
		require.Equal(t, "1293", m["refund_fee"])
		q := query("WRF-4-R")
		require.Equal(t, "1293", q["refund_fee_0"])
		r, _ := f.refundOf("WRF-4-R")
		require.Equal(t, app.Money(1293), r.Amount)
		require.Equal(t, app.Money(1294), r.Requested)
		ch := f.srv.Ledger().ChargesFor(wxCode("789"))
		var returned app.Money
		for _, c := range ch {
			if c.OutTradeNo == "WRF-4" {
				returned = c.Returned
			}
		}
		require.Equal(t, app.Money(1293), returned, "the ledger's charge got back what moved")
	})
}

func TestWeChat_DepositOpFaults(t *testing.T) {
	f := newFixture(t)
	freeze := func(no, fee string) string {
		_, m := f.wxTry("/deposit/micropay", map[string]string{"body": "押金", "out_trade_no": no, "total_fee": fee,
			"spbill_create_ip": "127.0.0.1", "auth_code": wxCode("789"), "deposit": "Y"})
		require.Equal(t, "SUCCESS", m["result_code"], "%v", m)
		return m["transaction_id"]
	}
	consume := func(txn, total, fee string) (bool, map[string]string) {
		return f.wxTry("/deposit/consume", map[string]string{"transaction_id": txn, "total_fee": total, "consume_fee": fee})
	}
	query := func(no string) map[string]string {
		_, m := f.wxTry("/deposit/orderquery", map[string]string{"out_trade_no": no})
		return m
	}

	t.Run("consume 91", func(t *testing.T) {
		txn := freeze("WDC-1", "50000")
		dropped, _ := consume(txn, "50000", "30091")
		require.True(t, dropped)
		q := query("WDC-1")
		require.Equal(t, "CONSUMED", q["trade_state"])
		require.Equal(t, "30091", q["consume_fee"])
		_, m := consume(txn, "50000", "30091")
		require.Equal(t, "SUCCESS", m["result_code"])
		require.Equal(t, "30091", m["consume_fee"])
	})
	t.Run("consume 92", func(t *testing.T) {
		txn := freeze("WDC-2", "50000")
		dropped, _ := consume(txn, "50000", "30092")
		require.True(t, dropped)
		_, m := consume(txn, "50000", "30092")
		require.Equal(t, "TRADE_STATE_ERROR", m["err_code"])
		q := query("WDC-2")
		require.Equal(t, "SUCCESS", q["trade_state"], "still frozen")
		require.Equal(t, "0", q["consume_fee"])
		o, _ := f.srv.Ledger().Order(app.ChannelWeChat, "WDC-2")
		require.Equal(t, app.Money(50000), o.Frozen())
	})
	t.Run("consume 93", func(t *testing.T) {
		txn := freeze("WDC-3", "50000")
		_, m := consume(txn, "50000", "30093")
		require.Equal(t, "SYSTEMERROR", m["err_code"])
		require.Equal(t, "CONSUMED", query("WDC-3")["trade_state"])
		_, m = consume(txn, "50000", "30093")
		require.Equal(t, "SUCCESS", m["result_code"])
	})
	t.Run("consume 94", func(t *testing.T) {
		txn := freeze("WDC-4", "50000")
		_, m := consume(txn, "50000", "30094")
		require.Equal(t, "SUCCESS", m["result_code"])
		require.Equal(t, "30093", m["consume_fee"])
		require.Equal(t, "30093", query("WDC-4")["consume_fee"])
		o, _ := f.srv.Ledger().Order(app.ChannelWeChat, "WDC-4")
		require.Equal(t, app.Money(30093), o.Consumed)
		require.Equal(t, app.Money(50000-30093), o.Released, "the rest went back")
	})

	reverse := func(no string) (bool, map[string]string) {
		return f.wxTry("/deposit/reverse", map[string]string{"out_trade_no": no})
	}
	t.Run("release by the deposit's amount", func(t *testing.T) {
		freeze("WDR-0", "50000")
		freeze("WDR-1", "50091")
		freeze("WDR-2", "50092")
		freeze("WDR-3", "50093")
		freeze("WDR-4", "50094")
		f.clock.Advance(depositReverseMinAge)

		_, m := reverse("WDR-0")
		require.Equal(t, "SUCCESS", m["result_code"])

		dropped, _ := reverse("WDR-1")
		require.True(t, dropped)
		require.Equal(t, "REVOKED", query("WDR-1")["trade_state"])
		_, m = reverse("WDR-1")
		require.Equal(t, "SUCCESS", m["result_code"])
		require.Equal(t, "N", m["recall"])

		dropped, _ = reverse("WDR-2")
		require.True(t, dropped)
		_, m = reverse("WDR-2")
		require.Equal(t, "TRADE_ERROR", m["err_code"])
		require.Equal(t, "N", m["recall"])
		require.Equal(t, "SUCCESS", query("WDR-2")["trade_state"], "still frozen")

		_, m = reverse("WDR-3")
		require.Equal(t, "SYSTEMERROR", m["err_code"])
		require.Equal(t, "Y", m["recall"])
		require.Equal(t, "REVOKED", query("WDR-3")["trade_state"])
		_, m = reverse("WDR-3")
		require.Equal(t, "SUCCESS", m["result_code"])

		_, m = reverse("WDR-4")
		require.Equal(t, "SUCCESS", m["result_code"], "94 has no amount to state here")
		o, _ := f.srv.Ledger().Order(app.ChannelWeChat, "WDR-4")
		require.Equal(t, app.Money(50094), o.Reversed)
	})
}

func TestAlipay_RefundFaults(t *testing.T) {
	f := newFixture(t)
	opts := []string{"refund_detail_item_list"}
	refund := func(no, rno, amount string) (bool, map[string]any) {
		return f.aliTry("alipay.trade.refund", map[string]any{"out_trade_no": no, "out_request_no": rno, "refund_amount": amount, "query_options": opts})
	}
	query := func(no, rno string) map[string]any {
		_, m := f.aliTry("alipay.trade.fastpay.refund.query", map[string]any{"out_trade_no": no, "out_request_no": rno})
		return m
	}
	for _, no := range []string{"ARF-0", "ARF-1", "ARF-2", "ARF-3", "ARF-4"} {
		_, m := f.tradePay(no, aliCode("789"), "100.00")
		require.Equal(t, "10000", m["code"])
	}
	t.Run("ordinary amount", func(t *testing.T) {
		_, m := refund("ARF-0", "ARF-0-R", "12.50")
		require.Equal(t, "Y", m["fund_change"])
		require.Equal(t, "12.50", m["send_back_fee"])
	})
	t.Run("91", func(t *testing.T) {
		dropped, _ := refund("ARF-1", "ARF-1-R", "12.91")
		require.True(t, dropped)
		_, ok := f.refundOf("ARF-1-R")
		require.True(t, ok)
		_, m := refund("ARF-1", "ARF-1-R", "12.91")
		require.Equal(t, "10000", m["code"])
		require.Equal(t, "N", m["fund_change"], "Alipay answers every repeat with fund_change=N")
		require.Equal(t, "12.91", m["refund_fee"])
		q := query("ARF-1", "ARF-1-R")
		require.Equal(t, "REFUND_SUCCESS", q["refund_status"])
		require.Equal(t, "12.91", q["refund_amount"])
	})
	t.Run("92", func(t *testing.T) {
		dropped, _ := refund("ARF-2", "ARF-2-R", "12.92")
		require.True(t, dropped)
		_, m := refund("ARF-2", "ARF-2-R", "12.92")
		require.Equal(t, "40004", m["code"])
		require.Equal(t, "ACQ.SELLER_BALANCE_NOT_ENOUGH", m["sub_code"])
		q := query("ARF-2", "ARF-2-R")
		require.Equal(t, "10000", q["code"])
		require.NotContains(t, q, "out_request_no")
		require.NotContains(t, q, "refund_amount")
	})
	t.Run("93", func(t *testing.T) {
		_, m := refund("ARF-3", "ARF-3-R", "12.93")
		require.Equal(t, "20000", m["code"])
		require.Equal(t, "ACQ.SYSTEM_ERROR", m["sub_code"])
		require.Equal(t, "REFUND_SUCCESS", query("ARF-3", "ARF-3-R")["refund_status"])
		_, m = refund("ARF-3", "ARF-3-R", "12.93")
		require.Equal(t, "N", m["fund_change"])
	})
	t.Run("94", func(t *testing.T) {
		_, m := refund("ARF-4", "ARF-4-R", "12.94")
		require.Equal(t, "Y", m["fund_change"])
		require.Equal(t, "12.93", m["send_back_fee"])
		require.Equal(t, "12.93", m["refund_fee"])
		require.Equal(t, "12.93", query("ARF-4", "ARF-4-R")["refund_amount"])
		_, m = refund("ARF-4", "ARF-4-R", "12.94")
		require.Equal(t, "N", m["fund_change"])
		require.Equal(t, "12.93", m["send_back_fee"])
	})
	t.Run("send_back_fee only when asked", func(t *testing.T) {
		_, m := f.aliTry("alipay.trade.refund", map[string]any{"out_trade_no": "ARF-0", "out_request_no": "ARF-0-R5", "refund_amount": "1.00"})
		require.Equal(t, "Y", m["fund_change"])
		require.NotContains(t, m, "send_back_fee")
	})
}

func TestAlipay_DepositOpFaults(t *testing.T) {
	f := newFixture(t)
	freeze := func(no string) string {
		_, m := f.aliTry("alipay.fund.auth.order.freeze", map[string]any{"auth_code": aliCode("789"), "auth_code_type": "bar_code",
			"out_order_no": no, "out_request_no": no, "order_title": "押金", "amount": "500.00", "product_code": "PRE_AUTH"})
		require.Equal(t, "10000", m["code"], "%v", m)
		return str(m["auth_no"])
	}
	consume := func(authNo, no, amount string) (bool, map[string]any) {
		return f.aliTry("alipay.trade.pay", map[string]any{"out_trade_no": no, "auth_no": authNo, "product_code": "PRE_AUTH",
			"auth_confirm_mode": "NOT_COMPLETE", "subject": "房费", "total_amount": amount})
	}
	unfreeze := func(authNo, rno, amount string) (bool, map[string]any) {
		return f.aliTry("alipay.fund.auth.order.unfreeze", map[string]any{"auth_no": authNo, "out_request_no": rno, "amount": amount, "remark": "退押金"})
	}
	detail := func(no, rno string) map[string]any {
		_, m := f.aliTry("alipay.fund.auth.operation.detail.query", map[string]any{"out_order_no": no, "out_request_no": rno})
		return m
	}
	auth := freeze("ADF-1")
	t.Run("consume", func(t *testing.T) {
		dropped, _ := consume(auth, "ADF-1-C1", "10.91")
		require.True(t, dropped)
		require.Equal(t, "TRADE_SUCCESS", f.tradeQuery("ADF-1-C1")["trade_status"])
		_, m := consume(auth, "ADF-1-C1", "10.91")
		require.Equal(t, "10000", m["code"])

		dropped, _ = consume(auth, "ADF-1-C2", "10.92")
		require.True(t, dropped)
		_, m = consume(auth, "ADF-1-C2", "10.92")
		require.Equal(t, "ACQ.TRADE_STATUS_ERROR", m["sub_code"])
		require.Equal(t, "ACQ.TRADE_NOT_EXIST", f.tradeQuery("ADF-1-C2")["sub_code"])

		_, m = consume(auth, "ADF-1-C3", "10.93")
		require.Equal(t, "20000", m["code"])
		require.Equal(t, "TRADE_SUCCESS", f.tradeQuery("ADF-1-C3")["trade_status"])

		_, m = consume(auth, "ADF-1-C4", "10.94")
		require.Equal(t, "10.93", m["total_amount"])
		require.Equal(t, "10.93", f.tradeQuery("ADF-1-C4")["total_amount"])

		d, _ := f.srv.Ledger().Order(app.ChannelAlipay, "ADF-1")
		require.Equal(t, app.Money(1091+1093+1093), d.Consumed, "what the captures really took")
	})
	t.Run("release", func(t *testing.T) {
		dropped, _ := unfreeze(auth, "ADF-1-U1", "20.91")
		require.True(t, dropped)
		d := detail("ADF-1", "ADF-1-U1")
		require.Equal(t, "UNFREEZE", d["operation_type"])
		require.Equal(t, "SUCCESS", d["status"])
		require.Equal(t, "20.91", d["amount"])
		_, m := unfreeze(auth, "ADF-1-U1", "20.91")
		require.Equal(t, "10000", m["code"])
		require.Equal(t, d["operation_id"], m["operation_id"], "the repeat names the same operation")

		dropped, _ = unfreeze(auth, "ADF-1-U2", "20.92")
		require.True(t, dropped)
		_, m = unfreeze(auth, "ADF-1-U2", "20.92")
		require.Equal(t, "ILLEGAL_STATUS", m["sub_code"])
		require.Equal(t, "AUTH_OPERATION_NOT_EXIST", detail("ADF-1", "ADF-1-U2")["sub_code"])

		_, m = unfreeze(auth, "ADF-1-U3", "20.93")
		require.Equal(t, "20000", m["code"])
		require.Equal(t, "SUCCESS", detail("ADF-1", "ADF-1-U3")["status"])

		_, m = unfreeze(auth, "ADF-1-U4", "20.94")
		require.Equal(t, "20.93", m["amount"])
		require.Equal(t, "20.93", detail("ADF-1", "ADF-1-U4")["amount"])

		d2, _ := f.srv.Ledger().Order(app.ChannelAlipay, "ADF-1")
		require.Equal(t, app.Money(2091+2093+2093), d2.Released)
		op, ok := d2.Op("release", "ADF-1-U4")
		require.True(t, ok)
		require.Equal(t, app.Money(2093), op.Amount)
		require.Equal(t, app.Money(2094), op.Requested)
	})
}

// A …92 refusal is kept in the ledger file: after a restart the re-send is
// still refused and nothing is refunded.
func TestLedgerFile_KeepsRefusals(t *testing.T) {
	path := t.TempDir() + "/ledger.jsonl"
	f1 := newFixture(t, withLedger(path))
	_, m := f1.micropay("WKR-1", wxCode("789"), "10000")
	require.Equal(t, "SUCCESS", m["result_code"])
	dropped, _ := f1.wxTry("/secapi/pay/refund", map[string]string{"out_trade_no": "WKR-1", "out_refund_no": "WKR-1-R", "total_fee": "10000", "refund_fee": "1292"})
	require.True(t, dropped)
	f1.srv.Close()
	f1.fileShared = true

	f2 := newFixture(t, withLedger(path))
	_, m = f2.wxTry("/secapi/pay/refund", map[string]string{"out_trade_no": "WKR-1", "out_refund_no": "WKR-1-R", "total_fee": "10000", "refund_fee": "1292"})
	require.Equal(t, "NOTENOUGH", m["err_code"])
	o, ok := f2.srv.Ledger().Order(app.ChannelWeChat, "WKR-1")
	require.True(t, ok)
	require.Zero(t, o.Refunded)
}

// A ledger file of format version 1 (before deposit ops and requested
// amounts) is read as it is and answered from.
func TestLedgerFile_ReadsVersion1(t *testing.T) {
	path := t.TempDir() + "/ledger.jsonl"
	f1 := newFixture(t, withLedger(path))
	_, m := f1.micropay("WV1-1", wxCode("789"), "10000")
	require.Equal(t, "SUCCESS", m["result_code"])
	m = f1.wxRefund("WV1-1", "WV1-1-R", "10000", "100")
	require.Equal(t, "SUCCESS", m["result_code"])
	f1.srv.Close()
	f1.fileShared = true
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(raw), `"version":2`)
	v1 := strings.Replace(string(raw), `"version":2`, `"version":1`, 1)
	require.NotContains(t, v1, `"requested"`)
	require.NotContains(t, v1, `"ops"`)
	require.NoError(t, os.WriteFile(path, []byte(v1), 0o600))

	f2 := newFixture(t, withLedger(path))
	o, ok := f2.srv.Ledger().Order(app.ChannelWeChat, "WV1-1")
	require.True(t, ok)
	require.Equal(t, app.Money(100), o.Refunded)
	m = f2.wxRefund("WV1-1", "WV1-1-R", "10000", "100")
	require.Equal(t, "SUCCESS", m["result_code"], "the old refund number is still the same refund")
}
