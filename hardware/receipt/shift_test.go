package receipt_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"cashier/app"
	"cashier/hardware/escpos"
	"cashier/hardware/receipt"
)

// sampleShift is a night shift across midnight with a short drawer, a
// countersign, a held order and two open deposits.
func sampleShift() receipt.ShiftReport {
	s := receipt.ShiftReport{Staff: "李娜", StaffCode: "1002", Terminal: "1号收银台",
		Start: time.Date(2026, 1, 16, 22, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 17, 6, 5, 0, 0, time.UTC),
		BusinessDay: "2026-01-16",
		Total: receipt.Figures{TxAmount: 1234500, Settlement: 1200000, Received: 1190000, Discount: 34500,
			Refund: 10000, RefundSettlement: 10000, TxCount: 321, RefundCount: 2},
		Methods: []receipt.MethodFigures{
			{Method: "微信支付", Figures: receipt.Figures{TxAmount: 834500, Settlement: 800000, Received: 790000, Discount: 34500, Refund: 10000, RefundSettlement: 10000, TxCount: 200, RefundCount: 2}},
			{Method: "现金", Figures: receipt.Figures{TxAmount: 400000, Settlement: 400000, Received: 400000, TxCount: 121}},
		},
		OpeningFloat: 50000, Counted: 443950, Expected: 450000, Variance: -6050, Threshold: 5000, FloatLeft: 50000,
		Countersign: "王店长",
		Count: []receipt.CountLine{{Name: "100元", Pieces: 44, Amount: 440000}, {Name: "50元"}, {Name: "10元", Pieces: 3, Amount: 3000},
			{Name: "5角", Pieces: 1, Amount: 50}, {Name: "硬币", Amount: 900}},
		HeldOrders: []receipt.HandedItem{{No: "P01T0000012026011623100012345678", Amount: 8800, Note: "302 房 稍后付",
			Since: time.Date(2026, 1, 16, 23, 10, 0, 0, time.UTC)}},
		OpenDeposits: []receipt.HandedItem{
			{No: "D0120260115120000654321", Amount: 50000, Note: "1208 王先生", Since: time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)},
			{No: "D0120260116230000111111", Amount: 20000, Since: time.Date(2026, 1, 16, 23, 0, 0, 0, time.UTC)},
		},
		PrintedAt: time.Date(2026, 1, 17, 6, 5, 1, 0, time.UTC),
	}
	s.Deposits.TakenCount, s.Deposits.Taken, s.Deposits.Consumed, s.Deposits.Released = 2, 70000, 1000, 2000
	return s
}

func TestShiftReportJob(t *testing.T) {
	for _, p := range papers {
		job, err := receipt.ShiftReportJob(header, sampleShift(), receipt.Options{Paper: p, OpenDrawer: true})
		require.NoError(t, err)
		r := print(t, p, job)
		assert.Empty(t, r.Drawer, "a report never opens the drawer")
		assert.Empty(t, r.Barcodes)
		// The bytes themselves are GB18030 and carry the figures.
		text, err := simplifiedchinese.GB18030.NewDecoder().String(string(job))
		require.NoError(t, err)
		for _, want := range []string{"好邻居便利店", "交接班报表", "营业日: 2026-01-16\n（跨零点，计入上班当日）", "收银员: 李娜（1002）",
			"本终端 1号收银台", "上班: 2026-01-16 22:00:00", "下班: 2026-01-17 06:05:00",
			"【合计】", "【微信支付】", "【现金】", "交易金额", "￥12345.00", "结算金额", "￥12000.00", "实收金额", "￥11900.00",
			"优惠金额", "￥345.00", "退款金额", "退款结算金额", "￥100.00", "交易笔数", "321", "退款笔数",
			"押金", "收取 2 笔", "￥700.00", "消费", "退还",
			"100元 × 44", "￥4400.00", "10元 × 3", "5角 × 1", "硬币", "￥9.00",
			"上班备用金", "应有现金", "￥4500.00", "实点现金", "￥4439.50", "差额", "-￥60.50", "差额上限", "￥50.00",
			"留存备用金", "上缴现金", "￥3939.50", "差额复核: 王店长",
			"挂单（1）", "P01T0000012026011623100012345678", "302 房 稍后付", "未结押金（2）", "D0120260115120000654321", "1208 王先生",
			"在押押金合计（负债）", "￥700.00",
			"打印时间: 2026-01-17 06:05:01", "交班人签字", "接班人签字"} {
			assert.Contains(t, r.Text, want, "%d mm", p)
			assert.Contains(t, text, strings.TrimSpace(want), "%d mm, in the GB18030 bytes", p)
		}
		assert.NotContains(t, r.Text, "50元", "a denomination not counted is left off")
		assert.NotContains(t, r.Text, "重印")
		assert.NotContains(t, r.Text, "谢谢惠顾", "no customer footer on a report")
	}
}

// On 80 mm the figures go two to a line; on 58 mm one.
func TestShiftReportJob_FiguresLayout(t *testing.T) {
	job, err := receipt.ShiftReportJob(header, sampleShift(), receipt.Options{Paper: escpos.Paper80})
	require.NoError(t, err)
	text := print(t, escpos.Paper80, job).Text
	assert.Regexp(t, `交易金额\s+￥12345\.00\s+优惠金额\s+￥345\.00`, text)
	job, err = receipt.ShiftReportJob(header, sampleShift(), receipt.Options{Paper: escpos.Paper58})
	require.NoError(t, err)
	text = print(t, escpos.Paper58, job).Text
	assert.Regexp(t, `(?m)^交易金额\s+￥12345\.00$`, text)
}

func TestShiftReportJob_StoreWideReprintEmpty(t *testing.T) {
	s := sampleShift()
	s.Terminal, s.CountTerminal = "", "2号收银台"
	s.End = s.Start.Add(time.Hour)
	s.HeldOrders, s.OpenDeposits, s.Countersign, s.Methods = nil, nil, "", nil
	s.Variance = 300
	s.Reprint = true
	job, err := receipt.ShiftReportJob(header, s, receipt.Options{})
	require.NoError(t, err)
	text := print(t, escpos.Paper80, job).Text
	for _, want := range []string{"** 重印 REPRINT **", "范围: 全店", "盘点终端: 2号收银台", "营业日: 2026-01-16\n", "差额", "+￥3.00",
		"挂单（0）\n", "未结押金（0）\n", "无"} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "差额复核")
	assert.NotContains(t, text, "跨零点")
}

func TestShiftReportJob_Missing(t *testing.T) {
	for _, s := range []receipt.ShiftReport{{}, {Staff: "李娜"}, {Staff: "李娜", Start: time.Now()}} {
		_, err := receipt.ShiftReportJob(header, s, receipt.Options{})
		require.ErrorIs(t, err, receipt.ErrMissing)
	}
}

// A huge amount is never cut: the figures fall back to one a line.
func TestShiftReportJob_BigAmountsStayWhole(t *testing.T) {
	s := sampleShift()
	s.Total.TxAmount = app.Money(99_999_999_99)
	job, err := receipt.ShiftReportJob(header, s, receipt.Options{Paper: escpos.Paper80})
	require.NoError(t, err)
	assert.Contains(t, print(t, escpos.Paper80, job).Text, "￥99999999.99")
}
