package wechat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"cashier/app"
	"cashier/sync/channel"
)

// DownloadBill implements app.PaymentChannel: /pay/downloadbill with
// bill_type=ALL for the sub-merchant. The bill is plain text: a header,
// detail rows with every field prefixed by a back-tick, then a summary
// header and a summary row; amounts in yuan. Columns are read by header
// name, so both the older (子商户号/总金额) and newer (特约商户号/应结订单金额/
// 订单金额) layouts work. A bill is not signed; it is checked for shape and
// for its own row count instead.
func (c *Client) DownloadBill(ctx context.Context, day time.Time) (app.Bill, error) {
	if day.IsZero() {
		return app.Bill{}, app.NotSent("缺少账单日期 / the bill date is required")
	}
	d := day.In(channel.Beijing)
	s := callSpec{what: "/pay/downloadbill", params: map[string]string{
		"bill_date": d.Format("20060102"),
		"bill_type": "ALL",
	}}
	body, err := c.prepare(&s)
	if err != nil {
		return app.Bill{}, err
	}
	raw, err := c.send(ctx, &s, body, channel.MaxBill)
	if err != nil {
		return app.Bill{}, fmt.Errorf("下载微信支付账单失败 / downloading the WeChat bill failed: %w", err)
	}
	trimmed := bytes.TrimSpace(raw)
	if bytes.HasPrefix(trimmed, []byte("<xml>")) || bytes.HasPrefix(trimmed, []byte("<?xml")) {
		p, err := decodeXML(trimmed)
		if err != nil {
			return app.Bill{}, errors.New("微信支付账单应答无法解析 / WeChat's bill answer cannot be read")
		}
		msg := c.redact(p["return_msg"])
		if strings.Contains(strings.ToLower(msg), "no bill exist") || p["error_code"] == "20002" {
			return app.Bill{}, fmt.Errorf("%w: %s", channel.ErrNoBill, msg)
		}
		return app.Bill{}, fmt.Errorf("微信支付拒绝下载账单 / WeChat refused the bill download: %s", msg)
	}
	bill, err := parseBill(raw, c.ownRow)
	if err != nil {
		return app.Bill{}, err
	}
	bill.Date = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, channel.Beijing)
	return bill, nil
}

// ownRow refuses a row of another merchant: a bill that is not ours must
// not be matched against our records (the 商户号 is the service
// provider's, the 特约商户号 this sub-merchant's).
func (c *Client) ownRow(mch, sub string) error {
	if (mch != "" && mch != c.cfg.MchID) || (sub != "" && c.cfg.SubMchID != "" && sub != c.cfg.SubMchID) {
		return fmt.Errorf("微信支付账单属于另一个商户（商户号 %s，特约商户号 %s；本机为 %s / %s）/ the WeChat bill is another merchant's (mch_id %s, sub_mch_id %s; ours %s / %s)",
			mch, sub, c.cfg.MchID, c.cfg.SubMchID, mch, sub, c.cfg.MchID, c.cfg.SubMchID)
	}
	return nil
}

// ParseBill reads a WeChat downloadbill text (UTF-8, optional BOM).
func ParseBill(raw []byte) (app.Bill, error) { return parseBill(raw, nil) }

// billNeeds are the columns a bill cannot be read without, each with the
// names it goes by in the layouts WeChat has used.
var billNeeds = [][]string{{"交易时间"}, {"微信订单号"}, {"商户订单号"}, {"交易状态"}, {"订单金额", "应结订单金额", "总金额"}}

