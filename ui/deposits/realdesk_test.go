package deposits

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/deposit"
	"cashier/app/payment"
	"cashier/app/payment/paytest"
	"cashier/app/sale"
	"cashier/localdb"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

// The workspace on the real desk: SQLite, the payment state machine and a
// scripted WeChat channel. A deposit taken by keyboard is found by its
// receipt's barcode, part of it consumed, and the numbers on screen are
// the stored ones.
func TestDeposits_RealDesk(t *testing.T) {
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
	ch := paytest.NewChannel(app.ChannelWeChat, clock)
	rules := auth.Rules{Store: db, Overrides: auth.NewOverrides(clock)}
	pay, err := payment.New(payment.Config{
		Store: localdb.NewPaymentStore(db), Clock: clock,
		Channels: map[app.Wallet]app.PaymentChannel{app.WalletWeChat: ch, app.WalletAlipay: ch},
		Terminal: payment.Terminal{NumberPrefix: term.NumberPrefix(), TerminalCode: term.Code},
		Permits:  sale.RefundPermits{Permits: rules},
		Policy: payment.PaymentPolicy{QueryInterval: 5 * time.Millisecond, PayingDeadline: 30 * time.Millisecond,
			ManualAfter: 60 * time.Millisecond, SystemErrorWait: 5 * time.Millisecond, RetryWait: 5 * time.Millisecond,
			MinReverseAge: time.Millisecond, DuplicateWindow: time.Millisecond, ProgressEvery: 10 * time.Millisecond},
	})
	require.NoError(t, err)
	checkout := &sale.Checkout{Store: db, Payments: pay, Terminal: db, Permits: rules, Clock: clock}
	desk := &deposit.Desk{Checkout: checkout, Store: db, Ops: pay, Terminal: db, Clock: clock}
	manager, _, err := db.StaffByCode(ctx, "1001")
	require.NoError(t, err)

	win := test.NewTempWindow(t, nil)
	win.Resize(fyne.NewSize(1024, 768))
	v := New(Deps{Desk: desk, Staff: manager, Clock: clock, Canvas: win.Canvas()})
	t.Cleanup(v.Stop)
	win.SetContent(v.Content())
	win.Canvas().Focus(v.Focus())
	r := &rig{t: t, win: win, v: v}

	ch.Set(paytest.MPay, paytest.Paid("4200000001202611180001"))
	r.fillForm("500", "1208", "张伟", "13812345678", "")
	require.Equal(t, stCode, v.st, v.Status.Text)
	r.enter("134567890123456789")
	require.Equal(t, stTaken, v.st, v.Status.Text)
	require.Equal(t, colorDone, v.TakeBanner.Colour, v.TakeBanner.Sub.Text)
	no := v.takenNo
	require.NotEmpty(t, no)

	r.key(fyne.KeyEscape)
	require.Equal(t, stList, v.st)
	require.Len(t, v.Rows, 1)
	assert.Equal(t, "1208", v.Rows[0].Room)

	v.scanned(no)
	require.Equal(t, stDetail, v.st, v.Status.Text)
	assert.Contains(t, texts(v.Content()), "138****5678")

	ch.Set(paytest.MConsume, paytest.Done())
	r.key(KeyConsume)
	r.enter("320")
	require.Equal(t, stOpResult, v.st, v.Status.Text)
	assert.Equal(t, "消费 ￥320.00，退还客人 ￥180.00", v.OpBanner.Sub.Text)
	dep, err := db.GetDeposit(ctx, no)
	require.NoError(t, err)
	assert.Equal(t, app.Money(32000), dep.Consumed)
	assert.Equal(t, app.Money(18000), dep.Released)
	assert.Equal(t, payment.DepositConsumed, dep.State)

	// Released after its consumption: refused in words, nothing sent.
	r.key(KeyRelease)
	assert.Equal(t, "押金 "+no+" 已消费结算", v.Status.Text)
	assert.Empty(t, ch.Calls(paytest.MRelease))
}
