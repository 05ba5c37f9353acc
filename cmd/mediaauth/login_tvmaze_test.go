package main

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

const pollPath = "/v1/auth/poll"

// tvmazeFake is a fake whose TVmaze accepts a poll every 20 ms.
func tvmazeFake(t *testing.T, opts ...mediaauthtest.Option) *mediaauthtest.Server {
	return startFake(t, append([]mediaauthtest.Option{mediaauthtest.WithTVmazeMinPollInterval(20 * time.Millisecond)}, opts...)...)
}

func TestLoginTVmazePlainProgress(t *testing.T) {
	t.Parallel()
	srv := tvmazeFake(t, mediaauthtest.WithTVmazeAutoConfirm(50*time.Millisecond))
	env := fakeEnv(t, srv)
	ts := newSys(t, env)
	require.Equal(t, exitOK, ts.run(t.Context(), "login", "tvmaze", "--email", mediaauthtest.DemoTVmazeEmail, "--poll-interval", "20ms"), ts.stderr.String())

	lines := ts.stderrLines()
	require.GreaterOrEqual(t, len(lines), 4, ts.stderr.String())
	assert.Equal(t, "TVmaze sent an email to demo@example.com: open the link in it to confirm the login.", lines[0])
	assert.Equal(t, "Waiting for the confirmation (Ctrl-C to stop)...", lines[1])
	polls := lines[2:]
	pending := regexp.MustCompile(`^\[0:00\] poll (\d+): not confirmed yet; next poll in 20ms$`)
	for i, l := range polls[:len(polls)-1] {
		m := pending.FindStringSubmatch(l)
		require.NotNil(t, m, "line %q", l)
		assert.Equal(t, strconv.Itoa(i+1), m[1])
	}
	assert.Regexp(t, `^\[0:00\] poll `+strconv.Itoa(len(polls))+`: confirmed$`, polls[len(polls)-1])
	assert.NotContains(t, ts.stderr.String(), "\r", "no terminal, no line rewriting")

	assert.Regexp(t, `^Logged in to TVmaze as demo \(API key, premium Bronze\)\. Saved to .*credentials\.json \(profile default\)\.\n$`, ts.stdout.String())
	requirePrivate(t, env)
	saved, err := storeOf(t, env).Load(t.Context(), mediaauth.APITVmaze, mediaauth.DefaultProfile)
	require.NoError(t, err)
	assert.Equal(t, &mediaauth.TVmazeCredentials{Username: mediaauthtest.DemoTVmazeUsername, APIKey: mediaauthtest.DemoTVmazeAPIKey}, saved.TVmaze)
	assert.NotContains(t, ts.stdout.String()+ts.stderr.String(), mediaauthtest.DemoTVmazeAPIKey)
}

func TestLoginTVmazeBacksOffAfter429(t *testing.T) {
	t.Parallel()
	srv := tvmazeFake(t, mediaauthtest.WithTVmazeAutoConfirm(60*time.Millisecond))
	srv.InjectFault(pollPath, mediaauthtest.Fault{Status: http.StatusTooManyRequests})
	ts := newSys(t, fakeEnv(t, srv))
	require.Equal(t, exitOK, ts.run(t.Context(), "login", "tvmaze", "--email", mediaauthtest.DemoTVmazeEmail, "--poll-interval", "20ms"), ts.stderr.String())
	lines := ts.stderrLines()
	assert.Equal(t, "[0:00] poll 1: rate limited (HTTP 429); backing off, next poll in 40ms", lines[2])
	assert.Regexp(t, `: confirmed$`, lines[len(lines)-1])
}

func TestLoginTVmazeTerminalProgress(t *testing.T) {
	t.Parallel()
	srv := tvmazeFake(t, mediaauthtest.WithTVmazeAutoConfirm(300*time.Millisecond)) // polls 2 and 3 are surely pending
	srv.InjectFault(pollPath, mediaauthtest.Fault{Status: http.StatusTooManyRequests})
	ts := newSys(t, fakeEnv(t, srv))
	ts.termErr = true
	require.Equal(t, exitOK, ts.run(t.Context(), "login", "tvmaze", "--email", mediaauthtest.DemoTVmazeEmail, "--poll-interval", "20ms"), ts.stderr.String())
	out := ts.stderr.String()
	assert.Contains(t, out, "\r\x1b[KWaiting: 0:00 elapsed, next poll in 0s")
	assert.Contains(t, out, "\r\x1b[KWaiting: 0:00 elapsed, poll 1: rate limited (HTTP 429), backing off: next poll in 0s")
	assert.Contains(t, out, "poll 2: not confirmed yet, next poll in 0s")
	assert.Regexp(t, `\r\x1b\[KWaiting: \d+:\d\d elapsed, poll \d+: confirmed\n$`, out)
	assert.NotContains(t, out, "[0:00] poll", "no plain lines on a terminal")
}

