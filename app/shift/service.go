package shift

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cashier/app"
	"cashier/app/summary"
)

// Store keeps shifts (localdb implements it on the shift table). Every
// write carries its audit lines and commits them with the change.
type Store interface {
	// OpenShiftOf is the person's open shift, ok false when there is none.
	OpenShiftOf(ctx context.Context, staffID int64) (s Shift, ok bool, err error)
	// OpenShifts are the store's open shifts, oldest first.
	OpenShifts(ctx context.Context, storeID int64) ([]Shift, error)
	// LastFloat is the float left by the shift that ended last in the
	// store on this terminal or store-wide (0 when none has).
	LastFloat(ctx context.Context, storeID, terminalID int64) (app.Money, error)
	// StartShift writes an open shift (ID, StartedAt and the rest as
	// given) with the audit line, whose Subject it sets to the shift's ID.
	// A person with an open shift gets ErrAlreadyOn naming since when,
	// and nothing is written.
	StartShift(ctx context.Context, s Shift, audit app.AuditEntry) (Shift, error)
	// TakingsMark is a mark of the shift's takings journal so far; it
	// moves whenever money is recorded on the shift.
	TakingsMark(ctx context.Context, shiftID int64) (int64, error)
	// EndShift writes the end and the whole handover of an open shift
	// with the audit lines, in one transaction, provided the takings mark
	// still stands: otherwise (or when the shift is no longer open) it
	// writes nothing and returns ErrStale.
	EndShift(ctx context.Context, s Shift, mark int64, audit []app.AuditEntry) error
	// HeldOrders are the person's orders still open (held, not paid) in
	// the store.
	HeldOrders(ctx context.Context, storeID, staffID int64) ([]ItemRef, error)
	// HeldCarts are the carts held at the terminal (app.HeldOrder), in
	// sum.
	HeldCarts(ctx context.Context, storeID, terminalID int64) (HeldCarts, error)
	// OpenDeposits are the store's deposits still frozen that were taken
	// before the moment given.
	OpenDeposits(ctx context.Context, storeID int64, before time.Time) ([]ItemRef, error)
	// Shifts lists the store's shifts started in [q.From, q.To) (either
	// may be zero: open-ended), newest first, at most q.Limit.
	Shifts(ctx context.Context, storeID int64, q Query) ([]Shift, error)
	// Shift is one shift with its handover; ErrNotFound when none.
	Shift(ctx context.Context, id int64) (Shift, error)
	app.AuditLog
}

// Verifier checks a manager's staff number and PIN typed on someone
// else's screen (app/auth): a wrong PIN counts towards that manager's
// lockout.
type Verifier interface {
	Verify(ctx context.Context, code, pin string) (app.Staff, error)
}

// Terminal tells where the service runs: read at each use, as settings
// may change it while the app runs.
type Terminal interface {
	CurrentStore(ctx context.Context) (app.StoreInfo, error)
	CurrentTerminal(ctx context.Context) (app.TerminalInfo, error)
}

// Thresholds gives the store's variance threshold (app/settings).
type Thresholds interface {
	VarianceThreshold(ctx context.Context) (app.Money, error)
}

// Report is what the shift report prints: an ended shift as it was kept.
type Report struct {
	Store     app.StoreInfo
	Terminal  app.TerminalInfo // where it is printed
	Shift     Shift            // with its Handover
	Reprint   bool
	PrintedAt time.Time
}

// Printer queues the shift report on the store's printer, durably.
type Printer interface {
	PrintShiftReport(ctx context.Context, r Report) error
}

// Query selects shifts for List.
type Query struct {
	From, To time.Time // started in [From, To); zero: open-ended
	StaffID  int64     // 0: everyone
	Limit    int       // 0: DefaultLimit; at most MaxLimit
}

// Limits of List.
const (
	DefaultLimit = 100
	MaxLimit     = 10000
)

// Service clocks people on and off and hands shifts over.
type Service struct {
	Store      Store
	Summary    summary.Engine
	Verifier   Verifier
	Permits    app.Permits
	Printer    Printer // nil: no printer; reports are kept and can be printed later
	Signals    *app.Signals
	Clock      app.Clock
	Terminal   Terminal
	Thresholds Thresholds
	// OnDeviceError hears of a report that could not be queued after a
	// clock-off (the clock-off stands; the report is kept); nil: ignored.
	OnDeviceError func(what string, err error)
}

