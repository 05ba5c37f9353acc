package mediaauth_test

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
)

// Fixtures of the TMDb unit tests.
const (
	tmdbUnitBase   = "https://tmdb.test/3"
	tmdbUnitKey    = "unit-api-key-5ecret"
	tmdbUnitAccess = "unit-read-access-token-5ecret"

	tmdbUnitToken   = "ff5c7eeb5a8870efe3cd7fc5c282cffd26800ecd"
	tmdbUnitSession = "79191836ddaa0da3df76a5ffef6f07ad6ab0c641"
)

// The success answers of the TMDb v3 methods: the golden bodies of
// testdata/bodies/tmdb, which the fake's tests hold the fake to as well.
// tmdbUnitTokenJSON holds tmdbUnitToken, tmdbUnitSessionObj tmdbUnitSession.
var (
	//go:embed testdata/bodies/tmdb/request_token_200.json
	tmdbUnitTokenJSON string
	//go:embed testdata/bodies/tmdb/session_200.json
	tmdbUnitSessionObj string
	//go:embed testdata/bodies/tmdb/authentication_200.json
	tmdbUnitStatusJSON string
	//go:embed testdata/bodies/tmdb/guest_session_200.json
	tmdbUnitGuestJSON string
	//go:embed testdata/bodies/tmdb/session_deleted_200.json
	tmdbUnitDeletedJSON string
)

// tmdbUnitExpiry is the time in tmdbUnitTokenJSON.
var tmdbUnitExpiry = time.Date(2016, 8, 26, 17, 4, 39, 0, time.UTC)

// tmdbMethod is one TMDb method of the client, for table tests.
type tmdbMethod struct {
	name   string
	method string
	path   string
	body   string // the JSON body it must send, "" for none
	answer string // a success answer
	call   func(ctx context.Context, c *mediaauth.Client) (any, error)
}

// tmdbMethods lists every TMDb method that sends a request.
func tmdbMethods() []tmdbMethod {
	return []tmdbMethod{
		{
			name: "ValidateKey", method: http.MethodGet, path: "/3/authentication", answer: tmdbUnitStatusJSON,
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) {
				return nil, c.TMDb.Validate(ctx)
			},
		},
		{
			name: "CreateRequestToken", method: http.MethodGet, path: "/3/authentication/token/new", answer: tmdbUnitTokenJSON,
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) { return c.TMDb.CreateRequestToken(ctx) },
		},
		{
			name: "ValidateRequestTokenWithLogin", method: http.MethodPost, path: "/3/authentication/token/validate_with_login",
			body:   `{"username":"johnny","password":"pa55-5ecret","request_token":"` + tmdbUnitToken + `"}`,
			answer: tmdbUnitTokenJSON,
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) {
				return c.TMDb.ValidateRequestTokenWithLogin(ctx, "johnny", "pa55-5ecret", mediaauth.RequestToken{Token: tmdbUnitToken})
			},
		},
		{
			name: "CreateSession", method: http.MethodPost, path: "/3/authentication/session/new",
			body: `{"request_token":"` + tmdbUnitToken + `"}`, answer: tmdbUnitSessionObj,
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) {
				return c.TMDb.CreateSession(ctx, mediaauth.RequestToken{Token: tmdbUnitToken})
			},
		},
		{
			name: "CreateSessionFromV4Token", method: http.MethodPost, path: "/3/authentication/session/convert/4",
			body: `{"access_token":"v4-token-5ecret"}`, answer: tmdbUnitSessionObj,
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) {
				return c.TMDb.CreateSessionFromV4Token(ctx, mediaauth.TMDbAccessToken{AccessToken: "v4-token-5ecret"})
			},
		},
		{
			name: "DeleteSession", method: http.MethodDelete, path: "/3/authentication/session",
			body: `{"session_id":"` + tmdbUnitSession + `"}`, answer: tmdbUnitDeletedJSON,
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) {
				return nil, c.TMDb.With(mediaauth.Session{ID: tmdbUnitSession}).DeleteSession(ctx)
			},
		},
		{
			name: "CreateGuestSession", method: http.MethodGet, path: "/3/authentication/guest_session/new", answer: tmdbUnitGuestJSON,
			call: func(ctx context.Context, c *mediaauth.Client) (any, error) { return c.TMDb.CreateGuestSession(ctx) },
		},
	}
}

