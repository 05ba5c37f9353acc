package mediaauth_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
)

// robustServer starts a loopback server with handler and returns a client
// for it with retries off.
func robustServer(t *testing.T, handler http.HandlerFunc, opts ...mediaauth.Option) *mediaauth.Client {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	base := []mediaauth.Option{
		mediaauth.WithMoviesBaseURL(srv.URL),
		mediaauth.WithCredentials(mediaauth.Token{AccessToken: "robust-token"}),
		mediaauth.WithRetry(0, time.Millisecond, time.Millisecond),
	}
	c, err := mediaauth.New(append(base, opts...)...)
	require.NoError(t, err)
	return c
}

// TestBadSuccessBodies checks that 200 answers the contract does not allow
// are ErrMalformedResponse (or ErrResponseTooLarge), never a panic or hang.
func TestBadSuccessBodies(t *testing.T) {
	t.Parallel()
	tenMiB := strings.Repeat(" ", 10<<20)
	tests := []struct {
		name        string
		contentType string
		body        string
		want        error
		wantText    string
	}{
		{name: "malformed JSON", contentType: "application/json", body: `{"access_token":`, want: mediaauth.ErrMalformedResponse, wantText: "decoding JSON"},
		{name: "trailing garbage", contentType: "application/json", body: `{"access_token":"x","token_type":"bearer"} tail`, want: mediaauth.ErrMalformedResponse, wantText: "decoding JSON"},
		{name: "empty body", contentType: "application/json", body: "", want: mediaauth.ErrMalformedResponse, wantText: "empty body"},
		{name: "blank body", contentType: "application/json", body: " \n\t", want: mediaauth.ErrMalformedResponse, wantText: "empty body"},
		{name: "text/html", contentType: "text/html; charset=utf-8", body: "<html><body>Welcome</body></html>", want: mediaauth.ErrMalformedResponse, wantText: `content type "text/html; charset=utf-8"`},
		{name: "text/html with JSON body", contentType: "text/html", body: unitTokenJSON, want: mediaauth.ErrMalformedResponse, wantText: "content type"},
		{name: "bad media type", contentType: "application/", body: unitTokenJSON, want: mediaauth.ErrMalformedResponse, wantText: "content type"},
		{name: "binary", contentType: "application/json", body: "\x00\xff\xfe\x01", want: mediaauth.ErrMalformedResponse},
		{name: "JSON string", contentType: "application/json", body: `"token"`, want: mediaauth.ErrMalformedResponse},
		{name: "10 MiB", contentType: "application/json", body: `{"access_token":"x","token_type":"bearer","pad":"` + tenMiB + `"}`, want: mediaauth.ErrResponseTooLarge, wantText: "body over 1048576 bytes"},
		{name: "charset is fine", contentType: "application/json; charset=utf-8", body: unitTokenJSON},
		{name: "+json is fine", contentType: "application/vnd.movies+json", body: unitTokenJSON},
		{name: "no content type is fine", body: unitTokenJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := robustServer(t, func(w http.ResponseWriter, _ *http.Request) {
				if tt.contentType != "" {
					w.Header().Set("Content-Type", tt.contentType)
				} else {
					w.Header()["Content-Type"] = nil // no sniffing
				}
				_, _ = w.Write([]byte(tt.body))
			})
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			tok, err := c.Movies.Login(ctx, "u", "p")
			if tt.want == nil {
				require.NoError(t, err)
				assert.Equal(t, "tok-abc", tok.AccessToken)
				return
			}
			require.Error(t, err)
			assert.Nil(t, tok)
			assert.ErrorIs(t, err, tt.want)
			assert.NotErrorIs(t, err, mediaauth.ErrNetwork)
			var apiErr *mediaauth.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, http.StatusOK, apiErr.StatusCode)
			assert.Equal(t, "/login", apiErr.Path)
			assert.Contains(t, err.Error(), tt.wantText)
			assert.Less(t, len(err.Error()), 1024, "error text stays short")
		})
	}
}

// TestHTMLErrorPage checks that an HTML 502 from a proxy is ErrServer with
// a readable Message.
func TestHTMLErrorPage(t *testing.T) {
	t.Parallel()
	const page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n" +
		"<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n"
	c := robustServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(page))
	})
	for name, call := range map[string]func(context.Context) error{
		"Login":   func(ctx context.Context) error { _, err := c.Movies.Login(ctx, "u", "p"); return err },
		"Profile": func(ctx context.Context) error { _, err := c.Movies.Profile(ctx); return err },
	} {
		err := call(t.Context())
		require.ErrorIs(t, err, mediaauth.ErrServer, name)
		assert.NotErrorIs(t, err, mediaauth.ErrMalformedResponse, name)
		var apiErr *mediaauth.APIError
		require.ErrorAs(t, err, &apiErr, name)
		assert.Equal(t, http.StatusBadGateway, apiErr.StatusCode, name)
		assert.Equal(t, "HTML page: 502 Bad Gateway", apiErr.Message, name)
		assert.True(t, (errors.Is(apiErr, mediaauth.ErrRateLimited) || errors.Is(apiErr, mediaauth.ErrServer)), name)
		assert.NotContains(t, err.Error(), "<", name)
	}
}

