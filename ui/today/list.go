package today

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/ui/i18n"
	shiftui "cashier/ui/shift"
	"cashier/ui/transactions"
)

// rowList is the list of orders, taking the view's keys while it has the
// focus (a plain List would keep ↑/↓ to itself and ignore Enter).
type rowList struct {
	widget.List
	v *View
}

// widths of the list's columns but the last (payment methods), which
// takes the rest: time, 尾号, amount, status. They fit the longest text of
// each at the theme's size in both languages ("Part refunded" is cut
// with an ellipsis).
var widths = []float32{78, 72, 92, 80}

func newRowList(v *View) *rowList {
	l := &rowList{v: v}
	l.Length = func() int { return len(v.Rows) }
	l.CreateItem = func() fyne.CanvasObject {
		cells := make([]fyne.CanvasObject, len(widths)+1)
		for i := range cells {
			c := widget.NewLabel("")
			c.Truncation = fyne.TextTruncateEllipsis
			cells[i] = c
		}
		return container.New(columns(widths), cells...)
	}
	l.UpdateItem = func(i widget.ListItemID, o fyne.CanvasObject) {
		if i >= len(v.Rows) {
			return
		}
		for c, text := range v.cells(v.Rows[i]) {
			o.(*fyne.Container).Objects[c].(*widget.Label).SetText(text)
		}
	}
	l.OnSelected = func(i widget.ListItemID) {
		if i < len(v.Rows) && v.Rows[i].No != v.chosen {
			v.open(v.Rows[i].No)
		}
	}
	l.ExtendBaseWidget(l)
	return l
}

// TypedKey gives the view its keys first.
func (l *rowList) TypedKey(k *fyne.KeyEvent) {
	if !l.v.key(k.Name) {
		l.List.TypedKey(k)
	}
}

// listHeader names the columns.
func listHeader() fyne.CanvasObject {
	keys := []string{i18n.Key("today.col.time"), i18n.Key("today.col.short_no"), i18n.Key("today.col.amount"),
		i18n.Key("today.col.status"), i18n.Key("today.col.methods")}
	cells := make([]fyne.CanvasObject, len(keys))
	for i, k := range keys {
		l := widget.NewLabelWithStyle(i18n.T(k), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		l.Truncation = fyne.TextTruncateEllipsis
		cells[i] = l
	}
	return container.New(columns(widths), cells...)
}

// cells are a row's texts, column by column.
func (v *View) cells(r Row) []string {
	status := StatusName(r.Status)
	if r.Kind == app.OrderDeposit {
		status = i18n.T("today.deposit", "Status", status)
	}
	names := make([]string, 0, len(r.Methods))
	for _, m := range r.Methods {
		names = append(names, shiftui.MethodName(m))
	}
	return []string{v.clock(r.At), app.ShortNo(r.No), shiftui.Yuan(r.Amount), status,
		strings.Join(names, i18n.T("today.method_sep"))}
}

// StatusName names an order's status in the words of the store's
// transactions.
func StatusName(s app.OrderStatus) string { return transactions.StatusName(s) }

// clock is a time of today in the store's zone.
func (v *View) clock(t time.Time) string {
	return t.In(v.zone()).Format("15:04:05")
}

func (v *View) zone() *time.Location {
	if v.loc != nil {
		return v.loc
	}
	return time.Local
}

// columns lays cells out side by side: fixed widths, the last one takes
// what is left.
type columns []float32

func (c columns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	x := float32(0)
	for i, o := range objs {
		w := size.Width - x
		if i < len(c) {
			w = c[i]
		}
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(max(w, 0), size.Height))
		x += w
	}
}

func (c columns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for i, o := range objs {
		m := o.MinSize()
		if i < len(c) {
			w += c[i]
		} else {
			w += m.Width
		}
		h = max(h, m.Height)
	}
	return fyne.NewSize(w, h)
}
