package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"cashier/app/catalog"
	"cashier/sync/catalogfile"
	"cashier/ui/i18n"
)

// runProducts is `pos products import|export|search`. import changes the
// catalogue: it takes the folder's lock and acts as a person holding
// product_manage. export and search only read, like `pos report`: they
// open the database beside a running app, without the lock or a login.
func runProducts(e env, args []string) int {
	e.peekLanguage(context.Background())
	if len(args) == 0 {
		return e.usageErr(nil, "products", "cli.products.usage")
	}
	switch args[0] {
	case "import":
		return runProductsImport(e, args[1:])
	case "export":
		return runProductsExport(e, args[1:])
	case "search":
		return runProductsSearch(e, args[1:])
	case "-h", "--help", "-help", "help":
		e.say("cli.products.usage")
		return exitOK
	}
	return e.usageErr(nil, "products", "cli.unknown_action", "Action", args[0])
}

// runProductsImport is `pos products import FILE [--dry-run]`. Every row
// is checked before one is written, and the catalogue changes only when
// all of them are good (catalog.Service.Import): the exit code is 0 only
// then.
func runProductsImport(e env, args []string) int {
	const cmd = "products import"
	fs := e.newFlags(cmd, "cli.products.import.usage")
	dry := fs.Bool("dry-run", false, i18n.T("cli.products.flag.dry_run"))
	who := addStaffFlags(fs)
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) == 0 {
		return e.usageErr(fs, cmd, "cli.products.file_needed")
	}
	if len(pos) > 1 {
		return e.usageErr(fs, cmd, "cli.unexpected_arg", "Arg", pos[1])
	}
	name := pos[0]
	// The file first: a missing one is said before the folder is locked
	// and anyone logs in.
	f, size, err := openImportFile(name)
	if err != nil {
		return e.fileErr(cmd, i18n.Key("cli.products.cannot_open"), name, err)
	}
	defer f.Close()

	// Ctrl-C ends the import between rows; its transaction rolls back.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, staff, exit := e.openAs(ctx, cmd, args, Options{Seed: true}, who)
	if s == nil {
		return exit
	}
	defer s.Close()
	// The service checks again; asking first spares a person without the
	// permission the wait for a large file to be read.
	if err := s.Catalog.CanManage(ctx, staff.ID); err != nil {
		return e.fail(cmd, err)
	}
	st, err := s.DB.CurrentStore(ctx)
	if err != nil {
		return e.fail(cmd, err)
	}
	counted := &countingReader{r: f}
	rd, err := catalogfile.Open(counted, name)
	if err != nil {
		return e.fail(cmd, err)
	}
	defer rd.Close()
	if u := rd.Unknown(); len(u) > 0 {
		fmt.Fprintln(e.stderr, i18n.T("cli.products.unknown_columns", "Columns", strings.Join(u, i18n.T("list.sep"))))
	}
	p := newImportProgress(e.stderr)
	if rd.Format() == catalogfile.CSV && size > 0 {
		p.size, p.read = size, counted.count
	}
	rep, err := s.Catalog.Import(ctx, staff.ID, st.ID, rd, catalog.ImportOptions{
		DryRun: *dry, Source: filepath.Base(name), Progress: p.update})
	p.end()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintf(e.stderr, "pos %s: %s\n", cmd, i18n.T("cli.products.interrupted"))
			return exitFailed
		}
		return e.fail(cmd, err)
	}
	return e.importReport(cmd, name, rd.Format(), rep)
}

// openImportFile opens a file to import and says how large it is (0 when
// it cannot tell: a pipe).
func openImportFile(name string) (*os.File, int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if fi.IsDir() {
		f.Close()
		return nil, 0, errors.New(i18n.T("cli.products.is_folder"))
	}
	if !fi.Mode().IsRegular() {
		return f, 0, nil
	}
	return f, fi.Size(), nil
}

