package payment

import (
	"context"
	"errors"
	"sync"
	"time"

	"cashier/app"
)

// payRun drives one intent to a final state. It lives for one Pay, Cancel,
// Resume or one intent of Recover.
type payRun struct {
	s       *Payments
	ch      app.PaymentChannel
	in      PaymentIntent
	req     *app.PayRequest // the pay call (with the code); nil when resuming
	qr      *qrDrive        // a QR payment's channel and request (qrrun.go)
	onEvent EventFunc

	// start and lastSend are read from the service clock in this process
	// when it can (so Since is monotonic), else from storage.
	start     time.Time
	lastSend  time.Time // last pay call's end, for the 15-second rule
	noReverse bool      // the channel forbade reversing (Cloud Pay 407)
	skipWait  bool      // go to the reverse phase after one query (resuming a reversing intent)
	msg       app.Message
	note      app.Message // what to say at the end instead of the state's own words

	cancelOnce sync.Once
	cancelCh   chan struct{}
	cancelSeen bool

	done   chan struct{}
	result PayResult
	err    error
}

func (s *Payments) newRun(in PaymentIntent, ch app.PaymentChannel, onEvent EventFunc) *payRun {
	r := &payRun{s: s, ch: ch, in: in, onEvent: onEvent, cancelCh: make(chan struct{}), done: make(chan struct{})}
	r.start = in.CreatedAt
	r.lastSend = in.SentAt
	if r.lastSend.IsZero() {
		r.lastSend = in.CreatedAt
	}
	r.msg = stateMessage(in.State)
	if in.State == IntentFailed {
		r.msg = msgFailed(in.ChannelCode, in.ChannelMsg)
	}
	return r
}

func (r *payRun) now() time.Time { return r.s.clock.Now() }

// since is how long ago t was, never negative: a stored time in the future
// (the wall clock was set back) counts as now, so a wait is served in full.
func (r *payRun) since(t time.Time) time.Duration { return max(r.s.clock.Since(t), 0) }

func (r *payRun) pastDeadline() bool { return r.since(r.start) >= r.s.policy.PayingDeadline }

func (r *payRun) untilDeadline() time.Duration { return r.s.policy.PayingDeadline - r.since(r.start) }

func (r *payRun) untilManual() time.Duration { return r.s.policy.ManualAfter - r.since(r.start) }

func (r *payRun) requestCancel() { r.cancelOnce.Do(func() { close(r.cancelCh) }) }

func (r *payRun) cancelRequested() bool {
	select {
	case <-r.cancelCh:
		return true
	default:
		return false
	}
}

func (r *payRun) snapshot() PayResult {
	return PayResult{
		OrderID: r.in.OrderID, OrderNo: r.in.OrderNo, TenderID: r.in.TenderID, OutTradeNo: r.in.OutTradeNo, State: r.in.State,
		Wallet: r.in.Wallet, Channel: r.in.Channel, Amount: r.in.Amount, Deposit: r.in.Kind == IntentKindDeposit,
		TransactionID: r.in.TransactionID, Code: r.in.ChannelCode, ChannelMsg: r.in.ChannelMsg, Msg: r.msg,
		Elapsed: r.since(r.start),
	}
}

func (r *payRun) finishWith(res PayResult, err error) (PayResult, error) {
	r.result, r.err = res, err
	return res, err
}

func (r *payRun) event(step Step, msg app.Message, res app.ChannelResult) {
	r.onEvent.emit(Event{
		Kind: EventPay, Ref: r.in.OutTradeNo, State: string(r.in.State), Step: step,
		Elapsed: r.since(r.start), Msg: msg, ChannelCode: res.Code, ChannelMsg: res.Message,
		Final: step == StepFinal,
	})
}

// record keeps what the channel told us.
func (r *payRun) record(res app.ChannelResult) {
	if res.TransactionID != "" && !res.Foreign {
		r.in.TransactionID = res.TransactionID
	}
	if res.Code != "" || res.Message != "" {
		r.in.ChannelCode, r.in.ChannelMsg = res.Code, res.Message
	}
	if res.Foreign {
		r.in.Foreign = true
	}
}

// errYield stops a loop whose intent someone else moved (see yield).
var errYield = errors.New("yield")

