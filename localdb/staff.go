package localdb

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"cashier/app"
	"cashier/app/staff"
)

const staffCols = `s.id, COALESCE(s.store_id,0), s.code, s.name, s.role_code, s.disabled, s.failed_attempts, s.locked_until, s.must_change_pin`

func scanStaff(sc interface{ Scan(...any) error }, extra ...any) (app.Staff, error) {
	var s app.Staff
	var role string
	var disabled, mustChange int
	var locked int64
	dest := append([]any{&s.ID, &s.StoreID, &s.Code, &s.Name, &role, &disabled, &s.FailedAttempts, &locked, &mustChange}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return s, err
	}
	s.Role = app.Role(role)
	s.Disabled = disabled != 0
	s.MustChangePIN = mustChange != 0
	if locked != 0 {
		s.LockedUntil = time.UnixMilli(locked)
	}
	return s, nil
}

// querier is a read pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// permissions reads the person's whole set: staff_permission alone (the
// role's permissions are only the defaults a person starts from).
func (db *DB) permissions(ctx context.Context, s *app.Staff) error {
	return readPermissions(ctx, db.reader, s)
}

func readPermissions(ctx context.Context, q querier, s *app.Staff) error {
	codes, err := column(ctx, q, `SELECT permission_code FROM staff_permission WHERE staff_id=?`, s.ID)
	s.Permissions = map[string]bool{}
	for _, c := range codes {
		s.Permissions[c] = true
	}
	return err
}

// column reads a one-column query.
func column(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// RolePermissions are a role's defaults, in code order.
func (db *DB) RolePermissions(ctx context.Context, role app.Role) ([]string, error) {
	return column(ctx, db.reader, `SELECT permission_code FROM role_permission WHERE role_code=? ORDER BY permission_code`, string(role))
}

// StaffByCode implements app.StaffStore.
func (db *DB) StaffByCode(ctx context.Context, code string) (app.Staff, string, error) {
	var hash string
	s, err := scanStaff(db.reader.QueryRowContext(ctx, `SELECT `+staffCols+`, s.pin_hash FROM staff s WHERE s.code=?`, code), &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return s, "", app.ErrUnknownStaff
	}
	if err != nil {
		return s, "", err
	}
	return s, hash, db.permissions(ctx, &s)
}

// StaffByID loads one staff member with permissions.
func (db *DB) StaffByID(ctx context.Context, id int64) (app.Staff, error) {
	s, err := scanStaff(db.reader.QueryRowContext(ctx, `SELECT `+staffCols+` FROM staff s WHERE s.id=?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, app.ErrUnknownStaff
	}
	if err != nil {
		return s, err
	}
	return s, db.permissions(ctx, &s)
}

// ListStaff lists a store's staff and the merchant administrators, managers first.
func (db *DB) ListStaff(ctx context.Context, storeID int64) ([]app.Staff, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+staffCols+` FROM staff s
		WHERE s.store_id=? OR s.store_id IS NULL
		ORDER BY CASE s.role_code WHEN 'admin' THEN 0 WHEN 'manager' THEN 1 ELSE 2 END, s.code`, storeID)
	if err != nil {
		return nil, err
	}
	var out []app.Staff
	for rows.Next() {
		s, err := scanStaff(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := db.permissions(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SetLoginState implements app.StaffStore.
func (db *DB) SetLoginState(ctx context.Context, staffID int64, failed int, lockedUntil time.Time) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE staff SET failed_attempts=?, locked_until=?, updated_at=? WHERE id=?`,
			failed, ms(lockedUntil), time.Now().UnixMilli(), staffID)
		return err
	})
}

// ErrAddStaff: a staff member could not be added (a code in use).
var ErrAddStaff = app.NewError("staff.add_failed")

// NewStaff is what AddStaff needs.
type NewStaff struct {
	StoreID int64 // 0 for a merchant administrator
	Code    string
	Name    string
	Role    app.Role
	PINHash string
	Grants  []string
}

