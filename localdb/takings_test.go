package localdb_test

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
	"cashier/app/summary"
	"cashier/localdb"
)

// takingsWorld builds sales, refunds, voids and deposits straight through
// the storage calls the checkout and the payment machine make, at chosen
// times, so the summary can be checked against sums worked out by hand.
type takingsWorld struct {
	*payFixture
	t      *testing.T
	seq    int
	people map[string]app.Staff
}

var shanghai = time.FixedZone("CST", 8*3600)

// local is a time on the store's clock (Asia/Shanghai).
func local(day, hour, min int) time.Time { return time.Date(2026, 11, day, hour, min, 0, 0, shanghai) }

func newTakingsWorld(t *testing.T) *takingsWorld {
	w := &takingsWorld{payFixture: newPayFixture(t), t: t, people: map[string]app.Staff{}}
	for _, code := range []string{"1001", "1002", "1003"} {
		s, _, err := w.db.StaffByCode(context.Background(), code)
		require.NoError(t, err)
		w.people[code] = s
	}
	return w
}

func (w *takingsWorld) exec(q string, args ...any) int64 {
	var id int64
	require.NoError(w.t, w.db.Write(context.Background(), func(tx *sql.Tx) error {
		res, err := tx.Exec(q, args...)
		if err == nil {
			id, err = res.LastInsertId()
		}
		return err
	}))
	return id
}

func (w *takingsWorld) clockOn(code string, at time.Time) int64 {
	return w.exec(`INSERT INTO shift(store_id, terminal_id, staff_id, started_at) VALUES (?,?,?,?)`,
		w.term.StoreID, w.term.ID, w.people[code].ID, at.UnixMilli())
}

func (w *takingsWorld) clockOff(shift int64, at time.Time) {
	w.exec(`UPDATE shift SET ended_at=? WHERE id=?`, at.UnixMilli(), shift)
}

func (w *takingsWorld) no(prefix string) string {
	w.seq++
	return fmt.Sprintf("%s%06d", prefix, w.seq)
}

// open writes an open order by code at at: total before discount.
func (w *takingsWorld) open(code string, store int64, kind app.OrderKind, total, discount app.Money, at time.Time) app.Order {
	o := app.Order{OrderNo: w.no("O"), StoreID: store, TerminalID: w.term.ID, StaffID: w.people[code].ID,
		Kind: kind, Status: app.OrderOpen, Total: total, Discount: discount, Payable: total - discount, CreatedAt: at}
	require.NoError(w.t, w.db.CreateOrder(context.Background(), &o))
	return o
}

func (w *takingsWorld) cash(code string, o app.Order, amount app.Money, at time.Time) {
	t := app.Tender{OrderID: o.ID, Amount: amount, CashReceived: amount, StaffID: w.people[code].ID, CreatedAt: at}
	require.NoError(w.t, w.db.AddCashTender(context.Background(), &t))
}

// wallet pays amount of o through wallet, paid at at.
func (w *takingsWorld) wallet(code string, o app.Order, wallet app.Wallet, amount app.Money, at time.Time) payment.PaymentIntent {
	kind := payment.IntentKindPay
	if o.Kind == app.OrderDeposit {
		kind = payment.IntentKindDeposit
	}
	in := payment.PaymentIntent{OutTradeNo: w.no("P"), OrderID: o.ID, OrderNo: o.OrderNo, Kind: kind,
		Channel: app.ChannelWeChat, Wallet: wallet, CodeMasked: "1345**********6789", CodeHash: w.no("h"),
		Amount: amount, State: payment.IntentCreated, StaffID: w.people[code].ID, CreatedAt: at, UpdatedAt: at}
	ctx := context.Background()
	require.NoError(w.t, w.store.CreateIntent(ctx, &in, at.Add(-10*time.Second)))
	in.State, in.TransactionID, in.FinishedAt, in.UpdatedAt = payment.IntentPaid, w.no("T"), at, at
	require.NoError(w.t, w.store.FinishIntent(ctx, &in))
	return in
}

