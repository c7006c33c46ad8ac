package settings

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/jobs"
	"cashier/app/jobs/jobstest"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

// jobsService is the fake settings service with the scheduled jobs.
type jobsService struct {
	fakeService
	reg *jobs.Registry
}

func (j *jobsService) Jobs() Jobs { return j.reg }

// gate is a job that reports half-way and waits to be let go, then fails
// or succeeds as told.
type gate struct {
	release chan error
}

func (g *gate) work(ctx context.Context, p jobs.Progress) (jobs.Result, error) {
	p(0.5, app.Msg("jobs.settle.checking"))
	select {
	case err := <-g.release:
		return jobs.Result{Done: 4, Summary: app.Msg("jobs.settle.summary", "Done", 4, "Open", 0)}, err
	case <-ctx.Done():
		return jobs.Result{}, ctx.Err()
	}
}

type jobsWorld struct {
	t     *testing.T
	reg   *jobs.Registry
	store *jobstest.Store
	gate  *gate
	view  *View
	row   *JobRow
}

var jobsNow = time.Date(2025, 3, 10, 9, 0, 0, 0, app.Zone("Asia/Shanghai"))

func newJobsWorld(t *testing.T, staff app.Staff, override func(string, func())) *jobsWorld {
	t.Helper()
	async.Synchronous, async.Serial = true, true
	t.Cleanup(func() { async.Synchronous, async.Serial = false, false })
	require.NoError(t, i18n.Use(i18n.Chinese))
	test.NewTempApp(t)
	w := &jobsWorld{t: t, store: jobstest.NewStore(), gate: &gate{release: make(chan error)}}
	w.reg = jobs.New(jobs.Config{Store: w.store, Permits: jobstest.Permits{manager.ID: true},
		Clock: app.NewManualClock(jobsNow), Location: app.Zone("Asia/Shanghai")})
	require.NoError(t, w.reg.Add(jobs.Job{Name: jobs.NameSettle, Title: app.Msg("jobs.settle.title"), Default: jobs.DefaultSettle,
		Work: w.gate.work}))
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, w.reg.Start(ctx, false))
	t.Cleanup(func() { cancel(); w.reg.Stop() })
	async.DoAndWait(func() {
		w.view = New(Deps{Settings: &jobsService{reg: w.reg}, Staff: staff, Override: override})
		win := test.NewTempWindow(t, w.view.Content())
		win.Resize(fyne.NewSize(1024, 768))
	})
	require.NotNil(t, w.view.JobsSection)
	require.Len(t, w.view.JobsSection.Rows, 1)
	w.row = w.view.JobsSection.Rows[0]
	return w
}

// on reads or changes widgets on the UI goroutine (the job's progress
// updates them from its own).
func on[T any](f func() T) T {
	var v T
	async.DoAndWait(func() { v = f() })
	return v
}

func (w *jobsWorld) eventually(what string, cond func() bool) {
	w.t.Helper()
	require.Eventually(w.t, func() bool { return on(cond) }, 5*time.Second, 5*time.Millisecond, what)
}

