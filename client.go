package mediaauth

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/time/rate"
)

// API names one of the services a Client talks to.
type API string

// The APIs a Client talks to.
const (
	APIMovies API = "movies"
	APITVmaze API = "tvmaze"
	APITMDb   API = "tmdb"
)

const numAPIs = 3

func (a API) index() int {
	switch a {
	case APIMovies:
		return 0
	case APITVmaze:
		return 1
	case APITMDb:
		return 2
	}
	return -1
}

func (a API) valid() bool { return a.index() >= 0 }

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

func apiByIndex(i int) API {
	return [numAPIs]API{APIMovies, APITVmaze, APITMDb}[i]
}

// baseOption names the option that sets each API's base URL, for errors.
var baseOption = [numAPIs]string{"WithMoviesBaseURL", "WithTVmazeBaseURL", "WithTMDbBaseURL"}

// Client talks to the Movies API, TVmaze and TMDb. It is immutable after
// [New] and safe for concurrent use. [Client.With] derives clients that
// carry other credentials and share the transport and rate limiters.
type Client struct {
	s     *shared
	creds *credentials
}

// shared is what a Client and every client derived from it have in common.
type shared struct {
	httpClient   *http.Client
	sendClient   *http.Client // httpClient for go-retryablehttp; see keepIdle
	bases        [numAPIs]string
	origins      [numAPIs]string // as text, for errors
	originKeys   [numAPIs]origin
	tmdbSite     string
	limiters     [numAPIs]RateLimiter
	senders      [numAPIs][numRetryModes]*retryablehttp.Client
	logger       *slog.Logger
	now          func() time.Time
	retryMax     time.Duration
	pollInterval time.Duration
	pollMaxWait  time.Duration
	pollMaxErrs  int
	pollGrace    time.Duration
	pollObserver func(PollEvent)
	bufs         sync.Pool // of *readBuf
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
			return nil, scrubError(err, cfg.creds.secrets)
		}
	}
	if err := cfg.check(); err != nil {
		return nil, scrubError(err, cfg.creds.secrets)
	}

	s := &shared{
		tmdbSite:     cfg.tmdbSite,
		logger:       cfg.logger,
		now:          time.Now,
		retryMax:     cfg.retryMax,
		pollInterval: cfg.pollInterval,
		pollMaxWait:  cfg.pollMaxWait,
		pollMaxErrs:  cfg.pollMaxErrs,
		pollGrace:    cfg.pollGrace,
		pollObserver: cfg.pollObserver,
	}
	for i, u := range cfg.bases {
		if u != nil {
			s.bases[i] = strings.TrimRight(u.String(), "/")
			s.origins[i] = originOf(u)
			s.originKeys[i] = originKey(u)
		}
	}
	s.bufs.New = func() any { return new(readBuf) }
	s.hdrAccept = []string{"application/json"}
	s.hdrJSON = []string{"application/json"}
	s.hdrForm = []string{"application/x-www-form-urlencoded"}
	// An empty User-Agent value makes net/http send none at all.
	s.hdrUserAgent = []string{cfg.userAgent}
	if cfg.httpClient != nil {
		s.httpClient = cfg.httpClient
	} else {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 16
		s.httpClient = &http.Client{Transport: tr, Timeout: cfg.timeout}
	}
	// No Timeout here: keepIdle applies httpClient's Timeout itself, because
	// net/http enforces a Timeout over a transport it does not know with a
	// timer and a goroutine per request. The origin lock comes before the
	// caller's own redirect policy.
	s.sendClient = &http.Client{
		Transport:     keepIdle{s.httpClient},
		CheckRedirect: lockedRedirect(s.httpClient.CheckRedirect),
		Jar:           s.httpClient.Jar,
	}
	for i := range numAPIs {
		if l := cfg.limiters[i]; l != nil {
			s.limiters[i] = l
		} else {
			spec := cfg.limits[i]
			s.limiters[i] = rate.NewLimiter(spec.limit, spec.burst)
		}
		api := apiByIndex(i)
		for m := range numRetryModes {
			s.senders[i][m] = s.newSender(api, m, &cfg)
		}
	}
	creds := cfg.creds
	return &Client{s: s, creds: &creds}, nil
}

// With returns a client that carries creds in place of c's credentials of
// the same kind, and shares c's transport, rate limiters and settings:
//
//	tok, err := client.Login(ctx, user, password)
//	me, err := client.With(tok).Profile(ctx)
//
// A Movies [Token] or [APIKey] replaces the Movies credential; a
// [TMDbAPIKey] or [TMDbReadAccessToken] the TMDb application's; a
// [Session], [GuestSession] or [TMDbAccessToken] the TMDb user's. An
// invalid credential (empty, or not fit for a header) makes every call of
// the returned client fail with [ErrInvalidArgument] before anything is
// sent. On a nil c the calls fail with an error that says to use [New].
func (c *Client) With(creds ...Credential) *Client {
	var d Client
	cs := &credentials{}
	if c != nil {
		d.s = c.s
		if c.creds != nil {
			*cs = *c.creds
		}
	}
	if err := cs.add(creds); err != nil && cs.err == nil {
		cs.err = fmt.Errorf("mediaauth: Client.With: %w", err)
	}
	d.creds = cs
	return &d
}

// Without returns a client like c without its credentials for apis (all
// of them when none is named), sharing c's transport and rate limiters.
func (c *Client) Without(apis ...API) *Client {
	var d Client
	cs := &credentials{}
	if c != nil {
		d.s = c.s
		if c.creds != nil {
			*cs = *c.creds
		}
	}
	if len(apis) == 0 {
		apis = []API{APIMovies, APITVmaze, APITMDb}
	}
	for _, api := range apis {
		switch api {
		case APIMovies:
			cs.movies, cs.moviesSource = "", nil
		case APITVmaze:
			cs.tvmazeUser, cs.tvmazeKey = "", ""
		case APITMDb:
			cs.tmdbKey, cs.tmdbRead, cs.tmdbUser = "", "", tmdbUser{}
		}
	}
	cs.finish()
	d.creds = cs
	return &d
}

// String describes the client without its credentials.
func (c *Client) String() string {
	if c == nil {
		return "mediaauth.Client(nil)"
	}
	var parts []string
	if cs := c.creds; cs != nil {
		if cs.movies != "" || cs.moviesSource != nil {
			parts = append(parts, "movies-token:"+redacted)
		}
		if cs.tvmazeUser != "" {
			parts = append(parts, "tvmaze:"+scrub(cs.tvmazeUser)+":"+redacted)
		}
		if cs.tmdbRead != "" {
			parts = append(parts, "tmdb-read-access-token:"+redacted)
		}
		if cs.tmdbKey != "" {
			parts = append(parts, "tmdb-api-key:"+redacted)
		}
		switch {
		case cs.tmdbUser.bearer != "":
			parts = append(parts, "tmdb-v4-access-token:"+redacted)
		case cs.tmdbUser.param != "":
			parts = append(parts, "tmdb-"+strings.ReplaceAll(cs.tmdbUser.param, "_", "-")+":"+redacted)
		}
		if cs.err != nil {
			parts = append(parts, "invalid-credential")
		}
	}
	return "mediaauth.Client{" + strings.Join(parts, " ") + "}"
}

// Format prints the client like String for every verb, so that no
// credential reaches %v, %+v or %#v output.
func (c *Client) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue keeps credentials out of slog output.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }
