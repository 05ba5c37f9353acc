package mediaauth_test

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// browserPage is a page a played browser got.
type browserPage struct {
	url    string
	status int
	body   string
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	formHidden = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// playBrowser opens the fake's approval page, presses the button whose
// value is action, and follows the redirect back to the login's callback,
// as a browser would. It returns the last page.
func playBrowser(page, action string) (browserPage, error) {
	hc := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) (*http.Response, string, error) {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Accept", "text/html")
		resp, err := hc.Do(req)
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, string(b), err
	}
	_, body, err := get(page)
	if err != nil {
		return browserPage{}, err
	}
	m := formAction.FindStringSubmatch(body)
	if m == nil {
		return browserPage{}, errors.New("no form on " + page)
	}
	form := url.Values{"action": {action}}
	for _, h := range formHidden.FindAllStringSubmatch(body, -1) {
		form.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
	}
	base, _ := url.Parse(page)
	target, _ := base.Parse(html.UnescapeString(m[1]))
	resp, err := hc.PostForm(target.String(), form)
	if err != nil {
		return browserPage{}, err
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		return browserPage{}, errors.New("no redirect after the button")
	}
	resp, body, err = get(loc.String())
	if err != nil {
		return browserPage{}, err
	}
	return browserPage{url: loc.String(), status: resp.StatusCode, body: body}, nil
}

// browserOpener returns an opener that plays the browser in the
// background, pressing action; the last page arrives on the channel.
func browserOpener(action string) (mediaauth.WaitOption, <-chan browserPage) {
	pages := make(chan browserPage, 1)
	return mediaauth.WithPageOpener(func(_ context.Context, page string) (bool, error) {
		go func() {
			p, err := playBrowser(page, action)
			if err != nil {
				p.body = err.Error()
			}
			pages <- p
		}()
		return true, nil
	}), pages
}

// browserLogins are the two browser logins, returning the credential.
var browserLogins = map[string]func(ctx context.Context, c *mediaauth.Client, opts ...mediaauth.WaitOption) (mediaauth.Credential, error){
	"v3": func(ctx context.Context, c *mediaauth.Client, opts ...mediaauth.WaitOption) (mediaauth.Credential, error) {
		return c.TMDb.LoginInBrowser(ctx, opts...)
	},
	"v4": func(ctx context.Context, c *mediaauth.Client, opts ...mediaauth.WaitOption) (mediaauth.Credential, error) {
		return c.TMDb.LoginInBrowserV4(ctx, opts...)
	},
}

// TestLoginInBrowser runs both browser logins against the fake with an
// opener that plays the browser: the credential is the approver's, and
// the page the browser comes back to names TMDb and the account.
func TestLoginInBrowser(t *testing.T) {
	t.Parallel()
	for name, login := range browserLogins {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv, c := flowFake(t)
			open, pages := browserOpener("approve")
			var events []mediaauth.WaitEvent
			cred, err := login(t.Context(), c, open, mediaauth.WithWaitObserver(func(ev mediaauth.WaitEvent) { events = append(events, ev) }))
			require.NoError(t, err)
			p := <-pages
			assert.Equal(t, http.StatusOK, p.status, p.body)
			assert.Contains(t, p.body, "<h1>Logged in to TMDb as demo</h1>")
			cb, err := url.Parse(p.url)
			require.NoError(t, err)
			assert.Equal(t, "127.0.0.1", cb.Hostname())
			assert.Regexp(t, `^/callback/[0-9a-f]{32}$`, cb.Path)
			switch cred := cred.(type) {
			case *mediaauth.Session:
				assert.True(t, srv.TMDb.SessionValid(cred.ID))
				assert.Equal(t, "true", cb.Query().Get("approved"))
			case *mediaauth.TMDbAccessToken:
				assert.True(t, srv.TMDb.AccessTokenValid(cred.AccessToken))
				assert.Equal(t, mediaauthtest.DemoTMDbV4AccountID, cred.AccountID)
			default:
				t.Fatalf("credential %T", cred)
			}
			assert.Equal(t, []mediaauth.WaitEvent{{API: mediaauth.APITMDb, Attempt: 1, StatusCode: http.StatusOK}}, events)
			_, err = http.Get(p.url)
			assert.Error(t, err, "the callback server is shut down")
		})
	}
}

// TestLoginInBrowserDenied: a denial ends either login with
// ErrApprovalDenied, and the browser gets a page that says so.
func TestLoginInBrowserDenied(t *testing.T) {
	t.Parallel()
	for name, login := range browserLogins {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv, c := flowFake(t)
			open, pages := browserOpener("deny")
			cred, err := login(t.Context(), c, open)
			require.ErrorIs(t, err, mediaauth.ErrApprovalDenied)
			assert.Nil(t, cred)
			assert.Contains(t, err.Error(), "the person denied the login on TMDb's page")
			p := <-pages
			assert.Contains(t, p.body, "<h1>TMDb login denied</h1>")
			assert.Zero(t, srv.RequestCount(http.MethodPost, "/3/authentication/session/new"))
		})
	}
}

