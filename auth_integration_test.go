package mediaauth_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// Integration tests of every Movies API flow through mediaauth.Client
// against the fake in mediaauthtest.

// moviesAccount registers username through the API and verifies its email
// with the token the fake "sent".
func moviesAccount(t *testing.T, srv *mediaauthtest.Server, c *mediaauth.Client, username, password string) *mediaauth.User {
	t.Helper()
	email := username + "@example.com"
	u, err := c.Movies.Register(t.Context(), mediaauth.RegisterRequest{Username: username, Password: password, Email: email})
	require.NoError(t, err)
	tok, ok := srv.Movies.VerificationToken(email)
	require.True(t, ok, "verification email for %s", email)
	require.NoError(t, c.Movies.VerifyEmail(t.Context(), tok))
	return u
}

// requireMoviesAPIError checks the identity and fields of a Movies *APIError.
func requireMoviesAPIError(t *testing.T, err error, sentinel error, status int, code, method, path string) *mediaauth.APIError {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, sentinel)
	var apiErr *mediaauth.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, mediaauth.APIMovies, apiErr.API)
	assert.Equal(t, status, apiErr.StatusCode)
	assert.Equal(t, code, apiErr.Code)
	assert.Equal(t, method, apiErr.Method)
	assert.Equal(t, path, apiErr.Path)
	assert.NotEmpty(t, apiErr.Message)
	return apiErr
}

func TestIntegrationMoviesFullFlow(t *testing.T) {
	t.Parallel()
	srv, c := startFake(t)
	ctx := t.Context()
	const password = "correct horse battery staple"

	// Register: the account starts unverified.
	u, err := c.Movies.Register(ctx, mediaauth.RegisterRequest{Username: "john_doe", Password: password, Email: "john@example.com", Name: "John"})
	require.NoError(t, err)
	assert.NotEmpty(t, u.ID)
	assert.Equal(t, "john_doe", u.Username)
	assert.Equal(t, "John", u.Name)
	assert.False(t, u.EmailVerified)
	assert.False(t, u.CreatedAt.IsZero())

	// Verify with the token from the "email".
	mail, ok := srv.Movies.LastEmail("john@example.com")
	require.True(t, ok)
	require.Equal(t, mediaauthtest.EmailVerify, mail.Kind)
	require.NoError(t, c.Movies.VerifyEmail(ctx, mail.Token))

	// JSON login and form login (with the email address) both give tokens.
	tok, err := c.Movies.Login(ctx, "john_doe", password)
	require.NoError(t, err)
	assert.Equal(t, "bearer", tok.TokenType)
	assert.NotEmpty(t, tok.AccessToken)
	assert.WithinDuration(t, time.Now().Add(time.Hour), tok.ExpiresAt, 5*time.Second)
	assert.False(t, tok.Expired(time.Now()))
	formTok, err := c.Movies.FormLogin(ctx, "john@example.com", password)
	require.NoError(t, err)
	assert.NotEqual(t, tok.AccessToken, formTok.AccessToken)

	// Profile with either token.
	authed := c.With(mediaauth.Token{AccessToken: tok.AccessToken})
	p, err := authed.Movies.Profile(ctx)
	require.NoError(t, err)
	assert.Equal(t, u.ID, p.ID)
	assert.True(t, p.EmailVerified)
	p2, err := c.With(mediaauth.Token{AccessToken: formTok.AccessToken}).Movies.Profile(ctx)
	require.NoError(t, err)
	assert.Equal(t, p, p2)

	// Partial updates: nil fields stay as they are.
	p, err = authed.Movies.UpdateProfile(ctx, mediaauth.ProfileUpdate{Name: mediaauth.String("John Doe"), Bio: mediaauth.String("Developer and tech enthusiast.")})
	require.NoError(t, err)
	assert.Equal(t, "John Doe", p.Name)
	assert.Equal(t, "Developer and tech enthusiast.", p.Bio)
	p, err = authed.Movies.UpdateProfile(ctx, mediaauth.ProfileUpdate{Bio: mediaauth.String("Film buff.")})
	require.NoError(t, err)
	assert.Equal(t, "John Doe", p.Name, "nil Name is not changed")
	assert.Equal(t, "Film buff.", p.Bio)
	assert.Equal(t, "john@example.com", p.Email, "nil Email is not changed")
	assert.True(t, p.EmailVerified)
	p, err = authed.Movies.Profile(ctx)
	require.NoError(t, err)
	assert.Equal(t, "John Doe", p.Name)
	assert.Equal(t, "Film buff.", p.Bio)

	// No API key yet, then generate one and call with it.
	_, err = authed.Movies.FetchAPIKey(ctx)
	requireMoviesAPIError(t, err, mediaauth.ErrNotFound, http.StatusNotFound, "not_found", http.MethodGet, "/user/api-key")
	key, err := authed.Movies.GenerateAPIKey(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, key.Key)
	assert.False(t, key.CreatedAt.IsZero())
	withKey := c.With(mediaauth.Token{AccessToken: key.Key})
	p, err = withKey.Movies.Profile(ctx)
	require.NoError(t, err)
	assert.Equal(t, "john_doe", p.Username)
	shown, err := withKey.Movies.FetchAPIKey(ctx)
	require.NoError(t, err)
	assert.Equal(t, key.Key, shown.Key)

	// Rotate: the old key stops working, the new one works.
	key2, err := authed.Movies.GenerateAPIKey(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, key.Key, key2.Key)
	_, err = withKey.Movies.Profile(ctx)
	apiErr := requireMoviesAPIError(t, err, mediaauth.ErrUnauthorized, http.StatusUnauthorized, "invalid_token", http.MethodGet, "/user/profile")
	assert.NotErrorIs(t, err, mediaauth.ErrTokenExpired)
	assert.NotContains(t, apiErr.Error(), key.Key)
	p, err = c.With(mediaauth.Token{AccessToken: key2.Key}).Movies.Profile(ctx)
	require.NoError(t, err)
	assert.Equal(t, u.ID, p.ID)

	assert.Equal(t, 1, srv.RequestCount(http.MethodPost, "/register"))
	assert.Equal(t, 2, srv.RequestCount(http.MethodPost, "/user/api-key"))
	assert.Equal(t, 2, srv.RequestCount(http.MethodGet, "/user/api-key"))
}

