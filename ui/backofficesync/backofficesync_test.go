package backofficesync

import (
	"context"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/sync/backoffice/client"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/keybutton"
	"cashier/ui/postheme"
)

var (
	manager = app.Staff{ID: 1, Name: "王店长", Role: app.RoleManager, Permissions: map[string]bool{app.PermSettings: true}}
	clerk   = app.Staff{ID: 2, Name: "李娜", Role: app.RoleClerk, Permissions: map[string]bool{}}
)

type enrolCall struct {
	staff     int64
	url, code string
}

// fakeSync is the sync service as the test sets it. With gate set, SyncNow
// and PushNow report their progress and then wait for the gate (or their
// context).
type fakeSync struct {
	mu       sync.Mutex
	st       Status
	stErr    error
	enrolErr error
	enrols   []enrolCall
	progress []Progress
	gate     chan error
	syncErr  error
	syncs    int
	pushes   int
	subs     map[int]func()
	nextSub  int
}

func (f *fakeSync) Status(context.Context) (Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st, f.stErr
}

func (f *fakeSync) run(ctx context.Context, progress func(Progress)) error {
	f.mu.Lock()
	ps, gate, err := f.progress, f.gate, f.syncErr
	f.mu.Unlock()
	for _, p := range ps {
		progress(p)
	}
	if gate != nil {
		select {
		case err = <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return err
}

func (f *fakeSync) SyncNow(ctx context.Context, progress func(Progress)) error {
	f.mu.Lock()
	f.syncs++
	f.mu.Unlock()
	return f.run(ctx, progress)
}

func (f *fakeSync) PushNow(ctx context.Context, progress func(Progress)) error {
	f.mu.Lock()
	f.pushes++
	f.mu.Unlock()
	return f.run(ctx, progress)
}

func (f *fakeSync) Enrol(_ context.Context, staff int64, url, code string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.enrolErr != nil {
		return f.enrolErr
	}
	f.enrols = append(f.enrols, enrolCall{staff, url, code})
	f.st = Status{Enrolled: true, URL: url, Terminal: "t-new", Store: "S01"}
	return nil
}

func (f *fakeSync) Subscribe(fn func()) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.subs == nil {
		f.subs = map[int]func(){}
	}
	id := f.nextSub
	f.nextSub++
	f.subs[id] = fn
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.subs, id)
	}
}

func (f *fakeSync) notify() {
	f.mu.Lock()
	var fns []func()
	for _, fn := range f.subs {
		fns = append(fns, fn)
	}
	f.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

func (f *fakeSync) set(change func(f *fakeSync)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

func (f *fakeSync) calls() []enrolCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]enrolCall(nil), f.enrols...)
}

var at1042 = time.Date(2025, 3, 10, 10, 42, 0, 0, time.Local)

func enrolled() Status {
	return Status{Enrolled: true, URL: "http://127.0.0.1:8700", Terminal: "t-7f3a", Store: "S01", Unsynced: 12,
		LastPush: at1042, LastPull: at1042.Add(-time.Minute)}
}

type world struct {
	t    *testing.T
	sync *fakeSync
	v    *View
	w    fyne.Window
}

// newWorld shows the section for staff in a window the size of the
// workspace at 1024×768, everything on the test's goroutine.
func newWorld(t *testing.T, st Status, staff app.Staff) *world {
	t.Helper()
	async.Synchronous = true
	t.Cleanup(func() { async.Synchronous, async.Serial = false, false })
	require.NoError(t, i18n.Use(i18n.Chinese))
	t.Cleanup(func() { _ = i18n.Use(i18n.Chinese) })
	a := test.NewTempApp(t)
	a.Settings().SetTheme(postheme.New())
	x := &world{t: t, sync: &fakeSync{st: st}}
	x.w = test.NewTempWindow(t, widget.NewLabel(""))
	x.v = New(Deps{Sync: x.sync, Staff: staff, Window: x.w})
	t.Cleanup(x.v.Stop)
	x.w.SetContent(x.v.Content())
	x.w.Resize(fyne.NewSize(830, 590))
	return x
}

