package mediaauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mediaauth/mediaauth"
	"golang.org/x/time/rate"
)

const benchPollToken = "0123456789abcdef0123456789abcdef01234567"

// benchPollServer is a trivial loopback TVmaze poll endpoint: it reads the
// token and answers with a fixed key.
func benchPollServer(b *testing.B) *httptest.Server {
	b.Helper()
	answer := []byte(`{"username":"alice","apikey":"bench-api-key-0123456789abcdef"}`)
	return benchServer(b, func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Token string `json:"token"`
		}
		if r.Method != http.MethodPost || r.URL.Path != "/v1/auth/poll" ||
			json.NewDecoder(r.Body).Decode(&body) != nil || body.Token != benchPollToken {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	})
}

func benchPollAuth(b *testing.B, ctx context.Context) {
	srv := benchPollServer(b)
	c := benchClient(b,
		mediaauth.WithHTTPClient(benchHTTPClient(b)),
		mediaauth.WithTVmazeBaseURL(srv.URL+"/v1"),
		mediaauth.WithRateLimit(mediaauth.APITVmaze, rate.Inf, 0),
	)
	b.ReportAllocs()
	for b.Loop() {
		creds, err := c.PollAuth(ctx, benchPollToken)
		if err != nil || creds.Username != "alice" {
			b.Fatal(creds, err)
		}
	}
}

// BenchmarkPollAuth is one PollAuth through the SDK's pipeline against a
// loopback server.
func BenchmarkPollAuth(b *testing.B) { benchPollAuth(b, context.Background()) }

// BenchmarkPollAuthCancellable is BenchmarkPollAuth with a context that can
// be cancelled, which adds the guard that keeps an arriving key.
func BenchmarkPollAuthCancellable(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	benchPollAuth(b, ctx)
}

// BenchmarkPollAuthBaseline is the same request with net/http and
// encoding/json alone.
func BenchmarkPollAuthBaseline(b *testing.B) {
	srv := benchPollServer(b)
	hc := benchHTTPClient(b)
	target := srv.URL + "/v1/auth/poll"
	ctx := context.Background()
	poll := func() (string, error) {
		body, err := json.Marshal(struct {
			Token string `json:"token"`
		}{benchPollToken})
		if err != nil {
			return "", err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
		if err != nil {
			return "", err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("status %d", resp.StatusCode)
		}
		var out struct {
			Username string `json:"username"`
			APIKey   string `json:"apikey"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			return "", err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		return out.Username, nil
	}
	b.ReportAllocs()
	for b.Loop() {
		user, err := poll()
		if err != nil || user != "alice" {
			b.Fatal(user, err)
		}
	}
}
