// Command tvmaze-login logs a user in to TVmaze without asking for their
// password: it starts an authentication request for their email address,
// shows where to confirm it, polls until they do, and checks the API key it
// got back.
//
// With no flags it runs against the in-memory fake of package
// mediaauthtest, which confirms the request by itself after a few seconds:
//
//	go run ./examples/tvmaze-login
//
// With -real it talks to api.tvmaze.com and polls every 10 seconds, as
// TVmaze asks:
//
//	go run ./examples/tvmaze-login -real -email you@example.com
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// settings is what the flags say.
type settings struct {
	email string
	real  bool
	// emailConfirmation makes TVmaze email the user a link instead of
	// returning a URL to open.
	emailConfirmation bool
	// interval and confirmAfter shape the fake: its poll interval and when
	// it confirms the request by itself.
	interval     time.Duration
	confirmAfter time.Duration
}

func parseFlags(args []string, stderr io.Writer) (settings, error) {
	var s settings
	fs := flag.NewFlagSet("tvmaze-login", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&s.email, "email", "", "TVmaze account email address (asked for when empty)")
	fs.BoolVar(&s.real, "real", false, "talk to the real TVmaze API instead of the in-process fake")
	fs.BoolVar(&s.emailConfirmation, "email-confirmation", false, "have TVmaze email the confirmation link instead of printing a URL to open")
	fs.DurationVar(&s.interval, "interval", time.Second, "fake only: poll interval")
	fs.DurationVar(&s.confirmAfter, "confirm-after", 2500*time.Millisecond, "fake only: the fake confirms the request by itself this long after it started; 0 waits for you to open the confirm URL")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: go run ./examples/tvmaze-login [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return settings{}, err
	}
	if fs.NArg() > 0 {
		return settings{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if s.interval <= 0 || s.confirmAfter < 0 {
		return settings{}, errors.New("-interval must be positive and -confirm-after not negative")
	}
	return s, nil
}

// run logs in and reports each step to out. stdin answers the email
// question when -email is not given.
func run(ctx context.Context, args []string, stdin io.Reader, out, stderr io.Writer) error {
	s, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	client, demoEmail, closeFake, err := newClient(s, out)
	if err != nil {
		return fmt.Errorf("building the client: %w", err)
	}
	defer closeFake()
	email := s.email
	if email == "" {
		if email, err = askEmail(ctx, stdin, out, demoEmail); err != nil {
			return err
		}
	}
	if email == "" {
		return errors.New("no email address given (use -email)")
	}
	// The wait's options: each attempt printed, and against the fake its
	// short interval (the real TVmaze's is 10 seconds, the default).
	wait := []mediaauth.WaitOption{mediaauth.WithWaitObserver(func(ev mediaauth.WaitEvent) { fmt.Fprintln(out, describePoll(ev)) })}
	if !s.real {
		wait = append(wait, mediaauth.WithPollInterval(s.interval))
	}
	return login(ctx, client.TVmaze, email, s, out, wait...)
}

// newClient builds the client: of the real TVmaze with -real, else of an
// in-process fake (closeFake stops it) whose demo account's email address
// it returns.
func newClient(s settings, out io.Writer) (client *mediaauth.Client, demoEmail string, closeFake func(), err error) {
	if s.real {
		fmt.Fprintf(out, "Talking to TVmaze at %s\n", mediaauth.DefaultTVmazeBaseURL)
		client, err = mediaauth.New()
		return client, "", func() {}, err
	}
	srv := mediaauthtest.NewServer(
		mediaauthtest.WithTVmazeMinPollInterval(s.interval),
		mediaauthtest.WithTVmazeAutoConfirm(s.confirmAfter),
	)
	fmt.Fprintf(out, "Talking to an in-process fake of TVmaze at %s\n", srv.TVmaze.URL())
	if s.confirmAfter > 0 {
		fmt.Fprintf(out, "(it confirms requests by itself after %s; use -real for the real API)\n", seconds(s.confirmAfter))
	}
	client, err = srv.Client()
	return client, mediaauthtest.DemoTVmazeEmail, srv.Close, err
}

// login runs the device-style login for email: start the request, show
// where to confirm it, poll until the user does (with the wait's
// options), and check the key.
func login(ctx context.Context, tvmaze *mediaauth.TVmaze, email string, s settings, out io.Writer, wait ...mediaauth.WaitOption) error {
	// 1. Start the authentication request.
	var startOpts []mediaauth.StartAuthOption
	if !s.emailConfirmation {
		startOpts = append(startOpts, mediaauth.WithoutEmailConfirmation())
	}
	req, err := tvmaze.StartAuth(ctx, email, startOpts...)
	switch {
	case errors.Is(err, mediaauth.ErrEmailNotFound):
		return fmt.Errorf("TVmaze has no account with the email address %s: %w", email, err)
	case errors.Is(err, mediaauth.ErrEmailNotConfirmed):
		return fmt.Errorf("the TVmaze account's email address %s is not confirmed yet: confirm it first: %w", email, err)
	case err != nil:
		return fmt.Errorf("starting the authentication request: %w", err)
	}
	if req.ApprovalURL != "" {
		fmt.Fprintf(out, "\nOpen this URL to confirm the login (you must be logged in to TVmaze):\n\n    %s\n\n", req.ApprovalURL)
	} else {
		fmt.Fprintf(out, "\nTVmaze has emailed %s a link: open it to confirm the login.\n\n", email)
	}

	// 2. Poll until the user confirms.
	fmt.Fprintln(out, "Waiting for the confirmation (Ctrl-C to give up)...")
	creds, err := tvmaze.PollUntilConfirmed(ctx, *req, wait...)
	switch {
	case errors.Is(err, mediaauth.ErrAuthRequestNotFound):
		return fmt.Errorf("the request expired or was already used: run the login again: %w", err)
	case err != nil:
		return fmt.Errorf("waiting for the confirmation: %w", err)
	}
	fmt.Fprintf(out, "\nLogged in as %s.\nAPI key: %s (TVmaze hands it out only once: store it safely)\n", creds.Username, maskKey(creds.APIKey))

	// 3. Check the key and read the premium level: a handle that carries
	// the credentials sends them as HTTP Basic.
	level, err := tvmaze.With(creds).Validate(ctx)
	if err != nil {
		return fmt.Errorf("validating the credentials: %w", err)
	}
	fmt.Fprintf(out, "Credentials are valid; premium level: %s\n", level)
	return nil
}

// askEmail asks for the email address; an empty answer (or no stdin) means
// def. It gives up when ctx ends.
func askEmail(ctx context.Context, stdin io.Reader, out io.Writer, def string) (string, error) {
	if stdin == nil {
		return def, nil
	}
	if def != "" {
		fmt.Fprintf(out, "TVmaze account email [%s]: ", def)
	} else {
		fmt.Fprint(out, "TVmaze account email: ")
	}
	type answer struct {
		line string
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		ch <- answer{line, err}
	}()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case a := <-ch:
		if a.err != nil && !errors.Is(a.err, io.EOF) {
			return "", fmt.Errorf("reading the email address: %w", a.err)
		}
		fmt.Fprintln(out)
		if line := strings.TrimSpace(a.line); line != "" {
			return line, nil
		}
		return def, nil
	}
}

// describePoll is one line of progress for a poll attempt.
func describePoll(ev mediaauth.WaitEvent) string {
	prefix := fmt.Sprintf("  attempt %d: ", ev.Attempt)
	var what string
	switch {
	case ev.Err == nil:
		return prefix + "confirmed"
	case errors.Is(ev.Err, mediaauth.ErrAuthorizationPending):
		what = "not confirmed yet"
	case errors.Is(ev.Err, mediaauth.ErrRateLimited):
		what = "TVmaze says we poll too fast, slowing down"
	default:
		what = "failed: " + ev.Err.Error()
	}
	if ev.NextPoll > 0 {
		what += ", next poll in " + seconds(ev.NextPoll)
	}
	return prefix + what
}

// seconds prints a duration in seconds: "10 s", "2.5 s".
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
}

// maskKey shows the last four characters of an API key, never all of it.
func maskKey(key string) string {
	if len(key) < 12 {
		return "[hidden]"
	}
	return strconv.Itoa(len(key)) + " characters ending in " + key[len(key)-4:]
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "tvmaze-login:", err)
		os.Exit(1)
	}
}
