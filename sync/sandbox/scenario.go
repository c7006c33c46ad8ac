package sandbox

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
