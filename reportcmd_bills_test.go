package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"cashier/app"
	"cashier/app/payment"
	"cashier/localdb"
	"cashier/sync/export"
)

var reportZone = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// reportOrders are the orders of reportFolder by name.
type reportOrders map[string]string

// reportFolder is a demo folder with a hand-built November 2026 (store
// time):
//
//	A 20th 09:15 李娜: 100.00 less 10.00, cash 90.00
//	B 20th 10:30 李娜: WeChat 50.00; 16:00 refunded 10.00
//	E 20th 13:00 王店长: 35.00 less 5.00, cash 30.00 committed at once
//	I 20th 17:00 李娜: 12.00 left open
//	L 31 October 10:00 王店长: cash 7.00
func reportFolder(t *testing.T) (string, reportOrders) {
	t.Helper()
	dir := demoFolder(t)
	ctx := context.Background()
	s, err := Open(ctx, Options{DataDir: dir, Command: "test", Lock: true, Seed: true})
	require.NoError(t, err)
	defer s.Close()
	db, store := s.DB, localdb.NewPaymentStore(s.DB)
	term, err := db.CurrentTerminal(ctx)
	require.NoError(t, err)
	people := map[string]app.Staff{}
	for _, c := range []string{"1001", "1002"} {
		p, _, err := db.StaffByCode(ctx, c)
		require.NoError(t, err)
		people[c] = p
	}
	at := func(m time.Month, d, h, mi int) time.Time { return time.Date(2026, m, d, h, mi, 0, 0, reportZone) }
	names := reportOrders{}
	open := func(name, who string, total, discount app.Money, when time.Time) app.Order {
		o := app.Order{OrderNo: app.NewOrderNo("R", when), StoreID: term.StoreID, TerminalID: term.ID, StaffID: people[who].ID,
			Kind: app.OrderSale, Status: app.OrderOpen, Total: total, Discount: discount, Payable: total - discount, CreatedAt: when}
		require.NoError(t, db.CreateOrder(ctx, &o))
		names[name] = o.OrderNo
		return o
	}
	cash := func(who string, o app.Order, amount app.Money, when time.Time) {
		tn := app.Tender{OrderID: o.ID, Amount: amount, CashReceived: amount, StaffID: people[who].ID, CreatedAt: when}
		require.NoError(t, db.AddCashTender(ctx, &tn))
	}
	a := open("A", "1002", 10000, 1000, at(11, 20, 9, 15))
	cash("1002", a, 9000, at(11, 20, 9, 15))
	b := open("B", "1002", 5000, 0, at(11, 20, 10, 30))
	in := payment.PaymentIntent{OutTradeNo: "PRB1", OrderID: b.ID, OrderNo: b.OrderNo, Kind: payment.IntentKindPay,
		Channel: app.ChannelWeChat, Wallet: app.WalletWeChat, CodeMasked: "1345**********6789", CodeHash: "hb",
		Amount: 5000, State: payment.IntentCreated, StaffID: people["1002"].ID, CreatedAt: at(11, 20, 10, 30), UpdatedAt: at(11, 20, 10, 30)}
	require.NoError(t, store.CreateIntent(ctx, &in, at(11, 20, 10, 29)))
	in.State, in.TransactionID, in.FinishedAt = payment.IntentPaid, "4200001", at(11, 20, 10, 30)
	require.NoError(t, store.FinishIntent(ctx, &in))
	r := payment.Refund{OutRefundNo: "RRB1", OrderID: b.ID, IntentID: in.ID, Amount: 1000, State: payment.RefundCreated,
		StaffID: people["1002"].ID, CreatedAt: at(11, 20, 16, 0), UpdatedAt: at(11, 20, 16, 0)}
	require.NoError(t, store.CreateRefund(ctx, &r, app.AuditEntry{At: r.CreatedAt, StaffID: r.StaffID, Action: "refund", Subject: r.OutRefundNo}))
	r.State, r.FinishedAt = payment.RefundRefunded, at(11, 20, 16, 0)
	require.NoError(t, store.FinishRefund(ctx, &r))
	e := app.Order{OrderNo: app.NewOrderNo("R", at(11, 20, 13, 0)), StoreID: term.StoreID, TerminalID: term.ID, StaffID: people["1001"].ID,
		Kind: app.OrderSale, Total: 3500, Discount: 500, Payable: 3000, CreatedAt: at(11, 20, 13, 0),
		Lines: []app.OrderLine{{Name: "=SUM(A1)", Qty: 7, UnitPrice: 500, Discount: 500, Amount: 3000}}}
	require.NoError(t, db.CommitPaidSale(ctx, &e, []app.Tender{{Kind: app.TenderCash, Amount: 3000, CashReceived: 3000,
		StaffID: people["1001"].ID, CreatedAt: at(11, 20, 13, 0)}}))
	names["E"] = e.OrderNo
	open("I", "1002", 1200, 0, at(11, 20, 17, 0))
	l := open("L", "1001", 700, 0, at(10, 31, 10, 0))
	cash("1001", l, 700, at(10, 31, 10, 0))
	return dir, names
}

