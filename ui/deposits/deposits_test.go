package deposits

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/deposit"
	"cashier/app/payment"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/postheme"
)

// The Deposits workspace through the fyne test driver, by keyboard,
// against a fake desk that records every call.

var (
	zone = time.FixedZone("CST", 8*3600)
	t0   = time.Date(2026, 11, 20, 10, 0, 0, 0, zone)
	day  = 24 * time.Hour
)

type rig struct {
	t         *testing.T
	desk      *fakeDesk
	clock     *app.ManualClock
	win       fyne.Window
	v         *View
	overrides []string
	reprints  []string
}

func newRig(t *testing.T, change ...func(*Deps)) *rig {
	t.Helper()
	async.Synchronous = true
	require.NoError(t, i18n.Use(i18n.Chinese))
	test.NewTempApp(t).Settings().SetTheme(postheme.New()) // the app's sizes: the fit checks measure them
	r := &rig{t: t, clock: app.NewManualClock(t0)}
	r.desk = newDesk(r.clock)
	r.win = test.NewTempWindow(t, nil)
	r.win.Resize(fyne.NewSize(1024, 768))
	r.open(change...)
	return r
}

// open shows the workspace; a manager's override, when offered, is
// approved.
func (r *rig) open(change ...func(*Deps)) {
	d := Deps{Desk: r.desk, Staff: app.Staff{ID: 7, Code: "1003", Name: "李娜"}, Clock: r.clock, Location: zone,
		Canvas: r.win.Canvas(),
		Override: func(perm string, then func()) {
			r.overrides = append(r.overrides, perm)
			r.desk.mu.Lock()
			r.desk.approved = true
			r.desk.mu.Unlock()
			then()
		},
		Reprint: func(_ context.Context, no string) error { r.reprints = append(r.reprints, no); return nil }}
	for _, c := range change {
		c(&d)
	}
	if r.v != nil {
		r.v.Stop()
	}
	r.v = New(d)
	r.win.SetContent(r.v.Content())
	r.win.Canvas().Focus(r.v.Focus())
	r.t.Cleanup(r.v.Stop)
}

func (r *rig) focused() fyne.Focusable {
	f := r.win.Canvas().Focused()
	require.NotNil(r.t, f, "something has the focus")
	return f
}

// key presses k where the focus is.
func (r *rig) key(k fyne.KeyName) { r.focused().TypedKey(&fyne.KeyEvent{Name: k}) }

// typeIn types text where the focus is.
func (r *rig) typeIn(text string) { test.Type(r.focused(), text) }

// enter types text where the focus is and presses Enter.
func (r *rig) enter(text string) {
	if text != "" {
		r.typeIn(text)
	}
	r.key(fyne.KeyReturn)
}

// ui runs f on the UI goroutine, for tests whose work runs in the
// background.
func ui[T any](f func() T) T {
	var out T
	async.DoAndWait(func() { out = f() })
	return out
}

// eventually waits for cond, read on the UI goroutine.
func (r *rig) eventually(cond func() bool, msg string) {
	r.t.Helper()
	require.Eventually(r.t, func() bool { return ui(cond) }, 5*time.Second, 5*time.Millisecond, msg)
}

// background runs the use case's calls on their own goroutines, their
// results handed to the UI in turn, as at the till.
func background(t *testing.T) {
	async.Synchronous = false
	async.Serial = true
	t.Cleanup(func() { async.Synchronous, async.Serial = true, false })
}

// texts are the texts of every label under o.
func texts(o fyne.CanvasObject) string {
	var b strings.Builder
	walk(o, func(o fyne.CanvasObject) {
		switch l := o.(type) {
		case *widget.Label:
			b.WriteString(l.Text + "\n")
		case *canvas.Text:
			b.WriteString(l.Text + "\n")
		}
	})
	return b.String()
}

// walk visits what is shown under o.
func walk(o fyne.CanvasObject, fn func(fyne.CanvasObject)) {
	if !o.Visible() {
		return
	}
	fn(o)
	switch c := o.(type) {
	case *fyne.Container:
		for _, ch := range c.Objects {
			walk(ch, fn)
		}
	case fyne.Widget:
		for _, ch := range test.WidgetRenderer(c).Objects() {
			walk(ch, fn)
		}
	}
}

