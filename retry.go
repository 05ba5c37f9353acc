package mediaauth

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/time/rate"
)

// retryMode says when the engine may send a request again after the
// server may have received it. A request's mode is its method's (see
// modeOf), unless its endpoint says otherwise (see endpoints.go); a test
// audits every endpoint against the rule: resent only when repeating the
// call is harmless, and single-use tokens never.
type retryMode int

const (
	// retryIdempotent: on network errors, 429 and 5xx. For calls that
	// change nothing more when repeated: GET, PUT of a whole value, DELETE.
	retryIdempotent retryMode = iota
	// retryUnsafe: only when the server certainly did not act on the call:
	// the connection was refused before sending, 429, or 503 with
	// Retry-After. For every call that creates something or spends a
	// single-use token.
	retryUnsafe
	// retryNever: never by the engine; the caller runs its own schedule
	// (the TVmaze poll, whose answer is handed out once).
	retryNever
	numRetryModes
)

// String names the mode, for tests and logs.
func (m retryMode) String() string {
	switch m {
	case retryIdempotent:
		return "idempotent"
	case retryUnsafe:
		return "only-if-not-received"
	case retryNever:
		return "never"
	}
	return "unknown"
}

// MaxRetries is the most retries [WithRetry] accepts.
const MaxRetries = 10

// resendModes maps a method and a URL path to the resend mode of the
// endpoint there, for the endpoints whose mode is not their method's (see
// endpoints.go). Every door of an API shares it: a request's mode does not
// depend on the door it came through.
type resendModes map[string]map[string]retryMode

// of is the resend mode of req: its endpoint's when the table has it, else
// its method's.
func (t resendModes) of(req *http.Request) retryMode {
	if m, ok := t[req.Method][req.URL.Path]; ok {
		return m
	}
	return methodMode(req.Method)
}

// methodMode is the resend mode of a method.
func methodMode(method string) retryMode {
	if idempotentMethod(method) {
		return retryIdempotent
	}
	return retryUnsafe
}

// retry is the stage that resends: go-retryablehttp, one client per
// resend mode, sending through the stages below it. Each retry waits on
// the API's rate limiter like a first attempt and sends a fresh copy of
// the body (net/http's GetBody).
//
// The first attempt of every request goes straight to the stage below,
// without go-retryablehttp's Client.Do and the http.Client it sends
// through (a slice of requests, a header copier and its copy of the
// headers, on every request). Its answer or error is given to the same
// CheckRetry go-retryablehttp is configured with, which is free of side
// effects: when it would not resend, the result is what go-retryablehttp
// returns after one attempt (with PassthroughErrorHandler: the answer, or
// the error as it is). When it would, the request is handed to
// go-retryablehttp's Client.Do, whose http.Client sends through a replay
// stage (see replay) that answers its first attempt with the answer
// already received, so that go-retryablehttp decides every retry,
// computes every back-off and runs the whole loop, and the first attempt
// is neither sent, logged nor observed twice.
type retry struct {
	clients [numRetryModes]*retryablehttp.Client
	modes   resendModes
	// next is the stage below, which the first attempt goes to; the
	// clients send through replay over next.
	next http.RoundTripper
	api  API
	obs  Observer // nil: no observation
}

// RoundTrip sends req with the retries its mode allows. As with
// go-retryablehttp's PassthroughErrorHandler, the last answer or error is
// returned as it is.
func (s *retry) RoundTrip(req *http.Request) (*http.Response, error) {
	rc := s.clients[s.modes.of(req)]
	if s.obs != nil {
		rc, req = s.observed(rc, req)
	}
	if rc.RetryMax > 0 && req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		var err error
		if req, err = bufferBody(req); err != nil {
			return nil, fmt.Errorf("reading the request body: %w", err)
		}
	}
	resp, err := s.attempt(req)
	again, checkErr := rc.CheckRetry(req.Context(), resp, err)
	if again && rc.RetryMax > 0 {
		return s.retries(rc, req, resp, err)
	}
	if checkErr != nil {
		err = checkErr
	}
	if err != nil {
		if resp != nil {
			drainClose(resp.Body)
		}
		return nil, err
	}
	return resp, nil
}

// attempt sends req once through the stages below, as go-retryablehttp's
// http.Client would (it follows no redirect): an error without an answer,
// or an answer with a body.
func (s *retry) attempt(req *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(req)
	switch {
	case err != nil:
		if resp != nil && resp.Body != nil {
			_ = resp.Body.Close()
		}
		return nil, err
	case resp == nil:
		return nil, errors.New("the transport returned neither an answer nor an error")
	case resp.Body == nil:
		// As http.Client does: a body is never nil.
		resp.Body = http.NoBody
	}
	return resp, nil
}

// retries hands req, whose first attempt got resp or err, to rc, which
// resends it as its policy says; its first attempt gets resp or err again
// from the replay stage.
func (s *retry) retries(rc *retryablehttp.Client, req *http.Request, resp *http.Response, err error) (*http.Response, error) {
	first := &firstAnswer{resp: resp, err: err}
	rr := retryRequests.Get().(*retryablehttp.Request)
	rr.Request = req.WithContext(context.WithValue(req.Context(), firstAnswerKey{}, first))
	resp, err = rc.Do(rr)
	rr.Request = nil
	retryRequests.Put(rr)
	if !first.replayed && first.resp != nil {
		// Not given back (go-retryablehttp returned before its first
		// attempt): the answer's connection is still ours to free.
		drainClose(first.resp.Body)
	}
	if err != nil {
		if resp != nil {
			drainClose(resp.Body)
		}
		if ue, ok := err.(*url.Error); ok {
			// The error of the stage below, as the first attempt returns
			// it, without the layer go-retryablehttp's http.Client adds.
			err = ue.Err
		}
		return nil, err
	}
	return resp, nil
}

