package mediaauth

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// Tests of pollschedule.go: the wait between polls, and the grace that
// lets a poll whose answer has begun finish reading it. The TVmaze fixtures
// (tvClient, tvJSON, ...) are in devicepoll_test.go.

// TestNextPollWait checks the polling schedule's arithmetic.
func TestNextPollWait(t *testing.T) {
	t.Parallel()
	const (
		iv   = 10 * time.Second
		maxW = 5 * time.Minute
	)
	tests := []struct {
		name        string
		prev        time.Duration
		rateLimited bool
		retryAfter  time.Duration
		want        time.Duration
	}{
		{"403 keeps the interval", iv, false, 0, iv},
		{"first 429 doubles", iv, true, 0, 2 * iv},
		{"second 429 doubles again", 2 * iv, true, 0, 4 * iv},
		{"429 with a shorter Retry-After doubles", iv, true, 5 * time.Second, 2 * iv},
		{"429 with a longer Retry-After honours it", iv, true, 60 * time.Second, 60 * time.Second},
		{"doubling is capped", 4 * time.Minute, true, 0, maxW},
		{"Retry-After is capped", iv, true, time.Hour, maxW},
		{"at the cap stays at the cap", maxW, true, 0, maxW},
		{"a huge previous wait does not overflow", time.Duration(1<<62 + 1), true, 0, maxW},
		{"after a 429 the next other answer resets", 4 * iv, false, 0, iv},
		{"503 Retry-After honoured", iv, false, 30 * time.Second, 30 * time.Second},
		{"503 Retry-After below the interval ignored", iv, false, time.Second, iv},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, nextPollWait(tt.prev, iv, maxW, tt.rateLimited, tt.retryAfter), tt.name)
	}
	// An interval above the cap is kept.
	assert.Equal(t, 10*time.Minute, nextPollWait(10*time.Minute, 10*time.Minute, maxW, true, 0))
}

// tvStallServer answers a poll with 200 headers at once and holds the body
// back until release is closed.
func tvStallServer(t *testing.T) (srv *httptest.Server, headersSent <-chan struct{}, release chan<- struct{}) {
	t.Helper()
	sent := make(chan struct{})
	rel := make(chan struct{})
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"username":"alice",`)
		w.(http.Flusher).Flush()
		close(sent)
		select {
		case <-rel:
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, `"apikey":"`+tvAPIKey+`"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, sent, rel
}

// TestPollAuthKeepsAnswerAfterCancel: once the answer has started to
// arrive, cancelling ctx does not throw the key away.
func TestPollAuthKeepsAnswerAfterCancel(t *testing.T) {
	t.Parallel()
	srv, sent, release := tvStallServer(t)
	c, err := New(WithTVmazeBaseURL(srv.URL), WithRateLimit(APITVmaze, rate.Inf, 0))
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		creds *TVmazeCredentials
		err   error
	}
	done := make(chan result, 1)
	go func() {
		creds, err := c.TVmaze.PollAuth(ctx, AuthRequest{Token: tvToken})
		done <- result{creds, err}
	}()
	<-sent
	time.Sleep(20 * time.Millisecond) // let the client read the headers
	cancel()
	time.Sleep(20 * time.Millisecond)
	close(release)
	res := <-done
	require.NoError(t, res.err)
	assert.Equal(t, tvAPIKey, res.creds.APIKey)
}

