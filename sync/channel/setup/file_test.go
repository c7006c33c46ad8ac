package setup_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/sync/channel/setup"
)

// channels.json is read strictly and names the field it refuses.
func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	load := func(body string) (setup.File, error) {
		p := filepath.Join(dir, setup.FileName)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return setup.LoadFile(p)
	}
	field := func(err error) string {
		require.ErrorIs(t, err, setup.ErrFile)
		m, _ := app.AsMessage(err)
		return m.Args["Field"].(string)
	}
	_, err := load(`{}`)
	assert.Equal(t, "wechat|alipay|cloudpay", field(err))
	_, err = load(`{"wechat":{"appid":"a","mch_id":"1","sub_mch_id":"2"}}`)
	assert.Equal(t, "wechat.api_key", field(err))
	_, err = load(`{"wechat":{"appid":"a","mch_id":"1","sub_mch_id":"2","api_key":"k","apikey":"SECRET"}}`)
	assert.Equal(t, "wechat.apikey", field(err))
	assert.NotContains(t, err.Error(), "SECRET")
	_, err = load(`{"alipay":{"app_id":"a","private_key":"p"}}`)
	assert.Equal(t, "alipay.alipay_public_key", field(err), "public-key mode needs the Alipay public key")
	_, err = load(`{"alipay":{"app_id":"a","private_key":"p","app_cert":"c"}}`)
	assert.Equal(t, "alipay.alipay_cert", field(err), "certificate mode needs all three certificates")
	f, err := load(`{"alipay":{"app_id":"a","private_key":"p","app_cert":"c","alipay_cert":"d","alipay_root_cert":"e"}}`)
	require.NoError(t, err)
	assert.Equal(t, "e", f.Settings().Alipay.AlipayRootCert)
	_, err = load(`{"wechat":{"appid":"a","mch_id":"1","sub_mch_id":"2","api_key":"k"},"routes":{"alipay":"cloudpay"}}`)
	assert.Equal(t, "routes.alipay", field(err))
	_, err = load(`{"wechat":{"appid":"a","mch_id":"1","sub_mch_id":"2","api_key":"k"},"routes":{"bitcoin":"wechat"}}`)
	assert.Equal(t, "routes.bitcoin", field(err))
	_, err = load(`{"wechat":{"appid":"a","mch_id":1}}`)
	assert.Equal(t, "wechat.mch_id", field(err), "a wrong type names the field")
	_, err = load(`{"wechat":{}} {}`)
	require.Error(t, err)
	f, err = load(`{"order_prefix":"","cloudpay":{"out_mch_id":"a","out_sub_mch_id":"b","out_shop_id":"c","cashier_id":"sz01x","authen_key":"k"}}`)
	require.NoError(t, err)
	assert.Equal(t, "sz01x", f.Prefix(), "the Cloud Pay cashier id is the number prefix")
}

