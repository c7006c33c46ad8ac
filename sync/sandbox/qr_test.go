package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func (f *fixture) unifiedorder(no, fee, expire string, extra ...string) map[string]string {
	f.t.Helper()
	p := map[string]string{"body": "沙箱扫码", "out_trade_no": no, "total_fee": fee, "spbill_create_ip": "127.0.0.1",
		"notify_url": "https://notify.invalid/wechatpay/v2", "trade_type": "NATIVE", "product_id": no, "device_info": "POS-01"}
	if expire != "" {
		p["time_expire"] = expire
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			delete(p, extra[i])
		} else {
			p[extra[i]] = extra[i+1]
		}
	}
	_, m, _ := f.wx("/pay/unifiedorder", p, "")
	require.Equal(f.t, "SUCCESS", m["return_code"], "%v", m)
	f.wxVerified(m, "")
	return m
}

func (f *fixture) closeorder(no string) map[string]string {
	f.t.Helper()
	_, m, _ := f.wx("/pay/closeorder", map[string]string{"out_trade_no": no}, "")
	require.Equal(f.t, "SUCCESS", m["return_code"], "%v", m)
	f.wxVerified(m, "")
	return m
}

// wxExpire is time_expire d after the fixture's clock.
func (f *fixture) wxExpire(d time.Duration) string {
	return f.clock.Now().Add(d).In(beijing).Format("20060102150405")
}

func TestWeChatQR_PayCloseExpire(t *testing.T) {
	f := newFixture(t)
	l := f.srv.Ledger()

	m := f.unifiedorder("QR-1", "1250", f.wxExpire(5*time.Minute))
	require.Equal(t, "SUCCESS", m["result_code"], "%v", m)
	require.Equal(t, "NATIVE", m["trade_type"])
	code := m["code_url"]
	require.True(t, strings.HasPrefix(code, "weixin://wxpay/bizpayurl?pr="), code)
	require.NotEmpty(t, m["prepay_id"])
	// The same request again (a lost answer) is the same order and code.
	again := f.unifiedorder("QR-1", "1250", f.wxExpire(5*time.Minute))
	require.Equal(t, code, again["code_url"])
	// The same number with other content is refused.
	require.Equal(t, "INVALID_REQUEST", f.unifiedorder("QR-1", "1251", f.wxExpire(5*time.Minute))["err_code"])
	require.Equal(t, "NOTPAY", f.orderquery("QR-1")["trade_state"])

	require.NoError(t, f.srv.PayQR(code))
	q := f.orderquery("QR-1")
	require.Equal(t, "SUCCESS", q["trade_state"])
	require.Equal(t, "1250", q["total_fee"])
	require.Equal(t, "NATIVE", q["trade_type"])
	require.NotEmpty(t, q["transaction_id"])
	require.ErrorIs(t, f.srv.PayQR(code), ErrQRPaid, "a code is paid once")
	require.Equal(t, "ORDERPAID", f.closeorder("QR-1")["err_code"])
	require.Equal(t, "ORDERPAID", f.unifiedorder("QR-1", "1250", f.wxExpire(5*time.Minute))["err_code"])
	require.Equal(t, 1, l.Summary().Charges)

	// Closed before the scan: the code can no longer be paid.
	m = f.unifiedorder("QR-2", "800", f.wxExpire(5*time.Minute))
	require.Equal(t, "SUCCESS", f.closeorder("QR-2")["result_code"])
	require.Equal(t, "CLOSED", f.orderquery("QR-2")["trade_state"])
	require.ErrorIs(t, f.srv.PayQR(m["code_url"]), ErrQRClosed)
	require.Equal(t, "ORDERCLOSED", f.closeorder("QR-2")["err_code"])
	require.Equal(t, "ORDERCLOSED", f.unifiedorder("QR-2", "800", f.wxExpire(5*time.Minute))["err_code"])

	// Expired: the customer cannot pay; the order stays NOTPAY until closed.
	m = f.unifiedorder("QR-3", "900", f.wxExpire(2*time.Minute))
	f.clock.Advance(2 * time.Minute)
	require.ErrorIs(t, f.srv.PayQR(m["code_url"]), ErrQRExpired)
	require.Equal(t, "NOTPAY", f.orderquery("QR-3")["trade_state"])
	require.Equal(t, "SUCCESS", f.closeorder("QR-3")["result_code"])
	require.Equal(t, "CLOSED", f.orderquery("QR-3")["trade_state"])

	require.Equal(t, "ORDERNOTEXIST", f.closeorder("QR-NEVER")["err_code"])
	require.Equal(t, 1, l.Summary().Charges, "nothing else was charged")
}

