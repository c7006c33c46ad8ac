package app_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/app/paytest"
	"cashier/localdb"
)

// The state machine against the real SQLite store, a scripted channel and
// a manual clock.

const (
	wxCode  = "134567890123456789"
	aliCode = "2800000000000000"
)

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

type rig struct {
	t       *testing.T
	db      *localdb.DB
	store   *localdb.PaymentStore
	clock   *app.ManualClock
	ch      *paytest.Channel
	pay     *app.Payments
	manager app.Staff
	clerk   app.Staff // holds refund, not clocked on
	events  []app.PaymentEvent
	mu      sync.Mutex
}

func newRig(t *testing.T, name app.ChannelName) *rig {
	t.Helper()
	ctx := context.Background()
	db, err := localdb.Open(filepath.Join(t.TempDir(), "pos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.SeedDemo(ctx, app.PINHasher{Cost: bcrypt.MinCost}, t0)
	require.NoError(t, err)
	term, err := db.CurrentTerminal(ctx)
	require.NoError(t, err)
	r := &rig{t: t, db: db, store: localdb.NewPaymentStore(db), clock: app.NewManualClock(t0)}
	r.manager, _, err = db.StaffByCode(ctx, "1001")
	require.NoError(t, err)
	r.clerk, _, err = db.StaffByCode(ctx, "1002")
	require.NoError(t, err)
	r.ch = paytest.NewChannel(name, r.clock)
	r.pay, err = app.NewPayments(app.PaymentsConfig{
		Store: r.store, Clock: r.clock,
		Channels: map[app.Wallet]app.PaymentChannel{app.WalletWeChat: r.ch, app.WalletAlipay: r.ch},
		Terminal: app.PaymentTerminal{StoreID: term.StoreID, TerminalID: term.ID, OrderPrefix: term.OrderPrefix, TerminalCode: term.Code},
		Refunds:  app.RefundRule{ClockedOn: db.ClockedOn},
	})
	require.NoError(t, err)
	return r
}

func (r *rig) onEvent(e app.PaymentEvent) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *rig) input(code string, amount app.Money) app.PayInput {
	return app.PayInput{Order: app.Order{StaffID: r.manager.ID}, Code: code, Amount: amount, OnEvent: r.onEvent}
}

// run drives fn on the manual clock (1 s steps) and fails if it does not
// finish within limit of clock time.
func (r *rig) run(limit time.Duration, fn func()) {
	r.t.Helper()
	require.True(r.t, paytest.Drive(r.clock, time.Second, limit, fn), "did not finish within %s of clock time", limit)
}

func (r *rig) payDriven(in app.PayInput) (app.PayResult, error) {
	var res app.PayResult
	var err error
	r.run(10*time.Minute, func() { res, err = r.pay.Pay(context.Background(), in) })
	return res, err
}

func (r *rig) orderStatus(orderNo string) app.OrderStatus {
	o, err := r.db.GetOrder(context.Background(), orderNo)
	require.NoError(r.t, err)
	return o.Status
}

func (r *rig) intent(no string) app.PaymentIntent {
	in, err := r.store.GetIntent(context.Background(), no)
	require.NoError(r.t, err)
	return in
}

func offsets(calls []paytest.Call) []time.Duration {
	var out []time.Duration
	for _, c := range calls {
		out = append(out, c.At.Sub(t0))
	}
	return out
}

func TestPay_SuccessAtOnce(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Paid("4200001"))
	res, err := r.payDriven(r.input(wxCode, 1250))
	require.NoError(t, err)
	assert.Equal(t, app.IntentPaid, res.State)
	assert.True(t, res.Paid())
	assert.Equal(t, "4200001", res.TransactionID)
	assert.Equal(t, app.OrderPaid, r.orderStatus(res.OrderNo))
	in := r.intent(res.OutTradeNo)
	assert.Equal(t, 1, in.Attempts)
	assert.Equal(t, "1345**********6789", in.CodeMasked)
	assert.NotContains(t, in.CodeHash, wxCode)
	assert.Len(t, r.ch.Calls(""), 1)
	pay := r.ch.Calls(paytest.MPay)[0].Pay
	assert.Equal(t, wxCode, pay.AuthCode)
	assert.Equal(t, app.Money(1250), pay.Amount)
	assert.Equal(t, res.OutTradeNo, pay.OutTradeNo)
	assert.Regexp(t, `^1001\d{20}$`, res.OutTradeNo, "terminal prefix + time + 6 digits")
	// events: created, sending, final
	require.NotEmpty(t, r.events)
	assert.Equal(t, app.StepCreated, r.events[0].Step)
	last := r.events[len(r.events)-1]
	assert.True(t, last.Final)
	assert.Equal(t, string(app.IntentPaid), last.State)
}

