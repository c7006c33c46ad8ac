package shift

import "cashier/app"

// Errors of clocking on and off. Each is a code with parameters; the UI
// and the CLI put it into words.
var (
	// ErrAlreadyOn carries Name and Since: the person's open shift started then.
	ErrAlreadyOn = app.NewError("shift.already_on")
	// ErrNotOn carries Name: the person has no open shift to end.
	ErrNotOn = app.NewError("shift.not_on")
	// ErrNotFound carries ID.
	ErrNotFound = app.NewError("shift.not_found")
	// ErrStillOpen carries ID: a running shift has no report to reprint yet.
	ErrStillOpen = app.NewError("shift.still_open")
	ErrBadScope  = app.NewError("shift.bad_scope")

	// ErrFloat: an opening float below zero or above MaxFloat.
	ErrFloat         = app.NewError("shift.float_invalid")
	ErrFloatNegative = ErrFloat.Sub("shift.float_negative")
	ErrFloatTooLarge = ErrFloat.Sub("shift.float_too_large") // Max

	// ErrCount: the blind count cannot be right. Each case names the
	// denomination (Denomination) and what was typed (Count or Value).
	ErrCount          = app.NewError("shift.count_invalid")
	ErrCountNegative  = ErrCount.Sub("shift.count_negative")
	ErrCountTooMany   = ErrCount.Sub("shift.count_too_many") // Max
	ErrCountNotNumber = ErrCount.Sub("shift.count_not_number")
	ErrCountUnknown   = ErrCount.Sub("shift.count_unknown")  // Code
	ErrCoinsTooMuch   = ErrCount.Sub("shift.coins_too_much") // Amount, Max

	// ErrFloatLeft: the float left for the next shift is below zero or
	// more than was counted (Counted).
	ErrFloatLeft         = app.NewError("shift.float_left_invalid")
	ErrFloatLeftNegative = ErrFloatLeft.Sub("shift.float_left_negative")
	ErrFloatLeftTooLarge = ErrFloatLeft.Sub("shift.float_left_over_count")

	// ErrCountersign: the variance needs a manager's countersign and this
	// one does not do. Each case is an ErrCountersign.
	ErrCountersign         = app.NewError("shift.countersign_invalid")
	ErrCountersignNeeded   = ErrCountersign.Sub("shift.countersign_needed")   // Variance, Threshold
	ErrCountersignSelf     = ErrCountersign.Sub("shift.countersign_self")     // Name
	ErrCountersignRole     = ErrCountersign.Sub("shift.countersign_role")     // Name
	ErrCountersignDisabled = ErrCountersign.Sub("shift.countersign_disabled") // Name

	// ErrCloseForRole carries Name and Owner: only a store manager or an
	// administrator closes someone else's shift.
	ErrCloseForRole = app.NewError("shift.close_for_role")
	// ErrNoOpenShift: the shift to close for someone has ended meanwhile.
	ErrNoOpenShift = app.NewError("shift.no_open_shift")

	// ErrChanged: money was taken on the shift while it was being closed,
	// again and again; the count stands, the person tries again.
	ErrChanged = app.NewError("shift.changed")
	// ErrNoPrinter: this terminal has no printer to print the report on;
	// the report is kept.
	ErrNoPrinter = app.NewError("shift.no_printer")
	// ErrStale is what a Store answers when the shift's takings moved
	// after the figures were read, or the shift was ended meanwhile:
	// nothing was written.
	ErrStale = app.NewError("shift.stale")
)
