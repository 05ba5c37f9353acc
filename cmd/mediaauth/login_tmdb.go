package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/mediaauth/mediaauth"
)

const loginTMDbUsage = `
Usage: mediaauth login tmdb [--v4] [--web | --no-browser] [--callback-port N]
       mediaauth login tmdb --password [--username NAME]

Logs in to TMDb the way TMDb recommends, with the library's browser login:
a small server on a loopback port of 127.0.0.1, a request token whose
approval page sends your browser back to it, and TMDb's page shown to you
(opened in your browser when you run in a terminal, or with --web; its
address is always printed). Approve, and the browser comes back to the
command, which creates the session and stores it. Deny, and nothing is
stored. The server answers only its own login's callback. The browser
must run on this machine; elsewhere, use --password.

--v4 runs TMDb's v4 user authentication: the v4 access token and a session
made from it are stored. It needs TMDB_READ_ACCESS_TOKEN.

--password logs in with your TMDb username and password instead (read
without echo on a terminal, or as the first line of stdin).

A new login to a profile deletes the session (and logs out the v4 access
token) it replaces. Every TMDb call needs your application's credentials:
TMDB_API_KEY or TMDB_READ_ACCESS_TOKEN. BROWSER names the browser (a list
separated by ':', %s for the page).
`

// tmdbFlags are the flags of "mediaauth login tmdb".
type tmdbFlags struct {
	v4, password, web, noBrowser bool
	username                     string
	port                         int
	timeout                      time.Duration
}

// loginTMDb is "mediaauth login tmdb".
func (a *app) loginTMDb(ctx context.Context, args []string) error {
	f, err := a.tmdbFlags(args)
	if err != nil {
		return err
	}
	if err := a.needTMDbApp(f.v4); err != nil {
		return err
	}
	if f.password && f.username == "" && !a.sys.isTerminal(a.sys.stdin) {
		return usagef("login tmdb: give --username (the password is read from stdin)")
	}
	l, err := a.beginLogin(ctx, mediaauth.APITMDb)
	if err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	if f.password {
		return a.loginTMDbPassword(ctx, l, c, f.username)
	}
	if f.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, f.timeout, errors.New("timed out waiting for the approval"))
		defer cancel()
	}
	opts := a.browserLoginOptions(f)
	if f.v4 {
		return a.loginTMDbV4(ctx, l, c, opts)
	}
	sess, err := c.TMDb.LoginInBrowser(ctx, opts...)
	if err != nil {
		return tmdbLoginError(ctx, err)
	}
	return a.finishTMDb(ctx, l, c, &mediaauth.StoredCredentials{API: mediaauth.APITMDb, TMDbSession: sess})
}

// tmdbFlags parses the flags of "mediaauth login tmdb".
func (a *app) tmdbFlags(args []string) (*tmdbFlags, error) {
	var f tmdbFlags
	fs := a.flagSet("login tmdb")
	fs.BoolVar(&f.v4, "v4", false, "TMDb's v4 user authentication (needs TMDB_READ_ACCESS_TOKEN)")
	fs.BoolVar(&f.password, "password", false, "log in with your TMDb username and password instead of the browser")
	fs.StringVar(&f.username, "username", "", "with --password: your TMDb username (asked for on a terminal)")
	fs.BoolVar(&f.web, "web", false, "open the approval page in the browser even when not run in a terminal")
	fs.BoolVar(&f.noBrowser, "no-browser", false, "only print the approval page's address")
	fs.IntVar(&f.port, "callback-port", 0, "the loopback port the browser comes back to (default: any free port)")
	fs.DurationVar(&f.timeout, "timeout", 0, "give up waiting for the approval after this long (default: when the request token expires)")
	rest, err := a.parseAll(fs, args, loginTMDbUsage)
	if err != nil {
		return nil, err
	}
	if err := noArgs(fs, rest); err != nil {
		return nil, err
	}
	switch {
	case f.password && f.v4:
		return nil, usagef("login tmdb: --password and --v4 do not go together (v4 has no password login)")
	case f.web && f.noBrowser:
		return nil, usagef("login tmdb: --web and --no-browser do not go together")
	case f.port < 0 || f.port > 65535:
		return nil, usagef("login tmdb: --callback-port %d is not a port", f.port)
	case f.timeout < 0:
		return nil, usagef("login tmdb: negative --timeout")
	}
	return &f, nil
}

// browserLoginOptions are the options of the library's browser login: the
// page shown (and opened in a terminal, or with --web), and a word about
// each callback it refused.
func (a *app) browserLoginOptions(f *tmdbFlags) []mediaauth.WaitOption {
	open := f.web || (!f.noBrowser && a.interactive())
	show := a.pageShower("Approve the login on TMDb's page", open)
	opts := []mediaauth.WaitOption{
		mediaauth.WithPageOpener(func(ctx context.Context, url string) (bool, error) {
			opened, err := show(ctx, url)
			if ctx.Err() == nil {
				fmt.Fprintln(a.sys.stderr, "Waiting for your browser to come back (Ctrl-C to stop)...")
			}
			return opened, err
		}),
		mediaauth.WithWaitObserver(func(ev mediaauth.WaitEvent) {
			if errors.Is(ev.Err, mediaauth.ErrCallbackRefused) {
				fmt.Fprintln(a.sys.stderr, "Refused a callback that was not for this login; still waiting.")
			}
		}),
	}
	if f.port > 0 {
		opts = append(opts, mediaauth.WithCallbackPort(f.port))
	}
	return opts
}

