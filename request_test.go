package mediaauth_test

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// TestResendOnlyWhenHarmless answers every operation with a 500, a 502
// HTML page and a dropped connection, and counts what the server received:
// calls that must not be repeated arrive once, the others 1+retries times.
func TestResendOnlyWhenHarmless(t *testing.T) {
	t.Parallel()
	idempotent := map[string]bool{"Profile": true, "UpdateProfile": true, "FetchMoviesAPIKey": true,
		"ValidateTVmazeCredentials": true, "ValidateTMDbCredentials": true, "CreateRequestToken": true,
		"CreateGuestSession": true, "DeleteSession": true, "Do TMDb account": true}
	faults := map[string]func(t *testing.T, w http.ResponseWriter){
		"500":      func(_ *testing.T, w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) },
		"502 html": func(_ *testing.T, w http.ResponseWriter) { w.WriteHeader(http.StatusBadGateway) },
		"drop":     drop,
	}
	for fname, fault := range faults {
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			fault(t, w)
		}))
		t.Cleanup(srv.Close)
		c := boundaryClient(t, srv.URL, mediaauth.WithRetry(2, time.Millisecond, time.Millisecond))
		for _, sc := range everyCall() {
			hits.Store(0)
			require.Error(t, sc.run(t.Context(), c), sc.name)
			want := int32(1)
			if idempotent[sc.name] {
				want = 3
			}
			assert.Equal(t, want, hits.Load(), "%s after %s", sc.name, fname)
		}
	}
}

