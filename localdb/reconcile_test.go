package localdb_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/payment"
	"cashier/app/payment/paytest"
	"cashier/app/reconcile"
	"cashier/app/summary"
	"cashier/localdb"
)

// recDay is the bill day of these tests; China time.
var recDay = summary.Day{Year: 2026, Month: time.November, D: 30}

func recAt(h, m, s int) time.Time { return time.Date(2026, 11, 30, h, m, s, 0, app.ChinaTime) }

// fakeBills serves the bills a test made, per day; a day without one is
// "not ready".
type fakeBills struct {
	chans []app.ChannelName
	bills map[summary.Day]app.Bill
	err   error
}

func (b *fakeBills) Channels() []app.ChannelName { return b.chans }

func (b *fakeBills) Download(_ context.Context, ch app.ChannelName, day summary.Day) (app.Bill, error) {
	if b.err != nil {
		return app.Bill{}, b.err
	}
	bill, ok := b.bills[day]
	if !ok {
		return app.Bill{}, reconcile.ErrBillNotReady.With("Channel", app.ChannelTitle(ch), "Day", day.String())
	}
	from, _ := reconcile.Window(day)
	bill.Channel, bill.Date = ch, from
	return bill, nil
}

type recFixture struct {
	*payFixture
	clock *app.ManualClock
	ch    *paytest.Channel
	pay   *payment.Payments
	bills *fakeBills
	svc   *reconcile.Service
	codes int
}

func newRecFixture(t *testing.T) *recFixture {
	f := &recFixture{payFixture: newPayFixture(t), clock: app.NewManualClock(recAt(10, 0, 0))}
	f.ch = paytest.NewChannel(app.ChannelWeChat, f.clock)
	f.ch.Set(paytest.MPay, paytest.Paid("TXN")).Set(paytest.MRefund, paytest.Done()).Set(paytest.MConsume, paytest.Done())
	var err error
	f.pay, err = payment.New(payment.Config{Store: f.store, Channels: map[app.Wallet]app.PaymentChannel{app.WalletWeChat: f.ch},
		Clock: f.clock, Terminal: payment.Terminal{StoreCode: "S1", TerminalCode: "T1", NumberPrefix: "sz01T1"},
		Permits: auth.Rules{Store: f.db}})
	require.NoError(t, err)
	f.bills = &fakeBills{chans: []app.ChannelName{app.ChannelWeChat}, bills: map[summary.Day]app.Bill{}}
	f.svc = &reconcile.Service{Store: f.db.ReconcileStore(), Bills: f.bills, Settler: f.pay, Permits: auth.Rules{Store: f.db},
		Clock: f.clock, Prefix: f.pay.NumberPrefix()}
	return f
}

func (f *recFixture) code() string {
	f.codes++
	return "13456789012345" + string(rune('0'+f.codes/1000%10)) + string(rune('0'+f.codes/100%10)) +
		string(rune('0'+f.codes/10%10)) + string(rune('0'+f.codes%10))
}

// sale pays amount by a wallet tender at the clock's time.
func (f *recFixture) sale(t *testing.T, amount app.Money) payment.PayResult {
	o := f.order(t, amount, app.OrderSale, f.clock.Now())
	res, err := f.pay.Pay(context.Background(), payment.PayInput{Order: o, Code: f.code(), StaffID: f.staff.ID})
	require.NoError(t, err)
	require.Equal(t, payment.IntentPaid, res.State)
	return res
}

// unknown writes a wallet tender whose pay call went unanswered.
func (f *recFixture) unknown(t *testing.T, amount app.Money) payment.PaymentIntent {
	now := f.clock.Now()
	o := f.order(t, amount, app.OrderSale, now)
	in := payment.PaymentIntent{OutTradeNo: app.NewOrderNo("sz01T1", now), OrderID: o.ID, OrderNo: o.OrderNo, Kind: payment.IntentKindPay,
		Channel: app.ChannelWeChat, Wallet: app.WalletWeChat, CodeMasked: "1345**********0000", CodeHash: f.code(),
		Amount: amount, State: payment.IntentCreated, StaffID: f.staff.ID, CreatedAt: now, UpdatedAt: now}
	require.NoError(t, f.store.CreateIntent(context.Background(), &in, now.Add(-10*time.Second)))
	in.State, in.SentAt, in.Attempts = payment.IntentUnknown, now, 1
	require.NoError(t, f.store.SaveIntent(context.Background(), &in))
	return in
}

