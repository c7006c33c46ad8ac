package sandbox

import (
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/app"
)

// wxCode makes an 18-digit WeChat payment code ending in the scenario digits.
func wxCode(last3 string) string { return "134567890123456" + last3 }

func (f *fixture) micropay(no, code string, fee string) (int, map[string]string) {
	f.t.Helper()
	st, m, _ := f.wx("/pay/micropay", map[string]string{
		"body": "沙箱测试", "out_trade_no": no, "total_fee": fee, "spbill_create_ip": "127.0.0.1", "auth_code": code, "device_info": "POS-01",
	}, "")
	return st, m
}

func (f *fixture) orderquery(no string) map[string]string {
	f.t.Helper()
	_, m, _ := f.wx("/pay/orderquery", map[string]string{"out_trade_no": no}, "")
	require.Equal(f.t, "SUCCESS", m["return_code"], "%v", m)
	f.wxVerified(m, "")
	return m
}

func TestWeChat_Scenarios(t *testing.T) {
	f := newFixture(t)
	l := f.srv.Ledger()

	t.Run("success", func(t *testing.T) {
		_, m := f.micropay("WX-OK", wxCode("789"), "1234")
		f.wxVerified(m, "")
		require.Equal(t, "SUCCESS", m["return_code"])
		require.Equal(t, "SUCCESS", m["result_code"])
		require.Equal(t, "1234", m["total_fee"])
		require.Equal(t, "MICROPAY", m["trade_type"])
		require.Len(t, m["transaction_id"], 28)
		require.Equal(t, f.creds.WeChat.AppID, m["appid"])
		require.Equal(t, "SUCCESS", f.orderquery("WX-OK")["trade_state"])
		require.Len(t, l.ChargesFor(wxCode("789")), 1)
	})

	t.Run("userpaying then success", func(t *testing.T) {
		_, m := f.micropay("WX-101", wxCode("101"), "500")
		f.wxVerified(m, "")
		require.Equal(t, "FAIL", m["result_code"])
		require.Equal(t, "USERPAYING", m["err_code"])
		require.Equal(t, "USERPAYING", f.orderquery("WX-101")["trade_state"])
		require.Empty(t, l.ChargesFor(wxCode("101")), "not charged while the customer confirms")
		f.clock.Advance(DefaultUserPaying)
		q := f.orderquery("WX-101")
		require.Equal(t, "SUCCESS", q["trade_state"])
		require.Equal(t, t0.Add(DefaultUserPaying).In(beijing).Format("20060102150405"), q["time_end"])
		require.Len(t, l.ChargesFor(wxCode("101")), 1)
	})

	t.Run("userpaying then cancelled", func(t *testing.T) {
		_, m := f.micropay("WX-102", wxCode("102"), "500")
		require.Equal(t, "USERPAYING", m["err_code"])
		f.clock.Advance(DefaultUserPaying)
		q := f.orderquery("WX-102")
		require.Equal(t, "CLOSED", q["trade_state"])
		require.Empty(t, l.ChargesFor(wxCode("102")))
		// Paying again with the same number: the order is closed.
		_, m = f.micropay("WX-102", wxCode("102"), "500")
		require.Equal(t, "ORDERCLOSED", m["err_code"])
	})

	t.Run("notenough", func(t *testing.T) {
		_, m := f.micropay("WX-201", wxCode("201"), "500")
		f.wxVerified(m, "")
		require.Equal(t, "NOTENOUGH", m["err_code"])
		require.Equal(t, "PAYERROR", f.orderquery("WX-201")["trade_state"])
		require.Empty(t, l.ChargesFor(wxCode("201")))
	})

	t.Run("authcodeexpire", func(t *testing.T) {
		_, m := f.micropay("WX-202", wxCode("202"), "500")
		require.Equal(t, "AUTHCODEEXPIRE", m["err_code"])
		require.Empty(t, l.ChargesFor(wxCode("202")))
	})

	t.Run("systemerror but charged", func(t *testing.T) {
		_, m := f.micropay("WX-301", wxCode("301"), "700")
		f.wxVerified(m, "")
		require.Equal(t, "SUCCESS", m["return_code"])
		require.Equal(t, "SYSTEMERROR", m["err_code"])
		require.Len(t, l.ChargesFor(wxCode("301")), 1, "the money is taken")
		q := f.orderquery("WX-301")
		require.Equal(t, "SUCCESS", q["trade_state"])
		// The retry with the same number and content is the same order, not a second charge.
		_, again := f.micropay("WX-301", wxCode("301"), "700")
		require.Equal(t, "SUCCESS", again["result_code"])
		require.Equal(t, q["transaction_id"], again["transaction_id"])
		require.Len(t, l.ChargesFor(wxCode("301")), 1)
	})

	t.Run("slow answer but charged", func(t *testing.T) {
		type res struct {
			m   map[string]string
			err error
		}
		done := make(chan res, 1)
		go func() {
			body := f.signedMicropay("WX-401", wxCode("401"), "900")
			resp, err := f.withMT.Post(f.srv.BaseURL+"/pay/micropay", "text/xml", bytes.NewReader(body))
			if err != nil {
				done <- res{err: err}
				return
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			m, err := ParseWeChatXML(raw)
			done <- res{m, err}
		}()
		waitWaiters(t, f.clock, 1)
		select {
		case <-done:
			t.Fatal("answered before the slow delay")
		case <-time.After(50 * time.Millisecond):
		}
		require.Len(t, l.ChargesFor(wxCode("401")), 1, "charged before the answer")
		require.Equal(t, "SUCCESS", f.orderquery("WX-401")["trade_state"])
		f.clock.Advance(DefaultSlowAnswer)
		r := <-done
		require.NoError(t, r.err)
		require.Equal(t, "SUCCESS", r.m["result_code"])
	})

	t.Run("answer dropped after charging", func(t *testing.T) {
		body := f.signedMicropay("WX-402", wxCode("402"), "900")
		resp, err := f.withMT.Post(f.srv.BaseURL+"/pay/micropay", "text/xml", bytes.NewReader(body))
		if err == nil {
			resp.Body.Close()
		}
		require.Error(t, err, "no answer at all")
		require.Len(t, l.ChargesFor(wxCode("402")), 1)
		require.Equal(t, "SUCCESS", f.orderquery("WX-402")["trade_state"])
	})

	t.Run("http 503 without charging", func(t *testing.T) {
		st, _ := f.micropay("WX-501", wxCode("501"), "900")
		require.Equal(t, http.StatusServiceUnavailable, st)
		require.Empty(t, l.ChargesFor(wxCode("501")))
		q := f.orderquery("WX-501")
		require.Equal(t, "ORDERNOTEXIST", q["err_code"])
	})

	t.Run("amount above the wallet balance", func(t *testing.T) {
		_, m := f.micropay("WX-BIG", wxCode("777"), "5000001")
		require.Equal(t, "NOTENOUGH", m["err_code"])
		_, m = f.micropay("WX-ALL", wxCode("777"), "5000000")
		require.Equal(t, "SUCCESS", m["result_code"], "exactly the balance is fine")
		_, m = f.micropay("WX-ONE-MORE", wxCode("777"), "1")
		require.Equal(t, "NOTENOUGH", m["err_code"], "the wallet is empty now")
	})
}

func (f *fixture) signedMicropay(no, code, fee string) []byte {
	c := f.creds.WeChat
	q := map[string]string{"appid": c.AppID, "mch_id": c.MchID, "sub_mch_id": c.SubMchID, "nonce_str": nonce(16),
		"body": "x", "out_trade_no": no, "total_fee": fee, "spbill_create_ip": "127.0.0.1", "auth_code": code}
	q["sign"], _ = WeChatSign(q, c.APIKey, "")
	return buildWeChatXML(q)
}

func TestWeChat_WalletBalanceFromConfig(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Wallets.codes[wxCode("555")] = 1000 })
	_, m := f.micropay("WB-1", wxCode("555"), "800")
	require.Equal(t, "SUCCESS", m["result_code"])
	_, m = f.micropay("WB-2", wxCode("555"), "300")
	require.Equal(t, "NOTENOUGH", m["err_code"])
	// Money refunded goes back to the wallet.
	_, r, _ := f.wx("/secapi/pay/refund", map[string]string{"out_trade_no": "WB-1", "out_refund_no": "WB-1-R", "total_fee": "800", "refund_fee": "300"}, "")
	require.Equal(t, "SUCCESS", r["result_code"], "%v", r)
	_, m = f.micropay("WB-3", wxCode("555"), "300")
	require.Equal(t, "SUCCESS", m["result_code"])
}