func reportJSONOut(t *testing.T, dir string, v any, args ...string) {
	t.Helper()
	code, out, errs := runCmd(t, nil, append(append([]string{"report"}, args...), "--data-dir", dir, "--format", "json")...)
	require.Equal(t, exitOK, code, out+errs)
	require.NoError(t, json.Unmarshal([]byte(out), v), out)
}

type figs struct {
	TxAmount         int64 `json:"tx_amount"`
	Settlement       int64 `json:"settlement"`
	Received         int64 `json:"received"`
	Discount         int64 `json:"discount"`
	Refund           int64 `json:"refund"`
	RefundSettlement int64 `json:"refund_settlement"`
	TxCount          int64 `json:"tx_count"`
	RefundCount      int64 `json:"refund_count"`
}

func fig(tx int64, settlement, discount int64, refunds int64, refund int64) figs {
	return figs{TxAmount: settlement + discount, Settlement: settlement, Received: settlement - refund, Discount: discount,
		Refund: refund, RefundSettlement: refund, TxCount: tx, RefundCount: refunds}
}

// pos report summary --by, daily, monthly and hourly add up the
// hand-built month as worked out by hand.
func TestReportCLI_BreakdownsAndBills(t *testing.T) {
	dir, _ := reportFolder(t)
	day20 := fig(3, 9000+5000+3000, 1000+500, 1, 1000)

	var sum struct{ Total figs }
	reportJSONOut(t, dir, &sum, "summary", "--day", "2026-11-20")
	assert.Equal(t, day20, sum.Total)

	var by struct {
		By     string
		Groups []struct {
			StaffCode string `json:"staff_code"`
			Staff     string
			figs
		}
		Total figs
	}
	reportJSONOut(t, dir, &by, "summary", "--day", "2026-11-20", "--by", "staff")
	assert.Equal(t, "staff", by.By)
	require.Len(t, by.Groups, 2)
	assert.Equal(t, "1001", by.Groups[0].StaffCode)
	assert.Equal(t, fig(1, 3000, 500, 0, 0), by.Groups[0].figs)
	assert.Equal(t, "李娜", by.Groups[1].Staff)
	assert.Equal(t, fig(2, 14000, 1000, 1, 1000), by.Groups[1].figs)
	assert.Equal(t, day20, by.Total)

	var methods struct {
		Groups []struct {
			Method string
			figs
		}
	}
	reportJSONOut(t, dir, &methods, "summary", "--day", "2026-11-20", "--by", "method")
	require.Len(t, methods.Groups, 5)
	assert.Equal(t, "wechat", methods.Groups[0].Method)
	assert.Equal(t, fig(1, 5000, 0, 1, 1000), methods.Groups[0].figs)
	assert.Equal(t, "cash", methods.Groups[4].Method)
	assert.Equal(t, fig(2, 12000, 1500, 0, 0), methods.Groups[4].figs)

	var daily struct {
		Periods []struct {
			Day string
			figs
		}
		Total figs
	}
	reportJSONOut(t, dir, &daily, "daily", "--month", "2026-11")
	require.Len(t, daily.Periods, 30)
	assert.Equal(t, "2026-11-20", daily.Periods[19].Day)
	assert.Equal(t, day20, daily.Periods[19].figs)
	assert.Equal(t, figs{}, daily.Periods[20].figs)
	assert.Equal(t, day20, daily.Total)

	var monthly struct {
		Periods []struct {
			Month string
			figs
		}
		Total figs
	}
	reportJSONOut(t, dir, &monthly, "monthly", "--year", "2026")
	require.Len(t, monthly.Periods, 12)
	assert.Equal(t, "2026-10", monthly.Periods[9].Month)
	assert.Equal(t, fig(1, 700, 0, 0, 0), monthly.Periods[9].figs)
	assert.Equal(t, day20, monthly.Periods[10].figs)
	assert.Equal(t, fig(4, 17700, 1500, 1, 1000), monthly.Total)

	var hourly struct {
		Periods []struct {
			Hour int
			figs
		}
	}
	reportJSONOut(t, dir, &hourly, "hourly", "--day", "2026-11-20")
	require.Len(t, hourly.Periods, 24)
	assert.Equal(t, fig(1, 9000, 1000, 0, 0), hourly.Periods[9].figs)
	assert.Equal(t, fig(1, 5000, 0, 0, 0), hourly.Periods[10].figs)
	assert.Equal(t, fig(1, 3000, 500, 0, 0), hourly.Periods[13].figs)
	assert.Equal(t, fig(0, 0, 0, 1, 1000), hourly.Periods[16].figs)
	assert.Equal(t, 16, hourly.Periods[16].Hour)

	// The tables in Chinese, lined up.
	code, out, errs := runCmdLang(t, nil, "zh", "report", "daily", "--data-dir", dir, "--month", "2026-11")
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "2026-11 按营业日")
	assert.Contains(t, out, "2026-11-20")
	assert.Contains(t, out, "合计")
	lines := strings.Split(strings.TrimSpace(out), "\n")[1:]
	for _, l := range lines {
		assert.Equal(t, displayWidth(lines[0]), displayWidth(l), "%q", l)
	}
	code, out, _ = runCmd(t, nil, "report", "summary", "--data-dir", dir, "--day", "2026-11-20", "--by", "shift")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "On no shift")
	assert.Contains(t, out, "170.00")
}

