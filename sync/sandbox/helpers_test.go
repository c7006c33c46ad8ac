package sandbox

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/app"
)

// One demo set-up (keys take a moment to generate) shared by the tests;
// every test loads its own Config from it.
var (
	demoOnce  sync.Once
	demoDir   string
	demoCreds *ClientCredentials
	demoErr   error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if demoDir != "" {
		os.RemoveAll(demoDir)
	}
	os.Exit(code)
}

func sharedDemo(t testing.TB) (string, *ClientCredentials) {
	t.Helper()
	demoOnce.Do(func() {
		demoDir, demoErr = os.MkdirTemp("", "sandbox-demo-*")
		if demoErr == nil {
			_, demoCreds, demoErr = Demo(demoDir)
		}
	})
	require.NoError(t, demoErr)
	return demoDir, demoCreds
}

// t0 is a Wednesday noon in Beijing: far from midnight so bills of "today" are stable.
var t0 = time.Date(2026, 3, 4, 12, 0, 0, 0, beijing)

// fixture is a started sandbox with a manual clock and clients for the three protocols.
type fixture struct {
	t      testing.TB
	srv    *Server
	clock  *app.ManualClock
	creds  *ClientCredentials
	plain  *http.Client // trusts the CA, no client certificate
	withMT *http.Client // also presents the WeChat API client certificate
	aliKey *rsa.PrivateKey
	cpKey  *rsa.PrivateKey
	cfg    *Config
	// fileShared: another server went on writing this fixture's ledger
	// file, so it no longer matches this one's memory.
	fileShared bool
}

func newFixture(t testing.TB, tweak ...func(*Config)) *fixture {
	t.Helper()
	dir, creds := sharedDemo(t)
	cfg, err := LoadConfig(filepath.Join(dir, demoConfigFile))
	require.NoError(t, err)
	clock := app.NewManualClock(t0)
	cfg.Clock = clock
	// Every fixture keeps its ledger in a file, and on cleanup the file must
	// replay to exactly the ledger in memory: a change some call forgot to
	// write shows up here, whatever test made it.
	cfg.LedgerFile = filepath.Join(t.TempDir(), "ledger.jsonl")
	for _, f := range tweak {
		f(cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := Start(ctx, "127.0.0.1:0", cfg)
	require.NoError(t, err)
	f := &fixture{t: t, srv: srv, clock: clock, creds: creds, cfg: cfg}
	t.Cleanup(func() {
		cancel()
		srv.Close()
		if cfg.LedgerFile != "" && !f.fileShared {
			requireFileMatches(t, srv.ledger, cfg)
		}
	})

	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM([]byte(creds.CAPEM)))
	cert, err := tls.X509KeyPair([]byte(creds.WeChat.ClientCertPEM), []byte(creds.WeChat.ClientKeyPEM))
	require.NoError(t, err)
	mk := func(certs []tls.Certificate) *http.Client {
		return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: certs}, DisableKeepAlives: true,
		}}
	}
	aliKey, err := parseRSAPrivateKey([]byte(creds.Alipay.AppPrivateKeyPEM))
	require.NoError(t, err)
	cpKey, err := parseRSAPrivateKey([]byte(creds.CloudPay.SignPrivateKeyPEM))
	require.NoError(t, err)
	f.plain, f.withMT, f.aliKey, f.cpKey = mk(nil), mk([]tls.Certificate{cert}), aliKey, cpKey
	return f
}

// ---- WeChat ----

// wx posts a signed WeChat request and returns the HTTP status and the parsed answer.
func (f *fixture) wx(path string, p map[string]string, signType string) (int, map[string]string, []byte) {
	f.t.Helper()
	c := f.creds.WeChat
	q := map[string]string{"appid": c.AppID, "mch_id": c.MchID, "sub_mch_id": c.SubMchID, "nonce_str": nonce(16)}
	if signType != "" {
		q["sign_type"] = signType
	}
	for k, v := range p {
		q[k] = v
	}
	if _, ok := p["sign"]; !ok {
		q["sign"], _ = WeChatSign(q, c.APIKey, signType)
	}
	return f.wxRaw(path, buildWeChatXML(q), true)
}

