package mediaauth_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/mediaauth/mediaauth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Secrets the boundary tests give the client and the calls; none may reach
// another origin or any error or log text.
const (
	bMoviesToken = "movies-bearer-SECRET-0001"
	bTVmazeKey   = "tvmaze-apikey-SECRET-0002"
	bTMDbKey     = "tmdb-apikey-SECRET-0003"
	bTMDbRead    = "tmdb-readtoken-SECRET-0004"
	bSession     = "tmdb-session-SECRET-0005"
	bPassword    = "password-SECRET-0006"
	bToken       = "single-use-SECRET-0007"
)

// boundarySecrets lists every secret of the boundary tests.
var boundarySecrets = []string{bMoviesToken, bTVmazeKey, bTMDbKey, bTMDbRead, bSession, bPassword, bToken}

// sdkCall is one SDK call as the boundary tests make it.
type sdkCall struct {
	name string
	run  func(ctx context.Context, c *mediaauth.Client) error
}

// everyCall makes every wrapped operation once, each carrying a secret in
// its body, its query or its credentials.
func everyCall() []sdkCall {
	e := func(err error) error { return err }
	return []sdkCall{
		{"Register", func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.Movies.Register(ctx, mediaauth.RegisterRequest{Username: "u", Password: bPassword, Email: "u@example.com"})
			return err
		}},
		{"VerifyMoviesEmail", func(ctx context.Context, c *mediaauth.Client) error { return e(c.Movies.VerifyEmail(ctx, bToken)) }},
		{"Login", func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.Movies.Login(ctx, "u", bPassword)
			return err
		}},
		{"FormLogin", func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.Movies.FormLogin(ctx, "u", bPassword)
			return err
		}},
		{"Profile", func(ctx context.Context, c *mediaauth.Client) error { _, err := c.Movies.Profile(ctx); return err }},
		{"UpdateProfile", func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.Movies.UpdateProfile(ctx, mediaauth.ProfileUpdate{Bio: mediaauth.String("b")})
			return err
		}},
		{"RequestPasswordReset", func(ctx context.Context, c *mediaauth.Client) error {
			return c.Movies.RequestPasswordReset(ctx, "u@example.com")
		}},
		{"ConfirmPasswordReset", func(ctx context.Context, c *mediaauth.Client) error {
			return c.Movies.ConfirmPasswordReset(ctx, bToken, bPassword)
		}},
		{"FetchMoviesAPIKey", func(ctx context.Context, c *mediaauth.Client) error { _, err := c.Movies.FetchAPIKey(ctx); return err }},
		{"GenerateMoviesAPIKey", func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.Movies.GenerateAPIKey(ctx)
			return err
		}},
		{"StartAuth", func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.TVmaze.StartAuth(ctx, "u@example.com")
			return err
		}},
		{"PollAuth", func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.TVmaze.PollAuth(ctx, mediaauth.AuthRequest{Token: bToken})
			return err
		}},
		{"ValidateTVmazeCredentials", func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.TVmaze.Validate(ctx)
			return err
		}},
		{"ValidateTMDbCredentials", func(ctx context.Context, c *mediaauth.Client) error { return c.TMDb.Validate(ctx) }},
		{"CreateRequestToken", func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.TMDb.CreateRequestToken(ctx)
			return err
		}},
		{"ValidateRequestTokenWithLogin", func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.TMDb.ValidateRequestTokenWithLogin(ctx, "u", bPassword, mediaauth.RequestToken{Token: bToken})
			return err
		}},
		{"CreateSession", func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.TMDb.CreateSession(ctx, mediaauth.RequestToken{Token: bToken})
			return err
		}},
		{"CreateSessionFromV4Token", func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.TMDb.CreateSessionFromV4Token(ctx, mediaauth.TMDbAccessToken{AccessToken: bToken})
			return err
		}},
		{"CreateGuestSession", func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.TMDb.CreateGuestSession(ctx)
			return err
		}},
		{"DeleteSession", func(ctx context.Context, c *mediaauth.Client) error {
			return c.TMDb.With(mediaauth.Session{ID: bSession}).DeleteSession(ctx)
		}},
		{"Do TMDb account", func(ctx context.Context, c *mediaauth.Client) error {
			return c.TMDb.Do(ctx, http.MethodGet, "/3/account", nil, &struct{}{})
		}},
	}
}

