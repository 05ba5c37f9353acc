package mediaauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/mediaauth/mediaauth"
)

// unitOp is one operation of the Movies contract, by its operationId.
type unitOp struct {
	method, path string
	// okBody is the body of the operation's success answer ("" for none).
	okBody string
	call   func(context.Context, *mediaauth.Client) error
}

var unitOps = map[string]unitOp{
	"register": {http.MethodPost, "/register", unitUserJSON, func(ctx context.Context, c *mediaauth.Client) error {
		_, err := c.Movies.Register(ctx, mediaauth.RegisterRequest{Username: "u", Password: "p", Email: "e@example.com"})
		return err
	}},
	"verifyEmail": {http.MethodPost, "/verify-email", "", func(ctx context.Context, c *mediaauth.Client) error {
		return c.Movies.VerifyEmail(ctx, "verify-token")
	}},
	"login": {http.MethodPost, "/login", unitTokenJSON, func(ctx context.Context, c *mediaauth.Client) error {
		_, err := c.Movies.Login(ctx, "u", "p")
		return err
	}},
	"formLogin": {http.MethodPost, "/auth/login", unitTokenJSON, func(ctx context.Context, c *mediaauth.Client) error {
		_, err := c.Movies.FormLogin(ctx, "u", "p")
		return err
	}},
	"getProfile": {http.MethodGet, "/user/profile", unitUserJSON, func(ctx context.Context, c *mediaauth.Client) error {
		_, err := c.Movies.Profile(ctx)
		return err
	}},
	"updateProfile": {http.MethodPut, "/user/profile", unitUserJSON, func(ctx context.Context, c *mediaauth.Client) error {
		_, err := c.Movies.UpdateProfile(ctx, mediaauth.ProfileUpdate{Email: mediaauth.String("new@example.com")})
		return err
	}},
	"getAPIKey": {http.MethodGet, "/user/api-key", `{"api_key":"k"}`, func(ctx context.Context, c *mediaauth.Client) error {
		_, err := c.Movies.FetchAPIKey(ctx)
		return err
	}},
	"generateAPIKey": {http.MethodPost, "/user/api-key", `{"api_key":"k"}`, func(ctx context.Context, c *mediaauth.Client) error {
		_, err := c.Movies.GenerateAPIKey(ctx)
		return err
	}},
	"requestPasswordReset": {http.MethodPost, "/password/reset", "", func(ctx context.Context, c *mediaauth.Client) error {
		return c.Movies.RequestPasswordReset(ctx, "e@example.com")
	}},
	"confirmPasswordReset": {http.MethodPost, "/password/reset/confirm", "", func(ctx context.Context, c *mediaauth.Client) error {
		return c.Movies.ConfirmPasswordReset(ctx, "reset-token", "new-password")
	}},
}

// Challenges of 401 answers.
const (
	challengeExpired = `Bearer error="invalid_token", error_description="The access token expired"`
	challengeInvalid = `Bearer error="invalid_token", error_description="The access token is malformed"`
)

// unitSentinels is every sentinel an answer may match; each row of the
// status table says exactly which of them its error matches.
var unitSentinels = map[string]error{
	"ErrBadRequest": mediaauth.ErrBadRequest, "ErrUnauthorized": mediaauth.ErrUnauthorized,
	"ErrForbidden": mediaauth.ErrForbidden, "ErrNotFound": mediaauth.ErrNotFound,
	"ErrConflict": mediaauth.ErrConflict, "ErrUnprocessable": mediaauth.ErrUnprocessable,
	"ErrRateLimited": mediaauth.ErrRateLimited, "ErrServer": mediaauth.ErrServer,
	"ErrInvalidCredentials": mediaauth.ErrInvalidCredentials, "ErrTokenExpired": mediaauth.ErrTokenExpired,
	"ErrEmailNotVerified": mediaauth.ErrEmailNotVerified, "ErrEmailNotConfirmed": mediaauth.ErrEmailNotConfirmed,
	"ErrEmailNotFound": mediaauth.ErrEmailNotFound, "ErrAuthorizationPending": mediaauth.ErrAuthorizationPending,
	"ErrAuthRequestNotFound": mediaauth.ErrAuthRequestNotFound, "ErrInvalidAPIKey": mediaauth.ErrInvalidAPIKey,
	"ErrInvalidRequestToken": mediaauth.ErrInvalidRequestToken, "ErrRequestTokenNotApproved": mediaauth.ErrRequestTokenNotApproved,
	"ErrSessionDenied": mediaauth.ErrSessionDenied, "ErrResponseTooLarge": mediaauth.ErrResponseTooLarge,
	"ErrMalformedResponse": mediaauth.ErrMalformedResponse, "ErrInsecureTransport": mediaauth.ErrInsecureTransport,
	"ErrMissingCredentials": mediaauth.ErrMissingCredentials, "ErrNetwork": mediaauth.ErrNetwork,
}

