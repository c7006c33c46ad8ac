package payment_test

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
	"cashier/app/auth"
	"cashier/app/payment"
	"cashier/app/payment/paytest"
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
	pay     *payment.Payments
	term    app.TerminalInfo
	manager app.Staff
	clerk   app.Staff // holds refund, not clocked on
	events  []payment.Event
	mu      sync.Mutex
	codes   int // codeOf's sequence
}

func newRig(t *testing.T, name app.ChannelName) *rig {
	t.Helper()
	ctx := context.Background()
	db, err := localdb.Open(filepath.Join(t.TempDir(), "pos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.SeedDemo(ctx, auth.PINHasher{Cost: bcrypt.MinCost}, t0)
	require.NoError(t, err)
	term, err := db.CurrentTerminal(ctx)
	require.NoError(t, err)
	r := &rig{t: t, db: db, store: localdb.NewPaymentStore(db), clock: app.NewManualClock(t0), term: term}
	r.manager, _, err = db.StaffByCode(ctx, "1001")
	require.NoError(t, err)
	r.clerk, _, err = db.StaffByCode(ctx, "1002")
	require.NoError(t, err)
	r.ch = paytest.NewChannel(name, r.clock)
	r.pay = r.payments(map[app.Wallet]app.PaymentChannel{app.WalletWeChat: r.ch, app.WalletAlipay: r.ch})
	return r
}

func (r *rig) payments(chs map[app.Wallet]app.PaymentChannel) *payment.Payments {
	p, err := payment.New(payment.Config{
		Store: r.store, Clock: r.clock, Channels: chs,
		Terminal: payment.Terminal{NumberPrefix: r.term.NumberPrefix(), TerminalCode: r.term.Code},
		Permits:  auth.Rules{Store: r.db},
	})
	require.NoError(r.t, err)
	return p
}

func (r *rig) onEvent(e payment.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// order writes an open order of payable amount (a deposit order when
// deposit is set), as the checkout does before any tender.
func (r *rig) order(amount app.Money, deposit bool) app.Order {
	o := app.Order{OrderNo: app.NewOrderNo(r.term.NumberPrefix(), r.clock.Now()), StoreID: r.term.StoreID, TerminalID: r.term.ID,
		StaffID: r.manager.ID, Kind: app.OrderSale, Status: app.OrderOpen, Total: amount, Payable: amount, CreatedAt: r.clock.Now()}
	if deposit {
		o.Kind = app.OrderDeposit
	}
	if amount > 0 {
		require.NoError(r.t, r.db.CreateOrder(context.Background(), &o))
	}
	return o
}

// input is a wallet tender of amount on a new order of that amount.
func (r *rig) input(code string, amount app.Money) payment.PayInput {
	return payment.PayInput{Order: r.order(amount, false), Code: code, Amount: amount, StaffID: r.manager.ID, OnEvent: r.onEvent}
}

// run drives fn on the manual clock (1 s steps) and fails if it does not
// finish within limit of clock time.
func (r *rig) run(limit time.Duration, fn func()) {
	r.t.Helper()
	require.True(r.t, paytest.Drive(r.clock, time.Second, limit, fn), "did not finish within %s of clock time", limit)
}

func (r *rig) payDriven(in payment.PayInput) (payment.PayResult, error) {
	var res payment.PayResult
	var err error
	r.run(10*time.Minute, func() { res, err = r.pay.Pay(context.Background(), in) })
	return res, err
}

// activeNo waits (on the wall clock, with a deadline) for a payment in
// progress and returns its number.
func (r *rig) activeNo() string {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		if a := r.pay.Active(); len(a) > 0 {
			return a[0]
		}
		time.Sleep(50 * time.Microsecond)
	}
	r.t.Error("no payment in progress within 30 s")
	return ""
}

func (r *rig) orderStatus(orderNo string) app.OrderStatus {
	return r.getOrder(orderNo).Status
}

func (r *rig) getOrder(orderNo string) app.Order {
	o, err := r.db.GetOrder(context.Background(), orderNo)
	require.NoError(r.t, err)
	return o
}

func (r *rig) intent(no string) payment.PaymentIntent {
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
	assert.Equal(t, payment.IntentPaid, res.State)
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
	assert.Regexp(t, `^1001T[A-Z0-9]{5}\d{18}$`, res.OutTradeNo, "cashier prefix + terminal tag + time + 6 digits")
	// events: created, sending, final
	require.NotEmpty(t, r.events)
	assert.Equal(t, payment.StepCreated, r.events[0].Step)
	last := r.events[len(r.events)-1]
	assert.True(t, last.Final)
	assert.Equal(t, string(payment.IntentPaid), last.State)
}

func TestPay_UserPayingThenSuccess(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Paying())
	r.ch.Script(paytest.MQuery, paytest.Paying(), paytest.Paying(), paytest.Paid("42"))
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.Equal(t, payment.IntentPaid, res.State)
	assert.Equal(t, []time.Duration{5 * time.Second, 10 * time.Second, 15 * time.Second}, offsets(r.ch.Calls(paytest.MQuery)))
	assert.Empty(t, r.ch.Calls(paytest.MReverse))
	var waiting int
	var secs []int
	for _, e := range r.events {
		if e.Msg.Code == "pay.paying" {
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
	assert.Equal(t, payment.IntentReversed, res.State)
	assert.Equal(t, app.OrderOpen, r.orderStatus(res.OrderNo), "the reversed tender leaves the order open for another")
	assert.Equal(t, app.TenderFailed, r.getOrder(res.OrderNo).Tenders[0].State)
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
	assert.Equal(t, payment.IntentClosed, res.State)
	assert.Equal(t, app.OrderOpen, r.orderStatus(res.OrderNo))
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
	assert.Equal(t, payment.IntentReversed, res.State)
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
	assert.Equal(t, payment.IntentReversed, res.State)
	assert.Len(t, r.ch.Calls(paytest.MReverse), 2)
}

func TestPay_FifteenSecondRule(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Unknown("TRANSPORT"))
	r.ch.Script(paytest.MQuery, paytest.Unknown("TRANSPORT"))
	r.ch.Script(paytest.MReverse, paytest.Done())
	var res payment.PayResult
	var err error
	r.run(5*time.Minute, func() {
		go func() {
			// The cashier cancels 3 s into the payment.
			for r.clock.Now().Sub(t0) < 3*time.Second {
				time.Sleep(50 * time.Microsecond)
			}
			r.activeNo() // waits for the payment to be in progress
			_, _ = r.pay.Cancel(context.Background(), r.activeNo())
		}()
		res, err = r.pay.Pay(context.Background(), r.input(wxCode, 100))
	})
	require.NoError(t, err)
	assert.Equal(t, payment.IntentReversed, res.State)
	pays := r.ch.Calls(paytest.MPay)
	rv := r.ch.Calls(paytest.MReverse)
	require.Len(t, rv, 1)
	assert.GreaterOrEqual(t, rv[0].At.Sub(pays[0].At), 15*time.Second, "no reverse sooner than 15 s after the pay call")
	assert.Less(t, rv[0].At.Sub(t0), 25*time.Second, "but not at the 45 s deadline either: the cashier cancelled")
	var sawWait bool
	for _, e := range r.events {
		sawWait = sawWait || e.Step == payment.StepReverseWait
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
	assert.Equal(t, payment.IntentManual, res.State)
	assert.Equal(t, "pay.no_reverse", res.Msg.Code)
	assert.Empty(t, r.ch.Calls(paytest.MReverse), "never reverse on internal_status 407")
	q := offsets(r.ch.Calls(paytest.MQuery))
	assert.Equal(t, 2*time.Minute, q[len(q)-1], "queried until the 2-minute mark, then handed to a person")
	assert.Equal(t, app.OrderOpen, r.orderStatus(res.OrderNo), "a manual tender is neither paid nor failed")
	assert.Equal(t, app.TenderPending, r.getOrder(res.OrderNo).Tenders[0].State)

	// Recovery only queries it; once the channel knows, it settles.
	r.ch.Set(paytest.MQuery, paytest.Paid("99"))
	var rep payment.RecoverReport
	r.run(time.Minute, func() { rep, err = r.pay.Recover(context.Background()) })
	require.NoError(t, err)
	require.Len(t, rep.Payments, 1)
	assert.Equal(t, payment.IntentPaid, rep.Payments[0].State)
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
	assert.Equal(t, payment.IntentManual, res.State)
	assert.Empty(t, r.ch.Calls(paytest.MReverse))
}

func TestPay_SystemErrorThenQuerySuccess(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Unknown("SYSTEMERROR"))
	r.ch.Script(paytest.MQuery, paytest.Paid("4200"))
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.Equal(t, payment.IntentPaid, res.State)
	assert.Equal(t, []time.Duration{5 * time.Second}, offsets(r.ch.Calls(paytest.MQuery)), "wait ~5 s, then query")
	assert.Len(t, r.ch.Calls(paytest.MPay), 1, "SYSTEMERROR is queried, not re-paid")
}

func TestPay_CloudPayStatus3RetriesSameRequest(t *testing.T) {
	r := newRig(t, app.ChannelCloudPay)
	r.ch.Script(paytest.MPay, paytest.Retry("3"), paytest.Paid("77"))
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.Equal(t, payment.IntentPaid, res.State)
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
	assert.Equal(t, payment.IntentPaid, res.State)
}

func TestPay_TimeoutIsUnknownNeverFailed(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Unknown("TRANSPORT"))
	r.ch.Script(paytest.MQuery, paytest.Unknown("TRANSPORT"))
	r.ch.Script(paytest.MReverse, paytest.Unknown("TRANSPORT"), paytest.Done())
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.Equal(t, payment.IntentReversed, res.State)
	assert.Len(t, r.ch.Calls(paytest.MQuery), 1+8+0, "queries at 5,10,…,45 s")
}

func TestPay_UnreachableEndsManual(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Unknown("TRANSPORT"))
	r.ch.Script(paytest.MQuery, paytest.Unknown("TRANSPORT"))
	r.ch.Script(paytest.MReverse, paytest.Unknown("TRANSPORT"))
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.Equal(t, payment.IntentManual, res.State)
	assert.Equal(t, 2*time.Minute, res.Elapsed)
}