// TestUnexpectedStatuses checks answers outside 2xx that no table lists.
func TestUnexpectedStatuses(t *testing.T) {
	t.Parallel()
	c := robustServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNotModified)
	})
	_, err := c.Movies.Profile(t.Context())
	var apiErr *mediaauth.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusNotModified, apiErr.StatusCode)
	assert.False(t, (errors.Is(apiErr, mediaauth.ErrRateLimited) || errors.Is(apiErr, mediaauth.ErrServer)))
}

// TestConnectionDropped checks that a connection closed before or during
// the answer is a *NetworkError.
func TestConnectionDropped(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"mid-body":       "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n" + `{"access_token":"abc`,
		"mid-chunk":      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + `{"access_token":"abc`,
		"mid-error-body": "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n" + `{"error":"serv`,
		"mid-headers":    "HTTP/1.1 200 OK\r\nContent-Ty",
		"no answer":      "",
		"garbage":        "SSH-2.0-OpenSSH_9.6\r\n",
	}
	for name, raw := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := robustServer(t, func(w http.ResponseWriter, _ *http.Request) { hijack(t, w, raw) })
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			start := time.Now()
			tok, err := c.Movies.Login(ctx, "u", "p")
			assert.Less(t, time.Since(start), 2*time.Second)
			require.Error(t, err)
			assert.Nil(t, tok)
			assert.ErrorIs(t, err, mediaauth.ErrNetwork)
			var netErr *mediaauth.NetworkError
			require.ErrorAs(t, err, &netErr)
			assert.Equal(t, mediaauth.APIMovies, netErr.API)
			assert.Equal(t, http.MethodPost, netErr.Method)
			assert.Equal(t, "/login", netErr.Path)
			assert.NotErrorIs(t, err, context.DeadlineExceeded)
			var apiErr *mediaauth.APIError
			assert.False(t, errors.As(err, &apiErr), "a broken answer is not an API error: %v", err)
			assert.NotContains(t, err.Error(), "abc")
		})
	}
}

// TestSlowServer checks that WithTimeout and a context deadline both stop a
// server that is slow to answer or slow to send its body, promptly and with
// an error matching context.DeadlineExceeded.
func TestSlowServer(t *testing.T) {
	t.Parallel()
	// The handlers read the request body first, so that the server notices
	// the client hanging up and cancels r.Context().
	slowHeaders := func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	}
	slowBody := func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "100")
		_, _ = w.Write([]byte(`{"access_token":`))
		_ = http.NewResponseController(w).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	}
	for name, handler := range map[string]http.HandlerFunc{"headers": slowHeaders, "body": slowBody} {
		t.Run(name+"/WithTimeout", func(t *testing.T) {
			t.Parallel()
			c := robustServer(t, handler, mediaauth.WithTimeout(100*time.Millisecond))
			start := time.Now()
			_, err := c.Movies.Login(t.Context(), "u", "p")
			assert.Less(t, time.Since(start), time.Second)
			require.Error(t, err)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.ErrorIs(t, err, mediaauth.ErrNetwork, "the client's own timeout is a network failure")
			var netErr net.Error
			if assert.ErrorAs(t, err, &netErr) {
				assert.True(t, netErr.Timeout())
			}
		})
		t.Run(name+"/context deadline", func(t *testing.T) {
			t.Parallel()
			c := robustServer(t, handler)
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := c.Movies.Login(ctx, "u", "p")
			assert.Less(t, time.Since(start), time.Second)
			require.Error(t, err)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Contains(t, err.Error(), "/login")
		})
		t.Run(name+"/context cancelled", func(t *testing.T) {
			t.Parallel()
			c := robustServer(t, handler)
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(50*time.Millisecond, cancel)
			start := time.Now()
			_, err := c.Movies.Profile(ctx)
			assert.Less(t, time.Since(start), time.Second)
			assert.ErrorIs(t, err, context.Canceled)
		})
	}
}

