package cloudpay

import (
	"time"

	"cashier/app"
)

type wxOrderExt struct {
	CurrentTradeState int    `json:"current_trade_state"`
	TradeStateDesc    string `json:"trade_state_desc"`
}

type aliOrderExt struct {
	CurrentTradeState int `json:"current_trade_state"`
}

type cardOrderExt struct {
	CurrentTradeState int    `json:"current_trade_state"`
	MembershipNumber  string `json:"membership_number"`
}

// orderContent is OrderContent (answers only).
type orderContent struct {
	OutTradeNo         string        `json:"out_trade_no"`
	TransactionID      string        `json:"transaction_id"`
	TradeType          int           `json:"trade_type"`
	TimeEnd            int64         `json:"time_end"`
	CreateTime         int64         `json:"create_time"`
	LastUpdateTime     int64         `json:"last_update_time"`
	IsTransforming     bool          `json:"is_transforming"`
	TotalFee           int64         `json:"total_fee"`
	FeeType            string        `json:"fee_type"`
	CashFee            int64         `json:"cash_fee"`
	SettlementTotalFee int64         `json:"settlement_total_fee"`
	RefundedFee        int64         `json:"refunded_fee"`
	Body               string        `json:"body"`
	OutFreezeNo        string        `json:"out_freeze_no"`
	Wx                 *wxOrderExt   `json:"wxpay_order_content_ext"`
	Ali                *aliOrderExt  `json:"alipay_order_content_ext"`
	Card               *cardOrderExt `json:"card_order_content_ext"`
}

// state maps the platform extension's current_trade_state.
func (o orderContent) state() (app.Outcome, string, bool) {
	switch {
	case o.Wx != nil:
		switch o.Wx.CurrentTradeState {
		case 1, 6:
			return app.OutcomePending, "NOTPAY", true
		case 2, 3:
			return app.OutcomeSuccess, "PAID", true
		case 4:
			return app.OutcomeSuccess, "REFUND", true
		case 5: // code payment: the customer stopped paying
			return app.OutcomeFailed, "CLOSED", true
		case 7:
			return app.OutcomeFailed, "CLOSED", true
		case 8:
			return app.OutcomeFailed, "REVOKED", true
		case 9:
			return app.OutcomePending, "PAYING", true
		case 10:
			return app.OutcomeFailed, "PAYERROR", true
		}
	case o.Ali != nil:
		switch o.Ali.CurrentTradeState {
		case 1:
			return app.OutcomePending, "NOTPAY", true
		case 2, 6:
			return app.OutcomeSuccess, "PAID", true
		case 4:
			return app.OutcomePending, "PAYING", true
		case 5: // closed, or fully refunded: no money stays taken
			return app.OutcomeFailed, "CLOSED", true
		}
	case o.Card != nil:
		switch o.Card.CurrentTradeState {
		case 1:
			return app.OutcomePending, "NOTPAY", true
		case 2:
			return app.OutcomeSuccess, "PAID", true
		case 3:
			return app.OutcomePending, "PAYING", true
		case 4:
			return app.OutcomeSuccess, "REFUND", true
		case 5:
			return app.OutcomeFailed, "CLOSED", true
		}
	default:
		return app.OutcomeUnknown, "", false
	}
	// 11 (void: the platform has no such order) and unknown values.
	return app.OutcomeUnknown, "", true
}

type refundExt struct {
	State        int `json:"state"`         // WeChat / member card
	RefundStatus int `json:"refund_status"` // Alipay
}

// refundContent is RefundOrderContent (answers only).
type refundContent struct {
	OutRefundNo       string     `json:"out_refund_no"`
	RefundID          string     `json:"refund_id"`
	OutTradeNo        string     `json:"out_trade_no"`
	CreateTime        int64      `json:"create_time"`
	LastUpdateTime    int64      `json:"last_update_time"`
	TotalFee          int64      `json:"total_fee"`
	RefundFee         int64      `json:"refund_fee"`
	RefundSuccessTime int64      `json:"refund_success_time"`
	Wx                *refundExt `json:"wxpay_refund_order_content_ext"`
	Ali               *refundExt `json:"alipay_refund_order_content_ext"`
	Card              *refundExt `json:"card_refund_order_content_ext"`
}

// state maps a refund's state. No extension: accepted, not known to be done.
func (r refundContent) state() app.Outcome {
	switch {
	case r.Wx != nil:
		switch r.Wx.State {
		case 1, 4:
			return app.OutcomePending
		case 2:
			return app.OutcomeSuccess
		case 3:
			return app.OutcomeFailed
		}
		// 5: bounced at the bank, the merchant must pay by hand; 6: void.
		return app.OutcomeUnknown
	case r.Ali != nil:
		return simpleRefund(r.Ali.RefundStatus)
	case r.Card != nil:
		return simpleRefund(r.Card.State)
	}
	return app.OutcomePending
}

func simpleRefund(s int) app.Outcome {
	switch s {
	case 1:
		return app.OutcomePending
	case 2:
		return app.OutcomeSuccess
	case 3:
		return app.OutcomeFailed
	}
	return app.OutcomeUnknown
}

func unix(s int64) time.Time {
	if s <= 0 {
		return time.Time{}
	}
	return time.Unix(s, 0)
}
