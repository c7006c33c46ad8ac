package payment_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/payment"
	"cashier/app/payment/paytest"
)

// The QR payment against the real SQLite store, a scripted QR-capable
// channel and a manual clock.

type qrRig struct {
	*rig
	qc *paytest.QRChannel

	mu    sync.Mutex
	shown []string
	until []time.Time
}

func newQRRig(t *testing.T, name app.ChannelName) *qrRig {
	r := newRig(t, name)
	qc := paytest.NewQRChannel(name, r.clock)
	r.ch = qc.Channel
	r.pay = r.payments(map[app.Wallet]app.PaymentChannel{app.WalletWeChat: qc, app.WalletAlipay: qc})
	return &qrRig{rig: r, qc: qc}
}

func (r *qrRig) onQR(url string, expires time.Time) {
	r.mu.Lock()
	r.shown = append(r.shown, url)
	r.until = append(r.until, expires)
	r.mu.Unlock()
}

func (r *qrRig) qrInput(amount app.Money, w app.Wallet) payment.PayQRInput {
	return payment.PayQRInput{Order: r.order(amount, false), Wallet: w, StaffID: r.manager.ID, StaffCode: r.manager.Code,
		OnEvent: r.onEvent, OnQR: r.onQR}
}

func (r *qrRig) payQR(in payment.PayQRInput) (payment.PayResult, error) {
	var res payment.PayResult
	var err error
	r.run(20*time.Minute, func() { res, err = r.pay.PayByQR(context.Background(), in) })
	return res, err
}

// cancelAt cancels the payment in progress once the clock reaches at; the
// channel gets what Cancel returned.
func (r *qrRig) cancelAt(at time.Duration) <-chan payment.PayResult {
	done := make(chan payment.PayResult, 1)
	go func() {
		for r.clock.Now().Sub(t0) < at {
			time.Sleep(50 * time.Microsecond)
		}
		res, _ := r.pay.Cancel(context.Background(), r.activeNo())
		done <- res
	}()
	return done
}

func (r *qrRig) msgs() []string {
	r.rig.mu.Lock()
	defer r.rig.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Msg.Code)
	}
	return out
}

func TestPayByQR_Paid(t *testing.T) {
	r := newQRRig(t, app.ChannelWeChat)
	r.qc.Script(paytest.MPrecreate, paytest.Created())
	r.qc.Script(paytest.MQuery, paytest.NotPaid(), paytest.NotPaid(), paytest.Amount(paytest.Paid("4200009"), 1250))
	res, err := r.payQR(r.qrInput(1250, app.WalletWeChat))
	require.NoError(t, err)
	assert.Equal(t, payment.IntentPaid, res.State)
	assert.Equal(t, "4200009", res.TransactionID)
	assert.Equal(t, app.OrderPaid, r.orderStatus(res.OrderNo))

	require.Equal(t, []string{r.qc.CodeURL}, r.shown, "the code is handed over once")
	assert.WithinDuration(t, t0.Add(payment.DefaultQRExpire), r.until[0], 0)
	in := r.intent(res.OutTradeNo)
	assert.True(t, in.QR)
	assert.Equal(t, r.qc.CodeURL, in.CodeURL, "the code is stored")
	assert.WithinDuration(t, t0.Add(payment.DefaultQRExpire), in.ExpiresAt, 0)
	assert.Empty(t, in.CodeHash)

	pc := r.qc.Precreates()
	require.Len(t, pc, 1)
	assert.Equal(t, res.OutTradeNo, pc[0].OutTradeNo)
	assert.Equal(t, app.Money(1250), pc[0].Amount)
	assert.WithinDuration(t, t0.Add(payment.DefaultQRExpire), pc[0].ExpiresAt, 0)
	assert.Equal(t, r.manager.Code, pc[0].StaffID)
	assert.Equal(t, []time.Duration{5 * time.Second, 10 * time.Second, 15 * time.Second}, offsets(r.qc.Calls(paytest.MQuery)))
	assert.Empty(t, r.qc.Calls(paytest.MCloseQR), "a paid code is not closed")
	assert.Empty(t, r.qc.Calls(paytest.MPay))

	// The screen can say "waiting for the customer to scan" with seconds.
	var waiting []payment.Event
	r.rig.mu.Lock()
	for _, e := range r.events {
		if e.Msg.Code == "pay.qr_waiting" {
			waiting = append(waiting, e)
		}
	}
	r.rig.mu.Unlock()
	require.Greater(t, len(waiting), 5, "a progress event every second")
	assert.Equal(t, res.OutTradeNo, waiting[0].Ref, "events name the payment to cancel")
	assert.Equal(t, 300, waiting[0].Msg.Args["Left"], "seconds left")
	last := waiting[len(waiting)-1]
	assert.Equal(t, 14, last.Seconds)
	assert.Equal(t, 286, last.Msg.Args["Left"])
}

