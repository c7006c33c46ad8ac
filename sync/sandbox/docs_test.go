package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cashier/app"
)

// The example in docs/sandbox.md is a config that loads.
func TestDocsExampleConfigLoads(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "sandbox.md"))
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(doc), "```json\n")
	require.True(t, ok, "no json example")
	example, _, ok := strings.Cut(rest, "```")
	require.True(t, ok)

	demo, _ := sharedDemo(t)
	dir := t.TempDir()
	for _, name := range []string{demoWxCert, demoAliGwPriv, demoAliAppPub, demoCpSignPub, demoCACertFile, demoCAKeyFile,
		demoAliGwCert, demoAliRootCert, demoAliCertApp} {
		b, err := os.ReadFile(filepath.Join(demo, name))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
	}
	path := filepath.Join(dir, "sandbox.json")
	require.NoError(t, os.WriteFile(path, []byte(example), 0o600))
	cfg, err := LoadConfig(path)
	require.NoError(t, err)
	require.Equal(t, "1923653354", cfg.WeChat.Merchants[0].MchID)
	require.Equal(t, app.Money(1000), cfg.Wallets.balance("134567890123456555"))
	require.Equal(t, DefaultWalletBalance, cfg.Wallets.balance("134567890123456789"))
	require.Equal(t, "sz01wjgfxr", cfg.CloudPay.SubMerchants[0].CashierID)
	require.NotEmpty(t, cfg.Alipay.Apps[1].certSN, "the second app is in certificate mode")
	require.NotEmpty(t, cfg.Alipay.rootCertSN)
}
