package app

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"
)

// OrderKind separates sales from hotel deposits.
type OrderKind string

const (
	OrderSale    OrderKind = "sale"
	OrderDeposit OrderKind = "deposit"
)

// OrderStatus is an order's life. An order is written first (open) and
// tenders attach to it; it is paid when its paid tenders cover the payable
// amount; a failed tender leaves it open for another. An open order that is
// given up is voided (closed), its paid tenders handed back. A paid order
// is refunded in part or in full.
//
//	open ─▶ paid ─▶ part_refunded ─▶ refunded
//	  └──▶ closed
//
// "paying" is how orders written before tenders existed (schema 0001–0002)
// stand while their one payment is unfinished; it counts as open.
type OrderStatus string

const (
	OrderOpen         OrderStatus = "open"
	OrderPaying       OrderStatus = "paying"
	OrderPaid         OrderStatus = "paid"
	OrderClosed       OrderStatus = "closed"
	OrderRefunded     OrderStatus = "refunded"
	OrderPartRefunded OrderStatus = "part_refunded"
)

// Open reports whether tenders may still attach.
func (s OrderStatus) Open() bool { return s == OrderOpen || s == OrderPaying }

// TenderKind is how a tender pays.
type TenderKind string

const (
	TenderWallet TenderKind = "wallet" // the customer's payment code, through a channel (a payment intent)
	TenderCash   TenderKind = "cash"
	TenderMember TenderKind = "member" // the store's member-card balance
)

// TenderState is where one tender stands.
type TenderState string

const (
	TenderPending  TenderState = "pending"  // a wallet payment still being settled
	TenderPaid     TenderState = "paid"     // counts towards the order
	TenderFailed   TenderState = "failed"   // took nothing
	TenderReturned TenderState = "returned" // handed back when the order was voided (cash back, wallet refunded)
)

// Tender is one way part (or all) of an order is paid.
type Tender struct {
	ID           int64
	OrderID      int64
	Kind         TenderKind
	Wallet       Wallet // for a wallet tender
	Amount       Money  // what it pays towards the order
	State        TenderState
	CashReceived Money  // cash handed over (≥ Amount); the rest is change
	OutTradeNo   string // the payment intent's number, for a wallet tender
	// TransactionID is the channel's own number for a paid wallet tender
	// (WeChat transaction_id, Alipay trade_no), what the customer's wallet
	// shows and the channel's bill lists.
	TransactionID string
	StaffID       int64
	ShiftID       int64
	CreatedAt     time.Time
	SettledAt     time.Time
}

// Change is the cash handed back.
func (t Tender) Change() Money {
	if t.Kind != TenderCash || t.CashReceived <= t.Amount {
		return 0
	}
	return t.CashReceived - t.Amount
}

// OrderLine is one product line. Amount = UnitPrice×Qty − Discount.
type OrderLine struct {
	LineNo    int
	ProductID int64 // 0 for a free-amount line
	Barcode   string
	Name      string
	Qty       int64
	UnitPrice Money
	// LineDiscount is the discount given on this line alone (an input:
	// the cashier's, or a price change); NonDiscountable lines take none,
	// and no share of the order's.
	LineDiscount    Money
	NonDiscountable bool
	// Discount is all the line's discount, its own and its share of the
	// order's (Recompute fills it; orders read back have only this).
	Discount Money
	Amount   Money
}

// Order is a sale or a deposit.
type Order struct {
	ID         int64
	OrderNo    string
	StoreID    int64
	TerminalID int64
	StaffID    int64
	ShiftID    int64 // 0 when the staff member is not clocked on
	Kind       OrderKind
	Status     OrderStatus
	Total      Money // sum of line amounts (or the typed amount)
	// OrderDiscount is the discount on the whole order (an input), spread
	// over its discountable lines; Discount is every discount, the lines'
	// own and the order's (what Recompute works out and what is stored).
	OrderDiscount   Money
	Discount        Money
	NonDiscountable Money
	DepositPart     Money
	Payable         Money // what the customer pays: Total − Discount
	Paid            Money
	Refunded        Money
	Note            string
	// Guest is who a deposit is held for (the hotel's front desk); empty
	// on sales.
	Guest     Guest
	CreatedAt time.Time
	PaidAt    time.Time
	Lines     []OrderLine
	Tenders   []Tender // loaded with the order
}

