package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"cashier/sync/backoffice/protocol"
)

// Store is what the handler needs from the back office's database. Both
// implementations (OpenSQLite, OpenPostgres) keep every rule in SQL so several server
// processes sharing one PostgreSQL stay correct: ingest is one version-guarded upsert
// per record, nonces one insert that fails on a duplicate, an enrolment code one
// conditional update.
type Store interface {
	// TerminalSecret returns the terminal's secret, protocol.ErrUnknownTerminal when
	// it is unknown or revoked.
	TerminalSecret(ctx context.Context, terminal string) ([]byte, error)
	// Remember implements protocol.Nonces: false when the nonce is already held.
	Remember(ctx context.Context, terminal, nonce string, expires time.Time) (bool, error)
	// CleanNonces drops nonces expired before now.
	CleanNonces(ctx context.Context, now time.Time) (int64, error)
	// Ingest stores a batch in one transaction: all or nothing.
	Ingest(ctx context.Context, recs []protocol.Record, now time.Time) (protocol.PushResult, error)
	// Records lists what is held for a terminal (all terminals when empty), by topic and id.
	Records(ctx context.Context, terminal string) ([]StoredRecord, error)
	// Publish writes master data in one transaction, each item moved to a new cursor.
	Publish(ctx context.Context, items []MasterPut, now time.Time) (last int64, err error)
	// Pull returns up to limit items of topic after cursor, in cursor order.
	Pull(ctx context.Context, topic string, after int64, limit int) ([]protocol.MasterItem, error)
	// NewEnrolCode issues a one-time code for store, valid until expires.
	NewEnrolCode(ctx context.Context, store string, now, expires time.Time) (string, error)
	// Enrol spends a code and creates a terminal with a fresh secret.
	Enrol(ctx context.Context, code, name string, now time.Time) (protocol.Enrolment, error)
	Close() error
}

// StoredRecord is a record as held, without its payload.
type StoredRecord struct {
	Terminal string
	Topic    string
	ID       string
	Version  int64
}

// MasterPut is one master-data change to publish.
type MasterPut struct {
	Topic   string
	ID      string
	Payload json.RawMessage
	Deleted bool
}

// ErrEnrolRefused: the code is unknown, spent or expired (one answer for all three,
// so a guesser learns nothing).
var ErrEnrolRefused = &protocol.Error{Status: http.StatusUnauthorized, Code: "enrol_refused", Message: "enrolment code is unknown, used or expired"}

// dialect holds what differs between the engines.
type dialect struct {
	name string
	// dollar: placeholders are $1.. rather than ?.
	dollar bool
	// lockMigrations serialises migrating processes inside the migration transaction.
	lockMigrations string
}

func (d dialect) q(query string) string {
	if !d.dollar {
		return query
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// sqlStore is the engine-neutral part of both stores.
type sqlStore struct {
	db   *sql.DB
	d    dialect
	seal *sealer
}

func (s *sqlStore) Close() error { return s.db.Close() }

func (s *sqlStore) TerminalSecret(ctx context.Context, terminal string) ([]byte, error) {
	var sealed []byte
	var revoked sql.NullInt64
	err := s.db.QueryRowContext(ctx, s.d.q(`SELECT secret_sealed, revoked_at FROM terminals WHERE id = ?`), terminal).Scan(&sealed, &revoked)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && revoked.Valid) {
		return nil, protocol.ErrUnknownTerminal
	}
	if err != nil {
		return nil, err
	}
	return s.seal.open(sealed, terminal)
}

func (s *sqlStore) Remember(ctx context.Context, terminal, nonce string, expires time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.d.q(`INSERT INTO nonces (terminal, nonce, expires_at) VALUES (?, ?, ?) ON CONFLICT (terminal, nonce) DO NOTHING`),
		terminal, nonce, expires.UnixMilli())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s *sqlStore) CleanNonces(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.d.q(`DELETE FROM nonces WHERE expires_at < ?`), now.UnixMilli())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// upsertRecord is the one statement per record: a new record is inserted, a held one
// replaced only by a higher version.
const upsertRecord = `INSERT INTO records (terminal, topic, id, version, payload, received_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (terminal, topic, id) DO UPDATE
SET version = excluded.version, payload = excluded.payload, received_at = excluded.received_at
WHERE excluded.version > records.version`

// lockOrder sorts a copy of a batch by (terminal, topic, id): with one lock order for
// every batch, two batches sharing records wait for each other instead of
// deadlocking on PostgreSQL's row locks.
func lockOrder(recs []protocol.Record) []protocol.Record {
	sorted := append([]protocol.Record(nil), recs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.Terminal != b.Terminal {
			return a.Terminal < b.Terminal
		}
		if a.Topic != b.Topic {
			return a.Topic < b.Topic
		}
		return a.ID < b.ID
	})
	return sorted
}

