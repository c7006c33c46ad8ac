package staff_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/staff"
	"cashier/localdb"
)

// Staff administration against the real SQLite store (the demo store:
// 1001 王店长 manager, 1002 李娜 clerk holding refund, 1003 张伟 clerk),
// with a merchant administrator 9001 added.

var hasher = auth.PINHasher{Cost: bcrypt.MinCost}

type rig struct {
	t                       *testing.T
	db                      *localdb.DB
	svc                     staff.Service
	auth                    *auth.Auth
	clock                   *app.ManualClock
	store                   int64
	admin, mgr, lina, zhang app.Staff
}

func newRig(t *testing.T) *rig {
	t.Helper()
	ctx := context.Background()
	db, err := localdb.Open(filepath.Join(t.TempDir(), "pos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	clock := app.NewManualClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	_, err = db.SeedDemo(ctx, hasher, clock.Now())
	require.NoError(t, err)
	hash, err := hasher.Hash("900190")
	require.NoError(t, err)
	require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error {
		_, err := localdb.AddStaff(ctx, tx, localdb.NewStaff{Code: "9001", Name: "赵管理", Role: app.RoleAdmin, PINHash: hash}, clock.Now())
		return err
	}))
	st, err := db.CurrentStore(ctx)
	require.NoError(t, err)
	r := &rig{t: t, db: db, clock: clock, store: st.ID,
		svc:  staff.Service{Store: db, Clock: clock, Hasher: hasher},
		auth: &auth.Auth{Store: db, Clock: clock, Hasher: hasher}}
	r.admin, r.mgr, r.lina, r.zhang = r.get("9001"), r.get("1001"), r.get("1002"), r.get("1003")
	return r
}

func (r *rig) get(code string) app.Staff {
	r.t.Helper()
	s, _, err := r.db.StaffByCode(context.Background(), code)
	require.NoError(r.t, err)
	return s
}

// snapshot is everything a refused change must leave as it was.
type snapshot struct {
	staff, perms, audit int
	rows                string
}

func (r *rig) snap() snapshot {
	r.t.Helper()
	var s snapshot
	q := r.db.Read()
	require.NoError(r.t, q.QueryRow(`SELECT count(*) FROM staff`).Scan(&s.staff))
	require.NoError(r.t, q.QueryRow(`SELECT count(*) FROM staff_permission`).Scan(&s.perms))
	require.NoError(r.t, q.QueryRow(`SELECT count(*) FROM audit_log`).Scan(&s.audit))
	require.NoError(r.t, q.QueryRow(`SELECT group_concat(code||name||role_code||disabled||pin_hash||must_change_pin||failed_attempts, ';') FROM staff`).Scan(&s.rows))
	return s
}

// refused checks that err is want and nothing was written.
func (r *rig) refused(before snapshot, err, want error) {
	r.t.Helper()
	require.ErrorIs(r.t, err, want)
	require.Equal(r.t, before, r.snap(), "a refusal writes nothing")
}

func (r *rig) actions(subject string) []string {
	r.t.Helper()
	rows, err := r.db.Read().Query(`SELECT action, detail FROM audit_log WHERE subject=? ORDER BY id`, subject)
	require.NoError(r.t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a, d string
		require.NoError(r.t, rows.Scan(&a, &d))
		out = append(out, a+" "+d)
	}
	return out
}

func perms(s app.Staff) []string {
	var out []string
	for _, p := range app.Permissions {
		if s.Has(p) {
			out = append(out, p)
		}
	}
	return out
}

func TestAdd_NewPersonChangesPINAtFirstLogin(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	s, err := r.svc.Add(ctx, r.mgr.ID, staff.Person{StoreID: r.store, Code: " 1004 ", Name: " 陈静 ", Role: app.RoleClerk, PIN: "2580",
		Permissions: []string{app.PermDeposit, app.PermShiftHandover, app.PermDiscount}})
	require.NoError(t, err)
	require.Equal(t, "1004", s.Code)
	require.Equal(t, "陈静", s.Name)
	require.Equal(t, r.store, s.StoreID)
	require.Equal(t, []string{app.PermDeposit, app.PermDiscount, app.PermShiftHandover}, perms(s))
	require.True(t, s.MustChangePIN)
	require.Equal(t, []string{"staff_add name=陈静 role=clerk store=1", "permission_grant deposit",
		"permission_grant discount", "permission_grant shift_handover"}, r.actions("1004"))

	_, err = r.auth.Login(ctx, "1004", "2580")
	require.ErrorIs(t, err, auth.ErrMustChangePIN, "the first PIN was set by the manager")
	require.NoError(t, r.auth.ChangePIN(ctx, "1004", "2580", "1357"))
	got, err := r.auth.Login(ctx, "1004", "1357")
	require.NoError(t, err)
	require.False(t, got.MustChangePIN)

	// An administrator is made by an administrator, above the stores.
	a, err := r.svc.Add(ctx, r.admin.ID, staff.Person{StoreID: r.store, Code: "9002", Name: "钱总", Role: app.RoleAdmin, PIN: "9002",
		Permissions: app.Permissions})
	require.NoError(t, err)
	require.Zero(t, a.StoreID)
	require.Equal(t, app.Permissions, perms(a))
}

