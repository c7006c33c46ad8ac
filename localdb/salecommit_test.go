package localdb_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/payment"
	"cashier/localdb"
)

// fxSaleRows reads back everything a paid sale wrote, without the ids and
// numbers that differ between two sales: the order, its lines, its
// tenders and its takings rows (ref as the tender's position in the order).
func fxSaleRows(t *testing.T, db *localdb.DB, orderNo string) string {
	t.Helper()
	var b strings.Builder
	dump := func(q string, args ...any) {
		rows, err := db.Read().Query(q, args...)
		require.NoError(t, err)
		defer rows.Close()
		cols, err := rows.Columns()
		require.NoError(t, err)
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			require.NoError(t, rows.Scan(ptrs...))
			for i, c := range cols {
				fmt.Fprintf(&b, "%s=%v ", c, vals[i])
			}
			b.WriteString("\n")
		}
		require.NoError(t, rows.Err())
	}
	var id int64
	require.NoError(t, db.Read().QueryRow(`SELECT id FROM orders WHERE order_no=?`, orderNo).Scan(&id))
	dump(`SELECT store_id, terminal_id, staff_id, shift_id, kind, status, total, discount, non_discountable,
		deposit_part, payable, paid, refunded, note, created_at, paid_at FROM orders WHERE id=?`, id)
	dump(`SELECT line_no, product_id, barcode, name, qty, unit_price, discount, amount FROM order_line WHERE order_id=? ORDER BY line_no`, id)
	dump(`SELECT kind, wallet, amount, state, cash_received, staff_id, shift_id, created_at, settled_at, discount
		FROM tender WHERE order_id=? ORDER BY id`, id)
	// The journal as the summaries read it: per tender, what was taken and
	// its discount share, on which shift and day. (A sale paid step by
	// step writes the share as a discount row when the order becomes
	// paid; one committed at once writes it on the sale row.)
	dump(`SELECT (SELECT count(*) FROM tender p WHERE p.order_id = k.order_id AND p.id <= CAST(substr(k.ref, 8) AS INTEGER)) AS tender_pos,
		k.store_id, k.staff_id, k.shift_id, k.method, sum(k.amount), sum(k.discount), k.business_day,
		sum(k.kind = 'sale') AS sales
		FROM takings k WHERE k.order_id=? GROUP BY tender_pos, k.store_id, k.staff_id, k.shift_id, k.method, k.business_day
		ORDER BY tender_pos`, id)
	return b.String()
}

func fxSaleOrder(no string, at time.Time) *app.Order {
	o := fxOrder(no, at)
	o.Status, o.OrderDiscount = app.OrderOpen, 50
	if err := o.Recompute(); err != nil {
		panic(err)
	}
	return o
}

