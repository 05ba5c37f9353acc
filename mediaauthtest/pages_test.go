package mediaauthtest_test

import (
	"context"
	"errors"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// browser plays a web browser on the fake's pages: it sends Accept:
// text/html, reads forms and does not follow redirects, so that the tests
// see where a page sends it.
type browser struct {
	t  *testing.T
	hc *http.Client
}

func newBrowser(t *testing.T, srv *mediaauthtest.Server) *browser {
	hc := *srv.HTTPClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: t, hc: &hc}
}

// page is a page the browser got.
type page struct {
	status   int
	location string
	body     string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	resp, err := b.hc.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(data)}
}

func (b *browser) get(rawURL string) page {
	b.t.Helper()
	req, err := http.NewRequestWithContext(b.t.Context(), http.MethodGet, rawURL, nil)
	require.NoError(b.t, err)
	return b.do(req)
}

var (
	formAction  = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	buttonRE    = regexp.MustCompile(`<button type="submit" name="action" value="([^"]*)">`)
)

// press submits the form of p, which was served at pageURL, with the
// button whose value is action.
func (b *browser) press(pageURL string, p page, action string) page {
	b.t.Helper()
	m := formAction.FindStringSubmatch(p.body)
	require.NotNil(b.t, m, "no form in:\n%s", p.body)
	var buttons []string
	for _, bm := range buttonRE.FindAllStringSubmatch(p.body, -1) {
		buttons = append(buttons, bm[1])
	}
	require.Contains(b.t, buttons, action, "no %q button in:\n%s", action, p.body)
	form := url.Values{"action": {action}}
	for _, h := range hiddenInput.FindAllStringSubmatch(p.body, -1) {
		form.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
	}
	base, err := url.Parse(pageURL)
	require.NoError(b.t, err)
	target, err := base.Parse(html.UnescapeString(m[1]))
	require.NoError(b.t, err)
	req, err := http.NewRequestWithContext(b.t.Context(), http.MethodPost, target.String(), strings.NewReader(form.Encode()))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func pagesFake(t *testing.T, opts ...mediaauthtest.Option) (*mediaauthtest.Server, *mediaauth.Client) {
	t.Helper()
	srv := mediaauthtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	c, err := srv.Client(mediaauth.WithCredentials(mediaauth.TMDbReadAccessToken(mediaauthtest.DemoTMDbReadAccessToken)))
	require.NoError(t, err)
	return srv, c
}

func TestTMDbApprovalPageApproveRedirects(t *testing.T) {
	t.Parallel()
	srv, c := pagesFake(t)
	ctx := t.Context()
	rt, err := c.TMDb.CreateRequestToken(ctx)
	require.NoError(t, err)
	pageURL := c.TMDb.AuthenticateURL(*rt, "http://127.0.0.1:9/callback/st?x=1")
	require.True(t, strings.HasPrefix(pageURL, srv.TMDb.SiteURL()+"/authenticate/"), pageURL)

	b := newBrowser(t, srv)
	p := b.get(pageURL)
	require.Equal(t, http.StatusOK, p.status, p.body)
	assert.Contains(t, p.body, ">Approve<")
	assert.Contains(t, p.body, ">Deny<")
	assert.Contains(t, p.body, "demo")

	p = b.press(pageURL, p, "approve")
	require.Equal(t, http.StatusFound, p.status, p.body)
	loc, err := url.Parse(p.location)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:9", loc.Host)
	assert.Equal(t, "/callback/st", loc.Path)
	assert.Equal(t, url.Values{"x": {"1"}, "request_token": {rt.Token}, "approved": {"true"}}, loc.Query())
	assert.True(t, strings.HasPrefix(loc.RawQuery, "x=1&"), "the redirect keeps its own query first: %s", loc.RawQuery)

	sess, err := c.TMDb.CreateSession(ctx, *rt)
	require.NoError(t, err)
	assert.True(t, srv.TMDb.SessionValid(sess.ID))
	// A used token has no page any more.
	assert.Equal(t, http.StatusNotFound, b.get(pageURL).status)
}

func TestTMDbApprovalPageDenyRedirects(t *testing.T) {
	t.Parallel()
	srv, c := pagesFake(t)
	ctx := t.Context()
	rt, err := c.TMDb.CreateRequestToken(ctx)
	require.NoError(t, err)
	pageURL := c.TMDb.AuthenticateURL(*rt, "https://app.example/done")
	b := newBrowser(t, srv)
	p := b.press(pageURL, b.get(pageURL), "deny")
	require.Equal(t, http.StatusFound, p.status, p.body)
	loc, err := url.Parse(p.location)
	require.NoError(t, err)
	assert.Equal(t, "https://app.example/done", loc.Scheme+"://"+loc.Host+loc.Path)
	assert.Equal(t, url.Values{"request_token": {rt.Token}, "denied": {"true"}}, loc.Query())

	_, err = c.TMDb.CreateSession(ctx, *rt)
	assert.ErrorIs(t, err, mediaauth.ErrSessionDenied)
}

func TestTMDbApprovalPageWithoutRedirect(t *testing.T) {
	t.Parallel()
	srv, c := pagesFake(t)
	rt, err := c.TMDb.CreateRequestToken(t.Context())
	require.NoError(t, err)
	pageURL := c.TMDb.AuthenticateURL(*rt, "")
	b := newBrowser(t, srv)
	p := b.press(pageURL, b.get(pageURL), "approve")
	require.Equal(t, http.StatusOK, p.status)
	assert.Contains(t, p.body, "<h1>Approved</h1>")
	_, err = c.TMDb.CreateSession(t.Context(), *rt)
	require.NoError(t, err)
}

func TestTMDbApprovalPageRefusals(t *testing.T) {
	t.Parallel()
	srv, c := pagesFake(t)
	ctx := t.Context()
	rt, err := c.TMDb.CreateRequestToken(ctx)
	require.NoError(t, err)
	v4, err := c.TMDb.CreateV4RequestToken(ctx, "")
	require.NoError(t, err)
	b := newBrowser(t, srv)

	assert.Equal(t, http.StatusNotFound, b.get(srv.TMDb.SiteURL()+"/authenticate/not-a-token").status)
	assert.Equal(t, http.StatusNotFound, b.get(c.TMDb.AuthenticateURL(mediaauth.RequestToken{Token: v4.Token}, "")).status, "a v4 token has no v3 page")
	assert.Equal(t, http.StatusNotFound, b.get(c.TMDb.V4ApprovalURL(mediaauth.TMDbV4RequestToken{Token: rt.Token})).status, "a v3 token has no v4 page")
	assert.Equal(t, http.StatusNotFound, b.get(srv.TMDb.SiteURL()+"/auth/access").status)
	assert.Equal(t, http.StatusBadRequest, b.get(c.TMDb.AuthenticateURL(*rt, "javascript:alert(1)")).status)

	pageURL := c.TMDb.AuthenticateURL(*rt, "")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, pageURL, strings.NewReader("action=steal"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	assert.Equal(t, http.StatusBadRequest, b.do(req).status)
	_, err = c.TMDb.CreateSession(ctx, *rt)
	assert.ErrorIs(t, err, mediaauth.ErrRequestTokenNotApproved, "nothing was approved")
}

func TestTMDbV4ApprovalPage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		action   string
		redirect string
	}{
		{"approve", "http://127.0.0.1:9/callback/state-1"},
		{"deny", "http://127.0.0.1:9/callback/state-2"},
		{"approve", ""},
	} {
		t.Run(tt.action+"/"+tt.redirect, func(t *testing.T) {
			t.Parallel()
			srv, c := pagesFake(t)
			ctx := t.Context()
			rt, err := c.TMDb.CreateV4RequestToken(ctx, tt.redirect)
			require.NoError(t, err)
			pageURL := c.TMDb.V4ApprovalURL(mediaauth.TMDbV4RequestToken{Token: rt.Token})
			require.True(t, strings.HasPrefix(pageURL, srv.TMDb.SiteURL()+"/auth/access?request_token="), pageURL)
			b := newBrowser(t, srv)
			p := b.get(pageURL)
			require.Equal(t, http.StatusOK, p.status, p.body)
			p = b.press(pageURL, p, tt.action)
			if tt.redirect != "" {
				require.Equal(t, http.StatusFound, p.status, p.body)
				assert.Equal(t, tt.redirect, p.location, "v4 sends the browser to redirect_to as given")
			} else {
				require.Equal(t, http.StatusOK, p.status)
			}
			tok, err := c.TMDb.CreateV4AccessToken(ctx, *rt)
			if tt.action == "deny" {
				assert.ErrorIs(t, err, mediaauth.ErrInvalidRequestToken)
				return
			}
			require.NoError(t, err)
			assert.True(t, srv.TMDb.AccessTokenValid(tok.AccessToken))
		})
	}
}

