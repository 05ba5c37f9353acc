package mediaauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Option configures a Client in New. Options are applied in order; an
// invalid option makes New return an error.
type Option func(*config) error

// Defaults of a new Client.
const (
	// DefaultTVmazeBaseURL is where TVmaze's user API lives.
	DefaultTVmazeBaseURL = "https://api.tvmaze.com/v1"
	// DefaultTMDbBaseURL is where TMDb's v3 API lives.
	DefaultTMDbBaseURL = "https://api.themoviedb.org/3"
	// DefaultTimeout bounds one HTTP attempt of a client built without
	// WithHTTPClient.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxRetries is how many times a retryable call is sent again.
	DefaultMaxRetries = 3
	// DefaultRetryMinWait and DefaultRetryMaxWait bound the back-off between
	// attempts; DefaultRetryMaxWait also caps a server's Retry-After.
	DefaultRetryMinWait = 250 * time.Millisecond
	DefaultRetryMaxWait = 30 * time.Second
	// DefaultPollInterval is TVmaze's documented minimum poll interval.
	DefaultPollInterval = 10 * time.Second
	// DefaultUserAgent is sent unless WithUserAgent says otherwise.
	DefaultUserAgent = "mediaauth-go/1"
)

// config collects what the options say; New turns it into a Client.
type config struct {
	httpClient   *http.Client
	timeout      time.Duration
	bases        [numAPIs]string
	token        string
	tvmaze       *TVmazeCredentials
	tmdbAPIKey   string
	tmdbAccess   string
	maxRetries   int
	retryMin     time.Duration
	retryMax     time.Duration
	limits       [numAPIs]limitSpec
	limiters     [numAPIs]RateLimiter
	logger       *slog.Logger
	userAgent    string
	insecureHTTP bool
	pollInterval time.Duration
	pollMaxWait  time.Duration
	pollMaxErrs  int
	pollObserver func(PollEvent)
}

type limitSpec struct {
	limit rate.Limit
	burst int
}

func defaultConfig() config {
	cfg := config{
		timeout:      DefaultTimeout,
		maxRetries:   DefaultMaxRetries,
		retryMin:     DefaultRetryMinWait,
		retryMax:     DefaultRetryMaxWait,
		userAgent:    DefaultUserAgent,
		pollInterval: DefaultPollInterval,
		pollMaxWait:  5 * time.Minute,
		pollMaxErrs:  5,
	}
	cfg.bases[APITVmaze.index()] = DefaultTVmazeBaseURL
	cfg.bases[APITMDb.index()] = DefaultTMDbBaseURL
	cfg.limits[APIMovies.index()] = limitSpec{limit: rate.Inf}
	// TVmaze documents at least 20 calls every 10 seconds: a burst of 5
	// and 1.5 per second allow at most 5+15 = 20 in any 10-second window.
	cfg.limits[APITVmaze.index()] = limitSpec{limit: 1.5, burst: 5}
	// TMDb's limit sits "somewhere in the 40 requests per second range": a
	// burst of 4 and 35 per second allow at most 39 in any one second.
	cfg.limits[APITMDb.index()] = limitSpec{limit: 35, burst: 4}
	return cfg
}

// WithMoviesBaseURL sets the Movies API's base URL (it has no default), for
// example "https://api.example.com".
func WithMoviesBaseURL(rawURL string) Option {
	return func(c *config) error { return c.setBase(APIMovies, rawURL) }
}

// WithTVmazeBaseURL replaces DefaultTVmazeBaseURL.
func WithTVmazeBaseURL(rawURL string) Option {
	return func(c *config) error { return c.setBase(APITVmaze, rawURL) }
}

// WithTMDbBaseURL replaces DefaultTMDbBaseURL.
func WithTMDbBaseURL(rawURL string) Option {
	return func(c *config) error { return c.setBase(APITMDb, rawURL) }
}

func (c *config) setBase(api API, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		// stripURL: the parse error quotes the URL, password included.
		return fmt.Errorf("mediaauth: %s base URL: %w", api.name(), stripURL(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("mediaauth: %s base URL %q: scheme must be http or https", api.name(), u.Redacted())
	}
	if u.Host == "" {
		return fmt.Errorf("mediaauth: %s base URL %q: no host", api.name(), u.Redacted())
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("mediaauth: %s base URL: must not carry user info, query or fragment", api.name())
	}
	c.bases[api.index()] = strings.TrimRight(u.String(), "/")
	return nil
}

// WithHTTPClient makes the client send through hc: its Transport, Timeout
// (per attempt), Jar and CheckRedirect are used, except that a redirect from
// https to plain http is always refused. A nil hc is an error.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("mediaauth: WithHTTPClient: nil *http.Client")
		}
		c.httpClient = hc
		return nil
	}
}

// WithTimeout bounds each HTTP attempt of a client built without
// WithHTTPClient (default DefaultTimeout). Zero means no bound beyond the
// context's.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("mediaauth: WithTimeout: negative duration %s", d)
		}
		c.timeout = d
		return nil
	}
}

