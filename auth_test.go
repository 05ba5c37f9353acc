package mediaauth_test

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
)

// unitBase is the Movies API base URL of the httpmock unit tests.
const unitBase = "https://movies.test"

// unitJWT builds an unsigned JWT-shaped token with the given claims JSON.
func unitJWT(claims string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		enc.EncodeToString([]byte(claims)) + ".c2lnbmF0dXJl"
}

// The success bodies most Movies API unit tests answer with: the golden
// bodies of GET /user/profile and POST /login, which the fake's tests hold
// the fake to as well (testdata/bodies/README.md).
var (
	//go:embed testdata/bodies/movies/profile_200.json
	unitUserJSON string
	//go:embed testdata/bodies/movies/login_200.json
	unitTokenJSON string
)

var unitUser = mediaauth.User{
	ID: "u1", Username: "john_doe", Email: "john@example.com", Name: "John Doe",
	Bio: "Developer", EmailVerified: true, CreatedAt: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
}

// unitRegistered is the user in testdata/bodies/movies/register_201.json: a
// new account, not verified yet.
var unitRegistered = mediaauth.User{
	ID: "u1", Username: "john_doe", Email: "john@example.com", Name: "John Doe",
	CreatedAt: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
}

// TestMoviesRequests checks method, path, headers and body of every Movies
// API method, and what each decodes from a success answer.
func TestMoviesRequests(t *testing.T) {
	t.Parallel()
	const clientToken = "client-access-token"
	tests := []struct {
		name     string
		method   string
		path     string
		status   int
		respBody string
		call     func(context.Context, *mediaauth.Client) (any, error)
		wantAuth bool
		wantJSON string     // expected JSON body; "" with wantForm nil means no body
		wantForm url.Values // expected form body
		want     any
	}{
		{
			name: "Register", method: http.MethodPost, path: "/register", status: http.StatusCreated,
			respBody: readTestdata(t, "bodies/movies/register_201.json"),
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) {
				return c.Movies.Register(ctx, mediaauth.RegisterRequest{Username: "john_doe", Password: "secure_password123", Email: "john@example.com"})
			},
			wantJSON: `{"username":"john_doe","password":"secure_password123","email":"john@example.com"}`,
			want:     &unitRegistered,
		},
		{
			name: "Register with name", method: http.MethodPost, path: "/register", status: http.StatusCreated,
			respBody: readTestdata(t, "bodies/movies/register_201.json"),
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) {
				return c.Movies.Register(ctx, mediaauth.RegisterRequest{Username: "john_doe", Password: "pw", Email: "john@example.com", Name: "John Doe"})
			},
			wantJSON: `{"username":"john_doe","password":"pw","email":"john@example.com","name":"John Doe"}`,
			want:     &unitRegistered,
		},
		{
			name: "VerifyEmail", method: http.MethodPost, path: "/verify-email", status: http.StatusNoContent,
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) {
				return nil, c.Movies.VerifyEmail(ctx, "verify-tok")
			},
			wantJSON: `{"token":"verify-tok"}`,
		},
		{
			name: "Login", method: http.MethodPost, path: "/login", status: http.StatusOK,
			respBody: unitTokenJSON,
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) {
				return c.Movies.Login(ctx, "john_doe", "secure_password123")
			},
			wantJSON: `{"username":"john_doe","password":"secure_password123"}`,
			want:     &mediaauth.Token{AccessToken: "tok-abc", TokenType: "bearer"},
		},
		{
			name: "FormLogin", method: http.MethodPost, path: "/auth/login", status: http.StatusOK,
			respBody: readTestdata(t, "bodies/movies/form_login_200.json"),
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) {
				return c.Movies.FormLogin(ctx, "user@example.com", "p@ss w&rd=1+2")
			},
			wantForm: url.Values{"username": {"user@example.com"}, "password": {"p@ss w&rd=1+2"}},
			want:     &mediaauth.Token{AccessToken: "tok-abc", TokenType: "Bearer"},
		},
		{
			name: "Profile", method: http.MethodGet, path: "/user/profile", status: http.StatusOK, respBody: unitUserJSON,
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) {
				return c.Movies.Profile(ctx)
			},
			wantAuth: true,
			want:     &unitUser,
		},
		{
			name: "UpdateProfile all fields", method: http.MethodPut, path: "/user/profile", status: http.StatusOK, respBody: unitUserJSON,
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) {
				return c.Movies.UpdateProfile(ctx, mediaauth.ProfileUpdate{
					Name: mediaauth.String("John Doe"), Email: mediaauth.String("john.doe@example.com"), Bio: mediaauth.String("Developer and tech enthusiast."),
				})
			},
			wantAuth: true,
			wantJSON: `{"name":"John Doe","email":"john.doe@example.com","bio":"Developer and tech enthusiast."}`,
			want:     &unitUser,
		},
		{
			name: "UpdateProfile only bio", method: http.MethodPut, path: "/user/profile", status: http.StatusOK, respBody: unitUserJSON,
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) {
				return c.Movies.UpdateProfile(ctx, mediaauth.ProfileUpdate{Bio: mediaauth.String("new bio")})
			},
			wantAuth: true,
			wantJSON: `{"bio":"new bio"}`,
			want:     &unitUser,
		},
		{
			name: "UpdateProfile clears name", method: http.MethodPut, path: "/user/profile", status: http.StatusOK, respBody: unitUserJSON,
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) {
				return c.Movies.UpdateProfile(ctx, mediaauth.ProfileUpdate{Name: mediaauth.String("")})
			},
			wantAuth: true,
			wantJSON: `{"name":""}`,
			want:     &unitUser,
		},
		{
			name: "RequestPasswordReset", method: http.MethodPost, path: "/password/reset", status: http.StatusAccepted,
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) {
				return nil, c.Movies.RequestPasswordReset(ctx, "john@example.com")
			},
			wantJSON: `{"email":"john@example.com"}`,
		},
		{
			name: "ConfirmPasswordReset", method: http.MethodPost, path: "/password/reset/confirm", status: http.StatusNoContent,
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) {
				return nil, c.Movies.ConfirmPasswordReset(ctx, "reset-tok", "new-password")
			},
			wantJSON: `{"token":"reset-tok","password":"new-password"}`,
		},
		{
			name: "APIKey", method: http.MethodGet, path: "/user/api-key", status: http.StatusOK,
			respBody: readTestdata(t, "bodies/movies/api_key_200.json"),
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) {
				return c.Movies.FetchAPIKey(ctx)
			},
			wantAuth: true,
			want:     &mediaauth.APIKey{Key: "key-123", CreatedAt: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
		},
		{
			name: "GenerateAPIKey", method: http.MethodPost, path: "/user/api-key", status: http.StatusCreated,
			respBody: readTestdata(t, "bodies/movies/api_key_201.json"),
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) {
				return c.Movies.GenerateAPIKey(ctx)
			},
			wantAuth: true,
			want:     &mediaauth.APIKey{Key: "generated-key", CreatedAt: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := unitClient(t, mediaauth.WithCredentials(mediaauth.Token{AccessToken: clientToken}))
			var rec recorder
			mt.RegisterResponder(tt.method, unitBase+tt.path, rec.respond(tt.status, tt.respBody))

			got, err := tt.call(t.Context(), c)
			require.NoError(t, err)

			reqs := rec.requests()
			require.Len(t, reqs, 1, "exactly one request")
			r := reqs[0]
			assert.Equal(t, tt.method, r.Method)
			assert.Equal(t, tt.path, r.Path)
			assert.Empty(t, r.RawQuery, "no query string")
			assert.Equal(t, "application/json", r.Header.Get("Accept"))
			assert.Equal(t, mediaauth.DefaultUserAgent, r.Header.Get("User-Agent"))
			if tt.wantAuth {
				assert.Equal(t, "Bearer "+clientToken, r.Header.Get("Authorization"))
			} else {
				assert.NotContains(t, r.Header, "Authorization", "credentials must not be sent to %s", tt.path)
			}
			switch {
			case tt.wantForm != nil:
				assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
				form, err := url.ParseQuery(string(r.Body))
				require.NoError(t, err)
				assert.Equal(t, tt.wantForm, form)
			case tt.wantJSON != "":
				assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
				assert.JSONEq(t, tt.wantJSON, string(r.Body))
			default:
				assert.Empty(t, r.Body, "no request body")
				assert.NotContains(t, r.Header, "Content-Type")
			}

			if tt.want == nil {
				assert.Nil(t, got)
				return
			}
			if tok, ok := got.(*mediaauth.Token); ok {
				// Expiry is covered by TestTokenExpiry.
				tok.ExpiresAt = time.Time{}
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestTokenExpiry checks how Login and FormLogin work out Token.ExpiresAt.
func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	jwtExp := unitJWT(`{"sub":"123","exp":2000000000}`)
	jwtFracExp := unitJWT(`{"exp":2000000000.5}`)
	jwtNoExp := unitJWT(`{"sub":"123","iat":1516239022}`)
	// The token of the seed and spec examples: a JWT without exp.
	const seedJWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoxMjM0NTY3ODkwLCJleHBpcmVkX3N0YW5kYXJkX2Zyb20iOiJodHRwczovL2V4YW1wbGUuY29tIiwiaWF0IjoxNTE2MjM5MDIyfQ.KqUW0S5P0Pf9AZVJZg20WA5PKo2t6pfmbVN2GMRbbyI"
	tests := []struct {
		name      string
		body      string
		expiresIn time.Duration // > 0: ExpiresAt is now + expiresIn
		exact     time.Time     // non-zero: ExpiresAt is exactly this
	}{
		{name: "expires_in", body: `{"access_token":"opaque","token_type":"bearer","expires_in":3600}`, expiresIn: time.Hour},
		{name: "JWT exp claim", body: `{"access_token":"` + jwtExp + `","token_type":"bearer"}`, exact: time.Unix(2000000000, 0)},
		{name: "JWT fractional exp", body: `{"access_token":"` + jwtFracExp + `","token_type":"bearer"}`, exact: time.Unix(2000000000, 5e8)},
		{name: "expires_in wins over exp", body: `{"access_token":"` + jwtExp + `","token_type":"bearer","expires_in":60}`, expiresIn: time.Minute},
		{name: "JWT without exp", body: `{"access_token":"` + jwtNoExp + `","token_type":"bearer"}`},
		{name: "seed example token", body: `{"access_token":"` + seedJWT + `","token_type":"bearer"}`},
		{name: "opaque token", body: `{"access_token":"opaque","token_type":"bearer"}`},
		{name: "not base64 JWT", body: `{"access_token":"a.!!!.c","token_type":"bearer"}`},
		{name: "expires_in null", body: `{"access_token":"opaque","token_type":"bearer","expires_in":null}`},
	}
	for _, tt := range tests {
		for _, form := range []bool{false, true} {
			name := tt.name + "/Login"
			if form {
				name = tt.name + "/FormLogin"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				c, mt := unitClient(t)
				var rec recorder
				path := "/login"
				login := c.Movies.Login
				if form {
					path, login = "/auth/login", c.Movies.FormLogin
				}
				mt.RegisterResponder(http.MethodPost, unitBase+path, rec.respond(http.StatusOK, tt.body))
				before := time.Now()
				tok, err := login(t.Context(), "john_doe", "pw")
				after := time.Now()
				require.NoError(t, err)
				switch {
				case tt.expiresIn > 0:
					assert.False(t, tok.ExpiresAt.Before(before.Add(tt.expiresIn)), "ExpiresAt %v too early", tok.ExpiresAt)
					assert.False(t, tok.ExpiresAt.After(after.Add(tt.expiresIn)), "ExpiresAt %v too late", tok.ExpiresAt)
					assert.False(t, tok.Expired(after))
					assert.True(t, tok.Expired(after.Add(tt.expiresIn)))
				case !tt.exact.IsZero():
					assert.True(t, tt.exact.Equal(tok.ExpiresAt), "ExpiresAt %v, want %v", tok.ExpiresAt, tt.exact)
				default:
					assert.True(t, tok.ExpiresAt.IsZero(), "ExpiresAt %v, want zero", tok.ExpiresAt)
					assert.False(t, tok.Expired(time.Now().Add(100*365*24*time.Hour)), "unknown expiry never expires")
				}
			})
		}
	}
}

