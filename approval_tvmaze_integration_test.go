package mediaauth_test

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPollUntilConfirmedAfterKIntervals: confirmed after k polls, the call
// makes exactly k+1 polls (it returns with the first poll after the
// confirmation), never more than one per interval.
func TestPollUntilConfirmedAfterKIntervals(t *testing.T) {
	t.Parallel()
	const (
		interval = 100 * time.Millisecond // wide enough for a loaded machine
		k        = 3
	)
	srv, c0 := tvmazeFake(t, interval, nil)
	tok := tvmazeStart(t, c0)
	var log eventLog
	c := fakeClient(t, srv)
	observe := mediaauth.WithWaitObserver(func(ev mediaauth.WaitEvent) {
		log.add(ev)
		if ev.Attempt == k {
			assert.NoError(t, srv.TVmaze.Confirm(tok.Token))
		}
	})

	start := time.Now()
	creds, err := c.TVmaze.PollUntilConfirmed(context.Background(), mediaauth.AuthRequest{Token: tok.Token}, every(interval), observe)
	require.NoError(t, err)
	end := time.Now()
	assert.Equal(t, mediaauthtest.DemoTVmazeAPIKey, creds.APIKey)
	assert.Equal(t, k+1, srv.RequestCount(http.MethodPost, tvPollPath))
	assert.GreaterOrEqual(t, end.Sub(start), (k+1)*interval, "never more than one poll per interval")

	// The server never saw a poll come too early.
	for _, r := range srv.Requests() {
		assert.NotEqual(t, http.StatusTooManyRequests, r.Status)
	}
	events := log.all()
	require.Len(t, events, k+1)
	for i, ev := range events[:k] {
		assert.Equal(t, i+1, ev.Attempt)
		assert.Equal(t, http.StatusForbidden, ev.StatusCode)
		assert.ErrorIs(t, ev.Err, mediaauth.ErrAuthorizationPending)
		assert.Equal(t, interval, ev.NextPoll)
	}
	assert.Equal(t, mediaauth.WaitEvent{API: mediaauth.APITVmaze, Attempt: k + 1, StatusCode: http.StatusOK}, events[k])
}

// TestPollUntilConfirmedAutoConfirm: a fake that confirms by itself after
// 3.5 intervals is polled 4 or 5 times on an idle machine: never more (no
// poll comes early), and fewer only when a busy machine delays them.
func TestPollUntilConfirmedAutoConfirm(t *testing.T) {
	t.Parallel()
	const interval = 30 * time.Millisecond
	srv, c := tvmazeFake(t, interval, []mediaauthtest.Option{mediaauthtest.WithTVmazeAutoConfirm(interval * 7 / 2)})
	creds, err := c.TVmaze.PollUntilConfirmed(context.Background(), tvmazeStart(t, c), every(interval))
	require.NoError(t, err)
	assert.Equal(t, mediaauthtest.DemoTVmazeUsername, creds.Username)
	// Polls come every interval, never faster (at most 5 by 3.5 intervals);
	// a loaded machine may delay one.
	n := srv.RequestCount(http.MethodPost, tvPollPath)
	assert.GreaterOrEqual(t, n, 2)
	assert.LessOrEqual(t, n, 5)
}

