// Package deposit is the hotel front desk (押金台): a deposit taken at
// check-in with the guest's details and frozen on their wallet, found
// again three ways at check-out, then partly consumed (the rest goes back
// by itself) or released in full. Consume and release are refused before
// anything is sent when the stored deposit already says they cannot be
// done; the payment state machine (app/payment) carries the money.
package deposit

import (
	"context"
	"time"

	"cashier/app"
	"cashier/app/payment"
	"cashier/app/sale"
)

// Filter selects deposits for the desk's list. Zero fields select
// everything; To is exclusive.
type Filter struct {
	StoreID              int64
	Open                 bool // still frozen
	From, To             time.Time
	Wallet               app.Wallet
	MinAmount, MaxAmount app.Money
	// Text matches the start of the room number or any part of the
	// guest's name.
	Text  string
	Limit int // 0 = DefaultLimit
}

// DefaultLimit caps a list without a Limit.
const DefaultLimit = 500

// Row is one deposit as the desk lists it.
type Row struct {
	payment.Deposit
	StoreID int64
	Note    string
}

// Left is what is still held.
func (r Row) Left() app.Money { return r.Amount - r.Consumed - r.Released }

// Store is what the desk reads.
type Store interface {
	// FindDeposit finds the deposits q means in the store: the deposit's
	// number (the receipt barcode), the wallet's transaction number, or
	// the last six characters of either (recent deposits only).
	FindDepositAt(ctx context.Context, storeID int64, q string, now time.Time) ([]payment.Deposit, error)
	ListDeposits(ctx context.Context, f Filter) ([]Row, error)
	GetDeposit(ctx context.Context, depositNo string) (payment.Deposit, error)
	DepositOps(ctx context.Context, depositID int64) ([]payment.DepositOp, error)
}

// Operator consumes and releases (the payment state machine).
type Operator interface {
	Consume(ctx context.Context, in payment.DepositOpInput) (payment.DepositOpResult, error)
	Release(ctx context.Context, in payment.DepositOpInput) (payment.DepositOpResult, error)
}

// Settlement is what the check-out receipt shows: the deposit as it
// stands after the operation, what was charged and what went back.
type Settlement struct {
	Store    app.StoreInfo
	Terminal app.TerminalInfo
	Deposit  payment.Deposit
	Op       payment.DepositOpResult
	Charged  app.Money // consumed from the deposit (0 on a release)
	Returned app.Money // given back to the guest
	Cashier  string
	Time     time.Time
}

// Printer prints the check-out receipt (queued durably; a failed print
// never undoes the operation).
type Printer interface {
	PrintDepositSettlement(ctx context.Context, s Settlement) error
}

// Desk is the deposit desk use case.
type Desk struct {
	Checkout *sale.Checkout
	Store    Store
	Ops      Operator
	Terminal sale.Terminal
	Clock    app.Clock
	Signals  *app.Signals
	// Printer prints the check-out receipt; nil: none configured.
	Printer Printer
	// OnDeviceError hears of a print that failed; nil: ignored.
	OnDeviceError func(what string, err error)
}

// Errors of the desk, each refused before anything is sent.
var (
	ErrNoAmount        = app.NewError("deposit.no_amount")
	ErrTooMuch         = app.NewError("deposit.too_much")         // Amount, Left
	ErrAlreadyConsumed = app.NewError("deposit.already_consumed") // No
	ErrAlreadyReleased = app.NewError("deposit.already_released") // No
	ErrExpired         = app.NewError("deposit.expired")          // No
	ErrPastLimit       = app.NewError("deposit.past_limit")       // No, Days
	ErrNotFrozen       = app.NewError("deposit.not_frozen")       // No: the freeze has not succeeded
	ErrNoGuest         = app.NewError("deposit.no_guest")         // neither room nor name
	// ErrNotADeposit: the number is a sale's, not a deposit's (a sale
	// receipt scanned at the desk). Carries No.
	ErrNotADeposit = app.NewError("deposit.not_a_deposit")
	// ErrOtherStore: the deposit was taken in another store; this desk
	// must not settle it. Carries No.
	ErrOtherStore = app.NewError("deposit.other_store")
	// ErrSeveral: a short number several deposits end with. Carries
	// Count and Q.
	ErrSeveral = app.NewError("deposit.several")
)

