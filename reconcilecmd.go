package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"cashier/app"
	"cashier/app/reconcile"
	"cashier/app/summary"
	"cashier/ui/i18n"
)

// runReconcile is `pos reconcile [list|explain|settle]`: the day's bills
// against this terminal's records (docs/reconciliation.md). Without an
// action it downloads, matches, keeps and prints; exit 0 when every
// channel's day is matched or explained, 1 when something is left (a
// difference, a bill not ready or refused), 2 for bad usage.
func runReconcile(e env, args []string) int {
	for i, a := range args {
		if !slices.Contains([]string{"list", "explain", "settle"}, a) {
			continue
		}
		rest := append(append([]string{}, args[:i]...), args[i+1:]...)
		switch a {
		case "list":
			return runReconcileList(e, rest)
		case "explain":
			return runReconcileResolve(e, rest, true)
		default:
			return runReconcileResolve(e, rest, false)
		}
	}
	return runReconcileDay(e, args)
}

// reconcileFlags are the day, channel and format every form takes.
type reconcileFlags struct {
	date, channel, format *string
}

func addReconcileFlags(fs *flag.FlagSet, format bool) reconcileFlags {
	f := reconcileFlags{
		date:    fs.String("date", "", i18n.T("cli.flag.reconcile_date")),
		channel: fs.String("channel", "", i18n.T("cli.flag.reconcile_channel")),
	}
	if format {
		f.format = fs.String("format", "table", i18n.T("cli.flag.reconcile_format"))
	}
	return f
}

// parse checks the flags before anything is opened; a missing date is
// yesterday in China time (the bill day the scheduled job takes).
func (f reconcileFlags) parse(e env, fs *flag.FlagSet, now time.Time, needChannel bool) (summary.Day, app.ChannelName, int, bool) {
	day := summary.DayOf(now.In(app.ChinaTime).AddDate(0, 0, -1), app.ChinaTime)
	if *f.date != "" {
		d, err := summary.ParseDay(*f.date)
		if err != nil {
			return day, "", e.usageErr(fs, "reconcile", "cli.reconcile.bad_date", "Value", *f.date), false
		}
		day = d
	}
	ch := app.ChannelName(*f.channel)
	switch ch {
	case app.ChannelWeChat, app.ChannelAlipay, app.ChannelCloudPay:
	case "":
		if needChannel {
			return day, "", e.usageErr(fs, "reconcile", "cli.flag_required", "Flag", "--channel"), false
		}
	default:
		return day, "", e.usageErr(fs, "reconcile", "cli.reconcile.bad_channel", "Value", *f.channel), false
	}
	if f.format != nil && *f.format != "table" && *f.format != "json" {
		return day, "", e.usageErr(fs, "reconcile", "cli.reconcile.bad_format", "Value", *f.format), false
	}
	return day, ch, exitOK, true
}

func runReconcileDay(e env, args []string) int {
	fs := e.newFlags("reconcile", "cli.reconcile.usage")
	rf := addReconcileFlags(fs, true)
	who, gateway := addMoneyFlags(fs)
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) != 0 {
		return e.usageErr(fs, "reconcile", "cli.reconcile.extra_args", "Args", strings.Join(pos, " "))
	}
	day, ch, exit, ok := rf.parse(e, fs, app.SystemClock{}.Now(), false)
	if !ok {
		return exit
	}
	ctx, stop := signalContext()
	defer stop()
	s, exit := e.openMoney(ctx, "reconcile", args, *gateway)
	if s == nil {
		return exit
	}
	defer s.Close()
	staff, exit, ok := e.loginAs(ctx, s, "reconcile", i18n.Key("cli.nothing_done_because"), who)
	if !ok {
		return exit
	}
	if *rf.date == "" {
		day = s.Reconciler().Yesterday() // on the folder's clock
	}
	svc := s.Reconciler()
	chans := []app.ChannelName{ch}
	if ch == "" {
		chans = svc.Channels()
	}
	var results []reconcile.Result
	var errs []error
	code := exitOK
	for _, c := range chans {
		res, err := svc.DayAs(ctx, staff.ID, day, c)
		if errors.Is(err, app.ErrNoPermission) || errors.Is(err, app.ErrUnknownStaff) || errors.Is(err, reconcile.ErrFutureDay) ||
			ctx.Err() != nil {
			return e.fail("reconcile", err)
		}
		if err != nil || !res.Run.Status.Reconciled() {
			code = exitFailed
		}
		if res.Run.Channel == "" {
			res.Run.Day, res.Run.Channel = day, c // nothing kept: a channel not configured
		}
		results, errs = append(results, res), append(errs, err)
	}
	if *rf.format == "json" {
		return e.reconcileJSON(day, results, errs, code)
	}
	for i, res := range results {
		e.reconcileTable(res, errs[i])
	}
	return code
}

