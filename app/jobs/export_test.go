package jobs

// Tick is cron's call at a scheduled time, for tests that drive the
// schedule on a manual clock.
func (r *Registry) Tick(name string) {
	e, err := r.lookup(name)
	if err != nil {
		panic(err)
	}
	r.tick(e)
}

var Safely = safely

var Message = message
