// Command quickstart walks through mediaauth's flows one step at a time and
// prints what each step did.
//
// With no flags it starts the in-memory fake of package mediaauthtest in
// this process and runs every flow against it, with nothing to set up:
//
//	go run ./examples/quickstart
//
// With -fake-url it runs every flow against a fake started elsewhere with
// "mediaauth fake", playing the user on the fake's pages:
//
//	go run ./cmd/mediaauth fake --tvmaze-poll-interval 1s &
//	go run ./examples/quickstart -fake-url http://127.0.0.1:8787 -tvmaze-interval 1s
//
// Flags or environment variables point the Movies API flow at a real
// server instead; run it with -h for the list.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// flows lists what the quickstart runs, in order. Adding an API is one line.
func flows() []flow {
	return []flow{
		{name: "Movies API", run: runMovies},
		{name: "TVmaze", run: runTVmaze},
		{name: "TMDb", run: runTMDb},
	}
}

// flow is one API's walk-through.
type flow struct {
	name string
	run  func(ctx context.Context, e *env) error
}

// errSkipped, wrapped by a flow's error, says the flow could not run with
// the configuration given; the quickstart reports it and goes on.
var errSkipped = errors.New("skipped")

// skip returns an error that makes run report the flow as skipped.
func skip(reason string) error { return fmt.Errorf("%w: %s", errSkipped, reason) }

// config is what the flags and environment say.
type config struct {
	// moviesBaseURL is a real Movies API; "" runs against the fake.
	moviesBaseURL string
	// fakeURL is a running "mediaauth fake"; "" starts one in-process.
	fakeURL  string
	username string
	email    string
	password string
	// newPassword is set by the password-reset steps; against a real
	// server they run only when it is given.
	newPassword string
	// verifyToken and resetToken answer, against a real server, what the
	// fake reads from its outbox; when empty the quickstart asks on stdin.
	verifyToken string
	resetToken  string

	// stdin answers those questions; nil means there is nobody to ask.
	stdin io.Reader
	// options are added to the client's options (tests add a logger).
	options []mediaauth.Option
	// recorder, when set, sees every value and secret the flows handle.
	recorder recorder
	// tvmazeInterval, when above 0, replaces the TVmaze walk-through's
	// poll interval (tests shorten its half second; against -fake-url it
	// is 10 s unless given).
	tvmazeInterval time.Duration
}

// String describes the configuration without its secrets.
func (c config) String() string {
	return fmt.Sprintf("config{moviesBaseURL:%q fakeURL:%q username:%q email:%q password:%s newPassword:%s verifyToken:%s resetToken:%s}",
		c.moviesBaseURL, c.fakeURL, c.username, c.email, hidden(c.password), hidden(c.newPassword), hidden(c.verifyToken), hidden(c.resetToken))
}

// Format prints the configuration like String for every verb.
func (c config) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue keeps the secrets out of slog output.
func (c config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// recorder sees, for tests, every value and error the flows get back and
// every secret they handle. The quickstart itself records nothing.
type recorder interface {
	value(v any)
	secret(s string)
}

// env is what a flow runs with.
type env struct {
	// out receives the step-by-step report.
	out io.Writer
	// srv is the in-process fake, or nil.
	srv *mediaauthtest.Server
	// remote is the fake of -fake-url, or nil. With neither, the flows
	// run against real services.
	remote *remoteFake
	// client talks to the fake, or to the real services, with no
	// credentials of its own beyond those the options give.
	client *mediaauth.Client
	cfg    config

	in   *bufio.Reader // nil when there is no stdin
	rec  recorder      // nil when nothing records
	step int
}

// stepf prints the next numbered step of the current flow.
func (e *env) stepf(title, format string, args ...any) {
	e.step++
	fmt.Fprintf(e.out, "  %2d. %-26s %s\n", e.step, title, fmt.Sprintf(format, args...))
}

// keep hands values the flow got back (results, errors, request values,
// clients) to the recorder.
func (e *env) keep(vs ...any) {
	if e.rec == nil {
		return
	}
	for _, v := range vs {
		e.rec.value(v)
	}
}

// secret tells the recorder about a secret the flow handles.
func (e *env) secret(s string) {
	if e.rec != nil && s != "" {
		e.rec.secret(s)
	}
}

// ask prints question and reads one line from stdin; "" when there is no
// stdin or the line is empty.
func (e *env) ask(question string) (string, error) {
	if e.in == nil {
		return "", nil
	}
	fmt.Fprintf(e.out, "      %s: ", question)
	line, err := e.in.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading stdin: %w", err)
	}
	fmt.Fprintln(e.out)
	return strings.TrimSpace(line), nil
}

// preview shows enough of a secret to tell two apart, never all of it.
func preview(s string) string {
	if len(s) <= 12 {
		return "[REDACTED]"
	}
	return s[:4] + "…"
}

// hidden marks whether a secret is set, for printed configuration.
func hidden(s string) string {
	if s == "" {
		return `""`
	}
	return "[REDACTED]"
}

