package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// noEnv is a getenv with nothing set.
func noEnv(string) string { return "" }

// longHex finds request tokens (40 hex digits), session ids (40) and guest
// session ids (32) of the fake.
var longHex = regexp.MustCompile(`[0-9a-f]{16,}`)

func TestRunAgainstFake(t *testing.T) {
	t.Parallel()
	var out, stderr bytes.Buffer
	start := time.Now()
	err := run(t.Context(), []string{"-interval", "20ms", "-approve-after", "100ms"}, noEnv, &out, &stderr)
	require.NoError(t, err, "output:\n%s", out.String())
	assert.Less(t, time.Since(start), 5*time.Second)

	s := out.String()
	for _, want := range []string{
		"Talking to an in-process fake of TMDb at http://127.0.0.1:",
		"1. The API key is valid.",
		"2. Request token …",
		"/authenticate/…",
		"3. Waiting for the approval",
		"attempt 1: not approved yet, next try in 0.02 s",
		"Approved: session …",
		"4. Guest session …",
		"5. Logged out: the session is deleted.",
		"errors.Is(err, mediaauth.ErrNotFound) = true",
	} {
		assert.Contains(t, s, want)
	}
	assert.Empty(t, longHex.FindAllString(s, -1), "no token or id in full:\n%s", s)
	assert.NotContains(t, s, mediaauthtest.DemoTMDbAPIKey)
	assert.Empty(t, stderr.String())
}

func TestRunRedirect(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := run(t.Context(), []string{"-interval", "10ms", "-approve-after", "0s", "-redirect-to", "http://localhost:8080/done"}, noEnv, &out, io.Discard)
	require.NoError(t, err)
	assert.Contains(t, out.String(), "?redirect_to=http%3A%2F%2Flocalhost%3A8080%2Fdone")
}

func TestRunGivesUp(t *testing.T) {
	t.Parallel()
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		var out bytes.Buffer
		start := time.Now()
		err := run(t.Context(), []string{"-interval", "20ms", "-approve-after", "1m", "-timeout", "150ms"}, noEnv, &out, io.Discard)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Contains(t, err.Error(), "waiting for the approval")
		assert.Less(t, time.Since(start), 5*time.Second)
		assert.NotContains(t, out.String(), "Approved")
	})
	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(150*time.Millisecond, cancel)
		start := time.Now()
		err := run(ctx, []string{"-interval", "10m", "-approve-after", "1m"}, noEnv, io.Discard, io.Discard)
		require.ErrorIs(t, err, context.Canceled)
		assert.Less(t, time.Since(start), 5*time.Second)
	})
}

func TestRunV4AgainstFake(t *testing.T) {
	t.Parallel()
	var out, stderr bytes.Buffer
	start := time.Now()
	err := run(t.Context(), []string{"-v4", "-interval", "20ms", "-approve-after", "100ms", "-redirect-to", "http://localhost:8080/done"}, noEnv, &out, &stderr)
	require.NoError(t, err, "output:\n%s", out.String())
	assert.Less(t, time.Since(start), 5*time.Second)

	s := out.String()
	for _, want := range []string{
		"Talking to an in-process fake of TMDb at http://127.0.0.1:",
		"1. The read access token is valid (v4 user authentication).",
		"2. Request token …",
		"/auth/access?request_token=…",
		"3. Waiting for the approval",
		"attempt 1: not approved yet, next try in 0.02 s",
		"Approved: access token …",
		"of account " + mediaauthtest.DemoTMDbV4AccountID + ", session …",
		`4. Signed in as "demo" (v3 account id 548).`,
		"5. Logged out: the session is deleted and the access token revoked.",
		"errors.Is(err, mediaauth.ErrInvalidAccessToken) = true",
	} {
		assert.Contains(t, s, want)
	}
	assert.NotContains(t, s, "1. The API key is valid.")
	// The account id is no secret; tokens and session ids never show in full.
	rest := strings.ReplaceAll(s, mediaauthtest.DemoTMDbV4AccountID, "")
	assert.Empty(t, longHex.FindAllString(rest, -1), "no token or id in full:\n%s", s)
	assert.NotContains(t, s, mediaauthtest.DemoTMDbAPIKey)
	assert.NotContains(t, s, mediaauthtest.DemoTMDbReadAccessToken)
	assert.Empty(t, stderr.String())
}

