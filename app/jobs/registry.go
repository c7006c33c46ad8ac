package jobs

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"cashier/app"
)

// Config is what a Registry needs.
type Config struct {
	Store Store
	// Permits: a run now and a schedule change need app.PermSettings,
	// read at that moment (a manager's one-shot override counts).
	Permits app.Permits
	// Clock stamps runs (start, end) and reads "now" for the next run and
	// for the clock-jump guard; durations are measured on its monotonic
	// Since. The scheduler itself wakes on Go's timers.
	Clock app.Clock
	// Location is the store's time zone: schedules are read in it.
	Location *time.Location
	// Keep is how many runs of each job storage keeps (0: 50).
	Keep int
	// MinInterval is the shortest @every accepted (0: MinInterval).
	MinInterval time.Duration
	// Log hears what cannot be shown on a run (a run whose end could not
	// be written, a scheduled time skipped); nil: nothing.
	Log func(job string, msg app.Message, err error)
}

// DefaultKeep is how many runs of a job are kept.
const DefaultKeep = 50

// Registry holds the jobs, schedules them on cron in the store's time
// zone and runs them, one run of a job at a time.
type Registry struct {
	cfg Config

	mu      sync.Mutex
	order   []*entry
	byName  map[string]*entry
	cron    *cron.Cron
	ctx     context.Context // background runs' context, from Start
	stopped bool
	runs    sync.WaitGroup
	subs    map[int]func(string)
	nextSub int
}

// entry is one job and its state; its fields are guarded by Registry.mu.
type entry struct {
	job      Job
	sched    Schedule
	parsed   cron.Schedule // nil when sched cannot be read
	schedErr error
	cronID   cron.EntryID // 0: not scheduled

	running  bool
	cur      Run
	progress float64
	progMsg  app.Message
	notified float64 // the fraction subscribers last heard
	last     Run     // ID 0: never run
	skipped  int
}

// New makes an empty registry.
func New(cfg Config) *Registry {
	if cfg.Keep <= 0 {
		cfg.Keep = DefaultKeep
	}
	if cfg.MinInterval <= 0 {
		cfg.MinInterval = MinInterval
	}
	if cfg.Clock == nil {
		cfg.Clock = app.SystemClock{}
	}
	if cfg.Location == nil {
		cfg.Location = app.ChinaTime
	}
	return &Registry{cfg: cfg, byName: map[string]*entry{}, subs: map[int]func(string){}}
}

// Location is the store's time zone the schedules run in.
func (r *Registry) Location() *time.Location { return r.cfg.Location }

// Add registers a job with its default schedule (refused when the
// default cannot be read: a program error). Add jobs before Load.
func (r *Registry) Add(j Job) error {
	if j.Name == "" || strings.ContainsAny(j.Name, " \t.") {
		return ErrUnknown.With("Name", j.Name)
	}
	s, err := Parse(j.Default, r.cfg.MinInterval, r.cfg.Location)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.byName[j.Name]; dup {
		return fmt.Errorf("job %q: duplicate", j.Name)
	}
	e := &entry{job: j, sched: Schedule{Spec: j.Default, Enabled: true}, parsed: s, progress: -1}
	r.order = append(r.order, e)
	r.byName[j.Name] = e
	return nil
}

// Load reads the saved schedules and each job's last run. A saved
// schedule that cannot be read is kept and shown with its error; that job
// is not scheduled until someone saves a good one (never a silent default).
func (r *Registry) Load(ctx context.Context) error {
	saved, err := r.cfg.Store.JobSchedules(ctx)
	if err != nil {
		return err
	}
	last := map[string]Run{}
	for _, e := range r.entries() {
		runs, err := r.cfg.Store.LastJobRuns(ctx, e.job.Name, 1)
		if err != nil {
			return err
		}
		if len(runs) > 0 {
			last[e.job.Name] = runs[0]
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.order {
		if s, ok := saved[e.job.Name]; ok {
			if s.Spec == "" {
				s.Spec = e.job.Default
			}
			e.sched = s
			e.parsed, e.schedErr = Parse(s.Spec, r.cfg.MinInterval, r.cfg.Location)
		}
		if l, ok := last[e.job.Name]; ok && !e.running {
			e.last = l
		}
	}
	return nil
}

// Start takes the jobs over in this process, which holds the data
// folder: runs a process left marked running are closed as interrupted,
// schedules and last runs are read, and runs started in the background
// live under ctx. With scheduled, cron starts running the enabled jobs.
func (r *Registry) Start(ctx context.Context, scheduled bool) error {
	if _, err := r.cfg.Store.InterruptJobRuns(ctx, r.cfg.Clock.Now()); err != nil {
		return err
	}
	if err := r.Load(ctx); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ctx = ctx
	if !scheduled {
		return nil
	}
	// Jobs run in goroutines of their own; the scheduler's own guard is
	// not used: the registry's (shared with run now) skips a tick.
	r.cron = cron.New(cron.WithLocation(r.cfg.Location), cron.WithParser(parser), cron.WithLogger(cron.DiscardLogger))
	for _, e := range r.order {
		r.reschedule(e)
	}
	r.cron.Start()
	return nil
}

// Stop stops the scheduler and waits for the runs going on (cancel
// Start's context first: they end sooner). Nothing starts after it.
func (r *Registry) Stop() {
	r.mu.Lock()
	r.stopped = true
	c := r.cron
	r.mu.Unlock()
	if c != nil {
		<-c.Stop().Done()
	}
	r.runs.Wait()
}

// reschedule puts e on cron as its schedule says (under r.mu).
func (r *Registry) reschedule(e *entry) {
	if r.cron == nil {
		return
	}
	if e.cronID != 0 {
		r.cron.Remove(e.cronID)
		e.cronID = 0
	}
	if e.sched.Enabled && e.parsed != nil {
		e.cronID = r.cron.Schedule(e.parsed, cron.FuncJob(func() { r.tick(e) }))
	}
}

func (r *Registry) entries() []*entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*entry(nil), r.order...)
}

