// Package catalogfile reads and writes product files (CSV and XLSX) as raw
// rows: every cell stays text, each row keeps its line in the file. It does
// not validate products (app/catalog does); it only finds the columns, the
// encoding and the cells, so an import's dry run can name a bad row by line.
package catalogfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"cashier/app"
	"cashier/app/catalog"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Errors. Those with a line carry Line; header errors carry Column.
var (
	ErrEncoding        = app.NewError("catalogfile.encoding")
	ErrBadText         = app.NewError("catalogfile.bad_text")
	ErrEmpty           = app.NewError("catalogfile.empty")
	ErrOldExcel        = app.NewError("catalogfile.xls")
	ErrXLSX            = app.NewError("catalogfile.xlsx")
	ErrSyntax          = app.NewError("catalogfile.syntax")
	ErrHeaderMissing   = app.NewError("catalogfile.header_missing")
	ErrHeaderDuplicate = app.NewError("catalogfile.header_duplicate")
	// ErrCells is a row's problem (Row.Problem), not the file's: reading goes on.
	ErrCells = app.NewError("catalogfile.cells")
)

// Format is the kind of file read.
type Format string

const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// Row is one product line as text (app/catalog's, so the catalogue's
// import reads a Reader directly). Price is normalised for the money
// parser (no currency sign, no thousands separators) but never converted.
type Row = catalog.Row

// sample is how much is looked at to decide the encoding: enough for many
// lines, small enough that 10 MB of garbage is refused at once.
const sample = 64 << 10

// Reader streams the rows of one file.
type Reader struct {
	format  Format
	cols    []Field // per column; "" for unknown
	unknown []string
	width   int // the header's width

	csv  *csv.Reader
	utf8 bool // cells must be valid UTF-8 (the file was not transcoded)

	xf   *excelize.File
	rows *excelize.Rows
	xrow int

	err error // sticky
}

// Open reads the header of r and returns a Reader for its rows. The
// content decides the format, not the name (old systems save tab-separated
// text as .xls); name only makes a broken .xlsx say so.
func Open(r io.Reader, name string) (*Reader, error) {
	br := bufio.NewReaderSize(r, sample)
	head, err := br.Peek(sample)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	full := len(head) == sample
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return openXLSX(br)
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return nil, ErrOldExcel
	case strings.EqualFold(filepath.Ext(name), ".xlsx"):
		return nil, ErrXLSX // not a ZIP: a damaged or renamed file
	}
	rd := &Reader{format: CSV}
	var src io.Reader
	switch {
	case len(bytes.TrimSpace(head)) == 0:
		return nil, ErrEmpty
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		if _, err := br.Discard(3); err != nil {
			return nil, err
		}
		src, rd.utf8 = br, true
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		// Excel's "Unicode text": UTF-16 with a BOM, usually tab-separated.
		src = transform.NewReader(br, xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM).NewDecoder())
	default:
		cut := head
		if full { // judge whole lines only, not a character cut in half
			if i := bytes.LastIndexByte(cut, '\n'); i > 0 {
				cut = cut[:i]
			}
		}
		switch {
		case !looksLikeText(cut):
			return nil, ErrEncoding
		case utf8.Valid(cut):
			src, rd.utf8 = br, true
		default:
			dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(cut)
			if err != nil || bytes.ContainsRune(dec, utf8.RuneError) || !looksLikeText(dec) || !hasLetters(dec) {
				return nil, ErrEncoding
			}
			src = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
		}
	}
	src = bufio.NewReaderSize(src, sample)
	first, _ := src.(*bufio.Reader).Peek(sample)
	cr := csv.NewReader(src)
	cr.Comma = delimiter(first)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	rd.csv = cr
	header, err := cr.Read()
	if err == io.EOF {
		return nil, ErrEmpty
	}
	if err != nil {
		return nil, rd.csvErr(err)
	}
	if err := rd.header(header); err != nil {
		return nil, err
	}
	return rd, nil
}

// looksLikeText refuses control characters other than tab, CR and LF (and
// NUL, which is how UTF-16 without a BOM and binary files show).
func looksLikeText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\r' && c != '\n' || c == 0x7F {
			return false
		}
	}
	return true
}

