package mediaauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

const (
	tvBase     = "https://tv.test/v1"
	tvStartURL = tvBase + "/auth/start"
	tvPollURL  = tvBase + "/auth/poll"
	tvValidURL = tvBase + "/auth/validate"
	tvToken    = "poll-token-0123456789"
	tvAPIKey   = "tvmaze-api-key-abcdef"
)

// tvClient returns a client whose TVmaze calls go to a fresh httpmock
// transport, with fast retries and no client-side rate limit.
func tvClient(t *testing.T, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	base := []Option{
		WithHTTPClient(&http.Client{Transport: mt}),
		WithTVmazeBaseURL(tvBase),
		WithRetry(2, time.Millisecond, 2*time.Millisecond),
		WithRateLimit(APITVmaze, rate.Inf, 0),
	}
	c, err := New(append(base, opts...)...)
	require.NoError(t, err)
	return c, mt
}

// tvJSON is a JSON answer with optional extra headers (name, value pairs).
func tvJSON(status int, body string, header ...string) httpmock.Responder {
	return func(*http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(status, body)
		resp.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			resp.Header.Set(header[i], header[i+1])
		}
		return resp, nil
	}
}

// tvErrorBody is TVmaze's error body for status.
func tvErrorBody(status int, msg string) string {
	return fmt.Sprintf(`{"name":%q,"message":%q,"code":0,"status":%d}`, http.StatusText(status), msg, status)
}

// tvCapture records the requests a responder saw and answers with next.
type tvCapture struct {
	mu    sync.Mutex
	reqs  []*http.Request
	bodys [][]byte
}

func (c *tvCapture) responder(next httpmock.Responder) httpmock.Responder {
	return func(r *http.Request) (*http.Response, error) {
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
		}
		c.mu.Lock()
		c.reqs = append(c.reqs, r)
		c.bodys = append(c.bodys, body)
		c.mu.Unlock()
		return next(r)
	}
}

func (c *tvCapture) last(t *testing.T) (*http.Request, map[string]any) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	require.NotEmpty(t, c.reqs)
	var m map[string]any
	if b := c.bodys[len(c.bodys)-1]; len(b) > 0 {
		require.NoError(t, json.Unmarshal(b, &m))
	}
	return c.reqs[len(c.reqs)-1], m
}

func TestStartAuthWire(t *testing.T) {
	t.Parallel()
	creds := &TVmazeCredentials{Username: "alice", APIKey: tvAPIKey}
	tests := []struct {
		name         string
		clientOpts   []Option
		startOpts    []StartAuthOption
		wantConfirm  bool
		wantAuth     string
		answer       string
		wantURL      string
		derivedCreds bool
	}{
		{name: "email confirmation by default", wantConfirm: true, answer: `{"token":"` + tvToken + `"}`},
		{name: "without email confirmation", startOpts: []StartAuthOption{WithoutEmailConfirmation()},
			answer:  `{"token":"` + tvToken + `","confirm_url":"https://www.tvmaze.com/auth/confirm/abc"}`,
			wantURL: "https://www.tvmaze.com/auth/confirm/abc"},
		{name: "nil option ignored", startOpts: []StartAuthOption{nil}, wantConfirm: true, answer: `{"token":"` + tvToken + `"}`},
		{name: "basic auth when the client has credentials", clientOpts: []Option{WithCredentials(creds)},
			wantConfirm: true, wantAuth: "Basic YWxpY2U6dHZtYXplLWFwaS1rZXktYWJjZGVm", answer: `{"token":"` + tvToken + `"}`},
		{name: "basic auth from a derived client", derivedCreds: true,
			wantConfirm: true, wantAuth: "Basic YWxpY2U6dHZtYXplLWFwaS1rZXktYWJjZGVm", answer: `{"token":"` + tvToken + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := tvClient(t, tt.clientOpts...)
			if tt.derivedCreds {
				c = c.With(creds)
			}
			var capt tvCapture
			mt.RegisterResponder(http.MethodPost, tvStartURL, capt.responder(tvJSON(200, tt.answer)))

			ar, err := c.StartAuth(context.Background(), "alice@example.com", tt.startOpts...)
			require.NoError(t, err)
			assert.Equal(t, tvToken, ar.Token)
			assert.Equal(t, tt.wantURL, ar.ConfirmURL)

			req, body := capt.last(t)
			assert.Equal(t, http.MethodPost, req.Method)
			assert.Equal(t, "/v1/auth/start", req.URL.Path)
			assert.Empty(t, req.URL.RawQuery)
			assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
			assert.Equal(t, "application/json", req.Header.Get("Accept"))
			assert.Equal(t, DefaultUserAgent, req.Header.Get("User-Agent"))
			assert.Equal(t, tt.wantAuth, req.Header.Get("Authorization"))
			assert.Equal(t, map[string]any{"email": "alice@example.com", "email_confirmation": tt.wantConfirm}, body)
		})
	}
}

