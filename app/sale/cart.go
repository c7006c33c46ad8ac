package sale

import (
	"fmt"

	"cashier/app"
	"cashier/app/catalog"
)

// MaxCartLines bounds one sale: a longer list is a stuck scanner, not a
// customer.
const MaxCartLines = 200

// MaxQty bounds a line's quantity for the same reason.
const MaxQty = 9999

// CartLine is one line being rung up. A weighed line (Grams > 0) costs
// what its scale label says, or its weight times the price per unit; it is
// sold as one piece, its weight in its name, because order lines count
// whole pieces.
type CartLine struct {
	ProductID       int64
	Barcode         string
	Name            string
	Unit            string
	UnitPrice       app.Money // per piece, or per Unit for a weighed line
	Qty             int64
	Grams           int64 // > 0: weighed
	Label           bool  // from a scale label: one item, never merged with the next scan
	LineDiscount    app.Money
	NonDiscountable bool
}

// Gross is what the line costs before any discount.
func (l CartLine) Gross() (app.Money, error) {
	if l.Grams > 0 {
		per, ok := catalog.GramsPerUnit(l.Unit)
		if !ok {
			return 0, catalog.ErrWeighedUnit.With("Name", l.Name, "Unit", l.Unit)
		}
		return catalog.WeighedTotal(l.UnitPrice, per, l.Grams)
	}
	return l.UnitPrice.Mul(l.Qty)
}

// Weighed reports whether the line is sold by weight.
func (l CartLine) Weighed() bool { return l.Grams > 0 }

// orderLine is the line as the order stores it.
func (l CartLine) orderLine() (app.OrderLine, error) {
	g, err := l.Gross()
	if err != nil {
		return app.OrderLine{}, err
	}
	ol := app.OrderLine{ProductID: l.ProductID, Barcode: l.Barcode, Name: l.Name, Qty: l.Qty,
		UnitPrice: l.UnitPrice, LineDiscount: l.LineDiscount, NonDiscountable: l.NonDiscountable}
	if l.Weighed() {
		ol.Qty, ol.UnitPrice = 1, g
		ol.Name = fmt.Sprintf("%s %s", l.Name, FormatGrams(l.Grams))
	}
	return ol, nil
}

// FormatGrams writes a weight the way scales print it: 0.532kg, 12g.
func FormatGrams(g int64) string {
	return fmt.Sprintf("%d.%03dkg", g/1000, g%1000)
}

// Cart errors.
var (
	ErrCartFull      = app.NewError("cart.full")
	ErrCartEmpty     = app.NewError("cart.empty")
	ErrCartLine      = app.NewError("cart.no_line")
	ErrCartQty       = app.NewError("cart.qty")
	ErrCartWeighed   = app.NewError("cart.weighed")
	ErrCartGrams     = app.NewError("cart.grams")
	ErrCartDiscount  = app.NewError("cart.discount")
	ErrBelowFloor    = app.NewError("cart.below_floor")
	ErrNonDiscount   = app.NewError("cart.non_discountable")
	ErrCartPercent   = app.NewError("cart.percent")
	ErrDepositAmount = app.NewError("cart.deposit_part")
	// ErrNeedsWeight: a product priced by weight scanned by its own code
	// (no scale label): its weight has to be typed or read off a scale.
	ErrNeedsWeight = app.NewError("cart.needs_weight")
)

// Cart is a sale being rung up, before its order is written: lines,
// discounts and the deposit part. It is plain data for the screen that
// owns it (not safe for concurrent use); every change keeps it valid, so
// Order never fails on a cart that took its changes.
type Cart struct {
	Lines         []CartLine
	OrderDiscount app.Money
	// DepositPart is the part of the total that is a deposit (the store
	// payment mode consumption + deposit), noted on the order.
	DepositPart app.Money
	// FloorPct is the store's discount floor: no discount may bring a
	// line, or the order's discountable lines, below this percent of
	// their list price (0: no floor).
	FloorPct int
}

// Empty reports whether nothing is rung up.
func (c *Cart) Empty() bool { return len(c.Lines) == 0 }

