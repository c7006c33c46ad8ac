package jobs_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	. "cashier/app/jobs"
	"cashier/app/jobs/jobstest"
)

const manager = 7 // holds the settings permission in these tests

func newTest(t *testing.T, loc *time.Location, clock app.Clock) (*Registry, *jobstest.Store) {
	t.Helper()
	st := jobstest.NewStore()
	return New(Config{Store: st, Permits: jobstest.Permits{manager: true}, Clock: clock, Location: loc}), st
}

func okWork(context.Context, Progress) (Result, error) {
	return Result{Summary: app.Msg("jobs.settle.summary", "Done", 1, "Open", 0), Done: 1}, nil
}

// blocker is a job that reports half-way and then waits to be released.
type blocker struct {
	started chan struct{}
	release chan struct{}
}

func newBlocker() *blocker {
	return &blocker{started: make(chan struct{}, 16), release: make(chan struct{})}
}

func (b *blocker) work(ctx context.Context, p Progress) (Result, error) {
	p(0.5, app.Msg("jobs.settle.checking"))
	b.started <- struct{}{}
	select {
	case <-b.release:
		return Result{Done: 3}, nil
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

func (b *blocker) waitStarted(t *testing.T) {
	t.Helper()
	select {
	case <-b.started:
	case <-time.After(5 * time.Second):
		t.Fatal("the job did not start")
	}
}

func status(t *testing.T, r *Registry, name string) Status {
	t.Helper()
	s, err := r.Status(name)
	require.NoError(t, err)
	return s
}

func waitIdle(t *testing.T, r *Registry, name string) Status {
	t.Helper()
	require.Eventually(t, func() bool { return !status(t, r, name).Running }, 5*time.Second, 5*time.Millisecond)
	return status(t, r, name)
}

var march10 = time.Date(2025, 3, 10, 3, 30, 0, 0, app.Zone("Asia/Shanghai"))

// While a run goes on, a run now is refused ("already running") however
// it is asked, and a scheduled time is skipped — not queued: when the run
// ends nothing else starts.
func TestRegistry_NeverTwoRunsAtOnce(t *testing.T) {
	ctx := context.Background()
	clock := app.NewManualClock(march10)
	r, st := newTest(t, app.Zone("Asia/Shanghai"), clock)
	b := newBlocker()
	require.NoError(t, r.Add(Job{Name: "slow", Title: app.Msg("jobs.settle.title"), Default: "@every 5m", Work: b.work}))
	require.NoError(t, r.Start(ctx, false))

	require.NoError(t, r.RunNow(ctx, manager, "slow"))
	b.waitStarted(t)
	s := status(t, r, "slow")
	require.True(t, s.Running)
	assert.Equal(t, 0.5, s.Progress)
	assert.Equal(t, "jobs.settle.checking", s.ProgressMsg.Code)
	assert.Equal(t, TriggerNow, s.Current.Trigger)
	assert.Equal(t, int64(manager), s.Current.StaffID)

	err := r.RunNow(ctx, manager, "slow")
	require.ErrorIs(t, err, ErrRunning)
	m, _ := app.AsMessage(err)
	assert.Equal(t, app.Msg("jobs.settle.title"), m.Args["Title"], "the refusal names the job")
	_, err = r.Run(ctx, manager, "slow", TriggerCLI, nil)
	require.ErrorIs(t, err, ErrRunning)
	require.ErrorIs(t, r.RunAtStart("slow"), ErrRunning)

	clock.Advance(5 * time.Minute)
	r.Tick("slow") // cron's call at the next time: skipped, returns at once
	assert.Equal(t, 1, status(t, r, "slow").Skipped)
	require.Len(t, st.Runs(), 1, "one run recorded")

	close(b.release)
	s = waitIdle(t, r, "slow")
	assert.Equal(t, StateOK, s.Last.State)
	assert.Equal(t, 3, s.Last.Done)
	assert.Len(t, b.started, 0, "the skipped tick was not queued behind the run")
	require.Len(t, st.Runs(), 1)

	// The next time comes round: it runs.
	clock.Advance(5 * time.Minute)
	r.Tick("slow")
	require.Len(t, st.Runs(), 2)
	assert.Equal(t, TriggerSchedule, st.Runs()[1].Trigger)
}

// A failing job records its error and is not retried on its own: it shows
// the error and its next time, and runs again then.
func TestRegistry_FailedRunRetriedAtNextTime(t *testing.T) {
	ctx := context.Background()
	clock := app.NewManualClock(march10)
	r, st := newTest(t, app.Zone("Asia/Shanghai"), clock)
	calls := 0
	work := func(context.Context, Progress) (Result, error) {
		calls++
		if calls == 1 {
			return Result{Open: 2}, ErrNotHere.With("Title", "bill")
		}
		return Result{Done: 5}, nil
	}
	require.NoError(t, r.Add(Job{Name: "nightly", Title: app.Msg("jobs.reconcile.title"), Default: "30 3 * * *", Work: work}))
	require.NoError(t, r.Start(ctx, false))

	r.Tick("nightly")
	s := status(t, r, "nightly")
	assert.Equal(t, StateFailed, s.Last.State)
	assert.Equal(t, "jobs.err.not_here", s.Last.Err.Code, "the error is shown")
	assert.Equal(t, 2, s.Last.Open)
	assert.Equal(t, "2025-03-11 03:30", s.Next.Format("2006-01-02 15:04"), "retried at its next time")
	assert.Equal(t, 1, calls, "no retry of its own")

	clock.Advance(24 * time.Hour)
	r.Tick("nightly")
	s = status(t, r, "nightly")
	assert.Equal(t, StateOK, s.Last.State)
	assert.Empty(t, s.Last.Err.Code)
	require.Len(t, st.Runs(), 2)
	assert.Equal(t, StateFailed, st.Runs()[0].State, "the failed run is kept")
}

// The system clock set back (or forward) during and after a run: the run
// keeps its start, end and state, its duration is the time that passed,
// a tick during it is skipped, and cron coming round to 03:30 again on
// the set-back clock does not run the job a second time that night.
func TestRegistry_ClockJump(t *testing.T) {
	ctx := context.Background()
	clock := app.NewManualClock(march10)
	r, st := newTest(t, app.Zone("Asia/Shanghai"), clock)
	b := newBlocker()
	require.NoError(t, r.Add(Job{Name: "nightly", Title: app.Msg("jobs.reconcile.title"), Default: "30 3 * * *", Work: b.work}))
	require.NoError(t, r.Start(ctx, false))

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); r.Tick("nightly") }()
	b.waitStarted(t)
	clock.Jump(-2 * time.Hour) // someone sets the clock back during the run
	clock.Advance(3 * time.Second)
	r.Tick("nightly")
	require.Equal(t, 1, status(t, r, "nightly").Skipped, "skipped while running")
	close(b.release)
	wg.Wait()

	s := status(t, r, "nightly")
	assert.Equal(t, StateOK, s.Last.State)
	assert.True(t, s.Last.Start.Equal(march10), "start kept: %v", s.Last.Start)
	assert.True(t, s.Last.End.Equal(march10.Add(-2*time.Hour+3*time.Second)), "end as the wall clock read: %v", s.Last.End)
	assert.Equal(t, 3*time.Second, s.Last.Duration, "measured on the monotonic clock")
	require.Len(t, st.Runs(), 1)
	assert.Equal(t, st.Runs()[0], s.Last, "the stored run is the one shown")

	// The set-back clock reaches 03:30 again: already served.
	clock.Set(march10)
	r.Tick("nightly")
	assert.Equal(t, 2, status(t, r, "nightly").Skipped)
	require.Len(t, st.Runs(), 1, "not run twice in one night")

	// The next night it runs.
	clock.Set(march10.Add(24 * time.Hour))
	r.Tick("nightly")
	b.waitStarted(t)
	wg.Wait()
	require.Eventually(t, func() bool { return len(st.Runs()) == 2 && !status(t, r, "nightly").Running }, 5*time.Second, 5*time.Millisecond)

	// A clock that was years ahead when the job ran and was then put right
	// does not keep the job from running.
	clock2 := app.NewManualClock(march10.AddDate(5, 0, 0))
	r2, st2 := newTest(t, app.Zone("Asia/Shanghai"), clock2)
	require.NoError(t, r2.Add(Job{Name: "nightly", Title: app.Msg("jobs.reconcile.title"), Default: "30 3 * * *", Work: okWork}))
	require.NoError(t, r2.Start(ctx, false))
	r2.Tick("nightly")
	clock2.Set(march10)
	r2.Tick("nightly")
	require.Len(t, st2.Runs(), 2)
}