func TestPollAuthWire(t *testing.T) {
	t.Parallel()
	for _, withCreds := range []bool{false, true} {
		t.Run(fmt.Sprintf("credentials=%v", withCreds), func(t *testing.T) {
			t.Parallel()
			var opts []Option
			if withCreds {
				opts = append(opts, WithCredentials(&TVmazeCredentials{Username: "app", APIKey: "k"}))
			}
			c, mt := tvClient(t, opts...)
			var capt tvCapture
			mt.RegisterResponder(http.MethodPost, tvPollURL,
				capt.responder(tvJSON(200, `{"username":"alice","apikey":"`+tvAPIKey+`"}`)))

			creds, err := c.PollAuth(context.Background(), tvToken)
			require.NoError(t, err)
			assert.Equal(t, &TVmazeCredentials{Username: "alice", APIKey: tvAPIKey}, creds)

			req, body := capt.last(t)
			assert.Equal(t, http.MethodPost, req.Method)
			assert.Equal(t, "/v1/auth/poll", req.URL.Path)
			assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
			assert.Equal(t, map[string]any{"token": tvToken}, body)
			if withCreds {
				user, pass, ok := req.BasicAuth()
				require.True(t, ok)
				assert.Equal(t, "app", user)
				assert.Equal(t, "k", pass)
			} else {
				assert.Empty(t, req.Header.Get("Authorization"))
			}
		})
	}
}

func TestValidateCredentialsWire(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body string
		want PremiumLevel
		name string
	}{
		{`{"premium":0}`, PremiumNone, "none"},
		{`{"premium":1}`, PremiumBronze, "Bronze"},
		{`{"premium":2}`, PremiumSilver, "Silver"},
		{`{"premium":3}`, PremiumGold, "Gold"},
		{`{"premium":7}`, PremiumLevel(7), "premium level 7"},
		{`{}`, PremiumNone, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			t.Parallel()
			c, mt := tvClient(t, WithCredentials(&TVmazeCredentials{Username: "alice", APIKey: tvAPIKey}))
			var capt tvCapture
			mt.RegisterResponder(http.MethodGet, tvValidURL, capt.responder(tvJSON(200, tt.body)))

			level, err := c.ValidateTVmazeCredentials(context.Background())
			require.NoError(t, err)
			assert.Equal(t, tt.want, level)
			assert.Equal(t, tt.name, level.String())

			req, _ := capt.last(t)
			assert.Equal(t, http.MethodGet, req.Method)
			assert.Equal(t, "/v1/auth/validate", req.URL.Path)
			assert.Empty(t, req.Header.Get("Content-Type"))
			user, pass, ok := req.BasicAuth()
			require.True(t, ok)
			assert.Equal(t, "alice", user)
			assert.Equal(t, tvAPIKey, pass)
		})
	}
}