// sink is a server that counts what reaches it and remembers every byte.
type sink struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newSink(t *testing.T) *sink {
	s := &sink{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.seen = append(s.seen, r.Method+" "+r.URL.String()+" "+r.Header.Get("Authorization")+" "+string(body))
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

// boundaryClient is a client for all three APIs at base, holding every
// credential of the boundary tests.
func boundaryClient(t *testing.T, base string, opts ...mediaauth.Option) *mediaauth.Client {
	t.Helper()
	c, err := mediaauth.New(append([]mediaauth.Option{
		mediaauth.WithMoviesBaseURL(base),
		mediaauth.WithTVmazeBaseURL(base + "/v1"),
		mediaauth.WithTMDbBaseURL(base),
		mediaauth.WithCredentials(
			mediaauth.Token{AccessToken: bMoviesToken},
			mediaauth.TVmazeCredentials{Username: "alice", APIKey: bTVmazeKey},
			mediaauth.TMDbAPIKey(bTMDbKey),
			mediaauth.Session{ID: bSession},
		),
		mediaauth.WithRetry(1, 1e6, 1e6),
	}, opts...)...)
	require.NoError(t, err)
	return c
}

// TestOriginLockRedirects sends every operation to a server that redirects
// it elsewhere: to another host's port, and to the same host on another
// port (where net/http would copy the Authorization header). Nothing may
// arrive there: no body, no credential, no request at all.
func TestOriginLockRedirects(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound} {
		for _, targetHost := range []string{"127.0.0.1", "localhost"} {
			other := newSink(t)
			target := strings.Replace(other.URL, "127.0.0.1", targetHost, 1)
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target+r.URL.RequestURI(), status)
			}))
			t.Cleanup(api.Close)
			for _, own := range []bool{false, true} {
				var opts []mediaauth.Option
				if own {
					// The caller's own client follows everything by default.
					opts = append(opts, mediaauth.WithHTTPClient(&http.Client{}))
				}
				c := boundaryClient(t, api.URL, opts...)
				for _, sc := range everyCall() {
					err := sc.run(t.Context(), c)
					require.ErrorIs(t, err, mediaauth.ErrRedirect, "%s (%d to %s)", sc.name, status, targetHost)
					assert.NotContains(t, err.Error(), "?", "%s: the target is shown without its query", sc.name)
					for _, secret := range boundarySecrets {
						assert.NotContains(t, err.Error(), secret, sc.name)
					}
				}
			}
			assert.Zero(t, other.count(), "the other origin received %v", other.seen)
		}
	}
}

// TestOriginLockFollowsSameOriginGET checks that a body-less request may
// follow a redirect that stays on its origin, and that one with a body may
// not.
func TestOriginLockFollowsSameOriginGET(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		switch r.URL.Path {
		case "/user/profile", "/login":
			http.Redirect(w, r, "/moved"+r.URL.Path, http.StatusTemporaryRedirect)
		case "/moved/user/profile":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"id":"1","username":"u","email":"u@example.com","email_verified":true}`)
		default:
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	t.Cleanup(srv.Close)
	c := boundaryClient(t, srv.URL)
	u, err := c.Movies.Profile(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "u", u.Username)
	_, err = c.Movies.Login(t.Context(), "u", bPassword)
	require.ErrorIs(t, err, mediaauth.ErrRedirect)
	var apiErr *mediaauth.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusTemporaryRedirect, apiErr.StatusCode)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{
		"GET /user/profile Bearer " + bMoviesToken,
		"GET /moved/user/profile Bearer " + bMoviesToken,
		"POST /login ",
	}, paths)
}

// TestRedirectRefererHoldsNoCredential: a same-origin redirect of a TMDb
// GET is followed with the credentials again, and with a Referer that is
// the first URL without them, through Do and through HTTPClient.
func TestRedirectRefererHoldsNoCredential(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.RequestURI()+" referer="+r.Header.Get("Referer"))
		mu.Unlock()
		if r.URL.Path == "/3/account" {
			http.Redirect(w, r, "/3/moved", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":1}`)
	}))
	t.Cleanup(srv.Close)
	c := boundaryClient(t, srv.URL)
	var out struct{ ID int }
	require.NoError(t, c.TMDb.Do(t.Context(), http.MethodGet, "/3/account?b=2&a=1", nil, &out))
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/3/account?b=2&a=1", nil)
	require.NoError(t, err)
	resp, err := c.TMDb.HTTPClient().Do(req)
	require.NoError(t, err)
	require.NoError(t, mediaauth.CheckResponse(mediaauth.APITMDb, resp))
	_ = resp.Body.Close()
	creds := "api_key=" + bTMDbKey + "&session_id=" + bSession
	first := "/3/account?b=2&a=1&" + creds + " referer="
	second := "/3/moved?" + creds + " referer=" + srv.URL + "/3/account?b=2&a=1"
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{first, second, first, second}, got)
}

// TestHTTPClientOriginLock checks the open pipeline: a request for another
// origin is refused before it is sent, and a redirect to another origin is
// returned, not followed.
func TestHTTPClientOriginLock(t *testing.T) {
	t.Parallel()
	other := newSink(t)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal?"+r.URL.RawQuery, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(api.Close)
	c := boundaryClient(t, api.URL)
	for _, a := range []mediaauth.API{mediaauth.APIMovies, mediaauth.APITVmaze, mediaauth.APITMDb} {
		hc := handleOf(c, a).HTTPClient()
		_, err := hc.Get(other.URL + "/3/account")
		require.ErrorIs(t, err, mediaauth.ErrOriginMismatch, a)
		for _, secret := range boundarySecrets {
			assert.NotContains(t, err.Error(), secret)
		}

		resp, err := hc.Get(handleOf(c, a).BaseURL() + "/x")
		require.NoError(t, err, a)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusTemporaryRedirect, resp.StatusCode)
		require.ErrorIs(t, mediaauth.CheckResponse(a, resp), mediaauth.ErrRedirect)
	}
	assert.Zero(t, other.count(), "the other origin received %v", other.seen)
}

