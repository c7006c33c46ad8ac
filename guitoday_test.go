package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/payment"
	"cashier/app/sale"
	"cashier/hardware/sim"
	"cashier/localdb"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/shell"
	"cashier/ui/today"
)

// nextReceipt waits for the simulated printer's next receipt.
func nextReceipt(t *testing.T, ch <-chan sim.PrinterReceipt) sim.PrinterReceipt {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("no receipt from the simulated printer")
	}
	return sim.PrinterReceipt{}
}

// A reprint through the real devices comes out of the printer marked 重打
// with both times and the cashier who took the sale, its number as a
// barcode; the audit log names who reprinted it. The last receipt is
// one call.
func TestReprint_ThroughThePrinterQueue(t *testing.T) {
	s := embedded(t)
	ctx := context.Background()
	receipts := make(chan sim.PrinterReceipt, 8)
	defer s.Devices.emu.OnReceipt(func(r sim.PrinterReceipt) { receipts <- r })()
	clerk, _, err := s.DB.StaffByCode(ctx, "1002")
	require.NoError(t, err)
	mgr, _, err := s.DB.StaffByCode(ctx, "1001")
	require.NoError(t, err)

	o, err := s.Checkout.Open(ctx, sale.OrderInput{Staff: clerk, Lines: []app.OrderLine{{Name: "面包", Qty: 2, UnitPrice: 850}}})
	require.NoError(t, err)
	out, err := s.Checkout.PayCash(ctx, o.OrderNo, 0, 2000, clerk)
	require.NoError(t, err)
	require.True(t, out.Paid())
	first := nextReceipt(t, receipts)
	require.NotContains(t, first.Text, "重打")

	require.NoError(t, s.Checkout.Reprint(ctx, o.OrderNo, mgr))
	again := nextReceipt(t, receipts)
	paidAt := out.Order.PaidAt.Format("2006-01-02 15:04:05")
	for _, want := range []string{"重打 REPRINT", "时间: " + paidAt, "重打时间: ", "收银员: 李娜", "面包", "现金", "找零", "￥3.00"} {
		require.Contains(t, again.Text, want)
	}
	require.NotContains(t, again.Text, "王店长", "the reprint names the sale's cashier")
	require.Equal(t, []string{o.OrderNo}, again.Barcodes)

	rows, err := s.DB.ListAudit(ctx, localdb.AuditFilter{Action: "receipt_reprint"})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	require.Equal(t, "1001", rows[0].StaffCode)
	require.Equal(t, o.OrderNo, rows[0].Subject)

	last, err := s.Checkout.ReprintLast(ctx, clerk)
	require.NoError(t, err)
	require.Equal(t, o.OrderNo, last.OrderNo)
	require.Contains(t, nextReceipt(t, receipts).Text, "重打 REPRINT")
	require.NoError(t, reprintLast(s, clerk)(), "the Counter's key")
	require.Contains(t, nextReceipt(t, receipts).Text, "重打 REPRINT")
}

// The Today workspace reads this terminal's orders of the store's day
// with their details: a wallet sale with its transaction number and a
// refund, a cash sale; it is offered to everyone, after the other
// workspaces, and builds on a window.
func TestTodayWorkspace_OrdersAndDetails(t *testing.T) {
	s := embedded(t)
	ctx := context.Background()
	clerk, _, err := s.DB.StaffByCode(ctx, "1002")
	require.NoError(t, err)
	o, err := s.Checkout.Open(ctx, sale.OrderInput{Staff: clerk, Lines: []app.OrderLine{{Name: "农夫山泉 550ml", Qty: 2, UnitPrice: 200}}})
	require.NoError(t, err)
	paid, err := s.Checkout.PayByCode(ctx, o.OrderNo, "134567890123456789", 0, clerk, nil)
	require.NoError(t, err)
	require.True(t, paid.Paid(), paid.Payment.Msg.String())
	mgr, _, err := s.DB.StaffByCode(ctx, "1001")
	require.NoError(t, err)
	rf, err := s.Payments.Refund(ctx, payment.RefundInput{OrderNo: o.OrderNo, Amount: 100, StaffID: mgr.ID, Reason: "退一瓶"})
	require.NoError(t, err)
	require.True(t, rf.Refunded(), rf.Msg.String())
	cash, err := s.Checkout.Open(ctx, sale.OrderInput{Staff: clerk, Total: 1250})
	require.NoError(t, err)
	_, err = s.Checkout.PayCash(ctx, cash.OrderNo, 0, 0, clerk)
	require.NoError(t, err)

	orders := todayOrders{db: s.DB, pay: localdb.NewPaymentStore(s.DB)}
	rows, loc, err := orders.Today(ctx, time.Now())
	require.NoError(t, err)
	require.NotNil(t, loc)
	require.Len(t, rows, 2)
	require.Equal(t, cash.OrderNo, rows[0].No, "newest first")
	require.Equal(t, o.OrderNo, rows[1].No)
	require.Equal(t, app.OrderPartRefunded, rows[1].Status)
	require.Equal(t, app.Money(100), rows[1].Refunded)

	d, err := orders.Detail(ctx, o.OrderNo)
	require.NoError(t, err)
	require.Equal(t, "李娜", d.Staff)
	require.Len(t, d.Order.Lines, 1)
	require.Len(t, d.Order.Tenders, 1)
	require.NotEmpty(t, d.Order.Tenders[0].TransactionID)
	require.Len(t, d.Refunds, 1)
	require.Equal(t, today.RefundDone, d.Refunds[0].State)
	require.Equal(t, app.Money(100), d.Refunds[0].Amount)
	require.Equal(t, "退一瓶", d.Refunds[0].Reason)

	// Tomorrow the list starts afresh.
	rows, _, err = orders.Today(ctx, time.Now().Add(24*time.Hour))
	require.NoError(t, err)
	require.Empty(t, rows)

	var ids []string
	for _, ws := range workspaces(s) {
		ids = append(ids, ws.ID)
	}
	require.Equal(t, "today", ids[len(ids)-1], "after the others: Ctrl+1…6 keep their workspaces")
	w := todayWorkspace(s)
	require.Nil(t, w.Visible, "offered to everyone")

	async.Synchronous = true
	t.Cleanup(func() { async.Synchronous = false })
	require.NoError(t, i18n.Use(i18n.Chinese))
	test.NewTempApp(t)
	win := test.NewTempWindow(t, nil)
	win.Resize(fyne.NewSize(1024, 768))
	page := w.Build(shell.Session{Staff: clerk, Window: win})
	t.Cleanup(page.Stop)
	win.SetContent(page.Content)
	require.NotNil(t, page.Focus)
	win.Canvas().Focus(page.Focus)
	page.Focus.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown}) // the newest order's details
	on := strings.Join(screenTexts(page.Content), " | ")
	require.Contains(t, on, app.ShortNo(cash.OrderNo))
	require.Contains(t, on, app.ShortNo(o.OrderNo))
	require.Contains(t, on, cash.OrderNo, "its details are shown")
	require.Contains(t, on, "重打小票")
}

// screenTexts are the texts drawn under o.
func screenTexts(o fyne.CanvasObject) []string {
	if o == nil || !o.Visible() {
		return nil
	}
	switch x := o.(type) {
	case *canvas.Text:
		return []string{x.Text}
	case *fyne.Container:
		var out []string
		for _, c := range x.Objects {
			out = append(out, screenTexts(c)...)
		}
		return out
	case fyne.Widget:
		var out []string
		for _, c := range test.WidgetRenderer(x).Objects() {
			out = append(out, screenTexts(c)...)
		}
		return out
	}
	return nil
}
