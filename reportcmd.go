package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"cashier/app"
	"cashier/app/report"
	"cashier/app/shift"
	"cashier/app/summary"
	"cashier/sync/export"
	"cashier/ui/i18n"
)

// reportActions are the reports `pos report` prints.
var reportActions = []string{"summary", "details", "daily", "monthly", "hourly"}

// runReport is `pos report summary|details|daily|monthly|hourly`: the
// section-4 reports (app/report) as a table, CSV, JSON or an XLSX file. It
// only reads: it works beside a running app, and like it always has it
// reads as whoever can open the data folder (every store, every person).
// The action may stand anywhere among the flags.
func runReport(e env, args []string) int {
	e.peekLanguage(context.Background())
	for i, a := range args {
		if !slices.Contains(reportActions, a) {
			continue
		}
		rest := append(append([]string{}, args[:i]...), args[i+1:]...)
		switch a {
		case "summary":
			return runReportSummary(e, rest)
		case "details":
			return runReportDetails(e, rest)
		default:
			return runReportBill(e, a, rest)
		}
	}
	fmt.Fprintln(e.stderr, i18n.T("cli.report.usage"))
	return exitUsage
}

// reportOut is where a report goes: --format and --out.
type reportOut struct{ format, out *string }

func addReportOut(fs *flag.FlagSet) reportOut {
	return reportOut{format: fs.String("format", "table", i18n.T("cli.flag.report_format")),
		out: fs.String("out", "", i18n.T("cli.flag.report_out"))}
}

// check refuses a format it cannot write, and an XLSX file without a
// name (it is not for a terminal).
func (o reportOut) check(e env, fs *flag.FlagSet) (int, bool) {
	switch *o.format {
	case "table", "csv", "json":
	case "xlsx":
		if *o.out == "" {
			return e.usageErr(fs, "report", "cli.report.xlsx_needs_out"), false
		}
	default:
		return e.usageErr(fs, "report", "cli.report.bad_format", "Value", *o.format), false
	}
	return exitOK, true
}

// write sends the report to --out (written whole or removed) or stdout.
func (o reportOut) write(e env, fn func(e env) error) int {
	if *o.out == "" {
		if err := fn(e); err != nil {
			return e.fail("report", err)
		}
		return exitOK
	}
	f, err := os.Create(*o.out)
	if err != nil {
		return e.fail("report", err)
	}
	to := e
	to.stdout = f
	err = fn(to)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(*o.out)
		return e.fail("report", err)
	}
	e.say("cli.report.written", "File", *o.out)
	return exitOK
}

// reportScope are the flags that choose the store and the person.
type reportWho struct{ store, staff *string }

func addReportWho(fs *flag.FlagSet) reportWho {
	return reportWho{store: fs.String("store", "", i18n.T("cli.flag.report_store")),
		staff: fs.String("staff", "", i18n.T("cli.flag.report_staff"))}
}

// resolve finds the store (this terminal's unless --store) and the person
// of --staff (0 for everyone); an unknown one fails the command.
func (w reportWho) resolve(ctx context.Context, e env, s *Services) (app.StoreInfo, int64, int, bool) {
	st, err := s.DB.CurrentStore(ctx)
	if *w.store != "" {
		st, err = s.DB.StoreByCode(ctx, *w.store)
	}
	if err != nil {
		return st, 0, e.fail("report", err), false
	}
	if *w.staff == "" {
		return st, 0, exitOK, true
	}
	p, _, err := s.DB.StaffByCode(ctx, *w.staff)
	if errors.Is(err, app.ErrUnknownStaff) {
		err = errNoStaffNo.With("Code", *w.staff)
	}
	if err != nil {
		return st, 0, e.fail("report", err), false
	}
	return st, p.ID, exitOK, true
}

// errNoStaffNo: --staff names nobody (Code).
var errNoStaffNo = app.NewError("cli.report.unknown_staff")

// reports is the command line's view of the reports: every store whole.
func reports(s *Services) report.View {
	return (&report.Service{Store: s.DB}).As(report.Unrestricted)
}

