package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"cashier/app"
)

// Row is one product line of a file as text, with its line number (the
// header is line 1). sync/catalogfile reads and writes them.
type Row struct {
	Line            int
	Name            string
	Barcodes        []string
	Price           string // normalised for the money parser, never converted
	Unit            string
	Category        string
	TaxRate         string
	Active          string
	NonDiscountable string
	Stock           string
	// Problem is set when the row itself is malformed; the fields hold
	// what could be read.
	Problem error
}

// Rows is a source of rows: io.EOF after the last; any other error ends
// the import (the file is broken).
type Rows interface {
	Next() (Row, error)
}

// Errors of a row's fields.
var (
	ErrBool  = app.NewError("catalog.row.bool")
	ErrPrice = app.NewError("catalog.row.price")
	ErrStock = app.NewError("catalog.row.stock")
	// ErrCodeInFile: the code is on an earlier line of the same file.
	ErrCodeInFile = app.NewError("catalog.barcode.in_file")
	// ErrCodesSplit: the row's codes belong to two existing products.
	ErrCodesSplit = app.NewError("catalog.barcode.split")
	// ErrSameProduct: an earlier line updates the same product.
	ErrSameProduct = app.NewError("catalog.import.same_product")
	ErrNoRows      = app.NewError("catalog.import.empty")
	ErrTooMany     = app.NewError("catalog.import.too_many")
)

// MaxImportRows bounds one import: a catalogue of a million products is
// imported in parts, each checked whole in memory.
const MaxImportRows = 200_000

// ParseRow turns a row into a product, with every problem at once. Blank
// optional cells are reported in keep, so an update leaves those fields
// as they are.
func ParseRow(r Row) (p Product, keep Keep, err error) {
	var errs []error
	if r.Problem != nil {
		errs = append(errs, r.Problem)
	}
	p = Product{Name: r.Name, Barcodes: r.Barcodes, Unit: r.Unit, Category: r.Category, Active: true}
	keep = Keep{Unit: r.Unit == "", Category: r.Category == "", TaxRate: r.TaxRate == "",
		Active: r.Active == "", NonDiscountable: r.NonDiscountable == "", Stock: r.Stock == ""}
	price, perr := ParsePrice(r.Price)
	if perr != nil {
		// Name the cell: "金额最多两位小数" alone does not say which.
		reason, _ := app.AsMessage(perr)
		errs = append(errs, ErrPrice.With("Value", r.Price, "Reason", reason).Wrap(perr))
		// Validate below must not report the unparsed price again as 0.
		price = 1
	}
	p.Price = price
	if r.TaxRate != "" {
		if p.TaxRate, err = ParseTaxRate(r.TaxRate); err != nil {
			errs = append(errs, err)
		}
	}
	if r.Active != "" {
		if p.Active, err = ParseBool(r.Active); err != nil {
			errs = append(errs, ErrBool.With("Value", r.Active, "Field", app.Msg("field.active")))
		}
	}
	if r.NonDiscountable != "" {
		if p.NonDiscountable, err = ParseBool(r.NonDiscountable); err != nil {
			errs = append(errs, ErrBool.With("Value", r.NonDiscountable, "Field", app.Msg("field.non_discountable")))
		}
	}
	if r.Stock != "" {
		n, serr := strconv.ParseInt(strings.TrimSpace(r.Stock), 10, 64)
		if serr != nil || n < -MaxStock || n > MaxStock {
			errs = append(errs, ErrStock.With("Value", r.Stock))
		} else {
			p.Stock = &n
		}
	}
	p = p.Normalise()
	if p.Unit == "" {
		p.Unit = DefaultUnit
	}
	if verr := p.Validate(); verr != nil {
		errs = append(errs, verr)
	}
	if perr != nil {
		p.Price = 0
	}
	if len(p.Barcodes) == 0 {
		errs = append(errs, ErrNoCode)
	}
	return p, keep, errors.Join(errs...)
}

