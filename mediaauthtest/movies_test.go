package mediaauthtest_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mediaauth/mediaauth/mediaauthtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// send makes a raw request to the fake. A body starting with '{' or '['
// is sent as JSON unless contentType says otherwise.
func send(t *testing.T, srv *mediaauthtest.Server, method, path, contentType, body, bearer string) answer {
	t.Helper()
	return roundTrip(t, srv, method, srv.URL+path, body, func(req *http.Request) {
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
	})
}

func postJSON(t *testing.T, srv *mediaauthtest.Server, path, body string) answer {
	t.Helper()
	return send(t, srv, http.MethodPost, path, "application/json", body, "")
}

// requireError checks the contract's Error body and status.
func requireError(t *testing.T, a answer, status int, code string) map[string]any {
	t.Helper()
	require.Equal(t, status, a.status, "body: %s", a.body)
	m := a.json(t)
	assert.Equal(t, code, m["error"])
	msg, _ := m["message"].(string)
	assert.NotEmpty(t, msg)
	assert.Len(t, m, 2, "only error and message")
	return m
}

const pw = "s3cret-Passw0rd"

func register(t *testing.T, srv *mediaauthtest.Server, username, email string) map[string]any {
	t.Helper()
	a := postJSON(t, srv, "/register", fmt.Sprintf(`{"username":%q,"password":%q,"email":%q}`, username, pw, email))
	require.Equal(t, http.StatusCreated, a.status, "body: %s", a.body)
	return a.json(t)
}

// loginToken registers a verified user through Movies.AddUser and logs in.
func loginToken(t *testing.T, srv *mediaauthtest.Server, username string) string {
	t.Helper()
	_, err := srv.Movies.AddUser(mediaauthtest.MoviesUser{Username: username, Email: username + "@example.com", Password: pw})
	require.NoError(t, err)
	a := postJSON(t, srv, "/login", fmt.Sprintf(`{"username":%q,"password":%q}`, username, pw))
	require.Equal(t, http.StatusOK, a.status, "body: %s", a.body)
	return a.json(t)["access_token"].(string)
}

func TestMoviesRegister(t *testing.T) {
	t.Parallel()
	srv := mediaauthtest.NewServer()
	t.Cleanup(srv.Close)

	a := postJSON(t, srv, "/register", `{"username":"john_doe","password":"secure_password123","email":"john@example.com","name":"John"}`)
	require.Equal(t, http.StatusCreated, a.status)
	u := a.json(t)
	assert.NotEmpty(t, u["id"])
	assert.Equal(t, "john_doe", u["username"])
	assert.Equal(t, "john@example.com", u["email"])
	assert.Equal(t, "John", u["name"])
	assert.Equal(t, false, u["email_verified"])
	_, err := time.Parse(time.RFC3339, u["created_at"].(string))
	require.NoError(t, err)
	assert.NotContains(t, string(a.body), "secure_password123")
	assert.NotContains(t, u, "password")
	assert.NotContains(t, u, "bio", "empty optional fields are left out")

	mail, ok := srv.Movies.LastEmail("JOHN@example.com")
	require.True(t, ok)
	assert.Equal(t, mediaauthtest.EmailVerify, mail.Kind)
	assert.Equal(t, "john@example.com", mail.To)
	assert.NotEmpty(t, mail.Token)
	tok, ok := srv.Movies.VerificationToken("john@example.com")
	require.True(t, ok)
	assert.Equal(t, mail.Token, tok)
	_, ok = srv.Movies.ResetToken("john@example.com")
	assert.False(t, ok)
}

func TestMoviesRegisterConflict(t *testing.T) {
	t.Parallel()
	srv := mediaauthtest.NewServer()
	t.Cleanup(srv.Close)
	register(t, srv, "alice", "alice@example.com")

	for name, body := range map[string]string{
		"same username":          `{"username":"alice","password":"x","email":"other@example.com"}`,
		"username in other case": `{"username":"ALICE","password":"x","email":"other@example.com"}`,
		"same email":             `{"username":"bob","password":"x","email":"alice@example.com"}`,
		"email in other case":    `{"username":"bob","password":"x","email":"Alice@Example.com"}`,
	} {
		t.Run(name, func(t *testing.T) {
			requireError(t, postJSON(t, srv, "/register", body), http.StatusConflict, "conflict")
		})
	}
	assert.Len(t, srv.Movies.Emails(), 1, "no email for refused registrations")
}

