package receipt_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/hardware/escpos"
	"cashier/hardware/receipt"
)

// The carts held at the terminal print as a count, their total and how
// long the oldest had waited at the handover, apart from the unpaid
// orders; none prints as none.
func TestShiftReportJob_HeldCarts(t *testing.T) {
	s := sampleShift()
	s.HeldCarts = receipt.HeldCarts{Count: 3, Total: 8650, Oldest: s.End.Add(-2 * time.Hour)}
	for _, p := range papers {
		job, err := receipt.ShiftReportJob(header, s, receipt.Options{Paper: p})
		require.NoError(t, err)
		text := print(t, p, job).Text
		assert.Regexp(t, `待取挂单（3）\n合计\s+￥86\.50\n最早\s+01-17 04:05（2小时）\n-+\n挂单（1）`, text, "%d mm", p)
	}
	s.HeldCarts.Oldest = s.End.Add(-(26*time.Hour + 5*time.Minute + 30*time.Second))
	job, err := receipt.ShiftReportJob(header, s, receipt.Options{})
	require.NoError(t, err)
	assert.Contains(t, print(t, escpos.Paper80, job).Text, "（1天2小时）")
	for d, want := range map[time.Duration]string{12 * time.Minute: "（12分钟）", 125 * time.Minute: "（2小时5分钟）", -time.Minute: "（0分钟）"} {
		s.HeldCarts.Oldest = s.End.Add(-d)
		job, err := receipt.ShiftReportJob(header, s, receipt.Options{})
		require.NoError(t, err)
		assert.Contains(t, print(t, escpos.Paper80, job).Text, want)
	}

	s.HeldCarts = receipt.HeldCarts{}
	job, err = receipt.ShiftReportJob(header, s, receipt.Options{})
	require.NoError(t, err)
	assert.Regexp(t, `待取挂单（0）\n无\n-+\n挂单（1）`, print(t, escpos.Paper80, job).Text)
}
