// Package reconcile matches a channel's bill for one day against this
// terminal's own records of that day — wallet payments, refunds, deposit
// freezes and consumptions — keeps what it found per day and channel, and
// resolves a difference by settling the record through the payment state
// machine or by a person's explanation (audited).
//
// A difference is never resolved unless the record really matched the
// bill (at the run, on the bill of a neighbouring day, or after settling)
// or a person explained it. docs/reconciliation.md is the rule book.
package reconcile

import (
	"context"
	"time"

	"cashier/app"
	"cashier/app/payment"
	"cashier/app/summary"
)

// Kind is what reconciling one record found.
type Kind string

const (
	Matched        Kind = "matched"         // the bill and this terminal agree
	MissingLocal   Kind = "missing_local"   // in the bill under our number, not here
	MissingChannel Kind = "missing_channel" // money moved here, not in the bill
	AmountDiffers  Kind = "amount_differs"
	StateDiffers   Kind = "state_differs" // one side moved money and the other did not, or it is not settled here
)

// Kinds lists the kinds in the order a screen shows them.
var Kinds = []Kind{MissingLocal, MissingChannel, AmountDiffers, StateDiffers, Matched}

// Record is what a line is about.
type Record string

const (
	RecordPayment Record = "payment" // a sale's wallet payment, by its out_trade_no
	RecordDeposit Record = "deposit" // a deposit's freeze, by its out_trade_no
	RecordConsume Record = "consume" // a deposit consumption, by its out_request_no
	RecordRelease Record = "release" // a deposit release, by its out_request_no
	RecordRefund  Record = "refund"  // a refund, by its out_refund_no
)

// LocalState is where a local record stands as far as money goes.
type LocalState string

const (
	LocalMoved  LocalState = "moved"  // paid, frozen, consumed, released, refunded
	LocalNone   LocalState = "none"   // failed, closed, reversed: no money stayed moved
	LocalOpen   LocalState = "open"   // not settled yet (created, sent, paying, unknown, reversing, processing, refused)
	LocalManual LocalState = "manual" // the machine handed it to a person
	LocalAbsent LocalState = ""       // there is no such record here
)

// Local is one of this terminal's records as storage reads it.
type Local struct {
	Record Record
	// Ref is our number for it: out_trade_no (payment, deposit),
	// out_request_no (consume, release), out_refund_no (refund).
	Ref string
	// OutTradeNo is the order the money sits in at the channel: the
	// payment's or the deposit's own number (for a consume, release or
	// refund, the deposit's or the paid order's).
	OutTradeNo    string
	OrderNo       string
	TransactionID string
	State         LocalState
	Stored        string // the state as stored: paid, unknown, refunded, done ...
	Amount        app.Money
	// At is when the money moved here (the record settled), or when the
	// record was written while it is not settled: the time a record is
	// placed in a bill day by.
	At time.Time
}

// SeenState is what a bill says of a number.
type SeenState string

const (
	SeenAbsent   SeenState = ""         // not in the bill
	SeenPaid     SeenState = "paid"     // charged (its refunds are lines of their own)
	SeenReversed SeenState = "reversed" // reversed: given back, or never charged
	SeenClosed   SeenState = "closed"   // an order that took no money: closed, failed
	SeenPending  SeenState = "pending"  // the customer was still confirming when the bill was cut
	SeenRefunded SeenState = "refunded" // a refund line
)

// Seen is what the bill says of one number: a charge (a payment, freeze
// or consumption) or a refund.
type Seen struct {
	State SeenState
	// Amount is what was charged (for a charge that took no money, the
	// amount the order lists) or what a refund gave back.
	Amount app.Money
	// Returned is the part of a charge given back by a reversal.
	Returned      app.Money
	TransactionID string
	At            time.Time
	// Duplicates counts the bill's extra rows identical to one of this
	// number's: counted once, reported.
	Duplicates int
}

// Resolution says why a kept line needs nobody any more.
type Resolution string

const (
	Unresolved        Resolution = ""
	ResolvedMatched   Resolution = "matched"   // it matched: at the run, on a neighbouring day's bill, or once settled
	ResolvedExplained Resolution = "explained" // a person explained it (audited)
)

