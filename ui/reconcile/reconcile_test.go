package reconcile

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/reconcile"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/postheme"
)

// The view through the fyne test driver, by keyboard, against a fake
// reconciler that keeps runs as app/reconcile does.

type rig struct {
	t         *testing.T
	rec       *fakeRec
	win       fyne.Window
	v         *View
	overrides []string
}

func newRig(t *testing.T, change ...func(*Deps)) *rig {
	t.Helper()
	async.Synchronous = true
	require.NoError(t, i18n.Use(i18n.Chinese))
	test.NewTempApp(t).Settings().SetTheme(postheme.New()) // the app's sizes: the fit check measures them
	r := &rig{t: t, rec: newFake()}
	r.win = test.NewTempWindow(t, nil)
	r.win.Resize(fyne.NewSize(1024, 768))
	d := Deps{Reconciler: r.rec, Staff: app.Staff{ID: 7, Code: "1003", Name: "李娜"}, Zone: shanghai,
		Window: r.win, Canvas: r.win.Canvas(),
		Override: func(perm string, then func()) {
			r.overrides = append(r.overrides, perm)
			r.rec.mu.Lock()
			r.rec.approved = true
			r.rec.mu.Unlock()
			then()
		}}
	for _, c := range change {
		c(&d)
	}
	r.v = New(d)
	t.Cleanup(r.v.Stop)
	r.win.SetContent(r.v.Content())
	r.win.Canvas().Focus(r.v.Focus())
	return r
}

func (r *rig) focused() fyne.Focusable {
	f := r.win.Canvas().Focused()
	require.NotNil(r.t, f, "something has the focus")
	return f
}

// key presses k where the focus is.
func (r *rig) key(k fyne.KeyName) { r.focused().TypedKey(&fyne.KeyEvent{Name: k}) }

func (r *rig) typeIn(text string) { test.Type(r.focused(), text) }

func (r *rig) refs() []string {
	var out []string
	for _, d := range r.v.Shown() {
		out = append(out, d.Ref)
	}
	return out
}

// runRow is a kept run's row as shown.
func (r *rig) runRow(row int) []string {
	var out []string
	for c := range runColumns {
		out = append(out, r.v.RunCell(row, c))
	}
	return out
}

func (r *rig) line(row int) []string {
	var out []string
	for c := range lineColumns {
		out = append(out, r.v.Cell(row, c))
	}
	return out
}

// selectRef moves the choice to the line about ref by ↑/↓.
func (r *rig) selectRef(ref string) {
	r.t.Helper()
	for i := 0; i < 20; i++ {
		r.key(fyne.KeyUp)
	}
	for i := 0; i < len(r.v.Shown()); i++ {
		if d, _ := r.v.Selected(); d.Ref == ref {
			return
		}
		r.key(fyne.KeyDown)
	}
	d, _ := r.v.Selected()
	require.Equal(r.t, ref, d.Ref)
}

func TestReconcileView_OpensOnYesterdayWithNothingKept(t *testing.T) {
	r := newRig(t)
	assert.Equal(t, "2026-11-30", r.v.Day.Text)
	assert.Equal(t, r.v.Day, r.focused())
	assert.Equal(t, "2026-11-30 全部通道：还没有对账结果，按 F5 对账", r.v.Summary.Text)
	assert.Empty(t, r.v.Shown())
	assert.Equal(t, []string{"全部通道", "微信支付", "支付宝"}, r.v.Channel.Options)
	assert.Equal(t, "已保存的对账结果：2026-10-31 至 2026-12-01（点一行查看那一天）", r.v.History.Text)
	assert.True(t, r.v.Settle.Disabled(), "nothing to settle")
	assert.True(t, r.v.Explain.Disabled())
	// The buttons show their keys.
	assert.Equal(t, "对账 F5", r.v.Run.Text)
	assert.Equal(t, "查询并结算 Enter", r.v.Settle.Text)
	assert.Equal(t, "标记已说明 F6", r.v.Explain.Text)
	assert.Equal(t, "显示全部 F8", r.v.Filter.Text)
	assert.Equal(t, "前一天 PgUp", r.v.Prev.Text)
	assert.Equal(t, "后一天 PgDn", r.v.Next.Text)
	_, settles, _ := r.rec.calls()
	r.key(fyne.KeyReturn)
	assert.Empty(t, settles, "Enter with no line chosen does nothing")
}

