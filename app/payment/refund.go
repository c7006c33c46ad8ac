package app

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// RefundInput asks for a refund of (part of) a paid order.
type RefundInput struct {
	OrderNo string
	Amount  Money
	Staff   Staff // who asks; RefundAuthorizer decides
	Reason  string
	OnEvent EventFunc
}

// RefundResult is where a refund stands when Refund returns. Refunded and
// failed are final; processing or unknown mean the channel has not settled
// it yet (some banks take days): it is checked again by Recover.
type RefundResult struct {
	OrderNo     string
	OutRefundNo string
	State       RefundState
	Amount      Money
	RefundID    string
	Code        string
	Message     string
	Elapsed     time.Duration
}

// Refunded reports whether the money went back to the customer.
func (r RefundResult) Refunded() bool { return r.State == RefundRefunded }

// Refund refunds amount of a paid order through the channel that took it.
// The refund gets its own number, written durably (with an audit line)
// before it is sent and reused on every retry; the amount is capped at what
// was paid minus every refund not failed, checked in the same transaction
// that writes it. It queries until the refund is final or ManualAfter has
// passed.
func (s *Payments) Refund(ctx context.Context, in RefundInput) (RefundResult, error) {
	if s.auth == nil {
		return RefundResult{}, ErrNoRefundRule
	}
	if err := s.checkAmount(in.Amount); err != nil {
		return RefundResult{}, err
	}
	o, intent, err := s.store.PaidOrder(ctx, in.OrderNo)
	if err != nil {
		return RefundResult{}, err
	}
	if o.Status != OrderPaid && o.Status != OrderPartRefunded {
		return RefundResult{}, fmt.Errorf("%w (%s)", ErrNotRefundable, o.Status)
	}
	if err := s.auth.AuthorizeRefund(ctx, in.Staff, o, in.Amount); err != nil {
		return RefundResult{}, err
	}
	ch, err := s.channelNamed(intent.Channel)
	if err != nil {
		return RefundResult{}, err
	}
	now := s.clock.Now()
	rf := Refund{
		OutRefundNo: NewOrderNo(s.term.OrderPrefix+"R", now), OrderID: o.ID, OrderNo: o.OrderNo,
		IntentID: intent.ID, OutTradeNo: intent.OutTradeNo, TransactionID: intent.TransactionID,
		Channel: intent.Channel, Wallet: intent.Wallet, Deposit: intent.Kind == IntentKindDeposit,
		Total: intent.Amount, Amount: in.Amount, Reason: in.Reason, State: RefundCreated,
		StaffID: in.Staff.ID, CreatedAt: now, UpdatedAt: now,
	}
	audit := AuditEntry{At: now, StaffID: in.Staff.ID, Action: "refund", Subject: o.OrderNo,
		Detail: fmt.Sprintf("%s %s %s", rf.OutRefundNo, in.Amount, in.Reason)}
	if err := s.store.CreateRefund(ctx, &rf, audit); err != nil {
		return RefundResult{}, err
	}
	if !s.claim(rf.OutRefundNo) {
		return refundResult(rf, "", 0), ErrRefundInProgress
	}
	defer s.unclaim(rf.OutRefundNo)
	return s.driveRefund(ctx, &rf, ch, in.OnEvent)
}

// ResumeRefund drives a stored refund that is not final, with its own
// number (what Recover does for each).
func (s *Payments) ResumeRefund(ctx context.Context, outRefundNo string, onEvent EventFunc) (RefundResult, error) {
	rf, err := s.store.GetRefund(ctx, outRefundNo)
	if err != nil {
		return RefundResult{}, err
	}
	if rf.State.Final() {
		return refundResult(rf, refundMessage(rf), 0), nil
	}
	ch, err := s.channelNamed(rf.Channel)
	if err != nil {
		return refundResult(rf, "", 0), err
	}
	if !s.claim(rf.OutRefundNo) {
		return refundResult(rf, msgRefundWait, 0), ErrRefundInProgress
	}
	defer s.unclaim(rf.OutRefundNo)
	return s.driveRefund(ctx, &rf, ch, onEvent)
}

func refundResult(rf Refund, msg string, elapsed time.Duration) RefundResult {
	return RefundResult{OrderNo: rf.OrderNo, OutRefundNo: rf.OutRefundNo, State: rf.State, Amount: rf.Amount,
		RefundID: rf.RefundID, Code: rf.ChannelCode, Message: msg, Elapsed: elapsed}
}

func refundMessage(rf Refund) string {
	switch rf.State {
	case RefundRefunded:
		return msgRefunded
	case RefundFailed:
		if rf.ChannelMsg != "" {
			return msgRefundFailed + ": " + rf.ChannelMsg
		}
		return msgRefundFailed
	}
	return msgRefundLater
}

