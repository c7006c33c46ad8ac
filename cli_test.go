package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/localdb"
	"cashier/sync/channel"
	"cashier/sync/channel/setup"
	"cashier/ui/i18n"
)

// demoFolder is a new data folder whose embedded sandbox uses the shared
// demo keys (generating RSA keys per test would dominate the run).
func demoFolder(t *testing.T) string {
	dir := t.TempDir()
	copySandbox(t, SandboxDir(dir))
	return dir
}

// fast puts the money commands on the fast clock with short client
// timeouts.
func fast(o *Options) {
	o.Clock = fastClock
	o.HTTP = channel.HTTPSettings{Timeout: clientTimeout}
}

var fastClock = paytestFastClock()

func lineAfter(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, prefix); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// orderNo reads "order: N (short …)" from pos pay's output.
func orderNo(out string) string {
	v := lineAfter(out, "order: ")
	no, _, _ := strings.Cut(v, " ")
	return no
}

func TestPayCLI_DemoFolder(t *testing.T) {
	dir := demoFolder(t)
	rc, out, errs := runCmd(t, fast, "pay", "--data-dir", dir, "--code", "134567890123456789", "--amount", "12.50")
	require.Equal(t, 0, rc, out+errs)
	assert.Contains(t, out, "[SANDBOX]")
	assert.Contains(t, out, "final state: paid")
	assert.NotEmpty(t, orderNo(out))
	// The same command in Chinese (the folder's language setting).
	rc, out, _ = runCmdLang(t, fast, "", "pay", "--data-dir", dir, "--code", "134567890123456780", "--amount", "1")
	require.Equal(t, 0, rc)
	assert.Contains(t, out, "最终状态：paid")
	assert.NotContains(t, out, "final state")
}

func TestPayCLI_BadInputSendsNothing(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--code", "6901234567892", "--amount", "1"}, "Not a payment code"},
		{[]string{"--code", "hello", "--amount", "1"}, "digits only"},
		{[]string{"--code", "991234567890123456", "--amount", "1"}, "Member cards are not set up"},
		{[]string{"--code", "134567890123456789", "--amount", "0"}, "more than zero"},
		{[]string{"--code", "134567890123456789", "--amount", "1000000.01"}, "over the limit"},
		{[]string{"--code", "134567890123456789", "--amount", "1.234"}, "two decimals"},
		{[]string{"--code", "134567890123456789"}, "--amount is required"},
		{[]string{"--bogus"}, "flag provided but not defined"},
	}
	for _, c := range cases {
		rc, out, errs := runCmd(t, fast, append([]string{"pay", "--data-dir", dir}, c.args...)...)
		assert.Equal(t, 2, rc, "%v: %s %s", c.args, out, errs)
		assert.Contains(t, errs, c.want, c.args)
		if c.args[0] != "--bogus" && !strings.Contains(c.want, "required") {
			assert.Contains(t, errs, "nothing was sent", c.args)
		}
		assert.Empty(t, out)
	}
	_, err := os.Stat(filepath.Join(dir, "pos.db"))
	assert.True(t, os.IsNotExist(err), "nothing written for a bad command line")
}

func TestPayCLI_FailureAndDuplicate(t *testing.T) {
	dir := demoFolder(t)
	// The real clock: the 10 s duplicate window must not run out between
	// two commands on a busy machine (on the fast clock it is 100 ms).
	pay := func(code string) (int, string, string) {
		return runCmd(t, nil, "pay", "--data-dir", dir, "--code", code, "--amount", "3.00")
	}
	rc, out, _ := pay("2800000000000201")
	assert.Equal(t, 1, rc, out)
	assert.Contains(t, out, "final state: failed")
	assert.Contains(t, out, "the customer's balance is not enough", "an everyday refusal in the app's language")
	assert.Contains(t, out, "is voided", "the one-shot command gives the unpaid order up")

	rc, out, _ = pay("2811111111111000")
	require.Equal(t, 0, rc, out)
	// The same code again within seconds, in another process: refused,
	// no second charge.
	rc, out, errs := pay("2811111111111000")
	assert.Equal(t, 1, rc, out)
	assert.Contains(t, errs, "not charged again")
	assert.NotContains(t, out, "final state")
}

