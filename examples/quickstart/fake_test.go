package main

import (
	"bufio"
	"bytes"
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
)

// TestRunAgainstMediaauthFake builds the mediaauth command, starts
// "mediaauth fake" as its own process, runs every flow against it twice,
// in this process, and stops the fake with SIGTERM: exit status 0.
func TestRunAgainstMediaauthFake(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM on Windows")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "mediaauth")
	out, err := exec.Command("go", "build", "-o", bin, "../../cmd/mediaauth").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	cmd := exec.Command(bin, "fake", "--addr", "127.0.0.1:0", "--tvmaze-poll-interval", "20ms", "--tvmaze-start-interval", "1ms")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	fakeURL := fakeRoot(t, stdout)

	for range 2 { // a running fake keeps its state: the quickstart runs again
		var report bytes.Buffer
		require.NoError(t, run(t.Context(), &report, config{fakeURL: fakeURL, tvmazeInterval: 20 * time.Millisecond}), report.String())
		s := report.String()
		assert.Contains(t, s, "Running against the fake server at "+fakeURL+" (mediaauth fake)")
		requireSteps(t, s, moviesSteps)
		requireSteps(t, s[strings.Index(s, "== TVmaze"):], tvmazeSteps)
		requireSteps(t, s[strings.Index(s, "== TMDb v3"):], tmdbSteps)
		requireSteps(t, s[strings.Index(s, "== TMDb v4"):], tmdbV4Steps)
		for _, f := range flows {
			assert.Contains(t, s, f.name+": all steps passed")
		}
		assert.Contains(t, s, "every 20ms (the user confirmed on the confirm page)")
		assert.Contains(t, s, "show ids 1, 82", "the fake's demo user follows two shows")
		assert.Contains(t, s, fakeURL+"/authenticate/")
		assert.Contains(t, s, fakeURL+"/auth/access?request_token=")
		assert.True(t, strings.HasSuffix(s, "Done.\n"))
	}

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, "stderr: %s", stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("mediaauth fake did not stop on SIGTERM")
	}
	assert.Equal(t, 0, cmd.ProcessState.ExitCode())
}

var servingRE = regexp.MustCompile(`^mediaauth fake: serving .* at (http://\S+)$`)

// fakeRoot reads the fake's banner and returns its root URL; the rest of
// its output is drained.
func fakeRoot(t *testing.T, r io.Reader) string {
	t.Helper()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		close(found)
	}()
	select {
	case u, ok := <-found:
		require.True(t, ok, "the fake ended without its banner")
		return u
	case <-time.After(10 * time.Second):
		t.Fatal("no banner from the fake")
	}
	return ""
}

func TestParseConfigFakeURL(t *testing.T) {
	t.Parallel()
	getenv := func(k string) string {
		if k == "MEDIAAUTH_FAKE_URL" {
			return "http://127.0.0.1:8787"
		}
		return ""
	}
	cfg, err := parseConfig([]string{"-tvmaze-interval", "1s"}, getenv, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:8787", cfg.fakeURL)
	assert.Equal(t, time.Second, cfg.tvmazeInterval)
	_, err = parseConfig([]string{"-base-url", "https://movies.example", "-username", "u", "-email", "e@x", "-password", "p"}, getenv, io.Discard)
	assert.ErrorContains(t, err, "-fake-url and -base-url do not go together")
}
