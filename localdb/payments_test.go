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
	"cashier/app/auth"
	"cashier/app/payment"
	"cashier/app/sale"
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
	_, err = db.SeedDemo(ctx, auth.PINHasher{Cost: bcrypt.MinCost}, now)
	require.NoError(t, err)
	term, err := db.CurrentTerminal(ctx)
	require.NoError(t, err)
	staff, _, err := db.StaffByCode(ctx, "1001")
	require.NoError(t, err)
	return &payFixture{db: db, store: localdb.NewPaymentStore(db), term: term, staff: staff, now: now}
}

func (f *payFixture) order(t *testing.T, payable app.Money, kind app.OrderKind, at time.Time) app.Order {
	o := app.Order{OrderNo: app.NewOrderNo("T", at), StoreID: f.term.StoreID, TerminalID: f.term.ID, StaffID: f.staff.ID,
		Kind: kind, Status: app.OrderOpen, Total: payable, Payable: payable, CreatedAt: at}
	require.NoError(t, f.db.CreateOrder(context.Background(), &o))
	return o
}

func (f *payFixture) tender(o app.Order, hash string, amount app.Money, at time.Time) (payment.PaymentIntent, error) {
	kind := payment.IntentKindPay
	if o.Kind == app.OrderDeposit {
		kind = payment.IntentKindDeposit
	}
	in := payment.PaymentIntent{OutTradeNo: app.NewOrderNo("P", at), OrderID: o.ID, OrderNo: o.OrderNo, Kind: kind,
		Channel: app.ChannelWeChat, Wallet: app.WalletWeChat, CodeMasked: "1345**********6789", CodeHash: hash,
		Amount: amount, State: payment.IntentCreated, StaffID: f.staff.ID, CreatedAt: at, UpdatedAt: at}
	err := f.store.CreateIntent(context.Background(), &in, at.Add(-10*time.Second))
	return in, err
}

func (f *payFixture) status(t *testing.T, no string) app.Order {
	o, err := f.db.GetOrder(context.Background(), no)
	require.NoError(t, err)
	return o
}

func TestPaymentStore_DuplicateScan(t *testing.T) {
	f := newPayFixture(t)
	ctx := context.Background()
	o := f.order(t, 1000, app.OrderSale, f.now)
	first, err := f.tender(o, "h1", 1000, f.now)
	require.NoError(t, err)
	o2 := f.order(t, 1000, app.OrderSale, f.now)
	_, err = f.tender(o2, "h1", 1000, f.now.Add(3*time.Second))
	require.ErrorIs(t, err, payment.ErrDuplicateScan)
	m, _ := app.AsMessage(err)
	assert.Equal(t, first.OutTradeNo, m.Args["OutTradeNo"])
	assert.Empty(t, f.status(t, o2.OrderNo).Tenders, "the refused scan wrote nothing")

	_, err = f.tender(o2, "h2", 1000, f.now.Add(3*time.Second))
	assert.NoError(t, err, "another code is another payment")

	// While the first payment with the code is still open it is refused
	// even long after the window (the customer's code cannot be charged
	// twice because a wait outlasted 10 s).
	o3 := f.order(t, 500, app.OrderSale, f.now)
	_, err = f.tender(o3, "h1", 500, f.now.Add(time.Hour))
	require.ErrorIs(t, err, payment.ErrDuplicateScan)
	// Once the first has failed, the same code may be scanned again.
	first.State, first.FinishedAt = payment.IntentFailed, f.now.Add(4*time.Second)
	require.NoError(t, f.store.FinishIntent(ctx, &first))
	_, err = f.tender(o3, "h1", 500, f.now.Add(5*time.Second))
	require.NoError(t, err)
}

