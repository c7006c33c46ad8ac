package shift_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/sale"
	"cashier/app/settings"
	"cashier/app/shift"
	"cashier/app/summary"
	"cashier/localdb"
)

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// printer records the reports queued; fail makes it refuse.
type printer struct {
	mu      sync.Mutex
	reports []shift.Report
	fail    error
}

func (p *printer) PrintShiftReport(_ context.Context, r shift.Report) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	p.reports = append(p.reports, r)
	return nil
}

func (p *printer) got() []shift.Report {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]shift.Report(nil), p.reports...)
}

type fx struct {
	ctx      context.Context
	db       *localdb.DB
	clock    *app.ManualClock
	sig      *app.Signals
	svc      *shift.Service
	co       *sale.Checkout
	settings settings.Service
	printer  *printer
	// the demo store's people: a manager and two clerks
	mgr, li, zhang app.Staff

	mu       sync.Mutex
	signals  []any
	devFails []error
}

func newFx(t *testing.T) *fx {
	t.Helper()
	ctx := context.Background()
	db, err := localdb.Open(filepath.Join(t.TempDir(), "pos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	clock := app.NewManualClock(time.Date(2026, 1, 16, 9, 0, 0, 0, shanghai))
	hasher := auth.PINHasher{Cost: bcrypt.MinCost}
	_, err = db.SeedDemo(ctx, hasher, clock.Now())
	require.NoError(t, err)
	rules := auth.Rules{Store: db}
	f := &fx{ctx: ctx, db: db, clock: clock, sig: app.NewSignals(), printer: &printer{}}
	f.settings = settings.Service{Store: db, Permits: rules, Signals: f.sig}
	f.svc = &shift.Service{Store: db.ShiftStore(), Summary: summary.Engine{Store: db},
		Verifier: &auth.Auth{Store: db, Clock: clock, Hasher: hasher}, Permits: rules, Printer: f.printer,
		Signals: f.sig, Clock: clock, Terminal: db, Thresholds: f.settings,
		OnDeviceError: func(_ string, err error) {
			f.mu.Lock()
			f.devFails = append(f.devFails, err)
			f.mu.Unlock()
		}}
	f.co = &sale.Checkout{Store: db, Terminal: db, Permits: rules, Clock: clock, Signals: f.sig}
	f.sig.Subscribe(app.SignalShift, func(v any) {
		f.mu.Lock()
		f.signals = append(f.signals, v)
		f.mu.Unlock()
	})
	for code, dst := range map[string]*app.Staff{"1001": &f.mgr, "1002": &f.li, "1003": &f.zhang} {
		s, _, err := db.StaffByCode(ctx, code)
		require.NoError(t, err)
		*dst = s
	}
	return f
}

func (f *fx) gotSignals() []any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]any(nil), f.signals...)
}

// cashSale takes a cash sale of amount (handed over: received) by who.
func (f *fx) cashSale(t *testing.T, who app.Staff, amount, received app.Money) app.Order {
	t.Helper()
	o, err := f.co.Open(f.ctx, sale.OrderInput{Staff: who, Total: amount})
	require.NoError(t, err)
	out, err := f.co.PayCash(f.ctx, o.OrderNo, amount, received, who)
	require.NoError(t, err)
	require.True(t, out.Paid())
	return out.Order
}

// count is a blind count of amount in 100s, 10s, 1s and coins.
func count(m app.Money) shift.CashCount {
	c := shift.CashCount{Notes: map[string]int64{}}
	c.Notes["100"] = int64(m / 10000)
	m %= 10000
	c.Notes["10"] = int64(m / 1000)
	m %= 1000
	c.Notes["1"] = int64(m / 100)
	c.Coins = m % 100
	return c
}

func (f *fx) audits(t *testing.T, action string) []app.AuditEntry {
	t.Helper()
	rows, err := f.db.Read().QueryContext(f.ctx, `SELECT COALESCE(staff_id,0), action, subject, detail FROM audit_log WHERE action=? ORDER BY id`, action)
	require.NoError(t, err)
	defer rows.Close()
	var out []app.AuditEntry
	for rows.Next() {
		var e app.AuditEntry
		require.NoError(t, rows.Scan(&e.StaffID, &e.Action, &e.Subject, &e.Detail))
		out = append(out, e)
	}
	require.NoError(t, rows.Err())
	return out
}

func (f *fx) shiftRows(t *testing.T) int {
	var n int
	require.NoError(t, f.db.Read().QueryRowContext(f.ctx, `SELECT count(*) FROM shift`).Scan(&n))
	return n
}