// fileErr says a file could not be opened or written, with the system's
// reason (a path, a permission: words the person can act on).
func (e env) fileErr(cmd, key, name string, err error) int {
	detail := err.Error()
	var pe *os.PathError
	if errors.As(err, &pe) {
		detail = pe.Err.Error()
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		detail = i18n.T("cli.products.not_found")
	case errors.Is(err, fs.ErrPermission):
		detail = i18n.T("cli.products.no_access")
	}
	fmt.Fprintf(e.stderr, "pos %s: %s\n", cmd, i18n.T(key, "File", name, "Detail", detail))
	return exitFailed
}

// importReport prints what an import did (or in a dry run would do) and
// every bad row by its line, and returns the exit code: 0 only when every
// row was good.
func (e env) importReport(cmd, name string, format catalogfile.Format, rep catalog.Report) int {
	e.say("cli.products.file", "File", name, "Format", strings.ToUpper(string(format)), "Rows", rep.Rows)
	for _, b := range rep.Bad {
		reasons := i18n.Err(b.Err)
		if b.Name == "" {
			e.say("cli.products.bad_row_noname", "Line", b.Line, "Reasons", reasons)
		} else {
			e.say("cli.products.bad_row", "Line", b.Line, "Name", b.Name, "Reasons", reasons)
		}
	}
	switch {
	case !rep.OK():
		key := i18n.Key("cli.products.bad_rows")
		if rep.DryRun {
			key = i18n.Key("cli.products.bad_rows_dry")
		}
		fmt.Fprintf(e.stderr, "pos %s: %s\n", cmd, i18n.T(key, "Bad", len(rep.Bad), "Rows", rep.Rows))
		return exitFailed
	case !rep.DryRun && !rep.Written:
		// Every row good and nothing written: never a success.
		fmt.Fprintf(e.stderr, "pos %s: %s\n", cmd, i18n.T("cli.products.not_written"))
		return exitFailed
	case rep.DryRun:
		e.say("cli.products.would_import", "Added", rep.Added, "Updated", rep.Updated, "Unchanged", rep.Unchanged)
	default:
		e.say("cli.products.imported", "Added", rep.Added, "Updated", rep.Updated, "Unchanged", rep.Unchanged)
	}
	return exitOK
}

// countingReader counts the bytes read from a file: how far the reading
// of a CSV has come.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) count() int64 { return c.n }

// importProgress shows an import's stage and percent on stderr: on a
// terminal one line rewritten in place (\r) at most ten times a second;
// otherwise (a log, a pipe) a line a second at most, and each stage's end.
// Never a line per row: 100,000 rows would bury the report.
type importProgress struct {
	w     io.Writer
	tty   bool
	every time.Duration
	// size and read give the reading stage a percent for a CSV (bytes read
	// of the file); an XLSX is read whole first, so it counts rows.
	size int64
	read func() int64

	last      time.Time
	lastText  string
	lastStage catalog.Stage
	width     int // of the line on a terminal, to blank what is left of a longer one
}

func newImportProgress(w io.Writer) *importProgress {
	p := &importProgress{w: w, every: time.Second}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty, p.every = true, 100*time.Millisecond
		}
	}
	return p
}

var stageNames = map[catalog.Stage]string{
	catalog.StageRead:  i18n.Key("cli.products.stage.read"),
	catalog.StageCheck: i18n.Key("cli.products.stage.check"),
	catalog.StageWrite: i18n.Key("cli.products.stage.write"),
}

