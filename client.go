package mediaauth

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/go-querystring/query"
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

// Body size caps: a success body above maxSuccessBody or an error body
// above maxErrorBody is ErrResponseTooLarge.
const (
	maxSuccessBody = 1 << 20
	maxErrorBody   = 64 << 10
	// maxDrain is how much of an unread body is read to keep its connection.
	maxDrain = 64 << 10
)

// Client talks to the Movies API, TVmaze and TMDb. It is immutable after New
// and safe for concurrent use. The With... methods return derived clients
// with other credentials that share the transport and rate limiters.
type Client struct {
	s *shared

	token      string // Movies API bearer: access token or API key
	tvmaze     *TVmazeCredentials
	tmdbAPIKey string
	// tmdbKeyQuery is tmdbAPIKey as the api_key query parameter, encoded
	// once (go-querystring) when the client is made.
	tmdbKeyQuery string
	tmdbAccess   string
}

// shared is what a Client and every client derived from it have in common.
type shared struct {
	httpClient   *http.Client
	sendClient   *http.Client // httpClient for go-retryablehttp; see keepIdle
	bases        [numAPIs]string
	limiters     [numAPIs]RateLimiter
	senders      [numAPIs][numRetryModes]*retryablehttp.Client
	logger       *slog.Logger
	now          func() time.Time
	retryMax     time.Duration
	pollInterval time.Duration
	pollMaxWait  time.Duration
	pollMaxErrs  int
	pollObserver func(PollEvent)
	bufs         sync.Pool // of *readBuf
	// Header values made once and shared by every request (net/http only
	// reads them; Header.Set and Add replace or reallocate, never write in).
	hdrAccept, hdrUserAgent, hdrJSON, hdrForm []string
}

// readBuf is a pooled buffer for response bodies with the limited reader
// that fills it, so that reading a body allocates nothing.
type readBuf struct {
	bytes.Buffer
	lr io.LimitedReader
}

// retryMode says when the transport may send a call again.
type retryMode int

const (
	// retryIdempotent: on network errors, 429 and 5xx (GET, DELETE, and
	// calls that change nothing when repeated).
	retryIdempotent retryMode = iota
	// retryUnsafe: only when the server certainly did not act: the
	// connection was refused before sending, 429, or 503 with Retry-After.
	retryUnsafe
	// retryNever: the caller runs its own schedule (TVmaze poll).
	retryNever
	numRetryModes
)

// New builds a Client. Without options it talks to TVmaze and TMDb at their
// public addresses with no credentials; the Movies API needs WithMoviesBaseURL.
func New(opts ...Option) (*Client, error) {
	cfg := defaultConfig()
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	for i, base := range cfg.bases {
		if base == "" {
			continue
		}
		if err := checkTransportSecurity(base, cfg.insecureHTTP); err != nil {
			return nil, fmt.Errorf("mediaauth: %s base URL: %w", apiByIndex(i).name(), err)
		}
	}

	s := &shared{
		bases:        cfg.bases,
		logger:       cfg.logger,
		now:          time.Now,
		retryMax:     cfg.retryMax,
		pollInterval: cfg.pollInterval,
		pollMaxWait:  cfg.pollMaxWait,
		pollMaxErrs:  cfg.pollMaxErrs,
		pollObserver: cfg.pollObserver,
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
		s.httpClient = &http.Client{
			Transport:     tr,
			Timeout:       cfg.timeout,
			CheckRedirect: refuseDowngrade,
		}
	}
	// No Timeout here: keepIdle applies httpClient's Timeout itself, because
	// net/http enforces a Timeout over a transport it does not know with a
	// timer and a goroutine per request.
	s.sendClient = &http.Client{
		Transport:     keepIdle{s.httpClient},
		CheckRedirect: noDowngrade(s.httpClient.CheckRedirect),
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
			s.senders[i][m] = s.newSender(api, m, cfg)
		}
	}
	return &Client{
		s:            s,
		token:        cfg.token,
		tvmaze:       cfg.tvmaze,
		tmdbAPIKey:   cfg.tmdbAPIKey,
		tmdbKeyQuery: tmdbKeyQuery(cfg.tmdbAPIKey),
		tmdbAccess:   cfg.tmdbAccess,
	}, nil
}

// keepIdle is the transport go-retryablehttp sends through: that of hc,
// read at each request, without CloseIdleConnections. go-retryablehttp
// closes idle connections after every call that ends in an error, which on a
// shared transport would close the pooled connections of every other call,
// cancel their dials, and stop the failed call's own connection from being
// reused. It also bounds each request by hc.Timeout, from sending to the
// end of reading the body, through the request's context.
type keepIdle struct{ hc *http.Client }

