package jobs

import (
	"context"
	"time"

	"cashier/app"
	"cashier/app/payment"
)

// The jobs' names (settings keys, storage, `pos jobs run NAME`).
const (
	NameSettle    = "settle"
	NameReconcile = "reconcile"
	NamePush      = "backoffice_push" // records to the back office
	NamePull      = "backoffice_pull" // master data from it
)

// Their default schedules, in the store's time zone.
const (
	DefaultSettle    = "@every 5m"
	DefaultReconcile = "30 3 * * *" // 03:30: the channels publish yesterday's bill by then
	// A sale reaches the back office within a minute or two; prices and
	// staff changes reach the counter within ten.
	DefaultPush = "@every 1m"
	DefaultPull = "@every 10m"
)

// RecoverFunc settles every unfinished payment, refund and deposit
// operation (payment.Payments.Recover).
type RecoverFunc func(ctx context.Context) (payment.RecoverReport, error)

// ErrSettleItems: some items could not be checked this time (Count, the
// First error); they are tried again at the next run.
var ErrSettleItems = app.NewError("jobs.settle.items_failed")

// Settle is the job that settles what is left open: payments the channel
// has not answered, refunds and deposit operations not final. Recover
// cannot tell how far it is, so the run shows that it runs, not a bar.
func Settle(recoverAll RecoverFunc) Job {
	return Job{Name: NameSettle, Title: app.Msg("jobs.settle.title"), Default: DefaultSettle,
		Work: func(ctx context.Context, progress Progress) (Result, error) {
			progress(-1, app.Msg("jobs.settle.checking"))
			rep, err := recoverAll(ctx)
			done := len(rep.Payments) + len(rep.Refunds) + len(rep.DepositOps)
			res := Result{Done: done, Open: rep.Unsettled(),
				Summary: app.Msg("jobs.settle.summary", "Done", done, "Open", rep.Unsettled())}
			if err != nil {
				return res, err
			}
			if len(rep.Errors) > 0 {
				return res, ErrSettleItems.With("Count", len(rep.Errors), "First", rep.Errors[0])
			}
			progress(1, app.Msg("jobs.settle.checking"))
			return res, nil
		}}
}

// DayReconciler downloads each configured channel's bill for one business
// day (midnight of that day in the store's zone) and matches it against
// the till, telling progress as it goes; the Result's summary says what it
// found (Done: lines matched, Open: differences).
type DayReconciler func(ctx context.Context, day time.Time, progress Progress) (Result, error)

// Reconcile is the job that reconciles yesterday — the store's yesterday
// when the run starts, read on clock in loc.
func Reconcile(day DayReconciler, clock app.Clock, loc *time.Location) Job {
	return Job{Name: NameReconcile, Title: app.Msg("jobs.reconcile.title"), Default: DefaultReconcile,
		Work: func(ctx context.Context, progress Progress) (Result, error) {
			return day(ctx, Yesterday(clock.Now(), loc), progress)
		}}
}

// Yesterday is the midnight starting the day before now's date in loc.
func Yesterday(now time.Time, loc *time.Location) time.Time {
	d := now.In(loc)
	return time.Date(d.Year(), d.Month(), d.Day()-1, 0, 0, 0, 0, loc)
}

// Push is the job that sends the records written since the last push to
// the back office; Pull is the one that brings its master data. Both are
// no-ops on a terminal that is not enrolled, and wait out their backoff
// after failures (the work decides; the schedule stays as set).
func Push(work Work) Job {
	return Job{Name: NamePush, Title: app.Msg("jobs.push.title"), Default: DefaultPush, Work: work}
}

// Pull: see Push.
func Pull(work Work) Job {
	return Job{Name: NamePull, Title: app.Msg("jobs.pull.title"), Default: DefaultPull, Work: work}
}