func (s *sqlStore) Ingest(ctx context.Context, recs []protocol.Record, now time.Time) (protocol.PushResult, error) {
	res := protocol.PushResult{Accepted: len(recs)}
	sorted := lockOrder(recs)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return res, err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, s.d.q(upsertRecord))
	if err != nil {
		return res, err
	}
	defer stmt.Close()
	at := now.UnixMilli()
	for _, r := range sorted {
		out, err := stmt.ExecContext(ctx, r.Terminal, r.Topic, r.ID, r.Version, string(r.Payload), at)
		if err != nil {
			return res, fmt.Errorf("record %s/%s: %w", r.Topic, r.ID, err)
		}
		n, err := out.RowsAffected()
		if err != nil {
			return res, err
		}
		if n > 0 {
			res.Applied++
		}
	}
	if err := tx.Commit(); err != nil {
		return res, err
	}
	res.Unchanged = res.Accepted - res.Applied
	return res, nil
}

func (s *sqlStore) Records(ctx context.Context, terminal string) ([]StoredRecord, error) {
	q := `SELECT terminal, topic, id, version FROM records`
	var args []any
	if terminal != "" {
		q += ` WHERE terminal = ?`
		args = append(args, terminal)
	}
	rows, err := s.db.QueryContext(ctx, s.d.q(q+` ORDER BY terminal, topic, id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StoredRecord
	for rows.Next() {
		var r StoredRecord
		if err := rows.Scan(&r.Terminal, &r.Topic, &r.ID, &r.Version); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *sqlStore) Publish(ctx context.Context, items []MasterPut, now time.Time) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var cursor int64
	for _, it := range items {
		payload := string(it.Payload)
		if it.Deleted || payload == "" {
			payload = "{}"
		}
		// The single counter row is locked until commit, so cursors commit in order.
		if err := tx.QueryRowContext(ctx, `UPDATE master_seq SET value = value + 1 WHERE one = 1 RETURNING value`).Scan(&cursor); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO master (topic, id, cursor, deleted, payload, updated_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (topic, id) DO UPDATE SET cursor = excluded.cursor, deleted = excluded.deleted, payload = excluded.payload, updated_at = excluded.updated_at`),
			it.Topic, it.ID, cursor, it.Deleted, payload, now.UnixMilli()); err != nil {
			return 0, err
		}
	}
	return cursor, tx.Commit()
}

func (s *sqlStore) Pull(ctx context.Context, topic string, after int64, limit int) ([]protocol.MasterItem, error) {
	rows, err := s.db.QueryContext(ctx, s.d.q(`SELECT cursor, id, deleted, payload FROM master WHERE topic = ? AND cursor > ? ORDER BY cursor LIMIT ?`), topic, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []protocol.MasterItem{}
	for rows.Next() {
		var it protocol.MasterItem
		var payload string
		if err := rows.Scan(&it.Cursor, &it.ID, &it.Deleted, &payload); err != nil {
			return nil, err
		}
		if !it.Deleted {
			it.Payload = json.RawMessage(payload)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// Codes are 16 characters of base32 (80 bits): typed from a slip if the QR fails.
var codeEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func hashCode(code string) string {
	c := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(code))
	sum := sha256.Sum256([]byte(c))
	return hex.EncodeToString(sum[:])
}

func (s *sqlStore) NewEnrolCode(ctx context.Context, store string, now, expires time.Time) (string, error) {
	if store == "" {
		return "", errors.New("backoffice: enrolment code without a store")
	}
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	code := codeEncoding.EncodeToString(b[:])
	_, err := s.db.ExecContext(ctx, s.d.q(`INSERT INTO enrol_codes (code_hash, store, created_at, expires_at) VALUES (?, ?, ?, ?)`),
		hashCode(code), store, now.UnixMilli(), expires.UnixMilli())
	if err != nil {
		return "", err
	}
	return code[:4] + "-" + code[4:8] + "-" + code[8:12] + "-" + code[12:], nil
}

func (s *sqlStore) Enrol(ctx context.Context, code, name string, now time.Time) (protocol.Enrolment, error) {
	var idb [8]byte
	secret := make([]byte, 32)
	if _, err := rand.Read(idb[:]); err != nil {
		return protocol.Enrolment{}, err
	}
	if _, err := rand.Read(secret); err != nil {
		return protocol.Enrolment{}, err
	}
	terminal := "t-" + hex.EncodeToString(idb[:])
	sealed, err := s.seal.seal(secret, terminal)
	if err != nil {
		return protocol.Enrolment{}, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return protocol.Enrolment{}, err
	}
	defer tx.Rollback()
	var store string
	// Spent in the same statement that checks it: two terminals racing with one code
	// cannot both win.
	err = tx.QueryRowContext(ctx, s.d.q(`UPDATE enrol_codes SET used_at = ?, terminal = ?
WHERE code_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING store`),
		now.UnixMilli(), terminal, hashCode(code), now.UnixMilli()).Scan(&store)
	if errors.Is(err, sql.ErrNoRows) {
		return protocol.Enrolment{}, ErrEnrolRefused
	}
	if err != nil {
		return protocol.Enrolment{}, err
	}
	if _, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO terminals (id, store, name, secret_sealed, enrolled_at) VALUES (?, ?, ?, ?, ?)`),
		terminal, store, name, sealed, now.UnixMilli()); err != nil {
		return protocol.Enrolment{}, err
	}
	if err := tx.Commit(); err != nil {
		return protocol.Enrolment{}, err
	}
	return protocol.Enrolment{Terminal: terminal, Store: store, Secret: base64.StdEncoding.EncodeToString(secret)}, nil
}
