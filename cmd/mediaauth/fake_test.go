package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

var exportRE = regexp.MustCompile(`(?m)^  export ([A-Z_]+)=(\S+)$`)

// exports reads the export lines of the fake's banner into an environment
// with a new config directory.
func exports(t *testing.T, banner string) map[string]string {
	t.Helper()
	env := map[string]string{envConfigDir: filepath.Join(t.TempDir(), "config")}
	for _, m := range exportRE.FindAllStringSubmatch(banner, -1) {
		env[m[1]] = m[2]
	}
	for _, k := range []string{envMoviesURL, envTVmazeURL, envTMDbURL, envTMDbSiteURL, envTMDbAPIKey, envTMDbRead} {
		require.NotEmpty(t, env[k], "no export of %s in:\n%s", k, banner)
	}
	return env
}

// useFake runs every command against the fake of env, as a user who
// pasted its export lines would, and checks what they do.
func useFake(t *testing.T, env map[string]string) {
	ctx := t.Context()
	ts := newSys(t, env)
	require.Equal(t, exitOK, ts.run(ctx, "login", "tvmaze", "--email", mediaauthtest.DemoTVmazeEmail, "--poll-interval", "20ms"), ts.stderr.String())

	ts = newSys(t, env)
	ts.stdin = strings.NewReader(mediaauthtest.DemoMoviesPassword + "\n")
	require.Equal(t, exitOK, ts.run(ctx, "login", "movies", "--username", mediaauthtest.DemoMoviesUsername, "--api-key"), ts.stderr.String())

	ts = newSys(t, env)
	results := ts.browseInBackground("approve")
	require.Equal(t, exitOK, ts.run(ctx, "login", "tmdb", "--web"), ts.stderr.String())
	r := <-results
	require.NoError(t, r.err)
	assert.Contains(t, r.page.body, "Logged in")
	assert.True(t, strings.HasPrefix(ts.opened[0], env[envTMDbSiteURL]+"/authenticate/"))

	ts = newSys(t, env)
	require.Equal(t, exitOK, ts.run(ctx, "status"), ts.stdout.String())
	for _, want := range []string{"account demo, premium Bronze", "tmdb (profile default): valid", "movies (profile default): valid"} {
		assert.Contains(t, ts.stdout.String(), want)
	}
	ts = newSys(t, env)
	require.Equal(t, exitOK, ts.run(ctx, "token", "tvmaze"))
	assert.Equal(t, mediaauthtest.DemoTVmazeAPIKey+"\n", ts.stdout.String())
	ts = newSys(t, env)
	require.Equal(t, exitOK, ts.run(ctx, "logout", "tmdb"), ts.stderr.String())
	assert.Contains(t, ts.stderr.String(), "Deleted the TMDb session.")
	requirePrivate(t, env)
}

func TestFakeInProcess(t *testing.T) {
	t.Parallel()
	ts := newSys(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- ts.run(ctx, "fake", "--addr", "127.0.0.1:0", "--tvmaze-poll-interval", "20ms", "--tvmaze-auto-confirm", "30ms", "--seed", "1")
	}()
	waitFor(t, "the banner", func() bool { return strings.Contains(ts.stdout.String(), "Serving until") })
	banner := ts.stdout.String()
	assert.Regexp(t, `^mediaauth fake: serving the Movies API, TVmaze and TMDb at http://127\.0\.0\.1:\d+\n`, banner)
	assert.Contains(t, banner, "Movies API   username demo, email demo@example.com, password demo-password")
	assert.Contains(t, banner, "TVmaze auth requests confirm themselves after 30ms.")
	env := exports(t, banner)
	useFake(t, env)

	// The demo TVmaze user follows shows; the outbox answers.
	c, err := mediaauth.New(mediaauth.WithTVmazeBaseURL(env[envTVmazeURL]),
		mediaauth.WithCredentials(mediaauth.TVmazeCredentials{Username: mediaauthtest.DemoTVmazeUsername, APIKey: mediaauthtest.DemoTVmazeAPIKey}))
	require.NoError(t, err)
	var follows []struct {
		ShowID int `json:"show_id"`
	}
	require.NoError(t, c.TVmaze.Do(t.Context(), "GET", "/user/follows/shows", nil, &follows))
	var ids []int
	for _, f := range follows {
		ids = append(ids, f.ShowID)
	}
	assert.Equal(t, mediaauthtest.DemoTVmazeFollowedShows(), ids)

	cancel()
	assert.Equal(t, exitOK, <-done)
	assert.Equal(t, "mediaauth fake: stopping\n", ts.stderr.String())
}

func TestFakeCannotListen(t *testing.T) {
	t.Parallel()
	ts := newSys(t, nil)
	assert.Equal(t, exitError, ts.run(t.Context(), "fake", "--addr", "127.0.0.1:99999"))
	requireOneErrorLine(t, ts, "fake: listen tcp")
}

// TestFakeCommandStopsOnSIGTERM builds the command, runs "mediaauth fake"
// as its own process, uses it, and stops it with SIGTERM: exit status 0.
func TestFakeCommandStopsOnSIGTERM(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM on Windows")
	}
	t.Parallel()
	bin := builtCommand(t)
	cmd := exec.Command(bin, "fake", "--addr", "127.0.0.1:0", "--tvmaze-poll-interval", "20ms", "--tvmaze-auto-confirm", "30ms")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	banner := readBanner(t, stdout)
	useFake(t, exports(t, banner))

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		require.NoError(t, err, "stderr: %s", stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("mediaauth fake did not stop on SIGTERM")
	}
	assert.Equal(t, 0, cmd.ProcessState.ExitCode())
	assert.Equal(t, "mediaauth fake: stopping\n", stderr.String())
}

