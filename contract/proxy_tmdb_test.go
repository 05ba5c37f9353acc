package contract_test

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// tmdbFlow: key checks, request token, approval with login, sessions
// (approved, denied, used), v4 conversion, guest sessions, LoginSession.
func tmdbFlow(f flow) {
	t, c, srv := f.t, f.c, f.srv
	wrongKey := c.With(mediaauth.TMDbAPIKey("wrong-tmdb-key"))
	bearer := c.With(mediaauth.TMDbReadAccessToken(mediaauthtest.DemoTMDbReadAccessToken))

	f.step("validateKey", 200, nil, c.TMDb.Validate)
	f.step("validateKey", 200, nil, bearer.TMDb.Validate)
	f.step("validateKey", 401, mediaauth.ErrInvalidAPIKey, wrongKey.TMDb.Validate)

	var tok *mediaauth.RequestToken
	newToken := func(ctx context.Context) error {
		var err error
		tok, err = c.TMDb.CreateRequestToken(ctx)
		return errorIfEmpty(err, tok != nil && tok.Token != "" && !tok.ExpiresAt.IsZero())
	}
	var session *mediaauth.Session
	newSession := func(ctx context.Context) error {
		s, err := c.TMDb.CreateSession(ctx, *tok)
		if s != nil {
			session = s
		}
		return errorIfEmpty(err, s != nil && s.ID != "")
	}
	login := func(password string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			approved, err := c.TMDb.ValidateRequestTokenWithLogin(ctx, mediaauthtest.DemoTMDbUsername, password, *tok)
			return errorIfEmpty(err, approved != nil && approved.Token == tok.Token)
		}
	}

	f.step("createRequestToken", 401, mediaauth.ErrInvalidAPIKey, func(ctx context.Context) error {
		_, err := wrongKey.TMDb.CreateRequestToken(ctx)
		return err
	})
	f.step("createRequestToken", 200, nil, newToken)
	f.step("createSession", 422, mediaauth.ErrRequestTokenNotApproved, newSession)
	f.step("validateRequestTokenWithLogin", 401, mediaauth.ErrInvalidCredentials, login("wrong-password"))
	f.step("validateRequestTokenWithLogin", 200, nil, login(mediaauthtest.DemoTMDbPassword))
	f.step("createSession", 200, nil, newSession)
	f.step("createSession", 401, mediaauth.ErrInvalidRequestToken, newSession)
	f.step("validateRequestTokenWithLogin", 401, mediaauth.ErrInvalidRequestToken, login(mediaauthtest.DemoTMDbPassword))
	f.step("deleteSession", 200, nil, func(ctx context.Context) error { return c.TMDb.With(*session).DeleteSession(ctx) })
	f.step("deleteSession", 404, mediaauth.ErrNotFound, func(ctx context.Context) error { return c.TMDb.With(*session).DeleteSession(ctx) })
	f.step("deleteSession", 401, mediaauth.ErrInvalidAPIKey, func(ctx context.Context) error {
		return wrongKey.TMDb.With(mediaauth.Session{ID: "any-session"}).DeleteSession(ctx)
	})

	// A token the user denied.
	f.step("createRequestToken", 200, nil, newToken)
	require.NoError(t, srv.TMDb.Deny(tok.Token))
	f.step("createSession", 401, mediaauth.ErrSessionDenied, newSession)

	f.step("createSessionFromV4Token", 200, nil, func(ctx context.Context) error {
		s, err := c.TMDb.CreateSessionFromV4Token(ctx, mediaauth.TMDbAccessToken{AccessToken: mediaauthtest.DemoTMDbAccessToken})
		return errorIfEmpty(err, s != nil && s.ID != "")
	})
	f.step("createSessionFromV4Token", 401, nil, func(ctx context.Context) error {
		_, err := c.TMDb.CreateSessionFromV4Token(ctx, mediaauth.TMDbAccessToken{AccessToken: "unknown-v4-token"})
		return err
	})

	f.step("createGuestSession", 200, nil, func(ctx context.Context) error {
		g, err := bearer.TMDb.CreateGuestSession(ctx)
		return errorIfEmpty(err, g != nil && g.ID != "" && !g.ExpiresAt.IsZero())
	})
	f.step("createGuestSession", 401, mediaauth.ErrInvalidAPIKey, func(ctx context.Context) error {
		_, err := wrongKey.TMDb.CreateGuestSession(ctx)
		return err
	})

	statuses, err := contractCall(t, nil, 0, func(ctx context.Context) error {
		s, err := c.TMDb.LoginSession(ctx, mediaauthtest.DemoTMDbUsername, mediaauthtest.DemoTMDbPassword)
		return errorIfEmpty(err, s != nil && s.ID != "")
	})
	assert.NoError(t, err)
	assert.Equal(t, []int{200, 200, 200}, statuses)
}

