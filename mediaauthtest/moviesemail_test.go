package mediaauthtest_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/mediaauth/mediaauth/mediaauthtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tests of moviesemail.go: verification and password-reset emails. The
// helpers (send, postJSON, requireError, register, loginToken) are in
// movies_test.go.

func TestMoviesVerifyEmail(t *testing.T) {
	t.Parallel()
	srv := mediaauthtest.NewServer()
	t.Cleanup(srv.Close)
	register(t, srv, "carol", "carol@example.com")
	tok, ok := srv.Movies.VerificationToken("carol@example.com")
	require.True(t, ok)

	requireError(t, postJSON(t, srv, "/verify-email", `{"token":"vrf_unknown"}`), http.StatusNotFound, "not_found")

	a := postJSON(t, srv, "/verify-email", fmt.Sprintf(`{"token":%q}`, tok))
	assert.Equal(t, http.StatusNoContent, a.status)
	assert.Empty(t, a.body)

	requireError(t, postJSON(t, srv, "/verify-email", fmt.Sprintf(`{"token":%q}`, tok)), http.StatusNotFound, "not_found")

	login := postJSON(t, srv, "/login", fmt.Sprintf(`{"username":"carol","password":%q}`, pw))
	require.Equal(t, http.StatusOK, login.status)
	prof := send(t, srv, http.MethodGet, "/user/profile", "", "", login.json(t)["access_token"].(string))
	require.Equal(t, http.StatusOK, prof.status)
	assert.Equal(t, true, prof.json(t)["email_verified"])
}

func TestMoviesPasswordReset(t *testing.T) {
	t.Parallel()
	srv, clock := startFake(t)
	tok := loginToken(t, srv, "kate")
	const newPW = "n3w-Passw0rd"

	unknown := postJSON(t, srv, "/password/reset", `{"email":"nobody@example.com"}`)
	assert.Equal(t, http.StatusAccepted, unknown.status)
	assert.Empty(t, unknown.body)
	_, ok := srv.Movies.LastEmail("nobody@example.com")
	assert.False(t, ok, "no email to an unknown address")

	a := postJSON(t, srv, "/password/reset", `{"email":"KATE@example.com"}`)
	assert.Equal(t, http.StatusAccepted, a.status)
	assert.Empty(t, a.body)
	mail, ok := srv.Movies.LastEmail("kate@example.com")
	require.True(t, ok)
	assert.Equal(t, mediaauthtest.EmailReset, mail.Kind)
	rt, ok := srv.Movies.ResetToken("kate@example.com")
	require.True(t, ok)
	assert.Equal(t, mail.Token, rt)

	confirm := func(token, password string) answer {
		return postJSON(t, srv, "/password/reset/confirm", fmt.Sprintf(`{"token":%q,"password":%q}`, token, password))
	}
	requireError(t, confirm("rst_unknown", newPW), http.StatusNotFound, "not_found")

	c := confirm(rt, newPW)
	assert.Equal(t, http.StatusNoContent, c.status)
	assert.Empty(t, c.body)
	requireError(t, confirm(rt, "again"), http.StatusNotFound, "not_found")

	requireError(t, postJSON(t, srv, "/login", fmt.Sprintf(`{"username":"kate","password":%q}`, pw)), http.StatusUnauthorized, "invalid_credentials")
	requireError(t, send(t, srv, http.MethodGet, "/user/profile", "", "", tok), http.StatusUnauthorized, "invalid_token")
	assert.Equal(t, http.StatusOK, postJSON(t, srv, "/login", fmt.Sprintf(`{"username":"kate","password":%q}`, newPW)).status)

	t.Run("a newer request replaces the older token", func(t *testing.T) {
		require.Equal(t, http.StatusAccepted, postJSON(t, srv, "/password/reset", `{"email":"kate@example.com"}`).status)
		first, _ := srv.Movies.ResetToken("kate@example.com")
		require.Equal(t, http.StatusAccepted, postJSON(t, srv, "/password/reset", `{"email":"kate@example.com"}`).status)
		second, _ := srv.Movies.ResetToken("kate@example.com")
		require.NotEqual(t, first, second)
		requireError(t, confirm(first, "x"), http.StatusNotFound, "not_found")
		assert.Equal(t, http.StatusNoContent, confirm(second, newPW).status)
	})
	t.Run("token expires after an hour", func(t *testing.T) {
		require.Equal(t, http.StatusAccepted, postJSON(t, srv, "/password/reset", `{"email":"kate@example.com"}`).status)
		rt, _ := srv.Movies.ResetToken("kate@example.com")
		clock.Advance(time.Hour)
		requireError(t, confirm(rt, "x"), http.StatusNotFound, "not_found")
	})
}