// RoundTrip sends req through hc's transport.
func (k keepIdle) RoundTrip(req *http.Request) (*http.Response, error) {
	rt := k.hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	if k.hc.Timeout <= 0 {
		return rt.RoundTrip(req)
	}
	ctx, cancel := context.WithTimeout(req.Context(), k.hc.Timeout)
	resp, err := rt.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose releases a request's timeout when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

// Close closes the body and releases the timeout.
func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

func apiByIndex(i int) API {
	return [numAPIs]API{APIMovies, APITVmaze, APITMDb}[i]
}

// newSender builds the go-retryablehttp client for one API and retry mode.
// Its own logger is off; requests are logged through the slog logger.
func (s *shared) newSender(api API, mode retryMode, cfg config) *retryablehttp.Client {
	retries := cfg.maxRetries
	if mode == retryNever {
		retries = 0
	}
	limiter := &s.limiters[api.index()]
	rc := &retryablehttp.Client{
		HTTPClient:   s.sendClient,
		Logger:       nil,
		RetryWaitMin: cfg.retryMin,
		RetryWaitMax: cfg.retryMax,
		RetryMax:     retries,
		CheckRetry:   checkRetry(mode),
		Backoff:      s.backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
		// Every retry sends a fresh copy of the body (see do) and waits on
		// the API's rate limiter like a first attempt.
		PrepareRetry: func(req *http.Request) error {
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return err
				}
				req.Body = body
			}
			return waitLimit(req.Context(), *limiter)
		},
	}
	if s.logger != nil {
		logger := s.logger
		rc.RequestLogHook = func(_ retryablehttp.Logger, req *http.Request, attempt int) {
			if attempt > 0 {
				logger.LogAttrs(req.Context(), slog.LevelDebug, "mediaauth: retrying",
					slog.String("api", string(api)), slog.String("method", req.Method),
					slog.String("path", req.URL.Path), slog.Int("attempt", attempt+1))
			}
		}
	}
	return rc
}

// checkRetry is the idempotency-aware retry policy.
func checkRetry(mode retryMode) retryablehttp.CheckRetry {
	return func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if mode == retryNever {
			return false, nil
		}
		if err != nil {
			if notSent(err) {
				return true, nil
			}
			if mode == retryUnsafe {
				// The server may have received and acted on the request.
				return false, nil
			}
			// Errors that will not go away with a retry.
			var certErr *tls.CertificateVerificationError
			var urlErr *url.Error
			if errors.As(err, &certErr) || errors.Is(err, ErrInsecureTransport) ||
				(errors.As(err, &urlErr) && strings.Contains(urlErr.Err.Error(), "stopped after")) {
				return false, nil
			}
			return true, nil
		}
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			return true, nil
		case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "":
			return true, nil
		case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
			return mode == retryIdempotent, nil
		}
		return false, nil
	}
}

// notSent reports whether err certainly happened before the request left:
// the connection could not be made at all.
func notSent(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}

// backoff is exponential with full jitter between the client's bounds, and
// honours Retry-After (seconds or HTTP date) on 429 and 503 up to retryMax.
func (s *shared) backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), s.now()); ok {
			return min(d, maxWait)
		}
	}
	return jitterBackoff(minWait, maxWait, attempt)
}

// jitterBackoff returns a random wait in [min, min*2^attempt], capped at max.
func jitterBackoff(minWait, maxWait time.Duration, attempt int) time.Duration {
	if minWait <= 0 {
		return 0
	}
	upper := minWait
	for i := 0; i < attempt && upper < maxWait; i++ {
		upper *= 2
	}
	upper = min(upper, maxWait)
	if upper <= minWait {
		return minWait
	}
	return minWait + time.Duration(rand.Int64N(int64(upper-minWait)+1))
}

// waitLimit waits on an API's rate limiter. A wait that would pass the
// context's deadline fails at once, as rate.Limiter does, but with an error
// that wraps context.DeadlineExceeded like the deadline itself would.
func waitLimit(ctx context.Context, lim RateLimiter) error {
	err := lim.Wait(ctx)
	if err == nil || ctx.Err() != nil {
		return err
	}
	if rl, isRate := lim.(*rate.Limiter); !isRate {
		return fmt.Errorf("rate limiter: %w", err)
	} else if _, ok := ctx.Deadline(); ok && rl.Burst() > 0 {
		return fmt.Errorf("client-side rate limit: the wait would pass the deadline: %w", context.DeadlineExceeded)
	}
	return err
}

