package mediaauth

import (
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"
)

// Option configures a [Client] in [New]. Options are applied in order; an
// invalid option makes New return an error that wraps [ErrInvalidArgument].
type Option func(*config) error

// Defaults of a new [Client].
const (
	// DefaultTVmazeBaseURL is where TVmaze's user API lives.
	DefaultTVmazeBaseURL = "https://api.tvmaze.com/v1"
	// DefaultTMDbBaseURL is the root of TMDb's API; the SDK's paths start
	// with /3 or /4.
	DefaultTMDbBaseURL = "https://api.themoviedb.org"
	// DefaultTMDbSiteURL is TMDb's website, where users approve request
	// tokens.
	DefaultTMDbSiteURL = "https://www.themoviedb.org"
	// DefaultTimeout bounds one HTTP attempt of a client built without
	// [WithHTTPClient].
	DefaultTimeout = 30 * time.Second
	// DefaultMaxRetries is how many times a retryable call is sent again.
	DefaultMaxRetries = 3
	// DefaultRetryMinWait and DefaultRetryMaxWait bound the back-off between
	// attempts; DefaultRetryMaxWait also caps a server's Retry-After.
	DefaultRetryMinWait = 250 * time.Millisecond
	DefaultRetryMaxWait = 30 * time.Second
	// DefaultUserAgent is sent unless [WithUserAgent] says otherwise.
	DefaultUserAgent = "mediaauth-go/1"
)

// config collects what the options say; New turns it into a Client.
type config struct {
	httpClient   *http.Client
	timeout      time.Duration
	tmdbSite     string
	maxRetries   int
	retryMin     time.Duration
	retryMax     time.Duration
	logger       *slog.Logger
	observer     Observer
	userAgent    string
	insecureHTTP bool
	movies       apiConfig
	tvmaze       apiConfig
	tmdb         apiConfig
	// given lists the secrets of every credential the options gave,
	// those replaced by a later one too.
	given []string
}

// apiConfig is what the options say of one API.
type apiConfig struct {
	base   *url.URL
	creds  credentialSet
	limit  rate.Limit
	burst  int
	custom RateLimiter // WithRateLimiter, in place of limit and burst
}

// api returns the configuration of api, or nil for an unknown API.
func (c *config) api(api API) *apiConfig {
	switch api {
	case APIMovies:
		return &c.movies
	case APITVmaze:
		return &c.tvmaze
	case APITMDb:
		return &c.tmdb
	}
	return nil
}

// limiter returns the API's rate limiter.
func (a *apiConfig) limiter() RateLimiter {
	if a.custom != nil {
		return a.custom
	}
	return rate.NewLimiter(a.limit, a.burst)
}

// secrets lists the secrets of every credential the options gave, those
// replaced by a later one too.
func (c *config) secrets() []string {
	return c.given
}

func defaultConfig() config {
	cfg := config{
		timeout:    DefaultTimeout,
		maxRetries: DefaultMaxRetries,
		retryMin:   DefaultRetryMinWait,
		retryMax:   DefaultRetryMaxWait,
		userAgent:  DefaultUserAgent,
		tmdbSite:   DefaultTMDbSiteURL,
	}
	cfg.tvmaze.base, _ = url.Parse(DefaultTVmazeBaseURL)
	cfg.tmdb.base, _ = url.Parse(DefaultTMDbBaseURL)
	cfg.movies.limit = rate.Inf
	// TVmaze documents at least 20 calls every 10 seconds: a burst of 5
	// and 1.5 per second allow at most 5+15 = 20 in any 10-second window.
	cfg.tvmaze.limit, cfg.tvmaze.burst = 1.5, 5
	// TMDb's limit sits "somewhere in the 40 requests per second range": a
	// burst of 4 and 35 per second allow at most 39 in any one second.
	cfg.tmdb.limit, cfg.tmdb.burst = 35, 4
	return cfg
}

// check validates what only the options together can tell.
func (c *config) check() error {
	for _, api := range [...]API{APIMovies, APITVmaze, APITMDb} {
		u := c.api(api).base
		if u == nil {
			continue
		}
		if err := checkTransportSecurity(u, c.insecureHTTP); err != nil {
			return fmt.Errorf("mediaauth: %s base URL: %w", api.name(), err)
		}
	}
	return nil
}