func TestIntegrationMoviesLoginErrors(t *testing.T) {
	t.Parallel()
	srv, c := startFake(t)
	ctx := t.Context()
	const password = "pa55word!"

	_, err := c.Movies.Register(ctx, mediaauth.RegisterRequest{Username: "early", Password: password, Email: "early@example.com"})
	require.NoError(t, err)
	moviesAccount(t, srv, c, "kim", password)

	tests := []struct {
		name     string
		login    func() (*mediaauth.Token, error)
		sentinel error
		class    error
		status   int
		code     string
		path     string
	}{
		{"before verification", func() (*mediaauth.Token, error) { return c.Movies.Login(ctx, "early", password) },
			mediaauth.ErrEmailNotVerified, mediaauth.ErrForbidden, http.StatusForbidden, "email_not_verified", "/login"},
		{"form before verification", func() (*mediaauth.Token, error) { return c.Movies.FormLogin(ctx, "early@example.com", password) },
			mediaauth.ErrEmailNotVerified, mediaauth.ErrForbidden, http.StatusForbidden, "email_not_verified", "/auth/login"},
		{"wrong password", func() (*mediaauth.Token, error) { return c.Movies.Login(ctx, "kim", "not-it") },
			mediaauth.ErrInvalidCredentials, mediaauth.ErrUnauthorized, http.StatusUnauthorized, "invalid_credentials", "/login"},
		{"form wrong password", func() (*mediaauth.Token, error) { return c.Movies.FormLogin(ctx, "kim", "not-it") },
			mediaauth.ErrInvalidCredentials, mediaauth.ErrUnauthorized, http.StatusUnauthorized, "invalid_credentials", "/auth/login"},
		{"unknown user", func() (*mediaauth.Token, error) { return c.Movies.Login(ctx, "nobody", password) },
			mediaauth.ErrInvalidCredentials, mediaauth.ErrUnauthorized, http.StatusUnauthorized, "invalid_credentials", "/login"},
		{"unverified with wrong password", func() (*mediaauth.Token, error) { return c.Movies.Login(ctx, "early", "not-it") },
			mediaauth.ErrInvalidCredentials, mediaauth.ErrUnauthorized, http.StatusUnauthorized, "invalid_credentials", "/login"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := tt.login()
			assert.Nil(t, tok)
			requireMoviesAPIError(t, err, tt.sentinel, tt.status, tt.code, http.MethodPost, tt.path)
			assert.ErrorIs(t, err, tt.class)
			assert.NotErrorIs(t, err, mediaauth.ErrTokenExpired)
			assert.NotContains(t, err.Error(), password)
			assert.NotContains(t, err.Error(), "not-it")
		})
	}
	// Logins are not retried on a 4xx.
	assert.Equal(t, 4, srv.RequestCount(http.MethodPost, "/login"))
	assert.Equal(t, 2, srv.RequestCount(http.MethodPost, "/auth/login"))
}

