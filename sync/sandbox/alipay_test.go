package sandbox

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/app"
)

// aliCode makes an 18-digit Alipay payment code ending in the scenario digits.
func aliCode(last3 string) string { return "281234567890123" + last3 }

func (f *fixture) tradePay(no, code, amount string) (int, map[string]any) {
	f.t.Helper()
	return f.ali("alipay.trade.pay", map[string]any{"out_trade_no": no, "scene": "bar_code", "auth_code": code, "subject": "沙箱", "total_amount": amount, "store_id": "S1"})
}

func (f *fixture) tradeQuery(no string) map[string]any {
	f.t.Helper()
	_, m := f.ali("alipay.trade.query", map[string]any{"out_trade_no": no})
	return m
}

func TestAlipay_Scenarios(t *testing.T) {
	f := newFixture(t)
	l := f.srv.Ledger()

	_, m := f.tradePay("AP-OK", aliCode("789"), "12.34")
	require.Equal(t, "10000", m["code"])
	require.Equal(t, "12.34", m["total_amount"])
	require.Len(t, m["trade_no"], 28)
	require.Equal(t, "TRADE_SUCCESS", f.tradeQuery("AP-OK")["trade_status"])

	_, m = f.tradePay("AP-101", aliCode("101"), "5.00")
	require.Equal(t, "10003", m["code"], "waiting for the customer is not success")
	require.Equal(t, "WAIT_BUYER_PAY", f.tradeQuery("AP-101")["trade_status"])
	require.Empty(t, l.ChargesFor(aliCode("101")))
	f.clock.Advance(DefaultUserPaying)
	require.Equal(t, "TRADE_SUCCESS", f.tradeQuery("AP-101")["trade_status"])
	require.Len(t, l.ChargesFor(aliCode("101")), 1)

	_, m = f.tradePay("AP-102", aliCode("102"), "5.00")
	require.Equal(t, "10003", m["code"])
	f.clock.Advance(DefaultUserPaying)
	require.Equal(t, "TRADE_CLOSED", f.tradeQuery("AP-102")["trade_status"])
	require.Empty(t, l.ChargesFor(aliCode("102")))

	_, m = f.tradePay("AP-201", aliCode("201"), "5.00")
	require.Equal(t, "40004", m["code"])
	require.Equal(t, "ACQ.BUYER_BALANCE_NOT_ENOUGH", m["sub_code"])
	_, m = f.tradePay("AP-202", aliCode("202"), "5.00")
	require.Equal(t, "ACQ.PAYMENT_AUTH_CODE_INVALID", m["sub_code"])

	_, m = f.tradePay("AP-301", aliCode("301"), "5.00")
	require.Equal(t, "20000", m["code"])
	require.Equal(t, "ACQ.SYSTEM_ERROR", m["sub_code"])
	require.Len(t, l.ChargesFor(aliCode("301")), 1)
	require.Equal(t, "TRADE_SUCCESS", f.tradeQuery("AP-301")["trade_status"])
	_, m = f.tradePay("AP-301", aliCode("301"), "5.00")
	require.Equal(t, "10000", m["code"], "the retry is the same trade")

	done := make(chan map[string]any, 1)
	go func() {
		_, m := f.tradePay("AP-401", aliCode("401"), "5.00")
		done <- m
	}()
	waitWaiters(t, f.clock, 1)
	require.Len(t, l.ChargesFor(aliCode("401")), 1)
	f.clock.Advance(DefaultSlowAnswer)
	select {
	case m = <-done:
		require.Equal(t, "10000", m["code"])
	case <-time.After(5 * time.Second):
		t.Fatal("slow answer never came")
	}

	v := f.aliParams("alipay.trade.pay", map[string]any{"out_trade_no": "AP-402", "scene": "bar_code", "auth_code": aliCode("402"), "subject": "x", "total_amount": "5.00"}, f.aliKey)
	resp, err := f.plain.PostForm(f.srv.AlipayGateway, v)
	if err == nil {
		resp.Body.Close()
	}
	require.Error(t, err)
	require.Len(t, l.ChargesFor(aliCode("402")), 1)
	require.Equal(t, "TRADE_SUCCESS", f.tradeQuery("AP-402")["trade_status"])

	st, _ := f.tradePay("AP-501", aliCode("501"), "5.00")
	require.Equal(t, http.StatusServiceUnavailable, st)
	require.Equal(t, "ACQ.TRADE_NOT_EXIST", f.tradeQuery("AP-501")["sub_code"])

	_, m = f.tradePay("AP-BIG", aliCode("777"), "50000.01")
	require.Equal(t, "ACQ.BUYER_BALANCE_NOT_ENOUGH", m["sub_code"])
}

