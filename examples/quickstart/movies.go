package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// moviesAccount is who the Movies API flow runs as.
type moviesAccount struct {
	username, email, password, newPassword string
}

// moviesAccount returns the configured account, or a fresh one for the fake.
func (e *env) moviesAccount() moviesAccount {
	a := moviesAccount{username: e.cfg.username, email: e.cfg.email, password: e.cfg.password, newPassword: e.cfg.newPassword}
	if e.fake() != nil {
		if a.username == "" {
			a.username = "moviefan"
			if e.remote != nil { // a running fake may have met the quickstart before
				a.username += "-" + randomSecret("")[:8]
			}
		}
		if a.email == "" {
			a.email = a.username + "@example.com"
		}
		if a.password == "" {
			a.password = randomSecret("pw-")
		}
		if a.newPassword == "" {
			a.newPassword = randomSecret("new-pw-")
		}
	}
	e.secret(a.password)
	e.secret(a.newPassword)
	return a
}

// runMovies registers an account, verifies it, logs in both ways, reads and
// updates the profile, works with API keys, and resets the password.
func runMovies(ctx context.Context, e *env) error {
	c := e.client
	acct := e.moviesAccount()
	if acct.username == "" || acct.email == "" || acct.password == "" {
		return skip("no account configured (-username, -email, -password)")
	}

	// Register; against a real server an existing account is fine.
	req := mediaauth.RegisterRequest{Username: acct.username, Email: acct.email, Password: acct.password, Name: "New Fan"}
	u, err := c.Movies.Register(ctx, req)
	e.keep(req, u, err)
	switch {
	case err == nil:
		e.stepf("register", "created user %q (id %s), email_verified=%t", u.Username, u.ID, u.EmailVerified)
	case e.fake() == nil && errors.Is(err, mediaauth.ErrConflict):
		e.stepf("register", "%q is already registered: going on with it", acct.username)
	default:
		return fmt.Errorf("register: %w", err)
	}

	// Verify the email address with the token from the verification email.
	if err := e.verifyEmail(ctx, acct.email); err != nil {
		return err
	}

	// Log in with a JSON body, then with a form body and the email address.
	tok, err := c.Movies.Login(ctx, acct.username, acct.password)
	e.keep(tok, err)
	if err != nil {
		return fmt.Errorf("JSON login: %w", err)
	}
	e.secret(tok.AccessToken)
	e.stepf("JSON login (POST /login)", "access token %s (%s, expires %s)", preview(tok.AccessToken), tok.TokenType, expiry(tok))
	formTok, err := c.Movies.FormLogin(ctx, acct.email, acct.password)
	e.keep(formTok, err)
	if err != nil {
		return fmt.Errorf("form login: %w", err)
	}
	e.secret(formTok.AccessToken)
	e.stepf("form login (/auth/login)", "access token %s (%s, logged in by email address)", preview(formTok.AccessToken), formTok.TokenType)

	// Read and update the profile with the access token.
	authed := c.With(mediaauth.Token{AccessToken: tok.AccessToken})
	e.keep(authed)
	me, err := authed.Movies.Profile(ctx)
	e.keep(me, err)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	e.stepf("read profile", "id %s, username %q, email %q, email_verified=%t", me.ID, me.Username, me.Email, me.EmailVerified)

	// The same resource through the open pipeline: Do adds the bearer,
	// sends, and decodes the JSON answer into any type.
	var raw map[string]any
	err = authed.Movies.Do(ctx, http.MethodGet, "/user/profile", nil, &raw)
	e.keep(err)
	if err != nil {
		return fmt.Errorf("profile through Do: %w", err)
	}
	e.stepf("profile through Do", "GET /user/profile with client.Do: %d fields, username %v", len(raw), raw["username"])
	upd := mediaauth.ProfileUpdate{Name: mediaauth.String("Movie Fan"), Bio: mediaauth.String("Watches every film twice.")}
	me, err = authed.Movies.UpdateProfile(ctx, upd)
	e.keep(upd, me, err)
	if err != nil {
		return fmt.Errorf("update profile: %w", err)
	}
	e.stepf("update profile", "name %q, bio %q (email left as it was: %q)", me.Name, me.Bio, me.Email)

	if err := e.apiKeys(ctx, authed); err != nil {
		return err
	}
	return e.passwordReset(ctx, acct, authed)
}

// verifyEmail reads the verification token from the fake's outbox, or from
// -verify-token or stdin against a real server, and sends it.
func (e *env) verifyEmail(ctx context.Context, address string) error {
	var token, source string
	if fake := e.fake(); fake != nil {
		mail, ok := fake.lastMoviesEmail(address)
		e.keep(mail)
		if !ok {
			return errors.New("verify email: the fake sent no verification email")
		}
		token, source = mail.Token, "from the fake's outbox"
	} else {
		token, source = e.cfg.verifyToken, "from -verify-token"
		if token == "" {
			var err error
			if token, err = e.ask("Paste the token from the verification email (empty to skip)"); err != nil {
				return fmt.Errorf("verify email: %w", err)
			}
			source = "as pasted"
		}
		if token == "" {
			e.stepf("verify email", "skipped: no token given (an unverified account cannot log in)")
			return nil
		}
	}
	e.secret(token)
	err := e.client.Movies.VerifyEmail(ctx, token)
	e.keep(err)
	if err != nil {
		return fmt.Errorf("verify email: %w", err)
	}
	e.stepf("verify email", "token %s %s: address verified", preview(token), source)
	return nil
}

