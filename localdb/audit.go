package localdb

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"cashier/app"
)

// The audit log is an append-only hash chain (docs/audit.md). Each row's
// hash is HMAC-SHA256(key, prev ‖ the row's fields), every field length-
// prefixed, where prev is the hash of the row before it; audit_head keeps
// the newest row's id and hash under the same key. The key lives in
// audit.key beside the database, outside it: the sqlite3 tool alone can
// neither change, delete nor insert a row without VerifyAudit naming it.

// AuditKeyFile is the key file's name in the database's folder.
const AuditKeyFile = "audit.key"

// Why VerifyAudit found a row broken.
const (
	AuditChanged  = "changed"  // the row is not what was written
	AuditMissing  = "missing"  // the row is gone (deleted)
	AuditInserted = "inserted" // the row was not written by the app
	AuditHead     = "head"     // the head record disagrees: rows from here on may be gone
	AuditKey      = "key"      // sealed under a key audit.key does not hold (lost or replaced)
	// AuditResealed: rows without a hash were sealed over a key that
	// already existed — an old pre-chain backup restored, or rows changed
	// and set back to unsealed; the rows before the sealing line cannot be
	// vouched for.
	AuditResealed = "resealed"
)

// Errors of the audit log.
var (
	// ErrAuditNoChain: the database predates the chain (a read-only
	// opening does not migrate).
	ErrAuditNoChain = app.NewError("audit.no_chain")
	ErrAuditKey     = app.NewError("audit.key_file")
)

var genesis = make([]byte, sha256.Size) // the prev of the first row

// actionResealed is the line a seal over an existing key leaves; VerifyAudit
// stops there (AuditResealed).
const actionResealed = "audit_resealed"

// actionKeyChanged is the line the app writes when it goes on from a head
// sealed under a key audit.key does not hold (the key file was lost or
// replaced). It carries that head whole, MAC included: nothing can vouch
// for the head now, so VerifyAudit checks it once the old key is back in
// the file. Going on silently would let anyone with the database alone cut
// the newest rows and give the head a made-up key id: the app would chain
// onto the cut and seal it under the real key.
const actionKeyChanged = "audit_key_changed"

const keyChangedFormat = "head=%d hash=%x lost_at=%d key=%s mac=%x"

// Audit implements app.StaffStore.
func (db *DB) Audit(ctx context.Context, e app.AuditEntry) error {
	return db.Write(ctx, func(tx *sql.Tx) error { return InsertAudit(ctx, tx, e) })
}

// InsertAudit writes an audit row inside an existing transaction, chained
// to the row before it; the head moves in the same transaction.
func InsertAudit(ctx context.Context, tx *sql.Tx, e app.AuditEntry) error {
	c, err := openChain(ctx, tx)
	if err != nil {
		return err
	}
	return c.append(ctx, tx, e)
}

// SealAudit seals the rows written before the chain existed, once, when
// the head says they are pending. OpenContext calls it; the first audit
// line would do it otherwise.
func (db *DB) SealAudit(ctx context.Context) error {
	// Only a pending head needs the writer: an opening of a sealed log
	// (or one in a folder that became read-only) writes nothing.
	var last int64
	err := db.reader.QueryRowContext(ctx, `SELECT last_id FROM audit_head WHERE one=1`).Scan(&last)
	if err != nil || last != -1 {
		return nil // a missing head is InsertAudit's to handle, with the writer it needs anyway
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		_, err := openChain(ctx, tx)
		return err
	})
}

// ---- the key ----

type keyring struct {
	keys map[string][]byte // key id → key
	cur  string            // the key new rows are sealed with (the file's last)
}

func keyID(k []byte) string {
	s := sha256.Sum256(append([]byte("cashier audit key id\x00"), k...))
	return hex.EncodeToString(s[:8])
}