func TestPayByQR_CashierCancelClosesIt(t *testing.T) {
	r := newQRRig(t, app.ChannelWeChat)
	r.qc.Script(paytest.MPrecreate, paytest.Created())
	r.qc.Script(paytest.MQuery, paytest.NotPaid())
	r.qc.Script(paytest.MCloseQR, paytest.Closed())
	var res payment.PayResult
	var err error
	var cancelled <-chan payment.PayResult
	r.run(5*time.Minute, func() {
		cancelled = r.cancelAt(12 * time.Second)
		res, err = r.pay.PayByQR(context.Background(), r.qrInput(800, app.WalletWeChat))
	})
	require.NoError(t, err)
	assert.Equal(t, payment.IntentClosed, res.State)
	assert.Equal(t, "pay.qr_cancelled", res.Msg.Code)
	select {
	case cres := <-cancelled:
		assert.Equal(t, res, cres, "Cancel returns the same final result")
	case <-time.After(30 * time.Second):
		t.Fatal("Cancel did not return")
	}

	o := r.getOrder(res.OrderNo)
	assert.Equal(t, app.OrderOpen, o.Status, "the order waits for another tender")
	assert.Equal(t, app.TenderFailed, o.Tenders[0].State)
	assert.Equal(t, app.Money(800), o.Due())

	q := r.qc.Calls(paytest.MQuery)
	cl := r.qc.Calls(paytest.MCloseQR)
	require.Len(t, cl, 1)
	assert.Equal(t, res.OutTradeNo, cl[0].Ref)
	assert.Less(t, cl[0].At.Sub(t0), 15*time.Second, "closed at once, not at the expiry")
	assert.False(t, q[len(q)-1].At.After(cl[0].At), "queried, then closed")
	assert.Contains(t, r.msgs(), "pay.qr_cancel")
}

func TestPayByQR_CancelButPaidMeanwhile(t *testing.T) {
	r := newQRRig(t, app.ChannelWeChat)
	r.qc.Script(paytest.MPrecreate, paytest.Created())
	r.qc.Script(paytest.MQuery, paytest.NotPaid(), paytest.NotPaid(), paytest.NotPaid(), paytest.Paid("42"))
	// WeChat refuses to close a paid order: the query says how much.
	r.qc.Script(paytest.MCloseQR, paytest.Failed("ORDERPAID", ""))
	var res payment.PayResult
	r.run(5*time.Minute, func() {
		r.cancelAt(11 * time.Second)
		res, _ = r.pay.PayByQR(context.Background(), r.qrInput(500, app.WalletWeChat))
	})
	assert.Equal(t, payment.IntentPaid, res.State, "paid at the last moment: kept, never reported as not charged")
	assert.Equal(t, app.OrderPaid, r.orderStatus(res.OrderNo))
	assert.Len(t, r.qc.Calls(paytest.MCloseQR), 1)
}

func TestPayByQR_AlipayCancelGaveItBack(t *testing.T) {
	r := newQRRig(t, app.ChannelAlipay)
	r.qc.Script(paytest.MPrecreate, paytest.Created())
	r.qc.Script(paytest.MQuery, paytest.NotFound("ACQ.TRADE_NOT_EXIST"))
	r.qc.Script(paytest.MCloseQR, paytest.Reply{Res: app.ChannelResult{Outcome: app.OutcomeSuccess, TradeState: "REVOKED", Message: "action=refund"}})
	var res payment.PayResult
	r.run(5*time.Minute, func() {
		r.cancelAt(30 * time.Second)
		res, _ = r.pay.PayByQR(context.Background(), r.qrInput(600, app.WalletAlipay))
	})
	assert.Equal(t, payment.IntentReversed, res.State)
	assert.Equal(t, "pay.reversed", res.Msg.Code)
	assert.Equal(t, app.OrderOpen, r.orderStatus(res.OrderNo))
	q := r.qc.Calls(paytest.MQuery)
	assert.Greater(t, len(q), 4, "no trade before the scan is 'not scanned yet', not an end")
}

