package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/mediaauth/mediaauth"
)

const loginTMDbUsage = `
Usage: mediaauth login tmdb [--v4] [--web | --no-browser] [--callback-port N]
       mediaauth login tmdb --password [--username NAME]

Logs in to TMDb the way TMDb recommends: the command starts a small server
on a loopback port, creates a request token that sends your browser back to
it, and shows TMDb's approval page (it opens the page in your browser when
you run it in a terminal, or with --web; it always prints the address).
Approve, and the browser comes back to the command, which creates the
session and stores it. Deny, and nothing is stored. The browser must run on
this machine; elsewhere, use --password.

--v4 runs TMDb's v4 user authentication: the v4 access token and a session
made from it are stored. It needs TMDB_READ_ACCESS_TOKEN.

--password logs in with your TMDb username and password instead (read
without echo on a terminal, or as the first line of stdin).

Every TMDb call needs your application's credentials: TMDB_API_KEY or
TMDB_READ_ACCESS_TOKEN.
`

// loginTMDb is "mediaauth login tmdb".
func (a *app) loginTMDb(ctx context.Context, args []string) error {
	fs := a.flagSet("login tmdb")
	v4 := fs.Bool("v4", false, "TMDb's v4 user authentication (needs TMDB_READ_ACCESS_TOKEN)")
	withPassword := fs.Bool("password", false, "log in with your TMDb username and password instead of the browser")
	username := fs.String("username", "", "with --password: your TMDb username (asked for on a terminal)")
	web := fs.Bool("web", false, "open the approval page in the browser even when not run in a terminal")
	noBrowser := fs.Bool("no-browser", false, "only print the approval page's address")
	port := fs.Int("callback-port", 0, "the loopback port the browser comes back to (default: any free port)")
	timeout := fs.Duration("timeout", 0, "give up waiting for the approval after this long (default: when the request token expires)")
	rest, err := a.parseAll(fs, args, loginTMDbUsage)
	if err != nil {
		return err
	}
	if err := noArgs(fs, rest); err != nil {
		return err
	}
	switch {
	case *withPassword && *v4:
		return usagef("login tmdb: --password and --v4 do not go together (v4 has no password login)")
	case *web && *noBrowser:
		return usagef("login tmdb: --web and --no-browser do not go together")
	case *port < 0 || *port > 65535:
		return usagef("login tmdb: --callback-port %d is not a port", *port)
	case *timeout < 0:
		return usagef("login tmdb: negative --timeout")
	}
	if err := a.needTMDbApp(*v4); err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	if *withPassword {
		return a.loginTMDbPassword(ctx, c, *username)
	}
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, *timeout, errors.New("timed out waiting for the approval"))
		defer cancel()
	}
	cb, err := startCallback(*port)
	if err != nil {
		return err
	}
	defer cb.close()
	open := *web || (!*noBrowser && a.interactive())
	if *v4 {
		return a.loginTMDbV4(ctx, c, cb, open)
	}
	return a.loginTMDbV3(ctx, c, cb, open)
}

// loginTMDbV3 runs the v3 browser flow: request token, approval page,
// callback, session.
func (a *app) loginTMDbV3(ctx context.Context, c *mediaauth.Client, cb *callback, open bool) error {
	rt, err := c.TMDb.CreateRequestToken(ctx)
	if err != nil {
		return fmt.Errorf("creating a TMDb request token: %w", err)
	}
	a.show(ctx, "Approve the login on TMDb's page", c.TMDb.AuthenticateURL(*rt, cb.url), open)
	fmt.Fprintln(a.sys.stderr, "Waiting for your browser to come back (Ctrl-C to stop)...")

	var sess *mediaauth.Session
	err = a.awaitCallback(ctx, cb, rt.ExpiresAt, func(hit callbackHit) (reply, bool, error) {
		q := hit.query
		if q.Get("request_token") != rt.Token {
			return refused, false, nil
		}
		switch {
		case q.Get("denied") == "true":
			return replyDenied, true, errDenied
		case q.Get("approved") != "true":
			return reply{http.StatusBadRequest, "Not approved", "TMDb did not say the request was approved. Approve it on TMDb's page."}, false, nil
		}
		s, err := c.TMDb.CreateSession(ctx, *rt)
		if err != nil {
			return replyFailed, true, fmt.Errorf("creating the TMDb session: %w", err)
		}
		sess = s
		return replyDone, true, nil
	})
	if err != nil {
		return err
	}
	return a.finishTMDb(ctx, c, &mediaauth.StoredCredentials{API: mediaauth.APITMDb, TMDbSession: sess}, c.With(sess))
}