// Add rings up a scanned product: one more of a product already on the
// last line (the cashier scanning the same item twice), else a new line.
// A scale label makes a weighed line of its own. It returns the line's
// index.
func (c *Cart) Add(s catalog.Scanned, qty int64) (int, error) {
	if qty <= 0 || qty > MaxQty {
		return -1, ErrCartQty.With("Max", MaxQty)
	}
	l := CartLine{ProductID: s.ID, Barcode: firstCode(s.Barcodes), Name: s.Name, Unit: s.Unit, UnitPrice: s.Price,
		Qty: qty, NonDiscountable: s.NonDiscountable}
	if s.Label != nil {
		// A scale label is its own line, never merged: its weight or
		// printed price is that one item's.
		l.Barcode, l.Qty, l.Label = s.Label.ItemCode, 1, true
		if s.Label.Measure == catalog.MeasureWeight {
			l.Grams = s.Label.Grams
		} else {
			l.UnitPrice = s.Amount // a price label: the scale worked the amount out
		}
		return c.append(l)
	}
	if _, ok := catalog.GramsPerUnit(s.Unit); ok {
		return -1, ErrNeedsWeight.With("Name", s.Name, "Unit", s.Unit)
	}
	if n := len(c.Lines); n > 0 {
		last := &c.Lines[n-1]
		if last.ProductID == l.ProductID && last.ProductID != 0 && !last.Label && !last.Weighed() && last.LineDiscount == 0 {
			return n - 1, c.SetQty(n-1, last.Qty+qty)
		}
	}
	return c.append(l)
}

// AddWeighed rings up a product priced by weight with the weight the
// cashier typed (or the counter scale read).
func (c *Cart) AddWeighed(r catalog.Record, grams int64) (int, error) {
	if _, ok := catalog.GramsPerUnit(r.Unit); !ok {
		return -1, ErrCartWeighed
	}
	if grams <= 0 || grams > MaxGrams {
		return -1, ErrCartGrams.With("Max", FormatGrams(MaxGrams))
	}
	return c.append(CartLine{ProductID: r.ID, Barcode: firstCode(r.Barcodes), Name: r.Name, Unit: r.Unit,
		UnitPrice: r.Price, Qty: 1, Grams: grams, NonDiscountable: r.NonDiscountable})
}

// MaxGrams bounds a typed weight (100 kg): more is a typing slip.
const MaxGrams = 100_000

// AddAmount rings up a typed amount (a store without a catalogue, or an
// item without a code): one line of that amount.
func (c *Cart) AddAmount(name string, amount app.Money, nonDiscountable bool) (int, error) {
	if amount <= 0 {
		return -1, app.ErrMoneyZero
	}
	return c.append(CartLine{Name: name, UnitPrice: amount, Qty: 1, NonDiscountable: nonDiscountable})
}

func (c *Cart) append(l CartLine) (int, error) {
	if len(c.Lines) >= MaxCartLines {
		return -1, ErrCartFull.With("Max", MaxCartLines)
	}
	c.Lines = append(c.Lines, l)
	if _, err := c.Order(); err != nil {
		c.Lines = c.Lines[:len(c.Lines)-1]
		return -1, err
	}
	return len(c.Lines) - 1, nil
}

func firstCode(codes []string) string {
	if len(codes) == 0 {
		return ""
	}
	return codes[0]
}

func (c *Cart) line(i int) (*CartLine, error) {
	if i < 0 || i >= len(c.Lines) {
		return nil, ErrCartLine
	}
	return &c.Lines[i], nil
}

// try applies change to the cart and keeps it only when the cart is still
// a valid order above the floor.
func (c *Cart) try(change func()) error {
	saved := *c
	saved.Lines = append([]CartLine(nil), c.Lines...)
	change()
	if _, err := c.Order(); err != nil {
		*c = saved
		return err
	}
	return nil
}

// SetQty changes how many of a line's product are sold. A line's own
// discount is an amount, so it stays (and must still fit).
func (c *Cart) SetQty(i int, qty int64) error {
	l, err := c.line(i)
	if err != nil {
		return err
	}
	if l.Weighed() {
		return ErrCartWeighed
	}
	if qty <= 0 || qty > MaxQty {
		return ErrCartQty.With("Max", MaxQty)
	}
	return c.try(func() { c.Lines[i].Qty = qty })
}

// SetGrams changes a weighed line's weight (typed when the scale has no
// label printer); a price label's amount cannot be re-weighed.
func (c *Cart) SetGrams(i int, grams int64) error {
	l, err := c.line(i)
	if err != nil {
		return err
	}
	if _, ok := catalog.GramsPerUnit(l.Unit); !ok || l.Label && !l.Weighed() {
		return ErrCartWeighed
	}
	if grams <= 0 || grams > MaxGrams {
		return ErrCartGrams.With("Max", FormatGrams(MaxGrams))
	}
	return c.try(func() { c.Lines[i].Grams, c.Lines[i].Qty = grams, 1 })
}

// Remove takes a line off (the caller has checked void_line).
func (c *Cart) Remove(i int) error {
	if _, err := c.line(i); err != nil {
		return err
	}
	return c.try(func() { c.Lines = append(c.Lines[:i:i], c.Lines[i+1:]...) })
}

