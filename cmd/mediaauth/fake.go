package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/mediaauth/mediaauth/mediaauthtest"
)

const fakeUsage = `
Usage: mediaauth fake [--addr HOST:PORT] [flags]

Runs the fake of package mediaauthtest as a server: the Movies API at /,
TVmaze at /v1, TMDb at /3 and /4, TMDb's approval pages at /authenticate
and /auth/access, and TVmaze's confirm page. It prints the base URLs, the
demo accounts and the export lines that point mediaauth (and your own
programs) at it, then serves until SIGINT (Ctrl-C) or SIGTERM, and exits
with status 0.

The fake keeps its state in memory and enforces the services' rules: a
TVmaze poll faster than --tvmaze-poll-interval gets 429, TMDb request tokens
need approval (on the approval page, or at once with --tmdb-auto-approve),
tokens expire. Its outbox of Movies API emails (verification and reset
tokens) is at /_fake/movies/emails?to=ADDRESS; TVmaze's confirmation emails
are on the page /_fake/tvmaze/outbox (and as JSON at
/_fake/tvmaze/emails?to=ADDRESS): open the link of one to confirm a
"mediaauth login tvmaze --email" login.
`

// fakeCommand is "mediaauth fake".
var fakeCommand = &command{
	summary: "run the fake as a server",
	usage:   fakeUsage,
	run: func(a *app, ctx context.Context, args []string) error {
		fs := a.flagSet("fake")
		addr := fs.String("addr", "127.0.0.1:8787", "the address to listen on (port 0: any free port)")
		pollInterval := fs.Duration("tvmaze-poll-interval", 10*time.Second, "the shortest gap between two polls of one TVmaze auth request (TVmaze's is 10s)")
		startInterval := fs.Duration("tvmaze-start-interval", time.Second, "the shortest gap between two TVmaze auth requests for one email address")
		autoConfirm := fs.Duration("tvmaze-auto-confirm", 0, "confirm each TVmaze auth request by itself this long after it started (default off: confirm on the page)")
		autoApprove := fs.Bool("tmdb-auto-approve", false, "approve each TMDb request token, v3 and v4, at once as the demo user")
		tokenTTL := fs.Duration("movies-token-ttl", time.Hour, "how long Movies API access tokens live")
		tvmazeTTL := fs.Duration("tvmaze-request-ttl", time.Hour, "how long a TVmaze auth request lives")
		tmdbTTL := fs.Duration("tmdb-token-ttl", time.Hour, "how long a TMDb v3 request token lives")
		tmdbV4TTL := fs.Duration("tmdb-v4-token-ttl", 15*time.Minute, "how long an unused TMDb v4 request token lives")
		guestTTL := fs.Duration("tmdb-guest-ttl", 24*time.Hour, "how long an unused TMDb guest session lives")
		seed := fs.Int64("seed", 0, "make the tokens, keys and ids the fake hands out reproducible from this seed (default: random)")
		rest, err := a.parseAll(fs, args, fakeUsage)
		if err != nil {
			return err
		}
		if err := noArgs(fs, rest); err != nil {
			return err
		}
		for name, d := range map[string]time.Duration{
			"tvmaze-poll-interval": *pollInterval, "tvmaze-start-interval": *startInterval, "movies-token-ttl": *tokenTTL, "tvmaze-request-ttl": *tvmazeTTL,
			"tmdb-token-ttl": *tmdbTTL, "tmdb-v4-token-ttl": *tmdbV4TTL, "tmdb-guest-ttl": *guestTTL,
		} {
			if d <= 0 {
				return usagef("fake: --%s must be positive", name)
			}
		}
		if *autoConfirm < 0 {
			return usagef("fake: negative --tvmaze-auto-confirm")
		}
		opts := []mediaauthtest.Option{
			mediaauthtest.WithTVmazeMinPollInterval(*pollInterval),
			mediaauthtest.WithTVmazeStartInterval(*startInterval),
			mediaauthtest.WithTVmazeAutoConfirm(*autoConfirm),
			mediaauthtest.WithMoviesTokenTTL(*tokenTTL),
			mediaauthtest.WithTVmazeRequestTTL(*tvmazeTTL),
			mediaauthtest.WithTMDbTokenTTL(*tmdbTTL),
			mediaauthtest.WithTMDbV4TokenTTL(*tmdbV4TTL),
			mediaauthtest.WithTMDbGuestTTL(*guestTTL),
		}
		if *autoApprove {
			opts = append(opts, mediaauthtest.WithTMDbAutoApprove())
		}
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "seed" {
				opts = append(opts, mediaauthtest.WithSeed(*seed))
			}
		})
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			return fmt.Errorf("fake: %w", err)
		}
		srv := mediaauthtest.NewServer(append(opts, mediaauthtest.WithListener(ln))...)
		defer srv.Close()
		a.printFakeBanner(srv, *autoApprove, *autoConfirm)
		<-ctx.Done()
		fmt.Fprintln(a.sys.stderr, "mediaauth fake: stopping")
		return nil
	},
}

// printFakeBanner prints the fake's URLs, demo accounts and export lines.
func (a *app) printFakeBanner(srv *mediaauthtest.Server, autoApprove bool, autoConfirm time.Duration) {
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
	fmt.Fprintf(&b, "  TMDb         %s  (/3 and /4; approval pages at %s/authenticate)\n\n", root, root)
	fmt.Fprintf(&b, "Demo accounts:\n")
	fmt.Fprintf(&b, "  Movies API   username %s, email %s, password %s\n", mediaauthtest.DemoMoviesUsername, mediaauthtest.DemoMoviesEmail, mediaauthtest.DemoMoviesPassword)
	fmt.Fprintf(&b, "  TVmaze       email %s (user %s, API key %s)\n", mediaauthtest.DemoTVmazeEmail, mediaauthtest.DemoTVmazeUsername, mediaauthtest.DemoTVmazeAPIKey)
	fmt.Fprintf(&b, "  TMDb         user %s, password %s; API key %s; read access token %s\n",
		mediaauthtest.DemoTMDbUsername, mediaauthtest.DemoTMDbPassword, mediaauthtest.DemoTMDbAPIKey, mediaauthtest.DemoTMDbReadAccessToken)
	switch {
	case autoConfirm > 0:
		fmt.Fprintf(&b, "  TVmaze auth requests confirm themselves after %s.\n", autoConfirm)
	default:
		fmt.Fprintf(&b, "  TVmaze confirmation emails: %s (open the link in one to confirm; or log in with --web)\n",
			root+mediaauthtest.FakeTVmazeOutboxPath)
	}
	if autoApprove {
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
