package localdb_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/payment"
	"cashier/localdb"
)

// deposit freezes amount on a new deposit order of the fixture's store at
// at, paid by wallet with the channel's transaction number txn.
func (f *payFixture) deposit(t *testing.T, amount app.Money, wallet app.Wallet, txn string, at time.Time) payment.Deposit {
	ctx := context.Background()
	o := f.order(t, amount, app.OrderDeposit, at)
	in := payment.PaymentIntent{OutTradeNo: app.NewOrderNo("P", at), OrderID: o.ID, OrderNo: o.OrderNo, Kind: payment.IntentKindDeposit,
		Channel: app.ChannelName(wallet), Wallet: wallet, CodeMasked: "1345**********6789", CodeHash: txn,
		Amount: amount, State: payment.IntentCreated, StaffID: f.staff.ID, CreatedAt: at, UpdatedAt: at}
	require.NoError(t, f.store.CreateIntent(ctx, &in, at.Add(-10*time.Second)))
	in.State, in.TransactionID, in.FinishedAt = payment.IntentPaid, txn, at
	require.NoError(t, f.store.FinishIntent(ctx, &in))
	d, err := f.store.GetDeposit(ctx, o.OrderNo)
	require.NoError(t, err)
	return d
}

func (f *payFixture) otherStore(t *testing.T) int64 {
	require.NoError(t, f.db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO store(id, merchant_id, code, name, created_at)
			SELECT 99, merchant_id, 'OTHER', 'other', 0 FROM store WHERE id=?`, f.term.StoreID)
		return err
	}))
	return 99
}

func (f *payFixture) moveOrder(t *testing.T, orderNo string, store int64) {
	require.NoError(t, f.db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE orders SET store_id=? WHERE order_no=?`, store, orderNo)
		return err
	}))
}

func TestFindDeposit_ThreeWaysAndMistakes(t *testing.T) {
	f := newPayFixture(t)
	ctx := context.Background()
	store := f.term.StoreID
	d := f.deposit(t, 50000, app.WalletWeChat, "4200000123456789", f.now)

	byNo, err := f.db.FindDepositAt(ctx, store, d.DepositNo, f.now)
	require.NoError(t, err)
	require.Len(t, byNo, 1)
	assert.Equal(t, d.ID, byNo[0].ID)

	byTxn, err := f.db.FindDepositAt(ctx, store, " 4200000123456789 ", f.now)
	require.NoError(t, err, "the wallet's transaction number")
	require.Len(t, byTxn, 1)
	assert.Equal(t, d.ID, byTxn[0].ID)

	byTail, err := f.db.FindDepositAt(ctx, store, "456789", f.now)
	require.NoError(t, err, "the last six of the transaction number")
	require.Len(t, byTail, 1)
	assert.Equal(t, d.ID, byTail[0].ID)
	byNoTail, err := f.db.FindDepositAt(ctx, store, d.DepositNo[len(d.DepositNo)-6:], f.now)
	require.NoError(t, err, "the last six of the receipt number")
	assert.Equal(t, d.ID, byNoTail[0].ID)

	_, err = f.db.FindDepositAt(ctx, store, "456789", f.now.Add(61*24*time.Hour))
	assert.ErrorIs(t, err, localdb.ErrNotFound, "a short number only looks 60 days back")
	_, err = f.db.FindDepositAt(ctx, store, "56789", f.now)
	assert.ErrorIs(t, err, localdb.ErrNotFound, "five characters are not a short number")

	sale := f.order(t, 1000, app.OrderSale, f.now)
	_, err = f.db.FindDepositAt(ctx, store, sale.OrderNo, f.now)
	assert.ErrorIs(t, err, localdb.ErrNotADeposit, "a sale's receipt scanned at the deposit desk")

	other := f.otherStore(t)
	od := f.deposit(t, 30000, app.WalletAlipay, "2026112122001", f.now.Add(time.Second))
	f.moveOrder(t, od.DepositNo, other)
	_, err = f.db.FindDepositAt(ctx, store, od.DepositNo, f.now)
	assert.ErrorIs(t, err, localdb.ErrDepositOtherStore)
	_, err = f.db.FindDepositAt(ctx, store, "2026112122001", f.now)
	assert.ErrorIs(t, err, localdb.ErrDepositOtherStore, "by its transaction number too")
	_, err = f.db.FindDepositAt(ctx, store, od.DepositNo[len(od.DepositNo)-6:], f.now)
	assert.ErrorIs(t, err, localdb.ErrNotFound, "short numbers stay in this store")

	for _, q := range []string{"", "   ", "NOPE-123", "999999"} {
		_, err = f.db.FindDepositAt(ctx, store, q, f.now)
		assert.ErrorIs(t, err, localdb.ErrNotFound, q)
	}
}

