package sale_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/catalog"
	"cashier/app/payment"
	"cashier/app/sale"
	"cashier/localdb"
)

type heldFx struct {
	ctx   context.Context
	path  string
	db    *localdb.DB
	clock *app.ManualClock
	auth  *auth.Auth
	holds *sale.Holds

	mu      sync.Mutex
	signals []any

	mgr, li, zhang app.Staff
}

func newHeldFx(t *testing.T) *heldFx {
	t.Helper()
	f := &heldFx{ctx: context.Background(), path: filepath.Join(t.TempDir(), "pos.db"),
		clock: app.NewManualClock(time.Date(2026, 1, 16, 9, 0, 0, 0, time.UTC))}
	db, err := localdb.Open(f.path)
	require.NoError(t, err)
	_, err = db.SeedDemo(f.ctx, auth.PINHasher{Cost: bcrypt.MinCost}, f.clock.Now())
	require.NoError(t, err)
	f.open(t, db)
	for code, dst := range map[string]*app.Staff{"1001": &f.mgr, "1002": &f.li, "1003": &f.zhang} {
		s, _, err := db.StaffByCode(f.ctx, code)
		require.NoError(t, err)
		*dst = s
	}
	return f
}

// open builds the use case on db, as the app does at start.
func (f *heldFx) open(t *testing.T, db *localdb.DB) {
	t.Cleanup(func() { db.Close() })
	f.db = db
	ov := auth.NewOverrides(f.clock)
	f.auth = &auth.Auth{Store: db, Clock: f.clock, Hasher: auth.PINHasher{Cost: bcrypt.MinCost}, Overrides: ov}
	sig := app.NewSignals()
	sig.Subscribe(app.SignalHeld, func(p any) {
		f.mu.Lock()
		f.signals = append(f.signals, p)
		f.mu.Unlock()
	})
	f.holds = &sale.Holds{Store: db, Permits: auth.Rules{Store: db, Overrides: ov}, Clock: f.clock, Signals: sig, Terminal: db}
}

// restart closes the database and opens it again, like quitting the app.
func (f *heldFx) restart(t *testing.T) {
	require.NoError(t, f.db.Close())
	db, err := localdb.Open(f.path)
	require.NoError(t, err)
	f.open(t, db)
}

func (f *heldFx) gotSignals() []any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]any(nil), f.signals...)
}

// cart is a held cart: two colas ￥0.50 off, 0.532 kg of pork at ￥26.00
// a kg (13.832 → ￥13.83, not discountable), ￥1.00 off the order.
func cart(label string) app.HeldOrder {
	return app.HeldOrder{Label: label, OrderDiscount: 100, Lines: []app.HeldLine{
		{OrderLine: app.OrderLine{ProductID: 1, Barcode: "6901234567892", Name: "可口可乐", Qty: 2, UnitPrice: 300, LineDiscount: 50}, Unit: "罐"},
		{OrderLine: app.OrderLine{Barcode: "2000123", Name: "五花肉", Qty: 1, UnitPrice: 2600, NonDiscountable: true},
			Grams: 532, Unit: "kg", Label: true},
	}}
}