// hasLetters guards GB18030, which decodes almost any byte soup: real text
// has letters or digits and few rare symbols.
func hasLetters(b []byte) bool {
	var good, bad int
	for _, r := range string(b) {
		switch {
		case unicode.Is(unicode.Han, r), unicode.IsLetter(r), unicode.IsDigit(r), unicode.IsSpace(r), r < 0x80:
			good++
		default:
			bad++
		}
	}
	return good > 0 && bad*10 <= good
}

// delimiter is a tab when the first line has tabs and no commas.
func delimiter(b []byte) rune {
	line := b
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		line = b[:i]
	}
	if bytes.IndexByte(line, '\t') >= 0 && bytes.IndexByte(line, ',') < 0 {
		return '\t'
	}
	return ','
}

func openXLSX(r io.Reader) (*Reader, error) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		return nil, ErrXLSX.Wrap(err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, ErrEmpty
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, ErrXLSX.Wrap(err)
	}
	rd := &Reader{format: XLSX, xf: f, rows: rows, utf8: true}
	for {
		cells, _, err := rd.nextXLSX()
		if err != nil {
			rd.Close()
			if err == io.EOF {
				return nil, ErrEmpty
			}
			return nil, err
		}
		if blank(cells) {
			continue
		}
		if err := rd.header(cells); err != nil {
			rd.Close()
			return nil, err
		}
		return rd, nil
	}
}

func (rd *Reader) nextXLSX() ([]string, int, error) {
	if !rd.rows.Next() {
		if err := rd.rows.Error(); err != nil {
			return nil, 0, ErrXLSX.Wrap(err)
		}
		return nil, 0, io.EOF
	}
	rd.xrow++
	cells, err := rd.rows.Columns()
	if err != nil {
		return nil, 0, ErrXLSX.Wrap(err).With("Line", rd.xrow)
	}
	return cells, rd.xrow, nil
}

func (rd *Reader) csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return ErrSyntax.With("Line", pe.StartLine).Wrap(err)
	}
	return err
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func (rd *Reader) header(cells []string) error {
	rd.width = len(cells)
	rd.cols = make([]Field, len(cells))
	seen := map[Field]bool{}
	for i, c := range cells {
		c = strings.TrimSpace(strings.TrimPrefix(c, "\uFEFF"))
		if rd.utf8 && !utf8.ValidString(c) {
			return ErrBadText.With("Line", 1)
		}
		f, ok := FieldOf(c)
		if !ok {
			if c != "" {
				rd.unknown = append(rd.unknown, c)
			}
			continue
		}
		if seen[f] && f != FieldBarcode {
			return ErrHeaderDuplicate.With("Column", c)
		}
		seen[f] = true
		rd.cols[i] = f
	}
	for _, f := range []Field{FieldName, FieldBarcode, FieldPrice} {
		if !seen[f] {
			return ErrHeaderMissing.With("Column", f.Label())
		}
	}
	return nil
}

// Format is the kind of file being read.
func (rd *Reader) Format() Format { return rd.format }

// Unknown lists the header's columns that are not product fields; they are
// ignored, and worth showing to the person importing.
func (rd *Reader) Unknown() []string { return rd.unknown }

// Next returns the next non-blank row, or io.EOF after the last. Any other
// error is the file's (bad encoding further down, broken XLSX) and ends
// the reading; a malformed row comes back with Row.Problem set instead.
func (rd *Reader) Next() (Row, error) {
	if rd.err != nil {
		return Row{}, rd.err
	}
	for {
		var cells []string
		var line int
		var err error
		if rd.csv != nil {
			cells, err = rd.csv.Read()
			if err == nil {
				line, _ = rd.csv.FieldPos(0)
			} else if err != io.EOF {
				err = rd.csvErr(err)
			}
		} else {
			cells, line, err = rd.nextXLSX()
		}
		if err != nil {
			rd.err = err
			return Row{}, err
		}
		if blank(cells) {
			continue
		}
		row, err := rd.row(cells, line)
		if err != nil {
			rd.err = err
			return Row{}, err
		}
		return row, nil
	}
}

