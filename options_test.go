package mediaauth_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/mediaauth/mediaauth"
)

// TestNewRejectsInvalidOptions checks that every invalid option makes New
// return an error (never panic), and that the error shows no secret.
func TestNewRejectsInvalidOptions(t *testing.T) {
	t.Parallel()
	const secret = "secretpw"
	tests := map[string]mediaauth.Option{
		"unparsable URL":           mediaauth.WithMoviesBaseURL("://bad"),
		"bad port with password":   mediaauth.WithMoviesBaseURL("https://u:" + secret + "@host:port"),
		"bad userinfo":             mediaauth.WithMoviesBaseURL("https://u:" + secret + " x@host"),
		"ftp scheme":               mediaauth.WithMoviesBaseURL("ftp://files.example.com"),
		"ftp scheme with password": mediaauth.WithMoviesBaseURL("ftp://u:" + secret + "@files.example.com"),
		"no scheme":                mediaauth.WithMoviesBaseURL("api.example.com"),
		"no host":                  mediaauth.WithMoviesBaseURL("https://"),
		"empty URL":                mediaauth.WithMoviesBaseURL(""),
		"user info":                mediaauth.WithMoviesBaseURL("https://u:" + secret + "@api.example.com"),
		"query":                    mediaauth.WithMoviesBaseURL("https://api.example.com/?api_key=" + secret),
		"fragment":                 mediaauth.WithMoviesBaseURL("https://api.example.com/#frag"),
		"TVmaze ftp":               mediaauth.WithTVmazeBaseURL("ftp://api.tvmaze.com"),
		"TMDb empty":               mediaauth.WithTMDbBaseURL(""),
		"negative retry count":     mediaauth.WithRetry(-1, time.Millisecond, time.Second),
		"maxWait below minWait":    mediaauth.WithRetry(3, time.Second, time.Millisecond),
		"negative minWait":         mediaauth.WithRetry(3, -time.Second, time.Second),
		"negative maxWait":         mediaauth.WithRetry(3, 0, -time.Second),
		"nil http client":          mediaauth.WithHTTPClient(nil),
		"negative rate":            mediaauth.WithRateLimit(mediaauth.APIMovies, -1, 1),
		"zero rate":                mediaauth.WithRateLimit(mediaauth.APITMDb, 0, 0),
		"negative burst":           mediaauth.WithRateLimit(mediaauth.APITMDb, 10, -1),
		"rate without burst":       mediaauth.WithRateLimit(mediaauth.APITMDb, 10, 0),
		"unknown API rate":         mediaauth.WithRateLimit(mediaauth.API("imdb"), 10, 10),
		"negative timeout":         mediaauth.WithTimeout(-time.Second),
		"newline in user agent":    mediaauth.WithUserAgent("app/1\nX-Injected: 1"),
		"CR in user agent":         mediaauth.WithUserAgent("app/1\r"),
		"nil credential":           mediaauth.WithCredentials(nil),
		"nil TVmaze credentials":   mediaauth.WithCredentials((*mediaauth.TVmazeCredentials)(nil)),
		"empty TMDb API key":       mediaauth.WithCredentials(mediaauth.TMDbAPIKey("")),
	}
	for name, opt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var (
				c   *mediaauth.Client
				err error
			)
			require.NotPanics(t, func() { c, err = mediaauth.New(opt) })
			require.Error(t, err)
			assert.Nil(t, c)
			assert.ErrorIs(t, err, mediaauth.ErrInvalidArgument)
			assert.True(t, strings.HasPrefix(err.Error(), "mediaauth: "), "error %q names the package", err)
			assert.NotContains(t, err.Error(), secret)
		})
	}
}

// TestNewAcceptsValidOptions checks the boundary values that are valid.
func TestNewAcceptsValidOptions(t *testing.T) {
	t.Parallel()
	tests := map[string][]mediaauth.Option{
		"no options":                {},
		"nil options are ignored":   {nil, mediaauth.WithMoviesBaseURL("https://api.example.com"), nil},
		"base URL with path":        {mediaauth.WithMoviesBaseURL("https://api.example.com/v2/")},
		"retries off":               {mediaauth.WithRetry(0, 0, 0)},
		"equal waits":               {mediaauth.WithRetry(2, time.Second, time.Second)},
		"rate limit off":            {mediaauth.WithRateLimit(mediaauth.APITVmaze, rate.Inf, 0)},
		"no timeout":                {mediaauth.WithTimeout(0)},
		"empty user agent":          {mediaauth.WithUserAgent("")},
		"nil logger":                {mediaauth.WithLogger(nil)},
		"http to loopback IPv4":     {mediaauth.WithMoviesBaseURL("http://127.0.0.1:8080"), mediaauth.WithCredentials(mediaauth.Token{AccessToken: "t"})},
		"http to loopback IPv6":     {mediaauth.WithMoviesBaseURL("http://[::1]:8080")},
		"http to localhost":         {mediaauth.WithMoviesBaseURL("http://localhost:8080")},
		"http to x.localhost":       {mediaauth.WithTVmazeBaseURL("http://tvmaze.localhost")},
		"insecure http allowed":     {mediaauth.WithMoviesBaseURL("http://api.example.com"), mediaauth.WithInsecureHTTP()},
		"insecure http before base": {mediaauth.WithInsecureHTTP(), mediaauth.WithTMDbBaseURL("http://tmdb.internal")},
	}
	for name, opts := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := mediaauth.New(opts...)
			require.NoError(t, err)
			require.NotNil(t, c)
		})
	}
}

