package localdb

import (
	"context"

	"cashier/app"
	"cashier/app/payment"
)

// CommitSaleWithIntents is the one-commit sale with wallet tenders, each
// with its paid intent: the benchmarks' split sale (a WeChat payment and
// cash) written at once.
func (db *DB) CommitSaleWithIntents(ctx context.Context, o *app.Order, tenders []app.Tender, intents []*payment.PaymentIntent) error {
	return db.commitSale(ctx, o, tenders, intents)
}
