package sandbox

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"cashier/app"
)

func startOfDay(t time.Time) time.Time {
	t = t.In(beijing)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, beijing)
}

func sameDay(t, day time.Time) bool {
	return !t.IsZero() && startOfDay(t).Equal(startOfDay(day))
}

// feeOf is the sandbox's service fee: 0.6 %, rounded half up to the fen.
func feeOf(m app.Money) app.Money {
	if m < 0 {
		return -feeOf(-m)
	}
	return (m*6 + 500) / 1000
}

const feeRate = "0.60%"

// WeChat bill columns, as the real downloadbill writes them.
var (
	wxColsAll     = []string{"交易时间", "公众账号ID", "商户号", "特约商户号", "设备号", "微信订单号", "商户订单号", "用户标识", "交易类型", "交易状态", "付款银行", "货币种类", "应结订单金额", "代金券金额", "微信退款单号", "商户退款单号", "退款金额", "充值券退款金额", "退款类型", "退款状态", "商品名称", "商户数据包", "手续费", "费率", "订单金额", "申请退款金额", "费率备注"}
	wxColsSuccess = []string{"交易时间", "公众账号ID", "商户号", "特约商户号", "设备号", "微信订单号", "商户订单号", "用户标识", "交易类型", "交易状态", "付款银行", "货币种类", "应结订单金额", "代金券金额", "商品名称", "商户数据包", "手续费", "费率", "订单金额", "费率备注"}
	wxColsRefund  = []string{"交易时间", "公众账号ID", "商户号", "特约商户号", "设备号", "微信订单号", "商户订单号", "用户标识", "交易类型", "交易状态", "付款银行", "货币种类", "应结订单金额", "代金券金额", "退款申请时间", "退款成功时间", "微信退款单号", "商户退款单号", "退款金额", "充值券退款金额", "退款类型", "退款状态", "商品名称", "商户数据包", "手续费", "费率", "订单金额", "申请退款金额", "费率备注"}
	wxSummaryCols = []string{"总交易单数", "应结订单总金额", "退款总金额", "充值券退款总金额", "手续费总金额", "订单总金额", "申请退款总金额"}
)

type billRow struct {
	at     time.Time
	kind   string // SUCCESS, REFUND, REVOKED
	fields map[string]string
	amount app.Money // 应结订单金额 / order amount
	refund app.Money
	fee    app.Money
}

// wechatBillRows collects one day's rows for a merchant: payments (and
// consumed deposits) at their payment time, refunds and reversals of
// charged orders at their time.
func wechatBillRows(l *Ledger, m *WeChatMerchant, sub string, day time.Time) []billRow {
	orders, refunds := l.ordersOf(app.ChannelWeChat, m.MchID, sub, sub == "")
	now := l.now()
	byNo := map[string]*Order{}
	var rows []billRow
	base := func(o *Order, at time.Time, kind string) map[string]string {
		return map[string]string{
			"交易时间": at.In(beijing).Format("2006-01-02 15:04:05"), "公众账号ID": m.AppID, "商户号": m.MchID,
			"特约商户号": o.SubMerchant, "设备号": o.Terminal, "微信订单号": o.TransactionID, "商户订单号": o.OutTradeNo,
			"用户标识": openID(o.AuthCode), "交易类型": wxTradeType(o), "交易状态": kind, "付款银行": "OTHERS", "货币种类": "CNY",
			"代金券金额": "0.00", "商品名称": o.Subject, "商户数据包": "", "费率": feeRate, "费率备注": "",
			"微信退款单号": "0", "商户退款单号": "0", "退款金额": "0.00", "充值券退款金额": "0.00", "申请退款金额": "0.00",
		}
	}
	for i := range orders {
		o := &orders[i]
		byNo[o.OutTradeNo] = o
		paid := o.Amount
		at := o.PaidAt
		if o.Deposit {
			// A deposit reaches the bill when it is consumed, for what was consumed.
			paid, at = o.Consumed, o.EndedAt
		}
		if paid > 0 && sameDay(at, day) && (o.Charged || o.Deposit) {
			f := base(o, at, "SUCCESS")
			fee := feeOf(paid)
			f["应结订单金额"], f["订单金额"], f["手续费"] = paid.Yuan(), paid.Yuan(), fee.Yuan()
			rows = append(rows, billRow{at: at, kind: "SUCCESS", fields: f, amount: paid, fee: fee})
		}
		if o.State == StateReversed && o.Reversed > 0 && !o.Deposit && sameDay(o.EndedAt, day) {
			f := base(o, o.EndedAt, "REVOKED")
			fee := -feeOf(o.Reversed)
			f["应结订单金额"], f["订单金额"], f["手续费"] = "0.00", "0.00", fee.Yuan()
			f["微信退款单号"], f["商户退款单号"] = o.TransactionID, o.OutTradeNo
			f["退款金额"], f["申请退款金额"], f["退款类型"], f["退款状态"] = o.Reversed.Yuan(), o.Reversed.Yuan(), "ORIGINAL", "SUCCESS"
			f["退款申请时间"], f["退款成功时间"] = f["交易时间"], f["交易时间"]
			rows = append(rows, billRow{at: o.EndedAt, kind: "REVOKED", fields: f, refund: o.Reversed, fee: fee})
		}
	}
	for i := range refunds {
		r := &refunds[i]
		o := byNo[r.OutTradeNo]
		if o == nil || !sameDay(r.CreatedAt, day) {
			continue
		}
		f := base(o, r.CreatedAt, "REFUND")
		fee := -feeOf(r.Amount)
		f["应结订单金额"], f["订单金额"], f["手续费"] = "0.00", "0.00", fee.Yuan()
		f["微信退款单号"], f["商户退款单号"] = r.RefundID, r.OutRefundNo
		f["退款金额"], f["申请退款金额"], f["退款类型"] = r.Amount.Yuan(), r.Amount.Yuan(), "ORIGINAL"
		f["退款状态"] = "PROCESSING"
		f["退款申请时间"] = f["交易时间"]
		if r.Done(now) {
			f["退款状态"] = "SUCCESS"
			f["退款成功时间"] = r.DoneAt.In(beijing).Format("2006-01-02 15:04:05")
		}
		rows = append(rows, billRow{at: r.CreatedAt, kind: "REFUND", fields: f, refund: r.Amount, fee: fee})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].at.Before(rows[j].at) })
	return rows
}