func TestWeChat_BadSignaturesAreRefused(t *testing.T) {
	f := newFixture(t)
	c := f.creds.WeChat
	base := func() map[string]string {
		return map[string]string{"appid": c.AppID, "mch_id": c.MchID, "sub_mch_id": c.SubMchID, "nonce_str": "n1",
			"body": "x", "out_trade_no": "WX-FORGED", "total_fee": "100", "spbill_create_ip": "127.0.0.1", "auth_code": wxCode("789")}
	}
	cases := map[string]struct {
		mod  func(q map[string]string)
		path string
		msg  string
	}{
		"wrong key": {mod: func(q map[string]string) { q["sign"], _ = WeChatSign(q, strings.Repeat("0", 32), "") }, msg: "签名错误"},
		"no sign":   {mod: func(q map[string]string) {}, msg: "签名错误"},
		"tampered":  {mod: func(q map[string]string) { q["sign"], _ = WeChatSign(q, c.APIKey, ""); q["total_fee"] = "1" }, msg: "签名错误"},
		"hmac sign, md5 declared": {mod: func(q map[string]string) {
			q["sign_type"] = "MD5"
			q["sign"], _ = WeChatSign(q, c.APIKey, SignHMACSHA256)
		}, msg: "签名错误"},
		"lower-case of another sign": {mod: func(q map[string]string) {
			q["sign"], _ = WeChatSign(q, c.APIKey, "")
			last := "0"
			if q["sign"][31] == '0' { // the key is random per fixture: never the real sign
				last = "1"
			}
			q["sign"] = strings.ToLower(q["sign"][:31]) + last
		}, msg: "签名错误"},
		"unknown sign_type": {mod: func(q map[string]string) { q["sign_type"] = "RSA"; q["sign"] = "X" }, msg: "sign_type参数错误"},
		"unknown merchant":  {mod: func(q map[string]string) { q["mch_id"] = "1900000000"; q["sign"], _ = WeChatSign(q, c.APIKey, "") }, msg: "mch_id参数错误, 商户号不存在"},
		"appid mismatch": {mod: func(q map[string]string) {
			q["appid"] = "wx0000000000000000"
			q["sign"], _ = WeChatSign(q, c.APIKey, "")
		}, msg: "appid和mch_id不匹配"},
		"foreign sub_mch_id": {mod: func(q map[string]string) {
			q["sub_mch_id"] = "1600000000"
			q["sign"], _ = WeChatSign(q, c.APIKey, "")
		}, msg: "sub_mch_id与mch_id不匹配"},
		"deposit with md5": {path: "/deposit/micropay", mod: func(q map[string]string) {
			q["deposit"] = "Y"
			q["sign"], _ = WeChatSign(q, c.APIKey, "")
		}, msg: "签名类型错误, 只支持HMAC-SHA256"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			q := base()
			tc.mod(q)
			path := tc.path
			if path == "" {
				path = "/pay/micropay"
			}
			st, m, raw := f.wxRaw(path, buildWeChatXML(q), true)
			require.Equal(t, http.StatusOK, st)
			require.Equal(t, "FAIL", m["return_code"], "%s", raw)
			require.Equal(t, tc.msg, m["return_msg"])
			require.Empty(t, m["sign"], "transport failures are not signed")
		})
	}
	_, ok := f.srv.Ledger().Order(app.ChannelWeChat, "WX-FORGED")
	require.False(t, ok, "no refused request created an order")
	require.Zero(t, f.srv.Ledger().Summary().Charges)

	for name, body := range map[string]string{
		"not xml":     "hello",
		"nested":      "<xml><a><b>1</b></a></xml>",
		"wrong root":  "<root><a>1</a></root>",
		"duplicate":   "<xml><a>1</a><a>2</a></xml>",
		"doctype":     `<!DOCTYPE xml [<!ENTITY x "y">]><xml><a>&x;</a></xml>`,
		"two roots":   "<xml><a>1</a></xml><xml></xml>",
		"not utf8":    "<xml><a>\xff</a></xml>",
		"empty":       "",
		"unterminate": "<xml><a>1</a>",
	} {
		t.Run(name, func(t *testing.T) {
			_, m, raw := f.wxRaw("/pay/micropay", []byte(body), false)
			require.Equal(t, "FAIL", m["return_code"], "%s", raw)
		})
	}
	resp, err := f.plain.Get(f.srv.BaseURL + "/pay/micropay")
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(raw), "请使用post方法")
}

