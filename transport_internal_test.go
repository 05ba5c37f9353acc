package mediaauth

import (
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// White-box tests of transport.go: connection reuse and redirects. The
// Movies API answers (pipeAnswer, pipeUserJSON, pipeTokenJSON) are in
// client_test.go.

// TestOneConnectionForManyCalls checks that 200 sequential calls on one
// Client, error answers included, use a single TCP connection: every body
// is read to the end and closed.
func TestOneConnectionForManyCalls(t *testing.T) {
	t.Parallel()
	for name, retry := range map[string]Option{
		"retries off": WithRetry(0, 0, 0),
		// 500 only on calls that are not retried.
		"retries on": WithRetry(3, time.Millisecond, 5*time.Millisecond),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var conns atomic.Int32
			var n atomic.Int32
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				i := n.Add(1)
				switch {
				case r.URL.Path == "/login" && i%3 == 0:
					pipeAnswer(w, http.StatusInternalServerError, `{"error":"server_error","message":"`+strings.Repeat("x", 2000)+`"}`)
				case r.URL.Path == "/login" && i%3 == 1:
					pipeAnswer(w, http.StatusUnauthorized, `{"error":"invalid_credentials","message":"wrong password"}`)
				case r.URL.Path == "/login":
					pipeAnswer(w, http.StatusOK, pipeTokenJSON)
				case r.Method == http.MethodPut:
					pipeAnswer(w, http.StatusConflict, `{"error":"conflict","message":"email taken"}`)
				case r.URL.Path == "/user/api-key":
					pipeAnswer(w, http.StatusNotFound, `{"error":"not_found","message":"no key"}`)
				case r.URL.Path == "/password/reset":
					w.WriteHeader(http.StatusAccepted)
				case name == "retries off" && i%2 == 0:
					pipeAnswer(w, http.StatusInternalServerError, `{"error":"server_error","message":"oops"}`)
				default:
					pipeAnswer(w, http.StatusOK, pipeUserJSON)
				}
			}))
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			srv.Start()
			defer srv.Close()

			c, err := New(WithMoviesBaseURL(srv.URL), WithCredentials(Token{AccessToken: "tok"}), retry)
			require.NoError(t, err)
			ctx := t.Context()
			statuses := map[int]int{}
			for i := range 200 {
				var err error
				var cl string
				switch i % 5 {
				case 0, 1:
					cl = "login"
					_, err = c.Movies.Login(ctx, "u", "p")
				case 2:
					cl = "profile"
					_, err = c.Movies.Profile(ctx)
				case 3:
					cl = "update"
					_, err = c.Movies.UpdateProfile(ctx, ProfileUpdate{Email: String("e@x")})
				case 4:
					if i%2 == 0 {
						cl = "api-key"
						_, err = c.Movies.FetchAPIKey(ctx)
					} else {
						cl = "reset"
						err = c.Movies.RequestPasswordReset(ctx, "e@x")
					}
				}
				var apiErr *APIError
				switch {
				case err == nil:
					statuses[200]++
				case errors.As(err, &apiErr):
					statuses[apiErr.StatusCode]++
				default:
					t.Fatalf("call %d (%s): unexpected error %v", i, cl, err)
				}
			}
			for _, status := range []int{200, 401, 404, 409, 500} {
				assert.Positive(t, statuses[status], "status %d seen", status)
			}
			assert.Equal(t, int32(1), conns.Load(), "TCP connections opened for 200 calls (statuses %v)", statuses)
		})
	}
}

// TestRedirectDowngradeRefused checks that an https answer redirecting to
// http is refused at once (not retried) and sends nothing over http: it
// leaves the origin, so it comes back as an ErrRedirect answer.
func TestRedirectDowngradeRefused(t *testing.T) {
	t.Parallel()
	var plainHits atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		plainHits.Add(1)
		pipeAnswer(w, http.StatusOK, pipeUserJSON)
	}))
	defer plain.Close()
	var tlsHits atomic.Int32
	secure := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tlsHits.Add(1)
		http.Redirect(w, r, plain.URL+r.URL.Path, http.StatusFound)
	}))
	secure.Config.ErrorLog = log.New(io.Discard, "", 0)
	secure.StartTLS()
	defer secure.Close()

	// Trust the test server's certificate.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: secure.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs, MinVersion: tls.VersionTLS12}
	c, err := New(WithMoviesBaseURL(secure.URL), WithCredentials(Token{AccessToken: "tok"}), WithRetry(3, time.Millisecond, time.Millisecond),
		WithHTTPClient(&http.Client{Transport: tr}))
	require.NoError(t, err)

	u, err := c.Movies.Profile(t.Context())
	assert.Nil(t, u)
	require.ErrorIs(t, err, ErrRedirect)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusFound, apiErr.StatusCode)
	assert.Contains(t, apiErr.Message, plain.URL+"/user/profile")
	assert.Equal(t, int32(1), tlsHits.Load(), "not retried")
	assert.Zero(t, plainHits.Load(), "nothing sent over http")
}
