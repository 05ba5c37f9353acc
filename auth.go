// Movies API: accounts, login, profile and password reset (seeds 000-002).

package mediaauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// User is a Movies API account as the server describes it: ID and
// Username are always set; EmailVerified tells whether the address was
// verified ([Movies.VerifyEmail]); Name and Bio are what the user set
// ([Movies.UpdateProfile]); CreatedAt is zero when the server did not say.
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

// RegisterRequest is what [Movies.Register] sends: Username, Password and
// Email are required, Name is optional. Password never appears in printed
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
// verification link; see [Movies.VerifyEmail]. A taken username or email
// address is [ErrConflict].
func (m *Movies) Register(ctx context.Context, req RegisterRequest) (*User, error) {
	if err := requireArgs("Movies.Register", "username", req.Username, "password", req.Password, "email", req.Email); err != nil {
		return nil, err
	}
	if err := optionalArgs("Movies.Register", "name", req.Name); err != nil {
		return nil, err
	}
	var u User
	err := m.hp().send(ctx, &call{ep: epMoviesRegister, body: req, out: &u, secrets: [2]string{req.Password}})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// VerifyEmail confirms an email address with the token from the
// verification link (POST /verify-email). An unknown or used token is
// [ErrNotFound].
func (m *Movies) VerifyEmail(ctx context.Context, token string) error {
	if err := requireArgs("Movies.VerifyEmail", "token", token); err != nil {
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
	Username string `json:"username"`
	Password string `json:"password"`
}

// appendForm appends r as a form, as url.Values.Encode writes it: keys in
// order, values query-escaped.
func (r loginRequest) appendForm(b []byte) []byte {
	p, u := url.QueryEscape(r.Password), url.QueryEscape(r.Username)
	b = slices.Grow(b, len("password=&username=")+len(p)+len(u))
	b = append(append(b, "password="...), p...)
	return append(append(b, "&username="...), u...)
}

// Login logs in with a JSON body (POST /login) and returns an access
// token, a [Credential] for [Movies.With]. Wrong credentials are
// [ErrInvalidCredentials]; an unverified email address is
// [ErrEmailNotVerified].
func (m *Movies) Login(ctx context.Context, username, password string) (*Token, error) {
	return m.login(ctx, epMoviesLogin, username, password, false)
}

// FormLogin logs in OAuth2-password style with a form body
// (POST /auth/login); username may be the username or the email address.
// It returns and fails like [Movies.Login].
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

// Profile reads the profile of the user whose access token or API key the
// handle carries (GET /user/profile, Bearer); see [Movies.With]. A handle
// without one gets [ErrMissingCredentials] before anything is sent.
func (m *Movies) Profile(ctx context.Context) (*User, error) {
	var u User
	err := m.hp().send(ctx, &call{ep: epMoviesProfile, out: &u})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// ProfileUpdate is a partial profile update for [Movies.UpdateProfile]:
// the Name, Email and Bio that are not nil are sent, the others stay as
// they are. Use [String] to take the address of a literal.
type ProfileUpdate struct {
	Name  *string `json:"name,omitempty"`
	Email *string `json:"email,omitempty"`
	Bio   *string `json:"bio,omitempty"`
}

// UpdateProfile changes the fields of upd that are not nil
// (PUT /user/profile, Bearer, like [Movies.Profile]) and returns the
// updated profile. A taken email address is [ErrConflict].
func (m *Movies) UpdateProfile(ctx context.Context, upd ProfileUpdate) (*User, error) {
	if upd.Name == nil && upd.Email == nil && upd.Bio == nil {
		return nil, argError("Movies.UpdateProfile", "nothing to update")
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"name", upd.Name}, {"email", upd.Email}, {"bio", upd.Bio}} {
		if f.v != nil {
			if err := optionalArgs("Movies.UpdateProfile", f.name, *f.v); err != nil {
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
	if err := requireArgs("Movies.RequestPasswordReset", "email", email); err != nil {
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
// tokens. An unknown or used token is [ErrNotFound]; the call is not
// resent once the server may have received the token.
func (m *Movies) ConfirmPasswordReset(ctx context.Context, token, newPassword string) error {
	if err := requireArgs("Movies.ConfirmPasswordReset", "token", token, "new password", newPassword); err != nil {
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
