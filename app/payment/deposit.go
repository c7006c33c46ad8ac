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
	who, err := s.approve(ctx, in.StaffID, app.PermDeposit)
	if err != nil {
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
	if who.ApprovedBy != 0 {
		audit.Detail += fmt.Sprintf(" approved_by=%s(%d)", who.ApprovedByName, who.ApprovedBy)
	}
	if in.Remark != "" {
		audit.Detail += " remark=" + in.Remark
	}
	// Claimed before it is written (see refund).
	if !s.claim(op.OutRequestNo) {
		return DepositOpResult{}, ErrDepositBusy
	}
	defer s.unclaim(op.OutRequestNo)
	if err := s.store.CreateDepositOp(ctx, &op, audit); err != nil {
		return DepositOpResult{}, err
	}
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

// depositOpPhases maps a deposit operation's states to settle's phases.
// It has no state for "accepted, not settled": that is kept as unknown.
var depositOpPhases = map[DepositOpState]phase{
	DepositOpCreated: phCreated, DepositOpSent: phSent, DepositOpUnknown: phUnknown,
	DepositOpRefused: phRefused, DepositOpDone: phDone, DepositOpFailed: phFailed, DepositOpManual: phManual,
}

func depositOpState(ph phase) DepositOpState {
	for st, p := range depositOpPhases {
		if p == ph {
			return st
		}
	}
	return DepositOpUnknown
}

// driveDepositOp moves a consume or release to a final state by settle's
// rules (queried with QueryDepositOp), after the 15-second rule for a
// release.
func (s *Payments) driveDepositOp(ctx context.Context, op *DepositOp, ch app.PaymentChannel, remark string, onEvent EventFunc) (DepositOpResult, error) {
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
	bg := context.WithoutCancel(ctx)
	yield := func() (app.Message, error) {
		cur, err := s.store.GetDepositOp(bg, op.OutRequestNo)
		if err != nil {
			return app.Msg("depop.later"), err
		}
		*op = cur
		if cur.State.Final() {
			return opMessage(*op), nil
		}
		return app.Msg("depop.driven_elsewhere"), ErrUnfinished.Wrap(ErrStale)
	}
	dep := op.Deposit
	ref := app.OrderRef{OutTradeNo: dep.OutTradeNo, TransactionID: dep.TransactionID, Wallet: dep.Wallet, Deposit: true}
	st := settling{
		amount:  op.Amount,
		phase:   func() phase { return depositOpPhases[op.State] },
		elapsed: elapsed,
		save: func(ph phase) error {
			next := depositOpState(ph)
			if next == op.State {
				return nil
			}
			was := op.State
			op.State, op.UpdatedAt = next, s.clock.Now()
			err := s.store.SaveDepositOp(bg, op)
			if err != nil {
				op.State = was
			}
			return err
		},
		finish: func(ph phase, res app.ChannelResult, note app.Message) (app.Message, error) {
			final := depositOpState(ph)
			op.State, op.UpdatedAt = final, s.clock.Now()
			err := s.store.FinishDepositOp(bg, op)
			if errors.Is(err, ErrStale) {
				return yield()
			}
			msg := note
			if msg.IsZero() {
				msg = opMessage(*op)
			}
			if err != nil {
				return msg, ErrResultNotSaved.With("State", string(final)).Wrap(err)
			}
			s.orderChanged(dep.DepositNo)
			emit(StepFinal, msg, res)
			return msg, nil
		},
		yield: yield,
		record: func(res app.ChannelResult) {
			if res.Code != "" || res.Message != "" {
				op.ChannelCode, op.ChannelMsg = res.Code, res.Message
			}
			if res.TransactionID != "" {
				op.TransactionID = res.TransactionID
			}
		},
		call: func(send bool) (app.ChannelResult, error) {
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
		},
		emit: emit,
		words: settleWords{
			sending: app.Msg("depop.sending"), querying: app.Msg("depop.querying"),
			waiting: app.Msg("depop.unknown"), later: app.Msg("depop.later"),
			mismatch: func(asked, got app.Money) app.Message {
				return app.Msg("depop.amount_mismatch", "Asked", asked, "Got", got)
			},
		},
	}
	if op.Kind == app.DepositOpRelease && op.State == DepositOpCreated {
		// Releasing a deposit is a reverse at WeChat: the 15-second rule.
		if d := s.releaseWait(dep); d > 0 {
			emit(StepReverseWait, msgReverseWait(d), app.ChannelResult{})
			if err := s.wait(ctx, d, nil, func(left time.Duration) { emit(StepWaiting, msgReverseWait(left), app.ChannelResult{}) }); err != nil {
				return opResult(*op, app.Msg("depop.later"), 0), ErrUnfinished.Wrap(err)
			}
		}
	}
	msg, err := s.settle(ctx, st)
	return opResult(*op, msg, elapsed()), err
}