func TestAlipay_GatewayRefusals(t *testing.T) {
	f := newFixture(t)
	biz := map[string]any{"out_trade_no": "AP-FORGED", "scene": "bar_code", "auth_code": aliCode("789"), "subject": "x", "total_amount": "1.00"}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)

	cases := map[string]struct {
		v       url.Values
		code    string
		subCode string
	}{
		"signed with another key": {f.aliParams("alipay.trade.pay", biz, other), "40002", "isv.invalid-signature"},
		"no signature":            {f.aliParams("alipay.trade.pay", biz, nil), "40001", "isv.missing-signature"},
	}
	tampered := f.aliParams("alipay.trade.pay", biz, f.aliKey)
	tampered.Set("biz_content", strings.Replace(tampered.Get("biz_content"), "1.00", "0.01", 1))
	cases["tampered biz_content"] = struct {
		v       url.Values
		code    string
		subCode string
	}{tampered, "40002", "isv.invalid-signature"}
	rsa1 := f.aliParams("alipay.trade.pay", biz, f.aliKey)
	rsa1.Set("sign_type", "RSA")
	cases["RSA (SHA1)"] = struct {
		v       url.Values
		code    string
		subCode string
	}{rsa1, "40002", "isv.invalid-signature-type"}
	badTS := f.aliParams("alipay.trade.pay", biz, f.aliKey)
	badTS.Set("timestamp", "yesterday")
	cases["bad timestamp"] = struct {
		v       url.Values
		code    string
		subCode string
	}{badTS, "40002", "isv.invalid-timestamp"}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, m := f.aliForm("alipay.trade.pay", tc.v)
			require.Equal(t, tc.code, m["code"], "%v", m)
			require.Equal(t, tc.subCode, m["sub_code"])
		})
	}

	// Refused before the app is known: nothing to sign for, so an unsigned
	// error_response.
	unknownApp := f.aliParams("alipay.trade.pay", biz, f.aliKey)
	unknownApp.Set("app_id", "2021000000000000")
	noApp := f.aliParams("alipay.trade.pay", biz, f.aliKey)
	noApp.Del("app_id")
	for name, tc := range map[string]struct {
		v             url.Values
		code, subCode string
	}{"unknown app": {unknownApp, "40002", "isv.invalid-app-id"}, "no app_id": {noApp, "40001", "isv.missing-app-id"}} {
		t.Run(name, func(t *testing.T) {
			resp, err := f.plain.PostForm(f.srv.AlipayGateway, tc.v)
			require.NoError(t, err)
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var doc map[string]map[string]any
			require.NoError(t, json.Unmarshal(raw, &doc), "%s", raw)
			require.Len(t, doc, 1, "only error_response, no sign: %s", raw)
			require.Equal(t, tc.code, doc["error_response"]["code"])
			require.Equal(t, tc.subCode, doc["error_response"]["sub_code"])
		})
	}
	_, ok := f.srv.Ledger().Order(app.ChannelAlipay, "AP-FORGED")
	require.False(t, ok)

	// An unknown method answers in error_response.
	v := f.aliParams("alipay.trade.nothing", biz, f.aliKey)
	resp, err := f.plain.PostForm(f.srv.AlipayGateway, v)
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(raw), `{"error_response":{`)
	require.Contains(t, string(raw), "isv.invalid-method")

	// A parameter given twice (query and body) is refused, not merged.
	v = f.aliParams("alipay.trade.pay", biz, f.aliKey)
	resp, err = f.plain.Post(f.srv.AlipayGateway+"?app_id="+url.QueryEscape(v.Get("app_id")), "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
	require.NoError(t, err)
	raw, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(raw), "isv.invalid-parameter")
}