// Orders before tenders: an order is paid when its paid tenders cover it;
// a failed tender leaves it open with the others intact; the store never
// lets tenders add up to more than the order.
func TestPaymentStore_SplitTenders(t *testing.T) {
	f := newPayFixture(t)
	ctx := context.Background()
	o := f.order(t, 1000, app.OrderSale, f.now)
	a, err := f.tender(o, "a", 600, f.now)
	require.NoError(t, err)
	_, err = f.tender(o, "b", 500, f.now)
	require.ErrorIs(t, err, app.ErrTenderTooLarge, "600 pending + 500 > 1000")
	b, err := f.tender(o, "b", 400, f.now)
	require.NoError(t, err)

	a.State, a.FinishedAt = payment.IntentPaid, f.now
	require.NoError(t, f.store.FinishIntent(ctx, &a))
	got := f.status(t, o.OrderNo)
	assert.Equal(t, app.OrderOpen, got.Status, "one of two tenders paid")
	assert.Equal(t, app.Money(600), got.Paid)

	b.State, b.FinishedAt = payment.IntentFailed, f.now
	require.NoError(t, f.store.FinishIntent(ctx, &b))
	got = f.status(t, o.OrderNo)
	assert.Equal(t, app.OrderOpen, got.Status, "a failed tender leaves the order open")
	assert.Equal(t, app.Money(400), got.Due())
	require.Len(t, got.Tenders, 2)
	assert.Equal(t, app.TenderPaid, got.Tenders[0].State, "the first tender is intact")
	assert.Equal(t, app.TenderFailed, got.Tenders[1].State)

	// Cash covers the rest: the order is paid.
	cash := app.Tender{OrderID: o.ID, Amount: 400, CashReceived: 500, StaffID: f.staff.ID, CreatedAt: f.now}
	require.NoError(t, f.db.AddCashTender(ctx, &cash))
	got = f.status(t, o.OrderNo)
	assert.Equal(t, app.OrderPaid, got.Status)
	assert.Equal(t, app.Money(1000), got.Paid)
	assert.Equal(t, app.Money(100), got.Tenders[2].Change())
	_, err = f.tender(got, "c", 1, f.now)
	assert.ErrorIs(t, err, app.ErrOrderNotOpen)
}

// Compare-and-set: a writer holding a stale copy changes nothing.
func TestPaymentStore_StaleWritesRefused(t *testing.T) {
	f := newPayFixture(t)
	ctx := context.Background()
	o := f.order(t, 1000, app.OrderSale, f.now)
	in, err := f.tender(o, "a", 1000, f.now)
	require.NoError(t, err)
	stale := in // what another process listed while created
	in.State, in.Attempts, in.SentAt = payment.IntentSent, 1, f.now
	require.NoError(t, f.store.SaveIntent(ctx, &in))
	stale.State = payment.IntentClosed
	require.ErrorIs(t, f.store.FinishIntent(ctx, &stale), payment.ErrStale)
	cur, err := f.store.GetIntent(ctx, in.OutTradeNo)
	require.NoError(t, err)
	assert.Equal(t, payment.IntentSent, cur.State, "the stale close changed nothing")
	assert.Equal(t, app.TenderPending, f.status(t, o.OrderNo).Tenders[0].State)

	// manual leaves the tender pending; a later paid settles it.
	in.State = payment.IntentManual
	require.NoError(t, f.store.FinishIntent(ctx, &in))
	assert.Equal(t, app.OrderOpen, f.status(t, o.OrderNo).Status)
	open, _ := f.store.OpenIntents(ctx)
	assert.Len(t, open, 1, "manual is still watched by recovery")
	in.State, in.TransactionID, in.FinishedAt = payment.IntentPaid, "4200", f.now.Add(time.Second)
	require.NoError(t, f.store.FinishIntent(ctx, &in))
	got := f.status(t, o.OrderNo)
	assert.Equal(t, app.OrderPaid, got.Status)
	assert.Equal(t, f.now.Add(time.Second).UnixMilli(), got.PaidAt.UnixMilli())
	// A late second resolver with the copy before "paid" cannot change it.
	late := in
	late.Version--
	late.State = payment.IntentReversed
	assert.ErrorIs(t, f.store.FinishIntent(ctx, &late), payment.ErrStale)
	cur, _ = f.store.GetIntent(ctx, in.OutTradeNo)
	assert.Equal(t, payment.IntentPaid, cur.State)
	assert.Error(t, f.store.SaveIntent(ctx, &payment.PaymentIntent{ID: in.ID, State: payment.IntentPaid}), "final states go through FinishIntent")
}

