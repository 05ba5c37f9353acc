package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// runTMDbV4 walks through TMDb's v4 user authentication: a v4 request
// token approved by the user becomes their access token, then tmdbV4User.
func runTMDbV4(ctx context.Context, e *env) error {
	if e.fake == nil {
		return skip("a person must approve a real TMDb request token: run go run ./examples/tmdb-login -v4 -real")
	}
	// The v4 calls need the application's read access token.
	tmdb := e.client.TMDb.With(mediaauth.TMDbReadAccessToken(mediaauthtest.DemoTMDbReadAccessToken))

	rt, err := tmdb.CreateV4RequestToken(ctx, "http://localhost:8080/approved")
	if err := e.check("v4 request token", err, tmdb, rt); err != nil {
		return err
	}
	e.report("POST /4/auth/request_token: token %s, unused until %s", preview(rt.Token), rt.ExpiresAt.Format(time.RFC3339))
	e.stepf("v4 approval page", "%s", strings.Replace(rt.ApprovalURL, rt.Token, preview(rt.Token), 1))

	_, err = tmdb.CreateV4AccessToken(ctx, *rt)
	if err := e.refused("v4 before approval", err, mediaauth.ErrRequestTokenNotApproved); err != nil {
		return err
	}
	// The fake plays the user who clicks Approve.
	if err := e.fake.approveTMDb(rt.Token); err != nil {
		return fmt.Errorf("approve: %w", err)
	}
	e.stepf("v4 user approves", "the user clicked Approve on the page")
	tok, err := tmdb.CreateV4AccessToken(ctx, *rt)
	if err := e.check("v4 access token", err, tok); err != nil {
		return err
	}
	e.report("POST /4/auth/access_token: token %s of account %s", preview(tok.AccessToken), tok.AccountID)

	// An approved request token makes one access token only.
	_, err = tmdb.CreateV4AccessToken(ctx, *rt)
	if err := e.refused("v4 reuse request token", err, mediaauth.ErrInvalidRequestToken); err != nil {
		return err
	}
	return tmdbV4User(ctx, e, tmdb, tok)
}

// tmdbV4User uses the access token as the user's credential, turns it
// into a v3 session, logs in again with the wait for the approval
// (PollUntilApprovedV4), and logs everything out.
func tmdbV4User(ctx context.Context, e *env, tmdb *mediaauth.TMDb, tok *mediaauth.TMDbAccessToken) error {
	// The rest of the API through Do, with the user's access token.
	var acct struct {
		ID       int    `json:"id"`
		Username string `json:"username"`
	}
	err := tmdb.With(tok).Do(ctx, http.MethodGet, "/3/account", nil, &acct)
	if err := e.check("v4 token as credential", err); err != nil {
		return err
	}
	e.report("GET /3/account with Authorization: Bearer …: user %q", acct.Username)

	// And with a v3 session made from it.
	sess, err := tmdb.CreateSessionFromV4Token(ctx, *tok)
	if err == nil {
		acct.Username = ""
		err = tmdb.With(sess).Do(ctx, http.MethodGet, "/3/account", nil, &acct)
	}
	if err := e.check("v4 token to session", err, sess); err != nil {
		return err
	}
	e.report("session %s: GET /3/account?session_id=…: user %q, id %d", preview(sess.ID), acct.Username, acct.ID)

	// Again with the wait: PollUntilApprovedV4 shows the page with its
	// opener and polls until the user approves.
	loginTok, loginSess, err := tmdbV4Wait(ctx, e, tmdb)
	if err := e.check("v4 wait for approval", err, loginTok, loginSess); err != nil {
		return err
	}
	e.report("access token %s, session %s", preview(loginTok.AccessToken), preview(loginSess.ID))

	// Log out: the sessions, then the access tokens; each call acts on the
	// credential its handle carries.
	for _, user := range []*mediaauth.TMDb{tmdb.With(sess), tmdb.With(loginSess)} {
		if err := e.check("v4 logout", user.DeleteSession(ctx)); err != nil {
			return err
		}
	}
	for _, user := range []*mediaauth.TMDb{tmdb.With(tok), tmdb.With(loginTok)} {
		if err := e.check("v4 logout", user.DeleteV4AccessToken(ctx)); err != nil {
			return err
		}
	}
	e.report("DELETE /4/auth/access_token: both tokens revoked, both sessions deleted")
	_, err = tmdb.CreateSessionFromV4Token(ctx, *tok)
	return e.refused("v4 token after logout", err, mediaauth.ErrInvalidAccessToken)
}

// tmdbV4Wait logs in with a new v4 request token and PollUntilApprovedV4,
// whose page opener plays the user who clicks Approve at once, and turns
// the access token into a v3 session.
func tmdbV4Wait(ctx context.Context, e *env, tmdb *mediaauth.TMDb) (*mediaauth.TMDbAccessToken, *mediaauth.Session, error) {
	rt, err := tmdb.CreateV4RequestToken(ctx, "")
	if err != nil {
		return nil, nil, err
	}
	e.secret(rt.Token)
	approve := func(context.Context, string) (bool, error) { return false, e.fake.approveTMDb(rt.Token) }
	tok, err := tmdb.PollUntilApprovedV4(ctx, *rt, mediaauth.WithPollInterval(10*time.Millisecond), mediaauth.WithPageOpener(approve))
	if err != nil {
		return nil, nil, err
	}
	sess, err := tmdb.CreateSessionFromV4Token(ctx, *tok)
	return tok, sess, err
}