func TestListDeposits_FiltersAndStates(t *testing.T) {
	f := newPayFixture(t)
	ctx := context.Background()
	store := f.term.StoreID
	old := f.deposit(t, 10000, app.WalletWeChat, "T-OLD", f.now.Add(-40*24*time.Hour))
	wx := f.deposit(t, 50000, app.WalletWeChat, "T-WX", f.now.Add(-2*time.Hour))
	ali := f.deposit(t, 80000, app.WalletAlipay, "T-ALI", f.now.Add(-time.Hour))
	f.order(t, 999, app.OrderSale, f.now.Add(-time.Hour)) // a sale never lists

	// Consume part of wx: it is settled, consumed and released recorded.
	op := payment.DepositOp{DepositID: wx.ID, Deposit: wx, Kind: app.DepositOpConsume, OutRequestNo: "C1", Amount: 20000,
		State: payment.DepositOpCreated, StaffID: f.staff.ID, CreatedAt: f.now, UpdatedAt: f.now}
	require.NoError(t, f.store.CreateDepositOp(ctx, &op, app.AuditEntry{Action: "t"}))
	op.State = payment.DepositOpDone
	require.NoError(t, f.store.FinishDepositOp(ctx, &op))

	all, err := f.db.ListDeposits(ctx, localdb.DepositFilter{StoreID: store})
	require.NoError(t, err)
	require.Equal(t, []string{ali.DepositNo, wx.DepositNo, old.DepositNo}, nos(all), "newest first, no sales")
	assert.Equal(t, payment.DepositConsumed, all[1].State)
	assert.Equal(t, app.Money(20000), all[1].Consumed)
	assert.Equal(t, app.Money(30000), all[1].Released)
	assert.Equal(t, app.Money(0), all[1].Left())
	assert.Equal(t, "T-ALI", all[0].TransactionID)
	assert.Equal(t, app.WalletAlipay, all[0].Wallet)
	assert.Equal(t, store, all[0].StoreID)

	open, err := f.db.ListDeposits(ctx, localdb.DepositFilter{StoreID: store, Open: true})
	require.NoError(t, err)
	assert.Equal(t, []string{ali.DepositNo, old.DepositNo}, nos(open))

	wechat, err := f.db.ListDeposits(ctx, localdb.DepositFilter{StoreID: store, Open: true, Wallet: app.WalletWeChat})
	require.NoError(t, err)
	assert.Equal(t, []string{old.DepositNo}, nos(wechat))

	recent, err := f.db.ListDeposits(ctx, localdb.DepositFilter{StoreID: store, From: f.now.Add(-3 * time.Hour), To: f.now.Add(-time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, []string{wx.DepositNo}, nos(recent), "To is exclusive")

	amounts, err := f.db.ListDeposits(ctx, localdb.DepositFilter{StoreID: store, MinAmount: 20000, MaxAmount: 50000})
	require.NoError(t, err)
	assert.Equal(t, []string{wx.DepositNo}, nos(amounts))

	one, err := f.db.ListDeposits(ctx, localdb.DepositFilter{StoreID: store, Limit: 1})
	require.NoError(t, err)
	assert.Equal(t, []string{ali.DepositNo}, nos(one))

	none, err := f.db.ListDeposits(ctx, localdb.DepositFilter{StoreID: store + 1000})
	require.NoError(t, err)
	assert.Empty(t, none, "another store's list")

	ops, err := f.db.DepositOps(ctx, wx.ID)
	require.NoError(t, err)
	require.Len(t, ops, 1)
	assert.Equal(t, "C1", ops[0].OutRequestNo)
	assert.Equal(t, payment.DepositOpDone, ops[0].State)
}

func nos(rows []localdb.DepositRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.DepositNo)
	}
	return out
}

// The desk's queries go through indexes, never a scan of the store's
// orders or of every payment.
func TestDeposits_QueryPlans(t *testing.T) {
	f := newPayFixture(t)
	plan := func(q string, args ...any) string {
		rows, err := f.db.Read().Query(`EXPLAIN QUERY PLAN `+q, args...)
		require.NoError(t, err)
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
			out = append(out, detail)
		}
		return strings.Join(out, "; ")
	}
	q, args := localdb.ListDepositsQuery(localdb.DepositFilter{StoreID: 1, Open: true, Wallet: app.WalletWeChat, MinAmount: 1})
	p := plan(q, args...)
	assert.Contains(t, p, "USING INDEX deposit_frozen", p)
	assert.NotContains(t, p, "SCAN o", p)
	assert.NotContains(t, p, "SCAN i", p)

	q, args = localdb.ListDepositsQuery(localdb.DepositFilter{StoreID: 1, From: f.now})
	p = plan(q, args...)
	assert.Contains(t, p, "USING INDEX orders_store_time", p)
	assert.NotContains(t, p, "SCAN d", p)
	assert.NotContains(t, p, "SCAN i", p)

	p = plan(localdb.DepositByShortNoQuery, 1, 0, "123456")
	assert.Contains(t, p, "USING INDEX orders_store_time", p)
	assert.NotContains(t, p, "SCAN i", p)

	// No index on transaction_id: the (small) deposit table is walked,
	// never the payment intents of every sale.
	p = plan(localdb.DepositByTxnQuery, "4200")
	assert.Contains(t, p, "SCAN d", p)
	assert.NotContains(t, p, "SCAN i", p)
}