// runReportSummary is `pos report summary`: the figures for a business
// day (the default: today), a time range, a shift, a staff member, in the
// terminal's store or another by code; --by splits them by method, store,
// staff member or shift.
func runReportSummary(e env, args []string) int {
	fs := e.newFlags("report", "cli.report.usage")
	day := fs.String("day", "", i18n.T("cli.flag.report_day"))
	from := fs.String("from", "", i18n.T("cli.flag.report_from"))
	to := fs.String("to", "", i18n.T("cli.flag.report_to"))
	who := addReportWho(fs)
	shiftID := fs.Int64("shift", 0, i18n.T("cli.flag.report_shift"))
	byFlag := fs.String("by", "", i18n.T("cli.flag.report_by"))
	out := addReportOut(fs)
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) != 0 {
		return e.usageErr(fs, "report", "cli.deposit.extra_args", "Args", strings.Join(pos, " "))
	}
	if code, ok := out.check(e, fs); !ok {
		return code
	}
	var by report.By
	if *byFlag != "" {
		var err error
		if by, err = report.ParseBy(*byFlag); err != nil {
			return e.usageErr(fs, "report", "cli.report.bad_by", "Value", *byFlag)
		}
	}
	if *day != "" && (*from != "" || *to != "") {
		return e.usageErr(fs, "report", "cli.report.day_or_range")
	}
	if (*from == "") != (*to == "") {
		return e.usageErr(fs, "report", "cli.report.from_and_to")
	}
	if *shiftID < 0 {
		return e.usageErr(fs, "report", "cli.shift.bad_id", "Value", strconv.FormatInt(*shiftID, 10))
	}
	ctx := context.Background()
	s, code := e.open(ctx, "report", args, Options{})
	if s == nil {
		return code
	}
	defer s.Close()
	st, staffID, code, ok := who.resolve(ctx, e, s)
	if !ok {
		return code
	}
	loc := st.Location()
	f := summary.Filter{StoreID: st.ID, ShiftID: *shiftID, StaffID: staffID}
	if *shiftID != 0 {
		// A shift that is not there (or not the store's) took nothing,
		// and saying so would read as an empty shift.
		sh, err := s.DB.ShiftStore().Shift(ctx, *shiftID)
		if err == nil && sh.StoreID != st.ID {
			err = shift.ErrNotFound.With("ID", *shiftID)
		}
		if err != nil {
			return e.fail("report", err)
		}
	}
	var err error
	switch {
	case *from != "":
		if f.From, err = parseLocalTime(*from, loc, false); err != nil {
			return e.usageErr(fs, "report", "cli.report.bad_time", "Value", *from)
		}
		if f.To, err = parseLocalTime(*to, loc, true); err != nil {
			return e.usageErr(fs, "report", "cli.report.bad_time", "Value", *to)
		}
		if !f.From.Before(f.To) {
			return e.usageErr(fs, "report", "cli.audit.bad_range", "From", *from, "To", *to)
		}
	case *day != "":
		if f.Day, err = summary.ParseDay(*day); err != nil {
			return e.usageErr(fs, "report", "cli.report.bad_day", "Value", *day)
		}
	case *shiftID == 0:
		f.Day = summary.DayOf(s.Clock.Now(), loc)
	}
	v := reports(s)
	if by != "" {
		b, err := v.Breakdown(ctx, f, by)
		if err != nil {
			return e.fail("report", err)
		}
		t := report.BreakdownTable(b, loc)
		return out.write(e, func(e env) error {
			switch *out.format {
			case "json":
				return e.breakdownJSON(st, b, loc)
			case "table":
				fmt.Fprintln(e.stdout, e.reportScope(st, b.Filter, loc))
				return e.tableText(t)
			}
			return e.export(*out.format, t)
		})
	}
	sum, err := v.Summary(ctx, f)
	if err != nil {
		return e.fail("report", err)
	}
	return out.write(e, func(e env) error {
		switch *out.format {
		case "json":
			return e.reportJSON(st, sum, loc)
		case "csv":
			return e.reportCSV(sum)
		case "xlsx":
			return e.export("xlsx", report.SummaryTable(sum, loc))
		}
		e.reportTable(st, sum, loc)
		return nil
	})
}

// parseLocalTime reads "2006-01-02 15:04" or "2006-01-02" in the store's
// zone; a bare date as an end means the end of that day.
func parseLocalTime(v string, loc *time.Location, end bool) (time.Time, error) {
	if t, err := time.ParseInLocation("2006-01-02 15:04", v, loc); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("2006-01-02", v, loc)
	if err == nil && end {
		t = t.AddDate(0, 0, 1)
	}
	return t, err
}

type reportLine struct {
	method summary.Method // "" for the total
	f      summary.Figures
}

