package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"cashier/app"
	"cashier/app/shift"
	"cashier/app/summary"
	"cashier/hardware/escpos"
	"cashier/hardware/printq"
	"cashier/ui/i18n"
)

// runShift is `pos shift list|show|print`. list and show only read: they
// open the database beside a running app, without the folder's lock.
// print queues a reprint of a kept report on this terminal's printer, for
// a person who logs in (a shift report is the store's cash record: who
// printed a copy is audited).
func runShift(e env, args []string) int {
	if len(args) == 0 {
		return e.usageErr(nil, "shift", "cli.shift.usage")
	}
	switch args[0] {
	case "list":
		return runShiftList(e, args[1:])
	case "show":
		return runShiftShow(e, args[1:])
	case "print":
		return runShiftPrint(e, args[1:])
	case "-h", "--help", "-help", "help":
		e.say("cli.shift.usage")
		return exitOK
	}
	return e.usageErr(nil, "shift", "cli.unknown_action", "Action", args[0])
}

// openShifts opens the folder read-only and builds the shift service.
func (e env) openShifts(ctx context.Context, cmd string, args []string) (*Services, int) {
	s, exit := e.open(ctx, cmd, args, Options{})
	if s == nil {
		return nil, exit
	}
	if code := e.start(ctx, cmd, s); code != exitOK {
		return nil, code
	}
	return s, exitOK
}

// Output formats of pos shift list.
const (
	formatTable = "table"
	formatCSV   = "csv"
	formatJSON  = "json"
)

func runShiftList(e env, args []string) int {
	const cmd = "shift list"
	fs := e.newFlags(cmd, "cli.shift.list.usage")
	from := fs.String("from", "", i18n.T("cli.shift.flag.from"))
	to := fs.String("to", "", i18n.T("cli.shift.flag.to"))
	staffCode := fs.String("staff", "", i18n.T("cli.shift.flag.staff"))
	limit := fs.Int("limit", shift.DefaultLimit, i18n.T("cli.shift.flag.limit"))
	format := fs.String("format", formatTable, i18n.T("cli.shift.flag.format"))
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) > 0 {
		return e.usageErr(fs, cmd, "cli.unexpected_arg", "Arg", pos[0])
	}
	switch *format {
	case formatTable, formatCSV, formatJSON:
	default:
		return e.usageErr(fs, cmd, "cli.shift.bad_format", "Value", *format)
	}
	if *limit < 1 || *limit > shift.MaxLimit {
		return e.usageErr(fs, cmd, "cli.shift.bad_limit", "Value", *limit, "Max", shift.MaxLimit)
	}
	ctx := context.Background()
	s, exit := e.openShifts(ctx, cmd, args)
	if s == nil {
		return exit
	}
	defer s.Close()
	st, err := s.DB.CurrentStore(ctx)
	if err != nil {
		return e.fail(cmd, err)
	}
	loc := st.Location()
	q := shift.Query{Limit: *limit}
	if q.From, err = parseDay(*from, loc, false); err != nil {
		return e.usageErr(fs, cmd, "cli.shift.bad_date", "Flag", "--from", "Value", *from)
	}
	if q.To, err = parseDay(*to, loc, true); err != nil {
		return e.usageErr(fs, cmd, "cli.shift.bad_date", "Flag", "--to", "Value", *to)
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return e.usageErr(fs, cmd, "cli.shift.bad_range", "From", *from, "To", *to)
	}
	if *staffCode != "" {
		p, _, err := s.DB.StaffByCode(ctx, *staffCode)
		if err != nil {
			return e.fail(cmd, err)
		}
		q.StaffID = p.ID
	}
	list, err := s.Shifts.List(ctx, q)
	if err != nil {
		return e.fail(cmd, err)
	}
	switch *format {
	case formatCSV:
		err = writeShiftsCSV(e.stdout, list, loc)
	case formatJSON:
		err = writeShiftsJSON(e.stdout, list, loc)
	default:
		writeShiftsTable(e, list, loc)
	}
	if err != nil {
		return e.fail(cmd, err)
	}
	return exitOK
}

