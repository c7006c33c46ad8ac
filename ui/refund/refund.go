// Package refund is the counter's refund screen (退款): the receipt's
// barcode scanned (or the order number, or its last six digits, typed)
// finds the order; the person chooses lines and quantities, an amount, or
// everything left, sees what each tender pays back, confirms, and follows
// each channel to its end — told truthfully when a channel has not
// finished. A person without the refund permission is offered a manager's
// override. Keyboard only: every button shows its key, Enter goes on, Esc
// goes back. The rules (what is left, who may, which tender pays what) are
// app/sale's.
package refund

import (
	"context"
	"errors"
	"image/color"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/payment"
	"cashier/app/sale"
	"cashier/app/summary"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/scaninput"
	"cashier/ui/transactions"
)

// Refunder is the refund use case (sale.Refunds).
type Refunder interface {
	Find(ctx context.Context, q string) ([]app.Order, error)
	Load(ctx context.Context, orderNo string) (sale.RefundPlan, error)
	Refund(ctx context.Context, ask sale.RefundAsk) (sale.RefundOutcome, error)
	Continue(ctx context.Context, refundNo string, staff app.Staff, onEvent payment.EventFunc) (sale.RefundOutcome, error)
}

// Deps is what the screen needs.
type Deps struct {
	Refunds Refunder
	Staff   app.Staff
	// Canvas takes the keys when no field has the focus (after a tap)
	// and gets the focus moved between fields; may be nil in tests that
	// press keys on fields.
	Canvas   fyne.Canvas
	Detector scaninput.Detector // keyboard-wedge detector; nil: plain fields
	// Scans is the app's one stream of scans; when set, scans come from
	// it only.
	Scans func() (<-chan string, func())
	// Override asks a manager to approve one action, then runs then.
	Override func(perm string, then func())
	// OnClose is Esc on the empty search: the Counter closes the screen it
	// opened (nil: nothing, the workspace stays).
	OnClose func()
}

// state is where the screen stands.
type state int

const (
	stFind    state = iota // the search field, waiting for a scan or a number
	stChoose               // several orders matched: choose one
	stEdit                 // an order: choose what to give back
	stConfirm              // the plan, waiting for Enter
	stRunning              // the refund is going out
	stResult               // each tender's end
)

// mode is how the refund is chosen.
type mode int

const (
	byLines mode = iota
	byAmount
	whole
)

// View is the refund screen.
type View struct {
	deps Deps

	Query      *scaninput.Entry // receipt barcode or order number
	Qty        *scaninput.Entry // the chosen line's quantity to refund
	Amount     *scaninput.Entry // the amount, by amount
	Reason     *scaninput.Entry
	Status     *widget.Label
	Header     *widget.Label
	Candidates *widget.List
	Lines      *widget.Table
	Plan       *widget.Label // what each tender pays back, or how it ended
	Total      *canvas.Text
	Banner     *canvas.Text
	Buttons    map[string]*widget.Button

	st       state
	mode     mode
	found    []app.Order
	foundSel int
	loaded   sale.RefundPlan // the order as last read
	takes    map[int]int64   // line number → quantity to refund
	sel      int             // the chosen line (index into loaded.Lines)
	plan     sale.RefundPlan // the refund as planned now
	planErr  error
	outcome  sale.RefundOutcome
	cancel   context.CancelFunc // stops waiting for the channels
	body     *fyne.Container
	find     fyne.CanvasObject
	choose   fyne.CanvasObject
	order    fyne.CanvasObject
	qtyRow   *fyne.Container
	amtRow   *fyne.Container
	stops    []func()
}

// keys are the screen's keys, shown on their buttons.
type key struct {
	id, label string
	name      fyne.KeyName
	icon      func() fyne.Resource // read when the button is made: the theme needs the app, which a command has not
}

var keys = []key{
	{"whole", i18n.Key("refundview.key.whole"), fyne.KeyF2, theme.ContentUndoIcon},
	{"amount", i18n.Key("refundview.key.amount"), fyne.KeyF3, theme.ContentAddIcon},
	{"lines", i18n.Key("refundview.key.lines"), fyne.KeyF4, theme.ListIcon},
	{"continue", i18n.Key("refundview.key.continue"), fyne.KeyF5, theme.MediaReplayIcon},
	{"confirm", i18n.Key("refundview.key.confirm"), fyne.KeyReturn, theme.ConfirmIcon},
	{"back", i18n.Key("refundview.key.back"), fyne.KeyEscape, theme.NavigateBackIcon},
}

