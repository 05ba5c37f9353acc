package mediaauth_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
)

// scriptServer answers request n (from 1) with script(n, w, r).
type scriptServer struct {
	*httptest.Server
	hits atomic.Int32
}

func newScriptServer(t *testing.T, script func(n int, w http.ResponseWriter, r *http.Request)) *scriptServer {
	t.Helper()
	s := &scriptServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		script(int(s.hits.Add(1)), w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// client returns a client for the server with a token and opts.
func (s *scriptServer) client(t *testing.T, opts ...mediaauth.Option) *mediaauth.Client {
	t.Helper()
	c, err := mediaauth.New(append([]mediaauth.Option{mediaauth.WithMoviesBaseURL(s.URL), mediaauth.WithCredentials(mediaauth.Token{AccessToken: "retry-token"})}, opts...)...)
	require.NoError(t, err)
	return c
}

func (s *scriptServer) count() int { return int(s.hits.Load()) }

// answer writes a JSON answer with header pairs.
func answer(w http.ResponseWriter, status int, body string, hdr ...string) {
	for i := 0; i+1 < len(hdr); i += 2 {
		w.Header().Set(hdr[i], hdr[i+1])
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// fastRetry keeps back-off waits short.
var fastRetry = mediaauth.WithRetry(3, time.Millisecond, 10*time.Millisecond)

const errBody = `{"error":"server_error","message":"try later"}`

// TestIdempotentCallsRetried checks that GET (and idempotent) calls are
// sent again on 5xx and on a dropped connection, then succeed.
// VerifyMoviesEmail spends a single-use token: it is among the calls that
// TestUnsafeCallsNotResent checks are not resent.
func TestIdempotentCallsRetried(t *testing.T) {
	t.Parallel()
	calls := map[string]func(context.Context, *mediaauth.Client) error{
		"Profile": func(ctx context.Context, c *mediaauth.Client) error { _, err := c.Movies.Profile(ctx); return err },
		"APIKey": func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.Movies.FetchAPIKey(ctx)
			return err
		},
		"UpdateProfile": func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.Movies.UpdateProfile(ctx, mediaauth.ProfileUpdate{Bio: mediaauth.String("b")})
			return err
		},
	}
	failures := map[string]func(t *testing.T, w http.ResponseWriter){
		"503":      func(_ *testing.T, w http.ResponseWriter) { answer(w, http.StatusServiceUnavailable, errBody) },
		"500":      func(_ *testing.T, w http.ResponseWriter) { answer(w, http.StatusInternalServerError, errBody) },
		"502 html": func(_ *testing.T, w http.ResponseWriter) { w.WriteHeader(http.StatusBadGateway) },
		"429":      func(_ *testing.T, w http.ResponseWriter) { answer(w, http.StatusTooManyRequests, errBody) },
		"dropped":  drop,
	}
	for callName, call := range calls {
		for failName, fail := range failures {
			t.Run(callName+"/"+failName, func(t *testing.T) {
				t.Parallel()
				srv := newScriptServer(t, func(n int, w http.ResponseWriter, _ *http.Request) {
					if n <= 2 {
						fail(t, w)
						return
					}
					answer(w, http.StatusOK, `{"id":"u1","username":"john","api_key":"k"}`)
				})
				err := call(t.Context(), srv.client(t, fastRetry))
				require.NoError(t, err)
				assert.Equal(t, 3, srv.count(), "two failures, then success")
			})
		}
	}
}

// TestNotImplementedNotRetried checks that 501 is final even for GET.
func TestNotImplementedNotRetried(t *testing.T) {
	t.Parallel()
	srv := newScriptServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		answer(w, http.StatusNotImplemented, errBody)
	})
	_, err := srv.client(t, fastRetry).Movies.Profile(t.Context())
	require.ErrorIs(t, err, mediaauth.ErrServer)
	assert.Equal(t, 1, srv.count())
}

