package localdb_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/report"
	"cashier/app/summary"
	"cashier/localdb"
	"cashier/sync/export"
)

// The reports' store: 1,000,000 orders in November 2026 (33,334 a day,
// eight three-hour shifts a day, five people), each with one tender and
// its journal row (the discount of every tenth on it, as a sale committed
// at once carries it), a refund on every fiftieth; beside it a store that
// holds only one such day (the 15th), the baseline measured in the same
// run.
const (
	fxRepOrders = 1_000_000
	fxRepDays   = 30
	fxRepPerDay = fxRepOrders/fxRepDays + 1 // 33,334
)

var fxRepStartMS = time.Date(2026, 11, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)).UnixMilli()

var fxRepDB struct {
	once sync.Once
	db   *localdb.DB
	err  error
	took time.Duration
}

// fxRepFill writes orders [first, first+n) of a store, order i at
// :start + (i / perday) days + (i % perday) × (one day / perday), on the
// shift of its three hours; person 1 + i % 5.
const fxRepFill = `
WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM k WHERE i < :n - 1),
o AS (SELECT :first + i AS id, i, :start + (i / :perday) * 86400000 + (i % :perday) * (86400000 / :perday) AS at FROM k)
INSERT INTO orders(id, order_no, store_id, terminal_id, staff_id, shift_id, kind, status, total, discount, payable, paid, refunded, created_at, paid_at)
SELECT id, 'R' || id, :store, 1, 1 + i % 5, :shift0 + (i / :perday) * 8 + ((at - :start) % 86400000) / 10800000, 'sale',
       CASE WHEN i % 50 = 0 THEN 'part_refunded' ELSE 'paid' END,
       1000 + i % 5000 + CASE WHEN i % 10 = 0 THEN 100 ELSE 0 END, CASE WHEN i % 10 = 0 THEN 100 ELSE 0 END,
       1000 + i % 5000, 1000 + i % 5000, CASE WHEN i % 50 = 0 THEN (1000 + i % 5000) / 2 ELSE 0 END, at, at FROM o;
`

func fxReportsDB(b testing.TB) *localdb.DB {
	fxRepDB.once.Do(func() {
		start := time.Now()
		fxSweepStaleBenchDirs()
		dir, err := os.MkdirTemp(fxBenchDir(), fmt.Sprintf("poscashier-bench-%d-", os.Getpid()))
		if err != nil {
			fxRepDB.err = err
			return
		}
		db, err := localdb.Open(filepath.Join(dir, "reports.db"))
		if err != nil {
			fxRepDB.err = err
			return
		}
		ctx := context.Background()
		err = db.Write(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, fxSeedSQL+`
				UPDATE store SET timezone = 'Asia/Shanghai';
				INSERT INTO store(id, merchant_id, code, name, timezone, created_at) VALUES (2, 1, 'S2', 'Baseline store', 'Asia/Shanghai', 0);
				INSERT INTO staff(id, store_id, code, name, role_code, pin_hash, created_at, updated_at) VALUES
					(2, 1, 'C2', '李娜', 'clerk', 'x', 0, 0), (3, 1, 'C3', '张伟', 'clerk', 'x', 0, 0),
					(4, 1, 'C4', '王芳', 'clerk', 'x', 0, 0), (5, 1, 'C5', '刘洋', 'clerk', 'x', 0, 0),
					(10, NULL, 'A1', '总部', 'admin', 'x', 0, 0);
				INSERT INTO staff_permission(staff_id, permission_code, granted_at) VALUES (10, 'view_store_orders', 0);`); err != nil {
				return err
			}
			// Shifts: store 1 has 30 days of 8, store 2 one day of 8 (ids from 100001).
			for _, s := range []struct{ store, first, days, startMS int64 }{
				{1, 1, fxRepDays, fxRepStartMS}, {2, 100001, 1, fxRepStartMS + 14*86400000}} {
				if _, err := tx.ExecContext(ctx, `WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM k WHERE i < ?)
					INSERT INTO shift(id, store_id, terminal_id, staff_id, started_at, ended_at)
					SELECT ? + i, ?, 1, 1 + i % 5, ? + i * 10800000, ? + (i + 1) * 10800000 FROM k`,
					s.days*8-1, s.first, s.store, s.startMS, s.startMS); err != nil {
					return err
				}
			}
			fill := func(store, first, n, shift0, startMS int64) error {
				_, err := tx.ExecContext(ctx, fxRepFill, sql.Named("n", n), sql.Named("first", first), sql.Named("start", startMS),
					sql.Named("perday", fxRepPerDay), sql.Named("store", store), sql.Named("shift0", shift0))
				return err
			}
			if err := fill(1, 1, fxRepOrders, 1, fxRepStartMS); err != nil {
				return err
			}
			if err := fill(2, fxRepOrders+1, fxRepPerDay, 100001, fxRepStartMS+14*86400000); err != nil {
				return err
			}
			for _, q := range []string{
				`INSERT INTO tender(id, order_id, kind, wallet, amount, state, staff_id, shift_id, created_at, settled_at, discount)
				 SELECT id, id, CASE id % 5 WHEN 4 THEN 'cash' ELSE 'wallet' END,
				        CASE id % 5 WHEN 0 THEN 'wechat' WHEN 1 THEN 'alipay' WHEN 2 THEN 'unionpay' WHEN 3 THEN 'wechat' ELSE '' END,
				        payable, 'paid', staff_id, shift_id, created_at, paid_at, discount FROM orders`,
				`INSERT INTO takings(kind, ref, store_id, staff_id, shift_id, order_id, method, amount, discount, at, business_day)
				 SELECT 'sale', 'tender:' || t.id, o.store_id, t.staff_id, t.shift_id, o.id,
				        CASE t.kind WHEN 'cash' THEN 'cash' ELSE t.wallet END, t.amount, t.discount, t.settled_at,
				        CAST(strftime('%Y%m%d', s.started_at / 1000, 'unixepoch', '+8 hours') AS INTEGER)
				 FROM tender t JOIN orders o ON o.id = t.order_id JOIN shift s ON s.id = t.shift_id`,
				`INSERT INTO takings(kind, ref, store_id, staff_id, shift_id, order_id, method, amount, discount, at, business_day)
				 SELECT 'refund', 'refund:' || order_id, store_id, staff_id, shift_id, order_id, method, amount / 2, 0, at + 600000, business_day
				 FROM takings WHERE kind = 'sale' AND order_id % 50 = 1`,
				`ANALYZE`,
			} {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			db.Close()
			fxRepDB.err = err
			return
		}
		fxRepDB.db, fxRepDB.took = db, time.Since(start)
	})
	require.NoError(b, fxRepDB.err)
	return fxRepDB.db
}

