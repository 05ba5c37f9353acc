package mediaauth_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mediaauth/mediaauth"
	"golang.org/x/time/rate"
)

// rawAnswer is a transport that answers every request with the HTTP/1.1
// answer in raw, parsed as net/http parses what a server sends.
type rawAnswer []byte

func (raw rawAnswer) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	return http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), req)
}

// fuzzDoors is every door of everyDoor that answers after one exchange:
// the polling waits (PollUntilConfirmed, PollUntilApproved, ...) are left
// to their own tests, since a "not yet" answer makes them wait by design.
func fuzzDoors() []sdkCall {
	var doors []sdkCall
	for _, d := range everyDoor() {
		if !strings.HasPrefix(d.name, "PollUntil") {
			doors = append(doors, d)
		}
	}
	return doors
}

// FuzzAnswer drives a whole raw answer (status line, headers, body)
// through the public call path of one door (a typed call, Do, or
// HTTPClient + CheckResponse): no panic, and either success, an *APIError
// carrying the answer's status, or a *NetworkError; the error's text is
// valid UTF-8, bounded, and holds none of the call's secrets.
func FuzzAnswer(f *testing.F) {
	// The seeds are the files of testdata/fuzz/FuzzAnswer, one per shape of
	// answer (go test runs them with the other tests).
	doors := fuzzDoors()
	f.Fuzz(func(t *testing.T, raw []byte, which uint8) {
		door := doors[int(which)%len(doors)]
		c := fuzzClient(t, rawAnswer(raw))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := door.run(ctx, c)
		if err == nil {
			return
		}
		text := err.Error()
		if !utf8.ValidString(text) {
			t.Fatalf("%s: error is not UTF-8: %q", door.name, text)
		}
		if len(text) > 2048 {
			t.Fatalf("%s: error of %d bytes: %.200q", door.name, len(text), text)
		}
		for _, secret := range boundarySecrets {
			if strings.Contains(text, secret) {
				t.Fatalf("%s: error holds a secret: %q", door.name, text)
			}
		}
		var apiErr *mediaauth.APIError
		var netErr *mediaauth.NetworkError
		switch {
		case errors.As(err, &apiErr):
			if resp, perr := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil); perr == nil && apiErr.StatusCode != resp.StatusCode {
				t.Fatalf("%s: StatusCode %d, answer was %d", door.name, apiErr.StatusCode, resp.StatusCode)
			}
		case errors.As(err, &netErr):
		case errors.Is(err, mediaauth.ErrRedirect):
		default:
			t.Fatalf("%s: untyped error %T: %v", door.name, err, err)
		}
	})
}

// fuzzClient is a client of every API whose transport is rt, holding the
// boundary tests' credentials, with no retries and no rate limits.
func fuzzClient(t *testing.T, rt http.RoundTripper) *mediaauth.Client {
	t.Helper()
	c, err := mediaauth.New(
		mediaauth.WithHTTPClient(&http.Client{Transport: rt}),
		mediaauth.WithMoviesBaseURL("http://127.0.0.1:1"),
		mediaauth.WithTVmazeBaseURL("http://127.0.0.1:1/v1"),
		mediaauth.WithTMDbBaseURL("http://127.0.0.1:1"),
		mediaauth.WithCredentials(
			mediaauth.Token{AccessToken: bMoviesToken},
			mediaauth.TVmazeCredentials{Username: "alice", APIKey: bTVmazeKey},
			mediaauth.TMDbReadAccessToken(bTMDbRead),
			mediaauth.Session{ID: bSession},
		),
		mediaauth.WithRetry(0, time.Millisecond, time.Millisecond),
		mediaauth.WithRateLimit(mediaauth.APITVmaze, rate.Inf, 0),
		mediaauth.WithRateLimit(mediaauth.APITMDb, rate.Inf, 0),
	)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