func enter(e fyne.Focusable) { e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) }

// scanInto feeds keys as the driver does: to the focused widget, else to
// the canvas.
func scanInto(c fyne.Canvas, keys string) {
	for _, r := range keys {
		if f := c.Focused(); f != nil {
			f.TypedRune(r)
		} else if fn := c.OnTypedRune(); fn != nil {
			fn(r)
		}
	}
	if f := c.Focused(); f != nil {
		enter(f)
	}
}

const qr = `{"v":1,"url":"https://bo.example.com:8700","code":"abcd-efgh-jklm-npqr"}`

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// The status in both languages: the back office, the terminal, the
// store, the demo mark, what waits, the last push and pull, and the last
// error in words.
func TestView_ShowsStatusInBothLanguages(t *testing.T) {
	st := enrolled()
	st.Demo = true
	st.LastError = &client.Error{Status: 401, Code: "auth_clock", Message: "timestamp is 7m0s from the server's clock"}
	st.LastTry = at1042.Add(3 * time.Minute)
	x := newWorld(t, st, manager)
	v := x.v
	assert.Equal(t, "已接入演示后台（本机内置，仅供体验）", v.State.Text)
	assert.Equal(t, "http://127.0.0.1:8700", v.Address.Text)
	assert.Equal(t, "t-7f3a", v.Terminal.Text)
	assert.Equal(t, "S01", v.Store.Text)
	assert.Equal(t, "12 条", v.Unsynced.Text)
	assert.Equal(t, "2025-03-10 10:42:00", v.LastPush.Text)
	assert.Equal(t, "2025-03-10 10:41:00", v.LastPull.Text)
	assert.True(t, v.LastError.Visible())
	assert.Contains(t, v.LastError.Text, "2025-03-10 10:45:00")
	assert.Contains(t, v.LastError.Text, "本机时钟与后台相差超过 5 分钟")
	assert.Equal(t, widget.WarningImportance, v.Unsynced.Importance, "unsynced while failing")
	assert.False(t, v.SyncNow.Disabled())
	assert.True(t, x.w.Canvas().Focused() == nil, "the page takes no field's focus by itself")
	assert.True(t, v.Focus() == v.Code)

	require.NoError(t, i18n.Use(i18n.English))
	en := New(Deps{Sync: x.sync, Staff: manager, Window: x.w})
	defer en.Stop()
	x.w.SetContent(en.Content())
	assert.Equal(t, "Demo back office (built in, to try out)", en.State.Text)
	assert.Equal(t, "12 records", en.Unsynced.Text)
	assert.Contains(t, en.LastError.Text, "clock is more than 5 minutes off")
	walk(en.Content(), func(o fyne.CanvasObject) {
		switch w := o.(type) {
		case *widget.Label:
			assert.False(t, hasHan(w.Text), "Chinese in English: %q", w.Text)
		case *widget.Button:
			assert.False(t, hasHan(w.Text), "Chinese in English: %q", w.Text)
		case *widget.Entry:
			assert.False(t, hasHan(w.PlaceHolder), "Chinese in English: %q", w.PlaceHolder)
		}
	})
}

// After a first pull the products sell by code while the terminal indexes
// them for search: the last pull says how many are left.
func TestView_SearchIndexLeft(t *testing.T) {
	st := enrolled()
	st.SearchPending = 812_000
	x := newWorld(t, st, manager)
	assert.Equal(t, "2025-03-10 10:41:00（已可扫码销售，名称搜索索引还剩 812,000 个商品）", x.v.LastPull.Text)
	x.sync.set(func(f *fakeSync) { f.st.SearchPending = 0 })
	x.sync.notify()
	assert.Equal(t, "2025-03-10 10:41:00", x.v.LastPull.Text)
}

