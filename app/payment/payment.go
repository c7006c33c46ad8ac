// Package payment is the payment state machine, the same for every channel:
// a wallet tender's payment intent (pay, query, reverse until final),
// refunds and deposit operations (consume, release), each under its own
// idempotent number, durable before the first byte, and recovery of
// whatever a crash left open.
package payment

import (
	"context"
	"sync"
	"time"

	"cashier/app"
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
	// forbidden or keeps failing, an amount that differs). It is final for
	// the cashier; recovery keeps querying it and never reverses it — and
	// never settles a Foreign one from a query at all.
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
// one merchant order number: the channel side of a wallet tender. The code
// itself is never stored.
type PaymentIntent struct {
	ID            int64
	OutTradeNo    string
	OrderID       int64
	OrderNo       string
	TenderID      int64
	Kind          IntentKind
	Channel       app.ChannelName
	Wallet        app.Wallet
	CodeMasked    string
	CodeHash      string
	Amount        app.Money
	State         IntentState
	TransactionID string
	ChannelCode   string
	ChannelMsg    string
	Attempts      int // pay calls sent
	StaffID       int64
	// Foreign: the channel said this number belongs to another order
	// (Cloud Pay 407); nothing read under it may settle this intent.
	Foreign bool
	// QR: the customer pays by scanning the order's code (qr.go) instead
	// of showing theirs; CodeURL is the code once the channel gave it,
	// ExpiresAt when the customer can no longer pay (sent with the order).
	QR        bool
	CodeURL   string
	ExpiresAt time.Time
	// Version is the stored row's version; every write is conditional on
	// it (compare-and-set) and moves it on.
	Version    int64
	CreatedAt  time.Time
	SentAt     time.Time // last pay call
	UpdatedAt  time.Time
	FinishedAt time.Time
}

func (in PaymentIntent) ref() app.OrderRef {
	return app.OrderRef{OutTradeNo: in.OutTradeNo, TransactionID: in.TransactionID, Wallet: in.Wallet, Deposit: in.Kind == IntentKindDeposit}
}

// RefundState is where one refund (one out_refund_no) stands.
type RefundState string

const (
	RefundCreated    RefundState = "created" // written, never sent
	RefundSent       RefundState = "sent"
	RefundProcessing RefundState = "processing" // accepted, money on its way
	RefundUnknown    RefundState = "unknown"    // the last send went unanswered: query before sending again
	// RefundRefused: a re-send after an unanswered one was refused for
	// good. If the query then finds no refund, none was made: failed.
	RefundRefused  RefundState = "refused"
	RefundRefunded RefundState = "refunded"
	RefundFailed   RefundState = "failed"
	// RefundManual: the channel's answer disagrees with what was asked
	// (another amount, a bounced bank card): a person must check. It
	// holds its amount (nothing more can be refunded meanwhile) and
	// recovery leaves it alone.
	RefundManual RefundState = "manual"
)

// Final reports whether the refund is over for the machine.
func (s RefundState) Final() bool {
	return s == RefundRefunded || s == RefundFailed || s == RefundManual
}

// Refund is one refund of (part of) a paid wallet tender or of a consumed
// deposit.
type Refund struct {
	ID            int64
	OutRefundNo   string
	OrderID       int64
	OrderNo       string
	IntentID      int64
	OutTradeNo    string
	TransactionID string
	Channel       app.ChannelName
	Wallet        app.Wallet
	Deposit       bool
	Total         app.Money // the paid intent's amount (total_fee)
	// For money taken from a deposit: the consume that took it (its
	// request number, the channel's number for its result, its amount).
	ConsumeNo   string
	ConsumeTxn  string
	Consumed    app.Money
	Amount      app.Money
	Reason      string
	State       RefundState
	RefundID    string
	ChannelCode string
	ChannelMsg  string
	StaffID     int64
	ApprovedBy  int64
	Version     int64
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
func (r Refund) request() app.RefundRequest {
	ref := app.OrderRef{OutTradeNo: r.OutTradeNo, TransactionID: r.TransactionID, Wallet: r.Wallet, Deposit: r.Deposit}
	total := r.Total
	if r.Deposit && r.ConsumeNo != "" && (r.ConsumeTxn == "" || r.ConsumeTxn != r.TransactionID) {
		ref.OutTradeNo, ref.TransactionID, total = r.ConsumeNo, r.ConsumeTxn, r.Consumed
	}
	return app.RefundRequest{OrderRef: ref, OutRefundNo: r.OutRefundNo, Total: total, Amount: r.Amount, Reason: r.Reason}
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
	Channel       app.ChannelName
	Wallet        app.Wallet
	Amount        app.Money
	Consumed      app.Money
	Released      app.Money
	State         DepositState
	GuestName     string
	Room          string
	GuestPhone    string
	Note          string // the deposit order's note (read with the order; empty where not joined)
	CreatedAt     time.Time
	PaidAt        time.Time // when the freeze succeeded
	SettledAt     time.Time
}

// DepositOpState is where one deposit operation stands.
type DepositOpState string

const (
	DepositOpCreated DepositOpState = "created"
	DepositOpSent    DepositOpState = "sent"
	DepositOpUnknown DepositOpState = "unknown" // unanswered: query before sending again
	DepositOpRefused DepositOpState = "refused" // a re-send was refused for good: query decides
	DepositOpDone    DepositOpState = "done"
	DepositOpFailed  DepositOpState = "failed"
	DepositOpManual  DepositOpState = "manual" // the channel reports another amount: a person checks
)

// Final reports whether the operation is over for the machine.
func (s DepositOpState) Final() bool {
	return s == DepositOpDone || s == DepositOpFailed || s == DepositOpManual
}

// DepositOp is one consume or release of a deposit, under its own
// idempotent request number.
type DepositOp struct {
	ID           int64
	DepositID    int64
	Deposit      Deposit // the deposit as it was when the op was loaded
	Kind         app.DepositOpKind
	OutRequestNo string
	Amount       app.Money
	State        DepositOpState
	// TransactionID is the channel's number for the result (a consume's
	// capture trade / consumption order).
	TransactionID string
	ChannelCode   string
	ChannelMsg    string
	StaffID       int64
	Version       int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Store is what the payment state machine needs from storage. Every method
// commits durably before it returns. Every Save/Finish is a compare-and-set
// on the Version the caller read: it returns ErrStale (and writes nothing)
// when the stored row has moved on, and moves Version on when it writes.
type Store interface {
	// CreateIntent writes a wallet tender (pending) and its intent (state
	// created) for the open order in.OrderID, in one transaction, and sets
	// in.ID, in.TenderID and in.Version. In that transaction it refuses
	// with app.ErrOrderNotOpen when the order is not open, with
	// app.ErrTenderTooLarge when the amount is more than the order still
	// has due, and with ErrDuplicateScan when an intent with the same
	// CodeHash is unsettled, or was created at or after dupSince and did
	// not fail — so one code cannot be charged twice.
	CreateIntent(ctx context.Context, in *PaymentIntent, dupSince time.Time) error
	// SaveIntent records a non-final state, attempt count, sent time and
	// the channel's words.
	SaveIntent(ctx context.Context, in *PaymentIntent) error
	// FinishIntent records a final state and, in the same transaction, the
	// tender's and the order's: paid → tender paid, the order paid when its
	// paid tenders cover it (for a deposit, the deposit row, frozen);
	// failed, reversed, closed → tender failed (the order stays open for
	// another tender); manual → tender left pending.
	FinishIntent(ctx context.Context, in *PaymentIntent) error
	GetIntent(ctx context.Context, outTradeNo string) (PaymentIntent, error)
	// OpenIntents lists every intent that is not settled (manual included).
	OpenIntents(ctx context.Context) ([]PaymentIntent, error)
	// RefundSource finds an order and the paid wallet intent to refund:
	// the one named outTradeNo, or, when that is "", the order's only paid
	// wallet intent (ErrTenderAmbiguous when it has several).
	RefundSource(ctx context.Context, orderNo, outTradeNo string) (app.Order, PaymentIntent, error)

	// CreateRefund writes a refund (state created) and the audit entry in
	// one transaction; for a deposit it fills ConsumeNo, ConsumeTxn and
	// Consumed from the done consume. In that transaction it refuses with
	// ErrRefundInProgress when another refund of the intent is not final
	// (manual counts as final), and with ErrRefundExceeds when the amount
	// is more than what is left: the intent's amount (or, for a deposit,
	// what was consumed) minus every refund not failed.
	CreateRefund(ctx context.Context, r *Refund, audit app.AuditEntry) error
	SaveRefund(ctx context.Context, r *Refund) error
	// FinishRefund records a final state; refunded also adds the amount to
	// the order in the same transaction.
	FinishRefund(ctx context.Context, r *Refund) error
	GetRefund(ctx context.Context, outRefundNo string) (Refund, error)
	// RefundsOf lists an order's refunds, oldest first.
	RefundsOf(ctx context.Context, orderNo string) ([]Refund, error)
	OpenRefunds(ctx context.Context) ([]Refund, error)

	GetDeposit(ctx context.Context, depositNo string) (Deposit, error)
	// CreateDepositOp writes an operation (state created) after checking,
	// in the same transaction, that the deposit is frozen, has no other
	// open operation and covers the amount.
	CreateDepositOp(ctx context.Context, op *DepositOp, audit app.AuditEntry) error
	SaveDepositOp(ctx context.Context, op *DepositOp) error
	// FinishDepositOp records a final state; done also applies it to the
	// deposit: consume → consumed = amount, the rest released, state
	// consumed; release → the rest released, state released.
	FinishDepositOp(ctx context.Context, op *DepositOp) error
	GetDepositOp(ctx context.Context, outRequestNo string) (DepositOp, error)
	OpenDepositOps(ctx context.Context) ([]DepositOp, error)
}

// Errors of the payment use cases. None of them means money moved.
var (
	// ErrDuplicateScan carries OutTradeNo and State of the earlier payment.
	ErrDuplicateScan = app.NewError("payment.duplicate_scan")
	// ErrChannelNotConfigured carries Wallet or Channel (a Message).
	ErrChannelNotConfigured = app.NewError("payment.channel_not_configured")
	// ErrMemberNotSetUp: member-card codes have no member ledger yet.
	ErrMemberNotSetUp = app.NewError("payment.member_not_set_up")
	// ErrStale: the row changed since it was read (another process or
	// loop drives it); the writer adopts what is stored or steps back.
	ErrStale            = app.NewError("payment.stale")
	ErrRefundInProgress = app.NewError("payment.refund_in_progress")
	// ErrRefundExceeds carries Asked and Left.
	ErrRefundExceeds = app.NewError("payment.refund_exceeds")
	// ErrNotRefundable carries Status.
	ErrNotRefundable   = app.NewError("payment.not_refundable")
	ErrTenderAmbiguous = app.NewError("payment.tender_ambiguous")
	// ErrDepositState carries State.
	ErrDepositState = app.NewError("payment.deposit_state")
	// ErrDepositAmount carries Amount and Left.
	ErrDepositAmount = app.NewError("payment.deposit_amount")
	ErrDepositBusy   = app.NewError("payment.deposit_busy")
	ErrNoStaff       = app.NewError("payment.no_staff")
	ErrNotSent       = app.NewError("payment.not_sent")
	// ErrResultNotSaved: the outcome is known but could not be written;
	// recovery settles it again at start-up.
	ErrResultNotSaved = app.NewError("payment.result_not_saved")
	// ErrUnfinished: the loop stopped (shutdown) before a final state;
	// recovery settles it.
	ErrUnfinished = app.NewError("payment.unfinished")
	ErrNoRules    = app.NewError("payment.no_rules")
	ErrNoStore    = app.NewError("payment.no_store")
)

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
	Ceiling         app.Money     // largest amount (app.DefaultCeiling)
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
	Ceiling:         app.DefaultCeiling,
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

// Terminal is this terminal's identity as the channels see it.
type Terminal struct {
	StoreCode    string // store_id sent to channels
	TerminalCode string // device_info / terminal_id
	NumberPrefix string // starts every out_trade_no / out_refund_no (app.TerminalInfo.NumberPrefix)
	ClientIP     string // spbill_create_ip
	Subject      string // default body / subject shown in the customer's wallet
}

// Router says which channel takes a wallet (For) and finds a channel by
// name for the follow-up calls of an existing payment (Named).
// sync/channel.Channels is one; settings can change it while sales go on.
type Router interface {
	For(w app.Wallet) (app.PaymentChannel, error)
	Named(n app.ChannelName) (app.PaymentChannel, error)
}

// Config builds a Payments service.
type Config struct {
	Store Store
	// Router routes wallets to channels. When nil, Channels makes a fixed
	// router.
	Router Router
	// Channels routes each wallet to the channel that takes it. A wallet
	// missing here is refused with a clear message and nothing is sent.
	Channels map[app.Wallet]app.PaymentChannel
	Clock    app.Clock
	Policy   PaymentPolicy
	Terminal Terminal
	// Permits decides refunds and deposit operations at the moment of the
	// action (nil: every one is refused with ErrNoRules).
	Permits app.Permits
	// Signals hears of orders a payment, refund or deposit operation
	// settled (may be nil).
	Signals *app.Signals
}

// Payments is the payment state machine, the same for every channel.
type Payments struct {
	store   Store
	router  Router
	clock   app.Clock
	policy  PaymentPolicy
	term    Terminal
	permits app.Permits
	signals *app.Signals

	mu     sync.Mutex
	active map[string]*payRun   // out_trade_no → the loop driving it in this process
	busy   map[string]bool      // out_refund_no / out_request_no being driven here
	codes  map[string]recent    // code hash → the payment last made with it here
	frozen map[string]time.Time // deposit out_trade_no → when its freeze was paid here (monotonic)
}

// recent is a code charged in this process: when (a monotonic reading)
// and under which number.
type recent struct {
	at time.Time
	no string
}

// New checks the configuration and builds the service.
func New(c Config) (*Payments, error) {
	if c.Store == nil {
		return nil, ErrNoStore
	}
	if c.Clock == nil {
		c.Clock = app.SystemClock{}
	}
	s := &Payments{
		store: c.Store, router: c.Router, clock: c.Clock, policy: c.Policy.withDefaults(), term: c.Terminal,
		permits: c.Permits, signals: c.Signals,
		active: map[string]*payRun{}, busy: map[string]bool{}, codes: map[string]recent{}, frozen: map[string]time.Time{},
	}
	if s.router == nil {
		m := mapRouter{byWallet: map[app.Wallet]app.PaymentChannel{}, byName: map[app.ChannelName]app.PaymentChannel{}}
		for w, ch := range c.Channels {
			if ch != nil {
				m.byWallet[w] = ch
				m.byName[ch.Name()] = ch
			}
		}
		s.router = m
	}
	return s, nil
}

type mapRouter struct {
	byWallet map[app.Wallet]app.PaymentChannel
	byName   map[app.ChannelName]app.PaymentChannel
}

func (m mapRouter) For(w app.Wallet) (app.PaymentChannel, error) {
	if ch, ok := m.byWallet[w]; ok {
		return ch, nil
	}
	return nil, ErrChannelNotConfigured.With("Wallet", app.WalletName(w))
}

func (m mapRouter) Named(n app.ChannelName) (app.PaymentChannel, error) {
	if ch, ok := m.byName[n]; ok {
		return ch, nil
	}
	return nil, ErrChannelNotConfigured.With("Channel", app.ChannelTitle(n))
}

// ChannelFor is the channel a wallet is routed to; a wallet without one is
// ErrChannelNotConfigured.
func (s *Payments) ChannelFor(w app.Wallet) (app.PaymentChannel, error) {
	ch, err := s.router.For(w)
	if err == nil && ch != nil {
		return ch, nil
	}
	return nil, ErrChannelNotConfigured.With("Wallet", app.WalletName(w)).Wrap(err)
}

func (s *Payments) channelNamed(n app.ChannelName) (app.PaymentChannel, error) {
	ch, err := s.router.Named(n)
	if err == nil && ch != nil {
		return ch, nil
	}
	return nil, ErrChannelNotConfigured.With("Channel", app.ChannelTitle(n)).Wrap(err)
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

// wait sleeps d on the service clock's monotonic time, calling tick with
// the time left every ProgressEvery; it returns early when stop is closed
// (nil: never) and with ctx's error when ctx ends.
func (s *Payments) wait(ctx context.Context, d time.Duration, stop <-chan struct{}, tick func(left time.Duration)) error {
	start := s.clock.Now()
	pe := s.policy.ProgressEvery
	for {
		left := d - s.clock.Since(start)
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
		if left = d - s.clock.Since(start); left > 0 && pe > 0 && tick != nil {
			tick(left)
		}
	}
}

// authorize asks the shop's rules at the moment of the action.
func (s *Payments) authorize(ctx context.Context, staffID int64, perm string) error {
	_, err := s.approve(ctx, staffID, perm)
	return err
}

// approve is authorize returning the person as the rules read them:
// ApprovedBy is set when a manager's override let the check pass.
func (s *Payments) approve(ctx context.Context, staffID int64, perm string) (app.Staff, error) {
	if s.permits == nil {
		return app.Staff{}, ErrNoRules
	}
	return s.permits.Check(ctx, staffID, perm)
}

func (s *Payments) checkAmount(a app.Money) error {
	if a <= 0 {
		return app.ErrMoneyZero
	}
	if a > s.policy.Ceiling {
		return app.ErrMoneyCeiling.With("Ceiling", s.policy.Ceiling)
	}
	return nil
}

func (s *Payments) orderChanged(orderNo string) {
	if orderNo != "" {
		s.signals.Emit(app.SignalOrder, orderNo)
	}
}
