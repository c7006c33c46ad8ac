package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"cashier/app"
	"cashier/app/report"
	"cashier/sync/export"
)

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// words is a translator for the tests: Chinese, as the screens speak.
func words(m app.Message) string {
	if w, ok := map[string]string{
		"report.title.details": "交易明细", "report.col.time": "时间", "report.col.order_no": "订单号",
		"report.col.staff": "员工", "report.col.methods": "支付方式", "report.col.amount": "金额",
		"report.col.tx_count": "交易量", "report.col.day": "日期", "report.col.month": "月份",
		"wallet.wechat": "微信支付", "report.total": "合计", "method.cash": "现金", "report.state.paid": "已支付",
	}[m.Code]; ok {
		return w
	}
	return m.Code
}

// table has a column of every kind and the cells that are easy to get
// wrong: Chinese, a formula-looking name, a negative amount, half a fen's
// worth of float trouble (0.29, 1,234,567.89), a time with milliseconds,
// an empty time, two methods in one cell.
func table() report.Table {
	at := time.Date(2026, 11, 20, 23, 59, 59, 999_000_000, shanghai)
	return report.Table{
		Title: app.Msg("report.title.details"), Loc: shanghai,
		Columns: []report.Column{
			{Title: app.Msg("report.col.time"), Kind: report.ColDateTime},
			{Title: app.Msg("report.col.order_no"), Kind: report.ColText},
			{Title: app.Msg("report.col.staff"), Kind: report.ColText},
			{Title: app.Msg("report.col.methods"), Kind: report.ColText},
			{Title: app.Msg("report.col.amount"), Kind: report.ColAmount},
			{Title: app.Msg("report.col.tx_count"), Kind: report.ColCount},
			{Title: app.Msg("report.col.day"), Kind: report.ColDate},
			{Title: app.Msg("report.col.month"), Kind: report.ColMonth},
		},
		Rows: [][]report.Cell{
			{{Time: at}, {Text: "P0120261120235959001"}, {Text: "李娜"},
				{Msgs: []app.Message{app.WalletName(app.WalletWeChat), app.Msg("method.cash")}},
				{Money: 123456789}, {N: 42}, {Time: time.Date(2026, 11, 20, 0, 0, 0, 0, shanghai)},
				{Time: time.Date(2026, 11, 1, 0, 0, 0, 0, shanghai)}},
			{{Time: at.Add(-time.Hour).UTC()}, {Text: "=HYPERLINK(\"x\")"}, {Text: "-张伟"},
				{Msgs: []app.Message{app.Msg("report.state.paid")}}, {Money: -29}, {N: 0}, {}, {}},
			{{}, {Text: ""}, {Text: "王店长"}, {}, {Money: 29}, {N: -3}, {Time: time.Date(2026, 2, 28, 0, 0, 0, 0, shanghai)},
				{Time: time.Date(2026, 12, 1, 0, 0, 0, 0, shanghai)}},
			{{Msgs: []app.Message{app.Msg("report.total")}}, {}, {}, {}, {Money: 123456789 - 29 + 29}, {N: 39}, {}, {}},
		},
	}
}

func TestCSV_ReadBackEqualsTheScreen(t *testing.T) {
	ctx := context.Background()
	tb := table()
	screen, err := tb.Strings(ctx, words)
	require.NoError(t, err)
	assert.Equal(t, []string{"2026-11-20 23:59:59", "P0120261120235959001", "李娜", "微信支付 + 现金", "1234567.89", "42", "2026-11-20", "2026-11"}, screen[1])
	assert.Equal(t, []string{"2026-11-20 22:59:59", "=HYPERLINK(\"x\")", "-张伟", "已支付", "-0.29", "0", "", ""}, screen[2])
	assert.Equal(t, []string{"合计", "", "", "", "1234567.89", "39", "", ""}, screen[4], "a label in a column of times")

	var buf bytes.Buffer
	require.NoError(t, export.CSV(ctx, &buf, tb, words))
	require.True(t, bytes.HasPrefix(buf.Bytes(), []byte("\xEF\xBB\xBF")), "a BOM: Excel reads Chinese right")
	assert.Contains(t, buf.String(), `"'=HYPERLINK(""x"")"`, "a formula-looking text is kept text")
	assert.Contains(t, buf.String(), ",-0.29,", "an amount is never guarded")
	got, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\xEF\xBB\xBF")))).ReadAll()
	require.NoError(t, err)
	for _, row := range got {
		for i := range row {
			row[i] = export.Unguard(row[i])
		}
	}
	assert.Equal(t, screen, got)
}

