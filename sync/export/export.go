// Package export writes a report table (app/report.Table) to a file a
// spreadsheet opens: CSV as UTF-8 with a byte-order mark (Excel reads
// Chinese right only with it), amounts in yuan with two decimals; XLSX
// through excelize's stream writer, row by row, never the whole sheet in
// memory, with amounts as numbers shown 0.00, counts as numbers and times
// as dates. Both write exactly the text the screen shows for each cell
// (Table.Format), so a file read back equals the screen.
package export

import (
	"bufio"
	"context"
	"encoding/csv"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"cashier/app"
	"cashier/app/report"
)

// Translate puts a message into words (ui/i18n.M).
type Translate func(app.Message) string

// bom makes Excel read a CSV file as UTF-8.
const bom = "\uFEFF"

// guard keeps a spreadsheet from running a text cell as a formula: a cell
// starting with = + - @ gets a leading apostrophe, which Excel shows as
// text (sync/catalogfile does the same). Amounts, counts and times are
// never text cells, so a negative amount stays a number.
func guard(s string) string {
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Unguard takes guard's apostrophe off again, for reading an export back.
func Unguard(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@", rune(s[1])) {
		return s[1:]
	}
	return s
}

// CSV writes t as CSV: the header, then every row as the screen shows it.
func CSV(ctx context.Context, w io.Writer, t report.Table, tr Translate) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.WriteString(bom); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	if err := cw.Write(guardAll(t.Header(tr))); err != nil {
		return err
	}
	line := make([]string, len(t.Columns))
	err := t.Each(ctx, func(row []report.Cell) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		for i, c := range row {
			line[i] = t.Format(i, c, tr)
			if t.Columns[i].Kind == report.ColText {
				line[i] = guard(line[i])
			}
		}
		return cw.Write(line)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

func guardAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = guard(v)
	}
	return out
}

// Number formats of the XLSX cells, as the screen shows them.
var numFmts = map[report.ColumnKind]string{
	report.ColAmount:   "0.00",
	report.ColCount:    "0",
	report.ColDateTime: "yyyy-mm-dd hh:mm:ss",
	report.ColDate:     "yyyy-mm-dd",
	report.ColMonth:    "yyyy-mm",
}

// XLSX writes t as a one-sheet workbook named after its title, streamed
// row by row: the header bold and frozen, amounts as numbers of yuan
// (fen / 100, exact for any till's amounts) shown 0.00, counts as
// numbers, times in the table's zone as dates.
func XLSX(ctx context.Context, w io.Writer, t report.Table, tr Translate) error {
	f := excelize.NewFile()
	defer f.Close()
	name := sheetName(tr(t.Title))
	if err := f.SetSheetName(f.GetSheetName(0), name); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	styles := make([]int, len(t.Columns))
	header := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		if code, ok := numFmts[c.Kind]; ok {
			fmtCode := code
			if styles[i], err = f.NewStyle(&excelize.Style{CustomNumFmt: &fmtCode}); err != nil {
				return err
			}
		}
		title := tr(c.Title)
		header[i] = excelize.Cell{StyleID: bold, Value: title}
		if err := sw.SetColWidth(i+1, i+1, width(c.Kind, title)); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	n := 1
	cells := make([]any, len(t.Columns))
	err = t.Each(ctx, func(row []report.Cell) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		n++
		for i, c := range row {
			cells[i] = xlsxCell(t, i, c, styles[i], tr)
		}
		ref, err := excelize.CoordinatesToCellName(1, n)
		if err != nil {
			return err
		}
		return sw.SetRow(ref, cells)
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

// xlsxCell is one cell as its column's kind stores it; an empty time is an
// empty cell.
func xlsxCell(t report.Table, col int, c report.Cell, style int, tr Translate) any {
	switch t.Columns[col].Kind {
	case report.ColAmount:
		return excelize.Cell{StyleID: style, Value: float64(c.Money) / 100}
	case report.ColCount:
		return excelize.Cell{StyleID: style, Value: c.N}
	case report.ColDateTime, report.ColDate, report.ColMonth:
		if c.Time.IsZero() {
			if text := t.Format(col, c, tr); text != "" {
				return excelize.Cell{Value: text} // a label: the total's
			}
			return nil
		}
		return excelize.Cell{StyleID: style, Value: wall(c.Time, t.Loc)}
	}
	return excelize.Cell{Value: t.Format(col, c, tr)}
}

// wall is t's clock reading in loc as a UTC time to the second: a
// spreadsheet's dates have no zone, and excelize counts from a UTC epoch.
func wall(t time.Time, loc *time.Location) time.Time {
	if loc != nil {
		t = t.In(loc)
	}
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

// sheetName is a title a sheet may carry: at most 31 characters, none of
// : \ / ? * [ ].
func sheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return ' '
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > 31 {
		s = string([]rune(s)[:31])
	}
	if strings.TrimSpace(s) == "" {
		return "Sheet1"
	}
	return s
}

// width is a column's width in characters: wide enough for its values and
// its title (a Chinese character is two).
func width(k report.ColumnKind, title string) float64 {
	w := 12.0
	switch k {
	case report.ColDateTime:
		w = 20
	case report.ColText:
		w = 16
	}
	tw := 2.0
	for _, r := range title {
		if r > 0x2E80 {
			tw += 2
		} else {
			tw++
		}
	}
	return max(w, tw)
}
