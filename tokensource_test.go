package mediaauth_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// renewalFixture is a fake with one Movies user, a client, and a token
// source that logs in again and counts its logins.
type renewalFixture struct {
	srv    *mediaauthtest.Server
	client *mediaauth.Client
	user   *mediaauth.Client // carries the renewing token
	logins atomic.Int32
}

func newRenewalFixture(t *testing.T, opts ...mediaauthtest.Option) *renewalFixture {
	t.Helper()
	f := &renewalFixture{}
	f.srv = mediaauthtest.NewServer(opts...)
	t.Cleanup(f.srv.Close)
	var err error
	f.client, err = f.srv.Client()
	require.NoError(t, err)
	_, err = f.srv.Movies.AddUser(mediaauthtest.MoviesUser{Username: "rita", Password: "pw-rita-123", Email: "rita@example.com"})
	require.NoError(t, err)
	first, err := f.client.Movies.Login(t.Context(), "rita", "pw-rita-123")
	require.NoError(t, err)
	login := f.client.Movies.LoginTokenSource("rita", func(context.Context) (string, error) {
		f.logins.Add(1)
		return "pw-rita-123", nil
	})
	f.user = f.client.With(mediaauth.RenewingMoviesToken(mediaauth.ReuseMoviesTokenSource(first, login)))
	return f
}

// TestRenewalConcurrentCallsRenewOnce: the server expires every token; 50
// concurrent calls see theirs refused, the source logs in once, and every
// call is sent again and succeeds.
func TestRenewalConcurrentCallsRenewOnce(t *testing.T) {
	t.Parallel()
	f := newRenewalFixture(t)
	_, err := f.user.Movies.Profile(t.Context())
	require.NoError(t, err)
	require.Zero(t, f.logins.Load(), "the first token is reused")

	f.srv.Movies.ExpireTokens()
	var wg sync.WaitGroup
	errs := make([]error, 50)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := f.user.Movies.Profile(t.Context())
			if err == nil && u.Username != "rita" {
				err = assert.AnError
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "call %d", i)
	}
	assert.Equal(t, int32(1), f.logins.Load(), "one renewal for all 50 calls")
	assert.Equal(t, 2, f.srv.RequestCount(http.MethodPost, "/login"), "the first login and one renewal")
}

// TestRenewalBeforeExpiry: a token whose ExpiresAt has passed is renewed
// before the call, once for 50 concurrent calls, with no refused request.
func TestRenewalBeforeExpiry(t *testing.T) {
	t.Parallel()
	f := newRenewalFixture(t)
	login := f.client.Movies.LoginTokenSource("rita", func(context.Context) (string, error) {
		f.logins.Add(1)
		return "pw-rita-123", nil
	})
	expired := &mediaauth.Token{AccessToken: "expired-token-value", ExpiresAt: time.Now().Add(-time.Minute)}
	user := f.client.With(mediaauth.RenewingMoviesToken(mediaauth.ReuseMoviesTokenSource(expired, login)))
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := user.Movies.Profile(t.Context()); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Zero(t, failed.Load())
	assert.Equal(t, int32(1), f.logins.Load(), "one renewal for all 50 calls")
	assert.Equal(t, 50, f.srv.RequestCount(http.MethodGet, "/user/profile"), "no call was refused and resent")
}

// TestRenewalUnsafeCallNotResent: a POST refused for an expired token is
// not sent again; it returns ErrTokenExpired with the token renewed, and
// the next call works without another login.
func TestRenewalUnsafeCallNotResent(t *testing.T) {
	t.Parallel()
	f := newRenewalFixture(t)
	f.srv.Movies.ExpireTokens()
	_, err := f.user.Movies.GenerateAPIKey(t.Context())
	require.ErrorIs(t, err, mediaauth.ErrTokenExpired)
	assert.Equal(t, 1, f.srv.RequestCount(http.MethodPost, "/user/api-key"), "the POST is not resent")
	assert.Equal(t, int32(1), f.logins.Load(), "renewed at once")

	key, err := f.user.Movies.GenerateAPIKey(t.Context())
	require.NoError(t, err)
	assert.NotEmpty(t, key.Key)
	assert.Equal(t, int32(1), f.logins.Load(), "the renewed token serves the next call")
}

