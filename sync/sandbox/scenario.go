package sandbox

import "cashier/app"

// Scenario is the scripted behaviour of a payment, chosen by the last three
// digits of the customer's payment code. The table is documented in
// docs/sandbox.md; keep the two in step.
type Scenario string

const (
	ScenarioSuccess           Scenario = "success"             // anything not listed below
	ScenarioUserPayingSuccess Scenario = "userpaying-success"  // …101: USERPAYING for user_paying_seconds, then paid
	ScenarioUserPayingCancel  Scenario = "userpaying-cancel"   // …102: USERPAYING, then the customer cancels (CLOSED, no money)
	ScenarioNotEnough         Scenario = "notenough"           // …201: balance not enough, nothing charged
	ScenarioAuthCodeExpired   Scenario = "authcode-expired"    // …202: payment code expired, nothing charged
	ScenarioSystemError       Scenario = "systemerror-charged" // …301: SYSTEMERROR answer, but the money IS taken
	ScenarioSlowCharged       Scenario = "slow-charged"        // …401: charged, answer held slow_answer_seconds
	ScenarioDroppedCharged    Scenario = "dropped-charged"     // …402: charged, connection dropped without an answer
	ScenarioUnavailable       Scenario = "http-503"            // …501: HTTP 503, nothing charged, no order
)

// ScenarioFor tells the scenario of a payment code.
func ScenarioFor(authCode string) Scenario {
	if len(authCode) < 3 {
		return ScenarioSuccess
	}
	switch authCode[len(authCode)-3:] {
	case "101":
		return ScenarioUserPayingSuccess
	case "102":
		return ScenarioUserPayingCancel
	case "201":
		return ScenarioNotEnough
	case "202":
		return ScenarioAuthCodeExpired
	case "301":
		return ScenarioSystemError
	case "401":
		return ScenarioSlowCharged
	case "402":
		return ScenarioDroppedCharged
	case "501":
		return ScenarioUnavailable
	}
	return ScenarioSuccess
}

// paying reports whether the scenario starts with the customer confirming.
func (s Scenario) paying() bool {
	return s == ScenarioUserPayingSuccess || s == ScenarioUserPayingCancel
}

// OpScenario is the scripted fault of a refund or a deposit operation
// (consume, release), chosen by the last two fen digits of the operation's
// amount: a refund of 12.91 plays OpLostMade, one of 12.50 OpOrdinary. The
// amount is the one the request asks for (WeChat refund_fee / consume_fee,
// Alipay refund_amount / amount / total_amount, Cloud Pay refund_fee /
// unfreeze_fee / total_fee); WeChat's /deposit/reverse has none, so there it
// is the deposit's own amount. Amount-chosen rather than code-chosen
// because refunds and deposit operations carry no payment code: a cashier,
// a tester in another process or `pos refund` picks the fault by typing the
// amount. The table is documented in docs/sandbox.md (shared by every
// channel); keep the two in step.
type OpScenario string

const (
	OpOrdinary OpScenario = "ordinary" // any other amount
	// …91: the operation IS made, then the connection drops without an
	// answer. A re-send with the same number gets the channel's real repeat
	// answer (WeChat SUCCESS with the same refund_id, Alipay fund_change=N).
	OpLostMade OpScenario = "lost-made"
	// …92: the first call is lost and NOT made (connection dropped, nothing
	// recorded); every re-send of it is refused for good, and the query
	// finds no such operation.
	OpLostRefused OpScenario = "lost-refused"
	// …93: the operation IS made, but the first answer is the channel's
	// system error (WeChat SYSTEMERROR, Alipay 20000 / ACQ.SYSTEM_ERROR).
	OpSystemErrorMade OpScenario = "systemerror-made"
	// …94: the operation is made for 1 fen less than asked, and every
	// answer and query says so (an amount mismatch).
	OpShortOneFen OpScenario = "short-1fen"
)

// OpScenarioFor tells the scenario of a refund or deposit operation of
// amount fen.
func OpScenarioFor(amount app.Money) OpScenario {
	if amount <= 0 {
		return OpOrdinary
	}
	switch amount % 100 {
	case 91:
		return OpLostMade
	case 92:
		return OpLostRefused
	case 93:
		return OpSystemErrorMade
	case 94:
		return OpShortOneFen
	}
	return OpOrdinary
}

// madeAmount is what the operation really moves when asked for amount.
func (s OpScenario) madeAmount(amount app.Money) app.Money {
	if s == OpShortOneFen && amount > 1 {
		return amount - 1
	}
	return amount
}

// ScenarioForeignPaid is Cloud Pay only (a payment code ending 407): the
// order number already belongs to another order, paid — another
// terminal's customer paid the same amount under it. Cloud Pay answers
// status 102 with internal_status 407 and charges nothing; a query of the
// number shows the other order (order_client.device_id POS-OTHER). WeChat
// Pay and Alipay play …407 as an ordinary payment.
const ScenarioForeignPaid Scenario = "cloudpay-foreign-paid"
