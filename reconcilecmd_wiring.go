package main

import (
	"context"
	"errors"
	"time"

	"cashier/app"
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
