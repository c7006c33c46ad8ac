package localdb

// Upgrades and downgrades of a whole database file: a database the
// previous schema made (every embedded migration but the latest) opens in
// this build with every row intact and a backup of the old file beside
// it; a database a newer build has migrated is refused without a byte
// changed. Nothing here names a migration number: "latest" and "the one
// before it" are read from the embedded set, so the test holds as
// migrations are added.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/catalog"
)

// upEmbedded is the embedded set split into everything but the latest
// migration, and the latest.
func upEmbedded(t *testing.T) (prev fstest.MapFS, prevVersion int, latest Migration) {
	t.Helper()
	ms, err := LoadMigrations(Migrations())
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(ms), 2, "an upgrade needs two migrations")
	latest = ms[len(ms)-1]
	prev = fstest.MapFS{}
	for _, m := range ms[:len(ms)-1] {
		b, err := fs.ReadFile(Migrations(), m.Name)
		require.NoError(t, err)
		prev[m.Name] = &fstest.MapFile{Data: b}
	}
	return prev, ms[len(ms)-2].Version, latest
}

// upOldDatabase makes pos.db in dir at the previous schema, filled with
// representative rows of every core table written through SQL (the
// audit lines through the chain, as any build since the chain writes
// them), and closes it as the previous build would have left it.
func upOldDatabase(t *testing.T, dir string) string {
	t.Helper()
	ctx := context.Background()
	prev, prevVersion, _ := upEmbedded(t)
	path := filepath.Join(dir, "pos.db")
	db, err := openNoMigrate(path)
	require.NoError(t, err)
	res, err := db.Migrate(ctx, prev, false)
	require.NoError(t, err)
	require.Equal(t, prevVersion, res.To)

	day := time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)
	ms := func(d time.Duration) int64 { return day.Add(d).UnixMilli() }
	bday := day.Year()*10000 + int(day.Month())*100 + day.Day()
	stmts := []string{
		`INSERT INTO merchant(id, code, name, provider, created_at) VALUES (1, '1900000109', '好邻居商贸', 'sp', 0)`,
		`INSERT INTO store(id, merchant_id, code, name, address, phone, receipt_footer, payment_mode, created_at)
		 VALUES (1, 1, 'S001', '好邻居便利店', '深圳市南山区科技园 1 号', '0755-12345678', '谢谢惠顾', 'default', 0)`,
		`INSERT INTO terminal(id, store_id, code, name, cashier_mode, order_prefix, created_at) VALUES (1, 1, 'T001', '一号收银台', 'sale_deposit', 'A1', 0)`,
		`INSERT INTO staff(id, store_id, code, name, role_code, pin_hash, disabled, failed_attempts, locked_until, created_at, updated_at)
		 VALUES (1, NULL, '1001', '张三', 'admin', '$2a$04$abcdefghijklmnopqrstuv', 0, 0, 0, 0, 0),
		        (2, 1, '1002', '李娜', 'clerk', '$2a$04$bcdefghijklmnopqrstuvw', 0, 2, 0, 0, 0),
		        (3, 1, '1003', '王五', 'manager', '$2a$04$cdefghijklmnopqrstuvwx', 1, 0, 0, 0, 0)`,
		`INSERT INTO staff_permission(staff_id, permission_code, granted_by, granted_at) SELECT 2, code, 1, 0 FROM permission LIMIT 1`,
		`INSERT INTO product(id, store_id, barcode, name, price, unit, category, active, updated_at)
		 VALUES (1, 1, '6901234567892', '可口可乐 330ml', 350, '瓶', '饮料', 1, 0),
		        (2, 1, '2000001000008', '苹果（称重）', 1290, 'kg', '水果', 1, 0),
		        (3, 1, '6907992500133', '停售的酸奶', 590, '盒', '乳品', 0, 0)`,
		`INSERT INTO product_search(rowid, terms) VALUES (1, 'kekoukele kkkl 6901234567892'), (2, 'pingguo pg')`,
		`INSERT INTO setting(key, value, updated_at) VALUES ('store_id', '1', 0), ('terminal_id', '1', 0),
		        ('language', 'zh', 0), ('printer.width', '80', 0),
		        ('` + settingSearchIndex + `', '` + strconv.Itoa(catalog.IndexVersion) + `', 0)`,
		// A closed shift with its handover, and one still open.
		fmt.Sprintf(`INSERT INTO shift(id, store_id, terminal_id, staff_id, started_at, ended_at, summary_json, opening_float,
		   expected, counted, variance, float_left, countersigned_by)
		 VALUES (1, 1, 1, 2, %d, %d, '{"sales":3}', 20000, 21830, 21800, -30, 20000, 1),
		        (2, 1, 1, 2, %d, NULL, '', 20000, NULL, NULL, NULL, NULL, NULL)`, ms(0), ms(8*time.Hour), ms(9*time.Hour)),
		// A paid sale: two lines, a discount, a wallet and a cash tender.
		fmt.Sprintf(`INSERT INTO orders(id, order_no, store_id, terminal_id, staff_id, shift_id, kind, status, total, discount,
		   payable, paid, refunded, note, created_at, paid_at)
		 VALUES (1, 'A1250314093000001', 1, 1, 2, 1, 'sale', 'part_refunded', 1990, 100, 1890, 1890, 350, '', %d, %d),
		        (2, 'A1250314100000002', 1, 1, 2, 1, 'deposit', 'paid', 50000, 0, 50000, 50000, 0, '', %d, %d),
		        (3, 'A1250314110000003', 1, 1, 2, 1, 'sale', 'open', 700, 0, 700, 0, 0, '', %d, NULL)`,
			ms(time.Minute), ms(2*time.Minute), ms(30*time.Minute), ms(31*time.Minute), ms(90*time.Minute)),
		`INSERT INTO order_line(order_id, line_no, product_id, barcode, name, qty, unit_price, discount, amount)
		 VALUES (1, 1, 1, '6901234567892', '可口可乐 330ml', 2, 350, 0, 700),
		        (1, 2, 2, '2000001000008', '苹果（称重）', 1000, 1290, 0, 1290),
		        (3, 1, 1, '6901234567892', '可口可乐 330ml', 2, 350, 0, 700)`,
		fmt.Sprintf(`INSERT INTO tender(id, order_id, kind, wallet, amount, state, cash_received, staff_id, shift_id, created_at, settled_at, discount)
		 VALUES (1, 1, 'wallet', 'wechat', 1000, 'paid', 0, 2, 1, %d, %d, 53),
		        (2, 1, 'cash', '', 890, 'paid', 1000, 2, 1, %d, %d, 47),
		        (3, 2, 'wallet', 'alipay', 50000, 'paid', 0, 2, 1, %d, %d, 0)`,
			ms(time.Minute), ms(time.Minute), ms(2*time.Minute), ms(2*time.Minute), ms(30*time.Minute), ms(31*time.Minute)),
		fmt.Sprintf(`INSERT INTO payment_intent(id, out_trade_no, order_id, kind, channel, wallet, auth_code_masked, auth_code_hash,
		   amount, state, transaction_id, channel_code, channel_msg, attempts, staff_id, created_at, sent_at, updated_at, finished_at,
		   tender_id, version)
		 VALUES (1, 'A1T001250314093000001', 1, 'pay', 'wechat', 'wechat', '1345********6789', 'ab12', 1000, 'paid',
		         '4200001234202503140001', 'SUCCESS', '', 2, 2, %d, %d, %d, %d, 1, 3),
		        (2, 'A1T001250314100000002', 2, 'deposit', 'alipay', 'alipay', '2800********0201', 'cd34', 50000, 'paid',
		         '2025031422001400001', '10000', '', 1, 2, %d, %d, %d, %d, 3, 2)`,
			ms(time.Minute), ms(time.Minute), ms(time.Minute), ms(time.Minute),
			ms(30*time.Minute), ms(30*time.Minute), ms(31*time.Minute), ms(31*time.Minute)),
		// A refund by line of the wallet tender, through the channel.
		fmt.Sprintf(`INSERT INTO refund(id, out_refund_no, order_id, intent_id, amount, reason, state, refund_id, channel_code,
		   staff_id, approved_by, version, created_at, updated_at, finished_at, shift_id)
		 VALUES (1, 'R1250314120000001', 1, 1, 350, '顾客退货', 'refunded', '50300001', 'SUCCESS', 2, 1, 2, %d, %d, %d, 1)`,
			ms(150*time.Minute), ms(151*time.Minute), ms(151*time.Minute)),
		fmt.Sprintf(`INSERT INTO order_refund(id, refund_no, order_id, amount, whole, reason, staff_id, approved_by, shift_id, terminal_id, created_at)
		 VALUES (1, 'R1250314120000001', 1, 350, 0, '顾客退货', 2, 1, 1, 1, %d)`, ms(150*time.Minute)),
		`INSERT INTO order_refund_line(refund_id, line_no, qty, amount) VALUES (1, 1, 1, 350)`,
		`INSERT INTO order_refund_part(id, refund_id, tender_id, amount, channel_refund_id) VALUES (1, 1, 1, 350, 1)`,
		// A hotel deposit, partly consumed.
		fmt.Sprintf(`INSERT INTO deposit(id, deposit_no, order_id, intent_id, amount, consumed, released, state, guest_name, room, created_at, settled_at)
		 VALUES (1, 'D250314100000002', 2, 2, 50000, 32000, 18000, 'consumed', '陈先生', '0808', %d, %d)`, ms(31*time.Minute), ms(7*time.Hour)),
		fmt.Sprintf(`INSERT INTO deposit_operation(id, deposit_id, kind, out_request_no, amount, state, channel_code, staff_id,
		   created_at, updated_at, transaction_id, version, shift_id)
		 VALUES (1, 1, 'consume', 'C1250314170000001', 32000, 'done', '10000', 2, %d, %d, '2025031422001400002', 2, 1)`,
			ms(7*time.Hour), ms(7*time.Hour)),
		// The takings journal of all of it.
		fmt.Sprintf(`INSERT INTO takings(id, kind, ref, store_id, staff_id, shift_id, order_id, method, amount, discount, at, business_day)
		 VALUES (1, 'sale', 'tender:1', 1, 2, 1, 1, 'wechat', 1000, 0, %[1]d, %[4]d),
		        (2, 'sale', 'tender:2', 1, 2, 1, 1, 'cash', 890, 0, %[1]d, %[4]d),
		        (3, 'discount', 'tender:1', 1, 2, 1, 1, 'wechat', 0, 53, %[1]d, %[4]d),
		        (4, 'refund', 'refund:1', 1, 2, 1, 1, 'wechat', 350, 0, %[2]d, %[4]d),
		        (5, 'deposit_hold', 'tender:3', 1, 2, 1, 2, 'alipay', 50000, 0, %[2]d, %[4]d),
		        (6, 'deposit_consume', 'op:1', 1, 2, 1, 2, 'alipay', 32000, 0, %[3]d, %[4]d)`,
			ms(2*time.Minute), ms(151*time.Minute), ms(7*time.Hour), bday),
		fmt.Sprintf(`INSERT INTO print_jobs(id, printer, kind, ref, payload, state, attempts, created_at, updated_at, printed_at)
		 VALUES (1, 'receipt', 'receipt', 'A1250314093000001', X'1B40E5A5BDE982BBE5B185', 'printed', 1, %d, %d, %d)`,
			ms(2*time.Minute), ms(2*time.Minute), ms(2*time.Minute)),
	}
	for _, q := range stmts {
		require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, q)
			return err
		}), q)
	}
	for i, e := range []app.AuditEntry{
		{At: day, StaffID: 2, Action: "login"},
		{At: day.Add(150 * time.Minute), StaffID: 2, Action: "refund", Subject: "A1250314093000001", Detail: "3.50"},
		{At: day.Add(8 * time.Hour), StaffID: 1, Action: "settings", Subject: "printer.width", Detail: "58 → 80"},
	} {
		require.NoError(t, db.Audit(ctx, e), "audit line %d", i)
	}
	db.owner = true // closed as the app closes it: the log checkpointed into the file
	require.NoError(t, db.Close())
	return path
}

