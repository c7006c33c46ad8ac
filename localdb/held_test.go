package localdb_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/localdb"
)

// fxHeld is a held cart of two lines at terminal 1 by staff 1: two colas
// and a weighed line (0.532 kg of pork at 26.00 a kg), ￥1.00 off.
func fxHeld(label string, at time.Time) *app.HeldOrder {
	return &app.HeldOrder{StoreID: 1, TerminalID: 1, StaffID: 1, Label: label, OrderDiscount: 100,
		Total: 1783, CreatedAt: at, Lines: []app.HeldLine{
			{OrderLine: app.OrderLine{Barcode: "6901234567892", Name: "可口可乐", Qty: 2, UnitPrice: 300, LineDiscount: 50}, Unit: "罐"},
			{OrderLine: app.OrderLine{Barcode: "2000123", Name: "五花肉", Qty: 1, UnitPrice: 2600, NonDiscountable: true},
				Grams: 532, Unit: "kg", Label: true},
		}}
}

func fxAudit(t *testing.T, db *localdb.DB, action string) []app.AuditEntry {
	t.Helper()
	rows, err := db.Read().Query(`SELECT COALESCE(staff_id,0), subject, detail FROM audit_log WHERE action=? ORDER BY id`, action)
	require.NoError(t, err)
	defer rows.Close()
	var out []app.AuditEntry
	for rows.Next() {
		e := app.AuditEntry{Action: action}
		require.NoError(t, rows.Scan(&e.StaffID, &e.Subject, &e.Detail))
		out = append(out, e)
	}
	require.NoError(t, rows.Err())
	return out
}

// A held cart survives closing the database: it is listed after the
// restart with every line as held (weights, units, flags), and resumed
// once; the second resume finds nothing, and each step is audited.
func TestHeld_SurvivesRestartAndResumesOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pos.db")
	db, err := localdb.Open(path)
	require.NoError(t, err)
	fxSeed(t, db)
	t0 := time.Date(2026, 1, 16, 9, 0, 0, 0, time.UTC)
	first, second := fxHeld("穿红衣服的顾客", t0), fxHeld("", t0.Add(time.Minute))
	require.NoError(t, db.HoldOrder(ctx, first))
	require.NoError(t, db.HoldOrder(ctx, second))
	require.NotZero(t, first.ID)
	require.Zero(t, first.ShiftID, "not clocked on")
	require.NoError(t, db.Close())

	db, err = localdb.Open(path)
	require.NoError(t, err)
	defer db.Close()
	list, err := db.ListHeld(ctx, 1, 1)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, []int64{first.ID, second.ID}, []int64{list[0].ID, list[1].ID}, "oldest first, the newest last")
	got := list[0]
	assert.Equal(t, "穿红衣服的顾客", got.Label)
	assert.Equal(t, "Clerk", got.StaffName)
	assert.Equal(t, app.PaymentDefault, got.PaymentMode, "none given: the default")
	assert.Equal(t, app.Money(1783), got.Total)
	assert.Equal(t, app.Money(100), got.OrderDiscount)
	assert.Equal(t, t0.UnixMilli(), got.CreatedAt.UnixMilli())
	assert.Equal(t, 2*time.Hour, got.Age(t0.Add(2*time.Hour)))
	require.Len(t, got.Lines, 2)
	assert.Equal(t, app.HeldLine{OrderLine: app.OrderLine{LineNo: 1, Barcode: "6901234567892", Name: "可口可乐", Qty: 2,
		UnitPrice: 300, LineDiscount: 50}, Unit: "罐"}, got.Lines[0])
	assert.Equal(t, app.HeldLine{OrderLine: app.OrderLine{LineNo: 2, Barcode: "2000123", Name: "五花肉", Qty: 1,
		UnitPrice: 2600, NonDiscountable: true}, Grams: 532, Unit: "kg", Label: true}, got.Lines[1])

	resumed, err := db.ResumeHeld(ctx, first.ID, 1, t0.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, got, resumed)
	_, err = db.ResumeHeld(ctx, first.ID, 1, t0.Add(time.Hour))
	require.ErrorIs(t, err, app.ErrHeldNotFound, "resumed already")
	_, err = db.GetHeld(ctx, first.ID)
	require.ErrorIs(t, err, app.ErrHeldNotFound)
	list, err = db.ListHeld(ctx, 1, 1)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, second.ID, list[0].ID)
	assert.Zero(t, fxCount(t, db.Read(), `SELECT count(*) FROM held_order_line WHERE held_id=?`, first.ID), "its lines went with it")

	holds := fxAudit(t, db, "order_hold")
	require.Len(t, holds, 2)
	assert.Contains(t, holds[0].Detail, `label="穿红衣服的顾客"`)
	assert.Contains(t, holds[0].Detail, "total=17.83")
	resumes := fxAudit(t, db, "order_resume")
	require.Len(t, resumes, 1, "the refused resume wrote nothing")
	assert.Equal(t, int64(1), resumes[0].StaffID)
	ok, err := db.VerifyAudit(ctx)
	require.NoError(t, err)
	require.True(t, ok.OK(), "the chain holds")
}

