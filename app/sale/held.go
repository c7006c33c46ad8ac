package sale

import (
	"context"
	"fmt"
	"strings"
	"time"

	"cashier/app"
	"cashier/app/payment"
)

// HeldStore keeps held carts (localdb). Every write carries its audit line
// and commits with it.
type HeldStore interface {
	// HoldOrder writes h and its lines (audited order_hold) and sets h.ID
	// and h.ShiftID.
	HoldOrder(ctx context.Context, h *app.HeldOrder) error
	// ListHeld is the terminal's held carts with their lines, oldest first.
	ListHeld(ctx context.Context, storeID, terminalID int64) ([]app.HeldOrder, error)
	// GetHeld is one held cart; app.ErrHeldNotFound when there is none.
	GetHeld(ctx context.Context, id int64) (app.HeldOrder, error)
	// ResumeHeld reads and deletes a held cart in one transaction
	// (audited order_resume): one resume wins, any other gets
	// app.ErrHeldNotFound.
	ResumeHeld(ctx context.Context, id, staffID int64, at time.Time) (app.HeldOrder, error)
	// DeleteHeld drops a held cart (audited order_hold_drop, with detail);
	// app.ErrHeldNotFound when it is gone already.
	DeleteHeld(ctx context.Context, id, staffID int64, at time.Time, detail string) error
}

// Holds parks carts before any payment (挂单) and gives them back (取单):
// the cashier serves the next customer meanwhile. Held carts are kept in
// storage, so they survive a restart; each is resumed at most once, and
// the shift handover counts what is still held. Every change emits
// SignalHeld (payload: the held order's ID) so open lists refresh.
type Holds struct {
	Store    HeldStore
	Permits  app.Permits
	Clock    app.Clock
	Signals  *app.Signals
	Terminal Terminal
}

// Hold parks the cart o for staff at this terminal: its lines, discounts,
// deposit part and payment mode (the store's when o has none), the
// cashier's label (trimmed, at most app.MaxHeldLabel characters) and what
// it comes to. An empty cart, one of more than app.MaxHeldLines lines, a
// line without a quantity or a discount the order would refuse are
// refused and nothing is written. It returns the cart as held (ID, Total,
// CreatedAt, ShiftID set).
func (s *Holds) Hold(ctx context.Context, staff app.Staff, o app.HeldOrder) (app.HeldOrder, error) {
	if staff.ID == 0 {
		return app.HeldOrder{}, payment.ErrNoStaff
	}
	o.Label = strings.TrimSpace(o.Label)
	if err := o.Validate(); err != nil {
		return app.HeldOrder{}, err
	}
	term, err := s.Terminal.CurrentTerminal(ctx)
	if err != nil {
		return app.HeldOrder{}, err
	}
	if o.PaymentMode == "" {
		st, err := s.Terminal.CurrentStore(ctx)
		if err != nil {
			return app.HeldOrder{}, err
		}
		o.PaymentMode = st.PaymentMode.Or()
	}
	if o.Total, err = HeldTotal(o); err != nil {
		return app.HeldOrder{}, err
	}
	o.ID, o.ShiftID = 0, 0
	o.StoreID, o.TerminalID, o.StaffID, o.StaffName = term.StoreID, term.ID, staff.ID, staff.Name
	o.CreatedAt = s.Clock.Now()
	for i := range o.Lines {
		l := &o.Lines[i]
		l.LineNo, l.Discount, l.Amount = i+1, 0, 0 // outputs are worked out again on resume
	}
	if err := s.Store.HoldOrder(ctx, &o); err != nil {
		return app.HeldOrder{}, err
	}
	s.Signals.Emit(app.SignalHeld, o.ID)
	return o, nil
}

// List is this terminal's held carts, oldest first (the newest last).
func (s *Holds) List(ctx context.Context) ([]app.HeldOrder, error) {
	term, err := s.Terminal.CurrentTerminal(ctx)
	if err != nil {
		return nil, err
	}
	return s.Store.ListHeld(ctx, term.StoreID, term.ID)
}

