package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mediaauth/mediaauth"
)

const loginTVmazeUsage = `
Usage: mediaauth login tvmaze --email ADDRESS [--web] [--poll-interval D]

Logs in to TVmaze without a password. TVmaze sends a confirmation email to
ADDRESS (the address of your TVmaze account); open the link in it. With
--web, confirm on TVmaze's confirm page instead, opened in your browser
(you must be logged in to TVmaze there). The command waits for the
confirmation, polling TVmaze every 10 seconds as TVmaze asks, and shows its
progress: on a terminal one line that counts the time, elsewhere one line
per poll. Ctrl-C stops the wait at once, without another request (exit
status 130). The username and API key TVmaze hands out are stored; TVmaze
hands the key out once, so one that cannot be saved is kept in a file of
its own, which the error names.

Against "mediaauth fake", the confirmation emails are on the fake's outbox
page, /_fake/tvmaze/outbox.
`

// loginTVmaze is "mediaauth login tvmaze".
func (a *app) loginTVmaze(ctx context.Context, args []string) error {
	fs := a.flagSet("login tvmaze")
	email := fs.String("email", "", "the email address of your TVmaze account (asked for on a terminal)")
	web := fs.Bool("web", false, "confirm on TVmaze's confirm page, opened in your browser, instead of by email")
	interval := fs.Duration("poll-interval", mediaauth.DefaultPollInterval, "wait between two polls; under 10s only against a loopback (test) server")
	rest, err := a.parseAll(fs, args, loginTVmazeUsage)
	if err != nil {
		return err
	}
	if err := noArgs(fs, rest); err != nil {
		return err
	}
	if err := a.checkPollInterval(*interval); err != nil {
		return err
	}
	if *email == "" && !a.interactive() {
		return usagef("login tvmaze: give --email")
	}
	l, err := a.beginLogin(ctx, mediaauth.APITVmaze)
	if err != nil {
		return err
	}
	if *email == "" {
		if *email, err = a.prompt(ctx, "TVmaze account email: "); err != nil {
			return err
		}
		if *email == "" {
			return usagef("login tvmaze: no email address given")
		}
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	creds, err := a.confirmTVmaze(ctx, c, *email, *web, *interval)
	if err != nil {
		return err
	}
	where, err := l.finish(ctx, &mediaauth.StoredCredentials{API: mediaauth.APITVmaze, TVmaze: creds}, nil)
	if err != nil {
		return err
	}
	what := "API key"
	if level, err := c.With(creds).TVmaze.Validate(context.WithoutCancel(ctx)); err == nil {
		what += ", premium " + level.String()
	}
	l.saved(creds.Username, what, where)
	return nil
}

// confirmTVmaze starts an auth request for email and waits for the
// confirmation, showing the confirm page when web is set.
func (a *app) confirmTVmaze(ctx context.Context, c *mediaauth.Client, email string, web bool, interval time.Duration) (*mediaauth.TVmazeCredentials, error) {
	var opts []mediaauth.StartAuthOption
	if web {
		opts = append(opts, mediaauth.WithoutEmailConfirmation())
	}
	req, err := c.TVmaze.StartAuth(ctx, email, opts...)
	if err != nil {
		return nil, fail("starting the TVmaze login", mediaauth.APITVmaze, err)
	}
	if req.ApprovalURL == "" {
		fmt.Fprintf(a.sys.stderr, "TVmaze sent an email to %s: open the link in it to confirm the login.\n", email)
	}
	progress := newPollProgress(a.sys.stderr, a.sys.isTerminal(a.sys.stderr), interval)
	show := a.pageShower("Confirm the login on TVmaze's page (log in to TVmaze there first)", true)
	wait := []mediaauth.WaitOption{
		mediaauth.WithPollInterval(interval), mediaauth.WithWaitObserver(progress.observe),
		mediaauth.WithPageOpener(func(ctx context.Context, url string) (bool, error) {
			opened, err := show(ctx, url)
			fmt.Fprintln(a.sys.stderr, "Waiting for the confirmation (Ctrl-C to stop)...")
			progress.start()
			return opened, err
		}),
	}
	if req.ApprovalURL == "" {
		fmt.Fprintln(a.sys.stderr, "Waiting for the confirmation (Ctrl-C to stop)...")
		progress.start()
	}
	creds, err := c.TVmaze.PollUntilConfirmed(ctx, *req, wait...)
	progress.stop()
	switch {
	case creds != nil:
		return creds, nil
	case ctx.Err() != nil:
		return nil, errInterrupted
	}
	return nil, fail("waiting for the TVmaze confirmation", mediaauth.APITVmaze, err)
}

// checkPollInterval refuses, before anything is sent, a poll interval under
// TVmaze's 10 seconds against a TVmaze that is not a loopback test server.
func (a *app) checkPollInterval(d time.Duration) error {
	if d <= 0 {
		return usagef("login tvmaze: --poll-interval must be positive")
	}
	if d >= mediaauth.DefaultPollInterval {
		return nil
	}
	u, err := url.Parse(a.globals.tvmazeURL)
	if a.globals.tvmazeURL != "" && err == nil && isLoopbackHost(u.Hostname()) {
		return nil
	}
	return usagef("login tvmaze: --poll-interval %s is under TVmaze's 10 s minimum (allowed against a loopback test server only)", d)
}

// isLoopbackHost reports whether host is localhost or a loopback address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// pollProgress shows how PollUntilConfirmed is doing. On a terminal it
// rewrites one line (elapsed time, the next poll, the back-off after a
// 429) every quarter of a second; elsewhere it writes one line per poll.
type pollProgress struct {
	w    io.Writer
	live bool
	now  func() time.Time

	mu      sync.Mutex
	started time.Time
	next    time.Time // when the next poll is due
	attempt int       // polls so far
	note    string    // what the last poll said
	backoff bool      // the last poll was rate limited
	drawn   bool      // a live line is on screen

	stopTicker chan struct{}
	done       sync.WaitGroup
}

func newPollProgress(w io.Writer, live bool, interval time.Duration) *pollProgress {
	p := &pollProgress{w: w, live: live, now: time.Now}
	p.started = p.now()
	p.next = p.started.Add(interval)
	return p
}

// start begins the wait: it notes the time and, on a terminal, starts
// redrawing the line.
func (p *pollProgress) start() {
	p.mu.Lock()
	interval := p.next.Sub(p.started)
	p.started = p.now()
	p.next = p.started.Add(interval)
	p.mu.Unlock()
	if !p.live {
		return
	}
	p.stopTicker = make(chan struct{})
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		p.draw()
		for {
			select {
			case <-p.stopTicker:
				return
			case <-t.C:
				p.draw()
			}
		}
	}()
}