func TestAdd_BadInputWritesNothing(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	good := staff.Person{StoreID: r.store, Code: "1004", Name: "陈静", Role: app.RoleClerk, PIN: "2580", Permissions: []string{app.PermDeposit}}
	before := r.snap()
	for name, c := range map[string]struct {
		actor  int64
		change func(*staff.Person)
		want   error
	}{
		"duplicate code":        {r.mgr.ID, func(p *staff.Person) { p.Code = "1002" }, staff.ErrCodeTaken},
		"empty name":            {r.mgr.ID, func(p *staff.Person) { p.Name = "  " }, app.ErrFieldRequired},
		"long name":             {r.mgr.ID, func(p *staff.Person) { p.Name = "一二三四五六七八九十一二三四五六七八九十一" }, app.ErrFieldTooLong},
		"code not digits":       {r.mgr.ID, func(p *staff.Person) { p.Code = "a1" }, staff.ErrCodeFormat},
		"empty code":            {r.mgr.ID, func(p *staff.Person) { p.Code = "" }, staff.ErrCodeFormat},
		"short PIN":             {r.mgr.ID, func(p *staff.Person) { p.PIN = "12" }, auth.ErrPINFormat},
		"PIN not digits":        {r.mgr.ID, func(p *staff.Person) { p.PIN = "12ab" }, auth.ErrPINFormat},
		"unknown permission":    {r.mgr.ID, func(p *staff.Person) { p.Permissions = []string{"fly"} }, app.ErrPermissionCode},
		"unknown role":          {r.mgr.ID, func(p *staff.Person) { p.Role = "boss" }, staff.ErrRole},
		"not held":              {r.mgr.ID, func(p *staff.Person) { p.Permissions = []string{app.PermAdjustBalance} }, staff.ErrNotHeld},
		"manager makes admin":   {r.mgr.ID, func(p *staff.Person) { p.Role = app.RoleAdmin }, staff.ErrAdminOnly},
		"other store":           {r.mgr.ID, func(p *staff.Person) { p.StoreID = r.store + 1 }, staff.ErrOtherStore},
		"clerk manages nothing": {r.lina.ID, func(*staff.Person) {}, app.ErrNoPermission},
		"unknown actor":         {0, func(*staff.Person) {}, app.ErrUnknownStaff},
	} {
		p := good
		c.change(&p)
		_, err := r.svc.Add(ctx, c.actor, p)
		require.Error(t, err, name)
		r.refused(before, err, c.want)
	}
	// A disabled manager manages nobody.
	require.NoError(t, r.svc.SetDisabled(ctx, r.admin.ID, r.mgr.ID, true))
	before = r.snap()
	_, err := r.svc.Add(ctx, r.mgr.ID, good)
	r.refused(before, err, app.ErrStaffDisabled)
}

