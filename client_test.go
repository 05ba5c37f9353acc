package mediaauth

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// pipeUserJSON and pipeTokenJSON are success bodies of the Movies API.
const (
	pipeUserJSON  = `{"id":"u1","username":"john","email":"j@example.com","email_verified":true}`
	pipeTokenJSON = `{"access_token":"tok","token_type":"bearer","expires_in":60}`
)

// pipeAnswer writes a JSON answer.
func pipeAnswer(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// TestOneConnectionForManyCalls checks that 200 sequential calls on one
// Client, error answers included, use a single TCP connection: every body
// is read to the end and closed.
func TestOneConnectionForManyCalls(t *testing.T) {
	t.Parallel()
	for name, retry := range map[string]Option{
		"retries off": WithRetry(0, 0, 0),
		// 500 only on calls that are not retried.
		"retries on": WithRetry(3, time.Millisecond, 5*time.Millisecond),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var conns atomic.Int32
			var n atomic.Int32
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				i := n.Add(1)
				switch {
				case r.URL.Path == "/login" && i%3 == 0:
					pipeAnswer(w, http.StatusInternalServerError, `{"error":"server_error","message":"`+strings.Repeat("x", 2000)+`"}`)
				case r.URL.Path == "/login" && i%3 == 1:
					pipeAnswer(w, http.StatusUnauthorized, `{"error":"invalid_credentials","message":"wrong password"}`)
				case r.URL.Path == "/login":
					pipeAnswer(w, http.StatusOK, pipeTokenJSON)
				case r.Method == http.MethodPut:
					pipeAnswer(w, http.StatusConflict, `{"error":"conflict","message":"email taken"}`)
				case r.URL.Path == "/user/api-key":
					pipeAnswer(w, http.StatusNotFound, `{"error":"not_found","message":"no key"}`)
				case r.URL.Path == "/password/reset":
					w.WriteHeader(http.StatusAccepted)
				case name == "retries off" && i%2 == 0:
					pipeAnswer(w, http.StatusInternalServerError, `{"error":"server_error","message":"oops"}`)
				default:
					pipeAnswer(w, http.StatusOK, pipeUserJSON)
				}
			}))
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			srv.Start()
			defer srv.Close()

			c, err := New(WithMoviesBaseURL(srv.URL), WithCredentials(Token{AccessToken: "tok"}), retry)
			require.NoError(t, err)
			ctx := t.Context()
			statuses := map[int]int{}
			for i := range 200 {
				var err error
				var cl string
				switch i % 5 {
				case 0, 1:
					cl = "login"
					_, err = c.Login(ctx, "u", "p")
				case 2:
					cl = "profile"
					_, err = c.Profile(ctx)
				case 3:
					cl = "update"
					_, err = c.UpdateProfile(ctx, ProfileUpdate{Email: String("e@x")})
				case 4:
					if i%2 == 0 {
						cl = "api-key"
						_, err = c.FetchMoviesAPIKey(ctx)
					} else {
						cl = "reset"
						err = c.RequestPasswordReset(ctx, "e@x")
					}
				}
				var apiErr *APIError
				switch {
				case err == nil:
					statuses[200]++
				case errors.As(err, &apiErr):
					statuses[apiErr.StatusCode]++
				default:
					t.Fatalf("call %d (%s): unexpected error %v", i, cl, err)
				}
			}
			for _, status := range []int{200, 401, 404, 409, 500} {
				assert.Positive(t, statuses[status], "status %d seen", status)
			}
			assert.Equal(t, int32(1), conns.Load(), "TCP connections opened for 200 calls (statuses %v)", statuses)
		})
	}
}

