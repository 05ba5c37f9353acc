package mediaauth_test

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/mediaauth/mediaauth"
)

// Fixtures of the TMDb v4 unit tests. The base URL is TMDb's API root,
// under which /3 and /4 live.
const (
	v4UnitBase    = "https://tmdb.test"
	v4UnitKey     = "v4-unit-api-key-5ecret"
	v4UnitRead    = "v4-unit-read-token-5ecret"
	v4UnitRequest = "eyJhbGciOiJIUzI1NiJ9.v4-request-5ecret.c2ln"
	v4UnitAccess  = "eyJhbGciOiJIUzI1NiJ9.v4-access-5ecret.c2ln"
	v4UnitAccount = "4bc889XXXXXXXXXXXXXXXXXX"
)

// The success answers of the TMDb v4 methods: the golden bodies of
// testdata/bodies/tmdbv4, which the fake's tests hold the fake to as well.
// v4UnitRequestJSON holds v4UnitRequest; v4UnitAccessJSON v4UnitAccount and
// v4UnitAccess.
var (
	//go:embed testdata/bodies/tmdbv4/request_token_200.json
	v4UnitRequestJSON string
	//go:embed testdata/bodies/tmdbv4/access_token_200.json
	v4UnitAccessJSON string
	//go:embed testdata/bodies/tmdbv4/access_token_deleted_200.json
	v4UnitDeletedJSON string
)

// v4UnitSecrets are the secrets no error or printed value may show.
var v4UnitSecrets = []string{v4UnitKey, v4UnitRead, v4UnitRequest, v4UnitAccess}

// v4Echo is server or transport text that quotes the client's credentials
// and the secret inputs of the call.
func v4Echo(m v4Method) string {
	return "Refused " + strings.Join(append([]string{v4UnitKey, v4UnitRead}, m.secrets...), " ")
}

// v4NilResult reports whether a method's result is nil (or it has none).
func v4NilResult(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case *mediaauth.TMDbV4RequestToken:
		return v == nil
	case *mediaauth.TMDbAccessToken:
		return v == nil
	}
	return false
}

// v4SyncWriter serializes writes to w.
type v4SyncWriter struct {
	mu sync.Mutex
	w  bytes.Buffer
}

func (s *v4SyncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *v4SyncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

// v4Client is a TMDb client on an httpmock transport, with both the API
// key and the read access token (so that the tests see which one goes),
// retries off and no client-side rate limit, unless opts say otherwise.
func v4Client(t testing.TB, opts ...mediaauth.Option) (*mediaauth.Client, *httpmock.MockTransport) {
	t.Helper()
	base := []mediaauth.Option{
		mediaauth.WithRateLimit(mediaauth.APITMDb, rate.Inf, 0),
		mediaauth.WithCredentials(mediaauth.TMDbAPIKey(v4UnitKey), mediaauth.TMDbReadAccessToken(v4UnitRead)),
	}
	return mockClient(t, mediaauth.WithTMDbBaseURL(v4UnitBase), append(base, opts...)...)
}

// v4Method is one v4 method of the client, for table tests.
type v4Method struct {
	name    string
	method  string
	path    string
	body    string   // the JSON body it must send
	answer  string   // a success answer
	secrets []string // the secret inputs of the call
	call    func(ctx context.Context, c *mediaauth.Client) (any, error)
}

func v4Methods() []v4Method {
	return []v4Method{
		{
			name: "CreateV4RequestToken", method: http.MethodPost, path: "/4/auth/request_token",
			body: `{}`, answer: v4UnitRequestJSON,
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) {
				return c.TMDb.CreateV4RequestToken(ctx, "")
			},
		},
		{
			name: "CreateV4RequestToken redirect", method: http.MethodPost, path: "/4/auth/request_token",
			body: `{"redirect_to":"http://localhost:8080/done?a=1\u0026b=2"}`, answer: v4UnitRequestJSON,
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) {
				return c.TMDb.CreateV4RequestToken(ctx, "http://localhost:8080/done?a=1&b=2")
			},
		},
		{
			name: "CreateV4AccessToken", method: http.MethodPost, path: "/4/auth/access_token",
			body: `{"request_token":"` + v4UnitRequest + `"}`, answer: v4UnitAccessJSON, secrets: []string{v4UnitRequest},
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) {
				return c.TMDb.CreateV4AccessToken(ctx, mediaauth.TMDbV4RequestToken{Token: v4UnitRequest})
			},
		},
		{
			name: "DeleteV4AccessToken", method: http.MethodDelete, path: "/4/auth/access_token",
			body: `{"access_token":"` + v4UnitAccess + `"}`, answer: v4UnitDeletedJSON, secrets: []string{v4UnitAccess},
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) {
				return nil, c.TMDb.With(mediaauth.TMDbAccessToken{AccessToken: v4UnitAccess}).DeleteV4AccessToken(ctx)
			},
		},
	}
}

