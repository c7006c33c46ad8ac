package shift

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/auth"
	appshift "cashier/app/shift"
	"cashier/app/summary"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/postheme"
)

// fakeShifts keeps one person's shift as app/shift.Service would: the
// expected cash is the opening float plus cashTaken; a variance over the
// threshold needs a manager (code 1001, PIN 8888) to countersign.
type fakeShifts struct {
	mu        sync.Mutex
	sig       *app.Signals
	open      *appshift.Shift
	suggested app.Money
	cashTaken app.Money
	threshold app.Money
	reviews   int
	clockOns  []appshift.Scope
	floats    []app.Money
	offs      []clockOffCall
	actors    []int64
	prints    []int64
	ended     []appshift.Shift
}

type clockOffCall struct {
	count     appshift.CashCount
	floatLeft app.Money
	cs        *appshift.Countersign
}

func (f *fakeShifts) Current(_ context.Context, staffID int64) (appshift.Shift, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.open == nil {
		return appshift.Shift{}, false, nil
	}
	return *f.open, true, nil
}

func (f *fakeShifts) SuggestedFloat(context.Context) (app.Money, error) { return f.suggested, nil }

func (f *fakeShifts) ClockOn(_ context.Context, staffID int64, scope appshift.Scope, float app.Money) (appshift.Shift, error) {
	f.mu.Lock()
	if f.open != nil {
		f.mu.Unlock()
		return appshift.Shift{}, appshift.ErrAlreadyOn.With("Name", "李娜", "Since", f.open.StartedAt)
	}
	sh := appshift.Shift{ID: 9, StoreID: 1, StaffID: staffID, StaffName: "李娜", StartedAt: time.Date(2026, 5, 1, 15, 2, 0, 0, time.Local),
		OpeningFloat: float, Day: summary.Day{Year: 2026, Month: 5, D: 1}}
	if scope == appshift.ScopeTerminal {
		sh.TerminalID = 1
	}
	f.open = &sh
	f.clockOns = append(f.clockOns, scope)
	f.floats = append(f.floats, float)
	f.mu.Unlock()
	f.sig.Emit(app.SignalShift, staffID)
	return sh, nil
}

func (f *fakeShifts) Takings(context.Context, int64) (summary.Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return summary.Compute([]summary.Row{
		{Kind: summary.KindSale, Method: summary.MethodCash, Count: 3, Amount: f.cashTaken},
		{Kind: summary.KindSale, Method: summary.MethodWeChat, Count: 2, Amount: 123400},
	}), nil
}

func (f *fakeShifts) handover(count appshift.CashCount, floatLeft app.Money) (appshift.Handover, error) {
	counted, err := count.Total()
	if err != nil {
		return appshift.Handover{}, err
	}
	if f.open == nil {
		return appshift.Handover{}, appshift.ErrNotOn.With("Name", "李娜")
	}
	if floatLeft > counted {
		return appshift.Handover{}, appshift.ErrFloatLeftTooLarge.With("Amount", floatLeft, "Counted", counted)
	}
	expected := f.open.OpeningFloat + f.cashTaken
	v := counted - expected
	h := appshift.Handover{Count: count, Counted: counted, Expected: expected, Variance: v, FloatLeft: floatLeft,
		Threshold: f.threshold, NeedsCountersign: v > f.threshold || -v > f.threshold,
		HeldOrders:   []appshift.ItemRef{{No: "T1260501150301123", Amount: 4550, Note: "王先生"}},
		OpenDeposits: []appshift.ItemRef{{No: "D260501090000456", Amount: 50000, Note: "302房"}}}
	return h, nil
}

func (f *fakeShifts) ReviewFor(_ context.Context, _, _ int64, count appshift.CashCount, floatLeft app.Money) (appshift.Handover, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reviews++
	return f.handover(count, floatLeft)
}

