package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"golang.org/x/term"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/internal/otlptrace"
)

// userAgent is the User-Agent of the command's requests.
const userAgent = "mediaauth-cli/1 " + mediaauth.DefaultUserAgent

// credentialsFile is the file in the config directory that keeps the
// credentials.
const credentialsFile = "credentials.json"

// Environment variables the command reads.
const (
	envProfile     = "MEDIAAUTH_PROFILE"
	envConfigDir   = "MEDIAAUTH_CONFIG_DIR"
	envMoviesURL   = "MEDIAAUTH_MOVIES_URL"
	envTVmazeURL   = "MEDIAAUTH_TVMAZE_URL"
	envTMDbURL     = "MEDIAAUTH_TMDB_URL"
	envTMDbSiteURL = "MEDIAAUTH_TMDB_SITE_URL"
	envTMDbAPIKey  = "TMDB_API_KEY"
	envTMDbRead    = "TMDB_READ_ACCESS_TOKEN"
	envBrowser     = "BROWSER"
)

// system is what the command gets from the outside world. Tests replace
// every part of it.
type system struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// isTerminal reports whether stdin, stdout or stderr (the value given)
	// is an interactive terminal.
	isTerminal func(stream any) bool
	// readPassword reads a line from the terminal stdin without echo.
	readPassword func(stdin any) (string, error)
	// openBrowser shows a web page to the user, or fails.
	openBrowser func(ctx context.Context, url string) error
	// version is the version a release build stamped, or "".
	version string
	// buildInfo returns what the Go command recorded in the binary, as
	// debug.ReadBuildInfo does; nil: nothing recorded.
	buildInfo func() (*debug.BuildInfo, bool)
}

// osSystem is the real world: the process's streams and environment, the
// terminal and the user's browser.
func osSystem() *system {
	sys := &system{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		getenv: os.Getenv,
		isTerminal: func(stream any) bool {
			f, ok := stream.(*os.File)
			return ok && term.IsTerminal(int(f.Fd()))
		},
		readPassword: func(stdin any) (string, error) {
			f, ok := stdin.(*os.File)
			if !ok {
				return "", errors.New("stdin is not a terminal")
			}
			b, err := term.ReadPassword(int(f.Fd()))
			return string(b), err
		},
		version: version, buildInfo: debug.ReadBuildInfo,
	}
	sys.openBrowser = func(ctx context.Context, url string) error { return openInBrowser(ctx, sys.getenv(envBrowser), url) }
	return sys
}

// openInBrowser starts the user's browser on url: $BROWSER when set, else
// xdg-open, open (macOS) or rundll32 (Windows). It does not wait for the
// browser to close.
func openInBrowser(ctx context.Context, browser, url string) error {
	var name string
	var args []string
	switch {
	case browser != "":
		fields := strings.Fields(browser)
		name, args = fields[0], append(fields[1:], url)
	case runtime.GOOS == "darwin":
		name, args = "open", []string{url}
	case runtime.GOOS == "windows":
		name, args = "rundll32", []string{"url.dll,FileProtocolHandler", url}
	default:
		name, args = "xdg-open", []string{url}
	}
	cmd := exec.CommandContext(context.WithoutCancel(ctx), name, args...)
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}

// globals are the flags every command takes, with the environment's
// values as defaults.
type globals struct {
	profile, configDir                         string
	moviesURL, tvmazeURL, tmdbURL, tmdbSiteURL string
	json                                       bool
	// profileSet says --profile or MEDIAAUTH_PROFILE named a profile.
	profileSet bool
}

// globalFlags are the names of the global flags.
var globalFlags = []string{"profile", "config-dir", "movies-url", "tvmaze-url", "tmdb-url", "tmdb-site-url", "json"}

func isGlobalFlag(name string) bool {
	for _, g := range globalFlags {
		if g == name {
			return true
		}
	}
	return false
}

