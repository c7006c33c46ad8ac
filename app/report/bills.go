package report

import (
	"context"
	"strconv"
	"time"

	"cashier/app/summary"
)

// BillFilter chooses a bill: the store, one person (0: everyone) and the
// period — Year and Month for a month-by-day bill, Year for a year's, Day
// for a day by the hour.
type BillFilter struct {
	StoreID int64
	StaffID int64
	Year    int
	Month   time.Month
	Day     summary.Day
}

// Period is one line of a bill: a business day of the month, a month of
// the year, or an hour of a day.
type Period struct {
	Day      summary.Day // the business day; a month's first day; the hour's day
	Hour     int         // the clock hour 0–23 (hourly bills)
	Total    summary.Figures
	ByMethod map[summary.Method]summary.Figures
	// Deposits taken, consumed and released in the period (apart from
	// takings; the held balance is the range summary's).
	Deposits summary.Deposits
}

// Method returns the period's figures for m.
func (p Period) Method(m summary.Method) summary.Figures { return p.ByMethod[m] }

// Bill is every period of a month, a year or a day, in order, the quiet
// ones included (a chart needs its zeros), and their total.
type Bill struct {
	Filter  BillFilter
	Periods []Period
	Total   Period
}

// Daily is the month-by-day bill: every business day of f's month. It
// reads the journal's day sums, so a month of a million sales costs what
// a quiet one does.
func (v View) Daily(ctx context.Context, f BillFilter) (Bill, error) {
	s := v.s
	if f.Year < 2000 || f.Year > 9999 || f.Month < time.January || f.Month > time.December {
		return Bill{}, ErrBadPeriod.With("Value", strconv.Itoa(f.Year)+"-"+strconv.Itoa(int(f.Month)))
	}
	f.Day = summary.Day{}
	f, err := v.billScope(ctx, f)
	if err != nil {
		return Bill{}, err
	}
	last := time.Date(f.Year, f.Month+1, 0, 0, 0, 0, 0, time.UTC).Day()
	from, to := summary.Day{Year: f.Year, Month: f.Month, D: 1}, summary.Day{Year: f.Year, Month: f.Month, D: last}
	rows, err := s.Store.SumTakingsDays(ctx, f.StoreID, f.StaffID, from, to)
	if err != nil {
		return Bill{}, err
	}
	byDay := map[int][]summary.Row{}
	for _, r := range rows {
		byDay[r.Day.D] = append(byDay[r.Day.D], r.Row)
	}
	b := Bill{Filter: f}
	for d := 1; d <= last; d++ {
		b.Periods = append(b.Periods, period(summary.Day{Year: f.Year, Month: f.Month, D: d}, 0, byDay[d]))
	}
	b.Total = period(from, 0, flatten(byDay))
	return b, nil
}

// Monthly is the year's bill: every month of f's year, each the sum of
// its business days.
func (v View) Monthly(ctx context.Context, f BillFilter) (Bill, error) {
	s := v.s
	if f.Year < 2000 || f.Year > 9999 {
		return Bill{}, ErrBadPeriod.With("Value", strconv.Itoa(f.Year))
	}
	f.Month, f.Day = 0, summary.Day{}
	f, err := v.billScope(ctx, f)
	if err != nil {
		return Bill{}, err
	}
	from, to := summary.Day{Year: f.Year, Month: time.January, D: 1}, summary.Day{Year: f.Year, Month: time.December, D: 31}
	rows, err := s.Store.SumTakingsDays(ctx, f.StoreID, f.StaffID, from, to)
	if err != nil {
		return Bill{}, err
	}
	byMonth := map[int][]summary.Row{}
	for _, r := range rows {
		byMonth[int(r.Day.Month)] = append(byMonth[int(r.Day.Month)], r.Row)
	}
	b := Bill{Filter: f}
	for m := time.January; m <= time.December; m++ {
		b.Periods = append(b.Periods, period(summary.Day{Year: f.Year, Month: m, D: 1}, 0, byMonth[int(m)]))
	}
	b.Total = period(from, 0, flatten(byMonth))
	return b, nil
}

// Hourly is a day's takings by the hour: the 24 clock hours of the
// calendar day f.Day in the store's time zone, by when the money moved
// (not the business day: a shift that crosses midnight puts its late
// hours on the next calendar day). On a day the clock goes back, the
// repeated hour holds both; on a day it goes forward, the skipped hour is
// empty.
func (v View) Hourly(ctx context.Context, f BillFilter) (Bill, error) {
	s := v.s
	if f.Day.IsZero() || f.Day.Year < 2000 || f.Day.Year > 9999 {
		return Bill{}, ErrBadPeriod.With("Value", f.Day.String())
	}
	f.Year, f.Month = 0, 0
	f, err := v.billScope(ctx, f)
	if err != nil {
		return Bill{}, err
	}
	loc, err := s.Location(ctx, f.StoreID)
	if err != nil {
		return Bill{}, err
	}
	start := time.Date(f.Day.Year, f.Day.Month, f.Day.D, 0, 0, 0, 0, loc)
	end := time.Date(f.Day.Year, f.Day.Month, f.Day.D+1, 0, 0, 0, 0, loc)
	rows, err := s.Store.SumTakingsHours(ctx, f.StoreID, f.StaffID, start, end)
	if err != nil {
		return Bill{}, err
	}
	byHour := map[int][]summary.Row{}
	for _, r := range rows {
		h := start.Add(time.Duration(r.Hour) * time.Hour).In(loc).Hour()
		byHour[h] = append(byHour[h], r.Row)
	}
	b := Bill{Filter: f}
	for h := 0; h < 24; h++ {
		b.Periods = append(b.Periods, period(f.Day, h, byHour[h]))
	}
	b.Total = period(f.Day, 0, flatten(byHour))
	return b, nil
}

// billScope checks the store and narrows the person as Figures does.
func (v View) billScope(ctx context.Context, f BillFilter) (BillFilter, error) {
	sf, err := v.sc.Figures(summary.Filter{StoreID: f.StoreID, StaffID: f.StaffID})
	if err != nil {
		return f, err
	}
	if _, err := v.s.store(ctx, f.StoreID); err != nil {
		return f, err
	}
	f.StaffID = sf.StaffID
	return f, nil
}

func period(d summary.Day, hour int, rows []summary.Row) Period {
	sum := summary.Compute(rows)
	return Period{Day: d, Hour: hour, Total: sum.Total, ByMethod: sum.ByMethod, Deposits: sum.Deposits}
}

func flatten(m map[int][]summary.Row) []summary.Row {
	var out []summary.Row
	for _, rows := range m {
		out = append(out, rows...)
	}
	return out
}
