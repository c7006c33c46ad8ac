package localdb_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/settings"
	"cashier/localdb"
)

// auditDB is a closed database file with n chained audit rows (ids 1..n)
// by staff C1 (id 1), or nobody for every third row.
func auditDB(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pos.db")
	db, err := localdb.Open(path)
	require.NoError(t, err)
	fxSeed(t, db)
	ctx := context.Background()
	base := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		e := app.AuditEntry{At: base.Add(time.Duration(i) * time.Minute), StaffID: 1, Action: "login", Subject: fmt.Sprintf("s%d", i), Detail: fmt.Sprintf("d%d", i)}
		if i%3 == 0 {
			e.StaffID, e.Action = 0, "settings"
		}
		require.NoError(t, db.Audit(ctx, e))
	}
	require.NoError(t, db.Close())
	return path
}

// sqliteTool runs the sqlite3 command-line tool on a database file: what
// someone with the file and the tool can do. Its absence is a failed test
// (make deps installs it), never a skipped one.
func sqliteTool(t *testing.T, path, script string) (string, error) {
	t.Helper()
	bin, err := exec.LookPath("sqlite3")
	require.NoError(t, err, "the sqlite3 command-line tool is needed (make deps installs it)")
	out, err := exec.Command(bin, path, script).CombinedOutput()
	return string(out), err
}

func mustSQLite3(t *testing.T, path, script string) {
	t.Helper()
	out, err := sqliteTool(t, path, script)
	require.NoError(t, err, out)
}

func verify(t *testing.T, path string) localdb.AuditCheck {
	t.Helper()
	db, err := localdb.OpenExisting(path)
	require.NoError(t, err)
	defer db.Close()
	c, err := db.VerifyAudit(context.Background())
	require.NoError(t, err)
	return c
}

const dropTriggers = `DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_head_no_delete;`

func TestAuditChain_IntactVerifies(t *testing.T) {
	path := auditDB(t, 10)
	c := verify(t, path)
	assert.True(t, c.OK(), "%+v", c)
	assert.Equal(t, int64(10), c.Rows)
	assert.Equal(t, app.Msg("audit.verify.ok", "Rows", int64(10)), c.Message())
}

