// Package report holds the reports a store manager closes the day and the
// month with (business-rules section 4), for the Reports workspace and
// `pos report` alike: the transaction summary and its breakdowns per
// payment method, store, staff member and shift; the transaction details
// with filters, a page at a time; the month-by-day bill, the year-by-month
// bill and a day's takings by the hour; and each of them as a table that
// the screen shows and the exports write.
//
// The figures come from the takings journal through app/summary, so a
// report, a shift handover and the status bar always agree. Who asks is
// part of every question: the person is read afresh and Visibility decides
// what they may see.
package report

import (
	"context"
	"time"

	"cashier/app"
	"cashier/app/summary"
)

// Store is what the reports read (localdb implements it).
type Store interface {
	summary.Store
	// SumTakingsBy sums the journal rows the filter selects, grouped by
	// staff member or by shift as well as by kind and method.
	SumTakingsBy(ctx context.Context, f summary.Filter, by By) ([]GroupRow, error)
	// SumTakingsDays sums a store's business days from..to (inclusive),
	// one person's when staffID is not 0, grouped by day, kind and method.
	SumTakingsDays(ctx context.Context, storeID, staffID int64, from, to summary.Day) ([]DayRow, error)
	// SumTakingsHours sums the journal rows of [from, to) by the whole
	// hours elapsed since from, kind and method; one person's when staffID
	// is not 0.
	SumTakingsHours(ctx context.Context, storeID, staffID int64, from, to time.Time) ([]HourRow, error)
	// OrderDetails lists orders the query selects, newest first, at most
	// q.Limit.
	OrderDetails(ctx context.Context, q DetailQuery) ([]Detail, error)
	// Stores lists the merchant's stores.
	Stores(ctx context.Context) ([]app.StoreInfo, error)
	// GetOrder reads one order with its lines and tenders.
	GetOrder(ctx context.Context, orderNo string) (app.Order, error)
}

// People reads a person as they are now.
type People interface {
	StaffByID(ctx context.Context, id int64) (app.Staff, error)
}

// Shifts tells whether a person is clocked on now.
type Shifts interface {
	ClockedOn(ctx context.Context, staffID int64) (bool, error)
}

// Service answers the reports.
type Service struct {
	Store  Store
	People People
	Shifts Shifts
}

// GroupRow is the journal summed for one staff member or shift, kind and
// method, with what names the group.
type GroupRow struct {
	summary.Row
	ID        int64 // the staff member's or the shift's ID; 0: on no shift
	StaffID   int64 // the person (of the shift)
	StaffCode string
	StaffName string
	Start     time.Time // the shift's start
	End       time.Time // the shift's end; zero while it is open
}

// DayRow is the journal summed for one business day, kind and method.
type DayRow struct {
	Day summary.Day
	summary.Row
}

// HourRow is the journal summed for one hour, kind and method: Hour is
// the number of whole hours since the start of the range.
type HourRow struct {
	Hour int
	summary.Row
}

// Errors.
var (
	// ErrNotVisible: the person may not see what was asked (another
	// store, another person's figures or orders).
	ErrNotVisible = app.ErrNoPermission.Sub("report.not_visible")
	// ErrOffShift: a clerk without the store-transactions permission
	// sees reports only while clocked on (Name).
	ErrOffShift = app.ErrNoPermission.Sub("report.off_shift")
	// ErrUnknownStore: no store has that ID.
	ErrUnknownStore = app.NewError("report.unknown_store")
	// ErrBadFilter and its cases: a filter that cannot be answered.
	ErrBadFilter    = app.NewError("report.bad_filter")
	ErrBadAmounts   = ErrBadFilter.Sub("report.bad_amounts")    // Min, Max
	ErrBadState     = ErrBadFilter.Sub("report.bad_state")      // Value
	ErrBadMethod    = ErrBadFilter.Sub("report.bad_method")     // Value
	ErrBadKind      = ErrBadFilter.Sub("report.bad_kind")       // Value
	ErrBadBy        = ErrBadFilter.Sub("report.bad_by")         // Value
	ErrBadPeriod    = ErrBadFilter.Sub("report.bad_period")     // Value
	ErrBadTimeRange = ErrBadFilter.Sub("report.bad_time_range") // From, To
	// ErrTooManyRows: a table to export holds more rows than a
	// spreadsheet does (Max).
	ErrTooManyRows = app.NewError("report.too_many_rows")
)

// store finds a store by ID.
func (s *Service) store(ctx context.Context, id int64) (app.StoreInfo, error) {
	stores, err := s.Store.Stores(ctx)
	if err != nil {
		return app.StoreInfo{}, err
	}
	for _, st := range stores {
		if st.ID == id {
			return st, nil
		}
	}
	return app.StoreInfo{}, ErrUnknownStore.With("ID", id)
}

// Location is a store's time zone: days, hours and shown times are the
// store's.
func (s *Service) Location(ctx context.Context, storeID int64) (*time.Location, error) {
	st, err := s.store(ctx, storeID)
	if err != nil {
		return nil, err
	}
	return st.Location(), nil
}
