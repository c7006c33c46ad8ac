package app

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ChannelName identifies a payment channel implementation.
type ChannelName string

const (
	ChannelWeChat   ChannelName = "wechat"   // WeChat Pay API v2, service-provider mode
	ChannelAlipay   ChannelName = "alipay"   // Alipay open API, RSA2
	ChannelCloudPay ChannelName = "cloudpay" // Tencent Cloud Pay cashier API
)

// Wallet is what the customer pays with, told from the payment code.
type Wallet string

const (
	WalletWeChat   Wallet = "wechat"
	WalletAlipay   Wallet = "alipay"
	WalletUnionPay Wallet = "unionpay"
	WalletMember   Wallet = "member" // the store's member card, codes start 99 (the app's own member ledger)
)

// Outcome is what one channel call tells us about the money. Anything that
// is not certain is OutcomeUnknown: a timeout, a transport error, an
// unsigned or badly signed answer, SYSTEMERROR, Alipay 20000, Cloud Pay 3/103.
type Outcome int

const (
	OutcomeUnknown Outcome = iota // ask again (query); never treat as failed
	OutcomePending                // customer still confirming (USERPAYING, 10003, WAIT_BUYER_PAY)
	OutcomeSuccess                // the call's effect happened (paid, reversed, refunded, released...)
	OutcomeFailed                 // final: the effect did not and will not happen; no money moved
)

func (o Outcome) String() string {
	switch o {
	case OutcomePending:
		return "pending"
	case OutcomeSuccess:
		return "success"
	case OutcomeFailed:
		return "failed"
	}
	return "unknown"
}

// ChannelResult is the channel-neutral reading of one answer. Clients fill
// Code/Message with the channel's own words (err_code/err_code_des,
// sub_code/sub_msg, status/description) so the cashier sees what the
// channel said.
type ChannelResult struct {
	Outcome       Outcome
	TransactionID string // channel's transaction id (Alipay trade_no / auth_no for deposits)
	Amount        Money  // amount charged / refunded / consumed, as reported
	FinishedAt    time.Time
	Code          string
	Message       string

	// Retry asks the caller to repeat the same call with the same numbers:
	// WeChat reverse recall=Y, Alipay cancel retry_flag=Y, Cloud Pay status 3.
	Retry bool
	// NoReverse forbids reversing this order (Cloud Pay internal_status 407:
	// the order number is a duplicate with different content).
	NoReverse bool
	// NewOrderNo means the channel refused this order number for good
	// (Cloud Pay 102); a new payment must use a new number.
	NewOrderNo bool
	// Refunded / Closed / Reversed describe a queried order's final state.
	TradeState string // channel-neutral: PAID, NOTPAY, PAYING, CLOSED, REVOKED, REFUND, PAYERROR

	// NotFound: a signed, definite answer that what was asked about does
	// not exist at the channel (WeChat ORDERNOTEXIST / REFUNDNOTEXIST,
	// Alipay ACQ.TRADE_NOT_EXIST or a refund query without the refund,
	// Cloud Pay's "no such order"). Outcome stays OutcomeUnknown: an
	// in-flight request may still arrive. The state machines decide what
	// it means (a refund refused on its re-send and then not found ends
	// failed).
	NotFound bool
	// Foreign: the channel says this merchant order number belongs to
	// another order with different content (Cloud Pay internal_status
	// 407). Nothing read under this number may settle our payment; it ends
	// manual. Clients set NoReverse too.
	Foreign bool
	// ConfigError: the channel refused our credentials or settings before
	// doing any business (Alipay's unsigned error_response such as 40002
	// isv.invalid-signature or isv.invalid-app-id, WeChat SIGNERROR,
	// NOAUTH). Code names the cause. Nothing happened to any money; it is
	// no use asking again until the settings are fixed.
	ConfigError bool
}

// PayRequest is a payment (or deposit freeze) by the customer's code.
type PayRequest struct {
	OutTradeNo string
	AuthCode   string
	Wallet     Wallet
	Amount     Money
	Subject    string // body / subject shown in the customer's wallet
	StoreID    string
	TerminalID string
	StaffID    string
	ClientIP   string
	Deposit    bool // a hotel deposit: WeChat /deposit/micropay, Alipay fund.auth freeze, Cloud Pay micro_freeze
	// Undiscountable is the part of Amount no channel promotion may
	// discount (the store payment mode "total + non-discountable",
	// business-rules section 3): Alipay's undiscountable_amount; 0 none.
	// Only Alipay takes it.
	Undiscountable Money
}

// OrderRef names an order at the channel.
type OrderRef struct {
	OutTradeNo    string
	TransactionID string
	Wallet        Wallet
	Deposit       bool
}

// RefundRequest refunds part or all of a paid order (or a consumed deposit).
type RefundRequest struct {
	OrderRef
	OutRefundNo string // our idempotent refund number, reused on retry
	Total       Money  // the order's total
	Amount      Money  // this refund
	Reason      string
}