func TestMoviesBadRequests(t *testing.T) {
	t.Parallel()
	srv := mediaauthtest.NewServer()
	t.Cleanup(srv.Close)

	tests := []struct {
		name, path, contentType, body string
	}{
		{"register without content type", "/register", "", `{"username":"a","password":"b","email":"a@example.com"}`},
		{"register as form", "/register", "application/x-www-form-urlencoded", "username=a&password=b&email=a@example.com"},
		{"register not JSON", "/register", "application/json", `username=a`},
		{"register empty body", "/register", "application/json", ``},
		{"register array", "/register", "application/json", `[]`},
		{"register null", "/register", "application/json", `null`},
		{"register trailing data", "/register", "application/json", `{"username":"a","password":"b","email":"a@example.com"} {}`},
		{"register missing username", "/register", "application/json", `{"password":"b","email":"a@example.com"}`},
		{"register empty password", "/register", "application/json", `{"username":"a","password":"","email":"a@example.com"}`},
		{"register missing email", "/register", "application/json", `{"username":"a","password":"b"}`},
		{"register bad email", "/register", "application/json", `{"username":"a","password":"b","email":"not-an-email"}`},
		{"register email with name", "/register", "application/json", `{"username":"a","password":"b","email":"A <a@example.com>"}`},
		{"register number username", "/register", "application/json", `{"username":7,"password":"b","email":"a@example.com"}`},
		{"verify missing token", "/verify-email", "application/json", `{}`},
		{"verify token not string", "/verify-email", "application/json", `{"token":true}`},
		{"login missing password", "/login", "application/json", `{"username":"a"}`},
		{"login as form", "/login", "application/x-www-form-urlencoded", `username=a&password=b`},
		{"form login as JSON", "/auth/login", "application/json", `{"username":"a","password":"b"}`},
		{"form login missing username", "/auth/login", "application/x-www-form-urlencoded", `password=b`},
		{"reset missing email", "/password/reset", "application/json", `{}`},
		{"reset bad email", "/password/reset", "application/json", `{"email":"nope"}`},
		{"confirm missing password", "/password/reset/confirm", "application/json", `{"token":"t"}`},
		{"confirm missing token", "/password/reset/confirm", "application/json", `{"password":"p"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			requireError(t, send(t, srv, http.MethodPost, tt.path, tt.contentType, tt.body, ""), http.StatusBadRequest, "invalid_request")
		})
	}

	t.Run("body too large", func(t *testing.T) {
		t.Parallel()
		big := `{"username":"a","password":"b","email":"a@example.com","name":"` + strings.Repeat("x", 70<<10) + `"}`
		requireError(t, postJSON(t, srv, "/register", big), http.StatusBadRequest, "invalid_request")
	})
	t.Run("message does not echo the body", func(t *testing.T) {
		t.Parallel()
		a := postJSON(t, srv, "/login", `{"username":"a","password":12345678}`)
		requireError(t, a, http.StatusBadRequest, "invalid_request")
		assert.NotContains(t, string(a.body), "12345678")
	})
}

func TestMoviesLogin(t *testing.T) {
	t.Parallel()
	srv, clock := startFake(t, mediaauthtest.WithMoviesTokenTTL(30*time.Minute))
	_, err := srv.Movies.AddUser(mediaauthtest.MoviesUser{Username: "dave", Email: "dave@example.com", Password: pw})
	require.NoError(t, err)
	_, err = srv.Movies.AddUser(mediaauthtest.MoviesUser{Username: "erin", Email: "erin@example.com", Password: pw, Unverified: true})
	require.NoError(t, err)

	form := func(user, pass string) answer {
		return send(t, srv, http.MethodPost, "/auth/login", "application/x-www-form-urlencoded",
			url.Values{"username": {user}, "password": {pass}}.Encode(), "")
	}
	jsonLogin := func(user, pass string) answer {
		return postJSON(t, srv, "/login", fmt.Sprintf(`{"username":%q,"password":%q}`, user, pass))
	}

	t.Run("success", func(t *testing.T) {
		for name, a := range map[string]answer{
			"JSON":             jsonLogin("dave", pw),
			"JSON other case":  jsonLogin("DAVE", pw),
			"form username":    form("dave", pw),
			"form email":       form("dave@example.com", pw),
			"form email upper": form("Dave@Example.COM", pw),
		} {
			t.Run(name, func(t *testing.T) {
				require.Equal(t, http.StatusOK, a.status, "body: %s", a.body)
				assert.Equal(t, "no-store", a.header.Get("Cache-Control"))
				m := a.json(t)
				assert.Equal(t, "bearer", m["token_type"])
				assert.EqualValues(t, 1800, m["expires_in"])
				tok := m["access_token"].(string)
				parts := strings.Split(tok, ".")
				require.Len(t, parts, 3, "JWT-shaped")
				payload, err := base64.RawURLEncoding.DecodeString(parts[1])
				require.NoError(t, err)
				var claims struct {
					Sub string `json:"sub"`
					Iat int64  `json:"iat"`
					Exp int64  `json:"exp"`
				}
				require.NoError(t, json.Unmarshal(payload, &claims))
				assert.NotEmpty(t, claims.Sub)
				assert.Equal(t, clock.Now().Unix(), claims.Iat)
				assert.Equal(t, clock.Now().Add(30*time.Minute).Unix(), claims.Exp)
			})
		}
	})

	t.Run("failures", func(t *testing.T) {
		tests := []struct {
			name   string
			a      answer
			status int
			code   string
		}{
			{"wrong password", jsonLogin("dave", "wrong"), http.StatusUnauthorized, "invalid_credentials"},
			{"unknown user", jsonLogin("nobody", pw), http.StatusUnauthorized, "invalid_credentials"},
			{"JSON login takes no email", jsonLogin("dave@example.com", pw), http.StatusUnauthorized, "invalid_credentials"},
			{"form wrong password", form("dave@example.com", "wrong"), http.StatusUnauthorized, "invalid_credentials"},
			{"unverified", jsonLogin("erin", pw), http.StatusForbidden, "email_not_verified"},
			{"unverified form", form("erin@example.com", pw), http.StatusForbidden, "email_not_verified"},
			{"unverified wrong password", jsonLogin("erin", "wrong"), http.StatusUnauthorized, "invalid_credentials"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				requireError(t, tt.a, tt.status, tt.code)
				if tt.status == http.StatusUnauthorized {
					assert.Equal(t, `Bearer realm="movies"`, tt.a.header.Get("WWW-Authenticate"))
				}
			})
		}
	})
}

func TestMoviesBearer(t *testing.T) {
	t.Parallel()
	srv, clock := startFake(t, mediaauthtest.WithMoviesTokenTTL(time.Minute))
	tok := loginToken(t, srv, "frank")

	get := func(auth string) answer {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/user/profile", nil)
		require.NoError(t, err)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := srv.HTTPClient().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return answer{resp.StatusCode, resp.Header, data}
	}

	ok := get("Bearer " + tok)
	require.Equal(t, http.StatusOK, ok.status)
	assert.Equal(t, "frank", ok.json(t)["username"])
	assert.Equal(t, http.StatusOK, get("bearer "+tok).status, "scheme is case-insensitive")

	tests := []struct {
		name, auth, code, challenge string
	}{
		{"missing", "", "invalid_token", `Bearer realm="movies"`},
		{"basic scheme", "Basic Zm9vOmJhcg==", "invalid_token", `Bearer realm="movies"`},
		{"empty bearer", "Bearer ", "invalid_token", `Bearer realm="movies"`},
		{"unknown token", "Bearer eyJ.x.y", "invalid_token",
			`Bearer realm="movies", error="invalid_token", error_description="the access token or API key is invalid"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := get(tt.auth)
			requireError(t, a, http.StatusUnauthorized, tt.code)
			assert.Equal(t, tt.challenge, a.header.Get("WWW-Authenticate"))
		})
	}

	t.Run("expired by the clock", func(t *testing.T) {
		clock.Advance(time.Minute)
		a := get("Bearer " + tok)
		requireError(t, a, http.StatusUnauthorized, "token_expired")
		assert.Equal(t, `Bearer realm="movies", error="invalid_token", error_description="the access token expired"`,
			a.header.Get("WWW-Authenticate"))
	})
}

