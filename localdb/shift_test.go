package localdb

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/shift"
	"cashier/app/summary"
)

type shiftFx struct {
	ctx   context.Context
	db    *DB
	st    shift.Store
	store int64
	term  int64
	staff []app.Staff // the demo people: manager, two clerks
	now   time.Time
}

func newShiftFx(t *testing.T) *shiftFx {
	t.Helper()
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "pos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	now := time.Date(2026, 1, 16, 9, 0, 0, 0, time.UTC)
	_, err = db.SeedDemo(ctx, auth.PINHasher{Cost: bcrypt.MinCost}, now)
	require.NoError(t, err)
	term, err := db.CurrentTerminal(ctx)
	require.NoError(t, err)
	f := &shiftFx{ctx: ctx, db: db, st: db.ShiftStore(), store: term.StoreID, term: term.ID, now: now}
	for _, d := range DemoStaff {
		s, _, err := db.StaffByCode(ctx, d.Code)
		require.NoError(t, err)
		f.staff = append(f.staff, s)
	}
	return f
}

func (f *shiftFx) start(t *testing.T, who app.Staff, terminal int64, at time.Time) shift.Shift {
	t.Helper()
	sh, err := f.st.StartShift(f.ctx, shift.Shift{StoreID: f.store, TerminalID: terminal, StaffID: who.ID, StaffName: who.Name,
		StartedAt: at, OpeningFloat: 10000}, app.AuditEntry{At: at, StaffID: who.ID, Action: "clock_on"})
	require.NoError(t, err)
	return sh
}

func sampleHandover() shift.Handover {
	return shift.Handover{
		CountTerminal: "1号收银台",
		Count:         shift.CashCount{Notes: map[string]int64{"100": 3, "50": 1, "0.1": 7}, Coins: 150},
		Counted:       35220, Expected: 35000, Variance: 220, FloatLeft: 20000, Threshold: 5000,
		NeedsCountersign: false,
		HeldOrders:       []shift.ItemRef{{No: "P1", Amount: 880, Note: "稍后付", Since: time.UnixMilli(1768554000000)}},
		OpenDeposits:     []shift.ItemRef{{No: "D1", Amount: 50000, Note: "1208 王先生", Since: time.UnixMilli(1768550000000)}},
		Summary: summary.Summary{
			Total: summary.Figures{TxAmount: 26000, Settlement: 25000, Received: 24000, Discount: 1000, Refund: 1000, RefundSettlement: 1000, TxCount: 4, RefundCount: 1},
			ByMethod: map[summary.Method]summary.Figures{
				summary.MethodCash:   {TxAmount: 25000, Settlement: 25000, Received: 24000, Refund: 1000, RefundSettlement: 1000, TxCount: 3, RefundCount: 1},
				summary.MethodWeChat: {TxAmount: 1000, Discount: 1000, TxCount: 1},
			},
			Deposits: summary.Deposits{TakenCount: 1, Taken: 50000, Consumed: 100, Released: 200},
		},
	}
}