// New builds the screen, waiting for a receipt.
func New(d Deps) *View {
	v := &View{deps: d, Buttons: map[string]*widget.Button{}, takes: map[int]int64{}}
	v.Query = scaninput.NewEntry(d.Detector, v.scanned)
	v.Query.SetPlaceHolder(i18n.T("refundview.query"))
	v.Qty = scaninput.NewEntry(d.Detector, v.scanned)
	v.Qty.OnChanged = v.qtyTyped
	v.Amount = scaninput.NewEntry(d.Detector, v.scanned)
	v.Amount.SetPlaceHolder(i18n.T("refundview.amount.placeholder"))
	v.Amount.OnChanged = func(string) { v.replan() }
	v.Reason = scaninput.NewEntry(d.Detector, v.scanned)
	v.Reason.SetPlaceHolder(i18n.T("refundview.reason.placeholder"))
	for _, e := range []*scaninput.Entry{v.Query, v.Qty, v.Amount, v.Reason} {
		e.OnSubmitted = func(string) { v.enter() }
		e.OnEscape = v.escape
	}
	if d.Scans != nil { // one stream: the fields' detector must not deliver a scan twice
		for _, e := range []*scaninput.Entry{v.Query, v.Qty, v.Amount, v.Reason} {
			e.OnScan = nil
		}
	}
	v.Status = widget.NewLabel(i18n.T("refundview.ready"))
	v.Status.Wrapping = fyne.TextWrapWord
	v.Header = widget.NewLabel("")
	v.Header.Wrapping = fyne.TextWrapWord
	v.Plan = widget.NewLabel("")
	v.Plan.Wrapping = fyne.TextWrapWord
	v.Total = canvas.NewText("", theme.Color(theme.ColorNamePrimary))
	v.Total.TextSize = 32
	v.Total.TextStyle = fyne.TextStyle{Bold: true}
	v.Total.Alignment = fyne.TextAlignTrailing
	v.Banner = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	v.Banner.TextSize = 26
	v.Banner.TextStyle = fyne.TextStyle{Bold: true}
	v.Banner.Alignment = fyne.TextAlignCenter
	v.Candidates = widget.NewList(func() int { return len(v.found) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(candidateLine(v.found[i])) })
	v.Candidates.OnSelected = func(i widget.ListItemID) { v.foundSel = i }
	v.Lines = v.newTable()
	v.layout()
	v.installKeys()
	v.subscribe()
	v.show(stFind)
	return v
}

// Content is the screen's root object.
func (v *View) Content() fyne.CanvasObject { return v.body }

// Focus is the field that takes the keyboard when the screen opens.
func (v *View) Focus() fyne.Focusable { return v.Query }

// Stop leaves the scan stream and the canvas, and stops waiting for a
// channel (the refund goes on in the background; Recover finishes it).
func (v *View) Stop() {
	if v.cancel != nil {
		v.cancel()
	}
	for _, s := range v.stops {
		s()
	}
	v.stops = nil
}

func (v *View) newTable() *widget.Table {
	t := widget.NewTable(func() (int, int) { return len(v.loaded.Lines), len(columns) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			l := o.(*widget.Label)
			l.SetText(v.cell(id.Row, id.Col))
			l.TextStyle.Bold = id.Row == v.sel && v.mode == byLines
			l.Refresh()
		})
	t.ShowHeaderRow = true
	t.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 {
			o.(*widget.Label).SetText(i18n.T(columns[id.Col].key))
		}
	}
	for i, c := range columns {
		t.SetColumnWidth(i, c.width)
	}
	t.OnSelected = func(id widget.TableCellID) {
		if v.st == stEdit && v.mode == byLines {
			v.selectLine(id.Row)
		}
	}
	return t
}

