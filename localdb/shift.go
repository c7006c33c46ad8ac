package localdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"cashier/app"
	"cashier/app/shift"
	"cashier/app/summary"
)

// ShiftStore is the shift service's store (table shift, migration 0004's
// handover columns; summary_json keeps the whole handover).
func (db *DB) ShiftStore() shift.Store { return shiftStore{db} }

type shiftStore struct{ *DB }

const shiftCols = `sh.id, sh.store_id, COALESCE(sh.terminal_id,0), COALESCE(t.name,''), sh.staff_id, s.code, s.name,
	sh.started_at, sh.ended_at, sh.opening_float, sh.summary_json`

const shiftFrom = ` FROM shift sh JOIN staff s ON s.id = sh.staff_id LEFT JOIN terminal t ON t.id = sh.terminal_id`

func scanShift(sc interface{ Scan(...any) error }) (shift.Shift, error) {
	var sh shift.Shift
	var started int64
	var ended sql.NullInt64
	var float int64
	var kept string
	if err := sc.Scan(&sh.ID, &sh.StoreID, &sh.TerminalID, &sh.TerminalName, &sh.StaffID, &sh.StaffCode, &sh.StaffName,
		&started, &ended, &float, &kept); err != nil {
		return sh, err
	}
	sh.StartedAt, sh.EndedAt, sh.OpeningFloat = time.UnixMilli(started), fromMS(ended), app.Money(float)
	if kept != "" {
		h, err := decodeHandover(kept)
		if err != nil {
			return sh, fmt.Errorf("shift %d: kept handover unreadable: %w", sh.ID, err)
		}
		h.Summary.Filter = summary.Filter{StoreID: sh.StoreID, ShiftID: sh.ID} // what the figures were summed for
		sh.Handover = &h
	}
	return sh, nil
}

func (s shiftStore) query(ctx context.Context, q string, args ...any) ([]shift.Shift, error) {
	rows, err := s.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []shift.Shift
	for rows.Next() {
		sh, err := scanShift(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sh)
	}
	return out, rows.Err()
}

func (s shiftStore) OpenShiftOf(ctx context.Context, staffID int64) (shift.Shift, bool, error) {
	out, err := s.query(ctx, `SELECT `+shiftCols+shiftFrom+` WHERE sh.staff_id=? AND sh.ended_at IS NULL`, staffID)
	if err != nil || len(out) == 0 {
		return shift.Shift{}, false, err
	}
	return out[0], true, nil
}

func (s shiftStore) OpenShifts(ctx context.Context, storeID int64) ([]shift.Shift, error) {
	return s.query(ctx, `SELECT `+shiftCols+shiftFrom+` WHERE sh.store_id=? AND sh.ended_at IS NULL ORDER BY sh.started_at, sh.id`, storeID)
}

func (s shiftStore) LastFloat(ctx context.Context, storeID, terminalID int64) (app.Money, error) {
	var v sql.NullInt64
	err := s.reader.QueryRowContext(ctx, `SELECT float_left FROM shift
		WHERE store_id=? AND ended_at IS NOT NULL AND (terminal_id=? OR terminal_id IS NULL)
		ORDER BY ended_at DESC, id DESC LIMIT 1`, storeID, terminalID).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return app.Money(v.Int64), err
}

