package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// loggedIn returns a fake and an environment whose store holds real
// credentials of all three APIs, and those credentials' secrets.
func loggedIn(t *testing.T) (*mediaauthtest.Server, map[string]string, []string) {
	t.Helper()
	srv := moviesFake(t)
	env := fakeEnv(t, srv)
	c := fakeClient(t, srv)
	ctx := t.Context()
	tok, err := c.Movies.Login(ctx, fanName, fanPassword)
	require.NoError(t, err)
	key, err := c.With(tok).Movies.GenerateAPIKey(ctx)
	require.NoError(t, err)
	sess, err := c.TMDb.LoginSession(ctx, mediaauthtest.DemoTMDbUsername, mediaauthtest.DemoTMDbPassword)
	require.NoError(t, err)
	st := storeOf(t, env)
	for _, creds := range []*mediaauth.StoredCredentials{
		{API: mediaauth.APIMovies, Profile: "default", MoviesToken: tok, MoviesAPIKey: key},
		{API: mediaauth.APITVmaze, Profile: "default", TVmaze: &mediaauth.TVmazeCredentials{Username: mediaauthtest.DemoTVmazeUsername, APIKey: mediaauthtest.DemoTVmazeAPIKey}},
		{API: mediaauth.APITMDb, Profile: "default", TMDbSession: sess},
		{API: mediaauth.APITMDb, Profile: "v4", TMDbAccessToken: &mediaauth.TMDbAccessToken{AccessToken: mediaauthtest.DemoTMDbAccessToken, AccountID: mediaauthtest.DemoTMDbV4AccountID}},
	} {
		require.NoError(t, st.Save(ctx, creds))
	}
	return srv, env, []string{tok.AccessToken, key.Key, sess.ID, mediaauthtest.DemoTVmazeAPIKey, mediaauthtest.DemoTMDbAccessToken,
		mediaauthtest.DemoTMDbAPIKey, mediaauthtest.DemoTMDbReadAccessToken}
}

func TestStatusValid(t *testing.T) {
	t.Parallel()
	_, env, secrets := loggedIn(t)
	ts := newSys(t, env)
	require.Equal(t, exitOK, ts.run(t.Context(), "status"), ts.stdout.String()+ts.stderr.String())
	out := ts.stdout.String()
	for _, want := range []string{
		"movies (profile default): valid\n  access token: valid, account moviefan, expires ",
		"  API key: valid, account moviefan\n",
		"tmdb (profile default): valid\n  session: valid, account demo, id 548\n",
		"tmdb (profile v4): valid\n  v4 access token: valid, account demo, id 548\n",
		"tvmaze (profile default): valid\n  API key: valid, account demo, premium Bronze\n",
	} {
		assert.Contains(t, out, want)
	}
	for _, s := range secrets {
		assert.NotContains(t, out+ts.stderr.String(), s)
	}

	ts = newSys(t, env)
	require.Equal(t, exitOK, ts.run(t.Context(), "status", "--profile", "v4", "--json"))
	var report statusReport
	require.NoError(t, json.Unmarshal([]byte(ts.stdout.String()), &report))
	require.Len(t, report.Credentials, 1)
	e := report.Credentials[0]
	assert.Equal(t, mediaauth.APITMDb, e.API)
	assert.Equal(t, statusValid, e.Status)
	assert.Equal(t, []statusCheck{{Credential: "v4 access token", Status: statusValid, Account: "demo", Detail: "id 548"}}, e.Checks)
}

func TestStatusRevoked(t *testing.T) {
	t.Parallel()
	srv, env, secrets := loggedIn(t)
	c := fakeClient(t, srv)
	saved, err := storeOf(t, env).Load(t.Context(), mediaauth.APITMDb, "default")
	require.NoError(t, err)
	require.NoError(t, c.TMDb.With(*saved.TMDbSession).DeleteSession(t.Context())) // logged out elsewhere
	srv.Movies.ExpireTokens()

	ts := newSys(t, env)
	assert.Equal(t, exitError, ts.run(t.Context(), "status"))
	out := ts.stdout.String()
	assert.Contains(t, out, "tmdb (profile default): invalid\n  session: invalid: ")
	assert.Contains(t, out, "movies (profile default): invalid\n  access token: invalid, expires ")
	assert.Contains(t, out, "  API key: valid, account moviefan\n")
	assert.Contains(t, out, "tvmaze (profile default): valid")
	assert.Empty(t, ts.stderr.String(), "the report says it all")
	for _, s := range secrets {
		assert.NotContains(t, out, s)
	}

	ts = newSys(t, env)
	assert.Equal(t, exitError, ts.run(t.Context(), "--json", "status"))
	var report statusReport
	require.NoError(t, json.Unmarshal([]byte(ts.stdout.String()), &report))
	byKey := map[string]string{}
	for _, e := range report.Credentials {
		byKey[string(e.API)+"/"+e.Profile] = e.Status
	}
	assert.Equal(t, map[string]string{"movies/default": statusInvalid, "tmdb/default": statusInvalid, "tmdb/v4": statusValid, "tvmaze/default": statusValid}, byKey)
}

