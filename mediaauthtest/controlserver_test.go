package mediaauthtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// Tests of controlserver.go: the control API's operations on the whole
// server (info, reset, state, clock, faults, request log).

func TestControlInfo(t *testing.T) {
	t.Parallel()
	srv, _ := startFake(t)
	m := control(t, srv, http.MethodGet, "/_fake/info", nil).json(t)
	assert.Equal(t, map[string]any{
		"movies_url": srv.Movies.URL(), "tvmaze_url": srv.TVmaze.URL(), "tmdb_url": srv.TMDb.URL(),
		"tmdb_site_url": srv.TMDb.SiteURL(), "openapi_url": srv.URL + mediaauthtest.ControlOpenAPIPath,
		"connections": float64(srv.Connections()),
	}, m)
	assert.Positive(t, m["connections"])
}

// clockAnswer decodes an answer of the clock operations.
func clockAnswer(t *testing.T, a answer) (time.Time, float64) {
	t.Helper()
	require.Equal(t, http.StatusOK, a.status, "body: %s", a.body)
	var body struct {
		Now    time.Time `json:"now"`
		Offset float64   `json:"offset_seconds"`
	}
	require.NoError(t, json.Unmarshal(a.body, &body))
	return body.Now, body.Offset
}

func TestControlClock(t *testing.T) {
	t.Parallel()
	srv, clock := startFake(t, mediaauthtest.WithTMDbGuestTTL(time.Hour))
	start := clock.Now()
	now, offset := clockAnswer(t, control(t, srv, http.MethodGet, "/_fake/clock", nil))
	assert.True(t, start.Equal(now))
	assert.Zero(t, offset)

	c, err := srv.Client()
	require.NoError(t, err)
	guest, err := c.TMDb.CreateGuestSession(t.Context())
	require.NoError(t, err)
	now, offset = clockAnswer(t, control(t, srv, http.MethodPost, "/_fake/clock/advance", map[string]any{"seconds": 3599.5}))
	assert.True(t, start.Add(3599500*time.Millisecond).Equal(now), "now %s", now)
	assert.InDelta(t, 3599.5, offset, 1e-9)
	assert.True(t, srv.TMDb.GuestSessionValid(guest.ID))
	clockAnswer(t, control(t, srv, http.MethodPost, "/_fake/clock/advance", `{"seconds": 0.5}`))
	assert.False(t, srv.TMDb.GuestSessionValid(guest.ID), "the fake's rules read the moved clock")
	assert.True(t, start.Add(time.Hour).Equal(srv.Now()))

	at := time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)
	now, offset = clockAnswer(t, control(t, srv, http.MethodPut, "/_fake/clock", `{"now":"2031-02-03T04:05:06Z"}`))
	assert.True(t, at.Equal(now))
	assert.InDelta(t, at.Sub(start).Seconds(), offset, 1e-6)
	now, _ = clockAnswer(t, control(t, srv, http.MethodPost, "/_fake/clock/advance", `{"seconds": -6}`))
	assert.True(t, at.Add(-6*time.Second).Equal(now), "back in time")

	for _, body := range []string{`{}`, `{"seconds": "11"}`, `{"seconds": 1e12}`} {
		requireControlError(t, control(t, srv, http.MethodPost, "/_fake/clock/advance", body), http.StatusBadRequest, "invalid_request")
	}
	for _, body := range []string{`{}`, `{"now": "tomorrow"}`} {
		requireControlError(t, control(t, srv, http.MethodPut, "/_fake/clock", body), http.StatusBadRequest, "invalid_request")
	}
}