func TestPay_NotSentFailsAndSendsNothing(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.NotSent("私钥格式不对 / malformed private key"))
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.Equal(t, payment.IntentFailed, res.State)
	assert.Contains(t, res.ChannelMsg, "malformed private key")
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
			assert.Equal(t, payment.IntentFailed, res.State)
			assert.Equal(t, code, res.Code)
			assert.Equal(t, "pay.failed_because", res.Msg.Code)
			assert.Equal(t, app.OrderOpen, r.orderStatus(res.OrderNo), "open for another tender")
			assert.Len(t, r.ch.Calls(""), 1)
		})
	}
}

func TestPay_CashierCancel(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Paying())
	r.ch.Script(paytest.MQuery, paytest.Paying())
	r.ch.Script(paytest.MReverse, paytest.Done())
	var res, cres payment.PayResult
	var err, cerr error
	r.run(5*time.Minute, func() {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r.clock.Now().Sub(t0) < 20*time.Second {
				time.Sleep(50 * time.Microsecond)
			}
			cres, cerr = r.pay.Cancel(context.Background(), r.activeNo())
		}()
		res, err = r.pay.Pay(context.Background(), r.input(wxCode, 100))
		wg.Wait()
	})
	require.NoError(t, err)
	require.NoError(t, cerr)
	assert.Equal(t, payment.IntentReversed, res.State)
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
	var res payment.PayResult
	r.run(5*time.Minute, func() {
		go func() {
			for r.clock.Now().Sub(t0) < 7*time.Second {
				time.Sleep(50 * time.Microsecond)
			}
			r.ch.Set(paytest.MQuery, paytest.Paid("1"))
			_, _ = r.pay.Cancel(context.Background(), r.activeNo())
		}()
		res, _ = r.pay.Pay(context.Background(), r.input(wxCode, 100))
	})
	assert.Equal(t, payment.IntentPaid, res.State, "the query before reversing found it paid: keep it")
	assert.Empty(t, r.ch.Calls(paytest.MReverse))
}