func TestRefundCLI(t *testing.T) {
	dir := demoFolder(t)
	rc, out, errs := runCmd(t, fast, "pay", "--data-dir", dir, "--code", "134567890123456001", "--amount", "20.00")
	require.Equal(t, 0, rc, out+errs)
	no := orderNo(out)
	require.NotEmpty(t, no)
	refund := func(args ...string) (int, string, string) {
		return runCmd(t, fast, append([]string{"refund", "--data-dir", dir}, args...)...)
	}
	rc, _, errs = refund("--order", no, "--amount", "5.00", "--staff", "1001")
	assert.Equal(t, 2, rc)
	assert.Contains(t, errs, "POS_PIN")
	rc, _, errs = refund("--order", no, "--amount", "5.00", "--staff", "1001", "--pin", "0000")
	assert.Equal(t, 1, rc)
	assert.Contains(t, errs, "Wrong PIN")
	// 1002 is a clerk with the refund permission, but not clocked on.
	rc, _, errs = refund("--order", no, "--amount", "5.00", "--staff", "1002", "--pin", "1234")
	assert.Equal(t, 1, rc)
	assert.Contains(t, errs, "only while clocked on")
	t.Setenv("POS_PIN", "8888")
	rc, out, errs = refund("--order", no, "--amount", "5.00", "--staff", "1001", "--reason", "退一件")
	require.Equal(t, 0, rc, out+errs)
	assert.Contains(t, out, "final state: refunded")
	rc, _, errs = refund("--order", no, "--amount", "15.01", "--staff", "1001")
	assert.Equal(t, 1, rc)
	assert.Contains(t, errs, "15.00 left")
	rc, out, _ = refund("--order", no, "--amount", "15.00", "--staff", "1001")
	assert.Equal(t, 0, rc, out)
	rc, _, errs = refund("--order", "nope", "--amount", "1", "--staff", "1001")
	assert.Equal(t, 1, rc)
	assert.Contains(t, errs, "not found")
}

// Global flags work before or after the command.
func TestCLI_GlobalFlagsAnywhere(t *testing.T) {
	dir := demoFolder(t)
	for _, args := range [][]string{
		{"--data-dir", dir, "payments", "recover"},
		{"payments", "recover", "--data-dir", dir},
		{"payments", "--data-dir=" + dir, "recover"},
	} {
		rc, out, errs := runCmd(t, fast, args...)
		require.Equal(t, 0, rc, "%v: %s%s", args, out, errs)
		assert.Contains(t, out, "0 items, 0 still open")
	}
	rc, _, errs := runCmd(t, fast, "payments", "recover", "--data-dir")
	assert.Equal(t, 2, rc)
	assert.Contains(t, errs, "needs a value")
}

// A second process on a locked folder exits 3 naming the holder, having
// changed nothing; read-only commands still work; a stale lock file whose
// process is gone is taken over.
func TestCLI_LockedFolder(t *testing.T) {
	bin := buildBinary(t)
	dir := demoFolder(t)
	rc, out, errs := runCmd(t, fast, "pay", "--data-dir", dir, "--code", "134567890123456002", "--amount", "2.00")
	require.Equal(t, 0, rc, out+errs)

	lock, err := localdb.LockDir(dir, "pos gui")
	require.NoError(t, err)
	before := folderSums(t, dir)
	for _, args := range [][]string{
		{"pay", "--code", "134567890123456003", "--amount", "1"},
		{"payments", "recover"},
		{"refund", "--order", "x", "--amount", "1", "--staff", "1001", "--pin", "8888"},
		{"config", "set", "printer.width", "58"},
		{"db", "migrate"},
		{"init", "--store", "S", "--terminal", "T", "--admin", "9001", "--admin-name", "A", "--pin", "2468"},
	} {
		cmd := exec.Command(bin, append([]string{"--lang", "en", "--data-dir", dir}, args...)...)
		b, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "%v: %s", args, b)
		assert.Equal(t, 3, ee.ExitCode(), "%v: %s", args, b)
		assert.Contains(t, string(b), "in use by another process (PID "+strconv.Itoa(os.Getpid())+": pos gui)", args)
		assert.Equal(t, before, folderSums(t, dir), "%v changed the folder", args)
	}
	// Read-only commands work beside the holder.
	b, err := exec.Command(bin, "--lang", "en", "--data-dir", dir, "db", "check").CombinedOutput()
	require.NoError(t, err, string(b))
	assert.Contains(t, string(b), "integrity: ok")
	b, err = exec.Command(bin, "--data-dir", dir, "config", "get", "printer.width").CombinedOutput()
	require.NoError(t, err, string(b))
	require.NoError(t, lock.Release())

	// A lock file left by a process that is gone names a holder, but the
	// OS lock is free: the next command takes it over.
	require.NoError(t, os.WriteFile(filepath.Join(dir, localdb.LockFileName), []byte("pid=999999\ncommand=pos gui\n"), 0o600))
	rc, out, errs = runCmd(t, fast, "payments", "recover", "--data-dir", dir)
	require.Equal(t, 0, rc, out+errs)
	h, err := localdb.ReadLockHolder(dir)
	require.NoError(t, err)
	assert.Equal(t, os.Getpid(), h.PID, "the stale holder was replaced")
}

