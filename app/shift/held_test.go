package shift_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/sale"
	"cashier/app/shift"
)

func heldCart(price app.Money) app.HeldOrder {
	return app.HeldOrder{Lines: []app.HeldLine{{OrderLine: app.OrderLine{Name: "商品", Qty: 1, UnitPrice: price}}}}
}

// The handover shows the carts held at the terminal — how many, what they
// come to, the oldest — whoever held them, beside (not in) the person's
// unpaid orders; the kept report keeps them as they were at the handover.
func TestClockOff_HeldCarts(t *testing.T) {
	f := newFx(t)
	holds := &sale.Holds{Store: f.db, Permits: f.svc.Permits, Clock: f.clock, Signals: f.sig, Terminal: f.db}
	_, err := f.svc.ClockOn(f.ctx, f.li.ID, shift.ScopeTerminal, 0)
	require.NoError(t, err)
	var ids []int64
	for i, p := range []app.Money{3000, 4050, 1600} {
		who := f.li
		if i == 1 {
			who = f.zhang // the terminal's carts, whoever held them
		}
		h, err := holds.Hold(f.ctx, who, heldCart(p))
		require.NoError(t, err)
		ids = append(ids, h.ID)
		f.clock.Advance(30 * time.Minute)
	}
	extra, err := holds.Hold(f.ctx, f.li, heldCart(999))
	require.NoError(t, err)
	_, err = holds.Resume(f.ctx, extra.ID, f.li) // resumed: no longer held
	require.NoError(t, err)
	f.clock.Advance(30 * time.Minute) // the first cart has waited 2 h

	rev, err := f.svc.Review(f.ctx, f.li.ID, count(0), 0)
	require.NoError(t, err)
	assert.Equal(t, shift.HeldCarts{Count: 3, Total: 8650, Oldest: rev.HeldCarts.Oldest}, rev.HeldCarts)
	assert.Equal(t, 2*time.Hour, rev.HeldCarts.OldestAge(f.clock.Now()))
	assert.Empty(t, rev.HeldOrders, "no order was written: a held cart is not an unpaid order")

	ended, err := f.svc.ClockOff(f.ctx, f.li.ID, count(0), 0, nil)
	require.NoError(t, err)
	assert.Equal(t, 3, ended.Handover.HeldCarts.Count)
	_, err = holds.Resume(f.ctx, ids[0], f.zhang) // after the handover
	require.NoError(t, err)
	kept, err := f.svc.Get(f.ctx, ended.ID)
	require.NoError(t, err)
	assert.Equal(t, 3, kept.Handover.HeldCarts.Count, "as it was at the handover")
	assert.Equal(t, app.Money(8650), kept.Handover.HeldCarts.Total)
	assert.Equal(t, rev.HeldCarts.Oldest.UnixMilli(), kept.Handover.HeldCarts.Oldest.UnixMilli())

	// A store-wide shift hands over the carts of the terminal it is
	// counted at; with none held, none.
	_, err = f.svc.ClockOn(f.ctx, f.zhang.ID, shift.ScopeStore, 0)
	require.NoError(t, err)
	rev, err = f.svc.Review(f.ctx, f.zhang.ID, count(0), 0)
	require.NoError(t, err)
	assert.Equal(t, 2, rev.HeldCarts.Count)
	for _, id := range ids[1:] {
		_, err = holds.Resume(f.ctx, id, f.zhang)
		require.NoError(t, err)
	}
	rev, err = f.svc.Review(f.ctx, f.zhang.ID, count(0), 0)
	require.NoError(t, err)
	assert.Equal(t, shift.HeldCarts{}, rev.HeldCarts)
	assert.Zero(t, rev.HeldCarts.OldestAge(f.clock.Now()))
}
