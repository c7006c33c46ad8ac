package sale_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/sale"
	"cashier/localdb"
)

// printed keeps every receipt the checkout queues.
type printed struct {
	mu   sync.Mutex
	got  []sale.Receipt
	fail error
}

func (p *printed) PrintReceipt(_ context.Context, r sale.Receipt) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	p.got = append(p.got, r)
	return nil
}

func (p *printed) reprints() []sale.Receipt {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []sale.Receipt
	for _, r := range p.got {
		if r.Reprint {
			out = append(out, r)
		}
	}
	return out
}

type reprintFx struct {
	db       *localdb.DB
	checkout *sale.Checkout
	printer  *printed
	clock    *app.ManualClock
	clerk    app.Staff // 李娜, who takes the orders
	manager  app.Staff // 王店长, who reprints
}

func newReprintFx(t *testing.T) *reprintFx {
	ctx := context.Background()
	db, err := localdb.Open(filepath.Join(t.TempDir(), "pos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	_, err = db.SeedDemo(ctx, auth.PINHasher{Cost: bcrypt.MinCost}, now)
	require.NoError(t, err)
	clerk, _, err := db.StaffByCode(ctx, "1002")
	require.NoError(t, err)
	manager, _, err := db.StaffByCode(ctx, "1001")
	require.NoError(t, err)
	fx := &reprintFx{db: db, printer: &printed{}, clock: app.NewManualClock(now), clerk: clerk, manager: manager}
	fx.checkout = &sale.Checkout{Store: db, Terminal: db, Clock: fx.clock, Printer: fx.printer}
	return fx
}

// cashSale opens an order of amount and pays it in cash.
func (fx *reprintFx) cashSale(t *testing.T, amount app.Money) app.Order {
	ctx := context.Background()
	o, err := fx.checkout.Open(ctx, sale.OrderInput{Staff: fx.clerk, Lines: []app.OrderLine{{Name: "面包", Qty: 1, UnitPrice: amount}}})
	require.NoError(t, err)
	out, err := fx.checkout.PayCash(ctx, o.OrderNo, 0, 0, fx.clerk)
	require.NoError(t, err)
	require.True(t, out.Paid())
	return out.Order
}

func (fx *reprintFx) reprintAudit(t *testing.T) []localdb.AuditRow {
	rows, err := fx.db.ListAudit(context.Background(), localdb.AuditFilter{Action: "receipt_reprint"})
	require.NoError(t, err)
	return rows
}

// A reprint is the stored order's receipt marked as a reprint, at the
// time it is reprinted, naming the cashier who took the order; the audit
// log says who reprinted which order.
func TestReprint_MarkedAndAudited(t *testing.T) {
	fx := newReprintFx(t)
	ctx := context.Background()
	o := fx.cashSale(t, 850)
	require.Empty(t, fx.printer.reprints(), "the sale's own receipt is no reprint")

	fx.clock.Advance(90 * time.Minute)
	require.NoError(t, fx.checkout.Reprint(ctx, o.OrderNo, fx.manager))
	rs := fx.printer.reprints()
	require.Len(t, rs, 1)
	r := rs[0]
	require.Equal(t, o.OrderNo, r.Order.OrderNo)
	require.Equal(t, app.OrderPaid, r.Order.Status)
	require.Len(t, r.Order.Lines, 1)
	require.Len(t, r.Order.Tenders, 1)
	require.Equal(t, "李娜", r.Cashier, "the receipt names who took the order, not who reprinted it")
	require.True(t, r.Time.Equal(fx.clock.Now()), "reprinted now")
	require.True(t, r.Order.PaidAt.Before(r.Time), "the sale's time stays on the order")
	require.NotEmpty(t, r.Store.Name)
	require.NotZero(t, r.Terminal.ID)

	audit := fx.reprintAudit(t)
	require.Len(t, audit, 1)
	require.Equal(t, fx.manager.ID, audit[0].StaffID)
	require.Equal(t, o.OrderNo, audit[0].Subject)
}

// Only a paid order has a receipt; a reprint needs a person and a
// printer; none of these refusals prints or logs anything.
func TestReprint_Refusals(t *testing.T) {
	fx := newReprintFx(t)
	ctx := context.Background()
	open, err := fx.checkout.Open(ctx, sale.OrderInput{Staff: fx.clerk, Total: 500})
	require.NoError(t, err)
	require.ErrorIs(t, fx.checkout.Reprint(ctx, open.OrderNo, fx.manager), sale.ErrNoReceipt)
	require.ErrorIs(t, fx.checkout.Reprint(ctx, "NOSUCHORDER", fx.manager), localdb.ErrNotFound)

	paid := fx.cashSale(t, 300)
	require.Error(t, fx.checkout.Reprint(ctx, paid.OrderNo, app.Staff{}), "nobody logged in")
	fx.checkout.Printer = nil
	require.ErrorIs(t, fx.checkout.Reprint(ctx, paid.OrderNo, fx.manager), sale.ErrNoPrinter)
	require.Empty(t, fx.reprintAudit(t))
}

// A refunded order keeps the receipt of its sale.
func TestReprint_RefundedOrder(t *testing.T) {
	fx := newReprintFx(t)
	o := fx.cashSale(t, 300)
	require.NoError(t, fx.db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE orders SET status='refunded', refunded=paid WHERE id=?`, o.ID)
		return err
	}))
	require.NoError(t, fx.checkout.Reprint(context.Background(), o.OrderNo, fx.manager))
	require.Len(t, fx.printer.reprints(), 1)
	require.Equal(t, app.OrderRefunded, fx.printer.reprints()[0].Order.Status)
}

// A printer that refuses the job after the audit line is written: the
// caller hears of it (the line stays: someone asked for a reprint).
func TestReprint_PrinterErrorIsReported(t *testing.T) {
	fx := newReprintFx(t)
	o := fx.cashSale(t, 300)
	boom := errors.New("queue full")
	fx.printer.fail = boom
	require.ErrorIs(t, fx.checkout.Reprint(context.Background(), o.OrderNo, fx.manager), boom)
	require.Len(t, fx.reprintAudit(t), 1)
}

// The last receipt is this terminal's last paid order: none before the
// first sale, then always the newest, reprinted with one call.
func TestReprintLast(t *testing.T) {
	fx := newReprintFx(t)
	ctx := context.Background()
	_, err := fx.checkout.ReprintLast(ctx, fx.manager)
	require.ErrorIs(t, err, sale.ErrNoLastReceipt)

	fx.cashSale(t, 100)
	fx.clock.Advance(time.Minute)
	second := fx.cashSale(t, 200)
	fx.clock.Advance(time.Minute)
	// An order still open is not a receipt.
	_, err = fx.checkout.Open(ctx, sale.OrderInput{Staff: fx.clerk, Total: 500})
	require.NoError(t, err)

	o, err := fx.checkout.ReprintLast(ctx, fx.manager)
	require.NoError(t, err)
	require.Equal(t, second.OrderNo, o.OrderNo)
	rs := fx.printer.reprints()
	require.Len(t, rs, 1)
	require.Equal(t, second.OrderNo, rs[0].Order.OrderNo)
	audit := fx.reprintAudit(t)
	require.Len(t, audit, 1)
	require.Equal(t, second.OrderNo, audit[0].Subject)
	require.Equal(t, "last", audit[0].Detail)

	// A day later the counter has no "last" receipt any more.
	fx.clock.Advance(sale.LastReceiptWithin + time.Minute)
	_, err = fx.checkout.LastReceipt(ctx)
	require.ErrorIs(t, err, sale.ErrNoLastReceipt)
}
