// Package jobs is the till's scheduled work: each job has a name, a
// schedule in the store's time zone (robfig/cron), a "run now", its last
// runs kept in storage, and progress while it runs. One job never runs
// twice at once: a run now while it runs is refused, and a scheduled time
// that comes round while it runs is skipped, not queued.
package jobs

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"cashier/app"
)

// Progress reports how far a run is: fraction 0..1, or below 0 when the
// work cannot tell (the screen then shows that it runs, not a bar), and a
// short message.
type Progress func(fraction float64, msg app.Message)

// Result is what a run did: a summary to show and two counts (what it
// handled, what it left open or found wrong), kept with the run.
type Result struct {
	Summary app.Message
	Done    int
	Open    int
}

// Work is a job's work. An error fails the run; the job runs again at its
// next scheduled time, never in a loop of its own.
type Work func(ctx context.Context, progress Progress) (Result, error)

// Job is one kind of scheduled work.
type Job struct {
	Name    string      // stable id: settings keys, storage, `pos jobs run NAME`
	Title   app.Message // what a person reads
	Default string      // the schedule until someone sets one
	// Work may be nil in a process that only lists jobs (pos jobs list
	// beside a running app).
	Work Work
}

// Schedule is when a job runs on its own.
type Schedule struct {
	Spec    string // standard 5-field cron spec or a descriptor (@every 5m, @daily)
	Enabled bool
}

// Trigger says what started a run.
type Trigger string

const (
	TriggerSchedule Trigger = "schedule"
	TriggerNow      Trigger = "now"   // a person's "run now" in the app
	TriggerStart    Trigger = "start" // the program started
	TriggerCLI      Trigger = "cli"   // pos jobs run
)

// State is a run's outcome.
type State string

const (
	StateRunning State = "running"
	StateOK      State = "ok"
	StateFailed  State = "failed"
	// StateInterrupted: the program closed (or died) during the run.
	StateInterrupted State = "interrupted"
)

// Run is one run of a job, as kept in storage.
type Run struct {
	ID      int64
	Job     string
	Trigger Trigger
	StaffID int64 // who asked (run now); 0 for the scheduler
	// Start and End are wall-clock times (what a person reads); Duration
	// is measured on the monotonic clock, so a clock set during the run
	// does not make it negative.
	Start, End time.Time
	Duration   time.Duration
	State      State
	Result
	Err    app.Message // why it failed, in words to translate
	Detail string      // the technical text of the error, for support
}

// Store keeps schedules and runs.
type Store interface {
	// JobSchedules are the schedules people saved, by job name.
	JobSchedules(ctx context.Context) (map[string]Schedule, error)
	// SaveJobSchedule stores a job's schedule with its audit line.
	SaveJobSchedule(ctx context.Context, name string, s Schedule, e app.AuditEntry) error
	// StartJobRun records a run as it starts and returns its ID.
	StartJobRun(ctx context.Context, r Run) (int64, error)
	// FinishJobRun records the run's end and keeps the newest keep runs
	// of its job.
	FinishJobRun(ctx context.Context, r Run, keep int) error
	// LastJobRuns are a job's newest runs, newest first.
	LastJobRuns(ctx context.Context, job string, limit int) ([]Run, error)
	// InterruptJobRuns marks every run still recorded as running as
	// interrupted at `at`: the process that ran it is gone.
	InterruptJobRuns(ctx context.Context, at time.Time) (int, error)
}

// Errors of the registry.
var (
	ErrUnknown     = app.NewError("jobs.err.unknown")
	ErrRunning     = app.NewError("jobs.err.running")
	ErrNotHere     = app.NewError("jobs.err.not_here")
	ErrInterrupted = app.NewError("jobs.err.interrupted")
	ErrPanic       = app.NewError("jobs.err.panic")
	ErrNotStarted  = app.NewError("jobs.err.not_started")

	// ErrSchedule is a schedule that cannot be used; its cases say why.
	ErrSchedule  = app.NewError("jobs.err.bad_schedule")
	ErrEmpty     = ErrSchedule.Sub("jobs.err.empty")
	ErrFields    = ErrSchedule.Sub("jobs.err.fields")
	ErrDescribed = ErrSchedule.Sub("jobs.err.descriptor")
	ErrZone      = ErrSchedule.Sub("jobs.err.zone")
	ErrTooOften  = ErrSchedule.Sub("jobs.err.too_often")
	ErrNever     = ErrSchedule.Sub("jobs.err.never")
)

// MinInterval is the shortest @every a person may set: the jobs call the
// payment channels and download bills, and must not hammer them.
const MinInterval = time.Minute

var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Parse checks a schedule and returns it for cron. The spec runs in the
// store's time zone, so one naming a zone (CRON_TZ=, TZ=) is refused;
// @every takes at least min; a spec that never comes round (30 February)
// is refused. loc only names the zone in the message.
func Parse(spec string, min time.Duration, loc *time.Location) (cron.Schedule, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, ErrEmpty
	}
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		return nil, ErrZone.With("Spec", spec, "Zone", zoneName(loc))
	}
	if strings.HasPrefix(spec, "@") {
		s, err := parser.Parse(spec)
		if err != nil {
			if strings.HasPrefix(spec, "@every") {
				return nil, ErrSchedule.With("Spec", spec, "Detail", err.Error())
			}
			return nil, ErrDescribed.With("Spec", spec)
		}
		if d, ok := s.(cron.ConstantDelaySchedule); ok && d.Delay < min {
			return nil, ErrTooOften.With("Spec", spec, "Min", min)
		}
		return s, nil
	}
	if n := len(strings.Fields(spec)); n != 5 {
		return nil, ErrFields.With("Spec", spec, "Count", n)
	}
	s, err := parser.Parse(spec)
	if err != nil {
		return nil, ErrSchedule.With("Spec", spec, "Detail", err.Error())
	}
	// cron gives up after five years of looking and answers zero.
	if s.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, ErrNever.With("Spec", spec)
	}
	return s, nil
}

// Next is when a schedule next comes round after t, in loc: the fields of
// a spec are read as the store's wall clock.
func Next(s cron.Schedule, t time.Time, loc *time.Location) time.Time {
	return s.Next(t.In(loc))
}

func zoneName(loc *time.Location) string {
	if loc == nil {
		return ""
	}
	return loc.String()
}

// message turns err into words to keep: its app.Message (parameters that
// are errors turned into messages too), or the internal-error message with
// the technical text.
func message(err error) app.Message {
	if err == nil {
		return app.Message{}
	}
	m, ok := app.AsMessage(err)
	if !ok {
		return app.Msg("err.internal", "Detail", err.Error())
	}
	if len(m.Args) == 0 {
		return m
	}
	args := make(map[string]any, len(m.Args))
	for k, v := range m.Args {
		if e, ok := v.(error); ok {
			v = message(e)
		}
		args[k] = v
	}
	return app.Message{Code: m.Code, Args: args}
}

// IsSchedule reports a schedule error (bad input, not a fault).
func IsSchedule(err error) bool { return errors.Is(err, ErrSchedule) }