func (p *importProgress) update(g catalog.Progress) {
	stage := i18n.T(stageNames[g.Stage])
	var text string
	switch {
	case g.Total > 0:
		text = i18n.T("cli.products.progress", "Stage", stage, "Percent", g.Done*100/g.Total)
	case p.size > 0:
		// The readers buffer ahead of the rows; 100% is said at the end.
		text = i18n.T("cli.products.progress", "Stage", stage, "Percent", min(99, p.read()*100/p.size))
	default:
		text = i18n.T("cli.products.progress_rows", "Stage", stage, "Rows", g.Done)
	}
	if text == p.lastText {
		return
	}
	final := g.Total > 0 && g.Done == g.Total
	newStage := p.lastText == "" || g.Stage != p.lastStage
	if !final && !newStage && time.Since(p.last) < p.every {
		return
	}
	p.last, p.lastText, p.lastStage = time.Now(), text, g.Stage
	if !p.tty {
		fmt.Fprintln(p.w, text)
		return
	}
	pad := max(0, p.width-displayWidth(text))
	p.width = displayWidth(text)
	fmt.Fprint(p.w, "\r"+text+strings.Repeat(" ", pad))
}

// end finishes the line on a terminal, so what follows starts on its own.
func (p *importProgress) end() {
	if p.tty && p.lastText != "" {
		fmt.Fprintln(p.w)
	}
}

// Export formats.
const (
	exportCSV  = "csv"
	exportXLSX = "xlsx"
)

// runProductsExport is `pos products export --out FILE`: the catalogue, or
// one category or state of it, as CSV or XLSX. It reads like `pos report`
// (no login, beside a running app) and writes a file only whole: a
// temporary file in the same folder is renamed over FILE at the end.
func runProductsExport(e env, args []string) int {
	const cmd = "products export"
	fs := e.newFlags(cmd, "cli.products.export.usage")
	format := fs.String("format", "", i18n.T("cli.products.flag.format"))
	out := fs.String("out", "", i18n.T("cli.products.flag.out"))
	category := fs.String("category", "", i18n.T("cli.products.flag.category"))
	state := fs.String("state", "all", i18n.T("cli.products.flag.state"))
	header := fs.String("header", "zh", i18n.T("cli.products.flag.header"))
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) > 0 {
		return e.usageErr(fs, cmd, "cli.unexpected_arg", "Arg", pos[0])
	}
	if *out == "" {
		return e.usageErr(fs, cmd, "cli.flag_required", "Flag", "--out")
	}
	ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(*out)), ".")
	switch {
	case *format == "" && ext == exportXLSX:
		*format = exportXLSX
	case *format == "":
		*format = exportCSV
	case *format != exportCSV && *format != exportXLSX:
		return e.usageErr(fs, cmd, "cli.products.bad_format", "Value", *format)
	case (ext == exportCSV || ext == exportXLSX) && ext != *format:
		// A spreadsheet opens an .xlsx holding CSV as a broken file.
		return e.usageErr(fs, cmd, "cli.products.format_mismatch", "Format", *format, "File", *out)
	}
	f := catalog.Filter{Category: strings.TrimSpace(*category)}
	switch *state {
	case "all":
		f.State = catalog.AnyState
	case "active":
		f.State = catalog.ActiveOnly
	case "inactive":
		f.State = catalog.InactiveOnly
	default:
		return e.usageErr(fs, cmd, "cli.products.bad_state", "Value", *state)
	}
	var h catalogfile.Header
	switch *header {
	case "zh":
		h = catalogfile.HeaderChinese
	case "en":
		h = catalogfile.HeaderEnglish
	default:
		return e.usageErr(fs, cmd, "cli.products.bad_header", "Value", *header)
	}

	ctx := context.Background()
	s, st, exit := e.openCatalogReadOnly(ctx, cmd, args)
	if s == nil {
		return exit
	}
	defer s.Close()
	if f.Category != "" {
		cats, err := s.Catalog.Categories(ctx, st)
		if err != nil {
			return e.fail(cmd, err)
		}
		// A misspelt category would write an empty file and look done.
		if !slices.Contains(cats, f.Category) {
			return e.usageErr(fs, cmd, "cli.products.unknown_category", "Category", f.Category,
				"Categories", strings.Join(cats, i18n.T("list.sep")))
		}
	}
	n := 0
	err := writeWhole(*out, func(w io.Writer) error {
		return s.Catalog.Export(ctx, st, f, func(next func() (catalog.Row, bool)) error {
			rows := func(yield func(catalog.Row) bool) {
				for {
					r, ok := next()
					if !ok || !yield(r) {
						return
					}
					n++
				}
			}
			if *format == exportXLSX {
				return catalogfile.WriteXLSX(w, iter.Seq[catalog.Row](rows), h)
			}
			return catalogfile.WriteCSV(w, iter.Seq[catalog.Row](rows), h)
		})
	})
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return e.fileErr(cmd, i18n.Key("cli.products.cannot_write"), *out, err)
		}
		return e.fail(cmd, err)
	}
	e.say("cli.products.exported", "N", n, "File", *out)
	return exitOK
}

