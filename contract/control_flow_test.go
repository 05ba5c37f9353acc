package contract_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// controlSession drives the control API through Prism's proxy of its
// document, and the fake's APIs directly.
type controlSession struct {
	t     *testing.T
	index *specIndex
	rt    http.RoundTripper
	// base is the proxy's URL; srv the fake behind it.
	base string
	srv  *mediaauthtest.Server
}

// step sends one control request through the proxy, with the control
// token unless noToken, fails the test on any violation or on another
// status than want, and returns the answer's body.
func (c *controlSession) step(opID string, want int, method, target string, body any) []byte {
	c.t.Helper()
	return c.send(opID, want, method, target, body, controlToken)
}

// send is step with the token given.
func (c *controlSession) send(opID string, want int, method, target string, body any, token string) []byte {
	c.t.Helper()
	text := ""
	if body != nil {
		data, err := json.Marshal(body)
		require.NoError(c.t, err)
		text = string(data)
	}
	var answer controlAnswer
	statuses, err := contractCall(c.t, c.index.op(c.t, opID), 0, func(ctx context.Context) error {
		var err error
		answer, err = sendControl(ctx, c.rt, method, c.base+target, text, token)
		return err
	})
	require.NoError(c.t, err)
	require.Equal(c.t, []int{want}, statuses, "%s %s: %s", method, target, answer.body)
	if c.t.Failed() {
		c.t.FailNow()
	}
	return answer.body
}

// api sends a request to the fake's APIs directly, with a JSON body when
// body is not empty, and decodes a JSON answer into out (when not nil).
func (c *controlSession) api(method, target, body string, out any) int {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.srv.URL+target, strings.NewReader(body))
	require.NoError(c.t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.srv.HTTPClient().Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	if out != nil {
		require.NoError(c.t, json.NewDecoder(resp.Body).Decode(out))
	}
	return resp.StatusCode
}

// controlFlow runs every operation of the control API through the proxy,
// as a test suite in another language would: the server's operations, then
// each API's, then a reset.
func controlFlow(c *controlSession) {
	controlServerFlow(c)
	controlMoviesFlow(c)
	controlTVmazeFlow(c)
	controlTMDbFlow(c)
	c.step("getRequests", 200, http.MethodGet, "/_fake/requests?prefix=/3/&status=429", nil)
	c.step("reset", 204, http.MethodPost, "/_fake/reset", nil)
	var log struct {
		Count int `json:"count"`
	}
	require.NoError(c.t, json.Unmarshal(c.step("getRequests", 200, http.MethodGet, "/_fake/requests", nil), &log))
	assert.Zero(c.t, log.Count, "the log is empty after the reset")
}