// SetLineDiscount gives a line its own discount, an amount (the caller
// has checked the discount permission).
func (c *Cart) SetLineDiscount(i int, d app.Money) error {
	l, err := c.line(i)
	if err != nil {
		return err
	}
	if l.NonDiscountable && d != 0 {
		return ErrNonDiscount.With("Name", l.Name)
	}
	if d < 0 {
		return ErrCartDiscount
	}
	return c.try(func() { c.Lines[i].LineDiscount = d })
}

// SetLinePercent sets a line's discount so the customer pays pct percent
// of its list price (85 = 85折), to the fen, rounded in the customer's
// favour never: half a fen goes to the store.
func (c *Cart) SetLinePercent(i, pct int) error {
	l, err := c.line(i)
	if err != nil {
		return err
	}
	g, err := l.Gross()
	if err != nil {
		return err
	}
	d, err := percentOff(g, pct)
	if err != nil {
		return err
	}
	return c.SetLineDiscount(i, d)
}

// SetOrderDiscount discounts the whole order by an amount, spread over its
// discountable lines.
func (c *Cart) SetOrderDiscount(d app.Money) error {
	if d < 0 {
		return ErrCartDiscount
	}
	return c.try(func() { c.OrderDiscount = d })
}

// SetOrderPercent discounts the whole order so its discountable lines
// cost pct percent of what they cost after their own discounts.
func (c *Cart) SetOrderPercent(pct int) error {
	o, err := c.withoutOrderDiscount()
	if err != nil {
		return err
	}
	base := o.Payable - o.NonDiscountable
	d, err := percentOff(base, pct)
	if err != nil {
		return err
	}
	return c.SetOrderDiscount(d)
}

func (c *Cart) withoutOrderDiscount() (app.Order, error) {
	cc := *c
	cc.OrderDiscount = 0
	return cc.order()
}

// SetDepositPart notes the part of the total that is a deposit.
func (c *Cart) SetDepositPart(d app.Money) error {
	if d < 0 {
		return ErrDepositAmount
	}
	return c.try(func() { c.DepositPart = d })
}

// percentOff is the discount that leaves pct percent of m (half a fen
// rounds the price up).
func percentOff(m app.Money, pct int) (app.Money, error) {
	if pct <= 0 || pct > 100 {
		return 0, ErrCartPercent
	}
	pay := (int64(m)*int64(pct) + 50) / 100
	return m - app.Money(pay), nil
}

// floor is the lowest a discount may bring list to: FloorPct percent of
// it, rounded up to the fen.
func (c *Cart) floor(list app.Money) app.Money {
	if c.FloorPct <= 0 {
		return 0
	}
	return app.Money((int64(list)*int64(c.FloorPct) + 99) / 100)
}

// Order is the cart as an order's lines and amounts (not yet written):
// what the screen and the customer display show, and what Checkout.Open
// takes.
func (c *Cart) Order() (app.Order, error) { return c.order() }

func (c *Cart) order() (app.Order, error) {
	o := app.Order{Kind: app.OrderSale, OrderDiscount: c.OrderDiscount, DepositPart: c.DepositPart}
	var list app.Money // discountable lines at list price
	for i, l := range c.Lines {
		ol, err := l.orderLine()
		if err != nil {
			return app.Order{}, err
		}
		if !l.NonDiscountable {
			g, _ := l.Gross()
			if l.LineDiscount > 0 && g-l.LineDiscount < c.floor(g) {
				return app.Order{}, ErrBelowFloor.With("Line", i+1, "Floor", c.floor(g), "Pct", c.FloorPct)
			}
			list += g
		}
		o.Lines = append(o.Lines, ol)
	}
	if err := o.Recompute(); err != nil {
		return app.Order{}, err
	}
	if o.Discount > 0 && o.Payable-o.NonDiscountable < c.floor(list) {
		return app.Order{}, ErrBelowFloor.With("Line", 0, "Floor", c.floor(list), "Pct", c.FloorPct)
	}
	if c.DepositPart > o.Payable {
		return app.Order{}, ErrDepositAmount
	}
	return o, nil
}

// Input is the cart as a new order for Checkout.Open.
func (c *Cart) Input(staff app.Staff) (OrderInput, error) {
	if c.Empty() {
		return OrderInput{}, ErrCartEmpty
	}
	o, err := c.Order()
	if err != nil {
		return OrderInput{}, err
	}
	for i := range o.Lines {
		o.Lines[i].Discount, o.Lines[i].Amount = 0, 0 // inputs only: Open recomputes
	}
	return OrderInput{Staff: staff, Lines: o.Lines, Discount: c.OrderDiscount, DepositPart: c.DepositPart}, nil
}