// Attempts at closing a shift while money keeps landing on it.
const endAttempts = 3

// Current is the person's open shift.
func (s *Service) Current(ctx context.Context, staffID int64) (Shift, bool, error) {
	sh, ok, err := s.Store.OpenShiftOf(ctx, staffID)
	if err != nil || !ok {
		return Shift{}, false, err
	}
	sh, err = s.withDay(ctx, sh)
	return sh, err == nil, err
}

// OpenShifts are the open shifts in this store, oldest first.
func (s *Service) OpenShifts(ctx context.Context) ([]Shift, error) {
	st, err := s.Terminal.CurrentStore(ctx)
	if err != nil {
		return nil, err
	}
	out, err := s.Store.OpenShifts(ctx, st.ID)
	if err != nil {
		return nil, err
	}
	loc := st.Location()
	for i := range out {
		out[i].Day = summary.DayOf(out[i].StartedAt, loc)
	}
	return out, nil
}

// SuggestedFloat is the float the last shift ended on this terminal (or
// store-wide) left in the drawer, what the next person normally starts
// with; 0 when there is none.
func (s *Service) SuggestedFloat(ctx context.Context) (app.Money, error) {
	t, err := s.Terminal.CurrentTerminal(ctx)
	if err != nil {
		return 0, err
	}
	return s.Store.LastFloat(ctx, t.StoreID, t.ID)
}

// CheckFloat checks an opening float.
func CheckFloat(m app.Money) error {
	switch {
	case m < 0:
		return ErrFloatNegative.With("Amount", m)
	case m > MaxFloat:
		return ErrFloatTooLarge.With("Amount", m, "Max", MaxFloat)
	}
	return nil
}

// ClockOn opens a shift for the person on this terminal or for the whole
// store, with the cash counted into the drawer. The person needs the
// shift-handover permission now; one open shift per person.
func (s *Service) ClockOn(ctx context.Context, staffID int64, scope Scope, openingFloat app.Money) (Shift, error) {
	if scope != ScopeTerminal && scope != ScopeStore {
		return Shift{}, ErrBadScope.With("Scope", string(scope))
	}
	if err := CheckFloat(openingFloat); err != nil {
		return Shift{}, err
	}
	staff, err := s.Permits.Check(ctx, staffID, app.PermShiftHandover)
	if err != nil {
		return Shift{}, err
	}
	if cur, ok, err := s.Store.OpenShiftOf(ctx, staffID); err != nil {
		return Shift{}, err
	} else if ok {
		return Shift{}, ErrAlreadyOn.With("Name", staff.Name, "Since", cur.StartedAt)
	}
	t, err := s.Terminal.CurrentTerminal(ctx)
	if err != nil {
		return Shift{}, err
	}
	sh := Shift{StoreID: t.StoreID, StaffID: staff.ID, StaffCode: staff.Code, StaffName: staff.Name,
		StartedAt: s.Clock.Now(), OpeningFloat: openingFloat}
	if scope == ScopeTerminal {
		sh.TerminalID, sh.TerminalName = t.ID, t.Name
	}
	sh, err = s.Store.StartShift(ctx, sh, app.AuditEntry{At: sh.StartedAt, StaffID: staff.ID, Action: "clock_on",
		Detail: fmt.Sprintf("scope=%s terminal=%d float=%s", scope, t.ID, openingFloat)})
	if err != nil {
		return Shift{}, err
	}
	s.Signals.Emit(app.SignalShift, staff.ID)
	return s.withDay(ctx, sh)
}

// Takings are the shift's figures so far.
func (s *Service) Takings(ctx context.Context, shiftID int64) (summary.Summary, error) {
	sh, err := s.Store.Shift(ctx, shiftID)
	if err != nil {
		return summary.Summary{}, err
	}
	return s.Summary.Summarize(ctx, summary.Filter{StoreID: sh.StoreID, ShiftID: sh.ID})
}

// Threshold is the store's variance threshold: a variance beyond it (either
// way) needs a manager's countersign.
func (s *Service) Threshold(ctx context.Context) (app.Money, error) {
	return s.Thresholds.VarianceThreshold(ctx)
}