// TakeInput is a deposit to take at check-in.
type TakeInput struct {
	Staff  app.Staff
	Amount app.Money
	Guest  app.Guest
	Note   string
}

// Open writes the deposit's order with the guest (durable before the
// guest's code is scanned); Freeze then freezes it on their wallet.
func (d *Desk) Open(ctx context.Context, in TakeInput) (app.Order, error) {
	if err := in.Guest.Check(); err != nil {
		return app.Order{}, err
	}
	if in.Guest.Room == "" && in.Guest.Name == "" {
		return app.Order{}, ErrNoGuest
	}
	if err := app.CheckText(app.Msg("field.deposit_note"), in.Note, false, app.DepositNoteMax); err != nil {
		return app.Order{}, err
	}
	return d.Checkout.Open(ctx, sale.OrderInput{Staff: in.Staff, Deposit: true, Total: in.Amount,
		Guest: in.Guest, Note: in.Note})
}

// Freeze freezes the whole deposit by the guest's payment code. The
// receipt (with the deposit number as a barcode) and the announcement
// follow when it succeeds.
func (d *Desk) Freeze(ctx context.Context, orderNo, code string, staff app.Staff, onEvent payment.EventFunc) (sale.Outcome, error) {
	o, err := d.Checkout.Store.GetOrder(ctx, orderNo)
	if err != nil {
		return sale.Outcome{}, err
	}
	if o.Kind != app.OrderDeposit {
		return sale.Outcome{}, ErrNotADeposit.With("No", orderNo)
	}
	return d.Checkout.PayByCode(ctx, orderNo, code, o.Due(), staff, onEvent)
}

// Abandon gives up a deposit's order whose freeze never succeeded (the
// guest walked away, or the form was changed and written again): voided,
// so it does not wait at the handover as an unpaid order. An order that
// is paid, already closed, or has a freeze in flight is left as it is.
func (d *Desk) Abandon(ctx context.Context, orderNo string, staff app.Staff) error {
	o, err := d.Checkout.Store.GetOrder(ctx, orderNo)
	if err != nil {
		return err
	}
	if o.Kind != app.OrderDeposit {
		return ErrNotADeposit.With("No", orderNo)
	}
	if o.Status != app.OrderOpen {
		return nil
	}
	for _, t := range o.Tenders {
		if t.State == app.TenderPending || t.State == app.TenderPaid {
			return nil
		}
	}
	_, err = d.Checkout.Void(ctx, orderNo, staff)
	return err
}

// Cancel gives up a freeze still in progress (the customer walked away).
func (d *Desk) Cancel(ctx context.Context, outTradeNo string) error {
	return d.Checkout.Cancel(ctx, outTradeNo)
}

// Find is the desk's lookup by a scanned or typed number.
func (d *Desk) Find(ctx context.Context, q string) ([]payment.Deposit, error) {
	st, err := d.Terminal.CurrentStore(ctx)
	if err != nil {
		return nil, err
	}
	return d.Store.FindDepositAt(ctx, st.ID, q, d.Clock.Now())
}

// Search lists this store's deposits by f (its StoreID is set here).
func (d *Desk) Search(ctx context.Context, f Filter) ([]Row, error) {
	st, err := d.Terminal.CurrentStore(ctx)
	if err != nil {
		return nil, err
	}
	f.StoreID = st.ID
	return d.Store.ListDeposits(ctx, f)
}

// Get reads one deposit of this store by its number (or the wallet's
// transaction number), with its operations.
func (d *Desk) Get(ctx context.Context, depositNo string) (payment.Deposit, []payment.DepositOp, error) {
	dep, err := d.one(ctx, depositNo)
	if err != nil {
		return dep, nil, err
	}
	ops, err := d.Store.DepositOps(ctx, dep.ID)
	return dep, ops, err
}

// NearLimit counts this store's frozen deposits within the warning time of
// their wallet's automatic limit (or past it), for the status bar.
func (d *Desk) NearLimit(ctx context.Context) (int, error) {
	rows, err := d.Search(ctx, Filter{Open: true})
	if err != nil {
		return 0, err
	}
	now, n := d.Clock.Now(), 0
	for _, r := range rows {
		if payment.DepositNearLimit(r.Deposit, now) {
			n++
		}
	}
	return n, nil
}

