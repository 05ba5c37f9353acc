package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// runTMDb walks through TMDb's v3 authentication: the API key, a request
// token approved by the user, a session, the password login, the read
// access token, a guest session, and logging out; then through the v4 user
// authentication (runTMDbV4).
func runTMDb(ctx context.Context, e *env) error {
	if e.fake() == nil {
		return skip("a person must approve a real TMDb request token: run go run ./examples/tmdb-login -real")
	}
	c, srv := e.client, e.fake()
	e.secret(mediaauthtest.DemoTMDbAPIKey)
	e.secret(mediaauthtest.DemoTMDbReadAccessToken)
	e.secret(mediaauthtest.DemoTMDbPassword)

	// The client sends the api_key query parameter.
	err := c.TMDb.Validate(ctx)
	e.keep(err)
	if err != nil {
		return fmt.Errorf("validate key: %w", err)
	}
	e.stepf("validate API key", "GET /authentication with ?api_key=…: valid")

	// A request token, and the page where the user approves it.
	tok, err := c.TMDb.CreateRequestToken(ctx)
	e.keep(tok, err)
	if err != nil {
		return fmt.Errorf("create request token: %w", err)
	}
	e.secret(tok.Token)
	e.stepf("create request token", "token %s, expires %s", preview(tok.Token), tok.ExpiresAt.Format(time.RFC3339))
	approveURL := c.TMDb.AuthenticateURL(*tok, "http://localhost:8080/approved")
	e.stepf("approval page", "%s", strings.Replace(approveURL, tok.Token, preview(tok.Token), 1))

	// Until the user approves, there is no session.
	_, err = c.TMDb.CreateSession(ctx, *tok)
	e.keep(err)
	if !errors.Is(err, mediaauth.ErrRequestTokenNotApproved) {
		return fmt.Errorf("session before approval: want ErrRequestTokenNotApproved, got %w", err)
	}
	e.stepf("session before approval", "errors.Is(err, mediaauth.ErrRequestTokenNotApproved) = true (TMDb code %d)", tmdbCodeOf(err))

	// The fake plays the user who clicks Approve.
	if err := srv.approveTMDb(tok.Token); err != nil {
		return fmt.Errorf("approve: %w", err)
	}
	e.stepf("user approves", "the user clicked Approve on the page")
	sess, err := c.TMDb.CreateSession(ctx, *tok)
	e.keep(sess, err)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	e.secret(sess.ID)
	e.stepf("create session", "session %s", preview(sess.ID))

	// A request token makes one session only.
	_, err = c.TMDb.CreateSession(ctx, *tok)
	e.keep(err)
	if !errors.Is(err, mediaauth.ErrInvalidRequestToken) {
		return fmt.Errorf("token reuse: want ErrInvalidRequestToken, got %w", err)
	}
	e.stepf("reuse the request token", "errors.Is(err, mediaauth.ErrInvalidRequestToken) = true (TMDb code %d)", tmdbCodeOf(err))

	// For programs that hold the password: token, validate_with_login, session.
	loginSess, err := c.TMDb.LoginSession(ctx, mediaauthtest.DemoTMDbUsername, mediaauthtest.DemoTMDbPassword)
	e.keep(loginSess, err)
	if err != nil {
		return fmt.Errorf("login session: %w", err)
	}
	e.secret(loginSess.ID)
	e.stepf("login with password", "user %q: session %s", mediaauthtest.DemoTMDbUsername, preview(loginSess.ID))
	_, err = c.TMDb.LoginSession(ctx, mediaauthtest.DemoTMDbUsername, "not-the-password")
	e.keep(err)
	if !errors.Is(err, mediaauth.ErrInvalidCredentials) {
		return fmt.Errorf("wrong password: want ErrInvalidCredentials, got %w", err)
	}
	e.stepf("wrong password", "errors.Is(err, mediaauth.ErrInvalidCredentials) = true (TMDb code %d)", tmdbCodeOf(err))

	// The read access token travels as a Bearer header instead of the key.
	bearer := c.With(mediaauth.TMDbReadAccessToken(mediaauthtest.DemoTMDbReadAccessToken))
	e.keep(bearer)
	if err := bearer.TMDb.Validate(ctx); err != nil {
		e.keep(err)
		return fmt.Errorf("validate access token: %w", err)
	}
	e.stepf("read access token", "Authorization: Bearer …: valid, no api_key sent")
	err = c.With(mediaauth.TMDbAPIKey("not-a-key")).TMDb.Validate(ctx)
	e.keep(err)
	if !errors.Is(err, mediaauth.ErrInvalidAPIKey) {
		return fmt.Errorf("wrong API key: want ErrInvalidAPIKey, got %w", err)
	}
	e.stepf("wrong API key", "errors.Is(err, mediaauth.ErrInvalidAPIKey) = true (TMDb code %d)", tmdbCodeOf(err))

	// A guest session needs no account.
	guest, err := c.TMDb.CreateGuestSession(ctx)
	e.keep(guest, err)
	if err != nil {
		return fmt.Errorf("guest session: %w", err)
	}
	e.secret(guest.ID)
	e.stepf("guest session", "%s, deleted if unused by %s", preview(guest.ID), guest.ExpiresAt.Format(time.RFC3339))

	// Log out, twice.
	for _, id := range []string{sess.ID, loginSess.ID} {
		if err := c.TMDb.With(mediaauth.Session{ID: id}).DeleteSession(ctx); err != nil {
			e.keep(err)
			return fmt.Errorf("delete session: %w", err)
		}
	}
	e.stepf("delete sessions", "both sessions deleted")
	err = c.TMDb.With(*sess).DeleteSession(ctx)
	e.keep(err)
	if !errors.Is(err, mediaauth.ErrNotFound) {
		return fmt.Errorf("delete again: want ErrNotFound, got %w", err)
	}
	e.stepf("delete again", "errors.Is(err, mediaauth.ErrNotFound) = true (TMDb code %d)", tmdbCodeOf(err))
	return runTMDbV4(ctx, e)
}