// TestTMDbV4WireFormat checks method, path, headers and body of every v4
// call: the read access token as the Bearer token, never the API key, nor
// the user's access token the client may carry.
func TestTMDbV4WireFormat(t *testing.T) {
	t.Parallel()
	users := map[string][]mediaauth.Credential{
		"application only": nil,
		"with a v4 user":   {mediaauth.TMDbAccessToken{AccessToken: "user-token-5ecret", AccountID: "a"}},
		"with a session":   {mediaauth.Session{ID: "session-5ecret"}},
	}
	for _, m := range v4Methods() {
		for name, user := range users {
			t.Run(m.name+"/"+name, func(t *testing.T) {
				t.Parallel()
				c, mt := v4Client(t)
				if user != nil {
					c = c.With(user...)
				}
				var log recorder
				mt.RegisterResponder(m.method, v4UnitBase+m.path, log.respondTMDb(http.StatusOK, m.answer))

				_, err := m.call(t.Context(), c)
				require.NoError(t, err)

				reqs := log.requests()
				require.Len(t, reqs, 1)
				r := reqs[0]
				assert.Equal(t, m.method, r.Method)
				assert.Equal(t, m.path, r.Path)
				assert.Empty(t, r.RawQuery, "no api_key, no session_id")
				assert.Equal(t, []string{"Bearer " + v4UnitRead}, r.Header.Values("Authorization"))
				assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
				assert.Equal(t, "application/json", r.Header.Get("Accept"))
				assert.Equal(t, mediaauth.DefaultUserAgent, r.Header.Get("User-Agent"))
				assert.JSONEq(t, m.body, string(r.Body))
				assert.Equal(t, m.body, string(r.Body), "compact JSON")
			})
		}
	}
}

