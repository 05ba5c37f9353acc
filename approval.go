package mediaauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Waiting for a person's approval has one shape for the three flows that
// need one. Starting the flow returns a pending value: an [AuthRequest]
// ([TVmaze.StartAuth]), a [RequestToken] ([TMDb.CreateRequestToken]) or a
// [TMDbV4RequestToken] ([TMDb.CreateV4RequestToken]). Each carries what the
// person needs: ApprovalURL, the page where they approve (empty when TVmaze
// emails them the link instead), Token, and ExpiresAt. Then one wait per
// flow, with the same [WaitOption]s and the same [WaitEvent]s, exchanges
// the token for the credential once the person approved:
//
//	TVmaze       PollUntilConfirmed(ctx, req, opts...)   → *TVmazeCredentials
//	TMDb v3      PollUntilApproved(ctx, rt, opts...)     → *Session
//	TMDb v4      PollUntilApprovedV4(ctx, rt, opts...)   → *TMDbAccessToken
//	TMDb v3, v4  LoginInBrowser, LoginInBrowserV4        the browser comes back to a loopback server
//
// The waits poll on one schedule: one interval before each attempt, twice
// the wait (or the server's Retry-After) after a 429, up to 5 minutes,
// network errors and 5xx answers tried again up to 5 in a row. They end
// when the context ends, without another request, and when the pending
// value expires by the client's clock.

// Defaults of the waits.
const (
	// DefaultPollInterval is TVmaze's documented minimum poll interval, the
	// wait of [TVmaze.PollUntilConfirmed] before each poll.
	DefaultPollInterval = 10 * time.Second
	// DefaultTMDbPollInterval is the wait of [TMDb.PollUntilApproved] and
	// [TMDb.PollUntilApprovedV4] before each attempt.
	DefaultTMDbPollInterval = 2 * time.Second
	// maxPollWait caps the wait after 429 answers.
	maxPollWait = 5 * time.Minute
	// maxPollFailures ends a wait after that many network errors or 5xx
	// answers in a row.
	maxPollFailures = 5
)

// WaitEvent reports one step of a wait for a person's approval to the
// function given to [WithWaitObserver]: an attempt to exchange the pending
// token, or a browser callback that a login refused.
type WaitEvent struct {
	// API is the API whose approval the wait is for.
	API API
	// Attempt counts the attempts to exchange the token, from 1. A refused
	// callback reports the attempts made so far.
	Attempt int
	// StatusCode is the HTTP status of the attempt's answer, 0 when there
	// was none.
	StatusCode int
	// Err is what the attempt said: [ErrAuthorizationPending] (TVmaze) or
	// [ErrRequestTokenNotApproved] (TMDb) while the person has not
	// approved, [ErrCallbackRefused] for a callback of another login, the
	// error that ended the wait, or nil on success.
	Err error
	// NextPoll is the wait before the next attempt; 0 when the wait ended,
	// or when it waits for the browser to come back.
	NextPoll time.Duration
}

// WaitOption changes one wait for a person's approval. The waits take the
// same options: [TVmaze.PollUntilConfirmed], [TMDb.PollUntilApproved],
// [TMDb.PollUntilApprovedV4], [TMDb.LoginInBrowser] and
// [TMDb.LoginInBrowserV4]. An option that a wait has no use for
// ([WithCallbackPort] for a poll, [WithPollInterval] for a browser login)
// makes it fail with [ErrInvalidArgument] before anything is sent.
type WaitOption func(*waitConfig) error

// waitConfig is what the options of one wait say.
type waitConfig struct {
	interval time.Duration // 0: the API's default
	fast     bool
	grace    time.Duration
	observer func(WaitEvent)
	opener   PageOpener
	port     int
	portSet  bool
	maxWait  time.Duration
	maxErrs  int
}

