package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/localdb"
	"cashier/sync/backoffice/client"
	"cashier/sync/backoffice/server"
)

// Helpers of the push tests (sync_push_*_test.go, synccmd_test.go): a
// terminal's database with real rows written so the outbox triggers fire,
// the record ids on both sides, and child processes (this test binary
// re-executed as `pos sync push` or `pos backoffice serve`) to kill.

// spSeedSQL makes a bare terminal: one store, one till, one person.
const spSeedSQL = `
INSERT INTO merchant(id, code, name, created_at) VALUES (1, 'M1', 'Test merchant', 0);
INSERT INTO store(id, merchant_id, code, name, created_at) VALUES (1, 1, 'S01', '测试门店', 0);
INSERT INTO terminal(id, store_id, code, name, created_at) VALUES (1, 1, 'T1', '1号收银台', 0);
INSERT INTO staff(id, store_id, code, name, role_code, pin_hash, created_at, updated_at) VALUES (1, 1, '1001', '收银员', 'clerk', 'x', 0, 0);
INSERT INTO setting(key, value, updated_at) VALUES ('store_id', '1', 0), ('terminal_id', '1', 0);`

// spTerminalDB is a terminal's database at path with a store, a till and a
// person, nothing queued.
func spTerminalDB(t testing.TB, path string) *localdb.DB {
	t.Helper()
	db, err := localdb.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(spSeedSQL)
		return err
	}))
	return db
}

// spWriteSales writes n paid cash sales the way the counter leaves them —
// the order, two lines, the tender, its takings row — and an audit line
// every 25 sales, from at on, one every step. Each sale is 5 records (and
// each audit line one more). The store, till and person are the folder's
// own. It returns the records written.
func spWriteSales(t testing.TB, db *localdb.DB, prefix string, n int, at time.Time, step time.Duration) int {
	t.Helper()
	records, err := spWriteSalesErr(db, prefix, n, at, step)
	require.NoError(t, err)
	return records
}

func spWriteSalesErr(db *localdb.DB, prefix string, n int, at time.Time, step time.Duration) (int, error) {
	ctx := context.Background()
	records := 0
	for from := 0; from < n; from += 500 {
		to := min(n, from+500)
		err := db.Write(ctx, func(tx *sql.Tx) error {
			var store, term, staff int64
			if err := tx.QueryRow(`SELECT (SELECT CAST(value AS INTEGER) FROM setting WHERE key = 'store_id'),
				(SELECT CAST(value AS INTEGER) FROM setting WHERE key = 'terminal_id'), (SELECT min(id) FROM staff)`).Scan(&store, &term, &staff); err != nil {
				return err
			}
			for i := from; i < to; i++ {
				when := at.Add(time.Duration(i) * step)
				ms := when.UnixMilli()
				res, err := tx.Exec(`INSERT INTO orders(order_no, store_id, terminal_id, staff_id, kind, status, total, payable, paid, created_at, paid_at, note)
					VALUES (?, ?, ?, ?, 'sale', 'paid', 1250, 1250, 1250, ?, ?, ?)`, fmt.Sprintf("%s%08d", prefix, i), store, term, staff, ms, ms, "备注 \"引号\"")
				if err != nil {
					return err
				}
				oid, _ := res.LastInsertId()
				if _, err := tx.Exec(`INSERT INTO order_line(order_id, line_no, barcode, name, qty, unit_price, amount) VALUES
					(?, 1, '6901234567892', '可口可乐 330ml', 2, 350, 700), (?, 2, '6921168509256', '农夫山泉 550ml', 1, 550, 550)`, oid, oid); err != nil {
					return err
				}
				res, err = tx.Exec(`INSERT INTO tender(order_id, kind, amount, state, cash_received, staff_id, created_at, settled_at)
					VALUES (?, 'cash', 1250, 'paid', 2000, ?, ?, ?)`, oid, staff, ms, ms)
				if err != nil {
					return err
				}
				tid, _ := res.LastInsertId()
				local := when.In(app.ChinaTime)
				if _, err := tx.Exec(`INSERT INTO takings(kind, ref, store_id, staff_id, order_id, method, amount, at, business_day)
					VALUES ('sale', ?, ?, ?, ?, 'cash', 1250, ?, ?)`, fmt.Sprintf("tender:%d", tid), store, staff, oid, ms,
					local.Year()*10000+int(local.Month())*100+local.Day()); err != nil {
					return err
				}
				records += 5
				if i%25 == 0 {
					if err := localdb.InsertAudit(ctx, tx, app.AuditEntry{At: when, StaffID: staff, Action: "test_sale", Subject: fmt.Sprint(oid)}); err != nil {
						return err
					}
					records++
				}
			}
			return nil
		})
		if err != nil {
			return records, err
		}
	}
	return records, nil
}

