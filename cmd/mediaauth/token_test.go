package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
)

// savedEnv returns an environment whose store holds creds.
func savedEnv(t *testing.T, creds ...*mediaauth.StoredCredentials) map[string]string {
	env := map[string]string{envConfigDir: filepath.Join(t.TempDir(), "config"), envInsecureStorage: "1"}
	st := storeOf(t, env)
	for _, c := range creds {
		require.NoError(t, st.Save(t.Context(), c))
	}
	return env
}

func TestTokenPrintsTheSecretToAPipe(t *testing.T) {
	t.Parallel()
	env := savedEnv(t,
		&mediaauth.StoredCredentials{API: mediaauth.APITVmaze, Profile: "default", TVmaze: &mediaauth.TVmazeCredentials{Username: "demo", APIKey: "tv-key"}},
		&mediaauth.StoredCredentials{API: mediaauth.APITMDb, Profile: "default", TMDbSession: &mediaauth.Session{ID: "sess-id"},
			TMDbAccessToken: &mediaauth.TMDbAccessToken{AccessToken: "v4-token", AccountID: "acct"}},
		&mediaauth.StoredCredentials{API: mediaauth.APIMovies, Profile: "default", MoviesToken: &mediaauth.Token{AccessToken: "movies-token"}},
		&mediaauth.StoredCredentials{API: mediaauth.APIMovies, Profile: "work", MoviesToken: &mediaauth.Token{AccessToken: "work-token"},
			MoviesAPIKey: &mediaauth.APIKey{Key: "work-key"}},
	)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"token", "tvmaze"}, "tv-key\n"},
		{[]string{"token", "tmdb"}, "sess-id\n"},
		{[]string{"token", "tmdb", "--v4"}, "v4-token\n"},
		{[]string{"token", "movies"}, "movies-token\n"},
		{[]string{"token", "--profile", "work", "movies"}, "work-token\n"},
		{[]string{"token", "movies", "--api-key", "--profile", "work"}, "work-key\n"},
	} {
		ts := newSys(t, env)
		require.Equal(t, exitOK, ts.run(t.Context(), tt.args...), "%v: %s", tt.args, ts.stderr.String())
		assert.Equal(t, tt.want, ts.stdout.String(), "%v", tt.args)
		assert.Empty(t, ts.stderr.String())
	}

	ts := newSys(t, env)
	require.Equal(t, exitOK, ts.run(t.Context(), "token", "tvmaze", "--json"))
	var got mediaauth.StoredCredentials
	require.NoError(t, json.Unmarshal([]byte(ts.stdout.String()), &got))
	assert.Equal(t, &mediaauth.TVmazeCredentials{Username: "demo", APIKey: "tv-key"}, got.TVmaze)
}

func TestTokenRefusesATerminal(t *testing.T) {
	t.Parallel()
	env := savedEnv(t, &mediaauth.StoredCredentials{API: mediaauth.APITVmaze, Profile: "default", TVmaze: &mediaauth.TVmazeCredentials{Username: "demo", APIKey: "tv-key"}})
	ts := newSys(t, env)
	ts.termOut = true
	assert.Equal(t, exitError, ts.run(t.Context(), "token", "tvmaze"))
	assert.Empty(t, ts.stdout.String())
	requireOneErrorLine(t, ts, "not printing a secret to a terminal: pipe or redirect the output, or give --show")

	ts = newSys(t, env)
	ts.termOut = true
	assert.Equal(t, exitOK, ts.run(t.Context(), "token", "tvmaze", "--show"))
	assert.Equal(t, "tv-key\n", ts.stdout.String())
}

func TestTokenMissing(t *testing.T) {
	t.Parallel()
	env := savedEnv(t, &mediaauth.StoredCredentials{API: mediaauth.APITMDb, Profile: "default", TMDbSession: &mediaauth.Session{ID: "s"}})
	ts := newSys(t, env)
	assert.Equal(t, exitError, ts.run(t.Context(), "token", "tvmaze"))
	requireOneErrorLine(t, ts, "not logged in to TVmaze (profile default): run mediaauth login tvmaze")
	ts = newSys(t, env)
	assert.Equal(t, exitError, ts.run(t.Context(), "token", "tmdb", "--v4"))
	requireOneErrorLine(t, ts, "no v4 access token (log in with --v4) stored for TMDb")
	assert.Empty(t, ts.stdout.String())
}

// TestTokenRefusesExpired: a credential past its expiry is not printed:
// exit status 1 and a message that says to log in again.
func TestTokenRefusesExpired(t *testing.T) {
	t.Parallel()
	past := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	future := time.Now().Add(time.Hour)
	env := savedEnv(t,
		&mediaauth.StoredCredentials{API: mediaauth.APIMovies, Profile: "default", MoviesToken: &mediaauth.Token{AccessToken: "old-token", ExpiresAt: past},
			MoviesAPIKey: &mediaauth.APIKey{Key: "key-lasts"}},
		&mediaauth.StoredCredentials{API: mediaauth.APIMovies, Profile: "fresh", MoviesToken: &mediaauth.Token{AccessToken: "new-token", ExpiresAt: future}},
		&mediaauth.StoredCredentials{API: mediaauth.APITMDb, Profile: "guest", TMDbGuestSession: &mediaauth.GuestSession{ID: "guest-id", ExpiresAt: past}},
	)
	ts := newSys(t, env)
	assert.Equal(t, exitError, ts.run(t.Context(), "token", "movies"))
	assert.Empty(t, ts.stdout.String())
	requireOneErrorLine(t, ts, "the stored access token of the Movies API (profile default) expired "+timeText(past)+": log in again with mediaauth login movies")
	assert.Contains(t, ts.stderr.String(), "UTC", "the time says its zone")

	ts = newSys(t, env)
	assert.Equal(t, exitError, ts.run(t.Context(), "token", "tmdb", "--profile", "guest"))
	requireOneErrorLine(t, ts, "the stored guest session of TMDb (profile guest) expired")

	for args, want := range map[string]string{"token movies --api-key": "key-lasts\n", "token movies --profile fresh": "new-token\n"} {
		ts = newSys(t, env)
		require.Equal(t, exitOK, ts.run(t.Context(), strings.Fields(args)...), ts.stderr.String())
		assert.Equal(t, want, ts.stdout.String())
	}
}
