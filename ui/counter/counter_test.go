package counter

import (
	"context"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/payment"
	"cashier/app/sale"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

// fakeCheckout records what the Counter asks of the sale use case.
type fakeCheckout struct {
	mu         sync.Mutex
	opened     []sale.OrderInput
	payments   []string // order numbers paid against
	voided     []string
	cancelled  []string
	state      payment.IntentState
	msg        app.Message
	err        error
	block      chan struct{} // when set, PayByCode waits for it
	voidErr    error         // Void's answer
	cancelErr  error         // Cancel's answer (the payment goes on)
	duringPay  func()        // when set, PayByCode calls it after its first event
	firstEvent chan struct{} // when set, PayByCode waits for it before its first event
	drawers    []int64       // OpenDrawer calls, by staff
	approved   bool          // a manager approved the next OpenDrawer
}

// OpenDrawer lets staff 7 (who holds open_drawer) through, anyone else
// only once a manager approved.
func (f *fakeCheckout) OpenDrawer(_ context.Context, staffID int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if staffID != 7 && !f.approved {
		return app.ErrNoPermission.With("Name", "张伟", "Perm", app.Msg("perm.open_drawer"))
	}
	f.approved = false
	f.drawers = append(f.drawers, staffID)
	return nil
}

func (f *fakeCheckout) Open(_ context.Context, in sale.OrderInput) (app.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opened = append(f.opened, in)
	no := "2026113000000" + string(rune('0'+len(f.opened)))
	kind := app.OrderSale
	if in.Deposit {
		kind = app.OrderDeposit
	}
	return app.Order{OrderNo: no, Kind: kind, Status: app.OrderOpen, Payable: in.Total}, nil
}

func (f *fakeCheckout) PayByCode(_ context.Context, orderNo, code string, amount app.Money, staff app.Staff, onEvent payment.EventFunc) (sale.Outcome, error) {
	if f.firstEvent != nil {
		<-f.firstEvent
	}
	if onEvent != nil {
		onEvent(payment.Event{Ref: "OT1", Msg: app.Msg("pay.paying"), Seconds: 3})
	}
	if f.duringPay != nil {
		f.duringPay()
	}
	if f.block != nil {
		<-f.block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.payments = append(f.payments, orderNo)
	last := f.opened[len(f.opened)-1]
	o := app.Order{OrderNo: orderNo, Status: app.OrderOpen, Payable: last.Total}
	if f.state == payment.IntentPaid {
		o.Status = app.OrderPaid
	}
	return sale.Outcome{Order: o, Payment: payment.PayResult{OrderNo: orderNo, OutTradeNo: "OT1", State: f.state,
		Wallet: app.WalletWeChat, Amount: last.Total, Deposit: last.Deposit, Msg: f.msg}}, f.err
}

func (f *fakeCheckout) Cancel(_ context.Context, no string) error {
	f.mu.Lock()
	f.cancelled = append(f.cancelled, no)
	f.mu.Unlock()
	if f.cancelErr != nil {
		return f.cancelErr
	}
	if f.block != nil {
		close(f.block)
	}
	return nil
}

func (f *fakeCheckout) Void(_ context.Context, no string, _ app.Staff) (sale.VoidResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.voided = append(f.voided, no)
	return sale.VoidResult{}, f.voidErr
}

type fakeTerminal struct {
	mu   sync.Mutex
	mode app.CashierMode
}

func (f *fakeTerminal) CurrentTerminal(context.Context) (app.TerminalInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return app.TerminalInfo{ID: 2, CashierMode: f.mode}, nil
}

func newCounter(t *testing.T, c *fakeCheckout, mode app.CashierMode) (*View, *fakeTerminal, *app.Signals) {
	async.Synchronous = true
	require.NoError(t, i18n.Use(i18n.Chinese))
	test.NewTempApp(t)
	term := &fakeTerminal{mode: mode}
	sig := app.NewSignals()
	v := New(Deps{Checkout: c, Terminal: term, Signals: sig, Staff: app.Staff{ID: 7, Code: "1002", Name: "李娜"}})
	w := test.NewTempWindow(t, v.Content())
	w.Resize(fyne.NewSize(1024, 700))
	return v, term, sig
}

func TestCounter_AmountThenCodeOpensAnOrderAndPays(t *testing.T) {
	c := &fakeCheckout{state: payment.IntentPaid, msg: app.Msg("pay.paid")}
	v, _, _ := newCounter(t, c, app.ModeSaleDeposit)
	test.Type(v.Amount, "12.5")
	v.Amount.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	test.Type(v.Code, "134567890123456789")
	v.Code.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})

	require.Len(t, c.opened, 1)
	require.Equal(t, app.Money(1250), c.opened[0].Total)
	require.False(t, c.opened[0].Deposit)
	require.Equal(t, int64(7), c.opened[0].Staff.ID)
	require.Contains(t, v.Result.Text, "收款成功")
	require.Contains(t, v.Result.Text, "000001", "the short number to read to the customer")
	require.Contains(t, v.Seconds.Text, "3")
	require.Empty(t, v.Amount.Text, "ready for the next customer")
	require.Empty(t, v.Code.Text)
	require.Equal(t, 1, v.History.Length())
}

