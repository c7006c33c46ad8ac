package channel

import (
	"errors"
	"strconv"
	"strings"

	"cashier/app"
)

// ErrYuan is returned by ParseYuan for anything that is not a plain yuan
// amount as the channels write it.
var ErrYuan = errors.New("not a channel yuan amount")

// ParseYuan reads a yuan amount as written by a channel ("12.50", "0.01",
// "100", "12.5") into fen. It is strict: digits, an optional dot and one or
// two decimals; no sign, spaces, thousands separators or currency symbols.
// Amounts above app.DefaultCeiling are refused.
func ParseYuan(s string) (app.Money, error) {
	m, err := parseYuan(s, 2)
	if err != nil {
		return 0, err
	}
	if m > app.DefaultCeiling {
		return 0, ErrYuan
	}
	return m, nil
}

// ParseSignedYuan is ParseYuan that also accepts a leading '-' (bill refund
// rows). The ceiling applies to the absolute value.
func ParseSignedYuan(s string) (app.Money, error) {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	m, err := ParseYuan(s)
	if err != nil {
		return 0, err
	}
	if neg {
		m = -m
	}
	return m, nil
}

// ParseTotalYuan reads a bill's summary total: written as an amount is,
// signed, but without one payment's ceiling (a busy day's sum passes it).
func ParseTotalYuan(s string) (app.Money, error) {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	m, err := parseYuan(s, 2)
	if neg {
		m = -m
	}
	return m, err
}

// ParseFeeYuan reads a service fee written with up to six decimals
// ("0.00600", WeChat bills write five) and rounds it half away from zero to
// whole fen: a fee is the one place a channel states sub-fen amounts.
func ParseFeeYuan(s string) (app.Money, error) {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if len(frac) > 6 {
		return 0, ErrYuan
	}
	for len(frac) < 6 {
		frac += "0"
	}
	micro, err := parseDigits(intPart, frac)
	if err != nil {
		return 0, err
	}
	// micro is in 1/1,000,000 yuan; one fen is 10,000 micro.
	fen := (micro + 5000) / 10000
	if fen > int64(app.DefaultCeiling) {
		return 0, ErrYuan
	}
	if neg {
		fen = -fen
	}
	return app.Money(fen), nil
}

func parseYuan(s string, maxDecimals int) (app.Money, error) {
	intPart, frac, hasDot := strings.Cut(s, ".")
	if hasDot && (frac == "" || len(frac) > maxDecimals) {
		return 0, ErrYuan
	}
	for len(frac) < 2 {
		frac += "0"
	}
	v, err := parseDigits(intPart, frac)
	if err != nil {
		return 0, err
	}
	return app.Money(v), nil
}

func parseDigits(intPart, frac string) (int64, error) {
	if intPart == "" || len(intPart) > 12 {
		return 0, ErrYuan
	}
	for _, c := range intPart + frac {
		if c < '0' || c > '9' {
			return 0, ErrYuan
		}
	}
	v, err := strconv.ParseInt(intPart+frac, 10, 64)
	if err != nil {
		return 0, ErrYuan
	}
	return v, nil
}

// ParseFen reads a whole number of fen as WeChat writes total_fee ("1250").
// Leading zeros, signs and anything but digits are refused, as are values
// over app.DefaultCeiling.
func ParseFen(s string) (app.Money, error) {
	if s == "" || len(s) > 12 || (len(s) > 1 && s[0] == '0') {
		return 0, ErrYuan
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, ErrYuan
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || app.Money(v) > app.DefaultCeiling {
		return 0, ErrYuan
	}
	return app.Money(v), nil
}

// CheckAmount refuses an amount a channel call must never carry: zero,
// negative, or above app.DefaultCeiling. what names the amount in the
// message ("支付金额 / payment amount").
func CheckAmount(what string, m app.Money) error {
	switch {
	case m <= 0:
		return app.NotSent("%s 必须大于0 / must be greater than zero (got %s)", what, m)
	case m > app.DefaultCeiling:
		return app.NotSent("%s 超过上限 %s / over the limit of %s (got %s)", what, app.DefaultCeiling, app.DefaultCeiling, m)
	}
	return nil
}

// CheckOrderNo checks a merchant order/refund/request number: required,
// at most maxLen bytes, only letters, digits and the characters in extra.
func CheckOrderNo(what, no string, maxLen int, extra string) error {
	if no == "" {
		return app.NotSent("缺少%s / %s is required", what, what)
	}
	if len(no) > maxLen {
		return app.NotSent("%s 超过 %d 个字符 / %s is longer than %d characters", what, maxLen, what, maxLen)
	}
	for _, c := range no {
		ok := (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || strings.ContainsRune(extra, c)
		if !ok {
			return app.NotSent("%s 含有不允许的字符 %q / %s contains the character %q, which the channel does not accept", what, c, what, c)
		}
	}
	return nil
}

// CheckAuthCode checks the customer's payment code against the form the
// wallet uses (payments.md): WeChat 18 digits starting 10–15, Alipay 16–24
// digits starting 25–30, member cards starting 99. UnionPay codes are 19
// digits starting 62.
func CheckAuthCode(w app.Wallet, code string) error {
	bad := app.NotSent("不是有效的付款码 / not a payment code for %s", w)
	if code == "" {
		return app.NotSent("缺少付款码 / the payment code is missing")
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return bad
		}
	}
	p := 0
	if len(code) >= 2 {
		p, _ = strconv.Atoi(code[:2])
	}
	switch w {
	case app.WalletWeChat:
		if len(code) == 18 && p >= 10 && p <= 15 {
			return nil
		}
	case app.WalletAlipay:
		if len(code) >= 16 && len(code) <= 24 && p >= 25 && p <= 30 {
			return nil
		}
	case app.WalletMember:
		if len(code) >= 10 && len(code) <= 32 && p == 99 {
			return nil
		}
	case app.WalletUnionPay:
		if len(code) == 19 && p == 62 {
			return nil
		}
	default:
		return app.NotSent("未知的钱包 %q / unknown wallet %q", w, w)
	}
	return bad
}