// setState records a non-final state. A storage error here is not fatal
// (the final write, or recovery, settles the intent); a stale write means
// another driver moved the intent, and this loop yields to it.
func (r *payRun) setState(ctx context.Context, st IntentState, res app.ChannelResult) error {
	r.record(res)
	changed := r.in.State != st
	r.in.State, r.in.UpdatedAt = st, r.now()
	r.msg = stateMessage(st)
	if changed || res.Code != "" {
		if err := r.s.store.SaveIntent(context.WithoutCancel(ctx), &r.in); errors.Is(err, ErrStale) {
			return errYield
		}
	}
	r.event(StepAnswer, r.msg, res)
	return nil
}

// yield is what a loop does when its write lost a compare-and-set:
// another process's recovery or loop moved the intent. A settled state
// stands as stored; an unsettled one is left to whoever moved it (and to
// recovery) — this loop never overwrites it.
func (r *payRun) yield(ctx context.Context) (PayResult, error) {
	cur, err := r.s.store.GetIntent(context.WithoutCancel(ctx), r.in.OutTradeNo)
	if err != nil {
		return r.snapshot(), err
	}
	r.in = cur
	if cur.State.Final() {
		r.msg = stateMessage(cur.State)
		if cur.State == IntentFailed {
			r.msg = msgFailed(cur.ChannelCode, cur.ChannelMsg)
		}
		r.event(StepFinal, r.msg, app.ChannelResult{})
		return r.snapshot(), nil
	}
	r.msg = app.Msg("pay.driven_elsewhere")
	return r.snapshot(), ErrUnfinished.Wrap(ErrStale)
}

// finish records a final state (and the tender's and order's, in the same
// transaction). Once we know, we write even if ctx has ended.
func (r *payRun) finish(ctx context.Context, st IntentState, res app.ChannelResult) (PayResult, error) {
	r.record(res)
	now := r.now()
	r.in.State, r.in.UpdatedAt, r.in.FinishedAt = st, now, now
	err := r.s.store.FinishIntent(context.WithoutCancel(ctx), &r.in)
	if errors.Is(err, ErrStale) {
		return r.yield(ctx)
	}
	switch {
	case !r.note.IsZero():
		r.msg = r.note
	case res.ConfigError:
		r.msg = app.Msg("pay.config_error", "Code", res.Code, "Reason", res.Message)
	case st == IntentFailed:
		r.msg = msgFailed(r.in.ChannelCode, r.in.ChannelMsg)
	case st == IntentManual && r.in.Foreign:
		r.msg = app.Msg("pay.foreign")
	case st == IntentManual && r.noReverse:
		r.msg = app.Msg("pay.no_reverse")
	case st == IntentManual:
		r.msg = app.Msg("pay.manual")
	default:
		r.msg = stateMessage(st)
	}
	if err != nil {
		return r.snapshot(), ErrResultNotSaved.With("State", string(st)).Wrap(err)
	}
	r.s.mu.Lock()
	if st == IntentPaid && r.in.Kind == IntentKindDeposit {
		r.s.frozen[r.in.OutTradeNo] = now
	}
	if st == IntentFailed && r.s.codes[r.in.CodeHash].no == r.in.OutTradeNo {
		delete(r.s.codes, r.in.CodeHash) // refused, nothing taken: the code may be scanned again
	}
	r.s.mu.Unlock()
	r.s.orderChanged(r.in.OrderNo)
	r.event(StepFinal, r.msg, res)
	return r.snapshot(), nil
}

// interrupted is a ctx that ended (shutdown): the intent stays open and
// Recover settles it.
func (r *payRun) interrupted(err error) (PayResult, error) {
	if errors.Is(err, errYield) {
		return r.yield(context.Background())
	}
	r.msg = app.Msg("pay.unfinished")
	return r.snapshot(), ErrUnfinished.Wrap(err)
}

// sleep waits d, emitting a progress event every ProgressEvery. With
// cancellable set it returns early when the cashier cancels.
func (r *payRun) sleep(ctx context.Context, d time.Duration, cancellable bool, msg func(left time.Duration) app.Message) error {
	var cancelCh <-chan struct{}
	if cancellable {
		cancelCh = r.cancelCh
	}
	return r.s.wait(ctx, d, cancelCh, func(left time.Duration) {
		r.event(StepWaiting, msg(left), app.ChannelResult{})
	})
}

func (r *payRun) stateMsg(time.Duration) app.Message { return stateMessage(r.in.State) }

// sendPay records the attempt durably, then sends the pay call. neverSent
// is true only for the first attempt refused by the client before sending.
func (r *payRun) sendPay(ctx context.Context) (app.ChannelResult, bool, error) {
	return r.sendOnce(ctx, app.Msg("pay.sending"), func(c context.Context) (app.ChannelResult, error) { return r.ch.Pay(c, *r.req) })
}

