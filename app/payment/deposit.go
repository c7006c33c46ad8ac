package app

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// A deposit is frozen by Pay with PayInput.Deposit set; the deposit number
// is the order number (printed as a barcode on the receipt).

// ErrDepositNotAllowed is returned when the person lacks the deposit permission.
var ErrDepositNotAllowed = errors.New("无押金操作权限 / not allowed to operate deposits")

// DepositOpInput asks to consume from or release a deposit.
type DepositOpInput struct {
	DepositNo string
	Amount    Money // consume: 0 < Amount ≤ deposit; release: ignored (all that is left)
	Staff     Staff
	Remark    string
	OnEvent   EventFunc
}

// DepositOpResult is where a consume or release stands.
type DepositOpResult struct {
	DepositNo    string
	OutRequestNo string
	Kind         DepositOpKind
	State        DepositOpState
	Amount       Money
	Code         string
	Message      string
	Elapsed      time.Duration
}

// Done reports whether the operation happened.
func (r DepositOpResult) Done() bool { return r.State == DepositOpDone }

// Consume charges amount from a frozen deposit (0 < amount ≤ deposit); the
// channel returns the rest to the customer by itself.
func (s *Payments) Consume(ctx context.Context, in DepositOpInput) (DepositOpResult, error) {
	return s.depositOp(ctx, DepositOpConsume, in)
}

// Release returns a frozen deposit to the customer in full, not sooner
// than MinReverseAge after it was frozen (the channels' 15-second rule).
func (s *Payments) Release(ctx context.Context, in DepositOpInput) (DepositOpResult, error) {
	return s.depositOp(ctx, DepositOpRelease, in)
}

func (s *Payments) depositOp(ctx context.Context, kind DepositOpKind, in DepositOpInput) (DepositOpResult, error) {
	if !in.Staff.Has(PermDeposit) {
		return DepositOpResult{}, ErrDepositNotAllowed
	}
	dep, err := s.store.GetDeposit(ctx, in.DepositNo)
	if err != nil {
		return DepositOpResult{}, err
	}
	if dep.State != DepositFrozen {
		return DepositOpResult{}, fmt.Errorf("%w (%s)", ErrDepositState, dep.State)
	}
	left := dep.Amount - dep.Consumed - dep.Released
	amount := in.Amount
	prefix := "C"
	if kind == DepositOpRelease {
		amount, prefix = left, "U"
	}
	if amount <= 0 || amount > left {
		return DepositOpResult{}, fmt.Errorf("%w: %s / %s", ErrDepositAmount, amount, left)
	}
	ch, err := s.channelNamed(dep.Channel)
	if err != nil {
		return DepositOpResult{}, err
	}
	now := s.clock.Now()
	op := DepositOp{
		DepositID: dep.ID, Deposit: dep, Kind: kind, OutRequestNo: NewOrderNo(s.term.OrderPrefix+prefix, now),
		Amount: amount, State: DepositOpCreated, StaffID: in.Staff.ID, CreatedAt: now, UpdatedAt: now,
	}
	audit := AuditEntry{At: now, StaffID: in.Staff.ID, Action: "deposit_" + string(kind), Subject: dep.DepositNo,
		Detail: fmt.Sprintf("%s %s", op.OutRequestNo, amount)}
	if err := s.store.CreateDepositOp(ctx, &op, audit); err != nil {
		return DepositOpResult{}, err
	}
	if !s.claim(op.OutRequestNo) {
		return opResult(op, "", 0), ErrDepositBusy
	}
	defer s.unclaim(op.OutRequestNo)
	return s.driveDepositOp(ctx, &op, ch, in.Remark, in.OnEvent)
}

func opResult(op DepositOp, msg string, elapsed time.Duration) DepositOpResult {
	return DepositOpResult{DepositNo: op.Deposit.DepositNo, OutRequestNo: op.OutRequestNo, Kind: op.Kind,
		State: op.State, Amount: op.Amount, Code: op.ChannelCode, Message: msg, Elapsed: elapsed}
}

func opMessage(op DepositOp) string {
	switch op.State {
	case DepositOpDone:
		return msgOpDone
	case DepositOpFailed:
		if op.ChannelMsg != "" {
			return msgOpFailed + ": " + op.ChannelMsg
		}
		return msgOpFailed
	}
	return msgOpPending
}

