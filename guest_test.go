package mediaauth_test

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
)

// TestCreateGuestSession checks the request and what CreateGuestSession
// decodes.
func TestCreateGuestSession(t *testing.T) {
	t.Parallel()
	c, mt := tmdbUnitClient(t, mediaauth.WithCredentials(mediaauth.TMDbAPIKey(tmdbUnitKey)))
	var log recorder
	mt.RegisterResponder(http.MethodGet, "https://tmdb.test/3/authentication/guest_session/new",
		log.respondTMDb(http.StatusOK, tmdbUnitGuestJSON))

	g, err := c.TMDb.CreateGuestSession(t.Context())
	require.NoError(t, err)
	want := time.Date(2016, 8, 27, 16, 26, 40, 0, time.UTC)
	assert.Equal(t, &mediaauth.GuestSession{ID: "1ce82ec1223641636ad4a60b07de3581", ExpiresAt: want}, g)
	assert.Equal(t, time.UTC, g.ExpiresAt.Location())

	reqs := log.requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, http.MethodGet, reqs[0].Method)
	assert.Equal(t, "/3/authentication/guest_session/new", reqs[0].Path)
	assert.Equal(t, url.Values{"api_key": {tmdbUnitKey}}, reqs[0].Query)
	assert.Empty(t, reqs[0].Body)
}

// TestGuestSessionExpired checks Expired around ExpiresAt, and that an
// unknown expiry never counts as expired.
func TestGuestSessionExpired(t *testing.T) {
	t.Parallel()
	exp := time.Date(2016, 8, 27, 16, 26, 40, 0, time.UTC)
	g := mediaauth.GuestSession{ID: "g", ExpiresAt: exp}
	assert.False(t, g.Expired(exp.Add(-time.Nanosecond)))
	assert.True(t, g.Expired(exp))
	assert.True(t, g.Expired(exp.Add(time.Hour)))
	assert.False(t, mediaauth.GuestSession{ID: "g"}.Expired(exp), "unknown expiry")
	// The same instant in another zone.
	assert.True(t, g.Expired(exp.In(time.FixedZone("CEST", 2*3600))))
}

// TestCreateGuestSessionErrors checks the errors the contract lists for
// guest_session/new: 401 (bad key) and 503 (service offline, retried as a GET).
func TestCreateGuestSessionErrors(t *testing.T) {
	t.Parallel()
	t.Run("invalid key", func(t *testing.T) {
		t.Parallel()
		c, mt := tmdbUnitClient(t, mediaauth.WithCredentials(mediaauth.TMDbAPIKey(tmdbUnitKey)))
		var log recorder
		mt.RegisterResponder(http.MethodGet, "https://tmdb.test/3/authentication/guest_session/new",
			log.respondTMDb(http.StatusUnauthorized, `{"success":false,"status_code":7,"status_message":"Invalid API key: You must be granted a valid key."}`))
		g, err := c.TMDb.CreateGuestSession(t.Context())
		require.ErrorIs(t, err, mediaauth.ErrInvalidAPIKey)
		require.ErrorIs(t, err, mediaauth.ErrUnauthorized)
		assert.Nil(t, g)
	})
	t.Run("offline then back", func(t *testing.T) {
		t.Parallel()
		c, mt := tmdbUnitClient(t, mediaauth.WithCredentials(mediaauth.TMDbAPIKey(tmdbUnitKey)),
			mediaauth.WithRetry(2, time.Millisecond, 2*time.Millisecond))
		var log recorder
		mt.RegisterResponder(http.MethodGet, "https://tmdb.test/3/authentication/guest_session/new",
			log.respondTMDb(http.StatusServiceUnavailable, `{"success":false,"status_code":9,"status_message":"Service offline: This service is temporarily offline, try again later."}`).
				Then(log.respondTMDb(http.StatusOK, tmdbUnitGuestJSON)))
		g, err := c.TMDb.CreateGuestSession(t.Context())
		require.NoError(t, err)
		assert.Equal(t, "1ce82ec1223641636ad4a60b07de3581", g.ID)
		assert.Len(t, log.requests(), 2)
	})
	t.Run("offline", func(t *testing.T) {
		t.Parallel()
		c, mt := tmdbUnitClient(t, mediaauth.WithCredentials(mediaauth.TMDbReadAccessToken(tmdbUnitAccess)))
		mt.RegisterResponder(http.MethodGet, "https://tmdb.test/3/authentication/guest_session/new",
			(&recorder{}).respondTMDb(http.StatusServiceUnavailable, `{"success":false,"status_code":46,"status_message":"The API is undergoing maintenance. Try again later."}`))
		_, err := c.TMDb.CreateGuestSession(t.Context())
		require.ErrorIs(t, err, mediaauth.ErrServer)
		var apiErr *mediaauth.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 46, apiErr.TMDbCode)
		assert.True(t, (errors.Is(apiErr, mediaauth.ErrRateLimited) || errors.Is(apiErr, mediaauth.ErrServer)))
	})
}