func TestPay_DuplicateScan(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Paying())
	r.ch.Script(paytest.MQuery, paytest.Paying(), paytest.Paid("1"))
	var first payment.PayResult
	var dupErr error
	r.run(5*time.Minute, func() {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.activeNo() // waits for the payment to be in progress
			// The scanner reads the same code again 1 s later.
			_, dupErr = r.pay.Pay(context.Background(), r.input(" "+wxCode+"\n", 100))
		}()
		first, _ = r.pay.Pay(context.Background(), r.input(wxCode, 100))
		wg.Wait()
	})
	assert.True(t, first.Paid())
	require.ErrorIs(t, dupErr, payment.ErrDuplicateScan)
	m, _ := app.AsMessage(dupErr)
	assert.Equal(t, first.OutTradeNo, m.Args["OutTradeNo"])
	assert.Len(t, r.ch.Calls(paytest.MPay), 1, "one charge")
	var tenders int
	require.NoError(t, r.db.Read().QueryRow(`SELECT count(*) FROM tender`).Scan(&tenders))
	assert.Equal(t, 1, tenders, "nothing written for the refused scan")

	// After the window the same digits are a new scan.
	r.clock.Advance(11 * time.Second)
	r.ch.Set(paytest.MPay, paytest.Paid("2"))
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.True(t, res.Paid())
	// Within 10 s of that scan, although it is paid already: refused.
	r.clock.Advance(9 * time.Second)
	_, err = r.pay.Pay(context.Background(), r.input(wxCode, 100))
	assert.ErrorIs(t, err, payment.ErrDuplicateScan)
	assert.Len(t, r.ch.Calls(paytest.MPay), 2)
}