func TestIntegrationMoviesTokenExpiry(t *testing.T) {
	t.Parallel()
	t.Run("server clock", func(t *testing.T) {
		t.Parallel()
		clock := mediaauthtest.NewClock(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))
		srv, c := startFake(t, mediaauthtest.WithClock(clock.Now), mediaauthtest.WithMoviesTokenTTL(15*time.Minute))
		moviesAccount(t, srv, c, "lee", "pw-lee")
		tok, err := c.Movies.Login(t.Context(), "lee", "pw-lee")
		require.NoError(t, err)
		assert.WithinDuration(t, time.Now().Add(15*time.Minute), tok.ExpiresAt, 5*time.Second)
		authed := c.With(mediaauth.Token{AccessToken: tok.AccessToken})
		_, err = authed.Movies.Profile(t.Context())
		require.NoError(t, err)

		clock.Advance(15 * time.Minute)
		_, err = authed.Movies.Profile(t.Context())
		requireMoviesAPIError(t, err, mediaauth.ErrTokenExpired, http.StatusUnauthorized, "token_expired", http.MethodGet, "/user/profile")
		assert.ErrorIs(t, err, mediaauth.ErrUnauthorized)
		_, err = authed.Movies.UpdateProfile(t.Context(), mediaauth.ProfileUpdate{Name: mediaauth.String("x")})
		assert.ErrorIs(t, err, mediaauth.ErrTokenExpired)
		_, err = authed.Movies.GenerateAPIKey(t.Context())
		assert.ErrorIs(t, err, mediaauth.ErrTokenExpired)
	})
	t.Run("Movies.ExpireTokens", func(t *testing.T) {
		t.Parallel()
		srv, c := startFake(t)
		moviesAccount(t, srv, c, "mia", "pw-mia")
		tok, err := c.Movies.Login(t.Context(), "mia", "pw-mia")
		require.NoError(t, err)
		key, err := c.With(mediaauth.Token{AccessToken: tok.AccessToken}).Movies.GenerateAPIKey(t.Context())
		require.NoError(t, err)

		srv.Movies.ExpireTokens()
		_, err = c.With(mediaauth.Token{AccessToken: tok.AccessToken}).Movies.Profile(t.Context())
		require.ErrorIs(t, err, mediaauth.ErrTokenExpired)
		p, err := c.With(mediaauth.Token{AccessToken: key.Key}).Movies.Profile(t.Context())
		require.NoError(t, err, "API keys do not expire")
		assert.Equal(t, "mia", p.Username)
	})
}

