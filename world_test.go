package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/payment"
	"cashier/app/payment/paytest"
	"cashier/app/sale"
	"cashier/localdb"
	"cashier/sync/channel"
	"cashier/sync/channel/setup"
	"cashier/sync/sandbox"
	"cashier/ui/i18n"
)

// sharedSandboxDir is one demo sandbox (keys, certificates) for the whole
// package: generating RSA keys per test would dominate the run time.
var sharedSandboxDir string

// testDir holds what the whole test process shares: the demo sandbox and
// the pos binary (smoke_test.go); TestMain removes it.
var testDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pos-test-")
	if err != nil {
		panic(err)
	}
	testDir = dir
	sharedSandboxDir = filepath.Join(dir, "sandbox")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// speedup and clientTimeout: the production timings run on a clock 100×
// faster than the wall (5 s queries = 50 ms, the 45 s deadline = 450 ms);
// HTTP, TLS and SQLite run at real speed. The client's wall-clock timeout
// is 20 s on the fast clock, but never less than 2 s of wall time: a real
// answer from the local sandbox on a busy machine must not look lost. The
// sandbox's slow answer (scenario 401) is held twice that long (see
// copySandbox), so it still outlasts the client. POS_TEST_SPEEDUP
// overrides the factor on a slow machine.
var speedup, clientTimeout = func() (int, time.Duration) {
	f := 100
	if raceEnabled {
		f = 20
	}
	if v, err := strconv.Atoi(os.Getenv("POS_TEST_SPEEDUP")); err == nil && v >= 1 {
		f = v
	}
	return f, max(20*time.Second/time.Duration(f), 2*time.Second)
}()

// slowAnswer is how long the sandbox holds a 401 answer, on the fast
// clock: twice the client's timeout.
func slowAnswer() time.Duration { return 2 * clientTimeout * time.Duration(speedup) }

// copySandbox copies the shared demo sandbox folder (the same merchants,
// keys and CA) without its ledger to dst: the sandbox keeps its ledger in
// its folder, and a test's money checks must see only its own payments.
func copySandbox(t testing.TB, dst string) {
	t.Helper()
	_, _, err := sandbox.Demo(sharedSandboxDir) // created on first use
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(dst, 0o700))
	ents, err := os.ReadDir(sharedSandboxDir)
	require.NoError(t, err)
	for _, e := range ents {
		if e.IsDir() || strings.HasPrefix(e.Name(), "ledger.jsonl") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(sharedSandboxDir, e.Name()))
		require.NoError(t, err)
		if e.Name() == "sandbox.json" {
			b = withSlowAnswer(t, b)
		}
		require.NoError(t, os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600))
	}
}

// withSlowAnswer sets the sandbox configuration's slow answer (scenario
// 401) to slowAnswer(), so it outlasts the client's timeout.
func withSlowAnswer(t testing.TB, cfg []byte) []byte {
	var m map[string]any
	require.NoError(t, json.Unmarshal(cfg, &m))
	sc, _ := m["scenarios"].(map[string]any)
	if sc == nil {
		sc = map[string]any{}
	}
	sc["slow_answer_seconds"] = int(slowAnswer() / time.Second)
	m["scenarios"] = sc
	b, err := json.MarshalIndent(m, "", "  ")
	require.NoError(t, err)
	return b
}

// routeAllTo sends every wallet the channel takes to that channel.
func routeAllTo(ch app.ChannelName) map[app.Wallet]app.ChannelName {
	switch ch {
	case app.ChannelCloudPay:
		return map[app.Wallet]app.ChannelName{app.WalletWeChat: ch, app.WalletAlipay: ch}
	case app.ChannelAlipay:
		return map[app.Wallet]app.ChannelName{app.WalletAlipay: ch, app.WalletWeChat: ""}
	}
	return map[app.Wallet]app.ChannelName{app.WalletWeChat: ch, app.WalletAlipay: ""}
}

// world is a sandbox gateway started by the test (standing in for the real
// channels) and a data folder whose channels.json points at it, opened
// through the one composition root exactly as the GUI and the commands
// open it.
type world struct {
	t        *testing.T
	clock    *paytest.FastClock
	gw       *Gateway
	dir      string
	s        *Services
	db       *localdb.DB
	store    *localdb.PaymentStore
	pay      *payment.Payments
	checkout *sale.Checkout
	staff    app.Staff
	devices  bool // open with the simulated printer, drawer and speaker
}

func newWorld(t *testing.T, route map[app.Wallet]app.ChannelName, wrap func(app.PaymentChannel) app.PaymentChannel) *world {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	clock := paytest.NewFastClock(time.Now(), speedup)
	sb := filepath.Join(t.TempDir(), "gateway")
	copySandbox(t, sb)
	gw, err := StartSandbox(ctx, sb, clock)
	require.NoError(t, err)
	t.Cleanup(func() { gw.Server.Close() })
	w := &world{t: t, clock: clock, gw: gw, dir: t.TempDir()}
	f := gw.File()
	f.Routes = route
	require.NoError(t, f.Write(filepath.Join(w.dir, setup.FileName)))
	w.open(wrap)
	return w
}

