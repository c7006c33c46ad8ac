package deposit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"cashier/app"
	"cashier/app/deposit"
	"cashier/app/payment"
)

// What the stored deposit already forbids is refused before sending
// (issue 12's bad input): 0, more than held, settled deposits, and a
// WeChat deposit past the wallet's 30 days.
func TestCheck(t *testing.T) {
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	frozen := payment.Deposit{DepositNo: "D1", Wallet: app.WalletWeChat, Amount: 50000, Consumed: 0,
		State: payment.DepositFrozen, CreatedAt: at}
	ali := frozen
	ali.Wallet = app.WalletAlipay
	with := func(s payment.DepositState) payment.Deposit { d := frozen; d.State = s; return d }
	day := 24 * time.Hour
	cases := []struct {
		name   string
		d      payment.Deposit
		kind   app.DepositOpKind
		amount app.Money
		now    time.Time
		want   error
	}{
		{"consume part", frozen, app.DepositOpConsume, 32000, at.Add(day), nil},
		{"consume all", frozen, app.DepositOpConsume, 50000, at.Add(day), nil},
		{"release", frozen, app.DepositOpRelease, 0, at.Add(day), nil},
		{"consume 0", frozen, app.DepositOpConsume, 0, at.Add(day), deposit.ErrNoAmount},
		{"consume negative", frozen, app.DepositOpConsume, -1, at.Add(day), deposit.ErrNoAmount},
		{"consume more than held", frozen, app.DepositOpConsume, 50001, at.Add(day), deposit.ErrTooMuch},
		{"release after consumption", with(payment.DepositConsumed), app.DepositOpRelease, 0, at.Add(day), deposit.ErrAlreadyConsumed},
		{"release twice", with(payment.DepositReleased), app.DepositOpRelease, 0, at.Add(day), deposit.ErrAlreadyReleased},
		{"expired", with(payment.DepositExpired), app.DepositOpConsume, 100, at.Add(day), deposit.ErrExpired},
		{"not frozen yet", with(""), app.DepositOpRelease, 0, at.Add(day), deposit.ErrNotFrozen},
		{"WeChat on day 29", frozen, app.DepositOpRelease, 0, at.Add(29 * day), nil},
		{"WeChat past 30 days", frozen, app.DepositOpRelease, 0, at.Add(30 * day), deposit.ErrPastLimit},
		{"Alipay has no known limit", ali, app.DepositOpConsume, 100, at.Add(40 * day), nil},
	}
	for _, c := range cases {
		err := deposit.Check(c.d, c.kind, c.amount, c.now)
		if c.want == nil {
			assert.NoError(t, err, c.name)
		} else {
			assert.ErrorIs(t, err, c.want, c.name)
		}
	}
}

// What the desk refuses before writing a deposit's order: no room nor
// name, a guest field it cannot print, a note longer than a receipt line.
func TestOpen_RefusesBeforeWriting(t *testing.T) {
	d := &deposit.Desk{} // nothing behind it: a refusal must come first
	for _, c := range []struct {
		name string
		in   deposit.TakeInput
		want error
	}{
		{"no guest", deposit.TakeInput{Amount: 100}, deposit.ErrNoGuest},
		{"phone with letters", deposit.TakeInput{Amount: 100, Guest: app.Guest{Room: "1", Phone: "abc"}}, app.ErrGuestInvalid},
		{"note too long", deposit.TakeInput{Amount: 100, Guest: app.Guest{Room: "1"}, Note: strings.Repeat("晚", app.DepositNoteMax+1)}, app.ErrFieldTooLong},
	} {
		_, err := d.Open(context.Background(), c.in)
		assert.ErrorIs(t, err, c.want, c.name)
	}
}
