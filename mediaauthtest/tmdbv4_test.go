package mediaauthtest_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// tmdbV4Fake is a tmdbFake with helpers for the /4 calls. That its
// answers match the v4 contract is checked by the contract tests.
type tmdbV4Fake struct {
	*tmdbFake
}

func newTMDbV4Fake(t *testing.T, opts ...mediaauthtest.Option) *tmdbV4Fake {
	t.Helper()
	return &tmdbV4Fake{tmdbFake: newTMDbFake(t, opts...)}
}

// readToken is the fake's default read access token.
const readToken = mediaauthtest.DemoTMDbReadAccessToken

// send4 makes one request to path (below /4) with bearer as the Bearer
// token ("" for none) and checks that the answer is JSON.
func (f *tmdbV4Fake) send4(t *testing.T, method, path, bearer, body string) answer {
	t.Helper()
	a := f.send4Raw(t, method, path, bearer, body)
	require.Equal(t, "application/json", a.header.Get("Content-Type"), "%s %s: body %s", method, path, a.body)
	return a
}

// send4Raw is send4 without the contract check.
func (f *tmdbV4Fake) send4Raw(t *testing.T, method, path, bearer, body string) answer {
	t.Helper()
	return roundTrip(t, f.srv, method, f.srv.TMDb.URL()+mediaauthtest.TMDbV4Prefix+path, body, func(req *http.Request) {
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
	})
}

// newV4Token creates a v4 request token and returns it.
func (f *tmdbV4Fake) newV4Token(t *testing.T) string {
	t.Helper()
	a := f.send4(t, http.MethodPost, "/auth/request_token", readToken, "")
	require.Equal(t, http.StatusOK, a.status, "body %s", a.body)
	tok, _ := a.json(t)["request_token"].(string)
	require.NotEmpty(t, tok)
	return tok
}

// exchange sends the request token to /4/auth/access_token.
func (f *tmdbV4Fake) exchange(t *testing.T, requestToken string) answer {
	t.Helper()
	return f.send4(t, http.MethodPost, "/auth/access_token", readToken, `{"request_token":"`+requestToken+`"}`)
}

// logout sends the access token to DELETE /4/auth/access_token.
func (f *tmdbV4Fake) logout(t *testing.T, accessToken string) answer {
	t.Helper()
	return f.send4(t, http.MethodDelete, "/auth/access_token", readToken, `{"access_token":"`+accessToken+`"}`)
}

// account reads /3/account with accessToken as the Bearer token.
func (f *tmdbV4Fake) account(t *testing.T, accessToken string) answer {
	t.Helper()
	return f.sendRaw(t, http.MethodGet, "/account", tmdbAuth{bearer: accessToken}, "", "")
}