// Not enrolled: said so, nothing to sync with, never pushed or pulled.
func TestView_NotEnrolled(t *testing.T) {
	x := newWorld(t, Status{Unsynced: 3}, manager)
	v := x.v
	assert.Equal(t, "未接入后台", v.State.Text)
	assert.Equal(t, widget.WarningImportance, v.State.Importance)
	assert.Equal(t, "—", v.Address.Text)
	assert.Equal(t, "3 条", v.Unsynced.Text)
	assert.Equal(t, "从未", v.LastPush.Text)
	assert.Equal(t, "从未", v.LastPull.Text)
	assert.False(t, v.LastError.Visible())
	assert.True(t, v.SyncNow.Disabled())
	test.Tap(v.SyncNow)
	assert.Zero(t, x.sync.syncs)
}

// A status that cannot be read is said in words.
func TestView_StatusUnreadable(t *testing.T) {
	x := newWorld(t, Status{}, manager)
	x.sync.set(func(f *fakeSync) { f.stErr = errors.New("disk I/O error") })
	x.sync.notify()
	assert.Contains(t, x.v.State.Text, "无法读取同步状态")
	assert.Equal(t, widget.DangerImportance, x.v.State.Importance)
}

// The scanner types the QR's JSON into the field and Enter: both fields
// filled from it, the terminal enrolled by the person logged in, the page
// showing the new binding.
func TestView_EnrolByScannedQR(t *testing.T) {
	x := newWorld(t, Status{}, manager)
	v := x.v
	x.w.Canvas().Focus(v.Code)
	scanInto(x.w.Canvas(), qr)
	require.Equal(t, []enrolCall{{1, "https://bo.example.com:8700", "ABCD-EFGH-JKLM-NPQR"}}, x.sync.calls())
	assert.Equal(t, "已接入 https://bo.example.com:8700，本机终端编号 t-new", v.Message.Text)
	assert.Equal(t, widget.SuccessImportance, v.Message.Importance)
	assert.Empty(t, v.Code.Text)
	assert.Empty(t, v.URL.Text)
	assert.Equal(t, "已接入", v.State.Text)
	assert.Equal(t, "t-new", v.Terminal.Text)
	assert.False(t, v.SyncNow.Disabled())
}

// A QR scanned while no field has the focus (the page just opened, a
// button tapped) lands in the enrolment field all the same; other keys
// on the bare canvas are left alone.
func TestView_ScanWithoutFocusGoesToTheEnrolment(t *testing.T) {
	x := newWorld(t, Status{}, manager)
	c := x.w.Canvas()
	c.Unfocus()
	scanInto(c, "abc")
	assert.Nil(t, c.Focused())
	assert.Empty(t, x.v.Code.Text)
	scanInto(c, qr)
	require.Len(t, x.sync.calls(), 1)
	assert.Equal(t, "ABCD-EFGH-JKLM-NPQR", x.sync.calls()[0].code)

	// Left: the canvas's keys are given back.
	x.v.Stop()
	assert.Nil(t, c.OnTypedRune())
	x.sync.mu.Lock()
	assert.Empty(t, x.sync.subs, "no subscription left behind")
	x.sync.mu.Unlock()
}

// A scan from the app's scan stream (a serial scanner) enrols too.
func TestView_ScanStream(t *testing.T) {
	async.Synchronous = true
	require.NoError(t, i18n.Use(i18n.Chinese))
	test.NewTempApp(t)
	fs := &fakeSync{}
	ch := make(chan string)
	cancelled := false
	w := test.NewTempWindow(t, widget.NewLabel(""))
	v := New(Deps{Sync: fs, Staff: manager, Window: w, Scans: func() (<-chan string, func()) {
		return ch, func() {
			if !cancelled {
				cancelled = true
				close(ch)
			}
		}
	}})
	w.SetContent(v.Content())
	ch <- qr
	require.Eventually(t, func() bool { return len(fs.calls()) == 1 }, 5*time.Second, 5*time.Millisecond)
	v.Stop()
	assert.True(t, cancelled)
}

