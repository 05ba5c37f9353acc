package main

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// memoryKeychain is an OS keychain in memory. With failSave set, it
// answers and passes every check, then fails to save: the store that
// breaks after the server acted.
type memoryKeychain struct {
	mu       sync.Mutex
	entries  map[[2]string]mediaauth.StoredCredentials
	failSave error
	// writeThenFail makes Save keep the entry before it fails, as a
	// keychain whose index cannot be updated does.
	writeThenFail bool
	// tried is what Save was given, kept or not.
	tried []mediaauth.StoredCredentials
}

func (k *memoryKeychain) Available(context.Context) error { return nil }

func (k *memoryKeychain) CheckSave(_ context.Context, _ mediaauth.API, profile string) error {
	return mediaauth.CheckProfile(profile)
}

func (k *memoryKeychain) Load(_ context.Context, api mediaauth.API, profile string) (*mediaauth.StoredCredentials, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	c, ok := k.entries[[2]string{string(api), profile}]
	if !ok {
		return nil, mediaauth.ErrCredentialNotFound
	}
	return &c, nil
}

func (k *memoryKeychain) Save(_ context.Context, c *mediaauth.StoredCredentials) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.tried = append(k.tried, *c)
	if k.failSave != nil && !k.writeThenFail {
		return k.failSave
	}
	if k.entries == nil {
		k.entries = map[[2]string]mediaauth.StoredCredentials{}
	}
	entry := *c
	if entry.SavedAt.IsZero() {
		entry.SavedAt = time.Now().UTC().Truncate(time.Second)
	}
	k.entries[[2]string{string(c.API), c.Profile}] = entry
	return k.failSave
}

func (k *memoryKeychain) Delete(_ context.Context, api mediaauth.API, profile string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.entries[[2]string{string(api), profile}]; !ok {
		return mediaauth.ErrCredentialNotFound
	}
	delete(k.entries, [2]string{string(api), profile})
	return nil
}

func (k *memoryKeychain) List(context.Context) ([]mediaauth.StoredCredentials, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := []mediaauth.StoredCredentials{}
	for _, c := range k.entries {
		out = append(out, c)
	}
	return out, nil
}

// lastTried is the last entry the keychain was asked to save.
func (k *memoryKeychain) lastTried(t *testing.T) mediaauth.StoredCredentials {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	require.NotEmpty(t, k.tried, "nothing was saved")
	return k.tried[len(k.tried)-1]
}

// brokenKeychain returns a testSys for env whose keychain fails every save.
func brokenKeychain(t *testing.T, env map[string]string) (*testSys, *memoryKeychain) {
	delete(env, envInsecureStorage)
	ts := newSys(t, env)
	kc := &memoryKeychain{failSave: errors.New("the keychain is full")}
	ts.keychain = kc
	return ts, kc
}

// rescueRE finds where a failed save kept the credentials.
var rescueRE = regexp.MustCompile(`kept in (\S+)/credentials\.json \(mode 0600\); read them with: mediaauth --config-dir (\S+) token (\w+)( --v4)?$`)

// requireRescued checks that the last error line of ts says where the
// credentials are kept, and that the command reads the secret back from
// there; it returns the secret.
func requireRescued(t *testing.T, ts *testSys, api string) string {
	t.Helper()
	return requireRescuedAfter(t, ts, api, "mediaauth: saving the credentials failed: the keychain is full. They are not lost")
}

// requireRescuedAfter is requireRescued for an error line that contains
// want.
func requireRescuedAfter(t *testing.T, ts *testSys, api, want string) string {
	t.Helper()
	lines := ts.stderrLines()
	last := lines[len(lines)-1]
	assert.Contains(t, last, want)
	m := rescueRE.FindStringSubmatch(last)
	require.NotNil(t, m, "stderr: %s", ts.stderr.String())
	assert.Equal(t, m[1], m[2])
	assert.Equal(t, api, m[3])
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(filepath.Join(m[1], credentialsFile))
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())
		di, err := os.Stat(m[1])
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o700), di.Mode().Perm())
	}
	back := newSys(t, map[string]string{envInsecureStorage: "1"})
	args := []string{"--config-dir", m[2], "token", api}
	if m[4] != "" {
		args = append(args, "--v4")
	}
	require.Equal(t, exitOK, back.run(t.Context(), args...), back.stderr.String())
	return strings.TrimSpace(back.stdout.String())
}

