package mediaauth

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Client talks to the Movies API, TVmaze and TMDb through one handle per
// API: [Client.Movies], [Client.TVmaze] and [Client.TMDb]. Each handle
// holds its API's typed calls, its credentials, and its engine: the
// *http.Client that every door of that API (the typed calls, Do and
// HTTPClient) sends through. A Client is immutable after [New] and safe
// for concurrent use; [Client.With] and the handles' With derive clients
// and handles that carry other credentials and share the transport and
// rate limiters. The zero Client has nil handles, whose calls fail with
// [ErrInvalidArgument]: use [New].
type Client struct {
	// Movies is the Movies API: register, verify, log in, profile,
	// password reset, API keys.
	Movies *Movies
	// TVmaze is TVmaze's user authentication: the device-style login
	// whose confirmation hands out the user's API key.
	TVmaze *TVmaze
	// TMDb is TMDb's v3 and v4 authentication: request tokens,
	// sessions, guest sessions, v4 access tokens.
	TMDb *TMDb
}

// New builds a [Client]. Without options it talks to TVmaze and TMDb at their
// public addresses with no credentials; the Movies API needs
// [WithMoviesBaseURL]. Invalid options are an error that wraps
// [ErrInvalidArgument] (or [ErrInsecureTransport]).
func New(opts ...Option) (*Client, error) {
	cfg := defaultConfig()
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&cfg); err != nil {
			return nil, scrubError(err, cfg.secrets())
		}
	}
	if err := cfg.check(); err != nil {
		return nil, scrubError(err, cfg.secrets())
	}
	s := &shared{
		logger:       cfg.logger,
		observer:     cfg.observer,
		now:          time.Now,
		tmdbSite:     cfg.tmdbSite,
		hdrAccept:    []string{"application/json"},
		hdrJSON:      []string{"application/json"},
		hdrForm:      []string{"application/x-www-form-urlencoded"},
		hdrUserAgent: []string{cfg.userAgent}, // "" makes net/http send none
	}
	s.bufs.New = func() any { return new(readBuf) }
	s.secrets = cfg.secrets()
	hc := cfg.transportClient()
	s.timeout = hc.Timeout
	c := &Client{
		Movies: &Movies{h: newEngine(APIMovies, &cfg, s, hc).handle(cfg.movies.creds)},
		TVmaze: &TVmaze{h: newEngine(APITVmaze, &cfg, s, hc).handle(cfg.tvmaze.creds)},
		TMDb:   &TMDb{h: newEngine(APITMDb, &cfg, s, hc).handle(cfg.tmdb.creds)},
	}
	return c, nil
}

// With returns a client whose handles carry creds in place of the
// credentials of the same API and role, and share c's transport, rate
// limiters and settings:
//
//	tok, err := client.Movies.Login(ctx, user, password)
//	me, err := client.With(tok).Movies.Profile(ctx)
//
// A Movies [Token], [APIKey] or [RenewingMoviesToken] replaces the Movies
// credential; [TVmazeCredentials] the TVmaze user's; a [TMDbAPIKey] or
// [TMDbReadAccessToken] the TMDb application's (a handle holds one: the
// later replaces the earlier); a [Session], [GuestSession] or
// [TMDbAccessToken] the TMDb user's. An invalid credential (empty, or not
// fit for a header) makes every call of the returned client fail with
// [ErrInvalidArgument] before anything is sent. On a nil c, With returns a
// zero Client, whose calls fail with [ErrInvalidArgument].
func (c *Client) With(creds ...Credential) *Client {
	if c == nil {
		return &Client{}
	}
	return &Client{Movies: c.Movies.With(creds...), TVmaze: c.TVmaze.With(creds...), TMDb: c.TMDb.With(creds...)}
}

// Without returns a client like c without its credentials for apis (all
// of them when none is named), sharing c's transport and rate limiters.
// On a nil c, Without returns a zero Client, whose calls fail with
// [ErrInvalidArgument].
func (c *Client) Without(apis ...API) *Client {
	if c == nil {
		return &Client{}
	}
	if len(apis) == 0 {
		apis = []API{APIMovies, APITVmaze, APITMDb}
	}
	d := *c
	for _, api := range apis {
		switch {
		case api == APIMovies && c.Movies.hp().engine() != nil:
			d.Movies = &Movies{h: c.Movies.h.e.handle(credentialSet{})}
		case api == APITVmaze && c.TVmaze.hp().engine() != nil:
			d.TVmaze = &TVmaze{h: c.TVmaze.h.e.handle(credentialSet{})}
		case api == APITMDb && c.TMDb.hp().engine() != nil:
			d.TMDb = &TMDb{h: c.TMDb.h.e.handle(credentialSet{})}
		}
	}
	return &d
}