func line(no, txn string, amount app.Money, at time.Time) app.BillLine {
	return app.BillLine{Time: at, OutTradeNo: no, TransactionID: txn, Status: "SUCCESS", Amount: amount, Fee: (amount*6 + 500) / 1000}
}

func refundRow(no, order string, amount app.Money, at time.Time) app.BillLine {
	return app.BillLine{Time: at, OutTradeNo: order, OutRefundNo: no, Status: "REFUND", RefundAmount: amount, Fee: -(amount*6 + 500) / 1000}
}

func byRef(lines []reconcile.Difference) map[string]reconcile.Difference {
	out := map[string]reconcile.Difference{}
	for _, d := range lines {
		if prev, ok := out[d.Ref]; !ok || (prev.Resolved() && !d.Resolved()) {
			out[d.Ref] = d
		}
	}
	return out
}

func unresolved(lines []reconcile.Difference) map[string]reconcile.Kind {
	out := map[string]reconcile.Kind{}
	for _, d := range lines {
		if !d.Resolved() {
			out[d.Ref] = d.Kind
		}
	}
	return out
}

// A day with a difference of each kind: all of them are found and only
// them; settling the unknown payment matches it, an explanation resolves
// another (audited); a rerun replaces what is unresolved and keeps what
// was resolved; a corrected bill leaves the day reconciled.
func TestReconcile_DayFindsEachKindSettlesExplainsReruns(t *testing.T) {
	f := newRecFixture(t)
	ctx := context.Background()
	p1 := f.sale(t, 1250)
	f.clock.Advance(time.Minute)
	p2 := f.sale(t, 3000)
	r1, err := f.pay.Refund(ctx, payment.RefundInput{OrderNo: p2.OrderNo, Amount: 500, StaffID: f.staff.ID})
	require.NoError(t, err)
	require.True(t, r1.Refunded())
	p3 := f.sale(t, 2000) // here only
	p4 := f.sale(t, 1000) // 1 fen more in the bill
	p5 := f.unknown(t, 700)
	f.clock.Advance(time.Hour)

	only := "sz01T1X99990001" // at the channel only
	bill := app.Bill{Lines: []app.BillLine{
		line(p1.OutTradeNo, "TXN", 1250, recAt(10, 0, 0)),
		line(p2.OutTradeNo, "TXN", 3000, recAt(10, 1, 0)),
		refundRow(r1.OutRefundNo, p2.OutTradeNo, 500, recAt(10, 1, 0)),
		line(p4.OutTradeNo, "TXN", 1001, recAt(10, 1, 0)),
		line(p5.OutTradeNo, "TXN5", 700, recAt(10, 1, 0)),
		line(only, "TXN6", 800, recAt(10, 2, 0)),
		line(p1.OutTradeNo, "TXN", 1250, recAt(10, 0, 0)), // a copy
		line("sz01T2OTHER1", "TXN7", 4400, recAt(10, 3, 0)),
	}}
	f.bills.bills[recDay] = bill
	res, err := f.svc.DayAs(ctx, f.staff.ID, recDay, app.ChannelWeChat)
	require.NoError(t, err)
	assert.Equal(t, map[string]reconcile.Kind{
		only:          reconcile.MissingLocal,
		p3.OutTradeNo: reconcile.MissingChannel,
		p4.OutTradeNo: reconcile.AmountDiffers,
		p5.OutTradeNo: reconcile.StateDiffers,
	}, unresolved(res.Differences))
	lines := byRef(res.Differences)
	assert.Equal(t, reconcile.Matched, lines[p1.OutTradeNo].Kind, "kept for its copy in the bill")
	assert.Equal(t, 1, lines[p1.OutTradeNo].Seen.Duplicates)
	assert.Len(t, res.Differences, 5)
	run := res.Run
	assert.Equal(t, reconcile.StatusOpen, run.Status)
	assert.Equal(t, 4, run.Open)
	assert.Equal(t, 3, run.Matched)
	assert.Equal(t, 1, run.Duplicates)
	assert.Equal(t, reconcile.Totals{Count: 5, Amount: 1250 + 3000 + 1001 + 700 + 800, RefundCount: 1, RefundAmount: 500,
		Fee: 8 + 18 - 3 + 6 + 4 + 5}, run.Bill)
	assert.Equal(t, reconcile.Totals{Count: 1, Amount: 4400, Fee: 26}, run.Others)
	assert.Equal(t, reconcile.Totals{Count: 4, Amount: 1250 + 3000 + 2000 + 1000, RefundCount: 1, RefundAmount: 500}, run.Local)
	assert.Equal(t, p3.OrderNo, lines[p3.OutTradeNo].OrderNo)
	assert.Equal(t, "unknown", lines[p5.OutTradeNo].LocalStored)

	// Settle the unknown payment: the channel says paid, so it matches.
	f.ch.Set(paytest.MQuery, paytest.Amount(paytest.Paid("TXN5"), 700))
	d, err := f.svc.Settle(ctx, f.staff.ID, lines[p5.OutTradeNo].ID)
	require.NoError(t, err)
	assert.Equal(t, reconcile.Matched, d.Kind)
	assert.Equal(t, reconcile.ResolvedMatched, d.Resolution)
	in, err := f.store.GetIntent(ctx, p5.OutTradeNo)
	require.NoError(t, err)
	assert.Equal(t, payment.IntentPaid, in.State, "settled through the state machine")

	// Settling what is settled here already changes nothing: it stays.
	d, err = f.svc.Settle(ctx, f.staff.ID, lines[p3.OutTradeNo].ID)
	require.NoError(t, err)
	assert.Equal(t, reconcile.MissingChannel, d.Kind)
	assert.False(t, d.Resolved())
	assert.Len(t, f.ch.Calls(paytest.MQuery), 1, "a settled payment is not asked about")
	// Nothing here to settle.
	_, err = f.svc.Settle(ctx, f.staff.ID, lines[only].ID)
	assert.ErrorIs(t, err, reconcile.ErrNothingToSettle)

	// Explain the one at the channel only: audited with the note.
	_, err = f.svc.Explain(ctx, f.staff.ID, lines[only].ID, "  ")
	assert.ErrorIs(t, err, reconcile.ErrNoteNeeded)
	d, err = f.svc.Explain(ctx, f.staff.ID, lines[only].ID, "收银台断网，顾客在柜台另付 / paid at the front desk")
	require.NoError(t, err)
	assert.Equal(t, reconcile.ResolvedExplained, d.Resolution)
	_, err = f.svc.Explain(ctx, f.staff.ID, lines[only].ID, "again")
	assert.ErrorIs(t, err, reconcile.ErrResolved)
	audit, err := f.db.ListAudit(ctx, localdb.AuditFilter{Action: reconcile.AuditExplain})
	require.NoError(t, err)
	require.Len(t, audit, 1)
	assert.Equal(t, only, audit[0].Subject)
	assert.Equal(t, f.staff.ID, audit[0].StaffID)
	assert.Contains(t, audit[0].Detail, "收银台断网")
	assert.Contains(t, audit[0].Detail, "missing_local")

	res, err = f.svc.Result(ctx, f.staff.ID, recDay, app.ChannelWeChat)
	require.NoError(t, err)
	assert.Equal(t, 2, res.Run.Open)
	assert.Equal(t, reconcile.StatusOpen, res.Run.Status)
	explained := byRef(res.Differences)[only]
	assert.Equal(t, f.staff.Name, explained.ResolvedByName)

	// A rerun: the unresolved lines are found again (new rows), the
	// explained and the settled ones keep their resolutions.
	res, err = f.svc.DayAs(ctx, f.staff.ID, recDay, app.ChannelWeChat)
	require.NoError(t, err)
	assert.Equal(t, map[string]reconcile.Kind{p3.OutTradeNo: reconcile.MissingChannel, p4.OutTradeNo: reconcile.AmountDiffers},
		unresolved(res.Differences))
	lines = byRef(res.Differences)
	assert.Equal(t, reconcile.ResolvedExplained, lines[only].Resolution)
	assert.Equal(t, explained.ID, lines[only].ID, "the explained line is the same row")
	assert.Equal(t, reconcile.ResolvedMatched, lines[p5.OutTradeNo].Resolution)
	assert.Equal(t, 2, res.Run.Open)
	assert.Len(t, res.Differences, 5, "nothing doubled")

	// The channel corrects its bill: the day is reconciled.
	bill.Lines[3].Amount = 1000
	bill.Lines = append(bill.Lines, line(p3.OutTradeNo, "TXN", 2000, recAt(10, 1, 0)))
	f.bills.bills[recDay] = bill
	res, err = f.svc.Day(ctx, recDay, app.ChannelWeChat)
	require.NoError(t, err)
	assert.Empty(t, unresolved(res.Differences))
	assert.Equal(t, reconcile.StatusDone, res.Run.Status)
	assert.Zero(t, res.Run.StaffID, "the scheduled job")
	assert.Equal(t, reconcile.ResolvedExplained, byRef(res.Differences)[only].Resolution, "an explanation stands")
}

