package sale_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/payment"
	"cashier/app/payment/paytest"
	"cashier/app/sale"
	"cashier/app/summary"
	"cashier/localdb"
)

// Refunds at the counter against the real SQLite store, the payment state
// machine with a scripted channel and a manual clock.

var r0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// devs records what the refunds asked of the devices.
type devs struct {
	mu        sync.Mutex
	receipts  []sale.RefundReceipt
	announced []app.Money
	kicks     int
}

func (d *devs) PrintRefund(_ context.Context, r sale.RefundReceipt) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.receipts = append(d.receipts, r)
	return nil
}

func (d *devs) AnnounceRefund(_ context.Context, m app.Money) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.announced = append(d.announced, m)
	return nil
}

func (d *devs) OpenDrawer(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.kicks++
	return nil
}

type refundRig struct {
	t        *testing.T
	ctx      context.Context
	db       *localdb.DB
	clock    *app.ManualClock
	ch       *paytest.Channel
	pay      *payment.Payments
	checkout *sale.Checkout
	refunds  *sale.Refunds
	auth     *auth.Auth
	devs     *devs
	manager  app.Staff // 1001, PIN 8888
	clerk    app.Staff // 1002: holds refund, not clocked on
	zhang    app.Staff // 1003: a clerk without refund
	codes    int
}

