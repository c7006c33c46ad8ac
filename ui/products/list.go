package products

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"cashier/app/catalog"
	"cashier/ui/i18n"
)

// The rows shown are the filter's list, read a page at a time, or the
// search's hits for what is typed; the newest read always wins.

// loadList reads the filter's ids (a million are 8 MB, read off the UI
// goroutine while the count says so) and the first page of rows.
func (v *View) loadList(keep int64) {
	v.listGen++
	gen, store, f, size := v.listGen, v.storeID, v.filter, v.deps.PageSize
	v.loading = true
	v.showCount()
	var ids []int64
	var first []catalog.Record
	var err error
	v.run(func() {
		ctx := context.Background()
		if ids, err = v.deps.Catalog.IDs(ctx, store, f); err == nil && len(ids) > 0 {
			first, err = v.deps.Catalog.Products(ctx, store, ids[:min(size, len(ids))])
		}
	}, func() {
		if gen != v.listGen {
			return // another filter was chosen meanwhile
		}
		v.loading = false
		if err != nil {
			v.showCount()
			v.Status.SetText(i18n.T("productsview.err.load", "Err", i18n.Err(err)))
			return
		}
		p := newPages(ids, size, v.deps.MaxPages)
		if len(ids) > 0 {
			p.Put(0, first)
		}
		v.pages = p
		if v.query == "" {
			v.rowsChanged(keep)
		}
	})
}

// typed searches what is in the search box as the person types: each
// keystroke's search runs off the UI goroutine, and only the newest
// keystroke's result is shown, whatever order they finish in.
func (v *View) typed(text string) {
	q := strings.TrimSpace(text)
	if q == v.query {
		return
	}
	v.query = q
	v.toTop = true
	if q == "" {
		v.searchN++ // a search still running is not shown
		if v.cancel != nil {
			v.cancel()
			v.cancel = nil
		}
		v.found = nil
		v.rowsChanged(v.currentID())
		return
	}
	if v.storeID == 0 {
		return // the first read searches
	}
	v.runSearch(v.currentID())
}

func (v *View) runSearch(keep int64) {
	v.searchN++
	if v.cancel != nil {
		v.cancel() // the older keystroke's search is not wanted
	}
	ctx, cancel := context.WithCancel(context.Background())
	v.cancel = cancel
	n, store, q, f := v.searchN, v.storeID, v.query, v.filter
	var found []catalog.Found
	var err error
	v.run(func() { found, err = v.deps.Catalog.Search(ctx, store, q, f) }, func() {
		cancel()
		if n != v.searchN {
			return // a newer keystroke's result is (or will be) shown
		}
		v.cancel = nil
		if err != nil {
			v.Status.SetText(i18n.T("productsview.err.search", "Err", i18n.Err(err)))
			return
		}
		v.found = found
		v.rowsChanged(keep)
	})
}

// toTable moves the keyboard from the search to the list, on its first row.
func (v *View) toTable() {
	if v.Rows() == 0 {
		return
	}
	if v.current == nil {
		v.Table.Select(widget.TableCellID{Row: 0, Col: 0})
	}
	v.focus(v.Table)
}

// Rows is the number of rows the table shows.
func (v *View) Rows() int {
	if v.query != "" {
		return len(v.found)
	}
	if v.pages == nil {
		return 0
	}
	return v.pages.Len()
}

// row is row i when it has been read; a row of the list not read yet has
// its page asked for.
func (v *View) row(i int) (catalog.Record, bool) {
	if v.query != "" {
		if i >= 0 && i < len(v.found) {
			return v.found[i].Record, true
		}
		return catalog.Record{}, false
	}
	if v.pages == nil {
		return catalog.Record{}, false
	}
	return v.pages.Row(i)
}