// A typed code needs the address: said beside it, then Enter there enrols.
// Dashes, spaces and case do not matter.
func TestView_EnrolByTypedCodeAndURL(t *testing.T) {
	x := newWorld(t, Status{}, manager)
	v := x.v
	x.w.Canvas().Focus(v.Code)
	test.Type(v.Code, "abcd efgh jklm npqr")
	enter(v.Code)
	assert.Empty(t, x.sync.calls())
	assert.True(t, v.URLErr.Visible())
	assert.Equal(t, "只输入接入码时，请填写后台地址（扫描二维码会自动填入）", v.URLErr.Text)
	assert.True(t, x.w.Canvas().Focused() == v.URL, "the address field takes the keys")
	assert.Equal(t, "ABCD-EFGH-JKLM-NPQR", v.Code.Text, "the code as read")

	test.Type(v.URL, "http://192.168.1.10:8700")
	assert.False(t, v.URLErr.Visible(), "typing clears the error")
	enter(v.URL)
	require.Equal(t, []enrolCall{{1, "http://192.168.1.10:8700", "ABCD-EFGH-JKLM-NPQR"}}, x.sync.calls())

	// The button does the same.
	x.sync.set(func(f *fakeSync) { f.st = Status{} })
	v.status = Status{}
	v.Code.SetText("ABCDEFGHJKLMNPQR")
	v.URL.SetText("https://bo.example.com")
	test.Tap(v.Enrol)
	require.Len(t, x.sync.calls(), 2)
}

// Bad input is refused beside its field, before anything is sent.
func TestView_BadInput(t *testing.T) {
	x := newWorld(t, Status{}, manager)
	v := x.v
	for _, bad := range []string{"hello", "ABCD-EFGH", "ABCD-EFGH-JKLM-NPQ1", `{"v":1,"url":"ftp://x","code":"ABCDEFGHJKLMNPQR"}`,
		`{"v":2,"url":"http://x","code":"ABCDEFGHJKLMNPQR"}`, `{"v":1,"url":"http://x"`, ""} {
		v.Code.SetText(bad)
		v.URL.SetText("http://192.168.1.10:8700")
		enter(v.Code)
		assert.True(t, v.CodeErr.Visible(), bad)
		assert.Equal(t, "这不是接入二维码，也不是接入码（16 位，如 ABCD-EFGH-JKLM-NPQR）", v.CodeErr.Text, bad)
	}
	for _, bad := range []string{"192.168.1.10:8700", "ftp://bo.example.com", "http://"} {
		v.Code.SetText("ABCD-EFGH-JKLM-NPQR")
		v.URL.SetText(bad)
		enter(v.URL)
		assert.True(t, v.URLErr.Visible(), bad)
		assert.Equal(t, "后台地址应以 http:// 或 https:// 开头，例如 https://bo.example.com:8700", v.URLErr.Text, bad)
	}
	assert.Empty(t, x.sync.calls())

	// Esc empties the form.
	v.Code.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	assert.Empty(t, v.Code.Text)
	assert.Empty(t, v.URL.Text)
}

// The back office's refusals: a used code beside the code, a back office
// that cannot be reached beside the address, anything else below.
func TestView_EnrolRefused(t *testing.T) {
	x := newWorld(t, Status{}, manager)
	v := x.v
	x.sync.set(func(f *fakeSync) {
		f.enrolErr = &client.Error{Status: 401, Code: "enrol_refused", Message: "enrolment code is unknown, used or expired"}
	})
	v.Code.SetText(qr)
	enter(v.Code)
	assert.True(t, v.CodeErr.Visible())
	assert.Equal(t, "接入码无效、已用过或已过期，请在后台重新生成接入码", v.CodeErr.Text)
	assert.False(t, v.Enrol.Disabled(), "may try again")

	x.sync.set(func(f *fakeSync) {
		f.enrolErr = &client.Error{Code: "network", Message: "dial tcp: connection refused", Retry: true}
	})
	enter(v.Code)
	assert.True(t, v.URLErr.Visible())
	assert.Equal(t, "无法连接后台：网络不通，或后台没有运行", v.URLErr.Text)
	assert.True(t, x.w.Canvas().Focused() == v.URL)

	x.sync.set(func(f *fakeSync) { f.enrolErr = app.ErrNoPermission.With("Name", "王店长", "Perm", "设置") })
	enter(v.URL)
	assert.Contains(t, v.Message.Text, "王店长")
	assert.Equal(t, widget.DangerImportance, v.Message.Importance)
	assert.Empty(t, x.sync.calls())
}