// TestRenewalSourceErrors: a source that fails is reported with the
// call's error, and a nil source is an invalid argument.
func TestRenewalSourceErrors(t *testing.T) {
	t.Parallel()
	f := newRenewalFixture(t)
	broken := f.client.With(mediaauth.RenewingMoviesToken(mediaauth.ReuseMoviesTokenSource(nil, nil)))
	_, err := broken.Movies.Profile(t.Context())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nothing to renew it with")
	assert.Zero(t, f.srv.RequestCount(http.MethodGet, "/user/profile"), "nothing sent without a token")

	_, err = f.client.With(mediaauth.RenewingMoviesToken(nil)).Movies.Profile(t.Context())
	require.ErrorIs(t, err, mediaauth.ErrInvalidArgument)

	f.srv.Movies.ExpireTokens()
	failing := f.client.With(mediaauth.RenewingMoviesToken(mediaauth.ReuseMoviesTokenSource(
		&mediaauth.Token{AccessToken: "stale-token-value"},
		mediaauth.MoviesTokenSourceFunc(func(context.Context) (*mediaauth.Token, error) { return nil, assert.AnError }))))
	_, err = failing.Movies.Profile(t.Context())
	require.ErrorIs(t, err, mediaauth.ErrUnauthorized)
	assert.NotContains(t, err.Error(), "stale-token-value")
}

// TestRenewalThroughTheStore: the token lives in a credential store; an
// expired one is renewed once and written back, and a second client (say,
// another process) reads the renewed one instead of logging in again.
func TestRenewalThroughTheStore(t *testing.T) {
	t.Parallel()
	f := newRenewalFixture(t)
	store, err := mediaauth.NewFileStore(t.TempDir() + "/config/credentials.json")
	require.NoError(t, err)
	login := f.client.Movies.LoginTokenSource("rita", func(context.Context) (string, error) {
		f.logins.Add(1)
		return "pw-rita-123", nil
	})
	expired := &mediaauth.Token{AccessToken: "expired-token-value", ExpiresAt: time.Now().Add(-time.Minute)}
	key := &mediaauth.APIKey{Key: "kept-api-key-value"}
	require.NoError(t, store.Save(t.Context(), &mediaauth.StoredCredentials{
		API: mediaauth.APIMovies, Profile: "work", MoviesToken: expired, MoviesAPIKey: key}))

	src := mediaauth.StoredMoviesTokenSource(store, "work", login)
	user := f.client.With(mediaauth.RenewingMoviesToken(mediaauth.ReuseMoviesTokenSource(nil, src)))
	me, err := user.Movies.Profile(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "rita", me.Username)
	assert.Equal(t, int32(1), f.logins.Load())

	stored, err := store.Load(t.Context(), mediaauth.APIMovies, "work")
	require.NoError(t, err)
	require.NotNil(t, stored.MoviesToken)
	assert.NotEqual(t, expired.AccessToken, stored.MoviesToken.AccessToken, "the renewed token was saved")
	assert.Equal(t, key.Key, stored.MoviesAPIKey.Key, "the API key beside it is kept")

	other := f.client.With(mediaauth.RenewingMoviesToken(mediaauth.ReuseMoviesTokenSource(nil,
		mediaauth.StoredMoviesTokenSource(store, "work", login))))
	_, err = other.Movies.Profile(t.Context())
	require.NoError(t, err)
	assert.Equal(t, int32(1), f.logins.Load(), "the second client used the stored token")
}

// TestRenewalThroughTheStoreRefused: a token from the store that the API
// refuses as expired before its time is renewed once for all the calls
// that saw it refused, not handed back by the store again, and the renewed
// one is saved for other clients.
func TestRenewalThroughTheStoreRefused(t *testing.T) {
	t.Parallel()
	f := newRenewalFixture(t)
	store, err := mediaauth.NewFileStore(t.TempDir() + "/config/credentials.json")
	require.NoError(t, err)
	login := f.client.Movies.LoginTokenSource("rita", func(context.Context) (string, error) {
		f.logins.Add(1)
		return "pw-rita-123", nil
	})
	user := f.client.With(mediaauth.RenewingMoviesToken(mediaauth.ReuseMoviesTokenSource(nil,
		mediaauth.StoredMoviesTokenSource(store, "work", login))))
	profilesAtOnce(t, user, 1)
	require.Equal(t, int32(1), f.logins.Load())
	first, err := store.Load(t.Context(), mediaauth.APIMovies, "work")
	require.NoError(t, err)

	f.srv.Movies.ExpireTokens()
	profilesAtOnce(t, user, 50)
	assert.Equal(t, int32(2), f.logins.Load(), "one renewal for the 50 calls refused")
	stored, err := store.Load(t.Context(), mediaauth.APIMovies, "work")
	require.NoError(t, err)
	assert.NotEqual(t, first.MoviesToken.AccessToken, stored.MoviesToken.AccessToken, "the renewed token was saved")

	other := f.client.With(mediaauth.RenewingMoviesToken(mediaauth.ReuseMoviesTokenSource(nil,
		mediaauth.StoredMoviesTokenSource(store, "work", login))))
	profilesAtOnce(t, other, 10)
	profilesAtOnce(t, user, 10)
	assert.Equal(t, int32(2), f.logins.Load(), "the saved token serves both clients")
}

