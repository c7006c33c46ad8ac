package staff

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/app/auth"
	appstaff "cashier/app/staff"
	"cashier/localdb"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/postheme"
)

// The workspace over the real staff service and SQLite (the demo store:
// 1001 王店长 manager, 1002 李娜 clerk with refund, 1003 张伟 clerk).

// desk is the staff service with the terminal's store, as the GUI wires it.
type desk struct {
	appstaff.Service
	db *localdb.DB
}

func (d desk) CurrentStore(ctx context.Context) (app.StoreInfo, error) { return d.db.CurrentStore(ctx) }

type rig struct {
	t   *testing.T
	db  *localdb.DB
	v   *View
	w   fyne.Window
	mgr app.Staff
}

func newRig(t *testing.T, lang string) *rig {
	t.Helper()
	async.Synchronous = true
	require.NoError(t, i18n.Use(lang))
	t.Cleanup(func() { _ = i18n.Use(i18n.Chinese) })
	ctx := context.Background()
	db, err := localdb.Open(filepath.Join(t.TempDir(), "pos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	clock := app.NewManualClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	h := auth.PINHasher{Cost: bcrypt.MinCost}
	_, err = db.SeedDemo(ctx, h, clock.Now())
	require.NoError(t, err)
	st, err := db.CurrentStore(ctx)
	require.NoError(t, err)
	a := test.NewTempApp(t)
	a.Settings().SetTheme(postheme.New())
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(1024, 768))
	mgr, _, err := db.StaffByCode(ctx, "1001")
	require.NoError(t, err)
	v := New(Deps{Staff: desk{appstaff.Service{Store: db, Clock: clock, Hasher: h}, db}, Actor: mgr, Window: w, Now: clock.Now})
	require.Equal(t, st.ID, v.storeID)
	w.SetContent(v.Content())
	return &rig{t: t, db: db, v: v, w: w, mgr: mgr}
}

func (r *rig) get(code string) app.Staff {
	r.t.Helper()
	s, _, err := r.db.StaffByCode(context.Background(), code)
	require.NoError(r.t, err)
	return s
}

func (r *rig) pick(code string) {
	r.t.Helper()
	for i, s := range r.v.people {
		if s.Code == code {
			r.v.List.Select(i)
			require.Equal(r.t, s.ID, r.v.selected)
			return
		}
	}
	r.t.Fatalf("%s not listed", code)
}

func typeAndEnter(c fyne.Canvas, text string) {
	test.Type(c.Focused(), text)
	c.Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

func held(s app.Staff) []string {
	var out []string
	for _, p := range app.Permissions {
		if s.Has(p) {
			out = append(out, p)
		}
	}
	return out
}

// Add a person by keyboard, change their permissions and role, disable
// them: each written through the rules, shown in the list.
func TestStaff_AddEditDisable(t *testing.T) {
	r := newRig(t, i18n.Chinese)
	v, c := r.v, r.w.Canvas()
	require.Len(t, v.people, 3)
	require.Equal(t, "新增员工", v.Title.Text)
	require.True(t, v.Checks[app.PermAdjustBalance].Disabled(), "the manager does not hold it: cannot grant it")
	require.False(t, v.Checks[app.PermRefund].Disabled())
	require.True(t, v.Checks[app.PermDeposit].Checked, "a new clerk starts from the clerk's defaults")
	require.False(t, v.Checks[app.PermRefund].Checked)

	c.Focus(v.Code)
	typeAndEnter(c, "1004")
	require.Same(t, v.Name, c.Focused())
	typeAndEnter(c, "陈静")
	require.Same(t, v.PIN, c.Focused())
	typeAndEnter(c, "2580")
	require.Equal(t, "已添加 陈静，首次登录时须设置新密码", v.Status.Text)
	chen := r.get("1004")
	require.Equal(t, []string{app.PermDeposit, app.PermShiftHandover}, held(chen))
	require.True(t, chen.MustChangePIN)
	require.Equal(t, v.storeID, chen.StoreID, "joins this terminal's store")
	require.Len(t, v.people, 4)
	require.Equal(t, chen.ID, v.selected, "the new person stays in the editor")
	require.True(t, v.Code.Disabled(), "a staff number never changes")

	// Grant refund and a discount, take deposit.
	v.Checks[app.PermRefund].SetChecked(true)
	v.Checks[app.PermDiscount].SetChecked(true)
	v.Checks[app.PermDeposit].SetChecked(false)
	test.Tap(v.Save)
	require.Equal(t, "已保存", v.Status.Text)
	require.Equal(t, []string{app.PermRefund, app.PermDiscount, app.PermShiftHandover}, held(r.get("1004")))
	for _, s := range v.people {
		if s.Code == "1004" {
			require.Equal(t, "退款、折扣与改价、交接班", Summary(s))
		}
	}

	// A role picked pre-ticks its defaults among what the manager holds.
	v.Role.SetSelected(RoleName(app.RoleManager))
	require.True(t, v.Checks[app.PermStaffManage].Checked)
	require.True(t, v.Checks[app.PermSettings].Checked)
	require.False(t, v.Checks[app.PermAdjustBalance].Checked)
	test.Tap(v.Save)
	chen = r.get("1004")
	require.Equal(t, app.RoleManager, chen.Role)
	require.True(t, chen.Has(app.PermStaffManage))

	// Disable, then enable.
	r.pick("1003")
	require.Equal(t, "停用", v.Toggle.Text)
	test.Tap(v.Toggle)
	require.Equal(t, "已停用 张伟", v.Status.Text)
	require.True(t, r.get("1003").Disabled)
	require.Equal(t, "启用", v.Toggle.Text)
	require.Contains(t, v.headline(v.people[v.indexOf("1003")]), "已停用")
	test.Tap(v.Toggle)
	require.False(t, r.get("1003").Disabled)
}

func (v *View) indexOf(code string) int {
	for i, s := range v.people {
		if s.Code == code {
			return i
		}
	}
	return -1
}

// The rules' refusals are said in words; nothing is written.
func TestStaff_RefusalsInWords(t *testing.T) {
	r := newRig(t, i18n.English)
	v := r.v
	// Duplicate staff number, empty name, bad first PIN.
	v.Code.SetText("1002")
	v.Name.SetText("Chen")
	v.PIN.SetText("2580")
	test.Tap(v.Save)
	require.Equal(t, "Staff number 1002 is already in use", v.Status.Text)
	v.Code.SetText("1004")
	v.Name.SetText(" ")
	test.Tap(v.Save)
	require.Equal(t, "Name must not be empty", v.Status.Text)
	v.Name.SetText("Chen")
	v.PIN.SetText("12")
	test.Tap(v.Save)
	require.Equal(t, "The PIN must be 4 to 12 digits", v.Status.Text)
	require.Len(t, v.people, 3, "nobody added")

	// Oneself: not disabled, rights not changed.
	r.pick("1001")
	test.Tap(v.Toggle)
	require.Equal(t, "You cannot disable yourself", v.Status.Text)
	v.Checks[app.PermRefund].SetChecked(false)
	test.Tap(v.Save)
	require.Equal(t, "You cannot change your own role or permissions; ask another manager", v.Status.Text)
	require.True(t, r.get("1001").Has(app.PermRefund))
	require.False(t, r.get("1001").Disabled)
}

// Reset a PIN: refused for a disabled person, then done; the person must
// change it at their next login.
func TestStaff_ResetPIN(t *testing.T) {
	r := newRig(t, i18n.Chinese)
	v, c := r.v, r.w.Canvas()
	r.pick("1003")
	test.Tap(v.Toggle) // disabled
	d := v.AskReset()
	require.Same(t, d.PIN, c.Focused())
	typeAndEnter(c, "4321")
	typeAndEnter(c, "4312")
	require.Equal(t, "两次输入的新密码不一致", d.Message.Text)
	typeAndEnter(c, "4321")
	require.Equal(t, "张伟 已停用，不能重置密码（请先启用）", d.Message.Text)
	require.False(t, r.get("1003").MustChangePIN)
	d.PIN.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})

	test.Tap(v.Toggle) // enabled again
	d = v.AskReset()
	d.PIN.SetText("4321")
	d.PIN2.SetText("4321")
	test.Tap(d.OK)
	require.Equal(t, "已重置 张伟 的密码", v.Status.Text)
	z := r.get("1003")
	require.True(t, z.MustChangePIN)
	require.Contains(t, v.headline(z), "待改密码")
}

// The workspace fits the body of a 1024×768 window (beside the navigation).
func TestStaff_Fits1024x768(t *testing.T) {
	for _, lang := range []string{i18n.Chinese, i18n.English} {
		r := newRig(t, lang)
		min := r.v.Content().MinSize()
		require.LessOrEqual(t, min.Width, float32(1024*0.8), lang)
		require.LessOrEqual(t, min.Height, float32(768-120), lang)
	}
}
