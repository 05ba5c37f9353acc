package mediaauth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
)

// Unit tests of tmdbtoken.go. The fixtures and tmdbMethods, the table of
// every TMDb v3 method, are in tmdbsession_test.go.

// TestTMDbMalformedAnswers checks that a 200 the contract does not allow is
// ErrMalformedResponse, never a zero value.
func TestTMDbMalformedAnswers(t *testing.T) {
	t.Parallel()
	type row struct {
		name   string
		method string // "" means every method
		answer string
	}
	rows := []row{
		{"success false", "", `{"success":false,"status_code":1,"status_message":"x","request_token":"t","session_id":"s","guest_session_id":"g","expires_at":"2016-08-26 17:04:39 UTC"}`},
		{"not JSON", "", `<html>oops</html>`},
		{"empty", "", ``},
		{"array", "", `[]`},
		{"token: RFC 3339 expires_at", "CreateRequestToken", `{"success":true,"expires_at":"2016-08-26T17:04:39Z","request_token":"t"}`},
		{"token: other zone", "CreateRequestToken", `{"success":true,"expires_at":"2016-08-26 17:04:39 PST","request_token":"t"}`},
		{"token: no zone", "CreateRequestToken", `{"success":true,"expires_at":"2016-08-26 17:04:39","request_token":"t"}`},
		{"token: bad month", "CreateRequestToken", `{"success":true,"expires_at":"2016-13-26 17:04:39 UTC","request_token":"t"}`},
		{"token: empty expires_at", "CreateRequestToken", `{"success":true,"expires_at":"","request_token":"t"}`},
		{"token: no expires_at", "CreateRequestToken", `{"success":true,"request_token":"t"}`},
		{"token: number expires_at", "CreateRequestToken", `{"success":true,"expires_at":1472231079,"request_token":"t"}`},
		{"token: no request_token", "CreateRequestToken", `{"success":true,"expires_at":"2016-08-26 17:04:39 UTC"}`},
		{"token: no success", "CreateRequestToken", `{"expires_at":"2016-08-26 17:04:39 UTC","request_token":"t"}`},
		{"login: no request_token", "ValidateRequestTokenWithLogin", `{"success":true,"expires_at":"2016-08-26 17:04:39 UTC"}`},
		{"login: bad expires_at", "ValidateRequestTokenWithLogin", `{"success":true,"expires_at":"tomorrow","request_token":"t"}`},
		{"session: no session_id", "CreateSession", `{"success":true}`},
		{"session: no success", "CreateSession", `{"session_id":"s"}`},
		{"convert: no session_id", "CreateSessionFromV4Token", `{"success":true,"session_id":""}`},
		{"delete: no success", "DeleteSession", `{}`},
		{"guest: no id", "CreateGuestSession", `{"success":true,"expires_at":"2016-08-27 16:26:40 UTC"}`},
		{"guest: bad expires_at", "CreateGuestSession", `{"success":true,"guest_session_id":"g","expires_at":"2016-08-27 16:26:40 +0000"}`},
		{"guest: no success", "CreateGuestSession", `{"guest_session_id":"g","expires_at":"2016-08-27 16:26:40 UTC"}`},
	}
	for _, r := range rows {
		for _, m := range tmdbMethods() {
			if r.method != "" && r.method != m.name {
				continue
			}
			if m.name == "ValidateKey" && r.name == "array" {
				continue // decoding [] into the Status object fails too, but keep the rows simple
			}
			t.Run(r.name+"/"+m.name, func(t *testing.T) {
				t.Parallel()
				c, mt := tmdbUnitClient(t, mediaauth.WithCredentials(mediaauth.TMDbAPIKey(tmdbUnitKey)))
				var log recorder
				mt.RegisterResponder(m.method, "https://tmdb.test"+m.path, log.respondTMDb(http.StatusOK, r.answer))
				out, err := m.call(t.Context(), c)
				require.ErrorIs(t, err, mediaauth.ErrMalformedResponse)
				var apiErr *mediaauth.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, http.StatusOK, apiErr.StatusCode)
				assert.Equal(t, mediaauth.APITMDb, apiErr.API)
				assert.True(t, isNilResult(out), "no result with an error, got %v", out)
				assert.NotContains(t, err.Error(), tmdbUnitKey)
			})
		}
	}
}

