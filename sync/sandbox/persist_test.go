package sandbox

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/app"
)

// copyDemo copies the shared demo folder (config, keys, certificates; no
// ledger) to a fresh folder, so a test gets its own Demo(dir) without
// generating keys.
func copyDemo(t *testing.T) string {
	t.Helper()
	src, _ := sharedDemo(t)
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range ents {
		if e.IsDir() || strings.HasPrefix(e.Name(), demoLedgerFile) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600))
	}
	return dst
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dst, b, 0o600))
}

func withLedger(path string) func(*Config) { return func(c *Config) { c.LedgerFile = path } }

func (f *fixture) wxRefund(no, refundNo, total, fee string) map[string]string {
	f.t.Helper()
	_, m, _ := f.wx("/secapi/pay/refund", map[string]string{"out_trade_no": no, "out_refund_no": refundNo, "total_fee": total, "refund_fee": fee}, "")
	return m
}

// The app crashes mid-day with the sandbox embedded in it: whatever the
// sandbox answered before the crash is what a sandbox started on the same
// folder answers after it.
func TestLedgerFile_CrashAndRestart(t *testing.T) {
	dir := copyDemo(t)
	demoCfg, _, err := Demo(dir)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, demoLedgerFile), demoCfg.LedgerFile, "Demo keeps the ledger by default")

	f1 := newFixture(t, withLedger(demoCfg.LedgerFile))
	_, m := f1.micropay("WX-1", wxCode("711"), "1000")
	require.Equal(t, "SUCCESS", m["result_code"], "%v", m)
	txn1 := m["transaction_id"]
	_, m = f1.micropay("WX-2", wxCode("101"), "500") // customer typing the password
	require.Equal(t, "USERPAYING", m["err_code"])
	_, m = f1.micropay("WX-3", wxCode("102"), "500") // customer will cancel
	require.Equal(t, "USERPAYING", m["err_code"])
	_, m = f1.micropay("WX-4", wxCode("712"), "1000")
	require.Equal(t, "SUCCESS", m["result_code"])
	m = f1.wxRefund("WX-4", "WX-4-R1", "1000", "300")
	require.Equal(t, "SUCCESS", m["result_code"], "%v", m)
	refundID := m["refund_id"]
	_, m = f1.micropay("WX-5", wxCode("301"), "1000") // SYSTEMERROR, but charged
	require.Equal(t, "SYSTEMERROR", m["err_code"])
	_, a := f1.tradePay("AP-1", aliCode("713"), "20.00")
	require.Equal(t, "10000", a["code"])
	_, c, _ := f1.cpPay("micro_pay", "CP-1", wxCode("714"), 800, 1)
	require.Equal(t, 2, cpState(t, c, "micro_pay"))
	f1.clock.Advance(3 * time.Second)

	// The crash: the file as it is now, while the first sandbox still runs
	// (so nothing it might do on the way down counts), becomes the file of
	// a new sandbox.
	crashed := filepath.Join(t.TempDir(), "ledger.jsonl")
	copyFile(t, demoCfg.LedgerFile, crashed)
	f2 := newFixture(t, withLedger(crashed))
	f2.clock.Set(f1.clock.Now())
	l := f2.srv.Ledger()
	require.Equal(t, 7, l.Summary().Orders)

	q := f2.orderquery("WX-1")
	require.Equal(t, "SUCCESS", q["trade_state"])
	require.Equal(t, txn1, q["transaction_id"])
	// Idempotency survives: the retry is the same order, no second charge.
	_, m = f2.micropay("WX-1", wxCode("711"), "1000")
	require.Equal(t, "SUCCESS", m["result_code"])
	require.Equal(t, txn1, m["transaction_id"])
	require.Len(t, l.ChargesFor(wxCode("711")), 1)
	_, m = f2.micropay("WX-1", wxCode("711"), "1001")
	require.Equal(t, "OUT_TRADE_NO_USED", m["err_code"])

	// The USERPAYING windows run on the stored times and the clock.
	require.Equal(t, "USERPAYING", f2.orderquery("WX-2")["trade_state"])
	require.Empty(t, l.ChargesFor(wxCode("101")))
	f2.clock.Advance(DefaultUserPaying)
	q = f2.orderquery("WX-2")
	require.Equal(t, "SUCCESS", q["trade_state"])
	require.Equal(t, t0.Add(DefaultUserPaying).Format("20060102150405"), q["time_end"], "paid when the window ended")
	require.Len(t, l.ChargesFor(wxCode("101")), 1)
	require.Equal(t, "CLOSED", f2.orderquery("WX-3")["trade_state"])
	require.Empty(t, l.ChargesFor(wxCode("102")))

	// The SYSTEMERROR order was charged: the query and the retry say so.
	require.Equal(t, "SUCCESS", f2.orderquery("WX-5")["trade_state"])
	_, m = f2.micropay("WX-5", wxCode("301"), "1000")
	require.Equal(t, "SUCCESS", m["result_code"])

	// Refunds: the same number is the same refund; the cap counts the old one.
	m = f2.wxRefund("WX-4", "WX-4-R1", "1000", "300")
	require.Equal(t, "SUCCESS", m["result_code"])
	require.Equal(t, refundID, m["refund_id"])
	m = f2.wxRefund("WX-4", "WX-4-R2", "1000", "800")
	require.Equal(t, "INVALID_REQUEST", m["err_code"], "only 7.00 is left to refund")
	m = f2.wxRefund("WX-4", "WX-4-R2", "1000", "700")
	require.Equal(t, "SUCCESS", m["result_code"])
	require.NotEqual(t, refundID, m["refund_id"])

	// Reverse after the restart.
	_, m, _ = f2.wx("/secapi/pay/reverse", map[string]string{"out_trade_no": "WX-1"}, "")
	require.Equal(t, "SUCCESS", m["result_code"], "%v", m)
	require.Equal(t, "N", m["recall"])
	require.Equal(t, "REVOKED", f2.orderquery("WX-1")["trade_state"])
	ch := l.ChargesFor(wxCode("711"))
	require.Len(t, ch, 1)
	require.True(t, ch[0].Reversed)
	require.Zero(t, ch[0].Held())

	// The other protocols read the same book.
	require.Equal(t, "TRADE_SUCCESS", f2.tradeQuery("AP-1")["trade_status"])
	_, a = f2.ali("alipay.trade.cancel", map[string]any{"out_trade_no": "AP-1"})
	require.Equal(t, "10000", a["code"], "%v", a)
	require.Equal(t, "refund", a["action"])
	cq, _ := f2.cpQuery("CP-1", 1)
	require.Equal(t, 2, cpState(t, cq, "query_order"))

	// New ids never repeat one given out before the crash.
	before := map[string]bool{}
	for _, o := range f1.srv.Ledger().Orders() {
		before[o.TransactionID] = true
	}
	for _, r := range f1.srv.Ledger().Refunds() {
		before[r.RefundID] = true
	}
	_, m = f2.micropay("WX-6", wxCode("715"), "100")
	require.Equal(t, "SUCCESS", m["result_code"])
	require.False(t, before[m["transaction_id"]], "transaction id %s was used before the crash", m["transaction_id"])
	require.False(t, before[refundIDOf(l, "WX-4-R2")])
}