// TestPollUntilConfirmedRateLimited: each 429 doubles the wait, and the
// next other answer brings it back to the interval.
func TestPollUntilConfirmedRateLimited(t *testing.T) {
	t.Parallel()
	const interval = 100 * time.Millisecond // wide enough that scheduling noise stays under one interval
	srv, c0 := tvmazeFake(t, time.Millisecond, nil)
	tok := tvmazeStart(t, c0)
	srv.InjectFault(tvPollPath, mediaauthtest.Fault{Status: http.StatusTooManyRequests, Times: 2})
	var log eventLog
	c := fakeClient(t, srv)
	observe := mediaauth.WithWaitObserver(func(ev mediaauth.WaitEvent) {
		log.add(ev)
		if ev.Attempt == 4 {
			assert.NoError(t, srv.TVmaze.Confirm(tok.Token))
		}
	})

	_, err := c.TVmaze.PollUntilConfirmed(context.Background(), mediaauth.AuthRequest{Token: tok.Token}, every(interval), observe)
	require.NoError(t, err)

	at := pollTimes(srv)
	require.Len(t, at, 5) // 429, 429, 403, 403, 200
	gaps := make([]time.Duration, len(at)-1)
	for i := range gaps {
		gaps[i] = at[i+1].Sub(at[i])
	}
	assert.GreaterOrEqual(t, gaps[0], 2*interval, "first 429 doubles the wait")
	assert.GreaterOrEqual(t, gaps[1], 4*interval, "second 429 doubles it again")
	assert.GreaterOrEqual(t, gaps[2], interval)
	// Back to the interval after a 403, not the doubled wait (4 intervals
	// and more); the margin is for a loaded machine's scheduling.
	assert.Less(t, gaps[2], 4*interval, "back to the interval after a 403")
	assert.Less(t, gaps[3], 4*interval)

	events := log.all()
	require.Len(t, events, 5)
	assert.Equal(t, []time.Duration{2 * interval, 4 * interval, interval, interval, 0},
		[]time.Duration{events[0].NextPoll, events[1].NextPoll, events[2].NextPoll, events[3].NextPoll, events[4].NextPoll})
	assert.ErrorIs(t, events[0].Err, mediaauth.ErrRateLimited)
	assert.Equal(t, http.StatusTooManyRequests, events[1].StatusCode)
}

// TestPollUntilConfirmedHonoursRetryAfter: a Retry-After longer than the
// doubled wait is waited out.
func TestPollUntilConfirmedHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	const interval = 20 * time.Millisecond
	srv, c0 := tvmazeFake(t, time.Millisecond, nil)
	tok := tvmazeStart(t, c0)
	srv.InjectFault(tvPollPath, mediaauthtest.Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"1"}}})
	var log eventLog
	c := fakeClient(t, srv)
	observe := mediaauth.WithWaitObserver(func(ev mediaauth.WaitEvent) {
		log.add(ev)
		if ev.Attempt == 1 {
			assert.NoError(t, srv.TVmaze.Confirm(tok.Token))
		}
	})

	_, err := c.TVmaze.PollUntilConfirmed(context.Background(), mediaauth.AuthRequest{Token: tok.Token}, every(interval), observe)
	require.NoError(t, err)
	at := pollTimes(srv)
	require.Len(t, at, 2)
	assert.GreaterOrEqual(t, at[1].Sub(at[0]), time.Second)
	assert.Less(t, at[1].Sub(at[0]), time.Second+500*time.Millisecond)
	assert.Equal(t, time.Second, log.all()[0].NextPoll)
}