// TestTMDbWireFormat checks method, path, credentials, headers and body of
// every TMDb method with each way to authenticate: the api_key query
// parameter only without an access token, Bearer only with one.
func TestTMDbWireFormat(t *testing.T) {
	t.Parallel()
	auths := []struct {
		name       string
		opts       []mediaauth.Option
		wantKey    string
		wantHeader string
	}{
		{"api key", []mediaauth.Option{mediaauth.WithCredentials(mediaauth.TMDbAPIKey(tmdbUnitKey))}, tmdbUnitKey, ""},
		{"access token", []mediaauth.Option{mediaauth.WithCredentials(mediaauth.TMDbReadAccessToken(tmdbUnitAccess))}, "", "Bearer " + tmdbUnitAccess},
		{"both: bearer wins", []mediaauth.Option{mediaauth.WithCredentials(mediaauth.TMDbAPIKey(tmdbUnitKey)), mediaauth.WithCredentials(mediaauth.TMDbReadAccessToken(tmdbUnitAccess))}, "", "Bearer " + tmdbUnitAccess},
	}
	for _, m := range tmdbMethods() {
		for _, a := range auths {
			t.Run(m.name+"/"+a.name, func(t *testing.T) {
				t.Parallel()
				c, mt := tmdbUnitClient(t, a.opts...)
				var log recorder
				mt.RegisterResponder(m.method, "https://tmdb.test"+m.path, log.respondTMDb(http.StatusOK, m.answer))

				_, err := m.call(t.Context(), c)
				require.NoError(t, err)

				reqs := log.requests()
				require.Len(t, reqs, 1)
				r := reqs[0]
				assert.Equal(t, m.method, r.Method)
				assert.Equal(t, m.path, r.Path)
				if a.wantKey != "" {
					assert.Equal(t, url.Values{"api_key": {a.wantKey}}, r.Query, "api_key is the only query parameter")
				} else {
					assert.Empty(t, r.Query, "no api_key with an access token")
				}
				assert.Equal(t, a.wantHeader, r.Header.Get("Authorization"))
				assert.Equal(t, "application/json", r.Header.Get("Accept"))
				assert.Equal(t, mediaauth.DefaultUserAgent, r.Header.Get("User-Agent"))
				if m.body == "" {
					assert.Empty(t, r.Body)
					assert.Empty(t, r.Header.Get("Content-Type"))
				} else {
					assert.JSONEq(t, m.body, string(r.Body))
					assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
				}
			})
		}
	}
}

// TestTMDbDecoding checks what each method returns from a success answer.
func TestTMDbDecoding(t *testing.T) {
	t.Parallel()
	c, mt := tmdbUnitClient(t, mediaauth.WithCredentials(mediaauth.TMDbAPIKey(tmdbUnitKey)))
	var log recorder
	for _, m := range tmdbMethods() {
		mt.RegisterResponder(m.method, "https://tmdb.test"+m.path, log.respondTMDb(http.StatusOK, m.answer))
	}
	ctx := t.Context()

	tok, err := c.TMDb.CreateRequestToken(ctx)
	require.NoError(t, err)
	assert.Equal(t, tmdbUnitToken, tok.Token)
	assert.Equal(t, tmdbUnitExpiry, tok.ExpiresAt)
	assert.Equal(t, time.UTC, tok.ExpiresAt.Location())
	assert.False(t, tok.Expired(tmdbUnitExpiry.Add(-time.Second)))
	assert.True(t, tok.Expired(tmdbUnitExpiry))
	assert.Equal(t, c.TMDb.AuthenticateURL(*tok, ""), tok.ApprovalURL, "the page to open, without a redirect")

	tok, err = c.TMDb.ValidateRequestTokenWithLogin(ctx, "johnny", "pa55-5ecret", mediaauth.RequestToken{Token: tmdbUnitToken})
	require.NoError(t, err)
	assert.Equal(t, &mediaauth.RequestToken{Token: tmdbUnitToken, ApprovalURL: mediaauth.DefaultTMDbSiteURL + "/authenticate/" + tmdbUnitToken, ExpiresAt: tmdbUnitExpiry}, tok)

	sess, err := c.TMDb.CreateSession(ctx, mediaauth.RequestToken{Token: tmdbUnitToken})
	require.NoError(t, err)
	assert.Equal(t, &mediaauth.Session{ID: tmdbUnitSession}, sess)

	sess, err = c.TMDb.CreateSessionFromV4Token(ctx, mediaauth.TMDbAccessToken{AccessToken: "v4-token-5ecret"})
	require.NoError(t, err)
	assert.Equal(t, tmdbUnitSession, sess.ID)

	require.NoError(t, c.TMDb.Validate(ctx))
	require.NoError(t, c.TMDb.With(mediaauth.Session{ID: tmdbUnitSession}).DeleteSession(ctx))

	// Each call sent its one request, in order.
	var got []string
	for _, r := range log.requests() {
		got = append(got, r.Method+" "+r.Path)
	}
	assert.Equal(t, []string{
		"GET /3/authentication/token/new",
		"POST /3/authentication/token/validate_with_login",
		"POST /3/authentication/session/new",
		"POST /3/authentication/session/convert/4",
		"GET /3/authentication",
		"DELETE /3/authentication/session",
	}, got)
}

