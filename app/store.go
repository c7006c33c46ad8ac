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
}

// TerminalInfo is this machine's identity.
type TerminalInfo struct {
	ID          int64
	StoreID     int64
	Code        string
	Name        string
	CashierMode CashierMode
	OrderPrefix string
}

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

var ErrInvalidField = errors.New("字段无效 / invalid field")

func checkText(field, v string, required bool, max int) error {
	v = strings.TrimSpace(v)
	if required && v == "" {
		return errors.Join(ErrInvalidField, errors.New(field+" 不能为空 / must not be empty"))
	}
	if utf8.RuneCountInString(v) > max {
		return errors.Join(ErrInvalidField, errors.New(field+" 太长 / too long"))
	}
	return nil
}

// Validate checks what a person typed in Settings.
func (s StoreInfo) Validate() error {
	return errors.Join(
		checkText("门店名称 / store name", s.Name, true, 40),
		checkText("地址 / address", s.Address, false, 80),
		checkText("电话 / phone", s.Phone, false, 20),
		checkText("小票页脚 / receipt footer", s.ReceiptFooter, false, 120),
	)
}

// Validate checks what a person typed in Settings.
func (t TerminalInfo) Validate() error {
	var modeErr error
	switch t.CashierMode {
	case ModeSale, ModeDeposit, ModeSaleDeposit:
	default:
		modeErr = errors.Join(ErrInvalidField, errors.New("收银模式 / cashier mode"))
	}
	return errors.Join(checkText("终端名称 / terminal name", t.Name, true, 30), modeErr)
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
