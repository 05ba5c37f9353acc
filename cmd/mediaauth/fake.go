package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/mediaauth/mediaauth/mediaauthtest"
)

const fakeUsage = `
Usage: mediaauth fake [--addr HOST:PORT] [--state FILE] [flags]

Runs the fake of package mediaauthtest as a server: the Movies API at /,
TVmaze at /v1, TMDb at /3 and /4, TMDb's approval pages at /authenticate
and /auth/access, and TVmaze's confirm page. It prints the base URLs, the
demo accounts and the export lines that point mediaauth (and your own
programs) at it, then serves until SIGINT (Ctrl-C) or SIGTERM, and exits
with status 0.

The fake keeps its state in memory and enforces the services' rules: a
TVmaze poll faster than --tvmaze-poll-interval gets 429, TMDb request tokens
need approval (on the approval page, or at once with --tmdb-auto-approve),
tokens expire.

Control API: tests in any language drive the fake over HTTP under /_fake/,
with JSON in and out, as Go tests do with mediaauthtest's hooks. Its
OpenAPI document is at /_fake/openapi.json. The operations:
  GET  /_fake/info                    base URLs, connections
  POST /_fake/reset                   back to the starting state
  POST /_fake/state                   add accounts and keys (a --state document)
  GET, PUT /_fake/clock; POST /_fake/clock/advance {"seconds": N}
  POST, DELETE /_fake/faults          {"path", "method", "times", "status", "headers",
                                      "body", "delay_seconds", "drop", "body_size",
                                      "malformed", "tmdb_code", ...}
  GET  /_fake/requests                the request log (?method=&path=&prefix=&status=
                                      &after=; credentials hidden unless &secrets=true)
  POST /_fake/movies/users; GET /_fake/movies/emails[/last]?to=ADDRESS;
  POST /_fake/movies/expire-tokens
  POST /_fake/tvmaze/users, /_fake/tvmaze/confirm, /_fake/tvmaze/follows;
  GET  /_fake/tvmaze/auth-token?email=, /_fake/tvmaze/emails[/last]?to=ADDRESS;
  GET  /_fake/tvmaze/outbox           TVmaze's confirmation emails as a page, with links
  POST /_fake/tmdb/users, /_fake/tmdb/api-keys, /_fake/tmdb/read-access-tokens,
       /_fake/tmdb/access-tokens, /_fake/tmdb/suspend, /_fake/tmdb/approve,
       /_fake/tmdb/deny; GET /_fake/tmdb/request-tokens/{token},
       /_fake/tmdb/sessions/{id}, /_fake/tmdb/guest-sessions/{id},
       /_fake/tmdb/access-tokens/{token}
--control-token TOKEN (or MEDIAAUTH_FAKE_CONTROL_TOKEN) makes every operation
but the document need "Authorization: Bearer TOKEN"; --no-control turns the
control API off (the outboxes too).

--state FILE adds accounts, API keys, read access tokens and TVmaze users
to the demo accounts, from a JSON document (mediaauthtest.State):
  {"movies": {"users": [{"username", "email", "password", "api_key"?, ...}]},
   "tvmaze": {"users": [{"username", "email", "api_key"?, "premium_level"?, ...}]},
   "tmdb":   {"api_keys": [...], "read_access_tokens": [...],
              "users": [{"username", "password"}],
              "access_tokens": [{"access_token", "username"}]}}
POST /_fake/reset comes back to it; mediaauthtest/testdata/state.json in the
module is an example.
`

// envFakeControlToken is where "mediaauth fake" reads its control token
// when --control-token is not given, out of sight of ps.
const envFakeControlToken = "MEDIAAUTH_FAKE_CONTROL_TOKEN"

// fakeFlags are the flags of "mediaauth fake".
type fakeFlags struct {
	addr                                           *string
	pollInterval, startInterval, autoConfirm       *time.Duration
	autoApprove, noControl                         *bool
	tokenTTL, tvmazeTTL, tmdbTTL, tmdbV4TTL, guest *time.Duration
	seed                                           *int64
	state, controlToken                            *string
	getenv                                         func(string) string
}

