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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// The three doors of an API (a typed call, Do, and HTTPClient +
// CheckResponse) are one engine: for every endpoint and each of its
// documented error statuses they give the same sentinels, the same
// *APIError fields and the same log lines.

// documentedStatuses are the error statuses each endpoint's contract
// documents (../shared/specs), by the endpoint's method name.
var documentedStatuses = map[string][]int{
	"Movies.Register":                    {400, 409, 500},
	"Movies.VerifyEmail":                 {400, 404, 500},
	"Movies.Login":                       {400, 401, 403, 500},
	"Movies.FormLogin":                   {400, 401, 403, 500},
	"Movies.Profile":                     {401, 500},
	"Movies.UpdateProfile":               {400, 401, 409, 500},
	"Movies.FetchAPIKey":                 {401, 404, 500},
	"Movies.GenerateAPIKey":              {401, 500},
	"Movies.RequestPasswordReset":        {400, 500},
	"Movies.ConfirmPasswordReset":        {400, 404, 500},
	"TVmaze.StartAuth":                   {401, 404, 429},
	"TVmaze.PollAuth":                    {403, 404, 429},
	"TVmaze.Validate":                    {401},
	"TMDb.Validate":                      {401, 429},
	"TMDb.CreateRequestToken":            {401, 429, 503},
	"TMDb.ValidateRequestTokenWithLogin": {400, 401, 429},
	"TMDb.CreateSession":                 {401, 422, 429},
	"TMDb.CreateSessionFromV4Token":      {401, 429},
	"TMDb.CreateGuestSession":            {401, 429, 503},
	"TMDb.DeleteSession":                 {401, 404, 429},
	"TMDb.CreateV4RequestToken":          {401, 429},
	"TMDb.CreateV4AccessToken":           {401, 422, 429},
	"TMDb.DeleteV4AccessToken":           {401, 429},
}

// errorBodies are the error answers each API gives for a status: every
// shape the SDK maps to its own sentinel (TMDb codes, Movies codes, an
// RFC 6750 challenge) and a plain one.
func errorBodies(api API, status int) []doorAnswer {
	switch api {
	case APIMovies:
		codes := map[int][]string{400: {"invalid_request"}, 401: {"invalid_credentials", "token_expired", "invalid_token"},
			403: {"email_not_verified"}, 404: {"not_found"}, 409: {"conflict"}, 500: {"server_error"}}[status]
		var out []doorAnswer
		for _, code := range codes {
			out = append(out, doorAnswer{body: fmt.Sprintf(`{"error":%q,"message":"the %s answer"}`, code, code)})
		}
		if status == 401 {
			out = append(out, doorAnswer{body: `{"error":"invalid_token"}`, challenge: `Bearer error="invalid_token", error_description="The access token expired"`})
		}
		return out
	case APITVmaze:
		return []doorAnswer{{body: fmt.Sprintf(`{"name":%q,"message":"m","code":0,"status":%d}`, http.StatusText(status), status)}}
	}
	codes := map[int][]int{400: {26}, 401: {3, 7, 17, 30, 32, 33, 35}, 404: {6, 34}, 422: {41}, 429: {25}, 503: {46}}[status]
	out := []doorAnswer{{body: ""}}
	for _, code := range codes {
		out = append(out, doorAnswer{body: fmt.Sprintf(`{"success":false,"status_code":%d,"status_message":"code %d"}`, code, code)})
	}
	return out
}

// doorAnswer is one error answer of the doors' server.
type doorAnswer struct {
	status    int
	body      string
	challenge string // WWW-Authenticate
}