func TestPayByQR_Expired(t *testing.T) {
	r := newQRRig(t, app.ChannelWeChat)
	r.qc.Script(paytest.MPrecreate, paytest.Created())
	r.qc.Script(paytest.MQuery, paytest.NotPaid())
	r.qc.Script(paytest.MCloseQR, paytest.Unknown("SYSTEMERROR"), paytest.Closed())
	in := r.qrInput(900, app.WalletWeChat)
	in.Expire = 2 * time.Minute
	res, err := r.payQR(in)
	require.NoError(t, err)
	assert.Equal(t, payment.IntentClosed, res.State)
	assert.Equal(t, "pay.qr_expired", res.Msg.Code)
	assert.Equal(t, app.OrderOpen, r.orderStatus(res.OrderNo))
	cl := r.qc.Calls(paytest.MCloseQR)
	require.Len(t, cl, 2, "a close without an answer is asked again")
	assert.GreaterOrEqual(t, cl[0].At.Sub(t0), 2*time.Minute, "not closed before the customer's time is up")
	q := r.qc.Calls(paytest.MQuery)
	assert.False(t, q[len(q)-1].At.After(cl[0].At), "one more query before closing")
	assert.WithinDuration(t, t0.Add(2*time.Minute), r.qc.Precreates()[0].ExpiresAt, 0)
}

func TestPayByQR_CloseNeverAnsweredEndsManual(t *testing.T) {
	r := newQRRig(t, app.ChannelWeChat)
	r.qc.Script(paytest.MPrecreate, paytest.Created())
	r.qc.Script(paytest.MQuery, paytest.NotPaid())
	r.qc.Script(paytest.MCloseQR, paytest.Unknown("TRANSPORT"))
	in := r.qrInput(900, app.WalletWeChat)
	in.Expire = time.Minute
	res, err := r.payQR(in)
	require.NoError(t, err)
	assert.Equal(t, payment.IntentManual, res.State, "never 'not charged' without the channel saying so")
	assert.Equal(t, "pay.manual", res.Msg.Code)
	o := r.getOrder(res.OrderNo)
	assert.Equal(t, app.TenderPending, o.Tenders[0].State, "the tender waits for a person")
}

func TestPayByQR_LostPrecreateAnswer(t *testing.T) {
	t.Run("the repeat gets the code", func(t *testing.T) {
		r := newQRRig(t, app.ChannelWeChat)
		r.qc.Script(paytest.MPrecreate, paytest.Unknown("TRANSPORT"), paytest.Created())
		r.qc.Script(paytest.MQuery, paytest.Paid("7"))
		res, err := r.payQR(r.qrInput(100, app.WalletWeChat))
		require.NoError(t, err)
		assert.Equal(t, payment.IntentPaid, res.State)
		pc := r.qc.Precreates()
		require.Len(t, pc, 2)
		assert.Equal(t, pc[0], pc[1], "the repeat is the same request: same number, amount and expiry")
		assert.Equal(t, 2, r.intent(res.OutTradeNo).Attempts)
	})
	t.Run("never answered: queried and closed", func(t *testing.T) {
		r := newQRRig(t, app.ChannelWeChat)
		r.qc.Script(paytest.MPrecreate, paytest.Unknown("TRANSPORT"))
		r.qc.Script(paytest.MQuery, paytest.NotFound("ORDERNOTEXIST"))
		r.qc.Script(paytest.MCloseQR, paytest.NotFound("ORDERNOTEXIST"))
		res, err := r.payQR(r.qrInput(100, app.WalletWeChat))
		require.NoError(t, err)
		assert.Equal(t, payment.IntentClosed, res.State)
		assert.Equal(t, "pay.qr_not_created", res.Msg.Code)
		assert.Empty(t, r.shown, "no code was shown")
		assert.Len(t, r.qc.Precreates(), 3)
		assert.Len(t, r.qc.Calls(paytest.MQuery), 1)
		assert.Len(t, r.qc.Calls(paytest.MCloseQR), 1)
		assert.Equal(t, app.OrderOpen, r.orderStatus(res.OrderNo))
	})
	t.Run("refused at once", func(t *testing.T) {
		r := newQRRig(t, app.ChannelWeChat)
		r.qc.Script(paytest.MPrecreate, paytest.Failed("NOAUTH", ""))
		res, err := r.payQR(r.qrInput(100, app.WalletWeChat))
		require.NoError(t, err)
		assert.Equal(t, payment.IntentFailed, res.State)
		assert.Empty(t, r.qc.Calls(paytest.MQuery))
		assert.Equal(t, app.OrderOpen, r.orderStatus(res.OrderNo))
	})
	t.Run("client refuses before sending", func(t *testing.T) {
		r := newQRRig(t, app.ChannelWeChat)
		r.qc.Script(paytest.MPrecreate, paytest.NotSent("bad key"))
		res, err := r.payQR(r.qrInput(100, app.WalletWeChat))
		require.NoError(t, err)
		assert.Equal(t, payment.IntentFailed, res.State)
		assert.Len(t, r.qc.Precreates(), 1)
	})
}

