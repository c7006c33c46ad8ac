// Package sale is the checkout: an order is written first, tenders attach
// to it (a wallet payment by the customer's code, cash), and once its paid
// tenders cover it the post-sale work runs — the receipt from the order's
// lines and tenders, the announcement, the cash drawer, the customer
// display. An order given up before it is paid is voided and its paid
// tenders handed back.
package sale

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cashier/app"
	"cashier/app/payment"
)

// Store is what the checkout needs from storage.
type Store interface {
	// CreateOrder writes an open order and its lines and sets o.ID (the
	// shift is the staff member's open one, if any).
	CreateOrder(ctx context.Context, o *app.Order) error
	// CommitPaidSale writes a new order paid in full by its cash tenders
	// in one durable transaction, and sets the ids and states written.
	CommitPaidSale(ctx context.Context, o *app.Order, tenders []app.Tender) error
	// GetOrder loads an order with its lines and tenders.
	GetOrder(ctx context.Context, orderNo string) (app.Order, error)
	// AddCashTender records cash against an open order (paid at once) and,
	// in the same transaction, marks the order paid when its paid tenders
	// cover it. It refuses app.ErrOrderNotOpen, app.ErrTenderTooLarge.
	AddCashTender(ctx context.Context, t *app.Tender) error
	// VoidOrder closes an open order that has no tender in flight and no
	// paid wallet tender without a finished refund; its paid tenders
	// become returned. Audited with staffID.
	VoidOrder(ctx context.Context, orderID, staffID int64, at time.Time) error
	// Audit records each opening of the cash drawer.
	app.AuditLog
}

// Payer is the payment state machine, as the checkout uses it.
type Payer interface {
	Pay(ctx context.Context, in payment.PayInput) (payment.PayResult, error)
	PayByQR(ctx context.Context, in payment.PayQRInput) (payment.PayResult, error)
	Cancel(ctx context.Context, outTradeNo string) (payment.PayResult, error)
	RefundForVoid(ctx context.Context, in payment.RefundInput) (payment.RefundResult, error)
}

// Receipt is what the receipt printer is asked to print: everything comes
// from the stored order (lines and tenders), never from what the screen
// showed.
type Receipt struct {
	Store    app.StoreInfo
	Terminal app.TerminalInfo
	Order    app.Order
	Cashier  string
	Time     time.Time
	// Reprint: the receipt is printed again (marked 重打); Time is then
	// when it is reprinted and the order's PaidAt when it was paid.
	Reprint bool
}

// ReceiptPrinter queues a receipt on the store's printer.
type ReceiptPrinter interface {
	PrintReceipt(ctx context.Context, r Receipt) error
}

// Announcement is what the speaker says after a sale or deposit.
type Announcement struct {
	Deposit bool
	Amount  app.Money
}

// Announcer says it (the cloud speaker).
type Announcer interface {
	Announce(ctx context.Context, a Announcement) error
}

// CashDrawer opens the drawer (kicked through the receipt printer).
type CashDrawer interface {
	OpenDrawer(ctx context.Context) error
}

// CustomerDisplay shows the customer the order and what is due.
type CustomerDisplay interface {
	ShowOrder(ctx context.Context, o app.Order) error
}

// Terminal tells the checkout where it runs; settings may change it while
// the app runs, so it is read at each sale.
type Terminal interface {
	CurrentStore(ctx context.Context) (app.StoreInfo, error)
	CurrentTerminal(ctx context.Context) (app.TerminalInfo, error)
}

// Checkout is the sale use case. Printer, Announcer, Drawer and Display
// may be nil (none configured); a failing device never undoes a sale.
type Checkout struct {
	Store     Store
	Payments  Payer
	Terminal  Terminal
	Permits   app.Permits
	Clock     app.Clock
	Signals   *app.Signals
	Printer   ReceiptPrinter
	Announcer Announcer
	Drawer    CashDrawer
	Display   CustomerDisplay
	// OnDeviceError hears of post-sale work that failed (the receipt stays
	// queued, the announcement is lost); nil: ignored.
	OnDeviceError func(what string, err error)
}

// Errors of the checkout.
var (
	ErrModeRefuses   = app.NewError("sale.mode_refuses")
	ErrTenderPending = app.NewError("sale.tender_pending")
	ErrVoidNotDone   = app.NewError("sale.void_not_done")
	ErrCashShort     = app.NewError("sale.cash_short")
	// ErrNoDrawer: this terminal has no cash drawer (it is kicked through
	// the receipt printer).
	ErrNoDrawer = app.NewError("sale.no_drawer")
)