// parseKeyring reads one hex key (32 bytes) a line; # starts a comment.
// A line that is not a key is skipped: a damaged file still gives the
// keys it holds.
func parseKeyring(b []byte) *keyring {
	kr := &keyring{keys: map[string][]byte{}}
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, err := hex.DecodeString(l)
		if err != nil || len(k) != 32 {
			continue
		}
		id := keyID(k)
		kr.keys[id], kr.cur = k, id
	}
	return kr
}

func readKeyring(path string) (*keyring, []byte, error) {
	if path == "" {
		return &keyring{keys: map[string][]byte{}}, nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return &keyring{keys: map[string][]byte{}}, nil, err
	}
	return parseKeyring(b), b, nil
}

const keyFileHeader = `# 审计链密钥：与 pos.db 放在一起保管，丢失后审计记录无法校验。不要修改；新的一行是新密钥。
# Audit chain key (docs/audit.md): keep it with pos.db, the audit log cannot be
# verified without it. Do not edit; a new line is a new key.
`

// writerKeyrings caches the writer's keyring per key file: it is read (or
// created) once per process.
var (
	writerKeyrings   = map[string]*keyring{}
	writerKeyringsMu sync.Mutex
)

// writerKeyring is the keyring new rows are sealed with; a missing key
// file (or one without a key) gets a new key. The old rows then no longer
// verify (reason key) until the old key is put back in the file.
func writerKeyring(path string) (*keyring, error) {
	writerKeyringsMu.Lock()
	defer writerKeyringsMu.Unlock()
	if kr, ok := writerKeyrings[path]; ok {
		return kr, nil
	}
	kr, old, err := readKeyring(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, ErrAuditKey.With("Path", path).Wrap(err)
	}
	if kr.cur == "" {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		if path != "" {
			if len(old) == 0 {
				old = []byte(keyFileHeader)
			} else if !bytes.HasSuffix(old, []byte("\n")) {
				old = append(old, '\n')
			}
			if err := writeFileAtomic(path, append(old, hex.EncodeToString(k)+"\n"...)); err != nil {
				return nil, ErrAuditKey.With("Path", path).Wrap(err)
			}
		}
		id := keyID(k)
		kr.keys[id], kr.cur = k, id
	}
	writerKeyrings[path] = kr
	return kr, nil
}

