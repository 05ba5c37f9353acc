package mediaauthtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tvAnswer is a decoded answer of the fake.
type tvAnswer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// tvSend sends a request to the fake's TVmaze API with optional Basic
// credentials (user, pass).
func tvSend(t *testing.T, srv *mediaauthtest.Server, method, path, body string, basic ...string) tvAnswer {
	t.Helper()
	ans := roundTrip(t, srv, method, srv.TVmaze.URL()+path, body, func(req *http.Request) {
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if len(basic) == 2 {
			req.SetBasicAuth(basic[0], basic[1])
		}
	})
	a := tvAnswer{status: ans.status, header: ans.header, raw: string(ans.body)}
	if strings.HasPrefix(ans.header.Get("Content-Type"), "application/json") {
		require.NoError(t, json.Unmarshal(ans.body, &a.body), "body %q", ans.body)
	}
	return a
}

// requireTVError checks TVmaze's error body shape.
func requireTVError(t *testing.T, a tvAnswer, status int) {
	t.Helper()
	require.Equal(t, status, a.status, "body %s", a.raw)
	assert.Equal(t, "application/json", a.header.Get("Content-Type"))
	assert.Equal(t, http.StatusText(status), a.body["name"])
	assert.NotEmpty(t, a.body["message"])
	assert.Equal(t, float64(0), a.body["code"])
	assert.Equal(t, float64(status), a.body["status"])
}

func tvStart(t *testing.T, srv *mediaauthtest.Server, email string) string {
	t.Helper()
	a := tvSend(t, srv, http.MethodPost, "/auth/start", `{"email":"`+email+`"}`)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	tok, _ := a.body["token"].(string)
	require.NotEmpty(t, tok)
	return tok
}

func tvPoll(t *testing.T, srv *mediaauthtest.Server, token string) tvAnswer {
	t.Helper()
	return tvSend(t, srv, http.MethodPost, "/auth/poll", `{"token":"`+token+`"}`)
}

func TestTVmazeFakeFlow(t *testing.T) {
	t.Parallel()
	srv, clock := startFake(t)

	tok := tvStart(t, srv, mediaauthtest.DemoTVmazeEmail)
	got, ok := srv.TVmaze.AuthToken(mediaauthtest.DemoTVmazeEmail)
	require.True(t, ok)
	assert.Equal(t, tok, got)

	// The first poll must also wait an interval after the start.
	clock.Advance(9 * time.Second)
	a := tvPoll(t, srv, tok)
	requireTVError(t, a, http.StatusTooManyRequests)
	assert.Equal(t, "10", a.header.Get("Retry-After"))

	// Every poll counts, the refused one too.
	clock.Advance(10 * time.Second)
	requireTVError(t, tvPoll(t, srv, tok), http.StatusForbidden)
	clock.Advance(5 * time.Second)
	requireTVError(t, tvPoll(t, srv, tok), http.StatusTooManyRequests)
	clock.Advance(10 * time.Second)
	requireTVError(t, tvPoll(t, srv, tok), http.StatusForbidden)

	require.NoError(t, srv.TVmaze.Confirm(tok))
	clock.Advance(10 * time.Second)
	a = tvPoll(t, srv, tok)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Equal(t, map[string]any{"username": mediaauthtest.DemoTVmazeUsername, "apikey": mediaauthtest.DemoTVmazeAPIKey}, a.body)

	// The key is handed out once.
	clock.Advance(10 * time.Second)
	requireTVError(t, tvPoll(t, srv, tok), http.StatusNotFound)
	assert.Error(t, srv.TVmaze.Confirm(tok))
}

