// Package localdb keeps everything the counter needs offline in one SQLite
// file: embedded numbered migrations, a single writer connection and a read
// pool, and the repositories the app asks for.
package localdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/mattn/go-sqlite3"
)

// DB is the application database: one writer connection (SQLite allows one
// writer at a time; funnelling writes through one connection avoids
// SQLITE_BUSY storms) and a pool of read-only connections that WAL lets run
// alongside it.
type DB struct {
	path   string
	writer *sql.DB
	reader *sql.DB

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt // hot read queries, prepared once on the read pool
}

// prepared returns a statement prepared once on the read pool; the pool
// re-prepares it per connection as needed, so a hot lookup (a scan at the
// counter) skips SQLite's query compilation.
func (db *DB) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	db.stmtMu.Lock()
	defer db.stmtMu.Unlock()
	if st, ok := db.stmts[query]; ok {
		return st, nil
	}
	st, err := db.reader.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if db.stmts == nil {
		db.stmts = map[string]*sql.Stmt{}
	}
	db.stmts[query] = st
	return st, nil
}

// ErrCorrupt is returned when the file exists but is not a usable database.
type ErrCorrupt struct {
	Path       string
	Cause      error
	LastBackup string // newest backup next to the file, "" if none
}

func (e *ErrCorrupt) Error() string {
	msg := fmt.Sprintf("数据库文件已损坏或不是数据库 / database file is damaged or not a database: %s (%v). 未修改任何文件 / nothing was overwritten.", e.Path, e.Cause)
	if e.LastBackup != "" {
		msg += fmt.Sprintf(" 最近的备份 / last backup: %s — 可用 `pos db restore` 恢复，损坏的文件会被保留 / restore it with `pos db restore`; the damaged file is kept.", e.LastBackup)
	} else {
		msg += " 没有找到备份 / no backup found."
	}
	return msg
}

func (e *ErrCorrupt) Unwrap() error { return e.Cause }

func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_fk", "1")
	q.Set("_journal_mode", "WAL")
	q.Set("_sync", "FULL")
	q.Set("_busy_timeout", "5000")
	q.Set("_txlock", "immediate")
	if readOnly {
		q.Set("_query_only", "1")
		// A read transaction (one snapshot for a report) must not ask for
		// the write lock: BEGIN IMMEDIATE is refused under query_only.
		q.Set("_txlock", "deferred")
	}
	return "file:" + uriPath(path) + "?" + q.Encode()
}

// uriPath escapes the characters SQLite's URI parser reads as syntax, so a
// data folder named "POS #2" or "a?b" opens the file asked for instead of
// a file cut off at the '#' or '?'.
func uriPath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// Open opens (creating if needed) the database at path and brings its
// schema to the latest version, backing up an existing file first when
// migrations are pending.
func Open(path string) (*DB, error) {
	return OpenContext(context.Background(), path)
}

// OpenContext is Open with a context.
func OpenContext(ctx context.Context, path string) (*DB, error) {
	db, err := openNoMigrate(path)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx, Migrations(), true); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// OpenExisting opens without migrating (for `pos db check|backup`).
func OpenExisting(path string) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("数据库文件不存在 / database file not found: %s", path)
	}
	return openNoMigrate(path)
}

func openNoMigrate(path string) (*DB, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("无法创建数据目录 / cannot create data folder %s: %w", dir, err)
	}
	existed := fileExists(path)
	if !existed {
		if err := checkWritable(dir); err != nil {
			return nil, err
		}
	} else if err := checkHeader(path); err != nil {
		return nil, &ErrCorrupt{Path: path, Cause: err, LastBackup: LatestBackup(path)}
	}
	w, err := sql.Open("sqlite3", dsn(path, false))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.Ping(); err != nil {
		w.Close()
		return nil, classifyOpenError(path, dir, err)
	}
	// Touch the schema: a damaged or foreign file fails here, before we
	// write anything to it.
	var n int
	if err := w.QueryRow(`SELECT count(*) FROM sqlite_master`).Scan(&n); err != nil {
		w.Close()
		return nil, classifyOpenError(path, dir, err)
	}
	r, err := sql.Open("sqlite3", dsn(path, true))
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(8)
	return &DB{path: path, writer: w, reader: r}, nil
}

func classifyOpenError(path, dir string, err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrNotADB, sqlite3.ErrCorrupt:
			return &ErrCorrupt{Path: path, Cause: err, LastBackup: LatestBackup(path)}
		case sqlite3.ErrReadonly, sqlite3.ErrCantOpen, sqlite3.ErrPerm:
			return fmt.Errorf("无法写入数据目录 / cannot write to the data folder %s (check its permissions or choose another with --data-dir): %w", dir, err)
		}
	}
	return fmt.Errorf("无法打开数据库 / cannot open database %s: %w", path, err)
}

// checkHeader refuses files that exist but are not SQLite databases, so a
// damaged file is never "repaired" by being overwritten.
func checkHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() == 0 {
		return nil // an empty file is a new database to SQLite
	}
	buf := make([]byte, 16)
	if _, err := f.ReadAt(buf, 0); err != nil {
		return fmt.Errorf("文件太短 / file too short: %w", err)
	}
	if string(buf) != "SQLite format 3\x00" {
		return errors.New("文件头不是SQLite / not an SQLite header")
	}
	return nil
}

func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".writetest-*")
	if err != nil {
		return fmt.Errorf("数据目录不可写 / the data folder %s is not writable (check its permissions or choose another with --data-dir): %w", dir, err)
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// Path is the database file.
func (db *DB) Path() string { return db.path }

// Read is the read-only pool; safe for concurrent use.
func (db *DB) Read() *sql.DB { return db.reader }

// Write runs fn in one immediate transaction on the writer connection and
// commits durably (synchronous=FULL). fn must not start goroutines that use
// tx after it returns.
func (db *DB) Write(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Close closes both pools, checkpointing the WAL.
func (db *DB) Close() error {
	var errs []error
	db.stmtMu.Lock()
	for _, st := range db.stmts {
		errs = append(errs, st.Close())
	}
	db.stmts = nil
	db.stmtMu.Unlock()
	if db.reader != nil {
		errs = append(errs, db.reader.Close())
	}
	if db.writer != nil {
		_, _ = db.writer.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		errs = append(errs, db.writer.Close())
	}
	return errors.Join(errs...)
}

// IntegrityCheck runs PRAGMA integrity_check and returns its rows joined;
// "ok" means the file is sound.
func (db *DB) IntegrityCheck(ctx context.Context) (string, error) {
	rows, err := db.reader.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return "", err
		}
		out = append(out, s)
	}
	return strings.Join(out, "\n"), rows.Err()
}
