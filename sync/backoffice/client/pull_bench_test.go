package client_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL back office's rows are written through it

	"github.com/stretchr/testify/require"

	"cashier/app/catalog"
	"cashier/internal/pgtest"
	"cashier/localdb/fxcatalog"
	"cashier/sync/backoffice/client"
	"cashier/sync/backoffice/master"
	"cashier/sync/backoffice/server"
)

// publishCatalogue publishes n products of fxcatalog (names like a Chinese
// supermarket's), each with its EAN-13 and a chain-wide price, through the
// back office's own Publish in transactions of 30,000 items.
func publishCatalogue(tb testing.TB, st server.Store, n int) {
	tb.Helper()
	ctx := context.Background()
	const batch = 10_000 // products a transaction: 30,000 items
	for first := 0; first < n; first += batch {
		puts := make([]server.MasterPut, 0, 3*batch)
		for i := first; i < min(n, first+batch); i++ {
			p := fxcatalog.Product(i)
			sku := "P" + strconv.Itoa(i)
			body, err := json.Marshal(master.Product{Name: p.Name, Unit: p.Unit, Category: p.Category, TaxRate: 1300})
			require.NoError(tb, err)
			puts = append(puts,
				server.MasterPut{Topic: master.TopicProducts, ID: sku, Payload: body},
				server.MasterPut{Topic: master.TopicBarcodes, ID: p.Barcodes[0], Payload: json.RawMessage(`{"sku":"` + sku + `"}`)},
				server.MasterPut{Topic: master.TopicPrices, ID: master.PriceID(master.AllStores, sku),
					Payload: json.RawMessage(`{"price":` + strconv.FormatInt(int64(p.Price), 10) + `}`)})
		}
		_, err := st.Publish(ctx, puts, time.Now())
		require.NoError(tb, err)
	}
}

// A fresh terminal pulls 20,000 products (60,000 items) from a SQLite back
// office on loopback: every one sellable at its price when the pull
// returns, found by name once the terminal has indexed them, nothing
// refused, nothing pending.
func TestPull_20kProductsIntoAFreshTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("20,000 products")
	}
	const n = 20_000
	st, c := backOfficeTB(t)
	publishCatalogue(t, st, n)
	db := terminalDB(t)
	ctx := context.Background()
	var pages int
	p := puller(c, db)
	p.Progress = func(client.PullProgress) { pages++ }
	res, err := p.Run(ctx)
	require.NoError(t, err)
	require.Equal(t, 3*n, res.Applied)
	require.Zero(t, res.Quarantined+res.Pending+res.Ignored)
	require.Equal(t, res.Pages, pages)
	count, err := db.CountProducts(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, n, count)
	cat := catalogue(db)
	for _, i := range []int{0, 1, n / 2, n - 1} {
		want := fxcatalog.Product(i)
		got, err := cat.Scan(ctx, 1, want.Barcodes[0])
		require.NoError(t, err)
		require.Equal(t, want.Price, got.Price)
		require.Equal(t, want.Name, got.Name)
	}
	// Found by name once the search builder has written the terms the
	// bulk transactions left to it, after the topic.
	require.NoError(t, db.WaitSearchIndex(ctx))
	left, err := db.SearchPending(ctx)
	require.NoError(t, err)
	require.Zero(t, left)
	found, err := cat.Search(ctx, 1, fxcatalog.Product(n/2).Name, catalog.Filter{})
	require.NoError(t, err)
	require.NotEmpty(t, found)
}

