package mediaauthtest_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// Tests of controltmdb.go: the hooks of the TMDb handle over HTTP.

func TestControlTMDbCredentials(t *testing.T) {
	t.Parallel()
	f := newTMDbFake(t)
	srv := f.srv
	add := func(path, body string) {
		t.Helper()
		a := control(t, srv, http.MethodPost, path, body)
		require.Equal(t, http.StatusNoContent, a.status, "%s: %s", path, a.body)
	}
	validate := func(auth tmdbAuth) answer { return f.send(t, http.MethodGet, "/authentication", auth, "") }
	requireTMDbError(t, validate(tmdbAuth{apiKey: "suite-key"}), http.StatusUnauthorized, 7)
	add("/_fake/tmdb/api-keys", `{"api_key":"suite-key"}`)
	add("/_fake/tmdb/read-access-tokens", `{"read_access_token":"suite-read-token"}`)
	assert.Equal(t, http.StatusOK, validate(tmdbAuth{apiKey: "suite-key"}).status)
	assert.Equal(t, http.StatusOK, validate(tmdbAuth{bearer: "suite-read-token"}).status)

	add("/_fake/tmdb/suspend", `{"credential":"suite-key"}`)
	requireTMDbError(t, validate(tmdbAuth{apiKey: "suite-key"}), http.StatusUnauthorized, 10)
	add("/_fake/tmdb/suspend", `{"credential":"suite-read-token"}`)
	requireTMDbError(t, validate(tmdbAuth{bearer: "suite-read-token"}), http.StatusUnauthorized, 10)
	requireControlError(t, control(t, srv, http.MethodPost, "/_fake/tmdb/suspend", `{"credential":"unknown"}`), http.StatusNotFound, "not_found")

	add("/_fake/tmdb/access-tokens", `{"access_token":"ann-v4-token","username":"ann"}`)
	assert.True(t, srv.TMDb.AccessTokenValid("ann-v4-token"))

	for path, body := range map[string]string{
		"/_fake/tmdb/api-keys":           `{"api_key":""}`,
		"/_fake/tmdb/read-access-tokens": `{"read_access_token":"t","api_key":"k"}`,
		"/_fake/tmdb/suspend":            `{"credential":7}`,
		"/_fake/tmdb/access-tokens":      `{"access_token":"t"}`,
		"/_fake/tmdb/users":              `{"username":"ann"}`,
		"/_fake/tmdb/approve":            `{"username":"ann"}`,
		"/_fake/tmdb/deny":               `{}`,
	} {
		requireControlError(t, control(t, srv, http.MethodPost, path, body), http.StatusBadRequest, "invalid_request")
	}
}

// TestControlTMDbApproval approves and denies request tokens over HTTP,
// as the demo user and as an account added over HTTP, and reads what is
// valid.
func TestControlTMDbApproval(t *testing.T) {
	t.Parallel()
	f := newTMDbFake(t, mediaauthtest.WithTMDbTokenTTL(30*time.Minute))
	srv := f.srv
	require.Equal(t, http.StatusNoContent, control(t, srv, http.MethodPost, "/_fake/tmdb/users", `{"username":"ann","password":"ann-pw"}`).status)
	newSession := func(tok string) answer {
		return f.send(t, http.MethodPost, "/authentication/session/new", tmdbKeyAuth, `{"request_token":"`+tok+`"}`)
	}
	approve := func(body string) answer { return control(t, srv, http.MethodPost, "/_fake/tmdb/approve", body) }

	tok := f.newToken(t)
	a := control(t, srv, http.MethodGet, "/_fake/tmdb/request-tokens/"+tok, nil)
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, f.clock.Now().Add(30*time.Minute).UTC().Format(time.RFC3339), a.json(t)["expires_at"])
	requireTMDbError(t, newSession(tok), 422, 41)
	require.Equal(t, http.StatusNoContent, approve(`{"request_token":"`+tok+`","username":"ann"}`).status)
	a = newSession(tok)
	require.Equal(t, http.StatusOK, a.status)
	session, _ := a.fields(t)["session_id"].(string)
	acct := f.send(t, http.MethodGet, "/account?session_id="+url.QueryEscape(session)+"&api_key="+mediaauthtest.DemoTMDbAPIKey, tmdbAuth{}, "")
	assert.Equal(t, "ann", acct.fields(t)["username"], "the session is ann's")
	valid := func(path string) any { return control(t, srv, http.MethodGet, path, nil).json(t)["valid"] }
	assert.Equal(t, true, valid("/_fake/tmdb/sessions/"+session))
	assert.Equal(t, false, valid("/_fake/tmdb/sessions/unknown"))

	tok = f.newToken(t)
	require.Equal(t, http.StatusNoContent, approve(`{"request_token":"`+tok+`"}`).status)
	require.Equal(t, http.StatusOK, newSession(tok).status, "approved as the demo user")

	tok = f.newToken(t)
	require.Equal(t, http.StatusNoContent, control(t, srv, http.MethodPost, "/_fake/tmdb/deny", `{"request_token":"`+tok+`"}`).status)
	requireTMDbError(t, newSession(tok), http.StatusUnauthorized, 17)

	requireControlError(t, approve(`{"request_token":"unknown"}`), http.StatusNotFound, "not_found")
	requireControlError(t, approve(`{"request_token":"`+f.newToken(t)+`","username":"nobody"}`), http.StatusNotFound, "not_found")
	requireControlError(t, control(t, srv, http.MethodPost, "/_fake/tmdb/deny", `{"request_token":"unknown"}`), http.StatusNotFound, "not_found")
	requireControlError(t, control(t, srv, http.MethodGet, "/_fake/tmdb/request-tokens/unknown", nil), http.StatusNotFound, "not_found")

	guest := f.send(t, http.MethodGet, "/authentication/guest_session/new", tmdbKeyAuth, "").fields(t)["guest_session_id"].(string)
	assert.Equal(t, true, valid("/_fake/tmdb/guest-sessions/"+guest))
	f.clock.Advance(25 * time.Hour)
	assert.Equal(t, false, valid("/_fake/tmdb/guest-sessions/"+guest), "expired by the fake's clock")
	assert.Equal(t, true, valid("/_fake/tmdb/access-tokens/"+mediaauthtest.DemoTMDbAccessToken))
	assert.Equal(t, false, valid("/_fake/tmdb/access-tokens/unknown"))
}