// TestLoginKeepsWhatTheStoreRefused: when saving fails after the server
// acted, the TVmaze key and the Movies token are kept where the message
// says, and read back from there; TMDb's new session (and v4 token) are
// revoked on the server.
func TestLoginKeepsWhatTheStoreRefused(t *testing.T) {
	t.Parallel()
	t.Run("tvmaze", func(t *testing.T) {
		t.Parallel()
		srv := tvmazeFake(t, mediaauthtest.WithTVmazeAutoConfirm(30*time.Millisecond))
		ts, _ := brokenKeychain(t, fakeEnv(t, srv))
		assert.Equal(t, exitError, ts.run(t.Context(), "login", "tvmaze", "--email", mediaauthtest.DemoTVmazeEmail, "--poll-interval", "20ms"))
		assert.Contains(t, ts.stderr.String(), "confirmed")
		assert.Equal(t, mediaauthtest.DemoTVmazeAPIKey, requireRescued(t, ts, "tvmaze"))
		assert.Empty(t, ts.stdout.String())
	})
	t.Run("movies", func(t *testing.T) {
		t.Parallel()
		srv := moviesFake(t)
		ts, kc := brokenKeychain(t, fakeEnv(t, srv))
		ts.stdin = strings.NewReader(fanPassword + "\n")
		assert.Equal(t, exitError, ts.run(t.Context(), "login", "movies", "--username", fanName))
		token := requireRescued(t, ts, "movies")
		assert.Equal(t, kc.lastTried(t).MoviesToken.AccessToken, token)
		u, err := fakeClient(t, srv).With(mediaauth.Token{AccessToken: token}).Movies.Profile(t.Context())
		require.NoError(t, err, "the rescued token works")
		assert.Equal(t, fanName, u.Username)
	})
	t.Run("tmdb", func(t *testing.T) {
		t.Parallel()
		srv := startFake(t)
		ts, kc := brokenKeychain(t, fakeEnv(t, srv))
		ts.stdin = strings.NewReader(mediaauthtest.DemoTMDbPassword + "\n")
		assert.Equal(t, exitError, ts.run(t.Context(), "login", "tmdb", "--password", "--username", "demo"))
		requireOneErrorLine(t, ts, "saving the credentials failed: the keychain is full. The new credentials were revoked on TMDb, so none is left behind")
		sess := kc.lastTried(t).TMDbSession
		require.NotNil(t, sess)
		assert.False(t, srv.TMDb.SessionValid(sess.ID), "the session that could not be kept was deleted")
	})
	t.Run("tmdb v4", func(t *testing.T) {
		t.Parallel()
		srv := startFake(t)
		ts, kc := brokenKeychain(t, fakeEnv(t, srv))
		results := ts.browseInBackground("approve")
		assert.Equal(t, exitError, ts.run(t.Context(), "login", "tmdb", "--v4", "--web"))
		require.NoError(t, (<-results).err)
		requireOneErrorLine(t, ts, "The new credentials were revoked on TMDb")
		tried := kc.lastTried(t)
		assert.False(t, srv.TMDb.SessionValid(tried.TMDbSession.ID))
		assert.False(t, srv.TMDb.AccessTokenValid(tried.TMDbAccessToken.AccessToken))
	})
}

// TestLoginTMDbV4KeepsATokenItCannotLogOut: when no session can be made
// of the new v4 access token and logging it out fails too, the token is
// kept in a file of its own, where the message says, and still works.
func TestLoginTMDbV4KeepsATokenItCannotLogOut(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	srv.InjectFault("/3/authentication/session/convert/4", mediaauthtest.Fault{Status: http.StatusInternalServerError, Times: -1})
	srv.InjectFault("/4/auth/access_token", mediaauthtest.Fault{Method: http.MethodDelete, Status: http.StatusServiceUnavailable, Times: -1})
	ts := newSys(t, fakeEnv(t, srv))
	results := ts.browseInBackground("approve")
	assert.Equal(t, exitError, ts.run(t.Context(), "login", "tmdb", "--v4", "--web"))
	require.NoError(t, (<-results).err)
	token := requireRescuedAfter(t, ts, "tmdb", "creating a session from the v4 access token failed")
	assert.Contains(t, ts.stderr.String(), "logging the token out failed too")
	assert.True(t, srv.TMDb.AccessTokenValid(token), "the kept token is the live one")
}