// shortTokenAPI mocks the Movies API for the tests of tokens that live less
// than DefaultTokenExpiryDelta: each login issues a new token ("short-1",
// "short-2", ...) with expires_in set, and GET /user/profile accepts every
// token it issued but those in refused, which it answers as expired.
type shortTokenAPI struct {
	user     *mediaauth.Client // carries a ReuseMoviesTokenSource that logs in
	logins   atomic.Int32
	refusals atomic.Int32
}

func newShortTokenAPI(t *testing.T, expiresIn int, refused ...string) *shortTokenAPI {
	t.Helper()
	api := &shortTokenAPI{}
	c, mt := unitClient(t)
	mt.RegisterResponder(http.MethodPost, unitBase+"/login", func(*http.Request) (*http.Response, error) {
		n := api.logins.Add(1)
		return jsonResponse(http.StatusOK, fmt.Sprintf(`{"access_token":"short-%d","token_type":"bearer","expires_in":%d}`, n, expiresIn)), nil
	})
	mt.RegisterResponder(http.MethodGet, unitBase+"/user/profile", func(req *http.Request) (*http.Response, error) {
		tok := strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
		switch {
		case slices.Contains(refused, tok):
			api.refusals.Add(1)
			return jsonResponse(http.StatusUnauthorized, `{"error":"token_expired","message":"expired"}`), nil
		case !strings.HasPrefix(tok, "short-"):
			return jsonResponse(http.StatusUnauthorized, `{"error":"invalid_token","message":"invalid"}`), nil
		}
		return jsonResponse(http.StatusOK, unitUserJSON), nil
	})
	login := c.Movies.LoginTokenSource("john_doe", func(context.Context) (string, error) { return "pw-john-123", nil })
	api.user = c.With(mediaauth.RenewingMoviesToken(mediaauth.ReuseMoviesTokenSource(nil, login)))
	return api
}

// jsonResponse is an answer of status with a JSON body.
func jsonResponse(status int, body string) *http.Response {
	resp := httpmock.NewStringResponse(status, body)
	resp.Header.Set("Content-Type", "application/json")
	return resp
}

// profilesAtOnce makes n concurrent Profile calls as user and fails the
// test for each that fails.
func profilesAtOnce(t *testing.T, user *mediaauth.Client, n int) {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = user.Movies.Profile(t.Context())
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "call %d", i)
	}
}

// TestRenewalShortLivedTokens: a token that lives less than the expiry
// margin (expires_in 0 or 5) is still used: 50 concurrent calls log in
// once, and 20 calls after them at most once more, instead of once each.
func TestRenewalShortLivedTokens(t *testing.T) {
	t.Parallel()
	for _, expiresIn := range []int{0, 5} {
		t.Run(fmt.Sprintf("expires_in=%d", expiresIn), func(t *testing.T) {
			t.Parallel()
			api := newShortTokenAPI(t, expiresIn)
			profilesAtOnce(t, api.user, 50)
			concurrent := api.logins.Load()
			for i := range 20 {
				_, err := api.user.Movies.Profile(t.Context())
				require.NoError(t, err, "sequential call %d", i)
			}
			sequential := api.logins.Load() - concurrent
			t.Logf("expires_in %d: %d login(s) for 50 concurrent calls, %d more for 20 sequential calls", expiresIn, concurrent, sequential)
			assert.Equal(t, int32(1), concurrent, "one login for 50 concurrent calls")
			assert.LessOrEqual(t, sequential, int32(1), "at most one more login for 20 sequential calls")
		})
	}
}

// TestRenewalShortLivedTokenRefusedOnce: when the API refuses a short-lived
// token as expired, the calls that saw it refused renew it once between
// them, and the renewed token serves them and the calls after them.
func TestRenewalShortLivedTokenRefusedOnce(t *testing.T) {
	t.Parallel()
	for _, expiresIn := range []int{0, 5} {
		t.Run(fmt.Sprintf("expires_in=%d", expiresIn), func(t *testing.T) {
			t.Parallel()
			api := newShortTokenAPI(t, expiresIn, "short-1")
			profilesAtOnce(t, api.user, 50)
			assert.Equal(t, int32(2), api.logins.Load(), "the first login and one renewal for the calls refused")
			assert.Positive(t, api.refusals.Load())
			for i := range 20 {
				_, err := api.user.Movies.Profile(t.Context())
				require.NoError(t, err, "sequential call %d", i)
			}
			assert.Equal(t, int32(2), api.logins.Load(), "the renewed token serves the calls after")
		})
	}
}