// tmdbAccountFlow: the account of a session, read through the open
// pipeline (Client.Do and Client.HTTPClient): with a session, a v4 access
// token, an unknown session, someone else's account id, and a rate limit.
func tmdbAccountFlow(f flow) {
	t, c, srv := f.t, f.c, f.srv
	// The session is made on the fake directly: this flow is about the
	// account calls.
	direct, err := srv.Client()
	require.NoError(t, err)
	session, err := direct.TMDb.LoginSession(t.Context(), mediaauthtest.DemoTMDbUsername, mediaauthtest.DemoTMDbPassword)
	require.NoError(t, err)
	user := c.With(*session)
	unknown := c.With(mediaauth.Session{ID: "unknown-session-id"})
	const me = mediaauthtest.DemoTMDbAccountID

	ofSession := func(cl *mediaauth.Client) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			acct, err := accountOfSession(ctx, cl)
			if err == nil {
				assert.Equal(t, tmdbAccount{ID: me, Username: mediaauthtest.DemoTMDbUsername}, *acct)
			}
			return err
		}
	}
	details := func(cl *mediaauth.Client, id int) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			acct, err := accountDetails(ctx, cl, id)
			if err == nil {
				assert.Equal(t, tmdbAccount{ID: me, Username: mediaauthtest.DemoTMDbUsername}, *acct)
			}
			return err
		}
	}

	f.step("accountOfSession", 200, nil, ofSession(user))
	f.step("accountOfSession", 401, mediaauth.ErrUnauthorized, ofSession(unknown))
	f.step("accountDetails", 200, nil, details(user, me))
	// A user's v4 access token stands for the session.
	v4 := c.Without(mediaauth.APITMDb).With(mediaauth.TMDbAccessToken{AccessToken: mediaauthtest.DemoTMDbAccessToken})
	f.step("accountDetails", 200, nil, details(v4, me))
	f.step("accountDetails", 404, mediaauth.ErrNotFound, details(user, me+1))
	f.step("accountDetails", 401, mediaauth.ErrUnauthorized, details(unknown, me))

	// TMDb's rate limit, with its Retry-After, injected into the fake
	// while no other flow calls these paths.
	f.accountFaults.Lock()
	defer f.accountFaults.Unlock()
	for _, tc := range []struct {
		op, path string
		call     func(ctx context.Context) error
	}{
		{"accountOfSession", "/3/account", ofSession(user)},
		{"accountDetails", "/3/account/" + strconv.Itoa(me), details(user, me)},
	} {
		fault := mediaauthtest.TMDbFault(25)
		fault.Header.Set("Retry-After", "1")
		srv.InjectFault(tc.path, fault)
		f.step(tc.op, 429, mediaauth.ErrRateLimited, tc.call)
	}

	// A deleted session is unknown.
	require.NoError(t, direct.TMDb.With(*session).DeleteSession(t.Context()))
	f.step("accountOfSession", 401, mediaauth.ErrUnauthorized, ofSession(user))
}