// register defines the flags on fs.
func (f *fakeFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	f.getenv = getenv
	f.addr = fs.String("addr", "127.0.0.1:8787", "the address to listen on (port 0: any free port)")
	f.pollInterval = fs.Duration("tvmaze-poll-interval", 10*time.Second, "the shortest gap between two polls of one TVmaze auth request (TVmaze's is 10s)")
	f.startInterval = fs.Duration("tvmaze-start-interval", time.Second, "the shortest gap between two TVmaze auth requests for one email address")
	f.autoConfirm = fs.Duration("tvmaze-auto-confirm", 0, "confirm each TVmaze auth request by itself this long after it started (default off: confirm on the page)")
	f.autoApprove = fs.Bool("tmdb-auto-approve", false, "approve each TMDb request token, v3 and v4, at once as the demo user")
	f.tokenTTL = fs.Duration("movies-token-ttl", time.Hour, "how long Movies API access tokens live")
	f.tvmazeTTL = fs.Duration("tvmaze-request-ttl", time.Hour, "how long a TVmaze auth request lives")
	f.tmdbTTL = fs.Duration("tmdb-token-ttl", time.Hour, "how long a TMDb v3 request token lives")
	f.tmdbV4TTL = fs.Duration("tmdb-v4-token-ttl", 15*time.Minute, "how long an unused TMDb v4 request token lives")
	f.guest = fs.Duration("tmdb-guest-ttl", 24*time.Hour, "how long an unused TMDb guest session lives")
	f.seed = fs.Int64("seed", 0, "make the tokens, keys and ids the fake hands out reproducible from this seed (default: random)")
	f.state = fs.String("state", "", "a JSON `file` of accounts and keys to start with, besides the demo accounts")
	f.controlToken = fs.String("control-token", "", "make the control API under /_fake/ need \"Authorization: Bearer `token`\" (default $"+envFakeControlToken+")")
	f.noControl = fs.Bool("no-control", false, "turn the control API under /_fake/ off")
}

// options checks the flags and turns them into the fake's options.
func (f *fakeFlags) options(fs *flag.FlagSet) ([]mediaauthtest.Option, error) {
	for name, d := range map[string]time.Duration{
		"tvmaze-poll-interval": *f.pollInterval, "tvmaze-start-interval": *f.startInterval, "movies-token-ttl": *f.tokenTTL,
		"tvmaze-request-ttl": *f.tvmazeTTL, "tmdb-token-ttl": *f.tmdbTTL, "tmdb-v4-token-ttl": *f.tmdbV4TTL, "tmdb-guest-ttl": *f.guest,
	} {
		if d <= 0 {
			return nil, usagef("fake: --%s must be positive", name)
		}
	}
	if *f.autoConfirm < 0 {
		return nil, usagef("fake: negative --tvmaze-auto-confirm")
	}
	if *f.controlToken == "" {
		*f.controlToken = f.getenv(envFakeControlToken)
	}
	opts := []mediaauthtest.Option{
		mediaauthtest.WithTVmazeMinPollInterval(*f.pollInterval),
		mediaauthtest.WithTVmazeStartInterval(*f.startInterval),
		mediaauthtest.WithTVmazeAutoConfirm(*f.autoConfirm),
		mediaauthtest.WithMoviesTokenTTL(*f.tokenTTL),
		mediaauthtest.WithTVmazeRequestTTL(*f.tvmazeTTL),
		mediaauthtest.WithTMDbTokenTTL(*f.tmdbTTL),
		mediaauthtest.WithTMDbV4TokenTTL(*f.tmdbV4TTL),
		mediaauthtest.WithTMDbGuestTTL(*f.guest),
		mediaauthtest.WithControlToken(*f.controlToken),
	}
	if *f.autoApprove {
		opts = append(opts, mediaauthtest.WithTMDbAutoApprove())
	}
	if *f.noControl {
		opts = append(opts, mediaauthtest.WithoutControlAPI())
	}
	fs.Visit(func(fl *flag.Flag) {
		if fl.Name == "seed" {
			opts = append(opts, mediaauthtest.WithSeed(*f.seed))
		}
	})
	if *f.state != "" {
		st, err := readFakeState(*f.state)
		if err != nil {
			return nil, err
		}
		opts = append(opts, mediaauthtest.WithState(st))
	}
	return opts, nil
}

// readFakeState reads the State document of --state.
func readFakeState(path string) (mediaauthtest.State, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return mediaauthtest.State{}, fmt.Errorf("fake: --state: %w", err)
	}
	st, err := mediaauthtest.ParseState(data)
	if err != nil {
		return mediaauthtest.State{}, fmt.Errorf("fake: --state %s: %w", path, err)
	}
	return st, nil
}

// fakeCommand is "mediaauth fake".
var fakeCommand = &command{
	summary: "run the fake as a server",
	usage:   fakeUsage,
	run: func(a *app, ctx context.Context, args []string) error {
		fs := a.flagSet("fake")
		var f fakeFlags
		f.register(fs, a.sys.getenv)
		rest, err := a.parseAll(fs, args, fakeUsage)
		if err != nil {
			return err
		}
		if err := noArgs(fs, rest); err != nil {
			return err
		}
		opts, err := f.options(fs)
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", *f.addr)
		if err != nil {
			return fmt.Errorf("fake: %w", err)
		}
		srv := mediaauthtest.NewServer(append(opts, mediaauthtest.WithListener(ln))...)
		defer srv.Close()
		a.printFakeBanner(srv, &f)
		<-ctx.Done()
		fmt.Fprintln(a.sys.stderr, "mediaauth fake: stopping")
		return nil
	},
}