// writeFileAtomic writes a whole new file or leaves the old one: a crash
// never leaves half a key.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".audit-key-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// keyPath is the key file beside the database the connection has open
// (InsertAudit gets a transaction, not the DB); "" for a database in
// memory.
func keyPath(ctx context.Context, q rowQuerier) (string, error) {
	var file string
	if err := q.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name='main'`).Scan(&file); err != nil {
		return "", err
	}
	if file == "" {
		return "", nil
	}
	return filepath.Join(filepath.Dir(file), AuditKeyFile), nil
}

// ---- hashing ----

// rowHash is what a row's hash is computed over. Every variable-length
// field is length-prefixed, so no two different rows encode alike.
func encodeRow(buf, prev []byte, id, at int64, staff int64, hasStaff bool, action, subject, detail []byte) []byte {
	buf = append(buf[:0], "cashier.audit.v1"...)
	buf = appendBytes(buf, prev)
	buf = binary.BigEndian.AppendUint64(buf, uint64(id))
	buf = binary.BigEndian.AppendUint64(buf, uint64(at))
	if hasStaff {
		buf = append(buf, 1)
		buf = binary.BigEndian.AppendUint64(buf, uint64(staff))
	} else {
		buf = append(buf, 0)
	}
	buf = appendBytes(buf, action)
	buf = appendBytes(buf, subject)
	return appendBytes(buf, detail)
}

func encodeHead(lastID int64, lastHash []byte, lostAt int64) []byte {
	buf := []byte("cashier.audit.head.v1")
	buf = binary.BigEndian.AppendUint64(buf, uint64(lastID))
	buf = appendBytes(buf, lastHash)
	return binary.BigEndian.AppendUint64(buf, uint64(lostAt))
}

func appendBytes(buf, b []byte) []byte {
	buf = binary.BigEndian.AppendUint64(buf, uint64(len(b)))
	return append(buf, b...)
}

func mac(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// ---- writing ----

type head struct {
	present bool
	lastID  int64
	hash    []byte
	lostAt  int64
	keyID   string
	mac     []byte
	maxID   int64 // the highest row id (read with the head: one query less per line)
}

func (h head) pending() bool { return h.present && h.lastID == -1 }

// valid: the head's MAC checks under its key; known is false when the
// keyring does not hold that key.
func (h head) valid(kr *keyring) (ok, known bool) {
	k, known := kr.keys[h.keyID]
	if !known {
		return false, false
	}
	return hmac.Equal(h.mac, mac(k, encodeHead(h.lastID, h.hash, h.lostAt))), true
}

func readHead(ctx context.Context, q rowQuerier) (head, error) {
	var h head
	err := q.QueryRowContext(ctx, `SELECT last_id, last_hash, lost_at, key_id, mac,
		(SELECT COALESCE(MAX(id), 0) FROM audit_log) FROM audit_head WHERE one=1`).
		Scan(&h.lastID, &h.hash, &h.lostAt, &h.keyID, &h.mac, &h.maxID)
	if errors.Is(err, sql.ErrNoRows) {
		return head{}, nil
	}
	h.present = err == nil
	return h, err
}

// chain is where the next row goes.
type chain struct {
	kr       *keyring
	lastID   int64
	lastHash []byte
	lostAt   int64
	maxID    int64
}

func openChain(ctx context.Context, tx *sql.Tx) (*chain, error) {
	path, err := keyPath(ctx, tx)
	if err != nil {
		return nil, err
	}
	keyExisted := path != "" && fileExists(path)
	kr, err := writerKeyring(path)
	if err != nil {
		return nil, err
	}
	h, err := readHead(ctx, tx)
	if err != nil {
		return nil, err
	}
	c := &chain{kr: kr}
	switch ok, known := h.valid(kr); {
	case h.pending():
		return c, c.seal(ctx, tx, keyExisted)
	case ok:
		c.lastID, c.lastHash, c.lostAt, c.maxID = h.lastID, h.hash, h.lostAt, h.maxID
		return c, nil
	case h.present && !known:
		// A lost or replaced audit.key, or a head given a key id to dodge
		// its MAC: go on from the head, with the head written into the
		// chain for VerifyAudit to check under the old key.
		c.lastID, c.lastHash, c.lostAt, c.maxID = h.lastID, h.hash, h.lostAt, h.maxID
		return c, c.append(ctx, tx, app.AuditEntry{Action: actionKeyChanged,
			Detail: fmt.Sprintf(keyChangedFormat, h.lastID, h.hash, h.lostAt, h.keyID, h.mac)})
	default:
		// The head is gone or was changed: go on from the newest row and
		// say so for ever (lost_at), since rows after it may have gone.
		return c, c.lose(ctx, tx)
	}
}

func (c *chain) lose(ctx context.Context, tx *sql.Tx) error {
	err := tx.QueryRowContext(ctx, `SELECT id, COALESCE(hash, X'') FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&c.lastID, &c.lastHash)
	if errors.Is(err, sql.ErrNoRows) {
		c.lastID, c.lastHash, err = 0, genesis, nil
	}
	if err != nil {
		return err
	}
	c.lostAt, c.maxID = max(c.lastID, 1), c.lastID
	return c.writeHead(ctx, tx)
}