var columns = []struct {
	key   string
	width float32
}{
	{i18n.Key("refundview.col.name"), 190},
	{i18n.Key("refundview.col.qty"), 56},
	{i18n.Key("refundview.col.refunded"), 56},
	{i18n.Key("refundview.col.take"), 66},
	{i18n.Key("refundview.col.amount"), 90},
}

func (v *View) cell(row, col int) string {
	if row >= len(v.loaded.Lines) {
		return ""
	}
	l := v.loaded.Lines[row]
	switch col {
	case 0:
		mark := "  "
		if row == v.sel && v.mode == byLines && v.st == stEdit {
			mark = "▶ "
		}
		return mark + l.Name
	case 1:
		return strconv.FormatInt(l.Qty, 10)
	case 2:
		return strconv.FormatInt(l.Refunded, 10)
	case 3:
		if t := v.takeOf(row); t > 0 {
			return strconv.FormatInt(t, 10)
		}
		return ""
	case 4:
		if row < len(v.plan.Lines) && v.plan.Lines[row].Take > 0 {
			return v.plan.Lines[row].TakeAmount.Display()
		}
		return l.Amount.Display()
	}
	return ""
}

// takeOf is the quantity of a line this refund gives back, as planned.
func (v *View) takeOf(row int) int64 {
	if v.mode == whole && row < len(v.plan.Lines) {
		return v.plan.Lines[row].Take
	}
	if v.mode != byLines {
		return 0
	}
	return v.takes[v.loaded.Lines[row].LineNo]
}

func (v *View) layout() {
	for _, k := range keys {
		k := k
		b := widget.NewButtonWithIcon(i18n.T(k.label)+"  "+keyLabel(k.name), k.icon(), func() { v.press(k.id) })
		v.Buttons[k.id] = b
	}
	v.Buttons["confirm"].Importance = widget.HighImportance
	v.Buttons["whole"].Importance = widget.WarningImportance
	bar := container.NewGridWithColumns(3)
	for _, k := range keys {
		bar.Add(v.Buttons[k.id])
	}
	hint := widget.NewLabel(i18n.T("refundview.hint"))
	hint.Wrapping = fyne.TextWrapWord
	hint.Importance = widget.LowImportance
	v.find = container.NewVBox(hint)
	v.choose = container.NewBorder(widget.NewLabel(i18n.T("refundview.choose")), nil, nil, nil, v.Candidates)

	v.qtyRow = container.NewBorder(nil, nil, widget.NewLabel(i18n.T("refundview.qty")), nil, v.Qty)
	v.amtRow = container.NewBorder(nil, nil, widget.NewLabel(i18n.T("refundview.amount")), nil, v.Amount)
	left := container.NewBorder(container.NewVBox(v.Header, v.qtyRow, v.amtRow), nil, nil, nil, v.Lines)
	right := container.NewBorder(
		container.NewVBox(v.Banner, v.Total),
		container.NewBorder(nil, nil, widget.NewLabel(i18n.T("refundview.reason")), nil, v.Reason),
		nil, nil,
		container.NewVScroll(v.Plan))
	split := container.NewHSplit(left, right)
	split.Offset = 0.58
	v.order = split

	v.body = container.NewBorder(
		container.NewVBox(container.NewBorder(nil, nil, widget.NewLabel(i18n.T("refundview.title")), nil, v.Query), v.Status),
		bar, nil, nil, container.NewStack(v.find, v.choose, v.order))
}

func keyLabel(k fyne.KeyName) string {
	switch k {
	case fyne.KeyReturn:
		return "Enter"
	case fyne.KeyEscape:
		return "Esc"
	}
	return string(k)
}