func TestPaymentStore_DepositRowOnFreeze(t *testing.T) {
	f := newPayFixture(t)
	ctx := context.Background()
	o := f.order(t, 1000, app.OrderDeposit, f.now)
	in, err := f.tender(o, "d", 1000, f.now)
	require.NoError(t, err)
	in.State, in.TransactionID, in.FinishedAt = payment.IntentPaid, "4200D", f.now
	require.NoError(t, f.store.FinishIntent(ctx, &in))
	d, err := f.store.GetDeposit(ctx, o.OrderNo)
	require.NoError(t, err)
	assert.Equal(t, payment.DepositFrozen, d.State)
	assert.Equal(t, app.Money(1000), d.Amount)
	assert.Equal(t, in.OutTradeNo, d.OutTradeNo)
	byTxn, err := f.store.GetDeposit(ctx, "4200D")
	require.NoError(t, err, "found by the wallet's transaction number too")
	assert.Equal(t, d.ID, byTxn.ID)

	op := payment.DepositOp{DepositID: d.ID, Deposit: d, Kind: app.DepositOpConsume, OutRequestNo: "C1", Amount: 1001,
		State: payment.DepositOpCreated, CreatedAt: f.now, UpdatedAt: f.now}
	assert.ErrorIs(t, f.store.CreateDepositOp(ctx, &op, app.AuditEntry{Action: "t"}), payment.ErrDepositAmount)
	op.Amount = 600
	require.NoError(t, f.store.CreateDepositOp(ctx, &op, app.AuditEntry{Action: "t"}))
	other := op
	other.OutRequestNo = "C2"
	assert.ErrorIs(t, f.store.CreateDepositOp(ctx, &other, app.AuditEntry{Action: "t"}), payment.ErrDepositBusy)
	ops, _ := f.store.OpenDepositOps(ctx)
	require.Len(t, ops, 1)
	assert.Equal(t, d.DepositNo, ops[0].Deposit.DepositNo)

	stale := op
	op.State = payment.DepositOpRefused
	require.NoError(t, f.store.SaveDepositOp(ctx, &op))
	stale.State = payment.DepositOpFailed
	assert.ErrorIs(t, f.store.FinishDepositOp(ctx, &stale), payment.ErrStale)

	op.State, op.TransactionID = payment.DepositOpDone, "CAPTURE1"
	require.NoError(t, f.store.FinishDepositOp(ctx, &op))
	d, _ = f.store.GetDeposit(ctx, o.OrderNo)
	assert.Equal(t, payment.DepositConsumed, d.State)
	assert.Equal(t, app.Money(600), d.Consumed)
	assert.Equal(t, app.Money(400), d.Released)

	// Refund after consume: capped at the consumed 6.00 and pointed at the
	// consume's own order.
	r := payment.Refund{OutRefundNo: "R1", OrderID: o.ID, IntentID: in.ID, Amount: 601, State: payment.RefundCreated,
		StaffID: f.staff.ID, CreatedAt: f.now, UpdatedAt: f.now}
	err = f.store.CreateRefund(ctx, &r, app.AuditEntry{Action: "refund"})
	require.ErrorIs(t, err, payment.ErrRefundExceeds)
	m, _ := app.AsMessage(err)
	assert.Equal(t, app.Money(600), m.Args["Left"])
	r.Amount = 600
	require.NoError(t, f.store.CreateRefund(ctx, &r, app.AuditEntry{Action: "refund"}))
	got, err := f.store.GetRefund(ctx, "R1")
	require.NoError(t, err)
	assert.True(t, got.Deposit)
	assert.Equal(t, "C1", got.ConsumeNo)
	assert.Equal(t, "CAPTURE1", got.ConsumeTxn)
	assert.Equal(t, app.Money(600), got.Consumed)
}