func TestReconcile_NotReadyEmptyFailedKeepsResult(t *testing.T) {
	f := newRecFixture(t)
	ctx := context.Background()

	// Nothing here and no bill: nothing to reconcile.
	res, err := f.svc.Day(ctx, recDay, app.ChannelWeChat)
	require.NoError(t, err)
	assert.Equal(t, reconcile.StatusEmpty, res.Run.Status)
	assert.True(t, res.Run.Status.Reconciled())

	// A sale, and still no bill: not ready, never an empty day.
	p := f.sale(t, 990)
	res, err = f.svc.Day(ctx, recDay, app.ChannelWeChat)
	require.ErrorIs(t, err, reconcile.ErrBillNotReady)
	assert.Equal(t, reconcile.StatusNotReady, res.Run.Status)
	assert.False(t, res.Run.Status.Reconciled())
	assert.Equal(t, "reconcile.bill_not_ready", res.Run.Error.Code)
	assert.Empty(t, res.Differences)

	// A bill that cannot be used: failed, with the client's words.
	f.bills.err = errors.New("微信支付账单格式不对 / the WeChat bill is malformed: the summary is missing (truncated bill?)")
	res, err = f.svc.Day(ctx, recDay, app.ChannelWeChat)
	require.ErrorIs(t, err, reconcile.ErrBillUnusable)
	assert.Equal(t, reconcile.StatusFailed, res.Run.Status)
	assert.Contains(t, res.Run.Error.Args["Reason"], "truncated")
	assert.Equal(t, app.ChannelTitle(app.ChannelWeChat), res.Run.Error.Args["Channel"])

	// A good bill: done. A later failed attempt keeps that result.
	f.bills.err = nil
	f.bills.bills[recDay] = app.Bill{Lines: []app.BillLine{line(p.OutTradeNo, "TXN", 990, recAt(10, 0, 0))}}
	res, err = f.svc.Day(ctx, recDay, app.ChannelWeChat)
	require.NoError(t, err)
	assert.Equal(t, reconcile.StatusDone, res.Run.Status)
	assert.True(t, res.Run.Error.IsZero())
	f.bills.err = errors.New("not a zip")
	res, err = f.svc.Day(ctx, recDay, app.ChannelWeChat)
	require.Error(t, err)
	assert.Equal(t, reconcile.StatusDone, res.Run.Status, "the result stands")
	assert.Equal(t, "reconcile.bill_unusable", res.Run.Error.Code, "beside the failure")
	assert.Equal(t, 1, res.Run.Matched)

	// Another day's bill is refused.
	f.bills.err = nil
	wrong := f.bills.bills[recDay]
	f.bills.bills[summary.Day{Year: 2026, Month: time.November, D: 29}] = wrong
	bills := &dateBills{fakeBills: f.bills, date: recAt(-24, 0, 0)}
	f.svc.Bills = bills
	_, err = f.svc.Day(ctx, recDay, app.ChannelWeChat)
	assert.ErrorIs(t, err, reconcile.ErrBillMismatch)
	f.svc.Bills = f.bills

	// A day not begun, a channel not configured.
	_, err = f.svc.Day(ctx, summary.Day{Year: 2026, Month: time.December, D: 1}, app.ChannelWeChat)
	assert.ErrorIs(t, err, reconcile.ErrFutureDay)
	_, err = f.svc.Day(ctx, recDay, app.ChannelAlipay)
	assert.ErrorIs(t, err, reconcile.ErrNoChannel)
}