// apiKeys generates a key, calls with it, rotates it and shows that the old
// key is refused.
func (e *env) apiKeys(ctx context.Context, authed *mediaauth.Client) error {
	key, err := authed.Movies.GenerateAPIKey(ctx)
	e.keep(key, err)
	if err != nil {
		return fmt.Errorf("generate API key: %w", err)
	}
	e.secret(key.Key)
	e.stepf("generate API key", "key %s (printed as %v)", preview(key.Key), key)

	withKey := e.client.With(mediaauth.Token{AccessToken: key.Key})
	e.keep(withKey)
	me, err := withKey.Movies.Profile(ctx)
	e.keep(me, err)
	if err != nil {
		return fmt.Errorf("call with the API key: %w", err)
	}
	e.stepf("call with the API key", "GET /user/profile as %q with Authorization: Bearer <API key>", me.Username)

	newKey, err := authed.Movies.GenerateAPIKey(ctx)
	e.keep(newKey, err)
	if err != nil {
		return fmt.Errorf("rotate API key: %w", err)
	}
	e.secret(newKey.Key)
	e.stepf("rotate API key", "new key %s replaces %s", preview(newKey.Key), preview(key.Key))

	_, err = withKey.Movies.Profile(ctx)
	e.keep(err)
	if err := expectRefused(err, mediaauth.ErrUnauthorized, "the old API key still works after rotation"); err != nil {
		return fmt.Errorf("old key rejected: %w", err)
	}
	e.stepf("old API key rejected", "%s", describe(err, "ErrUnauthorized"))

	me, err = e.client.With(mediaauth.Token{AccessToken: newKey.Key}).Movies.Profile(ctx)
	e.keep(me, err)
	if err != nil {
		return fmt.Errorf("call with the new API key: %w", err)
	}
	e.stepf("call with the new API key", "GET /user/profile as %q", me.Username)
	return nil
}

// passwordReset resets the password with the token from the reset email,
// then shows the old password and the old access token refused.
func (e *env) passwordReset(ctx context.Context, acct moviesAccount, authed *mediaauth.Client) error {
	if acct.newPassword == "" {
		e.stepf("password reset", "skipped: give -new-password to run it against a real server")
		return nil
	}
	err := e.client.Movies.RequestPasswordReset(ctx, acct.email)
	e.keep(err)
	if err != nil {
		return fmt.Errorf("request password reset: %w", err)
	}
	e.stepf("request password reset", "reset email requested for %q", acct.email)

	var token, source string
	if fake := e.fake(); fake != nil {
		mail, ok := fake.lastMoviesEmail(acct.email)
		e.keep(mail)
		if !ok || mail.Kind != mediaauthtest.EmailReset {
			return errors.New("confirm password reset: the fake sent no reset email")
		}
		token, source = mail.Token, "from the fake's outbox"
	} else {
		token, source = e.cfg.resetToken, "from -reset-token"
		if token == "" {
			if token, err = e.ask("Paste the token from the password-reset email"); err != nil {
				return fmt.Errorf("confirm password reset: %w", err)
			}
			source = "as pasted"
		}
		if token == "" {
			return errors.New("confirm password reset: no reset token given")
		}
	}
	e.secret(token)
	err = e.client.Movies.ConfirmPasswordReset(ctx, token, acct.newPassword)
	e.keep(err)
	if err != nil {
		return fmt.Errorf("confirm password reset: %w", err)
	}
	e.stepf("confirm password reset", "token %s %s: new password set", preview(token), source)

	tok, err := e.client.Movies.Login(ctx, acct.username, acct.password)
	e.keep(tok, err)
	if err := expectRefused(err, mediaauth.ErrInvalidCredentials, "the old password still works after the reset"); err != nil {
		return fmt.Errorf("old password refused: %w", err)
	}
	e.stepf("old password refused", "%s", describe(err, "ErrInvalidCredentials"))

	_, err = authed.Movies.Profile(ctx)
	e.keep(err)
	if err := expectRefused(err, mediaauth.ErrUnauthorized, "the old access token still works after the reset"); err != nil {
		return fmt.Errorf("old access token revoked: %w", err)
	}
	e.stepf("old access token revoked", "%s", describe(err, "ErrUnauthorized"))

	tok, err = e.client.Movies.Login(ctx, acct.username, acct.newPassword)
	e.keep(tok, err)
	if err != nil {
		return fmt.Errorf("login with the new password: %w", err)
	}
	e.secret(tok.AccessToken)
	e.stepf("login with new password", "access token %s", preview(tok.AccessToken))
	return nil
}

// expectRefused checks that err is the refusal a step wants to show.
func expectRefused(err, want error, ifNil string) error {
	if err == nil {
		return errors.New(ifNil)
	}
	if !errors.Is(err, want) {
		return fmt.Errorf("unexpected error: %w", err)
	}
	return nil
}

// describe shows a typed error the way a program would inspect it.
func describe(err error, sentinel string) string {
	var apiErr *mediaauth.APIError
	if errors.As(err, &apiErr) {
		return fmt.Sprintf("errors.Is(err, mediaauth.%s) = true; *APIError{StatusCode: %d, Code: %q}: %v",
			sentinel, apiErr.StatusCode, apiErr.Code, err)
	}
	return fmt.Sprintf("errors.Is(err, mediaauth.%s) = true: %v", sentinel, err)
}

// expiry shows when a token expires.
func expiry(t *mediaauth.Token) string {
	if t.ExpiresAt.IsZero() {
		return "expiry unknown"
	}
	return "in " + time.Until(t.ExpiresAt).Round(time.Second).String()
}