// TestPollAuthCancelBeforeAnswer: before any answer arrives, ctx ends the
// poll at once with ctx's own error.
func TestPollAuthCancelBeforeAnswer(t *testing.T) {
	t.Parallel()
	for _, deadline := range []bool{false, true} {
		t.Run(fmt.Sprintf("deadline=%v", deadline), func(t *testing.T) {
			t.Parallel()
			c, mt := tvClient(t)
			mt.RegisterResponder(http.MethodPost, tvPollURL, tvJSON(200, `{"username":"alice","apikey":"k"}`).Delay(5*time.Second))

			var (
				ctx    context.Context
				cancel context.CancelFunc
				want   error
			)
			if deadline {
				ctx, cancel = context.WithTimeout(context.Background(), 30*time.Millisecond)
				want = context.DeadlineExceeded
			} else {
				ctx, cancel = context.WithCancel(context.Background())
				time.AfterFunc(30*time.Millisecond, cancel)
				want = context.Canceled
			}
			defer cancel()
			start := time.Now()
			_, err := c.TVmaze.PollAuth(ctx, AuthRequest{Token: tvToken})
			require.ErrorIs(t, err, want)
			assert.Less(t, time.Since(start), time.Second)
			assert.False(t, strings.Contains(err.Error(), tvToken))
		})
	}
}

// TestKeepAnswerLeavesNothingBehind: release stops the grace timer even
// when ctx ended after the answer began.
func TestKeepAnswerLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	sendCtx, guard := keepAnswer(ctx, DefaultPollAnswerGrace, 0)
	cancel()
	select {
	case <-sendCtx.Done():
	case <-time.After(time.Second):
		t.Fatal("send context not cancelled with ctx before any answer")
	}
	guard.release()

	// The answer began, then ctx ended: the send context lives on for the
	// grace period, and release ends it (and its timer) at once.
	ctx, cancel = context.WithCancel(context.Background())
	sendCtx, guard = keepAnswer(ctx, DefaultPollAnswerGrace, time.Hour)
	_, hasDeadline := sendCtx.Deadline()
	assert.True(t, hasDeadline, "the per-attempt timeout bounds the send context")
	trace := httptrace.ContextClientTrace(sendCtx)
	require.NotNil(t, trace)
	require.NotNil(t, trace.GotFirstResponseByte)
	trace.GotFirstResponseByte()
	cancel()
	select {
	case <-sendCtx.Done():
		t.Fatal("send context ended with ctx although the answer had begun")
	case <-time.After(50 * time.Millisecond):
	}
	require.NoError(t, sendCtx.Err())
	start := time.Now()
	guard.release()
	select {
	case <-sendCtx.Done():
	case <-time.After(time.Second):
		t.Fatal("release did not end the send context")
	}
	assert.Less(t, time.Since(start), DefaultPollAnswerGrace/2, "release does not wait for the grace timer")
	assert.ErrorIs(t, sendCtx.Err(), context.Canceled)

	bg, guard2 := keepAnswer(context.Background(), DefaultPollAnswerGrace, time.Hour)
	assert.Nil(t, bg.Done(), "an uncancellable ctx is used as it is")
	assert.Nil(t, guard2)
	guard2.release()
}

// TestPollUntilConfirmedCancelInFlight: ctx ending while a poll is in
// flight ends polling with ctx's error, whatever the answer was.
func TestPollUntilConfirmedCancelInFlight(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusForbidden, http.StatusTooManyRequests, http.StatusBadGateway} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			var events []WaitEvent
			c, mt := tvClient(t)
			wait := []WaitOption{WithPollInterval(time.Millisecond), WithFastPolling(), WithWaitObserver(func(ev WaitEvent) { events = append(events, ev) })}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			mt.RegisterResponder(http.MethodPost, tvPollURL, func(r *http.Request) (*http.Response, error) {
				// The answer starts to arrive, then ctx ends: the answer is
				// read in full, and polling still stops with ctx's error.
				if trace := httptrace.ContextClientTrace(r.Context()); trace != nil && trace.GotFirstResponseByte != nil {
					trace.GotFirstResponseByte()
				}
				cancel()
				return tvJSON(status, tvErrorBody(status, "x"))(r)
			})
			_, err := c.TVmaze.PollUntilConfirmed(ctx, AuthRequest{Token: tvToken}, wait...)
			require.ErrorIs(t, err, context.Canceled)
			assert.Equal(t, 1, mt.GetTotalCallCount())
			require.Len(t, events, 1)
			assert.Equal(t, status, events[0].StatusCode, "the answer was read")
			assert.Zero(t, events[0].NextPoll)
		})
	}
}