func TestPayByQR_AmountMismatchGoesToManual(t *testing.T) {
	r := newQRRig(t, app.ChannelWeChat)
	r.qc.Script(paytest.MPrecreate, paytest.Created())
	r.qc.Script(paytest.MQuery, paytest.Amount(paytest.Paid("1"), 99))
	res, err := r.payQR(r.qrInput(100, app.WalletWeChat))
	require.NoError(t, err)
	assert.Equal(t, payment.IntentManual, res.State)
	assert.Equal(t, "pay.amount_mismatch", res.Msg.Code)
}

// seedQR writes a QR intent as a crashed process would have left it.
func (r *qrRig) seedQR(state payment.IntentState, code string, expiresIn time.Duration) payment.PaymentIntent {
	ctx := context.Background()
	now := r.clock.Now()
	o := r.order(100, false)
	in := payment.PaymentIntent{OutTradeNo: app.NewOrderNo("Q", now), OrderID: o.ID, OrderNo: o.OrderNo, Kind: payment.IntentKindPay,
		Channel: r.qc.Name(), Wallet: app.WalletWeChat, StaffID: r.manager.ID, Amount: 100, State: payment.IntentCreated,
		CreatedAt: now.Add(-time.Minute), UpdatedAt: now, QR: true, ExpiresAt: now.Add(expiresIn)}
	require.NoError(r.t, r.store.CreateIntent(ctx, &in, now))
	if state != payment.IntentCreated {
		in.State, in.Attempts, in.SentAt, in.CodeURL = state, 1, now.Add(-time.Minute), code
		require.NoError(r.t, r.store.SaveIntent(ctx, &in))
	}
	return in
}

func TestPayByQR_RecoveredAfterCrash(t *testing.T) {
	r := newQRRig(t, app.ChannelWeChat)
	expired := r.seedQR(payment.IntentPaying, "weixin://a", -time.Minute)
	showing := r.seedQR(payment.IntentPaying, "weixin://b", 3*time.Minute)
	paid := r.seedQR(payment.IntentPaying, "weixin://c", time.Minute)
	lost := r.seedQR(payment.IntentUnknown, "", 4*time.Minute)
	neverSent := r.seedQR(payment.IntentCreated, "", 4*time.Minute)
	r.qc.Script(paytest.MCloseQR, paytest.Closed())
	rc := &routeQR{QRChannel: r.qc, query: map[string]paytest.Reply{
		expired.OutTradeNo: paytest.NotPaid(), showing.OutTradeNo: paytest.NotPaid(),
		paid.OutTradeNo: paytest.Paid("P1"), lost.OutTradeNo: paytest.NotFound("ORDERNOTEXIST"),
	}}
	pay := r.payments(map[app.Wallet]app.PaymentChannel{app.WalletWeChat: rc})
	var rep payment.RecoverReport
	var err error
	r.run(5*time.Minute, func() { rep, err = pay.Recover(context.Background()) })
	require.NoError(t, err)
	assert.Zero(t, rep.Unsettled())

	assert.Equal(t, payment.IntentClosed, r.intent(expired.OutTradeNo).State)
	assert.Equal(t, payment.IntentClosed, r.intent(showing.OutTradeNo).State, "no screen shows its code any more")
	assert.Equal(t, payment.IntentPaid, r.intent(paid.OutTradeNo).State)
	assert.Equal(t, app.OrderPaid, r.orderStatus(paid.OrderNo))
	assert.Equal(t, payment.IntentClosed, r.intent(lost.OutTradeNo).State)
	assert.Equal(t, payment.IntentClosed, r.intent(neverSent.OutTradeNo).State)
	closed := map[string]bool{}
	for _, c := range r.qc.Calls(paytest.MCloseQR) {
		closed[c.Ref] = true
	}
	assert.Equal(t, map[string]bool{expired.OutTradeNo: true, showing.OutTradeNo: true, lost.OutTradeNo: true}, closed,
		"paid is kept; never sent needs no call")
	assert.Empty(t, r.qc.Calls(paytest.MReverse), "a QR order is closed, never reversed")
	assert.Empty(t, r.qc.Calls(paytest.MPrecreate), "nothing is created again")
}

