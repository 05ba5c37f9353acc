package mediaauth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// LoginV4 and its options: TMDb's v4 user authentication (tmdbv4.go) in
// one call, from a new request token to a v3 session.

// Defaults of [TMDbV4Login].
const (
	// DefaultTMDbV4PollInterval is the first wait of [TMDb.LoginV4]
	// between two attempts to exchange a request token that is not
	// approved yet.
	DefaultTMDbV4PollInterval = 2 * time.Second
	// DefaultTMDbV4MaxPollInterval bounds the wait as it grows.
	DefaultTMDbV4MaxPollInterval = 15 * time.Second
)

// TMDbV4Login says how [TMDb.LoginV4] shows the approval page and waits
// for the user. Only ShowApprovalURL is required.
type TMDbV4Login struct {
	// RedirectTo is where TMDb sends the browser after the approval ("" for
	// TMDb's own page); see [TMDb.CreateV4RequestToken].
	RedirectTo string
	// ShowApprovalURL is called once with the page where the user approves
	// the request token ([TMDb.V4ApprovalURL]): print it, or open a
	// browser. The URL holds the request token: do not log it. An error
	// ends the login with that error.
	ShowApprovalURL func(ctx context.Context, approvalURL string) error
	// WaitForApproval, when set, is called after ShowApprovalURL and must
	// return when the user says they approved (they pressed Enter, say).
	// [TMDb.LoginV4] then exchanges the token; if TMDb says it is not approved
	// yet, OnPending is called and WaitForApproval is called again. An
	// error ends the login with that error. When nil, [TMDb.LoginV4] polls.
	WaitForApproval func(ctx context.Context) error
	// PollInterval is, when [TMDb.LoginV4] polls, the wait before the first
	// attempt to exchange the token; after each "not approved yet" the
	// wait doubles, up to MaxPollInterval. Zero means
	// [DefaultTMDbV4PollInterval].
	PollInterval time.Duration
	// MaxPollInterval bounds the wait between two attempts. Zero means
	// [DefaultTMDbV4MaxPollInterval]; it is never below PollInterval.
	MaxPollInterval time.Duration
	// OnPending, when set, is called after each attempt that TMDb answered
	// with [ErrRequestTokenNotApproved] (or [ErrRateLimited]), with the
	// attempt's number (from 1) and the wait before the next attempt (0
	// when WaitForApproval is set).
	OnPending func(attempt int, next time.Duration)
}

// LoginV4 runs TMDb's v4 user authentication to a v3 session in one call:
// [TMDb.CreateV4RequestToken], then login.ShowApprovalURL with the page
// where the user approves it, then it waits for the approval (with
// login.WaitForApproval, or by polling [TMDb.CreateV4AccessToken] while
// it answers [ErrRequestTokenNotApproved], with the back-off of
// [TMDbV4Login]), then [TMDb.CreateSessionFromV4Token]. It returns the
// user's access token (a [Credential] for their v4 and v3 calls, to log
// out with [TMDb.DeleteV4AccessToken] when done) and the session.
//
// The wait ends when ctx ends (the error wraps ctx.Err() and, once TMDb
// has answered "not approved yet", [ErrRequestTokenNotApproved]), or when
// the request token's 15 minutes are over by the client's clock (the error
// wraps [ErrRequestTokenNotApproved], or is [ErrInvalidRequestToken] when
// TMDb dropped the token first). A token the user denied is
// [ErrInvalidRequestToken]. A rate-limited attempt ([ErrRateLimited]) slows
// the polling down; any other error of the exchange ends it at once. If the
// access token was made but the session was not, LoginV4 returns the
// access token with the error, so that the caller can retry
// [TMDb.CreateSessionFromV4Token] or log the token out. No timer outlives the
// call.
func (t *TMDb) LoginV4(ctx context.Context, login TMDbV4Login) (*TMDbAccessToken, *Session, error) {
	const method = "TMDb.LoginV4"
	switch {
	case login.ShowApprovalURL == nil:
		return nil, nil, argError(method, "nil ShowApprovalURL")
	case login.PollInterval < 0 || login.MaxPollInterval < 0:
		return nil, nil, argError(method, "negative poll interval")
	}
	if err := t.hp().usable(); err != nil {
		return nil, nil, err
	}
	rt, err := t.CreateV4RequestToken(ctx, login.RedirectTo)
	if err != nil {
		return nil, nil, err
	}
	secrets := appendSecret(nil, rt.Token)
	if err := login.ShowApprovalURL(ctx, t.V4ApprovalURL(*rt)); err != nil {
		return nil, nil, scrubError(fmt.Errorf("mediaauth: LoginV4: showing the approval page: %w", err), t.h.creds.secrets(), secrets)
	}
	tok, err := t.awaitV4Approval(ctx, rt, &login)
	if err != nil {
		return nil, nil, scrubError(err, t.h.creds.secrets(), secrets)
	}
	sess, err := t.CreateSessionFromV4Token(ctx, *tok)
	if err != nil {
		return tok, nil, err
	}
	return tok, sess, nil
}

