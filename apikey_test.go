package mediaauth_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
)

// TestAPIKeyAsBearer checks the API-key flow: generate a key with an access
// token, then authenticate with the key alone.
func TestAPIKeyAsBearer(t *testing.T) {
	t.Parallel()
	c, mt := unitClient(t, mediaauth.WithCredentials(mediaauth.Token{AccessToken: "access-token"}))
	var rec recorder
	mt.RegisterResponder(http.MethodPost, unitBase+"/user/api-key", rec.respond(http.StatusCreated, readTestdata(t, "bodies/movies/api_key_201.json")))
	mt.RegisterResponder(http.MethodGet, unitBase+"/user/profile", rec.respond(http.StatusOK, unitUserJSON))

	key, err := c.Movies.GenerateAPIKey(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "generated-key", key.Key)
	assert.Equal(t, "mediaauth.APIKey{Key:[REDACTED] CreatedAt:2024-05-06T07:08:09Z}", key.String())

	u, err := c.With(mediaauth.Token{AccessToken: key.Key}).Movies.Profile(t.Context())
	require.NoError(t, err)
	assert.Equal(t, &unitUser, u)

	reqs := rec.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "Bearer access-token", reqs[0].Header.Get("Authorization"))
	assert.Empty(t, reqs[0].Body, "GenerateAPIKey sends no body")
	assert.Equal(t, "Bearer generated-key", reqs[1].Header.Get("Authorization"))
}

// TestAPIKeyResponses checks decoding and validation of APIKey answers.
func TestAPIKeyResponses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		wantKey string
		wantErr error
	}{
		{name: "key only", body: `{"api_key":"k1"}`, wantKey: "k1"},
		{name: "extra fields", body: `{"api_key":"k1","scopes":["read"],"created_at":"2024-01-01T00:00:00Z"}`, wantKey: "k1"},
		{name: "no key", body: `{"created_at":"2024-01-01T00:00:00Z"}`, wantErr: mediaauth.ErrMalformedResponse},
		{name: "empty key", body: `{"api_key":""}`, wantErr: mediaauth.ErrMalformedResponse},
		{name: "key not a string", body: `{"api_key":42}`, wantErr: mediaauth.ErrMalformedResponse},
		{name: "bad created_at", body: `{"api_key":"k1","created_at":"yesterday"}`, wantErr: mediaauth.ErrMalformedResponse},
	}
	for _, tt := range tests {
		for _, generate := range []bool{false, true} {
			name, method, status := tt.name+"/APIKey", http.MethodGet, http.StatusOK
			if generate {
				name, method, status = tt.name+"/GenerateAPIKey", http.MethodPost, http.StatusCreated
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				c, mt := unitClient(t, mediaauth.WithCredentials(mediaauth.Token{AccessToken: "t"}))
				var rec recorder
				mt.RegisterResponder(method, unitBase+"/user/api-key", rec.respond(status, tt.body))
				var (
					key *mediaauth.APIKey
					err error
				)
				if generate {
					key, err = c.Movies.GenerateAPIKey(t.Context())
				} else {
					key, err = c.Movies.FetchAPIKey(t.Context())
				}
				if tt.wantErr != nil {
					assert.ErrorIs(t, err, tt.wantErr)
					assert.Nil(t, key)
					return
				}
				require.NoError(t, err)
				assert.Equal(t, tt.wantKey, key.Key)
				assert.NotContains(t, key.String(), tt.wantKey)
			})
		}
	}
}

// TestAPIKeyNotFound checks that a user without a key gets ErrNotFound.
func TestAPIKeyNotFound(t *testing.T) {
	t.Parallel()
	c, mt := unitClient(t, mediaauth.WithCredentials(mediaauth.Token{AccessToken: "t"}))
	var rec recorder
	mt.RegisterResponder(http.MethodGet, unitBase+"/user/api-key", rec.respond(http.StatusNotFound, `{"error":"not_found","message":"no API key yet"}`))
	key, err := c.Movies.FetchAPIKey(t.Context())
	assert.Nil(t, key)
	require.ErrorIs(t, err, mediaauth.ErrNotFound)
	var apiErr *mediaauth.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "no API key yet", apiErr.Message)
}
