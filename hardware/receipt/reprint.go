package receipt

import (
	"time"

	"cashier/hardware/escpos"
)

// reprintMark heads a receipt printed again, in large type, so a copy is
// never taken for a second sale; nothing on a first print.
func (d doc) reprintMark(at time.Time) {
	if at.IsZero() {
		return
	}
	d.Align(escpos.AlignCenter).Bold(true).Size(2, 2).Line("重打 REPRINT").Normal()
	d.Align(escpos.AlignLeft)
}

// reprintTime is when a reprint was printed, printed under the time of
// the sale; "" (no line) on a first print.
func reprintTime(at time.Time) string {
	if at.IsZero() {
		return ""
	}
	return at.Format(timeLayout)
}
