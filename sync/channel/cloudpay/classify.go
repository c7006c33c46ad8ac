package cloudpay

import (
	"bytes"
	"encoding/json"
	"time"

	"cashier/app"
)

// The state tables below are the enumerations of page 37628 (交易相关信息):
// WxpayOrderState, AlipayOrderState, WxpayRefundOrderState,
// AlipayRefundOrderState, WxpayFreezeOrderState, AlipayFreezeOrderState,
// WxpayUnfreezeOrderState. Every value not listed there reads as unknown.

// stateExt is a platform extension of an order, refund, freeze or
// unfreeze record.
type stateExt struct {
	CurrentTradeState int `json:"current_trade_state"` // orders and freezes
	State             int `json:"state"`               // WeChat refunds, unfreezes
	RefundStatus      int `json:"refund_status"`       // Alipay refunds
}

// reading is what one state value says.
type reading struct {
	outcome  app.Outcome
	state    string // ChannelResult.TradeState
	notFound bool   // the platform says it has no such record
}

// The answer records below declare only the fields the client reads: a
// field it does not read cannot make an answer unreadable (a number where
// a string was expected, say) and so turn every answer into MALFORMED.

// orderContent is OrderContent (answers only).
type orderContent struct {
	OutTradeNo     string    `json:"out_trade_no"`
	TransactionID  string    `json:"transaction_id"`
	TimeEnd        int64     `json:"time_end"`
	CreateTime     int64     `json:"create_time"` // bills
	IsTransforming bool      `json:"is_transforming"`
	TotalFee       int64     `json:"total_fee"`
	RefundedFee    int64     `json:"refunded_fee"` // bills
	OutFreezeNo    string    `json:"out_freeze_no"`
	Wx             *stateExt `json:"wxpay_order_content_ext"`
	Ali            *stateExt `json:"alipay_order_content_ext"`
}

// extPlatform is the pay_platform a record's extension shows (0: none).
func extPlatform(wx, ali *stateExt) int {
	switch {
	case wx != nil:
		return 1
	case ali != nil:
		return 2
	}
	return 0
}

// state maps current_trade_state; ok is false without an extension.
func (o orderContent) state() (reading, bool) {
	switch {
	case o.Wx != nil:
		switch o.Wx.CurrentTradeState {
		case 1, 6: // initial; unified order waiting for the customer
			return reading{outcome: app.OutcomePending, state: "NOTPAY"}, true
		case 2, 3: // code payment / unified order paid
			return reading{outcome: app.OutcomeSuccess, state: "PAID"}, true
		case 4: // 已转入退款
			return reading{outcome: app.OutcomeSuccess, state: "REFUND"}, true
		case 5: // code payment: the customer stopped paying
			return reading{outcome: app.OutcomeFailed, state: "CLOSED"}, true
		case 7:
			return reading{outcome: app.OutcomeFailed, state: "CLOSED"}, true
		case 8:
			return reading{outcome: app.OutcomeFailed, state: "REVOKED"}, true
		case 9:
			return reading{outcome: app.OutcomePending, state: "PAYING"}, true
		case 10:
			return reading{outcome: app.OutcomeFailed, state: "PAYERROR"}, true
		case 11: // void: Cloud Pay has it, WeChat Pay has not
			return reading{outcome: app.OutcomeUnknown, notFound: true}, true
		case 12: // 订单受理中
			return reading{outcome: app.OutcomePending, state: "PAYING"}, true
		case 13: // 押金解冻成功: the deposit was taken, then given back
			return reading{outcome: app.OutcomeSuccess, state: "REFUND"}, true
		case 14: // 押金消费成功
			return reading{outcome: app.OutcomeSuccess, state: "PAID"}, true
		}
	case o.Ali != nil:
		switch o.Ali.CurrentTradeState {
		case 1:
			return reading{outcome: app.OutcomePending, state: "NOTPAY"}, true
		case 2, 6: // paid; finished, no more refunds
			return reading{outcome: app.OutcomeSuccess, state: "PAID"}, true
		case 4:
			return reading{outcome: app.OutcomePending, state: "PAYING"}, true
		case 5: // closed, or fully refunded: no money stays taken
			return reading{outcome: app.OutcomeFailed, state: "CLOSED"}, true
		case 7: // 订单不存在
			return reading{outcome: app.OutcomeUnknown, notFound: true}, true
		}
	default:
		return reading{outcome: app.OutcomeUnknown}, false
	}
	return reading{outcome: app.OutcomeUnknown}, true
}

// freezeContent is FreezeOrderContent (answers only). The stored page
// copies show the freeze request's fields (out_freeze_no, freeze_fee) and
// the freeze state tables; the answer's member names follow OrderContent's
// pattern (<platform>_freeze_order_content_ext.current_trade_state).
type freezeContent struct {
	OutFreezeNo   string    `json:"out_freeze_no"`
	TransactionID string    `json:"transaction_id"`
	FreezeFee     int64     `json:"freeze_fee"`
	TimeEnd       int64     `json:"time_end"`
	Wx            *stateExt `json:"wxpay_freeze_order_content_ext"`
	Ali           *stateExt `json:"alipay_freeze_order_content_ext"`
}

