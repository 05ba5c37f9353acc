package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fast makes the fake poll every 20 ms and confirm after 50 ms.
var fast = []string{"-interval", "20ms", "-confirm-after", "50ms"}

// requireInOrder checks that out contains each of parts, in order.
func requireInOrder(t *testing.T, out string, parts ...string) {
	t.Helper()
	rest := out
	for _, p := range parts {
		i := strings.Index(rest, p)
		require.GreaterOrEqual(t, i, 0, "%q missing or out of order in:\n%s", p, out)
		rest = rest[i+len(p):]
	}
}

// TestRunDefaults checks the example as `go run ./examples/tvmaze-login`
// runs it: the flags' defaults are a 1 s poll interval and a fake that
// confirms by itself after 2.5 s, so that the user sees two polls refused
// and the third one confirmed, in about 3 s. The run here keeps that story
// without its 3 s: no -email and nobody answering the question, a 20 ms
// interval, and the confirmation made by opening the printed confirm URL
// right after the second refused poll (-confirm-after 0), as a user would.
func TestRunDefaults(t *testing.T) {
	t.Parallel()
	s, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, settings{interval: time.Second, confirmAfter: 2500 * time.Millisecond}, s, "the defaults")
	assert.Equal(t, "  attempt 1: not confirmed yet, next poll in 1 s",
		describePoll(mediaauth.WaitEvent{Attempt: 1, StatusCode: http.StatusForbidden, Err: mediaauth.ErrAuthorizationPending, NextPoll: s.interval}),
		"what the default run prints for a refused poll")

	out := &confirmingWriter{t: t, after: "attempt 2: not confirmed yet"}
	var stderr bytes.Buffer
	// Without the confirmation the run would poll until ctx ends.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	start := time.Now()
	require.NoError(t, run(ctx, []string{"-interval", "20ms", "-confirm-after", "0"}, strings.NewReader(""), out, &stderr))
	assert.Less(t, time.Since(start), 6*time.Second)
	assert.True(t, out.confirmed, "the confirm URL was opened")
	got := out.buf.String()
	requireInOrder(t, got,
		"Talking to an in-process fake of TVmaze at http://127.0.0.1:",
		"TVmaze account email [demo@example.com]:",
		"Open this URL to confirm", "/v1/auth/confirm/",
		"attempt 1: not confirmed yet, next poll in 0.02 s",
		"attempt 2: not confirmed yet, next poll in 0.02 s",
		"attempt 3: confirmed",
		"Logged in as demo.",
		"API key: 24 characters ending in -key",
		"premium level: Bronze",
	)
	assert.NotContains(t, got, "attempt 4")
	assert.NotContains(t, got, "confirms requests by itself", "-confirm-after 0 waits for the user")
	assert.NotContains(t, got, mediaauthtest.DemoTVmazeAPIKey)
	assert.Empty(t, stderr.String())
}