// runTMDbV4 walks through TMDb's v4 user authentication: a v4 request
// token approved by the user, their access token (a credential, and a v3
// session), the wait for the approval with PollUntilApprovedV4, and
// logging out.
func runTMDbV4(ctx context.Context, e *env) error {
	srv := e.fake()
	// The v4 calls need the application's read access token.
	c := e.client.With(mediaauth.TMDbReadAccessToken(mediaauthtest.DemoTMDbReadAccessToken))
	e.keep(c)

	rt, err := c.TMDb.CreateV4RequestToken(ctx, "http://localhost:8080/approved")
	e.keep(rt, err)
	if err != nil {
		return fmt.Errorf("create v4 request token: %w", err)
	}
	e.secret(rt.Token)
	e.stepf("v4 request token", "POST /4/auth/request_token: token %s, unused until %s", preview(rt.Token), rt.ExpiresAt.Format(time.RFC3339))
	approveURL := c.TMDb.V4ApprovalURL(*rt)
	e.stepf("v4 approval page", "%s", strings.Replace(approveURL, rt.Token, preview(rt.Token), 1))

	_, err = c.TMDb.CreateV4AccessToken(ctx, *rt)
	e.keep(err)
	if !errors.Is(err, mediaauth.ErrRequestTokenNotApproved) {
		return fmt.Errorf("v4 access token before approval: want ErrRequestTokenNotApproved, got %w", err)
	}
	e.stepf("v4 before approval", "errors.Is(err, mediaauth.ErrRequestTokenNotApproved) = true (TMDb code %d)", tmdbCodeOf(err))

	// The fake plays the user who clicks Approve.
	if err := srv.approveTMDb(rt.Token); err != nil {
		return fmt.Errorf("approve v4 token: %w", err)
	}
	e.stepf("v4 user approves", "the user clicked Approve on the page")
	tok, err := c.TMDb.CreateV4AccessToken(ctx, *rt)
	e.keep(tok, err)
	if err != nil {
		return fmt.Errorf("create v4 access token: %w", err)
	}
	e.secret(tok.AccessToken)
	e.stepf("v4 access token", "POST /4/auth/access_token: token %s of account %s", preview(tok.AccessToken), tok.AccountID)

	_, err = c.TMDb.CreateV4AccessToken(ctx, *rt)
	e.keep(err)
	if !errors.Is(err, mediaauth.ErrInvalidRequestToken) {
		return fmt.Errorf("v4 token reuse: want ErrInvalidRequestToken, got %w", err)
	}
	e.stepf("v4 reuse request token", "errors.Is(err, mediaauth.ErrInvalidRequestToken) = true (TMDb code %d)", tmdbCodeOf(err))

	// The access token is the user's credential.
	var acct struct {
		ID       int    `json:"id"`
		Username string `json:"username"`
	}
	err = c.With(tok).TMDb.Do(ctx, http.MethodGet, "/3/account", nil, &acct)
	e.keep(err)
	if err != nil {
		return fmt.Errorf("account with the v4 token: %w", err)
	}
	e.stepf("v4 token as credential", "GET /3/account with Authorization: Bearer …: user %q", acct.Username)

	// And it becomes a v3 session.
	sess, err := c.TMDb.CreateSessionFromV4Token(ctx, *tok)
	e.keep(sess, err)
	if err != nil {
		return fmt.Errorf("session from v4 token: %w", err)
	}
	e.secret(sess.ID)
	acct.Username = ""
	err = c.With(sess).TMDb.Do(ctx, http.MethodGet, "/3/account", nil, &acct)
	e.keep(err)
	if err != nil {
		return fmt.Errorf("account with the session: %w", err)
	}
	e.stepf("v4 token to session", "session %s: GET /3/account?session_id=…: user %q, id %d", preview(sess.ID), acct.Username, acct.ID)

	// The wait for the approval: PollUntilApprovedV4 shows the page with
	// its opener and polls until the user approved.
	rt2, err := c.TMDb.CreateV4RequestToken(ctx, "")
	e.keep(rt2, err)
	if err != nil {
		return fmt.Errorf("create v4 request token: %w", err)
	}
	e.secret(rt2.Token)
	loginTok, err := c.TMDb.PollUntilApprovedV4(ctx, *rt2, mediaauth.WithPollInterval(10*time.Millisecond),
		mediaauth.WithPageOpener(func(context.Context, string) (bool, error) {
			return false, srv.approveTMDb(rt2.Token) // the user clicks Approve at once
		}))
	e.keep(loginTok, err)
	if err != nil {
		return fmt.Errorf("PollUntilApprovedV4: %w", err)
	}
	e.secret(loginTok.AccessToken)
	loginSess, err := c.TMDb.CreateSessionFromV4Token(ctx, *loginTok)
	e.keep(loginSess, err)
	if err != nil {
		return fmt.Errorf("session from v4 token: %w", err)
	}
	e.secret(loginSess.ID)
	e.stepf("v4 wait for approval", "access token %s, session %s", preview(loginTok.AccessToken), preview(loginSess.ID))

	// Log out: the sessions, then the access tokens.
	for _, id := range []string{sess.ID, loginSess.ID} {
		if err := c.TMDb.With(mediaauth.Session{ID: id}).DeleteSession(ctx); err != nil {
			e.keep(err)
			return fmt.Errorf("delete v4 session: %w", err)
		}
	}
	for _, t := range []string{tok.AccessToken, loginTok.AccessToken} {
		if err := c.TMDb.With(mediaauth.TMDbAccessToken{AccessToken: t}).DeleteV4AccessToken(ctx); err != nil {
			e.keep(err)
			return fmt.Errorf("v4 logout: %w", err)
		}
	}
	e.stepf("v4 logout", "DELETE /4/auth/access_token: both tokens revoked, both sessions deleted")
	_, err = c.TMDb.CreateSessionFromV4Token(ctx, *tok)
	e.keep(err)
	if !errors.Is(err, mediaauth.ErrInvalidAccessToken) {
		return fmt.Errorf("v4 token after logout: want ErrInvalidAccessToken, got %w", err)
	}
	e.stepf("v4 token after logout", "errors.Is(err, mediaauth.ErrInvalidAccessToken) = true (TMDb code %d)", tmdbCodeOf(err))
	return nil
}

// tmdbCodeOf returns the TMDb status_code of err, or 0.
func tmdbCodeOf(err error) int {
	var apiErr *mediaauth.APIError
	if errors.As(err, &apiErr) {
		return apiErr.TMDbCode
	}
	return 0
}
