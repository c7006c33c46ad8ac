package sandbox

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"cashier/app"
)

// offlineServer is a sandbox without a listener: fuzz targets call its
// handler directly, so a panic reaches the fuzzer.
func offlineServer(t testing.TB) (*Server, http.Handler) {
	t.Helper()
	dir, _ := sharedDemo(t)
	cfg, err := LoadConfig(filepath.Join(dir, demoConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Clock = app.NewManualClock(t0)
	s := &Server{cfg: cfg, ledger: newLedger(cfg), done: make(chan struct{}), billSecret: []byte("fuzz")}
	return s, s.handler()
}

// serve runs one request; the dropped-answer scenario aborts the handler,
// which net/http turns into a closed connection.
func serve(h http.Handler, req *http.Request) (rec *httptest.ResponseRecorder) {
	rec = httptest.NewRecorder()
	defer func() {
		if v := recover(); v != nil {
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				return
			}
			panic(v)
		}
	}()
	h.ServeHTTP(rec, req)
	return rec
}

// mustCharge checks that the valid seed request does charge: the
// fuzz targets' "no charge without a signature" check can see a charge.
func mustCharge(f *testing.F, s *Server, h http.Handler, req *http.Request) {
	before := s.ledger.Summary().Charges
	serve(h, req)
	if s.ledger.Summary().Charges != before+1 {
		f.Fatalf("the signed seed did not charge")
	}
}

// FuzzWeChatXML: any body to the WeChat endpoints; the parser and the
// server never panic, and money is only ever taken for a correctly signed request.
func FuzzWeChatXML(f *testing.F) {
	s, h := offlineServer(f)
	c := demoCreds.WeChat
	q := map[string]string{"appid": c.AppID, "mch_id": c.MchID, "sub_mch_id": c.SubMchID, "nonce_str": "n", "body": "x",
		"out_trade_no": "FZ-1", "total_fee": "100", "spbill_create_ip": "127.0.0.1", "auth_code": wxCode("789")}
	q["sign"], _ = WeChatSign(q, c.APIKey, "")
	f.Add(uint8(0), buildWeChatXML(q))
	mustCharge(f, s, h, httptest.NewRequest(http.MethodPost, "/pay/micropay", bytes.NewReader(buildWeChatXML(q))))
	q["sign_type"], q["deposit"], q["out_trade_no"] = SignHMACSHA256, "Y", "FZ-2"
	q["sign"], _ = WeChatSign(q, c.APIKey, SignHMACSHA256)
	f.Add(uint8(1), buildWeChatXML(q))
	f.Add(uint8(2), []byte("<xml><out_trade_no><![CDATA[a]]></out_trade_no></xml>"))
	f.Add(uint8(3), []byte(`<?xml version="1.0"?><xml><a>1</a><b><![CDATA[<x>]]]]><![CDATA[>]]></b></xml>`))
	f.Add(uint8(4), []byte("<xml><a>&amp;&lt;</a></xml>"))
	f.Add(uint8(5), []byte("\xef\xbb\xbf<xml/>"))
	paths := []string{"/pay/micropay", "/deposit/micropay", "/pay/orderquery", "/secapi/pay/refund", "/pay/refundquery", "/pay/downloadbill", "/deposit/consume"}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		params, perr := ParseWeChatXML(body)
		if perr == nil {
			for k := range params {
				if k == "" {
					t.Fatalf("empty key from %q", body)
				}
			}
		}
		before := s.ledger.Summary().Charges
		req := httptest.NewRequest(http.MethodPost, paths[int(which)%len(paths)], bytes.NewReader(body))
		serve(h, req)
		if s.ledger.Summary().Charges > before {
			if perr != nil {
				t.Fatalf("charged for an unparsable body %q", body)
			}
			want, err := WeChatSign(params, c.APIKey, params["sign_type"])
			if err != nil || subtle.ConstantTimeCompare([]byte(strings.ToUpper(params["sign"])), []byte(want)) != 1 {
				t.Fatalf("charged for a request without a valid signature: %q", body)
			}
		}
	})
}

