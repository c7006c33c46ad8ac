package localdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"cashier/app"
)

// Setting keys used across the app.
const (
	SettingDemo       = "demo"        // "1" on a demo data folder: PINs shown on the login screen
	SettingLanguage   = "language"    // "zh" | "en" | "system" (follow the OS); unset = Chinese (app/settings)
	SettingStoreID    = "store_id"    // this terminal's store
	SettingTerminalID = "terminal_id" // this terminal
)

// ErrNotSetUp: the data folder has no store and terminal yet (pos init).
var ErrNotSetUp = app.NewError("setup.needed")

// GetSetting returns a setting's value or def when unset.
func (db *DB) GetSetting(ctx context.Context, key, def string) (string, error) {
	var v string
	err := db.reader.QueryRowContext(ctx, `SELECT value FROM setting WHERE key=?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return def, nil
	}
	return v, err
}

// SetSetting stores a setting durably.
func (db *DB) SetSetting(ctx context.Context, key, value string) error {
	return db.Write(ctx, func(tx *sql.Tx) error { return setSetting(ctx, tx, key, value) })
}

// SetSettingAudited implements settings.AuditedSetter: the setting and
// its audit line in one transaction.
func (db *DB) SetSettingAudited(ctx context.Context, key, value string, e app.AuditEntry) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		if err := setSetting(ctx, tx, key, value); err != nil {
			return err
		}
		return InsertAudit(ctx, tx, e)
	})
}

func getSetting(ctx context.Context, tx *sql.Tx, key string) (string, error) {
	var v string
	err := tx.QueryRowContext(ctx, `SELECT value FROM setting WHERE key=?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

func setSetting(ctx context.Context, tx *sql.Tx, key, value string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO setting(key, value, updated_at) VALUES (?,?,?)
		ON CONFLICT(key) DO UPDATE SET value=excluded.value, updated_at=excluded.updated_at`, key, value, time.Now().UnixMilli())
	return err
}

func (db *DB) settingID(ctx context.Context, key string) (int64, error) {
	v, err := db.GetSetting(ctx, key, "")
	if err != nil {
		return 0, err
	}
	var id int64
	if _, err := fmt.Sscan(v, &id); err != nil || id == 0 {
		return 0, ErrNotSetUp.With("Dir", filepath.Dir(db.Path()))
	}
	return id, nil
}

// CurrentStore is the store this terminal belongs to.
func (db *DB) CurrentStore(ctx context.Context) (app.StoreInfo, error) {
	id, err := db.settingID(ctx, SettingStoreID)
	if err != nil {
		return app.StoreInfo{}, err
	}
	var s app.StoreInfo
	var mode string
	err = db.reader.QueryRowContext(ctx, `SELECT s.id, s.merchant_id, m.name, s.code, s.name, s.address, s.phone, s.receipt_footer, s.timezone, s.scale_layout,
		s.payment_mode, s.discount_floor_pct
		FROM store s JOIN merchant m ON m.id = s.merchant_id WHERE s.id=?`, id).
		Scan(&s.ID, &s.MerchantID, &s.MerchantName, &s.Code, &s.Name, &s.Address, &s.Phone, &s.ReceiptFooter, &s.Timezone, &s.ScaleLayout,
			&mode, &s.DiscountFloorPct)
	s.PaymentMode = app.PaymentMode(mode)
	return s, err
}

// UpdateStore saves the editable store details.
func (db *DB) UpdateStore(ctx context.Context, s app.StoreInfo, by int64) error {
	if err := s.Validate(); err != nil {
		return err
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		var old app.StoreInfo
		var oldMode string
		if err := tx.QueryRowContext(ctx, `SELECT name, address, phone, receipt_footer, scale_layout, payment_mode, discount_floor_pct
			FROM store WHERE id=?`, s.ID).
			Scan(&old.Name, &old.Address, &old.Phone, &old.ReceiptFooter, &old.ScaleLayout, &oldMode, &old.DiscountFloorPct); err != nil {
			return err
		}
		mode := string(s.PaymentMode.Or())
		// The audit line says what changed; a save that changes nothing
		// writes nothing.
		changed := AuditChanges("name", old.Name, s.Name, "address", old.Address, s.Address,
			"phone", old.Phone, s.Phone, "receipt_footer", old.ReceiptFooter, s.ReceiptFooter,
			"scale_layout", old.ScaleLayout, s.ScaleLayout, "payment_mode", oldMode, mode,
			"discount_floor_pct", strconv.Itoa(old.DiscountFloorPct), strconv.Itoa(s.DiscountFloorPct))
		if changed == "" {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE store SET name=?, address=?, phone=?, receipt_footer=?, scale_layout=?,
			payment_mode=?, discount_floor_pct=? WHERE id=?`,
			s.Name, s.Address, s.Phone, s.ReceiptFooter, s.ScaleLayout, mode, s.DiscountFloorPct, s.ID); err != nil {
			return err
		}
		return InsertAudit(ctx, tx, app.AuditEntry{StaffID: by, Action: "settings", Subject: "store", Detail: changed})
	})
}

// CurrentTerminal is this machine's terminal record.
func (db *DB) CurrentTerminal(ctx context.Context) (app.TerminalInfo, error) {
	id, err := db.settingID(ctx, SettingTerminalID)
	if err != nil {
		return app.TerminalInfo{}, err
	}
	var t app.TerminalInfo
	var mode string
	err = db.reader.QueryRowContext(ctx, `SELECT id, store_id, code, name, cashier_mode, order_prefix FROM terminal WHERE id=?`, id).
		Scan(&t.ID, &t.StoreID, &t.Code, &t.Name, &mode, &t.OrderPrefix)
	t.CashierMode = app.CashierMode(mode)
	return t, err
}

// UpdateTerminal saves the editable terminal details.
func (db *DB) UpdateTerminal(ctx context.Context, t app.TerminalInfo, by int64) error {
	if err := t.Validate(); err != nil {
		return err
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		var name, mode string
		if err := tx.QueryRowContext(ctx, `SELECT name, cashier_mode FROM terminal WHERE id=?`, t.ID).Scan(&name, &mode); err != nil {
			return err
		}
		changed := AuditChanges("name", name, t.Name, "cashier_mode", mode, string(t.CashierMode))
		if changed == "" {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE terminal SET name=?, cashier_mode=? WHERE id=?`,
			t.Name, string(t.CashierMode), t.ID); err != nil {
			return err
		}
		return InsertAudit(ctx, tx, app.AuditEntry{StaffID: by, Action: "settings", Subject: "terminal", Detail: changed})
	})
}