func newRefundRig(t *testing.T) *refundRig {
	t.Helper()
	ctx := context.Background()
	db, err := localdb.Open(filepath.Join(t.TempDir(), "pos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.SeedDemo(ctx, auth.PINHasher{Cost: bcrypt.MinCost}, r0)
	require.NoError(t, err)
	term, err := db.CurrentTerminal(ctx)
	require.NoError(t, err)
	r := &refundRig{t: t, ctx: ctx, db: db, clock: app.NewManualClock(r0), devs: &devs{}}
	r.ch = paytest.NewChannel(app.ChannelWeChat, r.clock)
	ov := auth.NewOverrides(r.clock)
	rules := auth.Rules{Store: db, Overrides: ov}
	r.auth = &auth.Auth{Store: db, Clock: r.clock, Hasher: auth.PINHasher{Cost: bcrypt.MinCost}, Overrides: ov}
	r.pay, err = payment.New(payment.Config{
		Store: localdb.NewPaymentStore(db), Clock: r.clock,
		Channels: map[app.Wallet]app.PaymentChannel{app.WalletWeChat: r.ch, app.WalletAlipay: r.ch},
		Terminal: payment.Terminal{NumberPrefix: term.NumberPrefix(), TerminalCode: term.Code},
		Permits:  sale.RefundPermits{Permits: rules},
	})
	require.NoError(t, err)
	signals := app.NewSignals()
	r.checkout = &sale.Checkout{Store: db, Payments: r.pay, Terminal: db, Permits: rules, Clock: r.clock, Signals: signals}
	r.refunds = &sale.Refunds{Store: db, Payments: r.pay, Permits: rules, Terminal: db, Clock: r.clock, Signals: signals,
		Printer: r.devs, Announcer: r.devs, Drawer: r.devs,
		OnDeviceError: func(what string, err error) { t.Errorf("device %s: %v", what, err) }}
	for code, s := range map[string]*app.Staff{"1001": &r.manager, "1002": &r.clerk, "1003": &r.zhang} {
		*s, _, err = db.StaffByCode(ctx, code)
		require.NoError(t, err)
	}
	return r
}

// drive runs fn on the manual clock and fails if it does not finish within
// ten minutes of clock time.
func (r *refundRig) drive(fn func()) {
	r.t.Helper()
	require.True(r.t, paytest.Drive(r.clock, time.Second, 10*time.Minute, fn), "did not finish")
}

// sale writes an order of lines and pays wallet of it with WeChat and the
// rest in cash (either may be 0), taken by staff.
func (r *refundRig) sale(staff app.Staff, lines []app.OrderLine, discount, wallet app.Money) app.Order {
	r.t.Helper()
	o, err := r.checkout.Open(r.ctx, sale.OrderInput{Staff: staff, Lines: lines, Discount: discount})
	require.NoError(r.t, err)
	if wallet > 0 {
		r.codes++
		r.ch.Set(paytest.MPay, paytest.Paid("4200000"+o.OrderNo[len(o.OrderNo)-6:]))
		var out sale.Outcome
		r.drive(func() {
			out, err = r.checkout.PayByCode(r.ctx, o.OrderNo, "13456789012345678"+string(rune('0'+r.codes%10)), wallet, staff, nil)
		})
		require.NoError(r.t, err)
		r.clock.Advance(11 * time.Second) // out of the duplicate-scan window
		o = out.Order
	}
	if o.Due() > 0 {
		out, err := r.checkout.PayCash(r.ctx, o.OrderNo, 0, 0, staff)
		require.NoError(r.t, err)
		o = out.Order
	}
	require.Equal(r.t, app.OrderPaid, o.Status)
	return o
}

// basket: 2 × 5.00, 1 × 20.00 (30.00).
func basket() []app.OrderLine {
	return []app.OrderLine{
		{Name: "可口可乐 330ml", Qty: 2, UnitPrice: 500},
		{Name: "乐事薯片 70g", Qty: 1, UnitPrice: 2000},
	}
}

func (r *refundRig) refund(ask sale.RefundAsk) (sale.RefundOutcome, error) {
	var out sale.RefundOutcome
	var err error
	r.drive(func() { out, err = r.refunds.Refund(r.ctx, ask) })
	return out, err
}

func (r *refundRig) clockOn(s app.Staff, terminal bool) int64 {
	var id int64
	t, err := r.db.CurrentTerminal(r.ctx)
	require.NoError(r.t, err)
	require.NoError(r.t, r.db.Write(r.ctx, func(tx *sql.Tx) error {
		var term any
		if terminal {
			term = t.ID
		}
		res, err := tx.Exec(`INSERT INTO shift(store_id, terminal_id, staff_id, started_at) VALUES (?,?,?,?)`,
			s.StoreID, term, s.ID, r.clock.Now().UnixMilli())
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	}))
	return id
}

func (r *refundRig) order(no string) app.Order {
	o, err := r.db.GetOrder(r.ctx, no)
	require.NoError(r.t, err)
	return o
}

func (r *refundRig) count(q string, args ...any) int {
	var n int
	require.NoError(r.t, r.db.Read().QueryRowContext(r.ctx, q, args...).Scan(&n))
	return n
}

func parts(out sale.RefundOutcome) map[app.TenderKind]sale.RefundPart {
	m := map[app.TenderKind]sale.RefundPart{}
	for _, p := range out.Refund.Parts {
		m[p.Kind] = p
	}
	return m
}

// A WeChat + cash sale refunded whole: each tender gives back exactly what
// it paid, WeChat through a channel refund of its own number, the cash
// from the drawer (kicked, audited); the receipt is queued and the refund
// announced; the order is refunded and every line too.
func TestRefunds_WholeSplitSale(t *testing.T) {
	r := newRefundRig(t)
	o := r.sale(r.manager, basket(), 0, 1800)
	r.ch.Set(paytest.MRefund, paytest.Done())

	plan, err := r.refunds.Plan(r.ctx, sale.RefundAsk{OrderNo: o.OrderNo})
	require.NoError(t, err)
	assert.True(t, plan.Whole)
	assert.Equal(t, app.Money(3000), plan.Amount)
	assert.Equal(t, app.Money(1200), plan.Cash())
	assert.Equal(t, app.TenderWallet, plan.Parts[0].Tender.Kind, "the wallet pays back first")

	out, err := r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.manager, Reason: "顾客退货"})
	require.NoError(t, err)
	require.True(t, out.Done())
	ps := parts(out)
	assert.Equal(t, app.Money(1800), ps[app.TenderWallet].Amount)
	assert.Equal(t, sale.PartDone, ps[app.TenderWallet].State)
	assert.NotEmpty(t, ps[app.TenderWallet].OutRefundNo)
	assert.Equal(t, app.Money(1200), ps[app.TenderCash].Amount)
	assert.Equal(t, sale.PartDone, ps[app.TenderCash].State)

	calls := r.ch.Calls(paytest.MRefund)
	require.Len(t, calls, 1)
	assert.Equal(t, app.Money(1800), calls[0].Amount)
	assert.Equal(t, ps[app.TenderWallet].OutRefundNo, calls[0].Ref)
	assert.Equal(t, 1, r.devs.kicks, "the drawer opens for the cash")
	assert.Equal(t, 1, r.count(`SELECT count(*) FROM audit_log WHERE action='drawer_open' AND detail LIKE 'cash_refund %'`))
	assert.Equal(t, 1, r.count(`SELECT count(*) FROM audit_log WHERE action='refund' AND subject=? AND detail LIKE ?`,
		o.OrderNo, out.Refund.RefundNo+"%"))
	require.Len(t, r.devs.receipts, 1)
	rc := r.devs.receipts[0]
	assert.Equal(t, out.Refund.RefundNo, rc.Refund.RefundNo)
	assert.Len(t, rc.Refund.Lines, 2)
	assert.Len(t, rc.Refund.Parts, 2)
	assert.Equal(t, o.OrderNo, rc.Order.OrderNo)
	assert.Equal(t, []app.Money{3000}, r.devs.announced)

	after := r.order(o.OrderNo)
	assert.Equal(t, app.OrderRefunded, after.Status)
	assert.Equal(t, app.Money(3000), after.Refunded)
	again, err := r.refunds.Load(r.ctx, o.OrderNo)
	require.NoError(t, err)
	for _, l := range again.Lines {
		assert.Zero(t, l.Left(), l.Name)
	}
	require.ErrorIs(t, again.CanRefund(), sale.ErrRefundNothingLeft)
	_, err = r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.manager})
	require.ErrorIs(t, err, sale.ErrRefundNothingLeft)
	assert.Len(t, r.ch.Calls(paytest.MRefund), 1, "nothing more sent")
}