// A run the program was doing when it closed ends as interrupted (not
// failed); one left marked running by a process that died is closed as
// interrupted when the next takes over.
func TestRegistry_Interrupted(t *testing.T) {
	clock := app.NewManualClock(march10)
	r, st := newTest(t, app.Zone("Asia/Shanghai"), clock)
	b := newBlocker()
	require.NoError(t, r.Add(Job{Name: "slow", Title: app.Msg("jobs.settle.title"), Default: "@every 5m", Work: b.work}))
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, r.Start(ctx, false))
	require.NoError(t, r.RunAtStart("slow"))
	b.waitStarted(t)
	cancel()
	r.Stop()
	s := status(t, r, "slow")
	assert.Equal(t, StateInterrupted, s.Last.State)
	assert.Equal(t, TriggerStart, s.Last.Trigger)
	assert.Equal(t, "jobs.err.interrupted", s.Last.Err.Code)
	require.ErrorIs(t, r.RunNow(context.Background(), manager, "slow"), ErrNotStarted, "nothing starts after Stop")

	// A run left "running" in storage by a process that is gone.
	_, err := st.StartJobRun(context.Background(), Run{Job: "slow", Trigger: TriggerSchedule, Start: march10, State: StateRunning})
	require.NoError(t, err)
	r2 := New(Config{Store: st, Permits: jobstest.Permits{}, Clock: clock, Location: app.ChinaTime})
	require.NoError(t, r2.Add(Job{Name: "slow", Title: app.Msg("jobs.settle.title"), Default: "@every 5m", Work: b.work}))
	require.NoError(t, r2.Load(context.Background()))
	assert.Equal(t, StateRunning, status(t, r2, "slow").Last.State, "a reader sees what storage says")
	require.NoError(t, r2.Start(context.Background(), false))
	assert.Equal(t, StateInterrupted, status(t, r2, "slow").Last.State)
	assert.False(t, status(t, r2, "slow").Running)
}

