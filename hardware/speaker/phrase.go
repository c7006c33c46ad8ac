package speaker

import (
	"strings"

	"cashier/app"
)

// Amount phrases. The modules read digits with a decimal point as a value
// ("12.50" → 十二点五零), so the amount is written in digits right after
// the word and before 元, with no spaces: "收款12.50元" is exactly the
// reference's golden SYN6288 frame. XFS5152 frames get an [n2] tag (read
// numbers as values) from the driver. Negative amounts are announced by
// their size: the word says which way the money went.

// Collected is the sale announcement: "收款12.50元".
func Collected(m app.Money) string { return "收款" + abs(m) + "元" }

// Refunded is the refund announcement: "退款12.50元".
func Refunded(m app.Money) string { return "退款" + abs(m) + "元" }

// Deposit is the deposit (pre-authorisation) announcement: "押金12.50元".
func Deposit(m app.Money) string { return "押金" + abs(m) + "元" }

// DepositReleased announces a released deposit: "押金退还12.50元".
func DepositReleased(m app.Money) string { return "押金退还" + abs(m) + "元" }

func abs(m app.Money) string { return strings.TrimPrefix(m.String(), "-") }