func TestPay_BadInputSendsNothing(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	ctx := context.Background()
	_, err := r.pay.Pay(ctx, r.input("6901234567892", 100))
	assert.ErrorIs(t, err, app.ErrNotPaymentCode)
	_, err = r.pay.Pay(ctx, r.input("6212345678901234567", 100)) // UnionPay: no channel here
	assert.ErrorIs(t, err, payment.ErrChannelNotConfigured)
	m, _ := app.AsMessage(err)
	assert.Equal(t, app.WalletName(app.WalletUnionPay), m.Args["Wallet"])
	zero := r.input(wxCode, 100)
	zero.Amount, zero.Order.Payable = 0, 0
	_, err = r.pay.Pay(ctx, zero)
	assert.ErrorIs(t, err, app.ErrMoneyZero)
	big := r.input(wxCode, 100)
	big.Amount = app.DefaultCeiling + 1
	_, err = r.pay.Pay(ctx, big)
	assert.ErrorIs(t, err, app.ErrMoneyCeiling)
	neg := r.input(wxCode, 100)
	neg.Amount = -5
	_, err = r.pay.Pay(ctx, neg)
	assert.Error(t, err)
	more := r.input(wxCode, 400)
	more.Amount = 500
	_, err = r.pay.Pay(ctx, more)
	assert.ErrorIs(t, err, app.ErrTenderTooLarge, "a tender never pays more than the order has due")
	in := r.input(wxCode, 500)
	in.StaffID = 0
	_, err = r.pay.Pay(ctx, in)
	assert.ErrorIs(t, err, payment.ErrNoStaff)
	unsaved := r.input(wxCode, 500)
	unsaved.Order.ID = 0
	_, err = r.pay.Pay(ctx, unsaved)
	assert.ErrorIs(t, err, app.ErrOrderNotOpen, "a tender needs a written order")
	_, err = r.pay.Pay(ctx, r.input("99123456789012", 500))
	assert.ErrorIs(t, err, payment.ErrMemberNotSetUp)
	assert.Empty(t, r.ch.Calls(""))
	var tenders int
	require.NoError(t, r.db.Read().QueryRow(`SELECT count(*) FROM tender`).Scan(&tenders))
	assert.Zero(t, tenders)
}

func TestPay_OrderWithLines(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Paid("1"))
	o := app.Order{OrderNo: app.NewOrderNo("L", t0), StoreID: r.term.StoreID, TerminalID: r.term.ID, StaffID: r.manager.ID,
		Kind: app.OrderSale, Status: app.OrderOpen, CreatedAt: t0,
		Lines: []app.OrderLine{{Name: "水", Qty: 2, UnitPrice: 200}, {Name: "面包", Qty: 1, UnitPrice: 990}}}
	require.NoError(t, o.Recompute())
	require.NoError(t, r.db.CreateOrder(context.Background(), &o))
	res, err := r.payDriven(payment.PayInput{Order: o, Code: wxCode, StaffID: r.manager.ID})
	require.NoError(t, err)
	got := r.getOrder(res.OrderNo)
	assert.Equal(t, app.OrderPaid, got.Status)
	assert.Equal(t, app.Money(1390), got.Paid)
	assert.Len(t, got.Lines, 2)
	assert.Equal(t, app.Money(1390), r.ch.Calls(paytest.MPay)[0].Amount, "no amount given: all that is due")
}

