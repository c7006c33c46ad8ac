package payment

import "context"

// Reconciliation (app/reconcile) settles one record a bill disagrees with
// through the same path Recover takes for it, instead of waiting for the
// next recovery of everything. These are that path for one payment intent
// and one deposit operation (a refund has ResumeRefund): nothing here
// decides anything the live loops and Recover do not decide already.

// ResumePayment settles one stored payment intent as Recover does: a
// settled one is returned as it is, without a call; a manual one is only
// queried (a foreign one not even that); the rest are queried and, while
// still unknown past the deadline, reversed. A loop of this process that
// is already driving it is waited for.
func (s *Payments) ResumePayment(ctx context.Context, outTradeNo string) (PayResult, error) {
	in, err := s.store.GetIntent(ctx, outTradeNo)
	if err != nil {
		return PayResult{}, err
	}
	return s.resume(ctx, in, false, nil)
}

// ResumeDepositOp settles one stored consume or release as Recover does:
// a final one is returned as it is; the rest are queried before anything
// is sent again. ErrDepositBusy when this process is driving it already.
func (s *Payments) ResumeDepositOp(ctx context.Context, outRequestNo string) (DepositOpResult, error) {
	op, err := s.store.GetDepositOp(ctx, outRequestNo)
	if err != nil {
		return DepositOpResult{}, err
	}
	return s.resumeDepositOp(ctx, op)
}

// NumberPrefix starts every number this terminal sends (orders, refunds,
// deposit operations): a bill line whose number does not is another
// terminal's.
func (s *Payments) NumberPrefix() string { return s.term.NumberPrefix }
