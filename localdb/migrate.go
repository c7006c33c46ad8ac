package localdb

import (
	"cashier/app"

	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the embedded set of numbered schema files.
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrationFiles, "migrations")
	return sub
}

// Migration is one numbered file: NNNN_name.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads NNNN_name.sql files from fsys in version order.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || strings.Trim(num, "0123456789") != "" { // digits only: Atoi takes "+2"
			return nil, fmt.Errorf("迁移文件名无效 / bad migration file name %q (want NNNN_name.sql)", e.Name())
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("迁移版本重复 / duplicate migration version %d: %s and %s", v, prev, e.Name())
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: path.Base(e.Name()), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

const versionTable = `CREATE TABLE IF NOT EXISTS schema_version (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at INTEGER NOT NULL
)`

// Version is the highest applied migration (0 for an empty database).
func (db *DB) Version(ctx context.Context) (int, error) {
	var exists int
	if err := db.writer.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schema_version'`).Scan(&exists); err != nil {
		return 0, err
	}
	if exists == 0 {
		return 0, nil
	}
	var v sql.NullInt64
	if err := db.writer.QueryRowContext(ctx, `SELECT max(version) FROM schema_version`).Scan(&v); err != nil {
		return 0, err
	}
	return int(v.Int64), nil
}

// MigrateResult says what Migrate did.
type MigrateResult struct {
	From, To int
	Applied  []string
	Backup   string // path of the backup taken before migrating, if any
}

// Errors of migrating.
var (
	ErrMigrateBackup = app.NewError("db.migrate_backup")
	ErrMigrateFailed = app.NewError("db.migrate_failed")
)

