package reports

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app/report"
	"cashier/ui/i18n"
	shiftui "cashier/ui/shift"
)

// Grid shows a report.Table in a virtualised table: amounts as the other
// screens show them (￥, thousands grouped) and counts right-aligned, the
// total in bold, every other cell as the export writes it. Transposed,
// the table's rows become columns: a summary reads down the figures with
// the methods (or the groups) across, which fits a narrow window.
//
// As the details list it takes ↑/↓ (a row at a time), Enter and a
// double click (OnOpen) and gives the workspace its other keys.
type Grid struct {
	widget.Table
	v          *View
	t          report.Table
	transposed bool
	total      bool // the table's last row is its total
	selected   int  // the table row chosen; -1 none
	// OnOpen is Enter or a double click on a row; OnChoose a row chosen.
	OnOpen   func(row int)
	OnChoose func(row int)
}

func newGrid(v *View, transposed bool) *Grid {
	g := &Grid{v: v, transposed: transposed, selected: -1}
	g.Length = func() (int, int) {
		if g.transposed {
			return max(len(g.t.Columns)-1, 0), len(g.t.Rows)
		}
		return len(g.t.Rows), len(g.t.Columns)
	}
	g.CreateCell = func() fyne.CanvasObject { return newCell(false) }
	g.UpdateCell = func(id widget.TableCellID, o fyne.CanvasObject) {
		row, col := g.at(id)
		align := fyne.TextAlignLeading
		if k := g.t.Columns[col].Kind; k == report.ColAmount || k == report.ColCount {
			align = fyne.TextAlignTrailing
		}
		var bg color.Color = color.Transparent
		if row == g.selected {
			bg = theme.Color(theme.ColorNameSelection)
		}
		setCell(o, g.Text(id.Row, id.Col), align, g.total && row == len(g.t.Rows)-1, bg)
	}
	g.ShowHeaderRow = true
	g.ShowHeaderColumn = transposed
	g.CreateHeader = func() fyne.CanvasObject { return newCell(true) }
	g.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		align, text := fyne.TextAlignLeading, ""
		switch {
		case id.Row < 0 && id.Col >= 0:
			text = g.Header(id.Col)
			if !g.transposed {
				if k := g.t.Columns[id.Col].Kind; k == report.ColAmount || k == report.ColCount {
					align = fyne.TextAlignTrailing
				}
			}
		case id.Col < 0 && id.Row >= 0:
			text = g.RowHeader(id.Row)
		}
		setCell(o, text, align, true, color.Transparent)
	}
	g.OnSelected = func(id widget.TableCellID) {
		row, _ := g.at(id)
		g.choose(row)
	}
	g.ExtendBaseWidget(g)
	return g
}

// cellPad is the space around a cell's text: rows half a label's height,
// so a day's summary fits a 768-line screen beside its chart.
const cellPad = 1

// newCell is a compact cell: a text over a background that marks the
// row chosen.
func newCell(bold bool) fyne.CanvasObject {
	t := canvas.NewText("", theme.Color(theme.ColorNameForeground))
	t.TextStyle.Bold = bold
	pad := theme.InnerPadding()
	return container.NewStack(canvas.NewRectangle(color.Transparent),
		container.New(layout.NewCustomPaddedLayout(cellPad, cellPad, pad, pad), t))
}

func setCell(o fyne.CanvasObject, text string, align fyne.TextAlign, bold bool, bg color.Color) {
	box := o.(*fyne.Container)
	r := box.Objects[0].(*canvas.Rectangle)
	t := box.Objects[1].(*fyne.Container).Objects[0].(*canvas.Text)
	if r.FillColor != bg {
		r.FillColor = bg
		r.Refresh()
	}
	t.Text, t.Alignment, t.TextStyle.Bold = text, align, bold
	t.Color = theme.Color(theme.ColorNameForeground)
	t.Refresh()
}

// at is the table's row and column under a cell of the grid.
func (g *Grid) at(id widget.TableCellID) (row, col int) {
	if g.transposed {
		return id.Col, id.Row + 1
	}
	return id.Row, id.Col
}

// SetTable shows t; total says its last row is its total.
func (g *Grid) SetTable(t report.Table, total bool) {
	g.t, g.total, g.selected = t, total, -1
	g.UnselectAll()
	g.widths()
	g.Refresh()
	g.ScrollToTop()
	g.ScrollToLeading()
}

// Report is the table shown.
func (g *Grid) Report() report.Table { return g.t }

