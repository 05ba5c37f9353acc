package mediaauth

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// API names one of the services a Client talks to.
type API string

// The APIs a Client talks to.
const (
	APIMovies API = "movies"
	APITVmaze API = "tvmaze"
	APITMDb   API = "tmdb"
)

func (a API) valid() bool { return a == APIMovies || a == APITVmaze || a == APITMDb }

func (a API) name() string {
	switch a {
	case APIMovies:
		return "Movies API"
	case APITVmaze:
		return "TVmaze"
	case APITMDb:
		return "TMDb"
	}
	return string(a)
}

// Client talks to the Movies API, TVmaze and TMDb through one handle per
// API: [Client.Movies], [Client.TVmaze] and [Client.TMDb]. Each handle
// holds its API's typed calls, its credentials, and its engine: the
// *http.Client that every door of that API (the typed calls, Do and
// HTTPClient) sends through. A Client is immutable after [New] and safe
// for concurrent use; [Client.With] and the handles' With derive clients
// that carry other credentials and share the transport and rate limiters.
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

// shared is what every handle derived from one New has in common.
type shared struct {
	logger    *slog.Logger
	now       func() time.Time
	pollGrace time.Duration
	tmdbSite  string
	timeout   time.Duration // per attempt, for calls sent once
	// secrets are those of every credential given to New, scrubbed from
	// every text even after a derived handle replaced them.
	secrets []string
	bufs    sync.Pool // of *readBuf
	// Header values made once and shared by every request (net/http only
	// reads them; Header.Set and Add replace or reallocate, never write in).
	hdrAccept, hdrUserAgent, hdrJSON, hdrForm []string
}

// New builds a Client. Without options it talks to TVmaze and TMDb at their
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
		now:          time.Now,
		pollGrace:    cfg.tvmaze.pollGrace,
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
		TVmaze: &TVmaze{h: newEngine(APITVmaze, &cfg, s, hc).handle(cfg.tvmaze.creds), poll: cfg.tvmaze.poll},
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
// A Movies [Token] or [APIKey] replaces the Movies credential; a
// [TMDbAPIKey] or [TMDbReadAccessToken] the TMDb application's; a
// [Session], [GuestSession] or [TMDbAccessToken] the TMDb user's. An
// invalid credential (empty, or not fit for a header) makes every call of
// the returned client fail with [ErrInvalidArgument] before anything is
// sent.
func (c *Client) With(creds ...Credential) *Client {
	if c == nil {
		return &Client{}
	}
	return &Client{Movies: c.Movies.With(creds...), TVmaze: c.TVmaze.With(creds...), TMDb: c.TMDb.With(creds...)}
}

// Without returns a client like c without its credentials for apis (all
// of them when none is named), sharing c's transport and rate limiters.
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
			d.TVmaze = &TVmaze{h: c.TVmaze.h.e.handle(credentialSet{}), poll: c.TVmaze.poll}
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

// engine is one API's pipeline below the credentials, shared by every
// handle of that API derived from one New: the origin, the rate limiter,
// the retry stage and what is below it.
type engine struct {
	api        API
	s          *shared
	base       string // base URL without a trailing slash; "" when unset
	basePath   string // the base URL's path
	origin     origin
	originText string
	lower      http.RoundTripper // rate limit → retry → observe → base
	redirect   func(*http.Request, []*http.Request) error
	jar        http.CookieJar
}

// newEngine assembles the stages of one API below the credentials.
func newEngine(api API, cfg *config, s *shared, hc *http.Client) *engine {
	ac := cfg.api(api)
	e := &engine{api: api, s: s, redirect: hc.CheckRedirect, jar: hc.Jar}
	if u := ac.base; u != nil {
		e.base = strings.TrimRight(u.String(), "/")
		e.origin, e.originText = originKey(u), originOf(u)
		e.basePath = strings.TrimRight(u.Path, "/")
	}
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	limiter := ac.limiter()
	below := &observe{api: api, logger: s.logger, secrets: s.secrets, next: &base{rt: rt, timeout: hc.Timeout}}
	e.lower = &limit{limiter: limiter, next: newRetry(api, cfg, s, limiter, below)}
	return e
}

// role is what credentials a door of a handle sends.
type role uint8

const (
	// roleNone: no credentials (Movies register and login, for instance).
	roleNone role = iota
	// roleIfAny: the application's credential when the handle has one.
	roleIfAny
	// roleRequired: the application's credential, or ErrMissingCredentials.
	roleRequired
	// roleUser: a TMDb user request: the application's credential and the
	// user's (a session, or a v4 token, sent as the Bearer token), at least
	// one of them.
	roleUser
	numRoles
)

// handle is what the three API handles share: the engine, the
// credentials, and one *http.Client per role, whose transport is the whole
// pipeline: origin lock → authorize → the engine's lower stages.
type handle struct {
	e     *engine
	creds credentialSet
	doors [numRoles]*http.Client
}

// handle returns a handle of e carrying creds.
func (e *engine) handle(creds credentialSet) handle {
	h := handle{e: e, creds: creds}
	cs := &h.creds
	if creds.err != nil {
		cs = &credentialSet{err: creds.err}
	}
	redirect := lockedRedirect(cs.secrets, e.redirect)
	for r := range numRoles {
		auth := &authorize{api: e.api, role: r, creds: cs, next: e.lower}
		h.doors[r] = &http.Client{
			Transport:     &originLock{api: e.api, origin: e.origin, text: e.originText, next: auth},
			CheckRedirect: redirect,
			Jar:           e.jar,
		}
	}
	return h
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

// usable reports why h cannot send, if it cannot.
func (h *handle) usable() error {
	if h == nil || h.e == nil {
		return fmt.Errorf("mediaauth: nil or zero client or handle (use New): %w", ErrInvalidArgument)
	}
	if h.e.base == "" {
		return fmt.Errorf("mediaauth: %s: no base URL configured (use %s): %w", h.e.api.name(), baseOption(h.e.api), ErrInvalidArgument)
	}
	return h.creds.err
}

// baseOption names the option that sets an API's base URL, for errors.
func baseOption(api API) string {
	switch api {
	case APIMovies:
		return "WithMoviesBaseURL"
	case APITVmaze:
		return "WithTVmazeBaseURL"
	}
	return "WithTMDbBaseURL"
}

// httpClient returns the open door: the engine with the credentials an
// open request of the API gets.
func (h *handle) httpClient() *http.Client {
	if h == nil || h.e == nil {
		return &http.Client{Transport: unusable{}}
	}
	return h.doors[openRole(h.e.api)]
}

// openRole is the role of the open doors (Do and HTTPClient).
func openRole(api API) role {
	if api == APITMDb {
		return roleUser
	}
	return roleIfAny
}

// baseURL returns the handle's base URL, "" when none is configured.
func (h *handle) baseURL() string {
	if h == nil || h.e == nil {
		return ""
	}
	return h.e.base
}

// unusable is the transport of a nil handle's HTTPClient.
type unusable struct{}

// RoundTrip refuses every request.
func (unusable) RoundTrip(req *http.Request) (*http.Response, error) {
	closeBody(req)
	return nil, fmt.Errorf("mediaauth: nil or zero client or handle (use New): %w", ErrInvalidArgument)
}

// engine returns h's engine, nil for a nil or zero handle.
func (h *handle) engine() *engine {
	if h == nil {
		return nil
	}
	return h.e
}
