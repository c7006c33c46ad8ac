package settings

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/jobs"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

// Jobs is the scheduled jobs (app/jobs.Registry).
type Jobs interface {
	Statuses() []jobs.Status
	Location() *time.Location
	// Subscribe calls fn (on any goroutine, never blocking) when a job's
	// status changes.
	Subscribe(fn func(name string)) (cancel func())
	RunNow(ctx context.Context, staffID int64, name string) error
	SaveSchedule(ctx context.Context, staffID int64, name string, s jobs.Schedule) error
}

// JobsSettings is a settings service that also holds the scheduled jobs
// (the root wraps app/settings.Service with the registry). A service
// without them shows no jobs section.
type JobsSettings interface {
	Jobs() Jobs
}

// JobsSection is Settings → 定时任务: each job with its schedule, next
// and last run in the store's zone, its result and error, a progress bar
// while it runs and a "run now".
type JobsSection struct {
	jobs  Jobs
	deps  Deps
	loc   *time.Location
	Rows  []*JobRow
	Panel fyne.CanvasObject
}

// JobRow is one job's widgets.
type JobRow struct {
	Name        string
	Title       *widget.Label
	State       *widget.Label
	Spec        *widget.Entry
	Enabled     *widget.Check
	Save        *widget.Button
	Next        *widget.Label
	Last        *widget.Label
	Result      *widget.Label
	Error       *widget.Label
	Progress    *widget.ProgressBar         // while a run reports how far it is
	Busy        *widget.ProgressBarInfinite // while a run cannot tell
	ProgressMsg *widget.Label
	RunNow      *widget.Button
	Message     *widget.Label // what became of this row's last action
	status      jobs.Status
}

// addJobs appends the jobs section to box when the service has jobs.
func (v *View) addJobs(box *fyne.Container) {
	js, ok := v.deps.Settings.(JobsSettings)
	if !ok || js.Jobs() == nil {
		return
	}
	v.JobsSection = newJobsSection(js.Jobs(), v.deps)
	box.Add(v.JobsSection.Panel)
}

func newJobsSection(j Jobs, d Deps) *JobsSection {
	s := &JobsSection{jobs: j, deps: d, loc: j.Location()}
	var blocks []fyne.CanvasObject
	for _, st := range j.Statuses() {
		row := s.newRow(st)
		s.Rows = append(s.Rows, row)
		blocks = append(blocks, row.layout())
	}
	sub := i18n.T("jobs.section.sub", "Zone", s.loc.String())
	if !s.mayChange() {
		sub += " " + i18n.T("jobs.readonly")
	}
	card := widget.NewCard(i18n.T("jobs.section"), sub, container.NewVBox(blocks...))
	s.Panel = newLifecycle(card, func() func() {
		async.Do(s.refresh) // shown (again): what happened meanwhile
		return j.Subscribe(func(string) { async.Do(s.refresh) })
	})
	s.refresh()
	return s
}

// mayChange: the person holds the settings permission, or a manager can
// allow it once.
func (s *JobsSection) mayChange() bool {
	return s.deps.Staff.Has(app.PermSettings) || s.deps.Override != nil
}

