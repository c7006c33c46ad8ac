package localdb_test

import (
	"context"
	"database/sql"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/localdb"
)

// A database from before 0006 (role permissions plus personal grants,
// 'grant' the administrators') goes through it: every person keeps what
// they could do, grant becomes staff_manage, the new permissions follow
// the role's new defaults, and nobody must change their PIN.
func TestMigrate0006_PeopleKeepTheirPermissions(t *testing.T) {
	ctx := context.Background()
	db, exec := fxAtVersion(t, 5)
	exec(`INSERT INTO merchant(id, code, name, created_at) VALUES (1,'M1','m',0)`)
	exec(`INSERT INTO store(id, merchant_id, code, name, created_at) VALUES (1,1,'S1','s',0)`)
	exec(`INSERT INTO staff(id, store_id, code, name, role_code, pin_hash, created_at, updated_at) VALUES
		(1,NULL,'9001','admin','admin','x',0,0),
		(2,1,'1001','manager','manager','x',0,0),
		(3,1,'1002','clerk with refund','clerk','x',0,0),
		(4,1,'1003','clerk','clerk','x',0,0),
		(5,1,'1004','clerk who may grant','clerk','x',0,0)`)
	exec(`INSERT INTO staff_permission(staff_id, permission_code, granted_by, granted_at) VALUES
		(3,'refund',2,0),(5,'grant',1,0),(5,'adjust_balance',1,0)`)

	_, err := db.Migrate(ctx, localdb.Migrations(), false)
	require.NoError(t, err)

	// product_manage comes with 0008, to administrators and managers.
	want := map[string][]string{
		"9001": {"adjust_balance", "cabinet_door", "deposit", "discount", "open_drawer", "product_manage", "refund",
			"settings", "shift_handover", "staff_manage", "view_store_orders", "void_line"},
		"1001": {"cabinet_door", "deposit", "discount", "open_drawer", "product_manage", "refund", "settings",
			"shift_handover", "staff_manage", "view_store_orders", "void_line"},
		"1002": {"deposit", "refund", "shift_handover"},
		"1003": {"deposit", "shift_handover"},
		"1004": {"adjust_balance", "deposit", "shift_handover", "staff_manage"},
	}
	for code, perms := range want {
		s, _, err := db.StaffByCode(ctx, code)
		require.NoError(t, err)
		var got []string
		for p := range s.Permissions {
			got = append(got, p)
		}
		sort.Strings(got)
		require.Equal(t, perms, got, code)
		require.False(t, s.MustChangePIN, code)
	}
	require.ElementsMatch(t, app.Permissions, want["9001"], "an administrator holds every permission there is")

	var n int
	require.NoError(t, db.Read().QueryRow(`SELECT count(*) FROM permission WHERE code='grant'`).Scan(&n))
	require.Zero(t, n, "grant is gone")
	for role, perms := range map[app.Role][]string{
		app.RoleClerk:   {"deposit", "shift_handover"},
		app.RoleManager: want["1001"],
		app.RoleAdmin:   want["9001"],
	} {
		got, err := db.RolePermissions(ctx, role)
		require.NoError(t, err)
		require.Equal(t, perms, got, role)
	}
	// Every permission code the app knows is in the table (staff_permission
	// refers to it).
	for _, p := range app.Permissions {
		require.NoError(t, db.Read().QueryRow(`SELECT count(*) FROM permission WHERE code=?`, p).Scan(&n))
		require.Equal(t, 1, n, p)
	}
	fk, err := db.Read().Query(`PRAGMA foreign_key_check`)
	require.NoError(t, err)
	defer fk.Close()
	require.False(t, fk.Next(), "no foreign key dangles")
}

// AddStaff (set-up, demo data) gives the role's defaults plus the grants.
func TestAddStaff_RoleDefaultsPlusGrants(t *testing.T) {
	ctx := context.Background()
	db, err := localdb.Open(t.TempDir() + "/pos.db")
	require.NoError(t, err)
	defer db.Close()
	exec := func(q string) {
		require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, q); return err }))
	}
	exec(`INSERT INTO merchant(id, code, name, created_at) VALUES (1,'M1','m',0)`)
	exec(`INSERT INTO store(id, merchant_id, code, name, created_at) VALUES (1,1,'S1','s',0)`)
	var id int64
	require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error {
		id, err = localdb.AddStaff(ctx, tx, localdb.NewStaff{StoreID: 1, Code: "1", Name: "n", Role: app.RoleClerk, PINHash: "x",
			Grants: []string{app.PermRefund, app.PermDeposit}}, time.Now())
		return err
	}))
	s, err := db.StaffByID(ctx, id)
	require.NoError(t, err)
	require.Equal(t, map[string]bool{app.PermRefund: true, app.PermDeposit: true, app.PermShiftHandover: true}, s.Permissions)
	require.Error(t, db.Write(ctx, func(tx *sql.Tx) error {
		_, err := localdb.AddStaff(ctx, tx, localdb.NewStaff{StoreID: 1, Code: "2", Name: "n", Role: app.RoleClerk, PINHash: "x",
			Grants: []string{"no_such_permission"}}, time.Now())
		return err
	}), "an unknown permission is refused by the permission table")
}
