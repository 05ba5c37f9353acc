package mediaauth_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mediaauth/mediaauth"
)

// benchTokenJSON is the fixed answer of the login benchmarks' server.
var benchTokenJSON = []byte(`{"access_token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjMiLCJleHAiOjIwMDAwMDAwMDB9.c2ln","token_type":"bearer","expires_in":3600}`)

// benchLoginServer starts the loopback server both login benchmarks use: it
// reads the request and answers with benchTokenJSON.
func benchLoginServer(b *testing.B) *httptest.Server {
	b.Helper()
	return benchServer(b, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		_, _ = w.Write(benchTokenJSON)
	})
}

// BenchmarkLogin measures Client.Login against a loopback server.
func BenchmarkLogin(b *testing.B) {
	srv := benchLoginServer(b)
	c := benchClient(b, mediaauth.WithMoviesBaseURL(srv.URL))
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		tok, err := c.Login(ctx, "john_doe", "secure_password123")
		if err != nil {
			b.Fatal(err)
		}
		if tok.AccessToken == "" {
			b.Fatal("no token")
		}
	}
}

// BenchmarkLoginBaseline does what Login does with net/http and
// encoding/json only: the same POST with the same JSON body and headers,
// and the same token answer decoded, on a transport set up like the
// client's default one.
func BenchmarkLoginBaseline(b *testing.B) {
	srv := benchLoginServer(b)
	hc := benchHTTPClient(b)
	url := srv.URL + "/login"
	ctx := b.Context()
	type credentials struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	type token struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   *int64 `json:"expires_in"`
	}
	b.ReportAllocs()
	for b.Loop() {
		body, err := json.Marshal(credentials{Username: "john_doe", Password: "secure_password123"})
		if err != nil {
			b.Fatal(err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", mediaauth.DefaultUserAgent)
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var tok token
		err = json.NewDecoder(resp.Body).Decode(&tok)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatal(fmt.Errorf("status %d: %w", resp.StatusCode, err))
		}
		if tok.AccessToken == "" {
			b.Fatal("no token")
		}
	}
}

// BenchmarkLoginParallel measures Login from many goroutines on one Client.
func BenchmarkLoginParallel(b *testing.B) {
	srv := benchLoginServer(b)
	c := benchClient(b, mediaauth.WithMoviesBaseURL(srv.URL))
	ctx := b.Context()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Login(ctx, "john_doe", "secure_password123"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
