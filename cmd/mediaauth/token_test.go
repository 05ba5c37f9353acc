package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
)

// savedEnv returns an environment whose store holds creds.
func savedEnv(t *testing.T, creds ...*mediaauth.StoredCredentials) map[string]string {
	env := map[string]string{envConfigDir: filepath.Join(t.TempDir(), "config")}
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