// TestTMDbAuthenticateURL checks the approval page URL, which needs no request.
func TestTMDbAuthenticateURL(t *testing.T) {
	t.Parallel()
	c, mt := tmdbUnitClient(t)
	tests := []struct {
		token, redirect, want string
	}{
		{tmdbUnitToken, "", "https://www.themoviedb.org/authenticate/" + tmdbUnitToken},
		{tmdbUnitToken, "https://app.example/cb?x=1&y=a b",
			"https://www.themoviedb.org/authenticate/" + tmdbUnitToken + "?redirect_to=https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1%26y%3Da+b"},
		{"a/b?c", "", "https://www.themoviedb.org/authenticate/a%2Fb%3Fc"},
	}
	for _, tt := range tests {
		got := c.TMDb.AuthenticateURL(mediaauth.RequestToken{Token: tt.token}, tt.redirect)
		assert.Equal(t, tt.want, got)
		u, err := url.Parse(got)
		require.NoError(t, err)
		assert.Equal(t, tt.redirect, u.Query().Get("redirect_to"))
	}
	assert.Equal(t, "https://www.themoviedb.org/authenticate/x", (&mediaauth.Client{}).TMDb.AuthenticateURL(mediaauth.RequestToken{Token: "x"}, ""))
	assert.Zero(t, mt.GetTotalCallCount())
}

// TestTMDbRetryAfterBounds checks that a 429's Retry-After is honoured up to
// WithRetry's maximum wait, and that after the last retry the caller gets
// the typed error with the code and the wait the server asked for.
func TestTMDbRetryAfterBounds(t *testing.T) {
	t.Parallel()
	const rateLimited = `{"success":false,"status_code":25,"status_message":"Your request count (#) is over the allowed limit of (40)."}`

	t.Run("capped by maxWait", func(t *testing.T) {
		t.Parallel()
		c, mt := tmdbUnitClient(t, mediaauth.WithCredentials(mediaauth.TMDbAPIKey(tmdbUnitKey)),
			mediaauth.WithRetry(2, time.Millisecond, 100*time.Millisecond))
		var log recorder
		mt.RegisterResponder(http.MethodGet, "https://tmdb.test/3/authentication/token/new",
			log.respondTMDb(429, rateLimited, "Retry-After", "30").Then(log.respondTMDb(http.StatusOK, tmdbUnitTokenJSON)))
		start := time.Now()
		tok, err := c.TMDb.CreateRequestToken(t.Context())
		elapsed := time.Since(start)
		require.NoError(t, err)
		assert.Equal(t, tmdbUnitToken, tok.Token)
		assert.GreaterOrEqual(t, elapsed, 100*time.Millisecond, "waited for Retry-After up to maxWait")
		assert.Less(t, elapsed, 5*time.Second, "Retry-After: 30 is capped at maxWait")
	})

	t.Run("honoured below maxWait", func(t *testing.T) {
		t.Parallel()
		// Retry-After as an HTTP date 200 ms after the client's clock: a
		// wait below maxWait, shorter than the whole second that
		// TestRetryAfterSeconds waits for Retry-After: 1.
		const wait = 200 * time.Millisecond
		date := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		c, mt := tmdbUnitClient(t, mediaauth.WithCredentials(mediaauth.TMDbAPIKey(tmdbUnitKey)),
			mediaauth.WithRetry(2, time.Millisecond, 10*time.Second))
		mediaauth.SetClock(c, func() time.Time { return date.Add(-wait) })
		var log recorder
		mt.RegisterResponder(http.MethodPost, "https://tmdb.test/3/authentication/session/new",
			log.respondTMDb(429, rateLimited, "Retry-After", date.Format(http.TimeFormat)).Then(log.respondTMDb(http.StatusOK, tmdbUnitSessionObj)))
		start := time.Now()
		sess, err := c.TMDb.CreateSession(t.Context(), mediaauth.RequestToken{Token: tmdbUnitToken})
		elapsed := time.Since(start)
		require.NoError(t, err)
		assert.Equal(t, tmdbUnitSession, sess.ID)
		assert.GreaterOrEqual(t, elapsed, wait, "waited as long as Retry-After asked for")
		assert.Less(t, elapsed, wait+time.Second, "not capped, not doubled")
		reqs := log.requests()
		require.Len(t, reqs, 2)
		assert.Equal(t, reqs[0].Body, reqs[1].Body, "the retry sends the same body")
	})

	t.Run("exhausted", func(t *testing.T) {
		t.Parallel()
		c, mt := tmdbUnitClient(t, mediaauth.WithCredentials(mediaauth.TMDbAPIKey(tmdbUnitKey)),
			mediaauth.WithRetry(2, time.Millisecond, 2*time.Millisecond))
		var log recorder
		mt.RegisterResponder(http.MethodGet, "https://tmdb.test/3/authentication/token/new",
			log.respondTMDb(429, rateLimited, "Retry-After", "7"))
		_, err := c.TMDb.CreateRequestToken(t.Context())
		require.ErrorIs(t, err, mediaauth.ErrRateLimited)
		var apiErr *mediaauth.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 25, apiErr.TMDbCode)
		assert.Equal(t, 7*time.Second, apiErr.RetryAfter)
		assert.True(t, (errors.Is(apiErr, mediaauth.ErrRateLimited) || errors.Is(apiErr, mediaauth.ErrServer)))
		assert.Len(t, log.requests(), 3, "first attempt and two retries")
	})

	t.Run("context cancels the wait", func(t *testing.T) {
		t.Parallel()
		c, mt := tmdbUnitClient(t, mediaauth.WithCredentials(mediaauth.TMDbAPIKey(tmdbUnitKey)),
			mediaauth.WithRetry(2, time.Millisecond, time.Minute))
		mt.RegisterResponder(http.MethodGet, "https://tmdb.test/3/authentication/token/new",
			httpmock.NewStringResponder(429, rateLimited).HeaderAdd(http.Header{"Retry-After": {"60"}}))
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.TMDb.CreateRequestToken(ctx)
		require.Error(t, err)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 5*time.Second)
	})
}