// TestLoginKeepsWhatItCouldNotRevoke: a replaced v4 token that TMDb does
// not let the new login log out is kept in a file of its own, where the
// message says, from which logout revokes it later.
func TestLoginKeepsWhatItCouldNotRevoke(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	env := fakeEnv(t, srv)
	ts := newSys(t, env)
	r := ts.browseInBackground("approve")
	require.Equal(t, exitOK, ts.run(t.Context(), "login", "tmdb", "--web", "--v4"), ts.stderr.String())
	require.NoError(t, (<-r).err)
	first, err := storeOf(t, env).Load(t.Context(), mediaauth.APITMDb, mediaauth.DefaultProfile)
	require.NoError(t, err)

	srv.InjectFault("/4/auth/access_token", mediaauthtest.Fault{Method: http.MethodDelete, Status: http.StatusServiceUnavailable, Times: 4})
	ts = newSys(t, env)
	r = ts.browseInBackground("approve")
	require.Equal(t, exitOK, ts.run(t.Context(), "login", "tmdb", "--web"), ts.stderr.String())
	require.NoError(t, (<-r).err)
	assert.Contains(t, ts.stderr.String(), "Could not log out the TMDb v4 access token this login replaced")
	m := regexp.MustCompile(`kept in \S+ \(mode 0600\) so that it is not lost; revoke it later with: mediaauth --config-dir (\S+) logout tmdb`).FindStringSubmatch(ts.stderr.String())
	require.NotNil(t, m, ts.stderr.String())
	require.True(t, srv.TMDb.AccessTokenValid(first.TMDbAccessToken.AccessToken))

	backEnv := map[string]string{envInsecureStorage: "1"}
	for k, v := range env {
		if k != envConfigDir {
			backEnv[k] = v
		}
	}
	back := newSys(t, backEnv)
	require.Equal(t, exitOK, back.run(t.Context(), "--config-dir", m[1], "logout", "tmdb"), back.stderr.String())
	assert.False(t, srv.TMDb.AccessTokenValid(first.TMDbAccessToken.AccessToken), "logout from the kept file revoked it")
}

// TestLoginSaveFailedAfterWriting: a store that kept the entry and still
// reported an error: the new TMDb session is in use, so it is neither
// revoked nor kept elsewhere, and the login succeeds saying so.
func TestLoginSaveFailedAfterWriting(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	ts, kc := brokenKeychain(t, fakeEnv(t, srv))
	kc.writeThenFail = true
	ts.stdin = strings.NewReader(mediaauthtest.DemoTMDbPassword + "\n")
	require.Equal(t, exitOK, ts.run(t.Context(), "login", "tmdb", "--password", "--username", "demo"), ts.stderr.String())
	assert.Contains(t, ts.stderr.String(), "Saving reported an error (the keychain is full), but the credentials were kept.")
	sess := kc.lastTried(t).TMDbSession
	require.NotNil(t, sess)
	assert.True(t, srv.TMDb.SessionValid(sess.ID), "the kept session was not revoked")
}

