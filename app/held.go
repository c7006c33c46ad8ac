package app

import (
	"errors"
	"strings"
	"time"
)

// Bounds of a held order.
const (
	// MaxHeldLines is the most lines a held cart keeps: the cart's own
	// limit (a longer list is a stuck scanner, not a customer).
	MaxHeldLines = 200
	// MaxHeldLabel is the most characters of the cashier's note that
	// tells one held cart from another ("穿红衣服的顾客").
	MaxHeldLabel = 20
)

// HeldLine is one line of a held cart. OrderLine carries the line's inputs
// (ProductID, Barcode, Name, Qty, UnitPrice, LineDiscount,
// NonDiscountable; its outputs LineNo, Discount and Amount are not kept).
// OrderLine has no weight and no unit, so they ride beside it here, with
// what else the cart needs to ring the line up again exactly as it was.
type HeldLine struct {
	OrderLine
	// Grams is a weighed line's net weight; 0 for goods sold by the piece.
	// A weighed line's UnitPrice is the price per Unit (per kg, per 斤),
	// as the cart keeps it, and its Qty is 1.
	Grams int64
	Unit  string
	// Label: the line came from a scale label (one item with its own
	// weight or printed price, never merged with the next scan).
	Label bool
}

// Weighed reports whether the line is sold by weight.
func (l HeldLine) Weighed() bool { return l.Grams > 0 }

// HeldOrder is a cart parked before any payment (挂单): the cashier serves
// the next customer and resumes it later (取单), on this terminal, after a
// restart too. It has no order number and no tender: the order is written
// only when the resumed cart is paid.
type HeldOrder struct {
	ID         int64
	StoreID    int64
	TerminalID int64
	StaffID    int64  // who held it
	StaffName  string // read back with it
	ShiftID    int64  // the holder's open shift, 0 when not clocked on
	// Label is the cashier's short note to find the cart again, at most
	// MaxHeldLabel characters; may be empty.
	Label         string
	OrderDiscount Money
	DepositPart   Money
	PaymentMode   PaymentMode
	// Total is what the customer would pay for the cart (after every
	// discount), worked out when it was held.
	Total     Money
	CreatedAt time.Time
	Lines     []HeldLine
}

// Errors of held orders.
var (
	ErrHeldInvalid      = NewError("held.invalid")
	ErrHeldEmpty        = ErrHeldInvalid.Sub("held.empty")
	ErrHeldTooManyLines = ErrHeldInvalid.Sub("held.too_many_lines") // Max
	ErrHeldLine         = ErrHeldInvalid.Sub("held.line_invalid")   // Line
	ErrHeldAmount       = ErrHeldInvalid.Sub("held.amount_invalid")
	// ErrHeldNotFound carries ID: no such held order — never held, or
	// resumed or dropped already (by this terminal or another process).
	ErrHeldNotFound = NewError("held.not_found")
)

// Validate checks a cart before it is held: one to MaxHeldLines lines,
// each with a quantity, no negative price, discount or weight, a weighed
// line with its unit, the label at most MaxHeldLabel characters and a
// known payment mode. Discounts against the lines are the order's rules
// (Order.Recompute), checked where the total is worked out.
func (h HeldOrder) Validate() error {
	if len(h.Lines) == 0 {
		return ErrHeldEmpty
	}
	if len(h.Lines) > MaxHeldLines {
		return ErrHeldTooManyLines.With("Max", MaxHeldLines)
	}
	var errs []error
	for i, l := range h.Lines {
		if l.Qty <= 0 || l.UnitPrice < 0 || l.LineDiscount < 0 || l.Grams < 0 ||
			l.Weighed() && (l.Qty != 1 || strings.TrimSpace(l.Unit) == "") {
			errs = append(errs, ErrHeldLine.With("Line", i+1))
			break // the first bad line is enough to fix the cart
		}
	}
	if h.OrderDiscount < 0 || h.DepositPart < 0 {
		errs = append(errs, ErrHeldAmount)
	}
	if !h.PaymentMode.Or().Known() {
		errs = append(errs, ErrInvalidField.With("Field", Msg("field.payment_mode")))
	}
	errs = append(errs, CheckText(Msg("field.held_label"), h.Label, false, MaxHeldLabel))
	return errors.Join(errs...)
}

// Age is how long the cart has been held at now (never below zero: a
// clock set back makes it just held).
func (h HeldOrder) Age(now time.Time) time.Duration {
	return max(now.Sub(h.CreatedAt), 0)
}

// Qty is how many pieces the cart holds (a weighed line counts as one).
func (h HeldOrder) Qty() int64 {
	var n int64
	for _, l := range h.Lines {
		n += l.Qty
	}
	return n
}
