package localdb_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/localdb"
)

// fxOutboxDB is a migrated database with the test store, a shift open and
// nothing else queued but that shift.
func fxOutboxDB(t testing.TB) *localdb.DB {
	t.Helper()
	db, err := localdb.Open(filepath.Join(t.TempDir(), "pos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	fxSeed(t, db)
	fxOpenShift(t, db)
	return db
}

var fxBig = localdb.OutboxLimits{Records: 1000, Bytes: 3 << 20, RecordBytes: 256 << 10}

func fxExec(t testing.TB, db *localdb.DB, q string, args ...any) {
	t.Helper()
	require.NoError(t, db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(q, args...)
		return err
	}), q)
}

func fxDrain(t testing.TB, db *localdb.DB) map[string]localdb.OutboxRecord {
	t.Helper()
	ctx := context.Background()
	got := map[string]localdb.OutboxRecord{}
	for {
		b, err := db.PendingOutbox(ctx, fxBig)
		require.NoError(t, err)
		if len(b.Records) == 0 {
			return got
		}
		var refs []localdb.OutboxRef
		for _, r := range b.Records {
			_, dup := got[r.ID]
			require.False(t, dup, "%s twice", r.ID)
			got[r.ID] = r
			refs = append(refs, r.OutboxRef)
		}
		n, err := db.MarkOutboxSent(ctx, refs, time.Now())
		require.NoError(t, err)
		require.EqualValues(t, len(refs), n)
	}
}

