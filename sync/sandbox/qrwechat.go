package sandbox

import (
	"fmt"
	"net/url"
	"time"

	"cashier/app"
)

// wxTradeType is the trade_type WeChat states for an order.
func wxTradeType(o *Order) string {
	if o.QR {
		return "NATIVE"
	}
	return "MICROPAY"
}

// wxUnifiedOrder serves /pay/unifiedorder for trade_type NATIVE (the only
// type a cashier needs; the others refer to a JSAPI page or an app):
// the order waits for the customer to scan code_url. The same number with
// the same parameters gives back the same order and code_url, as WeChat
// documents for a repeat before the order's time_expire.
func (s *Server) wxUnifiedOrder(c *wechatCtx) wxAnswer {
	p := c.p
	for _, k := range []string{"body", "out_trade_no", "total_fee", "spbill_create_ip", "notify_url", "trade_type"} {
		if p[k] == "" {
			return wxErr("LACK_PARAMS", "缺少参数"+k)
		}
	}
	if p["trade_type"] != "NATIVE" {
		return wxErr("PARAM_ERROR", "trade_type参数错误：沙箱只提供NATIVE（扫码支付）")
	}
	if p["product_id"] == "" {
		return wxErr("LACK_PARAMS", "trade_type=NATIVE时，product_id必传")
	}
	amount, ok := parseFen(p["total_fee"])
	if !ok {
		return wxErr("PARAM_ERROR", "total_fee参数错误")
	}
	if len(p["body"]) > 128 || len(p["out_trade_no"]) > 32 || len(p["product_id"]) > 32 {
		return wxErr("PARAM_ERROR", "body、out_trade_no或product_id参数长度有误")
	}
	if ft := p["fee_type"]; ft != "" && ft != "CNY" {
		return wxErr("PARAM_ERROR", "fee_type参数错误")
	}
	if u, err := url.Parse(p["notify_url"]); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return wxErr("PARAM_ERROR", "notify_url参数错误：须为不带参数的http(s)网址")
	}
	now := s.ledger.now()
	expires := now.Add(qrDefaultExpiry)
	if te := p["time_expire"]; te != "" {
		t, err := time.ParseInLocation("20060102150405", te, beijing)
		if err != nil {
			return wxErr("PARAM_ERROR", "time_expire时间格式错误")
		}
		// The code_url itself opens for two hours at most.
		expires = minTime(t, expires)
	}
	o, res := s.ledger.precreate(qrIn{
		Channel: app.ChannelWeChat, Merchant: c.m.MchID, SubMerchant: p["sub_mch_id"], OutTradeNo: p["out_trade_no"],
		Amount: amount, Subject: p["body"], Terminal: p["device_info"], ExpiresAt: expires, TxnPrefix: "4200{date}",
		CodeURL:     "weixin://wxpay/bizpayurl?pr=" + nonce(11),
		Fingerprint: fmt.Sprint(amount, "|", p["body"], "|", p["product_id"], "|", p["time_expire"], "|native"),
	})
	switch res {
	case qrNew, qrSame:
		return wxOK(map[string]string{"trade_type": "NATIVE", "prepay_id": "wx" + o.TransactionID, "code_url": o.CodeURL})
	case qrPaid:
		return wxErr("ORDERPAID", "该订单已支付")
	case qrClosed:
		return wxErr("ORDERCLOSED", "该订单已关闭或已过支付结束时间，请使用新的商户订单号下单")
	case qrTooShort:
		return wxErr("INVALID_REQUEST", "time_expire时间过短，须至少1分钟")
	}
	if !o.QR {
		return wxErr("OUT_TRADE_NO_USED", "商户订单号重复")
	}
	return wxErr("INVALID_REQUEST", "201 商户订单号重复：订单重入时，要求参数值与原请求一致")
}

// wxCloseOrder serves /pay/closeorder: an unpaid order can no longer be
// paid. Its error codes are the documented ones (ORDERPAID, ORDERCLOSED,
// SYSTEMERROR ...) and ORDERNOTEXIST for a number WeChat has not seen.
func (s *Server) wxCloseOrder(c *wechatCtx) wxAnswer {
	no := c.p["out_trade_no"]
	if no == "" {
		return wxErr("LACK_PARAMS", "缺少参数out_trade_no")
	}
	_, res := s.ledger.closeOrder(app.ChannelWeChat, c.m.MchID, c.p["sub_mch_id"], no)
	switch res {
	case qrCloseDone:
		return wxOK(map[string]string{"result_msg": "OK"})
	case qrCloseAlready:
		return wxErr("ORDERCLOSED", "订单已关闭，无法重复关闭")
	case qrClosePaid:
		return wxErr("ORDERPAID", "订单已支付，不能发起关单")
	}
	return wxErr("ORDERNOTEXIST", "订单不存在")
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