// TestControlReset adds an account of each API, a key, an email, a fault,
// logged requests and a clock move, resets, and finds only the starting
// state: the demo accounts and the State of WithState.
func TestControlReset(t *testing.T) {
	t.Parallel()
	start := mediaauthtest.State{TMDb: mediaauthtest.TMDbState{APIKeys: []string{"start-key"}}}
	srv, clock := startFake(t, mediaauthtest.WithState(start))
	_, err := srv.Movies.AddUser(mediaauthtest.MoviesUser{Username: "ann", Email: "ann@example.com", Password: "ann-pw", Unverified: true})
	require.NoError(t, err)
	_, err = srv.TVmaze.AddUser(mediaauthtest.TVmazeUser{Username: "ann", Email: "ann@example.com", APIKey: "ann-key"})
	require.NoError(t, err)
	srv.TMDb.AddAPIKey("later-key")
	srv.InjectFault("/3/authentication", mediaauthtest.Fault{Status: http.StatusTeapot, Times: -1})
	assert.Equal(t, http.StatusTeapot, roundTrip(t, srv, http.MethodGet, srv.URL+"/3/authentication?api_key=later-key", "", nil).status)
	srv.AdvanceClock(time.Hour)

	a := control(t, srv, http.MethodPost, "/_fake/reset", nil)
	require.Equal(t, http.StatusNoContent, a.status, "body: %s", a.body)
	assert.Empty(t, srv.Requests())
	assert.True(t, clock.Now().Equal(srv.Now()), "the clock's move is taken back")
	assert.Empty(t, srv.Movies.Emails())
	_, ok := srv.Movies.VerificationToken("ann@example.com")
	assert.False(t, ok)
	assert.False(t, srv.TVmaze.FollowShows("ann"), "the TVmaze account is gone")
	assert.True(t, srv.TVmaze.FollowShows(mediaauthtest.DemoTVmazeUsername), "the demo account is there")
	for key, want := range map[string]int{"later-key": 401, "start-key": 200, mediaauthtest.DemoTMDbAPIKey: 200} {
		assert.Equal(t, want, roundTrip(t, srv, http.MethodGet, srv.URL+"/3/authentication?api_key="+key, "", nil).status, key)
	}
	_, err = srv.Movies.AddUser(mediaauthtest.MoviesUser{Username: "ann", Email: "ann@example.com", Password: "ann-pw"})
	assert.NoError(t, err, "the Movies account is gone: its name is free")
	requireControlError(t, control(t, srv, http.MethodPost, "/_fake/reset", `{"now": true}`), http.StatusBadRequest, "invalid_request")
}

func TestControlLoadState(t *testing.T) {
	t.Parallel()
	srv, _ := startFake(t)
	st := `{"movies":{"users":[{"username":"ann","email":"ann@example.com","password":"ann-pw","api_key":"mk_ann"}]},
	        "tmdb":{"api_keys":["ann-tmdb-key"]}}`
	require.Equal(t, http.StatusNoContent, control(t, srv, http.MethodPost, "/_fake/state", st).status)
	profile := roundTrip(t, srv, http.MethodGet, srv.URL+"/user/profile", "", func(r *http.Request) {
		r.Header.Set("Authorization", "Bearer mk_ann")
	})
	require.Equal(t, http.StatusOK, profile.status, "body: %s", profile.body)
	assert.Equal(t, "ann", profile.json(t)["username"])
	assert.Equal(t, http.StatusOK, roundTrip(t, srv, http.MethodGet, srv.URL+"/3/authentication?api_key=ann-tmdb-key", "", nil).status)

	// Again: ann is taken, so nothing of the document is added.
	again := `{"movies":{"users":[{"username":"ann","email":"ann2@example.com","password":"pw"}]},"tmdb":{"api_keys":["second-key"]}}`
	requireControlError(t, control(t, srv, http.MethodPost, "/_fake/state", again), http.StatusConflict, "conflict")
	assert.Equal(t, http.StatusUnauthorized, roundTrip(t, srv, http.MethodGet, srv.URL+"/3/authentication?api_key=second-key", "", nil).status)

	for _, bad := range []string{`{"movie":{}}`, `{"tvmaze":{"users":[{"username":"x"}]}}`, `{"tmdb":{"api_keys":[""]}}`, `[]`} {
		requireControlError(t, control(t, srv, http.MethodPost, "/_fake/state", bad), http.StatusBadRequest, "invalid_request")
	}
}

// apiStatus sends a request without body to the fake's APIs and returns
// the status of the answer.
func apiStatus(t *testing.T, srv *mediaauthtest.Server, method, path string) int {
	t.Helper()
	return roundTrip(t, srv, method, srv.URL+path, "", nil).status
}

