package mediaauthtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// Helpers shared by the tests of the fake's three APIs.

// startFake starts a fake on a new Clock set to 2024-05-01 12:00 UTC, with
// opts after WithClock, and closes it when the test ends.
func startFake(t *testing.T, opts ...mediaauthtest.Option) (*mediaauthtest.Server, *mediaauthtest.Clock) {
	t.Helper()
	clock := mediaauthtest.NewClock(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	srv := mediaauthtest.NewServer(append([]mediaauthtest.Option{mediaauthtest.WithClock(clock.Now)}, opts...)...)
	t.Cleanup(srv.Close)
	return srv, clock
}

// answer is a response of the fake with its body read.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// fields decodes the body as a JSON object.
func (a answer) fields(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(a.body, &m), "body: %s", a.body)
	return m
}

// json checks that the answer is application/json and decodes its body as
// a JSON object.
func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	require.Equal(t, "application/json", a.header.Get("Content-Type"), "body: %s", a.body)
	return a.fields(t)
}

// roundTrip sends a raw request for target to srv, with body (none when
// empty) and the headers prepare sets (when not nil), and reads the answer.
func roundTrip(t *testing.T, srv *mediaauthtest.Server, method, target, body string, prepare func(*http.Request)) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, target, strings.NewReader(body))
	require.NoError(t, err)
	if prepare != nil {
		prepare(req)
	}
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{status: resp.StatusCode, header: resp.Header, body: data}
}

// readTestdata returns the contents of the module's testdata/name (name is
// slash-separated), the files the root package's tests read too.
func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", filepath.FromSlash(name)))
	require.NoError(t, err)
	return data
}

// requireGolden checks that a is a JSON answer with status whose body has
// the shape of testdata/bodies/golden, the answer the SDK's unit tests get
// from their mock servers: exactly the same keys, each holding a value of
// the same JSON type. The values may differ: the fake makes its own tokens.
func requireGolden(t *testing.T, a answer, status int, golden string) {
	t.Helper()
	require.Equal(t, status, a.status, "body: %s", a.body)
	var want map[string]any
	require.NoError(t, json.Unmarshal(readTestdata(t, "bodies/"+golden), &want), golden)
	require.Equal(t, jsonShape(want), jsonShape(a.json(t)), "the fake answered %s; the golden body is %s", a.body, golden)
}

// jsonShape maps each key of a decoded JSON object to the JSON type of its
// value.
func jsonShape(m map[string]any) map[string]string {
	shape := make(map[string]string, len(m))
	for k, v := range m {
		switch v.(type) {
		case string:
			shape[k] = "string"
		case float64:
			shape[k] = "number"
		case bool:
			shape[k] = "boolean"
		case []any:
			shape[k] = "array"
		case map[string]any:
			shape[k] = "object"
		default:
			shape[k] = "null"
		}
	}
	return shape
}
