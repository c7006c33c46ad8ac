package products

import (
	"context"
	"errors"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app/catalog"
	"cashier/ui/i18n"
)

// ImportDialog is an import of a product file: always a dry run first,
// whose report names every bad row by its line; only a clean file is
// offered for import, which shows its progress and its result. An import
// is all or nothing.
type ImportDialog struct {
	Path    string
	File    *widget.Label
	Stage   *widget.Label
	Bar     *widget.ProgressBar
	Summary *widget.Label
	Note    *widget.Label // columns the file has that are not product fields
	Bad     *widget.List  // every bad row
	BadRows []string
	Go      *escButton // 导入 N 行, once the dry run is clean
	Close   *escButton
	Done    bool // the import wrote the catalogue
	running bool
	writing bool // the real import (not the dry run) is running
	closing bool // closed during the dry run: it ends unseen
	cancel  context.CancelFunc
	dlg     *dialog.CustomDialog
	badBox  *fyne.Container // the list, sized to its rows up to maxBadHeight
}

// fit sizes the dialog to what it holds now: a dialog keeps the size it
// was shown at.
func (d *ImportDialog) fit() {
	if d.dlg != nil {
		d.dlg.Resize(fyne.NewSize(importWidth, 0))
	}
}

// maxBadHeight is the most the list of bad rows takes; it scrolls.
const maxBadHeight = 260

// importWidth is the import dialog's width: it fits 1024×768 and holds a
// bad row's reasons in a line or two.
const importWidth = 760

// StartImport asks for a product file and checks it.
func (v *View) StartImport() {
	choose := v.deps.ChooseOpen
	if choose == nil {
		choose = v.fileOpen
	}
	choose(func(path string) { v.ImportFile(path) })
}

func (v *View) fileOpen(then func(string)) {
	if v.deps.Window == nil {
		return
	}
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			v.Status.SetText(i18n.T("productsview.err.file", "Err", i18n.Err(err)))
			return
		}
		if r == nil {
			return // cancelled
		}
		path := r.URI().Path()
		r.Close()
		then(path)
	}, v.deps.Window)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".csv", ".xlsx", ".txt", ".tsv", ".xls"}))
	d.SetTitleText(i18n.T("productsview.import.choose"))
	d.SetConfirmText(i18n.T("productsview.file.open"))
	d.SetDismissText(i18n.T("productsview.form.cancel"))
	d.Resize(dialogSize(v.deps.Window))
	d.Show()
}

func dialogSize(w fyne.Window) fyne.Size {
	s := w.Canvas().Size()
	return fyne.NewSize(s.Width*0.9, s.Height*0.9)
}

// ImportFile opens the import dialog on path and runs its dry run.
func (v *View) ImportFile(path string) *ImportDialog {
	d := &ImportDialog{Path: path}
	v.Importing = d
	d.File = widget.NewLabel(i18n.T("productsview.import.file", "File", filepath.Base(path)))
	d.File.Truncation = fyne.TextTruncateEllipsis
	d.Stage = widget.NewLabel("")
	d.Bar = widget.NewProgressBar()
	d.Summary = widget.NewLabel("")
	d.Summary.Wrapping = fyne.TextWrapWord
	d.Note = widget.NewLabel("")
	d.Note.Wrapping = fyne.TextWrapWord
	d.Note.Hide()
	d.Bad = widget.NewList(func() int { return len(d.BadRows) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Wrapping = fyne.TextWrapWord
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(d.BadRows[i]) })
	d.badBox = container.NewGridWrap(fyne.NewSize(badWidth(), maxBadHeight), d.Bad)
	d.badBox.Hide()
	d.Go = newEscButton(i18n.T("productsview.import.go", "N", 0), theme.UploadIcon(), func() { v.runImport(d) })
	d.Go.Importance = widget.HighImportance
	d.Go.Hide()
	closeNow := func() {
		if d.dlg != nil {
			d.dlg.Hide()
		}
		if v.Importing == d {
			v.Importing = nil
		}
	}
	d.Close = newEscButton(i18n.T("productsview.import.close"), theme.CancelIcon(), func() {
		switch {
		case d.writing:
			d.cancel() // all or nothing: a cancelled import changes nothing, and says so
		case d.running:
			d.closing = true // the dry run writes nothing: stop it and go
			d.cancel()
			closeNow()
		default:
			closeNow()
		}
	})
	body := container.NewVBox(d.File, d.Stage, d.Bar, d.Summary, d.Note, d.badBox)
	if v.deps.Window != nil {
		d.dlg = dialog.NewCustomWithoutButtons(i18n.T("productsview.import.title"), body, v.deps.Window)
		d.dlg.SetButtons([]fyne.CanvasObject{d.Close, d.Go})
		d.dlg.Resize(fyne.NewSize(importWidth, 0))
		d.dlg.Show()
		v.focus(d.Close) // Esc (or Space) closes, or stops what runs
	}
	d.Go.onEsc = d.Close.OnTapped
	v.check(d)
	return d
}