func TestClockOn_OncePerPerson(t *testing.T) {
	f := newFx(t)
	sh, err := f.svc.ClockOn(f.ctx, f.li.ID, shift.ScopeTerminal, 50000)
	require.NoError(t, err)
	assert.True(t, sh.Open())
	assert.NotZero(t, sh.TerminalID)
	assert.Equal(t, "1号收银台", sh.TerminalName)
	assert.Equal(t, app.Money(50000), sh.OpeningFloat)
	assert.Equal(t, summary.Day{Year: 2026, Month: 1, D: 16}, sh.Day)
	assert.Equal(t, []any{f.li.ID}, f.gotSignals())
	on := f.audits(t, "clock_on")
	require.Len(t, on, 1)
	assert.Equal(t, f.li.ID, on[0].StaffID)
	assert.Equal(t, fmt.Sprint(sh.ID), on[0].Subject)

	cur, ok, err := f.svc.Current(f.ctx, f.li.ID)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, sh.ID, cur.ID)
	_, ok, err = f.svc.Current(f.ctx, f.zhang.ID)
	require.NoError(t, err)
	assert.False(t, ok)

	// Twice: refused, naming since when; nothing written, no signal.
	f.clock.Advance(time.Hour)
	_, err = f.svc.ClockOn(f.ctx, f.li.ID, shift.ScopeStore, 0)
	require.ErrorIs(t, err, shift.ErrAlreadyOn)
	m, _ := app.AsMessage(err)
	assert.Equal(t, sh.StartedAt.UnixMilli(), m.Args["Since"].(time.Time).UnixMilli())
	assert.Equal(t, "李娜", m.Args["Name"])
	assert.Equal(t, 1, f.shiftRows(t))
	assert.Len(t, f.audits(t, "clock_on"), 1)
	assert.Len(t, f.gotSignals(), 1)

	// Another person, for the whole store; the status bar sees both.
	st, err := f.svc.ClockOn(f.ctx, f.zhang.ID, shift.ScopeStore, 0)
	require.NoError(t, err)
	assert.Zero(t, st.TerminalID)
	assert.Equal(t, shift.ScopeStore, st.Scope())
	open, err := f.svc.OpenShifts(f.ctx)
	require.NoError(t, err)
	require.Len(t, open, 2)
	assert.Equal(t, []string{"李娜", "张伟"}, []string{open[0].StaffName, open[1].StaffName})
}

func TestClockOn_Refused(t *testing.T) {
	f := newFx(t)
	for _, c := range []struct {
		scope shift.Scope
		float app.Money
		want  error
	}{
		{"till", 0, shift.ErrBadScope},
		{shift.ScopeTerminal, -1, shift.ErrFloatNegative},
		{shift.ScopeTerminal, shift.MaxFloat + 1, shift.ErrFloatTooLarge},
	} {
		_, err := f.svc.ClockOn(f.ctx, f.li.ID, c.scope, c.float)
		require.ErrorIs(t, err, c.want, "%s %v", c.scope, c.float)
	}
	_, err := f.svc.ClockOn(f.ctx, f.li.ID, shift.ScopeTerminal, shift.MaxFloat)
	require.NoError(t, err, "the bound itself is allowed")

	// A disabled person, checked at the moment.
	require.NoError(t, f.db.SetStaffDisabled(f.ctx, f.zhang.ID, true))
	_, err = f.svc.ClockOn(f.ctx, f.zhang.ID, shift.ScopeTerminal, 0)
	require.ErrorIs(t, err, app.ErrStaffDisabled)
	// Someone unknown.
	_, err = f.svc.ClockOn(f.ctx, 9999, shift.ScopeTerminal, 0)
	require.ErrorIs(t, err, app.ErrUnknownStaff)
	assert.Equal(t, 1, f.shiftRows(t))
	assert.Len(t, f.audits(t, "clock_on"), 1)
}

func TestClockOn_NeedsShiftHandoverPermission(t *testing.T) {
	f := newFx(t)
	// Taken from the person and from the clerks' defaults alike.
	require.NoError(t, f.db.Write(f.ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(f.ctx, `DELETE FROM staff_permission WHERE staff_id=? AND permission_code=?`, f.zhang.ID, app.PermShiftHandover)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(f.ctx, `DELETE FROM role_permission WHERE role_code='clerk' AND permission_code=?`, app.PermShiftHandover)
		return err
	}))
	_, err := f.svc.ClockOn(f.ctx, f.zhang.ID, shift.ScopeTerminal, 0)
	require.ErrorIs(t, err, app.ErrNoPermission)
	assert.Zero(t, f.shiftRows(t))
}

func TestClockOff_NoOpenShift(t *testing.T) {
	f := newFx(t)
	_, err := f.svc.ClockOff(f.ctx, f.li.ID, count(0), 0, nil)
	require.ErrorIs(t, err, shift.ErrNotOn)
	m, _ := app.AsMessage(err)
	assert.Equal(t, "李娜", m.Args["Name"])
	_, err = f.svc.Review(f.ctx, f.li.ID, count(0), 0)
	require.ErrorIs(t, err, shift.ErrNotOn)
	assert.Empty(t, f.audits(t, "clock_off"))
	assert.Empty(t, f.printer.got())
	assert.Empty(t, f.gotSignals())
}