// loginTMDbV4 runs the v4 browser flow: v4 request token, approval page,
// callback, access token, session.
func (a *app) loginTMDbV4(ctx context.Context, c *mediaauth.Client, cb *callback, open bool) error {
	rt, err := c.TMDb.CreateV4RequestToken(ctx, cb.url)
	if err != nil {
		return fmt.Errorf("creating a TMDb v4 request token: %w", err)
	}
	a.show(ctx, "Approve the login on TMDb's page", c.TMDb.V4ApprovalURL(*rt), open)
	fmt.Fprintln(a.sys.stderr, "Waiting for your browser to come back (Ctrl-C to stop)...")

	var tok *mediaauth.TMDbAccessToken
	err = a.awaitCallback(ctx, cb, rt.ExpiresAt, func(hit callbackHit) (reply, bool, error) {
		q := hit.query
		// TMDb sends v4 logins back without parameters; one that names
		// another token is not for this login.
		if t := q.Get("request_token"); t != "" && t != rt.Token {
			return refused, false, nil
		}
		if q.Get("denied") == "true" {
			return replyDenied, true, errDenied
		}
		t, err := c.TMDb.CreateV4AccessToken(ctx, *rt)
		switch {
		case errors.Is(err, mediaauth.ErrRequestTokenNotApproved):
			return reply{http.StatusBadRequest, "Not approved yet", "TMDb says the request is not approved yet. Approve it on TMDb's page."}, false, nil
		case errors.Is(err, mediaauth.ErrInvalidRequestToken):
			return replyDenied, true, fmt.Errorf("TMDb refused the request token (denied, expired or used): %w", err)
		case err != nil:
			return replyFailed, true, fmt.Errorf("creating the TMDb access token: %w", err)
		}
		tok = t
		return replyDone, true, nil
	})
	if err != nil {
		return err
	}
	sess, err := c.TMDb.CreateSessionFromV4Token(ctx, *tok)
	if err != nil {
		// Do not leave a live token behind that nobody holds.
		_ = c.TMDb.With(*tok).DeleteV4AccessToken(context.WithoutCancel(ctx))
		return fmt.Errorf("creating a session from the v4 access token: %w", err)
	}
	creds := &mediaauth.StoredCredentials{API: mediaauth.APITMDb, TMDbSession: sess, TMDbAccessToken: tok}
	return a.finishTMDb(ctx, c, creds, c.With(sess))
}

// loginTMDbPassword logs in with a username and password.
func (a *app) loginTMDbPassword(ctx context.Context, c *mediaauth.Client, username string) error {
	if username == "" {
		if !a.sys.isTerminal(a.sys.stdin) {
			return usagef("login tmdb: give --username (the password is read from stdin)")
		}
		var err error
		if username, err = a.prompt("TMDb username: "); err != nil {
			return err
		}
		if username == "" {
			return usagef("login tmdb: no username given")
		}
	}
	pw, err := a.password("TMDb password for " + username + ": ")
	if err != nil {
		return err
	}
	sess, err := c.TMDb.LoginSession(ctx, username, pw)
	if err != nil {
		return fmt.Errorf("logging in to TMDb: %w", err)
	}
	return a.finishTMDb(ctx, c, &mediaauth.StoredCredentials{API: mediaauth.APITMDb, TMDbSession: sess}, c.With(sess))
}