// runReconcileList is `pos reconcile list [--date D] [--channel C]`: the
// kept results, read beside a running till.
func runReconcileList(e env, args []string) int {
	fs := e.newFlags("reconcile", "cli.reconcile.usage")
	rf := addReconcileFlags(fs, true)
	who := addStaffFlags(fs)
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) != 0 {
		return e.usageErr(fs, "reconcile", "cli.reconcile.extra_args", "Args", strings.Join(pos, " "))
	}
	day, ch, exit, ok := rf.parse(e, fs, app.SystemClock{}.Now(), false)
	if !ok {
		return exit
	}
	ctx := context.Background()
	s, code := e.open(ctx, "reconcile", args, Options{})
	if s == nil {
		return code
	}
	defer s.Close()
	staff, code, ok := e.loginAs(ctx, s, "reconcile", i18n.Key("cli.nothing_done_because"), who)
	if !ok {
		return code
	}
	svc := s.Reconciler()
	if *rf.date == "" {
		day = svc.Yesterday()
	}
	runs, err := svc.Runs(ctx, staff.ID, day, day)
	if err != nil {
		return e.fail("reconcile", err)
	}
	var results []reconcile.Result
	var errs []error
	for _, r := range runs {
		if ch != "" && r.Channel != ch {
			continue
		}
		res, err := svc.Result(ctx, staff.ID, r.Day, r.Channel)
		if err != nil {
			return e.fail("reconcile", err)
		}
		results, errs = append(results, res), append(errs, nil)
	}
	if *rf.format == "json" {
		return e.reconcileJSON(day, results, errs, exitOK)
	}
	if len(results) == 0 {
		e.say("cli.reconcile.none_kept", "Day", day.String())
		return exitOK
	}
	for _, res := range results {
		e.reconcileTable(res, nil)
	}
	return exitOK
}

// runReconcileResolve is `pos reconcile explain|settle --date D --channel C
// --ref NO [--note TEXT]`.
func runReconcileResolve(e env, args []string, explain bool) int {
	fs := e.newFlags("reconcile", "cli.reconcile.usage")
	rf := addReconcileFlags(fs, false)
	ref := fs.String("ref", "", i18n.T("cli.flag.reconcile_ref"))
	var note *string
	if explain {
		note = fs.String("note", "", i18n.T("cli.flag.reconcile_note"))
	}
	who, gateway := addMoneyFlags(fs)
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) != 0 {
		return e.usageErr(fs, "reconcile", "cli.reconcile.extra_args", "Args", strings.Join(pos, " "))
	}
	if *rf.date == "" {
		return e.usageErr(fs, "reconcile", "cli.flag_required", "Flag", "--date")
	}
	day, ch, exit, ok := rf.parse(e, fs, app.SystemClock{}.Now(), true)
	if !ok {
		return exit
	}
	if strings.TrimSpace(*ref) == "" {
		return e.usageErr(fs, "reconcile", "cli.flag_required", "Flag", "--ref")
	}
	if explain && strings.TrimSpace(*note) == "" {
		return e.usageErr(fs, "reconcile", "cli.flag_required", "Flag", "--note")
	}
	ctx, stop := signalContext()
	defer stop()
	var s *Services
	if explain {
		// An explanation writes the line and its audit line; no channel.
		if s, exit = e.open(ctx, "reconcile", args, Options{Lock: true}); s != nil {
			if err := s.NeedConfigured(ctx); err != nil {
				s.Close()
				return e.fail("reconcile", err)
			}
		}
	} else {
		s, exit = e.openMoney(ctx, "reconcile", args, *gateway)
	}
	if s == nil {
		return exit
	}
	defer s.Close()
	staff, exit, ok := e.loginAs(ctx, s, "reconcile", i18n.Key("cli.nothing_done_because"), who)
	if !ok {
		return exit
	}
	svc := s.Reconciler()
	d, err := svc.Find(ctx, staff.ID, day, ch, *ref)
	if err != nil {
		return e.fail("reconcile", err)
	}
	if explain {
		d, err = svc.Explain(ctx, staff.ID, d.ID, *note)
	} else {
		d, err = svc.Settle(ctx, staff.ID, d.ID)
	}
	if err != nil {
		return e.fail("reconcile", err)
	}
	e.say("cli.reconcile.line", "Kind", kindName(d.Kind), "Record", recordName(d.Record), "Ref", d.Ref,
		"Local", localName(d.LocalState), "LocalAmount", d.LocalAmount, "Seen", seenName(d.Seen.State), "SeenAmount", d.Seen.Amount)
	fmt.Fprintln(e.stdout, resolutionText(d))
	if d.Resolved() {
		return exitOK
	}
	e.say("cli.reconcile.still_open")
	return exitFailed
}