// upCoreTables are the tables upOldDatabase fills; each must hold rows.
var upCoreTables = []string{"merchant", "store", "terminal", "staff", "staff_permission", "product", "setting",
	"shift", "orders", "order_line", "tender", "payment_intent", "refund", "order_refund", "order_refund_line",
	"order_refund_part", "deposit", "deposit_operation", "takings", "audit_log", "print_jobs"}

// upTable is one table's columns and rows, each row its values as SQL
// literals (quote()), sorted.
type upTable struct {
	Columns []string
	Rows    []string
}

// upDump reads every ordinary table of the file at path through a
// read-only connection that writes nothing.
func upDump(t *testing.T, path string) map[string]upTable {
	t.Helper()
	c, err := sql.Open("sqlite3", "file:"+uriPath(path)+"?mode=ro")
	require.NoError(t, err)
	defer c.Close()
	rows, err := c.Query(`SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name`)
	require.NoError(t, err)
	var names []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		names = append(names, n)
	}
	require.NoError(t, rows.Err())
	rows.Close()
	out := map[string]upTable{}
	for _, n := range names {
		cols := upColumns(t, c, n)
		out[n] = upTable{Columns: cols, Rows: upRows(t, c, n, cols)}
	}
	return out
}

func upColumns(t *testing.T, c *sql.DB, table string) []string {
	t.Helper()
	rows, err := c.Query(`SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
	require.NoError(t, err)
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		cols = append(cols, n)
	}
	require.NoError(t, rows.Err())
	return cols
}

// upRows reads table's rows, the columns cols only (a column a migration
// added is left out of the comparison), as sorted SQL literals.
func upRows(t *testing.T, c *sql.DB, table string, cols []string) []string {
	t.Helper()
	parts := make([]string, len(cols))
	for i, col := range cols {
		parts[i] = `quote("` + col + `")`
	}
	rows, err := c.Query(`SELECT ` + strings.Join(parts, ` || ' | ' || `) + ` FROM "` + table + `"`)
	require.NoError(t, err, table)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(t, rows.Err())
	sort.Strings(out)
	return out
}

// upChangedBy names the tables a migration's statements may change the
// rows of (an added column alone changes none of the old values).
var upChangesRows = regexp.MustCompile(`(?i)\b(?:UPDATE|DELETE\s+FROM|INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|DROP\s+TABLE(?:\s+IF\s+EXISTS)?|ALTER\s+TABLE)\s+["'\x60]?(\w+)["'\x60]?(\s+ADD\b)?`)

func upChangedBy(sqlText string) map[string]bool {
	out := map[string]bool{}
	for _, g := range upChangesRows.FindAllStringSubmatch(sqlText, -1) {
		if g[2] == "" {
			out[strings.ToLower(g[1])] = true
		}
	}
	return out
}

// upTriggerTargets names the tables a trigger on table writes into.
func upTriggerTargets(t *testing.T, path, table string) map[string]bool {
	t.Helper()
	c, err := sql.Open("sqlite3", "file:"+uriPath(path)+"?mode=ro")
	require.NoError(t, err)
	defer c.Close()
	rows, err := c.Query(`SELECT sql FROM sqlite_master WHERE type='trigger' AND tbl_name=?`, table)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		for n := range upChangedBy(s) {
			out[n] = true
		}
	}
	require.NoError(t, rows.Err())
	return out
}

func upContains(all []string, want string) bool {
	i := sort.SearchStrings(all, want)
	return i < len(all) && all[i] == want
}

func upSHA(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	h := sha256.New()
	_, err = io.Copy(h, f)
	require.NoError(t, err)
	return hex.EncodeToString(h.Sum(nil))
}

// TestUpgrade_PreviousSchemaKeepsEveryRow is the upgrade an installer
// does: the new build's first start on the previous build's database.
func TestUpgrade_PreviousSchemaKeepsEveryRow(t *testing.T) {
	ctx := context.Background()
	_, prevVersion, latest := upEmbedded(t)
	dir := t.TempDir()
	path := upOldDatabase(t, dir)
	before := upDump(t, path)
	for _, tbl := range upCoreTables {
		require.NotEmpty(t, before[tbl].Rows, "the old database needs rows in %s", tbl)
	}

	started := time.Now()
	db, err := Open(path)
	require.NoError(t, err)
	v, err := db.Version(ctx)
	require.NoError(t, err)
	assert.Equal(t, latest.Version, v)

	// The backup: named for the version it holds, in the backups folder,
	// the old file's contents exactly, openable at the old version.
	backup := UpgradeBackup(path, prevVersion)
	require.NotEmpty(t, backup, "a backup taken before migrating")
	assert.Equal(t, BackupDir(path), filepath.Dir(backup))
	assert.Regexp(t, `^pos-\d{8}T\d{6}\.\d{9}Z-v`+strconv.Itoa(prevVersion)+`\.db$`, filepath.Base(backup))
	assert.Equal(t, backup, LatestBackup(path), "the newest backup, for pos db restore")
	stamp, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(backup), "pos-"), "-v")
	at, err := time.Parse(backupStamp, stamp)
	require.NoError(t, err)
	assert.WithinDuration(t, started, at, time.Minute)
	bk, err := OpenExisting(backup)
	require.NoError(t, err)
	bv, err := bk.Version(ctx)
	require.NoError(t, err)
	ic, err := bk.IntegrityCheck(ctx)
	require.NoError(t, err)
	require.NoError(t, bk.Close())
	assert.Equal(t, prevVersion, bv, "the backup is at the old version")
	assert.Equal(t, "ok", ic)
	assert.Equal(t, before, upDump(t, backup), "the backup holds every row of the old file")

	// Every row intact. Tables the latest migration leaves alone compare
	// whole (their old columns); those it writes must not lose a row.
	// Opening writes one audit line (and whatever the audit log's
	// triggers write with it) and moves the audit head.
	after := upDump(t, path)
	changed := upChangedBy(latest.SQL)
	byAudit := upTriggerTargets(t, path, "audit_log")
	for tbl, b := range before {
		a, ok := after[tbl]
		if !assert.True(t, ok || changed[tbl], "table %s is gone", tbl) || !ok {
			continue
		}
		got := upRows(t, db.Read(), tbl, b.Columns)
		if changed[tbl] {
			assert.GreaterOrEqual(t, len(a.Rows), len(b.Rows), "%s lost rows to %s", tbl, latest.Name)
			continue
		}
		if tbl == "audit_head" {
			assert.Len(t, a.Rows, len(b.Rows))
			continue
		}
		for _, r := range b.Rows {
			assert.True(t, upContains(got, r), "%s: row changed or gone after the upgrade: %s", tbl, r)
		}
		switch {
		case tbl == "schema_version":
			assert.Len(t, got, len(b.Rows)+1, "the latest migration's version row")
		case tbl == "audit_log":
			assert.Len(t, got, len(b.Rows)+1, "one audit line for the upgrade")
		case byAudit[tbl]:
			assert.LessOrEqual(t, len(got), len(b.Rows)+1, "%s: at most the audit line's own row more", tbl)
		default:
			assert.Equal(t, b.Rows, got, "%s compares whole", tbl)
		}
	}

	// The upgrade is on record, and the chain holds.
	var detail string
	require.NoError(t, db.Read().QueryRow(`SELECT detail FROM audit_log WHERE action=?`, actionUpgraded).Scan(&detail))
	assert.Equal(t, fmt.Sprintf("from=%d to=%d backup=%s", prevVersion, latest.Version, backup), detail)
	c, err := db.VerifyAudit(ctx)
	require.NoError(t, err)
	assert.True(t, c.OK(), "%+v", c)
	ic, err = db.IntegrityCheck(ctx)
	require.NoError(t, err)
	assert.Equal(t, "ok", ic)
	var fkProblems int
	require.NoError(t, db.Read().QueryRow(`SELECT count(*) FROM pragma_foreign_key_check`).Scan(&fkProblems))
	assert.Zero(t, fkProblems)

	// The app reads the old rows as it reads its own.
	o, err := db.GetOrder(ctx, "A1250314093000001")
	require.NoError(t, err)
	assert.Len(t, o.Lines, 2)
	assert.Equal(t, app.Money(1890), o.Paid)
	assert.Equal(t, app.Money(350), o.Refunded)
	require.NoError(t, db.Close())

	// A second start migrates nothing and takes no second backup.
	entries, err := os.ReadDir(BackupDir(path))
	require.NoError(t, err)
	db, err = Open(path)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	again, err := os.ReadDir(BackupDir(path))
	require.NoError(t, err)
	assert.Len(t, again, len(entries))
}

