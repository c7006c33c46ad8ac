package main

import (
	"context"
	"time"

	"fyne.io/fyne/v2/theme"

	"cashier/app"
	"cashier/app/payment"
	"cashier/localdb"
	"cashier/ui/i18n"
	"cashier/ui/shell"
	"cashier/ui/today"
)

// todayWorkspace is the Today workspace (今日订单): this terminal's orders
// of the store's day, their details and reprints, for everyone logged in.
func todayWorkspace(s *Services) shell.Workspace {
	return shell.Workspace{ID: "today", TitleKey: i18n.Key("nav.today"), Icon: theme.DocumentPrintIcon(),
		Build: func(se shell.Session) shell.Page {
			v := today.New(todayDeps(s, se))
			return shell.Page{Content: v.Content(), Focus: v.Focus(), Stop: v.Stop}
		}}
}

// todayDeps are the Today screen's dependencies for the person logged in
// (the Counter's F10 opens the same screen over itself).
func todayDeps(s *Services, se shell.Session) today.Deps {
	d := today.Deps{Orders: todayOrders{db: s.DB, pay: localdb.NewPaymentStore(s.DB)}, Signals: s.Signals,
		Staff: se.Staff, Canvas: se.Window.Canvas()}
	if s.Checkout != nil && s.Checkout.Printer != nil {
		d.Printer = s.Checkout
	}
	return d
}

// reprintLast prints this terminal's last receipt again for staff
// (打印上一张, marked 重打 and audited): what the Counter's key calls.
func reprintLast(s *Services, staff app.Staff) func() error {
	return func() error {
		_, err := s.Checkout.ReprintLast(context.Background(), staff)
		return err
	}
}

// todayOrders reads this terminal's orders for the Today workspace.
type todayOrders struct {
	db  *localdb.DB
	pay *localdb.PaymentStore
}

// Today is the store's day that holds now, from its midnight, in the
// store's time zone.
func (o todayOrders) Today(ctx context.Context, now time.Time) ([]today.Row, *time.Location, error) {
	st, err := o.db.CurrentStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	term, err := o.db.CurrentTerminal(ctx)
	if err != nil {
		return nil, nil, err
	}
	loc := st.Location()
	y, m, d := now.In(loc).Date()
	from := time.Date(y, m, d, 0, 0, 0, 0, loc)
	rows, err := o.db.TerminalOrders(ctx, st.ID, term.ID, from, time.Date(y, m, d+1, 0, 0, 0, 0, loc))
	out := make([]today.Row, 0, len(rows))
	for _, r := range rows {
		out = append(out, today.Row{At: r.Order.CreatedAt, No: r.Order.OrderNo, Kind: r.Order.Kind, Status: r.Order.Status,
			Amount: r.Order.Payable, Paid: r.Order.Paid, Refunded: r.Order.Refunded, Methods: r.Methods, Staff: r.StaffName})
	}
	return out, loc, err
}

func (o todayOrders) Detail(ctx context.Context, orderNo string) (today.Detail, error) {
	ord, err := o.db.GetOrder(ctx, orderNo)
	if err != nil {
		return today.Detail{}, err
	}
	d := today.Detail{Order: ord}
	if p, err := o.db.StaffByID(ctx, ord.StaffID); err == nil {
		d.Staff = p.Name
	}
	rfs, err := o.pay.RefundsOf(ctx, orderNo)
	if err != nil {
		return d, err
	}
	for _, r := range rfs {
		at := r.FinishedAt
		if at.IsZero() {
			at = r.CreatedAt
		}
		reason := r.Reason
		if reason == "void" { // the code a void's refunds carry
			reason = i18n.T("today.refund.void")
		}
		d.Refunds = append(d.Refunds, today.Refund{No: r.OutRefundNo, Amount: r.Amount, State: refundState(r.State),
			At: at, Reason: reason})
	}
	return d, nil
}

// refundState is where a refund stands, in the Today view's four words.
func refundState(s payment.RefundState) today.RefundState {
	switch s {
	case payment.RefundRefunded:
		return today.RefundDone
	case payment.RefundFailed:
		return today.RefundFailed
	case payment.RefundManual:
		return today.RefundManual
	}
	return today.RefundPending
}