// tmdbV4Flow: TMDb's v4 user authentication with the application's read
// access token: a request token, its exchange refused until the user
// approves it, the user's access token turned into a v3 session and used
// for the account, its logout and the refusals after it; a denied token,
// the rate limit, and a v4 login across the v4 and v3 proxies. The fake's
// clock is shared with the other flows, so expiry is left to
// TestContractFakeTMDbV4.
func tmdbV4Flow(f flow) {
	t, srv := f.t, f.srv
	// It reads the account of its session: not while the account flow
	// injects faults there.
	f.accountFaults.Lock()
	defer f.accountFaults.Unlock()
	read := mediaauth.TMDbReadAccessToken(mediaauthtest.DemoTMDbReadAccessToken)
	app := f.c.With(read)
	wrongApp := f.c.With(mediaauth.TMDbReadAccessToken("wrong-read-access-token"))
	// The v3 calls go to the proxies of their own contracts.
	v3 := f.tmdb

	var rt *mediaauth.TMDbV4RequestToken
	newToken := func(cl *mediaauth.Client, redirectTo string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			r, err := cl.TMDb.CreateV4RequestToken(ctx, redirectTo)
			if r != nil {
				rt = r
			}
			return errorIfEmpty(err, r != nil && r.Token != "" && !r.ExpiresAt.IsZero())
		}
	}
	var user *mediaauth.TMDbAccessToken
	exchange := func(cl *mediaauth.Client) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			a, err := cl.TMDb.CreateV4AccessToken(ctx, *rt)
			if a != nil {
				user = a
			}
			return errorIfEmpty(err, a != nil && a.AccessToken != "" && a.AccountID == mediaauthtest.DemoTMDbV4AccountID)
		}
	}
	logout := func(cl *mediaauth.Client) func(ctx context.Context) error {
		return func(ctx context.Context) error { return cl.TMDb.With(*user).DeleteV4AccessToken(ctx) }
	}
	var session *mediaauth.Session
	convert := func(ctx context.Context) error {
		s, err := v3.TMDb.CreateSessionFromV4Token(ctx, *user)
		if s != nil {
			session = s
		}
		return errorIfEmpty(err, s != nil && s.ID != "")
	}
	demo := tmdbAccount{ID: mediaauthtest.DemoTMDbAccountID, Username: mediaauthtest.DemoTMDbUsername}
	ofSession := func(ctx context.Context) error {
		acct, err := accountOfSession(ctx, v3.With(*session))
		if err == nil {
			assert.Equal(t, demo, *acct)
		}
		return err
	}
	// The user's access token as the Bearer token, without the API key.
	withToken := func(ctx context.Context) error {
		acct, err := accountDetails(ctx, v3.Without(mediaauth.APITMDb).With(*user), demo.ID)
		if err == nil {
			assert.Equal(t, demo, *acct)
		}
		return err
	}

	f.step("createV4RequestToken", 401, mediaauth.ErrInvalidAPIKey, newToken(wrongApp, ""))
	f.step("createV4RequestToken", 200, nil, newToken(app, ""))
	f.step("createV4AccessToken", 422, mediaauth.ErrRequestTokenNotApproved, exchange(app))
	f.step("createV4AccessToken", 401, mediaauth.ErrInvalidAPIKey, exchange(wrongApp))
	f.step("createV4AccessToken", 422, mediaauth.ErrRequestTokenNotApproved, exchange(app))
	require.NoError(t, srv.TMDb.Approve(rt.Token))
	f.step("createV4AccessToken", 200, nil, exchange(app))
	f.step("createV4AccessToken", 401, mediaauth.ErrInvalidRequestToken, exchange(app))
	f.step("createSessionFromV4Token", 200, nil, convert)
	f.step("accountOfSession", 200, nil, ofSession)
	f.step("accountDetails", 200, nil, withToken)

	f.step("deleteV4AccessToken", 401, mediaauth.ErrInvalidAPIKey, logout(wrongApp))
	f.step("deleteV4AccessToken", 200, nil, logout(app))
	assert.False(t, srv.TMDb.AccessTokenValid(user.AccessToken), "access token still valid after the logout")
	f.step("deleteV4AccessToken", 401, mediaauth.ErrInvalidAccessToken, logout(app))
	f.step("createSessionFromV4Token", 401, mediaauth.ErrInvalidAccessToken, convert)
	f.step("accountDetails", 401, mediaauth.ErrUnauthorized, withToken)
	f.step("createV4AccessToken", 401, mediaauth.ErrInvalidRequestToken, exchange(app))

	// A token the user denied, asked for with a redirect.
	f.step("createV4RequestToken", 200, nil, newToken(app, "https://app.example.com/tmdb/approved"))
	require.NoError(t, srv.TMDb.Deny(rt.Token))
	f.step("createV4AccessToken", 401, mediaauth.ErrInvalidRequestToken, exchange(app))

	// The v4 login across the proxies: the user approves after the first
	// exchange was refused; the opener gets the pending token's page.
	var rt4 *mediaauth.TMDbV4RequestToken
	var events []mediaauth.WaitEvent
	statuses, err := contractCall(t, nil, 0, func(ctx context.Context) error {
		var err error
		if rt4, err = v3.With(read).TMDb.CreateV4RequestToken(ctx, ""); err != nil {
			return err
		}
		user, err = v3.With(read).TMDb.PollUntilApprovedV4(ctx, *rt4, mediaauth.WithPollInterval(time.Millisecond),
			mediaauth.WithPageOpener(func(_ context.Context, page string) (bool, error) {
				assert.Equal(t, rt4.ApprovalURL, page)
				return false, nil
			}),
			mediaauth.WithWaitObserver(func(ev mediaauth.WaitEvent) {
				if events = append(events, ev); ev.Attempt == 1 {
					assert.NoError(t, srv.TMDb.Approve(rt4.Token))
				}
			}))
		if err != nil {
			return err
		}
		session, err = v3.With(read).TMDb.CreateSessionFromV4Token(ctx, *user)
		return errorIfEmpty(err, user.AccountID == mediaauthtest.DemoTMDbV4AccountID && session != nil && session.ID != "")
	})
	require.NoError(t, err)
	assert.Equal(t, []int{200, 422, 200, 200}, statuses)
	require.Len(t, events, 2)
	assert.ErrorIs(t, events[0].Err, mediaauth.ErrRequestTokenNotApproved)
	assert.True(t, srv.TMDb.SessionValid(session.ID), "the v4 login's session unknown to the fake")
	f.step("accountOfSession", 200, nil, ofSession)
	f.step("deleteV4AccessToken", 200, nil, logout(app))

	// TMDb's rate limit, with its Retry-After, injected into the fake.
	for _, tc := range []struct {
		op, method, path string
		call             func(ctx context.Context) error
	}{
		{"createV4RequestToken", http.MethodPost, "/4/auth/request_token", newToken(app, "")},
		{"createV4AccessToken", http.MethodPost, "/4/auth/access_token", exchange(app)},
		{"deleteV4AccessToken", http.MethodDelete, "/4/auth/access_token", logout(app)},
	} {
		fault := mediaauthtest.TMDbFault(25)
		fault.Method = tc.method
		fault.Header.Set("Retry-After", "1")
		srv.InjectFault(tc.path, fault)
		f.step(tc.op, 429, mediaauth.ErrRateLimited, tc.call)
	}
}
