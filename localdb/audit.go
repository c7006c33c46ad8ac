package localdb

import (
	"context"
	"database/sql"
	"time"

	"cashier/app"
)

// Audit implements app.StaffStore.
func (db *DB) Audit(ctx context.Context, e app.AuditEntry) error {
	return db.Write(ctx, func(tx *sql.Tx) error { return InsertAudit(ctx, tx, e) })
}

// InsertAudit writes an audit row inside an existing transaction.
func InsertAudit(ctx context.Context, tx *sql.Tx, e app.AuditEntry) error {
	at := e.At
	if at.IsZero() {
		at = time.Now()
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log(at, staff_id, action, subject, detail) VALUES (?,?,?,?,?)`,
		at.UnixMilli(), nullID(e.StaffID), e.Action, e.Subject, e.Detail)
	return err
}
