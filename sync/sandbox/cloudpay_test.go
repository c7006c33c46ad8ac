package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/app"
)

func (f *fixture) cpPay(api, no, code string, fee int64, platform int) (int, map[string]any, bool) {
	f.t.Helper()
	return f.cpReq(api, map[string]any{
		"pay_mch_key":  f.cpMchKey(platform),
		"pay_content":  map[string]any{"out_trade_no": f.cpNo(no), "author_code": code, "total_fee": fee, "fee_type": "CNY", "body": "沙箱"},
		"order_client": f.cpClient(),
		"nonce_str":    nonce(32),
	}, cpHMAC)
}

// cpFreeze is micro_freeze with its documented content group.
func (f *fixture) cpFreeze(no, code string, fee int64, platform int) map[string]any {
	f.t.Helper()
	_, m, signed := f.cpReq("micro_freeze", map[string]any{
		"pay_mch_key":    f.cpMchKey(platform),
		"freeze_content": map[string]any{"out_freeze_no": f.cpNo(no), "author_code": code, "freeze_fee": fee, "fee_type": "CNY", "body": "押金"},
		"order_client":   f.cpClient(),
		"nonce_str":      nonce(32),
	}, cpHMAC)
	require.True(f.t, signed || cpStatus(m) == cpFailed)
	return m
}

// cpFreezeState reads freeze_order_content.<platform ext>.current_trade_state.
func cpFreezeState(t testing.TB, m map[string]any, api string) int {
	t.Helper()
	fc, _ := jsonPath(m, api, "freeze_order_content").(map[string]any)
	require.NotNil(t, fc, "%v", m)
	for _, ext := range []string{"wxpay_freeze_order_content_ext", "alipay_freeze_order_content_ext"} {
		if e, ok := fc[ext].(map[string]any); ok {
			n, _ := e["current_trade_state"].(json.Number).Int64()
			return int(n)
		}
	}
	t.Fatalf("no platform ext in %v", fc)
	return 0
}

func (f *fixture) cpQueryFreeze(no string, platform int) map[string]any {
	f.t.Helper()
	_, m, _ := f.cpReq("query_freeze_order", map[string]any{"pay_mch_key": f.cpMchKey(platform), "order_client": f.cpClient(),
		"out_freeze_no": f.cpNo(no), "nonce_str": nonce(32)}, cpHMAC)
	return m
}

func (f *fixture) cpQuery(no string, platform int) (map[string]any, bool) {
	f.t.Helper()
	_, m, signed := f.cpReq("query_order", map[string]any{"pay_mch_key": f.cpMchKey(platform), "order_client": f.cpClient(),
		"out_trade_no": f.cpNo(no), "trade_type": 1, "nonce_str": nonce(32)}, cpHMAC)
	return m, signed
}

// cpState reads order_content.<platform ext>.current_trade_state from an answer.
func cpState(t testing.TB, m map[string]any, api string) int {
	t.Helper()
	oc, _ := jsonPath(m, api, "order_content").(map[string]any)
	require.NotNil(t, oc, "%v", m)
	for _, ext := range []string{"wxpay_order_content_ext", "alipay_order_content_ext"} {
		if e, ok := oc[ext].(map[string]any); ok {
			n, _ := e["current_trade_state"].(json.Number).Int64()
			return int(n)
		}
	}
	t.Fatalf("no platform ext in %v", oc)
	return 0
}