// Deposits too: what was frozen, consumed and unfrozen before the crash,
// and the idempotent operation numbers.
func TestLedgerFile_DepositAfterRestart(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ledger.jsonl")
	f1 := newFixture(t, withLedger(p))
	_, m := f1.ali("alipay.fund.auth.order.freeze", map[string]any{
		"auth_code": aliCode("331"), "auth_code_type": "bar_code", "out_order_no": "DF-1", "out_request_no": "DF-1-F",
		"order_title": "押金", "amount": "500.00", "product_code": "PRE_AUTH",
	})
	require.Equal(t, "10000", m["code"], "%v", m)
	authNo := str(m["auth_no"])
	_, m = f1.ali("alipay.trade.pay", map[string]any{"out_trade_no": "DF-1-P1", "auth_no": authNo, "product_code": "PRE_AUTH",
		"auth_confirm_mode": "NOT_COMPLETE", "subject": "房费", "total_amount": "200.00"})
	require.Equal(t, "10000", m["code"], "%v", m)
	_, m = f1.ali("alipay.fund.auth.order.unfreeze", map[string]any{"auth_no": authNo, "out_request_no": "DF-1-U1", "amount": "50.00", "remark": "r"})
	require.Equal(t, "SUCCESS", m["status"])
	crashed := filepath.Join(t.TempDir(), "ledger.jsonl")
	copyFile(t, p, crashed) // right after the unfreeze was answered

	f2 := newFixture(t, withLedger(crashed))
	f2.clock.Set(f1.clock.Now())
	detail := func() map[string]any {
		_, m := f2.ali("alipay.fund.auth.operation.detail.query", map[string]any{"auth_no": authNo, "out_request_no": "DF-1-F"})
		return m
	}
	require.Equal(t, "250.00", detail()["rest_amount"])
	_, m = f2.ali("alipay.fund.auth.order.unfreeze", map[string]any{"auth_no": authNo, "out_request_no": "DF-1-U1", "amount": "50.00", "remark": "r"})
	require.Equal(t, "10000", m["code"], "the same operation number is the same unfreeze")
	require.Equal(t, "250.00", detail()["rest_amount"])
	_, m = f2.ali("alipay.fund.auth.order.unfreeze", map[string]any{"auth_no": authNo, "out_request_no": "DF-1-U1", "amount": "60.00", "remark": "r"})
	require.NotEqual(t, "10000", m["code"], "the same number with another amount is refused")
	ch := f2.srv.Ledger().ChargesFor(aliCode("331"))
	require.Len(t, ch, 1)
	require.Equal(t, app.Money(5000), ch[0].Returned)
}