// TestUnsafeCallsNotResent checks that non-idempotent calls, and calls that
// spend a single-use token, are never sent again once the server may have
// received them.
func TestUnsafeCallsNotResent(t *testing.T) {
	t.Parallel()
	calls := map[string]func(context.Context, *mediaauth.Client) error{
		"Register": func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.Movies.Register(ctx, mediaauth.RegisterRequest{Username: "u", Password: "p", Email: "e@x"})
			return err
		},
		"Login": func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.Movies.Login(ctx, "u", "p")
			return err
		},
		"FormLogin": func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.Movies.FormLogin(ctx, "u", "p")
			return err
		},
		"GenerateAPIKey": func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.Movies.GenerateAPIKey(ctx)
			return err
		},
		"RequestPasswordReset": func(ctx context.Context, c *mediaauth.Client) error {
			return c.Movies.RequestPasswordReset(ctx, "e@x")
		},
		"ConfirmPasswordReset": func(ctx context.Context, c *mediaauth.Client) error {
			return c.Movies.ConfirmPasswordReset(ctx, "t", "p")
		},
		"VerifyEmail": func(ctx context.Context, c *mediaauth.Client) error { return c.Movies.VerifyEmail(ctx, "v") },
	}
	for name, call := range calls {
		t.Run(name+"/dropped", func(t *testing.T) {
			t.Parallel()
			srv := newScriptServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) { drop(t, w) })
			err := call(t.Context(), srv.client(t, fastRetry))
			require.ErrorIs(t, err, mediaauth.ErrNetwork)
			var netErr *mediaauth.NetworkError
			require.ErrorAs(t, err, &netErr)
			assert.Equal(t, http.MethodPost, netErr.Method)
			assert.Equal(t, 1, srv.count(), "the server received the request once and only once")
		})
		for _, status := range []int{500, 502, 503, 504} {
			t.Run(name+"/"+strconv.Itoa(status), func(t *testing.T) {
				t.Parallel()
				srv := newScriptServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) { answer(w, status, errBody) })
				err := call(t.Context(), srv.client(t, fastRetry))
				require.ErrorIs(t, err, mediaauth.ErrServer)
				assert.Equal(t, 1, srv.count(), "a 5xx without Retry-After may have acted")
			})
		}
	}
}

// TestUnsafeCallsRetriedWhenRefused checks that 429 and 503 with Retry-After,
// where the server says it did not act, are retried even for POST.
func TestUnsafeCallsRetriedWhenRefused(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			srv := newScriptServer(t, func(n int, w http.ResponseWriter, _ *http.Request) {
				if n == 1 {
					answer(w, status, errBody, "Retry-After", "0")
					return
				}
				answer(w, http.StatusCreated, unitUserJSON)
			})
			u, err := srv.client(t, fastRetry).Movies.Register(t.Context(), mediaauth.RegisterRequest{Username: "u", Password: "p", Email: "e@x"})
			require.NoError(t, err)
			assert.Equal(t, "john_doe", u.Username)
			assert.Equal(t, 2, srv.count())
		})
		// The single-use email token too: the server did not spend it.
		t.Run("VerifyEmail/"+strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			srv := newScriptServer(t, func(n int, w http.ResponseWriter, _ *http.Request) {
				if n == 1 {
					answer(w, status, errBody, "Retry-After", "0")
					return
				}
				answer(w, http.StatusOK, `{"message":"verified"}`)
			})
			require.NoError(t, srv.client(t, fastRetry).Movies.VerifyEmail(t.Context(), "v"))
			assert.Equal(t, 2, srv.count())
		})
	}
}

// TestRetryAfterSeconds checks that a 429 with Retry-After: 1 waits about a
// second with the default back-off bounds.
func TestRetryAfterSeconds(t *testing.T) {
	t.Parallel()
	var (
		mu            sync.Mutex
		first, second time.Time
	)
	srv := newScriptServer(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if n == 1 {
			first = time.Now()
			answer(w, http.StatusTooManyRequests, `{"error":"rate_limited","message":"slow down"}`, "Retry-After", "1")
			return
		}
		second = time.Now()
		answer(w, http.StatusOK, unitTokenJSON)
	})
	start := time.Now()
	tok, err := srv.client(t).Movies.Login(t.Context(), "u", "p")
	elapsed := time.Since(start)
	require.NoError(t, err)
	assert.Equal(t, "tok-abc", tok.AccessToken)
	assert.Equal(t, 2, srv.count())
	assert.GreaterOrEqual(t, elapsed, 900*time.Millisecond)
	assert.Less(t, elapsed, 3*time.Second)
	mu.Lock()
	defer mu.Unlock()
	assert.GreaterOrEqual(t, second.Sub(first), 900*time.Millisecond, "the server saw the retry a second later")
}