// Check says why an operation on dep cannot be done now, nil when it can
// be sent: amount is what a consume charges (a release takes all that is
// left and passes 0).
func Check(dep payment.Deposit, kind app.DepositOpKind, amount app.Money, now time.Time) error {
	switch dep.State {
	case payment.DepositConsumed:
		return ErrAlreadyConsumed.With("No", dep.DepositNo)
	case payment.DepositReleased:
		return ErrAlreadyReleased.With("No", dep.DepositNo)
	case payment.DepositExpired:
		return ErrExpired.With("No", dep.DepositNo)
	case payment.DepositFrozen:
	default:
		return ErrNotFrozen.With("No", dep.DepositNo)
	}
	if payment.DepositPastLimit(dep, now) {
		return ErrPastLimit.With("No", dep.DepositNo, "Days", int(now.Sub(dep.CreatedAt)/(24*time.Hour)))
	}
	left := dep.Amount - dep.Consumed - dep.Released
	if kind == app.DepositOpConsume {
		if amount <= 0 {
			return ErrNoAmount
		}
		if amount > left {
			return ErrTooMuch.With("Amount", amount, "Left", left)
		}
	}
	return nil
}

// OpInput is a check-out: consume Amount (the rest goes back) or release
// all.
type OpInput struct {
	DepositNo string
	Amount    app.Money
	Staff     app.Staff
	Remark    string
	OnEvent   payment.EventFunc
}

// Consume charges in.Amount from the deposit; the channel gives the rest
// back to the guest. The deposit permission is checked at the moment of
// the action (a manager's override counts and is recorded).
func (d *Desk) Consume(ctx context.Context, in OpInput) (Settlement, error) {
	return d.settle(ctx, app.DepositOpConsume, in)
}

// Release gives the whole deposit back.
func (d *Desk) Release(ctx context.Context, in OpInput) (Settlement, error) {
	in.Amount = 0
	return d.settle(ctx, app.DepositOpRelease, in)
}

// one is the deposit of this store that no means: a sale's number and
// another store's deposit are refused by name (Find), and a short number
// that several deposits end with is not enough to act on.
func (d *Desk) one(ctx context.Context, no string) (payment.Deposit, error) {
	found, err := d.Find(ctx, no)
	if err != nil {
		return payment.Deposit{}, err
	}
	if len(found) != 1 {
		return payment.Deposit{}, ErrSeveral.With("Count", len(found), "Q", no)
	}
	return found[0], nil
}

func (d *Desk) settle(ctx context.Context, kind app.DepositOpKind, in OpInput) (Settlement, error) {
	dep, err := d.one(ctx, in.DepositNo)
	if err != nil {
		return Settlement{}, err
	}
	if err := Check(dep, kind, in.Amount, d.Clock.Now()); err != nil {
		return Settlement{Deposit: dep}, err
	}
	op := payment.DepositOpInput{DepositNo: dep.DepositNo, Amount: in.Amount, StaffID: in.Staff.ID,
		Remark: in.Remark, OnEvent: in.OnEvent}
	var res payment.DepositOpResult
	if kind == app.DepositOpConsume {
		res, err = d.Ops.Consume(ctx, op)
	} else {
		res, err = d.Ops.Release(ctx, op)
	}
	out := Settlement{Deposit: dep, Op: res, Cashier: in.Staff.Name, Time: d.Clock.Now()}
	if res.OutRequestNo == "" {
		return out, err // refused before anything was written
	}
	if d.Signals != nil {
		d.Signals.Emit(app.SignalOrder, dep.DepositNo)
	}
	// The deposit as it stands now: what a done operation charged and
	// gave back is the stored truth, not what was asked.
	if now, gerr := d.Store.GetDeposit(context.WithoutCancel(ctx), dep.DepositNo); gerr == nil {
		out.Deposit = now
	}
	if res.Done() {
		out.Charged = out.Deposit.Consumed
		out.Returned = out.Deposit.Released
		d.print(context.WithoutCancel(ctx), out)
	}
	return out, err
}

func (d *Desk) print(ctx context.Context, s Settlement) {
	if d.Printer == nil {
		return
	}
	st, err := d.Terminal.CurrentStore(ctx)
	if err == nil {
		s.Store = st
		s.Terminal, err = d.Terminal.CurrentTerminal(ctx)
		if err == nil {
			err = d.Printer.PrintDepositSettlement(ctx, s)
		}
	}
	if err != nil && d.OnDeviceError != nil {
		d.OnDeviceError("receipt", err)
	}
}
