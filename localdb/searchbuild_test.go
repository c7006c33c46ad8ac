package localdb_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/localdb"
	"cashier/sync/backoffice/master"
)

// bulkNames are products a bulk pull brings, each found by a word no
// other has.
var bulkNames = []string{"北冰洋汽水 330ml", "康师傅红烧牛肉面", "百事可乐 2L", "三得利乌龙茶", "旺旺雪饼 大包"}

// pullBulk publishes bulkNames (codes 10001…, then prices) and
// applies their products as a page that more pages follow: a bulk
// transaction that leaves the search terms to the builder.
func pullBulk(r *pullRig) {
	r.t.Helper()
	var codes, prices, products []item
	for i, n := range bulkNames {
		sku := "B" + strconv.Itoa(i)
		codes = append(codes, item{"1000" + strconv.Itoa(i+1), master.Barcode{SKU: sku}})
		prices = append(prices, item{master.PriceID("*", sku), master.Price{Price: int64(100 + i)}})
		products = append(products, item{sku, master.Product{Name: n}})
	}
	r.applyPage(master.TopicBarcodes, false, codes...)
	r.applyPage(master.TopicPrices, false, prices...)
	r.applyPage(master.TopicProducts, true, products...)
}

// indexed counts the products the search index holds, each once.
func indexed(t *testing.T, db *localdb.DB) (rows, distinct int) {
	t.Helper()
	require.NoError(t, db.Write(context.Background(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT count(*), count(DISTINCT id) FROM product_search_docsize`).Scan(&rows, &distinct)
	}))
	return rows, distinct
}

func TestSearchBuild_BulkPullSellsByCodeAtOnceAndByNameWhenTheTopicEnds(t *testing.T) {
	defer localdb.SetDeferItems(1)()
	r := newPullRig(t)
	pullBulk(r)
	ctx := context.Background()

	// The topic has more pages: its products sell by code, and wait for
	// their terms.
	assert.Equal(t, "康师傅红烧牛肉面", r.mustScan("10002").Name)
	n, err := r.db.SearchPending(ctx)
	require.NoError(t, err)
	assert.Equal(t, len(bulkNames), n)
	assert.Empty(t, r.search("康师傅"))

	// The topic's last page: the builder indexes them all, once.
	r.applyPage(master.TopicProducts, false, item{"B9", master.Product{Name: "农夫山泉"}})
	require.NoError(t, r.db.WaitSearchIndex(ctx))
	n, err = r.db.SearchPending(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Equal(t, []string{"康师傅红烧牛肉面"}, r.search("ksf"))
	assert.Equal(t, []string{"旺旺雪饼 大包"}, r.search("雪饼"))
	assert.Equal(t, []string{"三得利乌龙茶"}, r.search("wulong"))
	rows, distinct := indexed(t, r.db)
	assert.Equal(t, rows, distinct, "no product indexed twice")
	cnt, err := r.db.CountProducts(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, cnt, distinct, "every product on sale is indexed")
}

// A product renamed (or re-priced) while it waits for the builder is found
// by its new name only, and indexed once.
func TestSearchBuild_ProductChangedWhileItWaits(t *testing.T) {
	restore := localdb.SetDeferItems(1)
	r := newPullRig(t)
	pullBulk(r)
	restore()
	ctx := context.Background()

	// An ordinary page renames one: its terms are written now.
	r.applyPage(master.TopicProducts, true, item{"B0", master.Product{Name: "北冰洋橙汁"}})
	assert.Equal(t, []string{"北冰洋橙汁"}, r.search("橙汁"))
	n, err := r.db.SearchPending(ctx)
	require.NoError(t, err)
	assert.Equal(t, len(bulkNames)-1, n, "taken out of the builder's list")

	// A bulk page renames another while it still waits: it waits on.
	restore = localdb.SetDeferItems(1)
	r.applyPage(master.TopicProducts, false, item{"B1", master.Product{Name: "统一老坛酸菜面"}})
	restore()
	require.NoError(t, r.db.WaitSearchIndex(ctx))
	assert.Equal(t, []string{"统一老坛酸菜面"}, r.search("酸菜"))
	assert.Empty(t, r.search("康师傅"))
	assert.Empty(t, r.search("汽水"), "the old name of the one renamed first")
	assert.Equal(t, []string{"北冰洋橙汁"}, r.search("bby"))

	// A product indexed already, renamed by a bulk page: its old terms go
	// at once, its new ones with the builder.
	restore = localdb.SetDeferItems(1)
	r.applyPage(master.TopicProducts, false, item{"B2", master.Product{Name: "可口可乐 2L"}})
	restore()
	require.NoError(t, r.db.WaitSearchIndex(ctx))
	assert.Empty(t, r.search("百事"))
	assert.Equal(t, []string{"可口可乐 2L"}, r.search("kkkl"))
	rows, distinct := indexed(t, r.db)
	assert.Equal(t, rows, distinct)
	assert.Equal(t, len(bulkNames), distinct)
}

// A pull stopped before its products topic ended (the process killed,
// the back office gone) leaves the builder's list; the next start builds
// it.
func TestSearchBuild_NextStartBuildsWhatAStoppedPullLeft(t *testing.T) {
	defer localdb.SetDeferItems(1)()
	path := filepath.Join(t.TempDir(), "pos.db")
	db, err := localdb.Open(path)
	require.NoError(t, err)
	r := newPullRigOn(t, db)
	pullBulk(r)
	require.NoError(t, db.Close())

	db, err = localdb.Open(path)
	require.NoError(t, err)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, db.WaitSearchIndex(ctx))
	r.db = db
	assert.Equal(t, []string{"百事可乐 2L"}, r.search("百事"))
	n, err := db.SearchPending(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	rows, distinct := indexed(t, db)
	assert.Equal(t, rows, distinct)
	assert.Equal(t, len(bulkNames), distinct)
}

// Close stops the builder between its transactions; what it had not
// reached is built at the next start.
func TestSearchBuild_CloseStopsTheBuilder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pos.db")
	db, err := localdb.Open(path)
	require.NoError(t, err)
	r := newPullRigOn(t, db)
	const n = 25_000 // three of the builder's transactions
	// Products as a bulk pull leaves them: on sale, not in the index.
	require.NoError(t, db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < ? - 1)
			INSERT INTO product(store_id, barcode, name, price, unit, category, active, updated_at)
			SELECT 1, '2' || (100000 + i), '商品' || i, 100, '件', '', 1, 0 FROM c;
			INSERT INTO search_pending(product_id) SELECT id FROM product`, n)
		return err
	}))
	require.NoError(t, db.Close()) // the builder may or may not have begun
	db, err = localdb.Open(path)
	require.NoError(t, err)
	require.NoError(t, db.Close(), "stops a builder in its first transactions")
	db, err = localdb.Open(path)
	require.NoError(t, err)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	require.NoError(t, db.WaitSearchIndex(ctx))
	r.db = db
	assert.Equal(t, []string{"商品24999"}, r.search("商品24999"))
	rows, distinct := indexed(t, db)
	assert.Equal(t, rows, distinct)
	assert.Equal(t, n, distinct)
}

// A waiting product deleted (a product never sold) takes its row with it,
// so it is not counted as waiting for ever.
func TestSearchBuild_ProductDeletedWhileItWaits(t *testing.T) {
	defer localdb.SetDeferItems(1)()
	r := newPullRig(t)
	pullBulk(r)
	ctx := context.Background()
	require.NoError(t, r.db.Write(ctx, func(tx *sql.Tx) error {
		var id int64
		if err := tx.QueryRow(`SELECT max(product_id) FROM search_pending`).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE master_product SET product_id = NULL WHERE product_id = ?`, id); err != nil {
			return err
		}
		_, err := tx.Exec(`DELETE FROM product WHERE id = ?`, id)
		return err
	}))
	n, err := r.db.SearchPending(ctx)
	require.NoError(t, err)
	assert.Equal(t, len(bulkNames)-1, n)
	require.NoError(t, r.db.BuildSearchIndex(ctx))
	n, err = r.db.SearchPending(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
}
