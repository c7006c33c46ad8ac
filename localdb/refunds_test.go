package localdb_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/payment"
	"cashier/app/sale"
	"cashier/app/summary"
	"cashier/localdb"
)

// The last characters of an order number find the store's orders of the
// range, newest first, in any letter case; LIKE's wildcards in what was
// typed are taken literally.
func TestOrdersEndingWith(t *testing.T) {
	w := newTakingsWorld(t)
	ctx := context.Background()
	mk := func(no string, day int) {
		o := app.Order{OrderNo: no, StoreID: w.term.StoreID, TerminalID: w.term.ID, StaffID: w.people["1001"].ID,
			Kind: app.OrderSale, Status: app.OrderOpen, Total: 100, Payable: 100, CreatedAt: local(day, 10, 0)}
		require.NoError(t, w.db.CreateOrder(ctx, &o))
	}
	mk("AB123456", 20)
	mk("CD123456", 21)
	mk("EF1234X6", 21)
	mk("GH023456", 10)
	mk("IJab1234", 21)

	got := func(suffix string, day, limit int) []string {
		os, err := w.db.OrdersEndingWith(ctx, w.term.StoreID, suffix, local(day, 0, 0), limit)
		require.NoError(t, err)
		var nos []string
		for _, o := range os {
			nos = append(nos, o.OrderNo)
		}
		return nos
	}
	assert.Equal(t, []string{"CD123456", "AB123456"}, got("123456", 14, 20))
	assert.Equal(t, []string{"CD123456"}, got("123456", 14, 1))
	assert.Equal(t, []string{"CD123456"}, got("123456", 21, 20), "since the 21st")
	assert.Equal(t, []string{"GH023456"}, got("023456", 1, 20))
	assert.Equal(t, []string{"IJab1234"}, got("AB1234", 14, 20), "any letter case")
	assert.Empty(t, got("1234_6", 14, 20), "_ is a character, not a wildcard")
	assert.Empty(t, got("%456", 14, 20))
	assert.Empty(t, got("", 14, 20))
	other, err := w.db.OrdersEndingWith(ctx, w.term.StoreID+1, "123456", local(1, 0, 0), 20)
	require.NoError(t, err)
	assert.Empty(t, other)
}

// A paid order of 10.00 (11.00 less 1.00 off): WeChat 6.00, cash 4.00.
func refundableOrder(t *testing.T, w *takingsWorld) (app.Order, payment.PaymentIntent) {
	t.Helper()
	o := w.open("1001", w.term.StoreID, app.OrderSale, 1100, 100, local(21, 9, 0))
	in := w.wallet("1001", o, app.WalletWeChat, 600, local(21, 9, 1))
	w.cash("1001", o, 400, local(21, 9, 2))
	o, err := w.db.GetOrder(context.Background(), o.OrderNo)
	require.NoError(t, err)
	require.Equal(t, app.OrderPaid, o.Status)
	return o, in
}

// write plans ask on the order as stored and writes it.
func writeRefund(t *testing.T, w *takingsWorld, o app.Order, ask sale.RefundAsk, no string) (sale.OrderRefund, error) {
	t.Helper()
	ctx := context.Background()
	h, err := w.db.RefundHistory(ctx, o.ID)
	require.NoError(t, err)
	plan, err := sale.PlanRefund(o, h, ask)
	if err != nil {
		return sale.OrderRefund{}, err
	}
	rec := plan.Record()
	rec.RefundNo, rec.StaffID, rec.TerminalID, rec.CreatedAt = no, w.people["1001"].ID, w.term.ID, local(21, 10, 0)
	err = w.db.WriteRefund(ctx, ask, &rec, app.AuditEntry{At: rec.CreatedAt, StaffID: rec.StaffID, Action: "refund", Subject: o.OrderNo})
	return rec, err
}

