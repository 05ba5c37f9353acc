package mediaauthtest_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// Tests of controlmovies.go: the hooks of the Movies handle over HTTP.

func TestControlMoviesAddUser(t *testing.T) {
	t.Parallel()
	srv, clock := startFake(t)
	a := control(t, srv, http.MethodPost, "/_fake/movies/users",
		mediaauthtest.MoviesUser{Username: "ann", Email: "ann@example.com", Password: "ann-password", Name: "Ann", APIKey: "mk_ann"})
	require.Equal(t, http.StatusCreated, a.status, "body: %s", a.body)
	var u mediaauth.User
	require.NoError(t, json.Unmarshal(a.body, &u))
	assert.Equal(t, "ann", u.Username)
	assert.Equal(t, "Ann", u.Name)
	assert.True(t, u.EmailVerified)
	assert.True(t, clock.Now().Equal(u.CreatedAt))
	assert.NotContains(t, string(a.body), "ann-password")

	c, err := srv.Client()
	require.NoError(t, err)
	tok, err := c.Movies.Login(t.Context(), "ann", "ann-password")
	require.NoError(t, err, "the account logs in")
	profile, err := c.Movies.With(mediaauth.APIKey{Key: "mk_ann"}).Profile(t.Context())
	require.NoError(t, err, "its API key works")
	assert.Equal(t, u.ID, profile.ID)
	assert.NotEmpty(t, tok.AccessToken)

	a = control(t, srv, http.MethodPost, "/_fake/movies/users", `{"username":"bob","email":"bob@example.com","password":"bob-pw","unverified":true}`)
	require.Equal(t, http.StatusCreated, a.status)
	assert.Equal(t, false, a.json(t)["email_verified"])
	_, ok := srv.Movies.VerificationToken("bob@example.com")
	assert.True(t, ok, "an unverified account is sent a verification email")

	for body, status := range map[string]int{
		`{"username":"ann","email":"other@example.com","password":"pw"}`:                  http.StatusConflict,
		`{"username":"cy","email":"ANN@example.com","password":"pw"}`:                     http.StatusConflict,
		`{"username":"cy","email":"cy@example.com","password":"pw","api_key":"mk_ann"}`:   http.StatusConflict,
		`{"username":"cy","email":"cy@example.com"}`:                                      http.StatusBadRequest,
		`{"username":"cy","email":"not an address","password":"pw"}`:                      http.StatusBadRequest,
		`{"username":"cy","email":"cy@example.com","password":"pw","unverified":"maybe"}`: http.StatusBadRequest,
	} {
		a := control(t, srv, http.MethodPost, "/_fake/movies/users", body)
		code := map[int]string{http.StatusConflict: "conflict", http.StatusBadRequest: "invalid_request"}[status]
		requireControlError(t, a, status, code)
	}
}

// moviesEmails reads GET /_fake/movies/emails with query.
func moviesEmails(t *testing.T, srv *mediaauthtest.Server, query string) (int, []map[string]string) {
	t.Helper()
	a := control(t, srv, http.MethodGet, mediaauthtest.FakeEmailsPath+query, nil)
	var body struct {
		Emails []map[string]string `json:"emails"`
	}
	_ = json.Unmarshal(a.body, &body)
	return a.status, body.Emails
}

func TestControlMoviesEmails(t *testing.T) {
	t.Parallel()
	srv, c := pagesFake(t)
	ctx := t.Context()
	_, err := c.Movies.Register(ctx, mediaauth.RegisterRequest{Username: "fan", Email: "Fan@Example.com", Password: "pw-123456789"})
	require.NoError(t, err)
	require.NoError(t, c.Movies.RequestPasswordReset(ctx, "fan@example.com"))
	_, err = srv.Movies.AddUser(mediaauthtest.MoviesUser{Username: "gil", Email: "gil@example.com", Password: "pw", Unverified: true})
	require.NoError(t, err)

	status, emails := moviesEmails(t, srv, "?to=fan%40example.com")
	require.Equal(t, http.StatusOK, status)
	require.Len(t, emails, 2)
	verify, _ := srv.Movies.VerificationToken("Fan@Example.com")
	reset, _ := srv.Movies.ResetToken("Fan@Example.com")
	assert.Equal(t, map[string]string{"to": "Fan@Example.com", "kind": mediaauthtest.EmailVerify, "token": verify}, emails[0])
	assert.Equal(t, map[string]string{"to": "Fan@Example.com", "kind": mediaauthtest.EmailReset, "token": reset}, emails[1])

	_, emails = moviesEmails(t, srv, "?to=nobody%40example.com")
	assert.Empty(t, emails)
	_, emails = moviesEmails(t, srv, "")
	assert.Len(t, emails, 3, "without to: every email")
	_, emails = moviesEmails(t, srv, "?kind=verify")
	assert.Len(t, emails, 2)
	status, _ = moviesEmails(t, srv, "?kind=welcome")
	assert.Equal(t, http.StatusBadRequest, status)

	last := func(query string) answer {
		return control(t, srv, http.MethodGet, "/_fake/movies/emails/last"+query, nil)
	}
	a := last("?to=FAN%40example.com")
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, map[string]any{"to": "Fan@Example.com", "kind": "reset", "token": reset}, a.json(t))
	assert.Equal(t, "no-store", a.header.Get("Cache-Control"))
	assert.Equal(t, verify, last("?to=fan%40example.com&kind=verify").json(t)["token"])
	requireControlError(t, last("?to=gil%40example.com&kind=reset"), http.StatusNotFound, "not_found")
	requireControlError(t, last(""), http.StatusBadRequest, "invalid_request")
	requireControlError(t, last("?to=gil%40example.com&kind=other"), http.StatusBadRequest, "invalid_request")
}

func TestControlMoviesExpireTokens(t *testing.T) {
	t.Parallel()
	srv, c := pagesFake(t)
	ctx := t.Context()
	tok, err := c.Movies.Login(ctx, mediaauthtest.DemoMoviesUsername, mediaauthtest.DemoMoviesPassword)
	require.NoError(t, err)
	user := c.Movies.With(*tok)
	_, err = user.Profile(ctx)
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, control(t, srv, http.MethodPost, "/_fake/movies/expire-tokens", nil).status)
	_, err = user.Profile(ctx)
	assert.ErrorIs(t, err, mediaauth.ErrTokenExpired)
	assert.Equal(t, http.StatusNoContent, control(t, srv, http.MethodPost, "/_fake/movies/expire-tokens", "{}").status, "{} is no body too")
}
