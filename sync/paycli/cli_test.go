package paycli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/sync/channel"
	"cashier/sync/paycli"
)

// sharedSandboxDir is one demo sandbox (keys, certificates) for the whole
// package: generating RSA keys per test would dominate the run time.
var sharedSandboxDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "paycli-sandbox-")
	if err != nil {
		panic(err)
	}
	sharedSandboxDir = filepath.Join(dir, "sandbox")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func runCLI(t *testing.T, f func(args []string, stdout, stderr *bytes.Buffer) int, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	rc := f(args, &out, &errb)
	return rc, out.String(), errb.String()
}

func payCmd(env paycli.Env) func([]string, *bytes.Buffer, *bytes.Buffer) int {
	return func(a []string, o, e *bytes.Buffer) int { return paycli.Pay(a, o, e, env) }
}

func refundCmd(env paycli.Env) func([]string, *bytes.Buffer, *bytes.Buffer) int {
	return func(a []string, o, e *bytes.Buffer) int { return paycli.Refund(a, o, e, env) }
}

func TestPayCLI_Success(t *testing.T) {
	data := t.TempDir()
	rc, out, errs := runCLI(t, payCmd(paycli.Env{}), "--data-dir", data, "--sandbox-dir", sharedSandboxDir,
		"--channel", "wechat", "--code", "134567890123456789", "--amount", "12.50")
	t.Log(out, errs)
	require.Equal(t, 0, rc)
	assert.Contains(t, out, "final state: paid")
}

func TestPayCLI_BadInputSendsNothing(t *testing.T) {
	data := t.TempDir()
	base := []string{"--data-dir", data, "--sandbox-dir", sharedSandboxDir}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--channel", "wechat", "--code", "6901234567892", "--amount", "1"}, "not a payment code"},
		{[]string{"--channel", "wechat", "--code", "hello", "--amount", "1"}, "not a payment code"},
		{[]string{"--channel", "wechat", "--code", "2800000000000000", "--amount", "1"}, "not set up"},
		{[]string{"--channel", "alipay", "--code", "6212345678901234567", "--amount", "1"}, "UnionPay"},
		{[]string{"--channel", "wechat", "--code", "134567890123456789", "--amount", "0"}, "greater than zero"},
		{[]string{"--channel", "wechat", "--code", "134567890123456789", "--amount", "1000000.01"}, "over the limit"},
		{[]string{"--channel", "wechat", "--code", "134567890123456789", "--amount", "1.234"}, "two decimals"},
		{[]string{"--channel", "wechat", "--code", "134567890123456789"}, "--amount is required"},
		{[]string{"--channel", "unionpay", "--code", "134567890123456789", "--amount", "1"}, "--channel must be"},
		{[]string{"--code", "134567890123456789", "--amount", "1"}, "--channel must be"},
		{[]string{"--bogus"}, "flag provided but not defined"},
	}
	for _, c := range cases {
		rc, out, errs := runCLI(t, payCmd(paycli.Env{}), append(base, c.args...)...)
		assert.Equal(t, 2, rc, "%v: %s %s", c.args, out, errs)
		assert.Contains(t, errs, c.want, c.args)
		if c.args[0] != "--bogus" {
			assert.Contains(t, errs, "nothing was sent", c.args)
		}
		assert.Empty(t, out)
	}
	_, err := os.Stat(filepath.Join(data, "pos.db"))
	assert.True(t, os.IsNotExist(err), "nothing written for a bad command line")
}

func TestPayCLI_FailureAndDuplicate(t *testing.T) {
	data := t.TempDir()
	args := func(code string) []string {
		return []string{"--data-dir", data, "--sandbox-dir", sharedSandboxDir, "--channel", "alipay", "--code", code, "--amount", "3.00"}
	}
	rc, out, _ := runCLI(t, payCmd(paycli.Env{}), args("2800000000000201")...)
	assert.Equal(t, 1, rc, out)
	assert.Contains(t, out, "final state: failed")
	assert.Contains(t, out, "余额不足")

	rc, out, _ = runCLI(t, payCmd(paycli.Env{}), args("2811111111111000")...)
	require.Equal(t, 0, rc, out)
	// The same code again within seconds: refused, no second charge.
	rc, out, errs := runCLI(t, payCmd(paycli.Env{}), args("2811111111111000")...)
	assert.Equal(t, 1, rc, out)
	assert.Contains(t, errs, "not charged again")
	assert.NotContains(t, out, "final state")
}

