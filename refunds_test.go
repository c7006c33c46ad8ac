package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/sale"
	"cashier/app/summary"
	"cashier/hardware/sim"
	"cashier/hardware/speaker"
	"cashier/sync/channel/setup"
	"cashier/ui/i18n"
	"cashier/ui/shell"
)

// Refunds at the counter on the real services: the sandbox gateway for
// WeChat, the simulated printer (with its drawer) and speaker.

// newRefundWorld is a world with the devices whose sandbox keeps each
// refund PROCESSING for refundSeconds (0: refunds finish at once).
func newRefundWorld(t *testing.T, refundSeconds int) *world {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	clock := paytestFastClock()
	sb := filepath.Join(t.TempDir(), "gateway")
	copySandbox(t, sb)
	if refundSeconds > 0 {
		p := filepath.Join(sb, "sandbox.json")
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		m["scenarios"].(map[string]any)["refund_seconds"] = refundSeconds
		b, err = json.MarshalIndent(m, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(p, b, 0o600))
	}
	gw, err := StartSandbox(ctx, sb, clock)
	require.NoError(t, err)
	t.Cleanup(func() { gw.Server.Close() })
	w := &world{t: t, clock: clock, gw: gw, dir: t.TempDir(), devices: true}
	f := gw.File()
	f.Routes = routeAllTo(app.ChannelWeChat)
	require.NoError(t, f.Write(filepath.Join(w.dir, setup.FileName)))
	w.open(nil)
	require.NotNil(t, w.s.Refunds)
	return w
}

// splitSale: 2 × 5.00 and 1 × 20.00, 18.00 by WeChat, 12.00 in cash.
func (w *world) splitSale() (app.Order, string) {
	ctx := context.Background()
	o, err := w.checkout.Open(ctx, sale.OrderInput{Staff: w.staff, Lines: []app.OrderLine{
		{Name: "可口可乐 330ml", Qty: 2, UnitPrice: 500}, {Name: "乐事薯片 70g", Qty: 1, UnitPrice: 2000}}})
	require.NoError(w.t, err)
	wx, err := w.checkout.PayByCode(ctx, o.OrderNo, codeFor(app.WalletWeChat, "000"), 1800, w.staff, nil)
	require.NoError(w.t, err)
	require.True(w.t, wx.Payment.Paid())
	out, err := w.checkout.PayCash(ctx, o.OrderNo, 0, 0, w.staff)
	require.NoError(w.t, err)
	require.True(w.t, out.Paid())
	return out.Order, wx.Payment.OutTradeNo
}

func (w *world) channelRefunded(outTradeNo string) app.Money {
	var m app.Money
	for _, r := range w.gw.Server.Ledger().Refunds() {
		if r.OutTradeNo == outTradeNo {
			m += r.Amount
		}
	}
	return m
}

// refundReceipt waits for the refund receipt of order no on the printer.
func (w *world) refundReceipt(no string) sim.PrinterReceipt {
	var got sim.PrinterReceipt
	require.Eventually(w.t, func() bool {
		for _, r := range w.s.Devices.emu.Receipts() {
			if strings.Contains(r.Text, "退款单") && strings.Contains(r.Text, app.ShortNo(no)) {
				got = r
				return true
			}
		}
		return false
	}, 30*time.Second, 20*time.Millisecond, "no refund receipt for %s", no)
	return got
}

func (w *world) said(text string) bool {
	for _, u := range w.s.Devices.spkSim.Spoken() {
		if u.Text == text {
			return true
		}
	}
	return false
}

