package main

// BenchmarkClockOff: a clock-off with its handover (the shift's summary,
// held orders, open deposits, the write of the end and the whole handover
// with its audit line) and the report laid out and queued durably, in a
// store with a million orders; beside it one bare durable commit through
// the same writer on the same disk (DurableCommitFloor), measured in the
// same run. Target: the clock-off under 50 ms above the floor. The
// database lives in the system temp dir (TMPDIR): the floor is that disk's.
//
//	go test -tags migrated_fynedo,sqlite_fts5 -run '^$' -bench ClockOff -count 3 .

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/app/shift"
	"cashier/hardware/escpos"
	"cashier/hardware/printq"
)

const (
	benchShiftOrders   = 1_000_000 // the store's history
	benchShiftSales    = 200       // cash sales on the shift being closed
	benchShiftDeposits = 50        // deposits still frozen in the store
)

// benchStoreFill writes the store's history for staffID: :n paid orders
// over a year, one tender and one journal row each, on past shifts (eight
// a day), a deposit on every hundredth (released, but for the last few).
const benchStoreFill = `
WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM k WHERE i < :n - 1)
INSERT INTO orders(order_no, store_id, terminal_id, staff_id, shift_id, kind, status, total, payable, paid, created_at, paid_at)
SELECT 'H' || i, :store, :term, :staff, :shift0 + (i * 2920) / :n, CASE WHEN i % 100 = 0 THEN 'deposit' ELSE 'sale' END, 'paid',
       1000 + i % 5000, 1000 + i % 5000, 1000 + i % 5000, :start + i * 30000, :start + i * 30000 FROM k;
`

