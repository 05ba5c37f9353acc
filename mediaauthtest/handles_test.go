package mediaauthtest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// TestHandlesURLs checks the base URLs of the handles.
func TestHandlesURLs(t *testing.T) {
	srv, _ := startFake(t)
	assert.Equal(t, srv.URL+mediaauthtest.MoviesPrefix, srv.Movies.URL())
	assert.Equal(t, srv.URL+mediaauthtest.TVmazePrefix, srv.TVmaze.URL())
	assert.Equal(t, srv.URL, srv.TMDb.URL(), "the root, under which /3 and /4 live")
	assert.Equal(t, srv.URL, srv.TMDb.SiteURL())
}

// TestHandlesAreTheirServers checks that each server's handles act on
// that server's state only.
func TestHandlesAreTheirServers(t *testing.T) {
	fa, fb := newTMDbFake(t), newTMDbFake(t)
	a, b := fa.srv, fb.srv
	_, err := a.Movies.AddUser(mediaauthtest.MoviesUser{Username: "ann", Email: "ann@example.com", Password: "ann-password", Unverified: true})
	require.NoError(t, err)
	_, ok := a.Movies.VerificationToken("ann@example.com")
	assert.True(t, ok)
	_, ok = b.Movies.VerificationToken("ann@example.com")
	assert.False(t, ok, "the other server sent nothing")

	_, err = a.TVmaze.AddUser(mediaauthtest.TVmazeUser{Username: "ann", Email: "ann@example.com"})
	require.NoError(t, err)
	assert.True(t, a.TVmaze.FollowShows("ann", 1))
	assert.False(t, b.TVmaze.FollowShows("ann", 1), "the other server does not know the account")

	require.NoError(t, a.TMDb.AddUser(mediaauthtest.TMDbUser{Username: "ann", Password: "pw"}))
	tokA, tokB := fa.newToken(t), fb.newToken(t)
	assert.NoError(t, a.TMDb.ApproveAs(tokA, "ann"))
	assert.Error(t, b.TMDb.ApproveAs(tokB, "ann"), "the other server does not know the account")
	assert.Error(t, b.TMDb.Approve(tokA), "nor the other server's token")
	session := fa.newSession(t)
	assert.True(t, a.TMDb.SessionValid(session))
	assert.False(t, b.TMDb.SessionValid(session))
}