// printFakeBanner prints the fake's URLs, demo accounts, control API and
// export lines.
func (a *app) printFakeBanner(srv *mediaauthtest.Server, f *fakeFlags) {
	root := srv.URL
	if host, port, err := net.SplitHostPort(strings.TrimPrefix(root, "http://")); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			root = "http://" + net.JoinHostPort("127.0.0.1", port)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "mediaauth fake: serving the Movies API, TVmaze and TMDb at %s\n\n", root)
	fmt.Fprintf(&b, "  Movies API   %s\n", root+mediaauthtest.MoviesPrefix)
	fmt.Fprintf(&b, "  TVmaze       %s\n", root+mediaauthtest.TVmazePrefix)
	fmt.Fprintf(&b, "  TMDb         %s  (/3 and /4; approval pages at %s/authenticate)\n", root, root)
	writeFakeControl(&b, root, f)
	fmt.Fprintf(&b, "\nDemo accounts:\n")
	fmt.Fprintf(&b, "  Movies API   username %s, email %s, password %s\n", mediaauthtest.DemoMoviesUsername, mediaauthtest.DemoMoviesEmail, mediaauthtest.DemoMoviesPassword)
	fmt.Fprintf(&b, "  TVmaze       email %s (user %s, API key %s)\n", mediaauthtest.DemoTVmazeEmail, mediaauthtest.DemoTVmazeUsername, mediaauthtest.DemoTVmazeAPIKey)
	fmt.Fprintf(&b, "  TMDb         user %s, password %s; API key %s; read access token %s\n",
		mediaauthtest.DemoTMDbUsername, mediaauthtest.DemoTMDbPassword, mediaauthtest.DemoTMDbAPIKey, mediaauthtest.DemoTMDbReadAccessToken)
	if *f.state != "" {
		fmt.Fprintf(&b, "  and the accounts and keys of %s\n", *f.state)
	}
	switch {
	case *f.autoConfirm > 0:
		fmt.Fprintf(&b, "  TVmaze auth requests confirm themselves after %s.\n", *f.autoConfirm)
	case *f.noControl:
		fmt.Fprintf(&b, "  TVmaze auth requests wait for the confirm page (log in with --web).\n")
	default:
		fmt.Fprintf(&b, "  TVmaze auth requests wait for the link of their email, in the outbox above (or log in with --web).\n")
	}
	if *f.autoApprove {
		fmt.Fprintf(&b, "  TMDb request tokens are approved at once.\n")
	}
	fmt.Fprintf(&b, "\nPoint mediaauth at it:\n")
	for _, kv := range [][2]string{
		{envMoviesURL, root + mediaauthtest.MoviesPrefix},
		{envTVmazeURL, root + mediaauthtest.TVmazePrefix},
		{envTMDbURL, root},
		{envTMDbSiteURL, root},
		{envTMDbAPIKey, mediaauthtest.DemoTMDbAPIKey},
		{envTMDbRead, mediaauthtest.DemoTMDbReadAccessToken},
	} {
		fmt.Fprintf(&b, "  export %s=%s\n", kv[0], kv[1])
	}
	fmt.Fprintf(&b, "\nServing until Ctrl-C or SIGTERM.\n")
	fmt.Fprint(a.sys.stdout, b.String())
	if f, ok := a.sys.stdout.(interface{ Sync() error }); ok {
		_ = f.Sync()
	}
}

// writeFakeControl prints where the control API and the outboxes are.
func writeFakeControl(b *strings.Builder, root string, f *fakeFlags) {
	if *f.noControl {
		fmt.Fprintf(b, "  Control API  off (--no-control)\n")
		return
	}
	guard := ""
	if *f.controlToken != "" {
		guard = "; it needs the control token as Authorization: Bearer"
	}
	fmt.Fprintf(b, "  Control API  %s/_fake/  (OpenAPI document at %s%s%s)\n", root, root, mediaauthtest.ControlOpenAPIPath, guard)
	fmt.Fprintf(b, "  Outboxes     TVmaze confirmation emails at %s%s\n", root, mediaauthtest.TVmazeOutboxPath)
	fmt.Fprintf(b, "               Movies API emails at %s%s?to=ADDRESS\n", root, mediaauthtest.FakeEmailsPath)
}
