// Movies API: accounts, login, profile and password reset (seeds 000-002).

package mediaauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Movies is the Movies API handle of a [Client]: register, verify, log in, profile, password reset, API keys. Get it from
// [Client.Movies]; derive one that carries other credentials with
// [Movies.With]. It is immutable and safe for concurrent use; the methods of
// a nil *Movies return an error wrapping [ErrInvalidArgument].
type Movies struct{ h handle }

// hp returns the handle, nil for a nil *Movies.
func (m *Movies) hp() *handle {
	if m == nil {
		return nil
	}
	return &m.h
}

// With returns a handle that carries creds in place of the Movies API
// credentials of the same role (credentials of other APIs are ignored)
// and shares m's engine: transport, rate limiter and settings. An
// invalid credential makes every call of the returned handle fail with
// [ErrInvalidArgument] before anything is sent.
func (m *Movies) With(creds ...Credential) *Movies {
	if m == nil || m.h.e == nil {
		return m
	}
	return &Movies{h: m.h.with(APIMovies, creds)}
}

// HTTPClient returns the handle's engine for the rest of the Movies API: an
// *http.Client whose requests to the API's origin get the handle's
// credentials (the access token or API key, as a Bearer token), wait on the same rate limiter as the typed calls,
// are resent only when that is safe, are logged and scrubbed the same way,
// and follow redirects only within the origin, without a body and without
// a credential in the target. A request to any other origin fails with
// [ErrOriginMismatch] and is never sent. Use [CheckResponse] with
// [APIMovies] to turn its error answers into the typed calls' errors.
func (m *Movies) HTTPClient() *http.Client { return m.hp().httpClient() }

// BaseURL returns the Movies API's base URL ("" when none is configured),
// for building the URLs given to [Movies.HTTPClient].
func (m *Movies) BaseURL() string { return m.hp().baseURL() }

// Do sends one request through the handle's engine, the one the typed
// calls use, and decodes the JSON answer into out. path is relative to the
// base URL and may carry a query string ("/user/profile"). in, when not nil, is
// sent as the JSON body; out, when not nil, must be a non-nil pointer.
// The request carries the handle's credentials (the access token or API key, as a Bearer token), waits on the
// rate limiter, and is resent only when that is safe: GET, HEAD, PUT and
// DELETE on network errors and 5xx, other methods only when the server
// certainly did not act. Error answers are *APIError, exactly as
// [CheckResponse] makes them, and a missing answer is *NetworkError. An
// invalid method, path, in or out fails with [ErrInvalidArgument] before
// anything is sent.
func (m *Movies) Do(ctx context.Context, method, path string, in, out any) error {
	return m.hp().do(ctx, method, path, in, out)
}

// User is a Movies API account as the server describes it.
type User struct {
	ID            string    `json:"id"`
	Username      string    `json:"username"`
	Email         string    `json:"email"`
	Name          string    `json:"name,omitempty"`
	Bio           string    `json:"bio,omitempty"`
	EmailVerified bool      `json:"email_verified"`
	CreatedAt     time.Time `json:"created_at,omitzero"`
}

func (u *User) validate() error {
	if u.ID == "" || u.Username == "" {
		return errors.New("user without id or username")
	}
	return nil
}

// RegisterRequest is what Register sends. Password never appears in printed
// or logged output of the value.
type RegisterRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Email    string `json:"email"`
	Name     string `json:"name,omitempty"`
}

// String describes the request without its password.
func (r RegisterRequest) String() string {
	return safeString("RegisterRequest", "Username", strconv.Quote(r.Username),
		"Email", strconv.Quote(r.Email), "Name", strconv.Quote(r.Name), "Password", secretMark(r.Password))
}

// Format prints the request like String for every verb.
func (r RegisterRequest) Format(f fmt.State, _ rune) { formatSafe(f, r.String()) }

// LogValue keeps the password out of slog output.
func (r RegisterRequest) LogValue() slog.Value { return logSafe(r.String()) }