// seal chains the rows written before the chain existed, oldest first, in
// batches (a large log is never held in memory), and records that it did.
func (c *chain) seal(ctx context.Context, tx *sql.Tx, keyExisted bool) error {
	var hashed int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE hash IS NOT NULL`).Scan(&hashed); err != nil {
		return err
	}
	if hashed > 0 {
		// "Pending" with sealed rows is a head someone set back: sealing
		// again would bless whatever was done to them.
		return c.lose(ctx, tx)
	}
	c.lastID, c.lastHash = 0, genesis
	type row struct {
		id, at          int64
		staff           sql.NullInt64
		act, subj, deta []byte
	}
	var buf []byte
	n := 0
	after := int64(math.MinInt64)
	for {
		rows, err := tx.QueryContext(ctx, `SELECT id, at, staff_id, action, subject, detail FROM audit_log WHERE id > ? ORDER BY id LIMIT 1000`, after)
		if err != nil {
			return err
		}
		var batch []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.at, &r.staff, &r.act, &r.subj, &r.deta); err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			break
		}
		key := c.kr.keys[c.kr.cur]
		for _, r := range batch {
			buf = encodeRow(buf, c.lastHash, r.id, r.at, r.staff.Int64, r.staff.Valid, r.act, r.subj, r.deta)
			h := mac(key, buf)
			if _, err := tx.ExecContext(ctx, `UPDATE audit_log SET prev=?, hash=?, key_id=? WHERE id=?`, c.lastHash, h, c.kr.cur, r.id); err != nil {
				return err
			}
			c.lastID, c.lastHash, c.maxID, after = r.id, h, r.id, r.id
			n++
		}
	}
	if err := c.writeHead(ctx, tx); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	action := "audit_sealed"
	if keyExisted {
		action = actionResealed
	}
	return c.append(ctx, tx, app.AuditEntry{Action: action, Detail: fmt.Sprintf("rows=%d", n)})
}

func (c *chain) append(ctx context.Context, tx *sql.Tx, e app.AuditEntry) error {
	// Never reuse an id, not even one whose row was deleted at the end.
	id := max(c.maxID, c.lastID) + 1
	at := e.At
	if at.IsZero() {
		at = time.Now()
	}
	h := mac(c.kr.keys[c.kr.cur], encodeRow(nil, c.lastHash, id, at.UnixMilli(), e.StaffID, e.StaffID != 0,
		[]byte(e.Action), []byte(e.Subject), []byte(e.Detail)))
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log(id, at, staff_id, action, subject, detail, prev, hash, key_id) VALUES (?,?,?,?,?,?,?,?,?)`,
		id, at.UnixMilli(), nullID(e.StaffID), e.Action, e.Subject, e.Detail, c.lastHash, h, c.kr.cur); err != nil {
		return err
	}
	c.lastID, c.lastHash, c.maxID = id, h, id
	return c.writeHead(ctx, tx)
}

