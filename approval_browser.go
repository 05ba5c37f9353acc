// TMDb: the browser login, with a loopback callback server (seed 004).

package mediaauth

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
	"strings"
	"time"
)

// LoginInBrowser logs the user in to TMDb the way TMDb recommends, in
// their browser, and returns their v3 session. It is TMDb's wait for a
// person's approval with the browser coming back to the program instead
// of polling, and takes the same [WaitOption]s, but [WithPollInterval]
// and [WithFastPolling].
//
// It starts an HTTP server on a loopback port of 127.0.0.1
// ([WithCallbackPort], or any free one), creates a request token whose
// approval page sends the browser back to
// http://127.0.0.1:PORT/callback/STATE (STATE random for each login), and
// shows the user that page with the wait's opener ([WithPageOpener],
// [SystemBrowser] by default), beside the wait: its context ends when the
// login does, and the login returns once it has. When the browser comes
// back approved, it creates the session and answers with a page that
// names TMDb and the account (read from /3/account). The server takes only
// its own callback: a request with another Host header (DNS rebinding),
// another state (compared in constant time) or another request token gets
// a 400 page, is reported as [ErrCallbackRefused] to [WithWaitObserver],
// and the login goes on. A login the user denied returns an error that
// wraps [ErrApprovalDenied]; the browser gets a page that says so. The
// login ends when ctx ends or the request token expires; the server is
// shut down before LoginInBrowser returns. The browser must run on the
// same machine.
func (t *TMDb) LoginInBrowser(ctx context.Context, opts ...WaitOption) (*Session, error) {
	l := browserLogin{t: t, method: "TMDb.LoginInBrowser"}
	var sess *Session
	err := l.run(ctx, opts, func(ctx context.Context, redirect string) error {
		rt, err := t.CreateRequestToken(ctx)
		if err != nil {
			return err
		}
		l.token, l.expires, l.page = rt.Token, rt.ExpiresAt, t.AuthenticateURL(*rt, redirect)
		return nil
	}, func(ctx context.Context, q url.Values) loginStep {
		if !sameSecret(q.Get("request_token"), l.token) {
			return loginStep{page: pageRefused, refused: true}
		}
		switch {
		case q.Get("denied") == "true":
			return l.denied()
		case q.Get("approved") != "true":
			return loginStep{page: pageNotApproved}
		}
		s, status, err := t.createSession(ctx, l.token, l.cfg.grace)
		if errors.Is(err, ErrSessionDenied) {
			err = fmt.Errorf("mediaauth: %s: %w on TMDb's page: %w", l.method, ErrApprovalDenied, err)
		}
		step := l.exchanged(ctx, status, err, s)
		if step.done && step.err == nil {
			sess = s
		}
		return step
	})
	if err != nil {
		return nil, err
	}
	return sess, nil
}

// LoginInBrowserV4 is [TMDb.LoginInBrowser] for TMDb's v4 user
// authentication: a v4 request token whose approval page sends the browser
// back to the loopback server, then the user's access token
// ([TMDb.CreateV4AccessToken]), which it returns; turn it into a v3
// session with [TMDb.CreateSessionFromV4Token]. TMDb sends a v4 login back
// without saying whether the user approved: the token is exchanged, and
// TMDb's refusal of a token that has not expired ([ErrInvalidRequestToken])
// is taken as a denial ([ErrApprovalDenied]). It needs the read access
// token ([TMDbReadAccessToken]).
func (t *TMDb) LoginInBrowserV4(ctx context.Context, opts ...WaitOption) (*TMDbAccessToken, error) {
	l := browserLogin{t: t, method: "TMDb.LoginInBrowserV4"}
	if err := t.needsReadAccessToken(); err != nil {
		return nil, err
	}
	var rt *TMDbV4RequestToken
	var tok *TMDbAccessToken
	err := l.run(ctx, opts, func(ctx context.Context, redirect string) (err error) {
		if rt, err = t.CreateV4RequestToken(ctx, redirect); err != nil {
			return err
		}
		l.token, l.expires, l.page = rt.Token, rt.ExpiresAt, rt.ApprovalURL
		return nil
	}, func(ctx context.Context, q url.Values) loginStep {
		if got := q.Get("request_token"); got != "" && !sameSecret(got, l.token) {
			return loginStep{page: pageRefused, refused: true}
		}
		if q.Get("denied") == "true" {
			return l.denied()
		}
		at, status, err := t.createV4AccessToken(ctx, l.token, l.cfg.grace)
		step := l.exchanged(ctx, status, t.v4Denied(l.method, *rt, err), at)
		if step.done && step.err == nil {
			tok = at
		}
		return step
	})
	if err != nil {
		return nil, err
	}
	return tok, nil
}