// transportClient returns the http.Client whose transport, timeout, jar
// and redirect policy the engines use: the caller's, or one built with
// the response header section capped at 64 KiB.
func (c *config) transportClient() *http.Client {
	if c.httpClient != nil {
		return c.httpClient
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	tr.MaxResponseHeaderBytes = maxResponseHeaderBytes
	return &http.Client{Transport: tr, Timeout: c.timeout}
}

// addCredentials gives each credential to the API it belongs to.
func (c *config) addCredentials(creds []Credential) error {
	for _, cr := range creds {
		a, err := attach(cr)
		if err != nil {
			return err
		}
		c.given = append(c.given, a.secrets...)
		ac := c.api(a.api)
		if ac.creds, err = ac.creds.with(a.api, []Credential{cr}); err != nil {
			return err
		}
	}
	return nil
}

// WithMoviesBaseURL sets the Movies API's base URL (it has no default), for
// example "https://api.example.com".
func WithMoviesBaseURL(rawURL string) Option {
	return func(c *config) error { return c.setBase(APIMovies, rawURL) }
}

// WithTVmazeBaseURL replaces [DefaultTVmazeBaseURL].
func WithTVmazeBaseURL(rawURL string) Option {
	return func(c *config) error { return c.setBase(APITVmaze, rawURL) }
}

// WithTMDbBaseURL replaces [DefaultTMDbBaseURL]: the root under which
// TMDb's /3 and /4 paths live. A URL that ends in /3 is taken as the /3
// API of that root.
func WithTMDbBaseURL(rawURL string) Option {
	return func(c *config) error {
		if err := c.setBase(APITMDb, rawURL); err != nil {
			return err
		}
		u := c.tmdb.base
		u.Path = strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/3")
		u.RawPath = ""
		return nil
	}
}

// WithTMDbSiteURL replaces [DefaultTMDbSiteURL], the site whose pages
// [TMDb.AuthenticateURL] and [TMDb.V4ApprovalURL] name (a test server's,
// for instance).
func WithTMDbSiteURL(rawURL string) Option {
	return func(c *config) error {
		u, err := parseBase("TMDb site", rawURL)
		if err != nil {
			return err
		}
		c.tmdbSite = strings.TrimRight(u.String(), "/")
		return nil
	}
}

func (c *config) setBase(api API, rawURL string) error {
	u, err := parseBase(api.name(), rawURL)
	if err != nil {
		return err
	}
	c.api(api).base = u
	return nil
}

// parseBase checks a base URL. Its errors never quote the URL's user info
// or query, which may hold a secret.
func parseBase(what, rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("mediaauth: %s base URL does not parse: %w", what, ErrInvalidArgument)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("mediaauth: %s base URL %q: scheme must be http or https: %w", what, urlForError(u), ErrInvalidArgument)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("mediaauth: %s base URL %q: no host: %w", what, urlForError(u), ErrInvalidArgument)
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("mediaauth: %s base URL %q: must not carry user info, query or fragment: %w", what, urlForError(u), ErrInvalidArgument)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// WithHTTPClient makes the client send through hc: its Transport, Timeout
// (per attempt), Jar and CheckRedirect are used, except that redirects
// obey the origin lock first (see [ErrRedirect]). The 64 KiB cap on the
// header section of an answer is set only on the transport New builds
// without hc: set [http.Transport.MaxResponseHeaderBytes] on yours. A nil
// hc is an error.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return fmt.Errorf("mediaauth: WithHTTPClient: nil *http.Client: %w", ErrInvalidArgument)
		}
		c.httpClient = hc
		return nil
	}
}

// WithTimeout bounds each HTTP attempt of a client built without
// [WithHTTPClient] (default [DefaultTimeout]), from sending the request to
// the end of reading the answer. Zero means no bound beyond the context's.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("mediaauth: WithTimeout: negative duration %s: %w", d, ErrInvalidArgument)
		}
		c.timeout = d
		return nil
	}
}

// WithCredentials gives the client credentials (see [Credential]): for
// example mediaauth.TMDbAPIKey(key), a [Token] from [Movies.Login], or
// [TVmazeCredentials]. Each goes to the handle of its API. A later
// credential of the same API and role replaces an earlier one: a
// [TMDbReadAccessToken] replaces a [TMDbAPIKey], and the other way round.
// Invalid credentials (empty, not UTF-8, or holding a control character)
// are an error.
func WithCredentials(creds ...Credential) Option {
	return func(c *config) error {
		if err := c.addCredentials(creds); err != nil {
			return fmt.Errorf("mediaauth: WithCredentials: %w", err)
		}
		return nil
	}
}

