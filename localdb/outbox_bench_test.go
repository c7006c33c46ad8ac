package localdb_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/localdb"
)

// BenchmarkOutboxCommitCost: what the outbox triggers (0018) add to a
// sale's durable commit. The one-commit WeChat + cash sale of
// DurableCommit/Sale5Lines2Tenders/OneTx (order, 5 lines, 2 tenders, the
// WeChat payment's intent, 2 takings rows: 11 outbox rows) goes in turn
// into a database with the triggers and into one without them, each
// commit timed on its own and each first every other time, so both see
// the same moments of a shared machine. The "with" database also holds
// the outbox rows of the sales before (a day's worth is pending when a
// terminal is offline). Reported: each one's mean, their ratio and the
// ratio of medians.
func BenchmarkOutboxCommitCost(b *testing.B) {
	ctx := context.Background()
	open := func(b *testing.B, outbox bool) *localdb.DB {
		dir, err := os.MkdirTemp(fxBenchDir(), "poscashier-commit-")
		require.NoError(b, err)
		b.Cleanup(func() { os.RemoveAll(dir) })
		db, err := localdb.Open(filepath.Join(dir, "pos.db"))
		require.NoError(b, err)
		b.Cleanup(func() { db.Close() })
		fxSeed(b, db)
		fxOpenShift(b, db)
		if !outbox {
			require.NoError(b, db.Write(ctx, func(tx *sql.Tx) error {
				rows, err := tx.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'sync_outbox_%'`)
				if err != nil {
					return err
				}
				var names []string
				for rows.Next() {
					var n string
					if err := rows.Scan(&n); err != nil {
						return err
					}
					names = append(names, n)
				}
				rows.Close()
				for _, n := range names {
					if _, err := tx.ExecContext(ctx, `DROP TRIGGER `+n); err != nil {
						return err
					}
				}
				return nil
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
		if i%2 == 0 {
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
	n, err := with.Unsynced(ctx)
	require.NoError(b, err)
	require.EqualValues(b, 11*b.N+1, n, "every row of every sale is queued, and the shift")
	b.ReportMetric(so1/float64(b.N)/1e3, "without-µs")
	b.ReportMetric(sw1/float64(b.N)/1e3, "with-µs")
	b.ReportMetric(sw1/so1, "x-without")
	b.ReportMetric(fxMedian(tw)/fxMedian(to), "x-median")
}