// String describes the client without its credentials.
func (c *Client) String() string {
	if c == nil {
		return "mediaauth.Client(nil)"
	}
	var parts []string
	for _, h := range [...]*handle{c.Movies.hp(), c.TVmaze.hp(), c.TMDb.hp()} {
		if h != nil {
			parts = append(parts, h.describe()...)
		}
	}
	return "mediaauth.Client{" + strings.Join(parts, " ") + "}"
}

// Format prints the client like String for every verb, so that no
// credential reaches %v, %+v or %#v output.
func (c *Client) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue keeps credentials out of slog output.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Movies is the Movies API handle of a [Client]: register, verify, log in,
// profile, password reset, API keys. Get it from [Client.Movies]; derive one
// that carries other credentials with [Movies.With]. It is immutable and safe
// for concurrent use; the methods of a nil *Movies return an error wrapping
// [ErrInvalidArgument].
type Movies struct{ h handle }

// hp returns the handle, nil for a nil *Movies.
func (m *Movies) hp() *handle {
	if m == nil {
		return nil
	}
	return &m.h
}

// With returns a handle that carries creds in place of the Movies API
// credentials of the same role (credentials of other APIs are ignored)
// and shares m's engine: transport, rate limiter and settings. An
// invalid credential makes every call of the returned handle fail with
// [ErrInvalidArgument] before anything is sent.
func (m *Movies) With(creds ...Credential) *Movies {
	if m == nil || m.h.e == nil {
		return m
	}
	return &Movies{h: m.h.with(APIMovies, creds)}
}

// HTTPClient returns the handle's engine for the rest of the Movies API: an
// *http.Client whose requests to the API's origin get the handle's credentials
// (the access token or API key, as a Bearer token), wait on the same rate
// limiter as the typed calls, are resent only when that is safe, are logged and
// scrubbed the same way, and follow redirects only within the origin, without a
// body and without a credential in the target. A request to any other origin
// fails with [ErrOriginMismatch] and is never sent. Use [CheckResponse] with
// [APIMovies] to turn its error answers into the typed calls' errors.
func (m *Movies) HTTPClient() *http.Client { return m.hp().httpClient() }

// BaseURL returns the Movies API's base URL ("" when none is configured),
// for building the URLs given to [Movies.HTTPClient].
func (m *Movies) BaseURL() string { return m.hp().baseURL() }

// Do sends one request through the handle's engine, the one the typed calls
// use, and decodes the JSON answer into out. path is relative to the base URL
// and may carry a query string ("/user/profile"). in, when not nil, is sent as
// the JSON body; out, when not nil, must be a non-nil pointer. The request
// carries the handle's credentials (the access token or API key, as a Bearer
// token), waits on the rate limiter, and is resent only when that is safe: GET,
// HEAD, PUT and DELETE on network errors and 5xx, other methods only when the
// server certainly did not act; a path of a typed call is resent as that call
// is. Error answers are *[APIError], exactly as [CheckResponse] makes them, and
// a missing answer is *[NetworkError]. An invalid method, path, in or out fails
// with [ErrInvalidArgument] before anything is sent.
func (m *Movies) Do(ctx context.Context, method, path string, in, out any) error {
	return m.hp().do(ctx, method, path, in, out)
}

// TVmaze is the TVmaze user API handle of a [Client]: the device-style login whose confirmation hands out the user's API key, and its validation. Get it from
// [Client.TVmaze]; derive one that carries other credentials with
// [TVmaze.With]. It is immutable and safe for concurrent use; the methods of
// a nil *TVmaze return an error wrapping [ErrInvalidArgument].
type TVmaze struct{ h handle }

// hp returns the handle, nil for a nil *TVmaze.
func (t *TVmaze) hp() *handle {
	if t == nil {
		return nil
	}
	return &t.h
}

// With returns a handle that carries creds in place of the TVmaze user API
// credentials of the same role (credentials of other APIs are ignored)
// and shares t's engine: transport, rate limiter and settings. An
// invalid credential makes every call of the returned handle fail with
// [ErrInvalidArgument] before anything is sent.
func (t *TVmaze) With(creds ...Credential) *TVmaze {
	if t == nil || t.h.e == nil {
		return t
	}
	return &TVmaze{h: t.h.with(APITVmaze, creds)}
}

