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
	StaffID      int64
	StaffName    string
	StartedAt    time.Time
	EndedAt      time.Time // zero while open
	OpeningFloat app.Money // cash in the drawer at clock-on
	Handover     *Handover // set once ended
}

// Open reports whether the shift is still running.
func (s Shift) Open() bool { return s.EndedAt.IsZero() }

// Denomination is one kind of note or coin counted at handover.
type Denomination struct {
	Code  string    // "100", "50", ... "0.5", "0.1"
	Value app.Money // face value
}

// Denominations are the notes counted one by one, largest first; coins
// are counted as one amount (CashCount.Coins).
var Denominations = []Denomination{
	{"100", 10000}, {"50", 5000}, {"20", 2000}, {"10", 1000}, {"5", 500}, {"1", 100},
	{"0.5", 50}, {"0.1", 10},
}

// MaxPieces is the most notes of one kind a count accepts: more is a typo.
const MaxPieces = 100000

// CashCount is what a person counted in the drawer.
type CashCount struct {
	Notes map[string]int64 // by Denomination.Code
	Coins app.Money        // all coins together
}

// ItemRef names something handed over: a held order or an open deposit.
type ItemRef struct {
	No     string    // order or deposit number
	Amount app.Money // payable or held
	Note   string    // guest, room or the order's note
	Since  time.Time
}

// Handover is what clock-off recorded.
type Handover struct {
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
}

// Countersign is a manager's staff number and PIN, typed on the clerk's
// screen to accept a variance over the threshold.
type Countersign struct {
	Code string
	PIN  string
}