// TestPollUntilConfirmedServerRateLimit: polling faster than the server
// allows gets the fake's own 429, after which the client slows down to
// what the server's Retry-After asks, capped. The fake keeps TVmaze's
// 10-second minimum on a clock that moves only when the test says, and the
// cap (5 minutes by default) is 60 ms, so that nothing waits ten seconds.
func TestPollUntilConfirmedServerRateLimit(t *testing.T) {
	t.Parallel()
	const (
		serverMin = 10 * time.Second
		interval  = 20 * time.Millisecond
		maxWait   = 60 * time.Millisecond
	)
	clock := mediaauthtest.NewClock(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	var (
		log eventLog
		mu  sync.Mutex
		at  []time.Time // when the observer saw each attempt
	)
	// The first poll comes an interval after the start by the real clock,
	// none by the fake's: it is refused with Retry-After: 10. The client
	// waits maxWait, the fake's clock moves past its minimum, and the next
	// poll gets the key.
	srv, c := tvmazeFake(t, serverMin,
		[]mediaauthtest.Option{mediaauthtest.WithClock(clock.Now), mediaauthtest.WithTVmazeAutoConfirm(time.Millisecond)})
	wait := []mediaauth.WaitOption{every(interval), mediaauth.WithPollMaxWait(maxWait),
		mediaauth.WithWaitObserver(func(ev mediaauth.WaitEvent) {
			mu.Lock()
			at = append(at, time.Now())
			mu.Unlock()
			log.add(ev)
			if ev.Attempt == 1 {
				clock.Advance(serverMin)
			}
		})}
	creds, err := c.TVmaze.PollUntilConfirmed(context.Background(), tvmazeStart(t, c), wait...)
	require.NoError(t, err)
	assert.Equal(t, mediaauthtest.DemoTVmazeAPIKey, creds.APIKey)
	var statuses []int
	for _, r := range srv.Requests() {
		if r.Path == tvPollPath {
			statuses = append(statuses, r.Status)
		}
	}
	assert.Equal(t, []int{http.StatusTooManyRequests, http.StatusOK}, statuses)

	events := log.all()
	require.Len(t, events, 2)
	assert.Equal(t, http.StatusTooManyRequests, events[0].StatusCode)
	require.ErrorIs(t, events[0].Err, mediaauth.ErrRateLimited)
	var apiErr *mediaauth.APIError
	require.ErrorAs(t, events[0].Err, &apiErr)
	assert.Equal(t, serverMin, apiErr.RetryAfter, "the fake asks for its minimum interval")
	assert.Equal(t, maxWait, events[0].NextPoll, "Retry-After, capped, instead of the interval")
	assert.Equal(t, mediaauth.WaitEvent{API: mediaauth.APITVmaze, Attempt: 2, StatusCode: http.StatusOK}, events[1])
	mu.Lock()
	defer mu.Unlock()
	assert.GreaterOrEqual(t, at[1].Sub(at[0]), maxWait, "the client waited before polling again")
}

func TestPollUntilConfirmedNotFound(t *testing.T) {
	t.Parallel()
	t.Run("unknown token", func(t *testing.T) {
		t.Parallel()
		srv, c := tvmazeFake(t, time.Millisecond, nil)
		_, err := c.TVmaze.PollUntilConfirmed(context.Background(), mediaauth.AuthRequest{Token: "no-such-token"}, every(10*time.Millisecond))
		require.ErrorIs(t, err, mediaauth.ErrAuthRequestNotFound)
		assert.Contains(t, err.Error(), "start a new one")
		assert.Equal(t, 1, srv.RequestCount(http.MethodPost, tvPollPath))
	})
	t.Run("expired request", func(t *testing.T) {
		t.Parallel()
		srv, c := tvmazeFake(t, time.Millisecond,
			[]mediaauthtest.Option{mediaauthtest.WithTVmazeRequestTTL(20 * time.Millisecond)})
		_, err := c.TVmaze.PollUntilConfirmed(context.Background(), tvmazeStart(t, c), every(40*time.Millisecond))
		require.ErrorIs(t, err, mediaauth.ErrAuthRequestNotFound)
		var apiErr *mediaauth.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusNotFound, apiErr.StatusCode)
		assert.Equal(t, "/v1/auth/poll", apiErr.Path)
		assert.Equal(t, 1, srv.RequestCount(http.MethodPost, tvPollPath))
	})
}