// Two terminals' processes (two connections to one file) and two
// goroutines each race to resume the same cart: exactly one gets it.
func TestHeld_ConcurrentResumeOneWins(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pos.db")
	a, err := localdb.Open(path)
	require.NoError(t, err)
	defer a.Close()
	fxSeed(t, a)
	b, err := localdb.Open(path)
	require.NoError(t, err)
	defer b.Close()
	for round := 0; round < 20; round++ {
		h := fxHeld("", time.Now())
		require.NoError(t, a.HoldOrder(ctx, h))
		var wg sync.WaitGroup
		start := make(chan struct{})
		results := make([]error, 4)
		for i, db := range []*localdb.DB{a, b, a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				got, err := db.ResumeHeld(ctx, h.ID, 1, time.Now())
				if err == nil && len(got.Lines) != 2 {
					err = errors.New("resumed without its lines")
				}
				results[i] = err
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for _, err := range results {
			if err == nil {
				won++
				continue
			}
			require.ErrorIs(t, err, app.ErrHeldNotFound)
		}
		require.Equal(t, 1, won, "round %d", round)
	}
	require.Equal(t, 20, len(fxAudit(t, a, "order_resume")))
}

// Bad carts are refused before anything is written; the schema refuses
// what slips past (a label too long, a bad payment mode).
func TestHeld_BadInputRefused(t *testing.T) {
	ctx := context.Background()
	db := fxOpen(t)
	fxSeed(t, db)
	now := time.Now()
	cases := map[string]struct {
		change func(h *app.HeldOrder)
		want   error
	}{
		"empty":           {func(h *app.HeldOrder) { h.Lines = nil }, app.ErrHeldEmpty},
		"zero qty":        {func(h *app.HeldOrder) { h.Lines[0].Qty = 0 }, app.ErrHeldLine},
		"negative qty":    {func(h *app.HeldOrder) { h.Lines[1].Qty = -1 }, app.ErrHeldLine},
		"weighed no unit": {func(h *app.HeldOrder) { h.Lines[1].Unit = " " }, app.ErrHeldLine},
		"negative price":  {func(h *app.HeldOrder) { h.Lines[0].UnitPrice = -1 }, app.ErrHeldLine},
		"label 21":        {func(h *app.HeldOrder) { h.Label = strings.Repeat("红", 21) }, app.ErrFieldTooLong},
		"mode":            {func(h *app.HeldOrder) { h.PaymentMode = "cheap" }, app.ErrInvalidField},
		"discount":        {func(h *app.HeldOrder) { h.OrderDiscount = -1 }, app.ErrHeldAmount},
		"201 lines": {func(h *app.HeldOrder) {
			for len(h.Lines) <= app.MaxHeldLines {
				h.Lines = append(h.Lines, h.Lines[0])
			}
		}, app.ErrHeldTooManyLines},
	}
	for name, c := range cases {
		h := fxHeld("", now)
		c.change(h)
		require.ErrorIs(t, db.HoldOrder(ctx, h), c.want, name)
	}
	assert.Zero(t, fxCount(t, db.Read(), `SELECT count(*) FROM held_order`))
	assert.Zero(t, fxCount(t, db.Read(), `SELECT count(*) FROM audit_log WHERE action='order_hold'`))

	// 20 characters is the limit, whatever their width; 200 lines fit.
	h := fxHeld(strings.Repeat("红", 20), now)
	for len(h.Lines) < app.MaxHeldLines {
		h.Lines = append(h.Lines, h.Lines[0])
	}
	require.NoError(t, db.HoldOrder(ctx, h))
	got, err := db.GetHeld(ctx, h.ID)
	require.NoError(t, err)
	assert.Len(t, got.Lines, app.MaxHeldLines)

	// The table's own checks, for a writer that skips Validate.
	err = db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO held_order(store_id, terminal_id, staff_id, label, total, line_count, created_at)
			VALUES (1,1,1,?,0,1,0)`, strings.Repeat("红", 21))
		return err
	})
	require.Error(t, err)
	require.ErrorIs(t, db.DeleteHeld(ctx, 999, 1, now, ""), app.ErrHeldNotFound)
}

// Dropping is audited with who dropped it, whose cart it was and what the
// use case adds.
func TestHeld_DropAudited(t *testing.T) {
	ctx := context.Background()
	db := fxOpen(t)
	fxSeed(t, db)
	h := fxHeld("", time.Now())
	require.NoError(t, db.HoldOrder(ctx, h))
	require.NoError(t, db.DeleteHeld(ctx, h.ID, 1, time.Now(), "approved_by=王店长(2)"))
	require.ErrorIs(t, db.DeleteHeld(ctx, h.ID, 1, time.Now(), ""), app.ErrHeldNotFound)
	drops := fxAudit(t, db, "order_hold_drop")
	require.Len(t, drops, 1)
	assert.Contains(t, drops[0].Detail, "held_by=1")
	assert.Contains(t, drops[0].Detail, "approved_by=王店长(2)")
	assert.Zero(t, fxCount(t, db.Read(), `SELECT count(*) FROM held_order_line`))
}

// The handover's figures: the terminal's carts only, in sum, with the
// oldest; none at another terminal.
func TestHeld_HandoverFigures(t *testing.T) {
	ctx := context.Background()
	db := fxOpen(t)
	fxSeed(t, db)
	require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO terminal(id, store_id, code, name, created_at) VALUES (2, 1, 'T2', 'Till 2', 0)`)
		return err
	}))
	st := db.ShiftStore()
	c, err := st.HeldCarts(ctx, 1, 1)
	require.NoError(t, err)
	assert.Zero(t, c.Count)
	assert.True(t, c.Oldest.IsZero())

	t0 := time.Date(2026, 1, 16, 9, 0, 0, 0, time.UTC)
	for i, total := range []app.Money{3000, 4050, 1600} {
		h := fxHeld("", t0.Add(time.Duration(i)*time.Minute))
		h.Total = total
		require.NoError(t, db.HoldOrder(ctx, h))
	}
	other := fxHeld("", t0.Add(-time.Hour))
	other.TerminalID = 2
	require.NoError(t, db.HoldOrder(ctx, other))

	c, err = st.HeldCarts(ctx, 1, 1)
	require.NoError(t, err)
	assert.Equal(t, 3, c.Count)
	assert.Equal(t, app.Money(8650), c.Total)
	assert.Equal(t, t0.UnixMilli(), c.Oldest.UnixMilli())
	assert.Equal(t, 2*time.Hour, c.OldestAge(t0.Add(2*time.Hour)))
	assert.Contains(t, fxPlan(t, db, `EXPLAIN QUERY PLAN SELECT count(*), COALESCE(sum(total),0), COALESCE(min(created_at),0)
		FROM held_order INDEXED BY held_order_terminal WHERE store_id=1 AND terminal_id=1`), "COVERING INDEX held_order_terminal")
}

