// Package async runs blocking work (database, network, devices) off the
// Fyne event goroutine and applies its result on it.
package async

import (
	"sync"

	"fyne.io/fyne/v2"
)

// Synchronous makes Run do everything on the caller's goroutine. Headless
// tests set it so that a screen is fully loaded when the call returns.
var Synchronous bool

// Serial makes Do and DoAndWait run their functions one at a time, in
// order, on one goroutine of their own. The headless test driver runs
// fyne.Do on the calling goroutine, so a payment's progress and a test's
// key press would otherwise update widgets at the same moment; the real
// driver queues both on its one event goroutine, and this does the same.
var Serial bool

var (
	queue     chan func()
	startOnce sync.Once
)

// Run calls work on a new goroutine, then apply on the UI goroutine.
func Run(work func(), apply func()) {
	if Synchronous {
		work()
		apply()
		return
	}
	go func() {
		work()
		Do(apply)
	}()
}

// Do runs f on the UI goroutine (fyne.Do), in turn under Serial.
func Do(f func()) {
	if !Serial {
		fyne.Do(f)
		return
	}
	serial() <- f
}

// DoAndWait is Do that returns once f has run. Under Serial it must not
// be called from a function Do runs (that would wait for itself).
func DoAndWait(f func()) {
	if !Serial {
		fyne.DoAndWait(f)
		return
	}
	done := make(chan struct{})
	serial() <- func() {
		defer close(done)
		f()
	}
	<-done
}

func serial() chan<- func() {
	startOnce.Do(func() {
		queue = make(chan func(), 1024)
		go func() {
			for f := range queue {
				fyne.DoAndWait(f)
			}
		}()
	})
	return queue
}
