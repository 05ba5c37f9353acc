package mediaauth_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const tvPollPath = "/v1/auth/poll"

// tvmazeFake starts a fake whose minimum poll interval is serverMin and a
// client; opts are added to the client's options.
func tvmazeFake(t *testing.T, serverMin time.Duration, srvOpts []mediaauthtest.Option, opts ...mediaauth.Option) (*mediaauthtest.Server, *mediaauth.Client) {
	t.Helper()
	srv := mediaauthtest.NewServer(append([]mediaauthtest.Option{
		mediaauthtest.WithTVmazeMinPollInterval(serverMin),
		mediaauthtest.WithTVmazeStartInterval(time.Millisecond),
	}, srvOpts...)...)
	t.Cleanup(srv.Close)
	return srv, fakeClient(t, srv, opts...)
}

// every is the wait option of a test's poll interval.
func every(d time.Duration) mediaauth.WaitOption { return mediaauth.WithPollInterval(d) }

// tvmazeStart starts an auth request for the fake's demo account.
func tvmazeStart(t *testing.T, c *mediaauth.Client) mediaauth.AuthRequest {
	t.Helper()
	ar, err := c.TVmaze.StartAuth(context.Background(), mediaauthtest.DemoTVmazeEmail)
	require.NoError(t, err)
	require.NotEmpty(t, ar.Token)
	return *ar
}

// pollTimes returns when the server received each poll.
func pollTimes(srv *mediaauthtest.Server) []time.Time {
	var at []time.Time
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost && r.Path == tvPollPath {
			at = append(at, r.At)
		}
	}
	return at
}

// eventLog collects WaitEvents from the observer.
type eventLog struct {
	mu     sync.Mutex
	events []mediaauth.WaitEvent
}

func (l *eventLog) add(ev mediaauth.WaitEvent) {
	l.mu.Lock()
	l.events = append(l.events, ev)
	l.mu.Unlock()
}

func (l *eventLog) all() []mediaauth.WaitEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]mediaauth.WaitEvent(nil), l.events...)
}

// TestTVmazeLoginFlow runs the whole flow: start, confirm, poll until
// confirmed, validate; the key is handed out only once.
func TestTVmazeLoginFlow(t *testing.T) {
	t.Parallel()
	srv, c := tvmazeFake(t, 10*time.Millisecond, nil)
	ctx := context.Background()

	ar, err := c.TVmaze.StartAuth(ctx, mediaauthtest.DemoTVmazeEmail, mediaauth.WithoutEmailConfirmation())
	require.NoError(t, err)
	require.NotEmpty(t, ar.ApprovalURL)
	resp, err := srv.HTTPClient().Get(ar.ApprovalURL) // the user confirms
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	creds, err := c.TVmaze.PollUntilConfirmed(ctx, *ar, every(10*time.Millisecond))
	require.NoError(t, err)
	assert.Equal(t, mediaauthtest.DemoTVmazeUsername, creds.Username)
	assert.Equal(t, mediaauthtest.DemoTVmazeAPIKey, creds.APIKey)
	assert.Equal(t, 1, srv.RequestCount(http.MethodPost, tvPollPath))

	level, err := c.With(creds).TVmaze.Validate(ctx)
	require.NoError(t, err)
	assert.Equal(t, mediaauth.PremiumBronze, level)
	withOption, err := srv.Client(mediaauth.WithCredentials(creds))
	require.NoError(t, err)
	level, err = withOption.TVmaze.Validate(ctx)
	require.NoError(t, err)
	assert.Equal(t, mediaauth.PremiumBronze, level)
	last := srv.Requests()[len(srv.Requests())-1]
	assert.Equal(t, "/v1/auth/validate", last.Path)
	auth := last.Header.Get("Authorization")
	assert.Contains(t, auth, "Basic ")
	hdr := http.Request{Header: http.Header{"Authorization": {auth}}}
	user, key, ok := hdr.BasicAuth()
	require.True(t, ok, "Authorization %q is not HTTP Basic", auth)
	assert.Equal(t, mediaauthtest.DemoTVmazeUsername, user)
	assert.Equal(t, mediaauthtest.DemoTVmazeAPIKey, key)

	// Start and poll carried no credentials.
	for _, r := range srv.Requests() {
		if r.Path != "/v1/auth/validate" {
			assert.Empty(t, r.Header.Get("Authorization"), r.Path)
		}
	}

	_, err = c.TVmaze.PollAuth(ctx, *ar)
	require.ErrorIs(t, err, mediaauth.ErrAuthRequestNotFound)

	_, err = c.With(&mediaauth.TVmazeCredentials{Username: creds.Username, APIKey: "wrong"}).TVmaze.Validate(ctx)
	require.ErrorIs(t, err, mediaauth.ErrUnauthorized)
}

func TestTVmazeStartErrors(t *testing.T) {
	t.Parallel()
	_, c := tvmazeFake(t, 10*time.Millisecond, nil)
	ctx := context.Background()
	_, err := c.TVmaze.StartAuth(ctx, "nobody@example.com")
	require.ErrorIs(t, err, mediaauth.ErrEmailNotFound)
	_, err = c.TVmaze.StartAuth(ctx, mediaauthtest.DemoTVmazeUnconfirmedEmail)
	require.ErrorIs(t, err, mediaauth.ErrEmailNotConfirmed)
	var apiErr *mediaauth.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
	assert.NotEmpty(t, apiErr.Message)
}