// register adds the global flags to fs, with the values known so far as
// defaults, so that they may come before or after the command.
func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.profile, "profile", g.profile, "profile")
	fs.StringVar(&g.configDir, "config-dir", g.configDir, "config directory")
	fs.StringVar(&g.moviesURL, "movies-url", g.moviesURL, "Movies API base URL")
	fs.StringVar(&g.tvmazeURL, "tvmaze-url", g.tvmazeURL, "TVmaze base URL")
	fs.StringVar(&g.tmdbURL, "tmdb-url", g.tmdbURL, "TMDb base URL")
	fs.StringVar(&g.tmdbSiteURL, "tmdb-site-url", g.tmdbSiteURL, "TMDb site URL")
	fs.BoolVar(&g.json, "json", g.json, "JSON output")
}

// fromFlags notes which global flags a parse set.
func (g *globals) fromFlags(fs *flag.FlagSet) {
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "profile" {
			g.profileSet = true
		}
	})
}

// app is one run of the command.
type app struct {
	sys     *system
	globals globals
	// command is the name of the command being run.
	command string
	// in reads lines from stdin once the first prompt needs one.
	in *bufio.Reader
	// tracer observes the command's clients when the environment asks for
	// traces (see telemetry.go); nil otherwise.
	tracer *otlptrace.Tracer
}

func newApp(sys *system) *app {
	a := &app{sys: sys}
	g := &a.globals
	g.profile = sys.getenv(envProfile)
	g.profileSet = g.profile != ""
	if g.profile == "" {
		g.profile = mediaauth.DefaultProfile
	}
	g.configDir = sys.getenv(envConfigDir)
	g.moviesURL = sys.getenv(envMoviesURL)
	g.tvmazeURL = sys.getenv(envTVmazeURL)
	g.tmdbURL = sys.getenv(envTMDbURL)
	g.tmdbSiteURL = sys.getenv(envTMDbSiteURL)
	return a
}

// store opens the credentials file of --config-dir.
func (a *app) store() (*mediaauth.FileStore, error) {
	dir := a.globals.configDir
	if dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return nil, fmt.Errorf("no config directory: give --config-dir or set %s (%v)", envConfigDir, err)
		}
		dir = filepath.Join(base, "mediaauth")
	}
	return mediaauth.NewFileStore(filepath.Join(dir, credentialsFile))
}

// needJSONFree refuses --json for a command without JSON output.
func (a *app) needJSONFree() error {
	if a.globals.json && a.command != "status" && a.command != "token" {
		return usagef("%s: --json is for status and token", a.command)
	}
	return nil
}

// client builds a client for the configured base URLs and the TMDb
// application credentials of the environment, then opts.
func (a *app) client(opts ...mediaauth.Option) (*mediaauth.Client, error) {
	g := a.globals
	base := []mediaauth.Option{mediaauth.WithUserAgent(userAgent)}
	if g.moviesURL != "" {
		base = append(base, mediaauth.WithMoviesBaseURL(g.moviesURL))
	}
	if g.tvmazeURL != "" {
		base = append(base, mediaauth.WithTVmazeBaseURL(g.tvmazeURL))
	}
	if g.tmdbURL != "" {
		base = append(base, mediaauth.WithTMDbBaseURL(g.tmdbURL))
	}
	if g.tmdbSiteURL != "" {
		base = append(base, mediaauth.WithTMDbSiteURL(g.tmdbSiteURL))
	}
	if k := a.sys.getenv(envTMDbAPIKey); k != "" {
		base = append(base, mediaauth.WithCredentials(mediaauth.TMDbAPIKey(k)))
	}
	if t := a.sys.getenv(envTMDbRead); t != "" {
		base = append(base, mediaauth.WithCredentials(mediaauth.TMDbReadAccessToken(t)))
	}
	if a.tracer != nil {
		base = append(base, mediaauth.WithObserver(a.tracer))
	}
	return mediaauth.New(append(base, opts...)...)
}

// needTMDbApp checks that the environment gives the TMDb application's
// credentials: the read access token when readToken, else either.
func (a *app) needTMDbApp(readToken bool) error {
	if a.sys.getenv(envTMDbRead) != "" {
		return nil
	}
	if readToken {
		return fmt.Errorf("TMDb's v4 calls need your application's read access token: set %s", envTMDbRead)
	}
	if a.sys.getenv(envTMDbAPIKey) == "" {
		return fmt.Errorf("TMDb needs your application's credentials: set %s or %s", envTMDbAPIKey, envTMDbRead)
	}
	return nil
}

