package mediaauthtest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/mediaauth/mediaauth/mediaauthtest"
	"github.com/stretchr/testify/require"
)

// TestTVmazeAnswersMatchGoldens checks every success answer of the fake
// TVmaze API against its golden body under testdata/bodies/tvmaze, the
// answer the SDK's unit tests get: the same keys, each with a value of the
// same JSON type.
func TestTVmazeAnswersMatchGoldens(t *testing.T) {
	t.Parallel()
	srv, clock := startFake(t)
	send := func(method, path, body string, basic ...string) answer {
		return roundTrip(t, srv, method, srv.TVmaze.URL()+path, body, func(req *http.Request) {
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if len(basic) == 2 {
				req.SetBasicAuth(basic[0], basic[1])
			}
		})
	}

	a := send(http.MethodPost, "/auth/start", `{"email":"`+mediaauthtest.DemoTVmazeEmail+`","email_confirmation":true}`)
	requireGolden(t, a, http.StatusOK, "tvmaze/start_200.json")
	clock.Advance(time.Minute)
	a = send(http.MethodPost, "/auth/start", `{"email":"`+mediaauthtest.DemoTVmazeEmail+`","email_confirmation":false}`)
	requireGolden(t, a, http.StatusOK, "tvmaze/start_confirm_url_200.json")

	tok := a.json(t)["token"].(string)
	require.NoError(t, srv.TVmaze.Confirm(tok))
	clock.Advance(10 * time.Second)
	requireGolden(t, send(http.MethodPost, "/auth/poll", `{"token":"`+tok+`"}`), http.StatusOK, "tvmaze/poll_200.json")

	a = send(http.MethodGet, "/auth/validate", "", mediaauthtest.DemoTVmazeUsername, mediaauthtest.DemoTVmazeAPIKey)
	requireGolden(t, a, http.StatusOK, "tvmaze/validate_200.json")
}