// WithPollInterval sets the wait before each attempt of a polling wait
// (default [DefaultPollInterval] for TVmaze, [DefaultTMDbPollInterval] for
// TMDb). TVmaze asks for at least 10 seconds: [TVmaze.PollUntilConfirmed]
// refuses a shorter interval unless its base URL is a loopback test server
// or [WithFastPolling] is given.
func WithPollInterval(d time.Duration) WaitOption {
	return func(c *waitConfig) error {
		if d <= 0 {
			return fmt.Errorf("WithPollInterval: interval must be positive, got %s", d)
		}
		c.interval = d
		return nil
	}
}

// WithFastPolling lets [WithPollInterval] go under TVmaze's 10 seconds
// against a TVmaze base URL that is not loopback: a test server on another
// host, say. TVmaze itself answers faster polls with 429.
func WithFastPolling() WaitOption {
	return func(c *waitConfig) error {
		c.fast = true
		return nil
	}
}

// WithPollAnswerGrace sets how long an attempt whose answer has started to
// arrive may go on reading it after the caller's context ended (default
// [DefaultPollAnswerGrace], at most [MaxPollAnswerGrace]). TVmaze hands a
// key out once, and a TMDb request token makes one session or access
// token: the grace keeps a credential already on its way from being thrown
// away. Zero honours the context's end exactly.
func WithPollAnswerGrace(d time.Duration) WaitOption {
	return func(c *waitConfig) error {
		if d < 0 || d > MaxPollAnswerGrace {
			return fmt.Errorf("WithPollAnswerGrace: %s outside 0..%s", d, MaxPollAnswerGrace)
		}
		c.grace = d
		return nil
	}
}

// WithWaitObserver makes the wait report each step to fn, for progress
// output. fn runs on the waiting goroutine and must not block long.
func WithWaitObserver(fn func(WaitEvent)) WaitOption {
	return func(c *waitConfig) error {
		if fn == nil {
			return errors.New("WithWaitObserver: nil function")
		}
		c.observer = fn
		return nil
	}
}

// WithPageOpener makes the wait show the person the pending value's page
// (its ApprovalURL) with open before it waits: print it, or open a
// browser ([SystemBrowser]). An error of open ends the wait with that
// error. A polling wait whose pending value has no page (TVmaze emailed
// the link) does not call it. The browser logins use [SystemBrowser] when
// no opener is given.
func WithPageOpener(open PageOpener) WaitOption {
	return func(c *waitConfig) error {
		if open == nil {
			return errors.New("WithPageOpener: nil opener")
		}
		c.opener = open
		return nil
	}
}

// WithCallbackPort makes a browser login ([TMDb.LoginInBrowser]) listen
// on that loopback port (default: any free port).
func WithCallbackPort(port int) WaitOption {
	return func(c *waitConfig) error {
		if port < 0 || port > 65535 {
			return fmt.Errorf("WithCallbackPort: %d is not a port", port)
		}
		c.port, c.portSet = port, true
		return nil
	}
}

// waitKind is what a wait does while the person approves.
type waitKind uint8

const (
	waitPoll    waitKind = iota // polls the exchange
	waitBrowser                 // waits for the browser's callback
)

// newWaitConfig applies opts for a wait of kind, named method in errors.
func newWaitConfig(method string, kind waitKind, opts []WaitOption) (waitConfig, error) {
	cfg := waitConfig{grace: DefaultPollAnswerGrace, maxWait: maxPollWait, maxErrs: maxPollFailures}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&cfg); err != nil {
			return cfg, argError(method, "%s", err.Error())
		}
	}
	switch {
	case kind == waitPoll && cfg.portSet:
		return cfg, argError(method, "WithCallbackPort is for the browser logins")
	case kind == waitBrowser && (cfg.interval != 0 || cfg.fast):
		return cfg, argError(method, "a browser login waits for the browser: WithPollInterval and WithFastPolling are for the polling waits")
	}
	return cfg, nil
}