// Guest is the hotel guest a deposit is taken from: the room, the name and
// a phone number to reach them (printed masked, see MaskPhone).
type Guest struct {
	Room  string
	Name  string
	Phone string
}

// Empty reports whether nothing is known of the guest.
func (g Guest) Empty() bool { return g.Room == "" && g.Name == "" && g.Phone == "" }

// Guest field limits: a receipt line's width, and what a hotel system
// sends at most.
const (
	GuestRoomMax  = 16
	GuestNameMax  = 32
	GuestPhoneMax = 20
	// DepositNoteMax: a deposit's note is one line of its receipt.
	DepositNoteMax = 60
)

// ErrGuestInvalid names the guest field that holds a character a receipt
// cannot print (a control character; in a phone, anything but digits,
// spaces, + - and parentheses); ErrGuestTooLong one longer than Max.
var (
	ErrGuestInvalid = NewError("order.guest_invalid")
	ErrGuestTooLong = ErrGuestInvalid.Sub("order.guest_too_long")
)

// Check refuses a guest field that is too long or has control characters;
// a phone may hold only digits, spaces, +, - and parentheses.
func (g Guest) Check() error {
	for _, f := range []struct {
		name  Message
		v     string
		max   int
		phone bool
	}{{Msg("guest.room"), g.Room, GuestRoomMax, false}, {Msg("guest.name"), g.Name, GuestNameMax, false},
		{Msg("guest.phone"), g.Phone, GuestPhoneMax, true}} {
		if len([]rune(f.v)) > f.max {
			return ErrGuestTooLong.With("Field", f.name, "Max", f.max)
		}
		for _, r := range f.v {
			if r < 0x20 || r == 0x7f ||
				f.phone && !(r >= '0' && r <= '9' || r == ' ' || r == '+' || r == '-' || r == '(' || r == ')') {
				return ErrGuestInvalid.With("Field", f.name)
			}
		}
	}
	return nil
}

// MaskPhone hides the middle of a phone number for a receipt or a list a
// passer-by may read: 138****5678 (the first three and last four digits
// stay, as Chinese receipts print them); a short number keeps only its
// last two.
func MaskPhone(p string) string {
	var d []rune
	for _, r := range p {
		if r >= '0' && r <= '9' {
			d = append(d, r)
		}
	}
	switch {
	case len(d) == 0:
		return ""
	case len(d) >= 8:
		return string(d[:3]) + strings.Repeat("*", len(d)-7) + string(d[len(d)-4:])
	case len(d) > 2:
		return strings.Repeat("*", len(d)-2) + string(d[len(d)-2:])
	}
	return strings.Repeat("*", len(d))
}

// Due is what is still to pay: the payable amount less every tender that
// is paid or still being settled.
func (o Order) Due() Money {
	d := o.Payable
	for _, t := range o.Tenders {
		if t.State == TenderPaid || t.State == TenderPending {
			d -= t.Amount
		}
	}
	return max(d, 0)
}

// ShortNo is the last digits of the order number, to read to a customer.
func (o Order) ShortNo() string { return ShortNo(o.OrderNo) }

// ShortNo is the last 6 characters of an order number.
func ShortNo(no string) string {
	if len(no) <= 6 {
		return no
	}
	return no[len(no)-6:]
}

var (
	ErrOrderInvalid   = NewError("order.invalid")
	errLineInvalid    = ErrOrderInvalid.Sub("order.line_invalid")
	errDiscountBad    = ErrOrderInvalid.Sub("order.discount_invalid")
	ErrOrderNotOpen   = NewError("order.not_open")
	ErrTenderTooLarge = NewError("order.tender_too_large")
	// ErrDepositOneTender: a deposit is one wallet freeze of the whole
	// amount. Two freezes would make two deposits at the channel, and
	// the deposit desk would know only one of them; cash is not frozen.
	ErrDepositOneTender = NewError("order.deposit_one_tender")
)

// CheckTender refuses a tender a deposit order cannot take: anything but
// one wallet tender for the whole amount. Other orders take any tender up
// to what is due (the store checks that against the stored tenders).
func (o Order) CheckTender(kind TenderKind, amount Money) error {
	if o.Kind != OrderDeposit {
		return nil
	}
	if kind != TenderWallet || amount != o.Payable || o.Due() != o.Payable {
		return ErrDepositOneTender.With("Amount", o.Payable)
	}
	return nil
}

