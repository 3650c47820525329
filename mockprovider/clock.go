package mockprovider

import (
	"sync"
	"time"
)

// Clock is the virtual clock a Provider judges token lifetimes by. It runs
// with real time plus an offset that only grows, so a scenario can make an
// hour pass instantly while scripted delays still take real time.
//
// The zero value is ready to use and starts at the real time.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
	// Base, when set, replaces the real clock (tests use it to pin time).
	// Nil means time.Now.
	Base func() time.Time
}

// Now returns the virtual time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	off := c.offset
	base := c.Base
	c.mu.Unlock()
	if base == nil {
		base = time.Now
	}
	return base().Add(off)
}

// Advance moves the virtual time forward by d. A negative d is ignored:
// tokens never become valid again by turning the clock back.
func (c *Clock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// Offset reports how far the virtual time is ahead of the base clock.
func (c *Clock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}

func (c *Clock) reset() {
	c.mu.Lock()
	c.offset = 0
	c.mu.Unlock()
}
