package reports

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

	"cashier/app/report"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

// Export formats.
const (
	CSV  = "csv"
	XLSX = "xlsx"
)

// exportable is what the tab shown exports: its table (the details: every
// order the filters select, read a page at a time as it is written) and
// a file name saying the period; ok is false while nothing is shown.
func (v *View) exportable() (get func(ctx context.Context) (report.Table, error), name string, ok bool) {
	switch v.current() {
	case 0:
		t := v.Summary
		if !t.loaded {
			return nil, "", false
		}
		tbl := t.Grid.Report()
		return func(context.Context) (report.Table, error) { return tbl, nil }, i18n.M(tbl.Title) + "-" + summaryStamp(t), true
	case 1:
		t := v.Details
		if !t.loaded {
			return nil, "", false
		}
		d, f := v.deps, t.applied
		name := i18n.M(report.DetailsPageTable(report.DetailPage{}, nil).Title)
		if !f.From.IsZero() {
			name += "-" + f.From.In(v.zone()).Format("2006-01-02")
		}
		return func(ctx context.Context) (report.Table, error) { return d.Reports.DetailsTable(ctx, d.Staff, f) }, name, true
	case 2:
		t := v.Bills
		if !t.loaded {
			return nil, "", false
		}
		tbl := t.Grid.Report()
		return func(context.Context) (report.Table, error) { return tbl, nil }, i18n.M(tbl.Title) + "-" + t.stamp(), true
	}
	return nil, "", false
}

func summaryStamp(t *SummaryTab) string {
	f, loc := t.Shown.Filter, t.v.zone()
	switch {
	case f.ShiftID != 0:
		return "shift" + strconv.FormatInt(f.ShiftID, 10)
	case !f.Day.IsZero():
		return f.Day.String()
	}
	return f.From.In(loc).Format("20060102") + "-" + f.To.In(loc).Add(-1).Format("20060102")
}

// export asks where to save the tab shown as format, then writes it.
func (v *View) export(format string) {
	if v.deps.Exporter == nil {
		return
	}
	_, name, ok := v.exportable()
	if !ok {
		v.say(i18n.T("reports.nothing_to_export"))
		return
	}
	choose := v.deps.ChooseSave
	if choose == nil {
		choose = v.saveDialog
	}
	choose(safeName(name)+"."+format, func(path string) { v.ExportTo(format, path) })
}

// ExportTo writes the tab shown to path as format ("csv" or "xlsx"), off
// the UI goroutine, and says where it went.
func (v *View) ExportTo(format, path string) {
	get, _, ok := v.exportable()
	if !ok || v.deps.Exporter == nil {
		v.say(i18n.T("reports.nothing_to_export"))
		return
	}
	if filepath.Ext(path) == "" {
		path += "." + format
	}
	ex := v.deps.Exporter
	v.say(i18n.T("reports.exporting"))
	var err error
	async.Run(func() {
		ctx := context.Background()
		var t report.Table
		if t, err = get(ctx); err == nil {
			err = ex.Export(ctx, t, format, path)
		}
	}, func() {
		if err != nil {
			v.say(i18n.T("reports.err.export", "Err", i18n.Err(err)))
			return
		}
		v.say(i18n.T("reports.saved", "Path", path))
	})
}

// safeName keeps a file name's characters a file system accepts.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(`\/:*?"<>|`, r) {
			return '-'
		}
		return r
	}, s)
}

func (v *View) saveDialog(name string, then func(string)) {
	w := v.deps.Window
	if w == nil {
		return
	}
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil {
			v.say(i18n.T("reports.err.export", "Err", i18n.Err(err)))
			return
		}
		if wc == nil {
			return // cancelled
		}
		path := wc.URI().Path()
		wc.Close() // the exporter writes the file whole under this name, or leaves it
		then(path)
	}, w)
	d.SetFileName(name)
	d.SetTitleText(i18n.T("reports.save_title"))
	d.SetConfirmText(i18n.T("reports.save"))
	d.SetDismissText(i18n.T("reports.cancel"))
	if s := w.Canvas().Size(); s.Width > 0 {
		d.Resize(fyne.NewSize(s.Width*0.8, s.Height*0.8))
	}
	d.Show()
}
