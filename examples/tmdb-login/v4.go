package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/mediaauth/mediaauth"
)

// runV4 runs TMDb's v4 user authentication: a v4 request token the user
// approves (PollUntilApprovedV4 waits), their access token, a v3 session
// from it; then it reads the account with the access token and logs both
// out.
func (l *login) runV4(ctx context.Context) error {
	// 1. The v4 calls need the read access token.
	if err := l.validate(ctx); err != nil {
		return err
	}
	fmt.Fprintln(l.out, "\n1. The read access token is valid (v4 user authentication).")

	// 2. and 3. The request token, the page, the wait for the approval,
	// the access token and the session.
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

// loginV4 creates a v4 request token, shows the page where the user
// approves it, waits for the approval within -timeout (the user's access
// token), and turns the access token into a v3 session.
func (l *login) loginV4(ctx context.Context) (*mediaauth.TMDbAccessToken, *mediaauth.Session, error) {
	rt, err := l.tmdb.CreateV4RequestToken(ctx, l.s.redirectTo)
	if err != nil {
		return nil, nil, fmt.Errorf("creating a request token: %w", err)
	}
	fmt.Fprintf(l.out, "2. Request token %s (unused, it expires in 15 minutes).\n", mask(rt.Token))
	stopApproval := l.showPage(rt.ApprovalURL, rt.Token)
	defer stopApproval()

	fmt.Fprintln(l.out, "3. Waiting for the approval (Ctrl-C to give up)...")
	waitCtx, cancel := context.WithTimeout(ctx, l.s.timeout)
	defer cancel()
	tok, err := l.tmdb.PollUntilApprovedV4(waitCtx, *rt, l.waitOptions()...)
	switch {
	case errors.Is(err, mediaauth.ErrApprovalDenied), errors.Is(err, mediaauth.ErrInvalidRequestToken):
		return nil, nil, fmt.Errorf("the request was denied, or the token expired: run the login again: %w", err)
	case err != nil:
		return nil, nil, fmt.Errorf("waiting for the approval: %w", err)
	}
	sess, err := l.tmdb.CreateSessionFromV4Token(ctx, *tok)
	if err != nil {
		return nil, nil, fmt.Errorf("turning the access token into a session: %w", err)
	}
	return tok, sess, nil
}