func TestValidateCredentialsWithoutCredentialsSendsNothing(t *testing.T) {
	t.Parallel()
	c, mt := tvClient(t)
	mt.RegisterResponder(http.MethodGet, tvValidURL, tvJSON(200, `{"premium":1}`))

	withCreds := c.With(&TVmazeCredentials{Username: "alice", APIKey: tvAPIKey})
	for _, cl := range []*Client{c, withCreds.Without(APITVmaze)} {
		_, err := cl.ValidateTVmazeCredentials(context.Background())
		require.ErrorIs(t, err, ErrMissingCredentials)
	}
	// Credentials without an API key, or nil ones, are invalid arguments,
	// refused before sending too.
	for _, cl := range []*Client{c.With(&TVmazeCredentials{Username: "alice"}), c.With((*TVmazeCredentials)(nil))} {
		_, err := cl.ValidateTVmazeCredentials(context.Background())
		require.ErrorIs(t, err, ErrInvalidArgument)
		assert.NotErrorIs(t, err, ErrMissingCredentials)
	}
	assert.Zero(t, mt.GetTotalCallCount())
}

func TestWithTVmazeCredentialsDerivesClient(t *testing.T) {
	t.Parallel()
	c, mt := tvClient(t)
	mt.RegisterResponder(http.MethodGet, tvValidURL, tvJSON(200, `{"premium":2}`))

	creds := &TVmazeCredentials{Username: "alice", APIKey: tvAPIKey}
	d := c.With(creds)
	creds.APIKey = "changed after the call"
	assert.Same(t, c.s, d.s, "derived client shares transport and limiters")
	assert.Empty(t, c.creds.tvmazeKey, "original client unchanged")
	assert.Equal(t, tvAPIKey, d.creds.tvmazeKey, "credentials are copied")

	level, err := d.ValidateTVmazeCredentials(context.Background())
	require.NoError(t, err)
	assert.Equal(t, PremiumSilver, level)
	assert.Nil(t, d.Without(APITVmaze).creds.tvmazeHeader)

	// Derived from a nil client, like WithToken: a client that carries the
	// credentials but refuses every call, asking for New, and sends nothing.
	var nilClient *Client
	fromNil := nilClient.With(creds)
	require.NotNil(t, fromNil)
	_, err = fromNil.ValidateTVmazeCredentials(context.Background())
	require.ErrorContains(t, err, "use New")
	assert.Equal(t, 1, mt.GetTotalCallCount(), "only d's call reached the server")
}

