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
	"cashier/app/sale"
	"cashier/sync/sandbox"
)

// Refunds, deposits, split tenders, the cashier's cancel and the duplicate
// scan against the real sandbox and clients, per channel.

var flowChannels = []struct {
	name   app.ChannelName
	wallet app.Wallet
}{
	{app.ChannelWeChat, app.WalletWeChat},
	{app.ChannelAlipay, app.WalletAlipay},
	{app.ChannelCloudPay, app.WalletWeChat},
}

func TestRefunds(t *testing.T) {
	for _, c := range flowChannels {
		t.Run(string(c.name), func(t *testing.T) {
			w := newWorld(t, routeAllTo(c.name), nil)
			p, err := w.payCode(codeFor(c.wallet, "000"), 10000)
			require.NoError(t, err)
			require.True(t, p.Paid())
			no := p.Order.OrderNo

			r1, err := w.refund(no, 3000)
			require.NoError(t, err)
			assert.Equal(t, payment.RefundRefunded, r1.State, r1.Msg.String())
			_, err = w.refund(no, 7001)
			assert.ErrorIs(t, err, payment.ErrRefundExceeds, "never more than paid − refunded")
			r2, err := w.refund(no, 7000)
			require.NoError(t, err)
			assert.Equal(t, payment.RefundRefunded, r2.State, r2.Msg.String())
			assert.NotEqual(t, r1.OutRefundNo, r2.OutRefundNo)

			o, err := w.db.GetOrder(context.Background(), no)
			require.NoError(t, err)
			assert.Equal(t, app.OrderRefunded, o.Status)
			assert.Equal(t, app.Money(10000), o.Refunded)
			var refunded app.Money
			for _, r := range w.gw.Server.Ledger().Refunds() {
				if r.OutTradeNo == p.Payment.OutTradeNo {
					refunded += r.Amount
				}
			}
			assert.Equal(t, app.Money(10000), refunded, "the channel refunded exactly what we recorded")

			// Resuming a finished refund sends nothing more.
			before := len(w.gw.Server.Ledger().Refunds())
			again, err := w.pay.ResumeRefund(context.Background(), r1.OutRefundNo, nil)
			require.NoError(t, err)
			assert.Equal(t, payment.RefundRefunded, again.State)
			assert.Len(t, w.gw.Server.Ledger().Refunds(), before)
		})
	}
}

// A cart paid by two wallet tenders is paid only when both succeed; a
// failed second tender leaves it open with the first intact; voiding it
// hands the first back through its channel.
func TestSplitTendersAgainstSandbox(t *testing.T) {
	w := newWorld(t, map[app.Wallet]app.ChannelName{app.WalletWeChat: app.ChannelWeChat, app.WalletAlipay: app.ChannelAlipay}, nil)
	ctx := context.Background()
	o, err := w.checkout.Open(ctx, sale.OrderInput{Staff: w.staff, Total: 3000})
	require.NoError(t, err)
	first, err := w.checkout.PayByCode(ctx, o.OrderNo, codeFor(app.WalletWeChat, "000"), 1000, w.staff, nil)
	require.NoError(t, err)
	require.True(t, first.Payment.Paid())
	assert.Equal(t, app.OrderOpen, first.Order.Status)
	assert.Equal(t, app.Money(2000), first.Order.Due())

	second, err := w.checkout.PayByCode(ctx, o.OrderNo, codeFor(app.WalletAlipay, "201"), 0, w.staff, nil) // NOTENOUGH
	require.NoError(t, err)
	assert.Equal(t, payment.IntentFailed, second.Payment.State)
	assert.Equal(t, app.OrderOpen, second.Order.Status, "a failed tender leaves the order open")
	require.Len(t, second.Order.Tenders, 2)
	assert.Equal(t, app.TenderPaid, second.Order.Tenders[0].State, "the first tender is intact")

	third, err := w.checkout.PayByCode(ctx, o.OrderNo, codeFor(app.WalletAlipay, "000"), 0, w.staff, nil)
	require.NoError(t, err)
	assert.True(t, third.Paid(), "paid only when the tenders cover it")
	assert.Equal(t, app.Money(3000), third.Order.Paid)

	// Another cart: one tender paid, the customer walks away: the void
	// refunds it at the channel and closes the order.
	o2, err := w.checkout.Open(ctx, sale.OrderInput{Staff: w.staff, Total: 2000})
	require.NoError(t, err)
	part, err := w.checkout.PayByCode(ctx, o2.OrderNo, codeFor(app.WalletWeChat, "000"), 500, w.staff, nil)
	require.NoError(t, err)
	require.True(t, part.Payment.Paid())
	v, err := w.checkout.Void(ctx, o2.OrderNo, w.staff)
	require.NoError(t, err)
	assert.Equal(t, app.OrderClosed, v.Order.Status)
	require.Len(t, v.Refunds, 1)
	assert.True(t, v.Refunds[0].Refunded())
	var back app.Money
	for _, r := range w.gw.Server.Ledger().Refunds() {
		if r.OutTradeNo == part.Payment.OutTradeNo {
			back += r.Amount
		}
	}
	assert.Equal(t, app.Money(500), back, "the channel gave the 5.00 back")
	assert.Equal(t, app.TenderReturned, v.Order.Tenders[0].State)
}