func TestPay_UserPayingThenSuccess(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Paying())
	r.ch.Script(paytest.MQuery, paytest.Paying(), paytest.Paying(), paytest.Paid("42"))
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.Equal(t, app.IntentPaid, res.State)
	assert.Equal(t, []time.Duration{5 * time.Second, 10 * time.Second, 15 * time.Second}, offsets(r.ch.Calls(paytest.MQuery)))
	assert.Empty(t, r.ch.Calls(paytest.MReverse))
	var waiting int
	var secs []int
	for _, e := range r.events {
		if e.Message == "等待顾客输入密码 / waiting for the customer's password" {
			waiting++
			secs = append(secs, e.Seconds)
		}
	}
	assert.Greater(t, waiting, 5, "a progress event every second while the customer types")
	assert.Contains(t, secs, 7)
}

func TestPay_UserPayingUntilDeadlineThenReverse(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Paying())
	r.ch.Script(paytest.MQuery, paytest.Paying())
	r.ch.Script(paytest.MReverse, paytest.Done())
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.Equal(t, app.IntentReversed, res.State)
	assert.Equal(t, app.OrderClosed, r.orderStatus(res.OrderNo))
	q := offsets(r.ch.Calls(paytest.MQuery))
	assert.Equal(t, 45*time.Second, q[len(q)-1], "last query at the 45 s deadline")
	rv := r.ch.Calls(paytest.MReverse)
	require.Len(t, rv, 1)
	assert.Equal(t, 45*time.Second, rv[0].At.Sub(t0), "reverse right after the last unsuccessful query")
	assert.Equal(t, res.OutTradeNo, rv[0].Ref)
}

func TestPay_CustomerCancelsWhilePaying(t *testing.T) {
	r := newRig(t, app.ChannelAlipay)
	r.ch.Script(paytest.MPay, paytest.Paying())
	r.ch.Script(paytest.MQuery, paytest.Paying(), paytest.Failed("TRADE_CLOSED", "CLOSED"))
	res, err := r.payDriven(r.input(aliCode, 100))
	require.NoError(t, err)
	assert.Equal(t, app.IntentClosed, res.State)
	assert.Equal(t, app.OrderClosed, r.orderStatus(res.OrderNo))
	assert.Empty(t, r.ch.Calls(paytest.MReverse))
}

func TestPay_ReverseRecallRetries(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Paying())
	r.ch.Script(paytest.MQuery, paytest.Paying())
	// recall=Y twice, then the customer is still typing, then done.
	r.ch.Script(paytest.MReverse, paytest.Retry("SYSTEMERROR"), paytest.Retry("SYSTEMERROR"), paytest.Paying(), paytest.Done())
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.Equal(t, app.IntentReversed, res.State)
	rv := offsets(r.ch.Calls(paytest.MReverse))
	require.Len(t, rv, 4)
	assert.Equal(t, []time.Duration{45 * time.Second, 47 * time.Second, 49 * time.Second, 54 * time.Second}, rv,
		"recall=Y repeats after RetryWait (2 s); USERPAYING after QueryInterval (5 s)")
	for _, c := range r.ch.Calls(paytest.MReverse) {
		assert.Equal(t, res.OutTradeNo, c.Ref, "the same order number every time")
	}
}

func TestPay_AlipayCancelRetryFlag(t *testing.T) {
	r := newRig(t, app.ChannelAlipay)
	r.ch.Script(paytest.MPay, paytest.Unknown("20000"))
	r.ch.Script(paytest.MQuery, paytest.Unknown("ACQ.SYSTEM_ERROR"))
	// retry_flag=Y on a failed cancel: call cancel again.
	retryFailed := paytest.Failed("ACQ.SYSTEM_ERROR", "")
	retryFailed.Res.Retry = true
	r.ch.Script(paytest.MReverse, retryFailed, paytest.Done())
	res, err := r.payDriven(r.input(aliCode, 100))
	require.NoError(t, err)
	assert.Equal(t, app.IntentReversed, res.State)
	assert.Len(t, r.ch.Calls(paytest.MReverse), 2)
}

func TestPay_FifteenSecondRule(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Unknown("TRANSPORT"))
	r.ch.Script(paytest.MQuery, paytest.Unknown("TRANSPORT"))
	r.ch.Script(paytest.MReverse, paytest.Done())
	var res app.PayResult
	var err error
	r.run(5*time.Minute, func() {
		go func() {
			// The cashier cancels 3 s into the payment.
			for r.clock.Now().Sub(t0) < 3*time.Second {
				time.Sleep(50 * time.Microsecond)
			}
			for len(r.pay.Active()) == 0 {
				time.Sleep(50 * time.Microsecond)
			}
			_, _ = r.pay.Cancel(context.Background(), r.pay.Active()[0])
		}()
		res, err = r.pay.Pay(context.Background(), r.input(wxCode, 100))
	})
	require.NoError(t, err)
	assert.Equal(t, app.IntentReversed, res.State)
	pays := r.ch.Calls(paytest.MPay)
	rv := r.ch.Calls(paytest.MReverse)
	require.Len(t, rv, 1)
	assert.GreaterOrEqual(t, rv[0].At.Sub(pays[0].At), 15*time.Second, "no reverse sooner than 15 s after the pay call")
	assert.Less(t, rv[0].At.Sub(t0), 25*time.Second, "but not at the 45 s deadline either: the cashier cancelled")
	var sawWait bool
	for _, e := range r.events {
		sawWait = sawWait || e.Step == app.StepReverseWait
	}
	assert.True(t, sawWait)
}