// F5 runs every configured channel: the totals and every difference are
// shown as kept; a channel without a bill yet is said in words.
func TestReconcileView_RunShowsTotalsAndDifferences(t *testing.T) {
	r := newRig(t)
	r.key(KeyRun)

	runs, _, _ := r.rec.calls()
	assert.Equal(t, []key{{billDay, app.ChannelWeChat}, {billDay, app.ChannelAlipay}}, runs)
	assert.Equal(t, "微信支付：有差异，待处理 4 条\n支付宝：支付宝 还没有 2026-11-30 的账单，请稍后再对账", r.v.Status.Text)
	assert.Equal(t, widget.DangerImportance, r.v.Status.Importance)
	assert.NotContains(t, r.v.Status.Text, "已对平")

	require.Equal(t, 2, len(r.v.runs))
	assert.Equal(t, []string{"▶ 2026-11-30", "微信支付", "有差异，待处理 4 条", "12-01 09:05", "3", "4", "0", "0",
		"4 笔 ￥72.50；退 1 笔 ￥5.00", "5 笔 ￥67.51；退 1 笔 ￥5.00", "￥0.38"}, r.runRow(0))
	assert.Equal(t, []string{"▶ 2026-11-30", "支付宝", "账单未出", "12-01 09:05", "0", "0", "0", "0",
		"0 笔 ￥0.00；退 0 笔 ￥0.00", "0 笔 ￥0.00；退 0 笔 ￥0.00", "￥0.00"}, r.runRow(1))

	assert.Equal(t, "2026-11-30 全部通道：待处理 4 条 · 已说明 0 条 · 已结算 0 条；支付宝：账单未出", r.v.Summary.Text)
	assert.Equal(t, []string{refOnly, refHere, refAmount, refUnknown}, r.refs(), "the open lines, in the kept order")
	assert.Equal(t, []string{"▶ 微信支付", "本机无记录", refOnly, "无", "已收款 ￥8.00", "待处理", "4200006", "收款"}, r.line(0))
	assert.Equal(t, []string{"  微信支付", "账单无此笔", refHere, "已完成 ￥20.00", "无", "待处理", "", "收款"}, r.line(1))
	assert.Equal(t, []string{"  微信支付", "金额不符", refAmount, "已完成 ￥10.00", "已收款 ￥10.01", "待处理", "4200004", "收款"}, r.line(2))
	assert.Equal(t, []string{"  微信支付", "状态不符", refUnknown, "未确定 ￥7.00", "已收款 ￥7.00", "待处理", "4200005", "收款"}, r.line(3))
	assert.Equal(t, "微信支付 · 本机无记录 · 收款　单号 "+refOnly+" · 订单 — · 通道单号 4200006\n"+
		"本机：无　账单：已收款 ￥8.00　时间：2026-11-30 10:01:00\n处理：待处理", r.v.DetailText())
	assert.False(t, r.v.Settle.Disabled())

	// F8: every kept line, the matched copy too.
	r.key(KeyFilter)
	assert.Equal(t, "只看待处理 F8", r.v.Filter.Text)
	require.Len(t, r.v.Shown(), 5)
	assert.Equal(t, []string{"  微信支付", "相符", refCopy, "已完成 ￥12.50", "已收款 ￥12.50", "相符（账单中多列了 1 行，只计一次）", "4200001", "收款"}, r.line(4))

	// F7: one channel; the rows and lines follow.
	r.key(KeyChannel)
	assert.Equal(t, "微信支付", r.v.Channel.Selected)
	assert.Len(t, r.v.Shown(), 5)
	assert.Equal(t, "▶ 2026-11-30", r.v.RunCell(0, 0))
	assert.Equal(t, "  2026-11-30", r.v.RunCell(1, 0), "alipay's run is not the one shown")
	r.key(KeyChannel)
	assert.Equal(t, "支付宝", r.v.Channel.Selected)
	assert.Empty(t, r.v.Shown())
	assert.Equal(t, "2026-11-30 支付宝：待处理 0 条 · 已说明 0 条 · 已结算 0 条；支付宝：账单未出", r.v.Summary.Text)
	assert.Equal(t, widget.DangerImportance, r.v.Summary.Importance, "no bill is not an empty day")
	r.key(KeyChannel)
	assert.Equal(t, "全部通道", r.v.Channel.Selected)
}