func TestStatusUncheckedAndEmpty(t *testing.T) {
	t.Parallel()
	_, env, _ := loggedIn(t)
	delete(env, envTMDbAPIKey)
	delete(env, envTMDbRead)
	ts := newSys(t, env)
	assert.Equal(t, exitError, ts.run(t.Context(), "status", "--profile", "default"))
	assert.Contains(t, ts.stdout.String(), "tmdb (profile default): unchecked\n  session: unchecked: TMDb needs your application's credentials: set TMDB_API_KEY or TMDB_READ_ACCESS_TOKEN")
	assert.NotContains(t, ts.stdout.String(), "profile v4")

	ts = newSys(t, map[string]string{envConfigDir: t.TempDir() + "/none"})
	assert.Equal(t, exitError, ts.run(t.Context(), "status"))
	requireOneErrorLine(t, ts, "no credentials stored in ")
	assert.True(t, strings.HasSuffix(ts.stderr.String(), "run mediaauth login API\n"))
	ts = newSys(t, map[string]string{envConfigDir: t.TempDir() + "/none"})
	assert.Equal(t, exitError, ts.run(t.Context(), "status", "--json"))
	assert.JSONEq(t, `{"path": "`+ts.env[envConfigDir]+`/credentials.json", "credentials": []}`, ts.stdout.String())
}

// TestStatusNamesWhereEachCredentialLives: entries of the keychain and of
// the file, each shown with where it lives, in text and in JSON.
func TestStatusNamesWhereEachCredentialLives(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	env := fakeEnv(t, srv)
	st := storeOf(t, env)
	require.NoError(t, st.Save(t.Context(), &mediaauth.StoredCredentials{API: mediaauth.APITVmaze, Profile: "default",
		TVmaze: &mediaauth.TVmazeCredentials{Username: mediaauthtest.DemoTVmazeUsername, APIKey: mediaauthtest.DemoTVmazeAPIKey}}))
	kc := &memoryKeychain{}
	require.NoError(t, kc.Save(t.Context(), &mediaauth.StoredCredentials{API: mediaauth.APITMDb, Profile: "default",
		TMDbAccessToken: &mediaauth.TMDbAccessToken{AccessToken: mediaauthtest.DemoTMDbAccessToken, AccountID: mediaauthtest.DemoTMDbV4AccountID}}))
	delete(env, envInsecureStorage)
	ts := newSys(t, env)
	ts.keychain = kc
	require.Equal(t, exitOK, ts.run(t.Context(), "status"), ts.stdout.String()+ts.stderr.String())
	out := ts.stdout.String()
	assert.Contains(t, out, `Credentials in the OS keychain (service "mediaauth `)
	assert.Regexp(t, `tmdb \(profile default\): valid\n  v4 access token: valid, account demo, id 548\n  saved \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \w+, in the OS keychain\n`, out)
	assert.Regexp(t, `tvmaze \(profile default\): valid\n  API key: valid, account demo, premium Bronze\n  saved .+, in .*credentials\.json\n`, out)

	ts = newSys(t, env)
	ts.keychain = kc
	require.Equal(t, exitOK, ts.run(t.Context(), "status", "--json"))
	var report statusReport
	require.NoError(t, json.Unmarshal([]byte(ts.stdout.String()), &report))
	where := map[mediaauth.API]string{}
	for _, e := range report.Credentials {
		where[e.API] = e.Storage
	}
	assert.Equal(t, map[mediaauth.API]string{mediaauth.APITMDb: inKeychain, mediaauth.APITVmaze: inFile}, where)
	assert.True(t, strings.HasPrefix(report.Keychain, "mediaauth "), report.Keychain)
}

// TestStatusOtherProfiles: a profile without credentials names the
// profiles that have some.
func TestStatusOtherProfiles(t *testing.T) {
	t.Parallel()
	env := savedEnv(t,
		&mediaauth.StoredCredentials{API: mediaauth.APITVmaze, Profile: "default", TVmaze: &mediaauth.TVmazeCredentials{Username: "demo", APIKey: "k"}},
		&mediaauth.StoredCredentials{API: mediaauth.APIMovies, Profile: "home", MoviesAPIKey: &mediaauth.APIKey{Key: "k"}},
	)
	ts := newSys(t, env)
	assert.Equal(t, exitError, ts.run(t.Context(), "--profile", "work", "status"))
	requireOneErrorLine(t, ts, "no credentials stored for profile work; other profiles have some: default, home (mediaauth status without --profile shows them all)")
}

// TestStatusExpiredToken: a token past its expiry by the local clock says
// "expired", with the time's zone.
func TestStatusExpiredToken(t *testing.T) {
	t.Parallel()
	srv := moviesFake(t)
	env := fakeEnv(t, srv)
	tok, err := fakeClient(t, srv).Movies.Login(t.Context(), fanName, fanPassword)
	require.NoError(t, err)
	require.NoError(t, storeOf(t, env).Save(t.Context(), &mediaauth.StoredCredentials{API: mediaauth.APIMovies, Profile: "default", MoviesToken: tok}))
	ts := newSys(t, env)
	ts.now = func() time.Time { return tok.ExpiresAt.Add(time.Minute) }
	ts.run(t.Context(), "status")
	assert.Contains(t, ts.stdout.String(), "access token: valid, account moviefan, expired "+timeText(tok.ExpiresAt))
	ts = newSys(t, env)
	ts.run(t.Context(), "status")
	assert.Contains(t, ts.stdout.String(), "access token: valid, account moviefan, expires "+timeText(tok.ExpiresAt))
}
