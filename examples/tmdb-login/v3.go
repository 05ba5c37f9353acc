package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mediaauth/mediaauth"
)

// runV3 runs the v3 login: request token, approval, session, guest
// session, logout.
func (l *login) runV3(ctx context.Context) error {
	// 1. Check the credentials.
	if err := l.validate(ctx); err != nil {
		return err
	}
	fmt.Fprintln(l.out, "\n1. The API key is valid.")

	// 2. Create a request token and show where to approve it.
	tok, err := l.tmdb.CreateRequestToken(ctx)
	if err != nil {
		return fmt.Errorf("creating a request token: %w", err)
	}
	fmt.Fprintf(l.out, "2. Request token %s, valid until %s.\n", mask(tok.Token), tok.ExpiresAt.Format(time.RFC3339))
	stopApproval := l.showPage(l.tmdb.AuthenticateURL(*tok, l.s.redirectTo), tok.Token)
	defer stopApproval()

	// 3. Wait for the approval: CreateSession answers ErrRequestTokenNotApproved until then.
	fmt.Fprintln(l.out, "3. Waiting for the approval (Ctrl-C to give up)...")
	sess, err := l.waitForSession(ctx, tok)
	if err != nil {
		return err
	}
	fmt.Fprintf(l.out, "   Approved: session %s.\n", mask(sess.ID))

	// 4. A guest session needs no account at all.
	guest, err := l.tmdb.CreateGuestSession(ctx)
	if err != nil {
		return fmt.Errorf("creating a guest session: %w", err)
	}
	fmt.Fprintf(l.out, "4. Guest session %s, deleted by TMDb if unused by %s.\n", mask(guest.ID), guest.ExpiresAt.Format(time.RFC3339))

	// 5. Log out: DeleteSession ends the session the handle carries.
	user := l.tmdb.With(sess)
	if err := user.DeleteSession(ctx); err != nil {
		return fmt.Errorf("deleting the session: %w", err)
	}
	fmt.Fprintln(l.out, "5. Logged out: the session is deleted.")
	if !l.s.real {
		err := user.DeleteSession(ctx)
		fmt.Fprintf(l.out, "   Deleting it again: errors.Is(err, mediaauth.ErrNotFound) = %t\n", errors.Is(err, mediaauth.ErrNotFound))
	}
	return nil
}

// waitForSession tries to turn tok into a session once per interval until
// the user approves it, denies it, the token expires, or the wait times out.
func (l *login) waitForSession(ctx context.Context, tok *mediaauth.RequestToken) (*mediaauth.Session, error) {
	ctx, cancel := context.WithTimeout(ctx, l.s.timeout)
	defer cancel()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for attempt := 1; ; attempt++ {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the approval: %w", ctx.Err())
		case <-timer.C:
		}
		sess, err := l.tmdb.CreateSession(ctx, *tok)
		switch {
		case err == nil:
			return sess, nil
		case errors.Is(err, mediaauth.ErrRequestTokenNotApproved):
			if tok.Expired(time.Now().Add(l.s.interval)) {
				return nil, fmt.Errorf("the request token expired before it was approved: run the login again: %w", err)
			}
			fmt.Fprintf(l.out, "   attempt %d: not approved yet, next try in %s\n", attempt, seconds(l.s.interval))
			timer.Reset(l.s.interval)
		case errors.Is(err, mediaauth.ErrSessionDenied):
			return nil, fmt.Errorf("the request was denied on TMDb's page: %w", err)
		case errors.Is(err, mediaauth.ErrInvalidRequestToken):
			return nil, fmt.Errorf("the request token expired or was already used: run the login again: %w", err)
		case ctx.Err() != nil:
			return nil, fmt.Errorf("waiting for the approval: %w", ctx.Err())
		default:
			return nil, fmt.Errorf("creating the session: %w", err)
		}
	}
}
