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
// TMDB_API_KEY or the read access token in TMDB_READ_ACCESS_TOKEN (the token
// wins when both are set):
//
//	TMDB_API_KEY=... go run ./examples/tmdb-login -real
//
// With -v4 it uses TMDb's v4 user authentication instead: the user
// approves a v4 request token, which becomes their v4 access token, then a
// v3 session; it reads the account with the access token and logs both
// out. The v4 calls need the read access token (TMDB_READ_ACCESS_TOKEN with
// -real):
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
	"net/http"
	"net/url"
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
	envAccessToken = "TMDB_READ_ACCESS_TOKEN"
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
	fs.BoolVar(&s.real, "real", false, "talk to the real TMDb API (credentials from "+envAPIKey+" or "+envAccessToken+") instead of the in-process fake")
	fs.BoolVar(&s.v4, "v4", false, "use TMDb's v4 user authentication (an access token, then a session); needs the read access token ("+envAccessToken+" with -real)")
	fs.DurationVar(&s.interval, "interval", 0, "wait between attempts to create the session while the token is not approved (default 1s with the fake, 3s with -real; with -v4 the first wait, doubling up to 15s)")
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
		if s.v4 && token == "" {
			return fmt.Errorf("-v4 -real needs the read access token in %s", envAccessToken)
		}
		if key == "" && token == "" {
			return fmt.Errorf("-real needs %s or %s in the environment", envAPIKey, envAccessToken)
		}
		client, err = mediaauth.New(mediaauth.WithCredentials(mediaauth.TMDbAPIKey(key)), mediaauth.WithCredentials(mediaauth.TMDbReadAccessToken(token)))
		fmt.Fprintf(out, "Talking to TMDb at %s\n", mediaauth.DefaultTMDbBaseURL)
	} else {
		srv = mediaauthtest.NewServer()
		defer srv.Close()
		var opts []mediaauth.Option
		if s.v4 {
			// The fake's read access token, for the v4 calls.
			opts = append(opts, mediaauth.WithCredentials(mediaauth.TMDbReadAccessToken(mediaauthtest.DemoTMDbReadAccessToken)))
		}
		client, err = srv.Client(opts...)
		fmt.Fprintf(out, "Talking to an in-process fake of TMDb at %s\n", srv.TMDb.URL())
		fmt.Fprintf(out, "(it approves the token by itself after %s; use -real for the real API)\n", seconds(s.approveAfter))
	}
	if err != nil {
		return fmt.Errorf("building the client: %w", err)
	}
	if s.v4 {
		return runV4(ctx, client, srv, s, out)
	}

	// 1. Check the credentials.
	if err := client.TMDb.Validate(ctx); err != nil {
		if errors.Is(err, mediaauth.ErrInvalidAPIKey) {
			return fmt.Errorf("TMDb refused the API key or read access token: %w", err)
		}
		return fmt.Errorf("checking the credentials: %w", err)
	}
	fmt.Fprintln(out, "\n1. The API key is valid.")
	return runV3(ctx, client, srv, s, out)
}

// runV3 runs the v3 login: request token, approval, session, guest
// session, logout. srv is the fake, or nil with -real.
func runV3(ctx context.Context, client *mediaauth.Client, srv *mediaauthtest.Server, s settings, out io.Writer) error {

	// 2. Create a request token and show where to approve it.
	tok, err := client.TMDb.CreateRequestToken(ctx)
	if err != nil {
		return fmt.Errorf("creating a request token: %w", err)
	}
	fmt.Fprintf(out, "2. Request token %s, valid until %s.\n", mask(tok.Token), tok.ExpiresAt.Format(time.RFC3339))
	approveURL := client.TMDb.AuthenticateURL(*tok, s.redirectTo)
	if s.real {
		// The page needs the whole token: this is the one place it is shown.
		fmt.Fprintf(out, "\nOpen this page, log in to TMDb if asked, and click Approve:\n\n    %s\n\n", approveURL)
	} else {
		fmt.Fprintf(out, "\nThe user would now open this page and click Approve:\n\n    %s\n\n",
			strings.Replace(approveURL, tok.Token, mask(tok.Token), 1))
		// The fake has no web page: it plays the user who clicks Approve.
		approval := time.AfterFunc(s.approveAfter, func() { _ = srv.TMDb.Approve(tok.Token) })
		defer approval.Stop()
	}

	// 3. Wait for the approval: PollUntilApproved tries to create the
	// session once per interval; TMDb answers ErrRequestTokenNotApproved
	// until then.
	fmt.Fprintln(out, "3. Waiting for the approval (Ctrl-C to give up)...")
	waitCtx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	sess, err := client.TMDb.PollUntilApproved(waitCtx, *tok, mediaauth.WithPollInterval(s.interval), mediaauth.WithWaitObserver(progress(out)))
	switch {
	case errors.Is(err, mediaauth.ErrApprovalDenied):
		return fmt.Errorf("the request was denied on TMDb's page: %w", err)
	case errors.Is(err, mediaauth.ErrInvalidRequestToken):
		return fmt.Errorf("the request token expired or was already used: run the login again: %w", err)
	case err != nil:
		return fmt.Errorf("waiting for the approval: %w", err)
	}
	fmt.Fprintf(out, "   Approved: session %s.\n", mask(sess.ID))

	// 4. A guest session needs no account at all.
	guest, err := client.TMDb.CreateGuestSession(ctx)
	if err != nil {
		return fmt.Errorf("creating a guest session: %w", err)
	}
	fmt.Fprintf(out, "4. Guest session %s, deleted by TMDb if unused by %s.\n", mask(guest.ID), guest.ExpiresAt.Format(time.RFC3339))

	// 5. Log out.
	if err := client.TMDb.With(*sess).DeleteSession(ctx); err != nil {
		return fmt.Errorf("deleting the session: %w", err)
	}
	fmt.Fprintln(out, "5. Logged out: the session is deleted.")
	if !s.real {
		err := client.TMDb.With(*sess).DeleteSession(ctx)
		fmt.Fprintf(out, "   Deleting it again: errors.Is(err, mediaauth.ErrNotFound) = %t\n", errors.Is(err, mediaauth.ErrNotFound))
	}
	return nil
}

