package main

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

func TestLoginTMDbBrowserApprove(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	env := fakeEnv(t, srv)
	ts := newSys(t, env)
	results := ts.browseInBackground("approve")
	require.Equal(t, exitOK, ts.run(t.Context(), "login", "tmdb", "--web"), ts.stderr.String())

	r := <-results
	require.NoError(t, r.err)
	assert.Equal(t, http.StatusOK, r.page.status)
	assert.Contains(t, r.page.body, "<h1>Logged in to TMDb as demo</h1>")
	// The browser came back to the command's loopback server, with TMDb's
	// parameters, for this login's state.
	cb, err := url.Parse(r.page.url)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", cb.Hostname())
	assert.Regexp(t, `^/callback/[0-9a-f]{32}$`, cb.Path)
	assert.Equal(t, "true", cb.Query().Get("approved"))

	require.Len(t, ts.opened, 1)
	assert.True(t, strings.HasPrefix(ts.opened[0], srv.TMDb.SiteURL()+"/authenticate/"), ts.opened[0])
	assert.Contains(t, ts.stderr.String(), "Approve the login on TMDb's page:\n\n    "+ts.opened[0])
	assert.Regexp(t, `^Logged in to TMDb as demo \(a session\)\. Saved to .* \(profile default\)\.\n$`, ts.stdout.String())

	requirePrivate(t, env)
	saved, err := storeOf(t, env).Load(t.Context(), mediaauth.APITMDb, mediaauth.DefaultProfile)
	require.NoError(t, err)
	require.NotNil(t, saved.TMDbSession)
	assert.True(t, srv.TMDb.SessionValid(saved.TMDbSession.ID))
	assert.Nil(t, saved.TMDbAccessToken)
	assert.NotContains(t, ts.stdout.String()+ts.stderr.String(), saved.TMDbSession.ID)
}

func TestLoginTMDbBrowserDeny(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	env := fakeEnv(t, srv)
	ts := newSys(t, env)
	results := ts.browseInBackground("deny")
	assert.Equal(t, exitError, ts.run(t.Context(), "login", "tmdb", "--web"))
	r := <-results
	require.NoError(t, r.err)
	assert.Contains(t, r.page.body, "<h1>TMDb login denied</h1>")
	assert.Equal(t, "true", mustQuery(t, r.page.url).Get("denied"))
	requireOneErrorLine(t, ts, "logging in to TMDb: the login was denied on TMDb's page; nothing was stored")
	assert.Empty(t, ts.stdout.String())
	assert.Equal(t, 0, srv.RequestCount(http.MethodPost, "/3/authentication/session/new"))
	_, err := storeOf(t, env).Load(t.Context(), mediaauth.APITMDb, mediaauth.DefaultProfile)
	assert.ErrorIs(t, err, mediaauth.ErrCredentialNotFound)
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Query()
}

// callbackOf returns the redirect_to of a v3 approval URL.
func callbackOf(t *testing.T, approvalURL string) string {
	t.Helper()
	u, err := url.Parse(approvalURL)
	require.NoError(t, err)
	cb := u.Query().Get("redirect_to")
	require.NotEmpty(t, cb, approvalURL)
	return cb
}

func TestLoginTMDbRefusesCallbacksOfOtherLogins(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	ts := newSys(t, fakeEnv(t, srv))
	c := fakeClient(t, srv)
	foreign, err := c.TMDb.CreateRequestToken(t.Context())
	require.NoError(t, err)
	require.NoError(t, srv.TMDb.Approve(foreign.Token))

	type hit struct {
		status int
		body   string
	}
	hits := make(chan hit, 4)
	b := newWebBrowser(t)
	get := func(u string) {
		p, err := b.do(http.MethodGet, u, nil)
		if err != nil {
			hits <- hit{0, err.Error()}
			return
		}
		hits <- hit{p.status, p.body}
	}
	ts.open = func(_ context.Context, approvalURL string) error {
		go func() {
			cb := callbackOf(t, approvalURL)
			// Another state with this login's own token: only the state
			// tells it from this login's callback.
			own := strings.TrimPrefix(strings.SplitN(approvalURL, "?", 2)[0], srv.TMDb.SiteURL()+"/authenticate/")
			assert.NotContains(t, own, "/", "the token of %s", approvalURL)
			wrongState := regexp.MustCompile(`/callback/[0-9a-f]+`).ReplaceAllString(cb, "/callback/0123456789abcdef0123456789abcdef")
			get(wrongState + "?request_token=" + own + "&approved=true")
			// The right state with another login's token.
			get(cb + "?request_token=" + foreign.Token + "&approved=true")
			// The real approval.
			p, err := b.visit(approvalURL, "approve")
			if err != nil {
				hits <- hit{0, err.Error()}
				return
			}
			hits <- hit{p.status, p.body}
		}()
		return nil
	}
	require.Equal(t, exitOK, ts.run(t.Context(), "login", "tmdb", "--web"), ts.stderr.String())
	h := <-hits
	assert.Equal(t, http.StatusBadRequest, h.status, h.body)
	assert.Contains(t, h.body, "Not for this login")
	h = <-hits
	assert.Equal(t, http.StatusBadRequest, h.status, h.body)
	h = <-hits
	assert.Equal(t, http.StatusOK, h.status, h.body)
	assert.Equal(t, 2, strings.Count(ts.stderr.String(), "Refused a callback that was not for this login; still waiting."))
	assert.Equal(t, 1, srv.RequestCount(http.MethodPost, "/3/authentication/session/new"), "only this login's token became a session")
}

