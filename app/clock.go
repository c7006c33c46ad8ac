package app

import (
	"sync"
	"time"
)

// Clock is where every time-dependent rule (lockouts, the 15-second reverse
// rule, deposit age, shift intervals) reads the time, so tests can move it.
type Clock interface {
	Now() time.Time
	// After behaves like time.After on this clock.
	After(d time.Duration) <-chan time.Time
	// Since is how long ago t was. For a t this clock handed out in this
	// process it is measured on a clock that wall-clock changes do not
	// move (Go's monotonic clock), so a protective wait — the 15-second
	// reverse rule, the duplicate-scan window — is never shortened by
	// someone setting the system time. For a t read back from storage it is
	// the wall-clock difference.
	Since(t time.Time) time.Duration
}

// SystemClock is the real wall clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time                         { return time.Now() }
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Since uses t's monotonic reading when it has one (time.Now's do; times
// from the database do not).
func (SystemClock) Since(t time.Time) time.Duration { return time.Since(t) }

// Elapsed is clock.Since(t) bounded to [0, limit]: a stored time in the
// future (the wall clock was set back) counts as just now, so the wait it
// guards is served in full.
func Elapsed(c Clock, t time.Time, limit time.Duration) time.Duration {
	return min(max(c.Since(t), 0), limit)
}

// ManualClock is a clock that only moves when told to; timers fire when
// Advance passes their deadline. Jump changes the wall time alone, as a
// person setting the system clock does. Safe for concurrent use.
type ManualClock struct {
	mu      sync.Mutex
	now     time.Time
	mono    time.Duration
	issued  map[int64]time.Duration // wall time handed out → mono then
	waiters []manualWaiter
}

type manualWaiter struct {
	at time.Duration // on the monotonic clock
	ch chan time.Time
}

// NewManualClock starts a manual clock at t.
func NewManualClock(t time.Time) *ManualClock {
	return &ManualClock{now: t, issued: map[int64]time.Duration{}}
}

func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.issued[c.now.UnixNano()] = c.mono
	return c.now
}

func (c *ManualClock) Since(t time.Time) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m, ok := c.issued[t.UnixNano()]; ok {
		return c.mono - m
	}
	return c.now.Sub(t)
}

func (c *ManualClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, manualWaiter{at: c.mono + d, ch: ch})
	return ch
}

// Advance moves the clock forward and fires every timer now due.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mono += d
	now := c.now
	kept := c.waiters[:0]
	var due []manualWaiter
	for _, w := range c.waiters {
		if w.at <= c.mono {
			due = append(due, w)
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
	c.mu.Unlock()
	for _, w := range due {
		w.ch <- now
	}
}

// Jump moves the wall time by d (either way) without moving the monotonic
// clock: no timer fires, and Since of a time handed out earlier is
// unchanged.
func (c *ManualClock) Jump(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Set jumps the clock to t (forward only fires timers).
func (c *ManualClock) Set(t time.Time) {
	d := t.Sub(c.Now())
	if d > 0 {
		c.Advance(d)
		return
	}
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// Waiters reports how many timers are pending; tests use it to know a
// goroutine has reached its wait before advancing.
func (c *ManualClock) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}
