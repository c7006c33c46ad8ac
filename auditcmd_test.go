package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/sale"
	"cashier/localdb"
)

// auditFolder is a demo data folder with a few audit lines beyond the
// seed's: logins (one failed) by the demo staff.
func auditFolder(t *testing.T) string {
	t.Helper()
	dir := demoFolder(t)
	ctx := context.Background()
	s, err := Open(ctx, Options{DataDir: dir, Command: "test", Lock: true, Seed: true})
	require.NoError(t, err)
	defer s.Close()
	for _, l := range []struct{ code, pin string }{{"1001", "8888"}, {"1002", "1234"}, {"1002", "0000"}, {"1003", "5678"}, {"1001", "8888"}} {
		_, _ = s.Auth.Login(ctx, l.code, l.pin)
	}
	return dir
}

// copyFolder copies what the audit commands read: the database and the
// audit key.
func copyFolder(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	for _, f := range []string{"pos.db", localdb.AuditKeyFile} {
		b, err := os.ReadFile(filepath.Join(src, f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dst, f), b, 0o600))
	}
	return dst
}

// sqliteTool runs the sqlite3 command-line tool on the folder's closed
// database, as someone at the machine could.
func sqliteTool(t *testing.T, dir, script string) {
	t.Helper()
	bin, err := exec.LookPath("sqlite3")
	require.NoError(t, err, "the sqlite3 command-line tool is needed (make deps installs it)")
	out, err := exec.Command(bin, dbPath(dir), script).CombinedOutput()
	require.NoError(t, err, string(out))
}

func auditCount(t *testing.T, dir string) int64 {
	t.Helper()
	db, err := localdb.OpenExisting(dbPath(dir))
	require.NoError(t, err)
	defer db.Close()
	var n int64
	require.NoError(t, db.Read().QueryRow(`SELECT count(*) FROM audit_log`).Scan(&n))
	return n
}

const dropAuditTriggers = `DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_head_no_delete; `

// The "Must show": pos audit verify exits 0 on an untouched log and
// non-zero naming the row after a row is changed, deleted or inserted with
// the sqlite3 tool.
func TestAuditCLI_VerifyNamesTheRowTamperedWith(t *testing.T) {
	base := auditFolder(t)
	n := auditCount(t, base)
	require.GreaterOrEqual(t, n, int64(6))

	code, out, errs := runCmd(t, nil, "audit", "verify", "--data-dir", base)
	require.Equal(t, exitOK, code, out+errs)
	assert.Equal(t, "audit log intact: "+idStr(n)+" rows verified\n", out)

	cases := []struct {
		name, script, want string
	}{
		{"changed", `UPDATE audit_log SET detail='nothing happened' WHERE id=3`, "audit log broken at row 3: the row was changed"},
		{"deleted in the middle", `DELETE FROM audit_log WHERE id=4`, "audit log broken at row 4: the row is missing, it was deleted"},
		{"deleted the last", `DELETE FROM audit_log WHERE id=` + idStr(n), "audit log broken at row " + idStr(n) + ": the row is missing"},
		{"inserted", `INSERT INTO audit_log(at, staff_id, action, subject, detail) VALUES (1, 2, 'refund', 'SZ1', 'forged')`,
			"audit log broken at row " + idStr(n+1) + ": the row was inserted"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyFolder(t, base)
			sqliteTool(t, dir, dropAuditTriggers+tc.script)
			code, out, errs := runCmd(t, nil, "audit", "verify", "--data-dir", dir)
			assert.Equal(t, exitFailed, code, out+errs)
			assert.Empty(t, out)
			assert.Contains(t, errs, "pos audit verify: "+tc.want)
		})
	}

	// In Chinese too (the folder's language by default).
	dir := copyFolder(t, base)
	sqliteTool(t, dir, dropAuditTriggers+`UPDATE audit_log SET detail='x' WHERE id=2`)
	code, _, errs = runCmdLang(t, nil, "", "audit", "verify", "--data-dir", dir)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errs, "审计记录被篡改：第 2 条的内容被改过")
}

