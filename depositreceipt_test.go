package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/deposit"
	"cashier/hardware/printq"
	"cashier/hardware/sim"
)

// The deposit desk's paper through Devices on the simulated printer: the
// deposit receipt at check-in, printed by the checkout when the freeze
// succeeds, and the check-out slip through deposit.Printer.

// receiptWith waits for the printed receipt holding every one of marks.
func (w *world) receiptWith(marks ...string) sim.PrinterReceipt {
	var got sim.PrinterReceipt
	require.Eventually(w.t, func() bool {
		for _, r := range w.s.Devices.emu.Receipts() {
			all := true
			for _, m := range marks {
				all = all && strings.Contains(r.Text, m)
			}
			if all {
				got = r
				return true
			}
		}
		return false
	}, 30*time.Second, 20*time.Millisecond, "no receipt with %q", marks)
	return got
}

// takeDeposit opens a deposit for a guest at the desk and freezes it on
// WeChat.
func (w *world) takeDeposit(amount app.Money, guest app.Guest) app.Order {
	ctx := context.Background()
	o, err := w.s.Desk.Open(ctx, deposit.TakeInput{Staff: w.staff, Amount: amount, Guest: guest, Note: "含早"})
	require.NoError(w.t, err)
	out, err := w.s.Desk.Freeze(ctx, o.OrderNo, codeFor(app.WalletWeChat, "000"), w.staff, nil)
	require.NoError(w.t, err)
	require.True(w.t, out.Paid(), "%s %s", out.Payment.State, out.Payment.Msg)
	return out.Order
}

// A WeChat deposit taken at the desk prints the guest with the phone
// masked, the terms and the 30-day limit dated from the freeze in the
// store's zone, and its number as a barcode that reads back; consumed at
// check-out, the slip shows 500.00 / 320.00 / 180.00 under the
// operation's number, queued as a deposit job under that number.
func TestDepositReceipts_OnTheDevices(t *testing.T) {
	w := newRefundWorld(t, 0) // WeChat, with the simulated devices
	require.NotNil(t, w.s.Desk)
	w.s.Desk.Printer = w.s.Devices // what the composition root wires
	ctx := context.Background()
	guest := app.Guest{Room: "1208", Name: "陈静", Phone: "13812345678"}
	o := w.takeDeposit(50000, guest)
	st, err := w.db.CurrentStore(ctx)
	require.NoError(t, err)

	r := w.receiptWith("押金单", app.ShortNo(o.OrderNo))
	due := o.PaidAt.Add(30 * 24 * time.Hour).In(st.Location()).Format("2006-01-02")
	for _, want := range []string{"房号: 1208", "客人: 陈静", "电话: 138****5678", "备注: 含早", "支付方式: 微信支付",
		"￥500.00", "押金说明", "自动退还日期: " + due} {
		assert.Contains(t, r.Text, want)
	}
	assert.Contains(t, strings.NewReplacer(" ", "", "\n", "").Replace(r.Text), "微信押金自冻结起30天内未结算，将由微信自动退还")
	assert.NotContains(t, r.Text, guest.Phone)
	require.Equal(t, []string{o.OrderNo}, r.Barcodes)
	bmp, err := gozxing.NewBinaryBitmapFromImage(r.Image)
	require.NoError(t, err)
	read, err := oned.NewCode128Reader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	require.NoError(t, err)
	assert.Equal(t, o.OrderNo, read.GetText())

	s, err := w.s.Desk.Consume(ctx, deposit.OpInput{DepositNo: o.OrderNo, Amount: 32000, Staff: w.staff})
	require.NoError(t, err)
	require.True(t, s.Op.Done(), "%s %s", s.Op.State, s.Op.Msg)
	slip := w.receiptWith("押金结算单", s.Op.OutRequestNo)
	for label, amount := range map[string]string{"押金 ": "￥500.00", "消费 ": "￥320.00", "退还 ": "￥180.00"} {
		line := ""
		for _, l := range strings.Split(slip.Text, "\n") {
			if strings.HasPrefix(l, label) {
				line = l
				break
			}
		}
		assert.True(t, strings.HasSuffix(line, amount), "%q ends in %s", line, amount)
	}
	for _, want := range []string{"房号: 1208", "电话: 138****5678", "收银员: " + w.staff.Name, "顾客签字"} {
		assert.Contains(t, slip.Text, want)
	}
	assert.NotContains(t, slip.Text, guest.Phone)
	assert.NotContains(t, slip.Text, "全额退还")
	jobs, err := w.s.Devices.queue.List(ctx, printq.Filter{Ref: s.Op.OutRequestNo})
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	assert.Equal(t, printq.KindDeposit, jobs[0].Kind)
}

// Released in full, the slip says 全额退还 and returns all of it.
func TestDepositReceipts_ReleaseSlip(t *testing.T) {
	w := newRefundWorld(t, 0)
	w.s.Desk.Printer = w.s.Devices
	o := w.takeDeposit(50000, app.Guest{Room: "0806"})
	s, err := w.s.Desk.Release(context.Background(), deposit.OpInput{DepositNo: o.OrderNo, Staff: w.staff})
	require.NoError(t, err)
	require.True(t, s.Op.Done(), "%s %s", s.Op.State, s.Op.Msg)
	slip := w.receiptWith("押金结算单", s.Op.OutRequestNo)
	assert.Contains(t, slip.Text, "全额退还")
	assert.Contains(t, slip.Text, "房号: 0806")
	assert.NotContains(t, slip.Text, "客人:", "no name was given")
	assert.NotContains(t, slip.Text, "消费 ")
}

// The limit's date is the store's: a freeze at 20:00 UTC is 04:00 the next
// day in China, so WeChat's thirtieth day falls a day later than in UTC.
// Alipay states no limit: none is printed.
func TestDepositLimit_StoreZone(t *testing.T) {
	frozen := time.Date(2026, 1, 16, 20, 0, 0, 0, time.UTC)
	l := depositLimit(app.WalletWeChat, frozen, app.Zone("Asia/Shanghai"))
	assert.Equal(t, "微信", l.Wallet)
	assert.Equal(t, 30, l.Days)
	assert.Equal(t, "2026-02-16", l.On.Format("2006-01-02"))
	assert.Equal(t, "2026-02-15", depositLimit(app.WalletWeChat, frozen, time.UTC).On.Format("2006-01-02"))
	assert.Zero(t, depositLimit(app.WalletAlipay, frozen, app.ChinaTime).Days)
}
