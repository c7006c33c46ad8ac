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
)

var testHasher = app.PINHasher{Cost: bcrypt.MinCost}

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
	auth := &app.Auth{Store: db, Clock: clock, Hasher: testHasher}
	ctx := context.Background()
	s, err := auth.Login(ctx, "1001", "8888")
	require.NoError(t, err)
	require.Equal(t, "王店长", s.Name)
	require.True(t, s.Has(app.PermSettings))

	_, err = auth.Login(ctx, "1002", "0000")
	var wrong *app.WrongPINError
	require.ErrorAs(t, err, &wrong)
	require.Equal(t, 4, wrong.Remaining)
	// a right PIN resets the count
	_, err = auth.Login(ctx, "1002", "1234")
	require.NoError(t, err)
	_, err = auth.Login(ctx, "1002", "0000")
	require.ErrorAs(t, err, &wrong)
	require.Equal(t, 4, wrong.Remaining)
}

func TestLogin_LockoutAndExpiry(t *testing.T) {
	db, clock := seeded(t)
	auth := &app.Auth{Store: db, Clock: clock, Hasher: testHasher}
	ctx := context.Background()
	for i := 1; i <= 4; i++ {
		_, err := auth.Login(ctx, "1003", "1111")
		var wrong *app.WrongPINError
		require.ErrorAs(t, err, &wrong)
		require.Equal(t, 5-i, wrong.Remaining)
	}
	_, err := auth.Login(ctx, "1003", "1111")
	var locked *app.LockedError
	require.ErrorAs(t, err, &locked)
	require.Equal(t, clock.Now().Add(5*time.Minute), locked.Until)

	// Locked: even the right PIN is refused, and the lock is durable.
	_, err = auth.Login(ctx, "1003", "5678")
	require.ErrorAs(t, err, &locked)
	s, _, err := db.StaffByCode(ctx, "1003")
	require.NoError(t, err)
	require.Equal(t, 5, s.FailedAttempts)

	// Someone else is not affected.
	_, err = auth.Login(ctx, "1002", "1234")
	require.NoError(t, err)

	clock.Advance(4*time.Minute + 59*time.Second)
	_, err = auth.Login(ctx, "1003", "5678")
	require.ErrorAs(t, err, &locked)

	clock.Advance(time.Second)
	// After expiry a wrong PIN starts a fresh count...
	_, err = auth.Login(ctx, "1003", "1111")
	var wrong *app.WrongPINError
	require.ErrorAs(t, err, &wrong)
	require.Equal(t, 4, wrong.Remaining)
	// ...and the right one gets in and clears it.
	s, err = auth.Login(ctx, "1003", "5678")
	require.NoError(t, err)
	s, _, _ = db.StaffByCode(ctx, "1003")
	require.Zero(t, s.FailedAttempts)
	require.True(t, s.LockedUntil.IsZero())
}

func TestLogin_UnknownAndDisabled(t *testing.T) {
	db, clock := seeded(t)
	auth := &app.Auth{Store: db, Clock: clock, Hasher: testHasher}
	ctx := context.Background()
	_, err := auth.Login(ctx, "9999", "1234")
	require.ErrorIs(t, err, app.ErrUnknownStaff)

	s, _, err := db.StaffByCode(ctx, "1002")
	require.NoError(t, err)
	require.NoError(t, db.SetStaffDisabled(ctx, s.ID, true))
	_, err = auth.Login(ctx, "1002", "1234")
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
		require.ErrorIs(t, err, app.ErrPINFormat, bad)
	}
	h, err := testHasher.Hash("2468")
	require.NoError(t, err)
	require.NotContains(t, h, "2468")
	require.True(t, testHasher.Check(h, "2468"))
	require.False(t, testHasher.Check(h, "2469"))
}

func TestRefundRule(t *testing.T) {
	db, _ := seeded(t)
	ctx := context.Background()
	mgr, _, _ := db.StaffByCode(ctx, "1001")
	withPerm, _, _ := db.StaffByCode(ctx, "1002")
	without, _, _ := db.StaffByCode(ctx, "1003")
	require.NoError(t, app.CanRefund(mgr, false), "a manager refunds whether clocked on or not")
	require.NoError(t, app.CanRefund(withPerm, true))
	require.ErrorIs(t, app.CanRefund(withPerm, false), app.ErrRefundNotAllowed)
	require.ErrorIs(t, app.CanRefund(without, true), app.ErrRefundNotAllowed)
}

func TestSettings_PermissionAndValidation(t *testing.T) {
	db, _ := seeded(t)
	ctx := context.Background()
	svc := app.Settings{Store: db}
	mgr, _, _ := db.StaffByCode(ctx, "1001")
	clerk, _, _ := db.StaffByCode(ctx, "1002")
	st, err := db.CurrentStore(ctx)
	require.NoError(t, err)
	st.Name = "新店名"
	require.ErrorIs(t, svc.SaveStore(ctx, clerk, st), app.ErrNoPermission)
	require.NoError(t, svc.SaveStore(ctx, mgr, st))
	got, _ := db.CurrentStore(ctx)
	require.Equal(t, "新店名", got.Name)
	st.Name = "  "
	require.True(t, errors.Is(svc.SaveStore(ctx, mgr, st), app.ErrInvalidField))
	tm, _ := db.CurrentTerminal(ctx)
	tm.CashierMode = "bogus"
	require.Error(t, svc.SaveTerminal(ctx, mgr, tm))
	tm.CashierMode = app.ModeDeposit
	require.NoError(t, svc.SaveTerminal(ctx, mgr, tm))
	require.Error(t, svc.SaveLanguage(ctx, "fr"))
	require.NoError(t, svc.SaveLanguage(ctx, "en"))
}
