package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// IntentState is where one payment intent (one out_trade_no) stands.
//
//	created ─▶ sent ─▶ paid
//	                ├▶ failed              (the channel said no; no money moved)
//	                ├▶ paying ─▶ …          (customer typing the password: query)
//	                ├▶ unknown ─▶ …         (timeout, SYSTEMERROR, 20000, 3/103: query)
//	                └▶ reversing ─▶ reversed | paid | closed | manual
//
// created means the request was never sent: the intent is written and made
// durable, then moved to sent (durably) before the first byte goes out.
type IntentState string

const (
	IntentCreated   IntentState = "created"
	IntentSent      IntentState = "sent"
	IntentPaying    IntentState = "paying"
	IntentUnknown   IntentState = "unknown"
	IntentReversing IntentState = "reversing"
	IntentPaid      IntentState = "paid"
	IntentFailed    IntentState = "failed"
	IntentReversed  IntentState = "reversed"
	IntentClosed    IntentState = "closed"
	// IntentManual: the machine could not settle it (Cloud Pay's "after 2
	// minutes tell the cashier to check by hand", a reverse that is
	// forbidden or keeps failing). It is final for the cashier; recovery
	// keeps querying it and never reverses it.
	IntentManual IntentState = "manual"
)

// Final reports whether the cashier loop is over for this state.
func (s IntentState) Final() bool {
	switch s {
	case IntentPaid, IntentFailed, IntentReversed, IntentClosed, IntentManual:
		return true
	}
	return false
}

// Settled reports a state no one will ever change again (final, not manual).
func (s IntentState) Settled() bool { return s.Final() && s != IntentManual }

// IntentKind separates sale payments from deposit freezes.
type IntentKind string

const (
	IntentKindPay     IntentKind = "pay"
	IntentKindDeposit IntentKind = "deposit"
)

// PaymentIntent is one attempt to take money with one customer code under
// one merchant order number. The code itself is never stored.
type PaymentIntent struct {
	ID            int64
	OutTradeNo    string
	OrderID       int64
	OrderNo       string
	Kind          IntentKind
	Channel       ChannelName
	Wallet        Wallet
	CodeMasked    string
	CodeHash      string
	Amount        Money
	State         IntentState
	TransactionID string
	ChannelCode   string
	ChannelMsg    string
	Attempts      int // pay calls sent
	StaffID       int64
	CreatedAt     time.Time
	SentAt        time.Time // last pay call
	UpdatedAt     time.Time
	FinishedAt    time.Time
}

func (in PaymentIntent) ref() OrderRef {
	return OrderRef{OutTradeNo: in.OutTradeNo, TransactionID: in.TransactionID, Wallet: in.Wallet, Deposit: in.Kind == IntentKindDeposit}
}

// RefundState is where one refund (one out_refund_no) stands.
type RefundState string

const (
	RefundCreated    RefundState = "created" // written, never sent
	RefundSent       RefundState = "sent"
	RefundProcessing RefundState = "processing" // accepted, money on its way
	RefundUnknown    RefundState = "unknown"
	RefundRefunded   RefundState = "refunded"
	RefundFailed     RefundState = "failed"
)

// Final reports whether the refund is settled.
func (s RefundState) Final() bool { return s == RefundRefunded || s == RefundFailed }

// Refund is one refund of (part of) a paid order or of a consumed deposit.
type Refund struct {
	ID            int64
	OutRefundNo   string
	OrderID       int64
	OrderNo       string
	IntentID      int64
	OutTradeNo    string
	TransactionID string
	Channel       ChannelName
	Wallet        Wallet
	Deposit       bool
	Total         Money // the paid intent's amount (total_fee)
	// For money taken from a deposit: the consume that took it (its
	// request number, the channel's number for its result, its amount).
	ConsumeNo   string
	ConsumeTxn  string
	Consumed    Money
	Amount      Money
	Reason      string
	State       RefundState
	RefundID    string
	ChannelCode string
	ChannelMsg  string
	StaffID     int64
	ApprovedBy  int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	FinishedAt  time.Time
}