// ConsumeRequest captures part of a deposit; the rest goes back to the customer.
type ConsumeRequest struct {
	OrderRef
	OutRequestNo string // idempotent number for this operation
	Total        Money  // deposit amount
	Amount       Money  // 0 < Amount ≤ Total
}

// DepositOpKind is what a deposit operation does.
type DepositOpKind string

const (
	DepositOpConsume DepositOpKind = "consume"
	DepositOpRelease DepositOpKind = "release"
)

// DepositOpRef names one consume or release of a deposit, for its status
// query.
type DepositOpRef struct {
	OrderRef     // the deposit (its freeze)
	Kind         DepositOpKind
	OutRequestNo string // the operation's own number
	Total        Money  // the deposit amount
	Amount       Money  // what the operation asked for
}

// ReleaseRequest returns a deposit (or what is left of it) to the customer.
type ReleaseRequest struct {
	OrderRef
	OutRequestNo string
	Amount       Money
	Remark       string
}

// BillLine is one transaction row of a channel bill, amounts in fen.
type BillLine struct {
	Time          time.Time
	OutTradeNo    string
	TransactionID string
	OutRefundNo   string
	RefundID      string
	Status        string // SUCCESS, REFUND, REVOKED ... as the channel writes it
	Amount        Money  // order amount
	RefundAmount  Money
	Fee           Money
}

// Bill is a downloaded channel bill for one day.
type Bill struct {
	Channel ChannelName
	Date    time.Time
	Lines   []BillLine
	Total   Money // the bill's own summary total, for cross-checking
	Count   int
}

// PaymentChannel is what the payment state machine needs from a channel.
//
// Error convention: a non-nil error means NOTHING was sent (bad settings,
// malformed key or certificate, invalid request). Everything that happened
// after the first byte was sent comes back as a ChannelResult, with
// OutcomeUnknown where the answer is missing or cannot be trusted.
type PaymentChannel interface {
	Name() ChannelName
	Pay(ctx context.Context, r PayRequest) (ChannelResult, error)
	Query(ctx context.Context, r OrderRef) (ChannelResult, error)
	// Reverse cancels an unfinished or just-paid order (WeChat reverse,
	// Alipay cancel, Cloud Pay reverse; /deposit/reverse, fund.auth cancel
	// for deposits). OutcomeSuccess means no money stays taken.
	Reverse(ctx context.Context, r OrderRef) (ChannelResult, error)
	Refund(ctx context.Context, r RefundRequest) (ChannelResult, error)
	RefundQuery(ctx context.Context, r RefundRequest) (ChannelResult, error)
	Consume(ctx context.Context, r ConsumeRequest) (ChannelResult, error)
	Release(ctx context.Context, r ReleaseRequest) (ChannelResult, error)
	// QueryDepositOp asks how a consume or release stands (WeChat
	// /deposit/orderquery, Alipay alipay.fund.auth.operation.detail.query
	// or the capture trade's query, Cloud Pay's freeze/unfreeze and
	// consume queries). OutcomeSuccess: it happened (Amount = what was
	// consumed or released, TransactionID = the capture trade or
	// consumption order when there is one); OutcomePending: in progress;
	// OutcomeFailed: it was refused for good; NotFound: the channel has
	// no such operation.
	QueryDepositOp(ctx context.Context, r DepositOpRef) (ChannelResult, error)
	DownloadBill(ctx context.Context, day time.Time) (Bill, error)
}

// NotSentError wraps a reason a call was refused before sending anything.
// The reason is the client's own technical text (a setting, a key, a
// field): the UI shows it after the translated "nothing was sent".
type NotSentError struct{ Reason error }

func (e *NotSentError) Error() string { return "not_sent: " + e.Reason.Error() }
func (e *NotSentError) Unwrap() error { return e.Reason }

// NotSent builds a NotSentError.
func NotSent(format string, a ...any) error {
	return &NotSentError{Reason: fmt.Errorf(format, a...)}
}

// IsNotSent tells whether err guarantees nothing reached the channel.
func IsNotSent(err error) bool {
	var n *NotSentError
	return errors.As(err, &n)
}

// WalletName names a wallet for people; it is the one place that does (the
// UI, the CLI and receipts translate the code).
func WalletName(w Wallet) Message {
	switch w {
	case WalletWeChat:
		return Msg("wallet.wechat")
	case WalletAlipay:
		return Msg("wallet.alipay")
	case WalletUnionPay:
		return Msg("wallet.unionpay")
	case WalletMember:
		return Msg("wallet.member")
	}
	return Msg("wallet.other", "Code", string(w))
}

// ChannelTitle names a payment channel for people.
func ChannelTitle(n ChannelName) Message {
	switch n {
	case ChannelWeChat:
		return Msg("channel.wechat")
	case ChannelAlipay:
		return Msg("channel.alipay")
	case ChannelCloudPay:
		return Msg("channel.cloudpay")
	}
	return Msg("channel.other", "Code", string(n))
}