// moviesStatusRow is one documented answer of one operation.
type moviesStatusRow struct {
	op     string
	status int
	code   string // the error body's "error" field
	auth   string // WWW-Authenticate header, if any
	want   []string
}

// moviesStatusTable lists, by hand from specs/movies/movies-auth.openapi.yaml,
// every status of every operation, plus the 401 variants of the protected
// operations and a few statuses the spec does not list but the client maps.
var moviesStatusTable = []moviesStatusRow{
	{op: "register", status: 201},
	{op: "register", status: 400, code: "invalid_request", want: []string{"ErrBadRequest"}},
	{op: "register", status: 409, code: "conflict", want: []string{"ErrConflict"}},
	{op: "register", status: 500, code: "server_error", want: []string{"ErrServer"}},

	{op: "verifyEmail", status: 204},
	{op: "verifyEmail", status: 400, code: "invalid_request", want: []string{"ErrBadRequest"}},
	{op: "verifyEmail", status: 404, code: "not_found", want: []string{"ErrNotFound"}},
	{op: "verifyEmail", status: 500, code: "server_error", want: []string{"ErrServer"}},

	{op: "login", status: 200},
	{op: "login", status: 400, code: "invalid_request", want: []string{"ErrBadRequest"}},
	{op: "login", status: 401, code: "invalid_credentials", want: []string{"ErrInvalidCredentials", "ErrUnauthorized"}},
	{op: "login", status: 403, code: "email_not_verified", want: []string{"ErrEmailNotVerified", "ErrForbidden"}},
	{op: "login", status: 500, code: "server_error", want: []string{"ErrServer"}},

	{op: "formLogin", status: 200},
	{op: "formLogin", status: 400, code: "invalid_request", want: []string{"ErrBadRequest"}},
	{op: "formLogin", status: 401, code: "invalid_credentials", want: []string{"ErrInvalidCredentials", "ErrUnauthorized"}},
	{op: "formLogin", status: 403, code: "email_not_verified", want: []string{"ErrEmailNotVerified", "ErrForbidden"}},
	{op: "formLogin", status: 500, code: "server_error", want: []string{"ErrServer"}},

	{op: "getProfile", status: 200},
	{op: "getProfile", status: 401, code: "invalid_token", auth: challengeInvalid, want: []string{"ErrUnauthorized"}},
	{op: "getProfile", status: 401, code: "invalid_token", auth: challengeExpired, want: []string{"ErrTokenExpired", "ErrUnauthorized"}},
	{op: "getProfile", status: 401, code: "token_expired", want: []string{"ErrTokenExpired", "ErrUnauthorized"}},
	{op: "getProfile", status: 401, code: "invalid_token", auth: `Bearer realm="movies"`, want: []string{"ErrUnauthorized"}},
	{op: "getProfile", status: 500, code: "server_error", want: []string{"ErrServer"}},

	{op: "updateProfile", status: 200},
	{op: "updateProfile", status: 400, code: "invalid_request", want: []string{"ErrBadRequest"}},
	{op: "updateProfile", status: 401, code: "invalid_token", auth: challengeInvalid, want: []string{"ErrUnauthorized"}},
	{op: "updateProfile", status: 401, code: "invalid_token", auth: challengeExpired, want: []string{"ErrTokenExpired", "ErrUnauthorized"}},
	{op: "updateProfile", status: 409, code: "conflict", want: []string{"ErrConflict"}},
	{op: "updateProfile", status: 500, code: "server_error", want: []string{"ErrServer"}},

	{op: "getAPIKey", status: 200},
	{op: "getAPIKey", status: 401, code: "invalid_token", auth: challengeInvalid, want: []string{"ErrUnauthorized"}},
	{op: "getAPIKey", status: 401, code: "invalid_token", auth: challengeExpired, want: []string{"ErrTokenExpired", "ErrUnauthorized"}},
	{op: "getAPIKey", status: 404, code: "not_found", want: []string{"ErrNotFound"}},
	{op: "getAPIKey", status: 500, code: "server_error", want: []string{"ErrServer"}},

	{op: "generateAPIKey", status: 201},
	{op: "generateAPIKey", status: 401, code: "invalid_token", auth: challengeInvalid, want: []string{"ErrUnauthorized"}},
	{op: "generateAPIKey", status: 401, code: "invalid_token", auth: challengeExpired, want: []string{"ErrTokenExpired", "ErrUnauthorized"}},
	{op: "generateAPIKey", status: 500, code: "server_error", want: []string{"ErrServer"}},

	{op: "requestPasswordReset", status: 202},
	{op: "requestPasswordReset", status: 400, code: "invalid_request", want: []string{"ErrBadRequest"}},
	{op: "requestPasswordReset", status: 500, code: "server_error", want: []string{"ErrServer"}},

	{op: "confirmPasswordReset", status: 204},
	{op: "confirmPasswordReset", status: 400, code: "invalid_request", want: []string{"ErrBadRequest"}},
	{op: "confirmPasswordReset", status: 404, code: "not_found", want: []string{"ErrNotFound"}},
	{op: "confirmPasswordReset", status: 500, code: "server_error", want: []string{"ErrServer"}},

	// Not in the contract, but any server may send them.
	{op: "getProfile", status: 403, code: "email_not_verified", want: []string{"ErrEmailNotVerified", "ErrForbidden"}},
	{op: "updateProfile", status: 422, code: "invalid_request", want: []string{"ErrUnprocessable"}},
	{op: "login", status: 429, code: "rate_limited", want: []string{"ErrRateLimited"}},
	{op: "register", status: 502, code: "bad_gateway", want: []string{"ErrServer"}},
	{op: "getProfile", status: 503, code: "unavailable", want: []string{"ErrServer"}},
	{op: "getProfile", status: 418, code: "teapot"},
}