// runV4 runs TMDb's v4 user authentication: a v4 request token the user
// approves (PollUntilApprovedV4 waits), their access token, a v3 session
// from it; then it reads the account with the access token and logs both
// out. srv is the fake, or nil with -real.
func runV4(ctx context.Context, client *mediaauth.Client, srv *mediaauthtest.Server, s settings, out io.Writer) error {
	// 1. The v4 calls need the read access token.
	if err := client.TMDb.Validate(ctx); err != nil {
		if errors.Is(err, mediaauth.ErrInvalidAPIKey) {
			return fmt.Errorf("TMDb refused the read access token: %w", err)
		}
		return fmt.Errorf("checking the credentials: %w", err)
	}
	fmt.Fprintln(out, "\n1. The read access token is valid (v4 user authentication).")

	// 2. The request token, and the page where the user approves it.
	rt, err := client.TMDb.CreateV4RequestToken(ctx, s.redirectTo)
	if err != nil {
		return fmt.Errorf("creating a request token: %w", err)
	}
	fmt.Fprintf(out, "2. Request token %s (unused, it expires in 15 minutes).\n", mask(rt.Token))
	if s.real {
		// The page needs the whole token: this is the one place it is shown.
		fmt.Fprintf(out, "\nOpen this page, log in to TMDb if asked, and click Approve:\n\n    %s\n\n", rt.ApprovalURL)
	} else {
		fmt.Fprintf(out, "\nThe user would now open this page and click Approve:\n\n    %s\n\n",
			strings.Replace(rt.ApprovalURL, url.QueryEscape(rt.Token), mask(rt.Token), 1))
		// The fake has no web page: it plays the user who clicks Approve.
		approval := time.AfterFunc(s.approveAfter, func() { _ = srv.TMDb.Approve(rt.Token) })
		defer approval.Stop()
	}

	// 3. PollUntilApprovedV4 polls until the user approves and returns
	// their access token, which then becomes a v3 session.
	fmt.Fprintln(out, "3. Waiting for the approval (Ctrl-C to give up)...")
	waitCtx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	tok, err := client.TMDb.PollUntilApprovedV4(waitCtx, *rt, mediaauth.WithPollInterval(s.interval), mediaauth.WithWaitObserver(progress(out)))
	switch {
	case errors.Is(err, mediaauth.ErrApprovalDenied), errors.Is(err, mediaauth.ErrInvalidRequestToken):
		return fmt.Errorf("the request was denied, or the token expired: run the login again: %w", err)
	case err != nil:
		return fmt.Errorf("waiting for the approval: %w", err)
	}
	sess, err := client.TMDb.CreateSessionFromV4Token(ctx, *tok)
	if err != nil {
		return fmt.Errorf("turning the access token into a session: %w", err)
	}
	fmt.Fprintf(out, "   Approved: access token %s of account %s, session %s.\n", mask(tok.AccessToken), tok.AccountID, mask(sess.ID))

	// 4. The access token is the user's credential.
	var acct struct {
		ID       int    `json:"id"`
		Username string `json:"username"`
	}
	if err := client.With(tok).TMDb.Do(ctx, http.MethodGet, "/3/account", nil, &acct); err != nil {
		return fmt.Errorf("reading the account: %w", err)
	}
	fmt.Fprintf(out, "4. Signed in as %q (v3 account id %d).\n", acct.Username, acct.ID)

	// 5. Log out: the session, then the access token.
	if err := client.TMDb.With(*sess).DeleteSession(ctx); err != nil {
		return fmt.Errorf("deleting the session: %w", err)
	}
	if err := client.TMDb.With(*tok).DeleteV4AccessToken(ctx); err != nil {
		return fmt.Errorf("logging the access token out: %w", err)
	}
	fmt.Fprintln(out, "5. Logged out: the session is deleted and the access token revoked.")
	if !s.real {
		_, err := client.TMDb.CreateSessionFromV4Token(ctx, *tok)
		fmt.Fprintf(out, "   Using the token again: errors.Is(err, mediaauth.ErrInvalidAccessToken) = %t\n", errors.Is(err, mediaauth.ErrInvalidAccessToken))
	}
	return nil
}

// progress prints each attempt of a wait for the approval to out.
func progress(out io.Writer) func(mediaauth.WaitEvent) {
	return func(ev mediaauth.WaitEvent) {
		if errors.Is(ev.Err, mediaauth.ErrRequestTokenNotApproved) {
			fmt.Fprintf(out, "   attempt %d: not approved yet, next try in %s\n", ev.Attempt, seconds(ev.NextPoll))
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
