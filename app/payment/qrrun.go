package payment

import (
	"context"
	"errors"
	"time"

	"cashier/app"
)

// qrDrive is what a payRun driving a QR payment needs besides the intent.
type qrDrive struct {
	ch   app.QRChannel
	req  *app.PrecreateRequest // nil when resuming: nothing is created again
	onQR QRFunc
}

// qrPrecreateTries bounds the precreate calls of one payment: after a lost
// answer the same request is sent again (the channel gives back the same
// order and code), and when that does not answer either the order is
// queried and closed instead.
const qrPrecreateTries = 3

// untilExpiry is how long the customer still has to pay.
func (r *payRun) untilExpiry() time.Duration { return -r.s.clock.Since(r.in.ExpiresAt) }

func (r *payRun) qrWaitMsg(time.Duration) app.Message {
	return app.Msg("pay.qr_waiting", "Left", secondsUp(r.untilExpiry()))
}

// secondsUp is d in whole seconds, rounded up, never negative.
func secondsUp(d time.Duration) int { return int((max(d, 0) + time.Second - 1) / time.Second) }

// qrSave records a non-final state with the QR words, like setState.
func (r *payRun) qrSave(ctx context.Context, st IntentState, res app.ChannelResult, msg app.Message) error {
	r.record(res)
	r.in.State, r.in.UpdatedAt = st, r.now()
	r.msg = msg
	if err := r.s.store.SaveIntent(context.WithoutCancel(ctx), &r.in); errors.Is(err, ErrStale) {
		return errYield
	}
	r.event(StepAnswer, r.msg, res)
	return nil
}

// sendPrecreate records the attempt durably, then asks the channel for
// the code. neverSent is true only for a first attempt the client refused
// before sending.
func (r *payRun) sendPrecreate(ctx context.Context) (app.QRResult, bool, error) {
	var qr app.QRResult
	res, neverSent, err := r.sendOnce(ctx, app.Msg("pay.qr_creating"), func(c context.Context) (app.ChannelResult, error) {
		var e error
		qr, e = r.qr.ch.Precreate(c, *r.qr.req)
		return qr.ChannelResult, e
	})
	qr.ChannelResult = res
	return qr, neverSent, err
}

// qrPay creates the code, shows it and waits for the customer.
func (r *payRun) qrPay(ctx context.Context) (PayResult, error) {
	p := r.s.policy
	if r.cancelRequested() {
		r.note = app.Msg("pay.cancelled_before_send")
		return r.finish(ctx, IntentClosed, app.ChannelResult{})
	}
	res, neverSent, err := r.sendPrecreate(ctx)
	if err != nil {
		return r.interrupted(err)
	}
	if neverSent {
		return r.finish(ctx, IntentFailed, res.ChannelResult)
	}
	for tries := 1; res.Outcome == app.OutcomeUnknown && !res.Foreign && tries < qrPrecreateTries &&
		!r.cancelRequested() && r.untilExpiry() > 0; tries++ {
		if err := r.sleep(ctx, p.RetryWait, true, r.stateMsg); err != nil {
			return r.interrupted(err)
		}
		if r.cancelRequested() {
			break
		}
		if res, _, err = r.sendPrecreate(ctx); err != nil {
			if errors.Is(err, errYield) {
				return r.yield(ctx)
			}
			break // could not record the repeat: do not send it
		}
	}
	switch {
	case res.Foreign:
		return r.foreign(ctx, res.ChannelResult)
	case res.Outcome == app.OutcomeSuccess && res.CodeURL != "":
		// Stored before it is shown: whoever settles this payment later
		// knows a customer may have scanned it.
		r.in.CodeURL = res.CodeURL
		if err := r.qrSave(ctx, IntentPaying, res.ChannelResult, app.Msg("pay.qr_shown")); err != nil {
			return r.interrupted(err)
		}
		if r.cancelRequested() {
			return r.qrEnd(ctx)
		}
		r.event(StepQRShown, r.qrWaitMsg(0), app.ChannelResult{})
		if r.qr.onQR != nil {
			r.qr.onQR(r.in.CodeURL, r.in.ExpiresAt)
		}
		return r.qrWait(ctx)
	case res.Outcome == app.OutcomeFailed && r.in.Attempts == 1:
		return r.finish(ctx, IntentFailed, res.ChannelResult)
	}
	// No code to show (unanswered, or refused after an unanswered
	// attempt): nobody can pay, but the channel may hold an order under
	// the number — query it and close it.
	if err := r.qrSave(ctx, IntentUnknown, res.ChannelResult, app.Msg("pay.unknown")); err != nil {
		return r.interrupted(err)
	}
	return r.qrEnd(ctx)
}