// isNilResult reports whether a method's result is nil (or it has none).
func isNilResult(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case *mediaauth.RequestToken:
		return x == nil
	case *mediaauth.Session:
		return x == nil
	case *mediaauth.GuestSession:
		return x == nil
	}
	return false
}

// TestTMDbMissingCredentials checks that every method without an API key or
// access token fails before any request.
func TestTMDbMissingCredentials(t *testing.T) {
	t.Parallel()
	for _, m := range tmdbMethods() {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			c, mt := tmdbUnitClient(t)
			out, err := m.call(t.Context(), c)
			require.ErrorIs(t, err, mediaauth.ErrMissingCredentials)
			assert.Contains(t, err.Error(), "no TMDb API key or read access token")
			assert.True(t, isNilResult(out))
			assert.Zero(t, mt.GetTotalCallCount())
		})
	}
}

// TestTMDbInputValidation checks that empty arguments fail before any request.
func TestTMDbInputValidation(t *testing.T) {
	t.Parallel()
	c, mt := tmdbUnitClient(t, mediaauth.WithCredentials(mediaauth.TMDbAPIKey(tmdbUnitKey)))
	ctx := t.Context()
	calls := map[string]func() error{
		"login no username": func() error {
			_, err := c.TMDb.ValidateRequestTokenWithLogin(ctx, "", "pw", mediaauth.RequestToken{Token: tmdbUnitToken})
			return err
		},
		"login no password": func() error {
			_, err := c.TMDb.ValidateRequestTokenWithLogin(ctx, "u", "", mediaauth.RequestToken{Token: tmdbUnitToken})
			return err
		},
		"login no token": func() error {
			_, err := c.TMDb.ValidateRequestTokenWithLogin(ctx, "u", "pw", mediaauth.RequestToken{Token: ""})
			return err
		},
		"session no token": func() error {
			_, err := c.TMDb.CreateSession(ctx, mediaauth.RequestToken{Token: ""})
			return err
		},
		"convert no token": func() error {
			_, err := c.TMDb.CreateSessionFromV4Token(ctx, mediaauth.TMDbAccessToken{AccessToken: ""})
			return err
		},
		"delete no id":         func() error { return c.TMDb.With(mediaauth.Session{ID: ""}).DeleteSession(ctx) },
		"LoginSession no user": func() error { _, err := c.TMDb.LoginSession(ctx, "", "pw"); return err },
		"LoginSession no pass": func() error { _, err := c.TMDb.LoginSession(ctx, "u", ""); return err },
		"nil client":           func() error { return (&mediaauth.Client{}).TMDb.Validate(ctx) },
		"nil client, derived by key": func() error {
			return (&mediaauth.Client{}).With(mediaauth.TMDbAPIKey("k")).TMDb.Validate(ctx)
		},
		"zero client": func() error { _, err := (&mediaauth.Client{}).TMDb.CreateRequestToken(ctx); return err },
		"nil client, derived by access": func() error {
			return (&mediaauth.Client{}).With(mediaauth.TMDbReadAccessToken("k")).TMDb.Validate(ctx)
		},
	}
	for name, call := range calls {
		err := call()
		require.Error(t, err, name)
		if strings.Contains(name, "client") {
			assert.ErrorContains(t, err, "use New", name)
			continue
		}
		assert.ErrorIs(t, err, mediaauth.ErrInvalidArgument, name)
		assert.NotErrorIs(t, err, mediaauth.ErrBadRequest, "no server said so: %s", name)
	}
	assert.Zero(t, mt.GetTotalCallCount())
}

