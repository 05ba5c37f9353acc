package mediaauth_test

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// v4Fake starts a fake with opts and returns it with a client that has the
// fake's API key and read access token.
func v4Fake(t *testing.T, opts ...mediaauthtest.Option) (*mediaauthtest.Server, *mediaauth.Client) {
	t.Helper()
	srv, c := startFake(t, opts...)
	return srv, c.With(mediaauth.TMDbReadAccessToken(mediaauthtest.DemoTMDbReadAccessToken))
}

// v4Account is the part of TMDb's Account the tests read.
type v4Account struct {
	ID       int    `json:"id"`
	Username string `json:"username"`
}

// v4ReadAccount reads /3/account with c's credentials.
func v4ReadAccount(ctx context.Context, c *mediaauth.Client) (v4Account, error) {
	var acct v4Account
	err := c.TMDb.Do(ctx, http.MethodGet, "/3/account", nil, &acct)
	return acct, err
}

// v4TokenOf returns the request token an approval URL holds.
func v4TokenOf(t *testing.T, approvalURL string) string {
	t.Helper()
	u, err := url.Parse(approvalURL)
	require.NoError(t, err)
	tok := u.Query().Get("request_token")
	require.NotEmpty(t, tok)
	return tok
}

// TestTMDbV4Flow runs the v4 flow step by step against the fake: request
// token, approval, access token (single use), the token as a credential,
// a v3 session from it, logout, and what the logged out token still does.
func TestTMDbV4Flow(t *testing.T) {
	t.Parallel()
	srv, c := v4Fake(t)
	ctx := t.Context()

	rt, err := c.TMDb.CreateV4RequestToken(ctx, "http://localhost:8080/done")
	require.NoError(t, err)
	require.NotEmpty(t, rt.Token)
	assert.WithinDuration(t, time.Now().Add(15*time.Minute), rt.ExpiresAt, time.Minute)
	assert.Equal(t, srv.TMDb.SiteURL()+"/auth/access?request_token="+rt.Token, c.TMDb.V4ApprovalURL(*rt))

	// Not approved yet: keep waiting.
	_, err = c.TMDb.CreateV4AccessToken(ctx, *rt)
	require.ErrorIs(t, err, mediaauth.ErrRequestTokenNotApproved)
	require.ErrorIs(t, err, mediaauth.ErrUnprocessable)
	assert.Equal(t, 41, tmdbCode(t, err))

	require.NoError(t, srv.TMDb.Approve(rt.Token))
	tok, err := c.TMDb.CreateV4AccessToken(ctx, *rt)
	require.NoError(t, err)
	require.NotEmpty(t, tok.AccessToken)
	assert.Equal(t, mediaauthtest.DemoTMDbV4AccountID, tok.AccountID)
	assert.True(t, srv.TMDb.AccessTokenValid(tok.AccessToken))

	// The request token was used up.
	_, err = c.TMDb.CreateV4AccessToken(ctx, *rt)
	require.ErrorIs(t, err, mediaauth.ErrInvalidRequestToken)
	assert.Equal(t, 33, tmdbCode(t, err))

	// The access token is the user's credential, through Do and HTTPClient.
	user := c.With(tok)
	acct, err := v4ReadAccount(ctx, user)
	require.NoError(t, err)
	assert.Equal(t, v4Account{ID: mediaauthtest.DemoTMDbAccountID, Username: mediaauthtest.DemoTMDbUsername}, acct)
	resp := v4Get(t, user, srv.TMDb.URL()+"/3/account")
	require.NoError(t, mediaauth.CheckResponse(mediaauth.APITMDb, resp))
	reqs := srv.Requests()
	last := reqs[len(reqs)-1]
	assert.Equal(t, "Bearer "+tok.AccessToken, last.Header.Get("Authorization"), "the user's token, not the read token")

	// A v3 session from it.
	sess, err := c.TMDb.CreateSessionFromV4Token(ctx, *tok)
	require.NoError(t, err)
	acct, err = v4ReadAccount(ctx, c.With(sess))
	require.NoError(t, err)
	assert.Equal(t, mediaauthtest.DemoTMDbUsername, acct.Username)

	// Logout: the token is refused everywhere afterwards.
	require.NoError(t, c.TMDb.With(*tok).DeleteV4AccessToken(ctx))
	assert.False(t, srv.TMDb.AccessTokenValid(tok.AccessToken))
	err = c.TMDb.With(*tok).DeleteV4AccessToken(ctx)
	require.ErrorIs(t, err, mediaauth.ErrInvalidAccessToken)
	require.ErrorIs(t, err, mediaauth.ErrUnauthorized)
	assert.Equal(t, 35, tmdbCode(t, err))
	_, err = c.TMDb.CreateSessionFromV4Token(ctx, *tok)
	require.ErrorIs(t, err, mediaauth.ErrInvalidAccessToken)
	_, err = v4ReadAccount(ctx, user)
	require.ErrorIs(t, err, mediaauth.ErrUnauthorized)
	resp = v4Get(t, user, srv.TMDb.URL()+"/3/account")
	require.ErrorIs(t, mediaauth.CheckResponse(mediaauth.APITMDb, resp), mediaauth.ErrUnauthorized)
	assert.True(t, srv.TMDb.SessionValid(sess.ID), "the session is ended with DeleteSession")
	require.NoError(t, c.TMDb.With(*sess).DeleteSession(ctx))
}

