package channel

import (
	"errors"

	"cashier/app"
)

// Codes put in ChannelResult.Code when the channel's own words are missing
// or cannot be trusted.
const (
	CodeTransport = "TRANSPORT"     // timeout, dropped connection, HTTP error status
	CodeUnsigned  = "UNSIGNED"      // the answer carried no signature
	CodeBadSign   = "BAD_SIGNATURE" // the signature did not verify
	CodeMalformed = "MALFORMED"     // the answer could not be parsed
	CodeMismatch  = "MISMATCH"      // a signed answer about another order/merchant/amount
	CodeNoRecord  = "NO_RECORD"     // the channel has no record of what was asked
)

// UnknownFromCall turns a failed exchange into an OutcomeUnknown result.
func UnknownFromCall(err error) app.ChannelResult {
	msg := "通道应答未知 / the channel's answer is unknown"
	var ce *CallError
	if errors.As(err, &ce) {
		msg = ce.Error() + "；结果未知，请查询 / outcome unknown, query the order"
	}
	return app.ChannelResult{Outcome: app.OutcomeUnknown, Code: CodeTransport, Message: msg}
}

// Untrusted builds the OutcomeUnknown result for an answer that must not be
// believed (unsigned, badly signed, malformed, mismatched).
func Untrusted(code, msg string) app.ChannelResult {
	return app.ChannelResult{Outcome: app.OutcomeUnknown, Code: code, Message: msg}
}

// RedactResult returns r with every secret replaced by "***" in its Code
// and Message. Each client passes the customer's payment code of the call
// that carried it: channels echo requests in their error texts (Alipay's
// isv.invalid-signature sub_msg quotes the whole string it verified,
// biz_content and auth_code included), and a payment code must reach no
// result, screen or log line.
func RedactResult(r app.ChannelResult, secrets ...string) app.ChannelResult {
	r.Code = Redact(r.Code, secrets...)
	r.Message = Redact(r.Message, secrets...)
	return r
}