// spTerminalIDs reads every record the terminal holds straight from the
// pushed tables (not from the outbox), with the outbox's version of each.
func spTerminalIDs(t testing.TB, db *localdb.DB) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, db.FoldOutbox(ctx))
	out := map[string]int64{}
	for table := range localdb.OutboxTables() {
		rows, err := db.Read().Query(`SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`, table)
		require.NoError(t, err)
		var pk []string
		for rows.Next() {
			var c string
			require.NoError(t, rows.Scan(&c))
			pk = append(pk, "CAST("+c+" AS TEXT)")
		}
		rows.Close()
		rows, err = db.Read().Query(`SELECT '` + table + `:' || ` + strings.Join(pk, ` || '/' || `) + ` FROM ` + table)
		require.NoError(t, err)
		for rows.Next() {
			var id string
			require.NoError(t, rows.Scan(&id))
			out[id] = 0
		}
		rows.Close()
	}
	rows, err := db.Read().Query(`SELECT key, version FROM sync_outbox`)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var id string
		var v int64
		require.NoError(t, rows.Scan(&id, &v))
		if _, ok := out[id]; ok {
			out[id] = v
		}
	}
	return out
}

// spServerIDs is what the back office holds of a terminal: id → version.
// The store's records are unique by (terminal, topic, id); a second row of
// an id would show here as a count above the ids'.
func spServerIDs(t testing.TB, st server.Store, terminal string) map[string]int64 {
	t.Helper()
	recs, err := st.Records(context.Background(), terminal)
	require.NoError(t, err)
	out := map[string]int64{}
	for _, r := range recs {
		_, dup := out[r.ID]
		require.False(t, dup, "%s held twice", r.ID)
		out[r.ID] = r.Version
	}
	return out
}