// TestTokenHugeExpiresIn checks that an absurd expires_in does not overflow
// into an expiry in the past.
func TestTokenHugeExpiresIn(t *testing.T) {
	t.Parallel()
	c, mt := unitClient(t)
	var rec recorder
	mt.RegisterResponder(http.MethodPost, unitBase+"/login", rec.respond(http.StatusOK, `{"access_token":"x","token_type":"bearer","expires_in":9223372036854775807}`))
	tok, err := c.Movies.Login(t.Context(), "u", "p")
	require.NoError(t, err)
	assert.True(t, tok.ExpiresAt.After(time.Now().Add(50*365*24*time.Hour)), "ExpiresAt %v", tok.ExpiresAt)
	assert.False(t, tok.Expired(time.Now()))
}

// TestTokenResponseValidation checks that a 200 whose token body breaks the
// contract is ErrMalformedResponse.
func TestTokenResponseValidation(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"no access_token":     `{"token_type":"bearer"}`,
		"empty access_token":  `{"access_token":"","token_type":"bearer"}`,
		"no token_type":       `{"access_token":"x"}`,
		"wrong token_type":    `{"access_token":"x","token_type":"mac"}`,
		"negative expires_in": `{"access_token":"x","token_type":"bearer","expires_in":-5}`,
		"string expires_in":   `{"access_token":"x","token_type":"bearer","expires_in":"3600"}`,
		"array":               `[]`,
		"null":                `null`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mt := unitClient(t)
			var rec recorder
			mt.RegisterResponder(http.MethodPost, unitBase+"/login", rec.respond(http.StatusOK, body))
			tok, err := c.Movies.Login(t.Context(), "u", "p")
			require.Error(t, err)
			assert.Nil(t, tok)
			assert.ErrorIs(t, err, mediaauth.ErrMalformedResponse)
			var apiErr *mediaauth.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, http.StatusOK, apiErr.StatusCode)
			assert.Equal(t, "/login", apiErr.Path)
			assert.NotContains(t, err.Error(), "\"x\"", "the access token must not be echoed")
		})
	}
}

