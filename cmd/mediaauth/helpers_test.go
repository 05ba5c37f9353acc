package main

import (
	"bytes"
	"context"
	"errors"
	"html"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testSys is a fake outside world for run.
type testSys struct {
	t      *testing.T
	stdin  io.Reader
	stdout *syncBuffer
	stderr *syncBuffer
	env    map[string]string
	// Which streams are terminals.
	termIn, termOut, termErr bool
	// passwords are what readPassword returns, in turn.
	passwords []string
	// open, when set, is the browser.
	open func(ctx context.Context, url string) error
	// keychain, when set, is the OS keychain.
	keychain keychainStore
	// cache is the user's cache directory.
	cache string
	// now, when set, is the clock.
	now func() time.Time
	// opened lists the URLs the command asked the browser to open.
	mu     sync.Mutex
	opened []string
}

// newSys returns a testSys with an empty stdin, no terminal and env as the
// environment.
func newSys(t *testing.T, env map[string]string) *testSys {
	return &testSys{t: t, stdin: strings.NewReader(""), stdout: &syncBuffer{}, stderr: &syncBuffer{}, env: env, cache: t.TempDir()}
}

func (ts *testSys) system() *system {
	return &system{
		stdin: ts.stdin, stdout: ts.stdout, stderr: ts.stderr,
		getenv: func(k string) string { return ts.env[k] },
		isTerminal: func(stream any) bool {
			switch stream {
			case ts.stdin:
				return ts.termIn
			case io.Writer(ts.stdout):
				return ts.termOut
			case io.Writer(ts.stderr):
				return ts.termErr
			}
			return false
		},
		readPassword: func(context.Context, any) (string, error) {
			ts.mu.Lock()
			defer ts.mu.Unlock()
			if len(ts.passwords) == 0 {
				return "", errors.New("no password typed")
			}
			p := ts.passwords[0]
			ts.passwords = ts.passwords[1:]
			return p, nil
		},
		openPage: func(ctx context.Context, u string) (bool, error) {
			ts.mu.Lock()
			ts.opened = append(ts.opened, u)
			ts.mu.Unlock()
			if ts.open == nil {
				return false, errors.New("no browser in tests")
			}
			if err := ts.open(ctx, u); err != nil {
				return false, err
			}
			return true, nil
		},
		keychain: func(string) keychainStore {
			if ts.keychain == nil {
				return nil
			}
			return ts.keychain
		},
		cacheDir: func() (string, error) { return ts.cache, nil },
		now: func() time.Time {
			if ts.now != nil {
				return ts.now()
			}
			return time.Now()
		},
	}
}

// run runs the command line and returns its exit status.
func (ts *testSys) run(ctx context.Context, args ...string) int {
	ts.t.Helper()
	return run(ctx, args, ts.system())
}

// stderrLines returns stderr's lines.
func (ts *testSys) stderrLines() []string {
	return strings.Split(strings.TrimRight(ts.stderr.String(), "\n"), "\n")
}

// fakeEnv returns the environment that points the command at srv, with
// the fake's TMDb application credentials and a new config directory whose
// credentials file is the store (the keychain's tests set their own).
func fakeEnv(t *testing.T, srv *mediaauthtest.Server) map[string]string {
	return map[string]string{
		envInsecureStorage: "1",
		envConfigDir:       filepath.Join(t.TempDir(), "config"),
		envMoviesURL:       srv.Movies.URL(),
		envTVmazeURL:       srv.TVmaze.URL(),
		envTMDbURL:         srv.TMDb.URL(),
		envTMDbSiteURL:     srv.TMDb.SiteURL(),
		envTMDbAPIKey:      mediaauthtest.DemoTMDbAPIKey,
		envTMDbRead:        mediaauthtest.DemoTMDbReadAccessToken,
	}
}

// startFake starts a fake for one test.
func startFake(t *testing.T, opts ...mediaauthtest.Option) *mediaauthtest.Server {
	t.Helper()
	srv := mediaauthtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// fakeClient returns a client of srv with its TMDb read access token too.
func fakeClient(t *testing.T, srv *mediaauthtest.Server) *mediaauth.Client {
	t.Helper()
	c, err := srv.Client(mediaauth.WithCredentials(mediaauth.TMDbReadAccessToken(mediaauthtest.DemoTMDbReadAccessToken)))
	require.NoError(t, err)
	return c
}

// storeOf opens the credential store of env.
func storeOf(t *testing.T, env map[string]string) *mediaauth.FileStore {
	t.Helper()
	st, err := mediaauth.NewFileStore(filepath.Join(env[envConfigDir], credentialsFile))
	require.NoError(t, err)
	return st
}

// requirePrivate checks that the credentials file of env has mode 0600 in
// a directory of mode 0700.
func requirePrivate(t *testing.T, env map[string]string) {
	t.Helper()
	fi, err := os.Stat(filepath.Join(env[envConfigDir], credentialsFile))
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())
	di, err := os.Stat(env[envConfigDir])
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o700), di.Mode().Perm())
}