func (r *Registry) lookup(name string) (*entry, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.byName[name]
	if !ok {
		return nil, ErrUnknown.With("Name", name)
	}
	return e, nil
}

// Status is what a screen or `pos jobs list` shows of a job.
type Status struct {
	Name     string
	Title    app.Message
	Default  string
	Schedule Schedule
	// ScheduleErr: the saved schedule cannot be read; the job is not
	// scheduled until a good one is saved.
	ScheduleErr error
	// Next is the next scheduled run in the store's zone; zero when the
	// job is off or its schedule cannot be read.
	Next     time.Time
	Runnable bool // this process can run it
	Running  bool
	Current  Run // while running: its start, trigger, who asked
	// Progress is 0..1, below 0 when the work cannot tell; ProgressMsg
	// says what it is doing.
	Progress    float64
	ProgressMsg app.Message
	Last        Run // ID 0: never run
	// Skipped counts scheduled times skipped since start because a run was
	// still going (or had already run in that slot before the clock was
	// set back).
	Skipped int
}

// Statuses are the jobs in the order they were added.
func (r *Registry) Statuses() []Status {
	r.mu.Lock()
	out := make([]Status, 0, len(r.order))
	ids := make([]cron.EntryID, 0, len(r.order))
	for _, e := range r.order {
		out = append(out, r.status(e))
		ids = append(ids, e.cronID)
	}
	c := r.cron
	r.mu.Unlock()
	// The scheduler's own next time where it runs (asked outside the
	// lock: cron answers from its loop).
	if c != nil {
		for i, id := range ids {
			if id == 0 {
				continue
			}
			if n := c.Entry(id).Next; !n.IsZero() {
				out[i].Next = n.In(r.cfg.Location)
			}
		}
	}
	return out
}

// Status is one job's status.
func (r *Registry) Status(name string) (Status, error) {
	for _, s := range r.Statuses() {
		if s.Name == name {
			return s, nil
		}
	}
	return Status{}, ErrUnknown.With("Name", name)
}

func (r *Registry) status(e *entry) Status {
	s := Status{Name: e.job.Name, Title: e.job.Title, Default: e.job.Default, Schedule: e.sched, ScheduleErr: e.schedErr,
		Runnable: e.job.Work != nil, Running: e.running, Last: e.last, Skipped: e.skipped}
	if e.running {
		s.Current, s.Progress, s.ProgressMsg = e.cur, e.progress, e.progMsg
	}
	if e.sched.Enabled && e.parsed != nil {
		s.Next = r.estimateNext(e)
	}
	return s
}

// estimateNext is the next run computed from the schedule, where cron is
// not running here (pos jobs list beside the app). An @every runs that
// long after the scheduler started, which another process cannot know:
// its last run plus the interval, when that is still to come, is the
// nearest guess.
func (r *Registry) estimateNext(e *entry) time.Time {
	now := r.cfg.Clock.Now().In(r.cfg.Location)
	if d, ok := e.parsed.(cron.ConstantDelaySchedule); ok && e.last.ID != 0 {
		if n := e.last.Start.Add(d.Delay).In(r.cfg.Location); n.After(now) {
			return n.Truncate(time.Second)
		}
	}
	return Next(e.parsed, now, r.cfg.Location)
}