func BenchmarkClockOff(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	s, err := Open(ctx, Options{DataDir: dir, Command: "bench", Lock: true, Seed: true})
	require.NoError(b, err)
	defer s.Close()
	require.NoError(b, s.Start(ctx))
	clerk, _, err := s.DB.StaffByCode(ctx, "1003")
	require.NoError(b, err)
	li, _, err := s.DB.StaffByCode(ctx, "1002")
	require.NoError(b, err)
	term, err := s.DB.CurrentTerminal(ctx)
	require.NoError(b, err)

	start := time.Now()
	startMS := time.Now().Add(-366 * 24 * time.Hour).UnixMilli()
	require.NoError(b, s.DB.Write(ctx, func(tx *sql.Tx) error {
		// 2,920 past shifts of the clerk: eight a day for a year.
		if _, err := tx.ExecContext(ctx, `WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM k WHERE i < 2919)
			INSERT INTO shift(id, store_id, terminal_id, staff_id, started_at, ended_at, summary_json)
			SELECT 1000 + i, ?, ?, ?, ? + i * 10800000, ? + (i + 1) * 10800000, '' FROM k`,
			term.StoreID, term.ID, clerk.ID, startMS, startMS); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, benchStoreFill, sql.Named("n", benchShiftOrders), sql.Named("store", term.StoreID),
			sql.Named("term", term.ID), sql.Named("staff", clerk.ID), sql.Named("shift0", 1000), sql.Named("start", startMS)); err != nil {
			return err
		}
		for _, q := range []string{
			`INSERT INTO tender(order_id, kind, wallet, amount, state, staff_id, shift_id, created_at, settled_at)
			 SELECT id, CASE id % 5 WHEN 4 THEN 'cash' ELSE 'wallet' END, CASE id % 5 WHEN 4 THEN '' ELSE 'wechat' END,
			        payable, 'paid', staff_id, shift_id, created_at, paid_at FROM orders WHERE order_no LIKE 'H%'`,
			`INSERT INTO takings(kind, ref, store_id, staff_id, shift_id, order_id, method, amount, at, business_day)
			 SELECT CASE o.kind WHEN 'deposit' THEN 'deposit_hold' ELSE 'sale' END, 'tender:' || t.id, o.store_id, t.staff_id, t.shift_id, o.id,
			        CASE t.kind WHEN 'cash' THEN 'cash' ELSE 'wechat' END, t.amount, t.settled_at,
			        CAST(strftime('%Y%m%d', t.settled_at / 1000, 'unixepoch', '+8 hours') AS INTEGER)
			 FROM tender t JOIN orders o ON o.id = t.order_id`,
			`INSERT INTO payment_intent(out_trade_no, order_id, kind, channel, wallet, auth_code_masked, amount, state, created_at, updated_at)
			 SELECT 'I' || id, id, 'deposit', 'wechat', 'wechat', '1300****0000', payable, 'paid', created_at, created_at
			 FROM orders WHERE kind = 'deposit' AND order_no LIKE 'H%'`,
			`INSERT INTO deposit(deposit_no, order_id, intent_id, amount, released, state, created_at, settled_at)
			 SELECT 'D' || o.id, o.id, i.id, o.payable, o.payable, 'released', o.created_at, o.created_at + 86400000
			 FROM orders o JOIN payment_intent i ON i.order_id = o.id WHERE o.kind = 'deposit' AND o.order_no LIKE 'H%'`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE deposit SET state='frozen', released=0, settled_at=NULL
			WHERE id > (SELECT max(id) FROM deposit) - ?`, benchShiftDeposits)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `ANALYZE`)
		return err
	}))
	b.Logf("built a %d-order store in %s", benchShiftOrders, time.Since(start).Round(time.Millisecond))

	// The report goes through the real adapter into the durable queue;
	// no printer is attached, so it stays queued (what a clock-off pays).
	q := printq.New(s.DB.PrintJobs(), s.Clock, printq.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(b, q.Start(ctx))
	defer q.Stop()
	s.Shifts.Printer = &Devices{db: s.DB, clock: s.Clock, queue: q, paper: escpos.Paper80}

	// One clock-off before measuring: a person's first one reads the
	// store's whole order history for their held orders (later ones start
	// from their last handover).
	handover := func(b *testing.B) {
		b.StopTimer()
		sh, err := s.Shifts.ClockOn(ctx, li.ID, shift.ScopeTerminal, 50000)
		if err != nil {
			b.Fatal(err)
		}
		// The shift's sales, written in one go (not what is measured).
		if err := s.DB.Write(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM k WHERE i < ? - 1)
				INSERT INTO takings(kind, ref, store_id, staff_id, shift_id, method, amount, at, business_day)
				SELECT 'sale', 'bench:' || ? || ':' || i, ?, ?, ?, CASE i % 2 WHEN 0 THEN 'cash' ELSE 'alipay' END, 1000 + i, ?, 20260101 FROM k`,
				benchShiftSales, sh.ID, sh.StoreID, li.ID, sh.ID, time.Now().UnixMilli())
			return err
		}); err != nil {
			b.Fatal(err)
		}
		sum, err := s.Shifts.Takings(ctx, sh.ID)
		if err != nil {
			b.Fatal(err)
		}
		cash := sum.Method("cash")
		counted := 50000 + cash.Settlement - 300 // 3.00 short: no countersign
		count := shift.CashCount{Notes: map[string]int64{"100": int64(counted / 10000)}, Coins: counted % 10000}
		b.StartTimer()
		off, err := s.Shifts.ClockOff(ctx, li.ID, count, 20000, nil)
		if err != nil {
			b.Fatal(err)
		}
		if off.Handover.Variance != -300 || len(off.Handover.OpenDeposits) != benchShiftDeposits {
			b.Fatalf("handover: variance %s, %d open deposits", off.Handover.Variance, len(off.Handover.OpenDeposits))
		}
	}
	handover(b)

	b.Run("DurableCommitFloor", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if err := s.DB.Write(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO setting(key, value, updated_at) VALUES ('bench.floor', ?, ?)
					ON CONFLICT(key) DO UPDATE SET value=excluded.value, updated_at=excluded.updated_at`, i, i)
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("Handover1M", func(b *testing.B) {
		for range b.N {
			handover(b)
		}
		n, err := q.List(ctx, printq.Filter{States: []printq.State{printq.Queued}, Limit: 1_000_000})
		require.NoError(b, err)
		require.NotEmpty(b, n, "every report queued")
	})
}
