package auth_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/app/auth"
	"cashier/localdb"
)

// Against the real SQLite store with the demo people: 1001 王店长
// (manager, PIN 8888), 1002 李娜 (clerk holding refund, PIN 1234), 1003
// 张伟 (clerk without refund, PIN 5678).

type rig struct {
	t                *testing.T
	db               *localdb.DB
	clock            *app.ManualClock
	auth             *auth.Auth
	rules            auth.Rules
	mgr, lina, zhang app.Staff
}

func newRig(t *testing.T) *rig {
	t.Helper()
	ctx := context.Background()
	db, err := localdb.Open(filepath.Join(t.TempDir(), "pos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	clock := app.NewManualClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	h := auth.PINHasher{Cost: bcrypt.MinCost}
	_, err = db.SeedDemo(ctx, h, clock.Now())
	require.NoError(t, err)
	ov := auth.NewOverrides(clock)
	r := &rig{t: t, db: db, clock: clock, auth: &auth.Auth{Store: db, Clock: clock, Hasher: h, Overrides: ov},
		rules: auth.Rules{Store: db, Overrides: ov}}
	r.mgr, r.lina, r.zhang = r.get("1001"), r.get("1002"), r.get("1003")
	return r
}

func (r *rig) get(code string) app.Staff {
	r.t.Helper()
	s, _, err := r.db.StaffByCode(context.Background(), code)
	require.NoError(r.t, err)
	return s
}

func (r *rig) exec(q string, args ...any) {
	r.t.Helper()
	require.NoError(r.t, r.db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(q, args...)
		return err
	}))
}

func (r *rig) clockOn(s app.Staff) {
	r.exec(`INSERT INTO shift(store_id, staff_id, started_at) VALUES (?,?,?)`, s.StoreID, s.ID, r.clock.Now().UnixMilli())
}

func (r *rig) audit(action string) []string {
	r.t.Helper()
	rows, err := r.db.Read().Query(`SELECT COALESCE(staff_id,0), subject, detail FROM audit_log WHERE action=? ORDER BY id`, action)
	require.NoError(r.t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id int64
		var s, d string
		require.NoError(r.t, rows.Scan(&id, &s, &d))
		out = append(out, s+" "+d)
	}
	return out
}

// The refund permission, enforced in app whatever the screen does: a
// clerk holding it only while clocked on, a manager always, a disabled
// person never, a clerk without it never.
func TestRules_RefundMatrix(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	check := func(s app.Staff) error {
		_, err := r.rules.Check(ctx, s.ID, app.PermRefund)
		return err
	}
	require.ErrorIs(t, check(r.lina), app.ErrNotOnShift, "clerk off shift: no")
	require.ErrorIs(t, check(r.zhang), app.ErrNoPermission, "clerk without the permission: no")
	require.NoError(t, check(r.mgr), "manager off shift: yes")
	r.clockOn(r.lina)
	r.clockOn(r.zhang)
	r.clockOn(r.mgr)
	require.NoError(t, check(r.lina), "clerk on shift: yes")
	require.ErrorIs(t, check(r.zhang), app.ErrNoPermission, "on shift without the permission: still no")
	require.NoError(t, check(r.mgr), "manager on shift: yes")
	require.NoError(t, r.db.SetStaffDisabled(ctx, r.mgr.ID, true))
	require.NoError(t, r.db.SetStaffDisabled(ctx, r.lina.ID, true))
	require.ErrorIs(t, check(r.mgr), app.ErrStaffDisabled, "disabled manager: never")
	require.ErrorIs(t, check(r.lina), app.ErrStaffDisabled, "disabled clerk on shift: never")
}