// Token is a Movies API access token from Login or FormLogin. It is a
// [Credential]: use it with [Movies.With]. Printing or logging a Token never shows
// AccessToken.
type Token struct {
	// AccessToken is the bearer credential (often a JWT).
	AccessToken string `json:"access_token"`
	// TokenType is what the server calls it, normally "bearer".
	TokenType string `json:"token_type,omitempty"`
	// ExpiresAt is when the token stops working: from expires_in when the
	// server sent it, else from the JWT exp claim; zero when unknown.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// Expired reports whether the token's expiry is known and not after now.
func (t Token) Expired(now time.Time) bool {
	return expired(t.ExpiresAt, now)
}

// String describes the token without the access token itself.
func (t Token) String() string {
	return safeString("Token", "TokenType", strconv.Quote(t.TokenType), "AccessToken", secretMark(t.AccessToken), "ExpiresAt", timeString(t.ExpiresAt))
}

// Format prints the token like String for every verb.
func (t Token) Format(f fmt.State, _ rune) { formatSafe(f, t.String()) }

// LogValue keeps the access token out of slog output.
func (t Token) LogValue() slog.Value { return logSafe(t.String()) }

// tokenResponse is the Token schema of the Movies contract.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   *int64 `json:"expires_in"`
}

func (t *tokenResponse) validate() error {
	if t.AccessToken == "" {
		return errors.New("token response without access_token")
	}
	if !strings.EqualFold(t.TokenType, "bearer") {
		return fmt.Errorf("token_type %q, want bearer", truncate(t.TokenType, 32))
	}
	if t.ExpiresIn != nil && *t.ExpiresIn < 0 {
		return errors.New("negative expires_in")
	}
	return nil
}

// maxExpiresIn caps expires_in (in seconds) at about a hundred years.
const maxExpiresIn = 100 * 365 * 24 * 60 * 60

// token turns the response into a Token, working out when it expires.
func (t *tokenResponse) token(now time.Time) *Token {
	tok := &Token{AccessToken: t.AccessToken, TokenType: t.TokenType}
	switch {
	case t.ExpiresIn != nil:
		// Capped so that the Duration cannot overflow into the past.
		tok.ExpiresAt = now.Add(time.Duration(min(*t.ExpiresIn, maxExpiresIn)) * time.Second)
	default:
		if exp, ok := jwtExpiry(t.AccessToken); ok {
			tok.ExpiresAt = exp
		}
	}
	return tok
}

