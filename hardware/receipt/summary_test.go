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

// sampleSummary is a month of a store: two methods, deposits with the
// liability at the month's end.
func sampleSummary() receipt.Summary {
	return receipt.Summary{Store: "科技园店（S001）",
		From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
		Total: receipt.Figures{TxAmount: 1234500, Settlement: 1200000, Received: 1190000, Discount: 34500,
			Refund: 10000, RefundSettlement: 10000, TxCount: 321, RefundCount: 2},
		Methods: []receipt.MethodFigures{
			{Method: "微信支付", Figures: receipt.Figures{TxAmount: 834500, Settlement: 800000, Received: 790000, Discount: 34500, Refund: 10000, RefundSettlement: 10000, TxCount: 200, RefundCount: 2}},
			{Method: "现金", Figures: receipt.Figures{TxAmount: 400000, Settlement: 400000, Received: 400000, TxCount: 121}},
		},
		Deposits: receipt.SummaryDeposits{TakenCount: 3, Taken: 150000, Consumed: 20000, Released: 30000,
			HeldKnown: true, HeldCount: 2, Held: 100000},
		PrintedBy: "王店长", PrintedAt: time.Date(2026, 2, 1, 9, 0, 5, 0, time.UTC)}
}

func TestSummaryJob(t *testing.T) {
	for _, p := range papers {
		job, err := receipt.SummaryJob(header, sampleSummary(), receipt.Options{Paper: p, OpenDrawer: true})
		require.NoError(t, err)
		r := print(t, p, job)
		assert.Empty(t, r.Drawer, "a summary never opens the drawer")
		text, err := simplifiedchinese.GB18030.NewDecoder().String(string(job))
		require.NoError(t, err)
		for _, want := range []string{"好邻居便利店", "交易汇总", "门店: 科技园店（S001）",
			"起: 2026-01-01 00:00:00", "止: 2026-01-31 23:59:59", "收银员: 全部",
			"收款汇总", "【合计】", "【微信支付】", "【现金】", "交易金额", "￥12345.00", "结算金额", "￥12000.00",
			"实收金额", "￥11900.00", "优惠金额", "￥345.00", "退款金额", "退款结算金额", "￥100.00", "交易笔数", "321", "退款笔数",
			"押金（不计入收款）", "收取 3 笔", "￥1500.00", "消费", "￥200.00", "退还", "￥300.00",
			"期末在押（负债）2 笔", "￥1000.00", "打印人: 王店长", "打印时间: 2026-02-01 09:00:05"} {
			assert.Contains(t, r.Text, want, "%d mm", p)
			assert.Contains(t, text, strings.TrimSpace(want), "%d mm, in the GB18030 bytes", p)
		}
		assert.NotContains(t, r.Text, "营业日")
		assert.NotContains(t, r.Text, "班次")
		assert.NotContains(t, r.Text, "谢谢惠顾", "no customer footer on a report")
	}
}

// A person's summary for a business day: no liability of their own, the
// person named.
func TestSummaryJob_DayOfOnePerson(t *testing.T) {
	s := sampleSummary()
	s.From, s.To = time.Time{}, time.Time{}
	s.Day, s.Staff = "2026-01-16", "李娜（1002）"
	s.Deposits.HeldKnown = false
	job, err := receipt.SummaryJob(header, s, receipt.Options{Paper: escpos.Paper58})
	require.NoError(t, err)
	text := print(t, escpos.Paper58, job).Text
	assert.Contains(t, text, "营业日: 2026-01-16")
	assert.Contains(t, text, "收银员: 李娜（1002）")
	assert.NotContains(t, text, "期末在押")
	assert.NotContains(t, text, "起:")
	assert.Regexp(t, `(?m)^交易金额\s+￥12345\.00$`, text, "one figure a line on 58 mm")
}

func TestSummaryJob_Shift(t *testing.T) {
	s := sampleSummary()
	s.From, s.To = time.Time{}, time.Time{}
	s.Shift, s.Methods = "#12 李娜 01-16 22:00 – 01-17 06:05", nil
	job, err := receipt.SummaryJob(header, s, receipt.Options{Paper: escpos.Paper80})
	require.NoError(t, err)
	text := print(t, escpos.Paper80, job).Text
	assert.Contains(t, text, "班次: #12 李娜 01-16 22:00 – 01-17 06:05")
	assert.Regexp(t, `交易金额\s+￥12345\.00\s+优惠金额\s+￥345\.00`, text, "two figures a line on 80 mm")
}

func TestSummaryJob_Missing(t *testing.T) {
	for _, s := range []receipt.Summary{{}, {Store: "店", From: time.Now()}, {Store: "店", Shift: "  "}} {
		_, err := receipt.SummaryJob(header, s, receipt.Options{})
		require.ErrorIs(t, err, receipt.ErrMissing)
	}
}

// A huge amount is printed whole.
func TestSummaryJob_BigAmountsStayWhole(t *testing.T) {
	s := sampleSummary()
	s.Total.Received = app.Money(99_999_999_99)
	for _, p := range papers {
		job, err := receipt.SummaryJob(header, s, receipt.Options{Paper: p})
		require.NoError(t, err)
		assert.Contains(t, print(t, p, job).Text, "￥99999999.99")
	}
}
