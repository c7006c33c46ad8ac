package localdb

import (
	"cashier/app"

	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
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
// copied with the SQLite online backup API before the first change.
func (db *DB) Migrate(ctx context.Context, fsys fs.FS, backup bool) (MigrateResult, error) {
	ms, err := LoadMigrations(fsys)
	if err != nil {
		return MigrateResult{}, err
	}
	if _, err := db.writer.ExecContext(ctx, versionTable); err != nil {
		return MigrateResult{}, ErrMigrateFailed.With("Name", "schema_version", "Version", 0).Wrap(err)
	}
	cur, err := db.Version(ctx)
	if err != nil {
		return MigrateResult{}, err
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
		p, err := db.Backup(ctx, "")
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