// Lines with quantities, then the rest: a line refunded piece by piece
// adds up to its amount exactly (the last piece takes the remainder); a
// line refunded twice is refused; the rest gives back what is left.
func TestRefunds_LinesThenTheRest(t *testing.T) {
	r := newRefundRig(t)
	// 3 × 3.50 with 0.50 off the order: the line costs 10.00, 3.33 a
	// piece (the bread takes no discount).
	lines := []app.OrderLine{{Name: "酸奶 200g", Qty: 3, UnitPrice: 350}, {Name: "面包", Qty: 1, UnitPrice: 500, NonDiscountable: true}}
	o := r.sale(r.manager, lines, 50, 500)
	require.Equal(t, app.Money(1500), o.Payable)
	r.ch.Set(paytest.MRefund, paytest.Done())

	out, err := r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.manager, Lines: []sale.RefundLine{{LineNo: 1, Qty: 1}}})
	require.NoError(t, err)
	require.Equal(t, []sale.RefundedLine{{LineNo: 1, Name: "酸奶 200g", Qty: 1, Amount: 333}}, out.Refund.Lines)
	require.Len(t, out.Refund.Parts, 1)
	assert.Equal(t, app.TenderWallet, out.Refund.Parts[0].Kind, "the wallet pays back first")
	assert.Equal(t, app.OrderPartRefunded, out.Order.Status)

	out, err = r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.manager, Lines: []sale.RefundLine{{LineNo: 1, Qty: 1}, {LineNo: 2, Qty: 1}}})
	require.NoError(t, err)
	assert.Equal(t, []sale.RefundedLine{{LineNo: 1, Name: "酸奶 200g", Qty: 1, Amount: 333}, {LineNo: 2, Name: "面包", Qty: 1, Amount: 500}},
		out.Refund.Lines)
	ps := parts(out)
	assert.Equal(t, app.Money(167), ps[app.TenderWallet].Amount, "what the wallet had left")
	assert.Equal(t, app.Money(666), ps[app.TenderCash].Amount, "the rest from the drawer")

	_, err = r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.manager, Lines: []sale.RefundLine{{LineNo: 2, Qty: 1}}})
	require.ErrorIs(t, err, sale.ErrRefundQty, "a line refunded twice")
	_, err = r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.manager, Lines: []sale.RefundLine{{LineNo: 1, Qty: 2}}})
	require.ErrorIs(t, err, sale.ErrRefundQty, "more pieces than are left")

	out, err = r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.manager})
	require.NoError(t, err)
	assert.Equal(t, []sale.RefundedLine{{LineNo: 1, Name: "酸奶 200g", Qty: 1, Amount: 334}}, out.Refund.Lines, "the last piece takes the remainder")
	assert.Equal(t, app.Money(334), out.Refund.Amount)
	assert.Equal(t, app.OrderRefunded, out.Order.Status)
	assert.Equal(t, o.Payable, out.Order.Refunded)
	assert.Equal(t, 3, r.count(`SELECT count(*) FROM order_refund WHERE order_id=?`, o.ID))
	assert.Equal(t, 1000, r.count(`SELECT sum(l.amount) FROM order_refund_line l JOIN order_refund r ON r.id=l.refund_id WHERE r.order_id=? AND l.line_no=1`, o.ID))
}

