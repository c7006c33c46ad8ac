package wechat

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"cashier/app"
	"cashier/sync/channel"
)

// billRows splits sampleBill into its header, detail rows and summary.
func billRows() (header []string, rows [][]string, summary string) {
	lines := strings.Split(strings.TrimPrefix(sampleBill, "\ufeff"), "\r\n")
	header = strings.Split(lines[0], ",")
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "总交易单数") {
			summary = strings.Join(lines[len(rows)+1:], "\r\n")
			break
		}
		rows = append(rows, strings.Split(l[1:], ",`"))
	}
	return header, rows, summary
}

// joinBill writes a bill back from its parts, columns in order.
func joinBill(header []string, rows [][]string, summary string, order []int) string {
	var b strings.Builder
	pick := func(f []string) []string {
		out := make([]string, len(order))
		for i, j := range order {
			out[i] = f[j]
		}
		return out
	}
	b.WriteString(strings.Join(pick(header), ",") + "\r\n")
	for _, r := range rows {
		b.WriteString("`" + strings.Join(pick(r), ",`") + "\r\n")
	}
	b.WriteString(summary)
	return b.String()
}

func identity(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// Columns are found by their names wherever they stand.
func TestBill_ColumnsInAnyOrder(t *testing.T) {
	header, rows, summary := billRows()
	want, err := ParseBill([]byte(sampleBill))
	require.NoError(t, err)
	order := identity(len(header))
	for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
		order[i], order[j] = order[j], order[i]
	}
	got, err := ParseBill([]byte(joinBill(header, rows, summary, order)))
	require.NoError(t, err)
	assert.Equal(t, want.Lines, got.Lines)
}

// A needed column that is not there is named; nothing is read.
func TestBill_MissingColumnNamed(t *testing.T) {
	header, rows, summary := billRows()
	var order []int
	for i, h := range header {
		if h != "商户订单号" {
			order = append(order, i)
		}
	}
	_, err := ParseBill([]byte(joinBill(header, rows, summary, order)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "lacks the column(s) 商户订单号")

	_, err = ParseBill([]byte("<html>\n<body>502 Bad Gateway</body>\n</html>\n"))
	assert.ErrorContains(t, err, "or is not a WeChat bill")
}

func TestBill_TruncatedAndWrongEncodingRefused(t *testing.T) {
	for name, raw := range map[string]string{
		"cut in a row":            sampleBill[:strings.Index(sampleBill, "`REFUND")],
		"cut before the summary":  sampleBill[:strings.Index(sampleBill, "总交易单数")],
		"summary without its row": sampleBill[:strings.LastIndex(sampleBill, "`2,")],
	} {
		_, err := ParseBill([]byte(raw))
		assert.Error(t, err, name)
	}
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(strings.TrimPrefix(sampleBill, "\ufeff"))
	require.NoError(t, err)
	_, err = ParseBill([]byte(gbk))
	assert.ErrorContains(t, err, "not UTF-8 text (wrong encoding)")
}

// A row listed twice is read twice (the summary counts it too): the
// reconciliation counts it once and reports it.
func TestBill_DuplicateRowKept(t *testing.T) {
	header, rows, _ := billRows()
	rows = append(rows, rows[0])
	summary := "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n`3,`25.00,`2.50,`0.00,`0.13500,`25.00,`2.50\r\n"
	b, err := ParseBill([]byte(joinBill(header, rows, summary, identity(len(header)))))
	require.NoError(t, err)
	require.Len(t, b.Lines, 3)
	assert.Equal(t, b.Lines[0], b.Lines[2])
}

// Another merchant's bill is refused by the client, whatever it holds.
func TestDownloadBill_AnotherMerchantRefused(t *testing.T) {
	for name, bill := range map[string]string{
		"provider": strings.ReplaceAll(sampleBill, "`10000100,", "`10000999,"),
		"sub":      strings.Replace(sampleBill, "`1900000109,", "`1900000999,", 1),
	} {
		f := newFake(t)
		cl, _ := newClient(t, f, nil)
		f.mu.Lock()
		f.answer = func(string, map[string]string) (int, string) { return 200, bill }
		f.mu.Unlock()
		_, err := cl.DownloadBill(context.Background(), time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC))
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "another merchant's", name)
		assert.False(t, app.IsNotSent(err))
	}
}

// bigBill is a downloadbill text of n payment rows.
func bigBill(n int) []byte {
	var b strings.Builder
	b.WriteString("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\r\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "`2026-11-21 10:%02d:%02d,`wx2421b1c4370ec43b,`10000100,`1900000109,`POS-1,`42000%010d,`sz01T1%012d,`oUpF8u,`MICROPAY,`SUCCESS,`CMC,`CNY,`12.50,`0.00,`0,`0,`0.00,`0.00,`,`,`饮料,`,`0.07500,`0.60%%,`12.50,`0.00,`\r\n",
			i/60%60, i%60, i, i)
	}
	fmt.Fprintf(&b, "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n`%d,`0.00,`0.00,`0.00,`0.00,`%s,`0.00\r\n",
		n, (app.Money(1250) * app.Money(n)).Yuan())
	return []byte(b.String())
}

// A busy day's total passes the ceiling of one payment.
func TestBill_BigDayTotal(t *testing.T) {
	b, err := ParseBill(bigBill(100_000))
	require.NoError(t, err)
	assert.Equal(t, app.Money(125_000_000), b.Total)
	for _, bad := range []string{"1.", "1.234", "-", "1e5", "１２"} {
		_, err := channel.ParseTotalYuan(bad)
		assert.Error(t, err, bad)
	}
}

// Reading a 100,000-row bill (the reconciliation's bill side).
func BenchmarkParseBill100k(b *testing.B) {
	raw := bigBill(100_000)
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bill, err := ParseBill(raw)
		if err != nil || len(bill.Lines) != 100_000 {
			b.Fatal(err, len(bill.Lines))
		}
	}
}
