package paycli_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/app/paytest"
	"cashier/localdb"
	"cashier/sync/channel"
	"cashier/sync/paycli"
	"cashier/sync/sandbox"
)

// The 9 scenarios of the issue against the real sandbox gateway and the
// real channel clients, with the production timings on a clock that runs
// 100× faster than the wall (5 s queries = 50 ms, the 45 s deadline =
// 450 ms, the sandbox's 10 s USERPAYING = 100 ms, its 40 s slow answer =
// 400 ms). HTTP, TLS and SQLite run at real speed; the clients time out
// after 150 ms of wall time (15 s on the fast clock).

// speedup and clientTimeout keep the client's wall-clock timeout (20 s
// on the fast clock) well above a real answer's latency and well below the
// sandbox's slow answer (40 s on the fast clock). POSCASHIER_TEST_SPEEDUP
// overrides the factor on a slow machine.
var speedup, clientTimeout = func() (int, time.Duration) {
	f := 100
	if raceEnabled {
		f = 20
	}
	if v, err := strconv.Atoi(os.Getenv("POSCASHIER_TEST_SPEEDUP")); err == nil && v >= 1 {
		f = v
	}
	return f, 20 * time.Second / time.Duration(f)
}()

// world is one sandbox, one data folder and the payment service.
type world struct {
	t      *testing.T
	clock  *paytest.FastClock
	gw     *paycli.Gateway
	db     *localdb.DB
	store  *localdb.PaymentStore
	pay    *app.Payments
	router *channel.Channels
	staff  app.Staff
}

func newWorld(t testing.TB, route map[app.Wallet]app.ChannelName, wrap func(app.PaymentChannel) app.PaymentChannel) *world {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	clock := paytest.NewFastClock(time.Now(), speedup)
	gw, err := paycli.StartSandbox(ctx, worldSandboxDir(t), clock)
	require.NoError(t, err)
	t.Cleanup(func() { gw.Server.Close() })
	return newWorldOn(t, gw, clock, filepath.Join(t.TempDir(), "pos.db"), route, wrap)
}

// worldSandboxDir is a copy of the shared demo sandbox folder (the same
// merchants, keys and CA) without its ledger: the sandbox keeps its ledger
// in its folder (ledger.jsonl), and a world's money checks must see only
// the payments of its own database.
func worldSandboxDir(t testing.TB) string {
	t.Helper()
	_, _, err := sandbox.Demo(sharedSandboxDir) // created on first use
	require.NoError(t, err)
	dst := filepath.Join(t.TempDir(), "sandbox")
	require.NoError(t, os.MkdirAll(dst, 0o700))
	ents, err := os.ReadDir(sharedSandboxDir)
	require.NoError(t, err)
	for _, e := range ents {
		if e.IsDir() || strings.HasPrefix(e.Name(), "ledger.jsonl") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(sharedSandboxDir, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600))
	}
	return dst
}

func newWorldOn(t testing.TB, gw *paycli.Gateway, clock app.Clock, dbPath string, route map[app.Wallet]app.ChannelName, wrap func(app.PaymentChannel) app.PaymentChannel) *world {
	ctx := context.Background()
	db, err := localdb.Open(dbPath)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.SeedDemo(ctx, app.PINHasher{Cost: bcrypt.MinCost}, clock.Now())
	require.NoError(t, err)
	cfgs := gw.Configs(channel.HTTPSettings{Timeout: clientTimeout}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	cfgs.Route = route
	cfgs.Wrap = wrap
	router, err := paycli.BuildChannels(cfgs, clock)
	require.NoError(t, err)
	pay, err := paycli.NewPayments(ctx, db, router, cfgs.OrderPrefix, clock, app.PaymentPolicy{})
	require.NoError(t, err)
	staff, _, err := db.StaffByCode(ctx, "1001")
	require.NoError(t, err)
	w := &world{gw: gw, db: db, store: localdb.NewPaymentStore(db), pay: pay, router: router, staff: staff}
	if tt, ok := t.(*testing.T); ok {
		w.t = tt
	}
	w.clock, _ = clock.(*paytest.FastClock)
	return w
}

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
	case app.WalletMember:
		return "99" + randDigits(13) + suffix
	}
	panic(w)
}

