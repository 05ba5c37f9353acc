package mediaauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TMDb's v4 user authentication (tmdb-auth-v4.openapi.yaml). Every call is
// made by the application with its read access token
// ([TMDbReadAccessToken]); a client with only a [TMDbAPIKey] gets
// [ErrMissingCredentials] before anything is sent. The flow:
//
//  1. [Client.CreateV4RequestToken] makes a request token;
//  2. the user approves it on the page [Client.TMDbV4ApprovalURL] names;
//  3. [Client.CreateV4AccessToken] turns it into the user's
//     [TMDbAccessToken], a credential for the user's requests
//     ([Client.With]), which [Client.CreateSessionFromV4Token] turns into a
//     v3 [Session];
//  4. [Client.DeleteV4AccessToken] logs the access token out.
//
// [Client.LoginV4] runs steps 1 to 3 in one call.

// TMDbV4RequestTokenLifetime is how long TMDb keeps an unused v4 request
// token: 15 minutes.
const TMDbV4RequestTokenLifetime = 15 * time.Minute

// Defaults of [TMDbV4Login].
const (
	// DefaultTMDbV4PollInterval is the first wait of [Client.LoginV4]
	// between two attempts to exchange a request token that is not
	// approved yet.
	DefaultTMDbV4PollInterval = 2 * time.Second
	// DefaultTMDbV4MaxPollInterval bounds the wait as it grows.
	DefaultTMDbV4MaxPollInterval = 15 * time.Second
)

// TMDbAccessToken is a TMDb user's v4 access token with the account it
// belongs to: what TMDb's v4 user authentication hands out once the user
// approved a v4 request token ([Client.CreateV4AccessToken]). It is a
// [Credential]: a client derived with [Client.With] sends it as the Bearer
// token of the user's requests. It never expires on its own; log it out
// with [Client.DeleteV4AccessToken] to end it. Printing or logging a
// TMDbAccessToken never shows AccessToken.
type TMDbAccessToken struct {
	// AccessToken is the user's v4 bearer token.
	AccessToken string `json:"access_token"`
	// AccountID is TMDb's v4 account id (a string, unlike v3's numeric id).
	AccountID string `json:"account_id"`
}

// String describes the token without the token itself.
func (t TMDbAccessToken) String() string {
	return safeString("TMDbAccessToken", "AccountID", strconv.Quote(t.AccountID), "AccessToken", secretMark(t.AccessToken))
}

// Format prints the token like String for every verb.
func (t TMDbAccessToken) Format(f fmt.State, _ rune) { formatSafe(f, t.String()) }

// LogValue keeps the token out of slog output.
func (t TMDbAccessToken) LogValue() slog.Value { return logSafe(t.String()) }