func fxPlan(t *testing.T, db *localdb.DB, q string) string {
	t.Helper()
	rows, err := db.Read().Query(q)
	require.NoError(t, err)
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		b.WriteString(detail + "\n")
	}
	return b.String()
}

// Migration 0009 on an empty database and on one at version 8: the held
// tables, and every store's discount floor 0 with its payment mode kept.
func TestMigrate0009_HeldOrdersAndFloor(t *testing.T) {
	ctx := context.Background()
	empty := fxOpenEmpty(t)
	_, err := empty.Migrate(ctx, localdb.Migrations(), false)
	require.NoError(t, err)
	assert.Equal(t, 1, fxCount(t, empty.Read(), `SELECT count(*) FROM sqlite_master WHERE name='held_order_line'`))

	db, exec := fxAtVersion(t, 8)
	exec(`INSERT INTO merchant(id, code, name, created_at) VALUES (1,'M1','m',0)`)
	exec(`INSERT INTO store(id, merchant_id, code, name, payment_mode, created_at) VALUES (1,1,'S1','s','consume_deposit',0),
		(2,1,'S2','t','default',0)`)
	exec(`INSERT INTO terminal(id, store_id, code, name, created_at) VALUES (1, 1, 'T1', 'Till 1', 0)`)
	exec(`INSERT INTO setting(key, value, updated_at) VALUES ('store_id','1',0),('terminal_id','1',0)`)
	res, err := db.Migrate(ctx, localdb.Migrations(), false)
	require.NoError(t, err)
	assert.Contains(t, res.Applied, "0009_held_orders.sql")
	st, err := db.CurrentStore(ctx)
	require.NoError(t, err)
	assert.Equal(t, app.PaymentConsumeDeposit, st.PaymentMode)
	assert.Zero(t, st.DiscountFloorPct)
	assert.Zero(t, fxCount(t, db.Read(), `SELECT count(*) FROM store WHERE discount_floor_pct <> 0`))
	// The column refuses a floor out of range, whoever writes it.
	for _, bad := range []int{-1, 101} {
		err := db.Write(ctx, func(tx *sql.Tx) error {
			_, err := tx.Exec(`UPDATE store SET discount_floor_pct=? WHERE id=1`, bad)
			return err
		})
		require.Error(t, err, bad)
	}
}

