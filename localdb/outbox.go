package localdb

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The outbox (migration 0018, docs/sync.md "Terminal side: push"):
// triggers append every change of a record the back office keeps to
// sync_outbox_log, in the transaction that writes the record (one append
// is the cheapest thing a sale's commit can pay). Before a batch is read
// the log is folded into sync_outbox: one row per record — its topic, its
// id "<table>:<primary key>" and a version raised by one for each change —
// pending until a push marks that version sent. Nothing of the record is
// copied: a batch reads each record as it stands, in the same read
// snapshot as the queue, so what is sent is always at least as new as the
// version that goes with it (a change after the fold is queued again,
// under a higher version).

// outboxTables are the tables the triggers queue, by the table name a
// record id starts with. Nothing else is ever read for a payload.
var outboxTables = map[string]string{
	"orders": "orders", "order_line": "order_lines",
	"tender": "tenders", "payment_intent": "tenders",
	"refund": "refunds", "order_refund": "refunds", "order_refund_line": "refunds",
	"order_refund_part": "refunds", "cash_refund": "refunds",
	"deposit": "deposits", "deposit_operation": "deposit_ops",
	"shift": "shifts", "audit_log": "audit", "takings": "takings",
}

// OutboxTables lists the tables whose records are pushed and their topics.
func OutboxTables() map[string]string {
	out := make(map[string]string, len(outboxTables))
	for k, v := range outboxTables {
		out[k] = v
	}
	return out
}

// OutboxRef is one queued record at the version that was read.
type OutboxRef struct {
	Seq     int64 // the outbox row's id: the queue's order
	Version int64
}

// OutboxRecord is a queued record with its payload as the record stands.
type OutboxRecord struct {
	OutboxRef
	Topic string
	ID    string // "<table>:<primary key>", a composite key's parts joined by "/"
	// Payload is {"_table": "<table>", "<column>": value, …} with every
	// column (INTEGER → number, TEXT → string, NULL → null, BLOB → base64
	// string), or {"_table": "<table>", "_deleted": true} when the row is gone.
	Payload json.RawMessage
}

// OutboxHeld is a record too large to push: it stays pending, with the
// reason in last_error, and later batches skip it until it changes.
type OutboxHeld struct {
	OutboxRef
	Topic string
	ID    string
	Bytes int
}

// OutboxLimits bound one batch: at most Records records, whose envelopes
// add up to at most Bytes of JSON; a payload over RecordBytes is held.
type OutboxLimits struct {
	Records     int
	Bytes       int
	RecordBytes int
}

// OutboxBatch is what PendingOutbox read.
type OutboxBatch struct {
	Records []OutboxRecord
	Held    []OutboxHeld // found too large in this read
	Bytes   int          // the records' envelope bytes, as counted against the limit
}

// recordOverhead is what a record's envelope adds to its payload and id
// in a push body: {"terminal":"t-<16 hex>","topic":…,"id":…,"version":…,"payload":…},
// counted generously so a batch counted under the limit is under it.
const recordOverhead = 128

// pendingOutbox reads the queue's head through its partial index of
// pending rows: the sent rows, which grow for ever, are never walked.
const pendingOutbox = `SELECT id, topic, key, version FROM sync_outbox INDEXED BY sync_outbox_pending
WHERE sent_at IS NULL AND held_version != version ORDER BY id LIMIT ?`

// PendingOutbox reads the oldest pending records, each with its payload,
// within lim, in one read snapshot. A record whose payload is over
// lim.RecordBytes is held (reported in Held, not returned again until it
// changes) instead of blocking the queue.
func (db *DB) PendingOutbox(ctx context.Context, lim OutboxLimits) (OutboxBatch, error) {
	if lim.Records <= 0 || lim.Bytes <= 0 || lim.RecordBytes <= 0 {
		return OutboxBatch{}, fmt.Errorf("localdb: outbox limits %+v", lim)
	}
	if err := db.FoldOutbox(ctx); err != nil {
		return OutboxBatch{}, err
	}
	batch, err := db.readOutbox(ctx, lim)
	if err != nil || len(batch.Held) == 0 {
		return batch, err
	}
	for _, h := range batch.Held {
		reason := fmt.Sprintf("record %s is %d bytes, over the limit of %d a record: held until it changes", h.ID, h.Bytes, lim.RecordBytes)
		if err := db.holdOutbox(ctx, h.OutboxRef, reason); err != nil {
			return batch, err
		}
	}
	return batch, nil
}