// Someone without the settings permission sees the binding but may not
// enrol: the fields are off and a scan on the bare canvas goes nowhere.
func TestView_ClerkMayNotEnrol(t *testing.T) {
	x := newWorld(t, enrolled(), clerk)
	v := x.v
	assert.True(t, v.Code.Disabled())
	assert.True(t, v.URL.Disabled())
	assert.True(t, v.Enrol.Disabled())
	assert.Equal(t, "只有店长（有设置权限的人）可以接入后台", v.Message.Text)
	assert.Nil(t, x.w.Canvas().OnTypedRune())
	v.submit()
	assert.Empty(t, x.sync.calls())
	assert.False(t, v.SyncNow.Disabled(), "anyone may sync now")
}

func overlayButtons(w fyne.Window) map[string]*keybutton.Button {
	out := map[string]*keybutton.Button{}
	top := w.Canvas().Overlays().Top()
	if top == nil {
		return out
	}
	walk(top, func(o fyne.CanvasObject) {
		if b, ok := o.(*keybutton.Button); ok && b.Visible() {
			out[b.Text] = b
		}
	})
	return out
}

// Enrolling over a binding asks first and says what still waits to go
// up; Esc keeps the binding, Enter on the focused answer enrols.
func TestView_ReenrolAsksFirst(t *testing.T) {
	x := newWorld(t, enrolled(), manager)
	v := x.v
	v.Code.SetText(qr)
	enter(v.Code)
	require.NotNil(t, v.Ask)
	assert.Empty(t, x.sync.calls())
	text := v.Ask.Text.Text
	assert.Contains(t, text, "http://127.0.0.1:8700")
	assert.Contains(t, text, "t-7f3a")
	assert.Contains(t, text, "https://bo.example.com:8700")
	assert.Contains(t, text, "还有 12 条记录尚未上传")
	bs := overlayButtons(x.w)
	require.Contains(t, bs, "确认重新接入")
	require.Contains(t, bs, "取消")
	assert.True(t, x.w.Canvas().Focused() == bs["确认重新接入"], "the answer has the keys")

	// Esc: nothing changes, the field has the keys again.
	bs["确认重新接入"].TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	assert.Nil(t, v.Ask)
	assert.Nil(t, x.w.Canvas().Overlays().Top())
	assert.Empty(t, x.sync.calls())
	assert.True(t, x.w.Canvas().Focused() == v.Code)
	// Enter in the field asks again; Enter on the answer enrols.
	enter(v.Code)
	require.NotNil(t, v.Ask)
	enter(overlayButtons(x.w)["确认重新接入"])
	require.Len(t, x.sync.calls(), 1)
	assert.Nil(t, v.Ask)
	assert.Equal(t, "t-new", v.Terminal.Text)

	// Nothing unsynced: the question does not mention records.
	x.sync.set(func(f *fakeSync) { f.st.Unsynced = 0 })
	x.sync.notify()
	v.Code.SetText(qr)
	enter(v.Code)
	require.NotNil(t, v.Ask)
	assert.NotContains(t, v.Ask.Text.Text, "尚未上传")
	test.Tap(overlayButtons(x.w)["取消"])
	assert.Nil(t, v.Ask)
}

