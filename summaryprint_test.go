package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/summary"
	"cashier/hardware/printq"
	reportsui "cashier/ui/reports"
)

// A summary printed from the Reports workspace comes out of the
// simulated printer in Chinese with its figures, and is queued as a
// report job under the store and the day.
func TestPrintSummary_OnTheDevices(t *testing.T) {
	w := newRefundWorld(t, 0) // with the simulated devices
	ctx := context.Background()
	st, err := w.db.CurrentStore(ctx)
	require.NoError(t, err)
	day := summary.Day{Year: 2026, Month: 1, D: 16}
	cash := summary.Figures{TxAmount: 12000, Settlement: 11000, Received: 10000, Discount: 1000, Refund: 1000,
		RefundSettlement: 1000, TxCount: 3, RefundCount: 1}
	p := reportsui.SummaryPrint{Store: st, HeldKnown: true,
		Summary: summary.Summary{Filter: summary.Filter{StoreID: st.ID, Day: day}, Total: cash,
			ByMethod: map[summary.Method]summary.Figures{summary.MethodCash: cash, summary.MethodAlipay: {}},
			Deposits: summary.Deposits{TakenCount: 1, Taken: 50000, Held: 50000, HeldCount: 1}},
		Staff:     app.Staff{ID: 5, Code: "1002", Name: "李娜"},
		PrintedBy: w.staff, PrintedAt: time.Date(2026, 1, 16, 22, 0, 0, 0, st.Location())}
	require.NoError(t, w.s.Devices.PrintSummary(ctx, p))
	r := w.receiptWith("交易汇总", "营业日: 2026-01-16")
	for _, want := range []string{"收银员: 李娜（1002）", "【合计】", "【现金】", "￥110.00", "收取 1 笔", "期末在押（负债）1 笔",
		"￥500.00", "打印人: " + w.staff.Name, "打印时间: 2026-01-16 22:00:00"} {
		assert.Contains(t, r.Text, want)
	}
	assert.NotContains(t, r.Text, "【支付宝】", "a method that moved nothing is left off")
	jobs, err := w.s.Devices.queue.List(ctx, printq.Filter{Ref: "summary:" + st.Code + ":2026-01-16"})
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	assert.Equal(t, "report", jobs[0].Kind)
}