// v4Get sends GET target through c's HTTPClient for TMDb and reads the
// answer's body to the end.
func v4Get(t *testing.T, c *mediaauth.Client, target string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, target, nil)
	require.NoError(t, err)
	resp, err := c.TMDb.HTTPClient().Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// loginV4 logs in with TMDb's v4 authentication by polling: a request
// token, PollUntilApprovedV4 with opts, and a session from the access
// token.
func loginV4(ctx context.Context, c *mediaauth.Client, opts ...mediaauth.WaitOption) (*mediaauth.TMDbAccessToken, *mediaauth.Session, error) {
	rt, err := c.TMDb.CreateV4RequestToken(ctx, "")
	if err != nil {
		return nil, nil, err
	}
	tok, err := c.TMDb.PollUntilApprovedV4(ctx, *rt, opts...)
	if err != nil {
		return nil, nil, err
	}
	sess, err := c.TMDb.CreateSessionFromV4Token(ctx, *tok)
	return tok, sess, err
}

// opener returns a WaitOption whose opener calls fn with the page.
func opener(fn func(page string) error) mediaauth.WaitOption {
	return mediaauth.WithPageOpener(func(_ context.Context, page string) (bool, error) { return false, fn(page) })
}

// TestTMDbPollUntilApprovedV4 waits for the v4 approval against the fake:
// the user approves while it polls, or the fake approves at once.
func TestTMDbPollUntilApprovedV4(t *testing.T) {
	t.Parallel()
	t.Run("polling", func(t *testing.T) {
		t.Parallel()
		srv, c := v4Fake(t)
		require.NoError(t, srv.TMDb.AddUser(mediaauthtest.TMDbUser{Username: "alice", Password: "alice-Passw0rd"}))
		var approval *time.Timer
		var pending int
		tok, sess, err := loginV4(t.Context(), c, opener(func(page string) error {
			rt := v4TokenOf(t, page)
			approval = time.AfterFunc(60*time.Millisecond, func() { assert.NoError(t, srv.TMDb.ApproveAs(rt, "alice")) })
			return nil
		}), mediaauth.WithPollInterval(10*time.Millisecond), mediaauth.WithWaitObserver(func(ev mediaauth.WaitEvent) {
			if ev.Err != nil {
				assert.ErrorIs(t, ev.Err, mediaauth.ErrRequestTokenNotApproved)
				assert.Equal(t, mediaauth.APITMDb, ev.API)
				assert.Equal(t, 10*time.Millisecond, ev.NextPoll)
				pending++
			}
		}))
		approval.Stop()
		require.NoError(t, err)
		assert.Positive(t, pending)
		assert.Equal(t, pending+1, srv.RequestCount(http.MethodPost, "/4/auth/access_token"))
		acct, err := v4ReadAccount(t.Context(), c.With(sess))
		require.NoError(t, err)
		assert.Equal(t, "alice", acct.Username)
		acct, err = v4ReadAccount(t.Context(), c.With(tok))
		require.NoError(t, err)
		assert.Equal(t, "alice", acct.Username)
		assert.NotEqual(t, mediaauthtest.DemoTMDbV4AccountID, tok.AccountID)
	})
	t.Run("auto-approve", func(t *testing.T) {
		t.Parallel()
		srv, c := v4Fake(t, mediaauthtest.WithTMDbAutoApprove())
		tok, sess, err := loginV4(t.Context(), c, mediaauth.WithPollInterval(time.Millisecond))
		require.NoError(t, err)
		assert.True(t, srv.TMDb.SessionValid(sess.ID))
		assert.Equal(t, mediaauthtest.DemoTMDbV4AccountID, tok.AccountID)
	})
}