func (f *fixture) wxRaw(path string, body []byte, cert bool) (int, map[string]string, []byte) {
	f.t.Helper()
	cl := f.plain
	if cert {
		cl = f.withMT
	}
	resp, err := cl.Post(f.srv.BaseURL+path, "text/xml", bytes.NewReader(body))
	require.NoError(f.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	m, _ := ParseWeChatXML(raw)
	return resp.StatusCode, m, raw
}

// wxVerified asserts the answer is signed with the merchant key.
func (f *fixture) wxVerified(m map[string]string, signType string) {
	f.t.Helper()
	want, err := WeChatSign(m, f.creds.WeChat.APIKey, signType)
	require.NoError(f.t, err)
	require.Equal(f.t, want, m["sign"], "answer signature")
}

// ---- Alipay ----

func (f *fixture) aliParams(method string, biz map[string]any, key *rsa.PrivateKey) url.Values {
	bc, _ := json.Marshal(biz)
	p := map[string]string{
		"app_id": f.creds.Alipay.AppID, "method": method, "format": "JSON", "charset": "utf-8",
		"sign_type": "RSA2", "timestamp": f.clock.Now().In(beijing).Format("2006-01-02 15:04:05"),
		"version": "1.0", "biz_content": string(bc),
	}
	if key != nil {
		p["sign"], _ = rsa2Sign(key, []byte(AlipaySignContent(p)))
	}
	v := url.Values{}
	for k, x := range p {
		v.Set(k, x)
	}
	return v
}

// ali calls the gateway with a form POST and returns the verified response object.
func (f *fixture) ali(method string, biz map[string]any) (int, map[string]any) {
	f.t.Helper()
	return f.aliForm(method, f.aliParams(method, biz, f.aliKey))
}

func (f *fixture) aliForm(method string, v url.Values) (int, map[string]any) {
	f.t.Helper()
	resp, err := f.plain.PostForm(f.srv.AlipayGateway, v)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	key := strings.ReplaceAll(method, ".", "_") + "_response"
	inner, sig := splitAlipay(f.t, raw, key)
	gw, err := parseRSAPublicKey([]byte(f.creds.Alipay.GatewayPublicKeyPEM))
	require.NoError(f.t, err)
	require.True(f.t, rsa2Verify(gw, inner, sig), "gateway signature over %s", inner)
	var m map[string]any
	require.NoError(f.t, json.Unmarshal(inner, &m))
	return resp.StatusCode, m
}

// splitAlipay cuts {"<key>":{...},"sign":"..."} into the raw inner bytes and the signature.
func splitAlipay(t testing.TB, raw []byte, key string) ([]byte, string) {
	t.Helper()
	var doc map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &doc), "%s", raw)
	inner, ok := doc[key]
	if !ok {
		inner, ok = doc["error_response"]
	}
	require.True(t, ok, "no %s in %s", key, raw)
	var sig string
	require.NoError(t, json.Unmarshal(doc["sign"], &sig))
	require.True(t, bytes.Contains(raw, inner), "inner object is verbatim")
	return inner, sig
}

// ---- Cloud Pay ----

type cpAuth int

const (
	cpHMAC cpAuth = iota
	cpPSS
	cpNone
)

func (f *fixture) cpReq(api string, content map[string]any, auth cpAuth) (int, map[string]any, bool) {
	f.t.Helper()
	rc, _ := json.Marshal(content)
	env := map[string]any{"request_content": string(rc)}
	switch auth {
	case cpHMAC:
		env["authen_info"] = map[string]any{"a": map[string]any{"authen_type": 1, "authen_code": CloudPayAuthenCode(f.creds.CloudPay.AuthenKey, rc)}}
	case cpPSS:
		sum := sha256.Sum256(rc)
		sig, err := rsa.SignPSS(rand.Reader, f.cpKey, crypto.SHA256, sum[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		require.NoError(f.t, err)
		env["authen_info"] = map[string]any{"s": map[string]any{"sign_type": 1, "sign": base64.StdEncoding.EncodeToString(sig)}}
	}
	body, _ := json.Marshal(env)
	return f.cpRaw(api, body)
}

// cpRaw posts an envelope and returns status, response_content, and whether it was signed (and verified).
func (f *fixture) cpRaw(api string, body []byte) (int, map[string]any, bool) {
	f.t.Helper()
	resp, err := f.plain.Post(f.srv.CloudPayURL+"/"+api, "application/json", bytes.NewReader(body))
	require.NoError(f.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil, false
	}
	var env struct {
		ResponseContent string `json:"response_content"`
		AuthenInfo      *struct {
			A struct {
				AuthenType int    `json:"authen_type"`
				AuthenCode string `json:"authen_code"`
			} `json:"a"`
		} `json:"authen_info"`
	}
	require.NoError(f.t, json.Unmarshal(raw, &env), "%s", raw)
	signed := false
	if env.AuthenInfo != nil {
		require.Equal(f.t, CloudPayAuthenCode(f.creds.CloudPay.AuthenKey, []byte(env.ResponseContent)), env.AuthenInfo.A.AuthenCode, "response authen_code")
		signed = true
	}
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(env.ResponseContent))
	d.UseNumber()
	require.NoError(f.t, d.Decode(&m))
	return resp.StatusCode, m, signed
}

func (f *fixture) cpMchKey(platform int) map[string]any {
	c := f.creds.CloudPay
	return map[string]any{"pay_platform": platform, "out_mch_id": c.OutMchID, "out_sub_mch_id": c.OutSubMchID, "out_shop_id": c.OutShopID}
}

func (f *fixture) cpClient() map[string]any {
	return map[string]any{"device_id": f.creds.CloudPay.DeviceID, "staff_id": f.creds.CloudPay.StaffID, "terminal_type": 4,
		"machine_no": "00-11-22-33-44-55", "sdk_version": "1.0", "spbill_create_ip": "127.0.0.1"}
}

func (f *fixture) cpNo(s string) string { return f.creds.CloudPay.CashierID + s }

func cpStatus(m map[string]any) int {
	n, _ := m["status"].(json.Number).Int64()
	return int(n)
}

func jsonPath(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

func str(v any) string { return fmt.Sprint(v) }

// waitWaiters blocks until n timers wait on the manual clock.
func waitWaiters(t testing.TB, c *app.ManualClock, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for c.Waiters() < n {
		if time.Now().After(deadline) {
			t.Fatalf("no goroutine waits on the clock")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// requireFileMatches replays cfg's ledger file and compares it with l.
func requireFileMatches(t testing.TB, l *Ledger, cfg *Config) {
	t.Helper()
	raw, err := os.ReadFile(cfg.LedgerFile)
	require.NoError(t, err)
	re := newLedger(cfg)
	torn, err := re.load(raw)
	require.NoError(t, err)
	require.Zero(t, torn)
	l.mu.Lock()
	want := l.compacted()
	l.mu.Unlock()
	require.Equal(t, string(want), string(re.compacted()), "the ledger file replays to the ledger in memory")
}