// An amount: from the wallet first; never more than what is left; bad
// asks refused before anything is written.
func TestRefunds_AmountAndLimits(t *testing.T) {
	r := newRefundRig(t)
	o := r.sale(r.manager, basket(), 0, 1000)
	r.ch.Set(paytest.MRefund, paytest.Done())

	_, err := r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.manager, Amount: 3001})
	require.ErrorIs(t, err, sale.ErrRefundExceeds)
	out, err := r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.manager, Amount: 1234})
	require.NoError(t, err)
	assert.Empty(t, out.Refund.Lines)
	ps := parts(out)
	assert.Equal(t, app.Money(1000), ps[app.TenderWallet].Amount)
	assert.Equal(t, app.Money(234), ps[app.TenderCash].Amount)
	_, err = r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.manager, Amount: 1767})
	require.ErrorIs(t, err, sale.ErrRefundExceeds, "17.66 is left")
	// A line now worth more than is left is refused too.
	_, err = r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.manager, Lines: []sale.RefundLine{{LineNo: 2, Qty: 1}}})
	require.ErrorIs(t, err, sale.ErrRefundExceeds)

	for _, bad := range []sale.RefundAsk{
		{Amount: -1},
		{Amount: 100, Lines: []sale.RefundLine{{LineNo: 1, Qty: 1}}},
		{Lines: []sale.RefundLine{{LineNo: 1, Qty: 0}}},
		{Lines: []sale.RefundLine{{LineNo: 1, Qty: 1}, {LineNo: 1, Qty: 1}}},
	} {
		bad.OrderNo, bad.Staff = o.OrderNo, r.manager
		_, err := r.refund(bad)
		require.ErrorIs(t, err, sale.ErrRefundAsk, "%+v", bad)
	}
	_, err = r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.manager, Lines: []sale.RefundLine{{LineNo: 9, Qty: 1}}})
	require.ErrorIs(t, err, sale.ErrRefundLine)
	_, err = r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.manager, Amount: 1, Reason: string(make([]rune, 81))})
	require.ErrorIs(t, err, sale.ErrRefundReason)
	assert.Equal(t, 1, r.count(`SELECT count(*) FROM order_refund`), "only the good one was written")
	assert.Len(t, r.ch.Calls(paytest.MRefund), 1)
	assert.Equal(t, app.Money(1234), r.order(o.OrderNo).Refunded)
}