func TestIntegrationMoviesConflicts(t *testing.T) {
	t.Parallel()
	srv, c := startFake(t)
	ctx := t.Context()
	moviesAccount(t, srv, c, "ned", "pw-ned")
	moviesAccount(t, srv, c, "ola", "pw-ola")

	_, err := c.Movies.Register(ctx, mediaauth.RegisterRequest{Username: "ned", Password: "x", Email: "ned2@example.com"})
	requireMoviesAPIError(t, err, mediaauth.ErrConflict, http.StatusConflict, "conflict", http.MethodPost, "/register")
	_, err = c.Movies.Register(ctx, mediaauth.RegisterRequest{Username: "ned2", Password: "x", Email: "NED@example.com"})
	requireMoviesAPIError(t, err, mediaauth.ErrConflict, http.StatusConflict, "conflict", http.MethodPost, "/register")
	assert.Equal(t, 4, srv.RequestCount(http.MethodPost, "/register"), "a 409 is not retried")

	tok, err := c.Movies.Login(ctx, "ned", "pw-ned")
	require.NoError(t, err)
	_, err = c.With(mediaauth.Token{AccessToken: tok.AccessToken}).Movies.UpdateProfile(ctx, mediaauth.ProfileUpdate{Email: mediaauth.String("ola@example.com")})
	requireMoviesAPIError(t, err, mediaauth.ErrConflict, http.StatusConflict, "conflict", http.MethodPut, "/user/profile")
}

func TestIntegrationMoviesBadRequests(t *testing.T) {
	t.Parallel()
	srv, c := startFake(t)
	ctx := t.Context()
	moviesAccount(t, srv, c, "pat", "pw-pat")
	tok, err := c.Movies.Login(ctx, "pat", "pw-pat")
	require.NoError(t, err)
	authed := c.With(mediaauth.Token{AccessToken: tok.AccessToken})

	_, err = c.Movies.Register(ctx, mediaauth.RegisterRequest{Username: "q", Password: "x", Email: "not an email"})
	requireMoviesAPIError(t, err, mediaauth.ErrBadRequest, http.StatusBadRequest, "invalid_request", http.MethodPost, "/register")
	_, err = authed.Movies.UpdateProfile(ctx, mediaauth.ProfileUpdate{Bio: mediaauth.String(strings.Repeat("b", 1001))})
	requireMoviesAPIError(t, err, mediaauth.ErrBadRequest, http.StatusBadRequest, "invalid_request", http.MethodPut, "/user/profile")
	_, err = authed.Movies.UpdateProfile(ctx, mediaauth.ProfileUpdate{Email: mediaauth.String("nope")})
	requireMoviesAPIError(t, err, mediaauth.ErrBadRequest, http.StatusBadRequest, "invalid_request", http.MethodPut, "/user/profile")
	err = c.Movies.VerifyEmail(ctx, "vrf_not_a_token")
	requireMoviesAPIError(t, err, mediaauth.ErrNotFound, http.StatusNotFound, "not_found", http.MethodPost, "/verify-email")

	// Missing or invalid credentials.
	before := len(srv.Requests())
	_, err = c.Movies.Profile(ctx)
	require.ErrorIs(t, err, mediaauth.ErrMissingCredentials)
	assert.Len(t, srv.Requests(), before, "nothing sent without credentials")
	_, err = c.With(mediaauth.Token{AccessToken: "not-a-token"}).Movies.Profile(ctx)
	requireMoviesAPIError(t, err, mediaauth.ErrUnauthorized, http.StatusUnauthorized, "invalid_token", http.MethodGet, "/user/profile")
	assert.NotErrorIs(t, err, mediaauth.ErrTokenExpired)
}