// HTTPClient returns the handle's engine for the rest of the TVmaze user API:
// an *http.Client whose requests to the API's origin get the handle's
// credentials (the username and API key, as HTTP Basic, when it has them), wait
// on the same rate limiter as the typed calls, are resent only when that is
// safe, are logged and scrubbed the same way, and follow redirects only within
// the origin, without a body and without a credential in the target. A request
// to any other origin fails with [ErrOriginMismatch] and is never sent. Use
// [CheckResponse] with [APITVmaze] to turn its error answers into the typed
// calls' errors.
func (t *TVmaze) HTTPClient() *http.Client { return t.hp().httpClient() }

// BaseURL returns the TVmaze user API's base URL ("" when none is configured),
// for building the URLs given to [TVmaze.HTTPClient].
func (t *TVmaze) BaseURL() string { return t.hp().baseURL() }

// Do sends one request through the handle's engine, the one the typed calls
// use, and decodes the JSON answer into out. path is relative to the base URL
// and may carry a query string ("/user/follows/shows"). in, when not nil, is
// sent as the JSON body; out, when not nil, must be a non-nil pointer. The
// request carries the handle's credentials (the username and API key, as HTTP
// Basic, when it has them), waits on the rate limiter, and is resent only when
// that is safe: GET, HEAD, PUT and DELETE on network errors and 5xx, other
// methods only when the server certainly did not act; a path of a typed call is
// resent as that call is. Error answers are *[APIError], exactly as
// [CheckResponse] makes them, and a missing answer is *[NetworkError]. An
// invalid method, path, in or out fails with [ErrInvalidArgument] before
// anything is sent.
func (t *TVmaze) Do(ctx context.Context, method, path string, in, out any) error {
	return t.hp().do(ctx, method, path, in, out)
}

// TMDb is the TMDb API handle of a [Client]: request tokens, sessions, guest
// sessions and v4 access tokens. Get it from [Client.TMDb]; derive one that
// carries other credentials with [TMDb.With]. It is immutable and safe for
// concurrent use; the methods of a nil *TMDb return an error wrapping
// [ErrInvalidArgument].
type TMDb struct{ h handle }

// hp returns the handle, nil for a nil *TMDb.
func (t *TMDb) hp() *handle {
	if t == nil {
		return nil
	}
	return &t.h
}

// With returns a handle that carries creds in place of the TMDb API
// credentials of the same role (credentials of other APIs are ignored)
// and shares t's engine: transport, rate limiter and settings. An
// invalid credential makes every call of the returned handle fail with
// [ErrInvalidArgument] before anything is sent.
func (t *TMDb) With(creds ...Credential) *TMDb {
	if t == nil || t.h.e == nil {
		return t
	}
	return &TMDb{h: t.h.with(APITMDb, creds)}
}

// HTTPClient returns the handle's engine for the rest of the TMDb API: an
// *http.Client whose requests to the API's origin get the handle's credentials
// (the application's API key or read access token, and the user's session or v4
// access token when it has one), wait on the same rate limiter as the typed
// calls, are resent only when that is safe, are logged and scrubbed the same
// way, and follow redirects only within the origin, without a body and without
// a credential in the target. A request to any other origin fails with
// [ErrOriginMismatch] and is never sent. Use [CheckResponse] with [APITMDb] to
// turn its error answers into the typed calls' errors.
func (t *TMDb) HTTPClient() *http.Client { return t.hp().httpClient() }

// BaseURL returns the TMDb API's base URL ("" when none is configured),
// for building the URLs given to [TMDb.HTTPClient].
func (t *TMDb) BaseURL() string { return t.hp().baseURL() }

// Do sends one request through the handle's engine, the one the typed calls
// use, and decodes the JSON answer into out. path is relative to the base URL
// and may carry a query string ("/3/account"). in, when not nil, is sent as the
// JSON body; out, when not nil, must be a non-nil pointer. The request carries
// the handle's credentials (the application's API key or read access token, and
// the user's session or v4 access token when it has one), waits on the rate
// limiter, and is resent only when that is safe: GET, HEAD, PUT and DELETE on
// network errors and 5xx, other methods only when the server certainly did not
// act; a path of a typed call is resent as that call is. Error answers are
// *[APIError], exactly as [CheckResponse] makes them, and a missing answer is
// *[NetworkError]. An invalid method, path, in or out fails with
// [ErrInvalidArgument] before anything is sent.
func (t *TMDb) Do(ctx context.Context, method, path string, in, out any) error {
	return t.hp().do(ctx, method, path, in, out)
}

