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
	page := tok.ApprovalURL
	if l.s.redirectTo != "" {
		page = l.tmdb.AuthenticateURL(*tok, l.s.redirectTo)
	}
	stopApproval := l.showPage(page, tok.Token)
	defer stopApproval()

	// 3. Wait for the approval: PollUntilApproved tries to create the
	// session once per interval; TMDb answers "not approved" until then.
	fmt.Fprintln(l.out, "3. Waiting for the approval (Ctrl-C to give up)...")
	waitCtx, cancel := context.WithTimeout(ctx, l.s.timeout)
	defer cancel()
	sess, err := l.tmdb.PollUntilApproved(waitCtx, *tok, l.waitOptions()...)
	switch {
	case errors.Is(err, mediaauth.ErrApprovalDenied):
		return fmt.Errorf("the request was denied on TMDb's page: %w", err)
	case errors.Is(err, mediaauth.ErrInvalidRequestToken), errors.Is(err, mediaauth.ErrRequestTokenNotApproved):
		return fmt.Errorf("the request token expired or was already used: run the login again: %w", err)
	case err != nil:
		return fmt.Errorf("waiting for the approval: %w", err)
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

// waitOptions are the options of the wait for the approval: the interval
// of -interval, and a line for each attempt.
func (l *login) waitOptions() []mediaauth.WaitOption {
	return []mediaauth.WaitOption{
		mediaauth.WithPollInterval(l.s.interval),
		mediaauth.WithWaitObserver(func(ev mediaauth.WaitEvent) {
			if errors.Is(ev.Err, mediaauth.ErrRequestTokenNotApproved) {
				fmt.Fprintf(l.out, "   attempt %d: not approved yet, next try in %s\n", ev.Attempt, seconds(ev.NextPoll))
			}
		}),
	}
}