// browserLogin is the state of one browser login.
type browserLogin struct {
	t        *TMDb
	method   string
	cfg      waitConfig
	token    string    // the request token
	page     string    // the approval page
	expires  time.Time // when the request token expires
	attempts int       // exchanges of the token so far
}

// loginStep is what a callback did: the page the browser gets, and
// whether the login is over (with err, nil on success).
type loginStep struct {
	page    callbackPage
	refused bool // not this login's callback
	done    bool
	err     error
}

// run runs a browser login: start creates the request token for the
// redirect URL and sets l's token, page and expiry; callback takes each
// callback of this login's state and Host.
func (l *browserLogin) run(ctx context.Context, opts []WaitOption, start func(context.Context, string) error,
	callback func(context.Context, url.Values) loginStep) error {
	var err error
	if l.cfg, err = newWaitConfig(l.method, waitBrowser, opts); err != nil {
		return err
	}
	if l.cfg.opener == nil {
		l.cfg.opener = SystemBrowser()
	}
	if ctx == nil {
		return fmt.Errorf("mediaauth: %s: nil context: %w", l.method, ErrInvalidArgument)
	}
	if err := l.t.hp().usable(); err != nil {
		return err
	}
	cb, err := listenCallback(l.cfg.port)
	if err != nil {
		return fmt.Errorf("mediaauth: %s: %w", l.method, err)
	}
	defer cb.close()
	if err := start(ctx, cb.url); err != nil {
		return err
	}
	return l.t.scrubWait(l.wait(ctx, cb, callback), l.token)
}

// wait shows the page beside the wait and serves callbacks until one ends
// the login, ctx ends, the token expires or the opener fails.
func (l *browserLogin) wait(ctx context.Context, cb *callbackServer, callback func(context.Context, url.Values) loginStep) error {
	openCtx, stopOpening := context.WithCancel(ctx)
	openerDone := make(chan error, 1)
	go func() {
		_, err := l.cfg.opener(openCtx, l.page)
		openerDone <- err
	}()
	opened := openerDone // nil once the opener returned
	defer func() {
		// The opener's words come before the login's result.
		stopOpening()
		if opened != nil {
			<-openerDone
		}
	}()
	var expired <-chan time.Time
	if !l.expires.IsZero() {
		timer := time.NewTimer(max(l.expires.Sub(l.t.h.e.s.now()), 0))
		defer timer.Stop()
		expired = timer.C
	}
	for {
		select {
		case <-ctx.Done():
			return waitStopped(l.method, ctx.Err(), l.attempts, nil)
		case <-expired:
			return fmt.Errorf("mediaauth: %s: the request token expired before the person approved it: %w", l.method, ErrRequestTokenNotApproved)
		case err := <-opened:
			opened = nil
			if err != nil {
				return fmt.Errorf("mediaauth: %s: showing the approval page: %w", l.method, err)
			}
		case <-cb.refusals:
			l.cfg.observe(WaitEvent{API: APITMDb, Attempt: l.attempts, Err: ErrCallbackRefused})
		case hit := <-cb.hits:
			step := callback(ctx, hit.query)
			hit.reply <- step.page
			if step.refused {
				l.cfg.observe(WaitEvent{API: APITMDb, Attempt: l.attempts, Err: ErrCallbackRefused})
			}
			if step.done {
				return step.err
			}
		}
	}
}

// exchanged takes the answer of an exchange of the request token: the
// credential cred (nil on error), err and the answer's status.
func (l *browserLogin) exchanged(ctx context.Context, status int, err error, cred Credential) loginStep {
	l.attempts++
	l.cfg.observe(WaitEvent{API: APITMDb, Attempt: l.attempts, StatusCode: status, Err: err})
	switch {
	case err == nil:
		return loginStep{page: pageDone(l.t.accountName(ctx, cred)), done: true}
	case errors.Is(err, ErrApprovalDenied):
		return loginStep{page: pageDenied, done: true, err: err}
	case errors.Is(err, ErrRequestTokenNotApproved):
		return loginStep{page: pageNotApproved}
	}
	return loginStep{page: pageFailed, done: true, err: err}
}

// denied ends a login whose callback says the user denied it.
func (l *browserLogin) denied() loginStep {
	err := fmt.Errorf("mediaauth: %s: %w on TMDb's page", l.method, ErrApprovalDenied)
	return loginStep{page: pageDenied, done: true, err: err}
}

// accountName reads the username of the account cred belongs to, for the
// page after the approval; "" when TMDb does not say within 5 seconds.
func (t *TMDb) accountName(ctx context.Context, cred Credential) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	var acct struct {
		Username string `json:"username"`
	}
	if err := t.With(cred).Do(ctx, http.MethodGet, "/3/account", nil, &acct); err != nil {
		return ""
	}
	return acct.Username
}

// sameSecret compares two secrets in constant time.
func sameSecret(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// callbackServer is a browser login's loopback server: the browser comes
// back to http://127.0.0.1:PORT/callback/STATE.
type callbackServer struct {
	url   string // the redirect URL TMDb sends the browser to
	host  string // the Host header the browser sends: 127.0.0.1:PORT
	state string
	srv   *http.Server
	hits  chan *callbackHit
	// refusals reports callbacks the server refused itself (another Host
	// or state); it never blocks the server.
	refusals chan struct{}
	done     chan struct{} // closed when the login stops listening
}

// callbackHit is a callback of this login, waiting for the page it gets.
type callbackHit struct {
	query url.Values
	reply chan callbackPage
}

// listenCallback starts a callback server on port of 127.0.0.1 (0: any).
func listenCallback(port int) (*callbackServer, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("starting the callback server: %w", err)
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	cb := &callbackServer{
		host: ln.Addr().String(), state: hex.EncodeToString(b),
		hits: make(chan *callbackHit), refusals: make(chan struct{}, 16), done: make(chan struct{}),
	}
	cb.url = "http://" + cb.host + "/callback/" + cb.state
	mux := http.NewServeMux()
	mux.HandleFunc("GET /callback/{state}", cb.serve)
	cb.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = cb.srv.Serve(ln) }()
	return cb, nil
}

// serve answers one callback: its own with the page the login decides,
// any other with a 400 page.
func (cb *callbackServer) serve(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Host, cb.host) || !sameSecret(r.PathValue("state"), cb.state) {
		select {
		case cb.refusals <- struct{}{}:
		default:
		}
		writeCallbackPage(w, pageRefused)
		return
	}
	hit := &callbackHit{query: r.URL.Query(), reply: make(chan callbackPage, 1)}
	select {
	case cb.hits <- hit:
	case <-cb.done:
		writeCallbackPage(w, pageGone)
		return
	case <-r.Context().Done():
		return
	}
	writeCallbackPage(w, <-hit.reply)
}

// close stops the server, leaving a second for the last page to go out.
func (cb *callbackServer) close() {
	close(cb.done)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = cb.srv.Shutdown(ctx)
}

// callbackPage is a page the browser gets back.
type callbackPage struct {
	status         int
	title, message string
}

var (
	pageRefused = callbackPage{http.StatusBadRequest, "Not for this login",
		"This address is not the one the waiting TMDb login gave TMDb. Nothing was done."}
	pageNotApproved = callbackPage{http.StatusBadRequest, "Not approved yet",
		"TMDb says the login is not approved yet. Approve it on TMDb's page."}
	pageDenied = callbackPage{http.StatusOK, "TMDb login denied",
		"You denied the login to your TMDb account: the application got no access. You can close this page."}
	pageFailed = callbackPage{http.StatusBadGateway, "TMDb login failed",
		"The login to TMDb failed; the application says why. You can close this page."}
	pageGone = callbackPage{http.StatusGone, "Login over",
		"The TMDb login this page belongs to is over. You can close this page."}
)

// pageDone is the page after the approval, naming the account when known.
func pageDone(account string) callbackPage {
	if account == "" {
		return callbackPage{http.StatusOK, "Logged in to TMDb",
			"You are logged in to TMDb. You can close this page and go back to the application."}
	}
	return callbackPage{http.StatusOK, "Logged in to TMDb as " + account,
		"You are logged in to TMDb as " + account + ". You can close this page and go back to the application."}
}

var callbackTemplate = template.Must(template.New("callback").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<title>{{.Title}}</title>
<style>body { font-family: system-ui, sans-serif; max-width: 34em; margin: 4em auto; padding: 0 1em; }</style>
</head><body><h1>{{.Title}}</h1><p>{{.Message}}</p></body></html>
`))

// writeCallbackPage writes p, with headers that keep it out of caches,
// frames and referrers.
func writeCallbackPage(w http.ResponseWriter, p callbackPage) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(p.status)
	_ = callbackTemplate.Execute(w, struct{ Title, Message string }{p.title, p.message})
}