func TestDeposits(t *testing.T) {
	for _, c := range flowChannels {
		t.Run(string(c.name), func(t *testing.T) {
			w := newWorld(t, routeAllTo(c.name), nil)
			ctx := context.Background()
			freeze := func() sale.Outcome {
				out, err := w.payKind(codeFor(c.wallet, "000"), 50000, true)
				require.NoError(t, err)
				require.True(t, out.Paid(), "%s %s", out.Payment.State, out.Payment.Msg)
				assert.True(t, w.sandboxOrder(c.name, out.Payment.OutTradeNo).Deposit)
				return out
			}
			// Consume part: the rest goes back by itself.
			d := freeze()
			depNo := d.Order.OrderNo
			_, err := w.pay.Consume(ctx, payment.DepositOpInput{DepositNo: depNo, Amount: 50001, StaffID: w.staff.ID})
			assert.ErrorIs(t, err, payment.ErrDepositAmount)
			op, err := w.pay.Consume(ctx, payment.DepositOpInput{DepositNo: depNo, Amount: 32000, StaffID: w.staff.ID})
			require.NoError(t, err)
			require.True(t, op.Done(), "%s %s", op.State, op.Msg)
			dep, err := w.store.GetDeposit(ctx, depNo)
			require.NoError(t, err)
			assert.Equal(t, payment.DepositConsumed, dep.State)
			assert.Equal(t, app.Money(32000), dep.Consumed)
			assert.Equal(t, app.Money(18000), dep.Released)
			var charge sandbox.Charge
			for _, ch := range w.gw.Server.Ledger().Charges() {
				if ch.OutTradeNo == d.Payment.OutTradeNo {
					charge = ch
				}
			}
			assert.Equal(t, app.Money(32000), charge.Held(), "the channel keeps what was consumed")

			// A refund after consumption is a separate refund, capped at it.
			_, err = w.refund(depNo, 32001)
			assert.ErrorIs(t, err, payment.ErrRefundExceeds)
			rf, err := w.refund(depNo, 2000)
			require.NoError(t, err)
			assert.Equal(t, payment.RefundRefunded, rf.State, rf.Msg.String())
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
			rel, err := w.pay.Release(ctx, payment.DepositOpInput{DepositNo: d2.Order.OrderNo, StaffID: w.staff.ID})
			require.NoError(t, err)
			require.True(t, rel.Done(), "%s %s", rel.State, rel.Msg)
			assert.GreaterOrEqual(t, w.clock.Now().Sub(start), 14*time.Second, "waited for the 15-second rule")
			dep2, _ := w.store.GetDeposit(ctx, d2.Order.OrderNo)
			assert.Equal(t, payment.DepositReleased, dep2.State)
			for _, ch := range w.gw.Server.Ledger().Charges() {
				if ch.OutTradeNo == d2.Payment.OutTradeNo {
					assert.Zero(t, ch.Held(), "all of it went back")
				}
			}
			open, err := w.store.OpenIntents(ctx)
			require.NoError(t, err)
			assert.Empty(t, open)
		})
	}
}

func TestCashierCancelAgainstSandbox(t *testing.T) {
	for _, c := range flowChannels {
		t.Run(string(c.name), func(t *testing.T) {
			w := newWorld(t, routeAllTo(c.name), nil)
			code := codeFor(c.wallet, "101") // the customer is typing the password
			var cerr error
			done := make(chan struct{})
			go func() {
				defer close(done)
				deadline := time.Now().Add(30 * time.Second)
				for len(w.pay.Active()) == 0 {
					if time.Now().After(deadline) {
						cerr = fmt.Errorf("the payment was not in progress within 30 s")
						return
					}
					time.Sleep(100 * time.Microsecond)
				}
				time.Sleep(w.clock.Real(2 * time.Second)) // the customer types for 2 s on the fast clock
				cerr = w.checkout.Cancel(context.Background(), w.pay.Active()[0])
			}()
			out, err := w.payCode(code, 500)
			<-done
			require.NoError(t, err)
			require.NoError(t, cerr)
			res := out.Payment
			// The sandbox keeps the customer paying for 10 s; the cancel
			// reverses at the earliest 15 s after the pay call. Either the
			// reverse closed it, or the customer finished first and the
			// query before the reverse found it paid: both are one final
			// state with the money matching it.
			assert.Contains(t, []payment.IntentState{payment.IntentReversed, payment.IntentPaid}, res.State, res.Msg.String())
			assert.Less(t, res.Elapsed, 45*time.Second, "the cancel did not wait for the deadline")
			checkLedger(t, w.gw.Server.Ledger(), w.store, w.db)
		})
	}
}

func TestDuplicateScanAgainstSandbox(t *testing.T) {
	w := newWorld(t, routeAllTo(app.ChannelWeChat), nil)
	code := codeFor(app.WalletWeChat, "101")
	type result struct {
		out sale.Outcome
		err error
	}
	results := make(chan result, 2)
	for range 2 {
		go func() {
			out, err := w.payCode(code, 700)
			results <- result{out, err}
		}()
	}
	var paid, refused int
	for range 2 {
		r := <-results
		switch {
		case r.err != nil:
			assert.ErrorIs(t, r.err, payment.ErrDuplicateScan)
			refused++
		case r.out.Payment.Paid():
			paid++
		}
	}
	assert.Equal(t, 1, paid)
	assert.Equal(t, 1, refused)
	assert.Len(t, w.gw.Server.Ledger().ChargesFor(code), 1, "one charge")
}