func (s *JobsSection) newRow(st jobs.Status) *JobRow {
	r := &JobRow{Name: st.Name, status: st}
	r.Title = widget.NewLabelWithStyle(i18n.M(st.Title), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.State = widget.NewLabel("")
	r.Spec = widget.NewEntry()
	r.Spec.SetText(st.Schedule.Spec)
	r.Spec.SetPlaceHolder(st.Default)
	r.Spec.OnSubmitted = func(string) { s.save(r) }
	r.Enabled = widget.NewCheck(i18n.T("jobs.enabled"), nil)
	r.Enabled.SetChecked(st.Schedule.Enabled)
	r.Save = widget.NewButtonWithIcon(i18n.T("jobs.save"), theme.DocumentSaveIcon(), func() { s.save(r) })
	r.Next, r.Last, r.Result = widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel("")
	r.Result.Wrapping = fyne.TextWrapWord
	r.Error = widget.NewLabel("")
	r.Error.Wrapping = fyne.TextWrapWord
	r.Error.Importance = widget.DangerImportance
	r.Progress = widget.NewProgressBar()
	r.Busy = widget.NewProgressBarInfinite()
	r.ProgressMsg = widget.NewLabel("")
	r.RunNow = widget.NewButtonWithIcon(i18n.T("jobs.run_now"), theme.MediaPlayIcon(), func() { s.runNow(r) })
	r.RunNow.Importance = widget.HighImportance
	r.Message = widget.NewLabel("")
	r.Message.Wrapping = fyne.TextWrapWord
	if !s.mayChange() {
		r.Spec.Disable()
		r.Enabled.Disable()
		r.Save.Disable()
	}
	return r
}

func (r *JobRow) layout() fyne.CanvasObject {
	head := container.NewBorder(nil, nil, r.Title, r.State)
	spec := container.NewBorder(nil, nil, nil, container.NewHBox(r.Enabled, r.Save), r.Spec)
	form := widget.NewForm(
		&widget.FormItem{Text: i18n.T("jobs.schedule"), Widget: spec, HintText: i18n.T("jobs.schedule_hint")},
		widget.NewFormItem(i18n.T("jobs.next"), r.Next),
		widget.NewFormItem(i18n.T("jobs.last"), r.Last),
		widget.NewFormItem(i18n.T("jobs.result"), container.NewVBox(r.Result, r.Error)),
	)
	bar := container.NewBorder(nil, nil, nil, container.NewVBox(r.RunNow), container.NewVBox(container.NewStack(r.Progress, r.Busy), r.ProgressMsg))
	return container.NewVBox(head, form, bar, r.Message, widget.NewSeparator())
}

// refresh shows every job as the registry has it now (on the UI
// goroutine; Statuses does not block).
func (s *JobsSection) refresh() {
	byName := map[string]jobs.Status{}
	for _, st := range s.jobs.Statuses() {
		byName[st.Name] = st
	}
	for _, r := range s.Rows {
		if st, ok := byName[r.Name]; ok {
			r.status = st
			s.show(r, st)
		}
	}
}

func (s *JobsSection) show(r *JobRow, st jobs.Status) {
	state := i18n.T("jobs.state.idle")
	switch {
	case st.Running:
		state = JobStateName(jobs.StateRunning)
	case st.ScheduleErr != nil || !st.Schedule.Enabled:
		state = i18n.T("jobs.state.off")
	}
	if st.Skipped > 0 {
		state += " · " + i18n.T("jobs.skipped", "Count", st.Skipped)
	}
	r.State.SetText(state)
	r.Next.Importance = widget.MediumImportance
	switch {
	case st.ScheduleErr != nil:
		r.Next.SetText(i18n.Err(st.ScheduleErr))
		r.Next.Importance = widget.DangerImportance
	case !st.Schedule.Enabled:
		r.Next.SetText(i18n.T("jobs.next.off"))
	default:
		r.Next.SetText(JobTime(st.Next, s.loc))
	}
	r.Next.Refresh()
	r.Last.SetText(LastRunText(st.Last, s.loc))
	r.Result.SetText(RunResultText(st.Last))
	if st.Last.Err.IsZero() {
		r.Error.SetText("")
		r.Error.Hide()
	} else {
		r.Error.SetText(i18n.M(st.Last.Err))
		r.Error.Show()
	}
	switch {
	case !st.Running:
		r.Progress.Hide()
		r.Busy.Hide()
		r.Busy.Stop()
		r.ProgressMsg.SetText("")
	case st.Progress < 0:
		r.Progress.Hide()
		r.Busy.Show()
		r.Busy.Start()
	default:
		r.Busy.Hide()
		r.Busy.Stop()
		r.Progress.SetValue(st.Progress)
		r.Progress.Show()
	}
	if st.Running {
		r.ProgressMsg.SetText(i18n.M(st.ProgressMsg))
	}
	if st.Running || !st.Runnable || !s.mayChange() {
		r.RunNow.Disable()
	} else {
		r.RunNow.Enable()
	}
}

// asPerson runs do for the person, or once on a manager's override when
// they do not hold the settings permission.
func (s *JobsSection) asPerson(do func()) {
	if !s.deps.Staff.Has(app.PermSettings) && s.deps.Override != nil {
		s.deps.Override(app.PermSettings, do)
		return
	}
	do()
}

// refused shows err beside the row; a refusal for want of the permission
// (revoked since login) is offered to a manager's override.
func (s *JobsSection) refused(r *JobRow, err error, retry func()) {
	r.Message.SetText(i18n.Err(err))
	r.Message.Importance = widget.DangerImportance
	r.Message.Refresh()
	if s.deps.Override != nil && s.deps.Staff.Has(app.PermSettings) && errors.Is(err, app.ErrNoPermission) &&
		!errors.Is(err, app.ErrStaffDisabled) {
		s.deps.Override(app.PermSettings, retry)
	}
}

func (s *JobsSection) say(r *JobRow, text string) {
	r.Message.SetText(text)
	r.Message.Importance = widget.MediumImportance
	r.Message.Refresh()
}

// save checks the schedule typed (a bad one is refused in words before
// anyone is asked to approve) and saves it with the settings permission.
func (s *JobsSection) save(r *JobRow) {
	sch := jobs.Schedule{Spec: r.Spec.Text, Enabled: r.Enabled.Checked}
	if _, err := jobs.Parse(sch.Spec, jobs.MinInterval, s.loc); err != nil {
		s.refused(r, err, nil)
		return
	}
	var do func()
	do = func() {
		r.Save.Disable()
		s.say(r, i18n.T("settings.saving"))
		staff := s.deps.Staff.ID
		var err error
		async.Run(func() {
			err = s.jobs.SaveSchedule(context.Background(), staff, r.Name, sch)
		}, func() {
			r.Save.Enable()
			if err != nil {
				s.refused(r, err, do)
				return
			}
			s.say(r, i18n.T("jobs.saved"))
			s.refresh()
			r.Spec.SetText(r.status.Schedule.Spec)
		})
	}
	s.asPerson(do)
}

// runNow starts a run in the background; its progress and result come
// through the registry's notices.
func (s *JobsSection) runNow(r *JobRow) {
	var do func()
	do = func() {
		r.RunNow.Disable()
		staff := s.deps.Staff.ID
		var err error
		async.Run(func() {
			err = s.jobs.RunNow(context.Background(), staff, r.Name)
		}, func() {
			if err != nil {
				s.refused(r, err, do)
			} else {
				s.say(r, i18n.T("jobs.started"))
			}
			s.refresh()
		})
	}
	s.asPerson(do)
}

// JobTime is a time in the store's zone as the jobs show it; "—" for none.
func JobTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(loc).Format("2006-01-02 15:04:05")
}

