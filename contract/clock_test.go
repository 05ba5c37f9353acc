package contract_test

import (
	"sync"
	"time"
)

// fakeClock is a settable clock for mediaauthtest.WithClock: it moves only
// when a test advances it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// newFakeClock returns a fakeClock that reads start.
func newFakeClock(start time.Time) *fakeClock { return &fakeClock{now: start} }

// Now reads the clock.
func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