// TestUserResponseValidation checks that a user body without id or username
// is ErrMalformedResponse.
func TestUserResponseValidation(t *testing.T) {
	t.Parallel()
	c, mt := unitClient(t, mediaauth.WithCredentials(mediaauth.Token{AccessToken: "t"}))
	var rec recorder
	mt.RegisterResponder(http.MethodGet, unitBase+"/user/profile", rec.respond(http.StatusOK, `{"email":"a@b.c"}`))
	u, err := c.Movies.Profile(t.Context())
	assert.Nil(t, u)
	assert.ErrorIs(t, err, mediaauth.ErrMalformedResponse)
}

// TestMoviesInputValidation checks that arguments the contract refuses are
// ErrInvalidArgument before any request is sent (ErrBadRequest is for a
// server's 400 only).
func TestMoviesInputValidation(t *testing.T) {
	t.Parallel()
	calls := map[string]func(context.Context, *mediaauth.Client) error{
		"Register no username": func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.Movies.Register(ctx, mediaauth.RegisterRequest{Password: "p", Email: "e@x"})
			return err
		},
		"Register no password": func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.Movies.Register(ctx, mediaauth.RegisterRequest{Username: "u", Email: "e@x"})
			return err
		},
		"Register no email": func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.Movies.Register(ctx, mediaauth.RegisterRequest{Username: "u", Password: "p"})
			return err
		},
		"VerifyEmail empty": func(ctx context.Context, c *mediaauth.Client) error { return c.Movies.VerifyEmail(ctx, "") },
		"Login no username": func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.Movies.Login(ctx, "", "p")
			return err
		},
		"Login no password": func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.Movies.Login(ctx, "u", "")
			return err
		},
		"FormLogin no password": func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.Movies.FormLogin(ctx, "u", "")
			return err
		},
		"UpdateProfile nothing": func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.Movies.UpdateProfile(ctx, mediaauth.ProfileUpdate{})
			return err
		},
		"RequestPasswordReset empty": func(ctx context.Context, c *mediaauth.Client) error { return c.Movies.RequestPasswordReset(ctx, "") },
		"ConfirmPasswordReset no token": func(ctx context.Context, c *mediaauth.Client) error {
			return c.Movies.ConfirmPasswordReset(ctx, "", "p")
		},
		"ConfirmPasswordReset no password": func(ctx context.Context, c *mediaauth.Client) error {
			return c.Movies.ConfirmPasswordReset(ctx, "t", "")
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mt := unitClient(t, mediaauth.WithCredentials(mediaauth.Token{AccessToken: "t"}))
			err := call(t.Context(), c)
			assert.ErrorIs(t, err, mediaauth.ErrInvalidArgument)
			assert.NotErrorIs(t, err, mediaauth.ErrBadRequest)
			assert.Zero(t, mt.GetTotalCallCount(), "no request may be sent")
		})
	}
}