func TestTVmazeFakeStart(t *testing.T) {
	t.Parallel()
	srv, clock := startFake(t, mediaauthtest.WithTVmazeStartInterval(30*time.Second))

	requireTVError(t, tvSend(t, srv, http.MethodPost, "/auth/start", `{"email":"nobody@example.com"}`), http.StatusNotFound)
	requireTVError(t, tvSend(t, srv, http.MethodPost, "/auth/start", `{}`), http.StatusNotFound)
	requireTVError(t, tvSend(t, srv, http.MethodPost, "/auth/start", `{"email":"`+mediaauthtest.DemoTVmazeUnconfirmedEmail+`"}`), http.StatusUnauthorized)
	requireTVError(t, tvSend(t, srv, http.MethodPost, "/auth/start", `not json`), http.StatusBadRequest)
	_, ok := srv.TVmaze.AuthToken("nobody@example.com")
	assert.False(t, ok)

	first := tvStart(t, srv, mediaauthtest.DemoTVmazeEmail)
	clock.Advance(10 * time.Second)
	a := tvSend(t, srv, http.MethodPost, "/auth/start", `{"email":"`+mediaauthtest.DemoTVmazeEmail+`"}`)
	requireTVError(t, a, http.StatusTooManyRequests)
	assert.Equal(t, "20", a.header.Get("Retry-After"))

	// Another address is not held back; the same one is after the gap.
	key, err := srv.TVmaze.AddUser(mediaauthtest.TVmazeUser{Username: "bob", Email: "bob@example.com", PremiumLevel: mediaauth.PremiumSilver})
	require.NoError(t, err)
	assert.NotEmpty(t, key)
	tvStart(t, srv, "Bob@Example.com")
	clock.Advance(20 * time.Second)
	second := tvStart(t, srv, mediaauthtest.DemoTVmazeEmail)
	assert.NotEqual(t, first, second)
	got, _ := srv.TVmaze.AuthToken(mediaauthtest.DemoTVmazeEmail)
	assert.Equal(t, second, got)
}

