package localdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"cashier/app"
	"cashier/app/shift"
)

// Held orders (table held_order, migration 0009): carts parked before any
// payment. Every write carries its audit line in the same transaction.

// HoldOrder writes a held cart and its lines with the audit line
// order_hold, in one transaction, and sets h.ID and h.ShiftID (the
// holder's open shift, if any). h is validated first; h.Total is stored
// as given (the use case works it out).
func (db *DB) HoldOrder(ctx context.Context, h *app.HeldOrder) error {
	h.Label = strings.TrimSpace(h.Label)
	h.PaymentMode = h.PaymentMode.Or()
	if err := h.Validate(); err != nil {
		return err
	}
	if h.Total < 0 {
		return app.ErrHeldAmount
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		sh, err := openShift(ctx, tx, h.StaffID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO held_order(store_id, terminal_id, staff_id, shift_id, label,
			order_discount, deposit_part, payment_mode, total, line_count, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
			h.StoreID, h.TerminalID, h.StaffID, nullID(sh), h.Label, int64(h.OrderDiscount), int64(h.DepositPart),
			string(h.PaymentMode), int64(h.Total), len(h.Lines), ms(h.CreatedAt))
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO held_order_line(held_id, line_no, product_id, barcode, name, qty,
			unit_price, line_discount, non_discountable, grams, unit, from_label) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, l := range h.Lines {
			if _, err := stmt.ExecContext(ctx, id, i+1, nullID(l.ProductID), l.Barcode, l.Name, l.Qty, int64(l.UnitPrice),
				int64(l.LineDiscount), l.NonDiscountable, l.Grams, l.Unit, l.Label); err != nil {
				return err
			}
		}
		if err := InsertAudit(ctx, tx, app.AuditEntry{At: h.CreatedAt, StaffID: h.StaffID, Action: "order_hold",
			Subject: strconv.FormatInt(id, 10), Detail: heldDetail(*h)}); err != nil {
			return err
		}
		h.ID, h.ShiftID = id, sh
		return nil
	})
}

func heldDetail(h app.HeldOrder) string {
	d := fmt.Sprintf("lines=%d total=%s terminal=%d", len(h.Lines), h.Total, h.TerminalID)
	if h.Label != "" {
		d += fmt.Sprintf(" label=%q", h.Label)
	}
	return d
}

const heldCols = `h.id, h.store_id, h.terminal_id, h.staff_id, COALESCE(s.name,''), COALESCE(h.shift_id,0), h.label,
	h.order_discount, h.deposit_part, h.payment_mode, h.total, h.created_at`

const heldFrom = ` FROM held_order h LEFT JOIN staff s ON s.id = h.staff_id`

func scanHeld(sc interface{ Scan(...any) error }) (app.HeldOrder, error) {
	var h app.HeldOrder
	var disc, dep, total, at int64
	var mode string
	if err := sc.Scan(&h.ID, &h.StoreID, &h.TerminalID, &h.StaffID, &h.StaffName, &h.ShiftID, &h.Label,
		&disc, &dep, &mode, &total, &at); err != nil {
		return h, err
	}
	h.OrderDiscount, h.DepositPart, h.Total = app.Money(disc), app.Money(dep), app.Money(total)
	h.PaymentMode, h.CreatedAt = app.PaymentMode(mode), time.UnixMilli(at)
	return h, nil
}

const heldLineCols = `l.held_id, COALESCE(l.product_id,0), l.barcode, l.name, l.qty, l.unit_price, l.line_discount,
	l.non_discountable, l.grams, l.unit, l.from_label`

// heldLines reads the lines of the held orders query selects (by id),
// in line order, into byID.
func heldLines(ctx context.Context, q querier, byID map[int64]*app.HeldOrder, query string, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var l app.HeldLine
		var price, disc int64
		if err := rows.Scan(&id, &l.ProductID, &l.Barcode, &l.Name, &l.Qty, &price, &disc, &l.NonDiscountable,
			&l.Grams, &l.Unit, &l.Label); err != nil {
			return err
		}
		l.UnitPrice, l.LineDiscount = app.Money(price), app.Money(disc)
		if h := byID[id]; h != nil {
			l.LineNo = len(h.Lines) + 1
			h.Lines = append(h.Lines, l)
		}
	}
	return rows.Err()
}