// The expected cash is the opening float plus cash taken less cash given
// back, on this person's shift only; a count that matches needs no
// countersign; the handover is kept and the report queued.
func TestClockOff_ExpectedCountedVariance(t *testing.T) {
	f := newFx(t)
	_, err := f.svc.ClockOn(f.ctx, f.li.ID, shift.ScopeTerminal, 50000)
	require.NoError(t, err)
	f.cashSale(t, f.li, 12000, 20000) // 80.00 change goes back out of the drawer at once
	f.cashSale(t, f.li, 3050, 3050)
	f.cashSale(t, f.zhang, 99900, 99900) // not on a shift: not in hers
	// Part-paid in cash and voided: the 40.00 is handed back.
	o, err := f.co.Open(f.ctx, sale.OrderInput{Staff: f.li, Total: 10000})
	require.NoError(t, err)
	_, err = f.co.PayCash(f.ctx, o.OrderNo, 4000, 4000, f.li)
	require.NoError(t, err)
	_, err = f.co.Void(f.ctx, o.OrderNo, f.li)
	require.NoError(t, err)

	sofar, err := f.svc.Takings(f.ctx, mustCurrent(t, f, f.li.ID).ID)
	require.NoError(t, err)
	cash := sofar.Method(summary.MethodCash)
	assert.Equal(t, app.Money(12000+3050+4000), cash.Settlement)
	assert.Equal(t, app.Money(4000), cash.RefundSettlement)

	expected := app.Money(50000 + 12000 + 3050)
	f.clock.Advance(8 * time.Hour)
	rev, err := f.svc.Review(f.ctx, f.li.ID, count(expected), 30000)
	require.NoError(t, err)
	assert.Equal(t, expected, rev.Expected)
	assert.Equal(t, expected, rev.Counted)
	assert.Zero(t, rev.Variance)
	assert.False(t, rev.NeedsCountersign)
	assert.Equal(t, settings.DefaultVarianceThreshold, rev.Threshold)
	assert.Equal(t, "1号收银台", rev.CountTerminal)
	assert.Empty(t, f.audits(t, "clock_off"), "Review writes nothing")

	ended, err := f.svc.ClockOff(f.ctx, f.li.ID, count(expected), 30000, nil)
	require.NoError(t, err)
	assert.False(t, ended.Open())
	require.NotNil(t, ended.Handover)
	h := ended.Handover
	assert.Equal(t, expected, h.Expected)
	assert.Equal(t, app.Money(30000), h.FloatLeft)
	assert.Zero(t, h.CountersignedBy)
	assert.Equal(t, int64(3), h.Summary.Method(summary.MethodCash).TxCount)

	// Kept: the columns and the whole handover, read back.
	var exp, cnt, vr, left int64
	require.NoError(t, f.db.Read().QueryRowContext(f.ctx, `SELECT expected, counted, variance, float_left FROM shift WHERE id=?`, ended.ID).
		Scan(&exp, &cnt, &vr, &left))
	assert.Equal(t, []int64{int64(expected), int64(expected), 0, 30000}, []int64{exp, cnt, vr, left})
	got, err := f.svc.Get(f.ctx, ended.ID)
	require.NoError(t, err)
	require.NotNil(t, got.Handover)
	assert.Equal(t, *h, *got.Handover, "the kept handover reads back the same")

	off := f.audits(t, "clock_off")
	require.Len(t, off, 1)
	assert.Equal(t, f.li.ID, off[0].StaffID)
	assert.Equal(t, fmt.Sprint(ended.ID), off[0].Subject)
	assert.Equal(t, []any{f.li.ID, f.li.ID}, f.gotSignals())

	reps := f.printer.got()
	require.Len(t, reps, 1)
	assert.False(t, reps[0].Reprint)
	assert.Equal(t, ended.ID, reps[0].Shift.ID)
	assert.Equal(t, "好邻居便利店（科技园店）", reps[0].Store.Name)

	// The float left is what the next person is offered.
	fl, err := f.svc.SuggestedFloat(f.ctx)
	require.NoError(t, err)
	assert.Equal(t, app.Money(30000), fl)

	// And clocking off again: nothing open.
	_, err = f.svc.ClockOff(f.ctx, f.li.ID, count(expected), 0, nil)
	require.ErrorIs(t, err, shift.ErrNotOn)
}

func mustCurrent(t *testing.T, f *fx, staffID int64) shift.Shift {
	t.Helper()
	sh, ok, err := f.svc.Current(f.ctx, staffID)
	require.NoError(t, err)
	require.True(t, ok)
	return sh
}

func TestClockOff_BadCountsWriteNothing(t *testing.T) {
	f := newFx(t)
	_, err := f.svc.ClockOn(f.ctx, f.li.ID, shift.ScopeTerminal, 10000)
	require.NoError(t, err)
	for name, c := range map[string]struct {
		count     shift.CashCount
		floatLeft app.Money
		want      error
		denom     string
	}{
		"negative":       {shift.CashCount{Notes: map[string]int64{"50": -1}}, 0, shift.ErrCountNegative, "shift.denom.50"},
		"absurd":         {shift.CashCount{Notes: map[string]int64{"100": shift.MaxPieces + 1}}, 0, shift.ErrCountTooMany, "shift.denom.100"},
		"unknown":        {shift.CashCount{Notes: map[string]int64{"2": 1}}, 0, shift.ErrCountUnknown, ""},
		"coins negative": {shift.CashCount{Coins: -5}, 0, shift.ErrCountNegative, "shift.denom.coins"},
		"coins absurd":   {shift.CashCount{Coins: shift.MaxCoins + 1}, 0, shift.ErrCoinsTooMuch, ""},
		"float negative": {count(10000), -1, shift.ErrFloatLeftNegative, ""},
		"float over":     {count(10000), 10001, shift.ErrFloatLeftTooLarge, ""},
	} {
		_, err := f.svc.Review(f.ctx, f.li.ID, c.count, c.floatLeft)
		require.ErrorIs(t, err, c.want, name)
		_, err = f.svc.ClockOff(f.ctx, f.li.ID, c.count, c.floatLeft, &shift.Countersign{Code: "1001", PIN: "8888"})
		require.ErrorIs(t, err, c.want, name)
		if c.denom != "" {
			m, _ := app.AsMessage(err)
			assert.Equal(t, c.denom, m.Args["Denomination"].(app.Message).Code, name)
		}
	}
	sh := mustCurrent(t, f, f.li.ID)
	assert.True(t, sh.Open())
	assert.Nil(t, sh.Handover)
	assert.Empty(t, f.audits(t, "clock_off"))
	assert.Empty(t, f.printer.got())
	// A float left of all that was counted is fine.
	_, err = f.svc.Review(f.ctx, f.li.ID, count(10000), 10000)
	require.NoError(t, err)
}