// folderSums hashes every file of a data folder except the lock file.
func folderSums(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == localdb.LockFileName {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		h := sha256.Sum256(b)
		out[p] = hex.EncodeToString(h[:])
		return nil
	}))
	return out
}

// A live folder pointed by channels.json at a separately started `pos
// sandbox --demo DIR`: pos init sets it up, and pay, refund and payments
// recover reach that gateway (its ledger shows their orders); no embedded
// sandbox starts and no demo data appears.
func TestCLI_LiveFolderReachesTheSeparateGateway(t *testing.T) {
	base, gwDir, written := separateSandbox(t)
	data := t.TempDir()
	b, err := os.ReadFile(written)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(data, setup.FileName), b, 0o600))

	// Not set up yet: money commands refuse and say what to do.
	rc, _, errs := runCmd(t, fast, "pay", "--data-dir", data, "--code", "134567890123456004", "--amount", "1", "--staff", "9001", "--pin", "2468")
	assert.Equal(t, 1, rc)
	assert.Contains(t, errs, "pos init")
	t.Setenv("POS_PIN", "246810")
	rc, out, errs := runCmd(t, nil, "init", "--data-dir", data, "--store", "正式门店", "--terminal", "前台", "--admin", "9001", "--admin-name", "赵管理")
	require.Equal(t, 0, rc, out+errs)

	rc, out, errs = runCmd(t, fast, "pay", "--data-dir", data, "--staff", "9001", "--code", "134567890123456005", "--amount", "8.00")
	require.Equal(t, 0, rc, out+errs)
	no := orderNo(out)
	outTrade := lineAfter(out, "merchant order number: ")
	rc, out, errs = runCmd(t, fast, "refund", "--data-dir", data, "--staff", "9001", "--order", no, "--amount", "3.00")
	require.Equal(t, 0, rc, out+errs)
	rc, out, errs = runCmd(t, fast, "payments", "recover", "--data-dir", data)
	require.Equal(t, 0, rc, out+errs)

	// The separate gateway's ledger has the order and the refund.
	ledger := getLedger(t, base, gwDir)
	assert.Contains(t, ledger, outTrade)
	assert.Contains(t, ledger, `"refund`)
	assert.NoDirExists(t, SandboxDir(data), "no embedded sandbox started")
	db, err := localdb.OpenExisting(dbPath(data))
	require.NoError(t, err)
	defer db.Close()
	var products, staff int
	require.NoError(t, db.Read().QueryRow(`SELECT count(*) FROM product`).Scan(&products))
	require.NoError(t, db.Read().QueryRow(`SELECT count(*) FROM staff`).Scan(&staff))
	assert.Zero(t, products, "no demo products")
	assert.Equal(t, 1, staff, "only the administrator pos init made")
	assert.False(t, db.IsDemo(context.Background()))

	// --gateway is a test override, refused beside channels.json.
	rc, _, errs = runCmd(t, fast, "payments", "recover", "--data-dir", data, "--gateway", base)
	assert.Equal(t, 1, rc)
	assert.Contains(t, errs, "--gateway")
}