// TestTVmazeStatuses maps every status the contract lists (and a server
// error) to its sentinel and class.
func TestTVmazeStatuses(t *testing.T) {
	t.Parallel()
	type callFn func(*Client) error
	start := func(c *Client) error { _, err := c.StartAuth(context.Background(), "a@example.com"); return err }
	poll := func(c *Client) error { _, err := c.PollAuth(context.Background(), tvToken); return err }
	validate := func(c *Client) error { _, err := c.ValidateTVmazeCredentials(context.Background()); return err }
	tests := []struct {
		name    string
		method  string
		url     string
		path    string
		fn      callFn
		status  int
		header  []string
		want    []error
		notWant []error
		retry   time.Duration
	}{
		{"start 401", "POST", tvStartURL, "/auth/start", start, 401, nil, []error{ErrEmailNotConfirmed, ErrUnauthorized}, []error{ErrTokenExpired}, 0},
		{"start 404", "POST", tvStartURL, "/auth/start", start, 404, nil, []error{ErrEmailNotFound, ErrNotFound}, nil, 0},
		{"start 429", "POST", tvStartURL, "/auth/start", start, 429, []string{"Retry-After", "0"}, []error{ErrRateLimited}, nil, 0},
		{"start 500", "POST", tvStartURL, "/auth/start", start, 500, nil, []error{ErrServer}, nil, 0},
		{"poll 403", "POST", tvPollURL, "/auth/poll", poll, 403, nil, []error{ErrAuthorizationPending, ErrForbidden}, nil, 0},
		{"poll 404", "POST", tvPollURL, "/auth/poll", poll, 404, nil, []error{ErrAuthRequestNotFound, ErrNotFound}, nil, 0},
		{"poll 429", "POST", tvPollURL, "/auth/poll", poll, 429, []string{"Retry-After", "10"}, []error{ErrRateLimited}, nil, 10 * time.Second},
		{"poll 500", "POST", tvPollURL, "/auth/poll", poll, 500, nil, []error{ErrServer}, nil, 0},
		{"poll 503", "POST", tvPollURL, "/auth/poll", poll, 503, []string{"Retry-After", "3"}, []error{ErrServer}, nil, 3 * time.Second},
		{"validate 401", "GET", tvValidURL, "/auth/validate", validate, 401, []string{"WWW-Authenticate", `Basic realm="api"`}, []error{ErrUnauthorized}, []error{ErrTokenExpired, ErrInvalidCredentials}, 0},
		{"validate 500", "GET", tvValidURL, "/auth/validate", validate, 500, nil, []error{ErrServer}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := tvClient(t, WithCredentials(&TVmazeCredentials{Username: "alice", APIKey: tvAPIKey}))
			msg := "message for " + tt.name
			mt.RegisterResponder(tt.method, tt.url, tvJSON(tt.status, tvErrorBody(tt.status, msg), tt.header...))

			err := tt.fn(c)
			require.Error(t, err)
			for _, want := range tt.want {
				assert.ErrorIs(t, err, want)
			}
			for _, nw := range tt.notWant {
				assert.NotErrorIs(t, err, nw)
			}
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, APITVmaze, apiErr.API)
			assert.Equal(t, tt.method, apiErr.Method)
			assert.Equal(t, tt.path, apiErr.Path)
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.Equal(t, msg, apiErr.Message)
			assert.Equal(t, tt.retry, apiErr.RetryAfter)
			assert.NotContains(t, err.Error(), tvAPIKey)
			assert.NotContains(t, err.Error(), tvToken)
		})
	}
}

func TestPollAuthNotFoundSaysStartAgain(t *testing.T) {
	t.Parallel()
	c, mt := tvClient(t)
	mt.RegisterResponder(http.MethodPost, tvPollURL, tvJSON(404, tvErrorBody(404, "gone")))
	_, err := c.PollAuth(context.Background(), tvToken)
	require.ErrorIs(t, err, ErrAuthRequestNotFound)
	assert.Contains(t, err.Error(), "start a new one")
}

// TestTVmazeRetryModes: a poll is never sent twice by the transport; a
// start is sent again only when the server certainly did not act.
func TestTVmazeRetryModes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string
		url    string
		fn     func(*Client) error
		answer httpmock.Responder
		calls  int
		want   error
	}{
		{"poll 500 not retried", "POST", tvPollURL, func(c *Client) error { _, err := c.PollAuth(context.Background(), tvToken); return err },
			tvJSON(500, tvErrorBody(500, "x")), 1, ErrServer},
		{"poll 429 not retried", "POST", tvPollURL, func(c *Client) error { _, err := c.PollAuth(context.Background(), tvToken); return err },
			tvJSON(429, tvErrorBody(429, "x"), "Retry-After", "0"), 1, ErrRateLimited},
		{"poll network error not retried", "POST", tvPollURL, func(c *Client) error { _, err := c.PollAuth(context.Background(), tvToken); return err },
			httpmock.NewErrorResponder(errors.New("connection reset")), 1, ErrNetwork},
		{"start 500 not retried", "POST", tvStartURL, func(c *Client) error { _, err := c.StartAuth(context.Background(), "a@example.com"); return err },
			tvJSON(500, tvErrorBody(500, "x")), 1, ErrServer},
		{"start 429 retried", "POST", tvStartURL, func(c *Client) error { _, err := c.StartAuth(context.Background(), "a@example.com"); return err },
			tvJSON(429, tvErrorBody(429, "x"), "Retry-After", "0"), 3, ErrRateLimited},
		{"validate 500 retried", "GET", tvValidURL, func(c *Client) error { _, err := c.ValidateTVmazeCredentials(context.Background()); return err },
			tvJSON(500, tvErrorBody(500, "x")), 3, ErrServer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := tvClient(t, WithCredentials(&TVmazeCredentials{Username: "alice", APIKey: tvAPIKey}))
			mt.RegisterResponder(tt.method, tt.url, tt.answer)
			err := tt.fn(c)
			require.ErrorIs(t, err, tt.want, "the last answer, typed")
			assert.NotContains(t, err.Error(), "giving up")
			assert.Equal(t, tt.calls, mt.GetTotalCallCount())
		})
	}
}

func TestTVmazeMalformedAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		url  string
		body string
		fn   func(*Client) error
	}{
		{"start without token", tvStartURL, `{"confirm_url":"https://x"}`, func(c *Client) error { _, err := c.StartAuth(context.Background(), "a@example.com"); return err }},
		{"poll without apikey", tvPollURL, `{"username":"alice"}`, func(c *Client) error { _, err := c.PollAuth(context.Background(), tvToken); return err }},
		{"poll without username", tvPollURL, `{"apikey":"k"}`, func(c *Client) error { _, err := c.PollAuth(context.Background(), tvToken); return err }},
		{"poll not JSON", tvPollURL, `<html>`, func(c *Client) error { _, err := c.PollAuth(context.Background(), tvToken); return err }},
		{"validate premium not a number", tvValidURL, `{"premium":"gold"}`, func(c *Client) error { _, err := c.ValidateTVmazeCredentials(context.Background()); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := tvClient(t, WithCredentials(&TVmazeCredentials{Username: "alice", APIKey: tvAPIKey}))
			method := http.MethodPost
			if tt.url == tvValidURL {
				method = http.MethodGet
			}
			mt.RegisterResponder(method, tt.url, tvJSON(200, tt.body))
			err := tt.fn(c)
			require.ErrorIs(t, err, ErrMalformedResponse)
		})
	}
}

func TestTVmazeEmptyInputsSendNothing(t *testing.T) {
	t.Parallel()
	c, mt := tvClient(t)
	_, err := c.StartAuth(context.Background(), "")
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = c.PollAuth(context.Background(), "")
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = c.PollUntilConfirmed(context.Background(), "")
	assert.ErrorIs(t, err, ErrInvalidArgument)
	var nilCtx context.Context // refused, not a panic
	_, err = c.PollUntilConfirmed(nilCtx, tvToken)
	assert.ErrorContains(t, err, "nil context")
	_, err = c.PollAuth(nilCtx, tvToken)
	assert.ErrorContains(t, err, "nil context")
	var zero *Client
	_, err = zero.PollUntilConfirmed(context.Background(), tvToken)
	assert.ErrorContains(t, err, "use New")
	_, err = zero.PollAuth(context.Background(), tvToken)
	assert.ErrorContains(t, err, "use New")
	assert.Zero(t, mt.GetTotalCallCount())
}

func TestTVmazeSecretsRedacted(t *testing.T) {
	t.Parallel()
	values := []any{
		AuthRequest{Token: tvToken, ConfirmURL: "https://www.tvmaze.com/auth/confirm?token=" + tvToken},
		&AuthRequest{Token: tvToken},
		TVmazeCredentials{Username: "alice", APIKey: tvAPIKey},
		&TVmazeCredentials{Username: "alice", APIKey: tvAPIKey},
	}
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, tvToken, verb)
			assert.NotContains(t, out, tvAPIKey, verb)
		}
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "value", v)
		assert.NotContains(t, buf.String(), tvToken)
		assert.NotContains(t, buf.String(), tvAPIKey)
		assert.Contains(t, buf.String(), redacted)
	}
	s := AuthRequest{Token: tvToken, ConfirmURL: "https://www.tvmaze.com/auth/confirm?token=" + tvToken}.String()
	assert.Contains(t, s, "https://www.tvmaze.com/auth/confirm")
	assert.Equal(t, `mediaauth.AuthRequest{Token:"" ConfirmURL:""}`, AuthRequest{}.String())
	assert.Equal(t, redacted, urlWithoutQuery("://bad"))
}

