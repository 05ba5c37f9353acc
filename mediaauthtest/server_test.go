package mediaauthtest_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// TestRequestRedacted checks that a recorded request prints and logs
// without its credentials, while Header keeps them for assertions.
func TestRequestRedacted(t *testing.T) {
	srv := mediaauthtest.NewServer()
	defer srv.Close()
	const secret = "secret-bearer-value"
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.Movies.URL()+"/user/profile", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Cookie", "session="+secret)
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	resp.Body.Close()

	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, "Bearer "+secret, r.Header.Get("Authorization"), "Header keeps the value for tests")

	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("seen", "req", r)
	printed := fmt.Sprintf("%v %+v %#v %s", r, r, r, reqs) + logged.String()
	assert.NotContains(t, printed, secret)
	assert.Contains(t, printed, "GET /user/profile status:401")
	assert.Contains(t, printed, `Authorization:"[REDACTED]"`)
	assert.True(t, strings.Contains(printed, "User-Agent"), "other headers are shown")
}