type scenario struct {
	name    string
	suffix  string
	want    app.IntentState
	charged bool // the money stays taken (exactly one charge held) or not (none)
}

var scenarios = []scenario{
	{"success", "000", app.IntentPaid, true},
	{"userpaying-then-success", "101", app.IntentPaid, true},
	{"userpaying-then-cancelled", "102", app.IntentClosed, false},
	{"notenough", "201", app.IntentFailed, false},
	{"authcodeexpire", "202", app.IntentFailed, false},
	{"systemerror-then-success", "301", app.IntentPaid, true},
	{"slower-than-timeout-but-charged", "401", app.IntentPaid, true},
	{"dropped-after-charging", "402", app.IntentPaid, true},
	{"http-5xx", "501", app.IntentReversed, false},
}

func (w *world) payCode(code string, amount app.Money) (app.PayResult, error) {
	return w.pay.Pay(context.Background(), app.PayInput{Order: app.Order{StaffID: w.staff.ID}, Code: code, Amount: amount, StaffCode: w.staff.Code})
}

// checkLedger is the money invariant: every charge the sandbox still holds
// belongs to exactly one paid order here, every paid order here is exactly
// one held charge, and no code was charged twice.
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
				assert.Equal(t, app.IntentPaid, in.State, "money held for %s but the intent is %s", c.OutTradeNo, in.State)
				o, err := db.GetOrder(ctx, in.OrderNo)
				require.NoError(t, err)
				assert.Contains(t, []app.OrderStatus{app.OrderPaid, app.OrderPartRefunded}, o.Status)
				assert.Equal(t, c.Amount, o.Paid)
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
		assert.True(t, held[no], "paid order %s has no money held at the channel", no)
	}
	open, err := store.OpenIntents(ctx)
	require.NoError(t, err)
	assert.Empty(t, open, "every intent is final")
}

func runScenarios(t *testing.T, ch app.ChannelName, wallets ...app.Wallet) {
	w := newWorld(t, paycli.RouteAllTo(ch), nil)
	for _, wallet := range wallets {
		for _, sc := range scenarios {
			t.Run(fmt.Sprintf("%s/%s", wallet, sc.name), func(t *testing.T) {
				code := codeFor(wallet, sc.suffix)
				start := time.Now()
				res, err := w.payCode(code, 1250)
				require.NoError(t, err)
				t.Logf("%s → %s in %s wall (%s on the fast clock) %s %s", sc.name, res.State, time.Since(start).Round(time.Millisecond),
					res.Elapsed.Round(time.Second), res.Code, res.Message)
				assert.Equal(t, sc.want, res.State, res.Message)
				o, err := w.db.GetOrder(context.Background(), res.OrderNo)
				require.NoError(t, err)
				charges := w.gw.Server.Ledger().ChargesFor(code)
				var heldN int
				for _, c := range charges {
					if c.Held() > 0 {
						heldN++
					}
				}
				assert.LessOrEqual(t, len(charges), 1, "at most one charge")
				if sc.charged {
					assert.Equal(t, 1, heldN, "exactly one charge")
					assert.Equal(t, app.OrderPaid, o.Status)
					assert.Equal(t, app.Money(1250), o.Paid)
				} else {
					assert.Zero(t, heldN, "no money taken")
					assert.Equal(t, app.OrderClosed, o.Status)
				}
			})
		}
	}
	checkLedger(t, w.gw.Server.Ledger(), w.store, w.db)
}

func TestScenarios_WeChat(t *testing.T) { runScenarios(t, app.ChannelWeChat, app.WalletWeChat) }

func TestScenarios_Alipay(t *testing.T) { runScenarios(t, app.ChannelAlipay, app.WalletAlipay) }

func TestScenarios_CloudPay(t *testing.T) {
	runScenarios(t, app.ChannelCloudPay, app.WalletWeChat, app.WalletAlipay, app.WalletMember)
}