// badWidth is the width of the list of bad rows in the dialog.
func badWidth() float32 { return importWidth - 6*theme.Padding() - theme.ScrollBarSize() }

// showBad lists the bad rows, each as tall as its reasons wrap to (a
// list's rows are as tall as its template unless told).
func (d *ImportDialog) showBad(rows []catalog.BadRow) {
	first, more := lineHeights()
	w := badWidth()
	d.BadRows = make([]string, len(rows))
	var total float32
	for i, b := range rows {
		d.BadRows[i] = BadRowText(b)
		h := first
		if n := wrappedLines(d.BadRows[i], w-2*theme.Padding()); n > 1 {
			h += float32(n-1) * more
			d.Bad.SetItemHeight(i, h)
		}
		total += h + theme.Padding()
	}
	// A short list takes only its rows' height.
	d.badBox.Layout = layout.NewGridWrapLayout(fyne.NewSize(w, min(maxBadHeight, total+theme.Padding())))
	d.Bad.Refresh()
	if len(rows) > 0 {
		d.badBox.Show()
	}
	d.fit()
}

// progress shows where an import is; Progress comes from the import's
// goroutine and is shown on the UI goroutine.
func (v *View) progress(d *ImportDialog) func(catalog.Progress) {
	return func(p catalog.Progress) {
		v.do(func() {
			switch p.Stage {
			case catalog.StageRead:
				d.Stage.SetText(i18n.T("productsview.import.reading", "N", Thousands(p.Done)))
			case catalog.StageCheck:
				d.Stage.SetText(i18n.T("productsview.import.checking", "N", Thousands(p.Done), "Total", Thousands(p.Total)))
			case catalog.StageWrite:
				d.Stage.SetText(i18n.T("productsview.import.writing", "N", Thousands(p.Done), "Total", Thousands(p.Total)))
			}
			if p.Total > 0 {
				d.Bar.SetValue(float64(p.Done) / float64(p.Total))
			}
		})
	}
}

// importRun reads path through the catalogue's import.
func (v *View) importRun(ctx context.Context, path string, o catalog.ImportOptions) (rep catalog.Report, unknown []string, err error) {
	sh, err := v.deps.Files.Read(path)
	if err != nil {
		return rep, nil, err
	}
	defer sh.Close()
	rep, err = v.deps.Catalog.Import(ctx, v.deps.Staff.ID, v.storeID, sh, o)
	return rep, sh.Unknown(), err
}

// check is the dry run: the report of what the import would do.
func (v *View) check(d *ImportDialog) {
	d.running = true
	d.Stage.SetText(i18n.T("productsview.import.checking_file"))
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	var rep catalog.Report
	var unknown []string
	var err error
	o := catalog.ImportOptions{DryRun: true, Source: filepath.Base(d.Path), Progress: v.progress(d)}
	v.run(func() { rep, unknown, err = v.importRun(ctx, d.Path, o) }, func() {
		cancel()
		d.running = false
		if d.closing {
			return
		}
		if len(unknown) > 0 {
			d.Note.SetText(i18n.T("productsview.import.unknown", "Columns", strings.Join(unknown, i18n.T("list.sep"))))
			d.Note.Show()
		}
		d.Stage.SetText(i18n.T("productsview.import.checked"))
		d.Bar.Hide() // a dry run's bar says nothing once it is done
		defer func() {
			d.fit()
			if d.Go.Visible() {
				v.focus(d.Go) // Space imports
			} else {
				v.focus(d.Close)
			}
		}()
		switch {
		case err != nil:
			d.Summary.SetText(i18n.T("productsview.import.unreadable", "Err", strings.Join(Problems(err), i18n.T("list.sep"))))
		case !rep.OK():
			d.Summary.SetText(i18n.T("productsview.import.bad", "Rows", Thousands(rep.Rows), "Bad", Thousands(len(rep.Bad))))
			d.showBad(rep.Bad)
		case rep.Added+rep.Updated == 0:
			d.Summary.SetText(i18n.T("productsview.import.nothing", "Rows", Thousands(rep.Rows)))
		default:
			d.Summary.SetText(i18n.T("productsview.import.clean", "Rows", Thousands(rep.Rows), "Added", Thousands(rep.Added),
				"Updated", Thousands(rep.Updated), "Unchanged", Thousands(rep.Unchanged)))
			d.Go.SetText(i18n.T("productsview.import.go", "N", Thousands(rep.Rows)))
			d.Go.Show()
		}
	})
}

