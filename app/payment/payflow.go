package payment

import (
	"context"
	"time"

	"cashier/app"
)

// PayInput is one wallet tender: the customer's code against an open order
// (or a deposit order's freeze).
type PayInput struct {
	// Order is the open order the tender pays, as loaded (ID, OrderNo,
	// Kind, Payable, Tenders). A deposit order's tender freezes the money.
	Order app.Order
	// Code is what the scanner read from the customer's phone.
	Code string
	// Amount to take; 0 means all the order still has due.
	Amount app.Money
	// Subject shown in the customer's wallet; default Terminal.Subject.
	Subject string
	// StaffID takes the tender (its shift is the tender's); StaffCode is
	// sent to the channel as the operator.
	StaffID   int64
	StaffCode string
	OnEvent   EventFunc
}

// PayResult is where a wallet tender ended.
type PayResult struct {
	OrderID       int64
	OrderNo       string
	TenderID      int64
	OutTradeNo    string
	State         IntentState
	Wallet        app.Wallet
	Channel       app.ChannelName
	Amount        app.Money
	Deposit       bool
	TransactionID string
	Code          string // the channel's code, if any
	ChannelMsg    string // the channel's words, if any
	Msg           app.Message
	Elapsed       time.Duration
}

// Paid reports whether the money was taken.
func (r PayResult) Paid() bool { return r.State == IntentPaid }

// Pay takes a wallet tender by the customer's code and returns only when it
// is final: paid, failed, reversed, closed or manual. The tender and its
// intent are durable before the first network call; the channel is queried
// on a schedule while the answer is pending or unknown, and the payment is
// reversed after the deadline (never sooner than MinReverseAge after the
// pay call). An error before anything was written (not a payment code,
// amount, channel not configured, duplicate scan, order not open) means
// nothing was sent. After that, errors are storage failures or ctx ending;
// the intent then stays open and Recover finishes it.
func (s *Payments) Pay(ctx context.Context, in PayInput) (PayResult, error) {
	wallet, code, err := app.ClassifyCode(in.Code)
	if err != nil {
		return PayResult{}, err
	}
	if wallet == app.WalletMember {
		return PayResult{}, ErrMemberNotSetUp
	}
	o := in.Order
	if o.ID == 0 || !o.Status.Open() {
		return PayResult{}, app.ErrOrderNotOpen.With("OrderNo", o.OrderNo)
	}
	amount := in.Amount
	if amount == 0 {
		amount = o.Due()
	}
	if err := s.checkAmount(amount); err != nil {
		return PayResult{}, err
	}
	if err := o.CheckTender(app.TenderWallet, amount); err != nil {
		return PayResult{}, err
	}
	ch, err := s.ChannelFor(wallet)
	if err != nil {
		return PayResult{}, err
	}
	if in.StaffID == 0 {
		return PayResult{}, ErrNoStaff
	}
	now := s.clock.Now()
	hash := app.HashCode(code)
	if err := s.recentCode(hash); err != nil {
		return PayResult{}, err
	}
	kind := IntentKindPay
	if o.Kind == app.OrderDeposit {
		kind = IntentKindDeposit
	}
	subject := in.Subject
	if subject == "" {
		subject = s.term.Subject
	}
	intent := PaymentIntent{
		OutTradeNo: app.NewOrderNo(s.term.NumberPrefix, now), OrderID: o.ID, OrderNo: o.OrderNo,
		Kind: kind, Channel: ch.Name(), Wallet: wallet,
		CodeMasked: app.MaskCode(code), CodeHash: hash, Amount: amount,
		State: IntentCreated, StaffID: in.StaffID, CreatedAt: now, UpdatedAt: now,
	}
	req := app.PayRequest{
		OutTradeNo: intent.OutTradeNo, AuthCode: code, Wallet: wallet, Amount: amount, Subject: subject,
		StoreID: s.term.StoreCode, TerminalID: s.term.TerminalCode, StaffID: in.StaffCode,
		ClientIP: s.term.ClientIP, Deposit: kind == IntentKindDeposit,
	}
	if wallet == app.WalletAlipay && kind == IntentKindPay {
		// The order's non-discountable goods stay out of Alipay's
		// promotions; a tender paying part of the order protects as much
		// of them as it covers.
		req.Undiscountable = min(o.NonDiscountable, amount)
	}
	r := s.newRun(intent, ch, in.OnEvent)
	r.req = &req
	if !s.register(r) {
		return PayResult{}, ErrDuplicateScan.With("OutTradeNo", intent.OutTradeNo, "State", string(IntentCreated))
	}
	defer s.unregister(r)
	if err := s.store.CreateIntent(ctx, &r.in, now.Add(-s.policy.DuplicateWindow)); err != nil {
		return PayResult{}, err
	}
	s.mu.Lock()
	s.codes[hash] = recent{at: now, no: intent.OutTradeNo}
	s.mu.Unlock()
	r.event(StepCreated, app.Msg("pay.created"), app.ChannelResult{})
	return r.finishWith(r.payAndResolve(ctx))
}