// TestMoviesStatuses checks, for every row of moviesStatusTable, exactly
// which sentinels the error matches and every field of the *APIError.
func TestMoviesStatuses(t *testing.T) {
	t.Parallel()
	for _, row := range moviesStatusTable {
		name := fmt.Sprintf("%s/%d/%s", row.op, row.status, row.code)
		if row.auth != "" {
			name += "/" + strings.Fields(row.auth)[len(strings.Fields(row.auth))-1]
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			op, ok := unitOps[row.op]
			require.True(t, ok, "unknown operation %q", row.op)
			c, mt := unitClient(t, mediaauth.WithCredentials(mediaauth.Token{AccessToken: "secret-token-value"}))
			var rec recorder
			body := op.okBody
			msg := fmt.Sprintf("message for %s %d", row.op, row.status)
			hdr := []string{"X-Request-Id", "req-" + strconv.Itoa(row.status)}
			if row.status >= 300 {
				body = fmt.Sprintf(`{"error":%q,"message":%q}`, row.code, msg)
				hdr = append(hdr, "Retry-After", "7")
			}
			if row.auth != "" {
				hdr = append(hdr, "WWW-Authenticate", row.auth)
			}
			mt.RegisterResponder(op.method, unitBase+op.path, rec.respond(row.status, body, hdr...))

			err := op.call(t.Context(), c)
			assert.Len(t, rec.requests(), 1, "one request, no retry")
			if row.status < 300 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for name, sentinel := range unitSentinels {
				assert.Equal(t, slices.Contains(row.want, name), errors.Is(err, sentinel), "errors.Is(err, %s) for %v", name, err)
			}
			var apiErr *mediaauth.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, mediaauth.APIMovies, apiErr.API)
			assert.Equal(t, op.method, apiErr.Method)
			assert.Equal(t, op.path, apiErr.Path)
			assert.Equal(t, row.status, apiErr.StatusCode)
			assert.Equal(t, row.code, apiErr.Code)
			assert.Zero(t, apiErr.TMDbCode)
			assert.Equal(t, msg, apiErr.Message)
			assert.Equal(t, 7*time.Second, apiErr.RetryAfter)
			assert.Equal(t, "req-"+strconv.Itoa(row.status), apiErr.RequestID)
			assert.Equal(t, row.status == 429 || row.status >= 500, (errors.Is(apiErr, mediaauth.ErrRateLimited) || errors.Is(apiErr, mediaauth.ErrServer)))

			text := err.Error()
			for _, part := range []string{op.method, op.path, strconv.Itoa(row.status), msg} {
				assert.Contains(t, text, part)
			}
			assert.NotContains(t, text, "secret-token-value")
		})
	}
}

