package wechat

import (
	"time"

	"cashier/app"
	"cashier/sync/channel"
)

// Error-code classes of the code payment (payments.md).
var (
	// The money state is not known: query, never treat as failed.
	unknownCodes = set("SYSTEMERROR", "BANKERROR")
	// The customer must act (new code, top up, another card): final, no money moved.
	customerCodes = set("AUTHCODEEXPIRE", "NOTENOUGH", "NOTSUPORTCARD", "ORDERREVERSED",
		"AUTH_CODE_ERROR", "AUTH_CODE_INVALID")
	// Our fault: the request was refused, final, no money moved. ORDERPAID
	// is not here: it means the order is already paid (query it).
	ourFaultCodes = set("PARAM_ERROR", "NOAUTH", "ORDERCLOSED", "XML_FORMAT_ERROR", "SIGNERROR",
		"LACK_PARAMS", "NOT_UTF8", "BUYER_MISMATCH", "OUT_TRADE_NO_USED", "APPID_MCHID_NOT_MATCH",
		"REQUIRE_POST_METHOD", "POST_DATA_EMPTY", "INVALID_REQUEST", "TRADE_ERROR", "MCHID_NOT_EXIST",
		"APPID_NOT_EXIST", "SUB_MCH_ID_NOT_EXIST", "PAY_ERROR")

	// WeChat refused our settings before any business: the credentials,
	// the merchant numbers or the request format. Final for a payment,
	// refund or deposit call; a query so refused is only unanswered.
	configCodes = set("SIGNERROR", "NOAUTH", "APPID_MCHID_NOT_MATCH", "XML_FORMAT_ERROR", "MCHID_NOT_EXIST",
		"APPID_NOT_EXIST", "SUB_MCH_ID_NOT_EXIST", "REQUIRE_POST_METHOD", "POST_DATA_EMPTY", "NOT_UTF8")

	// Refund: retry with the same out_refund_no.
	refundRetryCodes = set("SYSTEMERROR", "BIZERR_NEED_RETRY", "FREQUENCY_LIMITED")
	// Refund refused for good.
	refundFailCodes = set("TRADE_OVERDUE", "ERROR", "USER_ACCOUNT_ABNORMAL", "INVALID_REQ_TOO_MUCH",
		"NOTENOUGH", "INVALID_TRANSACTIONID", "PARAM_ERROR", "APPID_NOT_EXIST", "MCHID_NOT_EXIST",
		"ORDERNOTEXIST", "REQUIRE_POST_METHOD", "SIGNERROR", "XML_FORMAT_ERROR", "NOAUTH",
		"REFUND_FEE_INVALID", "REFUND_AMOUNT_INVALID", "APPID_MCHID_NOT_MATCH", "LACK_PARAMS",
		"INVALID_REQUEST", "TRADE_STATE_ERROR")

	// Reverse refused for good (the order stays as it is).
	reverseFailCodes = set("REVERSE_EXPIRE", "INVALID_TRANSACTIONID", "PARAM_ERROR", "REQUIRE_POST_METHOD",
		"SIGNERROR", "XML_FORMAT_ERROR", "INVALID_REQUEST", "TRADE_ERROR", "NOAUTH", "APPID_MCHID_NOT_MATCH",
		"LACK_PARAMS")

	// Deposit consume refused for good.
	consumeFailCodes = set("PARAM_ERROR", "SIGNERROR", "XML_FORMAT_ERROR", "NOAUTH", "ORDERNOTEXIST",
		"ORDERCLOSED", "ORDERREVERSED", "CONSUME_FEE_INVALID", "INVALID_TRANSACTIONID", "TRADE_STATE_ERROR",
		"APPID_MCHID_NOT_MATCH", "LACK_PARAMS", "REQUIRE_POST_METHOD")
)

func set(codes ...string) map[string]bool {
	m := make(map[string]bool, len(codes))
	for _, c := range codes {
		m[c] = true
	}
	return m
}

// tradeState maps trade_state of /pay/orderquery and /deposit/orderquery.
func tradeState(s string) (app.Outcome, string) {
	switch s {
	case "SUCCESS":
		return app.OutcomeSuccess, "PAID"
	case "REFUND":
		return app.OutcomeSuccess, "REFUND" // it was paid; a refund followed
	case "CLOSED":
		return app.OutcomeFailed, "CLOSED"
	case "REVOKED":
		return app.OutcomeFailed, "REVOKED"
	case "PAYERROR":
		return app.OutcomeFailed, "PAYERROR"
	case "NOTPAY":
		return app.OutcomePending, "NOTPAY"
	case "USERPAYING", "ACCEPT":
		return app.OutcomePending, "PAYING"
	case "CONSUMED", "SETTLING", "SETTLEMENTFAIL":
		// /deposit/orderquery's states of a deposit that was frozen and then
		// consumed (done, accepted, or the return of the rest failed): the
		// freeze itself happened. QueryDepositOp reads them for the consume.
		return app.OutcomeSuccess, "PAID"
	}
	return app.OutcomeUnknown, ""
}

// refundStatus maps refund_status_$n.
func refundStatus(s string) app.Outcome {
	switch s {
	case "SUCCESS":
		return app.OutcomeSuccess
	case "REFUNDCLOSE":
		return app.OutcomeFailed
	case "PROCESSING":
		return app.OutcomePending
	}
	// CHANGE: the refund to a bank card bounced; the money is held for the
	// merchant to send by hand. Not final for us: never "failed" (a second
	// refund would pay twice), never "success" (the customer has nothing).
	return app.OutcomeUnknown
}

// parseTime reads yyyyMMddHHmmss in Beijing time; zero on failure.
func parseTime(s string) time.Time {
	t, err := time.ParseInLocation("20060102150405", s, channel.Beijing)
	if err != nil {
		return time.Time{}
	}
	return t
}

// fen reads a fen amount; ok is false when the field is absent or malformed.
func fen(s string) (app.Money, bool) {
	m, err := channel.ParseFen(s)
	return m, err == nil
}
