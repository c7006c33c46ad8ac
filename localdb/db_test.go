package localdb_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/localdb"
)

// ---- fixtures shared by the foundation tests (db, migrate, crash, bench) ----
// Names start with fx so they do not clash with other test files.

// fxOpen opens a fresh database in a temp dir and closes it at the end.
func fxOpen(t testing.TB) *localdb.DB {
	t.Helper()
	db, err := localdb.Open(filepath.Join(t.TempDir(), "pos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// fxSeedSQL is the smallest set of rows an order needs (merchant, store,
// terminal, staff; ids 1), without the slow bcrypt of the demo seed.
const fxSeedSQL = `
INSERT INTO merchant(id, code, name, created_at) VALUES (1, 'M1', 'Test merchant', 0);
INSERT INTO store(id, merchant_id, code, name, created_at) VALUES (1, 1, 'S1', 'Test store', 0);
INSERT INTO terminal(id, store_id, code, name, created_at) VALUES (1, 1, 'T1', 'Till 1', 0);
INSERT INTO staff(id, store_id, code, name, role_code, pin_hash, created_at, updated_at)
  VALUES (1, 1, 'C1', 'Clerk', 'clerk', 'x', 0, 0);`

func fxSeed(t testing.TB, db *localdb.DB) {
	t.Helper()
	require.NoError(t, db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(fxSeedSQL)
		return err
	}))
}

// fxOrder is a paid sale of 5 lines with a discount spread across them.
func fxOrder(no string, now time.Time) *app.Order {
	o := &app.Order{
		OrderNo: no, StoreID: 1, TerminalID: 1, StaffID: 1,
		Kind: app.OrderSale, Status: app.OrderPaying, Discount: 37, CreatedAt: now,
	}
	for i := 0; i < 5; i++ {
		o.Lines = append(o.Lines, app.OrderLine{
			Barcode: fmt.Sprintf("69000000%05d", i), Name: fmt.Sprintf("商品 %d", i),
			Qty: int64(1 + i), UnitPrice: app.Money(199 + 100*i),
		})
	}
	if err := o.Recompute(); err != nil {
		panic(err)
	}
	return o
}

// fxInsertPaidOrder writes the order, its 5 lines and its payment intent in
// tx: what one sale commits.
func fxInsertPaidOrder(ctx context.Context, tx *sql.Tx, o *app.Order) error {
	if err := localdb.InsertOrder(ctx, tx, o); err != nil {
		return err
	}
	now := o.CreatedAt.UnixMilli()
	_, err := tx.ExecContext(ctx, `INSERT INTO payment_intent(out_trade_no, order_id, kind, channel, wallet,
		auth_code_masked, amount, state, staff_id, created_at, updated_at)
		VALUES (?, ?, 'pay', 'wechat', 'wechat', '1340********1234', ?, 'created', 1, ?, ?)`,
		o.OrderNo, o.ID, int64(o.Payable), now, now)
	return err
}

func fxSHA(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func fxCount(t testing.TB, q *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, q.QueryRow(query, args...).Scan(&n), query)
	return n
}

// ---- corrupt files ----

// fxRealDB makes a closed database with data and one backup, in its own
// folder, and returns the database and backup paths.
func fxRealDB(t *testing.T, orders int) (dbPath, backup string) {
	t.Helper()
	ctx := context.Background()
	dbPath = filepath.Join(t.TempDir(), "pos.db")
	db, err := localdb.Open(dbPath)
	require.NoError(t, err)
	fxSeed(t, db)
	now := time.Now()
	require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error {
		for i := 0; i < orders; i++ {
			if err := fxInsertPaidOrder(ctx, tx, fxOrder(fmt.Sprintf("R%06d", i), now)); err != nil {
				return err
			}
		}
		return nil
	}))
	backup, err = db.Backup(ctx, "")
	require.NoError(t, err)
	require.NoError(t, db.Close())
	return dbPath, backup
}

