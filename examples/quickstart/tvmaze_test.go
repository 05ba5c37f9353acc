package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// tvmazeSteps are the step titles the TVmaze flow prints, in order.
var tvmazeSteps = []string{
	"start auth request", "poll until confirmed", "confirmed", "validate credentials", "followed shows", "poll again",
}

// testEnv is the env of the in-process fake, with the TVmaze walk-through
// at fastTVmaze.
func testEnv(t *testing.T, out *bytes.Buffer) *env {
	t.Helper()
	e, closeFake, err := newEnv(out, config{tvmazeInterval: fastTVmaze})
	require.NoError(t, err)
	t.Cleanup(closeFake)
	return e
}

func TestRunTVmazeAgainstFake(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, runTVmaze(t.Context(), testEnv(t, &out)))
	s := out.String()
	requireSteps(t, s, tvmazeSteps)
	assert.Contains(t, s, "every 50ms (the fake confirms after 75ms)")
	// Normally attempt 1 gets 403 and attempt 2 the key; a slow machine may
	// see the key at once.
	assert.Contains(t, s, "attempt 1: HTTP ")
	assert.Contains(t, s, "HTTP 200, confirmed")
	assert.Contains(t, s, "premium level Bronze")
	assert.Contains(t, s, "show ids 1, 82", "the demo user's followed shows, through HTTPClient")
	assert.Contains(t, s, "errors.Is(err, mediaauth.ErrAuthRequestNotFound) = true")
	assert.NotContains(t, s, mediaauthtest.DemoTVmazeAPIKey)
}

func TestRunTVmazeSkippedWithoutFake(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := runTVmaze(t.Context(), &env{out: &out})
	require.True(t, errors.Is(err, errSkipped), "%v", err)
	assert.True(t, strings.Contains(err.Error(), "tvmaze-login -real"))
	assert.Empty(t, out.String())
}