// newEngine assembles the stages of one API below the credentials.
func newEngine(api API, cfg *config, s *shared, hc *http.Client) *engine {
	ac := cfg.api(api)
	e := &engine{api: api, s: s, redirect: hc.CheckRedirect, jar: hc.Jar}
	if u := ac.base; u != nil {
		e.base = strings.TrimRight(u.String(), "/")
		e.origin, e.originText = originKey(u), originOf(u)
		e.basePath = strings.TrimRight(u.Path, "/")
		e.paths = make(map[string]string)
		for _, ep := range endpoints {
			if ep.api == api {
				e.paths[ep.path] = e.basePath + ep.path
			}
		}
		if bu, err := url.Parse(e.base); err == nil && bu.RawPath == "" && bu.RawQuery == "" && bu.Fragment == "" && bu.User == nil {
			e.baseURL = bu
		}
	}
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	var limiter RateLimiter // nil: no limit (see waitLimit)
	if ac.custom != nil || ac.limit != rate.Inf {
		// The SDK's own limiter at rate.Inf, which nobody else can change,
		// would make every request take its lock twice for nothing.
		limiter = ac.limiter()
	}
	below := observeAttempts(api, s, &observe{api: api, logger: s.logger, secrets: s.secrets, next: &base{rt: rt, timeout: hc.Timeout}})
	policy := retryPolicy{retries: cfg.maxRetries, minWait: cfg.retryMin, maxWait: cfg.retryMax}
	e.lower = &limit{api: api, limiter: limiter, obs: s.observer, next: newRetry(api, policy, resendModesOf(api, e.basePath), s, limiter, below)}
	return e
}

// fullPath is ep's URL path with the base URL's path in front: made once
// for the endpoints of the table, and on each call for Do's.
func (e *engine) fullPath(ep *endpoint) string {
	if p, ok := e.paths[ep.path]; ok {
		return p
	}
	return e.basePath + ep.path
}

// handle returns a handle of e carrying creds.
func (e *engine) handle(creds credentialSet) handle {
	ds := &doorSet{creds: creds}
	if creds.err != nil {
		ds.creds = credentialSet{err: creds.err}
	}
	redirect := lockedRedirect(e.redirect)
	// The engine's own requests get their credentials in place, unless the
	// caller's http.Client (WithHTTPClient) has a redirect policy or a
	// cookie jar: those see the requests http.Client holds, which must then
	// carry no credential, as a caller's request through HTTPClient does not.
	owned := e.redirect == nil && e.jar == nil
	for r := range numRoles {
		e.initDoor(&ds.own[r], &ds.creds, r, owned, redirect)
	}
	e.initDoor(&ds.open, &ds.creds, openRole(e.api), false, redirect)
	return handle{e: e, creds: creds, doors: ds}
}

// initDoor sets d up as the door of role r; owned is set on the doors of
// the engine's own requests.
func (e *engine) initDoor(d *door, cs *credentialSet, r role, owned bool, redirect func(*http.Request, []*http.Request) error) {
	d.auth = credentialStage{api: e.api, role: r, creds: cs, owned: owned, shared: e.s.secrets, next: e.lower}
	d.auth.prepare()
	d.lock = originLock{api: e.api, origin: e.origin, text: e.originText, next: observeRenewals(e.s, cs, &d.auth)}
	d.client = http.Client{Transport: &d.lock, CheckRedirect: redirect, Jar: e.jar}
}

// with returns a handle like h carrying creds in place of those of the
// same role.
func (h *handle) with(api API, creds []Credential) handle {
	cs, err := h.creds.with(api, creds)
	if err != nil && cs.err == nil {
		cs.err = fmt.Errorf("mediaauth: With: %w", err)
	}
	return h.e.handle(cs)
}

// describe lists the handle's credentials without their secrets.
func (h *handle) describe() []string {
	var parts []string
	for _, a := range [...]*attachment{h.creds.app, h.creds.user} {
		if a != nil {
			parts = append(parts, a.name+":"+redacted)
		}
	}
	if h.creds.err != nil {
		parts = append(parts, string(h.e.api)+":invalid-credential")
	}
	return parts
}

// resendModesOf lists the endpoints of api whose resend mode is not their
// method's, by method and URL path under basePath.
func resendModesOf(api API, basePath string) resendModes {
	t := resendModes{}
	for _, ep := range endpoints {
		if ep.api == api && ep.resend != methodMode(ep.method) {
			if t[ep.method] == nil {
				t[ep.method] = map[string]retryMode{}
			}
			t[ep.method][basePath+ep.path] = ep.resend
		}
	}
	return t
}
