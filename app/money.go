// Package app holds the cashier's domain types and use cases. It imports no
// Fyne, SQL, serial or HTTP package; the outer layers implement the small
// interfaces declared here.
package app

import (
	"fmt"
	"math"
	"strings"
)

// Money is an amount in fen (1/100 yuan). Every amount in the program is a
// Money; it is never converted to a float.
type Money int64

// DefaultCeiling is the largest amount accepted from a person or a device
// unless a caller asks for another limit: 1,000,000.00 yuan.
const DefaultCeiling Money = 100_000_000

var (
	ErrMoneyEmpty     = NewError("money.empty")
	ErrMoneySyntax    = NewError("money.syntax")
	ErrMoneyDecimals  = NewError("money.decimals")
	ErrMoneyNegative  = NewError("money.negative")
	ErrMoneyCeiling   = NewError("money.ceiling")
	ErrMoneyOverflow  = NewError("money.overflow")
	ErrMoneyZero      = NewError("money.zero")
	ErrAllocateRatios = NewError("money.ratios")
)

// MoneyRules says what ParseMoneyWith accepts.
type MoneyRules struct {
	AllowNegative bool
	AllowZero     bool
	Ceiling       Money // 0 means DefaultCeiling; the limit applies to the absolute value
}

// ParseMoney reads a yuan amount typed by a person ("12.5", "12.50", "0.01",
// "1,234.00") into fen. Zero is allowed; negatives and amounts over
// DefaultCeiling are not.
func ParseMoney(s string) (Money, error) {
	return ParseMoneyWith(s, MoneyRules{AllowZero: true})
}

// ParsePositiveMoney is ParseMoney that also rejects zero: what a payment needs.
func ParsePositiveMoney(s string) (Money, error) {
	return ParseMoneyWith(s, MoneyRules{})
}

// ParseMoneyWith parses with explicit rules.
func ParseMoneyWith(s string, r MoneyRules) (Money, error) {
	ceiling := r.Ceiling
	if ceiling <= 0 {
		ceiling = DefaultCeiling
	}
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "￥")
	s = strings.TrimPrefix(s, "¥")
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, ErrMoneyEmpty
	}
	neg := false
	switch s[0] {
	case '-':
		neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if hasDot && frac == "" { // "12." and "." are not amounts
		return 0, ErrMoneySyntax
	}
	intPart, ok := ungroup(intPart)
	if !ok || (intPart == "" && !hasDot) {
		return 0, ErrMoneySyntax
	}
	var yuan int64
	for _, c := range intPart {
		if c < '0' || c > '9' {
			return 0, ErrMoneySyntax
		}
		if yuan > (math.MaxInt64-9)/10 {
			return 0, ErrMoneyOverflow
		}
		yuan = yuan*10 + int64(c-'0')
	}
	for _, c := range frac {
		if c < '0' || c > '9' {
			return 0, ErrMoneySyntax
		}
	}
	if len(frac) > 2 {
		return 0, ErrMoneyDecimals
	}
	var fen int64
	switch len(frac) {
	case 1:
		fen = int64(frac[0]-'0') * 10
	case 2:
		fen = int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	}
	if yuan > (math.MaxInt64-fen)/100 {
		return 0, ErrMoneyOverflow
	}
	v := Money(yuan*100 + fen)
	if v > ceiling {
		return 0, ErrMoneyCeiling.With("Ceiling", ceiling)
	}
	if neg && v != 0 {
		if !r.AllowNegative {
			return 0, ErrMoneyNegative
		}
		v = -v
	}
	if v == 0 && !r.AllowZero {
		return 0, ErrMoneyZero
	}
	return v, nil
}

// ungroup removes thousands separators: "1,234,567" → "1234567". A comma
// is accepted only between groups of three digits, so "12,50" (a decimal
// comma, meaning 12.50) is refused instead of being read as 1250 yuan.
func ungroup(s string) (string, bool) {
	if !strings.Contains(s, ",") {
		return s, true
	}
	groups := strings.Split(s, ",")
	if n := len(groups[0]); n < 1 || n > 3 {
		return "", false
	}
	for _, g := range groups[1:] {
		if len(g) != 3 {
			return "", false
		}
	}
	return strings.Join(groups, ""), true
}