// open opens the data folder (taking its lock), seeding the demo staff on
// first use, and starts the payments.
func (w *world) open(wrap func(app.PaymentChannel) app.PaymentChannel) {
	t := w.t
	ctx := context.Background()
	s, err := Open(ctx, Options{DataDir: w.dir, Command: "test", Lock: true, Payments: true, Devices: w.devices, Clock: w.clock,
		HTTP: channel.HTTPSettings{Timeout: clientTimeout}, Wrap: wrap})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	configured, err := s.Configured(ctx)
	require.NoError(t, err)
	if !configured {
		_, err = s.DB.SeedDemo(ctx, auth.PINHasher{Cost: bcrypt.MinCost}, w.clock.Now())
		require.NoError(t, err)
	}
	require.NoError(t, s.Start(ctx))
	require.False(t, s.Checkout == nil)
	w.s, w.db, w.pay, w.checkout = s, s.DB, s.Payments, s.Checkout
	w.store = localdb.NewPaymentStore(s.DB)
	w.staff, _, err = s.DB.StaffByCode(ctx, "1001")
	require.NoError(t, err)
}

// close lets the data folder go (another process may take it).
func (w *world) close() { w.s.Close() }

func randDigits(n int) string {
	b := make([]byte, n)
	for i := range b {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		b[i] = byte('0' + d.Int64())
	}
	return string(b)
}

// codeFor makes a fresh payment code of a wallet ending in the scenario's
// three digits.
func codeFor(w app.Wallet, suffix string) string {
	switch w {
	case app.WalletWeChat:
		return "13" + randDigits(13) + suffix
	case app.WalletAlipay:
		return "28" + randDigits(11) + suffix
	}
	panic(w)
}

// payCode is one sale of amount paid by one wallet tender through the
// checkout, as the Counter does it.
func (w *world) payCode(code string, amount app.Money) (sale.Outcome, error) {
	return w.payKind(code, amount, false)
}

func (w *world) payKind(code string, amount app.Money, deposit bool) (sale.Outcome, error) {
	ctx := context.Background()
	o, err := w.checkout.Open(ctx, sale.OrderInput{Staff: w.staff, Deposit: deposit, Total: amount})
	if err != nil {
		return sale.Outcome{}, err
	}
	return w.checkout.PayByCode(ctx, o.OrderNo, code, 0, w.staff, nil)
}

func (w *world) refund(orderNo string, amount app.Money) (payment.RefundResult, error) {
	return w.pay.Refund(context.Background(), payment.RefundInput{OrderNo: orderNo, Amount: amount, StaffID: w.staff.ID, Reason: "退货"})
}

func (w *world) sandboxOrder(ch app.ChannelName, no string) sandbox.Order {
	o, ok := w.gw.Server.Ledger().Order(ch, no)
	require.True(w.t, ok, "sandbox has no order %s", no)
	return o
}

// checkLedger is the money invariant: every charge the sandbox still holds
// belongs to exactly one paid tender here, every paid tender here is
// exactly one held charge, and no code was charged twice.
func checkLedger(t *testing.T, l *sandbox.Ledger, store *localdb.PaymentStore, db *localdb.DB) {
	t.Helper()
	ctx := context.Background()
	perCode := map[string]int{}
	held := map[string]bool{}
	for _, c := range l.Charges() {
		perCode[c.AuthCode]++
		if c.Held() > 0 {
			held[c.OutTradeNo] = true
			in, err := store.GetIntent(ctx, c.OutTradeNo)
			if assert.NoError(t, err, "money held without an intent: %s", c.OutTradeNo) {
				assert.Equal(t, payment.IntentPaid, in.State, "money held for %s but the intent is %s", c.OutTradeNo, in.State)
				o, err := db.GetOrder(ctx, in.OrderNo)
				require.NoError(t, err)
				assert.Contains(t, []app.OrderStatus{app.OrderPaid, app.OrderPartRefunded}, o.Status)
				assert.Equal(t, c.Amount, in.Amount, "the charge is the tender's amount")
				assert.LessOrEqual(t, c.Amount, o.Paid)
			}
		}
	}
	for code, n := range perCode {
		assert.LessOrEqual(t, n, 1, "code %s charged %d times", app.MaskCode(code), n)
	}
	rows, err := db.Read().QueryContext(ctx, `SELECT out_trade_no FROM payment_intent WHERE state='paid'`)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var no string
		require.NoError(t, rows.Scan(&no))
		assert.True(t, held[no], "paid tender %s has no money held at the channel", no)
	}
	open, err := store.OpenIntents(ctx)
	require.NoError(t, err)
	assert.Empty(t, open, "every intent is final")
}

// runCmd runs a command as `pos` would, in English, with test options
// (fast clock, short timeouts) under the money commands.
func runCmd(t *testing.T, opts func(*Options), args ...string) (int, string, string) {
	t.Helper()
	return runCmdLang(t, opts, "en", args...)
}

// runCmdLang is runCmd in lang ("" = the folder's language setting).
func runCmdLang(t *testing.T, opts func(*Options), lang string, args ...string) (int, string, string) {
	t.Helper()
	cmdMu.Lock()
	defer cmdMu.Unlock()
	testOptions = opts
	defer func() { testOptions = nil; _ = i18n.Use(i18n.Chinese) }()
	if lang != "" {
		args = append([]string{"--lang", lang}, args...)
	}
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func paytestFastClock() *paytest.FastClock { return paytest.NewFastClock(time.Now(), speedup) }

func testHasher() auth.PINHasher { return auth.PINHasher{Cost: bcrypt.MinCost} }

// cmdMu: testOptions is a package variable; commands run one at a time.
var cmdMu sync.Mutex

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