// dateBills answers with a bill dated date whatever day is asked.
type dateBills struct {
	*fakeBills
	date time.Time
}

func (b *dateBills) Download(ctx context.Context, ch app.ChannelName, day summary.Day) (app.Bill, error) {
	bill, err := b.fakeBills.Download(ctx, ch, day)
	bill.Date = b.date
	return bill, err
}

// A payment the channel took at 23:59:58 that settled here after midnight
// is the bill day's: not missing there, and not missing the next day
// either, whichever day is reconciled first.
func TestReconcile_AroundMidnight(t *testing.T) {
	f := newRecFixture(t)
	ctx := context.Background()
	f.clock.Jump(recAt(23, 59, 58).Sub(f.clock.Now()))
	f.ch.Set(paytest.MPay, paytest.Reply{Res: paytest.Paid("TXN").Res, Then: func() { f.clock.Jump(5 * time.Second) }})
	late := f.sale(t, 1500)
	f.ch.Set(paytest.MPay, paytest.Paid("TXN"))
	next := summary.Day{Year: 2026, Month: time.December, D: 1}
	f.clock.Jump(2 * time.Hour)
	other := f.sale(t, 200)
	f.clock.Jump(24 * time.Hour)

	f.bills.bills[next] = app.Bill{Lines: []app.BillLine{line(other.OutTradeNo, "TXN", 200, recAt(26, 0, 0))}}
	res, err := f.svc.Day(ctx, next, app.ChannelWeChat)
	require.NoError(t, err)
	assert.Equal(t, map[string]reconcile.Kind{late.OutTradeNo: reconcile.MissingChannel}, unresolved(res.Differences),
		"settled here on the next day, and its bill does not have it")

	f.bills.bills[recDay] = app.Bill{Lines: []app.BillLine{line(late.OutTradeNo, "TXN", 1500, recAt(23, 59, 58))}}
	res, err = f.svc.Day(ctx, recDay, app.ChannelWeChat)
	require.NoError(t, err)
	assert.Equal(t, reconcile.StatusDone, res.Run.Status)
	assert.Equal(t, 1, res.Run.Local.Count)

	res, err = f.svc.Result(ctx, f.staff.ID, next, app.ChannelWeChat)
	require.NoError(t, err)
	assert.Equal(t, reconcile.StatusDone, res.Run.Status, "the day before's bill had it")
	require.Len(t, res.Differences, 1)
	assert.Equal(t, reconcile.ResolvedMatched, res.Differences[0].Resolution)
	assert.Equal(t, recDay, res.Differences[0].MatchedOn)

	res, err = f.svc.Day(ctx, next, app.ChannelWeChat)
	require.NoError(t, err)
	assert.Equal(t, reconcile.StatusDone, res.Run.Status, "a rerun does not miss it again")
	assert.Empty(t, unresolved(res.Differences))
}

