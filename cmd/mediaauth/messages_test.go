package main

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// TestMessagesSayWhatToDo: the command's errors are in its own words,
// without the wire details: a wrong password, a server that is not
// running, a denied approval.
func TestMessagesSayWhatToDo(t *testing.T) {
	t.Parallel()
	srv := moviesFake(t)
	env := fakeEnv(t, srv)
	ts := newSys(t, env)
	ts.stdin = strings.NewReader("not-the-password\n")
	assert.Equal(t, exitError, ts.run(t.Context(), "login", "movies", "--username", fanName))
	requireOneErrorLine(t, ts, "mediaauth: logging in to the Movies API: wrong username or password")
	assert.NotContains(t, ts.stderr.String(), "invalid_credentials")
	assert.NotContains(t, ts.stderr.String(), "not-the-password")

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	stopped := "http://" + l.Addr().String()
	require.NoError(t, l.Close())
	env[envTVmazeURL] = stopped + "/v1"
	ts = newSys(t, env)
	assert.Equal(t, exitError, ts.run(t.Context(), "login", "tvmaze", "--email", mediaauthtest.DemoTVmazeEmail, "--poll-interval", "20ms"))
	requireOneErrorLine(t, ts, "mediaauth: starting the TVmaze login: cannot reach TVmaze: connection refused (is the server running?)")
	for _, noise := range []string{"Get:", "Post:", "dial tcp", "network error"} {
		assert.NotContains(t, ts.stderr.String(), noise)
	}
}

// TestPlain maps the library's errors to the command's words.
func TestPlain(t *testing.T) {
	t.Parallel()
	tmdbErr := &mediaauth.APIError{API: mediaauth.APITMDb, StatusCode: 401, TMDbCode: 3, Message: "Authentication failed."}
	for _, tt := range []struct {
		api  mediaauth.API
		err  error
		want string
	}{
		{mediaauth.APITMDb, tmdbErr, "TMDb says: Authentication failed (HTTP 401, TMDb code 3)"},
		{mediaauth.APITMDb, &mediaauth.APIError{API: mediaauth.APITMDb, StatusCode: 502}, "TMDb answered HTTP 502"},
		{mediaauth.APITMDb, errors.Join(mediaauth.ErrApprovalDenied, tmdbErr), "the login was denied on TMDb's page; nothing was stored"},
		{mediaauth.APITVmaze, &mediaauth.NetworkError{API: mediaauth.APITVmaze, Err: &net.DNSError{Name: "tvmaze.invalid", Err: "no such host"}}, "cannot reach TVmaze: no such host tvmaze.invalid"},
		{mediaauth.APITVmaze, &mediaauth.NetworkError{API: mediaauth.APITVmaze, Err: errors.New("Post: unexpected EOF")}, "cannot reach TVmaze: unexpected EOF"},
		{mediaauth.APIMovies, errors.New("mediaauth: something: else"), "something: else"},
	} {
		assert.Equal(t, tt.want, plain(tt.api, tt.err))
	}
}