// OrderInput is a new order: product lines, or a typed amount (Total) for a
// store without a catalogue.
type OrderInput struct {
	Staff    app.Staff
	Deposit  bool
	Lines    []app.OrderLine
	Total    app.Money // used when there are no lines
	Discount app.Money // on the whole order (each line may carry its own LineDiscount)
	// DepositPart is the part of the order that is a deposit (the store
	// payment mode consumption + deposit), noted on the order.
	DepositPart app.Money
	Note        string
	// Guest is who a deposit is held for (deposits only).
	Guest app.Guest
}

// Open writes a new order (open, nothing paid).
func (c *Checkout) Open(ctx context.Context, in OrderInput) (app.Order, error) {
	o, err := c.newOrder(ctx, in)
	if err != nil {
		return app.Order{}, err
	}
	if err := c.Store.CreateOrder(ctx, &o); err != nil {
		return app.Order{}, err
	}
	c.Signals.Emit(app.SignalOrder, o.OrderNo)
	if c.Display != nil {
		c.device("display", c.Display.ShowOrder(ctx, o))
	}
	return o, nil
}

// newOrder checks a new order and works its amounts out (not written).
func (c *Checkout) newOrder(ctx context.Context, in OrderInput) (app.Order, error) {
	if in.Staff.ID == 0 {
		return app.Order{}, payment.ErrNoStaff
	}
	term, err := c.Terminal.CurrentTerminal(ctx)
	if err != nil {
		return app.Order{}, err
	}
	if !term.CashierMode.Takes(in.Deposit) {
		return app.Order{}, ErrModeRefuses.With("Deposit", in.Deposit)
	}
	now := c.Clock.Now()
	o := app.Order{
		OrderNo: app.NewOrderNo(term.NumberPrefix(), now), StoreID: term.StoreID, TerminalID: term.ID,
		StaffID: in.Staff.ID, Kind: app.OrderSale, Status: app.OrderOpen, Lines: in.Lines,
		Total: in.Total, OrderDiscount: in.Discount, DepositPart: in.DepositPart, Note: in.Note, CreatedAt: now,
	}
	if in.Deposit {
		o.Kind, o.Guest = app.OrderDeposit, in.Guest
		if err := o.Guest.Check(); err != nil {
			return app.Order{}, err
		}
	}
	if err := o.Recompute(); err != nil {
		return app.Order{}, err
	}
	if o.Payable <= 0 {
		return app.Order{}, app.ErrMoneyZero
	}
	if o.DepositPart < 0 || o.DepositPart > o.Payable {
		return app.Order{}, ErrDepositAmount
	}
	return o, nil
}

// SellForCash is a sale paid in full in cash at once: the order, its
// lines and the cash tender written in one durable commit (no open order
// is ever left between the two), the drawer opened, the post-sale work
// run. received is what the customer handed over (0: exactly the amount).
func (c *Checkout) SellForCash(ctx context.Context, in OrderInput, received app.Money, staff app.Staff) (Outcome, error) {
	if in.Deposit {
		return Outcome{}, app.ErrDepositOneTender
	}
	o, err := c.newOrder(ctx, in)
	if err != nil {
		return Outcome{}, err
	}
	if received == 0 {
		received = o.Payable
	}
	if received < o.Payable {
		return Outcome{}, ErrCashShort.With("Received", received, "Amount", o.Payable)
	}
	t := app.Tender{Kind: app.TenderCash, Amount: o.Payable, CashReceived: received, StaffID: staff.ID, CreatedAt: o.CreatedAt}
	tenders := []app.Tender{t}
	if err := c.Store.CommitPaidSale(ctx, &o, tenders); err != nil {
		return Outcome{}, err
	}
	c.openDrawer(ctx, staff.ID, o.OrderNo, "cash_sale")
	return c.after(ctx, Outcome{Order: o, Change: tenders[0].Change()}, staff, nil)
}

// Outcome is where an order stands after a tender.
type Outcome struct {
	Order   app.Order         // as stored after the tender
	Payment payment.PayResult // the wallet tender's result (zero for cash)
	Change  app.Money         // cash handed back
}

// Paid reports whether the order is now paid in full.
func (o Outcome) Paid() bool { return o.Order.Status == app.OrderPaid }