// Schedules are changed with the settings permission only; a bad one is
// refused in words and saves nothing; the same one again writes nothing;
// an unreadable saved schedule is shown with its error, not replaced by
// the default.
func TestRegistry_SaveSchedule(t *testing.T) {
	ctx := context.Background()
	clock := app.NewManualClock(march10)
	r, st := newTest(t, app.Zone("Asia/Shanghai"), clock)
	require.NoError(t, r.Add(Job{Name: "nightly", Title: app.Msg("jobs.reconcile.title"), Default: "30 3 * * *", Work: okWork}))
	require.NoError(t, r.Load(ctx))

	require.ErrorIs(t, r.SaveSchedule(ctx, 9, "nightly", Schedule{Spec: "0 4 * * *", Enabled: true}), app.ErrNoPermission)
	require.ErrorIs(t, r.RunNow(ctx, 9, "nightly"), app.ErrNoPermission)
	_, err := r.Run(ctx, 9, "nightly", TriggerCLI, nil)
	require.ErrorIs(t, err, app.ErrNoPermission)
	require.ErrorIs(t, r.SaveSchedule(ctx, manager, "nightly", Schedule{Spec: "0 4 * *", Enabled: true}), ErrFields)
	require.ErrorIs(t, r.SaveSchedule(ctx, manager, "nope", Schedule{Spec: "0 4 * * *"}), ErrUnknown)
	require.Empty(t, st.Audits, "nothing saved")

	require.NoError(t, r.SaveSchedule(ctx, manager, "nightly", Schedule{Spec: " 0 4 * * * ", Enabled: true}))
	s := status(t, r, "nightly")
	assert.Equal(t, "0 4 * * *", s.Schedule.Spec)
	assert.Equal(t, "2025-03-10 04:00", s.Next.Format("2006-01-02 15:04"))
	require.Len(t, st.Audits, 1)
	assert.Equal(t, int64(manager), st.Audits[0].StaffID)
	assert.Equal(t, "job.nightly", st.Audits[0].Subject)
	assert.Contains(t, st.Audits[0].Detail, `"30 3 * * *" -> "0 4 * * *"`)
	require.NoError(t, r.SaveSchedule(ctx, manager, "nightly", Schedule{Spec: "0 4 * * *", Enabled: true}))
	assert.Len(t, st.Audits, 1, "the same schedule again writes nothing")

	require.NoError(t, r.SaveSchedule(ctx, manager, "nightly", Schedule{Spec: "0 4 * * *", Enabled: false}))
	assert.True(t, status(t, r, "nightly").Next.IsZero(), "off: no next run")

	// Saved by hand in the database and unreadable.
	st2 := jobstest.NewStore()
	require.NoError(t, st2.SaveJobSchedule(ctx, "nightly", Schedule{Spec: "every night", Enabled: true}, app.AuditEntry{}))
	r2 := New(Config{Store: st2, Permits: jobstest.Permits{}, Clock: clock, Location: app.ChinaTime})
	require.NoError(t, r2.Add(Job{Name: "nightly", Title: app.Msg("jobs.reconcile.title"), Default: "30 3 * * *", Work: okWork}))
	require.NoError(t, r2.Start(ctx, true))
	defer r2.Stop()
	s = status(t, r2, "nightly")
	require.ErrorIs(t, s.ScheduleErr, ErrSchedule)
	assert.Equal(t, "every night", s.Schedule.Spec)
	assert.True(t, s.Next.IsZero(), "not scheduled")
}

