package mediaauth

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/time/rate"
)

// retryMode says when the transport may send a call again after the
// server may have received it. Every endpoint has one (see endpoints.go);
// a test audits them against the rule: resent only when repeating the call
// is harmless, and single-use tokens never.
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
	// retryNever: never by the transport; the caller runs its own schedule
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

// Bounds of WithRetry.
const (
	// MaxRetries is the most retries WithRetry accepts.
	MaxRetries = 10
)

// newSender builds the go-retryablehttp client for one API and retry mode.
// Its own logger is off; requests are logged through the slog logger.
func (s *shared) newSender(api API, mode retryMode, cfg *config) *retryablehttp.Client {
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
		// Every retry sends a fresh copy of the body (net/http's GetBody)
		// and waits on the API's rate limiter like a first attempt.
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
			if errors.As(err, &certErr) || errors.Is(err, ErrInsecureTransport) {
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
	rl, isRate := lim.(*rate.Limiter)
	if !isRate {
		return fmt.Errorf("rate limiter: %w", err)
	}
	if _, ok := ctx.Deadline(); ok && rl.Burst() > 0 {
		return fmt.Errorf("client-side rate limit: the wait would pass the deadline: %w", context.DeadlineExceeded)
	}
	return err
}

// sendOpen sends a request of the open pipeline (Client.HTTPClient) to the
// transport, by the same rules as rc, the sender of the SDK's own calls of
// that API and retry mode: rc's CheckRetry, Backoff, RetryMax and
// PrepareRetry (which rewinds the body and waits on the limiter), and the
// per-attempt timeout of keepIdle. It goes to keepIdle directly, not
// through go-retryablehttp's http.Client: the caller's http.Client
// (HTTPClient's) already follows redirects under the origin lock, and a
// second one would copy the request's headers and URL again at each call.
// As with go-retryablehttp's PassthroughErrorHandler, the last answer or
// error is returned as it is.
func (s *shared) sendOpen(ctx context.Context, req *http.Request, rc *retryablehttp.Client) (*http.Response, error) {
	rt := keepIdle{s.httpClient}
	for attempt := 0; ; attempt++ {
		if rc.RequestLogHook != nil {
			rc.RequestLogHook(nil, req, attempt)
		}
		resp, err := rt.RoundTrip(req)
		retry, checkErr := rc.CheckRetry(ctx, resp, err)
		if checkErr != nil {
			err = checkErr
		}
		if !retry || attempt >= rc.RetryMax {
			return resp, err
		}
		if resp != nil {
			drainClose(resp.Body)
		}
		wait := time.NewTimer(rc.Backoff(rc.RetryWaitMin, rc.RetryWaitMax, attempt, resp))
		select {
		case <-ctx.Done():
			wait.Stop()
			return nil, ctx.Err()
		case <-wait.C:
		}
		// A copy for the next attempt: the transport may still hold the
		// last one, whose body it closes.
		next := *req
		req = &next
		if err := rc.PrepareRetry(req); err != nil {
			return nil, err
		}
	}
}