// Migrate applies pending migrations from fsys, each file together with its
// version row in one transaction, so a failing file leaves the previous
// version intact. With backup set, a database that already holds data is
// copied with the SQLite online backup API before the first change, to
// BackupDir as <name>-<time>-v<version before>.db. A database at a
// version above every file in fsys (a newer app's) is refused with a
// *SchemaNewerError before anything is written.
func (db *DB) Migrate(ctx context.Context, fsys fs.FS, backup bool) (MigrateResult, error) {
	ms, err := LoadMigrations(fsys)
	if err != nil {
		return MigrateResult{}, err
	}
	// Read before anything is written: a database a newer app has
	// migrated is refused untouched, not given a version table or a backup.
	cur, err := db.Version(ctx)
	if err != nil {
		return MigrateResult{}, err
	}
	if latest := latestVersion(ms); cur > latest {
		return MigrateResult{From: cur, To: cur}, newSchemaNewer(db.path, cur, latest)
	}
	if _, err := db.writer.ExecContext(ctx, versionTable); err != nil {
		return MigrateResult{}, ErrMigrateFailed.With("Name", "schema_version", "Version", 0).Wrap(err)
	}
	res := MigrateResult{From: cur, To: cur}
	var pending []Migration
	for _, m := range ms {
		if m.Version > cur {
			pending = append(pending, m)
		}
	}
	if len(pending) == 0 {
		return res, nil
	}
	if backup && cur > 0 {
		p, err := "", os.MkdirAll(BackupDir(db.path), 0o700)
		if err == nil {
			p, err = db.Backup(ctx, upgradeBackupPath(db.path, cur, time.Now()))
		}
		if err != nil {
			return res, ErrMigrateBackup.Wrap(err)
		}
		res.Backup = p
	}
	for _, m := range pending {
		err := db.Write(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_version(version, name, applied_at) VALUES (?,?,?)`,
				m.Version, m.Name, time.Now().UnixMilli())
			return err
		})
		if err != nil {
			return res, ErrMigrateFailed.With("Name", m.Name, "Version", res.To).Wrap(err)
		}
		res.To = m.Version
		res.Applied = append(res.Applied, m.Name)
	}
	return res, nil
}

func latestVersion(ms []Migration) int {
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// LatestVersion is the newest embedded migration: the schema this build
// writes.
func LatestVersion() int {
	ms, _ := LoadMigrations(Migrations())
	return latestVersion(ms)
}

// Errors of a database newer than this build (db.schema_newer, with or
// without a backup to name); both are ErrSchemaNewer to errors.Is.
var (
	ErrSchemaNewer         = app.NewError("db.schema_newer")
	ErrSchemaNewerNoBackup = ErrSchemaNewer.Sub("db.schema_newer_no_backup")
)

// SchemaNewerError: the database is at Version, above Latest, the newest
// migration this build has — a newer app upgraded it. Nothing was
// written. Backup is the newest backup taken before an upgrade from a
// version this build can open ("" if none is found).
type SchemaNewerError struct {
	Path            string
	Version, Latest int
	Backup          string
}

func newSchemaNewer(path string, version, latest int) *SchemaNewerError {
	return &SchemaNewerError{Path: path, Version: version, Latest: latest, Backup: UpgradeBackup(path, latest)}
}

func (e *SchemaNewerError) Error() string {
	return fmt.Sprintf("database %s is at schema version %d, newer than this build's %d; backup before the upgrade %q",
		e.Path, e.Version, e.Latest, e.Backup)
}

// Unwrap gives the translated message, so the UI and the CLI put it into
// words and errors.Is(err, ErrSchemaNewer) holds.
func (e *SchemaNewerError) Unwrap() error {
	if e.Backup != "" {
		return ErrSchemaNewer.With("Path", e.Path, "Version", e.Version, "Latest", e.Latest, "Backup", e.Backup)
	}
	return ErrSchemaNewerNoBackup.With("Path", e.Path, "Version", e.Version, "Latest", e.Latest, "Dir", BackupDir(e.Path))
}

// backupStamp is the time in a backup's name: fixed width, so names sort
// in time order whatever follows it.
const backupStamp = "20060102T150405.000000000Z"

// upgradeBackupPath names the backup taken before migrating a database
// at version from: <name>-<time>-v<from>.db, so a person (and an older
// build refusing a newer database) can tell which version it holds.
func upgradeBackupPath(dbPath string, from int, now time.Time) string {
	base := strings.TrimSuffix(filepath.Base(dbPath), filepath.Ext(dbPath))
	return filepath.Join(BackupDir(dbPath), fmt.Sprintf("%s-%s-v%d.db", base, now.UTC().Format(backupStamp), from))
}

// UpgradeBackup is the newest backup taken before an upgrade from a
// schema version at most latest (one a build with that latest migration
// can open), or "". It goes by the names alone: nothing is opened.
func UpgradeBackup(dbPath string, latest int) string {
	base := strings.TrimSuffix(filepath.Base(dbPath), filepath.Ext(dbPath))
	matches, _ := filepath.Glob(filepath.Join(BackupDir(dbPath), base+"-*-v*.db"))
	sort.Sort(sort.Reverse(sort.StringSlice(matches))) // newest first
	for _, m := range matches {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m), base+"-"), ".db")
		stamp, v, ok := strings.Cut(name, "-v")
		n, err := strconv.Atoi(v)
		if _, terr := time.Parse(backupStamp, stamp); !ok || err != nil || terr != nil || n <= 0 {
			continue
		}
		if n <= latest {
			return m
		}
	}
	return ""
}

// refuseNewer reads the schema version of an existing file through a
// read-only connection that sets no pragmas (the writer's DSN switches
// the journal to WAL, a write on a file that is not in WAL), and refuses
// a version above this build's. A file it cannot read is left to the
// usual opening, which names the problem. Being read-only, the connection
// never checkpoints a log a newer app left; on a file in WAL it may leave
// an empty -wal and its -shm index behind, as any reader does.
func refuseNewer(ctx context.Context, path string) error {
	if st, err := os.Stat(path); err != nil || st.Size() == 0 || checkHeader(path) != nil {
		return nil
	}
	ro, err := sql.Open("sqlite3", "file:"+uriPath(path)+"?mode=ro&_query_only=1")
	if err != nil {
		return nil
	}
	defer ro.Close()
	var exists, v int
	if err := ro.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schema_version'`).Scan(&exists); err != nil || exists == 0 {
		return nil
	}
	if err := ro.QueryRowContext(ctx, `SELECT COALESCE(max(version), 0) FROM schema_version`).Scan(&v); err != nil {
		return nil
	}
	if latest := LatestVersion(); v > latest {
		return newSchemaNewer(path, v, latest)
	}
	return nil
}

// actionUpgraded is the audit line of a database migrated by a new
// version of the app.
const actionUpgraded = "db_upgrade"

// recordUpgrade logs a migration of a database that held data, and puts
// it in the audit log when the database had one before (a file from
// before the chain gets its sealing line instead). A failure to audit is
// logged: the upgrade itself is done and kept.
func (db *DB) recordUpgrade(ctx context.Context, res MigrateResult, hadAudit bool) {
	if res.From == 0 || len(res.Applied) == 0 {
		return
	}
	slog.Info("database upgraded", "path", db.path, "from", res.From, "to", res.To, "backup", res.Backup)
	if !hadAudit {
		return
	}
	detail := fmt.Sprintf("from=%d to=%d backup=%s", res.From, res.To, res.Backup)
	if err := db.Audit(ctx, app.AuditEntry{Action: actionUpgraded, Subject: filepath.Base(db.path), Detail: detail}); err != nil {
		slog.Warn("database upgraded: cannot write the audit line", "path", db.path, "err", err)
	}
}

// hasTable reports whether the database has the table (read on the
// writer: the read pool may not see a table made a moment ago).
func (db *DB) hasTable(ctx context.Context, name string) (bool, error) {
	var n int
	err := db.writer.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?`, name).Scan(&n)
	return n > 0, err
}