func (w *takingsWorld) refund(code string, in payment.PaymentIntent, amount app.Money, at time.Time) {
	ctx := context.Background()
	r := payment.Refund{OutRefundNo: w.no("R"), OrderID: in.OrderID, IntentID: in.ID, Amount: amount,
		State: payment.RefundCreated, StaffID: w.people[code].ID, CreatedAt: at, UpdatedAt: at}
	require.NoError(w.t, w.store.CreateRefund(ctx, &r, app.AuditEntry{At: at, StaffID: r.StaffID, Action: "refund", Subject: r.OutRefundNo}))
	r.State, r.FinishedAt, r.UpdatedAt = payment.RefundRefunded, at, at
	require.NoError(w.t, w.store.FinishRefund(ctx, &r))
}

func (w *takingsWorld) depositOp(code, depositNo string, kind app.DepositOpKind, amount app.Money, at time.Time) {
	ctx := context.Background()
	d, err := w.store.GetDeposit(ctx, depositNo)
	require.NoError(w.t, err)
	op := payment.DepositOp{DepositID: d.ID, Kind: kind, OutRequestNo: w.no("D"), Amount: amount,
		State: payment.DepositOpCreated, StaffID: w.people[code].ID, CreatedAt: at, UpdatedAt: at}
	require.NoError(w.t, w.store.CreateDepositOp(ctx, &op, app.AuditEntry{At: at, StaffID: op.StaffID, Action: "deposit_" + string(kind)}))
	op.State, op.UpdatedAt = payment.DepositOpDone, at
	require.NoError(w.t, w.store.FinishDepositOp(ctx, &op))
}

func (w *takingsWorld) sum(f summary.Filter) summary.Summary {
	s, err := summary.Engine{Store: w.db}.Summarize(context.Background(), f)
	require.NoError(w.t, err)
	return s
}

func figures(txCount int64, settlement, discount app.Money, refundCount int64, refundSettlement, refund app.Money) summary.Figures {
	return summary.Figures{TxAmount: settlement + discount, Settlement: settlement, Received: settlement - refundSettlement,
		Discount: discount, Refund: refund, RefundSettlement: refundSettlement, TxCount: txCount, RefundCount: refundCount}
}