// TestRetryAfterCapped checks that WithRetry's maxWait caps Retry-After.
func TestRetryAfterCapped(t *testing.T) {
	t.Parallel()
	for _, ra := range []string{"1", "3600", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)} {
		t.Run(ra, func(t *testing.T) {
			t.Parallel()
			srv := newScriptServer(t, func(n int, w http.ResponseWriter, _ *http.Request) {
				if n <= 2 {
					answer(w, http.StatusTooManyRequests, errBody, "Retry-After", ra)
					return
				}
				answer(w, http.StatusOK, unitTokenJSON)
			})
			start := time.Now()
			_, err := srv.client(t, mediaauth.WithRetry(3, time.Millisecond, 50*time.Millisecond)).Movies.Login(t.Context(), "u", "p")
			require.NoError(t, err)
			assert.Equal(t, 3, srv.count())
			assert.Less(t, time.Since(start), 500*time.Millisecond, "two waits of at most 50ms")
		})
	}
}

// TestRetryAfterHTTPDate checks Retry-After given as an HTTP date.
func TestRetryAfterHTTPDate(t *testing.T) {
	t.Parallel()
	t.Run("future date is honoured", func(t *testing.T) {
		t.Parallel()
		// HTTP dates have whole seconds: the client's clock stands 200 ms
		// before the date, so that the wait it asks for is exactly 200 ms.
		const wait = 200 * time.Millisecond
		date := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		srv := newScriptServer(t, func(n int, w http.ResponseWriter, _ *http.Request) {
			if n == 1 {
				answer(w, http.StatusServiceUnavailable, errBody, "Retry-After", date.Format(http.TimeFormat))
				return
			}
			answer(w, http.StatusOK, unitUserJSON)
		})
		c := srv.client(t, mediaauth.WithRetry(2, time.Millisecond, 10*time.Second))
		mediaauth.SetClock(c, func() time.Time { return date.Add(-wait) })
		start := time.Now()
		u, err := c.Movies.Profile(t.Context())
		elapsed := time.Since(start)
		require.NoError(t, err)
		assert.Equal(t, "john_doe", u.Username)
		assert.Equal(t, 2, srv.count())
		assert.GreaterOrEqual(t, elapsed, wait, "waited until the date, not the 1 ms minimum")
		assert.Less(t, elapsed, wait+time.Second)
	})
	t.Run("past date retries at once", func(t *testing.T) {
		t.Parallel()
		srv := newScriptServer(t, func(n int, w http.ResponseWriter, _ *http.Request) {
			if n == 1 {
				answer(w, http.StatusServiceUnavailable, errBody, "Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")
				return
			}
			answer(w, http.StatusOK, unitUserJSON)
		})
		start := time.Now()
		_, err := srv.client(t).Movies.Profile(t.Context())
		require.NoError(t, err)
		assert.Equal(t, 2, srv.count())
		assert.Less(t, time.Since(start), 200*time.Millisecond, "no wait, not even the default 250ms minimum")
	})
}

// TestRetriesExhausted checks that when every attempt fails the caller gets
// the last answer as a typed error, not the transport's "giving up".
func TestRetriesExhausted(t *testing.T) {
	t.Parallel()
	t.Run("503 on GET", func(t *testing.T) {
		t.Parallel()
		srv := newScriptServer(t, func(n int, w http.ResponseWriter, _ *http.Request) {
			answer(w, http.StatusServiceUnavailable, `{"error":"unavailable","message":"attempt `+strconv.Itoa(n)+`"}`, "X-Request-Id", "rid-"+strconv.Itoa(n))
		})
		_, err := srv.client(t, mediaauth.WithRetry(2, time.Millisecond, 5*time.Millisecond)).Movies.Profile(t.Context())
		require.ErrorIs(t, err, mediaauth.ErrServer)
		var apiErr *mediaauth.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusServiceUnavailable, apiErr.StatusCode)
		assert.Equal(t, "attempt 3", apiErr.Message, "the last answer")
		assert.Equal(t, "rid-3", apiErr.RequestID)
		assert.NotContains(t, err.Error(), "giving up")
		assert.Equal(t, 3, srv.count())
	})
	t.Run("429 on POST", func(t *testing.T) {
		t.Parallel()
		srv := newScriptServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
			answer(w, http.StatusTooManyRequests, errBody, "Retry-After", "0")
		})
		_, err := srv.client(t, mediaauth.WithRetry(2, time.Millisecond, 5*time.Millisecond)).Movies.Login(t.Context(), "u", "p")
		require.ErrorIs(t, err, mediaauth.ErrRateLimited)
		var apiErr *mediaauth.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusTooManyRequests, apiErr.StatusCode)
		assert.NotContains(t, err.Error(), "giving up")
		assert.Equal(t, 3, srv.count())
	})
	t.Run("dropped connections on GET", func(t *testing.T) {
		t.Parallel()
		srv := newScriptServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) { drop(t, w) })
		_, err := srv.client(t, mediaauth.WithRetry(2, time.Millisecond, 5*time.Millisecond)).Movies.Profile(t.Context())
		require.ErrorIs(t, err, mediaauth.ErrNetwork)
		assert.NotContains(t, err.Error(), "giving up")
		assert.Equal(t, 3, srv.count())
	})
	t.Run("retries off", func(t *testing.T) {
		t.Parallel()
		srv := newScriptServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
			answer(w, http.StatusServiceUnavailable, errBody)
		})
		_, err := srv.client(t, mediaauth.WithRetry(0, 0, 0)).Movies.Profile(t.Context())
		require.ErrorIs(t, err, mediaauth.ErrServer)
		assert.Equal(t, 1, srv.count())
	})
}

