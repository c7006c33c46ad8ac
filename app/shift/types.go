// Package shift is clocking on and off and the handover between shifts
// (business-rules section 2): a person's shift runs from their clock-on to
// their clock-off, on this terminal or for the whole store; every tender
// belongs to the shift of the person who took it, at its time. Clock-off
// is a handover: a blind cash count, then expected against counted, the
// float left for the next shift, what is handed over by name, a manager's
// countersign when the variance is over the store's threshold, and the
// shift report, kept and printed.
package shift

import (
	"strconv"
	"strings"
	"time"

	"cashier/app"
	"cashier/app/summary"
)

// Scope is where a person clocks on.
type Scope string

const (
	ScopeTerminal Scope = "terminal" // this terminal (or QR code) only
	ScopeStore    Scope = "store"    // the whole store
)

// Shift is one person's shift.
type Shift struct {
	ID           int64
	StoreID      int64
	TerminalID   int64 // 0: the whole store
	TerminalName string
	StaffID      int64
	StaffCode    string
	StaffName    string
	StartedAt    time.Time
	EndedAt      time.Time // zero while open
	OpeningFloat app.Money // cash in the drawer at clock-on
	Handover     *Handover // set once ended
	// Day is the business day the shift belongs to: the store's local
	// date of its start, also when it ends after midnight.
	Day summary.Day
}

// Scope is where the shift was clocked on.
func (s Shift) Scope() Scope {
	if s.TerminalID == 0 {
		return ScopeStore
	}
	return ScopeTerminal
}

// Open reports whether the shift is still running.
func (s Shift) Open() bool { return s.EndedAt.IsZero() }

// Denomination is one kind of note or coin counted at handover.
type Denomination struct {
	Code  string    // "100", "50", ... "0.5", "0.1"
	Value app.Money // face value
}

// Name names the denomination for people (100 元, 5 角 ...).
func (d Denomination) Name() app.Message {
	switch d.Code {
	case "100":
		return app.Msg("shift.denom.100")
	case "50":
		return app.Msg("shift.denom.50")
	case "20":
		return app.Msg("shift.denom.20")
	case "10":
		return app.Msg("shift.denom.10")
	case "5":
		return app.Msg("shift.denom.5")
	case "1":
		return app.Msg("shift.denom.1")
	case "0.5":
		return app.Msg("shift.denom.0_5")
	case "0.1":
		return app.Msg("shift.denom.0_1")
	}
	return app.Msg("shift.denom.other", "Code", d.Code)
}

// CoinsName names the coins, counted as one amount.
func CoinsName() app.Message { return app.Msg("shift.denom.coins") }

// Denominations are the notes counted one by one, largest first; coins
// are counted as one amount (CashCount.Coins).
var Denominations = []Denomination{
	{"100", 10000}, {"50", 5000}, {"20", 2000}, {"10", 1000}, {"5", 500}, {"1", 100},
	{"0.5", 50}, {"0.1", 10},
}

// MaxPieces is the most notes of one kind a count accepts: more is a typo.
const MaxPieces = 100000

// MaxCoins is the most a count accepts for all coins together: 10,000.00
// yuan of coins is a typo, not a drawer.
const MaxCoins app.Money = 1_000_000

// MaxFloat bounds an opening float: 50,000.00 yuan is already more than any
// drawer starts with; more is a typo (a zero too many).
const MaxFloat app.Money = 5_000_000

// CashCount is what a person counted in the drawer.
type CashCount struct {
	Notes map[string]int64 // by Denomination.Code
	Coins app.Money        // all coins together
}

// Total is what the count adds up to, and the first problem with it: a
// count of an unknown denomination, a negative count or more than
// MaxPieces of one kind, coins below zero or above MaxCoins. The error
// names the denomination.
func (c CashCount) Total() (app.Money, error) {
	known := map[string]bool{}
	var total app.Money
	for _, d := range Denominations {
		known[d.Code] = true
		n := c.Notes[d.Code]
		switch {
		case n < 0:
			return 0, ErrCountNegative.With("Denomination", d.Name(), "Count", n)
		case n > MaxPieces:
			return 0, ErrCountTooMany.With("Denomination", d.Name(), "Count", n, "Max", MaxPieces)
		}
		total += d.Value * app.Money(n) // at most 100,000 × 100 yuan: no overflow
	}
	for code := range c.Notes {
		if !known[code] {
			return 0, ErrCountUnknown.With("Code", code)
		}
	}
	switch {
	case c.Coins < 0:
		return 0, ErrCountNegative.With("Denomination", CoinsName(), "Count", c.Coins)
	case c.Coins > MaxCoins:
		return 0, ErrCoinsTooMuch.With("Amount", c.Coins, "Max", MaxCoins)
	}
	return total + c.Coins, nil
}

// ParsePieces reads how many notes of d a person typed: a whole number
// from 0 to MaxPieces ("" is 0). The error names the denomination.
func ParsePieces(d Denomination, s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange && !strings.HasPrefix(s, "-") {
			return 0, ErrCountTooMany.With("Denomination", d.Name(), "Count", s, "Max", MaxPieces)
		}
		return 0, ErrCountNotNumber.With("Denomination", d.Name(), "Value", s)
	}
	if n < 0 {
		return 0, ErrCountNegative.With("Denomination", d.Name(), "Count", n)
	}
	if n > MaxPieces {
		return 0, ErrCountTooMany.With("Denomination", d.Name(), "Count", n, "Max", MaxPieces)
	}
	return n, nil
}

// ItemRef names something handed over: a held order or an open deposit.
type ItemRef struct {
	No     string    // order or deposit number
	Amount app.Money // payable or held
	Note   string    // guest, room or the order's note
	Since  time.Time
}

// HeldCarts are the carts held at a terminal (挂单 waiting to be
// resumed, app.HeldOrder): how many, what they come to, since when the
// oldest waits. Apart from HeldOrders, which are orders written and not
// paid: a held cart has no order yet.
type HeldCarts struct {
	Count  int
	Total  app.Money
	Oldest time.Time // zero when none
}

// OldestAge is how long the oldest cart has waited at now (0 when none).
func (c HeldCarts) OldestAge(now time.Time) time.Duration {
	if c.Count == 0 || c.Oldest.IsZero() {
		return 0
	}
	return max(now.Sub(c.Oldest), 0)
}

// Handover is what clock-off recorded.
type Handover struct {
	// CountTerminal is the terminal the count was made at (a store-wide
	// shift has no terminal of its own).
	CountTerminal    string
	Count            CashCount
	Counted          app.Money
	Expected         app.Money // opening float + cash taken − cash given back
	Variance         app.Money // counted − expected
	FloatLeft        app.Money // left in the drawer for the next shift
	Threshold        app.Money // the store's variance limit at the time
	NeedsCountersign bool      // |Variance| > Threshold: a manager must countersign
	CountersignedBy  int64     // the manager who countersigned, 0 if none was needed
	CountersignName  string
	HeldOrders       []ItemRef
	OpenDeposits     []ItemRef
	Summary          summary.Summary // the shift's figures

	// HeldCarts are the carts held at the shift's terminal (for a
	// store-wide shift, the terminal the count was made at) at the
	// handover.
	HeldCarts HeldCarts
}

// Countersign is a manager's staff number and PIN, typed on the clerk's
// screen to accept a variance over the threshold.
type Countersign struct {
	Code string
	PIN  string
}