// A hand-built day: sales with discounts in several methods, a split
// tender, partial refunds (one carrying back part of a discount), a void
// handing cash back, deposits frozen, consumed and left open, a shift that
// crosses midnight, a second store, and sales outside any shift. Every
// figure below was worked out by hand from the list.
func TestSummary_HandBuiltDataSet(t *testing.T) {
	w := newTakingsWorld(t)
	s1 := w.term.StoreID
	s2 := w.exec(`INSERT INTO store(merchant_id, code, name, created_at) SELECT merchant_id, 'S2', '二号店', 0 FROM store WHERE id=?`, s1)

	// Outside any shift, on 20 November.
	o6 := w.open("1002", s1, app.OrderSale, 1500, 0, local(20, 10, 0))
	w.cash("1002", o6, 1500, local(20, 10, 0)) // cash 15.00
	so := w.open("1002", s2, app.OrderSale, 100000, 0, local(20, 11, 0))
	w.cash("1002", so, 100000, local(20, 11, 0)) // store 2: cash 1000.00
	d1 := w.open("1002", s1, app.OrderDeposit, 50000, 0, local(20, 12, 0))
	w.wallet("1002", d1, app.WalletWeChat, 50000, local(20, 12, 0))                // deposit 500.00 frozen
	w.depositOp("1002", d1.OrderNo, app.DepositOpConsume, 32000, local(20, 14, 0)) // 320.00 charged, 180.00 back
	d2 := w.open("1002", s1, app.OrderDeposit, 30000, 0, local(20, 15, 0))
	w.wallet("1002", d2, app.WalletAlipay, 30000, local(20, 15, 0)) // deposit 300.00 still frozen
	ov := w.open("1002", s1, app.OrderSale, 8000, 0, local(20, 16, 0))
	w.cash("1002", ov, 3000, local(20, 16, 0)) // 30.00 cash towards 80.00, then the sale is voided
	require.NoError(t, w.db.VoidOrder(context.Background(), ov.ID, w.people["1002"].ID, local(20, 16, 5)))
	ou := w.open("1002", s1, app.OrderSale, 2500, 0, local(20, 17, 0))
	w.wallet("1002", ou, app.WalletUnionPay, 2500, local(20, 17, 0)) // UnionPay 25.00

	// Shift X: 李娜 from 22:00 on the 20th to 02:00 on the 21st.
	x := w.clockOn("1002", local(20, 22, 0))
	o1 := w.open("1002", s1, app.OrderSale, 10000, 1000, local(20, 22, 10))
	w.cash("1002", o1, 9000, local(20, 22, 10)) // 100.00 less 10.00 discount, cash 90.00
	o2 := w.open("1002", s1, app.OrderSale, 5000, 0, local(20, 22, 30))
	p2 := w.wallet("1002", o2, app.WalletWeChat, 5000, local(20, 22, 30)) // WeChat 50.00
	o3 := w.open("1002", s1, app.OrderSale, 20000, 2000, local(20, 23, 0))
	p3 := w.wallet("1002", o3, app.WalletAlipay, 12000, local(20, 23, 0)) // 200.00 less 20.00: Alipay 120.00 ...
	w.cash("1002", o3, 6000, local(20, 23, 1))                            // ... and cash 60.00; discount shares 13.34 / 6.66
	o4 := w.open("1002", s1, app.OrderSale, 3000, 0, local(21, 0, 30))
	w.wallet("1002", o4, app.WalletWeChat, 3000, local(21, 0, 30)) // after midnight, still shift X
	w.refund("1002", p2, 1000, local(21, 0, 40))                   // WeChat refund 10.00
	w.refund("1002", p3, 6000, local(21, 1, 0))                    // Alipay refund 60.00, carries back 6.67 of discount
	w.clockOff(x, local(21, 2, 0))

	// 21 November, 张伟, no shift.
	o7 := w.open("1003", s1, app.OrderSale, 4000, 0, local(21, 9, 0))
	w.wallet("1003", o7, app.WalletWeChat, 4000, local(21, 9, 0))

	// The business day of the 20th: shift X belongs to it whole.
	day := w.sum(summary.Filter{StoreID: s1, Day: summary.Day{Year: 2026, Month: 11, D: 20}})
	assert.Equal(t, figures(4, 19500, 1666, 1, 3000, 3000), day.Method(summary.MethodCash), "cash")
	assert.Equal(t, figures(3, 40000, 0, 1, 1000, 1000), day.Method(summary.MethodWeChat), "wechat")
	assert.Equal(t, figures(1, 12000, 1334, 1, 6000, 6667), day.Method(summary.MethodAlipay), "alipay")
	assert.Equal(t, figures(1, 2500, 0, 0, 0, 0), day.Method(summary.MethodUnionPay), "unionpay")
	assert.Equal(t, summary.Figures{}, day.Method(summary.MethodMember), "member")
	assert.Equal(t, figures(9, 74000, 3000, 3, 10000, 10667), day.Total, "day total")
	assert.Equal(t, app.Money(64000), day.Total.Received)
	assert.Equal(t, summary.Deposits{TakenCount: 2, Taken: 80000, Consumed: 32000, Released: 18000}, day.Deposits)

	// The calendar day 00:00–24:00: what happened after midnight is not in it.
	cal := w.sum(summary.Filter{StoreID: s1, From: local(20, 0, 0), To: local(21, 0, 0)})
	assert.Equal(t, figures(4, 19500, 1666, 1, 3000, 3000), cal.Method(summary.MethodCash), "cash")
	assert.Equal(t, figures(2, 37000, 0, 0, 0, 0), cal.Method(summary.MethodWeChat), "wechat")
	assert.Equal(t, figures(1, 12000, 1334, 0, 0, 0), cal.Method(summary.MethodAlipay), "alipay")
	assert.Equal(t, figures(8, 71000, 3000, 1, 3000, 3000), cal.Total, "calendar total")
	assert.Equal(t, summary.Deposits{TakenCount: 2, Taken: 80000, Consumed: 32000, Released: 18000, Held: 30000, HeldCount: 1}, cal.Deposits)

	// Shift X alone.
	sh := w.sum(summary.Filter{StoreID: s1, ShiftID: x})
	assert.Equal(t, figures(2, 15000, 1666, 0, 0, 0), sh.Method(summary.MethodCash), "cash")
	assert.Equal(t, figures(2, 8000, 0, 1, 1000, 1000), sh.Method(summary.MethodWeChat), "wechat")
	assert.Equal(t, figures(1, 12000, 1334, 1, 6000, 6667), sh.Method(summary.MethodAlipay), "alipay")
	assert.Equal(t, figures(5, 35000, 3000, 2, 7000, 7667), sh.Total, "shift total")

	// A staff member over a range; the second store on its own.
	b := w.sum(summary.Filter{StoreID: s1, StaffID: w.people["1003"].ID, From: local(21, 0, 0), To: local(22, 0, 0)})
	assert.Equal(t, figures(1, 4000, 0, 0, 0, 0), b.Total)
	other := w.sum(summary.Filter{StoreID: s2, Day: summary.Day{Year: 2026, Month: 11, D: 20}})
	assert.Equal(t, figures(1, 100000, 0, 0, 0, 0), other.Total)
	assert.Equal(t, figures(1, 100000, 0, 0, 0, 0), other.Method(summary.MethodCash))

	// Refunding the rest of the Alipay tender carries back exactly the rest
	// of its discount share: 13.34 in all.
	w.refund("1002", p3, 6000, local(21, 3, 0))
	rest := w.sum(summary.Filter{StoreID: s1, From: local(21, 2, 30), To: local(21, 4, 0)})
	assert.Equal(t, figures(0, 0, 0, 1, 6000, 6667), rest.Method(summary.MethodAlipay))
	all := w.sum(summary.Filter{StoreID: s1, From: local(20, 0, 0), To: local(22, 0, 0)})
	assert.Equal(t, all.Method(summary.MethodAlipay).Discount, all.Method(summary.MethodAlipay).Refund-all.Method(summary.MethodAlipay).RefundSettlement)
}