// sendOnce is one attempt of a call that may take money (pay, precreate):
// the attempt is recorded durably first (sent), then call is made; its
// error means nothing was sent, trusted only for the first attempt.
func (r *payRun) sendOnce(ctx context.Context, msg app.Message, call func(context.Context) (app.ChannelResult, error)) (res app.ChannelResult, neverSent bool, err error) {
	now := r.now()
	prev := r.in
	r.in.Attempts++
	r.in.SentAt, r.in.UpdatedAt = now, now
	if r.in.State == IntentCreated {
		r.in.State = IntentSent
	}
	if err := r.s.store.SaveIntent(ctx, &r.in); err != nil {
		r.in = prev
		if errors.Is(err, ErrStale) {
			return app.ChannelResult{}, false, errYield
		}
		return app.ChannelResult{}, false, ErrNotSent.Wrap(err)
	}
	r.event(StepSending, msg, app.ChannelResult{})
	cctx, cancel := r.s.callCtx(ctx)
	res, cerr := call(cctx)
	cancel()
	// The channel got the request before we got its answer (or gave up):
	// counting the 15-second rule from here is on the safe side.
	r.lastSend = r.now()
	if cerr != nil {
		// The contract: an error means nothing was sent. Trust it only for
		// the first attempt and while our own ctx is alive.
		res = app.ChannelResult{Outcome: app.OutcomeUnknown, Code: "NOT_SENT", Message: cerr.Error()}
		if r.in.Attempts == 1 && ctx.Err() == nil {
			r.record(res)
			return res, true, nil
		}
	}
	r.record(res)
	return res, false, nil
}

func (r *payRun) query(ctx context.Context) (app.ChannelResult, error) {
	q, err := r.ask(ctx, StepQuerying, app.Msg("pay.querying"), r.ch.Query)
	if err == nil {
		r.record(q)
	}
	return q, err
}

func (r *payRun) callReverse(ctx context.Context) (app.ChannelResult, error) {
	rv, err := r.ask(ctx, StepReversing, app.Msg("pay.reversing"), r.ch.Reverse)
	if err == nil {
		known := r.in.TransactionID // a reverse answer never replaces the paid trade's number
		r.record(rv)
		if known != "" {
			r.in.TransactionID = known
		}
	}
	return rv, err
}

// ask makes one query or reverse call about this intent; a call that
// could not be made is an unknown answer. The error is ctx's, when it
// ended.
func (r *payRun) ask(ctx context.Context, step Step, msg app.Message,
	call func(context.Context, app.OrderRef) (app.ChannelResult, error)) (app.ChannelResult, error) {
	if err := ctx.Err(); err != nil {
		return app.ChannelResult{}, err
	}
	r.event(step, msg, app.ChannelResult{})
	cctx, cancel := r.s.callCtx(ctx)
	res, err := call(cctx, r.in.ref())
	cancel()
	if err != nil {
		res = app.ChannelResult{Outcome: app.OutcomeUnknown, Code: "NOT_SENT", Message: err.Error()}
	}
	return res, ctx.Err()
}

// settledByQuery reads a query answer: a final trade state settles the
// intent; anything else (not paid yet, not found, unknown) does not. An
// order the channel says does not exist is not final: a delayed pay could
// still arrive, so it is reversed after the deadline. An answer about a
// number that belongs to someone else settles nothing.
func settledByQuery(q app.ChannelResult) (IntentState, bool) {
	if q.Foreign {
		return "", false
	}
	switch q.TradeState {
	case "PAID", "REFUND":
		return IntentPaid, true
	case "CLOSED":
		return IntentClosed, true
	case "REVOKED":
		return IntentReversed, true
	case "PAYERROR":
		return IntentFailed, true
	case "":
		if q.Outcome == app.OutcomeSuccess {
			return IntentPaid, true
		}
	}
	return "", false
}

// settle finishes with a state a query or answer told us.
func (r *payRun) settle(ctx context.Context, st IntentState, res app.ChannelResult) (PayResult, error) {
	if st == IntentPaid && res.Amount > 0 && res.Amount != r.in.Amount {
		r.note = app.Msg("pay.amount_mismatch", "Asked", r.in.Amount, "Got", res.Amount)
		return r.finish(ctx, IntentManual, res)
	}
	return r.finish(ctx, st, res)
}

// foreign ends a payment whose number the channel says is someone else's:
// manual at once, never queried into a state, never reversed.
func (r *payRun) foreign(ctx context.Context, res app.ChannelResult) (PayResult, error) {
	r.noReverse = true
	r.in.Foreign = true
	return r.finish(ctx, IntentManual, res)
}