// request names the order the money sits in. For a sale that is the paid
// order. For a consumed deposit it is where the consume put the money: a
// consume answered with the deposit's own transaction number stayed on
// the deposit (WeChat: refund the deposit order, its total), one answered
// with another number created its own order at the channel (Alipay's
// capture trade, Cloud Pay's consumption order: refund that order, whose
// total is the consumed amount).
func (r Refund) request() RefundRequest {
	ref := OrderRef{OutTradeNo: r.OutTradeNo, TransactionID: r.TransactionID, Wallet: r.Wallet, Deposit: r.Deposit}
	total := r.Total
	if r.Deposit && r.ConsumeNo != "" && (r.ConsumeTxn == "" || r.ConsumeTxn != r.TransactionID) {
		ref.OutTradeNo, ref.TransactionID, total = r.ConsumeNo, r.ConsumeTxn, r.Consumed
	}
	return RefundRequest{OrderRef: ref, OutRefundNo: r.OutRefundNo, Total: total, Amount: r.Amount, Reason: r.Reason}
}

// DepositState is a deposit's life after it was frozen.
type DepositState string

const (
	DepositFrozen   DepositState = "frozen"
	DepositConsumed DepositState = "consumed" // part or all taken; the rest went back
	DepositReleased DepositState = "released" // all went back
	DepositExpired  DepositState = "expired"
)

// Deposit is a frozen (pre-authorised) amount on a customer's wallet.
type Deposit struct {
	ID            int64
	DepositNo     string // = the order number; printed as a barcode
	OrderID       int64
	IntentID      int64
	OutTradeNo    string
	TransactionID string
	Channel       ChannelName
	Wallet        Wallet
	Amount        Money
	Consumed      Money
	Released      Money
	State         DepositState
	GuestName     string
	Room          string
	CreatedAt     time.Time
	PaidAt        time.Time // when the freeze succeeded
	SettledAt     time.Time
}

// DepositOpState is where one deposit operation stands.
type DepositOpState string

const (
	DepositOpCreated DepositOpState = "created"
	DepositOpSent    DepositOpState = "sent"
	DepositOpUnknown DepositOpState = "unknown"
	DepositOpDone    DepositOpState = "done"
	DepositOpFailed  DepositOpState = "failed"
)

// Final reports whether the operation is settled.
func (s DepositOpState) Final() bool { return s == DepositOpDone || s == DepositOpFailed }

