package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"cashier/app"
	"cashier/app/sale"
	"cashier/app/shift"
	"cashier/hardware/escpos"
	"cashier/hardware/printq"
	"cashier/hardware/receipt"
	"cashier/hardware/sim"
	"cashier/localdb"
)

// handedOverFolder is a demo folder with one ended shift of the demo
// manager (a WeChat sale and a deposit through the sandbox, cash sales, a
// held order, a count 60.50 short countersigned by a second manager) and
// one shift still running. It returns the folder and the two shifts' IDs.
func handedOverFolder(t *testing.T) (dir string, ended, running int64) {
	t.Helper()
	dir = demoFolder(t)
	ctx := context.Background()
	open := func() *Services {
		s, err := Open(ctx, Options{DataDir: dir, Command: "test", Lock: true, Seed: true})
		require.NoError(t, err)
		require.NoError(t, s.Start(ctx))
		return s
	}
	s := open()
	mgr, _, err := s.DB.StaffByCode(ctx, "1001")
	require.NoError(t, err)
	hash, err := testHasher().Hash("2468")
	require.NoError(t, err)
	require.NoError(t, s.DB.Write(ctx, func(tx *sql.Tx) error {
		_, err := localdb.AddStaff(ctx, tx, localdb.NewStaff{StoreID: mgr.StoreID, Code: "1009", Name: "赵经理", Role: app.RoleManager, PINHash: hash}, time.Now())
		return err
	}))
	sh, err := s.Shifts.ClockOn(ctx, mgr.ID, shift.ScopeTerminal, 50000)
	require.NoError(t, err)
	ended = sh.ID
	s.Close()

	// The sandbox takes a WeChat sale and a deposit on the manager's shift.
	// On the system clock, as the shift: a deposit taken "later" on a
	// faster clock would not be open at the clock-off yet.
	rc, out, errs := runCmd(t, nil, "pay", "--data-dir", dir, "--code", "134567890123456789", "--amount", "88.00")
	require.Equal(t, 0, rc, out+errs)
	rc, out, errs = runCmd(t, nil, "pay", "--data-dir", dir, "--deposit", "--code", "134567890123456780", "--amount", "500", "--note", "1208 房")
	require.Equal(t, 0, rc, out+errs)

	s = open()
	defer s.Close()
	co := &sale.Checkout{Store: s.DB, Terminal: s.DB, Permits: s.Permits, Clock: s.Clock, Signals: s.Signals}
	for _, amount := range []app.Money{3550, 12000} {
		o, err := co.Open(ctx, sale.OrderInput{Staff: mgr, Total: amount})
		require.NoError(t, err)
		_, err = co.PayCash(ctx, o.OrderNo, 0, 0, mgr)
		require.NoError(t, err)
	}
	_, err = co.Open(ctx, sale.OrderInput{Staff: mgr, Total: 2600, Note: "302 房 稍后付"})
	require.NoError(t, err)
	// A cart parked at the till (挂单) when the shift ends.
	var parked sale.Cart
	_, err = parked.AddAmount("金额", 1850, false)
	require.NoError(t, err)
	_, err = s.Holds.Hold(ctx, mgr, sale.HeldFromCart(parked, "红衣服"))
	require.NoError(t, err)
	// Expected 500 + 35.50 + 120 = 655.50; counted 595.00.
	count := shift.CashCount{Notes: map[string]int64{"100": 5, "50": 1, "20": 2, "5": 1}}
	_, err = s.Shifts.ClockOff(ctx, mgr.ID, count, 30000, nil)
	require.ErrorIs(t, err, shift.ErrCountersignNeeded)
	off, err := s.Shifts.ClockOff(ctx, mgr.ID, count, 30000, &shift.Countersign{Code: "1009", PIN: "2468"})
	require.NoError(t, err)
	require.Equal(t, app.Money(-6050), off.Handover.Variance)

	clerk, _, err := s.DB.StaffByCode(ctx, "1003")
	require.NoError(t, err)
	on, err := s.Shifts.ClockOn(ctx, clerk.ID, shift.ScopeStore, 0)
	require.NoError(t, err)
	return dir, ended, on.ID
}