// TestTMDbV4Refusals checks the flow's refusals against the fake: a denied
// token, a user who never approves, a token that expired, and the read
// access token missing, wrong or suspended.
func TestTMDbV4Refusals(t *testing.T) {
	t.Parallel()
	t.Run("denied", func(t *testing.T) {
		t.Parallel()
		srv, c := v4Fake(t)
		_, _, err := loginV4(t.Context(), c, opener(func(u string) error { return srv.TMDb.Deny(v4TokenOf(t, u)) }),
			mediaauth.WithPollInterval(time.Millisecond))
		require.ErrorIs(t, err, mediaauth.ErrApprovalDenied)
		require.ErrorIs(t, err, mediaauth.ErrInvalidRequestToken)
		assert.Equal(t, 33, tmdbCode(t, err))
		assert.Equal(t, 1, srv.RequestCount(http.MethodPost, "/4/auth/access_token"), "a denial ends the wait")
	})
	t.Run("never approved", func(t *testing.T) {
		t.Parallel()
		srv, c := v4Fake(t)
		ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, _, err := loginV4(ctx, c, mediaauth.WithPollInterval(10*time.Millisecond))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.NotErrorIs(t, err, mediaauth.ErrRequestTokenNotApproved, "the wait is over: not a reason to keep waiting")
		assert.Contains(t, err.Error(), "last answer")
		assert.Less(t, time.Since(start), 3*time.Second)
		assert.GreaterOrEqual(t, srv.RequestCount(http.MethodPost, "/4/auth/access_token"), 2, "it polled")
	})
	t.Run("expired on the server", func(t *testing.T) {
		t.Parallel()
		clock := mediaauthtest.NewClock(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
		srv, c := v4Fake(t, mediaauthtest.WithClock(clock.Now))
		rt, err := c.TMDb.CreateV4RequestToken(t.Context(), "")
		require.NoError(t, err)
		clock.Advance(15 * time.Minute)
		require.Error(t, srv.TMDb.Approve(rt.Token), "too late to approve")
		_, err = c.TMDb.CreateV4AccessToken(t.Context(), *rt)
		require.ErrorIs(t, err, mediaauth.ErrInvalidRequestToken)

		// The wait meets the same answer when the user takes too long (the
		// client's clock does not move: the server's bound ends it).
		_, _, err = loginV4(t.Context(), c, opener(func(string) error { clock.Advance(16 * time.Minute); return nil }),
			mediaauth.WithPollInterval(time.Millisecond))
		require.ErrorIs(t, err, mediaauth.ErrInvalidRequestToken)
	})
	t.Run("expired by the client's clock", func(t *testing.T) {
		t.Parallel()
		clock := mediaauthtest.NewClock(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
		// The server keeps the token longer, so the client's bound ends it.
		srv, c := v4Fake(t, mediaauthtest.WithClock(clock.Now), mediaauthtest.WithTMDbV4TokenTTL(time.Hour))
		mediaauth.SetClock(c, clock.Now)
		_, _, err := loginV4(t.Context(), c, mediaauth.WithPollInterval(time.Millisecond),
			mediaauth.WithWaitObserver(func(mediaauth.WaitEvent) { clock.Advance(4 * time.Minute) }))
		require.ErrorIs(t, err, mediaauth.ErrRequestTokenNotApproved)
		assert.Contains(t, err.Error(), "expired before the person approved it")
		assert.Equal(t, 4, srv.RequestCount(http.MethodPost, "/4/auth/access_token"), "after 0, 4, 8 and 12 minutes; none past the expiry")
	})
	t.Run("custom TTL", func(t *testing.T) {
		t.Parallel()
		_, c := v4Fake(t, mediaauthtest.WithTMDbV4TokenTTL(30*time.Millisecond))
		rt, err := c.TMDb.CreateV4RequestToken(t.Context(), "")
		require.NoError(t, err)
		time.Sleep(40 * time.Millisecond)
		_, err = c.TMDb.CreateV4AccessToken(t.Context(), *rt)
		require.ErrorIs(t, err, mediaauth.ErrInvalidRequestToken)
	})
	t.Run("read access token", func(t *testing.T) {
		t.Parallel()
		srv, c := startFake(t) // the fake's API key only
		_, err := c.TMDb.CreateV4RequestToken(t.Context(), "")
		require.ErrorIs(t, err, mediaauth.ErrMissingCredentials)
		_, err = c.TMDb.PollUntilApprovedV4(t.Context(), mediaauth.TMDbV4RequestToken{Token: "any"})
		require.ErrorIs(t, err, mediaauth.ErrMissingCredentials)
		assert.Zero(t, srv.RequestCount("", "/4/auth/request_token"), "nothing sent")

		_, err = c.With(mediaauth.TMDbReadAccessToken("not-the-read-token")).TMDb.CreateV4RequestToken(t.Context(), "")
		require.ErrorIs(t, err, mediaauth.ErrInvalidAPIKey)
		assert.Equal(t, 7, tmdbCode(t, err))
		assert.NotContains(t, err.Error(), "not-the-read-token")

		srv.TMDb.AddReadAccessToken("suspended-read-token")
		require.True(t, srv.TMDb.SuspendAPIKey("suspended-read-token"))
		err = c.With(mediaauth.TMDbReadAccessToken("suspended-read-token")).TMDb.With(mediaauth.TMDbAccessToken{AccessToken: "any-token"}).DeleteV4AccessToken(t.Context())
		require.ErrorIs(t, err, mediaauth.ErrInvalidAPIKey)
		assert.Equal(t, 10, tmdbCode(t, err))
	})
}

// TestTMDbV4Resending checks the resend modes against the fake: rate-limit
// answers are waited out, and a lost answer of the single-use exchange is
// not sent again.
func TestTMDbV4Resending(t *testing.T) {
	t.Parallel()
	srv, c := v4Fake(t, mediaauthtest.WithTMDbAutoApprove())
	ctx := t.Context()

	srv.InjectFault("/4/auth/request_token", tmdbRateLimited(1))
	rt, err := c.TMDb.CreateV4RequestToken(ctx, "")
	require.NoError(t, err)
	assert.Equal(t, 2, srv.RequestCount(http.MethodPost, "/4/auth/request_token"))

	srv.InjectFault("/4/auth/access_token", tmdbRateLimited(-1))
	_, err = c.TMDb.CreateV4AccessToken(ctx, *rt)
	require.ErrorIs(t, err, mediaauth.ErrRateLimited)
	assert.Equal(t, 25, tmdbCode(t, err))
	assert.Equal(t, 1+mediaauth.DefaultMaxRetries, srv.RequestCount(http.MethodPost, "/4/auth/access_token"))
	srv.ClearFaults()

	// The answer is lost after the server acted: not sent again.
	srv.InjectFault("/4/auth/access_token", mediaauthtest.Fault{Drop: true, PassThrough: true})
	_, err = c.TMDb.CreateV4AccessToken(ctx, *rt)
	require.ErrorIs(t, err, mediaauth.ErrNetwork)
	assert.NotContains(t, err.Error(), rt.Token)
	_, err = c.TMDb.CreateV4AccessToken(ctx, *rt)
	require.ErrorIs(t, err, mediaauth.ErrInvalidRequestToken, "the token was used by the lost exchange")
	assert.Eventually(t, func() bool {
		return srv.RequestCount(http.MethodPost, "/4/auth/access_token") == 1+mediaauth.DefaultMaxRetries+2
	}, 2*time.Second, 5*time.Millisecond)

	// A logout whose answer is lost is sent again; the second answer says
	// the token is gone.
	tok, _, err := loginV4(ctx, c, mediaauth.WithPollInterval(time.Millisecond))
	require.NoError(t, err)
	srv.InjectFault("/4/auth/access_token", mediaauthtest.Fault{Method: http.MethodDelete, Drop: true, PassThrough: true})
	err = c.TMDb.With(*tok).DeleteV4AccessToken(ctx)
	require.ErrorIs(t, err, mediaauth.ErrInvalidAccessToken)
	assert.False(t, srv.TMDb.AccessTokenValid(tok.AccessToken))
}

// TestTMDbV4ConcurrentLogins runs v4 logins in parallel on one client.
func TestTMDbV4ConcurrentLogins(t *testing.T) {
	t.Parallel()
	srv, c := v4Fake(t, mediaauthtest.WithTMDbAutoApprove())
	const n = 6
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, sess, err := loginV4(t.Context(), c, mediaauth.WithPollInterval(time.Millisecond))
			if !assert.NoError(t, err) {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			assert.False(t, seen[tok.AccessToken])
			seen[tok.AccessToken] = true
			assert.True(t, srv.TMDb.SessionValid(sess.ID))
		}()
	}
	wg.Wait()
	assert.Len(t, seen, n)
}