// A clerk without the refund permission is refused (nothing written), a
// manager's override lets the whole refund through once — both tenders —
// and is recorded as the approver; a clerk holding it but not clocked on
// is refused.
func TestRefunds_PermissionAndOverride(t *testing.T) {
	r := newRefundRig(t)
	o := r.sale(r.manager, basket(), 0, 1800)
	r.ch.Set(paytest.MRefund, paytest.Done())
	r.clockOn(r.zhang, true)

	_, err := r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.zhang})
	require.ErrorIs(t, err, app.ErrNoPermission)
	require.False(t, errors.Is(err, app.ErrNotOnShift))
	_, err = r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.clerk})
	require.ErrorIs(t, err, app.ErrNotOnShift, "holds refund, not clocked on")
	assert.Zero(t, r.count(`SELECT count(*) FROM order_refund`))
	assert.Empty(t, r.ch.Calls(paytest.MRefund))
	assert.Zero(t, r.devs.kicks)

	_, err = r.auth.Override(r.ctx, "1001", "8888", r.zhang.ID, app.PermRefund)
	require.NoError(t, err)
	out, err := r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.zhang, Amount: 2000})
	require.NoError(t, err)
	require.True(t, out.Done(), "the override covers the wallet part and the cash part")
	assert.Equal(t, r.manager.ID, out.Refund.ApprovedBy)
	assert.Equal(t, r.manager.Name, out.Refund.ApprovedByName)
	assert.Equal(t, r.zhang.ID, out.Refund.StaffID)
	assert.Equal(t, 1, r.count(`SELECT count(*) FROM refund WHERE approved_by=? AND staff_id=?`, r.manager.ID, r.zhang.ID))
	assert.Equal(t, 1, r.count(`SELECT count(*) FROM cash_refund WHERE approved_by=? AND staff_id=?`, r.manager.ID, r.zhang.ID))
	assert.Equal(t, 1, r.count(`SELECT count(*) FROM audit_log WHERE action='refund' AND detail LIKE ?`, "%approved_by=%"))

	_, err = r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.zhang, Amount: 100})
	require.ErrorIs(t, err, app.ErrNoPermission, "the override was used up")

	r.clockOn(r.clerk, false)
	out, err = r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.clerk, Amount: 100})
	require.NoError(t, err, "clocked on now")
	assert.Zero(t, out.Refund.ApprovedBy)
}

// Unknown, short and ambiguous numbers; the whole number from the barcode;
// the last six (尾号) of this store's orders of the last week.
func TestRefunds_Find(t *testing.T) {
	r := newRefundRig(t)
	term, err := r.db.CurrentTerminal(r.ctx)
	require.NoError(t, err)
	mk := func(no string, at time.Time) {
		o := app.Order{OrderNo: no, StoreID: term.StoreID, TerminalID: term.ID, StaffID: r.manager.ID, Kind: app.OrderSale,
			Status: app.OrderOpen, Total: 100, Payable: 100, CreatedAt: at}
		require.NoError(t, r.db.CreateOrder(r.ctx, &o))
	}
	mk("T1A2611211000001123456", r0.Add(-time.Hour))
	mk("T1A2611211000002123456", r0.Add(-time.Minute))
	mk("T1A2611011000003654321", r0.AddDate(0, 0, -20))
	mk("T1A2611211000004777777", r0.Add(-2*time.Minute))

	found, err := r.refunds.Find(r.ctx, "T1A2611011000003654321")
	require.NoError(t, err)
	require.Len(t, found, 1, "the whole number finds any order")
	found, err = r.refunds.Find(r.ctx, " １２３４５６ ")
	require.NoError(t, err)
	require.Len(t, found, 2, "ambiguous: both listed")
	assert.Equal(t, "T1A2611211000002123456", found[0].OrderNo, "newest first")
	found, err = r.refunds.Find(r.ctx, "777777")
	require.NoError(t, err)
	require.Len(t, found, 1)
	_, err = r.refunds.Find(r.ctx, "654321")
	require.ErrorIs(t, err, sale.ErrOrderNotFound, "older than a week")
	_, err = r.refunds.Find(r.ctx, "999999")
	require.ErrorIs(t, err, sale.ErrOrderNotFound)
	_, err = r.refunds.Find(r.ctx, "12")
	require.ErrorIs(t, err, sale.ErrRefundQuery)
	_, err = r.refunds.Load(r.ctx, "NOPE0000")
	require.ErrorIs(t, err, sale.ErrOrderNotFound)
}

// An order still open, or voided, is not refunded here.
func TestRefunds_OpenOrderRefused(t *testing.T) {
	r := newRefundRig(t)
	o, err := r.checkout.Open(r.ctx, sale.OrderInput{Staff: r.manager, Lines: basket()})
	require.NoError(t, err)
	_, err = r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.manager})
	require.ErrorIs(t, err, sale.ErrRefundNotPaid)
	_, err = r.checkout.Void(r.ctx, o.OrderNo, r.manager)
	require.NoError(t, err)
	_, err = r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.manager})
	require.ErrorIs(t, err, sale.ErrRefundVoided)
	assert.Zero(t, r.count(`SELECT count(*) FROM order_refund`))
}

