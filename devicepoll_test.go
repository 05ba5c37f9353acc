package mediaauth

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
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

// The success answers of the TVmaze methods: the golden bodies of
// testdata/bodies/tvmaze, which the fake's tests hold the fake to as well.
// tvStartJSON and tvStartConfirmJSON hold tvToken, tvPollJSON alice's
// tvAPIKey, tvValidateJSON premium level 2.
var (
	//go:embed testdata/bodies/tvmaze/start_200.json
	tvStartJSON string
	//go:embed testdata/bodies/tvmaze/start_confirm_url_200.json
	tvStartConfirmJSON string
	//go:embed testdata/bodies/tvmaze/poll_200.json
	tvPollJSON string
	//go:embed testdata/bodies/tvmaze/validate_200.json
	tvValidateJSON string
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
		{name: "email confirmation by default", wantConfirm: true, answer: tvStartJSON},
		{name: "without email confirmation", startOpts: []StartAuthOption{WithoutEmailConfirmation()},
			answer:  tvStartConfirmJSON,
			wantURL: "https://www.tvmaze.com/auth/confirm/abc"},
		{name: "nil option ignored", startOpts: []StartAuthOption{nil}, wantConfirm: true, answer: tvStartJSON},
		{name: "basic auth when the client has credentials", clientOpts: []Option{WithCredentials(creds)},
			wantConfirm: true, wantAuth: "Basic YWxpY2U6dHZtYXplLWFwaS1rZXktYWJjZGVm", answer: tvStartJSON},
		{name: "basic auth from a derived client", derivedCreds: true,
			wantConfirm: true, wantAuth: "Basic YWxpY2U6dHZtYXplLWFwaS1rZXktYWJjZGVm", answer: tvStartJSON},
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

			ar, err := c.TVmaze.StartAuth(context.Background(), "alice@example.com", tt.startOpts...)
			require.NoError(t, err)
			assert.Equal(t, tvToken, ar.Token)
			assert.Equal(t, tt.wantURL, ar.ApprovalURL)

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
				capt.responder(tvJSON(200, tvPollJSON)))

			creds, err := c.TVmaze.PollAuth(context.Background(), AuthRequest{Token: tvToken})
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

			level, err := c.TVmaze.Validate(context.Background())
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
		_, err := cl.TVmaze.Validate(context.Background())
		require.ErrorIs(t, err, ErrMissingCredentials)
	}
	// Credentials without an API key, or nil ones, are invalid arguments,
	// refused before sending too.
	for _, cl := range []*Client{c.With(&TVmazeCredentials{Username: "alice"}), c.With((*TVmazeCredentials)(nil))} {
		_, err := cl.TVmaze.Validate(context.Background())
		require.ErrorIs(t, err, ErrInvalidArgument)
		assert.NotErrorIs(t, err, ErrMissingCredentials)
	}
	assert.Zero(t, mt.GetTotalCallCount())
}

func TestWithTVmazeCredentialsDerivesClient(t *testing.T) {
	t.Parallel()
	c, mt := tvClient(t)
	mt.RegisterResponder(http.MethodGet, tvValidURL, tvJSON(200, tvValidateJSON))

	creds := &TVmazeCredentials{Username: "alice", APIKey: tvAPIKey}
	d := c.With(creds)
	creds.APIKey = "changed after the call"
	assert.Same(t, c.TVmaze.h.e, d.TVmaze.h.e, "derived client shares the engine: transport and limiters")
	assert.Nil(t, c.TVmaze.h.creds.app, "original client unchanged")
	assert.Equal(t, tvAPIKey, d.TVmaze.h.creds.app.cred.(TVmazeCredentials).APIKey, "credentials are copied")

	level, err := d.TVmaze.Validate(context.Background())
	require.NoError(t, err)
	assert.Equal(t, PremiumSilver, level)
	assert.Nil(t, d.Without(APITVmaze).TVmaze.h.creds.app)

	// Derived from a nil client, like WithToken: a client that carries the
	// credentials but refuses every call, asking for New, and sends nothing.
	var nilClient Client
	fromNil := nilClient.With(creds)
	require.NotNil(t, fromNil)
	_, err = fromNil.TVmaze.Validate(context.Background())
	require.ErrorContains(t, err, "use New")
	assert.Equal(t, 1, mt.GetTotalCallCount(), "only d's call reached the server")
}