// TMDbV4RequestToken is a TMDb v4 request token, from
// [Client.CreateV4RequestToken]. The user approves it on the page
// [Client.TMDbV4ApprovalURL] names, then [Client.CreateV4AccessToken] turns
// it into the user's [TMDbAccessToken], once. TMDb drops it when it stays
// unused for 15 minutes. Printing or logging it never shows Token.
type TMDbV4RequestToken struct {
	// Token is the request token itself.
	Token string `json:"request_token"`
	// CreatedAt is when the client received the token, by its clock (UTC).
	CreatedAt time.Time `json:"created_at,omitzero"`
	// ExpiresAt is CreatedAt plus [TMDbV4RequestTokenLifetime]: TMDb's
	// answer carries no expiry, so it is computed by the client's clock.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// Expired reports whether the token's expiry is known and not after now.
func (t TMDbV4RequestToken) Expired(now time.Time) bool {
	return expired(t.ExpiresAt, now)
}

// String describes the token without the token itself.
func (t TMDbV4RequestToken) String() string {
	return safeString("TMDbV4RequestToken", "Token", secretMark(t.Token),
		"CreatedAt", timeString(t.CreatedAt), "ExpiresAt", timeString(t.ExpiresAt))
}

// Format prints the token like String for every verb.
func (t TMDbV4RequestToken) Format(f fmt.State, _ rune) { formatSafe(f, t.String()) }

// LogValue keeps the token out of slog output.
func (t TMDbV4RequestToken) LogValue() slog.Value { return logSafe(t.String()) }

// tmdbV4RequestTokenResponse is the answer of POST /4/auth/request_token.
type tmdbV4RequestTokenResponse struct {
	Success      *bool  `json:"success"`
	RequestToken string `json:"request_token"`
}

func (r *tmdbV4RequestTokenResponse) validate() error {
	if err := checkSuccess(r.Success, true); err != nil {
		return err
	}
	if r.RequestToken == "" {
		return errors.New("answer without request_token")
	}
	return nil
}

// tmdbV4AccessTokenResponse is the answer of POST /4/auth/access_token.
type tmdbV4AccessTokenResponse struct {
	Success     *bool  `json:"success"`
	AccessToken string `json:"access_token"`
	AccountID   string `json:"account_id"`
}

func (r *tmdbV4AccessTokenResponse) validate() error {
	if err := checkSuccess(r.Success, true); err != nil {
		return err
	}
	switch {
	case r.AccessToken == "":
		return errors.New("answer without access_token")
	case r.AccountID == "":
		return errors.New("answer without account_id")
	}
	return nil
}

// tmdbV4Deleted is the answer of DELETE /4/auth/access_token: a Status
// whose success field is required.
type tmdbV4Deleted struct {
	Success *bool `json:"success"`
}

func (r *tmdbV4Deleted) validate() error { return checkSuccess(r.Success, true) }

// CreateV4RequestToken asks TMDb for a v4 request token
// (POST /4/auth/request_token). The user approves it on the page
// [Client.TMDbV4ApprovalURL] names; TMDb then sends the browser to
// redirectTo, when it is not empty. [Client.CreateV4AccessToken] turns the
// approved token into the user's access token. It needs the client's
// [TMDbReadAccessToken]; a refused one is [ErrInvalidAPIKey].
func (c *Client) CreateV4RequestToken(ctx context.Context, redirectTo string) (*TMDbV4RequestToken, error) {
	if err := optionalArgs("CreateV4RequestToken", "redirect URL", redirectTo); err != nil {
		return nil, err
	}
	var r tmdbV4RequestTokenResponse
	err := c.do(ctx, &call{
		ep: epTMDbV4RequestToken,
		body: struct {
			RedirectTo string `json:"redirect_to,omitempty"`
		}{redirectTo},
		out: &r,
	})
	if err != nil {
		return nil, err
	}
	now := c.s.now().UTC()
	return &TMDbV4RequestToken{Token: r.RequestToken, CreatedAt: now, ExpiresAt: now.Add(TMDbV4RequestTokenLifetime)}, nil
}

// TMDbV4ApprovalURL returns the TMDb page where the user approves a v4
// request token: https://www.themoviedb.org/auth/access?request_token=...,
// on the site [WithTMDbSiteURL] sets. It makes no request. The URL holds
// the request token: show it to the user, do not log it.
func (c *Client) TMDbV4ApprovalURL(requestToken string) string {
	site := DefaultTMDbSiteURL
	if c != nil && c.s != nil {
		site = c.s.tmdbSite
	}
	var b strings.Builder
	b.Grow(len(site) + len(requestToken) + 32)
	b.WriteString(site)
	b.WriteString("/auth/access?request_token=")
	b.WriteString(url.QueryEscape(requestToken))
	return b.String()
}

// CreateV4AccessToken turns a v4 request token the user approved into the
// user's access token and v4 account id (POST /4/auth/access_token). Until
// the user approves the token it is [ErrRequestTokenNotApproved] (keep
// waiting); an unknown, expired, denied or already exchanged token is
// [ErrInvalidRequestToken]. The call is never resent once TMDb may have
// received it: the token is good for one exchange only.
func (c *Client) CreateV4AccessToken(ctx context.Context, requestToken string) (*TMDbAccessToken, error) {
	if err := requireArgs("CreateV4AccessToken", "request token", requestToken); err != nil {
		return nil, err
	}
	var r tmdbV4AccessTokenResponse
	err := c.do(ctx, &call{
		ep: epTMDbV4AccessToken,
		body: struct {
			RequestToken string `json:"request_token"`
		}{requestToken},
		out:     &r,
		secrets: appendSecret(nil, requestToken),
	})
	if err != nil {
		return nil, err
	}
	return &TMDbAccessToken{AccessToken: r.AccessToken, AccountID: r.AccountID}, nil
}

// DeleteV4AccessToken logs a user's v4 access token out
// (DELETE /4/auth/access_token): TMDb accepts it no more, neither as a
// credential nor for [Client.CreateSessionFromV4Token]. v3 sessions made
// from it are not ended; use [Client.DeleteSession] for them. An unknown or
// already logged out token is [ErrInvalidAccessToken].
func (c *Client) DeleteV4AccessToken(ctx context.Context, accessToken string) error {
	if err := requireArgs("DeleteV4AccessToken", "access token", accessToken); err != nil {
		return err
	}
	var r tmdbV4Deleted
	return c.do(ctx, &call{
		ep: epTMDbV4DeleteAccessToken,
		body: struct {
			AccessToken string `json:"access_token"`
		}{accessToken},
		out:     &r,
		secrets: appendSecret(nil, accessToken),
	})
}

// TMDbV4Login says how [Client.LoginV4] shows the approval page and waits
// for the user. Only ShowApprovalURL is required.
type TMDbV4Login struct {
	// RedirectTo is where TMDb sends the browser after the approval ("" for
	// TMDb's own page); see [Client.CreateV4RequestToken].
	RedirectTo string
	// ShowApprovalURL is called once with the page where the user approves
	// the request token ([Client.TMDbV4ApprovalURL]): print it, or open a
	// browser. The URL holds the request token: do not log it. An error
	// ends the login with that error.
	ShowApprovalURL func(ctx context.Context, approvalURL string) error
	// WaitForApproval, when set, is called after ShowApprovalURL and must
	// return when the user says they approved (they pressed Enter, say).
	// LoginV4 then exchanges the token; if TMDb says it is not approved
	// yet, OnPending is called and WaitForApproval is called again. An
	// error ends the login with that error. When nil, LoginV4 polls.
	WaitForApproval func(ctx context.Context) error
	// PollInterval is, when LoginV4 polls, the wait before the first
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
// [Client.CreateV4RequestToken], then login.ShowApprovalURL with the page
// where the user approves it, then it waits for the approval (with
// login.WaitForApproval, or by polling [Client.CreateV4AccessToken] while
// it answers [ErrRequestTokenNotApproved], with the back-off of
// [TMDbV4Login]), then [Client.CreateSessionFromV4Token]. It returns the
// user's access token (a [Credential] for their v4 and v3 calls, to log
// out with [Client.DeleteV4AccessToken] when done) and the session.
//
// The wait ends when ctx ends (the error wraps ctx.Err() and, after at
// least one attempt, [ErrRequestTokenNotApproved]), or when the request
// token's 15 minutes are over by the client's clock (the error wraps
// [ErrRequestTokenNotApproved], or is [ErrInvalidRequestToken] when TMDb
// dropped the token first). A token the user denied is
// [ErrInvalidRequestToken]. Any other error of the exchange ends it at
// once. If the access token was made but the session was not, LoginV4
// returns the access token with the error, so that the caller can retry
// CreateSessionFromV4Token or log the token out. No timer outlives the
// call.
func (c *Client) LoginV4(ctx context.Context, login TMDbV4Login) (*TMDbAccessToken, *Session, error) {
	const method = "LoginV4"
	switch {
	case login.ShowApprovalURL == nil:
		return nil, nil, argError(method, "nil ShowApprovalURL")
	case login.PollInterval < 0 || login.MaxPollInterval < 0:
		return nil, nil, argError(method, "negative poll interval")
	}
	if err := c.usable(); err != nil {
		return nil, nil, err
	}
	rt, err := c.CreateV4RequestToken(ctx, login.RedirectTo)
	if err != nil {
		return nil, nil, err
	}
	secrets := appendSecret(nil, rt.Token)
	if err := login.ShowApprovalURL(ctx, c.TMDbV4ApprovalURL(rt.Token)); err != nil {
		return nil, nil, scrubError(fmt.Errorf("mediaauth: LoginV4: showing the approval page: %w", err), c.creds.secrets, secrets)
	}
	tok, err := c.awaitV4Approval(ctx, rt, &login)
	if err != nil {
		return nil, nil, scrubError(err, c.creds.secrets, secrets)
	}
	sess, err := c.CreateSessionFromV4Token(ctx, tok.AccessToken)
	if err != nil {
		return tok, nil, err
	}
	return tok, sess, nil
}

// awaitV4Approval waits for the user and exchanges rt, as LoginV4 says.
func (c *Client) awaitV4Approval(ctx context.Context, rt *TMDbV4RequestToken, login *TMDbV4Login) (*TMDbAccessToken, error) {
	interval := login.PollInterval
	if interval == 0 {
		interval = DefaultTMDbV4PollInterval
	}
	maxInterval := login.MaxPollInterval
	if maxInterval == 0 {
		maxInterval = DefaultTMDbV4MaxPollInterval
	}
	maxInterval = max(maxInterval, interval)
	polling := login.WaitForApproval == nil
	wait := min(interval, max(rt.ExpiresAt.Sub(c.s.now()), 0))
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	var lastErr error
	for attempt := 1; ; attempt++ {
		if polling {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			select {
			case <-ctx.Done():
				return nil, v4WaitStopped(ctx.Err(), lastErr)
			case <-timer.C:
			}
		} else if err := login.WaitForApproval(ctx); err != nil {
			return nil, v4WaitStopped(err, lastErr)
		}
		if ctx.Err() != nil {
			return nil, v4WaitStopped(ctx.Err(), lastErr)
		}
		tok, err := c.CreateV4AccessToken(ctx, rt.Token)
		if err == nil {
			return tok, nil
		}
		var apiErr *APIError
		switch {
		case ctx.Err() != nil && errors.Is(err, ctx.Err()):
			return nil, v4WaitStopped(ctx.Err(), lastErr)
		case errors.Is(err, ErrRequestTokenNotApproved):
			lastErr = err
			interval = min(2*interval, maxInterval)
		case errors.Is(err, ErrRateLimited) && errors.As(err, &apiErr):
			// Slow down: twice the wait, or the server's Retry-After.
			interval = min(max(2*interval, apiErr.RetryAfter), maxInterval)
		default:
			return nil, err
		}
		left := rt.ExpiresAt.Sub(c.s.now())
		if left <= 0 {
			if lastErr == nil {
				lastErr = err
			}
			return nil, fmt.Errorf("mediaauth: LoginV4: the request token expired before the user approved it: %w", lastErr)
		}
		wait = 0
		if polling {
			wait = min(interval, left)
		}
		if login.OnPending != nil {
			login.OnPending(attempt, wait)
		}
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