// parseBill reads the bill; own, when set, is asked about every row's
// 商户号 and 特约商户号.
func parseBill(raw []byte, own func(mch, sub string) error) (app.Bill, error) {
	if !utf8.Valid(raw) {
		return app.Bill{}, errors.New("微信支付账单不是UTF-8文本（编码不对）/ the WeChat bill is not UTF-8 text (wrong encoding)")
	}
	text := strings.TrimPrefix(string(raw), "\ufeff")
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimRight(l, "\r")
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("微信支付账单格式不对 / the WeChat bill is malformed: "+format, a...)
	}
	if len(lines) < 3 {
		return app.Bill{}, bad("only %d lines: a header, rows and the summary are needed (truncated bill?)", len(lines))
	}
	header := splitHeader(lines[0])
	col := func(names ...string) int {
		for _, n := range names {
			for i, h := range header {
				if h == n {
					return i
				}
			}
		}
		return -1
	}
	var missing []string
	for _, names := range billNeeds {
		if col(names...) < 0 {
			missing = append(missing, strings.Join(names, "/"))
		}
	}
	if len(missing) > 0 {
		return app.Bill{}, fmt.Errorf("微信支付账单缺少必需的列：%s（或不是微信支付账单）/ the WeChat bill lacks the column(s) %s (or is not a WeChat bill)",
			strings.Join(missing, "、"), strings.Join(missing, ", "))
	}
	cTime, cTx, cOut, cState := col("交易时间"), col("微信订单号"), col("商户订单号"), col("交易状态")
	cAmount := col("订单金额", "应结订单金额", "总金额")
	cRefundID, cOutRefund := col("微信退款单号"), col("商户退款单号")
	cRefund := col("申请退款金额", "退款金额")
	cFee := col("手续费")
	cMch, cSub := col("商户号"), col("特约商户号", "子商户号")
	bill := app.Bill{Channel: app.ChannelWeChat}
	row := make([]string, 0, len(header)) // one row's fields, reused: a 100,000-row bill made 40 MB of them
	i := 1
	for ; i < len(lines) && !strings.HasPrefix(lines[i], "总交易单数"); i++ {
		f, err := splitRowInto(row[:0], lines[i])
		row = f
		if err != nil || len(f) != len(header) {
			return app.Bill{}, bad("row %d has %d fields, header has %d", i+1, len(f), len(header))
		}
		if own != nil {
			mch, sub := "", ""
			if cMch >= 0 {
				mch = f[cMch]
			}
			if cSub >= 0 {
				sub = f[cSub]
			}
			if err := own(mch, sub); err != nil {
				return app.Bill{}, err
			}
		}
		at, err := time.ParseInLocation("2006-01-02 15:04:05", f[cTime], channel.Beijing)
		if err != nil {
			return app.Bill{}, bad("row %d: time %q", i+1, f[cTime])
		}
		amt, err := channel.ParseYuan(f[cAmount])
		if err != nil {
			return app.Bill{}, bad("row %d: amount %q", i+1, f[cAmount])
		}
		line := app.BillLine{Time: at, OutTradeNo: f[cOut], TransactionID: f[cTx], Status: f[cState], Amount: amt}
		if cRefundID >= 0 && f[cRefundID] != "0" {
			line.RefundID = f[cRefundID]
		}
		if cOutRefund >= 0 && f[cOutRefund] != "0" {
			line.OutRefundNo = f[cOutRefund]
		}
		if cRefund >= 0 && f[cRefund] != "" {
			if line.RefundAmount, err = channel.ParseYuan(f[cRefund]); err != nil {
				return app.Bill{}, bad("row %d: refund amount %q", i+1, f[cRefund])
			}
		}
		if cFee >= 0 && f[cFee] != "" {
			if line.Fee, err = channel.ParseFeeYuan(f[cFee]); err != nil {
				return app.Bill{}, bad("row %d: fee %q", i+1, f[cFee])
			}
		}
		bill.Lines = append(bill.Lines, line)
	}
	if i+1 >= len(lines) {
		return app.Bill{}, bad("the summary is missing (truncated bill?)")
	}
	sumHeader := splitHeader(lines[i])
	sum, err := splitRow(lines[i+1])
	if err != nil || len(sum) != len(sumHeader) {
		return app.Bill{}, bad("summary row does not match its header")
	}
	if i+2 != len(lines) {
		return app.Bill{}, bad("unexpected lines after the summary")
	}
	get := func(names ...string) (string, bool) {
		for _, n := range names {
			for k, h := range sumHeader {
				if h == n {
					return sum[k], true
				}
			}
		}
		return "", false
	}
	countText, ok := get("总交易单数")
	count, err := strconv.Atoi(countText)
	if !ok || err != nil || count < 0 {
		return app.Bill{}, bad("summary count %q", countText)
	}
	totalText, ok := get("订单总金额", "应结订单总金额", "总交易额")
	if !ok {
		return app.Bill{}, bad("summary lacks the total")
	}
	if bill.Total, err = channel.ParseTotalYuan(totalText); err != nil {
		return app.Bill{}, bad("summary total %q", totalText)
	}
	bill.Count = count
	if count != len(bill.Lines) {
		return app.Bill{}, bad("summary says %d rows but the bill has %d (truncated bill?)", count, len(bill.Lines))
	}
	return bill, nil
}

func splitHeader(l string) []string {
	f := strings.Split(l, ",")
	for i := range f {
		f[i] = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(f[i]), "`"))
	}
	return f
}

// splitRowInto is splitRow appending to dst.
func splitRowInto(dst []string, l string) ([]string, error) {
	if !strings.HasPrefix(l, "`") {
		return nil, errors.New("row does not start with a back-tick")
	}
	rest := l[1:]
	for {
		f, after, found := strings.Cut(rest, ",`")
		dst = append(dst, strings.TrimSpace(f))
		if !found {
			return dst, nil
		}
		rest = after
	}
}

// splitRow splits a data row whose every field starts with a back-tick.
// Splitting on ",`" keeps commas inside a field (product names) intact.
func splitRow(l string) ([]string, error) {
	if !strings.HasPrefix(l, "`") {
		return nil, errors.New("row does not start with a back-tick")
	}
	f := strings.Split(l[1:], ",`")
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	return f, nil
}
