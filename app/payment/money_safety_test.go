package payment_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/payment"
	"cashier/app/payment/paytest"
)

// Issue 8, items 1–8 and 12, against the state machine with a scripted
// channel. (The same faults against the sandbox's real protocols are in
// the root package's tests.)

// 1. A refund whose answer is lost is queried, not re-sent forever: the
// repeat of an Alipay refund number answers fund_change=N (unknown), and
// only the refund query settles it.
func TestRefund_LostAnswerGoesToTheQuery(t *testing.T) {
	r := newRig(t, app.ChannelAlipay)
	p := r.paidOrderWith(aliCode, 1000)
	r.ch.Script(paytest.MRefund, paytest.Unknown("TRANSPORT"), paytest.Unknown("10000"))
	r.ch.Script(paytest.MRefundQuery, paytest.Amount(paytest.Done(), 400))
	res, err := r.refund(p.OrderNo, 400, r.manager)
	require.NoError(t, err)
	assert.Equal(t, payment.RefundRefunded, res.State)
	assert.Len(t, r.ch.Calls(paytest.MRefund), 1, "queried, not re-sent")
	// The order's next refund is not blocked.
	r.ch.Set(paytest.MRefund, paytest.Amount(paytest.Done(), 600))
	res, err = r.refund(p.OrderNo, 600, r.manager)
	require.NoError(t, err)
	assert.True(t, res.Refunded())
}

// 2. A refund whose first call is lost and whose re-send is refused ends:
// the channel confirms no refund exists → failed, the amount free again.
func TestRefund_RefusedReSendEndsFailed(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	p := r.paidOrder(1000)
	r.ch.Script(paytest.MRefund, paytest.Unknown("SYSTEMERROR"), paytest.Failed("NOTENOUGH", ""))
	r.ch.Script(paytest.MRefundQuery, paytest.NotFound("REFUNDNOTEXIST"))
	res, err := r.refund(p.OrderNo, 1000, r.manager)
	require.NoError(t, err)
	assert.Equal(t, payment.RefundFailed, res.State, res.Msg.String())
	assert.Equal(t, "refund.failed_because", res.Msg.Code)
	calls := r.ch.Calls("")
	var seq []string
	for _, c := range calls {
		seq = append(seq, c.Method)
	}
	assert.Equal(t, []string{paytest.MPay, paytest.MRefund, paytest.MRefundQuery, paytest.MRefund, paytest.MRefundQuery}, seq,
		"send (lost) → query: none → send again (refused) → query: none → failed")
	o := r.getOrder(p.OrderNo)
	assert.Zero(t, o.Refunded)
	r.ch.Set(paytest.MRefund, paytest.Amount(paytest.Done(), 1000))
	res, err = r.refund(p.OrderNo, 1000, r.manager)
	require.NoError(t, err)
	assert.True(t, res.Refunded(), "the refundable amount was restored")
}

// A refused re-send whose query finds the refund after all (the lost call
// made it) ends refunded, not failed.
func TestRefund_RefusedReSendButTheFirstMadeIt(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	p := r.paidOrder(1000)
	r.ch.Script(paytest.MRefund, paytest.Unknown("TRANSPORT"), paytest.Failed("NOTENOUGH", ""))
	r.ch.Script(paytest.MRefundQuery, paytest.NotFound("REFUNDNOTEXIST"), paytest.Amount(paytest.Done(), 300))
	res, err := r.refund(p.OrderNo, 300, r.manager)
	require.NoError(t, err)
	assert.Equal(t, payment.RefundRefunded, res.State)
}

