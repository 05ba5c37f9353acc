// Package mediaauthtest is an in-memory fake of the Movies API, TVmaze's
// user-auth API and TMDb's v3 and v4 authentication, served on a loopback
// httptest.Server. It keeps real state and enforces the services' rules, so
// that examples, integration tests and users' own tests can run every flow
// of package mediaauth without network or credentials.
//
//	srv := mediaauthtest.NewServer()
//	defer srv.Close()
//	client, err := srv.Client()
//
// Tests act as the services' users through one handle per API, like the
// client's: [Server.Movies] ([Movies.AddUser], [Movies.VerificationToken],
// ...), [Server.TVmaze] ([TVmaze.AddUser], [TVmaze.Confirm], ...) and
// [Server.TMDb] ([TMDb.AddUser], [TMDb.Approve], [TMDb.Deny], ...). Every
// server starts with one demo account per API ([DemoMoviesUsername],
// [DemoTVmazeEmail], [DemoTMDbUsername]) and accepts the TMDb application
// credentials [DemoTMDbAPIKey] and [DemoTMDbReadAccessToken]; [WithState]
// adds the accounts and keys a test suite needs, and [Server.Reset] brings
// that starting state back. A [Clock] given to [WithClock] moves its time,
// and so do [Server.AdvanceClock] and [Server.SetClock].
//
// The same hooks are served over HTTP under [ControlPrefix] (/_fake/), for
// tests written in any language against "mediaauth fake": JSON in and out,
// described by the OpenAPI document of [ControlOpenAPI], served at
// [ControlOpenAPIPath], which lists its operations; see
// [WithControlToken] and [WithoutControlAPI] to guard it or turn it off.
package mediaauthtest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mathrand "math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mediaauth/mediaauth"
	"golang.org/x/time/rate"
)

// Path prefixes of the three APIs on the fake server.
const (
	MoviesPrefix = ""
	TVmazePrefix = "/v1"
	TMDbPrefix   = "/3"
)

// Server is the fake. It holds what concerns the whole server (its
// [Server.Client], the request log, faults, connections, Close) and one
// handle per API, like the client: [Server.Movies], [Server.TVmaze] and
// [Server.TMDb] hold the hooks of their API. Its methods are safe for
// concurrent use.
type Server struct {
	// URL is the server's root, e.g. "http://127.0.0.1:41234".
	URL string

	// Movies holds the hooks of the fake Movies API.
	Movies *Movies
	// TVmaze holds the hooks of the fake TVmaze API.
	TVmaze *TVmaze
	// TMDb holds the hooks of the fake TMDb API, v3 and v4.
	TMDb *TMDb

	ts  *httptest.Server
	cfg config

	mu       sync.Mutex
	movies   moviesData
	tvmaze   tvmazeData
	tmdb     tmdbData
	faults   []*faultRule
	requests []Request
	conns    int

	// clockOffset moves the clock of WithClock, in nanoseconds (clock.go).
	clockOffset atomic.Int64
	// start is the State of WithState, checked and with its passwords
	// hashed, that every Reset adds again (state.go).
	start *preparedState
	// control serves the control API under /_fake/ (control.go), and
	// openAPI is its OpenAPI document.
	control http.Handler
	openAPI []byte

	// rnd, when WithSeed was given, makes the tokens, keys and ids of the
	// TVmaze and TMDb fakes; nil means crypto/rand.
	rndMu sync.Mutex
	rnd   *mathrand.ChaCha8
}

// Request is one request the server received, for tests to inspect.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is the URL path, without query.
	Path string
	// At is when the server received it, by the server's clock.
	At time.Time
	// Status is the status the server answered (0 for a dropped connection).
	Status int
	// Header is a copy of the request headers.
	Header http.Header
}

// String describes the request with its credentials redacted: the values
// of Authorization and Cookie headers never appear. Read Header for them.
func (r Request) String() string {
	names := make([]string, 0, len(r.Header))
	for name := range r.Header {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "mediaauthtest.Request{%s %s status:%d at:%s header:{", r.Method, r.Path, r.Status, r.At.UTC().Format(time.RFC3339Nano))
	for i, name := range names {
		if i > 0 {
			b.WriteByte(' ')
		}
		value := strings.Join(r.Header[name], ",")
		switch http.CanonicalHeaderKey(name) {
		case "Authorization", "Cookie", "Proxy-Authorization":
			value = mark(value)
		}
		fmt.Fprintf(&b, "%s:%q", name, value)
	}
	b.WriteString("}}")
	return b.String()
}

// Format prints the request like String for every verb.
func (r Request) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }

// LogValue keeps credentials out of slog output.
func (r Request) LogValue() slog.Value { return slog.StringValue(r.String()) }