func (s shiftStore) StartShift(ctx context.Context, sh shift.Shift, audit app.AuditEntry) (shift.Shift, error) {
	err := s.Write(ctx, func(tx *sql.Tx) error {
		// Checked in the transaction (the unique index shift_one_open
		// would refuse too, but without saying since when).
		var since int64
		err := tx.QueryRowContext(ctx, `SELECT started_at FROM shift WHERE staff_id=? AND ended_at IS NULL`, sh.StaffID).Scan(&since)
		if err == nil {
			return shift.ErrAlreadyOn.With("Name", sh.StaffName, "Since", time.UnixMilli(since))
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO shift(store_id, terminal_id, staff_id, started_at, opening_float) VALUES (?,?,?,?,?)`,
			sh.StoreID, nullID(sh.TerminalID), sh.StaffID, ms(sh.StartedAt), int64(sh.OpeningFloat))
		if err != nil {
			return err
		}
		if sh.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		audit.Subject = strconv.FormatInt(sh.ID, 10)
		return InsertAudit(ctx, tx, audit)
	})
	if err != nil {
		return shift.Shift{}, err
	}
	return sh, nil
}

// The handover's reads, each through a small index
// (TestShiftStore_Plans): never a walk of the store's history.
const (
	markQuery = `SELECT COALESCE(max(id),0) FROM takings INDEXED BY takings_shift WHERE shift_id=?`
	// The status condition is the partial index's own, written out:
	// SQLite uses a partial index only when it can see that at prepare time.
	heldQuery = `SELECT order_no, payable, note, created_at FROM orders INDEXED BY orders_open
		WHERE store_id=? AND staff_id=? AND status IN ('open','paying') ORDER BY created_at, id`
	// CROSS JOIN keeps SQLite from starting at the store's orders.
	openDepositsQuery = `SELECT d.deposit_no, d.amount - d.consumed - d.released, d.room, d.guest_name, o.note, d.created_at
		FROM deposit d INDEXED BY deposit_frozen CROSS JOIN orders o ON o.id = d.order_id
		WHERE d.state='frozen' AND d.created_at < ? AND o.store_id=? ORDER BY d.created_at, d.id`
)

// takingsMark is the newest journal row of the shift: rows are only ever
// added, with ever larger ids, so the mark moves exactly when money is
// recorded on the shift.
func takingsMark(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, shiftID int64) (int64, error) {
	var mark int64
	err := q.QueryRowContext(ctx, markQuery, shiftID).Scan(&mark)
	return mark, err
}

func (s shiftStore) TakingsMark(ctx context.Context, shiftID int64) (int64, error) {
	return takingsMark(ctx, s.reader, shiftID)
}

func (s shiftStore) EndShift(ctx context.Context, sh shift.Shift, mark int64, audit []app.AuditEntry) error {
	h := sh.Handover
	if h == nil || sh.EndedAt.IsZero() {
		return fmt.Errorf("shift %d: no end or handover to write", sh.ID)
	}
	kept, err := encodeHandover(*h)
	if err != nil {
		return err
	}
	return s.Write(ctx, func(tx *sql.Tx) error {
		now, err := takingsMark(ctx, tx, sh.ID)
		if err != nil {
			return err
		}
		if now != mark {
			return shift.ErrStale
		}
		res, err := tx.ExecContext(ctx, `UPDATE shift SET ended_at=?, expected=?, counted=?, variance=?, float_left=?,
			countersigned_by=?, summary_json=? WHERE id=? AND ended_at IS NULL`,
			ms(sh.EndedAt), int64(h.Expected), int64(h.Counted), int64(h.Variance), int64(h.FloatLeft),
			nullID(h.CountersignedBy), kept, sh.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return shift.ErrStale
		}
		for _, e := range audit {
			if err := InsertAudit(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// HeldOrders reads the person's open orders in the store through the
// small index of open orders (orders_open), oldest first.
func (s shiftStore) HeldOrders(ctx context.Context, storeID, staffID int64) ([]shift.ItemRef, error) {
	return s.items(ctx, heldQuery, storeID, staffID)
}

func (s shiftStore) items(ctx context.Context, q string, args ...any) ([]shift.ItemRef, error) {
	rows, err := s.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []shift.ItemRef
	for rows.Next() {
		var r shift.ItemRef
		var amount, at int64
		if err := rows.Scan(&r.No, &amount, &r.Note, &at); err != nil {
			return nil, err
		}
		r.Amount, r.Since = app.Money(amount), time.UnixMilli(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s shiftStore) OpenDeposits(ctx context.Context, storeID int64, before time.Time) ([]shift.ItemRef, error) {
	rows, err := s.reader.QueryContext(ctx, openDepositsQuery, ms(before), storeID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []shift.ItemRef
	for rows.Next() {
		var r shift.ItemRef
		var amount, at int64
		var room, guest, note string
		if err := rows.Scan(&r.No, &amount, &room, &guest, &note, &at); err != nil {
			return nil, err
		}
		var parts []string
		for _, p := range []string{room, guest, note} {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		r.Amount, r.Note, r.Since = app.Money(amount), strings.Join(parts, " "), time.UnixMilli(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s shiftStore) Shifts(ctx context.Context, storeID int64, q shift.Query) ([]shift.Shift, error) {
	where := []string{"sh.store_id=?"}
	args := []any{storeID}
	if !q.From.IsZero() {
		where, args = append(where, "sh.started_at>=?"), append(args, ms(q.From))
	}
	if !q.To.IsZero() {
		where, args = append(where, "sh.started_at<?"), append(args, ms(q.To))
	}
	if q.StaffID != 0 {
		where, args = append(where, "sh.staff_id=?"), append(args, q.StaffID)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = shift.DefaultLimit
	}
	args = append(args, limit)
	return s.query(ctx, `SELECT `+shiftCols+shiftFrom+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY sh.started_at DESC, sh.id DESC LIMIT ?`, args...)
}

func (s shiftStore) Shift(ctx context.Context, id int64) (shift.Shift, error) {
	out, err := s.query(ctx, `SELECT `+shiftCols+shiftFrom+` WHERE sh.id=?`, id)
	if err != nil {
		return shift.Shift{}, err
	}
	if len(out) == 0 {
		return shift.Shift{}, shift.ErrNotFound.With("ID", id)
	}
	return out[0], nil
}

// The kept handover (shift.summary_json): the shape is spelt out here, not
// taken from the Go types, so a renamed field in app cannot make a kept
// report unreadable. Version 1.

type keptHandover struct {
	Version          int                    `json:"v"`
	CountTerminal    string                 `json:"count_terminal,omitempty"`
	Notes            map[string]int64       `json:"notes"`
	Coins            int64                  `json:"coins"`
	Counted          int64                  `json:"counted"`
	Expected         int64                  `json:"expected"`
	Variance         int64                  `json:"variance"`
	FloatLeft        int64                  `json:"float_left"`
	Threshold        int64                  `json:"threshold"`
	NeedsCountersign bool                   `json:"needs_countersign"`
	CountersignedBy  int64                  `json:"countersigned_by,omitempty"`
	CountersignName  string                 `json:"countersign_name,omitempty"`
	HeldOrders       []keptItem             `json:"held_orders"`
	OpenDeposits     []keptItem             `json:"open_deposits"`
	Total            keptFigures            `json:"total"`
	ByMethod         map[string]keptFigures `json:"by_method"`
	Deposits         keptDeposits           `json:"deposits"`
	// Carts held at the terminal (migration 0009); absent from reports
	// kept before it, which read as none.
	HeldCarts *keptHeldCarts `json:"held_carts,omitempty"`
}

type keptHeldCarts struct {
	Count  int   `json:"count"`
	Total  int64 `json:"total"`
	Oldest int64 `json:"oldest,omitempty"` // unix ms
}

type keptItem struct {
	No     string `json:"no"`
	Amount int64  `json:"amount"`
	Note   string `json:"note,omitempty"`
	Since  int64  `json:"since"` // unix ms
}

type keptFigures struct {
	TxAmount         int64 `json:"tx_amount"`
	Settlement       int64 `json:"settlement"`
	Received         int64 `json:"received"`
	Discount         int64 `json:"discount"`
	Refund           int64 `json:"refund"`
	RefundSettlement int64 `json:"refund_settlement"`
	TxCount          int64 `json:"tx_count"`
	RefundCount      int64 `json:"refund_count"`
}

type keptDeposits struct {
	TakenCount int64 `json:"taken_count"`
	Taken      int64 `json:"taken"`
	Consumed   int64 `json:"consumed"`
	Released   int64 `json:"released"`
}

func toKeptFigures(f summary.Figures) keptFigures {
	return keptFigures{int64(f.TxAmount), int64(f.Settlement), int64(f.Received), int64(f.Discount),
		int64(f.Refund), int64(f.RefundSettlement), f.TxCount, f.RefundCount}
}

func (k keptFigures) figures() summary.Figures {
	return summary.Figures{TxAmount: app.Money(k.TxAmount), Settlement: app.Money(k.Settlement), Received: app.Money(k.Received),
		Discount: app.Money(k.Discount), Refund: app.Money(k.Refund), RefundSettlement: app.Money(k.RefundSettlement),
		TxCount: k.TxCount, RefundCount: k.RefundCount}
}

func keptItems(in []shift.ItemRef) []keptItem {
	out := make([]keptItem, 0, len(in))
	for _, r := range in {
		out = append(out, keptItem{r.No, int64(r.Amount), r.Note, ms(r.Since)})
	}
	return out
}

func itemRefs(in []keptItem) []shift.ItemRef {
	var out []shift.ItemRef
	for _, r := range in {
		out = append(out, shift.ItemRef{No: r.No, Amount: app.Money(r.Amount), Note: r.Note, Since: time.UnixMilli(r.Since)})
	}
	return out
}

func encodeHandover(h shift.Handover) (string, error) {
	k := keptHandover{Version: 1, CountTerminal: h.CountTerminal, Notes: h.Count.Notes, Coins: int64(h.Count.Coins),
		Counted: int64(h.Counted), Expected: int64(h.Expected), Variance: int64(h.Variance), FloatLeft: int64(h.FloatLeft),
		Threshold: int64(h.Threshold), NeedsCountersign: h.NeedsCountersign, CountersignedBy: h.CountersignedBy,
		CountersignName: h.CountersignName, HeldOrders: keptItems(h.HeldOrders), OpenDeposits: keptItems(h.OpenDeposits),
		Total: toKeptFigures(h.Summary.Total), ByMethod: map[string]keptFigures{},
		Deposits: keptDeposits{h.Summary.Deposits.TakenCount, int64(h.Summary.Deposits.Taken),
			int64(h.Summary.Deposits.Consumed), int64(h.Summary.Deposits.Released)}}
	for m, f := range h.Summary.ByMethod {
		k.ByMethod[string(m)] = toKeptFigures(f)
	}
	if c := h.HeldCarts; c.Count > 0 {
		k.HeldCarts = &keptHeldCarts{Count: c.Count, Total: int64(c.Total), Oldest: ms(c.Oldest)}
	}
	b, err := json.Marshal(k)
	return string(b), err
}

func decodeHandover(s string) (shift.Handover, error) {
	var k keptHandover
	if err := json.Unmarshal([]byte(s), &k); err != nil {
		return shift.Handover{}, err
	}
	if k.Version != 1 {
		return shift.Handover{}, fmt.Errorf("version %d", k.Version)
	}
	h := shift.Handover{CountTerminal: k.CountTerminal, Count: shift.CashCount{Notes: k.Notes, Coins: app.Money(k.Coins)},
		Counted: app.Money(k.Counted), Expected: app.Money(k.Expected), Variance: app.Money(k.Variance),
		FloatLeft: app.Money(k.FloatLeft), Threshold: app.Money(k.Threshold), NeedsCountersign: k.NeedsCountersign,
		CountersignedBy: k.CountersignedBy, CountersignName: k.CountersignName,
		HeldOrders: itemRefs(k.HeldOrders), OpenDeposits: itemRefs(k.OpenDeposits),
		Summary: summary.Summary{Total: k.Total.figures(), ByMethod: map[summary.Method]summary.Figures{},
			Deposits: summary.Deposits{TakenCount: k.Deposits.TakenCount, Taken: app.Money(k.Deposits.Taken),
				Consumed: app.Money(k.Deposits.Consumed), Released: app.Money(k.Deposits.Released)}}}
	for m, f := range k.ByMethod {
		h.Summary.ByMethod[summary.Method(m)] = f.figures()
	}
	if c := k.HeldCarts; c != nil {
		h.HeldCarts = shift.HeldCarts{Count: c.Count, Total: app.Money(c.Total), Oldest: fromMS(sql.NullInt64{Int64: c.Oldest, Valid: true})}
	}
	return h, nil
}
