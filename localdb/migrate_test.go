package localdb_test

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/localdb"
)

// fxEmbedded is the embedded migration set as a MapFS to extend, and its
// latest version.
func fxEmbedded(t *testing.T) (fstest.MapFS, []localdb.Migration) {
	t.Helper()
	ms, err := localdb.LoadMigrations(localdb.Migrations())
	require.NoError(t, err)
	require.NotEmpty(t, ms)
	m := fstest.MapFS{}
	for _, mig := range ms {
		b, err := fs.ReadFile(localdb.Migrations(), mig.Name)
		require.NoError(t, err)
		m[mig.Name] = &fstest.MapFile{Data: b}
	}
	return m, ms
}

// fxOpenEmpty opens a new, empty database file without migrating it.
func fxOpenEmpty(t *testing.T) *localdb.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pos.db")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	db, err := localdb.OpenExisting(path)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// fxAtVersion opens a new database migrated up to version v only (the
// shape an older app left), and an exec for building old data in it.
func fxAtVersion(t *testing.T, v int) (*localdb.DB, func(q string)) {
	t.Helper()
	ctx := context.Background()
	all, ms := fxEmbedded(t)
	upTo := fstest.MapFS{}
	for _, m := range ms {
		if m.Version <= v {
			upTo[m.Name] = all[m.Name]
		}
	}
	db := fxOpenEmpty(t)
	_, err := db.Migrate(ctx, upTo, false)
	require.NoError(t, err)
	return db, func(q string) {
		t.Helper()
		require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, q)
			return err
		}), q)
	}
}

// fxSchema is everything that says what shape and version the database
// has: the schema objects, the version rows, the schema cookie and the row
// count of every table.
type fxSchema struct {
	Objects  []string
	Versions []string
	Cookie   int
	Counts   map[string]int
}

func fxSnapshot(t *testing.T, db *localdb.DB) fxSchema {
	t.Helper()
	var s fxSchema
	rows, err := db.Read().Query(`SELECT type, name, tbl_name, COALESCE(sql,'') FROM sqlite_master ORDER BY type, name`)
	require.NoError(t, err)
	var tables []string
	for rows.Next() {
		var typ, name, tbl, sqlText string
		require.NoError(t, rows.Scan(&typ, &name, &tbl, &sqlText))
		s.Objects = append(s.Objects, typ+"|"+name+"|"+tbl+"|"+sqlText)
		if typ == "table" && !strings.HasPrefix(name, "sqlite_") {
			tables = append(tables, name)
		}
	}
	require.NoError(t, rows.Err())
	rows.Close()
	rows, err = db.Read().Query(`SELECT version, name, applied_at FROM schema_version ORDER BY version`)
	require.NoError(t, err)
	for rows.Next() {
		var v int
		var name string
		var at int64
		require.NoError(t, rows.Scan(&v, &name, &at))
		s.Versions = append(s.Versions, fmt.Sprintf("%d|%s|%d", v, name, at))
	}
	require.NoError(t, rows.Err())
	rows.Close()
	require.NoError(t, db.Read().QueryRow(`PRAGMA schema_version`).Scan(&s.Cookie))
	s.Counts = map[string]int{}
	for _, tbl := range tables {
		s.Counts[tbl] = fxCount(t, db.Read(), `SELECT count(*) FROM "`+tbl+`"`)
	}
	return s
}

var (
	fxCreateTable = regexp.MustCompile(`(?i)CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"?(\w+)`)
	fxDropTable   = regexp.MustCompile(`(?i)DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?"?(\w+)`)
)