// alipay-sdk puts the common parameters in the URL and biz_content in the body.
func TestAlipay_ParamsSplitBetweenURLAndBody(t *testing.T) {
	f := newFixture(t)
	v := f.aliParams("alipay.trade.pay", map[string]any{"out_trade_no": "AP-SPLIT", "scene": "bar_code", "auth_code": aliCode("789"), "subject": "拆分", "total_amount": "3.00"}, f.aliKey)
	q := url.Values{}
	body := url.Values{}
	for k, vs := range v {
		if k == "biz_content" {
			body[k] = vs
		} else {
			q[k] = vs
		}
	}
	resp, err := f.plain.Post(f.srv.AlipayGateway+"?"+q.Encode(), "application/x-www-form-urlencoded;charset=utf-8", strings.NewReader(body.Encode()))
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	inner, _ := splitAlipay(t, raw, "alipay_trade_pay_response")
	var m map[string]any
	require.NoError(t, json.Unmarshal(inner, &m))
	require.Equal(t, "10000", m["code"], "%s", raw)
	// GET with everything in the query string works too.
	v = f.aliParams("alipay.trade.query", map[string]any{"out_trade_no": "AP-SPLIT"}, f.aliKey)
	resp, err = f.plain.Get(f.srv.AlipayGateway + "?" + v.Encode())
	require.NoError(t, err)
	raw, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.True(t, bytes.Contains(raw, []byte(`"trade_status":"TRADE_SUCCESS"`)), "%s", raw)
}

func TestAlipay_IdempotencyRefundCancel(t *testing.T) {
	f := newFixture(t)
	l := f.srv.Ledger()
	_, a := f.tradePay("AP-ID", aliCode("123"), "100.00")
	_, b := f.tradePay("AP-ID", aliCode("123"), "100.00")
	require.Equal(t, a["trade_no"], b["trade_no"])
	_, c := f.tradePay("AP-ID", aliCode("123"), "99.00")
	require.Equal(t, "ACQ.TRADE_HAS_SUCCESS", c["sub_code"])

	refund := func(req, amount string) map[string]any {
		_, m := f.ali("alipay.trade.refund", map[string]any{"out_trade_no": "AP-ID", "refund_amount": amount, "out_request_no": req})
		return m
	}
	m := refund("R1", "30.00")
	require.Equal(t, "Y", m["fund_change"])
	require.Equal(t, "30.00", m["refund_fee"])
	m = refund("R1", "30.00")
	require.Equal(t, "N", m["fund_change"])
	require.Equal(t, "ACQ.CONTEXT_INCONSISTENT", refund("R1", "31.00")["sub_code"])
	m = refund("R2", "70.00")
	require.Equal(t, "100.00", m["refund_fee"], "refund_fee is the trade's total refunded")
	require.Equal(t, "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", refund("R3", "0.01")["sub_code"])
	require.Equal(t, "TRADE_CLOSED", f.tradeQuery("AP-ID")["trade_status"], "fully refunded")
	_, q := f.ali("alipay.trade.fastpay.refund.query", map[string]any{"out_trade_no": "AP-ID", "out_request_no": "R2"})
	require.Equal(t, "REFUND_SUCCESS", q["refund_status"])
	require.Equal(t, "70.00", q["refund_amount"])
	_, q = f.ali("alipay.trade.fastpay.refund.query", map[string]any{"out_trade_no": "AP-ID", "out_request_no": "R9"})
	require.Equal(t, "10000", q["code"])
	require.Nil(t, q["refund_status"], "an unknown refund has no fields")

	cancel := func(no string) map[string]any {
		_, m := f.ali("alipay.trade.cancel", map[string]any{"out_trade_no": no})
		return m
	}
	f.tradePay("AP-C1", aliCode("124"), "8.00")
	m = cancel("AP-C1")
	require.Equal(t, "refund", m["action"])
	require.Equal(t, "N", m["retry_flag"])
	ch := l.ChargesFor(aliCode("124"))
	require.True(t, ch[0].Reversed)
	m = cancel("AP-NEVER")
	require.Equal(t, "close", m["action"])
	_, m = f.tradePay("AP-NEVER", aliCode("125"), "8.00")
	require.Equal(t, "ACQ.TRADE_HAS_CLOSE", m["sub_code"], "a cancelled number cannot be paid later")
	require.Empty(t, l.ChargesFor(aliCode("125")))
	f.tradePay("AP-OLD", aliCode("126"), "8.00")
	f.clock.Advance(8 * 24 * time.Hour)
	require.Equal(t, "ACQ.TRADE_CANCEL_TIME_OUT", cancel("AP-OLD")["sub_code"])
}