func TestWeChatQR_BadRequests(t *testing.T) {
	f := newFixture(t)
	exp := f.wxExpire(5 * time.Minute)
	for _, tc := range []struct {
		extra []string
		code  string
	}{
		{[]string{"notify_url", ""}, "LACK_PARAMS"},
		{[]string{"notify_url", "https://x.example/n?a=1"}, "PARAM_ERROR"},
		{[]string{"trade_type", "JSAPI"}, "PARAM_ERROR"},
		{[]string{"product_id", ""}, "LACK_PARAMS"},
		{[]string{"total_fee", "0"}, "PARAM_ERROR"},
		{[]string{"time_expire", "2026-03-04 12:05"}, "PARAM_ERROR"},
		{[]string{"time_expire", f.wxExpire(30 * time.Second)}, "INVALID_REQUEST"},
	} {
		m := f.unifiedorder("QR-BAD", "100", exp, tc.extra...)
		require.Equal(t, tc.code, m["err_code"], "%v: %v", tc.extra, m)
	}
	// A micropay number is not a QR order, nor the other way round.
	_, m := f.micropay("QR-MP", wxCode("789"), "100")
	require.Equal(t, "SUCCESS", m["result_code"])
	require.Equal(t, "ORDERPAID", f.unifiedorder("QR-MP", "100", exp)["err_code"])
	f.unifiedorder("QR-N", "100", exp)
	_, m = f.micropay("QR-N", wxCode("789"), "100")
	require.Equal(t, "OUT_TRADE_NO_USED", m["err_code"])
	require.Equal(t, "沙箱扫码", f.srv.WaitingQR()[0].Subject, "the waiting list names the order")
}

func TestWeChatQR_InTheBill(t *testing.T) {
	f := newFixture(t)
	m := f.unifiedorder("QB-1", "1250", f.wxExpire(5*time.Minute))
	require.NoError(t, f.srv.PayQR(m["code_url"]))
	f.unifiedorder("QB-2", "300", f.wxExpire(5*time.Minute)) // never paid: not in the bill
	f.micropay("QB-3", wxCode("001"), "100")

	c := f.creds.WeChat
	q := map[string]string{"appid": c.AppID, "mch_id": c.MchID, "nonce_str": "n", "bill_date": t0.Format("20060102"), "bill_type": "ALL"}
	q["sign"], _ = WeChatSign(q, c.APIKey, "")
	resp, err := f.plain.Post(f.srv.BaseURL+"/pay/downloadbill", "text/xml", strings.NewReader(string(buildWeChatXML(q))))
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	rows, _, sum := parseWeChatBill(t, string(raw))
	require.Len(t, rows, 2, string(raw))
	byNo := map[string]map[string]string{}
	for _, r := range rows {
		byNo[r["商户订单号"]] = r
	}
	require.Equal(t, "NATIVE", byNo["QB-1"]["交易类型"])
	require.Equal(t, "12.50", byNo["QB-1"]["应结订单金额"])
	require.Equal(t, "MICROPAY", byNo["QB-3"]["交易类型"])
	require.Equal(t, "13.50", sum[1])
}