func TestCounter_BadInputSendsNothing(t *testing.T) {
	c := &fakeCheckout{}
	v, _, _ := newCounter(t, c, app.ModeSale)
	for _, amount := range []string{"", "0", "12.345", "abc", "-5", "2000000"} {
		v.Amount.SetText(amount)
		v.Code.SetText("134567890123456789")
		v.start()
		require.Empty(t, c.opened, "amount %q", amount)
		require.Contains(t, v.Progress.Text, "金额不对", amount)
	}
	v.Amount.SetText("5")
	v.Code.SetText("hello")
	v.start()
	require.Empty(t, c.opened)
	require.Contains(t, v.Progress.Text, "不是付款码")
	require.Empty(t, v.Code.Text, "a non-payment code is cleared for the next scan")
}

// A failed tender leaves the order open: the next scan pays the same
// order; another amount gives it up and opens a new one.
func TestCounter_FailedTenderKeepsTheOrderForTheNextScan(t *testing.T) {
	c := &fakeCheckout{state: payment.IntentFailed, msg: app.Msg("pay.failed_because", "Reason", "余额不足")}
	v, _, _ := newCounter(t, c, app.ModeDeposit)
	require.Equal(t, []string{"押金"}, v.Kind.Options, "deposit-only terminals offer only deposits")
	v.Amount.SetText("500")
	v.scanned("284567890123456789") // a scan from anywhere starts the payment
	require.Len(t, c.opened, 1)
	require.True(t, c.opened[0].Deposit)
	require.Contains(t, v.Result.Text, "余额不足")
	require.Equal(t, "500", v.Amount.Text, "the amount stays for another try")

	v.scanned("134567890123456780")
	require.Len(t, c.opened, 1, "the same order, a second tender")
	require.Equal(t, []string{c.payments[0], c.payments[0]}, c.payments)

	v.Amount.SetText("600")
	v.scanned("134567890123456781")
	require.Len(t, c.opened, 2, "another amount is another order")
	require.Equal(t, []string{c.payments[0]}, c.voided, "the unpaid order is given up")
}

func TestCounter_ErrorsAreExplained(t *testing.T) {
	c := &fakeCheckout{err: payment.ErrDuplicateScan.With("OutTradeNo", "X1", "State", "paid")}
	v, _, _ := newCounter(t, c, app.ModeSale)
	v.Amount.SetText("8")
	v.scanned("134567890123456789")
	require.Contains(t, v.Result.Text, "未重复扣款")
	require.Contains(t, v.Result.Text, "X1")
}

// A cashier-mode change in Settings reaches an open Counter at once.
func TestCounter_FollowsTheCashierMode(t *testing.T) {
	v, term, sig := newCounter(t, &fakeCheckout{}, app.ModeSale)
	require.Equal(t, []string{"收款"}, v.Kind.Options)
	term.mu.Lock()
	term.mode = app.ModeSaleDeposit
	term.mu.Unlock()
	sig.Emit(app.SignalTerminal, nil)
	require.Equal(t, []string{"收款", "押金"}, v.Kind.Options)
	v.Stop()
	term.mode = app.ModeDeposit
	sig.Emit(app.SignalTerminal, nil)
	require.Equal(t, []string{"收款", "押金"}, v.Kind.Options, "a stopped page no longer listens")
}

