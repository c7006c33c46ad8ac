package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app/jobs"
	"cashier/localdb"
	uisettings "cashier/ui/settings"
)

// seededFolder is a demo data folder set up as the GUI's first start
// leaves it.
func seededFolder(t *testing.T) string {
	t.Helper()
	dir := demoFolder(t)
	s, err := Open(context.Background(), Options{DataDir: dir, Command: "test", Lock: true, Seed: true})
	require.NoError(t, err)
	s.Close()
	return dir
}

// pos jobs list shows each job's schedule, next and last run in the
// store's zone; pos jobs run runs one now with its progress and result,
// and the list shows it afterwards, in English and in Chinese.
func TestJobsCLI_ListAndRun(t *testing.T) {
	dir := seededFolder(t)
	rc, out, errs := runCmd(t, nil, "jobs", "list", "--data-dir", dir)
	require.Equal(t, exitOK, rc, out+errs)
	assert.Contains(t, out, "Times are in the store's time zone")
	line := lineStarting(out, "settle")
	require.NotEmpty(t, line, out)
	assert.Contains(t, line, "Settle unfinished payments")
	assert.Contains(t, line, "@every 5m")
	rline := lineStarting(out, "reconcile")
	require.NotEmpty(t, rline, "the reconcile job is listed: "+out)
	assert.Contains(t, rline, "30 3 * * *")

	rc, out, errs = runCmd(t, fast, "jobs", "run", "settle", "--data-dir", dir)
	require.Equal(t, exitOK, rc, out+errs)
	assert.Contains(t, out, "Running: Settle unfinished payments")
	assert.Contains(t, out, "Checking unfinished payments")
	assert.Contains(t, out, "OK in")
	assert.Contains(t, out, "0 checked, 0 still open")

	rc, out, errs = runCmdLang(t, nil, "", "jobs", "list", "--data-dir", dir)
	require.Equal(t, exitOK, rc, out+errs)
	line = lineStarting(out, "settle")
	assert.Contains(t, line, "结算未完成的支付")
	assert.Contains(t, line, "成功：已查询 0 笔，仍未完成 0 笔")

	s, err := Open(context.Background(), Options{DataDir: dir, Command: "test"})
	require.NoError(t, err)
	defer s.Close()
	runs, err := s.DB.LastJobRuns(context.Background(), jobs.NameSettle, 10)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, jobs.TriggerCLI, runs[0].Trigger)
	assert.NotZero(t, runs[0].StaffID, "who ran it")
}

// Bad command lines and unknown jobs are usage errors (2); a person
// without the settings permission is refused (1); beside the running app
// list works and run exits 3 pointing at the app's "run now".
func TestJobsCLI_RefusesAndLocked(t *testing.T) {
	dir := seededFolder(t)
	for _, bad := range [][]string{
		{"jobs"},
		{"jobs", "run"},
		{"jobs", "frobnicate"},
		{"jobs", "list", "extra"},
	} {
		rc, _, errs := runCmd(t, nil, append(bad, "--data-dir", dir)...)
		assert.Equal(t, exitUsage, rc, "%v: %s", bad, errs)
	}
	rc, _, errs := runCmd(t, nil, "jobs", "run", "nope", "--data-dir", dir)
	assert.Equal(t, exitUsage, rc, errs)
	assert.Contains(t, errs, "No scheduled job named nope (there are: settle, reconcile, backoffice_push, backoffice_pull)")

	t.Setenv("POS_PIN", "5678")
	rc, _, errs = runCmd(t, fast, "jobs", "run", "settle", "--staff", "1003", "--data-dir", dir)
	assert.Equal(t, exitFailed, rc, errs)
	assert.Contains(t, errs, "permission")

	lock, err := localdb.LockDir(dir, "gui")
	require.NoError(t, err)
	defer lock.Release()
	rc, out, errs := runCmd(t, nil, "jobs", "list", "--data-dir", dir)
	assert.Equal(t, exitOK, rc, out+errs)
	rc, _, errs = runCmd(t, fast, "jobs", "run", "settle", "--data-dir", dir)
	assert.Equal(t, exitLocked, rc, errs)
	assert.Contains(t, errs, `use "Run now" in its Settings → Scheduled jobs`)
}

func lineStarting(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// The app starts the jobs: settle runs once at start (recorded with its
// trigger) and is scheduled, and the Settings workspace is given them.
func TestServices_JobsStartWithTheApp(t *testing.T) {
	dir := seededFolder(t)
	s, err := Open(context.Background(), Options{DataDir: dir, Command: "test", Lock: true, Payments: true, Jobs: true})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Start(context.Background()))
	require.NotNil(t, s.Jobs)
	require.Eventually(t, func() bool {
		st, err := s.Jobs.Status(jobs.NameSettle)
		return err == nil && st.Last.ID != 0
	}, 10*time.Second, 10*time.Millisecond, "the start-up settle ran")
	st, err := s.Jobs.Status(jobs.NameSettle)
	require.NoError(t, err)
	assert.Equal(t, jobs.TriggerStart, st.Last.Trigger)
	assert.Equal(t, jobs.StateOK, st.Last.State)
	assert.False(t, st.Next.IsZero(), "scheduled")
	assert.WithinDuration(t, time.Now().Add(5*time.Minute), st.Next, 5*time.Second, "the scheduler's own next time")
	js, ok := settingsDeps(s).(uisettings.JobsSettings)
	require.True(t, ok, "Settings is given the jobs")
	assert.Len(t, js.Jobs().Statuses(), 4, "settle, reconcile, back-office push and pull")
	rec, err := s.Jobs.Status(jobs.NameReconcile)
	require.NoError(t, err)
	assert.Zero(t, rec.Last.ID, "reconcile waits for its time (03:30), not the start")
}
