package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/shift"
	"cashier/hardware/escpos"
	"cashier/hardware/receipt"
	"cashier/hardware/sim"
)

// The carts held at the terminal at the handover reach the printed
// report: count, total and the oldest in the store's time zone; a report
// kept before them prints none.
func TestShiftReport_HeldCarts(t *testing.T) {
	st := app.StoreInfo{Name: "好邻居便利店", Timezone: "Asia/Shanghai"}
	end := time.Date(2026, 1, 16, 10, 0, 0, 0, time.UTC) // 18:00 in Shanghai
	sh := shift.Shift{StaffName: "李娜", StartedAt: end.Add(-8 * time.Hour), EndedAt: end,
		Handover: &shift.Handover{HeldCarts: shift.HeldCarts{Count: 3, Total: 8650, Oldest: end.Add(-2 * time.Hour)}}}
	r := shiftReport(shift.Report{Store: st, Shift: sh, PrintedAt: end})
	require.Equal(t, 3, r.HeldCarts.Count)
	require.Equal(t, app.Money(8650), r.HeldCarts.Total)
	require.Equal(t, "16:00", r.HeldCarts.Oldest.Format("15:04"), "the store's time")
	job, err := receipt.ShiftReportJob(receipt.HeaderFromStore(st), r, receipt.Options{Paper: escpos.Paper58})
	require.NoError(t, err)
	emu := sim.NewPrinterEmulator(sim.PrinterOptions{Paper: escpos.Paper58})
	emu.Feed(job)
	rs := emu.Receipts()
	require.Len(t, rs, 1)
	require.Regexp(t, `待取挂单（3）\n合计\s+￥86\.50\n最早\s+01-16 16:00（2小时）`, rs[0].Text)

	sh.Handover.HeldCarts = shift.HeldCarts{}
	r = shiftReport(shift.Report{Store: st, Shift: sh, PrintedAt: end})
	require.Equal(t, receipt.HeldCarts{}, r.HeldCarts)
}