func TestPremiumLevelString(t *testing.T) {
	t.Parallel()
	tests := map[PremiumLevel]string{
		PremiumNone: "none", PremiumBronze: "Bronze", PremiumSilver: "Silver", PremiumGold: "Gold",
		4: "premium level 4", -1: "premium level -1",
	}
	for level, want := range tests {
		assert.Equal(t, want, level.String())
	}
}

// TestNextPollWait checks the polling schedule's arithmetic.
func TestNextPollWait(t *testing.T) {
	t.Parallel()
	const (
		iv   = 10 * time.Second
		maxW = 5 * time.Minute
	)
	tests := []struct {
		name        string
		prev        time.Duration
		rateLimited bool
		retryAfter  time.Duration
		want        time.Duration
	}{
		{"403 keeps the interval", iv, false, 0, iv},
		{"first 429 doubles", iv, true, 0, 2 * iv},
		{"second 429 doubles again", 2 * iv, true, 0, 4 * iv},
		{"429 with a shorter Retry-After doubles", iv, true, 5 * time.Second, 2 * iv},
		{"429 with a longer Retry-After honours it", iv, true, 60 * time.Second, 60 * time.Second},
		{"doubling is capped", 4 * time.Minute, true, 0, maxW},
		{"Retry-After is capped", iv, true, time.Hour, maxW},
		{"at the cap stays at the cap", maxW, true, 0, maxW},
		{"a huge previous wait does not overflow", time.Duration(1<<62 + 1), true, 0, maxW},
		{"after a 429 the next other answer resets", 4 * iv, false, 0, iv},
		{"503 Retry-After honoured", iv, false, 30 * time.Second, 30 * time.Second},
		{"503 Retry-After below the interval ignored", iv, false, time.Second, iv},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, nextPollWait(tt.prev, iv, maxW, tt.rateLimited, tt.retryAfter), tt.name)
	}
	// An interval above the cap is kept.
	assert.Equal(t, 10*time.Minute, nextPollWait(10*time.Minute, 10*time.Minute, maxW, true, 0))
}

// TestPollUntilConfirmedTransientBound: network errors and 5xx are retried
// on the schedule up to the bound, then returned; each attempt is reported.
func TestPollUntilConfirmedTransientBound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		answer httpmock.Responder
		want   error
		status int
	}{
		{"server errors", tvJSON(502, tvErrorBody(502, "bad gateway")), ErrServer, 502},
		{"network errors", httpmock.NewErrorResponder(errors.New("connection reset by peer")), ErrNetwork, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var events []PollEvent
			c, mt := tvClient(t, WithPollInterval(2*time.Millisecond), WithFastPolling(), WithPollObserver(func(ev PollEvent) { events = append(events, ev) }))
			mt.RegisterResponder(http.MethodPost, tvPollURL, tt.answer)

			_, err := c.PollUntilConfirmed(context.Background(), tvToken)
			require.ErrorIs(t, err, tt.want)
			assert.Equal(t, c.s.pollMaxErrs, mt.GetTotalCallCount())
			require.Len(t, events, c.s.pollMaxErrs)
			for i, ev := range events {
				assert.Equal(t, i+1, ev.Attempt)
				assert.Equal(t, tt.status, ev.StatusCode)
				assert.ErrorIs(t, ev.Err, tt.want)
				if i < len(events)-1 {
					assert.Equal(t, 2*time.Millisecond, ev.NextPoll)
				} else {
					assert.Zero(t, ev.NextPoll)
				}
			}
		})
	}
}

