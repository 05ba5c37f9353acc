package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The built command, shared by the tests that run it as a process of its
// own: built once into binDir, removed when the tests end.
var (
	binDir   string
	binOnce  sync.Once
	binPath  string
	binError error
)

// envTestBrowser, set to approve or deny, makes the test binary play the
// browser instead of running the tests: "mediaauth login tmdb" runs it as
// BROWSER (see browserEnv), with the approval page as its argument.
// envTestBrowserOut names the file it writes the last page to.
const (
	envTestBrowser    = "MEDIAAUTH_TEST_BROWSER"
	envTestBrowserOut = "MEDIAAUTH_TEST_BROWSER_OUT"
)

func TestMain(m *testing.M) {
	if action := os.Getenv(envTestBrowser); action != "" {
		os.Exit(playBrowser(action, os.Args[len(os.Args)-1], os.Getenv(envTestBrowserOut)))
	}
	dir, err := os.MkdirTemp("", "mediaauth-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// builtCommand returns the command built from this package, once.
func builtCommand(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binPath = filepath.Join(binDir, "mediaauth")
		if runtime.GOOS == "windows" {
			binPath += ".exe"
		}
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binError = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	require.NoError(t, binError)
	return binPath
}

// playBrowser is the test binary run as BROWSER: it opens page, presses
// the button action, follows the redirect back to the command, writes the
// last page to out, and exits 0 (1 when it could not).
func playBrowser(action, page, out string) int {
	b := &webBrowser{hc: newWebBrowser(nil).hc}
	p, err := b.visit(page, action)
	if err != nil {
		fmt.Fprintln(os.Stderr, "test browser:", err)
		return 1
	}
	if out != "" {
		_ = os.WriteFile(out, []byte(fmt.Sprintf("%d %s\n%s", p.status, p.url, p.body)), 0o600)
	}
	return 0
}

// browserEnv sets env so that the command's browser is this test binary
// pressing action; the last page it gets is written to the returned file.
func browserEnv(t *testing.T, env map[string]string, action string) string {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "page")
	env[envBrowser] = "'" + exe + "' %s"
	env[envTestBrowser] = action
	env[envTestBrowserOut] = out
	return out
}

func TestUsageErrorsExit2WithOneLine(t *testing.T) {
	t.Parallel()
	env := map[string]string{envConfigDir: t.TempDir()}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"login"}, "login: name the API"},
		{[]string{"login", "netflix"}, `login: unknown API "netflix"`},
		{[]string{"login", "tvmaze"}, "login tvmaze: give --email"},
		{[]string{"login", "tvmaze", "--email", "a@b.c", "extra"}, `unexpected argument "extra"`},
		{[]string{"login", "tmdb", "--v4", "--password"}, "do not go together"},
		{[]string{"login", "movies", "--username", "u"}, "the Movies API has no default address"},
		{[]string{"token"}, "token: name the API"},
		{[]string{"token", "tmdb", "tvmaze"}, `token: unexpected argument "tvmaze"`},
		{[]string{"token", "tvmaze", "--v4"}, "--v4 is for tmdb"},
		{[]string{"logout", "imdb"}, `logout: unknown API "imdb"`},
		{[]string{"status", "now"}, `status: unexpected argument "now"`},
		{[]string{"status", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"--json", "logout", "tmdb"}, "--json is for status and token"},
		{[]string{"login", "tvmaze", "--email", "x@y.z", "--json"}, "--json is for status and token"},
		{[]string{"fake", "--tmdb-token-ttl", "0s"}, "--tmdb-token-ttl must be positive"},
		{[]string{"help", "nothing"}, `help: unknown command "nothing"`},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			ts := newSys(t, env)
			assert.Equal(t, exitUsage, ts.run(t.Context(), tt.args...))
			assert.Len(t, ts.stderrLines(), 1, "one line: %q", ts.stderr.String())
			requireOneErrorLine(t, ts, tt.want)
			assert.Contains(t, ts.stderr.String(), "(see mediaauth help)")
			assert.Empty(t, ts.stdout.String())
		})
	}
}

func TestNoCommandPrintsUsage(t *testing.T) {
	t.Parallel()
	ts := newSys(t, nil)
	assert.Equal(t, exitUsage, ts.run(t.Context()))
	assert.Contains(t, ts.stderr.String(), "Usage: mediaauth [global flags] COMMAND")
	requireOneErrorLine(t, ts, "no command given")
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"help"}, []string{"login tvmaze", "MEDIAAUTH_PROFILE", "MEDIAAUTH_CONFIG_DIR", "MEDIAAUTH_MOVIES_URL",
			"MEDIAAUTH_TVMAZE_URL", "MEDIAAUTH_TMDB_URL", "MEDIAAUTH_TMDB_SITE_URL", "TMDB_API_KEY", "TMDB_READ_ACCESS_TOKEN", "Exit status"}},
		{[]string{"-h"}, []string{"Commands:"}},
		{[]string{"help", "login", "tmdb"}, []string{"Usage: mediaauth login tmdb", "--v4", "--callback-port N", "--no-browser"}},
		{[]string{"help", "login", "tvmaze"}, []string{"--email", "--web", "--poll-interval duration"}},
		{[]string{"login", "movies", "-h"}, []string{"--api-key", "printf"}},
		{[]string{"help", "token"}, []string{"--show", "export TMDB_SESSION=$(mediaauth token tmdb)"}},
		{[]string{"status", "--help"}, []string{"exit status is 1"}},
		{[]string{"logout", "-h"}, []string{"--local"}},
		{[]string{"help", "fake"}, []string{"--addr", "--seed", "--tmdb-auto-approve", "--tvmaze-auto-confirm"}},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			ts := newSys(t, nil)
			assert.Equal(t, exitOK, ts.run(t.Context(), tt.args...), ts.stderr.String())
			for _, w := range tt.want {
				assert.Contains(t, ts.stdout.String(), w)
			}
			assert.Empty(t, ts.stderr.String())
		})
	}
}

func TestParseAllTakesFlagsAfterArguments(t *testing.T) {
	t.Parallel()
	a := newApp(newSys(t, nil).system())
	a.command = "token"
	fs := a.flagSet("token")
	show := fs.Bool("show", false, "")
	rest, err := a.parseAll(fs, []string{"--profile", "work", "tmdb", "--show", "--", "--json"}, tokenUsage)
	assert.NoError(t, err)
	assert.Equal(t, []string{"tmdb", "--json"}, rest)
	assert.True(t, *show)
	assert.Equal(t, "work", a.globals.profile)
	assert.False(t, a.globals.json)
}