func TestMoviesExpireTokens(t *testing.T) {
	t.Parallel()
	srv := mediaauthtest.NewServer()
	t.Cleanup(srv.Close)
	tok := loginToken(t, srv, "gina")
	key := send(t, srv, http.MethodPost, "/user/api-key", "", "", tok)
	require.Equal(t, http.StatusCreated, key.status)

	srv.Movies.ExpireTokens()
	requireError(t, send(t, srv, http.MethodGet, "/user/profile", "", "", tok), http.StatusUnauthorized, "token_expired")
	assert.Equal(t, http.StatusOK, send(t, srv, http.MethodGet, "/user/profile", "", "", key.json(t)["api_key"].(string)).status,
		"API keys do not expire")

	fresh := postJSON(t, srv, "/login", fmt.Sprintf(`{"username":"gina","password":%q}`, pw))
	require.Equal(t, http.StatusOK, fresh.status)
	assert.Equal(t, http.StatusOK, send(t, srv, http.MethodGet, "/user/profile", "", "", fresh.json(t)["access_token"].(string)).status,
		"tokens issued later work")
}

func TestMoviesWrongMethod(t *testing.T) {
	t.Parallel()
	srv := mediaauthtest.NewServer()
	t.Cleanup(srv.Close)
	a := send(t, srv, http.MethodDelete, "/user/profile", "", "", "")
	assert.Equal(t, http.StatusMethodNotAllowed, a.status)
	a = send(t, srv, http.MethodGet, "/register", "", "", "")
	assert.Equal(t, http.StatusMethodNotAllowed, a.status)
}