func TestParsePieces(t *testing.T) {
	d := shift.Denominations[0]
	for in, want := range map[string]int64{"": 0, " 12 ": 12, "0": 0, "100000": shift.MaxPieces} {
		n, err := shift.ParsePieces(d, in)
		require.NoError(t, err, in)
		assert.Equal(t, want, n, in)
	}
	for in, want := range map[string]error{
		"abc": shift.ErrCountNotNumber, "1.5": shift.ErrCountNotNumber, "１２": shift.ErrCountNotNumber, "12张": shift.ErrCountNotNumber,
		"-1": shift.ErrCountNegative, "100001": shift.ErrCountTooMany, "99999999999999999999": shift.ErrCountTooMany,
		"-99999999999999999999": shift.ErrCountNotNumber,
	} {
		_, err := shift.ParsePieces(d, in)
		require.ErrorIs(t, err, want, in)
		m, _ := app.AsMessage(err)
		assert.Equal(t, "shift.denom.100", m.Args["Denomination"].(app.Message).Code, in)
	}
}

// A variance over the threshold needs a different person, a manager or
// administrator, with their PIN; a wrong PIN counts towards their lockout;
// nothing is written until it is right.
func TestClockOff_Countersign(t *testing.T) {
	f := newFx(t)
	_, err := f.svc.ClockOn(f.ctx, f.li.ID, shift.ScopeTerminal, 20000)
	require.NoError(t, err)
	f.cashSale(t, f.li, 5000, 5000)
	short := count(20000 + 5000 - 6000) // 60.00 short: over the 50.00 default

	rev, err := f.svc.Review(f.ctx, f.li.ID, short, 0)
	require.NoError(t, err)
	assert.Equal(t, app.Money(-6000), rev.Variance)
	assert.True(t, rev.NeedsCountersign)

	_, err = f.svc.ClockOff(f.ctx, f.li.ID, short, 0, nil)
	require.ErrorIs(t, err, shift.ErrCountersignNeeded)
	_, err = f.svc.ClockOff(f.ctx, f.li.ID, short, 0, &shift.Countersign{Code: "1002", PIN: "1234"})
	require.ErrorIs(t, err, shift.ErrCountersignSelf)
	// A wrong PIN: refused, and it counts towards the manager's lockout.
	_, err = f.svc.ClockOff(f.ctx, f.li.ID, short, 0, &shift.Countersign{Code: "1001", PIN: "0000"})
	require.ErrorIs(t, err, auth.ErrWrongPIN)
	mgr, err := f.db.StaffByID(f.ctx, f.mgr.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, mgr.FailedAttempts)
	// Another clerk, with her right PIN: not a manager.
	_, err = f.svc.ClockOff(f.ctx, f.li.ID, short, 0, &shift.Countersign{Code: "1003", PIN: "5678"})
	require.ErrorIs(t, err, shift.ErrCountersignRole)
	// Nobody of that number.
	_, err = f.svc.ClockOff(f.ctx, f.li.ID, short, 0, &shift.Countersign{Code: "7777", PIN: "1234"})
	require.ErrorIs(t, err, app.ErrUnknownStaff)

	assert.True(t, mustCurrent(t, f, f.li.ID).Open(), "nothing written")
	assert.Empty(t, f.audits(t, "clock_off"))
	assert.Empty(t, f.audits(t, "handover_countersign"))

	ended, err := f.svc.ClockOff(f.ctx, f.li.ID, short, 0, &shift.Countersign{Code: "1001", PIN: "8888"})
	require.NoError(t, err)
	assert.Equal(t, f.mgr.ID, ended.Handover.CountersignedBy)
	assert.Equal(t, "王店长", ended.Handover.CountersignName)
	cs := f.audits(t, "handover_countersign")
	require.Len(t, cs, 1)
	assert.Equal(t, f.mgr.ID, cs[0].StaffID, "the line is the manager's")
	assert.Equal(t, fmt.Sprint(ended.ID), cs[0].Subject)
	var by sql.NullInt64
	require.NoError(t, f.db.Read().QueryRowContext(f.ctx, `SELECT countersigned_by FROM shift WHERE id=?`, ended.ID).Scan(&by))
	assert.Equal(t, f.mgr.ID, by.Int64)
	mgr, err = f.db.StaffByID(f.ctx, f.mgr.ID)
	require.NoError(t, err)
	assert.Zero(t, mgr.FailedAttempts, "a right PIN clears the count")
}