// On the real scheduler (a 1-second @every, waits with deadlines): a tick
// that comes while the run goes on is skipped, and only one run exists.
func TestRegistry_CronSkipsWhileRunning(t *testing.T) {
	st := jobstest.NewStore()
	r := New(Config{Store: st, Permits: jobstest.Permits{}, Location: app.Zone("Europe/Berlin"), MinInterval: time.Second})
	b := newBlocker()
	require.NoError(t, r.Add(Job{Name: "slow", Title: app.Msg("jobs.settle.title"), Default: "@every 1s", Work: b.work}))
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, r.Start(ctx, true))
	defer func() { cancel(); r.Stop() }()
	b.waitStarted(t)
	require.Eventually(t, func() bool { return status(t, r, "slow").Skipped >= 1 }, 5*time.Second, 10*time.Millisecond)
	require.Len(t, st.Runs(), 1)
	s := status(t, r, "slow")
	assert.Equal(t, TriggerSchedule, s.Current.Trigger)
	assert.Equal(t, app.Zone("Europe/Berlin"), s.Next.Location(), "the next run in the store's zone")
	close(b.release)
}

// On the real scheduler: a failed run is retried at the next time (a
// second later here), not at once.
func TestRegistry_CronRetriesAtNextTime(t *testing.T) {
	st := jobstest.NewStore()
	r := New(Config{Store: st, Permits: jobstest.Permits{}, MinInterval: time.Second})
	var mu sync.Mutex
	calls := 0
	work := func(context.Context, Progress) (Result, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return Result{}, ErrNotHere.With("Title", "bill")
		}
		return Result{}, nil
	}
	require.NoError(t, r.Add(Job{Name: "flaky", Title: app.Msg("jobs.settle.title"), Default: "@every 1s", Work: work}))
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, r.Start(ctx, true))
	defer func() { cancel(); r.Stop() }()
	require.Eventually(t, func() bool {
		runs := st.Runs()
		return len(runs) >= 2 && runs[1].State != StateRunning
	}, 5*time.Second, 10*time.Millisecond)
	runs := st.Runs()
	assert.Equal(t, StateFailed, runs[0].State)
	assert.Equal(t, "jobs.err.not_here", runs[0].Err.Code)
	assert.Equal(t, StateOK, runs[1].State)
	assert.GreaterOrEqual(t, runs[1].Start.Sub(runs[0].End), 800*time.Millisecond, "no retry before the next time")
}