// AddStaff inserts a staff member holding their role's default
// permissions plus the extra grants (set-up and demo data; people added
// in the Staff workspace go through app/staff and its grant rules).
func AddStaff(ctx context.Context, tx *sql.Tx, n NewStaff, now time.Time) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO staff(store_id, code, name, role_code, pin_hash, created_at, updated_at)
		VALUES (?,?,?,?,?,?,?)`, nullID(n.StoreID), n.Code, n.Name, string(n.Role), n.PINHash, now.UnixMilli(), now.UnixMilli())
	if err != nil {
		return 0, ErrAddStaff.With("Code", n.Code).Wrap(err)
	}
	id, _ := res.LastInsertId()
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO staff_permission(staff_id, permission_code, granted_at)
		SELECT ?, permission_code, ? FROM role_permission WHERE role_code=?`, id, now.UnixMilli(), string(n.Role)); err != nil {
		return 0, err
	}
	for _, g := range n.Grants {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO staff_permission(staff_id, permission_code, granted_at) VALUES (?,?,?)`,
			id, g, now.UnixMilli()); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// SetPIN implements auth.Store: a new PIN hash and must-change mark, the
// failures and lockout cleared, and the audit line, in one transaction.
func (db *DB) SetPIN(ctx context.Context, staffID int64, hash string, mustChange bool, e app.AuditEntry) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		if err := setPIN(ctx, tx, staffID, hash, mustChange); err != nil {
			return err
		}
		return InsertAudit(ctx, tx, e)
	})
}

func setPIN(ctx context.Context, tx *sql.Tx, staffID int64, hash string, mustChange bool) error {
	res, err := tx.ExecContext(ctx, `UPDATE staff SET pin_hash=?, must_change_pin=?, failed_attempts=0, locked_until=0, updated_at=?
		WHERE id=?`, hash, boolInt(mustChange), time.Now().UnixMilli(), staffID)
	if err != nil {
		return err
	}
	return oneRow(res)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func oneRow(res sql.Result) error {
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		if err == nil {
			err = app.ErrUnknownStaff
		}
		return err
	}
	return nil
}

// StaffTx runs fn in one write transaction on the staff tables (the staff
// administration's rules and writes, app/staff).
func (db *DB) StaffTx(ctx context.Context, fn func(staff.Tx) error) error {
	return db.Write(ctx, func(tx *sql.Tx) error { return fn(staffTx{ctx: ctx, tx: tx}) })
}

// staffTx implements staff.Tx on one transaction.
type staffTx struct {
	ctx context.Context
	tx  *sql.Tx
}

func (t staffTx) Staff(id int64) (app.Staff, error) {
	s, err := scanStaff(t.tx.QueryRowContext(t.ctx, `SELECT `+staffCols+` FROM staff s WHERE s.id=?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, app.ErrUnknownStaff
	}
	if err != nil {
		return s, err
	}
	return s, readPermissions(t.ctx, t.tx, &s)
}

func (t staffTx) CodeTaken(code string) (bool, error) {
	var n int
	err := t.tx.QueryRowContext(t.ctx, `SELECT count(*) FROM staff WHERE code=?`, code).Scan(&n)
	return n > 0, err
}

func (t staffTx) StoreIDs() ([]int64, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT id FROM store ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func (t staffTx) Holders(perm string, storeID, except int64) (int, error) {
	var n int
	err := t.tx.QueryRowContext(t.ctx, `SELECT count(*) FROM staff s JOIN staff_permission p ON p.staff_id=s.id
		WHERE p.permission_code=? AND s.disabled=0 AND s.id<>? AND (s.store_id=? OR s.store_id IS NULL)`,
		perm, except, storeID).Scan(&n)
	return n, err
}

func (t staffTx) Insert(r staff.Record) (int64, error) {
	now := time.Now().UnixMilli()
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO staff(store_id, code, name, role_code, pin_hash, must_change_pin, created_at, updated_at)
		VALUES (?,?,?,?,?,?,?,?)`, nullID(r.StoreID), r.Code, r.Name, string(r.Role), r.PINHash, boolInt(r.MustChangePIN), now, now)
	if err != nil {
		return 0, ErrAddStaff.With("Code", r.Code).Wrap(err)
	}
	return res.LastInsertId()
}

func (t staffTx) Update(id int64, name string, role app.Role, storeID int64) error {
	res, err := t.tx.ExecContext(t.ctx, `UPDATE staff SET name=?, role_code=?, store_id=?, updated_at=? WHERE id=?`,
		name, string(role), nullID(storeID), time.Now().UnixMilli(), id)
	if err != nil {
		return err
	}
	return oneRow(res)
}

func (t staffTx) SetDisabled(id int64, disabled bool) error {
	res, err := t.tx.ExecContext(t.ctx, `UPDATE staff SET disabled=?, updated_at=? WHERE id=?`,
		boolInt(disabled), time.Now().UnixMilli(), id)
	if err != nil {
		return err
	}
	return oneRow(res)
}

func (t staffTx) Grant(id int64, perm string, by int64) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO staff_permission(staff_id, permission_code, granted_by, granted_at) VALUES (?,?,?,?)
		ON CONFLICT(staff_id, permission_code) DO NOTHING`, id, perm, nullID(by), time.Now().UnixMilli())
	return err
}

func (t staffTx) Revoke(id int64, perm string) error {
	_, err := t.tx.ExecContext(t.ctx, `DELETE FROM staff_permission WHERE staff_id=? AND permission_code=?`, id, perm)
	return err
}

func (t staffTx) SetPIN(id int64, hash string, mustChange bool) error {
	return setPIN(t.ctx, t.tx, id, hash, mustChange)
}

func (t staffTx) Audit(e app.AuditEntry) error { return InsertAudit(t.ctx, t.tx, e) }

// SetStaffDisabled enables or disables a staff member.
func (db *DB) SetStaffDisabled(ctx context.Context, staffID int64, disabled bool) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		v := 0
		if disabled {
			v = 1
		}
		_, err := tx.ExecContext(ctx, `UPDATE staff SET disabled=?, updated_at=? WHERE id=?`, v, time.Now().UnixMilli(), staffID)
		return err
	})
}

// ClockedOn reports whether staffID has an open shift.
func (db *DB) ClockedOn(ctx context.Context, staffID int64) (bool, error) {
	var n int
	err := db.reader.QueryRowContext(ctx, `SELECT count(*) FROM shift WHERE staff_id=? AND ended_at IS NULL`, staffID).Scan(&n)
	return n > 0, err
}

var (
	_ staff.Store = (*DB)(nil)
	_ staff.Tx    = staffTx{}
)
