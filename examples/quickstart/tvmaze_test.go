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

func TestRunTVmazeAgainstFake(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	e := &env{out: &out, srv: mediaauthtest.NewServer(), cfg: config{tvmazeInterval: fastTVmaze}}
	defer e.srv.Close()
	require.NoError(t, runTVmaze(t.Context(), e))
	s := out.String()
	requireSteps(t, s, tvmazeSteps)
	assert.Contains(t, s, "every 50ms (the fake confirms after 75ms)")
	// Normally attempt 1 gets 403 and attempt 2 the key; a slow machine may
	// see the key at once.
	assert.Contains(t, s, "attempt 1: HTTP ")
	assert.Contains(t, s, "HTTP 200, confirmed")
	assert.Contains(t, s, "premium level Bronze")
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
