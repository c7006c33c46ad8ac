package held

import (
	"context"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/postheme"
)

var now = time.Date(2026, 5, 1, 15, 0, 0, 0, time.UTC)

// fakeHolds keeps held carts as app/sale.Holds would: resumed once, dropped
// by their holder or someone allowed (allow).
type fakeHolds struct {
	mu      sync.Mutex
	sig     *app.Signals
	list    []app.HeldOrder
	allow   map[int64]bool // who may drop others' carts
	resumed []int64
	dropped []int64
	by      []int64
	failGet error
}

func (f *fakeHolds) List(context.Context) ([]app.HeldOrder, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]app.HeldOrder(nil), f.list...), f.failGet
}

func (f *fakeHolds) take(id int64) (app.HeldOrder, bool) {
	for i, h := range f.list {
		if h.ID == id {
			f.list = append(f.list[:i:i], f.list[i+1:]...)
			return h, true
		}
	}
	return app.HeldOrder{}, false
}

func (f *fakeHolds) Resume(_ context.Context, id int64, staff app.Staff) (app.HeldOrder, error) {
	f.mu.Lock()
	h, ok := f.take(id)
	if ok {
		f.resumed = append(f.resumed, id)
		f.by = append(f.by, staff.ID)
	}
	f.mu.Unlock()
	if !ok {
		return app.HeldOrder{}, app.ErrHeldNotFound.With("ID", id)
	}
	f.sig.Emit(app.SignalHeld, id)
	return h, nil
}

func (f *fakeHolds) Drop(_ context.Context, id int64, staff app.Staff) error {
	f.mu.Lock()
	for _, h := range f.list {
		if h.ID == id && h.StaffID != staff.ID && !f.allow[staff.ID] {
			f.mu.Unlock()
			return app.ErrNoPermission.With("Perm", app.PermVoidLine)
		}
	}
	_, ok := f.take(id)
	if ok {
		f.dropped = append(f.dropped, id)
	}
	f.mu.Unlock()
	if !ok {
		return app.ErrHeldNotFound.With("ID", id)
	}
	f.sig.Emit(app.SignalHeld, id)
	return nil
}

func (f *fakeHolds) add(h app.HeldOrder) {
	f.mu.Lock()
	f.list = append(f.list, h)
	f.mu.Unlock()
	f.sig.Emit(app.SignalHeld, h.ID)
}

func heldRows() []app.HeldOrder {
	line := func(name string, qty int64) app.HeldLine {
		return app.HeldLine{OrderLine: app.OrderLine{Name: name, Qty: qty, UnitPrice: 300}}
	}
	return []app.HeldOrder{
		{ID: 3, StaffID: 2, StaffName: "李娜", Label: "穿红衣服的顾客", Total: 1783, CreatedAt: now.Add(-2 * time.Hour),
			Lines: []app.HeldLine{line("可乐", 2), line("面包", 1)}},
		{ID: 5, StaffID: 3, StaffName: "张伟", Total: 900, CreatedAt: now.Add(-12 * time.Minute),
			Lines: []app.HeldLine{line("可乐", 3)}},
		{ID: 8, StaffID: 2, StaffName: "李娜", Label: "买烟的", Total: 5950, CreatedAt: now.Add(-20 * time.Second),
			Lines: []app.HeldLine{line("香烟", 1)}},
	}
}

var (
	li  = app.Staff{ID: 2, Name: "李娜", Role: app.RoleClerk}
	mgr = app.Staff{ID: 1, Name: "王店长", Role: app.RoleManager}
)

type rig struct {
	v        *View
	w        fyne.Window
	f        *fakeHolds
	resumed  []app.HeldOrder
	closes   int
	override []string
	approve  func()
}

func newRig(t *testing.T, who app.Staff, rows []app.HeldOrder) *rig {
	t.Helper()
	async.Synchronous = true
	require.NoError(t, i18n.Use(i18n.Chinese))
	a := test.NewTempApp(t)
	a.Settings().SetTheme(postheme.New())
	r := &rig{f: &fakeHolds{sig: app.NewSignals(), list: rows, allow: map[int64]bool{mgr.ID: true}}}
	r.w = test.NewTempWindow(t, widget.NewLabel(""))
	r.v = New(Deps{Holds: r.f, Staff: who, Signals: r.f.sig, Now: func() time.Time { return now },
		OnResume: func(h app.HeldOrder) { r.resumed = append(r.resumed, h) },
		OnClose:  func() { r.closes++ },
		Focus:    func(o fyne.Focusable) { r.w.Canvas().Focus(o) },
		Override: func(perm string, then func()) { r.override = append(r.override, perm); r.approve = then },
	})
	r.w.SetContent(r.v.Content())
	r.w.Resize(fyne.NewSize(1024, 768))
	r.v.FocusFirst()
	t.Cleanup(r.v.Stop)
	return r
}