func (c *chain) writeHead(ctx context.Context, tx *sql.Tx) error {
	m := mac(c.kr.keys[c.kr.cur], encodeHead(c.lastID, c.lastHash, c.lostAt))
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_head(one, last_id, last_hash, lost_at, key_id, mac) VALUES (1,?,?,?,?,?)
		ON CONFLICT(one) DO UPDATE SET last_id=excluded.last_id, last_hash=excluded.last_hash, lost_at=excluded.lost_at,
		key_id=excluded.key_id, mac=excluded.mac`, c.lastID, c.lastHash, c.lostAt, c.kr.cur, m)
	return err
}

// ---- verifying ----

// AuditCheck is what VerifyAudit found.
type AuditCheck struct {
	Rows     int64  // rows found intact, in order, before any break
	BrokenID int64  // the first broken row (0 when intact)
	Reason   string // AuditChanged ... ("" when intact)
	// Pending: the rows were written before the chain existed and are
	// sealed at the next writable open; nothing can be said of them yet.
	Pending bool
}

// OK reports an intact chain.
func (c AuditCheck) OK() bool { return c.Reason == "" }

// Message says the result in words (audit.verify.*).
func (c AuditCheck) Message() app.Message {
	switch {
	case c.Pending:
		return app.Msg("audit.verify.pending", "Rows", c.Rows)
	case c.Reason == AuditChanged:
		return app.Msg("audit.verify.changed", "ID", c.BrokenID, "Rows", c.Rows)
	case c.Reason == AuditMissing:
		return app.Msg("audit.verify.missing", "ID", c.BrokenID, "Rows", c.Rows)
	case c.Reason == AuditInserted:
		return app.Msg("audit.verify.inserted", "ID", c.BrokenID, "Rows", c.Rows)
	case c.Reason == AuditHead:
		return app.Msg("audit.verify.head", "ID", c.BrokenID, "Rows", c.Rows)
	case c.Reason == AuditKey:
		return app.Msg("audit.verify.key", "ID", c.BrokenID, "Rows", c.Rows)
	case c.Reason == AuditResealed:
		return app.Msg("audit.verify.resealed", "ID", c.BrokenID, "Rows", c.Rows)
	}
	return app.Msg("audit.verify.ok", "Rows", c.Rows)
}

// auditScan is one row as read for verifying. at and staff are read as
// they are stored: a value of the wrong type is a changed row, not an
// error.
type auditScan struct {
	id                      int64
	at, staff               any
	action, subject, detail sql.RawBytes
	prev, hash, keyID       sql.RawBytes
}

func (r *auditScan) scan(rows *sql.Rows) error {
	return rows.Scan(&r.id, &r.at, &r.staff, &r.action, &r.subject, &r.detail, &r.prev, &r.hash, &r.keyID)
}

type verifier struct {
	kr   *keyring
	macs map[string]hash.Hash
	buf  []byte
	sum  []byte
}

// sealed reports whether r's hash is what its key gives for r's fields
// after r.prev; known is false when the keyring lacks r's key.
func (v *verifier) sealed(r *auditScan) (ok, known bool) {
	if len(r.hash) == 0 {
		return false, true // never sealed: not written by the app
	}
	m, known := v.macs[string(r.keyID)]
	if !known {
		k, ok := v.kr.keys[string(r.keyID)]
		if !ok {
			return false, false
		}
		m = hmac.New(sha256.New, k)
		v.macs[string(r.keyID)] = m
	}
	at, ok := r.at.(int64)
	if !ok {
		return false, true
	}
	var staff int64
	switch s := r.staff.(type) {
	case nil:
	case int64:
		staff = s
	default:
		return false, true
	}
	v.buf = encodeRow(v.buf, r.prev, r.id, at, staff, r.staff != nil, r.action, r.subject, r.detail)
	m.Reset()
	m.Write(v.buf)
	v.sum = m.Sum(v.sum[:0])
	return hmac.Equal(v.sum, r.hash), true
}

// VerifyAudit walks the whole chain, oldest first, in one read snapshot
// and stops at the first broken row: a changed row fails its own hash; a
// deleted row leaves the next one pointing at a hash that is not there; an
// inserted row fails its hash while the row after it still points past
// it; rows deleted at the end leave the head pointing further than the
// rows go.
func (db *DB) VerifyAudit(ctx context.Context) (AuditCheck, error) {
	tx, err := db.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return AuditCheck{}, err
	}
	defer tx.Rollback()
	var tables int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type='table' AND name='audit_head'`).Scan(&tables); err != nil {
		return AuditCheck{}, err
	}
	if tables == 0 {
		v, _ := db.Version(ctx)
		return AuditCheck{}, ErrAuditNoChain.With("Version", v)
	}
	path, err := keyPath(ctx, tx)
	if err != nil {
		return AuditCheck{}, err
	}
	kr, _, err := readKeyring(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return AuditCheck{}, ErrAuditKey.With("Path", path).Wrap(err)
	}
	h, err := readHead(ctx, tx)
	if err != nil {
		return AuditCheck{}, err
	}
	if h.pending() {
		return pendingCheck(ctx, tx, path)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, at, staff_id, action, subject, detail, prev, hash, key_id FROM audit_log ORDER BY id`)
	if err != nil {
		return AuditCheck{}, err
	}
	defer rows.Close()
	v := &verifier{kr: kr, macs: map[string]hash.Hash{}}
	var res AuditCheck
	prev := append([]byte(nil), genesis...)
	var lastID int64
	var lastKey string // the key of row lastID
	var r auditScan
	for rows.Next() {
		if err := r.scan(rows); err != nil {
			return res, err
		}
		ok, known := v.sealed(&r)
		linked := bytes.Equal(r.prev, prev)
		switch {
		case ok && linked && string(r.action) == actionResealed:
			res.BrokenID, res.Reason = r.id, AuditResealed
		case ok && linked && string(r.action) == actionKeyChanged:
			holds, headKnown := keyChange(kr, &r, lastID, lastKey, prev)
			switch {
			case holds:
				res.Rows++
				lastID, lastKey, prev = r.id, string(r.keyID), append(prev[:0], r.hash...)
				continue
			case !headKnown && lastID == 0:
				// No row before it to compare with: the old key is not in
				// the file (yet).
				res.BrokenID, res.Reason = r.id, AuditKey
			default:
				// Not the head of the rows before it: rows after them may
				// have been cut.
				res.BrokenID, res.Reason = lastID+1, AuditHead
			}
		case ok && linked:
			res.Rows++
			lastID, lastKey, prev = r.id, string(r.keyID), append(prev[:0], r.hash...)
			continue
		case !known:
			res.BrokenID, res.Reason = r.id, AuditKey
		case ok:
			// Whole in itself but pointing at a row that is not the one
			// before it: what it points at was deleted.
			res.BrokenID, res.Reason = lastID+1, AuditMissing
		default:
			res.BrokenID, res.Reason = r.id, brokenRow(rows, &r, prev, h)
		}
		return res, nil
	}
	if err := rows.Err(); err != nil {
		return res, err
	}
	headOK, headKnown := h.valid(kr)
	switch {
	case !h.present:
		res.BrokenID, res.Reason = lastID+1, AuditHead
	case !headKnown && lastID > 0:
		// The newest row's key is in the file, so the head's would be:
		// the head was given a key id that skips its MAC.
		res.BrokenID, res.Reason = lastID+1, AuditHead
	case !headKnown:
		res.BrokenID, res.Reason = max(h.lastID, 1), AuditKey
	case !headOK:
		res.BrokenID, res.Reason = lastID+1, AuditHead
	case h.lastID > lastID:
		res.BrokenID, res.Reason = lastID+1, AuditMissing
	case h.lastID < lastID || !bytes.Equal(h.hash, prev):
		res.BrokenID, res.Reason = h.lastID+1, AuditHead
	case h.lostAt > 0:
		res.BrokenID, res.Reason = h.lostAt+1, AuditHead
	}
	return res, nil
}

// keyChange checks the head an audit_key_changed line carries: it must
// have been the head of the rows before the line (their newest row's id,
// hash and key) under a valid MAC of that key. known is false when the
// file does not hold the head's key, so nothing can be said.
func keyChange(kr *keyring, r *auditScan, lastID int64, lastKey string, prev []byte) (holds, known bool) {
	var id, lostAt int64
	var hash, m []byte
	var keyID string
	if _, err := fmt.Sscanf(string(r.detail), keyChangedFormat, &id, &hash, &lostAt, &keyID, &m); err != nil {
		return false, true
	}
	k, known := kr.keys[keyID]
	if !known || id != lastID || !bytes.Equal(hash, prev) || (lastID > 0 && keyID != lastKey) {
		return false, known
	}
	return hmac.Equal(m, mac(k, encodeHead(id, hash, lostAt))), true
}

// brokenRow tells a changed row from an inserted one by the row after it:
// the app's next row points at the hash of the app's previous row, so if
// it points past r, r was put in; if it points at r's hash, r's fields
// were changed under it. A bad row past the head's end was added.
func brokenRow(rows *sql.Rows, r *auditScan, prev []byte, h head) string {
	if len(r.hash) == 0 || (h.present && r.id > h.lastID) {
		return AuditInserted
	}
	if !rows.Next() {
		return AuditChanged
	}
	var n auditScan
	if err := n.scan(rows); err != nil {
		return AuditChanged
	}
	if bytes.Equal(n.prev, prev) {
		return AuditInserted
	}
	return AuditChanged
}

// pendingCheck: a head waiting for the first seal is fine while no row is
// sealed and no key was ever made; otherwise someone set it back.
func pendingCheck(ctx context.Context, tx *sql.Tx, path string) (AuditCheck, error) {
	var n, hashed int64
	var first sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT count(*), count(hash), min(id) FROM audit_log`).Scan(&n, &hashed, &first); err != nil {
		return AuditCheck{}, err
	}
	if hashed > 0 || (n > 0 && path != "" && fileExists(path)) {
		return AuditCheck{BrokenID: max(first.Int64, 1), Reason: AuditHead}, nil
	}
	return AuditCheck{Rows: n, Pending: true}, nil
}