// Review is the handover after the blind count, before anything is
// written: expected against counted, the variance, whether a manager must
// countersign, the held orders and open deposits to hand over by name and
// the shift's figures.
func (s *Service) Review(ctx context.Context, staffID int64, count CashCount, floatLeft app.Money) (Handover, error) {
	return s.ReviewFor(ctx, staffID, staffID, count, floatLeft)
}

// ReviewFor is Review of staffID's shift by actorID: the person
// themselves, or a store manager closing it for them (ClockOffFor).
func (s *Service) ReviewFor(ctx context.Context, actorID, staffID int64, count CashCount, floatLeft app.Money) (Handover, error) {
	_, sh, err := s.openBy(ctx, actorID, staffID)
	if err != nil {
		return Handover{}, err
	}
	h, _, err := s.handover(ctx, sh, count, floatLeft, s.Clock.Now())
	return h, err
}

// ClockOff ends the person's shift with the handover: the figures are
// computed again, the count and the float checked, the countersign
// verified when the variance needs one; then the end and the whole
// handover are written in one transaction with their audit lines, and the
// shift report is queued on the printer (a printer problem never undoes
// the clock-off: the report is kept and can be printed again).
func (s *Service) ClockOff(ctx context.Context, staffID int64, count CashCount, floatLeft app.Money, cs *Countersign) (Shift, error) {
	return s.ClockOffFor(ctx, staffID, staffID, count, floatLeft, cs)
}

// ClockOffFor ends staffID's shift on behalf of actorID. When they are the
// same person it is ClockOff. Otherwise actorID is a store manager (of the
// shift's store) or an administrator holding the shift-handover
// permission, closing a shift its owner cannot — they went home without
// clocking off, or were disabled since: the manager counts the drawer,
// and their own authority stands for the countersign (no second PIN).
// The audit lines name the manager, and whose shift it was.
func (s *Service) ClockOffFor(ctx context.Context, actorID, staffID int64, count CashCount, floatLeft app.Money, cs *Countersign) (Shift, error) {
	actor, sh, err := s.openBy(ctx, actorID, staffID)
	if err != nil {
		return Shift{}, err
	}
	staff := app.Staff{ID: sh.StaffID, Code: sh.StaffCode, Name: sh.StaffName, StoreID: sh.StoreID}
	onBehalf := actor.ID != staff.ID
	var manager app.Staff
	verified := false
	if onBehalf {
		manager, verified = actor, true
	}
	for attempt := 1; ; attempt++ {
		end := s.Clock.Now()
		h, mark, err := s.handover(ctx, sh, count, floatLeft, end)
		if err != nil {
			return Shift{}, err
		}
		if h.NeedsCountersign && !verified {
			if manager, err = s.countersign(ctx, staff, h, cs); err != nil {
				return Shift{}, err
			}
			verified = true // one PIN check, even when the figures move and this runs again
		}
		detail := fmt.Sprintf("expected=%s counted=%s variance=%s float_left=%s", h.Expected, h.Counted, h.Variance, h.FloatLeft)
		if onBehalf {
			detail += fmt.Sprintf(" for=%s(%d)", staff.Code, staff.ID)
		}
		audit := []app.AuditEntry{{At: end, StaffID: actor.ID, Action: "clock_off", Subject: fmt.Sprint(sh.ID), Detail: detail}}
		if h.NeedsCountersign {
			h.CountersignedBy, h.CountersignName = manager.ID, manager.Name
			audit = append(audit, app.AuditEntry{At: end, StaffID: manager.ID, Action: "handover_countersign", Subject: fmt.Sprint(sh.ID),
				Detail: fmt.Sprintf("staff=%d variance=%s threshold=%s", staff.ID, h.Variance, h.Threshold)})
		}
		ended := sh
		ended.EndedAt, ended.Handover = end, &h
		err = s.Store.EndShift(ctx, ended, mark, audit)
		if errors.Is(err, ErrStale) {
			// Money landed on the shift (or someone ended it) between
			// reading the figures and writing: read them again.
			if _, still, oerr := s.Store.OpenShiftOf(ctx, staffID); oerr != nil {
				return Shift{}, oerr
			} else if !still {
				return Shift{}, ErrNotOn.With("Name", staff.Name)
			}
			if attempt < endAttempts {
				continue
			}
			return Shift{}, ErrChanged.Wrap(err)
		}
		if err != nil {
			return Shift{}, err
		}
		s.Signals.Emit(app.SignalShift, staff.ID)
		out, err := s.withDay(ctx, ended)
		if err != nil {
			return ended, nil // written; only the business day is missing
		}
		if s.Printer != nil {
			if perr := s.print(ctx, out, false); perr != nil && s.OnDeviceError != nil {
				s.OnDeviceError("shift_report", perr)
			}
		}
		return out, nil
	}
}