// Hold, quit, start again, list, resume: the cart comes back whole, its
// total worked out once, and is gone from the list; every step signals.
func TestHolds_HoldRestartResume(t *testing.T) {
	f := newHeldFx(t)
	held, err := f.holds.Hold(f.ctx, f.li, cart("  穿红衣服的顾客 "))
	require.NoError(t, err)
	assert.Equal(t, "穿红衣服的顾客", held.Label, "trimmed")
	assert.Equal(t, app.Money(600-50-100+1383), held.Total)
	assert.Equal(t, app.PaymentDefault, held.PaymentMode, "the store's mode")
	assert.Equal(t, f.li.ID, held.StaffID)
	assert.Equal(t, f.clock.Now(), held.CreatedAt)
	assert.Equal(t, []any{held.ID}, f.gotSignals())

	f.clock.Advance(12 * time.Minute)
	f.restart(t)
	list, err := f.holds.List(f.ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, held.ID, list[0].ID)
	assert.Equal(t, "李娜", list[0].StaffName)
	assert.Equal(t, 12*time.Minute, list[0].Age(f.clock.Now()))
	assert.Equal(t, held.Total, list[0].Total)

	// Someone else at the till may resume it.
	got, err := f.holds.Resume(f.ctx, held.ID, f.zhang)
	require.NoError(t, err)
	require.Len(t, got.Lines, 2)
	assert.Equal(t, cart("").Lines[1].Grams, got.Lines[1].Grams)
	assert.Equal(t, "kg", got.Lines[1].Unit)
	assert.True(t, got.Lines[1].Label)
	assert.Equal(t, app.Money(50), got.Lines[0].LineDiscount)
	assert.Equal(t, app.Money(100), got.OrderDiscount)
	total, err := sale.HeldTotal(got)
	require.NoError(t, err)
	assert.Equal(t, held.Total, total, "the resumed cart comes to what was held")
	assert.Equal(t, []any{held.ID, held.ID}, f.gotSignals(), "held, then resumed after the restart")

	_, err = f.holds.Resume(f.ctx, held.ID, f.li)
	require.ErrorIs(t, err, app.ErrHeldNotFound, "resumed once")
	list, err = f.holds.List(f.ctx)
	require.NoError(t, err)
	assert.Empty(t, list)
}

// A double Enter and a second window resume the same cart at once:
// exactly one of them gets it.
func TestHolds_ConcurrentResume(t *testing.T) {
	f := newHeldFx(t)
	held, err := f.holds.Hold(f.ctx, f.li, cart(""))
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	start := make(chan struct{})
	for i, who := range []app.Staff{f.li, f.zhang} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = f.holds.Resume(f.ctx, held.ID, who)
		}()
	}
	close(start)
	wg.Wait()
	if errs[0] == nil {
		require.ErrorIs(t, errs[1], app.ErrHeldNotFound)
	} else {
		require.ErrorIs(t, errs[0], app.ErrHeldNotFound)
		require.NoError(t, errs[1])
	}
}

// The cashier who held a cart may drop it; another clerk may not (void
// line is a manager's), nor may they after a refused try; a manager may,
// and so may the clerk on a manager's one-shot override, which the audit
// line names.
func TestHolds_DropPermission(t *testing.T) {
	f := newHeldFx(t)
	mine, err := f.holds.Hold(f.ctx, f.li, cart("a"))
	require.NoError(t, err)
	require.NoError(t, f.holds.Drop(f.ctx, mine.ID, f.li), "the holder")

	theirs, err := f.holds.Hold(f.ctx, f.li, cart("b"))
	require.NoError(t, err)
	err = f.holds.Drop(f.ctx, theirs.ID, f.zhang)
	require.ErrorIs(t, err, app.ErrNoPermission)
	list, err := f.holds.List(f.ctx)
	require.NoError(t, err)
	require.Len(t, list, 1, "still held")

	_, err = f.auth.Override(f.ctx, "1001", "8888", f.zhang.ID, app.PermVoidLine)
	require.NoError(t, err)
	require.NoError(t, f.holds.Drop(f.ctx, theirs.ID, f.zhang))
	rows, err := f.db.ListAudit(f.ctx, localdb.AuditFilter{Action: "order_hold_drop"})
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Contains(t, rows[0].Detail, "approved_by=王店长", "newest first")
	assert.NotContains(t, rows[1].Detail, "approved_by")

	third, err := f.holds.Hold(f.ctx, f.zhang, cart("c"))
	require.NoError(t, err)
	require.NoError(t, f.holds.Drop(f.ctx, third.ID, f.mgr), "a manager holds void_line")
	require.ErrorIs(t, f.holds.Drop(f.ctx, third.ID, f.mgr), app.ErrHeldNotFound, "dropped already")
	assert.Len(t, f.gotSignals(), 6, "three holds, three drops")
}