// A wallet refund that stays processing: the cash part is done and said,
// the wallet part reported as processing; Continue follows the same
// refund number (a query, never a second send) and finishes it.
func TestRefunds_WalletProcessingThenContinue(t *testing.T) {
	r := newRefundRig(t)
	o := r.sale(r.manager, basket(), 0, 1800)
	r.ch.Set(paytest.MRefund, paytest.Paying())
	r.ch.Set(paytest.MRefundQuery, paytest.Paying())

	out, err := r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.manager})
	require.NoError(t, err)
	require.False(t, out.Done())
	ps := parts(out)
	assert.Equal(t, sale.PartProcessing, ps[app.TenderWallet].State)
	assert.Equal(t, sale.PartDone, ps[app.TenderCash].State)
	for _, p := range out.Parts {
		if p.Part.Kind == app.TenderWallet {
			assert.Equal(t, "refund.later", p.Msg.Code)
		}
	}
	assert.Equal(t, app.OrderPartRefunded, out.Order.Status)
	assert.Equal(t, app.Money(1200), out.Order.Refunded, "only the cash went back")
	assert.Equal(t, []app.Money{1200}, r.devs.announced, "only what went back is announced")
	require.Len(t, r.devs.receipts, 1)
	assert.Equal(t, sale.PartProcessing, parts(sale.RefundOutcome{Refund: r.devs.receipts[0].Refund})[app.TenderWallet].State)
	plan, err := r.refunds.Load(r.ctx, o.OrderNo)
	require.NoError(t, err)
	require.Len(t, plan.Unfinished(), 1)
	require.ErrorIs(t, plan.CanRefund(), sale.ErrRefundNothingLeft, "what is on its way is not left")

	r.ch.Set(paytest.MRefundQuery, paytest.Done())
	r.drive(func() { out, err = r.refunds.Continue(r.ctx, out.Refund.RefundNo, r.manager, nil) })
	require.NoError(t, err)
	require.True(t, out.Done())
	assert.Len(t, r.ch.Calls(paytest.MRefund), 1, "followed, never sent again")
	assert.Equal(t, app.OrderRefunded, out.Order.Status)
	assert.Equal(t, []app.Money{1200, 1800}, r.devs.announced)
	require.Len(t, r.devs.receipts, 2)
	assert.True(t, r.devs.receipts[1].Again)
	assert.Equal(t, 1, r.devs.kicks, "the drawer opened once, for the cash")
}

// A wallet refund the channel refuses (no money moved) leaves its part
// owed; Continue sends a new refund with a new number, and the tender
// never gives back more than it took.
func TestRefunds_FailedWalletPartRetried(t *testing.T) {
	r := newRefundRig(t)
	o := r.sale(r.manager, basket(), 0, 3000)
	r.ch.Set(paytest.MRefund, paytest.Failed("NOTENOUGH", ""))
	out, err := r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.manager, Amount: 1000})
	require.NoError(t, err)
	require.Equal(t, sale.PartFailed, out.Refund.Parts[0].State)
	assert.Empty(t, r.devs.announced)
	assert.Equal(t, app.OrderPaid, out.Order.Status)
	// What is owed is not left for another refund.
	_, err = r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.manager, Amount: 2001})
	require.ErrorIs(t, err, sale.ErrRefundExceeds)

	r.ch.Set(paytest.MRefund, paytest.Done())
	r.drive(func() { out, err = r.refunds.Continue(r.ctx, out.Refund.RefundNo, r.manager, nil) })
	require.NoError(t, err)
	require.True(t, out.Done())
	calls := r.ch.Calls(paytest.MRefund)
	require.Len(t, calls, 2)
	assert.NotEqual(t, calls[0].Ref, calls[1].Ref, "a new refund number")
	assert.Equal(t, out.Refund.Parts[0].OutRefundNo, calls[1].Ref)
	assert.Equal(t, app.Money(1000), r.order(o.OrderNo).Refunded)
	// Continue again: nothing to do, nothing sent.
	r.drive(func() { out, err = r.refunds.Continue(r.ctx, out.Refund.RefundNo, r.zhang, nil) })
	require.NoError(t, err)
	assert.Len(t, r.ch.Calls(paytest.MRefund), 2)
	_, err = r.refunds.Continue(r.ctx, "NOSUCH", r.manager, nil)
	require.ErrorIs(t, err, sale.ErrRefundUnknown)
}