func TestEdit_GrantRevokeRoleAndTheirRules(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	// The manager grants 张伟 refund and a discount, and takes deposit.
	require.NoError(t, r.svc.Edit(ctx, r.mgr.ID, staff.Person{ID: r.zhang.ID, Name: "张伟", Role: app.RoleClerk,
		Permissions: []string{app.PermRefund, app.PermDiscount, app.PermShiftHandover}}))
	require.Equal(t, []string{app.PermRefund, app.PermDiscount, app.PermShiftHandover}, perms(r.get("1003")))
	require.Equal(t, []string{"permission_grant refund", "permission_grant discount", "permission_revoke deposit"}, r.actions("1003"))
	var by int64
	require.NoError(t, r.db.Read().QueryRow(`SELECT granted_by FROM staff_permission WHERE staff_id=? AND permission_code='refund'`, r.zhang.ID).Scan(&by))
	require.Equal(t, r.mgr.ID, by, "who granted it is kept")

	// A role change and a new name: one line each.
	require.NoError(t, r.svc.Edit(ctx, r.mgr.ID, staff.Person{ID: r.zhang.ID, Name: "张大伟", Role: app.RoleManager,
		Permissions: []string{app.PermRefund, app.PermDiscount, app.PermShiftHandover}}))
	z := r.get("1003")
	require.Equal(t, app.RoleManager, z.Role)
	require.Equal(t, "张大伟", z.Name)
	require.Equal(t, []string{"staff_edit name=张大伟 was=张伟", "role_change clerk->manager"}, r.actions("1003")[3:])

	// Nothing changed: nothing written.
	before := r.snap()
	require.NoError(t, r.svc.Edit(ctx, r.mgr.ID, staff.Person{ID: z.ID, Name: z.Name, Role: z.Role, Permissions: perms(z)}))
	require.Equal(t, before, r.snap())

	mgr := r.get("1001")
	for name, c := range map[string]struct {
		actor int64
		p     staff.Person
		want  error
	}{
		"grant not held":      {r.mgr.ID, staff.Person{ID: r.lina.ID, Name: "李娜", Role: app.RoleClerk, Permissions: append(perms(r.lina), app.PermAdjustBalance)}, staff.ErrNotHeld},
		"own permissions":     {r.mgr.ID, staff.Person{ID: r.mgr.ID, Name: "王店长", Role: app.RoleManager, Permissions: []string{app.PermRefund, app.PermStaffManage}}, staff.ErrSelfRights},
		"own role":            {r.mgr.ID, staff.Person{ID: r.mgr.ID, Name: "王店长", Role: app.RoleClerk, Permissions: perms(mgr)}, staff.ErrSelfRights},
		"manager edits admin": {r.mgr.ID, staff.Person{ID: r.admin.ID, Name: "赵", Role: app.RoleAdmin, Permissions: perms(r.admin)}, staff.ErrAdminOnly},
		"manager makes admin": {r.mgr.ID, staff.Person{ID: r.lina.ID, Name: "李娜", Role: app.RoleAdmin, Permissions: perms(r.lina)}, staff.ErrAdminOnly},
		"unknown permission":  {r.mgr.ID, staff.Person{ID: r.lina.ID, Name: "李娜", Role: app.RoleClerk, Permissions: []string{"grant"}}, app.ErrPermissionCode},
		"empty name":          {r.mgr.ID, staff.Person{ID: r.lina.ID, Name: "", Role: app.RoleClerk, Permissions: perms(r.lina)}, app.ErrFieldRequired},
		"unknown person":      {r.mgr.ID, staff.Person{ID: 999, Name: "x", Role: app.RoleClerk}, app.ErrUnknownStaff},
		"clerk edits":         {r.lina.ID, staff.Person{ID: r.zhang.ID, Name: "张", Role: app.RoleClerk}, app.ErrNoPermission},
	} {
		before := r.snap()
		r.refused(before, r.svc.Edit(ctx, c.actor, c.p), c.want)
		_ = name
	}
	// Renaming oneself is fine.
	require.NoError(t, r.svc.Edit(ctx, r.mgr.ID, staff.Person{ID: r.mgr.ID, Name: "王经理", Role: app.RoleManager, Permissions: perms(mgr)}))
	// The administrator makes an administrator of the manager.
	require.NoError(t, r.svc.Edit(ctx, r.admin.ID, staff.Person{ID: r.mgr.ID, Name: "王经理", Role: app.RoleAdmin, Permissions: perms(mgr)}))
}