// The commands only read: they work beside the app holding the folder's
// lock, and change nothing in the folder — not even by checkpointing the
// app's write-ahead log into pos.db when they close (the app has written
// since it opened, so the log holds pages).
func TestAuditCLI_ReadsBesideARunningApp(t *testing.T) {
	dir := auditFolder(t)
	s, err := Open(context.Background(), Options{DataDir: dir, Command: "test", Lock: true})
	require.NoError(t, err)
	defer s.Close()
	_, _ = s.Auth.Login(context.Background(), "1001", "8888")
	before := folderSums(t, dir)
	code, out, errs := runCmd(t, nil, "audit", "verify", "--data-dir", dir)
	require.Equal(t, exitOK, code, out+errs)
	code, out, errs = runCmd(t, nil, "audit", "list", "--data-dir", dir)
	require.Equal(t, exitOK, code, out+errs)
	after := folderSums(t, dir)
	for f := range before {
		if strings.HasSuffix(f, "-shm") {
			delete(before, f) // readers mark the shared-memory index; no data is in it
			delete(after, f)
		}
	}
	assert.Equal(t, before, after)
}

func TestAuditCLI_List(t *testing.T) {
	dir := auditFolder(t)

	// Table: newest first, actions in words, people by number and name.
	code, out, errs := runCmd(t, nil, "audit", "list", "--data-dir", dir)
	require.Equal(t, exitOK, code, out+errs)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.GreaterOrEqual(t, len(lines), 7)
	assert.Contains(t, lines[0], "Time")
	assert.Contains(t, lines[0], "Action")
	assert.Contains(t, lines[1], "1001 王店长")
	assert.Contains(t, lines[1], "log in")
	assert.Contains(t, out, "failed login")
	assert.Contains(t, out, "demo data")
	assert.NotContains(t, out, "login_failed", "codes are shown in words")

	// JSON, filtered by person and action.
	code, out, errs = runCmd(t, nil, "audit", "list", "--data-dir", dir, "--staff", "1002", "--format", "json")
	require.Equal(t, exitOK, code, out+errs)
	var rows []auditJSON
	require.NoError(t, json.Unmarshal([]byte(out), &rows))
	require.Len(t, rows, 2)
	assert.Equal(t, "login_failed", rows[0].Action)
	assert.Equal(t, "failed login (wrong PIN)", rows[0].ActionName)
	assert.Equal(t, "login", rows[1].Action)
	for _, r := range rows {
		assert.Equal(t, "1002", r.StaffCode)
		assert.Equal(t, "李娜", r.StaffName)
		_, err := time.Parse(time.RFC3339, r.At)
		assert.NoError(t, err)
	}
	code, out, errs = runCmd(t, nil, "audit", "list", "--data-dir", dir, "--action", "login", "--format", "json", "--limit", "2")
	require.Equal(t, exitOK, code, out+errs)
	rows = nil
	require.NoError(t, json.Unmarshal([]byte(out), &rows))
	require.Len(t, rows, 2)
	assert.Equal(t, "1001", rows[0].StaffCode)
	assert.Equal(t, "1003", rows[1].StaffCode)

	// CSV with a date range: today (the store's day) has every line,
	// tomorrow none.
	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
	tomorrow := time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, 1).Format("2006-01-02")
	code, out, errs = runCmd(t, nil, "audit", "list", "--data-dir", dir, "--from", today, "--to", today, "--format", "csv")
	require.Equal(t, exitOK, code, out+errs)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, []string{"id", "at", "staff_code", "staff_name", "action", "action_name", "subject", "detail"}, recs[0])
	assert.Len(t, recs, int(auditCount(t, dir))+1)
	code, out, errs = runCmd(t, nil, "audit", "list", "--data-dir", dir, "--from", tomorrow)
	require.Equal(t, exitOK, code, out+errs)
	assert.Equal(t, "no audit lines match\n", out)

	// In Chinese.
	code, out, _ = runCmdLang(t, nil, "zh", "audit", "list", "--data-dir", dir, "--staff", "1002")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "登录失败")
	assert.Contains(t, out, "时间")
}

