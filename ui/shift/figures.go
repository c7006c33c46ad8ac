package shift

import (
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"cashier/app/summary"
	"cashier/ui/i18n"
)

// Figures is a shift's takings per payment method and in total:
// transactions, settlement, refunds settled and received (received =
// settlement − refunds settled, so each row adds up on screen).
type Figures struct {
	cells   map[summary.Method][]*widget.Label // by method; "" is the total
	content fyne.CanvasObject
}

// figureRows are the grid's rows: every method, then the total.
var figureRows = append(append([]summary.Method{}, summary.Methods...), "")

// NewFigures builds an empty grid.
func NewFigures() *Figures {
	f := &Figures{cells: map[summary.Method][]*widget.Label{}}
	grid := container.NewGridWithColumns(5)
	for _, h := range []string{i18n.T("shiftview.fig.method"), i18n.T("shiftview.fig.count"), i18n.T("shiftview.fig.settlement"),
		i18n.T("shiftview.fig.refunds"), i18n.T("shiftview.fig.received")} {
		grid.Add(widget.NewLabelWithStyle(h, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	}
	for _, m := range figureRows {
		name := i18n.T("shiftview.fig.total")
		if m != "" {
			name = MethodName(m)
		}
		style := fyne.TextStyle{Bold: m == ""}
		grid.Add(widget.NewLabelWithStyle(name, fyne.TextAlignLeading, style))
		row := make([]*widget.Label, 4)
		for i := range row {
			row[i] = widget.NewLabelWithStyle("", fyne.TextAlignTrailing, style)
			grid.Add(row[i])
		}
		f.cells[m] = row
	}
	f.content = grid
	f.Clear()
	return f
}

// Content is the grid.
func (f *Figures) Content() fyne.CanvasObject { return f.content }

// Show fills the grid from a summary.
func (f *Figures) Show(s summary.Summary) {
	for _, m := range figureRows {
		fig := s.Total
		if m != "" {
			fig = s.Method(m)
		}
		row := f.cells[m]
		row[0].SetText(strconv.FormatInt(fig.TxCount, 10))
		row[1].SetText(Yuan(fig.Settlement))
		row[2].SetText(Yuan(fig.RefundSettlement))
		row[3].SetText(Yuan(fig.Received))
	}
}

// Clear empties the grid (no open shift).
func (f *Figures) Clear() {
	for _, row := range f.cells {
		for _, l := range row {
			l.SetText("—")
		}
	}
}

// Received is the received amount shown for m ("" for the total).
func (f *Figures) Received(m summary.Method) string { return f.cells[m][3].Text }

// MethodName names a payment method.
func MethodName(m summary.Method) string { return i18n.M(m.Name()) }