// Business-rules section 2's example: A on at T1, off at T2; B on at T3,
// off at T4. A payment belongs to the shift of the person who took it, at
// its time: payments before, inside and after each interval land in the
// right shift or in none.
func TestSummary_ShiftsAreIntervalsOfTheirPerson(t *testing.T) {
	w := newTakingsWorld(t)
	s := w.term.StoreID
	pay := func(code string, amount app.Money, at time.Time) {
		o := w.open(code, s, app.OrderSale, amount, 0, at)
		w.cash(code, o, amount, at)
	}
	T1, T2, T3, T4 := local(20, 8, 0), local(20, 12, 0), local(20, 13, 0), local(20, 18, 0)
	pay("1002", 101, T1.Add(-time.Minute)) // A before T1
	pay("1003", 202, T1.Add(time.Minute))  // B while only A is on
	a := w.clockOn("1002", T1)
	pay("1002", 1000, T1.Add(time.Minute)) // A inside
	pay("1002", 2000, T2.Add(-time.Minute))
	w.clockOff(a, T2)
	pay("1002", 303, T2.Add(time.Minute)) // A after T2
	pay("1003", 404, T3.Add(-time.Minute))
	b := w.clockOn("1003", T3)
	pay("1003", 5000, T3.Add(time.Minute))  // B inside
	pay("1002", 505, T3.Add(2*time.Minute)) // A, off shift, while B is on
	w.clockOff(b, T4)
	pay("1003", 606, T4.Add(time.Minute)) // B after T4

	sa := w.sum(summary.Filter{StoreID: s, ShiftID: a})
	assert.Equal(t, figures(2, 3000, 0, 0, 0, 0), sa.Total, "A's shift: T1–T2, A's payments only")
	sb := w.sum(summary.Filter{StoreID: s, ShiftID: b})
	assert.Equal(t, figures(1, 5000, 0, 0, 0, 0), sb.Total, "B's shift: T3–T4, B's payments only")
	// A's shift equals A's payments over T1–T2 by time.
	byTime := w.sum(summary.Filter{StoreID: s, StaffID: w.people["1002"].ID, From: T1, To: T2})
	assert.Equal(t, sa.Total, byTime.Total)
	// The store over the day has every payment.
	whole := w.sum(summary.Filter{StoreID: s, From: local(20, 0, 0), To: local(21, 0, 0)})
	assert.Equal(t, int64(9), whole.Total.TxCount)
	assert.Equal(t, app.Money(101+202+1000+2000+303+404+5000+505+606), whole.Total.Settlement)
}