// fillForm types a deposit into the form by keyboard: Enter goes from
// field to field, the last one sends it.
func (r *rig) fillForm(amount, room, name, phone, note string) {
	r.key(KeyTake)
	require.Equal(r.t, stForm, r.v.st)
	r.focus(r.v.Amount)
	for _, s := range []string{amount, room, name, phone, note} {
		r.enter(s)
	}
}

// The whole check-in by keyboard: the form, Enter to the code, the
// guest's code, the green banner with the deposit's number; Enter starts
// the next one with an empty form.
func TestDeposits_TakeByKeyboard(t *testing.T) {
	r := newRig(t)
	r.key(KeyTake)
	r.focusIs(r.v.Amount, "the amount takes the keyboard")
	r.fillForm("500", "1208", "张伟", "138 1234 5678", "两晚")
	require.Len(t, r.desk.opened, 1)
	in := r.desk.opened[0]
	assert.Equal(t, app.Money(50000), in.Amount)
	assert.Equal(t, app.Guest{Room: "1208", Name: "张伟", Phone: "138 1234 5678"}, in.Guest)
	assert.Equal(t, "两晚", in.Note)
	assert.Equal(t, int64(7), in.Staff.ID)
	require.Equal(t, stCode, r.v.st)
	r.focusIs(r.v.Code, "")
	assert.Contains(t, r.v.Prompt.Text, "￥500.00")
	assert.Contains(t, r.v.Prompt.Text, "1208 房 · 张伟")
	assert.Equal(t, "冻结押金  Enter", r.v.Buttons["enter"].Text)

	r.enter("134567890123456789")
	require.Equal(t, []string{"134567890123456789"}, r.desk.codes)
	require.Equal(t, stTaken, r.v.st, r.v.Status.Text)
	no := r.desk.frozeFor[0]
	assert.Equal(t, "押金已冻结 ￥500.00", r.v.TakeBanner.Text.Text)
	assert.Equal(t, colorDone, r.v.TakeBanner.Colour)
	assert.Contains(t, r.v.TakeBanner.Sub.Text, no)
	assert.Contains(t, r.v.TakeBanner.Sub.Text, "尾号 "+app.ShortNo(no))
	assert.Contains(t, r.v.TakeBanner.Sub.Text, "1208 房 · 张伟")
	assert.Empty(t, r.v.Code.Text, "the guest's code is not left on screen")
	assert.Empty(t, r.v.Amount.Text, "the form is cleared for the next guest")

	r.key(KeyReprint)
	assert.Equal(t, []string{no}, r.reprints)

	r.key(fyne.KeyReturn)
	assert.Equal(t, stForm, r.v.st, "Enter: the next deposit")
	r.focusIs(r.v.Amount, "")
	r.key(fyne.KeyEscape)
	assert.Equal(t, stList, r.v.st)
	assert.Contains(t, r.v.Heading.Text, "在押押金 1 笔", "the new deposit is listed")
}

// A form that would be refused is said next to it in words, the cursor
// goes to the field, and nothing is sent.
func TestDeposits_TakeFormRefusedSendsNothing(t *testing.T) {
	r := newRig(t)
	for _, c := range []struct {
		name                             string
		amount, room, guest, phone, note string
		want                             string
		field                            func() fyne.Focusable
	}{
		{"no amount", "", "1208", "", "", "", "请输入押金金额", func() fyne.Focusable { return r.v.Amount }},
		{"not an amount", "5oo", "1208", "", "", "", "押金金额不对：金额格式不对", func() fyne.Focusable { return r.v.Amount }},
		{"zero", "0", "1208", "", "", "", "押金金额不对：金额必须大于0", func() fyne.Focusable { return r.v.Amount }},
		{"neither room nor name", "500", "", "", "13812345678", "", "请填写房号或客人姓名", func() fyne.Focusable { return r.v.Room }},
		{"room too long", "500", "12345678901234567", "", "", "", "房号太长（最多 16 个字）", func() fyne.Focusable { return r.v.Room }},
		{"phone with letters", "500", "1208", "", "138abc", "", "电话含有不能打印的字符", func() fyne.Focusable { return r.v.Phone }},
		{"note too long", "500", "1208", "", "", strings.Repeat("注", NoteMax+1), "备注太长（最多 60 个字）", func() fyne.Focusable { return r.v.Note }},
	} {
		r.key(KeyTake)
		for _, e := range r.v.form {
			e.SetText("")
		}
		r.fillForm(c.amount, c.room, c.guest, c.phone, c.note)
		assert.Equal(t, stForm, r.v.st, c.name)
		assert.Contains(t, r.v.FormErr.Text, c.want, c.name)
		assert.True(t, r.v.FormErr.Visible(), c.name)
		r.focusIs(c.field(), c.name)
		r.key(fyne.KeyEscape)
	}
	opened, codes, _, _, _, _ := r.desk.calls()
	assert.Zero(t, opened, "nothing sent")
	assert.Zero(t, codes)

	// A scan in the form is no payment code yet.
	r.key(KeyTake)
	r.v.scanned("134567890123456789")
	assert.Equal(t, stForm, r.v.st)
	assert.Contains(t, r.v.Status.Text, "再扫客人的付款码")
	_, codes, _, _, _, _ = r.desk.calls()
	assert.Zero(t, codes)
}