func TestTVmazeConfirmPage(t *testing.T) {
	t.Parallel()
	srv, c := pagesFake(t, mediaauthtest.WithTVmazeMinPollInterval(time.Nanosecond))
	ctx := t.Context()
	ar, err := c.TVmaze.StartAuth(ctx, mediaauthtest.DemoTVmazeEmail, mediaauth.WithoutEmailConfirmation())
	require.NoError(t, err)
	b := newBrowser(t, srv)

	// A browser gets a page with a button; opening it confirms nothing.
	p := b.get(ar.ApprovalURL)
	require.Equal(t, http.StatusOK, p.status, p.body)
	assert.Contains(t, p.body, ">Confirm<")
	_, err = c.TVmaze.PollAuth(ctx, *ar)
	require.ErrorIs(t, err, mediaauth.ErrAuthorizationPending)

	p = b.press(ar.ApprovalURL, p, "confirm")
	require.Equal(t, http.StatusOK, p.status, p.body)
	assert.Contains(t, p.body, "<h1>Confirmed</h1>")
	creds, err := c.TVmaze.PollAuth(ctx, *ar)
	require.NoError(t, err)
	assert.Equal(t, mediaauthtest.DemoTVmazeUsername, creds.Username)

	// The request is gone once its key was handed out.
	assert.Equal(t, http.StatusNotFound, b.get(ar.ApprovalURL).status)
}