func TestShiftCLI_ListShowPrint(t *testing.T) {
	dir, ended, running := handedOverFolder(t)
	id := strconv.FormatInt(ended, 10)

	rc, out, errs := runCmd(t, nil, "shift", "list", "--data-dir", dir)
	require.Equal(t, 0, rc, out+errs)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, out)
	assert.Contains(t, lines[0], "Variance")
	assert.Contains(t, lines[1], "张伟 1003", "newest first")
	assert.Contains(t, lines[1], "running")
	assert.Contains(t, lines[2], "王店长 1001")
	assert.Contains(t, lines[2], "655.50")
	assert.Contains(t, lines[2], "595.00")
	assert.Contains(t, lines[2], "-60.50")
	assert.Contains(t, lines[2], "赵经理")

	rc, out, errs = runCmd(t, nil, "shift", "list", "--data-dir", dir, "--format", "csv", "--staff", "1001")
	require.Equal(t, 0, rc, out+errs)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Equal(t, []string{"id", "business_day", "staff_code", "staff_name", "scope", "terminal", "started_at", "ended_at",
		"opening_float", "expected", "counted", "variance", "float_left", "countersigned_by"}, recs[0])
	assert.Equal(t, []string{id, "1001", "terminal", "500.00", "655.50", "595.00", "-60.50", "300.00", "赵经理"},
		[]string{recs[1][0], recs[1][2], recs[1][4], recs[1][8], recs[1][9], recs[1][10], recs[1][11], recs[1][12], recs[1][13]})

	rc, out, errs = runCmd(t, nil, "shift", "list", "--data-dir", dir, "--format", "json", "--limit", "1")
	require.Equal(t, 0, rc, out+errs)
	var rows []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &rows))
	require.Len(t, rows, 1)
	assert.Equal(t, float64(running), rows[0]["id"])
	assert.Equal(t, "store", rows[0]["scope"])
	assert.Equal(t, "", rows[0]["ended_at"])
	today := time.Now().In(app.ChinaTime).Format("2006-01-02")
	rc, out, _ = runCmd(t, nil, "shift", "list", "--data-dir", dir, "--from", today, "--to", today, "--format", "csv")
	require.Equal(t, 0, rc)
	assert.Len(t, strings.Split(strings.TrimSpace(out), "\n"), 3)

	rc, out, errs = runCmd(t, nil, "shift", "show", id, "--data-dir", dir)
	require.Equal(t, 0, rc, out+errs)
	for _, want := range []string{"Shift " + id + ": 王店长 (1001), terminal 1号收银台", "Business day: ",
		"Total: 3 transactions ￥243.50", "WeChat Pay: 1 transactions ￥88.00", "Cash: 2 transactions ￥155.50",
		"Deposits (not takings): 1 taken ￥500.00", "100 yuan × 5 = ￥500.00",
		"Expected ￥655.50, counted ￥595.00, variance -60.50 (limit ￥50.00), float left ￥300.00",
		"countersigned by 赵经理", "Held orders (1):", "302 房 稍后付", "Open deposits (1):", "1208 房",
		"Carts held at this till: 1, ￥18.50, oldest held at "} {
		assert.Contains(t, out, want)
	}
	// In the folder's language (Chinese).
	rc, out, _ = runCmdLang(t, nil, "", "shift", "show", id, "--data-dir", dir)
	require.Equal(t, 0, rc)
	assert.Contains(t, out, "应有现金 ￥655.50，实点现金 ￥595.00，差额 -60.50")
	rc, out, errs = runCmd(t, nil, "shift", "show", strconv.FormatInt(running, 10), "--data-dir", dir)
	require.Equal(t, 0, rc, out+errs)
	assert.Contains(t, out, "Still running")

	// The reprint: logged in (the demo manager by default), printed on the
	// simulated printer, marked, audited.
	rc, out, errs = runCmd(t, fast, "shift", "print", id, "--data-dir", dir)
	require.Equal(t, 0, rc, out+errs)
	assert.Contains(t, out, "has been printed")
	ctx := context.Background()
	s, err := Open(ctx, Options{DataDir: dir, Command: "test"})
	require.NoError(t, err)
	defer s.Close()
	jobs, err := s.DB.PrintJobs().ListJobs(ctx, printq.Filter{Ref: shiftRef(ended)})
	require.NoError(t, err)
	require.Len(t, jobs, 1, "printed once on the CLI's printer (none at the clock-off: no devices there)")
	assert.Equal(t, printq.Printed, jobs[0].State)
	assert.Equal(t, printq.KindReprint, jobs[0].Kind)
	j, err := s.DB.PrintJobs().GetJob(ctx, jobs[0].ID)
	require.NoError(t, err)
	text, err := simplifiedchinese.GB18030.NewDecoder().String(string(j.Payload))
	require.NoError(t, err)
	for _, want := range []string{"重印", "交接班报表", "王店长（1001）", "-￥60.50", "差额复核: 赵经理", "【微信支付】", "1208 房"} {
		assert.Contains(t, text, want)
	}
	var n int
	require.NoError(t, s.DB.Read().QueryRow(`SELECT count(*) FROM audit_log WHERE action='shift_report_reprint' AND subject=?`, id).Scan(&n))
	assert.Equal(t, 1, n)
}

