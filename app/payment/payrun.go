package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// payRun drives one intent to a final state. It lives for one Pay, Cancel,
// Resume or one intent of Recover.
type payRun struct {
	s       *Payments
	ch      PaymentChannel
	in      PaymentIntent
	req     *PayRequest // the pay call (with the code); nil when resuming
	onEvent EventFunc

	lastSend  time.Time // last pay call's end (SentAt when resuming), for the 15-second rule
	noReverse bool      // the channel forbade reversing (Cloud Pay 407)
	skipWait  bool      // go to the reverse phase after one query (resuming a reversing intent)
	msg       string    // the last thing worth telling the cashier

	cancelOnce sync.Once
	cancelCh   chan struct{}
	cancelSeen bool

	done   chan struct{}
	result PayResult
	err    error
}

func (s *Payments) newRun(in PaymentIntent, ch PaymentChannel, onEvent EventFunc) *payRun {
	r := &payRun{s: s, ch: ch, in: in, onEvent: onEvent, cancelCh: make(chan struct{}), done: make(chan struct{})}
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

func (r *payRun) start() time.Time { return r.in.CreatedAt }

func (r *payRun) payDeadline() time.Time { return r.start().Add(r.s.policy.PayingDeadline) }

func (r *payRun) manualAt() time.Time { return r.start().Add(r.s.policy.ManualAfter) }

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
		OrderID: r.in.OrderID, OrderNo: r.in.OrderNo, OutTradeNo: r.in.OutTradeNo, State: r.in.State,
		Wallet: r.in.Wallet, Channel: r.in.Channel, Amount: r.in.Amount, Deposit: r.in.Kind == IntentKindDeposit,
		TransactionID: r.in.TransactionID, Code: r.in.ChannelCode, Message: r.msg,
		Elapsed: r.now().Sub(r.start()),
	}
}

func (r *payRun) finishWith(res PayResult, err error) (PayResult, error) {
	r.result, r.err = res, err
	return res, err
}

func (r *payRun) event(step PayStep, msg string, res ChannelResult) {
	r.onEvent.emit(PaymentEvent{
		Kind: EventPay, Ref: r.in.OutTradeNo, State: string(r.in.State), Step: step,
		Elapsed: r.now().Sub(r.start()), Message: msg, ChannelCode: res.Code, ChannelMsg: res.Message,
		Final: step == StepFinal,
	})
}

// record keeps what the channel told us.
func (r *payRun) record(res ChannelResult) {
	if res.TransactionID != "" {
		r.in.TransactionID = res.TransactionID
	}
	if res.Code != "" || res.Message != "" {
		r.in.ChannelCode, r.in.ChannelMsg = res.Code, res.Message
	}
}

// setState records a non-final state; a storage error here is not fatal
// (the final write, or recovery, settles the intent).
func (r *payRun) setState(ctx context.Context, st IntentState, res ChannelResult) {
	r.record(res)
	changed := r.in.State != st
	r.in.State, r.in.UpdatedAt = st, r.now()
	r.msg = stateMessage(st)
	if changed || res.Code != "" {
		_ = r.s.store.SaveIntent(context.WithoutCancel(ctx), &r.in)
	}
	r.event(StepAnswer, r.msg, res)
}

