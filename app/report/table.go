package report

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"cashier/app"
	"cashier/app/summary"
)

// ColumnKind says what a column holds, so a screen shows it, and a
// spreadsheet stores it, as what it is: an amount as a number of yuan, a
// time as a date.
type ColumnKind int

const (
	ColText     ColumnKind = iota // Cell.Text, or Cell.Msgs in words
	ColAmount                     // Cell.Money
	ColCount                      // Cell.N
	ColDateTime                   // Cell.Time to the second
	ColDate                       // Cell.Time's date
	ColMonth                      // Cell.Time's year and month
)

// Column is a table's column: its title and kind.
type Column struct {
	Title app.Message
	Kind  ColumnKind
}

// Cell is one value; the column's kind says which field holds it. In a
// column of times, a zero Time is an empty cell or, with Text or Msgs, a
// label (the total's).
type Cell struct {
	Text  string
	Msgs  []app.Message // words, joined with " + " (a method, a state)
	Money app.Money
	N     int64
	Time  time.Time
}

// Table is a report as rows of cells: what the screen shows and the CSV
// and XLSX exports write. A small table holds its rows; a long one (the
// details) reads them page by page as Each walks it.
type Table struct {
	Title   app.Message
	Loc     *time.Location // times are shown in the store's zone
	Columns []Column
	Rows    [][]Cell
	// Stream, when set, walks the rows instead of Rows: fn gets each row in
	// order and may not keep it.
	Stream func(ctx context.Context, fn func([]Cell) error) error
}

// MaxRows is the most rows a table exports: a spreadsheet holds 1,048,576
// rows with the header.
const MaxRows = 1_000_000

