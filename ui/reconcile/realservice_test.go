package reconcile

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/payment"
	"cashier/app/payment/paytest"
	"cashier/app/reconcile"
	"cashier/app/summary"
	"cashier/localdb"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

// dayBills serves one bill for billDay and "no bill yet" for any other.
type dayBills struct{ bill app.Bill }

func (b dayBills) Channels() []app.ChannelName { return []app.ChannelName{app.ChannelWeChat} }

func (b dayBills) Download(_ context.Context, ch app.ChannelName, day summary.Day) (app.Bill, error) {
	if day != billDay {
		return app.Bill{}, reconcile.ErrBillNotReady.With("Channel", app.ChannelTitle(ch), "Day", day.String())
	}
	bill := b.bill
	bill.Channel, bill.Date = ch, time.Date(day.Year, day.Month, day.D, 0, 0, 0, 0, app.ChinaTime)
	return bill, nil
}

// The view on the real use case: SQLite, the payment state machine with a
// scripted WeChat channel, the shop's permission rules. A day with a
// payment the bill lacks and a bill row this terminal lacks is run,
// listed, one line settled (it stays: the payment is settled here) and
// the other explained by keyboard — written with its audit line.
func TestReconcileView_RealService(t *testing.T) {
	async.Synchronous = true
	require.NoError(t, i18n.Use(i18n.Chinese))
	test.NewTempApp(t)
	ctx := context.Background()
	db, err := localdb.Open(filepath.Join(t.TempDir(), "pos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	clock := app.NewManualClock(time.Date(2026, 11, 30, 10, 0, 0, 0, app.ChinaTime))
	_, err = db.SeedDemo(ctx, auth.PINHasher{Cost: bcrypt.MinCost}, clock.Now())
	require.NoError(t, err)
	term, err := db.CurrentTerminal(ctx)
	require.NoError(t, err)
	manager, _, err := db.StaffByCode(ctx, "1001")
	require.NoError(t, err)
	ch := paytest.NewChannel(app.ChannelWeChat, clock)
	ch.Set(paytest.MPay, paytest.Paid("4200000001"))
	rules := auth.Rules{Store: db}
	pay, err := payment.New(payment.Config{Store: localdb.NewPaymentStore(db), Clock: clock,
		Channels: map[app.Wallet]app.PaymentChannel{app.WalletWeChat: ch},
		Terminal: payment.Terminal{NumberPrefix: term.NumberPrefix(), TerminalCode: term.Code}, Permits: rules})
	require.NoError(t, err)
	sale := func(amount app.Money, code string) payment.PayResult {
		now := clock.Now()
		o := app.Order{OrderNo: app.NewOrderNo(term.NumberPrefix(), now), StoreID: term.StoreID, TerminalID: term.ID,
			StaffID: manager.ID, Kind: app.OrderSale, Status: app.OrderOpen, Total: amount, Payable: amount, CreatedAt: now}
		require.NoError(t, db.CreateOrder(ctx, &o))
		res, err := pay.Pay(ctx, payment.PayInput{Order: o, Code: code, StaffID: manager.ID})
		require.NoError(t, err)
		require.Equal(t, payment.IntentPaid, res.State)
		clock.Advance(time.Minute)
		return res
	}
	p1 := sale(1250, "134567890123450001")
	p2 := sale(2000, "134567890123450002") // the bill lacks it
	only := term.NumberPrefix() + "X99990001"
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, app.ChinaTime)
	bills := dayBills{bill: app.Bill{Lines: []app.BillLine{
		{Time: at, OutTradeNo: p1.OutTradeNo, TransactionID: "4200000001", Status: "SUCCESS", Amount: 1250, Fee: 8},
		{Time: at, OutTradeNo: only, TransactionID: "4200000009", Status: "SUCCESS", Amount: 800, Fee: 5},
	}}}
	svc := &reconcile.Service{Store: db.ReconcileStore(), Bills: bills, Settler: pay, Permits: rules, Clock: clock, Prefix: pay.NumberPrefix()}
	clock.Set(time.Date(2026, 12, 1, 9, 0, 0, 0, app.ChinaTime))

	win := test.NewTempWindow(t, nil)
	win.Resize(fyne.NewSize(1024, 768))
	v := New(Deps{Reconciler: svc, Staff: manager, Zone: app.ChinaTime, Window: win, Canvas: win.Canvas()})
	t.Cleanup(v.Stop)
	win.SetContent(v.Content())
	win.Canvas().Focus(v.Focus())
	r := &rig{t: t, win: win, v: v}
	require.Equal(t, billDay.String(), v.Day.Text, "yesterday in China time")

	r.key(KeyRun)
	assert.Equal(t, "微信支付：有差异，待处理 2 条", v.Status.Text)
	assert.ElementsMatch(t, []string{only, p2.OutTradeNo}, r.refs())
	require.Len(t, v.runs, 1)
	assert.Equal(t, []string{"▶ 2026-11-30", "微信支付", "有差异，待处理 2 条", "12-01 09:00", "1", "2", "0", "0",
		"2 笔 ￥32.50；退 0 笔 ￥0.00", "2 笔 ￥20.50；退 0 笔 ￥0.00", "￥0.13"}, r.runRow(0))

	// Settling a payment settled here asks nobody and leaves the line.
	r.selectRef(p2.OutTradeNo)
	r.key(KeySettle)
	assert.Equal(t, fmt.Sprintf("%s：查询后仍是“账单无此笔”（本机 已完成 ￥20.00，账单 无）：请核实后标记已说明", p2.OutTradeNo), v.Status.Text)
	assert.Contains(t, r.refs(), p2.OutTradeNo)
	assert.Empty(t, ch.Calls(paytest.MQuery))

	// The bill's row nobody here took: explained, and audited.
	r.selectRef(only)
	r.key(KeyExplain)
	require.NotNil(t, v.Note)
	r.typeIn("另一台收银机断网时补收，已核对")
	r.key(fyne.KeyReturn)
	require.Nil(t, v.Note, v.Status.Text)
	assert.Equal(t, []string{p2.OutTradeNo}, r.refs())
	assert.Equal(t, "1", v.RunCell(0, 6), "explained")
	assert.Equal(t, "有差异，待处理 1 条", v.RunCell(0, 2))
	audit, err := db.ListAudit(ctx, localdb.AuditFilter{Action: reconcile.AuditExplain})
	require.NoError(t, err)
	require.Len(t, audit, 1)
	assert.Equal(t, only, audit[0].Subject)
	assert.Equal(t, manager.ID, audit[0].StaffID)
	assert.Contains(t, audit[0].Detail, "另一台收银机断网时补收，已核对")

	// A day the channel has no bill for yet, with a payment due in it.
	clock.Set(time.Date(2026, 12, 1, 11, 0, 0, 0, app.ChinaTime))
	sale(990, "134567890123450003")
	clock.Set(time.Date(2026, 12, 2, 9, 0, 0, 0, app.ChinaTime))
	r.key(KeyNext)
	require.Equal(t, "2026-12-01", v.Day.Text)
	r.key(KeyRun)
	assert.Equal(t, "微信支付：微信支付 还没有 2026-12-01 的账单，请稍后再对账", v.Status.Text)
	assert.Equal(t, "账单未出", v.RunCell(0, 2))
	assert.Equal(t, "2026-12-01 全部通道：待处理 0 条 · 已说明 0 条 · 已结算 0 条；微信支付：账单未出", v.Summary.Text)
}