func refundIDOf(l *Ledger, outRefundNo string) string {
	for _, r := range l.Refunds() {
		if r.OutRefundNo == outRefundNo {
			return r.RefundID
		}
	}
	return ""
}

// startRun runs `pos sandbox` with args until the returned stop is called.
func startRun(t *testing.T, args ...string) (base string, stop func() (int, string)) {
	t.Helper()
	var out, errOut syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() { code <- run(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), &out, &errOut, nil) }()
	require.Eventually(t, func() bool {
		for _, line := range strings.Split(out.String(), "\n") {
			if _, u, ok := strings.Cut(line, "listening on "); ok {
				base = strings.TrimSpace(u)
				return true
			}
		}
		select {
		case c := <-code:
			code <- c
			return true
		default:
		}
		return false
	}, 10*time.Second, 5*time.Millisecond)
	return base, func() (int, string) {
		cancel()
		select {
		case c := <-code:
			return c, errOut.String()
		case <-time.After(10 * time.Second):
			t.Fatal("pos sandbox did not stop")
			return 0, ""
		}
	}
}

// `pos sandbox --demo DIR` stopped and started again keeps its ledger.
func TestLedgerFile_DemoRunRestarts(t *testing.T) {
	dir := copyDemo(t)
	_, creds := sharedDemo(t)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(creds.CAPEM))
	cl := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true}}
	c := creds.WeChat
	pay := func(base string) map[string]string {
		q := map[string]string{"appid": c.AppID, "mch_id": c.MchID, "sub_mch_id": c.SubMchID, "nonce_str": "n", "body": "x",
			"out_trade_no": "RUN-1", "total_fee": "100", "spbill_create_ip": "127.0.0.1", "auth_code": wxCode("716")}
		q["sign"], _ = WeChatSign(q, c.APIKey, "")
		resp, err := cl.Post(base+"/pay/micropay", "text/xml", bytes.NewReader(buildWeChatXML(q)))
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		m, err := ParseWeChatXML(raw)
		require.NoError(t, err)
		return m
	}
	view := func(base string) LedgerView {
		resp, err := cl.Get(base + "/sandbox/ledger")
		require.NoError(t, err)
		defer resp.Body.Close()
		var v LedgerView
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
		return v
	}

	base, stop := startRun(t, "--demo", dir, "--quiet")
	m := pay(base)
	require.Equal(t, "SUCCESS", m["result_code"], "%v", m)
	rc, _ := stop()
	require.Equal(t, 0, rc)

	base, stop = startRun(t, "--demo", dir, "--quiet")
	v := view(base)
	require.Len(t, v.Orders, 1)
	require.Equal(t, m["transaction_id"], v.Orders[0].TransactionID)
	require.Equal(t, 1, v.Summary.Unreversed)
	m2 := pay(base) // the retry after the restart
	require.Equal(t, m["transaction_id"], m2["transaction_id"])
	require.Equal(t, 1, view(base).Summary.Charges)
	rc, _ = stop()
	require.Equal(t, 0, rc)

	// An explicit config without ledger_file stays in memory.
	base, stop = startRun(t, "--config", filepath.Join(dir, demoConfigFile), "--quiet")
	require.Empty(t, view(base).Orders)
	rc, _ = stop()
	require.Equal(t, 0, rc)

	// A damaged ledger stops `pos sandbox --demo` with the file's name.
	p := filepath.Join(dir, demoLedgerFile)
	require.NoError(t, os.WriteFile(p, []byte("{not json"), 0o600))
	var out, errOut bytes.Buffer
	require.Equal(t, 1, run(context.Background(), []string{"--addr", "127.0.0.1:0", "--demo", dir}, &out, &errOut, nil))
	require.Contains(t, errOut.String(), p)
	b, _ := os.ReadFile(p)
	require.Equal(t, "{not json", string(b))
}

