package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/internal/pgtest"
	"cashier/localdb"
	"cashier/sync/backoffice/client"
	"cashier/sync/backoffice/protocol"
	"cashier/sync/backoffice/server"
)

// Push benchmarks (issue 14), loopback, SQLite and PostgreSQL side by side:
//
//	go test -tags migrated_fynedo,sqlite_fts5 -run '^$' -bench 'SyncPush' .
//
// The terminals' queues are real outboxes (rows written through the
// triggers, payloads read from the rows); the back office is the real
// handler over a fresh database per run. Between iterations every record
// is made pending again one version up, so each iteration is a real push
// the back office applies.

// spBenchTerminals are the terminals' databases, each with 2,000 sales
// (10,080 records), built once per test process.
var spBenchTerminals struct {
	once sync.Once
	dbs  []*localdb.DB
	recs []int
	err  error
}

const spBenchN = 20

func spBenchDBs(b *testing.B) ([]*localdb.DB, []int) {
	spBenchTerminals.once.Do(func() {
		dir, err := os.MkdirTemp(testDir, "syncbench-")
		if err != nil {
			spBenchTerminals.err = err
			return
		}
		// Built outside any one benchmark's cleanup: kept for every run of
		// the process and removed with testDir.
		for i := 0; i < spBenchN; i++ {
			db, err := localdb.Open(filepath.Join(dir, fmt.Sprintf("t%02d.db", i)))
			if err != nil {
				spBenchTerminals.err = err
				return
			}
			if err := db.Write(context.Background(), func(tx *sql.Tx) error { _, err := tx.Exec(spSeedSQL); return err }); err != nil {
				spBenchTerminals.err = err
				return
			}
			n, err := spWriteSalesErr(db, fmt.Sprintf("B%02d-", i), 2000, time.Now().Add(-24*time.Hour), 40*time.Second)
			if err != nil {
				spBenchTerminals.err = err
				return
			}
			spBenchTerminals.dbs = append(spBenchTerminals.dbs, db)
			spBenchTerminals.recs = append(spBenchTerminals.recs, n)
		}
	})
	require.NoError(b, spBenchTerminals.err)
	return spBenchTerminals.dbs, spBenchTerminals.recs
}