// A crash between writing a part's channel refund and linking it: the
// refund is found again and followed, never sent a second time.
func TestRefunds_UnlinkedChannelRefundAdopted(t *testing.T) {
	r := newRefundRig(t)
	o := r.sale(r.manager, basket(), 0, 3000)
	r.ch.Set(paytest.MRefund, paytest.Failed("SYSTEMERROR", ""))
	out, err := r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.manager, Amount: 500})
	require.NoError(t, err)
	part := out.Refund.Parts[0]
	require.Equal(t, sale.PartFailed, part.State)
	// The part's next channel refund is written (and processing), and the
	// process dies before it is linked: the part still names the failed
	// one.
	r.ch.Set(paytest.MRefund, paytest.Paying())
	r.ch.Set(paytest.MRefundQuery, paytest.Paying())
	var res payment.RefundResult
	r.drive(func() {
		res, err = r.pay.Refund(r.ctx, payment.RefundInput{OrderNo: o.OrderNo, Amount: 500, StaffID: r.manager.ID})
	})
	require.NoError(t, err)
	require.Equal(t, payment.RefundProcessing, res.State)
	r.ch.Set(paytest.MRefundQuery, paytest.Done())
	r.drive(func() { out, err = r.refunds.Continue(r.ctx, out.Refund.RefundNo, r.manager, nil) })
	require.NoError(t, err)
	require.True(t, out.Done())
	assert.Equal(t, res.OutRefundNo, out.Refund.Parts[0].OutRefundNo, "adopted")
	assert.Len(t, r.ch.Calls(paytest.MRefund), 2, "the failed one and the adopted one: no third")
	assert.Equal(t, app.Money(500), r.order(o.OrderNo).Refunded)
}

// Cash handed back comes off the shift's expected cash and the summaries:
// the clerk's own drawer, or (a manager off shift) the drawer of whoever
// is clocked on at this terminal.
func TestRefunds_CashComesOffTheShift(t *testing.T) {
	r := newRefundRig(t)
	shiftID := r.clockOn(r.clerk, true)
	o := r.sale(r.clerk, basket(), 0, 0)
	out, err := r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.clerk, Lines: []sale.RefundLine{{LineNo: 1, Qty: 1}}})
	require.NoError(t, err)
	require.True(t, out.Done())
	assert.Equal(t, shiftID, out.Refund.ShiftID)
	_, err = r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.manager, Amount: 300})
	require.NoError(t, err)

	sum, err := summary.Engine{Store: r.db}.Summarize(r.ctx, summary.Filter{StoreID: r.clerk.StoreID, ShiftID: shiftID})
	require.NoError(t, err)
	cash := sum.Method(summary.MethodCash)
	assert.Equal(t, app.Money(3000), cash.Settlement)
	assert.Equal(t, app.Money(800), cash.RefundSettlement, "5.00 by the clerk, 3.00 by the manager at this terminal")
	assert.Equal(t, int64(2), cash.RefundCount)
	assert.Equal(t, app.Money(2200), cash.Received, "the expected cash goes down by what was handed back")
	assert.Equal(t, 2, r.count(`SELECT count(*) FROM cash_refund WHERE shift_id=?`, shiftID))
}