func TestLedgerFile_ConfigPath(t *testing.T) {
	src, _ := sharedDemo(t)
	cfg, err := LoadConfig(filepath.Join(src, demoConfigFile))
	require.NoError(t, err)
	require.Empty(t, cfg.LedgerFile, "the demo's sandbox.json names no ledger file")

	dir := copyDemo(t)
	raw, err := os.ReadFile(filepath.Join(dir, demoConfigFile))
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	doc["ledger_file"] = "books/ledger.jsonl"
	raw, _ = json.Marshal(doc)
	require.NoError(t, os.WriteFile(filepath.Join(dir, demoConfigFile), raw, 0o600))
	cfg, err = LoadConfig(filepath.Join(dir, demoConfigFile))
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "books", "ledger.jsonl"), cfg.LedgerFile, "relative to the config file")
	_, _, err = Demo(dir)
	require.NoError(t, err)
	demoCfg, _, _ := Demo(dir)
	require.Equal(t, cfg.LedgerFile, demoCfg.LedgerFile, "Demo keeps a ledger_file the config names")
}

func TestLedgerFile_Damaged(t *testing.T) {
	f := newFixture(t)
	_, m := f.micropay("OK-1", wxCode("720"), "100")
	require.Equal(t, "SUCCESS", m["result_code"])
	f.wxRefund("OK-1", "OK-1-R", "100", "10")
	good, err := os.ReadFile(f.cfg.LedgerFile)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(good), "\n")
	require.GreaterOrEqual(t, len(lines), 4, "%s", good)
	header, entries := lines[0], strings.Join(lines[1:], "")

	cases := map[string]string{
		"not a ledger":        "{not json",
		"empty":               "",
		"another JSON file":   `{"wechat":{}}` + "\n",
		"newer format":        strings.Replace(header, `"version":2`, `"version":3`, 1) + entries,
		"damaged middle line": header + lines[1] + "garbage\n" + strings.Join(lines[2:], ""),
		"unknown field":       header + `{"seq":1,"orderz":[]}` + "\n" + entries,
		"invalid order":       header + `{"seq":1,"orders":[{"channel":"paypal","out_trade_no":"X","state":"PAID"}]}` + "\n",
	}
	// The last complete line is {orders:[OK-1], refunds:[OK-1-R]}; build a
	// refund-only line for the orphan case.
	var e journalEntry
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-2]), &e))
	require.Len(t, e.Refunds, 1)
	e.Orders = nil
	orphan, _ := json.Marshal(e)
	cases["refund of no order"] = header + string(orphan) + "\n"

	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "ledger.jsonl")
			require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
			st1, _ := os.Stat(p)
			cfg, err := LoadConfig(filepath.Join(demoDir, demoConfigFile))
			require.NoError(t, err)
			cfg.LedgerFile = p
			srv, err := Start(context.Background(), "127.0.0.1:0", cfg)
			if srv != nil {
				srv.Close()
			}
			require.Error(t, err)
			var lfe *LedgerFileError
			require.True(t, errors.As(err, &lfe), "%T %v", err, err)
			require.Contains(t, err.Error(), p, "the error names the file")
			t.Log(err)
			after, rerr := os.ReadFile(p)
			require.NoError(t, rerr)
			require.Equal(t, body, string(after), "the file is left as it is")
			st2, _ := os.Stat(p)
			require.Equal(t, st1.ModTime(), st2.ModTime())
			torn, _ := filepath.Glob(p + ".torn-*")
			require.Empty(t, torn)
		})
	}

	t.Run("unreadable", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "ledger.jsonl")
		require.NoError(t, os.Mkdir(p, 0o700))
		cfg, err := LoadConfig(filepath.Join(demoDir, demoConfigFile))
		require.NoError(t, err)
		cfg.LedgerFile = p
		_, err = Start(context.Background(), "127.0.0.1:0", cfg)
		require.Error(t, err)
		require.Contains(t, err.Error(), p)
	})
}