func TestWeChat_ClientCertificateRequired(t *testing.T) {
	f := newFixture(t)
	_, m := f.micropay("WX-CERT", wxCode("789"), "100")
	require.Equal(t, "SUCCESS", m["result_code"])

	// A certificate of the right shape (CN = mch_id) but not the merchant's.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: randomSerial(), Subject: pkix.Name{CommonName: f.creds.WeChat.MchID},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(f.creds.CAPEM))
	other := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}}}

	for _, path := range []string{"/secapi/pay/reverse", "/secapi/pay/refund", "/deposit/reverse", "/deposit/consume", "/deposit/refund"} {
		c := f.creds.WeChat
		signType := ""
		if strings.HasPrefix(path, "/deposit/") {
			signType = SignHMACSHA256
		}
		q := map[string]string{"appid": c.AppID, "mch_id": c.MchID, "sub_mch_id": c.SubMchID, "nonce_str": "n",
			"out_trade_no": "WX-CERT", "out_refund_no": "WX-CERT-R", "total_fee": "100", "refund_fee": "10", "consume_fee": "10"}
		if signType != "" {
			q["sign_type"] = signType
		}
		q["sign"], _ = WeChatSign(q, c.APIKey, signType)
		body := buildWeChatXML(q)
		_, m, _ := f.wxRaw(path, body, false)
		require.Equal(t, "证书验证失败", m["return_msg"], path+" without a certificate")
		resp, err := other.Post(f.srv.BaseURL+path, "text/xml", bytes.NewReader(body))
		require.NoError(t, err)
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m, _ = ParseWeChatXML(raw)
		require.Equal(t, "证书验证失败", m["return_msg"], path+" with another certificate")
	}
	o, _ := f.srv.Ledger().Order(app.ChannelWeChat, "WX-CERT")
	require.Equal(t, StatePaid, o.State)
	require.Zero(t, o.Refunded)
	// With the merchant's certificate the reverse goes through.
	_, m, _ = f.wx("/secapi/pay/reverse", map[string]string{"out_trade_no": "WX-CERT"}, "")
	require.Equal(t, "SUCCESS", m["result_code"])
}