func kindName(k reconcile.Kind) string { return i18n.M(k.Name()) }

func recordName(r reconcile.Record) string { return i18n.M(r.Name()) }

func localName(s reconcile.LocalState) string { return i18n.M(s.Name()) }

func seenName(s reconcile.SeenState) string { return i18n.M(s.Name()) }

func statusName(s reconcile.Status, open int) string {
	switch s {
	case reconcile.StatusNotReady:
		return i18n.T("reconcile.status.not_ready")
	case reconcile.StatusFailed:
		return i18n.T("reconcile.status.failed")
	case reconcile.StatusOpen:
		return i18n.T("reconcile.status.open", "Open", open)
	case reconcile.StatusDone:
		return i18n.T("reconcile.status.done")
	case reconcile.StatusEmpty:
		return i18n.T("reconcile.status.empty")
	}
	return string(s)
}

// resolutionText says why a line needs nobody, or that it waits.
func resolutionText(d reconcile.Difference) string {
	switch {
	case d.Resolution == reconcile.ResolvedExplained:
		return i18n.T("reconcile.resolution.explained", "Note", d.Note, "By", d.ResolvedByName)
	case d.Resolution == reconcile.ResolvedMatched && !d.MatchedOn.IsZero():
		return i18n.T("reconcile.resolution.other_day", "Day", d.MatchedOn.String())
	case d.Resolution == reconcile.ResolvedMatched && d.ResolvedBy != 0:
		return i18n.T("reconcile.resolution.settled", "By", d.ResolvedByName)
	case d.Resolution == reconcile.ResolvedMatched && d.Seen.Duplicates > 0:
		return i18n.T("reconcile.resolution.duplicate", "Count", d.Seen.Duplicates)
	case d.Resolution == reconcile.ResolvedMatched:
		return i18n.T("reconcile.resolution.matched")
	}
	return i18n.T("reconcile.resolution.open")
}

func (e env) reconcileTable(res reconcile.Result, err error) {
	r := res.Run
	title := i18n.M(app.ChannelTitle(r.Channel))
	e.say("cli.reconcile.head", "Channel", title, "Day", r.Day.String(), "Status", statusName(r.Status, r.Open))
	if err != nil {
		fmt.Fprintf(e.stdout, "  %s\n", i18n.Err(err))
	} else if !r.Error.IsZero() {
		e.say("cli.reconcile.last_attempt", "Err", i18n.M(r.Error))
	}
	if r.ReconciledAt.IsZero() || r.Status == reconcile.StatusEmpty {
		return // nothing was ever matched: no totals to show
	}
	e.say("cli.reconcile.bill_totals", "Count", r.Bill.Count, "Amount", r.Bill.Amount, "Refunds", r.Bill.RefundCount,
		"RefundAmount", r.Bill.RefundAmount, "Fee", r.Bill.Fee)
	e.say("cli.reconcile.local_totals", "Count", r.Local.Count, "Amount", r.Local.Amount, "Refunds", r.Local.RefundCount,
		"RefundAmount", r.Local.RefundAmount)
	e.say("cli.reconcile.counts", "Matched", r.Matched, "Duplicates", r.Duplicates, "Others", r.Others.Count+r.Others.RefundCount,
		"OthersAmount", r.Others.Amount, "OthersFee", r.Others.Fee)
	if len(res.Differences) == 0 {
		return
	}
	table := [][]string{{"", i18n.T("cli.reconcile.col.kind"), i18n.T("cli.reconcile.col.record"), i18n.T("cli.reconcile.col.ref"),
		i18n.T("cli.reconcile.col.local"), i18n.T("cli.reconcile.col.local_amount"), i18n.T("cli.reconcile.col.seen"),
		i18n.T("cli.reconcile.col.seen_amount"), i18n.T("cli.reconcile.col.resolution")}}
	for _, d := range res.Differences {
		table = append(table, []string{" ", kindName(d.Kind), recordName(d.Record), d.Ref, localName(d.LocalState),
			amountOrDash(d.LocalState != reconcile.LocalAbsent, d.LocalAmount), seenName(d.Seen.State),
			amountOrDash(d.Seen.State != reconcile.SeenAbsent, d.Seen.Amount), resolutionText(d)})
	}
	e.printTable(table)
}