// key types a key into whatever has the keyboard, as a person would.
func (r *rig) key(t *testing.T, k fyne.KeyName) {
	t.Helper()
	f := r.w.Canvas().Focused()
	require.NotNil(t, f, "something has the keyboard")
	f.TypedKey(&fyne.KeyEvent{Name: k})
}

// rowTexts are the words row i shows.
func (r *rig) rowTexts(t *testing.T, i int) []string {
	t.Helper()
	o := r.v.List.CreateItem()
	r.v.List.UpdateItem(i, o)
	var out []string
	box := o.(*fyne.Container)
	for _, side := range box.Objects {
		for _, l := range side.(*fyne.Container).Objects {
			out = append(out, l.(*widget.Label).Text)
		}
	}
	return out
}

// The list shows each cart's label (or number), who held it, its lines,
// its total and its age; every key is on its button; the keyboard starts
// on the list with the newest cart chosen.
func TestHeld_ListShowsCarts(t *testing.T) {
	r := newRig(t, li, heldRows())
	require.Len(t, r.v.Shown, 3)
	require.Same(t, r.v.List, r.w.Canvas().Focused())
	require.Equal(t, 2, r.v.Selected, "the newest, held last")
	require.Equal(t, []string{"穿红衣服的顾客", "李娜 · 2 种商品，共 3 件", "￥17.83", "2 小时前"}, r.rowTexts(t, 0))
	require.Equal(t, []string{"挂单 #5", "张伟 · 1 种商品，共 3 件", "￥9.00", "12 分钟前"}, r.rowTexts(t, 1))
	require.Equal(t, "刚刚", r.rowTexts(t, 2)[3])
	require.Equal(t, "取单（Enter）", r.v.Resume.Text)
	require.Equal(t, "删除（Delete）", r.v.Drop.Text)
	require.Equal(t, "关闭（Esc）", r.v.Close.Text)
	require.Equal(t, "确认删除（Enter）", r.v.Sure.Text)
	require.Equal(t, "保留（Esc）", r.v.Keep.Text)
	require.False(t, r.v.Resume.Disabled())
}

// ↑/↓ choose (stopping at the ends), Enter resumes the chosen cart in
// the cashier's name, hands it to the Counter and closes.
func TestHeld_KeyboardResume(t *testing.T) {
	r := newRig(t, li, heldRows())
	r.key(t, fyne.KeyDown)
	require.Equal(t, 2, r.v.Selected, "already at the bottom")
	r.key(t, fyne.KeyUp)
	r.key(t, fyne.KeyUp)
	r.key(t, fyne.KeyUp)
	require.Equal(t, 0, r.v.Selected, "stops at the top")
	r.key(t, fyne.KeyDown)
	require.Equal(t, 1, r.v.Selected)
	r.key(t, fyne.KeyReturn)
	require.Equal(t, []int64{5}, r.f.resumed)
	require.Equal(t, []int64{li.ID}, r.f.by)
	require.Len(t, r.resumed, 1)
	require.Equal(t, int64(5), r.resumed[0].ID)
	require.Equal(t, 1, r.closes)
	require.Len(t, r.v.Shown, 2, "the list followed the signal")
}

// Delete asks first: Esc keeps the cart (and does not close the list),
// Enter then drops it; the list reloads and says so. A tap works too.
func TestHeld_DeleteConfirms(t *testing.T) {
	r := newRig(t, li, heldRows())
	r.key(t, fyne.KeyUp) // row 1 is 张伟's: up once more to 李娜's own
	r.key(t, fyne.KeyUp)
	require.Equal(t, 0, r.v.Selected)
	r.key(t, fyne.KeyDelete)
	require.True(t, r.v.Confirm.Visible())
	require.Contains(t, r.v.Ask.Text, "穿红衣服的顾客")
	require.Contains(t, r.v.Ask.Text, "￥17.83")
	require.True(t, r.v.Resume.Disabled(), "one thing at a time")
	r.key(t, fyne.KeyDown)
	require.Equal(t, 0, r.v.Selected, "the cart asked about stays chosen")
	r.key(t, fyne.KeyEscape)
	require.False(t, r.v.Confirm.Visible())
	require.Zero(t, r.closes, "Esc left the question, not the list")
	require.Empty(t, r.f.dropped)

	r.key(t, fyne.KeyDelete)
	r.key(t, fyne.KeyReturn)
	require.Equal(t, []int64{3}, r.f.dropped)
	require.Empty(t, r.f.resumed, "Enter confirmed the drop, it did not resume")
	require.Len(t, r.v.Shown, 2)
	require.Equal(t, "已删除挂单「穿红衣服的顾客」。", r.v.Status.Text)
	require.Same(t, r.v.List, r.w.Canvas().Focused(), "the keyboard is back on the list")

	test.Tap(r.v.Drop)
	test.Tap(r.v.Sure)
	require.Equal(t, []int64{3, 8}, r.f.dropped)
	require.Zero(t, r.closes)
	r.key(t, fyne.KeyEscape)
	require.Equal(t, 1, r.closes)
}

