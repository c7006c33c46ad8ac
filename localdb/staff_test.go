package localdb

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/settings"
)

var testHasher = auth.PINHasher{Cost: bcrypt.MinCost}

func remaining(t *testing.T, err error) int {
	t.Helper()
	require.ErrorIs(t, err, auth.ErrWrongPIN)
	m, ok := app.AsMessage(err)
	require.True(t, ok)
	return m.Args["Remaining"].(int)
}

func seeded(t *testing.T) (*DB, *app.ManualClock) {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "pos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	clock := app.NewManualClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	ok, err := db.SeedDemo(context.Background(), testHasher, clock.Now())
	require.NoError(t, err)
	require.True(t, ok)
	return db, clock
}

func TestSeedDemo_StoreStaffProducts(t *testing.T) {
	db, clock := seeded(t)
	ctx := context.Background()
	st, err := db.CurrentStore(ctx)
	require.NoError(t, err)
	require.Contains(t, st.Name, "便利店")
	staff, err := db.ListStaff(ctx, st.ID)
	require.NoError(t, err)
	require.Len(t, staff, 3)
	require.Equal(t, app.RoleManager, staff[0].Role)
	n, err := db.CountProducts(ctx, st.ID)
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, 50)
	for i := 0; i < DemoProductCount; i++ {
		bc := DemoBarcode(i)
		require.True(t, app.ValidEAN13(bc), bc)
		p, err := db.ProductByBarcode(ctx, st.ID, bc)
		require.NoError(t, err)
		require.Positive(t, int64(p.Price))
	}
	again, err := db.SeedDemo(ctx, testHasher, clock.Now())
	require.NoError(t, err)
	require.False(t, again, "seeding twice must do nothing")
	require.True(t, db.IsDemo(ctx))
}

func TestLogin_RightAndWrongPIN(t *testing.T) {
	db, clock := seeded(t)
	a := &auth.Auth{Store: db, Clock: clock, Hasher: testHasher}
	ctx := context.Background()
	s, err := a.Login(ctx, "1001", "8888")
	require.NoError(t, err)
	require.Equal(t, "王店长", s.Name)
	require.True(t, s.Has(app.PermSettings))

	_, err = a.Login(ctx, "1002", "0000")
	require.Equal(t, 4, remaining(t, err))
	// a right PIN resets the count
	_, err = a.Login(ctx, "1002", "1234")
	require.NoError(t, err)
	_, err = a.Login(ctx, "1002", "0000")
	require.Equal(t, 4, remaining(t, err))
}

func TestLogin_LockoutAndExpiry(t *testing.T) {
	db, clock := seeded(t)
	a := &auth.Auth{Store: db, Clock: clock, Hasher: testHasher}
	ctx := context.Background()
	for i := 1; i <= 4; i++ {
		_, err := a.Login(ctx, "1003", "1111")
		require.Equal(t, 5-i, remaining(t, err))
	}
	_, err := a.Login(ctx, "1003", "1111")
	require.ErrorIs(t, err, auth.ErrLocked)
	m, _ := app.AsMessage(err)
	require.Equal(t, clock.Now().Add(5*time.Minute), m.Args["Until"])

	// Locked: even the right PIN is refused, and the lock is durable.
	_, err = a.Login(ctx, "1003", "5678")
	require.ErrorIs(t, err, auth.ErrLocked)
	s, _, err := db.StaffByCode(ctx, "1003")
	require.NoError(t, err)
	require.Equal(t, 5, s.FailedAttempts)

	// Someone else is not affected.
	_, err = a.Login(ctx, "1002", "1234")
	require.NoError(t, err)

	clock.Advance(4*time.Minute + 59*time.Second)
	_, err = a.Login(ctx, "1003", "5678")
	require.ErrorIs(t, err, auth.ErrLocked)

	clock.Advance(time.Second)
	// After expiry a wrong PIN starts a fresh count...
	_, err = a.Login(ctx, "1003", "1111")
	require.Equal(t, 4, remaining(t, err))
	// ...and the right one gets in and clears it.
	s, err = a.Login(ctx, "1003", "5678")
	require.NoError(t, err)
	s, _, _ = db.StaffByCode(ctx, "1003")
	require.Zero(t, s.FailedAttempts)
	require.True(t, s.LockedUntil.IsZero())
}