// requestLog reads GET /_fake/requests with query.
func requestLog(t *testing.T, srv *mediaauthtest.Server, query string) []map[string]any {
	t.Helper()
	a := control(t, srv, http.MethodGet, "/_fake/requests"+query, nil)
	require.Equal(t, http.StatusOK, a.status, "body: %s", a.body)
	var body struct {
		Count    int              `json:"count"`
		Requests []map[string]any `json:"requests"`
	}
	require.NoError(t, json.Unmarshal(a.body, &body))
	require.Len(t, body.Requests, body.Count)
	return body.Requests
}

func TestControlRequests(t *testing.T) {
	t.Parallel()
	srv, clock := startFake(t)
	key := "?api_key=" + mediaauthtest.DemoTMDbAPIKey
	apiStatus(t, srv, http.MethodGet, "/3/authentication"+key)
	clock.Advance(time.Second)
	roundTrip(t, srv, http.MethodGet, srv.URL+"/user/profile", "", func(r *http.Request) {
		r.Header.Set("Authorization", "Bearer secret-access-token")
		r.Header.Set("Cookie", "session=secret-cookie")
	})
	apiStatus(t, srv, http.MethodPost, "/3/authentication")
	apiStatus(t, srv, http.MethodGet, "/v1/auth/validate")

	all := requestLog(t, srv, "")
	require.Len(t, all, 4)
	first := all[0]
	assert.Equal(t, float64(1), first["seq"])
	assert.Equal(t, "GET", first["method"])
	assert.Equal(t, "/3/authentication", first["path"], "without the query, where the API key was")
	assert.Equal(t, float64(200), first["status"])
	assert.Equal(t, clock.Now().Add(-time.Second).Format(time.RFC3339Nano), first["at"])
	hidden := all[1]["header"].(map[string]any)
	assert.Equal(t, []any{"[REDACTED]"}, hidden["Authorization"])
	assert.Equal(t, []any{"[REDACTED]"}, hidden["Cookie"])
	assert.NotContains(t, string(control(t, srv, http.MethodGet, "/_fake/requests", nil).body), "secret-")

	shown := requestLog(t, srv, "?secrets=true&path=/user/profile")
	require.Len(t, shown, 1)
	assert.Equal(t, []any{"Bearer secret-access-token"}, shown[0]["header"].(map[string]any)["Authorization"])

	seqs := func(query string) []int {
		var out []int
		for _, r := range requestLog(t, srv, query) {
			out = append(out, int(r["seq"].(float64)))
		}
		return out
	}
	assert.Equal(t, []int{1, 3}, seqs("?prefix=/3/"))
	assert.Equal(t, []int{3}, seqs("?prefix=/3/&method=post"))
	assert.Equal(t, []int{2, 4}, seqs("?status=401"))
	assert.Equal(t, []int{3, 4}, seqs("?after=2"))
	assert.Equal(t, []int(nil), seqs("?path=/login"))
	for _, q := range []string{"?status=x", "?after=-1", "?secrets=maybe"} {
		requireControlError(t, control(t, srv, http.MethodGet, "/_fake/requests"+q, nil), http.StatusBadRequest, "invalid_request")
	}
}

