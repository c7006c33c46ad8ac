package alipay

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"cashier/app"
	"cashier/sync/channel"
)

const methodBillURL = "alipay.data.dataservice.bill.downloadurl.query"

// maxUnzipped bounds what a bill archive may expand to.
const maxUnzipped = 256 << 20

type billURLBiz struct {
	BillType string `json:"bill_type"`
	BillDate string `json:"bill_date"`
}

type billURLResp struct {
	common
	BillDownloadURL string `json:"bill_download_url"`
}

// DownloadBill implements app.PaymentChannel: asks
// alipay.data.dataservice.bill.downloadurl.query for the day's trade bill
// (a signed answer), fetches the zip it points to, and reads the GBK CSV
// detail file inside (lines starting with '#' are comments; the trailer
// "#交易合计：N笔，退款合计：M笔" gives the row count that is checked).
func (c *Client) DownloadBill(ctx context.Context, day time.Time) (app.Bill, error) {
	if day.IsZero() {
		return app.Bill{}, app.NotSent("缺少账单日期 / the bill date is required")
	}
	d := day.In(channel.Beijing)
	var out billURLResp
	bad, err := c.call(ctx, methodBillURL, billURLBiz{BillType: "trade", BillDate: d.Format("2006-01-02")}, "bill "+d.Format("2006-01-02"), &out)
	if err != nil {
		return app.Bill{}, err
	}
	if bad != nil {
		return app.Bill{}, fmt.Errorf("支付宝账单地址应答不可信 / the Alipay bill URL answer cannot be used: %s", bad.Message)
	}
	if out.Code != codeSuccess {
		if strings.Contains(out.SubCode, "bill_not_exist") {
			return app.Bill{}, fmt.Errorf("%w: %s", channel.ErrNoBill, out.SubMsg)
		}
		res := c.result(app.OutcomeFailed, &out.common)
		return app.Bill{}, fmt.Errorf("支付宝拒绝提供账单 / Alipay refused the bill: %s %s", res.Code, res.Message)
	}
	if _, err := channel.CheckBaseURL("bill_download_url", stripQuery(out.BillDownloadURL)); err != nil {
		return app.Bill{}, fmt.Errorf("支付宝账单地址无效 / the Alipay bill URL is not a web address")
	}
	req, err := http.NewRequest(http.MethodGet, out.BillDownloadURL, nil)
	if err != nil {
		return app.Bill{}, fmt.Errorf("支付宝账单地址无效 / the Alipay bill URL is not a web address")
	}
	data, err := channel.Exchange(ctx, c.hc, req, channel.MaxBill)
	if err != nil {
		return app.Bill{}, fmt.Errorf("下载支付宝账单失败 / downloading the Alipay bill failed: %w", err)
	}
	bill, head, err := parseBillZip(data)
	if err != nil {
		return app.Bill{}, err
	}
	if err := c.ownBill(head, d); err != nil {
		return app.Bill{}, err
	}
	bill.Date = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, channel.Beijing)
	return bill, nil
}

// billHead is what the detail file's comment lines say of it.
type billHead struct {
	account string // #账号：[…]
	start   string // #起始日期：[2026年11月21日 00:00:00]
}

var (
	accountRe = regexp.MustCompile(`^#\s*账号[:：]\s*\[([^\]]*)\]`)
	startRe   = regexp.MustCompile(`起始日期[:：]\s*\[(\d{4})年(\d{2})月(\d{2})日`)
)

// ownBill refuses a bill that says it is another account's or another
// day's. The account is this app's id, or Alipay's partner id (2088…,
// which real bills name and this client is not told): the signed answer
// that gave the URL was for this app, so a partner id is taken as ours.
func (c *Client) ownBill(h billHead, day time.Time) error {
	if a := h.account; a != "" && a != c.cfg.AppID && !strings.HasPrefix(a, "2088") {
		return fmt.Errorf("支付宝账单属于另一个账号（%s，本机应用为 %s）/ the Alipay bill is another account's (%s; our app is %s)", a, c.cfg.AppID, a, c.cfg.AppID)
	}
	if h.start != "" && h.start != day.Format("20060102") {
		return fmt.Errorf("支付宝账单是另一天的（%s，要的是 %s）/ the Alipay bill is another day's (%s, not %s)", h.start, day.Format("20060102"), h.start, day.Format("20060102"))
	}
	return nil
}

func stripQuery(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		return u[:i]
	}
	return u
}

// ParseBillZip reads Alipay's bill archive: the detail CSV (the file whose
// header starts with 支付宝交易号) and, when present, the summary CSV
// (汇总) whose 合计 row gives the total.
func ParseBillZip(data []byte) (app.Bill, error) {
	b, _, err := parseBillZip(data)
	return b, err
}

