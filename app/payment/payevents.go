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

// msgFailed tells why a payment failed, in the channel's own words when
// it gave some.
func msgFailed(code, text string) app.Message {
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