func TestAuditCLI_BadInput(t *testing.T) {
	dir := auditFolder(t)
	before := folderSums(t, dir)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"audit"}, exitUsage, "Usage: pos audit"},
		{[]string{"audit", "erase"}, exitUsage, "Unknown action: erase"},
		{[]string{"audit", "list", "--limit", "0"}, exitUsage, "--limit"},
		{[]string{"audit", "list", "--limit", "100001"}, exitUsage, "100000"},
		{[]string{"audit", "list", "--limit", "ten"}, exitUsage, "invalid value"},
		{[]string{"audit", "list", "--format", "xml"}, exitUsage, "xml"},
		{[]string{"audit", "list", "--from", "yesterday"}, exitUsage, "yesterday"},
		{[]string{"audit", "list", "--from", "2026-02-30"}, exitUsage, "2026-02-30"},
		{[]string{"audit", "list", "--from", "2026-03-02", "--to", "2026-03-01"}, exitUsage, "2026-03-02"},
		{[]string{"audit", "list", "--staff", "4242"}, exitFailed, "pos audit:"},
	} {
		code, out, errs := runCmd(t, nil, append(tc.args, "--data-dir", dir)...)
		assert.Equal(t, tc.code, code, "%v: %s%s", tc.args, out, errs)
		assert.Contains(t, errs, tc.want, tc.args)
	}
	code, _, errs := runCmd(t, nil, "audit", "verify", "--data-dir", t.TempDir())
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errs, "pos audit:")
	assert.Equal(t, before, folderSums(t, dir))
}

