package reports

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/report"
	"cashier/app/summary"
	"cashier/localdb"
	"cashier/ui/i18n"
)

// On the real use case over a hand-built database: two cash sales on 20
// November 2026 in the demo store, shown to its manager, refused to a
// clerk off shift.
func TestReal_ReportsOverLocalDB(t *testing.T) {
	ctx := context.Background()
	db, err := localdb.Open(filepath.Join(t.TempDir(), "pos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.SeedDemo(ctx, auth.PINHasher{Cost: bcrypt.MinCost}, time.Date(2026, 10, 1, 9, 0, 0, 0, shanghai))
	require.NoError(t, err)
	st, err := db.CurrentStore(ctx)
	require.NoError(t, err)
	term, err := db.CurrentTerminal(ctx)
	require.NoError(t, err)
	mgr, _, err := db.StaffByCode(ctx, "1001")
	require.NoError(t, err)
	clerk, _, err := db.StaffByCode(ctx, "1002")
	require.NoError(t, err)
	loc := st.Location()
	sell := func(at time.Time, total, discount app.Money, name string) app.Order {
		o := app.Order{OrderNo: "P01T01" + at.Format("20060102150405") + "0001", StoreID: st.ID, TerminalID: term.ID, StaffID: mgr.ID,
			Kind: app.OrderSale, Total: total, Discount: discount, Payable: total - discount, CreatedAt: at,
			Lines: []app.OrderLine{{Name: name, Qty: 1, UnitPrice: total, Discount: discount, Amount: total - discount}}}
		require.NoError(t, db.CommitPaidSale(ctx, &o, []app.Tender{{Kind: app.TenderCash, Amount: total - discount,
			CashReceived: total - discount, StaffID: mgr.ID, CreatedAt: at}}))
		return o
	}
	first := sell(time.Date(2026, 11, 20, 9, 15, 0, 0, loc), 12000, 1000, "茅台迎宾酒")
	second := sell(time.Date(2026, 11, 20, 14, 40, 0, 0, loc), 3550, 0, "可口可乐 330ml")

	svc := &report.Service{Store: db, People: db, Shifts: db}
	x := newFx(t, nil, mgr, func(d *Deps) {
		d.Reports, d.Directory, d.StoreID = svc, db, st.ID
		d.Refunds = nil
		d.Now = func() time.Time { return time.Date(2026, 11, 20, 18, 0, 0, 0, loc) }
	})
	s := x.v.Summary
	require.True(t, s.loaded, x.v.Status.Text)
	cash := slices.Index(summary.Methods, summary.MethodCash)
	assert.Equal(t, []string{"￥155.50", "￥145.50", "￥145.50", "￥10.00", "￥0.00", "￥0.00", "2", "0"}, column(s.Grid, cash))
	assert.Equal(t, column(s.Grid, cash), column(s.Grid, cash+1), "the total is the cash")
	values := s.Chart.Values()
	require.Len(t, values, 24)
	assert.Equal(t, app.Money(11000), values[9])
	assert.Equal(t, app.Money(3550), values[14])
	assertProportional(t, s.Chart.Bars(), values)

	x.v.Show(1)
	d := x.v.Details
	require.Len(t, d.Page.Rows, 2, x.v.Status.Text)
	assert.Equal(t, second.OrderNo, d.Grid.Text(0, 1), "newest first")
	assert.Equal(t, first.OrderNo, d.Grid.Text(1, 1))
	d.Grid.Step(1) // the first ↓ chooses the newest
	d.Grid.Step(1)
	d.Grid.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	assert.Contains(t, labels(d.Order.Lines), "茅台迎宾酒")
	test.Tap(d.Order.Reprint)
	assert.Equal(t, []string{first.OrderNo}, x.reprints.nos)

	// A clerk off shift sees nothing, and is told why.
	y := newFx(t, nil, clerk, func(d *Deps) { d.Reports, d.Directory, d.StoreID = svc, db, st.ID })
	assert.Nil(t, y.v.Tabs)
	assert.Equal(t, i18n.Err(report.ErrOffShift.With("Name", clerk.Name)), y.v.Refusal.Text)
}