func TestMoviesConcurrentRegister(t *testing.T) {
	t.Parallel()
	srv := mediaauthtest.NewServer()
	t.Cleanup(srv.Close)
	const n = 16
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"username":"race","password":"p","email":"race%d@example.com"}`, i)
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/register", strings.NewReader(body))
			if err != nil {
				statuses <- 0
				return
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := srv.HTTPClient().Do(req)
			if err != nil {
				statuses <- 0
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for s := range statuses {
		counts[s]++
	}
	assert.Equal(t, map[int]int{http.StatusCreated: 1, http.StatusConflict: n - 1}, counts)
}

func TestMoviesAddUser(t *testing.T) {
	t.Parallel()
	srv := mediaauthtest.NewServer()
	t.Cleanup(srv.Close)

	u, err := srv.Movies.AddUser(mediaauthtest.MoviesUser{Username: "liz", Email: "liz@example.com", Password: pw, Name: "Liz", Bio: "Hi"})
	require.NoError(t, err)
	assert.NotEmpty(t, u.ID)
	assert.True(t, u.EmailVerified)
	assert.Equal(t, "Liz", u.Name)
	assert.Equal(t, "Hi", u.Bio)
	_, ok := srv.Movies.LastEmail("liz@example.com")
	assert.False(t, ok, "a verified account gets no verification email")

	u, err = srv.Movies.AddUser(mediaauthtest.MoviesUser{Username: "max", Email: "max@example.com", Password: pw, Unverified: true})
	require.NoError(t, err)
	assert.False(t, u.EmailVerified)
	_, ok = srv.Movies.VerificationToken("max@example.com")
	assert.True(t, ok)

	for name, mu := range map[string]mediaauthtest.MoviesUser{
		"taken username": {Username: "liz", Email: "other@example.com", Password: pw},
		"taken email":    {Username: "other", Email: "liz@example.com", Password: pw},
		"no password":    {Username: "other", Email: "other@example.com"},
		"bad email":      {Username: "other", Email: "other", Password: pw},
	} {
		_, err := srv.Movies.AddUser(mu)
		assert.Error(t, err, name)
	}
}

func TestMoviesSecretsDoNotPrint(t *testing.T) {
	t.Parallel()
	mail := mediaauthtest.Email{To: "a@example.com", Kind: mediaauthtest.EmailVerify, Token: "vrf_secret_token"}
	user := mediaauthtest.MoviesUser{Username: "a", Email: "a@example.com", Password: "the-password", APIKey: "mk_the_api_key"}
	var logs strings.Builder
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	logger.Info("values", "mail", mail, "user", user)
	for _, v := range []any{mail, user, &mail, &user} {
		out := fmt.Sprintf("%v %+v %#v %s %q", v, v, v, v, v) + logs.String()
		assert.NotContains(t, out, "vrf_secret_token")
		assert.NotContains(t, out, "the-password")
		assert.NotContains(t, out, "mk_the_api_key")
		assert.Contains(t, out, "[REDACTED]")
	}
}