func TestWeChat_Idempotency(t *testing.T) {
	f := newFixture(t)
	l := f.srv.Ledger()
	_, a := f.micropay("WX-ID", wxCode("123"), "1000")
	_, b := f.micropay("WX-ID", wxCode("123"), "1000")
	require.Equal(t, a["transaction_id"], b["transaction_id"])
	_, c := f.micropay("WX-ID", wxCode("123"), "999")
	require.Equal(t, "OUT_TRADE_NO_USED", c["err_code"])
	require.Len(t, l.ChargesFor(wxCode("123")), 1)

	refund := func(no string, fee string) map[string]string {
		_, m, _ := f.wx("/secapi/pay/refund", map[string]string{"out_trade_no": "WX-ID", "out_refund_no": no, "total_fee": "1000", "refund_fee": fee}, "")
		f.wxVerified(m, "")
		return m
	}
	r1 := refund("R1", "300")
	require.Equal(t, "SUCCESS", r1["result_code"])
	r1b := refund("R1", "300")
	require.Equal(t, r1["refund_id"], r1b["refund_id"])
	require.Equal(t, "INVALID_REQUEST", refund("R1", "301")["err_code"], "same number, other amount")
	require.Equal(t, "SUCCESS", refund("R2", "700")["result_code"])
	require.Equal(t, "INVALID_REQUEST", refund("R3", "1")["err_code"], "nothing left to refund")
	_, m, _ := f.wx("/secapi/pay/refund", map[string]string{"out_trade_no": "WX-ID", "out_refund_no": "R4", "total_fee": "999", "refund_fee": "1"}, "")
	require.Equal(t, "PARAM_ERROR", m["err_code"], "total_fee must be the order's")

	o, _ := l.Order(app.ChannelWeChat, "WX-ID")
	require.Equal(t, app.Money(1000), o.Refunded)
	require.Equal(t, "REFUND", f.orderquery("WX-ID")["trade_state"])
	ch := l.ChargesFor(wxCode("123"))[0]
	require.Equal(t, app.Money(1000), ch.Returned)
	require.Zero(t, l.Unreversed(), "fully refunded: nothing held")

	_, q, _ := f.wx("/pay/refundquery", map[string]string{"out_trade_no": "WX-ID"}, "")
	f.wxVerified(q, "")
	require.Equal(t, "2", q["refund_count"])
	require.Equal(t, "R1", q["out_refund_no_0"])
	require.Equal(t, "SUCCESS", q["refund_status_0"])
	require.Equal(t, "700", q["refund_fee_1"])
	_, q, _ = f.wx("/pay/refundquery", map[string]string{"out_refund_no": "NOPE"}, "")
	require.Equal(t, "REFUNDNOTEXIST", q["err_code"])
}