// checkTVmazeInterval refuses an interval under TVmaze's 10 seconds against
// a base URL that is not loopback, unless the caller opted in.
func (c *waitConfig) checkTVmazeInterval(base string) error {
	if c.interval == 0 || c.interval >= DefaultPollInterval || c.fast {
		return nil
	}
	u, err := url.Parse(base)
	if err == nil && isLoopback(u.Hostname()) {
		return nil
	}
	return argError("TVmaze.PollUntilConfirmed", "WithPollInterval: %s is under TVmaze's 10 s minimum for %s (loopback test servers excepted; WithFastPolling opts in)",
		c.interval, urlWithoutQuery(base))
}

// startWait checks what every wait checks before it sends anything (a
// context, a usable handle, the pending token) and shows the person the
// page with the wait's opener, if it has one and there is a page.
func (h *handle) startWait(ctx context.Context, method string, cfg *waitConfig, page, token string) error {
	if ctx == nil {
		return fmt.Errorf("mediaauth: %s: nil context: %w", method, ErrInvalidArgument)
	}
	if err := h.usable(); err != nil {
		return err
	}
	if err := requireArgs(method, "token", token); err != nil {
		return err
	}
	if cfg.opener == nil || page == "" {
		return nil
	}
	if _, err := cfg.opener(ctx, page); err != nil {
		err = fmt.Errorf("mediaauth: %s: showing the approval page: %w", method, err)
		return scrubError(err, h.creds.secrets(), appendSecret(nil, token))
	}
	return nil
}

// observe reports ev to the observer, if any.
func (c *waitConfig) observe(ev WaitEvent) {
	if c.observer != nil {
		c.observer(ev)
	}
}

// poller runs one polling wait: an attempt once per interval until one
// gives the credential or an error that ends the wait.
type poller struct {
	api     API
	method  string
	cfg     *waitConfig
	pending error     // the answer that means "not approved yet"
	expires time.Time // when the pending value expires; zero when unknown
	now     func() time.Time
	// observer is the client's [Observer], told of every attempt; nil for
	// none.
	observer Observer
	status   int // the HTTP status of the last answer
}

// attemptFunc makes one attempt to exchange the pending token and returns
// the HTTP status of the answer (0 for none).
type attemptFunc func(ctx context.Context) (status int, err error)

// run waits and attempts until attempt succeeds (nil), an answer ends the
// wait, ctx ends, or the pending value expires.
func (p *poller) run(ctx context.Context, attempt attemptFunc) error {
	sched := pollSchedule{interval: p.cfg.interval, wait: p.cfg.interval, maxWait: p.cfg.maxWait, maxErrs: p.cfg.maxErrs, pending: p.pending}
	timer := time.NewTimer(p.bounded(sched.wait))
	defer timer.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return p.stopped(ctx, n-1, sched.last)
		case <-timer.C:
		}
		// A timer and ctx ending together: ctx wins, no request is sent.
		if ctx.Err() != nil {
			return p.stopped(ctx, n-1, sched.last)
		}
		if !p.expires.IsZero() && !p.now().Before(p.expires) {
			return p.expired(sched.last)
		}
		status, err := attempt(ctx)
		p.status = status
		if err == nil {
			p.observe(ctx, WaitEvent{API: p.api, Attempt: n, StatusCode: status})
			return nil
		}
		if ctx.Err() != nil {
			// ctx ended while the attempt was in flight.
			p.observe(ctx, WaitEvent{API: p.api, Attempt: n, StatusCode: status, Err: err})
			if errors.Is(err, ctx.Err()) {
				err = sched.last
			}
			return p.stopped(ctx, n, err)
		}
		if err := sched.next(status, err); err != nil {
			p.observe(ctx, WaitEvent{API: p.api, Attempt: n, StatusCode: status, Err: sched.last})
			return err
		}
		wait := p.bounded(sched.wait)
		p.observe(ctx, WaitEvent{API: p.api, Attempt: n, StatusCode: status, Err: err, NextPoll: wait})
		timer.Reset(wait)
	}
}

// runObserved is run, told to h's Observer as one operation whose
// requests use httpMethod, each attempt as an [EventPoll].
func (p *poller) runObserved(ctx context.Context, h *handle, httpMethod string, attempt attemptFunc) error {
	ctx, ob := h.observeCall(ctx, p.method, httpMethod)
	p.observer = h.e.s.observer
	err := p.run(ctx, attempt)
	ob.end(p.status, err)
	return err
}

