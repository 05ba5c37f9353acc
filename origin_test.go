package mediaauth_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
)

// TestRedirectEchoThenFailure: a same-origin redirect whose Location echoes
// the request's query (api_key, session_id), then a next hop that drops the
// connection or hangs past the deadline. Through HTTPClient (as it is, with
// CheckRedirect set to nil, and with its Transport in the caller's own
// http.Client) and through Do, no secret reaches the error, its chain or
// the log.
func TestRedirectEchoThenFailure(t *testing.T) {
	t.Parallel()
	for _, next := range []string{"drop", "hang"} {
		var hops atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hops.Add(1)%2 == 1 {
				http.Redirect(w, r, "/3/elsewhere?"+r.URL.RawQuery, http.StatusMovedPermanently)
				return
			}
			if next == "drop" {
				drop(t, w)
				return
			}
			<-r.Context().Done()
		}))
		t.Cleanup(srv.Close)
		var logs bytes.Buffer
		c := boundaryClient(t, srv.URL, mediaauth.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
			mediaauth.WithRetry(0, 0, 0))
		doors := map[string]func(ctx context.Context) error{
			"HTTPClient": func(ctx context.Context) error { return getAccount(ctx, c.TMDb.HTTPClient(), srv.URL) },
			"HTTPClient without CheckRedirect": func(ctx context.Context) error {
				hc := *c.TMDb.HTTPClient()
				hc.CheckRedirect = nil
				return getAccount(ctx, &hc, srv.URL)
			},
			"HTTPClient's Transport reused": func(ctx context.Context) error {
				return getAccount(ctx, &http.Client{Transport: c.TMDb.HTTPClient().Transport}, srv.URL)
			},
			"Do": func(ctx context.Context) error { return c.TMDb.Do(ctx, http.MethodGet, "/3/account", nil, &struct{}{}) },
		}
		for name, door := range doors {
			ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
			err := door(ctx)
			cancel()
			require.Error(t, err, name)
			assertNoSecret(t, next+" "+name, err, logs.String())
		}
		assert.Positive(t, hops.Load()/2, "the redirect was followed")
	}
}

// getAccount GETs TMDb's /3/account through hc.
func getAccount(ctx context.Context, hc *http.Client, base string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/3/account", nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return mediaauth.CheckResponse(mediaauth.APITMDb, resp)
}

// TestRedirectLocationHoldsCredential: a redirect whose Location holds a
// credential in its path or host is not followed, and neither the
// CheckResponse error nor the typed call's names it.
func TestRedirectLocationHoldsCredential(t *testing.T) {
	t.Parallel()
	for name, loc := range map[string]string{
		"bearer in the path": "/Bearer%20" + bTMDbRead,
		"key as the host":    "http://" + strings.ToLower(bTVmazeKey) + ".example/x",
		"session in a path":  "/s/" + bSession + "/x",
	} {
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.Header().Set("Location", loc)
			w.WriteHeader(http.StatusFound)
		}))
		t.Cleanup(srv.Close)
		var logs bytes.Buffer
		c := boundaryClient(t, srv.URL, mediaauth.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		c = c.With(mediaauth.TMDbReadAccessToken(bTMDbRead))
		err := getAccount(t.Context(), c.TMDb.HTTPClient(), srv.URL)
		require.ErrorIs(t, err, mediaauth.ErrRedirect, name)
		assertNoSecret(t, name, err, logs.String())
		_, err = c.TVmaze.Validate(t.Context())
		require.ErrorIs(t, err, mediaauth.ErrRedirect, name)
		assertNoSecret(t, name, err, logs.String())
		assert.Equal(t, int32(2), hits.Load(), "%s: not followed", name)
	}
}

// TestCheckResponseScrubsLocation: CheckResponse given a 3xx whose Location
// echoes the request's credentials (a Bearer token in the path, the TVmaze
// key as a host) names none of them.
func TestCheckResponseScrubsLocation(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		auth, loc string
	}{
		"bearer in the path": {"Bearer " + bMoviesToken, "http://127.0.0.1:1/Bearer%20" + bMoviesToken},
		"key as the host":    {"Basic " + base64.StdEncoding.EncodeToString([]byte("alice:"+bTVmazeKey)), "http://" + bTVmazeKey + ".example/x"},
	} {
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:1/user/profile", nil)
		req.Header.Set("Authorization", tc.auth)
		resp := &http.Response{StatusCode: http.StatusFound, Header: http.Header{"Location": {tc.loc}}, Body: http.NoBody, Request: req}
		err := mediaauth.CheckResponse(mediaauth.APIMovies, resp)
		require.ErrorIs(t, err, mediaauth.ErrRedirect, name)
		assertNoSecret(t, name, err)
	}
}

// TestHTTPClientRedirectOfABodyOfUnknownLength: a POST through HTTPClient
// whose body has no known length (neither ContentLength nor GetBody) is
// not followed to a redirect, as through Do: CheckResponse gives
// ErrRedirect, and the server saw one request.
func TestHTTPClientRedirectOfABodyOfUnknownLength(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
		http.Redirect(w, r, "/other", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	c, err := mediaauth.New(mediaauth.WithMoviesBaseURL(srv.URL), mediaauth.WithCredentials(mediaauth.APIKey{Key: "movies-key-SECRET-0008"}))
	require.NoError(t, err)
	body := io.MultiReader(strings.NewReader(`{"name":`), strings.NewReader(`"x"}`))
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, c.Movies.BaseURL()+"/user/profile", body)
	require.NoError(t, err)
	require.Zero(t, req.ContentLength)
	resp, err := c.Movies.HTTPClient().Do(req)
	require.NoError(t, err)
	require.ErrorIs(t, mediaauth.CheckResponse(mediaauth.APIMovies, resp), mediaauth.ErrRedirect)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"POST /user/profile"}, seen)
}

// TestCallerHooksSeeNoCredential: the redirect policy and the cookie jar
// of the caller's http.Client (WithHTTPClient) see the requests of the
// typed calls without the credentials the SDK adds, as they see those of
// HTTPClient's callers.
func TestCallerHooksSeeNoCredential(t *testing.T) {
	t.Parallel()
	const key = "tmdb-key-SECRET-0009"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "c", Value: "v"})
		if r.URL.Path == "/3/authentication" {
			http.Redirect(w, r, "/3/authentication/again", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"success":true}`)
	}))
	t.Cleanup(srv.Close)
	var mu sync.Mutex
	var seen []string
	jar := &urlJar{seen: &seen, mu: &mu}
	hc := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, req.URL.String(), via[0].URL.String(), req.Header.Get("Referer"))
		return nil
	}}
	c, err := mediaauth.New(mediaauth.WithHTTPClient(hc), mediaauth.WithTMDbBaseURL(srv.URL), mediaauth.WithCredentials(mediaauth.TMDbAPIKey(key)))
	require.NoError(t, err)
	_ = c.TMDb.Validate(t.Context())
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, seen)
	for _, s := range seen {
		assert.NotContains(t, s, key)
	}
}

// urlJar is a cookie jar that records the URLs it is given.
type urlJar struct {
	seen *[]string
	mu   *sync.Mutex
}

func (j *urlJar) SetCookies(u *url.URL, _ []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	*j.seen = append(*j.seen, u.String())
}

func (j *urlJar) Cookies(u *url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	*j.seen = append(*j.seen, u.String())
	return nil
}
