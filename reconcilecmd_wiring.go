package main

import (
	"context"
	"errors"
	"time"

	"cashier/app"
	"cashier/app/jobs"
	"cashier/app/reconcile"
	"cashier/app/summary"
	"cashier/sync/channel"
)

// Reconciler is the folder's reconciliation use case (app/reconcile):
// bills from the configured channels, records and kept runs from the
// database, settling through the payment state machine. Without started
// payments it reads and explains kept runs only (no bills, nothing to
// settle with). The CLI, the scheduled job and the reconciliation view
// all use it.
func (s *Services) Reconciler() *reconcile.Service {
	svc := &reconcile.Service{Store: s.DB.ReconcileStore(), Bills: channelBills{s.Channels}, Permits: s.Permits, Clock: s.Clock}
	if s.Payments != nil {
		svc.Settler, svc.Prefix = s.Payments, s.Payments.NumberPrefix()
	}
	return svc
}

// channelBills downloads bills through the channel clients and says what
// their errors mean to reconciliation.
type channelBills struct{ chans *channel.Channels }

func (b channelBills) Channels() []app.ChannelName {
	if b.chans == nil {
		return nil
	}
	return b.chans.Names()
}

func (b channelBills) Download(ctx context.Context, ch app.ChannelName, day summary.Day) (app.Bill, error) {
	title := app.ChannelTitle(ch)
	if b.chans == nil {
		return app.Bill{}, reconcile.ErrNoChannel.With("Channel", title)
	}
	c, err := b.chans.Named(ch)
	if err != nil {
		return app.Bill{}, reconcile.ErrNoChannel.With("Channel", title).Wrap(err)
	}
	from, _ := reconcile.Window(day)
	// Noon of the bill day: every client takes the China-time day of it.
	bill, err := c.DownloadBill(ctx, from.Add(12*time.Hour))
	switch {
	case errors.Is(err, channel.ErrNoBill):
		return app.Bill{}, reconcile.ErrBillNotReady.With("Channel", title, "Day", day.String()).Wrap(err)
	case err != nil:
		return app.Bill{}, reconcile.ErrBillUnusable.With("Channel", title, "Day", day.String(), "Reason", err.Error()).Wrap(err)
	}
	if ch == app.ChannelAlipay {
		// Alipay writes 服务费 as what it takes off (negative on a trade);
		// reconciliation counts a fee charged as positive, as WeChat does.
		for i := range bill.Lines {
			bill.Lines[i].Fee = -bill.Lines[i].Fee
		}
	}
	return bill, nil
}

// catchUpDays is how far back the scheduled job looks for days whose bill
// was not ready or not usable when last tried.
const catchUpDays = 6

// reconcileJob is the reconcile job's work (jobs.DayReconciler): every
// configured channel's bill of day (the store's yesterday; its date is
// the bill day, which the channels cut in China time) and, again, each of
// the six days before it whose bill was not ready or not usable. A bill
// still missing fails the run (it is shown, and tried again next time);
// Done counts what matched, Open what waits for a person.
func (s *Services) reconcileJob(ctx context.Context, day time.Time, progress jobs.Progress) (jobs.Result, error) {
	svc := s.Reconciler()
	d := summary.DayOf(day, day.Location())
	back := func(n int) summary.Day {
		return summary.DayOf(time.Date(d.Year, d.Month, d.D-n, 12, 0, 0, 0, time.UTC), time.UTC)
	}
	type task struct {
		day summary.Day
		ch  app.ChannelName
	}
	chans := svc.Channels()
	var tasks []task
	for _, ch := range chans {
		tasks = append(tasks, task{d, ch})
	}
	due, err := svc.Due(ctx, back(catchUpDays), back(1))
	if err != nil {
		return jobs.Result{}, err
	}
	for _, r := range due {
		for _, ch := range chans {
			if ch == r.Channel {
				tasks = append(tasks, task{r.Day, r.Channel})
			}
		}
	}
	var res jobs.Result
	var errs []error
	days := map[summary.Day]bool{}
	for i, t := range tasks {
		progress(float64(i)/float64(len(tasks)), app.Msg("reconcile.job.channel", "Channel", app.ChannelTitle(t.ch), "Day", t.day.String()))
		r, err := svc.Day(ctx, t.day, t.ch)
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		days[t.day] = true
		if err != nil {
			errs = append(errs, err)
			continue
		}
		res.Done += r.Run.Matched
		res.Open += r.Run.Open
	}
	progress(1, app.Msg("reconcile.job.done"))
	res.Summary = app.Msg("reconcile.job.summary", "Days", len(days), "Channels", len(chans), "Matched", res.Done, "Open", res.Open)
	return res, errors.Join(errs...)
}