// The whole refund of a WeChat + cash sale: WeChat gives its 18.00 back
// at the channel, the drawer opens for the 12.00, the refund receipt is
// printed with the lines, both tenders and the order's barcode, and the
// speaker says it; the day's figures have the cash refund.
func TestRefunds_SplitSaleOnTheDevices(t *testing.T) {
	w := newRefundWorld(t, 0)
	o, outTrade := w.splitSale()
	ctx := context.Background()
	out, err := w.s.Refunds.Refund(ctx, sale.RefundAsk{OrderNo: o.OrderNo, Staff: w.staff, Reason: "顾客退货"})
	require.NoError(t, err)
	require.True(t, out.Done())
	assert.Equal(t, app.OrderRefunded, out.Order.Status)
	assert.Equal(t, app.Money(1800), w.channelRefunded(outTrade), "the channel gave back exactly the WeChat part")

	r := w.refundReceipt(o.OrderNo)
	for _, want := range []string{"可口可乐 330ml", "乐事薯片 70g", "退回微信支付", "￥18.00", "退回现金", "￥12.00", "￥30.00", "顾客退货"} {
		assert.Contains(t, r.Text, want)
	}
	assert.NotContains(t, r.Text, "退款处理中")
	assert.Equal(t, []string{o.OrderNo}, r.Barcodes)
	require.Eventually(t, func() bool { return w.said(speaker.Refunded(3000)) }, 30*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool {
		kicks := 0
		for _, rc := range w.s.Devices.emu.Receipts() {
			kicks += len(rc.Drawer)
		}
		return kicks >= 2
	}, 30*time.Second, 20*time.Millisecond, "the drawer opened for the sale's cash and for the refund's")

	st, err := w.db.CurrentStore(ctx)
	require.NoError(t, err)
	sum, err := summary.Engine{Store: w.db}.Summarize(ctx, summary.Filter{StoreID: st.ID, From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, app.Money(1200), sum.Method(summary.MethodCash).RefundSettlement)
	assert.Equal(t, app.Money(1800), sum.Method(summary.MethodWeChat).RefundSettlement)
}

// A WeChat refund the channel keeps processing: the cash part is handed
// back and said, the WeChat part is reported and printed as 退款处理中.
func TestRefunds_ChannelStillProcessing(t *testing.T) {
	w := newRefundWorld(t, 3600)
	o, _ := w.splitSale()
	out, err := w.s.Refunds.Refund(context.Background(), sale.RefundAsk{OrderNo: o.OrderNo, Staff: w.staff})
	require.NoError(t, err)
	require.False(t, out.Done())
	for _, p := range out.Refund.Parts {
		if p.Kind == app.TenderWallet {
			assert.Equal(t, sale.PartProcessing, p.State)
		} else {
			assert.Equal(t, sale.PartDone, p.State)
		}
	}
	assert.Equal(t, app.Money(1200), out.Order.Refunded)
	assert.Equal(t, app.OrderPartRefunded, out.Order.Status)
	r := w.refundReceipt(o.OrderNo)
	assert.Contains(t, r.Text, "退款处理中")
	require.Eventually(t, func() bool { return w.said(speaker.Refunded(1200)) }, 30*time.Second, 20*time.Millisecond)
	assert.False(t, w.said(speaker.Refunded(3000)), "never says what has not gone back")
}

// The Refunds workspace is offered and builds for the person logged in.
func TestRefunds_Workspace(t *testing.T) {
	require.NoError(t, i18n.Use(i18n.Chinese))
	w := newRefundWorld(t, 0)
	test.NewTempApp(t)
	win := test.NewTempWindow(t, nil)
	win.Resize(fyne.NewSize(1024, 768))
	ws := refundWorkspace(w.s)
	se := shell.Session{Staff: w.staff, Window: win}
	require.True(t, ws.Visible(se))
	assert.Equal(t, "退款", i18n.T(ws.TitleKey))
	p := ws.Build(se)
	require.NotNil(t, p.Content)
	require.NotNil(t, p.Focus)
	win.SetContent(p.Content)
	assert.LessOrEqual(t, p.Content.MinSize().Width, float32(1024))
	p.Stop()
	found := false
	for _, x := range workspaces(w.s) {
		found = found || x.ID == "refund"
	}
	assert.True(t, found, "in the navigation")
}