// Recompute fills line amounts, Total, Discount, NonDiscountable and
// Payable from the lines, with overflow checks. Each line keeps its own
// LineDiscount; OrderDiscount is spread over the discountable lines in
// proportion to what they cost after their own discount, to the fen, so
// the line amounts add up to Payable. Non-discountable lines take no
// discount of either kind: their total is NonDiscountable (what Alipay
// must not discount, undiscountable_amount). Recompute reads only inputs,
// so running it again changes nothing.
func (o *Order) Recompute() error {
	if len(o.Lines) == 0 {
		if o.Total < 0 || o.OrderDiscount < 0 || o.OrderDiscount > o.Total {
			return ErrOrderInvalid
		}
		o.Discount = o.OrderDiscount
		o.Payable = o.Total - o.Discount
		return nil
	}
	var total, base, nd Money
	net := make([]int64, len(o.Lines)) // what each discountable line costs after its own discount
	for i := range o.Lines {
		l := &o.Lines[i]
		if l.Qty <= 0 || l.UnitPrice < 0 {
			return errLineInvalid.With("Line", i+1)
		}
		g, err := l.UnitPrice.Mul(l.Qty)
		if err != nil {
			return err
		}
		if l.LineDiscount < 0 || l.LineDiscount > g || l.NonDiscountable && l.LineDiscount != 0 {
			return errDiscountBad.With("Line", i+1)
		}
		if total, err = total.Add(g); err != nil {
			return err
		}
		if l.NonDiscountable {
			nd += g
		} else {
			net[i] = int64(g - l.LineDiscount)
			base += g - l.LineDiscount
		}
		l.LineNo = i + 1
		l.Discount, l.Amount = l.LineDiscount, g-l.LineDiscount
	}
	if o.OrderDiscount < 0 || o.OrderDiscount > base {
		return errDiscountBad
	}
	discount := o.OrderDiscount
	if o.OrderDiscount > 0 {
		shares, err := o.OrderDiscount.Allocate(net...)
		if err != nil {
			return err
		}
		for i := range o.Lines {
			o.Lines[i].Discount += shares[i]
			o.Lines[i].Amount -= shares[i]
		}
	}
	for _, l := range o.Lines {
		discount += l.LineDiscount
	}
	o.Total, o.Discount, o.NonDiscountable = total, discount, nd
	o.Payable = total - discount
	return nil
}

// MaxOrderNoLen is the longest merchant order or refund number every
// channel takes (WeChat's 32 characters).
const MaxOrderNoLen = 32

// NewOrderNo makes a merchant order number: the prefix (the channel's
// cashier-id prefix and the terminal's tag, app.TerminalInfo.NumberPrefix,
// plus a letter for refunds and deposit operations), the local time to the
// second as yyMMddHHmmss, and 3–6 random digits, as many as fit in
// MaxOrderNoLen − 1. Unique without coordination: two terminals never share
// a tag, one data folder is driven by one process, and within one process
// a number is never handed out twice in the same second (random digits
// alone would collide: 6 of them with ~40 % probability after 1000 draws).
// Sortable by time. Retries of one payment reuse the number; a new payment
// gets a new one.
func NewOrderNo(prefix string, now time.Time) string {
	stamp := now.Format("060102150405")
	digits := min(max(MaxOrderNoLen-1-len(prefix)-len(stamp), 3), 6)
	limit := int64(1)
	for range digits {
		limit *= 10
	}
	issued.Lock()
	defer issued.Unlock()
	if issued.stamp != stamp {
		issued.stamp, issued.used = stamp, map[string]bool{}
	}
	for tries := 0; ; tries++ {
		n, err := rand.Int(rand.Reader, big.NewInt(limit))
		if err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		no := fmt.Sprintf("%s%s%0*d", prefix, stamp, digits, n.Int64())
		if !issued.used[no] || tries >= 10_000 { // reached only past ~limit numbers a second
			issued.used[no] = true
			return no
		}
	}
}

// issued remembers the order numbers handed out in the current second.
var issued struct {
	sync.Mutex
	stamp string
	used  map[string]bool
}
