package mediaauth

import (
	"context"
	"net/http/httptrace"
	"sync"
	"time"
)

// The timing of the waits for a person's approval (approval.go): how long
// a wait sleeps before the next attempt, and how long an attempt whose
// answer has begun to arrive may go on reading it after the caller's
// context ended.

// The poll answer grace.
const (
	// DefaultPollAnswerGrace is how long an attempt whose answer has
	// started to arrive may go on reading it after the caller's context
	// ended (see [WithPollAnswerGrace]).
	DefaultPollAnswerGrace = 2 * time.Second
	// MaxPollAnswerGrace is the longest grace [WithPollAnswerGrace] accepts.
	MaxPollAnswerGrace = 10 * time.Second
)

// nextPollWait is the polling schedule: the wait before the next poll,
// given the previous wait. Normally it is the interval. After a 429
// (rateLimited) it is twice the previous wait or the server's retryAfter,
// whichever is longer, capped at maxWait (or at the interval, if that is
// longer). A retryAfter on another answer (503) is honoured up to the same
// cap.
func nextPollWait(prev, interval, maxWait time.Duration, rateLimited bool, retryAfter time.Duration) time.Duration {
	ceiling := max(maxWait, interval)
	next := interval
	if rateLimited {
		doubled := ceiling
		if prev < ceiling/2 {
			doubled = 2 * prev
		}
		next = max(next, doubled)
	}
	next = max(next, retryAfter)
	return min(next, ceiling)
}

func retryAfterOf(e *APIError, ok bool) time.Duration {
	if !ok {
		return 0
	}
	return e.RetryAfter
}

// guard makes cl keep an answer that has begun to arrive for grace after
// ctx ends (see keepAnswer); release the guard when the call is done.
func (h *handle) guard(ctx context.Context, cl *call, grace time.Duration) *answerGuard {
	if ctx == nil || h == nil || h.e == nil {
		return nil
	}
	var g *answerGuard
	cl.attempt, g = keepAnswer(ctx, grace, h.e.s.timeout)
	return g
}

// answerGuard keeps a poll's answer that has begun to arrive when the
// caller's context ends; see keepAnswer. It is itself the context the
// poll is sent with (below the trace that tells it the answer began): the
// caller's values, its own end, and the per-attempt timeout as its
// deadline, in one allocation.
type answerGuard struct {
	parent   context.Context // for its values only
	mu       sync.Mutex
	answered bool // the first byte of the answer arrived
	released bool
	err      error         // why the send context ended, once it has
	done     chan struct{} // closed when it ends
	deadline time.Time     // the per-attempt timeout's, if any
	expiry   *time.Timer   // ends it at the deadline
	timer    *time.Timer   // the grace, once ctx ended after the answer began
	grace    time.Duration
	stop     func() bool // stops watching ctx
	trace    httptrace.ClientTrace
}

// keepAnswer returns the context a poll is sent with, and the guard whose
// release must be called when the poll is done (it leaves no timer
// behind). The send context ends with ctx until the first byte of the
// answer arrives; after that, an ended ctx leaves grace to read the
// answer, so that an API key the server has already handed out (and will
// never hand out again) is not thrown away. A timeout above zero bounds it
// too. A ctx that cannot end, or a zero grace, is ctx itself and no guard.
func keepAnswer(ctx context.Context, grace, timeout time.Duration) (context.Context, *answerGuard) {
	if ctx.Done() == nil || grace <= 0 {
		return ctx, nil
	}
	g := &answerGuard{parent: ctx, grace: grace, done: make(chan struct{})}
	if timeout > 0 {
		g.deadline = time.Now().Add(timeout)
		g.expiry = time.AfterFunc(timeout, g.expire)
	}
	g.trace.GotFirstResponseByte = g.gotFirstByte
	sendCtx := httptrace.WithClientTrace(g, &g.trace)
	g.stop = context.AfterFunc(ctx, g.ctxDone)
	return sendCtx, g
}

// Deadline is the per-attempt timeout's, if any.
func (g *answerGuard) Deadline() (time.Time, bool) { return g.deadline, !g.deadline.IsZero() }

// Done is closed when the send context ends.
func (g *answerGuard) Done() <-chan struct{} { return g.done }

// Err says why the send context ended, nil while it has not.
func (g *answerGuard) Err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// Value is the caller's context's value for key.
func (g *answerGuard) Value(key any) any { return g.parent.Value(key) }

// endLocked ends the send context with err, once; g.mu is held.
func (g *answerGuard) endLocked(err error) {
	if g.err == nil {
		g.err = err
		close(g.done)
	}
}

// expire ends the send context at the per-attempt timeout.
func (g *answerGuard) expire() {
	g.mu.Lock()
	g.endLocked(context.DeadlineExceeded)
	g.mu.Unlock()
}

// graceOver ends the send context when the grace has run out.
func (g *answerGuard) graceOver() {
	g.mu.Lock()
	g.endLocked(context.Canceled)
	g.mu.Unlock()
}

// gotFirstByte is the trace hook: the answer has begun.
func (g *answerGuard) gotFirstByte() {
	g.mu.Lock()
	g.answered = true
	g.mu.Unlock()
}

// ctxDone runs when the caller's context ends: it ends the send context at
// once, or after the grace when the answer has begun.
func (g *answerGuard) ctxDone() {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.released:
	case g.answered:
		g.timer = time.AfterFunc(g.grace, g.graceOver)
	default:
		g.endLocked(context.Canceled)
	}
}

// release ends the send context and stops the guard's timers; on a nil
// guard it does nothing.
func (g *answerGuard) release() {
	if g == nil {
		return
	}
	g.stop()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.released = true
	for _, t := range [...]*time.Timer{g.timer, g.expiry} {
		if t != nil {
			t.Stop()
		}
	}
	g.endLocked(context.Canceled)
}