func TestWeChat_RefundProcessing(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Scenarios.RefundSeconds = 60 })
	_, m := f.micropay("WX-RP", wxCode("124"), "1000")
	require.Equal(t, "SUCCESS", m["result_code"])
	_, r, _ := f.wx("/secapi/pay/refund", map[string]string{"out_trade_no": "WX-RP", "out_refund_no": "RP1", "total_fee": "1000", "refund_fee": "100"}, "")
	require.Equal(t, "SUCCESS", r["result_code"])
	_, q, _ := f.wx("/pay/refundquery", map[string]string{"out_refund_no": "RP1"}, "")
	require.Equal(t, "PROCESSING", q["refund_status_0"])
	f.clock.Advance(time.Minute)
	_, q, _ = f.wx("/pay/refundquery", map[string]string{"refund_id": r["refund_id"]}, "")
	require.Equal(t, "SUCCESS", q["refund_status_0"])
}

func TestWeChat_ReverseRules(t *testing.T) {
	f := newFixture(t)
	l := f.srv.Ledger()
	rev := func(no string) map[string]string {
		_, m, _ := f.wx("/secapi/pay/reverse", map[string]string{"out_trade_no": no}, "")
		f.wxVerified(m, "")
		return m
	}
	// While the customer types the password: USERPAYING, recall.
	f.micropay("WX-RP1", wxCode("101"), "100")
	m := rev("WX-RP1")
	require.Equal(t, "USERPAYING", m["err_code"])
	require.Equal(t, "Y", m["recall"])
	f.clock.Advance(DefaultUserPaying)
	m = rev("WX-RP1")
	require.Equal(t, "SUCCESS", m["result_code"])
	require.Equal(t, "N", m["recall"])
	require.Equal(t, "REVOKED", f.orderquery("WX-RP1")["trade_state"])
	ch := l.ChargesFor(wxCode("101"))
	require.Len(t, ch, 1)
	require.True(t, ch[0].Reversed)
	require.Equal(t, app.Money(100), ch[0].Returned)

	// Reversing a number never paid: a later (late) pay with it is refused.
	require.Equal(t, "SUCCESS", rev("WX-NEVER")["result_code"])
	_, m = f.micropay("WX-NEVER", wxCode("789"), "100")
	require.Equal(t, "ORDERREVERSED", m["err_code"])
	require.Empty(t, l.ChargesFor(wxCode("789")))

	// Orders older than 7 days cannot be reversed.
	f.micropay("WX-OLD", wxCode("125"), "100")
	f.clock.Advance(7*24*time.Hour + time.Second)
	m = rev("WX-OLD")
	require.Equal(t, "REVERSE_EXPIRE", m["err_code"])
	require.Equal(t, "N", m["recall"])
	require.Equal(t, 1, l.Unreversed(), "WX-OLD keeps the money")
}

