package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

const (
	fanName     = "moviefan"
	fanEmail    = "fan@example.com"
	fanPassword = "correct horse battery staple"
)

// moviesFake is a fake with the Movies API account fanName.
func moviesFake(t *testing.T) *mediaauthtest.Server {
	srv := startFake(t)
	_, err := srv.Movies.AddUser(mediaauthtest.MoviesUser{Username: fanName, Email: fanEmail, Password: fanPassword})
	require.NoError(t, err)
	return srv
}

func TestLoginMoviesPasswordFromPipe(t *testing.T) {
	t.Parallel()
	srv := moviesFake(t)
	env := fakeEnv(t, srv)
	ts := newSys(t, env)
	ts.stdin = strings.NewReader(fanPassword + "\n")
	require.Equal(t, exitOK, ts.run(t.Context(), "login", "movies", "--username", fanName), ts.stderr.String())
	assert.Regexp(t, `^Logged in to the Movies API as moviefan \(an access token until .+\)\. Saved to .*credentials\.json \(profile default\)\.\n$`, ts.stdout.String())
	assert.Empty(t, ts.stderr.String(), "no prompt without a terminal")
	requirePrivate(t, env)

	saved, err := storeOf(t, env).Load(t.Context(), mediaauth.APIMovies, mediaauth.DefaultProfile)
	require.NoError(t, err)
	require.NotNil(t, saved.MoviesToken)
	assert.Nil(t, saved.MoviesAPIKey)
	c := fakeClient(t, srv)
	u, err := c.With(saved.MoviesToken).Movies.Profile(t.Context())
	require.NoError(t, err)
	assert.Equal(t, fanName, u.Username)
}

func TestLoginMoviesWithAPIKey(t *testing.T) {
	t.Parallel()
	srv := moviesFake(t)
	env := fakeEnv(t, srv)
	for i := range 2 { // a new key the first time, the same key the second
		ts := newSys(t, env)
		ts.stdin = strings.NewReader(fanPassword) // no line ending: fine too
		require.Equal(t, exitOK, ts.run(t.Context(), "login", "movies", "--username", fanEmail, "--api-key"), ts.stderr.String())
		assert.Contains(t, ts.stdout.String(), "and your API key)")
		saved, err := storeOf(t, env).Load(t.Context(), mediaauth.APIMovies, mediaauth.DefaultProfile)
		require.NoError(t, err)
		require.NotNil(t, saved.MoviesAPIKey)
		u, err := fakeClient(t, srv).With(saved.MoviesAPIKey).Movies.Profile(t.Context())
		require.NoError(t, err, "run %d", i)
		assert.Equal(t, fanName, u.Username)
	}
	assert.Equal(t, 1, srv.RequestCount("POST", "/user/api-key"), "the key was generated once")
}

func TestLoginMoviesTerminal(t *testing.T) {
	t.Parallel()
	srv := moviesFake(t)
	env := fakeEnv(t, srv)
	ts := newSys(t, env)
	ts.stdin = strings.NewReader(fanName + "\n")
	ts.termIn, ts.termErr = true, true
	ts.passwords = []string{fanPassword}
	require.Equal(t, exitOK, ts.run(t.Context(), "login", "movies"), ts.stderr.String())
	assert.Equal(t, "Movies API username: Password for moviefan: \n", ts.stderr.String())
	assert.NotContains(t, ts.stdout.String()+ts.stderr.String(), fanPassword)
}

func TestLoginMoviesErrors(t *testing.T) {
	t.Parallel()
	srv := moviesFake(t)
	env := fakeEnv(t, srv)

	ts := newSys(t, env)
	ts.stdin = strings.NewReader("wrong password\n")
	assert.Equal(t, exitError, ts.run(t.Context(), "login", "movies", "--username", fanName))
	requireOneErrorLine(t, ts, "logging in to the Movies API")
	assert.NotContains(t, ts.stderr.String(), "wrong password")

	ts = newSys(t, env) // empty stdin
	assert.Equal(t, exitError, ts.run(t.Context(), "login", "movies", "--username", fanName))
	requireOneErrorLine(t, ts, "no password on stdin")

	ts = newSys(t, env)
	assert.Equal(t, exitUsage, ts.run(t.Context(), "login", "movies"))
	requireOneErrorLine(t, ts, "give --username")

	_, err := storeOf(t, env).Load(t.Context(), mediaauth.APIMovies, mediaauth.DefaultProfile)
	assert.ErrorIs(t, err, mediaauth.ErrCredentialNotFound)
}