// At the threshold exactly no countersign is needed; the threshold is the
// store's setting, changed by holders of the settings permission only.
func TestClockOff_ThresholdSetting(t *testing.T) {
	f := newFx(t)
	th, err := f.svc.Threshold(f.ctx)
	require.NoError(t, err)
	assert.Equal(t, app.Money(5000), th)

	require.ErrorIs(t, f.settings.SaveVarianceThreshold(f.ctx, f.zhang.ID, 1000), app.ErrNoPermission)
	require.ErrorIs(t, f.settings.SaveVarianceThreshold(f.ctx, f.mgr.ID, -1), settings.ErrThreshold)
	require.ErrorIs(t, f.settings.SaveVarianceThreshold(f.ctx, f.mgr.ID, settings.MaxVarianceThreshold+1), settings.ErrThreshold)
	require.NoError(t, f.settings.SaveVarianceThreshold(f.ctx, f.mgr.ID, 1000))
	th, err = f.svc.Threshold(f.ctx)
	require.NoError(t, err)
	assert.Equal(t, app.Money(1000), th)
	a := f.audits(t, "settings")
	require.NotEmpty(t, a)
	assert.Equal(t, settings.SettingVarianceThreshold, a[len(a)-1].Subject)
	assert.Equal(t, "50.00->10.00", a[len(a)-1].Detail)
	assert.Equal(t, f.mgr.ID, a[len(a)-1].StaffID)

	_, err = f.svc.ClockOn(f.ctx, f.li.ID, shift.ScopeTerminal, 10000)
	require.NoError(t, err)
	rev, err := f.svc.Review(f.ctx, f.li.ID, count(11000), 0) // 10.00 over: at the threshold
	require.NoError(t, err)
	assert.False(t, rev.NeedsCountersign)
	rev, err = f.svc.Review(f.ctx, f.li.ID, count(11001), 0) // 10.01 over
	require.NoError(t, err)
	assert.True(t, rev.NeedsCountersign)

	// A stored value that is not an amount stops the handover: a wrong
	// threshold would decide who must countersign.
	require.NoError(t, f.db.SetSetting(f.ctx, settings.SettingVarianceThreshold, "abc"))
	_, err = f.svc.ClockOff(f.ctx, f.li.ID, count(11000), 0, nil)
	require.ErrorIs(t, err, settings.ErrThreshold)
	assert.True(t, mustCurrent(t, f, f.li.ID).Open())
}

// A manager clocking off with a variance needs another manager or an
// administrator: their own PIN does not do.
func TestClockOff_ManagerCannotCountersignThemselves(t *testing.T) {
	f := newFx(t)
	_, err := f.svc.ClockOn(f.ctx, f.mgr.ID, shift.ScopeStore, 0)
	require.NoError(t, err)
	_, err = f.svc.ClockOff(f.ctx, f.mgr.ID, count(10000), 0, &shift.Countersign{Code: "1001", PIN: "8888"})
	require.ErrorIs(t, err, shift.ErrCountersignSelf)
	assert.True(t, mustCurrent(t, f, f.mgr.ID).Open())
}

// insertDeposit writes a deposit taken by who at at, frozen (or in state).
func (f *fx) insertDeposit(t *testing.T, who app.Staff, no string, amount app.Money, state, guest, room string, at time.Time) {
	t.Helper()
	term, err := f.db.CurrentTerminal(f.ctx)
	require.NoError(t, err)
	require.NoError(t, f.db.Write(f.ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(f.ctx, `INSERT INTO orders(order_no, store_id, terminal_id, staff_id, kind, status, total, payable, paid, created_at, paid_at)
			VALUES (?,?,?,?,'deposit','paid',?,?,?,?,?)`, "O"+no, term.StoreID, term.ID, who.ID, amount, amount, amount, at.UnixMilli(), at.UnixMilli())
		if err != nil {
			return err
		}
		oid, _ := res.LastInsertId()
		res, err = tx.ExecContext(f.ctx, `INSERT INTO payment_intent(out_trade_no, order_id, kind, channel, wallet, auth_code_masked, amount, state, created_at, updated_at)
			VALUES (?,?,'deposit','wechat','wechat','1300****0000',?,'paid',?,?)`, "I"+no, oid, amount, at.UnixMilli(), at.UnixMilli())
		if err != nil {
			return err
		}
		iid, _ := res.LastInsertId()
		_, err = tx.ExecContext(f.ctx, `INSERT INTO deposit(deposit_no, order_id, intent_id, amount, released, state, guest_name, room, created_at)
			VALUES (?,?,?,?,?,?,?,?,?)`, no, oid, iid, amount, map[bool]app.Money{true: amount, false: 0}[state == "released"], state, guest, room, at.UnixMilli())
		return err
	}))
}