// FuzzAlipayForm: any query string and form body to /gateway.do.
func FuzzAlipayForm(f *testing.F) {
	s, h := offlineServer(f)
	key, err := parseRSAPrivateKey([]byte(demoCreds.Alipay.AppPrivateKeyPEM))
	if err != nil {
		f.Fatal(err)
	}
	bc, _ := json.Marshal(map[string]any{"out_trade_no": "FZ-A", "scene": "bar_code", "auth_code": aliCode("789"), "subject": "x", "total_amount": "1.00"})
	p := map[string]string{"app_id": demoCreds.Alipay.AppID, "method": "alipay.trade.pay", "charset": "utf-8", "sign_type": "RSA2",
		"timestamp": "2026-03-04 12:00:00", "version": "1.0", "biz_content": string(bc)}
	p["sign"], _ = rsa2Sign(key, []byte(AlipaySignContent(p)))
	v := url.Values{}
	for k, x := range p {
		v.Set(k, x)
	}
	f.Add("", v.Encode())
	seed := httptest.NewRequest(http.MethodPost, "/gateway.do", strings.NewReader(v.Encode()))
	seed.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	mustCharge(f, s, h, seed)
	f.Add("app_id="+url.QueryEscape(p["app_id"])+"&method=alipay.trade.query", "biz_content=%7B%7D&sign=AAAA")
	f.Add("", "a=1&a=2")
	f.Add("%zz", "biz_content=%7B%22out_trade_no%22%3A1e400%7D")
	f.Fuzz(func(t *testing.T, query, body string) {
		before := s.ledger.Summary().Charges
		req := httptest.NewRequest(http.MethodPost, "/gateway.do", strings.NewReader(body))
		req.URL.RawQuery = query
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := serve(h, req)
		if rec.Code == http.StatusOK && !bytes.HasPrefix(rec.Body.Bytes(), []byte(`{"`)) {
			t.Fatalf("not a JSON answer: %q", rec.Body.String())
		}
		if s.ledger.Summary().Charges > before {
			req2 := httptest.NewRequest(http.MethodPost, "/gateway.do", strings.NewReader(body))
			req2.URL.RawQuery = query
			req2.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			params, err := alipayParams(req2)
			pub, _ := parseRSAPublicKey([]byte(demoCreds.Alipay.AppPublicKeyPEM))
			if err != nil || !rsa2Verify(pub, []byte(AlipaySignContent(params)), params["sign"]) {
				t.Fatalf("charged for a request without a valid signature: %q %q", query, body)
			}
		}
	})
}

// FuzzCloudPayEnvelope: any body to the Cloud Pay APIs.
func FuzzCloudPayEnvelope(f *testing.F) {
	s, h := offlineServer(f)
	cp := demoCreds.CloudPay
	rc, _ := json.Marshal(map[string]any{
		"pay_mch_key":  map[string]any{"pay_platform": 1, "out_mch_id": cp.OutMchID, "out_sub_mch_id": cp.OutSubMchID, "out_shop_id": cp.OutShopID},
		"pay_content":  map[string]any{"out_trade_no": cp.CashierID + "FZ", "author_code": wxCode("789"), "total_fee": 1, "fee_type": "CNY", "body": "x"},
		"order_client": map[string]any{"device_id": cp.DeviceID, "staff_id": cp.StaffID, "terminal_type": 4, "machine_no": "m", "sdk_version": "1", "spbill_create_ip": "127.0.0.1"},
		"nonce_str":    "n",
	})
	env, _ := json.Marshal(map[string]any{"request_content": string(rc), "authen_info": map[string]any{"a": map[string]any{"authen_type": 1, "authen_code": CloudPayAuthenCode(cp.AuthenKey, rc)}}})
	f.Add(uint8(0), env)
	seed := httptest.NewRequest(http.MethodPost, "/cpay/micro_pay", bytes.NewReader(env))
	seed.Header.Set("Content-Type", "application/json")
	mustCharge(f, s, h, seed)
	f.Add(uint8(1), []byte(`{"request_content":"{\"out_trade_no\":1}","authen_info":{"s":{"sign_type":1,"sign":"AA=="}}}`))
	f.Add(uint8(2), []byte(`{"request_content":"{}","authen_info":{"a":{"authen_type":1,"authen_code":""}}} trailing`))
	f.Add(uint8(3), []byte(`{"request_content":"{\"pay_mch_key\":{\"out_sub_mch_id\":\"`+cp.OutSubMchID+`\"},\"order_client\":{\"device_id\":1e999}}"}`))
	apis := []string{"micro_pay", "micro_freeze", "query_order", "query_freeze_order", "reverse", "refund", "deposit_consume", "unfreeze", "query_unfreeze_order", "client_order_detail"}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		before := s.ledger.Summary().Charges
		req := httptest.NewRequest(http.MethodPost, "/cpay/"+apis[int(which)%len(apis)], bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := serve(h, req)
		if rec.Code == http.StatusOK {
			var out struct {
				ResponseContent string `json:"response_content"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || !json.Valid([]byte(out.ResponseContent)) {
				t.Fatalf("bad answer %q", rec.Body.String())
			}
		}
		if s.ledger.Summary().Charges > before {
			e, content, _, err := parseCloudPayEnvelope(body)
			if err != nil || e.AuthenInfo == nil || e.AuthenInfo.A == nil ||
				subtle.ConstantTimeCompare([]byte(strings.ToUpper(e.AuthenInfo.A.AuthenCode)), []byte(CloudPayAuthenCode(cp.AuthenKey, content))) != 1 {
				t.Fatalf("charged for a request without a valid authentication code: %q", body)
			}
		}
	})
}
