package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// runTVmaze logs in to TVmaze the device way: it starts an authentication
// request, polls until the user confirms it, validates the API key it got,
// reads the user's followed shows through HTTPClient, and shows that the
// key is handed out only once.
func runTVmaze(ctx context.Context, e *env) error {
	if e.fake == nil {
		return skip("a person must confirm a real TVmaze login: run go run ./examples/tvmaze-login -real")
	}
	c := e.client
	tvmaze := c.TVmaze

	// Start: TVmaze would email the user; here it returns a URL to open.
	req, err := tvmaze.StartAuth(ctx, mediaauthtest.DemoTVmazeEmail, mediaauth.WithoutEmailConfirmation())
	if err := e.check("start auth request", err, c, req); err != nil {
		return err
	}
	e.report("for %s: poll token %s, confirm URL %s", mediaauthtest.DemoTVmazeEmail, preview(req.Token), req.ApprovalURL)
	how, err := e.fake.confirmTVmaze(ctx, req.ApprovalURL)
	if err != nil {
		return fmt.Errorf("confirm: %w", err)
	}

	// Poll until confirmed, faster than TVmaze's 10 s (the fake allows
	// it); the observer prints each attempt.
	e.stepf("poll until confirmed", "every %s (%s):", e.tvmazeInterval, how)
	creds, err := tvmaze.PollUntilConfirmed(ctx, *req,
		mediaauth.WithPollInterval(e.tvmazeInterval), mediaauth.WithWaitObserver(e.pollProgress))
	if err := e.check("confirmed", err, creds); err != nil {
		return err
	}
	e.report("username %q, API key %s (printed as %v)", creds.Username, preview(creds.APIKey), creds)

	// The credentials are HTTP Basic: validate them.
	user := tvmaze.With(creds)
	level, err := user.Validate(ctx)
	if err := e.check("validate credentials", err, user, level); err != nil {
		return err
	}
	e.report("GET /auth/validate with Basic auth: premium level %s", level)

	ids, err := followedShows(user)
	if err := e.check("followed shows", err); err != nil {
		return err
	}
	e.report("GET /user/follows/shows through TVmaze.HTTPClient: show ids %s", ids)

	// The key is handed out once: polling again is refused.
	_, err = tvmaze.PollAuth(ctx, *req)
	return e.refused("poll again", err, mediaauth.ErrAuthRequestNotFound)
}

// followedShows reads the rest of the API with the same credentials: an
// *http.Client that adds them, shares the TVmaze rate limit and keeps them
// on TVmaze, and CheckResponse for the errors the typed calls return. The
// fake's demo user follows a few shows.
func followedShows(user *mediaauth.TVmaze) (string, error) {
	resp, err := user.HTTPClient().Get(user.BaseURL() + "/user/follows/shows")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if err := mediaauth.CheckResponse(mediaauth.APITVmaze, resp); err != nil {
		return "", err
	}
	var follows []struct {
		ShowID int `json:"show_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&follows); err != nil {
		return "", err
	}
	ids := make([]string, len(follows))
	for i, f := range follows {
		ids[i] = strconv.Itoa(f.ShowID)
	}
	return strings.Join(ids, ", "), nil
}

// pollProgress prints one attempt of PollUntilConfirmed.
func (e *env) pollProgress(ev mediaauth.WaitEvent) {
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
