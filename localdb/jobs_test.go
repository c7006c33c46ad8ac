package localdb_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/jobs"
	"cashier/app/jobs/jobstest"
	"cashier/localdb"
)

// fxJobs is a registry over db with one job that fails when told to.
func fxJobs(db *localdb.DB, clock app.Clock, fail *error) *jobs.Registry {
	r := jobs.New(jobs.Config{Store: db, Permits: jobstest.Permits{1: true}, Clock: clock, Location: app.Zone("Asia/Shanghai")})
	if err := r.Add(jobs.Job{Name: "reconcile", Title: app.Msg("jobs.reconcile.title"), Default: jobs.DefaultReconcile,
		Work: func(_ context.Context, p jobs.Progress) (jobs.Result, error) {
			p(0.5, app.Msg("jobs.settle.checking"))
			return jobs.Result{Done: 7, Open: 2, Summary: app.Msg("jobs.settle.summary", "Done", 7, "Open", 2)}, *fail
		}}); err != nil {
		panic(err)
	}
	return r
}

// Schedules and runs outlive the process: after the database is closed
// and opened again the saved schedule (and its audit line), the last run
// with its times, counts and error (its parameters of every kind) are
// read back as they were.
func TestJobs_PersistAcrossReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pos.db")
	db, err := localdb.Open(path)
	require.NoError(t, err)
	fxSeed(t, db)
	start := time.Date(2025, 3, 10, 3, 30, 0, 0, app.Zone("Asia/Shanghai"))
	clock := app.NewManualClock(start)
	failure := error(jobs.ErrSettleItems.With("Count", 2, "Amount", app.Money(1250), "At", start,
		"First", app.NewError("channel.unreachable").With("Channel", "wechat")))
	r := fxJobs(db, clock, &failure)
	require.NoError(t, r.Start(ctx, false))
	require.NoError(t, r.SaveSchedule(ctx, 1, "reconcile", jobs.Schedule{Spec: "0 4 * * *", Enabled: false}))
	require.Len(t, fxAudit(t, db, "settings"), 1)
	assert.Equal(t, "job.reconcile", fxAudit(t, db, "settings")[0].Subject)
	run, err := r.Run(ctx, 1, "reconcile", jobs.TriggerCLI, func(float64, app.Message) { clock.Advance(1500 * time.Millisecond) })
	require.NoError(t, err)
	require.Equal(t, jobs.StateFailed, run.State)
	require.NoError(t, db.Close())

	db, err = localdb.Open(path)
	require.NoError(t, err)
	defer db.Close()
	r = fxJobs(db, clock, &failure)
	require.NoError(t, r.Load(ctx))
	s, err := r.Status("reconcile")
	require.NoError(t, err)
	assert.Equal(t, jobs.Schedule{Spec: "0 4 * * *", Enabled: false}, s.Schedule)
	last := s.Last
	assert.Equal(t, run.ID, last.ID)
	assert.Equal(t, jobs.StateFailed, last.State)
	assert.Equal(t, jobs.TriggerCLI, last.Trigger)
	assert.Equal(t, int64(1), last.StaffID)
	assert.True(t, last.Start.Equal(start))
	assert.True(t, last.End.Equal(start.Add(1500*time.Millisecond)), "%v", last.End)
	assert.Equal(t, 1500*time.Millisecond, last.Duration)
	assert.Equal(t, 7, last.Done)
	assert.Equal(t, 2, last.Open)
	assert.Equal(t, app.Msg("jobs.settle.summary", "Done", int64(7), "Open", int64(2)), last.Summary)
	assert.Equal(t, "jobs.settle.items_failed", last.Err.Code)
	assert.Equal(t, app.Money(1250), last.Err.Args["Amount"], "an amount stays an amount")
	assert.True(t, start.Equal(last.Err.Args["At"].(time.Time)), "a time stays a time")
	assert.Equal(t, app.Msg("channel.unreachable", "Channel", "wechat"), last.Err.Args["First"], "a nested error as its message")
	assert.Contains(t, last.Detail, "channel.unreachable")
}

// Only the newest 50 runs of a job are kept; other jobs' runs are not
// touched.
func TestJobs_KeepsTheLast50(t *testing.T) {
	ctx := context.Background()
	db := fxOpen(t)
	fxSeed(t, db)
	clock := app.NewManualClock(time.Date(2025, 3, 10, 3, 30, 0, 0, time.UTC))
	var ok error
	r := fxJobs(db, clock, &ok)
	require.NoError(t, r.Start(ctx, false))
	other, err := db.StartJobRun(ctx, jobs.Run{Job: "settle", Trigger: jobs.TriggerStart, Start: clock.Now()})
	require.NoError(t, err)
	require.NoError(t, db.FinishJobRun(ctx, jobs.Run{ID: other, Job: "settle", State: jobs.StateOK, End: clock.Now()}, 50))
	for range 55 {
		clock.Advance(time.Minute)
		_, err := r.Run(ctx, 1, "reconcile", jobs.TriggerCLI, nil)
		require.NoError(t, err)
	}
	runs, err := db.LastJobRuns(ctx, "reconcile", 100)
	require.NoError(t, err)
	require.Len(t, runs, 50)
	assert.Greater(t, runs[0].ID, runs[49].ID, "newest first")
	assert.True(t, runs[0].Start.Equal(clock.Now()))
	settle, err := db.LastJobRuns(ctx, "settle", 100)
	require.NoError(t, err)
	assert.Len(t, settle, 1)
}

// A run left "running" by a process that died is closed as interrupted
// by the next process that takes the folder; a reader only sees it.
func TestJobs_InterruptedByACrash(t *testing.T) {
	ctx := context.Background()
	db := fxOpen(t)
	fxSeed(t, db)
	clock := app.NewManualClock(time.Date(2025, 3, 10, 3, 30, 0, 0, time.UTC))
	_, err := db.StartJobRun(ctx, jobs.Run{Job: "reconcile", Trigger: jobs.TriggerSchedule, Start: clock.Now()})
	require.NoError(t, err)
	var ok error
	r := fxJobs(db, clock, &ok)
	require.NoError(t, r.Load(ctx))
	s, _ := r.Status("reconcile")
	assert.Equal(t, jobs.StateRunning, s.Last.State)
	clock.Advance(time.Hour)
	require.NoError(t, r.Start(ctx, false))
	s, _ = r.Status("reconcile")
	assert.Equal(t, jobs.StateInterrupted, s.Last.State)
	assert.Equal(t, "jobs.err.interrupted", s.Last.Err.Code)
	assert.True(t, s.Last.End.Equal(clock.Now()))
}