// TestTMDbDerivedClients checks c.With(TMDbAPIKey), c.With(TMDbReadAccessToken)
// and c.Without(APITMDb): the derived client sends its own credentials,
// leaves c unchanged and shares c's rate limiter. An empty credential does
// not drop one: the derived client refuses every call.
func TestTMDbDerivedClients(t *testing.T) {
	t.Parallel()
	// One request every 100 ms, no burst beyond one.
	c, mt := tmdbUnitClient(t, mediaauth.WithRateLimit(mediaauth.APITMDb, 10, 1))
	var log recorder
	mt.RegisterResponder(http.MethodGet, "https://tmdb.test/3/authentication", log.respondTMDb(http.StatusOK, tmdbUnitStatusJSON))
	ctx := t.Context()

	require.ErrorIs(t, c.TMDb.Validate(ctx), mediaauth.ErrMissingCredentials)

	withKey := c.With(mediaauth.TMDbAPIKey(tmdbUnitKey))
	withBoth := withKey.With(mediaauth.TMDbReadAccessToken(tmdbUnitAccess))
	backToKey := withBoth.Without(mediaauth.APITMDb).With(mediaauth.TMDbAPIKey(tmdbUnitKey))
	emptyToken := withBoth.With(mediaauth.TMDbReadAccessToken(""))
	require.ErrorIs(t, emptyToken.TMDb.Validate(ctx), mediaauth.ErrInvalidArgument)
	require.ErrorIs(t, withBoth.Without(mediaauth.APITMDb).TMDb.Validate(ctx), mediaauth.ErrMissingCredentials,
		"Without drops the key and the token together")

	start := time.Now()
	require.NoError(t, withKey.TMDb.Validate(ctx))
	require.NoError(t, withBoth.TMDb.Validate(ctx))
	require.NoError(t, backToKey.TMDb.Validate(ctx))
	elapsed := time.Since(start)

	reqs := log.requests()
	require.Len(t, reqs, 3, "the refused clients sent nothing")
	assert.Equal(t, tmdbUnitKey, reqs[0].Query.Get("api_key"))
	assert.Empty(t, reqs[0].Header.Get("Authorization"))
	assert.Empty(t, reqs[1].Query)
	assert.Equal(t, "Bearer "+tmdbUnitAccess, reqs[1].Header.Get("Authorization"))
	assert.Equal(t, tmdbUnitKey, reqs[2].Query.Get("api_key"))
	assert.Empty(t, reqs[2].Header.Get("Authorization"))

	// Three requests through one shared 10/s limiter with burst 1.
	assert.GreaterOrEqual(t, elapsed, 180*time.Millisecond, "derived clients share the limiter")
	require.ErrorIs(t, c.TMDb.Validate(ctx), mediaauth.ErrMissingCredentials, "c is unchanged")
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v", withBoth, withBoth, withBoth), tmdbUnitKey)
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v", withBoth, withBoth, withBoth), tmdbUnitAccess)
}

// TestTMDbDefaultRateLimit checks that the default limiter keeps TMDb under
// 40 requests per second: no 40 requests fall within one second.
func TestTMDbDefaultRateLimit(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	c, err := mediaauth.New(
		mediaauth.WithTMDbBaseURL(tmdbUnitBase),
		mediaauth.WithHTTPClient(&http.Client{Transport: mt}),
		mediaauth.WithCredentials(mediaauth.TMDbAPIKey(tmdbUnitKey)),
	)
	require.NoError(t, err)
	var (
		mu    sync.Mutex
		times []time.Time
	)
	ok := httpmock.NewStringResponder(http.StatusOK, tmdbUnitStatusJSON).HeaderSet(http.Header{"Content-Type": {"application/json"}})
	mt.RegisterResponder(http.MethodGet, "https://tmdb.test/3/authentication", func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
		return ok(r)
	})

	const n, window = 45, 40
	var wg sync.WaitGroup
	for range 3 { // concurrent callers share the limiter
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n / 3 {
				assert.NoError(t, c.TMDb.Validate(t.Context()))
			}
		}()
	}
	wg.Wait()
	require.Len(t, times, n)
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	for i := 0; i+window-1 < n; i++ {
		span := times[i+window-1].Sub(times[i])
		assert.GreaterOrEqual(t, span, 990*time.Millisecond,
			"requests %d..%d went out within %s: 40 or more in one second", i, i+window-1, span)
	}
}

