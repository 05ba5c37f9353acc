package main

import (
	"bytes"
	"errors"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// tmdbSteps are the step titles the TMDb flow prints, in order.
var tmdbSteps = []string{
	"validate API key", "create request token", "approval page", "session before approval",
	"user approves", "create session", "reuse the request token", "login with password",
	"wrong password", "read access token", "wrong API key", "guest session",
	"delete sessions", "delete again",
}

func TestRunTMDbAgainstFake(t *testing.T) {
	t.Parallel()
	srv := mediaauthtest.NewServer()
	defer srv.Close()
	c, err := srv.Client()
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, runTMDb(t.Context(), &env{out: &out, srv: srv, client: c}))
	s := out.String()
	requireSteps(t, s, tmdbSteps)
	for _, code := range []string{"41", "33", "30", "7", "37"} {
		assert.Contains(t, s, "= true (TMDb code "+code+")")
	}
	assert.Contains(t, s, "https://www.themoviedb.org/authenticate/")
	// Tokens and ids are 32 or 40 hex digits: none appears in full.
	assert.Empty(t, regexp.MustCompile(`[0-9a-f]{16,}`).FindAllString(s, -1), s)
	assert.NotContains(t, s, mediaauthtest.DefaultTMDbAPIKey)
	assert.NotContains(t, s, mediaauthtest.DefaultTMDbAccessToken)
	assert.NotContains(t, s, mediaauthtest.DefaultTMDbPassword)
}

func TestRunTMDbSkippedWithoutFake(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := runTMDb(t.Context(), &env{out: &out})
	require.True(t, errors.Is(err, errSkipped), "%v", err)
	assert.Contains(t, err.Error(), "tmdb-login -real")
	assert.Empty(t, out.String())
}