// finish records a final state (and the order's, in the same transaction).
// Once we know, we write even if ctx has ended.
func (r *payRun) finish(ctx context.Context, st IntentState, res ChannelResult) (PayResult, error) {
	r.record(res)
	now := r.now()
	r.in.State, r.in.UpdatedAt, r.in.FinishedAt = st, now, now
	wctx := context.WithoutCancel(ctx)
	err := r.s.store.FinishIntent(wctx, &r.in)
	if errors.Is(err, ErrIntentSettled) {
		// Settled meanwhile by someone else (another process's recovery):
		// theirs stands.
		if cur, gerr := r.s.store.GetIntent(wctx, r.in.OutTradeNo); gerr == nil {
			r.in = cur
			st = cur.State
		}
		err = nil
	}
	switch st {
	case IntentFailed:
		r.msg = msgFailed(r.in.ChannelCode, r.in.ChannelMsg)
	case IntentManual:
		if r.noReverse {
			r.msg = msgNoReverse
		} else {
			r.msg = msgManual
		}
	default:
		r.msg = stateMessage(st)
	}
	if res.Message != "" && st != IntentPaid && st != IntentFailed {
		r.msg += "（" + res.Message + "）"
	}
	if err != nil {
		return r.snapshot(), fmt.Errorf("结果 %s 未能保存，开机时将重新确认 / result %s could not be saved; it will be re-checked at start-up: %w", st, st, err)
	}
	r.event(StepFinal, r.msg, res)
	return r.snapshot(), nil
}

// interrupted is a ctx that ended (shutdown): the intent stays open and
// Recover settles it.
func (r *payRun) interrupted(err error) (PayResult, error) {
	return r.snapshot(), fmt.Errorf("支付未结束，开机时将自动确认 / payment not settled yet; it will be settled at start-up: %w", err)
}

// sleep waits d on the clock, emitting a progress event every
// ProgressEvery. With cancellable set it returns early when the cashier
// cancels.
func (r *payRun) sleep(ctx context.Context, d time.Duration, cancellable bool, msg func(left time.Duration) string) error {
	var cancelCh <-chan struct{}
	if cancellable {
		cancelCh = r.cancelCh
	}
	return r.s.wait(ctx, d, cancelCh, func(left time.Duration) {
		r.event(StepWaiting, msg(left), ChannelResult{})
	})
}

func (r *payRun) stateMsg(time.Duration) string { return stateMessage(r.in.State) }

// sendPay records the attempt durably, then sends the pay call. neverSent
// is true only for the first attempt refused by the client before sending.
func (r *payRun) sendPay(ctx context.Context) (res ChannelResult, neverSent bool, err error) {
	now := r.now()
	prev := r.in
	r.in.Attempts++
	r.in.SentAt, r.in.UpdatedAt = now, now
	if r.in.State == IntentCreated {
		r.in.State = IntentSent
	}
	if err := r.s.store.SaveIntent(ctx, &r.in); err != nil {
		r.in = prev
		return ChannelResult{}, false, fmt.Errorf("无法记录发送，未发送 / could not record the send, nothing sent: %w", err)
	}
	r.event(StepSending, msgSending, ChannelResult{})
	cctx, cancel := r.s.callCtx(ctx)
	res, cerr := r.ch.Pay(cctx, *r.req)
	cancel()
	// The channel got the request before we got its answer (or gave up):
	// counting the 15-second rule from here is on the safe side.
	r.lastSend = r.now()
	if cerr != nil {
		// The contract: an error means nothing was sent. Trust it only for
		// the first attempt and while our own ctx is alive.
		res = ChannelResult{Outcome: OutcomeUnknown, Code: "NOT_SENT", Message: cerr.Error()}
		if r.in.Attempts == 1 && ctx.Err() == nil {
			r.record(res)
			return res, true, nil
		}
	}
	r.record(res)
	return res, false, nil
}

func (r *payRun) query(ctx context.Context) (ChannelResult, error) {
	if err := ctx.Err(); err != nil {
		return ChannelResult{}, err
	}
	r.event(StepQuerying, msgQuerying, ChannelResult{})
	cctx, cancel := r.s.callCtx(ctx)
	q, err := r.ch.Query(cctx, r.in.ref())
	cancel()
	if err != nil {
		q = ChannelResult{Outcome: OutcomeUnknown, Code: "NOT_SENT", Message: err.Error()}
	}
	if err := ctx.Err(); err != nil {
		return q, err
	}
	r.record(q)
	return q, nil
}

