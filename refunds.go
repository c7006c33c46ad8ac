package main

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2/theme"

	"cashier/app"
	"cashier/app/sale"
	"cashier/hardware/printq"
	"cashier/hardware/receipt"
	"cashier/hardware/speaker"
	"cashier/ui/i18n"
	"cashier/ui/refund"
	"cashier/ui/shell"
)

// Refunds at the counter (退款单): the use case's wiring, its receipt and
// announcement on the devices, and the workspace.

var (
	_ sale.RefundPrinter   = (*Devices)(nil)
	_ sale.RefundAnnouncer = (*Devices)(nil)
)

// startRefunds builds the refund use case beside the checkout, on the same
// devices: the drawer only where the checkout has one.
func (s *Services) startRefunds() {
	if s.Payments == nil || s.Checkout == nil {
		return
	}
	s.Refunds = &sale.Refunds{Store: s.DB, Payments: s.Payments, Permits: s.Permits, Terminal: s.DB, Clock: s.Clock,
		Signals: s.Signals, Drawer: s.Checkout.Drawer,
		OnDeviceError: func(what string, err error) {
			fmt.Fprintf(s.log(), "refund %s: %v\n", what, err)
		}}
	if s.Devices != nil {
		s.Refunds.Announcer = s.Devices
		if s.Devices.queue != nil {
			s.Refunds.Printer = s.Devices
		}
	}
}

// PrintRefund implements sale.RefundPrinter: the refund receipt from the
// stored refund, queued durably like a sale's. Chinese whatever the
// screen's language, as every receipt.
func (d *Devices) PrintRefund(ctx context.Context, r sale.RefundReceipt) error {
	rf := r.Refund
	out := receipt.OrderRefund{RefundNo: rf.RefundNo, OrderNo: rf.OrderNo, Time: rf.CreatedAt, Cashier: rf.StaffName,
		Approver: rf.ApprovedByName, Terminal: r.Terminal.Name, Reason: rf.Reason, Amount: rf.Amount}
	if r.Again {
		out.ReprintAt = r.Time
	}
	for _, l := range rf.Lines {
		var price app.Money
		for _, ol := range r.Order.Lines {
			if ol.LineNo == l.LineNo {
				price = ol.UnitPrice
			}
		}
		out.Lines = append(out.Lines, receipt.Line{Name: l.Name, Qty: l.Qty, UnitPrice: price, Amount: l.Amount})
	}
	for _, p := range rf.Parts {
		ref := p.RefundID
		if ref == "" {
			ref = p.OutRefundNo
		}
		out.Tenders = append(out.Tenders, receipt.RefundTender{Method: tenderMethod(app.Tender{Kind: p.Kind, Wallet: p.Wallet}),
			Amount: p.Amount, Ref: ref, Pending: p.State != sale.PartDone})
	}
	job, err := receipt.OrderRefundReceipt(receipt.HeaderFromStore(r.Store), out, receipt.Options{Paper: d.paper})
	if err != nil {
		return err
	}
	_, err = d.queue.Enqueue(ctx, "receipt", printq.KindRefund, rf.RefundNo, job)
	return err
}

// AnnounceRefund implements sale.RefundAnnouncer: "退款12.50元".
func (d *Devices) AnnounceRefund(_ context.Context, m app.Money) error {
	if d.speaker == nil {
		return nil
	}
	return d.speaker.Say(speaker.Refunded(m))
}

// refundWorkspace is the refund screen on its own (the Counter opens the
// same screen with its key), offered to everyone: a person without the
// refund permission may ask a manager's override there.
func refundWorkspace(s *Services) shell.Workspace {
	return shell.Workspace{ID: "refund", TitleKey: i18n.Key("nav.refund"), Icon: theme.MailReplyIcon(),
		Visible: func(shell.Session) bool { return s.Refunds != nil },
		Build: func(se shell.Session) shell.Page {
			v := refund.New(refundDeps(s, se))
			return shell.Page{Content: v.Content(), Focus: v.Focus(), Stop: v.Stop}
		}}
}

// refundDeps are the refund screen's dependencies for the person logged
// in (the Counter's key opens it with these too).
func refundDeps(s *Services, se shell.Session) refund.Deps {
	d := refund.Deps{Refunds: s.Refunds, Staff: se.Staff, Canvas: se.Window.Canvas(), Override: askOverride(s, se)}
	if s.Devices != nil {
		d.Detector, d.Scans = s.Devices.wedge, s.Devices.scanCodes
	}
	return d
}