func (f *fakeShifts) ClockOffFor(_ context.Context, actorID, staffID int64, count appshift.CashCount, floatLeft app.Money, cs *appshift.Countersign) (appshift.Shift, error) {
	f.mu.Lock()
	f.offs = append(f.offs, clockOffCall{count, floatLeft, cs})
	f.actors = append(f.actors, actorID)
	h, err := f.handover(count, floatLeft)
	if err != nil {
		f.mu.Unlock()
		return appshift.Shift{}, err
	}
	if h.NeedsCountersign && actorID != staffID {
		h.CountersignedBy, h.CountersignName = actorID, "王店长" // a manager closing for someone
	} else if h.NeedsCountersign {
		switch {
		case cs == nil:
			err = appshift.ErrCountersignNeeded.With("Variance", h.Variance, "Threshold", h.Threshold)
		case cs.Code == "1002":
			err = appshift.ErrCountersignSelf.With("Name", "李娜")
		case cs.Code != "1001" || cs.PIN != "8888":
			err = auth.ErrWrongPIN.With("Remaining", 4)
		default:
			h.CountersignedBy, h.CountersignName = 1, "王店长"
		}
	}
	if err != nil {
		f.mu.Unlock()
		return appshift.Shift{}, err
	}
	sh := *f.open
	sh.EndedAt = sh.StartedAt.Add(8 * time.Hour)
	sh.Handover = &h
	f.open = nil
	f.ended = append(f.ended, sh)
	f.mu.Unlock()
	f.sig.Emit(app.SignalShift, staffID)
	return sh, nil
}

func (f *fakeShifts) Print(_ context.Context, shiftID, _ int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.prints = append(f.prints, shiftID)
	return nil
}

func (f *fakeShifts) Recent(context.Context, int64, bool) ([]appshift.Shift, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := append([]appshift.Shift{}, f.ended...)
	if f.open != nil {
		out = append([]appshift.Shift{*f.open}, out...)
	}
	return out, nil
}

var clerk = app.Staff{ID: 2, Code: "1002", Name: "李娜", Role: app.RoleClerk, Permissions: map[string]bool{app.PermShiftHandover: true}}

func newView(t *testing.T, f *fakeShifts) (*View, fyne.Window) {
	t.Helper()
	return newViewAs(t, f, clerk)
}

func newViewAs(t *testing.T, f *fakeShifts, who app.Staff) (*View, fyne.Window) {
	t.Helper()
	async.Synchronous = true
	require.NoError(t, i18n.Use(i18n.Chinese))
	a := test.NewTempApp(t)
	a.Settings().SetTheme(postheme.New())
	if f.sig == nil {
		f.sig = app.NewSignals()
	}
	w := test.NewTempWindow(t, widget.NewLabel(""))
	v := New(Deps{Shifts: f, Signals: f.sig, Staff: who, Window: w})
	w.SetContent(v.Content())
	w.Resize(fyne.NewSize(1024, 768))
	t.Cleanup(v.Stop)
	return v, w
}

func onShift(f *fakeShifts, float app.Money) {
	f.open = &appshift.Shift{ID: 9, StoreID: 1, TerminalID: 1, StaffID: 2, StaffName: "李娜",
		StartedAt: time.Date(2026, 5, 1, 15, 2, 0, 0, time.Local), OpeningFloat: float, Day: summary.Day{Year: 2026, Month: 5, D: 1}}
}

func enter(e fyne.Focusable) { e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) }