// TestConcurrentUse hammers one Client and clients derived from it from 16
// goroutines; run with -race.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	var served atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		served.Add(1)
		switch r.URL.Path {
		case "/login":
			pipeAnswer(w, http.StatusOK, pipeTokenJSON)
		case "/user/profile":
			// Echo the token as the username, so each goroutine can check
			// it got its own answer.
			tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			if r.Method == http.MethodPut && strings.HasSuffix(tok, "-3") {
				pipeAnswer(w, http.StatusConflict, `{"error":"conflict","message":"taken"}`)
				return
			}
			pipeAnswer(w, http.StatusOK, fmt.Sprintf(`{"id":"1","username":%q}`, tok))
		default:
			pipeAnswer(w, http.StatusNotFound, `{"error":"not_found","message":"no"}`)
		}
	}))
	defer srv.Close()
	var logs bytes.Buffer
	var logMu sync.Mutex
	c, err := New(WithMoviesBaseURL(srv.URL), WithCredentials(Token{AccessToken: "shared"}), WithRetry(0, 0, 0),
		WithLogger(slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	require.NoError(t, err)

	const workers, perWorker = 16, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			own := c.With(Token{AccessToken: fmt.Sprintf("worker-%d", w)})
			for i := range perWorker {
				var err error
				switch i % 4 {
				case 0:
					_, err = c.Login(ctx, "u", "p")
				case 1:
					var u *User
					u, err = own.Profile(ctx)
					if err == nil && u.Username != fmt.Sprintf("worker-%d", w) {
						err = fmt.Errorf("worker %d got the answer for %s", w, u.Username)
					}
				case 2:
					_, err = own.UpdateProfile(ctx, ProfileUpdate{Bio: String("b")})
					if w%10 == 3 && errors.Is(err, ErrConflict) {
						err = nil
					}
				case 3:
					_, err = c.With(Token{AccessToken: fmt.Sprintf("tmp-%d-%d", w, i)}).FetchMoviesAPIKey(ctx)
					if errors.Is(err, ErrNotFound) {
						err = nil
					}
					_ = c.String()
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, int32(workers*perWorker), served.Load())
	logMu.Lock()
	defer logMu.Unlock()
	assert.Equal(t, workers*perWorker, strings.Count(logs.String(), "\n"))
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestTMDbAPIKeyNeverInErrors checks that the api_key query parameter does
// not reach error strings or logs, whether the transport fails or the
// server answers with an error.
func TestTMDbAPIKeyNeverInErrors(t *testing.T) {
	t.Parallel()
	const key = "tmdbkey0123456789abcdef"
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(lockedWriter{&logMu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tmdbCall := func() *call {
		return &call{ep: epTMDbRequestToken, out: &struct{}{}}
	}

	t.Run("connection refused", func(t *testing.T) {
		c, err := New(WithTMDbBaseURL("http://"+ClosedAddr(t)), WithCredentials(TMDbAPIKey(key)), WithLogger(logger),
			WithRetry(1, time.Millisecond, time.Millisecond))
		require.NoError(t, err)
		err = c.do(t.Context(), tmdbCall())
		require.ErrorIs(t, err, ErrNetwork)
		assert.True(t, errors.Is(err, syscall.ECONNREFUSED), "the cause stays inspectable: %v", err)
		for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
			assert.NotContains(t, text, key)
			assert.NotContains(t, text, "api_key")
		}
		var netErr *NetworkError
		require.ErrorAs(t, err, &netErr)
		assert.Equal(t, "/3/authentication/token/new", netErr.Path)
	})

	t.Run("timeout", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		}))
		defer srv.Close()
		c, err := New(WithTMDbBaseURL(srv.URL), WithCredentials(TMDbAPIKey(key)), WithLogger(logger), WithTimeout(50*time.Millisecond), WithRetry(0, 0, 0))
		require.NoError(t, err)
		err = c.do(t.Context(), tmdbCall())
		require.Error(t, err)
		assert.NotContains(t, err.Error(), key)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})

	t.Run("error answer", func(t *testing.T) {
		var gotKey atomic.Value
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			gotKey.Store(r.URL.Query().Get("api_key"))
			assert.Empty(t, r.Header.Get("Authorization"))
			pipeAnswer(w, http.StatusUnauthorized, `{"success":false,"status_code":7,"status_message":"Invalid API key: You must be granted a valid key."}`)
		}))
		defer srv.Close()
		c, err := New(WithTMDbBaseURL(srv.URL), WithCredentials(TMDbAPIKey(key)), WithLogger(logger))
		require.NoError(t, err)
		err = c.do(t.Context(), tmdbCall())
		require.ErrorIs(t, err, ErrInvalidAPIKey)
		assert.Equal(t, key, gotKey.Load(), "the key is sent in the query")
		assert.NotContains(t, err.Error(), key)
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 7, apiErr.TMDbCode)
		assert.Equal(t, "/3/authentication/token/new", apiErr.Path)
	})

	t.Run("bad redirect", func(t *testing.T) {
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			http.Redirect(w, r, r.URL.String(), http.StatusFound) // loops, keeping the query
		}))
		defer srv.Close()
		c, err := New(WithTMDbBaseURL(srv.URL), WithCredentials(TMDbAPIKey(key)), WithRetry(0, 0, 0))
		require.NoError(t, err)
		err = c.do(t.Context(), tmdbCall())
		// Same-origin redirects are followed up to the limit; the last one
		// comes back as the answer, not as a transport error.
		require.ErrorIs(t, err, ErrRedirect)
		assert.NotErrorIs(t, err, ErrNetwork)
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusFound, apiErr.StatusCode)
		assert.Equal(t, "/3/authentication/token/new", apiErr.Path)
		assert.Contains(t, apiErr.Message, srv.URL+"/3/authentication/token/new", "the message names the target")
		assert.Greater(t, hits.Load(), int32(1), "same-origin redirects are followed")
		assert.LessOrEqual(t, hits.Load(), int32(maxRedirects+1), "but not forever")
		for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
			assert.NotContains(t, text, key)
			assert.NotContains(t, text, "api_key")
		}
	})

	t.Run("access token wins", func(t *testing.T) {
		var query, auth atomic.Value
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			query.Store(r.URL.RawQuery)
			auth.Store(r.Header.Get("Authorization"))
			pipeAnswer(w, http.StatusOK, `{}`)
		}))
		defer srv.Close()
		c, err := New(WithTMDbBaseURL(srv.URL), WithCredentials(TMDbAPIKey(key)), WithCredentials(TMDbReadAccessToken("read-token")))
		require.NoError(t, err)
		require.NoError(t, c.do(t.Context(), tmdbCall()))
		assert.Empty(t, query.Load())
		assert.Equal(t, "Bearer read-token", auth.Load())
	})

	logMu.Lock()
	defer logMu.Unlock()
	assert.NotEmpty(t, logs.String())
	assert.NotContains(t, logs.String(), key)
}

