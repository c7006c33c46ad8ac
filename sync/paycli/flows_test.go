package paycli_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/sync/paycli"
	"cashier/sync/sandbox"
)

// Refunds, deposits, the cashier's cancel and the duplicate scan against
// the real sandbox and clients, per channel.

var flowChannels = []struct {
	name   app.ChannelName
	wallet app.Wallet
}{
	{app.ChannelWeChat, app.WalletWeChat},
	{app.ChannelAlipay, app.WalletAlipay},
	{app.ChannelCloudPay, app.WalletWeChat},
}

func (w *world) refund(orderNo string, amount app.Money) (app.RefundResult, error) {
	return w.pay.Refund(context.Background(), app.RefundInput{OrderNo: orderNo, Amount: amount, Staff: w.staff, Reason: "退货"})
}

func (w *world) order(ch app.ChannelName, no string) sandbox.Order {
	o, ok := w.gw.Server.Ledger().Order(ch, no)
	require.True(w.t, ok, "sandbox has no order %s", no)
	return o
}

func TestRefunds(t *testing.T) {
	for _, c := range flowChannels {
		t.Run(string(c.name), func(t *testing.T) {
			w := newWorld(t, paycli.RouteAllTo(c.name), nil)
			w.t = t
			p, err := w.payCode(codeFor(c.wallet, "000"), 10000)
			require.NoError(t, err)
			require.True(t, p.Paid())

			r1, err := w.refund(p.OrderNo, 3000)
			require.NoError(t, err)
			assert.Equal(t, app.RefundRefunded, r1.State, r1.Message)
			_, err = w.refund(p.OrderNo, 7001)
			assert.ErrorIs(t, err, app.ErrRefundExceeds, "never more than paid − refunded")
			r2, err := w.refund(p.OrderNo, 7000)
			require.NoError(t, err)
			assert.Equal(t, app.RefundRefunded, r2.State, r2.Message)
			assert.NotEqual(t, r1.OutRefundNo, r2.OutRefundNo)

			o, err := w.db.GetOrder(context.Background(), p.OrderNo)
			require.NoError(t, err)
			assert.Equal(t, app.OrderRefunded, o.Status)
			assert.Equal(t, app.Money(10000), o.Refunded)
			var refunded app.Money
			for _, r := range w.gw.Server.Ledger().Refunds() {
				if r.OutTradeNo == p.OutTradeNo {
					refunded += r.Amount
				}
			}
			assert.Equal(t, app.Money(10000), refunded, "the channel refunded exactly what we recorded")

			// Resuming a finished refund sends nothing more.
			before := len(w.gw.Server.Ledger().Refunds())
			again, err := w.pay.ResumeRefund(context.Background(), r1.OutRefundNo, nil)
			require.NoError(t, err)
			assert.Equal(t, app.RefundRefunded, again.State)
			assert.Len(t, w.gw.Server.Ledger().Refunds(), before)
		})
	}
}

func TestDeposits(t *testing.T) {
	for _, c := range flowChannels {
		t.Run(string(c.name), func(t *testing.T) {
			w := newWorld(t, paycli.RouteAllTo(c.name), nil)
			w.t = t
			ctx := context.Background()
			freeze := func() app.PayResult {
				res, err := w.pay.Pay(ctx, app.PayInput{Order: app.Order{StaffID: w.staff.ID}, Code: codeFor(c.wallet, "000"),
					Amount: 50000, Deposit: true, StaffCode: w.staff.Code})
				require.NoError(t, err)
				require.True(t, res.Paid(), "%s %s", res.State, res.Message)
				assert.True(t, w.order(c.name, res.OutTradeNo).Deposit)
				return res
			}
			// Consume part: the rest goes back by itself.
			d := freeze()
			_, err := w.pay.Consume(ctx, app.DepositOpInput{DepositNo: d.OrderNo, Amount: 50001, Staff: w.staff})
			assert.ErrorIs(t, err, app.ErrDepositAmount)
			op, err := w.pay.Consume(ctx, app.DepositOpInput{DepositNo: d.OrderNo, Amount: 32000, Staff: w.staff})
			require.NoError(t, err)
			require.True(t, op.Done(), "%s %s", op.State, op.Message)
			dep, err := w.store.GetDeposit(ctx, d.OrderNo)
			require.NoError(t, err)
			assert.Equal(t, app.DepositConsumed, dep.State)
			assert.Equal(t, app.Money(32000), dep.Consumed)
			assert.Equal(t, app.Money(18000), dep.Released)
			so := w.order(c.name, d.OutTradeNo)
			var charge sandbox.Charge
			for _, ch := range w.gw.Server.Ledger().Charges() {
				if ch.OutTradeNo == d.OutTradeNo {
					charge = ch
				}
			}
			assert.Equal(t, app.Money(32000), charge.Held(), "the channel keeps what was consumed (%+v)", so)

			// A refund after consumption is a separate refund, capped at it.
			_, err = w.refund(d.OrderNo, 32001)
			assert.ErrorIs(t, err, app.ErrRefundExceeds)
			rf, err := w.refund(d.OrderNo, 2000)
			require.NoError(t, err)
			assert.Equal(t, app.RefundRefunded, rf.State, rf.Message)
			var atChannel app.Money
			for _, r := range w.gw.Server.Ledger().Refunds() {
				if r.OutRefundNo == rf.OutRefundNo {
					atChannel += r.Amount
				}
			}
			assert.Equal(t, app.Money(2000), atChannel, "the channel refunded the consumed money once")

			// Release a whole deposit: not before 15 s after it was frozen.
			d2 := freeze()
			start := w.clock.Now()
			rel, err := w.pay.Release(ctx, app.DepositOpInput{DepositNo: d2.OrderNo, Staff: w.staff})
			require.NoError(t, err)
			require.True(t, rel.Done(), "%s %s", rel.State, rel.Message)
			assert.GreaterOrEqual(t, w.clock.Now().Sub(start), 14*time.Second, "waited for the 15-second rule")
			dep2, _ := w.store.GetDeposit(ctx, d2.OrderNo)
			assert.Equal(t, app.DepositReleased, dep2.State)
			for _, ch := range w.gw.Server.Ledger().Charges() {
				if ch.OutTradeNo == d2.OutTradeNo {
					assert.Zero(t, ch.Held(), "all of it went back")
				}
			}
			checkLedgerDeposits(t, w)
		})
	}
}