// installKeys makes every key work wherever the focus is.
func (v *View) installKeys() {
	m := map[fyne.KeyName]func(){
		fyne.KeyUp:   func() { v.move(-1) },
		fyne.KeyDown: func() { v.move(1) },
	}
	for _, k := range keys {
		if k.name == fyne.KeyReturn || k.name == fyne.KeyEscape {
			continue // the fields' own Enter and Esc
		}
		id := k.id
		m[k.name] = func() { v.press(id) }
	}
	for _, e := range []*scaninput.Entry{v.Query, v.Qty, v.Amount, v.Reason} {
		e.Keys = m
	}
	if v.deps.Canvas != nil && v.deps.Detector != nil {
		// Enter stays the detector's (a scan ends with it): the fields
		// take a person's Enter, and every state puts the focus in one.
		canvasKeys := map[fyne.KeyName]func(){fyne.KeyEscape: v.escape}
		for n, fn := range m {
			canvasKeys[n] = fn
		}
		onScan := v.scanned
		if v.deps.Scans != nil {
			onScan = nil
		}
		v.stops = append(v.stops, scaninput.CanvasKeys(v.deps.Canvas, v.deps.Detector, onScan, canvasKeys, nil))
	}
}

func (v *View) subscribe() {
	if v.deps.Scans == nil {
		return
	}
	ch, cancel := v.deps.Scans()
	done := make(chan struct{})
	v.stops = append(v.stops, cancel, func() {
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
	})
	go func() {
		defer close(done)
		for code := range ch {
			async.Do(func() { v.scanned(code) })
		}
	}()
}

// press is a button or its key.
func (v *View) press(id string) {
	switch id {
	case "whole":
		v.setMode(whole)
	case "amount":
		v.setMode(byAmount)
	case "lines":
		v.setMode(byLines)
	case "continue":
		v.continueUnfinished()
	case "confirm":
		v.enter()
	case "back":
		v.escape()
	}
}

// scanned is a receipt's barcode (or QR) from a scanner.
func (v *View) scanned(code string) {
	if v.st == stRunning {
		v.say(i18n.T("refundview.busy"))
		return
	}
	v.Query.SetText(code)
	v.search(code)
}

// enter is Enter: go on from wherever the screen stands.
func (v *View) enter() {
	switch v.st {
	case stFind, stResult:
		if q := strings.TrimSpace(v.Query.Text); q != "" {
			v.search(q)
		} else if v.st == stResult {
			v.reset()
		}
	case stChoose:
		if v.foundSel >= 0 && v.foundSel < len(v.found) {
			v.open(v.found[v.foundSel].OrderNo)
		}
	case stEdit:
		if q := strings.TrimSpace(v.Query.Text); q != "" && v.focused(v.Query) {
			v.search(q) // another receipt typed over this one
			return
		}
		v.askConfirm()
	case stConfirm:
		v.run()
	}
}

// escape is Esc: one step back.
func (v *View) escape() {
	switch v.st {
	case stRunning:
		if v.cancel != nil {
			v.cancel()
			v.say(i18n.T("refundview.stopped_waiting"))
		}
	case stConfirm:
		v.show(stEdit)
		v.say(i18n.T("refundview.not_confirmed"))
	case stEdit, stChoose, stResult:
		v.reset()
	case stFind:
		if v.Query.Text != "" {
			v.Query.SetText("")
			return
		}
		if v.deps.OnClose != nil {
			v.deps.OnClose()
		}
	}
}

func (v *View) focused(f fyne.Focusable) bool {
	return v.deps.Canvas != nil && v.deps.Canvas.Focused() == f
}

func (v *View) focus(f fyne.Focusable) {
	if v.deps.Canvas != nil {
		v.deps.Canvas.Focus(f)
	}
}

func (v *View) say(s string) { v.Status.SetText(s) }

// reset goes back to waiting for a receipt.
func (v *View) reset() {
	v.found, v.loaded, v.plan, v.planErr, v.outcome = nil, sale.RefundPlan{}, sale.RefundPlan{}, nil, sale.RefundOutcome{}
	v.takes = map[int]int64{}
	v.Query.SetText("")
	v.Amount.SetText("")
	v.Reason.SetText("")
	v.say(i18n.T("refundview.ready"))
	v.show(stFind)
}

// search finds the order a scan or a typed number names.
func (v *View) search(q string) {
	var found []app.Order
	var err error
	r := v.deps.Refunds
	v.say(i18n.T("refundview.finding"))
	async.Run(func() { found, err = r.Find(context.Background(), q) }, func() {
		if err != nil {
			v.say(i18n.Err(err))
			if v.st != stEdit {
				v.show(stFind)
			}
			return
		}
		if len(found) == 1 {
			v.open(found[0].OrderNo)
			return
		}
		v.found, v.foundSel = found, 0
		v.Candidates.Refresh()
		v.Candidates.Select(0)
		v.say(i18n.T("refundview.several", "N", len(found)))
		v.show(stChoose)
	})
}