// Esc while the freeze runs cancels it at the channel with the freeze's
// own number; the seconds show meanwhile. The order stays for another
// code.
func TestDeposits_EscDuringFreezeCancels(t *testing.T) {
	r := newRig(t)
	r.desk.freezeState, r.desk.freezeMsg = payment.IntentReversed, app.Msg("pay.reversed")
	r.desk.block = make(chan struct{})
	r.fillForm("300", "0806", "", "", "")
	require.Equal(t, stCode, r.v.st)
	background(t)
	ui(func() bool { r.enter("134567890123456789"); return true })
	r.eventually(func() bool { return r.v.Seconds.Text == "已等待 2 秒" }, "the seconds show")
	assert.Equal(t, "取消收押金  Esc", ui(func() string { return r.v.Buttons["back"].Text }))
	assert.True(t, ui(func() bool { return r.v.Buttons["take"].Disabled() }))
	ui(func() bool {
		r.v.scanned("134567890123456780") // a second code meanwhile is not sent
		r.key(fyne.KeyEscape)
		return true
	})
	r.eventually(func() bool { return r.v.st == stCode }, "the freeze ended")
	r.desk.mu.Lock()
	assert.Equal(t, []string{"OT" + r.desk.frozeFor[0][len(r.desk.frozeFor[0])-1:]}, r.desk.cancelled)
	assert.Len(t, r.desk.codes, 1)
	r.desk.mu.Unlock()
	assert.Equal(t, "押金冻结失败", ui(func() string { return r.v.TakeBanner.Text.Text }))
	assert.Equal(t, colorFail, ui(func() any { return r.v.TakeBanner.Colour }))
	assert.Contains(t, ui(func() string { return r.v.TakeBanner.Sub.Text }), "已撤销")
}

// The guest's code scanned right after Enter sent the form, before the
// prompt for it shows (the order still being written), is the code: it is
// frozen once the order is written, not lost or typed into the note.
func TestDeposits_CodeScannedWhileTheOrderIsWritten(t *testing.T) {
	r := newRig(t)
	r.desk.openBlock = make(chan struct{})
	background(t)
	ui(func() bool { r.fillForm("300", "0806", "王芳", "", ""); return true })
	r.eventually(func() bool { return r.v.opening }, "the order is being written")
	ui(func() bool { r.v.scanned("134567890123456789"); return true })
	close(r.desk.openBlock)
	r.eventually(func() bool { return r.v.st == stTaken }, "frozen with the early code")
	// Stopped on the UI worker: the list's reload after the freeze then
	// draws nothing once this test is over.
	ui(func() bool { r.v.Stop(); return true })
	r.desk.mu.Lock()
	defer r.desk.mu.Unlock()
	assert.Equal(t, []string{"134567890123456789"}, r.desk.codes)
	assert.Len(t, r.desk.opened, 1)
}

// Esc at once, before the freeze has its number: the cancel goes out as
// soon as the number is known.
func TestDeposits_EscBeforeTheFreezeHasANumber(t *testing.T) {
	r := newRig(t)
	r.desk.freezeState = payment.IntentClosed
	r.desk.block = make(chan struct{})
	r.fillForm("300", "0806", "", "", "")
	// The freeze is held before its first event: the number is unknown.
	r.v.outTrade = ""
	r.v.show(stFreezing)
	r.v.cancelFreeze()
	assert.True(t, r.v.cancelWanted)
	assert.Equal(t, "正在取消：先查询，再撤销…", r.v.Status.Text)
	_, _, cancelled, _, _, _ := r.desk.calls()
	assert.Zero(t, cancelled)
	r.v.freezeEvent(payment.Event{Ref: "OT7", Msg: app.Msg("pay.paying"), Seconds: 1})
	_, _, cancelled, _, _, _ = r.desk.calls()
	assert.Equal(t, 1, cancelled)
	assert.Equal(t, []string{"OT7"}, r.desk.cancelled)
}

