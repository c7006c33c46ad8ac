package payment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cashier/app"
)

// RefundInput asks for a refund of (part of) a paid wallet tender.
type RefundInput struct {
	OrderNo string
	// OutTradeNo names the wallet tender; "" means the order's only paid
	// wallet tender.
	OutTradeNo string
	Amount     app.Money
	// StaffID asks; the rules are applied to the person as stored now.
	StaffID int64
	Reason  string
	OnEvent EventFunc
}

// RefundResult is where a refund stands when Refund returns. Refunded,
// failed and manual are final; processing, unknown or refused mean the
// channel has not settled it yet (some banks take days): Recover checks it
// again.
type RefundResult struct {
	OrderNo     string
	OutRefundNo string
	State       RefundState
	Amount      app.Money
	RefundID    string
	Code        string // the channel's code, if any
	ChannelMsg  string
	Msg         app.Message
	Elapsed     time.Duration
}

// Refunded reports whether the money went back to the customer.
func (r RefundResult) Refunded() bool { return r.State == RefundRefunded }

// Refund refunds amount of a paid order's wallet tender through the
// channel that took it, for a person holding the refund permission (read
// afresh: a grant revoked or a person disabled after they logged in counts
// now). The refund gets its own number, written durably (with an audit
// line) before it is sent and reused on every retry; the amount is capped
// at what the tender paid minus every refund not failed, checked in the
// same transaction that writes it. It drives the refund until it is final
// or ManualAfter has passed.
func (s *Payments) Refund(ctx context.Context, in RefundInput) (RefundResult, error) {
	if err := s.checkAmount(in.Amount); err != nil {
		return RefundResult{}, err
	}
	if err := s.authorize(ctx, in.StaffID, app.PermRefund); err != nil {
		return RefundResult{}, err
	}
	o, intent, err := s.store.RefundSource(ctx, in.OrderNo, in.OutTradeNo)
	if err != nil {
		return RefundResult{}, err
	}
	if o.Status != app.OrderPaid && o.Status != app.OrderPartRefunded {
		return RefundResult{}, ErrNotRefundable.With("Status", string(o.Status))
	}
	return s.refund(ctx, o, intent, in, "refund")
}

// RefundForVoid hands back a paid wallet tender of an order that is being
// voided before it was paid in full. The sale use case has decided who may
// void; the order must still be open.
func (s *Payments) RefundForVoid(ctx context.Context, in RefundInput) (RefundResult, error) {
	o, intent, err := s.store.RefundSource(ctx, in.OrderNo, in.OutTradeNo)
	if err != nil {
		return RefundResult{}, err
	}
	if !o.Status.Open() {
		return RefundResult{}, app.ErrOrderNotOpen.With("OrderNo", o.OrderNo)
	}
	return s.refund(ctx, o, intent, in, "void_refund")
}

func (s *Payments) refund(ctx context.Context, o app.Order, intent PaymentIntent, in RefundInput, action string) (RefundResult, error) {
	ch, err := s.channelNamed(intent.Channel)
	if err != nil {
		return RefundResult{}, err
	}
	now := s.clock.Now()
	rf := Refund{
		OutRefundNo: app.NewOrderNo(s.term.NumberPrefix+"R", now), OrderID: o.ID, OrderNo: o.OrderNo,
		IntentID: intent.ID, OutTradeNo: intent.OutTradeNo, TransactionID: intent.TransactionID,
		Channel: intent.Channel, Wallet: intent.Wallet, Deposit: intent.Kind == IntentKindDeposit,
		Total: intent.Amount, Amount: in.Amount, Reason: in.Reason, State: RefundCreated,
		StaffID: in.StaffID, CreatedAt: now, UpdatedAt: now,
	}
	audit := app.AuditEntry{At: now, StaffID: in.StaffID, Action: action, Subject: o.OrderNo,
		Detail: fmt.Sprintf("%s %s %s %s", rf.OutRefundNo, intent.OutTradeNo, in.Amount, in.Reason)}
	if err := s.store.CreateRefund(ctx, &rf, audit); err != nil {
		return RefundResult{}, err
	}
	if !s.claim(rf.OutRefundNo) {
		return refundResult(rf, app.Msg("refund.processing"), 0), ErrRefundInProgress
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
		return refundResult(rf, app.Message{}, 0), err
	}
	if !s.claim(rf.OutRefundNo) {
		return refundResult(rf, app.Msg("refund.processing"), 0), ErrRefundInProgress
	}
	defer s.unclaim(rf.OutRefundNo)
	return s.driveRefund(ctx, &rf, ch, onEvent)
}

func refundResult(rf Refund, msg app.Message, elapsed time.Duration) RefundResult {
	return RefundResult{OrderNo: rf.OrderNo, OutRefundNo: rf.OutRefundNo, State: rf.State, Amount: rf.Amount,
		RefundID: rf.RefundID, Code: rf.ChannelCode, ChannelMsg: rf.ChannelMsg, Msg: msg, Elapsed: elapsed}
}

func refundMessage(rf Refund) app.Message {
	switch rf.State {
	case RefundRefunded:
		return app.Msg("refund.refunded")
	case RefundFailed:
		if rf.ChannelMsg != "" || rf.ChannelCode != "" {
			return app.Msg("refund.failed_because", "Reason", firstOf(rf.ChannelMsg, rf.ChannelCode))
		}
		return app.Msg("refund.failed")
	case RefundManual:
		return app.Msg("refund.manual", "Reason", firstOf(rf.ChannelMsg, rf.ChannelCode))
	}
	return app.Msg("refund.later")
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// amountDiffers reports a channel answer stating another amount than was
// asked (0 means the answer did not say).
func amountDiffers(res app.ChannelResult, asked app.Money) bool {
	return res.Amount > 0 && res.Amount != asked && (res.Outcome == app.OutcomeSuccess || res.Outcome == app.OutcomePending)
}

// driveRefund moves a refund to a final state:
//
//   - created: send it (recorded as sent first). Not sent at all → failed;
//     refused → failed; accepted → processing; success → refunded;
//     anything unclear → unknown.
//   - sent (a send that may have gone out before a crash), unknown,
//     processing, refused: query it. Success → refunded; refused for
//     good → failed; in progress → keep asking. Not found: after a
//     definite refusal (refused) nothing was made → failed; otherwise the
//     earlier send never arrived → send again with the same number.
//   - an answer stating another amount than asked → manual, for a person.
//
// It returns when the refund is final or ManualAfter has passed (it stays
// open for Recover then).
func (s *Payments) driveRefund(ctx context.Context, rf *Refund, ch app.PaymentChannel, onEvent EventFunc) (RefundResult, error) {
	p := s.policy
	start := s.clock.Now()
	elapsed := func() time.Duration { return max(s.clock.Since(start), 0) }
	emit := func(step Step, msg app.Message, res app.ChannelResult) {
		onEvent.emit(Event{Kind: EventRefund, Ref: rf.OutRefundNo, State: string(rf.State), Step: step,
			Elapsed: elapsed(), Msg: msg, ChannelCode: res.Code, ChannelMsg: res.Message, Final: step == StepFinal})
	}
	yield := func() (RefundResult, error) {
		cur, err := s.store.GetRefund(context.WithoutCancel(ctx), rf.OutRefundNo)
		if err != nil {
			return refundResult(*rf, app.Msg("refund.later"), elapsed()), err
		}
		*rf = cur
		if cur.State.Final() {
			return refundResult(*rf, refundMessage(*rf), elapsed()), nil
		}
		return refundResult(*rf, app.Msg("refund.driven_elsewhere"), elapsed()), ErrUnfinished.Wrap(ErrStale)
	}
	save := func(st RefundState) error {
		rf.State, rf.UpdatedAt = st, s.clock.Now()
		return s.store.SaveRefund(context.WithoutCancel(ctx), rf)
	}
	finish := func(st RefundState, res app.ChannelResult, note app.Message) (RefundResult, error) {
		now := s.clock.Now()
		rf.State, rf.UpdatedAt, rf.FinishedAt = st, now, now
		err := s.store.FinishRefund(context.WithoutCancel(ctx), rf)
		if errors.Is(err, ErrStale) {
			return yield()
		}
		msg := note
		if msg.IsZero() {
			msg = refundMessage(*rf)
		}
		if err != nil {
			return refundResult(*rf, msg, elapsed()), ErrResultNotSaved.With("State", string(st)).Wrap(err)
		}
		s.orderChanged(rf.OrderNo)
		emit(StepFinal, msg, res)
		return refundResult(*rf, msg, elapsed()), nil
	}
	record := func(res app.ChannelResult) {
		if res.TransactionID != "" {
			rf.RefundID = res.TransactionID
		}
		if res.Code != "" || res.Message != "" {
			rf.ChannelCode, rf.ChannelMsg = res.Code, res.Message
		}
	}
	settled := func(res app.ChannelResult) (RefundResult, error, bool) {
		if amountDiffers(res, rf.Amount) {
			r, err := finish(RefundManual, res, app.Msg("refund.amount_mismatch", "Asked", rf.Amount, "Got", res.Amount))
			return r, err, true
		}
		if res.Outcome == app.OutcomeSuccess {
			r, err := finish(RefundRefunded, res, app.Message{})
			return r, err, true
		}
		return RefundResult{}, nil, false
	}
	call := func(send bool) (app.ChannelResult, error) {
		cctx, cancel := s.callCtx(ctx)
		defer cancel()
		if send {
			return ch.Refund(cctx, rf.request())
		}
		return ch.RefundQuery(cctx, rf.request())
	}

	emit(StepCreated, app.Msg("refund.sending"), app.ChannelResult{})
	sendNext := rf.State == RefundCreated
	wait := time.Duration(0)
	for {
		if wait > 0 {
			left := p.ManualAfter - elapsed()
			if left <= 0 {
				msg := app.Msg("refund.later")
				emit(StepFinal, msg, app.ChannelResult{})
				return refundResult(*rf, msg, elapsed()), nil
			}
			msg := app.Msg("refund.processing")
			if err := s.wait(ctx, min(wait, left), nil, func(time.Duration) { emit(StepWaiting, msg, app.ChannelResult{}) }); err != nil {
				return refundResult(*rf, app.Msg("refund.later"), elapsed()), ErrUnfinished.Wrap(err)
			}
		}
		var res app.ChannelResult
		var err error
		if sendNext {
			was := rf.State
			if err := save(RefundSent); err != nil {
				rf.State = was
				if errors.Is(err, ErrStale) {
					return yield()
				}
				return refundResult(*rf, app.Msg("refund.later"), elapsed()), ErrNotSent.Wrap(err)
			}
			emit(StepSending, app.Msg("refund.sending"), app.ChannelResult{})
			res, err = call(true)
			if err != nil {
				res = app.ChannelResult{Outcome: app.OutcomeUnknown, Code: "NOT_SENT", Message: err.Error()}
				if was == RefundCreated && ctx.Err() == nil {
					res.Outcome = app.OutcomeFailed
				}
			}
			record(res)
			if ctx.Err() != nil {
				_ = save(RefundUnknown)
				return refundResult(*rf, app.Msg("refund.later"), elapsed()), ErrUnfinished.Wrap(ctx.Err())
			}
			if r, err, ok := settled(res); ok {
				return r, err
			}
			next := RefundUnknown
			wait = p.SystemErrorWait
			switch res.Outcome {
			case app.OutcomeFailed:
				if was == RefundCreated || res.ConfigError {
					return finish(RefundFailed, res, app.Message{})
				}
				// Refused after an earlier send went unanswered: that send
				// may have made the refund. The query decides.
				next, wait = RefundRefused, p.RetryWait
			case app.OutcomePending:
				next, wait = RefundProcessing, p.QueryInterval
			}
			if res.Retry {
				wait = p.RetryWait
			}
			if err := save(next); errors.Is(err, ErrStale) {
				return yield()
			}
			sendNext = false
			emit(StepAnswer, app.Msg("refund.processing"), res)
			continue
		}
		emit(StepQuerying, app.Msg("refund.querying"), app.ChannelResult{})
		res, err = call(false)
		if err != nil {
			res = app.ChannelResult{Outcome: app.OutcomeUnknown, Code: "NOT_SENT", Message: err.Error()}
		}
		if ctx.Err() != nil {
			return refundResult(*rf, app.Msg("refund.later"), elapsed()), ErrUnfinished.Wrap(ctx.Err())
		}
		if res.NotFound && rf.State == RefundRefused {
			// The channel refused the re-send for good and has no refund
			// under this number: none was made. The refusal (kept in the
			// record) is what the cashier is told.
			return finish(RefundFailed, res, app.Message{})
		}
		record(res)
		if r, err, ok := settled(res); ok {
			return r, err
		}
		wait = p.QueryInterval
		switch {
		case res.Outcome == app.OutcomeFailed:
			return finish(RefundFailed, res, app.Message{})
		case res.NotFound:
			// The earlier send never arrived: send it again (same number).
			sendNext, wait = true, p.RetryWait
		case res.Outcome == app.OutcomePending && rf.State != RefundProcessing:
			if err := save(RefundProcessing); errors.Is(err, ErrStale) {
				return yield()
			}
		}
		if res.Retry {
			wait = p.RetryWait
		}
		emit(StepAnswer, app.Msg("refund.processing"), res)
	}
}