func TestLogin_UnknownAndDisabled(t *testing.T) {
	db, clock := seeded(t)
	a := &auth.Auth{Store: db, Clock: clock, Hasher: testHasher}
	ctx := context.Background()
	_, err := a.Login(ctx, "9999", "1234")
	require.ErrorIs(t, err, app.ErrUnknownStaff)

	s, _, err := db.StaffByCode(ctx, "1002")
	require.NoError(t, err)
	require.NoError(t, db.SetStaffDisabled(ctx, s.ID, true))
	_, err = a.Login(ctx, "1002", "1234")
	require.ErrorIs(t, err, app.ErrStaffDisabled)

	// Every attempt is in the audit log, without PINs.
	rows, err := db.Read().Query(`SELECT action, detail FROM audit_log`)
	require.NoError(t, err)
	defer rows.Close()
	var actions []string
	for rows.Next() {
		var a, d string
		require.NoError(t, rows.Scan(&a, &d))
		require.NotContains(t, d, "1234")
		actions = append(actions, a)
	}
	require.Contains(t, actions, "login_refused")
}

func TestPINFormatAndHash(t *testing.T) {
	for _, bad := range []string{"", "123", "12a4", "1234567890123", "１２３４"} {
		_, err := testHasher.Hash(bad)
		require.ErrorIs(t, err, auth.ErrPINFormat, bad)
	}
	h, err := testHasher.Hash("2468")
	require.NoError(t, err)
	require.NotContains(t, h, "2468")
	require.True(t, testHasher.Check(h, "2468"))
	require.False(t, testHasher.Check(h, "2469"))
}

// The rules read the person at the moment of the action: a refund grant
// revoked, or a person disabled, after they logged in counts at once;
// a clerk needs an open shift; a manager does not.
func TestPermits_ReadAtTheMomentOfTheAction(t *testing.T) {
	db, clock := seeded(t)
	ctx := context.Background()
	rules := auth.Rules{Store: db}
	mgr, _, _ := db.StaffByCode(ctx, "1001")
	clerk, _, _ := db.StaffByCode(ctx, "1002") // holds refund by a personal grant
	other, _, _ := db.StaffByCode(ctx, "1003")
	_, err := rules.Check(ctx, mgr.ID, app.PermRefund)
	require.NoError(t, err, "a manager refunds whether clocked on or not")
	_, err = rules.Check(ctx, clerk.ID, app.PermRefund)
	require.ErrorIs(t, err, app.ErrNotOnShift)
	require.ErrorIs(t, err, app.ErrNoPermission)
	_, err = rules.Check(ctx, other.ID, app.PermRefund)
	require.ErrorIs(t, err, app.ErrNoPermission)

	_, err = db.writer.Exec(`INSERT INTO shift(store_id, staff_id, started_at) VALUES (?,?,?)`, clerk.StoreID, clerk.ID, clock.Now().UnixMilli())
	require.NoError(t, err)
	_, err = rules.Check(ctx, clerk.ID, app.PermRefund)
	require.NoError(t, err, "clocked on, with the grant")

	// The grant is revoked: the login-time record still says yes, the
	// rule says no.
	require.True(t, clerk.Has(app.PermRefund))
	_, err = db.writer.Exec(`DELETE FROM staff_permission WHERE staff_id=? AND permission_code='refund'`, clerk.ID)
	require.NoError(t, err)
	_, err = rules.Check(ctx, clerk.ID, app.PermRefund)
	require.ErrorIs(t, err, app.ErrNoPermission)

	// Disabled: nothing is allowed, deposits included.
	require.NoError(t, db.SetStaffDisabled(ctx, mgr.ID, true))
	_, err = rules.Check(ctx, mgr.ID, app.PermDeposit)
	require.ErrorIs(t, err, app.ErrStaffDisabled)
	_, err = rules.Check(ctx, 0, app.PermRefund)
	require.ErrorIs(t, err, app.ErrUnknownStaff)
}