// runImport imports the checked file for real, all or nothing.
func (v *View) runImport(d *ImportDialog) {
	if d.running {
		return
	}
	d.running, d.writing = true, true
	d.Go.Disable()
	d.Close.SetText(i18n.T("productsview.import.cancel"))
	d.Bar.SetValue(0)
	d.Bar.Show()
	d.Summary.SetText(i18n.T("productsview.import.running"))
	d.fit()
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	var rep catalog.Report
	var err error
	o := catalog.ImportOptions{Source: filepath.Base(d.Path), Progress: v.progress(d)}
	v.run(func() { rep, _, err = v.importRun(ctx, d.Path, o) }, func() {
		cancel()
		d.running, d.writing = false, false
		d.Close.SetText(i18n.T("productsview.import.close"))
		d.Go.Hide()
		defer func() {
			d.fit()
			v.focus(d.Close)
		}()
		switch {
		case errors.Is(err, context.Canceled):
			d.Stage.SetText(i18n.T("productsview.import.cancelled"))
			d.Summary.SetText(i18n.T("productsview.import.unchanged"))
		case err != nil:
			d.Stage.SetText(i18n.T("productsview.import.failed"))
			d.Summary.SetText(i18n.T("productsview.import.failed_why", "Err", strings.Join(Problems(err), i18n.T("list.sep"))))
		case !rep.Written:
			// The catalogue changed since the dry run: the rows it refuses now.
			d.Stage.SetText(i18n.T("productsview.import.failed"))
			d.Summary.SetText(i18n.T("productsview.import.bad_now", "Bad", Thousands(len(rep.Bad))))
			d.showBad(rep.Bad)
		default:
			d.Done = true
			d.Bar.SetValue(1)
			d.Stage.SetText(i18n.T("productsview.import.done"))
			d.Summary.SetText(i18n.T("productsview.import.result", "Rows", Thousands(rep.Rows), "Added", Thousands(rep.Added),
				"Updated", Thousands(rep.Updated), "Unchanged", Thousands(rep.Unchanged)))
			v.Status.SetText(i18n.T("productsview.import.status", "File", filepath.Base(d.Path), "Rows", Thousands(rep.Rows)))
			v.reload(v.currentID())
		}
	})
}

// ExportDialog exports the whole catalogue or the current filter to a
// CSV or XLSX file.
type ExportDialog struct {
	Scope  *widget.RadioGroup
	Format *widget.RadioGroup
	Go     *escButton
	Status *widget.Label
	busy   bool
	dlg    *dialog.CustomDialog
}

// OpenExport opens the export dialog.
func (v *View) OpenExport() *ExportDialog {
	d := &ExportDialog{}
	v.Exporting = d
	all := i18n.T("productsview.export.all")
	current := i18n.T("productsview.export.filter", "Filter", v.filterText())
	d.Scope = widget.NewRadioGroup([]string{all, current}, nil)
	d.Scope.Required = true
	d.Scope.SetSelected(all)
	if v.filter != (catalog.Filter{}) {
		d.Scope.SetSelected(current)
	}
	d.Format = widget.NewRadioGroup([]string{"CSV", "Excel (XLSX)"}, nil)
	d.Format.Required = true
	d.Format.Horizontal = true
	d.Format.SetSelected("CSV")
	d.Status = widget.NewLabel("")
	d.Status.Wrapping = fyne.TextWrapWord
	d.Go = newEscButton(i18n.T("productsview.export.go"), theme.DownloadIcon(), func() { v.export(d) })
	d.Go.Importance = widget.HighImportance
	cancel := newEscButton(i18n.T("productsview.form.cancel"), theme.CancelIcon(), func() { v.closeExport(d) })
	d.Go.onEsc = cancel.OnTapped
	form := widget.NewForm(widget.NewFormItem(i18n.T("productsview.export.scope"), d.Scope),
		widget.NewFormItem(i18n.T("productsview.export.format"), d.Format))
	if v.deps.Window != nil {
		d.dlg = dialog.NewCustomWithoutButtons(i18n.T("productsview.export.title"), container.NewVBox(form, d.Status), v.deps.Window)
		d.dlg.SetButtons([]fyne.CanvasObject{cancel, d.Go})
		d.dlg.Resize(fyne.NewSize(560, 0))
		d.dlg.Show()
		v.focus(d.Go) // Space exports
	}
	return d
}

