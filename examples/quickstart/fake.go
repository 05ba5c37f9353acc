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

// fake is what the flows ask of the fake beyond the APIs: a client, the
// emails it sent, and the user's clicks. The in-process
// *mediaauthtest.Server answers through its handles (localFake); a running
// "mediaauth fake" through its pages (remoteFake).
type fake interface {
	// client returns a client of the fake's three APIs, with opts.
	client(opts ...mediaauth.Option) (*mediaauth.Client, error)
	// lastEmail reads the newest email the fake sent to address.
	lastEmail(address string) (mediaauthtest.Email, bool)
	// approveTMDb approves a TMDb request token, v3 or v4, as its user.
	approveTMDb(token string) error
	// confirmTVmaze has the user confirm a TVmaze request, and says how.
	confirmTVmaze(ctx context.Context, confirmURL string) (how string, err error)
}

// localFake is the in-process fake. It lets TVmaze be polled every
// interval and confirms each request by itself after one and a half
// intervals, between the first poll and the second.
type localFake struct {
	srv          *mediaauthtest.Server
	confirmAfter time.Duration
}

func newLocalFake(interval time.Duration) *localFake {
	l := &localFake{confirmAfter: interval * 3 / 2}
	l.srv = mediaauthtest.NewServer(
		mediaauthtest.WithTVmazeMinPollInterval(interval),
		mediaauthtest.WithTVmazeAutoConfirm(l.confirmAfter),
	)
	return l
}

func (l *localFake) client(opts ...mediaauth.Option) (*mediaauth.Client, error) {
	return l.srv.Client(opts...)
}

func (l *localFake) lastEmail(address string) (mediaauthtest.Email, bool) {
	return l.srv.Movies.LastEmail(address)
}

func (l *localFake) approveTMDb(token string) error { return l.srv.TMDb.Approve(token) }

func (l *localFake) confirmTVmaze(context.Context, string) (string, error) {
	return fmt.Sprintf("the fake confirms after %s", l.confirmAfter), nil
}

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
func (r *remoteFake) lastEmail(address string) (mediaauthtest.Email, bool) {
	resp, err := r.hc.Get(r.url + mediaauthtest.FakeEmailsPath + "?to=" + url.QueryEscape(address))
	if err != nil {
		return mediaauthtest.Email{}, false
	}
	defer resp.Body.Close()
	var out struct {
		Emails []mediaauthtest.Email `json:"emails"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil || len(out.Emails) == 0 {
		return mediaauthtest.Email{}, false
	}
	return out.Emails[len(out.Emails)-1], true
}

// approveTMDb presses Approve on the fake's approval page of token: the v3
// page, or the v4 page for a v4 request token.
func (r *remoteFake) approveTMDb(token string) error {
	status, err := r.send(context.Background(), r.url+"/authenticate/"+url.PathEscape(token), url.Values{"action": {"approve"}})
	if err == nil && status == http.StatusNotFound {
		status, err = r.send(context.Background(), r.url+"/auth/access", url.Values{"action": {"approve"}, "request_token": {token}})
	}
	if err == nil && status != http.StatusOK && status != http.StatusFound {
		err = fmt.Errorf("the approval page answered %d", status)
	}
	return err
}

// confirmTVmaze presses Confirm on TVmaze's confirm page.
func (r *remoteFake) confirmTVmaze(ctx context.Context, confirmURL string) (string, error) {
	if !strings.HasPrefix(confirmURL, r.url+"/") {
		return "", fmt.Errorf("the confirm URL is not the fake's: %q", confirmURL)
	}
	status, err := r.send(ctx, confirmURL, nil)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("the confirm page answered %d", status)
	}
	return "the user confirmed on the confirm page", err
}

// send submits a form, as a browser's button does.
func (r *remoteFake) send(ctx context.Context, target string, form url.Values) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := r.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