func TestReconcile_DepositsAndRefundsStates(t *testing.T) {
	f := newRecFixture(t)
	ctx := context.Background()
	o := f.order(t, 10000, app.OrderDeposit, f.clock.Now())
	dep, err := f.pay.Pay(ctx, payment.PayInput{Order: o, Code: f.code(), StaffID: f.staff.ID})
	require.NoError(t, err)
	require.True(t, dep.Paid())
	f.clock.Advance(time.Minute)
	c, err := f.pay.Consume(ctx, payment.DepositOpInput{DepositNo: o.OrderNo, Amount: 3000, StaffID: f.staff.ID})
	require.NoError(t, err)
	require.True(t, c.Done())

	o2 := f.order(t, 5000, app.OrderDeposit, f.clock.Now())
	dep2, err := f.pay.Pay(ctx, payment.PayInput{Order: o2, Code: f.code(), StaffID: f.staff.ID})
	require.NoError(t, err)
	f.clock.Advance(time.Minute)
	// A release whose answer was lost.
	f.ch.Set(paytest.MRelease, paytest.Unknown("SYSTEMERROR")).Set(paytest.MOpQuery, paytest.Unknown("SYSTEMERROR"))
	relCtx, cancel := context.WithCancel(ctx)
	f.ch.Set(paytest.MRelease, paytest.Reply{Res: paytest.Unknown("SYSTEMERROR").Res, Then: cancel})
	rel, _ := f.pay.Release(relCtx, payment.DepositOpInput{DepositNo: o2.OrderNo, StaffID: f.staff.ID})
	require.NotEmpty(t, rel.OutRequestNo)
	op, err := f.store.GetDepositOp(ctx, rel.OutRequestNo)
	require.NoError(t, err)
	require.False(t, op.State.Final(), "left %s", op.State)

	// WeChat bills the consumption under the deposit's number; freezes and
	// releases are in no bill.
	f.bills.bills[recDay] = app.Bill{Lines: []app.BillLine{line(dep.OutTradeNo, "TXN", 3000, recAt(10, 1, 0))}}
	res, err := f.svc.Day(ctx, recDay, app.ChannelWeChat)
	require.NoError(t, err)
	assert.Equal(t, map[string]reconcile.Kind{rel.OutRequestNo: reconcile.StateDiffers}, unresolved(res.Differences))
	assert.Equal(t, 1, res.Run.Matched)
	assert.Equal(t, reconcile.Totals{Count: 1, Amount: 3000}, res.Run.Local)
	_ = dep2

	// Settling the release queries it: done.
	f.ch.Set(paytest.MOpQuery, paytest.Amount(paytest.Done(), 5000))
	d, err := f.svc.Settle(ctx, f.staff.ID, byRef(res.Differences)[rel.OutRequestNo].ID)
	require.NoError(t, err)
	assert.Equal(t, reconcile.ResolvedMatched, d.Resolution, "a release settled is all a bill would say of it")
	res, err = f.svc.Result(ctx, f.staff.ID, recDay, app.ChannelWeChat)
	require.NoError(t, err)
	assert.Equal(t, reconcile.StatusDone, res.Run.Status)
}