// spSameRecords asserts the back office holds exactly the terminal's
// records, each at the terminal's version, and nothing is left unsynced.
func spSameRecords(t testing.TB, db *localdb.DB, st server.Store, terminal string) int {
	t.Helper()
	local := spTerminalIDs(t, db)
	remote := spServerIDs(t, st, terminal)
	assert.Equal(t, len(local), len(remote), "counts")
	var missing, extra, stale []string
	for id, v := range local {
		rv, ok := remote[id]
		switch {
		case !ok:
			missing = append(missing, id)
		case rv != v:
			stale = append(stale, fmt.Sprintf("%s %d≠%d", id, rv, v))
		}
	}
	for id := range remote {
		if _, ok := local[id]; !ok {
			extra = append(extra, id)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	assert.Empty(t, missing, "lost")
	assert.Empty(t, extra, "at the back office only")
	assert.Empty(t, stale, "versions")
	n, err := db.Unsynced(context.Background())
	require.NoError(t, err)
	assert.Zero(t, n, "unsynced")
	return len(local)
}

// spEnrol enrols the terminal db with the back office st serves at url.
func spEnrol(t testing.TB, db *localdb.DB, st server.Store, url string) *client.Client {
	t.Helper()
	ctx := context.Background()
	code, err := st.NewEnrolCode(ctx, "S01", time.Now(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	en, err := client.Enrol(ctx, nil, url, code, "1号收银台")
	require.NoError(t, err)
	require.NoError(t, db.SetSyncPeer(ctx, localdb.SyncPeer{URL: url, Terminal: en.Terminal, StoreCode: en.Store, Secret: en.Secret, EnrolledAt: time.Now()}, nil))
	c, _, err := syncClient(ctx, db, nil)
	require.NoError(t, err)
	return c
}

// spKey writes a seal key file for a back office started as a child, so
// the test can open the same database with it.
func spKey(t testing.TB) (file string, key []byte) {
	t.Helper()
	key = make([]byte, 32)
	_, err := rand.Read(key)
	require.NoError(t, err)
	file = filepath.Join(t.TempDir(), "seal.key")
	require.NoError(t, os.WriteFile(file, key, 0o600))
	return file, key
}

// spFreeAddr is a loopback address nothing listens on (yet).
func spFreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	return addr
}

// ---- child processes ----

const syncChildEnv = "POS_SYNC_CHILD"

// TestSyncChild is a child of the push tests: `pos` with the arguments it
// was given, exiting with the command's code.
func TestSyncChild(t *testing.T) {
	args := os.Getenv(syncChildEnv)
	if args == "" {
		t.Skip("runs as a child of the sync push tests")
	}
	var a []string
	if err := json.Unmarshal([]byte(args), &a); err != nil {
		t.Fatal(err)
	}
	os.Exit(run(a, os.Stdout, os.Stderr))
}

// spChild is a pos command running in a child process.
type spChild struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	err  error
}

// spStart starts `pos args…` (in English) as a child process.
func spStart(t testing.TB, args ...string) *spChild {
	t.Helper()
	b, err := json.Marshal(append([]string{"--lang", "en"}, args...))
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^TestSyncChild$")
	cmd.Env = append(os.Environ(), syncChildEnv+"="+string(b))
	c := &spChild{cmd: cmd, out: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = c.out, c.out
	require.NoError(t, cmd.Start())
	go func() { c.err = cmd.Wait(); close(c.done) }()
	t.Cleanup(func() {
		select {
		case <-c.done:
		default:
			_ = cmd.Process.Kill()
			<-c.done
		}
	})
	return c
}

// kill ends the child with SIGKILL and checks that is how it ended.
func (c *spChild) kill(t testing.TB) {
	t.Helper()
	require.NoError(t, c.cmd.Process.Signal(syscall.SIGKILL))
	<-c.done
	var ee *exec.ExitError
	require.ErrorAs(t, c.err, &ee, "the child must die by the kill, not finish:\n%s", c.out.String())
	ws := ee.Sys().(syscall.WaitStatus)
	require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "child: %v", c.err)
}

// wait waits for the child to end by itself and returns its exit code.
func (c *spChild) wait(t testing.TB, within time.Duration) int {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(within):
		_ = c.cmd.Process.Kill()
		t.Fatalf("the child did not end within %s:\n%s", within, c.out.String())
	}
	return c.cmd.ProcessState.ExitCode()
}

var spServingRE = regexp.MustCompile(`serving at (http://\S+)`)

// spServe starts `pos backoffice serve` on db (a SQLite file or a
// postgres:// URL) with the seal key file, at addr ("127.0.0.1:0" for any
// port), and returns it with the address it serves at.
func spServe(t testing.TB, db, keyFile, addr string) (*spChild, string) {
	t.Helper()
	c := spStart(t, "backoffice", "serve", "--db", db, "--key", keyFile, "--listen", addr)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := spServingRE.FindStringSubmatch(c.out.String()); m != nil {
			return c, m[1]
		}
		select {
		case <-c.done:
			t.Fatalf("pos backoffice serve ended:\n%s", c.out.String())
		default:
		}
		require.True(t, time.Now().Before(deadline), "pos backoffice serve did not start:\n%s", c.out.String())
		time.Sleep(5 * time.Millisecond)
	}
}

// spWait polls cond every few milliseconds until it holds or the deadline passes.
func spWait(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		require.True(t, time.Now().Before(deadline), "timed out waiting for %s", what)
		time.Sleep(2 * time.Millisecond)
	}
}