func TestCloudPay_Scenarios(t *testing.T) {
	f := newFixture(t)
	l := f.srv.Ledger()

	_, m, signed := f.cpPay("micro_pay", "OK", wxCode("789"), 1234, 1)
	require.True(t, signed)
	require.Equal(t, cpOK, cpStatus(m))
	require.Equal(t, 2, cpState(t, m, "micro_pay"))
	require.EqualValues(t, "1234", str(jsonPath(m, "micro_pay", "order_content", "total_fee")))
	q, signed := f.cpQuery("OK", 1)
	require.True(t, signed)
	require.Equal(t, 2, cpState(t, q, "query_order"))

	// Alipay codes through Cloud Pay. PayPlatform is 1 WeChat Pay, 2
	// Alipay, 4 bookkeeping (page 37628): there is no member-card 3.
	_, m, _ = f.cpPay("micro_pay", "ALI", aliCode("789"), 100, 2)
	require.Equal(t, 2, cpState(t, m, "micro_pay"))
	for _, platform := range []int{3, 4, 0} {
		_, m, signed = f.cpPay("micro_pay", "CARD", "990000000000000789", 100, platform)
		require.Equal(t, cpFailed, cpStatus(m), "pay_platform %d", platform)
		require.False(t, signed)
		require.Contains(t, m["description"], "pay_platform")
	}
	_, m, _ = f.cpPay("micro_pay", "CARD", wxCode("790"), 100, 3)
	require.Equal(t, cpFailed, cpStatus(m))
	_, found := l.Order(app.ChannelCloudPay, f.cpNo("CARD"))
	require.False(t, found, "nothing recorded for a platform that does not exist")

	_, m, _ = f.cpPay("micro_pay", "101", wxCode("101"), 100, 1)
	require.Equal(t, cpOK, cpStatus(m))
	require.Equal(t, 9, cpState(t, m, "micro_pay"), "WeChat: 用户支付中")
	require.Empty(t, l.ChargesFor(wxCode("101")))
	f.clock.Advance(DefaultUserPaying)
	q, _ = f.cpQuery("101", 1)
	require.Equal(t, 2, cpState(t, q, "query_order"))

	_, m, _ = f.cpPay("micro_pay", "102", aliCode("102"), 100, 2)
	require.Equal(t, 4, cpState(t, m, "micro_pay"), "Alipay: 等待用户支付")
	f.clock.Advance(DefaultUserPaying)
	q, _ = f.cpQuery("102", 2)
	require.Equal(t, 5, cpState(t, q, "query_order"))
	require.Empty(t, l.ChargesFor(aliCode("102")))

	for _, code := range []string{wxCode("201"), wxCode("202")} {
		_, m, signed = f.cpPay("micro_pay", "F"+code[15:], code, 100, 1)
		require.True(t, signed)
		require.Equal(t, cpFailedDescribe, cpStatus(m))
		require.Empty(t, l.ChargesFor(code))
	}
	_, m, _ = f.cpPay("micro_pay", "BIG", wxCode("778"), 5_000_001, 1)
	require.Equal(t, cpFailedDescribe, cpStatus(m))
	require.Contains(t, m["description"], "余额不足")

	_, m, signed = f.cpPay("micro_pay", "301", wxCode("301"), 100, 1)
	require.True(t, signed)
	require.Equal(t, cpUnknownQuery, cpStatus(m))
	require.Len(t, l.ChargesFor(wxCode("301")), 1)
	q, _ = f.cpQuery("301", 1)
	require.Equal(t, 2, cpState(t, q, "query_order"))
	_, m, _ = f.cpPay("micro_pay", "301", wxCode("301"), 100, 1)
	require.Equal(t, cpOK, cpStatus(m), "the retried request is the same order")

	done := make(chan int, 1)
	go func() {
		_, m, _ := f.cpPay("micro_pay", "401", wxCode("401"), 100, 1)
		done <- cpStatus(m)
	}()
	waitWaiters(t, f.clock, 1)
	require.Len(t, l.ChargesFor(wxCode("401")), 1)
	f.clock.Advance(DefaultSlowAnswer)
	select {
	case st := <-done:
		require.Equal(t, cpOK, st)
	case <-time.After(5 * time.Second):
		t.Fatal("slow answer never came")
	}

	rc, _ := json.Marshal(map[string]any{"pay_mch_key": f.cpMchKey(1), "order_client": f.cpClient(), "nonce_str": "n",
		"pay_content": map[string]any{"out_trade_no": f.cpNo("402"), "author_code": wxCode("402"), "total_fee": 100, "fee_type": "CNY", "body": "x"}})
	env, _ := json.Marshal(map[string]any{"request_content": string(rc), "authen_info": map[string]any{"a": map[string]any{"authen_type": 1, "authen_code": CloudPayAuthenCode(f.creds.CloudPay.AuthenKey, rc)}}})
	resp, err := f.plain.Post(f.srv.CloudPayURL+"/micro_pay", "application/json", bytes.NewReader(env))
	if err == nil {
		resp.Body.Close()
	}
	require.Error(t, err)
	require.Len(t, l.ChargesFor(wxCode("402")), 1)

	st, _, _ := f.cpPay("micro_pay", "501", wxCode("501"), 100, 1)
	require.Equal(t, http.StatusServiceUnavailable, st)
	q, _ = f.cpQuery("501", 1)
	require.Equal(t, cpFailedDescribe, cpStatus(q))
	require.EqualValues(t, "404", str(q["internal_status"]))
}

func TestCloudPay_AuthenticationAndChecks(t *testing.T) {
	f := newFixture(t)
	content := map[string]any{
		"pay_mch_key":  f.cpMchKey(1),
		"pay_content":  map[string]any{"out_trade_no": f.cpNo("AUTH"), "author_code": wxCode("789"), "total_fee": 100, "fee_type": "CNY", "body": "x"},
		"order_client": f.cpClient(), "nonce_str": "n",
	}
	rc, _ := json.Marshal(content)
	good := CloudPayAuthenCode(f.creds.CloudPay.AuthenKey, rc)
	envelope := func(rcs string, ai any) []byte {
		b, _ := json.Marshal(map[string]any{"request_content": rcs, "authen_info": ai})
		return b
	}
	cases := map[string][]byte{
		"wrong code":       envelope(string(rc), map[string]any{"a": map[string]any{"authen_type": 1, "authen_code": strings.Repeat("A", 64)}}),
		"other key":        envelope(string(rc), map[string]any{"a": map[string]any{"authen_type": 1, "authen_code": CloudPayAuthenCode("another-key-of-32-characters-xx", rc)}}),
		"re-serialised":    envelope(string(rc)+" ", map[string]any{"a": map[string]any{"authen_type": 1, "authen_code": good}}),
		"md5 type":         envelope(string(rc), map[string]any{"a": map[string]any{"authen_type": 2, "authen_code": good}}),
		"no authen_info":   envelope(string(rc), nil),
		"signature on pay": envelope(string(rc), map[string]any{"s": map[string]any{"sign_type": 1, "sign": "AAAA"}}),
		"content object":   []byte(`{"request_content":{"a":1},"authen_info":{"a":{"authen_type":1,"authen_code":"` + good + `"}}}`),
		"not json":         []byte("{"),
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			_, m, signed := f.cpRaw("micro_pay", body)
			require.Equal(t, cpFailed, cpStatus(m), "%v", m)
			require.False(t, signed, "status 101 carries no authentication code")
		})
	}
	require.Zero(t, f.srv.Ledger().Summary().Orders)

	// Content-Type must be application/json.
	resp, err := f.plain.Post(f.srv.CloudPayURL+"/micro_pay", "text/plain", bytes.NewReader(envelope(string(rc), map[string]any{"a": map[string]any{"authen_type": 1, "authen_code": good}})))
	require.NoError(t, err)
	resp.Body.Close()
	require.Zero(t, f.srv.Ledger().Summary().Orders)

	// Merchant checks answer 101: unknown sub-merchant, order number without the prefix, shop, code/platform.
	check := func(mod func(c map[string]any)) map[string]any {
		c := map[string]any{
			"pay_mch_key":  f.cpMchKey(1),
			"pay_content":  map[string]any{"out_trade_no": f.cpNo("CHK"), "author_code": wxCode("789"), "total_fee": 100, "fee_type": "CNY", "body": "x"},
			"order_client": f.cpClient(), "nonce_str": "n",
		}
		mod(c)
		_, m, _ := f.cpReq("micro_pay", c, cpHMAC)
		return m
	}
	require.Contains(t, check(func(c map[string]any) { c["pay_mch_key"].(map[string]any)["out_sub_mch_id"] = "nobody" })["description"], "子商户不存在")
	require.Contains(t, check(func(c map[string]any) { c["pay_content"].(map[string]any)["out_trade_no"] = "X123" })["description"], "前缀")
	require.Contains(t, check(func(c map[string]any) { c["pay_mch_key"].(map[string]any)["out_shop_id"] = "nowhere" })["description"], "门店不存在")
	require.Contains(t, check(func(c map[string]any) { c["pay_mch_key"].(map[string]any)["pay_platform"] = 2 })["description"], "pay_platform")
	require.Contains(t, check(func(c map[string]any) { delete(c, "order_client") })["description"], "order_client")
	_, m, _ := f.cpReq("no_such_api", map[string]any{}, cpHMAC)
	require.Equal(t, cpFailed, cpStatus(m))
}