// renderWeChatBill renders a downloadbill text: a header line, rows with every
// field prefixed by a back-tick, a summary header and a summary row.
// It returns nil when the day has no rows of that type.
func renderWeChatBill(rows []billRow, billType string) []byte {
	cols := wxColsAll
	switch billType {
	case "SUCCESS":
		cols = wxColsSuccess
	case "REFUND":
		cols = wxColsRefund
	}
	var b bytes.Buffer
	b.WriteString(strings.Join(cols, ","))
	b.WriteString("\r\n")
	var n int
	var amount, refund, fee app.Money
	for _, r := range rows {
		if billType == "SUCCESS" && r.kind != "SUCCESS" || billType == "REFUND" && r.kind == "SUCCESS" {
			continue
		}
		n++
		amount += r.amount
		refund += r.refund
		fee += r.fee
		for i, c := range cols {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('`')
			b.WriteString(strings.NewReplacer(",", "，", "`", "'", "\r", " ", "\n", " ").Replace(r.fields[c]))
		}
		b.WriteString("\r\n")
	}
	if n == 0 {
		return nil
	}
	b.WriteString(strings.Join(wxSummaryCols, ","))
	b.WriteString("\r\n")
	fmt.Fprintf(&b, "`%d,`%s,`%s,`0.00,`%s,`%s,`%s\r\n", n, amount.Yuan(), refund.Yuan(), fee.Yuan(), amount.Yuan(), refund.Yuan())
	return b.Bytes()
}

func (s *Server) wxDownloadBill(c *wechatCtx) wxAnswer {
	p := c.p
	fail := func(msg, code string) wxAnswer {
		return wxAnswer{rawType: "text/xml; charset=utf-8", raw: buildWeChatXML(map[string]string{"return_code": "FAIL", "return_msg": msg, "error_code": code})}
	}
	day, err := time.ParseInLocation("20060102", p["bill_date"], beijing)
	if err != nil {
		return fail("invalid bill_date", "20001")
	}
	bt := p["bill_type"]
	if bt == "" {
		bt = "ALL"
	}
	if bt != "ALL" && bt != "SUCCESS" && bt != "REFUND" {
		return fail("invalid bill_type", "20001")
	}
	if tt := p["tar_type"]; tt != "" && tt != "GZIP" {
		return fail("invalid tar_type", "20001")
	}
	body := renderWeChatBill(wechatBillRows(s.ledger, c.m, p["sub_mch_id"], day), bt)
	fault := s.BillFault()
	if body == nil || fault == BillNotReady {
		return fail("No Bill Exist", "20002")
	}
	if fault != BillAsIs {
		body = faultWeChatBill(body, fault)
	}
	if p["tar_type"] == "GZIP" {
		var z bytes.Buffer
		gw := gzip.NewWriter(&z)
		_, _ = gw.Write(body)
		_ = gw.Close()
		return wxAnswer{rawType: "application/x-gzip", raw: z.Bytes()}
	}
	return wxAnswer{rawType: "text/plain; charset=utf-8", raw: body}
}