// Clock on from the workspace: the dialog offers the float the last
// shift left, the scope is chosen, Enter clocks on, and the workspace
// shows the open shift with the clock-off button.
func TestShift_ClockOnByKeyboard(t *testing.T) {
	f := &fakeShifts{suggested: 20000}
	v, w := newView(t, f)
	require.Contains(t, v.State.Text, "未上班")
	require.False(t, v.ClockOnB.Disabled())
	require.True(t, v.ClockOffB.Disabled())

	test.Tap(v.ClockOnB)
	c := openClockOn(t, v, w)
	require.Equal(t, "200.00", c.Float.Text, "prefilled with the float the last shift left")
	require.Same(t, c.Float, w.Canvas().Focused(), "the keyboard is in the float")
	c.Scope.SetSelected(ScopeName(appshift.ScopeStore))
	c.Float.SetText("")
	test.Type(c.Float, "350.5")
	enter(c.Float)

	require.Equal(t, []appshift.Scope{appshift.ScopeStore}, f.clockOns)
	require.Equal(t, []app.Money{35050}, f.floats)
	require.Nil(t, w.Canvas().Overlays().Top(), "the dialog closed")
	require.Contains(t, v.State.Text, "当班中")
	require.Contains(t, v.Float.Text, "￥350.50")
	require.True(t, v.ClockOnB.Disabled())
	require.False(t, v.ClockOffB.Disabled())
	require.Equal(t, "￥1,234.00", v.Figures.Received(summary.MethodWeChat))
}

// A float that is not an amount is refused in the dialog, which stays
// open; Esc closes it without clocking on.
func TestShift_ClockOnRefusesABadFloat(t *testing.T) {
	f := &fakeShifts{}
	v, w := newView(t, f)
	test.Tap(v.ClockOnB)
	c := openClockOn(t, v, w)
	c.Float.SetText("")
	test.Type(c.Float, "-5")
	enter(c.Float)
	require.Empty(t, f.clockOns)
	require.Contains(t, c.Message.Text, "不能为负")
	require.NotNil(t, w.Canvas().Overlays().Top())

	c.Float.SetText("")
	test.Type(c.Float, "abc")
	test.Tap(c.Confirm)
	require.Empty(t, f.clockOns)
	require.Contains(t, c.Message.Text, "格式")

	c.Float.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	require.Nil(t, w.Canvas().Overlays().Top())
	require.Empty(t, f.clockOns)
}

// Clocking on twice: the service's refusal shows in the dialog.
func TestShift_ClockOnTwiceShowsWhy(t *testing.T) {
	f := &fakeShifts{}
	onShift(f, 0)
	_, w := newView(t, f)
	c := ShowClockOn(w, f, clerk, nil)
	test.Tap(c.Confirm)
	require.Contains(t, c.Message.Text, "请先下班", "the service's refusal, in words")
	require.NotNil(t, w.Canvas().Overlays().Top())
}

func openClockOn(t *testing.T, v *View, w fyne.Window) *ClockOn {
	t.Helper()
	require.NotNil(t, w.Canvas().Overlays().Top(), "the clock-on dialog is open")
	require.NotNil(t, v.Dialog)
	return v.Dialog
}

// typeCount types a count into step 1 by keyboard: pieces per
// denomination (Enter moves on) and the coins.
func typeCount(h *Handover, pieces []string, coins string) {
	for i, p := range pieces {
		if p != "" {
			test.Type(h.Notes[i], p)
		}
		enter(h.Notes[i])
	}
	if coins != "" {
		test.Type(h.Coins, coins)
	}
}

