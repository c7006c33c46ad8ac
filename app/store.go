package app

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// CashierMode is what a terminal takes: sales, deposits or both.
type CashierMode string

const (
	ModeSale        CashierMode = "sale"         // 仅收银
	ModeDeposit     CashierMode = "deposit"      // 仅押金
	ModeSaleDeposit CashierMode = "sale_deposit" // 收银+押金
)

// StoreInfo is the store's details as printed on receipts and shown in Settings.
type StoreInfo struct {
	ID            int64
	MerchantID    int64
	MerchantName  string
	Code          string
	Name          string
	Address       string
	Phone         string
	ReceiptFooter string
	Timezone      string
	// ScaleLayout is what the store's label scales print in an EAN-13
	// starting with 2: one of ScaleLayouts (app/catalog's layouts by name).
	ScaleLayout string
	// PaymentMode is how the Counter charges (business-rules section 3);
	// "" reads as PaymentDefault.
	PaymentMode PaymentMode
	// DiscountFloorPct is the lowest a discount may bring a line or an
	// order to, as a percent of its list price: 80 allows at most 20 %
	// off; 0 sets no floor. 0..100.
	DiscountFloorPct int
}

// PaymentMode is a store's payment mode (business-rules section 3).
type PaymentMode string

const (
	PaymentDefault PaymentMode = "default" // 默认
	// PaymentTotalNonDiscount: the total and its non-discountable part,
	// sent to Alipay as undiscountable_amount (总额+不可优惠金额，仅支付宝).
	PaymentTotalNonDiscount PaymentMode = "total_nondiscount"
	// PaymentConsumeDeposit: consumption and a deposit typed apart, the
	// deposit part noted on the order (消费+押金).
	PaymentConsumeDeposit PaymentMode = "consume_deposit"
)

// PaymentModes are the modes a store can choose, in the order Settings
// offers them (the values the store.payment_mode column allows).
var PaymentModes = []PaymentMode{PaymentDefault, PaymentTotalNonDiscount, PaymentConsumeDeposit}

// Known reports whether m is one of PaymentModes ("" is not: Or gives
// the default).
func (m PaymentMode) Known() bool {
	for _, k := range PaymentModes {
		if m == k {
			return true
		}
	}
	return false
}

// Or is m, or PaymentDefault when m is empty (a StoreInfo built without
// the setting).
func (m PaymentMode) Or() PaymentMode {
	if m == "" {
		return PaymentDefault
	}
	return m
}

// ErrDiscountFloor: a discount floor outside 0..100 percent (Value).
var ErrDiscountFloor = ErrInvalidField.Sub("store.discount_floor_invalid")

// CheckDiscountFloor checks a discount floor percent.
func CheckDiscountFloor(pct int) error {
	if pct < 0 || pct > 100 {
		return ErrDiscountFloor.With("Value", pct)
	}
	return nil
}

// DiscountFloor is the lowest price a discount may bring list to:
// DiscountFloorPct percent of it, rounded up to the fen (the half fen goes
// to the store, never below the floor). 0 with no floor, a list price of
// zero or less, or a floor percent outside 0..100 (which Validate refuses:
// a bad stored value must not forbid every discount, nor allow a price
// above the list).
func (s StoreInfo) DiscountFloor(list Money) Money {
	pct := int64(s.DiscountFloorPct)
	if pct <= 0 || pct > 100 || list <= 0 {
		return 0
	}
	// list ≤ MaxInt64/100 for any amount a till sees; beyond it the
	// floor is worked out without the multiplication overflowing.
	if int64(list) > (1<<63-1)/100 {
		return Money(int64(list)/100*pct + (int64(list)%100*pct+99)/100)
	}
	return Money((int64(list)*pct + 99) / 100)
}

// ScaleLayouts are the scale-label settings a store can choose: none (no
// label scale), then app/catalog's layouts by name.
var ScaleLayouts = []string{"none", "price13", "weight13", "gs1price"}

// TerminalInfo is this machine's identity.
type TerminalInfo struct {
	ID          int64
	StoreID     int64
	Code        string // unique among the merchant's terminals; its letters and digits go into every order number
	Name        string
	CashierMode CashierMode
	OrderPrefix string // the channel's cashier-id prefix (Cloud Pay requires it), "" when none
}