// A folder last used by a version-4 app: read-only, verify says the chain
// is not there yet; after the app opens it (migrating, sealing the old
// lines), the chain verifies with every old line in it.
func TestAuditCLI_VerifiesAcrossTheMigrationFromVersion4(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := dbPath(dir)
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	db, err := localdb.OpenExisting(path)
	require.NoError(t, err)
	ms, err := localdb.LoadMigrations(localdb.Migrations())
	require.NoError(t, err)
	v4 := fstest.MapFS{}
	for _, m := range ms {
		if m.Version <= 4 {
			v4[m.Name] = &fstest.MapFile{Data: []byte(m.SQL)}
		}
	}
	_, err = db.Migrate(ctx, v4, false)
	require.NoError(t, err)
	require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO audit_log(at, action, subject, detail) VALUES (1000, 'seed', '', 'demo data'),
			(2000, 'settings', 'store', '好邻居'), (3000, 'void', 'SZ1', '')`)
		return err
	}))
	require.NoError(t, db.Close())

	code, _, errs := runCmd(t, nil, "audit", "verify", "--data-dir", dir)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errs, "no audit chain yet (version 4)")

	s, err := Open(ctx, Options{DataDir: dir, Command: "test", Lock: true})
	require.NoError(t, err)
	s.Close()
	code, out, errs := runCmd(t, nil, "audit", "verify", "--data-dir", dir)
	require.Equal(t, exitOK, code, out+errs)
	assert.Equal(t, "audit log intact: 4 rows verified\n", out, "three old lines and the sealing line")
	code, out, _ = runCmd(t, nil, "audit", "list", "--data-dir", dir, "--format", "json")
	require.Equal(t, exitOK, code)
	var rows []auditJSON
	require.NoError(t, json.Unmarshal([]byte(out), &rows))
	require.Len(t, rows, 4)
	assert.Equal(t, "audit_sealed", rows[0].Action)
	assert.Equal(t, "好邻居", rows[2].Detail)
}

// A cash sale opens the drawer, and that opening is an audit line: who,
// which order, why.
func TestAuditCLI_DrawerOpeningsAreAudited(t *testing.T) {
	s := embedded(t)
	ctx := context.Background()
	staff, _, err := s.DB.StaffByCode(ctx, "1002")
	require.NoError(t, err)
	o, err := s.Checkout.Open(ctx, sale.OrderInput{Staff: staff, Total: 1830})
	require.NoError(t, err)
	out, err := s.Checkout.PayCash(ctx, o.OrderNo, 0, 2000, staff)
	require.NoError(t, err)
	require.True(t, out.Paid())

	code, got, errs := runCmd(t, nil, "audit", "list", "--data-dir", s.Dir, "--action", "drawer_open", "--format", "json")
	require.Equal(t, exitOK, code, got+errs)
	var rows []auditJSON
	require.NoError(t, json.Unmarshal([]byte(got), &rows))
	require.Len(t, rows, 1)
	assert.Equal(t, auditJSON{ID: rows[0].ID, At: rows[0].At, StaffCode: "1002", StaffName: "李娜", Action: "drawer_open",
		ActionName: "cash drawer opened", Subject: o.OrderNo, Detail: "cash_sale"}, rows[0])
	c, err := s.DB.VerifyAudit(ctx)
	require.NoError(t, err)
	assert.True(t, c.OK(), "%+v", c)
}

func idStr(n int64) string { return strconv.FormatInt(n, 10) }

// A setting changed from the command line is audited with its old value;
// setting the same value again writes no line.
func TestAuditCLI_ConfigSetIsAudited(t *testing.T) {
	dir := auditFolder(t)
	code, out, errs := runCmd(t, nil, "config", "set", "printer.width", "58", "--data-dir", dir)
	require.Equal(t, exitOK, code, out+errs)
	code, out, errs = runCmd(t, nil, "config", "set", "printer.width", "58", "--data-dir", dir)
	require.Equal(t, exitOK, code, out+errs)
	code, out, errs = runCmd(t, nil, "audit", "list", "--action", "settings", "--format", "json", "--data-dir", dir)
	require.Equal(t, exitOK, code, out+errs)
	var rows []auditJSON
	require.NoError(t, json.Unmarshal([]byte(out), &rows))
	require.Len(t, rows, 1)
	assert.Equal(t, "printer.width", rows[0].Subject)
	assert.Equal(t, `printer.width: "" -> "58" (pos config set)`, rows[0].Detail)
	assert.Equal(t, "settings changed", rows[0].ActionName)
}

// An --action code the app never writes is a typo: it is refused with the
// codes there are (listing nothing would read as "it never happened"); a
// code that is in the log though not in the app's list (another version's)
// still lists.
func TestAuditCLI_UnknownActionCode(t *testing.T) {
	dir := auditFolder(t)
	code, out, errs := runCmd(t, nil, "audit", "list", "--data-dir", dir, "--action", "refnd")
	assert.Equal(t, exitUsage, code, out+errs)
	assert.Empty(t, out)
	assert.Contains(t, errs, "refnd")
	assert.Contains(t, errs, "drawer_open")
	code, _, errs = runCmdLang(t, nil, "zh", "audit", "list", "--data-dir", dir, "--action", "refnd")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "refnd")

	code, out, errs = runCmd(t, nil, "audit", "list", "--data-dir", dir, "--action", "refund")
	assert.Equal(t, exitOK, code, out+errs)
	assert.Equal(t, "no audit lines match\n", out, "a known code with no lines yet")

	s, err := Open(context.Background(), Options{DataDir: dir, Command: "test", Lock: true})
	require.NoError(t, err)
	require.NoError(t, s.DB.Audit(context.Background(), app.AuditEntry{Action: "price_change", Subject: "6901234567892"}))
	s.Close()
	code, out, errs = runCmd(t, nil, "audit", "list", "--data-dir", dir, "--action", "price_change", "--format", "json")
	require.Equal(t, exitOK, code, out+errs)
	var rows []auditJSON
	require.NoError(t, json.Unmarshal([]byte(out), &rows))
	require.Len(t, rows, 1)
	assert.Equal(t, "price_change", rows[0].ActionName, "shown as it is")
}
