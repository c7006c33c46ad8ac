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

	approvedBy int64 // the manager whose override let the check pass (refund.approved_by)
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
	who, err := s.approve(ctx, in.StaffID, app.PermRefund)
	if err != nil {
		return RefundResult{}, err
	}
	in.approvedBy = who.ApprovedBy
	o, intent, err := s.store.RefundSource(ctx, in.OrderNo, in.OutTradeNo)
	if err != nil {
		return RefundResult{}, err
	}
	if o.Status != app.OrderPaid && o.Status != app.OrderPartRefunded {
		return RefundResult{}, ErrNotRefundable.With("Status", string(o.Status))
	}
	return s.refund(ctx, o, intent, in, "refund")
}

// RefundForVoid hands back what is left of a paid wallet tender of an
// order that is being voided before it was paid in full (in.Amount is
// ignored). The sale use case has decided who may void; the order must
// still be open. Calling it again after an interrupted void is safe: a
// tender refunded in full returns that refund, a refund still open is
// driven on, and one with a person (manual) is returned as it is.
func (s *Payments) RefundForVoid(ctx context.Context, in RefundInput) (RefundResult, error) {
	o, intent, err := s.store.RefundSource(ctx, in.OrderNo, in.OutTradeNo)
	if err != nil {
		return RefundResult{}, err
	}
	if !o.Status.Open() {
		return RefundResult{}, app.ErrOrderNotOpen.With("OrderNo", o.OrderNo)
	}
	earlier, err := s.store.RefundsOf(ctx, o.OrderNo)
	if err != nil {
		return RefundResult{}, err
	}
	var refunded app.Money
	var last *Refund
	for i := range earlier {
		rf := &earlier[i]
		if rf.OutTradeNo != intent.OutTradeNo {
			continue
		}
		switch {
		case rf.State == RefundRefunded:
			refunded += rf.Amount
			last = rf
		case rf.State == RefundManual:
			return refundResult(*rf, refundMessage(*rf), 0), nil
		case !rf.State.Final():
			return s.ResumeRefund(ctx, rf.OutRefundNo, in.OnEvent)
		}
	}
	if refunded >= intent.Amount && last != nil {
		return refundResult(*last, refundMessage(*last), 0), nil
	}
	in.Amount = intent.Amount - refunded
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
		StaffID: in.StaffID, ApprovedBy: in.approvedBy, CreatedAt: now, UpdatedAt: now,
	}
	audit := app.AuditEntry{At: now, StaffID: in.StaffID, Action: action, Subject: o.OrderNo,
		Detail: fmt.Sprintf("%s %s %s %s", rf.OutRefundNo, intent.OutTradeNo, in.Amount, in.Reason)}
	// Claimed before it is written, so a recovery pass listing the new
	// row cannot take it from under this call.
	if !s.claim(rf.OutRefundNo) {
		return RefundResult{}, ErrRefundInProgress
	}
	defer s.unclaim(rf.OutRefundNo)
	if err := s.store.CreateRefund(ctx, &rf, audit); err != nil {
		return RefundResult{}, err
	}
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

// refundPhases maps a refund's states to settle's phases and back.
var refundPhases = map[RefundState]phase{
	RefundCreated: phCreated, RefundSent: phSent, RefundUnknown: phUnknown, RefundProcessing: phProcessing,
	RefundRefused: phRefused, RefundRefunded: phDone, RefundFailed: phFailed, RefundManual: phManual,
}

func refundState(ph phase) RefundState {
	for st, p := range refundPhases {
		if p == ph {
			return st
		}
	}
	return RefundUnknown
}

// driveRefund moves a refund to a final state by settle's rules, or
// returns with it open once ManualAfter has passed.
func (s *Payments) driveRefund(ctx context.Context, rf *Refund, ch app.PaymentChannel, onEvent EventFunc) (RefundResult, error) {
	start := s.clock.Now()
	elapsed := func() time.Duration { return max(s.clock.Since(start), 0) }
	emit := func(step Step, msg app.Message, res app.ChannelResult) {
		onEvent.emit(Event{Kind: EventRefund, Ref: rf.OutRefundNo, State: string(rf.State), Step: step,
			Elapsed: elapsed(), Msg: msg, ChannelCode: res.Code, ChannelMsg: res.Message, Final: step == StepFinal})
	}
	bg := context.WithoutCancel(ctx)
	yield := func() (app.Message, error) {
		cur, err := s.store.GetRefund(bg, rf.OutRefundNo)
		if err != nil {
			return app.Msg("refund.later"), err
		}
		*rf = cur
		if cur.State.Final() {
			return refundMessage(*rf), nil
		}
		return app.Msg("refund.driven_elsewhere"), ErrUnfinished.Wrap(ErrStale)
	}
	op := settling{
		amount:  rf.Amount,
		phase:   func() phase { return refundPhases[rf.State] },
		elapsed: elapsed,
		save: func(ph phase) error {
			st := refundState(ph)
			if st == rf.State {
				return nil
			}
			was := rf.State
			rf.State, rf.UpdatedAt = st, s.clock.Now()
			err := s.store.SaveRefund(bg, rf)
			if err != nil {
				rf.State = was
			}
			return err
		},
		finish: func(ph phase, res app.ChannelResult, note app.Message) (app.Message, error) {
			st := refundState(ph)
			now := s.clock.Now()
			rf.State, rf.UpdatedAt, rf.FinishedAt = st, now, now
			err := s.store.FinishRefund(bg, rf)
			if errors.Is(err, ErrStale) {
				return yield()
			}
			msg := note
			if msg.IsZero() {
				msg = refundMessage(*rf)
			}
			if err != nil {
				return msg, ErrResultNotSaved.With("State", string(st)).Wrap(err)
			}
			s.orderChanged(rf.OrderNo)
			emit(StepFinal, msg, res)
			return msg, nil
		},
		yield: yield,
		record: func(res app.ChannelResult) {
			if res.TransactionID != "" {
				rf.RefundID = res.TransactionID
			}
			if res.Code != "" || res.Message != "" {
				rf.ChannelCode, rf.ChannelMsg = res.Code, res.Message
			}
		},
		call: func(send bool) (app.ChannelResult, error) {
			cctx, cancel := s.callCtx(ctx)
			defer cancel()
			if send {
				return ch.Refund(cctx, rf.request())
			}
			return ch.RefundQuery(cctx, rf.request())
		},
		emit: emit,
		words: settleWords{
			sending: app.Msg("refund.sending"), querying: app.Msg("refund.querying"),
			waiting: app.Msg("refund.processing"), later: app.Msg("refund.later"),
			mismatch: func(asked, got app.Money) app.Message {
				return app.Msg("refund.amount_mismatch", "Asked", asked, "Got", got)
			},
		},
	}
	emit(StepCreated, app.Msg("refund.sending"), app.ChannelResult{})
	msg, err := s.settle(ctx, op)
	return refundResult(*rf, msg, elapsed()), err
}