// A sale's commit queues each of its rows once, in the same transaction,
// and the batch carries each row as it stands, every column under its name.
func TestOutbox_SaleQueuesEveryRowOnce(t *testing.T) {
	ctx := context.Background()
	db := fxOutboxDB(t)
	s := fxSales(1, "Q")[0]
	require.NoError(t, db.CommitSaleWithIntents(ctx, s.order, s.tenders, s.intents))
	n, err := db.Unsynced(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 12, n, "order, 5 lines, 2 tenders, the intent, 2 takings rows and the shift")

	got := fxDrain(t, db)
	var ids []string
	for id, r := range got {
		ids = append(ids, r.Topic+" "+id)
		assert.EqualValues(t, 1, r.Version, id)
		assert.True(t, json.Valid(r.Payload), id)
	}
	slices.Sort(ids)
	o := s.order
	want := []string{
		fmt.Sprintf("orders orders:%d", o.ID),
		fmt.Sprintf("shifts shift:%d", o.ShiftID),
		fmt.Sprintf("takings takings:%d", 1), fmt.Sprintf("takings takings:%d", 2),
		fmt.Sprintf("tenders payment_intent:%d", s.intents[0].ID),
		fmt.Sprintf("tenders tender:%d", o.Tenders[0].ID), fmt.Sprintf("tenders tender:%d", o.Tenders[1].ID),
	}
	for i := range o.Lines {
		want = append(want, fmt.Sprintf("order_lines order_line:%d/%d", o.ID, i+1))
	}
	slices.Sort(want)
	assert.Equal(t, want, ids)

	var order map[string]any
	require.NoError(t, json.Unmarshal(got[fmt.Sprintf("orders:%d", o.ID)].Payload, &order))
	assert.Equal(t, "orders", order["_table"])
	assert.Equal(t, o.OrderNo, order["order_no"])
	assert.EqualValues(t, o.Payable, order["payable"])
	assert.Equal(t, "paid", order["status"])
	assert.Equal(t, "", order["note"], "an empty TEXT is a string")
	assert.Contains(t, order, "paid_at")
	// Every column, named as in the table.
	var cols int
	require.NoError(t, db.Read().QueryRow(`SELECT count(*) FROM pragma_table_info('orders')`).Scan(&cols))
	assert.Len(t, order, cols+1)

	var line map[string]any
	require.NoError(t, json.Unmarshal(got[fmt.Sprintf("order_line:%d/2", o.ID)].Payload, &line))
	assert.Equal(t, o.Lines[1].Name, line["name"])
	assert.EqualValues(t, 2, line["line_no"])

	n, err = db.Unsynced(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	// Nothing pending: an empty batch.
	b, err := db.PendingOutbox(ctx, fxBig)
	require.NoError(t, err)
	assert.Empty(t, b.Records)
}

// A change raises the version and queues the record again; a record
// changed while its batch was in flight is not marked sent by that batch.
func TestOutbox_ChangeRaisesVersionAndInFlightStaysPending(t *testing.T) {
	ctx := context.Background()
	db := fxOutboxDB(t)
	s := fxSales(1, "V")[0]
	require.NoError(t, db.CommitSaleWithIntents(ctx, s.order, s.tenders, s.intents))
	fxDrain(t, db)
	key := fmt.Sprintf("orders:%d", s.order.ID)

	fxExec(t, db, `UPDATE orders SET note = 'first' WHERE id = ?`, s.order.ID)
	fxExec(t, db, `UPDATE orders SET note = 'second' WHERE id = ?`, s.order.ID)
	b, err := db.PendingOutbox(ctx, fxBig)
	require.NoError(t, err)
	require.Len(t, b.Records, 1)
	r := b.Records[0]
	assert.Equal(t, key, r.ID)
	assert.EqualValues(t, 3, r.Version, "written once, changed twice")
	assert.Contains(t, string(r.Payload), `"note":"second"`)

	// In flight: the order changes again before the batch is marked.
	fxExec(t, db, `UPDATE orders SET note = 'third' WHERE id = ?`, s.order.ID)
	n, err := db.MarkOutboxSent(ctx, []localdb.OutboxRef{r.OutboxRef}, time.Now())
	require.NoError(t, err)
	assert.EqualValues(t, 1, n, "the version sent is marked")
	b, err = db.PendingOutbox(ctx, fxBig)
	require.NoError(t, err)
	require.Len(t, b.Records, 1, "the change made in flight goes again")
	assert.EqualValues(t, 4, b.Records[0].Version)
	assert.Contains(t, string(b.Records[0].Payload), `"note":"third"`)

	// Folded but changed before the mark: the old version does not mark it.
	fxExec(t, db, `UPDATE orders SET note = 'fourth' WHERE id = ?`, s.order.ID)
	require.NoError(t, db.FoldOutbox(ctx))
	n, err = db.MarkOutboxSent(ctx, []localdb.OutboxRef{b.Records[0].OutboxRef}, time.Now())
	require.NoError(t, err)
	assert.Zero(t, n, "version 4 is not the version pending now")
	b, err = db.PendingOutbox(ctx, fxBig)
	require.NoError(t, err)
	require.Len(t, b.Records, 1)
	assert.EqualValues(t, 5, b.Records[0].Version)
	assert.Contains(t, string(b.Records[0].Payload), `"note":"fourth"`)
}

// A deleted row is pushed as deleted; written again, it is a newer version.
func TestOutbox_DeletedRow(t *testing.T) {
	ctx := context.Background()
	db := fxOutboxDB(t)
	s := fxSales(1, "D")[0]
	require.NoError(t, db.CommitSaleWithIntents(ctx, s.order, s.tenders, s.intents))
	fxDrain(t, db)
	fxExec(t, db, `DELETE FROM order_line WHERE order_id = ? AND line_no = 5`, s.order.ID)
	got := fxDrain(t, db)
	key := fmt.Sprintf("order_line:%d/5", s.order.ID)
	require.Contains(t, got, key)
	assert.JSONEq(t, `{"_table":"order_line","_deleted":true}`, string(got[key].Payload))
	assert.EqualValues(t, 2, got[key].Version)
	fxExec(t, db, `INSERT INTO order_line(order_id, line_no, name, qty, unit_price, amount) VALUES (?, 5, 'again', 1, 100, 100)`, s.order.ID)
	got = fxDrain(t, db)
	assert.EqualValues(t, 3, got[key].Version)
	assert.Contains(t, string(got[key].Payload), `"name":"again"`)
}

// A batch stops at its record count and its bytes; a record over the
// per-record limit is held (reported, kept pending with the reason,
// skipped) without blocking the records behind it, until it changes.
func TestOutbox_LimitsAndHeldRecord(t *testing.T) {
	ctx := context.Background()
	db := fxOutboxDB(t)
	for _, s := range fxSales(20, "L") {
		require.NoError(t, db.CommitSaleWithIntents(ctx, s.order, s.tenders, s.intents))
	}
	b, err := db.PendingOutbox(ctx, localdb.OutboxLimits{Records: 7, Bytes: 1 << 20, RecordBytes: 1 << 20})
	require.NoError(t, err)
	assert.Len(t, b.Records, 7)
	for i := 1; i < len(b.Records); i++ {
		assert.Less(t, b.Records[i-1].Seq, b.Records[i].Seq, "oldest first")
	}
	b, err = db.PendingOutbox(ctx, localdb.OutboxLimits{Records: 1000, Bytes: 2000, RecordBytes: 1 << 20})
	require.NoError(t, err)
	require.NotEmpty(t, b.Records)
	assert.LessOrEqual(t, b.Bytes, 2000)
	var sum int
	for _, r := range b.Records {
		sum += len(r.Payload) + len(r.ID) + len(r.Topic) + 128
	}
	assert.Equal(t, sum, b.Bytes)
	assert.Less(t, len(b.Records), 100)

	// A note of 3,000 bytes makes the first order too large for a 2,000-byte record limit.
	first := fxSales(1, "H")[0]
	require.NoError(t, db.CommitSaleWithIntents(ctx, first.order, first.tenders, first.intents))
	fxDrain(t, db)
	fxExec(t, db, `UPDATE orders SET note = ? WHERE id = ?`, strings.Repeat("备", 1000), first.order.ID)
	fxExec(t, db, `UPDATE tender SET wallet = wallet WHERE order_id = ?`, first.order.ID)
	lim := localdb.OutboxLimits{Records: 1000, Bytes: 1 << 20, RecordBytes: 2000}
	b, err = db.PendingOutbox(ctx, lim)
	require.NoError(t, err)
	require.Len(t, b.Held, 1)
	key := fmt.Sprintf("orders:%d", first.order.ID)
	assert.Equal(t, key, b.Held[0].ID)
	assert.Greater(t, b.Held[0].Bytes, 2000)
	assert.Len(t, b.Records, 2, "the tenders behind it still go")
	var refs []localdb.OutboxRef
	for _, r := range b.Records {
		refs = append(refs, r.OutboxRef)
	}
	_, err = db.MarkOutboxSent(ctx, refs, time.Now())
	require.NoError(t, err)
	b, err = db.PendingOutbox(ctx, lim)
	require.NoError(t, err)
	assert.Empty(t, b.Records, "held: skipped")
	assert.Empty(t, b.Held, "reported once")
	st, err := db.OutboxStats(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, st.Pending, "still unsynced")
	assert.EqualValues(t, 1, st.Held)
	assert.Contains(t, st.LastError, key)
	assert.Contains(t, st.LastError, "over the limit")

	// Changed (smaller), it goes again.
	fxExec(t, db, `UPDATE orders SET note = 'short' WHERE id = ?`, first.order.ID)
	b, err = db.PendingOutbox(ctx, lim)
	require.NoError(t, err)
	require.Len(t, b.Records, 1)
	assert.Equal(t, key, b.Records[0].ID)
}

// Failed attempts are counted with their reason; the records stay pending.
func TestOutbox_FailedAttempts(t *testing.T) {
	ctx := context.Background()
	db := fxOutboxDB(t)
	b, err := db.PendingOutbox(ctx, fxBig)
	require.NoError(t, err)
	require.Len(t, b.Records, 1)
	ref := b.Records[0].OutboxRef
	require.NoError(t, db.MarkOutboxFailed(ctx, []localdb.OutboxRef{ref}, "503 internal: down"))
	require.NoError(t, db.MarkOutboxFailed(ctx, []localdb.OutboxRef{ref}, "network: refused"))
	var attempts int
	var last string
	require.NoError(t, db.Read().QueryRow(`SELECT attempts, last_error FROM sync_outbox WHERE id = ?`, ref.Seq).Scan(&attempts, &last))
	assert.Equal(t, 2, attempts)
	assert.Equal(t, "network: refused", last)
	st, err := db.OutboxStats(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, st.Pending)
	assert.Equal(t, "network: refused", st.LastError)
	assert.False(t, st.Oldest.IsZero())
	_, err = db.MarkOutboxSent(ctx, []localdb.OutboxRef{ref}, time.Now())
	require.NoError(t, err)
	st, err = db.OutboxStats(ctx)
	require.NoError(t, err)
	assert.Equal(t, localdb.OutboxStats{}, st)
}

// The audit log's BLOB columns go as base64; text the JSON encoder would
// escape comes out valid and equal.
func TestOutbox_PayloadEncoding(t *testing.T) {
	ctx := context.Background()
	db := fxOutboxDB(t)
	odd := "引号\" 反斜杠\\ 换行\n 制表\t \x01 \u2028 end"
	require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error {
		return localdb.InsertAudit(ctx, tx, app.AuditEntry{At: time.Now(), StaffID: 1, Action: "test", Subject: odd, Detail: "x"})
	}))
	got := fxDrain(t, db)
	var rec localdb.OutboxRecord
	for id, r := range got {
		if strings.HasPrefix(id, "audit_log:") {
			rec = r
		}
	}
	require.NotEmpty(t, rec.ID)
	assert.Equal(t, "audit", rec.Topic)
	var m map[string]any
	require.NoError(t, json.Unmarshal(rec.Payload, &m))
	assert.Equal(t, odd, m["subject"])
	assert.EqualValues(t, 1, m["staff_id"])
	var hash []byte
	require.NoError(t, db.Read().QueryRow(`SELECT hash FROM audit_log WHERE id = ?`, m["id"]).Scan(&hash))
	require.NotEmpty(t, hash)
	assert.Equal(t, base64.StdEncoding.EncodeToString(hash), m["hash"])

	// Invalid UTF-8 stored as TEXT still makes valid JSON.
	s := fxSales(1, "U")[0]
	require.NoError(t, db.CommitSaleWithIntents(ctx, s.order, s.tenders, s.intents))
	fxExec(t, db, `UPDATE orders SET note = CAST(X'E6FF41' AS TEXT) WHERE id = ?`, s.order.ID)
	got = fxDrain(t, db)
	p := got[fmt.Sprintf("orders:%d", s.order.ID)].Payload
	require.True(t, json.Valid(p), string(p))
	assert.Contains(t, string(p), `"note":"\ufffd\ufffdA"`)
}