// reread reads an export back as the strings it holds: the CSV without its
// BOM and formula guards, the XLSX's first sheet as excelize formats it.
func reread(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	if strings.HasSuffix(path, ".csv") {
		require.True(t, bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")), "BOM")
		rows, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
		require.NoError(t, err)
		for _, r := range rows {
			for i := range r {
				r[i] = export.Unguard(r[i])
			}
		}
		return rows
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	require.NoError(t, err)
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	require.NoError(t, err)
	width := len(rows[0])
	for i := range rows {
		for len(rows[i]) < width {
			rows[i] = append(rows[i], "")
		}
	}
	return rows
}

// pos report details filters the hand-built day; its CSV and XLSX
// exports read back equal each other cell for cell and the table on the
// screen, in both languages.
func TestReportCLI_DetailsAndExports(t *testing.T) {
	dir, names := reportFolder(t)
	type order struct {
		OrderNo  string `json:"order_no"`
		Kind     string
		Staff    string
		Methods  []string
		Amount   int64
		Discount int64
		Refunded int64
		State    string
	}
	var all struct {
		Orders []order
		More   bool
	}
	list := func(args ...string) []string {
		t.Helper()
		reportJSONOut(t, dir, &all, append([]string{"details", "--from", "2026-11-20", "--to", "2026-11-20"}, args...)...)
		var out []string
		for _, o := range all.Orders {
			for n, no := range names {
				if no == o.OrderNo {
					out = append(out, n)
				}
			}
		}
		return out
	}
	assert.Equal(t, []string{"I", "E", "B", "A"}, list(), "newest first; L is October's")
	assert.False(t, all.More)
	assert.Equal(t, order{OrderNo: names["B"], Kind: "sale", Staff: "李娜", Methods: []string{"wechat"}, Amount: 5000, Refunded: 1000,
		State: "part_refunded"}, all.Orders[2])
	assert.Equal(t, []string{}, all.Orders[0].Methods)
	assert.Equal(t, []string{"B"}, list("--method", "wechat"))
	assert.Equal(t, []string{"I"}, list("--state", "unsettled"))
	assert.Equal(t, []string{"B", "A"}, list("--min", "40", "--max", "90"))
	assert.Equal(t, []string{"E"}, list("--staff", "1001"))
	assert.Equal(t, []string{"I", "E"}, list("--limit", "2"))
	assert.True(t, all.More)
	assert.Equal(t, []string{"I", "E", "B", "A"}, list("--limit", "4"))
	assert.False(t, all.More)
	assert.Equal(t, []string{"I", "E", "B", "A", "L"}, list("--from", "2026-10-01", "--to", "2026-11-30", "--limit", "0"))

	code, out, errs := runCmd(t, nil, "report", "details", "--data-dir", dir, "--from", "2026-11-20", "--to", "2026-11-20", "--limit", "3")
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, names["E"])
	assert.NotContains(t, out, names["A"])
	assert.Contains(t, out, "only the first 3 orders are shown")

	for _, lang := range []string{"zh", "en"} {
		files := map[string]string{}
		for _, format := range []string{"csv", "xlsx"} {
			path := filepath.Join(t.TempDir(), "details."+format)
			code, out, errs := runCmdLang(t, nil, lang, "report", "details", "--data-dir", dir, "--from", "2026-11-20", "--to", "2026-11-20",
				"--format", format, "--out", path)
			require.Equal(t, exitOK, code, out+errs)
			assert.Contains(t, out, path)
			files[format] = path
		}
		fromCSV, fromXLSX := reread(t, files["csv"]), reread(t, files["xlsx"])
		assert.Equal(t, fromCSV, fromXLSX, lang)
		require.Len(t, fromCSV, 5, lang)
		// The screen: the same rows, lined up.
		code, screen, _ := runCmdLang(t, nil, lang, "report", "details", "--data-dir", dir, "--from", "2026-11-20", "--to", "2026-11-20")
		require.Equal(t, exitOK, code)
		shown := strings.Split(strings.TrimSpace(screen), "\n")[1:]
		require.Len(t, shown, 5, screen)
		for i, row := range fromCSV {
			assert.Equal(t, strings.Fields(strings.Join(row, " ")), strings.Fields(shown[i]), "%s row %d", lang, i)
		}
		if lang == "zh" {
			assert.Equal(t, []string{"时间", "订单号", "类型", "员工", "支付方式", "金额", "优惠金额", "已退款", "状态"}, fromCSV[0])
			assert.Equal(t, []string{"2026-11-20 10:30:00", names["B"], "收款", "李娜", "微信支付", "50.00", "0.00", "10.00", "部分退款"}, fromCSV[3])
			assert.Equal(t, []string{"2026-11-20 09:15:00", names["A"], "收款", "李娜", "现金", "90.00", "10.00", "0.00", "已支付"}, fromCSV[4])
		}
	}

	// Every bill exports the same way.
	for _, args := range [][]string{{"daily", "--month", "2026-11"}, {"monthly", "--year", "2026"}, {"hourly", "--day", "2026-11-20"},
		{"summary", "--day", "2026-11-20", "--by", "staff"}, {"summary", "--day", "2026-11-20"}} {
		path := filepath.Join(t.TempDir(), "bill.xlsx")
		code, out, errs := runCmd(t, nil, append(append([]string{"report"}, args...), "--data-dir", dir, "--format", "xlsx", "--out", path)...)
		require.Equal(t, exitOK, code, out+errs)
		rows := reread(t, path)
		assert.Equal(t, "Total", rows[len(rows)-1][0], args)
	}
}

// Bad flags are usage errors (2) that write nothing; a person or a store
// that is not there fails the command (1).
func TestReportCLI_BadInput(t *testing.T) {
	dir, _ := reportFolder(t)
	out := filepath.Join(t.TempDir(), "x.xlsx")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"details", "--format", "xml"}, "use table, csv, json or xlsx"},
		{[]string{"details", "--format", "xlsx"}, "needs --out"},
		{[]string{"details", "--method", "paypal"}, `"paypal"`},
		{[]string{"details", "--state", "lost"}, `"lost"`},
		{[]string{"details", "--kind", "gift"}, `"gift"`},
		{[]string{"details", "--min", "abc"}, `--min: cannot read the amount "abc"`},
		{[]string{"details", "--min", "50", "--max", "10"}, "--min ￥50.00 is above --max ￥10.00"},
		{[]string{"details", "--limit", "-1"}, "cannot be negative"},
		{[]string{"details", "--from", "2026-11-21", "--to", "2026-11-20"}, "must come before"},
		{[]string{"details", "--from", "yesterday"}, "cannot read the time yesterday"},
		{[]string{"details", "--month", "2026-11"}, "flag provided but not defined"},
		{[]string{"details", "extra"}, "unexpected arguments: extra"},
		{[]string{"daily", "--month", "2026-13"}, "cannot read the month 2026-13"},
		{[]string{"daily", "--year", "2026"}, "flag provided but not defined"},
		{[]string{"monthly", "--year", "26"}, "cannot read the year 26"},
		{[]string{"hourly", "--day", "2026-02-30"}, "2026-02-30"},
		{[]string{"summary", "--by", "terminal"}, `"terminal"`},
		{[]string{"summary", "--format", "xlsx"}, "needs --out"},
		{[]string{"totals"}, "usage: pos report"},
	} {
		code, stdout, errs := runCmd(t, nil, append(append([]string{"report"}, tc.args...), "--data-dir", dir)...)
		assert.Equal(t, exitUsage, code, "%v: %s%s", tc.args, stdout, errs)
		assert.Contains(t, errs, tc.want, tc.args)
		assert.Empty(t, stdout, tc.args)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"details", "--staff", "9999"}, "9999"},
		{[]string{"daily", "--store", "NOPE"}, "NOPE"},
		{[]string{"summary", "--by", "staff", "--store", "NOPE"}, "NOPE"},
		{[]string{"monthly", "--staff", "9999", "--format", "xlsx", "--out", out}, ""},
	} {
		code, stdout, errs := runCmd(t, nil, append(append([]string{"report"}, tc.args...), "--data-dir", dir)...)
		assert.Equal(t, exitFailed, code, "%v: %s%s", tc.args, stdout, errs)
		assert.Contains(t, errs, tc.want, tc.args)
	}
	_, err := os.Stat(out)
	assert.True(t, os.IsNotExist(err), "nothing written for an unknown person")
}