func TestPay_NoReverseOn407(t *testing.T) {
	r := newRig(t, app.ChannelCloudPay)
	dup := paytest.Failed("104", "")
	dup.Res.NoReverse = true
	r.ch.Script(paytest.MPay, dup)
	r.ch.Script(paytest.MQuery, paytest.Unknown("103"))
	r.ch.Script(paytest.MReverse, paytest.Done())
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.Equal(t, app.IntentManual, res.State)
	assert.Contains(t, res.Message, "禁止撤销")
	assert.Empty(t, r.ch.Calls(paytest.MReverse), "never reverse on internal_status 407")
	q := offsets(r.ch.Calls(paytest.MQuery))
	assert.Equal(t, 2*time.Minute, q[len(q)-1], "queried until the 2-minute mark, then handed to a person")
	assert.Equal(t, app.OrderPaying, r.orderStatus(res.OrderNo), "a manual order is neither paid nor closed")

	// Recovery only queries it; once the channel knows, it settles.
	r.ch.Set(paytest.MQuery, paytest.Paid("99"))
	var rep app.RecoverReport
	r.run(time.Minute, func() { rep, err = r.pay.Recover(context.Background()) })
	require.NoError(t, err)
	require.Len(t, rep.Payments, 1)
	assert.Equal(t, app.IntentPaid, rep.Payments[0].State)
	assert.Equal(t, app.OrderPaid, r.orderStatus(res.OrderNo))
	assert.Empty(t, r.ch.Calls(paytest.MReverse))
}

func TestPay_NoReverseSeenInQuery(t *testing.T) {
	r := newRig(t, app.ChannelCloudPay)
	r.ch.Script(paytest.MPay, paytest.Unknown("103"))
	q := paytest.Unknown("104")
	q.Res.NoReverse = true
	r.ch.Script(paytest.MQuery, q)
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.Equal(t, app.IntentManual, res.State)
	assert.Empty(t, r.ch.Calls(paytest.MReverse))
}

func TestPay_SystemErrorThenQuerySuccess(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Unknown("SYSTEMERROR"))
	r.ch.Script(paytest.MQuery, paytest.Paid("4200"))
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.Equal(t, app.IntentPaid, res.State)
	assert.Equal(t, []time.Duration{5 * time.Second}, offsets(r.ch.Calls(paytest.MQuery)), "wait ~5 s, then query")
	assert.Len(t, r.ch.Calls(paytest.MPay), 1, "SYSTEMERROR is queried, not re-paid")
}

func TestPay_CloudPayStatus3RetriesSameRequest(t *testing.T) {
	r := newRig(t, app.ChannelCloudPay)
	r.ch.Script(paytest.MPay, paytest.Retry("3"), paytest.Paid("77"))
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.Equal(t, app.IntentPaid, res.State)
	pays := r.ch.Calls(paytest.MPay)
	require.Len(t, pays, 2)
	assert.Equal(t, pays[0].Pay, pays[1].Pay, "the retry is the same request with the same out_trade_no")
	assert.Equal(t, 2, r.intent(res.OutTradeNo).Attempts)
}

func TestPay_RefusalAfterUnansweredAttemptIsQueried(t *testing.T) {
	r := newRig(t, app.ChannelCloudPay)
	// status 3, then the repeat is refused (the first one went through).
	r.ch.Script(paytest.MPay, paytest.Retry("3"), paytest.Failed("ORDERPAID", ""))
	r.ch.Script(paytest.MQuery, paytest.Paid("1"))
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.Equal(t, app.IntentPaid, res.State)
}

func TestPay_TimeoutIsUnknownNeverFailed(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Unknown("TRANSPORT"))
	r.ch.Script(paytest.MQuery, paytest.Unknown("TRANSPORT"))
	r.ch.Script(paytest.MReverse, paytest.Unknown("TRANSPORT"), paytest.Done())
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.Equal(t, app.IntentReversed, res.State)
	assert.Len(t, r.ch.Calls(paytest.MQuery), 1+8+0, "queries at 5,10,…,45 s")
}

func TestPay_UnreachableEndsManual(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Unknown("TRANSPORT"))
	r.ch.Script(paytest.MQuery, paytest.Unknown("TRANSPORT"))
	r.ch.Script(paytest.MReverse, paytest.Unknown("TRANSPORT"))
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.Equal(t, app.IntentManual, res.State)
	assert.Equal(t, 2*time.Minute, res.Elapsed)
}

