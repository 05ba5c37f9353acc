package mediaauthtest_test

import (
	"net/http"
	"testing"

	"github.com/mediaauth/mediaauth/mediaauthtest"
	"github.com/stretchr/testify/require"
)

// TestTMDbV4AnswersMatchGoldens checks every success answer of the fake
// TMDb v4 authentication API against its golden body under
// testdata/bodies/tmdbv4, the answer the SDK's unit tests get: the same
// keys, each with a value of the same JSON type.
func TestTMDbV4AnswersMatchGoldens(t *testing.T) {
	t.Parallel()
	srv, _ := startFake(t)
	send := func(method, path, body string) answer {
		return roundTrip(t, srv, method, srv.TMDb.URL()+mediaauthtest.TMDbV4Prefix+path, body, func(req *http.Request) {
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			req.Header.Set("Authorization", "Bearer "+mediaauthtest.DemoTMDbReadAccessToken)
		})
	}

	a := send(http.MethodPost, "/auth/request_token", "")
	requireGolden(t, a, http.StatusOK, "tmdbv4/request_token_200.json")
	tok := a.json(t)["request_token"].(string)
	require.NoError(t, srv.TMDb.Approve(tok))

	a = send(http.MethodPost, "/auth/access_token", `{"request_token":"`+tok+`"}`)
	requireGolden(t, a, http.StatusOK, "tmdbv4/access_token_200.json")
	access := a.json(t)["access_token"].(string)
	a = send(http.MethodDelete, "/auth/access_token", `{"access_token":"`+access+`"}`)
	requireGolden(t, a, http.StatusOK, "tmdbv4/access_token_deleted_200.json")
}