func TestAlipay_Deposit(t *testing.T) {
	f := newFixture(t)
	l := f.srv.Ledger()
	_, m := f.ali("alipay.fund.auth.order.freeze", map[string]any{
		"auth_code": aliCode("321"), "auth_code_type": "bar_code", "out_order_no": "AF-1", "out_request_no": "AF-1-F",
		"order_title": "房费押金", "amount": "500.00", "product_code": "PRE_AUTH",
	})
	require.Equal(t, "10000", m["code"], "%v", m)
	require.Equal(t, "SUCCESS", m["status"])
	authNo := str(m["auth_no"])
	require.NotEmpty(t, authNo)

	detail := func() map[string]any {
		_, m := f.ali("alipay.fund.auth.operation.detail.query", map[string]any{"auth_no": authNo, "out_request_no": "AF-1-F"})
		return m
	}
	require.Equal(t, "AUTHORIZED", detail()["order_status"])

	_, m = f.ali("alipay.trade.pay", map[string]any{"out_trade_no": "AF-1-P1", "auth_no": authNo, "product_code": "PRE_AUTH",
		"auth_confirm_mode": "NOT_COMPLETE", "subject": "房费", "total_amount": "200.00"})
	require.Equal(t, "10000", m["code"], "%v", m)
	require.Equal(t, "300.00", detail()["rest_amount"])
	_, m = f.ali("alipay.fund.auth.order.unfreeze", map[string]any{"auth_no": authNo, "out_request_no": "AF-1-U1", "amount": "50.00", "remark": "退部分押金"})
	require.Equal(t, "SUCCESS", m["status"])
	_, m = f.ali("alipay.fund.auth.order.unfreeze", map[string]any{"auth_no": authNo, "out_request_no": "AF-1-U1", "amount": "50.00", "remark": "退部分押金"})
	require.Equal(t, "10000", m["code"], "same request number: same answer")
	require.Equal(t, "250.00", detail()["rest_amount"])
	_, m = f.ali("alipay.trade.pay", map[string]any{"out_trade_no": "AF-1-P2", "auth_no": authNo, "product_code": "PRE_AUTH",
		"auth_confirm_mode": "COMPLETE", "subject": "房费", "total_amount": "100.00"})
	require.Equal(t, "10000", m["code"])
	d := detail()
	require.Equal(t, "FINISH", d["order_status"])
	require.Equal(t, "0.00", d["rest_amount"])
	require.Equal(t, "300.00", d["total_pay_amount"])
	// A consumption is refunded as a trade; the money goes back to the deposit's charge.
	_, m = f.ali("alipay.trade.refund", map[string]any{"out_trade_no": "AF-1-P2", "refund_amount": "100.00", "out_request_no": "AF-1-P2-R"})
	require.Equal(t, "Y", m["fund_change"])
	ch := l.ChargesFor(aliCode("321"))
	require.Len(t, ch, 1)
	require.Equal(t, app.Money(50000), ch[0].Amount)
	require.Equal(t, app.Money(20000), ch[0].Held(), "200.00 consumed and kept")

	// Cancel a fresh freeze: everything unfrozen.
	_, m = f.ali("alipay.fund.auth.order.freeze", map[string]any{
		"auth_code": aliCode("322"), "auth_code_type": "bar_code", "out_order_no": "AF-2", "out_request_no": "AF-2-F",
		"order_title": "押金", "amount": "100.00", "product_code": "PRE_AUTH",
	})
	require.Equal(t, "10000", m["code"])
	_, m = f.ali("alipay.fund.auth.operation.cancel", map[string]any{"out_order_no": "AF-2", "out_request_no": "AF-2-F", "remark": "撤销"})
	require.Equal(t, "unfreeze", m["action"])
	require.Zero(t, l.ChargesFor(aliCode("322"))[0].Held())

	// Scenarios apply to freezes.
	_, m = f.ali("alipay.fund.auth.order.freeze", map[string]any{
		"auth_code": aliCode("201"), "auth_code_type": "bar_code", "out_order_no": "AF-3", "out_request_no": "AF-3-F",
		"order_title": "押金", "amount": "100.00", "product_code": "PRE_AUTH",
	})
	require.Equal(t, "BUYER_BALANCE_NOT_ENOUGH", m["sub_code"])
	_, m = f.ali("alipay.fund.auth.order.freeze", map[string]any{
		"auth_code": aliCode("101"), "auth_code_type": "bar_code", "out_order_no": "AF-4", "out_request_no": "AF-4-F",
		"order_title": "押金", "amount": "100.00", "product_code": "PRE_AUTH",
	})
	require.Equal(t, "10003", m["code"])
	require.Equal(t, "INIT", m["status"])
}