// WithRetry sets how many times a failed call may be sent again (0 turns
// retries off, at most [MaxRetries]) and the bounds of the exponential
// back-off between attempts (minWait must be positive when retrying).
// maxWait also caps how long the client honours a server's Retry-After.
func WithRetry(maxRetries int, minWait, maxWait time.Duration) Option {
	return func(c *config) error {
		switch {
		case maxRetries < 0 || maxRetries > MaxRetries:
			return fmt.Errorf("mediaauth: WithRetry: retry count %d outside 0..%d: %w", maxRetries, MaxRetries, ErrInvalidArgument)
		case minWait < 0 || maxWait < 0:
			return fmt.Errorf("mediaauth: WithRetry: negative wait: %w", ErrInvalidArgument)
		case maxRetries > 0 && minWait <= 0:
			return fmt.Errorf("mediaauth: WithRetry: retrying needs a positive minimum wait: %w", ErrInvalidArgument)
		case maxWait < minWait:
			return fmt.Errorf("mediaauth: WithRetry: maxWait %s below minWait %s: %w", maxWait, minWait, ErrInvalidArgument)
		}
		c.maxRetries, c.retryMin, c.retryMax = maxRetries, minWait, maxWait
		return nil
	}
}

// WithRateLimit replaces the client-side rate limit of one API: at most
// limit requests per second with bursts of burst (both above zero).
// [rate.Inf] turns the limit off. Clients and handles derived with With
// share the limiter.
func WithRateLimit(api API, limit rate.Limit, burst int) Option {
	return func(c *config) error {
		if !api.valid() {
			return fmt.Errorf("mediaauth: WithRateLimit: unknown API %q: %w", string(api), ErrInvalidArgument)
		}
		f := float64(limit)
		if limit != rate.Inf && (math.IsNaN(f) || math.IsInf(f, 0) || limit <= 0 || burst <= 0) {
			return fmt.Errorf("mediaauth: WithRateLimit: invalid limit %v burst %d: %w", limit, burst, ErrInvalidArgument)
		}
		a := c.api(api)
		a.limit, a.burst, a.custom = limit, burst, nil
		return nil
	}
}

// WithLogger makes the client log each request and answer at debug level
// (never a secret: paths lose their query string, bodies are not logged).
// A nil logger turns logging off, which is the default.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		c.logger = l
		return nil
	}
}

// WithUserAgent replaces [DefaultUserAgent]; an empty ua sends no User-Agent
// header at all.
func WithUserAgent(ua string) Option {
	return func(c *config) error {
		if !utf8.ValidString(ua) || strings.IndexFunc(ua, isControl) >= 0 {
			return fmt.Errorf("mediaauth: WithUserAgent: the user agent holds a control character or is not UTF-8: %w", ErrInvalidArgument)
		}
		c.userAgent = ua
		return nil
	}
}

// WithInsecureHTTP allows credentials over plain http to hosts that are not
// loopback. Without it [New] refuses such a base URL with
// [ErrInsecureTransport].
func WithInsecureHTTP() Option {
	return func(c *config) error {
		c.insecureHTTP = true
		return nil
	}
}

// WithRateLimiter makes every request to api, through every door of its
// handle (the typed calls, Do and HTTPClient), wait on l first. It
// replaces the default limit and any [WithRateLimit] for api. Clients and
// handles derived with With share it. A nil l is an error.
func WithRateLimiter(api API, l RateLimiter) Option {
	return func(c *config) error {
		if !api.valid() {
			return fmt.Errorf("mediaauth: WithRateLimiter: unknown API %q: %w", string(api), ErrInvalidArgument)
		}
		if l == nil {
			return fmt.Errorf("mediaauth: WithRateLimiter: nil limiter: %w", ErrInvalidArgument)
		}
		c.api(api).custom = l
		return nil
	}
}

// checkTransportSecurity refuses plain http to a host that is not loopback.
func checkTransportSecurity(u *url.URL, insecureOK bool) error {
	if u.Scheme == "https" || insecureOK || isLoopback(u.Hostname()) {
		return nil
	}
	return fmt.Errorf("%w to %s (use https, or WithInsecureHTTP)", ErrInsecureTransport, u.Host)
}

// isLoopback reports whether host is a loopback name or address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// WithObserver makes the client tell o of every call, attempt, rate-limit
// wait, retry, credential renewal and attempt of a wait for approval (see
// [Event]); clients and handles derived with With share it. A nil o turns
// observation off, which is the default and costs nothing.
func WithObserver(o Observer) Option {
	return func(c *config) error {
		c.observer = o
		return nil
	}
}
