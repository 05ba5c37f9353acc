// Command tmdb-login logs a user in to TMDb the way TMDb recommends: it
// creates a request token, shows the page where the user approves it, waits
// until they do, and turns the token into a session. It then shows a guest
// session and logs the session out again.
//
// With no flags it runs against the in-memory fake of package
// mediaauthtest, which approves the token by itself after a moment:
//
//	go run ./examples/tmdb-login
//
// With -real it talks to api.themoviedb.org with the API key in
// TMDB_API_KEY or the read access token in TMDB_READ_ACCESS_TOKEN (the
// token wins when both are set):
//
//	TMDB_API_KEY=... go run ./examples/tmdb-login -real
//
// With -v4 it uses TMDb's v4 user authentication instead: the user
// approves a v4 request token, which becomes their v4 access token, then a
// v3 session; it reads the account with the access token and logs both
// out. The v4 calls need the read access token (TMDB_READ_ACCESS_TOKEN
// with -real):
//
//	go run ./examples/tmdb-login -v4
//	TMDB_READ_ACCESS_TOKEN=... go run ./examples/tmdb-login -v4 -real
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// Environment variables with the real API's credentials: the same as the
// mediaauth command's.
const (
	envAPIKey          = "TMDB_API_KEY"
	envReadAccessToken = "TMDB_READ_ACCESS_TOKEN"
)

// settings is what the flags say.
type settings struct {
	real bool
	// v4 runs TMDb's v4 user authentication instead of the v3 one.
	v4 bool
	// interval is the wait between two attempts to create the session
	// while the token is not approved yet.
	interval time.Duration
	// timeout bounds the wait for the approval.
	timeout time.Duration
	// redirectTo is where TMDb sends the browser after the approval.
	redirectTo string
	// approveAfter is when the fake approves the token by itself.
	approveAfter time.Duration
}

func parseFlags(args []string, stderr io.Writer) (settings, error) {
	var s settings
	fs := flag.NewFlagSet("tmdb-login", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&s.real, "real", false, "talk to the real TMDb API (credentials from "+envAPIKey+" or "+envReadAccessToken+") instead of the in-process fake")
	fs.BoolVar(&s.v4, "v4", false, "use TMDb's v4 user authentication (an access token, then a session); needs the read access token ("+envReadAccessToken+" with -real)")
	fs.DurationVar(&s.interval, "interval", 0, "wait between attempts to create the session while the token is not approved (default 1s with the fake, 3s with -real)")
	fs.DurationVar(&s.timeout, "timeout", 10*time.Minute, "give up waiting for the approval after this long")
	fs.StringVar(&s.redirectTo, "redirect-to", "", "URL TMDb sends the browser to after the approval (optional)")
	fs.DurationVar(&s.approveAfter, "approve-after", 2500*time.Millisecond, "fake only: the fake approves the token by itself this long after it was shown")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: go run ./examples/tmdb-login [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return settings{}, err
	}
	if fs.NArg() > 0 {
		return settings{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if s.interval == 0 {
		s.interval = time.Second
		if s.real {
			s.interval = 3 * time.Second
		}
	}
	if s.interval < 0 || s.timeout <= 0 || s.approveAfter < 0 {
		return settings{}, errors.New("-interval and -approve-after must not be negative, -timeout must be positive")
	}
	return s, nil
}

// run logs in, shows a guest session, logs out, and reports each step to
// out. getenv reads the real API's credentials.
func run(ctx context.Context, args []string, getenv func(string) string, out, stderr io.Writer) error {
	s, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var (
		client *mediaauth.Client
		srv    *mediaauthtest.Server
	)
	if s.real {
		client, err = realClient(getenv, s.v4)
		if err == nil {
			fmt.Fprintf(out, "Talking to TMDb at %s\n", mediaauth.DefaultTMDbBaseURL)
		}
	} else {
		srv = mediaauthtest.NewServer()
		defer srv.Close()
		client, err = srv.Client()
		fmt.Fprintf(out, "Talking to an in-process fake of TMDb at %s\n", srv.TMDb.URL())
		fmt.Fprintf(out, "(it approves the token by itself after %s; use -real for the real API)\n", seconds(s.approveAfter))
	}
	if err != nil {
		return err
	}
	l := &login{tmdb: client.TMDb, srv: srv, s: s, out: out}
	if s.v4 {
		// The v4 calls need the read access token: with the fake, its own.
		if !s.real {
			l.tmdb = l.tmdb.With(mediaauth.TMDbReadAccessToken(mediaauthtest.DemoTMDbReadAccessToken))
		}
		return l.runV4(ctx)
	}
	return l.runV3(ctx)
}

// realClient builds a client of the real TMDb API with the application's
// credentials from the environment. A handle holds one application
// credential: the read access token, given last, replaces the API key.
func realClient(getenv func(string) string, v4 bool) (*mediaauth.Client, error) {
	key, token := getenv(envAPIKey), getenv(envReadAccessToken)
	switch {
	case v4 && token == "":
		return nil, fmt.Errorf("-v4 -real needs the read access token in %s", envReadAccessToken)
	case key == "" && token == "":
		return nil, fmt.Errorf("-real needs %s or %s in the environment", envAPIKey, envReadAccessToken)
	}
	var creds []mediaauth.Credential
	if key != "" {
		creds = append(creds, mediaauth.TMDbAPIKey(key))
	}
	if token != "" {
		creds = append(creds, mediaauth.TMDbReadAccessToken(token))
	}
	client, err := mediaauth.New(mediaauth.WithCredentials(creds...))
	if err != nil {
		return nil, fmt.Errorf("building the client: %w", err)
	}
	return client, nil
}

// login is one run of the login: the TMDb handle, the fake (nil with
// -real), the flags, and where the steps are reported.
type login struct {
	tmdb *mediaauth.TMDb
	srv  *mediaauthtest.Server
	s    settings
	out  io.Writer
}

// validate checks the application's credentials, the first step.
func (l *login) validate(ctx context.Context) error {
	err := l.tmdb.Validate(ctx)
	if errors.Is(err, mediaauth.ErrInvalidAPIKey) {
		return fmt.Errorf("TMDb refused the API key or read access token: %w", err)
	}
	if err != nil {
		return fmt.Errorf("checking the credentials: %w", err)
	}
	return nil
}

// showPage prints the page where the user approves token. The fake has no
// browser: it plays the user who clicks Approve after -approve-after; the
// returned function stops that.
func (l *login) showPage(pageURL, token string) (stop func() bool) {
	if l.s.real {
		// The page needs the whole token: this is the one place it is shown.
		fmt.Fprintf(l.out, "\nOpen this page, log in to TMDb if asked, and click Approve:\n\n    %s\n\n", pageURL)
		return func() bool { return false }
	}
	fmt.Fprintf(l.out, "\nThe user would now open this page and click Approve:\n\n    %s\n\n",
		strings.Replace(pageURL, url.QueryEscape(token), mask(token), 1))
	return time.AfterFunc(l.s.approveAfter, func() { _ = l.srv.TMDb.Approve(token) }).Stop
}

// seconds prints a duration in seconds: "1 s", "2.5 s".
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
}

// mask shows the last four characters of a token or id, never all of it.
func mask(secret string) string {
	if len(secret) < 12 {
		return "[hidden]"
	}
	return "…" + secret[len(secret)-4:]
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "tmdb-login:", err)
		os.Exit(1)
	}
}