func TestPay_NotSentFailsAndSendsNothing(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.NotSent("私钥格式不对 / malformed private key"))
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.Equal(t, app.IntentFailed, res.State)
	assert.Contains(t, res.Message, "malformed private key")
	assert.Len(t, r.ch.Calls(""), 1, "no query, no reverse")
	// A failed intent does not block scanning the same code again.
	r.ch.Set(paytest.MPay, paytest.Paid("1"))
	res2, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.True(t, res2.Paid())
	assert.NotEqual(t, res.OutTradeNo, res2.OutTradeNo, "a new payment gets a new number")
}

func TestPay_CustomerMustAct(t *testing.T) {
	for _, code := range []string{"NOTENOUGH", "AUTHCODEEXPIRE"} {
		t.Run(code, func(t *testing.T) {
			r := newRig(t, app.ChannelWeChat)
			r.ch.Script(paytest.MPay, paytest.Failed(code, ""))
			res, err := r.payDriven(r.input(wxCode, 100))
			require.NoError(t, err)
			assert.Equal(t, app.IntentFailed, res.State)
			assert.Equal(t, code, res.Code)
			assert.Contains(t, res.Message, code)
			assert.Equal(t, app.OrderClosed, r.orderStatus(res.OrderNo))
			assert.Len(t, r.ch.Calls(""), 1)
		})
	}
}

func TestPay_CashierCancel(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Paying())
	r.ch.Script(paytest.MQuery, paytest.Paying())
	r.ch.Script(paytest.MReverse, paytest.Done())
	var res, cres app.PayResult
	var err, cerr error
	r.run(5*time.Minute, func() {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r.clock.Now().Sub(t0) < 20*time.Second {
				time.Sleep(50 * time.Microsecond)
			}
			cres, cerr = r.pay.Cancel(context.Background(), r.pay.Active()[0])
		}()
		res, err = r.pay.Pay(context.Background(), r.input(wxCode, 100))
		wg.Wait()
	})
	require.NoError(t, err)
	require.NoError(t, cerr)
	assert.Equal(t, app.IntentReversed, res.State)
	assert.Equal(t, res, cres, "Cancel returns the same final result")
	q := r.ch.Calls(paytest.MQuery)
	rv := r.ch.Calls(paytest.MReverse)
	require.Len(t, rv, 1)
	assert.True(t, q[len(q)-1].At.Before(rv[0].At) || q[len(q)-1].At.Equal(rv[0].At), "query, then reverse")
	assert.Less(t, rv[0].At.Sub(t0), 25*time.Second)
}

func TestPay_CashierCancelButAlreadyPaid(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Paying())
	r.ch.Script(paytest.MQuery, paytest.Paying())
	var res app.PayResult
	r.run(5*time.Minute, func() {
		go func() {
			for r.clock.Now().Sub(t0) < 7*time.Second {
				time.Sleep(50 * time.Microsecond)
			}
			r.ch.Set(paytest.MQuery, paytest.Paid("1"))
			_, _ = r.pay.Cancel(context.Background(), r.pay.Active()[0])
		}()
		res, _ = r.pay.Pay(context.Background(), r.input(wxCode, 100))
	})
	assert.Equal(t, app.IntentPaid, res.State, "the query before reversing found it paid: keep it")
	assert.Empty(t, r.ch.Calls(paytest.MReverse))
}

func TestPay_DuplicateScan(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Paying())
	r.ch.Script(paytest.MQuery, paytest.Paying(), paytest.Paid("1"))
	var first app.PayResult
	var dupErr error
	r.run(5*time.Minute, func() {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for len(r.pay.Active()) == 0 {
				time.Sleep(50 * time.Microsecond)
			}
			// The scanner reads the same code again 1 s later.
			_, dupErr = r.pay.Pay(context.Background(), r.input(" "+wxCode+"\n", 100))
		}()
		first, _ = r.pay.Pay(context.Background(), r.input(wxCode, 100))
		wg.Wait()
	})
	assert.True(t, first.Paid())
	var dse *app.DuplicateScanError
	require.ErrorAs(t, dupErr, &dse)
	assert.ErrorIs(t, dupErr, app.ErrDuplicateScan)
	assert.Equal(t, first.OutTradeNo, dse.OutTradeNo)
	assert.Len(t, r.ch.Calls(paytest.MPay), 1, "one charge")
	n, _ := r.db.CountOrders(context.Background())
	assert.Equal(t, 1, n, "nothing written for the refused scan")

	// Still within 10 s of the first scan, after it was paid: refused.
	_, err := r.pay.Pay(context.Background(), r.input(wxCode, 100))
	if r.clock.Now().Sub(t0) < 10*time.Second {
		assert.ErrorIs(t, err, app.ErrDuplicateScan)
	}
	// After the window the same digits are a new scan.
	r.clock.Advance(11 * time.Second)
	r.ch.Set(paytest.MPay, paytest.Paid("2"))
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.True(t, res.Paid())
}