// checkLedgerDeposits: every intent final, no code charged twice.
func checkLedgerDeposits(t *testing.T, w *world) {
	open, err := w.store.OpenIntents(context.Background())
	require.NoError(t, err)
	assert.Empty(t, open)
	seen := map[string]int{}
	for _, c := range w.gw.Server.Ledger().Charges() {
		seen[c.AuthCode]++
		assert.LessOrEqual(t, seen[c.AuthCode], 1)
	}
}

func TestCashierCancelAgainstSandbox(t *testing.T) {
	for _, c := range flowChannels {
		t.Run(string(c.name), func(t *testing.T) {
			w := newWorld(t, paycli.RouteAllTo(c.name), nil)
			w.t = t
			code := codeFor(c.wallet, "101") // the customer is typing the password
			var cancelled app.PayResult
			var cerr error
			done := make(chan struct{})
			go func() {
				defer close(done)
				for len(w.pay.Active()) == 0 {
					time.Sleep(100 * time.Microsecond)
				}
				time.Sleep(w.clock.Real(2 * time.Second))
				cancelled, cerr = w.pay.Cancel(context.Background(), w.pay.Active()[0])
			}()
			res, err := w.payCode(code, 500)
			<-done
			require.NoError(t, err)
			require.NoError(t, cerr)
			assert.Equal(t, res, cancelled)
			// The sandbox keeps the customer paying for 10 s; the cancel
			// reverses at the earliest 15 s after the pay call. Either the
			// reverse closed it, or the customer finished first and the
			// query before the reverse found it paid: both are one final
			// state with the money matching it.
			assert.Contains(t, []app.IntentState{app.IntentReversed, app.IntentPaid}, res.State, res.Message)
			assert.Less(t, res.Elapsed, 45*time.Second, "the cancel did not wait for the deadline")
			checkLedger(t, w.gw.Server.Ledger(), w.store, w.db)
		})
	}
}

func TestDuplicateScanAgainstSandbox(t *testing.T) {
	w := newWorld(t, paycli.RouteAllTo(app.ChannelWeChat), nil)
	w.t = t
	code := codeFor(app.WalletWeChat, "101")
	errs := make(chan error, 2)
	results := make(chan app.PayResult, 2)
	for range 2 {
		go func() {
			res, err := w.payCode(code, 700)
			results <- res
			errs <- err
		}()
	}
	var paid, refused int
	for range 2 {
		res, err := <-results, <-errs
		switch {
		case err != nil:
			assert.ErrorIs(t, err, app.ErrDuplicateScan)
			refused++
		case res.Paid():
			paid++
		}
	}
	assert.Equal(t, 1, paid)
	assert.Equal(t, 1, refused)
	assert.Len(t, w.gw.Server.Ledger().ChargesFor(code), 1, "one charge")
}

func TestCloudPay407NeverReversed(t *testing.T) {
	w := newWorld(t, paycli.RouteAllTo(app.ChannelCloudPay), nil)
	w.t = t
	ctx := context.Background()
	client, err := w.router.For(app.WalletWeChat)
	require.NoError(t, err)
	// Someone (another till, an old bug) already used this number for
	// another payment, which was paid.
	no := app.NewOrderNo(w.gw.Creds.CloudPay.CashierID, w.clock.Now())
	first, err := client.Pay(ctx, app.PayRequest{OutTradeNo: no, AuthCode: codeFor(app.WalletWeChat, "000"), Wallet: app.WalletWeChat,
		Amount: 100, Subject: "other", StaffID: "1001", ClientIP: "127.0.0.1"})
	require.NoError(t, err)
	require.Equal(t, app.OutcomeSuccess, first.Outcome)
	// Our payment arrives with the same number and other content: 407.
	res, err := w.pay.Pay(ctx, app.PayInput{Order: app.Order{OrderNo: no, StaffID: w.staff.ID}, Code: codeFor(app.WalletWeChat, "000"),
		Amount: 200, StaffCode: w.staff.Code})
	require.NoError(t, err)
	assert.Equal(t, app.IntentManual, res.State, res.Message)
	o := w.order(app.ChannelCloudPay, no)
	assert.Equal(t, sandbox.StatePaid, o.State, "the other payment was not reversed")
	assert.Equal(t, app.Money(100), o.Amount)
}