// open reads an order as a refund sees it.
func (v *View) open(orderNo string) {
	var p sale.RefundPlan
	var err error
	r := v.deps.Refunds
	async.Run(func() { p, err = r.Load(context.Background(), orderNo) }, func() {
		if err != nil {
			v.say(i18n.Err(err))
			return
		}
		v.loaded, v.takes, v.sel, v.outcome = p, map[int]int64{}, 0, sale.RefundOutcome{}
		v.Query.SetText("")
		v.Amount.SetText("")
		v.Reason.SetText("")
		m := byLines
		if len(p.Lines) == 0 {
			m = byAmount
		}
		v.mode = m
		v.header()
		v.show(stEdit)
		v.replan()
		if why := p.CanRefund(); why != nil {
			v.say(i18n.Err(why))
		} else if len(p.Unfinished()) > 0 {
			v.say(i18n.T("refundview.unfinished", "No", p.Unfinished()[0].RefundNo))
		} else {
			v.say(i18n.T("refundview.choose_what"))
		}
	})
}

// header is the order's line at the top: its numbers, time, what was
// paid, refunded and is left.
func (v *View) header() {
	o := v.loaded.Order
	v.Header.SetText(i18n.T("refundview.header", "Short", o.ShortNo(), "No", o.OrderNo,
		"Time", o.CreatedAt.Format("2006-01-02 15:04"), "Status", transactions.StatusName(o.Status),
		"Paid", o.Paid.Display(), "Refunded", o.Refunded.Display(), "Left", v.loaded.Left.Display()))
}

// setMode switches between lines, an amount and everything left.
func (v *View) setMode(m mode) {
	if v.st != stEdit && v.st != stConfirm {
		return
	}
	if m == byLines && len(v.loaded.Lines) == 0 {
		v.say(i18n.T("refundview.no_lines"))
		return
	}
	v.mode = m
	v.show(stEdit)
	v.replan()
	if m == whole {
		v.askConfirm()
	}
}

// move is ↑/↓: the chosen line, or the chosen order of several.
func (v *View) move(d int) {
	switch {
	case v.st == stChoose && len(v.found) > 0:
		v.foundSel = min(max(v.foundSel+d, 0), len(v.found)-1)
		v.Candidates.Select(v.foundSel)
	case v.st == stEdit && v.mode == byLines && len(v.loaded.Lines) > 0:
		v.selectLine(min(max(v.sel+d, 0), len(v.loaded.Lines)-1))
	}
}

func (v *View) selectLine(row int) {
	v.sel = row
	v.Qty.OnChanged = nil
	v.Qty.SetText("")
	v.Qty.OnChanged = v.qtyTyped
	l := v.loaded.Lines[row]
	v.Qty.SetPlaceHolder(i18n.T("refundview.qty.placeholder", "Name", l.Name, "Left", l.Left()))
	v.Lines.Refresh()
	v.Lines.ScrollTo(widget.TableCellID{Row: row})
	v.focus(v.Qty)
}

// qtyTyped reads the quantity field: a number sets the chosen line's
// quantity to refund (at most what is left), + and − step it.
func (v *View) qtyTyped(s string) {
	if v.st != stEdit || v.mode != byLines || v.sel >= len(v.loaded.Lines) {
		return
	}
	l := v.loaded.Lines[v.sel]
	s = strings.TrimSpace(strings.NewReplacer("＋", "+", "－", "-").Replace(s))
	cur := v.takes[l.LineNo]
	next := cur
	switch {
	case s == "":
		return
	case strings.HasSuffix(s, "+"):
		next = cur + 1
	case strings.HasSuffix(s, "-"):
		next = cur - 1
	default:
		n, err := strconv.ParseInt(foldDigits(s), 10, 64)
		if err != nil {
			v.say(i18n.T("refundview.qty.bad"))
			return
		}
		next = n
	}
	if next > l.Left() {
		v.say(i18n.T("refundview.qty.max", "Name", l.Name, "Left", l.Left()))
		next = l.Left()
	}
	next = max(next, 0)
	if next == 0 {
		delete(v.takes, l.LineNo)
	} else {
		v.takes[l.LineNo] = next
	}
	if strings.HasSuffix(s, "+") || strings.HasSuffix(s, "-") {
		v.Qty.OnChanged = nil
		v.Qty.SetText("")
		v.Qty.OnChanged = v.qtyTyped
	}
	v.replan()
}

func foldDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		return r
	}, s)
}

// ask is the refund as chosen now.
func (v *View) ask() (sale.RefundAsk, error) {
	a := sale.RefundAsk{OrderNo: v.loaded.Order.OrderNo, Staff: v.deps.Staff, Reason: strings.TrimSpace(v.Reason.Text)}
	switch v.mode {
	case byLines:
		for _, l := range v.loaded.Lines {
			if q := v.takes[l.LineNo]; q > 0 {
				a.Lines = append(a.Lines, sale.RefundLine{LineNo: l.LineNo, Qty: q})
			}
		}
		if len(a.Lines) == 0 {
			return a, errChooseLines
		}
	case byAmount:
		m, err := app.ParsePositiveMoney(strings.TrimSpace(v.Amount.Text))
		if err != nil {
			return a, err
		}
		a.Amount = m
	}
	return a, nil
}

// errChooseLines: nothing chosen yet (never sent: an empty ask would mean
// everything left).
var errChooseLines = errors.New("choose lines")

// replan works the refund out again as chosen, against the order as read
// (the write checks it once more against what is stored).
func (v *View) replan() {
	if v.loaded.Order.OrderNo == "" {
		return
	}
	a, err := v.ask()
	if err == nil {
		v.plan, err = sale.PlanRefund(v.loaded.Order, v.loaded.History(), a)
	} else {
		v.plan = v.loaded
	}
	v.planErr = err
	v.Lines.Refresh()
	v.showPlan()
}

// showPlan writes what each tender pays back.
func (v *View) showPlan() {
	var b strings.Builder
	for _, pt := range v.plan.Parts {
		if pt.Take == 0 && v.st != stEdit {
			continue
		}
		b.WriteString(i18n.T("refundview.plan.part", "Method", methodName(pt.Tender.Kind, pt.Tender.Wallet),
			"Amount", pt.Take.Display(), "Left", pt.Left().Display()))
		b.WriteByte('\n')
	}
	if c := v.plan.Cash(); c > 0 && v.planErr == nil {
		b.WriteString(i18n.T("refundview.plan.drawer", "Amount", c.Display()))
		b.WriteByte('\n')
	}
	switch {
	case v.planErr == nil:
		v.Total.Text = i18n.T("refundview.total", "Amount", v.plan.Amount.Display())
	case errors.Is(v.planErr, errChooseLines):
		v.Total.Text = ""
		b.WriteString(i18n.T("refundview.choose_lines"))
	default:
		v.Total.Text = ""
		b.WriteString(i18n.Err(v.planErr))
	}
	v.Total.Refresh()
	v.Plan.SetText(strings.TrimSpace(b.String()))
}

func methodName(k app.TenderKind, w app.Wallet) string { return i18n.M(summary.MethodOf(k, w).Name()) }

// askConfirm shows the plan for Enter.
func (v *View) askConfirm() {
	if v.planErr != nil {
		if errors.Is(v.planErr, errChooseLines) {
			v.say(i18n.T("refundview.choose_lines"))
		} else {
			v.say(i18n.Err(v.planErr))
		}
		return
	}
	v.show(stConfirm)
	v.say(i18n.T("refundview.confirm", "Amount", v.plan.Amount.Display()))
}

// run makes the refund.
func (v *View) run() {
	a, err := v.ask()
	if err != nil {
		v.show(stEdit)
		return
	}
	a.OnEvent = v.onEvent
	v.start(func(ctx context.Context) (sale.RefundOutcome, error) { return v.deps.Refunds.Refund(ctx, a) }, v.run)
}