// The blind count: the running total follows what is typed, the amount
// expected is nowhere on the screen and was not even asked for, bad
// entries are refused beside their field, and Enter on the coins goes to
// the review, which shows expected, counted and the variance.
func TestShift_BlindCountThenReview(t *testing.T) {
	f := &fakeShifts{cashTaken: 103400, threshold: 5000}
	onShift(f, 20000) // expected 1,234.00
	v, w := newView(t, f)
	test.Tap(v.ClockOffB)
	h := v.Handover
	require.NotNil(t, h)
	require.Equal(t, 1, h.Step)
	require.Same(t, h.Notes[0], w.Canvas().Focused(), "the keyboard starts at ￥100")

	// 12×100 + 1×20 + 3×5 jiao = 1,221.50 (after two typos are put right)
	test.Type(h.Notes[0], "12")
	enter(h.Notes[0])
	require.Same(t, h.Notes[1], w.Canvas().Focused(), "Enter moves to the next denomination")
	test.Type(h.Notes[1], "x")
	require.NotEmpty(t, h.NoteErr[1].Text, "a non-numeric count is refused beside its field")
	test.Type(h.Notes[2], "-1")
	require.NotEmpty(t, h.NoteErr[2].Text, "a negative count is refused")
	test.Type(h.Notes[3], "100001")
	require.NotEmpty(t, h.NoteErr[3].Text, "more than MaxPieces is refused")
	require.Contains(t, h.NoteErr[3].Text, "100000")

	// Next is refused while a field is wrong; the first wrong one gets the keyboard.
	test.Tap(h.Next)
	require.Equal(t, 1, h.Step)
	require.Zero(t, f.reviews)
	require.Same(t, h.Notes[1], w.Canvas().Focused())
	require.NotEmpty(t, h.CountMsg.Text)

	h.Notes[1].SetText("")
	h.Notes[2].SetText("1")
	h.Notes[3].SetText("")
	h.Notes[6].SetText("3")
	test.Type(h.Coins, "0.00")
	require.Equal(t, "清点合计 ￥1,221.50", h.CountTotal.Text)
	for i := range h.NoteErr {
		require.Empty(t, h.NoteErr[i].Text)
	}

	// Blind: neither the expected amount nor the word appears, and the
	// service was not asked for it.
	require.Zero(t, f.reviews)
	all := texts(w.Canvas().Content())
	require.NotContains(t, all, "1,234.00")
	require.NotContains(t, all, "1234.00")
	require.NotContains(t, all, "应有")

	enter(h.Coins)
	require.Equal(t, 2, h.Step)
	require.Equal(t, 1, f.reviews)
	require.Equal(t, "￥1,234.00", h.Expected.Text)
	require.Equal(t, "￥1,221.50", h.Counted.Text)
	require.Contains(t, h.Variance.Text, "-￥12.50")
	require.Contains(t, h.Variance.Text, "短款")
	require.Equal(t, widget.DangerImportance, h.Variance.Importance)
	require.Equal(t, "200.00", h.FloatLeft.Text, "the float left starts as the opening float")
	require.Contains(t, h.TakeOut.Text, "￥1,021.50")
	require.Contains(t, h.Held.Text, "王先生")
	require.Contains(t, h.Deposits.Text, "302房")
	require.Contains(t, h.Deposits.Text, "500.00", "the deposits held are handed over as a liability")
	require.Contains(t, h.Deposits.Text, i18n.T("shiftview.review.deposits_held", "Amount", Yuan(50000)))
	require.True(t, h.csBox.Hidden, "12.50 short is within the 50.00 limit")
	require.Contains(t, texts(h.Content()), "营业日", "the screen says whose business day a shift across midnight is")

	// A float left above what was counted is refused.
	h.FloatLeft.SetText("2000")
	require.NotEmpty(t, h.FloatErr.Text)
	require.True(t, h.Confirm.Disabled())
	h.FloatLeft.SetText("300")
	require.False(t, h.Confirm.Disabled())

	// Enter confirms; step 3 says the report is queued and reprints it.
	enter(h.FloatLeft)
	require.Len(t, f.offs, 1)
	off := f.offs[0]
	require.Equal(t, map[string]int64{"100": 12, "20": 1, "0.5": 3}, off.count.Notes)
	require.Equal(t, app.Money(30000), off.floatLeft)
	require.Nil(t, off.cs)
	require.Equal(t, 3, h.Step)
	require.Contains(t, h.PrintMsg.Text, "打印")
	require.Same(t, fyne.Focusable(h.Finish), w.Canvas().Focused(), "the keyboard is on Done")
	test.Tap(h.Reprint)
	require.Equal(t, []int64{9}, f.prints)
	require.Contains(t, h.PrintMsg.Text, "已重新")

	// Enter on Done goes back to the workspace, now off shift.
	enter(h.Finish)
	require.Nil(t, v.Handover)
	require.Contains(t, v.State.Text, "未上班")
	require.False(t, v.ClockOnB.Disabled())
}