// Alipay trade bill (业务明细) columns.
var aliBillCols = []string{"支付宝交易号", "商户订单号", "业务类型", "商品名称", "创建时间", "完成时间", "门店编号", "门店名称", "操作员", "终端号", "对方账户", "订单金额（元）", "商家实收（元）", "支付宝红包（元）", "集分宝（元）", "支付宝优惠（元）", "商家优惠（元）", "券核销金额（元）", "券名称", "商家红包消费金额（元）", "卡消费金额（元）", "退款批次号/请求号", "服务费（元）", "分润（元）", "备注"}

type aliRow struct {
	at       time.Time
	refund   bool
	store    string
	fields   map[string]string
	amount   app.Money // 订单金额
	received app.Money // 商家实收 (negative for refunds)
	fee      app.Money
}

func alipayBillRows(l *Ledger, appID string, day time.Time) []aliRow {
	orders, refunds := l.ordersOf(app.ChannelAlipay, appID, "", false)
	now := l.now()
	byNo := map[string]*Order{}
	var rows []aliRow
	tm := func(t time.Time) string { return t.In(beijing).Format("2006-01-02 15:04:05") }
	base := func(o *Order, kind string) map[string]string {
		logon, _ := buyerID(o.AuthCode)
		f := map[string]string{
			"支付宝交易号": o.TransactionID + "\t", "商户订单号": o.OutTradeNo + "\t", "业务类型": kind, "商品名称": o.Subject,
			"创建时间": tm(o.CreatedAt), "门店编号": o.Store, "门店名称": "", "操作员": o.Staff, "终端号": o.Terminal,
			"对方账户": logon, "支付宝红包（元）": "0.00", "集分宝（元）": "0.00", "支付宝优惠（元）": "0.00", "商家优惠（元）": "0.00",
			"券核销金额（元）": "0.00", "券名称": "", "商家红包消费金额（元）": "0.00", "卡消费金额（元）": "0.00",
			"退款批次号/请求号": "", "分润（元）": "0.00", "备注": "",
		}
		return f
	}
	for i := range orders {
		o := &orders[i]
		byNo[o.OutTradeNo] = o
		if o.Deposit || o.Placeholder {
			continue
		}
		if (o.Charged || o.Parent != "") && sameDay(o.PaidAt, day) && !o.PaidAt.After(now) {
			f := base(o, "交易")
			fee := feeOf(o.Amount)
			f["完成时间"] = tm(o.PaidAt)
			f["订单金额（元）"], f["商家实收（元）"], f["服务费（元）"] = o.Amount.Yuan(), o.Amount.Yuan(), (-fee).Yuan()
			rows = append(rows, aliRow{at: o.PaidAt, store: o.Store, fields: f, amount: o.Amount, received: o.Amount, fee: -fee})
		}
		if o.State == StateReversed && o.Reversed > 0 && sameDay(o.EndedAt, day) {
			f := base(o, "退款")
			fee := feeOf(o.Reversed)
			f["完成时间"] = tm(o.EndedAt)
			f["订单金额（元）"], f["商家实收（元）"], f["服务费（元）"] = o.Amount.Yuan(), (-o.Reversed).Yuan(), fee.Yuan()
			f["退款批次号/请求号"] = o.OutTradeNo + "\t"
			f["备注"] = "撤销"
			rows = append(rows, aliRow{at: o.EndedAt, refund: true, store: o.Store, fields: f, amount: o.Amount, received: -o.Reversed, fee: fee})
		}
	}
	for i := range refunds {
		r := &refunds[i]
		o := byNo[r.OutTradeNo]
		if o == nil || !sameDay(r.CreatedAt, day) {
			continue
		}
		f := base(o, "退款")
		fee := feeOf(r.Amount)
		f["完成时间"] = tm(r.CreatedAt)
		f["订单金额（元）"], f["商家实收（元）"], f["服务费（元）"] = o.Amount.Yuan(), (-r.Amount).Yuan(), fee.Yuan()
		f["退款批次号/请求号"] = strings.TrimPrefix(r.OutRefundNo, "trade:") + "\t"
		rows = append(rows, aliRow{at: r.CreatedAt, refund: true, store: o.Store, fields: f, amount: o.Amount, received: -r.Amount, fee: fee})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].at.Before(rows[j].at) })
	return rows
}

func cnDate(t time.Time) string { return t.In(beijing).Format("2006年01月02日 15:04:05") }