// The triggers refuse a change or a deletion through SQL, the app's own
// connection and the sqlite3 tool alike.
func TestAuditChain_TriggersRefuseUpdateAndDelete(t *testing.T) {
	path := auditDB(t, 3)
	for _, q := range []string{
		`UPDATE audit_log SET detail='x' WHERE id=2`,
		`DELETE FROM audit_log WHERE id=3`,
		`DELETE FROM audit_head`,
		// REPLACE deletes the row in its way without firing delete
		// triggers (recursive triggers are off): an edit in one statement.
		`REPLACE INTO audit_log(id, at, staff_id, action, subject, detail, prev, hash, key_id)
		 SELECT id, at, staff_id, action, subject, 'x', prev, hash, key_id FROM audit_log WHERE id=2`,
		`INSERT OR REPLACE INTO audit_log(id, at, action) VALUES (3, 1, 'login')`,
	} {
		out, err := sqliteTool(t, path, q)
		require.Error(t, err, q)
		assert.Contains(t, out, "audit_", q)
	}
	db, err := localdb.Open(path)
	require.NoError(t, err)
	defer db.Close()
	err = db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE audit_log SET detail='x' WHERE id=2`)
		return err
	})
	require.ErrorContains(t, err, "append-only")
	c, err := db.VerifyAudit(context.Background())
	require.NoError(t, err)
	assert.True(t, c.OK(), "%+v", c)
}

// Each way of tampering with the sqlite3 tool on the closed file is named
// by the first broken row and why, and stays named after the app has
// opened the folder and written more lines.
func TestAuditChain_DetectsTamperingWithTheSQLiteTool(t *testing.T) {
	const n = 8
	cases := []struct {
		name   string
		script string
		id     int64
		reason string
	}{
		{"changed detail", `UPDATE audit_log SET detail='d3 (edited)' WHERE id=3`, 3, localdb.AuditChanged},
		{"changed action", `UPDATE audit_log SET action='login' WHERE id=6`, 6, localdb.AuditChanged},
		{"changed time", `UPDATE audit_log SET at=at+1 WHERE id=2`, 2, localdb.AuditChanged},
		{"time made text", `UPDATE audit_log SET at='yesterday' WHERE id=2`, 2, localdb.AuditChanged},
		{"staff removed", `UPDATE audit_log SET staff_id=NULL WHERE id=4`, 4, localdb.AuditChanged},
		{"hash of another row", `UPDATE audit_log SET hash=(SELECT hash FROM audit_log WHERE id=2) WHERE id=5`, 5, localdb.AuditChanged},
		{"deleted in the middle", `DELETE FROM audit_log WHERE id=4`, 4, localdb.AuditMissing},
		{"deleted the first", `DELETE FROM audit_log WHERE id=1`, 1, localdb.AuditMissing},
		{"deleted the last", `DELETE FROM audit_log WHERE id=8`, 8, localdb.AuditMissing},
		{"deleted the last two", `DELETE FROM audit_log WHERE id>=7`, 7, localdb.AuditMissing},
		{"deleted everything", `DELETE FROM audit_log`, 1, localdb.AuditMissing},
		{"deleted the last and moved the head back",
			`DELETE FROM audit_log WHERE id=8; UPDATE audit_head SET last_id=7, last_hash=(SELECT hash FROM audit_log WHERE id=7)`, 8, localdb.AuditHead},
		{"deleted the last and the head", `DELETE FROM audit_log WHERE id=8; DELETE FROM audit_head`, 8, localdb.AuditHead},
		{"inserted at the end", `INSERT INTO audit_log(at, staff_id, action, subject, detail) VALUES (1, 1, 'refund', 'O1', 'forged')`, 9, localdb.AuditInserted},
		{"inserted at the end with a copied chain",
			`INSERT INTO audit_log(id, at, staff_id, action, subject, detail, prev, hash, key_id)
			 SELECT 9, at, staff_id, 'refund', subject, detail, hash, hash, key_id FROM audit_log WHERE id=8`, 9, localdb.AuditInserted},
		{"inserted in the middle",
			`UPDATE audit_log SET id=id+100 WHERE id>=5; UPDATE audit_log SET id=id-99 WHERE id>=100;
			 INSERT INTO audit_log(id, at, staff_id, action, subject, detail, prev, hash, key_id)
			 SELECT 5, at, staff_id, 'refund', 'O1', 'forged', hash, hash, key_id FROM audit_log WHERE id=4`, 5, localdb.AuditInserted},
		{"inserted before the first", `INSERT INTO audit_log(id, at, action) VALUES (0, 1, 'void')`, 0, localdb.AuditInserted},
		{"head changed", `UPDATE audit_head SET last_id=9`, 9, localdb.AuditHead},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := auditDB(t, n)
			mustSQLite3(t, path, dropTriggers+tc.script)
			c := verify(t, path)
			assert.False(t, c.OK())
			assert.Equal(t, tc.reason, c.Reason, "%+v", c)
			assert.Equal(t, tc.id, c.BrokenID, "%+v", c)
			assert.Equal(t, "audit.verify."+tc.reason, c.Message().Code)
			assert.Equal(t, tc.id, c.Message().Args["ID"])

			// The app opens the folder and goes on writing: the break stays.
			db, err := localdb.Open(path)
			require.NoError(t, err)
			require.NoError(t, db.Audit(context.Background(), app.AuditEntry{StaffID: 1, Action: "login"}))
			require.NoError(t, db.Close())
			after := verify(t, path)
			assert.False(t, after.OK(), "%+v", after)
			assert.Equal(t, tc.id, after.BrokenID, "%+v", after)
		})
	}
}

// The head under a key audit.key does not hold is what a lost key leaves,
// but only when the newest row was sealed with that same key too: a head
// given a made-up key id (its MAC then goes unchecked) after the last rows
// were deleted is a head tampered with, named at the first row gone, and
// the app writing on must not bless it.
func TestAuditChain_HeadUnderAMadeUpKeyID(t *testing.T) {
	path := auditDB(t, 8)
	mustSQLite3(t, path, dropTriggers+`DELETE FROM audit_log WHERE id=8;
		UPDATE audit_head SET last_id=7, last_hash=(SELECT hash FROM audit_log WHERE id=7), key_id='0000000000000000'`)
	c := verify(t, path)
	assert.Equal(t, localdb.AuditHead, c.Reason, "%+v", c)
	assert.Equal(t, int64(8), c.BrokenID, "%+v", c)

	db, err := localdb.Open(path)
	require.NoError(t, err)
	require.NoError(t, db.Audit(context.Background(), app.AuditEntry{StaffID: 1, Action: "login"}))
	require.NoError(t, db.Close())
	after := verify(t, path)
	assert.False(t, after.OK(), "%+v", after)
	assert.Equal(t, localdb.AuditHead, after.Reason, "%+v", after)
	assert.Equal(t, int64(8), after.BrokenID, "%+v", after)
}

// A head found broken is rebuilt with the point it was lost at, under the
// key; a made-up key id on the head (with the point set back to none) must
// not clear the break. It is then named where the key change was written
// (row 7), one row after the original point (the app's own login at 6).
func TestAuditChain_LostPointSurvivesAMadeUpKeyID(t *testing.T) {
	path := auditDB(t, 6)
	mustSQLite3(t, path, dropTriggers+`DELETE FROM audit_log WHERE id=6; DELETE FROM audit_head`)
	db, err := localdb.Open(path)
	require.NoError(t, err)
	require.NoError(t, db.Audit(context.Background(), app.AuditEntry{StaffID: 1, Action: "login"}))
	require.NoError(t, db.Close())
	c := verify(t, path)
	require.Equal(t, localdb.AuditHead, c.Reason, "%+v", c)
	require.Equal(t, int64(6), c.BrokenID, "%+v", c)

	mustSQLite3(t, path, `UPDATE audit_head SET lost_at=0, key_id='0000000000000000'`)
	db, err = localdb.Open(path)
	require.NoError(t, err)
	require.NoError(t, db.Audit(context.Background(), app.AuditEntry{StaffID: 1, Action: "login"}))
	require.NoError(t, db.Close())
	c = verify(t, path)
	assert.False(t, c.OK(), "%+v", c)
	assert.Equal(t, localdb.AuditHead, c.Reason, "%+v", c)
	assert.Equal(t, int64(7), c.BrokenID, "%+v", c)
}

// Without the triggers dropped, the tool cannot even try (the check above
// drops them to show the chain holds without them).
func TestAuditChain_ForgedRowWithoutDroppingTriggers(t *testing.T) {
	path := auditDB(t, 4)
	mustSQLite3(t, path, `INSERT INTO audit_log(at, action, detail) VALUES (1, 'refund', 'forged')`)
	c := verify(t, path)
	assert.Equal(t, localdb.AuditInserted, c.Reason)
	assert.Equal(t, int64(5), c.BrokenID)
}

// The key file: lost, the rows cannot be vouched for (key); another key
// in its place, the same; the old key back, the chain verifies again, and
// rows written meanwhile under a new key verify with both keys in the
// file.
func TestAuditChain_KeyFile(t *testing.T) {
	path := auditDB(t, 3)
	keyFile := filepath.Join(filepath.Dir(path), localdb.AuditKeyFile)
	st, err := os.Stat(keyFile)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	key, err := os.ReadFile(keyFile)
	require.NoError(t, err)

	require.NoError(t, os.Remove(keyFile))
	c := verify(t, path)
	assert.Equal(t, localdb.AuditKey, c.Reason)
	assert.Equal(t, int64(1), c.BrokenID)

	require.NoError(t, os.WriteFile(keyFile, []byte(strings.Repeat("ab", 32)+"\n"), 0o600))
	c = verify(t, path)
	assert.Equal(t, localdb.AuditKey, c.Reason)

	require.NoError(t, os.WriteFile(keyFile, key, 0o600))
	assert.True(t, verify(t, path).OK())
}

// A key file that is lost while nothing runs: the next start makes a new
// key and goes on; the old rows are named (key) until the old key is
// appended to the file.
func TestAuditChain_NewKeyAfterALostOne(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pos.db")
	// The writer's key is read once per process and file; a copy in a new
	// folder is a file this process has not seen.
	src := auditDB(t, 3)
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
	oldKey, err := os.ReadFile(filepath.Join(filepath.Dir(src), localdb.AuditKeyFile))
	require.NoError(t, err)

	db, err := localdb.Open(path)
	require.NoError(t, err)
	require.NoError(t, db.Audit(context.Background(), app.AuditEntry{StaffID: 1, Action: "login"}))
	c, err := db.VerifyAudit(context.Background())
	require.NoError(t, err)
	require.NoError(t, db.Close())
	assert.Equal(t, localdb.AuditKey, c.Reason)
	assert.Equal(t, int64(1), c.BrokenID)

	newKey, err := os.ReadFile(filepath.Join(dir, localdb.AuditKeyFile))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, localdb.AuditKeyFile), append(oldKey, newKey...), 0o600))
	c = verify(t, path)
	assert.True(t, c.OK(), "%+v", c)
	assert.Equal(t, int64(5), c.Rows, "three rows, the key change, the login")
	db, err = localdb.OpenExisting(path)
	require.NoError(t, err)
	defer db.Close()
	rows, err := db.ListAudit(context.Background(), localdb.AuditFilter{})
	require.NoError(t, err)
	assert.Equal(t, "audit_key_changed", rows[1].Action, "the head the old key sealed is kept in the chain")
}

// A version-4 database with audit lines goes to the latest version: the
// old rows keep their ids and fields, are sealed into the chain at the
// first writable open (one sealing line says so) and verify; until then
// (pos db migrate alone) they are pending, which is not a break.
func TestAuditChain_SealsRowsWrittenBeforeTheChain(t *testing.T) {
	ctx := context.Background()
	db, _ := fxAtVersion(t, 4)
	path := db.Path()
	fxSeed(t, db)
	require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO audit_log(id, at, staff_id, action, subject, detail) VALUES
			(1, 1000, 1, 'login', '', ''), (2, 2000, NULL, 'seed', '', 'demo data'), (5, 3000, 1, 'refund', 'O1', '12.00')`)
		return err
	}))
	c, err := db.VerifyAudit(ctx)
	require.ErrorIs(t, err, localdb.ErrAuditNoChain, "a version-4 file opened read-only has no chain to verify")

	_, err = db.Migrate(ctx, localdb.Migrations(), false)
	require.NoError(t, err)
	c, err = db.VerifyAudit(ctx)
	require.NoError(t, err)
	assert.True(t, c.OK())
	assert.True(t, c.Pending)
	assert.Equal(t, int64(3), c.Rows)
	assert.Equal(t, "audit.verify.pending", c.Message().Code)
	require.NoError(t, db.Close())

	db, err = localdb.Open(path)
	require.NoError(t, err)
	defer db.Close()
	c, err = db.VerifyAudit(ctx)
	require.NoError(t, err)
	assert.True(t, c.OK(), "%+v", c)
	assert.False(t, c.Pending)
	assert.Equal(t, int64(4), c.Rows, "three old rows and the sealing line")
	rows, err := db.ListAudit(ctx, localdb.AuditFilter{})
	require.NoError(t, err)
	require.Len(t, rows, 4)
	assert.Equal(t, "audit_sealed", rows[0].Action)
	assert.Equal(t, "rows=3", rows[0].Detail)
	assert.Equal(t, []int64{6, 5, 2, 1}, []int64{rows[0].ID, rows[1].ID, rows[2].ID, rows[3].ID})
	assert.Equal(t, "12.00", rows[1].Detail)
	assert.Equal(t, "C1", rows[1].StaffCode)

	// Reopening seals nothing again; new lines join the chain.
	require.NoError(t, db.Close())
	db, err = localdb.Open(path)
	require.NoError(t, err)
	require.NoError(t, db.Audit(ctx, app.AuditEntry{StaffID: 1, Action: "logout"}))
	c, err = db.VerifyAudit(ctx)
	require.NoError(t, err)
	assert.True(t, c.OK(), "%+v", c)
	assert.Equal(t, int64(5), c.Rows)
}