// The two Counter settings round-trip, are audited like the other store
// details, and a floor out of 0..100 or an unknown mode is refused with
// nothing written.
func TestSettings_PaymentModeAndFloor(t *testing.T) {
	ctx := context.Background()
	db := fxOpen(t)
	fxSeed(t, db)
	require.NoError(t, db.SetSetting(ctx, localdb.SettingStoreID, "1"))
	st, err := db.CurrentStore(ctx)
	require.NoError(t, err)
	assert.Equal(t, app.PaymentDefault, st.PaymentMode)
	assert.Zero(t, st.DiscountFloorPct)
	st.ScaleLayout = "price13"

	st.PaymentMode, st.DiscountFloorPct = app.PaymentTotalNonDiscount, 80
	require.NoError(t, db.UpdateStore(ctx, st, 1))
	got, err := db.CurrentStore(ctx)
	require.NoError(t, err)
	assert.Equal(t, app.PaymentTotalNonDiscount, got.PaymentMode)
	assert.Equal(t, 80, got.DiscountFloorPct)
	lines := fxAudit(t, db, "settings")
	require.Len(t, lines, 1)
	assert.Contains(t, lines[0].Detail, `payment_mode: "default" -> "total_nondiscount"`)
	assert.Contains(t, lines[0].Detail, `discount_floor_pct: "0" -> "80"`)

	for _, bad := range []int{-1, 101, 1000} {
		b := got
		b.DiscountFloorPct = bad
		require.ErrorIs(t, db.UpdateStore(ctx, b, 1), app.ErrDiscountFloor, bad)
	}
	b := got
	b.PaymentMode = "alipay_only"
	require.ErrorIs(t, db.UpdateStore(ctx, b, 1), app.ErrInvalidField)
	again, err := db.CurrentStore(ctx)
	require.NoError(t, err)
	assert.Equal(t, got, again, "nothing written")
	assert.Len(t, fxAudit(t, db, "settings"), 1)

	// An empty mode (a StoreInfo built without it) is the default.
	b = got
	b.PaymentMode = ""
	require.NoError(t, db.UpdateStore(ctx, b, 1))
	again, err = db.CurrentStore(ctx)
	require.NoError(t, err)
	assert.Equal(t, app.PaymentDefault, again.PaymentMode)
}