func TestOpenCorruptFileIsNeverOverwritten(t *testing.T) {
	random := make([]byte, 64<<10)
	_, err := rand.Read(random)
	require.NoError(t, err)

	damage := map[string]func(t *testing.T, path string){
		"random bytes": func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, random, 0o600))
		},
		"text file": func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, []byte("这不是数据库\nthis is a shopping list, not a database\n"), 0o600))
		},
		"sqlite header then garbage": func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, append([]byte("SQLite format 3\x00"), random[:8192]...), 0o600))
		},
		"truncated to half": func(t *testing.T, path string) {
			st, err := os.Stat(path)
			require.NoError(t, err)
			require.Greater(t, st.Size(), int64(64<<10), "the real database should span many pages")
			require.NoError(t, os.Truncate(path, st.Size()/2))
		},
		"truncated to 3 pages": func(t *testing.T, path string) {
			require.NoError(t, os.Truncate(path, 3*4096))
		},
		"truncated inside the header": func(t *testing.T, path string) {
			require.NoError(t, os.Truncate(path, 50))
		},
	}
	for name, spoil := range damage {
		t.Run(name, func(t *testing.T) {
			path, backup := fxRealDB(t, 300)
			spoil(t, path)
			before := fxSHA(t, path)

			db, err := localdb.Open(path)
			if db != nil {
				db.Close()
			}
			var ce *localdb.ErrCorrupt
			require.ErrorAs(t, err, &ce, "Open of a damaged file must say it is damaged, got %v", err)
			assert.Equal(t, path, ce.Path)
			assert.Equal(t, backup, ce.LastBackup)
			require.ErrorIs(t, err, localdb.ErrDBCorrupt)
			m, _ := app.AsMessage(err)
			assert.Equal(t, path, m.Args["Path"])
			assert.Equal(t, backup, m.Args["Backup"], "the message names the last backup")
			assert.Equal(t, before, fxSHA(t, path), "the damaged file must be byte-for-byte unchanged")

			// The check/backup path of the CLI behaves the same.
			db, err = localdb.OpenExisting(path)
			if db != nil {
				db.Close()
			}
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, before, fxSHA(t, path))

			// The named backup is a sound database with the data.
			bk, err := localdb.OpenExisting(backup)
			require.NoError(t, err)
			defer bk.Close()
			res, err := bk.IntegrityCheck(context.Background())
			require.NoError(t, err)
			assert.Equal(t, "ok", res)
			n, err := bk.CountOrders(context.Background())
			require.NoError(t, err)
			assert.Equal(t, 300, n)
		})
	}
}

func TestOpenCorruptFileWithoutBackup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pos.db")
	require.NoError(t, os.WriteFile(path, []byte("garbage garbage garbage garbage"), 0o600))
	_, err := localdb.Open(path)
	var ce *localdb.ErrCorrupt
	require.ErrorAs(t, err, &ce)
	assert.Empty(t, ce.LastBackup)
	assert.ErrorIs(t, err, localdb.ErrDBCorruptNoBackup)
	b, _ := os.ReadFile(path)
	assert.Equal(t, "garbage garbage garbage garbage", string(b))
}

// ---- folders that cannot be written ----

func TestOpenDataFolderUnderAFile(t *testing.T) {
	// Fails for root too: a path component is a regular file.
	file := filepath.Join(t.TempDir(), "not-a-folder")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o600))
	db, err := localdb.Open(filepath.Join(file, "data", "pos.db"))
	require.Error(t, err)
	assert.Nil(t, db)
	assert.ErrorIs(t, err, localdb.ErrDirNotWritable)
}

const fxROEnv = "POSCASHIER_RO_CHILD_DIR"