// TestControlFaults injects each kind of fault over HTTP and sees it on
// the next call.
func TestControlFaults(t *testing.T) {
	t.Parallel()
	srv, _ := startFake(t)
	inject := func(f map[string]any) {
		t.Helper()
		a := control(t, srv, http.MethodPost, "/_fake/faults", f)
		require.Equal(t, http.StatusNoContent, a.status, "body: %s", a.body)
	}
	validate := "/3/authentication?api_key=" + mediaauthtest.DemoTMDbAPIKey
	get := func() answer { return roundTrip(t, srv, http.MethodGet, srv.URL+validate, "", nil) }

	inject(map[string]any{"path": "/3/authentication", "status": 429, "headers": map[string]string{"Retry-After": "7"}, "times": 2})
	for range 2 {
		a := get()
		assert.Equal(t, 429, a.status)
		assert.Equal(t, "7", a.header.Get("Retry-After"))
		assert.Equal(t, "injected_fault", a.json(t)["error"])
	}
	assert.Equal(t, 200, get().status, "two times, then the real answer")

	inject(map[string]any{"path": "/3/authentication", "tmdb_code": 25})
	a := get()
	assert.Equal(t, 429, a.status)
	assert.Equal(t, float64(25), a.json(t)["status_code"])

	inject(map[string]any{"path": "/3/authentication", "method": "post", "status": 503})
	assert.Equal(t, 200, get().status, "another method")
	assert.Equal(t, 503, apiStatus(t, srv, http.MethodPost, "/3/authentication"))

	inject(map[string]any{"path": "/3/authentication", "status": 502, "content_type": "text/html", "body": "<title>Bad gateway</title>"})
	a = get()
	assert.Equal(t, "<title>Bad gateway</title>", string(a.body))
	assert.Equal(t, "text/html", a.header.Get("Content-Type"))

	inject(map[string]any{"path": "/3/authentication", "malformed": true})
	var v any
	assert.Error(t, json.Unmarshal(get().body, &v), "a malformed body")

	inject(map[string]any{"path": "/3/authentication", "status": 200, "body_size": 3 << 20})
	assert.Len(t, get().body, 3<<20, "a huge body")

	inject(map[string]any{"path": "/3/authentication", "delay_seconds": 0.2, "pass_through": true})
	began := time.Now()
	assert.Equal(t, 200, get().status)
	assert.GreaterOrEqual(t, time.Since(began), 200*time.Millisecond)

	// A new connection for each request: Go's client sends a GET again
	// when a reused connection closes before the answer.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for _, drop := range []string{"drop", "drop_after_headers"} {
		inject(map[string]any{"path": "/3/authentication", drop: true})
		resp, err := fresh.Get(srv.URL + validate)
		if err == nil {
			_, err = readAll(resp)
		}
		assert.Error(t, err, drop)
	}

	inject(map[string]any{"path": "/3/authentication", "times": -1, "status": 500})
	assert.Equal(t, 500, get().status)
	assert.Equal(t, 500, get().status)
	require.Equal(t, http.StatusNoContent, control(t, srv, http.MethodDelete, "/_fake/faults", nil).status)
	assert.Equal(t, 200, get().status, "cleared")
}

func TestControlFaultRefusals(t *testing.T) {
	t.Parallel()
	srv, _ := startFake(t)
	for name, f := range map[string]map[string]any{
		"no path":                {"status": 500},
		"relative path":          {"path": "login"},
		"control path":           {"path": "/_fake/reset"},
		"bad method":             {"path": "/login", "method": "PO ST"},
		"times below -1":         {"path": "/login", "times": -2},
		"status 99":              {"path": "/login", "status": 99},
		"status 600":             {"path": "/login", "status": 600},
		"huge body_size":         {"path": "/login", "body_size": 65<<20 + 1},
		"negative delay":         {"path": "/login", "delay_seconds": -1},
		"delay over ten minutes": {"path": "/login", "delay_seconds": 601},
		"unknown tmdb_code":      {"path": "/login", "tmdb_code": 99},
		"tmdb_code and status":   {"path": "/login", "tmdb_code": 25, "status": 429},
		"malformed and body":     {"path": "/login", "malformed": true, "body": "{}"},
		"bad header name":        {"path": "/login", "headers": map[string]string{"Retry After": "1"}},
		"header with a newline":  {"path": "/login", "headers": map[string]string{"Retry-After": "1\r\nX-Evil: 1"}},
		"unknown field":          {"path": "/login", "code": 500},
	} {
		a := control(t, srv, http.MethodPost, "/_fake/faults", f)
		requireControlError(t, a, http.StatusBadRequest, "invalid_request")
		assert.NotEmpty(t, a.json(t)["message"], name)
	}
	assert.Equal(t, http.StatusBadRequest, apiStatus(t, srv, http.MethodPost, "/login"), "no fault was added: the real answer")
	assert.Equal(t, 1, srv.RequestCount(http.MethodPost, "/login"))
	assert.Equal(t, http.StatusBadRequest, requestLogStatus(t, srv))
}

// requestLogStatus returns the status of the last logged request.
func requestLogStatus(t *testing.T, srv *mediaauthtest.Server) int {
	t.Helper()
	reqs := requestLog(t, srv, "")
	require.NotEmpty(t, reqs)
	return int(reqs[len(reqs)-1]["status"].(float64))
}

// readAll reads and closes the body of resp.
func readAll(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}
