package mediaauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// TMDbTimeLayout is the layout of TMDb's expires_at values, such as
// "2016-08-26 17:04:39 UTC".
const TMDbTimeLayout = "2006-01-02 15:04:05 MST"

// RequestToken is a TMDb request token: the first step towards a session,
// and the pending value of TMDb's v3 login (see [TMDb.PollUntilApproved]).
// The user approves it on the page ApprovalURL names (or
// [TMDb.ValidateRequestTokenWithLogin] approves it with their password),
// then [TMDb.CreateSession] turns it into a [Session]. It lives 60 minutes
// and can be used for one session only. Printing or logging a
// RequestToken never shows Token.
type RequestToken struct {
	// Token is the request token itself.
	Token string `json:"request_token"`
	// ApprovalURL is the page where the user approves the token, without a
	// redirect ([TMDb.AuthenticateURL] names one with a redirect). It
	// holds the token: show it to the user, do not log it.
	ApprovalURL string `json:"approval_url,omitempty"`
	// ExpiresAt is when TMDb stops accepting the token (UTC).
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// Expired reports whether the token's expiry is known and not after now.
func (t RequestToken) Expired(now time.Time) bool {
	return expired(t.ExpiresAt, now)
}

// String describes the token without the token itself.
func (t RequestToken) String() string {
	return safeString("RequestToken", "Token", secretMark(t.Token), "ExpiresAt", timeString(t.ExpiresAt))
}

// Format prints the token like String for every verb.
func (t RequestToken) Format(f fmt.State, _ rune) { formatSafe(f, t.String()) }

// LogValue keeps the token out of slog output.
func (t RequestToken) LogValue() slog.Value { return logSafe(t.String()) }

// parseTMDbTime reads an expires_at value ("2016-08-26 17:04:39 UTC"). Only
// UTC (or its alias GMT) is accepted: another zone abbreviation would be
// read with a made-up zero offset.
func parseTMDbTime(v string) (time.Time, error) {
	const zoneLen = len(" UTC")
	if len(v) <= zoneLen {
		return time.Time{}, fmt.Errorf("expires_at %q is not %q", truncate(v, 40), TMDbTimeLayout)
	}
	zone := v[len(v)-zoneLen:]
	if zone != " UTC" && zone != " GMT" {
		return time.Time{}, fmt.Errorf("expires_at %q is not in UTC", truncate(v, 40))
	}
	t, err := time.Parse(time.DateTime, v[:len(v)-zoneLen])
	if err != nil {
		return time.Time{}, fmt.Errorf("expires_at %q is not %q", truncate(v, 40), TMDbTimeLayout)
	}
	return t, nil
}

// requestTokenResponse is the RequestToken schema of the TMDb contract.
type requestTokenResponse struct {
	Success      *bool  `json:"success"`
	ExpiresAt    string `json:"expires_at"`
	RequestToken string `json:"request_token"`

	expires time.Time // parsed by validate
}

func (r *requestTokenResponse) validate() error {
	if err := checkSuccess(r.Success, true); err != nil {
		return err
	}
	if r.RequestToken == "" {
		return errors.New("answer without request_token")
	}
	t, err := parseTMDbTime(r.ExpiresAt)
	if err != nil {
		return err
	}
	r.expires = t
	return nil
}

// CreateRequestToken asks TMDb for a new request token
// (GET /3/authentication/token/new): the pending value of TMDb's v3 login.
// The user then approves it on the page its ApprovalURL (or
// [TMDb.AuthenticateURL]) names, and [TMDb.PollUntilApproved] or
// [TMDb.CreateSession] turns it into a session; [TMDb.LoginInBrowser]
// runs the whole login.
func (t *TMDb) CreateRequestToken(ctx context.Context) (*RequestToken, error) {
	return t.requestToken(ctx, &call{ep: epTMDbRequestToken})
}

// ValidateRequestTokenWithLogin approves tok with the user's TMDb username and
// password (POST /3/authentication/token/validate_with_login) and returns the
// approved token. TMDb prefers that users approve tokens on its own page
// ([TMDb.AuthenticateURL]); use this only in programs that hold the user's
// password anyway. A wrong password is [ErrInvalidCredentials], an unverified
// account [ErrEmailNotVerified], and an unknown, expired or used token
// [ErrInvalidRequestToken].
func (t *TMDb) ValidateRequestTokenWithLogin(ctx context.Context, username, password string, tok RequestToken) (*RequestToken, error) {
	requestToken := tok.Token
	if err := requireArgs("TMDb.ValidateRequestTokenWithLogin", "username", username, "password", password, "request token", requestToken); err != nil {
		return nil, err
	}
	return t.requestToken(ctx, &call{
		ep: epTMDbValidateWithLogin,
		body: struct {
			Username     string `json:"username"`
			Password     string `json:"password"`
			RequestToken string `json:"request_token"`
		}{username, password, requestToken},
		secrets: [2]string{password, requestToken},
	})
}

// requestTokenResult holds the answer and the token made of it in one
// allocation.
type requestTokenResult struct {
	answer requestTokenResponse
	token  RequestToken
}

func (t *TMDb) requestToken(ctx context.Context, cl *call) (*RequestToken, error) {
	res := new(requestTokenResult)
	cl.out = &res.answer
	if err := t.hp().send(ctx, cl); err != nil {
		return nil, err
	}
	res.token = RequestToken{Token: res.answer.RequestToken, ExpiresAt: res.answer.expires}
	res.token.ApprovalURL = t.AuthenticateURL(res.token, "")
	return &res.token, nil
}

// AuthenticateURL returns the TMDb page where the user approves tok, on
// the site [WithTMDbSiteURL] sets. TMDb sends the browser on to
// redirectTo afterwards; an empty redirectTo is left out. It makes no
// request. The URL holds the request token: show it to the user, do not
// log it.
func (t *TMDb) AuthenticateURL(tok RequestToken, redirectTo string) string {
	site, requestToken := t.site(), tok.Token
	var b strings.Builder
	b.Grow(len(site) + len(requestToken) + len(redirectTo) + 32)
	b.WriteString(site)
	b.WriteString("/authenticate/")
	b.WriteString(url.PathEscape(requestToken))
	if redirectTo != "" {
		b.WriteString("?redirect_to=")
		b.WriteString(url.QueryEscape(redirectTo))
	}
	return b.String()
}
