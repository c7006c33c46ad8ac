package shift

import (
	"strings"
	"time"

	"cashier/app"
)

// Yuan is an amount as the shift screens and the status bar show it: the
// yuan sign, thousands grouped, two decimals ("￥1,234.00", "-￥5.00"). A
// drawer count runs to thousands of yuan; grouped digits are read at a
// glance, and a misread variance is the mistake a handover must not make.
func Yuan(m app.Money) string {
	s := m.String()
	neg := strings.HasPrefix(s, "-")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString("￥")
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	b.WriteByte('.')
	b.WriteString(frac)
	return b.String()
}

// Clock is when a shift started as the status bar shows it: the time of
// day when it is today, with the date when it is not (a shift running
// since yesterday must not read as this afternoon).
func Clock(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04")
	}
	return t.Format("01-02 15:04")
}