// 3. A deposit operation whose answer is lost is queried until final; a
// refused re-send with no operation at the channel ends failed and the
// deposit stays frozen.
func TestDepositOp_QueriedUntilFinal(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	dep := r.frozen(30000)
	r.ch.Script(paytest.MConsume, paytest.Unknown("TRANSPORT"))
	r.ch.Script(paytest.MOpQuery, paytest.Unknown("SYSTEMERROR"), paytest.Amount(paytest.Done(), 12000))
	out, err := r.consume(dep, 12000)
	require.NoError(t, err)
	assert.True(t, out.Done())
	assert.Len(t, r.ch.Calls(paytest.MConsume), 1, "the query settled it; nothing re-sent")

	dep2 := r.frozen(30000)
	r.ch.Set(paytest.MConsume, paytest.Unknown("TRANSPORT"), paytest.Failed("NOTENOUGH", ""))
	r.ch.Set(paytest.MOpQuery, paytest.NotFound("ORDERNOTEXIST"))
	out, err = r.consume(dep2, 5000)
	require.NoError(t, err)
	assert.Equal(t, payment.DepositOpFailed, out.State)
	d, _ := r.store.GetDeposit(context.Background(), dep2)
	assert.Equal(t, payment.DepositFrozen, d.State, "still frozen: another operation may follow")
}

// 4. The channel's refunded amount must equal what was asked; otherwise a
// person checks (manual), and the amount stays held.
func TestRefund_AmountMismatchGoesToAPerson(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	p := r.paidOrder(1000)
	r.ch.Script(paytest.MRefund, paytest.Amount(paytest.Done(), 499))
	res, err := r.refund(p.OrderNo, 500, r.manager)
	require.NoError(t, err)
	assert.Equal(t, payment.RefundManual, res.State)
	assert.Equal(t, "refund.amount_mismatch", res.Msg.Code)
	assert.Zero(t, r.getOrder(p.OrderNo).Refunded, "never silently counted as refunded")
	_, err = r.refund(p.OrderNo, 501, r.manager)
	assert.ErrorIs(t, err, payment.ErrRefundExceeds, "the 5.00 stays held while a person checks")
	// Larger than asked is never refunded either.
	r.ch.Set(paytest.MRefund, paytest.Amount(paytest.Done(), 600))
	res, err = r.refund(p.OrderNo, 500, r.manager)
	require.NoError(t, err)
	assert.Equal(t, payment.RefundManual, res.State)
	open, _ := r.store.OpenRefunds(context.Background())
	assert.Empty(t, open, "recovery leaves a manual refund to the person")
}

// 5. Cloud Pay 407: our number belongs to another order. The payment ends
// manual at once, is never reversed, and no query under that number ever
// settles it — not even one saying "paid" with our amount.
func TestPay_ForeignNumberNeverSettles(t *testing.T) {
	r := newRig(t, app.ChannelCloudPay)
	dup := paytest.Failed("102", "")
	dup.Res.NoReverse, dup.Res.Foreign = true, true
	r.ch.Script(paytest.MPay, dup)
	theirs := paytest.Amount(paytest.Paid("SOMEONE-ELSES"), 100)
	r.ch.Script(paytest.MQuery, theirs)
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.Equal(t, payment.IntentManual, res.State)
	assert.Equal(t, "pay.foreign", res.Msg.Code)
	assert.Empty(t, r.ch.Calls(paytest.MQuery), "no query under someone else's number")
	assert.Empty(t, r.ch.Calls(paytest.MReverse))
	in := r.intent(res.OutTradeNo)
	assert.True(t, in.Foreign)
	assert.Empty(t, in.TransactionID)

	var rep payment.RecoverReport
	r.run(time.Minute, func() { rep, err = r.pay.Recover(context.Background()) })
	require.NoError(t, err)
	require.Len(t, rep.Payments, 1)
	assert.Equal(t, payment.IntentManual, rep.Payments[0].State, "recovery never settles it from that number")
	assert.Empty(t, r.ch.Calls(paytest.MQuery))
	assert.Equal(t, app.OrderOpen, r.orderStatus(res.OrderNo), "the order is not paid")
	_, err = r.refund(res.OrderNo, 100, r.manager)
	assert.ErrorIs(t, err, payment.ErrNotRefundable, "nothing to refund: no one else's money")
}

