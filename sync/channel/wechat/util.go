package wechat

import (
	"strconv"

	"cashier/app"
	"cashier/sync/channel"
)

func formatInt(v int64) string { return strconv.FormatInt(v, 10) }

// orderKey picks transaction_id when known, else out_trade_no, and checks
// the one used.
func orderKey(r app.OrderRef, params map[string]string) error {
	if r.TransactionID != "" {
		if err := channel.CheckOrderNo("微信支付订单号 transaction_id", r.TransactionID, 32, ""); err != nil {
			return err
		}
		params["transaction_id"] = r.TransactionID
		return nil
	}
	if err := channel.CheckOrderNo("商户订单号 out_trade_no", r.OutTradeNo, 32, orderNoChars); err != nil {
		return err
	}
	params["out_trade_no"] = r.OutTradeNo
	return nil
}