// A bill the channel has not cut yet, beside an earlier result of the day
// that stands: the words say so, never "all matched".
func TestReconcileView_NoBillYetIsSaidInWords(t *testing.T) {
	r := newRig(t)
	done := reconcile.Result{Run: reconcile.Run{ID: 9, Day: billDay, Channel: app.ChannelAlipay, Status: reconcile.StatusDone, ReconciledAt: ranAt.Add(-time.Hour)}}
	r.rec.kept[key{billDay, app.ChannelAlipay}] = done
	r.key(KeyChannel)
	r.key(KeyChannel)
	require.Equal(t, "支付宝", r.v.Channel.Selected)
	r.key(KeyRun)

	runs, _, _ := r.rec.calls()
	assert.Equal(t, []key{{billDay, app.ChannelAlipay}}, runs, "only the channel chosen")
	assert.Equal(t, "支付宝：支付宝 还没有 2026-11-30 的账单，请稍后再对账", r.v.Status.Text)
	assert.Equal(t, widget.DangerImportance, r.v.Status.Importance)
	assert.Equal(t, "已对平（最近一次对账未成功）", r.v.RunCell(0, 2))

	// A bill refused: the client's words.
	r.rec.failures[app.ChannelAlipay] = reconcile.ErrBillUnusable.With("Channel", app.ChannelTitle(app.ChannelAlipay),
		"Day", billDay.String(), "Reason", "not a whole zip")
	r.key(KeyRun)
	assert.Equal(t, "支付宝：支付宝 2026-11-30 的账单无法使用：not a whole zip", r.v.Status.Text)

	// No channel configured at all.
	r.rec.chans = nil
	r2 := newRig(t, func(d *Deps) { d.Reconciler = r.rec })
	r2.key(KeyRun)
	assert.Equal(t, "没有配置支付通道，无法对账", r2.v.Status.Text)
}

// Enter settles the chosen line through the use case and shows it as it
// now stands.
func TestReconcileView_SettleTurnsALineSettled(t *testing.T) {
	r := newRig(t)
	r.key(KeyRun)
	r.rec.settleTo[14] = reconcile.Difference{Kind: reconcile.Matched, LocalState: reconcile.LocalMoved, LocalStored: "paid", LocalAmount: 700}

	r.selectRef(refUnknown)
	r.key(KeySettle)
	_, settles, _ := r.rec.calls()
	assert.Equal(t, []int64{14}, settles)
	assert.Equal(t, refUnknown+"：查询后与账单相符，已结算", r.v.Status.Text)
	assert.Equal(t, widget.SuccessImportance, r.v.Status.Importance)
	assert.Equal(t, []string{refOnly, refHere, refAmount}, r.refs(), "settled: no longer open")
	assert.Equal(t, "3", r.v.RunCell(0, 5), "open")
	assert.Equal(t, "1", r.v.RunCell(0, 7), "settled")
	d, _ := r.v.Selected()
	assert.Equal(t, refAmount, d.Ref, "the choice stays at its place")
	r.key(KeyFilter)
	for i, d := range r.v.Shown() {
		if d.Ref == refUnknown {
			assert.Equal(t, "已完成 ￥7.00", r.v.Cell(i, 3))
			assert.Equal(t, "查询处理后相符（王店长）", r.v.Cell(i, 5))
		}
	}
	r.key(KeyFilter)

	// Settled here already: the line stays, in words.
	r.selectRef(refHere)
	r.key(KeySettle)
	assert.Equal(t, refHere+"：查询后仍是“账单无此笔”（本机 已完成 ￥20.00，账单 无）：请核实后标记已说明", r.v.Status.Text)
	assert.Equal(t, widget.WarningImportance, r.v.Status.Importance)
	assert.Contains(t, r.refs(), refHere)

	// Nothing here to settle: the use case's words.
	r.selectRef(refOnly)
	r.key(KeySettle)
	assert.Equal(t, refOnly+" 未能结算：本机没有 "+refOnly+" 的记录，无法向通道查询处理；请核实后填写说明", r.v.Status.Text)
	assert.Equal(t, widget.DangerImportance, r.v.Status.Importance)

	// A channel that cannot be reached.
	r.rec.settleErr = errors.New("dial tcp: timeout")
	r.selectRef(refAmount)
	r.key(KeySettle)
	assert.Contains(t, r.v.Status.Text, refAmount+" 未能结算：")
	assert.Contains(t, r.v.Status.Text, "dial tcp: timeout")
	assert.Empty(t, r.overrides)
}

