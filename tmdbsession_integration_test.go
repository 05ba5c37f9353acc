package mediaauth_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// tmdbCode returns the TMDb code of an *APIError, or 0.
func tmdbCode(t *testing.T, err error) int {
	t.Helper()
	var apiErr *mediaauth.APIError
	require.ErrorAs(t, err, &apiErr)
	return apiErr.TMDbCode
}

// tmdbRateLimited is TMDb's 429 (code 25) with Retry-After 0, for the
// next times calls.
func tmdbRateLimited(times int) mediaauthtest.Fault {
	f := mediaauthtest.TMDbFault(25)
	f.Times = times
	f.Header.Set("Retry-After", "0")
	return f
}

// TestTMDbApprovalFlow runs the browser approval flow: request token,
// approval page, session (refused until approved), deletion.
func TestTMDbApprovalFlow(t *testing.T) {
	t.Parallel()
	srv, c := startFake(t)
	ctx := t.Context()

	require.NoError(t, c.TMDb.Validate(ctx))

	tok, err := c.TMDb.CreateRequestToken(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, tok.Token)
	assert.Equal(t, srv.TMDb.SiteURL()+"/authenticate/"+tok.Token+"?redirect_to=http%3A%2F%2Flocalhost%2Fdone",
		c.TMDb.AuthenticateURL(*tok, "http://localhost/done"))

	// Not approved yet: keep waiting.
	_, err = c.TMDb.CreateSession(ctx, *tok)
	require.ErrorIs(t, err, mediaauth.ErrRequestTokenNotApproved)
	require.ErrorIs(t, err, mediaauth.ErrUnprocessable)
	assert.Equal(t, 41, tmdbCode(t, err))

	require.NoError(t, srv.TMDb.Approve(tok.Token))
	sess, err := c.TMDb.CreateSession(ctx, *tok)
	require.NoError(t, err)
	require.NotEmpty(t, sess.ID)
	assert.True(t, srv.TMDb.SessionValid(sess.ID))

	// The approval was used up: the token is no good any more.
	_, err = c.TMDb.CreateSession(ctx, *tok)
	require.ErrorIs(t, err, mediaauth.ErrInvalidRequestToken)
	assert.Equal(t, 33, tmdbCode(t, err))
	require.Error(t, srv.TMDb.Approve(tok.Token), "a used token cannot be approved again")

	// Delete, then delete again.
	require.NoError(t, c.TMDb.With(*sess).DeleteSession(ctx))
	assert.False(t, srv.TMDb.SessionValid(sess.ID))
	err = c.TMDb.With(*sess).DeleteSession(ctx)
	require.ErrorIs(t, err, mediaauth.ErrNotFound)
	assert.Equal(t, 37, tmdbCode(t, err))

	// Each request went once: no retry of a refused call.
	assert.Equal(t, 3, srv.RequestCount(http.MethodPost, "/3/authentication/session/new"))
	assert.Equal(t, 2, srv.RequestCount(http.MethodDelete, "/3/authentication/session"))
}

// TestTMDbAutoApprove checks WithTMDbAutoApprove: a new token can become a
// session at once.
func TestTMDbAutoApprove(t *testing.T) {
	t.Parallel()
	srv, c := startFake(t, mediaauthtest.WithTMDbAutoApprove())
	tok, err := c.TMDb.CreateRequestToken(t.Context())
	require.NoError(t, err)
	sess, err := c.TMDb.CreateSession(t.Context(), *tok)
	require.NoError(t, err)
	assert.NotEmpty(t, sess.ID)
	assert.True(t, srv.TMDb.SessionValid(sess.ID), "the server holds the session")
	assert.Equal(t, 1, srv.RequestCount(http.MethodPost, "/3/authentication/session/new"), "accepted at once")
}

// TestTMDbDeniedToken checks that a token the user denied is ErrSessionDenied.
func TestTMDbDeniedToken(t *testing.T) {
	t.Parallel()
	srv, c := startFake(t)
	tok, err := c.TMDb.CreateRequestToken(t.Context())
	require.NoError(t, err)
	require.NoError(t, srv.TMDb.Deny(tok.Token))
	_, err = c.TMDb.CreateSession(t.Context(), *tok)
	require.ErrorIs(t, err, mediaauth.ErrSessionDenied)
	require.ErrorIs(t, err, mediaauth.ErrUnauthorized)
	assert.Equal(t, 17, tmdbCode(t, err))
}

