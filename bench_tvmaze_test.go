package mediaauth_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"golang.org/x/time/rate"

	"github.com/mediaauth/mediaauth"
)

// TVmaze: PollAuth.

const benchPollToken = "0123456789abcdef0123456789abcdef01234567"

// benchPollAnswer is the baseline's answer of a poll that gets the key.
type benchPollAnswer struct {
	Username string `json:"username"`
	APIKey   string `json:"apikey"`
}

// benchPollRequest is the body of POST /auth/poll.
type benchPollRequest struct {
	Token string `json:"token"`
}

// BenchmarkPollAuth: one TVmaze.PollAuth that gets the key. With a
// cancellable context the typed call also keeps an answer already arriving
// when the context ends (WithPollAnswerGrace); the baseline does not, nor
// do the open doors.
func BenchmarkPollAuth(b *testing.B) {
	srv := benchAPIServer(b, "application/json", []byte(`{"username":"alice","apikey":"bench-api-key-0123456789abcdef"}`),
		expect{method: http.MethodPost, path: "/v1/auth/poll", contentType: "application/json",
			body: []byte(`{"token":"` + benchPollToken + `"}`)})
	c := benchClient(b, mediaauth.WithTVmazeBaseURL(srv.URL+"/v1"), mediaauth.WithRateLimit(mediaauth.APITVmaze, rate.Inf, 0))
	hc, sdk, check := benchHTTPClient(b), c.TVmaze.HTTPClient(), checkWith(mediaauth.APITVmaze)
	target := srv.URL + "/v1/auth/poll"
	poll := func(ctx context.Context, hc *http.Client, check checker) error {
		var out benchPollAnswer
		if err := benchPost(ctx, hc, check, target, benchPollRequest{benchPollToken}, &out); err != nil {
			return err
		}
		if out.APIKey == "" {
			return errors.New("no key")
		}
		return nil
	}
	benchDoors(b, func(ctx context.Context) error { return poll(ctx, hc, statusOK) },
		benchDoor{doorTyped, func(ctx context.Context) error {
			creds, err := c.TVmaze.PollAuth(ctx, mediaauth.AuthRequest{Token: benchPollToken})
			if err == nil && creds.APIKey == "" {
				err = errors.New("no key")
			}
			return err
		}},
		benchDoor{doorDo, func(ctx context.Context) error {
			var out benchPollAnswer
			if err := c.TVmaze.Do(ctx, http.MethodPost, "/auth/poll", benchPollRequest{benchPollToken}, &out); err != nil {
				return err
			}
			if out.APIKey == "" {
				return errors.New("no key")
			}
			return nil
		}},
		benchDoor{doorHTTPClient, func(ctx context.Context) error { return poll(ctx, sdk, check) }},
	)
}