// separateSandbox starts `pos sandbox --demo DIR` as its own process and
// returns its address, its folder and the channels.json it wrote there.
func separateSandbox(t *testing.T) (base, gwDir, channelsJSON string) {
	bin := buildBinary(t)
	gwDir = filepath.Join(t.TempDir(), "gw")
	copySandbox(t, gwDir)
	cmd := exec.Command(bin, "sandbox", "--addr", "127.0.0.1:0", "--demo", gwDir, "--quiet")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := regexp.MustCompile(`listening on (https://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
			break
		}
	}
	require.NotEmpty(t, base, "the sandbox did not start")
	go io.Copy(io.Discard, stdout)
	channelsJSON = filepath.Join(gwDir, setup.FileName)
	require.FileExists(t, channelsJSON, "pos sandbox --demo writes channels.json")
	return base, gwDir, channelsJSON
}

// liveFolder is a data folder set up by pos init whose channels.json (from
// the separate gateway) routes wallets as given.
func liveFolder(t *testing.T, channelsJSON string, routes map[app.Wallet]app.ChannelName) string {
	data := t.TempDir()
	f, err := setup.LoadFile(channelsJSON)
	require.NoError(t, err)
	f.Routes = routes
	require.NoError(t, f.Write(filepath.Join(data, setup.FileName)))
	t.Setenv("POS_PIN", "246810")
	rc, out, errs := runCmd(t, nil, "init", "--data-dir", data, "--store", "正式门店", "--terminal", "前台", "--admin", "9001", "--admin-name", "赵管理")
	require.Equal(t, 0, rc, out+errs)
	return data
}

// Issue 8 through the CLI against a separately started gateway: pos refund
// with each refund fault ends final — exit 0 only when refunded — and the
// gateway's ledger agrees with the database; a Cloud Pay 407 ends manual
// and pos pay exits 1 with the order unpaid.
func TestCLI_FaultsAgainstTheSeparateGateway(t *testing.T) {
	base, gwDir, written := separateSandbox(t)
	for _, ch := range []app.ChannelName{app.ChannelWeChat, app.ChannelAlipay, app.ChannelCloudPay} {
		t.Run(string(ch), func(t *testing.T) {
			data := liveFolder(t, written, routeAllTo(ch))
			code := "134567890123456" + strconv.Itoa(100+len(ch))
			if ch == app.ChannelAlipay {
				code = "2834567890123" + strconv.Itoa(100+len(ch))
			}
			rc, out, errs := runCmd(t, fast, "pay", "--data-dir", data, "--staff", "9001", "--code", code, "--amount", "100.00")
			require.Equal(t, 0, rc, out+errs)
			no := orderNo(out)
			for _, c := range []struct {
				amount, state string
				exit          int
				moved         bool
			}{{"1.91", "refunded", 0, true}, {"2.92", "failed", 1, false}, {"3.93", "refunded", 0, true}, {"4.94", "manual", 1, true}} {
				rc, out, errs := runCmd(t, fast, "refund", "--data-dir", data, "--staff", "9001", "--order", no, "--amount", c.amount)
				assert.Equal(t, c.exit, rc, "%s: %s%s", c.amount, out, errs)
				assert.Contains(t, out, "final state: "+c.state, c.amount)
				refundNo := lineAfter(out, "refund number: ")
				require.NotEmpty(t, refundNo)
				assert.Equal(t, c.moved, strings.Contains(getLedger(t, base, gwDir), refundNo),
					"%s: the gateway's ledger agrees (%s)", c.amount, refundNo)
			}
			db, err := localdb.OpenExisting(dbPath(data))
			require.NoError(t, err)
			defer db.Close()
			o, err := db.GetOrder(context.Background(), no)
			require.NoError(t, err)
			assert.Equal(t, app.Money(191+393), o.Refunded, "only the refunds made in full count")
		})
	}
	t.Run("cloudpay 407", func(t *testing.T) {
		data := liveFolder(t, written, routeAllTo(app.ChannelCloudPay))
		rc, out, errs := runCmd(t, fast, "pay", "--data-dir", data, "--staff", "9001", "--code", "134567890123450407", "--amount", "6.00")
		assert.Equal(t, 1, rc, out+errs)
		assert.Contains(t, out, "final state: manual")
		assert.Contains(t, out, "belongs to another order")
		assert.NotContains(t, out, "is voided", "a payment a person must check is not given up")
		rc, out, _ = runCmd(t, fast, "payments", "recover", "--data-dir", data)
		assert.Equal(t, 1, rc, "still open for a person")
		assert.Contains(t, out, "manual")
	})
}

func getLedger(t *testing.T, base, gwDir string) string {
	ca, err := os.ReadFile(filepath.Join(gwDir, "sandbox-ca.pem"))
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(ca))
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	resp, err := c.Get(base + "/sandbox/ledger")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// A channels.json the app cannot use: the GUI's start-up and the CLI refuse
// with the same words, naming the field and never its value; nothing is
// sent or written.
func TestChannelsFile_BadInput(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	copySandbox(t, filepath.Join(dir, "gw"))
	gw, err := ExternalSandbox("https://127.0.0.1:1", filepath.Join(dir, "gw"))
	require.NoError(t, err)
	good := gw.File()
	const secretKey = "0123456789abcdef0123456789ABCDEF"
	cases := map[string]struct {
		edit  func(map[string]any)
		field string
	}{
		"missing field": {func(m map[string]any) { delete(m["wechat"].(map[string]any), "mch_id") }, "wechat.mch_id"},
		"wrong key":     {func(m map[string]any) { m["wechat"].(map[string]any)["api_key"] = secretKey[:20] }, "wechat"},
		"unknown field": {func(m map[string]any) { m["wechat"].(map[string]any)["apikey"] = secretKey }, "apikey"},
		"routed to no channel": {func(m map[string]any) {
			delete(m, "cloudpay")
			m["routes"] = map[string]any{"alipay": "cloudpay"}
		}, "routes.alipay"},
		"broken JSON": {nil, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			// No sandbox folder: starting the embedded sandbox instead of
			// the broken file would make one.
			data := t.TempDir()
			var b []byte
			if c.edit == nil {
				b = []byte("{not json")
			} else {
				raw, _ := json.Marshal(good)
				var m map[string]any
				require.NoError(t, json.Unmarshal(raw, &m))
				c.edit(m)
				b, _ = json.Marshal(m)
			}
			require.NoError(t, os.WriteFile(filepath.Join(data, setup.FileName), b, 0o600))
			// The GUI's path: Open, then Start (after the first-start form).
			s, err := Open(ctx, Options{DataDir: data, Command: "gui", Lock: true, Seed: true, Payments: true})
			require.NoError(t, err)
			_, err = s.DB.SeedDemo(ctx, testHasher(), time.Now())
			require.NoError(t, err)
			startErr := s.Start(ctx)
			s.Close()
			require.Error(t, startErr)
			_ = i18n.Use(i18n.English)
			guiWords := i18n.Err(startErr)
			_ = i18n.Use(i18n.Chinese)
			assert.Contains(t, guiWords, setup.FileName)
			assert.Contains(t, guiWords, c.field)
			assert.NotContains(t, guiWords, secretKey, "the key is never shown")

			before := folderSums(t, data)
			rc, out, errs := runCmd(t, fast, "payments", "recover", "--data-dir", data)
			assert.Equal(t, 1, rc, out)
			assert.Contains(t, errs, guiWords, "the CLI says the same as the GUI")
			assert.NotContains(t, errs, secretKey)
			assert.NoDirExists(t, SandboxDir(data), "a broken channels.json never falls back to the embedded sandbox")
			assert.Equal(t, before, folderSums(t, data), "nothing changed")
		})
	}
}

// The CLI speaks the language setting: a Chinese run has no English
// sentence, an English run no Chinese one (only the store's own data and
// the channel's words in [brackets] may be Chinese).
func TestCLI_OneLanguage(t *testing.T) {
	dir := demoFolder(t)
	han := regexp.MustCompile(`\p{Han}`)
	english := regexp.MustCompile(`(?i)\b(the|is|was|order|payment|final|state|amount|refund)\b`)
	rc, out, errs := runCmdLang(t, fast, "", "pay", "--data-dir", dir, "--code", "134567890123456006", "--amount", "1")
	require.Equal(t, 0, rc, out+errs)
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		l = regexp.MustCompile(`https://\S+`).ReplaceAllString(l, "")
		assert.False(t, english.MatchString(l), "English in a Chinese run: %q", l)
	}
	rc, out, _ = runCmd(t, fast, "pay", "--data-dir", dir, "--code", "134567890123456007", "--amount", "1")
	require.Equal(t, 0, rc)
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		l = regexp.MustCompile(`\[[^]]*\]`).ReplaceAllString(l, "")
		l = strings.ReplaceAll(l, "王店长", "")
		assert.False(t, han.MatchString(l), "Chinese in an English run: %q", l)
	}
}

// Nothing touches the Fyne app while the packages load: a command has
// none, and Fyne would print "Attempt to access current Fyne app" on
// every run (a button's theme icon read into a package variable did).
// The test binary loads every package the commands do.
func TestNoFyneAppAtLoad(t *testing.T) {
	out, err := exec.Command(os.Args[0], "-test.run=^$").CombinedOutput()
	require.NoError(t, err, string(out))
	require.NotContains(t, string(out), "Fyne error")
}