func TestOverride_OneShot(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	_, err := r.rules.Check(ctx, r.zhang.ID, app.PermRefund)
	require.ErrorIs(t, err, app.ErrNoPermission)

	m, err := r.auth.Override(ctx, "1001", "8888", r.zhang.ID, app.PermRefund)
	require.NoError(t, err)
	require.Equal(t, r.mgr.ID, m.ID)
	// Another permission is not approved.
	_, err = r.rules.Check(ctx, r.zhang.ID, app.PermSettings)
	require.ErrorIs(t, err, app.ErrNoPermission)
	// Nor another person.
	_, err = r.rules.Check(ctx, r.lina.ID, app.PermRefund)
	require.ErrorIs(t, err, app.ErrNotOnShift)

	s, err := r.rules.Check(ctx, r.zhang.ID, app.PermRefund)
	require.NoError(t, err, "the approved check passes")
	require.Equal(t, r.mgr.ID, s.ApprovedBy)
	require.Equal(t, "王店长", s.ApprovedByName)
	_, err = r.rules.Check(ctx, r.zhang.ID, app.PermRefund)
	require.ErrorIs(t, err, app.ErrNoPermission, "once only")

	require.Equal(t, []string{"1003 perm=refund for=1003(张伟) approver=1001(王店长)"}, r.audit("override"))
	require.Empty(t, r.audit("login"), "an override is not a login")

	// A clerk off shift who holds refund may be approved too.
	_, err = r.auth.Override(ctx, "1001", "8888", r.lina.ID, app.PermRefund)
	require.NoError(t, err)
	s, err = r.rules.Check(ctx, r.lina.ID, app.PermRefund)
	require.NoError(t, err)
	require.Equal(t, r.mgr.ID, s.ApprovedBy)

	// An approval never lets a disabled person through.
	_, err = r.auth.Override(ctx, "1001", "8888", r.zhang.ID, app.PermRefund)
	require.NoError(t, err)
	require.NoError(t, r.db.SetStaffDisabled(ctx, r.zhang.ID, true))
	_, err = r.rules.Check(ctx, r.zhang.ID, app.PermRefund)
	require.ErrorIs(t, err, app.ErrStaffDisabled)
}

func TestOverride_ExpiresAfterTwoMinutes(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	_, err := r.auth.Override(ctx, "1001", "8888", r.zhang.ID, app.PermSettings)
	require.NoError(t, err)
	r.clock.Advance(auth.OverrideTTL - time.Second)
	_, err = r.rules.Check(ctx, r.zhang.ID, app.PermSettings)
	require.NoError(t, err, "within two minutes")

	_, err = r.auth.Override(ctx, "1001", "8888", r.zhang.ID, app.PermSettings)
	require.NoError(t, err)
	r.clock.Advance(auth.OverrideTTL)
	_, err = r.rules.Check(ctx, r.zhang.ID, app.PermSettings)
	require.ErrorIs(t, err, app.ErrNoPermission, "expired")

	// Approved, then the approver is disabled before it is used: nothing.
	_, err = r.auth.Override(ctx, "1001", "8888", r.zhang.ID, app.PermSettings)
	require.NoError(t, err)
	require.NoError(t, r.db.SetStaffDisabled(ctx, r.mgr.ID, true))
	_, err = r.rules.Check(ctx, r.zhang.ID, app.PermSettings)
	require.ErrorIs(t, err, app.ErrNoPermission)
}