func TestPay_BadInputSendsNothing(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	ctx := context.Background()
	_, err := r.pay.Pay(ctx, r.input("6901234567892", 100))
	assert.ErrorIs(t, err, app.ErrNotPaymentCode)
	_, err = r.pay.Pay(ctx, r.input("6212345678901234567", 100)) // UnionPay: no channel here
	assert.ErrorIs(t, err, app.ErrChannelNotConfigured)
	assert.Contains(t, err.Error(), "云闪付")
	_, err = r.pay.Pay(ctx, r.input(wxCode, 0))
	assert.ErrorIs(t, err, app.ErrMoneyZero)
	_, err = r.pay.Pay(ctx, r.input(wxCode, app.DefaultCeiling+1))
	assert.ErrorIs(t, err, app.ErrMoneyCeiling)
	_, err = r.pay.Pay(ctx, r.input(wxCode, -5))
	assert.Error(t, err)
	in := r.input(wxCode, 500)
	in.Order.Lines = []app.OrderLine{{Name: "水", Qty: 2, UnitPrice: 200}}
	_, err = r.pay.Pay(ctx, in)
	assert.ErrorIs(t, err, app.ErrAmountMismatch)
	in = r.input(wxCode, 500)
	in.Order.StaffID = 0
	_, err = r.pay.Pay(ctx, in)
	assert.ErrorIs(t, err, app.ErrNoStaff)
	assert.Empty(t, r.ch.Calls(""))
	n, _ := r.db.CountOrders(ctx)
	assert.Zero(t, n)
}

func TestPay_OrderWithLines(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Paid("1"))
	in := r.input(wxCode, 0)
	in.Order.Lines = []app.OrderLine{{Name: "水", Qty: 2, UnitPrice: 200}, {Name: "面包", Qty: 1, UnitPrice: 990}}
	res, err := r.payDriven(in)
	require.NoError(t, err)
	o, err := r.db.GetOrder(context.Background(), res.OrderNo)
	require.NoError(t, err)
	assert.Equal(t, app.Money(1390), o.Paid)
	assert.Len(t, o.Lines, 2)
	assert.Equal(t, app.Money(1390), r.ch.Calls(paytest.MPay)[0].Amount)
}

func TestPay_AmountMismatchGoesToManual(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	p := paytest.Paid("1")
	p.Res.Amount = 99
	r.ch.Script(paytest.MPay, p)
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.Equal(t, app.IntentManual, res.State)
	assert.Contains(t, res.Message, "amount mismatch")
}

// --- recovery ---

// seedIntent writes an intent as a crashed process would have left it.
func (r *rig) seedIntent(state app.IntentState, sentAgo time.Duration) app.PaymentIntent {
	ctx := context.Background()
	now := r.clock.Now()
	term, _ := r.db.CurrentTerminal(ctx)
	o := app.Order{OrderNo: app.NewOrderNo(term.OrderPrefix, now), StoreID: term.StoreID, TerminalID: term.ID,
		StaffID: r.manager.ID, Kind: app.OrderSale, Status: app.OrderPaying, Total: 100, Payable: 100, CreatedAt: now.Add(-sentAgo)}
	in := app.PaymentIntent{OutTradeNo: o.OrderNo, Kind: app.IntentKindPay, Channel: r.ch.Name(), Wallet: app.WalletWeChat,
		CodeMasked: "x", Amount: 100, State: app.IntentCreated, CreatedAt: now.Add(-sentAgo), UpdatedAt: now}
	require.NoError(r.t, r.store.CreateIntent(ctx, &o, &in, now))
	if state != app.IntentCreated {
		in.State, in.Attempts, in.SentAt = state, 1, now.Add(-sentAgo)
		require.NoError(r.t, r.store.SaveIntent(ctx, &in))
	}
	return in
}