// refuseDowngrade follows up to 10 redirects, never from https to http.
func refuseDowngrade(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if len(via) > 0 && via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("refusing redirect from https to %s: %w", req.URL.Scheme, ErrInsecureTransport)
	}
	return nil
}

// noDowngrade refuses a redirect from https to http before asking next,
// the redirect policy of the caller's http.Client (refuseDowngrade when nil),
// so that credentials never follow a redirect onto plain http.
func noDowngrade(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	if next == nil {
		return refuseDowngrade
	}
	return func(req *http.Request, via []*http.Request) error {
		if len(via) > 0 && via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
			return fmt.Errorf("refusing redirect from https to %s: %w", req.URL.Scheme, ErrInsecureTransport)
		}
		return next(req, via)
	}
}

// checkTransportSecurity refuses plain http to a host that is not loopback.
func checkTransportSecurity(base string, insecureOK bool) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	if u.Scheme == "https" || insecureOK || isLoopback(u.Hostname()) {
		return nil
	}
	return fmt.Errorf("%w to %s (use https, or WithInsecureHTTP)", ErrInsecureTransport, u.Host)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// authKind says which credentials a call sends.
type authKind int

const (
	authNone         authKind = iota
	authMoviesBearer          // Movies API: Bearer token or API key, required
	authTVmazeBasic           // TVmaze: Basic username:apikey, required
	authTVmazeIfAny           // TVmaze: Basic when the client has credentials
	authTMDb                  // TMDb: Bearer read access token, else api_key query
)

// call describes one endpoint invocation for the pipeline.
type call struct {
	api    API
	method string
	path   string // relative to the API's base URL, no query
	query  any    // struct encoded with go-querystring, or nil
	body   any    // JSON request body, or nil
	form   any    // form request body encoded with go-querystring, or nil
	auth   authKind
	retry  retryMode
	// statuses maps an HTTP status to the endpoint's own sentinel.
	statuses statusTable
	// out receives the decoded success body; nil means none is expected.
	out any
	// status is set by the pipeline to the HTTP status of the answer.
	status int
}

// validator is implemented by response types that can tell whether the
// server sent every field the contract requires.
type validator interface {
	validate() error
}

// tmdbAuth is the api_key query parameter.
type tmdbAuth struct {
	APIKey string `url:"api_key"`
}

// tmdbKeyQuery encodes key as the api_key query parameter, or returns ""
// for an empty key (or one go-querystring cannot encode, which a struct of
// one string field never is).
func tmdbKeyQuery(key string) string {
	if key == "" {
		return ""
	}
	vals, err := query.Values(tmdbAuth{APIKey: key})
	if err != nil {
		return ""
	}
	return vals.Encode()
}

