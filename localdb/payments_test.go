package localdb_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/localdb"
)

type payFixture struct {
	db    *localdb.DB
	store *localdb.PaymentStore
	term  app.TerminalInfo
	staff app.Staff
	now   time.Time
}

func newPayFixture(t *testing.T) *payFixture {
	ctx := context.Background()
	db, err := localdb.Open(filepath.Join(t.TempDir(), "pos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	_, err = db.SeedDemo(ctx, app.PINHasher{Cost: bcrypt.MinCost}, now)
	require.NoError(t, err)
	term, err := db.CurrentTerminal(ctx)
	require.NoError(t, err)
	staff, _, err := db.StaffByCode(ctx, "1001")
	require.NoError(t, err)
	return &payFixture{db: db, store: localdb.NewPaymentStore(db), term: term, staff: staff, now: now}
}

func (f *payFixture) intent(t *testing.T, hash string, at time.Time, kind app.IntentKind) (app.Order, app.PaymentIntent, error) {
	no := app.NewOrderNo("T", at)
	ok := app.OrderSale
	if kind == app.IntentKindDeposit {
		ok = app.OrderDeposit
	}
	o := app.Order{OrderNo: no, StoreID: f.term.StoreID, TerminalID: f.term.ID, StaffID: f.staff.ID, Kind: ok,
		Status: app.OrderPaying, Total: 1000, Payable: 1000, CreatedAt: at}
	in := app.PaymentIntent{OutTradeNo: no, Kind: kind, Channel: app.ChannelWeChat, Wallet: app.WalletWeChat,
		CodeMasked: "1345**********6789", CodeHash: hash, Amount: 1000, State: app.IntentCreated, StaffID: f.staff.ID,
		CreatedAt: at, UpdatedAt: at}
	err := f.store.CreateIntent(context.Background(), &o, &in, at.Add(-10*time.Second))
	return o, in, err
}

func TestPaymentStore_DuplicateScanWindow(t *testing.T) {
	f := newPayFixture(t)
	ctx := context.Background()
	_, first, err := f.intent(t, "h1", f.now, app.IntentKindPay)
	require.NoError(t, err)
	_, _, err = f.intent(t, "h1", f.now.Add(3*time.Second), app.IntentKindPay)
	var dup *app.DuplicateScanError
	require.ErrorAs(t, err, &dup)
	assert.Equal(t, first.OutTradeNo, dup.OutTradeNo)
	n, _ := f.db.CountOrders(ctx)
	assert.Equal(t, 1, n, "the refused scan wrote nothing")

	_, _, err = f.intent(t, "h2", f.now.Add(3*time.Second), app.IntentKindPay)
	assert.NoError(t, err, "another code is another payment")

	// Once the first has failed, the same code may be scanned again.
	first.State, first.FinishedAt = app.IntentFailed, f.now.Add(4*time.Second)
	require.NoError(t, f.store.FinishIntent(ctx, &first))
	_, _, err = f.intent(t, "h1", f.now.Add(5*time.Second), app.IntentKindPay)
	require.NoError(t, err)
	// …and after the window anyway.
	_, _, err = f.intent(t, "h1", f.now.Add(16*time.Second), app.IntentKindPay)
	assert.NoError(t, err)
}

func TestPaymentStore_FinalStatesAndOrders(t *testing.T) {
	f := newPayFixture(t)
	ctx := context.Background()
	o, in, err := f.intent(t, "a", f.now, app.IntentKindPay)
	require.NoError(t, err)
	in.State, in.Attempts, in.SentAt = app.IntentSent, 1, f.now
	require.NoError(t, f.store.SaveIntent(ctx, &in))
	assert.Error(t, f.store.SaveIntent(ctx, &app.PaymentIntent{ID: in.ID, State: app.IntentPaid}), "final states go through FinishIntent")

	// manual leaves the order paying; a later paid settles both together.
	in.State = app.IntentManual
	require.NoError(t, f.store.FinishIntent(ctx, &in))
	got, _ := f.db.GetOrder(ctx, o.OrderNo)
	assert.Equal(t, app.OrderPaying, got.Status)
	open, _ := f.store.OpenIntents(ctx)
	assert.Len(t, open, 1, "manual is still watched by recovery")

	in.State, in.TransactionID, in.FinishedAt = app.IntentPaid, "4200", f.now.Add(time.Second)
	require.NoError(t, f.store.FinishIntent(ctx, &in))
	got, _ = f.db.GetOrder(ctx, o.OrderNo)
	assert.Equal(t, app.OrderPaid, got.Status)
	assert.Equal(t, app.Money(1000), got.Paid)
	assert.Equal(t, f.now.Add(time.Second).UnixMilli(), got.PaidAt.UnixMilli())

	// Settled is settled: a late second resolver cannot change it.
	in.State = app.IntentReversed
	assert.ErrorIs(t, f.store.FinishIntent(ctx, &in), app.ErrIntentSettled)
	cur, err := f.store.GetIntent(ctx, in.OutTradeNo)
	require.NoError(t, err)
	assert.Equal(t, app.IntentPaid, cur.State)
	assert.Equal(t, o.OrderNo, cur.OrderNo)
	open, _ = f.store.OpenIntents(ctx)
	assert.Empty(t, open)

	// A closed intent closes its order.
	o2, in2, err := f.intent(t, "b", f.now, app.IntentKindPay)
	require.NoError(t, err)
	in2.State = app.IntentClosed
	require.NoError(t, f.store.FinishIntent(ctx, &in2))
	got, _ = f.db.GetOrder(ctx, o2.OrderNo)
	assert.Equal(t, app.OrderClosed, got.Status)
}

func TestPaymentStore_DepositRowOnFreeze(t *testing.T) {
	f := newPayFixture(t)
	ctx := context.Background()
	o, in, err := f.intent(t, "d", f.now, app.IntentKindDeposit)
	require.NoError(t, err)
	in.State, in.TransactionID, in.FinishedAt = app.IntentPaid, "4200D", f.now
	require.NoError(t, f.store.FinishIntent(ctx, &in))
	d, err := f.store.GetDeposit(ctx, o.OrderNo)
	require.NoError(t, err)
	assert.Equal(t, app.DepositFrozen, d.State)
	assert.Equal(t, app.Money(1000), d.Amount)
	assert.Equal(t, in.OutTradeNo, d.OutTradeNo)
	assert.Equal(t, f.now.UnixMilli(), d.PaidAt.UnixMilli())

	op := app.DepositOp{DepositID: d.ID, Deposit: d, Kind: app.DepositOpConsume, OutRequestNo: "C1", Amount: 1001,
		State: app.DepositOpCreated, CreatedAt: f.now, UpdatedAt: f.now}
	assert.ErrorIs(t, f.store.CreateDepositOp(ctx, &op, app.AuditEntry{Action: "t"}), app.ErrDepositAmount)
	op.Amount = 600
	require.NoError(t, f.store.CreateDepositOp(ctx, &op, app.AuditEntry{Action: "t"}))
	other := op
	other.OutRequestNo = "C2"
	assert.ErrorIs(t, f.store.CreateDepositOp(ctx, &other, app.AuditEntry{Action: "t"}), app.ErrDepositBusy)
	ops, _ := f.store.OpenDepositOps(ctx)
	require.Len(t, ops, 1)
	assert.Equal(t, d.DepositNo, ops[0].Deposit.DepositNo)

	op.State, op.TransactionID = app.DepositOpDone, "CAPTURE1"
	require.NoError(t, f.store.FinishDepositOp(ctx, &op))
	d, _ = f.store.GetDeposit(ctx, o.OrderNo)
	assert.Equal(t, app.DepositConsumed, d.State)
	assert.Equal(t, app.Money(600), d.Consumed)
	assert.Equal(t, app.Money(400), d.Released)

	// Refund after consume: capped at the consumed 6.00 and pointed at the
	// consume's own order.
	r := app.Refund{OutRefundNo: "R1", OrderID: o.ID, IntentID: in.ID, Amount: 601, State: app.RefundCreated,
		StaffID: f.staff.ID, CreatedAt: f.now, UpdatedAt: f.now}
	var ex *app.RefundExceedsError
	require.ErrorAs(t, f.store.CreateRefund(ctx, &r, app.AuditEntry{Action: "refund"}), &ex)
	assert.Equal(t, app.Money(600), ex.Left)
	r.Amount = 600
	require.NoError(t, f.store.CreateRefund(ctx, &r, app.AuditEntry{Action: "refund"}))
	got, err := f.store.GetRefund(ctx, "R1")
	require.NoError(t, err)
	assert.True(t, got.Deposit)
	assert.Equal(t, "C1", got.ConsumeNo)
	assert.Equal(t, "CAPTURE1", got.ConsumeTxn)
	assert.Equal(t, app.Money(600), got.Consumed)
}

func TestPaymentStore_RefundCapCountsInFlight(t *testing.T) {
	f := newPayFixture(t)
	ctx := context.Background()
	o, in, err := f.intent(t, "r", f.now, app.IntentKindPay)
	require.NoError(t, err)
	in.State = app.IntentPaid
	require.NoError(t, f.store.FinishIntent(ctx, &in))
	mk := func(no string, amount app.Money) *app.Refund {
		return &app.Refund{OutRefundNo: no, OrderID: o.ID, IntentID: in.ID, Amount: amount, State: app.RefundCreated,
			StaffID: f.staff.ID, CreatedAt: f.now, UpdatedAt: f.now}
	}
	r1 := mk("R1", 700)
	require.NoError(t, f.store.CreateRefund(ctx, r1, app.AuditEntry{StaffID: f.staff.ID, Action: "refund", Subject: o.OrderNo}))
	assert.ErrorIs(t, f.store.CreateRefund(ctx, mk("R2", 100), app.AuditEntry{Action: "refund"}), app.ErrRefundInProgress,
		"one refund of an order at a time")
	r1.State = app.RefundFailed
	require.NoError(t, f.store.FinishRefund(ctx, r1))
	assert.ErrorIs(t, f.store.FinishRefund(ctx, r1), app.ErrRefundSettled)
	r2 := mk("R2", 1000)
	require.NoError(t, f.store.CreateRefund(ctx, r2, app.AuditEntry{Action: "refund"}), "a failed refund frees its amount")
	r2.State = app.RefundRefunded
	require.NoError(t, f.store.FinishRefund(ctx, r2))
	got, _ := f.db.GetOrder(ctx, o.OrderNo)
	assert.Equal(t, app.OrderRefunded, got.Status)
	assert.Equal(t, app.Money(1000), got.Refunded)
	var ex *app.RefundExceedsError
	require.ErrorAs(t, f.store.CreateRefund(ctx, mk("R3", 1), app.AuditEntry{Action: "refund"}), &ex)
	assert.Zero(t, ex.Left)
	var audits int
	require.NoError(t, f.db.Read().QueryRow(`SELECT count(*) FROM audit_log WHERE action='refund'`).Scan(&audits))
	assert.Equal(t, 2, audits, "each refund written with its audit line")
	open, _ := f.store.OpenRefunds(ctx)
	assert.Empty(t, open)
}