// interactive reports whether a person sits at the terminal: stdin and
// stderr are terminals.
func (a *app) interactive() bool {
	return a.sys.isTerminal(a.sys.stdin) && a.sys.isTerminal(a.sys.stderr)
}

// line reads one line from stdin, without its line ending; io.EOF when
// stdin is empty.
func (a *app) line() (string, error) {
	if a.in == nil {
		a.in = bufio.NewReader(a.sys.stdin)
	}
	s, err := a.in.ReadString('\n')
	if err != nil && (!errors.Is(err, io.EOF) || s == "") {
		return "", err
	}
	return strings.TrimRight(s, "\r\n"), nil
}

// prompt asks a question on stderr and reads the answer from stdin.
func (a *app) prompt(question string) (string, error) {
	fmt.Fprint(a.sys.stderr, question)
	s, err := a.line()
	if err != nil {
		return "", fmt.Errorf("reading the answer to %q: %w", strings.TrimSpace(question), err)
	}
	return strings.TrimSpace(s), nil
}

// password reads a secret: without echo from a terminal (after prompt on
// stderr), or as the first line of stdin when it is a pipe or a file.
func (a *app) password(prompt string) (string, error) {
	var pw string
	if a.sys.isTerminal(a.sys.stdin) {
		fmt.Fprint(a.sys.stderr, prompt)
		p, err := a.sys.readPassword(a.sys.stdin)
		fmt.Fprintln(a.sys.stderr)
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		pw = p
	} else {
		p, err := a.line()
		if errors.Is(err, io.EOF) {
			return "", errors.New("no password on stdin: pipe it in, or run in a terminal")
		}
		if err != nil {
			return "", fmt.Errorf("reading the password from stdin: %w", err)
		}
		pw = p
	}
	if pw == "" {
		return "", errors.New("empty password")
	}
	return pw, nil
}

// show prints a page's address for the user and, when open, opens it in
// the browser; when that fails the address printed is enough.
func (a *app) show(ctx context.Context, what, url string, open bool) {
	fmt.Fprintf(a.sys.stderr, "%s:\n\n    %s\n\n", what, url)
	if !open {
		return
	}
	if err := a.sys.openBrowser(ctx, url); err != nil {
		fmt.Fprintf(a.sys.stderr, "Could not open a browser (%v): open the address above yourself.\n", err)
		return
	}
	fmt.Fprintln(a.sys.stderr, "Opened it in your browser.")
}

// apiArg reads the API argument of logout and token.
func apiArg(fs *flag.FlagSet, args []string) (mediaauth.API, error) {
	if len(args) == 0 {
		return "", usagef("%s: name the API: movies, tvmaze or tmdb", fs.Name())
	}
	if len(args) > 1 {
		return "", usagef("%s: unexpected argument %q", fs.Name(), args[1])
	}
	switch api := mediaauth.API(args[0]); api {
	case mediaauth.APIMovies, mediaauth.APITVmaze, mediaauth.APITMDb:
		return api, nil
	}
	return "", usagef("%s: unknown API %q (want movies, tvmaze or tmdb)", fs.Name(), args[0])
}

// apiName is how messages name an API.
func apiName(api mediaauth.API) string {
	switch api {
	case mediaauth.APIMovies:
		return "the Movies API"
	case mediaauth.APITVmaze:
		return "TVmaze"
	case mediaauth.APITMDb:
		return "TMDb"
	}
	return string(api)
}

// save stores creds and says where.
func (a *app) save(ctx context.Context, creds *mediaauth.StoredCredentials) (string, error) {
	st, err := a.store()
	if err != nil {
		return "", err
	}
	creds.Profile = a.globals.profile
	if err := st.Save(ctx, creds); err != nil {
		return "", fmt.Errorf("saving the credentials: %w", err)
	}
	return st.Path(), nil
}