// TestPollUntilConfirmedTransientResets: a sensible answer between
// failures resets the count of failures in a row.
func TestPollUntilConfirmedTransientResets(t *testing.T) {
	t.Parallel()
	c, mt := tvClient(t, WithPollInterval(time.Millisecond), WithFastPolling())
	// 4 failures, a 403, 4 failures, then the key: never 5 failures in a row.
	answers := []httpmock.Responder{}
	for range 4 {
		answers = append(answers, tvJSON(500, tvErrorBody(500, "x")))
	}
	answers = append(answers, tvJSON(403, tvErrorBody(403, "not yet")))
	answers = append(answers, answers[:4]...)
	answers = append(answers, tvJSON(200, `{"username":"alice","apikey":"`+tvAPIKey+`"}`))
	var n int
	mt.RegisterResponder(http.MethodPost, tvPollURL, func(r *http.Request) (*http.Response, error) {
		n++
		return answers[min(n, len(answers))-1](r)
	})

	creds, err := c.PollUntilConfirmed(context.Background(), tvToken)
	require.NoError(t, err)
	assert.Equal(t, tvAPIKey, creds.APIKey)
	assert.Equal(t, 10, mt.GetTotalCallCount())
}

// TestPollUntilConfirmedStopsOnOtherErrors: errors that a retry cannot fix
// end polling at once.
func TestPollUntilConfirmedStopsOnOtherErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		answer httpmock.Responder
		want   error
	}{
		{"404", tvJSON(404, tvErrorBody(404, "gone")), ErrAuthRequestNotFound},
		{"400", tvJSON(400, tvErrorBody(400, "bad")), ErrBadRequest},
		{"401", tvJSON(401, tvErrorBody(401, "who")), ErrUnauthorized},
		{"malformed 200", tvJSON(200, `{"username":"alice"}`), ErrMalformedResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := tvClient(t, WithPollInterval(time.Millisecond), WithFastPolling())
			mt.RegisterResponder(http.MethodPost, tvPollURL, tt.answer)
			_, err := c.PollUntilConfirmed(context.Background(), tvToken)
			require.ErrorIs(t, err, tt.want)
			assert.Equal(t, 1, mt.GetTotalCallCount())
		})
	}
}

// tvStallServer answers a poll with 200 headers at once and holds the body
// back until release is closed.
func tvStallServer(t *testing.T) (srv *httptest.Server, headersSent <-chan struct{}, release chan<- struct{}) {
	t.Helper()
	sent := make(chan struct{})
	rel := make(chan struct{})
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"username":"alice",`)
		w.(http.Flusher).Flush()
		close(sent)
		select {
		case <-rel:
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, `"apikey":"`+tvAPIKey+`"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, sent, rel
}

// TestPollAuthKeepsAnswerAfterCancel: once the answer has started to
// arrive, cancelling ctx does not throw the key away.
func TestPollAuthKeepsAnswerAfterCancel(t *testing.T) {
	t.Parallel()
	srv, sent, release := tvStallServer(t)
	c, err := New(WithTVmazeBaseURL(srv.URL), WithRateLimit(APITVmaze, rate.Inf, 0))
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		creds *TVmazeCredentials
		err   error
	}
	done := make(chan result, 1)
	go func() {
		creds, err := c.PollAuth(ctx, tvToken)
		done <- result{creds, err}
	}()
	<-sent
	time.Sleep(20 * time.Millisecond) // let the client read the headers
	cancel()
	time.Sleep(20 * time.Millisecond)
	close(release)
	res := <-done
	require.NoError(t, res.err)
	assert.Equal(t, tvAPIKey, res.creds.APIKey)
}

