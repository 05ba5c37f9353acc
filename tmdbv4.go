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

// TMDb's v4 user authentication (tmdb-auth-v4.openapi.yaml). Every call is
// made by the application with its read access token
// ([TMDbReadAccessToken]); a handle with a [TMDbAPIKey] instead gets
// [ErrMissingCredentials] before anything is sent. The flow:
//
//  1. [TMDb.CreateV4RequestToken] makes a request token;
//  2. the user approves it on the page [TMDb.V4ApprovalURL] names;
//  3. [TMDb.CreateV4AccessToken] turns it into the user's
//     [TMDbAccessToken], a credential for the user's requests
//     ([TMDb.With]), which [TMDb.CreateSessionFromV4Token] turns into a
//     v3 [Session];
//  4. [TMDb.DeleteV4AccessToken] logs the access token out.
//
// [TMDb.PollUntilApprovedV4] waits for step 2 and makes step 3;
// [TMDb.LoginInBrowserV4] runs steps 1 to 3 with the user's browser.

// TMDbV4RequestTokenLifetime is how long TMDb keeps an unused v4 request
// token: 15 minutes. [TMDb.CreateV4RequestToken] sets
// [TMDbV4RequestToken.ExpiresAt] with it.
const TMDbV4RequestTokenLifetime = 15 * time.Minute