// TestLoginChecksTheStoreFirst: whatever keeps a login from saving on this
// machine (a store open to others, a corrupt file, a profile name that is
// not one, a config directory that is a file) ends it before it sends
// anything: the fake saw no request.
func TestLoginChecksTheStoreFirst(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("Windows permissions are not mode bits")
	}
	setups := map[string]func(t *testing.T, dir string) (args []string, want string, code int){
		"directory 0755": func(t *testing.T, dir string) ([]string, string, int) {
			require.NoError(t, os.MkdirAll(dir, 0o755))
			require.NoError(t, os.Chmod(dir, 0o755))
			return nil, "has mode 0755", exitError
		},
		"file 0644": func(t *testing.T, dir string) ([]string, string, int) {
			require.NoError(t, os.MkdirAll(dir, 0o700))
			require.NoError(t, os.WriteFile(filepath.Join(dir, credentialsFile), []byte(`{"version":1,"credentials":[]}`), 0o644))
			return nil, "chmod 600", exitError
		},
		"corrupt file": func(t *testing.T, dir string) ([]string, string, int) {
			require.NoError(t, os.MkdirAll(dir, 0o700))
			require.NoError(t, os.WriteFile(filepath.Join(dir, credentialsFile), []byte(`{"version":1,"credentials":[{"api":"movies","profile":"p","movies_token":{"access_token":""}}]}`), 0o600))
			return nil, "movies_token.access_token is empty", exitError
		},
		"config directory is a file": func(t *testing.T, dir string) ([]string, string, int) {
			require.NoError(t, os.WriteFile(dir, nil, 0o600))
			return nil, "not a directory", exitError
		},
		"profile ../x": func(t *testing.T, dir string) ([]string, string, int) {
			return []string{"--profile", "../x"}, `invalid --profile: profile "../x" contains a path separator`, exitUsage
		},
	}
	logins := map[string][]string{
		"tvmaze": {"login", "tvmaze", "--email", mediaauthtest.DemoTVmazeEmail, "--poll-interval", "20ms"},
		"movies": {"login", "movies", "--username", fanName},
		"tmdb":   {"login", "tmdb", "--web"},
		"tmdb-p": {"login", "tmdb", "--password", "--username", "demo"},
	}
	for name, setup := range setups {
		for api, login := range logins {
			t.Run(name+"/"+api, func(t *testing.T) {
				t.Parallel()
				srv := moviesFake(t)
				env := fakeEnv(t, srv)
				args, want, code := setup(t, env[envConfigDir])
				ts := newSys(t, env)
				ts.stdin = strings.NewReader("a-password\n")
				ts.open = func(context.Context, string) error { return errors.New("no browser wanted") }
				assert.Equal(t, code, ts.run(t.Context(), append(login, args...)...), ts.stderr.String())
				requireOneErrorLine(t, ts, want)
				if code == exitError {
					assert.Contains(t, ts.stderr.String(), "so nothing was sent to")
				}
				assert.Empty(t, srv.Requests(), "the login sent nothing")
			})
		}
	}
}

// TestLoginRevokesTheTMDbSessionItReplaces: a new login to a profile ends
// the session and v4 token the profile held; TMDb would keep them valid.
func TestLoginRevokesTheTMDbSessionItReplaces(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	env := fakeEnv(t, srv)
	results := make(chan browserResult, 2)
	login := func(args ...string) *mediaauth.StoredCredentials {
		ts := newSys(t, env)
		r := ts.browseInBackground("approve")
		require.Equal(t, exitOK, ts.run(t.Context(), append([]string{"login", "tmdb", "--web"}, args...)...), ts.stderr.String())
		results <- <-r
		saved, err := storeOf(t, env).Load(t.Context(), mediaauth.APITMDb, mediaauth.DefaultProfile)
		require.NoError(t, err)
		return saved
	}
	first := login("--v4")
	require.NotNil(t, first.TMDbAccessToken)
	second := login()
	assert.False(t, srv.TMDb.SessionValid(first.TMDbSession.ID), "the replaced session was deleted")
	assert.False(t, srv.TMDb.AccessTokenValid(first.TMDbAccessToken.AccessToken), "the replaced v4 token was logged out")
	assert.True(t, srv.TMDb.SessionValid(second.TMDbSession.ID))
	assert.Nil(t, second.TMDbAccessToken)

	// After logout, nothing of either login is valid.
	ts := newSys(t, env)
	require.Equal(t, exitOK, ts.run(t.Context(), "logout", "tmdb"), ts.stderr.String())
	assert.False(t, srv.TMDb.SessionValid(second.TMDbSession.ID))
	assert.Equal(t, 1, srv.RequestCount(http.MethodDelete, "/4/auth/access_token"))
}