func TestCloudPay_DuplicateRefundReverseClose(t *testing.T) {
	f := newFixture(t)
	l := f.srv.Ledger()
	_, a, _ := f.cpPay("micro_pay", "D1", wxCode("123"), 1000, 1)
	_, b, _ := f.cpPay("micro_pay", "D1", wxCode("123"), 1000, 1)
	require.Equal(t, jsonPath(a, "micro_pay", "order_content", "transaction_id"), jsonPath(b, "micro_pay", "order_content", "transaction_id"))
	_, c, signed := f.cpPay("micro_pay", "D1", wxCode("123"), 999, 1)
	require.True(t, signed)
	require.Equal(t, cpFailedNewNo, cpStatus(c))
	require.EqualValues(t, "407", str(c["internal_status"]), "never reverse on 407")
	require.Len(t, l.ChargesFor(wxCode("123")), 1)

	refund := func(no string, fee int64, auth cpAuth) (map[string]any, bool) {
		_, m, s := f.cpReq("refund", map[string]any{"pay_mch_key": f.cpMchKey(1), "order_client": f.cpClient(), "nonce_str": "n",
			"refund_content": map[string]any{"out_trade_no": f.cpNo("D1"), "out_refund_no": f.cpNo(no), "total_fee": 1000, "refund_fee": fee, "refund_fee_type": "CNY"}}, auth)
		return m, s
	}
	m, signed := refund("D1R1", 300, cpPSS)
	require.True(t, signed)
	require.Equal(t, cpOK, cpStatus(m), "%v", m)
	rid := jsonPath(m, "refund", "refund_order_content", "refund_id")
	m, _ = refund("D1R1", 300, cpHMAC)
	require.Equal(t, rid, jsonPath(m, "refund", "refund_order_content", "refund_id"), "idempotent refund number")
	m, _ = refund("D1R1", 301, cpHMAC)
	require.Equal(t, cpFailedNewNo, cpStatus(m))
	m, _ = refund("D1R2", 701, cpHMAC)
	require.Equal(t, cpFailedDescribe, cpStatus(m))
	_, q, _ := f.cpReq("query_refund_order", map[string]any{"pay_mch_key": f.cpMchKey(1), "order_client": f.cpClient(), "nonce_str": "n",
		"out_trade_no": f.cpNo("D1"), "out_refund_no": f.cpNo("D1R1")}, cpHMAC)
	list, _ := jsonPath(q, "query_refund_order", "refund_order_content").([]any)
	require.Len(t, list, 1)
	require.EqualValues(t, "2", str(jsonPath(list[0].(map[string]any), "wxpay_refund_order_content_ext", "state")))
	o, _ := l.Order(app.ChannelCloudPay, f.cpNo("D1"))
	require.Equal(t, app.Money(300), o.Refunded)

	// A refund signed with a PSS key other than the configured one.
	bad := *f
	bad.cpKey = f.aliKey
	m, signed = (&bad).cpReqRefundPSS(f.cpNo("D1"), f.cpNo("D1R9"))
	require.False(t, signed)
	require.Equal(t, cpFailed, cpStatus(m))

	reverse := func(no string, device string) map[string]any {
		oc := f.cpClient()
		oc["device_id"] = device
		_, m, _ := f.cpReq("reverse", map[string]any{"pay_mch_key": f.cpMchKey(1), "order_client": oc, "out_trade_no": f.cpNo(no), "nonce_str": "n"}, cpPSS)
		return m
	}
	f.cpPay("micro_pay", "RV", wxCode("124"), 500, 1)
	require.Equal(t, cpFailed, cpStatus(reverse("RV", "POS-99")), "only the paying terminal may reverse")
	require.Equal(t, cpOK, cpStatus(reverse("RV", f.creds.CloudPay.DeviceID)))
	q, _ = f.cpQuery("RV", 1)
	require.Equal(t, 8, cpState(t, q, "query_order"), "刷卡支付，已撤单")
	require.True(t, l.ChargesFor(wxCode("124"))[0].Reversed)
	f.cpPay("micro_pay", "RVP", wxCode("101"), 500, 1)
	require.Equal(t, cpUnknownQuery, cpStatus(reverse("RVP", f.creds.CloudPay.DeviceID)), "paying: retry later")

	closeOrder := func(no string) map[string]any {
		_, m, _ := f.cpReq("close_order", map[string]any{"pay_mch_key": f.cpMchKey(1), "order_client": f.cpClient(), "out_trade_no": f.cpNo(no), "trade_type": 1, "nonce_str": "n"}, cpHMAC)
		return m
	}
	require.Equal(t, cpFailedDescribe, cpStatus(closeOrder("D1")), "a paid order cannot be closed")
	require.Equal(t, cpOK, cpStatus(closeOrder("NEVER")))
	_, m, _ = f.cpPay("micro_pay", "NEVER", wxCode("125"), 100, 1)
	require.Equal(t, cpFailedDescribe, cpStatus(m), "a closed number cannot be paid")
	require.Empty(t, l.ChargesFor(wxCode("125")))
}

func (f *fixture) cpReqRefundPSS(outTradeNo, outRefundNo string) (map[string]any, bool) {
	_, m, s := f.cpReq("refund", map[string]any{"pay_mch_key": f.cpMchKey(1), "order_client": f.cpClient(), "nonce_str": "n",
		"refund_content": map[string]any{"out_trade_no": outTradeNo, "out_refund_no": outRefundNo, "total_fee": 1000, "refund_fee": 1, "refund_fee_type": "CNY"}}, cpPSS)
	return m, s
}

// Deposits follow pages 37676 (micro_freeze), 37678 (deposit_consume),
// 37681 (query_unfreeze_order) and the freeze state tables of 37628.
func TestCloudPay_Deposit(t *testing.T) {
	f := newFixture(t)
	l := f.srv.Ledger()
	m := f.cpFreeze("DEP", wxCode("321"), 50000, 1)
	require.Equal(t, cpOK, cpStatus(m), "%v", m)
	fc := jsonPath(m, "micro_freeze", "freeze_order_content").(map[string]any)
	require.Equal(t, f.cpNo("DEP"), fc["out_freeze_no"])
	require.EqualValues(t, "50000", str(fc["freeze_fee"]))
	require.NotEmpty(t, fc["transaction_id"])
	require.Equal(t, 2, cpFreezeState(t, m, "micro_freeze"), "WxpayFreezeOrderState 2: frozen")
	require.Nil(t, jsonPath(m, "micro_freeze", "order_content"))
	require.Equal(t, 2, cpFreezeState(t, f.cpQueryFreeze("DEP", 1), "query_freeze_order"))

	// The freeze is not a payment: pay_content instead of freeze_content is
	// refused, and query_order does not serve it.
	_, m, _ = f.cpPay("micro_freeze", "DEPX", wxCode("323"), 100, 1)
	require.Equal(t, cpFailed, cpStatus(m))
	require.Contains(t, m["description"], "freeze_content")
	q, _ := f.cpQuery("DEP", 1)
	require.Equal(t, cpFailedDescribe, cpStatus(q))
	require.EqualValues(t, "404", str(q["internal_status"]))
	q = f.cpQueryFreeze("NEVER", 1)
	require.Equal(t, cpFailedDescribe, cpStatus(q))
	require.EqualValues(t, "404", str(q["internal_status"]))

	// Reversing a WeChat-platform deposit within 15 s: retry later.
	rev := func(no string) map[string]any {
		_, m, _ := f.cpReq("reverse", map[string]any{"pay_mch_key": f.cpMchKey(1), "order_client": f.cpClient(), "out_trade_no": f.cpNo(no), "nonce_str": "n"}, cpHMAC)
		return m
	}
	require.Equal(t, cpOK, cpStatus(f.cpFreeze("DEP2", wxCode("322"), 100, 1)))
	require.Equal(t, cpUnknownQuery, cpStatus(rev("DEP2")))
	f.clock.Advance(15 * time.Second)
	require.Equal(t, cpOK, cpStatus(rev("DEP2")))
	require.Equal(t, 5, cpFreezeState(t, f.cpQueryFreeze("DEP2", 1), "query_freeze_order"), "frozen, then all given back")

	consume := func(dep, no string, fee int64, confirm any) map[string]any {
		pc := map[string]any{"out_trade_no": f.cpNo(no), "total_fee": fee, "fee_type": "CNY", "body": "房费", "out_freeze_no": f.cpNo(dep)}
		if confirm != nil {
			pc["is_confirm_unfreeze"] = confirm
		}
		_, m, _ := f.cpReq("deposit_consume", map[string]any{"pay_mch_key": f.cpMchKey(1), "order_client": f.cpClient(), "nonce_str": "n",
			"pay_content": pc}, cpHMAC)
		return m
	}
	unfreeze := func(dep, no string, fee int64) map[string]any {
		_, m, _ := f.cpReq("unfreeze", map[string]any{"pay_mch_key": f.cpMchKey(1), "order_client": f.cpClient(), "nonce_str": "n",
			"out_freeze_no": f.cpNo(dep), "out_unfreeze_no": f.cpNo(no), "unfreeze_fee": fee, "remark": "退押金"}, cpHMAC)
		return m
	}
	unfreezes := func(dep, no string) []any {
		c := map[string]any{"pay_mch_key": f.cpMchKey(1), "order_client": f.cpClient(), "nonce_str": "n", "out_freeze_no": f.cpNo(dep)}
		if no != "" {
			c["out_unfreeze_no"] = f.cpNo(no)
		}
		_, m, signed := f.cpReq("query_unfreeze_order", c, cpHMAC)
		require.True(t, signed)
		require.Equal(t, cpOK, cpStatus(m), "%v", m)
		list, _ := jsonPath(m, "query_unfreeze_order", "unfreeze_order_content").([]any)
		return list
	}

	// out_freeze_no and is_confirm_unfreeze sit in pay_content.
	_, m, _ = f.cpReq("deposit_consume", map[string]any{"pay_mch_key": f.cpMchKey(1), "order_client": f.cpClient(), "nonce_str": "n",
		"out_freeze_no": f.cpNo("DEP"), "is_confirm_unfreeze": true,
		"pay_content": map[string]any{"out_trade_no": f.cpNo("DEP-C0"), "total_fee": 100, "fee_type": "CNY", "body": "房费"}}, cpHMAC)
	require.Equal(t, cpFailed, cpStatus(m), "top-level out_freeze_no is not the documented place")
	require.Equal(t, cpFailed, cpStatus(consume("DEP", "DEP-C0", 100, false)), "WeChat Pay: is_confirm_unfreeze only true")
	require.Equal(t, cpFailed, cpStatus(consume("DEP", "DEP-C0", 100, nil)), "is_confirm_unfreeze is required")

	m = unfreeze("DEP", "DEP-U1", 5000)
	require.Equal(t, cpOK, cpStatus(m), "%v", m)
	uc := jsonPath(m, "unfreeze", "unfreeze_order_content").(map[string]any)
	require.Equal(t, f.cpNo("DEP-U1"), uc["out_unfreeze_no"])
	require.Equal(t, f.cpNo("DEP"), uc["out_freeze_no"])
	require.EqualValues(t, "5000", str(uc["unfreeze_fee"]))
	require.EqualValues(t, "2", str(jsonPath(uc, "wxpay_unfreeze_order_content_ext", "state")), "WxpayUnfreezeOrderState 2")
	require.Equal(t, cpOK, cpStatus(unfreeze("DEP", "DEP-U1", 5000)), "same number: same answer")
	require.Equal(t, cpFailedNewNo, cpStatus(unfreeze("DEP", "DEP-U1", 4000)))
	require.Len(t, unfreezes("DEP", ""), 1)
	require.Len(t, unfreezes("DEP", "DEP-U1"), 1)
	require.Empty(t, unfreezes("DEP", "DEP-U9"), "no such unfreeze")

	m = consume("DEP", "DEP-C1", 20000, true)
	require.Equal(t, cpOK, cpStatus(m), "%v", m)
	require.Equal(t, 14, cpState(t, m, "deposit_consume"), "WxpayOrderState 14: 押金消费成功")
	require.Equal(t, f.cpNo("DEP"), jsonPath(m, "deposit_consume", "order_content", "out_freeze_no"))
	require.Equal(t, 5, cpFreezeState(t, m, "deposit_consume"), "consumed with is_confirm_unfreeze: nothing held")
	q, _ = f.cpQuery("DEP-C1", 1)
	require.Equal(t, 14, cpState(t, q, "query_order"), "the consumption is an order")
	require.Equal(t, cpFailedDescribe, cpStatus(consume("DEP", "DEP-C2", 100, true)), "nothing left to consume")
	ch := l.ChargesFor(wxCode("321"))
	require.Len(t, ch, 1)
	require.Equal(t, app.Money(20000), ch[0].Held(), "20000 consumed; 5000 unfrozen, the rest with the consume")

	// A consumption is refunded like an order.
	_, m, _ = f.cpReq("refund", map[string]any{"pay_mch_key": f.cpMchKey(1), "order_client": f.cpClient(), "nonce_str": "n",
		"refund_content": map[string]any{"out_trade_no": f.cpNo("DEP-C1"), "out_refund_no": f.cpNo("DEP-C1-R"), "total_fee": 20000, "refund_fee": 20000, "refund_fee_type": "CNY"}}, cpHMAC)
	require.Equal(t, cpOK, cpStatus(m), "%v", m)
	require.Equal(t, app.Money(0), l.ChargesFor(wxCode("321"))[0].Held())

	// Alipay: is_confirm_unfreeze may be false; the freeze state table is Alipay's.
	m = f.cpFreeze("ADEP", aliCode("321"), 30000, 2)
	require.Equal(t, 2, cpFreezeState(t, m, "micro_freeze"))
	_, m, _ = f.cpReq("deposit_consume", map[string]any{"pay_mch_key": f.cpMchKey(2), "order_client": f.cpClient(), "nonce_str": "n",
		"pay_content": map[string]any{"out_trade_no": f.cpNo("ADEP-C1"), "total_fee": 10000, "fee_type": "CNY", "body": "房费",
			"out_freeze_no": f.cpNo("ADEP"), "is_confirm_unfreeze": false}}, cpHMAC)
	require.Equal(t, cpOK, cpStatus(m), "%v", m)
	require.Equal(t, 2, cpFreezeState(t, f.cpQueryFreeze("ADEP", 2), "query_freeze_order"), "20000 still frozen")
	_, m, _ = f.cpReq("unfreeze", map[string]any{"pay_mch_key": f.cpMchKey(2), "order_client": f.cpClient(), "nonce_str": "n",
		"out_freeze_no": f.cpNo("ADEP"), "out_unfreeze_no": f.cpNo("ADEP-U1"), "unfreeze_fee": 20000, "remark": "退押金"}, cpHMAC)
	require.Equal(t, cpOK, cpStatus(m), "%v", m)
	require.EqualValues(t, "2", str(jsonPath(m, "unfreeze", "unfreeze_order_content", "alipay_unfreeze_order_content_ext", "state")))
	require.Equal(t, 3, cpFreezeState(t, f.cpQueryFreeze("ADEP", 2), "query_freeze_order"), "AlipayFreezeOrderState 3: all unfrozen/consumed")

	m = f.cpFreeze("DEP3", wxCode("201"), 100, 1)
	require.Equal(t, cpFailedDescribe, cpStatus(m), "scenarios apply to freezes")
	require.Equal(t, 6, cpFreezeState(t, f.cpQueryFreeze("DEP3", 1), "query_freeze_order"), "WxpayFreezeOrderState 6: 支付错误")
}