// buildCommand builds this command into a temporary directory, with the
// go build flags given.
func buildCommand(t *testing.T, buildFlags ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mediaauth")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	args := append(append([]string{"build"}, buildFlags...), "-o", bin, ".")
	out, err := exec.Command("go", args...).CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// readBanner reads the fake's stdout up to its last banner line.
func readBanner(t *testing.T, r io.Reader) string {
	t.Helper()
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var b strings.Builder
	timeout := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			require.True(t, ok, "the fake ended early; it printed:\n%s", b.String())
			b.WriteString(l + "\n")
			if strings.HasPrefix(l, "Serving until") {
				go func() { // keep the pipe drained
					for range lines {
					}
				}()
				return b.String()
			}
		case <-timeout:
			t.Fatalf("no banner; got:\n%s", b.String())
		}
	}
}

// startFakeCommand runs "mediaauth fake" in process with args after an
// --addr on a free port, waits for its banner, and stops it when the test
// ends.
func startFakeCommand(t *testing.T, env map[string]string, args ...string) (banner, root string) {
	t.Helper()
	ts := newSys(t, env)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int, 1)
	go func() { done <- ts.run(ctx, append([]string{"fake", "--addr", "127.0.0.1:0"}, args...)...) }()
	t.Cleanup(func() {
		cancel()
		assert.Equal(t, exitOK, <-done)
	})
	waitFor(t, "the banner", func() bool { return strings.Contains(ts.stdout.String(), "Serving until") })
	banner = ts.stdout.String()
	root = regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(banner)
	require.NotEmpty(t, root, banner)
	return banner, root
}

// controlGet sends GET root+path with the control token, if any, and
// returns the status and body.
func controlGet(t *testing.T, root, path, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, root+path, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

// TestFakeStateAndControlToken starts the fake with the module's example
// state and a control token from the environment: the banner says where
// the control API and the outboxes are, without the token, and the
// state's accounts are there.
func TestFakeStateAndControlToken(t *testing.T) {
	t.Parallel()
	state := filepath.Join("..", "..", "mediaauthtest", "testdata", "state.json")
	banner, root := startFakeCommand(t, map[string]string{envFakeControlToken: "suite-control-token"}, "--state", state)
	for _, want := range []string{
		"  Control API  " + root + "/_fake/  (OpenAPI document at " + root + "/_fake/openapi.json; it needs the control token",
		"  Outboxes     TVmaze confirmation emails at " + root + "/_fake/tvmaze/outbox\n",
		"               Movies API emails at " + root + "/_fake/movies/emails?to=ADDRESS\n",
		"  and the accounts and keys of " + state + "\n",
		"TVmaze auth requests wait for the link of their email, in the outbox above",
	} {
		assert.Contains(t, banner, want)
	}
	assert.NotContains(t, banner, "suite-control-token")

	status, _ := controlGet(t, root, "/_fake/info", "")
	assert.Equal(t, http.StatusUnauthorized, status)
	status, body := controlGet(t, root, "/_fake/tvmaze/emails/last?to=alice%40example.com", "suite-control-token")
	assert.Equal(t, http.StatusNotFound, status, body)
	c, err := mediaauth.New(mediaauth.WithMoviesBaseURL(root))
	require.NoError(t, err)
	_, err = c.Movies.Login(t.Context(), "alice", "alice-password")
	assert.NoError(t, err, "the state's account logs in")
}

func TestFakeNoControl(t *testing.T) {
	t.Parallel()
	banner, root := startFakeCommand(t, nil, "--no-control", "--control-token", "ignored")
	assert.Contains(t, banner, "  Control API  off (--no-control)\n")
	assert.Contains(t, banner, "TVmaze auth requests wait for the confirm page (log in with --web).")
	assert.NotContains(t, banner, "Outboxes")
	status, _ := controlGet(t, root, mediaauthtest.ControlOpenAPIPath, "")
	assert.Equal(t, http.StatusNotFound, status)
}

func TestFakeBadState(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "state.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"movies": {"users": [{"username": "x"}]}}`), 0o600))
	for file, want := range map[string]string{
		filepath.Join(dir, "missing.json"): "fake: --state: open ",
		bad:                                "fake: --state " + bad + ": mediaauthtest: state: movies.users[0]: username, email and password are required",
	} {
		ts := newSys(t, nil)
		assert.Equal(t, exitError, ts.run(t.Context(), "fake", "--addr", "127.0.0.1:0", "--state", file))
		requireOneErrorLine(t, ts, want)
	}
}

func TestFakeHelpListsTheControlAPI(t *testing.T) {
	t.Parallel()
	ts := newSys(t, nil)
	assert.Equal(t, exitOK, ts.run(t.Context(), "fake", "-h"))
	help := ts.stdout.String() + ts.stderr.String()
	for _, want := range []string{"--state file", "--control-token token", "--no-control", "/_fake/openapi.json",
		"POST /_fake/reset", "/_fake/faults", "/_fake/requests", "/_fake/tvmaze/outbox", "/_fake/tmdb/approve", `"read_access_tokens"`} {
		assert.Contains(t, help, want)
	}
}

// builtFake runs the built "mediaauth fake" with args (and a loopback port
// of its own) until the test ends, and returns the environment its export
// lines give, with a new config directory whose file is the store.
func builtFake(t *testing.T, args ...string) map[string]string {
	t.Helper()
	cmd := exec.Command(builtCommand(t), append([]string{"fake", "--addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	env := exports(t, readBanner(t, stdout))
	env[envInsecureStorage] = "1"
	return env
}
