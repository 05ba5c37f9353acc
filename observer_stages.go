package mediaauth

import (
	"context"
	"net/http"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Where the engine's stages tell the Observer what they do: the rate-limit
// wait (limit stage and retries), each retry (retry stage), each attempt
// (attemptStage, above the observe stage) and renewals (the token sources,
// which find the Observer in the context renewalStage gives them); the
// calls are told in observer_calls.go. The two stages are in the engine
// only when the client has an Observer. Every hook starts with a nil
// check: a client without an Observer does no work and makes no
// allocation for it (TestNilObserverAllocs).

// waitObserved waits on lim as waitLimit does, and tells o (if any) how
// long it waited.
func waitObserved(ctx context.Context, lim RateLimiter, o Observer, api API) error {
	if o == nil {
		return waitLimit(ctx, lim)
	}
	start := time.Now()
	err := waitLimit(ctx, lim)
	o.Observe(ctx, Event{Kind: EventRateLimitWait, API: api, Wait: time.Since(start), Err: err, ErrorType: errorType(err)})
	return err
}

// attemptsKey is the context key of the *attempts of one request, which
// the retry stage sets when the client has an Observer.
type attemptsKey struct{}

// attempts counts the attempts of one request. They are sent one after
// the other, on the goroutine of the retry stage.
type attempts struct{ n int }

// nextAttempt returns the number of the attempt about to be sent, 0 when
// the request is not counted.
func nextAttempt(ctx context.Context) int {
	a, ok := ctx.Value(attemptsKey{}).(*attempts)
	if !ok {
		return 0
	}
	a.n++
	return a.n
}

// observed returns a client like rc that tells the Observer of each
// retry, and req with a context that counts its attempts.
func (s *retry) observed(rc *retryablehttp.Client, req *http.Request) (*retryablehttp.Client, *http.Request) {
	ctx := context.WithValue(req.Context(), attemptsKey{}, &attempts{})
	o, api := s.obs, s.api
	backoff := rc.Backoff
	c := &retryablehttp.Client{
		HTTPClient:     rc.HTTPClient,
		RetryWaitMin:   rc.RetryWaitMin,
		RetryWaitMax:   rc.RetryWaitMax,
		RetryMax:       rc.RetryMax,
		CheckRetry:     rc.CheckRetry,
		ErrorHandler:   rc.ErrorHandler,
		PrepareRetry:   rc.PrepareRetry,
		RequestLogHook: rc.RequestLogHook,
		Backoff: func(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
			wait := backoff(minWait, maxWait, attempt, resp)
			status := 0
			if resp != nil {
				status = resp.StatusCode
			}
			o.Observe(ctx, Event{Kind: EventRetry, API: api, Attempt: attempt + 2, Reason: retryReason(status), Wait: wait, StatusCode: status})
			return wait
		},
	}
	return c, req.WithContext(ctx)
}

// attemptStage is the stage above observe that tells the Observer of each
// attempt: its scrubbed URL and number, then its status or error kind.
// observeAttempts puts it in only when the client has an Observer.
type attemptStage struct {
	api API
	obs Observer
	// secrets are those of the credentials given to New.
	secrets []string
	next    http.RoundTripper
}

// observeAttempts returns next, behind an attemptStage when s has an
// Observer.
func observeAttempts(api API, s *shared, next http.RoundTripper) http.RoundTripper {
	if s.observer == nil {
		return next
	}
	return &attemptStage{api: api, obs: s.observer, secrets: s.secrets, next: next}
}

// RoundTrip sends one attempt and tells the Observer of it.
func (s *attemptStage) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	ev := Event{Kind: EventAttemptStart, API: s.api, Method: req.Method, Attempt: nextAttempt(ctx)}
	if req.URL != nil {
		u := *req.URL
		u.RawQuery, u.Fragment, u.User, u.ForceQuery = "", "", nil, false
		ev.URL = scrub(u.String(), requestSecrets(req), contextSecrets(ctx), s.secrets)
	}
	actx := s.obs.Observe(ctx, ev)
	if actx != nil && actx != ctx {
		req = req.WithContext(actx)
	} else {
		actx = ctx
	}
	start := time.Now()
	resp, err := s.next.RoundTrip(req)
	ev.Kind, ev.Duration = EventAttemptEnd, time.Since(start)
	if err != nil {
		ev.Err = err
		if ev.ErrorType = errorType(err); ev.ErrorType == "other" {
			ev.ErrorType = "network"
		}
	} else {
		ev.StatusCode = resp.StatusCode
	}
	s.obs.Observe(actx, ev)
	return resp, err
}

// renewalStage is the stage above the credential stage that gives the
// token source of a renewing credential the Observer, in the context of
// the request, so that it can report its renewals. observeRenewals puts it
// in only when the client has an Observer.
type renewalStage struct {
	creds *credentialSet
	obs   Observer
	next  http.RoundTripper
}

// observeRenewals returns next, behind a renewalStage when s has an
// Observer.
func observeRenewals(s *shared, creds *credentialSet, next http.RoundTripper) http.RoundTripper {
	if s.observer == nil {
		return next
	}
	return &renewalStage{creds: creds, obs: s.observer, next: next}
}

// RoundTrip passes req on, with the Observer in its context when the
// application credential renews itself.
func (s *renewalStage) RoundTrip(req *http.Request) (*http.Response, error) {
	if a := s.creds.app; a != nil {
		if _, ok := a.auth.(renewer); ok {
			req = req.WithContext(withObserver(req.Context(), s.obs))
		}
	}
	return s.next.RoundTrip(req)
}

// reportRenewal tells the Observer ctx carries (if any) of a renewal that
// began at start.
func reportRenewal(ctx context.Context, reason, outcome string, start time.Time, err error) {
	o := observerFrom(ctx)
	if o == nil {
		return
	}
	o.Observe(ctx, Event{Kind: EventRenewal, API: APIMovies, Reason: reason, Outcome: outcome,
		Duration: time.Since(start), Err: err, ErrorType: errorType(err)})
}