// A cart paid by two wallet tenders is paid only when both succeed; a
// failed second tender leaves the order open with the first intact, and a
// third tender completes it.
func TestPay_SplitTenders(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	ctx := context.Background()
	o := r.order(1000, false)
	r.ch.Script(paytest.MPay, paytest.Paid("T1"), paytest.Failed("NOTENOUGH", "余额不足"), paytest.Paid("T3"))
	first, err := r.payDriven(payment.PayInput{Order: o, Code: wxCode, Amount: 600, StaffID: r.manager.ID})
	require.NoError(t, err)
	require.True(t, first.Paid())
	o = r.getOrder(o.OrderNo)
	assert.Equal(t, app.OrderOpen, o.Status, "one of two tenders paid: not paid yet")
	assert.Equal(t, app.Money(400), o.Due())

	second, err := r.payDriven(payment.PayInput{Order: o, Code: aliCode, StaffID: r.manager.ID})
	require.NoError(t, err)
	assert.Equal(t, payment.IntentFailed, second.State)
	assert.Equal(t, app.Money(400), second.Amount, "no amount: what was due")
	o = r.getOrder(o.OrderNo)
	assert.Equal(t, app.OrderOpen, o.Status, "the failed tender leaves the order open")
	require.Len(t, o.Tenders, 2)
	assert.Equal(t, app.TenderPaid, o.Tenders[0].State, "the first tender is intact")
	assert.Equal(t, app.Money(600), o.Paid)
	assert.NotEqual(t, first.OutTradeNo, second.OutTradeNo, "each tender has its own number")

	third, err := r.payDriven(payment.PayInput{Order: o, Code: "280000000000000777", StaffID: r.manager.ID})
	require.NoError(t, err)
	require.True(t, third.Paid())
	o = r.getOrder(o.OrderNo)
	assert.Equal(t, app.OrderPaid, o.Status)
	assert.Equal(t, app.Money(1000), o.Paid)
	_, err = r.pay.Pay(ctx, payment.PayInput{Order: o, Code: "280000000000000888", Amount: 1, StaffID: r.manager.ID})
	assert.ErrorIs(t, err, app.ErrOrderNotOpen)
}

func TestPay_AmountMismatchGoesToManual(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	p := paytest.Paid("1")
	p.Res.Amount = 99
	r.ch.Script(paytest.MPay, p)
	res, err := r.payDriven(r.input(wxCode, 100))
	require.NoError(t, err)
	assert.Equal(t, payment.IntentManual, res.State)
	assert.Equal(t, "pay.amount_mismatch", res.Msg.Code)
}

// --- recovery ---

// seedIntent writes an intent as a crashed process would have left it.
func (r *rig) seedIntent(state payment.IntentState, sentAgo time.Duration) payment.PaymentIntent {
	ctx := context.Background()
	now := r.clock.Now()
	o := r.order(100, false)
	in := payment.PaymentIntent{OutTradeNo: app.NewOrderNo("S", now), OrderID: o.ID, OrderNo: o.OrderNo, Kind: payment.IntentKindPay,
		Channel: r.ch.Name(), Wallet: app.WalletWeChat, StaffID: r.manager.ID,
		CodeMasked: "x", Amount: 100, State: payment.IntentCreated, CreatedAt: now.Add(-sentAgo), UpdatedAt: now}
	require.NoError(r.t, r.store.CreateIntent(ctx, &in, now))
	if state != payment.IntentCreated {
		in.State, in.Attempts, in.SentAt = state, 1, now.Add(-sentAgo)
		require.NoError(r.t, r.store.SaveIntent(ctx, &in))
	}
	return in
}