// Difference is one kept line of a run: every difference, and the
// matched lines worth keeping (a bill row seen twice, a record matched on
// the bill of another day than its own).
type Difference struct {
	ID     int64
	RunID  int64
	Day    summary.Day
	Kind   Kind
	Record Record
	// Ref is the number the line is about: ours when there is a record
	// here, else the bill's (out_trade_no or out_refund_no).
	Ref           string
	OutTradeNo    string
	OrderNo       string
	TransactionID string
	LocalState    LocalState
	LocalStored   string
	LocalAmount   app.Money
	Channel       app.ChannelName
	Seen          Seen
	At            time.Time

	Resolution Resolution
	// MatchedOn is the other day whose bill had the record, when that is
	// what resolved the line.
	MatchedOn      summary.Day
	Note           string
	ResolvedBy     int64
	ResolvedByName string
	ResolvedAt     time.Time
}

// Resolved reports whether the line needs nobody any more.
func (d Difference) Resolved() bool { return d.Resolution != Unresolved }

// Status is where a day and channel stand.
type Status string

const (
	StatusNotReady Status = "not_ready" // the channel has no bill yet and there is something to match: try later
	StatusFailed   Status = "failed"    // the bill could not be used (Error says why)
	StatusOpen     Status = "open"      // differences wait for a person
	StatusDone     Status = "done"      // everything matched or was explained
	StatusEmpty    Status = "empty"     // no bill and nothing here that day: nothing to reconcile
)

// Reconciled reports whether the day needs nobody.
func (s Status) Reconciled() bool { return s == StatusDone || s == StatusEmpty }

// Totals are counts and amounts of one side.
type Totals struct {
	Count        int       // charges: payments, consumptions (and, where the bill lists them, freezes)
	Amount       app.Money // what they took
	RefundCount  int       // refunds and reversals
	RefundAmount app.Money // what they gave back
	Fee          app.Money // the channel's service fee (bill side only; a fee given back counts negative)
}

// Run is the kept result of one day and channel.
type Run struct {
	ID      int64
	Day     summary.Day
	Channel app.ChannelName
	Status  Status
	Bill    Totals // this terminal's lines of the bill
	Others  Totals // the bill's lines under other terminals' numbers (not reconciled here)
	Local   Totals // what this terminal holds for the day
	Matched int    // records that matched
	// Duplicates counts bill rows that were exact copies of another.
	Duplicates int
	Open       int // differences no one resolved yet
	// Error is why the last attempt failed (not ready, a bill that could
	// not be used); it is kept beside an earlier result, which stands.
	Error        app.Message
	StaffID      int64 // who ran it; 0 for the scheduled job
	AttemptedAt  time.Time
	ReconciledAt time.Time // when the bill was last matched; zero if never
}

// Result is a run and its kept lines, unresolved first.
type Result struct {
	Run         Run
	Differences []Difference
}

// Store keeps runs and reads the terminal's records.
type Store interface {
	// Records lists ch's records whose At lies in [from, to): settled
	// money movements and records not settled yet.
	Records(ctx context.Context, ch app.ChannelName, from, to time.Time) ([]Local, error)
	// Lookup finds ch's records by number, whenever they were made:
	// payments and freezes by out_trade_no (with a deposit's
	// operations), operations by out_request_no, refunds by out_refund_no.
	Lookup(ctx context.Context, ch app.ChannelName, charges, refunds []string) ([]Local, error)
	// BilledElsewhere says which refs a kept run of ch for another day
	// matched, and on which day.
	BilledElsewhere(ctx context.Context, ch app.ChannelName, day summary.Day, refs []string) (map[string]summary.Day, error)
	// SaveRun writes a run and its lines in one transaction: the run's
	// unresolved lines are replaced, resolved ones kept (a new line equal
	// to a resolved one is not added again), the matched lines resolve the
	// same record's missing_channel lines of other days, and the runs
	// touched get their open counts and status again. It fills run.ID,
	// run.Open and run.Status.
	SaveRun(ctx context.Context, run *Run, lines []Difference) error
	// SaveAttempt records a failed attempt: its status, Error and
	// AttemptedAt; on a run with a matched result (open or done) only Error
	// and AttemptedAt — that result stands.
	SaveAttempt(ctx context.Context, run *Run) error
	// Run is the kept run of day and ch (ErrNoRun when there is none).
	Run(ctx context.Context, day summary.Day, ch app.ChannelName) (Run, error)
	// Runs lists the kept runs from day from to day to, inclusive.
	Runs(ctx context.Context, from, to summary.Day) ([]Run, error)
	// Differences lists a run's kept lines, unresolved first.
	Differences(ctx context.Context, runID int64) ([]Difference, error)
	Difference(ctx context.Context, id int64) (Difference, error)
	// Resolve writes d's kind, local side and resolution, with audit (when
	// not nil) in the same transaction, and the run's open count and status.
	Resolve(ctx context.Context, d Difference, audit *app.AuditEntry) error
}