func TestRunV4GivesUp(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	start := time.Now()
	err := run(t.Context(), []string{"-v4", "-interval", "20ms", "-approve-after", "1m", "-timeout", "150ms"}, noEnv, &out, io.Discard)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "waiting for the approval")
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.NotContains(t, out.String(), "Approved")
}

func TestRunV4RealNeedsReadToken(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	keyOnly := func(k string) string {
		if k == envAPIKey {
			return "some-api-key"
		}
		return ""
	}
	err := run(t.Context(), []string{"-v4", "-real"}, keyOnly, &out, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-v4 -real needs the read access token in TMDB_READ_ACCESS_TOKEN")
	assert.Empty(t, out.String(), "nothing sent, nothing printed")
}

func TestRunRealNeedsCredentials(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := run(t.Context(), []string{"-real"}, noEnv, &out, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "TMDB_API_KEY")
	assert.Contains(t, err.Error(), "TMDB_READ_ACCESS_TOKEN")
	assert.Empty(t, out.String(), "nothing sent, nothing printed")
}

// TestRealClient checks the client -real builds, without sending: either
// credential alone is enough, and the read access token wins over the key.
func TestRealClient(t *testing.T) {
	t.Parallel()
	env := func(vars ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(vars); i += 2 {
				if vars[i] == k {
					return vars[i+1]
				}
			}
			return ""
		}
	}
	tests := []struct {
		name   string
		getenv func(string) string
		want   string
	}{
		{"key only", env(envAPIKey, "some-api-key"), "tmdb-api-key:[REDACTED]"},
		{"token only", env(envReadAccessToken, "some-read-access-token"), "tmdb-read-access-token:[REDACTED]"},
		{"both", env(envAPIKey, "some-api-key", envReadAccessToken, "some-read-access-token"), "tmdb-read-access-token:[REDACTED]"},
	}
	for _, tt := range tests {
		c, err := realClient(tt.getenv, false)
		require.NoError(t, err, tt.name)
		assert.Equal(t, "mediaauth.Client{"+tt.want+"}", c.String(), tt.name)
	}
	_, err := realClient(env(envReadAccessToken, "some-read-access-token"), true)
	assert.NoError(t, err, "-v4 with the token only")
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	s, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	assert.False(t, s.real)
	assert.Equal(t, time.Second, s.interval)

	s, err = parseFlags([]string{"-real"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 3*time.Second, s.interval)
	assert.False(t, s.v4)

	s, err = parseFlags([]string{"-v4"}, io.Discard)
	require.NoError(t, err)
	assert.True(t, s.v4)
	assert.Equal(t, time.Second, s.interval)

	s, err = parseFlags([]string{"-real", "-interval", "5s", "-redirect-to", "https://app.example/cb"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 5*time.Second, s.interval)
	assert.Equal(t, "https://app.example/cb", s.redirectTo)

	var usage bytes.Buffer
	_, err = parseFlags([]string{"-h"}, &usage)
	require.True(t, errors.Is(err, flag.ErrHelp))
	assert.Contains(t, usage.String(), "Usage: go run ./examples/tmdb-login")
	assert.Contains(t, usage.String(), "TMDB_API_KEY")
	assert.Contains(t, usage.String(), "TMDB_READ_ACCESS_TOKEN")
	assert.Contains(t, usage.String(), "-v4")

	for _, args := range [][]string{
		{"extra"},
		{"-interval", "-1s"},
		{"-timeout", "0s"},
		{"-approve-after", "-2s"},
		{"-nope"},
	} {
		_, err := parseFlags(args, io.Discard)
		assert.Error(t, err, strings.Join(args, " "))
	}
}

func TestMask(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "[hidden]", mask(""))
	assert.Equal(t, "[hidden]", mask("short"))
	assert.Equal(t, "…cdef", mask("0123456789abcdef"))
}