// Issue 8 item 5: the same out_trade_no from another terminal is other
// content — Cloud Pay answers 102 with internal_status 407, charges
// nothing, and the query shows the other terminal's order.
func TestCloudPay_SameNumberFromAnotherTerminal(t *testing.T) {
	f := newFixture(t)
	l := f.srv.Ledger()
	_, m, _ := f.cpPay("micro_pay", "TWO", wxCode("511"), 1000, 1)
	require.Equal(t, cpOK, cpStatus(m))
	req := func(device, code string) map[string]any {
		oc := f.cpClient()
		oc["device_id"] = device
		_, m, signed := f.cpReq("micro_pay", map[string]any{"pay_mch_key": f.cpMchKey(1), "order_client": oc, "nonce_str": "n",
			"pay_content": map[string]any{"out_trade_no": f.cpNo("TWO"), "author_code": code, "total_fee": 1000, "fee_type": "CNY", "body": "x"}}, cpHMAC)
		require.True(t, signed)
		return m
	}
	for name, c := range map[string]struct{ device, code string }{
		"same code, other terminal":  {"POS-02", wxCode("511")},
		"other code, other terminal": {"POS-02", wxCode("512")},
		"other code, same terminal":  {f.creds.CloudPay.DeviceID, wxCode("512")},
	} {
		m := req(c.device, c.code)
		require.Equal(t, cpFailedNewNo, cpStatus(m), name)
		require.EqualValues(t, "407", str(m["internal_status"]), name)
	}
	require.Equal(t, cpOK, cpStatus(req(f.creds.CloudPay.DeviceID, wxCode("511"))), "a repeat from the paying terminal is the same order")
	require.Len(t, l.ChargesFor(wxCode("511")), 1)
	require.Empty(t, l.ChargesFor(wxCode("512")))
	q, _ := f.cpQuery("TWO", 1)
	require.Equal(t, f.creds.CloudPay.DeviceID, jsonPath(q, "query_order", "order_client", "device_id"), "the query names the terminal that made the order")
}