// upNewerDatabase makes a database of this build and marks it as migrated
// by a newer one: a schema_version row above the latest migration.
func upNewerDatabase(t *testing.T, dir string) (path string, newer int) {
	t.Helper()
	ctx := context.Background()
	path = filepath.Join(dir, "pos.db")
	db, err := Open(path)
	require.NoError(t, err)
	newer = LatestVersion() + 1
	require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`INSERT INTO setting(key, value, updated_at) VALUES ('language', 'zh', 0)`); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO schema_version(version, name, applied_at) VALUES (?, ?, 0)`,
			newer, fmt.Sprintf("%04d_from_the_future.sql", newer))
		return err
	}))
	require.NoError(t, db.Close())
	return path, newer
}

// upFolderState is everything in the data folder: names, sizes and the
// database's checksum.
func upFolderState(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if d.IsDir() {
			return nil
		}
		st, err := d.Info()
		require.NoError(t, err)
		rel, _ := filepath.Rel(dir, p)
		if rel == "pos.db-shm" || (rel == "pos.db-wal" && st.Size() == 0) {
			return nil // SQLite's index of an empty log: no data
		}
		out[rel] = fmt.Sprintf("%d %s", st.Size(), upSHA(t, p))
		return nil
	}))
	return out
}

// TestUpgrade_NewerSchemaRefusedUntouched is an older build started on a
// database a newer build has migrated.
func TestUpgrade_NewerSchemaRefusedUntouched(t *testing.T) {
	ctx := context.Background()
	latest := LatestVersion()
	for _, tc := range []struct {
		name    string
		backups []int // versions of the backups taken before upgrades
		want    int   // the one to name, 0 for none
	}{
		{"no backup", nil, 0},
		{"backup before the upgrade", []int{latest - 1, latest}, latest},
		{"only a newer build's backup", []int{latest + 1}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path, newer := upNewerDatabase(t, dir)
			want := ""
			if len(tc.backups) > 0 {
				db, err := OpenExisting(path)
				require.NoError(t, err)
				for i, v := range tc.backups {
					p := upgradeBackupPath(path, v, time.Now().Add(time.Duration(i)*time.Second))
					require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
					_, err := db.Backup(ctx, p)
					require.NoError(t, err)
					if v == tc.want {
						want = p
					}
				}
				require.NoError(t, db.Close())
			}
			before := upFolderState(t, dir)

			db, err := Open(path)
			require.Error(t, err)
			assert.Nil(t, db)
			var se *SchemaNewerError
			require.ErrorAs(t, err, &se)
			assert.ErrorIs(t, err, ErrSchemaNewer)
			assert.Equal(t, SchemaNewerError{Path: path, Version: newer, Latest: latest, Backup: want}, *se)
			m, ok := app.AsMessage(err)
			require.True(t, ok)
			if want != "" {
				assert.Equal(t, "db.schema_newer", m.Code)
				assert.Equal(t, want, m.Args["Backup"])
			} else {
				assert.Equal(t, "db.schema_newer_no_backup", m.Code)
			}
			assert.Equal(t, newer, m.Args["Version"])
			assert.Equal(t, latest, m.Args["Latest"])
			assert.Equal(t, before, upFolderState(t, dir), "not a byte written, no backup taken")

			// Migrating it by hand (pos db migrate) is refused the same way.
			db, err = OpenExisting(path)
			require.NoError(t, err)
			res, err := db.Migrate(ctx, Migrations(), true)
			require.ErrorAs(t, err, &se)
			assert.Empty(t, res.Applied)
			assert.Empty(t, res.Backup)
			require.NoError(t, db.Close())
			assert.Equal(t, before, upFolderState(t, dir))
		})
	}
}

// A newer build might keep its file out of WAL: the refusal reads it
// without the writer's journal_mode pragma, which would rewrite the
// header.
func TestUpgrade_NewerSchemaNotInWALStaysAsItIs(t *testing.T) {
	path, _ := upNewerDatabase(t, t.TempDir())
	c, err := sql.Open("sqlite3", "file:"+uriPath(path))
	require.NoError(t, err)
	var mode string
	require.NoError(t, c.QueryRow(`PRAGMA journal_mode=DELETE`).Scan(&mode))
	require.NoError(t, c.Close())
	require.Equal(t, "delete", mode)
	before := upSHA(t, path)
	_, err = Open(path)
	require.ErrorIs(t, err, ErrSchemaNewer)
	assert.Equal(t, before, upSHA(t, path))
	_, err = os.Stat(path + "-wal")
	assert.True(t, errors.Is(err, fs.ErrNotExist), "no log made for a file that had none")
}

func TestUpgradeBackup_ByNameOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pos.db")
	bdir := BackupDir(path)
	require.NoError(t, os.MkdirAll(bdir, 0o700))
	at := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	for _, n := range []string{
		filepath.Base(upgradeBackupPath(path, 15, at)),
		filepath.Base(upgradeBackupPath(path, 16, at.Add(time.Hour))),
		filepath.Base(upgradeBackupPath(path, 18, at.Add(2*time.Hour))),
		"pos-20250314T120000.000000000Z.db",      // a backup by hand: no version
		"pos-garbage-v16.db",                     // not a time
		"pos-20250314T130000.000000000Z-vx.db",   // not a version
		"other-20250314T130000.000000000Z-v9.db", // another file's
	} {
		require.NoError(t, os.WriteFile(filepath.Join(bdir, n), nil, 0o600))
	}
	assert.Equal(t, "pos-20250314T100000.000000000Z-v16.db", filepath.Base(UpgradeBackup(path, 17)))
	assert.Equal(t, "pos-20250314T100000.000000000Z-v16.db", filepath.Base(UpgradeBackup(path, 16)))
	assert.Equal(t, "pos-20250314T090000.000000000Z-v15.db", filepath.Base(UpgradeBackup(path, 15)))
	assert.Equal(t, "pos-20250314T110000.000000000Z-v18.db", filepath.Base(UpgradeBackup(path, 99)))
	assert.Empty(t, UpgradeBackup(path, 14))
	assert.Empty(t, UpgradeBackup(filepath.Join(t.TempDir(), "pos.db"), 99), "no backups folder")
}

// A database file that may not be written (read-only attribute, a file
// copied off a CD) is named, not opened read-only to fail at the first
// sale. Root ignores permission bits: the root package's CLI test runs
// this case as another user.
func TestOpen_ReadOnlyFileNamed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pos.db")
	db, err := Open(path)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	require.NoError(t, os.Chmod(path, 0o444))
	t.Cleanup(func() { os.Chmod(path, 0o600) })
	if f, err := os.OpenFile(path, os.O_RDWR, 0); err == nil {
		f.Close()
		t.Skip("this user writes a 0444 file anyway (root): upgrade_cli_test.go runs the case as user nobody")
	}
	before := upSHA(t, path)
	_, err = Open(path)
	require.ErrorIs(t, err, ErrDBReadOnly)
	m, _ := app.AsMessage(err)
	assert.Equal(t, map[string]any{"Path": path, "Dir": dir}, m.Args)
	assert.Equal(t, before, upSHA(t, path))
}
