package app

import (
	"context"
	"time"
)

// QRChannel is the optional capability of a channel that can show the
// customer a payment QR code for an order (the customer scans, instead of
// showing their own code): WeChat Pay v2 /pay/unifiedorder with
// trade_type NATIVE, Alipay alipay.trade.precreate. The payment state
// machine asks for it with a type assertion on the channel a wallet is
// routed to; a channel without it (Cloud Pay) cannot take a QR payment.
//
// The error convention is PaymentChannel's: an error means nothing was
// sent; anything after the first byte comes back as a result.
type QRChannel interface {
	// Precreate creates the order at the channel and returns the code to
	// show. OutcomeSuccess with CodeURL: shown to the customer, the order
	// waits for the scan (poll it with PaymentChannel.Query: pending until
	// paid; Alipay's "no such trade" before the scan is pending too).
	// OutcomeFailed: refused, nothing created, no money can move.
	// OutcomeUnknown: the answer was lost; asking again with the same
	// request gives the same order and code.
	Precreate(ctx context.Context, r PrecreateRequest) (QRResult, error)
	// CloseQR ends a QR order so it can no longer be paid (WeChat
	// /pay/closeorder, Alipay alipay.trade.cancel). OutcomeSuccess: it is
	// closed and no money stays taken (TradeState CLOSED, or REVOKED when
	// the channel gave back a payment that had just gone through).
	// OutcomeFailed: refused for good — the order may have been paid
	// (WeChat ORDERPAID): query it. NotFound: the channel has no such
	// order. Retry asks for the same call again.
	CloseQR(ctx context.Context, r OrderRef) (ChannelResult, error)
}

// PrecreateRequest is an order the customer pays by scanning its QR code.
type PrecreateRequest struct {
	OutTradeNo string
	Wallet     Wallet
	Amount     Money
	Subject    string // body / subject shown in the customer's wallet
	StoreID    string
	TerminalID string
	StaffID    string
	ClientIP   string
	// Undiscountable is the part of Amount no promotion may discount
	// (Alipay undiscountable_amount); 0 none.
	Undiscountable Money
	// ExpiresAt is when the customer can no longer pay (WeChat
	// time_expire, Alipay time_expire). It is a moment, not a duration,
	// so that a repeat of the request after a lost answer is the same
	// request: both channels give back the same order and code only when
	// every parameter is the same. At least MinQRExpire after the first
	// request, at most MaxQRExpire.
	ExpiresAt time.Time
}

// QRResult is a precreate's answer: the channel's result and, on
// success, the code to show and when it stops being payable (the
// request's expiry as sent, to the second).
type QRResult struct {
	ChannelResult
	CodeURL   string
	ExpiresAt time.Time
}

// The bounds of a QR order's expiry. WeChat Pay moves a time_expire less
// than a minute after the order to a minute, and Alipay's expiry counts
// from one minute; WeChat's code_url itself is valid for two hours, so a
// longer wait could show a code that no longer opens.
const (
	MinQRExpire = time.Minute
	MaxQRExpire = 2 * time.Hour
)