func TestAlipayQR_ScanPayCancelExpire(t *testing.T) {
	f := newFixture(t)
	l := f.srv.Ledger()
	expire := func(d time.Duration) string { return f.clock.Now().Add(d).In(beijing).Format("2006-01-02 15:04:05") }
	precreate := func(no, amount string, d time.Duration) map[string]any {
		_, m := f.ali("alipay.trade.precreate", map[string]any{"out_trade_no": no, "total_amount": amount, "subject": "沙箱扫码",
			"store_id": "S1", "time_expire": expire(d)})
		return m
	}

	m := precreate("AQ-1", "12.50", 5*time.Minute)
	require.Equal(t, "10000", m["code"], "%v", m)
	code := str(m["qr_code"])
	require.True(t, strings.HasPrefix(code, "https://qr.alipay.com/"), code)
	require.Equal(t, code, str(precreate("AQ-1", "12.50", 5*time.Minute)["qr_code"]), "a repeat is the same code")
	require.Equal(t, "ACQ.CONTEXT_INCONSISTENT", precreate("AQ-1", "12.51", 5*time.Minute)["sub_code"])

	// Alipay knows no trade until the customer scans.
	require.Equal(t, "ACQ.TRADE_NOT_EXIST", f.tradeQuery("AQ-1")["sub_code"])
	_, c := f.ali("alipay.trade.close", map[string]any{"out_trade_no": "AQ-1"})
	require.Equal(t, "ACQ.TRADE_NOT_EXIST", c["sub_code"], "close before the scan closes nothing")
	require.NoError(t, f.srv.ScanQR(code))
	q := f.tradeQuery("AQ-1")
	require.Equal(t, "WAIT_BUYER_PAY", q["trade_status"])
	require.NoError(t, f.srv.PayQR(code))
	q = f.tradeQuery("AQ-1")
	require.Equal(t, "TRADE_SUCCESS", q["trade_status"])
	require.Equal(t, "12.50", q["total_amount"])
	require.Equal(t, "ACQ.TRADE_HAS_SUCCESS", precreate("AQ-1", "12.50", 5*time.Minute)["sub_code"])
	_, c = f.ali("alipay.trade.close", map[string]any{"out_trade_no": "AQ-1"})
	require.Equal(t, "ACQ.TRADE_STATUS_ERROR", c["sub_code"], "a paid trade cannot be closed")

	// Cancelled before the scan: the number is recorded, the code is dead.
	m = precreate("AQ-2", "8.00", 5*time.Minute)
	_, c = f.ali("alipay.trade.cancel", map[string]any{"out_trade_no": "AQ-2"})
	require.Equal(t, "10000", c["code"], "%v", c)
	require.Equal(t, "close", c["action"])
	require.ErrorIs(t, f.srv.PayQR(str(m["qr_code"])), ErrQRClosed)
	require.Equal(t, "TRADE_CLOSED", f.tradeQuery("AQ-2")["trade_status"])

	// Cancelled after the customer paid: the money goes back.
	m = precreate("AQ-3", "6.00", 5*time.Minute)
	require.NoError(t, f.srv.PayQR(str(m["qr_code"])))
	_, c = f.ali("alipay.trade.cancel", map[string]any{"out_trade_no": "AQ-3"})
	require.Equal(t, "refund", c["action"])
	o, _ := l.Order("alipay", "AQ-3")
	require.Equal(t, StateReversed, o.State)

	// Expired: never scanned stays unknown to Alipay; scanned closes.
	m = precreate("AQ-4", "1.00", 2*time.Minute)
	m5 := precreate("AQ-5", "1.00", 2*time.Minute)
	require.NoError(t, f.srv.ScanQR(str(m5["qr_code"])))
	f.clock.Advance(2 * time.Minute)
	require.ErrorIs(t, f.srv.PayQR(str(m["qr_code"])), ErrQRExpired)
	require.ErrorIs(t, f.srv.PayQR(str(m5["qr_code"])), ErrQRExpired)
	require.Equal(t, "ACQ.TRADE_NOT_EXIST", f.tradeQuery("AQ-4")["sub_code"])
	require.Equal(t, "TRADE_CLOSED", f.tradeQuery("AQ-5")["trade_status"])

	// timeout_express is read too; a bad one is refused.
	_, m = f.ali("alipay.trade.precreate", map[string]any{"out_trade_no": "AQ-6", "total_amount": "1.00", "subject": "x", "timeout_express": "90m"})
	require.Equal(t, "10000", m["code"])
	_, m = f.ali("alipay.trade.precreate", map[string]any{"out_trade_no": "AQ-7", "total_amount": "1.00", "subject": "x", "timeout_express": "1.5h"})
	require.Equal(t, "ACQ.INVALID_PARAMETER", m["sub_code"])

	s := l.Summary()
	require.Equal(t, 2, s.Charges)
	require.Equal(t, 1, s.Unreversed, "only AQ-1 keeps its money")
}