// channels.json is matched key for key: encoding/json alone would take
// "API_KEY" for api_key and keep the last of two equal keys. Every refusal
// names the field by its full path in the file's own names, never a Go
// type and never a value.
func TestLoadFile_Strict(t *testing.T) {
	dir := t.TempDir()
	const secret = "S3CR3T-0123456789abcdef0123456789"
	wx := `"appid":"wx1","mch_id":"1900000001","sub_mch_id":"1900000002","api_key":"` + secret + `"`
	cases := []struct {
		name, body, field string
	}{
		{"a key in another case", `{"wechat":{"appid":"wx1","mch_id":"1","sub_mch_id":"2","API_KEY":"` + secret + `"}}`, "wechat.API_KEY"},
		{"a channel in another case", `{"WeChat":{` + wx + `}}`, "WeChat"},
		{"a duplicate key", `{"wechat":{` + wx + `,"api_key":"` + secret + `x"}}`, "wechat.api_key"},
		{"a duplicate channel", `{"wechat":{` + wx + `},"wechat":{` + wx + `}}`, "wechat"},
		{"a duplicate route", `{"wechat":{` + wx + `},"routes":{"wechat":"wechat","wechat":""}}`, "routes.wechat"},
		{"an unknown field names its parent", `{"wechat":{` + wx + `,"apikey":"` + secret + `"}}`, "wechat.apikey"},
		{"an unknown top-level field", `{"wechat":{` + wx + `},"sandbx":true}`, "sandbx"},
		{"a number for a string", `{"wechat":{"appid":"wx1","mch_id":1900000001,"sub_mch_id":"2","api_key":"k"}}`, "wechat.mch_id"},
		{"a string for a number", `{"wechat":{` + wx + `,"timeout_seconds":"15"}}`, "wechat.timeout_seconds"},
		{"a fraction for a number", `{"wechat":{` + wx + `,"timeout_seconds":1.5}}`, "wechat.timeout_seconds"},
		{"a string for a bool", `{"sandbox":"yes","wechat":{` + wx + `}}`, "sandbox"},
		{"an object for a string", `{"wechat":{` + wx + `,"client_ip":{"v":"` + secret + `"}}}`, "wechat.client_ip"},
		{"null for a string", `{"wechat":{` + wx + `,"sign_type":null}}`, "wechat.sign_type"},
		{"a list for the routes", `{"wechat":{` + wx + `},"routes":["wechat"]}`, "routes"},
		{"not an object", `["` + secret + `"]`, ""},
		{"broken JSON inside a channel", `{"wechat":{"api_key":"` + secret + `" "appid":"x"}}`, "wechat"},
		{"cut short", `{"wechat":{"api_key":"` + secret + `"`, "wechat"},
		{"a negative timeout", `{"wechat":{` + wx + `,"timeout_seconds":-1}}`, "wechat.timeout_seconds"},
		{"a negative connect timeout", `{"cloudpay":{"out_mch_id":"a","out_sub_mch_id":"b","out_shop_id":"c","cashier_id":"d","authen_key":"` + secret + `","connect_timeout_seconds":-5}}`, "cloudpay.connect_timeout_seconds"},
		{"cert_pem without key_pem", `{"wechat":{` + wx + `,"cert_pem":"-----BEGIN CERTIFICATE-----"}}`, "wechat.key_pem"},
		{"key_pem without cert_pem", `{"wechat":{` + wx + `,"key_pem":"` + secret + `"}}`, "wechat.cert_pem"},
		{"cert_file without key_file", `{"wechat":{` + wx + `,"cert_file":"/etc/pos/apiclient_cert.pem"}}`, "wechat.key_file"},
		{"two kinds of certificate", `{"wechat":{` + wx + `,"cert_file":"a","key_file":"b","p12_file":"c"}}`, "wechat.p12_file"},
		{"a cashier id too long for 32-character numbers", `{"cloudpay":{"out_mch_id":"a","out_sub_mch_id":"b","out_shop_id":"c","cashier_id":"sz01abcdefg","authen_key":"` + secret + `"}}`, "cloudpay.cashier_id"},
		{"an order prefix too long", `{"order_prefix":"ABCDEFGHIJK","wechat":{` + wx + `}}`, "order_prefix"},
		{"a bad sign_type", `{"wechat":{` + wx + `,"sign_type":"SHA1"}}`, "wechat.sign_type"},
		{"a bad base_url", `{"wechat":{` + wx + `,"base_url":"https://user:` + secret + `@api.mch.weixin.qq.com"}}`, "wechat.base_url"},
		{"a bad gateway_url", `{"alipay":{"app_id":"1","private_key":"` + secret + `","alipay_public_key":"k","gateway_url":"openapi.alipay.com"}}`, "alipay.gateway_url"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, setup.FileName)
			require.NoError(t, os.WriteFile(p, []byte(c.body), 0o600))
			_, err := setup.LoadFile(p)
			require.ErrorIs(t, err, setup.ErrFile)
			m, _ := app.AsMessage(err)
			assert.Equal(t, c.field, m.Args["Field"], "%v", err)
			reason, _ := m.Args["Reason"].(string)
			assert.NotEmpty(t, reason)
			for _, s := range []string{err.Error(), reason} {
				assert.NotContains(t, s, "S3CR3T", "a value is never shown")
				assert.NotContains(t, s, "HTTPFile", "no Go names")
				assert.NotContains(t, s, "WeChatFile")
				assert.NotContains(t, s, "Go ")
			}
		})
	}
}