// observe reports an attempt to the wait's observer and to the client's
// Observer, if any.
func (p *poller) observe(ctx context.Context, ev WaitEvent) {
	p.cfg.observe(ev)
	if p.observer != nil {
		p.observer.Observe(ctx, Event{Kind: EventPoll, API: p.api, Operation: p.method,
			Attempt: ev.Attempt, StatusCode: ev.StatusCode, Outcome: p.outcome(ctx, ev),
			Wait: ev.NextPoll, Err: ev.Err, ErrorType: errorType(ev.Err)})
	}
}

// outcome is the Outcome of the [EventPoll] that reports ev.
func (p *poller) outcome(ctx context.Context, ev WaitEvent) string {
	switch {
	case ev.Err == nil:
		return PollConfirmed
	case errors.Is(ev.Err, p.pending):
		return PollPending
	case ev.StatusCode == http.StatusTooManyRequests:
		return PollRateLimited
	case errors.Is(ev.Err, ErrAuthRequestNotFound):
		return PollNotFound
	case ctx.Err() != nil:
		return PollCanceled
	}
	return PollFailed
}

// bounded shortens a wait that would end after the pending value expires.
func (p *poller) bounded(wait time.Duration) time.Duration {
	if p.expires.IsZero() {
		return wait
	}
	return max(min(wait, p.expires.Sub(p.now())), 0)
}

// expired is the error of a wait whose pending value expired; it wraps
// the last answer (the "not yet" of the API), if there was one.
func (p *poller) expired(last error) error {
	if last == nil {
		last = p.pending
	}
	return fmt.Errorf("mediaauth: %s: the request expired before the person approved it: %w", p.method, last)
}

// stopped is the error of a wait that ctx ended after attempts attempts;
// it wraps ctx.Err() and names the last answer, when there was one.
func (p *poller) stopped(ctx context.Context, attempts int, last error) error {
	return waitStopped(p.method, ctx.Err(), attempts, last)
}

// waitStopped is the error of a wait that ended early because of why. It
// names the last answer but does not wrap it: the wait is over, and a
// caller that keeps waiting on ErrAuthorizationPending must not loop.
func waitStopped(method string, why error, attempts int, last error) error {
	if last == nil {
		return fmt.Errorf("mediaauth: %s: stopped after %d attempts: %w", method, attempts, why)
	}
	return fmt.Errorf("mediaauth: %s: stopped after %d attempts: %w (last answer: %v)", method, attempts, why, last)
}

// pollSchedule is the state of a polling wait between two attempts.
type pollSchedule struct {
	interval time.Duration
	wait     time.Duration // before the next attempt
	maxWait  time.Duration
	maxErrs  int
	pending  error
	failures int   // network errors and 5xx in a row
	last     error // the last attempt's error
}

// next takes the error of an attempt (status its HTTP status) and sets the
// wait before the next one, or returns the error that ends the wait.
func (p *pollSchedule) next(status int, err error) error {
	p.last = err
	var apiErr *APIError
	isAPIErr := errors.As(err, &apiErr)
	switch {
	case errors.Is(err, p.pending):
		p.failures, p.wait = 0, p.interval
	case status == 429 || errors.Is(err, ErrRateLimited):
		p.failures = 0
		p.wait = nextPollWait(p.wait, p.interval, p.maxWait, true, retryAfterOf(apiErr, isAPIErr))
	case errors.Is(err, ErrNetwork) || errors.Is(err, ErrServer):
		p.failures++
		if p.failures >= max(p.maxErrs, 1) {
			return fmt.Errorf("mediaauth: giving up after %d failed attempts in a row: %w", p.failures, err)
		}
		p.wait = nextPollWait(p.wait, p.interval, p.maxWait, false, retryAfterOf(apiErr, isAPIErr))
	default:
		// Every other answer ends the wait.
		return err
	}
	return nil
}
