package localdb

// StoreOrdersQuery is the list's query, for its plan test.
const StoreOrdersQuery = storeOrdersQuery
