package mediaauthtest_test

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// tmdbFake is a fake server with a settable clock. (The contract tests,
// in the contract module, check its answers against TMDb's contract.)
type tmdbFake struct {
	srv   *mediaauthtest.Server
	clock *mediaauthtest.Clock
}

func newTMDbFake(t *testing.T, opts ...mediaauthtest.Option) *tmdbFake {
	t.Helper()
	f := &tmdbFake{}
	f.srv, f.clock = startFake(t, opts...)
	return f
}

// tmdbAuth says how a request authenticates.
type tmdbAuth struct {
	apiKey string // api_key query parameter, "" for none
	bearer string // read access token, "" for none
}

var tmdbKeyAuth = tmdbAuth{apiKey: mediaauthtest.DemoTMDbAPIKey}

// send makes one request to path (below /3) with a JSON body, and checks
// that the answer is JSON.
func (f *tmdbFake) send(t *testing.T, method, path string, auth tmdbAuth, body string) answer {
	t.Helper()
	a := f.sendRaw(t, method, path, auth, "application/json", body)
	require.Equal(t, "application/json", a.header.Get("Content-Type"), "%s %s: body %s", method, path, a.body)
	return a
}

// sendRaw makes one request with a body of contentType.
func (f *tmdbFake) sendRaw(t *testing.T, method, path string, auth tmdbAuth, contentType, body string) answer {
	t.Helper()
	target := f.srv.TMDb.URL() + mediaauthtest.TMDbPrefix + path
	if auth.apiKey != "" {
		target += "?api_key=" + auth.apiKey
	}
	return roundTrip(t, f.srv, method, target, body, func(req *http.Request) {
		if body != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if auth.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+auth.bearer)
		}
	})
}

// requireTMDbError checks TMDb's error body: exactly success false, the
// code and its message, with the HTTP status of TMDb's table.
func requireTMDbError(t *testing.T, a answer, status, code int) {
	t.Helper()
	require.Equal(t, status, a.status, "body %s", a.body)
	m := a.fields(t)
	assert.Len(t, m, 3, "only success, status_code and status_message: %v", m)
	assert.Equal(t, false, m["success"])
	assert.Equal(t, float64(code), m["status_code"])
	assert.NotEmpty(t, m["status_message"])
	assert.Equal(t, "application/json", a.header.Get("Content-Type"))
}

// newToken creates a request token and returns it.
func (f *tmdbFake) newToken(t *testing.T) string {
	t.Helper()
	a := f.send(t, http.MethodGet, "/authentication/token/new", tmdbKeyAuth, "")
	require.Equal(t, http.StatusOK, a.status)
	tok, _ := a.fields(t)["request_token"].(string)
	require.NotEmpty(t, tok)
	return tok
}

// newSession approves a new token and turns it into a session.
func (f *tmdbFake) newSession(t *testing.T) string {
	t.Helper()
	tok := f.newToken(t)
	require.NoError(t, f.srv.TMDb.Approve(tok))
	a := f.send(t, http.MethodPost, "/authentication/session/new", tmdbKeyAuth, `{"request_token":"`+tok+`"}`)
	require.Equal(t, http.StatusOK, a.status, "body %s", a.body)
	id, _ := a.fields(t)["session_id"].(string)
	require.NotEmpty(t, id)
	return id
}