// Over the limit the review needs a manager's countersign: confirm stays
// off until both halves are typed; the clerk's own number is refused, as
// is a wrong PIN, each said beside the countersign and the PIN cleared;
// the manager's right PIN closes the shift.
func TestShift_CountersignRequiredRefusedForSelfThenAccepted(t *testing.T) {
	f := &fakeShifts{cashTaken: 103400, threshold: 5000}
	onShift(f, 20000) // expected 1,234.00
	v, w := newView(t, f)
	test.Tap(v.ClockOffB)
	h := v.Handover
	typeCount(h, []string{"11"}, "")
	enter(h.Coins)
	require.Equal(t, 2, h.Step)
	require.Contains(t, h.Variance.Text, "-￥134.00")
	require.False(t, h.csBox.Hidden, "a countersign is asked for")
	require.Contains(t, h.CSNote.Text, "￥50.00")
	require.True(t, h.Confirm.Disabled(), "not without a countersign")

	enter(h.FloatLeft)
	require.Same(t, h.CSCode, w.Canvas().Focused(), "Enter on the float moves to the countersign")
	require.Empty(t, f.offs)

	test.Type(h.CSCode, "1002")
	require.True(t, h.Confirm.Disabled(), "both halves are needed")
	enter(h.CSCode)
	test.Type(h.CSPIN, "1234")
	require.False(t, h.Confirm.Disabled())
	enter(h.CSPIN)
	require.Len(t, f.offs, 1)
	require.Equal(t, 2, h.Step, "the same person cannot countersign")
	require.Contains(t, h.CSMsg.Text, "不能为自己")
	require.Empty(t, h.CSPIN.Text, "the PIN is typed again")
	require.Same(t, h.CSPIN, w.Canvas().Focused())
	_, on, _ := f.Current(context.Background(), 2)
	require.True(t, on, "the shift is still open")

	h.CSCode.SetText("1001")
	test.Type(h.CSPIN, "0000")
	test.Tap(h.Confirm)
	require.Equal(t, 2, h.Step)
	require.Contains(t, h.CSMsg.Text, "密码错误")

	test.Type(h.CSPIN, "8888")
	test.Tap(h.Confirm)
	require.Equal(t, 3, h.Step)
	require.Equal(t, &appshift.Countersign{Code: "1001", PIN: "8888"}, f.offs[len(f.offs)-1].cs)
	require.Contains(t, h.Summary.Text, "王店长")
}

// Space on the clock-off button opens the count; the same key's
// character does not land in the first field.
func TestShift_SpaceOpensTheCountWithoutTypingIt(t *testing.T) {
	f := &fakeShifts{}
	onShift(f, 0)
	v, w := newView(t, f)
	w.Canvas().Focus(v.ClockOffB)
	v.ClockOffB.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
	require.NotNil(t, v.Handover)
	focused := w.Canvas().Focused()
	require.Same(t, v.Handover.Notes[0], focused)
	focused.TypedRune(' ')
	test.Type(v.Handover.Notes[0], "1 2")
	require.Equal(t, "12", v.Handover.Notes[0].Text)
}

// Esc at the count leaves without writing; the shift stays open.
func TestShift_EscCancelsTheHandover(t *testing.T) {
	f := &fakeShifts{}
	onShift(f, 0)
	v, _ := newView(t, f)
	test.Tap(v.ClockOffB)
	h := v.Handover
	test.Type(h.Notes[0], "3")
	h.Notes[0].TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	require.Nil(t, v.Handover)
	require.Empty(t, f.offs)
	require.Contains(t, v.State.Text, "当班中")
}

