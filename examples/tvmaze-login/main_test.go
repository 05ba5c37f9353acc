package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
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

// TestRunDefaults runs the example as `go run ./examples/tvmaze-login`
// does, with the real defaults (1 s interval, confirmation after 2.5 s) and
// nobody answering the email question.
func TestRunDefaults(t *testing.T) {
	t.Parallel()
	var out, stderr bytes.Buffer
	start := time.Now()
	require.NoError(t, run(t.Context(), nil, strings.NewReader(""), &out, &stderr))
	assert.Less(t, time.Since(start), 6*time.Second)
	s := out.String()
	requireInOrder(t, s,
		"Talking to an in-process fake of TVmaze at http://127.0.0.1:",
		"TVmaze account email [demo@example.com]:",
		"Open this URL to confirm", "/v1/auth/confirm/",
		"attempt 1: not confirmed yet, next poll in 1 s",
		"attempt 2: not confirmed yet, next poll in 1 s",
		"attempt 3: confirmed",
		"Logged in as demo.",
		"API key: 24 characters ending in -key",
		"premium level: Bronze",
	)
	assert.NotContains(t, s, mediaauthtest.DemoTVmazeAPIKey)
	assert.Empty(t, stderr.String())
}

func TestRunEmailFromStdin(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), fast, strings.NewReader(" "+mediaauthtest.DemoTVmazeEmail+"\n"), &out, io.Discard))
	assert.Contains(t, out.String(), "Logged in as demo.")
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
		{"unconfirmed email", append([]string{"-email", mediaauthtest.UnconfirmedTVmazeEmail}, fast...), mediaauth.ErrEmailNotConfirmed, "not confirmed yet"},
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

// TestRunDeadline: the user never confirms and ctx ends the wait.
func TestRunDeadline(t *testing.T) {
	t.Parallel()
	// Long enough for a first poll on a loaded machine, short for a test.
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	args := []string{"-email", mediaauthtest.DemoTVmazeEmail, "-confirm-after", "1h", "-interval", "20ms"}
	var out bytes.Buffer
	err := run(ctx, args, nil, &out, io.Discard)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, out.String(), "attempt 1: not confirmed yet, next poll in 0.02 s")
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
		ev   mediaauth.PollEvent
		want string
	}{
		{mediaauth.PollEvent{Attempt: 1, StatusCode: 403, Err: mediaauth.ErrNotConfirmed, NextPoll: 10 * time.Second}, "  attempt 1: not confirmed yet, next poll in 10 s"},
		{mediaauth.PollEvent{Attempt: 2, StatusCode: 429, Err: mediaauth.ErrRateLimited, NextPoll: 20 * time.Second}, "  attempt 2: TVmaze says we poll too fast, slowing down, next poll in 20 s"},
		{mediaauth.PollEvent{Attempt: 3, Err: errors.New("boom"), NextPoll: 1500 * time.Millisecond}, "  attempt 3: failed: boom, next poll in 1.5 s"},
		{mediaauth.PollEvent{Attempt: 4, Err: errors.New("gave up")}, "  attempt 4: failed: gave up"},
		{mediaauth.PollEvent{Attempt: 5, StatusCode: 200}, "  attempt 5: confirmed"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, describePoll(tt.ev))
	}
	assert.Equal(t, "[hidden]", maskKey("short"))
	assert.Equal(t, "16 characters ending in cdef", maskKey("0123456789abcdef"))
}