// TestTMDbFakeCredentials checks both ways to authenticate and the answers
// to missing, unknown and suspended credentials.
func TestTMDbFakeCredentials(t *testing.T) {
	t.Parallel()
	f := newTMDbFake(t)
	validate := func(auth tmdbAuth) answer {
		return f.send(t, http.MethodGet, "/authentication", auth, "")
	}

	a := validate(tmdbKeyAuth)
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, map[string]any{"success": true, "status_code": float64(1), "status_message": "Success."}, a.fields(t))
	require.Equal(t, http.StatusOK, validate(tmdbAuth{bearer: mediaauthtest.DemoTMDbReadAccessToken}).status)
	require.Equal(t, http.StatusOK, validate(tmdbAuth{apiKey: "wrong", bearer: mediaauthtest.DemoTMDbReadAccessToken}).status,
		"the header wins over the query")

	requireTMDbError(t, validate(tmdbAuth{}), http.StatusUnauthorized, 7)
	requireTMDbError(t, validate(tmdbAuth{apiKey: "wrong"}), http.StatusUnauthorized, 7)
	requireTMDbError(t, validate(tmdbAuth{bearer: "wrong"}), http.StatusUnauthorized, 7)
	requireTMDbError(t, validate(tmdbAuth{bearer: mediaauthtest.DemoTMDbAPIKey}), http.StatusUnauthorized, 7)

	f.srv.TMDb.AddAPIKey("key-2")
	f.srv.TMDb.AddReadAccessToken("token-2")
	require.Equal(t, http.StatusOK, validate(tmdbAuth{apiKey: "key-2"}).status)
	require.Equal(t, http.StatusOK, validate(tmdbAuth{bearer: "token-2"}).status)
	require.True(t, f.srv.TMDb.SuspendAPIKey("key-2"))
	require.True(t, f.srv.TMDb.SuspendAPIKey("token-2"))
	requireTMDbError(t, validate(tmdbAuth{apiKey: "key-2"}), http.StatusUnauthorized, 10)
	requireTMDbError(t, validate(tmdbAuth{bearer: "token-2"}), http.StatusUnauthorized, 10)
	assert.False(t, f.srv.TMDb.SuspendAPIKey("never"))

	// Every path checks credentials before anything else.
	for _, p := range []struct{ method, path, body string }{
		{http.MethodGet, "/authentication/token/new", ""},
		{http.MethodPost, "/authentication/token/validate_with_login", `{"username":"demo"}`},
		{http.MethodPost, "/authentication/session/new", `not json`},
		{http.MethodPost, "/authentication/session/convert/4", `{}`},
		{http.MethodDelete, "/authentication/session", ``},
		{http.MethodGet, "/authentication/guest_session/new", ""},
	} {
		requireTMDbError(t, f.send(t, p.method, p.path, tmdbAuth{apiKey: "wrong"}, p.body), http.StatusUnauthorized, 7)
	}
}

// TestTMDbFakeRequestTokens checks token/new: format and 60-minute expiry.
func TestTMDbFakeRequestTokens(t *testing.T) {
	t.Parallel()
	f := newTMDbFake(t)
	a := f.send(t, http.MethodGet, "/authentication/token/new", tmdbKeyAuth, "")
	require.Equal(t, http.StatusOK, a.status)
	m := a.fields(t)
	assert.Equal(t, true, m["success"])
	assert.Equal(t, "2024-05-01 13:00:00 UTC", m["expires_at"])
	tok := m["request_token"].(string)
	assert.Regexp(t, `^[0-9a-f]{40}$`, tok)
	assert.Equal(t, "no-store", a.header.Get("Cache-Control"))
	exp, ok := f.srv.TMDb.TokenExpiry(tok)
	require.True(t, ok)
	assert.Equal(t, f.clock.Now().Add(time.Hour), exp)
	_, ok = f.srv.TMDb.TokenExpiry("unknown")
	assert.False(t, ok)

	assert.NotEqual(t, tok, f.newToken(t), "tokens are unique")

	short := newTMDbFake(t, mediaauthtest.WithTMDbTokenTTL(90*time.Second))
	a = short.send(t, http.MethodGet, "/authentication/token/new", tmdbKeyAuth, "")
	assert.Equal(t, "2024-05-01 12:01:30 UTC", a.fields(t)["expires_at"])
}