func (db *DB) readOutbox(ctx context.Context, lim OutboxLimits) (OutboxBatch, error) {
	var batch OutboxBatch
	tx, err := db.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return batch, err
	}
	defer tx.Rollback()
	tables, err := db.outboxSchema(ctx, tx)
	if err != nil {
		return batch, err
	}
	type queued struct {
		ref        OutboxRef
		topic, key string
	}
	var q []queued
	rows, err := tx.QueryContext(ctx, pendingOutbox, lim.Records)
	if err != nil {
		return batch, err
	}
	for rows.Next() {
		var r queued
		if err := rows.Scan(&r.ref.Seq, &r.topic, &r.key, &r.ref.Version); err != nil {
			rows.Close()
			return batch, err
		}
		q = append(q, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return batch, err
	}
	stmts := map[string]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	var buf []byte
	for _, r := range q {
		table, pk, ok := strings.Cut(r.key, ":")
		t := tables[table]
		if !ok || t == nil {
			return batch, fmt.Errorf("localdb: outbox key %q names no pushed table", r.key)
		}
		st := stmts[table]
		if st == nil {
			if st, err = tx.PrepareContext(ctx, t.query); err != nil {
				return batch, err
			}
			stmts[table] = st
		}
		buf, err = t.payload(ctx, st, buf[:0], pk)
		if err != nil {
			return batch, fmt.Errorf("localdb: outbox record %s: %w", r.key, err)
		}
		if len(buf) > lim.RecordBytes {
			batch.Held = append(batch.Held, OutboxHeld{OutboxRef: r.ref, Topic: r.topic, ID: r.key, Bytes: len(buf)})
			continue
		}
		size := len(buf) + len(r.key) + len(r.topic) + recordOverhead
		if len(batch.Records) > 0 && batch.Bytes+size > lim.Bytes {
			break // the rest go in the next batch
		}
		batch.Bytes += size
		batch.Records = append(batch.Records, OutboxRecord{OutboxRef: r.ref, Topic: r.topic, ID: r.key,
			Payload: json.RawMessage(append([]byte(nil), buf...))})
	}
	return batch, nil
}

// foldChunk bounds the log rows one fold transaction takes, so a day of
// sales queued offline does not hold the writer (and the counter's next
// commit) for long.
const foldChunk = 5000

// foldSQL moves the log's changes up to a seq into the outbox: a record
// new to it comes in at version = its changes (1 for a record written
// once), in the order of its first change; a known one goes up by its
// changes and is pending again, queued at its first change since it was
// last sent.
const foldSQL = `INSERT INTO sync_outbox(topic, key, payload, created_at, version)
SELECT topic, key, '', min(at), count(*) FROM sync_outbox_log WHERE seq <= ? GROUP BY topic, key ORDER BY min(seq)
ON CONFLICT(topic, key) DO UPDATE SET version = sync_outbox.version + excluded.version,
  created_at = CASE WHEN sync_outbox.sent_at IS NULL THEN sync_outbox.created_at ELSE excluded.created_at END,
  sent_at = NULL`

