package mediaauthtest_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mediaauth/mediaauth/mediaauthtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tests of moviesaccount.go: the profile and the API key under /user. The
// helpers (send, postJSON, requireError, register, loginToken) are in
// movies_test.go.

func TestMoviesUpdateProfile(t *testing.T) {
	t.Parallel()
	srv := mediaauthtest.NewServer()
	t.Cleanup(srv.Close)
	tok := loginToken(t, srv, "hank")
	_, err := srv.Movies.AddUser(mediaauthtest.MoviesUser{Username: "ivy", Email: "ivy@example.com", Password: pw})
	require.NoError(t, err)
	put := func(body string) answer {
		return send(t, srv, http.MethodPut, "/user/profile", "application/json", body, tok)
	}

	a := put(`{"name":"Hank Hill","bio":"Propane."}`)
	require.Equal(t, http.StatusOK, a.status, "body: %s", a.body)
	u := a.json(t)
	assert.Equal(t, "Hank Hill", u["name"])
	assert.Equal(t, "Propane.", u["bio"])
	assert.Equal(t, "hank@example.com", u["email"])
	assert.Equal(t, true, u["email_verified"])

	u = put(`{"bio":"Propane and propane accessories."}`).json(t)
	assert.Equal(t, "Hank Hill", u["name"], "a field left out stays")
	assert.Equal(t, "Propane and propane accessories.", u["bio"])

	u = put(`{"email":"HANK@example.com"}`).json(t)
	assert.Equal(t, "HANK@example.com", u["email"])
	assert.Equal(t, true, u["email_verified"], "same address in another case stays verified")

	bad := []struct{ name, body, code string }{
		{"empty object", `{}`, "invalid_request"},
		{"only unknown fields", `{"age":3}`, "invalid_request"},
		{"null name", `{"name":null}`, "invalid_request"},
		{"number bio", `{"bio":5}`, "invalid_request"},
		{"bad email", `{"email":"nope"}`, "invalid_request"},
		{"bio too long", `{"bio":"` + strings.Repeat("é", 1001) + `"}`, "invalid_request"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			requireError(t, put(tt.body), http.StatusBadRequest, tt.code)
		})
	}
	t.Run("email taken", func(t *testing.T) {
		requireError(t, put(`{"email":"Ivy@example.com","name":"Not applied"}`), http.StatusConflict, "conflict")
	})
	t.Run("refused updates change nothing", func(t *testing.T) {
		u := send(t, srv, http.MethodGet, "/user/profile", "", "", tok).json(t)
		assert.Equal(t, "Hank Hill", u["name"])
		assert.Equal(t, "HANK@example.com", u["email"])
	})
	t.Run("bio of 1000 characters", func(t *testing.T) {
		bio := strings.Repeat("é", 1000)
		a := put(`{"bio":"` + bio + `"}`)
		require.Equal(t, http.StatusOK, a.status)
		assert.Equal(t, bio, a.json(t)["bio"])
	})
	t.Run("unauthenticated", func(t *testing.T) {
		requireError(t, send(t, srv, http.MethodPut, "/user/profile", "application/json", `{"name":"x"}`, ""), http.StatusUnauthorized, "invalid_token")
	})
	t.Run("new email needs verifying", func(t *testing.T) {
		a := put(`{"email":"hank.hill@example.com"}`)
		require.Equal(t, http.StatusOK, a.status)
		assert.Equal(t, false, a.json(t)["email_verified"])
		vt, ok := srv.Movies.VerificationToken("hank.hill@example.com")
		require.True(t, ok)
		requireError(t, postJSON(t, srv, "/login", fmt.Sprintf(`{"username":"hank","password":%q}`, pw)), http.StatusForbidden, "email_not_verified")
		assert.Equal(t, http.StatusOK, send(t, srv, http.MethodGet, "/user/profile", "", "", tok).status, "the token still works")
		require.Equal(t, http.StatusNoContent, postJSON(t, srv, "/verify-email", fmt.Sprintf(`{"token":%q}`, vt)).status)
		assert.Equal(t, http.StatusOK, postJSON(t, srv, "/login", fmt.Sprintf(`{"username":"hank","password":%q}`, pw)).status)
		// The old address is free again.
		register(t, srv, "hank2", "hank@example.com")
	})
}

func TestMoviesAPIKey(t *testing.T) {
	t.Parallel()
	srv := mediaauthtest.NewServer()
	t.Cleanup(srv.Close)
	tok := loginToken(t, srv, "jack")

	requireError(t, send(t, srv, http.MethodGet, "/user/api-key", "", "", tok), http.StatusNotFound, "not_found")
	requireError(t, send(t, srv, http.MethodPost, "/user/api-key", "", "", ""), http.StatusUnauthorized, "invalid_token")

	a := send(t, srv, http.MethodPost, "/user/api-key", "", "", tok)
	require.Equal(t, http.StatusCreated, a.status)
	assert.Equal(t, "no-store", a.header.Get("Cache-Control"))
	k1 := a.json(t)
	key1 := k1["api_key"].(string)
	require.NotEmpty(t, key1)
	_, err := time.Parse(time.RFC3339, k1["created_at"].(string))
	require.NoError(t, err)

	got := send(t, srv, http.MethodGet, "/user/api-key", "", "", tok)
	require.Equal(t, http.StatusOK, got.status)
	assert.Equal(t, key1, got.json(t)["api_key"])

	prof := send(t, srv, http.MethodGet, "/user/profile", "", "", key1)
	require.Equal(t, http.StatusOK, prof.status)
	assert.Equal(t, "jack", prof.json(t)["username"])

	// Rotate with the key itself.
	b := send(t, srv, http.MethodPost, "/user/api-key", "", "", key1)
	require.Equal(t, http.StatusCreated, b.status)
	key2 := b.json(t)["api_key"].(string)
	assert.NotEqual(t, key1, key2)

	old := send(t, srv, http.MethodGet, "/user/profile", "", "", key1)
	requireError(t, old, http.StatusUnauthorized, "invalid_token")
	assert.Contains(t, old.header.Get("WWW-Authenticate"), `error="invalid_token"`)
	assert.Equal(t, http.StatusOK, send(t, srv, http.MethodGet, "/user/profile", "", "", key2).status)
	assert.Equal(t, key2, send(t, srv, http.MethodGet, "/user/api-key", "", "", tok).json(t)["api_key"])
}