// TestTMDbFakeValidateWithLogin checks validate_with_login's answers.
func TestTMDbFakeValidateWithLogin(t *testing.T) {
	t.Parallel()
	f := newTMDbFake(t)
	require.NoError(t, f.srv.TMDb.AddUser(mediaauthtest.TMDbUser{Username: "unverified", Password: "pw-unverified", Unverified: true}))
	require.NoError(t, f.srv.TMDb.AddUser(mediaauthtest.TMDbUser{Username: "alice", Password: "pw-alice"}))
	tok := f.newToken(t)
	login := func(body string) answer {
		return f.send(t, http.MethodPost, "/authentication/token/validate_with_login", tmdbKeyAuth, body)
	}
	body := func(user, pass, token string) string {
		b, _ := json.Marshal(map[string]string{"username": user, "password": pass, "request_token": token})
		return string(b)
	}

	requireTMDbError(t, login(`{"password":"x","request_token":"`+tok+`"}`), http.StatusBadRequest, 26)
	requireTMDbError(t, login(body("alice", "", tok)), http.StatusBadRequest, 26)
	requireTMDbError(t, login(`{"username":`), http.StatusBadRequest, 47)
	requireTMDbError(t, login(`[]`), http.StatusBadRequest, 47)
	requireTMDbError(t, login(`{"username":"alice","password":"pw-alice","request_token":"`+tok+`","extra":1}`), http.StatusBadRequest, 47)
	a := f.sendRaw(t, http.MethodPost, "/authentication/token/validate_with_login", tmdbKeyAuth, "text/plain", body("alice", "pw-alice", tok))
	requireTMDbError(t, a, http.StatusBadRequest, 47)

	requireTMDbError(t, login(body("alice", "pw-alice", "unknown")), http.StatusUnauthorized, 33)
	requireTMDbError(t, login(body("alice", "wrong", tok)), http.StatusUnauthorized, 30)
	requireTMDbError(t, login(body("nobody", "pw-alice", tok)), http.StatusUnauthorized, 30)
	requireTMDbError(t, login(body("unverified", "pw-unverified", tok)), http.StatusUnauthorized, 32)

	a = login(body("alice", "pw-alice", tok))
	require.Equal(t, http.StatusOK, a.status, "body %s", a.body)
	assert.Equal(t, map[string]any{"success": true, "request_token": tok, "expires_at": "2024-05-01 13:00:00 UTC"}, a.fields(t))

	// The approved token becomes a session, once.
	a = f.send(t, http.MethodPost, "/authentication/session/new", tmdbKeyAuth, `{"request_token":"`+tok+`"}`)
	require.Equal(t, http.StatusOK, a.status)
	requireTMDbError(t, login(body("alice", "pw-alice", tok)), http.StatusUnauthorized, 33)

	// The demo account works out of the box.
	tok = f.newToken(t)
	a = login(body(mediaauthtest.DemoTMDbUsername, mediaauthtest.DemoTMDbPassword, tok))
	require.Equal(t, http.StatusOK, a.status)

	// Expired.
	tok = f.newToken(t)
	f.clock.Advance(time.Hour)
	requireTMDbError(t, login(body("alice", "pw-alice", tok)), http.StatusUnauthorized, 33)
}

// TestTMDbFakeSessions checks session/new: approval, single use, expiry,
// denial, bad bodies.
func TestTMDbFakeSessions(t *testing.T) {
	t.Parallel()
	f := newTMDbFake(t)
	newSession := func(body string) answer {
		return f.send(t, http.MethodPost, "/authentication/session/new", tmdbKeyAuth, body)
	}
	tokBody := func(tok string) string { return `{"request_token":"` + tok + `"}` }

	tok := f.newToken(t)
	requireTMDbError(t, newSession(tokBody(tok)), http.StatusUnprocessableEntity, 41)
	require.NoError(t, f.srv.TMDb.Approve(tok))
	a := newSession(tokBody(tok))
	require.Equal(t, http.StatusOK, a.status)
	m := a.fields(t)
	assert.Equal(t, true, m["success"])
	id := m["session_id"].(string)
	assert.Regexp(t, `^[0-9a-f]{40}$`, id)
	assert.True(t, f.srv.TMDb.SessionValid(id))
	assert.Equal(t, "no-store", a.header.Get("Cache-Control"))

	requireTMDbError(t, newSession(tokBody(tok)), http.StatusUnauthorized, 33)
	require.Error(t, f.srv.TMDb.Approve(tok))
	require.Error(t, f.srv.TMDb.Deny(tok))
	requireTMDbError(t, newSession(tokBody("unknown")), http.StatusUnauthorized, 33)
	requireTMDbError(t, newSession(`{"request_token":""}`), http.StatusUnauthorized, 33)
	requireTMDbError(t, newSession(`{"request_token":1}`), http.StatusUnprocessableEntity, 5)
	requireTMDbError(t, newSession(`nope`), http.StatusUnprocessableEntity, 5)

	denied := f.newToken(t)
	require.NoError(t, f.srv.TMDb.Deny(denied))
	requireTMDbError(t, newSession(tokBody(denied)), http.StatusUnauthorized, 17)
	require.NoError(t, f.srv.TMDb.Approve(denied), "the user changed their mind")
	require.Equal(t, http.StatusOK, newSession(tokBody(denied)).status)

	// Approved, then expired before use.
	late := f.newToken(t)
	require.NoError(t, f.srv.TMDb.Approve(late))
	f.clock.Advance(59*time.Minute + 59*time.Second)
	approvedInTime := f.newToken(t)
	require.NoError(t, f.srv.TMDb.Approve(approvedInTime))
	f.clock.Advance(time.Second)
	requireTMDbError(t, newSession(tokBody(late)), http.StatusUnauthorized, 33)
	require.Error(t, f.srv.TMDb.Approve(late))
	require.Equal(t, http.StatusOK, newSession(tokBody(approvedInTime)).status)

	auto := newTMDbFake(t, mediaauthtest.WithTMDbAutoApprove())
	tok = auto.newToken(t)
	a = auto.send(t, http.MethodPost, "/authentication/session/new", tmdbKeyAuth, tokBody(tok))
	require.Equal(t, http.StatusOK, a.status)
}