// TestNewRefusesPlainHTTP checks that a plain http base URL to a host that
// is not loopback is ErrInsecureTransport unless WithInsecureHTTP is given.
func TestNewRefusesPlainHTTP(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]mediaauth.Option{
		"Movies":              mediaauth.WithMoviesBaseURL("http://api.example.com"),
		"TVmaze":              mediaauth.WithTVmazeBaseURL("http://api.tvmaze.com/v1"),
		"TMDb":                mediaauth.WithTMDbBaseURL("http://api.themoviedb.org/3"),
		"LAN IP":              mediaauth.WithMoviesBaseURL("http://192.168.1.10:8080"),
		"0.0.0.0":             mediaauth.WithMoviesBaseURL("http://0.0.0.0:8080"),
		"localhost lookalike": mediaauth.WithMoviesBaseURL("http://localhost.example.com"),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := mediaauth.New(opt, mediaauth.WithCredentials(mediaauth.Token{AccessToken: "tok"}), mediaauth.WithCredentials(mediaauth.TMDbAPIKey("key")))
			assert.Nil(t, c)
			require.ErrorIs(t, err, mediaauth.ErrInsecureTransport)
			assert.NotContains(t, err.Error(), "tok")
			assert.NotContains(t, err.Error(), "key")

			c, err = mediaauth.New(opt, mediaauth.WithInsecureHTTP())
			require.NoError(t, err)
			assert.NotNil(t, c)
		})
	}
}

// TestNoMoviesBaseURL checks that Movies calls on a client without
// WithMoviesBaseURL fail clearly without sending anything.
func TestNoMoviesBaseURL(t *testing.T) {
	t.Parallel()
	mt := newCountingTransport()
	c, err := mediaauth.New(mediaauth.WithHTTPClient(&http.Client{Transport: mt}), mediaauth.WithCredentials(mediaauth.Token{AccessToken: "t"}))
	require.NoError(t, err)
	for name, op := range unitOps {
		err := op.call(t.Context(), c)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "no base URL", name)
		assert.Contains(t, err.Error(), "WithMoviesBaseURL", name)
	}
	assert.Zero(t, mt.count(), "no request may be sent")
}

// TestMissingToken checks that the protected Movies calls need a token and
// fail with ErrMissingCredentials before sending anything.
func TestMissingToken(t *testing.T) {
	t.Parallel()
	c, mt := unitClient(t)
	for _, name := range []string{"getProfile", "updateProfile", "getAPIKey", "generateAPIKey"} {
		err := unitOps[name].call(t.Context(), c)
		require.ErrorIs(t, err, mediaauth.ErrMissingCredentials, name)
		assert.Contains(t, err.Error(), "give one to New or to With", name)
		assert.NotErrorIs(t, err, mediaauth.ErrUnauthorized, name)
	}
	// A derived client whose token was taken away is the same.
	_, err := c.With(mediaauth.Token{AccessToken: "x"}).Without(mediaauth.APIMovies).Movies.Profile(t.Context())
	require.ErrorIs(t, err, mediaauth.ErrMissingCredentials)
	// An empty token is not "no token" but an invalid argument, refused
	// before sending too.
	_, err = c.With(mediaauth.Token{AccessToken: "x"}).With(mediaauth.Token{AccessToken: ""}).Movies.Profile(t.Context())
	require.ErrorIs(t, err, mediaauth.ErrInvalidArgument)
	assert.NotErrorIs(t, err, mediaauth.ErrMissingCredentials)
	assert.Zero(t, mt.GetTotalCallCount(), "no request may be sent")
}

