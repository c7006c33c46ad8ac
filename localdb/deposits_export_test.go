package localdb

// ListDepositsQuery is the desk list's query, for its plan test.
var ListDepositsQuery = listDepositsQuery

// Deposit lookups by transaction and short number, for their plan tests.
const (
	DepositByTxnQuery     = depositByTxn
	DepositByShortNoQuery = depositByShortNo
)