func TestLoginTMDbPrintsTheURLWhenNoBrowserOpens(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	ts := newSys(t, fakeEnv(t, srv))
	ts.termIn, ts.termErr = true, true // interactive: the browser is tried
	done := make(chan int, 1)
	go func() { done <- ts.run(t.Context(), "login", "tmdb") }() // ts.open is nil: no browser
	pageRE := regexp.MustCompile(`\n    (http://\S+/authenticate/\S+)\n`)
	var approvalURL string
	waitFor(t, "the approval URL", func() bool {
		m := pageRE.FindStringSubmatch(ts.stderr.String())
		if m != nil {
			approvalURL = m[1]
		}
		return m != nil && strings.Contains(ts.stderr.String(), "Waiting for your browser")
	})
	assert.Contains(t, ts.stderr.String(), "Could not open a browser (no browser in tests): open the address above yourself.")
	p, err := newWebBrowser(t).visit(approvalURL, "approve") // the user copies the address
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, p.status)
	assert.Equal(t, exitOK, <-done, ts.stderr.String())

	// --no-browser does not try.
	ts = newSys(t, fakeEnv(t, srv))
	ts.termIn, ts.termErr = true, true
	ctx, cancel := context.WithCancel(t.Context())
	go func() { done <- ts.run(ctx, "login", "tmdb", "--no-browser") }()
	waitFor(t, "the wait", func() bool { return strings.Contains(ts.stderr.String(), "Waiting for your browser") })
	cancel()
	assert.Equal(t, exitInterrupted, <-done)
	assert.Empty(t, ts.opened)
}

func TestLoginTMDbV4(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	env := fakeEnv(t, srv)
	ts := newSys(t, env)
	results := ts.browseInBackground("approve")
	require.Equal(t, exitOK, ts.run(t.Context(), "login", "tmdb", "--v4", "--web"), ts.stderr.String())
	r := <-results
	require.NoError(t, r.err)
	assert.Contains(t, r.page.body, "<h1>Logged in to TMDb as demo</h1>")
	assert.Empty(t, mustQuery(t, r.page.url), "TMDb sends v4 logins back without parameters")
	require.Len(t, ts.opened, 1)
	assert.True(t, strings.HasPrefix(ts.opened[0], srv.TMDb.SiteURL()+"/auth/access?request_token="), ts.opened[0])
	assert.Contains(t, ts.stdout.String(), "Logged in to TMDb as demo (a v4 access token and a session)")

	saved, err := storeOf(t, env).Load(t.Context(), mediaauth.APITMDb, mediaauth.DefaultProfile)
	require.NoError(t, err)
	require.NotNil(t, saved.TMDbSession)
	require.NotNil(t, saved.TMDbAccessToken)
	assert.True(t, srv.TMDb.SessionValid(saved.TMDbSession.ID))
	assert.True(t, srv.TMDb.AccessTokenValid(saved.TMDbAccessToken.AccessToken))
	assert.Equal(t, mediaauthtest.DemoTMDbV4AccountID, saved.TMDbAccessToken.AccountID)
}