// parseDay reads a date (2006-01-02) in the store's zone: the start of that
// day, or with end the start of the next (--to is inclusive).
func parseDay(v string, loc *time.Location, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	d, err := time.ParseInLocation("2006-01-02", v, loc)
	if err != nil {
		return time.Time{}, err
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}

// shiftRow is one shift as list prints it; amounts in yuan ("12.50"),
// empty while the shift is open.
type shiftRow struct {
	ID           int64  `json:"id"`
	BusinessDay  string `json:"business_day"`
	StaffCode    string `json:"staff_code"`
	StaffName    string `json:"staff_name"`
	Scope        string `json:"scope"`
	Terminal     string `json:"terminal"`
	StartedAt    string `json:"started_at"`
	EndedAt      string `json:"ended_at"`
	OpeningFloat string `json:"opening_float"`
	Expected     string `json:"expected"`
	Counted      string `json:"counted"`
	Variance     string `json:"variance"`
	FloatLeft    string `json:"float_left"`
	Countersign  string `json:"countersigned_by"`
}

func rowOf(sh shift.Shift, loc *time.Location) shiftRow {
	r := shiftRow{ID: sh.ID, BusinessDay: sh.Day.String(), StaffCode: sh.StaffCode, StaffName: sh.StaffName,
		Scope: string(sh.Scope()), Terminal: sh.TerminalName, StartedAt: sh.StartedAt.In(loc).Format(time.RFC3339),
		OpeningFloat: sh.OpeningFloat.String()}
	if !sh.Open() {
		r.EndedAt = sh.EndedAt.In(loc).Format(time.RFC3339)
	}
	if h := sh.Handover; h != nil {
		r.Expected, r.Counted, r.Variance, r.FloatLeft = h.Expected.String(), h.Counted.String(), h.Variance.String(), h.FloatLeft.String()
		r.Countersign = h.CountersignName
	}
	return r
}

func writeShiftsCSV(w io.Writer, list []shift.Shift, loc *time.Location) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "business_day", "staff_code", "staff_name", "scope", "terminal", "started_at", "ended_at",
		"opening_float", "expected", "counted", "variance", "float_left", "countersigned_by"})
	for _, sh := range list {
		r := rowOf(sh, loc)
		_ = cw.Write([]string{strconv.FormatInt(r.ID, 10), r.BusinessDay, r.StaffCode, r.StaffName, r.Scope, r.Terminal,
			r.StartedAt, r.EndedAt, r.OpeningFloat, r.Expected, r.Counted, r.Variance, r.FloatLeft, r.Countersign})
	}
	cw.Flush()
	return cw.Error()
}

func writeShiftsJSON(w io.Writer, list []shift.Shift, loc *time.Location) error {
	rows := make([]shiftRow, 0, len(list))
	for _, sh := range list {
		rows = append(rows, rowOf(sh, loc))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}

// writeShiftsTable prints the list for people, in the folder's language,
// with columns lined up for Chinese (two columns a character).
func writeShiftsTable(e env, list []shift.Shift, loc *time.Location) {
	if len(list) == 0 {
		e.say("cli.shift.none")
		return
	}
	head := []string{"ID", i18n.T("cli.shift.col.day"), i18n.T("cli.shift.col.staff"), i18n.T("cli.shift.col.scope"),
		i18n.T("cli.shift.col.start"), i18n.T("cli.shift.col.end"), i18n.T("cli.shift.col.expected"),
		i18n.T("cli.shift.col.counted"), i18n.T("cli.shift.col.variance"), i18n.T("cli.shift.col.countersign")}
	rows := [][]string{head}
	for _, sh := range list {
		end, expected, counted, variance, cs := i18n.T("cli.shift.open"), "", "", "", ""
		if !sh.Open() {
			end = sh.EndedAt.In(loc).Format("01-02 15:04")
		}
		if h := sh.Handover; h != nil {
			expected, counted, variance, cs = h.Expected.String(), h.Counted.String(), signedYuan(h.Variance), h.CountersignName
		}
		rows = append(rows, []string{strconv.FormatInt(sh.ID, 10), sh.Day.String(), sh.StaffName + " " + sh.StaffCode,
			scopeText(sh), sh.StartedAt.In(loc).Format("01-02 15:04"), end, expected, counted, variance, cs})
	}
	widths := make([]int, len(head))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], escpos.Width(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(escpos.PadRight(c, widths[i]))
		}
		fmt.Fprintln(e.stdout, strings.TrimRight(b.String(), " "))
	}
}