// config holds what the options say.
type config struct {
	now               func() time.Time
	moviesTokenTTL    time.Duration
	tvmazeMinInterval time.Duration
	tvmazeStartGap    time.Duration
	tvmazeAutoConfirm time.Duration
	tvmazeRequestTTL  time.Duration
	tmdbTokenTTL      time.Duration
	tmdbV4TokenTTL    time.Duration
	tmdbGuestTTL      time.Duration
	tmdbAutoApprove   bool
	listener          net.Listener
	seeded            bool
	seed              int64
	state             *State // the starting state of WithState
	controlToken      string
	controlOff        bool
}

// Option configures NewServer.
type Option func(*config)

// WithClock replaces the server's clock (time.Now) for expiry rules.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithMoviesTokenTTL sets how long Movies API access tokens live (default 1 hour).
func WithMoviesTokenTTL(d time.Duration) Option { return func(c *config) { c.moviesTokenTTL = d } }

// WithTVmazeMinPollInterval sets the minimum gap between two polls of one
// TVmaze auth request; a faster poll gets 429 (default 10 s, as TVmaze).
func WithTVmazeMinPollInterval(d time.Duration) Option {
	return func(c *config) { c.tvmazeMinInterval = d }
}

// WithTVmazeStartInterval sets the minimum gap between two auth starts for
// one email address; a faster start gets 429 (default 1 s).
func WithTVmazeStartInterval(d time.Duration) Option {
	return func(c *config) { c.tvmazeStartGap = d }
}

// WithTVmazeAutoConfirm makes every TVmaze auth request confirm itself d
// after it started (default off: tests call [TVmaze.Confirm]).
func WithTVmazeAutoConfirm(d time.Duration) Option {
	return func(c *config) { c.tvmazeAutoConfirm = d }
}

// WithTVmazeRequestTTL sets how long a TVmaze auth request lives (default 1 hour).
func WithTVmazeRequestTTL(d time.Duration) Option {
	return func(c *config) { c.tvmazeRequestTTL = d }
}

// WithTMDbTokenTTL sets how long TMDb request tokens live (default 60 minutes).
func WithTMDbTokenTTL(d time.Duration) Option { return func(c *config) { c.tmdbTokenTTL = d } }

// WithTMDbGuestTTL sets how long an unused TMDb guest session lives (default 24 hours).
func WithTMDbGuestTTL(d time.Duration) Option { return func(c *config) { c.tmdbGuestTTL = d } }

// WithTMDbAutoApprove makes every new TMDb request token, v3 and v4,
// approved at once by the demo user, as if they clicked Approve straight
// away (default off).
func WithTMDbAutoApprove() Option { return func(c *config) { c.tmdbAutoApprove = true } }

// WithListener makes the server accept connections on l instead of a new
// loopback port, for a fake that runs at an address of the caller's choice
// (the mediaauth command's "fake", say). The server owns l from then on:
// Close closes it. A nil l is ignored.
func WithListener(l net.Listener) Option {
	return func(c *config) {
		if l != nil {
			c.listener = l
		}
	}
}

// WithSeed makes the tokens, API keys, ids and session ids the fake hands
// out, and the key that signs Movies access tokens, come from a ChaCha8
// generator seeded with seed: two servers given the same seed and the same
// requests in the same order hand out the same values. Without it they
// come from crypto/rand. Values that depend on time (the times inside a
// Movies access token) still differ from one run to the next.
func WithSeed(seed int64) Option {
	return func(c *config) { c.seeded, c.seed = true, seed }
}

// NewServer starts the fake on a loopback port (or on the listener of
// WithListener). Call Close when done.
func NewServer(opts ...Option) *Server {
	cfg := config{
		now:               time.Now,
		moviesTokenTTL:    time.Hour,
		tvmazeMinInterval: 10 * time.Second,
		tvmazeStartGap:    time.Second,
		tvmazeRequestTTL:  time.Hour,
		tmdbTokenTTL:      60 * time.Minute,
		tmdbV4TokenTTL:    15 * time.Minute,
		tmdbGuestTTL:      24 * time.Hour,
	}
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	s := &Server{cfg: cfg}
	s.Movies, s.TVmaze, s.TMDb = &Movies{s}, &TVmaze{s}, &TMDb{s}
	if cfg.seeded {
		s.rnd = mathrand.NewChaCha8(chachaSeed(cfg.seed))
	}
	if cfg.state != nil {
		start, err := cfg.state.prepare()
		if err != nil {
			panic("mediaauthtest: WithState: " + err.Error())
		}
		s.start = start
	}
	s.initState()

	mux := http.NewServeMux()
	s.routeMovies(mux)
	s.routeTVmaze(mux)
	s.routeTMDb(mux)
	s.routePages(mux)
	s.control = s.controlHandler()

	s.ts = httptest.NewUnstartedServer(s.middleware(mux))
	if cfg.listener != nil {
		_ = s.ts.Listener.Close()
		s.ts.Listener = cfg.listener
	}
	// A standalone fake faces clients that are not tests: bound how long
	// one may take to send its headers.
	s.ts.Config.ReadHeaderTimeout = 30 * time.Second
	s.ts.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
		}
	}
	s.ts.Start()
	s.URL = s.ts.URL
	return s
}

