package app

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// ErrNotPaymentCode is returned for anything the scanner read that is not a
// customer's payment code (a product barcode, a receipt number, a typo).
// The specific errors say why.
var (
	ErrNotPaymentCode = NewError("paycode.not_a_code")
	errCodeEmpty      = ErrNotPaymentCode.Sub("paycode.empty")
	errCodeTooLong    = ErrNotPaymentCode.Sub("paycode.too_long")
	errCodeDigits     = ErrNotPaymentCode.Sub("paycode.digits")
	errCodeForm       = ErrNotPaymentCode.Sub("paycode.form")
)

// MaxPaymentCodeLen bounds what ClassifyCode looks at; longer input is not a
// payment code and is never echoed back in full.
const MaxPaymentCodeLen = 32

// ClassifyCode tells which wallet a payment code belongs to, from its form:
//
//	WeChat Pay   18 digits, starting 10–15
//	Alipay       16–24 digits, starting 25–30
//	UnionPay QR  19 digits, starting 62
//	member card  digits starting 99, 12–24 long (the app's own member
//	             ledger serves these; no channel takes them)
//
// Surrounding spaces (a keyboard-wedge scanner's Enter, a pasted code) are
// ignored; anything else gives ErrNotPaymentCode and nothing is sent. The
// returned code is the trimmed one to send.
func ClassifyCode(code string) (Wallet, string, error) {
	c := strings.TrimSpace(code)
	if c == "" {
		return "", "", errCodeEmpty
	}
	if len(c) > MaxPaymentCodeLen {
		return "", "", errCodeTooLong.With("Len", len(c))
	}
	for i := 0; i < len(c); i++ {
		if c[i] < '0' || c[i] > '9' {
			return "", "", errCodeDigits
		}
	}
	n := len(c)
	p := -1 // the two-digit prefix
	if n >= 2 {
		p = int(c[0]-'0')*10 + int(c[1]-'0')
	}
	switch {
	case n == 18 && p >= 10 && p <= 15:
		return WalletWeChat, c, nil
	case n >= 16 && n <= 24 && p >= 25 && p <= 30:
		return WalletAlipay, c, nil
	case n == 19 && p == 62:
		return WalletUnionPay, c, nil
	case n >= 12 && n <= 24 && p == 99:
		return WalletMember, c, nil
	}
	return "", "", errCodeForm.With("Len", n, "Prefix", c[:min(2, n)])
}

// MaskCode hides the middle of a payment code for storage, logs and
// receipts: the first 4 and last 4 characters stay, the rest become '*'.
// Codes of 8 characters or fewer are hidden completely but for their length.
func MaskCode(code string) string {
	c := strings.TrimSpace(code)
	if len(c) > MaxPaymentCodeLen {
		c = c[:MaxPaymentCodeLen]
	}
	if len(c) <= 8 {
		return strings.Repeat("*", len(c))
	}
	return c[:4] + strings.Repeat("*", len(c)-8) + c[len(c)-4:]
}

// HashCode is the SHA-256 of a payment code, kept to spot the same code
// scanned twice without storing the code itself.
func HashCode(code string) string {
	h := sha256.Sum256([]byte(strings.TrimSpace(code)))
	return hex.EncodeToString(h[:])
}
