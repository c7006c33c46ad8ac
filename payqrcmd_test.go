package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// `pos pay --qr` against the embedded sandbox on the fast clock: testQR
// plays the customer the moment the code is shown (or never).
func withCustomer(t *testing.T, pays bool) {
	testQR = func(s *Services, url string) {
		require.NotNil(t, s.SandboxPayQR, "the embedded sandbox offers the customer's side")
		if pays {
			require.NoError(t, s.SandboxPayQR(url))
		}
	}
	t.Cleanup(func() { testQR = nil })
}

func TestPayQRCLI_CustomerPays(t *testing.T) {
	dir := demoFolder(t)
	withCustomer(t, true)
	for wallet, prefix := range map[string]string{"wechat": "weixin://wxpay/bizpayurl?pr=", "alipay": "https://qr.alipay.com/"} {
		rc, out, errs := runCmd(t, fast, "pay", "--data-dir", dir, "--qr", "--wallet", wallet, "--amount", "12.50")
		require.Equal(t, 0, rc, out+errs)
		assert.Contains(t, out, "Ask the customer to scan and pay")
		code := lineAfter(out, prefix)
		assert.NotEmpty(t, code, "the code URL is printed: %s", out)
		assert.Contains(t, out, "▀", "and the code itself")
		assert.Contains(t, out, "/sandbox/qr/pay", "the sandbox says how to play the customer")
		assert.Contains(t, out, "final state: paid")
		assert.NotEmpty(t, orderNo(out))
	}
}

func TestPayQRCLI_ExpiresUnpaid(t *testing.T) {
	dir := demoFolder(t)
	withCustomer(t, false)
	rc, out, errs := runCmd(t, fast, "pay", "--data-dir", dir, "--qr", "--wallet", "wechat", "--amount", "3.00")
	require.Equal(t, 1, rc, out+errs)
	assert.Contains(t, out, "Waiting for the customer to scan and pay")
	assert.Contains(t, out, "final state: closed")
	assert.Contains(t, out, "The QR code expired; the order is closed, nothing was charged")
	assert.Contains(t, out, "is voided", "the one-shot command gives the unpaid order up")
}

func TestPayQRCLI_BadInputSendsNothing(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--qr", "--amount", "1"}, "--wallet is required"},
		{[]string{"--wallet", "wechat", "--amount", "1"}, "--qr is required"},
		{[]string{"--qr", "--wallet", "unionpay", "--amount", "1"}, "--wallet must be wechat or alipay"},
		{[]string{"--qr", "--wallet", "wechat", "--code", "134567890123456789", "--amount", "1"}, "not both"},
		{[]string{"--qr", "--wallet", "wechat", "--deposit", "--amount", "1"}, "A deposit is frozen with the customer's payment code"},
		{[]string{"--qr", "--wallet", "wechat"}, "--amount is required"},
	} {
		rc, out, errs := runCmd(t, fast, append([]string{"pay", "--data-dir", dir}, c.args...)...)
		assert.Equal(t, 2, rc, "%v: %s %s", c.args, out, errs)
		assert.Contains(t, errs, c.want, c.args)
		assert.Empty(t, out)
		assert.False(t, strings.Contains(errs, "weixin://"), c.args)
	}
	_, err := os.Stat(filepath.Join(dir, "pos.db"))
	assert.True(t, os.IsNotExist(err), "nothing written for a bad command line")
}
