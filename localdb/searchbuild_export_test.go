package localdb

// SetDeferItems makes a transaction of n items leave its search terms to
// the builder, until the returned func puts the threshold back.
func SetDeferItems(n int) func() {
	was := deferItems
	deferItems = n
	return func() { deferItems = was }
}
