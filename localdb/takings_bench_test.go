package localdb_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app/summary"
	"cashier/localdb"
)

// A store with a million orders over a year (about 2,740 a day, eight
// three-hour shifts a day), each with one tender and its journal row, a
// discount on every tenth and a refund on every fiftieth; beside it a
// store that has only one such day, the baseline measured in the same run.
const (
	fxSumOrders  = 1_000_000
	fxSumDays    = 366               // the last few orders spill into day 366
	fxSumPerDay  = fxSumOrders / 365 // 2,739
	fxSumShifts  = 8
	fxSumStartMS = 1767196800000 // 2026-01-01 00:00 China time
)

var fxSumDB struct {
	once sync.Once
	db   *localdb.DB
	err  error
	took time.Duration
}

// fxSumFill writes orders [first, first+n) for store: order k is at
// fxSumStartMS + k × (one day / fxSumPerDay) in its store's timeline.
const fxSumFill = `
WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM k WHERE i < :n - 1),
o AS (SELECT :first + i AS id, i, :start + (i / :perday) * 86400000 + (i % :perday) * (86400000 / :perday) AS at FROM k)
INSERT INTO orders(id, order_no, store_id, terminal_id, staff_id, shift_id, kind, status, total, discount, payable, paid, created_at, paid_at)
SELECT id, 'B' || id, :store, 1, 1, :shift0 + (i / :perday) * 8 + ((at - :start) % 86400000) / 10800000, 'sale', 'paid',
       1000 + i % 5000 + CASE WHEN i % 10 = 0 THEN 100 ELSE 0 END, CASE WHEN i % 10 = 0 THEN 100 ELSE 0 END,
       1000 + i % 5000, 1000 + i % 5000, at, at FROM o;
`