// TestOpenReadOnlyDataFolder checks a data folder without write permission.
// Root ignores permission bits, so when the tests run as root the check is
// run in a child process (this test binary again) as user nobody; if that
// is not possible the test is skipped and says why.
func TestOpenReadOnlyDataFolder(t *testing.T) {
	if dir := os.Getenv(fxROEnv); dir != "" {
		fxReadOnlyChecks(t, dir)
		return
	}
	base := t.TempDir()
	if fxCanWriteDespite0500(t, base) {
		fxReadOnlyAsNobody(t)
		return
	}
	fxReadOnlyChecks(t, base)
}

// fxCanWriteDespite0500 probes whether permission bits bind this process.
func fxCanWriteDespite0500(t *testing.T, base string) bool {
	probe := filepath.Join(base, "probe")
	require.NoError(t, os.Mkdir(probe, 0o500))
	defer os.Chmod(probe, 0o700)
	f, err := os.Create(filepath.Join(probe, "x"))
	if err != nil {
		return false
	}
	f.Close()
	return true
}

func fxReadOnlyChecks(t *testing.T, base string) {
	// 1. A new database in a read-only folder.
	ro := filepath.Join(base, "ro-new")
	require.NoError(t, os.Mkdir(ro, 0o700))
	require.NoError(t, os.Chmod(ro, 0o500))
	t.Cleanup(func() { os.Chmod(ro, 0o700) })
	db, err := localdb.Open(filepath.Join(ro, "pos.db"))
	require.Error(t, err)
	assert.Nil(t, db)
	assert.ErrorIs(t, err, localdb.ErrDirNotWritable)
	assert.Contains(t, err.Error(), ro)
	entries, _ := os.ReadDir(ro)
	assert.Empty(t, entries, "nothing is created in a read-only folder")

	// 2. An existing database whose folder became read-only.
	dir := filepath.Join(base, "ro-existing")
	require.NoError(t, os.Mkdir(dir, 0o700))
	path := filepath.Join(dir, "pos.db")
	db, err = localdb.Open(path)
	require.NoError(t, err)
	fxSeed(t, db)
	require.NoError(t, db.Close())
	before := fxSHA(t, path)
	require.NoError(t, os.Chmod(dir, 0o500))
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	db, err = localdb.Open(path)
	if err == nil {
		// If SQLite manages to open it, a write must fail with an error, not a panic.
		werr := db.Write(context.Background(), func(tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO audit_log(at, action) VALUES (1, 'x')`)
			return err
		})
		db.Close()
		require.Error(t, werr, "writing into a read-only folder cannot succeed")
	} else {
		assert.Nil(t, db)
		assert.Contains(t, err.Error(), dir, "the error names the folder: %v", err)
	}
	assert.Equal(t, before, fxSHA(t, path))
}

func fxReadOnlyAsNobody(t *testing.T) {
	// The child needs to reach its binary and its folder: both under a
	// world-traversable temp dir.
	top, err := os.MkdirTemp("", "poscashier-ro-*")
	require.NoError(t, err)
	t.Cleanup(func() {
		filepath.Walk(top, func(p string, _ os.FileInfo, _ error) error { os.Chmod(p, 0o700); return nil })
		os.RemoveAll(top)
	})
	require.NoError(t, os.Chmod(top, 0o755))
	bin := filepath.Join(top, "localdb.test")
	src, err := os.Open(os.Args[0])
	require.NoError(t, err)
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	require.NoError(t, err)
	_, err = io.Copy(dst, src)
	require.NoError(t, err)
	src.Close()
	require.NoError(t, dst.Close())
	work := filepath.Join(top, "work")
	require.NoError(t, os.Mkdir(work, 0o700))
	const nobody = 65534
	require.NoError(t, os.Chown(work, nobody, nobody))

	// setpriv (util-linux) rather than syscall.Credential keeps this file
	// building on Windows, where the child simply cannot start and the test skips.
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("running as root ignores folder permissions, and setpriv is not there to re-run the check as user nobody")
	}
	cmd := exec.Command(setpriv, fmt.Sprintf("--reuid=%d", nobody), fmt.Sprintf("--regid=%d", nobody), "--clear-groups",
		bin, "-test.run=^TestOpenReadOnlyDataFolder$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), fxROEnv+"="+work, "HOME="+work, "TMPDIR="+work)
	cmd.Dir = top
	out, err := cmd.CombinedOutput()
	if err != nil && !strings.Contains(string(out), "=== RUN") {
		t.Skipf("running as root ignores folder permissions, and the check could not be re-run as user nobody (%v): %s", err, out)
	}
	require.NoError(t, err, "read-only folder checks as user nobody:\n%s", out)
	require.Contains(t, string(out), "--- PASS: TestOpenReadOnlyDataFolder", "%s", out)
	t.Logf("ran as user nobody (uid %d) because root ignores permission bits:\n%s", nobody, out)
}

// ---- integrity, writes, rollbacks ----

func TestIntegrityCheckOK(t *testing.T) {
	db := fxOpen(t)
	fxSeed(t, db)
	res, err := db.IntegrityCheck(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "ok", res)
}

func TestIntegrityCheckReportsDamage(t *testing.T) {
	// A file damaged after the page-1 checks Open does: integrity_check must
	// say so (this is what `pos db check` relies on).
	path, _ := fxRealDB(t, 300)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	st, _ := f.Stat()
	junk := make([]byte, 4096)
	for i := range junk {
		junk[i] = 0xA5
	}
	// The last page holds the fixture's newest rows; a page in the middle
	// may be one the schema needs to open at all.
	_, err = f.WriteAt(junk, st.Size()-4096)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	db, err := localdb.OpenExisting(path)
	require.NoError(t, err)
	defer db.Close()
	res, err := db.IntegrityCheck(context.Background())
	if err == nil {
		assert.NotEqual(t, "ok", res)
	}
}

func TestWriteIsVisibleToRead(t *testing.T) {
	ctx := context.Background()
	db := fxOpen(t)
	fxSeed(t, db)
	o := fxOrder("V000001", time.Now())
	require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error { return fxInsertPaidOrder(ctx, tx, o) }))
	got, err := db.GetOrder(ctx, "V000001")
	require.NoError(t, err)
	assert.Equal(t, o.Payable, got.Payable)
	require.Len(t, got.Lines, 5)
	for i, l := range got.Lines {
		assert.Equal(t, o.Lines[i].Amount, l.Amount)
		assert.Equal(t, i+1, l.LineNo)
	}
	assert.Equal(t, 1, fxCount(t, db.Read(), `SELECT count(*) FROM payment_intent WHERE out_trade_no='V000001'`))
}

var errFxBoom = errors.New("boom")

func TestWriteRollsBackOnError(t *testing.T) {
	ctx := context.Background()
	db := fxOpen(t)
	fxSeed(t, db)
	err := db.Write(ctx, func(tx *sql.Tx) error {
		if err := fxInsertPaidOrder(ctx, tx, fxOrder("E000001", time.Now())); err != nil {
			return err
		}
		return errFxBoom
	})
	require.ErrorIs(t, err, errFxBoom)
	assert.Equal(t, 0, fxCount(t, db.Read(), `SELECT count(*) FROM orders`))
	assert.Equal(t, 0, fxCount(t, db.Read(), `SELECT count(*) FROM order_line`))
	assert.Equal(t, 0, fxCount(t, db.Read(), `SELECT count(*) FROM payment_intent`))

	// A constraint failure half-way (the 5 lines went in, the intent fails)
	// leaves nothing either.
	err = db.Write(ctx, func(tx *sql.Tx) error {
		o := fxOrder("E000002", time.Now())
		o.Payable = 0 // payment_intent.amount CHECK (amount > 0) refuses this
		return fxInsertPaidOrder(ctx, tx, o)
	})
	require.Error(t, err)
	assert.Equal(t, 0, fxCount(t, db.Read(), `SELECT count(*) FROM orders`))
	assert.Equal(t, 0, fxCount(t, db.Read(), `SELECT count(*) FROM order_line`))

	// The writer is usable afterwards.
	require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error { return fxInsertPaidOrder(ctx, tx, fxOrder("E000003", time.Now())) }))
	assert.Equal(t, 1, fxCount(t, db.Read(), `SELECT count(*) FROM orders`))
}

func TestWriteRollsBackOnPanic(t *testing.T) {
	ctx := context.Background()
	db := fxOpen(t)
	fxSeed(t, db)
	assert.PanicsWithValue(t, "kaboom", func() {
		_ = db.Write(ctx, func(tx *sql.Tx) error {
			if err := fxInsertPaidOrder(ctx, tx, fxOrder("P000001", time.Now())); err != nil {
				return err
			}
			panic("kaboom")
		})
	}, "the panic is passed on to the caller")
	assert.Equal(t, 0, fxCount(t, db.Read(), `SELECT count(*) FROM orders`))
	assert.Equal(t, 0, fxCount(t, db.Read(), `SELECT count(*) FROM order_line`))

	// The single writer connection was given back and is not stuck in a transaction.
	done := make(chan error, 1)
	go func() {
		done <- db.Write(ctx, func(tx *sql.Tx) error { return fxInsertPaidOrder(ctx, tx, fxOrder("P000002", time.Now())) })
	}()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Write after a panic did not return: the writer connection leaked")
	}
	assert.Equal(t, 1, fxCount(t, db.Read(), `SELECT count(*) FROM orders`))
}

// ---- the DSN is really in force ----

type fxQueryer interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func fxPragmas(t *testing.T, q fxQueryer) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range []string{"journal_mode", "synchronous", "foreign_keys", "busy_timeout", "query_only"} {
		var v string
		require.NoError(t, q.QueryRowContext(context.Background(), "PRAGMA "+p).Scan(&v), p)
		out[p] = v
	}
	return out
}

func TestPragmasOnWriterAndReaders(t *testing.T) {
	ctx := context.Background()
	db := fxOpen(t)
	fxSeed(t, db)

	var w map[string]string
	require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error { w = fxPragmas(t, tx); return nil }))
	assert.Equal(t, map[string]string{
		"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "5000", "query_only": "0",
	}, w, "writer connection")

	// Hold several reader connections at once so more than one is checked.
	var conns []*sql.Conn
	for i := 0; i < 4; i++ {
		c, err := db.Read().Conn(ctx)
		require.NoError(t, err)
		conns = append(conns, c)
	}
	for i, c := range conns {
		r := fxPragmas(t, c)
		assert.Equal(t, map[string]string{
			"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "5000", "query_only": "1",
		}, r, "reader connection %d", i)
		_, err := c.ExecContext(ctx, `INSERT INTO audit_log(at, action) VALUES (1, 'sneaky')`)
		require.Error(t, err, "reader connection %d must refuse writes", i)
		var se sqlite3.Error
		if assert.ErrorAs(t, err, &se) {
			assert.Equal(t, sqlite3.ErrReadonly, se.Code)
		}
		c.Close()
	}
	assert.Equal(t, 0, fxCount(t, db.Read(), `SELECT count(*) FROM audit_log`))

	// Foreign keys are enforced on writes.
	err := db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO order_line(order_id, line_no, name, qty, unit_price, amount) VALUES (999, 1, 'x', 1, 1, 1)`)
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "FOREIGN KEY")
}

// Write takes the write lock when its transaction begins (BEGIN IMMEDIATE),
// not at its first write, so two writers never deadlock into SQLITE_BUSY
// half-way through a sale.
func TestWriteBeginsImmediate(t *testing.T) {
	ctx := context.Background()
	db := fxOpen(t)
	other, err := sql.Open("sqlite3", "file:"+db.Path()+"?_busy_timeout=0")
	require.NoError(t, err)
	defer other.Close()
	require.NoError(t, other.Ping())

	inTx, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.Write(ctx, func(tx *sql.Tx) error {
			close(inTx) // nothing written yet
			<-release
			return nil
		})
	}()
	<-inTx
	_, err = other.Exec(`BEGIN IMMEDIATE`)
	close(release)
	require.NoError(t, <-done)
	require.Error(t, err, "another connection got the write lock while Write's transaction was open")
	var se sqlite3.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, sqlite3.ErrBusy, se.Code)
}