func TestLoginTMDbV4Deny(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	env := fakeEnv(t, srv)
	ts := newSys(t, env)
	results := ts.browseInBackground("deny")
	assert.Equal(t, exitError, ts.run(t.Context(), "login", "tmdb", "--v4", "--web"))
	r := <-results
	require.NoError(t, r.err)
	assert.Contains(t, r.page.body, "<h1>TMDb login denied</h1>")
	requireOneErrorLine(t, ts, "logging in to TMDb: the login was denied on TMDb's page; nothing was stored")
	_, err := storeOf(t, env).Load(t.Context(), mediaauth.APITMDb, mediaauth.DefaultProfile)
	assert.ErrorIs(t, err, mediaauth.ErrCredentialNotFound)
}

func TestLoginTMDbV4NeedsReadAccessToken(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	env := fakeEnv(t, srv)
	delete(env, envTMDbRead)
	ts := newSys(t, env)
	assert.Equal(t, exitError, ts.run(t.Context(), "login", "tmdb", "--v4"))
	requireOneErrorLine(t, ts, "set TMDB_READ_ACCESS_TOKEN")
	delete(env, envTMDbAPIKey)
	ts = newSys(t, env)
	assert.Equal(t, exitError, ts.run(t.Context(), "login", "tmdb"))
	requireOneErrorLine(t, ts, "set TMDB_API_KEY or TMDB_READ_ACCESS_TOKEN")
}

func TestLoginTMDbPassword(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	env := fakeEnv(t, srv)
	ts := newSys(t, env)
	ts.stdin = strings.NewReader(mediaauthtest.DemoTMDbPassword + "\n")
	require.Equal(t, exitOK, ts.run(t.Context(), "login", "tmdb", "--password", "--username", "demo"), ts.stderr.String())
	assert.Contains(t, ts.stdout.String(), "Logged in to TMDb as demo (a session)")
	saved, err := storeOf(t, env).Load(t.Context(), mediaauth.APITMDb, mediaauth.DefaultProfile)
	require.NoError(t, err)
	assert.True(t, srv.TMDb.SessionValid(saved.TMDbSession.ID))

	ts = newSys(t, env)
	ts.stdin = strings.NewReader("not-the-password\n")
	assert.Equal(t, exitError, ts.run(t.Context(), "login", "tmdb", "--password", "--username", "demo"))
	requireOneErrorLine(t, ts, "logging in to TMDb")
	assert.NotContains(t, ts.stderr.String(), "not-the-password")

	// On a terminal: the username is asked, the password read without echo.
	ts = newSys(t, env)
	ts.stdin = strings.NewReader("demo\n")
	ts.termIn, ts.termErr = true, true
	ts.passwords = []string{mediaauthtest.DemoTMDbPassword}
	require.Equal(t, exitOK, ts.run(t.Context(), "login", "tmdb", "--password", "--profile", "second"), ts.stderr.String())
	assert.Equal(t, "TMDb username: TMDb password for demo: \n", ts.stderr.String())
}

// TestLoginTMDbThroughTheBuiltFake: against the built "mediaauth fake",
// "login tmdb" (v3 and v4) completes through the library's browser login,
// with BROWSER a program that plays the browser; Deny gives a clear
// message in both versions; and "opened" is said only when BROWSER did.
func TestLoginTMDbThroughTheBuiltFake(t *testing.T) {
	t.Parallel()
	fake := builtFake(t)
	for _, tt := range []struct {
		name, action string
		args         []string
		browser      func(env map[string]string) // sets BROWSER
		code         int
		page, stdout string
	}{
		{"v3 approve", "approve", nil, nil, exitOK, "<h1>Logged in to TMDb as demo</h1>", "Logged in to TMDb as demo (a session)"},
		{"v4 approve", "approve", []string{"--v4"}, nil, exitOK, "<h1>Logged in to TMDb as demo</h1>", "Logged in to TMDb as demo (a v4 access token and a session)"},
		{"v3 deny", "deny", nil, nil, exitError, "<h1>TMDb login denied</h1>", ""},
		{"v4 deny", "deny", []string{"--v4"}, nil, exitError, "<h1>TMDb login denied</h1>", ""},
		{"second of two browsers", "approve", nil, func(env map[string]string) { env[envBrowser] = "false:" + env[envBrowser] }, exitOK,
			"<h1>Logged in to TMDb as demo</h1>", "Logged in to TMDb as demo (a session)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := maps.Clone(fake)
			env[envConfigDir] = filepath.Join(t.TempDir(), "config")
			out := browserEnv(t, env, tt.action)
			if tt.browser != nil {
				tt.browser(env)
			}
			cmd, stdout, stderr := startBuilt(t, env, append([]string{"login", "tmdb", "--web"}, tt.args...)...)
			require.Equal(t, tt.code, waitExit(t, cmd, stderr), stderr.String())
			assert.Contains(t, stderr.String(), "\nOpened it in your browser.\n")
			page, err := os.ReadFile(out)
			require.NoError(t, err)
			assert.Contains(t, string(page), tt.page)
			if tt.code == exitOK {
				assert.Contains(t, stdout.String(), tt.stdout)
				saved, err := storeOf(t, env).Load(t.Context(), mediaauth.APITMDb, mediaauth.DefaultProfile)
				require.NoError(t, err)
				assert.NotNil(t, saved.TMDbSession)
				return
			}
			assert.True(t, strings.HasSuffix(stderr.String(), "mediaauth: logging in to TMDb: the login was denied on TMDb's page; nothing was stored\n"), stderr.String())
			assert.NotContains(t, stderr.String(), "code 33")
			assert.Empty(t, stdout.String())
		})
	}
}