func TestLoginTVmazeWebConfirmsInBrowser(t *testing.T) {
	t.Parallel()
	srv := tvmazeFake(t) // nobody confirms but the browser
	env := fakeEnv(t, srv)
	ts := newSys(t, env)
	results := ts.browseInBackground("confirm")
	require.Equal(t, exitOK, ts.run(t.Context(), "login", "tvmaze", "--email", mediaauthtest.DemoTVmazeEmail, "--web", "--poll-interval", "20ms"), ts.stderr.String())
	r := <-results
	require.NoError(t, r.err)
	assert.Contains(t, r.page.body, "<h1>Confirmed</h1>")
	require.Len(t, ts.opened, 1)
	assert.True(t, strings.HasPrefix(ts.opened[0], srv.TVmaze.URL()+"/auth/confirm/"), ts.opened[0])
	assert.Contains(t, ts.stderr.String(), "Confirm the login on TVmaze's page (log in to TVmaze there first):\n\n    "+ts.opened[0])
	assert.Contains(t, ts.stderr.String(), "Opened it in your browser.")
	assert.Contains(t, ts.stdout.String(), "Logged in to TVmaze as demo")
}

func TestLoginTVmazeInterruptStopsWithoutAnotherPoll(t *testing.T) {
	t.Parallel()
	srv := tvmazeFake(t)
	env := fakeEnv(t, srv)
	ts := newSys(t, env)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- ts.run(ctx, "login", "tvmaze", "--email", mediaauthtest.DemoTVmazeEmail, "--poll-interval", "20ms")
	}()
	waitFor(t, "the first poll", func() bool { return strings.Contains(ts.stderr.String(), "poll 1:") })
	cancel() // Ctrl-C
	var code int
	select {
	case code = <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("the login did not stop")
	}
	assert.Equal(t, exitInterrupted, code)
	polls := srv.RequestCount(http.MethodPost, pollPath)
	time.Sleep(60 * time.Millisecond) // three intervals
	assert.Equal(t, polls, srv.RequestCount(http.MethodPost, pollPath), "no poll after the interrupt")
	requireOneErrorLine(t, ts, "interrupted")
	_, err := storeOf(t, env).Load(t.Context(), mediaauth.APITVmaze, mediaauth.DefaultProfile)
	assert.ErrorIs(t, err, mediaauth.ErrCredentialNotFound)
}

func TestLoginTVmazeErrors(t *testing.T) {
	t.Parallel()
	srv := tvmazeFake(t)
	ts := newSys(t, fakeEnv(t, srv))
	assert.Equal(t, exitError, ts.run(t.Context(), "login", "tvmaze", "--email", "nobody@example.com", "--poll-interval", "20ms"))
	requireOneErrorLine(t, ts, "starting the TVmaze login")
	assert.Len(t, ts.stderrLines(), 1)

	// Under 10 s only against a loopback server.
	env := fakeEnv(t, srv)
	env[envTVmazeURL] = "https://tvmaze.example/v1"
	ts = newSys(t, env)
	assert.Equal(t, exitUsage, ts.run(t.Context(), "login", "tvmaze", "--email", "a@b.c", "--poll-interval", "1s"))
	requireOneErrorLine(t, ts, "under TVmaze's 10 s minimum")
}

func TestLoginTVmazeAsksForEmailOnATerminal(t *testing.T) {
	t.Parallel()
	srv := tvmazeFake(t, mediaauthtest.WithTVmazeAutoConfirm(30*time.Millisecond))
	ts := newSys(t, fakeEnv(t, srv))
	ts.stdin = strings.NewReader(mediaauthtest.DemoTVmazeEmail + "\n")
	ts.termIn, ts.termErr = true, true
	require.Equal(t, exitOK, ts.run(t.Context(), "login", "tvmaze", "--poll-interval", "20ms", "--profile", "home"), ts.stderr.String())
	assert.True(t, strings.HasPrefix(ts.stderr.String(), "TVmaze account email: "))
	assert.Contains(t, ts.stdout.String(), "(profile home)")
}

// TestLoginTVmazeThroughTheFakesOutbox: against the built "mediaauth
// fake", "login tvmaze --email" completes when someone confirms on the
// outbox page, and the fake's banner says where that page is.
func TestLoginTVmazeThroughTheFakesOutbox(t *testing.T) {
	t.Parallel()
	env := builtFake(t, "--tvmaze-poll-interval", "20ms")
	cmd, stdout, stderr := startBuilt(t, env, "login", "tvmaze", "--email", mediaauthtest.DemoTVmazeEmail, "--poll-interval", "50ms")
	waitFor(t, "the wait", func() bool { return strings.Contains(stderr.String(), "Waiting for the confirmation") })

	root := strings.TrimSuffix(env[envTVmazeURL], mediaauthtest.TVmazePrefix)
	b := newWebBrowser(t)
	outbox, err := b.do(http.MethodGet, root+mediaauthtest.TVmazeOutboxPath, nil)
	require.NoError(t, err)
	m := regexp.MustCompile(`(?s)<b>To:</b> demo@example\.com .*The application mediaauth-cli/1 asks .*<a href="([^"]+)">Confirm the login</a>`).FindStringSubmatch(outbox.body)
	require.NotNil(t, m, outbox.body)
	confirm, err := b.visit(m[1], "confirm")
	require.NoError(t, err)
	assert.Contains(t, confirm.body, "<h1>Confirmed</h1>")

	require.Equal(t, exitOK, waitExit(t, cmd, stderr), stderr.String())
	assert.Regexp(t, `Logged in to TVmaze as demo \(API key, premium Bronze\)\. Saved to .*credentials\.json`, stdout.String())
	saved, err := storeOf(t, env).Load(t.Context(), mediaauth.APITVmaze, mediaauth.DefaultProfile)
	require.NoError(t, err)
	assert.Equal(t, mediaauthtest.DemoTVmazeAPIKey, saved.TVmaze.APIKey)
}