// TestPollAuthCancelBeforeAnswer: before any answer arrives, ctx ends the
// poll at once with ctx's own error.
func TestPollAuthCancelBeforeAnswer(t *testing.T) {
	t.Parallel()
	for _, deadline := range []bool{false, true} {
		t.Run(fmt.Sprintf("deadline=%v", deadline), func(t *testing.T) {
			t.Parallel()
			c, mt := tvClient(t)
			mt.RegisterResponder(http.MethodPost, tvPollURL, tvJSON(200, `{"username":"alice","apikey":"k"}`).Delay(5*time.Second))

			var (
				ctx    context.Context
				cancel context.CancelFunc
				want   error
			)
			if deadline {
				ctx, cancel = context.WithTimeout(context.Background(), 30*time.Millisecond)
				want = context.DeadlineExceeded
			} else {
				ctx, cancel = context.WithCancel(context.Background())
				time.AfterFunc(30*time.Millisecond, cancel)
				want = context.Canceled
			}
			defer cancel()
			start := time.Now()
			_, err := c.PollAuth(ctx, tvToken)
			require.ErrorIs(t, err, want)
			assert.Less(t, time.Since(start), time.Second)
			assert.False(t, strings.Contains(err.Error(), tvToken))
		})
	}
}

// TestKeepAnswerLeavesNothingBehind: release stops the grace timer even
// when ctx ended after the answer began.
func TestKeepAnswerLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	sendCtx, guard := keepAnswer(ctx, DefaultPollAnswerGrace, 0)
	cancel()
	select {
	case <-sendCtx.Done():
	case <-time.After(time.Second):
		t.Fatal("send context not cancelled with ctx before any answer")
	}
	guard.release()

	// The answer began, then ctx ended: the send context lives on for the
	// grace period, and release ends it (and its timer) at once.
	ctx, cancel = context.WithCancel(context.Background())
	sendCtx, guard = keepAnswer(ctx, DefaultPollAnswerGrace, time.Hour)
	_, hasDeadline := sendCtx.Deadline()
	assert.True(t, hasDeadline, "the per-attempt timeout bounds the send context")
	trace := httptrace.ContextClientTrace(sendCtx)
	require.NotNil(t, trace)
	require.NotNil(t, trace.GotFirstResponseByte)
	trace.GotFirstResponseByte()
	cancel()
	select {
	case <-sendCtx.Done():
		t.Fatal("send context ended with ctx although the answer had begun")
	case <-time.After(50 * time.Millisecond):
	}
	require.NoError(t, sendCtx.Err())
	start := time.Now()
	guard.release()
	select {
	case <-sendCtx.Done():
	case <-time.After(time.Second):
		t.Fatal("release did not end the send context")
	}
	assert.Less(t, time.Since(start), DefaultPollAnswerGrace/2, "release does not wait for the grace timer")
	assert.ErrorIs(t, sendCtx.Err(), context.Canceled)

	bg, guard2 := keepAnswer(context.Background(), DefaultPollAnswerGrace, time.Hour)
	assert.Nil(t, bg.Done(), "an uncancellable ctx is used as it is")
	assert.Nil(t, guard2)
	guard2.release()
}

// TestPollUntilConfirmedCancelInFlight: ctx ending while a poll is in
// flight ends polling with ctx's error, whatever the answer was.
func TestPollUntilConfirmedCancelInFlight(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusForbidden, http.StatusTooManyRequests, http.StatusBadGateway} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			var events []PollEvent
			c, mt := tvClient(t, WithPollInterval(time.Millisecond), WithFastPolling(), WithPollObserver(func(ev PollEvent) { events = append(events, ev) }))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			mt.RegisterResponder(http.MethodPost, tvPollURL, func(r *http.Request) (*http.Response, error) {
				// The answer starts to arrive, then ctx ends: the answer is
				// read in full, and polling still stops with ctx's error.
				if trace := httptrace.ContextClientTrace(r.Context()); trace != nil && trace.GotFirstResponseByte != nil {
					trace.GotFirstResponseByte()
				}
				cancel()
				return tvJSON(status, tvErrorBody(status, "x"))(r)
			})
			_, err := c.PollUntilConfirmed(ctx, tvToken)
			require.ErrorIs(t, err, context.Canceled)
			assert.Equal(t, 1, mt.GetTotalCallCount())
			require.Len(t, events, 1)
			assert.Equal(t, status, events[0].StatusCode, "the answer was read")
			assert.Zero(t, events[0].NextPoll)
		})
	}
}
