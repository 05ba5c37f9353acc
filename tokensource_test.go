package mediaauth_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
	first, err := f.client.Login(t.Context(), "rita", "pw-rita-123")
	require.NoError(t, err)
	login := f.client.MoviesLoginTokenSource("rita", func(context.Context) (string, error) {
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
	_, err := f.user.Profile(t.Context())
	require.NoError(t, err)
	require.Zero(t, f.logins.Load(), "the first token is reused")

	f.srv.Movies.ExpireTokens()
	var wg sync.WaitGroup
	errs := make([]error, 50)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := f.user.Profile(t.Context())
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
	login := f.client.MoviesLoginTokenSource("rita", func(context.Context) (string, error) {
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
			if _, err := user.Profile(t.Context()); err != nil {
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
	_, err := f.user.GenerateMoviesAPIKey(t.Context())
	require.ErrorIs(t, err, mediaauth.ErrTokenExpired)
	assert.Equal(t, 1, f.srv.RequestCount(http.MethodPost, "/user/api-key"), "the POST is not resent")
	assert.Equal(t, int32(1), f.logins.Load(), "renewed at once")

	key, err := f.user.GenerateMoviesAPIKey(t.Context())
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
	_, err := broken.Profile(t.Context())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nothing to renew it with")
	assert.Zero(t, f.srv.RequestCount(http.MethodGet, "/user/profile"), "nothing sent without a token")

	_, err = f.client.With(mediaauth.RenewingMoviesToken(nil)).Profile(t.Context())
	require.ErrorIs(t, err, mediaauth.ErrInvalidArgument)

	f.srv.Movies.ExpireTokens()
	failing := f.client.With(mediaauth.RenewingMoviesToken(mediaauth.ReuseMoviesTokenSource(
		&mediaauth.Token{AccessToken: "stale-token-value"},
		mediaauth.MoviesTokenSourceFunc(func(context.Context) (*mediaauth.Token, error) { return nil, assert.AnError }))))
	_, err = failing.Profile(t.Context())
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
	login := f.client.MoviesLoginTokenSource("rita", func(context.Context) (string, error) {
		f.logins.Add(1)
		return "pw-rita-123", nil
	})
	expired := &mediaauth.Token{AccessToken: "expired-token-value", ExpiresAt: time.Now().Add(-time.Minute)}
	key := &mediaauth.APIKey{Key: "kept-api-key-value"}
	require.NoError(t, store.Save(t.Context(), &mediaauth.StoredCredentials{
		API: mediaauth.APIMovies, Profile: "work", MoviesToken: expired, MoviesAPIKey: key}))

	src := mediaauth.StoredMoviesTokenSource(store, "work", login)
	user := f.client.With(mediaauth.RenewingMoviesToken(mediaauth.ReuseMoviesTokenSource(nil, src)))
	me, err := user.Profile(t.Context())
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
	_, err = other.Profile(t.Context())
	require.NoError(t, err)
	assert.Equal(t, int32(1), f.logins.Load(), "the second client used the stored token")
}
