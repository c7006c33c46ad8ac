package reconcile

import (
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"cashier/app/reconcile"
	"cashier/ui/i18n"
)

// The columns, widest first where it matters: a column cut short still
// shows its first words, and the chosen line is in full under the list.
var runColumns = []struct {
	key   string
	width float32
}{
	{i18n.Key("reconview.col.day"), 126},
	{i18n.Key("reconview.col.channel"), 96},
	{i18n.Key("reconview.col.status"), 170},
	{i18n.Key("reconview.col.when"), 100},
	{i18n.Key("reconview.col.matched"), 76},
	{i18n.Key("reconview.col.open"), 76},
	{i18n.Key("reconview.col.explained"), 82},
	{i18n.Key("reconview.col.settled"), 76},
	{i18n.Key("reconview.col.local_totals"), 220},
	{i18n.Key("reconview.col.bill_totals"), 220},
	{i18n.Key("reconview.col.fee"), 80},
}

var lineColumns = []struct {
	key   string
	width float32
}{
	{i18n.Key("reconview.col.channel"), 110},
	{i18n.Key("reconview.col.kind"), 120},
	{i18n.Key("reconview.col.ref"), 190},
	{i18n.Key("reconview.col.local"), 136},
	{i18n.Key("reconview.col.bill"), 136},
	{i18n.Key("reconview.col.resolution"), 220},
	{i18n.Key("reconview.col.txn"), 200},
	{i18n.Key("reconview.col.record"), 90},
}

func (v *View) newRunsTable() *widget.Table {
	t := widget.NewTable(func() (int, int) { return len(v.runs), len(runColumns) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			l := o.(*widget.Label)
			l.SetText(v.RunCell(id.Row, id.Col))
		})
	header(t, func(col int) string { return runColumns[col].key })
	for i, c := range runColumns {
		t.SetColumnWidth(i, c.width)
	}
	t.OnSelected = func(id widget.TableCellID) {
		t.UnselectAll() // the marker shows the day chosen; a row can be picked again
		if id.Row >= 0 && id.Row < len(v.runs) {
			v.pickRun(v.runs[id.Row].Run)
		}
		v.refocus()
	}
	return t
}

func (v *View) newLinesTable() *widget.Table {
	t := widget.NewTable(func() (int, int) { return len(v.shown), len(lineColumns) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			l := o.(*widget.Label)
			l.SetText(v.Cell(id.Row, id.Col))
			bold := id.Row == v.sel
			if l.TextStyle.Bold != bold {
				l.TextStyle.Bold = bold
				l.Refresh()
			}
		})
	header(t, func(col int) string { return lineColumns[col].key })
	for i, c := range lineColumns {
		t.SetColumnWidth(i, c.width)
	}
	t.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(v.shown) {
			v.choose(id.Row)
		}
		v.refocus()
	}
	return t
}

func header(t *widget.Table, key func(col int) string) {
	t.ShowHeaderRow = true
	t.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 {
			o.(*widget.Label).SetText(i18n.T(key(id.Col)))
		}
	}
}

func (v *View) choose(i int) {
	v.sel = i
	v.Lines.Refresh()
	v.showDetail()
	v.updateActions()
}

func (v *View) move(n int) {
	if len(v.shown) == 0 {
		return
	}
	i := min(max(v.sel+n, 0), len(v.shown)-1)
	v.Lines.UnselectAll() // a row tapped earlier is not the chosen one any more
	v.choose(i)
	v.Lines.ScrollTo(widget.TableCellID{Row: i, Col: 0})
}

// Selected is the chosen line.
func (v *View) Selected() (reconcile.Difference, bool) {
	if v.sel < 0 || v.sel >= len(v.shown) {
		return reconcile.Difference{}, false
	}
	return v.shown[v.sel], true
}

func (v *View) selectedID() int64 {
	if d, ok := v.Selected(); ok {
		return d.ID
	}
	return 0
}

// Shown are the lines listed, in order.
func (v *View) Shown() []reconcile.Difference { return v.shown }

func (v *View) updateActions() {
	d, ok := v.Selected()
	if v.busy || !ok || d.Resolved() {
		v.Settle.Disable()
		v.Explain.Disable()
		return
	}
	v.Settle.Enable()
	v.Explain.Enable()
}

func (v *View) showDetail() {
	var lines []string
	if d, ok := v.Selected(); ok {
		lines = strings.Split(v.detail(d), "\n")
	}
	for i, l := range v.Detail {
		if i < len(lines) {
			l.SetText(lines[i])
		} else {
			l.SetText("")
		}
	}
}

// DetailText is the chosen line in full, as shown under the lines.
func (v *View) DetailText() string {
	var out []string
	for _, l := range v.Detail {
		out = append(out, l.Text)
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n")
}

// detail is a line in full: both numbers, both sides, when, how resolved.
func (v *View) detail(d reconcile.Difference) string {
	local := localSide(d)
	if d.LocalStored != "" {
		local += " (" + d.LocalStored + ")"
	}
	bill := billSide(d)
	if d.Seen.Returned != 0 {
		bill += " " + i18n.T("reconview.returned", "Amount", d.Seen.Returned)
	}
	when := ""
	if !d.At.IsZero() {
		when = d.At.In(v.deps.Zone).Format("2006-01-02 15:04:05")
	}
	return i18n.T("reconview.detail", "Kind", kindName(d.Kind), "Record", recordName(d.Record),
		"Channel", channelName(d.Channel), "Ref", orDash(d.Ref), "Order", orDash(d.OrderNo),
		"Txn", orDash(d.TransactionID), "Local", local, "Bill", bill, "At", orDash(when),
		"Resolution", resolutionText(d))
}

// RunCell is the text of one cell of the kept runs.
func (v *View) RunCell(row, col int) string {
	if row < 0 || row >= len(v.runs) {
		return ""
	}
	r := v.runs[row]
	switch col {
	case 0:
		mark := "  "
		if r.Day == v.day && (v.channel == "" || r.Channel == v.channel) {
			mark = "▶ "
		}
		return mark + r.Day.String()
	case 1:
		return channelName(r.Channel)
	case 2:
		return statusName(r.Run)
	case 3:
		at := r.ReconciledAt
		if at.IsZero() {
			at = r.AttemptedAt
		}
		if at.IsZero() {
			return ""
		}
		return at.In(v.deps.Zone).Format("01-02 15:04")
	case 4:
		return itoa(r.Matched)
	case 5:
		return itoa(r.Open)
	case 6:
		return itoa(r.explained)
	case 7:
		return itoa(r.settled)
	case 8:
		return totalsText(r.Local)
	case 9:
		return totalsText(r.Bill)
	case 10:
		return r.Bill.Fee.Display()
	}
	return ""
}

// Cell is the text of one cell of the lines.
func (v *View) Cell(row, col int) string {
	if row < 0 || row >= len(v.shown) {
		return ""
	}
	d := v.shown[row]
	switch col {
	case 0:
		mark := "  "
		if row == v.sel {
			mark = "▶ "
		}
		return mark + channelName(d.Channel)
	case 1:
		return kindName(d.Kind)
	case 2:
		return d.Ref
	case 3:
		return localSide(d)
	case 4:
		return billSide(d)
	case 5:
		return resolutionText(d)
	case 6:
		return d.TransactionID
	case 7:
		return recordName(d.Record)
	}
	return ""
}

func itoa(n int) string { return strconv.Itoa(n) }
