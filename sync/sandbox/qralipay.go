package sandbox

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"cashier/app"
)

// aliTradePrecreate serves alipay.trade.precreate: the answer is the
// qr_code the customer scans. As on Alipay, no trade exists until the
// scan: before it, trade.query and trade.close answer ACQ.TRADE_NOT_EXIST
// (trade.cancel records the number closed, so the code can no longer be
// paid). The expiry is time_expire, else qr_code_timeout_express, else
// timeout_express (both counted from the request here; Alipay counts
// timeout_express from the scan), else two hours.
func (s *Server) aliTradePrecreate(c *alipayCall) (alipayFields, Scenario) {
	outTradeNo := c.str("out_trade_no")
	if outTradeNo == "" || len(outTradeNo) > 64 {
		return aliBiz("ACQ.INVALID_PARAMETER", "参数无效: out_trade_no"), ""
	}
	if c.str("subject") == "" {
		return aliBiz("ACQ.INVALID_PARAMETER", "参数无效: subject"), ""
	}
	amount, err := parseYuan(c.str("total_amount"))
	if err != nil {
		return aliBiz("ACQ.INVALID_PARAMETER", "参数无效: total_amount"), ""
	}
	if u := c.str("undiscountable_amount"); u != "" {
		if ua, err := parseYuanAllowZero(u); err != nil || ua > amount {
			return aliBiz("ACQ.INVALID_PARAMETER", "参数无效: undiscountable_amount"), ""
		}
	}
	now := s.ledger.now()
	expires := now.Add(qrDefaultExpiry)
	switch {
	case c.str("time_expire") != "":
		t, err := time.ParseInLocation("2006-01-02 15:04:05", c.str("time_expire"), beijing)
		if err != nil || t.After(now.Add(15*24*time.Hour)) {
			return aliBiz("ACQ.INVALID_PARAMETER", "参数无效: time_expire须为yyyy-MM-dd HH:mm:ss，1m~15d"), ""
		}
		expires = t
	case c.str("qr_code_timeout_express") != "" || c.str("timeout_express") != "":
		v := c.str("qr_code_timeout_express")
		if v == "" {
			v = c.str("timeout_express")
		}
		d, ok := aliTimeout(v, now)
		if !ok {
			return aliBiz("ACQ.INVALID_PARAMETER", "参数无效: timeout_express取值范围1m～15d"), ""
		}
		expires = now.Add(d)
	}
	o, res := s.ledger.precreate(qrIn{
		Channel: app.ChannelAlipay, Merchant: c.app.AppID, OutTradeNo: outTradeNo, Amount: amount,
		Subject: c.str("subject"), Store: c.str("store_id"), Terminal: c.str("terminal_id"), Staff: c.str("operator_id"),
		ExpiresAt: expires, TxnPrefix: "{date}2200", CodeURL: "https://qr.alipay.com/bax" + strings.ToLower(nonce(21)),
		Fingerprint: fmt.Sprint(amount, "|", c.str("subject"), "|", c.str("undiscountable_amount"), "|", c.str("time_expire"),
			"|", c.str("qr_code_timeout_express"), "|", c.str("timeout_express"), "|precreate"),
	})
	switch res {
	case qrNew, qrSame:
		return aliOK(alipayFields{"out_trade_no": o.OutTradeNo, "qr_code": o.CodeURL}), ""
	case qrPaid:
		return aliBiz("ACQ.TRADE_HAS_SUCCESS", "交易已被支付"), ""
	case qrClosed:
		return aliBiz("ACQ.TRADE_HAS_CLOSE", "交易已经关闭"), ""
	case qrTooShort:
		return aliBiz("ACQ.INVALID_PARAMETER", "参数无效: 订单有效期须至少1分钟"), ""
	}
	return aliBiz("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改"), ""
}

var aliTimeoutRE = regexp.MustCompile(`^([1-9][0-9]{0,5})([mhd])$`)

// aliTimeout reads timeout_express: 1m～15d in m, h or d; 1c is "until
// midnight" (Beijing).
func aliTimeout(v string, now time.Time) (time.Duration, bool) {
	if v == "1c" {
		return startOfDay(now).Add(24 * time.Hour).Sub(now), true
	}
	m := aliTimeoutRE.FindStringSubmatch(v)
	if m == nil {
		return 0, false
	}
	n, _ := strconv.Atoi(m[1])
	unit := map[string]time.Duration{"m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[m[2]]
	d := time.Duration(n) * unit
	return d, d <= 15*24*time.Hour
}

// aliTradeClose serves alipay.trade.close: it closes a trade the
// customer has not paid. A precreated code nobody scanned is no trade
// yet (ACQ.TRADE_NOT_EXIST, and it can still be paid later), a paid one
// cannot be closed (ACQ.TRADE_STATUS_ERROR): which is why a cashier's
// cancel of a QR is alipay.trade.cancel.
func (s *Server) aliTradeClose(c *alipayCall) (alipayFields, Scenario) {
	no, txn := c.str("out_trade_no"), c.str("trade_no")
	if no == "" && txn == "" {
		return aliBiz("ACQ.INVALID_PARAMETER", "参数无效: out_trade_no和trade_no不能同时为空"), ""
	}
	o, ok := s.aliFindTrade(c)
	if !ok || o.Placeholder {
		return aliBiz("ACQ.TRADE_NOT_EXIST", "交易不存在"), ""
	}
	o, res := s.ledger.closeOrder(app.ChannelAlipay, c.app.AppID, "", o.OutTradeNo)
	switch res {
	case qrCloseDone:
		return aliOK(alipayFields{"trade_no": o.TransactionID, "out_trade_no": o.OutTradeNo}), ""
	case qrCloseNotFound:
		return aliBiz("ACQ.TRADE_NOT_EXIST", "交易不存在"), ""
	}
	return aliBiz("ACQ.TRADE_STATUS_ERROR", "交易状态不合法"), ""
}