// Subscribe calls fn with a job's name whenever its status changes (a run
// starts or ends, progress moves, its schedule changes). fn is called on
// the registry's goroutines and must not block (a screen hands the work
// to its UI goroutine).
func (r *Registry) Subscribe(fn func(name string)) (cancel func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nextSub++
	id := r.nextSub
	r.subs[id] = fn
	return func() {
		r.mu.Lock()
		delete(r.subs, id)
		r.mu.Unlock()
	}
}

func (r *Registry) notify(name string) {
	r.mu.Lock()
	fns := make([]func(string), 0, len(r.subs))
	for _, fn := range r.subs {
		fns = append(fns, fn)
	}
	r.mu.Unlock()
	for _, fn := range fns {
		fn(name)
	}
}

func (r *Registry) log(job string, msg app.Message, err error) {
	if r.cfg.Log != nil {
		r.cfg.Log(job, msg, err)
	}
}

// SaveSchedule sets a job's schedule for staffID, who needs the settings
// permission now. The spec is checked first (a bad one saves nothing and
// says why); saving the same schedule again writes nothing. A running
// scheduler takes the new schedule at once; a run going on is left alone.
func (r *Registry) SaveSchedule(ctx context.Context, staffID int64, name string, s Schedule) error {
	e, err := r.lookup(name)
	if err != nil {
		return err
	}
	if _, err := r.cfg.Permits.Check(ctx, staffID, app.PermSettings); err != nil {
		return err
	}
	s.Spec = strings.TrimSpace(s.Spec)
	parsed, err := Parse(s.Spec, r.cfg.MinInterval, r.cfg.Location)
	if err != nil {
		return err
	}
	r.mu.Lock()
	old, oldErr := e.sched, e.schedErr
	r.mu.Unlock()
	if old == s && oldErr == nil {
		return nil
	}
	detail := fmt.Sprintf("spec: %q -> %q; enabled: %s -> %s", old.Spec, s.Spec,
		strconv.FormatBool(old.Enabled), strconv.FormatBool(s.Enabled))
	if err := r.cfg.Store.SaveJobSchedule(ctx, name, s, app.AuditEntry{StaffID: staffID, Action: "settings",
		Subject: "job." + name, Detail: detail}); err != nil {
		return err
	}
	r.mu.Lock()
	e.sched, e.parsed, e.schedErr = s, parsed, nil
	r.reschedule(e)
	r.mu.Unlock()
	r.notify(name)
	return nil
}

// RunNow starts a run of the job in the background for staffID, who needs
// the settings permission now. It is refused with ErrRunning while the
// job runs (whatever started it). The run lives under Start's context.
func (r *Registry) RunNow(ctx context.Context, staffID int64, name string) error {
	e, err := r.lookup(name)
	if err != nil {
		return err
	}
	if _, err := r.cfg.Permits.Check(ctx, staffID, app.PermSettings); err != nil {
		return err
	}
	return r.background(e, TriggerNow, staffID)
}

// RunAtStart starts a run of the job in the background as the program
// starts (the settle job: what a crash left open is settled at once).
func (r *Registry) RunAtStart(name string) error {
	e, err := r.lookup(name)
	if err != nil {
		return err
	}
	return r.background(e, TriggerStart, 0)
}

func (r *Registry) background(e *entry, t Trigger, staffID int64) error {
	r.mu.Lock()
	ctx := r.ctx
	r.mu.Unlock()
	if ctx == nil {
		return ErrNotStarted
	}
	run, err := r.begin(ctx, e, t, staffID)
	if err != nil {
		return err
	}
	go r.execute(ctx, e, run, nil)
	return nil
}

// Run runs the job once now, in this goroutine, for staffID (who needs
// the settings permission now), telling watch of its progress; it returns
// the run as recorded. ErrRunning when it is already running here.
func (r *Registry) Run(ctx context.Context, staffID int64, name string, t Trigger, watch Progress) (Run, error) {
	e, err := r.lookup(name)
	if err != nil {
		return Run{}, err
	}
	if _, err := r.cfg.Permits.Check(ctx, staffID, app.PermSettings); err != nil {
		return Run{}, err
	}
	run, err := r.begin(ctx, e, t, staffID)
	if err != nil {
		return Run{}, err
	}
	return r.execute(ctx, e, run, watch), nil
}