// TestRedirectDowngradeRefused checks that an https answer redirecting to
// http is refused at once (not retried) and sends nothing over http: it
// leaves the origin, so it comes back as an ErrRedirect answer.
func TestRedirectDowngradeRefused(t *testing.T) {
	t.Parallel()
	var plainHits atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		plainHits.Add(1)
		pipeAnswer(w, http.StatusOK, pipeUserJSON)
	}))
	defer plain.Close()
	var tlsHits atomic.Int32
	secure := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tlsHits.Add(1)
		http.Redirect(w, r, plain.URL+r.URL.Path, http.StatusFound)
	}))
	secure.Config.ErrorLog = log.New(io.Discard, "", 0)
	secure.StartTLS()
	defer secure.Close()

	c, err := New(WithMoviesBaseURL(secure.URL), WithCredentials(Token{AccessToken: "tok"}), WithRetry(3, time.Millisecond, time.Millisecond))
	require.NoError(t, err)
	// Trust the test server's certificate.
	tr := c.s.httpClient.Transport.(*http.Transport)
	tr.TLSClientConfig = &tls.Config{RootCAs: secure.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs, MinVersion: tls.VersionTLS12}

	u, err := c.Profile(t.Context())
	assert.Nil(t, u)
	require.ErrorIs(t, err, ErrRedirect)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusFound, apiErr.StatusCode)
	assert.Contains(t, apiErr.Message, plain.URL+"/user/profile")
	assert.Equal(t, int32(1), tlsHits.Load(), "not retried")
	assert.Zero(t, plainHits.Load(), "nothing sent over http")
}

// TestNilAndZeroClient checks that a nil or zero Client, or a nil context,
// gives an error, not a panic.
func TestNilAndZeroClient(t *testing.T) {
	t.Parallel()
	var nilClient *Client
	var nilCtx context.Context
	ok, err := New(WithMoviesBaseURL("https://movies.test"))
	require.NoError(t, err)
	for name, c := range map[string]*Client{"nil": nilClient, "zero": {}, "derived from nil": nilClient.With(Token{AccessToken: "x"})} {
		require.NotPanics(t, func() {
			_, err := c.Login(t.Context(), "u", "p")
			assert.ErrorContains(t, err, "use New", name)
			_, err = c.Profile(t.Context())
			assert.ErrorContains(t, err, "use New", name)
			assert.NotEmpty(t, c.String(), name)
			assert.NotEmpty(t, fmt.Sprintf("%v", c), name)
		}, name)
	}
	require.NotPanics(t, func() {
		_, err := ok.Login(nilCtx, "u", "p")
		assert.ErrorContains(t, err, "nil context")
	})
}

// TestParseRetryAfter checks both forms of Retry-After against a fixed clock.
func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"1", time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"999999999999", 24 * time.Hour, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"Fri, 31 Dec 9999 23:59:59 GMT", 24 * time.Hour, true},
		{now.Add(time.Hour).Format(time.RFC850), time.Hour, true},
		{now.Add(time.Hour).Format(time.ANSIC), time.Hour, true},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		assert.Equal(t, tt.ok, ok, "%q", tt.in)
		assert.Equal(t, tt.want, got, "%q", tt.in)
	}
}