// The refund permission is never lost: the last enabled holder serving a
// store keeps it, whoever asks and however (revoke, a role change with it
// unticked, disable). Merchant administrators count as holders; disabled
// people and other stores' staff do not.
func TestLastRefundHolder(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	all := func(except string) []string {
		var out []string
		for _, p := range app.Permissions {
			if p != except {
				out = append(out, p)
			}
		}
		return out
	}
	admin2, err := r.svc.Add(ctx, r.admin.ID, staff.Person{Code: "9002", Name: "钱总", Role: app.RoleAdmin, PIN: "9002", Permissions: all(app.PermRefund)})
	require.NoError(t, err)
	chen, err := r.svc.Add(ctx, r.admin.ID, staff.Person{StoreID: r.store, Code: "1005", Name: "陈经理", Role: app.RoleManager, PIN: "1005",
		Permissions: []string{app.PermStaffManage}})
	require.NoError(t, err)
	// Another store's manager holds refund there, not here.
	require.NoError(t, r.db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`INSERT INTO store(merchant_id, code, name, created_at) SELECT merchant_id, 'S0002', '二店', 0 FROM store WHERE id=?`, r.store)
		if err != nil {
			return err
		}
		other, _ := res.LastInsertId()
		_, err = localdb.AddStaff(ctx, tx, localdb.NewStaff{StoreID: other, Code: "2001", Name: "二店长", Role: app.RoleManager, PINHash: "x"}, r.clock.Now())
		return err
	}))

	lina := perms(r.lina)
	without := func(ps []string, p string) []string {
		var out []string
		for _, q := range ps {
			if q != p {
				out = append(out, q)
			}
		}
		return out
	}
	// Holders: 赵管理 (administrator), 王店长, 李娜.
	require.NoError(t, r.svc.Edit(ctx, r.admin.ID, staff.Person{ID: r.lina.ID, Name: "李娜", Role: app.RoleClerk, Permissions: without(lina, app.PermRefund)}))
	require.NoError(t, r.svc.SetDisabled(ctx, admin2.ID, r.admin.ID, true), "another holder is left")
	// 王店长 is the last.
	mgr := perms(r.mgr)
	before := r.snap()
	err = r.svc.Edit(ctx, chen.ID, staff.Person{ID: r.mgr.ID, Name: "王店长", Role: app.RoleManager, Permissions: without(mgr, app.PermRefund)})
	r.refused(before, err, staff.ErrLastRefund)
	m, _ := app.AsMessage(err)
	require.Equal(t, "王店长", m.Args["Name"])
	r.refused(before, r.svc.SetDisabled(ctx, chen.ID, r.mgr.ID, true), staff.ErrLastRefund)
	r.refused(before, r.svc.Edit(ctx, admin2.ID, staff.Person{ID: r.mgr.ID, Name: "王店长", Role: app.RoleClerk,
		Permissions: []string{app.PermDeposit, app.PermShiftHandover}}), staff.ErrLastRefund)

	// A disabled holder does not count.
	require.NoError(t, r.svc.Edit(ctx, r.mgr.ID, staff.Person{ID: r.lina.ID, Name: "李娜", Role: app.RoleClerk, Permissions: lina}))
	require.NoError(t, r.svc.SetDisabled(ctx, chen.ID, r.lina.ID, true))
	before = r.snap()
	r.refused(before, r.svc.SetDisabled(ctx, chen.ID, r.mgr.ID, true), staff.ErrLastRefund)
	// Enabled again, she is a holder: 王店长 may go, and then she is the last.
	require.NoError(t, r.svc.SetDisabled(ctx, chen.ID, r.lina.ID, false))
	require.NoError(t, r.svc.SetDisabled(ctx, chen.ID, r.mgr.ID, true))
	before = r.snap()
	r.refused(before, r.svc.SetDisabled(ctx, chen.ID, r.lina.ID, true), staff.ErrLastRefund)
	require.Equal(t, []string{"staff_disable 王店长"}, r.actions("1001")[len(r.actions("1001"))-1:])
}

func TestDisableAndEnable(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	before := r.snap()
	r.refused(before, r.svc.SetDisabled(ctx, r.mgr.ID, r.mgr.ID, true), staff.ErrSelfDisable)
	r.refused(before, r.svc.SetDisabled(ctx, r.mgr.ID, r.admin.ID, true), staff.ErrAdminOnly)
	r.refused(before, r.svc.SetDisabled(ctx, r.zhang.ID, r.lina.ID, true), app.ErrNoPermission)

	require.NoError(t, r.svc.SetDisabled(ctx, r.mgr.ID, r.zhang.ID, true))
	_, err := r.auth.Login(ctx, "1003", "5678")
	require.ErrorIs(t, err, app.ErrStaffDisabled)
	// Disabling twice writes nothing more; the person stays listed (never deleted).
	before = r.snap()
	require.NoError(t, r.svc.SetDisabled(ctx, r.mgr.ID, r.zhang.ID, true))
	require.Equal(t, before, r.snap())
	list, err := r.svc.List(ctx, r.store)
	require.NoError(t, err)
	var found bool
	for _, s := range list {
		if s.Code == "1003" {
			found = s.Disabled
		}
	}
	require.True(t, found, "a disabled person stays listed")

	require.NoError(t, r.svc.SetDisabled(ctx, r.mgr.ID, r.zhang.ID, false))
	_, err = r.auth.Login(ctx, "1003", "5678")
	require.NoError(t, err)
	require.Equal(t, []string{"staff_disable 张伟", "staff_enable 张伟"}, r.actions("1003"))
}

