package mediaauthtest_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// Tests of state.go: the starting state, LoadState and Reset.

// exampleState reads testdata/state.json, the example of the format.
func exampleState(t *testing.T) mediaauthtest.State {
	t.Helper()
	data, err := os.ReadFile("testdata/state.json")
	require.NoError(t, err)
	st, err := mediaauthtest.ParseState(data)
	require.NoError(t, err)
	return st
}

// TestExampleState starts a fake with the example state and uses every
// account and credential it holds, through the SDK.
func TestExampleState(t *testing.T) {
	t.Parallel()
	st := exampleState(t)
	require.Len(t, st.Movies.Users, 2)
	require.Len(t, st.TVmaze.Users, 2)
	require.Len(t, st.TMDb.Users, 2)
	srv, _ := startFake(t, mediaauthtest.WithState(st))
	c, err := srv.Client()
	require.NoError(t, err)
	ctx := t.Context()

	_, err = c.Movies.Login(ctx, "alice", "alice-password")
	require.NoError(t, err)
	u, err := c.Movies.With(mediaauth.APIKey{Key: "mk_alice_suite_key"}).Profile(ctx)
	require.NoError(t, err)
	assert.Equal(t, "Alice", u.Name)
	_, err = c.Movies.Login(ctx, "bob", "bob-password")
	assert.ErrorIs(t, err, mediaauth.ErrEmailNotVerified)
	_, ok := srv.Movies.VerificationToken("bob@example.com")
	assert.True(t, ok)
	_, err = c.Movies.Login(ctx, mediaauthtest.DemoMoviesUsername, mediaauthtest.DemoMoviesPassword)
	assert.NoError(t, err, "the demo account is there too")

	level, err := c.TVmaze.With(mediaauth.TVmazeCredentials{Username: "alice", APIKey: "alice-tvmaze-api-key"}).Validate(ctx)
	require.NoError(t, err)
	assert.Equal(t, mediaauth.PremiumGold, level)
	assert.True(t, srv.TVmaze.FollowShows("alice"))
	_, err = c.TVmaze.StartAuth(ctx, "carol@example.com")
	assert.ErrorIs(t, err, mediaauth.ErrUnauthorized, "carol's address is unconfirmed")

	assert.NoError(t, c.Without(mediaauth.APITMDb).With(mediaauth.TMDbAPIKey("suite-tmdb-api-key")).TMDb.Validate(ctx))
	assert.NoError(t, c.Without(mediaauth.APITMDb).With(mediaauth.TMDbReadAccessToken("suite-tmdb-read-access-token")).TMDb.Validate(ctx))
	_, err = c.TMDb.LoginSession(ctx, "alice", "alice-password")
	assert.NoError(t, err)
	_, err = c.TMDb.LoginSession(ctx, "dave", "dave-password")
	assert.ErrorIs(t, err, mediaauth.ErrEmailNotVerified)
	assert.True(t, srv.TMDb.AccessTokenValid("alice-tmdb-v4-access-token"))
}

func TestParseStateRefuses(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{
		"not JSON":             `movies: {}`,
		"an unknown part":      `{"movie": {}}`,
		"an unknown field":     `{"movies": {"users": [{"username": "a", "email": "a@example.com", "password": "p", "admin": true}]}}`,
		"two documents":        `{} {}`,
		"a wrong type":         `{"tvmaze": {"users": [{"username": "a", "email": "a@example.com", "premium_level": "gold"}]}}`,
		"an invalid Movies":    `{"movies": {"users": [{"username": "a", "password": "p"}]}}`,
		"the demo's username":  `{"movies": {"users": [{"username": "DEMO", "email": "x@example.com", "password": "p"}]}}`,
		"two Movies emails":    `{"movies": {"users": [{"username": "a", "email": "s@example.com", "password": "p"}, {"username": "b", "email": "S@example.com", "password": "p"}]}}`,
		"two Movies API keys":  `{"movies": {"users": [{"username": "a", "email": "a@example.com", "password": "p", "api_key": "k"}, {"username": "b", "email": "b@example.com", "password": "p", "api_key": "k"}]}}`,
		"two TVmaze usernames": `{"tvmaze": {"users": [{"username": "a", "email": "a@example.com"}, {"username": "a", "email": "b@example.com"}]}}`,
		"a premium level of 4": `{"tvmaze": {"users": [{"username": "a", "email": "a@example.com", "premium_level": 4}]}}`,
		"an empty read token":  `{"tmdb": {"read_access_tokens": [""]}}`,
		"two TMDb usernames":   `{"tmdb": {"users": [{"username": "a", "password": "p"}, {"username": "a", "password": "q"}]}}`,
		"a TMDb user":          `{"tmdb": {"users": [{"username": "a"}]}}`,
		"an access token":      `{"tmdb": {"access_tokens": [{"access_token": "t"}]}}`,
	} {
		_, err := mediaauthtest.ParseState([]byte(doc))
		assert.Error(t, err, name)
	}
	st, err := mediaauthtest.ParseState([]byte(`{}`))
	require.NoError(t, err, "every part may be left out")
	assert.Equal(t, mediaauthtest.State{}, st)
}