func (rd *Reader) row(cells []string, line int) (Row, error) {
	row := Row{Line: line}
	// Spreadsheets drop empty trailing cells and add empty ones; only
	// content beyond the header is a wrong row. Too few cells is wrong in
	// a CSV, where every line has every separator.
	extra := false
	for _, c := range cells[min(len(cells), rd.width):] {
		if strings.TrimSpace(c) != "" {
			extra = true
		}
	}
	if extra || rd.format == CSV && len(cells) < rd.width {
		row.Problem = ErrCells.With("Line", line, "Want", rd.width, "Got", len(cells))
	}
	for i, c := range cells[:min(len(cells), rd.width)] {
		if rd.utf8 && !utf8.ValidString(c) || strings.ContainsRune(c, utf8.RuneError) {
			return Row{}, ErrBadText.With("Line", line)
		}
		c = strings.TrimSpace(c)
		if rd.format == CSV {
			c = unguard(c)
		}
		switch rd.cols[i] {
		case FieldName:
			row.Name = c
		case FieldBarcode:
			row.Barcodes = append(row.Barcodes, splitBarcodes(c)...)
		case FieldPrice:
			row.Price = NormalisePrice(c)
		case FieldUnit:
			row.Unit = c
		case FieldCategory:
			row.Category = c
		case FieldTaxRate:
			row.TaxRate = c
		case FieldActive:
			row.Active = c
		case FieldNonDiscountable:
			row.NonDiscountable = c
		case FieldStock:
			row.Stock = c
		}
	}
	return row, nil
}

func splitBarcodes(c string) []string {
	var out []string
	for _, b := range strings.FieldsFunc(c, func(r rune) bool { return r == ';' || r == '|' || r == '；' || r == '｜' }) {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

// unguard takes off the quote WriteCSV puts before a cell Excel would run
// as a formula, so a written CSV reads back the same. XLSX cells are never
// guarded, so they are never unguarded.
func unguard(c string) string {
	if len(c) >= 2 && c[0] == '\'' && guard(c[1:]) == c {
		return c[1:]
	}
	return c
}

// NormalisePrice turns a price as spreadsheets show it (￥12.50, 1,234.50,
// 12.5 元) into plain decimal text for the money parser. It never goes
// through a float; text it does not recognise comes back trimmed, for the
// money parser to refuse.
func NormalisePrice(s string) string {
	s = strings.TrimSpace(s)
	for _, p := range []string{"￥", "¥", "RMB", "CNY"} {
		s = strings.TrimSpace(strings.TrimPrefix(s, p))
	}
	s = strings.TrimSpace(strings.TrimSuffix(s, "元"))
	if !strings.Contains(s, ",") {
		return s
	}
	// Thousands separators only in their places: 1,234,567.50.
	intPart, frac, _ := strings.Cut(s, ".")
	groups := strings.Split(strings.TrimPrefix(intPart, "-"), ",")
	for i, g := range groups {
		if g == "" || len(g) > 3 || i > 0 && len(g) != 3 || strings.Trim(g, "0123456789") != "" {
			return s
		}
	}
	out := strings.ReplaceAll(intPart, ",", "")
	if strings.Contains(s, ".") {
		out += "." + frac
	}
	return out
}

// Close releases an XLSX's temporary files; reading a CSV holds none.
func (rd *Reader) Close() error {
	if rd.xf == nil {
		return nil
	}
	rd.rows.Close()
	err := rd.xf.Close()
	rd.xf = nil
	return err
}

// Sheet is a whole file read at once.
type Sheet struct {
	Format  Format
	Rows    []Row
	Unknown []string
}

// Read reads a whole file; Open and Next stream one for large imports.
func Read(r io.Reader, name string) (*Sheet, error) {
	rd, err := Open(r, name)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	s := &Sheet{Format: rd.Format(), Unknown: rd.Unknown()}
	for {
		row, err := rd.Next()
		if err == io.EOF {
			return s, nil
		}
		if err != nil {
			return nil, err
		}
		s.Rows = append(s.Rows, row)
	}
}