// TMDbV4RequestToken is a TMDb v4 request token, from
// [TMDb.CreateV4RequestToken]: the pending value of TMDb's v4 login (see
// [TMDb.PollUntilApprovedV4]). The user approves it on the page
// [TMDb.V4ApprovalURL] names, then [TMDb.CreateV4AccessToken] turns
// it into the user's [TMDbAccessToken], once. TMDb drops it when it stays
// unused for 15 minutes. Printing or logging it never shows Token.
type TMDbV4RequestToken struct {
	// Token is the request token itself.
	Token string `json:"request_token"`
	// ApprovalURL is the page where the user approves the token
	// ([TMDb.V4ApprovalURL]). It holds the token: show it to the user, do
	// not log it.
	ApprovalURL string `json:"approval_url,omitempty"`
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
// [TMDb.V4ApprovalURL] names; TMDb then sends the browser to
// redirectTo, when it is not empty. [TMDb.CreateV4AccessToken] turns the
// approved token into the user's access token. It needs the handle's
// [TMDbReadAccessToken]; a refused one is [ErrInvalidAPIKey].
func (t *TMDb) CreateV4RequestToken(ctx context.Context, redirectTo string) (*TMDbV4RequestToken, error) {
	if err := t.needsReadAccessToken(); err != nil {
		return nil, err
	}
	if err := optionalArgs("TMDb.CreateV4RequestToken", "redirect URL", redirectTo); err != nil {
		return nil, err
	}
	var r tmdbV4RequestTokenResponse
	err := t.hp().send(ctx, &call{
		ep: epTMDbV4RequestToken,
		body: struct {
			RedirectTo string `json:"redirect_to,omitempty"`
		}{redirectTo},
		out: &r,
	})
	if err != nil {
		return nil, err
	}
	now := t.h.e.s.now().UTC()
	tok := &TMDbV4RequestToken{Token: r.RequestToken, CreatedAt: now, ExpiresAt: now.Add(TMDbV4RequestTokenLifetime)}
	tok.ApprovalURL = t.V4ApprovalURL(*tok)
	return tok, nil
}

// V4ApprovalURL returns the TMDb page where the user approves tok, a v4
// request token: https://www.themoviedb.org/auth/access?request_token=...,
// on the site [WithTMDbSiteURL] sets. It makes no request. The URL holds
// the request token: show it to the user, do not log it.
func (t *TMDb) V4ApprovalURL(tok TMDbV4RequestToken) string {
	site, requestToken := t.site(), tok.Token
	var b strings.Builder
	b.Grow(len(site) + len(requestToken) + 32)
	b.WriteString(site)
	b.WriteString("/auth/access?request_token=")
	b.WriteString(url.QueryEscape(requestToken))
	return b.String()
}

// CreateV4AccessToken turns a v4 request token the user approved into the
// user's [TMDbAccessToken], with their v4 account id, a [Credential] for
// [TMDb.With] (POST /4/auth/access_token). Until
// the user approves the token it is [ErrRequestTokenNotApproved] (keep
// waiting); an unknown, expired, denied or already exchanged token is
// [ErrInvalidRequestToken]. The call is never resent once TMDb may have
// received it: the token is good for one exchange only.
func (t *TMDb) CreateV4AccessToken(ctx context.Context, tok TMDbV4RequestToken) (*TMDbAccessToken, error) {
	at, _, err := t.createV4AccessToken(ctx, tok.Token, 0)
	return at, err
}

// createV4AccessToken is CreateV4AccessToken with an answer grace (see
// keepAnswer); it also returns the HTTP status of the answer.
func (t *TMDb) createV4AccessToken(ctx context.Context, requestToken string, grace time.Duration) (*TMDbAccessToken, int, error) {
	if err := t.needsReadAccessToken(); err != nil {
		return nil, 0, err
	}
	if err := requireArgs("TMDb.CreateV4AccessToken", "request token", requestToken); err != nil {
		return nil, 0, err
	}
	var r tmdbV4AccessTokenResponse
	cl := &call{
		ep: epTMDbV4AccessToken,
		body: struct {
			RequestToken string `json:"request_token"`
		}{requestToken},
		out:     &r,
		secrets: [2]string{requestToken},
	}
	defer t.hp().guard(ctx, cl, grace).release()
	if err := t.hp().send(ctx, cl); err != nil {
		return nil, cl.status, err
	}
	return &TMDbAccessToken{AccessToken: r.AccessToken, AccountID: r.AccountID}, cl.status, nil
}

// DeleteV4AccessToken logs the handle's [TMDbAccessToken] out
// (DELETE /4/auth/access_token): TMDb accepts it no more, neither as a
// credential nor for [TMDb.CreateSessionFromV4Token]. The handle must
// carry it, beside the read access token:
// tmdb.With(accessToken).DeleteV4AccessToken(ctx); one without an access
// token gets [ErrMissingCredentials] before anything is sent. End a v3
// session made from it with [TMDb.DeleteSession]. An unknown or already
// logged out token is [ErrInvalidAccessToken]; so is the answer to a
// logout that is resent after its first answer was lost, so treat it as
// logged out.
func (t *TMDb) DeleteV4AccessToken(ctx context.Context) error {
	if err := t.needsReadAccessToken(); err != nil {
		return err
	}
	at, ok := userCredential[TMDbAccessToken](t.hp())
	if !ok {
		return fmt.Errorf("mediaauth: DeleteV4AccessToken: the handle carries no TMDbAccessToken (use With): %w", ErrMissingCredentials)
	}
	var r tmdbV4Deleted
	return t.hp().send(ctx, &call{
		ep: epTMDbV4DeleteAccessToken,
		body: struct {
			AccessToken string `json:"access_token"`
		}{at.AccessToken},
		out:     &r,
		secrets: [2]string{at.AccessToken},
	})
}

// needsReadAccessToken refuses a v4 authentication call of a handle whose
// application credential is not a read access token.
func (t *TMDb) needsReadAccessToken() error {
	h := t.hp()
	if err := h.usable(); err != nil {
		return err
	}
	if _, ok := h.creds.appCredential().(TMDbReadAccessToken); !ok {
		return fmt.Errorf("mediaauth: TMDb v4 authentication needs the read access token (TMDbReadAccessToken); an API key is not enough: %w", ErrMissingCredentials)
	}
	return nil
}

// site is the TMDb site whose pages users approve tokens on.
func (t *TMDb) site() string {
	if h := t.hp(); h != nil && h.e != nil {
		return h.e.s.tmdbSite
	}
	return DefaultTMDbSiteURL
}