// The channel has not said how the freeze ended: amber 结果未确认, not
// failed; the next guest starts. A declined code is red and another
// code is tried on the same deposit, written once.
func TestDeposits_TakeUnsettledIsAmberDeclinedIsRed(t *testing.T) {
	r := newRig(t)
	r.desk.freezeState, r.desk.freezeMsg = payment.IntentFailed, app.Msg("declined.balance")
	r.fillForm("800", "", "王芳", "", "")
	r.enter("134567890123456789")
	require.Equal(t, stCode, r.v.st)
	assert.Equal(t, "押金冻结失败", r.v.TakeBanner.Text.Text)
	assert.Equal(t, colorFail, r.v.TakeBanner.Colour)
	assert.Contains(t, r.v.TakeBanner.Sub.Text, i18n.M(app.Msg("declined.balance")))
	r.focusIs(r.v.Code, "")

	r.desk.freezeState, r.desk.freezeMsg = payment.IntentUnknown, app.Msg("pay.unknown")
	r.v.scanned("284567890123456789")
	require.Equal(t, stTaken, r.v.st)
	assert.Equal(t, "结果未确认", r.v.TakeBanner.Text.Text)
	assert.Equal(t, colorOpen, r.v.TakeBanner.Colour)
	assert.Contains(t, r.v.TakeBanner.Sub.Text, "不会重复扣款")
	assert.Len(t, r.desk.opened, 1, "one deposit order for both codes")
	assert.Equal(t, []string{r.desk.frozeFor[0], r.desk.frozeFor[0]}, r.desk.frozeFor)
	assert.True(t, r.v.Buttons["reprint"].Disabled(), "nothing frozen to reprint")

	// Esc back to the form and Enter again writes no second order.
	r.desk.freezeState = payment.IntentFailed
	r.fillForm("800", "", "王芳", "", "")
	r.enter("134567890123456789")
	require.Equal(t, stCode, r.v.st)
	r.key(fyne.KeyEscape)
	require.Equal(t, stForm, r.v.st)
	assert.Equal(t, "800", r.v.Amount.Text, "the form keeps what was typed")
	r.focus(r.v.Note)
	r.key(fyne.KeyReturn)
	require.Equal(t, stCode, r.v.st)
	assert.Len(t, r.desk.opened, 2)
	assert.Empty(t, r.desk.abandonedNos(), "the unsettled order is recovery's, never voided")

	// A changed form writes a new order and voids the one whose freeze
	// failed: an unpaid deposit order must not wait at the handover.
	second := r.desk.frozeFor[len(r.desk.frozeFor)-1]
	r.key(fyne.KeyEscape)
	r.focus(r.v.Amount)
	r.v.Amount.SetText("900")
	r.focus(r.v.Note)
	r.key(fyne.KeyReturn)
	require.Equal(t, stCode, r.v.st)
	assert.Len(t, r.desk.opened, 3)
	assert.Equal(t, []string{second}, r.desk.abandonedNos())

	// Leaving the workspace with a written, unfrozen order voids it too.
	r.v.Stop()
	require.Eventually(t, func() bool { return len(r.desk.abandonedNos()) == 2 }, 5*time.Second, 5*time.Millisecond)
}

func (r *rig) focus(f fyne.Focusable) { r.win.Canvas().Focus(f) }

// focusIs checks f has the keyboard (compared by identity: a failure
// would print the whole widget tree otherwise).
func (r *rig) focusIs(f fyne.Focusable, msg string) {
	r.t.Helper()
	assert.True(r.t, r.win.Canvas().Focused() == f, msg)
}

// seed is a store with three deposits: a fresh one, one of the same last
// six, and a settled one.
func seed(r *rig) (a, b *payment.Deposit) {
	a = r.desk.add(payment.Deposit{DepositNo: "1001T261118000001234567", TransactionID: "4200000001202611180001", Amount: 50000,
		Room: "1208", GuestName: "张伟", GuestPhone: "13812345678"}, 2*day)
	b = r.desk.add(payment.Deposit{DepositNo: "1001T261119000009234567", TransactionID: "4200000001202611190002", Amount: 30000,
		Room: "0806", GuestName: "王芳", Wallet: app.WalletAlipay}, day)
	r.desk.add(payment.Deposit{DepositNo: "1001T261101000000111111", Amount: 20000, Room: "1501", GuestName: "赵磊",
		State: payment.DepositReleased, Released: 20000}, 19*day)
	r.desk.note[a.DepositNo] = "两晚"
	return a, b
}