func scopeText(sh shift.Shift) string {
	if sh.Scope() == shift.ScopeStore {
		return i18n.T("cli.shift.scope.store")
	}
	return i18n.T("cli.shift.scope.terminal", "Terminal", sh.TerminalName)
}

func signedYuan(m app.Money) string {
	if m > 0 {
		return "+" + m.String()
	}
	return m.String()
}

func parseShiftID(e env, cmd string, pos []string) (int64, int, bool) {
	if len(pos) != 1 {
		if len(pos) > 1 {
			return 0, e.usageErr(nil, cmd, "cli.unexpected_arg", "Arg", pos[1]), false
		}
		return 0, e.usageErr(nil, cmd, "cli.flag_required", "Flag", "ID"), false
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id < 1 {
		return 0, e.usageErr(nil, cmd, "cli.shift.bad_id", "Value", pos[0]), false
	}
	return id, 0, true
}

func runShiftShow(e env, args []string) int {
	const cmd = "shift show"
	fs := e.newFlags(cmd, "cli.shift.show.usage")
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	id, exit, ok := parseShiftID(e, cmd, pos)
	if !ok {
		fs.Usage()
		return exit
	}
	ctx := context.Background()
	s, exit := e.openShifts(ctx, cmd, args)
	if s == nil {
		return exit
	}
	defer s.Close()
	st, err := s.DB.CurrentStore(ctx)
	if err != nil {
		return e.fail(cmd, err)
	}
	sh, err := s.Shifts.Get(ctx, id)
	if err != nil {
		return e.fail(cmd, err)
	}
	showShift(e, sh, st.Location())
	if sh.Open() {
		// A running shift: its figures so far.
		sum, err := s.Shifts.Takings(ctx, sh.ID)
		if err != nil {
			return e.fail(cmd, err)
		}
		showFigures(e, sum)
	}
	return exitOK
}

// showShift prints a shift and its kept handover in words.
func showShift(e env, sh shift.Shift, loc *time.Location) {
	e.say("cli.shift.show.head", "ID", sh.ID, "Name", sh.StaffName, "Code", sh.StaffCode, "Scope", scopeText(sh))
	crosses := !sh.Open() && summary.DayOf(sh.EndedAt, loc) != sh.Day
	if crosses {
		e.say("cli.shift.show.day_crossed", "Day", sh.Day.String())
	} else {
		e.say("cli.shift.show.day", "Day", sh.Day.String())
	}
	e.say("cli.shift.show.start", "At", sh.StartedAt.In(loc).Format("2006-01-02 15:04:05"), "Float", sh.OpeningFloat)
	if sh.Open() {
		e.say("cli.shift.show.still_open")
		return
	}
	e.say("cli.shift.show.end", "At", sh.EndedAt.In(loc).Format("2006-01-02 15:04:05"))
	h := sh.Handover
	if h == nil {
		return
	}
	showFigures(e, h.Summary)
	e.say("cli.shift.show.count")
	for _, d := range shift.Denominations {
		if n := h.Count.Notes[d.Code]; n > 0 {
			e.say("cli.shift.show.count_line", "Denomination", d.Name(), "N", n, "Amount", d.Value*app.Money(n))
		}
	}
	if h.Count.Coins > 0 {
		e.say("cli.shift.show.coins", "Amount", h.Count.Coins)
	}
	e.say("cli.shift.show.cash", "Expected", h.Expected, "Counted", h.Counted, "Variance", signedYuan(h.Variance),
		"Threshold", h.Threshold, "FloatLeft", h.FloatLeft)
	if h.CountersignName != "" {
		e.say("cli.shift.show.countersign", "Name", h.CountersignName)
	}
	e.say("cli.shift.show.held", "N", len(h.HeldOrders))
	for _, it := range h.HeldOrders {
		e.say("cli.shift.show.item", "No", it.No, "Amount", it.Amount, "Note", it.Note)
	}
	if c := h.HeldCarts; c.Count > 0 {
		e.say("cli.shift.show.held_carts", "N", c.Count, "Amount", c.Total, "At", c.Oldest.In(loc).Format("2006-01-02 15:04"))
	}
	e.say("cli.shift.show.deposits", "N", len(h.OpenDeposits))
	for _, it := range h.OpenDeposits {
		e.say("cli.shift.show.item", "No", it.No, "Amount", it.Amount, "Note", it.Note)
	}
}

// showFigures prints the section-4 figures, in total and per method.
func showFigures(e env, sum summary.Summary) {
	line := func(name app.Message, f summary.Figures) {
		e.say("cli.shift.show.figures", "Method", name, "TxCount", f.TxCount, "TxAmount", f.TxAmount, "Discount", f.Discount,
			"Settlement", f.Settlement, "RefundCount", f.RefundCount, "Refund", f.Refund,
			"RefundSettlement", f.RefundSettlement, "Received", f.Received)
	}
	line(app.Msg("cli.shift.show.total"), sum.Total)
	for _, m := range summary.Methods {
		if f, ok := sum.ByMethod[m]; ok && f != (summary.Figures{}) {
			line(m.Name(), f)
		}
	}
	d := sum.Deposits
	e.say("cli.shift.show.deposit_figures", "N", d.TakenCount, "Taken", d.Taken, "Consumed", d.Consumed, "Released", d.Released)
}

// shiftPrintWait is how long pos shift print waits for the printer before
// leaving the reprint queued (printed at the next start of the app).
var shiftPrintWait = 15 * time.Second

func runShiftPrint(e env, args []string) int {
	const cmd = "shift print"
	fs := e.newFlags(cmd, "cli.shift.print.usage")
	who := addStaffFlags(fs)
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	id, exit, ok := parseShiftID(e, cmd, pos)
	if !ok {
		fs.Usage()
		return exit
	}
	ctx := context.Background()
	s, staff, exit := e.openAs(ctx, cmd, args, Options{Seed: true, Devices: true}, who)
	if s == nil {
		return exit
	}
	defer s.Close()
	// Watch the queue before queuing, so the job's end cannot be missed.
	done := make(chan printq.Job, 16)
	var cancel func()
	if s.Devices != nil && s.Devices.queue != nil {
		cancel = s.Devices.queue.Subscribe(func(j printq.Job) {
			if j.Ref == shiftRef(id) && (j.State == printq.Printed || j.State == printq.Failed) {
				select {
				case done <- j:
				default:
				}
			}
		})
		defer cancel()
	}
	if err := s.Shifts.Print(ctx, id, staff.ID); err != nil {
		return e.fail(cmd, err)
	}
	select {
	case j := <-done:
		if j.State == printq.Printed {
			e.say("cli.shift.printed", "ID", id)
			return exitOK
		}
		e.say("cli.shift.print_failed", "ID", id, "Job", j.ID)
		return exitFailed
	case <-time.After(shiftPrintWait):
		e.say("cli.shift.print_queued", "ID", id)
		return exitOK
	}
}