// TestTMDbV4FakeFlow runs the whole v4 flow on the wire: request token,
// exchange refused until approved, approval, exchange, single use,
// convert/4, /3/account, logout and what the logged out token still does.
func TestTMDbV4FakeFlow(t *testing.T) {
	t.Parallel()
	f := newTMDbV4Fake(t)

	a := f.send4(t, http.MethodPost, "/auth/request_token", readToken, `{"redirect_to":"http://localhost:8080/done"}`)
	require.Equal(t, http.StatusOK, a.status)
	m := a.json(t)
	assert.Equal(t, true, m["success"])
	assert.Equal(t, float64(1), m["status_code"])
	assert.Equal(t, "Success.", m["status_message"])
	assert.Len(t, m, 4)
	assert.Equal(t, "no-store", a.header.Get("Cache-Control"))
	tok := m["request_token"].(string)
	expires, ok := f.srv.TMDb.TokenExpiry(tok)
	require.True(t, ok)
	assert.Equal(t, f.clock.Now().Add(15*time.Minute), expires, "15 minutes by default")

	// Not approved yet.
	requireTMDbError(t, f.exchange(t, tok), http.StatusUnprocessableEntity, 41)
	requireTMDbError(t, f.exchange(t, tok), http.StatusUnprocessableEntity, 41)

	require.NoError(t, f.srv.TMDb.Approve(tok))
	a = f.exchange(t, tok)
	require.Equal(t, http.StatusOK, a.status, "body %s", a.body)
	m = a.json(t)
	assert.Len(t, m, 5)
	assert.Equal(t, true, m["success"])
	assert.Equal(t, mediaauthtest.DemoTMDbV4AccountID, m["account_id"], "the demo user approved")
	access := m["access_token"].(string)
	require.NotEmpty(t, access)
	assert.Equal(t, "no-store", a.header.Get("Cache-Control"))
	assert.True(t, f.srv.TMDb.AccessTokenValid(access))

	// Single use, and no hook brings it back.
	requireTMDbError(t, f.exchange(t, tok), http.StatusUnauthorized, 33)
	require.Error(t, f.srv.TMDb.Approve(tok))

	// The access token makes v3 sessions and reads the account.
	a = f.send(t, http.MethodPost, "/authentication/session/convert/4", tmdbKeyAuth, `{"access_token":"`+access+`"}`)
	require.Equal(t, http.StatusOK, a.status, "body %s", a.body)
	sess := a.fields(t)["session_id"].(string)
	assert.True(t, f.srv.TMDb.SessionValid(sess))
	a = f.account(t, access)
	require.Equal(t, http.StatusOK, a.status, "body %s", a.body)
	assert.Equal(t, mediaauthtest.DemoTMDbUsername, a.json(t)["username"])
	assert.Equal(t, float64(mediaauthtest.DemoTMDbAccountID), a.json(t)["id"])

	// Logout.
	a = f.logout(t, access)
	require.Equal(t, http.StatusOK, a.status, "body %s", a.body)
	assert.Equal(t, map[string]any{"success": true, "status_code": float64(13),
		"status_message": "The item/record was deleted successfully."}, a.json(t))
	assert.False(t, f.srv.TMDb.AccessTokenValid(access))
	requireTMDbError(t, f.logout(t, access), http.StatusUnauthorized, 35)
	requireTMDbError(t, f.send(t, http.MethodPost, "/authentication/session/convert/4", tmdbKeyAuth, `{"access_token":"`+access+`"}`),
		http.StatusUnauthorized, 35)
	requireTMDbError(t, f.account(t, access), http.StatusUnauthorized, 7)
	assert.True(t, f.srv.TMDb.SessionValid(sess), "a session made before the logout is its own")
}

// TestTMDbV4FakeNeedsReadToken checks that the three v4 calls take the
// read access token and nothing else.
func TestTMDbV4FakeNeedsReadToken(t *testing.T) {
	t.Parallel()
	f := newTMDbV4Fake(t)
	calls := []struct{ method, path, body string }{
		{http.MethodPost, "/auth/request_token", ""},
		{http.MethodPost, "/auth/access_token", `{"request_token":"x"}`},
		{http.MethodDelete, "/auth/access_token", `{"access_token":"x"}`},
	}
	f.srv.TMDb.AddReadAccessToken("suspended-read-token")
	require.True(t, f.srv.TMDb.SuspendAPIKey("suspended-read-token"))
	for _, c := range calls {
		for _, bad := range []string{"", "wrong", mediaauthtest.DemoTMDbAPIKey, mediaauthtest.DemoTMDbAccessToken} {
			requireTMDbError(t, f.send4(t, c.method, c.path, bad, c.body), http.StatusUnauthorized, 7)
		}
		// The api_key query parameter is no credential here either.
		a := roundTrip(t, f.srv, c.method, f.srv.TMDb.URL()+"/4"+c.path+"?api_key="+mediaauthtest.DemoTMDbAPIKey, c.body, func(req *http.Request) {
			req.Header.Set("Content-Type", "application/json")
		})
		requireTMDbError(t, a, http.StatusUnauthorized, 7)
		requireTMDbError(t, f.send4(t, c.method, c.path, "suspended-read-token", c.body), http.StatusUnauthorized, 10)
	}
	f.srv.TMDb.AddReadAccessToken("second-read-token")
	a := f.send4(t, http.MethodPost, "/auth/request_token", "second-read-token", "")
	require.Equal(t, http.StatusOK, a.status)
}