// CommitPaidSale writes what CreateOrder followed by AddCashTender for
// each tender writes: the same order, lines, tenders (with their shares of
// the discount) and the same takings per tender, on or off a shift.
func TestCommitPaidSale_SameRowsAsOneCommitPerStep(t *testing.T) {
	for _, onShift := range []bool{true, false} {
		t.Run(fmt.Sprint("on shift ", onShift), func(t *testing.T) {
			ctx := context.Background()
			db := fxOpen(t)
			fxSeed(t, db)
			if onShift {
				fxOpenShift(t, db)
			}
			at := time.Date(2026, 11, 30, 23, 50, 0, 0, app.ChinaTime) // the business day is the shift's, not the payment's
			cash := func(amount, received app.Money, after time.Duration) app.Tender {
				return app.Tender{Kind: app.TenderCash, Amount: amount, CashReceived: received, StaffID: 1, CreatedAt: at.Add(after)}
			}

			steps := fxSaleOrder("STEPS1", at)
			require.NoError(t, db.CreateOrder(ctx, steps))
			first, second := cash(1001, 1001, time.Minute), cash(steps.Payable-1001, steps.Payable, 20*time.Minute)
			first.OrderID, second.OrderID = steps.ID, steps.ID
			require.NoError(t, db.AddCashTender(ctx, &first))
			require.NoError(t, db.AddCashTender(ctx, &second))

			once := fxSaleOrder("ONCE01", at)
			tenders := []app.Tender{cash(1001, 1001, time.Minute), cash(once.Payable-1001, once.Payable, 20*time.Minute)}
			require.NoError(t, db.CommitPaidSale(ctx, once, tenders))

			want := fxSaleRows(t, db, "STEPS1")
			assert.Equal(t, want, fxSaleRows(t, db, "ONCE01"))
			assert.Contains(t, want, "sum(k.discount)=42 ", "the order's discount is shared among the tenders")
			t.Log("\n" + want)

			// What the caller gets back is what is stored.
			got, err := db.GetOrder(ctx, "ONCE01")
			require.NoError(t, err)
			assert.Equal(t, app.OrderPaid, once.Status)
			assert.Equal(t, got.ID, once.ID)
			assert.Equal(t, got.ShiftID, once.ShiftID)
			assert.Equal(t, got.Paid, once.Paid)
			assert.True(t, got.PaidAt.Equal(once.PaidAt))
			require.Len(t, got.Tenders, 2)
			for i, tn := range got.Tenders {
				assert.Equal(t, tn.ID, tenders[i].ID)
				assert.Equal(t, tn.ShiftID, tenders[i].ShiftID)
				assert.Equal(t, app.TenderPaid, tenders[i].State)
				assert.Equal(t, tenders[i].CreatedAt, tenders[i].SettledAt)
			}
			assert.Equal(t, second.Change(), tenders[1].Change())
		})
	}
}

func TestCommitPaidSale_Refuses(t *testing.T) {
	ctx := context.Background()
	db := fxOpen(t)
	fxSeed(t, db)
	fxOpenShift(t, db)
	at := time.Now()
	require.NoError(t, db.CommitPaidSale(ctx, fxSaleOrder("TAKEN1", at), []app.Tender{
		{Kind: app.TenderCash, Amount: fxSaleOrder("x", at).Payable, StaffID: 1, CreatedAt: at}}))
	counts := func() string {
		var o, tn, tk int
		require.NoError(t, db.Read().QueryRow(`SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM tender),
			(SELECT count(*) FROM takings)`).Scan(&o, &tn, &tk))
		return fmt.Sprint(o, tn, tk)
	}
	before := counts()
	payable := fxSaleOrder("x", at).Payable
	cash := func(amount app.Money) app.Tender {
		return app.Tender{Kind: app.TenderCash, Amount: amount, CashReceived: amount, StaffID: 1, CreatedAt: at}
	}
	for name, c := range map[string]struct {
		no      string
		edit    func(*app.Order)
		tenders []app.Tender
		want    error
	}{
		"short":          {tenders: []app.Tender{cash(payable - 1)}, want: localdb.ErrSaleNotCovered},
		"no tender":      {want: localdb.ErrSaleNotCovered},
		"over":           {tenders: []app.Tender{cash(payable - 100), cash(101)}, want: app.ErrTenderTooLarge},
		"zero":           {tenders: []app.Tender{cash(0), cash(payable)}, want: app.ErrMoneyZero},
		"negative":       {tenders: []app.Tender{cash(-1), cash(payable + 1)}, want: app.ErrMoneyZero},
		"deposit":        {edit: func(o *app.Order) { o.Kind = app.OrderDeposit }, tenders: []app.Tender{cash(payable)}, want: app.ErrDepositOneTender},
		"no order no":    {no: "-", tenders: []app.Tender{cash(payable)}, want: app.ErrOrderInvalid},
		"number taken":   {no: "TAKEN1", tenders: []app.Tender{cash(payable)}},
		"wallet":         {tenders: []app.Tender{{Kind: app.TenderWallet, Wallet: app.WalletWeChat, Amount: payable, StaffID: 1, CreatedAt: at}}},
		"unknown person": {tenders: []app.Tender{{Kind: app.TenderCash, Amount: payable, StaffID: 99, CreatedAt: at}}},
	} {
		t.Run(name, func(t *testing.T) {
			no := c.no
			switch no {
			case "":
				no = "BAD" + strings.ReplaceAll(name, " ", "")
			case "-":
				no = ""
			}
			o := fxSaleOrder(no, at)
			if c.edit != nil {
				c.edit(o)
			}
			keep := *o
			tenders := append([]app.Tender(nil), c.tenders...)
			err := db.CommitPaidSale(ctx, o, tenders)
			require.Error(t, err)
			if c.want != nil {
				assert.ErrorIs(t, err, c.want)
			}
			assert.Equal(t, before, counts(), "nothing written")
			assert.Equal(t, keep, *o, "the order is left as it was")
			assert.Equal(t, c.tenders, tenders, "the tenders are left as they were")
		})
	}
}