// finishTMDb stores the credentials and says whose they are.
func (a *app) finishTMDb(ctx context.Context, c *mediaauth.Client, creds *mediaauth.StoredCredentials, user *mediaauth.Client) error {
	path, err := a.save(ctx, creds)
	if err != nil {
		return err
	}
	who := ""
	if acct, err := tmdbAccount(ctx, user); err == nil {
		who = " as " + acct.Username
	}
	kind := "a session"
	if creds.TMDbAccessToken != nil {
		kind = "a v4 access token and a session"
	}
	fmt.Fprintf(a.sys.stdout, "Logged in to TMDb%s (%s). Saved to %s (profile %s).\n", who, kind, path, a.globals.profile)
	return nil
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

// errDenied ends a login the user denied in the browser.
var errDenied = errors.New("the login was denied in the browser; nothing was stored")

// callback is the loopback server the browser comes back to, at
// /callback/STATE, where STATE is a random value of this login.
type callback struct {
	url   string
	state string
	srv   *http.Server
	hits  chan callbackHit
}

// callbackHit is one request to the callback server, waiting for the
// login's answer.
type callbackHit struct {
	state string
	query url.Values
	reply chan reply
}

// reply is the page the browser gets back.
type reply struct {
	status         int
	title, message string
}

var (
	refused     = reply{http.StatusBadRequest, "Not for this login", "This address is not the one the waiting login gave TMDb. Nothing was done."}
	replyDenied = reply{http.StatusOK, "Login denied", "You denied the login. Nothing was stored; you can close this page."}
	replyFailed = reply{http.StatusBadGateway, "Login failed", "The login failed; the terminal says why. You can close this page."}
	replyDone   = reply{http.StatusOK, "Logged in", "You are logged in; mediaauth stored the credentials. You can close this page."}
)

// startCallback listens on a loopback port.
func startCallback(port int) (*callback, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("starting the callback server: %w", err)
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	cb := &callback{state: hex.EncodeToString(b), hits: make(chan callbackHit)}
	cb.url = "http://" + ln.Addr().String() + "/callback/" + cb.state
	mux := http.NewServeMux()
	mux.HandleFunc("GET /callback/{state}", cb.serve)
	cb.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = cb.srv.Serve(ln) }()
	return cb, nil
}

// serve hands a callback to the waiting login and writes its answer.
func (cb *callback) serve(w http.ResponseWriter, r *http.Request) {
	hit := callbackHit{state: r.PathValue("state"), query: r.URL.Query(), reply: make(chan reply, 1)}
	var rep reply
	select {
	case cb.hits <- hit:
		select {
		case rep = <-hit.reply:
		case <-r.Context().Done():
			return
		}
	case <-r.Context().Done():
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(rep.status)
	_ = callbackPage.Execute(w, map[string]string{"Title": rep.title, "Message": rep.message})
}

var callbackPage = template.Must(template.New("callback").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<title>{{.Title}} · mediaauth</title>
<style>body { font-family: system-ui, sans-serif; max-width: 34em; margin: 4em auto; padding: 0 1em; }</style>
</head><body><h1>{{.Title}}</h1><p>{{.Message}}</p></body></html>
`))

// close stops the callback server.
func (cb *callback) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = cb.srv.Shutdown(ctx)
}

// awaitCallback waits for the browser to come back with this login's
// state, until decide says the login is over, ctx ends or the request
// token expires. A callback with another state is refused with a 400 page
// and the wait goes on; so is one that decide does not take.
func (a *app) awaitCallback(ctx context.Context, cb *callback, expires time.Time, decide func(callbackHit) (reply, bool, error)) error {
	var expired <-chan time.Time
	if !expires.IsZero() {
		t := time.NewTimer(time.Until(expires))
		defer t.Stop()
		expired = t.C
	}
	for {
		select {
		case <-ctx.Done():
			if cause := context.Cause(ctx); !errors.Is(cause, context.Canceled) && !errors.Is(cause, context.DeadlineExceeded) {
				return cause
			}
			return errInterrupted
		case <-expired:
			return errors.New("the request token expired before the login was approved")
		case hit := <-cb.hits:
			if subtle.ConstantTimeCompare([]byte(hit.state), []byte(cb.state)) != 1 {
				hit.reply <- refused
				fmt.Fprintln(a.sys.stderr, "Refused a callback that was not for this login; still waiting.")
				continue
			}
			rep, done, err := decide(hit)
			hit.reply <- rep
			if rep == refused {
				fmt.Fprintln(a.sys.stderr, "Refused a callback that was not for this login; still waiting.")
			}
			if done {
				return err
			}
		}
	}
}