// requireOneErrorLine checks that stderr ends in one "mediaauth: " line
// holding want.
func requireOneErrorLine(t *testing.T, ts *testSys, want string) {
	t.Helper()
	lines := ts.stderrLines()
	last := lines[len(lines)-1]
	assert.True(t, strings.HasPrefix(last, "mediaauth: "), "stderr:\n%s", ts.stderr.String())
	assert.Contains(t, last, want, "stderr:\n%s", ts.stderr.String())
}

// webBrowser plays a browser: it reads the fake's pages, presses their
// buttons and follows redirects by hand.
type webBrowser struct {
	t  *testing.T
	hc *http.Client
}

func newWebBrowser(t *testing.T) *webBrowser {
	return &webBrowser{t: t, hc: &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// webPage is a page the browser got.
type webPage struct {
	url      string
	status   int
	location string
	body     string
}

func (b *webBrowser) do(method, rawURL string, form url.Values) (webPage, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		return webPage{}, err
	}
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		return webPage{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return webPage{}, err
	}
	loc := resp.Header.Get("Location")
	if loc != "" {
		u, _ := req.URL.Parse(loc)
		loc = u.String()
	}
	return webPage{url: rawURL, status: resp.StatusCode, location: loc, body: string(data)}, nil
}

var (
	formRE   = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// visit opens a page, presses the button whose value is action, and
// follows the redirect it answers with (to the command's callback). It
// returns the last page.
func (b *webBrowser) visit(pageURL, action string) (webPage, error) {
	p, err := b.do(http.MethodGet, pageURL, nil)
	if err != nil {
		return p, err
	}
	m := formRE.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil || !strings.Contains(p.body, `value="`+action+`"`) {
		return p, errors.New("no form with that button on " + pageURL + ": " + p.body)
	}
	form := url.Values{"action": {action}}
	for _, h := range hiddenRE.FindAllStringSubmatch(p.body, -1) {
		form.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
	}
	base, _ := url.Parse(pageURL)
	target, _ := base.Parse(html.UnescapeString(m[1]))
	p, err = b.do(http.MethodPost, target.String(), form)
	if err != nil || p.location == "" {
		return p, err
	}
	return b.do(http.MethodGet, p.location, nil)
}

// browserResult is what a browser played in the background ended with.
type browserResult struct {
	page webPage
	err  error
}

// browseInBackground makes ts's browser press action on every page the
// command opens; the last pages arrive on the channel.
func (ts *testSys) browseInBackground(action string) <-chan browserResult {
	results := make(chan browserResult, 4)
	b := newWebBrowser(ts.t)
	ts.open = func(_ context.Context, u string) error {
		go func() {
			p, err := b.visit(u, action)
			results <- browserResult{p, err}
		}()
		return nil
	}
	return results
}

// waitFor polls cond every few milliseconds for up to 5 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startBuilt starts the built command with args, its environment env (see
// childEnv), and returns it with its stdout and stderr; it is killed when
// the test ends if it is still running.
func startBuilt(t *testing.T, env map[string]string, args ...string) (*exec.Cmd, *syncBuffer, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(builtCommand(t), args...)
	cmd.Env = childEnv(env)
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd, &stdout, &stderr
}

// waitExit waits for cmd, for at most 20 seconds, and returns its exit
// status.
func waitExit(t *testing.T, cmd *exec.Cmd, stderr *syncBuffer) int {
	t.Helper()
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
		return cmd.ProcessState.ExitCode()
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("the command did not end; stderr:\n%s", stderr.String())
	}
	return -1
}