// tick is cron's call at a scheduled time. It is skipped, not queued,
// while the job runs; and when the job already ran in this slot (at or
// after the scheduled time and before the next one): the wall clock was
// set back and cron came round to a time already served.
func (r *Registry) tick(e *entry) {
	now := r.cfg.Clock.Now()
	r.mu.Lock()
	ctx, name := r.ctx, e.job.Name
	var skip app.Message
	switch {
	case e.running:
		skip = app.Msg("jobs.log.skipped_running", "Since", e.cur.Start)
	case e.parsed != nil && e.last.ID != 0 && ranInSlot(e.parsed, e.last.Start, now, r.cfg.Location):
		skip = app.Msg("jobs.log.skipped_clock", "Last", e.last.Start)
	}
	if !skip.IsZero() {
		e.skipped++
	}
	r.mu.Unlock()
	if !skip.IsZero() {
		r.log(name, skip, nil)
		r.notify(name)
		return
	}
	if ctx == nil {
		return
	}
	run, err := r.begin(ctx, e, TriggerSchedule, 0)
	if err != nil {
		if !errors.Is(err, ErrRunning) && !errors.Is(err, ErrNotStarted) {
			r.log(name, message(err), err)
		}
		return
	}
	r.execute(ctx, e, run, nil)
}

// ranInSlot: a run started at last falls in the slot of a tick at now —
// from the scheduled time (cron fires on whole seconds) to the next one.
func ranInSlot(s cron.Schedule, last, now time.Time, loc *time.Location) bool {
	slot := now.Round(0).Truncate(time.Second)
	last = last.Round(0)
	return !last.Before(slot) && last.Before(Next(s, slot, loc))
}

// begin marks e running and records the run's start; ErrRunning when it
// runs already. Every begun run must be ended by execute.
func (r *Registry) begin(ctx context.Context, e *entry, t Trigger, staffID int64) (Run, error) {
	r.mu.Lock()
	switch {
	case r.stopped:
		r.mu.Unlock()
		return Run{}, ErrNotStarted
	case e.running:
		r.mu.Unlock()
		return Run{}, ErrRunning.With("Title", e.job.Title)
	case e.job.Work == nil:
		r.mu.Unlock()
		return Run{}, ErrNotHere.With("Title", e.job.Title)
	}
	run := Run{Job: e.job.Name, Trigger: t, StaffID: staffID, Start: r.cfg.Clock.Now(), State: StateRunning}
	e.running, e.cur, e.progress, e.progMsg, e.notified = true, run, -1, app.Message{}, -1
	r.runs.Add(1)
	r.mu.Unlock()
	id, err := r.cfg.Store.StartJobRun(ctx, run)
	if err != nil {
		r.mu.Lock()
		e.running, e.cur = false, Run{}
		r.mu.Unlock()
		r.runs.Done()
		r.notify(e.job.Name)
		return Run{}, err
	}
	run.ID = id
	r.mu.Lock()
	e.cur.ID = id
	r.mu.Unlock()
	r.notify(e.job.Name)
	return run, nil
}

// execute does the work of a begun run and records how it ended. The end
// is written even when ctx was cancelled (the program closing): the run
// is then interrupted, not failed.
func (r *Registry) execute(ctx context.Context, e *entry, run Run, watch Progress) Run {
	defer r.runs.Done()
	name := e.job.Name
	progress := func(f float64, m app.Message) {
		if f > 1 {
			f = 1
		}
		r.mu.Lock()
		// Subscribers hear each percent and each new kind of message, not
		// every line of a 100,000-line bill.
		tell := m.Code != e.progMsg.Code || math.Abs(f-e.notified) >= 0.01 || (f == 1 && e.notified != 1)
		e.progress, e.progMsg = f, m
		if tell {
			e.notified = f
		}
		r.mu.Unlock()
		if watch != nil {
			watch(f, m)
		}
		if tell {
			r.notify(name)
		}
	}
	res, err := safely(ctx, e.job.Work, progress)
	run.Result = res
	run.End = r.cfg.Clock.Now()
	run.Duration = max(r.cfg.Clock.Since(run.Start), 0)
	switch {
	case err == nil:
		run.State = StateOK
	case ctx.Err() != nil:
		run.State, run.Err, run.Detail = StateInterrupted, message(ErrInterrupted), err.Error()
	default:
		run.State, run.Err, run.Detail = StateFailed, message(err), err.Error()
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	if werr := r.cfg.Store.FinishJobRun(wctx, run, r.cfg.Keep); werr != nil {
		r.log(name, message(werr), werr)
	}
	cancel()
	r.mu.Lock()
	e.running, e.cur, e.last, e.progress, e.progMsg = false, Run{}, run, -1, app.Message{}
	r.mu.Unlock()
	if run.State == StateFailed {
		r.log(name, run.Err, nil)
	}
	r.notify(name)
	return run
}

// safely runs w, turning a panic into the run's error: one faulty job must
// not take the till down.
func safely(ctx context.Context, w Work, p Progress) (res Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = ErrPanic.With("Detail", fmt.Sprint(v))
		}
	}()
	return w(ctx, p)
}