// on reads widgets on the UI goroutine, in turn with the updates.
func on[T any](f func() T) T {
	var v T
	async.DoAndWait(func() { v = f() })
	return v
}

// 立即同步 shows how far it has gone, is off while it runs, and says what
// came of it.
func TestView_SyncNowProgressAndResult(t *testing.T) {
	x := newWorld(t, enrolled(), manager)
	v := x.v
	gate := make(chan error)
	x.sync.set(func(f *fakeSync) {
		f.gate = gate
		f.progress = []Progress{{Phase: PhasePush, Done: 12, Total: 12}, {Phase: PhasePull, Topic: "products", Done: 12000}}
	})
	async.Synchronous, async.Serial = false, true
	async.DoAndWait(func() { test.Tap(v.SyncNow) })
	eventually(t, "the pull's progress", func() bool { return v.ProgressMsg.Text == "正在拉取商品 12,000 / …" })
	assert.True(t, on(func() bool { return v.SyncNow.Disabled() }))
	assert.True(t, on(func() bool { return v.Busy.Visible() && !v.Progress.Visible() }), "a total not known: the busy bar")
	async.DoAndWait(func() { test.Tap(v.SyncNow) })
	assert.Equal(t, 1, x.sync.syncs, "a second tap starts nothing")

	x.sync.set(func(f *fakeSync) { f.st.Unsynced = 0; f.st.LastPush = at1042.Add(time.Hour) })
	gate <- nil
	eventually(t, "the result", func() bool { return strings.HasPrefix(v.Result.Text, "同步完成") })
	assert.Equal(t, widget.SuccessImportance, on(func() widget.Importance { return v.Result.Importance }))
	assert.False(t, on(func() bool { return v.SyncNow.Disabled() || v.Busy.Visible() || v.Progress.Visible() }))
	assert.Empty(t, on(func() string { return v.ProgressMsg.Text }))
	eventually(t, "the status read again", func() bool { return v.Unsynced.Text == "0 条" })

	// A push with a total shows the bar; a failure says why.
	x.sync.set(func(f *fakeSync) { f.progress = []Progress{{Phase: PhasePush, Done: 300, Total: 1200}} })
	async.DoAndWait(func() { test.Tap(v.SyncNow) })
	eventually(t, "the push's progress", func() bool { return v.ProgressMsg.Text == "正在上传记录 300 / 1,200" })
	assert.InDelta(t, 0.25, on(func() float64 { return v.Progress.Value }), 0.001)
	gate <- &client.Error{Status: 503, Code: "unavailable", Message: "down", Retry: true}
	eventually(t, "the failure", func() bool { return strings.HasPrefix(v.Result.Text, "同步失败") })
	assert.Contains(t, on(func() string { return v.Result.Text }), "后台出错或回答无法识别，稍后会自动重试")
	assert.Equal(t, widget.DangerImportance, on(func() widget.Importance { return v.Result.Importance }))
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, func() bool { return on(cond) }, 5*time.Second, 5*time.Millisecond, what)
}

// The sync's notice refreshes the page.
func TestView_FollowsTheSync(t *testing.T) {
	x := newWorld(t, enrolled(), manager)
	x.sync.set(func(f *fakeSync) { f.st.Unsynced = 1500 })
	x.sync.notify()
	assert.Equal(t, "1,500 条", x.v.Unsynced.Text)
}