// payAndResolve sends the pay call (repeating it when the channel asks)
// and reads the answer.
func (r *payRun) payAndResolve(ctx context.Context) (PayResult, error) {
	p := r.s.policy
	if r.cancelRequested() {
		r.note = app.Msg("pay.cancelled_before_send")
		return r.finish(ctx, IntentClosed, app.ChannelResult{})
	}
	res, neverSent, err := r.sendPay(ctx)
	if err != nil {
		return r.interrupted(err)
	}
	if neverSent {
		return r.finish(ctx, IntentFailed, res)
	}
	for res.Retry && res.Outcome == app.OutcomeUnknown && !res.Foreign && !r.cancelRequested() && !r.pastDeadline() {
		if err := r.sleep(ctx, p.RetryWait, true, r.stateMsg); err != nil {
			return r.interrupted(err)
		}
		if r.cancelRequested() {
			break
		}
		if res, _, err = r.sendPay(ctx); err != nil {
			if errors.Is(err, errYield) {
				return r.yield(ctx)
			}
			// Could not record the repeat: do not send it; find out instead.
			break
		}
	}
	if res.Foreign {
		return r.foreign(ctx, res)
	}
	if res.NoReverse {
		r.noReverse = true
	}
	if res.NewOrderNo && res.TradeState == "REVOKED" {
		// WeChat ORDERREVERSED: the number was reversed and is spent; no
		// money stays taken under it. A new tender gets a new number.
		return r.finish(ctx, IntentReversed, res)
	}
	switch res.Outcome {
	case app.OutcomeSuccess:
		return r.settle(ctx, IntentPaid, res)
	case app.OutcomeFailed:
		if r.in.Attempts == 1 && !res.NoReverse {
			return r.finish(ctx, IntentFailed, res)
		}
		// A refusal after an earlier unanswered attempt may hide a charge.
		if err := r.setState(ctx, IntentUnknown, res); err != nil {
			return r.interrupted(err)
		}
		return r.resolve(ctx, p.SystemErrorWait)
	case app.OutcomePending:
		if err := r.setState(ctx, IntentPaying, res); err != nil {
			return r.interrupted(err)
		}
		return r.resolve(ctx, p.QueryInterval)
	default:
		if err := r.setState(ctx, IntentUnknown, res); err != nil {
			return r.interrupted(err)
		}
		return r.resolve(ctx, p.SystemErrorWait)
	}
}

// resolve queries on a schedule until the answer is final or the paying
// deadline (or the cashier's cancel) is reached, then reverses.
func (r *payRun) resolve(ctx context.Context, firstWait time.Duration) (PayResult, error) {
	p := r.s.policy
	if r.noReverse {
		return r.watch(ctx)
	}
	wait := firstWait
	for {
		if !r.cancelRequested() {
			wait = min(wait, max(r.untilDeadline(), 0))
			if err := r.sleep(ctx, wait, true, r.stateMsg); err != nil {
				return r.interrupted(err)
			}
		}
		if r.cancelRequested() && !r.cancelSeen {
			r.cancelSeen = true
			r.event(StepCancel, app.Msg("pay.cancel"), app.ChannelResult{})
		}
		q, err := r.query(ctx)
		if err != nil {
			return r.interrupted(err)
		}
		if q.Foreign {
			return r.foreign(ctx, q)
		}
		if st, ok := settledByQuery(q); ok {
			return r.settle(ctx, st, q)
		}
		if q.NoReverse {
			r.noReverse = true
			return r.watch(ctx)
		}
		switch {
		case q.Outcome == app.OutcomePending:
			err = r.setState(ctx, IntentPaying, q)
		case r.in.State == IntentSent:
			err = r.setState(ctx, IntentUnknown, q)
		}
		if err != nil {
			return r.interrupted(err)
		}
		if r.cancelRequested() || r.skipWait || r.pastDeadline() {
			break
		}
		wait = p.QueryInterval
		if q.Retry {
			wait = p.RetryWait
		}
	}
	return r.reverse(ctx)
}