func TestPayByQR_CancelAfterRestart(t *testing.T) {
	r := newQRRig(t, app.ChannelAlipay)
	in := r.seedQR(payment.IntentPaying, "https://qr.alipay.com/x", 3*time.Minute)
	r.qc.Script(paytest.MQuery, paytest.NotFound("ACQ.TRADE_NOT_EXIST"))
	r.qc.Script(paytest.MCloseQR, paytest.Closed())
	var res payment.PayResult
	var err error
	r.run(time.Minute, func() { res, err = r.pay.Cancel(context.Background(), in.OutTradeNo) })
	require.NoError(t, err)
	assert.Equal(t, payment.IntentClosed, res.State)
	assert.Equal(t, "pay.qr_cancelled", res.Msg.Code)
}

// routeQR answers queries per order.
type routeQR struct {
	*paytest.QRChannel
	query map[string]paytest.Reply
}

func (c *routeQR) Query(ctx context.Context, ref app.OrderRef) (app.ChannelResult, error) {
	if rep, ok := c.query[ref.OutTradeNo]; ok {
		_, _ = c.QRChannel.Query(ctx, ref)
		return rep.Res, rep.Err
	}
	return c.QRChannel.Query(ctx, ref)
}

func TestPayByQR_NoSecondTenderWhilePending(t *testing.T) {
	r := newQRRig(t, app.ChannelWeChat)
	r.qc.Script(paytest.MPrecreate, paytest.Created())
	r.qc.Script(paytest.MQuery, paytest.NotPaid())
	r.qc.Script(paytest.MCloseQR, paytest.Closed())
	r.ch.Script(paytest.MPay, paytest.Paid("X"))
	in := r.qrInput(1000, app.WalletWeChat)
	var res payment.PayResult
	var codeErr, qrErr, zeroErr error
	r.run(5*time.Minute, func() {
		go func() {
			no := r.activeNo()
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Microsecond) {
				if in, err := r.store.GetIntent(context.Background(), no); err == nil && in.CodeURL != "" {
					break // the code is on show
				}
			}
			o := r.getOrder(in.Order.OrderNo)
			_, codeErr = r.pay.Pay(context.Background(), payment.PayInput{Order: o, Code: wxCode, Amount: 1000, StaffID: r.manager.ID})
			_, zeroErr = r.pay.Pay(context.Background(), payment.PayInput{Order: o, Code: wxCode, StaffID: r.manager.ID})
			_, qrErr = r.pay.PayByQR(context.Background(), payment.PayQRInput{Order: o, Amount: 1, Wallet: app.WalletAlipay, StaffID: r.manager.ID})
			_, _ = r.pay.Cancel(context.Background(), no)
		}()
		res, _ = r.pay.PayByQR(context.Background(), in)
	})
	assert.ErrorIs(t, codeErr, app.ErrTenderTooLarge, "the QR holds the whole amount")
	assert.ErrorIs(t, zeroErr, app.ErrMoneyZero, "nothing is due while the QR is open")
	assert.ErrorIs(t, qrErr, payment.ErrPaymentPending)
	assert.Empty(t, r.ch.Calls(paytest.MPay), "no second charge was started")
	assert.Len(t, r.qc.Precreates(), 1)
	assert.Equal(t, payment.IntentClosed, res.State)

	// Once closed, the order takes another tender.
	o := r.getOrder(in.Order.OrderNo)
	pres, err := r.payDriven(payment.PayInput{Order: o, Code: wxCode, StaffID: r.manager.ID})
	require.NoError(t, err)
	assert.Equal(t, payment.IntentPaid, pres.State)
	assert.Equal(t, app.OrderPaid, r.orderStatus(o.OrderNo))
}