func TestMigrateEmptyToLatest(t *testing.T) {
	ctx := context.Background()
	_, ms := fxEmbedded(t)
	latest := ms[len(ms)-1].Version

	db := fxOpenEmpty(t)
	v, err := db.Version(ctx)
	require.NoError(t, err)
	require.Equal(t, 0, v)

	start := time.Now().UnixMilli()
	res, err := db.Migrate(ctx, localdb.Migrations(), true)
	require.NoError(t, err)
	assert.Equal(t, 0, res.From)
	assert.Equal(t, latest, res.To)
	assert.Empty(t, res.Backup, "an empty database needs no backup")
	_, err = os.Stat(localdb.BackupDir(db.Path()))
	assert.True(t, os.IsNotExist(err), "no backups folder for an empty database")

	var names []string
	for _, m := range ms {
		names = append(names, m.Name)
	}
	assert.Equal(t, names, res.Applied)
	v, err = db.Version(ctx)
	require.NoError(t, err)
	assert.Equal(t, latest, v)

	// schema_version has every file, with its name and a sensible time.
	rows, err := db.Read().Query(`SELECT version, name, applied_at FROM schema_version ORDER BY version`)
	require.NoError(t, err)
	defer rows.Close()
	i := 0
	for rows.Next() {
		var ver int
		var name string
		var at int64
		require.NoError(t, rows.Scan(&ver, &name, &at))
		require.Less(t, i, len(ms))
		assert.Equal(t, ms[i].Version, ver)
		assert.Equal(t, ms[i].Name, name)
		assert.GreaterOrEqual(t, at, start)
		assert.LessOrEqual(t, at, time.Now().UnixMilli())
		i++
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, len(ms), i)

	// Every table the files create (and do not drop again) exists.
	want := map[string]bool{}
	for _, m := range ms {
		for _, g := range fxCreateTable.FindAllStringSubmatch(m.SQL, -1) {
			want[g[1]] = true
		}
		for _, g := range fxDropTable.FindAllStringSubmatch(m.SQL, -1) {
			delete(want, g[1])
		}
		// A rebuilt table takes its old name back.
		for _, g := range regexp.MustCompile(`(?i)ALTER TABLE (\w+) RENAME TO (\w+)`).FindAllStringSubmatch(m.SQL, -1) {
			delete(want, g[1])
			want[g[2]] = true
		}
	}
	for _, core := range []string{"orders", "order_line", "payment_intent", "product", "staff", "audit_log", "sync_outbox"} {
		require.True(t, want[core], "expected the migrations to create %s", core)
	}
	for tbl := range want {
		assert.Equal(t, 1, fxCount(t, db.Read(), `SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?`, tbl), "table %s", tbl)
	}
	assert.Equal(t, 3, fxCount(t, db.Read(), `SELECT count(*) FROM role`), "seed rows of 0001 went in")
	res2, err := db.IntegrityCheck(ctx)
	require.NoError(t, err)
	assert.Equal(t, "ok", res2)
}

func TestMigrateAgainChangesNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pos.db")
	db, err := localdb.Open(path)
	require.NoError(t, err)
	fxSeed(t, db)
	require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error { return fxInsertPaidOrder(ctx, tx, fxOrder("M000001", time.Now())) }))
	before := fxSnapshot(t, db)
	latest, err := db.Version(ctx)
	require.NoError(t, err)

	res, err := db.Migrate(ctx, localdb.Migrations(), true)
	require.NoError(t, err)
	assert.Equal(t, localdb.MigrateResult{From: latest, To: latest}, res)
	assert.Equal(t, before, fxSnapshot(t, db))
	require.NoError(t, db.Close())

	// Opening again (which migrates) changes nothing either, and takes no backup.
	for i := 0; i < 2; i++ {
		db, err = localdb.Open(path)
		require.NoError(t, err)
		assert.Equal(t, before, fxSnapshot(t, db), "reopen %d", i+1)
		require.NoError(t, db.Close())
	}
	assert.Empty(t, localdb.LatestBackup(path), "no backup when nothing is pending")
}