// renderAlipayBill builds the zip the bill URL serves: the detail CSV and
// the summary CSV, both GBK with '#' comment lines, names in GBK.
func renderAlipayBill(rows []aliRow, appID string, day, now time.Time, fault BillFault) ([]byte, error) {
	date := day.Format("20060102")
	var detail strings.Builder
	detail.WriteString("#支付宝业务明细查询\r\n")
	fmt.Fprintf(&detail, "#账号：[%s]\r\n", appID)
	fmt.Fprintf(&detail, "#起始日期：[%s]   终止日期：[%s]\r\n", cnDate(day), cnDate(day.AddDate(0, 0, 1)))
	detail.WriteString("#-----------------------------------------业务明细列表----------------------------------------\r\n")
	detail.WriteString(strings.Join(aliBillCols, ",") + "\r\n")
	nTrade, nRefund := 0, 0
	type agg struct {
		trades, refunds          int
		amount, received, feeSum app.Money
	}
	stores := map[string]*agg{}
	var storeOrder []string
	total := &agg{}
	for _, r := range rows {
		vals := make([]string, len(aliBillCols))
		for i, c := range aliBillCols {
			vals[i] = strings.NewReplacer(",", "，", "\r", " ", "\n", " ").Replace(r.fields[c])
		}
		detail.WriteString(strings.Join(vals, ",") + "\r\n")
		a := stores[r.store]
		if a == nil {
			a = &agg{}
			stores[r.store] = a
			storeOrder = append(storeOrder, r.store)
		}
		for _, x := range []*agg{a, total} {
			if r.refund {
				x.refunds++
			} else {
				x.trades++
				x.amount += r.amount
			}
			x.received += r.received
			x.feeSum += r.fee
		}
		if r.refund {
			nRefund++
		} else {
			nTrade++
		}
	}
	detail.WriteString("#-----------------------------------------业务明细列表结束------------------------------------\r\n")
	fmt.Fprintf(&detail, "#交易合计：%d笔，退款合计：%d笔\r\n", nTrade, nRefund)
	fmt.Fprintf(&detail, "#导出时间：[%s]\r\n", cnDate(now))

	var sum strings.Builder
	sum.WriteString("#支付宝业务汇总查询\r\n")
	fmt.Fprintf(&sum, "#账号：[%s]\r\n", appID)
	fmt.Fprintf(&sum, "#起始日期：[%s]   终止日期：[%s]\r\n", cnDate(day), cnDate(day.AddDate(0, 0, 1)))
	sum.WriteString("#-----------------------------------------业务汇总列表----------------------------------------\r\n")
	sum.WriteString("门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）\r\n")
	line := func(store, name string, a *agg) {
		fmt.Fprintf(&sum, "%s,%s,%d,%d,%s,%s,0.00,0.00,0.00,%s,0.00,%s\r\n", store, name, a.trades, a.refunds,
			a.amount.Yuan(), a.received.Yuan(), a.feeSum.Yuan(), (a.received + a.feeSum).Yuan())
	}
	for _, st := range storeOrder {
		line(st, "", stores[st])
	}
	line("合计", "", total)
	sum.WriteString("#-----------------------------------------业务汇总列表结束------------------------------------\r\n")
	fmt.Fprintf(&sum, "#导出时间：[%s]\r\n", cnDate(now))

	detailText := detail.String()
	if fault != BillAsIs {
		detailText = faultAlipayDetail(detailText, fault)
	}
	gbk := simplifiedchinese.GBK.NewEncoder()
	var z bytes.Buffer
	zw := zip.NewWriter(&z)
	for _, f := range []struct{ name, body string }{
		{appID + "_" + date + "_业务明细.csv", detailText},
		{appID + "_" + date + "_业务明细(汇总).csv", sum.String()},
	} {
		name, err := gbk.String(f.name)
		if err != nil {
			return nil, err
		}
		body, err := gbk.String(f.body)
		if err != nil {
			return nil, err
		}
		if fault == BillWrongEncoding {
			body = f.body
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, NonUTF8: true, Modified: now})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write([]byte(body)); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return z.Bytes(), nil
}

func (s *Server) billToken(kind, id, date string) string {
	m := hmac.New(sha256.New, s.billSecret)
	m.Write([]byte(kind + "\x00" + id + "\x00" + date))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// alipayBillFile serves the URL handed out by bill.downloadurl.query.
func (s *Server) alipayBillFile(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "GET only", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	appID, date := q.Get("userId"), q.Get("bizDates")
	if subtle.ConstantTimeCompare([]byte(q.Get("token")), []byte(s.billToken("alipay", appID, date))) != 1 {
		http.Error(w, "invalid or expired bill url", http.StatusForbidden)
		return
	}
	day, err := time.ParseInLocation("20060102", date, beijing)
	if err != nil {
		http.Error(w, "bad bizDates", http.StatusBadRequest)
		return
	}
	rows := alipayBillRows(s.ledger, appID, day)
	body, err := renderAlipayBill(rows, appID, day, s.ledger.now(), s.BillFault())
	if err != nil {
		http.Error(w, "cannot build the bill", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+appID+"_"+date+`.csv.zip"`)
	_, _ = w.Write(body)
}