func TestResetPIN(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	// 张伟 locks himself out.
	for i := 0; i < auth.MaxPINAttempts; i++ {
		_, err := r.auth.Login(ctx, "1003", "0000")
		require.Error(t, err)
	}
	_, err := r.auth.Login(ctx, "1003", "5678")
	require.ErrorIs(t, err, auth.ErrLocked)

	before := r.snap()
	r.refused(before, r.svc.ResetPIN(ctx, r.mgr.ID, r.zhang.ID, "12"), auth.ErrPINFormat)
	r.refused(before, r.svc.ResetPIN(ctx, r.mgr.ID, r.mgr.ID, "4321"), staff.ErrResetSelf)
	r.refused(before, r.svc.ResetPIN(ctx, r.lina.ID, r.zhang.ID, "4321"), app.ErrNoPermission)
	r.refused(before, r.svc.ResetPIN(ctx, r.mgr.ID, r.admin.ID, "4321"), staff.ErrAdminOnly)

	require.NoError(t, r.svc.ResetPIN(ctx, r.mgr.ID, r.zhang.ID, "4321"))
	z := r.get("1003")
	require.True(t, z.MustChangePIN)
	require.Zero(t, z.FailedAttempts)
	require.True(t, z.LockedUntil.IsZero(), "the reset ends the lockout")
	_, err = r.auth.Login(ctx, "1003", "5678")
	require.ErrorIs(t, err, auth.ErrWrongPIN, "the old PIN is gone")
	_, err = r.auth.Login(ctx, "1003", "4321")
	require.ErrorIs(t, err, auth.ErrMustChangePIN, "the temporary PIN only lets him set his own")
	require.ErrorIs(t, r.auth.ChangePIN(ctx, "1003", "4321", "4321"), auth.ErrPINSame)
	require.ErrorIs(t, r.auth.ChangePIN(ctx, "1003", "4321", "12a"), auth.ErrPINFormat)
	require.ErrorIs(t, r.auth.ChangePIN(ctx, "1003", "9999", "2468"), auth.ErrWrongPIN)
	require.NoError(t, r.auth.ChangePIN(ctx, "1003", "4321", "2468"))
	z, err = r.auth.Login(ctx, "1003", "2468")
	require.NoError(t, err)
	require.False(t, z.MustChangePIN)
	require.Equal(t, []string{"pin_reset 张伟", "pin_change "}, r.actions("1003"))

	// Not for a disabled person.
	require.NoError(t, r.svc.SetDisabled(ctx, r.mgr.ID, r.zhang.ID, true))
	before = r.snap()
	err = r.svc.ResetPIN(ctx, r.mgr.ID, r.zhang.ID, "4321")
	r.refused(before, err, staff.ErrResetDisabled)

	// Not for someone holding what the actor lacks: knowing the temporary
	// PIN would give it to the actor.
	require.NoError(t, r.svc.Edit(ctx, r.admin.ID, staff.Person{ID: r.lina.ID, Name: "李娜", Role: app.RoleClerk,
		Permissions: append(perms(r.lina), app.PermAdjustBalance)}))
	before = r.snap()
	r.refused(before, r.svc.ResetPIN(ctx, r.mgr.ID, r.lina.ID, "4321"), staff.ErrResetStronger)
	require.NoError(t, r.svc.ResetPIN(ctx, r.admin.ID, r.lina.ID, "4321"))
}

// The Staff workspace's reads: the defaults of each role, the actor as now.
func TestRoleDefaultsAndActor(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	d, err := r.svc.RoleDefaults(ctx, app.RoleClerk)
	require.NoError(t, err)
	require.Equal(t, []string{app.PermDeposit, app.PermShiftHandover}, d)
	d, err = r.svc.RoleDefaults(ctx, app.RoleManager)
	require.NoError(t, err)
	require.NotContains(t, d, app.PermAdjustBalance)
	require.Contains(t, d, app.PermStaffManage)
	_, err = r.svc.RoleDefaults(ctx, "boss")
	require.ErrorIs(t, err, staff.ErrRole)
	a, err := r.svc.Actor(ctx, r.mgr.ID)
	require.NoError(t, err)
	require.True(t, a.Has(app.PermStaffManage))
	_, err = r.svc.Actor(ctx, r.lina.ID)
	require.ErrorIs(t, err, app.ErrNoPermission)
}

