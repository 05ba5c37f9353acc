package mediaauth_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// getJSON sends a GET through hc and decodes a 2xx answer into out, or
// returns CheckResponse's error.
func getJSON(t *testing.T, hc *http.Client, api mediaauth.API, url string, out any) error {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := mediaauth.CheckResponse(api, resp); err != nil {
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// TestHTTPClientProtectedCalls makes the first protected call of each API
// through handleOf(c, api).HTTPClient() against the fake, with the credentials the SDK
// obtained, and checks that another origin gets no credential.
func TestHTTPClientProtectedCalls(t *testing.T) {
	t.Parallel()
	srv := mediaauthtest.NewServer(mediaauthtest.WithTVmazeMinPollInterval(time.Millisecond))
	t.Cleanup(srv.Close)
	c, err := srv.Client()
	require.NoError(t, err)
	ctx := t.Context()

	// TMDb: a session reads /3/account.
	session, err := c.TMDb.LoginSession(ctx, mediaauthtest.DemoTMDbUsername, mediaauthtest.DemoTMDbPassword)
	require.NoError(t, err)
	tmdb := c.With(session)
	var acct struct {
		ID       int    `json:"id"`
		Username string `json:"username"`
	}
	require.NoError(t, getJSON(t, tmdb.TMDb.HTTPClient(), mediaauth.APITMDb, tmdb.TMDb.BaseURL()+"/3/account", &acct))
	assert.Equal(t, mediaauthtest.DemoTMDbUsername, acct.Username)
	assert.Equal(t, mediaauthtest.DemoTMDbAccountID, acct.ID)
	// The same through Do, and the account by id.
	acct.Username = ""
	require.NoError(t, tmdb.TMDb.Do(ctx, http.MethodGet, "/3/account/548", nil, &acct))
	assert.Equal(t, mediaauthtest.DemoTMDbUsername, acct.Username)
	// Without the session the account is refused, as an *APIError.
	err = getJSON(t, c.TMDb.HTTPClient(), mediaauth.APITMDb, c.TMDb.BaseURL()+"/3/account", &acct)
	require.ErrorIs(t, err, mediaauth.ErrUnauthorized)

	// TVmaze: the followed shows, with the key the device login handed out.
	_, err = srv.TVmaze.AddUser(mediaauthtest.TVmazeUser{Username: "alice", Email: "alice@example.com", PremiumLevel: mediaauth.PremiumSilver})
	require.NoError(t, err)
	require.True(t, srv.TVmaze.FollowShows("alice", 1, 82))
	req, err := c.TVmaze.StartAuth(ctx, "alice@example.com")
	require.NoError(t, err)
	require.NoError(t, srv.TVmaze.Confirm(req.Token))
	creds, err := c.TVmaze.PollUntilConfirmed(ctx, *req, mediaauth.WithPollInterval(time.Millisecond))
	require.NoError(t, err)
	tv := c.With(creds)
	var follows []struct {
		ShowID int `json:"show_id"`
	}
	require.NoError(t, getJSON(t, tv.TVmaze.HTTPClient(), mediaauth.APITVmaze, tv.TVmaze.BaseURL()+"/user/follows/shows", &follows))
	require.Len(t, follows, 2)
	assert.Equal(t, 82, follows[1].ShowID)

	// Movies: the profile with the access token from Login.
	_, err = srv.Movies.AddUser(mediaauthtest.MoviesUser{Username: "john", Password: "pw-john-1", Email: "john@example.com"})
	require.NoError(t, err)
	tok, err := c.Movies.Login(ctx, "john", "pw-john-1")
	require.NoError(t, err)
	movies := c.With(tok)
	var profile mediaauth.User
	require.NoError(t, getJSON(t, movies.Movies.HTTPClient(), mediaauth.APIMovies, movies.Movies.BaseURL()+"/user/profile", &profile))
	assert.Equal(t, "john", profile.Username)

	// Another origin: refused, and that server sees nothing.
	other := newSink(t)
	all := movies.With(creds, session)
	for _, api := range []mediaauth.API{mediaauth.APIMovies, mediaauth.APITVmaze, mediaauth.APITMDb} {
		err := getJSON(t, handleOf(all, api).HTTPClient(), api, other.URL+"/3/account", &acct)
		require.ErrorIs(t, err, mediaauth.ErrOriginMismatch, api)
	}
	assert.Zero(t, other.count())
}

// countingLimiter counts waits and lets a fixed number through.
type countingLimiter struct {
	waits atomic.Int32
	lim   *rate.Limiter
}

func (l *countingLimiter) Wait(ctx context.Context) error {
	l.waits.Add(1)
	return l.lim.Wait(ctx)
}

// TestHTTPClientSharesTheLimiter: requests through HTTPClient and the SDK's
// own calls spend one budget. A burst of 3 lets three requests through,
// mixed; the fourth waits, and with a short deadline fails unsent.
func TestHTTPClientSharesTheLimiter(t *testing.T) {
	t.Parallel()
	srv := mediaauthtest.NewServer()
	t.Cleanup(srv.Close)
	lim := &countingLimiter{lim: rate.NewLimiter(rate.Every(time.Hour), 3)}
	c, err := srv.Client(mediaauth.WithRateLimiter(mediaauth.APITVmaze, lim))
	require.NoError(t, err)
	apiKey, err := srv.TVmaze.AddUser(mediaauthtest.TVmazeUser{Username: "bob", Email: "bob@example.com"})
	require.NoError(t, err)
	tv := c.With(mediaauth.TVmazeCredentials{Username: "bob", APIKey: apiKey})

	_, err = tv.TVmaze.Validate(t.Context())
	require.NoError(t, err)
	var follows []any
	require.NoError(t, getJSON(t, tv.TVmaze.HTTPClient(), mediaauth.APITVmaze, tv.TVmaze.BaseURL()+"/user/follows/shows", &follows))
	_, err = tv.TVmaze.Validate(t.Context())
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, tv.TVmaze.BaseURL()+"/user/follows/shows", nil)
	require.NoError(t, err)
	// rate.Limiter refuses at once a wait that would pass the deadline.
	_, err = tv.TVmaze.HTTPClient().Do(req)
	require.ErrorContains(t, err, "would exceed context deadline")
	_, err = tv.TVmaze.Validate(ctx)
	require.ErrorContains(t, err, "would exceed context deadline")
	assert.Equal(t, int32(5), lim.waits.Load())
	assert.Equal(t, 2, srv.RequestCount(http.MethodGet, "/v1/auth/validate"))
	assert.Equal(t, 1, srv.RequestCount(http.MethodGet, "/v1/user/follows/shows"))
}

// TestCheckResponse maps each API's error bodies to the SDK's sentinels.
func TestCheckResponse(t *testing.T) {
	t.Parallel()
	rows := []struct {
		name   string
		api    mediaauth.API
		status int
		header http.Header
		body   string
		want   []error
	}{
		{"Movies expired token", mediaauth.APIMovies, 401, http.Header{"Www-Authenticate": {`Bearer error="invalid_token", error_description="The access token expired"`}},
			`{"error":"token_expired","message":"expired"}`, []error{mediaauth.ErrTokenExpired, mediaauth.ErrUnauthorized}},
		{"Movies conflict", mediaauth.APIMovies, 409, nil, `{"error":"conflict","message":"taken"}`, []error{mediaauth.ErrConflict}},
		{"TVmaze status only", mediaauth.APITVmaze, 404, nil, ``, []error{mediaauth.ErrNotFound}},
		{"TVmaze rate limit", mediaauth.APITVmaze, 429, http.Header{"Retry-After": {"3"}}, `{"name":"Too Many Requests","status":429}`, []error{mediaauth.ErrRateLimited}},
		{"TMDb bad key", mediaauth.APITMDb, 401, nil, `{"success":false,"status_code":7,"status_message":"Invalid API key"}`, []error{mediaauth.ErrInvalidAPIKey, mediaauth.ErrUnauthorized}},
		{"TMDb not found", mediaauth.APITMDb, 404, nil, `{"success":false,"status_code":34,"status_message":"not found"}`, []error{mediaauth.ErrNotFound}},
		{"TMDb 5xx HTML", mediaauth.APITMDb, 502, http.Header{"Content-Type": {"text/html"}}, `<html><title>Bad gateway</title></html>`, []error{mediaauth.ErrServer}},
	}
	for _, row := range rows {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for k, v := range row.header {
				w.Header()[k] = v
			}
			w.WriteHeader(row.status)
			_, _ = io.WriteString(w, row.body)
		}))
		resp, err := http.Get(srv.URL + "/some/path?secret=x")
		require.NoError(t, err)
		err = mediaauth.CheckResponse(row.api, resp)
		for _, want := range row.want {
			assert.ErrorIs(t, err, want, row.name)
		}
		var apiErr *mediaauth.APIError
		require.ErrorAs(t, err, &apiErr, row.name)
		assert.Equal(t, row.status, apiErr.StatusCode)
		assert.Equal(t, "/some/path", apiErr.Path)
		assert.Equal(t, row.api, apiErr.API)
		rest, _ := io.ReadAll(resp.Body)
		assert.Equal(t, row.body, string(rest), "the body is left for the caller")
		srv.Close()
	}
	resp := &http.Response{StatusCode: 204, Body: io.NopCloser(strings.NewReader(""))}
	assert.NoError(t, mediaauth.CheckResponse(mediaauth.APITMDb, resp))
	assert.ErrorIs(t, mediaauth.CheckResponse(mediaauth.APITMDb, nil), mediaauth.ErrInvalidArgument)
}