// ListHeld is the terminal's held orders with their lines, oldest first
// (the newest last).
func (db *DB) ListHeld(ctx context.Context, storeID, terminalID int64) ([]app.HeldOrder, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+heldCols+heldFrom+`
		WHERE h.store_id=? AND h.terminal_id=? ORDER BY h.created_at, h.id`, storeID, terminalID)
	if err != nil {
		return nil, err
	}
	var out []app.HeldOrder
	for rows.Next() {
		h, err := scanHeld(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	byID := make(map[int64]*app.HeldOrder, len(out))
	for i := range out {
		byID[out[i].ID] = &out[i]
	}
	// A held order deleted between the two reads has no entry and its
	// lines are skipped; one held since has no head and is left for the
	// next list.
	err = heldLines(ctx, db.reader, byID, `SELECT `+heldLineCols+` FROM held_order h JOIN held_order_line l ON l.held_id = h.id
		WHERE h.store_id=? AND h.terminal_id=? ORDER BY l.held_id, l.line_no`, storeID, terminalID)
	return out, err
}

// GetHeld is one held order with its lines; app.ErrHeldNotFound when
// there is none (never held, or resumed or dropped already).
func (db *DB) GetHeld(ctx context.Context, id int64) (app.HeldOrder, error) {
	return getHeld(ctx, db.reader, id)
}

func getHeld(ctx context.Context, q querier, id int64) (app.HeldOrder, error) {
	h, err := scanHeld(q.QueryRowContext(ctx, `SELECT `+heldCols+heldFrom+` WHERE h.id=?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return app.HeldOrder{}, app.ErrHeldNotFound.With("ID", id)
	}
	if err != nil {
		return app.HeldOrder{}, err
	}
	err = heldLines(ctx, q, map[int64]*app.HeldOrder{id: &h},
		`SELECT `+heldLineCols+` FROM held_order_line l WHERE l.held_id=? ORDER BY l.line_no`, id)
	return h, err
}

// ResumeHeld takes a held order back for the cart: it is read and deleted
// in one transaction with the audit line order_resume (staffID resumed
// it), so it is resumed once — a second resume, from this process or
// another, finds nothing and gets app.ErrHeldNotFound.
func (db *DB) ResumeHeld(ctx context.Context, id, staffID int64, at time.Time) (app.HeldOrder, error) {
	var h app.HeldOrder
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		if h, err = getHeld(ctx, tx, id); err != nil {
			return err
		}
		if err := deleteHeld(ctx, tx, id); err != nil {
			return err
		}
		return InsertAudit(ctx, tx, app.AuditEntry{At: at, StaffID: staffID, Action: "order_resume",
			Subject: strconv.FormatInt(id, 10), Detail: heldDetail(h) + fmt.Sprintf(" held_by=%d", h.StaffID)})
	})
	if err != nil {
		return app.HeldOrder{}, err
	}
	return h, nil
}

// DeleteHeld drops a held order (the customer left) with the audit line
// order_hold_drop naming staffID and, in detail, anything the use case
// adds (who approved). Whether staffID may is the use case's to decide;
// app.ErrHeldNotFound when it is gone already.
func (db *DB) DeleteHeld(ctx context.Context, id, staffID int64, at time.Time, detail string) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		h, err := getHeld(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := deleteHeld(ctx, tx, id); err != nil {
			return err
		}
		d := heldDetail(h) + fmt.Sprintf(" held_by=%d", h.StaffID)
		if detail != "" {
			d += " " + detail
		}
		return InsertAudit(ctx, tx, app.AuditEntry{At: at, StaffID: staffID, Action: "order_hold_drop",
			Subject: strconv.FormatInt(id, 10), Detail: d})
	})
}

// deleteHeld deletes a held order (its lines go with it, ON DELETE
// CASCADE); ErrHeldNotFound when no row went.
func deleteHeld(ctx context.Context, tx *sql.Tx, id int64) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM held_order WHERE id=?`, id)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return app.ErrHeldNotFound.With("ID", id)
	}
	return nil
}

// heldCartsQuery reads the handover's figures through held_order_terminal
// alone (covering: store, terminal, created_at, total).
const heldCartsQuery = `SELECT count(*), COALESCE(sum(total),0), COALESCE(min(created_at),0)
	FROM held_order INDEXED BY held_order_terminal WHERE store_id=? AND terminal_id=?`

// HeldCarts implements shift.Store: how many carts are held at the
// terminal, what they come to and when the oldest was held.
func (s shiftStore) HeldCarts(ctx context.Context, storeID, terminalID int64) (shift.HeldCarts, error) {
	var c shift.HeldCarts
	var total, oldest int64
	if err := s.reader.QueryRowContext(ctx, heldCartsQuery, storeID, terminalID).Scan(&c.Count, &total, &oldest); err != nil {
		return c, err
	}
	c.Total = app.Money(total)
	if oldest != 0 {
		c.Oldest = time.UnixMilli(oldest)
	}
	return c, nil
}