func TestOverride_Refusals(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	// The same person.
	_, err := r.auth.Override(ctx, "1001", "8888", r.mgr.ID, app.PermAdjustBalance)
	require.ErrorIs(t, err, auth.ErrOverrideSelf)
	// An approver who may not do it themselves.
	_, err = r.auth.Override(ctx, "1001", "8888", r.zhang.ID, app.PermAdjustBalance)
	require.ErrorIs(t, err, app.ErrNoPermission)
	// A clerk, even one holding refund, does not approve: only a store
	// manager or an administrator lends a permission.
	_, err = r.auth.Override(ctx, "1002", "1234", r.zhang.ID, app.PermRefund)
	require.ErrorIs(t, err, auth.ErrOverrideRole)
	// Unknown permission, unknown approver, unknown clerk.
	_, err = r.auth.Override(ctx, "1001", "8888", r.zhang.ID, "fly")
	require.ErrorIs(t, err, app.ErrPermissionCode)
	_, err = r.auth.Override(ctx, "7777", "8888", r.zhang.ID, app.PermRefund)
	require.ErrorIs(t, err, app.ErrUnknownStaff)
	_, err = r.auth.Override(ctx, "1001", "8888", 999, app.PermRefund)
	require.ErrorIs(t, err, app.ErrUnknownStaff)
	// None of them let anything through.
	_, err = r.rules.Check(ctx, r.zhang.ID, app.PermAdjustBalance)
	require.ErrorIs(t, err, app.ErrNoPermission)
	_, err = r.rules.Check(ctx, r.zhang.ID, app.PermRefund)
	require.ErrorIs(t, err, app.ErrNoPermission)
	require.Empty(t, r.audit("override"))
	require.Len(t, r.audit("override_refused"), 4, "each refused approver; an unknown permission or clerk is bad input, not an attempt")

	// Without a registry there are no overrides.
	noReg := &auth.Auth{Store: r.db, Clock: r.clock, Hasher: r.auth.Hasher}
	_, err = noReg.Override(ctx, "1001", "8888", r.zhang.ID, app.PermRefund)
	require.ErrorIs(t, err, auth.ErrOverrideOff)

	// A disabled manager.
	require.NoError(t, r.db.SetStaffDisabled(ctx, r.mgr.ID, true))
	_, err = r.auth.Override(ctx, "1001", "8888", r.zhang.ID, app.PermRefund)
	require.ErrorIs(t, err, app.ErrStaffDisabled)
}

// Wrong override PINs count towards the manager's own lockout, as wrong
// login PINs do: the fifth locks them out of logging in too.
func TestOverride_WrongPINsLockTheManager(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	for i := 1; i < auth.MaxPINAttempts; i++ {
		_, err := r.auth.Override(ctx, "1001", "0000", r.zhang.ID, app.PermRefund)
		require.ErrorIs(t, err, auth.ErrWrongPIN)
	}
	_, err := r.auth.Override(ctx, "1001", "0000", r.zhang.ID, app.PermRefund)
	require.ErrorIs(t, err, auth.ErrLocked)
	_, err = r.auth.Login(ctx, "1001", "8888")
	require.ErrorIs(t, err, auth.ErrLocked, "the manager is locked out")
	_, err = r.auth.Override(ctx, "1001", "8888", r.zhang.ID, app.PermRefund)
	require.ErrorIs(t, err, auth.ErrLocked, "even with the right PIN")
	_, err = r.rules.Check(ctx, r.zhang.ID, app.PermRefund)
	require.ErrorIs(t, err, app.ErrNoPermission)
	require.Len(t, r.audit("login_failed"), auth.MaxPINAttempts)
	require.Len(t, r.audit("lockout"), 1)
	require.Len(t, r.audit("override_refused"), auth.MaxPINAttempts+1)
	require.Equal(t, 0, r.get("1003").FailedAttempts, "the clerk's count is untouched")

	r.clock.Advance(auth.PINLockout)
	_, err = r.auth.Override(ctx, "1001", "8888", r.zhang.ID, app.PermRefund)
	require.NoError(t, err)
}

// Verify: the PIN rules of a login without being one.
func TestVerify(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	s, err := r.auth.Verify(ctx, "1001", "8888")
	require.NoError(t, err)
	require.Equal(t, r.mgr.ID, s.ID)
	_, err = r.auth.Verify(ctx, "1001", "1111")
	require.ErrorIs(t, err, auth.ErrWrongPIN)
	require.Equal(t, 1, r.get("1001").FailedAttempts)
	_, err = r.auth.Verify(ctx, "1001", "8888")
	require.NoError(t, err)
	require.Zero(t, r.get("1001").FailedAttempts, "a right PIN clears the count")
	require.Empty(t, r.audit("login"))
	// A PIN that must be changed verifies nothing.
	r.exec(`UPDATE staff SET must_change_pin=1 WHERE id=?`, r.mgr.ID)
	_, err = r.auth.Verify(ctx, "1001", "8888")
	require.ErrorIs(t, err, auth.ErrMustChangePIN)
}