// TestTMDbFakeConvertV4 checks session/convert/4.
func TestTMDbFakeConvertV4(t *testing.T) {
	t.Parallel()
	f := newTMDbFake(t)
	convert := func(body string) answer {
		return f.send(t, http.MethodPost, "/authentication/session/convert/4", tmdbAuth{bearer: mediaauthtest.DemoTMDbReadAccessToken}, body)
	}
	a := convert(`{"access_token":"` + mediaauthtest.DemoTMDbAccessToken + `"}`)
	require.Equal(t, http.StatusOK, a.status)
	id := a.fields(t)["session_id"].(string)
	assert.True(t, f.srv.TMDb.SessionValid(id))

	f.srv.TMDb.AddAccessToken("v4-bob", "bob")
	require.Equal(t, http.StatusOK, convert(`{"access_token":"v4-bob"}`).status)
	requireTMDbError(t, convert(`{"access_token":"unknown"}`), http.StatusUnauthorized, 35)
	requireTMDbError(t, convert(`{}`), http.StatusUnauthorized, 35)
	requireTMDbError(t, convert(`{"access_token":`), http.StatusUnauthorized, 35)
}

// TestTMDbFakeDeleteSession checks DELETE /3/authentication/session.
func TestTMDbFakeDeleteSession(t *testing.T) {
	t.Parallel()
	f := newTMDbFake(t)
	id := f.newSession(t)
	del := func(body string) answer {
		return f.send(t, http.MethodDelete, "/authentication/session", tmdbKeyAuth, body)
	}
	a := del(`{"session_id":"` + id + `"}`)
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, map[string]any{"success": true}, a.fields(t))
	assert.False(t, f.srv.TMDb.SessionValid(id))
	requireTMDbError(t, del(`{"session_id":"`+id+`"}`), http.StatusNotFound, 37)
	requireTMDbError(t, del(`{"session_id":"unknown"}`), http.StatusNotFound, 37)
	requireTMDbError(t, del(`{"session_id":""}`), http.StatusNotFound, 6)
	requireTMDbError(t, del(``), http.StatusNotFound, 6)
	assert.False(t, f.srv.TMDb.SessionValid(""))
}

// TestTMDbFakeGuestSessions checks guest_session/new and guest expiry.
func TestTMDbFakeGuestSessions(t *testing.T) {
	t.Parallel()
	f := newTMDbFake(t)
	a := f.send(t, http.MethodGet, "/authentication/guest_session/new", tmdbAuth{bearer: mediaauthtest.DemoTMDbReadAccessToken}, "")
	require.Equal(t, http.StatusOK, a.status)
	m := a.fields(t)
	assert.Equal(t, true, m["success"])
	assert.Equal(t, "2024-05-02 12:00:00 UTC", m["expires_at"], "24 hours by default")
	id := m["guest_session_id"].(string)
	assert.Regexp(t, `^[0-9a-f]{32}$`, id)
	assert.True(t, f.srv.TMDb.GuestSessionValid(id))
	f.clock.Advance(24*time.Hour - time.Second)
	assert.True(t, f.srv.TMDb.GuestSessionValid(id))
	f.clock.Advance(time.Second)
	assert.False(t, f.srv.TMDb.GuestSessionValid(id))
	assert.False(t, f.srv.TMDb.GuestSessionValid("unknown"))

	short := newTMDbFake(t, mediaauthtest.WithTMDbGuestTTL(time.Minute))
	a = short.send(t, http.MethodGet, "/authentication/guest_session/new", tmdbKeyAuth, "")
	assert.Equal(t, "2024-05-01 12:01:00 UTC", a.fields(t)["expires_at"])
}