// run builds the client (and the fake when no real server is configured)
// and runs every flow, reporting each step to out.
func run(ctx context.Context, out io.Writer, cfg config) error {
	e := &env{out: out, cfg: cfg, rec: cfg.recorder}
	if cfg.stdin != nil {
		e.in = bufio.NewReader(cfg.stdin)
	}
	var err error
	switch {
	case cfg.fakeURL != "":
		e.remote = newRemoteFake(cfg.fakeURL)
		e.client, err = e.remote.client(cfg.options...)
		fmt.Fprintf(out, "Running against the fake server at %s (mediaauth fake)\n", e.remote.url)
	case cfg.moviesBaseURL == "":
		e.srv = mediaauthtest.NewServer()
		defer e.srv.Close()
		e.client, err = e.srv.Client(cfg.options...)
		fmt.Fprintf(out, "Running against the in-process fake server at %s\n", e.srv.URL)
	default:
		e.client, err = mediaauth.New(append([]mediaauth.Option{mediaauth.WithMoviesBaseURL(cfg.moviesBaseURL)}, cfg.options...)...)
		fmt.Fprintf(out, "Running against the Movies API at %s\n", cfg.moviesBaseURL)
	}
	if err != nil {
		return fmt.Errorf("building the client: %w", err)
	}
	e.keep(e.client)

	for _, f := range flows() {
		fmt.Fprintf(out, "\n== %s\n", f.name)
		e.step = 0
		err := f.run(ctx, e)
		switch {
		case errors.Is(err, errSkipped):
			fmt.Fprintf(out, "  %s: %v\n", f.name, err)
		case err != nil:
			return fmt.Errorf("%s: %w", f.name, err)
		default:
			fmt.Fprintf(out, "  %s: all steps passed\n", f.name)
		}
	}
	fmt.Fprintln(out, "\nDone.")
	return nil
}

// randomSecret makes a throwaway password for the fake.
func randomSecret(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

const usageHeader = `Usage: go run ./examples/quickstart [flags]

Walks through the mediaauth flows step by step and prints each one. With no
flags it runs against an in-process fake server (package mediaauthtest):
nothing to set up, no network.

To run every flow against a fake you started with "mediaauth fake" (so that
a program of yours can watch the same server), give -fake-url with its
address, and -tvmaze-interval with its --tvmaze-poll-interval.

To run the Movies API flow against a real server, give -base-url (or
MOVIES_BASE_URL) and the account's -username, -email and -password. The
quickstart registers the account (an existing one is fine), verifies the
email address with the token from -verify-token or, without it, the token
you paste when asked, logs in, updates the profile's name and bio,
generates an API key and then REPLACES it with a new one. With
-new-password it also resets the password (token from -reset-token or
asked for) and the account keeps the new password afterwards.

Flags (each also read from the environment variable named in brackets):
`

// parseConfig reads flags, with environment variables as defaults.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	str := func(p *string, name, envVar, usage string) {
		fs.StringVar(p, name, getenv(envVar), usage+" ["+envVar+"]")
	}
	str(&cfg.moviesBaseURL, "base-url", "MOVIES_BASE_URL", "Movies API base URL, e.g. https://api.example.com; empty runs against the in-process fake")
	str(&cfg.fakeURL, "fake-url", "MEDIAAUTH_FAKE_URL", `a running "mediaauth fake", e.g. http://127.0.0.1:8787, instead of the in-process fake`)
	fs.DurationVar(&cfg.tvmazeInterval, "tvmaze-interval", 0, "with -fake-url: the TVmaze poll interval, the fake's --tvmaze-poll-interval (default 10s)")
	str(&cfg.username, "username", "MOVIES_USERNAME", "account username")
	str(&cfg.email, "email", "MOVIES_EMAIL", "account email address")
	str(&cfg.password, "password", "MOVIES_PASSWORD", "account password")
	str(&cfg.newPassword, "new-password", "MOVIES_NEW_PASSWORD", "password to set with the password-reset steps; without it they are skipped against a real server")
	str(&cfg.verifyToken, "verify-token", "MOVIES_VERIFY_TOKEN", "token from the verification email; asked for on stdin when empty (empty answer: skip)")
	str(&cfg.resetToken, "reset-token", "MOVIES_RESET_TOKEN", "token from the password-reset email; asked for on stdin when empty")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHeader)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q (see -h)", fs.Args())
	}
	if cfg.fakeURL != "" && cfg.moviesBaseURL != "" {
		return config{}, errors.New("-fake-url and -base-url do not go together")
	}
	if cfg.tvmazeInterval < 0 {
		return config{}, errors.New("negative -tvmaze-interval")
	}
	if cfg.moviesBaseURL != "" && (cfg.username == "" || cfg.email == "" || cfg.password == "") {
		return config{}, errors.New("-base-url needs -username, -email and -password (or MOVIES_USERNAME, MOVIES_EMAIL, MOVIES_PASSWORD)")
	}
	return cfg, nil
}

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(2)
	}
	cfg.stdin = os.Stdin
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err = run(ctx, os.Stdout, cfg)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "\nquickstart: FAILED:", err)
		os.Exit(1)
	}
}
