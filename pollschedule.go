package mediaauth

import (
	"context"
	"net/http/httptrace"
	"sync"
	"time"
)

// The timing of TVmaze polls: how long PollUntilConfirmed waits before the
// next poll, and how long a poll whose answer has begun to arrive may go on
// reading it after the caller's context ended.

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

// keepAnswer returns the context a poll is sent with. It ends with ctx
// until the first byte of the answer arrives; after that, an ended ctx
// leaves grace to read the answer, so that an API key the server has
// already handed out (and will never hand out again) is not thrown away.
// release must be called when the poll is done; it leaves no timer behind.
// A zero grace is ctx itself.
func keepAnswer(ctx context.Context, grace time.Duration) (context.Context, func()) {
	if ctx.Done() == nil || grace <= 0 {
		return ctx, func() {}
	}
	sendCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var (
		mu       sync.Mutex
		answered bool
		released bool
		timer    *time.Timer
	)
	sendCtx = httptrace.WithClientTrace(sendCtx, &httptrace.ClientTrace{
		GotFirstResponseByte: func() {
			mu.Lock()
			answered = true
			mu.Unlock()
		},
	})
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case released:
		case answered:
			timer = time.AfterFunc(grace, cancel)
		default:
			cancel()
		}
	})
	return sendCtx, func() {
		stop()
		mu.Lock()
		released = true
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancel()
	}
}