// MaxStock bounds a stock count.
const MaxStock = 1_000_000_000

// DefaultUnit is a product's unit when none is given.
const DefaultUnit = "件"

// Keep says which fields a row left blank: an update keeps them.
type Keep struct {
	Unit, Category, TaxRate, Active, NonDiscountable, Stock bool
}

// merge applies a row's product over an existing one.
func (k Keep) merge(old, p Product) Product {
	if k.Unit {
		p.Unit = old.Unit
	}
	if k.Category {
		p.Category = old.Category
	}
	if k.TaxRate {
		p.TaxRate = old.TaxRate
	}
	if k.Active {
		p.Active = old.Active
	}
	if k.NonDiscountable {
		p.NonDiscountable = old.NonDiscountable
	}
	if k.Stock {
		p.Stock = old.Stock
	}
	// Codes: the product keeps its own (its first stays first) and gains
	// the row's others.
	codes := append([]string(nil), old.Barcodes...)
	for _, c := range p.Barcodes {
		if !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	p.Barcodes = codes
	return p
}

// ParseBool reads a yes/no cell: 1/0, 是/否, Y/N, yes/no, true/false,
// 启用/停用, 正常/停售, 上架/下架, active/inactive.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "y", "yes", "true", "t", "是", "启用", "正常", "在售", "上架", "active", "on", "√", "✓":
		return true, nil
	case "0", "n", "no", "false", "f", "否", "停用", "禁用", "停售", "下架", "inactive", "off", "×":
		return false, nil
	}
	return false, ErrBool.With("Value", s)
}

// ParseTaxRate reads a tax rate into basis points: "13%", "13" and "0.13"
// are all 13% (a bare number below 1 is a fraction); at most two decimals
// of a percent.
func ParseTaxRate(s string) (int, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%") || strings.HasSuffix(t, "％")
	t = strings.TrimSpace(strings.TrimRight(t, "%％"))
	intPart, frac, hasDot := strings.Cut(t, ".")
	if intPart == "" {
		intPart = "0"
	}
	bad := ErrTaxRate.With("Value", s)
	if t == "" || strings.Trim(intPart, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" || hasDot && frac == "" {
		return 0, bad
	}
	ip, err := strconv.Atoi(intPart)
	if err != nil || ip > 100 {
		return 0, bad
	}
	if !pct && ip == 0 && hasDot {
		// A fraction: 0.13 is 1300 basis points; four decimals at most.
		if len(frac) > 4 {
			return 0, bad
		}
		f, _ := strconv.Atoi((frac + "0000")[:4])
		return f, nil
	}
	if len(frac) > 2 {
		return 0, bad
	}
	f, _ := strconv.Atoi((frac + "00")[:2])
	bp := ip*100 + f
	if bp > MaxTaxRate {
		return 0, bad
	}
	return bp, nil
}

// Stage is where an import is.
type Stage int

const (
	StageRead  Stage = iota // reading and checking rows
	StageCheck              // comparing with the catalogue
	StageWrite              // writing (not in a dry run)
)

// Progress is an import's progress: Done of Total rows in Stage (Total is
// 0 while reading, when it is not known yet).
type Progress struct {
	Stage       Stage
	Done, Total int
}

// ImportOptions steer an import.
type ImportOptions struct {
	DryRun bool
	// Source names the file in the audit line.
	Source   string
	Progress func(Progress) // called every few hundred rows; nil: none
}

// BadRow is a row that cannot be imported and why (the joined problems).
type BadRow struct {
	Line int
	Name string
	Err  error
}

// Report is what an import did, or in a dry run would do.
type Report struct {
	Rows                      int
	Added, Updated, Unchanged int
	Bad                       []BadRow // every bad row, by line
	DryRun                    bool
	Written                   bool // the catalogue was changed
}

// OK reports whether every row was good.
func (r Report) OK() bool { return len(r.Bad) == 0 }