// openBy checks actorID may hand over staffID's shift now — their own
// with the shift-handover permission; someone else's only as a store
// manager of that store or an administrator — and finds it.
func (s *Service) openBy(ctx context.Context, actorID, staffID int64) (app.Staff, Shift, error) {
	actor, err := s.Permits.Check(ctx, actorID, app.PermShiftHandover)
	if err != nil {
		return app.Staff{}, Shift{}, err
	}
	sh, ok, err := s.Store.OpenShiftOf(ctx, staffID)
	if err != nil {
		return actor, Shift{}, err
	}
	if actorID != staffID && (!ok || !canCloseFor(actor, sh)) {
		if !ok {
			return actor, Shift{}, ErrNoOpenShift
		}
		return actor, Shift{}, ErrCloseForRole.With("Name", actor.Name, "Owner", sh.StaffName)
	}
	if !ok {
		return actor, Shift{}, ErrNotOn.With("Name", actor.Name)
	}
	return actor, sh, nil
}

// canCloseFor: an administrator, or a manager of the shift's store.
func canCloseFor(actor app.Staff, sh Shift) bool {
	return actor.Role == app.RoleAdmin || (actor.Role == app.RoleManager && (actor.StoreID == 0 || actor.StoreID == sh.StoreID))
}

// handover computes the handover of sh ending at end, and the takings mark
// its figures were read at.
func (s *Service) handover(ctx context.Context, sh Shift, count CashCount, floatLeft app.Money, end time.Time) (Handover, int64, error) {
	counted, err := count.Total()
	if err != nil {
		return Handover{}, 0, err
	}
	switch {
	case floatLeft < 0:
		return Handover{}, 0, ErrFloatLeftNegative.With("Amount", floatLeft)
	case floatLeft > counted:
		return Handover{}, 0, ErrFloatLeftTooLarge.With("Amount", floatLeft, "Counted", counted)
	}
	threshold, err := s.Threshold(ctx)
	if err != nil {
		return Handover{}, 0, err
	}
	term, err := s.Terminal.CurrentTerminal(ctx)
	if err != nil {
		return Handover{}, 0, err
	}
	// The mark first: money recorded after it makes the write refuse,
	// whether or not the figures below already saw it.
	mark, err := s.Store.TakingsMark(ctx, sh.ID)
	if err != nil {
		return Handover{}, 0, err
	}
	sum, err := s.Summary.Summarize(ctx, summary.Filter{StoreID: sh.StoreID, ShiftID: sh.ID})
	if err != nil {
		return Handover{}, 0, err
	}
	held, err := s.Store.HeldOrders(ctx, sh.StoreID, sh.StaffID)
	if err != nil {
		return Handover{}, 0, err
	}
	deposits, err := s.Store.OpenDeposits(ctx, sh.StoreID, end)
	if err != nil {
		return Handover{}, 0, err
	}
	heldAt := sh.TerminalID
	if heldAt == 0 {
		heldAt = term.ID // a store-wide shift hands over the drawer it was counted at
	}
	carts, err := s.Store.HeldCarts(ctx, sh.StoreID, heldAt)
	if err != nil {
		return Handover{}, 0, err
	}
	cash := sum.Method(summary.MethodCash)
	expected := sh.OpeningFloat + cash.Settlement - cash.RefundSettlement
	variance := counted - expected
	h := Handover{
		CountTerminal: term.Name,
		Count:         normalised(count),
		Counted:       counted,
		Expected:      expected,
		Variance:      variance,
		FloatLeft:     floatLeft,
		Threshold:     threshold,
		HeldOrders:    held,
		OpenDeposits:  deposits,
		HeldCarts:     carts,
		Summary:       sum,
	}
	h.NeedsCountersign = abs(variance) > threshold
	return h, mark, nil
}

// normalised keeps every denomination in the count, zeros included, so
// the kept count reads the same whatever the screen sent.
func normalised(c CashCount) CashCount {
	out := CashCount{Notes: make(map[string]int64, len(Denominations)), Coins: c.Coins}
	for _, d := range Denominations {
		out.Notes[d.Code] = c.Notes[d.Code]
	}
	return out
}