// A code payment still asking blocks a QR code for the rest of the order.
func TestPayByQR_RefusedBesideAnOpenPayment(t *testing.T) {
	r := newQRRig(t, app.ChannelWeChat)
	o := r.order(1000, false)
	in := payment.PaymentIntent{OutTradeNo: app.NewOrderNo("S", r.clock.Now()), OrderID: o.ID, OrderNo: o.OrderNo,
		Kind: payment.IntentKindPay, Channel: r.qc.Name(), Wallet: app.WalletWeChat, StaffID: r.manager.ID, CodeMasked: "x",
		Amount: 400, State: payment.IntentCreated, CreatedAt: r.clock.Now(), UpdatedAt: r.clock.Now()}
	require.NoError(t, r.store.CreateIntent(context.Background(), &in, r.clock.Now()))
	_, err := r.pay.PayByQR(context.Background(), payment.PayQRInput{Order: r.getOrder(o.OrderNo), Wallet: app.WalletWeChat, StaffID: r.manager.ID})
	require.ErrorIs(t, err, payment.ErrPaymentPending)
	var ae *app.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, in.OutTradeNo, ae.Args["OutTradeNo"])
	assert.Empty(t, r.qc.Precreates())
	assert.Len(t, r.getOrder(o.OrderNo).Tenders, 1, "nothing was written")
}

func TestPayByQR_BadInputSendsNothing(t *testing.T) {
	r := newQRRig(t, app.ChannelWeChat)
	cloud := paytest.NewChannel(app.ChannelCloudPay, r.clock)
	cp := r.payments(map[app.Wallet]app.PaymentChannel{app.WalletWeChat: cloud})
	_, err := cp.PayByQR(context.Background(), r.qrInput(100, app.WalletWeChat))
	require.ErrorIs(t, err, payment.ErrQRNotAvailable, "Cloud Pay shows no QR code")
	var ae *app.Error
	require.ErrorAs(t, err, &ae)
	assert.NotNil(t, ae.Args["Channel"])
	_, err = cp.PayByQR(context.Background(), r.qrInput(100, app.WalletAlipay))
	require.ErrorIs(t, err, payment.ErrChannelNotConfigured)

	for name, tc := range map[string]struct {
		mutate func(*payment.PayQRInput)
		want   error
	}{
		"member wallet":  {func(in *payment.PayQRInput) { in.Wallet = app.WalletMember }, payment.ErrQRNotAvailable},
		"expiry short":   {func(in *payment.PayQRInput) { in.Expire = 30 * time.Second }, payment.ErrQRExpire},
		"expiry long":    {func(in *payment.PayQRInput) { in.Expire = 3 * time.Hour }, payment.ErrQRExpire},
		"no staff":       {func(in *payment.PayQRInput) { in.StaffID = 0 }, payment.ErrNoStaff},
		"closed order":   {func(in *payment.PayQRInput) { in.Order.Status = app.OrderPaid }, app.ErrOrderNotOpen},
		"deposit order":  {func(in *payment.PayQRInput) { in.Order = r.order(100, true) }, payment.ErrQRDeposit},
		"above the rest": {func(in *payment.PayQRInput) { in.Amount = 101 }, app.ErrTenderTooLarge},
	} {
		in := r.qrInput(100, app.WalletWeChat)
		tc.mutate(&in)
		_, err := r.pay.PayByQR(context.Background(), in)
		assert.ErrorIs(t, err, tc.want, name)
	}
	assert.Empty(t, r.qc.Precreates())
	open, err := r.store.OpenIntents(context.Background())
	require.NoError(t, err)
	assert.Empty(t, open, "nothing was written")
}

// An order's non-discountable part goes to Alipay's precreate too.
func TestPayByQR_UndiscountableToAlipay(t *testing.T) {
	r := newQRRig(t, app.ChannelAlipay)
	r.qc.Script(paytest.MPrecreate, paytest.Created())
	r.qc.Script(paytest.MQuery, paytest.Paid("1"))
	o := app.Order{OrderNo: app.NewOrderNo(r.term.NumberPrefix(), r.clock.Now()), StoreID: r.term.StoreID, TerminalID: r.term.ID,
		StaffID: r.manager.ID, Kind: app.OrderSale, Status: app.OrderOpen, CreatedAt: r.clock.Now(),
		Lines: []app.OrderLine{{Name: "香烟", Qty: 1, UnitPrice: 2500, NonDiscountable: true}, {Name: "可乐", Qty: 1, UnitPrice: 300}}}
	require.NoError(t, o.Recompute())
	require.NoError(t, r.db.CreateOrder(context.Background(), &o))
	_, err := r.payQR(payment.PayQRInput{Order: o, Wallet: app.WalletAlipay, StaffID: r.manager.ID})
	require.NoError(t, err)
	assert.Equal(t, app.Money(2500), r.qc.Precreates()[0].Undiscountable)
}
