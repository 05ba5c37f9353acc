package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// runTMDb walks through TMDb's v3 authentication: the API key, a request
// token approved by the user, a session, then tmdbMore.
func runTMDb(ctx context.Context, e *env) error {
	if e.fake == nil {
		return skip("a person must approve a real TMDb request token: run go run ./examples/tmdb-login -real")
	}
	tmdb := e.client.TMDb // with the fake's API key

	err := tmdb.Validate(ctx)
	if err := e.check("validate API key", err); err != nil {
		return err
	}
	e.report("GET /3/authentication with ?api_key=…: valid")

	// A request token, and the page where the user approves it.
	tok, err := tmdb.CreateRequestToken(ctx)
	if err := e.check("create request token", err, tok); err != nil {
		return err
	}
	e.report("token %s, expires %s", preview(tok.Token), tok.ExpiresAt.Format(time.RFC3339))
	approveURL := tmdb.AuthenticateURL(*tok, "http://localhost:8080/approved")
	e.stepf("approval page", "%s", strings.Replace(approveURL, tok.Token, preview(tok.Token), 1))

	// Until the user approves, there is no session.
	_, err = tmdb.CreateSession(ctx, *tok)
	if err := e.refused("session before approval", err, mediaauth.ErrRequestTokenNotApproved); err != nil {
		return err
	}
	// The fake plays the user who clicks Approve.
	if err := e.fake.approveTMDb(tok.Token); err != nil {
		return fmt.Errorf("approve: %w", err)
	}
	e.stepf("user approves", "the user clicked Approve on the page")
	sess, err := tmdb.CreateSession(ctx, *tok)
	if err := e.check("create session", err, sess); err != nil {
		return err
	}
	e.report("session %s", preview(sess.ID))

	// A request token makes one session only.
	_, err = tmdb.CreateSession(ctx, *tok)
	if err := e.refused("reuse the request token", err, mediaauth.ErrInvalidRequestToken); err != nil {
		return err
	}
	return tmdbMore(ctx, e, sess)
}

// tmdbMore shows the password login, the read access token, a guest
// session, and logging out.
func tmdbMore(ctx context.Context, e *env, sess *mediaauth.Session) error {
	tmdb := e.client.TMDb

	// For programs that hold the password: token, validate_with_login, session.
	loginSess, err := tmdb.LoginSession(ctx, mediaauthtest.DemoTMDbUsername, mediaauthtest.DemoTMDbPassword)
	if err := e.check("login with password", err, loginSess); err != nil {
		return err
	}
	e.report("user %q: session %s", mediaauthtest.DemoTMDbUsername, preview(loginSess.ID))
	_, err = tmdb.LoginSession(ctx, mediaauthtest.DemoTMDbUsername, "not-the-password")
	if err := e.refused("wrong password", err, mediaauth.ErrInvalidCredentials); err != nil {
		return err
	}

	// A handle holds one application credential: the read access token
	// replaces the API key, and travels as a Bearer header.
	bearer := tmdb.With(mediaauth.TMDbReadAccessToken(mediaauthtest.DemoTMDbReadAccessToken))
	if err := e.check("read access token", bearer.Validate(ctx), bearer); err != nil {
		return err
	}
	e.report("Authorization: Bearer …: valid, no api_key sent")
	err = tmdb.With(mediaauth.TMDbAPIKey("not-a-key")).Validate(ctx)
	if err := e.refused("wrong API key", err, mediaauth.ErrInvalidAPIKey); err != nil {
		return err
	}

	// A guest session needs no account.
	guest, err := tmdb.CreateGuestSession(ctx)
	if err := e.check("guest session", err, guest); err != nil {
		return err
	}
	e.report("%s, deleted if unused by %s", preview(guest.ID), guest.ExpiresAt.Format(time.RFC3339))

	// Log out: DeleteSession ends the session the handle carries.
	for _, s := range []*mediaauth.Session{sess, loginSess} {
		if err := e.check("delete sessions", tmdb.With(s).DeleteSession(ctx)); err != nil {
			return err
		}
	}
	e.report("both sessions deleted")
	err = tmdb.With(sess).DeleteSession(ctx)
	return e.refused("delete again", err, mediaauth.ErrNotFound)
}
