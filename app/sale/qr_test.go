package sale_test

import (
	"context"
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
	"cashier/localdb"
)

// A QR sale through the checkout against the real SQLite store, the
// payment state machine with a scripted QR-capable channel and a manual
// clock; the printer and speaker record what they were asked.

var qrT0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

type qrDevices struct {
	mu        sync.Mutex
	receipts  []sale.Receipt
	announced []sale.Announcement
}

func (d *qrDevices) PrintReceipt(_ context.Context, r sale.Receipt) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.receipts = append(d.receipts, r)
	return nil
}

func (d *qrDevices) Announce(_ context.Context, a sale.Announcement) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.announced = append(d.announced, a)
	return nil
}

type qrSaleRig struct {
	t        *testing.T
	db       *localdb.DB
	clock    *app.ManualClock
	qc       *paytest.QRChannel
	checkout *sale.Checkout
	devs     *qrDevices
	manager  app.Staff
}

func newQRSaleRig(t *testing.T, ch app.PaymentChannel) *qrSaleRig {
	t.Helper()
	ctx := context.Background()
	db, err := localdb.Open(filepath.Join(t.TempDir(), "pos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.SeedDemo(ctx, auth.PINHasher{Cost: bcrypt.MinCost}, qrT0)
	require.NoError(t, err)
	term, err := db.CurrentTerminal(ctx)
	require.NoError(t, err)
	r := &qrSaleRig{t: t, db: db, clock: app.NewManualClock(qrT0), devs: &qrDevices{}}
	r.qc = paytest.NewQRChannel(app.ChannelWeChat, r.clock)
	if ch == nil {
		ch = r.qc
	}
	pay, err := payment.New(payment.Config{
		Store: localdb.NewPaymentStore(db), Clock: r.clock,
		Channels: map[app.Wallet]app.PaymentChannel{app.WalletWeChat: ch, app.WalletAlipay: ch},
		Terminal: payment.Terminal{NumberPrefix: term.NumberPrefix(), TerminalCode: term.Code, Subject: "演示门店"},
	})
	require.NoError(t, err)
	r.checkout = &sale.Checkout{Store: db, Payments: pay, Terminal: db, Clock: r.clock, Signals: app.NewSignals(),
		Printer: r.devs, Announcer: r.devs, OnDeviceError: func(what string, err error) { t.Errorf("device %s: %v", what, err) }}
	r.manager, _, err = db.StaffByCode(ctx, "1001")
	require.NoError(t, err)
	return r
}

func (r *qrSaleRig) open(total app.Money) app.Order {
	o, err := r.checkout.Open(context.Background(), sale.OrderInput{Staff: r.manager,
		Lines: []app.OrderLine{{Name: "可乐", Qty: 1, UnitPrice: total}}})
	require.NoError(r.t, err)
	return o
}

func (r *qrSaleRig) payByQR(orderNo string, shown *[]string) (sale.Outcome, error) {
	var out sale.Outcome
	var err error
	require.True(r.t, paytest.Drive(r.clock, time.Second, 20*time.Minute, func() {
		out, err = r.checkout.PayByQR(context.Background(), orderNo, app.WalletWeChat, 0, r.manager, nil,
			func(url string, _ time.Time) { *shown = append(*shown, url) })
	}), "did not finish")
	return out, err
}

func TestCheckoutPayByQR_PaidRunsTheAfterSaleWork(t *testing.T) {
	r := newQRSaleRig(t, nil)
	r.qc.Script(paytest.MPrecreate, paytest.Created())
	r.qc.Script(paytest.MQuery, paytest.NotPaid(), paytest.Amount(paytest.Paid("4200007"), 350))
	o := r.open(350)
	var shown []string
	out, err := r.payByQR(o.OrderNo, &shown)
	require.NoError(t, err)
	assert.True(t, out.Paid())
	assert.Equal(t, payment.IntentPaid, out.Payment.State)
	assert.Equal(t, []string{r.qc.CodeURL}, shown)

	require.Len(t, r.devs.receipts, 1, "the receipt is printed")
	rc := r.devs.receipts[0]
	assert.Equal(t, o.OrderNo, rc.Order.OrderNo)
	assert.Equal(t, app.OrderPaid, rc.Order.Status)
	require.Len(t, rc.Order.Tenders, 1)
	assert.Equal(t, app.TenderWallet, rc.Order.Tenders[0].Kind)
	assert.Equal(t, app.TenderPaid, rc.Order.Tenders[0].State)
	assert.Equal(t, out.Payment.OutTradeNo, rc.Order.Tenders[0].OutTradeNo)
	require.Len(t, r.devs.announced, 1, "the speaker announces")
	assert.Equal(t, app.Money(350), r.devs.announced[0].Amount)
	assert.Equal(t, "演示门店", r.qc.Precreates()[0].Subject)
}

func TestCheckoutPayByQR_ExpiredLeavesTheOrderOpen(t *testing.T) {
	r := newQRSaleRig(t, nil)
	r.qc.Script(paytest.MPrecreate, paytest.Created())
	r.qc.Script(paytest.MQuery, paytest.NotPaid())
	r.qc.Script(paytest.MCloseQR, paytest.Closed())
	o := r.open(350)
	var shown []string
	out, err := r.payByQR(o.OrderNo, &shown)
	require.NoError(t, err)
	assert.False(t, out.Paid())
	assert.Equal(t, payment.IntentClosed, out.Payment.State)
	assert.Equal(t, app.OrderOpen, out.Order.Status)
	assert.Equal(t, app.Money(350), out.Order.Due(), "the whole amount is due again")
	assert.Empty(t, r.devs.receipts, "no receipt for a sale not paid")
	assert.Empty(t, r.devs.announced)
}

func TestCheckoutPayByQR_NoQRChannelWritesNothing(t *testing.T) {
	r := newQRSaleRig(t, paytest.NewChannel(app.ChannelCloudPay, app.NewManualClock(qrT0)))
	o := r.open(350)
	var shown []string
	out, err := r.payByQR(o.OrderNo, &shown)
	require.ErrorIs(t, err, payment.ErrQRNotAvailable)
	assert.Empty(t, out.Payment.OutTradeNo)
	assert.Empty(t, shown)
	got, err := r.db.GetOrder(context.Background(), o.OrderNo)
	require.NoError(t, err)
	assert.Empty(t, got.Tenders)
	assert.Empty(t, r.devs.receipts)

	_, err = r.checkout.PayByQR(context.Background(), "NO-SUCH-ORDER", app.WalletWeChat, 0, r.manager, nil, nil)
	assert.Error(t, err)
}
