package alipay

import (
	"archive/zip"
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawZip zips files as given (no GBK encoding).
func rawZip(t *testing.T, files map[string][]byte) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, content := range files {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write(content)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return b.Bytes()
}

// detailParts splits detailCSV into the comment lines before the table,
// its header, its rows and the lines after it.
func detailParts() (before string, header []string, rows [][]string, after string) {
	lines := strings.Split(detailCSV, "\r\n")
	i := 0
	for strings.HasPrefix(lines[i], "#") {
		i++
	}
	before = strings.Join(lines[:i], "\r\n") + "\r\n"
	header = strings.Split(lines[i], ",")
	j := i + 1
	for ; !strings.HasPrefix(lines[j], "#"); j++ {
		rows = append(rows, strings.Split(lines[j], ","))
	}
	return before, header, rows, strings.Join(lines[j:], "\r\n")
}

func joinDetail(before string, header []string, rows [][]string, after string, order []int) string {
	pick := func(f []string) string {
		out := make([]string, len(order))
		for i, j := range order {
			out[i] = f[j]
		}
		return strings.Join(out, ",")
	}
	var b strings.Builder
	b.WriteString(before + pick(header) + "\r\n")
	for _, r := range rows {
		b.WriteString(pick(r) + "\r\n")
	}
	b.WriteString(after)
	return b.String()
}

func order(n int, reverse bool, drop string, header []string) []int {
	var out []int
	for i := 0; i < n; i++ {
		j := i
		if reverse {
			j = n - 1 - i
		}
		if header[j] != drop {
			out = append(out, j)
		}
	}
	return out
}

func TestBill_ColumnsInAnyOrderAndMissingNamed(t *testing.T) {
	before, header, rows, after := detailParts()
	want, err := ParseBillZip(billZip(t, map[string]string{"d.csv": detailCSV}))
	require.NoError(t, err)
	got, err := ParseBillZip(billZip(t, map[string]string{"d.csv": joinDetail(before, header, rows, after, order(len(header), true, "", header))}))
	require.NoError(t, err)
	assert.Equal(t, want.Lines, got.Lines)

	_, err = ParseBillZip(billZip(t, map[string]string{"d.csv": joinDetail(before, header, rows, after, order(len(header), false, "商户订单号", header))}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "lacks the column(s) 商户订单号")
}

func TestBill_WrongEncodingRefused(t *testing.T) {
	_, err := ParseBillZip(rawZip(t, map[string][]byte{"d.csv": []byte(detailCSV)}))
	assert.ErrorContains(t, err, "not GBK text (it is UTF-8)")
	_, err = ParseBillZip(rawZip(t, map[string][]byte{"d.csv": append([]byte("\xef\xbb\xbf"), gbk(detailCSV)...)}))
	assert.ErrorContains(t, err, "not GBK text")
	// Bytes GBK does not have.
	_, err = ParseBillZip(rawZip(t, map[string][]byte{"d.csv": append(gbk(detailCSV), 0xff, 0xff, '\r', '\n')}))
	assert.ErrorContains(t, err, "not GBK text")
}

func TestBill_TruncatedRefused(t *testing.T) {
	full := billZip(t, map[string]string{"d.csv": detailCSV, "s.csv": summaryCSV})
	_, err := ParseBillZip(full[:len(full)/2])
	assert.ErrorContains(t, err, "not a valid zip file")
	cut := detailCSV[:strings.Index(detailCSV, "#交易合计")]
	_, err = ParseBillZip(billZip(t, map[string]string{"d.csv": cut}))
	assert.ErrorContains(t, err, "truncated")
}

// A row written twice is read twice (the trailer counts it): the
// reconciliation counts it once and reports it.
func TestBill_DuplicateRowKept(t *testing.T) {
	before, header, rows, after := detailParts()
	rows = append(rows, rows[0])
	after = strings.Replace(after, "#交易合计：1笔", "#交易合计：2笔", 1)
	b, err := ParseBillZip(billZip(t, map[string]string{"d.csv": joinDetail(before, header, rows, after, order(len(header), false, "", header))}))
	require.NoError(t, err)
	require.Len(t, b.Lines, 3)
	assert.Equal(t, b.Lines[0], b.Lines[2])
}

func TestBill_BigDayTotal(t *testing.T) {
	sum := strings.ReplaceAll(summaryCSV, "10.00,10.00", "1250000.00,1250000.00")
	b, err := ParseBillZip(billZip(t, map[string]string{"d.csv": detailCSV, "s.csv": sum}))
	require.NoError(t, err)
	assert.EqualValues(t, 125_000_000, b.Total)
}

// The client refuses another account's or another day's bill; a partner
// id (2088…, what real bills name) is taken as ours.
func TestDownloadBill_AnotherAccountOrDayRefused(t *testing.T) {
	for name, c := range map[string]struct {
		detail, want string
	}{
		"partner id":    {detailCSV, ""},
		"our app":       {strings.Replace(detailCSV, "20880000000000000156", testAppID, 1), ""},
		"another app":   {strings.Replace(detailCSV, "20880000000000000156", "2021000000000999", 1), "another account's (2021000000000999"},
		"another day":   {strings.Replace(detailCSV, "2026年11月21日 00:00:00]   终止", "2026年11月20日 00:00:00]   终止", 1), "another day's (20261120, not 20261121)"},
		"not GBK":       {"", "not GBK"},
		"no bill table": {"#支付宝业务明细查询\r\n", "no detail file"},
	} {
		f := newFake(t)
		cl, _ := newClient(t, f, nil)
		if c.detail == "" {
			f.files["/bill/x.zip"] = rawZip(t, map[string][]byte{"d.csv": []byte(detailCSV)})
		} else {
			f.files["/bill/x.zip"] = billZip(t, map[string]string{"d.csv": c.detail})
		}
		f.mu.Lock()
		f.answer = func(m string, biz map[string]any) string {
			return answerFor(m, map[string]any{"code": "10000", "msg": "Success", "bill_download_url": f.srv.URL + "/bill/x.zip?token=abc"})
		}
		f.mu.Unlock()
		_, err := cl.DownloadBill(context.Background(), time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC))
		if c.want == "" {
			assert.NoError(t, err, name)
			continue
		}
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), c.want, name)
	}
}
