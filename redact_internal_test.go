package mediaauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// White-box tests of the scrubbing of redact.go: what a TMDb API key, sent
// in the query, leaves in errors and logs. lockedWriter and pipeAnswer are
// in client_test.go.

// TestTMDbAPIKeyNeverInErrors checks that the api_key query parameter does
// not reach error strings or logs, whether the transport fails or the
// server answers with an error.
func TestTMDbAPIKeyNeverInErrors(t *testing.T) {
	t.Parallel()
	const key = "tmdbkey0123456789abcdef"
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(lockedWriter{&logMu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tmdbCall := func() *call {
		return &call{ep: epTMDbRequestToken, out: &struct{}{}}
	}

	t.Run("connection refused", func(t *testing.T) {
		c, err := New(WithTMDbBaseURL("http://"+ClosedAddr(t)), WithCredentials(TMDbAPIKey(key)), WithLogger(logger),
			WithRetry(1, time.Millisecond, time.Millisecond))
		require.NoError(t, err)
		err = c.TMDb.hp().send(t.Context(), tmdbCall())
		require.ErrorIs(t, err, ErrNetwork)
		assert.True(t, errors.Is(err, syscall.ECONNREFUSED), "the cause stays inspectable: %v", err)
		for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
			assert.NotContains(t, text, key)
			assert.NotContains(t, text, "api_key")
		}
		var netErr *NetworkError
		require.ErrorAs(t, err, &netErr)
		assert.Equal(t, "/3/authentication/token/new", netErr.Path)
	})

	t.Run("timeout", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		}))
		defer srv.Close()
		c, err := New(WithTMDbBaseURL(srv.URL), WithCredentials(TMDbAPIKey(key)), WithLogger(logger), WithTimeout(50*time.Millisecond), WithRetry(0, 0, 0))
		require.NoError(t, err)
		err = c.TMDb.hp().send(t.Context(), tmdbCall())
		require.Error(t, err)
		assert.NotContains(t, err.Error(), key)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})

	t.Run("error answer", func(t *testing.T) {
		var gotKey atomic.Value
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			gotKey.Store(r.URL.Query().Get("api_key"))
			assert.Empty(t, r.Header.Get("Authorization"))
			pipeAnswer(w, http.StatusUnauthorized, `{"success":false,"status_code":7,"status_message":"Invalid API key: You must be granted a valid key."}`)
		}))
		defer srv.Close()
		c, err := New(WithTMDbBaseURL(srv.URL), WithCredentials(TMDbAPIKey(key)), WithLogger(logger))
		require.NoError(t, err)
		err = c.TMDb.hp().send(t.Context(), tmdbCall())
		require.ErrorIs(t, err, ErrInvalidAPIKey)
		assert.Equal(t, key, gotKey.Load(), "the key is sent in the query")
		assert.NotContains(t, err.Error(), key)
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 7, apiErr.TMDbCode)
		assert.Equal(t, "/3/authentication/token/new", apiErr.Path)
	})

	t.Run("bad redirect", func(t *testing.T) {
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			http.Redirect(w, r, r.URL.String(), http.StatusFound) // loops, keeping the query
		}))
		defer srv.Close()
		c, err := New(WithTMDbBaseURL(srv.URL), WithCredentials(TMDbAPIKey(key)), WithRetry(0, 0, 0))
		require.NoError(t, err)
		err = c.TMDb.hp().send(t.Context(), tmdbCall())
		// Same-origin redirects are followed up to the limit; the last one
		// comes back as the answer, not as a transport error.
		require.ErrorIs(t, err, ErrRedirect)
		assert.NotErrorIs(t, err, ErrNetwork)
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusFound, apiErr.StatusCode)
		assert.Equal(t, "/3/authentication/token/new", apiErr.Path)
		assert.Contains(t, apiErr.Message, srv.URL+"/3/authentication/token/new", "the message names the target")
		assert.Greater(t, hits.Load(), int32(1), "same-origin redirects are followed")
		assert.LessOrEqual(t, hits.Load(), int32(maxRedirects+1), "but not forever")
		for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
			assert.NotContains(t, text, key)
			assert.NotContains(t, text, "api_key")
		}
	})

	t.Run("access token wins", func(t *testing.T) {
		var query, auth atomic.Value
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			query.Store(r.URL.RawQuery)
			auth.Store(r.Header.Get("Authorization"))
			pipeAnswer(w, http.StatusOK, `{}`)
		}))
		defer srv.Close()
		c, err := New(WithTMDbBaseURL(srv.URL), WithCredentials(TMDbAPIKey(key)), WithCredentials(TMDbReadAccessToken("read-token")))
		require.NoError(t, err)
		require.NoError(t, c.TMDb.hp().send(t.Context(), tmdbCall()))
		assert.Empty(t, query.Load())
		assert.Equal(t, "Bearer read-token", auth.Load())
	})

	logMu.Lock()
	defer logMu.Unlock()
	assert.NotEmpty(t, logs.String())
	assert.NotContains(t, logs.String(), key)
}

// TestScrubbedErrorClassifies: a scrubbed error hides the original's text
// and types, but still answers errors.Is for its chain, a timeout check,
// and errors.As for the SDK's own types.
func TestScrubbedErrorClassifies(t *testing.T) {
	t.Parallel()
	const secret = "secret-value-0123"
	inner := &url.Error{Op: "Get", URL: "https://h/?api_key=" + secret, Err: context.DeadlineExceeded}
	wrapped := &NetworkError{API: APITMDb, Method: "GET", Path: "/3/x", Err: inner}
	err := scrubError(fmt.Errorf("outer: %w", wrapped), []string{secret})

	assert.NotContains(t, err.Error(), secret)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, err, ErrNetwork)
	var timeout interface{ Timeout() bool }
	require.ErrorAs(t, err, &timeout)
	assert.True(t, timeout.Timeout())
	var netErr *NetworkError
	assert.ErrorAs(t, err, &netErr, "the SDK's own types are handed out")
	var urlErr *url.Error
	assert.False(t, errors.As(err, &urlErr), "the original, which holds the secret, is not")
	assert.Nil(t, errors.Unwrap(err))
}
