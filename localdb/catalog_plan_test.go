package localdb

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/app/catalog"
)

// The catalogue's reads each go through the index made for them, whatever
// the catalogue's size (SQLite picks plans without statistics here, as in
// a store).
func TestCatalogPlans(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "pos.db"))
	require.NoError(t, err)
	ctx := context.Background()
	_, err = db.SeedDemo(ctx, testHasher, time.Now())
	require.NoError(t, err)
	// Statistics of a one-store, million-product catalogue, so the plans
	// checked are the ones a big store gets, not the demo's 52 rows'.
	require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`ANALYZE;
			DELETE FROM sqlite_stat1 WHERE tbl IN ('product', 'product_barcode');
			INSERT INTO sqlite_stat1(tbl, idx, stat) VALUES
			  ('product', NULL, '1000000'),
			  ('product', 'product_store_name', '1000000 1000000 2'),
			  ('product', 'product_store_category', '1000000 1000000 14000 2'),
			  ('product', 'sqlite_autoindex_product_1', '1000000 1000000 1'),
			  ('product_barcode', 'product_barcode', '1100000 1100000 1'),
			  ('product_barcode', 'product_barcode_product', '1100000 2 1')`)
		return err
	}))
	path := db.Path()
	require.NoError(t, db.Close())
	db, err = Open(path)
	require.NoError(t, err)
	defer db.Close()
	cat, _ := filterSQL(catalog.Filter{Category: "饮料", State: catalog.ActiveOnly}, nil)
	for _, c := range []struct {
		q    string
		args []any
		want []string
	}{
		{productsByIDSQL(3), []any{1, 1, 2, 3}, []string{"SEARCH p USING INTEGER PRIMARY KEY (rowid=?)"}},
		{termPrefixSQL(""), []any{`"kl"*`, 1, 50}, []string{"VIRTUAL TABLE INDEX", "SEARCH p USING INTEGER PRIMARY KEY (rowid=?)"}},
		{termPrefixSQL(cat), []any{`"kl"*`, 1, "饮料", 50}, []string{"VIRTUAL TABLE INDEX", "SEARCH p USING INTEGER PRIMARY KEY (rowid=?)"}},
		{codePrefixSQL(""), []any{1, "69", "69\x7f", 50}, []string{"SEARCH b USING PRIMARY KEY (store_id=? AND code>? AND code<?)", "SEARCH p USING INTEGER PRIMARY KEY (rowid=?)"}},
		{productIDsSQL(""), []any{1}, []string{"SEARCH p USING COVERING INDEX product_store_name (store_id=?)"}},
		{productIDsSQL(cat), []any{1, "饮料"}, []string{"SEARCH p USING INDEX product_store_category (store_id=? AND category=?)"}},
	} {
		all := queryPlan(t, db, c.q, c.args...)
		for _, w := range c.want {
			require.Contains(t, all, w, c.q)
		}
		require.NotContains(t, all, "TEMP B-TREE", c.q)
		require.NotContains(t, all, "SCAN p", c.q)
	}
}