// The section fits the workspace of a 1024×768 window (830×590) in both
// languages with its longest messages shown (the last error, a result or
// the progress, a field's error), and lays out at 1920×1080.
func TestView_Fits(t *testing.T) {
	for _, lang := range []string{i18n.Chinese, i18n.English} {
		st := enrolled()
		st.Demo = true
		st.LastError = &client.Error{Status: 401, Code: "auth_clock"}
		x := newWorld(t, st, manager)
		require.NoError(t, i18n.Use(lang))
		v := New(Deps{Sync: x.sync, Staff: manager, Window: x.w})
		x.w.SetContent(v.Content())
		network := ErrorText(&client.Error{Code: "network"})
		states := map[string]func(){
			"bad code": func() { v.fieldError(v.CodeErr, ErrorText(client.ErrBadEnrolQR)) },
			"bad url":  func() { v.fieldError(v.URLErr, i18n.T("backofficesync.err.url_required")) },
			"failed":   func() { say(v.Result, i18n.T("backofficesync.result.failed", "Err", network), widget.DangerImportance) },
			"progress": func() {
				say(v.ProgressMsg, ProgressText(Progress{Phase: PhasePull, Topic: "permissions", Done: 1000000, Total: 1000000}), 0)
			},
			"refused": func() { say(v.Message, i18n.Err(app.ErrNoPermission.With("Name", "王店长", "Perm", "设置")), 0) },
		}
		for _, pair := range [][2]string{{"bad code", "failed"}, {"bad url", "progress"}, {"refused", "failed"}} {
			for _, l := range []*widget.Label{v.CodeErr, v.URLErr, v.Result, v.ProgressMsg, v.Message} {
				say(l, "", 0)
			}
			states[pair[0]]()
			states[pair[1]]()
			for _, size := range []fyne.Size{{Width: 830, Height: 590}, {Width: 1720, Height: 960}} {
				x.w.Resize(size)
				assert.LessOrEqual(t, v.Content().MinSize().Width, float32(830), "%s %v width", lang, pair)
			}
			// Laid out at the workspace's width, the card is no taller
			// than the workspace.
			assert.LessOrEqual(t, heightAt(v.Content(), 830), float32(590), "%s %v height", lang, pair)
		}
		v.Stop()
	}
}

// heightAt is how tall o is laid out at width w: wrapped labels grow as
// they narrow, which MinSize alone does not tell.
func heightAt(o fyne.CanvasObject, w float32) float32 {
	h := o.MinSize().Height
	for range 3 {
		o.Resize(fyne.NewSize(w, h))
		h = o.MinSize().Height
	}
	return h
}

// Errors in words, also when kept as text and read back.
func TestErrorText(t *testing.T) {
	require.NoError(t, i18n.Use(i18n.Chinese))
	cases := []struct {
		err  error
		want string
	}{
		{&client.Error{Code: "network", Retry: true}, "无法连接后台"},
		{&client.Error{Status: 401, Code: "auth_clock"}, "本机时钟与后台相差超过 5 分钟"},
		{&client.Error{Status: 401, Code: "auth_signature"}, "后台不认这台收银机"},
		{&client.Error{Status: 401, Code: "enrol_refused"}, "接入码无效"},
		{&client.Error{Status: 502, Code: "bad_answer"}, "后台出错或回答无法识别"},
		{&client.Error{Status: 500, Code: "internal"}, "后台出错或回答无法识别"},
		{&client.Error{Code: "not_enrolled"}, "本机尚未接入后台"},
		{&client.Error{Status: 426, Code: "protocol_unsupported"}, "同步协议版本"},
		{&client.Error{Status: 400, Code: "bad_record"}, "后台拒绝了请求（bad_record）"},
		{context.DeadlineExceeded, "同步超时"},
		{client.ErrBadEnrolQR, "不是接入二维码"},
	}
	for _, c := range cases {
		assert.Contains(t, ErrorText(c.err), c.want, c.err.Error())
		assert.Contains(t, ErrorText(StoredError(c.err.Error())), c.want, "stored: "+c.err.Error())
	}
	assert.Nil(t, StoredError(""))
	assert.Contains(t, ErrorText(StoredError("disk I/O error")), "disk I/O error")
	require.NoError(t, i18n.Use(i18n.English))
	defer func() { _ = i18n.Use(i18n.Chinese) }()
	for _, c := range cases {
		assert.False(t, hasHan(ErrorText(c.err)), c.err.Error())
	}
	assert.Equal(t, "Pulling products 12,000 / …", ProgressText(Progress{Phase: PhasePull, Topic: "products", Done: 12000}))
	assert.Equal(t, "Never", When(time.Time{}))
}

