package shift

import (
	"strings"

	"cashier/app"
	appshift "cashier/app/shift"
)

// parsePieces reads a number of notes typed by a person, by the core's
// rule (app/shift.ParsePieces: a whole number from 0 to MaxPieces, empty
// is none). Full-width digits, what a Chinese input method types, are
// digits too.
func parsePieces(d appshift.Denomination, s string) (int64, error) {
	return appshift.ParsePieces(d, halfWidth(s))
}

// parseCoins reads the coins' total amount: not negative, at most
// app/shift.MaxCoins.
func parseCoins(s string) (app.Money, error) {
	s = strings.TrimSpace(halfWidth(s))
	if s == "" {
		return 0, nil
	}
	m, err := app.ParseMoney(s)
	if err != nil {
		return 0, err
	}
	if m > appshift.MaxCoins {
		return 0, appshift.ErrCoinsTooMuch.With("Amount", m, "Max", appshift.MaxCoins)
	}
	return m, nil
}

// halfWidth turns full-width digits, minus, dot and comma into ASCII.
func halfWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == '－':
			return '-'
		case r == '．' || r == '。':
			return '.'
		case r == '，':
			return ','
		}
		return r
	}, s)
}