// moviesStatusListing lists the operations and statuses of
// moviesStatusTable, one operation a line: "operationId METHOD path
// status...". The contract tests, in a module of their own, read it to check
// that the table has a row for every status the Movies contract documents.
const moviesStatusListing = "testdata/movies-statuses.txt"

// updateListing is the -update flag (defined in credjson_test.go): it also
// rewrites moviesStatusListing from moviesStatusTable.
var updateListing = updateGoldens

// TestMoviesStatusListing checks that testdata/movies-statuses.txt lists
// what moviesStatusTable covers. After a change to the table, rewrite it
// with
//
//	go test -run TestMoviesStatusListing -update .
func TestMoviesStatusListing(t *testing.T) {
	t.Parallel()
	statuses := map[string][]int{}
	for _, row := range moviesStatusTable {
		require.Contains(t, unitOps, row.op, "row of an unknown operation")
		if !slices.Contains(statuses[row.op], row.status) {
			statuses[row.op] = append(statuses[row.op], row.status)
		}
	}
	var b strings.Builder
	b.WriteString("# Written by TestMoviesStatusListing (errors_test.go) from moviesStatusTable:\n" +
		"# operationId METHOD path, then every status the table has a row for.\n")
	for _, name := range slices.Sorted(maps.Keys(unitOps)) {
		op := unitOps[name]
		fmt.Fprintf(&b, "%s %s %s", name, op.method, op.path)
		for _, status := range slices.Sorted(slices.Values(statuses[name])) {
			fmt.Fprintf(&b, " %d", status)
		}
		b.WriteString("\n")
	}
	if *updateListing {
		require.NoError(t, os.WriteFile(moviesStatusListing, []byte(b.String()), 0o644))
		return
	}
	want, err := os.ReadFile(moviesStatusListing)
	require.NoError(t, err)
	assert.Equal(t, string(want), b.String(),
		"%s is out of date: go test -run TestMoviesStatusListing -update .", moviesStatusListing)
}

