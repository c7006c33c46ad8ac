package localdb

import (
	"context"
	"database/sql"
	"errors"

	"cashier/app"
)

const productByBarcodeSQL = `SELECT id, store_id, barcode, name, price, unit, category, active
	FROM product WHERE store_id=? AND barcode=?`

// ProductByBarcode finds an active product of a store by its barcode. The
// (store_id, barcode) unique index makes this one B-tree probe.
func (db *DB) ProductByBarcode(ctx context.Context, storeID int64, barcode string) (app.Product, error) {
	var p app.Product
	var price int64
	var active int
	stmt, err := db.prepared(ctx, productByBarcodeSQL)
	if err != nil {
		return p, err
	}
	err = stmt.QueryRowContext(ctx, storeID, barcode).
		Scan(&p.ID, &p.StoreID, &p.Barcode, &p.Name, &price, &p.Unit, &p.Category, &active)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNotFound.With("Ref", barcode)
	}
	p.Price, p.Active = app.Money(price), active != 0
	return p, err
}

// CountProducts counts a store's products.
func (db *DB) CountProducts(ctx context.Context, storeID int64) (int, error) {
	var n int
	err := db.reader.QueryRowContext(ctx, `SELECT count(*) FROM product WHERE store_id=?`, storeID).Scan(&n)
	return n, err
}
