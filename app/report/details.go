package report

import (
	"context"
	"slices"
	"time"

	"cashier/app"
	"cashier/app/summary"
)

// State is an order's state as the details show and filter it.
type State string

const (
	StatePaid         State = "paid"
	StateRefunded     State = "refunded"
	StatePartRefunded State = "part_refunded"
	StateClosed       State = "closed"
	StateUnsettled    State = "unsettled" // open or being paid
)

// States lists the states in the order screens offer them.
var States = []State{StatePaid, StatePartRefunded, StateRefunded, StateClosed, StateUnsettled}

// StateOf is an order status's state.
func StateOf(s app.OrderStatus) State {
	switch s {
	case app.OrderPaid:
		return StatePaid
	case app.OrderRefunded:
		return StateRefunded
	case app.OrderPartRefunded:
		return StatePartRefunded
	case app.OrderClosed:
		return StateClosed
	}
	return StateUnsettled
}

// Statuses are the order statuses a state stands for.
func (s State) Statuses() []app.OrderStatus {
	switch s {
	case StatePaid:
		return []app.OrderStatus{app.OrderPaid}
	case StateRefunded:
		return []app.OrderStatus{app.OrderRefunded}
	case StatePartRefunded:
		return []app.OrderStatus{app.OrderPartRefunded}
	case StateClosed:
		return []app.OrderStatus{app.OrderClosed}
	case StateUnsettled:
		return []app.OrderStatus{app.OrderOpen, app.OrderPaying}
	}
	return nil
}

// Name names the state for people.
func (s State) Name() app.Message {
	switch s {
	case StatePaid:
		return app.Msg("report.state.paid")
	case StateRefunded:
		return app.Msg("report.state.refunded")
	case StatePartRefunded:
		return app.Msg("report.state.part_refunded")
	case StateClosed:
		return app.Msg("report.state.closed")
	}
	return app.Msg("report.state.unsettled")
}

// KindName names an order's kind for people.
func KindName(k app.OrderKind) app.Message {
	if k == app.OrderDeposit {
		return app.Msg("report.kind.deposit")
	}
	return app.Msg("report.kind.sale")
}

// ParseState reads a state's code.
func ParseState(v string) (State, error) {
	if s := State(v); slices.Contains(States, s) {
		return s, nil
	}
	return "", ErrBadState.With("Value", v)
}

// ParseMethod reads a payment method's code.
func ParseMethod(v string) (summary.Method, error) {
	if m := summary.Method(v); slices.Contains(summary.Methods, m) {
		return m, nil
	}
	return "", ErrBadMethod.With("Value", v)
}

// DetailFilter selects orders for the details. StoreID is required; every
// other field left zero selects everything.
type DetailFilter struct {
	StoreID int64
	// From, To: created in [From, To) (the store's clock is the UI's to
	// choose; times are instants). Zero: unbounded on that side.
	From, To time.Time
	Method   summary.Method // an order with a tender of this method (paid, being paid or handed back)
	StaffID  int64          // taken by this person (who opened the order)
	ShiftID  int64          // opened on this shift
	Kind     app.OrderKind  // sale or deposit
	// Min, Max: the amount payable in [Min, Max]; Max 0 sets no upper
	// bound.
	Min, Max app.Money
	State    State
}

// Check refuses a filter that cannot select anything sensibly.
func (f DetailFilter) Check() error {
	if f.StoreID == 0 {
		return summary.ErrNoStore
	}
	if f.Min < 0 || f.Max < 0 || (f.Max > 0 && f.Min > f.Max) {
		return ErrBadAmounts.With("Min", f.Min, "Max", f.Max)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return ErrBadTimeRange.With("From", f.From, "To", f.To)
	}
	if f.State != "" && !slices.Contains(States, f.State) {
		return ErrBadState.With("Value", string(f.State))
	}
	if f.Method != "" && !slices.Contains(summary.Methods, f.Method) {
		return ErrBadMethod.With("Value", string(f.Method))
	}
	if f.Kind != "" && f.Kind != app.OrderSale && f.Kind != app.OrderDeposit {
		return ErrBadKind.With("Value", string(f.Kind))
	}
	return nil
}

// Cursor is where a page of details ends: the next page starts after it.
// The zero Cursor is the first page.
type Cursor struct {
	At time.Time
	ID int64
}

// IsZero reports the first page's cursor.
func (c Cursor) IsZero() bool { return c.ID == 0 }

// Page asks for Limit rows after a cursor.
type Page struct {
	After Cursor
	Limit int // 0: DefaultPage; at most MaxPage
}

// Page sizes.
const (
	DefaultPage = 100
	MaxPage     = 1000
)

// DetailQuery is a page of a filter, as the store reads it.
type DetailQuery struct {
	DetailFilter
	After Cursor
	Limit int
}

// Detail is one order in the details.
type Detail struct {
	ID        int64
	At        time.Time // created
	OrderNo   string
	Kind      app.OrderKind
	Status    app.OrderStatus
	StaffID   int64
	StaffName string
	// Methods are the methods of its tenders that paid, are being paid or
	// were handed back, each once, in the order they were taken.
	Methods  []summary.Method
	Total    app.Money // before the discount
	Discount app.Money
	Amount   app.Money // payable
	Paid     app.Money
	Refunded app.Money
}

// State is the order's state.
func (d Detail) State() State { return StateOf(d.Status) }

// DetailPage is one page of details, newest first. Next is the cursor of
// the page after it; More tells whether there is one.
type DetailPage struct {
	Rows []Detail
	Next Cursor
	More bool
}

// Details lists the orders f selects as the viewer may see them, newest
// first, one page at a time (keyset: a page costs the same wherever it is
// in a long list).
func (v View) Details(ctx context.Context, f DetailFilter, p Page) (DetailPage, error) {
	f, err := v.detailScope(ctx, f)
	if err != nil {
		return DetailPage{}, err
	}
	return v.s.page(ctx, f, p)
}

func (v View) detailScope(ctx context.Context, f DetailFilter) (DetailFilter, error) {
	if err := f.Check(); err != nil {
		return f, err
	}
	f, err := v.sc.Orders(f)
	if err != nil {
		return f, err
	}
	_, err = v.s.store(ctx, f.StoreID)
	return f, err
}

func (s *Service) page(ctx context.Context, f DetailFilter, p Page) (DetailPage, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = DefaultPage
	}
	limit = min(limit, MaxPage)
	rows, err := s.Store.OrderDetails(ctx, DetailQuery{DetailFilter: f, After: p.After, Limit: limit + 1})
	if err != nil {
		return DetailPage{}, err
	}
	out := DetailPage{Rows: rows}
	if len(rows) > limit {
		out.Rows, out.More = rows[:limit], true
	}
	if n := len(out.Rows); n > 0 {
		out.Next = Cursor{At: out.Rows[n-1].At, ID: out.Rows[n-1].ID}
	}
	return out, nil
}

// Order is one order with its lines and tenders, for its detail and a
// reprint, when the viewer may see it.
func (v View) Order(ctx context.Context, orderNo string) (app.Order, error) {
	sc := v.sc
	o, err := v.s.Store.GetOrder(ctx, orderNo)
	if err != nil {
		return app.Order{}, err
	}
	if !sc.Sees(o.StoreID) || (sc.OwnOrders && o.StaffID != sc.Staff.ID) {
		return app.Order{}, ErrNotVisible.With("Name", sc.Staff.Name)
	}
	return o, nil
}
