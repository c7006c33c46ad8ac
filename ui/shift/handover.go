package shift

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	appshift "cashier/app/shift"
	"cashier/ui/async"
	"cashier/ui/held"
	"cashier/ui/i18n"
)

// HandoverDeps is what the clock-off wizard needs.
type HandoverDeps struct {
	Shifts Service
	Staff  app.Staff
	Shift  appshift.Shift // the open shift handed over
	Focus  func(fyne.Focusable)
	Close  func() // back to the overview: cancelled (nothing written) or done
}

// Handover is the clock-off wizard. Step 1 is the blind count: notes by
// denomination and the coins, with a running total and never the amount
// expected, so the count is what is in the drawer and not what the
// screen says should be. Step 2 is the review: expected against counted,
// the float left for the next shift, what is handed over by name, the
// shift's figures and, over the store's limit, a manager's countersign.
// Step 3 says the shift is closed and its report is queued for the
// printer. Nothing is written before step 2 is confirmed; Esc cancels.
type Handover struct {
	d    HandoverDeps
	Step int // 1, 2, 3

	// Step 1: the blind count.
	Notes      []*Field // one per appshift.Denominations
	NoteErr    []*widget.Label
	NoteSum    []*widget.Label
	Coins      *Field
	CoinsErr   *widget.Label
	CoinsSum   *widget.Label
	CountTotal *widget.Label
	CountMsg   *widget.Label
	Next       *widget.Button

	// Step 2: the review.
	Expected  *widget.Label
	Counted   *widget.Label
	Variance  *widget.Label
	FloatLeft *Field
	FloatErr  *widget.Label
	TakeOut   *widget.Label
	HeldCarts *widget.Label // the carts held at the terminal: count, total, the oldest's age
	Held      *widget.Label
	Deposits  *widget.Label
	Figures   *Figures
	CSNote    *widget.Label
	CSCode    *Field
	CSPIN     *Field
	CSMsg     *widget.Label
	ReviewMsg *widget.Label
	Back      *widget.Button
	Confirm   *widget.Button
	csBox     *fyne.Container

	// Step 3: done.
	Summary  *widget.Label
	PrintMsg *widget.Label
	Reprint  *widget.Button
	Finish   *keyButton

	count  appshift.CashCount
	review appshift.Handover
	closed appshift.Shift
	busy   bool
	body   *fyne.Container
	steps  [3]fyne.CanvasObject
}

// NewHandover builds the wizard on step 1.
func NewHandover(d HandoverDeps) *Handover {
	h := &Handover{d: d, Step: 1}
	h.steps[0] = h.buildCount()
	h.steps[1] = h.buildReview()
	h.steps[2] = h.buildDone()
	h.body = container.NewStack(h.steps[0])
	return h
}

// Content is the wizard's root object.
func (h *Handover) Content() fyne.CanvasObject { return h.body }

// FocusFirst puts the keyboard in the first field of the step shown.
func (h *Handover) FocusFirst() {
	switch h.Step {
	case 1:
		h.focus(h.Notes[0])
	case 2:
		h.focus(h.FloatLeft)
	case 3:
		h.focus(h.Finish)
	}
}

func (h *Handover) focus(o fyne.Focusable) {
	if h.d.Focus != nil {
		h.d.Focus(o)
	}
}

func (h *Handover) show(step int) {
	h.Step = step
	h.body.Objects = []fyne.CanvasObject{h.steps[step-1]}
	h.body.Refresh()
	h.FocusFirst()
}

// Cancel leaves the wizard without writing anything (Esc). A closed
// shift is done, not cancelled.
func (h *Handover) Cancel() {
	if h.busy {
		return // a clock-off is being written: its answer decides
	}
	h.d.Close()
}

func (h *Handover) entry(onEnter func()) *Field {
	e := newField()
	e.OnSubmitted = func(string) { onEnter() }
	e.OnEscape = h.Cancel
	return e
}