func TestSummary_BadFilters(t *testing.T) {
	w := newTakingsWorld(t)
	e := summary.Engine{Store: w.db}
	ctx := context.Background()
	_, err := e.Summarize(ctx, summary.Filter{From: local(20, 0, 0), To: local(21, 0, 0)})
	assert.ErrorIs(t, err, summary.ErrNoStore)
	_, err = e.Summarize(ctx, summary.Filter{StoreID: 1, From: local(21, 0, 0), To: local(20, 0, 0)})
	assert.ErrorIs(t, err, summary.ErrBadRange)
	_, err = e.Summarize(ctx, summary.Filter{StoreID: 1, From: local(20, 0, 0)})
	assert.ErrorIs(t, err, summary.ErrBadRange)
	_, err = e.Summarize(ctx, summary.Filter{StoreID: 1})
	assert.ErrorIs(t, err, summary.ErrBadRange)
	_, err = e.Summarize(ctx, summary.Filter{StoreID: 1, Day: summary.Day{Year: 2026, Month: 11, D: 20}, From: local(20, 0, 0), To: local(21, 0, 0)})
	assert.ErrorIs(t, err, summary.ErrTooManyBy)
	_, err = summary.ParseDay("2026-13-01")
	assert.ErrorIs(t, err, summary.ErrBadDay)
}

var _ = localdb.Open

// An order's discount is part of what its tenders took: each tender's
// share goes with that tender, to the person who took it and the shift
// they were on — not to whoever opened the order. Here 李娜 opens a
// discounted order, hands it over held at her clock-off, and 张伟 takes
// the money on his shift the next morning.
func TestSummary_DiscountGoesWithTheTenderThatPaid(t *testing.T) {
	w := newTakingsWorld(t)
	s := w.term.StoreID
	x := w.clockOn("1002", local(20, 21, 0))
	o := w.open("1002", s, app.OrderSale, 10000, 1000, local(20, 21, 50)) // 100.00 less 10.00, held
	w.clockOff(x, local(20, 22, 0))
	z := w.clockOn("1003", local(21, 9, 0))
	w.cash("1003", o, 9000, local(21, 9, 5))
	w.clockOff(z, local(21, 17, 0))

	assert.Equal(t, summary.Figures{}, w.sum(summary.Filter{StoreID: s, ShiftID: x}).Total, "李娜's shift took nothing")
	assert.Equal(t, figures(1, 9000, 1000, 0, 0, 0), w.sum(summary.Filter{StoreID: s, ShiftID: z}).Total, "张伟's shift: the sale and its discount")
	assert.Equal(t, figures(1, 9000, 1000, 0, 0, 0), w.sum(summary.Filter{StoreID: s, StaffID: w.people["1003"].ID,
		From: local(21, 0, 0), To: local(22, 0, 0)}).Total, "张伟 over the day")
	assert.Equal(t, summary.Figures{}, w.sum(summary.Filter{StoreID: s, StaffID: w.people["1002"].ID,
		From: local(20, 0, 0), To: local(22, 0, 0)}).Total, "李娜 took no money")
	assert.Equal(t, summary.Figures{}, w.sum(summary.Filter{StoreID: s, Day: summary.Day{Year: 2026, Month: 11, D: 20}}).Total)
	assert.Equal(t, figures(1, 9000, 1000, 0, 0, 0), w.sum(summary.Filter{StoreID: s, Day: summary.Day{Year: 2026, Month: 11, D: 21}}).Total)
}

