package localdb

import "cashier/app/report"

// DetailsSQL is the details' query for a query, for its plan test.
func DetailsSQL(q report.DetailQuery) (string, []any) { return detailsSQL(q) }

// SumDaysQuery is the day sums' query, for its plan test.
const SumDaysQuery = sumDaysQuery