// A last line cut short (power lost during a write, i.e. before its answer)
// is dropped; the file as it was is kept beside it.
func TestLedgerFile_CutOffLastLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ledger.jsonl")
	f1 := newFixture(t, withLedger(p))
	_, m := f1.micropay("T-1", wxCode("730"), "100")
	require.Equal(t, "SUCCESS", m["result_code"])
	require.NoError(t, f1.srv.Close())
	f1.fileShared = true
	good, err := os.ReadFile(p)
	require.NoError(t, err)
	cut := append(bytes.Clone(good), []byte(`{"seq":9,"orders":[{"channel":"wechat","out_trade_no":"T-2","sta`)...)
	require.NoError(t, os.WriteFile(p, cut, 0o600))

	var log syncBuffer
	f2 := newFixture(t, withLedger(p), func(c *Config) { c.Log = &log })
	require.Equal(t, "SUCCESS", f2.orderquery("T-1")["trade_state"])
	require.Equal(t, "ORDERNOTEXIST", f2.orderquery("T-2")["err_code"])
	kept, _ := filepath.Glob(p + ".torn-*")
	require.Len(t, kept, 1)
	b, _ := os.ReadFile(kept[0])
	require.Equal(t, cut, b)
	require.Contains(t, log.String(), "cut-off last line")
	now, _ := os.ReadFile(p)
	require.NotContains(t, string(now), "T-2")
}

func TestLedgerFile_NoSecrets(t *testing.T) {
	f := newFixture(t)
	f.micropay("S-1", wxCode("740"), "100")
	f.wxRefund("S-1", "S-1-R", "100", "50")
	f.tradePay("S-2", aliCode("741"), "1.00")
	f.cpPay("micro_pay", "S-3", wxCode("742"), 100, 1)
	_, _, _ = f.wx("/deposit/micropay", map[string]string{"body": "押金", "out_trade_no": "S-4", "total_fee": "100", "spbill_create_ip": "127.0.0.1",
		"auth_code": wxCode("743"), "deposit": "Y"}, "HMAC-SHA256")
	raw, err := os.ReadFile(f.cfg.LedgerFile)
	require.NoError(t, err)
	require.Contains(t, string(raw), "S-4")
	st, _ := os.Stat(f.cfg.LedgerFile)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	for _, secret := range []string{f.creds.WeChat.APIKey, f.creds.CloudPay.AuthenKey, "PRIVATE KEY", "BEGIN", "sign"} {
		require.NotContains(t, string(raw), secret)
	}
}

