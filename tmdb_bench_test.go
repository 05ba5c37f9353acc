package mediaauth_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mediaauth/mediaauth"
)

// tmdbBenchKey is the API key of the benchmark server.
const tmdbBenchKey = "bench-api-key"

// tmdbBenchServer starts the trivial loopback server both benchmarks use:
// GET /3/authentication/token/new with the right api_key answers a fixed
// request token.
func tmdbBenchServer(b *testing.B) *httptest.Server {
	b.Helper()
	body := []byte(tmdbUnitTokenJSON)
	return benchServer(b, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/3/authentication/token/new" || r.URL.Query().Get("api_key") != tmdbBenchKey {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		_, _ = w.Write(body)
	})
}

// BenchmarkCreateRequestToken measures CreateRequestToken through the whole
// pipeline against a loopback server (client-side rate limit off).
func BenchmarkCreateRequestToken(b *testing.B) {
	srv := tmdbBenchServer(b)
	c := benchClient(b,
		mediaauth.WithTMDbBaseURL(srv.URL+"/3"),
		mediaauth.WithCredentials(mediaauth.TMDbAPIKey(tmdbBenchKey)),
		mediaauth.WithRateLimit(mediaauth.APITMDb, rate.Inf, 0),
	)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		tok, err := c.CreateRequestToken(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if tok.Token != tmdbUnitToken {
			b.Fatalf("token %v", tok)
		}
	}
}

// BenchmarkCreateRequestTokenBaseline is the same request with plain
// net/http and encoding/json: GET with ?api_key=, decode the same JSON,
// parse expires_at.
func BenchmarkCreateRequestTokenBaseline(b *testing.B) {
	srv := tmdbBenchServer(b)
	hc := benchHTTPClient(b)
	target := srv.URL + "/3/authentication/token/new?api_key=" + tmdbBenchKey
	ctx := b.Context()

	get := func() (string, time.Time, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return "", time.Time{}, err
		}
		req.Header.Set("Accept", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return "", time.Time{}, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", time.Time{}, fmt.Errorf("status %d", resp.StatusCode)
		}
		var out struct {
			Success      bool   `json:"success"`
			ExpiresAt    string `json:"expires_at"`
			RequestToken string `json:"request_token"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			return "", time.Time{}, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		if !out.Success {
			return "", time.Time{}, errors.New("success false")
		}
		exp, err := time.Parse(mediaauth.TMDbTimeLayout, out.ExpiresAt)
		return out.RequestToken, exp, err
	}

	b.ReportAllocs()
	for b.Loop() {
		tok, _, err := get()
		if err != nil {
			b.Fatal(err)
		}
		if tok != tmdbUnitToken {
			b.Fatalf("token %q", tok)
		}
	}
}