func TestShiftStore_HandoverKeptWhole(t *testing.T) {
	f := newShiftFx(t)
	sh := f.start(t, f.staff[1], f.term, f.now)
	assert.NotZero(t, sh.ID)
	mark, err := f.st.TakingsMark(f.ctx, sh.ID)
	require.NoError(t, err)
	h := sampleHandover()
	h.NeedsCountersign, h.CountersignedBy, h.CountersignName = true, f.staff[0].ID, f.staff[0].Name
	sh.EndedAt, sh.Handover = f.now.Add(8*time.Hour), &h
	require.NoError(t, f.st.EndShift(f.ctx, sh, mark, []app.AuditEntry{{StaffID: f.staff[1].ID, Action: "clock_off"}}))

	got, err := f.st.Shift(f.ctx, sh.ID)
	require.NoError(t, err)
	require.NotNil(t, got.Handover)
	h.Summary.Filter = summary.Filter{StoreID: f.store, ShiftID: sh.ID}
	assert.Equal(t, h, *got.Handover)
	assert.Equal(t, "李娜", got.StaffName)
	assert.Equal(t, "1002", got.StaffCode)
	assert.Equal(t, "1号收银台", got.TerminalName)
	assert.Equal(t, sh.EndedAt.UnixMilli(), got.EndedAt.UnixMilli())
	var by int64
	require.NoError(t, f.db.Read().QueryRow(`SELECT countersigned_by FROM shift WHERE id=?`, sh.ID).Scan(&by))
	assert.Equal(t, f.staff[0].ID, by)

	// Ended once: a second end writes nothing.
	require.ErrorIs(t, f.st.EndShift(f.ctx, sh, mark, nil), shift.ErrStale)

	// A kept handover the program cannot read is said, not shown empty.
	_, err = f.db.writer.Exec(`UPDATE shift SET summary_json='{"v":9}' WHERE id=?`, sh.ID)
	require.NoError(t, err)
	_, err = f.st.Shift(f.ctx, sh.ID)
	require.Error(t, err)
}

// Nothing half-written: an end whose audit line cannot be written leaves
// the shift open with no handover column set.
func TestShiftStore_EndIsOneTransaction(t *testing.T) {
	f := newShiftFx(t)
	sh := f.start(t, f.staff[1], f.term, f.now)
	h := sampleHandover()
	sh.EndedAt, sh.Handover = f.now.Add(time.Hour), &h
	err := f.st.EndShift(f.ctx, sh, 0, []app.AuditEntry{{StaffID: f.staff[1].ID, Action: "clock_off"}, {StaffID: 424242, Action: "handover_countersign"}})
	require.Error(t, err, "no staff 424242: the foreign key refuses the second line")
	var ended, counted sql.NullInt64
	var kept string
	require.NoError(t, f.db.Read().QueryRow(`SELECT ended_at, counted, summary_json FROM shift WHERE id=?`, sh.ID).Scan(&ended, &counted, &kept))
	assert.False(t, ended.Valid)
	assert.False(t, counted.Valid)
	assert.Empty(t, kept)
	var n int
	require.NoError(t, f.db.Read().QueryRow(`SELECT count(*) FROM audit_log WHERE action='clock_off'`).Scan(&n))
	assert.Zero(t, n)
	_, ok, err := f.st.OpenShiftOf(f.ctx, f.staff[1].ID)
	require.NoError(t, err)
	assert.True(t, ok)
}

// The takings mark moves when money lands on the shift; an end read
// before it is refused.
func TestShiftStore_StaleMarkRefused(t *testing.T) {
	f := newShiftFx(t)
	sh := f.start(t, f.staff[1], f.term, f.now)
	mark, err := f.st.TakingsMark(f.ctx, sh.ID)
	require.NoError(t, err)
	require.NoError(t, f.db.Write(f.ctx, func(tx *sql.Tx) error {
		return recordTaking(f.ctx, tx, taking{kind: summary.KindSale, ref: "tender:x", storeID: f.store, staffID: f.staff[1].ID,
			shiftID: sh.ID, method: summary.MethodCash, amount: 500, at: f.now.Add(time.Minute)})
	}))
	moved, err := f.st.TakingsMark(f.ctx, sh.ID)
	require.NoError(t, err)
	assert.Greater(t, moved, mark)
	h := sampleHandover()
	sh.EndedAt, sh.Handover = f.now.Add(time.Hour), &h
	require.ErrorIs(t, f.st.EndShift(f.ctx, sh, mark, nil), shift.ErrStale)
	_, ok, err := f.st.OpenShiftOf(f.ctx, f.staff[1].ID)
	require.NoError(t, err)
	assert.True(t, ok, "still open")
	require.NoError(t, f.st.EndShift(f.ctx, sh, moved, nil))
}

