package catalogfile

import (
	"encoding/csv"
	"io"
	"iter"

	"cashier/app"

	"github.com/xuri/excelize/v2"
)

// ErrWrite is a file that could not be written.
var ErrWrite = app.NewError("catalogfile.write")

// guarded are the first characters that make Excel (and other spreadsheets)
// run a CSV cell as a formula: "=HYPERLINK(...)" in a product name must stay
// text. WriteCSV puts a ' before such a cell (Excel shows the text, hiding
// the quote); Open takes it off again, so "-5" survives a round trip.
const guarded = "=+-@"

func guard(c string) string {
	if c != "" && (c[0] == '\'' && len(c) > 1 && indexByte(guarded, c[1]) || indexByte(guarded, c[0])) {
		return "'" + c
	}
	return c
}

func indexByte(s string, b byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return true
		}
	}
	return false
}

// WriteCSV writes rows as UTF-8 with a BOM (so Excel on Windows opens the
// Chinese right), comma-separated, CRLF line ends, with a header row in the
// language asked. Cells that would run as formulas are guarded (see guarded).
func WriteCSV(w io.Writer, rows iter.Seq[Row], h Header) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return ErrWrite.Wrap(err)
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(headerRow(h)); err != nil {
		return ErrWrite.Wrap(err)
	}
	for r := range rows {
		cells := cells(r)
		for i := range cells {
			cells[i] = guard(cells[i])
		}
		if err := cw.Write(cells); err != nil {
			return ErrWrite.Wrap(err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return ErrWrite.Wrap(err)
	}
	return nil
}

// WriteXLSX writes rows to one sheet with excelize's streaming writer. Every
// cell is a text cell (prices too: the money parser reads them back exact,
// and barcodes keep their leading zeros); text cells never run as formulas,
// so nothing is guarded.
func WriteXLSX(w io.Writer, rows iter.Seq[Row], h Header) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = ErrWrite.Wrap(cerr)
		}
	}()
	sheet := f.GetSheetName(0)
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return ErrWrite.Wrap(err)
	}
	vals := make([]any, len(Fields))
	put := func(n int, cells []string) error {
		for i, c := range cells {
			vals[i] = c
		}
		cell, err := excelize.CoordinatesToCellName(1, n)
		if err != nil {
			return err
		}
		return sw.SetRow(cell, vals)
	}
	if err := put(1, headerRow(h)); err != nil {
		return ErrWrite.Wrap(err)
	}
	n := 1
	for r := range rows {
		n++
		if err := put(n, cells(r)); err != nil {
			return ErrWrite.Wrap(err)
		}
	}
	if err := sw.Flush(); err != nil {
		return ErrWrite.Wrap(err)
	}
	if err := f.Write(w); err != nil {
		return ErrWrite.Wrap(err)
	}
	return nil
}
