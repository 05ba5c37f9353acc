package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/mediaauth/mediaauth"
)

// runV4 runs TMDb's v4 user authentication with LoginV4: a v4 request
// token the user approves, their access token, a v3 session from it; then
// it reads the account with the access token and logs both out.
func (l *login) runV4(ctx context.Context) error {
	// 1. The v4 calls need the read access token.
	if err := l.validate(ctx); err != nil {
		return err
	}
	fmt.Fprintln(l.out, "\n1. The read access token is valid (v4 user authentication).")

	// 2. and 3. LoginV4 creates the request token, shows the page, polls
	// until the user approves, and makes the access token and the session.
	tok, sess, err := l.loginV4(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(l.out, "   Approved: access token %s of account %s, session %s.\n", mask(tok.AccessToken), tok.AccountID, mask(sess.ID))

	// 4. The access token is the user's credential, for the rest of the API.
	user := l.tmdb.With(tok)
	var acct struct {
		ID       int    `json:"id"`
		Username string `json:"username"`
	}
	if err := user.Do(ctx, http.MethodGet, "/3/account", nil, &acct); err != nil {
		return fmt.Errorf("reading the account: %w", err)
	}
	fmt.Fprintf(l.out, "4. Signed in as %q (v3 account id %d).\n", acct.Username, acct.ID)

	// 5. Log out: the session, then the access token; each call acts on
	// the credential its handle carries.
	if err := l.tmdb.With(sess).DeleteSession(ctx); err != nil {
		return fmt.Errorf("deleting the session: %w", err)
	}
	if err := user.DeleteV4AccessToken(ctx); err != nil {
		return fmt.Errorf("logging the access token out: %w", err)
	}
	fmt.Fprintln(l.out, "5. Logged out: the session is deleted and the access token revoked.")
	if !l.s.real {
		_, err := l.tmdb.CreateSessionFromV4Token(ctx, *tok)
		fmt.Fprintf(l.out, "   Using the token again: errors.Is(err, mediaauth.ErrInvalidAccessToken) = %t\n", errors.Is(err, mediaauth.ErrInvalidAccessToken))
	}
	return nil
}

// loginV4 runs LoginV4 within -timeout, showing the approval page and
// each attempt.
func (l *login) loginV4(ctx context.Context) (*mediaauth.TMDbAccessToken, *mediaauth.Session, error) {
	ctx, cancel := context.WithTimeout(ctx, l.s.timeout)
	defer cancel()
	stopApproval := func() bool { return false }
	defer func() { stopApproval() }()
	tok, sess, err := l.tmdb.LoginV4(ctx, mediaauth.TMDbV4Login{
		RedirectTo: l.s.redirectTo,
		ShowApprovalURL: func(_ context.Context, approvalURL string) error {
			u, err := url.Parse(approvalURL)
			if err != nil {
				return err
			}
			rt := u.Query().Get("request_token")
			fmt.Fprintf(l.out, "2. Request token %s (unused, it expires in 15 minutes).\n", mask(rt))
			stopApproval = l.showPage(approvalURL, rt)
			fmt.Fprintln(l.out, "3. Waiting for the approval (Ctrl-C to give up)...")
			return nil
		},
		PollInterval: l.s.interval,
		OnPending: func(attempt int, next time.Duration) {
			fmt.Fprintf(l.out, "   attempt %d: not approved yet, next try in %s\n", attempt, seconds(next))
		},
	})
	switch {
	case err == nil:
		return tok, sess, nil
	case errors.Is(err, mediaauth.ErrInvalidRequestToken):
		return nil, nil, fmt.Errorf("the request was denied, or the token expired: run the login again: %w", err)
	case tok != nil:
		return nil, nil, fmt.Errorf("turning the access token into a session: %w", err)
	}
	return nil, nil, fmt.Errorf("logging in: %w", err)
}