// A person's role is power too: a manager refunds and deposits off shift,
// countersigns a handover and closes others' shifts. Someone below a role
// (a clerk granted staff management) neither makes anyone that role nor
// touches a person holding it — above all, never resets their PIN, which
// would hand them the manager's account.
func TestRoleAboveTheActor(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	// The manager gives 李娜 (clerk) everything he holds, staff management
	// included: she now holds every permission he does.
	mgr := perms(r.mgr)
	require.NoError(t, r.svc.Edit(ctx, r.mgr.ID, staff.Person{ID: r.lina.ID, Name: "李娜", Role: app.RoleClerk, Permissions: mgr}))
	lina := r.get("1002")
	require.Equal(t, mgr, perms(lina))

	before := r.snap()
	r.refused(before, r.svc.ResetPIN(ctx, lina.ID, r.mgr.ID, "4321"), staff.ErrRoleAbove)
	r.refused(before, r.svc.SetDisabled(ctx, lina.ID, r.mgr.ID, true), staff.ErrRoleAbove)
	r.refused(before, r.svc.Edit(ctx, lina.ID, staff.Person{ID: r.mgr.ID, Name: "王店长", Role: app.RoleClerk, Permissions: mgr}), staff.ErrRoleAbove)
	r.refused(before, r.svc.Edit(ctx, lina.ID, staff.Person{ID: r.zhang.ID, Name: "张伟", Role: app.RoleManager, Permissions: perms(r.zhang)}), staff.ErrRoleAbove)
	_, err := r.svc.Add(ctx, lina.ID, staff.Person{StoreID: r.store, Code: "1004", Name: "陈静", Role: app.RoleManager, PIN: "2580"})
	r.refused(before, err, staff.ErrRoleAbove)

	// Her own rank and below stay hers to manage.
	require.NoError(t, r.svc.ResetPIN(ctx, lina.ID, r.zhang.ID, "4321"))
	_, err = r.svc.Add(ctx, lina.ID, staff.Person{StoreID: r.store, Code: "1004", Name: "陈静", Role: app.RoleClerk, PIN: "2580"})
	require.NoError(t, err)
	// A manager still manages another manager of the store.
	chen, err := r.svc.Add(ctx, r.mgr.ID, staff.Person{StoreID: r.store, Code: "1005", Name: "陈经理", Role: app.RoleManager, PIN: "1005"})
	require.NoError(t, err)
	require.NoError(t, r.svc.ResetPIN(ctx, r.mgr.ID, chen.ID, "5678"))
}

