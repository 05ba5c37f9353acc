package main

import (
	"bufio"
	"context"
	"io"
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

// TestFakeBannerNamesTheTVmazeOutbox: without auto-confirm, the banner
// says where TVmaze's confirmation emails are.
func TestFakeBannerNamesTheTVmazeOutbox(t *testing.T) {
	t.Parallel()
	ts := newSys(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int, 1)
	go func() { done <- ts.run(ctx, "fake", "--addr", "127.0.0.1:0") }()
	waitFor(t, "the banner", func() bool { return strings.Contains(ts.stdout.String(), "Serving until") })
	assert.Regexp(t, `\n  TVmaze confirmation emails: http://127\.0\.0\.1:\d+/_fake/tvmaze/outbox \(open the link in one to confirm; or log in with --web\)\n`, ts.stdout.String())
	cancel()
	assert.Equal(t, exitOK, <-done)
}
