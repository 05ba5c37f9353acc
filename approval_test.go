package mediaauth_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// waitCall is one of the three polling waits, started on a pending value
// of its flow whose page is page.
type waitCall struct {
	name string
	api  mediaauth.API
	wait func(ctx context.Context, c *mediaauth.Client, page string, opts ...mediaauth.WaitOption) error
}

// pollingWaits are the three polling waits, on the token "tok-5ecret".
func pollingWaits() []waitCall {
	return []waitCall{
		{"TVmaze.PollUntilConfirmed", mediaauth.APITVmaze, func(ctx context.Context, c *mediaauth.Client, page string, opts ...mediaauth.WaitOption) error {
			_, err := c.TVmaze.PollUntilConfirmed(ctx, mediaauth.AuthRequest{Token: "tok-5ecret", ApprovalURL: page}, opts...)
			return err
		}},
		{"TMDb.PollUntilApproved", mediaauth.APITMDb, func(ctx context.Context, c *mediaauth.Client, page string, opts ...mediaauth.WaitOption) error {
			_, err := c.TMDb.PollUntilApproved(ctx, mediaauth.RequestToken{Token: "tok-5ecret", ApprovalURL: page}, opts...)
			return err
		}},
		{"TMDb.PollUntilApprovedV4", mediaauth.APITMDb, func(ctx context.Context, c *mediaauth.Client, page string, opts ...mediaauth.WaitOption) error {
			_, err := c.TMDb.PollUntilApprovedV4(ctx, mediaauth.TMDbV4RequestToken{Token: "tok-5ecret", ApprovalURL: page}, opts...)
			return err
		}},
	}
}

// waitClient is a client whose every request goes to an httpmock
// transport, with TVmaze and TMDb at base (TMDb with its read access token).
func waitClient(t *testing.T, base string) (*mediaauth.Client, *httpmock.MockTransport) {
	t.Helper()
	c, mt := mockClient(t, mediaauth.WithTVmazeBaseURL(base+"/v1"), mediaauth.WithTMDbBaseURL(base),
		mediaauth.WithCredentials(mediaauth.TMDbReadAccessToken("read-5ecret")))
	return c, mt
}

// TestWaitOptionsRefused: the same options are checked the same way by
// every wait, before anything is sent.
func TestWaitOptionsRefused(t *testing.T) {
	t.Parallel()
	bad := map[string]mediaauth.WaitOption{
		"zero interval":     mediaauth.WithPollInterval(0),
		"negative interval": mediaauth.WithPollInterval(-time.Second),
		"grace over bound":  mediaauth.WithPollAnswerGrace(time.Hour),
		"negative grace":    mediaauth.WithPollAnswerGrace(-time.Second),
		"nil observer":      mediaauth.WithWaitObserver(nil),
		"nil opener":        mediaauth.WithPageOpener(nil),
		"callback port":     mediaauth.WithCallbackPort(8080),
	}
	for _, w := range pollingWaits() {
		for name, opt := range bad {
			t.Run(w.name+"/"+name, func(t *testing.T) {
				t.Parallel()
				c, mt := waitClient(t, "http://127.0.0.1:9")
				err := w.wait(t.Context(), c, "", opt)
				require.ErrorIs(t, err, mediaauth.ErrInvalidArgument)
				assert.True(t, strings.HasPrefix(err.Error(), "mediaauth: "+w.name+": "), err.Error())
				assert.Zero(t, mt.GetTotalCallCount(), "nothing sent")
			})
		}
	}
}