// TestTMDbErrorsHideCredentials checks that network errors and logs of a
// client with an API key do not show the key (it travels in the query).
func TestTMDbErrorsHideCredentials(t *testing.T) {
	t.Parallel()
	var logBuf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&tmdbSyncWriter{mu: &mu, w: &logBuf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, mt := tmdbUnitClient(t, mediaauth.WithCredentials(mediaauth.TMDbAPIKey(tmdbUnitKey)), mediaauth.WithLogger(logger))
	mt.RegisterResponder(http.MethodGet, "https://tmdb.test/3/authentication/token/new",
		httpmock.NewErrorResponder(errors.New("connection reset by peer")))
	mt.RegisterResponder(http.MethodPost, "https://tmdb.test/3/authentication/token/validate_with_login",
		httpmock.NewStringResponder(http.StatusUnauthorized, `{"success":false,"status_code":30,"status_message":"Invalid username and/or password: You did not provide a valid login."}`))

	_, err := c.TMDb.CreateRequestToken(t.Context())
	require.ErrorIs(t, err, mediaauth.ErrNetwork)
	assert.NotContains(t, err.Error(), tmdbUnitKey)
	assert.NotContains(t, fmt.Sprintf("%+v %#v", err, err), tmdbUnitKey)

	_, err = c.TMDb.ValidateRequestTokenWithLogin(t.Context(), "johnny", "pa55-5ecret", mediaauth.RequestToken{Token: tmdbUnitToken})
	require.ErrorIs(t, err, mediaauth.ErrInvalidCredentials)
	for _, secret := range []string{tmdbUnitKey, "pa55-5ecret", tmdbUnitToken} {
		assert.NotContains(t, err.Error(), secret)
	}

	mu.Lock()
	logged := logBuf.String()
	mu.Unlock()
	assert.NotEmpty(t, logged)
	for _, secret := range []string{tmdbUnitKey, "pa55-5ecret", tmdbUnitToken} {
		assert.NotContains(t, logged, secret)
	}
}

// tmdbSyncWriter serializes writes to w.
type tmdbSyncWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (s *tmdbSyncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