func (r *payRun) callReverse(ctx context.Context) (ChannelResult, error) {
	if err := ctx.Err(); err != nil {
		return ChannelResult{}, err
	}
	r.event(StepReversing, msgReversing, ChannelResult{})
	cctx, cancel := r.s.callCtx(ctx)
	rv, err := r.ch.Reverse(cctx, r.in.ref())
	cancel()
	if err != nil {
		rv = ChannelResult{Outcome: OutcomeUnknown, Code: "NOT_SENT", Message: err.Error()}
	}
	if err := ctx.Err(); err != nil {
		return rv, err
	}
	if rv.TransactionID != "" && r.in.TransactionID == "" {
		r.in.TransactionID = rv.TransactionID
	}
	if rv.Code != "" || rv.Message != "" {
		r.in.ChannelCode, r.in.ChannelMsg = rv.Code, rv.Message
	}
	return rv, nil
}

// settledByQuery reads a query answer: a final trade state settles the
// intent; anything else (not paid yet, not found, unknown) does not. An
// order the channel says does not exist is not final: a delayed pay could
// still arrive, so it is reversed after the deadline.
func settledByQuery(q ChannelResult) (IntentState, bool) {
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
		if q.Outcome == OutcomeSuccess {
			return IntentPaid, true
		}
	}
	return "", false
}

// settle finishes with a state a query or answer told us.
func (r *payRun) settle(ctx context.Context, st IntentState, res ChannelResult) (PayResult, error) {
	if st == IntentPaid && res.Amount > 0 && res.Amount != r.in.Amount {
		res.Message = fmt.Sprintf("金额不符：应收 %s，通道 %s / amount mismatch: asked %s, channel says %s",
			r.in.Amount, res.Amount, r.in.Amount, res.Amount)
		return r.finish(ctx, IntentManual, res)
	}
	return r.finish(ctx, st, res)
}

