package alipay

import (
	"time"

	"cashier/app"
	"cashier/sync/channel"
)

// Gateway codes.
const (
	codeSuccess = "10000"
	codeWaiting = "10003" // waiting for the customer: NOT success
	codeUnknown = "20000" // service unavailable: outcome unknown
	codeBizFail = "40004"
)

// gatewayRefused are the gateway's refusals before any business
// processing: bad or missing credentials and parameters, insufficient
// rights (20001 aop.*, 40001/40002/40003/40006 isv.*). Nothing happened;
// verify turns them into ConfigError results.
var gatewayRefused = map[string]bool{"20001": true, "40001": true, "40002": true, "40003": true, "40006": true}

// unknownSubCodes under 40004 mean the outcome is not known.
// AQC.SYSTEM_ERROR is how the alipay.trade.cancel error table spells it.
var unknownSubCodes = map[string]bool{
	"ACQ.SYSTEM_ERROR": true, "aop.ACQ.SYSTEM_ERROR": true, "AQC.SYSTEM_ERROR": true, "SYSTEM_ERROR": true,
	"ACQ.SYSTEM_BUSY": true, "isp.unknow-error": true,
}

// newNumberSubCodes mean this out_trade_no can never be paid.
var newNumberSubCodes = map[string]bool{
	"ACQ.TRADE_HAS_CLOSE": true, "ACQ.CONTEXT_INCONSISTENT": true,
}

// tradeStatus maps alipay.trade.query's trade_status.
func tradeStatus(s string) (app.Outcome, string) {
	switch s {
	case "TRADE_SUCCESS", "TRADE_FINISHED":
		return app.OutcomeSuccess, "PAID"
	case "WAIT_BUYER_PAY":
		return app.OutcomePending, "PAYING"
	case "TRADE_CLOSED":
		// Closed unpaid, or fully refunded after payment: no money stays taken.
		return app.OutcomeFailed, "CLOSED"
	}
	return app.OutcomeUnknown, ""
}

// authStatus maps a fund authorisation operation status.
func authStatus(s string) (app.Outcome, string) {
	switch s {
	case "SUCCESS":
		return app.OutcomeSuccess, "PAID"
	case "INIT":
		return app.OutcomePending, "PAYING"
	case "CLOSED":
		return app.OutcomeFailed, "CLOSED"
	}
	return app.OutcomeUnknown, ""
}

// parseTime reads "yyyy-MM-dd HH:mm:ss" in Beijing time; zero on failure.
func parseTime(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, channel.Beijing)
	if err != nil {
		return time.Time{}
	}
	return t
}
