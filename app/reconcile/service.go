package reconcile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"cashier/app"
	"cashier/app/summary"
)

// Service reconciles days and resolves what differs. Day is what the
// scheduled job calls ("download yesterday's bills and reconcile"); the
// other methods act for a person and check their permission first.
type Service struct {
	Store   Store
	Bills   Bills
	Settler Settler
	Permits app.Permits
	Clock   app.Clock
	// Prefix starts every number this terminal makes
	// (payment.Payments.NumberPrefix): a bill row under another number is
	// another terminal's, counted apart. "" takes every row as ours.
	Prefix string
	// Grace: how far beyond the bill day a record here is still matched
	// (DefaultGrace when 0).
	Grace time.Duration
}

func (s *Service) grace() time.Duration {
	if s.Grace > 0 {
		return s.Grace
	}
	return DefaultGrace
}

func (s *Service) now() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock.Now()
}

// Channels lists the configured channels.
func (s *Service) Channels() []app.ChannelName { return s.Bills.Channels() }

// Yesterday is the bill day before now's, in China time: the day a
// scheduled reconciliation takes.
func (s *Service) Yesterday() summary.Day {
	return summary.DayOf(s.now().In(app.ChinaTime).AddDate(0, 0, -1), app.ChinaTime)
}

// Day reconciles ch's bill of day for the scheduled job (no person). The
// result is kept whatever it is; the error says why there is no new one:
// ErrBillNotReady (try later), ErrBillUnusable, ErrNoChannel, or a storage
// fault. An earlier result of the day stands beside a failed attempt.
func (s *Service) Day(ctx context.Context, day summary.Day, ch app.ChannelName) (Result, error) {
	return s.run(ctx, 0, day, ch)
}

// DayAs is Day for a person holding PermView.
func (s *Service) DayAs(ctx context.Context, staffID int64, day summary.Day, ch app.ChannelName) (Result, error) {
	if _, err := s.check(ctx, staffID, PermView); err != nil {
		return Result{}, err
	}
	return s.run(ctx, staffID, day, ch)
}

func (s *Service) check(ctx context.Context, staffID int64, perm string) (app.Staff, error) {
	if s.Permits == nil {
		return app.Staff{}, app.ErrNoPermission
	}
	return s.Permits.Check(ctx, staffID, perm)
}

func (s *Service) configured(ch app.ChannelName) bool {
	for _, c := range s.Bills.Channels() {
		if c == ch {
			return true
		}
	}
	return false
}

func (s *Service) run(ctx context.Context, staffID int64, day summary.Day, ch app.ChannelName) (Result, error) {
	if day.IsZero() {
		return Result{}, ErrFutureDay.With("Day", "")
	}
	from, to := Window(day)
	if !s.now().After(from) {
		return Result{}, ErrFutureDay.With("Day", day.String())
	}
	if !s.configured(ch) {
		return Result{}, ErrNoChannel.With("Channel", app.ChannelTitle(ch))
	}
	bill, err := s.Bills.Download(ctx, ch, day)
	if err == nil {
		err = checkBill(bill, ch, day)
	}
	if err != nil && ctx.Err() != nil {
		return Result{}, ctx.Err() // stopped: nothing learnt, nothing kept
	}
	notReady := errors.Is(err, ErrBillNotReady)
	if err != nil && !notReady {
		if _, ok := app.AsMessage(err); !ok {
			err = ErrBillUnusable.With("Channel", app.ChannelTitle(ch), "Day", day.String(), "Reason", err.Error()).Wrap(err)
		}
		return s.failed(ctx, staffID, day, ch, StatusFailed, err)
	}
	m := newMatcher(ch, day, s.Prefix)
	m.addBill(bill)
	locals, lerr := s.Store.Records(ctx, ch, from.Add(-s.grace()), to.Add(s.grace()))
	if lerr != nil {
		return Result{}, lerr
	}
	for i := range locals {
		m.addLocal(&locals[i])
	}
	if charges, refunds := m.wanted(); len(charges)+len(refunds) > 0 {
		found, err := s.Store.Lookup(ctx, ch, charges, refunds)
		if err != nil {
			return Result{}, err
		}
		for i := range found {
			m.addLocal(&found[i])
		}
	}
	m.byTransaction()
	var elsewhere map[string]summary.Day
	if lonely := m.lonely(); len(lonely) > 0 {
		if elsewhere, err = s.Store.BilledElsewhere(ctx, ch, day, lonely); err != nil {
			return Result{}, err
		}
	}
	run, lines := m.finish(elsewhere)
	if notReady {
		// No bill: if nothing here was due in it, the day had nothing to
		// reconcile; otherwise the bill is late, and an empty result must
		// not pass for a reconciled day.
		for _, d := range lines {
			if !d.Resolved() {
				return s.failed(ctx, staffID, day, ch, StatusNotReady,
					ErrBillNotReady.With("Channel", app.ChannelTitle(ch), "Day", day.String()))
			}
		}
		run = Run{Day: day, Channel: ch, Status: StatusEmpty}
		lines = nil
	}
	run.StaffID, run.AttemptedAt, run.ReconciledAt = staffID, s.now(), s.now()
	if err := s.Store.SaveRun(ctx, &run, lines); err != nil {
		return Result{}, err
	}
	return s.result(ctx, run)
}