// Every pushed table carries its three triggers: a migration that rebuilds
// one of them (DROP and RENAME, as 0003 did) drops them with it and must
// create them again.
func TestOutbox_EveryPushedTableHasItsTriggers(t *testing.T) {
	db := fxOutboxDB(t)
	rows, err := db.Read().Query(`SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'sync_outbox_%'`)
	require.NoError(t, err)
	defer rows.Close()
	have := map[string][]string{}
	for rows.Next() {
		var tbl, name string
		require.NoError(t, rows.Scan(&tbl, &name))
		have[tbl] = append(have[tbl], name)
	}
	require.NoError(t, rows.Err())
	tables := localdb.OutboxTables()
	for tbl := range tables {
		got := have[tbl]
		slices.Sort(got)
		assert.Equal(t, []string{"sync_outbox_" + tbl + "_del", "sync_outbox_" + tbl + "_ins", "sync_outbox_" + tbl + "_upd"}, got, tbl)
	}
	for tbl := range have {
		assert.Contains(t, tables, tbl)
	}
	topics := map[string]bool{}
	for _, tp := range tables {
		topics[tp] = true
	}
	assert.Len(t, topics, 9, "the protocol's nine push topics")
}

// A database written before 0018 queues every record it holds once, at
// version 1; what is written after goes through the triggers.
func TestMigrate0018_BackfillsEveryRecordOnce(t *testing.T) {
	ctx := context.Background()
	db, exec := fxAtVersion(t, 17)
	exec(fxSeedSQL + `
		INSERT INTO shift(id, store_id, terminal_id, staff_id, started_at) VALUES (1, 1, 1, 1, 1000);
		INSERT INTO orders(id, order_no, store_id, terminal_id, staff_id, shift_id, kind, status, total, payable, paid, created_at)
		  VALUES (1, 'A1', 1, 1, 1, 1, 'sale', 'paid', 500, 500, 500, 1000), (2, 'A2', 1, 1, 1, 1, 'deposit', 'paid', 900, 900, 900, 1000);
		INSERT INTO order_line(order_id, line_no, name, qty, unit_price, amount) VALUES (1, 1, 'a', 1, 200, 200), (1, 2, 'b', 1, 300, 300);
		INSERT INTO tender(id, order_id, kind, amount, state, staff_id, created_at) VALUES (1, 1, 'cash', 500, 'paid', 1, 1000), (2, 2, 'wallet', 900, 'paid', 1, 1000);
		INSERT INTO payment_intent(id, out_trade_no, order_id, tender_id, kind, channel, wallet, auth_code_masked, amount, state, created_at, updated_at)
		  VALUES (1, 'P2', 2, 2, 'deposit', 'wechat', 'wechat', '13****', 900, 'paid', 1000, 1000);
		INSERT INTO deposit(id, deposit_no, order_id, intent_id, amount, state, created_at) VALUES (1, 'D1', 2, 1, 900, 'frozen', 1000);
		INSERT INTO deposit_operation(id, deposit_id, kind, out_request_no, amount, state, created_at, updated_at) VALUES (1, 1, 'consume', 'R1', 100, 'created', 1000, 1000);
		INSERT INTO refund(id, out_refund_no, order_id, intent_id, amount, state, staff_id, created_at, updated_at) VALUES (1, 'F1', 2, 1, 50, 'created', 1, 1000, 1000);
		INSERT INTO order_refund(id, refund_no, order_id, amount, staff_id, created_at) VALUES (1, 'OR1', 1, 200, 1, 1000);
		INSERT INTO order_refund_line(refund_id, line_no, qty, amount) VALUES (1, 1, 1, 200);
		INSERT INTO order_refund_part(id, refund_id, tender_id, amount) VALUES (1, 1, 1, 200);
		INSERT INTO cash_refund(id, part_id, order_id, tender_id, amount, staff_id, created_at) VALUES (1, 1, 1, 1, 200, 1, 1000);
		INSERT INTO takings(id, kind, ref, store_id, staff_id, shift_id, order_id, method, amount, at, business_day) VALUES (1, 'sale', 'tender:1', 1, 1, 1, 1, 'cash', 500, 1000, 20261201);`)
	require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error {
		return localdb.InsertAudit(ctx, tx, app.AuditEntry{At: time.UnixMilli(1000), StaffID: 1, Action: "old"})
	}))
	_, err := db.Migrate(ctx, localdb.Migrations(), false)
	require.NoError(t, err)
	got := fxDrain(t, db)
	var ids []string
	for id, r := range got {
		ids = append(ids, r.Topic+" "+id)
		assert.EqualValues(t, 1, r.Version, id)
		assert.NotContains(t, string(r.Payload), "_deleted", id)
	}
	slices.Sort(ids)
	assert.Equal(t, []string{
		"audit audit_log:1", "deposit_ops deposit_operation:1", "deposits deposit:1",
		"order_lines order_line:1/1", "order_lines order_line:1/2", "orders orders:1", "orders orders:2",
		"refunds cash_refund:1", "refunds order_refund:1", "refunds order_refund_line:1/1", "refunds order_refund_part:1", "refunds refund:1",
		"shifts shift:1", "takings takings:1", "tenders payment_intent:1", "tenders tender:1", "tenders tender:2",
	}, ids)
	// After the migration the triggers queue changes.
	exec(`UPDATE deposit SET state = 'consumed', consumed = 100 WHERE id = 1`)
	got = fxDrain(t, db)
	require.Len(t, got, 1)
	assert.EqualValues(t, 2, got["deposit:1"].Version)
}

