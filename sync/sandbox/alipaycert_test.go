package sandbox

import (
	"crypto/md5"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// demoSN computes an Alipay certificate SN by hand for the demo's
// certificates, whose issuer is the demo Alipay root: md5 of the issuer
// in Java's RFC 2253 order (last RDN first) and the decimal serial.
func demoSN(t *testing.T, certPEM string) string {
	t.Helper()
	b, _ := pem.Decode([]byte(certPEM))
	require.NotNil(t, b)
	c, err := x509.ParseCertificate(b.Bytes)
	require.NoError(t, err)
	require.Equal(t, "poscashier SANDBOX Alipay Root R1", c.Issuer.CommonName)
	sum := md5.Sum([]byte("CN=poscashier SANDBOX Alipay Root R1,OU=Certification Authority,O=poscashier SANDBOX,C=CN" + c.SerialNumber.String()))
	return hex.EncodeToString(sum[:])
}

// certParams builds a request of the demo's certificate-mode app.
func (f *fixture) certParams(method string, biz map[string]any, appSN, rootSN string) url.Values {
	f.t.Helper()
	key, err := parseRSAPrivateKey([]byte(f.creds.Alipay.CertAppPrivateKeyPEM))
	require.NoError(f.t, err)
	bc, _ := json.Marshal(biz)
	p := map[string]string{
		"app_id": f.creds.Alipay.CertAppID, "method": method, "format": "JSON", "charset": "utf-8",
		"sign_type": "RSA2", "timestamp": f.clock.Now().In(beijing).Format("2006-01-02 15:04:05"),
		"version": "1.0", "biz_content": string(bc), "app_cert_sn": appSN, "alipay_root_cert_sn": rootSN,
	}
	p["sign"], _ = rsa2Sign(key, []byte(AlipaySignContent(p)))
	v := url.Values{}
	for k, x := range p {
		if x != "" {
			v.Set(k, x)
		}
	}
	return v
}

// aliRaw posts a form and returns the answer's members.
func (f *fixture) aliRaw(v url.Values) map[string]json.RawMessage {
	f.t.Helper()
	resp, err := f.plain.PostForm(f.srv.AlipayGateway, v)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var doc map[string]json.RawMessage
	require.NoError(f.t, json.Unmarshal(raw, &doc), "%s", raw)
	return doc
}

func TestAlipay_CertificateMode(t *testing.T) {
	f := newFixture(t)
	c := f.creds.Alipay
	require.NotEmpty(t, c.CertAppID)
	appSN := demoSN(t, c.AppCertPEM)
	gwSN := demoSN(t, c.AlipayCertPEM)
	// The root file: the demo's RSA Alipay root, then the sandbox's ECDSA
	// TLS authority, which does not count.
	rootSN := demoSN(t, c.AlipayRootCertPEM) // the RSA root is first and self-signed
	gw, err := parseRSAPublicKey([]byte(c.GatewayPublicKeyPEM))
	require.NoError(t, err)
	biz := map[string]any{"out_trade_no": "AC-1", "scene": "bar_code", "auth_code": aliCode("789"), "subject": "证书", "total_amount": "1.00"}

	doc := f.aliRaw(f.certParams("alipay.trade.pay", biz, appSN, rootSN))
	var sn, sign string
	require.NoError(t, json.Unmarshal(doc["alipay_cert_sn"], &sn))
	require.NoError(t, json.Unmarshal(doc["sign"], &sign))
	require.Equal(t, gwSN, sn, "the answer names the certificate of the key that signed it")
	inner := doc["alipay_trade_pay_response"]
	require.True(t, rsa2Verify(gw, inner, sign))
	var m map[string]any
	require.NoError(t, json.Unmarshal(inner, &m))
	require.Equal(t, "10000", m["code"], "%v", m)

	for name, tc := range map[string]struct {
		appSN, rootSN, code, sub string
	}{
		"no app_cert_sn":    {"", rootSN, "40001", "isv.missing-app-cert-sn"},
		"other app_cert_sn": {gwSN, rootSN, "40002", "isv.invalid-app-cert-sn"},
		"no root SN":        {appSN, "", "40001", "isv.missing-alipay-root-cert-sn"},
		"other root SN":     {appSN, rootSN + "_" + appSN, "40002", "isv.invalid-alipay-root-cert-sn"},
	} {
		t.Run(name, func(t *testing.T) {
			b := map[string]any{"out_trade_no": "AC-" + name, "scene": "bar_code", "auth_code": aliCode("789"), "subject": "x", "total_amount": "1.00"}
			doc := f.aliRaw(f.certParams("alipay.trade.pay", b, tc.appSN, tc.rootSN))
			var sign string
			require.NoError(t, json.Unmarshal(doc["sign"], &sign), "a refusal for a known app is signed")
			inner := doc["alipay_trade_pay_response"]
			require.True(t, rsa2Verify(gw, inner, sign))
			var m map[string]any
			require.NoError(t, json.Unmarshal(inner, &m))
			require.Equal(t, tc.code, m["code"])
			require.Equal(t, tc.sub, m["sub_code"])
			_, ok := f.srv.Ledger().Order("alipay", "AC-"+name)
			require.False(t, ok)
		})
	}

	t.Run("a public-key app's answers name no certificate", func(t *testing.T) {
		doc := f.aliRaw(f.aliParams("alipay.trade.query", map[string]any{"out_trade_no": "AC-1"}, f.aliKey))
		require.NotContains(t, doc, "alipay_cert_sn")
	})
}

func TestAlipay_CertificateModeConfig(t *testing.T) {
	dir, _ := sharedDemo(t)
	load := func(mutate func(*Config)) error {
		cfg, err := LoadConfig(filepath.Join(dir, demoConfigFile))
		require.NoError(t, err)
		cfg.prepared = false
		mutate(cfg)
		return cfg.prepare(dir)
	}
	require.NoError(t, load(func(*Config) {}))
	for name, c := range map[string]struct {
		mutate func(*Config)
		field  string
	}{
		"key and certificate":         {func(c *Config) { c.Alipay.Apps[1].AppPublicKey = demoAliAppPub }, "alipay.apps[1]"},
		"neither":                     {func(c *Config) { c.Alipay.Apps[0].AppPublicKey = "" }, "alipay.apps[0]"},
		"no gateway cert":             {func(c *Config) { c.Alipay.GatewayCert = "" }, "alipay"},
		"no root":                     {func(c *Config) { c.Alipay.RootCert = "" }, "alipay"},
		"gateway cert of another key": {func(c *Config) { c.Alipay.GatewayCert = demoAliCertApp }, "alipay.gateway_cert"},
		"root without RSA":            {func(c *Config) { c.Alipay.RootCert = demoCACertFile }, "alipay.root_cert"},
		"app cert not a certificate":  {func(c *Config) { c.Alipay.Apps[1].AppCert = demoAliAppPub }, "alipay.apps[1].app_cert"},
	} {
		t.Run(name, func(t *testing.T) {
			err := load(c.mutate)
			var ce *ConfigError
			require.True(t, errors.As(err, &ce), "%v", err)
			require.Equal(t, c.field, ce.Field)
		})
	}
}