func TestLedgerFile_InUse(t *testing.T) {
	old := lockWait
	lockWait = 100 * time.Millisecond
	t.Cleanup(func() { lockWait = old })
	p := filepath.Join(t.TempDir(), "ledger.jsonl")
	f1 := newFixture(t, withLedger(p))
	before, _ := os.ReadFile(p)
	cfg, err := LoadConfig(filepath.Join(demoDir, demoConfigFile))
	require.NoError(t, err)
	cfg.LedgerFile = p
	_, err = Start(context.Background(), "127.0.0.1:0", cfg)
	require.ErrorContains(t, err, "in use by another running sandbox")
	after, _ := os.ReadFile(p)
	require.Equal(t, before, after)
	require.NoError(t, f1.srv.Close())
	srv, err := Start(context.Background(), "127.0.0.1:0", cfg)
	require.NoError(t, err, "free once the first one closed")
	srv.Close()
}

// A change that cannot be written is not answered: HTTP 500, and the
// ledger answers nothing more; a restart knows only what was answered.
func TestLedgerFile_WriteFailure(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ledger.jsonl")
	var log syncBuffer
	f1 := newFixture(t, withLedger(p), func(c *Config) { c.Log = &log })
	f1.fileShared = true
	_, m := f1.micropay("F-1", wxCode("750"), "100")
	require.Equal(t, "SUCCESS", m["result_code"])
	l := f1.srv.ledger
	l.mu.Lock()
	closeErr := l.j.f.Close() // the disk goes away
	l.mu.Unlock()
	require.NoError(t, closeErr)
	st, _, raw := f1.wx("/pay/micropay", map[string]string{"body": "x", "out_trade_no": "F-2", "total_fee": "100",
		"spbill_create_ip": "127.0.0.1", "auth_code": wxCode("751")}, "")
	require.Equal(t, http.StatusInternalServerError, st, "%s", raw)
	require.Contains(t, string(raw), "ledger")
	require.Contains(t, log.String(), p)
	st, _, _ = f1.wx("/pay/orderquery", map[string]string{"out_trade_no": "F-1"}, "")
	require.Equal(t, http.StatusInternalServerError, st, "a ledger that could not write answers nothing more")
	f1.srv.Close()

	f2 := newFixture(t, withLedger(p))
	require.Equal(t, "SUCCESS", f2.orderquery("F-1")["trade_state"])
	require.Equal(t, "ORDERNOTEXIST", f2.orderquery("F-2")["err_code"], "never answered, never charged")
}

// BenchmarkLedgerFile measures one WeChat micropay over HTTPS (keep-alive,
// signing and TLS included) against a sandbox keeping its ledger in memory
// and in a file: the difference is the price of the fsynced journal line.
func BenchmarkLedgerFile(b *testing.B) {
	for _, mode := range []string{"memory", "file"} {
		b.Run(mode, func(b *testing.B) {
			dir, creds := sharedDemo(b)
			cfg, err := LoadConfig(filepath.Join(dir, demoConfigFile))
			require.NoError(b, err)
			cfg.Clock = app.SystemClock{}
			if mode == "file" {
				cfg.LedgerFile = filepath.Join(b.TempDir(), "ledger.jsonl")
			}
			srv, err := Start(context.Background(), "127.0.0.1:0", cfg)
			require.NoError(b, err)
			defer srv.Close()
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM([]byte(creds.CAPEM))
			cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
			c := creds.WeChat
			i := 0
			for b.Loop() {
				i++
				q := map[string]string{"appid": c.AppID, "mch_id": c.MchID, "sub_mch_id": c.SubMchID, "nonce_str": "n", "body": "x",
					"out_trade_no": fmt.Sprintf("B-%d", i), "total_fee": "1", "spbill_create_ip": "127.0.0.1", "auth_code": wxCode("760")}
				q["sign"], _ = WeChatSign(q, c.APIKey, "")
				resp, err := cl.Post(srv.BaseURL+"/pay/micropay", "text/xml", bytes.NewReader(buildWeChatXML(q)))
				if err != nil {
					b.Fatal(err)
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if !bytes.Contains(raw, []byte("<result_code><![CDATA[SUCCESS]]>")) {
					b.Fatalf("%s", raw)
				}
			}
		})
	}
}