// The whole refund of a WeChat + cash order: the cash part is handed back
// in the write (a cash refund, the journal with its share of the
// discount, the order's refunded amount), the wallet part waits for its
// channel refund; what is owed is not left for another refund.
func TestWriteRefund_CashHandedBackWalletOwed(t *testing.T) {
	w := newTakingsWorld(t)
	ctx := context.Background()
	o, _ := refundableOrder(t, w)
	rec, err := writeRefund(t, w, o, sale.RefundAsk{}, "T1")
	require.NoError(t, err)
	require.Len(t, rec.Parts, 2)
	assert.Equal(t, app.TenderWallet, rec.Parts[0].Kind)
	assert.Equal(t, sale.PartPending, rec.Parts[0].State)
	assert.Equal(t, sale.PartDone, rec.Parts[1].State)
	assert.NotZero(t, rec.Parts[0].ID)

	after, err := w.db.GetOrder(ctx, o.OrderNo)
	require.NoError(t, err)
	assert.Equal(t, app.OrderPartRefunded, after.Status)
	assert.Equal(t, app.Money(400), after.Refunded)
	day := w.sum(summary.Filter{StoreID: w.term.StoreID, Day: summary.DayOf(local(21, 12, 0), shanghai)})
	cash := day.Method(summary.MethodCash)
	assert.Equal(t, app.Money(400), cash.RefundSettlement)
	assert.Equal(t, app.Money(440), cash.Refund, "with its 0.40 share of the discount")

	h, err := w.db.RefundHistory(ctx, o.ID)
	require.NoError(t, err)
	assert.Equal(t, map[int]int64{}, h.Lines, "an order of a typed amount has no lines")
	require.Len(t, h.Refunds, 1)
	assert.Equal(t, "T1", h.Refunds[0].RefundNo)
	assert.Equal(t, "王店长", h.Refunds[0].StaffName)
	assert.True(t, h.Refunds[0].Whole)
	var walletID, cashID int64
	for _, tn := range o.Tenders {
		if tn.Kind == app.TenderWallet {
			walletID = tn.ID
		} else {
			cashID = tn.ID
		}
	}
	assert.Equal(t, sale.TenderRefunds{Pending: 600}, h.Tenders[walletID])
	assert.Equal(t, sale.TenderRefunds{Done: 400}, h.Tenders[cashID])
	_, err = writeRefund(t, w, o, sale.RefundAsk{Amount: 1}, "T2")
	require.ErrorIs(t, err, sale.ErrRefundNothingLeft)
	got, err := w.db.GetOrderRefund(ctx, "T1")
	require.NoError(t, err)
	assert.Equal(t, rec.Parts[0].ID, got.Parts[0].ID)
	_, err = w.db.GetOrderRefund(ctx, "T9")
	require.ErrorIs(t, err, localdb.ErrNotFound)
}

// A wallet part is carried only by a channel refund of its tender and its
// amount, and a new one replaces the one carrying it only when that one
// failed.
func TestLinkRefundPart_Guards(t *testing.T) {
	w := newTakingsWorld(t)
	ctx := context.Background()
	o, in := refundableOrder(t, w)
	rec, err := writeRefund(t, w, o, sale.RefundAsk{Amount: 600}, "T1")
	require.NoError(t, err)
	require.Len(t, rec.Parts, 1)
	part := rec.Parts[0]

	channelRefund := func(no string, amount app.Money) *payment.Refund {
		r := &payment.Refund{OutRefundNo: no, OrderID: o.ID, IntentID: in.ID, Amount: amount, State: payment.RefundCreated,
			StaffID: w.people["1001"].ID, CreatedAt: local(21, 10, 1), UpdatedAt: local(21, 10, 1)}
		require.NoError(t, w.store.CreateRefund(ctx, r, app.AuditEntry{At: r.CreatedAt, StaffID: r.StaffID, Action: "refund"}))
		return r
	}
	fail := func(r *payment.Refund) {
		r.State, r.FinishedAt = payment.RefundFailed, local(21, 10, 2)
		require.NoError(t, w.store.FinishRefund(ctx, r))
	}
	wrong := channelRefund("R-WRONG", 500)
	require.ErrorIs(t, w.db.LinkRefundPart(ctx, part.ID, "R-WRONG"), localdb.ErrNotFound, "another amount")
	no, err := w.db.AdoptRefundPart(ctx, part.ID)
	require.NoError(t, err)
	assert.Empty(t, no, "not of the part's amount")
	fail(wrong)

	first := channelRefund("R-1", 600)
	require.NoError(t, w.db.LinkRefundPart(ctx, part.ID, "R-1"))
	require.NoError(t, w.db.LinkRefundPart(ctx, part.ID, "R-1"), "the same link again")
	fail(first)
	h, err := w.db.RefundHistory(ctx, o.ID)
	require.NoError(t, err)
	assert.Equal(t, sale.TenderRefunds{Pending: 600}, h.Tenders[part.TenderID], "failed: owed again, counted once")

	second := channelRefund("R-2", 600)
	no, err = w.db.AdoptRefundPart(ctx, part.ID)
	require.NoError(t, err)
	assert.Equal(t, "R-2", no, "an unlinked refund of the part is adopted")
	require.Error(t, w.db.LinkRefundPart(ctx, part.ID, "R-1"), "R-2 carries it and has not failed")
	second.State, second.FinishedAt = payment.RefundRefunded, local(21, 10, 3)
	require.NoError(t, w.store.FinishRefund(ctx, second))
	got, err := w.db.GetOrderRefund(ctx, "T1")
	require.NoError(t, err)
	assert.Equal(t, sale.PartDone, got.Parts[0].State)
	assert.Equal(t, "R-2", got.Parts[0].OutRefundNo)
	h, err = w.db.RefundHistory(ctx, o.ID)
	require.NoError(t, err)
	assert.Equal(t, sale.TenderRefunds{Done: 600}, h.Tenders[part.TenderID])
}