// TestPollUntilConfirmedTransientFaults: 5xx answers and dropped
// connections are polled through.
func TestPollUntilConfirmedTransientFaults(t *testing.T) {
	t.Parallel()
	srv, c := tvmazeFake(t, time.Millisecond,
		[]mediaauthtest.Option{mediaauthtest.WithTVmazeAutoConfirm(time.Millisecond)})
	tok := tvmazeStart(t, c)
	srv.InjectFault(tvPollPath, mediaauthtest.Fault{Status: http.StatusServiceUnavailable})
	srv.InjectFault(tvPollPath, mediaauthtest.Fault{Drop: true})
	srv.InjectFault(tvPollPath, mediaauthtest.Fault{Status: http.StatusBadGateway})
	var log eventLog
	observe := mediaauth.WithWaitObserver(log.add)

	creds, err := c.TVmaze.PollUntilConfirmed(context.Background(), mediaauth.AuthRequest{Token: tok.Token}, every(10*time.Millisecond), observe)
	require.NoError(t, err)
	assert.Equal(t, mediaauthtest.DemoTVmazeAPIKey, creds.APIKey)
	assert.Equal(t, 4, srv.RequestCount(http.MethodPost, tvPollPath), "one request per attempt, no transport retries")
	events := log.all()
	require.Len(t, events, 4)
	assert.ErrorIs(t, events[0].Err, mediaauth.ErrServer)
	assert.ErrorIs(t, events[1].Err, mediaauth.ErrNetwork)
	assert.Zero(t, events[1].StatusCode)
	assert.ErrorIs(t, events[2].Err, mediaauth.ErrServer)
	assert.NoError(t, events[3].Err)
}

func TestPollUntilConfirmedTransientBound(t *testing.T) {
	t.Parallel()
	srv, c := tvmazeFake(t, time.Millisecond, nil)
	tok := tvmazeStart(t, c)
	srv.InjectFault(tvPollPath, mediaauthtest.Fault{Status: http.StatusInternalServerError, Times: -1})
	_, err := c.TVmaze.PollUntilConfirmed(context.Background(), mediaauth.AuthRequest{Token: tok.Token}, every(5*time.Millisecond))
	require.ErrorIs(t, err, mediaauth.ErrServer)
	var apiErr *mediaauth.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusInternalServerError, apiErr.StatusCode)
	assert.Equal(t, 5, srv.RequestCount(http.MethodPost, tvPollPath))
}

// TestPollUntilConfirmedCancel: cancelling ctx mid-wait returns at once
// with context.Canceled, and no further request reaches the server.
func TestPollUntilConfirmedCancel(t *testing.T) {
	t.Parallel()
	const interval = 150 * time.Millisecond
	srv, c0 := tvmazeFake(t, time.Millisecond, nil)
	tok := tvmazeStart(t, c0)
	firstPoll := make(chan struct{}, 1)
	c := fakeClient(t, srv)
	observe := mediaauth.WithWaitObserver(func(ev mediaauth.WaitEvent) {
		if ev.Attempt == 1 {
			firstPoll <- struct{}{}
		}
	})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.TVmaze.PollUntilConfirmed(ctx, mediaauth.AuthRequest{Token: tok.Token}, every(interval), observe)
		done <- err
	}()
	<-firstPoll
	time.Sleep(interval / 3) // mid-wait
	cancelled := time.Now()
	cancel()
	err := <-done
	assert.Less(t, time.Since(cancelled), 50*time.Millisecond)
	require.ErrorIs(t, err, context.Canceled)
	time.Sleep(interval)
	assert.Equal(t, 1, srv.RequestCount(http.MethodPost, tvPollPath), "no request after cancel")
}

func TestPollUntilConfirmedCancelledBeforeFirstPoll(t *testing.T) {
	t.Parallel()
	srv, c := tvmazeFake(t, time.Millisecond, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.TVmaze.PollUntilConfirmed(ctx, tvmazeStart(t, c), every(time.Hour))
	require.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, srv.RequestCount(http.MethodPost, tvPollPath))
}