// TestSecretsNeverPrinted checks every fmt verb and both slog handlers on
// each type that carries a secret.
func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-VALUE-9f8e7d"
	c, err := mediaauth.New(
		mediaauth.WithMoviesBaseURL(unitBase),
		mediaauth.WithCredentials(mediaauth.Token{AccessToken: secret}),
		mediaauth.WithCredentials(&mediaauth.TVmazeCredentials{Username: "alice", APIKey: secret}),
		mediaauth.WithCredentials(mediaauth.TMDbAPIKey(secret)),
		mediaauth.WithCredentials(mediaauth.TMDbReadAccessToken(secret)),
	)
	require.NoError(t, err)
	tok := mediaauth.Token{AccessToken: secret, TokenType: "bearer", ExpiresAt: time.Unix(2000000000, 0)}
	key := mediaauth.APIKey{Key: secret, CreatedAt: time.Unix(1700000000, 0)}
	reg := mediaauth.RegisterRequest{Username: "alice", Password: secret, Email: "a@example.com"}
	creds := mediaauth.TVmazeCredentials{Username: "alice", APIKey: secret}
	values := map[string]any{
		"Token":             tok,
		"*Token":            &tok,
		"APIKey":            key,
		"*APIKey":           &key,
		"RegisterRequest":   reg,
		"*RegisterRequest":  &reg,
		"TVmazeCredentials": creds,
		"*TVmazeCreds":      &creds,
		"*Client":           c,
		"derived *Client":   c.With(mediaauth.Token{AccessToken: secret + "-2"}),
	}
	// Nested values go through fmt's Formatter too. (slog's JSON handler
	// marshals nested structs with encoding/json, which is not redaction:
	// only top-level values are LogValuers.)
	nested := map[string]any{
		"struct of them": struct{ T mediaauth.Token }{tok},
		"slice of them":  []any{tok, key, reg, creds, c},
	}
	// The secret's hex form catches %x output of a raw string.
	hexSecret := fmt.Sprintf("%x", secret)
	all := map[string]any{}
	for name, v := range values {
		all[name] = v
	}
	for name, v := range nested {
		all[name] = v
	}
	for name, v := range all {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3v"} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, secret, "%s %s: %s", name, verb, out)
			assert.NotContains(t, strings.ToLower(out), hexSecret, "%s %s: %s", name, verb, out)
		}
		assert.Contains(t, fmt.Sprint(v), "[REDACTED]", name)
		if _, ok := nested[name]; ok {
			continue
		}
		for handler, newHandler := range map[string]func(io.Writer) slog.Handler{
			"text": func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) },
			"json": func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) },
		} {
			var buf bytes.Buffer
			slog.New(newHandler(&buf)).Info("value", "v", v, slog.Any("any", v), slog.Group("g", "v", v))
			assert.NotContains(t, buf.String(), secret, "%s slog %s: %s", name, handler, buf.String())
		}
	}
	// Non-secret fields stay readable.
	assert.Contains(t, fmt.Sprint(creds), "alice")
	assert.Contains(t, fmt.Sprint(tok), "2033-05-18T03:33:20Z")
	assert.Contains(t, fmt.Sprint(mediaauth.Token{}), `AccessToken:""`, "an empty secret shows as empty")
}

// TestRegisterRequestJSONKeepsPassword checks that redaction is for printing
// only: the request body still carries the password.
func TestRegisterRequestJSONKeepsPassword(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(mediaauth.RegisterRequest{Username: "u", Password: "pw", Email: "e@x"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"username":"u","password":"pw","email":"e@x"}`, string(b))
}
