package mediaauth_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// Helpers shared by the tests of package mediaauth_test.

// seenRequest is one request as a mocked server saw it.
type seenRequest struct {
	Method   string
	Path     string
	RawQuery string
	Query    url.Values
	Header   http.Header
	Body     []byte
}

// recorder records every request that reaches its responders.
type recorder struct {
	mu   sync.Mutex
	reqs []seenRequest
}

// respond returns a responder that records the request and answers with
// status, body (sent as application/json when not empty) and the header
// pairs in hdr, which are set last.
func (r *recorder) respond(status int, body string, hdr ...string) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		r.record(req)
		resp := httpmock.NewStringResponse(status, body)
		if body != "" {
			resp.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			resp.Header.Set(hdr[i], hdr[i+1])
		}
		return resp, nil
	}
}

// tmdbContentType is the Content-Type of every TMDb answer.
const tmdbContentType = "application/json;charset=utf-8"

// respondTMDb is respond as TMDb answers: the body, empty or not, is sent
// as tmdbContentType.
func (r *recorder) respondTMDb(status int, body string, hdr ...string) httpmock.Responder {
	return r.respond(status, body, append([]string{"Content-Type", tmdbContentType}, hdr...)...)
}

func (r *recorder) record(req *http.Request) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, seenRequest{
		Method: req.Method, Path: req.URL.Path, RawQuery: req.URL.RawQuery, Query: req.URL.Query(),
		Header: req.Header.Clone(), Body: body,
	})
}

// requests returns the recorded requests in order.
func (r *recorder) requests() []seenRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seenRequest(nil), r.reqs...)
}

// readTestdata returns the contents of testdata/name (name is
// slash-separated), such as a golden body of testdata/bodies: what the unit
// tests' servers answer, which the fake's tests hold the fake to as well.
func readTestdata(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
	require.NoError(t, err)
	return string(data)
}

// mockClient returns a client for the API whose base URL baseURL sets
// (WithMoviesBaseURL, WithTVmazeBaseURL or WithTMDbBaseURL), whose requests go to
// the returned httpmock transport, with retries off unless opts say
// otherwise.
func mockClient(t testing.TB, baseURL mediaauth.Option, opts ...mediaauth.Option) (*mediaauth.Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	base := []mediaauth.Option{
		baseURL,
		mediaauth.WithHTTPClient(&http.Client{Transport: mt}),
		mediaauth.WithRetry(0, time.Millisecond, time.Millisecond),
	}
	c, err := mediaauth.New(append(base, opts...)...)
	require.NoError(t, err)
	return c, mt
}

// unitClient is mockClient for the Movies API at unitBase.
func unitClient(t testing.TB, opts ...mediaauth.Option) (*mediaauth.Client, *httpmock.MockTransport) {
	t.Helper()
	return mockClient(t, mediaauth.WithMoviesBaseURL(unitBase), opts...)
}

// tmdbUnitClient is mockClient for TMDb at tmdbUnitBase, with no
// credentials and no client-side rate limit unless opts say otherwise.
func tmdbUnitClient(t testing.TB, opts ...mediaauth.Option) (*mediaauth.Client, *httpmock.MockTransport) {
	t.Helper()
	return mockClient(t, mediaauth.WithTMDbBaseURL(tmdbUnitBase),
		append([]mediaauth.Option{mediaauth.WithRateLimit(mediaauth.APITMDb, rate.Inf, 0)}, opts...)...)
}

// hijack takes over the connection of w, writes raw to it and closes it.
func hijack(t *testing.T, w http.ResponseWriter, raw string) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if !assert.NoError(t, err) {
		return
	}
	_, _ = buf.WriteString(raw)
	_ = buf.Flush()
	_ = conn.Close()
}

// drop closes the connection of w without answering.
func drop(t *testing.T, w http.ResponseWriter) { hijack(t, w, "") }

// startFake starts a fake server with opts, closed when the test ends, and
// returns it with a client wired to it (see fakeClient).
func startFake(t *testing.T, opts ...mediaauthtest.Option) (*mediaauthtest.Server, *mediaauth.Client) {
	t.Helper()
	srv := mediaauthtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv, fakeClient(t, srv)
}

// fakeClient returns a client wired to the three APIs of srv, with the
// fake's defaults (see mediaauthtest.Server.Client) and then opts.
func fakeClient(t *testing.T, srv *mediaauthtest.Server, opts ...mediaauth.Option) *mediaauth.Client {
	t.Helper()
	c, err := srv.Client(opts...)
	require.NoError(t, err)
	return c
}

// benchServer starts a loopback server with handler, closed when b ends.
func benchServer(b *testing.B, handler http.HandlerFunc) *httptest.Server {
	b.Helper()
	srv := httptest.NewServer(handler)
	b.Cleanup(srv.Close)
	return srv
}

// benchClient returns a client with opts, or stops the benchmark.
func benchClient(b *testing.B, opts ...mediaauth.Option) *mediaauth.Client {
	b.Helper()
	c, err := mediaauth.New(opts...)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// benchHTTPClient returns an *http.Client on a transport set up like the
// one New builds when given none, for the baselines that do a call with
// net/http alone; its idle connections are closed when b ends.
func benchHTTPClient(b *testing.B) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	b.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: mediaauth.DefaultTimeout}
}

// door is what the three API handles have in common: the open doors.
type door interface {
	Do(ctx context.Context, method, path string, in, out any) error
	HTTPClient() *http.Client
	BaseURL() string
}

// handleOf returns c's handle of api, or nil for an unknown API.
func handleOf(c *mediaauth.Client, api mediaauth.API) door {
	switch api {
	case mediaauth.APIMovies:
		return c.Movies
	case mediaauth.APITVmaze:
		return c.TVmaze
	case mediaauth.APITMDb:
		return c.TMDb
	}
	return nil
}
