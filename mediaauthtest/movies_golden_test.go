package mediaauthtest_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/mediaauth/mediaauth/mediaauthtest"
	"github.com/stretchr/testify/require"
)

// TestMoviesAnswersMatchGoldens checks every success answer of the fake
// Movies API (movies.go, moviesaccount.go) against its golden body under
// testdata/bodies/movies, the answer the SDK's unit tests get: the same
// keys, each with a value of the same JSON type. The other successes
// (verify-email, password reset) have no body.
func TestMoviesAnswersMatchGoldens(t *testing.T) {
	t.Parallel()
	srv, _ := startFake(t)

	a := postJSON(t, srv, "/register", fmt.Sprintf(`{"username":"gold","password":%q,"email":"gold@example.com","name":"Gold"}`, pw))
	requireGolden(t, a, http.StatusCreated, "movies/register_201.json")

	// An account with every optional field set: the profile golden has them all.
	_, err := srv.Movies.AddUser(mediaauthtest.MoviesUser{Username: "silver", Email: "silver@example.com", Password: pw, Name: "Silver", Bio: "Every field set."})
	require.NoError(t, err)
	login := postJSON(t, srv, "/login", fmt.Sprintf(`{"username":"silver","password":%q}`, pw))
	requireGolden(t, login, http.StatusOK, "movies/login_200.json")
	a = send(t, srv, http.MethodPost, "/auth/login", "application/x-www-form-urlencoded",
		url.Values{"username": {"silver@example.com"}, "password": {pw}}.Encode(), "")
	requireGolden(t, a, http.StatusOK, "movies/form_login_200.json")

	tok := login.json(t)["access_token"].(string)
	requireGolden(t, send(t, srv, http.MethodGet, "/user/profile", "", "", tok), http.StatusOK, "movies/profile_200.json")
	requireGolden(t, send(t, srv, http.MethodPut, "/user/profile", "application/json", `{"bio":"Still every field set."}`, tok),
		http.StatusOK, "movies/profile_200.json")
	requireGolden(t, send(t, srv, http.MethodPost, "/user/api-key", "", "", tok), http.StatusCreated, "movies/api_key_201.json")
	requireGolden(t, send(t, srv, http.MethodGet, "/user/api-key", "", "", tok), http.StatusOK, "movies/api_key_200.json")
}