// payingCounter starts a payment of ￥9.90 on c, typed in, with only the
// payment running in the background as at the till (the headless driver
// runs fyne.Do on the calling goroutine, so the screen is built
// synchronously first).
func payingCounter(t *testing.T, c *fakeCheckout) *View {
	async.Synchronous = true
	require.NoError(t, i18n.Use(i18n.Chinese))
	test.NewTempApp(t)
	v := New(Deps{Checkout: c, Terminal: &fakeTerminal{mode: app.ModeSale}, Staff: app.Staff{ID: 1}})
	test.NewTempWindow(t, v.Content())
	v.Amount.SetText("9.90")
	v.Code.SetText("134567890123456789")
	async.Synchronous = false
	t.Cleanup(func() { async.Synchronous = true })
	v.start()
	return v
}

// cancelledOnce waits for the one payment and its one cancel, of OT1.
func cancelledOnce(t *testing.T, c *fakeCheckout) {
	require.Eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.cancelled) == 1 && len(c.payments) == 1
	}, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, "OT1", c.cancelled[0])
}

func pressEsc(v *View) {
	fyne.DoAndWait(func() { v.Code.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape}) })
}

// Esc cancels a payment in progress while the cursor is in the code field.
func TestCounter_EscInTheCodeFieldCancels(t *testing.T) {
	c := &fakeCheckout{state: payment.IntentReversed, msg: app.Msg("pay.reversed"), block: make(chan struct{})}
	v := payingCounter(t, c)
	require.Eventually(t, func() bool {
		done := make(chan string, 1)
		fyne.DoAndWait(func() { done <- v.outTrade })
		return <-done == "OT1"
	}, 5*time.Second, 10*time.Millisecond)
	pressEsc(v)
	cancelledOnce(t, c)
}

// Esc pressed at once, while the order and the payment are still being
// written (no payment number yet): the cancel is kept and goes out as soon
// as the number is known, instead of being dropped while the customer is
// charged.
func TestCounter_EscBeforeThePaymentHasANumberStillCancels(t *testing.T) {
	c := &fakeCheckout{state: payment.IntentReversed, msg: app.Msg("pay.reversed"), block: make(chan struct{}),
		firstEvent: make(chan struct{})}
	v := payingCounter(t, c)
	pressEsc(v)
	fyne.DoAndWait(func() {
		require.Equal(t, "正在取消：先查询，再撤销…", v.Progress.Text)
		require.True(t, v.CancelB.Disabled())
	})
	close(c.firstEvent)
	cancelledOnce(t, c)
}

// A scan from the app's scan stream (a serial scanner, or the wedge
// detector publishing) starts the payment, wherever the focus is.
func TestCounter_ScanFromTheStream(t *testing.T) {
	async.Synchronous = true
	test.NewTempApp(t)
	c := &fakeCheckout{state: payment.IntentPaid}
	scans := make(chan string, 1)
	cancelled := false
	v := New(Deps{Checkout: c, Terminal: &fakeTerminal{mode: app.ModeSale}, Staff: app.Staff{ID: 1},
		Scans: func() (<-chan string, func()) { return scans, func() { cancelled = true; close(scans) } }})
	test.NewTempWindow(t, v.Content())
	v.Amount.SetText("3.20")
	scans <- "134567890123456789"
	require.Eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.payments) == 1
	}, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, app.Money(320), c.opened[0].Total)
	v.Stop()
	require.True(t, cancelled)
}

