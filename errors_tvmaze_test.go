package mediaauth

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The TVmaze rows of the status tables of errors.go. The TVmaze fixtures
// (tvClient, tvJSON, tvErrorBody) are in devicepoll_test.go.

// TestTVmazeStatuses maps every status the contract lists (and a server
// error) to its sentinel and class.
func TestTVmazeStatuses(t *testing.T) {
	t.Parallel()
	type callFn func(*Client) error
	start := func(c *Client) error { _, err := c.TVmaze.StartAuth(context.Background(), "a@example.com"); return err }
	poll := func(c *Client) error {
		_, err := c.TVmaze.PollAuth(context.Background(), AuthRequest{Token: tvToken})
		return err
	}
	validate := func(c *Client) error { _, err := c.TVmaze.Validate(context.Background()); return err }
	tests := []struct {
		name    string
		method  string
		url     string
		path    string
		fn      callFn
		status  int
		header  []string
		want    []error
		notWant []error
		retry   time.Duration
	}{
		{"start 401", "POST", tvStartURL, "/auth/start", start, 401, nil, []error{ErrEmailNotConfirmed, ErrUnauthorized}, []error{ErrTokenExpired}, 0},
		{"start 404", "POST", tvStartURL, "/auth/start", start, 404, nil, []error{ErrEmailNotFound, ErrNotFound}, nil, 0},
		{"start 429", "POST", tvStartURL, "/auth/start", start, 429, []string{"Retry-After", "0"}, []error{ErrRateLimited}, nil, 0},
		{"start 500", "POST", tvStartURL, "/auth/start", start, 500, nil, []error{ErrServer}, nil, 0},
		{"poll 403", "POST", tvPollURL, "/auth/poll", poll, 403, nil, []error{ErrAuthorizationPending, ErrForbidden}, nil, 0},
		{"poll 404", "POST", tvPollURL, "/auth/poll", poll, 404, nil, []error{ErrAuthRequestNotFound, ErrNotFound}, nil, 0},
		{"poll 429", "POST", tvPollURL, "/auth/poll", poll, 429, []string{"Retry-After", "10"}, []error{ErrRateLimited}, nil, 10 * time.Second},
		{"poll 500", "POST", tvPollURL, "/auth/poll", poll, 500, nil, []error{ErrServer}, nil, 0},
		{"poll 503", "POST", tvPollURL, "/auth/poll", poll, 503, []string{"Retry-After", "3"}, []error{ErrServer}, nil, 3 * time.Second},
		{"validate 401", "GET", tvValidURL, "/auth/validate", validate, 401, []string{"WWW-Authenticate", `Basic realm="api"`}, []error{ErrUnauthorized}, []error{ErrTokenExpired, ErrInvalidCredentials}, 0},
		{"validate 500", "GET", tvValidURL, "/auth/validate", validate, 500, nil, []error{ErrServer}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := tvClient(t, WithCredentials(&TVmazeCredentials{Username: "alice", APIKey: tvAPIKey}))
			msg := "message for " + tt.name
			mt.RegisterResponder(tt.method, tt.url, tvJSON(tt.status, tvErrorBody(tt.status, msg), tt.header...))

			err := tt.fn(c)
			require.Error(t, err)
			for _, want := range tt.want {
				assert.ErrorIs(t, err, want)
			}
			for _, nw := range tt.notWant {
				assert.NotErrorIs(t, err, nw)
			}
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, APITVmaze, apiErr.API)
			assert.Equal(t, tt.method, apiErr.Method)
			assert.Equal(t, tt.path, apiErr.Path)
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.Equal(t, msg, apiErr.Message)
			assert.Equal(t, tt.retry, apiErr.RetryAfter)
			assert.NotContains(t, err.Error(), tvAPIKey)
			assert.NotContains(t, err.Error(), tvToken)
		})
	}
}
