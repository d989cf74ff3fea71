package bot

import (
	"sync"
	"time"
)

// Clock tells the time. The store, the scheduler and the flows take it as a
// dependency so that tests and the playground can move time.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real wall clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// FakeClock is a clock that moves only when told to, and never backwards.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a fake clock standing at t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{now: t} }

// Now returns the fake time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t. It returns ECONFLICT if t is before the current
// time, and leaves the clock unchanged.
func (c *FakeClock) Set(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.Before(c.now) {
		return Errorf(ECONFLICT, "the clock never moves backwards: it is %s", c.now.Format(time.RFC3339))
	}
	c.now = t
	return nil
}