type parsed struct {
	line int
	p    Product
	keep Keep
	bad  []error
	// For a row that updates a product: the product as it is, and as the
	// row leaves it.
	old    *Record
	merged Product
}

const progressEvery = 500

// Import reads every row of rows, checks them all, and then — only when
// every row is good and this is not a dry run — writes them in one
// transaction: all or nothing. A row whose codes belong to an existing
// product updates it (blank optional cells keep its values); any other row
// adds a product. The error is for what stopped the import (a broken file,
// no permission, the database); bad rows are in the report.
func (s Service) Import(ctx context.Context, staffID, storeID int64, rows Rows, o ImportOptions) (Report, error) {
	rep := Report{DryRun: o.DryRun}
	ctx, stop := context.WithCancel(ctx) // ends termsAhead's goroutine on every return
	defer stop()
	who, err := s.Permits.Check(ctx, staffID, app.PermProductManage)
	if err != nil {
		return rep, err
	}
	progress := func(p Progress) {
		if o.Progress != nil {
			o.Progress(p)
		}
	}
	var all []parsed
	firstLine := map[string]int{} // code → the line it first appears on
	for {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		row, err := rows.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return rep, err
		}
		if len(all) >= MaxImportRows {
			return rep, ErrTooMany.With("Max", MaxImportRows)
		}
		p, keep, perr := ParseRow(row)
		pr := parsed{line: row.Line, p: p, keep: keep}
		if perr != nil {
			pr.bad = append(pr.bad, perr)
		}
		for _, c := range p.Barcodes {
			if l, dup := firstLine[c]; dup {
				pr.bad = append(pr.bad, ErrCodeInFile.With("Barcode", c, "Line", l))
			} else {
				firstLine[c] = row.Line
			}
		}
		all = append(all, pr)
		if len(all)%progressEvery == 0 {
			progress(Progress{Stage: StageRead, Done: len(all)})
		}
	}
	rep.Rows = len(all)
	if len(all) == 0 {
		return rep, ErrNoRows
	}
	total := len(all)
	progress(Progress{Stage: StageRead, Done: total, Total: total})
	now := s.Clock.Now()
	errRollback := errors.New("rollback")
	err = s.Store.CatalogTx(ctx, func(tx Tx) error {
		// Check every row against the catalogue before writing one.
		owners := make([]int64, total)
		updatedBy := map[int64]int{} // product → the first line that updates it
		for i := range all {
			pr := &all[i]
			for _, c := range pr.p.Barcodes {
				owner, err := tx.CodeOwner(storeID, c)
				if err != nil {
					return err
				}
				switch {
				case owner == 0:
				case owners[i] == 0:
					owners[i] = owner
				case owners[i] != owner:
					other, err := tx.Product(storeID, owner)
					if err != nil {
						return err
					}
					pr.bad = append(pr.bad, ErrCodesSplit.With("Barcode", c, "Name", other.Name))
				}
			}
			if owners[i] != 0 {
				// Two lines naming one product by different codes would
				// leave it as the later one says, silently.
				if l, dup := updatedBy[owners[i]]; dup {
					pr.bad = append(pr.bad, ErrSameProduct.With("Line", l))
				} else {
					updatedBy[owners[i]] = pr.line
				}
			}
			if owners[i] != 0 && len(pr.bad) == 0 {
				old, err := tx.Product(storeID, owners[i])
				if err != nil {
					return err
				}
				pr.old, pr.merged = &old, pr.keep.merge(old.Product, pr.p)
				// The row's codes join the product's: together they must
				// still fit.
				if len(pr.merged.Barcodes) > MaxBarcodes {
					pr.bad = append(pr.bad, ErrTooManyBarcodes.With("Max", MaxBarcodes))
				}
			}
			if (i+1)%progressEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
				progress(Progress{Stage: StageCheck, Done: i + 1, Total: total})
			}
		}
		progress(Progress{Stage: StageCheck, Done: total, Total: total})
		for _, pr := range all {
			if len(pr.bad) > 0 {
				rep.Bad = append(rep.Bad, BadRow{Line: pr.line, Name: pr.p.Name, Err: errors.Join(pr.bad...)})
			}
		}
		if !rep.OK() {
			return errRollback
		}
		// The search terms are worked out on another core while SQLite
		// writes: at 100,000 rows they are a fifth of the work.
		terms := termsAhead(ctx, all, o.DryRun)
		for i, pr := range all {
			var t []string
			if terms != nil {
				t = <-terms
			}
			if owners[i] == 0 {
				rep.Added++
				if !o.DryRun {
					if _, err := tx.Insert(Record{StoreID: storeID, Product: pr.p, UpdatedAt: now}, t); err != nil {
						return err
					}
				}
			} else {
				old, p := pr.old, pr.merged
				if Changes(old.Product, p) == "" {
					rep.Unchanged++
				} else {
					rep.Updated++
					if old.Name == p.Name {
						t = nil
					}
					if !o.DryRun {
						if err := tx.Update(Record{ID: old.ID, StoreID: storeID, Product: p, UpdatedAt: now}, t); err != nil {
							return err
						}
					}
				}
			}
			if (i+1)%progressEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
				if !o.DryRun {
					progress(Progress{Stage: StageWrite, Done: i + 1, Total: total})
				}
			}
		}
		if o.DryRun {
			return errRollback
		}
		progress(Progress{Stage: StageWrite, Done: total, Total: total})
		return tx.Audit(app.AuditEntry{At: now, StaffID: who.ID, Action: "product_import", Subject: o.Source,
			Detail: fmt.Sprintf("rows=%d added=%d updated=%d unchanged=%d", rep.Rows, rep.Added, rep.Updated, rep.Unchanged)})
	})
	if errors.Is(err, errRollback) {
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	rep.Written = true
	return rep, nil
}