// TestAPIErrorBodies checks how error bodies that are not the Movies shape
// become Message and Code.
func TestAPIErrorBodies(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 2000)
	tests := []struct {
		name        string
		contentType string
		body        string
		wantCode    string
		wantMessage string
	}{
		{name: "movies", body: `{"error":"not_found","message":"no such key"}`, wantCode: "not_found", wantMessage: "no such key"},
		{name: "oauth", body: `{"error":"invalid_grant","error_description":"bad password"}`, wantCode: "invalid_grant", wantMessage: "bad password"},
		{name: "detail", body: `{"detail":"Not authenticated"}`, wantMessage: "Not authenticated"},
		{name: "tmdb shape", body: `{"success":false,"status_code":34,"status_message":"The resource you requested could not be found."}`, wantMessage: "The resource you requested could not be found."},
		{name: "tvmaze shape", body: `{"name":"Not Found","message":"Page not found.","code":0,"status":404}`, wantMessage: "Page not found."},
		{name: "tvmaze name only", body: `{"name":"Not Found","code":0,"status":404}`, wantMessage: "Not Found"},
		{name: "non-string fields", body: `{"error":{"a":1},"message":42}`},
		{name: "plain text", contentType: "text/plain", body: "  no such thing\n", wantMessage: "no such thing"},
		{name: "html", contentType: "text/html", body: "<html><head><title>404 Not Found</title></head><body>x</body></html>", wantMessage: "HTML page: 404 Not Found"},
		{name: "html no title", contentType: "text/html", body: "<p>nope</p>", wantMessage: "HTML page"},
		{name: "broken json", body: `{"error":`, wantMessage: `{"error":`},
		{name: "empty", body: ""},
		{name: "long code", body: `{"error":"` + strings.Repeat("c", 5000) + `"}`, wantCode: strings.Repeat("c", 64) + "…"},
		{name: "long message", body: `{"message":"` + long + `"}`, wantMessage: strings.Repeat("é", 256) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := unitClient(t, mediaauth.WithCredentials(mediaauth.Token{AccessToken: "t"}))
			mt.RegisterResponder(http.MethodGet, unitBase+"/user/api-key", func(*http.Request) (*http.Response, error) {
				resp := &http.Response{StatusCode: http.StatusNotFound, Header: http.Header{}, Body: http.NoBody}
				resp = responseWithBody(resp, tt.body)
				if tt.contentType != "" {
					resp.Header.Set("Content-Type", tt.contentType)
				}
				return resp, nil
			})
			_, err := c.Movies.FetchAPIKey(t.Context())
			var apiErr *mediaauth.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.ErrorIs(t, err, mediaauth.ErrNotFound)
			assert.Equal(t, tt.wantCode, apiErr.Code)
			assert.Equal(t, tt.wantMessage, apiErr.Message)
			assert.Zero(t, apiErr.TMDbCode, "TMDb codes are read from TMDb answers only")
			assert.LessOrEqual(t, len(err.Error()), 1024)
		})
	}
}

// responseWithBody sets resp's body to body.
func responseWithBody(resp *http.Response, body string) *http.Response {
	resp.Body = http.NoBody
	if body != "" {
		resp.Body = readCloser{strings.NewReader(body)}
		resp.ContentLength = int64(len(body))
	}
	return resp
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

// TestAPIErrorRetryAfterDate checks that Retry-After as an HTTP date becomes
// APIError.RetryAfter.
func TestAPIErrorRetryAfterDate(t *testing.T) {
	t.Parallel()
	c, mt := unitClient(t)
	var rec recorder
	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	mt.RegisterResponder(http.MethodPost, unitBase+"/login", rec.respond(http.StatusTooManyRequests, `{"error":"rate_limited","message":"slow down"}`, "Retry-After", date))
	_, err := c.Movies.Login(t.Context(), "u", "p")
	var apiErr *mediaauth.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.ErrorIs(t, err, mediaauth.ErrRateLimited)
	assert.InDelta(t, 90, apiErr.RetryAfter.Seconds(), 2)
	assert.True(t, (errors.Is(apiErr, mediaauth.ErrRateLimited) || errors.Is(apiErr, mediaauth.ErrServer)))
}

// TestAPIErrorZeroValue checks that an *APIError built by hand prints and
// unwraps without panicking.
func TestAPIErrorZeroValue(t *testing.T) {
	t.Parallel()
	var e mediaauth.APIError
	assert.NotPanics(t, func() { assert.NotEmpty(t, e.Error()) })
	assert.Empty(t, e.Unwrap())
	e = mediaauth.APIError{API: mediaauth.APIMovies, Method: "GET", Path: "/x", StatusCode: 404, Message: "gone"}
	assert.Equal(t, "mediaauth: movies GET /x: 404 Not Found: gone", e.Error())
	assert.ErrorIs(t, &e, mediaauth.ErrNotFound)
}

// TestErrorBodyTooLarge checks that an error body above the cap is
// ErrResponseTooLarge and still matches its status class.
func TestErrorBodyTooLarge(t *testing.T) {
	t.Parallel()
	c, mt := unitClient(t)
	var rec recorder
	mt.RegisterResponder(http.MethodPost, unitBase+"/login", rec.respond(http.StatusInternalServerError, `{"message":"`+strings.Repeat("x", 100<<10)+`"}`))
	_, err := c.Movies.Login(t.Context(), "u", "p")
	assert.ErrorIs(t, err, mediaauth.ErrResponseTooLarge)
	assert.ErrorIs(t, err, mediaauth.ErrServer)
	var apiErr *mediaauth.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusInternalServerError, apiErr.StatusCode)
	assert.Less(t, len(err.Error()), 1024)
}

