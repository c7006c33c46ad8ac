package app

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"
)

// OrderKind separates sales from hotel deposits.
type OrderKind string

const (
	OrderSale    OrderKind = "sale"
	OrderDeposit OrderKind = "deposit"
)

// OrderStatus is an order's life: open → paying → paid | closed; paid →
// part_refunded → refunded.
type OrderStatus string

const (
	OrderOpen         OrderStatus = "open"
	OrderPaying       OrderStatus = "paying"
	OrderPaid         OrderStatus = "paid"
	OrderClosed       OrderStatus = "closed"
	OrderRefunded     OrderStatus = "refunded"
	OrderPartRefunded OrderStatus = "part_refunded"
)

// OrderLine is one product line. Amount = UnitPrice×Qty − Discount.
type OrderLine struct {
	LineNo    int
	ProductID int64 // 0 for a free-amount line
	Barcode   string
	Name      string
	Qty       int64
	UnitPrice Money
	Discount  Money
	Amount    Money
}

// Order is a sale or a deposit.
type Order struct {
	ID              int64
	OrderNo         string
	StoreID         int64
	TerminalID      int64
	StaffID         int64
	ShiftID         int64 // 0 when the staff member is not clocked on
	Kind            OrderKind
	Status          OrderStatus
	Total           Money // sum of line amounts (or the typed amount)
	Discount        Money
	NonDiscountable Money
	DepositPart     Money
	Payable         Money // what the customer pays: Total − Discount
	Paid            Money
	Refunded        Money
	Note            string
	CreatedAt       time.Time
	PaidAt          time.Time
	Lines           []OrderLine
}

var ErrOrderInvalid = errors.New("订单无效 / invalid order")

// Recompute fills line amounts, Total and Payable from the lines, with
// overflow checks, and spreads Discount across lines in proportion so that
// the line amounts add up to Payable to the fen.
func (o *Order) Recompute() error {
	if len(o.Lines) == 0 {
		if o.Total < 0 || o.Discount < 0 || o.Discount > o.Total {
			return ErrOrderInvalid
		}
		o.Payable = o.Total - o.Discount
		return nil
	}
	var total Money
	gross := make([]int64, len(o.Lines))
	for i := range o.Lines {
		l := &o.Lines[i]
		if l.Qty <= 0 || l.UnitPrice < 0 {
			return fmt.Errorf("%w: 第%d行数量或单价无效 / line %d quantity or price", ErrOrderInvalid, i+1, i+1)
		}
		g, err := l.UnitPrice.Mul(l.Qty)
		if err != nil {
			return err
		}
		gross[i] = int64(g)
		if total, err = total.Add(g); err != nil {
			return err
		}
		l.LineNo = i + 1
	}
	if o.Discount < 0 || o.Discount > total {
		return fmt.Errorf("%w: 优惠金额无效 / discount", ErrOrderInvalid)
	}
	shares := make([]Money, len(o.Lines))
	if o.Discount > 0 && total > 0 {
		var err error
		if shares, err = o.Discount.Allocate(gross...); err != nil {
			return err
		}
	}
	for i := range o.Lines {
		o.Lines[i].Discount = shares[i]
		o.Lines[i].Amount = Money(gross[i]) - shares[i]
	}
	o.Total = total
	o.Payable = total - o.Discount
	return nil
}

// NewOrderNo makes a merchant order number: the terminal's cashier prefix,
// the local time to the second and 6 random digits — unique without
// coordination, sortable, and within every channel's 32-character limit.
// Retries of one payment reuse the number; a new payment gets a new one.
// Within one process a number is never handed out twice in the same second
// (6 random digits alone collide with ~40 % probability after 1000 draws).
func NewOrderNo(prefix string, now time.Time) string {
	stamp := now.Format("20060102150405")
	issued.Lock()
	defer issued.Unlock()
	if issued.stamp != stamp {
		issued.stamp, issued.used = stamp, map[string]bool{}
	}
	for tries := 0; ; tries++ {
		n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
		if err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		no := fmt.Sprintf("%s%s%06d", prefix, stamp, n.Int64())
		if !issued.used[no] || tries >= 10_000 { // the bound is never reached below ~1e6 numbers a second
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