// rawAnswerServer is a loopback server that reads each request's header
// and then writes head, then body repeated count times, from buffers made
// once: it allocates nothing per byte, so that a test can measure what
// the client allocates.
func rawAnswerServer(t *testing.T, head, body []byte, count int) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				for {
					line, err := br.ReadSlice('\n')
					if err != nil || len(line) <= 2 {
						break
					}
				}
				if _, err := conn.Write(head); err != nil {
					return
				}
				for range count {
					if _, err := conn.Write(body); err != nil {
						return
					}
				}
			}()
		}
	}()
	return "http://" + l.Addr().String()
}

// TestHostileHeadersMemory: a 64 MiB header section, and 10,000 "103
// Early Hints" answers before the final one, each cost the client under 2
// MiB and end in a *NetworkError, never a hang.
func TestHostileHeadersMemory(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector multiplies allocations; the goal is measured without it")
	}
	pad := []byte("X-Pad: " + strings.Repeat("a", 1016) + "\r\n") // 1 KiB a line
	hint := []byte("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")
	for name, srv := range map[string]struct {
		head, body []byte
		count      int
	}{
		"64 MiB header section": {[]byte("HTTP/1.1 200 OK\r\n"), pad, 64 << 10},
		"10,000 1xx answers":    {nil, hint, 10_000},
	} {
		base := rawAnswerServer(t, srv.head, srv.body, srv.count)
		c, err := mediaauth.New(mediaauth.WithTMDbBaseURL(base), mediaauth.WithCredentials(mediaauth.TMDbAPIKey("key-0123")),
			mediaauth.WithRetry(0, 0, 0))
		require.NoError(t, err)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		const calls = 3
		for range calls {
			_, err = c.TMDb.CreateRequestToken(t.Context())
			require.ErrorIs(t, err, mediaauth.ErrNetwork, name)
		}
		runtime.ReadMemStats(&after)
		perCall := (after.TotalAlloc - before.TotalAlloc) / calls
		t.Logf("%s: %d bytes allocated per call: %v", name, perCall, err)
		assert.Less(t, perCall, uint64(2<<20), name)
	}
}

// TestSessionIDInThePathIsScrubbed: TMDb puts a guest session id in some
// paths (/3/guest_session/{id}/rated/movies). Through Do and HTTPClient,
// against a closed port and a 404, the id is in no error, %+v, log line
// or observed event.
func TestSessionIDInThePathIsScrubbed(t *testing.T) {
	t.Parallel()
	const gid = "guest-session-SECRET-0007"
	notFound := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"status_code":34,"status_message":"not found"}`, http.StatusNotFound)
	}))
	t.Cleanup(notFound.Close)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + l.Addr().String()
	require.NoError(t, l.Close())
	for name, base := range map[string]string{"closed port": closed, "404": notFound.URL} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var logs strings.Builder
			var mu sync.Mutex
			logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
			events := &observerLog{}
			c, err := mediaauth.New(mediaauth.WithTMDbBaseURL(base), mediaauth.WithLogger(logger), mediaauth.WithObserver(events),
				mediaauth.WithRetry(0, 0, 0), mediaauth.WithCredentials(mediaauth.TMDbAPIKey(bTMDbKey)))
			require.NoError(t, err)
			tmdb := c.TMDb.With(mediaauth.GuestSession{ID: gid})
			path := "/3/guest_session/" + gid + "/rated/movies"
			var texts []string
			err = tmdb.Do(t.Context(), http.MethodGet, path, nil, nil)
			require.Error(t, err)
			texts = append(texts, err.Error(), fmt.Sprintf("%+v", err))
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, tmdb.BaseURL()+path, nil)
			require.NoError(t, err)
			if resp, err := tmdb.HTTPClient().Do(req); err != nil {
				// net/http's *url.Error quotes the URL the caller wrote;
				// what the SDK adds inside it is checked.
				var ne *mediaauth.NetworkError
				require.ErrorAs(t, err, &ne)
				texts = append(texts, ne.Error(), fmt.Sprintf("%+v", ne))
			} else {
				err := mediaauth.CheckResponse(mediaauth.APITMDb, resp)
				require.Error(t, err)
				texts = append(texts, err.Error(), fmt.Sprintf("%+v", err))
			}
			for _, ev := range events.all() {
				texts = append(texts, ev.URL)
				if ev.Err != nil {
					texts = append(texts, ev.Err.Error())
				}
			}
			mu.Lock()
			texts = append(texts, logs.String())
			mu.Unlock()
			for _, text := range texts {
				assert.NotContains(t, text, gid)
				assert.NotContains(t, text, bTMDbKey)
			}
		})
	}
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