// writeWhole writes name through write into a temporary file beside it
// and renames that over name when everything was written: a failed export
// leaves no half file (and an older export in its place untouched).
func writeWhole(name string, write func(io.Writer) error) (err error) {
	if fi, err := os.Stat(name); err == nil && fi.IsDir() {
		return &os.PathError{Op: "write", Path: name, Err: errors.New(i18n.T("cli.products.is_folder"))}
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*.part")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	// CreateTemp makes the file private; an export is for opening in a
	// spreadsheet like any other file the person saves.
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

// openCatalogReadOnly opens the set-up folder without its lock, for the
// commands that only read the catalogue, and finds this terminal's store.
func (e env) openCatalogReadOnly(ctx context.Context, cmd string, args []string) (*Services, int64, int) {
	s, exit := e.open(ctx, cmd, args, Options{})
	if s == nil {
		return nil, 0, exit
	}
	if err := s.NeedConfigured(ctx); err != nil {
		s.Close()
		return nil, 0, e.fail(cmd, err)
	}
	st, err := s.DB.CurrentStore(ctx)
	if err != nil {
		s.Close()
		return nil, 0, e.fail(cmd, err)
	}
	return s, st.ID, exitOK
}

// runProductsSearch is `pos products search TEXT [--all]`: the counter's
// search (catalog.Service.Search), one product a line, best first. Like
// grep it exits 1 when nothing matches.
func runProductsSearch(e env, args []string) int {
	const cmd = "products search"
	fs := e.newFlags(cmd, "cli.products.search.usage")
	all := fs.Bool("all", false, i18n.T("cli.products.flag.all"))
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	// Several words are one query: the search ignores spaces in it.
	q := strings.TrimSpace(strings.Join(pos, " "))
	if q == "" {
		return e.usageErr(fs, cmd, "cli.products.search.text_needed")
	}
	ctx := context.Background()
	s, st, exit := e.openCatalogReadOnly(ctx, cmd, args)
	if s == nil {
		return exit
	}
	defer s.Close()
	f := catalog.Filter{State: catalog.ActiveOnly}
	if *all {
		f.State = catalog.AnyState
	}
	hits, err := s.Catalog.Search(ctx, st, q, f)
	if err != nil {
		return e.fail(cmd, err)
	}
	if len(hits) == 0 {
		fmt.Fprintf(e.stderr, "pos %s: %s\n", cmd, i18n.T("cli.products.no_hits", "Query", q))
		return exitFailed
	}
	table := make([][]string, 0, len(hits))
	for _, h := range hits {
		mark := ""
		if !h.Active {
			mark = i18n.T("cli.products.disabled_mark")
		}
		code := ""
		if len(h.Barcodes) > 0 {
			code = h.Barcodes[0]
		}
		table = append(table, []string{code, h.Name, h.Price.String(), h.Unit, h.Category, mark})
	}
	writeColumns(e.stdout, table, map[int]bool{2: true})
	return exitOK
}

// writeColumns writes rows in columns two spaces apart, padded by display
// width (a Chinese character takes two), right-aligning the columns in
// right; trailing blanks are trimmed.
func writeColumns(w io.Writer, rows [][]string, right map[int]bool) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-displayWidth(c))
			if right[i] {
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}