func abs(m app.Money) app.Money {
	if m < 0 {
		return -m
	}
	return m
}

// countersign verifies a manager's countersign for staff's handover: a
// different person, a store manager (of this store) or an administrator,
// not disabled, with the right PIN.
func (s *Service) countersign(ctx context.Context, staff app.Staff, h Handover, cs *Countersign) (app.Staff, error) {
	if cs == nil || cs.Code == "" {
		return app.Staff{}, ErrCountersignNeeded.With("Variance", h.Variance, "Threshold", h.Threshold)
	}
	if cs.Code == staff.Code {
		// Refused before the PIN is checked: a person cannot accept their
		// own variance, and their PIN tries are not spent on it.
		return app.Staff{}, ErrCountersignSelf.With("Name", staff.Name)
	}
	m, err := s.Verifier.Verify(ctx, cs.Code, cs.PIN)
	if err != nil {
		return app.Staff{}, err
	}
	switch {
	case m.ID == staff.ID:
		return app.Staff{}, ErrCountersignSelf.With("Name", staff.Name)
	case m.Disabled:
		return app.Staff{}, ErrCountersignDisabled.With("Name", m.Name)
	case m.Role == app.RoleAdmin:
	case m.Role == app.RoleManager && (m.StoreID == 0 || m.StoreID == staff.StoreID || staff.StoreID == 0):
	default:
		return app.Staff{}, ErrCountersignRole.With("Name", m.Name)
	}
	return m, nil
}

// List lists this store's shifts, newest first.
func (s *Service) List(ctx context.Context, q Query) ([]Shift, error) {
	if q.Limit <= 0 {
		q.Limit = DefaultLimit
	}
	q.Limit = min(q.Limit, MaxLimit)
	st, err := s.Terminal.CurrentStore(ctx)
	if err != nil {
		return nil, err
	}
	out, err := s.Store.Shifts(ctx, st.ID, q)
	if err != nil {
		return nil, err
	}
	loc := st.Location()
	for i := range out {
		out[i].Day = summary.DayOf(out[i].StartedAt, loc)
	}
	return out, nil
}

// Get is one shift with its handover (when ended).
func (s *Service) Get(ctx context.Context, id int64) (Shift, error) {
	sh, err := s.Store.Shift(ctx, id)
	if err != nil {
		return Shift{}, err
	}
	return s.withDay(ctx, sh)
}

// Print queues a reprint of an ended shift's report, as it was kept, for
// staffID: their own shift with the shift-handover permission, anyone's
// with the permission to see the store's transactions.
func (s *Service) Print(ctx context.Context, shiftID, staffID int64) error {
	sh, err := s.Get(ctx, shiftID)
	if err != nil {
		return err
	}
	perm := app.PermViewStoreOrders
	if sh.StaffID == staffID {
		perm = app.PermShiftHandover
	}
	if _, err := s.Permits.Check(ctx, staffID, perm); err != nil {
		return err
	}
	if sh.Open() || sh.Handover == nil {
		return ErrStillOpen.With("ID", sh.ID)
	}
	if s.Printer == nil {
		return ErrNoPrinter
	}
	if err := s.print(ctx, sh, true); err != nil {
		return err
	}
	return s.Store.Audit(ctx, app.AuditEntry{At: s.Clock.Now(), StaffID: staffID, Action: "shift_report_reprint", Subject: fmt.Sprint(sh.ID)})
}

func (s *Service) print(ctx context.Context, sh Shift, reprint bool) error {
	st, err := s.Terminal.CurrentStore(ctx)
	if err != nil {
		return err
	}
	t, err := s.Terminal.CurrentTerminal(ctx)
	if err != nil {
		return err
	}
	return s.Printer.PrintShiftReport(ctx, Report{Store: st, Terminal: t, Shift: sh, Reprint: reprint, PrintedAt: s.Clock.Now()})
}

// withDay fills the shift's business day from the store's time zone.
func (s *Service) withDay(ctx context.Context, sh Shift) (Shift, error) {
	st, err := s.Terminal.CurrentStore(ctx)
	if err != nil {
		return sh, err
	}
	sh.Day = summary.DayOf(sh.StartedAt, st.Location())
	return sh, nil
}