func TestShiftStore_OnePerPersonAndLastFloat(t *testing.T) {
	f := newShiftFx(t)
	first := f.start(t, f.staff[1], f.term, f.now)
	_, err := f.st.StartShift(f.ctx, shift.Shift{StoreID: f.store, StaffID: f.staff[1].ID, StaffName: "李娜", StartedAt: f.now.Add(time.Minute)},
		app.AuditEntry{StaffID: f.staff[1].ID, Action: "clock_on"})
	require.ErrorIs(t, err, shift.ErrAlreadyOn)
	m, _ := app.AsMessage(err)
	assert.Equal(t, f.now.UnixMilli(), m.Args["Since"].(time.Time).UnixMilli())

	fl, err := f.st.LastFloat(f.ctx, f.store, f.term)
	require.NoError(t, err)
	assert.Zero(t, fl, "no shift ended yet")

	end := func(sh shift.Shift, at time.Time, left app.Money) {
		mark, err := f.st.TakingsMark(f.ctx, sh.ID)
		require.NoError(t, err)
		h := shift.Handover{FloatLeft: left, Counted: left}
		sh.EndedAt, sh.Handover = at, &h
		require.NoError(t, f.st.EndShift(f.ctx, sh, mark, nil))
	}
	end(first, f.now.Add(time.Hour), 30000)
	// A store-wide shift ended later counts for this terminal too; another
	// terminal's does not.
	store := f.start(t, f.staff[2], 0, f.now.Add(2*time.Hour))
	end(store, f.now.Add(3*time.Hour), 25000)
	var other int64
	require.NoError(t, f.db.Write(f.ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`INSERT INTO terminal(store_id, code, name, created_at) VALUES (?,?,?,?)`, f.store, "T-OTHER", "2号收银台", 0)
		if err != nil {
			return err
		}
		other, err = res.LastInsertId()
		return err
	}))
	elsewhere := f.start(t, f.staff[0], other, f.now.Add(4*time.Hour))
	end(elsewhere, f.now.Add(5*time.Hour), 99900)
	fl, err = f.st.LastFloat(f.ctx, f.store, f.term)
	require.NoError(t, err)
	assert.Equal(t, app.Money(25000), fl)
	fl, err = f.st.LastFloat(f.ctx, f.store, other)
	require.NoError(t, err)
	assert.Equal(t, app.Money(99900), fl)

	open, err := f.st.OpenShifts(f.ctx, f.store)
	require.NoError(t, err)
	assert.Empty(t, open)
	list, err := f.st.Shifts(f.ctx, f.store, shift.Query{From: f.now.Add(90 * time.Minute), To: f.now.Add(3 * time.Hour)})
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, store.ID, list[0].ID)
	assert.Zero(t, list[0].TerminalID)
	assert.Empty(t, list[0].TerminalName)
}

// The handover's reads never walk the store's history: the open deposits
// through the small index of frozen ones, the held orders through the
// index of open orders, the takings mark through the shift's journal index.
// queryPlan is SQLite's plan for q, its lines joined by "; ".
func queryPlan(t *testing.T, db *DB, q string, args ...any) string {
	t.Helper()
	rows, err := db.Read().Query(`EXPLAIN QUERY PLAN `+q, args...)
	require.NoError(t, err)
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		plan = append(plan, detail)
	}
	require.NoError(t, rows.Err())
	return strings.Join(plan, "; ")
}

func TestShiftStore_Plans(t *testing.T) {
	f := newShiftFx(t)
	for want, c := range map[string]struct {
		q    string
		args []any
	}{
		"deposit_frozen": {openDepositsQuery, []any{5, 1}},
		"orders_open":    {heldQuery, []any{1, 2}},
		"takings_shift":  {markQuery, []any{1}},
	} {
		joined := queryPlan(t, f.db, c.q, c.args...)
		assert.Contains(t, joined, "INDEX "+want, joined)
		assert.NotContains(t, joined, "SCAN", joined)
		assert.NotContains(t, joined, "SEARCH o USING COVERING INDEX orders_store_time (store_id=?)", "not the store's whole history")
		t.Logf("%s: %s", want, joined)
	}
}