// TestPollIntervalUnderTVmazeMinimum: under 10 s is for loopback test
// servers, or with WithFastPolling; TMDb has no such rule.
func TestPollIntervalUnderTVmazeMinimum(t *testing.T) {
	t.Parallel()
	c, mt := waitClient(t, "https://api.example.com")
	mt.RegisterNoResponder(httpmock.NewStringResponder(http.StatusNotFound, `{"name":"Not Found","message":"gone","code":0,"status":404}`))
	fast := mediaauth.WithPollInterval(time.Millisecond)
	_, err := c.TVmaze.PollUntilConfirmed(t.Context(), mediaauth.AuthRequest{Token: "tok"}, fast)
	require.ErrorIs(t, err, mediaauth.ErrInvalidArgument)
	assert.Contains(t, err.Error(), "under TVmaze's 10 s minimum for https://api.example.com/v1")
	assert.Zero(t, mt.GetTotalCallCount())

	_, err = c.TVmaze.PollUntilConfirmed(t.Context(), mediaauth.AuthRequest{Token: "tok"}, fast, mediaauth.WithFastPolling())
	require.ErrorIs(t, err, mediaauth.ErrAuthRequestNotFound, "polled")
	_, err = c.TMDb.PollUntilApproved(t.Context(), mediaauth.RequestToken{Token: "tok"}, fast)
	require.NotErrorIs(t, err, mediaauth.ErrInvalidArgument)
	assert.Equal(t, 2, mt.GetTotalCallCount())
}

// TestWaitShowsThePageFirst: with an opener, every wait shows its pending
// value's page before the first attempt; an opener's error ends the wait
// before anything is sent, without the token; without a page (TVmaze's
// email) the opener is not called.
func TestWaitShowsThePageFirst(t *testing.T) {
	t.Parallel()
	for _, w := range pollingWaits() {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			c, mt := waitClient(t, "http://127.0.0.1:9")
			var shown []string
			opener := mediaauth.WithPageOpener(func(_ context.Context, page string) (bool, error) {
				shown = append(shown, page)
				assert.Zero(t, mt.GetTotalCallCount(), "shown before the first attempt")
				return false, errors.New("no screen for " + page)
			})
			page := "https://site.example/approve/tok-5ecret"
			err := w.wait(t.Context(), c, page, opener)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "showing the approval page: no screen")
			assert.NotContains(t, err.Error(), "5ecret")
			assert.Equal(t, []string{page}, shown)
			assert.Zero(t, mt.GetTotalCallCount())
		})
	}
	c, mt := waitClient(t, "http://127.0.0.1:9")
	mt.RegisterNoResponder(httpmock.NewStringResponder(http.StatusNotFound, `{"name":"Not Found","message":"gone","code":0,"status":404}`))
	called := false
	_, err := c.TVmaze.PollUntilConfirmed(t.Context(), mediaauth.AuthRequest{Token: "tok"}, mediaauth.WithPollInterval(time.Millisecond),
		mediaauth.WithPageOpener(func(context.Context, string) (bool, error) { called = true; return true, nil }))
	require.ErrorIs(t, err, mediaauth.ErrAuthRequestNotFound)
	assert.False(t, called, "TVmaze emailed the link: no page to show")
}

// pendingFlow is a started flow of the fake: its pending value's wait,
// and the person's approval.
type pendingFlow struct {
	name    string
	api     mediaauth.API
	pending error // the answer that means "not yet"
	approve func() error
	wait    func(ctx context.Context, opts ...mediaauth.WaitOption) (mediaauth.Credential, error)
}