// payAndResolve sends the pay call (repeating it when the channel asks)
// and reads the answer.
func (r *payRun) payAndResolve(ctx context.Context) (PayResult, error) {
	p := r.s.policy
	if r.cancelRequested() {
		return r.finish(ctx, IntentClosed, ChannelResult{Message: "发送前已取消 / cancelled before sending"})
	}
	res, neverSent, err := r.sendPay(ctx)
	if err != nil {
		return r.snapshot(), err
	}
	if neverSent {
		return r.finish(ctx, IntentFailed, res)
	}
	for res.Retry && res.Outcome == OutcomeUnknown && !r.cancelRequested() && r.now().Before(r.payDeadline()) {
		if err := r.sleep(ctx, p.RetryWait, true, r.stateMsg); err != nil {
			return r.interrupted(err)
		}
		if r.cancelRequested() {
			break
		}
		if res, _, err = r.sendPay(ctx); err != nil {
			// Could not record the repeat: do not send it; find out instead.
			break
		}
	}
	if res.NoReverse {
		r.noReverse = true
	}
	switch res.Outcome {
	case OutcomeSuccess:
		return r.settle(ctx, IntentPaid, res)
	case OutcomeFailed:
		if r.in.Attempts == 1 && !res.NoReverse {
			return r.finish(ctx, IntentFailed, res)
		}
		// A refusal after an earlier unanswered attempt may hide a charge.
		r.setState(ctx, IntentUnknown, res)
		return r.resolve(ctx, p.SystemErrorWait)
	case OutcomePending:
		r.setState(ctx, IntentPaying, res)
		return r.resolve(ctx, p.QueryInterval)
	default:
		r.setState(ctx, IntentUnknown, res)
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
			if left := r.payDeadline().Sub(r.now()); wait > left {
				wait = max(left, 0)
			}
			if err := r.sleep(ctx, wait, true, r.stateMsg); err != nil {
				return r.interrupted(err)
			}
		}
		if r.cancelRequested() && !r.cancelSeen {
			r.cancelSeen = true
			r.event(StepCancel, msgCancel, ChannelResult{})
		}
		q, err := r.query(ctx)
		if err != nil {
			return r.interrupted(err)
		}
		if st, ok := settledByQuery(q); ok {
			return r.settle(ctx, st, q)
		}
		if q.NoReverse {
			r.noReverse = true
			return r.watch(ctx)
		}
		switch {
		case q.Outcome == OutcomePending:
			r.setState(ctx, IntentPaying, q)
		case r.in.State == IntentSent:
			r.setState(ctx, IntentUnknown, q)
		}
		if r.cancelRequested() || r.skipWait || !r.now().Before(r.payDeadline()) {
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
	if d := r.lastSend.Add(p.MinReverseAge).Sub(r.now()); d > 0 {
		r.event(StepReverseWait, msgReverseWait(d), ChannelResult{})
		if err := r.sleep(ctx, d, false, msgReverseWait); err != nil {
			return r.interrupted(err)
		}
		// The customer may have finished meanwhile.
		q, err := r.query(ctx)
		if err != nil {
			return r.interrupted(err)
		}
		if st, ok := settledByQuery(q); ok {
			return r.settle(ctx, st, q)
		}
		if q.NoReverse {
			r.noReverse = true
			return r.watch(ctx)
		}
	}
	r.setState(ctx, IntentReversing, ChannelResult{})
	for {
		rv, err := r.callReverse(ctx)
		if err != nil {
			return r.interrupted(err)
		}
		if rv.NoReverse {
			r.noReverse = true
			return r.watch(ctx)
		}
		switch rv.Outcome {
		case OutcomeSuccess:
			return r.finish(ctx, IntentReversed, rv)
		case OutcomeFailed:
			// Refused: find out why from the order itself.
			q, err := r.query(ctx)
			if err != nil {
				return r.interrupted(err)
			}
			if st, ok := settledByQuery(q); ok {
				return r.settle(ctx, st, q)
			}
		}
		if !r.now().Before(r.manualAt()) {
			return r.finish(ctx, IntentManual, rv)
		}
		wait := p.QueryInterval
		if rv.Retry {
			wait = p.RetryWait
		}
		if left := r.manualAt().Sub(r.now()); wait > left {
			wait = left
		}
		if err := r.sleep(ctx, wait, false, r.stateMsg); err != nil {
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
		_ = r.s.store.FinishIntent(context.WithoutCancel(ctx), &r.in)
		r.msg = msgNoReverse
		r.event(StepAnswer, r.msg, ChannelResult{})
	}
	for {
		q, err := r.query(ctx)
		if err != nil {
			return r.interrupted(err)
		}
		if st, ok := settledByQuery(q); ok {
			return r.settle(ctx, st, q)
		}
		left := r.manualAt().Sub(r.now())
		if left <= 0 {
			return r.finish(ctx, IntentManual, ChannelResult{})
		}
		if err := r.sleep(ctx, min(p.QueryInterval, left), false, r.stateMsg); err != nil {
			return r.interrupted(err)
		}
	}
}

// recoverIntent settles a stored intent no loop is driving (after a
// crash, or a cashier's cancel after a restart).
func (r *payRun) recoverIntent(ctx context.Context) (PayResult, error) {
	switch r.in.State {
	case IntentCreated:
		// Sending is always recorded durably first, so this never left.
		return r.finish(ctx, IntentClosed, ChannelResult{Message: "从未发送 / never sent"})
	case IntentManual:
		// A person was asked to check: only ever query it.
		r.noReverse = true
		q, err := r.query(ctx)
		if err != nil {
			return r.interrupted(err)
		}
		if st, ok := settledByQuery(q); ok {
			return r.settle(ctx, st, q)
		}
		r.msg = msgManual
		return r.snapshot(), nil
	case IntentReversing:
		r.skipWait = true
	}
	if !r.now().Before(r.payDeadline()) {
		r.skipWait = true
	}
	return r.resolve(ctx, 0)
}
