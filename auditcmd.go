package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/width"

	"cashier/app"
	"cashier/localdb"
	"cashier/ui/audit"
	"cashier/ui/i18n"
)

// maxAuditLimit bounds pos audit list --limit: a bigger export is a
// backup's job.
const maxAuditLimit = 100_000

// runAudit is `pos audit verify|list`. Both only read: they open the
// database beside a running app, without the folder's lock, and never
// migrate or seal it. verify exits 1 (a data problem) naming the first
// broken row.
func runAudit(e env, args []string) int {
	e.peekLanguage(context.Background())
	fs := e.newFlags("audit", "cli.audit.usage")
	from := fs.String("from", "", i18n.T("cli.flag.report_from"))
	to := fs.String("to", "", i18n.T("cli.flag.report_to"))
	staff := fs.String("staff", "", i18n.T("cli.flag.report_staff"))
	action := fs.String("action", "", i18n.T("cli.flag.audit_action"))
	limit := fs.Int("limit", 100, i18n.T("cli.flag.audit_limit"))
	format := fs.String("format", "table", i18n.T("cli.flag.format"))
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitUsage
	}
	switch pos[0] {
	case "verify":
		return e.auditVerify(args)
	case "list":
	default:
		return e.usageErr(fs, "audit", "cli.unknown_action", "Action", pos[0])
	}
	if *format != "table" && *format != "csv" && *format != "json" {
		return e.usageErr(fs, "audit", "cli.bad_format", "Value", *format)
	}
	if *limit < 1 || *limit > maxAuditLimit {
		return e.usageErr(fs, "audit", "cli.audit.bad_limit", "Value", *limit, "Max", maxAuditLimit)
	}
	ctx := context.Background()
	s, code := e.open(ctx, "audit", args, Options{})
	if s == nil {
		return code
	}
	defer s.Close()
	loc := auditZone(ctx, s.DB)
	f := localdb.AuditFilter{Action: *action, Limit: *limit}
	var err error
	if *from != "" {
		if f.From, err = parseLocalTime(*from, loc, false); err != nil {
			return e.usageErr(fs, "audit", "cli.report.bad_time", "Value", *from)
		}
	}
	if *to != "" {
		if f.To, err = parseLocalTime(*to, loc, true); err != nil {
			return e.usageErr(fs, "audit", "cli.report.bad_time", "Value", *to)
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return e.usageErr(fs, "audit", "cli.audit.bad_range", "From", *from, "To", *to)
	}
	if *staff != "" {
		if _, _, err := s.DB.StaffByCode(ctx, *staff); err != nil {
			return e.fail("audit", err)
		}
		f.StaffCode = *staff
	}
	rows, err := s.DB.ListAudit(ctx, f)
	if err != nil {
		return e.fail("audit", err)
	}
	if len(rows) == 0 && *action != "" && !slices.Contains(audit.ActionCodes(), *action) {
		// A code the app never writes is a typo: "nothing matches" would
		// read as "it never happened". A code in the log all the same
		// (another version's) is listed as it is.
		seen, err := s.DB.ListAudit(ctx, localdb.AuditFilter{Action: *action, Limit: 1})
		if err != nil {
			return e.fail("audit", err)
		}
		if len(seen) == 0 {
			return e.usageErr(fs, "audit", "cli.audit.unknown_action_code", "Value", *action,
				"Codes", strings.Join(audit.ActionCodes(), ", "))
		}
	}
	switch *format {
	case "json":
		err = writeAuditJSON(e.stdout, rows, loc)
	case "csv":
		err = writeAuditCSV(e.stdout, rows, loc)
	default:
		if len(rows) == 0 {
			e.say("cli.audit.none")
			return exitOK
		}
		writeAuditTable(e.stdout, rows, loc)
	}
	if err != nil {
		return e.fail("audit", err)
	}
	return exitOK
}

// auditVerify walks the chain; a break is a data problem (exit 1) named
// on stderr with its row.
func (e env) auditVerify(args []string) int {
	ctx := context.Background()
	s, code := e.open(ctx, "audit", args, Options{})
	if s == nil {
		return code
	}
	defer s.Close()
	c, err := s.DB.VerifyAudit(ctx)
	if err != nil {
		return e.fail("audit", err)
	}
	if !c.OK() {
		fmt.Fprintf(e.stderr, "pos audit verify: %s\n", i18n.M(c.Message()))
		return exitFailed
	}
	fmt.Fprintln(e.stdout, i18n.M(c.Message()))
	return exitOK
}

// auditZone is the store's time zone: dates typed and times shown are the
// store's. A folder not set up yet, or a zone this build lacks, is China
// time, where every store so far is.
func auditZone(ctx context.Context, db *localdb.DB) *time.Location {
	if st, err := db.CurrentStore(ctx); err == nil {
		return st.Location()
	}
	return app.ChinaTime
}

func auditPerson(r localdb.AuditRow) string {
	if r.StaffCode == "" {
		return i18n.T("audit.view.system")
	}
	return r.StaffCode + " " + r.StaffName
}

// writeAuditTable prints the rows in columns padded by display width (a
// Chinese character takes two columns; tabwriter would count one).
func writeAuditTable(w io.Writer, rows []localdb.AuditRow, loc *time.Location) {
	table := [][]string{{i18n.T("audit.view.col.id"), i18n.T("audit.view.col.time"), i18n.T("audit.view.col.person"),
		i18n.T("audit.view.col.action"), i18n.T("audit.view.col.subject"), i18n.T("audit.view.col.detail")}}
	for _, r := range rows {
		table = append(table, []string{strconv.FormatInt(r.ID, 10), r.At.In(loc).Format("2006-01-02 15:04:05"),
			auditPerson(r), audit.ActionName(r.Action), dashIfEmpty(r.Subject), dashIfEmpty(r.Detail)})
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
			b.WriteString(c)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// displayWidth counts East Asian wide and full-width characters as two
// terminal columns.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// auditJSON is one row as csv and json give it: codes and the action in
// words (in the language in use), times in RFC 3339 in the store's zone.
type auditJSON struct {
	ID         int64  `json:"id"`
	At         string `json:"at"`
	StaffCode  string `json:"staff_code"`
	StaffName  string `json:"staff_name"`
	Action     string `json:"action"`
	ActionName string `json:"action_name"`
	Subject    string `json:"subject"`
	Detail     string `json:"detail"`
}

func auditRecord(r localdb.AuditRow, loc *time.Location) auditJSON {
	return auditJSON{ID: r.ID, At: r.At.In(loc).Format(time.RFC3339), StaffCode: r.StaffCode, StaffName: r.StaffName,
		Action: r.Action, ActionName: audit.ActionName(r.Action), Subject: r.Subject, Detail: r.Detail}
}

func writeAuditJSON(w io.Writer, rows []localdb.AuditRow, loc *time.Location) error {
	out := make([]auditJSON, 0, len(rows))
	for _, r := range rows {
		out = append(out, auditRecord(r, loc))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writeAuditCSV(w io.Writer, rows []localdb.AuditRow, loc *time.Location) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "at", "staff_code", "staff_name", "action", "action_name", "subject", "detail"})
	for _, r := range rows {
		j := auditRecord(r, loc)
		_ = cw.Write([]string{strconv.FormatInt(j.ID, 10), j.At, j.StaffCode, j.StaffName, j.Action, j.ActionName, j.Subject, j.Detail})
	}
	cw.Flush()
	return cw.Error()
}