// The receipt's barcode scanned (from the app's scan stream, wherever the
// focus is) opens the deposit; its details mask the phone.
func TestDeposits_FindByScannedReceipt(t *testing.T) {
	scans := make(chan string, 1)
	stopped := false
	r := newRig(t)
	a, _ := seed(r)
	r.open(func(d *Deps) {
		d.Scans = func() (<-chan string, func()) { return scans, func() { stopped = true; close(scans) } }
	})
	background(t)
	scans <- a.DepositNo
	r.eventually(func() bool { return r.v.st == stDetail }, "the deposit opened")
	info := ui(func() string { return texts(r.v.Content()) })
	assert.Contains(t, info, a.DepositNo)
	assert.Contains(t, info, "138****5678")
	assert.NotContains(t, info, "13812345678")
	assert.Contains(t, info, "冻结中 ￥500.00")
	assert.Contains(t, info, "已 2 天")
	assert.Contains(t, info, "2026-12-18 10:00", "WeChat's 30 days from the freeze")
	assert.Equal(t, []string{a.DepositNo}, r.desk.finds)
	ui(func() bool { r.v.Stop(); return true })
	assert.True(t, stopped)
}

// The wallet's transaction number scanned opens its deposit; a sale's
// receipt is refused by name; last six shared by two lists both to
// choose from.
func TestDeposits_FindByTransactionNumberAndLastSix(t *testing.T) {
	r := newRig(t)
	a, b := seed(r)
	r.v.scanned(b.TransactionID)
	require.Equal(t, stDetail, r.v.st, r.v.Status.Text)
	assert.Equal(t, b.DepositNo, r.v.dep.DepositNo)
	assert.Contains(t, texts(r.v.Content()), "支付宝")
	assert.NotContains(t, texts(r.v.Content()), "自动退还", "Alipay states no automatic limit")

	r.key(fyne.KeyEscape)
	require.Equal(t, stList, r.v.st)
	r.v.scanned("SALE00012345")
	assert.Equal(t, stList, r.v.st)
	assert.Equal(t, "SALE00012345 是销售单号，不是押金单号", r.v.Status.Text)

	// Typed: the last six of two deposits.
	r.v.Query.SetText("")
	r.focus(r.v.Query)
	r.enter("234567")
	require.Equal(t, stList, r.v.st)
	require.Equal(t, modeFound, r.v.mode)
	require.Len(t, r.v.Rows, 2)
	assert.Contains(t, r.v.Status.Text, "2 笔押金与 234567 相符")
	r.key(fyne.KeyDown)
	r.key(fyne.KeyReturn)
	require.Equal(t, stDetail, r.v.st)
	assert.Equal(t, a.DepositNo, r.v.dep.DepositNo)
	assert.Contains(t, texts(r.v.Content()), "两晚", "the note the list read")

	// A typed number nobody has is said.
	r.key(fyne.KeyEscape)
	r.key(fyne.KeyEscape)
	r.focus(r.v.Query)
	r.enter("999999")
	assert.Equal(t, "没有找到 999999", r.v.Status.Text)
}