// JobStateName names a run's state.
func JobStateName(s jobs.State) string {
	switch s {
	case jobs.StateOK:
		return i18n.T("jobs.state.ok")
	case jobs.StateFailed:
		return i18n.T("jobs.state.failed")
	case jobs.StateInterrupted:
		return i18n.T("jobs.state.interrupted")
	case jobs.StateRunning:
		return i18n.T("jobs.state.running")
	}
	return string(s)
}

// TriggerName names what started a run.
func TriggerName(t jobs.Trigger) string {
	switch t {
	case jobs.TriggerSchedule:
		return i18n.T("jobs.trigger.schedule")
	case jobs.TriggerNow:
		return i18n.T("jobs.trigger.now")
	case jobs.TriggerStart:
		return i18n.T("jobs.trigger.start")
	case jobs.TriggerCLI:
		return i18n.T("jobs.trigger.cli")
	}
	return string(t)
}

// LastRunText is a run's times, how long it took and what started it.
func LastRunText(run jobs.Run, loc *time.Location) string {
	if run.ID == 0 {
		return i18n.T("jobs.last.never")
	}
	if run.State == jobs.StateRunning {
		return i18n.T("jobs.last.running", "Start", JobTime(run.Start, loc), "Trigger", TriggerName(run.Trigger))
	}
	return i18n.T("jobs.last.line", "Start", JobTime(run.Start, loc), "End", JobTime(run.End, loc),
		"Seconds", run.Duration, "Trigger", TriggerName(run.Trigger))
}

// RunResultText is a run's outcome and summary ("" before the first run).
func RunResultText(run jobs.Run) string {
	if run.ID == 0 {
		return ""
	}
	if run.Summary.IsZero() {
		return JobStateName(run.State)
	}
	return i18n.T("jobs.result.line", "State", JobStateName(run.State), "Summary", run.Summary)
}

// lifecycle holds the section and its subscription to the registry while
// it is on screen: subscribed when its renderer is made, cancelled when
// Fyne destroys the renderer (the Settings page left a while ago, or its
// window closed). Settings has no Stop of its own.
type lifecycle struct {
	widget.BaseWidget
	content   fyne.CanvasObject
	subscribe func() (cancel func())
}

func newLifecycle(content fyne.CanvasObject, subscribe func() (cancel func())) *lifecycle {
	l := &lifecycle{content: content, subscribe: subscribe}
	l.ExtendBaseWidget(l)
	return l
}

func (l *lifecycle) CreateRenderer() fyne.WidgetRenderer {
	return &lifecycleRenderer{WidgetRenderer: widget.NewSimpleRenderer(l.content), cancel: l.subscribe()}
}

type lifecycleRenderer struct {
	fyne.WidgetRenderer
	cancel func()
}

func (r *lifecycleRenderer) Destroy() {
	r.cancel()
	r.WidgetRenderer.Destroy()
}
