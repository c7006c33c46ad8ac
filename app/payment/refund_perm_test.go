package payment_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/payment"
	"cashier/app/payment/paytest"
)

// The refund-permission matrix of business-rules section 1, enforced by
// Refund itself (no screen in between): a clerk holding refund only while
// clocked on, a manager always, a disabled person never; a clerk without
// it only on a manager's one-shot override, whose approver the refund
// records (refund.approved_by).
func TestRefund_PermissionMatrixAndOverride(t *testing.T) {
	r := newRig(t, app.ChannelWeChat)
	ctx := context.Background()
	ov := auth.NewOverrides(r.clock)
	p, err := payment.New(payment.Config{
		Store: r.store, Clock: r.clock, Channels: map[app.Wallet]app.PaymentChannel{app.WalletWeChat: r.ch, app.WalletAlipay: r.ch},
		Terminal: payment.Terminal{NumberPrefix: r.term.NumberPrefix(), TerminalCode: r.term.Code},
		Permits:  auth.Rules{Store: r.db, Overrides: ov},
	})
	require.NoError(t, err)
	r.pay = p
	a := &auth.Auth{Store: r.db, Clock: r.clock, Hasher: auth.PINHasher{Cost: bcrypt.MinCost}, Overrides: ov}
	zhang, _, err := r.db.StaffByCode(ctx, "1003") // a clerk without refund
	require.NoError(t, err)
	paid := r.paidOrder(10000)
	r.ch.Set(paytest.MRefund, paytest.Done())
	refunds := func() int { return len(r.ch.Calls(paytest.MRefund)) }
	approvedBy := func(res payment.RefundResult) int64 {
		rf, err := r.store.GetRefund(ctx, res.OutRefundNo)
		require.NoError(t, err)
		return rf.ApprovedBy
	}

	_, err = r.refund(paid.OrderNo, 100, r.clerk)
	require.ErrorIs(t, err, app.ErrNotOnShift, "clerk off shift: no")
	require.Zero(t, refunds(), "nothing sent")
	res, err := r.refund(paid.OrderNo, 100, r.manager)
	require.NoError(t, err, "manager off shift: yes")
	require.True(t, res.Refunded())
	require.Zero(t, approvedBy(res))

	require.NoError(t, r.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO shift(store_id, staff_id, started_at) VALUES (?,?,?),(?,?,?)`,
			r.clerk.StoreID, r.clerk.ID, t0.UnixMilli(), zhang.StoreID, zhang.ID, t0.UnixMilli())
		return err
	}))
	res, err = r.refund(paid.OrderNo, 100, r.clerk)
	require.NoError(t, err, "clerk on shift: yes")
	require.True(t, res.Refunded())

	_, err = r.refund(paid.OrderNo, 100, zhang)
	require.ErrorIs(t, err, app.ErrNoPermission, "clerk on shift without the permission: no")
	_, err = a.Override(ctx, "1001", "8888", zhang.ID, app.PermRefund)
	require.NoError(t, err)
	res, err = r.refund(paid.OrderNo, 100, zhang)
	require.NoError(t, err, "with the manager's override: once")
	require.True(t, res.Refunded())
	require.Equal(t, r.manager.ID, approvedBy(res))
	_, err = r.refund(paid.OrderNo, 100, zhang)
	require.ErrorIs(t, err, app.ErrNoPermission, "the override is used up")

	require.NoError(t, r.db.SetStaffDisabled(ctx, r.clerk.ID, true))
	require.NoError(t, r.db.SetStaffDisabled(ctx, r.manager.ID, true))
	sent := refunds()
	_, err = r.refund(paid.OrderNo, 100, r.clerk)
	require.ErrorIs(t, err, app.ErrStaffDisabled, "disabled clerk on shift: never")
	_, err = r.refund(paid.OrderNo, 100, r.manager)
	require.ErrorIs(t, err, app.ErrStaffDisabled, "disabled manager: never")
	require.Equal(t, sent, refunds(), "nothing sent")
}