// TestPollUntilConfirmedDeadline: a deadline stops polling like a cancel.
func TestPollUntilConfirmedDeadline(t *testing.T) {
	t.Parallel()
	const interval = 60 * time.Millisecond
	srv, c := tvmazeFake(t, time.Millisecond, nil)
	tok := tvmazeStart(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 2*interval+interval/2)
	defer cancel()
	deadline, _ := ctx.Deadline()

	_, err := c.TVmaze.PollUntilConfirmed(ctx, mediaauth.AuthRequest{Token: tok.Token}, every(interval))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, errors.Is(err, mediaauth.ErrAuthorizationPending))
	assert.Less(t, time.Since(deadline), 50*time.Millisecond)
	// Polls at about 1 and 2 intervals; a slow machine may fit only one
	// before the deadline, never three.
	polls := srv.RequestCount(http.MethodPost, tvPollPath)
	assert.True(t, polls == 1 || polls == 2, "%d polls in 2.5 intervals", polls)
	time.Sleep(interval + interval/2)
	assert.Equal(t, polls, srv.RequestCount(http.MethodPost, tvPollPath), "no request after the deadline")
}

// TestPollUntilConfirmedKeyNeverLost: cancelling ctx the moment the key
// arrives does not lose it.
func TestPollUntilConfirmedKeyNeverLost(t *testing.T) {
	t.Parallel()
	srv, c0 := tvmazeFake(t, time.Millisecond,
		[]mediaauthtest.Option{mediaauthtest.WithTVmazeAutoConfirm(time.Millisecond)})
	tok := tvmazeStart(t, c0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := fakeClient(t, srv)
	observe := mediaauth.WithWaitObserver(func(ev mediaauth.WaitEvent) {
		if ev.StatusCode == http.StatusOK {
			cancel()
		}
	})

	creds, err := c.TVmaze.PollUntilConfirmed(ctx, mediaauth.AuthRequest{Token: tok.Token}, every(10*time.Millisecond), observe)
	require.NoError(t, err)
	require.Error(t, ctx.Err())
	assert.Equal(t, mediaauthtest.DemoTVmazeAPIKey, creds.APIKey)
}

// TestPollUntilConfirmedLeavesNoGoroutines: no goroutine outlives the
// call, whether it ends with the key or with a cancel. Not parallel: it
// counts the process's goroutines.
func TestPollUntilConfirmedLeavesNoGoroutines(t *testing.T) {
	srv := mediaauthtest.NewServer(mediaauthtest.WithTVmazeMinPollInterval(time.Millisecond),
		mediaauthtest.WithTVmazeStartInterval(time.Millisecond))
	defer srv.Close()
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	c := fakeClient(t, srv, mediaauth.WithHTTPClient(hc))

	settle := func(want int) int {
		n := runtime.NumGoroutine()
		for i := 0; i < 100 && n > want; i++ {
			time.Sleep(10 * time.Millisecond)
			n = runtime.NumGoroutine()
		}
		return n
	}
	before := runtime.NumGoroutine()

	// Ends with the key.
	tok := tvmazeStart(t, c)
	require.NoError(t, srv.TVmaze.Confirm(tok.Token))
	_, err := c.TVmaze.PollUntilConfirmed(context.Background(), mediaauth.AuthRequest{Token: tok.Token}, every(5*time.Millisecond))
	require.NoError(t, err)

	// Ends with a cancel mid-wait.
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Millisecond)
	_, err = c.TVmaze.PollUntilConfirmed(ctx, tvmazeStart(t, c), every(5*time.Millisecond))
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// Ends with a cancel while a poll is in flight (the server's handler
	// goroutine lingers until the delay is over).
	srv.InjectFault(tvPollPath, mediaauthtest.Fault{Delay: 100 * time.Millisecond, PassThrough: true})
	ctx, cancel = context.WithTimeout(context.Background(), 30*time.Millisecond)
	_, err = c.TVmaze.PollUntilConfirmed(ctx, tvmazeStart(t, c), every(5*time.Millisecond))
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded)

	hc.CloseIdleConnections()
	after := settle(before)
	t.Logf("goroutines before %d, after %d", before, after)
	assert.LessOrEqual(t, after, before)
}