// Reports (shift summaries, day totals) read several tables and need one
// consistent snapshot: a read transaction on the read pool must work and
// must not see a commit made after it started.
func TestReadTransactionSnapshot(t *testing.T) {
	ctx := context.Background()
	db := fxOpen(t)
	fxSeed(t, db)
	require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error { return fxInsertPaidOrder(ctx, tx, fxOrder("S000001", time.Now())) }))

	rtx, err := db.Read().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	require.NoError(t, err, "a read transaction on the read pool")
	defer rtx.Rollback()
	var n int
	require.NoError(t, rtx.QueryRow(`SELECT count(*) FROM orders`).Scan(&n))
	require.Equal(t, 1, n)

	// A write while the read transaction is open neither waits for it nor is seen by it.
	wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	require.NoError(t, db.Write(wctx, func(tx *sql.Tx) error { return fxInsertPaidOrder(ctx, tx, fxOrder("S000002", time.Now())) }))
	require.NoError(t, rtx.QueryRow(`SELECT count(*) FROM orders`).Scan(&n))
	assert.Equal(t, 1, n, "the snapshot does not move")
	require.NoError(t, rtx.QueryRow(`SELECT count(*) FROM order_line`).Scan(&n))
	assert.Equal(t, 5, n)
	require.NoError(t, rtx.Rollback())
	assert.Equal(t, 2, fxCount(t, db.Read(), `SELECT count(*) FROM orders`))
}