func TestRecover(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	neverSent := r.seedIntent(app.IntentCreated, time.Second)
	paid := r.seedIntent(app.IntentSent, 2*time.Second)
	unknown := r.seedIntent(app.IntentUnknown, 2*time.Minute)
	fresh := r.seedIntent(app.IntentPaying, 3*time.Second)
	r.ch.Script(paytest.MQuery, paytest.Reply{Res: app.ChannelResult{Outcome: app.OutcomeUnknown, Code: "NO_RECORD"}})
	r.ch.Script(paytest.MReverse, paytest.Done())
	// Per-order answers: the scripted channel answers in call order, so
	// give paid its own channel state by answering via a wrapper.
	rc := &routeChannel{Channel: r.ch, query: map[string]paytest.Reply{paid.OutTradeNo: paytest.Paid("T1")}}
	pay, err := app.NewPayments(app.PaymentsConfig{Store: r.store, Clock: r.clock,
		Channels: map[app.Wallet]app.PaymentChannel{app.WalletWeChat: rc}})
	require.NoError(t, err)
	var rep app.RecoverReport
	r.run(5*time.Minute, func() { rep, err = pay.Recover(context.Background()) })
	require.NoError(t, err)
	assert.Zero(t, rep.Unsettled())
	assert.Equal(t, app.IntentClosed, r.intent(neverSent.OutTradeNo).State)
	assert.Equal(t, app.IntentPaid, r.intent(paid.OutTradeNo).State)
	assert.Equal(t, app.OrderPaid, r.orderStatus(paid.OutTradeNo))
	assert.Equal(t, app.IntentReversed, r.intent(unknown.OutTradeNo).State)
	assert.Equal(t, app.IntentReversed, r.intent(fresh.OutTradeNo).State)
	for _, c := range r.ch.Calls(paytest.MQuery) {
		assert.NotEqual(t, neverSent.OutTradeNo, c.Ref, "an intent never sent needs no call")
	}
	for _, c := range r.ch.Calls(paytest.MReverse) {
		assert.NotEqual(t, paid.OutTradeNo, c.Ref, "a paid order is kept, never reversed")
		if c.Ref == fresh.OutTradeNo {
			// sent 3 s before the crash: the reverse waits for the 15 s rule
			// (and the customer had until the 45 s deadline).
			assert.GreaterOrEqual(t, c.At.Sub(fresh.SentAt), 15*time.Second)
		}
	}
	open, err := r.store.OpenIntents(context.Background())
	require.NoError(t, err)
	assert.Empty(t, open)
}

// routeChannel answers queries per order.
type routeChannel struct {
	*paytest.Channel
	query map[string]paytest.Reply
}

func (c *routeChannel) Query(ctx context.Context, ref app.OrderRef) (app.ChannelResult, error) {
	if rep, ok := c.query[ref.OutTradeNo]; ok {
		_, _ = c.Channel.Query(ctx, ref) // record
		return rep.Res, rep.Err
	}
	return c.Channel.Query(ctx, ref)
}

func TestCancelAfterRestart(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	in := r.seedIntent(app.IntentPaying, 5*time.Second)
	r.ch.Script(paytest.MQuery, paytest.Paying())
	r.ch.Script(paytest.MReverse, paytest.Done())
	var res app.PayResult
	var err error
	r.run(time.Minute, func() { res, err = r.pay.Cancel(context.Background(), in.OutTradeNo) })
	require.NoError(t, err)
	assert.Equal(t, app.IntentReversed, res.State)
	rv := r.ch.Calls(paytest.MReverse)
	require.Len(t, rv, 1)
	assert.GreaterOrEqual(t, rv[0].At.Sub(in.SentAt), 15*time.Second)
	assert.Less(t, rv[0].At.Sub(t0), 15*time.Second, "cancel does not wait for the 45 s deadline")
}

// --- refunds ---

func (r *rig) paidOrder(amount app.Money) app.PayResult {
	r.ch.Set(paytest.MPay, paytest.Paid("T"))
	res, err := r.payDriven(r.input(wxCode, amount))
	require.NoError(r.t, err)
	require.True(r.t, res.Paid())
	r.clock.Advance(11 * time.Second) // out of the duplicate-scan window
	return res
}

func (r *rig) refund(orderNo string, amount app.Money, by app.Staff) (app.RefundResult, error) {
	var res app.RefundResult
	var err error
	r.run(10*time.Minute, func() {
		res, err = r.pay.Refund(context.Background(), app.RefundInput{OrderNo: orderNo, Amount: amount, Staff: by, Reason: "test", OnEvent: r.onEvent})
	})
	return res, err
}