// driveRefund sends (or re-sends, same number) and queries until final.
// A refund whose last send went unanswered is sent again: the number makes
// it idempotent at the channel. One that was accepted is only queried.
func (s *Payments) driveRefund(ctx context.Context, rf *Refund, ch PaymentChannel, onEvent EventFunc) (RefundResult, error) {
	p := s.policy
	start := s.clock.Now()
	giveUp := start.Add(p.ManualAfter)
	emit := func(step PayStep, msg string, res ChannelResult) {
		onEvent.emit(PaymentEvent{Kind: EventRefund, Ref: rf.OutRefundNo, State: string(rf.State), Step: step,
			Elapsed: s.clock.Now().Sub(start), Message: msg, ChannelCode: res.Code, ChannelMsg: res.Message,
			Final: step == StepFinal})
	}
	save := func() error {
		rf.UpdatedAt = s.clock.Now()
		return s.store.SaveRefund(context.WithoutCancel(ctx), rf)
	}
	finish := func(st RefundState, res ChannelResult) (RefundResult, error) {
		now := s.clock.Now()
		rf.State, rf.UpdatedAt, rf.FinishedAt = st, now, now
		err := s.store.FinishRefund(context.WithoutCancel(ctx), rf)
		if errors.Is(err, ErrRefundSettled) {
			if cur, gerr := s.store.GetRefund(context.WithoutCancel(ctx), rf.OutRefundNo); gerr == nil {
				*rf = cur
			}
			err = nil
		}
		msg := refundMessage(*rf)
		if err != nil {
			return refundResult(*rf, msg, now.Sub(start)), fmt.Errorf("退款结果未能保存，开机时将重新确认 / refund result could not be saved; it will be re-checked at start-up: %w", err)
		}
		emit(StepFinal, msg, res)
		return refundResult(*rf, msg, now.Sub(start)), nil
	}
	emit(StepCreated, msgRefundSend, ChannelResult{})
	for {
		var res ChannelResult
		var err error
		sending := rf.State != RefundProcessing
		was := rf.State
		if sending {
			rf.State = RefundSent
			if err := save(); err != nil {
				rf.State = was
				return refundResult(*rf, "", 0), fmt.Errorf("无法记录退款发送，未发送 / could not record the refund send, nothing sent: %w", err)
			}
			emit(StepSending, msgRefundSend, ChannelResult{})
			cctx, cancel := s.callCtx(ctx)
			res, err = ch.Refund(cctx, rf.request())
			cancel()
		} else {
			emit(StepQuerying, msgRefundQuery, ChannelResult{})
			cctx, cancel := s.callCtx(ctx)
			res, err = ch.RefundQuery(cctx, rf.request())
			cancel()
		}
		if err != nil {
			if sending && was == RefundCreated && ctx.Err() == nil {
				res = ChannelResult{Outcome: OutcomeFailed, Code: "NOT_SENT", Message: err.Error()}
			} else {
				res = ChannelResult{Outcome: OutcomeUnknown, Code: "NOT_SENT", Message: err.Error()}
			}
		}
		if res.TransactionID != "" {
			rf.RefundID = res.TransactionID
		}
		if res.Code != "" || res.Message != "" {
			rf.ChannelCode, rf.ChannelMsg = res.Code, res.Message
		}
		if ctx.Err() != nil {
			_ = save()
			return refundResult(*rf, msgRefundLater, s.clock.Now().Sub(start)), ctx.Err()
		}
		switch res.Outcome {
		case OutcomeSuccess:
			return finish(RefundRefunded, res)
		case OutcomeFailed:
			if !sending || was == RefundCreated {
				return finish(RefundFailed, res)
			}
			// A refusal of a re-send may only mean "already done under this
			// number": ask instead of concluding.
			rf.State = RefundProcessing
		case OutcomePending:
			rf.State = RefundProcessing
		default:
			if sending {
				rf.State = RefundUnknown
			} // a query without an answer: keep asking (processing) or resend (unknown)
		}
		_ = save()
		msg := msgRefundWait
		if rf.State == RefundUnknown {
			msg = msgUnknown
		}
		emit(StepAnswer, msg, res)
		if !s.clock.Now().Before(giveUp) {
			emit(StepFinal, msgRefundLater, res)
			return refundResult(*rf, msgRefundLater, s.clock.Now().Sub(start)), nil
		}
		wait := p.QueryInterval
		if res.Retry {
			wait = p.RetryWait
		}
		wait = min(wait, giveUp.Sub(s.clock.Now()))
		if err := s.wait(ctx, wait, nil, func(time.Duration) { emit(StepWaiting, msg, ChannelResult{}) }); err != nil {
			return refundResult(*rf, msgRefundLater, s.clock.Now().Sub(start)), err
		}
	}
}