// Money that settles after its shift was handed over cannot be in that
// handover: it belongs to the shift its person is on when it settles (or
// to none), and to that shift's business day — a handed-over shift's
// figures never change afterwards. A WeChat payment scanned a minute
// before 李娜's clock-off is confirmed after it; a refund she asked for on
// that shift goes through the next morning, on her next shift.
func TestSummary_MoneySettledAfterTheShiftEnded(t *testing.T) {
	w := newTakingsWorld(t)
	ctx := context.Background()
	s := w.term.StoreID
	li := w.people["1002"]
	x := w.clockOn("1002", local(20, 22, 0)) // crosses midnight: the 20th's
	o1 := w.open("1002", s, app.OrderSale, 5000, 0, local(20, 23, 0))
	p1 := w.wallet("1002", o1, app.WalletWeChat, 5000, local(20, 23, 0))

	// Asked on shift X, done later.
	r := payment.Refund{OutRefundNo: w.no("R"), OrderID: p1.OrderID, IntentID: p1.ID, Amount: 2000,
		State: payment.RefundCreated, StaffID: li.ID, CreatedAt: local(21, 0, 50), UpdatedAt: local(21, 0, 50)}
	require.NoError(t, w.store.CreateRefund(ctx, &r, app.AuditEntry{At: r.CreatedAt, StaffID: li.ID, Action: "refund"}))
	r.State, r.UpdatedAt = payment.RefundProcessing, local(21, 0, 51)
	require.NoError(t, w.store.SaveRefund(ctx, &r))
	// Scanned on shift X, confirmed after it.
	o2 := w.open("1002", s, app.OrderSale, 3000, 0, local(21, 0, 59))
	in := payment.PaymentIntent{OutTradeNo: w.no("P"), OrderID: o2.ID, OrderNo: o2.OrderNo, Kind: payment.IntentKindPay,
		Channel: app.ChannelWeChat, Wallet: app.WalletWeChat, CodeMasked: "1345**********6789", CodeHash: w.no("h"),
		Amount: 3000, State: payment.IntentCreated, StaffID: li.ID, CreatedAt: local(21, 0, 59), UpdatedAt: local(21, 0, 59)}
	require.NoError(t, w.store.CreateIntent(ctx, &in, local(21, 0, 50)))

	before := w.sum(summary.Filter{StoreID: s, ShiftID: x})
	w.clockOff(x, local(21, 1, 0))
	in.State, in.TransactionID, in.FinishedAt, in.UpdatedAt = payment.IntentPaid, w.no("T"), local(21, 1, 2), local(21, 1, 2)
	require.NoError(t, w.store.FinishIntent(ctx, &in))
	y := w.clockOn("1002", local(21, 9, 0))
	r.State, r.FinishedAt, r.UpdatedAt = payment.RefundRefunded, local(21, 9, 30), local(21, 9, 30)
	require.NoError(t, w.store.FinishRefund(ctx, &r))

	assert.Equal(t, before, w.sum(summary.Filter{StoreID: s, ShiftID: x}), "shift X as it was handed over")
	assert.Equal(t, figures(1, 5000, 0, 0, 0, 0), before.Total)
	assert.Equal(t, figures(0, 0, 0, 1, 2000, 2000), w.sum(summary.Filter{StoreID: s, ShiftID: y}).Total, "the refund, on the shift it went back in")
	day20 := w.sum(summary.Filter{StoreID: s, Day: summary.Day{Year: 2026, Month: 11, D: 20}})
	assert.Equal(t, figures(1, 5000, 0, 0, 0, 0), day20.Total, "the 20th: shift X only")
	day21 := w.sum(summary.Filter{StoreID: s, Day: summary.Day{Year: 2026, Month: 11, D: 21}})
	assert.Equal(t, figures(1, 3000, 0, 1, 2000, 2000), day21.Total, "the 21st: the payment confirmed off shift and the refund on shift Y")
}

// A shift together with a business day: the shift's figures when it
// belongs to that day, nothing otherwise.
func TestSummary_ShiftAndDay(t *testing.T) {
	w := newTakingsWorld(t)
	s := w.term.StoreID
	x := w.clockOn("1002", local(20, 22, 0))
	o := w.open("1002", s, app.OrderSale, 1500, 0, local(21, 1, 0))
	w.cash("1002", o, 1500, local(21, 1, 0))
	w.clockOff(x, local(21, 2, 0))
	assert.Equal(t, figures(1, 1500, 0, 0, 0, 0), w.sum(summary.Filter{StoreID: s, ShiftID: x, Day: summary.Day{Year: 2026, Month: 11, D: 20}}).Total)
	assert.Equal(t, summary.Figures{}, w.sum(summary.Filter{StoreID: s, ShiftID: x, Day: summary.Day{Year: 2026, Month: 11, D: 21}}).Total,
		"the shift is the 20th's")
}
