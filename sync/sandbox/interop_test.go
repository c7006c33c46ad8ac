package sandbox

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"cashier/app"
)

// TestInteropNode drives the sandbox with independent third-party clients
// installed from the npm registry (versions pinned by the committed
// package-lock.json): tenpay (WeChat Pay v2) and alipay-sdk (Alipay's
// official SDK). It asserts on what the clients report and on the ledger.
func TestInteropNode(t *testing.T) {
	node, errNode := exec.LookPath("node")
	npm, errNpm := exec.LookPath("npm")
	if errNode != nil || errNpm != nil {
		t.Skip("node and npm are needed to run the tenpay / alipay-sdk interop test; not found on PATH")
	}
	dir, err := filepath.Abs("interop")
	require.NoError(t, err)
	ensureNodeModules(t, npm, dir)

	_, creds := sharedDemo(t)
	cfg, err := LoadConfig(filepath.Join(demoDir, demoConfigFile))
	require.NoError(t, err)
	// The npm clients use the wall clock for timestamps: so does this sandbox.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := Start(ctx, "127.0.0.1:0", cfg)
	require.NoError(t, err)
	defer srv.Close()

	tmp := t.TempDir()
	caFile := filepath.Join(tmp, "ca.pem")
	require.NoError(t, os.WriteFile(caFile, []byte(creds.CAPEM), 0o644))
	p12File := filepath.Join(tmp, "apiclient_cert.p12")
	require.NoError(t, os.WriteFile(p12File, creds.WeChat.PKCS12, 0o600))
	appCertFile := filepath.Join(tmp, "appCertPublicKey.crt")
	require.NoError(t, os.WriteFile(appCertFile, []byte(creds.Alipay.AppCertPEM), 0o600))
	aliCertFile := filepath.Join(tmp, "alipayCertPublicKey_RSA2.crt")
	require.NoError(t, os.WriteFile(aliCertFile, []byte(creds.Alipay.AlipayCertPEM), 0o600))
	conf := map[string]any{
		"base_url":       srv.BaseURL,
		"alipay_gateway": srv.AlipayGateway,
		"wechat": map[string]string{
			"appid": creds.WeChat.AppID, "mch_id": creds.WeChat.MchID, "sub_mch_id": creds.WeChat.SubMchID,
			"api_key": creds.WeChat.APIKey, "pfx_file": p12File,
		},
		"alipay": map[string]string{
			"app_id": creds.Alipay.AppID, "app_private_key": creds.Alipay.AppPrivateKeyPEM,
			"gateway_public_key": creds.Alipay.GatewayPublicKeyPEM,
		},
		// Certificate mode: two files by path, the root as text (the SDK
		// takes either for each).
		"alipay_cert": map[string]string{
			"app_id": creds.Alipay.CertAppID, "private_key": creds.Alipay.CertAppPrivateKeyPEM,
			"app_cert_path": appCertFile, "alipay_cert_path": aliCertFile, "root_cert": creds.Alipay.AlipayRootCertPEM,
		},
	}
	confFile := filepath.Join(tmp, "interop.json")
	b, _ := json.Marshal(conf)
	require.NoError(t, os.WriteFile(confFile, b, 0o600))

	runNode := func(script string) map[string]map[string]any {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, filepath.Join(dir, script), confFile)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+caFile, "NODE_OPTIONS=")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		outb, err := cmd.Output()
		t.Logf("%s: %s", script, time.Since(start).Round(time.Millisecond))
		steps := map[string]map[string]any{}
		sc := bufio.NewScanner(bytes.NewReader(outb))
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				steps[str(m["step"])] = m
				t.Logf("  %s", sc.Text())
			}
		}
		require.NoError(t, err, "node %s failed: %s\nstdout:\n%s", script, stderr.String(), outb)
		require.Contains(t, steps, "done", "stdout:\n%s\nstderr:\n%s", outb, stderr.String())
		return steps
	}

	t.Run("tenpay", func(t *testing.T) {
		s := runNode("wechat.js")
		pay := s["micropay"]
		require.Equal(t, "SUCCESS", pay["result_code"])
		require.Equal(t, "1234", pay["total_fee"])
		require.NotEmpty(t, pay["transaction_id"])
		require.Equal(t, "SUCCESS", s["orderquery"]["trade_state"])
		require.Equal(t, pay["transaction_id"], s["orderquery"]["transaction_id"])
		require.Equal(t, "SUCCESS", s["reverse"]["result_code"])
		require.Equal(t, "N", s["reverse"]["recall"])
		require.Equal(t, "REVOKED", s["orderquery-after-reverse"]["trade_state"])

		require.Equal(t, "SUCCESS", s["micropay-hmac"]["result_code"])
		require.Equal(t, "SUCCESS", s["refund"]["result_code"])
		require.Equal(t, "500", s["refund"]["refund_fee"])
		require.Equal(t, s["refund"]["refund_id"], s["refund-again"]["refund_id"], "same out_refund_no, same refund")
		require.Equal(t, "SUCCESS", s["refundquery"]["refund_status"])
		require.NotNil(t, s["refund-lost"]["error"], "the first answer was dropped")
		require.Equal(t, "SUCCESS", s["refund-lost-again"]["result_code"])
		require.Equal(t, "191", s["refund-lost-again"]["refund_fee"])
		require.Equal(t, s["refundquery-lost"]["refund_id"], s["refund-lost-again"]["refund_id"], "the re-send is the refund the lost call made")
		require.Equal(t, "SUCCESS", s["refundquery-lost"]["refund_status"])

		require.Equal(t, "USERPAYING", s["micropay-userpaying"]["error"])
		require.Equal(t, "签名错误", s["wrong-key"]["error"])
		require.Equal(t, "证书验证失败", s["reverse-without-cert"]["error"])

		bill := s["downloadbill"]
		require.EqualValues(t, 27, bill["columns"])
		require.EqualValues(t, 5, bill["rows"], "2 payments, 1 reversal, 2 refunds")

		// The ledger agrees: the reversed order returned everything, the refunded one 5.00.
		no1, no2 := str(pay["out_trade_no"]), str(s["micropay-hmac"]["out_trade_no"])
		o1, ok := srv.Ledger().Order(app.ChannelWeChat, no1)
		require.True(t, ok)
		require.Equal(t, StateReversed, o1.State)
		require.Equal(t, app.Money(1234), o1.Reversed)
		o2, ok := srv.Ledger().Order(app.ChannelWeChat, no2)
		require.True(t, ok)
		require.Equal(t, StatePaid, o2.State)
		require.Equal(t, app.Money(500+191), o2.Refunded)
		require.Len(t, srv.Ledger().Refunds(), 2, "the repeated refunds did not refund twice")
		_, ok = srv.Ledger().Order(app.ChannelWeChat, "TPWX"+no1[4:12]+"X")
		require.False(t, ok, "a wrongly signed micropay creates no order")

		// The dynamic QR.
		require.Equal(t, "SUCCESS", s["unifiedorder"]["result_code"])
		require.Equal(t, "NATIVE", s["unifiedorder"]["trade_type"])
		require.True(t, strings.HasPrefix(str(s["unifiedorder"]["code_url"]), "weixin://wxpay/bizpayurl?pr="))
		require.Equal(t, "NOTPAY", s["orderquery-notpay"]["trade_state"])
		require.EqualValues(t, http.StatusOK, s["customer-pays"]["status"])
		require.Equal(t, "SUCCESS", s["orderquery-native"]["trade_state"])
		require.Equal(t, "NATIVE", s["orderquery-native"]["trade_type"])
		require.Equal(t, "1500", s["orderquery-native"]["total_fee"])
		require.Equal(t, "SUCCESS", s["closeorder"]["result_code"])
		require.Equal(t, "CLOSED", s["orderquery-closed"]["trade_state"])
		require.Equal(t, "ORDERPAID", s["closeorder-paid"]["error"], "a paid order cannot be closed")
	})

	t.Run("alipay-sdk", func(t *testing.T) {
		s := runNode("alipay.js")
		pay := s["trade.pay"]
		require.Equal(t, "10000", pay["code"])
		require.Equal(t, "88.80", pay["total_amount"])
		require.Equal(t, "TRADE_SUCCESS", s["trade.query"]["trade_status"])
		require.Equal(t, pay["trade_no"], s["trade.query"]["trade_no"])
		require.Equal(t, "Y", s["trade.refund"]["fund_change"])
		require.Equal(t, "8.80", s["trade.refund"]["refund_fee"])
		require.Equal(t, "N", s["trade.refund-again"]["fund_change"], "same out_request_no: no new money")
		require.Equal(t, "8.80", s["trade.refund-again"]["refund_fee"])
		require.Equal(t, "REFUND_SUCCESS", s["refund.query"]["refund_status"])
		require.Equal(t, "10003", s["trade.pay-paying"]["code"])
		require.Equal(t, "close", s["trade.cancel"]["action"])
		require.Equal(t, "N", s["trade.cancel"]["retry_flag"])
		require.Equal(t, "40002", s["forged-request"]["code"])
		require.Equal(t, "isv.invalid-signature", s["forged-request"]["sub_code"])
		require.Contains(t, str(s["answer-wrong-public-key"]["error"]), "验签失败")

		// …91: the first refund call lost its answer, the re-send is a repeat.
		// The dropped first answer is an error, or — urllib re-sends once
		// on a socket error — already the repeat's fund_change=N.
		if s["trade.refund-lost"]["error"] == nil {
			require.Equal(t, "N", s["trade.refund-lost"]["fund_change"])
		}
		require.Equal(t, "10000", s["trade.refund-lost-again"]["code"])
		require.Equal(t, "N", s["trade.refund-lost-again"]["fund_change"])
		require.Equal(t, "10.71", s["trade.refund-lost-again"]["refund_fee"], "8.80 + 1.91, refunded once")
		require.Equal(t, "REFUND_SUCCESS", s["refund.query-lost"]["refund_status"])
		require.Equal(t, "1.91", s["refund.query-lost"]["refund_amount"])

		require.Equal(t, "40002", s["unknown-app"]["code"])
		require.Equal(t, "isv.invalid-app-id", s["unknown-app"]["sub_code"])

		// Certificate mode: the SDK's SNs are the ones the sandbox expects.
		certApp := srv.cfg.alipayApp(creds.Alipay.CertAppID)
		require.NotNil(t, certApp)
		require.Equal(t, certApp.certSN, s["cert.sn"]["app_cert_sn"])
		require.Equal(t, srv.cfg.Alipay.rootCertSN, s["cert.sn"]["alipay_root_cert_sn"])
		require.Equal(t, srv.cfg.Alipay.gatewayCertSN, s["cert.sn"]["alipay_cert_sn"])
		require.Equal(t, "10000", s["cert.trade.pay"]["code"])
		require.Equal(t, "6.66", s["cert.trade.pay"]["total_amount"])
		require.Equal(t, "TRADE_SUCCESS", s["cert.trade.query"]["trade_status"])

		no1 := str(pay["out_trade_no"])
		o, ok := srv.Ledger().Order(app.ChannelAlipay, no1)
		require.True(t, ok)
		require.Equal(t, app.Money(8880), o.Amount)
		require.Equal(t, app.Money(880+191), o.Refunded)
		paying, ok := srv.Ledger().Order(app.ChannelAlipay, str(s["trade.pay-paying"]["out_trade_no"]))
		require.True(t, ok)
		require.Equal(t, StateReversed, paying.State)
		require.False(t, paying.Charged, "cancelled while waiting: no money taken")

		// The bill URL the SDK got serves a zipped GBK CSV that parses back.
		bu := str(s["bill.downloadurl"]["url"])
		require.True(t, strings.HasPrefix(bu, srv.BaseURL+"/downloadBillFile.resource?"), bu)
		rows := fetchAlipayBill(t, creds, bu)
		require.Contains(t, rows, no1+"|交易|88.80")
		require.Contains(t, rows, no1+"|退款|-8.80")
		require.Contains(t, rows, no1+"|退款|-1.91")

		// The dynamic QR.
		require.Equal(t, "10000", s["precreate"]["code"])
		require.True(t, strings.HasPrefix(str(s["precreate"]["qr_code"]), "https://qr.alipay.com/"))
		require.Equal(t, "ACQ.TRADE_NOT_EXIST", s["precreate.query-before-scan"]["sub_code"], "no trade before the scan")
		require.EqualValues(t, http.StatusOK, s["precreate.customer-pays"]["status"])
		require.Equal(t, "TRADE_SUCCESS", s["precreate.query"]["trade_status"])
		require.Equal(t, "15.00", s["precreate.query"]["total_amount"])
		require.Equal(t, "close", s["precreate.cancel"]["action"])
	})

	sum := srv.Ledger().Summary()
	t.Logf("ledger after interop: %+v", sum)
	require.Zero(t, srv.Ledger().ChargesFor("281234567890123101"), "the cancelled Alipay payment charged nothing")
}

