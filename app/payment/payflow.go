package app

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// PayInput is one payment (or deposit freeze) at the counter.
type PayInput struct {
	// Order is the cart. Lines are optional (a typed amount needs none);
	// OrderNo, Kind, Status, StoreID and TerminalID are filled in when empty.
	Order Order
	// Code is what the scanner read from the customer's phone.
	Code string
	// Amount to take; 0 means Order.Payable. With lines it must equal
	// Order.Payable.
	Amount Money
	// Deposit freezes the amount (hotel deposit) instead of a sale.
	Deposit bool
	// Subject shown in the customer's wallet; default Terminal.Subject.
	Subject string
	// StaffCode is sent to the channel as the operator.
	StaffCode string
	OnEvent   EventFunc
}

// PayResult is where a payment ended.
type PayResult struct {
	OrderID       int64
	OrderNo       string
	OutTradeNo    string
	State         IntentState
	Wallet        Wallet
	Channel       ChannelName
	Amount        Money
	Deposit       bool
	TransactionID string
	Code          string // the channel's code, if any
	Message       string // what happened, Chinese / English
	Elapsed       time.Duration
}

// Paid reports whether the money was taken and the order committed.
func (r PayResult) Paid() bool { return r.State == IntentPaid }

// ErrNoStaff is returned when the order names no staff member.
var ErrNoStaff = errors.New("订单缺少收银员 / the order has no staff member")

// ErrAmountMismatch is returned when the amount differs from the order's.
var ErrAmountMismatch = errors.New("金额与订单应付金额不符 / amount does not match the order's payable amount")

// Pay takes a payment by the customer's code and returns only when it is
// final: paid, failed, reversed, closed or manual. The intent (and the order,
// status paying) is durable before the first network call; the channel is
// queried on a schedule while the answer is pending or unknown, and the
// order is reversed after the deadline (never sooner than MinReverseAge
// after the pay call). An error before anything was written (not a
// payment code, amount, channel not configured, duplicate scan) means
// nothing was sent. After that, errors are storage failures or ctx ending;
// the intent then stays open and Recover finishes it.
func (s *Payments) Pay(ctx context.Context, in PayInput) (PayResult, error) {
	wallet, code, err := ClassifyCode(in.Code)
	if err != nil {
		return PayResult{}, err
	}
	o := in.Order
	amount := in.Amount
	if len(o.Lines) > 0 {
		if err := o.Recompute(); err != nil {
			return PayResult{}, err
		}
		if amount == 0 {
			amount = o.Payable
		}
	} else if o.Total == 0 {
		o.Total = amount + o.Discount
	}
	if amount == 0 {
		amount = o.Payable
	}
	if err := s.checkAmount(amount); err != nil {
		return PayResult{}, err
	}
	ch, err := s.ChannelFor(wallet)
	if err != nil {
		return PayResult{}, err
	}
	if o.StaffID == 0 {
		return PayResult{}, ErrNoStaff
	}
	now := s.clock.Now()
	if err := o.Recompute(); err != nil {
		return PayResult{}, err
	}
	if o.Payable != amount {
		return PayResult{}, fmt.Errorf("%w: %s ≠ %s", ErrAmountMismatch, amount, o.Payable)
	}
	kind := IntentKindPay
	o.Kind = OrderSale
	if in.Deposit {
		kind, o.Kind = IntentKindDeposit, OrderDeposit
	}
	if o.OrderNo == "" {
		o.OrderNo = NewOrderNo(s.term.OrderPrefix, now)
	}
	if o.StoreID == 0 {
		o.StoreID = s.term.StoreID
	}
	if o.TerminalID == 0 {
		o.TerminalID = s.term.TerminalID
	}
	o.Status, o.CreatedAt, o.Paid, o.Refunded, o.PaidAt = OrderPaying, now, 0, 0, time.Time{}
	subject := in.Subject
	if subject == "" {
		subject = s.term.Subject
	}
	if subject == "" {
		subject = "商品 / goods"
	}
	intent := PaymentIntent{
		OutTradeNo: o.OrderNo, Kind: kind, Channel: ch.Name(), Wallet: wallet,
		CodeMasked: MaskCode(code), CodeHash: HashCode(code), Amount: amount,
		State: IntentCreated, StaffID: o.StaffID, CreatedAt: now, UpdatedAt: now,
	}
	req := PayRequest{
		OutTradeNo: intent.OutTradeNo, AuthCode: code, Wallet: wallet, Amount: amount, Subject: subject,
		StoreID: s.term.StoreCode, TerminalID: s.term.TerminalCode, StaffID: in.StaffCode,
		ClientIP: s.term.ClientIP, Deposit: in.Deposit,
	}
	r := s.newRun(intent, ch, in.OnEvent)
	r.req = &req
	if !s.register(r) {
		return PayResult{}, fmt.Errorf("%w: %s", ErrDuplicateScan, intent.OutTradeNo)
	}
	defer s.unregister(r)
	if err := s.store.CreateIntent(ctx, &o, &r.in, now.Add(-s.policy.DuplicateWindow)); err != nil {
		return PayResult{}, err
	}
	r.in.OrderID, r.in.OrderNo = o.ID, o.OrderNo
	r.event(StepCreated, msgCreated, ChannelResult{})
	return r.finishWith(r.payAndResolve(ctx))
}

func (s *Payments) checkAmount(a Money) error {
	if a <= 0 {
		return ErrMoneyZero
	}
	if a > s.policy.Ceiling {
		return fmt.Errorf("%w: %s > %s", ErrMoneyCeiling, a, s.policy.Ceiling)
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

// Resume drives one stored, unsettled intent to a final state (what Recover
// does for each). Events go to onEvent.
func (s *Payments) Resume(ctx context.Context, outTradeNo string, onEvent EventFunc) (PayResult, error) {
	in, err := s.store.GetIntent(ctx, outTradeNo)
	if err != nil {
		return PayResult{}, err
	}
	return s.resume(ctx, in, false, onEvent)
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