// A head set back to "pending" over sealed rows (to have them sealed
// again after changing them) is a break, and the app does not reseal.
func TestAuditChain_HeadSetBackToPending(t *testing.T) {
	path := auditDB(t, 4)
	mustSQLite3(t, path, dropTriggers+`UPDATE audit_log SET detail='edited' WHERE id=2; UPDATE audit_head SET last_id=-1`)
	c := verify(t, path)
	assert.Equal(t, localdb.AuditHead, c.Reason)
	assert.Equal(t, int64(1), c.BrokenID)

	mustSQLite3(t, path, `UPDATE audit_log SET prev=NULL, hash=NULL, key_id=NULL`)
	c = verify(t, path)
	assert.Equal(t, localdb.AuditHead, c.Reason, "the key file shows a chain existed")

	// The app seals them again (it must go on working) and says so in a
	// line that verifying stops at.
	db, err := localdb.Open(path)
	require.NoError(t, err)
	require.NoError(t, db.Audit(context.Background(), app.AuditEntry{StaffID: 1, Action: "login"}))
	require.NoError(t, db.Close())
	c = verify(t, path)
	assert.Equal(t, localdb.AuditResealed, c.Reason, "%+v", c)
	assert.Equal(t, int64(5), c.BrokenID)
	assert.Equal(t, "audit.verify.resealed", c.Message().Code)
}