// checkBill refuses a bill that is not the one asked for.
func checkBill(b app.Bill, ch app.ChannelName, day summary.Day) error {
	if b.Channel != "" && b.Channel != ch {
		return ErrBillMismatch.With("Channel", app.ChannelTitle(ch), "Day", day.String(), "Got", app.ChannelTitle(b.Channel))
	}
	if got := summary.DayOf(b.Date, app.ChinaTime); !b.Date.IsZero() && got != day {
		return ErrBillMismatch.With("Channel", app.ChannelTitle(ch), "Day", day.String(), "Got", got.String())
	}
	return nil
}

// failed keeps an attempt that found no usable bill and returns the run
// as kept (an earlier result stands) with err.
func (s *Service) failed(ctx context.Context, staffID int64, day summary.Day, ch app.ChannelName, st Status, err error) (Result, error) {
	m, _ := app.AsMessage(err)
	run := Run{Day: day, Channel: ch, Status: st, Error: m, StaffID: staffID, AttemptedAt: s.now()}
	if serr := s.Store.SaveAttempt(ctx, &run); serr != nil {
		return Result{}, errors.Join(err, serr)
	}
	res, rerr := s.result(ctx, run)
	if rerr != nil {
		return Result{}, errors.Join(err, rerr)
	}
	return res, err
}

func (s *Service) result(ctx context.Context, run Run) (Result, error) {
	kept, err := s.Store.Run(ctx, run.Day, run.Channel)
	if err != nil {
		return Result{}, err
	}
	lines, err := s.Store.Differences(ctx, kept.ID)
	if err != nil {
		return Result{}, err
	}
	return Result{Run: kept, Differences: lines}, nil
}

// Result is the kept run of day and ch with its lines, for a person
// holding PermView (ErrNoRun when the day was never reconciled).
func (s *Service) Result(ctx context.Context, staffID int64, day summary.Day, ch app.ChannelName) (Result, error) {
	if _, err := s.check(ctx, staffID, PermView); err != nil {
		return Result{}, err
	}
	return s.result(ctx, Run{Day: day, Channel: ch})
}

// Runs lists the kept runs from day from to day to (inclusive), for a
// person holding PermView.
func (s *Service) Runs(ctx context.Context, staffID int64, from, to summary.Day) ([]Run, error) {
	if _, err := s.check(ctx, staffID, PermView); err != nil {
		return nil, err
	}
	return s.Store.Runs(ctx, from, to)
}

// Due lists the kept runs from day from to day to (inclusive) whose last
// attempt found no usable bill (not ready, refused): the scheduled job
// tries them again, so a bill that came late is not left behind.
func (s *Service) Due(ctx context.Context, from, to summary.Day) ([]Run, error) {
	runs, err := s.Store.Runs(ctx, from, to)
	if err != nil {
		return nil, err
	}
	var out []Run
	for _, r := range runs {
		if r.Status == StatusNotReady || r.Status == StatusFailed {
			out = append(out, r)
		}
	}
	return out, nil
}

// Find is the line of day and ch about ref (ours or the bill's number, or
// the order's number): the unresolved one when there are several.
func (s *Service) Find(ctx context.Context, staffID int64, day summary.Day, ch app.ChannelName, ref string) (Difference, error) {
	res, err := s.Result(ctx, staffID, day, ch)
	if err != nil {
		return Difference{}, err
	}
	ref = strings.TrimSpace(ref)
	var found []Difference
	for _, d := range res.Differences {
		if ref != "" && (d.Ref == ref || d.OutTradeNo == ref || d.OrderNo == ref || d.TransactionID == ref) {
			found = append(found, d)
		}
	}
	for _, d := range found {
		if !d.Resolved() {
			return d, nil
		}
	}
	if len(found) > 0 {
		return found[0], nil
	}
	return Difference{}, ErrNoDifference.With("Ref", ref)
}