func TestWithStatePanicsOnAnInvalidState(t *testing.T) {
	t.Parallel()
	bad := mediaauthtest.State{Movies: mediaauthtest.MoviesState{Users: []mediaauthtest.MoviesUser{{Username: "a"}}}}
	require.Error(t, bad.Validate())
	assert.PanicsWithValue(t, "mediaauthtest: WithState: "+bad.Validate().Error(), func() {
		mediaauthtest.NewServer(mediaauthtest.WithState(bad)).Close()
	})
}

// TestLoadStateAllOrNothing: a document with one taken Movies account adds
// nothing of its other parts.
func TestLoadStateAllOrNothing(t *testing.T) {
	t.Parallel()
	srv, _ := startFake(t)
	_, err := srv.Movies.AddUser(mediaauthtest.MoviesUser{Username: "ann", Email: "ann@example.com", Password: "pw"})
	require.NoError(t, err)
	st := mediaauthtest.State{
		Movies: mediaauthtest.MoviesState{Users: []mediaauthtest.MoviesUser{
			{Username: "bob", Email: "bob@example.com", Password: "pw"},
			{Username: "cy", Email: "ANN@example.com", Password: "pw"},
		}},
		TMDb: mediaauthtest.TMDbState{APIKeys: []string{"new-key"}},
	}
	err = srv.LoadState(st)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "movies.users[1]")
	_, err = srv.Movies.AddUser(mediaauthtest.MoviesUser{Username: "bob", Email: "bob@example.com", Password: "pw"})
	assert.NoError(t, err, "bob was not added")
	assert.Equal(t, http.StatusUnauthorized, apiStatus(t, srv, http.MethodGet, "/3/authentication?api_key=new-key"))
}

// TestResetReproducesTheStart: with WithSeed, a reset server hands out
// the same tokens as it did after it started, and holds its starting
// state again.
func TestResetReproducesTheStart(t *testing.T) {
	t.Parallel()
	srv, _ := startFake(t, mediaauthtest.WithSeed(7), mediaauthtest.WithState(exampleState(t)))
	c, err := srv.Client()
	require.NoError(t, err)
	run := func() []string {
		rt, err := c.TMDb.CreateRequestToken(t.Context())
		require.NoError(t, err)
		key, err := srv.TVmaze.AddUser(mediaauthtest.TVmazeUser{Username: "zed", Email: "zed@example.com"})
		require.NoError(t, err)
		u, err := srv.Movies.AddUser(mediaauthtest.MoviesUser{Username: "zed", Email: "zed@example.com", Password: "pw"})
		require.NoError(t, err)
		return []string{rt.Token, key, u.ID}
	}
	first := run()
	srv.Reset()
	assert.Equal(t, first, run())
	srv.Reset()
	_, err = c.Movies.Login(t.Context(), "alice", "alice-password")
	assert.NoError(t, err, "the starting state is back")
}

// TestResetWhileServing resets the server while clients log in, for the
// race detector.
func TestResetWhileServing(t *testing.T) {
	t.Parallel()
	srv, _ := startFake(t)
	c, err := srv.Client(mediaauth.WithRetry(0, 0, 0))
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 4 {
				_, _ = c.Movies.Login(t.Context(), mediaauthtest.DemoMoviesUsername, mediaauthtest.DemoMoviesPassword)
				_, _ = c.TMDb.CreateRequestToken(t.Context())
				_, _ = c.TVmaze.StartAuth(t.Context(), fmt.Sprintf("nobody%d@example.com", i))
			}
		}()
	}
	for range 4 {
		srv.Reset()
	}
	wg.Wait()
	_, err = c.Movies.Login(t.Context(), mediaauthtest.DemoMoviesUsername, mediaauthtest.DemoMoviesPassword)
	assert.NoError(t, err)
}

func TestStateSecretsDoNotPrint(t *testing.T) {
	t.Parallel()
	tv := mediaauthtest.TVmazeUser{Username: "a", Email: "a@example.com", APIKey: "tvmaze-secret-key"}
	tm := mediaauthtest.TMDbUser{Username: "a", Password: "tmdb-secret-password"}
	var logs strings.Builder
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("values", "tv", tv, "tm", tm)
	for _, v := range []any{tv, tm, &tv, &tm} {
		out := fmt.Sprintf("%v %+v %#v %s %q", v, v, v, v, v) + logs.String()
		assert.NotContains(t, out, "secret")
		assert.Contains(t, out, "[REDACTED]")
	}
}

// A test suite's accounts and keys, as "mediaauth fake --state FILE"
// reads them, given to an in-process fake.
func ExampleParseState() {
	st, err := mediaauthtest.ParseState([]byte(`{
		"tvmaze": {"users": [{"username": "ann", "email": "ann@example.com", "api_key": "ann-key", "premium_level": 2}]},
		"tmdb": {"api_keys": ["suite-key"]}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := mediaauthtest.NewServer(mediaauthtest.WithState(st))
	defer srv.Close()
	c, _ := srv.Client(mediaauth.WithCredentials(mediaauth.TVmazeCredentials{Username: "ann", APIKey: "ann-key"}))
	level, err := c.TVmaze.Validate(context.Background())
	fmt.Println(level, err)

	_, err = mediaauthtest.ParseState([]byte(`{"tvmaze": {"users": [{"username": "bob"}]}}`))
	fmt.Println(err)
	// Output:
	// Silver <nil>
	// mediaauthtest: state: tvmaze.users[0]: username and email are required
}