// termsAhead sends the search terms of each row's name, in order, until
// ctx ends; nil in a dry run, which writes no terms.
func termsAhead(ctx context.Context, all []parsed, dry bool) <-chan []string {
	if dry {
		return nil
	}
	ch := make(chan []string, 1024)
	go func() {
		defer close(ch)
		for _, pr := range all {
			select {
			case ch <- IndexTerms(pr.p.Name):
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// FormatRow is a product as a file row (the inverse of ParseRow).
func FormatRow(r Record) Row {
	row := Row{Name: r.Name, Barcodes: r.Barcodes, Price: r.Price.String(), Unit: r.Unit,
		Category: r.Category, TaxRate: FormatTaxRate(r.TaxRate), Active: boolText(r.Active),
		NonDiscountable: boolText(r.NonDiscountable), Stock: stockText(r.Stock)}
	return row
}

// FormatTaxRate writes basis points as a percent: 1300 → "13%", 950 →
// "9.5%".
func FormatTaxRate(bp int) string {
	s := strconv.Itoa(bp / 100)
	if f := bp % 100; f != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%02d", f), "0")
	}
	return s + "%"
}

func boolText(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// Export calls write with every product f selects, as rows by name; the
// caller writes them to a file. An error of reading the catalogue ends
// the rows and is returned.
func (s Service) Export(ctx context.Context, storeID int64, f Filter, write func(next func() (Row, bool)) error) error {
	// Read in pages so a million products never sit in memory at once.
	ids, err := s.Store.ProductIDs(ctx, storeID, f)
	if err != nil {
		return err
	}
	const page = 1000
	var buf []Record
	var readErr error
	pos := 0
	next := func() (Row, bool) {
		for len(buf) == 0 {
			if pos >= len(ids) || readErr != nil {
				return Row{}, false
			}
			end := min(len(ids), pos+page)
			buf, readErr = s.Store.Products(ctx, storeID, ids[pos:end])
			pos = end
		}
		r := buf[0]
		buf = buf[1:]
		return FormatRow(r), true
	}
	if err := write(next); err != nil {
		return err
	}
	return readErr
}