// TestTMDbFakeUnknownRoutes checks answers outside the seven operations.
func TestTMDbFakeUnknownRoutes(t *testing.T) {
	t.Parallel()
	f := newTMDbFake(t)
	a := f.sendRaw(t, http.MethodPost, "/authentication", tmdbKeyAuth, "application/json", "{}")
	requireTMDbError(t, a, http.StatusMethodNotAllowed, 42)
	assert.Equal(t, http.MethodGet, a.header.Get("Allow"))
	a = f.sendRaw(t, http.MethodGet, "/authentication/session", tmdbKeyAuth, "", "")
	requireTMDbError(t, a, http.StatusMethodNotAllowed, 42)
	assert.Equal(t, http.MethodDelete, a.header.Get("Allow"))
	requireTMDbError(t, f.sendRaw(t, http.MethodGet, "/movie/550", tmdbKeyAuth, "", ""), http.StatusNotFound, 34)
}

// TestTMDbFault checks TMDbFault for every code of TMDb's table: its status
// and body, as injected into the fake.
func TestTMDbFault(t *testing.T) {
	t.Parallel()
	statuses := map[int]int{
		1: 200, 2: 501, 3: 401, 4: 405, 5: 422, 6: 404, 7: 401, 8: 403, 9: 503, 10: 401,
		11: 500, 12: 201, 13: 200, 14: 401, 15: 500, 16: 401, 17: 401, 18: 400, 19: 406, 20: 422,
		21: 200, 22: 400, 23: 400, 24: 504, 25: 429, 26: 400, 27: 400, 28: 400, 29: 400, 30: 401,
		31: 401, 32: 401, 33: 401, 34: 404, 35: 401, 36: 401, 37: 404, 38: 401, 39: 401, 40: 200,
		41: 422, 42: 405, 43: 502, 44: 500, 45: 403, 46: 503, 47: 400,
	}
	for code, status := range statuses {
		fault := mediaauthtest.TMDbFault(code)
		assert.Equal(t, status, fault.Status, "code %d", code)
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(fault.Body), &m))
		assert.Equal(t, float64(code), m["status_code"])
		assert.Equal(t, status < 300, m["success"])
		assert.NotEmpty(t, m["status_message"])
	}
	assert.Equal(t, http.StatusInternalServerError, mediaauthtest.TMDbFault(999).Status)

	f := newTMDbFake(t)
	fault := mediaauthtest.TMDbFault(25)
	fault.Header.Set("Retry-After", "3")
	f.srv.InjectFault("/3/authentication/token/new", fault)
	a := f.send(t, http.MethodGet, "/authentication/token/new", tmdbKeyAuth, "")
	requireTMDbError(t, a, http.StatusTooManyRequests, 25)
	assert.Equal(t, "3", a.header.Get("Retry-After"))
	assert.Equal(t, "Your request count (#) is over the allowed limit of (40).", a.fields(t)["status_message"])
	require.Equal(t, http.StatusOK, f.send(t, http.MethodGet, "/authentication/token/new", tmdbKeyAuth, "").status, "once")
}

// TestTMDbFakeConcurrent runs whole flows in parallel (for -race).
func TestTMDbFakeConcurrent(t *testing.T) {
	t.Parallel()
	f := newTMDbFake(t, mediaauthtest.WithTMDbAutoApprove())
	c, err := f.srv.Client()
	require.NoError(t, err)
	var wg sync.WaitGroup
	ids := make(chan string, 16)
	for range cap(ids) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := c.TMDb.CreateRequestToken(t.Context())
			if !assert.NoError(t, err) {
				return
			}
			sess, err := c.TMDb.CreateSession(t.Context(), *tok)
			if assert.NoError(t, err) {
				ids <- sess.ID
			}
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		seen[id] = true
		assert.True(t, f.srv.TMDb.SessionValid(id))
	}
	assert.Len(t, seen, cap(ids))
}
