package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pos report summary adds up what the money commands did, in the three
// formats, and refuses filters it cannot read.
func TestReportCLI_Summary(t *testing.T) {
	dir := demoFolder(t)
	rc, out, errs := runCmd(t, fast, "pay", "--data-dir", dir, "--code", "134567890123456011", "--amount", "12.50")
	require.Equal(t, 0, rc, out+errs)
	no := orderNo(out)
	rc, out, errs = runCmd(t, fast, "pay", "--data-dir", dir, "--code", "284567890123456012", "--amount", "7.50")
	require.Equal(t, 0, rc, out+errs)
	t.Setenv("POS_PIN", "8888")
	rc, out, errs = runCmd(t, fast, "refund", "--data-dir", dir, "--order", no, "--amount", "2.00", "--staff", "1001")
	require.Equal(t, 0, rc, out+errs)

	// The fast clock runs ahead of the wall clock: a range of days around
	// now holds everything.
	from := time.Now().AddDate(0, 0, -2).Format("2006-01-02")
	to := time.Now().AddDate(0, 0, 60).Format("2006-01-02")
	report := func(args ...string) (int, string, string) {
		return runCmd(t, nil, append([]string{"report", "summary", "--data-dir", dir, "--from", from, "--to", to}, args...)...)
	}
	rc, out, errs = report("--format", "json")
	require.Equal(t, 0, rc, out+errs)
	var got struct {
		Unit     string
		Total    map[string]int64
		ByMethod map[string]map[string]int64 `json:"by_method"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	assert.Equal(t, "fen", got.Unit)
	assert.Equal(t, int64(2000), got.Total["settlement"])
	assert.Equal(t, int64(1800), got.Total["received"])
	assert.Equal(t, int64(2), got.Total["tx_count"])
	assert.Equal(t, int64(1), got.Total["refund_count"])
	assert.Equal(t, int64(1250), got.ByMethod["wechat"]["settlement"])
	assert.Equal(t, int64(200), got.ByMethod["wechat"]["refund_settlement"])
	assert.Equal(t, int64(750), got.ByMethod["alipay"]["received"])

	rc, out, _ = report("--format", "csv")
	require.Equal(t, 0, rc)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 7, out) // header, five methods, total
	assert.Equal(t, "total,20.00,20.00,18.00,0.00,2.00,2.00,2,1", lines[6])

	rc, out, _ = report()
	require.Equal(t, 0, rc)
	assert.Contains(t, out, "WeChat Pay")
	assert.Contains(t, out, "Refund settlement")
	rc, out, _ = runCmdLang(t, nil, "", "report", "summary", "--data-dir", dir, "--from", from, "--to", to)
	require.Equal(t, 0, rc)
	assert.Contains(t, out, "实收金额")
	assert.Contains(t, out, "18.00")

	// One staff member: the refund was 1001's, the payments the CLI's.
	rc, out, _ = report("--staff", "1001", "--format", "json")
	require.Equal(t, 0, rc, out)
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.Equal(t, int64(1), got.Total["refund_count"])

	for _, bad := range [][]string{
		{"report", "summary", "--data-dir", dir, "--day", "2026-11-20", "--from", from, "--to", to},
		{"report", "summary", "--data-dir", dir, "--from", from},
		{"report", "summary", "--data-dir", dir, "--from", "yesterday", "--to", to},
		{"report", "summary", "--data-dir", dir, "--day", "2026-02-30"},
		{"report", "summary", "--data-dir", dir, "--format", "xml"},
		{"report", "totals", "--data-dir", dir},
	} {
		rc, _, errs := runCmd(t, nil, bad...)
		assert.Equal(t, 2, rc, "%v: %s", bad, errs)
	}
	rc, _, errs = report("--store", "NOPE")
	assert.Equal(t, 1, rc)
	assert.Contains(t, errs, "NOPE")
	rc, _, errs = runCmd(t, nil, "report", "summary", "--data-dir", dir, "--from", to, "--to", from)
	assert.Equal(t, 2, rc, "a range the wrong way round is a usage problem, as in pos shift list and pos audit list")
	assert.Contains(t, errs, "must come before")
}

// A shift filter names a shift of the store: an unknown one is not a
// shift that took nothing, and a negative one is not a number of a shift.
// An inverted range is a usage problem as in pos shift and pos audit. The
// deposit lines carry one currency sign.
func TestReportCLI_BadShiftRangeAndDeposits(t *testing.T) {
	dir := auditFolder(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--shift", "-3"}, exitUsage, `"-3"`},
		{[]string{"--shift", "999"}, exitFailed, "No shift 999"},
		{[]string{"--from", "2026-03-02", "--to", "2026-03-01"}, exitUsage, "--from 2026-03-02 must come before --to 2026-03-01"},
		{[]string{"--from", "2026-03-01 10:00", "--to", "2026-03-01 10:00"}, exitUsage, "must come before"},
	} {
		code, out, errs := runCmd(t, nil, append([]string{"report", "summary", "--data-dir", dir}, tc.args...)...)
		assert.Equal(t, tc.code, code, "%v: %s%s", tc.args, out, errs)
		assert.Contains(t, errs, tc.want, tc.args)
		assert.Empty(t, out, tc.args)
	}
	code, out, errs := runCmd(t, nil, "report", "summary", "--data-dir", dir, "--from", "2026-03-01", "--to", "2026-03-01")
	require.Equal(t, exitOK, code, out+errs)
	assert.Contains(t, out, "0 taken ￥0.00, consumed ￥0.00, released ￥0.00")
	assert.Contains(t, out, "Deposits held at the end: 0, ￥0.00")
	code, out, _ = runCmdLang(t, nil, "zh", "report", "summary", "--data-dir", dir, "--from", "2026-03-01", "--to", "2026-03-01")
	require.Equal(t, exitOK, code)
	assert.NotContains(t, out, "￥￥")
	// The Chinese table lines up: every line of it as wide on screen.
	lines := strings.Split(out, "\n")[1:8]
	for _, l := range lines {
		assert.Equal(t, displayWidth(lines[0]), displayWidth(l), "%q\n%s", l, out)
	}
}

// The deposits held are a balance at the end of a time range of the whole
// store: JSON carries them there, and leaves them out (never a 0 that
// reads as "nothing held") for a day, a shift or one person.
func TestReportCLI_DepositsHeldOnlyWhereKnown(t *testing.T) {
	dir := demoFolder(t)
	rc, out, errs := runCmd(t, fast, "pay", "--data-dir", dir, "--deposit", "--code", "134567890123456780", "--amount", "500")
	require.Equal(t, 0, rc, out+errs)
	from := time.Now().AddDate(0, 0, -2).Format("2006-01-02")
	to := time.Now().AddDate(0, 0, 60).Format("2006-01-02")
	deposits := func(args ...string) map[string]int64 {
		t.Helper()
		rc, out, errs := runCmd(t, nil, append([]string{"report", "summary", "--data-dir", dir, "--format", "json"}, args...)...)
		require.Equal(t, 0, rc, out+errs)
		var got struct{ Deposits map[string]int64 }
		require.NoError(t, json.Unmarshal([]byte(out), &got), out)
		return got.Deposits
	}
	d := deposits("--from", from, "--to", to)
	assert.Equal(t, int64(50000), d["held"])
	assert.Equal(t, int64(1), d["held_count"])
	assert.Equal(t, int64(50000), d["taken"])
	for _, args := range [][]string{{"--from", from, "--to", to, "--staff", "1001"}, {}} {
		d := deposits(args...)
		assert.NotContains(t, d, "held", "%v", args)
		assert.NotContains(t, d, "held_count", "%v", args)
	}
}