// TestScreenshots draws the section at the workspace's part of a
// 1024×768 and a 1920×1080 window, in both languages, into
// BACKOFFICESYNC_SCREENSHOTS (skipped without it).
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("BACKOFFICESYNC_SCREENSHOTS")
	if dir == "" {
		t.Skip("BACKOFFICESYNC_SCREENSHOTS is not set")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for _, lang := range []string{i18n.Chinese, i18n.English} {
		for _, size := range []fyne.Size{{Width: 830, Height: 590}, {Width: 1720, Height: 960}} {
			st := enrolled()
			st.Demo = true
			st.LastError = &client.Error{Code: "network"}
			st.LastTry = at1042.Add(5 * time.Minute)
			x := newWorld(t, st, manager)
			require.NoError(t, i18n.Use(lang))
			v := New(Deps{Sync: x.sync, Staff: manager, Window: x.w})
			x.w.SetContent(v.Content())
			x.w.Resize(size)
			v.syncing = true
			v.showProgress(Progress{Phase: PhasePull, Topic: "products", Done: 12000, Total: 48000})
			v.Code.SetText("ABCD-EFGH-JKLM-NPQ")
			v.submit()
			x.w.Content().Refresh()
			x.w.Resize(size.AddWidthHeight(1, 1)) // lays the shown messages out
			x.w.Resize(size)
			img := x.w.Canvas().Capture()
			f, err := os.Create(filepath.Join(dir, lang+"-"+map[float32]string{830: "1024x768", 1720: "1920x1080"}[size.Width]+".png"))
			require.NoError(t, err)
			require.NoError(t, png.Encode(f, img))
			require.NoError(t, f.Close())
			v.Stop()
		}
	}
}

func walk(o fyne.CanvasObject, fn func(fyne.CanvasObject)) {
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

// While the status is not read, nobody can tell whether enrolling would
// replace a binding: nothing is sent, and the status is read again.
func TestView_EnrolWaitsForTheStatus(t *testing.T) {
	x := newWorld(t, enrolled(), manager)
	v := x.v
	x.sync.set(func(f *fakeSync) { f.stErr = errors.New("database is locked") })
	v.loaded = false
	v.Code.SetText(qr)
	enter(v.Code)
	assert.Equal(t, "还没有读出本机的接入状态，请稍后再试", v.Message.Text)
	assert.Nil(t, v.Ask)
	assert.Empty(t, x.sync.calls())
	x.sync.set(func(f *fakeSync) { f.stErr = nil })
	x.sync.notify()
	enter(v.Code)
	require.NotNil(t, v.Ask, "read now: asked before replacing the binding")
}

// A stored error is read back behind a prefix and from joined errors; a
// word that merely looks like a code is not taken for one.
func TestStoredError(t *testing.T) {
	var ce *client.Error
	require.ErrorAs(t, StoredError("push: 401 auth_clock: timestamp is 7m0s from the server's clock"), &ce)
	assert.Equal(t, "auth_clock", ce.Code)
	assert.Equal(t, 401, ce.Status)
	assert.Equal(t, "timestamp is 7m0s from the server's clock", ce.Message)
	require.ErrorAs(t, StoredError("network: dial tcp 127.0.0.1:8700: connect: connection refused\n502 bad_answer: <html>"), &ce)
	assert.Equal(t, "network", ce.Code)
	assert.Equal(t, "dial tcp 127.0.0.1:8700: connect: connection refused", ce.Message)
	require.ErrorAs(t, StoredError("disk full\npull: 503 unavailable: down"), &ce)
	assert.Equal(t, 503, ce.Status)
	assert.False(t, errors.As(StoredError("push: sqlite: database is locked"), &ce), "push and sqlite are no codes")
	assert.ErrorIs(t, StoredError("context deadline exceeded"), context.DeadlineExceeded)
}