// MaxOrderPrefixLen bounds OrderPrefix: with the terminal tag (6), a
// letter for refunds and deposit operations, the time (12) and at least 3
// random digits, every number stays within MaxOrderNoLen (32).
const MaxOrderPrefixLen = MaxOrderNoLen - 6 - 1 - 12 - 3

// Product is an item for sale.
type Product struct {
	ID       int64
	StoreID  int64
	Barcode  string
	Name     string
	Price    Money
	Unit     string
	Category string
	Active   bool
}

// Field errors name the field with a Message (Field) so the words come
// from the translations too.
var (
	ErrInvalidField  = NewError("field.invalid")
	ErrFieldRequired = ErrInvalidField.Sub("field.required")
	ErrFieldTooLong  = ErrInvalidField.Sub("field.too_long")
)

// CheckText checks a typed text field: required, at most max characters.
func CheckText(field Message, v string, required bool, max int) error {
	v = strings.TrimSpace(v)
	if required && v == "" {
		return ErrFieldRequired.With("Field", field)
	}
	if utf8.RuneCountInString(v) > max {
		return ErrFieldTooLong.With("Field", field, "Max", max)
	}
	return nil
}

// Validate checks what a person typed in Settings.
func (s StoreInfo) Validate() error {
	return errors.Join(
		CheckText(Msg("field.store_name"), s.Name, true, 40),
		CheckText(Msg("field.address"), s.Address, false, 80),
		CheckText(Msg("field.phone"), s.Phone, false, 20),
		CheckText(Msg("field.receipt_footer"), s.ReceiptFooter, false, 120),
		s.checkScaleLayout(),
		s.checkPaymentMode(),
		CheckDiscountFloor(s.DiscountFloorPct),
	)
}

func (s StoreInfo) checkPaymentMode() error {
	if s.PaymentMode.Or().Known() {
		return nil
	}
	return ErrInvalidField.With("Field", Msg("field.payment_mode"))
}

func (s StoreInfo) checkScaleLayout() error {
	for _, l := range ScaleLayouts {
		if s.ScaleLayout == l {
			return nil
		}
	}
	return ErrInvalidField.With("Field", Msg("field.scale_layout"))
}

// Validate checks what a person typed in Settings.
func (t TerminalInfo) Validate() error {
	var modeErr error
	switch t.CashierMode {
	case ModeSale, ModeDeposit, ModeSaleDeposit:
	default:
		modeErr = ErrInvalidField.With("Field", Msg("field.cashier_mode"))
	}
	return errors.Join(CheckText(Msg("field.terminal_name"), t.Name, true, 30), modeErr)
}

// Takes reports whether a terminal in this mode takes sales (or deposits).
func (m CashierMode) Takes(deposit bool) bool {
	switch m {
	case ModeSale:
		return !deposit
	case ModeDeposit:
		return deposit
	}
	return true
}

// ValidEAN13 reports whether code is 13 digits with a correct check digit.
func ValidEAN13(code string) bool {
	if len(code) != 13 {
		return false
	}
	sum := 0
	for i := 0; i < 12; i++ {
		c := code[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return code[12] >= '0' && code[12] <= '9' && int(code[12]-'0') == (10-sum%10)%10
}

// EAN13CheckDigit completes a 12-digit prefix.
func EAN13CheckDigit(prefix12 string) byte {
	sum := 0
	for i := 0; i < 12; i++ {
		d := int(prefix12[i] - '0')
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// NumberPrefix starts every order, payment and refund number this terminal
// makes: the channel's cashier-id prefix, then the terminal's tag (the last
// six letters and digits of its code). Two terminals with different codes
// can therefore never make the same number, even in the same second.
func (t TerminalInfo) NumberPrefix() string {
	var tag []byte
	for i := 0; i < len(t.Code); i++ {
		c := t.Code[i]
		if c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
			tag = append(tag, c)
		}
	}
	if len(tag) > 6 {
		tag = tag[len(tag)-6:]
	}
	return t.OrderPrefix + string(tag)
}