func parseBillZip(data []byte) (app.Bill, billHead, error) {
	var head billHead
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return app.Bill{}, head, errors.New("支付宝账单不是有效的zip文件（下载不完整？）/ the Alipay bill is not a valid zip file (cut short?)")
	}
	var detail, summary string
	var budget int64 = maxUnzipped
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return app.Bill{}, head, fmt.Errorf("支付宝账单压缩包损坏 / the Alipay bill archive is damaged: %v", err)
		}
		raw, err := io.ReadAll(io.LimitReader(rc, budget+1))
		rc.Close()
		if err != nil {
			return app.Bill{}, head, fmt.Errorf("支付宝账单压缩包损坏 / the Alipay bill archive is damaged: %v", err)
		}
		budget -= int64(len(raw))
		if budget < 0 {
			return app.Bill{}, head, errors.New("支付宝账单解压后过大 / the Alipay bill expands to more than allowed")
		}
		text, err := decodeGBK(raw)
		if err != nil {
			return app.Bill{}, head, err
		}
		s := string(text)
		switch {
		case strings.Contains(s, "支付宝交易号"):
			if detail != "" {
				return app.Bill{}, head, errors.New("支付宝账单含有多个明细文件 / the Alipay bill archive holds more than one detail file")
			}
			detail = s
		case strings.Contains(s, "合计"):
			summary = s
		}
	}
	if detail == "" {
		return app.Bill{}, head, errors.New("支付宝账单中没有业务明细 / the Alipay bill archive has no detail file")
	}
	for _, l := range strings.SplitN(detail, "\n", 8) {
		if m := accountRe.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			head.account = strings.TrimSpace(m[1])
		}
		if m := startRe.FindStringSubmatch(l); m != nil {
			head.start = m[1] + m[2] + m[3]
		}
	}
	bill, err := parseDetail(detail)
	if err != nil {
		return app.Bill{}, head, err
	}
	if summary != "" {
		total, err := parseSummaryTotal(summary)
		if err != nil {
			return app.Bill{}, head, err
		}
		bill.Total = total
	}
	return bill, head, nil
}