func controlServerFlow(c *controlSession) {
	c.send("getOpenAPI", 200, http.MethodGet, "/_fake/openapi.json", nil, "")
	c.send("getInfo", 401, http.MethodGet, "/_fake/info", nil, "")
	c.send("getInfo", 401, http.MethodGet, "/_fake/info", nil, "wrong-token")
	c.step("getInfo", 200, http.MethodGet, "/_fake/info", nil)
	c.step("getClock", 200, http.MethodGet, "/_fake/clock", nil)
	c.step("setClock", 200, http.MethodPut, "/_fake/clock", map[string]string{"now": "2024-06-01T00:00:00Z"})
	c.step("advanceClock", 200, http.MethodPost, "/_fake/clock/advance", map[string]float64{"seconds": 30.5})
	c.step("advanceClock", 400, http.MethodPost, "/_fake/clock/advance", map[string]float64{"seconds": 1e12})

	c.step("injectFault", 204, http.MethodPost, "/_fake/faults",
		map[string]any{"path": "/3/authentication", "method": "GET", "status": 429, "headers": map[string]string{"Retry-After": "1"}})
	assert.Equal(c.t, 429, c.api(http.MethodGet, "/3/authentication?api_key="+mediaauthtest.DemoTMDbAPIKey, "", nil))
	c.step("injectFault", 204, http.MethodPost, "/_fake/faults", map[string]any{"path": "/3/authentication", "tmdb_code": 25, "times": -1})
	c.step("injectFault", 400, http.MethodPost, "/_fake/faults", map[string]any{"path": "/3/authentication", "tmdb_code": 99})
	c.step("clearFaults", 204, http.MethodDelete, "/_fake/faults", nil)
	assert.Equal(c.t, 200, c.api(http.MethodGet, "/3/authentication?api_key="+mediaauthtest.DemoTMDbAPIKey, "", nil))
	c.step("getRequests", 200, http.MethodGet, "/_fake/requests?method=GET&path=/3/authentication&after=0&secrets=true", nil)

	state := map[string]any{
		"movies": map[string]any{"users": []any{map[string]any{"username": "suite", "email": "suite@example.com", "password": "suite-pw", "api_key": "mk_suite"}}},
		"tvmaze": map[string]any{"users": []any{map[string]any{"username": "suite", "email": "suite@example.com", "api_key": "suite-tvmaze-key", "followed_shows": []int{1}}}},
		"tmdb": map[string]any{"api_keys": []string{"suite-key"}, "read_access_tokens": []string{"suite-read"},
			"users": []any{map[string]any{"username": "suite", "password": "suite-pw"}}, "access_tokens": []any{map[string]any{"access_token": "suite-v4", "username": "suite"}}},
	}
	c.step("loadState", 204, http.MethodPost, "/_fake/state", state)
	c.step("loadState", 409, http.MethodPost, "/_fake/state", state)
	c.step("loadState", 400, http.MethodPost, "/_fake/state", map[string]any{"tmdb": map[string]any{"users": []any{
		map[string]any{"username": "twice", "password": "p"}, map[string]any{"username": "twice", "password": "p"}}}})
}

func controlMoviesFlow(c *controlSession) {
	user := map[string]any{"username": "ann", "email": "ann@example.com", "password": "ann-password", "unverified": true}
	c.step("moviesAddUser", 201, http.MethodPost, "/_fake/movies/users", user)
	c.step("moviesAddUser", 409, http.MethodPost, "/_fake/movies/users", user)
	c.step("moviesAddUser", 400, http.MethodPost, "/_fake/movies/users", map[string]any{"username": "bo", "email": "no address", "password": "p"})
	c.step("moviesEmails", 200, http.MethodGet, "/_fake/movies/emails?to=ann%40example.com&kind=verify", nil)
	c.step("moviesEmails", 200, http.MethodGet, "/_fake/movies/emails", nil)
	var email struct {
		Token string `json:"token"`
	}
	require.NoError(c.t, json.Unmarshal(c.step("moviesLastEmail", 200, http.MethodGet, "/_fake/movies/emails/last?to=ann%40example.com", nil), &email))
	assert.Equal(c.t, 204, c.api(http.MethodPost, "/verify-email", `{"token":"`+email.Token+`"}`, nil))
	c.step("moviesLastEmail", 404, http.MethodGet, "/_fake/movies/emails/last?to=ann%40example.com&kind=reset", nil)
	c.step("moviesExpireTokens", 204, http.MethodPost, "/_fake/movies/expire-tokens", nil)
}

func controlTVmazeFlow(c *controlSession) {
	c.step("tvmazeAddUser", 201, http.MethodPost, "/_fake/tvmaze/users", map[string]any{"username": "ann", "email": "ann@example.com", "premium_level": 1})
	c.step("tvmazeAuthToken", 404, http.MethodGet, "/_fake/tvmaze/auth-token?email=ann%40example.com", nil)
	require.Equal(c.t, 200, c.api(http.MethodPost, "/v1/auth/start", `{"email":"ann@example.com"}`, nil))
	c.step("tvmazeAuthToken", 200, http.MethodGet, "/_fake/tvmaze/auth-token?email=ann%40example.com", nil)
	c.step("tvmazeEmails", 200, http.MethodGet, "/_fake/tvmaze/emails?to=ann%40example.com", nil)
	c.step("tvmazeLastEmail", 200, http.MethodGet, "/_fake/tvmaze/emails/last?to=ann%40example.com", nil)
	c.step("tvmazeLastEmail", 404, http.MethodGet, "/_fake/tvmaze/emails/last?to=nobody%40example.com", nil)
	c.step("tvmazeOutbox", 200, http.MethodGet, "/_fake/tvmaze/outbox", nil)
	c.step("tvmazeConfirm", 204, http.MethodPost, "/_fake/tvmaze/confirm", map[string]string{"email": "ann@example.com"})
	c.step("tvmazeConfirm", 404, http.MethodPost, "/_fake/tvmaze/confirm", map[string]string{"token": "unknown"})
	c.step("tvmazeConfirm", 400, http.MethodPost, "/_fake/tvmaze/confirm", map[string]string{})
	c.step("tvmazeFollowShows", 204, http.MethodPost, "/_fake/tvmaze/follows", map[string]any{"username": "ann", "show_ids": []int{1, 2}})
	c.step("tvmazeFollowShows", 404, http.MethodPost, "/_fake/tvmaze/follows", map[string]any{"username": "nobody", "show_ids": []int{1}})
}