func TestAuditList_Filters(t *testing.T) {
	ctx := context.Background()
	db := fxOpen(t)
	fxSeed(t, db)
	require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO staff(id, store_id, code, name, role_code, pin_hash, created_at, updated_at)
			VALUES (2, 1, 'M1', '王店长', 'manager', 'x', 0, 0)`)
		return err
	}))
	day := func(d, h int) time.Time { return time.Date(2025, 3, d, h, 0, 0, 0, time.UTC) }
	for _, e := range []app.AuditEntry{
		{At: day(1, 9), StaffID: 1, Action: "login"},
		{At: day(1, 10), StaffID: 2, Action: "refund", Subject: "O1"},
		{At: day(2, 9), StaffID: 1, Action: "login"},
		{At: day(2, 12), StaffID: 2, Action: "void", Subject: "O2"},
		{At: day(3, 9), Action: "settings", Subject: "store"},
	} {
		require.NoError(t, db.Audit(ctx, e))
	}
	ids := func(f localdb.AuditFilter) []int64 {
		t.Helper()
		rows, err := db.ListAudit(ctx, f)
		require.NoError(t, err)
		out := []int64{}
		for _, r := range rows {
			out = append(out, r.ID)
		}
		return out
	}
	assert.Equal(t, []int64{5, 4, 3, 2, 1}, ids(localdb.AuditFilter{}), "newest first")
	assert.Equal(t, []int64{4, 3}, ids(localdb.AuditFilter{From: day(2, 0), To: day(3, 0)}))
	assert.Equal(t, []int64{5, 4, 3}, ids(localdb.AuditFilter{From: day(2, 0)}))
	assert.Equal(t, []int64{4, 2}, ids(localdb.AuditFilter{StaffCode: "M1"}))
	assert.Equal(t, []int64{3, 1}, ids(localdb.AuditFilter{Action: "login"}))
	assert.Equal(t, []int64{3}, ids(localdb.AuditFilter{Action: "login", StaffCode: "C1", From: day(2, 0)}))
	assert.Equal(t, []int64{}, ids(localdb.AuditFilter{StaffCode: "nobody"}))
	assert.Equal(t, []int64{5, 4}, ids(localdb.AuditFilter{Limit: 2}))
	assert.Equal(t, []int64{3, 2}, ids(localdb.AuditFilter{Limit: 2, Before: 4}), "the next page")

	rows, err := db.ListAudit(ctx, localdb.AuditFilter{Action: "refund"})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.Equal(t, localdb.AuditRow{ID: 2, At: day(1, 10).Local(), StaffID: 2, StaffCode: "M1", StaffName: "王店长", Action: "refund", Subject: "O1"}, rows[0])

	people, err := db.AuditPeople(ctx)
	require.NoError(t, err)
	assert.Equal(t, []localdb.AuditPerson{{"C1", "Clerk"}, {"M1", "王店长"}}, people)
}

// Verifying is one streaming pass: its cost per row is measured against
// reading the same rows without checking them (the floor of any check),
// in the same run (docs/audit.md: a million rows verify in about 2 s).
func BenchmarkVerifyAudit(b *testing.B) {
	const n = 50_000
	ctx := context.Background()
	db, err := localdb.Open(filepath.Join(b.TempDir(), "pos.db"))
	require.NoError(b, err)
	defer db.Close()
	fxSeed(b, db)
	require.NoError(b, db.Write(ctx, func(tx *sql.Tx) error {
		for i := 0; i < n; i++ {
			if err := localdb.InsertAudit(ctx, tx, app.AuditEntry{StaffID: 1, Action: "login", Subject: "T1", Detail: fmt.Sprintf("attempt %d", i)}); err != nil {
				return err
			}
		}
		return nil
	}))
	b.Run("ScanBaseline", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			rows, err := db.Read().QueryContext(ctx, `SELECT id, at, staff_id, action, subject, detail, prev, hash, key_id FROM audit_log ORDER BY id`)
			require.NoError(b, err)
			var id int64
			var at, staff any
			var action, subject, detail, prev, hash, key sql.RawBytes
			k := 0
			for rows.Next() {
				require.NoError(b, rows.Scan(&id, &at, &staff, &action, &subject, &detail, &prev, &hash, &key))
				k++
			}
			require.NoError(b, rows.Err())
			rows.Close()
			require.Equal(b, n, k)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/row")
	})
	b.Run("Verify", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			c, err := db.VerifyAudit(ctx)
			require.NoError(b, err)
			require.Equal(b, int64(n), c.Rows)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/row")
	})
}

// BenchmarkAuditInSale is what one audit line adds to a sale's durable
// commit (a refund, a void and a deposit operation write theirs inside the
// money transaction): the same 5-line paid order committed with and without
// an InsertAudit, on a log of 100,000 lines, in the same run.
func BenchmarkAuditInSale(b *testing.B) {
	ctx := context.Background()
	dir, err := os.MkdirTemp(fxBenchDir(), "poscashier-audit-")
	require.NoError(b, err)
	b.Cleanup(func() { os.RemoveAll(dir) })
	db, err := localdb.Open(filepath.Join(dir, "pos.db"))
	require.NoError(b, err)
	b.Cleanup(func() { db.Close() })
	fxSeed(b, db)
	require.NoError(b, db.Write(ctx, func(tx *sql.Tx) error {
		for i := 0; i < 100_000; i++ {
			if err := localdb.InsertAudit(ctx, tx, app.AuditEntry{StaffID: 1, Action: "login", Detail: fmt.Sprintf("attempt %d", i)}); err != nil {
				return err
			}
		}
		return nil
	}))
	n := 0
	sale := func(b *testing.B, audit bool) {
		now := time.Now()
		orders := make([]*app.Order, b.N)
		for i := range orders {
			n++
			orders[i] = fxOrder(fmt.Sprintf("AUDIT%010d", n), now)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			o := orders[i]
			err := db.Write(ctx, func(tx *sql.Tx) error {
				if err := fxInsertPaidOrder(ctx, tx, o); err != nil || !audit {
					return err
				}
				return localdb.InsertAudit(ctx, tx, app.AuditEntry{At: now, StaffID: 1, Action: "refund", Subject: o.OrderNo, Detail: "R1 12.50"})
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("SaleWithoutAudit", func(b *testing.B) { sale(b, false) })
	b.Run("SaleWithAudit", func(b *testing.B) { sale(b, true) })
	// The line alone in a transaction that is rolled back, against the
	// same transaction without it: what the line costs without any commit.
	stop := errors.New("roll back")
	b.Run("EmptyRolledBack", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			err := db.Write(ctx, func(tx *sql.Tx) error {
				var one int
				if err := tx.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
					return err
				}
				return stop
			})
			if !errors.Is(err, stop) {
				b.Fatal(err)
			}
		}
	})
	b.Run("InsertAuditRolledBack", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			err := db.Write(ctx, func(tx *sql.Tx) error {
				if err := localdb.InsertAudit(ctx, tx, app.AuditEntry{StaffID: 1, Action: "refund", Subject: "O1"}); err != nil {
					return err
				}
				return stop
			})
			if !errors.Is(err, stop) {
				b.Fatal(err)
			}
		}
	})
}

// Settings changes are audited with what changed (never the whole record,
// never a secret); a save that changes nothing writes no line.
func TestAuditSettings_SayWhatChanged(t *testing.T) {
	ctx := context.Background()
	db := fxOpen(t)
	fxSeed(t, db)
	require.NoError(t, db.SetSetting(ctx, localdb.SettingStoreID, "1"))
	require.NoError(t, db.SetSetting(ctx, localdb.SettingTerminalID, "1"))
	lines := func() []localdb.AuditRow {
		t.Helper()
		rows, err := db.ListAudit(ctx, localdb.AuditFilter{Action: "settings"})
		require.NoError(t, err)
		return rows
	}
	st, err := db.CurrentStore(ctx)
	require.NoError(t, err)
	st.Phone = "0755-8888"
	st.Name = "好邻居（科技园店）"
	require.NoError(t, db.UpdateStore(ctx, st, 1))
	require.NoError(t, db.UpdateStore(ctx, st, 1), "the same again")
	term, err := db.CurrentTerminal(ctx)
	require.NoError(t, err)
	term.CashierMode = app.ModeDeposit
	require.NoError(t, db.UpdateTerminal(ctx, term, 1))
	require.NoError(t, db.UpdateTerminal(ctx, term, 1), "the same again")
	require.NoError(t, settings.Service{Store: db}.SaveLanguage(ctx, "en"))

	got := lines()
	require.Len(t, got, 3, "one line per change; saving the same writes none")
	assert.Equal(t, "language", got[0].Subject)
	assert.Equal(t, `"" -> "en"`, got[0].Detail)
	assert.Equal(t, "terminal", got[1].Subject)
	assert.Equal(t, `cashier_mode: "sale_deposit" -> "deposit"`, got[1].Detail)
	assert.Equal(t, int64(1), got[1].StaffID)
	assert.Equal(t, "store", got[2].Subject)
	assert.Equal(t, `name: "Test store" -> "好邻居（科技园店）"; phone: "" -> "0755-8888"`, got[2].Detail)
	c, err := db.VerifyAudit(ctx)
	require.NoError(t, err)
	assert.True(t, c.OK())
}

func TestAuditChanges(t *testing.T) {
	assert.Equal(t, "", localdb.AuditChanges("a", "x", "x"))
	assert.Equal(t, `b: "" -> "y"`, localdb.AuditChanges("a", "x", "x", "b", "", "y"))
	assert.Equal(t, `a: "1" -> "2"; b: "q\"" -> ""`, localdb.AuditChanges("a", "1", "2", "b", `q"`, ""))
}
