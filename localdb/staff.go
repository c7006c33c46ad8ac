package localdb

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"cashier/app"
)

const staffCols = `s.id, COALESCE(s.store_id,0), s.code, s.name, s.role_code, s.disabled, s.failed_attempts, s.locked_until`

func scanStaff(sc interface{ Scan(...any) error }, extra ...any) (app.Staff, error) {
	var s app.Staff
	var role string
	var disabled int
	var locked int64
	dest := append([]any{&s.ID, &s.StoreID, &s.Code, &s.Name, &role, &disabled, &s.FailedAttempts, &locked}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return s, err
	}
	s.Role = app.Role(role)
	s.Disabled = disabled != 0
	if locked != 0 {
		s.LockedUntil = time.UnixMilli(locked)
	}
	return s, nil
}

func (db *DB) permissions(ctx context.Context, s *app.Staff) error {
	rows, err := db.reader.QueryContext(ctx, `
		SELECT permission_code FROM role_permission WHERE role_code=?
		UNION SELECT permission_code FROM staff_permission WHERE staff_id=?`, string(s.Role), s.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	s.Permissions = map[string]bool{}
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return err
		}
		s.Permissions[p] = true
	}
	return rows.Err()
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

// AddStaff inserts a staff member with personal permission grants.
func AddStaff(ctx context.Context, tx *sql.Tx, n NewStaff, now time.Time) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO staff(store_id, code, name, role_code, pin_hash, created_at, updated_at)
		VALUES (?,?,?,?,?,?,?)`, nullID(n.StoreID), n.Code, n.Name, string(n.Role), n.PINHash, now.UnixMilli(), now.UnixMilli())
	if err != nil {
		return 0, ErrAddStaff.With("Code", n.Code).Wrap(err)
	}
	id, _ := res.LastInsertId()
	for _, g := range n.Grants {
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff_permission(staff_id, permission_code, granted_at) VALUES (?,?,?)`,
			id, g, now.UnixMilli()); err != nil {
			return 0, err
		}
	}
	return id, nil
}

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
