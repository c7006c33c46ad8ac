package report_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/payment"
	"cashier/app/report"
	"cashier/app/summary"
	"cashier/localdb"
)

// world writes sales, refunds, voids and deposits through the storage
// calls the checkout and the payment machine make, at chosen times, so
// every report can be checked against sums worked out by hand.
type world struct {
	t      *testing.T
	ctx    context.Context
	db     *localdb.DB
	store  payment.Store
	term   app.TerminalInfo
	svc    *report.Service
	seq    int
	s1, s2 int64
	people map[string]app.Staff
	orders map[string]app.Order
}

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// local is a time on the store's clock in November 2026.
func local(day, hour, min int) time.Time { return time.Date(2026, 11, day, hour, min, 0, 0, shanghai) }

func newWorld(t *testing.T) *world {
	ctx := context.Background()
	db, err := localdb.Open(filepath.Join(t.TempDir(), "pos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.SeedDemo(ctx, auth.PINHasher{Cost: bcrypt.MinCost}, time.Date(2026, 10, 1, 9, 0, 0, 0, shanghai))
	require.NoError(t, err)
	term, err := db.CurrentTerminal(ctx)
	require.NoError(t, err)
	w := &world{t: t, ctx: ctx, db: db, store: localdb.NewPaymentStore(db), term: term, s1: term.StoreID,
		people: map[string]app.Staff{}, orders: map[string]app.Order{}}
	w.svc = &report.Service{Store: db, People: db, Shifts: db}
	w.s2 = w.exec(`INSERT INTO store(merchant_id, code, name, timezone, created_at) SELECT merchant_id, 'S2', '二号店', 'Asia/Shanghai', 0 FROM store WHERE id=?`, w.s1)
	w.exec(`INSERT INTO terminal(store_id, code, name, created_at) VALUES (?, 'T2', '二号店收银台', 0)`, w.s2)
	w.exec(`INSERT INTO staff(store_id, code, name, role_code, pin_hash, created_at, updated_at) VALUES (?, '2001', '赵敏', 'clerk', 'x', 0, 0)`, w.s2)
	admin := w.exec(`INSERT INTO staff(store_id, code, name, role_code, pin_hash, created_at, updated_at) VALUES (NULL, '9001', '总部', 'admin', 'x', 0, 0)`)
	w.exec(`INSERT INTO staff_permission(staff_id, permission_code, granted_at) VALUES (?, 'view_store_orders', 0)`, admin)
	for _, code := range []string{"1001", "1002", "1003", "2001", "9001"} {
		w.reload(code)
	}
	return w
}

func (w *world) reload(code string) app.Staff {
	s, _, err := w.db.StaffByCode(w.ctx, code)
	require.NoError(w.t, err)
	w.people[code] = s
	return s
}

func (w *world) exec(q string, args ...any) int64 {
	var id int64
	require.NoError(w.t, w.db.Write(w.ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(q, args...)
		if err == nil {
			id, err = res.LastInsertId()
		}
		return err
	}))
	return id
}

func (w *world) clockOn(code string, at time.Time) int64 {
	return w.exec(`INSERT INTO shift(store_id, terminal_id, staff_id, started_at) VALUES (?,?,?,?)`,
		w.people[code].StoreID, w.term.ID, w.people[code].ID, at.UnixMilli())
}

func (w *world) clockOff(shift int64, at time.Time) {
	w.exec(`UPDATE shift SET ended_at=? WHERE id=?`, at.UnixMilli(), shift)
}

func (w *world) no(prefix string) string {
	w.seq++
	return fmt.Sprintf("%s%06d", prefix, w.seq)
}

// open writes an open order named name: total before the discount.
func (w *world) open(name, code string, store int64, kind app.OrderKind, total, discount app.Money, at time.Time) app.Order {
	o := app.Order{OrderNo: w.no("O"), StoreID: store, TerminalID: w.term.ID, StaffID: w.people[code].ID,
		Kind: kind, Status: app.OrderOpen, Total: total, Discount: discount, Payable: total - discount, CreatedAt: at}
	require.NoError(w.t, w.db.CreateOrder(w.ctx, &o))
	w.orders[name] = o
	return o
}

func (w *world) cash(code string, o app.Order, amount app.Money, at time.Time) {
	t := app.Tender{OrderID: o.ID, Amount: amount, CashReceived: amount, StaffID: w.people[code].ID, CreatedAt: at}
	require.NoError(w.t, w.db.AddCashTender(w.ctx, &t))
}

func (w *world) wallet(code string, o app.Order, wallet app.Wallet, amount app.Money, at time.Time) payment.PaymentIntent {
	kind := payment.IntentKindPay
	if o.Kind == app.OrderDeposit {
		kind = payment.IntentKindDeposit
	}
	in := payment.PaymentIntent{OutTradeNo: w.no("P"), OrderID: o.ID, OrderNo: o.OrderNo, Kind: kind,
		Channel: app.ChannelWeChat, Wallet: wallet, CodeMasked: "1345**********6789", CodeHash: w.no("h"),
		Amount: amount, State: payment.IntentCreated, StaffID: w.people[code].ID, CreatedAt: at, UpdatedAt: at}
	require.NoError(w.t, w.store.CreateIntent(w.ctx, &in, at.Add(-10*time.Second)))
	in.State, in.TransactionID, in.FinishedAt, in.UpdatedAt = payment.IntentPaid, w.no("T"), at, at
	require.NoError(w.t, w.store.FinishIntent(w.ctx, &in))
	return in
}

func (w *world) refund(code string, in payment.PaymentIntent, amount app.Money, at time.Time) {
	r := payment.Refund{OutRefundNo: w.no("R"), OrderID: in.OrderID, IntentID: in.ID, Amount: amount,
		State: payment.RefundCreated, StaffID: w.people[code].ID, CreatedAt: at, UpdatedAt: at}
	require.NoError(w.t, w.store.CreateRefund(w.ctx, &r, app.AuditEntry{At: at, StaffID: r.StaffID, Action: "refund", Subject: r.OutRefundNo}))
	r.State, r.FinishedAt, r.UpdatedAt = payment.RefundRefunded, at, at
	require.NoError(w.t, w.store.FinishRefund(w.ctx, &r))
}

func (w *world) consume(code, depositNo string, amount app.Money, at time.Time) {
	d, err := w.store.GetDeposit(w.ctx, depositNo)
	require.NoError(w.t, err)
	op := payment.DepositOp{DepositID: d.ID, Kind: app.DepositOpConsume, OutRequestNo: w.no("D"), Amount: amount,
		State: payment.DepositOpCreated, StaffID: w.people[code].ID, CreatedAt: at, UpdatedAt: at}
	require.NoError(w.t, w.store.CreateDepositOp(w.ctx, &op, app.AuditEntry{At: at, StaffID: op.StaffID, Action: "deposit_consume"}))
	op.State, op.UpdatedAt = payment.DepositOpDone, at
	require.NoError(w.t, w.store.FinishDepositOp(w.ctx, &op))
}

// handBuilt is November 2026 in the demo store (S1) and a second store
// (S2). Orders are named A–L; the figures every report must show are
// worked out by hand from this list in the tests below.
//
//	A 20th 09:15 李娜, no shift: 100.00 less 10.00, cash 90.00
//	  shift X: 李娜 from the 20th 10:00 to the 21st 02:00
//	B 10:30 李娜 on X: WeChat 50.00; 16:00 refund 10.00
//	C 11:00 李娜 on X: 200.00 less 20.00, Alipay 120.00 + cash 60.00
//	  (discount shares 13.34 / 6.66); the 21st 01:00 Alipay refund 60.00
//	  carrying back 6.67 of discount
//	D 12:05 张伟, no shift: deposit 500.00 WeChat; 14:00 consume 320.00
//	  (180.00 back)
//	E 13:00 王店长, no shift: 35.00 less 5.00 cash, committed at once
//	F 15:00 张伟: 80.00, cash 30.00, voided 15:05 (cash back)
//	I 17:00 李娜: 12.00 left open
//	G 23:30 李娜 on X: UnionPay 25.00
//	H the 21st 00:30 李娜 on X: WeChat 30.00 (business day: the 20th)
//	J the 21st 09:00 张伟: WeChat 40.00; 09:30 refunded whole by 王店长
//	K the 5th 10:00 王店长: cash 8.00
//	L 31 October 10:00 王店长: cash 7.00
//	M S2, the 20th 10:00 赵敏: cash 1,000.00
func handBuilt(t *testing.T) *world {
	w := newWorld(t)
	s1 := w.s1
	a := w.open("A", "1002", s1, app.OrderSale, 10000, 1000, local(20, 9, 15))
	w.cash("1002", a, 9000, local(20, 9, 15))
	x := w.clockOn("1002", local(20, 10, 0))
	b := w.open("B", "1002", s1, app.OrderSale, 5000, 0, local(20, 10, 30))
	pb := w.wallet("1002", b, app.WalletWeChat, 5000, local(20, 10, 30))
	c := w.open("C", "1002", s1, app.OrderSale, 20000, 2000, local(20, 11, 0))
	pc := w.wallet("1002", c, app.WalletAlipay, 12000, local(20, 11, 0))
	w.cash("1002", c, 6000, local(20, 11, 1))
	d := w.open("D", "1003", s1, app.OrderDeposit, 50000, 0, local(20, 12, 5))
	w.wallet("1003", d, app.WalletWeChat, 50000, local(20, 12, 5))
	w.consume("1003", d.OrderNo, 32000, local(20, 14, 0))
	e := app.Order{OrderNo: w.no("O"), StoreID: s1, TerminalID: w.term.ID, StaffID: w.people["1001"].ID, Kind: app.OrderSale,
		Total: 3500, Discount: 500, Payable: 3000, CreatedAt: local(20, 13, 0),
		Lines: []app.OrderLine{{Name: "可口可乐", Qty: 7, UnitPrice: 500, Discount: 500, Amount: 3000}}}
	require.NoError(t, w.db.CommitPaidSale(w.ctx, &e, []app.Tender{{Kind: app.TenderCash, Amount: 3000, CashReceived: 5000,
		StaffID: w.people["1001"].ID, CreatedAt: local(20, 13, 0)}}))
	w.orders["E"] = e
	f := w.open("F", "1003", s1, app.OrderSale, 8000, 0, local(20, 15, 0))
	w.cash("1003", f, 3000, local(20, 15, 0))
	require.NoError(t, w.db.VoidOrder(w.ctx, f.ID, w.people["1003"].ID, local(20, 15, 5)))
	w.refund("1002", pb, 1000, local(20, 16, 0))
	w.open("I", "1002", s1, app.OrderSale, 1200, 0, local(20, 17, 0))
	g := w.open("G", "1002", s1, app.OrderSale, 2500, 0, local(20, 23, 30))
	w.wallet("1002", g, app.WalletUnionPay, 2500, local(20, 23, 30))
	h := w.open("H", "1002", s1, app.OrderSale, 3000, 0, local(21, 0, 30))
	w.wallet("1002", h, app.WalletWeChat, 3000, local(21, 0, 30))
	w.refund("1002", pc, 6000, local(21, 1, 0))
	w.clockOff(x, local(21, 2, 0))
	j := w.open("J", "1003", s1, app.OrderSale, 4000, 0, local(21, 9, 0))
	pj := w.wallet("1003", j, app.WalletWeChat, 4000, local(21, 9, 0))
	w.refund("1001", pj, 4000, local(21, 9, 30))
	k := w.open("K", "1001", s1, app.OrderSale, 800, 0, local(5, 10, 0))
	w.cash("1001", k, 800, local(5, 10, 0))
	l := w.open("L", "1001", s1, app.OrderSale, 700, 0, time.Date(2026, 10, 31, 10, 0, 0, 0, shanghai))
	w.cash("1001", l, 700, time.Date(2026, 10, 31, 10, 0, 0, 0, shanghai))
	m := w.open("M", "2001", w.s2, app.OrderSale, 100000, 0, local(20, 10, 0))
	w.cash("2001", m, 100000, local(20, 10, 0))
	return w
}

// figures are the eight figures from what was taken and given back.
func figures(txCount int64, settlement, discount app.Money, refundCount int64, refundSettlement, refund app.Money) summary.Figures {
	return summary.Figures{TxAmount: settlement + discount, Settlement: settlement, Received: settlement - refundSettlement,
		Discount: discount, Refund: refund, RefundSettlement: refundSettlement, TxCount: txCount, RefundCount: refundCount}
}

var (
	day20 = summary.Day{Year: 2026, Month: 11, D: 20}
	day21 = summary.Day{Year: 2026, Month: 11, D: 21}
	day5  = summary.Day{Year: 2026, Month: 11, D: 5}
)

// By hand, the 20th's business day in S1: every order of the 20th but I
// (open) plus H and C's refund (shift X started on the 20th).
var (
	cash20    = figures(4, 9000+6000+3000+3000, 1000+666+500, 1, 3000, 3000) // A, C's cash, E, F; F's cash back
	wechat20  = figures(3, 5000+3000+32000, 0, 1, 1000, 1000)                // B, H, D's consumption; B's refund
	alipay20  = figures(1, 12000, 1334, 1, 6000, 6000+667)                   // C's Alipay and its refund
	union20   = figures(1, 2500, 0, 0, 0, 0)                                 // G
	total20   = figures(9, 75500, 3500, 3, 10000, 10667)
	li20      = figures(6, 9000+5000+12000+6000+2500+3000, 1000+1334+666, 2, 1000+6000, 1000+6667) // A B C G H, refunds of B and C
	zhang20   = figures(2, 32000+3000, 0, 1, 3000, 3000)                                           // D's consumption, F; F's cash back
	wang20    = figures(1, 3000, 500, 0, 0, 0)                                                     // E
	shiftX20  = figures(5, 5000+12000+6000+2500+3000, 2000, 2, 7000, 7667)                         // B C C G H, refunds of B and C
	noShift20 = figures(4, 9000+32000+3000+3000, 1500, 1, 3000, 3000)                              // A, D, E, F
	total21   = figures(1, 4000, 0, 1, 4000, 4000)                                                 // J and its refund
	total5    = figures(1, 800, 0, 0, 0, 0)                                                        // K
)

func TestSummary_HandBuiltDay(t *testing.T) {
	w := handBuilt(t)
	mgr := w.people["1001"]
	s, err := w.svc.Summary(w.ctx, mgr, summary.Filter{StoreID: w.s1, Day: day20})
	require.NoError(t, err)
	assert.Equal(t, cash20, s.Method(summary.MethodCash), "cash")
	assert.Equal(t, wechat20, s.Method(summary.MethodWeChat), "wechat")
	assert.Equal(t, alipay20, s.Method(summary.MethodAlipay), "alipay")
	assert.Equal(t, union20, s.Method(summary.MethodUnionPay), "unionpay")
	assert.Equal(t, summary.Figures{}, s.Method(summary.MethodMember), "member")
	assert.Equal(t, total20, s.Total)
	assert.Equal(t, app.Money(65500), s.Total.Received)
	assert.Equal(t, summary.Deposits{TakenCount: 1, Taken: 50000, Consumed: 32000, Released: 18000}, s.Deposits)

	// A time range of the 20th's clock: H and C's refund are the 21st's.
	r, err := w.svc.Summary(w.ctx, mgr, summary.Filter{StoreID: w.s1, From: local(20, 0, 0), To: local(21, 0, 0)})
	require.NoError(t, err)
	assert.Equal(t, figures(8, 72500, 3500, 2, 4000, 4000), r.Total)
	assert.Equal(t, summary.Deposits{TakenCount: 1, Taken: 50000, Consumed: 32000, Released: 18000}, r.Deposits,
		"the deposit was consumed: nothing held at the end")
}

func TestBreakdown_HandBuilt(t *testing.T) {
	w := handBuilt(t)
	mgr, li, zhang, wang := w.people["1001"], w.people["1002"], w.people["1003"], w.people["1001"]
	f := summary.Filter{StoreID: w.s1, Day: day20}

	byMethod, err := w.svc.Breakdown(w.ctx, mgr, f, report.ByMethod)
	require.NoError(t, err)
	require.Len(t, byMethod.Groups, len(summary.Methods))
	want := map[summary.Method]summary.Figures{summary.MethodCash: cash20, summary.MethodWeChat: wechat20,
		summary.MethodAlipay: alipay20, summary.MethodUnionPay: union20}
	for i, g := range byMethod.Groups {
		assert.Equal(t, summary.Methods[i], g.Method)
		assert.Equal(t, want[g.Method], g.Figures, g.Method)
	}
	assert.Equal(t, total20, byMethod.Total)

	byStaff, err := w.svc.Breakdown(w.ctx, mgr, f, report.ByStaff)
	require.NoError(t, err)
	require.Len(t, byStaff.Groups, 3)
	assert.Equal(t, []string{"1001", "1002", "1003"}, []string{byStaff.Groups[0].StaffCode, byStaff.Groups[1].StaffCode, byStaff.Groups[2].StaffCode})
	assert.Equal(t, wang20, byStaff.Groups[0].Figures, "王店长")
	assert.Equal(t, li20, byStaff.Groups[1].Figures, "李娜")
	assert.Equal(t, zhang20, byStaff.Groups[2].Figures, "张伟")
	assert.Equal(t, "李娜", byStaff.Groups[1].StaffName)
	assert.Equal(t, total20, byStaff.Total)

	byShift, err := w.svc.Breakdown(w.ctx, mgr, f, report.ByShift)
	require.NoError(t, err)
	require.Len(t, byShift.Groups, 2)
	x := byShift.Groups[0]
	assert.NotZero(t, x.ShiftID)
	assert.Equal(t, li.ID, x.StaffID)
	assert.Equal(t, "李娜", x.StaffName)
	assert.True(t, x.Start.Equal(local(20, 10, 0)), x.Start)
	assert.True(t, x.End.Equal(local(21, 2, 0)), x.End)
	assert.Equal(t, shiftX20, x.Figures, "shift X")
	assert.Zero(t, byShift.Groups[1].ShiftID, "on no shift, last")
	assert.Equal(t, noShift20, byShift.Groups[1].Figures, "on no shift")
	assert.Equal(t, total20, byShift.Total)

	// The same by a time range (the store's index by time, each row's
	// person from the table): the 21st.
	r21 := summary.Filter{StoreID: w.s1, From: local(21, 0, 0), To: local(22, 0, 0)}
	staff21, err := w.svc.Breakdown(w.ctx, mgr, r21, report.ByStaff)
	require.NoError(t, err)
	require.Len(t, staff21.Groups, 3)
	assert.Equal(t, figures(0, 0, 0, 1, 4000, 4000), staff21.Groups[0].Figures, "王店长 refunded J")
	assert.Equal(t, figures(1, 3000, 0, 1, 6000, 6667), staff21.Groups[1].Figures, "李娜: H, C's refund")
	assert.Equal(t, figures(1, 4000, 0, 0, 0, 0), staff21.Groups[2].Figures, "张伟: J")
	shift21, err := w.svc.Breakdown(w.ctx, mgr, r21, report.ByShift)
	require.NoError(t, err)
	require.Len(t, shift21.Groups, 2)
	assert.Equal(t, figures(1, 3000, 0, 1, 6000, 6667), shift21.Groups[0].Figures, "X after midnight")
	assert.Equal(t, figures(1, 4000, 0, 1, 4000, 4000), shift21.Groups[1].Figures, "J on no shift")

	byStore, err := w.svc.Breakdown(w.ctx, w.people["9001"], f, report.ByStore)
	require.NoError(t, err)
	require.Len(t, byStore.Groups, 2)
	s1, err := w.db.CurrentStore(w.ctx)
	require.NoError(t, err)
	assert.Equal(t, s1.Code, byStore.Groups[0].StoreCode, "by store code: S0001 before S2")
	assert.Equal(t, total20, byStore.Groups[0].Figures)
	assert.Equal(t, "S2", byStore.Groups[1].StoreCode)
	assert.Equal(t, "二号店", byStore.Groups[1].StoreName)
	assert.Equal(t, figures(1, 100000, 0, 0, 0, 0), byStore.Groups[1].Figures)
	assert.Equal(t, figures(10, 175500, 3500, 3, 10000, 10667), byStore.Total)

	// A store manager sees their store only.
	mine, err := w.svc.Breakdown(w.ctx, wang, f, report.ByStore)
	require.NoError(t, err)
	require.Len(t, mine.Groups, 1)
	assert.Equal(t, total20, mine.Total)

	_, err = w.svc.Breakdown(w.ctx, mgr, f, report.By("terminal"))
	assert.ErrorIs(t, err, report.ErrBadBy)
	_, err = w.svc.Breakdown(w.ctx, mgr, summary.Filter{StoreID: w.s1}, report.ByStaff)
	assert.ErrorIs(t, err, summary.ErrBadRange)
	_ = zhang
}

func TestBills_HandBuilt(t *testing.T) {
	w := handBuilt(t)
	mgr := w.people["1001"]
	daily, err := w.svc.Daily(w.ctx, mgr, report.BillFilter{StoreID: w.s1, Year: 2026, Month: time.November})
	require.NoError(t, err)
	require.Len(t, daily.Periods, 30)
	for i, p := range daily.Periods {
		d := summary.Day{Year: 2026, Month: time.November, D: i + 1}
		require.Equal(t, d, p.Day)
		switch d {
		case day5:
			assert.Equal(t, total5, p.Total, d)
		case day20:
			assert.Equal(t, total20, p.Total, d)
			assert.Equal(t, cash20, p.Method(summary.MethodCash))
			assert.Equal(t, alipay20, p.Method(summary.MethodAlipay))
			assert.Equal(t, summary.Deposits{TakenCount: 1, Taken: 50000, Consumed: 32000, Released: 18000}, p.Deposits)
		case day21:
			assert.Equal(t, total21, p.Total, d)
		default:
			assert.Equal(t, summary.Figures{}, p.Total, d)
		}
		// The bill's day is the day summary's, from the journal itself.
		s, err := w.svc.Summary(w.ctx, mgr, summary.Filter{StoreID: w.s1, Day: d})
		require.NoError(t, err)
		assert.Equal(t, s.Total, p.Total, d)
		assert.Equal(t, s.Deposits, p.Deposits, d)
	}
	november := figures(11, 75500+4000+800, 3500, 4, 14000, 14667)
	assert.Equal(t, november, daily.Total.Total)

	monthly, err := w.svc.Monthly(w.ctx, mgr, report.BillFilter{StoreID: w.s1, Year: 2026})
	require.NoError(t, err)
	require.Len(t, monthly.Periods, 12)
	for i, p := range monthly.Periods {
		switch time.Month(i + 1) {
		case time.October:
			assert.Equal(t, figures(1, 700, 0, 0, 0, 0), p.Total, "October: L")
		case time.November:
			assert.Equal(t, november, p.Total)
		default:
			assert.Equal(t, summary.Figures{}, p.Total, i+1)
		}
	}
	assert.Equal(t, figures(12, 81000, 3500, 4, 14000, 14667), monthly.Total.Total)

	// One person's month: 张伟.
	zd, err := w.svc.Daily(w.ctx, mgr, report.BillFilter{StoreID: w.s1, StaffID: w.people["1003"].ID, Year: 2026, Month: time.November})
	require.NoError(t, err)
	assert.Equal(t, zhang20, zd.Periods[19].Total)
	assert.Equal(t, figures(1, 4000, 0, 0, 0, 0), zd.Periods[20].Total, "J; its refund was 王店长's")

	// The 20th by the clock hour: H and C's refund were after midnight.
	hourly, err := w.svc.Hourly(w.ctx, mgr, report.BillFilter{StoreID: w.s1, Day: day20})
	require.NoError(t, err)
	require.Len(t, hourly.Periods, 24)
	wantHours := map[int]summary.Figures{
		9:  figures(1, 9000, 1000, 0, 0, 0),    // A
		10: figures(1, 5000, 0, 0, 0, 0),       // B
		11: figures(2, 18000, 2000, 0, 0, 0),   // C
		13: figures(1, 3000, 500, 0, 0, 0),     // E
		14: figures(1, 32000, 0, 0, 0, 0),      // D consumed
		15: figures(1, 3000, 0, 1, 3000, 3000), // F and its cash back
		16: figures(0, 0, 0, 1, 1000, 1000),    // B's refund
		23: figures(1, 2500, 0, 0, 0, 0),       // G
	}
	for h, p := range hourly.Periods {
		assert.Equal(t, h, p.Hour)
		assert.Equal(t, wantHours[h], p.Total, "hour %d", h)
	}
	assert.Equal(t, summary.Deposits{TakenCount: 1, Taken: 50000}, hourly.Periods[12].Deposits, "D frozen at 12:05")
	assert.Equal(t, figures(8, 72500, 3500, 2, 4000, 4000), hourly.Total.Total)

	for _, bad := range []report.BillFilter{{StoreID: w.s1, Year: 2026, Month: 13}, {StoreID: w.s1, Year: 1999, Month: 1}} {
		_, err := w.svc.Daily(w.ctx, mgr, bad)
		assert.ErrorIs(t, err, report.ErrBadPeriod, "%+v", bad)
	}
	_, err = w.svc.Hourly(w.ctx, mgr, report.BillFilter{StoreID: w.s1})
	assert.ErrorIs(t, err, report.ErrBadPeriod)
	_, err = w.svc.Monthly(w.ctx, mgr, report.BillFilter{StoreID: 999, Year: 2026})
	assert.Error(t, err)
}

func names(w *world, rows []report.Detail) []string {
	byNo := map[string]string{}
	for n, o := range w.orders {
		byNo[o.OrderNo] = n
	}
	var out []string
	for _, r := range rows {
		out = append(out, byNo[r.OrderNo])
	}
	return out
}

func TestDetails_HandBuiltFilters(t *testing.T) {
	w := handBuilt(t)
	mgr := w.people["1001"]
	base := report.DetailFilter{StoreID: w.s1, From: local(20, 0, 0), To: local(22, 0, 0)}
	list := func(f report.DetailFilter) []report.Detail {
		t.Helper()
		pg, err := w.svc.Details(w.ctx, mgr, f, report.Page{Limit: report.MaxPage})
		require.NoError(t, err)
		assert.False(t, pg.More)
		return pg.Rows
	}
	all := list(base)
	require.Equal(t, []string{"J", "H", "G", "I", "F", "E", "D", "C", "B", "A"}, names(w, all), "newest first; K, L, M outside")

	type want struct {
		kind     app.OrderKind
		staff    string
		methods  []summary.Method
		amount   app.Money
		discount app.Money
		refunded app.Money
		state    report.State
		at       time.Time
	}
	wants := map[string]want{
		"J": {app.OrderSale, "张伟", []summary.Method{summary.MethodWeChat}, 4000, 0, 4000, report.StateRefunded, local(21, 9, 0)},
		"H": {app.OrderSale, "李娜", []summary.Method{summary.MethodWeChat}, 3000, 0, 0, report.StatePaid, local(21, 0, 30)},
		"G": {app.OrderSale, "李娜", []summary.Method{summary.MethodUnionPay}, 2500, 0, 0, report.StatePaid, local(20, 23, 30)},
		"I": {app.OrderSale, "李娜", nil, 1200, 0, 0, report.StateUnsettled, local(20, 17, 0)},
		"F": {app.OrderSale, "张伟", []summary.Method{summary.MethodCash}, 8000, 0, 3000, report.StateClosed, local(20, 15, 0)},
		"E": {app.OrderSale, "王店长", []summary.Method{summary.MethodCash}, 3000, 500, 0, report.StatePaid, local(20, 13, 0)},
		"D": {app.OrderDeposit, "张伟", []summary.Method{summary.MethodWeChat}, 50000, 0, 0, report.StatePaid, local(20, 12, 5)},
		"C": {app.OrderSale, "李娜", []summary.Method{summary.MethodAlipay, summary.MethodCash}, 18000, 2000, 6000, report.StatePartRefunded, local(20, 11, 0)},
		"B": {app.OrderSale, "李娜", []summary.Method{summary.MethodWeChat}, 5000, 0, 1000, report.StatePartRefunded, local(20, 10, 30)},
		"A": {app.OrderSale, "李娜", []summary.Method{summary.MethodCash}, 9000, 1000, 0, report.StatePaid, local(20, 9, 15)},
	}
	for i, d := range all {
		n := names(w, all)[i]
		x := wants[n]
		got := want{d.Kind, d.StaffName, d.Methods, d.Amount, d.Discount, d.Refunded, d.State(), d.At}
		x.at, got.at = x.at.UTC(), got.at.UTC()
		assert.Equal(t, x, got, n)
	}

	for _, tc := range []struct {
		name string
		f    func(*report.DetailFilter)
		want []string
	}{
		{"wechat", func(f *report.DetailFilter) { f.Method = summary.MethodWeChat }, []string{"J", "H", "D", "B"}},
		{"cash, the voided one too", func(f *report.DetailFilter) { f.Method = summary.MethodCash }, []string{"F", "E", "C", "A"}},
		{"alipay", func(f *report.DetailFilter) { f.Method = summary.MethodAlipay }, []string{"C"}},
		{"member", func(f *report.DetailFilter) { f.Method = summary.MethodMember }, nil},
		{"张伟", func(f *report.DetailFilter) { f.StaffID = w.people["1003"].ID }, []string{"J", "F", "D"}},
		{"30.00–90.00", func(f *report.DetailFilter) { f.Min, f.Max = 3000, 9000 }, []string{"J", "H", "F", "E", "B", "A"}},
		{"from 100.00", func(f *report.DetailFilter) { f.Min = 10000 }, []string{"D", "C"}},
		{"up to 25.00", func(f *report.DetailFilter) { f.Max = 2500 }, []string{"G", "I"}},
		{"paid", func(f *report.DetailFilter) { f.State = report.StatePaid }, []string{"H", "G", "E", "D", "A"}},
		{"part refunded", func(f *report.DetailFilter) { f.State = report.StatePartRefunded }, []string{"C", "B"}},
		{"refunded", func(f *report.DetailFilter) { f.State = report.StateRefunded }, []string{"J"}},
		{"closed", func(f *report.DetailFilter) { f.State = report.StateClosed }, []string{"F"}},
		{"unsettled", func(f *report.DetailFilter) { f.State = report.StateUnsettled }, []string{"I"}},
		{"12:00–16:00", func(f *report.DetailFilter) { f.From, f.To = local(20, 12, 0), local(20, 16, 0) }, []string{"F", "E", "D"}},
		{"to exclusive", func(f *report.DetailFilter) { f.From, f.To = local(20, 13, 0), local(20, 15, 0) }, []string{"E"}},
		{"deposits", func(f *report.DetailFilter) { f.Kind = app.OrderDeposit }, []string{"D"}},
		{"李娜's paid WeChat", func(f *report.DetailFilter) {
			f.StaffID, f.Method, f.State = w.people["1002"].ID, summary.MethodWeChat, report.StatePaid
		}, []string{"H"}},
		{"the whole history", func(f *report.DetailFilter) { f.From, f.To = time.Time{}, time.Time{} },
			[]string{"J", "H", "G", "I", "F", "E", "D", "C", "B", "A", "K", "L"}},
	} {
		f := base
		tc.f(&f)
		assert.Equal(t, tc.want, names(w, list(f)), tc.name)
	}
	x := list(report.DetailFilter{StoreID: w.s1, ShiftID: byShiftID(t, w)})
	assert.Equal(t, []string{"H", "G", "I", "C", "B"}, names(w, x), "opened on shift X")

	// Pages of three, each after the last one's cursor.
	var paged []report.Detail
	p := report.Page{Limit: 3}
	for i := 0; ; i++ {
		pg, err := w.svc.Details(w.ctx, mgr, base, p)
		require.NoError(t, err)
		paged = append(paged, pg.Rows...)
		if !pg.More {
			assert.Equal(t, 3, i, "four pages")
			break
		}
		require.Len(t, pg.Rows, 3)
		p.After = pg.Next
	}
	assert.Equal(t, names(w, all), names(w, paged))

	for _, bad := range []report.DetailFilter{
		{StoreID: w.s1, Min: 500, Max: 100},
		{StoreID: w.s1, Min: -1},
		{StoreID: w.s1, State: "lost"},
		{StoreID: w.s1, Method: "paypal"},
		{StoreID: w.s1, Kind: "gift"},
		{StoreID: w.s1, From: local(21, 0, 0), To: local(20, 0, 0)},
		{},
	} {
		_, err := w.svc.Details(w.ctx, mgr, bad, report.Page{})
		assert.Error(t, err, "%+v", bad)
	}
	_, err := w.svc.Details(w.ctx, w.people["9001"], report.DetailFilter{StoreID: 999}, report.Page{})
	assert.ErrorIs(t, err, report.ErrUnknownStore)
}

func byShiftID(t *testing.T, w *world) int64 {
	var id int64
	require.NoError(t, w.db.Read().QueryRow(`SELECT id FROM shift WHERE staff_id=? ORDER BY id LIMIT 1`, w.people["1002"].ID).Scan(&id))
	return id
}

// Who sees what (business-rules sections 1 and 2): a manager the store, an
// administrator every store, a clerk their own figures and only while
// clocked on — then the store's transaction details too; a permission
// granted or a person disabled counts at once.
func TestVisibility(t *testing.T) {
	w := handBuilt(t)
	day := summary.Filter{StoreID: w.s1, Day: day20}
	li, zhang := w.people["1002"], w.people["1003"]

	// Off shift, a clerk sees nothing.
	_, err := w.svc.Summary(w.ctx, zhang, day)
	assert.ErrorIs(t, err, report.ErrOffShift)
	_, err = w.svc.Details(w.ctx, zhang, report.DetailFilter{StoreID: w.s1}, report.Page{})
	assert.ErrorIs(t, err, report.ErrOffShift)
	_, err = w.svc.Daily(w.ctx, zhang, report.BillFilter{StoreID: w.s1, Year: 2026, Month: 11})
	assert.ErrorIs(t, err, report.ErrOffShift)
	_, err = w.svc.Order(w.ctx, zhang, w.orders["J"].OrderNo)
	assert.ErrorIs(t, err, report.ErrOffShift)

	// On shift: their own figures, whatever filter they ask with.
	w.clockOn("1002", local(22, 9, 0))
	s, err := w.svc.Summary(w.ctx, li, day)
	require.NoError(t, err)
	assert.Equal(t, li20, s.Total)
	_, err = w.svc.Summary(w.ctx, li, summary.Filter{StoreID: w.s1, Day: day20, StaffID: zhang.ID})
	assert.ErrorIs(t, err, report.ErrNotVisible)
	_, err = w.svc.Summary(w.ctx, li, summary.Filter{StoreID: w.s2, Day: day20})
	assert.ErrorIs(t, err, report.ErrNotVisible)
	b, err := w.svc.Breakdown(w.ctx, li, day, report.ByStaff)
	require.NoError(t, err)
	require.Len(t, b.Groups, 1)
	assert.Equal(t, li.ID, b.Groups[0].StaffID)
	d, err := w.svc.Daily(w.ctx, li, report.BillFilter{StoreID: w.s1, Year: 2026, Month: 11})
	require.NoError(t, err)
	assert.Equal(t, li20, d.Periods[19].Total)
	assert.Equal(t, summary.Figures{}, d.Periods[20].Total, "H and C's refund are the 20th's (shift X), J is 张伟's")
	stores, err := w.svc.Breakdown(w.ctx, li, day, report.ByStore)
	require.NoError(t, err)
	require.Len(t, stores.Groups, 1)
	assert.Equal(t, li20, stores.Total)
	// ... and the store's transaction details (section 2).
	pg, err := w.svc.Details(w.ctx, li, report.DetailFilter{StoreID: w.s1, From: local(20, 0, 0), To: local(22, 0, 0)}, report.Page{})
	require.NoError(t, err)
	assert.Len(t, pg.Rows, 10)
	o, err := w.svc.Order(w.ctx, li, w.orders["J"].OrderNo)
	require.NoError(t, err)
	assert.Equal(t, "张伟", staffName(w, o.StaffID))
	_, err = w.svc.Details(w.ctx, li, report.DetailFilter{StoreID: w.s2}, report.Page{})
	assert.ErrorIs(t, err, report.ErrNotVisible)
	_, err = w.svc.Order(w.ctx, li, w.orders["M"].OrderNo)
	assert.ErrorIs(t, err, report.ErrNotVisible)

	// The permission, granted now, shows the store off shift.
	w.exec(`INSERT INTO staff_permission(staff_id, permission_code, granted_at) VALUES (?, 'view_store_orders', 0)`, zhang.ID)
	s, err = w.svc.Summary(w.ctx, zhang, day)
	require.NoError(t, err)
	assert.Equal(t, total20, s.Total)

	// A manager without it: their own figures, their own orders off shift.
	w.exec(`DELETE FROM staff_permission WHERE staff_id=? AND permission_code='view_store_orders'`, w.people["1001"].ID)
	mgr := w.people["1001"]
	s, err = w.svc.Summary(w.ctx, mgr, day)
	require.NoError(t, err)
	assert.Equal(t, wang20, s.Total)
	pg, err = w.svc.Details(w.ctx, mgr, report.DetailFilter{StoreID: w.s1}, report.Page{})
	require.NoError(t, err)
	assert.Equal(t, []string{"E", "K", "L"}, names(w, pg.Rows))
	_, err = w.svc.Order(w.ctx, mgr, w.orders["J"].OrderNo)
	assert.ErrorIs(t, err, report.ErrNotVisible)

	// Disabled: nothing, whatever they hold.
	w.exec(`UPDATE staff SET disabled=1 WHERE id=?`, zhang.ID)
	_, err = w.svc.Summary(w.ctx, zhang, day)
	assert.ErrorIs(t, err, app.ErrStaffDisabled)

	// The rule itself, without storage.
	clerk := app.Staff{ID: 7, StoreID: 1, Role: app.RoleClerk, Name: "x"}
	_, err = report.Visibility(clerk, false)
	assert.ErrorIs(t, err, app.ErrNoPermission)
	sc, err := report.Visibility(clerk, true)
	require.NoError(t, err)
	assert.Equal(t, report.Scope{Staff: clerk, StoreID: 1, OwnFigures: true}, sc)
	admin := app.Staff{ID: 8, Role: app.RoleAdmin, Permissions: map[string]bool{app.PermViewStoreOrders: true}}
	sc, err = report.Visibility(admin, false)
	require.NoError(t, err)
	assert.True(t, sc.AllStores)
	assert.False(t, sc.OwnFigures || sc.OwnOrders)
}

func staffName(w *world, id int64) string {
	for _, p := range w.people {
		if p.ID == id {
			return p.Name
		}
	}
	return ""
}

func code(m app.Message) string { return m.Code }

// Each report as a table: the screen's text for the hand-built figures;
// the details table walks every page.
func TestTables_HandBuilt(t *testing.T) {
	w := handBuilt(t)
	mgr := w.people["1001"]
	daily, err := w.svc.Daily(w.ctx, mgr, report.BillFilter{StoreID: w.s1, Year: 2026, Month: time.November})
	require.NoError(t, err)
	rows, err := report.BillTable(daily, shanghai).Strings(w.ctx, code)
	require.NoError(t, err)
	require.Len(t, rows, 1+30+1)
	assert.Equal(t, []string{"report.col.day", "report.col.tx_amount", "report.col.settlement", "report.col.received", "report.col.discount",
		"report.col.refund", "report.col.refund_settlement", "report.col.tx_count", "report.col.refund_count"}, rows[0])
	assert.Equal(t, []string{"2026-11-20", "790.00", "755.00", "655.00", "35.00", "106.67", "100.00", "9", "3"}, rows[20])
	assert.Equal(t, []string{"2026-11-01", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0", "0"}, rows[1])
	assert.Equal(t, []string{"report.total", "838.00", "803.00", "663.00", "35.00", "146.67", "140.00", "11", "4"}, rows[31])

	monthly, err := w.svc.Monthly(w.ctx, mgr, report.BillFilter{StoreID: w.s1, Year: 2026})
	require.NoError(t, err)
	rows, err = report.BillTable(monthly, shanghai).Strings(w.ctx, code)
	require.NoError(t, err)
	assert.Equal(t, []string{"2026-10", "7.00", "7.00", "7.00", "0.00", "0.00", "0.00", "1", "0"}, rows[10])

	hourly, err := w.svc.Hourly(w.ctx, mgr, report.BillFilter{StoreID: w.s1, Day: day20})
	require.NoError(t, err)
	rows, err = report.BillTable(hourly, shanghai).Strings(w.ctx, code)
	require.NoError(t, err)
	assert.Equal(t, []string{"11:00", "200.00", "180.00", "180.00", "20.00", "0.00", "0.00", "2", "0"}, rows[12])

	shifts, err := w.svc.Breakdown(w.ctx, mgr, summary.Filter{StoreID: w.s1, Day: day20}, report.ByShift)
	require.NoError(t, err)
	rows, err = report.BreakdownTable(shifts, shanghai).Strings(w.ctx, code)
	require.NoError(t, err)
	assert.Equal(t, []string{"李娜", "2026-11-20 10:00:00", "2026-11-21 02:00:00", "285.00"}, []string{rows[1][1], rows[1][2], rows[1][3], rows[1][5]})
	assert.Equal(t, []string{"report.no_shift", "", "", ""}, rows[2][:4])
	assert.Equal(t, []string{"report.total", "", "", "", "790.00"}, rows[3][:5])

	sum, err := w.svc.Summary(w.ctx, mgr, summary.Filter{StoreID: w.s1, Day: day20})
	require.NoError(t, err)
	rows, err = report.SummaryTable(sum, shanghai).Strings(w.ctx, code)
	require.NoError(t, err)
	assert.Equal(t, []string{"method.cash", "231.66", "210.00", "180.00", "21.66", "30.00", "30.00", "4", "1"}, rows[5])

	// The details table is every page, in order, as the page table shows
	// each.
	f := report.DetailFilter{StoreID: w.s1, From: local(20, 0, 0), To: local(22, 0, 0)}
	tb, err := w.svc.DetailsTable(w.ctx, mgr, f)
	require.NoError(t, err)
	all, err := tb.Strings(w.ctx, code)
	require.NoError(t, err)
	pg, err := w.svc.Details(w.ctx, mgr, f, report.Page{})
	require.NoError(t, err)
	one, err := report.DetailsPageTable(pg, shanghai).Strings(w.ctx, code)
	require.NoError(t, err)
	assert.Equal(t, one, all)
	assert.Equal(t, []string{"2026-11-20 11:00:00", w.orders["C"].OrderNo, "report.kind.sale", "李娜", "wallet.alipay + method.cash",
		"180.00", "20.00", "60.00", "report.state.part_refunded"}, all[8])

	// A clerk off shift gets no table at all.
	_, err = w.svc.DetailsTable(w.ctx, w.people["1003"], f)
	assert.ErrorIs(t, err, report.ErrOffShift)

	// The command line's view sees every store.
	v := w.svc.As(report.Unrestricted)
	s2, err := v.Summary(w.ctx, summary.Filter{StoreID: w.s2, Day: day20})
	require.NoError(t, err)
	assert.Equal(t, figures(1, 100000, 0, 0, 0, 0), s2.Total)
}
