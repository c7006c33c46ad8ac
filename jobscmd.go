package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"strings"

	"cashier/app"
	"cashier/app/jobs"
	"cashier/ui/i18n"
	uisettings "cashier/ui/settings"
)

// runJobs is `pos jobs list` (reads only: works beside a running app) and
// `pos jobs run NAME --staff NO` (runs the job once now in this process,
// with the folder's lock: exit 0 when it succeeded, 1 when it failed, 2
// for an unknown job or a bad command line, 3 when the running app holds
// the folder — its "run now" is the way then).
func runJobs(e env, args []string) int {
	ctx := context.Background()
	e.peekLanguage(ctx)
	fs := e.newFlags("jobs", "cli.jobs.usage")
	who := addStaffFlags(fs)
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	switch {
	case len(pos) == 1 && pos[0] == "list":
		return e.jobsList(ctx, args)
	case len(pos) == 2 && pos[0] == "run":
		return e.jobsRun(fs, args, pos[1], who)
	}
	fs.Usage()
	return exitUsage
}

// openJobsReadOnly opens the folder as it is and reads the jobs.
func (e env) openJobsReadOnly(ctx context.Context, args []string) (*Services, int) {
	s, code := e.open(ctx, "jobs", args, Options{})
	if s == nil {
		return nil, code
	}
	if err := s.NeedConfigured(ctx); err != nil {
		s.Close()
		return nil, e.fail("jobs", err)
	}
	if err := s.openJobs(ctx); err != nil {
		s.Close()
		return nil, e.fail("jobs", err)
	}
	return s, exitOK
}

func (e env) jobsList(ctx context.Context, args []string) int {
	s, code := e.openJobsReadOnly(ctx, args)
	if s == nil {
		return code
	}
	defer s.Close()
	loc := s.Jobs.Location()
	e.say("cli.jobs.zone", "Zone", loc.String())
	table := [][]string{{i18n.T("cli.jobs.col.name"), i18n.T("cli.jobs.col.title"), i18n.T("cli.jobs.col.schedule"),
		i18n.T("cli.jobs.col.next"), i18n.T("cli.jobs.col.last"), i18n.T("cli.jobs.col.result")}}
	var problems []string
	for _, st := range s.Jobs.Statuses() {
		spec, next := st.Schedule.Spec, uisettings.JobTime(st.Next, loc)
		switch {
		case st.ScheduleErr != nil:
			next = i18n.T("cli.jobs.bad_schedule")
			problems = append(problems, st.Name+": "+i18n.Err(st.ScheduleErr))
		case !st.Schedule.Enabled:
			spec += " " + i18n.T("cli.jobs.off")
			next = "—"
		}
		last, result := "—", ""
		if st.Last.ID != 0 {
			last = uisettings.JobTime(st.Last.Start, loc)
			result = uisettings.RunResultText(st.Last)
			if !st.Last.Err.IsZero() {
				result += " — " + i18n.M(st.Last.Err)
			}
		}
		table = append(table, []string{st.Name, i18n.M(st.Title), spec, next, last, result})
	}
	e.printTable(table)
	for _, p := range problems {
		fmt.Fprintln(e.stdout, p)
	}
	return exitOK
}

func (e env) jobsRun(fs *flag.FlagSet, args []string, name string, who staffFlags) int {
	ctx, stop := signalContext()
	defer stop()
	// The name first, from the folder as it is: an unknown job is a usage
	// error whoever holds the folder, and no PIN is asked for it.
	s, code := e.openJobsReadOnly(ctx, args)
	if s == nil {
		return code
	}
	var names []string
	known := false
	for _, st := range s.Jobs.Statuses() {
		names = append(names, st.Name)
		known = known || st.Name == name
	}
	s.Close()
	if !known {
		return e.usageErr(fs, "jobs", "cli.jobs.unknown", "Name", name, "Names", strings.Join(names, ", "))
	}

	s, staff, code := e.openAs(ctx, "jobs", args, Options{Payments: true}, who)
	if s == nil {
		if code == exitLocked {
			fmt.Fprintf(e.stderr, "pos jobs: %s\n", i18n.T("cli.jobs.locked_hint"))
		}
		return code
	}
	defer s.Close()
	if s.Sandbox {
		e.say("cli.sandbox_banner", "Where", s.ChannelsInfo)
	}
	if err := s.openJobs(ctx); err != nil {
		return e.fail("jobs", err)
	}
	if err := s.Jobs.Start(ctx, false); err != nil {
		return e.fail("jobs", err)
	}
	st, err := s.Jobs.Status(name)
	if err != nil {
		return e.fail("jobs", err)
	}
	// Refused before a line says it starts (Run checks it again).
	if _, err := s.Permits.Check(ctx, staff.ID, app.PermSettings); err != nil {
		return e.fail("jobs", err)
	}
	e.say("cli.jobs.starting", "Title", st.Title)
	run, err := s.Jobs.Run(ctx, staff.ID, name, jobs.TriggerCLI, e.jobProgress())
	if err != nil {
		return e.fail("jobs", err)
	}
	e.say("cli.jobs.done", "Title", st.Title, "State", uisettings.JobStateName(run.State), "Seconds", run.Duration)
	if !run.Summary.IsZero() {
		fmt.Fprintln(e.stdout, i18n.M(run.Summary))
	}
	if run.State != jobs.StateOK {
		fmt.Fprintf(e.stderr, "pos jobs: %s\n", i18n.M(run.Err))
		return exitFailed
	}
	return exitOK
}

// jobProgress prints a line when the run's percent or the kind of thing
// it is doing changes, not one for every item.
func (e env) jobProgress() jobs.Progress {
	lastPct, lastCode := math.MinInt, ""
	return func(f float64, m app.Message) {
		pct := -1
		if f >= 0 {
			pct = int(f * 100)
		}
		if pct == lastPct && m.Code == lastCode {
			return
		}
		lastPct, lastCode = pct, m.Code
		bar := "[ …  ]"
		if pct >= 0 {
			bar = fmt.Sprintf("[%3d%%]", pct)
		}
		fmt.Fprintf(e.stdout, "%s %s\n", bar, i18n.M(m))
	}
}