// Resume takes held cart id back for staff (anyone at the till may: the
// cashier who held it may have gone on break) and removes it from the
// held list in the same transaction: of two resumes of one cart — a double
// Enter, two windows — exactly one gets it, the other
// app.ErrHeldNotFound. The caller puts the lines back into the cart.
func (s *Holds) Resume(ctx context.Context, id int64, staff app.Staff) (app.HeldOrder, error) {
	if staff.ID == 0 {
		return app.HeldOrder{}, payment.ErrNoStaff
	}
	h, err := s.Store.ResumeHeld(ctx, id, staff.ID, s.Clock.Now())
	if err != nil {
		return app.HeldOrder{}, err
	}
	s.Signals.Emit(app.SignalHeld, id)
	return h, nil
}

// Drop throws held cart id away (the customer left without it): the
// cashier who held it may; anyone else needs the void_line permission now
// (a manager's one-shot override counts, and the audit line names who
// approved).
func (s *Holds) Drop(ctx context.Context, id int64, staff app.Staff) error {
	if staff.ID == 0 {
		return payment.ErrNoStaff
	}
	h, err := s.Store.GetHeld(ctx, id)
	if err != nil {
		return err
	}
	detail := ""
	if h.StaffID != staff.ID {
		p, err := s.Permits.Check(ctx, staff.ID, app.PermVoidLine)
		if err != nil {
			return err
		}
		if p.ApprovedBy != 0 {
			detail = fmt.Sprintf("approved_by=%s(%d)", p.ApprovedByName, p.ApprovedBy)
		}
	}
	if err := s.Store.DeleteHeld(ctx, id, staff.ID, s.Clock.Now(), detail); err != nil {
		return err
	}
	s.Signals.Emit(app.SignalHeld, id)
	return nil
}

// HeldTotal is what the customer would pay for a held cart: the cart's
// own sum (Cart.Order: a weighed line at its weight, rounded half up to
// the fen as the scale does, less the lines' own discounts and the
// order's), with no discount floor applied — the floor was kept when the
// discounts were given. The deposit part may not exceed it.
func HeldTotal(h app.HeldOrder) (app.Money, error) {
	c := CartFromHeld(h)
	o, err := c.Order()
	if err != nil {
		return 0, err
	}
	return o.Payable, nil
}

// HeldFromCart is the cart as a held order to hold: its lines as the cart
// keeps them (a weighed line's price per unit and its weight), the order
// discount and the deposit part, with the cashier's label. The payment
// mode is left to Hold (the store's).
func HeldFromCart(c Cart, label string) app.HeldOrder {
	h := app.HeldOrder{Label: label, OrderDiscount: c.OrderDiscount, DepositPart: c.DepositPart,
		Lines: make([]app.HeldLine, 0, len(c.Lines))}
	for _, l := range c.Lines {
		h.Lines = append(h.Lines, app.HeldLine{OrderLine: app.OrderLine{ProductID: l.ProductID, Barcode: l.Barcode,
			Name: l.Name, Qty: l.Qty, UnitPrice: l.UnitPrice, LineDiscount: l.LineDiscount, NonDiscountable: l.NonDiscountable},
			Grams: l.Grams, Unit: l.Unit, Label: l.Label})
	}
	return h
}

// CartFromHeld is a resumed held order as the cart it was. FloorPct is
// left 0: the caller sets the store's floor as it stands now.
func CartFromHeld(h app.HeldOrder) Cart {
	c := Cart{OrderDiscount: h.OrderDiscount, DepositPart: h.DepositPart, Lines: make([]CartLine, 0, len(h.Lines))}
	for _, l := range h.Lines {
		c.Lines = append(c.Lines, CartLine{ProductID: l.ProductID, Barcode: l.Barcode, Name: l.Name, Unit: l.Unit,
			UnitPrice: l.UnitPrice, Qty: l.Qty, Grams: l.Grams, Label: l.Label, LineDiscount: l.LineDiscount,
			NonDiscountable: l.NonDiscountable})
	}
	return c
}