// DepositOp is one consume or release of a deposit, under its own
// idempotent request number.
type DepositOp struct {
	ID           int64
	DepositID    int64
	Deposit      Deposit // the deposit as it was when the op was loaded
	Kind         DepositOpKind
	OutRequestNo string
	Amount       Money
	State        DepositOpState
	// TransactionID is the channel's number for the result (a consume's
	// capture trade / consumption order).
	TransactionID string
	ChannelCode   string
	ChannelMsg    string
	StaffID       int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// PaymentStore is what the payment state machine needs from storage. Every
// method commits durably before it returns.
type PaymentStore interface {
	// CreateIntent writes the order (status paying) and the intent (state
	// created) in one transaction and sets their IDs. In the same
	// transaction it refuses with a *DuplicateScanError when an intent with
	// the same CodeHash, created at or after dupSince, is in any state but
	// failed — so one code cannot be charged twice by a double scan.
	CreateIntent(ctx context.Context, o *Order, in *PaymentIntent, dupSince time.Time) error
	// SaveIntent records a non-final state, attempt count, sent time and
	// the channel's words.
	SaveIntent(ctx context.Context, in *PaymentIntent) error
	// FinishIntent records a final state and, in the same transaction,
	// the order's: paid → order paid (and, for a deposit, the deposit row,
	// frozen); failed, reversed, closed → order closed; manual → order
	// left paying. It returns ErrIntentSettled when the stored intent is
	// already settled (paid, failed, reversed, closed).
	FinishIntent(ctx context.Context, in *PaymentIntent) error
	GetIntent(ctx context.Context, outTradeNo string) (PaymentIntent, error)
	// OpenIntents lists every intent that is not settled (manual included).
	OpenIntents(ctx context.Context) ([]PaymentIntent, error)
	// PaidOrder finds an order and the intent that paid it.
	PaidOrder(ctx context.Context, orderNo string) (Order, PaymentIntent, error)

	// CreateRefund writes a refund (state created) and the audit entry in
	// one transaction; for a deposit it fills ConsumeNo, ConsumeTxn and
	// Consumed from the done consume. In that transaction it refuses with
	// ErrRefundInProgress when another refund of the order is not final,
	// and with a *RefundExceedsError when the amount is more than what is
	// left: paid (or, for a deposit, consumed) minus every refund not failed.
	CreateRefund(ctx context.Context, r *Refund, audit AuditEntry) error
	SaveRefund(ctx context.Context, r *Refund) error
	// FinishRefund records a final state; refunded also adds the amount to
	// the order in the same transaction. ErrRefundSettled if already final.
	FinishRefund(ctx context.Context, r *Refund) error
	GetRefund(ctx context.Context, outRefundNo string) (Refund, error)
	OpenRefunds(ctx context.Context) ([]Refund, error)

	GetDeposit(ctx context.Context, depositNo string) (Deposit, error)
	// CreateDepositOp writes an operation (state created) after checking,
	// in the same transaction, that the deposit is frozen, has no other
	// open operation and covers the amount.
	CreateDepositOp(ctx context.Context, op *DepositOp, audit AuditEntry) error
	SaveDepositOp(ctx context.Context, op *DepositOp) error
	// FinishDepositOp records a final state; done also applies it to the
	// deposit: consume → consumed = amount, the rest released, state
	// consumed; release → the rest released, state released.
	FinishDepositOp(ctx context.Context, op *DepositOp) error
	OpenDepositOps(ctx context.Context) ([]DepositOp, error)
}

// RefundAuthorizer decides whether a person may refund an order. The
// staff/permissions rule plugs in here (RefundRule is the standard one).
type RefundAuthorizer interface {
	AuthorizeRefund(ctx context.Context, by Staff, o Order, amount Money) error
}

// RefundAuthorizerFunc adapts a function.
type RefundAuthorizerFunc func(ctx context.Context, by Staff, o Order, amount Money) error

func (f RefundAuthorizerFunc) AuthorizeRefund(ctx context.Context, by Staff, o Order, amount Money) error {
	return f(ctx, by, o, amount)
}

// RefundRule is the shop's rule (CanRefund): a clerk holding the refund
// permission only while clocked on, a manager or administrator holding it
// at any time.
type RefundRule struct {
	ClockedOn func(ctx context.Context, staffID int64) (bool, error)
}

func (r RefundRule) AuthorizeRefund(ctx context.Context, by Staff, _ Order, _ Money) error {
	on := false
	if r.ClockedOn != nil {
		var err error
		if on, err = r.ClockedOn(ctx, by.ID); err != nil {
			return err
		}
	}
	return CanRefund(by, on)
}

// Errors of the payment use cases. Each says what happened in Chinese and
// English; none of them means money moved.
var (
	ErrDuplicateScan        = errors.New("该付款码刚刚已扫过 / this payment code was just scanned")
	ErrChannelNotConfigured = errors.New("支付通道未配置 / payment channel not configured")
	ErrIntentSettled        = errors.New("该笔支付已结束 / this payment is already settled")
	ErrRefundSettled        = errors.New("该笔退款已结束 / this refund is already settled")
	ErrRefundInProgress     = errors.New("该订单有退款正在处理 / a refund of this order is still in progress")
	ErrRefundExceeds        = errors.New("退款金额超过可退金额 / refund more than what is left")
	ErrNotRefundable        = errors.New("订单未支付，不能退款 / the order is not paid, nothing to refund")
	ErrDepositState         = errors.New("押金不是冻结状态 / the deposit is not frozen")
	ErrDepositAmount        = errors.New("消费金额须大于0且不超过押金 / the amount must be more than 0 and at most the deposit")
	ErrDepositBusy          = errors.New("该押金有操作正在处理 / an operation on this deposit is still in progress")
	ErrNoRefundRule         = errors.New("未配置退款权限规则 / no refund permission rule configured")
)

// DuplicateScanError names the earlier payment made with the same code.
type DuplicateScanError struct {
	OutTradeNo string
	State      IntentState
	At         time.Time
}

func (e *DuplicateScanError) Error() string {
	return fmt.Sprintf("%s（订单 %s，%s）/ %s (order %s, %s); 未再次扣款 / not charged again",
		"该付款码刚刚已扫过", e.OutTradeNo, e.State, "this payment code was just scanned", e.OutTradeNo, e.State)
}
func (e *DuplicateScanError) Unwrap() error { return ErrDuplicateScan }

// RefundExceedsError says how much can still be refunded.
type RefundExceedsError struct{ Asked, Left Money }

func (e *RefundExceedsError) Error() string {
	return fmt.Sprintf("退款金额 %s 超过可退金额 %s / refund %s is more than the %s left", e.Asked, e.Left, e.Asked, e.Left)
}
func (e *RefundExceedsError) Unwrap() error { return ErrRefundExceeds }

// ChannelNotConfiguredError names the wallet that has no channel.
type ChannelNotConfiguredError struct {
	Wallet  Wallet
	Channel ChannelName
}

func (e *ChannelNotConfiguredError) Error() string {
	if e.Channel != "" {
		return fmt.Sprintf("支付通道 %s 未配置 / payment channel %s is not configured; 未发送 / nothing sent", e.Channel, e.Channel)
	}
	return fmt.Sprintf("%s 未开通（没有配置收款通道）/ %s is not set up at this terminal (no channel configured); 未发送 / nothing sent",
		WalletName(e.Wallet), WalletName(e.Wallet))
}
func (e *ChannelNotConfiguredError) Unwrap() error { return ErrChannelNotConfigured }

// PaymentPolicy holds the cashier loop's timings. Zero fields take the
// defaults (DefaultPaymentPolicy); tests shrink them.
type PaymentPolicy struct {
	QueryInterval   time.Duration // between queries while the customer confirms (5 s)
	PayingDeadline  time.Duration // from the first pay call: stop waiting, reverse (45 s)
	SystemErrorWait time.Duration // after an unknown answer, before the first query (5 s)
	RetryWait       time.Duration // before repeating a call the channel asked to repeat (2 s)
	MinReverseAge   time.Duration // no reverse sooner than this after the last pay call (15 s)
	ManualAfter     time.Duration // from the first pay call: give up, ask a person (2 min)
	DuplicateWindow time.Duration // the same code again within this is refused (10 s)
	CallTimeout     time.Duration // upper bound on one channel call (30 s; clients have their own)
	ProgressEvery   time.Duration // a progress event this often while waiting (1 s; <0 none)
	Ceiling         Money         // largest amount (DefaultCeiling)
	RecoverParallel int           // intents resolved at once by Recover (4)
}

// DefaultPaymentPolicy is the production timing, from the channels' rules.
var DefaultPaymentPolicy = PaymentPolicy{
	QueryInterval:   5 * time.Second,
	PayingDeadline:  45 * time.Second,
	SystemErrorWait: 5 * time.Second,
	RetryWait:       2 * time.Second,
	MinReverseAge:   15 * time.Second,
	ManualAfter:     2 * time.Minute,
	DuplicateWindow: 10 * time.Second,
	CallTimeout:     30 * time.Second,
	ProgressEvery:   time.Second,
	Ceiling:         DefaultCeiling,
	RecoverParallel: 4,
}

func (p PaymentPolicy) withDefaults() PaymentPolicy {
	d := DefaultPaymentPolicy
	set := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	set(&p.QueryInterval, d.QueryInterval)
	set(&p.PayingDeadline, d.PayingDeadline)
	set(&p.SystemErrorWait, d.SystemErrorWait)
	set(&p.RetryWait, d.RetryWait)
	set(&p.MinReverseAge, d.MinReverseAge)
	set(&p.ManualAfter, d.ManualAfter)
	set(&p.DuplicateWindow, d.DuplicateWindow)
	set(&p.CallTimeout, d.CallTimeout)
	set(&p.ProgressEvery, d.ProgressEvery)
	if p.Ceiling <= 0 {
		p.Ceiling = d.Ceiling
	}
	if p.RecoverParallel <= 0 {
		p.RecoverParallel = d.RecoverParallel
	}
	if p.ManualAfter < p.PayingDeadline {
		p.ManualAfter = p.PayingDeadline
	}
	return p
}

// PaymentTerminal is this terminal's identity as the channels see it.
type PaymentTerminal struct {
	StoreID      int64
	TerminalID   int64
	StoreCode    string // store_id sent to channels
	TerminalCode string // device_info / terminal_id
	OrderPrefix  string // cashier-id prefix of every out_trade_no (Cloud Pay requires it)
	ClientIP     string // spbill_create_ip
	Subject      string // default body / subject shown in the customer's wallet
}

// ChannelRouter says which channel takes a wallet (For) and finds a
// channel by name for the follow-up calls of an existing payment (Named).
// sync/channel.Channels is one; settings can change it while sales go on.
type ChannelRouter interface {
	For(w Wallet) (PaymentChannel, error)
	Named(n ChannelName) (PaymentChannel, error)
}

// PaymentsConfig builds a Payments service.
type PaymentsConfig struct {
	Store PaymentStore
	// Router routes wallets to channels. When nil, Channels and Others
	// make a fixed router.
	Router ChannelRouter
	// Channels routes each wallet to the channel that takes it. A wallet
	// missing here is refused with a clear message and nothing is sent.
	Channels map[Wallet]PaymentChannel
	// Others are channels no wallet routes to any more but whose old
	// payments may still need a query, reverse or refund.
	Others   []PaymentChannel
	Clock    Clock
	Policy   PaymentPolicy
	Terminal PaymentTerminal
	Refunds  RefundAuthorizer // nil: every refund is refused (ErrNoRefundRule)
}

// Payments is the payment state machine, the same for every channel.
type Payments struct {
	store  PaymentStore
	router ChannelRouter
	clock  Clock
	policy PaymentPolicy
	term   PaymentTerminal
	auth   RefundAuthorizer

	mu     sync.Mutex
	active map[string]*payRun // out_trade_no → the loop driving it in this process
	busy   map[string]bool    // out_refund_no / out_request_no being driven here
}

// NewPayments checks the configuration and builds the service.
func NewPayments(c PaymentsConfig) (*Payments, error) {
	if c.Store == nil {
		return nil, errors.New("payments: no store")
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	s := &Payments{
		store: c.Store, router: c.Router, clock: c.Clock, policy: c.Policy.withDefaults(), term: c.Terminal, auth: c.Refunds,
		active: map[string]*payRun{}, busy: map[string]bool{},
	}
	if s.router == nil {
		m := mapRouter{byWallet: map[Wallet]PaymentChannel{}, byName: map[ChannelName]PaymentChannel{}}
		for w, ch := range c.Channels {
			if ch != nil {
				m.byWallet[w] = ch
				m.byName[ch.Name()] = ch
			}
		}
		for _, ch := range c.Others {
			if _, ok := m.byName[ch.Name()]; ch != nil && !ok {
				m.byName[ch.Name()] = ch
			}
		}
		s.router = m
	}
	return s, nil
}

type mapRouter struct {
	byWallet map[Wallet]PaymentChannel
	byName   map[ChannelName]PaymentChannel
}

func (m mapRouter) For(w Wallet) (PaymentChannel, error) {
	if ch, ok := m.byWallet[w]; ok {
		return ch, nil
	}
	return nil, &ChannelNotConfiguredError{Wallet: w}
}

func (m mapRouter) Named(n ChannelName) (PaymentChannel, error) {
	if ch, ok := m.byName[n]; ok {
		return ch, nil
	}
	return nil, &ChannelNotConfiguredError{Channel: n}
}

// Policy is the effective timing (defaults filled in).
func (s *Payments) Policy() PaymentPolicy { return s.policy }

// ChannelFor is the channel a wallet is routed to; a wallet without one is
// a *ChannelNotConfiguredError (errors.Is ErrChannelNotConfigured).
func (s *Payments) ChannelFor(w Wallet) (PaymentChannel, error) {
	ch, err := s.router.For(w)
	if err == nil && ch == nil {
		err = errors.New("nil channel")
	}
	if err != nil {
		if errors.Is(err, ErrChannelNotConfigured) {
			return nil, err
		}
		return nil, &ChannelNotConfiguredError{Wallet: w}
	}
	return ch, nil
}

func (s *Payments) channelNamed(n ChannelName) (PaymentChannel, error) {
	ch, err := s.router.Named(n)
	if err == nil && ch == nil {
		err = errors.New("nil channel")
	}
	if err != nil {
		if errors.Is(err, ErrChannelNotConfigured) {
			return nil, err
		}
		return nil, &ChannelNotConfiguredError{Channel: n}
	}
	return ch, nil
}

// claim marks a refund or deposit operation number as driven by this
// process so Recover and a second caller leave it alone.
func (s *Payments) claim(no string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy[no] {
		return false
	}
	s.busy[no] = true
	return true
}

func (s *Payments) unclaim(no string) {
	s.mu.Lock()
	delete(s.busy, no)
	s.mu.Unlock()
}

// callCtx bounds one channel call.
func (s *Payments) callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.policy.CallTimeout)
}

// wait sleeps d on the service clock, calling tick with the time left
// every ProgressEvery; it returns early when stop is closed (nil: never)
// and with ctx's error when ctx ends.
func (s *Payments) wait(ctx context.Context, d time.Duration, stop <-chan struct{}, tick func(left time.Duration)) error {
	end := s.clock.Now().Add(d)
	pe := s.policy.ProgressEvery
	for {
		left := end.Sub(s.clock.Now())
		if left <= 0 {
			return ctx.Err()
		}
		step := left
		if pe > 0 && pe < step {
			step = pe
		}
		select {
		case <-s.clock.After(step):
		case <-ctx.Done():
			return ctx.Err()
		case <-stop:
			return nil
		}
		if left = end.Sub(s.clock.Now()); left > 0 && pe > 0 && tick != nil {
			tick(left)
		}
	}
}