func stepTitle(n int, key string) fyne.CanvasObject {
	return widget.NewLabelWithStyle(i18n.T("shiftview.step", "N", n, "Title", i18n.T(key)), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

func wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

func errLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	return l
}

// buildCount is step 1. The expected amount is not known here: Review is
// asked only when the count is done.
func (h *Handover) buildCount() fyne.CanvasObject {
	// One line a denomination: its name, the pieces, and beside them the
	// line's amount or why the entry is refused. Compact enough that the
	// whole count fits a 1024×768 screen without scrolling.
	form := container.New(layout.NewFormLayout(),
		widget.NewLabelWithStyle(i18n.T("shiftview.count.denomination"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabelWithStyle(i18n.T("shiftview.count.pieces"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	row := func(name string, e *Field, sum, bad *widget.Label) {
		field := container.NewGridWrap(fyne.NewSize(140, e.MinSize().Height), e)
		form.Add(widget.NewLabel(name))
		form.Add(container.NewBorder(nil, nil, field, nil, container.NewHBox(sum, bad)))
	}
	n := len(appshift.Denominations)
	h.Notes = make([]*Field, n)
	h.NoteErr = make([]*widget.Label, n)
	h.NoteSum = make([]*widget.Label, n)
	for i, den := range appshift.Denominations {
		i := i
		h.Notes[i] = h.entry(func() {
			if i+1 < n {
				h.focus(h.Notes[i+1])
			} else {
				h.focus(h.Coins)
			}
		})
		h.Notes[i].SetPlaceHolder("0")
		h.Notes[i].OnChanged = func(string) { h.recount() }
		h.NoteErr[i] = errLabel()
		h.NoteSum[i] = widget.NewLabel(Yuan(0))
		row(i18n.M(den.Name()), h.Notes[i], h.NoteSum[i], h.NoteErr[i])
	}
	h.Coins = h.entry(h.toReview)
	h.Coins.SetPlaceHolder("0.00")
	h.Coins.OnChanged = func(string) { h.recount() }
	h.CoinsErr = errLabel()
	h.CoinsSum = widget.NewLabel(Yuan(0))
	row(i18n.M(appshift.CoinsName()), h.Coins, h.CoinsSum, h.CoinsErr)

	h.CountTotal = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	h.CountMsg = errLabel()
	h.CountMsg.Wrapping = fyne.TextWrapWord
	h.CountMsg.Hide()
	h.Next = widget.NewButtonWithIcon(i18n.T("shiftview.next"), theme.NavigateNextIcon(), h.toReview)
	h.Next.Importance = widget.HighImportance
	cancel := widget.NewButtonWithIcon(i18n.T("shiftview.cancel"), theme.CancelIcon(), h.Cancel)
	h.recount()

	top := container.NewVBox(stepTitle(1, i18n.Key("shiftview.count.title")), wrapped(i18n.T("shiftview.count.blind")))
	if h.onBehalf() {
		top.Add(h.behalfNote())
	}
	bottom := container.NewVBox(h.CountMsg, container.NewBorder(nil, nil, h.CountTotal, container.NewHBox(cancel, h.Next)))
	return container.NewBorder(top, bottom, nil, nil, container.NewVScroll(form))
}

// say shows a message under the count, or hides the line when there is none.
func say(l *widget.Label, text string) {
	l.SetText(text)
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// recount checks every field and shows the line totals and the running
// total of what is valid. It returns the count and whether every field
// is valid.
func (h *Handover) recount() (appshift.CashCount, app.Money, bool) {
	c := appshift.CashCount{Notes: map[string]int64{}}
	var total app.Money
	ok := true
	for i, den := range appshift.Denominations {
		n, err := parsePieces(den, h.Notes[i].Text)
		h.NoteErr[i].SetText(i18n.Err(err))
		if err != nil {
			ok = false
			h.NoteSum[i].SetText("")
			continue
		}
		line := den.Value * app.Money(n) // at most MaxPieces × ￥100: no overflow
		h.NoteSum[i].SetText(Yuan(line))
		if n > 0 {
			c.Notes[den.Code] = n
		}
		total += line
	}
	coins, err := parseCoins(h.Coins.Text)
	h.CoinsErr.SetText(i18n.Err(err))
	if err != nil {
		ok = false
		h.CoinsSum.SetText("")
	} else {
		h.CoinsSum.SetText(Yuan(coins))
		c.Coins = coins
		total += coins
	}
	h.CountTotal.SetText(i18n.T("shiftview.count.total", "Amount", Yuan(total)))
	if ok {
		say(h.CountMsg, "")
	}
	return c, total, ok
}

// toReview leaves the count for the review once every field is valid.
func (h *Handover) toReview() {
	if h.busy || h.Step != 1 {
		return
	}
	count, total, ok := h.recount()
	if !ok {
		say(h.CountMsg, i18n.T("shiftview.count.fix"))
		for i := range h.Notes {
			if h.NoteErr[i].Text != "" {
				h.focus(h.Notes[i])
				return
			}
		}
		h.focus(h.Coins)
		return
	}
	floatLeft := min(h.d.Shift.OpeningFloat, total)
	h.busy = true
	h.Next.Disable()
	say(h.CountMsg, "")
	var rev appshift.Handover
	var err error
	svc, id, owner := h.d.Shifts, h.d.Staff.ID, h.owner()
	async.Run(func() { rev, err = svc.ReviewFor(context.Background(), id, owner, count, floatLeft) }, func() {
		h.busy = false
		h.Next.Enable()
		if err != nil {
			say(h.CountMsg, i18n.Err(err))
			return
		}
		h.count, h.review = count, rev
		h.showReview(floatLeft)
		h.show(2)
	})
}

// buildReview is step 2's frame; showReview fills it.
func (h *Handover) buildReview() fyne.CanvasObject {
	bold := fyne.TextStyle{Bold: true}
	h.Expected = widget.NewLabelWithStyle("", fyne.TextAlignTrailing, bold)
	h.Counted = widget.NewLabelWithStyle("", fyne.TextAlignTrailing, bold)
	h.Variance = widget.NewLabelWithStyle("", fyne.TextAlignTrailing, bold)
	money := container.NewGridWithColumns(2,
		widget.NewLabel(i18n.T("shiftview.review.expected")), h.Expected,
		widget.NewLabel(i18n.T("shiftview.review.counted")), h.Counted,
		widget.NewLabel(i18n.T("shiftview.review.variance")), h.Variance)

	h.FloatLeft = h.entry(func() {
		if h.review.NeedsCountersign {
			h.focus(h.CSCode)
			return
		}
		h.confirm()
	})
	h.FloatLeft.OnChanged = func(string) { h.checkFloat(); h.updateConfirm() }
	h.FloatErr = errLabel()
	h.FloatErr.Hide()
	h.TakeOut = widget.NewLabel("")
	floatForm := widget.NewForm(widget.NewFormItem(i18n.T("shiftview.review.float_left"), h.FloatLeft))

	h.HeldCarts = wrapped("")
	h.Held = wrapped("")
	h.Deposits = wrapped("")
	h.Figures = NewFigures()

	h.CSNote = wrapped("")
	h.CSNote.Importance = widget.WarningImportance
	h.CSCode = h.entry(func() { h.focus(h.CSPIN) })
	h.CSCode.SetPlaceHolder(i18n.T("shiftview.cs.code"))
	h.CSPIN = h.entry(h.confirm)
	h.CSPIN.Password = true
	h.CSPIN.SetPlaceHolder(i18n.T("shiftview.cs.pin"))
	h.CSCode.OnChanged = func(string) { h.updateConfirm() }
	h.CSPIN.OnChanged = func(string) { h.updateConfirm() }
	h.CSMsg = errLabel()
	h.CSMsg.Wrapping = fyne.TextWrapWord
	h.CSMsg.Hide()
	h.csBox = container.NewVBox(section(i18n.T("shiftview.cs.title"), "", container.NewVBox(h.CSNote,
		widget.NewForm(widget.NewFormItem(i18n.T("shiftview.cs.code"), h.CSCode), widget.NewFormItem(i18n.T("shiftview.cs.pin"), h.CSPIN)),
		h.CSMsg)))

	h.ReviewMsg = errLabel()
	h.ReviewMsg.Wrapping = fyne.TextWrapWord
	h.ReviewMsg.Hide()
	h.Back = widget.NewButtonWithIcon(i18n.T("shiftview.back"), theme.NavigateBackIcon(), func() {
		if !h.busy {
			h.show(1)
		}
	})
	h.Confirm = widget.NewButtonWithIcon(i18n.T("shiftview.review.confirm"), theme.ConfirmIcon(), h.confirm)
	h.Confirm.Importance = widget.HighImportance
	cancel := widget.NewButtonWithIcon(i18n.T("shiftview.cancel"), theme.CancelIcon(), h.Cancel)

	// What the handover decides (the cash, the countersign, what is
	// handed over) comes first, side by side; the figures, for reference,
	// take the full width below.
	cash := section(i18n.T("shiftview.review.cash"), i18n.T("shiftview.review.expected_note"),
		container.NewVBox(money, floatForm, h.FloatErr, h.TakeOut))
	handed := container.NewVBox(section(i18n.T("shiftview.review.handed"), "", container.NewVBox(h.HeldCarts, h.Held, h.Deposits)), h.csBox)
	figures := section(i18n.T("shiftview.review.figures"), "", h.Figures.Content())
	top := container.NewVBox(stepTitle(2, i18n.Key("shiftview.review.title")), wrapped(i18n.T("shiftview.day_note")))
	if h.onBehalf() {
		top.Add(h.behalfNote())
	}
	bottom := container.NewVBox(h.ReviewMsg, container.NewHBox(cancel, h.Back, h.Confirm))
	return container.NewBorder(top, bottom, nil, nil,
		container.NewVScroll(container.NewVBox(container.NewGridWithColumns(2, cash, handed), figures)))
}

// onBehalf: a store manager is closing someone else's shift (they went
// home without clocking off); the manager counts, and their own authority
// stands for the countersign.
func (h *Handover) onBehalf() bool {
	return h.d.Shift.StaffID != 0 && h.d.Shift.StaffID != h.d.Staff.ID
}

func (h *Handover) behalfNote() fyne.CanvasObject {
	l := wrapped(i18n.T("shiftview.behalf", "Name", h.d.Shift.StaffName, "Manager", h.d.Staff.Name))
	l.Importance = widget.WarningImportance
	return l
}

// needsCountersign: the variance is over the limit and the person closing
// is the shift's own (a manager closing for someone is the countersign).
func (h *Handover) needsCountersign() bool { return h.review.NeedsCountersign && !h.onBehalf() }

// owner is whose shift is handed over.
func (h *Handover) owner() int64 {
	if h.d.Shift.StaffID != 0 {
		return h.d.Shift.StaffID
	}
	return h.d.Staff.ID
}

// relayout lays the step out again after a message appeared, went or
// changed its number of lines: a wrapped label's height follows its text
// only when its container is laid out anew.
func (h *Handover) relayout() { h.body.Refresh() }

func (h *Handover) showReview(floatLeft app.Money) {
	r := h.review
	h.Expected.SetText(Yuan(r.Expected))
	h.Counted.SetText(Yuan(r.Counted))
	switch {
	case r.Variance > 0:
		h.Variance.SetText(i18n.T("shiftview.review.over", "Amount", signed(r.Variance)))
		h.Variance.Importance = widget.WarningImportance
	case r.Variance < 0:
		h.Variance.SetText(i18n.T("shiftview.review.short", "Amount", signed(r.Variance)))
		h.Variance.Importance = widget.DangerImportance
	default:
		h.Variance.SetText(i18n.T("shiftview.review.even", "Amount", Yuan(0)))
		h.Variance.Importance = widget.SuccessImportance
	}
	h.Variance.Refresh()
	h.FloatLeft.SetText(floatLeft.String())
	h.HeldCarts.SetText(HeldCartsLine(r.HeldCarts, time.Now()))
	h.Held.SetText(itemLines(i18n.Key("shiftview.review.held"), r.HeldOrders))
	h.Deposits.SetText(itemLines(i18n.Key("shiftview.review.deposits"), r.OpenDeposits) + depositsHeld(r.OpenDeposits))
	h.Figures.Show(r.Summary)
	say(h.CSMsg, "")
	say(h.ReviewMsg, "")
	if r.NeedsCountersign && !h.onBehalf() {
		h.CSNote.SetText(i18n.T("shiftview.cs.note", "Variance", signed(r.Variance), "Threshold", Yuan(r.Threshold)))
		h.csBox.Show()
	} else {
		h.CSCode.SetText("")
		h.CSPIN.SetText("")
		h.csBox.Hide()
	}
	h.checkFloat()
	h.updateConfirm()
	h.relayout()
}

// section is a titled part of a page: a heading, what it means (may be
// empty) and its content; lighter than a card, so a step fits 1024×768.
func section(title, sub string, content fyne.CanvasObject) fyne.CanvasObject {
	box := container.NewVBox(widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	if sub != "" {
		l := wrapped(sub)
		l.SizeName = theme.SizeNameCaptionText
		box.Add(l)
	}
	box.Add(content)
	return box
}

// HeldCartsLine says what is held at the terminal at now: how many carts,
// what they come to and how long the oldest has waited.
func HeldCartsLine(c appshift.HeldCarts, now time.Time) string {
	if c.Count == 0 {
		return i18n.T("shiftview.review.held_carts_none")
	}
	return i18n.T("shiftview.review.held_carts", "N", c.Count, "Amount", Yuan(c.Total), "Age", held.Age(c.OldestAge(now)))
}

// itemLines lists handed-over items by number, amount and name.
func itemLines(key string, items []appshift.ItemRef) string {
	s := i18n.T(key, "N", len(items))
	if len(items) == 0 {
		return s + i18n.T("shiftview.review.none")
	}
	for _, it := range items {
		since := ""
		if !it.Since.IsZero() {
			since = it.Since.Local().Format("01-02 15:04")
		}
		s += "\n" + i18n.T("shiftview.review.item", "No", it.No, "Amount", Yuan(it.Amount), "Note", it.Note, "Since", since)
	}
	return s
}

// depositsHeld is the liability handed over with the open deposits: the
// guests' money the next shift answers for (not takings).
func depositsHeld(items []appshift.ItemRef) string {
	if len(items) == 0 {
		return ""
	}
	var sum app.Money
	for _, it := range items {
		sum += it.Amount
	}
	return "\n" + i18n.T("shiftview.review.deposits_held", "Amount", Yuan(sum))
}

// checkFloat reads the float left: zero up to what was counted.
func (h *Handover) checkFloat() (app.Money, bool) {
	text := h.FloatLeft.Text
	if text == "" {
		text = "0"
	}
	m, err := app.ParseMoney(halfWidth(text))
	switch {
	case err != nil:
		say(h.FloatErr, i18n.Err(err))
	case m > h.review.Counted:
		say(h.FloatErr, i18n.T("shiftview.review.float_over", "Counted", Yuan(h.review.Counted)))
	default:
		say(h.FloatErr, "")
		h.TakeOut.SetText(i18n.T("shiftview.review.take_out", "Amount", Yuan(h.review.Counted-m)))
		return m, true
	}
	h.TakeOut.SetText("")
	return 0, false
}

// updateConfirm enables the clock-off once the float is valid and, when
// the variance needs it, both halves of the countersign are typed.
func (h *Handover) updateConfirm() {
	_, ok := h.checkFloat()
	if h.needsCountersign() && (h.CSCode.Text == "" || h.CSPIN.Text == "") {
		ok = false
	}
	if ok && !h.busy {
		h.Confirm.Enable()
	} else {
		h.Confirm.Disable()
	}
}

// confirm clocks off with the count, the float left and the countersign.
func (h *Handover) confirm() {
	if h.busy || h.Step != 2 {
		return
	}
	floatLeft, ok := h.checkFloat()
	if !ok {
		h.focus(h.FloatLeft)
		return
	}
	var cs *appshift.Countersign
	if h.needsCountersign() {
		if h.CSCode.Text == "" {
			h.focus(h.CSCode)
			return
		}
		if h.CSPIN.Text == "" {
			h.focus(h.CSPIN)
			return
		}
		cs = &appshift.Countersign{Code: h.CSCode.Text, PIN: h.CSPIN.Text}
	}
	h.busy = true
	h.Confirm.Disable()
	h.Back.Disable()
	say(h.CSMsg, "")
	say(h.ReviewMsg, "")
	var closed appshift.Shift
	var err error
	svc, id, owner, count := h.d.Shifts, h.d.Staff.ID, h.owner(), h.count
	async.Run(func() { closed, err = svc.ClockOffFor(context.Background(), id, owner, count, floatLeft, cs) }, func() {
		h.busy = false
		h.Back.Enable()
		if err != nil {
			say(h.ReviewMsg, "")
			if cs == nil && errors.Is(err, appshift.ErrCountersignNeeded) {
				// Cash moved on the shift since the review and the variance
				// is now over the limit: review again, with the countersign.
				h.rereview(err)
				return
			}
			if cs != nil {
				// Wrong PIN, the same person, a locked manager: said
				// beside the countersign, which is typed again.
				say(h.CSMsg, i18n.Err(err))
				h.CSPIN.SetText("")
				h.focus(h.CSPIN)
			} else {
				say(h.ReviewMsg, i18n.Err(err))
			}
			h.updateConfirm()
			h.relayout()
			return
		}
		h.closed = closed
		h.showDone(floatLeft)
		h.show(3)
	})
}

// rereview asks for the review again and shows it with why.
func (h *Handover) rereview(why error) {
	floatLeft, _ := h.checkFloat()
	var rev appshift.Handover
	var err error
	svc, id, owner, count := h.d.Shifts, h.d.Staff.ID, h.owner(), h.count
	h.busy = true
	async.Run(func() { rev, err = svc.ReviewFor(context.Background(), id, owner, count, floatLeft) }, func() {
		h.busy = false
		if err != nil {
			say(h.ReviewMsg, i18n.Err(err))
			return
		}
		h.review = rev
		h.showReview(floatLeft)
		say(h.ReviewMsg, i18n.Err(why))
		h.relayout()
		h.FocusFirst()
	})
}

func (h *Handover) buildDone() fyne.CanvasObject {
	h.Summary = wrapped("")
	h.PrintMsg = wrapped(i18n.T("shiftview.done.queued"))
	h.Reprint = widget.NewButtonWithIcon(i18n.T("shiftview.reprint"), theme.DocumentPrintIcon(), func() {
		reprint(h.d.Shifts, h.closed.ID, h.d.Staff.ID, h.PrintMsg)
	})
	h.Finish = newKeyButton(i18n.T("shiftview.done.finish"), theme.ConfirmIcon(), func() { h.d.Close() })
	h.Finish.Importance = widget.HighImportance
	h.Finish.OnEscape = func() { h.d.Close() }
	return container.NewBorder(stepTitle(3, i18n.Key("shiftview.done.title")), container.NewHBox(h.Reprint, h.Finish), nil, nil,
		container.NewVBox(h.Summary, h.PrintMsg, wrapped(i18n.T("shiftview.day_note"))))
}

func (h *Handover) showDone(floatLeft app.Money) {
	sh := h.closed
	r := h.review
	if sh.Handover != nil {
		r = *sh.Handover
		floatLeft = r.FloatLeft
	}
	until := sh.EndedAt
	h.Summary.SetText(i18n.T("shiftview.done.summary", "Name", sh.StaffName, "Since", sh.StartedAt, "Until", until,
		"Counted", Yuan(r.Counted), "Variance", signed(r.Variance), "Float", Yuan(floatLeft), "Day", dayOf(sh)))
	if r.CountersignName != "" {
		h.Summary.SetText(h.Summary.Text + "\n" + i18n.T("shiftview.done.countersigned", "Name", r.CountersignName))
	}
}

// keyButton is a button that Enter presses too and Esc can leave: the
// wizard's last step is worked by keyboard alone.
type keyButton struct {
	widget.Button
	OnEscape func()
}

func newKeyButton(label string, icon fyne.Resource, tapped func()) *keyButton {
	b := &keyButton{}
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

// TypedKey presses the button on Enter and Space; Esc calls OnEscape.
func (b *keyButton) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		if b.OnTapped != nil && !b.Disabled() {
			b.OnTapped()
		}
	case fyne.KeyEscape:
		if b.OnEscape != nil {
			b.OnEscape()
		}
	default:
		b.Button.TypedKey(ev)
	}
}