// The write plans again in its transaction: a refund planned on an order
// that changed since is refused, nothing written.
func TestRefunds_WriteRefusesAStalePlan(t *testing.T) {
	r := newRefundRig(t)
	o := r.sale(r.manager, basket(), 0, 0)
	ask := sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.manager}
	stale, err := r.refunds.Plan(r.ctx, ask)
	require.NoError(t, err)
	_, err = r.refund(sale.RefundAsk{OrderNo: o.OrderNo, Staff: r.manager, Amount: 100})
	require.NoError(t, err)
	rec := sale.OrderRefund{RefundNo: "STALE1", OrderID: o.ID, OrderNo: o.OrderNo, Amount: stale.Amount, Whole: true,
		StaffID: r.manager.ID, CreatedAt: r.clock.Now()}
	for _, pt := range stale.Parts {
		rec.Parts = append(rec.Parts, sale.RefundPart{TenderID: pt.Tender.ID, Kind: pt.Tender.Kind, Amount: pt.Take})
	}
	for _, l := range stale.Lines {
		rec.Lines = append(rec.Lines, sale.RefundedLine{LineNo: l.LineNo, Qty: l.Take, Amount: l.TakeAmount})
	}
	err = r.db.WriteRefund(r.ctx, ask, &rec, app.AuditEntry{At: r.clock.Now(), StaffID: r.manager.ID, Action: "refund"})
	require.ErrorIs(t, err, sale.ErrRefundChanged)
	assert.Equal(t, 1, r.count(`SELECT count(*) FROM order_refund`))
	assert.Equal(t, app.Money(100), r.order(o.OrderNo).Refunded)
}

// PlanRefund's arithmetic on its own: a line's pieces add up to its
// amount in any order of partial refunds, and the allocation never gives
// a tender more than it has left.
func TestPlanRefund_SharesAddUp(t *testing.T) {
	o := app.Order{ID: 1, OrderNo: "X1", Kind: app.OrderSale, Status: app.OrderPaid, Payable: 1001, Paid: 1001,
		Lines: []app.OrderLine{{LineNo: 1, Name: "a", Qty: 7, Amount: 1001}},
		Tenders: []app.Tender{
			{ID: 1, Kind: app.TenderCash, Amount: 1, State: app.TenderPaid},
			{ID: 2, Kind: app.TenderWallet, Wallet: app.WalletAlipay, Amount: 400, State: app.TenderPaid},
			{ID: 3, Kind: app.TenderWallet, Wallet: app.WalletWeChat, Amount: 600, State: app.TenderPaid},
			{ID: 4, Kind: app.TenderWallet, Amount: 999, State: app.TenderFailed},
		}}
	for _, steps := range [][]int64{{1, 1, 1, 1, 1, 1, 1}, {3, 4}, {6, 1}, {2, 2, 3}} {
		h := sale.RefundHistory{Lines: map[int]int64{}, Tenders: map[int64]sale.TenderRefunds{}}
		var total app.Money
		for _, q := range steps {
			p, err := sale.PlanRefund(o, h, sale.RefundAsk{Lines: []sale.RefundLine{{LineNo: 1, Qty: q}}})
			require.NoError(t, err, "%v", steps)
			total += p.Amount
			h.Lines[1] += q
			for _, pt := range p.Parts {
				require.LessOrEqual(t, pt.Take, pt.Left())
				require.Equal(t, app.TenderPaid, pt.Tender.State)
				tr := h.Tenders[pt.Tender.ID]
				tr.Done += pt.Take
				h.Tenders[pt.Tender.ID] = tr
			}
		}
		assert.Equal(t, app.Money(1001), total, "%v", steps)
		assert.Equal(t, app.Money(600), h.Tenders[3].Done, "%v: the last wallet paid first", steps)
		assert.Equal(t, app.Money(400), h.Tenders[2].Done, "%v", steps)
		assert.Equal(t, app.Money(1), h.Tenders[1].Done, "%v: cash last", steps)
	}
	p, err := sale.PlanRefund(o, sale.RefundHistory{}, sale.RefundAsk{Amount: 700})
	require.NoError(t, err)
	var takes []app.Money
	for _, pt := range p.Parts {
		takes = append(takes, pt.Take)
	}
	assert.Equal(t, []app.Money{600, 100, 0}, takes)
	dep := o
	dep.Kind = app.OrderDeposit
	_, err = sale.PlanRefund(dep, sale.RefundHistory{}, sale.RefundAsk{})
	require.ErrorIs(t, err, sale.ErrRefundDeposit)
}