func amountOrDash(known bool, m app.Money) string {
	if !known {
		return "-"
	}
	return m.String()
}

type jsonTotals struct {
	Count        int   `json:"count"`
	Amount       int64 `json:"amount"`
	RefundCount  int   `json:"refund_count"`
	RefundAmount int64 `json:"refund_amount"`
	Fee          int64 `json:"fee"`
}

func toJSONTotals(t reconcile.Totals) jsonTotals {
	return jsonTotals{t.Count, int64(t.Amount), t.RefundCount, int64(t.RefundAmount), int64(t.Fee)}
}

type jsonLine struct {
	ID              int64  `json:"id"`
	Kind            string `json:"kind"`
	Record          string `json:"record"`
	Ref             string `json:"ref"`
	OutTradeNo      string `json:"out_trade_no,omitempty"`
	OrderNo         string `json:"order_no,omitempty"`
	TransactionID   string `json:"transaction_id,omitempty"`
	LocalState      string `json:"local_state"`
	LocalStored     string `json:"local_stored,omitempty"`
	LocalAmount     int64  `json:"local_amount"`
	ChannelState    string `json:"channel_state"`
	ChannelAmount   int64  `json:"channel_amount"`
	ChannelReturned int64  `json:"channel_returned,omitempty"`
	Duplicates      int    `json:"duplicates,omitempty"`
	At              string `json:"at,omitempty"`
	Resolution      string `json:"resolution"`
	MatchedOn       string `json:"matched_on,omitempty"`
	Note            string `json:"note,omitempty"`
	ResolvedBy      string `json:"resolved_by,omitempty"`
}

type jsonRun struct {
	Channel    string     `json:"channel"`
	Day        string     `json:"day"`
	Status     string     `json:"status"`
	Error      string     `json:"error,omitempty"`
	Bill       jsonTotals `json:"bill"`
	Others     jsonTotals `json:"other_terminals"`
	Local      jsonTotals `json:"local"`
	Matched    int        `json:"matched"`
	Duplicates int        `json:"duplicates"`
	Open       int        `json:"open"`
	Lines      []jsonLine `json:"lines"`
}

// JSON: amounts in fen, states as codes, what another program reads.
func (e env) reconcileJSON(day summary.Day, results []reconcile.Result, errs []error, code int) int {
	out := struct {
		Unit string    `json:"unit"`
		Day  string    `json:"day"`
		Runs []jsonRun `json:"runs"`
	}{Unit: "fen", Day: day.String(), Runs: []jsonRun{}}
	for i, res := range results {
		r := res.Run
		jr := jsonRun{Channel: string(r.Channel), Day: r.Day.String(), Status: string(r.Status), Bill: toJSONTotals(r.Bill),
			Others: toJSONTotals(r.Others), Local: toJSONTotals(r.Local), Matched: r.Matched, Duplicates: r.Duplicates,
			Open: r.Open, Lines: []jsonLine{}}
		switch {
		case errs[i] != nil:
			jr.Error = i18n.Err(errs[i])
		case !r.Error.IsZero():
			jr.Error = i18n.M(r.Error)
		}
		for _, d := range res.Differences {
			l := jsonLine{ID: d.ID, Kind: string(d.Kind), Record: string(d.Record), Ref: d.Ref, OutTradeNo: d.OutTradeNo,
				OrderNo: d.OrderNo, TransactionID: d.TransactionID, LocalState: string(d.LocalState), LocalStored: d.LocalStored,
				LocalAmount: int64(d.LocalAmount), ChannelState: string(d.Seen.State), ChannelAmount: int64(d.Seen.Amount),
				ChannelReturned: int64(d.Seen.Returned), Duplicates: d.Seen.Duplicates, Resolution: string(d.Resolution),
				Note: d.Note, ResolvedBy: d.ResolvedByName}
			if l.LocalState == "" {
				l.LocalState = "absent"
			}
			if l.ChannelState == "" {
				l.ChannelState = "absent"
			}
			if !d.At.IsZero() {
				l.At = d.At.In(app.ChinaTime).Format(time.RFC3339)
			}
			if !d.MatchedOn.IsZero() {
				l.MatchedOn = d.MatchedOn.String()
			}
			jr.Lines = append(jr.Lines, l)
		}
		out.Runs = append(out.Runs, jr)
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return e.fail("reconcile", err)
	}
	return code
}