func reportLines(s summary.Summary) []reportLine {
	var out []reportLine
	for _, m := range summary.Methods {
		out = append(out, reportLine{m, s.Method(m)})
	}
	return append(out, reportLine{"", s.Total})
}

func methodName(m summary.Method) string {
	if m == "" {
		return i18n.T("report.total")
	}
	return i18n.M(m.Name())
}

func (e env) reportScope(st app.StoreInfo, f summary.Filter, loc *time.Location) string {
	switch {
	case !f.Day.IsZero():
		return i18n.T("report.scope.day", "Store", st.Name, "Day", f.Day.String())
	case !f.From.IsZero():
		return i18n.T("report.scope.range", "Store", st.Name, "From", f.From.In(loc).Format("2006-01-02 15:04"),
			"To", f.To.In(loc).Format("2006-01-02 15:04"))
	}
	return i18n.T("report.scope.shift", "Store", st.Name, "Shift", f.ShiftID)
}

func (e env) reportTable(st app.StoreInfo, s summary.Summary, loc *time.Location) {
	fmt.Fprintln(e.stdout, e.reportScope(st, s.Filter, loc))
	if !s.Filter.Day.IsZero() {
		e.say("report.business_day_note")
	}
	// Right-aligned by display width: tabwriter counts a Chinese
	// character as one column, and the Chinese table came out crooked.
	table := [][]string{{i18n.T("report.col.method"), i18n.T("report.col.tx_amount"), i18n.T("report.col.settlement"),
		i18n.T("report.col.received"), i18n.T("report.col.discount"), i18n.T("report.col.refund"),
		i18n.T("report.col.refund_settlement"), i18n.T("report.col.tx_count"), i18n.T("report.col.refund_count")}}
	for _, l := range reportLines(s) {
		f := l.f
		table = append(table, []string{methodName(l.method), f.TxAmount.String(), f.Settlement.String(), f.Received.String(),
			f.Discount.String(), f.Refund.String(), f.RefundSettlement.String(), strconv.FormatInt(f.TxCount, 10),
			strconv.FormatInt(f.RefundCount, 10)})
	}
	widths := make([]int, len(table[0]))
	for _, row := range table {
		for i, c := range row {
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for _, row := range table {
		var b strings.Builder
		for i, c := range row {
			b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			b.WriteString(c)
		}
		fmt.Fprintln(e.stdout, b.String())
	}
	d := s.Deposits
	e.say("report.deposits", "Count", d.TakenCount, "Taken", d.Taken, "Consumed", d.Consumed, "Released", d.Released)
	if heldKnown(s.Filter) {
		e.say("report.deposits_held", "Count", d.HeldCount, "Held", d.Held)
	}
}

// heldKnown: the deposits held are the store's balance at the end of a
// time range (summary.Engine reads them only then), never a day's, a
// shift's or a person's.
func heldKnown(f summary.Filter) bool {
	return f.StaffID == 0 && f.ShiftID == 0 && !f.From.IsZero()
}

// CSV: one row per method and the total, amounts in yuan with two
// decimals (what a spreadsheet reads), the metric codes as the header.
func (e env) reportCSV(s summary.Summary) error {
	w := csv.NewWriter(e.stdout)
	_ = w.Write([]string{"method", "tx_amount", "settlement", "received", "discount", "refund", "refund_settlement", "tx_count", "refund_count"})
	for _, l := range reportLines(s) {
		m := string(l.method)
		if m == "" {
			m = "total"
		}
		f := l.f
		_ = w.Write([]string{m, f.TxAmount.String(), f.Settlement.String(), f.Received.String(), f.Discount.String(),
			f.Refund.String(), f.RefundSettlement.String(), strconv.FormatInt(f.TxCount, 10), strconv.FormatInt(f.RefundCount, 10)})
	}
	w.Flush()
	return w.Error()
}

type jsonFigures struct {
	TxAmount         int64 `json:"tx_amount"`
	Settlement       int64 `json:"settlement"`
	Received         int64 `json:"received"`
	Discount         int64 `json:"discount"`
	Refund           int64 `json:"refund"`
	RefundSettlement int64 `json:"refund_settlement"`
	TxCount          int64 `json:"tx_count"`
	RefundCount      int64 `json:"refund_count"`
}

func toJSONFigures(f summary.Figures) jsonFigures {
	return jsonFigures{int64(f.TxAmount), int64(f.Settlement), int64(f.Received), int64(f.Discount), int64(f.Refund),
		int64(f.RefundSettlement), f.TxCount, f.RefundCount}
}

// JSON: amounts in fen (integers, exact), what another program reads.
func (e env) reportJSON(st app.StoreInfo, s summary.Summary, loc *time.Location) error {
	out := struct {
		Unit     string                 `json:"unit"`
		Store    string                 `json:"store"`
		Day      string                 `json:"day,omitempty"`
		From     string                 `json:"from,omitempty"`
		To       string                 `json:"to,omitempty"`
		Shift    int64                  `json:"shift,omitempty"`
		Staff    int64                  `json:"staff_id,omitempty"`
		Total    jsonFigures            `json:"total"`
		ByMethod map[string]jsonFigures `json:"by_method"`
		Deposits map[string]int64       `json:"deposits"`
	}{Unit: "fen", Store: st.Code, Shift: s.Filter.ShiftID, Staff: s.Filter.StaffID, Total: toJSONFigures(s.Total),
		ByMethod: map[string]jsonFigures{}}
	if !s.Filter.Day.IsZero() {
		out.Day = s.Filter.Day.String()
	}
	if !s.Filter.From.IsZero() {
		out.From, out.To = s.Filter.From.In(loc).Format(time.RFC3339), s.Filter.To.In(loc).Format(time.RFC3339)
	}
	for _, m := range summary.Methods {
		out.ByMethod[string(m)] = toJSONFigures(s.Method(m))
	}
	d := s.Deposits
	out.Deposits = map[string]int64{"taken_count": d.TakenCount, "taken": int64(d.Taken), "consumed": int64(d.Consumed),
		"released": int64(d.Released)}
	if heldKnown(s.Filter) {
		// absent otherwise: a 0 would read as nothing held
		out.Deposits["held"], out.Deposits["held_count"] = int64(d.Held), d.HeldCount
	}
	return e.writeJSON(out)
}

func (e env) writeJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// runReportDetails is `pos report details`: the store's orders newest
// first with their methods, amounts and states, filtered; --limit rows
// (0: every one), today's by default.
func runReportDetails(e env, args []string) int {
	fs := e.newFlags("report", "cli.report.usage")
	from := fs.String("from", "", i18n.T("cli.flag.report_from"))
	to := fs.String("to", "", i18n.T("cli.flag.report_to"))
	who := addReportWho(fs)
	method := fs.String("method", "", i18n.T("cli.flag.report_method"))
	state := fs.String("state", "", i18n.T("cli.flag.report_state"))
	kind := fs.String("kind", "", i18n.T("cli.flag.report_kind"))
	minAmount := fs.String("min", "", i18n.T("cli.flag.report_min"))
	maxAmount := fs.String("max", "", i18n.T("cli.flag.report_max"))
	limit := fs.Int("limit", report.DefaultPage, i18n.T("cli.flag.report_limit"))
	out := addReportOut(fs)
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) != 0 {
		return e.usageErr(fs, "report", "cli.deposit.extra_args", "Args", strings.Join(pos, " "))
	}
	if code, ok := out.check(e, fs); !ok {
		return code
	}
	var f report.DetailFilter
	var err error
	if *method != "" {
		if f.Method, err = report.ParseMethod(*method); err != nil {
			return e.usageErr(fs, "report", "cli.report.bad_method", "Value", *method)
		}
	}
	if *state != "" {
		if f.State, err = report.ParseState(*state); err != nil {
			return e.usageErr(fs, "report", "cli.report.bad_state", "Value", *state)
		}
	}
	switch app.OrderKind(*kind) {
	case "":
	case app.OrderSale, app.OrderDeposit:
		f.Kind = app.OrderKind(*kind)
	default:
		return e.usageErr(fs, "report", "cli.report.bad_kind", "Value", *kind)
	}
	for _, a := range []struct {
		flag, v string
		to      *app.Money
	}{{"--min", *minAmount, &f.Min}, {"--max", *maxAmount, &f.Max}} {
		if a.v == "" {
			continue
		}
		if *a.to, err = app.ParsePositiveMoney(a.v); err != nil {
			return e.usageErr(fs, "report", "cli.report.bad_amount", "Flag", a.flag, "Value", a.v)
		}
	}
	if f.Max > 0 && f.Min > f.Max {
		return e.usageErr(fs, "report", "cli.report.min_over_max", "Min", f.Min, "Max", f.Max)
	}
	if *limit < 0 {
		return e.usageErr(fs, "report", "cli.report.bad_limit", "Value", strconv.Itoa(*limit))
	}
	ctx := context.Background()
	s, code := e.open(ctx, "report", args, Options{})
	if s == nil {
		return code
	}
	defer s.Close()
	st, staffID, code, ok := who.resolve(ctx, e, s)
	if !ok {
		return code
	}
	loc := st.Location()
	f.StoreID, f.StaffID = st.ID, staffID
	if *from != "" {
		if f.From, err = parseLocalTime(*from, loc, false); err != nil {
			return e.usageErr(fs, "report", "cli.report.bad_time", "Value", *from)
		}
	}
	if *to != "" {
		if f.To, err = parseLocalTime(*to, loc, true); err != nil {
			return e.usageErr(fs, "report", "cli.report.bad_time", "Value", *to)
		}
	}
	if *from == "" && *to == "" {
		now := s.Clock.Now().In(loc)
		f.From = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
		f.To = f.From.AddDate(0, 0, 1)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return e.usageErr(fs, "report", "cli.audit.bad_range", "From", *from, "To", *to)
	}
	v := reports(s)
	all, err := v.DetailsTable(ctx, f)
	if err != nil {
		return e.fail("report", err)
	}
	t, more := firstRows(all, *limit)
	return out.write(e, func(e env) error {
		switch *out.format {
		case "json":
			return e.detailsJSON(ctx, v, st, f, *limit, loc)
		case "table":
			fmt.Fprintln(e.stdout, e.detailsScope(st, f, loc))
			if err := e.tableText(t); err != nil {
				return err
			}
			if *more {
				e.say("cli.report.more", "Limit", *limit)
			}
			return nil
		}
		return e.export(*out.format, t)
	})
}

// errEnough stops a walk once the rows asked for are out.
var errEnough = errors.New("enough rows")

// firstRows is t's first limit rows (0: all); *more says, once t has been
// walked, whether rows were left out.
func firstRows(t report.Table, limit int) (report.Table, *bool) {
	more := new(bool)
	if limit == 0 {
		return t, more
	}
	all := t.Stream
	t.Stream = func(ctx context.Context, fn func([]report.Cell) error) error {
		n := 0
		err := all(ctx, func(row []report.Cell) error {
			if n == limit {
				*more = true
				return errEnough
			}
			n++
			return fn(row)
		})
		if errors.Is(err, errEnough) {
			return nil
		}
		return err
	}
	return t, more
}

func (e env) detailsScope(st app.StoreInfo, f report.DetailFilter, loc *time.Location) string {
	if f.From.IsZero() || f.To.IsZero() {
		return st.Name
	}
	return i18n.T("report.scope.range", "Store", st.Name, "From", f.From.In(loc).Format("2006-01-02 15:04"),
		"To", f.To.In(loc).Format("2006-01-02 15:04"))
}

type jsonDetail struct {
	Time     string   `json:"time"`
	OrderNo  string   `json:"order_no"`
	Kind     string   `json:"kind"`
	Staff    string   `json:"staff"`
	Methods  []string `json:"methods"`
	Amount   int64    `json:"amount"`
	Discount int64    `json:"discount"`
	Paid     int64    `json:"paid"`
	Refunded int64    `json:"refunded"`
	State    string   `json:"state"`
}

// detailsJSON writes the orders as they are read, a page at a time:
// amounts in fen, times in RFC 3339 in the store's zone, codes for kinds,
// methods and states.
func (e env) detailsJSON(ctx context.Context, v report.View, st app.StoreInfo, f report.DetailFilter, limit int, loc *time.Location) error {
	head := struct {
		Unit  string `json:"unit"`
		Store string `json:"store"`
		From  string `json:"from,omitempty"`
		To    string `json:"to,omitempty"`
	}{Unit: "fen", Store: st.Code}
	if !f.From.IsZero() {
		head.From = f.From.In(loc).Format(time.RFC3339)
	}
	if !f.To.IsZero() {
		head.To = f.To.In(loc).Format(time.RFC3339)
	}
	b, err := json.Marshal(head)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(e.stdout)
	w.Write(b[:len(b)-1])
	w.WriteString(`,"orders":[`)
	n, more := 0, false
	p := report.Page{Limit: report.MaxPage}
pages:
	for {
		if limit > 0 {
			p.Limit = min(report.MaxPage, limit-n+1) // one past the limit tells whether there is more
		}
		pg, err := v.Details(ctx, f, p)
		if err != nil {
			return err
		}
		for _, d := range pg.Rows {
			if limit > 0 && n == limit {
				more = true
				break pages
			}
			methods := []string{}
			for _, m := range d.Methods {
				methods = append(methods, string(m))
			}
			row, err := json.Marshal(jsonDetail{Time: d.At.In(loc).Format(time.RFC3339), OrderNo: d.OrderNo, Kind: string(d.Kind),
				Staff: d.StaffName, Methods: methods, Amount: int64(d.Amount), Discount: int64(d.Discount), Paid: int64(d.Paid),
				Refunded: int64(d.Refunded), State: string(d.State())})
			if err != nil {
				return err
			}
			if n > 0 {
				w.WriteByte(',')
			}
			w.WriteString("\n  ")
			w.Write(row)
			n++
		}
		if !pg.More {
			break
		}
		p.After = pg.Next
	}
	fmt.Fprintf(w, "\n],\"more\":%t}\n", more)
	return w.Flush()
}

// runReportBill is `pos report daily|monthly|hourly`: every business day
// of a month (--month, default this one), every month of a year (--year,
// default this one) or every hour of a day (--day, default today), with
// the figures; --staff for one person's.
func runReportBill(e env, action string, args []string) int {
	fs := e.newFlags("report", "cli.report.usage")
	var month, year, day *string
	switch action {
	case "daily":
		month = fs.String("month", "", i18n.T("cli.flag.report_month"))
	case "monthly":
		year = fs.String("year", "", i18n.T("cli.flag.report_year"))
	default:
		day = fs.String("day", "", i18n.T("cli.flag.report_hourly_day"))
	}
	who := addReportWho(fs)
	out := addReportOut(fs)
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) != 0 {
		return e.usageErr(fs, "report", "cli.deposit.extra_args", "Args", strings.Join(pos, " "))
	}
	if code, ok := out.check(e, fs); !ok {
		return code
	}
	var f report.BillFilter
	switch {
	case month != nil && *month != "":
		t, err := time.Parse("2006-01", *month)
		if err != nil {
			return e.usageErr(fs, "report", "cli.report.bad_month", "Value", *month)
		}
		f.Year, f.Month = t.Year(), t.Month()
	case year != nil && *year != "":
		y, err := strconv.Atoi(*year)
		if err != nil || y < 2000 || y > 9999 {
			return e.usageErr(fs, "report", "cli.report.bad_year", "Value", *year)
		}
		f.Year = y
	case day != nil && *day != "":
		d, err := summary.ParseDay(*day)
		if err != nil {
			return e.usageErr(fs, "report", "cli.report.bad_day", "Value", *day)
		}
		f.Day = d
	}
	ctx := context.Background()
	s, code := e.open(ctx, "report", args, Options{})
	if s == nil {
		return code
	}
	defer s.Close()
	st, staffID, code, ok := who.resolve(ctx, e, s)
	if !ok {
		return code
	}
	loc := st.Location()
	f.StoreID, f.StaffID = st.ID, staffID
	today := summary.DayOf(s.Clock.Now(), loc)
	if f.Year == 0 && f.Day.IsZero() {
		f.Year, f.Month, f.Day = today.Year, today.Month, today
	}
	v := reports(s)
	var b report.Bill
	var err error
	switch action {
	case "daily":
		f.Day = summary.Day{}
		b, err = v.Daily(ctx, f)
	case "monthly":
		f.Month, f.Day = 0, summary.Day{}
		b, err = v.Monthly(ctx, f)
	default:
		b, err = v.Hourly(ctx, f)
	}
	if err != nil {
		return e.fail("report", err)
	}
	t := report.BillTable(b, loc)
	return out.write(e, func(e env) error {
		switch *out.format {
		case "json":
			return e.billJSON(action, st, b)
		case "table":
			fmt.Fprintln(e.stdout, e.billScope(action, st, b))
			return e.tableText(t)
		}
		return e.export(*out.format, t)
	})
}