// awaitV4Approval waits for the user and exchanges rt, as LoginV4 says.
func (t *TMDb) awaitV4Approval(ctx context.Context, rt *TMDbV4RequestToken, login *TMDbV4Login) (*TMDbAccessToken, error) {
	w := v4Wait{login: login, polling: login.WaitForApproval == nil, interval: login.PollInterval, maxInterval: login.MaxPollInterval}
	if w.interval == 0 {
		w.interval = DefaultTMDbV4PollInterval
	}
	if w.maxInterval == 0 {
		w.maxInterval = DefaultTMDbV4MaxPollInterval
	}
	w.maxInterval = max(w.maxInterval, w.interval)
	wait := min(w.interval, max(rt.ExpiresAt.Sub(t.h.e.s.now()), 0))
	defer w.stop()
	for attempt := 1; ; attempt++ {
		if err := w.await(ctx, wait); err != nil {
			return nil, err
		}
		tok, err := t.CreateV4AccessToken(ctx, *rt)
		if err == nil {
			return tok, nil
		}
		if err := w.answered(ctx, err); err != nil {
			return nil, err
		}
		left := rt.ExpiresAt.Sub(t.h.e.s.now())
		if left <= 0 {
			return nil, fmt.Errorf("mediaauth: LoginV4: the request token expired before the user approved it: %w", w.lastErr)
		}
		wait = 0
		if w.polling {
			wait = min(w.interval, left)
		}
		if login.OnPending != nil {
			login.OnPending(attempt, wait)
		}
	}
}

// v4Wait is the state of LoginV4's wait for the approval.
type v4Wait struct {
	login                 *TMDbV4Login
	polling               bool
	interval, maxInterval time.Duration
	timer                 *time.Timer
	lastErr               error // the last answer of TMDb, if any
}

// await waits for the next attempt: wait (polling) or the caller's
// WaitForApproval.
func (w *v4Wait) await(ctx context.Context, wait time.Duration) error {
	if w.polling {
		if w.timer == nil {
			w.timer = time.NewTimer(wait)
		} else {
			w.timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			return v4WaitStopped(ctx.Err(), w.lastErr)
		case <-w.timer.C:
		}
	} else if err := w.login.WaitForApproval(ctx); err != nil {
		return v4WaitStopped(err, w.lastErr)
	}
	if ctx.Err() != nil {
		return v4WaitStopped(ctx.Err(), w.lastErr)
	}
	return nil
}

// answered takes the error of an exchange: not approved yet and rate
// limited slow the polling down, anything else ends the wait.
func (w *v4Wait) answered(ctx context.Context, err error) error {
	var apiErr *APIError
	switch {
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return v4WaitStopped(ctx.Err(), w.lastErr)
	case errors.Is(err, ErrRequestTokenNotApproved):
		w.lastErr = err
		w.interval = min(2*w.interval, w.maxInterval)
	case errors.Is(err, ErrRateLimited) && errors.As(err, &apiErr):
		// Slow down: twice the wait, or the server's Retry-After.
		w.interval = min(max(2*w.interval, apiErr.RetryAfter), w.maxInterval)
		if w.lastErr == nil {
			w.lastErr = err
		}
	default:
		return err
	}
	return nil
}

// stop releases the timer.
func (w *v4Wait) stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
}

// v4WaitStopped is the error of a wait for the approval that ended early:
// it wraps why, and the last answer of TMDb when there was one.
func v4WaitStopped(why, last error) error {
	if last == nil {
		return fmt.Errorf("mediaauth: LoginV4: waiting for the approval: %w", why)
	}
	return fmt.Errorf("mediaauth: LoginV4: waiting for the approval: %w (last answer: %w)", why, last)
}
