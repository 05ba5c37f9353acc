package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"golang.org/x/term"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/internal/otlptrace"
)

// userAgent is the User-Agent of the command's requests.
const userAgent = "mediaauth-cli/1 " + mediaauth.DefaultUserAgent

// Environment variables the command reads.
const (
	envProfile         = "MEDIAAUTH_PROFILE"
	envConfigDir       = "MEDIAAUTH_CONFIG_DIR"
	envInsecureStorage = "MEDIAAUTH_INSECURE_STORAGE"
	envMoviesURL       = "MEDIAAUTH_MOVIES_URL"
	envTVmazeURL       = "MEDIAAUTH_TVMAZE_URL"
	envTMDbURL         = "MEDIAAUTH_TMDB_URL"
	envTMDbSiteURL     = "MEDIAAUTH_TMDB_SITE_URL"
	envTMDbAPIKey      = "TMDB_API_KEY"
	envTMDbRead        = "TMDB_READ_ACCESS_TOKEN"
	envBrowser         = "BROWSER"
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
	// readPassword reads a line from the terminal stdin without echo. When
	// ctx ends first it puts the terminal back as it was and returns at
	// once with errInterrupted.
	readPassword func(ctx context.Context, stdin any) (string, error)
	// openPage opens a web page in the user's browser and reports whether
	// it did.
	openPage mediaauth.PageOpener
	// keychain returns the OS keychain's store for service, or nil when
	// there is none to try.
	keychain func(service string) keychainStore
	// cacheDir is the user's cache directory, where a credential that
	// could not be saved is kept.
	cacheDir func() (string, error)
	// now is the clock of expiry checks.
	now func() time.Time
	// version is the version a release build stamped, or "".
	version string
	// buildInfo returns what the Go command recorded in the binary, as
	// debug.ReadBuildInfo does; nil: nothing recorded.
	buildInfo func() (*debug.BuildInfo, bool)
}

// osSystem is the real world: the process's streams and environment, the
// terminal, the user's browser and the OS keychain.
func osSystem() *system {
	sys := &system{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		getenv: os.Getenv,
		isTerminal: func(stream any) bool {
			f, ok := stream.(*os.File)
			return ok && term.IsTerminal(int(f.Fd()))
		},
		readPassword: readTerminalPassword,
		keychain: func(service string) keychainStore {
			s, err := mediaauth.NewKeychainStore(service)
			if err != nil {
				return nil
			}
			return s
		},
		version:   version,
		buildInfo: debug.ReadBuildInfo,
		cacheDir:  os.UserCacheDir,
		now:       time.Now,
	}
	sys.openPage = func(ctx context.Context, url string) (bool, error) {
		return mediaauth.BrowserOpener(sys.getenv(envBrowser))(ctx, url)
	}
	return sys
}

// globals are the flags every command takes, with the environment's
// values as defaults.
type globals struct {
	profile, configDir                         string
	moviesURL, tvmazeURL, tmdbURL, tmdbSiteURL string
	json, insecureStorage                      bool
	// profileSet says --profile or MEDIAAUTH_PROFILE named a profile.
	profileSet bool
}

// globalFlags are the names of the global flags.
var globalFlags = []string{"profile", "config-dir", "movies-url", "tvmaze-url", "tmdb-url", "tmdb-site-url", "json", "insecure-storage"}

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
	fs.BoolVar(&g.insecureStorage, "insecure-storage", g.insecureStorage, "keep credentials in the file, not the OS keychain")
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
	g.insecureStorage = sys.getenv(envInsecureStorage) == "1"
	g.moviesURL = sys.getenv(envMoviesURL)
	g.tvmazeURL = sys.getenv(envTVmazeURL)
	g.tmdbURL = sys.getenv(envTMDbURL)
	g.tmdbSiteURL = sys.getenv(envTMDbSiteURL)
	return a
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

// timeText shows a time to the user: local, with its zone.
func timeText(t time.Time) string {
	return t.Local().Format("2006-01-02 15:04:05 MST")
}