func TestIntegrationMoviesPasswordReset(t *testing.T) {
	t.Parallel()
	srv, c := startFake(t)
	ctx := t.Context()
	const oldPW, newPW = "old-pa55", "new-pa55"
	moviesAccount(t, srv, c, "rae", oldPW)
	tok, err := c.Movies.Login(ctx, "rae", oldPW)
	require.NoError(t, err)
	authed := c.With(mediaauth.Token{AccessToken: tok.AccessToken})
	key, err := authed.Movies.GenerateAPIKey(ctx)
	require.NoError(t, err)

	// Unknown addresses get the same answer.
	require.NoError(t, c.Movies.RequestPasswordReset(ctx, "stranger@example.com"))
	_, ok := srv.Movies.ResetToken("stranger@example.com")
	assert.False(t, ok)
	_, ok = srv.Movies.LastEmail("stranger@example.com")
	assert.False(t, ok, "no email to an unknown address")

	require.NoError(t, c.Movies.RequestPasswordReset(ctx, "rae@example.com"))
	rt, ok := srv.Movies.ResetToken("rae@example.com")
	require.True(t, ok)
	mail, ok := srv.Movies.LastEmail("rae@example.com")
	require.True(t, ok)
	assert.Equal(t, mediaauthtest.EmailReset, mail.Kind)
	err = c.Movies.ConfirmPasswordReset(ctx, "rst_wrong", newPW)
	requireMoviesAPIError(t, err, mediaauth.ErrNotFound, http.StatusNotFound, "not_found", http.MethodPost, "/password/reset/confirm")
	require.NoError(t, c.Movies.ConfirmPasswordReset(ctx, rt, newPW))

	// The old password is refused, the old access token revoked.
	_, err = c.Movies.Login(ctx, "rae", oldPW)
	requireMoviesAPIError(t, err, mediaauth.ErrInvalidCredentials, http.StatusUnauthorized, "invalid_credentials", http.MethodPost, "/login")
	_, err = authed.Movies.Profile(ctx)
	requireMoviesAPIError(t, err, mediaauth.ErrUnauthorized, http.StatusUnauthorized, "invalid_token", http.MethodGet, "/user/profile")
	assert.NotErrorIs(t, err, mediaauth.ErrTokenExpired)

	// The new password works; the API key survives the reset.
	tok2, err := c.Movies.FormLogin(ctx, "rae", newPW)
	require.NoError(t, err)
	p, err := c.With(mediaauth.Token{AccessToken: tok2.AccessToken}).Movies.Profile(ctx)
	require.NoError(t, err)
	assert.Equal(t, "rae", p.Username)
	p, err = c.With(mediaauth.Token{AccessToken: key.Key}).Movies.Profile(ctx)
	require.NoError(t, err)
	assert.Equal(t, "rae", p.Username)

	// The reset token works once.
	err = c.Movies.ConfirmPasswordReset(ctx, rt, "third-pa55")
	requireMoviesAPIError(t, err, mediaauth.ErrNotFound, http.StatusNotFound, "not_found", http.MethodPost, "/password/reset/confirm")
}