func fxSummaryDB(b testing.TB) *localdb.DB {
	fxSumDB.once.Do(func() {
		start := time.Now()
		fxSweepStaleBenchDirs()
		dir, err := os.MkdirTemp(fxBenchDir(), fmt.Sprintf("poscashier-bench-%d-", os.Getpid()))
		if err != nil {
			fxSumDB.err = err
			return
		}
		db, err := localdb.Open(filepath.Join(dir, "takings.db"))
		if err != nil {
			fxSumDB.err = err
			return
		}
		ctx := context.Background()
		err = db.Write(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, fxSeedSQL+`
				INSERT INTO store(id, merchant_id, code, name, created_at) VALUES (2, 1, 'S2', 'Baseline store', 0);`); err != nil {
				return err
			}
			// Shifts: store 1 has 365 days of 8, store 2 one day of 8 (ids from 100000).
			if _, err := tx.ExecContext(ctx, `WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM k WHERE i < ?)
				INSERT INTO shift(id, store_id, terminal_id, staff_id, started_at, ended_at)
				SELECT i + 1, 1, 1, 1, ? + i * 10800000, ? + (i + 1) * 10800000 FROM k`, fxSumDays*fxSumShifts-1, fxSumStartMS, fxSumStartMS); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM k WHERE i < 7)
				INSERT INTO shift(id, store_id, terminal_id, staff_id, started_at, ended_at)
				SELECT 100001 + i, 2, 1, 1, ? + i * 10800000, ? + (i + 1) * 10800000 FROM k`, fxSumStartMS, fxSumStartMS); err != nil {
				return err
			}
			fill := func(store, first, n, shift0 int64) error {
				_, err := tx.ExecContext(ctx, fxSumFill, sql.Named("n", n), sql.Named("first", first), sql.Named("start", fxSumStartMS),
					sql.Named("perday", fxSumPerDay), sql.Named("store", store), sql.Named("shift0", shift0))
				return err
			}
			if err := fill(1, 1, fxSumOrders, 1); err != nil {
				return err
			}
			if err := fill(2, fxSumOrders+1, fxSumPerDay, 100001); err != nil {
				return err
			}
			for _, q := range []string{
				`INSERT INTO tender(id, order_id, kind, wallet, amount, state, staff_id, shift_id, created_at, settled_at, discount)
				 SELECT id, id, CASE id % 5 WHEN 4 THEN 'cash' ELSE 'wallet' END,
				        CASE id % 5 WHEN 0 THEN 'wechat' WHEN 1 THEN 'alipay' WHEN 2 THEN 'unionpay' WHEN 3 THEN 'wechat' ELSE '' END,
				        payable, 'paid', staff_id, shift_id, created_at, paid_at, discount FROM orders`,
				`INSERT INTO takings(kind, ref, store_id, staff_id, shift_id, order_id, method, amount, discount, at, business_day)
				 SELECT 'sale', 'tender:' || t.id, o.store_id, t.staff_id, t.shift_id, o.id,
				        CASE t.kind WHEN 'cash' THEN 'cash' ELSE t.wallet END, t.amount, 0, t.settled_at,
				        CAST(strftime('%Y%m%d', s.started_at / 1000, 'unixepoch', '+8 hours') AS INTEGER)
				 FROM tender t JOIN orders o ON o.id = t.order_id JOIN shift s ON s.id = t.shift_id`,
				`INSERT INTO takings(kind, ref, store_id, staff_id, shift_id, order_id, method, amount, discount, at, business_day)
				 SELECT 'discount', 'order:' || order_id || ':' || method, store_id, staff_id, shift_id, order_id, method, 0, 100, at, business_day
				 FROM takings WHERE kind = 'sale' AND order_id % 10 = 0`,
				`INSERT INTO takings(kind, ref, store_id, staff_id, shift_id, order_id, method, amount, discount, at, business_day)
				 SELECT 'refund', 'refund:' || order_id, store_id, staff_id, shift_id, order_id, method, amount / 2, 0, at + 600000, business_day
				 FROM takings WHERE kind = 'sale' AND order_id % 50 = 0`,
			} {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, `ANALYZE`)
			return err
		})
		if err != nil {
			db.Close()
			fxSumDB.err = err
			return
		}
		fxSumDB.db, fxSumDB.took = db, time.Since(start)
	})
	require.NoError(b, fxSumDB.err)
	return fxSumDB.db
}

// BenchmarkSummary1M: a shift's summary and a business day's summary in
// the million-order store, next to the same summaries in a store holding
// only that one day (Baseline1Day): the ratio is what the other 364 days
// cost. Target: under 10 ms each.
func BenchmarkSummary1M(b *testing.B) {
	db := fxSummaryDB(b)
	b.Logf("built the 1M-order store in %s", fxSumDB.took.Round(time.Millisecond))
	e := summary.Engine{Store: db}
	ctx := context.Background()
	day := summary.Day{Year: 2026, Month: 7, D: 1} // day 181 of the million-order store
	dayIndex := int64(181)
	cases := []struct {
		name string
		f    summary.Filter
	}{
		{"Shift/1M", summary.Filter{StoreID: 1, ShiftID: dayIndex*fxSumShifts + 4}},
		{"Shift/Baseline1Day", summary.Filter{StoreID: 2, ShiftID: 100001 + 3}},
		{"Day/1M", summary.Filter{StoreID: 1, Day: day}},
		{"Day/Baseline1Day", summary.Filter{StoreID: 2, Day: summary.Day{Year: 2026, Month: 1, D: 1}}},
		{"Range24h/1M", summary.Filter{StoreID: 1, From: time.UnixMilli(fxSumStartMS + dayIndex*86400000), To: time.UnixMilli(fxSumStartMS + (dayIndex+1)*86400000)}},
		{"Range24h/Baseline1Day", summary.Filter{StoreID: 2, From: time.UnixMilli(fxSumStartMS), To: time.UnixMilli(fxSumStartMS + 86400000)}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s, err := e.Summarize(ctx, c.f)
			require.NoError(b, err)
			require.NotZero(b, s.Total.TxCount)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.Summarize(ctx, c.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Each summary reads one covering index and never the table: the plans
// are what docs/PERFORMANCE.md shows.
func TestSummaryPlansUseCoveringIndexes(t *testing.T) {
	db := fxOpen(t)
	fxSeed(t, db)
	for name, q := range map[string]string{
		"takings_shift":     `SELECT kind, method, count(*), sum(amount), sum(discount) FROM takings INDEXED BY takings_shift WHERE shift_id=1 AND store_id=1 GROUP BY kind, method`,
		"takings_store_day": `SELECT kind, method, count(*), sum(amount), sum(discount) FROM takings INDEXED BY takings_store_day WHERE store_id=1 AND business_day=20261120 GROUP BY kind, method`,
		"takings_store_at":  `SELECT kind, method, count(*), sum(amount), sum(discount) FROM takings INDEXED BY takings_store_at WHERE store_id=1 AND at>=0 AND at<1 GROUP BY kind, method`,
		"takings_staff_at":  `SELECT kind, method, count(*), sum(amount), sum(discount) FROM takings INDEXED BY takings_staff_at WHERE staff_id=1 AND at>=0 AND at<1 AND store_id=1 GROUP BY kind, method`,
	} {
		rows, err := db.Read().Query(`EXPLAIN QUERY PLAN ` + q)
		require.NoError(t, err)
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
			plan = append(plan, detail)
		}
		rows.Close()
		joined := strings.Join(plan, "; ")
		assert.Contains(t, joined, "USING COVERING INDEX "+name, joined)
		t.Logf("%s: %s", name, joined)
	}
}
