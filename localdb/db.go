// Package localdb keeps everything the counter needs offline in one SQLite
// file: embedded numbered migrations, a single writer connection and a read
// pool, and the repositories the app asks for.
package localdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/mattn/go-sqlite3"

	"cashier/app"
)

// DB is the application database: one writer connection (SQLite allows one
// writer at a time; funnelling writes through one connection avoids
// SQLITE_BUSY storms) and a pool of read-only connections that WAL lets run
// alongside it.
type DB struct {
	path   string
	writer *sql.DB
	reader *sql.DB
	// owner: opened to be written (Open), so its Close checkpoints the
	// write-ahead log into the file. A database opened as it is
	// (OpenExisting: the read-only commands beside a running app) leaves
	// the log alone: a forced checkpoint writes the app's pages into
	// pos.db and holds up the app's writers while it runs.
	owner bool

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt      // hot read queries, prepared once on the read pool
	wsets  map[*writeSQL][]*sql.Stmt // hot writes, prepared once on the writer (under stmtMu)

	search searchBuild // writes the search terms a bulk pull left (searchbuild.go)
}

// writeSQL is the fixed list of statements one kind of write runs (a
// sale's commit), prepared together once per database.
type writeSQL struct{ queries []string }

// writeStmts returns ws's statements prepared on the writer. The writer
// pool holds one connection, so a transaction's tx.StmtContext finds each
// already compiled there and SQLite skips compiling it again: a sale's
// dozen statements used to cost more to compile than to run. Call it
// before Write, never inside it: preparing needs the connection the
// transaction holds.
func (db *DB) writeStmts(ctx context.Context, ws *writeSQL) ([]*sql.Stmt, error) {
	db.stmtMu.Lock()
	st, ok := db.wsets[ws]
	db.stmtMu.Unlock()
	if ok {
		return st, nil
	}
	// Prepared without the lock: the connection may be busy with a
	// transaction, and that one may want the lock for its own statements.
	st = make([]*sql.Stmt, len(ws.queries))
	for i, q := range ws.queries {
		s, err := db.writer.PrepareContext(ctx, q)
		if err != nil {
			for _, s := range st[:i] {
				s.Close()
			}
			return nil, err
		}
		st[i] = s
	}
	db.stmtMu.Lock()
	defer db.stmtMu.Unlock()
	if prev, ok := db.wsets[ws]; ok { // another goroutine was first
		for _, s := range st {
			s.Close()
		}
		return prev, nil
	}
	if db.wsets == nil {
		db.wsets = map[*writeSQL][]*sql.Stmt{}
	}
	db.wsets[ws] = st
	return st, nil
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
	return fmt.Sprintf("database file is damaged or not a database: %s (%v); last backup %q", e.Path, e.Cause, e.LastBackup)
}

// Unwrap gives the translated message (db.corrupt, or db.corrupt_no_backup)
// wrapping the cause, so the UI and the CLI put it into words.
func (e *ErrCorrupt) Unwrap() error {
	if e.LastBackup != "" {
		return ErrDBCorrupt.With("Path", e.Path, "Backup", e.LastBackup).Wrap(e.Cause)
	}
	return ErrDBCorruptNoBackup.With("Path", e.Path).Wrap(e.Cause)
}

// Errors of opening the database.
var (
	ErrDBCorrupt         = app.NewError("db.corrupt")
	ErrDBCorruptNoBackup = app.NewError("db.corrupt_no_backup")
	ErrDBMissing         = app.NewError("db.missing")
	ErrDirNotWritable    = app.NewError("db.dir_not_writable")
	ErrCannotOpen        = app.NewError("db.cannot_open")
	ErrDBReadOnly        = app.NewError("db.file_read_only")
)

func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_fk", "1")
	q.Set("_journal_mode", "WAL")
	q.Set("_sync", "FULL")
	q.Set("_busy_timeout", "5000")
	q.Set("_txlock", "immediate")
	if !readOnly {
		// 32 MB of pages for the one writer (SQLite's default is 2 MB): a
		// catalogue import rewrites the same index pages thousands of
		// times; the readers keep the default.
		q.Set("_cache_size", "-32768")
	}
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

// OpenContext is Open with a context. A database a newer app has
// migrated is refused (*SchemaNewerError) and a file that cannot be
// written (ErrDBReadOnly) too, both before anything is written to it.
func OpenContext(ctx context.Context, path string) (*DB, error) {
	if err := refuseNewer(ctx, path); err != nil {
		return nil, err
	}
	if err := checkFileWritable(path); err != nil {
		return nil, err
	}
	db, err := openNoMigrate(path)
	if err != nil {
		return nil, err
	}
	hadAudit, err := db.hasTable(ctx, "audit_head")
	if err != nil {
		db.Close()
		return nil, classifyOpenError(path, filepath.Dir(path), err)
	}
	res, err := db.Migrate(ctx, Migrations(), true)
	if err != nil {
		db.Close()
		return nil, err
	}
	// Audit rows written before the chain existed join it now, at once.
	if err := db.SealAudit(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.ensureSearchIndex(ctx); err != nil {
		db.Close()
		return nil, err
	}
	db.owner = true
	db.recordUpgrade(ctx, res, hadAudit)
	// A pull stopped before its products topic ended left products
	// without their search terms: they are found by name once this ends.
	db.kickPendingSearch(ctx)
	return db, nil
}

// OpenExisting opens without migrating (for `pos db check|backup`).
func OpenExisting(path string) (*DB, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, ErrDBMissing.With("Path", path)
	} else if err != nil {
		return nil, ErrCannotOpen.With("Path", path).Wrap(err) // e.g. permission denied: not "missing"
	}
	return openNoMigrate(path)
}

func openNoMigrate(path string) (*DB, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, ErrDirNotWritable.With("Dir", dir).Wrap(err)
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
			return ErrDirNotWritable.With("Dir", dir).Wrap(err)
		}
	}
	return ErrCannotOpen.With("Path", path).Wrap(err)
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
		return fmt.Errorf("file too short: %w", err)
	}
	if string(buf) != "SQLite format 3\x00" {
		return errors.New("not an SQLite header")
	}
	return nil
}

// checkFileWritable refuses an existing database file this process may
// not write (read-only attribute or permissions, a read-only disk):
// SQLite would open it read-only without a word and fail at the first
// sale with "attempt to write a readonly database". It runs before
// SQLite opens the file: closing another descriptor of a file drops the
// process's POSIX locks on it, SQLite's included.
func checkFileWritable(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err == nil {
		return f.Close()
	}
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
		return ErrDBReadOnly.With("Path", path, "Dir", filepath.Dir(path)).Wrap(err)
	}
	return nil // missing (a new database), or a problem the opening names
}

func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".writetest-*")
	if err != nil {
		return ErrDirNotWritable.With("Dir", dir).Wrap(err)
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
	db.stopSearchBuild()
	var errs []error
	db.stmtMu.Lock()
	for _, st := range db.stmts {
		errs = append(errs, st.Close())
	}
	db.stmts = nil
	for _, set := range db.wsets {
		for _, st := range set {
			errs = append(errs, st.Close())
		}
	}
	db.wsets = nil
	db.stmtMu.Unlock()
	if db.reader != nil {
		errs = append(errs, db.reader.Close())
	}
	if db.writer != nil {
		if db.owner {
			_, _ = db.writer.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		}
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