func TestSettings_PermissionAndValidation(t *testing.T) {
	db, _ := seeded(t)
	ctx := context.Background()
	svc := settings.Service{Store: db, Permits: auth.Rules{Store: db}, Signals: app.NewSignals()}
	changed := 0
	svc.Signals.Subscribe(app.SignalTerminal, func(any) { changed++ })
	mgr, _, _ := db.StaffByCode(ctx, "1001")
	clerk, _, _ := db.StaffByCode(ctx, "1002")
	st, tm, err := svc.Current(ctx)
	require.NoError(t, err)
	st.Name = "新店名"
	require.ErrorIs(t, svc.Save(ctx, clerk.ID, st, tm), app.ErrNoPermission)
	require.NoError(t, svc.Save(ctx, mgr.ID, st, tm))
	require.Equal(t, 1, changed, "open screens are told")
	got, _ := db.CurrentStore(ctx)
	require.Equal(t, "新店名", got.Name)
	st.Name = "  "
	require.True(t, errors.Is(svc.Save(ctx, mgr.ID, st, tm), app.ErrInvalidField))
	st.Name = "新店名"
	tm.CashierMode = "bogus"
	require.Error(t, svc.Save(ctx, mgr.ID, st, tm))
	tm.CashierMode = app.ModeDeposit
	require.NoError(t, svc.Save(ctx, mgr.ID, st, tm))
	require.Error(t, svc.SaveLanguage(ctx, "fr"))
	require.NoError(t, svc.SaveLanguage(ctx, "en"))
	l, _ := svc.Language(ctx)
	require.Equal(t, "en", l)
}

// pos init's set-up: a live folder with an administrator holding every
// permission; a second set-up, or bad input, writes nothing.
func TestInitLive(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "pos.db"))
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()
	now := time.Now()
	bad := LiveSetup{Store: "店", Terminal: "1号台", AdminCode: "abc", AdminName: "王", PIN: "1234"}
	_, err = db.InitLive(ctx, testHasher, now, bad)
	require.ErrorIs(t, err, ErrStaffCode)
	bad.AdminCode, bad.PIN = "9001", "12"
	_, err = db.InitLive(ctx, testHasher, now, bad)
	require.ErrorIs(t, err, auth.ErrPINFormat)
	ok, _ := db.Configured(ctx)
	require.False(t, ok, "bad input writes nothing")

	good := LiveSetup{Store: "正式门店", Terminal: "前台", AdminCode: "9001", AdminName: "赵管理", PIN: "246810"}
	term, err := db.InitLive(ctx, testHasher, now, good)
	require.NoError(t, err)
	require.Len(t, term.Code, 6)
	require.False(t, db.IsDemo(ctx))
	a := &auth.Auth{Store: db, Clock: app.SystemClock{}, Hasher: testHasher}
	admin, err := a.Login(ctx, "9001", "246810")
	require.NoError(t, err)
	require.Equal(t, app.RoleAdmin, admin.Role)
	for _, p := range app.Permissions { // an administrator holds every permission
		require.True(t, admin.Has(p), p)
	}
	n, err := db.CountProducts(ctx, term.StoreID)
	require.NoError(t, err)
	require.Zero(t, n, "no demo products in a live folder")
	_, err = db.InitLive(ctx, testHasher, now, good)
	require.ErrorIs(t, err, ErrAlreadySetUp)
}

// One save of the Settings screen — the details and the handover's
// threshold — is one action: a manager's one-shot override covers all of
// it, and the next save needs another.
func TestSettings_SaveAllIsOneActionUnderAnOverride(t *testing.T) {
	db, clock := seeded(t)
	ctx := context.Background()
	ov := auth.NewOverrides(clock)
	a := &auth.Auth{Store: db, Clock: clock, Hasher: testHasher, Overrides: ov}
	svc := settings.Service{Store: db, Permits: auth.Rules{Store: db, Overrides: ov}, Signals: app.NewSignals()}
	clerk, _, _ := db.StaffByCode(ctx, "1003")
	st, tm, err := svc.Current(ctx)
	require.NoError(t, err)
	st.Name = "新店名"
	require.ErrorIs(t, svc.SaveAll(ctx, clerk.ID, st, tm, 2000), app.ErrNoPermission)
	_, err = a.Override(ctx, "1001", "8888", clerk.ID, app.PermSettings)
	require.NoError(t, err)
	require.ErrorIs(t, svc.SaveAll(ctx, clerk.ID, st, tm, -1), settings.ErrThreshold, "checked before anything is written")
	got, _ := db.CurrentStore(ctx)
	require.NotEqual(t, "新店名", got.Name)
	_, err = a.Override(ctx, "1001", "8888", clerk.ID, app.PermSettings)
	require.NoError(t, err)
	require.NoError(t, svc.SaveAll(ctx, clerk.ID, st, tm, 2000))
	got, _ = db.CurrentStore(ctx)
	require.Equal(t, "新店名", got.Name)
	th, err := svc.VarianceThreshold(ctx)
	require.NoError(t, err)
	require.Equal(t, app.Money(2000), th)
	require.ErrorIs(t, svc.SaveAll(ctx, clerk.ID, st, tm, 3000), app.ErrNoPermission, "the approval was used up")
}