func TestAlipay_Bill(t *testing.T) {
	f := newFixture(t)
	f.tradePay("AB-1", aliCode("001"), "10.00")
	f.tradePay("AB-2", aliCode("002"), "20.50")
	f.ali("alipay.trade.refund", map[string]any{"out_trade_no": "AB-2", "refund_amount": "0.50", "out_request_no": "AB-2-R"})
	f.tradePay("AB-3", aliCode("003"), "1.00")
	f.ali("alipay.trade.cancel", map[string]any{"out_trade_no": "AB-3"})

	_, m := f.ali("alipay.data.dataservice.bill.downloadurl.query", map[string]any{"bill_type": "trade", "bill_date": t0.Format("2006-01-02")})
	require.Equal(t, "10000", m["code"])
	u := str(m["bill_download_url"])
	resp, err := f.plain.Get(u)
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	rows := parseAlipayBillZip(t, raw)
	require.ElementsMatch(t, []string{"AB-1|交易|10.00", "AB-2|交易|20.50", "AB-2|退款|-0.50", "AB-3|交易|1.00", "AB-3|退款|-1.00"}, rows)

	// The URL cannot be edited to another app or day.
	resp, err = f.plain.Get(strings.Replace(u, "bizDates=", "bizDates=1", 1))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	_, m = f.ali("alipay.data.dataservice.bill.downloadurl.query", map[string]any{"bill_type": "trade", "bill_date": t0.AddDate(0, 0, -1).Format("2006-01-02")})
	require.Equal(t, "isp.bill_not_exist", m["sub_code"])
}

// undiscountable_amount (the store payment mode "total + non-discountable")
// is a price no larger than the total; a bad one is refused before anyone
// is charged.
func TestAlipay_UndiscountableAmount(t *testing.T) {
	f := newFixture(t)
	pay := func(no, undiscountable string) map[string]any {
		_, m := f.ali("alipay.trade.pay", map[string]any{"out_trade_no": no, "scene": "bar_code", "auth_code": aliCode("789"),
			"subject": "沙箱", "total_amount": "10.00", "undiscountable_amount": undiscountable})
		return m
	}
	require.Equal(t, "10000", pay("AP-U1", "2.50")["code"])
	require.Equal(t, "10000", pay("AP-U2", "10.00")["code"])
	for i, bad := range []string{"10.01", "2.505", "-1", "abc"} {
		m := pay("AP-UX"+string(rune('0'+i)), bad)
		require.Equal(t, "40004", m["code"], bad)
		require.Equal(t, "ACQ.INVALID_PARAMETER", m["sub_code"], bad)
	}
	require.Len(t, f.srv.Ledger().ChargesFor(aliCode("789")), 2)
}