// TestWithTokenDerivesClient checks that c.WithToken returns a client that
// sends the new token while c keeps its own.
func TestWithTokenDerivesClient(t *testing.T) {
	t.Parallel()
	parent, mt := unitClient(t, mediaauth.WithCredentials(mediaauth.Token{AccessToken: "parent-token"}))
	var rec recorder
	mt.RegisterResponder(http.MethodGet, unitBase+"/user/profile", rec.respond(http.StatusOK, unitUserJSON))

	child := parent.With(mediaauth.Token{AccessToken: "child-token"})
	grandchild := child.With(mediaauth.Token{AccessToken: "grandchild-token"})
	require.NotSame(t, parent, child)
	for _, c := range []*mediaauth.Client{parent, child, grandchild, parent} {
		_, err := c.Movies.Profile(t.Context())
		require.NoError(t, err)
	}
	var got []string
	for _, r := range rec.requests() {
		got = append(got, r.Header.Get("Authorization"))
	}
	assert.Equal(t, []string{"Bearer parent-token", "Bearer child-token", "Bearer grandchild-token", "Bearer parent-token"}, got)

	// A client built without a token can derive one.
	bare, mt2 := unitClient(t)
	var rec2 recorder
	mt2.RegisterResponder(http.MethodGet, unitBase+"/user/profile", rec2.respond(http.StatusOK, unitUserJSON))
	_, err := bare.With(mediaauth.Token{AccessToken: "late"}).Movies.Profile(t.Context())
	require.NoError(t, err)
	_, err = bare.Movies.Profile(t.Context())
	require.ErrorIs(t, err, mediaauth.ErrMissingCredentials)
	require.Len(t, rec2.requests(), 1)
	assert.Equal(t, "Bearer late", rec2.requests()[0].Header.Get("Authorization"))
}

// TestOptionsApplyInOrder checks that a later option wins.
func TestOptionsApplyInOrder(t *testing.T) {
	t.Parallel()
	c, mt := unitClient(t, mediaauth.WithCredentials(mediaauth.Token{AccessToken: "first"}), mediaauth.WithCredentials(mediaauth.Token{AccessToken: "second"}), mediaauth.WithUserAgent("app/9"))
	var rec recorder
	mt.RegisterResponder(http.MethodGet, unitBase+"/user/profile", rec.respond(http.StatusOK, unitUserJSON))
	_, err := c.Movies.Profile(t.Context())
	require.NoError(t, err)
	require.Len(t, rec.requests(), 1)
	assert.Equal(t, "Bearer second", rec.requests()[0].Header.Get("Authorization"))
	assert.Equal(t, "app/9", rec.requests()[0].Header.Get("User-Agent"))
}

// TestBaseURLWithPath checks that a base URL's path prefixes every call and
// a trailing slash does not double.
func TestBaseURLWithPath(t *testing.T) {
	t.Parallel()
	mt := newCountingTransport()
	c, err := mediaauth.New(mediaauth.WithMoviesBaseURL("https://api.example.com/movies/v1/"), mediaauth.WithHTTPClient(&http.Client{Transport: mt}))
	require.NoError(t, err)
	_, err = c.Movies.Login(t.Context(), "u", "p")
	require.ErrorIs(t, err, mediaauth.ErrNotFound, "the transport answers 404")
	require.Equal(t, 1, mt.count())
	assert.Equal(t, "https://api.example.com/movies/v1/login", mt.last().URL.String())
}