func TestRecover(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	neverSent := r.seedIntent(payment.IntentCreated, time.Second)
	paid := r.seedIntent(payment.IntentSent, 2*time.Second)
	unknown := r.seedIntent(payment.IntentUnknown, 2*time.Minute)
	fresh := r.seedIntent(payment.IntentPaying, 3*time.Second)
	r.ch.Script(paytest.MQuery, paytest.Reply{Res: app.ChannelResult{Outcome: app.OutcomeUnknown, Code: "NO_RECORD"}})
	r.ch.Script(paytest.MReverse, paytest.Done())
	// Per-order answers: the scripted channel answers in call order, so
	// give paid its own channel state by answering via a wrapper.
	rc := &routeChannel{Channel: r.ch, query: map[string]paytest.Reply{paid.OutTradeNo: paytest.Paid("T1")}}
	pay, err := payment.New(payment.Config{Store: r.store, Clock: r.clock,
		Channels: map[app.Wallet]app.PaymentChannel{app.WalletWeChat: rc}})
	require.NoError(t, err)
	var rep payment.RecoverReport
	r.run(5*time.Minute, func() { rep, err = pay.Recover(context.Background()) })
	require.NoError(t, err)
	assert.Zero(t, rep.Unsettled())
	assert.Equal(t, payment.IntentClosed, r.intent(neverSent.OutTradeNo).State)
	assert.Equal(t, payment.IntentPaid, r.intent(paid.OutTradeNo).State)
	assert.Equal(t, app.OrderPaid, r.orderStatus(paid.OrderNo))
	assert.Equal(t, payment.IntentReversed, r.intent(unknown.OutTradeNo).State)
	assert.Equal(t, payment.IntentReversed, r.intent(fresh.OutTradeNo).State)
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
	in := r.seedIntent(payment.IntentPaying, 5*time.Second)
	r.ch.Script(paytest.MQuery, paytest.Paying())
	r.ch.Script(paytest.MReverse, paytest.Done())
	var res payment.PayResult
	var err error
	r.run(time.Minute, func() { res, err = r.pay.Cancel(context.Background(), in.OutTradeNo) })
	require.NoError(t, err)
	assert.Equal(t, payment.IntentReversed, res.State)
	rv := r.ch.Calls(paytest.MReverse)
	require.Len(t, rv, 1)
	assert.GreaterOrEqual(t, rv[0].At.Sub(in.SentAt), 15*time.Second)
	assert.Less(t, rv[0].At.Sub(t0), 15*time.Second, "cancel does not wait for the 45 s deadline")
}

// --- refunds ---

func (r *rig) paidOrder(amount app.Money) payment.PayResult {
	r.ch.Set(paytest.MPay, paytest.Paid("T"))
	res, err := r.payDriven(r.input(wxCode, amount))
	require.NoError(r.t, err)
	require.True(r.t, res.Paid())
	r.clock.Advance(11 * time.Second) // out of the duplicate-scan window
	return res
}

func (r *rig) refund(orderNo string, amount app.Money, by app.Staff) (payment.RefundResult, error) {
	var res payment.RefundResult
	var err error
	r.run(10*time.Minute, func() {
		res, err = r.pay.Refund(context.Background(), payment.RefundInput{OrderNo: orderNo, Amount: amount, StaffID: by.ID, Reason: "test", OnEvent: r.onEvent})
	})
	return res, err
}

func TestRefund_CappedAndIdempotent(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	p := r.paidOrder(1000)
	// First refund: the answer is lost; the query finds no refund (the
	// request never arrived), so it is sent again with the same number,
	// accepted and processing; the next query says done.
	r.ch.Script(paytest.MRefund, paytest.Unknown("TRANSPORT"), paytest.Paying())
	r.ch.Script(paytest.MRefundQuery, paytest.NotFound("REFUNDNOTEXIST"), paytest.Done())
	res, err := r.refund(p.OrderNo, 400, r.manager)
	require.NoError(t, err)
	assert.Equal(t, payment.RefundRefunded, res.State)
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
	require.ErrorIs(t, err, payment.ErrRefundExceeds)
	m, _ := app.AsMessage(err)
	assert.Equal(t, app.Money(600), m.Args["Left"])
	assert.Len(t, r.ch.Calls(paytest.MRefund), 2)

	// The rest: a second, separate refund with another number.
	r.ch.Set(paytest.MRefund, paytest.Done())
	res2, err := r.refund(p.OrderNo, 600, r.manager)
	require.NoError(t, err)
	assert.True(t, res2.Refunded())
	assert.NotEqual(t, res.OutRefundNo, res2.OutRefundNo)
	assert.Equal(t, app.OrderRefunded, r.orderStatus(p.OrderNo))
	_, err = r.refund(p.OrderNo, 1, r.manager)
	assert.ErrorIs(t, err, payment.ErrNotRefundable)
}