// The queue's head and its count are read through the partial index of
// pending rows, never by walking the sent ones.
func TestOutbox_ReadsThePendingIndex(t *testing.T) {
	db := fxOutboxDB(t)
	for _, q := range []string{
		`SELECT id, topic, key, version FROM sync_outbox INDEXED BY sync_outbox_pending WHERE sent_at IS NULL AND held_version != version ORDER BY id LIMIT 10`,
		`SELECT count(*) FROM sync_outbox INDEXED BY sync_outbox_pending WHERE sent_at IS NULL`,
	} {
		rows, err := db.Read().Query(`EXPLAIN QUERY PLAN ` + q)
		require.NoError(t, err)
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &notused, &detail))
			plan = append(plan, detail)
		}
		rows.Close()
		joined := strings.Join(plan, "; ")
		assert.Contains(t, joined, "sync_outbox_pending", q)
		assert.NotContains(t, joined, "TEMP B-TREE", q)
	}
}

// Past 10,000 changes waiting to be folded the count stops looking for
// records changed twice (an upper bound) and stays cheap; the fold makes
// it exact again.
func TestOutbox_UnsyncedWithALongLog(t *testing.T) {
	ctx := context.Background()
	db := fxOutboxDB(t)
	fxExec(t, db, `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 12000)
		INSERT INTO sync_outbox_log(topic, key, at) SELECT 'orders', 'orders:' || (i % 11000), 0 FROM c`)
	n, err := db.Unsynced(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1+12000, n, "the shift, and every change")
	require.NoError(t, db.FoldOutbox(ctx))
	n, err = db.Unsynced(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1+11000, n)
	var versions int
	require.NoError(t, db.Read().QueryRow(`SELECT count(*) FROM sync_outbox WHERE version = 2`).Scan(&versions))
	assert.Equal(t, 1000, versions, "changed twice: version 2")
}