func TestReconcile_Permissions(t *testing.T) {
	f := newRecFixture(t)
	ctx := context.Background()
	p := f.sale(t, 100)
	f.bills.bills[recDay] = app.Bill{Lines: []app.BillLine{line(p.OutTradeNo, "TXN", 101, recAt(10, 0, 0))}}
	clerk, _, err := f.db.StaffByCode(ctx, "1003")
	require.NoError(t, err)
	_, err = f.svc.DayAs(ctx, clerk.ID, recDay, app.ChannelWeChat)
	require.ErrorIs(t, err, app.ErrNoPermission)
	_, err = f.svc.Runs(ctx, clerk.ID, recDay, recDay)
	require.ErrorIs(t, err, app.ErrNoPermission)

	res, err := f.svc.DayAs(ctx, f.staff.ID, recDay, app.ChannelWeChat)
	require.NoError(t, err)
	require.Len(t, res.Differences, 1)
	id := res.Differences[0].ID
	_, err = f.svc.Explain(ctx, clerk.ID, id, "checked")
	require.ErrorIs(t, err, app.ErrNoPermission)
	_, err = f.svc.Settle(ctx, clerk.ID, id)
	require.ErrorIs(t, err, app.ErrNoPermission)
	_, err = f.svc.Explain(ctx, f.staff.ID, id, strings.Repeat("长", reconcile.MaxNote+1))
	require.ErrorIs(t, err, reconcile.ErrNoteTooLong)
	d, err := f.svc.Find(ctx, f.staff.ID, recDay, app.ChannelWeChat, p.OrderNo)
	require.NoError(t, err)
	assert.Equal(t, id, d.ID, "found by the order's number too")
	_, err = f.svc.Find(ctx, f.staff.ID, recDay, app.ChannelWeChat, "nope")
	require.ErrorIs(t, err, reconcile.ErrNoDifference)

	runs, err := f.svc.Runs(ctx, f.staff.ID, recDay, recDay)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, 1, runs[0].Open)
	assert.Equal(t, f.staff.ID, runs[0].StaffID)

	// The audit log is append-only, reconcile_line is not: a resolution
	// is never taken back by the store.
	require.NoError(t, f.db.Write(ctx, func(tx *sql.Tx) error { return nil }))
}