// Held orders (the person's, still open) and open deposits (the store's,
// still frozen) are handed over by name, and kept with the handover.
func TestClockOff_HeldOrdersAndOpenDeposits(t *testing.T) {
	f := newFx(t)
	f.insertDeposit(t, f.zhang, "D-OLD", 50000, "frozen", "王先生", "1208", f.clock.Now().Add(-48*time.Hour))
	f.insertDeposit(t, f.zhang, "D-DONE", 30000, "released", "", "", f.clock.Now().Add(-24*time.Hour))
	_, err := f.svc.ClockOn(f.ctx, f.li.ID, shift.ScopeTerminal, 0)
	require.NoError(t, err)
	f.clock.Advance(time.Hour)
	held, err := f.co.Open(f.ctx, sale.OrderInput{Staff: f.li, Total: 8800, Note: "302 房 稍后付"})
	require.NoError(t, err)
	_, err = f.co.Open(f.ctx, sale.OrderInput{Staff: f.zhang, Total: 100}) // someone else's
	require.NoError(t, err)
	f.insertDeposit(t, f.li, "D-NEW", 20000, "frozen", "李女士", "", f.clock.Now())
	f.clock.Advance(time.Hour)

	ended, err := f.svc.ClockOff(f.ctx, f.li.ID, count(0), 0, nil)
	require.NoError(t, err)
	h := ended.Handover
	require.Len(t, h.HeldOrders, 1)
	assert.Equal(t, held.OrderNo, h.HeldOrders[0].No)
	assert.Equal(t, app.Money(8800), h.HeldOrders[0].Amount)
	assert.Equal(t, "302 房 稍后付", h.HeldOrders[0].Note)
	require.Len(t, h.OpenDeposits, 2)
	assert.Equal(t, "D-OLD", h.OpenDeposits[0].No)
	assert.Equal(t, "1208 王先生", h.OpenDeposits[0].Note)
	assert.Equal(t, app.Money(50000), h.OpenDeposits[0].Amount)
	assert.Equal(t, "D-NEW", h.OpenDeposits[1].No)
	kept, err := f.svc.Get(f.ctx, ended.ID)
	require.NoError(t, err)
	assert.Equal(t, h.HeldOrders[0].No, kept.Handover.HeldOrders[0].No)
	assert.Equal(t, h.OpenDeposits[1].Since.UnixMilli(), kept.Handover.OpenDeposits[1].Since.UnixMilli())
}

// racingStore takes a cash sale on the shift between the figures being
// read and the end being written, the first time only.
type racingStore struct {
	shift.Store
	once sync.Once
	sale func()
	ends int
}

func (r *racingStore) EndShift(ctx context.Context, s shift.Shift, mark int64, audit []app.AuditEntry) error {
	r.once.Do(r.sale)
	r.ends++
	return r.Store.EndShift(ctx, s, mark, audit)
}

// Money taken on the shift while it is being closed is never left out of
// the expected cash: the write refuses and the figures are read again.
func TestClockOff_SaleDuringHandoverIsCounted(t *testing.T) {
	f := newFx(t)
	rs := &racingStore{Store: f.svc.Store}
	rs.sale = func() { f.cashSale(t, f.li, 700, 700) }
	f.svc.Store = rs
	_, err := f.svc.ClockOn(f.ctx, f.li.ID, shift.ScopeTerminal, 10000)
	require.NoError(t, err)
	f.cashSale(t, f.li, 1000, 1000)
	ended, err := f.svc.ClockOff(f.ctx, f.li.ID, count(11700), 0, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, rs.ends)
	assert.Equal(t, app.Money(11700), ended.Handover.Expected, "the sale taken meanwhile is in")
	assert.Zero(t, ended.Handover.Variance)
	assert.Len(t, f.audits(t, "clock_off"), 1)
}

// A shift across midnight belongs to the day it started.
func TestBusinessDay_AcrossMidnight(t *testing.T) {
	f := newFx(t)
	f.clock.Set(time.Date(2026, 1, 16, 22, 0, 0, 0, shanghai))
	_, err := f.svc.ClockOn(f.ctx, f.li.ID, shift.ScopeTerminal, 0)
	require.NoError(t, err)
	f.clock.Advance(3 * time.Hour)
	f.cashSale(t, f.li, 1500, 1500)
	ended, err := f.svc.ClockOff(f.ctx, f.li.ID, count(1500), 0, nil)
	require.NoError(t, err)
	assert.Equal(t, "2026-01-16", ended.Day.String())
	assert.Equal(t, 17, ended.EndedAt.In(shanghai).Day())
	day, err := f.svc.Summary.Summarize(f.ctx, summary.Filter{StoreID: ended.StoreID, Day: summary.Day{Year: 2026, Month: 1, D: 16}})
	require.NoError(t, err)
	assert.Equal(t, app.Money(1500), day.Total.Settlement, "the 01:00 sale is in the 16th's takings")
}

func TestList(t *testing.T) {
	f := newFx(t)
	var ids []int64
	for d := 0; d < 3; d++ {
		for _, who := range []app.Staff{f.li, f.zhang} {
			sh, err := f.svc.ClockOn(f.ctx, who.ID, shift.ScopeTerminal, 0)
			require.NoError(t, err)
			ids = append(ids, sh.ID)
			f.clock.Advance(time.Hour)
			_, err = f.svc.ClockOff(f.ctx, who.ID, count(0), 0, nil)
			require.NoError(t, err)
		}
		f.clock.Advance(22 * time.Hour)
	}
	all, err := f.svc.List(f.ctx, shift.Query{})
	require.NoError(t, err)
	require.Len(t, all, 6)
	assert.Equal(t, ids[5], all[0].ID, "newest first")
	assert.NotNil(t, all[0].Handover)

	mine, err := f.svc.List(f.ctx, shift.Query{StaffID: f.zhang.ID})
	require.NoError(t, err)
	require.Len(t, mine, 3)
	for _, s := range mine {
		assert.Equal(t, f.zhang.ID, s.StaffID)
	}
	day2 := time.Date(2026, 1, 17, 0, 0, 0, 0, shanghai)
	one, err := f.svc.List(f.ctx, shift.Query{From: day2, To: day2.AddDate(0, 0, 1)})
	require.NoError(t, err)
	require.Len(t, one, 2)
	assert.Equal(t, "2026-01-17", one[0].Day.String())
	two, err := f.svc.List(f.ctx, shift.Query{Limit: 2})
	require.NoError(t, err)
	assert.Len(t, two, 2)

	_, err = f.svc.Get(f.ctx, 424242)
	require.ErrorIs(t, err, shift.ErrNotFound)
}

// A kept report is reprinted as it was kept, marked as a reprint; the
// person's own with the handover permission, anyone's with the store's
// transactions permission.
func TestPrint_Reprint(t *testing.T) {
	f := newFx(t)
	sh, err := f.svc.ClockOn(f.ctx, f.zhang.ID, shift.ScopeTerminal, 0)
	require.NoError(t, err)
	require.ErrorIs(t, f.svc.Print(f.ctx, sh.ID, f.zhang.ID), shift.ErrStillOpen)
	f.cashSale(t, f.zhang, 2000, 2000)
	_, err = f.svc.ClockOff(f.ctx, f.zhang.ID, count(2000), 0, nil)
	require.NoError(t, err)
	require.Len(t, f.printer.got(), 1)

	f.clock.Advance(24 * time.Hour)
	require.NoError(t, f.svc.Print(f.ctx, sh.ID, f.zhang.ID))
	reps := f.printer.got()
	require.Len(t, reps, 2)
	assert.True(t, reps[1].Reprint)
	assert.Equal(t, f.clock.Now(), reps[1].PrintedAt)
	assert.Equal(t, app.Money(2000), reps[1].Shift.Handover.Expected, "as kept")
	assert.Equal(t, "2026-01-16", reps[1].Shift.Day.String())
	a := f.audits(t, "shift_report_reprint")
	require.Len(t, a, 1)
	assert.Equal(t, f.zhang.ID, a[0].StaffID)

	require.ErrorIs(t, f.svc.Print(f.ctx, sh.ID, f.li.ID), app.ErrNoPermission, "another clerk")
	require.NoError(t, f.svc.Print(f.ctx, sh.ID, f.mgr.ID), "the manager")
	require.ErrorIs(t, f.svc.Print(f.ctx, 999, f.mgr.ID), shift.ErrNotFound)
	f.svc.Printer = nil
	require.ErrorIs(t, f.svc.Print(f.ctx, sh.ID, f.mgr.ID), shift.ErrNoPrinter)
}

// A printer that refuses never undoes the clock-off; the report is kept
// and can be printed later.
func TestClockOff_PrinterFailureKeepsTheClockOff(t *testing.T) {
	f := newFx(t)
	f.printer.fail = errors.New("paper out")
	sh, err := f.svc.ClockOn(f.ctx, f.li.ID, shift.ScopeTerminal, 0)
	require.NoError(t, err)
	ended, err := f.svc.ClockOff(f.ctx, f.li.ID, count(0), 0, nil)
	require.NoError(t, err)
	assert.False(t, ended.Open())
	f.mu.Lock()
	assert.Len(t, f.devFails, 1)
	f.mu.Unlock()
	f.printer.fail = nil
	require.NoError(t, f.svc.Print(f.ctx, sh.ID, f.li.ID))
	assert.Len(t, f.printer.got(), 1)

	// No printer at all: the clock-off stands too.
	f.svc.Printer = nil
	_, err = f.svc.ClockOn(f.ctx, f.li.ID, shift.ScopeTerminal, 0)
	require.NoError(t, err)
	_, err = f.svc.ClockOff(f.ctx, f.li.ID, count(0), 0, nil)
	require.NoError(t, err)
}

// A held order stays on the person's hands from one handover to the next
// until it is paid or voided; one from before their first shift is found
// too.
func TestClockOff_HeldOrdersCarriedOver(t *testing.T) {
	f := newFx(t)
	old, err := f.co.Open(f.ctx, sale.OrderInput{Staff: f.li, Total: 100, Note: "before any shift"})
	require.NoError(t, err)
	f.clock.Advance(time.Hour)
	handover := func() []string {
		t.Helper()
		_, err := f.svc.ClockOn(f.ctx, f.li.ID, shift.ScopeTerminal, 0)
		require.NoError(t, err)
		f.clock.Advance(time.Hour)
		var nos []string
		ended, err := f.svc.ClockOff(f.ctx, f.li.ID, count(0), 0, nil)
		require.NoError(t, err)
		for _, r := range ended.Handover.HeldOrders {
			nos = append(nos, r.No)
		}
		f.clock.Advance(time.Hour)
		return nos
	}
	assert.Equal(t, []string{old.OrderNo}, handover(), "the first handover finds the old one")

	_, err = f.svc.ClockOn(f.ctx, f.li.ID, shift.ScopeTerminal, 0)
	require.NoError(t, err)
	f.clock.Advance(time.Minute)
	mid, err := f.co.Open(f.ctx, sale.OrderInput{Staff: f.li, Total: 200})
	require.NoError(t, err)
	f.clock.Advance(time.Hour)
	ended, err := f.svc.ClockOff(f.ctx, f.li.ID, count(0), 0, nil)
	require.NoError(t, err)
	require.Len(t, ended.Handover.HeldOrders, 2)
	assert.Equal(t, []string{old.OrderNo, mid.OrderNo}, []string{ended.Handover.HeldOrders[0].No, ended.Handover.HeldOrders[1].No})
	f.clock.Advance(time.Hour)

	// Between shifts the old one is paid: it is no longer handed over;
	// one opened off shift is.
	_, err = f.co.PayCash(f.ctx, old.OrderNo, 0, 0, f.li)
	require.NoError(t, err)
	off, err := f.co.Open(f.ctx, sale.OrderInput{Staff: f.li, Total: 300})
	require.NoError(t, err)
	f.clock.Advance(time.Hour)
	assert.Equal(t, []string{mid.OrderNo, off.OrderNo}, handover())
}

// A clerk went home without clocking off, and was disabled since: the
// store manager closes the shift for them — counting the drawer, no second
// PIN for a variance over the limit — and the audit names the manager and
// whose shift it was. A clerk cannot close another's shift; nobody closes
// one that has ended.
func TestClockOffFor_AManagerClosesAForgottenShift(t *testing.T) {
	f := newFx(t)
	sh, err := f.svc.ClockOn(f.ctx, f.li.ID, shift.ScopeTerminal, 10000)
	require.NoError(t, err)
	o, err := f.co.Open(f.ctx, sale.OrderInput{Staff: f.li, Total: 2500})
	require.NoError(t, err)
	_, err = f.co.PayCash(f.ctx, o.OrderNo, 2500, 0, f.li)
	require.NoError(t, err)
	f.clock.Advance(10 * time.Hour)
	require.NoError(t, f.db.SetStaffDisabled(f.ctx, f.li.ID, true))

	_, err = f.svc.ClockOff(f.ctx, f.li.ID, count(12500), 0, nil)
	require.ErrorIs(t, err, app.ErrStaffDisabled, "the owner cannot close it now")
	_, err = f.svc.ClockOffFor(f.ctx, f.zhang.ID, f.li.ID, count(12500), 0, nil)
	require.ErrorIs(t, err, shift.ErrCloseForRole, "a clerk cannot close another's shift")

	// 55.00 short of the 125.00 expected: over the 50.00 limit, but the
	// manager's own authority is the countersign.
	h, err := f.svc.ReviewFor(f.ctx, f.mgr.ID, f.li.ID, count(7000), 0)
	require.NoError(t, err)
	require.Equal(t, app.Money(12500), h.Expected)
	require.True(t, h.NeedsCountersign)
	ended, err := f.svc.ClockOffFor(f.ctx, f.mgr.ID, f.li.ID, count(7000), 5000, nil)
	require.NoError(t, err)
	require.Equal(t, sh.ID, ended.ID)
	require.Equal(t, f.mgr.ID, ended.Handover.CountersignedBy)
	require.Equal(t, app.Money(-5500), ended.Handover.Variance)
	_, on, err := f.svc.Current(f.ctx, f.li.ID)
	require.NoError(t, err)
	require.False(t, on)
	offs := f.audits(t, "clock_off")
	require.Len(t, offs, 1)
	assert.Equal(t, f.mgr.ID, offs[0].StaffID)
	assert.Contains(t, offs[0].Detail, "for=1002")
	cs := f.audits(t, "handover_countersign")
	require.Len(t, cs, 1)
	assert.Equal(t, f.mgr.ID, cs[0].StaffID)

	_, err = f.svc.ClockOffFor(f.ctx, f.mgr.ID, f.li.ID, count(0), 0, nil)
	require.ErrorIs(t, err, shift.ErrNoOpenShift)
}

// Cash handed back at a void leaves the drawer it went into. The store
// manager, not on a shift, voids a part-paid order of 李娜's at her
// counter: the 40.00 comes out of her drawer, so her expected cash no
// longer counts it. When the person voiding is on a shift of their own,
// the cash goes out of their drawer (TestClockOff_ExpectedCountedVariance
// has 李娜 voiding her own).
func TestClockOff_CashReturnedByAManagerOffShift(t *testing.T) {
	f := newFx(t)
	_, err := f.svc.ClockOn(f.ctx, f.li.ID, shift.ScopeTerminal, 10000)
	require.NoError(t, err)
	o, err := f.co.Open(f.ctx, sale.OrderInput{Staff: f.li, Total: 10000})
	require.NoError(t, err)
	_, err = f.co.PayCash(f.ctx, o.OrderNo, 4000, 4000, f.li)
	require.NoError(t, err)
	_, on, err := f.svc.Current(f.ctx, f.mgr.ID)
	require.NoError(t, err)
	require.False(t, on)
	_, err = f.co.Void(f.ctx, o.OrderNo, f.mgr)
	require.NoError(t, err)

	f.clock.Advance(time.Hour)
	ended, err := f.svc.ClockOff(f.ctx, f.li.ID, count(10000), 10000, nil)
	require.NoError(t, err)
	assert.Equal(t, app.Money(10000), ended.Handover.Expected, "the float: the 40.00 went back out of this drawer")
	assert.Zero(t, ended.Handover.Variance)
	cash := ended.Handover.Summary.Method(summary.MethodCash)
	assert.Equal(t, app.Money(4000), cash.Settlement)
	assert.Equal(t, app.Money(4000), cash.RefundSettlement)
}