// Settle asks the channel about the record behind line id through the
// payment state machine's own recovery path (the record is queried, and a
// payment still unknown past its deadline reversed, as Recover would),
// then matches it against what the bill said again. The line is resolved
// only when the record now matches; otherwise it stays, with the record as
// it now stands. For a person holding PermResolve.
func (s *Service) Settle(ctx context.Context, staffID, id int64) (Difference, error) {
	who, err := s.check(ctx, staffID, PermResolve)
	if err != nil {
		return Difference{}, err
	}
	d, err := s.Store.Difference(ctx, id)
	if err != nil {
		return Difference{}, err
	}
	if d.Resolved() {
		return d, ErrResolved.With("Resolution", string(d.Resolution))
	}
	if d.LocalState == LocalAbsent {
		return d, ErrNothingToSettle.With("Ref", d.Ref)
	}
	if s.Settler == nil {
		return d, ErrNothingToSettle.With("Ref", d.Ref)
	}
	switch d.Record {
	case RecordRefund:
		_, err = s.Settler.ResumeRefund(ctx, d.Ref, nil)
	case RecordConsume, RecordRelease:
		_, err = s.Settler.ResumeDepositOp(ctx, d.Ref)
	default:
		_, err = s.Settler.ResumePayment(ctx, d.Ref)
	}
	if err != nil {
		return d, err
	}
	l, err := s.local(ctx, d)
	if err != nil {
		return d, err
	}
	d.LocalState, d.LocalStored, d.LocalAmount = l.State, l.Stored, l.Amount
	if l.TransactionID != "" {
		d.TransactionID = l.TransactionID
	}
	d.Kind = compare(l, d.Seen)
	if _, billed := billKey(d.Channel, l); !billed && (l.State == LocalMoved || l.State == LocalNone) {
		d.Kind = Matched // settled, and no bill says more of it
	}
	if d.Kind == Matched {
		d.Resolution, d.ResolvedBy, d.ResolvedByName, d.ResolvedAt = ResolvedMatched, who.ID, who.Name, s.now()
	}
	if err := s.Store.Resolve(ctx, d, nil); err != nil {
		return d, err
	}
	return d, nil
}

// local reads the record behind d again.
func (s *Service) local(ctx context.Context, d Difference) (Local, error) {
	var charges, refunds []string
	if d.Record == RecordRefund {
		refunds = []string{d.Ref}
	} else {
		charges = []string{d.Ref}
	}
	found, err := s.Store.Lookup(ctx, d.Channel, charges, refunds)
	if err != nil {
		return Local{}, err
	}
	for _, l := range found {
		if l.Record == d.Record && l.Ref == d.Ref {
			return l, nil
		}
	}
	return Local{}, ErrNothingToSettle.With("Ref", d.Ref)
}

// Explain resolves line id with a person's explanation, written with an
// audit line (AuditExplain) in one transaction. For a person holding
// PermResolve; the note is required.
func (s *Service) Explain(ctx context.Context, staffID, id int64, note string) (Difference, error) {
	note = strings.TrimSpace(note)
	if note == "" {
		return Difference{}, ErrNoteNeeded
	}
	if utf8.RuneCountInString(note) > MaxNote {
		return Difference{}, ErrNoteTooLong.With("Max", MaxNote)
	}
	who, err := s.check(ctx, staffID, PermResolve)
	if err != nil {
		return Difference{}, err
	}
	d, err := s.Store.Difference(ctx, id)
	if err != nil {
		return Difference{}, err
	}
	if d.Resolved() {
		return d, ErrResolved.With("Resolution", string(d.Resolution))
	}
	now := s.now()
	d.Resolution, d.Note, d.ResolvedBy, d.ResolvedByName, d.ResolvedAt = ResolvedExplained, note, who.ID, who.Name, now
	audit := app.AuditEntry{At: now, StaffID: who.ID, Action: AuditExplain, Subject: d.Ref,
		Detail: fmt.Sprintf("%s %s %s note=%s", d.Day, d.Channel, d.Kind, note)}
	if who.ApprovedBy != 0 {
		audit.Detail += fmt.Sprintf(" approved_by=%s(%d)", who.ApprovedByName, who.ApprovedBy)
	}
	if err := s.Store.Resolve(ctx, d, &audit); err != nil {
		return d, err
	}
	return d, nil
}