// The …407 payment code (Cloud Pay only): the number already belongs to
// another, paid order; ours is refused with 407 and charges nothing.
func TestCloudPay_ForeignScenario407(t *testing.T) {
	f := newFixture(t)
	l := f.srv.Ledger()
	for _, c := range []struct {
		api, no, code string
		platform      int
	}{{"micro_pay", "F407", wxCode("407"), 1}, {"micro_pay", "A407", aliCode("407"), 2}} {
		_, m, signed := f.cpPay(c.api, c.no, c.code, 1234, c.platform)
		require.True(t, signed)
		require.Equal(t, cpFailedNewNo, cpStatus(m), "%v", m)
		require.EqualValues(t, "407", str(m["internal_status"]))
		require.Empty(t, l.ChargesFor(c.code), "our customer is not charged")
		other := l.ChargesFor(c.code[:len(c.code)-3] + "000")
		require.Len(t, other, 1, "another customer paid under the number")
		require.Equal(t, app.Money(1234), other[0].Amount, "for the same amount")
		_, m, _ = f.cpPay(c.api, c.no, c.code, 1234, c.platform)
		require.EqualValues(t, "407", str(m["internal_status"]), "the retry is refused the same way")
		require.Len(t, l.ChargesFor(c.code[:len(c.code)-3]+"000"), 1, "and makes no second order")
		q, _ := f.cpQuery(c.no, c.platform)
		require.Equal(t, 2, cpState(t, q, "query_order"), "the other order is paid")
		require.Equal(t, cpForeignDevice, jsonPath(q, "query_order", "order_client", "device_id"))
	}
	m := f.cpFreeze("D407", wxCode("407"), 5000, 1)
	require.EqualValues(t, "407", str(m["internal_status"]))
	require.Equal(t, 2, cpFreezeState(t, f.cpQueryFreeze("D407", 1), "query_freeze_order"))
}

