package mediaauth_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/mediaauth/mediaauth"
)

// Movies API: Login (JSON body) and FormLogin (form body).

var (
	benchUser, benchPassword = "john_doe", "secure_password123"
	benchTokenJSON           = []byte(`{"access_token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjMiLCJleHAiOjIwMDAwMDAwMDB9.c2ln","token_type":"bearer","expires_in":3600}`)
	benchLoginBody           = []byte(`{"username":"john_doe","password":"secure_password123"}`)
	benchFormBody            = []byte(`password=secure_password123&username=john_doe`)
)

// benchMovies starts the Movies API server of the login benchmarks and
// returns it with an SDK client and a baseline http.Client.
func benchMovies(b *testing.B) (*httptest.Server, *mediaauth.Client, *http.Client) {
	srv := benchAPIServer(b, "application/json", benchTokenJSON,
		expect{method: http.MethodPost, path: "/login", contentType: "application/json", body: benchLoginBody},
		expect{method: http.MethodPost, path: "/auth/login", contentType: "application/x-www-form-urlencoded", body: benchFormBody})
	return srv, benchClient(b, mediaauth.WithMoviesBaseURL(srv.URL)), benchHTTPClient(b)
}

// benchToken is the baseline's Token: the answer decoded, and its expiry.
type benchToken struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   *int64 `json:"expires_in"`
}

// check reports whether the answer held a token, and works out its expiry.
func (tok *benchToken) check() error {
	if tok.AccessToken == "" || tok.ExpiresIn == nil {
		return errors.New("no token")
	}
	_ = time.Now().Add(time.Duration(*tok.ExpiresIn) * time.Second)
	return nil
}

// benchLogin is the body of POST /login.
type benchLogin struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// baselineJSONLogin is Login with net/http and encoding/json, through hc.
func baselineJSONLogin(ctx context.Context, hc *http.Client, check checker, target string) error {
	var tok benchToken
	if err := benchPost(ctx, hc, check, target, benchLogin{benchUser, benchPassword}, &tok); err != nil {
		return err
	}
	return tok.check()
}

// baselineFormLogin is FormLogin with net/http and encoding/json, through hc.
func baselineFormLogin(ctx context.Context, hc *http.Client, check checker, target string) error {
	body := url.Values{"username": {benchUser}, "password": {benchPassword}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader([]byte(body)))
	if err != nil {
		return err
	}
	var tok benchToken
	if err := doJSON(hc, check, req, "application/x-www-form-urlencoded", &tok); err != nil {
		return err
	}
	return tok.check()
}

func checkToken(tok *mediaauth.Token, err error) error {
	if err == nil && tok.AccessToken == "" {
		err = errors.New("no token")
	}
	return err
}

// loginDoors are the three doors of Login against srv.
func loginDoors(c *mediaauth.Client, target string) []benchDoor {
	sdk, check := c.Movies.HTTPClient(), checkWith(mediaauth.APIMovies)
	return []benchDoor{
		{doorTyped, func(ctx context.Context) error {
			return checkToken(c.Movies.Login(ctx, benchUser, benchPassword))
		}},
		{doorDo, func(ctx context.Context) error {
			var tok benchToken
			if err := c.Movies.Do(ctx, http.MethodPost, "/login", benchLogin{benchUser, benchPassword}, &tok); err != nil {
				return err
			}
			return tok.check()
		}},
		{doorHTTPClient, func(ctx context.Context) error { return baselineJSONLogin(ctx, sdk, check, target) }},
	}
}

// BenchmarkLogin: Movies.Login, a POST with a JSON body.
func BenchmarkLogin(b *testing.B) {
	srv, c, hc := benchMovies(b)
	target := srv.URL + "/login"
	benchDoors(b, func(ctx context.Context) error {
		return baselineJSONLogin(ctx, hc, statusOK, target)
	}, loginDoors(c, target)...)
}

// BenchmarkFormLogin: Movies.FormLogin, a POST with a form body. Do sends
// JSON only: this call has no Do door.
func BenchmarkFormLogin(b *testing.B) {
	srv, c, hc := benchMovies(b)
	target := srv.URL + "/auth/login"
	sdk, check := c.Movies.HTTPClient(), checkWith(mediaauth.APIMovies)
	benchDoors(b, func(ctx context.Context) error {
		return baselineFormLogin(ctx, hc, statusOK, target)
	}, benchDoor{doorTyped, func(ctx context.Context) error {
		return checkToken(c.Movies.FormLogin(ctx, benchUser, benchPassword))
	}}, benchDoor{doorHTTPClient, func(ctx context.Context) error {
		return baselineFormLogin(ctx, sdk, check, target)
	}})
}

// BenchmarkLoginParallel: Login from 64 goroutines on one client, for
// throughput (with context.Background()).
func BenchmarkLoginParallel(b *testing.B) {
	srv, c, hc := benchMovies(b)
	target := srv.URL + "/login"
	benchParallelDoors(b, func(ctx context.Context) error {
		return baselineJSONLogin(ctx, hc, statusOK, target)
	}, loginDoors(c, target)...)
}