func TestXLSX_ReadBackEqualsTheScreenWithNumbersAndDates(t *testing.T) {
	ctx := context.Background()
	tb := table()
	screen, err := tb.Strings(ctx, words)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, export.XLSX(ctx, &buf, tb, words))
	f, err := excelize.OpenReader(&buf)
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, []string{"交易明细"}, f.GetSheetList())
	rows, err := f.GetRows("交易明细")
	require.NoError(t, err)
	// GetRows drops the trailing empty cells of a row.
	for i := range rows {
		for len(rows[i]) < len(screen[i]) {
			rows[i] = append(rows[i], "")
		}
	}
	assert.Equal(t, screen, rows)

	// Numbers are numbers, times are dates, text stays text.
	for cell, want := range map[string]excelize.CellType{"E2": excelize.CellTypeNumber, "F2": excelize.CellTypeNumber,
		"B3": excelize.CellTypeSharedString, "C3": excelize.CellTypeSharedString} {
		typ, err := f.GetCellType("交易明细", cell)
		require.NoError(t, err)
		if typ == excelize.CellTypeUnset {
			typ = excelize.CellTypeNumber // excelize writes numbers without a type attribute
		}
		if want == excelize.CellTypeSharedString && typ == excelize.CellTypeInlineString {
			typ = want
		}
		assert.Equal(t, want, typ, cell)
	}
	raw, err := f.GetCellValue("交易明细", "E2", excelize.Options{RawCellValue: true})
	require.NoError(t, err)
	assert.Equal(t, "1234567.89", raw)
	raw, err = f.GetCellValue("交易明细", "G2", excelize.Options{RawCellValue: true})
	require.NoError(t, err)
	assert.Equal(t, "46346", raw, "2026-11-20 as an Excel date serial")
	formula, err := f.GetCellFormula("交易明细", "B3")
	require.NoError(t, err)
	assert.Empty(t, formula, "a formula-looking order number is text, never a formula")
}

// A table walked row by row goes to the file as it is read; a failure
// part way is the export's failure, and a cancelled export stops.
func TestExports_StreamAndStop(t *testing.T) {
	boom := errors.New("disk gone")
	tb := table()
	rows := tb.Rows
	tb.Rows = nil
	tb.Stream = func(ctx context.Context, fn func([]report.Cell) error) error {
		for _, r := range rows {
			if err := fn(r); err != nil {
				return err
			}
		}
		return boom
	}
	var buf bytes.Buffer
	assert.ErrorIs(t, export.CSV(context.Background(), &buf, tb, words), boom)
	assert.ErrorIs(t, export.XLSX(context.Background(), &buf, tb, words), boom)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, export.CSV(ctx, &buf, table(), words), context.Canceled)
	assert.ErrorIs(t, export.XLSX(ctx, &buf, table(), words), context.Canceled)
}

// detailRows is a details-shaped table of n rows, walked without holding
// them.
func detailRows(n int) report.Table {
	tb := table()
	start := time.Date(2026, 11, 1, 8, 0, 0, 0, shanghai)
	tb.Rows = nil
	tb.Stream = func(ctx context.Context, fn func([]report.Cell) error) error {
		row := make([]report.Cell, len(tb.Columns))
		for i := 0; i < n; i++ {
			at := start.Add(time.Duration(i) * 7 * time.Second)
			row[0] = report.Cell{Time: at}
			row[1] = report.Cell{Text: fmt.Sprintf("P01%017d", i)}
			row[2] = report.Cell{Text: "李娜"}
			row[3] = report.Cell{Msgs: []app.Message{app.WalletName(app.WalletWeChat)}}
			row[4] = report.Cell{Money: app.Money(1000 + i%5000)}
			row[5] = report.Cell{N: int64(i % 7)}
			row[6] = report.Cell{Time: at}
			row[7] = report.Cell{Time: at}
			if err := fn(row); err != nil {
				return err
			}
		}
		return nil
	}
	return tb
}

// BenchmarkExport100k: 100,000 detail rows to XLSX (target under 5 s,
// streaming), beside the same rows to CSV in the same run. The rows are
// made as they are written; the end-to-end export from the database is
// localdb's BenchmarkReports1M/ExportXLSX100k.
func BenchmarkExport100k(b *testing.B) {
	for _, c := range []struct {
		name  string
		write func(context.Context, *bytes.Buffer, report.Table) error
	}{
		{"CSV", func(ctx context.Context, w *bytes.Buffer, t report.Table) error { return export.CSV(ctx, w, t, words) }},
		{"XLSX", func(ctx context.Context, w *bytes.Buffer, t report.Table) error { return export.XLSX(ctx, w, t, words) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			tb := detailRows(100_000)
			var buf bytes.Buffer
			for i := 0; i < b.N; i++ {
				buf.Reset()
				if err := c.write(context.Background(), &buf, tb); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(buf.Len())/1e6, "MB")
		})
	}
}

var _ = strings.TrimSpace