// F6 asks for a note: required, Enter confirms, Esc cancels; the note is
// recorded on the line.
func TestReconcileView_ExplainRequiresANote(t *testing.T) {
	r := newRig(t)
	r.key(KeyRun)
	r.selectRef(refOnly)

	r.key(KeyExplain)
	n := r.v.Note
	require.NotNil(t, n)
	assert.Equal(t, n.Note, r.focused(), "the note takes the keys")
	assert.Contains(t, n.Line.Text, refOnly)
	r.key(fyne.KeyReturn)
	assert.Equal(t, "请写明原因", n.Message.Text)
	assert.False(t, n.Closed())
	r.typeIn("   ")
	r.key(fyne.KeyReturn)
	assert.Equal(t, "请写明原因", n.Message.Text)
	// The view's keys wait while the dialog is open.
	assert.False(t, r.v.Key(KeyRun))
	runs, _, explains := r.rec.calls()
	assert.Empty(t, explains)
	assert.Len(t, runs, 2)

	r.key(fyne.KeyEscape)
	assert.True(t, n.Closed())
	assert.Nil(t, r.v.Note)
	assert.Equal(t, r.v.Day, r.focused(), "the keys are the view's again")
	_, _, explains = r.rec.calls()
	assert.Empty(t, explains, "Esc writes nothing")

	r.key(KeyExplain)
	n = r.v.Note
	require.NotNil(t, n)
	r.typeIn(strings.Repeat("长", reconcile.MaxNote+1))
	r.key(fyne.KeyReturn)
	assert.Equal(t, "说明最多 500 个字", n.Message.Text)
	n.Note.SetText("")
	r.typeIn("顾客在前台另付，已核对")
	r.key(fyne.KeyReturn)
	assert.True(t, n.Closed())
	_, _, explains = r.rec.calls()
	assert.Equal(t, []string{refOnly + ": 顾客在前台另付，已核对"}, explains)
	assert.Equal(t, refOnly+"：已标记为已说明（已记入审计日志）", r.v.Status.Text)
	assert.NotContains(t, r.refs(), refOnly)
	assert.Equal(t, "1", r.v.RunCell(0, 6), "explained")
	assert.Equal(t, "3", r.v.RunCell(0, 5), "open")

	r.key(KeyFilter)
	for i, d := range r.v.Shown() {
		if d.Ref == refOnly {
			assert.Equal(t, "已说明：顾客在前台另付，已核对（王店长）", r.v.Cell(i, 5))
		}
	}
}