// continueUnfinished takes on the first earlier refund a channel has not
// finished.
func (v *View) continueUnfinished() {
	if v.st != stEdit && v.st != stConfirm && v.st != stResult {
		return
	}
	var no string
	switch {
	case v.outcome.Refund.RefundNo != "" && !v.outcome.Done():
		no = v.outcome.Refund.RefundNo
	case len(v.loaded.Unfinished()) > 0:
		no = v.loaded.Unfinished()[0].RefundNo
	default:
		v.say(i18n.T("refundview.nothing_unfinished"))
		return
	}
	staff := v.deps.Staff
	v.start(func(ctx context.Context) (sale.RefundOutcome, error) {
		return v.deps.Refunds.Continue(ctx, no, staff, v.onEvent)
	}, v.continueUnfinished)
}

// start runs a refund (or its continuation) off the UI goroutine; a
// refusal for want of the permission offers a manager's override that
// runs retry.
func (v *View) start(do func(context.Context) (sale.RefundOutcome, error), retry func()) {
	if v.st == stRunning {
		return
	}
	v.show(stRunning)
	v.say(i18n.T("refundview.running"))
	ctx, cancel := context.WithCancel(context.Background())
	v.cancel = cancel
	var out sale.RefundOutcome
	var err error
	async.Run(func() { out, err = do(ctx) }, func() {
		cancel()
		v.cancel = nil
		// Nothing moved in this call: the refund was refused before it was
		// written (or, continuing one, before anything was sent).
		if err != nil && len(out.Parts) == 0 && (out.Refund.ID == 0 || errors.Is(err, app.ErrNoPermission)) {
			v.show(stEdit)
			v.say(i18n.Err(err))
			if v.deps.Override != nil && errors.Is(err, app.ErrNoPermission) && !errors.Is(err, app.ErrStaffDisabled) {
				v.deps.Override(app.PermRefund, retry)
			}
			if errors.Is(err, sale.ErrRefundChanged) {
				v.open(v.loaded.Order.OrderNo)
			}
			return
		}
		v.finished(out, err)
	})
}

// onEvent shows a channel's progress with its seconds.
func (v *View) onEvent(e payment.Event) {
	async.Do(func() {
		if v.st != stRunning {
			return
		}
		v.say(i18n.T("refundview.progress", "Msg", i18n.M(e.Msg), "S", e.Seconds))
	})
}

// finished shows how each tender ended.
func (v *View) finished(out sale.RefundOutcome, err error) {
	v.outcome = out
	v.loaded.Order = out.Order
	v.show(stResult)
	var b strings.Builder
	var given, open app.Money
	for _, p := range out.Parts {
		b.WriteString(i18n.T("refundview.result.part", "Method", methodName(p.Part.Kind, p.Part.Wallet),
			"Amount", p.Part.Amount.Display(), "State", partState(p.Part)))
		if !p.Msg.IsZero() && p.Part.State != sale.PartDone {
			b.WriteString(i18n.T("list.colon") + i18n.M(p.Msg))
		}
		b.WriteByte('\n')
		if p.Part.State == sale.PartDone {
			given += p.Part.Amount
		} else {
			open += p.Part.Amount
		}
	}
	if out.Refund.ApprovedByName != "" {
		b.WriteString(i18n.T("refundview.approved_by", "Name", out.Refund.ApprovedByName))
		b.WriteByte('\n')
	}
	b.WriteString(i18n.T("refundview.result.no", "No", out.Refund.RefundNo))
	v.Plan.SetText(b.String())
	v.Total.Text = i18n.T("refundview.given", "Amount", given.Display())
	v.Total.Refresh()
	if out.Done() {
		v.banner(i18n.T("refundview.banner.done", "Amount", out.Refund.Amount.Display()), colorDone)
		v.say(i18n.T("refundview.next"))
	} else {
		v.banner(i18n.T("refundview.banner.open", "Amount", open.Display()), colorOpen)
		v.say(i18n.T("refundview.open_hint"))
	}
	if err != nil {
		v.say(i18n.Err(err))
	}
	v.Query.SetText("")
	v.focus(v.Query)
	v.reload()
}

