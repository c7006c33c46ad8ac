package sandbox

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// BillFault makes every bill the sandbox serves come out wrong in one way,
// so a client's (and a reconciliation's) refusal can be tried against the
// real protocols. Set it in the config (scenarios.bill_fault) or at run
// time with Server.SetBillFault; "" serves bills as they are.
type BillFault string

const (
	BillAsIs BillFault = ""
	// BillNotReady: WeChat "No Bill Exist", Alipay isp.bill_not_exist,
	// Cloud Pay an empty order list.
	BillNotReady BillFault = "not_ready"
	// BillTruncated: WeChat's text without its summary, Alipay's detail
	// file without its trailer, Cloud Pay's list one row short of its
	// total_count.
	BillTruncated BillFault = "truncated"
	// BillDuplicateRow: the first row twice, counted twice by the bill's
	// own summary / trailer / total_count (as a channel that listed it
	// twice would).
	BillDuplicateRow BillFault = "duplicate_row"
	// BillShuffledColumns: the columns of WeChat's and Alipay's table in
	// reverse order (Cloud Pay's JSON has no order).
	BillShuffledColumns BillFault = "shuffled_columns"
	// BillMissingColumn: WeChat's and Alipay's table without 商户订单号.
	BillMissingColumn BillFault = "missing_column"
	// BillWrongEncoding: WeChat's text in GBK, Alipay's files in UTF-8.
	BillWrongEncoding BillFault = "wrong_encoding"
	// BillForeignMerchant: another merchant's numbers (WeChat 商户号 and
	// 特约商户号, Alipay #账号, Cloud Pay out_sub_mch_id).
	BillForeignMerchant BillFault = "foreign_merchant"
)

// BillFaults lists the faults, for the config check and the docs.
var BillFaults = []BillFault{BillNotReady, BillTruncated, BillDuplicateRow, BillShuffledColumns, BillMissingColumn,
	BillWrongEncoding, BillForeignMerchant}

func validBillFault(f BillFault) bool {
	if f == BillAsIs {
		return true
	}
	for _, k := range BillFaults {
		if k == f {
			return true
		}
	}
	return false
}

// SetBillFault makes the bills served from now on come out with f
// (BillAsIs: as they are). An unknown fault is ignored.
func (s *Server) SetBillFault(f BillFault) {
	if validBillFault(f) {
		s.billFault.Store(f)
	}
}

// BillFault is the fault bills are served with now.
func (s *Server) BillFault() BillFault {
	if f, ok := s.billFault.Load().(BillFault); ok {
		return f
	}
	return BillAsIs
}

// foreign stands for another merchant's numbers.
const foreignID = "1999999999"

// faultTable rewrites a table of comma-separated rows: head is the
// header's index among lines, rows the indexes of its data rows. split and
// join take a row apart and back (WeChat's rows prefix every field with a
// back-tick).
func faultTable(lines []string, head int, rows []int, f BillFault, split func(string) []string, join func([]string) string) []string {
	header := strings.Split(lines[head], ",")
	order := make([]int, 0, len(header))
	for i := range header {
		switch {
		case f == BillShuffledColumns:
			order = append(order, len(header)-1-i)
		case f == BillMissingColumn && strings.TrimSpace(header[i]) == "商户订单号":
		default:
			order = append(order, i)
		}
	}
	pick := func(fields []string) []string {
		out := make([]string, 0, len(order))
		for _, j := range order {
			if j < len(fields) {
				out = append(out, fields[j])
			}
		}
		return out
	}
	lines[head] = strings.Join(pick(header), ",")
	for _, r := range rows {
		lines[r] = join(pick(split(lines[r])))
	}
	return lines
}

// faultWeChatBill rewrites a downloadbill text (header, rows, summary
// header, summary row, each ending \r\n).
func faultWeChatBill(body []byte, f BillFault) []byte {
	lines := strings.Split(strings.TrimSuffix(string(body), "\r\n"), "\r\n")
	n := len(lines) - 3 // data rows
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i + 1
	}
	split := func(l string) []string { return strings.Split(strings.TrimPrefix(l, "`"), ",`") }
	join := func(f []string) string { return "`" + strings.Join(f, ",`") }
	switch f {
	case BillTruncated:
		lines = lines[:len(lines)-2]
	case BillDuplicateRow:
		lines = append(lines[:2], lines[1:]...)
		sum := split(lines[len(lines)-1])
		if c, err := strconv.Atoi(sum[0]); err == nil {
			sum[0] = strconv.Itoa(c + 1)
		}
		lines[len(lines)-1] = join(sum)
	case BillShuffledColumns, BillMissingColumn:
		lines = faultTable(lines, 0, rows, f, split, join)
	case BillForeignMerchant:
		header := strings.Split(lines[0], ",")
		for _, r := range rows {
			fields := split(lines[r])
			for i, h := range header {
				if (h == "商户号" || h == "特约商户号") && i < len(fields) {
					fields[i] = foreignID
				}
			}
			lines[r] = join(fields)
		}
	}
	out := strings.Join(lines, "\r\n") + "\r\n"
	if f == BillWrongEncoding {
		if gbk, err := simplifiedchinese.GBK.NewEncoder().String(out); err == nil {
			return []byte(gbk)
		}
	}
	return []byte(out)
}

// faultAlipayDetail rewrites the 业务明细 CSV (comment lines, the header,
// rows, comment lines with the trailer).
func faultAlipayDetail(text string, f BillFault) string {
	lines := strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n")
	head := -1
	var rows []int
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "#"):
		case head < 0:
			head = i
		default:
			rows = append(rows, i)
		}
	}
	if head < 0 {
		return text
	}
	split := func(l string) []string { return strings.Split(l, ",") }
	join := func(f []string) string { return strings.Join(f, ",") }
	switch f {
	case BillTruncated:
		// cut in the middle of the table: no end line, no trailer
		lines = lines[:head+1+len(rows)/2]
	case BillDuplicateRow:
		if len(rows) > 0 {
			first := rows[0]
			lines = append(lines[:first+1], lines[first:]...)
			for i, l := range lines {
				if strings.HasPrefix(l, "#交易合计：") {
					lines[i] = bumpTrailer(l, strings.Contains(lines[first], ",退款,"))
				}
			}
		}
	case BillShuffledColumns, BillMissingColumn:
		lines = faultTable(lines, head, rows, f, split, join)
	case BillForeignMerchant:
		for i, l := range lines {
			if strings.HasPrefix(l, "#账号：") {
				lines[i] = "#账号：[2021" + foreignID + "99]"
			}
		}
	}
	return strings.Join(lines, "\r\n") + "\r\n"
}

// bumpTrailer counts one more trade (or refund) in "#交易合计：N笔，退款合计：M笔".
func bumpTrailer(l string, refund bool) string {
	var n, m int
	if _, err := fmt.Sscanf(l, "#交易合计：%d笔，退款合计：%d笔", &n, &m); err != nil {
		return l
	}
	if refund {
		m++
	} else {
		n++
	}
	return "#交易合计：" + strconv.Itoa(n) + "笔，退款合计：" + strconv.Itoa(m) + "笔"
}