// A person without the settings permission is offered a manager's
// override, and the action then goes through.
func TestReconcileView_OverrideOnARefusal(t *testing.T) {
	r := newRig(t)
	r.key(KeyRun)
	r.rec.mayResolve = false
	r.rec.settleTo[14] = reconcile.Difference{Kind: reconcile.Matched, LocalState: reconcile.LocalMoved, LocalStored: "paid", LocalAmount: 700}

	r.selectRef(refUnknown)
	r.key(KeySettle)
	assert.Equal(t, []string{reconcile.PermResolve}, r.overrides)
	_, settles, _ := r.rec.calls()
	assert.Equal(t, []int64{14}, settles, "refused, then done once approved")
	assert.NotContains(t, r.refs(), refUnknown)

	r.selectRef(refAmount)
	r.key(KeyExplain)
	r.typeIn("通道少收 1 分，已与客服核实")
	r.key(fyne.KeyReturn)
	assert.Equal(t, []string{reconcile.PermResolve, reconcile.PermResolve}, r.overrides)
	_, _, explains := r.rec.calls()
	assert.Equal(t, []string{refAmount + ": 通道少收 1 分，已与客服核实"}, explains, "the note typed before the override")
	assert.Nil(t, r.v.Note)
	assert.NotContains(t, r.refs(), refAmount)

	// No override offered: the refusal in words, nothing done.
	r2 := newRig(t, func(d *Deps) { d.Override = nil })
	r2.rec.mayResolve = false
	r2.key(KeyRun)
	r2.selectRef(refAmount)
	r2.key(KeySettle)
	assert.Equal(t, "sz01T1P0004 未能结算：李娜 没有系统设置权限", r2.v.Status.Text)
	_, settles, _ = r2.rec.calls()
	assert.Empty(t, settles)
}

// PgUp/PgDn and a typed day read that day's kept runs; a day that cannot
// be read clears the lines, so Enter settles nothing.
func TestReconcileView_DaysByKeyboard(t *testing.T) {
	r := newRig(t)
	r.key(KeyRun)
	require.Len(t, r.v.Shown(), 4)

	r.key(KeyPrev)
	assert.Equal(t, "2026-11-29", r.v.Day.Text)
	assert.Empty(t, r.v.Shown())
	assert.Equal(t, "  2026-11-30", r.v.RunCell(0, 0), "the 30th is kept, not chosen")
	r.key(KeyNext)
	assert.Equal(t, "2026-11-30", r.v.Day.Text)
	assert.Len(t, r.v.Shown(), 4)

	r.v.Day.SetText("")
	r.typeIn("2026-13-01")
	assert.Equal(t, "无法识别账单日“2026-13-01”：请按 2026-11-30 填写", r.v.Status.Text)
	assert.Empty(t, r.v.Shown())
	r.key(fyne.KeyReturn)
	r.key(KeyRun)
	runs, settles, _ := r.rec.calls()
	assert.Empty(t, settles)
	assert.Len(t, runs, 2, "no run for a day that is not one")

	r.v.Day.SetText("")
	r.typeIn("2026-11-30")
	assert.Len(t, r.v.Shown(), 4)
	assert.Equal(t, "2026-11-30 全部通道：待处理 4 条 · 已说明 0 条 · 已结算 0 条；支付宝：账单未出", r.v.Summary.Text)

	// A row of the kept runs picks its day and channel.
	r.key(KeyPrev)
	test.Tap(r.v.Prev) // a button works too: the 28th
	assert.Equal(t, "2026-11-28", r.v.Day.Text)
	r.v.Runs.Select(widget.TableCellID{Row: 1, Col: 0})
	assert.Equal(t, "2026-11-30", r.v.Day.Text)
	assert.Equal(t, "支付宝", r.v.Channel.Selected)
	assert.Equal(t, r.v.Day, r.focused(), "the keys stay the view's after a tap")
}

// While the bills download, a busy bar shows and a second F5 waits;
// the result comes in when the channel answers.
func TestReconcileView_BusyWhileRunning(t *testing.T) {
	r := newRig(t)
	async.Synchronous, async.Serial = false, true
	t.Cleanup(func() { async.Synchronous, async.Serial = true, false })
	gate := make(chan struct{})
	r.rec.mu.Lock()
	r.rec.gate = gate
	r.rec.mu.Unlock()

	async.DoAndWait(func() { r.key(KeyRun) })
	ui := func(f func() bool) bool {
		var ok bool
		async.DoAndWait(func() { ok = f() })
		return ok
	}
	assert.True(t, ui(func() bool {
		return r.v.Busy.Visible() && r.v.Run.Disabled() && r.v.Status.Text == "正在下载 微信支付 2026-11-30 的账单并核对…"
	}))
	async.DoAndWait(func() { r.key(KeyRun) })
	close(gate)
	require.Eventually(t, func() bool { return ui(func() bool { return !r.v.Busy.Visible() && len(r.v.Shown()) == 4 }) },
		5*time.Second, 5*time.Millisecond)
	runs, _, _ := r.rec.calls()
	assert.Len(t, runs, 2, "one run of each channel: the second F5 was not taken")
	assert.True(t, ui(func() bool {
		return strings.HasPrefix(r.v.Status.Text, "微信支付：有差异") && !r.v.Run.Disabled()
	}))
}

