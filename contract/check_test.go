package contract_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// prismProblemType prefixes the type of every problem+json body Prism
// makes up itself (invalid request, invalid response with --errors, no
// matching path, unknown status...).
const prismProblemType = "https://stoplight.io/prism/errors#"

// exchange is one request sent through Prism and what Prism said about it.
type exchange struct {
	Op     *specOp // nil when the request matches no wrapped operation
	Method string
	Path   string
	Prefer int // the status asked for with "Prefer: code=N", or 0
	Status int
	// Violations are Prism's reports: the sl-violations header, or the
	// problem+json body it answers with in place of the API's.
	Violations []string
}

// contractLog tallies, for one mode (mock or proxy), which statuses of
// which operation went through Prism.
type contractLog struct {
	mode string
	mu   sync.Mutex
	seen map[*specOp]map[int]int
}

func newContractLog(mode string) *contractLog {
	return &contractLog{mode: mode, seen: map[*specOp]map[int]int{}}
}

func (l *contractLog) add(ex exchange) {
	if ex.Op == nil || len(ex.Violations) > 0 {
		return // failed the test already; does not count as covered
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen[ex.Op] == nil {
		l.seen[ex.Op] = map[int]int{}
	}
	l.seen[ex.Op][ex.Status]++
}

// statuses returns the statuses seen for op, ascending.
func (l *contractLog) statuses(op *specOp) []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]int, 0, len(l.seen[op]))
	for s := range l.seen[op] {
		out = append(out, s)
	}
	sort.Ints(out)
	return out
}

// probe collects the exchanges of one SDK call; it travels in the call's
// context, so calls can run in parallel.
type probe struct {
	mu        sync.Mutex
	exchanges []exchange
}

func (p *probe) add(ex exchange) {
	p.mu.Lock()
	p.exchanges = append(p.exchanges, ex)
	p.mu.Unlock()
}

func (p *probe) list() []exchange {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]exchange(nil), p.exchanges...)
}

type (
	probeKey  struct{}
	preferKey struct{}
)

// withProbe returns a context whose requests are recorded in a new probe.
func withProbe(ctx context.Context) (context.Context, *probe) {
	p := &probe{}
	return context.WithValue(ctx, probeKey{}, p), p
}

// withPrefer makes the requests of ctx ask Prism for status code.
func withPrefer(ctx context.Context, code int) context.Context {
	return context.WithValue(ctx, preferKey{}, code)
}

// checkingTransport sends requests to Prism, adds "Prefer: code=N" when
// the request's context asks for it, and records what Prism reports.
type checkingTransport struct {
	next  http.RoundTripper
	index *specIndex
	// contracts maps a Prism's host:port to the contract it checks.
	contracts map[string]*contractFile
	log       *contractLog
}

// RoundTrip implements http.RoundTripper.
func (rt *checkingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	ex := exchange{Method: req.Method, Path: req.URL.Path}
	cf, known := rt.contracts[req.URL.Host]
	if known {
		ex.Op = rt.index.lookup(cf, req.Method, req.URL.Path)
	}
	if code, ok := ctx.Value(preferKey{}).(int); ok && code != 0 {
		ex.Prefer = code
		req = req.Clone(ctx)
		req.Header.Set("Prefer", "code="+strconv.Itoa(code))
	}
	resp, err := rt.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	ex.Status = resp.StatusCode
	ex.Violations, err = prismViolations(resp)
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	if !known {
		ex.Violations = append(ex.Violations, "request to "+req.URL.Host+", which is none of the Prisms")
	} else if ex.Op == nil {
		ex.Violations = append(ex.Violations, fmt.Sprintf("%s %s is no operation of the %s contract that the SDK wraps", req.Method, req.URL.Path, cf.name))
	}
	if p, ok := ctx.Value(probeKey{}).(*probe); ok {
		p.add(ex)
	}
	if rt.log != nil {
		rt.log.add(ex)
	}
	return resp, nil
}