// loginTMDbV4 runs the v4 browser login, then makes a session of the
// access token; the access token is logged out when that fails, and kept
// in a file of its own when it cannot be logged out either.
func (a *app) loginTMDbV4(ctx context.Context, l *login, c *mediaauth.Client, opts []mediaauth.WaitOption) error {
	tok, err := c.TMDb.LoginInBrowserV4(ctx, opts...)
	if err != nil {
		return tmdbLoginError(ctx, err)
	}
	keep := context.WithoutCancel(ctx)
	sess, err := c.TMDb.CreateSessionFromV4Token(keep, *tok)
	if err != nil {
		// Do not leave a live token behind that nobody holds.
		if derr := c.TMDb.With(*tok).DeleteV4AccessToken(keep); derr != nil {
			creds := &mediaauth.StoredCredentials{API: mediaauth.APITMDb, TMDbAccessToken: tok}
			return l.rescued(creds, "creating a session from the v4 access token failed",
				fmt.Sprintf("%s; logging the token out failed too (%s)", trimPkg(err), trimPkg(derr)))
		}
		return fail("creating a session from the v4 access token (the token was logged out)", mediaauth.APITMDb, err)
	}
	creds := &mediaauth.StoredCredentials{API: mediaauth.APITMDb, TMDbSession: sess, TMDbAccessToken: tok}
	return a.finishTMDb(ctx, l, c, creds)
}

// tmdbLoginError is the error of a browser login that failed with err.
func tmdbLoginError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		if cause := context.Cause(ctx); !errors.Is(cause, context.Canceled) && !errors.Is(cause, context.DeadlineExceeded) {
			return cause
		}
		return errInterrupted
	}
	return fail("logging in to TMDb", mediaauth.APITMDb, err)
}

// loginTMDbPassword logs in with a username and password.
func (a *app) loginTMDbPassword(ctx context.Context, l *login, c *mediaauth.Client, username string) error {
	if username == "" {
		var err error
		if username, err = a.prompt(ctx, "TMDb username: "); err != nil {
			return err
		}
		if username == "" {
			return usagef("login tmdb: no username given")
		}
	}
	pw, err := a.password(ctx, "TMDb password for "+username+": ")
	if err != nil {
		return err
	}
	sess, err := c.TMDb.LoginSession(ctx, username, pw)
	if err != nil {
		return fail("logging in to TMDb", mediaauth.APITMDb, err)
	}
	return a.finishTMDb(ctx, l, c, &mediaauth.StoredCredentials{API: mediaauth.APITMDb, TMDbSession: sess})
}

// finishTMDb stores the credentials (revoking them when that fails),
// revokes those of the profile they replace, and says whose they are.
func (a *app) finishTMDb(ctx context.Context, l *login, c *mediaauth.Client, creds *mediaauth.StoredCredentials) error {
	where, err := l.finish(ctx, creds, func(ctx context.Context) error { return revokeTMDb(ctx, c, creds) })
	if err != nil {
		return err
	}
	l.revokeReplaced(ctx, c, creds)
	who := ""
	user := c.With(creds.Credentials()...)
	if acct, err := tmdbAccount(context.WithoutCancel(ctx), user); err == nil {
		who = acct.Username
	}
	kind := "a session"
	if creds.TMDbAccessToken != nil {
		kind = "a v4 access token and a session"
	}
	l.saved(who, kind, where)
	return nil
}

// revokeTMDb deletes the session and logs out the v4 access token of
// creds: what a login made, when it could not be kept.
func revokeTMDb(ctx context.Context, c *mediaauth.Client, creds *mediaauth.StoredCredentials) error {
	var errs []error
	if s := creds.TMDbSession; s != nil {
		errs = append(errs, c.TMDb.With(*s).DeleteSession(ctx))
	}
	if t := creds.TMDbAccessToken; t != nil {
		errs = append(errs, c.TMDb.With(*t).DeleteV4AccessToken(ctx))
	}
	return errors.Join(errs...)
}

// tmdbAccountInfo is what /3/account says about the user.
type tmdbAccountInfo struct {
	ID       int    `json:"id"`
	Username string `json:"username"`
}

// tmdbAccount reads the account of the user credential user carries.
func tmdbAccount(ctx context.Context, user *mediaauth.Client) (*tmdbAccountInfo, error) {
	var acct tmdbAccountInfo
	if err := user.TMDb.Do(ctx, http.MethodGet, "/3/account", nil, &acct); err != nil {
		return nil, err
	}
	return &acct, nil
}