// TestBackoff checks the wait between attempts.
func TestBackoff(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := &shared{now: func() time.Time { return now }}
	resp := func(status int, retryAfter string) *http.Response {
		h := http.Header{}
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		return &http.Response{StatusCode: status, Header: h}
	}
	const minW, maxW = 100 * time.Millisecond, 30 * time.Second
	assert.Equal(t, 7*time.Second, s.backoff(minW, maxW, 0, resp(429, now.Add(7*time.Second).Format(http.TimeFormat))), "HTTP date")
	assert.Equal(t, 3*time.Second, s.backoff(minW, maxW, 2, resp(503, "3")), "seconds")
	assert.Equal(t, maxW, s.backoff(minW, maxW, 0, resp(429, "86400")), "capped at maxWait")
	assert.Equal(t, time.Duration(0), s.backoff(minW, maxW, 0, resp(503, now.Add(-time.Minute).Format(http.TimeFormat))), "past date")
	// Retry-After on other statuses, or unreadable, falls back to jitter.
	for _, r := range []*http.Response{nil, resp(500, "3"), resp(429, "soon"), resp(502, "")} {
		for attempt := range 6 {
			d := s.backoff(minW, maxW, attempt, r)
			assert.GreaterOrEqual(t, d, minW)
			assert.LessOrEqual(t, d, min(minW<<attempt, maxW))
		}
	}
	assert.Equal(t, time.Duration(0), jitterBackoff(0, time.Second, 3))
	assert.Equal(t, time.Second, jitterBackoff(time.Second, time.Second, 5))
	for range 100 {
		d := jitterBackoff(time.Millisecond, 50*time.Millisecond, 62)
		assert.LessOrEqual(t, d, 50*time.Millisecond, "large attempts do not overflow")
		assert.GreaterOrEqual(t, d, time.Millisecond)
	}
}

// TestCheckRetry checks the idempotency-aware retry policy.
func TestCheckRetry(t *testing.T) {
	t.Parallel()
	refused := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	dns := &url.Error{Op: "Post", URL: "http://x", Err: &net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}}
	reset := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}
	eof := &url.Error{Op: "Get", URL: "http://x", Err: io.EOF}
	cert := &url.Error{Op: "Get", URL: "https://x", Err: &tls.CertificateVerificationError{}}
	downgrade := &url.Error{Op: "Get", URL: "http://x", Err: fmt.Errorf("refusing redirect: %w", ErrInsecureTransport)}
	status := func(code int, retryAfter string) *http.Response {
		h := http.Header{}
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		return &http.Response{StatusCode: code, Header: h}
	}
	tests := []struct {
		name                    string
		resp                    *http.Response
		err                     error
		idempotent, unsafe, nvr bool
	}{
		{"refused", nil, refused, true, true, false},
		{"dns", nil, dns, true, true, false},
		{"reset", nil, reset, true, false, false},
		{"eof", nil, eof, true, false, false},
		{"certificate", nil, cert, false, false, false},
		{"https to http redirect", nil, downgrade, false, false, false},
		{"200", status(200, ""), nil, false, false, false},
		// A redirect the origin lock refused is an answer: never resent.
		{"302 not followed", status(302, ""), nil, false, false, false},
		{"307 not followed", status(307, ""), nil, false, false, false},
		{"400", status(400, ""), nil, false, false, false},
		{"401", status(401, ""), nil, false, false, false},
		{"404", status(404, ""), nil, false, false, false},
		{"429", status(429, ""), nil, true, true, false},
		{"500", status(500, ""), nil, true, false, false},
		{"501", status(501, ""), nil, false, false, false},
		{"502", status(502, ""), nil, true, false, false},
		{"503", status(503, ""), nil, true, false, false},
		{"503 Retry-After", status(503, "2"), nil, true, true, false},
		{"504", status(504, ""), nil, true, false, false},
	}
	for _, tt := range tests {
		for mode, want := range map[retryMode]bool{retryIdempotent: tt.idempotent, retryUnsafe: tt.unsafe, retryNever: tt.nvr} {
			got, err := checkRetry(mode)(context.Background(), tt.resp, tt.err)
			assert.NoError(t, err)
			assert.Equal(t, want, got, "%s, mode %d", tt.name, mode)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := checkRetry(retryIdempotent)(ctx, status(503, ""), nil)
	assert.False(t, got)
	assert.ErrorIs(t, err, context.Canceled)
}

// TestDefaultRateLimits checks the arithmetic of the default limiters: at
// most burst + rate×window requests fit in any window.
func TestDefaultRateLimits(t *testing.T) {
	cfg := defaultConfig()
	within := func(api API, window time.Duration) float64 {
		l := cfg.limits[api.index()]
		return float64(l.burst) + float64(l.limit)*window.Seconds()
	}
	if n := within(APITVmaze, 10*time.Second); n > 20 {
		t.Errorf("TVmaze: %v requests fit in 10 s, TVmaze allows 20", n)
	}
	if n := within(APITMDb, time.Second); n >= 40 {
		t.Errorf("TMDb: %v requests fit in 1 s, want under 40", n)
	}
	if l := cfg.limits[APIMovies.index()].limit; l != rate.Inf {
		t.Errorf("Movies API: default limit %v, want none", l)
	}
}