// Bad carts are refused before anything is written.
func TestHolds_BadInput(t *testing.T) {
	f := newHeldFx(t)
	long := cart("")
	for len(long.Lines) <= app.MaxHeldLines {
		long.Lines = append(long.Lines, long.Lines[0])
	}
	zero := cart("")
	zero.Lines[0].Qty = 0
	label := cart(strings.Repeat("顾", app.MaxHeldLabel+1))
	tooMuch := cart("")
	tooMuch.OrderDiscount = 10_000 // more than the discountable lines cost
	deposit := cart("")
	deposit.DepositPart = 100_000
	badUnit := cart("")
	badUnit.Lines[1].Unit = "罐"
	for name, c := range map[string]struct {
		in   app.HeldOrder
		want error
	}{
		"empty":        {app.HeldOrder{}, app.ErrHeldEmpty},
		"201 lines":    {long, app.ErrHeldTooManyLines},
		"zero qty":     {zero, app.ErrHeldLine},
		"label":        {label, app.ErrFieldTooLong},
		"discount":     {tooMuch, app.ErrOrderInvalid},
		"deposit":      {deposit, sale.ErrDepositAmount},
		"weighed by 罐": {badUnit, catalog.ErrWeighedUnit},
	} {
		_, err := f.holds.Hold(f.ctx, f.li, c.in)
		require.ErrorIs(t, err, c.want, name)
	}
	_, err := f.holds.Hold(f.ctx, app.Staff{}, cart(""))
	require.ErrorIs(t, err, payment.ErrNoStaff)
	_, err = f.holds.Resume(f.ctx, 1, app.Staff{})
	require.ErrorIs(t, err, payment.ErrNoStaff)
	list, err := f.holds.List(f.ctx)
	require.NoError(t, err)
	assert.Empty(t, list)
	assert.Empty(t, f.gotSignals())
}

// A cart held in a store that charges total + non-discountable keeps
// that mode; one given a mode keeps its own.
func TestHolds_PaymentModeFromStore(t *testing.T) {
	f := newHeldFx(t)
	st, err := f.db.CurrentStore(f.ctx)
	require.NoError(t, err)
	st.PaymentMode = app.PaymentTotalNonDiscount
	require.NoError(t, f.db.UpdateStore(f.ctx, st, f.mgr.ID))
	h, err := f.holds.Hold(f.ctx, f.li, cart(""))
	require.NoError(t, err)
	assert.Equal(t, app.PaymentTotalNonDiscount, h.PaymentMode)
	c := cart("")
	c.PaymentMode, c.DepositPart = app.PaymentConsumeDeposit, 500
	h, err = f.holds.Hold(f.ctx, f.li, c)
	require.NoError(t, err)
	got, err := f.db.GetHeld(f.ctx, h.ID)
	require.NoError(t, err)
	assert.Equal(t, app.PaymentConsumeDeposit, got.PaymentMode)
	assert.Equal(t, app.Money(500), got.DepositPart)
}

// The Counter's cart held and resumed is the same cart: every line with
// its weight, unit, scale-label mark and discount, the order discount and
// the deposit part; it comes to what it came to.
func TestHolds_CartRoundTrip(t *testing.T) {
	f := newHeldFx(t)
	c := sale.Cart{OrderDiscount: 120, DepositPart: 500, Lines: []sale.CartLine{
		{ProductID: 1, Barcode: "6901234567892", Name: "可口可乐", Unit: "罐", UnitPrice: 300, Qty: 3, LineDiscount: 30},
		{ProductID: 2, Barcode: "00045", Name: "五花肉", Unit: "kg", UnitPrice: 2600, Qty: 1, Grams: 532, Label: true},
		{ProductID: 3, Barcode: "00046", Name: "熟食", Unit: "kg", UnitPrice: 1250, Qty: 1, Label: true, NonDiscountable: true},
		{Name: "", UnitPrice: 1250, Qty: 1},
	}}
	want, err := c.Order()
	require.NoError(t, err)
	held, err := f.holds.Hold(f.ctx, f.li, sale.HeldFromCart(c, "老顾客"))
	require.NoError(t, err)
	assert.Equal(t, want.Payable, held.Total)
	f.restart(t)
	got, err := f.holds.Resume(f.ctx, held.ID, f.li)
	require.NoError(t, err)
	back := sale.CartFromHeld(got)
	assert.Equal(t, c, back)
	o, err := back.Order()
	require.NoError(t, err)
	assert.Equal(t, want, o)
}
