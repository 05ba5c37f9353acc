package mediaauthtest_test

import (
	"net/http"
	"testing"

	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// TestTMDbAnswersMatchGoldens checks every success answer of the fake TMDb
// v3 authentication API against its golden body under testdata/bodies/tmdb,
// the answer the SDK's unit tests get: the same keys, each with a value of
// the same JSON type.
func TestTMDbAnswersMatchGoldens(t *testing.T) {
	t.Parallel()
	srv, _ := startFake(t)
	send := func(method, path, body string) answer {
		target := srv.TMDb.URL() + mediaauthtest.TMDbPrefix + path + "?api_key=" + mediaauthtest.DemoTMDbAPIKey
		return roundTrip(t, srv, method, target, body, func(req *http.Request) {
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
		})
	}

	requireGolden(t, send(http.MethodGet, "/authentication", ""), http.StatusOK, "tmdb/authentication_200.json")

	a := send(http.MethodGet, "/authentication/token/new", "")
	requireGolden(t, a, http.StatusOK, "tmdb/request_token_200.json")
	tok := a.json(t)["request_token"].(string)
	a = send(http.MethodPost, "/authentication/token/validate_with_login",
		`{"username":"`+mediaauthtest.DemoTMDbUsername+`","password":"`+mediaauthtest.DemoTMDbPassword+`","request_token":"`+tok+`"}`)
	requireGolden(t, a, http.StatusOK, "tmdb/request_token_200.json")

	a = send(http.MethodPost, "/authentication/session/new", `{"request_token":"`+tok+`"}`)
	requireGolden(t, a, http.StatusOK, "tmdb/session_200.json")
	session := a.json(t)["session_id"].(string)
	a = send(http.MethodPost, "/authentication/session/convert/4", `{"access_token":"`+mediaauthtest.DemoTMDbAccessToken+`"}`)
	requireGolden(t, a, http.StatusOK, "tmdb/session_200.json")
	a = send(http.MethodDelete, "/authentication/session", `{"session_id":"`+session+`"}`)
	requireGolden(t, a, http.StatusOK, "tmdb/session_deleted_200.json")

	requireGolden(t, send(http.MethodGet, "/authentication/guest_session/new", ""), http.StatusOK, "tmdb/guest_session_200.json")
}