func TestConcurrentReadersDuringWrites(t *testing.T) {
	ctx := context.Background()
	db := fxOpen(t)
	fxSeed(t, db)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 8)
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var orders, lines int
				if err := db.Read().QueryRowContext(ctx, `SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM order_line)`).Scan(&orders, &lines); err != nil {
					errs <- err
					return
				}
				if lines != 5*orders {
					errs <- fmt.Errorf("reader saw %d orders but %d lines: a half-committed sale", orders, lines)
					return
				}
			}
		}()
	}
	for i := 0; i < 100; i++ {
		require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error {
			return fxInsertPaidOrder(ctx, tx, fxOrder(fmt.Sprintf("C%06d", i), time.Now()))
		}))
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// ---- paths SQLite would read as URI syntax ----

func TestOpenPathWithURICharacters(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"POS #2", "100% data", "a?b", "门店 数据"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), name)
			path := filepath.Join(dir, "pos.db")
			db, err := localdb.Open(path)
			require.NoError(t, err)
			fxSeed(t, db)
			bk, err := db.Backup(ctx, "")
			require.NoError(t, err)
			require.NoError(t, db.Close())

			st, err := os.Stat(path)
			require.NoError(t, err, "the database is where it was asked to be")
			assert.Greater(t, st.Size(), int64(4096))
			assert.True(t, strings.HasPrefix(bk, filepath.Join(dir, "backups")+string(filepath.Separator)), bk)
			_, err = os.Stat(bk)
			require.NoError(t, err, "the backup is where Backup says")
			// Nothing landed beside the folder under a cut-off name.
			entries, err := os.ReadDir(filepath.Dir(dir))
			require.NoError(t, err)
			require.Len(t, entries, 1, "only %q should exist in %s", name, filepath.Dir(dir))

			db, err = localdb.Open(path)
			require.NoError(t, err)
			defer db.Close()
			assert.Equal(t, 1, fxCount(t, db.Read(), `SELECT count(*) FROM store`))
		})
	}
}