// TestTMDbRetries checks the retry policy: 429 (code 25) is retried for GETs
// and POSTs, honouring Retry-After within WithRetry's bounds; a 500 is
// retried for GET and DELETE but not for POSTs, which the server may have
// acted on; 503 with Retry-After is retried for POSTs.
func TestTMDbRetries(t *testing.T) {
	t.Parallel()
	const rateLimited = `{"success":false,"status_code":25,"status_message":"Your request count (#) is over the allowed limit of (40)."}`
	const internal = `{"success":false,"status_code":11,"status_message":"Internal error: Something went wrong, contact TMDB."}`
	const offline = `{"success":false,"status_code":9,"status_message":"Service offline: This service is temporarily offline, try again later."}`
	tests := []struct {
		name      string
		method    string // name in tmdbMethods
		status    int
		body      string
		hdr       []string
		wantCalls int
	}{
		{"GET 429 retried", "CreateRequestToken", 429, rateLimited, []string{"Retry-After", "0"}, 2},
		{"guest GET 429 retried", "CreateGuestSession", 429, rateLimited, nil, 2},
		{"POST 429 retried", "CreateSession", 429, rateLimited, []string{"Retry-After", "0"}, 2},
		{"login POST 429 retried", "ValidateRequestTokenWithLogin", 429, rateLimited, nil, 2},
		{"DELETE 429 retried", "DeleteSession", 429, rateLimited, nil, 2},
		{"GET 500 retried", "CreateRequestToken", 500, internal, nil, 2},
		{"DELETE 500 retried", "DeleteSession", 500, internal, nil, 2},
		{"POST 500 not retried", "CreateSession", 500, internal, nil, 1},
		{"convert POST 500 not retried", "CreateSessionFromV4Token", 500, internal, nil, 1},
		{"POST 503 without Retry-After not retried", "CreateSession", 503, offline, nil, 1},
		{"POST 503 with Retry-After retried", "CreateSession", 503, offline, []string{"Retry-After", "0"}, 2},
		{"POST 401 not retried", "CreateSession", 401, `{"success":false,"status_code":7,"status_message":"x"}`, nil, 1},
	}
	byName := map[string]tmdbMethod{}
	for _, m := range tmdbMethods() {
		byName[m.name] = m
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := byName[tt.method]
			c, mt := tmdbUnitClient(t, mediaauth.WithCredentials(mediaauth.TMDbAPIKey(tmdbUnitKey)),
				mediaauth.WithRetry(3, time.Millisecond, 5*time.Millisecond))
			var log recorder
			mt.RegisterResponder(m.method, "https://tmdb.test"+m.path,
				log.respondTMDb(tt.status, tt.body, tt.hdr...).Then(log.respondTMDb(http.StatusOK, m.answer)))
			out, err := m.call(t.Context(), c)
			reqs := log.requests()
			require.Len(t, reqs, tt.wantCalls)
			if tt.wantCalls == 2 {
				require.NoError(t, err)
				if m.name != "ValidateKey" && m.name != "DeleteSession" {
					assert.False(t, isNilResult(out), "the retried call's result")
				}
				assert.Equal(t, reqs[0].Body, reqs[1].Body, "a retry sends the same body")
				assert.Equal(t, reqs[0].Query, reqs[1].Query)
				return
			}
			var apiErr *mediaauth.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.True(t, isNilResult(out), "no result with an error")
		})
	}
}