// do runs one call through the pipeline: URL, body, credentials, rate
// limit, retrying transport, capped body read, decode or typed error.
func (c *Client) do(ctx context.Context, cl *call) error {
	if ctx == nil {
		return errors.New("mediaauth: nil context")
	}
	if c == nil || c.s == nil {
		return errors.New("mediaauth: nil or zero Client: use New")
	}
	s := c.s
	idx := cl.api.index()
	base := s.bases[idx]
	if base == "" {
		return fmt.Errorf("mediaauth: %s: no base URL configured (use WithMoviesBaseURL)", cl.api.name())
	}

	// Body.
	var (
		body        []byte
		contentType []string
		err         error
	)
	switch {
	case cl.form != nil:
		vals, qerr := query.Values(cl.form)
		if qerr != nil {
			return fmt.Errorf("mediaauth: %s %s %s: encoding form: %w", cl.api, cl.method, cl.path, qerr)
		}
		body = []byte(vals.Encode())
		contentType = s.hdrForm
	case cl.body != nil:
		body, err = json.Marshal(cl.body)
		if err != nil {
			return fmt.Errorf("mediaauth: %s %s %s: encoding body: %w", cl.api, cl.method, cl.path, err)
		}
		contentType = s.hdrJSON
	}

	// URL and credentials.
	rawQuery := ""
	if cl.query != nil {
		vals, qerr := query.Values(cl.query)
		if qerr != nil {
			return fmt.Errorf("mediaauth: %s %s %s: encoding query: %w", cl.api, cl.method, cl.path, qerr)
		}
		rawQuery = vals.Encode()
	}
	var authHeader string
	switch cl.auth {
	case authMoviesBearer:
		if c.token == "" {
			return fmt.Errorf("mediaauth: %s %s %s: %w: no access token or API key (use WithToken)", cl.api, cl.method, cl.path, ErrMissingCredentials)
		}
		authHeader = "Bearer " + c.token
	case authTVmazeBasic, authTVmazeIfAny:
		if c.tvmaze == nil || c.tvmaze.Username == "" || c.tvmaze.APIKey == "" {
			if cl.auth == authTVmazeBasic {
				return fmt.Errorf("mediaauth: %s %s %s: %w: no TVmaze username and API key (use WithTVmazeCredentials)", cl.api, cl.method, cl.path, ErrMissingCredentials)
			}
		} else {
			authHeader = basicAuth(c.tvmaze.Username, c.tvmaze.APIKey)
		}
	case authTMDb:
		switch {
		case c.tmdbAccess != "":
			authHeader = "Bearer " + c.tmdbAccess
		case c.tmdbAPIKey != "":
			if c.tmdbKeyQuery == "" {
				return fmt.Errorf("mediaauth: %s %s %s: cannot encode the api_key query parameter", cl.api, cl.method, cl.path)
			}
			if rawQuery != "" {
				rawQuery += "&"
			}
			rawQuery += c.tmdbKeyQuery
		default:
			return fmt.Errorf("mediaauth: %s %s %s: %w: no TMDb API key or read access token (use WithTMDbAPIKey or WithTMDbAccessToken)", cl.api, cl.method, cl.path, ErrMissingCredentials)
		}
	}
	target := base + cl.path
	if rawQuery != "" {
		target += "?" + rawQuery
	}

	// The body is a *bytes.Reader, so net/http sets ContentLength and
	// GetBody, and the sender's PrepareRetry rewinds it with GetBody. This
	// costs fewer allocations than retryablehttp.NewRequest's body readers.
	var bodyReader io.Reader
	if body != nil {
		bodyReader = bytes.NewReader(body)
	}
	hreq, err := http.NewRequestWithContext(ctx, cl.method, target, bodyReader)
	if err != nil {
		return fmt.Errorf("mediaauth: %s %s %s: building request: %w", cl.api, cl.method, cl.path, stripURL(err))
	}
	req := &retryablehttp.Request{Request: hreq}
	h := req.Header
	h["Accept"] = s.hdrAccept
	if contentType != nil {
		h["Content-Type"] = contentType
	}
	h["User-Agent"] = s.hdrUserAgent
	if authHeader != "" {
		h["Authorization"] = []string{authHeader}
	}

	// Rate limit, then send.
	if err := waitLimit(ctx, s.limiters[idx]); err != nil {
		if ctx.Err() != nil {
			return c.transportError(ctx, cl, err)
		}
		return fmt.Errorf("mediaauth: %s %s %s: %w", cl.api, cl.method, cl.path, err)
	}
	var start time.Time
	logging := s.logger != nil && s.logger.Enabled(ctx, slog.LevelDebug)
	if logging {
		start = time.Now()
	}
	resp, err := s.senders[idx][cl.retry].Do(req)
	if err != nil {
		if resp != nil {
			drainClose(resp.Body)
		}
		if logging {
			s.logger.LogAttrs(ctx, slog.LevelDebug, "mediaauth: request failed",
				slog.String("api", string(cl.api)), slog.String("method", cl.method),
				slog.String("path", cl.path), slog.String("error", c.transportError(ctx, cl, err).Error()))
		}
		return c.transportError(ctx, cl, err)
	}
	cl.status = resp.StatusCode
	err = c.handleResponse(ctx, cl, resp)
	if logging {
		attrs := []slog.Attr{
			slog.String("api", string(cl.api)), slog.String("method", cl.method),
			slog.String("path", cl.path), slog.Int("status", resp.StatusCode),
			slog.Duration("duration", time.Since(start)),
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		s.logger.LogAttrs(ctx, slog.LevelDebug, "mediaauth: request", attrs...)
	}
	return err
}

// handleResponse reads the capped body and decodes it, or maps the error.
func (c *Client) handleResponse(ctx context.Context, cl *call, resp *http.Response) error {
	s := c.s
	success := resp.StatusCode >= 200 && resp.StatusCode <= 299
	if success && cl.out == nil {
		drainClose(resp.Body)
		return nil
	}
	limit := int64(maxErrorBody)
	if success {
		limit = maxSuccessBody
	}
	buf := s.bufs.Get().(*readBuf)
	buf.Reset()
	buf.lr = io.LimitedReader{R: resp.Body, N: limit + 1}
	defer func() {
		buf.lr.R = nil
		if buf.Cap() <= 64<<10 {
			s.bufs.Put(buf)
		}
	}()
	_, readErr := buf.ReadFrom(&buf.lr)
	tooLarge := int64(buf.Len()) > limit
	// Unless the body was too large or broke, ReadFrom stopped at its end,
	// and closing it keeps the connection; otherwise closing drops it.
	_ = resp.Body.Close()
	if readErr != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("mediaauth: %s %s %s: reading response: %w", cl.api, cl.method, cl.path, ctx.Err())
		}
		return &NetworkError{API: cl.api, Method: cl.method, Path: cl.path, Err: fmt.Errorf("reading %d response: %w", resp.StatusCode, stripURL(readErr))}
	}
	if tooLarge {
		return &APIError{
			API: cl.api, Method: cl.method, Path: cl.path, StatusCode: resp.StatusCode,
			kind:  ErrResponseTooLarge,
			cause: fmt.Errorf("body over %d bytes", limit),
		}
	}
	data := buf.Bytes()
	if !success {
		return c.apiError(cl, resp, data)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" && !isJSONContentType(ct) {
		return malformed(cl, resp.StatusCode, "content type %q, want application/json", truncate(ct, 64))
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return malformed(cl, resp.StatusCode, "empty body")
	}
	if err := json.Unmarshal(data, cl.out); err != nil {
		return malformed(cl, resp.StatusCode, "decoding JSON: %v", err)
	}
	if v, ok := cl.out.(validator); ok {
		if err := v.validate(); err != nil {
			return malformed(cl, resp.StatusCode, "%v", err)
		}
	}
	return nil
}