// qrWait queries until the customer has paid, the code expired or the
// cashier cancelled.
func (r *payRun) qrWait(ctx context.Context) (PayResult, error) {
	p := r.s.policy
	for {
		left := r.untilExpiry()
		if r.cancelRequested() || left <= 0 {
			return r.qrEnd(ctx)
		}
		if err := r.sleep(ctx, min(p.QueryInterval, left), true, r.qrWaitMsg); err != nil {
			return r.interrupted(err)
		}
		if r.cancelRequested() || r.untilExpiry() <= 0 {
			return r.qrEnd(ctx)
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
		// NOTPAY, WAIT_BUYER_PAY, Alipay's no trade before the scan, or no
		// answer: the customer still has the code.
		r.event(StepWaiting, r.qrWaitMsg(0), q)
	}
}

// qrEnd closes a QR order nobody may pay any more (expired, cancelled, a
// code never shown, or found after a restart): a query first, so a
// payment made at the last moment is kept; then the channel's close,
// repeated until it answers, ManualAfter at most. "Not charged" is said
// only when the channel closed the order.
func (r *payRun) qrEnd(ctx context.Context) (PayResult, error) {
	p := r.s.policy
	cancelled := r.cancelRequested()
	if cancelled && !r.cancelSeen {
		r.cancelSeen = true
		r.event(StepCancel, app.Msg("pay.qr_cancel"), app.ChannelResult{})
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
	if r.qr == nil || r.qr.ch == nil {
		// The channel no longer shows QR codes (its settings changed): a
		// person closes it at the merchant platform.
		return r.finish(ctx, IntentManual, q)
	}
	if err := r.qrSave(ctx, IntentReversing, app.ChannelResult{}, app.Msg("pay.qr_closing")); err != nil {
		return r.interrupted(err)
	}
	switch {
	case cancelled:
		r.note = app.Msg("pay.qr_cancelled")
	case r.in.CodeURL == "":
		r.note = app.Msg("pay.qr_not_created")
	case r.untilExpiry() <= 0:
		r.note = app.Msg("pay.qr_expired")
	default:
		r.note = app.Msg("pay.qr_closed")
	}
	start := r.now()
	for {
		cl, err := r.ask(ctx, StepReversing, app.Msg("pay.qr_closing"), r.qr.ch.CloseQR)
		if err != nil {
			return r.interrupted(err)
		}
		known := r.in.TransactionID
		r.record(cl)
		if known != "" {
			r.in.TransactionID = known
		}
		switch {
		case cl.Foreign:
			return r.foreign(ctx, cl)
		case cl.Outcome == app.OutcomeSuccess && cl.TradeState == "REVOKED":
			// Alipay's cancel found it paid and gave the money back.
			r.note = app.Msg("pay.reversed")
			return r.finish(ctx, IntentReversed, cl)
		case cl.Outcome == app.OutcomeSuccess:
			return r.finish(ctx, IntentClosed, cl)
		case cl.NotFound && r.in.CodeURL == "":
			// No order under the number and no code ever shown: nothing
			// can be paid.
			return r.finish(ctx, IntentClosed, cl)
		case cl.Outcome == app.OutcomeFailed || cl.NotFound:
			// Refused (WeChat ORDERPAID: it was paid) or not found though
			// a code was shown: the order itself decides.
			q, err := r.query(ctx)
			if err != nil {
				return r.interrupted(err)
			}
			if q.Foreign {
				return r.foreign(ctx, q)
			}
			if st, ok := settledByQuery(q); ok {
				r.note = app.Message{}
				return r.settle(ctx, st, q)
			}
		}
		left := p.ManualAfter - r.since(start)
		if left <= 0 {
			r.note = app.Message{}
			return r.finish(ctx, IntentManual, cl)
		}
		wait := p.QueryInterval
		if cl.Retry {
			wait = p.RetryWait
		}
		if err := r.sleep(ctx, min(wait, left), false, qrClosingMsg); err != nil {
			return r.interrupted(err)
		}
	}
}

func qrClosingMsg(time.Duration) app.Message { return app.Msg("pay.qr_closing") }

// recoverQR settles a QR payment no loop drives (after a crash, or a
// cancel after a restart). No screen shows its code any more, so it is
// not waited for: queried, and unless paid, closed.
func (r *payRun) recoverQR(ctx context.Context) (PayResult, error) {
	if qc, ok := r.ch.(app.QRChannel); ok {
		r.qr = &qrDrive{ch: qc}
	}
	return r.qrEnd(ctx)
}
