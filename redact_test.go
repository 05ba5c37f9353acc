package mediaauth_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/mediaauth/mediaauth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockedBuffer is a log sink safe for the client's concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// assertNoSecret checks err's text in every form, and the logs, for every
// boundary secret.
func assertNoSecret(t *testing.T, name string, err error, logs ...string) {
	t.Helper()
	require.Error(t, err, name)
	texts := append([]string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), fmt.Sprintf("%s", err)}, logs...)
	texts = append(texts, chainTexts(err)...)
	for _, text := range texts {
		for _, secret := range boundarySecrets {
			assert.NotContains(t, text, secret, name)
		}
	}
}

// chainTexts is the text of every error in err's chain, as a caller who
// walks it with Unwrap (or a logger that prints causes) would see it.
func chainTexts(err error) []string {
	var texts []string
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		texts = append(texts, e.Error(), fmt.Sprintf("%#v", e))
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, inner := range u.Unwrap() {
				walk(inner)
			}
		}
	}
	walk(err)
	return texts
}

// loggers returns a JSON and a text debug logger and their sinks.
func loggers() (*slog.Logger, *slog.Logger, *lockedBuffer, *lockedBuffer) {
	var j, x lockedBuffer
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	return slog.New(slog.NewJSONHandler(&j, opts)), slog.New(slog.NewTextHandler(&x, opts)), &j, &x
}

// echoTransport fails every request with an error that quotes the whole
// request: URL (with the api_key query), headers and body.
type echoTransport struct{}

func (echoTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		_ = req.Body.Close()
	}
	return nil, fmt.Errorf("custom transport cannot reach %s (headers %v, body %s)", req.URL, req.Header, body)
}

// TestScrubCustomTransportErrors: text a caller's transport wrote holds the
// URL, the headers and the body; none of their secrets may come out.
func TestScrubCustomTransportErrors(t *testing.T) {
	t.Parallel()
	for _, jsonLog := range []bool{true, false} {
		jl, tl, jbuf, tbuf := loggers()
		logger, buf := tl, tbuf
		if jsonLog {
			logger, buf = jl, jbuf
		}
		c := boundaryClient(t, "https://api.example.test", mediaauth.WithHTTPClient(&http.Client{Transport: echoTransport{}}),
			mediaauth.WithRetry(0, 0, 0), mediaauth.WithLogger(logger))
		for _, sc := range everyCall() {
			err := sc.run(t.Context(), c)
			require.ErrorIs(t, err, mediaauth.ErrNetwork, sc.name)
			var netErr *mediaauth.NetworkError
			require.ErrorAs(t, err, &netErr, sc.name)
			assert.Contains(t, err.Error(), "custom transport cannot reach", "the transport's words stay")
			assertNoSecret(t, sc.name, err, buf.String())
		}
		assert.Contains(t, buf.String(), "request failed", "the failures were logged")
	}
}

// TestScrubBadLocation: a redirect whose Location does not parse, and
// echoes the request's query, must not put it in the error.
func TestScrubBadLocation(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "http://[::1%zz]/x?"+r.URL.RawQuery+"&p="+bPassword)
		w.WriteHeader(http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	jl, _, jbuf, _ := loggers()
	c := boundaryClient(t, srv.URL, mediaauth.WithLogger(jl))
	for _, sc := range everyCall() {
		err := sc.run(t.Context(), c)
		require.ErrorIs(t, err, mediaauth.ErrRedirect, sc.name)
		assertNoSecret(t, sc.name, err, jbuf.String())
	}
}

// TestScrubBaseURLs: options that carry a secret in the URL are refused
// without quoting it.
func TestScrubBaseURLs(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"ftp://h/?api_key=" + bTMDbKey,
		"https:///?api_key=" + bTMDbKey,
		"https://h/path?api_key=" + bTMDbKey,
		"https://user:" + bPassword + "@h/",
		"https://h/#" + bToken,
		"http://[::1%zz]/?api_key=" + bTMDbKey,
		"%zz" + bTMDbKey,
	} {
		for _, opt := range []func(string) mediaauth.Option{mediaauth.WithMoviesBaseURL, mediaauth.WithTVmazeBaseURL, mediaauth.WithTMDbBaseURL, mediaauth.WithTMDbSiteURL} {
			_, err := mediaauth.New(opt(raw))
			require.ErrorIs(t, err, mediaauth.ErrInvalidArgument, raw)
			assertNoSecret(t, raw, err)
		}
	}
}

// TestScrubServerEcho: a server that echoes the credentials and secret
// inputs it received, in its message, code and request id, gets them
// replaced in the error and the log.
func TestScrubServerEcho(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		echo := strings.NewReplacer(`"`, `'`, "\n", " ").Replace(r.URL.RawQuery + " " + r.Header.Get("Authorization") + " " + string(body))
		w.Header().Set("X-Request-Id", r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = fmt.Fprintf(w, `{"error":%q,"message":%q,"status_code":7,"status_message":%q}`, echo, echo, echo)
	}))
	t.Cleanup(srv.Close)
	jl, tl, jbuf, tbuf := loggers()
	for _, logger := range []*slog.Logger{jl, tl} {
		c := boundaryClient(t, srv.URL, mediaauth.WithLogger(logger))
		for _, sc := range everyCall() {
			err := sc.run(t.Context(), c)
			var apiErr *mediaauth.APIError
			require.ErrorAs(t, err, &apiErr, sc.name)
			assert.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
			if sc.name != "RequestPasswordReset" { // the one call that sends no secret
				assert.Contains(t, apiErr.Message, "[REDACTED]", "%s: the echo is kept, its secrets replaced", sc.name)
			}
			for _, field := range []string{apiErr.Message, apiErr.Code, apiErr.RequestID} {
				for _, secret := range boundarySecrets {
					assert.NotContains(t, field, secret, sc.name)
				}
			}
			assertNoSecret(t, sc.name, err, jbuf.String(), tbuf.String())
		}
	}
}

// TestScrubbedErrorsStillClassify: scrubbing keeps the error chain, so a
// refused connection is still recognisable.
func TestScrubbedErrorsStillClassify(t *testing.T) {
	t.Parallel()
	c := boundaryClient(t, "http://"+mediaauth.ClosedAddr(t), mediaauth.WithRetry(0, 0, 0))
	err := c.TMDb.Validate(t.Context())
	var netErr *mediaauth.NetworkError
	require.ErrorAs(t, err, &netErr)
	var opErr interface{ Timeout() bool }
	assert.True(t, errors.As(err, &opErr), "the net.OpError is still in the chain: %v", err)
	assertNoSecret(t, "refused", err)
}