// reverse cancels the order at the channel, not sooner than MinReverseAge
// after the last pay call, repeating while the channel asks (recall=Y,
// retry_flag=Y, status 3) or the customer is still typing, until
// ManualAfter.
func (r *payRun) reverse(ctx context.Context) (PayResult, error) {
	p := r.s.policy
	if d := p.MinReverseAge - app.Elapsed(r.s.clock, r.lastSend, p.MinReverseAge); d > 0 {
		r.event(StepReverseWait, msgReverseWait(d), app.ChannelResult{})
		if err := r.sleep(ctx, d, false, msgReverseWait); err != nil {
			return r.interrupted(err)
		}
		// The customer may have finished meanwhile.
		q, err := r.query(ctx)
		if err != nil {
			return r.interrupted(err)
		}
		if q.Foreign {
			return r.foreign(ctx, q)
		}
		if st, ok := settledByQuery(q); ok {
			return r.settle(ctx, st, q)
		}
		if q.NoReverse {
			r.noReverse = true
			return r.watch(ctx)
		}
	}
	if err := r.setState(ctx, IntentReversing, app.ChannelResult{}); err != nil {
		return r.interrupted(err)
	}
	for {
		rv, err := r.callReverse(ctx)
		if err != nil {
			return r.interrupted(err)
		}
		if rv.Foreign {
			return r.foreign(ctx, rv)
		}
		if rv.NoReverse {
			r.noReverse = true
			return r.watch(ctx)
		}
		switch rv.Outcome {
		case app.OutcomeSuccess:
			return r.finish(ctx, IntentReversed, rv)
		case app.OutcomeFailed:
			// Refused: find out why from the order itself.
			q, err := r.query(ctx)
			if err != nil {
				return r.interrupted(err)
			}
			if q.Foreign {
				return r.foreign(ctx, q)
			}
			if st, ok := settledByQuery(q); ok {
				return r.settle(ctx, st, q)
			}
		}
		left := r.untilManual()
		if left <= 0 {
			return r.finish(ctx, IntentManual, rv)
		}
		wait := p.QueryInterval
		if rv.Retry {
			wait = p.RetryWait
		}
		if err := r.sleep(ctx, min(wait, left), false, r.stateMsg); err != nil {
			return r.interrupted(err)
		}
	}
}

// watch is for an order that must not be reversed: it becomes manual at
// once (so recovery never reverses it either) and is queried until
// ManualAfter in case it settles by itself.
func (r *payRun) watch(ctx context.Context) (PayResult, error) {
	p := r.s.policy
	if r.in.State != IntentManual {
		r.in.State, r.in.UpdatedAt = IntentManual, r.now()
		if err := r.s.store.FinishIntent(context.WithoutCancel(ctx), &r.in); errors.Is(err, ErrStale) {
			return r.yield(ctx)
		}
		r.msg = app.Msg("pay.no_reverse")
		r.event(StepAnswer, r.msg, app.ChannelResult{})
	}
	for {
		q, err := r.query(ctx)
		if err != nil {
			return r.interrupted(err)
		}
		if q.Foreign {
			return r.foreign(ctx, q)
		}
		if st, ok := settledByQuery(q); ok {
			return r.settle(ctx, st, q)
		}
		left := r.untilManual()
		if left <= 0 {
			return r.finish(ctx, IntentManual, app.ChannelResult{})
		}
		if err := r.sleep(ctx, min(p.QueryInterval, left), false, r.stateMsg); err != nil {
			return r.interrupted(err)
		}
	}
}

// recoverIntent settles a stored intent no loop is driving (after a
// crash, or a cashier's cancel after a restart).
func (r *payRun) recoverIntent(ctx context.Context) (PayResult, error) {
	if r.in.QR && r.in.State != IntentCreated && r.in.State != IntentManual {
		return r.recoverQR(ctx) // closed, not reversed; never waited for
	}
	switch r.in.State {
	case IntentCreated:
		// Sending is always recorded durably first, so this never left.
		r.note = app.Msg("pay.never_sent")
		return r.finish(ctx, IntentClosed, app.ChannelResult{})
	case IntentManual:
		if r.in.Foreign {
			// The number is someone else's: no answer under it is ours.
			r.msg = app.Msg("pay.foreign")
			return r.snapshot(), nil
		}
		// A person was asked to check: only ever query it.
		r.noReverse = true
		q, err := r.query(ctx)
		if err != nil {
			return r.interrupted(err)
		}
		if q.Foreign {
			return r.foreign(ctx, q)
		}
		if st, ok := settledByQuery(q); ok {
			return r.settle(ctx, st, q)
		}
		r.msg = app.Msg("pay.manual")
		return r.snapshot(), nil
	case IntentReversing:
		r.skipWait = true
	}
	if r.pastDeadline() {
		r.skipWait = true
	}
	return r.resolve(ctx, 0)
}