func TestIntegrationMoviesFaults(t *testing.T) {
	t.Parallel()
	srv, c := startFake(t)
	ctx := t.Context()
	moviesAccount(t, srv, c, "sam", "pw-sam")
	tok, err := c.Movies.Login(ctx, "sam", "pw-sam")
	require.NoError(t, err)
	authed := c.With(mediaauth.Token{AccessToken: tok.AccessToken})

	t.Run("GET is retried after a 500", func(t *testing.T) {
		before := srv.RequestCount(http.MethodGet, "/user/profile")
		srv.InjectFault("/user/profile", mediaauthtest.Fault{Status: http.StatusInternalServerError, Times: 2})
		p, err := authed.Movies.Profile(ctx)
		require.NoError(t, err)
		assert.Equal(t, "sam", p.Username)
		assert.Equal(t, before+3, srv.RequestCount(http.MethodGet, "/user/profile"), "two 500s, then the answer")
	})
	t.Run("login is not retried after a 500", func(t *testing.T) {
		before := srv.RequestCount(http.MethodPost, "/login")
		srv.InjectFault("/login", mediaauthtest.Fault{Status: http.StatusInternalServerError})
		_, err := c.Movies.Login(ctx, "sam", "pw-sam")
		requireMoviesAPIError(t, err, mediaauth.ErrServer, http.StatusInternalServerError, "injected_fault", http.MethodPost, "/login")
		assert.Equal(t, before+1, srv.RequestCount(http.MethodPost, "/login"))
	})
	t.Run("login is retried after 503 with Retry-After", func(t *testing.T) {
		before := srv.RequestCount(http.MethodPost, "/login")
		srv.InjectFault("/login", mediaauthtest.Fault{Status: http.StatusServiceUnavailable, Header: http.Header{"Retry-After": {"0"}}})
		tok, err := c.Movies.Login(ctx, "sam", "pw-sam")
		require.NoError(t, err)
		assert.NotEmpty(t, tok.AccessToken)
		assert.Equal(t, before+2, srv.RequestCount(http.MethodPost, "/login"), "the 503, then the login")
		p, err := c.With(mediaauth.Token{AccessToken: tok.AccessToken}).Movies.Profile(ctx)
		require.NoError(t, err)
		assert.Equal(t, "sam", p.Username, "the retried login's token works")
	})
	t.Run("dropped connection on a GET is retried", func(t *testing.T) {
		before := srv.RequestCount(http.MethodGet, "/user/api-key")
		srv.InjectFault("/user/api-key", mediaauthtest.Fault{Drop: true, Method: http.MethodGet})
		_, err := authed.Movies.FetchAPIKey(ctx)
		requireMoviesAPIError(t, err, mediaauth.ErrNotFound, http.StatusNotFound, "not_found", http.MethodGet, "/user/api-key")
		// The server records a dropped request once its handler has returned.
		assert.Eventually(t, func() bool {
			return srv.RequestCount(http.MethodGet, "/user/api-key") == before+2
		}, 2*time.Second, 5*time.Millisecond, "the dropped request, then the retry")
	})
}

func TestIntegrationMoviesConcurrent(t *testing.T) {
	t.Parallel()
	srv, c := startFake(t)
	ctx := t.Context()
	const users = 8
	var wg sync.WaitGroup
	errs := make(chan error, users)
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := "user" + string(rune('a'+i))
			email := name + "@example.com"
			if _, err := c.Movies.Register(ctx, mediaauth.RegisterRequest{Username: name, Password: "pw", Email: email}); err != nil {
				errs <- err
				return
			}
			tok, ok := srv.Movies.VerificationToken(email)
			if !ok {
				errs <- errors.New("no verification email for " + email)
				return
			}
			if err := c.Movies.VerifyEmail(ctx, tok); err != nil {
				errs <- err
				return
			}
			login, err := c.Movies.Login(ctx, name, "pw")
			if err != nil {
				errs <- err
				return
			}
			p, err := c.With(mediaauth.Token{AccessToken: login.AccessToken}).Movies.Profile(ctx)
			if err != nil {
				errs <- err
				return
			}
			if p.Username != name {
				errs <- errors.New("got profile of " + p.Username + ", want " + name)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestIntegrationMoviesLoggingHidesSecrets(t *testing.T) {
	t.Parallel()
	srv := mediaauthtest.NewServer()
	t.Cleanup(srv.Close)
	var logs bytes.Buffer
	c := fakeClient(t, srv, mediaauth.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	ctx := t.Context()
	const password = "hunter2-hunter2"

	moviesAccount(t, srv, c, "tia", password)
	tok, err := c.Movies.Login(ctx, "tia", password)
	require.NoError(t, err)
	key, err := c.With(mediaauth.Token{AccessToken: tok.AccessToken}).Movies.GenerateAPIKey(ctx)
	require.NoError(t, err)
	_, err = c.With(mediaauth.Token{AccessToken: key.Key + "x"}).Movies.Profile(ctx)
	require.ErrorIs(t, err, mediaauth.ErrUnauthorized)
	_, err = c.Movies.Login(ctx, "tia", "wrong-"+password)
	require.ErrorIs(t, err, mediaauth.ErrInvalidCredentials)

	out := logs.String()
	assert.Contains(t, out, "/user/api-key", "requests are logged")
	for _, secret := range []string{password, tok.AccessToken, key.Key} {
		assert.NotContains(t, out, secret)
	}
}
