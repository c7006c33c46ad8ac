package payment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cashier/app"
)

// A deposit is frozen by Pay with a deposit order; the deposit number is
// the order number (printed as a barcode on the receipt).

// DepositOpInput asks to consume from or release a deposit.
type DepositOpInput struct {
	DepositNo string
	Amount    app.Money // consume: 0 < Amount ≤ deposit; release: ignored (all that is left)
	// StaffID asks; the deposit permission is read afresh.
	StaffID int64
	Remark  string
	OnEvent EventFunc
}

// DepositOpResult is where a consume or release stands.
type DepositOpResult struct {
	DepositNo    string
	OutRequestNo string
	Kind         app.DepositOpKind
	State        DepositOpState
	Amount       app.Money
	Code         string
	ChannelMsg   string
	Msg          app.Message
	Elapsed      time.Duration
}

// Done reports whether the operation happened.
func (r DepositOpResult) Done() bool { return r.State == DepositOpDone }

// Consume charges amount from a frozen deposit (0 < amount ≤ deposit); the
// channel returns the rest to the customer by itself.
func (s *Payments) Consume(ctx context.Context, in DepositOpInput) (DepositOpResult, error) {
	return s.depositOp(ctx, app.DepositOpConsume, in)
}

// Release returns a frozen deposit to the customer in full, not sooner
// than MinReverseAge after it was frozen (the channels' 15-second rule).
func (s *Payments) Release(ctx context.Context, in DepositOpInput) (DepositOpResult, error) {
	return s.depositOp(ctx, app.DepositOpRelease, in)
}

func (s *Payments) depositOp(ctx context.Context, kind app.DepositOpKind, in DepositOpInput) (DepositOpResult, error) {
	if err := s.authorize(ctx, in.StaffID, app.PermDeposit); err != nil {
		return DepositOpResult{}, err
	}
	dep, err := s.store.GetDeposit(ctx, in.DepositNo)
	if err != nil {
		return DepositOpResult{}, err
	}
	if dep.State != DepositFrozen {
		return DepositOpResult{}, ErrDepositState.With("State", string(dep.State))
	}
	left := dep.Amount - dep.Consumed - dep.Released
	amount := in.Amount
	prefix := "C"
	if kind == app.DepositOpRelease {
		amount, prefix = left, "U"
	}
	if amount <= 0 || amount > left {
		return DepositOpResult{}, ErrDepositAmount.With("Amount", amount, "Left", left)
	}
	ch, err := s.channelNamed(dep.Channel)
	if err != nil {
		return DepositOpResult{}, err
	}
	now := s.clock.Now()
	op := DepositOp{
		DepositID: dep.ID, Deposit: dep, Kind: kind, OutRequestNo: app.NewOrderNo(s.term.NumberPrefix+prefix, now),
		Amount: amount, State: DepositOpCreated, StaffID: in.StaffID, CreatedAt: now, UpdatedAt: now,
	}
	audit := app.AuditEntry{At: now, StaffID: in.StaffID, Action: "deposit_" + string(kind), Subject: dep.DepositNo,
		Detail: fmt.Sprintf("%s %s", op.OutRequestNo, amount)}
	if err := s.store.CreateDepositOp(ctx, &op, audit); err != nil {
		return DepositOpResult{}, err
	}
	if !s.claim(op.OutRequestNo) {
		return opResult(op, app.Message{}, 0), ErrDepositBusy
	}
	defer s.unclaim(op.OutRequestNo)
	return s.driveDepositOp(ctx, &op, ch, in.Remark, in.OnEvent)
}

func opResult(op DepositOp, msg app.Message, elapsed time.Duration) DepositOpResult {
	return DepositOpResult{DepositNo: op.Deposit.DepositNo, OutRequestNo: op.OutRequestNo, Kind: op.Kind,
		State: op.State, Amount: op.Amount, Code: op.ChannelCode, ChannelMsg: op.ChannelMsg, Msg: msg, Elapsed: elapsed}
}

func opMessage(op DepositOp) app.Message {
	switch op.State {
	case DepositOpDone:
		return app.Msg("depop.done")
	case DepositOpFailed:
		if op.ChannelMsg != "" || op.ChannelCode != "" {
			return app.Msg("depop.failed_because", "Reason", firstOf(op.ChannelMsg, op.ChannelCode))
		}
		return app.Msg("depop.failed")
	case DepositOpManual:
		return app.Msg("depop.manual", "Reason", firstOf(op.ChannelMsg, op.ChannelCode))
	}
	return app.Msg("depop.later")
}

