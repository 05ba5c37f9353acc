package mediaauthtest_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// TestDemoAccounts checks that every server starts with the demo
// accounts and credentials, as their constants describe them.
func TestDemoAccounts(t *testing.T) {
	t.Parallel()
	f := newTMDbFake(t)
	srv := f.srv

	// Movies: verified, so it logs in at once.
	a := postJSON(t, srv, "/login", fmt.Sprintf(`{"username":%q,"password":%q}`, mediaauthtest.DemoMoviesUsername, mediaauthtest.DemoMoviesPassword))
	require.Equal(t, http.StatusOK, a.status, "body: %s", a.body)
	tok, _ := a.json(t)["access_token"].(string)
	profile := send(t, srv, http.MethodGet, "/user/profile", "", "", tok).json(t)
	assert.Equal(t, mediaauthtest.DemoMoviesEmail, profile["email"])
	assert.Equal(t, true, profile["email_verified"])
	assert.Empty(t, srv.Movies.Emails(), "no verification email for the demo account")

	// TVmaze: the key validates, the account follows its shows.
	assert.Equal(t, http.StatusOK, tvSend(t, srv, http.MethodGet, "/auth/validate", "", mediaauthtest.DemoTVmazeUsername, mediaauthtest.DemoTVmazeAPIKey).status)
	assert.Equal(t, []int{1, 82}, mediaauthtest.DemoTVmazeFollowedShows())
	assert.JSONEq(t, `[{"show_id":1},{"show_id":82}]`, demoFollows(t, srv))
	requireTVError(t, tvSend(t, srv, http.MethodPost, "/auth/start", `{"email":"`+mediaauthtest.DemoTVmazeUnconfirmedEmail+`"}`), http.StatusUnauthorized)

	// TMDb: the application credentials, and the demo account's password
	// and v4 access token.
	assert.Equal(t, http.StatusOK, f.send(t, http.MethodGet, "/authentication", tmdbAuth{apiKey: mediaauthtest.DemoTMDbAPIKey}, "").status)
	assert.Equal(t, http.StatusOK, f.send(t, http.MethodGet, "/authentication", tmdbAuth{bearer: mediaauthtest.DemoTMDbReadAccessToken}, "").status)
	rt := f.newToken(t)
	login := fmt.Sprintf(`{"username":%q,"password":%q,"request_token":%q}`, mediaauthtest.DemoTMDbUsername, mediaauthtest.DemoTMDbPassword, rt)
	assert.Equal(t, http.StatusOK, f.send(t, http.MethodPost, "/authentication/token/validate_with_login", tmdbKeyAuth, login).status)
	assert.True(t, srv.TMDb.AccessTokenValid(mediaauthtest.DemoTMDbAccessToken))
	acct := f.send(t, http.MethodGet, "/account", tmdbAuth{bearer: mediaauthtest.DemoTMDbAccessToken}, "")
	require.Equal(t, http.StatusOK, acct.status, "body %s", acct.body)
	assert.Equal(t, float64(mediaauthtest.DemoTMDbAccountID), acct.fields(t)["id"])
	assert.Equal(t, mediaauthtest.DemoTMDbUsername, acct.fields(t)["username"])
}

// TestDemoTVmazeFollowedShowsIsACopy checks that changing the slice does
// not change the demo account of servers.
func TestDemoTVmazeFollowedShowsIsACopy(t *testing.T) {
	t.Parallel()
	shows := mediaauthtest.DemoTVmazeFollowedShows()
	shows[0] = -1
	assert.NotContains(t, mediaauthtest.DemoTVmazeFollowedShows(), -1)
	srv, _ := startFake(t)
	assert.JSONEq(t, `[{"show_id":1},{"show_id":82}]`, demoFollows(t, srv))
}

// demoFollows reads the shows the demo TVmaze account follows, as JSON.
func demoFollows(t *testing.T, srv *mediaauthtest.Server) string {
	t.Helper()
	a := roundTrip(t, srv, http.MethodGet, srv.TVmaze.URL()+"/user/follows/shows", "", func(req *http.Request) {
		req.SetBasicAuth(mediaauthtest.DemoTVmazeUsername, mediaauthtest.DemoTVmazeAPIKey)
	})
	require.Equal(t, http.StatusOK, a.status, "body %s", a.body)
	return string(a.body)
}
