package main

import (
	"time"

	"cashier/app/sale"
)

// receiptTimes are the times a receipt prints: the sale's, and for a
// reprint (重打) also when it is printed again. A reprint's sale time is
// when the order was paid (its creation for an order paid before paid_at
// was kept), never the moment of the reprint.
func receiptTimes(r sale.Receipt) (at, reprintAt time.Time) {
	if !r.Reprint {
		return r.Time, time.Time{}
	}
	at = r.Order.PaidAt
	if at.IsZero() {
		at = r.Order.CreatedAt
	}
	return at, r.Time
}