func TestRefundCLI(t *testing.T) {
	ctx := t.Context()
	gw, err := paycli.StartSandbox(ctx, sharedSandboxDir, nil)
	require.NoError(t, err)
	defer gw.Server.Close()
	data := t.TempDir()
	common := []string{"--data-dir", data, "--sandbox-dir", sharedSandboxDir, "--gateway", gw.BaseURL}
	rc, out, errs := runCLI(t, payCmd(paycli.Env{}), append(common, "--channel", "cloudpay", "--code", "991234567890123000", "--amount", "20.00")...)
	require.Equal(t, 0, rc, out+errs)
	orderNo := ""
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "订单号 / order: "); ok {
			orderNo = v
		}
	}
	require.NotEmpty(t, orderNo)

	refund := func(args ...string) (int, string, string) {
		return runCLI(t, refundCmd(paycli.Env{}), append(common, args...)...)
	}
	rc, _, errs = refund("--order", orderNo, "--amount", "5.00")
	assert.Equal(t, 2, rc)
	assert.Contains(t, errs, "--pin are required")
	rc, _, errs = refund("--order", orderNo, "--amount", "5.00", "--staff", "1001", "--pin", "0000")
	assert.Equal(t, 1, rc)
	assert.Contains(t, errs, "wrong PIN")
	// 1002 is a clerk with the refund permission, but not clocked on.
	rc, _, errs = refund("--order", orderNo, "--amount", "5.00", "--staff", "1002", "--pin", "1234")
	assert.Equal(t, 1, rc)
	assert.Contains(t, errs, "only while clocked on")
	rc, out, errs = refund("--order", orderNo, "--amount", "5.00", "--staff", "1001", "--pin", "8888", "--reason", "退一件")
	require.Equal(t, 0, rc, out+errs)
	assert.Contains(t, out, "final state: refunded")
	rc, _, errs = refund("--order", orderNo, "--amount", "15.01", "--staff", "1001", "--pin", "8888")
	assert.Equal(t, 1, rc)
	assert.Contains(t, errs, "15.00 left")
	rc, out, _ = refund("--order", orderNo, "--amount", "15.00", "--staff", "1001", "--pin", "8888")
	assert.Equal(t, 0, rc, out)
	rc, _, errs = refund("--order", "nope", "--amount", "1", "--staff", "1001", "--pin", "8888")
	assert.Equal(t, 1, rc)
	assert.Contains(t, errs, "not found")
}

func TestBuildChannels_MalformedKeys(t *testing.T) {
	gw, err := paycli.ExternalSandbox("https://127.0.0.1:1", sharedSandboxDir)
	require.NoError(t, err)
	for name, spoil := range map[string]func(*paycli.ChannelConfigs){
		"wechat key": func(c *paycli.ChannelConfigs) {
			c.WeChat.KeyPEM = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
		},
		"wechat cert":    func(c *paycli.ChannelConfigs) { c.WeChat.CertPEM = "not a certificate" },
		"wechat api key": func(c *paycli.ChannelConfigs) { c.WeChat.APIKey = "short" },
		"alipay key":     func(c *paycli.ChannelConfigs) { c.Alipay.PrivateKey = "garbage" },
		"alipay public key": func(c *paycli.ChannelConfigs) {
			c.Alipay.AlipayPublicKey = "-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----"
		},
		"cloudpay sign key": func(c *paycli.ChannelConfigs) {
			c.CloudPay.SignPrivateKey = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----"
		},
	} {
		cfgs := gw.Configs(channel.HTTPSettings{}, nil)
		spoil(&cfgs)
		_, err := paycli.BuildChannels(cfgs, nil)
		require.Error(t, err, name)
		t.Logf("%s: %v", name, err)
		assert.NotContains(t, err.Error(), "AAAA", "the message does not echo key material")
	}
}