func (v *View) closeExport(d *ExportDialog) {
	if d.dlg != nil {
		d.dlg.Hide()
	}
	if v.Exporting == d {
		v.Exporting = nil
	}
}

// filterText names the current filter: its category and state.
func (v *View) filterText() string {
	cat := v.filter.Category
	if cat == "" {
		cat = allCategories()
	}
	return i18n.T("productsview.export.filter_is", "Category", cat, "State", v.State.Selected)
}

func (v *View) export(d *ExportDialog) {
	if d.busy {
		return
	}
	f := catalog.Filter{}
	if d.Scope.Selected != i18n.T("productsview.export.all") {
		f = v.filter
	}
	format, ext := CSV, ".csv"
	if d.Format.Selected != "CSV" {
		format, ext = XLSX, ".xlsx"
	}
	name := i18n.T("productsview.export.name", "Date", v.deps.Now().Format("20060102")) + ext
	choose := v.deps.ChooseSave
	if choose == nil {
		choose = v.fileSave
	}
	choose(name, func(path string) {
		if filepath.Ext(path) == "" {
			path += ext
		}
		d.busy = true
		d.Go.Disable()
		d.Status.SetText(i18n.T("productsview.export.writing"))
		store, english := v.storeID, i18n.Current() == i18n.English
		n := 0
		var err error
		v.run(func() {
			err = v.deps.Catalog.Export(context.Background(), store, f, func(next func() (catalog.Row, bool)) error {
				return v.deps.Files.Write(path, format, english, func(yield func(catalog.Row) bool) {
					for {
						r, ok := next()
						if !ok || !yield(r) {
							return
						}
						n++
					}
				})
			})
		}, func() {
			d.busy = false
			d.Go.Enable()
			if err != nil {
				d.Status.SetText(i18n.T("productsview.export.failed", "Err", strings.Join(Problems(err), i18n.T("list.sep"))))
				return
			}
			v.closeExport(d)
			v.Status.SetText(i18n.T("productsview.export.done", "N", Thousands(n), "Path", path))
		})
	})
}

func (v *View) fileSave(name string, then func(string)) {
	if v.deps.Window == nil {
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			v.Status.SetText(i18n.T("productsview.err.file", "Err", i18n.Err(err)))
			return
		}
		if w == nil {
			return // cancelled
		}
		path := w.URI().Path()
		w.Close() // the export writes the file whole under this name, or leaves it
		then(path)
	}, v.deps.Window)
	d.SetFileName(name)
	d.SetTitleText(i18n.T("productsview.export.choose"))
	d.SetConfirmText(i18n.T("productsview.file.save"))
	d.SetDismissText(i18n.T("productsview.form.cancel"))
	d.Resize(dialogSize(v.deps.Window))
	d.Show()
}

// escButton is a dialog button that also takes Esc, so a dialog of
// buttons alone closes by keyboard as the product form does. Its own
// Esc action is the dialog's close (the close button's own tap).
type escButton struct {
	widget.Button
	onEsc func()
}

func newEscButton(label string, icon fyne.Resource, tapped func()) *escButton {
	b := &escButton{}
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	b.ExtendBaseWidget(b)
	b.onEsc = func() { b.OnTapped() }
	return b
}

// TypedKey takes Esc; other keys are the button's (Space taps it).
func (b *escButton) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape && b.onEsc != nil {
		b.onEsc()
		return
	}
	b.Button.TypedKey(k)
}