func TestTVmazeFakeConfirmURL(t *testing.T) {
	t.Parallel()
	srv, clock := startFake(t)

	// With email confirmation (the default) there is no confirm URL.
	a := tvSend(t, srv, http.MethodPost, "/auth/start", `{"email":"`+mediaauthtest.DemoTVmazeEmail+`","email_confirmation":true}`)
	require.Equal(t, http.StatusOK, a.status)
	assert.NotContains(t, a.body, "confirm_url")

	clock.Advance(time.Minute)
	a = tvSend(t, srv, http.MethodPost, "/auth/start", `{"email":"`+mediaauthtest.DemoTVmazeEmail+`","email_confirmation":false}`)
	require.Equal(t, http.StatusOK, a.status)
	tok := a.body["token"].(string)
	confirmURL, _ := a.body["confirm_url"].(string)
	require.True(t, strings.HasPrefix(confirmURL, srv.TVmaze.URL()+"/"), confirmURL)
	assert.NotContains(t, confirmURL, tok, "the confirm URL does not reveal the poll token")

	resp, err := srv.HTTPClient().Get(confirmURL)
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(page), "confirmed")

	clock.Advance(10 * time.Second)
	a = tvPoll(t, srv, tok)
	require.Equal(t, http.StatusOK, a.status, a.raw)

	resp, err = srv.HTTPClient().Get(confirmURL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestTVmazeFakeAutoConfirmAndExpiry(t *testing.T) {
	t.Parallel()
	t.Run("auto confirm is evaluated on poll", func(t *testing.T) {
		t.Parallel()
		srv, clock := startFake(t, mediaauthtest.WithTVmazeAutoConfirm(25*time.Second))
		tok := tvStart(t, srv, mediaauthtest.DemoTVmazeEmail)
		clock.Advance(10 * time.Second)
		requireTVError(t, tvPoll(t, srv, tok), http.StatusForbidden)
		clock.Advance(10 * time.Second)
		requireTVError(t, tvPoll(t, srv, tok), http.StatusForbidden)
		clock.Advance(10 * time.Second)
		assert.Equal(t, http.StatusOK, tvPoll(t, srv, tok).status)
	})
	t.Run("requests expire", func(t *testing.T) {
		t.Parallel()
		srv, clock := startFake(t, mediaauthtest.WithTVmazeRequestTTL(15*time.Second))
		tok := tvStart(t, srv, mediaauthtest.DemoTVmazeEmail)
		clock.Advance(10 * time.Second)
		requireTVError(t, tvPoll(t, srv, tok), http.StatusForbidden)
		clock.Advance(5 * time.Second)
		assert.Error(t, srv.TVmaze.Confirm(tok))
		clock.Advance(10 * time.Second)
		requireTVError(t, tvPoll(t, srv, tok), http.StatusNotFound)
	})
	t.Run("unknown tokens", func(t *testing.T) {
		t.Parallel()
		srv, _ := startFake(t)
		requireTVError(t, tvPoll(t, srv, "no-such-token"), http.StatusNotFound)
		requireTVError(t, tvSend(t, srv, http.MethodPost, "/auth/poll", `{`), http.StatusBadRequest)
		assert.Error(t, srv.TVmaze.Confirm("no-such-token"))
	})
	t.Run("minimum poll interval option", func(t *testing.T) {
		t.Parallel()
		srv, clock := startFake(t, mediaauthtest.WithTVmazeMinPollInterval(2*time.Second))
		tok := tvStart(t, srv, mediaauthtest.DemoTVmazeEmail)
		clock.Advance(1999 * time.Millisecond)
		a := tvPoll(t, srv, tok)
		requireTVError(t, a, http.StatusTooManyRequests)
		assert.Equal(t, "2", a.header.Get("Retry-After"))
		clock.Advance(2 * time.Second)
		requireTVError(t, tvPoll(t, srv, tok), http.StatusForbidden)
	})
}

func TestTVmazeFakeValidate(t *testing.T) {
	t.Parallel()
	srv, _ := startFake(t)

	a := tvSend(t, srv, http.MethodGet, "/auth/validate", "", mediaauthtest.DemoTVmazeUsername, mediaauthtest.DemoTVmazeAPIKey)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Equal(t, map[string]any{"premium": float64(mediaauthtest.DemoTVmazePremiumLevel)}, a.body)

	for _, creds := range [][]string{
		nil,
		{mediaauthtest.DemoTVmazeUsername, "wrong"},
		{mediaauthtest.DemoTVmazeUsername, ""},
		{"nobody", mediaauthtest.DemoTVmazeAPIKey},
	} {
		a := tvSend(t, srv, http.MethodGet, "/auth/validate", "", creds...)
		requireTVError(t, a, http.StatusUnauthorized)
		assert.Contains(t, a.header.Get("WWW-Authenticate"), "Basic")
	}

	old, err := srv.TVmaze.AddUser(mediaauthtest.TVmazeUser{Username: "gold", Email: "gold@example.com", PremiumLevel: mediaauth.PremiumGold})

	require.NoError(t, err)
	a = tvSend(t, srv, http.MethodGet, "/auth/validate", "", "gold", old)
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, float64(3), a.body["premium"])

	// Replacing the account gives it a new key; the old one stops working.
	fresh, err := srv.TVmaze.AddUser(mediaauthtest.TVmazeUser{Username: "gold", Email: "gold@example.com"})
	require.NoError(t, err)
	assert.NotEqual(t, old, fresh)
	requireTVError(t, tvSend(t, srv, http.MethodGet, "/auth/validate", "", "gold", old), http.StatusUnauthorized)
	a = tvSend(t, srv, http.MethodGet, "/auth/validate", "", "gold", fresh)
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, float64(0), a.body["premium"])
}

func TestTVmazeFakeRecordsRequests(t *testing.T) {
	t.Parallel()
	srv, _ := startFake(t)
	tvStart(t, srv, mediaauthtest.DemoTVmazeEmail)
	tvPoll(t, srv, "x")
	assert.Equal(t, 1, srv.RequestCount(http.MethodPost, "/v1/auth/start"))
	assert.Equal(t, 1, srv.RequestCount(http.MethodPost, "/v1/auth/poll"))
	var statuses []int
	for _, r := range srv.Requests() {
		statuses = append(statuses, r.Status)
	}
	assert.Equal(t, []int{200, 404}, statuses)
}