func (e env) billScope(action string, st app.StoreInfo, b report.Bill) string {
	f := b.Filter
	switch action {
	case "daily":
		return i18n.T("report.scope.month", "Store", st.Name, "Month", fmt.Sprintf("%04d-%02d", f.Year, f.Month))
	case "monthly":
		return i18n.T("report.scope.year", "Store", st.Name, "Year", strconv.Itoa(f.Year))
	}
	return i18n.T("report.scope.hours", "Store", st.Name, "Day", f.Day.String())
}

// billJSON: amounts in fen, each period with its figures, and the total.
func (e env) billJSON(action string, st app.StoreInfo, b report.Bill) error {
	type period struct {
		Day   string `json:"day,omitempty"`
		Month string `json:"month,omitempty"`
		Hour  *int   `json:"hour,omitempty"`
		jsonFigures
	}
	out := struct {
		Unit    string      `json:"unit"`
		Store   string      `json:"store"`
		Staff   int64       `json:"staff_id,omitempty"`
		Periods []period    `json:"periods"`
		Total   jsonFigures `json:"total"`
	}{Unit: "fen", Store: st.Code, Staff: b.Filter.StaffID, Total: toJSONFigures(b.Total.Total)}
	for _, p := range b.Periods {
		j := period{jsonFigures: toJSONFigures(p.Total)}
		switch action {
		case "daily":
			j.Day = p.Day.String()
		case "monthly":
			j.Month = p.Day.String()[:7]
		default:
			h := p.Hour
			j.Day, j.Hour = p.Day.String(), &h
		}
		out.Periods = append(out.Periods, j)
	}
	return e.writeJSON(out)
}

// breakdownJSON: amounts in fen, each group named by codes and names.
func (e env) breakdownJSON(st app.StoreInfo, b report.Breakdown, loc *time.Location) error {
	type group struct {
		Method    string `json:"method,omitempty"`
		StoreCode string `json:"store_code,omitempty"`
		Store     string `json:"store,omitempty"`
		StaffCode string `json:"staff_code,omitempty"`
		Staff     string `json:"staff,omitempty"`
		Shift     *int64 `json:"shift,omitempty"`
		Start     string `json:"start,omitempty"`
		End       string `json:"end,omitempty"`
		jsonFigures
	}
	out := struct {
		Unit   string      `json:"unit"`
		Store  string      `json:"store,omitempty"`
		Day    string      `json:"day,omitempty"`
		From   string      `json:"from,omitempty"`
		To     string      `json:"to,omitempty"`
		By     string      `json:"by"`
		Groups []group     `json:"groups"`
		Total  jsonFigures `json:"total"`
	}{Unit: "fen", By: string(b.By), Total: toJSONFigures(b.Total)}
	if b.By != report.ByStore {
		out.Store = st.Code
	}
	if !b.Filter.Day.IsZero() {
		out.Day = b.Filter.Day.String()
	}
	if !b.Filter.From.IsZero() {
		out.From, out.To = b.Filter.From.In(loc).Format(time.RFC3339), b.Filter.To.In(loc).Format(time.RFC3339)
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format(time.RFC3339)
	}
	for _, g := range b.Groups {
		j := group{jsonFigures: toJSONFigures(g.Figures), Method: string(g.Method), StoreCode: g.StoreCode, Store: g.StoreName,
			StaffCode: g.StaffCode, Staff: g.StaffName, Start: at(g.Start), End: at(g.End)}
		if b.By == report.ByShift {
			id := g.ShiftID
			j.Shift = &id
		}
		out.Groups = append(out.Groups, j)
	}
	return e.writeJSON(out)
}

// export writes t as CSV or XLSX (sync/export), in the language in use.
func (e env) export(format string, t report.Table) error {
	ctx := context.Background()
	if format == "xlsx" {
		return export.XLSX(ctx, e.stdout, t, i18n.M)
	}
	return export.CSV(ctx, e.stdout, t, i18n.M)
}

// tableText prints t as the screen shows it, lined up by display width:
// amounts and counts to the right, the rest to the left.
func (e env) tableText(t report.Table) error {
	rows, err := t.Strings(context.Background(), i18n.M)
	if err != nil {
		return err
	}
	widths := make([]int, len(t.Columns))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	w := bufio.NewWriter(e.stdout)
	for _, row := range rows {
		var b strings.Builder
		for i, c := range row {
			pad := strings.Repeat(" ", widths[i]-displayWidth(c))
			if k := t.Columns[i].Kind; k == report.ColAmount || k == report.ColCount {
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
			if i < len(row)-1 {
				b.WriteString("  ")
			}
		}
		w.WriteString(strings.TrimRight(b.String(), " ") + "\n")
	}
	return w.Flush()
}
