package mediaauth

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPollUntilConfirmedTransientBound: network errors and 5xx are retried
// on the schedule up to the bound, then returned; each attempt is reported.
func TestPollUntilConfirmedTransientBound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		answer httpmock.Responder
		want   error
		status int
	}{
		{"server errors", tvJSON(502, tvErrorBody(502, "bad gateway")), ErrServer, 502},
		{"network errors", httpmock.NewErrorResponder(errors.New("connection reset by peer")), ErrNetwork, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var events []WaitEvent
			c, mt := tvClient(t)
			wait := []WaitOption{WithPollInterval(2 * time.Millisecond), WithFastPolling(), WithWaitObserver(func(ev WaitEvent) { events = append(events, ev) })}
			mt.RegisterResponder(http.MethodPost, tvPollURL, tt.answer)

			_, err := c.TVmaze.PollUntilConfirmed(context.Background(), AuthRequest{Token: tvToken}, wait...)
			require.ErrorIs(t, err, tt.want)
			assert.Equal(t, maxPollFailures, mt.GetTotalCallCount())
			require.Len(t, events, maxPollFailures)
			for i, ev := range events {
				assert.Equal(t, i+1, ev.Attempt)
				assert.Equal(t, tt.status, ev.StatusCode)
				assert.ErrorIs(t, ev.Err, tt.want)
				if i < len(events)-1 {
					assert.Equal(t, 2*time.Millisecond, ev.NextPoll)
				} else {
					assert.Zero(t, ev.NextPoll)
				}
			}
		})
	}
}

// TestPollUntilConfirmedTransientResets: a sensible answer between
// failures resets the count of failures in a row.
func TestPollUntilConfirmedTransientResets(t *testing.T) {
	t.Parallel()
	c, mt := tvClient(t)
	wait := []WaitOption{WithPollInterval(time.Millisecond), WithFastPolling()}
	// 4 failures, a 403, 4 failures, then the key: never 5 failures in a row.
	answers := []httpmock.Responder{}
	for range 4 {
		answers = append(answers, tvJSON(500, tvErrorBody(500, "x")))
	}
	answers = append(answers, tvJSON(403, tvErrorBody(403, "not yet")))
	answers = append(answers, answers[:4]...)
	answers = append(answers, tvJSON(200, tvPollJSON))
	var n int
	mt.RegisterResponder(http.MethodPost, tvPollURL, func(r *http.Request) (*http.Response, error) {
		n++
		return answers[min(n, len(answers))-1](r)
	})

	creds, err := c.TVmaze.PollUntilConfirmed(context.Background(), AuthRequest{Token: tvToken}, wait...)
	require.NoError(t, err)
	assert.Equal(t, tvAPIKey, creds.APIKey)
	assert.Equal(t, 10, mt.GetTotalCallCount())
}

// TestPollUntilConfirmedStopsOnOtherErrors: errors that a retry cannot fix
// end polling at once.
func TestPollUntilConfirmedStopsOnOtherErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		answer httpmock.Responder
		want   error
	}{
		{"404", tvJSON(404, tvErrorBody(404, "gone")), ErrAuthRequestNotFound},
		{"400", tvJSON(400, tvErrorBody(400, "bad")), ErrBadRequest},
		{"401", tvJSON(401, tvErrorBody(401, "who")), ErrUnauthorized},
		{"malformed 200", tvJSON(200, `{"username":"alice"}`), ErrMalformedResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := tvClient(t)
			wait := []WaitOption{WithPollInterval(time.Millisecond), WithFastPolling()}
			mt.RegisterResponder(http.MethodPost, tvPollURL, tt.answer)
			_, err := c.TVmaze.PollUntilConfirmed(context.Background(), AuthRequest{Token: tvToken}, wait...)
			require.ErrorIs(t, err, tt.want)
			assert.Equal(t, 1, mt.GetTotalCallCount())
		})
	}
}
