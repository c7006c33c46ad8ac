package payment

import (
	"testing"
	"time"

	"cashier/app"
)

func TestDepositLimits(t *testing.T) {
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	wx := Deposit{Wallet: app.WalletWeChat, State: DepositFrozen, CreatedAt: at}
	cases := []struct {
		d          Deposit
		age        time.Duration
		near, past bool
	}{
		{wx, 26 * 24 * time.Hour, false, false},
		{wx, 27 * 24 * time.Hour, true, false},
		{wx, 30*24*time.Hour - time.Second, true, false},
		{wx, 30 * 24 * time.Hour, true, true},
		{Deposit{Wallet: app.WalletWeChat, State: DepositReleased, CreatedAt: at}, 40 * 24 * time.Hour, false, false},
		{Deposit{Wallet: app.WalletAlipay, State: DepositFrozen, CreatedAt: at}, 40 * 24 * time.Hour, false, false},
	}
	for i, c := range cases {
		now := at.Add(c.age)
		if got := DepositNearLimit(c.d, now); got != c.near {
			t.Errorf("%d: near = %v, want %v", i, got, c.near)
		}
		if got := DepositPastLimit(c.d, now); got != c.past {
			t.Errorf("%d: past = %v, want %v", i, got, c.past)
		}
	}
}
