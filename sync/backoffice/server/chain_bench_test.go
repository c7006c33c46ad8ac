package server

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"cashier/app/summary"
	"cashier/sync/backoffice/protocol"
)

// takingsRow is a terminal's takings row as it pushes it: every column by name
// (localdb/migrations/0004_takings_shifts.sql), the local ids as numbers.
type takingsRow struct {
	ID          int64  `json:"id"`
	Kind        string `json:"kind"`
	Ref         string `json:"ref"`
	StoreID     int64  `json:"store_id"`
	StaffID     int64  `json:"staff_id"`
	ShiftID     *int64 `json:"shift_id"`
	OrderID     *int64 `json:"order_id"`
	Method      string `json:"method"`
	Amount      int64  `json:"amount"`
	Discount    int64  `json:"discount"`
	At          int64  `json:"at"`
	BusinessDay int    `json:"business_day"`
}

func (r takingsRow) record(terminal string) protocol.Record {
	b, _ := json.Marshal(struct {
		Table string `json:"_table"`
		takingsRow
	}{"takings", r})
	return protocol.Record{Terminal: terminal, Topic: "takings", ID: fmt.Sprintf("takings:%d", r.ID), Version: 1, Payload: b}
}

// fillTakings stores n takings rows spread over days days ending on last, split
// between the terminals, and as many other records, straight through Ingest.
func fillTakings(tb testing.TB, st Store, terminals []string, n, days int, last summary.Day) {
	tb.Helper()
	ctx := context.Background()
	end := time.Date(last.Year, last.Month, last.D, 12, 0, 0, 0, time.UTC)
	kinds := []string{"sale", "sale", "sale", "refund", "discount", "deposit_hold", "deposit_consume", "deposit_release"}
	var batch []protocol.Record
	flush := func() {
		if _, err := st.Ingest(ctx, batch, time.Now()); err != nil {
			tb.Fatal(err)
		}
		batch = batch[:0]
	}
	for i := 0; i < n; i++ {
		term := terminals[i%len(terminals)]
		day := summary.DayOf(end.AddDate(0, 0, -(i/len(terminals))%days), time.UTC)
		r := takingsRow{ID: int64(i + 1), Kind: kinds[i%len(kinds)], Ref: fmt.Sprintf("tender:%d", i), StoreID: 1, StaffID: 1,
			Method: string(summary.Methods[i%len(summary.Methods)]), Amount: int64(100 + i%5000), Discount: int64(i % 7),
			At: end.UnixMilli(), BusinessDay: day.Int()}
		batch = append(batch, r.record(term),
			protocol.Record{Terminal: term, Topic: "orders", ID: fmt.Sprintf("orders:%d", i), Version: 1, Payload: json.RawMessage(`{"_table":"orders","id":1}`)})
		if len(batch) >= 1000 {
			flush()
		}
	}
	if len(batch) > 0 {
		flush()
	}
}

// BenchmarkChainDay: one business day's chain summary (the page's and
// /v1/reports/summary's queries) over 100,000 takings rows of 100 days, and as many
// other records, from 20 terminals.
func BenchmarkChainDay(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			var st Store
			var err error
			if engine == "sqlite" {
				st, err = OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "bo.db"), sealKey)
			} else {
				st, err = OpenPostgres(context.Background(), pgDatabase(b), sealKey)
			}
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			var terms []string
			for i := 0; i < 20; i++ {
				now := time.Now()
				code, err := st.NewEnrolCode(context.Background(), fmt.Sprintf("S%02d", i%5), now, now.Add(time.Hour))
				if err != nil {
					b.Fatal(err)
				}
				en, err := st.Enrol(context.Background(), code, "till", now)
				if err != nil {
					b.Fatal(err)
				}
				terms = append(terms, en.Terminal)
			}
			day := summary.Day{Year: 2026, Month: 12, D: 1}
			fillTakings(b, st, terms, 100_000, 100, day)
			if pgs, ok := st.(pgStore); ok {
				if _, err := pgs.db.Exec(`VACUUM ANALYZE records`); err != nil {
					b.Fatal(err)
				}
			}
			r := st.(chainReader)
			ctx := context.Background()
			// The day's takings (on records_takings_day), the terminals' counts and
			// last sync (records_terminal_received, linear in the records held), and
			// the whole answer.
			b.Run("takings", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if g, err := r.chainTakings(ctx, day); err != nil || len(g) == 0 {
						b.Fatal(err, len(g))
					}
				}
			})
			b.Run("terminals", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if ts, err := r.chainTerminals(ctx); err != nil || len(ts) != 20 {
						b.Fatal(err, len(ts))
					}
				}
			})
			b.Run("summary", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					s, err := chainSummary(ctx, r, day, time.Now(), time.UTC)
					if err != nil || s.Chain.Total.TxCount == 0 {
						b.Fatal(err, "no figures")
					}
				}
			})
		})
	}
}