// PayByCode takes a wallet tender for amount (0: all that is due) of an
// open order with the customer's code, and runs the post-sale work when the
// order is then paid. A tender that fails leaves the order open for
// another tender.
func (c *Checkout) PayByCode(ctx context.Context, orderNo, code string, amount app.Money, staff app.Staff, onEvent payment.EventFunc) (Outcome, error) {
	o, err := c.Store.GetOrder(ctx, orderNo)
	if err != nil {
		return Outcome{}, err
	}
	res, err := c.Payments.Pay(ctx, payment.PayInput{Order: o, Code: code, Amount: amount,
		StaffID: staff.ID, StaffCode: staff.Code, OnEvent: onEvent})
	out := Outcome{Order: o, Payment: res}
	if res.OutTradeNo == "" {
		return out, err // nothing was written
	}
	return c.after(ctx, out, staff, err)
}

// Cancel is the cashier's cancel of a wallet tender still in progress (see
// payment.Payments.Cancel); PayByCode returns its final state.
func (c *Checkout) Cancel(ctx context.Context, outTradeNo string) error {
	_, err := c.Payments.Cancel(ctx, outTradeNo)
	return err
}

// PayCash records cash against an open order: amount towards the order
// (0: all that is due), received what the customer handed over (the rest
// is change). The drawer opens.
func (c *Checkout) PayCash(ctx context.Context, orderNo string, amount, received app.Money, staff app.Staff) (Outcome, error) {
	o, err := c.Store.GetOrder(ctx, orderNo)
	if err != nil {
		return Outcome{}, err
	}
	if amount == 0 {
		amount = o.Due()
	}
	if amount <= 0 {
		return Outcome{Order: o}, app.ErrMoneyZero
	}
	if received == 0 {
		received = amount
	}
	if received < amount {
		return Outcome{Order: o}, ErrCashShort.With("Received", received, "Amount", amount)
	}
	if err := o.CheckTender(app.TenderCash, amount); err != nil {
		return Outcome{Order: o}, err
	}
	t := app.Tender{OrderID: o.ID, Kind: app.TenderCash, Amount: amount, State: app.TenderPaid,
		CashReceived: received, StaffID: staff.ID, CreatedAt: c.Clock.Now()}
	if err := c.Store.AddCashTender(ctx, &t); err != nil {
		return Outcome{Order: o}, err
	}
	c.openDrawer(ctx, staff.ID, o.OrderNo, "cash_sale")
	out, err := c.after(ctx, Outcome{Order: o, Change: t.Change()}, staff, nil)
	return out, err
}

// after reloads the order once a tender is final and, when it became paid,
// runs the post-sale work.
func (c *Checkout) after(ctx context.Context, out Outcome, staff app.Staff, payErr error) (Outcome, error) {
	o, err := c.Store.GetOrder(context.WithoutCancel(ctx), out.Order.OrderNo)
	if err != nil {
		return out, errors.Join(payErr, err)
	}
	out.Order = o
	c.Signals.Emit(app.SignalOrder, o.OrderNo)
	if o.Status == app.OrderPaid {
		c.complete(context.WithoutCancel(ctx), o, staff)
	} else if c.Display != nil {
		c.device("display", c.Display.ShowOrder(ctx, o))
	}
	return out, payErr
}

// complete prints the receipt and announces. Both are best-effort: the
// money is taken and the order committed, so a printer problem leaves the
// job queued (visible in Devices), never undoes the sale.
func (c *Checkout) complete(ctx context.Context, o app.Order, staff app.Staff) {
	if c.Printer != nil {
		st, err := c.Terminal.CurrentStore(ctx)
		if err == nil {
			var term app.TerminalInfo
			term, err = c.Terminal.CurrentTerminal(ctx)
			if err == nil {
				err = c.Printer.PrintReceipt(ctx, Receipt{Store: st, Terminal: term, Order: o, Cashier: staff.Name, Time: c.Clock.Now()})
			}
		}
		c.device("receipt", err)
	}
	if c.Announcer != nil {
		c.device("announce", c.Announcer.Announce(ctx, Announcement{Deposit: o.Kind == app.OrderDeposit, Amount: o.Payable}))
	}
	if c.Display != nil {
		c.device("display", c.Display.ShowOrder(ctx, o))
	}
}

// openDrawer kicks the drawer, when there is one, and records who opened
// it for which order and why (and whether the kick failed): every drawer
// opening is in the audit log. Neither a failed kick nor a failed audit
// line undoes the sale; both are reported like any device failure.
func (c *Checkout) openDrawer(ctx context.Context, staffID int64, orderNo, why string) {
	if c.Drawer == nil {
		return
	}
	err := c.Drawer.OpenDrawer(ctx)
	c.device("drawer", err)
	if err != nil {
		why += " failed"
	}
	c.device("audit", c.Store.Audit(context.WithoutCancel(ctx), app.AuditEntry{At: c.Clock.Now(), StaffID: staffID,
		Action: "drawer_open", Subject: orderNo, Detail: why}))
}