// decodeGBK reads a bill file as Alipay writes it. A file that is UTF-8
// (Chinese text that is valid UTF-8 is never valid GBK for long) or holds
// bytes GBK does not have is refused: decoded anyway it would only be
// garbled column names.
func decodeGBK(raw []byte) ([]byte, error) {
	if bytes.HasPrefix(raw, []byte("\xef\xbb\xbf")) || (utf8.Valid(raw) && !isASCII(raw)) {
		return nil, errors.New("支付宝账单不是GBK编码（是UTF-8）/ the Alipay bill is not GBK text (it is UTF-8)")
	}
	text, err := simplifiedchinese.GBK.NewDecoder().Bytes(raw)
	if err != nil || bytes.ContainsRune(text, utf8.RuneError) {
		return nil, errors.New("支付宝账单不是GBK编码 / the Alipay bill is not GBK text")
	}
	return text, nil
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

var trailerRe = regexp.MustCompile(`交易合计[:：]\s*(\d+)\s*笔.*?退款合计[:：]\s*(\d+)\s*笔`)

func billErr(format string, a ...any) error {
	return fmt.Errorf("支付宝账单格式不对 / the Alipay bill is malformed: "+format, a...)
}

func parseDetail(text string) (app.Bill, error) {
	bill := app.Bill{Channel: app.ChannelAlipay}
	count := -1
	var rows []string
	for _, l := range strings.Split(strings.TrimPrefix(text, "\ufeff"), "\n") {
		l = strings.TrimRight(l, "\r")
		if strings.HasPrefix(l, "#") {
			if m := trailerRe.FindStringSubmatch(l); m != nil {
				a, _ := strconv.Atoi(m[1])
				b, _ := strconv.Atoi(m[2])
				count = a + b
			}
			continue
		}
		if strings.TrimSpace(l) != "" {
			rows = append(rows, l)
		}
	}
	if len(rows) == 0 {
		return bill, billErr("no header")
	}
	r := csv.NewReader(strings.NewReader(strings.Join(rows, "\n")))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	records, err := r.ReadAll()
	if err != nil {
		return bill, billErr("%v", err)
	}
	header := trimAll(records[0])
	col := func(prefix string) int {
		for i, h := range header {
			if strings.HasPrefix(h, prefix) {
				return i
			}
		}
		return -1
	}
	cTradeNo, cOut, cType := col("支付宝交易号"), col("商户订单号"), col("业务类型")
	cDone, cCreated := col("完成时间"), col("创建时间")
	cAmount, cReceived, cRefundNo, cFee := col("订单金额"), col("商家实收"), col("退款批次号"), col("服务费")
	var missing []string
	for _, c := range []struct {
		at   int
		name string
	}{{cTradeNo, "支付宝交易号"}, {cOut, "商户订单号"}, {cType, "业务类型"}, {cAmount, "订单金额"}, {max(cDone, cCreated), "完成时间"}} {
		if c.at < 0 {
			missing = append(missing, c.name)
		}
	}
	if len(missing) > 0 {
		return bill, fmt.Errorf("支付宝账单缺少必需的列：%s / the Alipay bill lacks the column(s) %s",
			strings.Join(missing, "、"), strings.Join(missing, ", "))
	}
	if count < 0 {
		return bill, billErr("the trailer #交易合计…退款合计… is missing (truncated bill?)")
	}
	for i, rec := range records[1:] {
		f := trimAll(rec)
		if len(f) != len(header) {
			return bill, billErr("row %d has %d fields, header has %d", i+2, len(f), len(header))
		}
		when := ""
		if cDone >= 0 {
			when = f[cDone]
		}
		if when == "" && cCreated >= 0 {
			when = f[cCreated]
		}
		at, err := time.ParseInLocation("2006-01-02 15:04:05", when, channel.Beijing)
		if err != nil {
			return bill, billErr("row %d: time %q", i+2, when)
		}
		amt, err := channel.ParseSignedYuan(f[cAmount])
		if err != nil {
			return bill, billErr("row %d: amount %q", i+2, f[cAmount])
		}
		if amt < 0 {
			amt = -amt
		}
		line := app.BillLine{Time: at, OutTradeNo: f[cOut], TransactionID: f[cTradeNo]}
		switch f[cType] {
		case "交易":
			line.Status, line.Amount = "SUCCESS", amt
		case "退款":
			// 订单金额 is the original order's amount; the money that went
			// back is 商家实收 (negative).
			line.Status, line.Amount, line.RefundAmount = "REFUND", amt, amt
			if cReceived >= 0 && f[cReceived] != "" {
				back, err := channel.ParseSignedYuan(f[cReceived])
				if err != nil {
					return bill, billErr("row %d: received amount %q", i+2, f[cReceived])
				}
				if back < 0 {
					back = -back
				}
				line.RefundAmount = back
			}
			if cRefundNo >= 0 {
				line.OutRefundNo = f[cRefundNo]
			}
		default:
			line.Status, line.Amount = f[cType], amt
		}
		if cFee >= 0 && f[cFee] != "" {
			if line.Fee, err = channel.ParseFeeYuan(f[cFee]); err != nil {
				return bill, billErr("row %d: fee %q", i+2, f[cFee])
			}
		}
		bill.Lines = append(bill.Lines, line)
		if line.Status == "SUCCESS" {
			bill.Total += line.Amount
		}
	}
	if count != len(bill.Lines) {
		return bill, billErr("the trailer says %d rows but the bill has %d (truncated bill?)", count, len(bill.Lines))
	}
	bill.Count = count
	return bill, nil
}

// parseSummaryTotal reads 订单金额 of the 合计 row of the summary CSV.
func parseSummaryTotal(text string) (app.Money, error) {
	var rows []string
	for _, l := range strings.Split(strings.TrimPrefix(text, "\ufeff"), "\n") {
		l = strings.TrimRight(l, "\r")
		if !strings.HasPrefix(l, "#") && strings.TrimSpace(l) != "" {
			rows = append(rows, l)
		}
	}
	r := csv.NewReader(strings.NewReader(strings.Join(rows, "\n")))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	records, err := r.ReadAll()
	if err != nil || len(records) < 2 {
		return 0, billErr("summary file unreadable")
	}
	header := trimAll(records[0])
	cAmount := -1
	for i, h := range header {
		if strings.HasPrefix(h, "订单金额") {
			cAmount = i
		}
	}
	if cAmount < 0 {
		return 0, billErr("summary header lacks 订单金额")
	}
	for _, rec := range records[1:] {
		f := trimAll(rec)
		if len(f) > cAmount && len(f) > 0 && f[0] == "合计" {
			m, err := channel.ParseTotalYuan(f[cAmount])
			if err != nil {
				return 0, billErr("summary total %q", f[cAmount])
			}
			return m, nil
		}
	}
	return 0, billErr("summary has no 合计 row")
}

func trimAll(f []string) []string {
	out := make([]string, len(f))
	for i, s := range f {
		out[i] = strings.TrimSpace(s)
	}
	return out
}