func TestCloudPay_OrderDetailAndShops(t *testing.T) {
	f := newFixture(t)
	for i, code := range []string{wxCode("001"), wxCode("002"), aliCode("003")} {
		platform := 1
		if i == 2 {
			platform = 2
		}
		f.cpPay("micro_pay", "L"+code[15:], code, int64(100*(i+1)), platform)
		f.clock.Advance(time.Minute)
	}
	f.cpReq("refund", map[string]any{"pay_mch_key": f.cpMchKey(1), "order_client": f.cpClient(), "nonce_str": "n",
		"refund_content": map[string]any{"out_trade_no": f.cpNo("L001"), "out_refund_no": f.cpNo("L001R"), "total_fee": 100, "refund_fee": 50, "refund_fee_type": "CNY"}}, cpHMAC)
	page := func(n, size, kind int) map[string]any {
		_, m, signed := f.cpReq("client_order_detail", map[string]any{"out_sub_mch_id": f.creds.CloudPay.OutSubMchID, "query_order_type": kind,
			"start_time": t0.Unix(), "end_time": f.clock.Now().Unix(), "page_num": n, "page_size": size, "nonce_str": "n"}, cpHMAC)
		require.True(t, signed)
		require.Equal(t, cpOK, cpStatus(m), "%v", m)
		return m["order_detail_query"].(map[string]any)
	}
	p1 := page(1, 2, 3)
	require.EqualValues(t, "4", str(p1["total_count"]))
	require.Len(t, p1["order_details"], 2)
	p2 := page(2, 2, 3)
	require.Len(t, p2["order_details"], 2)
	require.Len(t, page(3, 2, 3)["order_details"], 0)
	require.EqualValues(t, "3", str(page(1, 10, 1)["total_count"]))
	refunds := page(1, 10, 2)
	require.EqualValues(t, "1", str(refunds["total_count"]))
	rc := jsonPath(refunds["order_details"].([]any)[0].(map[string]any), "receipt", "refund_order", "refund_order_content", "refund_fee")
	require.EqualValues(t, "50", str(rc))
	first := p1["order_details"].([]any)[0].(map[string]any)
	require.EqualValues(t, "50", str(jsonPath(first, "receipt", "refund_order", "refund_order_content", "refund_fee")), "newest first: the refund")

	_, m, _ := f.cpReq("query_sub_mch_shop_info", map[string]any{"out_mch_id": f.creds.CloudPay.OutMchID, "out_sub_mch_id": f.creds.CloudPay.OutSubMchID,
		"page_num": 1, "page_size": 10, "nonce_str": "n"}, cpHMAC)
	require.Equal(t, cpOK, cpStatus(m))
	shops := jsonPath(m, "query_shop_info", "shop_infos").([]any)
	require.Len(t, shops, 1)
	require.Equal(t, f.creds.CloudPay.OutShopID, shops[0].(map[string]any)["out_shop_id"])
	staff := shops[0].(map[string]any)["staff_infos"].([]any)
	require.Equal(t, f.creds.CloudPay.StaffID, staff[0].(map[string]any)["staff_id"])
}