func controlTMDbFlow(c *controlSession) {
	c.step("tmdbAddUser", 204, http.MethodPost, "/_fake/tmdb/users", map[string]string{"username": "ann", "password": "ann-password"})
	c.step("tmdbAddAPIKey", 204, http.MethodPost, "/_fake/tmdb/api-keys", map[string]string{"api_key": "ann-key"})
	c.step("tmdbAddReadAccessToken", 204, http.MethodPost, "/_fake/tmdb/read-access-tokens", map[string]string{"read_access_token": "ann-read"})
	c.step("tmdbAddAccessToken", 204, http.MethodPost, "/_fake/tmdb/access-tokens", map[string]string{"access_token": "ann-v4", "username": "ann"})
	c.step("tmdbSuspend", 204, http.MethodPost, "/_fake/tmdb/suspend", map[string]string{"credential": "ann-read"})
	c.step("tmdbSuspend", 404, http.MethodPost, "/_fake/tmdb/suspend", map[string]string{"credential": "unknown"})

	newToken := func() string {
		var tok struct {
			RequestToken string `json:"request_token"`
		}
		require.Equal(c.t, 200, c.api(http.MethodGet, "/3/authentication/token/new?api_key=ann-key", "", &tok))
		return tok.RequestToken
	}
	tok := newToken()
	c.step("tmdbTokenExpiry", 200, http.MethodGet, "/_fake/tmdb/request-tokens/"+tok, nil)
	c.step("tmdbTokenExpiry", 404, http.MethodGet, "/_fake/tmdb/request-tokens/unknown", nil)
	c.step("tmdbApprove", 404, http.MethodPost, "/_fake/tmdb/approve", map[string]string{"request_token": tok, "username": "nobody"})
	c.step("tmdbApprove", 204, http.MethodPost, "/_fake/tmdb/approve", map[string]string{"request_token": tok, "username": "ann"})
	var session struct {
		SessionID string `json:"session_id"`
	}
	require.Equal(c.t, 200, c.api(http.MethodPost, "/3/authentication/session/new?api_key=ann-key", `{"request_token":"`+tok+`"}`, &session))
	c.step("tmdbSessionValid", 200, http.MethodGet, "/_fake/tmdb/sessions/"+url.PathEscape(session.SessionID), nil)
	c.step("tmdbApprove", 404, http.MethodPost, "/_fake/tmdb/approve", map[string]string{"request_token": tok})
	c.step("tmdbDeny", 204, http.MethodPost, "/_fake/tmdb/deny", map[string]string{"request_token": newToken()})
	c.step("tmdbDeny", 404, http.MethodPost, "/_fake/tmdb/deny", map[string]string{"request_token": tok})

	var guest struct {
		ID string `json:"guest_session_id"`
	}
	require.Equal(c.t, 200, c.api(http.MethodGet, "/3/authentication/guest_session/new?api_key=ann-key", "", &guest))
	c.step("tmdbGuestSessionValid", 200, http.MethodGet, "/_fake/tmdb/guest-sessions/"+guest.ID, nil)
	c.step("tmdbAccessTokenValid", 200, http.MethodGet, "/_fake/tmdb/access-tokens/ann-v4", nil)
	c.step("tmdbAccessTokenValid", 200, http.MethodGet, "/_fake/tmdb/access-tokens/unknown", nil)
}