func TestMigrateFailureLeavesPreviousVersion(t *testing.T) {
	for name, broken := range map[string]string{
		"fails mid-file": `
CREATE TABLE fx_half (id INTEGER PRIMARY KEY, v TEXT NOT NULL);
INSERT INTO fx_half(v) VALUES ('a'), ('b');
CREATE INDEX fx_half_v ON fx_half(v);
ALTER TABLE orders ADD COLUMN fx_col INTEGER NOT NULL DEFAULT 0;
UPDATE store SET name = 'changed by a broken migration';
INSERT INTO no_such_table VALUES (1);
CREATE TABLE fx_never (x);
`,
		"syntax error mid-file": `
CREATE TABLE fx_half (id INTEGER PRIMARY KEY);
UPDATE store SET name = 'changed by a broken migration';
THIS IS NOT SQL;
CREATE TABLE fx_never (x);
`,
		"constraint violation": `
CREATE TABLE fx_half (id INTEGER PRIMARY KEY);
UPDATE store SET name = 'changed by a broken migration';
INSERT INTO orders(order_no, store_id, terminal_id, staff_id, kind, status, total, payable, created_at)
  VALUES ('X', 1, 1, 1, 'sale', 'paid', -1, 0, 0);
`,
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			mfs, ms := fxEmbedded(t)
			latest := ms[len(ms)-1].Version
			badName := fmt.Sprintf("%04d_broken.sql", latest+1)
			mfs[badName] = &fstest.MapFile{Data: []byte(broken)}

			db := fxOpen(t)
			fxSeed(t, db)
			require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error { return fxInsertPaidOrder(ctx, tx, fxOrder("F000001", time.Now())) }))
			before := fxSnapshot(t, db)

			res, err := db.Migrate(ctx, mfs, true)
			require.Error(t, err)
			assert.Contains(t, err.Error(), badName)
			assert.ErrorIs(t, err, localdb.ErrMigrateFailed)
			m, _ := app.AsMessage(err)
			assert.Equal(t, latest, m.Args["Version"], "the database stays at the version it had")
			assert.Equal(t, latest, res.To)
			assert.Empty(t, res.Applied)
			assert.NotEmpty(t, res.Backup, "a database with data is backed up before migrating")

			v, err := db.Version(ctx)
			require.NoError(t, err)
			assert.Equal(t, latest, v)
			assert.Equal(t, before, fxSnapshot(t, db), "no trace of the failed migration")
			assert.Equal(t, 0, fxCount(t, db.Read(), `SELECT count(*) FROM sqlite_master WHERE name LIKE 'fx_%'`))
			assert.Equal(t, 0, fxCount(t, db.Read(), `SELECT count(*) FROM pragma_table_info('orders') WHERE name='fx_col'`))
			assert.Equal(t, "Test store", fxString(t, db.Read(), `SELECT name FROM store WHERE id=1`))
			ic, err := db.IntegrityCheck(ctx)
			require.NoError(t, err)
			assert.Equal(t, "ok", ic)

			// The database is still usable, and a corrected file goes in.
			mfs[badName] = &fstest.MapFile{Data: []byte(`CREATE TABLE fx_fixed (id INTEGER PRIMARY KEY);`)}
			res, err = db.Migrate(ctx, mfs, false)
			require.NoError(t, err)
			assert.Equal(t, []string{badName}, res.Applied)
			assert.Equal(t, 1, fxCount(t, db.Read(), `SELECT count(*) FROM sqlite_master WHERE name='fx_fixed'`))
			require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error { return fxInsertPaidOrder(ctx, tx, fxOrder("F000002", time.Now())) }))
		})
	}
}

func fxString(t *testing.T, q *sql.DB, query string, args ...any) string {
	t.Helper()
	var s string
	require.NoError(t, q.QueryRow(query, args...).Scan(&s), query)
	return s
}

