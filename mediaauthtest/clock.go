package mediaauthtest

import (
	"sync"
	"time"
)

// Clock is a fake clock: it reads the time it was last set to and moves
// only when a test moves it, so that expiry rules can be tested without
// waiting. Give its Now method to the fake with [WithClock], and to any
// code of your own that takes a func() time.Time:
//
//	clock := mediaauthtest.NewClock(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
//	srv := mediaauthtest.NewServer(mediaauthtest.WithClock(clock.Now))
//	...
//	clock.Advance(time.Hour) // every token of the fake is an hour older
//
// Its methods are safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a [Clock] that reads start until it is moved.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now reads the clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock by d (back in time when d is negative) and
// returns the time it then reads.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// Set sets the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// The server's own clock: what [WithClock] gives (time.Now by default),
// moved by an offset that the clock hooks set. It moves for every rule of
// the fake at once, and over HTTP too (POST /_fake/clock/advance and
// PUT /_fake/clock), so that a test in any language can expire a token
// without waiting.

// Now reads the server's clock: the time of [WithClock] (time.Now by
// default) moved by [Server.AdvanceClock] and [Server.SetClock]. Every
// expiry rule of the fake reads it.
func (s *Server) Now() time.Time {
	return s.cfg.now().Add(time.Duration(s.clockOffset.Load()))
}

// AdvanceClock moves the server's clock by d (back in time when d is
// negative) and returns the time it then reads. The clock keeps running
// from there, at the pace of the clock of [WithClock]. [Server.Reset]
// takes the move back.
func (s *Server) AdvanceClock(d time.Duration) time.Time {
	s.clockOffset.Add(int64(d))
	return s.Now()
}

// SetClock makes the server's clock read t now; it keeps running from
// there, at the pace of the clock of [WithClock]. [Server.Reset] takes
// the move back.
func (s *Server) SetClock(t time.Time) {
	s.clockOffset.Store(int64(t.Sub(s.cfg.now())))
}