// TestWithRateLimit checks that the Movies limiter spaces calls.
func TestWithRateLimit(t *testing.T) {
	t.Parallel()
	c, mt := unitClient(t, mediaauth.WithRateLimit(mediaauth.APIMovies, rate.Every(40*time.Millisecond), 1))
	var rec recorder
	mt.RegisterResponder(http.MethodPost, unitBase+"/login", rec.respond(http.StatusOK, unitTokenJSON))
	start := time.Now()
	for range 4 {
		_, err := c.Movies.Login(t.Context(), "u", "p")
		require.NoError(t, err)
	}
	assert.GreaterOrEqual(t, time.Since(start), 110*time.Millisecond, "4 calls at 1 per 40ms take at least 120ms")

	// A derived client shares the limiter; a cancelled wait is the context's error.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
	defer cancel()
	_, _ = c.With(mediaauth.Token{AccessToken: "x"}).Movies.Login(ctx, "u", "p")
	_, err := c.With(mediaauth.Token{AccessToken: "x"}).Movies.Login(ctx, "u", "p")
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

// TestWithLogger checks that the debug log names each request without
// secrets, and that nothing is logged without WithLogger.
func TestWithLogger(t *testing.T) {
	t.Parallel()
	const secret = "tok-very-secret"
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, mt := unitClient(t, mediaauth.WithCredentials(mediaauth.Token{AccessToken: secret}), mediaauth.WithLogger(logger))
	var rec recorder
	mt.RegisterResponder(http.MethodGet, unitBase+"/user/profile", rec.respond(http.StatusUnauthorized, `{"error":"invalid_token","message":"bad token"}`))
	mt.RegisterResponder(http.MethodPost, unitBase+"/login", rec.respond(http.StatusOK, `{"access_token":"`+secret+`","token_type":"bearer"}`))
	_, err := c.Movies.Profile(t.Context())
	require.Error(t, err)
	_, err = c.Movies.Login(t.Context(), "user", "password-"+secret)
	require.NoError(t, err)

	out := buf.String()
	assert.NotContains(t, out, secret)
	assert.Contains(t, out, `"path":"/user/profile"`)
	assert.Contains(t, out, `"status":401`)
	assert.Contains(t, out, `"path":"/login"`)
	assert.Equal(t, 2, strings.Count(out, "\n"), "one line per request: %s", out)

	// Above debug level nothing is written.
	buf.Reset()
	quiet := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	c2, mt2 := unitClient(t, mediaauth.WithCredentials(mediaauth.Token{AccessToken: secret}), mediaauth.WithLogger(quiet))
	mt2.RegisterResponder(http.MethodGet, unitBase+"/user/profile", rec.respond(http.StatusOK, unitUserJSON))
	_, err = c2.Movies.Profile(t.Context())
	require.NoError(t, err)
	assert.Empty(t, buf.String())
}

// countingTransport answers every request with 404 and remembers it.
type countingTransport struct {
	reqs chan *http.Request
}

func newCountingTransport() *countingTransport {
	return &countingTransport{reqs: make(chan *http.Request, 100)}
}

func (ct *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ct.reqs <- req
	return &http.Response{StatusCode: http.StatusNotFound, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
}

func (ct *countingTransport) count() int { return len(ct.reqs) }

// last returns the most recent request; call it once.
func (ct *countingTransport) last() *http.Request {
	var r *http.Request
	for len(ct.reqs) > 0 {
		r = <-ct.reqs
	}
	return r
}

// TestEmptyUserAgent checks that WithUserAgent("") sends no User-Agent
// header, and that the default one is sent otherwise.
func TestEmptyUserAgent(t *testing.T) {
	seen := make(chan []string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Values("User-Agent")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"u1","username":"john","email":"j@example.com","email_verified":true}`)
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name string
		opts []mediaauth.Option
		want []string
	}{
		{"default", nil, []string{mediaauth.DefaultUserAgent}},
		{"empty", []mediaauth.Option{mediaauth.WithUserAgent("")}, nil},
	} {
		c, err := mediaauth.New(append([]mediaauth.Option{mediaauth.WithMoviesBaseURL(srv.URL), mediaauth.WithCredentials(mediaauth.Token{AccessToken: "t"})}, tc.opts...)...)
		require.NoError(t, err)
		_, err = c.Movies.Profile(t.Context())
		require.NoError(t, err)
		assert.Equal(t, tc.want, <-seen, tc.name)
	}
}

// TestRedirectDowngradeRefusedWithOwnHTTPClient checks that a redirect from
// https to plain http is refused even through the caller's http.Client,
// whose own redirect policy still applies otherwise: it leaves the origin,
// so the origin lock returns it as an ErrRedirect answer.
func TestRedirectDowngradeRefusedWithOwnHTTPClient(t *testing.T) {
	var plainHits atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plainHits.Add(1)
	}))
	defer plain.Close()
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer secure.Close()

	policyCalls := 0
	hc := secure.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error {
		policyCalls++
		return nil
	}
	c, err := mediaauth.New(mediaauth.WithMoviesBaseURL(secure.URL), mediaauth.WithHTTPClient(hc), mediaauth.WithCredentials(mediaauth.Token{AccessToken: "secret-token"}))
	require.NoError(t, err)
	u, err := c.Movies.Profile(t.Context())
	assert.Nil(t, u)
	require.ErrorIs(t, err, mediaauth.ErrRedirect)
	assert.NotErrorIs(t, err, mediaauth.ErrInsecureTransport, "refused as another origin, before any transport check")
	var apiErr *mediaauth.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusTemporaryRedirect, apiErr.StatusCode)
	assert.Equal(t, "/user/profile", apiErr.Path)
	assert.Contains(t, apiErr.Message, plain.URL+"/user/profile", "the message names the refused target")
	assert.NotContains(t, err.Error(), "secret-token")
	assert.Zero(t, plainHits.Load(), "nothing reached the plain-http server")
	assert.Zero(t, policyCalls, "the downgrade is refused before the caller's policy runs")
}

// TestServerMessageControlCharacters checks that a server's message cannot
// forge lines: control characters become spaces.
func TestServerMessageControlCharacters(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"invalid\nrequest","message":"line one\r\nlevel=ERROR forged\u0000"}`)
	}))
	defer srv.Close()
	c, err := mediaauth.New(mediaauth.WithMoviesBaseURL(srv.URL))
	require.NoError(t, err)
	err = c.Movies.RequestPasswordReset(t.Context(), "j@example.com")
	var apiErr *mediaauth.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "line one  level=ERROR forged", apiErr.Message)
	assert.Equal(t, "invalid request", apiErr.Code)
	assert.NotContains(t, err.Error(), "\n")
}