// OpenDrawer opens the cash drawer without a sale (change for a customer,
// the float going in): the person needs the open_drawer permission now (a
// manager's one-shot override counts), and the opening is in the audit log
// — written before the drawer is kicked, so an opening that cannot be
// logged does not happen — naming who opened it and who approved.
func (c *Checkout) OpenDrawer(ctx context.Context, staffID int64) error {
	s, err := c.Permits.Check(ctx, staffID, app.PermOpenDrawer)
	if err != nil {
		return err
	}
	if c.Drawer == nil {
		return ErrNoDrawer
	}
	why := "no_sale"
	if s.ApprovedBy != 0 {
		why += fmt.Sprintf(" approved_by=%s(%d)", s.ApprovedByName, s.ApprovedBy)
	}
	if err := c.Store.Audit(ctx, app.AuditEntry{At: c.Clock.Now(), StaffID: s.ID, Action: "drawer_open", Detail: why}); err != nil {
		return err
	}
	err = c.Drawer.OpenDrawer(ctx)
	c.device("drawer", err)
	return err
}

// Authorize checks, at the moment of a cart change, that the person may
// make it (void_line, discount; a manager's one-shot override counts) and
// writes the audit line naming what was changed and who approved.
func (c *Checkout) Authorize(ctx context.Context, staffID int64, perm, detail string) error {
	s, err := c.Permits.Check(ctx, staffID, perm)
	if err != nil {
		return err
	}
	if s.ApprovedBy != 0 {
		detail += fmt.Sprintf(" approved_by=%s(%d)", s.ApprovedByName, s.ApprovedBy)
	}
	return c.Store.Audit(ctx, app.AuditEntry{At: c.Clock.Now(), StaffID: s.ID, Action: "cart_" + perm, Detail: detail})
}

func (c *Checkout) device(what string, err error) {
	if err != nil && c.OnDeviceError != nil {
		c.OnDeviceError(what, err)
	}
}

// VoidResult says how a void ended.
type VoidResult struct {
	Order   app.Order
	Refunds []payment.RefundResult
}

// Void gives up an open order: every paid wallet tender is refunded in
// full through its channel, cash tenders are handed back (the drawer
// opens), and the order is closed once nothing paid is left with the
// store. The person who took the order may void it; anyone else needs the
// refund permission. A tender still being paid must be cancelled first.
// When a refund does not finish, the order stays open (ErrVoidNotDone) and
// Void can be called again.
func (c *Checkout) Void(ctx context.Context, orderNo string, staff app.Staff) (VoidResult, error) {
	o, err := c.Store.GetOrder(ctx, orderNo)
	if err != nil {
		return VoidResult{}, err
	}
	if !o.Status.Open() {
		return VoidResult{Order: o}, app.ErrOrderNotOpen.With("OrderNo", o.OrderNo)
	}
	if o.StaffID != staff.ID {
		if _, err := c.Permits.Check(ctx, staff.ID, app.PermRefund); err != nil {
			return VoidResult{Order: o}, err
		}
	}
	hasCash := false
	for _, t := range o.Tenders {
		switch {
		case t.State == app.TenderPending:
			return VoidResult{Order: o}, ErrTenderPending.With("OutTradeNo", t.OutTradeNo)
		case t.State == app.TenderPaid && t.Kind == app.TenderCash:
			hasCash = true
		}
	}
	var out VoidResult
	for _, t := range o.Tenders {
		if t.State != app.TenderPaid || t.Kind != app.TenderWallet {
			continue
		}
		rf, err := c.Payments.RefundForVoid(ctx, payment.RefundInput{OrderNo: o.OrderNo, OutTradeNo: t.OutTradeNo,
			Amount: t.Amount, StaffID: staff.ID, Reason: "void"})
		if rf.OutRefundNo != "" {
			out.Refunds = append(out.Refunds, rf)
		}
		if err != nil {
			out.Order = o
			return out, err
		}
		if !rf.Refunded() {
			out.Order = o
			return out, ErrVoidNotDone.With("State", string(rf.State))
		}
	}
	if err := c.Store.VoidOrder(ctx, o.ID, staff.ID, c.Clock.Now()); err != nil {
		out.Order = o
		return out, err
	}
	if hasCash {
		c.openDrawer(ctx, staff.ID, o.OrderNo, "void")
	}
	out.Order, err = c.Store.GetOrder(ctx, orderNo)
	c.Signals.Emit(app.SignalOrder, orderNo)
	return out, err
}
