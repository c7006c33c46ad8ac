// Package catalog is the pure core of the product catalogue: barcode
// classification, price-embedded scale labels, product validation and the
// keys a search matches. It holds no storage and no screens.
package catalog

import (
	"strings"

	"golang.org/x/text/width"

	"cashier/app"
)

// Kind is what a code on a product is.
type Kind int

const (
	KindInternal Kind = iota // store-assigned: letters and digits, no check digit
	KindEAN13
	KindEAN8
	KindUPCA
	KindInStore // EAN-13 with prefix 20–29: the store's own or a scale label
)

// MaxInternalCodeLen bounds a store-assigned code; longer is a typing or
// scanning accident, not a code.
const MaxInternalCodeLen = 20

var (
	ErrBarcode          = app.NewError("catalog.barcode.invalid")
	ErrBarcodeEmpty     = ErrBarcode.Sub("catalog.barcode.empty")
	ErrBarcodeCheck     = ErrBarcode.Sub("catalog.barcode.check_digit")
	ErrBarcodeChars     = ErrBarcode.Sub("catalog.barcode.chars")
	ErrBarcodeTooLong   = ErrBarcode.Sub("catalog.barcode.too_long")
	ErrBarcodeDuplicate = app.NewError("catalog.barcode.duplicate")
)

// NormaliseCode is how a code is stored and compared: full-width digits
// and letters (typed through a Chinese IME) folded to ASCII, spaces around
// it dropped, letters upper-cased so "ab12" and "AB12" are one code.
func NormaliseCode(s string) string {
	return strings.ToUpper(strings.TrimSpace(width.Fold.String(s)))
}

// Classify says what kind of code s is, or why it is none. A string of 8,
// 12 or 13 digits is always read as a GTIN and must carry a correct check
// digit: a misread scan is refused rather than saved as an internal code.
// Any other string of ASCII letters, digits, '-' or '_' up to
// MaxInternalCodeLen is an internal code.
func Classify(s string) (Kind, error) {
	code := NormaliseCode(s)
	if code == "" {
		return 0, ErrBarcodeEmpty
	}
	digits := true
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c >= '0' && c <= '9':
		case c >= 'A' && c <= 'Z', c == '-', c == '_':
			digits = false
		default:
			return 0, ErrBarcodeChars.With("Barcode", code)
		}
	}
	if digits {
		switch len(code) {
		case 8, 12, 13:
			if !ValidCheckDigit(code) {
				return 0, ErrBarcodeCheck.With("Barcode", code)
			}
			switch len(code) {
			case 8:
				return KindEAN8, nil
			case 12:
				return KindUPCA, nil
			}
			if code[0] == '2' {
				return KindInStore, nil
			}
			return KindEAN13, nil
		}
	}
	if len(code) > MaxInternalCodeLen {
		return 0, ErrBarcodeTooLong.With("Barcode", code, "Max", MaxInternalCodeLen)
	}
	return KindInternal, nil
}

// CheckDigit computes the GS1 mod-10 check digit for a payload of digits
// (the code without its last digit): weights 3 and 1 from the right, the
// same rule for EAN-13, EAN-8, UPC-A and GTIN-14. ok is false when payload
// is empty or holds a non-digit.
func CheckDigit(payload string) (d byte, ok bool) {
	if payload == "" {
		return 0, false
	}
	sum := 0
	for i := 0; i < len(payload); i++ {
		c := payload[len(payload)-1-i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n := int(c - '0')
		if i%2 == 0 {
			n *= 3
		}
		sum += n
	}
	return byte('0' + (10-sum%10)%10), true
}

// ValidCheckDigit reports whether code (digits, at least two) ends with
// its correct GS1 check digit.
func ValidCheckDigit(code string) bool {
	if len(code) < 2 {
		return false
	}
	d, ok := CheckDigit(code[:len(code)-1])
	return ok && d == code[len(code)-1]
}