// BenchmarkPull1M pulls 1,000,000 products with their codes and prices
// (3,000,000 items, 3,000 pages) into a fresh terminal from a back office
// on loopback, on SQLite and on PostgreSQL, and reports the time, the rate
// and how much of it the terminal spent applying; the target is
// under 60 s. It takes minutes, so make bench skips it unless
// POS_BENCH_PULL1M is set (POS_PULL_BENCH_N sets another size);
// BenchmarkPull100k is the same at a tenth. The back office's rows are
// written straight into its master table (Publish, one statement per
// item, would take minutes to set up a million products;
// TestPull_20kProductsIntoAFreshTerminal publishes). POS_PULL_PROF writes
// a CPU profile of the pull; POS_PULL_BATCH sets the pages a transaction
// (Batch and BulkBatch).
func BenchmarkPull1M(b *testing.B) {
	if os.Getenv("POS_BENCH_PULL1M") == "" {
		b.Skip("minutes long: set POS_BENCH_PULL1M=1")
	}
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("POS_PULL_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	benchPullEngines(b, n)
}

// BenchmarkPull100k is BenchmarkPull1M with 100,000 products.
func BenchmarkPull100k(b *testing.B) { benchPullEngines(b, 100_000) }

func benchPullEngines(b *testing.B, n int) {
	b.Run("SQLite", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "bo.db")
		st, err := server.OpenSQLite(context.Background(), path, make([]byte, 32))
		require.NoError(b, err)
		defer st.Close()
		db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_busy_timeout=5000&_txlock=immediate")
		require.NoError(b, err)
		defer db.Close()
		seedMaster(b, db, "?", n)
		benchPull(b, st, n)
	})
	b.Run("PostgreSQL", func(b *testing.B) {
		dsn := pgtest.Database(b)
		st, err := server.OpenPostgres(context.Background(), dsn, make([]byte, 32))
		require.NoError(b, err)
		defer st.Close()
		db, err := sql.Open("pgx", dsn)
		require.NoError(b, err)
		defer db.Close()
		seedMaster(b, db, "$", n)
		benchPull(b, st, n)
	})
}

// seedMaster writes n products of fxcatalog, each with its EAN-13 and a
// chain-wide price, into the back office's master table in cursor order
// (product, code, price, product, …) as Publish would leave them.
func seedMaster(b *testing.B, db *sql.DB, mark string, n int) {
	ctx := context.Background()
	start := time.Now()
	var cursor int64
	var rows []any
	flush := func(tx *sql.Tx) {
		if len(rows) == 0 {
			return
		}
		var q strings.Builder
		q.WriteString(`INSERT INTO master (topic, id, cursor, deleted, payload, updated_at) VALUES `)
		for r := 0; r < len(rows)/4; r++ {
			if r > 0 {
				q.WriteString(",")
			}
			if mark == "$" {
				fmt.Fprintf(&q, "($%d, $%d, $%d, false, $%d, 0)", 4*r+1, 4*r+2, 4*r+3, 4*r+4)
			} else {
				q.WriteString("(?, ?, ?, false, ?, 0)")
			}
		}
		_, err := tx.ExecContext(ctx, q.String(), rows...)
		require.NoError(b, err)
		rows = rows[:0]
	}
	const batch = 10_000 // products a transaction
	for first := 0; first < n; first += batch {
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(b, err)
		for i := first; i < min(n, first+batch); i++ {
			p := fxcatalog.Product(i)
			sku := "P" + strconv.Itoa(i)
			body, err := json.Marshal(master.Product{Name: p.Name, Unit: p.Unit, Category: p.Category, TaxRate: 1300})
			require.NoError(b, err)
			for _, it := range [][3]string{
				{master.TopicProducts, sku, string(body)},
				{master.TopicBarcodes, p.Barcodes[0], `{"sku":"` + sku + `"}`},
				{master.TopicPrices, master.PriceID(master.AllStores, sku), `{"price":` + strconv.FormatInt(int64(p.Price), 10) + `}`},
			} {
				cursor++
				rows = append(rows, it[0], it[1], cursor, it[2])
			}
			if len(rows) >= 4*300 {
				flush(tx)
			}
		}
		flush(tx)
		require.NoError(b, tx.Commit())
	}
	seq := `UPDATE master_seq SET value = ? WHERE one = 1`
	if mark == "$" {
		seq = `UPDATE master_seq SET value = $1 WHERE one = 1`
	}
	_, err := db.ExecContext(ctx, seq, cursor)
	require.NoError(b, err)
	b.Logf("%d products (%d items) written into the back office in %s", n, cursor, time.Since(start).Round(time.Millisecond))
}