// releaseWait is how long a release must still wait for the 15-second
// rule: from the freeze as this process saw it (monotonic), else from the
// stored time, bounded so a wall clock set back cannot stretch it.
func (s *Payments) releaseWait(dep Deposit) time.Duration {
	p := s.policy
	s.mu.Lock()
	at, ok := s.frozen[dep.OutTradeNo]
	s.mu.Unlock()
	if !ok {
		if dep.PaidAt.IsZero() {
			return 0
		}
		at = dep.PaidAt
	}
	return p.MinReverseAge - app.Elapsed(s.clock, at, p.MinReverseAge)
}

// driveDepositOp moves a consume or release to a final state, the way
// driveRefund does: send (recorded first); an unclear answer is queried
// (QueryDepositOp) before anything is sent again; not found after a
// definite refusal of a re-send means it was never done (failed); not
// found otherwise means the send never arrived (send again, same number);
// another amount than asked goes to a person (manual).
func (s *Payments) driveDepositOp(ctx context.Context, op *DepositOp, ch app.PaymentChannel, remark string, onEvent EventFunc) (DepositOpResult, error) {
	p := s.policy
	start := s.clock.Now()
	elapsed := func() time.Duration { return max(s.clock.Since(start), 0) }
	kind := EventConsume
	if op.Kind == app.DepositOpRelease {
		kind = EventRelease
	}
	emit := func(step Step, msg app.Message, res app.ChannelResult) {
		onEvent.emit(Event{Kind: kind, Ref: op.OutRequestNo, State: string(op.State), Step: step,
			Elapsed: elapsed(), Msg: msg, ChannelCode: res.Code, ChannelMsg: res.Message, Final: step == StepFinal})
	}
	yield := func() (DepositOpResult, error) {
		return opResult(*op, app.Msg("depop.driven_elsewhere"), elapsed()), ErrUnfinished.Wrap(ErrStale)
	}
	save := func(st DepositOpState) error {
		op.State, op.UpdatedAt = st, s.clock.Now()
		return s.store.SaveDepositOp(context.WithoutCancel(ctx), op)
	}
	finish := func(st DepositOpState, res app.ChannelResult, note app.Message) (DepositOpResult, error) {
		op.State, op.UpdatedAt = st, s.clock.Now()
		err := s.store.FinishDepositOp(context.WithoutCancel(ctx), op)
		if errors.Is(err, ErrStale) {
			return yield()
		}
		msg := note
		if msg.IsZero() {
			msg = opMessage(*op)
		}
		if err != nil {
			return opResult(*op, msg, elapsed()), ErrResultNotSaved.With("State", string(st)).Wrap(err)
		}
		s.orderChanged(op.Deposit.DepositNo)
		emit(StepFinal, msg, res)
		return opResult(*op, msg, elapsed()), nil
	}
	record := func(res app.ChannelResult) {
		if res.Code != "" || res.Message != "" {
			op.ChannelCode, op.ChannelMsg = res.Code, res.Message
		}
		if res.TransactionID != "" {
			op.TransactionID = res.TransactionID
		}
	}
	settled := func(res app.ChannelResult) (DepositOpResult, error, bool) {
		if amountDiffers(res, op.Amount) {
			r, err := finish(DepositOpManual, res, app.Msg("depop.amount_mismatch", "Asked", op.Amount, "Got", res.Amount))
			return r, err, true
		}
		if res.Outcome == app.OutcomeSuccess {
			r, err := finish(DepositOpDone, res, app.Message{})
			return r, err, true
		}
		return DepositOpResult{}, nil, false
	}
	dep := op.Deposit
	ref := app.OrderRef{OutTradeNo: dep.OutTradeNo, TransactionID: dep.TransactionID, Wallet: dep.Wallet, Deposit: true}
	call := func(send bool) (app.ChannelResult, error) {
		cctx, cancel := s.callCtx(ctx)
		defer cancel()
		switch {
		case !send:
			return ch.QueryDepositOp(cctx, app.DepositOpRef{OrderRef: ref, Kind: op.Kind, OutRequestNo: op.OutRequestNo,
				Total: dep.Amount, Amount: op.Amount})
		case op.Kind == app.DepositOpConsume:
			return ch.Consume(cctx, app.ConsumeRequest{OrderRef: ref, OutRequestNo: op.OutRequestNo, Total: dep.Amount, Amount: op.Amount})
		}
		return ch.Release(cctx, app.ReleaseRequest{OrderRef: ref, OutRequestNo: op.OutRequestNo, Amount: op.Amount, Remark: remark})
	}

	sendNext := op.State == DepositOpCreated
	if op.Kind == app.DepositOpRelease && sendNext {
		// Releasing a deposit is a reverse at WeChat: the 15-second rule.
		if d := s.releaseWait(dep); d > 0 {
			emit(StepReverseWait, msgReverseWait(d), app.ChannelResult{})
			if err := s.wait(ctx, d, nil, func(left time.Duration) { emit(StepWaiting, msgReverseWait(left), app.ChannelResult{}) }); err != nil {
				return opResult(*op, app.Msg("depop.later"), 0), ErrUnfinished.Wrap(err)
			}
		}
	}
	wait := time.Duration(0)
	for {
		if wait > 0 {
			left := p.ManualAfter - elapsed()
			if left <= 0 {
				msg := app.Msg("depop.later")
				emit(StepFinal, msg, app.ChannelResult{})
				return opResult(*op, msg, elapsed()), nil
			}
			msg := app.Msg("depop.unknown")
			if err := s.wait(ctx, min(wait, left), nil, func(time.Duration) { emit(StepWaiting, msg, app.ChannelResult{}) }); err != nil {
				return opResult(*op, app.Msg("depop.later"), elapsed()), ErrUnfinished.Wrap(err)
			}
		}
		var res app.ChannelResult
		var err error
		if sendNext {
			was := op.State
			if err := save(DepositOpSent); err != nil {
				op.State = was
				if errors.Is(err, ErrStale) {
					return yield()
				}
				return opResult(*op, app.Msg("depop.later"), elapsed()), ErrNotSent.Wrap(err)
			}
			emit(StepSending, app.Msg("depop.sending"), app.ChannelResult{})
			res, err = call(true)
			if err != nil {
				res = app.ChannelResult{Outcome: app.OutcomeUnknown, Code: "NOT_SENT", Message: err.Error()}
				if was == DepositOpCreated && ctx.Err() == nil {
					res.Outcome = app.OutcomeFailed
				}
			}
			record(res)
			if ctx.Err() != nil {
				_ = save(DepositOpUnknown)
				return opResult(*op, app.Msg("depop.later"), elapsed()), ErrUnfinished.Wrap(ctx.Err())
			}
			if r, err, ok := settled(res); ok {
				return r, err
			}
			next, w := DepositOpUnknown, p.SystemErrorWait
			if res.Outcome == app.OutcomeFailed {
				if was == DepositOpCreated || res.ConfigError {
					return finish(DepositOpFailed, res, app.Message{})
				}
				next, w = DepositOpRefused, p.RetryWait
			}
			if res.Retry {
				w = p.RetryWait
			}
			if err := save(next); errors.Is(err, ErrStale) {
				return yield()
			}
			sendNext, wait = false, w
			emit(StepAnswer, app.Msg("depop.unknown"), res)
			continue
		}
		emit(StepQuerying, app.Msg("depop.querying"), app.ChannelResult{})
		res, err = call(false)
		if err != nil {
			res = app.ChannelResult{Outcome: app.OutcomeUnknown, Code: "NOT_SENT", Message: err.Error()}
		}
		if ctx.Err() != nil {
			return opResult(*op, app.Msg("depop.later"), elapsed()), ErrUnfinished.Wrap(ctx.Err())
		}
		if res.NotFound && op.State == DepositOpRefused {
			return finish(DepositOpFailed, res, app.Message{}) // the refusal stays the reason
		}
		record(res)
		if r, err, ok := settled(res); ok {
			return r, err
		}
		wait = p.QueryInterval
		switch {
		case res.Outcome == app.OutcomeFailed:
			return finish(DepositOpFailed, res, app.Message{})
		case res.NotFound:
			sendNext, wait = true, p.RetryWait
		}
		if res.Retry {
			wait = p.RetryWait
		}
		emit(StepAnswer, app.Msg("depop.unknown"), res)
	}
}