func TestRefund_FailedFreesTheAmount(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	p := r.paidOrder(1000)
	r.ch.Script(paytest.MRefund, paytest.Failed("NOTENOUGH", ""))
	res, err := r.refund(p.OrderNo, 1000, r.manager)
	require.NoError(t, err)
	assert.Equal(t, payment.RefundFailed, res.State)
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
	assert.ErrorIs(t, err, app.ErrNotOnShift, "a clerk who is not clocked on")
	assert.Empty(t, r.ch.Calls(paytest.MRefund))
	require.NoError(t, r.db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO shift(store_id, staff_id, started_at) VALUES (?,?,?)`, r.clerk.StoreID, r.clerk.ID, t0.UnixMilli())
		return err
	}))
	res, err := r.refund(p.OrderNo, 100, r.clerk)
	require.NoError(t, err)
	assert.True(t, res.Refunded())
	noRule, _ := payment.New(payment.Config{Store: r.store, Clock: r.clock, Channels: map[app.Wallet]app.PaymentChannel{app.WalletWeChat: r.ch}})
	_, err = noRule.Refund(context.Background(), payment.RefundInput{OrderNo: p.OrderNo, Amount: 1, StaffID: r.manager.ID})
	assert.ErrorIs(t, err, payment.ErrNoRules)
}

func TestRefund_RecoveredAfterCrash(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	p := r.paidOrder(1000)
	// The refund is written and sent; the process dies before the answer.
	r.ch.Script(paytest.MRefund, paytest.Reply{Res: app.ChannelResult{Outcome: app.OutcomeUnknown}})
	ctx, cancel := context.WithCancel(context.Background())
	var res payment.RefundResult
	var err error
	r.run(time.Minute, func() {
		go func() {
			for len(r.ch.Calls(paytest.MRefund)) == 0 {
				time.Sleep(50 * time.Microsecond)
			}
			cancel()
		}()
		res, err = r.pay.Refund(ctx, payment.RefundInput{OrderNo: p.OrderNo, Amount: 300, StaffID: r.manager.ID})
	})
	require.Error(t, err)
	assert.False(t, res.State.Final())
	// After the restart the refund is queried first: the channel has no
	// such refund, so it is sent again with its own number.
	r.ch.Set(paytest.MRefundQuery, paytest.NotFound("REFUNDNOTEXIST"))
	r.ch.Set(paytest.MRefund, paytest.Done())
	var rep payment.RecoverReport
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
	in.Order = r.order(50000, true)
	res, err := r.payDriven(in)
	require.NoError(t, err)
	require.True(t, res.Paid())
	assert.True(t, r.ch.Calls(paytest.MPay)[0].Pay.Deposit)
	ctx := context.Background()
	dep, err := r.store.GetDeposit(ctx, res.OrderNo)
	require.NoError(t, err)
	assert.Equal(t, payment.DepositFrozen, dep.State)
	assert.Equal(t, app.Money(50000), dep.Amount)
	byTxn, err := r.store.GetDeposit(ctx, "D1")
	require.NoError(t, err, "found by the wallet's transaction number too")
	assert.Equal(t, dep.ID, byTxn.ID)

	op := func(amount app.Money) (payment.DepositOpResult, error) {
		var out payment.DepositOpResult
		var err error
		r.run(5*time.Minute, func() {
			out, err = r.pay.Consume(ctx, payment.DepositOpInput{DepositNo: res.OrderNo, Amount: amount, StaffID: r.manager.ID})
		})
		return out, err
	}
	_, err = op(0)
	assert.ErrorIs(t, err, payment.ErrDepositAmount)
	_, err = op(50001)
	assert.ErrorIs(t, err, payment.ErrDepositAmount)
	assert.Empty(t, r.ch.Calls(paytest.MConsume))

	// SYSTEMERROR: the operation is queried first; the channel has no
	// such operation, so it is sent again with the same number.
	r.ch.Script(paytest.MConsume, paytest.Unknown("SYSTEMERROR"), paytest.Done())
	r.ch.Script(paytest.MOpQuery, paytest.NotFound("ORDERNOTEXIST"))
	out, err := op(32000)
	require.NoError(t, err)
	assert.True(t, out.Done())
	cons := r.ch.Calls(paytest.MConsume)
	require.Len(t, cons, 2)
	assert.Equal(t, cons[0].Ref, cons[1].Ref, "the retry reuses the request number")
	dep, _ = r.store.GetDeposit(ctx, res.OrderNo)
	assert.Equal(t, payment.DepositConsumed, dep.State)
	assert.Equal(t, app.Money(32000), dep.Consumed)
	assert.Equal(t, app.Money(18000), dep.Released, "the rest goes back by itself")

	_, err = op(1)
	assert.ErrorIs(t, err, payment.ErrDepositState)
	_, err = r.pay.Release(ctx, payment.DepositOpInput{DepositNo: res.OrderNo, StaffID: r.manager.ID})
	assert.ErrorIs(t, err, payment.ErrDepositState)

	// A refund after consumption is capped at what was consumed.
	_, err = r.refund(res.OrderNo, 32001, r.manager)
	assert.ErrorIs(t, err, payment.ErrRefundExceeds)
	r.ch.Script(paytest.MRefund, paytest.Done())
	rf, err := r.refund(res.OrderNo, 32000, r.manager)
	require.NoError(t, err)
	assert.True(t, rf.Refunded())
}

func TestDeposit_ReleaseWaitsFifteenSeconds(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	r.ch.Script(paytest.MPay, paytest.Paid("D1"))
	in := r.input(wxCode, 20000)
	in.Order = r.order(20000, true)
	res, err := r.payDriven(in)
	require.NoError(t, err)
	r.ch.Script(paytest.MRelease, paytest.Done())
	var out payment.DepositOpResult
	r.run(time.Minute, func() {
		out, err = r.pay.Release(context.Background(), payment.DepositOpInput{DepositNo: res.OrderNo, StaffID: r.manager.ID})
	})
	require.NoError(t, err)
	assert.True(t, out.Done())
	rel := r.ch.Calls(paytest.MRelease)
	require.Len(t, rel, 1)
	assert.Equal(t, app.Money(20000), rel[0].Amount)
	assert.GreaterOrEqual(t, rel[0].At.Sub(r.ch.Calls(paytest.MPay)[0].At), 15*time.Second)
	dep, _ := r.store.GetDeposit(context.Background(), res.OrderNo)
	assert.Equal(t, payment.DepositReleased, dep.State)
	assert.Equal(t, app.Money(20000), dep.Released)
	_, err = r.pay.Consume(context.Background(), payment.DepositOpInput{DepositNo: res.OrderNo, Amount: 1, StaffID: r.manager.ID})
	assert.ErrorIs(t, err, payment.ErrDepositState)
	// Without the deposit permission nothing happens.
	_, err = r.pay.Consume(context.Background(), payment.DepositOpInput{DepositNo: res.OrderNo, Amount: 1, StaffID: 9})
	assert.ErrorIs(t, err, app.ErrUnknownStaff)
}

func TestPay_IntentDurableBeforeTheFirstCall(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	var seen payment.PaymentIntent
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
	assert.Equal(t, payment.IntentSent, seen.State, "committed as sent before the request left")
	assert.Equal(t, 1, seen.Attempts)
	assert.Equal(t, app.Money(100), seen.Amount)
	assert.Equal(t, app.OrderOpen, seenOrder)
}

// An order's non-discountable part goes to Alipay as undiscountable_amount
// (as much of it as the tender covers); WeChat has no such field.
func TestPay_UndiscountablePartToAlipay(t *testing.T) {
	r := newRig(t, app.ChannelAlipay)
	r.ch.Script(paytest.MPay, paytest.Paid("2026113022001"))
	o := app.Order{OrderNo: app.NewOrderNo(r.term.NumberPrefix(), r.clock.Now()), StoreID: r.term.StoreID, TerminalID: r.term.ID,
		StaffID: r.manager.ID, Kind: app.OrderSale, Status: app.OrderOpen, CreatedAt: r.clock.Now(),
		Lines: []app.OrderLine{{Name: "香烟", Qty: 1, UnitPrice: 2500, NonDiscountable: true}, {Name: "可乐", Qty: 1, UnitPrice: 300}}}
	require.NoError(t, o.Recompute())
	require.NoError(t, r.db.CreateOrder(context.Background(), &o))
	_, err := r.payDriven(payment.PayInput{Order: o, Code: aliCode, Amount: 1000, StaffID: r.manager.ID})
	require.NoError(t, err)
	assert.Equal(t, app.Money(1000), r.ch.Calls(paytest.MPay)[0].Pay.Undiscountable, "a part tender covers what it can")
	o = r.getOrder(o.OrderNo)
	_, err = r.payDriven(payment.PayInput{Order: o, Code: "2800000000000001", Amount: 1800, StaffID: r.manager.ID})
	require.NoError(t, err)
	assert.Equal(t, app.Money(1800), r.ch.Calls(paytest.MPay)[1].Pay.Undiscountable)
}