func isJSONContentType(ct string) bool {
	// The usual forms ("application/json", "application/json;charset=utf-8")
	// without the allocations of mime.ParseMediaType.
	const plain = "application/json"
	if len(ct) >= len(plain) && strings.EqualFold(ct[:len(plain)], plain) &&
		(len(ct) == len(plain) || ct[len(plain)] == ';' || ct[len(plain)] == ' ') {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// drainClose reads what is left of a body, up to maxDrain, so that the
// connection can be reused, and closes it.
func drainClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxDrain))
	_ = body.Close()
}

// NetworkError is returned when a request could not be sent or its answer
// could not be read completely: refused or dropped connections, timeouts,
// truncated bodies. It unwraps to ErrNetwork and to the underlying error.
type NetworkError struct {
	// API, Method and Path (without query) describe the request.
	API    API
	Method string
	Path   string
	// Err is the underlying error, stripped of the request URL.
	Err error
}

// ErrNetwork matches every *NetworkError.
var ErrNetwork = newSentinel("network error")

// Error describes the failure without the request URL's query string.
func (e *NetworkError) Error() string {
	return fmt.Sprintf("mediaauth: %s %s %s: network error: %v", e.API, e.Method, e.Path, e.Err)
}

// Unwrap returns ErrNetwork and the underlying error.
func (e *NetworkError) Unwrap() []error { return []error{ErrNetwork, e.Err} }

// transportError wraps a failure of the transport. A cancelled or expired
// context is returned as such, so that errors.Is(err, context.Canceled) works.
func (c *Client) transportError(ctx context.Context, cl *call, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("mediaauth: %s %s %s: %w", cl.api, cl.method, cl.path, ctxErr)
	}
	return &NetworkError{API: cl.api, Method: cl.method, Path: cl.path, Err: stripURL(err)}
}

// stripURL removes the *url.Error layer, whose text holds the full URL and
// so the TMDb api_key query parameter.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

func basicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// String describes the client without its credentials.
func (c *Client) String() string {
	if c == nil {
		return "mediaauth.Client(nil)"
	}
	var parts []string
	if c.token != "" {
		parts = append(parts, "movies-token:"+redacted)
	}
	if c.tvmaze != nil {
		parts = append(parts, "tvmaze:"+c.tvmaze.Username+":"+redacted)
	}
	if c.tmdbAccess != "" {
		parts = append(parts, "tmdb-access-token:"+redacted)
	}
	if c.tmdbAPIKey != "" {
		parts = append(parts, "tmdb-api-key:"+redacted)
	}
	return "mediaauth.Client{" + strings.Join(parts, " ") + "}"
}

// Format prints the client like String for every verb, so that no
// credential reaches %v, %+v or %#v output.
func (c *Client) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue keeps credentials out of slog output.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }
