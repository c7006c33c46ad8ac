package localdb

import (
	"context"
	"database/sql"
	"errors"

	"cashier/app"
)

// StoreByCode reads a store of the merchant by its code (reports name
// stores by code).
func (db *DB) StoreByCode(ctx context.Context, code string) (app.StoreInfo, error) {
	var s app.StoreInfo
	err := db.reader.QueryRowContext(ctx, `SELECT s.id, s.merchant_id, m.name, s.code, s.name, s.address, s.phone, s.receipt_footer, s.timezone, s.scale_layout
		FROM store s JOIN merchant m ON m.id = s.merchant_id WHERE s.code=?`, code).
		Scan(&s.ID, &s.MerchantID, &s.MerchantName, &s.Code, &s.Name, &s.Address, &s.Phone, &s.ReceiptFooter, &s.Timezone, &s.ScaleLayout)
	if errors.Is(err, sql.ErrNoRows) {
		return s, ErrNoStore.With("Code", code)
	}
	return s, err
}

// ErrNoStore: no store has that code.
var ErrNoStore = app.NewError("store.unknown")