// Run now: the button starts the job, the bar follows its progress and
// the button stays off while it runs; the result, and an error in words,
// are shown when it ends, with the times in the store's zone.
func TestSettingsJobs_RunNowProgressResult(t *testing.T) {
	w := newJobsWorld(t, manager, nil)
	r := w.row
	assert.Equal(t, "结算未完成的支付、退款与押金操作", on(func() string { return r.Title.Text }))
	assert.Equal(t, "@every 5m", on(func() string { return r.Spec.Text }))
	assert.Equal(t, "2025-03-10 09:05:00", on(func() string { return r.Next.Text }), "next run in the store's zone")
	assert.Equal(t, "从未运行", on(func() string { return r.Last.Text }))
	// Beside the navigation bar of a 1024-wide window.
	assert.LessOrEqual(t, on(func() float32 { return w.view.JobsSection.Panel.MinSize().Width }), float32(800))
	assert.False(t, on(func() bool { return r.Progress.Visible() }))

	async.DoAndWait(func() { test.Tap(r.RunNow) })
	w.eventually("the bar shows half-way", func() bool { return r.Progress.Visible() && r.Progress.Value == 0.5 })
	assert.True(t, on(func() bool { return r.RunNow.Disabled() }), "run now is off while it runs")
	assert.Equal(t, "正在查询未完成的支付、退款与押金操作…", on(func() string { return r.ProgressMsg.Text }))
	assert.Contains(t, on(func() string { return r.State.Text }), "运行中")
	require.ErrorIs(t, w.reg.RunNow(context.Background(), manager.ID, jobs.NameSettle), jobs.ErrRunning)

	w.gate.release <- nil
	w.eventually("the result is shown", func() bool { return !r.RunNow.Disabled() && r.Result.Text != "" })
	assert.Equal(t, "成功：已查询 4 笔，仍未完成 0 笔", on(func() string { return r.Result.Text }))
	assert.False(t, on(func() bool { return r.Progress.Visible() || r.Busy.Visible() }))
	assert.False(t, on(func() bool { return r.Error.Visible() }))
	assert.Equal(t, "2025-03-10 09:00:00 至 2025-03-10 09:00:00（0 秒，立即运行）", on(func() string { return r.Last.Text }))

	// A failing run shows its error in words.
	async.DoAndWait(func() { test.Tap(r.RunNow) })
	w.eventually("running again", func() bool { return r.RunNow.Disabled() })
	w.gate.release <- jobs.ErrNotHere.With("Title", app.Msg("jobs.reconcile.title"))
	w.eventually("the error is shown", func() bool { return r.Error.Visible() })
	assert.Contains(t, on(func() string { return r.Result.Text }), "失败")
	assert.Equal(t, "下载昨日账单并对账 不能在这里运行", on(func() string { return r.Error.Text }))
}

// A schedule is checked as typed: a bad one is refused in words naming
// it and saves nothing; Enter saves a good one, audited, and the next run
// follows it.
func TestSettingsJobs_Schedule(t *testing.T) {
	w := newJobsWorld(t, manager, nil)
	r := w.row
	for _, c := range []struct{ spec, says string }{
		{"30 3 * *", "需要 5 个"},
		{"@every 10s", "至少"},
		{"CRON_TZ=Europe/Berlin 30 3 * * *", "Asia/Shanghai"},
		{"0 0 30 2 *", "永远不会"},
		{"", "不能为空"},
	} {
		async.DoAndWait(func() {
			r.Spec.SetText(c.spec)
			test.Tap(r.Save)
		})
		msg := on(func() string { return r.Message.Text })
		assert.Contains(t, msg, c.spec, "names what was typed")
		assert.Contains(t, msg, c.says, c.spec)
	}
	assert.Empty(t, w.store.Audits, "nothing saved")
	assert.Equal(t, "2025-03-10 09:05:00", on(func() string { return r.Next.Text }), "the schedule in force is unchanged")

	async.DoAndWait(func() {
		r.Spec.SetText("30 3 * * *")
		r.Spec.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	})
	assert.Equal(t, "计划已保存", on(func() string { return r.Message.Text }))
	require.Len(t, w.store.Audits, 1)
	assert.Equal(t, manager.ID, w.store.Audits[0].StaffID)
	assert.Equal(t, "2025-03-11 03:30:00", on(func() string { return r.Next.Text }), "03:30 in the store's zone")

	async.DoAndWait(func() {
		r.Enabled.SetChecked(false)
		test.Tap(r.Save)
	})
	assert.Equal(t, "不按计划运行（已停用）", on(func() string { return r.Next.Text }))
	assert.Contains(t, on(func() string { return r.State.Text }), "已停用")
	assert.False(t, on(func() bool { return r.RunNow.Disabled() }), "run now still works for a job that is off")
}

// Without the settings permission the jobs are shown, not changed; with a
// manager's override at hand, saving and run now ask for it once.
func TestSettingsJobs_Permission(t *testing.T) {
	clerk := app.Staff{ID: 3, Name: "张伟", Permissions: map[string]bool{}}
	w := newJobsWorld(t, clerk, nil)
	r := w.row
	assert.True(t, on(func() bool { return r.Save.Disabled() && r.RunNow.Disabled() && r.Spec.Disabled() }))

	var asked []string
	w2 := newJobsWorld(t, clerk, func(perm string, then func()) { asked = append(asked, perm) })
	r2 := w2.row
	assert.False(t, on(func() bool { return r2.Save.Disabled() || r2.RunNow.Disabled() }))
	async.DoAndWait(func() { test.Tap(r2.RunNow) })
	assert.Equal(t, []string{app.PermSettings}, asked, "a manager is asked first")
	assert.Empty(t, w2.store.Runs(), "nothing runs without the approval")
}