// Wrong PINs tried at the same moment (two screens, a script) are each
// counted: no more than MaxPINAttempts are compared before the lockout,
// and none of the counts is lost.
func TestVerify_ConcurrentWrongPINsAllCount(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	const n = 4 * auth.MaxPINAttempts
	errs := make(chan error, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		go func() {
			<-start
			_, err := r.auth.Verify(ctx, "1001", "0000")
			errs <- err
		}()
	}
	close(start)
	wrong, locked := 0, 0
	for i := 0; i < n; i++ {
		err := <-errs
		switch {
		case errors.Is(err, auth.ErrWrongPIN):
			wrong++
		case errors.Is(err, auth.ErrLocked):
			locked++
		default:
			t.Fatalf("unexpected %v", err)
		}
	}
	require.Equal(t, auth.MaxPINAttempts-1, wrong, "the fifth wrong PIN locks; later ones are not compared")
	require.Equal(t, n-wrong, locked)
	m := r.get("1001")
	require.Equal(t, auth.MaxPINAttempts, m.FailedAttempts)
	require.True(t, r.clock.Now().Before(m.LockedUntil), "locked out")
	require.Len(t, r.audit("login_failed"), auth.MaxPINAttempts)
	require.Len(t, r.audit("lockout"), 1)
}

// The approver serves the person's store: a manager of another store (who
// can log in here too) approves nothing in this one, as they could not
// countersign its handover; an administrator serves every store.
func TestOverride_ApproverOfAnotherStore(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	h, err := r.auth.Hasher.Hash("2001")
	require.NoError(t, err)
	require.NoError(t, r.db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`INSERT INTO store(merchant_id, code, name, created_at) SELECT merchant_id, 'S0002', '二店', 0 FROM store WHERE id=?`, r.mgr.StoreID)
		if err != nil {
			return err
		}
		other, _ := res.LastInsertId()
		if _, err := localdb.AddStaff(ctx, tx, localdb.NewStaff{StoreID: other, Code: "2001", Name: "二店长", Role: app.RoleManager, PINHash: h}, r.clock.Now()); err != nil {
			return err
		}
		_, err = localdb.AddStaff(ctx, tx, localdb.NewStaff{Code: "9001", Name: "赵管理", Role: app.RoleAdmin, PINHash: h}, r.clock.Now())
		return err
	}))
	_, err = r.auth.Override(ctx, "2001", "2001", r.zhang.ID, app.PermRefund)
	require.ErrorIs(t, err, auth.ErrOverrideOtherStore)
	_, err = r.rules.Check(ctx, r.zhang.ID, app.PermRefund)
	require.ErrorIs(t, err, app.ErrNoPermission, "nothing approved")
	require.Len(t, r.audit("override_refused"), 1)

	_, err = r.auth.Override(ctx, "9001", "2001", r.zhang.ID, app.PermRefund)
	require.NoError(t, err, "an administrator serves every store")
	s, err := r.rules.Check(ctx, r.zhang.ID, app.PermRefund)
	require.NoError(t, err)
	require.Equal(t, "赵管理", s.ApprovedByName)

	// Approved, then the approver moved to the other store: nothing.
	_, err = r.auth.Override(ctx, "1001", "8888", r.zhang.ID, app.PermRefund)
	require.NoError(t, err)
	r.exec(`UPDATE staff SET store_id=(SELECT store_id FROM staff WHERE code='2001') WHERE id=?`, r.mgr.ID)
	_, err = r.rules.Check(ctx, r.zhang.ID, app.PermRefund)
	require.ErrorIs(t, err, app.ErrNoPermission)
}