func benchPull(b *testing.B, st server.Store, n int) {
	c := enrolTB(b, st)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		db := terminalDB(b)
		if f := os.Getenv("POS_PULL_PROF"); f != "" {
			out, err := os.Create(f)
			require.NoError(b, err)
			require.NoError(b, pprof.StartCPUProfile(out))
		}
		b.StartTimer()
		start := time.Now()
		last := start
		p := puller(c, db)
		if v, err := strconv.Atoi(os.Getenv("POS_PULL_BATCH")); err == nil {
			p.Batch, p.BulkBatch = v, v
		}
		p.Progress = func(pr client.PullProgress) {
			if time.Since(last) > 5*time.Second || !pr.More {
				last = time.Now()
				b.Logf("%6.1f s  %-11s cursor %8d  applied %8d", time.Since(start).Seconds(), pr.Topic, pr.Cursor, pr.Done.Applied)
			}
		}
		ta := &timedApplier{Applier: db}
		p.Store = ta
		res, err := p.Run(context.Background())
		require.NoError(b, err)
		took := time.Since(start)
		// A fresh terminal's products are found by name once the search
		// builder has written their terms, after the pull.
		require.NoError(b, db.WaitSearchIndex(context.Background()))
		searchable := time.Since(start)
		b.StopTimer()
		pprof.StopCPUProfile()
		b.Logf("pulled %d products in %s (%d pages, %d transactions; applying %s of it); found by name after %s", n, took.Round(time.Millisecond),
			res.Pages, ta.txs, ta.took.Round(time.Millisecond), searchable.Round(time.Millisecond))
		for _, tp := range res.Topics {
			b.Logf("%-11s applying %s", tp.Topic, ta.byTopic[tp.Topic].Round(time.Millisecond))
		}
		require.Equal(b, 3*n, res.Applied)
		b.ReportMetric(took.Seconds(), "s/pull")
		b.ReportMetric(searchable.Seconds(), "s/searchable")
		b.ReportMetric(float64(n)/took.Seconds(), "products/s")
		b.ReportMetric(ta.took.Seconds()/took.Seconds(), "applying/pull")
		cnt, err := db.CountProducts(context.Background(), 1)
		require.NoError(b, err)
		require.Equal(b, n, cnt)
		got, err := catalogue(db).Scan(context.Background(), 1, fxcatalog.EAN13(n-1))
		require.NoError(b, err)
		require.Equal(b, fxcatalog.Product(n-1).Price, got.Price)
		pending, err := db.SearchPending(context.Background())
		require.NoError(b, err)
		require.Zero(b, pending)
		found, err := catalogue(db).Search(context.Background(), 1, fxcatalog.Product(n-1).Name, catalog.Filter{})
		require.NoError(b, err)
		require.NotEmpty(b, found, "the last product found by its name")
		b.StartTimer()
	}
}

// timedApplier measures the wall time the pull spends applying.
type timedApplier struct {
	client.Applier
	took    time.Duration
	txs     int
	byTopic map[string]time.Duration
}

func (t *timedApplier) ApplyMasterPages(ctx context.Context, scope master.Scope, pages []*master.Page) ([]master.Outcome, error) {
	start := time.Now()
	defer func() {
		took := time.Since(start)
		t.took += took
		t.txs++
		if t.byTopic == nil {
			t.byTopic = map[string]time.Duration{}
		}
		t.byTopic[pages[0].Topic] += took
	}()
	return t.Applier.ApplyMasterPages(ctx, scope, pages)
}