// AuditChanges is an audit line's detail for changed fields, from
// (field, old, new) triples: `name: "旧" -> "新"; phone: "" -> "0755"`;
// "" when nothing changed. Values are quoted, so an empty one shows.
func AuditChanges(triples ...string) string {
	var parts []string
	for i := 0; i+2 < len(triples); i += 3 {
		if triples[i+1] != triples[i+2] {
			parts = append(parts, fmt.Sprintf("%s: %q -> %q", triples[i], triples[i+1], triples[i+2]))
		}
	}
	return strings.Join(parts, "; ")
}

// ---- listing ----

// AuditFilter selects audit rows, newest first.
type AuditFilter struct {
	From, To  time.Time // From ≤ at < To; zero: unbounded
	StaffCode string    // "" everyone
	Action    string    // "" every action
	Before    int64     // only rows older than this id (the next page); 0: from the newest
	Limit     int       // ≤ 0: 100
}

// AuditRow is one audit line with the person's code and name.
type AuditRow struct {
	ID                   int64
	At                   time.Time
	StaffID              int64
	StaffCode, StaffName string
	Action               string
	Subject              string
	Detail               string
}

// ListAudit lists audit rows matching f, newest first.
func (db *DB) ListAudit(ctx context.Context, f AuditFilter) ([]AuditRow, error) {
	q := `SELECT a.id, a.at, COALESCE(a.staff_id, 0), COALESCE(s.code, ''), COALESCE(s.name, ''), a.action, a.subject, a.detail
		FROM audit_log a LEFT JOIN staff s ON s.id = a.staff_id WHERE 1=1`
	var args []any
	if !f.From.IsZero() {
		q += ` AND a.at >= ?`
		args = append(args, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		q += ` AND a.at < ?`
		args = append(args, f.To.UnixMilli())
	}
	if f.StaffCode != "" {
		q += ` AND a.staff_id IN (SELECT id FROM staff WHERE code = ?)`
		args = append(args, f.StaffCode)
	}
	if f.Action != "" {
		q += ` AND a.action = ?`
		args = append(args, f.Action)
	}
	if f.Before > 0 {
		q += ` AND a.id < ?`
		args = append(args, f.Before)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q += ` ORDER BY a.id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := db.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditRow
	for rows.Next() {
		var r AuditRow
		var at int64
		if err := rows.Scan(&r.ID, &at, &r.StaffID, &r.StaffCode, &r.StaffName, &r.Action, &r.Subject, &r.Detail); err != nil {
			return nil, err
		}
		r.At = time.UnixMilli(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// AuditPerson is someone the audit log can be filtered by.
type AuditPerson struct{ Code, Name string }

// AuditPeople lists every staff member (disabled ones too: their lines
// stay), by code.
func (db *DB) AuditPeople(ctx context.Context) ([]AuditPerson, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT code, name FROM staff ORDER BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditPerson
	for rows.Next() {
		var p AuditPerson
		if err := rows.Scan(&p.Code, &p.Name); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