// driveDepositOp sends the operation, re-sending it with the same request
// number while the answer is unknown, until it is final or ManualAfter.
func (s *Payments) driveDepositOp(ctx context.Context, op *DepositOp, ch PaymentChannel, remark string, onEvent EventFunc) (DepositOpResult, error) {
	p := s.policy
	start := s.clock.Now()
	giveUp := start.Add(p.ManualAfter)
	kind := EventConsume
	if op.Kind == DepositOpRelease {
		kind = EventRelease
	}
	emit := func(step PayStep, msg string, res ChannelResult) {
		onEvent.emit(PaymentEvent{Kind: kind, Ref: op.OutRequestNo, State: string(op.State), Step: step,
			Elapsed: s.clock.Now().Sub(start), Message: msg, ChannelCode: res.Code, ChannelMsg: res.Message,
			Final: step == StepFinal})
	}
	save := func() error {
		op.UpdatedAt = s.clock.Now()
		return s.store.SaveDepositOp(context.WithoutCancel(ctx), op)
	}
	finish := func(st DepositOpState, res ChannelResult) (DepositOpResult, error) {
		op.State, op.UpdatedAt = st, s.clock.Now()
		err := s.store.FinishDepositOp(context.WithoutCancel(ctx), op)
		msg := opMessage(*op)
		if err != nil {
			return opResult(*op, msg, s.clock.Now().Sub(start)), fmt.Errorf("押金操作结果未能保存 / deposit result could not be saved: %w", err)
		}
		emit(StepFinal, msg, res)
		return opResult(*op, msg, s.clock.Now().Sub(start)), nil
	}
	dep := op.Deposit
	ref := OrderRef{OutTradeNo: dep.OutTradeNo, TransactionID: dep.TransactionID, Wallet: dep.Wallet, Deposit: true}
	if op.Kind == DepositOpRelease && !dep.PaidAt.IsZero() {
		// Releasing a deposit is a reverse at WeChat: the 15-second rule.
		if d := dep.PaidAt.Add(p.MinReverseAge).Sub(s.clock.Now()); d > 0 {
			emit(StepReverseWait, msgReverseWait(d), ChannelResult{})
			if err := s.wait(ctx, d, nil, func(left time.Duration) { emit(StepWaiting, msgReverseWait(left), ChannelResult{}) }); err != nil {
				return opResult(*op, msgOpPending, 0), err
			}
		}
	}
	for {
		was := op.State
		op.State = DepositOpSent
		if err := save(); err != nil {
			op.State = was
			return opResult(*op, "", 0), fmt.Errorf("无法记录押金操作，未发送 / could not record the deposit request, nothing sent: %w", err)
		}
		emit(StepSending, msgOpSend, ChannelResult{})
		cctx, cancel := s.callCtx(ctx)
		var res ChannelResult
		var err error
		if op.Kind == DepositOpConsume {
			res, err = ch.Consume(cctx, ConsumeRequest{OrderRef: ref, OutRequestNo: op.OutRequestNo, Total: dep.Amount, Amount: op.Amount})
		} else {
			res, err = ch.Release(cctx, ReleaseRequest{OrderRef: ref, OutRequestNo: op.OutRequestNo, Amount: op.Amount, Remark: remark})
		}
		cancel()
		if err != nil {
			res = ChannelResult{Outcome: OutcomeUnknown, Code: "NOT_SENT", Message: err.Error()}
			if was == DepositOpCreated && ctx.Err() == nil {
				res.Outcome = OutcomeFailed
			}
		}
		if res.Code != "" || res.Message != "" {
			op.ChannelCode, op.ChannelMsg = res.Code, res.Message
		}
		if res.TransactionID != "" {
			op.TransactionID = res.TransactionID
		}
		if ctx.Err() != nil {
			op.State = DepositOpUnknown
			_ = save()
			return opResult(*op, msgOpPending, s.clock.Now().Sub(start)), ctx.Err()
		}
		switch res.Outcome {
		case OutcomeSuccess:
			return finish(DepositOpDone, res)
		case OutcomeFailed:
			if was == DepositOpCreated {
				return finish(DepositOpFailed, res)
			}
			// A refusal of a re-send may mean it was done the first time:
			// keep it open for a person / the next recovery to confirm.
		}
		op.State = DepositOpUnknown
		_ = save()
		emit(StepAnswer, msgOpUnknown, res)
		if !s.clock.Now().Before(giveUp) {
			emit(StepFinal, msgOpPending, res)
			return opResult(*op, msgOpPending, s.clock.Now().Sub(start)), nil
		}
		wait := p.QueryInterval
		if res.Retry {
			wait = p.RetryWait
		}
		wait = min(wait, giveUp.Sub(s.clock.Now()))
		if err := s.wait(ctx, wait, nil, func(time.Duration) { emit(StepWaiting, msgOpUnknown, ChannelResult{}) }); err != nil {
			return opResult(*op, msgOpPending, s.clock.Now().Sub(start)), err
		}
	}
}