// spRepend makes every record of db pending again, one version up.
func spRepend(b *testing.B, db *localdb.DB) {
	require.NoError(b, db.FoldOutbox(context.Background()))
	require.NoError(b, db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE sync_outbox SET sent_at = NULL, version = version + 1`)
		return err
	}))
}

// spTimed records how long the back office takes over each push.
type spTimed struct {
	h  http.Handler
	mu sync.Mutex
	d  []time.Duration
}

func (s *spTimed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/push" {
		s.h.ServeHTTP(w, r)
		return
	}
	t0 := time.Now()
	s.h.ServeHTTP(w, r)
	d := time.Since(t0)
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
}

func (s *spTimed) take() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.d
	s.d = nil
	return d
}

func spPercentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// spBenchBackOffice is a back office on engine behind a loopback server
// that times each push.
func spBenchBackOffice(b *testing.B, engine string) (server.Store, *spTimed, string) {
	ctx := context.Background()
	var st server.Store
	var err error
	if engine == "sqlite" {
		st, err = server.OpenSQLite(ctx, filepath.Join(b.TempDir(), "bo.db"), make([]byte, 32))
	} else {
		st, err = server.OpenPostgres(ctx, pgtest.Database(b), make([]byte, 32))
	}
	require.NoError(b, err)
	b.Cleanup(func() { st.Close() })
	timed := &spTimed{h: server.New(st, server.Options{})}
	ts := httptest.NewServer(timed)
	b.Cleanup(ts.Close)
	return st, timed, ts.URL
}

// BenchmarkSyncPush10k: one terminal pushes its ~10,000 records (2,000
// sales and their audit lines) end to end: outbox folded and read, each
// payload built from its row, signed batches of 1,000 over loopback,
// stored, marked sent. Baseline in the same run: the same records, read
// once beforehand, pushed by the bare client (what the back office and
// the wire cost without the terminal's side). Target: ≥ 5,000 records/s.
func BenchmarkSyncPush10k(b *testing.B) {
	dbs, recs := spBenchDBs(b)
	db, n := dbs[0], recs[0]
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			ctx := context.Background()
			st, _, url := spBenchBackOffice(b, engine)
			c := spEnrol(b, db, st, url)
			spRepend(b, db)
			// The baseline's batches: the same records, read once.
			var batches [][]protocol.Record
			for {
				bt, err := db.PendingOutbox(ctx, localdb.OutboxLimits{Records: 1000, Bytes: client.DefaultLimits.Bytes, RecordBytes: protocol.MaxPayloadBytes})
				require.NoError(b, err)
				if len(bt.Records) == 0 {
					break
				}
				var rs []protocol.Record
				var refs []localdb.OutboxRef
				for _, r := range bt.Records {
					rs = append(rs, protocol.Record{Terminal: c.Terminal, Topic: r.Topic, ID: r.ID, Version: r.Version, Payload: r.Payload})
					refs = append(refs, r.OutboxRef)
				}
				_, err = db.MarkOutboxSent(ctx, refs, time.Now())
				require.NoError(b, err)
				batches = append(batches, rs)
			}
			var e2e, bare time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				spRepend(b, db)
				b.StartTimer()
				t0 := time.Now()
				res, err := client.NewPusher(c, syncOutbox{db}).Run(ctx)
				e2e += time.Since(t0)
				if err != nil || res.Pushed != n {
					b.Fatalf("pushed %d of %d: %v", res.Pushed, n, err)
				}
				b.StopTimer()
				for k := range batches {
					for j := range batches[k] {
						batches[k][j].Version += 1000 // newer than anything pushed: applied again
					}
				}
				b.StartTimer()
				t0 = time.Now()
				for _, rs := range batches {
					if _, err := c.Push(ctx, rs); err != nil {
						b.Fatal(err)
					}
				}
				bare += time.Since(t0)
			}
			b.StopTimer()
			rate := float64(n*b.N) / e2e.Seconds()
			base := float64(n*b.N) / bare.Seconds()
			b.ReportMetric(rate, "records/s")
			b.ReportMetric(base, "bare-records/s")
			b.ReportMetric(base/rate, "x-bare")
		})
	}
}

// BenchmarkSyncPush20Terminals: twenty terminals push their ~10,000
// records each at once to one back office (all in this process, so the
// terminals' reading and the back office share the machine's cores).
// Reported: the aggregate rate, the back office's p50 and p99 time per
// batch, and, as the same-run baseline, one terminal pushing alone (its
// rate and its p99). Target on PostgreSQL: 10,000 records/s aggregate.
func BenchmarkSyncPush20Terminals(b *testing.B) {
	dbs, recs := spBenchDBs(b)
	total := 0
	for _, n := range recs {
		total += n
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			ctx := context.Background()
			st, timed, url := spBenchBackOffice(b, engine)
			cs := make([]*client.Client, len(dbs))
			for i, db := range dbs {
				cs[i] = spEnrol(b, db, st, url)
			}
			var all, alone time.Duration
			var lat, latAlone []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				for _, db := range dbs {
					spRepend(b, db)
				}
				timed.take()
				b.StartTimer()
				t0 := time.Now()
				if _, err := client.NewPusher(cs[0], syncOutbox{dbs[0]}).Run(ctx); err != nil {
					b.Fatal(err)
				}
				alone += time.Since(t0)
				latAlone = append(latAlone, timed.take()...)
				b.StopTimer()
				spRepend(b, dbs[0])
				b.StartTimer()

				t0 = time.Now()
				var wg sync.WaitGroup
				errs := make(chan error, len(dbs))
				for k, db := range dbs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						res, err := client.NewPusher(cs[k], syncOutbox{db}).Run(ctx)
						if err == nil && res.Pushed != recs[k] {
							err = fmt.Errorf("terminal %d pushed %d of %d", k, res.Pushed, recs[k])
						}
						errs <- err
					}()
				}
				wg.Wait()
				all += time.Since(t0)
				close(errs)
				for err := range errs {
					if err != nil {
						b.Fatal(err)
					}
				}
				lat = append(lat, timed.take()...)
			}
			b.StopTimer()
			b.ReportMetric(float64(total*b.N)/all.Seconds(), "records/s")
			b.ReportMetric(float64(spPercentile(lat, 0.50).Microseconds())/1000, "p50-batch-ms")
			b.ReportMetric(float64(spPercentile(lat, 0.99).Microseconds())/1000, "p99-batch-ms")
			b.ReportMetric(float64(recs[0]*b.N)/alone.Seconds(), "alone-records/s")
			b.ReportMetric(float64(spPercentile(latAlone, 0.99).Microseconds())/1000, "alone-p99-batch-ms")
		})
	}
}