// WithToken makes the client send "Authorization: Bearer <token>" to the
// Movies API; token is an access token from Login or FormLogin, or an API key.
func WithToken(token string) Option {
	return func(c *config) error {
		c.token = token
		return nil
	}
}

// WithTVmazeCredentials makes the client send HTTP Basic username:apikey to
// TVmaze. A nil creds removes them.
func WithTVmazeCredentials(creds *TVmazeCredentials) Option {
	return func(c *config) error {
		if creds != nil {
			cp := *creds
			c.tvmaze = &cp
		} else {
			c.tvmaze = nil
		}
		return nil
	}
}

// WithTMDbAPIKey makes the client authenticate to TMDb with the api_key query
// parameter. WithTMDbAccessToken wins over it when both are given.
func WithTMDbAPIKey(key string) Option {
	return func(c *config) error {
		c.tmdbAPIKey = key
		return nil
	}
}

// WithTMDbAccessToken makes the client authenticate to TMDb with
// "Authorization: Bearer <read access token>"; the API key is then not sent.
func WithTMDbAccessToken(token string) Option {
	return func(c *config) error {
		c.tmdbAccess = token
		return nil
	}
}

// WithRetry sets how many times a failed call may be sent again (0 turns
// retries off) and the bounds of the exponential back-off between attempts.
// maxWait also caps how long the client honours a server's Retry-After.
func WithRetry(maxRetries int, minWait, maxWait time.Duration) Option {
	return func(c *config) error {
		if maxRetries < 0 {
			return fmt.Errorf("mediaauth: WithRetry: negative retry count %d", maxRetries)
		}
		if minWait < 0 || maxWait < 0 {
			return errors.New("mediaauth: WithRetry: negative wait")
		}
		if maxWait < minWait {
			return fmt.Errorf("mediaauth: WithRetry: maxWait %s below minWait %s", maxWait, minWait)
		}
		c.maxRetries, c.retryMin, c.retryMax = maxRetries, minWait, maxWait
		return nil
	}
}

// WithRateLimit replaces the client-side rate limit of one API: at most
// limit requests per second with bursts of burst (both above zero).
// rate.Inf turns the limit off. Clients derived with the With... methods share the limiter.
func WithRateLimit(api API, limit rate.Limit, burst int) Option {
	return func(c *config) error {
		if !api.valid() {
			return fmt.Errorf("mediaauth: WithRateLimit: unknown API %q", string(api))
		}
		if limit != rate.Inf && (limit <= 0 || burst <= 0) {
			return fmt.Errorf("mediaauth: WithRateLimit: invalid limit %v burst %d", limit, burst)
		}
		c.limits[api.index()] = limitSpec{limit: limit, burst: burst}
		c.limiters[api.index()] = nil
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

// WithUserAgent replaces DefaultUserAgent; an empty ua sends no User-Agent
// header at all.
func WithUserAgent(ua string) Option {
	return func(c *config) error {
		if strings.ContainsAny(ua, "\r\n") {
			return errors.New("mediaauth: WithUserAgent: line break in user agent")
		}
		c.userAgent = ua
		return nil
	}
}

// WithInsecureHTTP allows credentials over plain http to hosts that are not
// loopback. Without it New refuses such a base URL with ErrInsecureTransport.
func WithInsecureHTTP() Option {
	return func(c *config) error {
		c.insecureHTTP = true
		return nil
	}
}

// WithPollInterval replaces DefaultPollInterval for PollUntilConfirmed. Only
// test servers accept an interval below TVmaze's 10 seconds.
func WithPollInterval(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("mediaauth: WithPollInterval: interval must be positive, got %s", d)
		}
		c.pollInterval = d
		return nil
	}
}

// WithPollObserver makes PollUntilConfirmed report each attempt to fn, for
// progress output. fn runs on the polling goroutine and must not block long.
func WithPollObserver(fn func(PollEvent)) Option {
	return func(c *config) error {
		c.pollObserver = fn
		return nil
	}
}

// RateLimiter is a client-side rate limit: Wait blocks until one more
// request may be sent, or returns an error when ctx ends first (or when the
// wait would pass ctx's deadline). *rate.Limiter satisfies it; a limiter
// backed by a shared store lets several processes spend one budget.
type RateLimiter interface {
	Wait(ctx context.Context) error
}

// WithRateLimiter makes every request to api, the SDK's own and those sent
// through the client's HTTP client for that API, wait on l first. It
// replaces the default limit and any WithRateLimit for api. Clients derived
// with the With... methods share it. A nil l is an error.
func WithRateLimiter(api API, l RateLimiter) Option {
	return func(c *config) error {
		if !api.valid() {
			return fmt.Errorf("mediaauth: WithRateLimiter: unknown API %q", string(api))
		}
		if l == nil {
			return errors.New("mediaauth: WithRateLimiter: nil limiter")
		}
		c.limiters[api.index()] = l
		return nil
	}
}
