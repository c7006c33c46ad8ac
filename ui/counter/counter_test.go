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
	"cashier/ui/async"
)

type fakePayer struct {
	mu     sync.Mutex
	calls  []app.PayInput
	result app.PayResult
	err    error
}

func (f *fakePayer) Pay(_ context.Context, in app.PayInput) (app.PayResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, in)
	if in.OnEvent != nil {
		in.OnEvent(app.PaymentEvent{Ref: "OT1", Message: "等待顾客输入密码 / waiting for the customer's password", Seconds: 3})
	}
	r := f.result
	r.Amount, r.Deposit = in.Amount, in.Deposit
	return r, f.err
}

func (f *fakePayer) Cancel(context.Context, string) (app.PayResult, error) {
	return app.PayResult{}, nil
}

func newCounter(t *testing.T, p *fakePayer, mode app.CashierMode) (*View, *[]app.PayResult) {
	async.Synchronous = true
	test.NewTempApp(t)
	var after []app.PayResult
	v := New(Deps{Payments: p, Staff: app.Staff{ID: 7, Code: "1002", Name: "李娜"},
		Store: app.StoreInfo{ID: 1}, Terminal: app.TerminalInfo{ID: 2, CashierMode: mode},
		AfterPay: func(r app.PayResult) { after = append(after, r) }})
	w := test.NewTempWindow(t, v.Content())
	w.Resize(fyne.NewSize(1024, 700))
	return v, &after
}

func TestCounter_AmountThenCodePaysAndPrints(t *testing.T) {
	p := &fakePayer{result: app.PayResult{State: app.IntentPaid, OrderNo: "SZ001", Wallet: app.WalletWeChat}}
	v, after := newCounter(t, p, app.ModeSaleDeposit)
	test.Type(v.Amount, "12.5")
	v.Amount.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	test.Type(v.Code, "134567890123456789")
	v.Code.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})

	require.Len(t, p.calls, 1)
	in := p.calls[0]
	require.Equal(t, app.Money(1250), in.Amount)
	require.False(t, in.Deposit)
	require.Equal(t, "134567890123456789", in.Code)
	require.Equal(t, int64(7), in.Order.StaffID)
	require.Equal(t, int64(2), in.Order.TerminalID)
	require.Contains(t, v.Result.Text, "收款成功")
	require.Contains(t, v.Result.Text, "SZ001")
	require.Contains(t, v.Seconds.Text, "3")
	require.Len(t, *after, 1, "a paid sale is printed and announced")
	require.Empty(t, v.Amount.Text, "ready for the next customer")
	require.Empty(t, v.Code.Text)
}

func TestCounter_BadInputSendsNothing(t *testing.T) {
	p := &fakePayer{}
	v, _ := newCounter(t, p, app.ModeSale)
	for _, amount := range []string{"", "0", "12.345", "abc", "-5", "2000000"} {
		v.Amount.SetText(amount)
		v.Code.SetText("134567890123456789")
		v.start()
		require.Empty(t, p.calls, "amount %q", amount)
		require.Contains(t, v.Progress.Text, "金额不对", amount)
	}
	v.Amount.SetText("5")
	v.Code.SetText("hello")
	v.start()
	require.Empty(t, p.calls)
	require.Empty(t, v.Code.Text, "a non-payment code is cleared for the next scan")
}

func TestCounter_DepositModeAndFailedPayment(t *testing.T) {
	p := &fakePayer{result: app.PayResult{State: app.IntentFailed, Message: "余额不足 / NOTENOUGH"}}
	v, after := newCounter(t, p, app.ModeDeposit)
	require.Equal(t, []string{"押金"}, v.Kind.Options, "deposit-only terminals offer only deposits")
	v.Amount.SetText("500")
	v.scanned("284567890123456789") // a scan from anywhere starts the payment
	require.Len(t, p.calls, 1)
	require.True(t, p.calls[0].Deposit)
	require.Contains(t, v.Result.Text, "余额不足")
	require.Empty(t, *after, "nothing printed for a failed payment")
	require.Equal(t, "500", v.Amount.Text, "the amount stays for another try")
}

func TestCounter_DuplicateScanIsExplained(t *testing.T) {
	p := &fakePayer{err: &app.DuplicateScanError{}}
	v, _ := newCounter(t, p, app.ModeSale)
	v.Amount.SetText("8")
	v.scanned("134567890123456789")
	require.Contains(t, v.Result.Text, "未重复扣款")
}

// A scan from the app's scan stream (a serial scanner, or the wedge
// detector publishing) starts the payment, wherever the focus is.
func TestCounter_ScanFromTheStream(t *testing.T) {
	async.Synchronous = true
	test.NewTempApp(t)
	p := &fakePayer{result: app.PayResult{State: app.IntentPaid, OrderNo: "SZ9"}}
	scans := make(chan string, 1)
	cancelled := false
	v := New(Deps{Payments: p, Staff: app.Staff{ID: 1}, Terminal: app.TerminalInfo{CashierMode: app.ModeSale},
		Scans: func() (<-chan string, func()) { return scans, func() { cancelled = true } }})
	test.NewTempWindow(t, v.Content())
	v.Amount.SetText("3.20")
	scans <- "134567890123456789"
	require.Eventually(t, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.calls) == 1
	}, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, app.Money(320), p.calls[0].Amount)
	v.Stop()
	require.True(t, cancelled)
}