// root_ca_pem replaces the system roots: it is for the sandbox gateway
// only, never for a live channels.json.
func TestLoadFile_RootCAOnlyForTheSandbox(t *testing.T) {
	dir := t.TempDir()
	ca := strings.ReplaceAll(testCAPEM(t), "\n", `\n`)
	wx := `"appid":"wx1","mch_id":"1900000001","sub_mch_id":"1900000002","api_key":"k","root_ca_pem":"` + ca + `"`
	load := func(body string) (setup.File, error) {
		p := filepath.Join(dir, setup.FileName)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return setup.LoadFile(p)
	}
	_, err := load(`{"wechat":{` + wx + `}}`)
	require.ErrorIs(t, err, setup.ErrFile)
	m, _ := app.AsMessage(err)
	assert.Equal(t, "wechat.root_ca_pem", m.Args["Field"])
	_, err = load(`{"sandbox":false,"alipay":{"app_id":"1","private_key":"p","alipay_public_key":"k","root_ca_pem":"` + ca + `"}}`)
	m, _ = app.AsMessage(err)
	assert.Equal(t, "alipay.root_ca_pem", m.Args["Field"])
	f, err := load(`{"sandbox":true,"wechat":{` + wx + `}}`)
	require.NoError(t, err)
	assert.NotEmpty(t, f.Settings().WeChat.HTTP.RootCAPEM)
	_, err = load(`{"sandbox":true,"wechat":{"appid":"wx1","mch_id":"1","sub_mch_id":"2","api_key":"k","root_ca_pem":"not a certificate"}}`)
	m, _ = app.AsMessage(err)
	assert.Equal(t, "wechat.root_ca_pem", m.Args["Field"], "a sandbox root that is no certificate is named too")
}

// The routes are checked once, the same way for a file and for Build.
func TestRoutes_SameRulesForFileAndBuild(t *testing.T) {
	dir := t.TempDir()
	wx := `"wechat":{"appid":"wx1","mch_id":"1900000001","sub_mch_id":"1900000002","api_key":"0123456789abcdef0123456789abcdef"}`
	for name, c := range map[string]struct {
		routes, field, reason string
	}{
		"unknown wallet":  {`{"bitcoin":"wechat"}`, "routes.bitcoin", "unknown wallet"},
		"not configured":  {`{"alipay":"cloudpay"}`, "routes.alipay", "not configured"},
		"cannot serve it": {`{"alipay":"wechat"}`, "routes.alipay", "cannot serve"},
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, setup.FileName)
			require.NoError(t, os.WriteFile(p, []byte(`{`+wx+`,"routes":`+c.routes+`}`), 0o600))
			_, err := setup.LoadFile(p)
			require.ErrorIs(t, err, setup.ErrFile)
			m, _ := app.AsMessage(err)
			assert.Equal(t, c.field, m.Args["Field"])
			assert.Contains(t, m.Args["Reason"], c.reason)

			var routes map[app.Wallet]app.ChannelName
			require.NoError(t, json.Unmarshal([]byte(c.routes), &routes))
			wxCfg, _, _ := configs(t)
			_, err = setup.Build(setup.Settings{WeChat: wxCfg, Routes: routes}, nil)
			var se *setup.SettingError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, c.field, se.Field)
			assert.Contains(t, se.Err.Error(), c.reason)
		})
	}
}

func testCAPEM(t *testing.T) string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