// reload reads the order again after a refund, so what is left and what
// is unfinished are as stored (the result stays on screen).
func (v *View) reload() {
	no := v.loaded.Order.OrderNo
	if no == "" {
		return
	}
	var p sale.RefundPlan
	var err error
	r := v.deps.Refunds
	async.Run(func() { p, err = r.Load(context.Background(), no) }, func() {
		if err == nil && v.loaded.Order.OrderNo == no && v.st == stResult {
			v.loaded = p
			v.header()
			v.show(v.st)
		}
	})
}

// partState names where a part stands, truthfully: a channel that has
// not finished is 退款处理中, never done.
func partState(p sale.RefundPart) string {
	switch {
	case p.Kind == app.TenderCash:
		return i18n.T("refundview.state.cash")
	case p.State == sale.PartDone:
		return i18n.T("refundview.state.done")
	case p.State == sale.PartFailed:
		return i18n.T("refundview.state.failed")
	case p.State == sale.PartManual:
		return i18n.T("refundview.state.manual")
	case p.State == sale.PartPending:
		return i18n.T("refundview.state.pending")
	}
	return i18n.T("refundview.state.processing")
}

var (
	colorDone = color.NRGBA{R: 0x1b, G: 0x8a, B: 0x3c, A: 0xff}
	colorOpen = color.NRGBA{R: 0xc7, G: 0x6b, B: 0x00, A: 0xff}
)

func (v *View) banner(s string, c color.Color) {
	v.Banner.Text, v.Banner.Color = s, c
	v.Banner.Refresh()
}

// show puts the screen in state st: which panel, which buttons, where the
// keyboard goes.
func (v *View) show(st state) {
	v.st = st
	v.find.Hide()
	v.choose.Hide()
	v.order.Hide()
	switch st {
	case stFind:
		v.find.Show()
		v.banner("", theme.Color(theme.ColorNameForeground))
	case stChoose:
		v.choose.Show()
	default:
		v.order.Show()
	}
	editing := st == stEdit || st == stConfirm
	v.qtyRow.Hidden = !(editing && v.mode == byLines)
	v.amtRow.Hidden = !(editing && v.mode == byAmount)
	v.qtyRow.Refresh()
	v.amtRow.Refresh()
	enable := func(id string, on bool) {
		if on {
			v.Buttons[id].Enable()
		} else {
			v.Buttons[id].Disable()
		}
	}
	hasLines := len(v.loaded.Lines) > 0
	refundable := v.loaded.Order.OrderNo != "" && v.loaded.CanRefund() == nil
	enable("whole", editing && refundable)
	enable("amount", editing && refundable)
	enable("lines", editing && refundable && hasLines)
	enable("continue", (editing || st == stResult) && (len(v.loaded.Unfinished()) > 0 || st == stResult && !v.outcome.Done()))
	enable("confirm", st == stFind || st == stChoose || editing || st == stResult)
	enable("back", st != stRunning || v.cancel != nil)
	if st == stConfirm {
		v.Buttons["confirm"].SetText(i18n.T("refundview.key.do", "Amount", v.plan.Amount.Display()) + "  Enter")
	} else {
		v.Buttons["confirm"].SetText(i18n.T("refundview.key.confirm") + "  Enter")
	}
	if st == stRunning {
		v.Buttons["back"].SetText(i18n.T("refundview.key.stop") + "  Esc")
	} else {
		v.Buttons["back"].SetText(i18n.T("refundview.key.back") + "  Esc")
	}
	if st == stEdit || st == stConfirm {
		v.banner("", theme.Color(theme.ColorNameForeground))
	}
	v.Lines.Refresh()
	switch {
	case st == stEdit && v.mode == byLines:
		v.focus(v.Qty)
	case st == stEdit && v.mode == byAmount:
		v.focus(v.Amount)
	case st == stEdit, st == stConfirm:
		v.focus(v.Reason)
	case st == stFind || st == stChoose || st == stResult:
		v.focus(v.Query)
	}
}

// candidateLine is one of several orders a short number matched.
func candidateLine(o app.Order) string {
	return i18n.T("refundview.candidate", "Short", o.ShortNo(), "No", o.OrderNo, "Time", o.CreatedAt.Format("01-02 15:04"),
		"Amount", o.Payable.Display(), "Status", transactions.StatusName(o.Status))
}