func TestAlipayQR_InTheBill(t *testing.T) {
	f := newFixture(t)
	_, m := f.ali("alipay.trade.precreate", map[string]any{"out_trade_no": "AQB-1", "total_amount": "12.50", "subject": "x",
		"time_expire": f.clock.Now().Add(5 * time.Minute).In(beijing).Format("2006-01-02 15:04:05")})
	require.NoError(t, f.srv.PayQR("AQB-1"), "by out_trade_no too")
	_, m = f.ali("alipay.data.dataservice.bill.downloadurl.query", map[string]any{"bill_type": "trade", "bill_date": t0.Format("2006-01-02")})
	resp, err := f.plain.Get(str(m["bill_download_url"]))
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, []string{"AQB-1|交易|12.50"}, parseAlipayBillZip(t, raw))
}

func TestQRAdmin_HTTP(t *testing.T) {
	f := newFixture(t)
	m := f.unifiedorder("QA-1", "500", f.wxExpire(5*time.Minute))
	code := m["code_url"]

	get := func() []QRView {
		resp, err := f.plain.Get(f.srv.BaseURL + "/sandbox/qr")
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var v []QRView
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
		return v
	}
	post := func(action, ref string) (int, map[string]any) {
		resp, err := f.plain.PostForm(f.srv.BaseURL+"/sandbox/qr/"+action, url.Values{"code": {ref}})
		require.NoError(t, err)
		defer resp.Body.Close()
		var v map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	list := get()
	require.Len(t, list, 1)
	require.Equal(t, code, list[0].CodeURL)
	require.Equal(t, "5.00", list[0].Amount)

	st, v := post("scan", code)
	require.Equal(t, http.StatusOK, st)
	require.Equal(t, true, v["scanned"])
	st, v = post("pay", code)
	require.Equal(t, http.StatusOK, st, "%v", v)
	require.Equal(t, "PAID", v["state"])
	require.Equal(t, "SUCCESS", f.orderquery("QA-1")["trade_state"])
	st, _ = post("pay", code)
	require.Equal(t, http.StatusConflict, st, "paid once")
	st, _ = post("pay", "weixin://wxpay/bizpayurl?pr=nothing")
	require.Equal(t, http.StatusNotFound, st)
	require.Empty(t, get())

	resp, err := f.plain.Get(f.srv.BaseURL + "/sandbox/qr/pay")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "paying is a POST")
}

// A QR order outlives a restart on the same ledger file: the code is
// still payable, and the repeat of the request still gets it.
func TestQR_SurvivesRestart(t *testing.T) {
	path := t.TempDir() + "/ledger.jsonl"
	f1 := newFixture(t, withLedger(path))
	m := f1.unifiedorder("QR-R", "700", f1.wxExpire(5*time.Minute))
	f1.fileShared = true
	f1.srv.Close()

	f2 := newFixture(t, withLedger(path))
	// Both fixtures' clocks start at t0: the repeat names the same time_expire.
	require.Equal(t, m["code_url"], f2.unifiedorder("QR-R", "700", f2.wxExpire(5*time.Minute))["code_url"])
	require.NoError(t, f2.srv.PayQR(m["code_url"]))
	require.Equal(t, "SUCCESS", f2.orderquery("QR-R")["trade_state"])
}