func TestWeChat_Deposit(t *testing.T) {
	f := newFixture(t)
	l := f.srv.Ledger()
	dep := func(path string, p map[string]string) map[string]string {
		_, m, raw := f.wx(path, p, SignHMACSHA256)
		require.Equal(t, "SUCCESS", m["return_code"], "%s", raw)
		f.wxVerified(m, SignHMACSHA256)
		return m
	}
	pay := func(no, code, fee string) map[string]string {
		return dep("/deposit/micropay", map[string]string{"body": "房费押金", "out_trade_no": no, "total_fee": fee, "spbill_create_ip": "127.0.0.1", "auth_code": code, "deposit": "Y"})
	}
	m := pay("DEP-1", wxCode("321"), "100000")
	require.Equal(t, "SUCCESS", m["result_code"])
	// The 15-second rule.
	m = dep("/deposit/reverse", map[string]string{"out_trade_no": "DEP-1"})
	require.Equal(t, "INVALID_REQUEST", m["err_code"])
	require.Equal(t, "Y", m["recall"])
	f.clock.Advance(15 * time.Second)
	m = dep("/deposit/reverse", map[string]string{"out_trade_no": "DEP-1"})
	require.Equal(t, "SUCCESS", m["result_code"])
	require.Equal(t, "REVOKED", dep("/deposit/orderquery", map[string]string{"out_trade_no": "DEP-1"})["trade_state"])

	// Consume part, the rest goes back; then refund part of what was consumed.
	m = pay("DEP-2", wxCode("322"), "100000")
	txn := m["transaction_id"]
	m = dep("/deposit/consume", map[string]string{"transaction_id": txn, "total_fee": "100000", "consume_fee": "30000", "fee_type": "CNY"})
	require.Equal(t, "SUCCESS", m["result_code"])
	require.Equal(t, "30000", m["consume_fee"])
	m = dep("/deposit/consume", map[string]string{"transaction_id": txn, "total_fee": "100000", "consume_fee": "40000", "fee_type": "CNY"})
	require.Equal(t, "INVALID_REQUEST", m["err_code"], "a deposit is consumed once")
	q := dep("/deposit/orderquery", map[string]string{"transaction_id": txn})
	require.Equal(t, "CONSUMED", q["trade_state"], "the deposit state of a consumed deposit")
	require.Equal(t, "30000", q["consume_fee"])
	m = dep("/deposit/refund", map[string]string{"transaction_id": txn, "out_refund_no": "DEP-2-R", "total_fee": "100000", "refund_fee": "5000"})
	require.Equal(t, "SUCCESS", m["result_code"])
	m = dep("/deposit/refund", map[string]string{"transaction_id": txn, "out_refund_no": "DEP-2-R2", "total_fee": "100000", "refund_fee": "25001"})
	require.Equal(t, "INVALID_REQUEST", m["err_code"], "only consumed money can be refunded")
	m = dep("/deposit/refundquery", map[string]string{"out_refund_no": "DEP-2-R"})
	require.Equal(t, "SUCCESS", m["refund_status_0"])
	require.Equal(t, "ORDERNOTEXIST", dep("/deposit/orderquery", map[string]string{"out_trade_no": "WX-NOT-A-DEPOSIT"})["err_code"])

	ch := l.ChargesFor(wxCode("322"))
	require.Len(t, ch, 1)
	require.True(t, ch[0].Deposit)
	require.Equal(t, app.Money(70000+5000), ch[0].Returned)
	require.Equal(t, app.Money(25000), ch[0].Held())

	// Deposits follow the same scenarios.
	require.Equal(t, "NOTENOUGH", pay("DEP-3", wxCode("201"), "100")["err_code"])
	require.Equal(t, "USERPAYING", pay("DEP-4", wxCode("101"), "100")["err_code"])
	m = dep("/deposit/micropay", map[string]string{"body": "x", "out_trade_no": "DEP-5", "total_fee": "100", "spbill_create_ip": "127.0.0.1", "auth_code": wxCode("323")})
	require.Equal(t, "PARAM_ERROR", m["err_code"], "deposit=Y is required")
	// A deposit is not an ordinary order.
	_, m, _ = f.wx("/pay/orderquery", map[string]string{"out_trade_no": "DEP-2"}, "")
	require.Equal(t, "ORDERNOTEXIST", m["err_code"])
}