// TestTMDbLoginFlow checks LoginSession and validate_with_login against the
// fake's accounts.
func TestTMDbLoginFlow(t *testing.T) {
	t.Parallel()
	srv, c := startFake(t)
	ctx := t.Context()
	require.NoError(t, srv.TMDb.AddUser(mediaauthtest.TMDbUser{Username: "unverified", Password: "secret-pw", Unverified: true}))
	require.NoError(t, srv.TMDb.AddUser(mediaauthtest.TMDbUser{Username: "alice", Password: "alice-pw"}))

	sess, err := c.TMDb.LoginSession(ctx, mediaauthtest.DemoTMDbUsername, mediaauthtest.DemoTMDbPassword)
	require.NoError(t, err)
	assert.True(t, srv.TMDb.SessionValid(sess.ID))

	sess2, err := c.TMDb.LoginSession(ctx, "alice", "alice-pw")
	require.NoError(t, err)
	assert.NotEqual(t, sess.ID, sess2.ID)

	tests := []struct {
		name, user, pass string
		want             error
		code             int
	}{
		{"wrong password", "alice", "wrong", mediaauth.ErrInvalidCredentials, 30},
		{"unknown user", "nobody", "wrong", mediaauth.ErrInvalidCredentials, 30},
		{"unverified email", "unverified", "secret-pw", mediaauth.ErrEmailNotVerified, 32},
	}
	for _, tt := range tests {
		_, err := c.TMDb.LoginSession(ctx, tt.user, tt.pass)
		require.ErrorIs(t, err, tt.want, tt.name)
		require.ErrorIs(t, err, mediaauth.ErrUnauthorized, tt.name)
		assert.Equal(t, tt.code, tmdbCode(t, err), tt.name)
		assert.NotContains(t, err.Error(), tt.pass, tt.name)
	}

	// validate_with_login returns the same token, approved.
	tok, err := c.TMDb.CreateRequestToken(ctx)
	require.NoError(t, err)
	approved, err := c.TMDb.ValidateRequestTokenWithLogin(ctx, "alice", "alice-pw", *tok)
	require.NoError(t, err)
	assert.Equal(t, tok, approved)

	// An unknown token is refused before the password is looked at.
	_, err = c.TMDb.ValidateRequestTokenWithLogin(ctx, "alice", "alice-pw", mediaauth.RequestToken{Token: "not-a-token"})
	require.ErrorIs(t, err, mediaauth.ErrInvalidRequestToken)
}

