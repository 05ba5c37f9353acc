package mediaauthtest_test

import (
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// Tests of controltvmaze.go: the hooks of the TVmaze handle over HTTP, and
// the outbox.

// TestControlTVmazeFlow runs TVmaze's login with the control API only: an
// account, the auth request's email, its confirmation, a clock move past
// the poll interval, the key.
func TestControlTVmazeFlow(t *testing.T) {
	t.Parallel()
	srv, _ := startFake(t)
	a := control(t, srv, http.MethodPost, "/_fake/tvmaze/users", `{"username":"ann","email":"ann@example.com","premium_level":2}`)
	require.Equal(t, http.StatusCreated, a.status, "body: %s", a.body)
	account := a.json(t)
	key, _ := account["api_key"].(string)
	assert.Len(t, key, 32)
	assert.Equal(t, "no-store", a.header.Get("Cache-Control"))

	c, err := srv.Client()
	require.NoError(t, err)
	ctx := t.Context()
	ar, err := c.TVmaze.StartAuth(ctx, "ann@example.com")
	require.NoError(t, err)

	tok := control(t, srv, http.MethodGet, "/_fake/tvmaze/auth-token?email=ANN%40example.com", nil)
	require.Equal(t, http.StatusOK, tok.status)
	assert.Equal(t, ar.Token, tok.json(t)["token"])
	email := control(t, srv, http.MethodGet, "/_fake/tvmaze/emails/last?to=ann%40example.com", nil)
	require.Equal(t, http.StatusOK, email.status)
	assert.Equal(t, "ann", email.json(t)["username"])
	assert.Contains(t, email.json(t)["confirm_url"], srv.TVmaze.URL()+"/auth/confirm/")

	_, err = c.TVmaze.PollAuth(ctx, *ar)
	assert.ErrorIs(t, err, mediaauth.ErrRateLimited, "polled before the interval")
	require.Equal(t, http.StatusNoContent, control(t, srv, http.MethodPost, "/_fake/tvmaze/confirm", map[string]string{"email": "ann@example.com"}).status)
	control(t, srv, http.MethodPost, "/_fake/clock/advance", `{"seconds": 11}`)
	creds, err := c.TVmaze.PollAuth(ctx, *ar)
	require.NoError(t, err)
	assert.Equal(t, mediaauth.TVmazeCredentials{Username: "ann", APIKey: key}, *creds)
	level, err := c.TVmaze.With(*creds).Validate(ctx)
	require.NoError(t, err)
	assert.Equal(t, mediaauth.PremiumSilver, level)

	// The key was handed out: the request is gone.
	requireControlError(t, control(t, srv, http.MethodPost, "/_fake/tvmaze/confirm", map[string]string{"token": ar.Token}), http.StatusNotFound, "not_found")
}

func TestControlTVmazeRefusals(t *testing.T) {
	t.Parallel()
	srv, _ := startFake(t)
	for _, tc := range []struct{ path, body string }{
		{"/_fake/tvmaze/users", `{"username":"ann"}`},
		{"/_fake/tvmaze/users", `{"username":"ann","email":"ann@example.com","premium_level":4}`},
		{"/_fake/tvmaze/confirm", `{}`},
		{"/_fake/tvmaze/follows", `{"show_ids":[1]}`},
	} {
		requireControlError(t, control(t, srv, http.MethodPost, tc.path, tc.body), http.StatusBadRequest, "invalid_request")
	}
	both := `{"token":"x","email":"ann@example.com"}`
	requireControlError(t, control(t, srv, http.MethodPost, "/_fake/tvmaze/confirm", both), http.StatusBadRequest, "invalid_request")
	requireControlError(t, control(t, srv, http.MethodPost, "/_fake/tvmaze/confirm", `{"token":"unknown"}`), http.StatusNotFound, "not_found")
	requireControlError(t, control(t, srv, http.MethodPost, "/_fake/tvmaze/confirm", `{"email":"nobody@example.com"}`), http.StatusNotFound, "not_found")
	requireControlError(t, control(t, srv, http.MethodGet, "/_fake/tvmaze/auth-token", nil), http.StatusBadRequest, "invalid_request")
	requireControlError(t, control(t, srv, http.MethodGet, "/_fake/tvmaze/auth-token?email=nobody%40example.com", nil), http.StatusNotFound, "not_found")
	requireControlError(t, control(t, srv, http.MethodGet, "/_fake/tvmaze/emails/last", nil), http.StatusBadRequest, "invalid_request")
	requireControlError(t, control(t, srv, http.MethodGet, "/_fake/tvmaze/emails/last?to=nobody%40example.com", nil), http.StatusNotFound, "not_found")
	requireControlError(t, control(t, srv, http.MethodPost, "/_fake/tvmaze/follows", `{"username":"nobody","show_ids":[1]}`), http.StatusNotFound, "not_found")
}

func TestControlTVmazeFollowShows(t *testing.T) {
	t.Parallel()
	srv, _ := startFake(t)
	_, err := srv.TVmaze.AddUser(mediaauthtest.TVmazeUser{Username: "ann", Email: "ann@example.com", APIKey: "ann-key", FollowedShows: []int{5}})
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, control(t, srv, http.MethodPost, "/_fake/tvmaze/follows", `{"username":"ann","show_ids":[7,5,9]}`).status)
	c, err := srv.Client(mediaauth.WithCredentials(mediaauth.TVmazeCredentials{Username: "ann", APIKey: "ann-key"}))
	require.NoError(t, err)
	var follows []struct {
		ShowID int `json:"show_id"`
	}
	require.NoError(t, c.TVmaze.Do(t.Context(), http.MethodGet, "/user/follows/shows", nil, &follows))
	var ids []int
	for _, f := range follows {
		ids = append(ids, f.ShowID)
	}
	assert.Equal(t, []int{5, 7, 9}, ids)
}