// FoldOutbox moves the changes the triggers logged into the outbox (the
// push does it before each batch; nothing else needs to).
func (db *DB) FoldOutbox(ctx context.Context) error {
	var last sql.NullInt64
	if err := db.reader.QueryRowContext(ctx, `SELECT max(seq) FROM sync_outbox_log`).Scan(&last); err != nil || !last.Valid {
		return err
	}
	for {
		done := false
		err := db.Write(ctx, func(tx *sql.Tx) error {
			var first sql.NullInt64
			if err := tx.QueryRowContext(ctx, `SELECT min(seq) FROM sync_outbox_log`).Scan(&first); err != nil {
				return err
			}
			if !first.Valid || first.Int64 > last.Int64 {
				done = true
				return nil
			}
			upTo := min(first.Int64+foldChunk-1, last.Int64)
			if _, err := tx.ExecContext(ctx, foldSQL, upTo); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `DELETE FROM sync_outbox_log WHERE seq <= ?`, upTo)
			done = upTo == last.Int64
			return err
		})
		if err != nil || done {
			return err
		}
	}
}

// MarkOutboxSent records a pushed batch: each record is marked sent only
// at the version that was sent, so one changed while the batch was in
// flight stays pending (and goes again, newer). It returns how many were
// marked.
func (db *DB) MarkOutboxSent(ctx context.Context, refs []OutboxRef, at time.Time) (int64, error) {
	var n int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		n = 0
		st, err := tx.PrepareContext(ctx, `UPDATE sync_outbox SET sent_at = ?, attempts = attempts + 1, last_error = ''
			WHERE id = ? AND version = ? AND sent_at IS NULL`)
		if err != nil {
			return err
		}
		defer st.Close()
		ms := at.UnixMilli()
		for _, r := range refs {
			res, err := st.ExecContext(ctx, ms, r.Seq, r.Version)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += k
		}
		return nil
	})
	return n, err
}

// MarkOutboxFailed notes a failed attempt on records that stay pending.
func (db *DB) MarkOutboxFailed(ctx context.Context, refs []OutboxRef, reason string) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `UPDATE sync_outbox SET attempts = attempts + 1, last_error = ? WHERE id = ? AND sent_at IS NULL`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, r := range refs {
			if _, err := st.ExecContext(ctx, reason, r.Seq); err != nil {
				return err
			}
		}
		return nil
	})
}

// HoldOutbox keeps a record pending but out of later batches until it
// changes (the back office refused it alone as too large).
func (db *DB) HoldOutbox(ctx context.Context, ref OutboxRef, reason string) error {
	return db.holdOutbox(ctx, ref, reason)
}

