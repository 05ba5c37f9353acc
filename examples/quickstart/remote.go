package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// fakeHooks is what the flows ask of the fake beyond the APIs: the
// emails it sent and the user's clicks. The in-process
// *mediaauthtest.Server answers them through its handles (localFake); a
// running "mediaauth fake" (remoteFake) through its pages.
type fakeHooks interface {
	lastMoviesEmail(address string) (mediaauthtest.Email, bool)
	approveTMDb(token string) error
}

// fake returns the fake the flows run against, or nil against real
// services.
func (e *env) fake() fakeHooks {
	switch {
	case e.srv != nil:
		return localFake{e.srv}
	case e.remote != nil:
		return e.remote
	}
	return nil
}

// localFake is an in-process fake: its handles answer the hooks.
type localFake struct{ srv *mediaauthtest.Server }

// lastMoviesEmail reads the newest email the fake sent to address.
func (l localFake) lastMoviesEmail(address string) (mediaauthtest.Email, bool) {
	return l.srv.Movies.LastEmail(address)
}

// approveTMDb approves a TMDb request token as the fake's demo user.
func (l localFake) approveTMDb(token string) error { return l.srv.TMDb.Approve(token) }

// remoteFake is a fake started elsewhere with "mediaauth fake", at url. It
// plays the user on the fake's web pages: the approval and confirm pages,
// and the outbox of Movies API emails.
type remoteFake struct {
	url string
	hc  *http.Client
}

func newRemoteFake(rawURL string) *remoteFake {
	return &remoteFake{
		url: strings.TrimRight(rawURL, "/"),
		hc: &http.Client{
			Timeout: 10 * time.Second,
			// The approval pages send the browser to redirect_to, an
			// address made up for the walk-through: do not follow it.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// client returns a client wired to the fake's three APIs and approval
// pages, with its TMDb API key, then opts.
func (r *remoteFake) client(opts ...mediaauth.Option) (*mediaauth.Client, error) {
	base := []mediaauth.Option{
		mediaauth.WithMoviesBaseURL(r.url + mediaauthtest.MoviesPrefix),
		mediaauth.WithTVmazeBaseURL(r.url + mediaauthtest.TVmazePrefix),
		mediaauth.WithTMDbBaseURL(r.url),
		mediaauth.WithTMDbSiteURL(r.url),
		mediaauth.WithCredentials(mediaauth.TMDbAPIKey(mediaauthtest.DemoTMDbAPIKey)),
	}
	return mediaauth.New(append(base, opts...)...)
}

// lastMoviesEmail reads the newest email the fake sent to address from
// its outbox.
func (r *remoteFake) lastMoviesEmail(address string) (mediaauthtest.Email, bool) {
	resp, err := r.hc.Get(r.url + mediaauthtest.FakeEmailsPath + "?to=" + url.QueryEscape(address))
	if err != nil {
		return mediaauthtest.Email{}, false
	}
	defer resp.Body.Close()
	var out struct {
		Emails []struct {
			To    string `json:"to"`
			Kind  string `json:"kind"`
			Token string `json:"token"`
		} `json:"emails"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil || len(out.Emails) == 0 {
		return mediaauthtest.Email{}, false
	}
	last := out.Emails[len(out.Emails)-1]
	return mediaauthtest.Email{To: last.To, Kind: last.Kind, Token: last.Token}, true
}

// approveTMDb presses Approve on the fake's approval page of token: the v3
// page, or the v4 page for a v4 request token.
func (r *remoteFake) approveTMDb(token string) error {
	status, err := r.post(r.url+"/authenticate/"+url.PathEscape(token), url.Values{"action": {"approve"}})
	if err == nil && status == http.StatusNotFound {
		status, err = r.post(r.url+"/auth/access", url.Values{"action": {"approve"}, "request_token": {token}})
	}
	if err != nil {
		return err
	}
	if status != http.StatusOK && status != http.StatusFound {
		return fmt.Errorf("the approval page answered %d", status)
	}
	return nil
}

// confirm presses Confirm on TVmaze's confirm page.
func (r *remoteFake) confirm(ctx context.Context, confirmURL string) error {
	if !strings.HasPrefix(confirmURL, r.url+"/") {
		return fmt.Errorf("the confirm URL is not the fake's: %q", confirmURL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, confirmURL, nil)
	if err != nil {
		return err
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the confirm page answered %d", resp.StatusCode)
	}
	return nil
}

// post submits a form, as a browser's button does.
func (r *remoteFake) post(target string, form url.Values) (int, error) {
	resp, err := r.hc.Post(target, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