// A split with a wallet payment written in one commit (the benchmark's
// sale) is a sale like any other: its tender carries the payment's
// numbers and a refund finds the payment.
func TestCommitSaleWithIntents_WalletAndCash(t *testing.T) {
	ctx := context.Background()
	db := fxOpen(t)
	fxSeed(t, db)
	fxOpenShift(t, db)
	s := fxSales(1, "WX")[0]
	require.NoError(t, db.CommitSaleWithIntents(ctx, s.order, s.tenders, s.intents))

	o, err := db.GetOrder(ctx, s.order.OrderNo)
	require.NoError(t, err)
	assert.Equal(t, app.OrderPaid, o.Status)
	assert.Equal(t, o.Payable, o.Paid)
	require.Len(t, o.Tenders, 2)
	assert.Equal(t, s.intents[0].OutTradeNo, o.Tenders[0].OutTradeNo)
	assert.Equal(t, s.intents[0].TransactionID, o.Tenders[0].TransactionID)

	_, in, err := localdb.NewPaymentStore(db).RefundSource(ctx, o.OrderNo, "")
	require.NoError(t, err)
	assert.Equal(t, payment.IntentPaid, in.State)
	assert.Equal(t, o.Tenders[0].ID, in.TenderID)

	var methods string
	require.NoError(t, db.Read().QueryRow(`SELECT group_concat(kind || ':' || method, ' ') FROM
		(SELECT kind, method FROM takings WHERE order_id=? ORDER BY id)`, o.ID).Scan(&methods))
	assert.Equal(t, "sale:wechat sale:cash", methods, "one journal row per tender, carrying its discount share")

	// A wallet payment that is not paid is refused: it must go through
	// the payment state machine.
	s = fxSales(2, "WY")[1]
	s.intents[0].State = payment.IntentPaying
	assert.Error(t, db.CommitSaleWithIntents(ctx, s.order, s.tenders, s.intents))
}

// The takings indexes of 0012 keep a day's and a shift's rows in the
// order they were written, and the summaries still read them alone.
func TestTakingsIndexesAppendInWritingOrder(t *testing.T) {
	db := fxOpen(t)
	for name, q := range map[string]string{
		"takings_store_day": `SELECT kind, method, count(*), sum(amount), sum(discount) FROM takings INDEXED BY takings_store_day WHERE store_id=1 AND business_day=20261130 GROUP BY kind, method`,
		"takings_shift":     `SELECT kind, method, count(*), sum(amount), sum(discount) FROM takings INDEXED BY takings_shift WHERE shift_id=1 AND store_id=1 GROUP BY kind, method`,
	} {
		var cols []string
		rows, err := db.Read().Query(`SELECT name FROM pragma_index_info(?) ORDER BY seqno`, name)
		require.NoError(t, err)
		for rows.Next() {
			var c string
			require.NoError(t, rows.Scan(&c))
			cols = append(cols, c)
		}
		require.NoError(t, rows.Err())
		rows.Close()
		assert.Equal(t, "id", cols[1+strings.Count(name, "store_day")], "%s: %v", name, cols)

		plan := ""
		rows, err = db.Read().Query(`EXPLAIN QUERY PLAN ` + q)
		require.NoError(t, err)
		for rows.Next() {
			var id, parent, unused int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
			plan += detail + "; "
		}
		rows.Close()
		assert.Contains(t, plan, "USING COVERING INDEX "+name, plan)
	}
}