// typedCalls makes each endpoint's typed call, by the endpoint's name.
var typedCalls = map[string]func(context.Context, *Client) error{
	"Movies.Register": func(ctx context.Context, c *Client) error {
		_, err := c.Movies.Register(ctx, RegisterRequest{Username: "u", Password: "p-secret", Email: "u@example.com"})
		return err
	},
	"Movies.VerifyEmail": func(ctx context.Context, c *Client) error { return c.Movies.VerifyEmail(ctx, "verify-token") },
	"Movies.Login": func(ctx context.Context, c *Client) error {
		_, err := c.Movies.Login(ctx, "u", "p-secret")
		return err
	},
	"Movies.FormLogin": func(ctx context.Context, c *Client) error {
		_, err := c.Movies.FormLogin(ctx, "u", "p-secret")
		return err
	},
	"Movies.Profile": func(ctx context.Context, c *Client) error { _, err := c.Movies.Profile(ctx); return err },
	"Movies.UpdateProfile": func(ctx context.Context, c *Client) error {
		_, err := c.Movies.UpdateProfile(ctx, ProfileUpdate{Bio: String("b")})
		return err
	},
	"Movies.FetchAPIKey":    func(ctx context.Context, c *Client) error { _, err := c.Movies.FetchAPIKey(ctx); return err },
	"Movies.GenerateAPIKey": func(ctx context.Context, c *Client) error { _, err := c.Movies.GenerateAPIKey(ctx); return err },
	"Movies.RequestPasswordReset": func(ctx context.Context, c *Client) error {
		return c.Movies.RequestPasswordReset(ctx, "u@example.com")
	},
	"Movies.ConfirmPasswordReset": func(ctx context.Context, c *Client) error {
		return c.Movies.ConfirmPasswordReset(ctx, "reset-token", "new-secret")
	},
	"TVmaze.StartAuth": func(ctx context.Context, c *Client) error {
		_, err := c.TVmaze.StartAuth(ctx, "u@example.com")
		return err
	},
	"TVmaze.PollAuth": func(ctx context.Context, c *Client) error {
		_, err := c.TVmaze.PollAuth(ctx, AuthRequest{Token: "poll-token"})
		return err
	},
	"TVmaze.Validate":         func(ctx context.Context, c *Client) error { _, err := c.TVmaze.Validate(ctx); return err },
	"TMDb.Validate":           func(ctx context.Context, c *Client) error { return c.TMDb.Validate(ctx) },
	"TMDb.CreateRequestToken": func(ctx context.Context, c *Client) error { _, err := c.TMDb.CreateRequestToken(ctx); return err },
	"TMDb.ValidateRequestTokenWithLogin": func(ctx context.Context, c *Client) error {
		_, err := c.TMDb.ValidateRequestTokenWithLogin(ctx, "u", "p-secret", RequestToken{Token: "request-token"})
		return err
	},
	"TMDb.CreateSession": func(ctx context.Context, c *Client) error {
		_, err := c.TMDb.CreateSession(ctx, RequestToken{Token: "request-token"})
		return err
	},
	"TMDb.CreateSessionFromV4Token": func(ctx context.Context, c *Client) error {
		_, err := c.TMDb.CreateSessionFromV4Token(ctx, TMDbAccessToken{AccessToken: "access-token"})
		return err
	},
	"TMDb.CreateGuestSession": func(ctx context.Context, c *Client) error { _, err := c.TMDb.CreateGuestSession(ctx); return err },
	"TMDb.DeleteSession":      func(ctx context.Context, c *Client) error { return c.TMDb.DeleteSession(ctx) },
	"TMDb.CreateV4RequestToken": func(ctx context.Context, c *Client) error {
		_, err := c.TMDb.CreateV4RequestToken(ctx, "")
		return err
	},
	"TMDb.CreateV4AccessToken": func(ctx context.Context, c *Client) error {
		_, err := c.TMDb.CreateV4AccessToken(ctx, TMDbV4RequestToken{Token: "request-token"})
		return err
	},
	"TMDb.DeleteV4AccessToken": func(ctx context.Context, c *Client) error {
		return c.TMDb.With(TMDbAccessToken{AccessToken: "access-token"}).DeleteV4AccessToken(ctx)
	},
}

// doorsServer answers every request with the answer set last.
type doorsServer struct {
	*httptest.Server
	mu     sync.Mutex
	answer doorAnswer
}

func newDoorsServer(t *testing.T) *doorsServer {
	s := &doorsServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		s.mu.Lock()
		a := s.answer
		s.mu.Unlock()
		if a.challenge != "" {
			w.Header().Set("WWW-Authenticate", a.challenge)
		}
		w.Header().Set("X-Request-Id", "req-42")
		w.Header().Set("Retry-After", "0")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *doorsServer) set(a doorAnswer) {
	s.mu.Lock()
	s.answer = a
	s.mu.Unlock()
}

// doorsOutcome is what a door gave: the sentinels the error matches, the
// *APIError's fields, and the log lines without their times.
type doorsOutcome struct {
	sentinels []string
	apiErr    APIError
	logs      []string
}