// String formats fen as yuan with exactly two decimals: 1250 → "12.50".
func (m Money) String() string {
	sign := ""
	u := uint64(m)
	if m < 0 {
		sign = "-"
		u = uint64(-(m + 1)) + 1 // safe for MinInt64
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// Yuan is the channel wire form used by Alipay and bills: "12.50".
func (m Money) Yuan() string { return m.String() }

// Display is the cashier-facing form with the yuan sign that ESC/POS
// printers and fonts handle (U+FFE5, not U+00A5).
func (m Money) Display() string { return "￥" + m.String() }

// Add returns m+o or ErrMoneyOverflow.
func (m Money) Add(o Money) (Money, error) {
	s := m + o
	if (o > 0 && s < m) || (o < 0 && s > m) {
		return 0, ErrMoneyOverflow
	}
	return s, nil
}

// Mul multiplies by a whole quantity (unit price × quantity) with overflow checks.
func (m Money) Mul(q int64) (Money, error) {
	if m == 0 || q == 0 {
		return 0, nil
	}
	if (m == math.MinInt64 && q == -1) || (m == -1 && q == math.MinInt64) {
		return 0, ErrMoneyOverflow // the r/q check below cannot see this one
	}
	r := m * Money(q)
	if r/Money(q) != m {
		return 0, ErrMoneyOverflow
	}
	return r, nil
}

// Allocate splits m across parts in proportion to ratios without losing or
// inventing a fen: the remainder left by integer division goes one fen at a
// time to the first parts. Used to spread a discount across order lines or an
// amount across sub-merchants.
func (m Money) Allocate(ratios ...int64) ([]Money, error) {
	if len(ratios) == 0 {
		return nil, ErrAllocateRatios
	}
	if m == math.MinInt64 {
		return nil, ErrMoneyOverflow // |m| does not fit; shares would get the wrong sign
	}
	var total int64
	for _, r := range ratios {
		if r < 0 {
			return nil, ErrAllocateRatios
		}
		if total > math.MaxInt64-r {
			return nil, ErrMoneyOverflow
		}
		total += r
	}
	if total == 0 {
		return nil, ErrAllocateRatios
	}
	out := make([]Money, len(ratios))
	abs := m
	if m < 0 {
		abs = -m
	}
	var given Money
	for i, r := range ratios {
		share, err := mulDiv(int64(abs), r, total)
		if err != nil {
			return nil, err
		}
		out[i] = Money(share)
		given += out[i]
	}
	for i := 0; given < abs; i = (i + 1) % len(out) {
		if ratios[i] == 0 {
			continue
		}
		out[i]++
		given++
	}
	if m < 0 {
		for i := range out {
			out[i] = -out[i]
		}
	}
	return out, nil
}

// Split divides m into n parts differing by at most one fen.
func (m Money) Split(n int) ([]Money, error) {
	if n <= 0 {
		return nil, ErrAllocateRatios
	}
	r := make([]int64, n)
	for i := range r {
		r[i] = 1
	}
	return m.Allocate(r...)
}

// mulDiv computes a*b/c rounding down, without overflowing for the ranges
// money takes (a ≤ MaxInt64, b ≤ c).
func mulDiv(a, b, c int64) (int64, error) {
	if b == c {
		return a, nil
	}
	q := a / c
	r := a % c
	// a*b/c = q*b + r*b/c; r < c and b < c, so r*b may still overflow for
	// huge ratio totals: fall back to 128-bit style arithmetic via big steps.
	hi, lo := mul64(uint64(r), uint64(b))
	rest := div128(hi, lo, uint64(c))
	res := q*b + int64(rest)
	if q != 0 && (q*b)/q != b {
		return 0, ErrMoneyOverflow
	}
	return res, nil
}