// TestTMDbExpiredToken checks that a request token stops working after its
// 60 minutes (server clock), whatever it is used for.
func TestTMDbExpiredToken(t *testing.T) {
	t.Parallel()
	clock := mediaauthtest.NewClock(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	srv, c := startFake(t, mediaauthtest.WithClock(clock.Now))
	ctx := t.Context()

	tok, err := c.TMDb.CreateRequestToken(ctx)
	require.NoError(t, err)
	assert.Equal(t, clock.Now().Add(60*time.Minute), tok.ExpiresAt)
	assert.False(t, tok.Expired(clock.Now()))

	approved, err := c.TMDb.CreateRequestToken(ctx)
	require.NoError(t, err)
	require.NoError(t, srv.TMDb.Approve(approved.Token))

	clock.Advance(60 * time.Minute)
	assert.True(t, tok.Expired(clock.Now()))

	_, err = c.TMDb.ValidateRequestTokenWithLogin(ctx, mediaauthtest.DemoTMDbUsername, mediaauthtest.DemoTMDbPassword, *tok)
	require.ErrorIs(t, err, mediaauth.ErrInvalidRequestToken)
	_, err = c.TMDb.CreateSession(ctx, *approved)
	require.ErrorIs(t, err, mediaauth.ErrInvalidRequestToken, "approved but expired")
	assert.Equal(t, 33, tmdbCode(t, err))
	require.Error(t, srv.TMDb.Approve(tok.Token))
}

// TestTMDbShortTokenTTL checks WithTMDbTokenTTL: with the real clock a
// token expires a TTL from now; on a fake clock it is accepted up to its
// expiry and refused from then on, without waiting for a real second.
func TestTMDbShortTokenTTL(t *testing.T) {
	t.Parallel()
	_, c := startFake(t, mediaauthtest.WithTMDbTokenTTL(time.Second), mediaauthtest.WithTMDbAutoApprove())
	tok, err := c.TMDb.CreateRequestToken(t.Context())
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(time.Second), tok.ExpiresAt, 2*time.Second)

	const ttl = 90 * time.Second
	clock := mediaauthtest.NewClock(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	srv, c := startFake(t, mediaauthtest.WithClock(clock.Now), mediaauthtest.WithTMDbTokenTTL(ttl), mediaauthtest.WithTMDbAutoApprove())
	ctx := t.Context()
	early, err := c.TMDb.CreateRequestToken(ctx)
	require.NoError(t, err)
	late, err := c.TMDb.CreateRequestToken(ctx)
	require.NoError(t, err)
	assert.Equal(t, clock.Now().Add(ttl), early.ExpiresAt)

	clock.Advance(ttl - time.Second)
	sess, err := c.TMDb.CreateSession(ctx, *early)
	require.NoError(t, err, "a second before its expiry the token still works")
	assert.True(t, srv.TMDb.SessionValid(sess.ID))

	clock.Advance(time.Second)
	assert.True(t, late.Expired(clock.Now()))
	_, err = c.TMDb.CreateSession(ctx, *late)
	require.ErrorIs(t, err, mediaauth.ErrInvalidRequestToken)
	assert.Equal(t, 33, tmdbCode(t, err))
}

// TestTMDbGuestSessionExpiry checks guest sessions and their expiry by the
// server's clock.
func TestTMDbGuestSessionExpiry(t *testing.T) {
	t.Parallel()
	clock := mediaauthtest.NewClock(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	srv, c := startFake(t, mediaauthtest.WithClock(clock.Now), mediaauthtest.WithTMDbGuestTTL(2*time.Hour))

	g, err := c.TMDb.CreateGuestSession(t.Context())
	require.NoError(t, err)
	require.NotEmpty(t, g.ID)
	assert.Equal(t, clock.Now().Add(2*time.Hour), g.ExpiresAt)
	assert.True(t, srv.TMDb.GuestSessionValid(g.ID))
	assert.False(t, g.Expired(clock.Now()))

	other, err := c.TMDb.CreateGuestSession(t.Context())
	require.NoError(t, err)
	assert.NotEqual(t, g.ID, other.ID)

	clock.Advance(2*time.Hour - time.Second)
	assert.True(t, srv.TMDb.GuestSessionValid(g.ID))
	clock.Advance(time.Second)
	assert.False(t, srv.TMDb.GuestSessionValid(g.ID))
	assert.True(t, g.Expired(clock.Now()))
	assert.False(t, srv.TMDb.GuestSessionValid("unknown"))
}

// TestTMDbCredentials checks both ways to authenticate against the fake, and
// that wrong or suspended credentials are ErrInvalidAPIKey.
func TestTMDbCredentials(t *testing.T) {
	t.Parallel()
	srv, c := startFake(t)
	ctx := t.Context()

	byKey := c
	byToken := c.Without(mediaauth.APITMDb).With(mediaauth.TMDbReadAccessToken(mediaauthtest.DemoTMDbReadAccessToken))
	// Bearer wins: the wrong key is not even sent.
	tokenAndBadKey := c.With(mediaauth.TMDbAPIKey("wrong-key")).With(mediaauth.TMDbReadAccessToken(mediaauthtest.DemoTMDbReadAccessToken))
	for name, cl := range map[string]*mediaauth.Client{"api key": byKey, "access token": byToken, "both": tokenAndBadKey} {
		require.NoError(t, cl.TMDb.Validate(ctx), name)
		sess, err := cl.TMDb.LoginSession(ctx, mediaauthtest.DemoTMDbUsername, mediaauthtest.DemoTMDbPassword)
		require.NoError(t, err, name)
		assert.True(t, srv.TMDb.SessionValid(sess.ID), name)
		require.NoError(t, cl.TMDb.With(*sess).DeleteSession(ctx), name)
		assert.False(t, srv.TMDb.SessionValid(sess.ID), "%s: deleted", name)
		g, err := cl.TMDb.CreateGuestSession(ctx)
		require.NoError(t, err, name)
		assert.True(t, srv.TMDb.GuestSessionValid(g.ID), name)
	}
	// Six requests per client (validate, token, login, session, delete,
	// guest): the key's went without Authorization, the other two's with
	// the read access token.
	bearers, bare := 0, 0
	for _, r := range srv.Requests() {
		if r.Header.Get("Authorization") != "" {
			bearers++
			assert.Equal(t, "Bearer "+mediaauthtest.DemoTMDbReadAccessToken, r.Header.Get("Authorization"))
		} else {
			bare++
		}
	}
	assert.Equal(t, 12, bearers)
	assert.Equal(t, 6, bare)

	srv.TMDb.AddAPIKey("second-key")
	srv.TMDb.AddReadAccessToken("second-token")
	require.NoError(t, c.With(mediaauth.TMDbAPIKey("second-key")).TMDb.Validate(ctx))
	require.NoError(t, c.With(mediaauth.TMDbReadAccessToken("second-token")).TMDb.Validate(ctx))

	bad := map[string]*mediaauth.Client{
		"wrong key":   c.With(mediaauth.TMDbAPIKey("wrong-key")),
		"wrong token": c.With(mediaauth.TMDbReadAccessToken("wrong-token")),
	}
	for name, cl := range bad {
		err := cl.TMDb.Validate(ctx)
		require.ErrorIs(t, err, mediaauth.ErrInvalidAPIKey, name)
		require.ErrorIs(t, err, mediaauth.ErrUnauthorized, name)
		assert.Equal(t, 7, tmdbCode(t, err), name)
		_, err = cl.TMDb.CreateRequestToken(ctx)
		require.ErrorIs(t, err, mediaauth.ErrInvalidAPIKey, name)
		_, err = cl.TMDb.CreateSession(ctx, mediaauth.RequestToken{Token: "any"})
		require.ErrorIs(t, err, mediaauth.ErrInvalidAPIKey, name)
	}

	require.True(t, srv.TMDb.SuspendAPIKey("second-key"))
	err := c.With(mediaauth.TMDbAPIKey("second-key")).TMDb.Validate(ctx)
	require.ErrorIs(t, err, mediaauth.ErrInvalidAPIKey)
	assert.Equal(t, 10, tmdbCode(t, err))
	assert.False(t, srv.TMDb.SuspendAPIKey("never-added"))

	before := len(srv.Requests())
	_, err = c.Without(mediaauth.APITMDb).TMDb.CreateRequestToken(ctx)
	require.ErrorIs(t, err, mediaauth.ErrMissingCredentials)
	// An empty key does not drop the key: it is an invalid argument.
	_, err = c.With(mediaauth.TMDbAPIKey("")).TMDb.CreateRequestToken(ctx)
	require.ErrorIs(t, err, mediaauth.ErrInvalidArgument)
	assert.Len(t, srv.Requests(), before, "nothing sent without valid credentials")
}

// TestTMDbConvertV4 checks CreateSessionFromV4Token.
func TestTMDbConvertV4(t *testing.T) {
	t.Parallel()
	srv, c := startFake(t)
	ctx := t.Context()

	sess, err := c.TMDb.CreateSessionFromV4Token(ctx, mediaauth.TMDbAccessToken{AccessToken: mediaauthtest.DemoTMDbAccessToken})
	require.NoError(t, err)
	assert.True(t, srv.TMDb.SessionValid(sess.ID))

	srv.TMDb.AddAccessToken("v4-for-alice", "alice")
	sess2, err := c.TMDb.CreateSessionFromV4Token(ctx, mediaauth.TMDbAccessToken{AccessToken: "v4-for-alice"})
	require.NoError(t, err)
	assert.NotEqual(t, sess.ID, sess2.ID)
	assert.True(t, srv.TMDb.SessionValid(sess2.ID))
	require.NoError(t, c.TMDb.With(*sess2).DeleteSession(ctx))
	assert.False(t, srv.TMDb.SessionValid(sess2.ID))
	assert.True(t, srv.TMDb.SessionValid(sess.ID), "only that session is deleted")

	_, err = c.TMDb.CreateSessionFromV4Token(ctx, mediaauth.TMDbAccessToken{AccessToken: "unknown-v4"})
	require.ErrorIs(t, err, mediaauth.ErrUnauthorized)
	assert.Equal(t, 35, tmdbCode(t, err))
}

// TestTMDbRateLimitedByServer checks that TMDb's 429 (code 25) is retried
// for GETs and POSTs, and returned typed once the retries are spent.
func TestTMDbRateLimitedByServer(t *testing.T) {
	t.Parallel()
	srv, c := startFake(t, mediaauthtest.WithTMDbAutoApprove())
	ctx := t.Context()

	srv.InjectFault("/3/authentication/token/new", tmdbRateLimited(1))
	tok, err := c.TMDb.CreateRequestToken(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, srv.RequestCount(http.MethodGet, "/3/authentication/token/new"))

	srv.InjectFault("/3/authentication/session/new", tmdbRateLimited(2))
	sess, err := c.TMDb.CreateSession(ctx, *tok)
	require.NoError(t, err)
	assert.Equal(t, 3, srv.RequestCount(http.MethodPost, "/3/authentication/session/new"))

	srv.InjectFault("/3/authentication/session", tmdbRateLimited(-1))
	err = c.TMDb.With(*sess).DeleteSession(ctx)
	require.ErrorIs(t, err, mediaauth.ErrRateLimited)
	assert.Equal(t, 25, tmdbCode(t, err))
	assert.Equal(t, 1+mediaauth.DefaultMaxRetries, srv.RequestCount(http.MethodDelete, "/3/authentication/session"))
	srv.ClearFaults()
	require.NoError(t, c.TMDb.With(*sess).DeleteSession(ctx), "the rate-limited deletes did not act")
}

// TestTMDbUnsafePOSTNotRetried checks that a POST whose answer was lost
// (the server acted) is not sent again: the token is still usable once.
func TestTMDbUnsafePOSTNotRetried(t *testing.T) {
	t.Parallel()
	srv, c := startFake(t, mediaauthtest.WithTMDbAutoApprove())
	ctx := t.Context()
	tok, err := c.TMDb.CreateRequestToken(ctx)
	require.NoError(t, err)

	srv.InjectFault("/3/authentication/session/new", mediaauthtest.Fault{Drop: true, PassThrough: true})
	_, err = c.TMDb.CreateSession(ctx, *tok)
	// A retry would have met the used token and answered 33 instead.
	require.ErrorIs(t, err, mediaauth.ErrNetwork)
	assert.NotContains(t, err.Error(), mediaauthtest.DemoTMDbAPIKey)
	// The server acted: the token is used up.
	_, err = c.TMDb.CreateSession(ctx, *tok)
	require.ErrorIs(t, err, mediaauth.ErrInvalidRequestToken)
	// The server records a dropped request once its handler has returned.
	assert.Eventually(t, func() bool {
		return srv.RequestCount(http.MethodPost, "/3/authentication/session/new") == 2
	}, 2*time.Second, 5*time.Millisecond)
}

// TestTMDbConcurrentLogins runs logins in parallel on one client.
func TestTMDbConcurrentLogins(t *testing.T) {
	t.Parallel()
	srv, c := startFake(t)
	const n = 8
	ids := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sess, err := c.TMDb.LoginSession(t.Context(), mediaauthtest.DemoTMDbUsername, mediaauthtest.DemoTMDbPassword)
			if assert.NoError(t, err) {
				ids <- sess.ID
			}
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		assert.False(t, seen[id], "session ids are unique")
		seen[id] = true
		assert.True(t, srv.TMDb.SessionValid(id))
	}
	assert.Len(t, seen, n)
}