// startFlows starts the three flows on srv and returns them.
func startFlows(t *testing.T, srv *mediaauthtest.Server, c *mediaauth.Client) []pendingFlow {
	t.Helper()
	ctx := t.Context()
	tv, err := c.TVmaze.StartAuth(ctx, mediaauthtest.DemoTVmazeEmail)
	require.NoError(t, err)
	v3, err := c.TMDb.CreateRequestToken(ctx)
	require.NoError(t, err)
	v4, err := c.TMDb.CreateV4RequestToken(ctx, "")
	require.NoError(t, err)
	return []pendingFlow{
		{"TVmaze.PollUntilConfirmed", mediaauth.APITVmaze, mediaauth.ErrAuthorizationPending, func() error { return srv.TVmaze.Confirm(tv.Token) },
			func(ctx context.Context, opts ...mediaauth.WaitOption) (mediaauth.Credential, error) {
				return c.TVmaze.PollUntilConfirmed(ctx, *tv, opts...)
			}},
		{"TMDb.PollUntilApproved", mediaauth.APITMDb, mediaauth.ErrRequestTokenNotApproved, func() error { return srv.TMDb.Approve(v3.Token) },
			func(ctx context.Context, opts ...mediaauth.WaitOption) (mediaauth.Credential, error) {
				return c.TMDb.PollUntilApproved(ctx, *v3, opts...)
			}},
		{"TMDb.PollUntilApprovedV4", mediaauth.APITMDb, mediaauth.ErrRequestTokenNotApproved, func() error { return srv.TMDb.Approve(v4.Token) },
			func(ctx context.Context, opts ...mediaauth.WaitOption) (mediaauth.Credential, error) {
				return c.TMDb.PollUntilApprovedV4(ctx, *v4, opts...)
			}},
	}
}

// flowFake starts a fake whose TVmaze takes fast polls, and a client of it
// with the TMDb read access token.
func flowFake(t *testing.T) (*mediaauthtest.Server, *mediaauth.Client) {
	t.Helper()
	srv, c := startFake(t, mediaauthtest.WithTVmazeMinPollInterval(time.Millisecond), mediaauthtest.WithTVmazeStartInterval(time.Millisecond))
	return srv, c.With(mediaauth.TMDbReadAccessToken(mediaauthtest.DemoTMDbReadAccessToken))
}

// TestWaitsShareOneShape runs the three waits against the fake: each takes
// the same options and reports the same events (a "not yet" answer, then
// the credential).
func TestWaitsShareOneShape(t *testing.T) {
	t.Parallel()
	srv, c := flowFake(t)
	for _, f := range startFlows(t, srv, c) {
		var events []mediaauth.WaitEvent
		cred, err := f.wait(t.Context(), mediaauth.WithPollInterval(5*time.Millisecond), mediaauth.WithWaitObserver(func(ev mediaauth.WaitEvent) {
			if events = append(events, ev); ev.Attempt == 2 {
				assert.NoError(t, f.approve())
			}
		}))
		require.NoError(t, err, f.name)
		require.NotNil(t, cred, f.name)
		assert.Equal(t, f.api, cred.CredentialAPI())
		require.Len(t, events, 3, f.name)
		for j, ev := range events[:2] {
			assert.Equal(t, mediaauth.WaitEvent{API: f.api, Attempt: j + 1, StatusCode: ev.StatusCode, Err: ev.Err, NextPoll: 5 * time.Millisecond}, ev, f.name)
			assert.ErrorIs(t, ev.Err, f.pending, f.name)
		}
		assert.Equal(t, mediaauth.WaitEvent{API: f.api, Attempt: 3, StatusCode: http.StatusOK}, events[2], f.name)
	}
}

// TestWaitsStopWithTheContext: each wait ends at once when ctx ends, with
// ctx's error (not the "keep waiting" answer), and sends nothing after.
func TestWaitsStopWithTheContext(t *testing.T) {
	t.Parallel()
	srv, c := flowFake(t)
	for _, f := range startFlows(t, srv, c) {
		ctx, cancel := context.WithCancel(t.Context())
		before := len(srv.Requests())
		_, err := f.wait(ctx, mediaauth.WithPollInterval(5*time.Millisecond), mediaauth.WithWaitObserver(func(ev mediaauth.WaitEvent) {
			if ev.Attempt == 2 {
				cancel()
			}
		}))
		require.ErrorIs(t, err, context.Canceled, f.name)
		assert.Contains(t, err.Error(), "mediaauth: "+f.name+": stopped after 2 attempts", f.name)
		assert.NotErrorIs(t, err, f.pending, "the wait is over: not a reason to keep waiting")
		time.Sleep(20 * time.Millisecond)
		assert.Equal(t, before+2, len(srv.Requests()), "%s: no request after ctx ended", f.name)
	}
}