// A sale between the review and the confirm that pushes the variance
// over the limit: the clock-off is refused, the review is read again and
// asks for the countersign.
func TestShift_VarianceMovedOverTheLimitAsksForACountersign(t *testing.T) {
	f := &fakeShifts{cashTaken: 0, threshold: 5000}
	onShift(f, 0)
	v, _ := newView(t, f)
	test.Tap(v.ClockOffB)
	h := v.Handover
	typeCount(h, nil, "0")
	enter(h.Coins)
	require.True(t, h.csBox.Hidden)
	f.mu.Lock()
	f.cashTaken = 10000
	f.mu.Unlock()
	test.Tap(h.Confirm)
	require.Equal(t, 2, h.Step)
	require.False(t, h.csBox.Hidden)
	require.Contains(t, h.Expected.Text, "￥100.00")
	require.NotEmpty(t, h.ReviewMsg.Text)
}

func TestYuan(t *testing.T) {
	for in, want := range map[app.Money]string{0: "￥0.00", 5: "￥0.05", 123400: "￥1,234.00", 100000000: "￥1,000,000.00",
		-1250: "-￥12.50", 99999: "￥999.99"} {
		require.Equal(t, want, Yuan(in))
	}
}

func TestParsePieces_FullWidthDigits(t *testing.T) {
	n, err := parsePieces(appshift.Denominations[0], "１２")
	require.NoError(t, err)
	require.Equal(t, int64(12), n)
	_, err = parseCoins("-1")
	require.Error(t, err)
	_, err = parseCoins("10000.01")
	require.ErrorIs(t, err, appshift.ErrCoinsTooMuch)
	m, err := parseCoins("10000")
	require.NoError(t, err)
	require.Equal(t, appshift.MaxCoins, m)
}

// texts joins every label's and entry's text under o.
func texts(o fyne.CanvasObject) string {
	var b strings.Builder
	walk(o, func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Label:
			b.WriteString(x.Text + "\n")
		case *widget.Entry:
			b.WriteString(x.Text + "\n")
		case *Field:
			b.WriteString(x.Text + "\n")
		case *widget.Button:
			b.WriteString(x.Text + "\n")
		}
	})
	return b.String()
}

func walk(o fyne.CanvasObject, fn func(fyne.CanvasObject)) {
	if o == nil || !o.Visible() {
		return
	}
	fn(o)
	switch c := o.(type) {
	case *fyne.Container:
		for _, ch := range c.Objects {
			walk(ch, fn)
		}
	case fyne.Widget:
		r := test.WidgetRenderer(c)
		for _, ch := range r.Objects() {
			walk(ch, fn)
		}
	}
}

var manager = app.Staff{ID: 1, Code: "1001", Name: "王店长", Role: app.RoleManager,
	Permissions: map[string]bool{app.PermShiftHandover: true, app.PermViewStoreOrders: true}}

// 李娜 went home without clocking off: the store manager closes her shift
// from the list of the store's shifts. The wizard says whose shift it is;
// a variance over the limit asks for no second PIN, the manager's own
// authority stands for it; a clerk is never offered this.
func TestShift_ManagerClosesSomeoneElsesShift(t *testing.T) {
	f := &fakeShifts{cashTaken: 103400, threshold: 5000}
	onShift(f, 20000) // 李娜's, expected 1,234.00
	v, _ := newViewAs(t, f, manager)
	require.True(t, v.canCloseFor(*f.open))
	cv, _ := newView(t, f)
	require.False(t, cv.canCloseFor(appshift.Shift{StaffID: 5}), "a clerk closes only their own")

	v.closeFor(*f.open)
	h := v.Handover
	require.NotNil(t, h)
	require.True(t, h.onBehalf())
	typeCount(h, []string{"11"}, "")
	enter(h.Coins)
	require.Equal(t, 2, h.Step)
	require.Contains(t, h.Variance.Text, "-￥134.00")
	require.True(t, h.csBox.Hidden, "no second PIN: the manager is the countersign")
	require.False(t, h.Confirm.Disabled())
	test.Tap(h.Confirm)
	require.Equal(t, 3, h.Step)
	require.Equal(t, []int64{1}, f.actors)
	require.Nil(t, f.offs[0].cs)
	require.Contains(t, h.Summary.Text, "李娜", "the summary names whose shift it was")
}