// BenchmarkReports1M: the reports over the store with a million orders in
// the month, each next to the same report of a store holding only one of
// its days (Baseline1Day), measured in the same run. Targets: the day
// summary and the month-by-day bill under 100 ms; exporting 100,000
// detail rows to XLSX under 5 s (ExportXLSX100k, beside reading the same
// rows and writing them as CSV).
func BenchmarkReports1M(b *testing.B) {
	db := fxReportsDB(b)
	b.Logf("built the 1M-order month in %s", fxRepDB.took.Round(time.Millisecond))
	ctx := context.Background()
	svc := &report.Service{Store: db, People: db, Shifts: db}
	admin := app.Staff{ID: 10}
	day15 := summary.Day{Year: 2026, Month: time.November, D: 15}
	cases := []struct {
		name string
		run  func(store int64) error
	}{
		{"DaySummary", func(store int64) error {
			s, err := svc.Summary(ctx, admin, summary.Filter{StoreID: store, Day: day15})
			if err == nil && s.Total.TxCount < fxRepPerDay {
				err = fmt.Errorf("day summary: %d transactions", s.Total.TxCount)
			}
			return err
		}},
		{"MonthByDay", func(store int64) error {
			bill, err := svc.Daily(ctx, admin, report.BillFilter{StoreID: store, Year: 2026, Month: time.November})
			if err == nil && bill.Periods[14].Total.TxCount < fxRepPerDay {
				err = fmt.Errorf("month by day: the 15th has %d transactions", bill.Periods[14].Total.TxCount)
			}
			return err
		}},
		// What the month-by-day bill would cost without the day sums
		// (0016): the journal's entries of the month on takings_store_day,
		// grouped. Not the app's path; measured to show why the sums exist.
		{"MonthByDayFromJournal", func(store int64) error {
			var n int
			err := db.Read().QueryRowContext(ctx, `SELECT count(*) FROM (SELECT business_day, kind, method, count(*), sum(amount), sum(discount)
				FROM takings INDEXED BY takings_store_day WHERE store_id=? AND business_day BETWEEN 20261101 AND 20261130
				GROUP BY business_day, kind, method)`, store).Scan(&n)
			return err
		}},
		{"YearByMonth", func(store int64) error {
			_, err := svc.Monthly(ctx, admin, report.BillFilter{StoreID: store, Year: 2026})
			return err
		}},
		{"DayByHour", func(store int64) error {
			_, err := svc.Hourly(ctx, admin, report.BillFilter{StoreID: store, Day: day15})
			return err
		}},
		{"DayByStaff", func(store int64) error {
			_, err := svc.Breakdown(ctx, admin, summary.Filter{StoreID: store, Day: day15}, report.ByStaff)
			return err
		}},
		{"DayByShift", func(store int64) error {
			_, err := svc.Breakdown(ctx, admin, summary.Filter{StoreID: store, Day: day15}, report.ByShift)
			return err
		}},
		{"DetailsPage", func(store int64) error {
			from := time.UnixMilli(fxRepStartMS + 14*86400000)
			pg, err := svc.Details(ctx, admin, report.DetailFilter{StoreID: store, From: from, To: from.Add(24 * time.Hour),
				Method: summary.MethodWeChat, Min: 2000}, report.Page{Limit: 100})
			if err == nil && len(pg.Rows) != 100 {
				err = fmt.Errorf("details: %d rows", len(pg.Rows))
			}
			return err
		}},
	}
	for _, c := range cases {
		for _, s := range []struct {
			name  string
			store int64
		}{{"1M", 1}, {"Baseline1Day", 2}} {
			b.Run(c.name+"/"+s.name, func(b *testing.B) {
				require.NoError(b, c.run(s.store))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := c.run(s.store); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}

	// 100,000 orders: three days of the million-order store.
	from := time.UnixMilli(fxRepStartMS + 10*86400000)
	to := time.UnixMilli(fxRepStartMS + 13*86400000)
	tb, err := svc.DetailsTable(ctx, admin, report.DetailFilter{StoreID: 1, From: from, To: to})
	require.NoError(b, err)
	tr := func(m app.Message) string { return m.Code }
	// The export streams: the heap is sampled every 5,000 rows while the
	// table is walked, and its peak reported (peak-heap-MB), whatever the
	// rows add up to.
	var peak uint64
	walk := tb.Stream
	tb.Stream = func(ctx context.Context, fn func([]report.Cell) error) error {
		n := 0
		return walk(ctx, func(row []report.Cell) error {
			if n++; n%5000 == 0 {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
			return fn(row)
		})
	}
	for _, c := range []struct {
		name  string
		write func(w io.Writer) error
	}{
		{"ExportReadOnly100k", func(io.Writer) error {
			n := 0
			err := tb.Each(ctx, func([]report.Cell) error { n++; return nil })
			if err == nil && n != 3*fxRepPerDay {
				err = fmt.Errorf("%d rows", n)
			}
			return err
		}},
		{"ExportCSV100k", func(w io.Writer) error { return export.CSV(ctx, w, tb, tr) }},
		{"ExportXLSX100k", func(w io.Writer) error { return export.XLSX(ctx, w, tb, tr) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			runtime.GC()
			peak = 0
			for i := 0; i < b.N; i++ {
				if err := c.write(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}

// BenchmarkDaySumsCommitCost: what the day sums (0016) add to a sale's
// durable commit. The same one-commit WeChat + cash sale as
// DurableCommit/Sale5Lines2Tenders/OneTx goes in turn into a database with
// the day sums' triggers and into one without them, each commit timed on
// its own so both see the same moments of a shared machine. Reported:
// each one's mean and x-without, their ratio.
func BenchmarkDaySumsCommitCost(b *testing.B) {
	ctx := context.Background()
	open := func(b *testing.B, sums bool) *localdb.DB {
		dir, err := os.MkdirTemp(fxBenchDir(), "poscashier-commit-")
		require.NoError(b, err)
		b.Cleanup(func() { os.RemoveAll(dir) })
		db, err := localdb.Open(filepath.Join(dir, "pos.db"))
		require.NoError(b, err)
		b.Cleanup(func() { db.Close() })
		fxSeed(b, db)
		fxOpenShift(b, db)
		if !sums {
			require.NoError(b, db.Write(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `DROP TRIGGER takings_day_insert`)
				return err
			}))
		}
		return db
	}
	with, without := open(b, true), open(b, false)
	sw, so := fxSales(b.N, "S"), fxSales(b.N, "N")
	tw, to := make([]float64, b.N), make([]float64, b.N)
	b.ResetTimer()
	commit := func(db *localdb.DB, s fxSale) float64 {
		t0 := time.Now()
		if err := db.CommitSaleWithIntents(ctx, s.order, s.tenders, s.intents); err != nil {
			b.Fatal(err)
		}
		return float64(time.Since(t0))
	}
	for i := 0; i < b.N; i++ {
		if i%2 == 0 { // each first in turn: neither gains from going second
			to[i], tw[i] = commit(without, so[i]), commit(with, sw[i])
		} else {
			tw[i], to[i] = commit(with, sw[i]), commit(without, so[i])
		}
	}
	b.StopTimer()
	var sw1, so1 float64
	for i := range tw {
		sw1, so1 = sw1+tw[i], so1+to[i]
	}
	b.ReportMetric(so1/float64(b.N)/1e3, "without-µs")
	b.ReportMetric(sw1/float64(b.N)/1e3, "with-µs")
	b.ReportMetric(sw1/so1, "x-without")
	b.ReportMetric(fxMedian(tw)/fxMedian(to), "x-median")
}