// prismViolations returns what Prism reports about an exchange: the
// entries of its sl-violations header and, when it answered with a
// problem of its own instead of the API's answer, that problem. A body it
// reads is put back for the caller.
func prismViolations(resp *http.Response) ([]string, error) {
	var out []string
	for _, h := range resp.Header.Values("sl-violations") {
		var vs []struct {
			Location []string `json:"location"`
			Severity string   `json:"severity"`
			Code     any      `json:"code"`
			Message  string   `json:"message"`
		}
		if err := json.Unmarshal([]byte(h), &vs); err != nil {
			out = append(out, "sl-violations: "+h)
			continue
		}
		for _, v := range vs {
			out = append(out, fmt.Sprintf("%s %s: %s", strings.Join(v.Location, "."), v.Severity, v.Message))
		}
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != "application/problem+json" {
		return out, nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading Prism's problem body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	var problem struct {
		Type       string `json:"type"`
		Title      string `json:"title"`
		Detail     string `json:"detail"`
		Validation []struct {
			Location []string `json:"location"`
			Message  string   `json:"message"`
		} `json:"validation"`
	}
	if json.Unmarshal(data, &problem) != nil || !strings.HasPrefix(problem.Type, prismProblemType) {
		return out, nil
	}
	msg := fmt.Sprintf("Prism %s: %s: %s", strings.TrimPrefix(problem.Type, prismProblemType), problem.Title, problem.Detail)
	for _, v := range problem.Validation {
		msg += fmt.Sprintf("; %s: %s", strings.Join(v.Location, "."), v.Message)
	}
	return append(out, msg), nil
}

// contractClient builds a Client whose requests go through rt, a
// checkingTransport (or a tmdbRouter in front of one): no retries, no
// client-side rate limits, short poll interval; opts set base URLs and
// credentials.
func contractClient(t testing.TB, rt http.RoundTripper, opts ...mediaauth.Option) *mediaauth.Client {
	t.Helper()
	hc := &http.Client{Transport: rt, Timeout: 30 * time.Second}
	base := []mediaauth.Option{
		mediaauth.WithHTTPClient(hc),
		mediaauth.WithRetry(0, 0, 0),
		mediaauth.WithRateLimit(mediaauth.APIMovies, rate.Inf, 0),
		mediaauth.WithRateLimit(mediaauth.APITVmaze, rate.Inf, 0),
		mediaauth.WithRateLimit(mediaauth.APITMDb, rate.Inf, 0),
	}
	c, err := mediaauth.New(append(base, opts...)...)
	require.NoError(t, err)
	return c
}

// reporter is the part of testing.TB the checks use, so that a test can
// check that they report.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// checkExchanges reports every violation in exs, a call that sent no
// request, and requests for other operations than want (want nil: any
// wrapped operation).
func checkExchanges(t reporter, what string, exs []exchange, want *specOp) {
	t.Helper()
	if len(exs) == 0 {
		t.Errorf("%s: no request went through Prism", what)
		return
	}
	for _, ex := range exs {
		if len(ex.Violations) > 0 {
			t.Errorf("%s: %s %s (answer %d) breaks the contract:\n  %s", what, ex.Method, ex.Path, ex.Status, strings.Join(ex.Violations, "\n  "))
		}
		if want != nil && ex.Op != want {
			t.Errorf("%s: sent %s %s (%v), want %s %s", what, ex.Method, ex.Path, ex.Op, want.Method, want.Path)
		}
		if ex.Prefer != 0 && ex.Status != ex.Prefer {
			t.Errorf("%s: asked Prism for %d, got %d", what, ex.Prefer, ex.Status)
		}
	}
}

// contractCall runs one SDK call through Prism, optionally asking for
// status prefer, and fails t on any contract violation. It returns the
// statuses Prism answered and the call's error.
func contractCall(t testing.TB, want *specOp, prefer int, fn func(ctx context.Context) error) ([]int, error) {
	t.Helper()
	ctx, p := withProbe(t.Context())
	if prefer != 0 {
		ctx = withPrefer(ctx, prefer)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := fn(ctx)
	exs := p.list()
	what := "call"
	if want != nil {
		what = want.String()
	}
	checkExchanges(t, what, exs, want)
	statuses := make([]int, len(exs))
	for i, ex := range exs {
		statuses[i] = ex.Status
	}
	return statuses, err
}

// classes maps an error status to the SDK's class sentinel.
var classes = map[int]error{
	400: mediaauth.ErrBadRequest,
	401: mediaauth.ErrUnauthorized,
	403: mediaauth.ErrForbidden,
	404: mediaauth.ErrNotFound,
	409: mediaauth.ErrConflict,
	422: mediaauth.ErrUnprocessable,
	429: mediaauth.ErrRateLimited,
	500: mediaauth.ErrServer,
	502: mediaauth.ErrServer,
	503: mediaauth.ErrServer,
}

// assertOutcome checks the result of a call answered with status: nil
// for a 2xx, else an *APIError of that status that matches the class of
// the status and kind (when not nil), and is not a decoding failure.
func assertOutcome(t testing.TB, op *specOp, status int, err error, kind error) {
	t.Helper()
	if status >= 200 && status <= 299 {
		assert.NoError(t, err, "%v answered %d", op, status)
		return
	}
	var apiErr *mediaauth.APIError
	if !assert.ErrorAs(t, err, &apiErr, "%v answered %d", op, status) {
		return
	}
	assert.Equal(t, status, apiErr.StatusCode, "%v: APIError.StatusCode", op)
	assert.Equal(t, op.API, apiErr.API, "%v: APIError.API", op)
	assert.Equal(t, op.Method, apiErr.Method, "%v: APIError.Method", op)
	assert.NotErrorIs(t, err, mediaauth.ErrMalformedResponse, "%v answered %d", op, status)
	class, ok := classes[status]
	if assert.True(t, ok, "%v: no error class for status %d", op, status) {
		assert.ErrorIs(t, err, class, "%v answered %d", op, status)
	}
	if kind != nil {
		assert.ErrorIs(t, err, kind, "%v answered %d", op, status)
	}
	if op.API == mediaauth.APITMDb {
		assert.NotZero(t, apiErr.TMDbCode, "%v answered %d: TMDb status_code", op, status)
	}
}

// errorIfEmpty returns err, or an error when the call succeeded but its
// result lacks what the contract requires.
func errorIfEmpty(err error, ok bool) error {
	if err == nil && !ok {
		return errors.New("success without the result's required fields")
	}
	return err
}