// TestLoginTMDbWhenTheBrowserFails: a BROWSER that fails (or xdg-open on
// a machine without a desktop) is reported with what it said, not as
// "opened", and the login goes on with the printed address.
func TestLoginTMDbWhenTheBrowserFails(t *testing.T) {
	t.Parallel()
	env := builtFake(t)
	env[envConfigDir] = filepath.Join(t.TempDir(), "config")
	env[envBrowser] = `sh -c 'echo "no method available for opening the page" >&2; exit 3'`
	cmd, _, stderr := startBuilt(t, env, "login", "tmdb", "--web")
	pageRE := regexp.MustCompile(`\n    (http://\S+/authenticate/\S+)\n`)
	var approvalURL string
	waitFor(t, "the approval URL", func() bool {
		m := pageRE.FindStringSubmatch(stderr.String())
		if m != nil {
			approvalURL = m[1]
		}
		return m != nil && strings.Contains(stderr.String(), "Waiting for your browser")
	})
	_, err := newWebBrowser(t).visit(approvalURL, "approve") // the user copies the address
	require.NoError(t, err)
	require.Equal(t, exitOK, waitExit(t, cmd, stderr), stderr.String())
	assert.Contains(t, stderr.String(), "Could not open a browser (sh: exit status 3: no method available for opening the page): open the address above yourself.")
	assert.NotContains(t, stderr.String(), "Opened it")
}

// TestLoginTMDbRefusesAForeignHost: a callback with this login's state and
// token but another Host header (DNS rebinding) gets 400, and the login
// goes on.
func TestLoginTMDbRefusesAForeignHost(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	ts := newSys(t, fakeEnv(t, srv))
	statuses := make(chan int, 1)
	results := make(chan browserResult, 1)
	b := newWebBrowser(t)
	ts.open = func(_ context.Context, approvalURL string) error {
		go func() {
			// No require here: a failure off the test's goroutine would
			// leave the login waiting. The browser approves in any case.
			status, err := foreignHostCallback(approvalURL)
			assert.NoError(t, err)
			statuses <- status
			p, err := b.visit(approvalURL, "approve")
			results <- browserResult{p, err}
		}()
		return nil
	}
	require.Equal(t, exitOK, ts.run(t.Context(), "login", "tmdb", "--web"), ts.stderr.String())
	assert.Equal(t, http.StatusBadRequest, <-statuses)
	r := <-results
	require.NoError(t, r.err)
	assert.Equal(t, http.StatusOK, r.page.status)
	assert.Contains(t, ts.stderr.String(), "Refused a callback that was not for this login; still waiting.")
	assert.Equal(t, 1, srv.RequestCount(http.MethodPost, "/3/authentication/session/new"))
}

// foreignHostCallback sends the callback of approvalURL's login, with its
// token, under another Host header, and returns the status of the answer.
func foreignHostCallback(approvalURL string) (int, error) {
	u, err := url.Parse(approvalURL)
	if err != nil {
		return 0, err
	}
	cb, err := url.Parse(u.Query().Get("redirect_to"))
	if err != nil || cb.Host == "" {
		return 0, fmt.Errorf("no callback in %s (%v)", approvalURL, err)
	}
	token := strings.TrimPrefix(u.Path, "/authenticate/")
	req, err := http.NewRequest(http.MethodGet, cb.String()+"?request_token="+token+"&approved=true", nil)
	if err != nil {
		return 0, err
	}
	req.Host = "attacker.example:" + cb.Port()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	return resp.StatusCode, resp.Body.Close()
}
