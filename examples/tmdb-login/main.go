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
// TMDB_API_KEY or the read access token in TMDB_ACCESS_TOKEN (the token
// wins when both are set):
//
//	TMDB_API_KEY=... go run ./examples/tmdb-login -real
package main

import (
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

// Environment variables with the real API's credentials.
const (
	envAPIKey      = "TMDB_API_KEY"
	envAccessToken = "TMDB_ACCESS_TOKEN"
)

// settings is what the flags say.
type settings struct {
	real bool
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
	fs.BoolVar(&s.real, "real", false, "talk to the real TMDb API (credentials from "+envAPIKey+" or "+envAccessToken+") instead of the in-process fake")
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
		key, token := getenv(envAPIKey), getenv(envAccessToken)
		if key == "" && token == "" {
			return fmt.Errorf("-real needs %s or %s in the environment", envAPIKey, envAccessToken)
		}
		client, err = mediaauth.New(mediaauth.WithCredentials(mediaauth.TMDbAPIKey(key)), mediaauth.WithCredentials(mediaauth.TMDbReadAccessToken(token)))
		fmt.Fprintf(out, "Talking to TMDb at %s\n", mediaauth.DefaultTMDbBaseURL)
	} else {
		srv = mediaauthtest.NewServer()
		defer srv.Close()
		client, err = srv.Client()
		fmt.Fprintf(out, "Talking to an in-process fake of TMDb at %s\n", srv.TMDbURL())
		fmt.Fprintf(out, "(it approves the token by itself after %s; use -real for the real API)\n", seconds(s.approveAfter))
	}
	if err != nil {
		return fmt.Errorf("building the client: %w", err)
	}

	// 1. Check the credentials.
	if err := client.ValidateTMDbCredentials(ctx); err != nil {
		if errors.Is(err, mediaauth.ErrInvalidAPIKey) {
			return fmt.Errorf("TMDb refused the API key or read access token: %w", err)
		}
		return fmt.Errorf("checking the credentials: %w", err)
	}
	fmt.Fprintln(out, "\n1. The API key is valid.")

	// 2. Create a request token and show where to approve it.
	tok, err := client.CreateRequestToken(ctx)
	if err != nil {
		return fmt.Errorf("creating a request token: %w", err)
	}
	fmt.Fprintf(out, "2. Request token %s, valid until %s.\n", mask(tok.Token), tok.ExpiresAt.Format(time.RFC3339))
	approveURL := client.AuthenticateURL(tok.Token, s.redirectTo)
	if s.real {
		// The page needs the whole token: this is the one place it is shown.
		fmt.Fprintf(out, "\nOpen this page, log in to TMDb if asked, and click Approve:\n\n    %s\n\n", approveURL)
	} else {
		fmt.Fprintf(out, "\nThe user would now open this page and click Approve:\n\n    %s\n\n",
			strings.Replace(approveURL, tok.Token, mask(tok.Token), 1))
		// The fake has no web page: it plays the user who clicks Approve.
		approval := time.AfterFunc(s.approveAfter, func() { _ = srv.TMDbApprove(tok.Token) })
		defer approval.Stop()
	}

	// 3. Wait for the approval: CreateSession answers ErrRequestTokenNotApproved until then.
	fmt.Fprintln(out, "3. Waiting for the approval (Ctrl-C to give up)...")
	sess, err := waitForSession(ctx, client, tok, s, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   Approved: session %s.\n", mask(sess.ID))

	// 4. A guest session needs no account at all.
	guest, err := client.CreateGuestSession(ctx)
	if err != nil {
		return fmt.Errorf("creating a guest session: %w", err)
	}
	fmt.Fprintf(out, "4. Guest session %s, deleted by TMDb if unused by %s.\n", mask(guest.ID), guest.ExpiresAt.Format(time.RFC3339))

	// 5. Log out.
	if err := client.DeleteSession(ctx, sess.ID); err != nil {
		return fmt.Errorf("deleting the session: %w", err)
	}
	fmt.Fprintln(out, "5. Logged out: the session is deleted.")
	if !s.real {
		err := client.DeleteSession(ctx, sess.ID)
		fmt.Fprintf(out, "   Deleting it again: errors.Is(err, mediaauth.ErrNotFound) = %t\n", errors.Is(err, mediaauth.ErrNotFound))
	}
	return nil
}

// waitForSession tries to turn tok into a session once per interval until
// the user approves it, denies it, the token expires, or the wait times out.
func waitForSession(ctx context.Context, client *mediaauth.Client, tok *mediaauth.RequestToken, s settings, out io.Writer) (*mediaauth.Session, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for attempt := 1; ; attempt++ {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the approval: %w", ctx.Err())
		case <-timer.C:
		}
		sess, err := client.CreateSession(ctx, tok.Token)
		switch {
		case err == nil:
			return sess, nil
		case errors.Is(err, mediaauth.ErrRequestTokenNotApproved):
			if tok.Expired(time.Now().Add(s.interval)) {
				return nil, fmt.Errorf("the request token expired before it was approved: run the login again: %w", err)
			}
			fmt.Fprintf(out, "   attempt %d: not approved yet, next try in %s\n", attempt, seconds(s.interval))
			timer.Reset(s.interval)
		case errors.Is(err, mediaauth.ErrSessionDenied):
			return nil, fmt.Errorf("the request was denied on TMDb's page: %w", err)
		case errors.Is(err, mediaauth.ErrInvalidRequestToken):
			return nil, fmt.Errorf("the request token expired or was already used: run the login again: %w", err)
		case ctx.Err() != nil:
			return nil, fmt.Errorf("waiting for the approval: %w", ctx.Err())
		default:
			return nil, fmt.Errorf("creating the session: %w", err)
		}
	}
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
