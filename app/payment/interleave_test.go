package payment_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/payment"
	"cashier/app/payment/paytest"
)

// hookStore runs hooks around a real store's calls, to force one
// interleaving of two processes on one data folder.
type hookStore struct {
	payment.Store
	afterCreate  func()
	afterList    func()
	beforeFinish func(in *payment.PaymentIntent)
	afterFinish  func(err error)
}

func (h *hookStore) CreateIntent(ctx context.Context, in *payment.PaymentIntent, since time.Time) error {
	err := h.Store.CreateIntent(ctx, in, since)
	if h.afterCreate != nil {
		h.afterCreate()
	}
	return err
}

func (h *hookStore) OpenIntents(ctx context.Context) ([]payment.PaymentIntent, error) {
	l, err := h.Store.OpenIntents(ctx)
	if h.afterList != nil {
		h.afterList()
	}
	return l, err
}

func (h *hookStore) FinishIntent(ctx context.Context, in *payment.PaymentIntent) error {
	if h.beforeFinish != nil {
		h.beforeFinish(in)
	}
	err := h.Store.FinishIntent(ctx, in)
	if h.afterFinish != nil {
		h.afterFinish(err)
	}
	return err
}

// The cross-process interleaving found from outside: process B (a
// `payments recover`) lists an intent while it is created; process A
// records sent and sends it; B, acting on its stale listing, tries to
// close it "without any call". The compare-and-set refuses B's write, B
// steps back, and A's payment ends paid — never closed while the customer
// was charged.
func TestTwoProcesses_StaleListingNeverClosesASentPayment(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	created, listed, aSent, bTried := make(chan struct{}), make(chan struct{}), make(chan struct{}), make(chan struct{})
	storeA := &hookStore{Store: r.store, afterCreate: func() {
		close(created)
		<-listed // B lists before A sends
	}}
	var once sync.Once
	var bErr error
	storeB := &hookStore{Store: r.store,
		afterList: func() { once.Do(func() { close(listed) }) },
		beforeFinish: func(in *payment.PaymentIntent) {
			assert.Equal(t, payment.IntentClosed, in.State, "B closes what it saw created")
			<-aSent // ...but only after A recorded sent and sent it
		},
		afterFinish: func(err error) { bErr = err; close(bTried) },
	}
	chA := paytest.NewChannel(app.ChannelWeChat, r.clock)
	chA.Script(paytest.MPay, paytest.Reply{Res: paytest.Paid("4200X").Res, Then: func() {
		close(aSent)
		<-bTried // the channel charged; B's close lands before A hears it
	}})
	chB := paytest.NewChannel(app.ChannelWeChat, r.clock)
	mk := func(st payment.Store, ch app.PaymentChannel) *payment.Payments {
		p, err := payment.New(payment.Config{Store: st, Clock: r.clock,
			Channels: map[app.Wallet]app.PaymentChannel{app.WalletWeChat: ch},
			Terminal: payment.Terminal{NumberPrefix: r.term.NumberPrefix()}})
		require.NoError(t, err)
		return p
	}
	pA, pB := mk(storeA, chA), mk(storeB, chB)

	var res payment.PayResult
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, err = pA.Pay(context.Background(), r.input(wxCode, 880))
	}()
	<-created
	rep, rerr := pB.Recover(context.Background())
	<-done
	require.NoError(t, err)
	require.NoError(t, rerr)
	assert.True(t, errors.Is(bErr, payment.ErrStale), "B's stale write was refused: %v", bErr)
	// B steps back: it reports the payment as A left it (paid), or as
	// still being settled elsewhere — never as closed.
	for _, e := range rep.Errors {
		assert.ErrorIs(t, e, payment.ErrUnfinished)
	}
	for _, p := range rep.Payments {
		assert.Equal(t, payment.IntentPaid, p.State)
	}
	assert.Equal(t, 1, len(rep.Errors)+len(rep.Payments))
	assert.Empty(t, chB.Calls(""), "B sent nothing")

	assert.Equal(t, payment.IntentPaid, res.State, res.Msg.String())
	in := r.intent(res.OutTradeNo)
	assert.Equal(t, payment.IntentPaid, in.State, "paid, not closed")
	o := r.getOrder(res.OrderNo)
	assert.Equal(t, app.OrderPaid, o.Status)
	assert.Equal(t, app.TenderPaid, o.Tenders[0].State)
}

// depHook lets another "process" settle a deposit operation first.
type depHook struct {
	payment.Store
	beforeFinish func()
}

func (h *depHook) FinishDepositOp(ctx context.Context, op *payment.DepositOp) error {
	if h.beforeFinish != nil {
		h.beforeFinish()
		h.beforeFinish = nil
	}
	return h.Store.FinishDepositOp(ctx, op)
}

// Another process finished the consume first (here: failed). This one's
// finish loses the compare-and-set; it reports what is stored, never the
// "done" it could not write.
func TestDepositOp_LosingTheRaceReportsTheStoredState(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	no := r.frozen(30000)
	h := &depHook{Store: r.store}
	h.beforeFinish = func() {
		ops, err := r.store.OpenDepositOps(context.Background())
		require.NoError(t, err)
		require.Len(t, ops, 1)
		other := ops[0]
		other.State = payment.DepositOpFailed
		require.NoError(t, r.store.FinishDepositOp(context.Background(), &other))
	}
	p, err := payment.New(payment.Config{Store: h, Clock: r.clock,
		Channels: map[app.Wallet]app.PaymentChannel{app.WalletWeChat: r.ch},
		Terminal: payment.Terminal{NumberPrefix: r.term.NumberPrefix()}, Permits: auth.Rules{Store: r.db}})
	require.NoError(t, err)
	r.ch.Set(paytest.MConsume, paytest.Amount(paytest.Done(), 10000))
	var res payment.DepositOpResult
	r.run(time.Minute, func() {
		res, err = p.Consume(context.Background(), payment.DepositOpInput{DepositNo: no, Amount: 10000, StaffID: r.manager.ID})
	})
	require.NoError(t, err)
	assert.Equal(t, payment.DepositOpFailed, res.State, "the stored state, not the unwritten done")
}
