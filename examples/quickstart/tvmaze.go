package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// The TVmaze walk-through's fake polls faster than TVmaze's 10 seconds and
// confirms the request by itself after one and a half intervals, between
// the first poll and the second, so that it takes about a second.
const tvmazeInterval = 500 * time.Millisecond

// runTVmaze logs in to TVmaze the device way: it starts an authentication
// request, polls until the user confirms it, validates the API key it got,
// and shows that the key is handed out only once.
func runTVmaze(ctx context.Context, e *env) error {
	if e.fake() == nil {
		return skip("a person must confirm a real TVmaze login: run go run ./examples/tvmaze-login -real")
	}
	interval := tvmazeInterval
	if e.remote != nil {
		interval = mediaauth.DefaultPollInterval // the fake's own rule unless -tvmaze-interval says otherwise
	}
	if e.cfg.tvmazeInterval > 0 {
		interval = e.cfg.tvmazeInterval
	}
	confirmAfter := interval * 3 / 2
	progress := func(ev mediaauth.WaitEvent) {
		line := fmt.Sprintf("      attempt %d: HTTP %d", ev.Attempt, ev.StatusCode)
		switch {
		case errors.Is(ev.Err, mediaauth.ErrAuthorizationPending):
			line += ", not confirmed yet"
		case ev.Err != nil:
			line += ": " + ev.Err.Error()
		default:
			line += ", confirmed"
		}
		if ev.NextPoll > 0 {
			line += ", next poll in " + strconv.FormatFloat(ev.NextPoll.Seconds(), 'f', -1, 64) + " s"
		}
		fmt.Fprintln(e.out, line)
	}
	opts := e.cfg.options
	wait := []mediaauth.WaitOption{mediaauth.WithPollInterval(interval), mediaauth.WithWaitObserver(progress)}
	var (
		c   *mediaauth.Client
		err error
		how = fmt.Sprintf("the fake confirms after %s", confirmAfter)
	)
	if e.remote != nil {
		// The running fake: the user confirms on its page.
		how = "the user confirmed on the confirm page"
		c, err = e.remote.client(opts...)
	} else {
		// A fake of its own: the shared one keeps TVmaze's real 10 s interval.
		local := mediaauthtest.NewServer(
			mediaauthtest.WithTVmazeMinPollInterval(interval),
			mediaauthtest.WithTVmazeAutoConfirm(confirmAfter),
		)
		defer local.Close()
		c, err = local.Client(opts...)
	}
	if err != nil {
		return fmt.Errorf("building the TVmaze client: %w", err)
	}
	e.keep(c)

	// Start: TVmaze would email the user; here it returns a URL to open.
	req, err := c.TVmaze.StartAuth(ctx, mediaauthtest.DemoTVmazeEmail, mediaauth.WithoutEmailConfirmation())
	e.keep(req, err)
	if err != nil {
		return fmt.Errorf("start auth: %w", err)
	}
	e.secret(req.Token)
	e.stepf("start auth request", "for %s: poll token %s, confirm URL %s", mediaauthtest.DemoTVmazeEmail, preview(req.Token), req.ApprovalURL)
	if e.remote != nil {
		if err := e.remote.confirm(ctx, req.ApprovalURL); err != nil {
			return fmt.Errorf("confirm: %w", err)
		}
	}

	// Poll until confirmed; the observer prints each attempt.
	e.stepf("poll until confirmed", "every %s (%s):", interval, how)
	creds, err := c.TVmaze.PollUntilConfirmed(ctx, *req, wait...)
	e.keep(creds, err)
	if err != nil {
		return fmt.Errorf("poll until confirmed: %w", err)
	}
	e.secret(creds.APIKey)
	e.stepf("confirmed", "username %q, API key %s (printed as %v)", creds.Username, preview(creds.APIKey), creds)

	// Validate the credentials with HTTP Basic.
	authed := c.With(creds)
	e.keep(authed)
	level, err := authed.TVmaze.Validate(ctx)
	e.keep(level, err)
	if err != nil {
		return fmt.Errorf("validate credentials: %w", err)
	}
	e.stepf("validate credentials", "GET /auth/validate with Basic auth: premium level %s", level)

	// The rest of the API with the same credentials: an *http.Client that
	// adds them, shares the TVmaze rate limit and keeps them on TVmaze. The
	// fake's demo user follows a few shows.
	resp, err := authed.TVmaze.HTTPClient().Get(authed.TVmaze.BaseURL() + "/user/follows/shows")
	e.keep(err)
	if err != nil {
		return fmt.Errorf("followed shows: %w", err)
	}
	var follows []struct {
		ShowID int `json:"show_id"`
	}
	err = mediaauth.CheckResponse(mediaauth.APITVmaze, resp)
	if err == nil {
		err = json.NewDecoder(resp.Body).Decode(&follows)
	}
	_ = resp.Body.Close()
	e.keep(err)
	if err != nil {
		return fmt.Errorf("followed shows: %w", err)
	}
	ids := make([]string, len(follows))
	for i, f := range follows {
		ids[i] = strconv.Itoa(f.ShowID)
	}
	e.stepf("followed shows", "GET /user/follows/shows through HTTPClient(APITVmaze): show ids %s", strings.Join(ids, ", "))

	// The key is handed out once: polling again is refused.
	_, err = c.TVmaze.PollAuth(ctx, *req)
	e.keep(err)
	if err := expectRefused(err, mediaauth.ErrAuthRequestNotFound, "the key was handed out twice"); err != nil {
		return fmt.Errorf("poll again: %w", err)
	}
	e.stepf("poll again", "%s", describe(err, "ErrAuthRequestNotFound"))
	return nil
}