// Close shuts the server down and closes its connections.
func (s *Server) Close() { s.ts.Close() }

// HTTPClient returns the server's own client, which trusts the server.
func (s *Server) HTTPClient() *http.Client { return s.ts.Client() }

// Client returns a mediaauth.Client wired to all three fake APIs and to
// the fake's TMDb approval pages ([TMDb.SiteURL]), with the fake's TMDb API
// key [DemoTMDbAPIKey], no retry waits and no client-side rate limits; opts
// are applied after those and may override them.
func (s *Server) Client(opts ...mediaauth.Option) (*mediaauth.Client, error) {
	base := []mediaauth.Option{
		mediaauth.WithMoviesBaseURL(s.Movies.URL()),
		mediaauth.WithTVmazeBaseURL(s.TVmaze.URL()),
		mediaauth.WithTMDbBaseURL(s.TMDb.URL()),
		mediaauth.WithTMDbSiteURL(s.TMDb.SiteURL()),
		mediaauth.WithCredentials(mediaauth.TMDbAPIKey(DemoTMDbAPIKey)),
		mediaauth.WithRetry(mediaauth.DefaultMaxRetries, time.Millisecond, 50*time.Millisecond),
		mediaauth.WithRateLimit(mediaauth.APIMovies, rate.Inf, 0),
		mediaauth.WithRateLimit(mediaauth.APITVmaze, rate.Inf, 0),
		mediaauth.WithRateLimit(mediaauth.APITMDb, rate.Inf, 0),
	}
	return mediaauth.New(append(base, opts...)...)
}

// Requests returns a copy of every request received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

// RequestCount counts the requests received for method and path ("" method
// matches any).
func (s *Server) RequestCount(method, path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.Path == path && (method == "" || r.Method == method) {
			n++
		}
	}
	return n
}

// Connections counts the TCP connections clients opened to the server.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// now reads the server's clock ([Server.Now]).
func (s *Server) now() time.Time { return s.Now() }

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the first status written.
func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200 before the first write.
func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// middleware records each request and applies injected faults. The
// control API under /_fake/ is neither recorded nor faulted.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isControlPath(r.URL.Path) {
			s.control.ServeHTTP(w, r)
			return
		}
		rec := Request{Method: r.Method, Path: r.URL.Path, At: s.now(), Header: r.Header.Clone()}
		sr := &statusRecorder{ResponseWriter: w}
		defer func() {
			rec.Status = sr.status
			s.mu.Lock()
			s.requests = append(s.requests, rec)
			s.mu.Unlock()
		}()
		if f := s.takeFault(r.Method, r.URL.Path); f != nil {
			if f.apply(sr, r) {
				return
			}
			if f.Drop {
				// The real handler acts, then its answer is lost.
				next.ServeHTTP(httptest.NewRecorder(), r)
				dropConnection(sr)
				return
			}
		}
		next.ServeHTTP(sr, r)
	})
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// maxRequestBody caps the request bodies the fake reads.
const maxRequestBody = 64 << 10

// Why readJSONObject refused a body; handlers turn them into their API's
// own error answers.
var (
	errNotJSONType    = errors.New("content type is not application/json")
	errBodyUnreadable = errors.New("request body too large or unreadable")
	errNotObject      = errors.New("body is not a JSON object")
	errTrailingData   = errors.New("data after the JSON object")
)

// readJSONObject reads a request body that must be a single JSON object,
// sent as application/json and at most maxRequestBody bytes, into v. With
// strict, fields v does not know are refused too. A decode error is
// returned as encoding/json gives it.
func readJSONObject(w http.ResponseWriter, r *http.Request, v any, strict bool) error {
	if !hasMediaType(r, "application/json") {
		return errNotJSONType
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		return errBodyUnreadable
	}
	return decodeJSONObject(data, v, strict)
}

// decodeJSONObject decodes data, which must be a single JSON object, into
// v; with strict, fields v does not know are refused too.
func decodeJSONObject(data []byte, v any, strict bool) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return errNotObject
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errTrailingData
	}
	return nil
}

// hasMediaType reports whether the request's Content-Type is want.
func hasMediaType(r *http.Request, want string) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == want
}

// randomHex returns n random bytes as hex, for the tokens, keys and ids the
// fake hands out: from the seeded generator of WithSeed, or from
// crypto/rand.
func (s *Server) randomHex(n int) string {
	if s.rnd == nil {
		return randomHex(n)
	}
	b := make([]byte, n)
	s.rndMu.Lock()
	_, _ = s.rnd.Read(b)
	s.rndMu.Unlock()
	return hex.EncodeToString(b)
}

// randomHex returns n random bytes from crypto/rand as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