// An administrator serves every store (no store of their own); everyone
// else serves one. A role change across that line moves the person: an
// administrator made a manager belongs to the store they are made manager
// of (and no longer countersigns, closes shifts or counts as a refund
// holder in the others), a manager made an administrator to none. Moving
// away from a store is one more way to leave it without a refund holder.
func TestRoleChangeAcrossAdministratorMovesTheStore(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	var other int64
	require.NoError(t, r.db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`INSERT INTO store(merchant_id, code, name, created_at) SELECT merchant_id, 'S0002', '二店', 0 FROM store WHERE id=?`, r.store)
		if err != nil {
			return err
		}
		other, err = res.LastInsertId()
		return err
	}))
	admin2, err := r.svc.Add(ctx, r.admin.ID, staff.Person{Code: "9002", Name: "钱总", Role: app.RoleAdmin, PIN: "9002", Permissions: app.Permissions})
	require.NoError(t, err)
	require.Zero(t, admin2.StoreID)

	// The second store's only refund holders are the two administrators;
	// 钱总 may go to the first store while 赵管理 stays.
	require.NoError(t, r.svc.Edit(ctx, r.admin.ID, staff.Person{ID: admin2.ID, StoreID: r.store, Name: "钱总", Role: app.RoleManager, Permissions: app.Permissions}))
	q := r.get("9002")
	require.Equal(t, app.RoleManager, q.Role)
	require.Equal(t, r.store, q.StoreID, "a manager belongs to a store")
	list, err := r.svc.List(ctx, other)
	require.NoError(t, err)
	for _, s := range list {
		require.NotEqual(t, "9002", s.Code, "listed in the store they serve only")
	}
	require.Equal(t, []string{"role_change admin->manager store=0->1"}, r.actions("9002")[len(r.actions("9002"))-1:])

	// Back to administrator: above the stores again.
	require.NoError(t, r.svc.Edit(ctx, r.admin.ID, staff.Person{ID: admin2.ID, StoreID: r.store, Name: "钱总", Role: app.RoleAdmin, Permissions: app.Permissions}))
	require.Zero(t, r.get("9002").StoreID)

	// 赵管理 made a manager of the first store would leave the second with
	// 钱总 only; once 钱总 no longer holds refund, with nobody.
	var noRefund []string
	for _, p := range app.Permissions {
		if p != app.PermRefund {
			noRefund = append(noRefund, p)
		}
	}
	require.NoError(t, r.svc.Edit(ctx, r.admin.ID, staff.Person{ID: admin2.ID, Name: "钱总", Role: app.RoleAdmin, Permissions: noRefund}))
	before := r.snap()
	r.refused(before, r.svc.Edit(ctx, admin2.ID, staff.Person{ID: r.admin.ID, StoreID: r.store, Name: "赵管理", Role: app.RoleManager,
		Permissions: app.Permissions}), staff.ErrLastRefund)
	// Made a manager of the second store, he still serves it.
	require.NoError(t, r.svc.Edit(ctx, admin2.ID, staff.Person{ID: r.admin.ID, StoreID: other, Name: "赵管理", Role: app.RoleManager,
		Permissions: app.Permissions}))
	require.Equal(t, other, r.get("9001").StoreID)

	// A manager or clerk needs a real store.
	admin3, err := r.svc.Add(ctx, admin2.ID, staff.Person{Code: "9003", Name: "孙总", Role: app.RoleAdmin, PIN: "9003", Permissions: noRefund})
	require.NoError(t, err)
	before = r.snap()
	for _, st := range []int64{0, 999} {
		r.refused(before, r.svc.Edit(ctx, admin2.ID, staff.Person{ID: admin3.ID, StoreID: st, Name: "孙总", Role: app.RoleManager,
			Permissions: noRefund}), staff.ErrStoreNeeded)
		_, err = r.svc.Add(ctx, admin2.ID, staff.Person{StoreID: st, Code: "1006", Name: "无店", Role: app.RoleClerk, PIN: "1006"})
		r.refused(before, err, staff.ErrStoreNeeded)
	}
}

// Two changes at the same moment, each disabling one of the last two
// refund holders: the rule is read inside the write transaction, so the
// second sees the first and is refused.
func TestLastRefundHolder_ConcurrentDisables(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	// Holders: 王店长 and 李娜 (赵管理 gives refund up). 陈经理 manages
	// staff without holding refund.
	require.NoError(t, r.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`DELETE FROM staff_permission WHERE staff_id=? AND permission_code='refund'`, r.admin.ID)
		return err
	}))
	chen, err := r.svc.Add(ctx, r.admin.ID, staff.Person{StoreID: r.store, Code: "1005", Name: "陈经理", Role: app.RoleManager, PIN: "1005",
		Permissions: []string{app.PermStaffManage}})
	require.NoError(t, err)
	for round := 0; round < 10; round++ {
		errs := make(chan error, 2)
		start := make(chan struct{})
		for _, id := range []int64{r.mgr.ID, r.lina.ID} {
			go func() {
				<-start
				errs <- r.svc.SetDisabled(ctx, chen.ID, id, true)
			}()
		}
		close(start)
		e1, e2 := <-errs, <-errs
		if e1 != nil {
			e1, e2 = e2, e1
		}
		require.NoError(t, e1)
		require.ErrorIs(t, e2, staff.ErrLastRefund)
		var enabled int
		require.NoError(t, r.db.Read().QueryRow(`SELECT count(*) FROM staff s JOIN staff_permission p ON p.staff_id=s.id
			WHERE p.permission_code='refund' AND s.disabled=0`).Scan(&enabled))
		require.Equal(t, 1, enabled)
		require.NoError(t, r.svc.SetDisabled(ctx, chen.ID, r.mgr.ID, false))
		require.NoError(t, r.svc.SetDisabled(ctx, chen.ID, r.lina.ID, false))
	}
}