// TestHTTPClientInvalidUse: an unknown API, a nil client and a client
// with an invalid credential refuse requests without sending them.
func TestHTTPClientInvalidUse(t *testing.T) {
	t.Parallel()
	other := newSink(t)
	c := boundaryClient(t, other.URL)
	var nilClient mediaauth.Client
	for name, hc := range map[string]*http.Client{
		"nil client":         nilClient.TMDb.HTTPClient(),
		"invalid credential": c.With(mediaauth.TMDbAPIKey("")).TMDb.HTTPClient(),
	} {
		_, err := hc.Get(other.URL + "/3/account")
		require.Error(t, err, name)
	}
	assert.Zero(t, other.count())
}

// TestCheckResponseScrubsEcho: an error answer that echoes the credentials
// the open pipeline added keeps them out of the *APIError.
func TestCheckResponseScrubsEcho(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"status_code":7,"status_message":"bad `+r.URL.RawQuery+` `+r.Header.Get("Authorization")+`"}`)
	}))
	t.Cleanup(srv.Close)
	for _, c := range []*mediaauth.Client{
		boundaryClient(t, srv.URL),
		boundaryClient(t, srv.URL).With(mediaauth.TMDbReadAccessToken(bTMDbRead)),
	} {
		resp, err := c.TMDb.HTTPClient().Get(c.TMDb.BaseURL() + "/3/account")
		require.NoError(t, err)
		err = mediaauth.CheckResponse(mediaauth.APITMDb, resp)
		require.ErrorIs(t, err, mediaauth.ErrInvalidAPIKey)
		assert.Contains(t, err.Error(), "[REDACTED]")
		assertNoSecret(t, "CheckResponse", err)
	}
}

// TestHTTPClientRetriesAndRedirects: the open pipeline resends as the
// SDK's own calls do (a GET after a 5xx; a POST only after a 429, with its
// body, even one that cannot rewind itself), and follows a redirect that
// stays on the origin, with the credentials on each hop.
func TestHTTPClientRetriesAndRedirects(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	fails := map[string]int{"/get": 2, "/post": 1, "/post500": 1}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization")+" "+string(body))
		switch {
		case r.URL.Path == "/moved":
			http.Redirect(w, r, "/get", http.StatusFound)
		case fails[r.URL.Path] > 0 && r.URL.Path == "/post":
			fails[r.URL.Path]--
			w.WriteHeader(http.StatusTooManyRequests)
		case fails[r.URL.Path] > 0:
			fails[r.URL.Path]--
			w.WriteHeader(http.StatusInternalServerError)
		default:
			_, _ = io.WriteString(w, "ok")
		}
	}))
	t.Cleanup(srv.Close)
	c, err := mediaauth.New(mediaauth.WithMoviesBaseURL(srv.URL), fastRetry,
		mediaauth.WithCredentials(mediaauth.Token{AccessToken: "open-token"}))
	require.NoError(t, err)
	hc := c.Movies.HTTPClient()
	send := func(method, path string, body io.Reader) int {
		req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, body)
		require.NoError(t, err)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, send(http.MethodGet, "/moved", nil))
	// A reader net/http cannot rewind (no GetBody).
	assert.Equal(t, http.StatusOK, send(http.MethodPost, "/post", io.MultiReader(strings.NewReader("body"))))
	assert.Equal(t, http.StatusInternalServerError, send(http.MethodPost, "/post500", strings.NewReader("x")))
	mu.Lock()
	defer mu.Unlock()
	auth := "Bearer open-token"
	assert.Equal(t, []string{
		"GET /moved " + auth + " ",
		"GET /get " + auth + " ", "GET /get " + auth + " ", "GET /get " + auth + " ",
		"POST /post " + auth + " body", "POST /post " + auth + " body",
		"POST /post500 " + auth + " x",
	}, seen)
}