// TestTMDbV4FakeExpiry checks the 15-minute life of an unused request
// token and WithTMDbV4TokenTTL.
func TestTMDbV4FakeExpiry(t *testing.T) {
	t.Parallel()
	t.Run("default", func(t *testing.T) {
		t.Parallel()
		f := newTMDbV4Fake(t)
		approved, late := f.newV4Token(t), f.newV4Token(t)
		f.clock.Advance(15*time.Minute - time.Second)
		require.NoError(t, f.srv.TMDb.Approve(approved))
		require.Equal(t, http.StatusOK, f.exchange(t, approved).status, "still alive a second before")
		require.NoError(t, f.srv.TMDb.Approve(late))
		f.clock.Advance(time.Second)
		requireTMDbError(t, f.exchange(t, late), http.StatusUnauthorized, 33)
		require.Error(t, f.srv.TMDb.Approve(late), "an expired token cannot be approved")
		require.Error(t, f.srv.TMDb.Deny(late))
	})
	t.Run("configured", func(t *testing.T) {
		t.Parallel()
		f := newTMDbV4Fake(t, mediaauthtest.WithTMDbV4TokenTTL(time.Minute), mediaauthtest.WithTMDbAutoApprove())
		tok := f.newV4Token(t)
		expires, ok := f.srv.TMDb.TokenExpiry(tok)
		require.True(t, ok)
		assert.Equal(t, f.clock.Now().Add(time.Minute), expires)
		f.clock.Advance(time.Minute)
		requireTMDbError(t, f.exchange(t, tok), http.StatusUnauthorized, 33)
		// v3 request tokens keep their own life.
		v3 := f.newToken(t)
		f.clock.Advance(59 * time.Minute)
		require.NoError(t, f.srv.TMDb.Approve(v3))
	})
}

// TestTMDbV4FakeApprovers checks who approves: deny, auto-approve, and
// another user with TMDb.ApproveAs.
func TestTMDbV4FakeApprovers(t *testing.T) {
	t.Parallel()
	t.Run("deny", func(t *testing.T) {
		t.Parallel()
		f := newTMDbV4Fake(t)
		tok := f.newV4Token(t)
		require.NoError(t, f.srv.TMDb.Deny(tok))
		requireTMDbError(t, f.exchange(t, tok), http.StatusUnauthorized, 33)
		require.NoError(t, f.srv.TMDb.Approve(tok), "the user changed their mind")
		require.Equal(t, http.StatusOK, f.exchange(t, tok).status)
	})
	t.Run("auto-approve", func(t *testing.T) {
		t.Parallel()
		f := newTMDbV4Fake(t, mediaauthtest.WithTMDbAutoApprove())
		a := f.exchange(t, f.newV4Token(t))
		require.Equal(t, http.StatusOK, a.status, "body %s", a.body)
		assert.Equal(t, mediaauthtest.DemoTMDbV4AccountID, a.json(t)["account_id"])
	})
	t.Run("another user", func(t *testing.T) {
		t.Parallel()
		f := newTMDbV4Fake(t)
		require.NoError(t, f.srv.TMDb.AddUser(mediaauthtest.TMDbUser{Username: "alice", Password: "alice-Passw0rd"}))
		tok := f.newV4Token(t)
		require.Error(t, f.srv.TMDb.ApproveAs(tok, "nobody"))
		require.Error(t, f.srv.TMDb.ApproveAs("unknown-token", "alice"))
		require.NoError(t, f.srv.TMDb.ApproveAs(tok, "alice"))
		a := f.exchange(t, tok)
		require.Equal(t, http.StatusOK, a.status, "body %s", a.body)
		m := a.json(t)
		assert.Equal(t, fmt.Sprintf("4bc889%018x", mediaauthtest.DemoTMDbAccountID+1), m["account_id"])
		assert.NotEqual(t, mediaauthtest.DemoTMDbV4AccountID, m["account_id"])
		acct := f.account(t, m["access_token"].(string))
		require.Equal(t, http.StatusOK, acct.status)
		assert.Equal(t, "alice", acct.json(t)["username"])
	})
}