// recentCode refuses a code this process charged within the duplicate
// window, measured on the monotonic clock so setting the system time
// forward cannot open the window early. The store refuses the rest (an
// unsettled payment with the code, or one within the window by the
// stored times, as after a restart).
func (s *Payments) recentCode(hash string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, c := range s.codes {
		if s.clock.Since(c.at) >= s.policy.DuplicateWindow {
			delete(s.codes, h)
		}
	}
	if c, ok := s.codes[hash]; ok {
		return ErrDuplicateScan.With("OutTradeNo", c.no, "State", "")
	}
	return nil
}

// Cancel is the cashier's cancel of a payment still in progress: query
// once more, and unless it turned out paid, reverse it (after the 15-second
// rule). If Pay is running in this process its loop does this and Pay
// returns the final result too; otherwise (after a restart, a manual
// intent) Cancel drives the intent itself. A manual intent is only
// queried, never reversed. Cancel returns the final result.
func (s *Payments) Cancel(ctx context.Context, outTradeNo string) (PayResult, error) {
	s.mu.Lock()
	r := s.active[outTradeNo]
	s.mu.Unlock()
	if r != nil {
		r.requestCancel()
		select {
		case <-r.done:
			return r.result, r.err
		case <-ctx.Done():
			return r.snapshot(), ctx.Err()
		}
	}
	in, err := s.store.GetIntent(ctx, outTradeNo)
	if err != nil {
		return PayResult{}, err
	}
	return s.resume(ctx, in, true, nil)
}

func (s *Payments) resume(ctx context.Context, in PaymentIntent, cancel bool, onEvent EventFunc) (PayResult, error) {
	if in.State.Settled() {
		r := s.newRun(in, nil, onEvent)
		return r.snapshot(), nil
	}
	ch, err := s.channelNamed(in.Channel)
	if err != nil {
		return PayResult{}, err
	}
	r := s.newRun(in, ch, onEvent)
	if !s.register(r) {
		// Someone in this process is already driving it: wait for them.
		s.mu.Lock()
		other := s.active[in.OutTradeNo]
		s.mu.Unlock()
		if other == nil {
			return s.resume(ctx, in, cancel, onEvent)
		}
		if cancel {
			other.requestCancel()
		}
		select {
		case <-other.done:
			return other.result, other.err
		case <-ctx.Done():
			return other.snapshot(), ctx.Err()
		}
	}
	defer s.unregister(r)
	if cancel {
		r.requestCancel()
	}
	return r.finishWith(r.recoverIntent(ctx))
}

func (s *Payments) register(r *payRun) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.active[r.in.OutTradeNo]; ok {
		return false
	}
	s.active[r.in.OutTradeNo] = r
	return true
}

func (s *Payments) unregister(r *payRun) {
	s.mu.Lock()
	if s.active[r.in.OutTradeNo] == r {
		delete(s.active, r.in.OutTradeNo)
	}
	s.mu.Unlock()
	close(r.done)
}

// Active lists the out_trade_nos of payments being driven in this process.
func (s *Payments) Active() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.active))
	for k := range s.active {
		out = append(out, k)
	}
	return out
}