// TestInvalidArgumentsSendNothing: every check made before sending wraps
// ErrInvalidArgument, and nothing reaches the server.
func TestInvalidArgumentsSendNothing(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	c := boundaryClient(t, srv.URL)
	bad := "\xff\xfe"
	calls := map[string]func() error{
		"login non-UTF-8 password":  func() error { _, err := c.Movies.Login(t.Context(), "u", "p"+bad); return err },
		"form login non-UTF-8 user": func() error { _, err := c.Movies.FormLogin(t.Context(), "u"+bad, "p"); return err },
		"register non-UTF-8 name": func() error {
			_, err := c.Movies.Register(t.Context(), mediaauth.RegisterRequest{Username: "u", Password: "p", Email: "e@x", Name: bad})
			return err
		},
		"profile update non-UTF-8": func() error {
			_, err := c.Movies.UpdateProfile(t.Context(), mediaauth.ProfileUpdate{Bio: mediaauth.String(bad)})
			return err
		},
		"empty verification token": func() error { return c.Movies.VerifyEmail(t.Context(), "") },
		"empty poll token":         func() error { _, err := c.TVmaze.PollAuth(t.Context(), mediaauth.AuthRequest{Token: ""}); return err },
		"TMDb login non-UTF-8": func() error {
			_, err := c.TMDb.ValidateRequestTokenWithLogin(t.Context(), "u", bad, mediaauth.RequestToken{Token: "t"})
			return err
		},
		"movies token with CR LF": func() error {
			_, err := c.With(mediaauth.Token{AccessToken: "tok\r\nX-Evil: 1"}).Movies.Profile(t.Context())
			return err
		},
		"TMDb read token with NUL": func() error {
			return c.With(mediaauth.TMDbReadAccessToken("tok\x00")).TMDb.Validate(t.Context())
		},
		"TVmaze key with control byte": func() error {
			_, err := c.With(mediaauth.TVmazeCredentials{Username: "u", APIKey: "k\x7f"}).TVmaze.Validate(t.Context())
			return err
		},
		"nil credential": func() error { _, err := c.With((*mediaauth.Token)(nil)).Movies.Profile(t.Context()); return err },
		"Do with a bad path": func() error {
			return c.TMDb.Do(t.Context(), http.MethodGet, "3/account", nil, nil)
		},
		"Do with a value for out": func() error {
			return c.Movies.Do(t.Context(), http.MethodPost, "/x", nil, struct{ A int }{})
		},
		"Do with a nil pointer for out": func() error {
			return c.Movies.Do(t.Context(), http.MethodGet, "/x", nil, (*struct{})(nil))
		},
		"Do with a control character in the path": func() error {
			return c.Movies.Do(t.Context(), http.MethodGet, "/x\x00y", nil, nil)
		},
		"Do with a CR LF in the path": func() error {
			return c.TVmaze.Do(t.Context(), http.MethodGet, "/x\r\nX-Evil: 1", nil, nil)
		},
		"Do with a space in the method": func() error {
			return c.Movies.Do(t.Context(), "GET /other", "/x", nil, nil)
		},
		"Do with a control character in the method": func() error {
			return c.Movies.Do(t.Context(), "GE\x7fT", "/x", nil, nil)
		},
		"Do with an empty method": func() error { return c.Movies.Do(t.Context(), "", "/x", nil, nil) },
		"Do with a channel as body": func() error {
			return c.Movies.Do(t.Context(), http.MethodPost, "/x", make(chan int), nil)
		},
		"Do with NaN in the body": func() error {
			return c.TMDb.Do(t.Context(), http.MethodPost, "/3/x", map[string]float64{"v": math.NaN()}, nil)
		},
		"Do on a zero client": func() error {
			var zero mediaauth.Client
			return zero.Movies.Do(t.Context(), http.MethodGet, "/x", nil, nil)
		},
		"a typed call on a zero client": func() error {
			var zero mediaauth.Client
			_, err := zero.TMDb.CreateRequestToken(t.Context())
			return err
		},
		"HTTPClient of a zero client": func() error {
			var zero mediaauth.Client
			_, err := zero.TVmaze.HTTPClient().Get(srv.URL + "/v1/x")
			return err
		},
		"CheckResponse with an unknown API": func() error {
			return mediaauth.CheckResponse("imdb", &http.Response{StatusCode: http.StatusNotFound, Body: http.NoBody})
		},
		"CheckResponse with no response": func() error { return mediaauth.CheckResponse(mediaauth.APITMDb, nil) },
	}
	for name, call := range calls {
		err := call()
		require.ErrorIs(t, err, mediaauth.ErrInvalidArgument, name)
		assert.NotErrorIs(t, err, mediaauth.ErrBadRequest, name)
	}
	assert.Zero(t, hits.Load(), "nothing may be sent")

	options := map[string]mediaauth.Option{
		"user agent with LF":           mediaauth.WithUserAgent("ua\nX: y"),
		"token with NUL":               mediaauth.WithCredentials(mediaauth.Token{AccessToken: "a\x00b"}),
		"empty TMDb key":               mediaauth.WithCredentials(mediaauth.TMDbAPIKey("")),
		"a million retries":            mediaauth.WithRetry(1_000_000, time.Millisecond, time.Second),
		"retries without a wait":       mediaauth.WithRetry(3, 0, 0),
		"NaN rate":                     mediaauth.WithRateLimit(mediaauth.APITMDb, rate.Limit(math.NaN()), 1),
		"negative rate":                mediaauth.WithRateLimit(mediaauth.APITMDb, -1, 1),
		"nil limiter":                  mediaauth.WithRateLimiter(mediaauth.APITVmaze, nil),
		"negative timeout":             mediaauth.WithTimeout(-time.Second),
		"rate limiter for unknown API": mediaauth.WithRateLimiter("imdb", nil),
	}
	for name, opt := range options {
		_, err := mediaauth.New(opt)
		require.ErrorIs(t, err, mediaauth.ErrInvalidArgument, name)
	}
}

// hugeBody answers with a 1 GiB body, streamed (no Content-Length) or
// announced, until the client hangs up.
func hugeBody(announce bool) http.HandlerFunc {
	chunk := []byte(strings.Repeat(`{"padding":"`, 1) + strings.Repeat("x", 64<<10))
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if announce {
			w.Header().Set("Content-Length", "1073741824")
		}
		for sent := 0; sent < 1<<30; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
}

