// TVmaze: the device-style user authentication (seed 003).

package mediaauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"time"
)

// TVmaze's user-auth flow works like a device login: [TVmaze.StartAuth]
// sends the user an email (or returns a URL) to confirm the request,
// [TVmaze.PollAuth] asks whether they did, and the first poll after the
// confirmation hands out the user's API key, once.
// [TVmaze.PollUntilConfirmed] runs the polling schedule.

// pollAuthResponse is the 200 body of POST /auth/poll.
type pollAuthResponse struct {
	Username string `json:"username"`
	APIKey   string `json:"apikey"`
}

func (c *pollAuthResponse) validate() error {
	if c.Username == "" || c.APIKey == "" {
		return errors.New("answer without username or apikey")
	}
	return nil
}

// AuthRequest is a started TVmaze authentication request: the pending
// value of TVmaze's login (see [TVmaze.PollUntilConfirmed]). Token is a
// secret (whoever holds it can collect the user's API key): printing or
// logging an AuthRequest never shows it.
type AuthRequest struct {
	// Token identifies the request to [TVmaze.PollAuth] and
	// [TVmaze.PollUntilConfirmed].
	Token string `json:"token"`
	// ApprovalURL is the page where the user confirms the request. TVmaze
	// sends it when the request was started [WithoutEmailConfirmation];
	// else it is empty and the user confirms through the email TVmaze
	// sent.
	ApprovalURL string `json:"approval_url,omitempty"`
	// ExpiresAt is when TVmaze drops the request; zero, since TVmaze does
	// not say.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// String describes the request without its token (and without the query
// string of ApprovalURL).
func (r AuthRequest) String() string {
	return safeString("AuthRequest", "Token", secretMark(r.Token), "ApprovalURL", strconv.Quote(urlWithoutQuery(r.ApprovalURL)))
}

// Format prints the request like String for every verb.
func (r AuthRequest) Format(f fmt.State, _ rune) { formatSafe(f, r.String()) }

// LogValue keeps the token out of slog output.
func (r AuthRequest) LogValue() slog.Value { return logSafe(r.String()) }

// urlWithoutQuery drops the query and fragment of a URL, which may carry a
// secret; a string that does not parse is not shown at all.
func urlWithoutQuery(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return redacted
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}

// StartAuthOption changes how [TVmaze.StartAuth] starts a request.
type StartAuthOption func(*startAuthRequest)

// WithoutEmailConfirmation asks TVmaze not to email the user a confirmation
// link but to return [AuthRequest.ApprovalURL], for a user who is logged in to
// TVmaze on the device they are using: send them to that URL.
func WithoutEmailConfirmation() StartAuthOption {
	return func(r *startAuthRequest) { r.EmailConfirmation = false }
}

// startAuthRequest is the body of POST /auth/start. email_confirmation is
// always sent, so the server's default does not matter.
type startAuthRequest struct {
	Email             string `json:"email"`
	EmailConfirmation bool   `json:"email_confirmation"`
}

// startAuthResponse is the 200 body of POST /auth/start.
type startAuthResponse struct {
	Token      string `json:"token"`
	ConfirmURL string `json:"confirm_url"`
}

func (r *startAuthResponse) validate() error {
	if r.Token == "" {
		return errors.New("answer without token")
	}
	return nil
}

// StartAuth starts a TVmaze authentication request for the account with
// that email address (POST /auth/start). By default TVmaze emails the user
// a confirmation link; [WithoutEmailConfirmation] returns a URL to send
// them to instead. Then call [TVmaze.PollUntilConfirmed] (or
// [TVmaze.PollAuth]) with the request.
//
// An unknown address is [ErrEmailNotFound], an address the user has not
// confirmed with TVmaze is [ErrEmailNotConfirmed], and starting requests too
// quickly is [ErrRateLimited]. The handle's TVmaze credentials are sent
// only when it has some.
func (t *TVmaze) StartAuth(ctx context.Context, email string, opts ...StartAuthOption) (*AuthRequest, error) {
	if err := requireArgs("TVmaze.StartAuth", "email address", email); err != nil {
		return nil, err
	}
	body := startAuthRequest{Email: email, EmailConfirmation: true}
	for _, opt := range opts {
		if opt != nil {
			opt(&body)
		}
	}
	var out startAuthResponse
	err := t.hp().send(ctx, &call{ep: epTVmazeStart, body: body, out: &out})
	if err != nil {
		return nil, err
	}
	return &AuthRequest{Token: out.Token, ApprovalURL: out.ConfirmURL}, nil
}

// pollAuthRequest is the body of POST /auth/poll.
type pollAuthRequest struct {
	Token string `json:"token"`
}

// PollAuth asks once whether the user confirmed the authentication request
// (POST /auth/poll) and returns their credentials when they did. TVmaze
// hands the API key out only once: keep what this returns.
//
// If ctx ends while the answer is arriving, the poll may go on reading it
// for [DefaultPollAnswerGrace] so that a key handed out once is not lost.
//
// Not confirmed yet is [ErrAuthorizationPending]; an unknown or expired
// request, or one whose key was already handed out, is
// [ErrAuthRequestNotFound] (start a new one); polling more often than
// every 10 seconds is [ErrRateLimited]. The transport never sends a poll
// twice. Most callers want [TVmaze.PollUntilConfirmed].
func (t *TVmaze) PollAuth(ctx context.Context, req AuthRequest) (*TVmazeCredentials, error) {
	creds, _, err := t.pollAuth(ctx, req.Token, DefaultPollAnswerGrace)
	return creds, err
}

// pollAuth is PollAuth with its answer grace that also returns the HTTP
// status of the answer (0 when there was none).
func (t *TVmaze) pollAuth(ctx context.Context, token string, grace time.Duration) (_ *TVmazeCredentials, _ int, err error) {
	if err := requireArgs("TVmaze.PollAuth", "token", token); err != nil {
		return nil, 0, err
	}
	var out pollAuthResponse
	cl := &call{ep: epTVmazePoll, body: pollAuthRequest{Token: token}, out: &out, secrets: [2]string{token}}
	if h := t.hp(); ctx != nil && h.usable() == nil {
		// The call is observed before the grace takes its context, so that
		// the attempt goes on with the context the Observer gave.
		var ob *callObservation
		ctx, ob = h.observeCall(ctx, epTVmazePoll.name, epTVmazePoll.method)
		cl.observed = true
		defer func() { ob.end(cl.status, err) }()
	}
	defer t.hp().guard(ctx, cl, grace).release()
	if err := t.hp().send(ctx, cl); err != nil {
		return nil, cl.status, err
	}
	return &TVmazeCredentials{Username: out.Username, APIKey: out.APIKey}, cl.status, nil
}

// PremiumLevel is a TVmaze user's premium subscription level.
type PremiumLevel int

// TVmaze's premium levels. Other values may appear if TVmaze adds levels;
// they are returned as they are.
const (
	PremiumNone   PremiumLevel = 0
	PremiumBronze PremiumLevel = 1
	PremiumSilver PremiumLevel = 2
	PremiumGold   PremiumLevel = 3
)

// String names the level: "none", "Bronze", "Silver", "Gold", or
// "premium level N" for a level this package does not know.
func (p PremiumLevel) String() string {
	switch p {
	case PremiumNone:
		return "none"
	case PremiumBronze:
		return "Bronze"
	case PremiumSilver:
		return "Silver"
	case PremiumGold:
		return "Gold"
	}
	return "premium level " + strconv.Itoa(int(p))
}

// validateResponse is the 200 body of GET /auth/validate.
type validateResponse struct {
	Premium PremiumLevel `json:"premium"`
}

// Validate checks the handle's [TVmazeCredentials] (GET /auth/validate,
// HTTP Basic) and returns the user's premium level: use it on a handle
// derived with [TVmaze.With]. Invalid credentials are [ErrUnauthorized]; a
// handle without credentials gets [ErrMissingCredentials] before anything
// is sent.
func (t *TVmaze) Validate(ctx context.Context) (PremiumLevel, error) {
	var out validateResponse
	err := t.hp().send(ctx, &call{ep: epTVmazeValidate, out: &out})
	if err != nil {
		return PremiumNone, err
	}
	return out.Premium, nil
}
