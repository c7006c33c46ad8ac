package paycli_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"cashier/app"
	"cashier/sync/paycli"
)

// BenchmarkPayHappyPath measures one successful payment through the state
// machine against the sandbox over HTTPS, on the system clock with the
// production policy and the durable SQLite store (synchronous=FULL):
// intent written → sent recorded → channel pay → paid and order committed.
//
// Sub-benchmarks, per channel:
//
//	roundtrip-query  one bare Query call of the client: the network round trip
//	roundtrip-pay    one bare Pay call of the client (signing, TLS, sandbox)
//	store-only       the three durable writes of a payment, no network
//	state-machine    Payments.Pay end to end
//
// state-machine minus roundtrip-pay is the state machine's own time above
// the network round trip (reported as overhead-ms/op on state-machine).
func BenchmarkPayHappyPath(b *testing.B) {
	for _, ch := range []struct {
		name   app.ChannelName
		wallet app.Wallet
	}{{app.ChannelWeChat, app.WalletWeChat}, {app.ChannelAlipay, app.WalletAlipay}, {app.ChannelCloudPay, app.WalletWeChat}} {
		b.Run(string(ch.name), func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			clock := app.SystemClock{}
			gw, err := paycli.StartSandbox(ctx, benchSandboxDir(b), clock)
			if err != nil {
				b.Fatal(err)
			}
			defer gw.Server.Close()
			w := newWorldOn(b, gw, clock, filepath.Join(b.TempDir(), "pos.db"), paycli.RouteAllTo(ch.name), nil)
			client, err := w.router.For(ch.wallet)
			if err != nil {
				b.Fatal(err)
			}
			prefix := gw.Creds.CloudPay.CashierID
			// One paid order to query.
			seed, err := w.payCode(codeFor(ch.wallet, "000"), 1)
			if err != nil || !seed.Paid() {
				b.Fatalf("seed payment: %v %+v", err, seed)
			}
			var payNs float64
			b.Run("roundtrip-query", func(b *testing.B) {
				ref := app.OrderRef{OutTradeNo: seed.OutTradeNo, Wallet: ch.wallet}
				for b.Loop() {
					if r, err := client.Query(ctx, ref); err != nil || r.Outcome != app.OutcomeSuccess {
						b.Fatalf("query: %v %+v", err, r)
					}
				}
			})
			b.Run("roundtrip-pay", func(b *testing.B) {
				start := time.Now()
				n := 0
				for b.Loop() {
					n++
					r, err := client.Pay(ctx, app.PayRequest{OutTradeNo: app.NewOrderNo(prefix, time.Now()),
						AuthCode: codeFor(ch.wallet, "000"), Wallet: ch.wallet, Amount: 1, Subject: "bench", ClientIP: "127.0.0.1"})
					if err != nil || r.Outcome != app.OutcomeSuccess {
						b.Fatalf("pay: %v %+v", err, r)
					}
				}
				payNs = float64(time.Since(start).Nanoseconds()) / float64(n)
			})
			b.Run("store-only", func(b *testing.B) {
				term, _ := w.db.CurrentTerminal(ctx)
				for b.Loop() {
					now := time.Now()
					o := app.Order{OrderNo: app.NewOrderNo(prefix, now), StoreID: term.StoreID, TerminalID: term.ID, StaffID: w.staff.ID,
						Kind: app.OrderSale, Status: app.OrderPaying, Total: 1, Payable: 1, CreatedAt: now}
					in := app.PaymentIntent{OutTradeNo: o.OrderNo, Kind: app.IntentKindPay, Channel: ch.name, Wallet: ch.wallet,
						CodeMasked: "x", CodeHash: fmt.Sprint(now.UnixNano()), Amount: 1, State: app.IntentCreated, CreatedAt: now, UpdatedAt: now}
					if err := w.store.CreateIntent(ctx, &o, &in, now.Add(-10*time.Second)); err != nil {
						b.Fatal(err)
					}
					in.State, in.Attempts, in.SentAt = app.IntentSent, 1, now
					if err := w.store.SaveIntent(ctx, &in); err != nil {
						b.Fatal(err)
					}
					in.State, in.FinishedAt = app.IntentPaid, now
					if err := w.store.FinishIntent(ctx, &in); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("state-machine", func(b *testing.B) {
				start := time.Now()
				n := 0
				for b.Loop() {
					n++
					res, err := w.payCode(codeFor(ch.wallet, "000"), 1)
					if err != nil || !res.Paid() {
						b.Fatalf("pay: %v %+v", err, res)
					}
				}
				per := float64(time.Since(start).Nanoseconds()) / float64(n)
				if payNs > 0 {
					b.ReportMetric((per-payNs)/1e6, "overhead-ms/op")
				}
			})
		})
	}
}

// benchSandboxDir reuses the test package's demo sandbox folder.
func benchSandboxDir(b *testing.B) string {
	b.Helper()
	return sharedSandboxDir
}
