package sale

import (
	"context"
	"time"

	"cashier/app"
	"cashier/app/payment"
)

// Errors of a reprint.
var (
	// ErrNoReceipt: the order was never paid, so it has no receipt
	// (OrderNo).
	ErrNoReceipt = app.NewError("sale.no_receipt")
	// ErrNoLastReceipt: this terminal has paid no order lately.
	ErrNoLastReceipt = app.NewError("sale.no_last_receipt")
	// ErrNoPrinter: this terminal has no receipt printer.
	ErrNoPrinter = app.NewError("sale.no_printer")
)

// LastReceiptWithin bounds how far back "the last receipt" looks: it is
// for the customer still at the counter, and an older receipt is found in
// the day's orders.
const LastReceiptWithin = 24 * time.Hour

// LastPaid finds the order a terminal paid last (localdb does): its
// number, "" when none was created since since.
type LastPaid interface {
	LastPaidOrder(ctx context.Context, storeID, terminalID int64, since time.Time) (string, error)
}

// StaffNames names the person who took an order, for the receipt printed
// again (localdb does); without it a reprint names nobody.
type StaffNames interface {
	StaffByID(ctx context.Context, id int64) (app.Staff, error)
}

// hasReceipt: an order gets its receipt when it becomes paid, and keeps
// it through refunds.
func hasReceipt(s app.OrderStatus) bool {
	return s == app.OrderPaid || s == app.OrderPartRefunded || s == app.OrderRefunded
}

// Reprint queues the receipt of a paid order again, marked as a reprint
// (重打) with the time it is printed beside the time of the sale, so a
// copy is never taken for a second sale. Every reprint is in the audit
// log (receipt_reprint, who and which order), written before the job is
// queued: a reprint that cannot be logged does not happen. The receipt
// names the cashier who took the order, not the person reprinting it.
func (c *Checkout) Reprint(ctx context.Context, orderNo string, staff app.Staff) error {
	_, err := c.reprint(ctx, orderNo, staff, "")
	return err
}

// LastReceipt is the order this terminal paid last (within
// LastReceiptWithin), with its lines and tenders; ErrNoLastReceipt when
// there is none.
func (c *Checkout) LastReceipt(ctx context.Context) (app.Order, error) {
	lp, ok := c.Store.(LastPaid)
	if !ok {
		return app.Order{}, ErrNoLastReceipt
	}
	term, err := c.Terminal.CurrentTerminal(ctx)
	if err != nil {
		return app.Order{}, err
	}
	no, err := lp.LastPaidOrder(ctx, term.StoreID, term.ID, c.Clock.Now().Add(-LastReceiptWithin))
	if err != nil {
		return app.Order{}, err
	}
	if no == "" {
		return app.Order{}, ErrNoLastReceipt
	}
	return c.Store.GetOrder(ctx, no)
}

// ReprintLast prints this terminal's last receipt again (打印上一张), as
// Reprint does, and returns its order.
func (c *Checkout) ReprintLast(ctx context.Context, staff app.Staff) (app.Order, error) {
	o, err := c.LastReceipt(ctx)
	if err != nil {
		return o, err
	}
	return c.reprint(ctx, o.OrderNo, staff, "last")
}

func (c *Checkout) reprint(ctx context.Context, orderNo string, staff app.Staff, why string) (app.Order, error) {
	if staff.ID == 0 {
		return app.Order{}, payment.ErrNoStaff
	}
	o, err := c.Store.GetOrder(ctx, orderNo)
	if err != nil {
		return o, err
	}
	if !hasReceipt(o.Status) {
		return o, ErrNoReceipt.With("OrderNo", o.OrderNo)
	}
	if c.Printer == nil {
		return o, ErrNoPrinter
	}
	st, err := c.Terminal.CurrentStore(ctx)
	if err != nil {
		return o, err
	}
	term, err := c.Terminal.CurrentTerminal(ctx)
	if err != nil {
		return o, err
	}
	cashier := ""
	if n, ok := c.Store.(StaffNames); ok {
		if p, err := n.StaffByID(ctx, o.StaffID); err == nil {
			cashier = p.Name
		}
	}
	now := c.Clock.Now()
	if err := c.Store.Audit(ctx, app.AuditEntry{At: now, StaffID: staff.ID, Action: "receipt_reprint",
		Subject: o.OrderNo, Detail: why}); err != nil {
		return o, err
	}
	return o, c.Printer.PrintReceipt(ctx, Receipt{Store: st, Terminal: term, Order: o, Cashier: cashier, Time: now, Reprint: true})
}