// jwtExpiry reads the exp claim of a JWT without verifying it.
func jwtExpiry(token string) (time.Time, bool) {
	first := strings.IndexByte(token, '.')
	if first < 0 {
		return time.Time{}, false
	}
	rest := token[first+1:]
	second := strings.IndexByte(rest, '.')
	if second < 0 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(rest[:second], "="))
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp *json.Number `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp == nil {
		return time.Time{}, false
	}
	f, err := claims.Exp.Float64()
	if err != nil || f <= 0 || f > 1<<40 {
		return time.Time{}, false
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), true
}

// Register creates an account (POST /register). The server then emails a
// verification link; see VerifyMoviesEmail.
func (m *Movies) Register(ctx context.Context, req RegisterRequest) (*User, error) {
	if err := requireArgs("Register", "username", req.Username, "password", req.Password, "email", req.Email); err != nil {
		return nil, err
	}
	if err := optionalArgs("Register", "name", req.Name); err != nil {
		return nil, err
	}
	var u User
	err := m.hp().send(ctx, &call{ep: epMoviesRegister, body: req, out: &u, secrets: [2]string{req.Password}})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// VerifyMoviesEmail confirms an email address with the token from the
// verification link (POST /verify-email). An unknown or used token is
// ErrNotFound.
func (m *Movies) VerifyEmail(ctx context.Context, token string) error {
	if err := requireArgs("VerifyMoviesEmail", "token", token); err != nil {
		return err
	}
	return m.hp().send(ctx, &call{
		ep: epMoviesVerifyEmail,
		body: struct {
			Token string `json:"token"`
		}{token},
		secrets: [2]string{token},
	})
}

// loginRequest is the body of POST /login and the form of POST /auth/login.
type loginRequest struct {
	Username string `json:"username" url:"username"`
	Password string `json:"password" url:"password"`
}

// appendForm appends r as a form, as url.Values.Encode writes it: keys in
// order, values query-escaped.
func (r loginRequest) appendForm(b []byte) []byte {
	p, u := url.QueryEscape(r.Password), url.QueryEscape(r.Username)
	b = slices.Grow(b, len("password=&username=")+len(p)+len(u))
	b = append(append(b, "password="...), p...)
	return append(append(b, "&username="...), u...)
}

// Login logs in with a JSON body (POST /login) and returns an access token.
// Wrong credentials are ErrInvalidCredentials; an unverified email address
// is ErrEmailNotVerified.
func (m *Movies) Login(ctx context.Context, username, password string) (*Token, error) {
	return m.login(ctx, epMoviesLogin, username, password, false)
}

// FormLogin logs in OAuth2-password style with a form body
// (POST /auth/login); username may be the username or the email address.
func (m *Movies) FormLogin(ctx context.Context, username, password string) (*Token, error) {
	return m.login(ctx, epMoviesFormLogin, username, password, true)
}

func (m *Movies) login(ctx context.Context, ep *endpoint, username, password string, form bool) (*Token, error) {
	if err := requireArgs(ep.name, "username", username, "password", password); err != nil {
		return nil, err
	}
	cl := &call{ep: ep, secrets: [2]string{password}}
	creds := loginRequest{Username: username, Password: password}
	if form {
		cl.form = creds
	} else {
		cl.body = creds
	}
	var tr tokenResponse
	cl.out = &tr
	if err := m.hp().send(ctx, cl); err != nil {
		return nil, err
	}
	return tr.token(m.h.e.s.now()), nil
}

// Profile reads the caller's profile (GET /user/profile, Bearer).
func (m *Movies) Profile(ctx context.Context) (*User, error) {
	var u User
	err := m.hp().send(ctx, &call{ep: epMoviesProfile, out: &u})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// ProfileUpdate is a partial profile update: nil fields are not sent and
// stay as they are. Use String to take the address of a literal.
type ProfileUpdate struct {
	Name  *string `json:"name,omitempty"`
	Email *string `json:"email,omitempty"`
	Bio   *string `json:"bio,omitempty"`
}

// String returns a pointer to v, for ProfileUpdate fields.
func String(v string) *string { return &v }

// UpdateProfile changes the fields of upd that are not nil
// (PUT /user/profile, Bearer) and returns the updated profile. A taken email
// address is ErrConflict.
func (m *Movies) UpdateProfile(ctx context.Context, upd ProfileUpdate) (*User, error) {
	if upd.Name == nil && upd.Email == nil && upd.Bio == nil {
		return nil, argError("UpdateProfile", "nothing to update")
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"name", upd.Name}, {"email", upd.Email}, {"bio", upd.Bio}} {
		if f.v != nil {
			if err := optionalArgs("UpdateProfile", f.name, *f.v); err != nil {
				return nil, err
			}
		}
	}
	var u User
	err := m.hp().send(ctx, &call{ep: epMoviesUpdateProfile, body: upd, out: &u})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// RequestPasswordReset asks for a password-reset email (POST
// /password/reset). The server answers the same whether or not the address
// belongs to an account.
func (m *Movies) RequestPasswordReset(ctx context.Context, email string) error {
	if err := requireArgs("RequestPasswordReset", "email", email); err != nil {
		return err
	}
	return m.hp().send(ctx, &call{
		ep: epMoviesResetRequest,
		body: struct {
			Email string `json:"email"`
		}{email},
	})
}

// ConfirmPasswordReset sets a new password with the token from the reset
// email (POST /password/reset/confirm). The server revokes existing access
// tokens. An unknown or used token is ErrNotFound.
func (m *Movies) ConfirmPasswordReset(ctx context.Context, token, newPassword string) error {
	if err := requireArgs("ConfirmPasswordReset", "token", token, "new password", newPassword); err != nil {
		return err
	}
	return m.hp().send(ctx, &call{
		ep: epMoviesResetConfirm,
		body: struct {
			Token    string `json:"token"`
			Password string `json:"password"`
		}{token, newPassword},
		secrets: [2]string{token, newPassword},
	})
}