// TestThreeDoorsAgree sends every endpoint's documented error statuses,
// in every body shape its API uses, through the typed call, Do, and
// HTTPClient + CheckResponse, and compares what came back.
func TestThreeDoorsAgree(t *testing.T) {
	t.Parallel()
	srv := newDoorsServer(t)
	compared := 0
	for _, ep := range endpoints {
		statuses, ok := documentedStatuses[ep.name]
		require.True(t, ok, "no documented statuses for %s", ep.name)
		for _, status := range statuses {
			for _, answer := range errorBodies(ep.api, status) {
				answer.status = status
				srv.set(answer)
				name := fmt.Sprintf("%s %d %s", ep.name, status, answer.body)
				typed := doorOutcome(t, srv.URL, func(ctx context.Context, c *Client) error { return typedCalls[ep.name](ctx, c) })
				do := doorOutcome(t, srv.URL, func(ctx context.Context, c *Client) error { return doDoor(ctx, c, ep) })
				open := doorOutcome(t, srv.URL, func(ctx context.Context, c *Client) error { return httpClientDoor(ctx, c, ep) })
				assert.Equal(t, typed, do, "typed call and Do: %s", name)
				assert.Equal(t, typed, open, "typed call and HTTPClient + CheckResponse: %s", name)
				assert.Equal(t, status, typed.apiErr.StatusCode, name)
				compared++
			}
		}
	}
	t.Logf("%d endpoint answers compared through 3 doors", compared)
}

// doorOutcome runs one door against base with a client of its own, whose
// log lines it keeps.
func doorOutcome(t *testing.T, base string, door func(context.Context, *Client) error) doorsOutcome {
	t.Helper()
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := New(WithMoviesBaseURL(base), WithTVmazeBaseURL(base+"/v1"), WithTMDbBaseURL(base),
		WithCredentials(Token{AccessToken: "movies-token"}, TVmazeCredentials{Username: "alice", APIKey: "tvmaze-key"},
			TMDbReadAccessToken("read-token"), Session{ID: "session-id"}),
		WithRetry(1, time.Millisecond, time.Millisecond), WithLogger(logger),
		WithRateLimit(APITVmaze, rate.Inf, 0), WithRateLimit(APITMDb, rate.Inf, 0))
	require.NoError(t, err)
	callErr := door(t.Context(), c)
	var out doorsOutcome
	var apiErr *APIError
	require.ErrorAs(t, callErr, &apiErr)
	out.apiErr = *apiErr
	out.apiErr.cause = nil
	for _, s := range allSentinels {
		if errors.Is(callErr, s) {
			out.sentinels = append(out.sentinels, s.Error())
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec))
		delete(rec, "time")
		delete(rec, "duration")
		b, _ := json.Marshal(rec)
		out.logs = append(out.logs, string(b))
	}
	return out
}

// doDoor sends ep's request through the handle's Do.
func doDoor(ctx context.Context, c *Client, ep *endpoint) error {
	var out map[string]any
	return doorHandle(c, ep).do(ctx, ep.method, ep.path, doorBody(ep), &out)
}

// httpClientDoor sends ep's request through the handle's HTTPClient and
// checks the answer with CheckResponse.
func httpClientDoor(ctx context.Context, c *Client, ep *endpoint) error {
	h := doorHandle(c, ep)
	var body io.Reader
	if b := doorBody(ep); b != nil {
		data, _ := json.Marshal(b)
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, ep.method, h.baseURL()+ep.path, body)
	if err != nil {
		return err
	}
	resp, err := h.httpClient().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return CheckResponse(ep.api, resp)
}

// doorHandle is the handle ep's typed call goes through.
func doorHandle(c *Client, ep *endpoint) *handle {
	switch {
	case ep.api == APIMovies:
		return c.Movies.hp()
	case ep.api == APITVmaze:
		return c.TVmaze.hp()
	case ep == epTMDbV4DeleteAccessToken:
		return c.TMDb.With(TMDbAccessToken{AccessToken: "access-token"}).hp()
	}
	return c.TMDb.hp()
}

// doorBody is a JSON body for ep when it takes one.
func doorBody(ep *endpoint) any {
	if ep.method == http.MethodGet {
		return nil
	}
	return map[string]string{"token": "t"}
}

// allSentinels lists every sentinel the SDK exports.
var allSentinels = []error{
	ErrBadRequest, ErrUnauthorized, ErrForbidden, ErrNotFound, ErrConflict, ErrUnprocessable, ErrRateLimited, ErrServer,
	ErrInvalidCredentials, ErrTokenExpired, ErrEmailNotVerified, ErrEmailNotConfirmed, ErrEmailNotFound,
	ErrAuthorizationPending, ErrAuthRequestNotFound, ErrInvalidAPIKey, ErrInvalidRequestToken,
	ErrRequestTokenNotApproved, ErrSessionDenied, ErrInvalidAccessToken, ErrResponseTooLarge,
	ErrMalformedResponse, ErrInsecureTransport, ErrMissingCredentials, ErrInvalidArgument, ErrRedirect,
	ErrOriginMismatch, ErrNetwork,
}