func TestShiftCLI_BadInput(t *testing.T) {
	dir, ended, running := handedOverFolder(t)
	before := shiftTables(t, dir)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"shift"}, 2, "usage: pos shift list"},
		{[]string{"shift", "close"}, 2, "Unknown action: close"},
		{[]string{"shift", "list", "--format", "xml"}, 2, "Unknown format xml"},
		{[]string{"shift", "list", "--limit", "0"}, 2, "--limit must be from 1"},
		{[]string{"shift", "list", "--from", "16/01/2026"}, 2, "--from takes a date"},
		{[]string{"shift", "list", "--from", "2026-01-17", "--to", "2026-01-16"}, 2, "must come before"},
		{[]string{"shift", "list", "--staff", "9999"}, 1, ""},
		{[]string{"shift", "show"}, 2, "ID is required"},
		{[]string{"shift", "show", "abc"}, 2, "whole number above 0"},
		{[]string{"shift", "show", "1", "2"}, 2, "Unexpected argument: 2"},
		{[]string{"shift", "show", "424242"}, 1, "No shift 424242"},
		{[]string{"shift", "print", "424242"}, 1, "No shift 424242"},
		{[]string{"shift", "print", strconv.FormatInt(running, 10)}, 1, "still running"},
		{[]string{"shift", "print", strconv.FormatInt(ended, 10), "--staff", "1001", "--pin", "0000"}, 1, "PIN"},
		{[]string{"shift", "print", strconv.FormatInt(ended, 10), "--staff", "1003", "--pin", "5678"}, 1, "张伟"},
	} {
		rc, out, errs := runCmd(t, fast, append(c.args, "--data-dir", dir)...)
		require.Equal(t, c.code, rc, "%v: %s%s", c.args, out, errs)
		assert.Contains(t, errs, c.want, c.args)
	}
	assert.Equal(t, before, shiftTables(t, dir), "no shift changed, nothing queued")
}

// shiftTables is the shift table and the print queue, as text.
func shiftTables(t *testing.T, dir string) string {
	t.Helper()
	s, err := Open(context.Background(), Options{DataDir: dir, Command: "test"})
	require.NoError(t, err)
	defer s.Close()
	var out string
	require.NoError(t, s.DB.Read().QueryRow(`SELECT
		(SELECT group_concat(id || ':' || COALESCE(ended_at,'') || ':' || length(summary_json), ',') FROM shift) || '|' ||
		(SELECT count(*) FROM print_jobs)`).Scan(&out))
	return out
}

// list and show only read: they work while the app holds the folder.
func TestShiftCLI_ReadsBesideARunningApp(t *testing.T) {
	dir, ended, _ := handedOverFolder(t)
	lock, err := localdb.LockDir(dir, "gui")
	require.NoError(t, err)
	defer lock.Release()
	rc, out, errs := runCmd(t, nil, "shift", "show", strconv.FormatInt(ended, 10), "--data-dir", dir)
	require.Equal(t, 0, rc, out+errs)
	rc, _, errs = runCmd(t, fast, "shift", "print", strconv.FormatInt(ended, 10), "--data-dir", dir)
	require.Equal(t, exitLocked, rc, errs)
}

// TestSmoke_ShiftReport renders the report of a real clock-off from its
// ESC/POS bytes on the printer emulator: the picture goes to a temporary
// folder, or to docs/screenshots under `make screenshots`.
func TestSmoke_ShiftReport(t *testing.T) {
	dir, ended, _ := handedOverFolder(t)
	ctx := context.Background()
	s, err := Open(ctx, Options{DataDir: dir, Command: "test"})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Start(ctx))
	sh, err := s.Shifts.Get(ctx, ended)
	require.NoError(t, err)
	st, err := s.DB.CurrentStore(ctx)
	require.NoError(t, err)
	term, err := s.DB.CurrentTerminal(ctx)
	require.NoError(t, err)
	job, err := receipt.ShiftReportJob(receipt.HeaderFromStore(st),
		shiftReport(shift.Report{Store: st, Terminal: term, Shift: sh, PrintedAt: sh.EndedAt}), receipt.Options{Paper: escpos.Paper80})
	require.NoError(t, err)
	emu := sim.NewPrinterEmulator(sim.PrinterOptions{Paper: escpos.Paper80})
	emu.Feed(job)
	rs := emu.Receipts()
	require.Len(t, rs, 1)
	require.True(t, rs[0].Cut)
	require.Empty(t, rs[0].Notes)
	for _, want := range []string{"交接班报表", "应有现金", "￥655.50", "实点现金", "￥595.00", "-￥60.50", "上缴现金", "￥295.00",
		"100元 × 5", "挂单（1）", "未结押金（1）"} {
		assert.Contains(t, rs[0].Text, want)
	}
	path := filepath.Join(screenshotDir(t), "shift-report.png")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, png.Encode(f, rs[0].Image))
	require.NoError(t, f.Close())
	t.Logf("shift report: %s (%d bytes of ESC/POS)", path, len(job))
}
