package main

import (
	"context"
	"iter"
	"os"
	"path/filepath"
	"strconv"

	"fyne.io/fyne/v2/theme"

	"cashier/app"
	"cashier/app/catalog"
	"cashier/hardware/receipt"
	"cashier/sync/catalogfile"
	"cashier/ui/i18n"
	"cashier/ui/products"
	"cashier/ui/shell"
)

// productsWorkspace is the Products workspace, offered to holders of
// product management (the catalogue checks it again on every change).
func productsWorkspace(s *Services) shell.Workspace {
	return shell.Workspace{ID: "products", TitleKey: i18n.Key("nav.products"), Icon: theme.GridIcon(),
		Visible: func(se shell.Session) bool { return se.Staff.Has(app.PermProductManage) },
		Build: func(se shell.Session) shell.Page {
			d := products.Deps{Catalog: s.Catalog, Store: s.DB, Files: productFiles{}, Staff: se.Staff, Window: se.Window}
			if s.Devices != nil && s.Devices.queue != nil {
				d.Labels = s.Devices
			}
			v := products.New(d)
			return shell.Page{Content: v.Content(), Focus: v.FocusFirst(), Stop: v.Stop}
		}}
}

var _ products.Labels = (*Devices)(nil)

// printq kind of a shelf label.
const kindShelfLabel = "label"

// PrintShelfLabel queues a product's shelf label durably on the receipt
// printer, like a receipt. Labels are Chinese whatever the screen's
// language: the product's own name and the price.
func (d *Devices) PrintShelfLabel(ctx context.Context, r catalog.Record) error {
	code := ""
	if len(r.Barcodes) > 0 {
		code = r.Barcodes[0]
	}
	job, err := receipt.ShelfLabelJob(receipt.ShelfLabel{Name: r.Name, Price: r.Price, Unit: r.Unit, Barcode: code},
		receipt.Options{Paper: d.paper})
	if err != nil {
		return err
	}
	_, err = d.queue.Enqueue(ctx, "receipt", kindShelfLabel, "product:"+strconv.FormatInt(r.ID, 10), job)
	return err
}

// Errors of the product files the workspace opens and writes.
var (
	errFileOpen  = app.NewError("productsview.err.open")
	errFileWrite = app.NewError("productsview.err.write")
)

// productFiles are product files on disk, read and written by
// sync/catalogfile.
type productFiles struct{}

func (productFiles) Read(path string) (products.Sheet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errFileOpen.With("File", filepath.Base(path), "Detail", err.Error())
	}
	rd, err := catalogfile.Open(f, filepath.Base(path))
	if err != nil {
		f.Close()
		return nil, err
	}
	return sheet{rd, f}, nil
}

type sheet struct {
	*catalogfile.Reader
	f *os.File
}

func (s sheet) Close() error {
	err := s.Reader.Close()
	if ferr := s.f.Close(); err == nil {
		err = ferr
	}
	return err
}

// Write writes the file beside its name and renames it into place, so an
// export that fails leaves no half-written file.
func (productFiles) Write(path string, format products.Format, english bool, rows iter.Seq[catalog.Row]) error {
	fail := func(err error) error {
		return errFileWrite.With("File", filepath.Base(path), "Detail", err.Error())
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fail(err)
	}
	defer os.Remove(tmp.Name()) // nothing left to remove once renamed
	h := catalogfile.HeaderChinese
	if english {
		h = catalogfile.HeaderEnglish
	}
	if format == products.XLSX {
		err = catalogfile.WriteXLSX(tmp, rows, h)
	} else {
		err = catalogfile.WriteCSV(tmp, rows, h)
	}
	if err == nil {
		if serr := tmp.Sync(); serr != nil {
			err = fail(serr)
		}
	}
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = fail(cerr)
	}
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fail(err)
	}
	return nil
}
