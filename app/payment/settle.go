package payment

import (
	"context"
	"errors"
	"time"

	"cashier/app"
)

// A refund and a deposit consume or release are the same kind of thing to
// the money-safety rules: a number written durably, sent to the channel,
// and driven until it is done, failed or handed to a person. settle holds
// those rules once; each kind keeps its own states, records and words.

// phase is where an operation stands, in the terms settle decides by.
type phase int

const (
	phCreated    phase = iota // written, never sent
	phSent                    // a send may have gone out
	phUnknown                 // the last send went unanswered: query before sending again
	phProcessing              // accepted, not settled yet
	phRefused                 // a re-send was refused for good: the query decides
	phDone
	phFailed
	phManual // the channel reports another amount: a person checks
)

// settling is one operation as settle drives it.
type settling struct {
	amount  app.Money
	phase   func() phase
	elapsed func() time.Duration
	// save records a phase (compare-and-set: ErrStale when another
	// process moved it first); nothing is written when the kind has no
	// state of its own for it.
	save func(phase) error
	// finish records a final phase and says what to tell the person
	// (note, when set, instead of the state's own words).
	finish func(phase, app.ChannelResult, app.Message) (app.Message, error)
	// yield is the answer when another process moved the operation first.
	yield  func() (app.Message, error)
	record func(app.ChannelResult)
	call   func(send bool) (app.ChannelResult, error)
	emit   func(Step, app.Message, app.ChannelResult)
	words  settleWords
}

type settleWords struct {
	sending, querying, waiting, later app.Message
	mismatch                          func(asked, got app.Money) app.Message
}

// settle moves an operation to a final state, or returns with it open
// once ManualAfter has passed (Recover picks it up then):
//
//   - created: send it (recorded as sent first). Not sent at all → failed;
//     refused → failed; accepted → processing; success → done; anything
//     unclear → unknown.
//   - sent (a send that may have gone out before a crash), unknown,
//     processing, refused: query it, never send blind. Success → done;
//     refused for good → failed; in progress → keep asking. Not found:
//     after a definite refusal of a re-send nothing was made → failed
//     (the refusal is what the person is told); otherwise the earlier
//     send never arrived → send again with the same number.
//   - an answer stating another amount than asked → manual.
func (s *Payments) settle(ctx context.Context, op settling) (app.Message, error) {
	p := s.policy
	later := op.words.later
	notSent := func(err error) app.ChannelResult {
		return app.ChannelResult{Outcome: app.OutcomeUnknown, Code: "NOT_SENT", Message: err.Error()}
	}
	// settled ends the operation when the answer decides it.
	settled := func(res app.ChannelResult) (app.Message, error, bool) {
		if amountDiffers(res, op.amount) {
			m, err := op.finish(phManual, res, op.words.mismatch(op.amount, res.Amount))
			return m, err, true
		}
		if res.Outcome == app.OutcomeSuccess {
			m, err := op.finish(phDone, res, app.Message{})
			return m, err, true
		}
		return app.Message{}, nil, false
	}
	sendNext := op.phase() == phCreated
	wait := time.Duration(0)
	for {
		if wait > 0 {
			left := p.ManualAfter - op.elapsed()
			if left <= 0 {
				op.emit(StepFinal, later, app.ChannelResult{})
				return later, nil
			}
			tick := func(time.Duration) { op.emit(StepWaiting, op.words.waiting, app.ChannelResult{}) }
			if err := s.wait(ctx, min(wait, left), nil, tick); err != nil {
				return later, ErrUnfinished.Wrap(err)
			}
		}
		if sendNext {
			was := op.phase()
			if err := op.save(phSent); err != nil {
				if errors.Is(err, ErrStale) {
					return op.yield()
				}
				return later, ErrNotSent.Wrap(err)
			}
			op.emit(StepSending, op.words.sending, app.ChannelResult{})
			res, err := op.call(true)
			if err != nil {
				res = notSent(err)
				if was == phCreated && ctx.Err() == nil {
					res.Outcome = app.OutcomeFailed // the client refused before sending
				}
			}
			op.record(res)
			if ctx.Err() != nil {
				_ = op.save(phUnknown)
				return later, ErrUnfinished.Wrap(ctx.Err())
			}
			if m, err, ok := settled(res); ok {
				return m, err
			}
			next, w := phUnknown, p.SystemErrorWait
			switch res.Outcome {
			case app.OutcomeFailed:
				if was == phCreated {
					return op.finish(phFailed, res, app.Message{})
				}
				// A refusal of a repeat — even "the settings are wrong" —
				// says nothing of the earlier unanswered send, which may
				// have done it.
				// The query decides.
				next, w = phRefused, p.RetryWait
			case app.OutcomePending:
				next, w = phProcessing, p.QueryInterval
			}
			if res.Retry {
				w = p.RetryWait
			}
			if err := op.save(next); errors.Is(err, ErrStale) {
				return op.yield()
			}
			sendNext, wait = false, w
			op.emit(StepAnswer, op.words.waiting, res)
			continue
		}
		op.emit(StepQuerying, op.words.querying, app.ChannelResult{})
		res, err := op.call(false)
		if err != nil {
			res = notSent(err)
		}
		if ctx.Err() != nil {
			return later, ErrUnfinished.Wrap(ctx.Err())
		}
		if res.NotFound && op.phase() == phRefused {
			// Refused for good and nothing under this number: never made.
			// The refusal, kept in the record, is what the person is told.
			return op.finish(phFailed, res, app.Message{})
		}
		op.record(res)
		if m, err, ok := settled(res); ok {
			return m, err
		}
		wait = p.QueryInterval
		switch {
		case res.Outcome == app.OutcomeFailed:
			return op.finish(phFailed, res, app.Message{})
		case res.NotFound:
			// The earlier send never arrived: send it again (same number).
			sendNext, wait = true, p.RetryWait
		case res.Outcome == app.OutcomePending && op.phase() != phProcessing:
			if err := op.save(phProcessing); errors.Is(err, ErrStale) {
				return op.yield()
			}
		}
		if res.Retry {
			wait = p.RetryWait
		}
		op.emit(StepAnswer, op.words.waiting, res)
	}
}

// amountDiffers reports a channel answer stating another amount than was
// asked (0 means the answer did not say).
func amountDiffers(res app.ChannelResult, asked app.Money) bool {
	return res.Amount > 0 && res.Amount != asked && (res.Outcome == app.OutcomeSuccess || res.Outcome == app.OutcomePending)
}
