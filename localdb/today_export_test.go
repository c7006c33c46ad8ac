package localdb

// The Today view's queries, for their plan test.
var (
	TerminalOrdersQuery = terminalOrdersQuery
	LastPaidQuery       = lastPaidQuery
)