// TestRenewalShortLivedTokenHalfLife: against the fake with 5 s tokens and
// a clock the test moves, a token is used for half its lifetime (the
// margin, shorter than DefaultTokenExpiryDelta, scales to it), then
// renewed once for all the calls that find it due, and never refused.
func TestRenewalShortLivedTokenHalfLife(t *testing.T) {
	t.Parallel()
	clk := mediaauthtest.NewClock(time.Date(2030, time.January, 2, 3, 4, 5, 0, time.UTC))
	srv, client := startFake(t, mediaauthtest.WithMoviesTokenTTL(5*time.Second), mediaauthtest.WithClock(clk.Now))
	mediaauth.SetClock(client, clk.Now)
	_, err := srv.Movies.AddUser(mediaauthtest.MoviesUser{Username: "rita", Password: "pw-rita-123", Email: "rita@example.com"})
	require.NoError(t, err)
	var logins atomic.Int32
	login := client.Movies.LoginTokenSource("rita", func(context.Context) (string, error) {
		logins.Add(1)
		return "pw-rita-123", nil
	})
	user := client.With(mediaauth.RenewingMoviesToken(mediaauth.ReuseMoviesTokenSourceAt(nil, login, clk.Now)))

	profilesAtOnce(t, user, 50)
	assert.Equal(t, int32(1), logins.Load(), "one login for 50 calls")
	clk.Advance(2 * time.Second)
	profilesAtOnce(t, user, 20)
	assert.Equal(t, int32(1), logins.Load(), "used for the first half of its 5 s")
	clk.Advance(time.Second)
	profilesAtOnce(t, user, 50)
	assert.Equal(t, int32(2), logins.Load(), "renewed once, past half its life")
	clk.Advance(time.Minute)
	profilesAtOnce(t, user, 50)
	assert.Equal(t, int32(3), logins.Load(), "renewed once, expired")
	assert.Equal(t, 170, srv.RequestCount(http.MethodGet, "/user/profile"), "no call was refused and resent")
}

// TestReuseTokenSourceClock: when ReuseMoviesTokenSource asks its source
// again, read on a clock the test moves.
func TestReuseTokenSourceClock(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, time.January, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		initial *mediaauth.Token
		life    time.Duration // of the tokens the source gives
		steps   []time.Duration
		want    []int32 // the source's calls after each step
	}{
		{name: "initial token with 4 s left, used for 2 s", life: time.Hour,
			initial: &mediaauth.Token{AccessToken: "initial", ExpiresAt: start.Add(4 * time.Second)},
			steps:   []time.Duration{0, 1900 * time.Millisecond, 200 * time.Millisecond, time.Minute},
			want:    []int32{0, 0, 1, 1}},
		{name: "initial token expired, renewed at once", life: time.Hour,
			initial: &mediaauth.Token{AccessToken: "initial", ExpiresAt: start},
			steps:   []time.Duration{0, 0, 59*time.Minute + 49*time.Second, 2 * time.Second},
			want:    []int32{1, 1, 1, 2}},
		{name: "an hour, renewed 10 s before", life: time.Hour,
			steps: []time.Duration{0, 59*time.Minute + 49*time.Second, 2 * time.Second},
			want:  []int32{1, 1, 2}},
		{name: "8 s, renewed after 4 s", life: 8 * time.Second,
			steps: []time.Duration{0, 3 * time.Second, 1100 * time.Millisecond, 3 * time.Second, time.Second},
			want:  []int32{1, 1, 2, 2, 3}},
		{name: "expired when given, kept until refused", life: 0,
			steps: []time.Duration{0, 0, time.Second, time.Hour},
			want:  []int32{1, 1, 1, 1}},
		{name: "unknown expiry, kept", life: -1,
			steps: []time.Duration{0, 24 * time.Hour},
			want:  []int32{1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := mediaauthtest.NewClock(start)
			var calls atomic.Int32
			src := mediaauth.ReuseMoviesTokenSourceAt(tc.initial, mediaauth.MoviesTokenSourceFunc(func(context.Context) (*mediaauth.Token, error) {
				tok := &mediaauth.Token{AccessToken: fmt.Sprintf("tok-%d", calls.Add(1))}
				if tc.life >= 0 {
					tok.ExpiresAt = clk.Now().Add(tc.life)
				}
				return tok, nil
			}), clk.Now)
			for i, step := range tc.steps {
				clk.Advance(step)
				tok, err := src.Token(t.Context())
				require.NoError(t, err)
				require.Equal(t, tc.want[i], calls.Load(), "step %d", i)
				if calls.Load() > 0 {
					assert.Equal(t, fmt.Sprintf("tok-%d", calls.Load()), tok.AccessToken, "step %d", i)
				}
			}
		})
	}
}