func TestPaymentStore_RefundCapCountsInFlightAndManual(t *testing.T) {
	f := newPayFixture(t)
	ctx := context.Background()
	o := f.order(t, 1000, app.OrderSale, f.now)
	in, err := f.tender(o, "r", 1000, f.now)
	require.NoError(t, err)
	in.State = payment.IntentPaid
	require.NoError(t, f.store.FinishIntent(ctx, &in))
	mk := func(no string, amount app.Money) *payment.Refund {
		return &payment.Refund{OutRefundNo: no, OrderID: o.ID, IntentID: in.ID, Amount: amount, State: payment.RefundCreated,
			StaffID: f.staff.ID, CreatedAt: f.now, UpdatedAt: f.now}
	}
	r1 := mk("R1", 700)
	require.NoError(t, f.store.CreateRefund(ctx, r1, app.AuditEntry{StaffID: f.staff.ID, Action: "refund", Subject: o.OrderNo}))
	assert.ErrorIs(t, f.store.CreateRefund(ctx, mk("R2", 100), app.AuditEntry{Action: "refund"}), payment.ErrRefundInProgress,
		"one refund of a payment at a time")
	r1.State = payment.RefundFailed
	require.NoError(t, f.store.FinishRefund(ctx, r1))
	assert.ErrorIs(t, f.store.FinishRefund(ctx, r1), payment.ErrStale, "settled is settled")
	r2 := mk("R2", 600)
	require.NoError(t, f.store.CreateRefund(ctx, r2, app.AuditEntry{Action: "refund"}), "a failed refund frees its amount")
	r2.State = payment.RefundManual
	require.NoError(t, f.store.FinishRefund(ctx, r2))
	err = f.store.CreateRefund(ctx, mk("R3", 401), app.AuditEntry{Action: "refund"})
	require.ErrorIs(t, err, payment.ErrRefundExceeds, "a refund a person must check still holds its amount")
	r3 := mk("R3", 400)
	require.NoError(t, f.store.CreateRefund(ctx, r3, app.AuditEntry{Action: "refund"}))
	r3.State = payment.RefundRefunded
	require.NoError(t, f.store.FinishRefund(ctx, r3))
	got := f.status(t, o.OrderNo)
	assert.Equal(t, app.OrderPartRefunded, got.Status)
	assert.Equal(t, app.Money(400), got.Refunded)
	var audits int
	require.NoError(t, f.db.Read().QueryRow(`SELECT count(*) FROM audit_log WHERE action='refund'`).Scan(&audits))
	assert.Equal(t, 3, audits, "each refund written with its audit line")
	open, _ := f.store.OpenRefunds(ctx)
	assert.Empty(t, open)
}

// Voiding an open order: refused while a tender is in flight or a paid
// wallet tender is not refunded; then closed with paid tenders returned.
func TestVoidOrder(t *testing.T) {
	f := newPayFixture(t)
	ctx := context.Background()
	o := f.order(t, 1000, app.OrderSale, f.now)
	in, err := f.tender(o, "v", 600, f.now)
	require.NoError(t, err)
	require.ErrorIs(t, f.db.VoidOrder(ctx, o.ID, f.staff.ID, f.now), sale.ErrTenderPending)
	in.State = payment.IntentPaid
	require.NoError(t, f.store.FinishIntent(ctx, &in))
	require.ErrorIs(t, f.db.VoidOrder(ctx, o.ID, f.staff.ID, f.now), sale.ErrVoidNotDone)
	r := &payment.Refund{OutRefundNo: "RV", OrderID: o.ID, IntentID: in.ID, Amount: 600, State: payment.RefundCreated,
		StaffID: f.staff.ID, CreatedAt: f.now, UpdatedAt: f.now}
	require.NoError(t, f.store.CreateRefund(ctx, r, app.AuditEntry{Action: "void_refund"}))
	r.State = payment.RefundRefunded
	require.NoError(t, f.store.FinishRefund(ctx, r))
	assert.Equal(t, app.OrderOpen, f.status(t, o.OrderNo).Status, "a void refund leaves the order open until the void")
	cash := app.Tender{OrderID: o.ID, Amount: 300, CashReceived: 300, StaffID: f.staff.ID, CreatedAt: f.now}
	require.NoError(t, f.db.AddCashTender(ctx, &cash))
	require.NoError(t, f.db.VoidOrder(ctx, o.ID, f.staff.ID, f.now))
	got := f.status(t, o.OrderNo)
	assert.Equal(t, app.OrderClosed, got.Status)
	assert.Equal(t, app.TenderReturned, got.Tenders[0].State)
	assert.Equal(t, app.Money(900), got.Paid)
	assert.Equal(t, got.Paid, got.Refunded, "everything taken went back: the wallet's refund and the cash")
	assert.ErrorIs(t, f.db.VoidOrder(ctx, o.ID, f.staff.ID, f.now), app.ErrOrderNotOpen)
	assert.ErrorIs(t, f.db.VoidOrder(ctx, 999999, f.staff.ID, f.now), localdb.ErrNotFound)
}
