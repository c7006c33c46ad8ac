package payment

import (
	"time"

	"cashier/app"
)

// Step names what the state machine is doing, for progress events.
type Step string

const (
	StepCreated     Step = "created"      // intent written durably
	StepSending     Step = "sending"      // a pay / refund / consume / release call is going out
	StepAnswer      Step = "answer"       // the channel answered (not final)
	StepWaiting     Step = "waiting"      // waiting before the next query (ticks every second)
	StepQuerying    Step = "querying"     // asking the channel how it stands
	StepReverseWait Step = "reverse_wait" // waiting for the 15-second rule
	StepReversing   Step = "reversing"    // reverse / cancel call going out
	StepCancel      Step = "cancel"       // the cashier cancelled: query, then reverse
	StepFinal       Step = "final"        // the last event of a run
)

// EventKind says which use case an event belongs to.
type EventKind string

const (
	EventPay     EventKind = "pay"
	EventRefund  EventKind = "refund"
	EventConsume EventKind = "consume"
	EventRelease EventKind = "release"
)

// Event is one progress report. The UI shows Msg (translated) and Seconds;
// it is called on the goroutine running the use case, so a Fyne UI hands
// it over with fyne.Do.
type Event struct {
	Kind        EventKind
	Ref         string // out_trade_no, out_refund_no or out_request_no
	State       string // IntentState, RefundState or DepositOpState
	Step        Step
	Elapsed     time.Duration
	Seconds     int // Elapsed in whole seconds
	Msg         app.Message
	ChannelCode string // what the channel said, if anything
	ChannelMsg  string
	Final       bool
}

// EventFunc receives progress events; nil means nobody listens.
type EventFunc func(Event)

func (f EventFunc) emit(e Event) {
	if f != nil {
		e.Seconds = int(e.Elapsed / time.Second)
		f(e)
	}
}

func msgReverseWait(d time.Duration) app.Message {
	return app.Msg("pay.reverse_wait", "Seconds", int((d+time.Second-1)/time.Second))
}

// declined names the refusals a cashier meets every day, so they are
// told in the app's language and with what to do next; other refusals
// are told in the channel's own words (WeChat's err_code_des, Alipay's
// sub_msg, Cloud Pay's description).
var declined = map[string]app.Message{
	// WeChat Pay micropay err_code
	"NOTENOUGH":         app.Msg("declined.balance"),
	"AUTHCODEEXPIRE":    app.Msg("declined.code_expired"),
	"AUTH_CODE_INVALID": app.Msg("declined.code_invalid"),
	"AUTH_CODE_ERROR":   app.Msg("declined.code_invalid"),
	"NOTSUPORTCARD":     app.Msg("declined.card"),
	"BUYER_MISMATCH":    app.Msg("declined.buyer_mismatch"),
	// Alipay trade.pay sub_code
	"ACQ.BUYER_BALANCE_NOT_ENOUGH":               app.Msg("declined.balance"),
	"ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH":      app.Msg("declined.balance"),
	"ACQ.PAYMENT_AUTH_CODE_INVALID":              app.Msg("declined.code_invalid"),
	"ACQ.BUYER_PAYMENT_AMOUNT_DAY_LIMIT_ERROR":   app.Msg("declined.limit"),
	"ACQ.BUYER_PAYMENT_AMOUNT_MONTH_LIMIT_ERROR": app.Msg("declined.limit"),
	"ACQ.ERROR_BUYER_CERTIFY_LEVEL_LIMIT":        app.Msg("declined.certify"),
	"ACQ.BUYER_ENABLE_STATUS_FORBID":             app.Msg("declined.account"),
	// Alipay fund.auth.order.freeze sub_code
	"BUYER_BALANCE_NOT_ENOUGH": app.Msg("declined.balance"),
}

// msgFailed tells why a payment failed: a known refusal in the app's
// language, else in the channel's own words when it gave some.
func msgFailed(code, text string) app.Message {
	if m, ok := declined[code]; ok {
		return app.Msg("pay.failed_because", "Reason", m)
	}
	if text == "" {
		text = code
	}
	if text == "" {
		return app.Msg("pay.failed")
	}
	return app.Msg("pay.failed_because", "Reason", text)
}

func stateMessage(s IntentState) app.Message {
	switch s {
	case IntentPaying:
		return app.Msg("pay.paying")
	case IntentUnknown, IntentSent:
		return app.Msg("pay.unknown")
	case IntentReversing:
		return app.Msg("pay.reversing")
	case IntentPaid:
		return app.Msg("pay.paid")
	case IntentReversed:
		return app.Msg("pay.reversed")
	case IntentClosed:
		return app.Msg("pay.closed")
	case IntentManual:
		return app.Msg("pay.manual")
	case IntentFailed:
		return app.Msg("pay.failed")
	}
	return app.Msg("pay.created")
}