// hostilePages are error bodies that are not UTF-8 or whose case folding
// changes their length: proxy and CDN pages in Latin-1, cut multi-byte
// characters, titles of "İ" (which lowers to three bytes) and of the Kelvin
// sign (which lowers to one).
var hostilePages = []struct {
	name, contentType, body string
	// wantInMessage, when set, must appear whole in APIError.Message.
	wantInMessage string
}{
	{name: "latin-1 title", contentType: "text/html", body: "<title>\xa5\xa5\xa5\xa5\xa5</title>"},
	{name: "invalid pairs", contentType: "text/html", body: "<html><title>" + strings.Repeat("\xff\xfe", 40) + "</title></html>"},
	{name: "doctype as text/plain", contentType: "text/plain", body: "<!DOCTYPE html><title>\x80\x81\x82\x83\x84\x85\x86\x87\x88</title>"},
	{name: "dotted capital I", contentType: "text/html", body: "<html><title>" + strings.Repeat("İ", 12) + "</title></html>", wantInMessage: "HTML page: " + strings.Repeat("İ", 12)},
	{name: "kelvin sign", contentType: "text/html", body: "<HTML><TITLE>" + strings.Repeat("\u212a", 20) + "</TITLE></HTML>", wantInMessage: "HTML page: " + strings.Repeat("\u212a", 20)},
	{name: "cut multi-byte text", contentType: "text/plain", body: strings.Repeat("\xc3", 300)},
	{name: "json with invalid fields", contentType: "application/json", body: `{"error":"bad\xff\xfe","message":"Zugriff verweigert f` + "\xfc" + `r \xc3","status_code":"\xa5","status_message":"\x80"}`},
}

