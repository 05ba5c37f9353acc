package contract_test

import (
	"context"
	"strconv"

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
	bearer := c.With(mediaauth.TMDbReadAccessToken(mediaauthtest.DefaultTMDbAccessToken))

	f.step("validateKey", 200, nil, c.ValidateTMDbCredentials)
	f.step("validateKey", 200, nil, bearer.ValidateTMDbCredentials)
	f.step("validateKey", 401, mediaauth.ErrInvalidAPIKey, wrongKey.ValidateTMDbCredentials)

	var tok *mediaauth.RequestToken
	newToken := func(ctx context.Context) error {
		var err error
		tok, err = c.CreateRequestToken(ctx)
		return errorIfEmpty(err, tok != nil && tok.Token != "" && !tok.ExpiresAt.IsZero())
	}
	var session *mediaauth.Session
	newSession := func(ctx context.Context) error {
		s, err := c.CreateSession(ctx, tok.Token)
		if s != nil {
			session = s
		}
		return errorIfEmpty(err, s != nil && s.ID != "")
	}
	login := func(password string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			approved, err := c.ValidateRequestTokenWithLogin(ctx, mediaauthtest.DefaultTMDbUsername, password, tok.Token)
			return errorIfEmpty(err, approved != nil && approved.Token == tok.Token)
		}
	}

	f.step("createRequestToken", 401, mediaauth.ErrInvalidAPIKey, func(ctx context.Context) error {
		_, err := wrongKey.CreateRequestToken(ctx)
		return err
	})
	f.step("createRequestToken", 200, nil, newToken)
	f.step("createSession", 422, mediaauth.ErrRequestTokenNotApproved, newSession)
	f.step("validateRequestTokenWithLogin", 401, mediaauth.ErrInvalidCredentials, login("wrong-password"))
	f.step("validateRequestTokenWithLogin", 200, nil, login(mediaauthtest.DefaultTMDbPassword))
	f.step("createSession", 200, nil, newSession)
	f.step("createSession", 401, mediaauth.ErrInvalidRequestToken, newSession)
	f.step("validateRequestTokenWithLogin", 401, mediaauth.ErrInvalidRequestToken, login(mediaauthtest.DefaultTMDbPassword))
	f.step("deleteSession", 200, nil, func(ctx context.Context) error { return c.DeleteSession(ctx, session.ID) })
	f.step("deleteSession", 404, mediaauth.ErrNotFound, func(ctx context.Context) error { return c.DeleteSession(ctx, session.ID) })
	f.step("deleteSession", 401, mediaauth.ErrInvalidAPIKey, func(ctx context.Context) error {
		return wrongKey.DeleteSession(ctx, "any-session")
	})

	// A token the user denied.
	f.step("createRequestToken", 200, nil, newToken)
	require.NoError(t, srv.TMDbDeny(tok.Token))
	f.step("createSession", 401, mediaauth.ErrSessionDenied, newSession)

	f.step("createSessionFromV4Token", 200, nil, func(ctx context.Context) error {
		s, err := c.CreateSessionFromV4Token(ctx, mediaauthtest.DefaultTMDbV4AccessToken)
		return errorIfEmpty(err, s != nil && s.ID != "")
	})
	f.step("createSessionFromV4Token", 401, nil, func(ctx context.Context) error {
		_, err := c.CreateSessionFromV4Token(ctx, "unknown-v4-token")
		return err
	})

	f.step("createGuestSession", 200, nil, func(ctx context.Context) error {
		g, err := bearer.CreateGuestSession(ctx)
		return errorIfEmpty(err, g != nil && g.ID != "" && !g.ExpiresAt.IsZero())
	})
	f.step("createGuestSession", 401, mediaauth.ErrInvalidAPIKey, func(ctx context.Context) error {
		_, err := wrongKey.CreateGuestSession(ctx)
		return err
	})

	statuses, err := contractCall(t, nil, 0, func(ctx context.Context) error {
		s, err := c.LoginSession(ctx, mediaauthtest.DefaultTMDbUsername, mediaauthtest.DefaultTMDbPassword)
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
	session, err := direct.LoginSession(t.Context(), mediaauthtest.DefaultTMDbUsername, mediaauthtest.DefaultTMDbPassword)
	require.NoError(t, err)
	user := c.With(*session)
	unknown := c.With(mediaauth.Session{ID: "unknown-session-id"})
	const me = mediaauthtest.DefaultTMDbAccountID

	ofSession := func(cl *mediaauth.Client) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			acct, err := accountOfSession(ctx, cl)
			if err == nil {
				assert.Equal(t, tmdbAccount{ID: me, Username: mediaauthtest.DefaultTMDbUsername}, *acct)
			}
			return err
		}
	}
	details := func(cl *mediaauth.Client, id int) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			acct, err := accountDetails(ctx, cl, id)
			if err == nil {
				assert.Equal(t, tmdbAccount{ID: me, Username: mediaauthtest.DefaultTMDbUsername}, *acct)
			}
			return err
		}
	}

	f.step("accountOfSession", 200, nil, ofSession(user))
	f.step("accountOfSession", 401, mediaauth.ErrUnauthorized, ofSession(unknown))
	f.step("accountDetails", 200, nil, details(user, me))
	// A user's v4 access token stands for the session.
	v4 := c.Without(mediaauth.APITMDb).With(mediaauth.TMDbAccessToken{AccessToken: mediaauthtest.DefaultTMDbV4AccessToken})
	f.step("accountDetails", 200, nil, details(v4, me))
	f.step("accountDetails", 404, mediaauth.ErrNotFound, details(user, me+1))
	f.step("accountDetails", 401, mediaauth.ErrUnauthorized, details(unknown, me))

	// TMDb's rate limit, with its Retry-After, injected into the fake.
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
	require.NoError(t, direct.DeleteSession(t.Context(), session.ID))
	f.step("accountOfSession", 401, mediaauth.ErrUnauthorized, ofSession(user))
}