// Typed text searches the open deposits by room or name; F3 shows the
// filters (the last 30 days in the store's zone, held only) and every
// change searches again; a filter that cannot be read is said and
// nothing is asked.
func TestDeposits_SearchByTextAndFilters(t *testing.T) {
	r := newRig(t)
	seed(r)
	r.v.load()
	require.Len(t, r.v.Rows, 2, "the held deposits")
	assert.Contains(t, r.v.Heading.Text, "在押押金 2 笔，冻结中共 ￥800.00")
	assert.False(t, r.v.filters.Visible())

	r.enter("12")
	require.Len(t, r.v.Rows, 1)
	last := r.desk.searches[len(r.desk.searches)-1]
	assert.Equal(t, deposit.Filter{Open: true, Text: "12"}, last)
	r.v.Query.SetText("")
	r.enter("王")
	require.Len(t, r.v.Rows, 1)
	assert.Equal(t, "王芳", r.v.Rows[0].GuestName)

	r.key(KeyFind)
	require.True(t, r.v.filters.Visible())
	last = r.desk.searches[len(r.desk.searches)-1]
	assert.Equal(t, time.Date(2026, 10, 22, 0, 0, 0, 0, zone), last.From.In(zone))
	assert.Equal(t, time.Date(2026, 11, 21, 0, 0, 0, 0, zone), last.To.In(zone), "today included")
	assert.True(t, last.Open)
	assert.Equal(t, "王", last.Text)

	r.key(fyne.KeyEscape) // the text goes
	require.Equal(t, modeSearch, r.v.mode)
	assert.Len(t, r.v.Rows, 2)

	r.focus(r.v.Wallet)
	r.key(fyne.KeyRight)
	last = r.desk.searches[len(r.desk.searches)-1]
	assert.Equal(t, app.WalletWeChat, last.Wallet)
	require.Len(t, r.v.Rows, 1)

	r.focus(r.v.OpenOnly)
	r.typeIn(" ")
	last = r.desk.searches[len(r.desk.searches)-1]
	assert.False(t, last.Open)
	assert.Len(t, r.v.Rows, 2, "with the released one")

	n := len(r.desk.searches)
	r.focus(r.v.Min)
	r.enter("400")
	r.focus(r.v.Max)
	r.enter("100")
	assert.Equal(t, "最低金额大于最高金额", r.v.Status.Text)
	assert.Len(t, r.desk.searches, n+1, "the bad range is not asked")
	r.v.Max.SetText("")
	r.enter("")
	last = r.desk.searches[len(r.desk.searches)-1]
	assert.Equal(t, app.Money(40000), last.MinAmount)

	n = len(r.desk.searches)
	r.focus(r.v.From)
	r.v.From.SetText("2026-13-01")
	r.enter("")
	assert.Contains(t, r.v.Status.Text, "日期 2026-13-01 不对")
	r.focusIs(r.v.From, "")
	assert.Len(t, r.desk.searches, n)

	r.v.From.SetText("2026-11-19")
	r.focus(r.v.Query)
	r.key(fyne.KeyEscape)
	require.Equal(t, modeOpen, r.v.mode, "Esc: back to the held deposits")
	assert.Equal(t, deposit.Filter{Open: true}, r.desk.searches[len(r.desk.searches)-1])
}

// openFirst opens the newest deposit of the list by keyboard.
func (r *rig) openFirst() {
	r.v.load()
	r.focus(r.v.Query)
	r.key(fyne.KeyReturn)
	require.Equal(r.t, stDetail, r.v.st, r.v.Status.Text)
}

// Consume by keyboard: the amount shows what is charged and returned
// before Enter; more than is held, 0 or no amount are refused in words
// and nothing is sent; done shows charged and returned.
func TestDeposits_Consume(t *testing.T) {
	r := newRig(t)
	r.desk.add(payment.Deposit{DepositNo: "1001T261118000001234567", Amount: 50000, Room: "1208"}, day)
	r.openFirst()
	r.key(KeyConsume)
	require.Equal(t, stConsume, r.v.st)
	r.focusIs(r.v.Charge, "the amount to charge takes the keyboard")
	assert.Contains(t, r.v.Preview.Text, "最多 ￥500.00")

	r.typeIn("600")
	assert.Equal(t, "消费 ￥600.00 超过尚冻结的 ￥500.00", r.v.Preview.Text)
	assert.Equal(t, widget.DangerImportance, r.v.Preview.Importance)
	r.key(fyne.KeyReturn)
	assert.Equal(t, stConsume, r.v.st)
	r.v.Charge.SetText("0")
	r.key(fyne.KeyReturn)
	assert.Contains(t, r.v.Status.Text, "金额必须大于0")
	r.v.Charge.SetText("")
	r.key(fyne.KeyReturn)
	assert.Equal(t, "请输入消费金额（大于 0）", r.v.Status.Text)
	_, _, _, _, consumes, _ := r.desk.calls()
	assert.Zero(t, consumes, "nothing sent")

	r.typeIn("320")
	assert.Equal(t, "消费 ￥320.00，退还客人 ￥180.00", r.v.Preview.Text)
	r.key(fyne.KeyReturn)
	require.Equal(t, stOpResult, r.v.st, r.v.Status.Text)
	require.Len(t, r.desk.consumes, 1)
	assert.Equal(t, app.Money(32000), r.desk.consumes[0].Amount)
	assert.Equal(t, int64(7), r.desk.consumes[0].Staff.ID)
	assert.Equal(t, "押金已结算：消费 ￥320.00", r.v.OpBanner.Text.Text)
	assert.Equal(t, "消费 ￥320.00，退还客人 ￥180.00", r.v.OpBanner.Sub.Text)
	assert.Equal(t, colorDone, r.v.OpBanner.Colour)
	shown := texts(r.v.Content())
	assert.Contains(t, shown, "已消费")
	assert.Contains(t, shown, "成功", "the operation is listed")
	assert.True(t, r.v.Buttons["consume"].Disabled())

	// Consume again: refused in words, nothing sent.
	r.key(KeyConsume)
	assert.Equal(t, "押金 1001T261118000001234567 已消费结算", r.v.Status.Text)
	assert.Len(t, r.desk.consumes, 1)
	assert.Equal(t, stOpResult, r.v.st, "the result stays on screen")
	r.key(fyne.KeyReturn)
	assert.Equal(t, stList, r.v.st)
}