// Someone else's cart: the drop is refused in words and a manager may
// allow it once; the manager drops it directly.
func TestHeld_DropOthersNeedsPermission(t *testing.T) {
	r := newRig(t, li, heldRows())
	r.key(t, fyne.KeyUp) // row 1: 张伟's
	r.key(t, fyne.KeyDelete)
	r.key(t, fyne.KeyReturn)
	require.Empty(t, r.f.dropped)
	require.NotEmpty(t, r.v.Status.Text)
	require.Equal(t, []string{app.PermVoidLine}, r.override)
	require.Len(t, r.v.Shown, 3)

	r.f.allow[li.ID] = true // what the manager's approval does
	r.approve()
	require.Equal(t, []int64{5}, r.f.dropped)

	m := newRig(t, mgr, heldRows())
	m.key(t, fyne.KeyDelete)
	m.key(t, fyne.KeyReturn)
	require.Equal(t, []int64{8}, m.f.dropped)
	require.Empty(t, m.override)
}

// A cart resumed elsewhere meanwhile: said in words, the list reloads and
// nothing is handed to the Counter; an empty list says so and Enter does
// nothing.
func TestHeld_GoneAndEmpty(t *testing.T) {
	r := newRig(t, li, heldRows())
	r.f.mu.Lock()
	r.f.list = r.f.list[:2] // 8 went without a signal (another process)
	r.f.mu.Unlock()
	r.key(t, fyne.KeyReturn)
	require.Empty(t, r.resumed)
	require.Zero(t, r.closes)
	require.Len(t, r.v.Shown, 2)
	require.Equal(t, 1, r.v.Selected)

	e := newRig(t, li, nil)
	require.Equal(t, "没有挂单。", e.v.Status.Text)
	require.True(t, e.v.Resume.Disabled())
	require.True(t, e.v.Drop.Disabled())
	e.key(t, fyne.KeyReturn)
	e.key(t, fyne.KeyDelete)
	require.Empty(t, e.f.resumed)
	require.False(t, e.v.Confirm.Visible())
	e.f.add(heldRows()[0]) // held in another window
	require.Len(t, e.v.Shown, 1)
	require.Empty(t, e.v.Status.Text)
	require.False(t, e.v.Resume.Disabled())
}

// In a dialog over the Counter: the keyboard is on the list, Enter
// resumes and the dialog closes; it fits a 1024×768 screen.
func TestHeld_Dialog(t *testing.T) {
	async.Synchronous = true
	require.NoError(t, i18n.Use(i18n.Chinese))
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel("收银"))
	w.Resize(fyne.NewSize(1024, 768))
	f := &fakeHolds{sig: app.NewSignals(), list: heldRows()}
	var got []app.HeldOrder
	closed := 0
	d := Open(w, Deps{Holds: f, Staff: li, Signals: f.sig, Now: func() time.Time { return now },
		OnResume: func(h app.HeldOrder) { got = append(got, h) }, OnClose: func() { closed++ }})
	require.Same(t, d.View.List, w.Canvas().Focused())
	size := dialogSize(w)
	require.LessOrEqual(t, size.Width, float32(1024))
	require.LessOrEqual(t, size.Height, float32(768))
	w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	require.Len(t, got, 1)
	require.Equal(t, int64(8), got[0].ID)
	require.Equal(t, 1, closed, "the dialog closed")

	d = Open(w, Deps{Holds: f, Staff: li, Signals: f.sig, OnClose: func() { closed++ }})
	w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	require.Equal(t, 2, closed)
}

func TestAge(t *testing.T) {
	require.NoError(t, i18n.Use(i18n.Chinese))
	for d, want := range map[time.Duration]string{0: "刚刚", 59 * time.Second: "刚刚", time.Minute: "1 分钟前",
		12*time.Minute + 59*time.Second: "12 分钟前", 2*time.Hour + 59*time.Minute: "2 小时前", 49 * time.Hour: "2 天前"} {
		require.Equal(t, want, Age(d), d)
	}
	require.NoError(t, i18n.Use(i18n.English))
	t.Cleanup(func() { _ = i18n.Use(i18n.Chinese) })
	require.Equal(t, "12 min ago", Age(12*time.Minute))
	require.Equal(t, "Held order #7", Title(app.HeldOrder{ID: 7}))
}
