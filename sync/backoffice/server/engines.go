package server

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "github.com/mattn/go-sqlite3"    // registers "sqlite3"
)

//go:embed migrations
var migrations embed.FS

// OpenSQLite opens (creating and migrating) a one-shop back office in the file path.
// sealKey (32 bytes) seals the terminals' secrets at rest.
func OpenSQLite(ctx context.Context, path string, sealKey []byte) (Store, error) {
	q := url.Values{}
	q.Set("_fk", "1")
	q.Set("_journal_mode", "WAL")
	q.Set("_sync", "FULL")
	q.Set("_busy_timeout", "15000")
	// Every transaction writes: take the write lock at BEGIN rather than fail to
	// upgrade a read lock half-way through a batch.
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	st, err := open(ctx, db, dialect{name: "sqlite"}, sealKey)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// OpenPostgres opens (migrating) a chain's back office in PostgreSQL; dsn is a
// postgres:// URL or a key=value string. Several processes may share the database.
func OpenPostgres(ctx context.Context, dsn string, sealKey []byte) (Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	st, err := open(ctx, db, dialect{name: "postgres", dollar: true, lockMigrations: `SELECT pg_advisory_xact_lock(7270001)`}, sealKey)
	if err != nil {
		return nil, err
	}
	return pgStore{st}, nil
}

func open(ctx context.Context, db *sql.DB, d dialect, sealKey []byte) (*sqlStore, error) {
	s, err := newSealer(sealKey)
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := migrate(ctx, db, d); err != nil {
		db.Close()
		return nil, fmt.Errorf("backoffice %s: %w", d.name, err)
	}
	return &sqlStore{db: db, d: d, seal: s}, nil
}

// migrate applies migrations/<engine>/NNNN_*.sql in order, each file and its version
// row in one transaction.
func migrate(ctx context.Context, db *sql.DB, d dialect) error {
	dir := "migrations/" + d.name
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return err
	}
	type mig struct {
		version int
		name    string
	}
	var ms []mig
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return fmt.Errorf("migration file %s is not NNNN_name.sql", e.Name())
		}
		ms = append(ms, mig{v, e.Name()})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for _, m := range ms {
		body, err := fs.ReadFile(migrations, dir+"/"+m.name)
		if err != nil {
			return err
		}
		if err := applyOne(ctx, db, d, m.version, string(body)); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

func applyOne(ctx context.Context, db *sql.DB, d dialect, version int, body string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if d.lockMigrations != "" {
		if _, err := tx.ExecContext(ctx, d.lockMigrations); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, d.q(`SELECT count(*) FROM schema_migrations WHERE version = ?`), version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, d.q(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), version, time.Now().UnixMilli()); err != nil {
		return err
	}
	return tx.Commit()
}

// sealer keeps terminal secrets encrypted at rest (AES-256-GCM, the terminal id as
// associated data so a sealed secret copied onto another terminal's row does not open).
// A hash would not do: checking an HMAC needs the secret itself. A copy of the
// database alone then forges nothing; the seal key lives outside it.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) != 32 {
		return nil, errors.New("backoffice: the seal key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) seal(secret []byte, terminal string) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return s.aead.Seal(nonce, nonce, secret, []byte(terminal)), nil
}

func (s *sealer) open(sealed []byte, terminal string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("backoffice: sealed secret is truncated")
	}
	out, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(terminal))
	if err != nil {
		return nil, fmt.Errorf("backoffice: terminal %s secret does not open with this seal key", terminal)
	}
	return out, nil
}
