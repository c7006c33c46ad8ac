package refund

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/payment"
	"cashier/app/payment/paytest"
	"cashier/app/sale"
	"cashier/localdb"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

// The refund screen through the fyne test driver against the real refund
// use case: SQLite, the payment state machine and a scripted channel.

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

type rig struct {
	t         *testing.T
	ctx       context.Context
	db        *localdb.DB
	ch        *paytest.Channel
	checkout  *sale.Checkout
	refunds   *sale.Refunds
	auth      *auth.Auth
	devs      *devs
	people    map[string]app.Staff
	win       fyne.Window
	v         *View
	overrides []string
	closed    int
	codes     int
}

func newRig(t *testing.T) *rig {
	t.Helper()
	async.Synchronous = true
	require.NoError(t, i18n.Use(i18n.Chinese))
	test.NewTempApp(t)
	ctx := context.Background()
	db, err := localdb.Open(filepath.Join(t.TempDir(), "pos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	clock := app.SystemClock{}
	_, err = db.SeedDemo(ctx, auth.PINHasher{Cost: bcrypt.MinCost}, clock.Now())
	require.NoError(t, err)
	term, err := db.CurrentTerminal(ctx)
	require.NoError(t, err)
	r := &rig{t: t, ctx: ctx, db: db, devs: &devs{}, people: map[string]app.Staff{}}
	r.ch = paytest.NewChannel(app.ChannelWeChat, clock)
	ov := auth.NewOverrides(clock)
	rules := auth.Rules{Store: db, Overrides: ov}
	r.auth = &auth.Auth{Store: db, Clock: clock, Hasher: auth.PINHasher{Cost: bcrypt.MinCost}, Overrides: ov}
	// Short waits: a refund the channel leaves processing returns within
	// a tenth of a second.
	pay, err := payment.New(payment.Config{
		Store: localdb.NewPaymentStore(db), Clock: clock,
		Channels: map[app.Wallet]app.PaymentChannel{app.WalletWeChat: r.ch, app.WalletAlipay: r.ch},
		Terminal: payment.Terminal{NumberPrefix: term.NumberPrefix(), TerminalCode: term.Code},
		Permits:  sale.RefundPermits{Permits: rules},
		Policy: payment.PaymentPolicy{QueryInterval: 5 * time.Millisecond, PayingDeadline: 30 * time.Millisecond,
			ManualAfter: 60 * time.Millisecond, SystemErrorWait: 5 * time.Millisecond, RetryWait: 5 * time.Millisecond,
			MinReverseAge: time.Millisecond, DuplicateWindow: time.Millisecond, ProgressEvery: 10 * time.Millisecond},
	})
	require.NoError(t, err)
	r.checkout = &sale.Checkout{Store: db, Payments: pay, Terminal: db, Permits: rules, Clock: clock}
	r.refunds = &sale.Refunds{Store: db, Payments: pay, Permits: rules, Terminal: db, Clock: clock,
		Printer: r.devs, Announcer: r.devs, Drawer: r.devs}
	for _, code := range []string{"1001", "1002", "1003"} {
		s, _, err := db.StaffByCode(ctx, code)
		require.NoError(t, err)
		r.people[code] = s
	}
	r.win = test.NewTempWindow(t, nil)
	r.win.Resize(fyne.NewSize(1024, 768))
	return r
}

// open shows the screen for the person with staff number code; a
// manager's override, when offered, is approved by 1001 (PIN 8888).
func (r *rig) open(code string) {
	staff := r.people[code]
	r.v = New(Deps{Refunds: r.refunds, Staff: staff, Canvas: r.win.Canvas(),
		Override: func(perm string, then func()) {
			r.overrides = append(r.overrides, perm)
			if _, err := r.auth.Override(r.ctx, "1001", "8888", staff.ID, perm); err == nil {
				then()
			}
		},
		OnClose: func() { r.closed++ }})
	r.win.SetContent(r.v.Content())
	r.win.Canvas().Focus(r.v.Focus())
	r.t.Cleanup(r.v.Stop)
}

// sale is a paid order: 2 × 5.00 and 1 × 20.00, WeChat wallet, the rest in
// cash, taken by the manager.
func (r *rig) sale(wallet app.Money) app.Order {
	r.t.Helper()
	lines := []app.OrderLine{{Name: "可口可乐 330ml", Qty: 2, UnitPrice: 500}, {Name: "乐事薯片 70g", Qty: 1, UnitPrice: 2000}}
	o, err := r.checkout.Open(r.ctx, sale.OrderInput{Staff: r.people["1001"], Lines: lines})
	require.NoError(r.t, err)
	if wallet > 0 {
		r.codes++
		r.ch.Set(paytest.MPay, paytest.Paid("42000"+o.ShortNo()))
		_, err := r.checkout.PayByCode(r.ctx, o.OrderNo, "13456789012345670"[:17]+string(rune('0'+r.codes%10)), wallet, r.people["1001"], nil)
		require.NoError(r.t, err)
	}
	out, err := r.checkout.PayCash(r.ctx, o.OrderNo, 0, 0, r.people["1001"])
	require.NoError(r.t, err)
	require.Equal(r.t, app.OrderPaid, out.Order.Status)
	return out.Order
}

// key presses k where the focus is.
func (r *rig) key(k fyne.KeyName) {
	f, ok := r.win.Canvas().Focused().(fyne.Focusable)
	require.True(r.t, ok, "something has the focus")
	f.TypedKey(&fyne.KeyEvent{Name: k})
}

// typeIn types text where the focus is.
func (r *rig) typeIn(text string) {
	f, ok := r.win.Canvas().Focused().(fyne.Focusable)
	require.True(r.t, ok, "something has the focus")
	test.Type(f, text)
}

func (r *rig) order(no string) app.Order {
	o, err := r.db.GetOrder(r.ctx, no)
	require.NoError(r.t, err)
	return o
}

// The receipt's barcode scanned, everything left refunded by F2 and
// Enter: the plan per tender before the confirm, then each tender's end.
func TestRefundView_ScanReceiptWholeRefund(t *testing.T) {
	r := newRig(t)
	o := r.sale(1800)
	r.ch.Set(paytest.MRefund, paytest.Done())
	r.open("1001")
	assert.Equal(t, stFind, r.v.st)

	r.v.scanned(o.OrderNo)
	require.Equal(t, stEdit, r.v.st, r.v.Status.Text)
	assert.Contains(t, r.v.Header.Text, o.ShortNo())
	assert.Len(t, r.v.loaded.Lines, 2)
	r.key(fyne.KeyF2)
	require.Equal(t, stConfirm, r.v.st, r.v.Status.Text)
	assert.Contains(t, r.v.Plan.Text, "微信支付")
	assert.Contains(t, r.v.Plan.Text, "￥18.00")
	assert.Contains(t, r.v.Plan.Text, "现金")
	assert.Contains(t, r.v.Plan.Text, "￥12.00")
	assert.Contains(t, r.v.Total.Text, "￥30.00")
	assert.Contains(t, r.v.Buttons["confirm"].Text, "Enter")
	assert.Empty(t, r.ch.Calls(paytest.MRefund), "nothing before the confirm")

	r.key(fyne.KeyReturn)
	require.Equal(t, stResult, r.v.st, r.v.Status.Text)
	assert.True(t, r.v.outcome.Done())
	assert.Contains(t, r.v.Banner.Text, "￥30.00")
	assert.Contains(t, r.v.Plan.Text, "已退回")
	assert.Len(t, r.ch.Calls(paytest.MRefund), 1)
	assert.Equal(t, 1, r.devs.kicks)
	assert.Len(t, r.devs.receipts, 1)
	assert.Equal(t, []app.Money{3000}, r.devs.announced)
	assert.Equal(t, app.OrderRefunded, r.order(o.OrderNo).Status)

	r.key(fyne.KeyReturn)
	assert.Equal(t, stFind, r.v.st, "Enter after the result: the next receipt")
}

// Lines and quantities by keyboard: ↓ to the line, a number, + and −;
// more than is left is held at what is left; Esc goes back a step.
func TestRefundView_LinesByKeyboard(t *testing.T) {
	r := newRig(t)
	o := r.sale(0)
	r.open("1001")
	r.typeIn(o.ShortNo())
	r.key(fyne.KeyReturn)
	require.Equal(t, stEdit, r.v.st, r.v.Status.Text)
	require.Equal(t, r.v.Qty, r.win.Canvas().Focused(), "the quantity takes the keyboard")

	r.key(fyne.KeyReturn)
	assert.Equal(t, stEdit, r.v.st, "nothing chosen: no confirm")
	assert.Contains(t, r.v.Status.Text, i18n.T("refundview.choose_lines"))

	r.typeIn("5")
	assert.Equal(t, int64(2), r.v.takes[1], "held at the two there are")
	assert.Contains(t, r.v.Status.Text, "2")
	r.typeIn("-")
	assert.Equal(t, int64(1), r.v.takes[1])
	r.key(fyne.KeyDown)
	r.typeIn("+")
	assert.Equal(t, int64(1), r.v.takes[2])
	assert.Contains(t, r.v.Total.Text, "￥25.00")

	r.key(fyne.KeyReturn)
	require.Equal(t, stConfirm, r.v.st)
	r.key(fyne.KeyEscape)
	assert.Equal(t, stEdit, r.v.st, "Esc: back to the choice, nothing done")
	r.key(fyne.KeyUp)
	r.typeIn("-")
	assert.Zero(t, r.v.takes[1])
	r.key(fyne.KeyReturn)
	r.key(fyne.KeyReturn)
	require.Equal(t, stResult, r.v.st, r.v.Status.Text)
	require.True(t, r.v.outcome.Done())
	assert.Equal(t, []sale.RefundedLine{{LineNo: 2, Name: "乐事薯片 70g", Qty: 1, Amount: 2000}}, r.v.outcome.Refund.Lines)
	assert.Contains(t, r.v.Plan.Text, "现金")

	r.typeIn(o.OrderNo)
	r.key(fyne.KeyReturn)
	require.Equal(t, stEdit, r.v.st)
	assert.Equal(t, int64(1), r.v.loaded.Lines[1].Refunded, "read back: the line is refunded")
	r.key(fyne.KeyDown)
	r.typeIn("1")
	assert.Zero(t, r.v.takes[2], "nothing left of it")
	assert.Contains(t, r.v.Status.Text, "0")

	r.key(fyne.KeyEscape)
	assert.Equal(t, stFind, r.v.st)
	r.key(fyne.KeyEscape)
	assert.Equal(t, 1, r.closed, "Esc on the empty search closes the screen")
}

// An amount typed, from the wallet first.
func TestRefundView_Amount(t *testing.T) {
	r := newRig(t)
	o := r.sale(1000)
	r.ch.Set(paytest.MRefund, paytest.Done())
	r.open("1001")
	r.v.scanned(o.OrderNo)
	r.key(fyne.KeyF3)
	require.Equal(t, r.v.Amount, r.win.Canvas().Focused())
	r.typeIn("12.5")
	assert.Contains(t, r.v.Plan.Text, "￥10.00")
	assert.Contains(t, r.v.Plan.Text, "￥2.50")
	r.key(fyne.KeyReturn)
	r.key(fyne.KeyReturn)
	require.Equal(t, stResult, r.v.st, r.v.Status.Text)
	assert.Equal(t, app.Money(1250), r.order(o.OrderNo).Refunded)

	r.v.scanned(o.OrderNo)
	r.key(fyne.KeyF3)
	r.typeIn("30")
	r.key(fyne.KeyReturn)
	assert.Equal(t, stEdit, r.v.st, "more than is left: no confirm")
	assert.Contains(t, r.v.Status.Text, "￥17.50")
}

// A clerk without the refund permission scans a receipt: refused, a
// manager's override offered and approved, the refund done with the
// manager as approver. Without an approval nothing happens.
func TestRefundView_NoPermissionThenOverride(t *testing.T) {
	r := newRig(t)
	o := r.sale(1800)
	r.ch.Set(paytest.MRefund, paytest.Done())
	r.open("1003")
	r.v.deps.Override = nil
	r.v.scanned(o.OrderNo)
	r.key(fyne.KeyF2)
	r.key(fyne.KeyReturn)
	require.Equal(t, stEdit, r.v.st)
	assert.Contains(t, r.v.Status.Text, "退款")
	assert.Empty(t, r.ch.Calls(paytest.MRefund))
	assert.Zero(t, r.devs.kicks)

	r.open("1003")
	r.v.scanned(o.OrderNo)
	r.key(fyne.KeyF2)
	r.key(fyne.KeyReturn)
	assert.Equal(t, []string{app.PermRefund}, r.overrides)
	require.Equal(t, stResult, r.v.st, r.v.Status.Text)
	require.True(t, r.v.outcome.Done())
	assert.Equal(t, r.people["1001"].ID, r.v.outcome.Refund.ApprovedBy)
	assert.Contains(t, r.v.Plan.Text, r.people["1001"].Name)
	assert.Len(t, r.ch.Calls(paytest.MRefund), 1)
	assert.Equal(t, app.OrderRefunded, r.order(o.OrderNo).Status)
}

// A short number shared by two orders lists both; ↓ and Enter open the
// second. An unknown number is said.
func TestRefundView_AmbiguousAndUnknown(t *testing.T) {
	r := newRig(t)
	term, err := r.db.CurrentTerminal(r.ctx)
	require.NoError(t, err)
	for i, no := range []string{"T1A0000000000001654321", "T1A0000000000002654321"} {
		o := app.Order{OrderNo: no, StoreID: term.StoreID, TerminalID: term.ID, StaffID: r.people["1001"].ID, Kind: app.OrderSale,
			Status: app.OrderOpen, Total: 100, Payable: 100, CreatedAt: time.Now().Add(time.Duration(i) * time.Minute)}
		require.NoError(t, r.db.CreateOrder(r.ctx, &o))
	}
	r.open("1001")
	r.typeIn("999999")
	r.key(fyne.KeyReturn)
	assert.Equal(t, stFind, r.v.st)
	assert.Contains(t, r.v.Status.Text, "999999")

	r.win.Canvas().Focus(r.v.Query)
	r.v.Query.SetText("")
	r.typeIn("654321")
	r.key(fyne.KeyReturn)
	require.Equal(t, stChoose, r.v.st)
	require.Len(t, r.v.found, 2)
	assert.Equal(t, "T1A0000000000002654321", r.v.found[0].OrderNo, "newest first")
	r.key(fyne.KeyDown)
	r.key(fyne.KeyReturn)
	require.Equal(t, stEdit, r.v.st)
	assert.Equal(t, "T1A0000000000001654321", r.v.loaded.Order.OrderNo)
	assert.Contains(t, r.v.Status.Text, "未支付", "an open order is not refunded")
	assert.True(t, r.v.Buttons["whole"].Disabled())
}

// A WeChat refund the channel leaves processing: the cash is done, the
// WeChat part shown as 退款处理中; F5 follows it to the end.
func TestRefundView_ProcessingThenContinue(t *testing.T) {
	r := newRig(t)
	o := r.sale(1800)
	r.ch.Set(paytest.MRefund, paytest.Paying())
	r.ch.Set(paytest.MRefundQuery, paytest.Paying())
	r.open("1001")
	r.v.scanned(o.OrderNo)
	r.key(fyne.KeyF2)
	r.key(fyne.KeyReturn)
	require.Equal(t, stResult, r.v.st, r.v.Status.Text)
	require.False(t, r.v.outcome.Done())
	assert.Contains(t, r.v.Plan.Text, "退款处理中")
	assert.Contains(t, r.v.Banner.Text, "￥18.00")
	assert.False(t, r.v.Buttons["continue"].Disabled())
	assert.Equal(t, []app.Money{1200}, r.devs.announced, "only the cash is said")

	r.ch.Set(paytest.MRefundQuery, paytest.Done())
	r.key(fyne.KeyF5)
	require.Equal(t, stResult, r.v.st, r.v.Status.Text)
	assert.True(t, r.v.outcome.Done())
	assert.False(t, strings.Contains(r.v.Plan.Text, "退款处理中"))
	assert.Len(t, r.ch.Calls(paytest.MRefund), 1, "followed, not sent again")
	assert.Equal(t, app.OrderRefunded, r.order(o.OrderNo).Status)
}

// Every state fits a 1024×768 screen, and every button shows its key.
func TestRefundView_FitsAndKeysShown(t *testing.T) {
	r := newRig(t)
	o := r.sale(1800)
	r.open("1001")
	size := func() fyne.Size { return r.v.Content().MinSize() }
	assert.LessOrEqual(t, size().Width, float32(1024))
	assert.LessOrEqual(t, size().Height, float32(768))
	r.v.scanned(o.OrderNo)
	assert.LessOrEqual(t, size().Width, float32(1024))
	assert.LessOrEqual(t, size().Height, float32(768))
	for id, b := range r.v.Buttons {
		assert.Regexp(t, `(F\d+|Enter|Esc)$`, b.Text, id)
	}
}