// A void that fails stops the new amount: no other order is opened beside
// the unpaid one, nothing is sent, and the cashier is told why. The unpaid
// order stays the one the next scan pays.
func TestCounter_FailedVoidKeepsTheOrder(t *testing.T) {
	c := &fakeCheckout{state: payment.IntentFailed, msg: app.Msg("pay.failed_because", "Reason", "余额不足")}
	v, _, _ := newCounter(t, c, app.ModeSale)
	v.Amount.SetText("500")
	v.scanned("134567890123456780")
	require.Len(t, c.opened, 1)
	first := c.payments[0]

	c.voidErr = sale.ErrTenderPending.With("OutTradeNo", "OT9")
	v.Amount.SetText("600")
	v.scanned("134567890123456781")
	require.Equal(t, []string{first}, c.voided, "the void was tried")
	require.Len(t, c.opened, 1, "no second order beside the unpaid one")
	require.Len(t, c.payments, 1, "nothing sent")
	require.Contains(t, v.Result.Text, i18n.Err(c.voidErr))
	require.Contains(t, v.Result.Text, "500.00")
	require.False(t, v.Collect.Disabled())
	require.Equal(t, first, v.order, "the unpaid order is kept")

	v.Amount.SetText("500")
	v.scanned("134567890123456782")
	require.Equal(t, []string{first, first}, c.payments, "its amount again pays it")

	c.voidErr = nil
	v.Amount.SetText("600")
	v.scanned("134567890123456783")
	require.Len(t, c.opened, 2, "once given up, another order")
}

// An order closed meanwhile cannot be given up, and is not kept either:
// the next try opens a new one.
func TestCounter_VoidOfAClosedOrderForgetsIt(t *testing.T) {
	c := &fakeCheckout{state: payment.IntentFailed, msg: app.Msg("pay.failed")}
	v, _, _ := newCounter(t, c, app.ModeSale)
	v.Amount.SetText("5")
	v.scanned("134567890123456780")
	c.voidErr = app.ErrOrderNotOpen.With("OrderNo", c.payments[0])
	v.Amount.SetText("6")
	v.scanned("134567890123456781")
	require.Len(t, c.opened, 1)
	require.Contains(t, v.Result.Text, i18n.Err(c.voidErr))
	v.scanned("134567890123456782")
	require.Len(t, c.opened, 2)
	require.Len(t, c.voided, 1, "nothing left to give up")
}

// A cancel the checkout refuses is shown, and may be tried again; the
// payment goes on.
func TestCounter_FailedCancelIsShown(t *testing.T) {
	c := &fakeCheckout{state: payment.IntentPaid, msg: app.Msg("pay.paid"), cancelErr: payment.ErrDuplicateScan.With("OutTradeNo", "OT1", "State", "paid")}
	v, _, _ := newCounter(t, c, app.ModeSale)
	var shown string
	var canRetry bool
	c.duringPay = func() {
		v.cancel()
		shown, canRetry = v.Result.Text, !v.CancelB.Disabled()
	}
	v.Amount.SetText("9.90")
	v.scanned("134567890123456789")
	require.Equal(t, []string{"OT1"}, c.cancelled)
	require.Contains(t, shown, i18n.Err(c.cancelErr))
	require.True(t, canRetry)
	require.Contains(t, v.Result.Text, "收款成功", "the payment's own end follows")
}

// The drawer opens without a sale for a holder of the permission; anyone
// else is offered a manager's override, which lets it open once.
func TestCounter_OpenDrawerWithoutASale(t *testing.T) {
	c := &fakeCheckout{}
	v, _, _ := newCounter(t, c, app.ModeSale)
	test.Tap(v.DrawerB)
	require.Equal(t, []int64{7}, c.drawers)
	require.Equal(t, "钱箱已打开", v.Progress.Text)

	var asked []string
	v = New(Deps{Checkout: c, Terminal: &fakeTerminal{mode: app.ModeSale}, Staff: app.Staff{ID: 3, Name: "张伟"},
		Override: func(perm string, then func()) {
			asked = append(asked, perm)
			c.mu.Lock()
			c.approved = true
			c.mu.Unlock()
			then()
		}})
	test.NewTempWindow(t, v.Content())
	test.Tap(v.DrawerB)
	require.Equal(t, []string{app.PermOpenDrawer}, asked)
	require.Equal(t, []int64{7, 3}, c.drawers, "opened once on the approval")
	require.Equal(t, "钱箱已打开", v.Progress.Text)

	// Without an override source the refusal is said.
	v = New(Deps{Checkout: c, Terminal: &fakeTerminal{mode: app.ModeSale}, Staff: app.Staff{ID: 3, Name: "张伟"}})
	test.NewTempWindow(t, v.Content())
	test.Tap(v.DrawerB)
	require.Len(t, c.drawers, 2)
	require.Contains(t, v.Progress.Text, "张伟")
}