// Cells is the grid's size in cells as the person sees it, headers apart.
func (g *Grid) Cells() (rows, cols int) { return g.Length() }

// Text is a cell as the person sees it.
func (g *Grid) Text(r, c int) string {
	row, col := g.at(widget.TableCellID{Row: r, Col: c})
	if row < 0 || row >= len(g.t.Rows) || col >= len(g.t.Columns) || col >= len(g.t.Rows[row]) {
		return ""
	}
	cell := g.t.Rows[row][col]
	if g.t.Columns[col].Kind == report.ColAmount {
		return shiftui.Yuan(cell.Money)
	}
	return g.t.Format(col, cell, i18n.M)
}

// Header is a column's title: the table's column, or (transposed) the
// row's first cell — the method, the store, the person, the day.
func (g *Grid) Header(c int) string {
	if g.transposed {
		if c < 0 || c >= len(g.t.Rows) || len(g.t.Rows[c]) == 0 {
			return ""
		}
		return g.t.Format(0, g.t.Rows[c][0], i18n.M)
	}
	if c < 0 || c >= len(g.t.Columns) {
		return ""
	}
	return i18n.M(g.t.Columns[c].Title)
}

// RowHeader is a row's title when transposed: the figure's name.
func (g *Grid) RowHeader(r int) string {
	if !g.transposed || r+1 >= len(g.t.Columns) {
		return ""
	}
	return i18n.M(g.t.Columns[r+1].Title)
}

// widths fit the columns to their titles and contents (a page at most).
func (g *Grid) widths() {
	size := theme.TextSize()
	pad := 2*theme.InnerPadding() + 6
	measure := func(s string, bold bool) float32 {
		return fyne.MeasureText(s, size, fyne.TextStyle{Bold: bold}).Width + pad
	}
	sample := map[report.ColumnKind]string{
		report.ColAmount: "￥999,999.99", report.ColCount: "99999", report.ColDateTime: "2006-01-02 15:04:05",
		report.ColDate: "2006-01-02", report.ColMonth: "2006-01",
	}
	const widest = 240
	rows, cols := g.Length()
	if g.transposed {
		var w float32
		for r := 0; r < rows; r++ {
			w = max(w, measure(g.RowHeader(r), true))
		}
		g.SetColumnWidth(-1, min(w, widest)) // the header column
	}
	for c := 0; c < cols; c++ {
		w := measure(g.Header(c), true)
		if !g.transposed {
			if s, ok := sample[g.t.Columns[c].Kind]; ok {
				w = max(w, measure(s, false))
			}
		}
		for r := 0; r < rows; r++ {
			w = max(w, measure(g.Text(r, c), true))
		}
		g.SetColumnWidth(c, min(w, widest))
	}
}

// Chosen is the table row chosen; -1 none.
func (g *Grid) Chosen() int { return g.selected }

// choose marks a table row as chosen.
func (g *Grid) choose(row int) {
	if row < 0 || row >= len(g.t.Rows) {
		return
	}
	g.selected = row
	g.Table.Refresh()
	if g.OnChoose != nil {
		g.OnChoose(row)
	}
}

// Step chooses the row by rows below (above when negative) the chosen
// one, the first when none is.
func (g *Grid) Step(by int) {
	n := len(g.t.Rows)
	if n == 0 || g.transposed {
		return
	}
	r := g.selected + by
	if g.selected < 0 {
		r = 0
	}
	r = max(0, min(r, n-1))
	g.Select(widget.TableCellID{Row: r, Col: 0})
}

// TypedKey: ↑/↓ choose a row, Enter opens it; the workspace's keys go to
// it; the rest are the table's.
func (g *Grid) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyUp:
		g.Step(-1)
	case fyne.KeyDown:
		g.Step(1)
	case fyne.KeyReturn, fyne.KeyEnter:
		g.open()
	default:
		if g.v == nil || !g.v.key(k.Name) {
			g.Table.TypedKey(k)
		}
	}
}

// TypedShortcut gives the workspace Ctrl+Tab and Ctrl+P.
func (g *Grid) TypedShortcut(s fyne.Shortcut) {
	if g.v != nil {
		g.v.shortcut(s)
	}
}

// DoubleTapped chooses the row under the pointer and opens it.
func (g *Grid) DoubleTapped(e *fyne.PointEvent) {
	g.Table.Tapped(e)
	g.open()
}

func (g *Grid) open() {
	if g.OnOpen == nil {
		return
	}
	if g.selected < 0 {
		g.Step(0)
	}
	if g.selected >= 0 {
		g.OnOpen(g.selected)
	}
}