// The amount fault scenarios (…91–…94) on Cloud Pay's refund,
// deposit_consume and unfreeze.
func TestCloudPay_OpScenarios(t *testing.T) {
	f := newFixture(t)
	l := f.srv.Ledger()
	refund := func(order, no string, fee int64) map[string]any {
		return map[string]any{"pay_mch_key": f.cpMchKey(1), "order_client": f.cpClient(), "nonce_str": "n",
			"refund_content": map[string]any{"out_trade_no": f.cpNo(order), "out_refund_no": f.cpNo(no), "total_fee": 10000, "refund_fee": fee, "refund_fee_type": "CNY"}}
	}
	refundQuery := func(order, no string) map[string]any {
		_, m, _ := f.cpReq("query_refund_order", map[string]any{"pay_mch_key": f.cpMchKey(1), "order_client": f.cpClient(), "nonce_str": "n",
			"out_trade_no": f.cpNo(order), "out_refund_no": f.cpNo(no)}, cpHMAC)
		return m
	}
	send := func(api string, content map[string]any) (bool, map[string]any) {
		rc, _ := json.Marshal(content)
		env, _ := json.Marshal(map[string]any{"request_content": string(rc),
			"authen_info": map[string]any{"a": map[string]any{"authen_type": 1, "authen_code": CloudPayAuthenCode(f.creds.CloudPay.AuthenKey, rc)}}})
		resp, err := f.plain.Post(f.srv.CloudPayURL+"/"+api, "application/json", bytes.NewReader(env))
		if err != nil {
			return true, nil
		}
		resp.Body.Close()
		return false, nil
	}

	t.Run("refund", func(t *testing.T) {
		_, m, _ := f.cpPay("micro_pay", "OPR", wxCode("601"), 10000, 1)
		require.Equal(t, cpOK, cpStatus(m))
		// …91: made, answer lost; the re-send is the same refund.
		dropped, _ := send("refund", refund("OPR", "OPR-91", 1291))
		require.True(t, dropped)
		_, m, _ = f.cpReq("refund", refund("OPR", "OPR-91", 1291), cpHMAC)
		require.Equal(t, cpOK, cpStatus(m))
		require.EqualValues(t, "1291", str(jsonPath(m, "refund", "refund_order_content", "refund_fee")))
		// …92: lost and not made; every re-send refused for good; not found.
		dropped, _ = send("refund", refund("OPR", "OPR-92", 1292))
		require.True(t, dropped)
		for range 2 {
			_, m, signed := f.cpReq("refund", refund("OPR", "OPR-92", 1292), cpHMAC)
			require.True(t, signed)
			require.Equal(t, cpFailedDescribe, cpStatus(m))
		}
		q := refundQuery("OPR", "OPR-92")
		require.Equal(t, cpFailedDescribe, cpStatus(q))
		require.EqualValues(t, "404", str(q["internal_status"]))
		// …93: 103, but made.
		_, m, signed := f.cpReq("refund", refund("OPR", "OPR-93", 1293), cpHMAC)
		require.True(t, signed)
		require.Equal(t, cpUnknownQuery, cpStatus(m))
		q = refundQuery("OPR", "OPR-93")
		require.Equal(t, cpOK, cpStatus(q))
		// …94: 1 fen less, in the answer and the query.
		_, m, _ = f.cpReq("refund", refund("OPR", "OPR-94", 1294), cpHMAC)
		require.EqualValues(t, "1293", str(jsonPath(m, "refund", "refund_order_content", "refund_fee")))
		list := jsonPath(refundQuery("OPR", "OPR-94"), "query_refund_order", "refund_order_content").([]any)
		require.EqualValues(t, "1293", str(list[0].(map[string]any)["refund_fee"]))
		o, _ := l.Order(app.ChannelCloudPay, f.cpNo("OPR"))
		require.Equal(t, app.Money(1291+1293+1293), o.Refunded, "…91, …93 and …94 (1 fen less) moved; …92 did not")
	})

	consume := func(dep, no string, fee int64) map[string]any {
		return map[string]any{"pay_mch_key": f.cpMchKey(2), "order_client": f.cpClient(), "nonce_str": "n",
			"pay_content": map[string]any{"out_trade_no": f.cpNo(no), "total_fee": fee, "fee_type": "CNY", "body": "房费",
				"out_freeze_no": f.cpNo(dep), "is_confirm_unfreeze": false}}
	}
	unfreeze := func(dep, no string, fee int64) map[string]any {
		return map[string]any{"pay_mch_key": f.cpMchKey(2), "order_client": f.cpClient(), "nonce_str": "n",
			"out_freeze_no": f.cpNo(dep), "out_unfreeze_no": f.cpNo(no), "unfreeze_fee": fee, "remark": "退押金"}
	}
	unfreezes := func(dep, no string) []any {
		_, m, _ := f.cpReq("query_unfreeze_order", map[string]any{"pay_mch_key": f.cpMchKey(2), "order_client": f.cpClient(), "nonce_str": "n",
			"out_freeze_no": f.cpNo(dep), "out_unfreeze_no": f.cpNo(no)}, cpHMAC)
		require.Equal(t, cpOK, cpStatus(m))
		list, _ := jsonPath(m, "query_unfreeze_order", "unfreeze_order_content").([]any)
		return list
	}
	t.Run("deposit operations", func(t *testing.T) {
		require.Equal(t, cpOK, cpStatus(f.cpFreeze("OPD", aliCode("602"), 100000, 2)))
		for _, c := range []struct {
			api, no string
			fee     int64
			content func(dep, no string, fee int64) map[string]any
		}{{"deposit_consume", "OPD-C", 1291, consume}, {"unfreeze", "OPD-U", 2291, unfreeze}} {
			dropped, _ := send(c.api, c.content("OPD", c.no+"91", c.fee))
			require.True(t, dropped, c.api)
			_, m, _ := f.cpReq(c.api, c.content("OPD", c.no+"91", c.fee), cpHMAC)
			require.Equal(t, cpOK, cpStatus(m), "%s re-send: %v", c.api, m)
			dropped, _ = send(c.api, c.content("OPD", c.no+"92", c.fee+1))
			require.True(t, dropped)
			_, m, _ = f.cpReq(c.api, c.content("OPD", c.no+"92", c.fee+1), cpHMAC)
			require.Equal(t, cpFailedDescribe, cpStatus(m), "%s …92 re-send: %v", c.api, m)
			_, m, _ = f.cpReq(c.api, c.content("OPD", c.no+"93", c.fee+2), cpHMAC)
			require.Equal(t, cpUnknownQuery, cpStatus(m), c.api)
			_, m, _ = f.cpReq(c.api, c.content("OPD", c.no+"94", c.fee+3), cpHMAC)
			require.Equal(t, cpOK, cpStatus(m))
			if c.api == "deposit_consume" {
				require.EqualValues(t, str(c.fee+2), str(jsonPath(m, c.api, "order_content", "total_fee")), "…94: 1 fen less")
				q, _ := f.cpQuery(c.no+"92", 2)
				require.EqualValues(t, "404", str(q["internal_status"]), "…92: no such consumption")
				q, _ = f.cpQuery(c.no+"93", 2)
				require.Equal(t, 2, cpState(t, q, "query_order"), "…93: made")
			} else {
				require.EqualValues(t, str(c.fee+2), str(jsonPath(m, c.api, "unfreeze_order_content", "unfreeze_fee")), "…94: 1 fen less")
				require.Empty(t, unfreezes("OPD", c.no+"92"))
				require.Len(t, unfreezes("OPD", c.no+"93"), 1)
				require.EqualValues(t, str(c.fee+2), str(unfreezes("OPD", c.no+"94")[0].(map[string]any)["unfreeze_fee"]))
			}
		}
		d, _ := l.Order(app.ChannelCloudPay, f.cpNo("OPD"))
		require.Equal(t, app.Money(1291+1293+1293), d.Consumed)
		require.Equal(t, app.Money(2291+2293+2293), d.Released)
	})
}