func (v *View) updateCell(id widget.TableCellID, o fyne.CanvasObject) {
	l := o.(*widget.Label)
	l.Alignment = fyne.TextAlignLeading
	if columns[id.Col].right {
		l.Alignment = fyne.TextAlignTrailing
	}
	v.updating = true
	r, ok := v.row(id.Row)
	if !ok && v.query == "" {
		v.readPages()
		r, ok = v.row(id.Row) // read already when the runner is synchronous
	}
	v.updating = false
	switch {
	case ok:
		l.SetText(Cell(r, id.Col))
	case id.Col == colName:
		l.SetText("…")
	default:
		l.SetText("")
	}
}

// readPages reads the newest page asked for, one at a time.
func (v *View) readPages() {
	p := v.pages
	if p == nil {
		return
	}
	n, ids, ok := p.Next()
	if !ok {
		return
	}
	store := v.storeID
	var recs []catalog.Record
	var err error
	v.run(func() { recs, err = v.deps.Catalog.Products(context.Background(), store, ids) }, func() {
		if p != v.pages {
			return // the list was read again meanwhile
		}
		if err != nil {
			p.Failed(n)
			v.Status.SetText(i18n.T("productsview.err.load", "Err", i18n.Err(err)))
			return
		}
		p.Put(n, recs)
		if !v.updating {
			v.Table.Refresh()
		}
		if v.wantSel >= 0 {
			v.selectRow(v.wantSel)
		}
		v.readPages()
	})
}

// Cell is what the table shows of r in column col.
func Cell(r catalog.Record, col int) string {
	switch col {
	case 0:
		if len(r.Barcodes) > 0 {
			return r.Barcodes[0]
		}
		return ""
	case 1:
		return r.Name
	case 2:
		return r.Price.Display()
	case 3:
		return r.Unit
	case 4:
		return r.Category
	case 5:
		return catalog.FormatTaxRate(r.TaxRate)
	case 6:
		return StateName(r.Active)
	case 7:
		return stockText(r.Stock)
	}
	return ""
}

// Text is the table's text of a row and column (reading its page when
// needed), as the cell shows it.
func (v *View) Text(row, col int) string {
	r, ok := v.row(row)
	if !ok && v.query == "" {
		v.updating = true // the caller shows the row: the table is not redrawn for it
		v.readPages()
		v.updating = false
		r, ok = v.row(row)
	}
	if !ok {
		return ""
	}
	return Cell(r, col)
}

// rowsChanged shows new rows: the selection follows product keep when it
// is among them, else it is cleared.
func (v *View) rowsChanged(keep int64) {
	v.wantSel = -1
	v.Table.UnselectAll()
	if v.toTop {
		v.toTop = false
		v.Table.ScrollToTop()
	}
	v.Table.Refresh()
	v.showCount()
	if keep == 0 {
		v.setCurrent(nil)
		return
	}
	idx := -1
	if v.query != "" {
		for i, f := range v.found {
			if f.ID == keep {
				idx = i
			}
		}
	} else if v.pages != nil {
		idx = v.pages.Index(keep)
	}
	if idx < 0 {
		v.setCurrent(nil)
		return
	}
	v.Table.Select(widget.TableCellID{Row: idx, Col: 0})
}

func (v *View) showCount() {
	switch {
	case v.query != "":
		if len(v.found) >= catalog.MaxResults {
			v.Count.SetText(i18n.T("productsview.found_max", "N", len(v.found)))
		} else {
			v.Count.SetText(i18n.T("productsview.found", "N", len(v.found)))
		}
	case v.loading:
		v.Count.SetText(i18n.T("productsview.loading"))
	case v.pages != nil:
		v.Count.SetText(i18n.T("productsview.count", "N", Thousands(v.pages.Len())))
	default:
		v.Count.SetText("")
	}
}

// selectRow makes row i's product the selected one; a row of the list not
// read yet is selected once its page arrives.
func (v *View) selectRow(i int) {
	r, ok := v.row(i)
	if !ok {
		v.setCurrent(nil)
		v.wantSel = i
		if v.query == "" {
			v.readPages()
		}
		return
	}
	v.wantSel = -1
	v.setCurrent(&r)
}