// TestLoginInBrowserRefusesForeignCallbacks: a request to the callback
// with another Host header (DNS rebinding), another state or another
// request token gets 400, is reported, and the login goes on to succeed.
func TestLoginInBrowserRefusesForeignCallbacks(t *testing.T) {
	t.Parallel()
	srv, c := flowFake(t)
	var mu sync.Mutex
	var statuses []int
	var refused int
	open := mediaauth.WithPageOpener(func(_ context.Context, page string) (bool, error) {
		go func() {
			u, _ := url.Parse(page)
			cb, _ := url.Parse(u.Query().Get("redirect_to"))
			token := strings.TrimPrefix(u.Path, "/authenticate/")
			good := cb.String() + "?request_token=" + token + "&approved=true"
			for _, try := range []struct{ target, host string }{
				{good, "evil.example:" + cb.Port()},                                                   // DNS rebinding: right state, wrong Host
				{strings.Replace(good, cb.Path, "/callback/00112233445566778899aabbccddeeff", 1), ""}, // another state
				{cb.String() + "?request_token=another-token&approved=true", ""},                      // another token
			} {
				req, _ := http.NewRequest(http.MethodGet, try.target, nil)
				if try.host != "" {
					req.Host = try.host
				}
				resp, err := http.DefaultClient.Do(req)
				if assert.NoError(t, err) {
					resp.Body.Close()
					mu.Lock()
					statuses = append(statuses, resp.StatusCode)
					mu.Unlock()
				}
			}
			_, err := playBrowser(page, "approve")
			assert.NoError(t, err)
		}()
		return true, nil
	})
	sess, err := c.TMDb.LoginInBrowser(t.Context(), open, mediaauth.WithWaitObserver(func(ev mediaauth.WaitEvent) {
		if errors.Is(ev.Err, mediaauth.ErrCallbackRefused) {
			refused++
		}
	}))
	require.NoError(t, err)
	assert.True(t, srv.TMDb.SessionValid(sess.ID))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []int{http.StatusBadRequest, http.StatusBadRequest, http.StatusBadRequest}, statuses)
	assert.Equal(t, 3, refused)
	assert.Equal(t, 1, srv.RequestCount(http.MethodPost, "/3/authentication/session/new"), "only its own callback reached TMDb")
}

// TestLoginInBrowserEnds: the login ends when ctx ends, and when the
// opener could not show the page, each time without the request token in
// the error and with the callback server shut down.
func TestLoginInBrowserEnds(t *testing.T) {
	t.Parallel()
	_, c := flowFake(t)
	var page string
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := c.TMDb.LoginInBrowser(ctx, mediaauth.WithPageOpener(func(_ context.Context, p string) (bool, error) {
		page = p
		return false, nil
	}))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "mediaauth: TMDb.LoginInBrowser: stopped after 0 attempts")
	u, _ := url.Parse(page)
	_, err = http.Get(u.Query().Get("redirect_to"))
	assert.Error(t, err, "the callback server is shut down")

	_, err = c.TMDb.LoginInBrowserV4(t.Context(), mediaauth.WithPageOpener(func(_ context.Context, p string) (bool, error) {
		return false, errors.New("cannot show " + p)
	}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "mediaauth: TMDb.LoginInBrowserV4: showing the approval page: cannot show")
	assert.Regexp(t, `request_token=\[REDACTED\]`, err.Error(), "the page, without the token")
}

// A browser login to TMDb against the fake. A real program gives no opener
// (or mediaauth.SystemBrowser()); this one plays the person who presses
// Approve, after which TMDb sends the browser back to the login.
func ExampleTMDb_LoginInBrowser() {
	srv := mediaauthtest.NewServer()
	defer srv.Close()
	client, err := srv.Client()
	if err != nil {
		log.Fatal(err)
	}
	approve := func(_ context.Context, page string) (bool, error) {
		u, err := url.Parse(page)
		if err != nil {
			return false, err
		}
		token := path.Base(u.Path)
		go func() {
			if srv.TMDb.Approve(token) != nil {
				return
			}
			resp, err := http.Get(u.Query().Get("redirect_to") + "?request_token=" + token + "&approved=true")
			if err == nil {
				resp.Body.Close()
			}
		}()
		return true, nil
	}
	sess, err := client.TMDb.LoginInBrowser(context.Background(), mediaauth.WithPageOpener(approve))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("session valid:", srv.TMDb.SessionValid(sess.ID))
	// Output: session valid: true
}