func TestMigrateBacksUpADatabaseWithData(t *testing.T) {
	ctx := context.Background()
	mfs, ms := fxEmbedded(t)
	latest := ms[len(ms)-1].Version
	next := fmt.Sprintf("%04d_extra.sql", latest+1)
	mfs[next] = &fstest.MapFile{Data: []byte(`
CREATE TABLE fx_extra (id INTEGER PRIMARY KEY, v TEXT);
INSERT INTO fx_extra(v) VALUES ('new');
UPDATE store SET name = 'after migration';`)}

	db := fxOpen(t)
	fxSeed(t, db)
	for i := 0; i < 3; i++ {
		require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error {
			return fxInsertPaidOrder(ctx, tx, fxOrder(fmt.Sprintf("B%06d", i), time.Now()))
		}))
	}
	// The orders are still only in the WAL: a plain copy of the main file
	// would miss them; the online backup API does not.
	st, err := os.Stat(db.Path() + "-wal")
	require.NoError(t, err)
	require.Greater(t, st.Size(), int64(0), "the test needs uncheckpointed data in the WAL")

	res, err := db.Migrate(ctx, mfs, true)
	require.NoError(t, err)
	assert.Equal(t, []string{next}, res.Applied)
	require.NotEmpty(t, res.Backup)
	assert.Equal(t, localdb.BackupDir(db.Path()), filepath.Dir(res.Backup))
	assert.Equal(t, res.Backup, localdb.LatestBackup(db.Path()))
	assert.Equal(t, "after migration", fxString(t, db.Read(), `SELECT name FROM store WHERE id=1`))

	bk, err := localdb.OpenExisting(res.Backup)
	require.NoError(t, err)
	defer bk.Close()
	v, err := bk.Version(ctx)
	require.NoError(t, err)
	assert.Equal(t, latest, v, "the backup is the database as it was before migrating")
	ic, err := bk.IntegrityCheck(ctx)
	require.NoError(t, err)
	assert.Equal(t, "ok", ic)
	n, err := bk.CountOrders(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	o, err := bk.GetOrder(ctx, "B000002")
	require.NoError(t, err)
	assert.Len(t, o.Lines, 5)
	assert.Equal(t, 3, fxCount(t, bk.Read(), `SELECT count(*) FROM payment_intent`))
	assert.Equal(t, "Test store", fxString(t, bk.Read(), `SELECT name FROM store WHERE id=1`))
	assert.Equal(t, 0, fxCount(t, bk.Read(), `SELECT count(*) FROM sqlite_master WHERE name='fx_extra'`))

	// Without the backup flag, none is taken.
	mfs[fmt.Sprintf("%04d_more.sql", latest+2)] = &fstest.MapFile{Data: []byte(`CREATE TABLE fx_more (x);`)}
	entries, err := os.ReadDir(localdb.BackupDir(db.Path()))
	require.NoError(t, err)
	res, err = db.Migrate(ctx, mfs, false)
	require.NoError(t, err)
	assert.Empty(t, res.Backup)
	after, err := os.ReadDir(localdb.BackupDir(db.Path()))
	require.NoError(t, err)
	assert.Equal(t, len(entries), len(after))
}

func TestLoadMigrationsRejectsBadNames(t *testing.T) {
	ok := &fstest.MapFile{Data: []byte(`CREATE TABLE fx_ok (x);`)}
	for _, bad := range []string{"abc.sql", "0001.sql", "0000_zero.sql", "x1_y.sql", "-1_neg.sql", "+2_plus.sql", "1a_x.sql", "_x.sql", " 3_space.sql"} {
		t.Run(bad, func(t *testing.T) {
			mfs := fstest.MapFS{"0001_ok.sql": ok, bad: &fstest.MapFile{Data: []byte(`CREATE TABLE fx_bad (x);`)}}
			_, err := localdb.LoadMigrations(mfs)
			require.Error(t, err, "%q must be refused", bad)
			assert.Contains(t, err.Error(), bad)

			db := fxOpenEmpty(t)
			_, err = db.Migrate(context.Background(), mfs, true)
			require.Error(t, err)
			v, err := db.Version(context.Background())
			require.NoError(t, err)
			assert.Equal(t, 0, v, "nothing is applied when the set is bad")
		})
	}
	for _, pair := range [][2]string{{"0001_a.sql", "1_b.sql"}, {"0002_a.sql", "002_b.sql"}} {
		mfs := fstest.MapFS{"0001_ok.sql": ok, pair[0]: ok, pair[1]: ok}
		if pair[0] == "0001_a.sql" {
			delete(mfs, "0001_ok.sql")
		}
		_, err := localdb.LoadMigrations(mfs)
		require.Error(t, err, "duplicate versions %v", pair)
		assert.Contains(t, err.Error(), "duplicate")
	}
}

func TestLoadMigrationsOrderAndIgnored(t *testing.T) {
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	ms, err := localdb.LoadMigrations(fstest.MapFS{
		"10_ten.sql":        f("-- 10"),
		"9_nine.sql":        f("-- 9"),
		"0002_two.sql":      f("-- 2"),
		"README.md":         f("not a migration"),
		"notes/0003_x.sql":  f("-- in a sub-folder, ignored"),
		"0004_draft.sql.bk": f("ignored"),
	})
	require.NoError(t, err)
	var got []string
	for _, m := range ms {
		got = append(got, fmt.Sprintf("%d:%s:%s", m.Version, m.Name, m.SQL))
	}
	assert.Equal(t, []string{"2:0002_two.sql:-- 2", "9:9_nine.sql:-- 9", "10:10_ten.sql:-- 10"}, got, "numeric, not string, order")
}