func TestWeChat_Bill(t *testing.T) {
	f := newFixture(t)
	f.micropay("B-1", wxCode("001"), "1000")
	f.micropay("B-2", wxCode("002"), "2550")
	f.micropay("B-3", wxCode("003"), "100")
	f.micropay("B-4", wxCode("201"), "100") // failed: not in the bill
	f.wx("/secapi/pay/refund", map[string]string{"out_trade_no": "B-2", "out_refund_no": "B-2-R", "total_fee": "2550", "refund_fee": "550"}, "")
	f.wx("/secapi/pay/reverse", map[string]string{"out_trade_no": "B-3"}, "")

	bill := func(date, typ, tar string) (string, map[string]string) {
		c := f.creds.WeChat
		q := map[string]string{"appid": c.AppID, "mch_id": c.MchID, "nonce_str": "n", "bill_date": date, "bill_type": typ, "tar_type": tar}
		q["sign"], _ = WeChatSign(q, c.APIKey, "")
		resp, err := f.plain.Post(f.srv.BaseURL+"/pay/downloadbill", "text/xml", bytes.NewReader(buildWeChatXML(q)))
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if tar == "GZIP" {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			require.NoError(t, err)
			raw, _ = io.ReadAll(zr)
		}
		m, _ := ParseWeChatXML(raw)
		return string(raw), m
	}
	day := t0.Format("20060102")
	text, _ := bill(day, "ALL", "")
	rows, sumHead, sum := parseWeChatBill(t, text)
	require.Len(t, rows, 5, text)
	require.Equal(t, "SUCCESS", rows[0]["交易状态"])
	require.Equal(t, "B-1", rows[0]["商户订单号"])
	require.Equal(t, "10.00", rows[0]["应结订单金额"])
	require.Equal(t, f.creds.WeChat.SubMchID, rows[0]["特约商户号"])
	var refund, revoked map[string]string
	for _, r := range rows {
		switch r["交易状态"] {
		case "REFUND":
			refund = r
		case "REVOKED":
			revoked = r
		}
	}
	require.Equal(t, "5.50", refund["退款金额"])
	require.Equal(t, "B-2-R", refund["商户退款单号"])
	require.Equal(t, "1.00", revoked["退款金额"])
	require.Equal(t, []string{"总交易单数", "应结订单总金额", "退款总金额", "充值券退款总金额", "手续费总金额", "订单总金额", "申请退款总金额"}, sumHead)
	require.Equal(t, "5", sum[0])
	require.Equal(t, "36.50", sum[1], "10.00 + 25.50 + 1.00")
	require.Equal(t, "6.50", sum[2])

	text, _ = bill(day, "SUCCESS", "")
	rows, _, _ = parseWeChatBill(t, text)
	require.Len(t, rows, 3)
	text, _ = bill(day, "REFUND", "GZIP")
	rows, _, _ = parseWeChatBill(t, text)
	require.Len(t, rows, 2)
	require.Contains(t, rows[0], "退款成功时间")

	_, m := bill(t0.AddDate(0, 0, -1).Format("20060102"), "ALL", "")
	require.Equal(t, "FAIL", m["return_code"])
	require.Equal(t, "No Bill Exist", m["return_msg"])
	require.Equal(t, "20002", m["error_code"])
	_, m = bill("2026-03-04", "ALL", "")
	require.Equal(t, "20001", m["error_code"])
}

// parseWeChatBill reads a downloadbill text by header names.
func parseWeChatBill(t *testing.T, text string) (rows []map[string]string, sumHead, sum []string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(text, "\r\n"), "\r\n")
	require.GreaterOrEqual(t, len(lines), 4, text)
	head := strings.Split(lines[0], ",")
	for _, line := range lines[1 : len(lines)-2] {
		require.True(t, strings.HasPrefix(line, "`"), line)
		cells := strings.Split(line[1:], ",`")
		require.Len(t, cells, len(head), line)
		r := map[string]string{}
		for i, h := range head {
			r[h] = cells[i]
		}
		rows = append(rows, r)
	}
	sumHead = strings.Split(lines[len(lines)-2], ",")
	sum = strings.Split(lines[len(lines)-1][1:], ",`")
	return
}

func TestWeChat_ConcurrentRetriesChargeOnce(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	ids := make(chan string, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, m := f.micropay("WX-RACE", wxCode("999"), "4200")
			ids <- m["transaction_id"]
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		seen[id] = true
	}
	require.Len(t, seen, 1, "every retry got the same order")
	require.Len(t, f.srv.Ledger().ChargesFor(wxCode("999")), 1)
}