func (db *DB) holdOutbox(ctx context.Context, ref OutboxRef, reason string) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sync_outbox SET held_version = version, attempts = attempts + 1, last_error = ?
			WHERE id = ? AND version = ? AND sent_at IS NULL`, reason, ref.Seq, ref.Version)
		return err
	})
}

// unsyncedSQL counts the records pending in the outbox and those only
// logged since the last fold that are not among them. Past 10,000
// changes waiting to be folded (a terminal that has not pushed for a long
// while) each change counts once instead — an upper bound, exact again
// after the next fold — so the count stays a few milliseconds.
const unsyncedSQL = `SELECT (SELECT count(*) FROM sync_outbox INDEXED BY sync_outbox_pending WHERE sent_at IS NULL)
  + CASE WHEN (SELECT COALESCE(max(seq) - min(seq), 0) FROM sync_outbox_log) < 10000
    THEN (SELECT count(*) FROM (SELECT DISTINCT topic, key FROM sync_outbox_log) c
          WHERE NOT EXISTS (SELECT 1 FROM sync_outbox o WHERE o.topic = c.topic AND o.key = c.key AND o.sent_at IS NULL))
    ELSE (SELECT count(*) FROM sync_outbox_log) END`

// Unsynced is how many records wait to be pushed (held ones included):
// a count of the partial index of pending rows and of the changes logged
// since the last push (which folds them), cheap enough for a status bar
// however long the history. It is exact unless 10,000 or more changes
// wait to be folded; then it may count a record changed twice twice.
func (db *DB) Unsynced(ctx context.Context) (int64, error) {
	st, err := db.prepared(ctx, unsyncedSQL)
	if err != nil {
		return 0, err
	}
	var n int64
	err = st.QueryRowContext(ctx).Scan(&n)
	return n, err
}

// OutboxStats is the queue for a status line.
type OutboxStats struct {
	Pending   int64     // waiting, held ones included
	Held      int64     // too large to push until they change
	Oldest    time.Time // when the oldest pending record was queued; zero: none
	LastError string    // the newest reason a pending record gave
}

// OutboxStats reads the queue's figures (it walks the pending rows: for a
// command or a settings page, not a status bar; see Unsynced).
func (db *DB) OutboxStats(ctx context.Context) (OutboxStats, error) {
	var s OutboxStats
	var oldest, logged sql.NullInt64
	err := db.reader.QueryRowContext(ctx, `SELECT COALESCE(sum(held_version = version), 0), min(created_at)
		FROM sync_outbox INDEXED BY sync_outbox_pending WHERE sent_at IS NULL`).Scan(&s.Held, &oldest)
	if err != nil {
		return s, err
	}
	if err := db.reader.QueryRowContext(ctx, unsyncedSQL).Scan(&s.Pending); err != nil {
		return s, err
	}
	if err := db.reader.QueryRowContext(ctx, `SELECT min(at) FROM sync_outbox_log`).Scan(&logged); err != nil {
		return s, err
	}
	if oldest.Valid {
		s.Oldest = time.UnixMilli(oldest.Int64)
	}
	if logged.Valid && (s.Oldest.IsZero() || logged.Int64 < oldest.Int64) {
		s.Oldest = time.UnixMilli(logged.Int64)
	}
	err = db.reader.QueryRowContext(ctx, `SELECT last_error FROM sync_outbox INDEXED BY sync_outbox_pending
		WHERE sent_at IS NULL AND last_error != '' ORDER BY id DESC LIMIT 1`).Scan(&s.LastError)
	if err == sql.ErrNoRows {
		err = nil
	}
	return s, err
}

// outboxTable is how a pushed table's rows are read and written as JSON.
type outboxTable struct {
	name   string
	cols   []string
	keys   [][]byte // `,"<col>":` per column, the first with `{"_table":"<name>"` before it
	pkInt  []bool   // per primary-key column: bound as an integer
	query  string   // SELECT every column WHERE the primary key's columns = ?
	gone   []byte   // the payload of a deleted row
	values []any
	ptrs   []any
}

// The tables' shapes, per database file and schema cookie (every schema
// change moves the cookie): PRAGMA table_info is asked once, not per batch.
var outboxSchemas struct {
	mu sync.Mutex
	m  map[string]map[string]*outboxTable
}

func (db *DB) outboxSchema(ctx context.Context, tx *sql.Tx) (map[string]*outboxTable, error) {
	var cookie int64
	if err := tx.QueryRowContext(ctx, `PRAGMA schema_version`).Scan(&cookie); err != nil {
		return nil, err
	}
	key := db.path + "\x00" + strconv.FormatInt(cookie, 10)
	outboxSchemas.mu.Lock()
	if m, ok := outboxSchemas.m[key]; ok {
		outboxSchemas.mu.Unlock()
		return cloneTables(m), nil
	}
	outboxSchemas.mu.Unlock()
	m := map[string]*outboxTable{}
	for table := range outboxTables {
		t, err := readOutboxTable(ctx, tx, table)
		if err != nil {
			return nil, err
		}
		m[table] = t
	}
	outboxSchemas.mu.Lock()
	if outboxSchemas.m == nil {
		outboxSchemas.m = map[string]map[string]*outboxTable{}
	}
	outboxSchemas.m[key] = m
	outboxSchemas.mu.Unlock()
	return cloneTables(m), nil
}

// cloneTables gives a batch its own scan buffers over the shared shapes.
func cloneTables(m map[string]*outboxTable) map[string]*outboxTable {
	out := make(map[string]*outboxTable, len(m))
	for k, t := range m {
		c := *t
		c.values = make([]any, len(t.cols))
		c.ptrs = make([]any, len(t.cols))
		for i := range c.values {
			c.ptrs[i] = &c.values[i]
		}
		out[k] = &c
	}
	return out
}

func readOutboxTable(ctx context.Context, tx *sql.Tx, table string) (*outboxTable, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	t := &outboxTable{name: table}
	type pkCol struct {
		name  string
		isInt bool
		pos   int
	}
	var pks []pkCol
	for rows.Next() {
		var name, typ string
		var pk int
		if err := rows.Scan(&name, &typ, &pk); err != nil {
			return nil, err
		}
		t.cols = append(t.cols, name)
		if pk > 0 {
			pks = append(pks, pkCol{name, strings.Contains(strings.ToUpper(typ), "INT"), pk})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(t.cols) == 0 || len(pks) == 0 {
		return nil, fmt.Errorf("localdb: table %s has no columns or no primary key", table)
	}
	// table_info's pk is the column's position in the key.
	ordered := make([]pkCol, len(pks))
	for _, p := range pks {
		if p.pos < 1 || p.pos > len(pks) {
			return nil, fmt.Errorf("localdb: table %s: primary key position %d", table, p.pos)
		}
		ordered[p.pos-1] = p
	}
	var where []string
	for _, p := range ordered {
		where = append(where, `"`+p.name+`" = ?`)
		t.pkInt = append(t.pkInt, p.isInt)
	}
	quoted := make([]string, len(t.cols))
	for i, c := range t.cols {
		quoted[i] = `"` + c + `"`
		prefix := []byte(",")
		if i == 0 {
			prefix = appendJSONString([]byte(`{"_table":`), table)
			prefix = append(prefix, ',')
		}
		t.keys = append(t.keys, append(appendJSONString(prefix, c), ':'))
	}
	t.query = `SELECT ` + strings.Join(quoted, ", ") + ` FROM "` + table + `" WHERE ` + strings.Join(where, " AND ")
	t.gone = append(appendJSONString([]byte(`{"_table":`), table), `,"_deleted":true}`...)
	return t, nil
}

// payload appends the row with primary key pk ("12" or "12/3") as JSON.
func (t *outboxTable) payload(ctx context.Context, st *sql.Stmt, buf []byte, pk string) ([]byte, error) {
	parts := strings.Split(pk, "/")
	if len(parts) != len(t.pkInt) {
		return buf, fmt.Errorf("key %q has %d parts, the table's key %d", pk, len(parts), len(t.pkInt))
	}
	args := make([]any, len(parts))
	for i, p := range parts {
		if t.pkInt[i] {
			n, err := strconv.ParseInt(p, 10, 64)
			if err != nil {
				return buf, fmt.Errorf("key part %q is not an integer", p)
			}
			args[i] = n
		} else {
			args[i] = p
		}
	}
	err := st.QueryRowContext(ctx, args...).Scan(t.ptrs...)
	if err == sql.ErrNoRows {
		return append(buf, t.gone...), nil
	}
	if err != nil {
		return buf, err
	}
	for i, v := range t.values {
		buf = append(buf, t.keys[i]...)
		buf = appendJSONValue(buf, v)
		t.values[i] = nil
	}
	return append(buf, '}'), nil
}

func appendJSONValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case string:
		return appendJSONString(b, x)
	case []byte:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, x)
		return append(b, '"')
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(b, "null"...)
		}
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case bool:
		if x {
			return append(b, '1')
		}
		return append(b, '0')
	case time.Time:
		return appendJSONString(b, x.Format(time.RFC3339Nano))
	default:
		// No other type comes out of SQLite; say so rather than guess.
		return appendJSONString(b, fmt.Sprint(x))
	}
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD
// (as encoding/json does), so the payload is always valid JSON.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
