package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"cashier/app"
	"cashier/app/shift"
	"cashier/app/summary"
	"cashier/ui/i18n"
)

// runReport is `pos report summary`: the section-4 figures for a business
// day (the default: today), a time range, a shift, a staff member, in the
// terminal's store or another by code. It only reads: it works beside a
// running app.
func runReport(e env, args []string) int {
	e.peekLanguage(context.Background())
	fs := e.newFlags("report", "cli.report.usage")
	day := fs.String("day", "", i18n.T("cli.flag.report_day"))
	from := fs.String("from", "", i18n.T("cli.flag.report_from"))
	to := fs.String("to", "", i18n.T("cli.flag.report_to"))
	store := fs.String("store", "", i18n.T("cli.flag.report_store"))
	staff := fs.String("staff", "", i18n.T("cli.flag.report_staff"))
	shiftID := fs.Int64("shift", 0, i18n.T("cli.flag.report_shift"))
	format := fs.String("format", "table", i18n.T("cli.flag.format"))
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) != 1 || pos[0] != "summary" {
		fs.Usage()
		return exitUsage
	}
	if *format != "table" && *format != "csv" && *format != "json" {
		return e.usageErr(fs, "report", "cli.bad_format", "Value", *format)
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
	st, err := s.DB.CurrentStore(ctx)
	if *store != "" {
		st, err = s.DB.StoreByCode(ctx, *store)
	}
	if err != nil {
		return e.fail("report", err)
	}
	loc := st.Location()
	f := summary.Filter{StoreID: st.ID, ShiftID: *shiftID}
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
	if *staff != "" {
		p, _, err := s.DB.StaffByCode(ctx, *staff)
		if err != nil {
			return e.fail("report", err)
		}
		f.StaffID = p.ID
	}
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
	sum, err := summary.Engine{Store: s.DB}.Summarize(ctx, f)
	if err != nil {
		return e.fail("report", err)
	}
	switch *format {
	case "json":
		return e.reportJSON(st, sum, loc)
	case "csv":
		return e.reportCSV(sum)
	}
	e.reportTable(st, sum, loc)
	return exitOK
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

func (e env) reportScope(st app.StoreInfo, s summary.Summary, loc *time.Location) string {
	f := s.Filter
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
	fmt.Fprintln(e.stdout, e.reportScope(st, s, loc))
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
func (e env) reportCSV(s summary.Summary) int {
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
	if err := w.Error(); err != nil {
		return e.fail("report", err)
	}
	return exitOK
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
func (e env) reportJSON(st app.StoreInfo, s summary.Summary, loc *time.Location) int {
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
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return e.fail("report", err)
	}
	return exitOK
}
