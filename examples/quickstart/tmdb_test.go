package main

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// tmdbSteps and tmdbV4Steps are the step titles the TMDb flows print, in
// order.
var (
	tmdbSteps = []string{
		"validate API key", "create request token", "approval page", "session before approval",
		"user approves", "create session", "reuse the request token", "login with password",
		"wrong password", "read access token", "wrong API key", "guest session",
		"delete sessions", "delete again",
	}
	tmdbV4Steps = []string{
		"v4 request token", "v4 approval page", "v4 before approval", "v4 user approves",
		"v4 access token", "v4 reuse request token", "v4 token as credential", "v4 token to session",
		"v4 wait for approval", "v4 logout", "v4 token after logout",
	}
)

func TestRunTMDbAgainstFake(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	e := testEnv(t, &out)
	siteURL := e.fake.(*localFake).srv.TMDb.SiteURL()
	require.NoError(t, runTMDb(t.Context(), e))
	s := out.String()
	requireSteps(t, s, tmdbSteps)
	for _, code := range []string{"41", "33", "30", "7", "37"} {
		assert.Contains(t, s, "= true (TMDb code "+code+")")
	}
	assert.Contains(t, s, siteURL+"/authenticate/")
	assertNoTMDbSecret(t, s)
}

func TestRunTMDbV4AgainstFake(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	e := testEnv(t, &out)
	siteURL := e.fake.(*localFake).srv.TMDb.SiteURL()
	require.NoError(t, runTMDbV4(t.Context(), e))
	s := out.String()
	requireSteps(t, s, tmdbV4Steps)
	for _, code := range []string{"41", "33", "35"} {
		assert.Contains(t, s, "= true (TMDb code "+code+")")
	}
	assert.Contains(t, s, siteURL+"/auth/access?request_token=")
	assert.Contains(t, s, "of account "+mediaauthtest.DemoTMDbV4AccountID)
	assert.Contains(t, s, `Authorization: Bearer …: user "demo"`)
	assert.Contains(t, s, `user "demo", id 548`)
	assertNoTMDbSecret(t, s)
}

// assertNoTMDbSecret checks that s shows no TMDb credential in full.
// Tokens and ids are 32 to 64 hex digits (the v4 account id is no secret).
func assertNoTMDbSecret(t *testing.T, s string) {
	t.Helper()
	rest := strings.ReplaceAll(s, mediaauthtest.DemoTMDbV4AccountID, "")
	assert.Empty(t, regexp.MustCompile(`[0-9a-f]{16,}`).FindAllString(rest, -1), s)
	assert.NotContains(t, s, mediaauthtest.DemoTMDbAPIKey)
	assert.NotContains(t, s, mediaauthtest.DemoTMDbReadAccessToken)
	assert.NotContains(t, s, mediaauthtest.DemoTMDbPassword)
}

func TestRunTMDbSkippedWithoutFake(t *testing.T) {
	t.Parallel()
	for _, run := range []func(context.Context, *env) error{runTMDb, runTMDbV4} {
		var out bytes.Buffer
		err := run(t.Context(), &env{out: &out})
		require.True(t, errors.Is(err, errSkipped), "%v", err)
		assert.Contains(t, err.Error(), "tmdb-login")
		assert.Contains(t, err.Error(), "-real")
		assert.Empty(t, out.String())
	}
}