func TestRefund_CappedAndIdempotent(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	p := r.paidOrder(1000)
	// First refund: the answer is lost, the re-send (same number) is
	// accepted and processing, the query says done.
	r.ch.Script(paytest.MRefund, paytest.Unknown("TRANSPORT"), paytest.Paying())
	r.ch.Script(paytest.MRefundQuery, paytest.Done())
	res, err := r.refund(p.OrderNo, 400, r.manager)
	require.NoError(t, err)
	assert.Equal(t, app.RefundRefunded, res.State)
	calls := r.ch.Calls(paytest.MRefund)
	require.Len(t, calls, 2)
	assert.Equal(t, calls[0].Ref, calls[1].Ref, "a retry reuses the refund number")
	assert.Equal(t, res.OutRefundNo, calls[0].Ref)
	assert.NotEqual(t, p.OutTradeNo, res.OutRefundNo, "the refund has its own number")
	o, _ := r.db.GetOrder(context.Background(), p.OrderNo)
	assert.Equal(t, app.Money(400), o.Refunded)
	assert.Equal(t, app.OrderPartRefunded, o.Status)

	// More than what is left is refused before anything is sent.
	_, err = r.refund(p.OrderNo, 601, r.manager)
	var ex *app.RefundExceedsError
	require.ErrorAs(t, err, &ex)
	assert.Equal(t, app.Money(600), ex.Left)
	assert.Len(t, r.ch.Calls(paytest.MRefund), 2)

	// The rest: a second, separate refund with another number.
	r.ch.Set(paytest.MRefund, paytest.Done())
	res2, err := r.refund(p.OrderNo, 600, r.manager)
	require.NoError(t, err)
	assert.True(t, res2.Refunded())
	assert.NotEqual(t, res.OutRefundNo, res2.OutRefundNo)
	assert.Equal(t, app.OrderRefunded, r.orderStatus(p.OrderNo))
	_, err = r.refund(p.OrderNo, 1, r.manager)
	assert.ErrorIs(t, err, app.ErrNotRefundable)
}

func TestRefund_FailedFreesTheAmount(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	p := r.paidOrder(1000)
	r.ch.Script(paytest.MRefund, paytest.Failed("NOTENOUGH", ""))
	res, err := r.refund(p.OrderNo, 1000, r.manager)
	require.NoError(t, err)
	assert.Equal(t, app.RefundFailed, res.State)
	r.ch.Set(paytest.MRefund, paytest.Done())
	res, err = r.refund(p.OrderNo, 1000, r.manager)
	require.NoError(t, err)
	assert.True(t, res.Refunded())
}