// TestHugeBodyMemory: a 1 GiB answer is refused as too large, and costs
// the client less than 2 MiB.
func TestHugeBodyMemory(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector multiplies allocations; the goal is measured without it")
	}
	for _, announce := range []bool{false, true} {
		srv := httptest.NewServer(hugeBody(announce))
		c := boundaryClient(t, srv.URL)
		// Warm up the connection pool. The GC runs first so that the body
		// buffer pool starts empty: the figure is that of a cold call.
		_, err := c.TMDb.CreateRequestToken(t.Context())
		require.ErrorIs(t, err, mediaauth.ErrResponseTooLarge)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&before)
		const calls = 4
		for range calls {
			runtime.GC() // empties the buffer pool: every call is cold
			_, err = c.TMDb.CreateRequestToken(t.Context())
			require.ErrorIs(t, err, mediaauth.ErrResponseTooLarge)
		}
		runtime.ReadMemStats(&after)
		perCall := (after.TotalAlloc - before.TotalAlloc) / calls
		t.Logf("announced=%v: %d bytes allocated per call", announce, perCall)
		assert.Less(t, perCall, uint64(2<<20), "announced=%v", announce)
		srv.Close()
	}
}

// slowBody sends the headers, then one byte every 20 ms, for ever.
func slowBody(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.(http.Flusher).Flush()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
			if _, err := w.Write([]byte(" ")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	}
}

// TestNoBodyNeededReturnsPromptly: calls whose result does not depend on
// the answer's body return success without waiting for a slow one.
func TestNoBodyNeededReturnsPromptly(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(slowBody(http.StatusOK))
	t.Cleanup(srv.Close)
	c := boundaryClient(t, srv.URL)
	for name, call := range map[string]func(ctx context.Context) error{
		"VerifyMoviesEmail":    func(ctx context.Context) error { return c.Movies.VerifyEmail(ctx, bToken) },
		"RequestPasswordReset": func(ctx context.Context) error { return c.Movies.RequestPasswordReset(ctx, "u@example.com") },
		"ConfirmPasswordReset": func(ctx context.Context) error { return c.Movies.ConfirmPasswordReset(ctx, bToken, bPassword) },
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		start := time.Now()
		require.NoError(t, call(ctx), name)
		cancel()
		assert.Less(t, time.Since(start), time.Second, name)
	}
}

// TestPollGraceBound: against an answer that never finishes, a poll
// returns within 50 ms of the caller's deadline with the grace set to 0,
// and within the grace otherwise, the default grace (no option) included.
func TestPollGraceBound(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(slowBody(http.StatusOK))
	t.Cleanup(srv.Close)
	c := boundaryClient(t, srv.URL)
	for _, grace := range []time.Duration{0, 300 * time.Millisecond, mediaauth.DefaultPollAnswerGrace} {
		wait := []mediaauth.WaitOption{mediaauth.WithPollInterval(10 * time.Millisecond)}
		if grace != mediaauth.DefaultPollAnswerGrace {
			wait = append(wait, mediaauth.WithPollAnswerGrace(grace))
		}
		polls := map[string]func(ctx context.Context) error{
			"PollUntilConfirmed": func(ctx context.Context) error {
				_, err := c.TVmaze.PollUntilConfirmed(ctx, mediaauth.AuthRequest{Token: bToken}, wait...)
				return err
			},
		}
		if grace == mediaauth.DefaultPollAnswerGrace {
			polls["PollAuth"] = func(ctx context.Context) error {
				_, err := c.TVmaze.PollAuth(ctx, mediaauth.AuthRequest{Token: bToken})
				return err
			}
		}
		for name, poll := range polls {
			ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
			deadline, _ := ctx.Deadline()
			err := poll(ctx)
			late := time.Since(deadline)
			cancel()
			require.ErrorIs(t, err, context.DeadlineExceeded, name)
			slack := 50 * time.Millisecond // the bound the grace of 0 promises
			if grace > 0 {
				slack = 500 * time.Millisecond // timers and scheduling on a loaded machine, -race included
			}
			assert.Less(t, late, grace+slack, "%s with grace %s returned %s after the deadline", name, grace, late)
		}
	}
}