// TestTMDbV4FakeTokensDoNotMix checks that v3 and v4 request tokens are
// each good only for their own calls.
func TestTMDbV4FakeTokensDoNotMix(t *testing.T) {
	t.Parallel()
	f := newTMDbV4Fake(t, mediaauthtest.WithTMDbAutoApprove())
	v3, v4 := f.newToken(t), f.newV4Token(t)
	requireTMDbError(t, f.exchange(t, v3), http.StatusUnauthorized, 33)
	requireTMDbError(t, f.send(t, http.MethodPost, "/authentication/session/new", tmdbKeyAuth, `{"request_token":"`+v4+`"}`),
		http.StatusUnauthorized, 33)
	requireTMDbError(t, f.send(t, http.MethodPost, "/authentication/token/validate_with_login", tmdbKeyAuth,
		`{"username":"demo","password":"demo-password","request_token":"`+v4+`"}`), http.StatusUnauthorized, 33)
	// Both are still good for their own call.
	require.Equal(t, http.StatusOK, f.exchange(t, v4).status)
	require.Equal(t, http.StatusOK, f.send(t, http.MethodPost, "/authentication/session/new", tmdbKeyAuth, `{"request_token":"`+v3+`"}`).status)
}

// TestTMDbV4FakeBadRequests checks bodies that are not the contract's,
// other methods and unknown paths.
func TestTMDbV4FakeBadRequests(t *testing.T) {
	t.Parallel()
	f := newTMDbV4Fake(t)
	requireTMDbError(t, f.send4Raw(t, http.MethodPost, "/auth/request_token", readToken, `{"redirect_to":1}`), http.StatusBadRequest, 47)
	requireTMDbError(t, f.send4Raw(t, http.MethodPost, "/auth/request_token", readToken, `{"other":"x"}`), http.StatusBadRequest, 47)
	require.Equal(t, http.StatusOK, f.send4(t, http.MethodPost, "/auth/request_token", readToken, `{}`).status)

	for _, body := range []string{"", "{}", `{"request_token":""}`, `{"request_token":"x","extra":1}`, "[]"} {
		requireTMDbError(t, f.send4(t, http.MethodPost, "/auth/access_token", readToken, body), http.StatusUnauthorized, 33)
		requireTMDbError(t, f.send4(t, http.MethodDelete, "/auth/access_token", readToken,
			body), http.StatusUnauthorized, 35)
	}
	// A token with extra fields around it is refused and stays usable.
	tok := f.newV4Token(t)
	require.NoError(t, f.srv.TMDb.Approve(tok))
	requireTMDbError(t, f.send4(t, http.MethodPost, "/auth/access_token", readToken, `{"request_token":"`+tok+`","x":1}`),
		http.StatusUnauthorized, 33)
	require.Equal(t, http.StatusOK, f.exchange(t, tok).status)

	a := f.send4Raw(t, http.MethodGet, "/auth/request_token", readToken, "")
	requireTMDbError(t, a, http.StatusMethodNotAllowed, 42)
	assert.Equal(t, http.MethodPost, a.header.Get("Allow"))
	a = f.send4Raw(t, http.MethodPut, "/auth/access_token", readToken, "")
	requireTMDbError(t, a, http.StatusMethodNotAllowed, 42)
	assert.Equal(t, "POST, DELETE", a.header.Get("Allow"))
	requireTMDbError(t, f.send4Raw(t, http.MethodGet, "/account", readToken, ""), http.StatusNotFound, 34)
}

// TestTMDbV4FakeConcurrent exchanges one approved token from many
// goroutines: exactly one gets the access token.
func TestTMDbV4FakeConcurrent(t *testing.T) {
	t.Parallel()
	f := newTMDbV4Fake(t, mediaauthtest.WithTMDbAutoApprove())
	tok := f.newV4Token(t)
	const n = 8
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, f.srv.TMDb.URL()+"/4/auth/access_token",
				strings.NewReader(`{"request_token":"`+tok+`"}`))
			if !assert.NoError(t, err) {
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+readToken)
			resp, err := f.srv.HTTPClient().Do(req)
			if !assert.NoError(t, err) {
				return
			}
			_ = resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		if s == http.StatusOK {
			ok++
		} else {
			assert.Equal(t, http.StatusUnauthorized, s)
		}
	}
	assert.Equal(t, 1, ok, "single use")
}