// Bills downloads the channels' bills.
type Bills interface {
	// Channels lists the configured channels.
	Channels() []app.ChannelName
	// Download is ch's bill of day (the China-time day the channels cut
	// their bills by). An error wrapping ErrBillNotReady: the channel has
	// no bill for it (yet).
	Download(ctx context.Context, ch app.ChannelName, day summary.Day) (app.Bill, error)
}

// Settler settles one record through the payment state machine's own
// recovery path. *payment.Payments is one.
type Settler interface {
	ResumePayment(ctx context.Context, outTradeNo string) (payment.PayResult, error)
	ResumeRefund(ctx context.Context, outRefundNo string, onEvent payment.EventFunc) (payment.RefundResult, error)
	ResumeDepositOp(ctx context.Context, outRequestNo string) (payment.DepositOpResult, error)
}

// Errors of reconciliation.
var (
	// ErrBillNotReady: the channel has no bill for the day yet (WeChat
	// "No Bill Exist", Alipay isp.bill_not_exist, an empty Cloud Pay order
	// list). Carries Channel and Day.
	ErrBillNotReady = app.NewError("reconcile.bill_not_ready")
	// ErrBillUnusable: the bill was refused (cut, another merchant's, not
	// GBK, a needed column missing ...). Carries Channel, Day and Reason
	// (the client's own words).
	ErrBillUnusable = app.NewError("reconcile.bill_unusable")
	// ErrBillMismatch: the channel answered with another channel's or
	// day's bill. Carries Channel, Day and Got.
	ErrBillMismatch = ErrBillUnusable.Sub("reconcile.bill_mismatch")
	// ErrNoChannel: the channel is not configured. Carries Channel.
	ErrNoChannel = app.NewError("reconcile.no_channel")
	ErrNoRun     = app.NewError("reconcile.no_run")
	// ErrNoDifference carries Ref (or ID).
	ErrNoDifference = app.NewError("reconcile.no_difference")
	// ErrResolved: the line was resolved already (carries Resolution).
	ErrResolved = app.NewError("reconcile.resolved")
	// ErrNothingToSettle: no record here to settle (missing_local).
	ErrNothingToSettle = app.NewError("reconcile.nothing_to_settle")
	ErrNoteNeeded      = app.NewError("reconcile.note_needed")
	// ErrNoteTooLong carries Max.
	ErrNoteTooLong = app.NewError("reconcile.note_too_long")
	// ErrFutureDay: the day has not begun in China time. Carries Day.
	ErrFutureDay = app.NewError("reconcile.future_day")
)

// MaxNote is the longest explanation, in characters.
const MaxNote = 500

// Who may do what (business rules section 1): the day's transactions are
// the store's transactions, so running and reading a reconciliation needs
// the store-transactions permission; resolving a difference signs the
// books off — settling may reverse a payment, an explanation closes a
// question about money — so it needs the settings permission, which
// store managers and administrators hold and clerks do not by default.
const (
	PermView    = app.PermViewStoreOrders
	PermResolve = app.PermSettings
)

// AuditExplain is the audit action of an explanation.
const AuditExplain = "reconcile_explain"

// Window is the bill day in China time, as the channels cut their bills:
// [00:00, 24:00) of day at UTC+8.
func Window(day summary.Day) (from, to time.Time) {
	from = time.Date(day.Year, day.Month, day.D, 0, 0, 0, 0, app.ChinaTime)
	return from, from.AddDate(0, 0, 1)
}

// DefaultGrace is how far beyond the bill day a record here is still
// looked at: a payment the channel took at 23:59:59 may settle here a few
// seconds (or, through recovery, minutes) after midnight.
const DefaultGrace = 15 * time.Minute