// A day where everything matched says so, in the colour of success.
func TestReconcileView_AllMatched(t *testing.T) {
	r := newRig(t)
	r.rec.planted[app.ChannelWeChat] = reconcile.Result{Run: reconcile.Run{ID: 3, Channel: app.ChannelWeChat,
		Status: reconcile.StatusDone, Matched: 2, Bill: reconcile.Totals{Count: 2, Amount: 3000, Fee: 18},
		Local: reconcile.Totals{Count: 2, Amount: 3000}, ReconciledAt: ranAt}}
	r.key(KeyChannel)
	r.key(KeyRun)
	assert.Equal(t, "微信支付：已对平", r.v.Status.Text)
	assert.Equal(t, widget.SuccessImportance, r.v.Status.Importance)
	assert.Equal(t, "2026-11-30 微信支付：待处理 0 条 · 已说明 0 条 · 已结算 0 条", r.v.Summary.Text)
	assert.Equal(t, widget.SuccessImportance, r.v.Summary.Importance)
	assert.Empty(t, r.v.Shown())
	assert.True(t, r.v.Settle.Disabled())
}

func TestReconcileView_RefusalsAndLoadErrorsInWords(t *testing.T) {
	r := newRig(t)
	r.rec.mayView = false
	r.key(KeyRun)
	assert.Equal(t, "微信支付：李娜 没有查看门店交易权限", r.v.Status.Text)
	assert.Equal(t, "读取对账结果失败：李娜 没有查看门店交易权限", r.v.Summary.Text)
	runs, _, _ := r.rec.calls()
	assert.Empty(t, runs, "stopped at the first refusal")
	assert.Empty(t, r.overrides, "reading is not lent")

	r.rec.mayView = true
	r.rec.loadErr = errors.New("disk gone")
	r.key(KeyNext)
	assert.Contains(t, r.v.Summary.Text, "读取对账结果失败：")
	assert.Contains(t, r.v.Summary.Text, "disk gone")
	assert.Equal(t, widget.DangerImportance, r.v.Summary.Importance)
}

// The view fits the smallest screen beside the navigation bar, and the
// largest, in both languages.
func TestReconcileView_FitsTheScreen(t *testing.T) {
	for _, lang := range []string{i18n.Chinese, i18n.English} {
		t.Run(lang, func(t *testing.T) {
			r := newRig(t)
			require.NoError(t, i18n.Use(lang))
			defer i18n.Use(i18n.Chinese)
			v := New(Deps{Reconciler: r.rec, Staff: app.Staff{ID: 7}, Zone: shanghai, Window: r.win})
			defer v.Stop()
			v.press(KeyRun)
			min := v.Content().MinSize()
			// The workspace of the 1024×720 main window: right of the
			// navigation bar, between the title bar and the status bar.
			assert.LessOrEqual(t, min.Width, float32(830), fmt.Sprint(min))
			assert.LessOrEqual(t, min.Height, float32(590), fmt.Sprint(min))
			for _, size := range []fyne.Size{{Width: 830, Height: 590}, {Width: 1920 - 200, Height: 1080 - 120}} {
				r.win.SetContent(v.Content())
				r.win.Resize(size)
				assert.Greater(t, v.Lines.Size().Height, float32(120), "room for the lines at %v", size)
				assert.Greater(t, v.Runs.Size().Height, float32(60), "room for the runs at %v", size)
			}
		})
	}
}

func TestVisible_StoreTransactionsPermission(t *testing.T) {
	assert.True(t, Visible(app.Staff{Permissions: map[string]bool{app.PermViewStoreOrders: true}}))
	assert.False(t, Visible(app.Staff{Permissions: map[string]bool{app.PermSettings: true}}))
}