// Release asks first; Enter releases; the result shows what went back.
// A second release is refused in words; an answer not known is amber.
func TestDeposits_Release(t *testing.T) {
	r := newRig(t)
	r.desk.add(payment.Deposit{DepositNo: "1001T261118000001234567", Amount: 50000, Room: "1208"}, day)
	r.openFirst()
	r.key(KeyRelease)
	require.Equal(t, stRelease, r.v.st)
	assert.Equal(t, "退还全部 ￥500.00 给客人？Enter 确认，Esc 取消", r.v.Preview.Text)
	assert.Equal(t, "确认退押金  Enter", r.v.Buttons["enter"].Text)
	_, _, _, _, _, releases := r.desk.calls()
	assert.Zero(t, releases, "nothing before Enter")
	r.key(fyne.KeyEscape)
	require.Equal(t, stDetail, r.v.st)

	r.key(KeyRelease)
	r.key(fyne.KeyReturn)
	require.Equal(t, stOpResult, r.v.st, r.v.Status.Text)
	require.Len(t, r.desk.releases, 1)
	assert.Equal(t, "押金已退还 ￥500.00", r.v.OpBanner.Text.Text)
	assert.Equal(t, colorDone, r.v.OpBanner.Colour)
	assert.Equal(t, "已退还", r.v.HeldText.Text, "where it ended, not what is held (nothing)")

	r.key(KeyRelease)
	assert.Equal(t, "押金 1001T261118000001234567 已全额退还", r.v.Status.Text)
	assert.Len(t, r.desk.releases, 1)

	r.key(fyne.KeyReturn)
	assert.Equal(t, stList, r.v.st, "Enter after the result: back to the list")

	// Not answered: amber, said truthfully.
	r.desk.opState, r.desk.opMsg = payment.DepositOpUnknown, app.Msg("depop.later")
	r.desk.add(payment.Deposit{DepositNo: "1001T261119000009999999", Amount: 30000, Room: "0806"}, day)
	r.openFirst()
	r.key(KeyRelease)
	r.key(fyne.KeyReturn)
	require.Equal(t, stOpResult, r.v.st)
	assert.Equal(t, "结果未确认", r.v.OpBanner.Text.Text)
	assert.Equal(t, colorOpen, r.v.OpBanner.Colour)
	assert.Contains(t, r.v.OpBanner.Sub.Text, "稍后自动确认")
}

// A person without the deposit permission is refused; a manager's
// override is offered and the release tried again with it. Without an
// override offered, the refusal is said and nothing more happens.
func TestDeposits_NoPermissionThenOverride(t *testing.T) {
	r := newRig(t)
	r.desk.canSettle = false
	r.desk.add(payment.Deposit{DepositNo: "1001T261118000001234567", Amount: 50000, Room: "1208"}, day)
	r.open(func(d *Deps) { d.Override = nil })
	r.openFirst()
	r.key(KeyRelease)
	r.key(fyne.KeyReturn)
	assert.Equal(t, stDetail, r.v.st)
	assert.Equal(t, "李娜 没有押金操作权限", r.v.Status.Text)
	assert.Empty(t, r.overrides)

	r.open()
	r.openFirst()
	r.key(KeyConsume)
	r.enter("100")
	assert.Equal(t, []string{app.PermDeposit}, r.overrides)
	require.Equal(t, stOpResult, r.v.st, r.v.Status.Text)
	assert.Len(t, r.desk.consumes, 2, "refused, then done with the approval")
	assert.Equal(t, app.Money(10000), r.desk.consumes[1].Amount)
	assert.Equal(t, "押金已结算：消费 ￥100.00", r.v.OpBanner.Text.Text)
}

