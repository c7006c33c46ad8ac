package payment

import (
	"time"

	"cashier/app"
)

// How long a wallet keeps a deposit frozen before the channel settles it
// by itself. Source: ../shared/reference/payments.md, WeChat Pay hotel
// deposit (v2): "Unsettled deposits are refunded by the channel after 30
// days." Cloud Pay freezes through the guest's WeChat or Alipay, so the
// wallet's rule is the one that applies. The reference states no limit
// for Alipay's fund authorisation (alipay.fund.auth.order.freeze), so none
// is assumed here (docs/deposits.md says so).
const (
	WeChatDepositLimit = 30 * 24 * time.Hour
	// DepositWarnBefore: business-rules §3 asks to warn before the limit;
	// issue 12 sets the warning at 3 days.
	DepositWarnBefore = 3 * 24 * time.Hour
)

// DepositLimit is how long the wallet keeps a deposit frozen; false when
// no limit is known.
func DepositLimit(w app.Wallet) (time.Duration, bool) {
	if w == app.WalletWeChat {
		return WeChatDepositLimit, true
	}
	return 0, false
}

// DepositNearLimit reports whether a frozen deposit is within
// DepositWarnBefore of its wallet's limit at now (or past it).
func DepositNearLimit(d Deposit, now time.Time) bool {
	limit, ok := DepositLimit(d.Wallet)
	return ok && d.State == DepositFrozen && !now.Before(d.CreatedAt.Add(limit-DepositWarnBefore))
}

// DepositPastLimit reports whether the channel has already settled a
// frozen deposit by itself: nothing may be sent for it any more.
func DepositPastLimit(d Deposit, now time.Time) bool {
	limit, ok := DepositLimit(d.Wallet)
	return ok && d.State == DepositFrozen && !now.Before(d.CreatedAt.Add(limit))
}
