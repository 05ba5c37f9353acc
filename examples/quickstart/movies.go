package main

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// runMovies registers an account, verifies its email address, logs in
// both ways, reads and updates the profile (also through Do), works with
// API keys, and resets the password.
func runMovies(ctx context.Context, e *env) error {
	acct := e.moviesAccount()
	movies := e.client.Movies

	// Register; against a real server an existing account is fine.
	req := mediaauth.RegisterRequest{Username: acct.username, Email: acct.email, Password: acct.password, Name: "New Fan"}
	u, err := movies.Register(ctx, req)
	switch err := e.check("register", err, req, u); {
	case e.fake == nil && errors.Is(err, mediaauth.ErrConflict):
		e.report("%q is already registered: going on with it", acct.username)
	case err != nil:
		return err
	default:
		e.report("created user %q (id %s), email_verified=%t", u.Username, u.ID, u.EmailVerified)
	}

	// Verify the email address with the token from the verification email.
	token, source, err := e.emailToken(mediaauthtest.EmailVerify, acct.email)
	if err == nil && token != "" {
		err = movies.VerifyEmail(ctx, token)
	}
	switch err := e.check("verify email", err); {
	case err != nil:
		return err
	case token == "":
		e.report("skipped: no token given (an unverified account cannot log in)")
	default:
		e.report("token %s %s: address verified", preview(token), source)
	}

	// Log in with a JSON body, then with a form body and the email address.
	tok, err := movies.Login(ctx, acct.username, acct.password)
	if err := e.check("JSON login (POST /login)", err, tok); err != nil {
		return err
	}
	e.report("access token %s (%s, expires %s)", preview(tok.AccessToken), tok.TokenType, expiry(tok))
	formTok, err := movies.FormLogin(ctx, acct.email, acct.password)
	if err := e.check("form login (/auth/login)", err, formTok); err != nil {
		return err
	}
	e.report("access token %s (%s, logged in by email address)", preview(formTok.AccessToken), formTok.TokenType)

	// The token is a credential: a handle that carries it acts as the user.
	user := movies.With(tok)
	if err := moviesProfile(ctx, e, user); err != nil {
		return err
	}
	if err := moviesAPIKeys(ctx, e, user); err != nil {
		return err
	}
	return moviesPasswordReset(ctx, e, acct, user)
}

// moviesProfile reads the profile, then the same resource through Do,
// and updates it.
func moviesProfile(ctx context.Context, e *env, user *mediaauth.Movies) error {
	me, err := user.Profile(ctx)
	if err := e.check("read profile", err, user, me); err != nil {
		return err
	}
	e.report("id %s, username %q, email %q, email_verified=%t", me.ID, me.Username, me.Email, me.EmailVerified)

	// The rest of the API: Do adds the bearer, sends through the same
	// engine, and decodes the JSON answer into any type.
	var raw map[string]any
	err = user.Do(ctx, http.MethodGet, "/user/profile", nil, &raw)
	if err := e.check("profile through Do", err); err != nil {
		return err
	}
	e.report("GET /user/profile with Movies.Do: %d fields, username %v", len(raw), raw["username"])

	upd := mediaauth.ProfileUpdate{Name: mediaauth.String("Movie Fan"), Bio: mediaauth.String("Watches every film twice.")}
	me, err = user.UpdateProfile(ctx, upd)
	if err := e.check("update profile", err, upd, me); err != nil {
		return err
	}
	e.report("name %q, bio %q (email left as it was: %q)", me.Name, me.Bio, me.Email)
	return nil
}

// moviesAPIKeys generates a key, calls with it, rotates it and shows that
// the old key is refused.
func moviesAPIKeys(ctx context.Context, e *env, user *mediaauth.Movies) error {
	key, err := user.GenerateAPIKey(ctx)
	if err := e.check("generate API key", err, key); err != nil {
		return err
	}
	e.report("key %s (printed as %v)", preview(key.Key), key)

	// An API key is a credential too, sent as the Bearer token.
	withKey := e.client.Movies.With(key)
	me, err := withKey.Profile(ctx)
	if err := e.check("call with the API key", err, withKey, me); err != nil {
		return err
	}
	e.report("GET /user/profile as %q with Authorization: Bearer <API key>", me.Username)

	newKey, err := user.GenerateAPIKey(ctx)
	if err := e.check("rotate API key", err, newKey); err != nil {
		return err
	}
	e.report("new key %s replaces %s", preview(newKey.Key), preview(key.Key))

	_, err = withKey.Profile(ctx)
	if err := e.refused("old API key rejected", err, mediaauth.ErrUnauthorized); err != nil {
		return err
	}
	me, err = e.client.Movies.With(newKey).Profile(ctx)
	if err := e.check("call with the new API key", err, me); err != nil {
		return err
	}
	e.report("GET /user/profile as %q", me.Username)
	return nil
}

// moviesPasswordReset resets the password with the token from the reset
// email, then shows the old password and the old access token refused.
func moviesPasswordReset(ctx context.Context, e *env, acct moviesAccount, user *mediaauth.Movies) error {
	if acct.newPassword == "" {
		e.stepf("password reset", "skipped: give -new-password to run it against a real server")
		return nil
	}
	movies := e.client.Movies
	err := movies.RequestPasswordReset(ctx, acct.email)
	if err := e.check("request password reset", err); err != nil {
		return err
	}
	e.report("reset email requested for %q", acct.email)

	token, source, err := e.emailToken(mediaauthtest.EmailReset, acct.email)
	if err == nil && token == "" {
		err = errors.New("no reset token given")
	}
	if err == nil {
		err = movies.ConfirmPasswordReset(ctx, token, acct.newPassword)
	}
	if err := e.check("confirm password reset", err); err != nil {
		return err
	}
	e.report("token %s %s: new password set", preview(token), source)

	_, err = movies.Login(ctx, acct.username, acct.password)
	if err := e.refused("old password refused", err, mediaauth.ErrInvalidCredentials); err != nil {
		return err
	}
	_, err = user.Profile(ctx)
	if err := e.refused("old access token revoked", err, mediaauth.ErrUnauthorized); err != nil {
		return err
	}
	tok, err := movies.Login(ctx, acct.username, acct.newPassword)
	if err := e.check("login with new password", err, tok); err != nil {
		return err
	}
	e.report("access token %s", preview(tok.AccessToken))
	return nil
}

// expiry shows when a token expires.
func expiry(t *mediaauth.Token) string {
	if t.ExpiresAt.IsZero() {
		return "expiry unknown"
	}
	return "in " + time.Until(t.ExpiresAt).Round(time.Second).String()
}