func TestRefund_Permissions(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	p := r.paidOrder(1000)
	r.ch.Script(paytest.MRefund, paytest.Done())
	_, err := r.refund(p.OrderNo, 100, r.clerk)
	assert.ErrorIs(t, err, app.ErrRefundNotAllowed, "a clerk who is not clocked on")
	assert.Empty(t, r.ch.Calls(paytest.MRefund))
	require.NoError(t, r.db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO shift(store_id, staff_id, started_at) VALUES (?,?,?)`, r.clerk.StoreID, r.clerk.ID, t0.UnixMilli())
		return err
	}))
	res, err := r.refund(p.OrderNo, 100, r.clerk)
	require.NoError(t, err)
	assert.True(t, res.Refunded())
	noRule, _ := app.NewPayments(app.PaymentsConfig{Store: r.store, Clock: r.clock, Channels: map[app.Wallet]app.PaymentChannel{app.WalletWeChat: r.ch}})
	_, err = noRule.Refund(context.Background(), app.RefundInput{OrderNo: p.OrderNo, Amount: 1, Staff: r.manager})
	assert.ErrorIs(t, err, app.ErrNoRefundRule)
}

func TestRefund_RecoveredAfterCrash(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	p := r.paidOrder(1000)
	// The refund is written and sent; the process dies before the answer.
	r.ch.Script(paytest.MRefund, paytest.Reply{Res: app.ChannelResult{Outcome: app.OutcomeUnknown}})
	ctx, cancel := context.WithCancel(context.Background())
	var res app.RefundResult
	var err error
	r.run(time.Minute, func() {
		go func() {
			for len(r.ch.Calls(paytest.MRefund)) == 0 {
				time.Sleep(50 * time.Microsecond)
			}
			cancel()
		}()
		res, err = r.pay.Refund(ctx, app.RefundInput{OrderNo: p.OrderNo, Amount: 300, Staff: r.manager})
	})
	require.Error(t, err)
	assert.False(t, res.State.Final())
	r.ch.Set(paytest.MRefund, paytest.Done())
	var rep app.RecoverReport
	r.run(time.Minute, func() { rep, err = r.pay.Recover(context.Background()) })
	require.NoError(t, err)
	require.Len(t, rep.Refunds, 1)
	assert.True(t, rep.Refunds[0].Refunded())
	calls := r.ch.Calls(paytest.MRefund)
	assert.Equal(t, calls[0].Ref, calls[len(calls)-1].Ref)
	o, _ := r.db.GetOrder(context.Background(), p.OrderNo)
	assert.Equal(t, app.Money(300), o.Refunded)
}

// --- deposits ---

func TestDeposit_FreezeConsumeBounds(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Paid("D1"))
	in := r.input(wxCode, 50000)
	in.Deposit = true
	res, err := r.payDriven(in)
	require.NoError(t, err)
	require.True(t, res.Paid())
	assert.True(t, r.ch.Calls(paytest.MPay)[0].Pay.Deposit)
	ctx := context.Background()
	dep, err := r.store.GetDeposit(ctx, res.OrderNo)
	require.NoError(t, err)
	assert.Equal(t, app.DepositFrozen, dep.State)
	assert.Equal(t, app.Money(50000), dep.Amount)
	byTxn, err := r.store.GetDeposit(ctx, "D1")
	require.NoError(t, err, "found by the wallet's transaction number too")
	assert.Equal(t, dep.ID, byTxn.ID)

	op := func(amount app.Money) (app.DepositOpResult, error) {
		var out app.DepositOpResult
		var err error
		r.run(5*time.Minute, func() {
			out, err = r.pay.Consume(ctx, app.DepositOpInput{DepositNo: res.OrderNo, Amount: amount, Staff: r.manager})
		})
		return out, err
	}
	_, err = op(0)
	assert.ErrorIs(t, err, app.ErrDepositAmount)
	_, err = op(50001)
	assert.ErrorIs(t, err, app.ErrDepositAmount)
	assert.Empty(t, r.ch.Calls(paytest.MConsume))

	r.ch.Script(paytest.MConsume, paytest.Unknown("SYSTEMERROR"), paytest.Done())
	out, err := op(32000)
	require.NoError(t, err)
	assert.True(t, out.Done())
	cons := r.ch.Calls(paytest.MConsume)
	require.Len(t, cons, 2)
	assert.Equal(t, cons[0].Ref, cons[1].Ref, "the retry reuses the request number")
	dep, _ = r.store.GetDeposit(ctx, res.OrderNo)
	assert.Equal(t, app.DepositConsumed, dep.State)
	assert.Equal(t, app.Money(32000), dep.Consumed)
	assert.Equal(t, app.Money(18000), dep.Released, "the rest goes back by itself")

	_, err = op(1)
	assert.ErrorIs(t, err, app.ErrDepositState)
	_, err = r.pay.Release(ctx, app.DepositOpInput{DepositNo: res.OrderNo, Staff: r.manager})
	assert.ErrorIs(t, err, app.ErrDepositState)

	// A refund after consumption is capped at what was consumed.
	_, err = r.refund(res.OrderNo, 32001, r.manager)
	assert.ErrorIs(t, err, app.ErrRefundExceeds)
	r.ch.Script(paytest.MRefund, paytest.Done())
	rf, err := r.refund(res.OrderNo, 32000, r.manager)
	require.NoError(t, err)
	assert.True(t, rf.Refunded())
}

func TestDeposit_ReleaseWaitsFifteenSeconds(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Paid("D1"))
	in := r.input(wxCode, 20000)
	in.Deposit = true
	res, err := r.payDriven(in)
	require.NoError(t, err)
	r.ch.Script(paytest.MRelease, paytest.Done())
	var out app.DepositOpResult
	r.run(time.Minute, func() {
		out, err = r.pay.Release(context.Background(), app.DepositOpInput{DepositNo: res.OrderNo, Staff: r.manager})
	})
	require.NoError(t, err)
	assert.True(t, out.Done())
	rel := r.ch.Calls(paytest.MRelease)
	require.Len(t, rel, 1)
	assert.Equal(t, app.Money(20000), rel[0].Amount)
	assert.GreaterOrEqual(t, rel[0].At.Sub(r.ch.Calls(paytest.MPay)[0].At), 15*time.Second)
	dep, _ := r.store.GetDeposit(context.Background(), res.OrderNo)
	assert.Equal(t, app.DepositReleased, dep.State)
	assert.Equal(t, app.Money(20000), dep.Released)
	_, err = r.pay.Consume(context.Background(), app.DepositOpInput{DepositNo: res.OrderNo, Amount: 1, Staff: r.manager})
	assert.ErrorIs(t, err, app.ErrDepositState)
	// Without the deposit permission nothing happens.
	_, err = r.pay.Consume(context.Background(), app.DepositOpInput{DepositNo: res.OrderNo, Amount: 1, Staff: app.Staff{ID: 9}})
	assert.ErrorIs(t, err, app.ErrDepositNotAllowed)
}

func TestPay_IntentDurableBeforeTheFirstCall(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	var seen app.PaymentIntent
	var seenOrder app.OrderStatus
	p := paytest.Paid("1")
	p.Then = func() {
		// Read through a fresh connection, as a restarted process would.
		db2, err := localdb.OpenExisting(r.db.Path())
		require.NoError(t, err)
		defer db2.Close()
		open, err := localdb.NewPaymentStore(db2).OpenIntents(context.Background())
		require.NoError(t, err)
		require.Len(t, open, 1)
		seen = open[0]
		o, err := db2.GetOrder(context.Background(), seen.OrderNo)
		require.NoError(t, err)
		seenOrder = o.Status
	}
	r.ch.Script(paytest.MPay, p)
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.Equal(t, res.OutTradeNo, seen.OutTradeNo)
	assert.Equal(t, app.IntentSent, seen.State, "committed as sent before the request left")
	assert.Equal(t, 1, seen.Attempts)
	assert.Equal(t, app.Money(100), seen.Amount)
	assert.Equal(t, app.OrderPaying, seenOrder)
}