// confirmURL finds the confirm URL the example prints.
var confirmURL = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+/v1/auth/confirm/\S+`)

// confirmingWriter collects run's output and, the first time it shows
// after, opens the confirm URL printed before it, as the user would. The
// progress lines are written from the poll observer, so the confirmation
// is in place before the next poll.
type confirmingWriter struct {
	t         *testing.T
	after     string
	buf       bytes.Buffer
	confirmed bool
}

func (w *confirmingWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	if w.confirmed || !strings.Contains(w.buf.String(), w.after) {
		return len(p), nil
	}
	w.confirmed = true
	u := confirmURL.FindString(w.buf.String())
	if !assert.NotEmpty(w.t, u, "no confirm URL before %q", w.after) {
		return len(p), nil
	}
	req, err := http.NewRequestWithContext(w.t.Context(), http.MethodGet, u, nil)
	if !assert.NoError(w.t, err) {
		return len(p), nil
	}
	resp, err := http.DefaultClient.Do(req)
	if !assert.NoError(w.t, err) {
		return len(p), nil
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	assert.Equal(w.t, http.StatusOK, resp.StatusCode, "opening %s", u)
	return len(p), nil
}

func TestRunEmailFromStdin(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), fast, strings.NewReader(" "+mediaauthtest.DemoTVmazeEmail+"\n"), &out, io.Discard))
	requireInOrder(t, out.String(), "TVmaze account email [demo@example.com]:", "Open this URL to confirm", "Logged in as demo.")
}

func TestRunEmailConfirmation(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	args := append([]string{"-email", mediaauthtest.DemoTVmazeEmail, "-email-confirmation"}, fast...)
	require.NoError(t, run(t.Context(), args, nil, &out, io.Discard))
	s := out.String()
	assert.NotContains(t, s, "TVmaze account email")
	assert.NotContains(t, s, "Open this URL")
	requireInOrder(t, s, "TVmaze has emailed demo@example.com a link", "attempt 1:", "Logged in as demo.")
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want error
		text string
	}{
		{"unknown email", append([]string{"-email", "nobody@example.com"}, fast...), mediaauth.ErrEmailNotFound, "has no account"},
		{"unconfirmed email", append([]string{"-email", mediaauthtest.DemoTVmazeUnconfirmedEmail}, fast...), mediaauth.ErrEmailNotConfirmed, "not confirmed yet"},
		{"bad interval", []string{"-interval", "0s"}, nil, "-interval must be positive"},
		{"extra argument", []string{"extra"}, nil, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := run(t.Context(), tt.args, nil, io.Discard, io.Discard)
			require.Error(t, err)
			if tt.want != nil {
				assert.ErrorIs(t, err, tt.want)
			}
			assert.Contains(t, err.Error(), tt.text)
		})
	}
}

// TestRunDeadline: the user never confirms and ctx ends the wait. The
// deadline starts short and grows only when a loaded machine did not
// finish the first poll before it.
func TestRunDeadline(t *testing.T) {
	t.Parallel()
	args := []string{"-email", mediaauthtest.DemoTVmazeEmail, "-confirm-after", "1h", "-interval", "20ms"}
	timeouts := []time.Duration{100 * time.Millisecond, 300 * time.Millisecond, time.Second, 3 * time.Second}
	for i, timeout := range timeouts {
		ctx, cancel := context.WithTimeout(t.Context(), timeout)
		var out bytes.Buffer
		err := run(ctx, args, nil, &out, io.Discard)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.NotContains(t, out.String(), "Logged in")
		// A first poll still in flight when the deadline came is as if
		// there had been none: try a longer deadline.
		if i == len(timeouts)-1 || strings.Contains(out.String(), "attempt 1: not confirmed") {
			assert.Contains(t, out.String(), "attempt 1: not confirmed yet, next poll in 0.02 s")
			return
		}
		t.Logf("no complete poll within %s: trying a longer deadline", timeout)
	}
}

func TestRunHelp(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	err := run(t.Context(), []string{"-h"}, nil, io.Discard, &stderr)
	require.True(t, errors.Is(err, flag.ErrHelp))
	assert.Contains(t, stderr.String(), "-real")
}

func TestRunCancelledWhileAsking(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	pr, pw := io.Pipe() // nobody ever answers
	defer pw.Close()
	err := run(ctx, fast, pr, io.Discard, io.Discard)
	require.ErrorIs(t, err, context.Canceled)
}

func TestDescribePoll(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ev   mediaauth.WaitEvent
		want string
	}{
		{mediaauth.WaitEvent{Attempt: 1, StatusCode: 403, Err: mediaauth.ErrAuthorizationPending, NextPoll: 10 * time.Second}, "  attempt 1: not confirmed yet, next poll in 10 s"},
		{mediaauth.WaitEvent{Attempt: 2, StatusCode: 429, Err: mediaauth.ErrRateLimited, NextPoll: 20 * time.Second}, "  attempt 2: TVmaze says we poll too fast, slowing down, next poll in 20 s"},
		{mediaauth.WaitEvent{Attempt: 3, Err: errors.New("boom"), NextPoll: 1500 * time.Millisecond}, "  attempt 3: failed: boom, next poll in 1.5 s"},
		{mediaauth.WaitEvent{Attempt: 4, Err: errors.New("gave up")}, "  attempt 4: failed: gave up"},
		{mediaauth.WaitEvent{Attempt: 5, StatusCode: 200}, "  attempt 5: confirmed"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, describePoll(tt.ev))
	}
	assert.Equal(t, "[hidden]", maskKey("short"))
	assert.Equal(t, "16 characters ending in cdef", maskKey("0123456789abcdef"))
}