// retryRequests are the wrappers go-retryablehttp sends, reused: a wrapper
// is only read during the Do it is given to.
var retryRequests = sync.Pool{New: func() any { return new(retryablehttp.Request) }}

// firstAnswerKey is the context key of a request's firstAnswer.
type firstAnswerKey struct{}

// firstAnswer is the answer or error the first attempt of a request got,
// before the request was handed to go-retryablehttp; replayed is set once
// the replay stage has given it back.
type firstAnswer struct {
	resp     *http.Response
	err      error
	replayed bool
}

// replay is the transport of go-retryablehttp's http.Client: the first
// attempt of a request handed over with a firstAnswer gets that answer
// back; every other attempt goes to next. go-retryablehttp sends the
// attempts of one request one after the other, from one goroutine.
type replay struct{ next http.RoundTripper }

// RoundTrip gives back a request's first answer once, and sends the rest.
func (s *replay) RoundTrip(req *http.Request) (*http.Response, error) {
	if first, ok := req.Context().Value(firstAnswerKey{}).(*firstAnswer); ok && !first.replayed {
		first.replayed = true
		return first.resp, first.err
	}
	return s.next.RoundTrip(req)
}

// bufferBody returns a copy of req whose body, read into memory, can be
// sent again (a caller's request through HTTPClient, say).
func bufferBody(req *http.Request) (*http.Request, error) {
	data, err := io.ReadAll(req.Body)
	closeBody(req)
	if err != nil {
		return nil, err
	}
	out := *req
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	out.Body, _ = out.GetBody()
	return &out, nil
}

// newRetry builds the retry stage of one API over next: its clients send
// through an http.Client that never follows redirects (the engine's own
// http.Client does, under the origin lock).
// retryPolicy is how often and after how long the retry stage resends.
type retryPolicy struct {
	retries          int
	minWait, maxWait time.Duration
}

func newRetry(api API, p retryPolicy, modes resendModes, s *shared, limiter RateLimiter, next http.RoundTripper) *retry {
	hc := &http.Client{
		Transport:     &replay{next: next},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	stage := &retry{modes: modes, next: next, api: api, obs: s.observer}
	for mode := range numRetryModes {
		retries := p.retries
		if mode == retryNever {
			retries = 0
		}
		rc := &retryablehttp.Client{
			HTTPClient:   hc,
			RetryWaitMin: p.minWait,
			RetryWaitMax: p.maxWait,
			RetryMax:     retries,
			CheckRetry:   checkRetry(mode),
			Backoff:      s.backoff,
			ErrorHandler: retryablehttp.PassthroughErrorHandler,
			PrepareRetry: func(req *http.Request) error {
				if !rewind(req) {
					return errors.New("the request body cannot be read again")
				}
				return waitObserved(req.Context(), limiter, s.observer, api)
			},
		}
		if s.logger != nil {
			rc.RequestLogHook = retryLog(api, s.logger)
		}
		stage.clients[mode] = rc
	}
	return stage
}

// retryLog logs each retry at debug level.
func retryLog(api API, logger *slog.Logger) retryablehttp.RequestLogHook {
	return func(_ retryablehttp.Logger, req *http.Request, attempt int) {
		if attempt > 0 {
			logger.LogAttrs(req.Context(), slog.LevelDebug, "mediaauth: retrying",
				slog.String("api", string(api)), slog.String("method", req.Method),
				slog.String("path", req.URL.Path), slog.Int("attempt", attempt+1))
		}
	}
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
			return retryError(mode, err), nil
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

// retryError reports whether a failed attempt may be sent again.
func retryError(mode retryMode, err error) bool {
	if notSent(err) {
		return true
	}
	if mode == retryUnsafe {
		// The server may have received and acted on the request.
		return false
	}
	// Errors that will not go away with a retry.
	var certErr *tls.CertificateVerificationError
	return !errors.As(err, &certErr) && !errors.Is(err, ErrInsecureTransport) && !errors.Is(err, ErrInvalidArgument)
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
// honours Retry-After (seconds or HTTP date) on 429 and 503 up to maxWait.
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

// waitLimit waits on an API's rate limiter (nil for none). A wait that
// would pass the context's deadline fails at once, as rate.Limiter does,
// but with an error that wraps context.DeadlineExceeded like the deadline
// itself would.
func waitLimit(ctx context.Context, lim RateLimiter) error {
	if lim == nil {
		// No limit: only the context's end stops the request, as
		// rate.Limiter.Wait does with rate.Inf.
		return ctx.Err()
	}
	err := lim.Wait(ctx)
	if err == nil || ctx.Err() != nil {
		return err
	}
	rl, isRate := lim.(*rate.Limiter)
	if !isRate {
		return fmt.Errorf("rate limiter: %w", err)
	}
	if _, ok := ctx.Deadline(); ok && rl.Burst() > 0 {
		return fmt.Errorf("client-side rate limit: the wait would pass the deadline: %w", context.DeadlineExceeded)
	}
	return err
}