// 6. The refund permission is read at the moment of the refund: a clerk
// whose grant was revoked (or who was disabled) after logging in cannot
// refund with the login-time record.
func TestRefund_PermissionReadAtTheAction(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	p := r.paidOrder(1000)
	ctx := context.Background()
	require.NoError(t, r.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO shift(store_id, staff_id, started_at) VALUES (?,?,?)`, r.clerk.StoreID, r.clerk.ID, t0.UnixMilli())
		return err
	}))
	loggedIn := r.clerk // as at login: holds refund
	require.True(t, loggedIn.Has(app.PermRefund))
	require.NoError(t, r.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`DELETE FROM staff_permission WHERE staff_id=?`, r.clerk.ID)
		return err
	}))
	_, err := r.refund(p.OrderNo, 100, loggedIn)
	assert.ErrorIs(t, err, app.ErrNoPermission)
	require.NoError(t, r.db.SetStaffDisabled(ctx, r.manager.ID, true))
	_, err = r.refund(p.OrderNo, 100, r.manager)
	assert.ErrorIs(t, err, app.ErrStaffDisabled)
	_, err = r.pay.Release(ctx, payment.DepositOpInput{DepositNo: p.OrderNo, StaffID: r.manager.ID})
	assert.ErrorIs(t, err, app.ErrStaffDisabled, "the deposit permission honours Disabled too")
	assert.Empty(t, r.ch.Calls(paytest.MRefund))
}

// 7. A second charge with the same payment code is refused while the first
// payment with it is still open, not only within 10 s of its creation.
func TestPay_SameCodeRefusedWhileTheFirstIsOpen(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Unknown("TRANSPORT"))
	r.ch.Script(paytest.MQuery, paytest.Unknown("TRANSPORT"))
	r.ch.Script(paytest.MReverse, paytest.Unknown("TRANSPORT"))
	first, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	require.Equal(t, payment.IntentManual, first.State, "unreachable: a person checks")
	r.clock.Advance(time.Hour)
	_, err = r.pay.Pay(context.Background(), r.input(wxCode, 100))
	require.ErrorIs(t, err, payment.ErrDuplicateScan)
	m, _ := app.AsMessage(err)
	assert.Equal(t, first.OutTradeNo, m.Args["OutTradeNo"])
	assert.Len(t, r.ch.Calls(paytest.MPay), 1)
}

// 8. Protective waits are measured on the monotonic clock: setting the
// system time forward does not shorten the 15-second reverse rule, the
// duplicate window or the deposit release wait.
func TestProtectiveWaitsSurviveClockJumps(t *testing.T) {
	t.Run("reverse rule", func(t *testing.T) {
		r := newRig(t, app.ChannelWeChat)
		r.ch.Script(paytest.MPay, paytest.Unknown("TRANSPORT"))
		r.ch.Script(paytest.MQuery, paytest.Unknown("TRANSPORT"))
		r.ch.Script(paytest.MReverse, paytest.Done())
		jumped := false
		var res payment.PayResult
		var err error
		r.run(5*time.Minute, func() {
			go func() {
				r.activeNo() // waits for the payment to be in progress
				for len(r.ch.Calls(paytest.MPay)) == 0 {
					time.Sleep(50 * time.Microsecond)
				}
				r.clock.Jump(time.Hour) // someone sets the clock an hour on
				jumped = true
				_, _ = r.pay.Cancel(context.Background(), r.activeNo())
			}()
			res, err = r.pay.Pay(context.Background(), r.input(wxCode, 100))
		})
		require.NoError(t, err)
		require.True(t, jumped)
		assert.Equal(t, payment.IntentReversed, res.State)
		rv := r.ch.Calls(paytest.MReverse)
		require.Len(t, rv, 1)
		pay := r.ch.Calls(paytest.MPay)[0]
		// The calls' times are wall times: an hour apart plus the real wait.
		assert.GreaterOrEqual(t, rv[0].At.Sub(pay.At)-time.Hour, 15*time.Second, "15 s of real time passed before the reverse")
	})
	t.Run("duplicate window", func(t *testing.T) {
		r := newRig(t, app.ChannelWeChat)
		r.ch.Script(paytest.MPay, paytest.Paid("1"))
		_, err := r.payDriven(r.input(wxCode, 100))
		require.NoError(t, err)
		r.clock.Jump(time.Hour)
		_, err = r.pay.Pay(context.Background(), r.input(wxCode, 100))
		assert.ErrorIs(t, err, payment.ErrDuplicateScan, "one second later by the monotonic clock")
		r.clock.Advance(11 * time.Second)
		_, err = r.payDriven(r.input(wxCode, 100))
		assert.NoError(t, err)
	})
	t.Run("deposit release wait", func(t *testing.T) {
		r := newRig(t, app.ChannelWeChat)
		dep := r.frozen(20000)
		frozenAt := r.ch.Calls(paytest.MPay)[0].At
		r.clock.Jump(time.Hour)
		r.ch.Script(paytest.MRelease, paytest.Done())
		var out payment.DepositOpResult
		var err error
		r.run(time.Minute, func() {
			out, err = r.pay.Release(context.Background(), payment.DepositOpInput{DepositNo: dep, StaffID: r.manager.ID})
		})
		require.NoError(t, err)
		assert.True(t, out.Done())
		rel := r.ch.Calls(paytest.MRelease)
		require.Len(t, rel, 1)
		assert.GreaterOrEqual(t, rel[0].At.Sub(frozenAt)-time.Hour, 15*time.Second)
	})
	t.Run("wall clock set back before a restart", func(t *testing.T) {
		r := newRig(t, app.ChannelWeChat)
		in := r.seedIntent(payment.IntentPaying, 0)
		r.clock.Jump(-time.Hour) // the stored send time is now "in the future"
		r.ch.Script(paytest.MQuery, paytest.Unknown("TRANSPORT"))
		r.ch.Script(paytest.MReverse, paytest.Done())
		var rep payment.RecoverReport
		var err error
		start := r.clock.Now()
		r.run(5*time.Minute, func() { rep, err = r.pay.Recover(context.Background()) })
		require.NoError(t, err)
		require.Len(t, rep.Payments, 1)
		assert.Equal(t, payment.IntentReversed, rep.Payments[0].State)
		rv := r.ch.Calls(paytest.MReverse)
		require.Len(t, rv, 1)
		assert.Equal(t, in.OutTradeNo, rv[0].Ref)
		assert.GreaterOrEqual(t, rv[0].At.Sub(start), 15*time.Second, "the full wait, not an hour, not zero")
		assert.Less(t, rv[0].At.Sub(start), 50*time.Second)
	})
}

// 12. WeChat ORDERREVERSED on a retry: the number is spent. The tender
// ends reversed (no money), and the next tender of the order gets a new
// number and pays.
func TestPay_OrderReversedSpendsTheNumber(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	reversed := paytest.Failed("ORDERREVERSED", "REVOKED")
	reversed.Res.NewOrderNo = true
	r.ch.Script(paytest.MPay, paytest.Retry("SYSTEMERROR"), reversed, paytest.Paid("42"))
	in := r.input(wxCode, 700)
	first, err := r.payDriven(in)
	require.NoError(t, err)
	assert.Equal(t, payment.IntentReversed, first.State)
	pays := r.ch.Calls(paytest.MPay)
	require.Len(t, pays, 2)
	assert.Equal(t, pays[0].Ref, pays[1].Ref, "the retry reused the number")
	r.clock.Advance(11 * time.Second)
	second, err := r.payDriven(payment.PayInput{Order: r.getOrder(in.Order.OrderNo), Code: "134567890123450000", StaffID: r.manager.ID})
	require.NoError(t, err)
	assert.True(t, second.Paid())
	assert.NotEqual(t, first.OutTradeNo, second.OutTradeNo, "a new number for the next attempt")
	assert.Equal(t, app.OrderPaid, r.orderStatus(in.Order.OrderNo))
}

// A deposit is one freeze of the whole amount: a part freeze, a second
// freeze or cash would leave money frozen at the channel that the deposit
// desk does not know. Nothing is sent.
func TestDeposit_OneFreezeOfTheWholeAmount(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Set(paytest.MPay, paytest.Paid("D1"))
	o := r.order(30000, true)
	_, err := r.payDriven(payment.PayInput{Order: o, Code: codeOf(r), Amount: 10000, StaffID: r.manager.ID})
	assert.ErrorIs(t, err, app.ErrDepositOneTender)
	assert.Empty(t, r.ch.Calls(paytest.MPay), "nothing sent")

	cash := app.Tender{OrderID: o.ID, Kind: app.TenderCash, Amount: 30000, CashReceived: 30000, StaffID: r.manager.ID, CreatedAt: r.clock.Now()}
	assert.ErrorIs(t, r.db.AddCashTender(context.Background(), &cash), app.ErrDepositOneTender, "the store refuses cash too")

	res, err := r.payDriven(payment.PayInput{Order: o, Code: codeOf(r), StaffID: r.manager.ID})
	require.NoError(t, err)
	require.True(t, res.Paid())
	// The store refuses a second freeze even for a stale copy of the order.
	_, err = r.payDriven(payment.PayInput{Order: o, Code: codeOf(r), Amount: 30000, StaffID: r.manager.ID})
	assert.Error(t, err)
	assert.Len(t, r.ch.Calls(paytest.MPay), 1)
}

// A repeat refused as "the settings are wrong" says nothing of the earlier
// unanswered call, which may have charged or refunded: the query decides.
func TestConfigRefusalOfARepeatIsQueried(t *testing.T) {
	r := newRig(t, app.ChannelCloudPay)
	r.ch.Script(paytest.MPay, paytest.Retry("3"), paytest.ConfigRefused("INVALID_KEY"))
	r.ch.Script(paytest.MQuery, paytest.Paid("1"))
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.Equal(t, payment.IntentPaid, res.State, "the first call charged the customer")

	w := newRig(t, app.ChannelWeChat)
	p := w.paidOrder(1000)
	w.ch.Script(paytest.MRefund, paytest.Unknown("TRANSPORT"), paytest.ConfigRefused("SIGNERROR"))
	w.ch.Script(paytest.MRefundQuery, paytest.NotFound("REFUNDNOTEXIST"), paytest.Amount(paytest.Done(), 400))
	rf, err := w.refund(p.OrderNo, 400, w.manager)
	require.NoError(t, err)
	assert.Equal(t, payment.RefundRefunded, rf.State, "never failed (and the amount freed) while the first send may have refunded")
}

// A consume that went to a person (another amount) keeps the deposit
// busy: money may have moved, so no second consume or release starts.
func TestDepositOp_ManualKeepsTheDepositBusy(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	no := r.frozen(30000)
	r.ch.Script(paytest.MConsume, paytest.Amount(paytest.Done(), 12000))
	res, err := r.consume(no, 10000)
	require.NoError(t, err)
	require.Equal(t, payment.DepositOpManual, res.State)
	r.ch.Set(paytest.MConsume, paytest.Amount(paytest.Done(), 5000))
	_, err = r.consume(no, 5000)
	assert.ErrorIs(t, err, payment.ErrDepositBusy)
	assert.Len(t, r.ch.Calls(paytest.MConsume), 1)
}

// --- helpers ---

func (r *rig) paidOrderWith(code string, amount app.Money) payment.PayResult {
	r.ch.Set(paytest.MPay, paytest.Paid("T"))
	res, err := r.payDriven(r.input(code, amount))
	require.NoError(r.t, err)
	require.True(r.t, res.Paid())
	r.clock.Advance(11 * time.Second)
	return res
}

// frozen takes a deposit of amount and returns its number.
func (r *rig) frozen(amount app.Money) string {
	r.ch.Set(paytest.MPay, paytest.Paid("D"+r.clock.Now().Format("150405")))
	in := r.input(codeOf(r), amount)
	in.Order = r.order(amount, true)
	res, err := r.payDriven(in)
	require.NoError(r.t, err)
	require.True(r.t, res.Paid())
	return res.OrderNo
}

// codeOf is a fresh WeChat code per rig (deposits in one test must not
// look like duplicate scans).
func codeOf(r *rig) string {
	r.codes++
	return fmt.Sprintf("13456789012%07d", r.codes)
}

func (r *rig) consume(depositNo string, amount app.Money) (payment.DepositOpResult, error) {
	var out payment.DepositOpResult
	var err error
	r.run(10*time.Minute, func() {
		out, err = r.pay.Consume(context.Background(), payment.DepositOpInput{DepositNo: depositNo, Amount: amount, StaffID: r.manager.ID})
	})
	return out, err
}
