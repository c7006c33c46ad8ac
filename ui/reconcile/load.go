package reconcile

import (
	"errors"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/reconcile"
	"cashier/app/summary"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

// dayTyped follows the day field: a whole day is read at once; anything
// else clears what was shown, so no line of another day stays chosen.
func (v *View) dayTyped() {
	s := strings.TrimSpace(v.Day.Text)
	d, err := summary.ParseDay(s)
	if err != nil {
		v.day = summary.Day{}
		v.runs, v.shown = nil, nil
		v.showLines(0)
		v.Runs.Refresh()
		v.History.SetText("")
		if len(s) >= len("2006-01-02") {
			v.say(widget.DangerImportance, i18n.T("reconview.bad_day", "Value", s))
		} else {
			v.say(widget.MediumImportance, i18n.T("reconview.hint"))
		}
		return
	}
	if d == v.day {
		return
	}
	v.day, v.sel = d, -1
	if !v.busy {
		v.say(widget.MediumImportance, i18n.T("reconview.hint"))
	}
	v.load(0)
}

func (v *View) shiftDay(n int) {
	if v.day.IsZero() {
		return
	}
	v.Day.SetText(addDays(v.day, n).String())
}

func addDays(d summary.Day, n int) summary.Day {
	return summary.DayOf(time.Date(d.Year, d.Month, d.D+n, 12, 0, 0, 0, time.UTC), time.UTC)
}

func (v *View) channelChosen() {
	v.channel = ""
	if i := v.Channel.SelectedIndex(); i > 0 {
		v.channel = v.chans[i-1]
	}
	v.showLines(v.selectedID())
	v.Runs.Refresh()
}

// pickRun shows a kept run's day and channel.
func (v *View) pickRun(r reconcile.Run) {
	i := 0
	for j, ch := range v.chans {
		if ch == r.Channel {
			i = j + 1
		}
	}
	v.Channel.SetSelectedIndex(i)
	v.Day.SetText(r.Day.String())
}

// chosenChannels are the channels the chosen filter runs.
func (v *View) chosenChannels() []app.ChannelName {
	if v.channel != "" {
		return []app.ChannelName{v.channel}
	}
	return v.chans
}

func (v *View) say(imp widget.Importance, text string) {
	v.Status.Importance = imp
	v.Status.SetText(text)
}

func (v *View) setBusy(on bool, text string) {
	v.busy = on
	for _, b := range []*widget.Button{v.Run, v.Settle, v.Explain} {
		if on {
			b.Disable()
		} else {
			b.Enable()
		}
	}
	if on {
		v.Busy.Show()
		v.Busy.Start()
		v.say(widget.MediumImportance, text)
	} else {
		v.Busy.Stop()
		v.Busy.Hide()
		v.updateActions()
	}
}

// run downloads the chosen channels' bills of the day and matches them,
// one channel after the other.
func (v *View) run() {
	if v.day.IsZero() {
		v.say(widget.DangerImportance, i18n.T("reconview.bad_day", "Value", strings.TrimSpace(v.Day.Text)))
		return
	}
	chans := v.chosenChannels()
	if len(chans) == 0 {
		v.say(widget.DangerImportance, i18n.T("reconview.no_channels"))
		return
	}
	day, staff, rec, ctx := v.day, v.deps.Staff.ID, v.deps.Reconciler, v.ctx
	v.setBusy(true, i18n.T("reconview.running", "Channel", channelName(chans[0]), "Day", day.String()))
	var tried []app.ChannelName
	var results []reconcile.Result
	var errs []error
	async.Run(func() {
		for i, ch := range chans {
			if i > 0 {
				ch := ch
				async.Do(func() {
					if !v.done {
						v.say(widget.MediumImportance, i18n.T("reconview.running", "Channel", channelName(ch), "Day", day.String()))
					}
				})
			}
			res, err := rec.DayAs(ctx, staff, day, ch)
			tried, results, errs = append(tried, ch), append(results, res), append(errs, err)
			if errors.Is(err, app.ErrNoPermission) || ctx.Err() != nil {
				return // the next channels would be refused the same
			}
		}
	}, func() {
		if v.done {
			return
		}
		v.setBusy(false, "")
		v.sayRun(tried, results, errs)
		v.load(0)
	})
}

// sayRun says how each channel's run ended. An error is said as it is,
// whatever an earlier result of the day says.
func (v *View) sayRun(chans []app.ChannelName, results []reconcile.Result, errs []error) {
	var parts []string
	imp := widget.SuccessImportance
	for i, ch := range chans {
		switch r := results[i].Run; {
		case errs[i] != nil:
			imp = widget.DangerImportance
			parts = append(parts, i18n.T("reconview.channel_err", "Channel", channelName(ch), "Err", i18n.Err(errs[i])))
		default:
			if !r.Status.Reconciled() && imp != widget.DangerImportance {
				imp = widget.WarningImportance
			}
			parts = append(parts, i18n.T("reconview.channel_status", "Channel", channelName(ch), "Status", statusName(r)))
		}
	}
	v.say(imp, strings.Join(parts, "\n"))
}

// load reads the kept runs of the month either side of the chosen day
// and their lines, then shows the chosen day's; keep is the line to
// choose again.
func (v *View) load(keep int64) {
	if v.day.IsZero() {
		return
	}
	v.gen++
	gen := v.gen
	day, staff, rec, ctx := v.day, v.deps.Staff.ID, v.deps.Reconciler, v.ctx
	from, to := addDays(day, -History), addDays(day, History)
	if today := addDays(rec.Yesterday(), 1); to.Int() > today.Int() {
		to = today
	}
	v.History.SetText(i18n.T("reconview.history", "From", from.String(), "To", to.String()))
	var runs []kept
	var err error
	async.Run(func() {
		var list []reconcile.Run
		if list, err = rec.Runs(ctx, staff, from, to); err != nil {
			return
		}
		for _, r := range list {
			res, rerr := rec.Result(ctx, staff, r.Day, r.Channel)
			if rerr != nil {
				if errors.Is(rerr, reconcile.ErrNoRun) {
					continue
				}
				err = rerr
				return
			}
			runs = append(runs, counted(res))
		}
	}, func() {
		if gen != v.gen || v.done {
			return
		}
		v.runs = v.sorted(runs)
		v.Runs.Refresh()
		v.showLines(keep)
		if err != nil {
			// Said where the day's state is, beside what the last action said.
			v.Summary.Importance = widget.DangerImportance
			v.Summary.SetText(i18n.T("reconview.load_err", "Err", i18n.Err(err)))
		}
	})
}

func counted(res reconcile.Result) kept {
	r := kept{Run: res.Run, lines: res.Differences}
	for _, d := range res.Differences {
		switch {
		case d.Resolution == reconcile.ResolvedExplained:
			r.explained++
		case settled(d):
			r.settled++
		}
	}
	return r
}

// order is a channel's place: the configured channels' order, others after.
func (v *View) order(ch app.ChannelName) int {
	for i, c := range v.chans {
		if c == ch {
			return i
		}
	}
	return len(v.chans)
}

func (v *View) sorted(runs []kept) []kept {
	sort.SliceStable(runs, func(i, j int) bool {
		a, b := runs[i], runs[j]
		if a.Day != b.Day {
			return a.Day.Int() > b.Day.Int()
		}
		if v.order(a.Channel) != v.order(b.Channel) {
			return v.order(a.Channel) < v.order(b.Channel)
		}
		return a.Channel < b.Channel
	})
	return runs
}

// chosenRuns are the kept runs of the chosen day and channel.
func (v *View) chosenRuns() []kept {
	var out []kept
	for _, r := range v.runs {
		if r.Day == v.day && (v.channel == "" || r.Channel == v.channel) {
			out = append(out, r)
		}
	}
	return out
}

// showLines lists the chosen day's lines under the filter, unresolved
// first, and chooses keep again (or the line at the same place).
func (v *View) showLines(keep int64) {
	old := v.sel
	v.shown = nil
	runs := v.chosenRuns()
	for _, r := range runs {
		for _, d := range r.lines {
			if v.all || !d.Resolved() {
				v.shown = append(v.shown, d)
			}
		}
	}
	sort.SliceStable(v.shown, func(i, j int) bool {
		a, b := v.shown[i], v.shown[j]
		if a.Resolved() != b.Resolved() {
			return !a.Resolved()
		}
		return v.order(a.Channel) < v.order(b.Channel)
	})
	v.sel = -1
	for i, d := range v.shown {
		if keep != 0 && d.ID == keep {
			v.sel = i
		}
	}
	if v.sel < 0 && len(v.shown) > 0 {
		v.sel = min(max(old, 0), len(v.shown)-1)
	}
	v.Lines.UnselectAll()
	v.Lines.Refresh()
	if v.sel >= 0 {
		v.Lines.ScrollTo(widget.TableCellID{Row: v.sel, Col: 0})
	}
	text, imp := v.summary(runs)
	v.Summary.Importance = imp
	v.Summary.SetText(text)
	v.showDetail()
	v.updateActions()
}

// summary is one line on the chosen day and channel, in the colour of
// where it stands. A day without a usable bill says so: its empty list of
// differences must not read as a reconciled day.
func (v *View) summary(runs []kept) (string, widget.Importance) {
	if v.day.IsZero() {
		return "", widget.MediumImportance
	}
	if len(runs) == 0 {
		return i18n.T("reconview.no_run", "Day", v.day.String(), "Channel", channelName(v.channel)), widget.MediumImportance
	}
	var open, explained, settledN int
	imp := widget.SuccessImportance
	var notes []string
	for _, r := range runs {
		open += r.Open
		explained += r.explained
		settledN += r.settled
		switch {
		case !r.Status.Reconciled() && r.Status != reconcile.StatusOpen, r.Error.Code != "":
			imp = widget.DangerImportance
			notes = append(notes, i18n.T("reconview.channel_status", "Channel", channelName(r.Channel), "Status", statusName(r.Run)))
		case r.Status == reconcile.StatusOpen && imp != widget.DangerImportance:
			imp = widget.WarningImportance
		}
	}
	s := i18n.T("reconview.summary", "Day", v.day.String(), "Channel", channelName(v.channel),
		"Open", open, "Explained", explained, "Settled", settledN)
	for _, n := range notes {
		s += i18n.T("list.sep") + n
	}
	return s, imp
}