// TestCancelDuringBackoff checks that cancelling the context during a
// back-off wait returns at once with the context's error.
func TestCancelDuringBackoff(t *testing.T) {
	t.Parallel()
	for name, mk := range map[string]func(context.Context) (context.Context, context.CancelFunc){
		"cancel": func(ctx context.Context) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(ctx)
			time.AfterFunc(100*time.Millisecond, cancel)
			return ctx, cancel
		},
		"deadline": func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, 100*time.Millisecond)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newScriptServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
				answer(w, http.StatusServiceUnavailable, errBody, "Retry-After", "10")
			})
			ctx, cancel := mk(t.Context())
			defer cancel()
			start := time.Now()
			_, err := srv.client(t).Movies.Profile(ctx)
			elapsed := time.Since(start)
			require.Error(t, err)
			if name == "cancel" {
				assert.ErrorIs(t, err, context.Canceled)
			} else {
				assert.ErrorIs(t, err, context.DeadlineExceeded)
			}
			assert.NotErrorIs(t, err, mediaauth.ErrNetwork)
			assert.Less(t, elapsed, time.Second, "returns promptly, not after Retry-After")
			assert.Equal(t, 1, srv.count(), "no request after the cancel")
		})
	}
}

// TestPOSTRetriedWhenConnectionRefused checks that a POST whose connection
// was refused, so that it never left, is retried.
func TestPOSTRetriedWhenConnectionRefused(t *testing.T) {
	t.Parallel()
	srv := newScriptServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		answer(w, http.StatusOK, unitTokenJSON)
	})
	refused := mediaauth.ClosedAddr(t)
	var dials atomic.Int32
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 1 {
			addr = refused // the first attempt finds nobody listening
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	defer tr.CloseIdleConnections()
	var logs bytes.Buffer
	c := srv.client(t, fastRetry, mediaauth.WithHTTPClient(&http.Client{Transport: tr}),
		mediaauth.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	tok, err := c.Movies.Login(t.Context(), "u", "p")
	require.NoError(t, err)
	assert.Equal(t, "tok-abc", tok.AccessToken)
	assert.Equal(t, int32(2), dials.Load())
	assert.Equal(t, 1, srv.count())
	assert.Contains(t, logs.String(), "mediaauth: retrying")
	assert.Contains(t, logs.String(), "attempt=2")

	// Always refused: every attempt is made, then ErrNetwork.
	c2, err := mediaauth.New(mediaauth.WithMoviesBaseURL("http://"+refused), fastRetry)
	require.NoError(t, err)
	start := time.Now()
	_, err = c2.Movies.Register(t.Context(), mediaauth.RegisterRequest{Username: "u", Password: "p", Email: "e@x"})
	require.ErrorIs(t, err, mediaauth.ErrNetwork)
	assert.Contains(t, err.Error(), "connection refused")
	assert.Less(t, time.Since(start), time.Second)
}

// TestRetryBodyResent checks that a retried call sends the same body again.
func TestRetryBodyResent(t *testing.T) {
	t.Parallel()
	var (
		mu     sync.Mutex
		bodies []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		n := len(bodies)
		mu.Unlock()
		if n < 3 {
			answer(w, http.StatusServiceUnavailable, errBody)
			return
		}
		answer(w, http.StatusOK, unitUserJSON)
	}))
	defer srv.Close()
	c, err := mediaauth.New(mediaauth.WithMoviesBaseURL(srv.URL), mediaauth.WithCredentials(mediaauth.Token{AccessToken: "t"}), fastRetry)
	require.NoError(t, err)
	_, err = c.Movies.UpdateProfile(t.Context(), mediaauth.ProfileUpdate{Name: mediaauth.String("Ann")})
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, bodies, 3)
	for _, b := range bodies {
		assert.JSONEq(t, `{"name":"Ann"}`, b)
	}
	assert.False(t, strings.Contains(bodies[2], "bio"))
}