// Each calls fn with every row in order.
func (t Table) Each(ctx context.Context, fn func([]Cell) error) error {
	if t.Stream != nil {
		return t.Stream(ctx, fn)
	}
	for _, r := range t.Rows {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// Header is the columns' titles in words.
func (t Table) Header(tr func(app.Message) string) []string {
	out := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = tr(c.Title)
	}
	return out
}

// Format is a cell as the screen shows it: an amount in yuan with two
// decimals, a count in digits, a time in the table's zone
// (2006-01-02 15:04:05, 2006-01-02, 2006-01), words translated by tr.
func (t Table) Format(col int, c Cell, tr func(app.Message) string) string {
	switch t.Columns[col].Kind {
	case ColAmount:
		return c.Money.String()
	case ColCount:
		return strconv.FormatInt(c.N, 10)
	case ColDateTime, ColDate, ColMonth:
		if c.Time.IsZero() { // empty, or a label such as the total's
			return c.text(tr)
		}
		tm := c.Time
		if t.Loc != nil {
			tm = tm.In(t.Loc)
		}
		switch t.Columns[col].Kind {
		case ColDate:
			return tm.Format("2006-01-02")
		case ColMonth:
			return tm.Format("2006-01")
		}
		return tm.Format("2006-01-02 15:04:05")
	}
	return c.text(tr)
}

func (c Cell) text(tr func(app.Message) string) string {
	if len(c.Msgs) > 0 {
		words := make([]string, len(c.Msgs))
		for i, m := range c.Msgs {
			words[i] = tr(m)
		}
		return strings.Join(words, " + ")
	}
	return c.Text
}

// Strings is the whole table as the screen shows it, the header first.
func (t Table) Strings(ctx context.Context, tr func(app.Message) string) ([][]string, error) {
	out := [][]string{t.Header(tr)}
	err := t.Each(ctx, func(row []Cell) error {
		line := make([]string, len(row))
		for i, c := range row {
			line[i] = t.Format(i, c, tr)
		}
		out = append(out, line)
		return nil
	})
	return out, err
}

// figureColumns are the eight section-4 figures, in the order every
// report shows them.
var figureColumns = []Column{
	{app.Msg("report.col.tx_amount"), ColAmount},
	{app.Msg("report.col.settlement"), ColAmount},
	{app.Msg("report.col.received"), ColAmount},
	{app.Msg("report.col.discount"), ColAmount},
	{app.Msg("report.col.refund"), ColAmount},
	{app.Msg("report.col.refund_settlement"), ColAmount},
	{app.Msg("report.col.tx_count"), ColCount},
	{app.Msg("report.col.refund_count"), ColCount},
}

func figureCells(f summary.Figures) []Cell {
	return []Cell{{Money: f.TxAmount}, {Money: f.Settlement}, {Money: f.Received}, {Money: f.Discount},
		{Money: f.Refund}, {Money: f.RefundSettlement}, {N: f.TxCount}, {N: f.RefundCount}}
}

func words(m app.Message) Cell { return Cell{Msgs: []app.Message{m}} }

var totalLabel = app.Msg("report.total")

// SummaryTable is a summary per method and its total.
func SummaryTable(s summary.Summary, loc *time.Location) Table {
	t := Table{Title: app.Msg("report.title.summary"), Loc: loc,
		Columns: append([]Column{{app.Msg("report.col.method"), ColText}}, figureColumns...)}
	for _, m := range summary.Methods {
		t.Rows = append(t.Rows, append([]Cell{words(m.Name())}, figureCells(s.Method(m))...))
	}
	t.Rows = append(t.Rows, append([]Cell{words(totalLabel)}, figureCells(s.Total)...))
	return t
}

// BreakdownTable is a breakdown's groups and their total.
func BreakdownTable(b Breakdown, loc *time.Location) Table {
	t := Table{Title: app.Msg("report.title.breakdown"), Loc: loc}
	var lead []Column
	switch b.By {
	case ByMethod:
		lead = []Column{{app.Msg("report.col.method"), ColText}}
	case ByStore:
		lead = []Column{{app.Msg("report.col.store_code"), ColText}, {app.Msg("report.col.store"), ColText}}
	case ByStaff:
		lead = []Column{{app.Msg("report.col.staff_code"), ColText}, {app.Msg("report.col.staff"), ColText}}
	case ByShift:
		lead = []Column{{app.Msg("report.col.shift"), ColText}, {app.Msg("report.col.staff"), ColText},
			{app.Msg("report.col.shift_start"), ColDateTime}, {app.Msg("report.col.shift_end"), ColDateTime}}
	}
	t.Columns = append(lead, figureColumns...)
	for _, g := range b.Groups {
		var cells []Cell
		switch b.By {
		case ByMethod:
			cells = []Cell{words(g.Method.Name())}
		case ByStore:
			cells = []Cell{{Text: g.StoreCode}, {Text: g.StoreName}}
		case ByStaff:
			cells = []Cell{{Text: g.StaffCode}, {Text: g.StaffName}}
		case ByShift:
			if g.ShiftID == 0 {
				cells = []Cell{words(app.Msg("report.no_shift")), {}, {}, {}}
			} else {
				cells = []Cell{{Text: strconv.FormatInt(g.ShiftID, 10)}, {Text: g.StaffName}, {Time: g.Start}, {Time: g.End}}
			}
		}
		t.Rows = append(t.Rows, append(cells, figureCells(g.Figures)...))
	}
	total := []Cell{words(totalLabel)}
	for len(total) < len(lead) {
		total = append(total, Cell{})
	}
	t.Rows = append(t.Rows, append(total, figureCells(b.Total)...))
	return t
}

// BillTable is a bill's periods and their total: days as dates, months as
// months, hours as "09:00".
func BillTable(b Bill, loc *time.Location) Table {
	t := Table{Loc: loc}
	var lead Column
	switch {
	case !b.Filter.Day.IsZero():
		t.Title, lead = app.Msg("report.title.hourly"), Column{app.Msg("report.col.hour"), ColText}
	case b.Filter.Month != 0:
		t.Title, lead = app.Msg("report.title.daily"), Column{app.Msg("report.col.day"), ColDate}
	default:
		t.Title, lead = app.Msg("report.title.monthly"), Column{app.Msg("report.col.month"), ColMonth}
	}
	t.Columns = append([]Column{lead}, figureColumns...)
	for _, p := range b.Periods {
		var c Cell
		if lead.Kind == ColText {
			c.Text = hourLabel(p.Hour)
		} else {
			c.Time = time.Date(p.Day.Year, p.Day.Month, p.Day.D, 0, 0, 0, 0, locOr(loc))
		}
		t.Rows = append(t.Rows, append([]Cell{c}, figureCells(p.Total)...))
	}
	t.Rows = append(t.Rows, append([]Cell{words(totalLabel)}, figureCells(b.Total.Total)...))
	return t
}

func hourLabel(h int) string { return fmt.Sprintf("%02d:00", h) }

func locOr(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// detailColumns are the details' columns.
var detailColumns = []Column{
	{app.Msg("report.col.time"), ColDateTime},
	{app.Msg("report.col.order_no"), ColText},
	{app.Msg("report.col.kind"), ColText},
	{app.Msg("report.col.staff"), ColText},
	{app.Msg("report.col.methods"), ColText},
	{app.Msg("report.col.amount"), ColAmount},
	{app.Msg("report.col.discount"), ColAmount},
	{app.Msg("report.col.refunded"), ColAmount},
	{app.Msg("report.col.state"), ColText},
}

// DetailCells is one order as a row of the details table.
func DetailCells(d Detail) []Cell {
	methods := make([]app.Message, len(d.Methods))
	for i, m := range d.Methods {
		methods[i] = m.Name()
	}
	return []Cell{{Time: d.At}, {Text: d.OrderNo}, words(KindName(d.Kind)), {Text: d.StaffName}, {Msgs: methods},
		{Money: d.Amount}, {Money: d.Discount}, {Money: d.Refunded}, words(d.State().Name())}
}

// exportPage is how many orders a details table reads at a time.
const exportPage = MaxPage

// DetailsTable is every order f selects, as the viewer may see them,
// newest first, read a page at a time as the table is walked (an export
// never holds the list). The visibility is decided here, once; walking
// it past MaxRows rows fails with ErrTooManyRows.
func (v View) DetailsTable(ctx context.Context, f DetailFilter) (Table, error) {
	s := v.s
	f, err := v.detailScope(ctx, f)
	if err != nil {
		return Table{}, err
	}
	loc, err := s.Location(ctx, f.StoreID)
	if err != nil {
		return Table{}, err
	}
	t := Table{Title: app.Msg("report.title.details"), Loc: loc, Columns: detailColumns}
	t.Stream = func(ctx context.Context, fn func([]Cell) error) error {
		n := 0
		p := Page{Limit: exportPage}
		for {
			pg, err := s.page(ctx, f, p)
			if err != nil {
				return err
			}
			for _, d := range pg.Rows {
				if n++; n > MaxRows {
					return ErrTooManyRows.With("Max", MaxRows)
				}
				if err := fn(DetailCells(d)); err != nil {
					return err
				}
			}
			if !pg.More {
				return nil
			}
			p.After = pg.Next
		}
	}
	return t, nil
}

// DetailsPageTable is one page of details as a table (what a screen shows
// of it).
func DetailsPageTable(pg DetailPage, loc *time.Location) Table {
	t := Table{Title: app.Msg("report.title.details"), Loc: loc, Columns: detailColumns}
	for _, d := range pg.Rows {
		t.Rows = append(t.Rows, DetailCells(d))
	}
	return t
}
