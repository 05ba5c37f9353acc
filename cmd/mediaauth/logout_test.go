package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

func TestLogoutTMDbRevokesAndForgets(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	env := fakeEnv(t, srv)
	c := fakeClient(t, srv)
	ctx := t.Context()
	sess, err := c.TMDb.LoginSession(ctx, mediaauthtest.DemoTMDbUsername, mediaauthtest.DemoTMDbPassword)
	require.NoError(t, err)
	srv.TMDb.AddAccessToken("v4-of-the-user", mediaauthtest.DemoTMDbUsername)
	st := storeOf(t, env)
	require.NoError(t, st.Save(ctx, &mediaauth.StoredCredentials{API: mediaauth.APITMDb, Profile: "default",
		TMDbSession: sess, TMDbAccessToken: &mediaauth.TMDbAccessToken{AccessToken: "v4-of-the-user", AccountID: "a"}}))

	ts := newSys(t, env)
	require.Equal(t, exitOK, ts.run(ctx, "logout", "tmdb"), ts.stderr.String())
	assert.Equal(t, "Logged out of TMDb (profile default).\n", ts.stdout.String())
	assert.Equal(t, "Deleted the TMDb session.\nLogged out the TMDb v4 access token.\n", ts.stderr.String())
	assert.False(t, srv.TMDb.SessionValid(sess.ID))
	assert.False(t, srv.TMDb.AccessTokenValid("v4-of-the-user"))
	_, err = st.Load(ctx, mediaauth.APITMDb, "default")
	assert.ErrorIs(t, err, mediaauth.ErrCredentialNotFound)

	ts = newSys(t, env)
	assert.Equal(t, exitError, ts.run(ctx, "logout", "tmdb"))
	requireOneErrorLine(t, ts, "not logged in to TMDb (profile default)")
}

func TestLogoutAlreadyRevokedSessionStillForgets(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	env := fakeEnv(t, srv)
	st := storeOf(t, env)
	require.NoError(t, st.Save(t.Context(), &mediaauth.StoredCredentials{API: mediaauth.APITMDb, Profile: "default", TMDbSession: &mediaauth.Session{ID: "gone"}}))
	ts := newSys(t, env)
	require.Equal(t, exitOK, ts.run(t.Context(), "logout", "tmdb"), ts.stderr.String())
	assert.Equal(t, "TMDb no longer knew the session.\n", ts.stderr.String())
}

func TestLogoutTVmazeAndMoviesOnlyForget(t *testing.T) {
	t.Parallel()
	env := savedEnv(t,
		&mediaauth.StoredCredentials{API: mediaauth.APITVmaze, Profile: "work", TVmaze: &mediaauth.TVmazeCredentials{Username: "demo", APIKey: "k"}},
		&mediaauth.StoredCredentials{API: mediaauth.APIMovies, Profile: "default", MoviesToken: &mediaauth.Token{AccessToken: "t"}},
	)
	ts := newSys(t, env)
	require.Equal(t, exitOK, ts.run(t.Context(), "logout", "tvmaze", "--profile", "work"))
	assert.Equal(t, "TVmaze cannot revoke an API key: it was removed from the store only.\n", ts.stderr.String())
	ts = newSys(t, env)
	require.Equal(t, exitOK, ts.run(t.Context(), "logout", "movies"))
	all, err := storeOf(t, env).List(t.Context())
	require.NoError(t, err)
	assert.Empty(t, all)
}

func TestLogoutKeepsTheCredentialWhenRevokingFails(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	env := fakeEnv(t, srv)
	srv.Close() // TMDb cannot be reached
	st := storeOf(t, env)
	require.NoError(t, st.Save(t.Context(), &mediaauth.StoredCredentials{API: mediaauth.APITMDb, Profile: "default", TMDbSession: &mediaauth.Session{ID: "session-secret-id"}}))

	ts := newSys(t, env)
	assert.Equal(t, exitError, ts.run(t.Context(), "logout", "tmdb"))
	requireOneErrorLine(t, ts, "deleting the TMDb session: ")
	assert.Contains(t, ts.stderr.String(), "the credential is still stored (mediaauth logout tmdb --local removes it without revoking)")
	assert.NotContains(t, ts.stderr.String(), "session-secret-id")
	_, err := st.Load(t.Context(), mediaauth.APITMDb, "default")
	require.NoError(t, err)

	ts = newSys(t, env)
	require.Equal(t, exitOK, ts.run(t.Context(), "logout", "--local", "tmdb"))
	_, err = st.Load(t.Context(), mediaauth.APITMDb, "default")
	assert.ErrorIs(t, err, mediaauth.ErrCredentialNotFound)
}
