// Package async runs blocking work (database, network, devices) off the
// Fyne event goroutine and applies its result on it.
package async

import "fyne.io/fyne/v2"

// Synchronous makes Run do everything on the caller's goroutine. Headless
// tests set it so that a screen is fully loaded when the call returns.
var Synchronous bool

// Run calls work on a new goroutine, then apply on the UI goroutine.
func Run(work func(), apply func()) {
	if Synchronous {
		work()
		apply()
		return
	}
	go func() {
		work()
		fyne.Do(apply)
	}()
}