// everyDoor is every typed call, plus Do and HTTPClient + CheckResponse for
// each API, as the hostile-page test makes them.
func everyDoor() []sdkCall {
	calls := everyCall()
	for _, api := range []mediaauth.API{mediaauth.APIMovies, mediaauth.APITVmaze, mediaauth.APITMDb} {
		path := map[mediaauth.API]string{mediaauth.APIMovies: "/user/profile", mediaauth.APITVmaze: "/v1/user/follows/shows", mediaauth.APITMDb: "/3/account"}[api]
		calls = append(calls,
			sdkCall{"Do " + string(api), func(ctx context.Context, c *mediaauth.Client) error {
				return handleOf(c, api).Do(ctx, http.MethodGet, path, nil, &struct{}{})
			}},
			sdkCall{"HTTPClient " + string(api), func(ctx context.Context, c *mediaauth.Client) error {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, handleOf(c, api).BaseURL()+path, nil)
				if err != nil {
					return err
				}
				resp, err := handleOf(c, api).HTTPClient().Do(req)
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				return mediaauth.CheckResponse(api, resp)
			}})
	}
	return append(calls,
		sdkCall{"LoginSession", func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.TMDb.LoginSession(ctx, "u", bPassword)
			return err
		}},
		sdkCall{"CreateV4RequestToken", func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.TMDb.CreateV4RequestToken(ctx, "")
			return err
		}},
		sdkCall{"CreateV4AccessToken", func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.TMDb.CreateV4AccessToken(ctx, mediaauth.TMDbV4RequestToken{Token: bToken})
			return err
		}},
		sdkCall{"DeleteV4AccessToken", func(ctx context.Context, c *mediaauth.Client) error {
			return c.TMDb.With(mediaauth.TMDbAccessToken{AccessToken: bToken}).DeleteV4AccessToken(ctx)
		}},
		sdkCall{"PollUntilApproved", func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.TMDb.PollUntilApproved(ctx, mediaauth.RequestToken{Token: bToken}, mediaauth.WithPollInterval(time.Millisecond))
			return err
		}},
		sdkCall{"PollUntilApprovedV4", func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.TMDb.PollUntilApprovedV4(ctx, mediaauth.TMDbV4RequestToken{Token: bToken}, mediaauth.WithPollInterval(time.Millisecond))
			return err
		}},
		sdkCall{"PollUntilConfirmed", func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.TVmaze.PollUntilConfirmed(ctx, mediaauth.AuthRequest{Token: bToken}, mediaauth.WithPollInterval(time.Millisecond))
			return err
		}},
	)
}

// TestHostileErrorPages sends every door of the SDK against 400, 404 and
// 502 answers whose bodies are not UTF-8 or change length when case-folded:
// no call panics, every error is an *APIError typed by its status, its
// text is valid UTF-8, and a title is kept whole.
func TestHostileErrorPages(t *testing.T) {
	t.Parallel()
	var (
		mu     sync.Mutex
		status int
		page   = hostilePages[0]
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		st, p := status, page
		mu.Unlock()
		w.Header().Set("Content-Type", p.contentType)
		w.WriteHeader(st)
		_, _ = io.WriteString(w, p.body)
	}))
	t.Cleanup(srv.Close)
	c := boundaryClient(t, srv.URL,
		mediaauth.WithRateLimit(mediaauth.APITVmaze, rate.Inf, 0), mediaauth.WithRateLimit(mediaauth.APITMDb, rate.Inf, 0))
	// TMDb v4 authentication needs a read access token, not an API key.
	c = c.With(mediaauth.TMDbReadAccessToken(bTMDbRead))
	calls := 0
	for _, st := range []int{http.StatusBadRequest, http.StatusNotFound, http.StatusBadGateway} {
		for _, p := range hostilePages {
			mu.Lock()
			status, page = st, p
			mu.Unlock()
			for _, call := range everyDoor() {
				calls++
				err := callWithoutPanic(t, c, call)
				name := fmt.Sprintf("%d %s %s", st, p.name, call.name)
				var apiErr *mediaauth.APIError
				if !assert.ErrorAs(t, err, &apiErr, name) {
					continue
				}
				assert.ErrorIs(t, err, statusClass(st), name)
				assert.Equal(t, st, apiErr.StatusCode, name)
				for _, text := range []string{err.Error(), apiErr.Message, apiErr.Code, apiErr.RequestID} {
					assert.True(t, utf8.ValidString(text), "%s: %q is not UTF-8", name, text)
				}
				if p.wantInMessage != "" {
					assert.Contains(t, apiErr.Message, p.wantInMessage, name)
				}
			}
		}
	}
	t.Logf("%d calls, none panicked", calls)
}

// callWithoutPanic makes call with a bounded context and turns a panic into
// a test failure.
func callWithoutPanic(t *testing.T, c *mediaauth.Client, call sdkCall) (err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("%s panicked: %v", call.name, p)
			err = nil
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	return call.run(ctx, c)
}

// statusClass is the sentinel of an HTTP status class.
func statusClass(status int) error {
	switch status {
	case http.StatusBadRequest:
		return mediaauth.ErrBadRequest
	case http.StatusNotFound:
		return mediaauth.ErrNotFound
	}
	return mediaauth.ErrServer
}
