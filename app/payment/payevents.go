package app

import (
	"fmt"
	"time"
)

// PayStep names what the state machine is doing, for progress events.
type PayStep string

const (
	StepCreated     PayStep = "created"      // intent written durably
	StepSending     PayStep = "sending"      // a pay / refund / consume / release call is going out
	StepAnswer      PayStep = "answer"       // the channel answered (not final)
	StepWaiting     PayStep = "waiting"      // waiting before the next query (ticks every second)
	StepQuerying    PayStep = "querying"     // asking the channel how it stands
	StepReverseWait PayStep = "reverse_wait" // waiting for the 15-second rule
	StepReversing   PayStep = "reversing"    // reverse / cancel call going out
	StepCancel      PayStep = "cancel"       // the cashier cancelled: query, then reverse
	StepFinal       PayStep = "final"        // the last event of a run
)

// EventKind says which use case an event belongs to.
type EventKind string

const (
	EventPay     EventKind = "pay"
	EventRefund  EventKind = "refund"
	EventConsume EventKind = "consume"
	EventRelease EventKind = "release"
)

// PaymentEvent is one progress report. The UI shows Message and Seconds
// ("等待顾客输入密码 / waiting for the customer's password  12 s"); it is
// called on the goroutine running the use case, so a Fyne UI hands it over
// with fyne.Do.
type PaymentEvent struct {
	Kind        EventKind
	Ref         string // out_trade_no, out_refund_no or out_request_no
	State       string // IntentState, RefundState or DepositOpState
	Step        PayStep
	Elapsed     time.Duration
	Seconds     int // Elapsed in whole seconds
	Message     string
	ChannelCode string // what the channel said, if anything
	ChannelMsg  string
	Final       bool
}

// EventFunc receives progress events; nil means nobody listens.
type EventFunc func(PaymentEvent)

func (f EventFunc) emit(e PaymentEvent) {
	if f != nil {
		e.Seconds = int(e.Elapsed / time.Second)
		f(e)
	}
}

// Bilingual messages for the steps and states.
const (
	msgCreated      = "已记录支付 / payment recorded"
	msgSending      = "正在请求扣款 / sending the payment request"
	msgPaying       = "等待顾客输入密码 / waiting for the customer's password"
	msgUnknown      = "结果未知，正在查询 / result unknown, checking with the channel"
	msgQuerying     = "正在查询支付结果 / querying the payment result"
	msgReversing    = "正在撤销订单 / reversing the order"
	msgCancel       = "收银员取消：先查询，再撤销 / cancelled by the cashier: querying, then reversing"
	msgPaid         = "支付成功 / paid"
	msgReversed     = "已撤销，未扣款 / reversed, no money taken"
	msgClosed       = "订单已关闭，未扣款 / order closed, no money taken"
	msgManual       = "无法自动确认结果，请到商户平台人工核实 / could not confirm the result: check by hand on the merchant platform"
	msgNoReverse    = "通道禁止撤销此单（订单号重复），请人工核实 / the channel forbids reversing this order (duplicate order number): check by hand"
	msgRefundSend   = "正在申请退款 / sending the refund request"
	msgRefundWait   = "退款处理中 / refund processing"
	msgRefundQuery  = "正在查询退款结果 / querying the refund"
	msgRefunded     = "退款成功 / refunded"
	msgRefundFailed = "退款失败 / refund failed"
	msgOpSend       = "正在请求押金操作 / sending the deposit request"
	msgOpUnknown    = "押金操作结果未知，正在重试 / deposit request result unknown, retrying"
	msgOpDone       = "押金操作成功 / deposit operation done"
	msgOpFailed     = "押金操作失败 / deposit operation failed"
	msgOpPending    = "押金操作结果未知，稍后自动重试（开机时）/ deposit operation still unknown; it will be retried automatically (at start-up)"
	msgRefundLater  = "退款结果未定，稍后自动查询（开机时）/ refund not settled yet; it will be checked again automatically (at start-up)"
)

func msgReverseWait(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	return fmt.Sprintf("%d 秒后撤销（通道规定下单15秒后才能撤销）/ reversing in %d s (channels allow a reverse only 15 s after the payment)", s, s)
}

func msgFailed(code, text string) string {
	if text == "" {
		text = code
	}
	if text == "" {
		return "支付失败 / payment failed"
	}
	return "支付失败 / payment failed: " + text
}

func stateMessage(s IntentState) string {
	switch s {
	case IntentPaying:
		return msgPaying
	case IntentUnknown, IntentSent:
		return msgUnknown
	case IntentReversing:
		return msgReversing
	case IntentPaid:
		return msgPaid
	case IntentReversed:
		return msgReversed
	case IntentClosed:
		return msgClosed
	case IntentManual:
		return msgManual
	case IntentFailed:
		return msgFailed("", "")
	}
	return msgCreated
}