// TestTMDbV4Decoding checks the values the calls return.
func TestTMDbV4Decoding(t *testing.T) {
	t.Parallel()
	c, mt := v4Client(t)
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	mediaauth.SetClock(c, func() time.Time { return now })
	var log recorder
	for _, m := range v4Methods() {
		mt.RegisterResponder(m.method, v4UnitBase+m.path, log.respondTMDb(http.StatusOK, m.answer))
	}
	ctx := t.Context()

	rt, err := c.TMDb.CreateV4RequestToken(ctx, "")
	require.NoError(t, err)
	assert.Equal(t, v4UnitRequest, rt.Token)
	assert.Equal(t, now.UTC(), rt.CreatedAt)
	assert.Equal(t, time.UTC, rt.CreatedAt.Location())
	assert.Equal(t, now.Add(15*time.Minute).UTC(), rt.ExpiresAt)
	assert.Equal(t, 15*time.Minute, mediaauth.TMDbV4RequestTokenLifetime)
	assert.False(t, rt.Expired(now.Add(15*time.Minute-time.Second)))
	assert.True(t, rt.Expired(now.Add(15*time.Minute)))
	assert.False(t, mediaauth.TMDbV4RequestToken{}.Expired(now), "an unknown expiry is not expired")

	tok, err := c.TMDb.CreateV4AccessToken(ctx, *rt)
	require.NoError(t, err)
	assert.Equal(t, &mediaauth.TMDbAccessToken{AccessToken: v4UnitAccess, AccountID: v4UnitAccount}, tok)
	require.NoError(t, c.TMDb.With(*tok).DeleteV4AccessToken(ctx))

	// The stable JSON forms.
	data, err := json.Marshal(rt)
	require.NoError(t, err)
	assert.JSONEq(t, `{"request_token":"`+v4UnitRequest+`","approval_url":"https://www.themoviedb.org/auth/access?request_token=`+v4UnitRequest+
		`","created_at":"2024-05-01T10:00:00Z","expires_at":"2024-05-01T10:15:00Z"}`, string(data))
	assert.Equal(t, c.TMDb.V4ApprovalURL(*rt), rt.ApprovalURL)
	var back mediaauth.TMDbV4RequestToken
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, *rt, back)
	data, err = json.Marshal(mediaauth.TMDbV4RequestToken{Token: "t"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"request_token":"t"}`, string(data), "zero times are left out")
	data, err = json.Marshal(tok)
	require.NoError(t, err)
	assert.JSONEq(t, `{"access_token":"`+v4UnitAccess+`","account_id":"`+v4UnitAccount+`"}`, string(data))
}

// TestTMDbV4Statuses sends every documented error answer of the three v4
// calls and checks the typed error.
func TestTMDbV4Statuses(t *testing.T) {
	t.Parallel()
	type row struct {
		status int
		code   int
		want   []error // sentinels it must match
	}
	common := []row{
		{401, 7, []error{mediaauth.ErrInvalidAPIKey, mediaauth.ErrUnauthorized}},
		{401, 10, []error{mediaauth.ErrInvalidAPIKey, mediaauth.ErrUnauthorized}},
		{429, 25, []error{mediaauth.ErrRateLimited}},
	}
	perPath := map[string][]row{
		"CreateV4AccessToken": {
			{401, 33, []error{mediaauth.ErrInvalidRequestToken, mediaauth.ErrUnauthorized}},
			{422, 41, []error{mediaauth.ErrRequestTokenNotApproved, mediaauth.ErrUnprocessable}},
		},
		"DeleteV4AccessToken": {
			{401, 35, []error{mediaauth.ErrInvalidAccessToken, mediaauth.ErrUnauthorized}},
		},
	}
	specific := []error{
		mediaauth.ErrInvalidAPIKey, mediaauth.ErrInvalidRequestToken, mediaauth.ErrRequestTokenNotApproved,
		mediaauth.ErrInvalidAccessToken, mediaauth.ErrRateLimited, mediaauth.ErrSessionDenied,
	}
	for _, m := range v4Methods() {
		for _, r := range append(append([]row(nil), common...), perPath[m.name]...) {
			t.Run(fmt.Sprintf("%s/%d/%d", m.name, r.status, r.code), func(t *testing.T) {
				t.Parallel()
				c, mt := v4Client(t)
				// The server's message echoes the secrets the call knows.
				msg := v4Echo(m)
				body := fmt.Sprintf(`{"success":false,"status_code":%d,"status_message":%q}`, r.code, msg)
				var log recorder
				mt.RegisterResponder(m.method, v4UnitBase+m.path, log.respondTMDb(r.status, body, "Retry-After", "7"))

				out, err := m.call(t.Context(), c)
				require.Error(t, err)
				assert.True(t, v4NilResult(out))
				assert.Len(t, log.requests(), 1, "retries are off")
				for _, want := range r.want {
					assert.ErrorIs(t, err, want)
				}
				for _, s := range specific {
					if !containsErr(r.want, s) {
						assert.NotErrorIs(t, err, s)
					}
				}
				var apiErr *mediaauth.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, mediaauth.APITMDb, apiErr.API)
				assert.Equal(t, m.method, apiErr.Method)
				assert.Equal(t, m.path, apiErr.Path)
				assert.Equal(t, r.status, apiErr.StatusCode)
				assert.Equal(t, r.code, apiErr.TMDbCode)
				assert.Equal(t, 7*time.Second, apiErr.RetryAfter)
				assert.Contains(t, apiErr.Message, "Refused [REDACTED]")
				printed := fmt.Sprintf("%v %+v %#v %s", err, err, err, err.Error())
				for _, s := range v4UnitSecrets {
					assert.NotContains(t, printed, s)
				}
			})
		}
	}
}

func containsErr(list []error, e error) bool {
	for _, x := range list {
		if x == e {
			return true
		}
	}
	return false
}

// TestTMDbV4MalformedAnswers checks that a 200 the contract does not allow
// is ErrMalformedResponse, never a zero value.
func TestTMDbV4MalformedAnswers(t *testing.T) {
	t.Parallel()
	rows := []struct {
		name, method, answer string // method "" means every method
	}{
		{"success false", "", `{"success":false,"status_code":1,"status_message":"x","request_token":"t","access_token":"a","account_id":"i"}`},
		{"no success", "", `{"status_code":1,"status_message":"x","request_token":"t","access_token":"a","account_id":"i"}`},
		{"not JSON", "", `<html>oops</html>`},
		{"empty", "", ``},
		{"token: no request_token", "CreateV4RequestToken", `{"success":true,"status_code":1,"status_message":"Success."}`},
		{"token: number", "CreateV4RequestToken", `{"success":true,"request_token":12}`},
		{"access: no access_token", "CreateV4AccessToken", `{"success":true,"account_id":"i"}`},
		{"access: no account_id", "CreateV4AccessToken", `{"success":true,"access_token":"a"}`},
		{"access: numeric account_id", "CreateV4AccessToken", `{"success":true,"access_token":"a","account_id":548}`},
	}
	for _, r := range rows {
		for _, m := range v4Methods() {
			if r.method != "" && !strings.HasPrefix(m.name, r.method) {
				continue
			}
			t.Run(r.name+"/"+m.name, func(t *testing.T) {
				t.Parallel()
				c, mt := v4Client(t)
				mt.RegisterResponder(m.method, v4UnitBase+m.path, new(recorder).respondTMDb(http.StatusOK, r.answer))
				out, err := m.call(t.Context(), c)
				require.ErrorIs(t, err, mediaauth.ErrMalformedResponse)
				assert.True(t, v4NilResult(out), "no result with an error, got %v", out)
				for _, s := range v4UnitSecrets {
					assert.NotContains(t, err.Error(), s)
				}
			})
		}
	}
}

// TestTMDbV4NeedsReadAccessToken checks that the v4 calls fail before
// sending when the client has no read access token, whatever else it has.
func TestTMDbV4NeedsReadAccessToken(t *testing.T) {
	t.Parallel()
	creds := map[string][]mediaauth.Credential{
		"nothing":       nil,
		"API key":       {mediaauth.TMDbAPIKey(v4UnitKey)},
		"v4 user token": {mediaauth.TMDbAPIKey(v4UnitKey), mediaauth.TMDbAccessToken{AccessToken: v4UnitAccess, AccountID: "a"}},
	}
	for _, m := range v4Methods() {
		for name, cr := range creds {
			t.Run(m.name+"/"+name, func(t *testing.T) {
				t.Parallel()
				c, mt := mockClient(t, mediaauth.WithTMDbBaseURL(v4UnitBase), mediaauth.WithRateLimit(mediaauth.APITMDb, rate.Inf, 0))
				mt.RegisterNoResponder(httpmock.NewStringResponder(http.StatusOK, m.answer))
				if cr != nil {
					c = c.With(cr...)
				}
				out, err := m.call(t.Context(), c)
				require.ErrorIs(t, err, mediaauth.ErrMissingCredentials)
				assert.Contains(t, err.Error(), "TMDbReadAccessToken")
				assert.True(t, v4NilResult(out))
				assert.Zero(t, mt.GetTotalCallCount(), "nothing sent")
			})
		}
	}
	for name, login := range map[string]func(ctx context.Context, c *mediaauth.Client, open mediaauth.WaitOption) (*mediaauth.TMDbAccessToken, error){
		"PollUntilApprovedV4": func(ctx context.Context, c *mediaauth.Client, open mediaauth.WaitOption) (*mediaauth.TMDbAccessToken, error) {
			return c.TMDb.PollUntilApprovedV4(ctx, mediaauth.TMDbV4RequestToken{Token: v4UnitRequest, ApprovalURL: "https://www.themoviedb.org/auth/access"}, open)
		},
		"LoginInBrowserV4": func(ctx context.Context, c *mediaauth.Client, open mediaauth.WaitOption) (*mediaauth.TMDbAccessToken, error) {
			return c.TMDb.LoginInBrowserV4(ctx, open)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mt := mockClient(t, mediaauth.WithTMDbBaseURL(v4UnitBase), mediaauth.WithCredentials(mediaauth.TMDbAPIKey(v4UnitKey)))
			shown := false
			tok, err := login(t.Context(), c, mediaauth.WithPageOpener(func(context.Context, string) (bool, error) { shown = true; return true, nil }))
			require.ErrorIs(t, err, mediaauth.ErrMissingCredentials)
			assert.Nil(t, tok)
			assert.False(t, shown)
			assert.Zero(t, mt.GetTotalCallCount())
		})
	}
}

// TestTMDbV4InputValidation checks that bad arguments fail with
// ErrInvalidArgument before anything is sent.
func TestTMDbV4InputValidation(t *testing.T) {
	t.Parallel()
	show := mediaauth.WithPageOpener(func(context.Context, string) (bool, error) { return true, nil })
	calls := map[string]func(ctx context.Context, c *mediaauth.Client) (any, error){
		"request token: redirect not UTF-8": func(ctx context.Context, c *mediaauth.Client) (any, error) {
			return c.TMDb.CreateV4RequestToken(ctx, "http://x/\xff")
		},
		"access token: empty": func(ctx context.Context, c *mediaauth.Client) (any, error) {
			return c.TMDb.CreateV4AccessToken(ctx, mediaauth.TMDbV4RequestToken{Token: ""})
		},
		"access token: not UTF-8": func(ctx context.Context, c *mediaauth.Client) (any, error) {
			return c.TMDb.CreateV4AccessToken(ctx, mediaauth.TMDbV4RequestToken{Token: "tok\xfe"})
		},
		"delete: empty": func(ctx context.Context, c *mediaauth.Client) (any, error) {
			return nil, c.TMDb.With(mediaauth.TMDbAccessToken{AccessToken: ""}).DeleteV4AccessToken(ctx)
		},
		"delete: not UTF-8": func(ctx context.Context, c *mediaauth.Client) (any, error) {
			return nil, c.TMDb.With(mediaauth.TMDbAccessToken{AccessToken: "\xc3\x28"}).DeleteV4AccessToken(ctx)
		},
		"wait: nil opener": func(ctx context.Context, c *mediaauth.Client) (any, error) {
			return c.TMDb.PollUntilApprovedV4(ctx, mediaauth.TMDbV4RequestToken{Token: v4UnitRequest}, mediaauth.WithPageOpener(nil))
		},
		"wait: negative interval": func(ctx context.Context, c *mediaauth.Client) (any, error) {
			return c.TMDb.PollUntilApprovedV4(ctx, mediaauth.TMDbV4RequestToken{Token: v4UnitRequest}, mediaauth.WithPollInterval(-time.Second))
		},
		"wait: empty token": func(ctx context.Context, c *mediaauth.Client) (any, error) {
			return c.TMDb.PollUntilApprovedV4(ctx, mediaauth.TMDbV4RequestToken{}, show)
		},
		"wait: callback port": func(ctx context.Context, c *mediaauth.Client) (any, error) {
			return c.TMDb.PollUntilApprovedV4(ctx, mediaauth.TMDbV4RequestToken{Token: v4UnitRequest}, mediaauth.WithCallbackPort(8080))
		},
		"browser login: poll interval": func(ctx context.Context, c *mediaauth.Client) (any, error) {
			return c.TMDb.LoginInBrowserV4(ctx, show, mediaauth.WithPollInterval(time.Second))
		},
		"browser login: not a port": func(ctx context.Context, c *mediaauth.Client) (any, error) {
			return c.TMDb.LoginInBrowserV4(ctx, show, mediaauth.WithCallbackPort(70000))
		},
		"nil context": func(_ context.Context, c *mediaauth.Client) (any, error) {
			var nilCtx context.Context // refused, not a panic
			return c.TMDb.CreateV4AccessToken(nilCtx, mediaauth.TMDbV4RequestToken{Token: v4UnitRequest})
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mt := v4Client(t)
			mt.RegisterNoResponder(httpmock.NewStringResponder(http.StatusOK, v4UnitRequestJSON))
			out, err := call(t.Context(), c)
			require.ErrorIs(t, err, mediaauth.ErrInvalidArgument)
			assert.NotErrorIs(t, err, mediaauth.ErrBadRequest)
			assert.True(t, v4NilResult(out))
			assert.Zero(t, mt.GetTotalCallCount(), "nothing sent")
		})
	}
}

// TestTMDbV4Resend checks each call's resend mode: a new request token and
// the logout are resent after a 5xx or a lost answer; the single-use
// exchange is not.
func TestTMDbV4Resend(t *testing.T) {
	t.Parallel()
	for _, m := range v4Methods() {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			c, mt := v4Client(t, mediaauth.WithRetry(2, time.Millisecond, time.Millisecond))
			var log recorder
			fail := true
			var mu sync.Mutex
			mt.RegisterResponder(m.method, v4UnitBase+m.path, func(req *http.Request) (*http.Response, error) {
				mu.Lock()
				first := fail
				fail = false
				mu.Unlock()
				if first {
					log.record(req)
					return httpmock.NewStringResponse(http.StatusBadGateway, ""), nil
				}
				return log.respondTMDb(http.StatusOK, m.answer)(req)
			})
			_, err := m.call(t.Context(), c)
			reqs := log.requests()
			if m.name == "CreateV4AccessToken" {
				require.ErrorIs(t, err, mediaauth.ErrServer)
				assert.Len(t, reqs, 1, "a single-use token is not sent again")
				return
			}
			require.NoError(t, err)
			require.Len(t, reqs, 2)
			assert.Equal(t, reqs[0].Body, reqs[1].Body, "the same body again")
		})
	}
}

// TestTMDbV4ApprovalURL checks the approval page's URL.
func TestTMDbV4ApprovalURL(t *testing.T) {
	t.Parallel()
	c, mt := v4Client(t)
	assert.Equal(t, "https://www.themoviedb.org/auth/access?request_token="+v4UnitRequest, c.TMDb.V4ApprovalURL(mediaauth.TMDbV4RequestToken{Token: v4UnitRequest}))
	assert.Equal(t, "https://www.themoviedb.org/auth/access?request_token=a%2Bb%2Fc%3D+%26x%3D1", c.TMDb.V4ApprovalURL(mediaauth.TMDbV4RequestToken{Token: "a+b/c= &x=1"}))
	assert.Zero(t, mt.GetTotalCallCount(), "no request")

	site, _ := v4Client(t, mediaauth.WithTMDbSiteURL("http://127.0.0.1:8080/tmdb/"))
	assert.Equal(t, "http://127.0.0.1:8080/tmdb/auth/access?request_token=tok", site.TMDb.V4ApprovalURL(mediaauth.TMDbV4RequestToken{Token: "tok"}))
	assert.Equal(t, "http://127.0.0.1:8080/tmdb/auth/access?request_token=tok",
		site.With(mediaauth.Session{ID: "s-5ecret"}).TMDb.V4ApprovalURL(mediaauth.TMDbV4RequestToken{Token: "tok"}), "derived clients keep the site")

	var nilClient mediaauth.Client
	assert.Equal(t, mediaauth.DefaultTMDbSiteURL+"/auth/access?request_token=tok", nilClient.TMDb.V4ApprovalURL(mediaauth.TMDbV4RequestToken{Token: "tok"}))
}

// TestTMDbV4SecretsNeverPrinted checks the printed and logged forms of the
// v4 values.
func TestTMDbV4SecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	values := []struct {
		v      any
		secret string
		name   string
	}{
		{mediaauth.TMDbV4RequestToken{Token: v4UnitRequest, CreatedAt: at, ExpiresAt: at.Add(15 * time.Minute)}, v4UnitRequest, "TMDbV4RequestToken"},
		{&mediaauth.TMDbV4RequestToken{Token: v4UnitRequest}, v4UnitRequest, "TMDbV4RequestToken"},
		{mediaauth.TMDbAccessToken{AccessToken: v4UnitAccess, AccountID: v4UnitAccount}, v4UnitAccess, "TMDbAccessToken"},
		{&mediaauth.TMDbAccessToken{AccessToken: v4UnitAccess}, v4UnitAccess, "TMDbAccessToken"},
	}
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%T %v"} {
			out := fmt.Sprintf(verb, v.v)
			assert.NotContains(t, out, v.secret, verb)
			assert.NotContains(t, out, "5ecret", verb)
			if !strings.Contains(verb, "x") {
				assert.Contains(t, out, v.name, verb)
			}
		}
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("value", "v", v.v)
		slog.New(slog.NewTextHandler(&buf, nil)).Info("value", "v", v.v)
		assert.NotContains(t, buf.String(), "5ecret")
	}
	s := mediaauth.TMDbV4RequestToken{Token: v4UnitRequest, CreatedAt: at, ExpiresAt: at.Add(15 * time.Minute)}.String()
	assert.Equal(t, "mediaauth.TMDbV4RequestToken{Token:[REDACTED] CreatedAt:2024-05-01T10:00:00Z ExpiresAt:2024-05-01T10:15:00Z}", s)
	assert.Equal(t, `mediaauth.TMDbAccessToken{AccountID:"`+v4UnitAccount+`" AccessToken:[REDACTED]}`,
		mediaauth.TMDbAccessToken{AccessToken: v4UnitAccess, AccountID: v4UnitAccount}.String())
	assert.Contains(t, mediaauth.TMDbV4RequestToken{}.String(), `Token:""`)
}

// TestTMDbV4ErrorsHideSecrets checks network errors and debug logs of the
// v4 calls for every secret they handle.
func TestTMDbV4ErrorsHideSecrets(t *testing.T) {
	t.Parallel()
	var logs v4SyncWriter
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for _, m := range v4Methods() {
		c, mt := v4Client(t, mediaauth.WithLogger(logger))
		// The transport's error text quotes the secrets the call knows.
		mt.RegisterNoResponder(httpmock.NewErrorResponder(errors.New("connection reset: " + v4Echo(m))))
		_, err := m.call(t.Context(), c)
		require.ErrorIs(t, err, mediaauth.ErrNetwork, m.name)
		printed := fmt.Sprintf("%v %+v %#v", err, err, err)
		for _, s := range v4UnitSecrets {
			assert.NotContains(t, printed, s, m.name)
		}
	}
	logged := logs.String()
	assert.Contains(t, logged, "/4/auth/access_token")
	for _, s := range v4UnitSecrets {
		assert.NotContains(t, logged, s)
	}
}