// state maps WxpayFreezeOrderState / AlipayFreezeOrderState. Success means
// the money was frozen (and may since have been given back or consumed).
func (f freezeContent) state() (reading, bool) {
	switch {
	case f.Wx != nil:
		switch f.Wx.CurrentTradeState {
		case 1: // 冻结单初始态
			return reading{outcome: app.OutcomePending, state: "NOTPAY"}, true
		case 2: // 押金刷卡支付，成功
			return reading{outcome: app.OutcomeSuccess, state: "PAID"}, true
		case 3: // 等待用户支付
			return reading{outcome: app.OutcomePending, state: "PAYING"}, true
		case 4: // 顾客停止支付
			return reading{outcome: app.OutcomeFailed, state: "CLOSED"}, true
		case 5: // 全部解冻/全部消费: it was frozen, nothing is held now
			return reading{outcome: app.OutcomeSuccess, state: "REFUND"}, true
		case 6: // 支付错误
			return reading{outcome: app.OutcomeFailed, state: "PAYERROR"}, true
		case 7: // Cloud Pay has it, WeChat Pay has not
			return reading{outcome: app.OutcomeUnknown, notFound: true}, true
		}
	case f.Ali != nil:
		switch f.Ali.CurrentTradeState {
		case 1:
			return reading{outcome: app.OutcomePending, state: "NOTPAY"}, true
		case 2:
			return reading{outcome: app.OutcomeSuccess, state: "PAID"}, true
		case 3:
			// 已关闭或者全部已经解冻/消费: closed without money, or frozen
			// and since finished. The table does not say which.
			return reading{outcome: app.OutcomeUnknown}, true
		case 4: // 订单不存在
			return reading{outcome: app.OutcomeUnknown, notFound: true}, true
		}
	default:
		return reading{outcome: app.OutcomeUnknown}, false
	}
	return reading{outcome: app.OutcomeUnknown}, true
}

// unfreezeContent is UnfreezeOrderContent (answers only), read by the same
// pattern as the refund record.
type unfreezeContent struct {
	OutFreezeNo    string    `json:"out_freeze_no"`
	OutUnfreezeNo  string    `json:"out_unfreeze_no"`
	UnfreezeFee    int64     `json:"unfreeze_fee"`
	LastUpdateTime int64     `json:"last_update_time"`
	Wx             *stateExt `json:"wxpay_unfreeze_order_content_ext"`
	Ali            *stateExt `json:"alipay_unfreeze_order_content_ext"`
}

// state maps WxpayUnfreezeOrderState. The Alipay table is cut off in the
// stored copy of page 37628: only 1 (initial) and 2 (done) are read there,
// anything else stays unknown.
func (u unfreezeContent) state() reading {
	switch {
	case u.Wx != nil:
		switch u.Wx.State {
		case 1:
			return reading{outcome: app.OutcomePending}
		case 2:
			return reading{outcome: app.OutcomeSuccess}
		case 3:
			return reading{outcome: app.OutcomeFailed}
		case 4: // the platform has no such unfreeze
			return reading{outcome: app.OutcomeUnknown, notFound: true}
		}
	case u.Ali != nil:
		switch u.Ali.State {
		case 1:
			return reading{outcome: app.OutcomePending}
		case 2:
			return reading{outcome: app.OutcomeSuccess}
		}
	default:
		// Accepted, not known to be done.
		return reading{outcome: app.OutcomePending}
	}
	return reading{outcome: app.OutcomeUnknown}
}

// refundContent is RefundOrderContent (answers only).
type refundContent struct {
	OutRefundNo       string    `json:"out_refund_no"`
	RefundID          string    `json:"refund_id"`
	OutTradeNo        string    `json:"out_trade_no"`
	CreateTime        int64     `json:"create_time"`
	LastUpdateTime    int64     `json:"last_update_time"`
	TotalFee          int64     `json:"total_fee"`
	RefundFee         int64     `json:"refund_fee"`
	RefundSuccessTime int64     `json:"refund_success_time"`
	Wx                *stateExt `json:"wxpay_refund_order_content_ext"`
	Ali               *stateExt `json:"alipay_refund_order_content_ext"`
}

// state maps WxpayRefundOrderState / AlipayRefundOrderState. No extension:
// accepted, not known to be done.
func (r refundContent) state() reading {
	switch {
	case r.Wx != nil:
		switch r.Wx.State {
		case 1, 4: // initial; processing
			return reading{outcome: app.OutcomePending}
		case 2:
			return reading{outcome: app.OutcomeSuccess}
		case 3:
			return reading{outcome: app.OutcomeFailed}
		case 6: // void: Cloud Pay has it, WeChat Pay has not
			return reading{outcome: app.OutcomeUnknown, notFound: true}
		}
		// 5: bounced at the bank, the merchant must pay by hand.
		return reading{outcome: app.OutcomeUnknown}
	case r.Ali != nil:
		switch r.Ali.RefundStatus {
		case 1, 4: // initial; 退款中
			return reading{outcome: app.OutcomePending}
		case 2:
			return reading{outcome: app.OutcomeSuccess}
		case 3:
			return reading{outcome: app.OutcomeFailed}
		case 5: // 订单不存在
			return reading{outcome: app.OutcomeUnknown, notFound: true}
		}
		return reading{outcome: app.OutcomeUnknown}
	}
	return reading{outcome: app.OutcomePending}
}

// clientOf reads the device id of an answer's order_client (an object or,
// as query_unfreeze_order documents it, a list), "" when there is none.
// device_id is a string or, in Cloud Pay's samples, a number.
func clientOf(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil || len(list) == 0 {
			return ""
		}
		raw = list[0]
	}
	var oc struct {
		DeviceID json.RawMessage `json:"device_id"`
	}
	if json.Unmarshal(raw, &oc) != nil || len(oc.DeviceID) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(oc.DeviceID, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(oc.DeviceID, &n) == nil {
		return n.String()
	}
	return ""
}

func unix(s int64) time.Time {
	if s <= 0 {
		return time.Time{}
	}
	return time.Unix(s, 0)
}