// Deposits near their wallet's automatic refund stand out in the warning
// colour with the days left, past it in the error colour; the count is
// at the top; one past the limit is refused before anything is sent.
func TestDeposits_NearLimitRowsColoured(t *testing.T) {
	r := newRig(t)
	r.desk.add(payment.Deposit{DepositNo: "A00000000000000000000001", Amount: 10000, Room: "0301"}, day)
	near := r.desk.add(payment.Deposit{DepositNo: "A00000000000000000000002", Amount: 20000, Room: "0302"}, 28*day)
	past := r.desk.add(payment.Deposit{DepositNo: "A00000000000000000000003", Amount: 30000, Room: "0303"}, 31*day)
	r.desk.add(payment.Deposit{DepositNo: "A00000000000000000000004", Amount: 40000, Room: "0304", Wallet: app.WalletAlipay}, 40*day)
	r.v.load()
	require.Len(t, r.v.Rows, 4, "every held deposit, however old")
	assert.Equal(t, "1 笔押金 3 天内将由钱包自动退还，请尽快结算；1 笔已过钱包自动退还期限，请核对", r.v.NearNote.Text)
	assert.Equal(t, widget.WarningImportance, r.v.NearNote.Importance)
	assert.True(t, r.v.NearNote.Visible())

	byNo := map[string][]string{}
	imps := map[string]widget.Importance{}
	for _, row := range r.v.Rows {
		texts, imp := r.v.cells(row)
		byNo[row.DepositNo], imps[row.DepositNo] = texts, imp
	}
	assert.Equal(t, widget.WarningImportance, imps[near.DepositNo])
	assert.Equal(t, "2 天后自动退还", byNo[near.DepositNo][8])
	assert.Equal(t, "28", byNo[near.DepositNo][7])
	assert.Equal(t, widget.DangerImportance, imps[past.DepositNo])
	assert.Equal(t, "已过自动退还期限", byNo[past.DepositNo][8])
	assert.Equal(t, widget.MediumImportance, imps["A00000000000000000000001"])
	assert.Equal(t, widget.MediumImportance, imps["A00000000000000000000004"], "Alipay: no known limit")

	// As drawn: the near row's labels are in the warning colour.
	var drawn *widget.Label
	walk(r.v.Content(), func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok && l.Text == "2 天后自动退还" {
			drawn = l
		}
	})
	require.NotNil(t, drawn, "the near row is on screen")
	assert.Equal(t, widget.WarningImportance, drawn.Importance)

	// Past the limit: the wallet has refunded it, nothing is sent.
	r.v.scanned(past.DepositNo)
	require.Equal(t, stDetail, r.v.st)
	assert.Contains(t, texts(r.v.Content()), "已过期限，钱包已自动退还")
	r.key(KeyRelease)
	assert.Equal(t, "押金 A00000000000000000000003 已有 31 天，钱包已自动退还", r.v.Status.Text)
	assert.Equal(t, stDetail, r.v.st)
	_, _, _, _, _, releases := r.desk.calls()
	assert.Zero(t, releases)
}

// Every page fits a 1024×768 window beside the navigation in both
// languages, and every button shows its key.
func TestDeposits_FitsAndKeysShown(t *testing.T) {
	for _, lang := range []string{i18n.Chinese, i18n.English} {
		r := newRig(t)
		require.NoError(t, i18n.Use(lang))
		t.Cleanup(func() { _ = i18n.Use(i18n.Chinese) })
		r.open()
		seed(r)
		fits := func(what string) {
			s := r.v.Content().MinSize()
			// The workspace of the 1024×720 main window: right of the
			// navigation bar, between the title bar and the status bar.
			assert.LessOrEqual(t, s.Width, float32(830), "%s %s width", lang, what)
			assert.LessOrEqual(t, s.Height, float32(590), "%s %s height", lang, what)
		}
		r.v.load()
		fits("open")
		r.key(KeyFind)
		fits("search")
		r.key(KeyTake)
		fits("form")
		r.fillForm("500", "1208", "", "", "")
		fits("code")
		r.enter("134567890123456789")
		fits("taken")
		r.key(KeyOpen)
		r.openFirst()
		r.key(KeyConsume)
		fits("consume")
		for id, b := range r.v.Buttons {
			assert.Regexp(t, `(F\d+|Enter|Esc)$`, b.Text, id)
		}
	}
}