// fetchAlipayBill downloads a bill zip and returns "out_trade_no|type|商家实收" per detail row.
func fetchAlipayBill(t *testing.T, creds *ClientCredentials, u string) []string {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(creds.CAPEM))
	cl := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := cl.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	raw, _ := io.ReadAll(resp.Body)
	return parseAlipayBillZip(t, raw)
}

func parseAlipayBillZip(t testing.TB, raw []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	require.NoError(t, err)
	require.Len(t, zr.File, 2)
	dec := simplifiedchinese.GBK.NewDecoder()
	var rows []string
	for _, f := range zr.File {
		name, err := dec.String(f.Name)
		require.NoError(t, err)
		rc, err := f.Open()
		require.NoError(t, err)
		gbk, _ := io.ReadAll(rc)
		rc.Close()
		text, err := dec.String(string(gbk))
		require.NoError(t, err)
		if !strings.HasSuffix(name, "_业务明细.csv") {
			require.Contains(t, text, "合计")
			continue
		}
		var header []string
		for _, line := range strings.Split(text, "\r\n") {
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			cells := strings.Split(line, ",")
			if header == nil {
				header = cells
				continue
			}
			col := func(n string) string {
				for i, h := range header {
					if h == n {
						return strings.TrimSpace(cells[i])
					}
				}
				t.Fatalf("no column %s", n)
				return ""
			}
			rows = append(rows, col("商户订单号")+"|"+col("业务类型")+"|"+col("商家实收（元）"))
		}
	}
	return rows
}

// ensureNodeModules runs `npm ci` from the committed lockfile when
// node_modules is missing or was installed from another lockfile.
func ensureNodeModules(t *testing.T, npm, dir string) {
	t.Helper()
	lock, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	require.NoError(t, err)
	sum := sha256.Sum256(lock)
	want := hex.EncodeToString(sum[:])
	stamp := filepath.Join(dir, "node_modules", ".poscashier-lock-sha256")
	if got, err := os.ReadFile(stamp); err == nil && strings.TrimSpace(string(got)) == want {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	start := time.Now()
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "npm ci (needs the npm registry) failed:\n%s", out)
	t.Logf("npm ci: %s", time.Since(start).Round(time.Millisecond))
	require.NoError(t, os.WriteFile(stamp, []byte(want+"\n"), 0o644))
}
