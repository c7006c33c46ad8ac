package sandbox

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/app"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRun_BadFlagsAndConfig(t *testing.T) {
	var out, errOut bytes.Buffer
	require.Equal(t, 2, Run([]string{"--nope"}, &out, &errOut))
	require.Equal(t, 2, Run([]string{"--addr", "127.0.0.1:0"}, &out, &errOut), "neither --config nor --demo")
	require.Equal(t, 2, Run([]string{"--config", "a.json", "extra"}, &out, &errOut))
	require.Equal(t, 0, Run([]string{"-h"}, &out, &errOut))

	errOut.Reset()
	require.Equal(t, 1, Run([]string{"--config", filepath.Join(t.TempDir(), "missing.json")}, &out, &errOut))
	require.Contains(t, errOut.String(), "missing.json")

	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "c.json")
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	errOut.Reset()
	require.Equal(t, 1, Run([]string{"--config", write("{not json")}, &out, &errOut))
	require.Contains(t, errOut.String(), "not valid JSON")

	errOut.Reset()
	require.Equal(t, 1, Run([]string{"--config", write(`{"wechat":{"merchants":[{"appid":"wx1","mch_id":"1","api_key":"TOPSECRET-31-characters-long-xx"}]}}`)}, &out, &errOut))
	require.Contains(t, errOut.String(), "wechat.merchants[0].api_key")
	require.NotContains(t, errOut.String(), "TOPSECRET", "a secret never appears in an error")

	errOut.Reset()
	require.Equal(t, 1, Run([]string{"--config", write(`{"alipay":{"gateway_private_key":"-----BEGIN PRIVATE KEY-----\nSECRETBYTES\n-----END PRIVATE KEY-----","apps":[{"app_id":"1","app_public_key":"x.pem"}]}}`)}, &out, &errOut))
	require.Contains(t, errOut.String(), "alipay.gateway_private_key")
	require.NotContains(t, errOut.String(), "SECRETBYTES")

	errOut.Reset()
	require.Equal(t, 1, Run([]string{"--config", write(`{"wechat":{"merchants":[]},"unknown_field":1}`)}, &out, &errOut))
	require.Contains(t, errOut.String(), "unknown_field")

	errOut.Reset()
	require.Equal(t, 1, Run([]string{"--config", write(`{}`)}, &out, &errOut))
	require.Contains(t, errOut.String(), "no merchant")
}

func TestRun_ServesUntilStopped(t *testing.T) {
	dir, creds := sharedDemo(t)
	var out, errOut syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"--addr", "127.0.0.1:0", "--config", filepath.Join(dir, demoConfigFile)}, &out, &errOut, nil)
	}()

	var base string
	require.Eventually(t, func() bool {
		for _, line := range strings.Split(out.String(), "\n") {
			if _, u, ok := strings.Cut(line, "listening on "); ok {
				base = strings.TrimSpace(u)
				return true
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond)
	require.True(t, strings.HasPrefix(base, "https://127.0.0.1:"), base)

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(creds.CAPEM))
	cl := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	c := creds.WeChat
	q := map[string]string{"appid": c.AppID, "mch_id": c.MchID, "sub_mch_id": c.SubMchID, "nonce_str": "n", "body": "x",
		"out_trade_no": "RUN-1", "total_fee": "100", "spbill_create_ip": "127.0.0.1", "auth_code": wxCode("789")}
	q["sign"], _ = WeChatSign(q, c.APIKey, "")
	resp, err := cl.Post(base+"/pay/micropay", "text/xml", bytes.NewReader(buildWeChatXML(q)))
	require.NoError(t, err)
	resp.Body.Close()

	resp, err = cl.Get(base + "/sandbox/ledger")
	require.NoError(t, err)
	var view LedgerView
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&view))
	resp.Body.Close()
	require.Equal(t, 1, view.Summary.Charges)
	require.Equal(t, "RUN-1", view.Orders[0].OutTradeNo)
	require.Equal(t, app.Money(100), view.Charges[0].Amount)

	cancel()
	select {
	case c := <-code:
		require.Equal(t, 0, c)
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop")
	}
	log := errOut.String()
	require.Contains(t, log, "POST /pay/micropay 200")
	require.NotContains(t, log, c.APIKey)
	require.NotContains(t, log, q["sign"])
	require.Contains(t, out.String(), "stopped")
}

func TestDemo_PersistsAndReloads(t *testing.T) {
	dir := t.TempDir()
	cfg1, c1, err := Demo(dir)
	require.NoError(t, err)
	cfg2, c2, err := Demo(dir)
	require.NoError(t, err)
	require.Equal(t, c1, c2, "the second call loads the same merchants and keys")
	require.Equal(t, cfg1.WeChat.Merchants[0].APIKey, cfg2.WeChat.Merchants[0].APIKey)
	require.NotEmpty(t, c1.WeChat.PKCS12)
	require.Equal(t, c1.WeChat.MchID, c1.WeChat.PKCS12Password)
	require.Contains(t, c1.CAPEM, "BEGIN CERTIFICATE")
	require.Contains(t, c1.Alipay.AppPrivateKeyPEM, "BEGIN PRIVATE KEY")
	require.True(t, strings.HasPrefix(c1.CloudPay.CashierID, "sz01"))
	for _, name := range []string{demoWxKey, demoWxP12, demoAliAppPriv, demoAliGwPriv, demoCpSignPriv, demoClientFile, demoCAKeyFile, demoConfigFile} {
		st, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), st.Mode().Perm(), name+" holds secrets")
	}
	// The client certificate is the configured one.
	blk, _ := pem.Decode([]byte(c1.WeChat.ClientCertPEM))
	require.NotNil(t, blk)
	require.Equal(t, cfg1.WeChat.Merchants[0].clientCertDER, blk.Bytes)
}