// TestTMDbLoginSession checks the three calls of LoginSession, in order,
// each with the token of the one before.
func TestTMDbLoginSession(t *testing.T) {
	t.Parallel()
	c, mt := tmdbUnitClient(t, mediaauth.WithCredentials(mediaauth.TMDbReadAccessToken(tmdbUnitAccess)))
	var log recorder
	mt.RegisterResponder(http.MethodGet, "https://tmdb.test/3/authentication/token/new",
		log.respondTMDb(http.StatusOK, `{"success":true,"expires_at":"2016-08-26 17:04:39 UTC","request_token":"fresh"}`))
	mt.RegisterResponder(http.MethodPost, "https://tmdb.test/3/authentication/token/validate_with_login",
		log.respondTMDb(http.StatusOK, `{"success":true,"expires_at":"2016-08-26 17:04:39 UTC","request_token":"approved"}`))
	mt.RegisterResponder(http.MethodPost, "https://tmdb.test/3/authentication/session/new",
		log.respondTMDb(http.StatusOK, tmdbUnitSessionObj))

	sess, err := c.TMDb.LoginSession(t.Context(), "johnny", "pa55-5ecret")
	require.NoError(t, err)
	assert.Equal(t, tmdbUnitSession, sess.ID)

	reqs := log.requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, "/3/authentication/token/new", reqs[0].Path)
	assert.Equal(t, "/3/authentication/token/validate_with_login", reqs[1].Path)
	assert.JSONEq(t, `{"username":"johnny","password":"pa55-5ecret","request_token":"fresh"}`, string(reqs[1].Body))
	assert.Equal(t, "/3/authentication/session/new", reqs[2].Path)
	assert.JSONEq(t, `{"request_token":"approved"}`, string(reqs[2].Body))
	for _, r := range reqs {
		assert.Equal(t, "Bearer "+tmdbUnitAccess, r.Header.Get("Authorization"))
	}
}

// TestTMDbLoginSessionStops checks that LoginSession stops at the first
// failing step and returns its typed error.
func TestTMDbLoginSessionStops(t *testing.T) {
	t.Parallel()
	c, mt := tmdbUnitClient(t, mediaauth.WithCredentials(mediaauth.TMDbAPIKey(tmdbUnitKey)))
	var log recorder
	mt.RegisterResponder(http.MethodGet, "https://tmdb.test/3/authentication/token/new", log.respondTMDb(http.StatusOK, tmdbUnitTokenJSON))
	mt.RegisterResponder(http.MethodPost, "https://tmdb.test/3/authentication/token/validate_with_login",
		log.respondTMDb(http.StatusUnauthorized, `{"success":false,"status_code":30,"status_message":"Invalid username and/or password: You did not provide a valid login."}`))
	mt.RegisterResponder(http.MethodPost, "https://tmdb.test/3/authentication/session/new", log.respondTMDb(http.StatusOK, tmdbUnitSessionObj))

	sess, err := c.TMDb.LoginSession(t.Context(), "johnny", "wrong-5ecret")
	require.ErrorIs(t, err, mediaauth.ErrInvalidCredentials)
	assert.Nil(t, sess)
	assert.Len(t, log.requests(), 2, "no session/new after a refused login")
	assert.NotContains(t, err.Error(), "wrong-5ecret")
	assert.NotContains(t, err.Error(), tmdbUnitToken)
}

// TestTMDbSecretsNeverPrinted checks that request tokens, sessions, guest
// sessions and errors never show a secret in fmt or slog output.
func TestTMDbSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	values := []struct {
		v      any
		secret string
		name   string
	}{
		{mediaauth.RequestToken{Token: "rt-5ecret", ExpiresAt: tmdbUnitExpiry}, "rt-5ecret", "RequestToken"},
		{&mediaauth.RequestToken{Token: "rt-5ecret"}, "rt-5ecret", "RequestToken"},
		{mediaauth.Session{ID: "sess-5ecret"}, "sess-5ecret", "Session"},
		{&mediaauth.Session{ID: "sess-5ecret"}, "sess-5ecret", "Session"},
		{mediaauth.GuestSession{ID: "guest-5ecret", ExpiresAt: tmdbUnitExpiry}, "guest-5ecret", "GuestSession"},
		{&mediaauth.GuestSession{ID: "guest-5ecret"}, "guest-5ecret", "GuestSession"},
	}
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%T %v"} {
			out := fmt.Sprintf(verb, v.v)
			assert.NotContains(t, out, v.secret, verb)
			assert.Contains(t, out, v.name)
		}
		assert.Contains(t, fmt.Sprint(v.v), "[REDACTED]")
		var buf bytes.Buffer
		logger := slog.New(slog.NewJSONHandler(&buf, nil))
		logger.Info("value", "v", v.v)
		assert.NotContains(t, buf.String(), v.secret)
		buf.Reset()
		slog.New(slog.NewTextHandler(&buf, nil)).Info("value", "v", v.v)
		assert.NotContains(t, buf.String(), v.secret)
	}
	assert.Contains(t, mediaauth.RequestToken{ExpiresAt: tmdbUnitExpiry}.String(), "2016-08-26T17:04:39Z")
	assert.Contains(t, mediaauth.Session{}.String(), `ID:""`, "an empty id shows as empty")
}