func TestControlTVmazeOutbox(t *testing.T) {
	t.Parallel()
	srv, clock := startFake(t)
	page := func(query string) string {
		t.Helper()
		a := control(t, srv, http.MethodGet, mediaauthtest.TVmazeOutboxPath+query, nil)
		require.Equal(t, http.StatusOK, a.status)
		assert.Equal(t, "text/html; charset=utf-8", a.header.Get("Content-Type"))
		return string(a.body)
	}
	assert.Contains(t, page(""), "No confirmation email sent yet")

	c, err := srv.Client()
	require.NoError(t, err)
	_, err = srv.TVmaze.AddUser(mediaauthtest.TVmazeUser{Username: "<b>ann</b>", Email: "ann@example.com"})
	require.NoError(t, err)
	_, err = c.TVmaze.StartAuth(t.Context(), "ann@example.com")
	require.NoError(t, err)
	clock.Advance(time.Minute)
	_, err = c.TVmaze.StartAuth(t.Context(), mediaauthtest.DemoTVmazeEmail)
	require.NoError(t, err)
	emails := srv.TVmaze.Emails()
	require.Len(t, emails, 2)

	link0, link1 := emails[0].ConfirmURL, emails[1].ConfirmURL
	body := page("")
	assert.Contains(t, body, `href="`+html.EscapeString(link0)+`"`)
	assert.Contains(t, body, `href="`+html.EscapeString(link1)+`"`)
	assert.Less(t, strings.Index(body, link1), strings.Index(body, link0), "newest first")
	assert.Contains(t, body, "The application mediaauth-go/1 asks for the API key")
	assert.Contains(t, body, "&lt;b&gt;ann&lt;/b&gt;", "escaped")
	assert.Contains(t, body, "2024-05-01 12:00:00 UTC")
	only := page("?to=ann%40example.com")
	assert.NotContains(t, only, link1)
	assert.Contains(t, only, link0)

	a := control(t, srv, http.MethodGet, "/_fake/tvmaze/emails", nil)
	require.Equal(t, http.StatusOK, a.status)
	list, _ := a.json(t)["emails"].([]any)
	require.Len(t, list, 2)
	assert.Equal(t, map[string]any{
		"to": "ann@example.com", "username": "<b>ann</b>", "app": "mediaauth-go/1", "confirm_url": emails[0].ConfirmURL, "sent_at": "2024-05-01T12:00:00Z",
	}, list[0])
	a = control(t, srv, http.MethodGet, "/_fake/tvmaze/emails?to=DEMO%40example.com", nil)
	list, _ = a.json(t)["emails"].([]any)
	assert.Len(t, list, 1)
}
