package payment

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"cashier/app"
)

// RecoverReport says how Recover left each unsettled payment, refund and
// deposit operation it found.
type RecoverReport struct {
	Payments   []PayResult
	Refunds    []RefundResult
	DepositOps []DepositOpResult
	Errors     []error
}

// Unsettled counts what is still not final (manual payments included:
// they wait for a person).
func (r RecoverReport) Unsettled() int {
	n := 0
	for _, p := range r.Payments {
		if !p.State.Settled() {
			n++
		}
	}
	for _, f := range r.Refunds {
		if !f.State.Final() {
			n++
		}
	}
	for _, o := range r.DepositOps {
		if !o.State.Final() {
			n++
		}
	}
	return n + len(r.Errors)
}

// Recover settles everything a crash or a power cut left open; call it at
// start-up (off the UI goroutine) and from the sync job. Each unsettled
// payment intent is queried: paid ones are kept (order committed), final
// ones recorded, the rest reversed once the 15-second rule allows — waiting
// on the clock if needed; one never sent is closed without a call; a manual
// one is only queried. Refunds and deposit operations are re-sent with
// their own numbers and queried. Items another goroutine of this process is
// driving are left to it. Several items are resolved at once.
func (s *Payments) Recover(ctx context.Context) (RecoverReport, error) {
	var rep RecoverReport
	intents, err := s.store.OpenIntents(ctx)
	if err != nil {
		return rep, err
	}
	refunds, err := s.store.OpenRefunds(ctx)
	if err != nil {
		return rep, err
	}
	ops, err := s.store.OpenDepositOps(ctx)
	if err != nil {
		return rep, err
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, s.policy.RecoverParallel)
	do := func(f func()) {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			f()
		}()
	}
	fail := func(what string, err error) {
		mu.Lock()
		rep.Errors = append(rep.Errors, fmt.Errorf("%s: %w", what, err))
		mu.Unlock()
	}
	for _, in := range intents {
		s.mu.Lock()
		_, busy := s.active[in.OutTradeNo]
		s.mu.Unlock()
		if busy {
			continue
		}
		do(func() {
			res, err := s.resume(ctx, in, false, nil)
			if err != nil {
				fail(in.OutTradeNo, err)
				return
			}
			mu.Lock()
			rep.Payments = append(rep.Payments, res)
			mu.Unlock()
		})
	}
	for _, rf := range refunds {
		do(func() {
			res, err := s.ResumeRefund(ctx, rf.OutRefundNo, nil)
			if errors.Is(err, ErrRefundInProgress) {
				return
			}
			if err != nil {
				fail(rf.OutRefundNo, err)
				return
			}
			mu.Lock()
			rep.Refunds = append(rep.Refunds, res)
			mu.Unlock()
		})
	}
	for _, op := range ops {
		do(func() {
			res, err := s.resumeDepositOp(ctx, op)
			if errors.Is(err, ErrDepositBusy) {
				return
			}
			if err != nil {
				fail(op.OutRequestNo, err)
				return
			}
			mu.Lock()
			rep.DepositOps = append(rep.DepositOps, res)
			mu.Unlock()
		})
	}
	wg.Wait()
	return rep, ctx.Err()
}

func (s *Payments) resumeDepositOp(ctx context.Context, op DepositOp) (DepositOpResult, error) {
	if op.State.Final() {
		return opResult(op, opMessage(op), 0), nil
	}
	ch, err := s.channelNamed(op.Deposit.Channel)
	if err != nil {
		return opResult(op, app.Message{}, 0), err
	}
	if !s.claim(op.OutRequestNo) {
		return opResult(op, app.Message{}, 0), ErrDepositBusy
	}
	defer s.unclaim(op.OutRequestNo)
	return s.driveDepositOp(ctx, &op, ch, "", nil)
}
