package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/payment"
)

// The 9 payment scenarios against the real sandbox gateway and the real
// channel clients, through the composition root and the checkout, with
// the production timings on the fast clock.

type scenario struct {
	name    string
	suffix  string
	want    payment.IntentState
	charged bool // the money stays taken (exactly one charge held) or not (none)
}

var scenarios = []scenario{
	{"success", "000", payment.IntentPaid, true},
	{"userpaying-then-success", "101", payment.IntentPaid, true},
	{"userpaying-then-cancelled", "102", payment.IntentClosed, false},
	{"notenough", "201", payment.IntentFailed, false},
	{"authcodeexpire", "202", payment.IntentFailed, false},
	{"systemerror-then-success", "301", payment.IntentPaid, true},
	{"slower-than-timeout-but-charged", "401", payment.IntentPaid, true},
	{"dropped-after-charging", "402", payment.IntentPaid, true},
	{"http-5xx", "501", payment.IntentReversed, false},
}

func runScenarios(t *testing.T, ch app.ChannelName, wallets ...app.Wallet) {
	w := newWorld(t, routeAllTo(ch), nil)
	ctx := context.Background()
	for _, wallet := range wallets {
		for _, sc := range scenarios {
			t.Run(fmt.Sprintf("%s/%s", wallet, sc.name), func(t *testing.T) {
				code := codeFor(wallet, sc.suffix)
				start := time.Now()
				out, err := w.payCode(code, 1250)
				require.NoError(t, err)
				res := out.Payment
				t.Logf("%s → %s in %s wall (%s on the fast clock) %s %s", sc.name, res.State, time.Since(start).Round(time.Millisecond),
					res.Elapsed.Round(time.Second), res.Code, res.Msg)
				assert.Equal(t, sc.want, res.State, res.Msg.String())
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
					assert.Equal(t, app.OrderPaid, out.Order.Status)
					assert.Equal(t, app.Money(1250), out.Order.Paid)
					return
				}
				assert.Zero(t, heldN, "no money taken")
				assert.Equal(t, app.OrderOpen, out.Order.Status, "open for another tender")
				assert.Equal(t, app.TenderFailed, out.Order.Tenders[0].State)
				v, err := w.checkout.Void(ctx, out.Order.OrderNo, w.staff)
				require.NoError(t, err)
				assert.Equal(t, app.OrderClosed, v.Order.Status, "given up: closed")
			})
		}
	}
	checkLedger(t, w.gw.Server.Ledger(), w.store, w.db)
}

func TestScenarios_WeChat(t *testing.T) { runScenarios(t, app.ChannelWeChat, app.WalletWeChat) }

func TestScenarios_Alipay(t *testing.T) { runScenarios(t, app.ChannelAlipay, app.WalletAlipay) }

func TestScenarios_CloudPay(t *testing.T) {
	runScenarios(t, app.ChannelCloudPay, app.WalletWeChat, app.WalletAlipay)
}
