package main

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/payment"
	"cashier/sync/channel/setup"
	"cashier/sync/sandbox"
)

// Issue 8 against the sandbox's real protocols: the refund and deposit
// operation faults picked by the amount's last two fen digits (…91 answer
// lost after it was made, …92 lost and then refused for good, …93 system
// error but made, …94 one fen less), the Cloud Pay 407 duplicate number,
// and the permission read at the action. Every one ends in a final state
// and the sandbox's ledger agrees with the local database.

type opFault struct {
	fen   app.Money // the amount's last two digits pick the fault
	want  payment.RefundState
	moved bool
}

var refundFaults = []opFault{
	{191, payment.RefundRefunded, true}, // …91: lost after made
	{292, payment.RefundFailed, false},  // …92: lost, re-sends refused
	{393, payment.RefundRefunded, true}, // …93: system error, made
	{494, payment.RefundManual, true},   // …94: one fen less
}

// refundedAt sums what the sandbox says went back under a refund number.
func refundedAt(l *sandbox.Ledger, outRefundNo string) (app.Money, int) {
	var sum app.Money
	n := 0
	for _, r := range l.Refunds() {
		if r.OutRefundNo == outRefundNo {
			sum += r.Amount
			n++
		}
	}
	return sum, n
}

func TestRefundFaultsAgainstSandbox(t *testing.T) {
	for _, c := range flowChannels {
		t.Run(string(c.name), func(t *testing.T) {
			w := newWorld(t, routeAllTo(c.name), nil)
			p, err := w.payCode(codeFor(c.wallet, "000"), 10000)
			require.NoError(t, err)
			require.True(t, p.Paid())
			no := p.Order.OrderNo
			var refunded app.Money
			for _, f := range refundFaults {
				t.Run(fmt.Sprintf("…%02d", f.fen%100), func(t *testing.T) {
					res, err := w.refund(no, f.fen)
					require.NoError(t, err)
					assert.Equal(t, f.want, res.State, "%s %s %s", res.Code, res.ChannelMsg, res.Msg)
					assert.True(t, res.State.Final(), "a refund always ends")
					got, n := refundedAt(w.gw.Server.Ledger(), res.OutRefundNo)
					if !f.moved {
						assert.Zero(t, n, "nothing was refunded at the channel")
						return
					}
					assert.Equal(t, 1, n, "made exactly once at the channel")
					if f.want == payment.RefundRefunded {
						assert.Equal(t, f.fen, got)
						refunded += got
					} else {
						assert.Equal(t, f.fen-1, got, "the channel gave back one fen less")
						assert.Equal(t, "refund.amount_mismatch", res.Msg.Code, "a person is asked to check")
					}
				})
			}
			o, err := w.db.GetOrder(context.Background(), no)
			require.NoError(t, err)
			assert.Equal(t, refunded, o.Refunded, "the database counts exactly what was refunded in full")
			// The failed …92 freed its amount; the manual …94 holds its own.
			left := 10000 - 191 - 393 - 494
			_, err = w.refund(no, app.Money(left)+1)
			assert.ErrorIs(t, err, payment.ErrRefundExceeds)
			res, err := w.refund(no, app.Money(left))
			require.NoError(t, err)
			assert.True(t, res.Refunded(), res.Msg.String())
		})
	}
}

func TestDepositOpFaultsAgainstSandbox(t *testing.T) {
	for _, c := range flowChannels {
		t.Run(string(c.name), func(t *testing.T) {
			w := newWorld(t, routeAllTo(c.name), nil)
			ctx := context.Background()
			for _, f := range []struct {
				fen  app.Money
				want payment.DepositOpState
			}{{12091, payment.DepositOpDone}, {12092, payment.DepositOpFailed}, {12093, payment.DepositOpDone}, {12094, payment.DepositOpManual}} {
				t.Run(fmt.Sprintf("consume …%02d", f.fen%100), func(t *testing.T) {
					d, err := w.payKind(codeFor(c.wallet, "000"), 50000, true)
					require.NoError(t, err)
					require.True(t, d.Paid(), d.Payment.Msg.String())
					op, err := w.pay.Consume(ctx, payment.DepositOpInput{DepositNo: d.Order.OrderNo, Amount: f.fen, StaffID: w.staff.ID})
					require.NoError(t, err)
					assert.Equal(t, f.want, op.State, "%s %s %s", op.Code, op.ChannelMsg, op.Msg)
					dep, err := w.store.GetDeposit(ctx, d.Order.OrderNo)
					require.NoError(t, err)
					var held app.Money
					for _, ch := range w.gw.Server.Ledger().Charges() {
						if ch.OutTradeNo == d.Payment.OutTradeNo {
							held = ch.Held()
						}
					}
					switch f.want {
					case payment.DepositOpDone:
						assert.Equal(t, payment.DepositConsumed, dep.State)
						assert.Equal(t, f.fen, dep.Consumed)
					case payment.DepositOpFailed:
						assert.Equal(t, payment.DepositFrozen, dep.State, "nothing consumed: still frozen")
						assert.Equal(t, app.Money(50000), held, "the channel still holds the whole deposit")
					case payment.DepositOpManual:
						assert.Equal(t, payment.DepositFrozen, dep.State, "a person checks before the books change")
					}
				})
			}
		})
	}
}

// Item 5: two terminals on one sandbox never share an order number (the
// terminal's tag is in it), so each takes its own customer's money; and a
// Cloud Pay 407 (the number belongs to another order) ends manual: not
// paid, not reversed, nothing refundable — the other payment untouched.
func TestCloudPay407AgainstSandbox(t *testing.T) {
	a := newWorld(t, routeAllTo(app.ChannelCloudPay), nil)
	ctx := context.Background()
	// Terminal B: a second data folder on the same gateway.
	b := &world{t: t, clock: a.clock, gw: a.gw, dir: t.TempDir()}
	f := a.gw.File()
	f.Routes = routeAllTo(app.ChannelCloudPay)
	require.NoError(t, f.Write(filepath.Join(b.dir, setup.FileName)))
	b.open(nil)
	require.NotEqual(t, a.s.DB.Path(), b.s.DB.Path())
	ta, _ := a.db.CurrentTerminal(ctx)
	tb, _ := b.db.CurrentTerminal(ctx)
	require.NotEqual(t, ta.NumberPrefix(), tb.NumberPrefix(), "each terminal's numbers carry its own tag")
	pa, err := a.payCode(codeFor(app.WalletWeChat, "000"), 1500)
	require.NoError(t, err)
	pb, err := b.payCode(codeFor(app.WalletWeChat, "000"), 1500)
	require.NoError(t, err)
	require.True(t, pa.Paid())
	require.True(t, pb.Paid())
	assert.NotEqual(t, pa.Payment.OutTradeNo, pb.Payment.OutTradeNo)

	// The sandbox's 407 scenario: another customer's payment of the same
	// amount already sits under our number.
	code := codeFor(app.WalletWeChat, "407")
	out, err := b.payCode(code, 1500)
	require.NoError(t, err)
	assert.Equal(t, payment.IntentManual, out.Payment.State, out.Payment.Msg.String())
	assert.Equal(t, "pay.foreign", out.Payment.Msg.Code)
	assert.Equal(t, app.OrderOpen, out.Order.Status, "B's order is not paid from someone else's money")
	assert.Empty(t, w407Charges(b, code), "B's customer was never charged")
	theirs := b.sandboxOrder(app.ChannelCloudPay, out.Payment.OutTradeNo)
	assert.Equal(t, sandbox.StatePaid, theirs.State, "the other payment was not reversed")
	rep, err := b.pay.Recover(ctx)
	require.NoError(t, err)
	for _, p := range rep.Payments {
		assert.NotEqual(t, payment.IntentPaid, p.State, "recovery never settles it from that number")
	}
	_, err = b.refund(out.Order.OrderNo, 1500)
	assert.ErrorIs(t, err, payment.ErrNotRefundable)

	// Item 7: the same code again, after the 10 s window, while the first
	// payment with it is still open (manual): refused, nothing sent. The
	// refusal names the open payment and its state: not the window's
	// (which names no state), the stored manual payment's.
	time.Sleep(b.clock.Real(11 * time.Second)) // time passing on the fast clock, not a wait for a condition
	before := len(w407Charges(b, code))
	_, err = b.payCode(code, 1500)
	require.ErrorIs(t, err, payment.ErrDuplicateScan)
	m, ok := app.AsMessage(err)
	require.True(t, ok)
	assert.Equal(t, string(payment.IntentManual), m.Args["State"], "refused because the first payment is still open")
	assert.Equal(t, out.Payment.OutTradeNo, m.Args["OutTradeNo"])
	assert.Len(t, w407Charges(b, code), before, "nothing sent")
}

func w407Charges(w *world, code string) []sandbox.Charge {
	return w.gw.Server.Ledger().ChargesFor(code)
}

// Item 6 against the sandbox: a clerk on shift whose refund grant is
// revoked after logging in is refused; nothing reaches the channel.
func TestRefundPermissionReadAtTheActionAgainstSandbox(t *testing.T) {
	w := newWorld(t, routeAllTo(app.ChannelWeChat), nil)
	ctx := context.Background()
	p, err := w.payCode(codeFor(app.WalletWeChat, "000"), 2000)
	require.NoError(t, err)
	clerk, err := w.s.Auth.Login(ctx, "1002", "1234")
	require.NoError(t, err)
	require.NoError(t, w.db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`INSERT INTO shift(store_id, staff_id, started_at) VALUES (?,?,?)`, clerk.StoreID, clerk.ID, time.Now().UnixMilli()); err != nil {
			return err
		}
		_, err := tx.Exec(`DELETE FROM staff_permission WHERE staff_id=?`, clerk.ID)
		return err
	}))
	before := len(w.gw.Server.Ledger().Refunds())
	_, err = w.pay.Refund(ctx, payment.RefundInput{OrderNo: p.Order.OrderNo, Amount: 100, StaffID: clerk.ID})
	assert.ErrorIs(t, err, app.ErrNoPermission)
	assert.Len(t, w.gw.Server.Ledger().Refunds(), before)
}