// stop ends the live line, leaving the last state on screen.
func (p *pollProgress) stop() {
	if !p.live || p.stopTicker == nil {
		return
	}
	close(p.stopTicker)
	p.done.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		p.render()
		fmt.Fprintln(p.w)
	}
}

// observe is the WithWaitObserver callback.
func (p *pollProgress) observe(ev mediaauth.WaitEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.attempt = ev.Attempt
	p.backoff = ev.StatusCode == http.StatusTooManyRequests
	p.next = now.Add(ev.NextPoll)
	switch {
	case ev.Err == nil:
		p.note = "confirmed"
	case errors.Is(ev.Err, mediaauth.ErrAuthorizationPending):
		p.note = "not confirmed yet"
	case p.backoff:
		p.note = "rate limited (HTTP 429)"
	case ev.NextPoll > 0:
		p.note = "failed, retrying"
	default:
		p.note = "failed"
	}
	if p.live {
		p.render()
		return
	}
	line := fmt.Sprintf("[%s] poll %d: %s", elapsed(now.Sub(p.started)), ev.Attempt, p.note)
	if ev.NextPoll > 0 {
		if p.backoff {
			line += fmt.Sprintf("; backing off, next poll in %s", ev.NextPoll)
		} else {
			line += fmt.Sprintf("; next poll in %s", ev.NextPoll)
		}
	}
	fmt.Fprintln(p.w, line)
}

// draw renders the live line now.
func (p *pollProgress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.render()
}

// render rewrites the live line; p.mu is held.
func (p *pollProgress) render() {
	now := p.now()
	line := "Waiting: " + elapsed(now.Sub(p.started)) + " elapsed"
	if p.attempt > 0 {
		line += fmt.Sprintf(", poll %d: %s", p.attempt, p.note)
	}
	if p.note != "confirmed" {
		wait := max(p.next.Sub(now), 0).Round(time.Second)
		if p.backoff {
			line += fmt.Sprintf(", backing off: next poll in %s", wait)
		} else {
			line += fmt.Sprintf(", next poll in %s", wait)
		}
	}
	fmt.Fprint(p.w, "\r\x1b[K"+line)
	p.drawn = true
}

// elapsed shows a duration as minutes and seconds: "0:07", "12:30".
func elapsed(d time.Duration) string {
	s := int(d / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