// handedOut runs the same requests against a new server and returns what
// it handed out.
func handedOut(t *testing.T, opts ...mediaauthtest.Option) []string {
	t.Helper()
	srv, c := pagesFake(t, opts...)
	ctx := t.Context()
	rt, err := c.TMDb.CreateRequestToken(ctx)
	require.NoError(t, err)
	require.NoError(t, srv.TMDb.Approve(rt.Token))
	sess, err := c.TMDb.CreateSession(ctx, *rt)
	require.NoError(t, err)
	v4, err := c.TMDb.CreateV4RequestToken(ctx, "")
	require.NoError(t, err)
	ar, err := c.TVmaze.StartAuth(ctx, mediaauthtest.DemoTVmazeEmail)
	require.NoError(t, err)
	u, err := c.Movies.Register(ctx, mediaauth.RegisterRequest{Username: "seeded", Email: "seeded@example.com", Password: "pw-123456789"})
	require.NoError(t, err)
	verify, _ := srv.Movies.VerificationToken("seeded@example.com")
	require.NoError(t, c.Movies.VerifyEmail(ctx, verify))
	tok, err := c.Movies.Login(ctx, "seeded", "pw-123456789")
	require.NoError(t, err)
	key, err := c.With(tok).Movies.GenerateAPIKey(ctx)
	require.NoError(t, err)
	return []string{rt.Token, sess.ID, v4.Token, ar.Token, u.ID, verify, key.Key}
}

func TestWithSeedReproducesTokens(t *testing.T) {
	t.Parallel()
	a := handedOut(t, mediaauthtest.WithSeed(42))
	b := handedOut(t, mediaauthtest.WithSeed(42))
	assert.Equal(t, a, b)
	other := handedOut(t, mediaauthtest.WithSeed(43))
	random := handedOut(t)
	for i := range a {
		assert.NotEqual(t, a[i], other[i])
		assert.NotEqual(t, a[i], random[i])
		assert.Regexp(t, `^(usr_|vrf_|mk_)?[0-9a-f]{16,48}$`, a[i])
	}
}

func TestWithListener(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := mediaauthtest.NewServer(mediaauthtest.WithListener(l))
	assert.Equal(t, "http://"+l.Addr().String(), srv.URL)
	assert.Equal(t, srv.URL, srv.TMDb.SiteURL())
	c, err := srv.Client()
	require.NoError(t, err)
	require.NoError(t, c.TMDb.Validate(t.Context()))
	srv.Close()

	// Close closed the listener: the port takes no connection now.
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	err = c.TMDb.Validate(ctx)
	require.Error(t, err)
	assert.True(t, errors.Is(err, mediaauth.ErrNetwork), "%v", err)
}