func TestPollAuthNotFoundSaysStartAgain(t *testing.T) {
	t.Parallel()
	c, mt := tvClient(t)
	mt.RegisterResponder(http.MethodPost, tvPollURL, tvJSON(404, tvErrorBody(404, "gone")))
	_, err := c.TVmaze.PollAuth(context.Background(), AuthRequest{Token: tvToken})
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
		{"poll 500 not retried", "POST", tvPollURL, func(c *Client) error {
			_, err := c.TVmaze.PollAuth(context.Background(), AuthRequest{Token: tvToken})
			return err
		},
			tvJSON(500, tvErrorBody(500, "x")), 1, ErrServer},
		{"poll 429 not retried", "POST", tvPollURL, func(c *Client) error {
			_, err := c.TVmaze.PollAuth(context.Background(), AuthRequest{Token: tvToken})
			return err
		},
			tvJSON(429, tvErrorBody(429, "x"), "Retry-After", "0"), 1, ErrRateLimited},
		{"poll network error not retried", "POST", tvPollURL, func(c *Client) error {
			_, err := c.TVmaze.PollAuth(context.Background(), AuthRequest{Token: tvToken})
			return err
		},
			httpmock.NewErrorResponder(errors.New("connection reset")), 1, ErrNetwork},
		{"start 500 not retried", "POST", tvStartURL, func(c *Client) error { _, err := c.TVmaze.StartAuth(context.Background(), "a@example.com"); return err },
			tvJSON(500, tvErrorBody(500, "x")), 1, ErrServer},
		{"start 429 retried", "POST", tvStartURL, func(c *Client) error { _, err := c.TVmaze.StartAuth(context.Background(), "a@example.com"); return err },
			tvJSON(429, tvErrorBody(429, "x"), "Retry-After", "0"), 3, ErrRateLimited},
		{"validate 500 retried", "GET", tvValidURL, func(c *Client) error { _, err := c.TVmaze.Validate(context.Background()); return err },
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
		{"start without token", tvStartURL, `{"confirm_url":"https://x"}`, func(c *Client) error { _, err := c.TVmaze.StartAuth(context.Background(), "a@example.com"); return err }},
		{"poll without apikey", tvPollURL, `{"username":"alice"}`, func(c *Client) error {
			_, err := c.TVmaze.PollAuth(context.Background(), AuthRequest{Token: tvToken})
			return err
		}},
		{"poll without username", tvPollURL, `{"apikey":"k"}`, func(c *Client) error {
			_, err := c.TVmaze.PollAuth(context.Background(), AuthRequest{Token: tvToken})
			return err
		}},
		{"poll not JSON", tvPollURL, `<html>`, func(c *Client) error {
			_, err := c.TVmaze.PollAuth(context.Background(), AuthRequest{Token: tvToken})
			return err
		}},
		{"validate premium not a number", tvValidURL, `{"premium":"gold"}`, func(c *Client) error { _, err := c.TVmaze.Validate(context.Background()); return err }},
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
	_, err := c.TVmaze.StartAuth(context.Background(), "")
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = c.TVmaze.PollAuth(context.Background(), AuthRequest{Token: ""})
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = c.TVmaze.PollUntilConfirmed(context.Background(), AuthRequest{Token: ""})
	assert.ErrorIs(t, err, ErrInvalidArgument)
	var nilCtx context.Context // refused, not a panic
	_, err = c.TVmaze.PollUntilConfirmed(nilCtx, AuthRequest{Token: tvToken})
	assert.ErrorContains(t, err, "nil context")
	_, err = c.TVmaze.PollAuth(nilCtx, AuthRequest{Token: tvToken})
	assert.ErrorContains(t, err, "nil context")
	var zero Client
	_, err = zero.TVmaze.PollUntilConfirmed(context.Background(), AuthRequest{Token: tvToken})
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = zero.TVmaze.PollAuth(context.Background(), AuthRequest{Token: tvToken})
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.Zero(t, mt.GetTotalCallCount())
}

func TestTVmazeSecretsRedacted(t *testing.T) {
	t.Parallel()
	values := []any{
		AuthRequest{Token: tvToken, ApprovalURL: "https://www.tvmaze.com/auth/confirm?token=" + tvToken},
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
	s := AuthRequest{Token: tvToken, ApprovalURL: "https://www.tvmaze.com/auth/confirm?token=" + tvToken}.String()
	assert.Contains(t, s, "https://www.tvmaze.com/auth/confirm")
	assert.Equal(t, `mediaauth.AuthRequest{Token:"" ApprovalURL:""}`, AuthRequest{}.String())
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