// TestAttemptTimeoutEveryPath: the per-attempt timeout stops a server slow
// to answer or to send its body, with a network error that matches
// context.DeadlineExceeded and is a net.Error timeout, whether the
// pipeline puts it on the request (a call sent once: retries off, or the
// TVmaze poll, with or without a context that can end) or the transport
// does for each attempt (a call that may be resent). A GET whose answer
// did not come in time is sent again, each attempt with a whole timeout of
// its own; one whose body stalls is not (its answer came).
func TestAttemptTimeoutEveryPath(t *testing.T) {
	t.Parallel()
	const timeout = 100 * time.Millisecond
	stall := func(r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	}
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		if strings.HasPrefix(r.URL.Path, "/body/") {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "100")
			_, _ = w.Write([]byte(`{"access_token":`))
			_ = http.NewResponseController(w).Flush()
		}
		stall(r)
	}))
	t.Cleanup(srv.Close)
	cancellable, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	for _, slow := range []string{"headers", "body"} {
		for name, tc := range map[string]struct {
			retries  int
			ctx      context.Context
			attempts int32
			call     func(context.Context, *mediaauth.Client) error
		}{
			"Login retries off": {0, t.Context(), 1, func(ctx context.Context, c *mediaauth.Client) error {
				_, err := c.Movies.Login(ctx, "u", "p")
				return err
			}},
			"Login retries on": {2, t.Context(), 1, func(ctx context.Context, c *mediaauth.Client) error {
				_, err := c.Movies.Login(ctx, "u", "p")
				return err
			}},
			"Profile retries on": {2, t.Context(), 3, func(ctx context.Context, c *mediaauth.Client) error {
				_, err := c.Movies.Profile(ctx)
				return err
			}},
			"PollAuth background": {2, context.Background(), 1, func(ctx context.Context, c *mediaauth.Client) error {
				_, err := c.TVmaze.PollAuth(ctx, mediaauth.AuthRequest{Token: "poll-token"})
				return err
			}},
			"PollAuth cancellable": {2, cancellable, 1, func(ctx context.Context, c *mediaauth.Client) error {
				_, err := c.TVmaze.PollAuth(ctx, mediaauth.AuthRequest{Token: "poll-token"})
				return err
			}},
		} {
			t.Run(slow+"/"+name, func(t *testing.T) {
				path := "/" + slow
				c, err := mediaauth.New(mediaauth.WithMoviesBaseURL(srv.URL+path), mediaauth.WithTVmazeBaseURL(srv.URL+path),
					mediaauth.WithCredentials(mediaauth.Token{AccessToken: "robust-token"}),
					mediaauth.WithRetry(tc.retries, time.Millisecond, time.Millisecond),
					mediaauth.WithTimeout(timeout))
				require.NoError(t, err)
				attempts := tc.attempts
				if slow == "body" {
					attempts = 1
				}
				before := hits.Load()
				start := time.Now()
				err = tc.call(tc.ctx, c)
				elapsed := time.Since(start)
				require.Error(t, err)
				assert.ErrorIs(t, err, context.DeadlineExceeded)
				assert.ErrorIs(t, err, mediaauth.ErrNetwork, "the client's own timeout is a network failure")
				var netErr net.Error
				if assert.ErrorAs(t, err, &netErr) {
					assert.True(t, netErr.Timeout())
				}
				assert.Equal(t, attempts, hits.Load()-before, "attempts")
				assert.GreaterOrEqual(t, elapsed, time.Duration(attempts)*timeout, "each attempt has the whole timeout")
				assert.Less(t, elapsed, time.Duration(attempts)*timeout+time.Second)
			})
		}
	}
}

// TestCancelledBeforeSend checks that a call with a context already done
// sends nothing.
func TestCancelledBeforeSend(t *testing.T) {
	t.Parallel()
	hits := make(chan struct{}, 1)
	c := robustServer(t, func(w http.ResponseWriter, _ *http.Request) { hits <- struct{}{} })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := c.Movies.Login(ctx, "u", "p")
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, hits)
}

// TestServerSpeaksTLS checks that plain http to a TLS server fails cleanly:
// Go's TLS server answers a plain HTTP request with its own 400.
func TestServerSpeaksTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	srv.Config.ErrorLog = discardLogger()
	srv.StartTLS()
	defer srv.Close()
	c, err := mediaauth.New(mediaauth.WithMoviesBaseURL(strings.Replace(srv.URL, "https://", "http://", 1)), mediaauth.WithRetry(0, 0, 0))
	require.NoError(t, err)
	tok, err := c.Movies.Login(t.Context(), "u", "p")
	require.Error(t, err)
	assert.Nil(t, tok)
	require.ErrorIs(t, err, mediaauth.ErrBadRequest)
	assert.NotErrorIs(t, err, mediaauth.ErrNetwork)
	var apiErr *mediaauth.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.Equal(t, "/login", apiErr.Path)
	assert.Equal(t, "Client sent an HTTP request to an HTTPS server.", apiErr.Message)
}

// TestUntrustedCertificate checks that a TLS server with an unknown
// certificate is refused once, without retries.
func TestUntrustedCertificate(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			hits.Add(1)
		}
	}
	srv.Config.ErrorLog = discardLogger()
	srv.StartTLS()
	defer srv.Close()
	c, err := mediaauth.New(mediaauth.WithMoviesBaseURL(srv.URL), mediaauth.WithCredentials(mediaauth.Token{AccessToken: "t"}), mediaauth.WithRetry(3, time.Millisecond, time.Millisecond))
	require.NoError(t, err)
	_, err = c.Movies.Profile(t.Context())
	require.ErrorIs(t, err, mediaauth.ErrNetwork)
	assert.Contains(t, err.Error(), "certificate")
	srv.Close()
	assert.Equal(t, int32(1), hits.Load(), "certificate errors are not retried")
}

// discardLogger is a server error log that drops everything.
func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }
