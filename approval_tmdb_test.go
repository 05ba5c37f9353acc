package mediaauth_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// TestPollUntilApproved waits for the v3 approval against the fake: the
// page it shows is the token's, the session it returns is the approver's.
func TestPollUntilApproved(t *testing.T) {
	t.Parallel()
	srv, c := startFake(t)
	require.NoError(t, srv.TMDb.AddUser(mediaauthtest.TMDbUser{Username: "alice", Password: "alice-Passw0rd"}))
	rt, err := c.TMDb.CreateRequestToken(t.Context())
	require.NoError(t, err)
	assert.Equal(t, srv.TMDb.SiteURL()+"/authenticate/"+rt.Token, rt.ApprovalURL)
	var shown string
	sess, err := c.TMDb.PollUntilApproved(t.Context(), *rt, mediaauth.WithPollInterval(5*time.Millisecond),
		mediaauth.WithPageOpener(func(_ context.Context, page string) (bool, error) {
			shown = page
			time.AfterFunc(20*time.Millisecond, func() { assert.NoError(t, srv.TMDb.ApproveAs(rt.Token, "alice")) })
			return true, nil
		}))
	require.NoError(t, err)
	assert.Equal(t, rt.ApprovalURL, shown)
	assert.True(t, srv.TMDb.SessionValid(sess.ID))
	acct, err := v4ReadAccount(t.Context(), c.With(sess))
	require.NoError(t, err)
	assert.Equal(t, "alice", acct.Username)
	assert.Greater(t, srv.RequestCount(http.MethodPost, "/3/authentication/session/new"), 1)
}

// TestPollUntilApprovedEnds: a denial, a token TMDb no longer knows and a
// token past its expiry by the client's clock each end the wait.
func TestPollUntilApprovedEnds(t *testing.T) {
	t.Parallel()
	const sessionPath = "/3/authentication/session/new"
	t.Run("denied", func(t *testing.T) {
		t.Parallel()
		srv, c := startFake(t)
		rt, err := c.TMDb.CreateRequestToken(t.Context())
		require.NoError(t, err)
		require.NoError(t, srv.TMDb.Deny(rt.Token))
		_, err = c.TMDb.PollUntilApproved(t.Context(), *rt, mediaauth.WithPollInterval(time.Millisecond))
		require.ErrorIs(t, err, mediaauth.ErrApprovalDenied)
		require.ErrorIs(t, err, mediaauth.ErrSessionDenied)
		assert.Contains(t, err.Error(), "mediaauth: TMDb.PollUntilApproved: the person denied the login on TMDb's page")
		assert.NotContains(t, err.Error(), rt.Token)
		assert.Equal(t, 1, srv.RequestCount(http.MethodPost, sessionPath))
	})
	t.Run("unknown token", func(t *testing.T) {
		t.Parallel()
		srv, c := startFake(t)
		_, err := c.TMDb.PollUntilApproved(t.Context(), mediaauth.RequestToken{Token: "no-such-token"}, mediaauth.WithPollInterval(time.Millisecond))
		require.ErrorIs(t, err, mediaauth.ErrInvalidRequestToken)
		assert.NotErrorIs(t, err, mediaauth.ErrApprovalDenied)
		assert.Equal(t, 1, srv.RequestCount(http.MethodPost, sessionPath))
	})
	t.Run("expired by the client's clock", func(t *testing.T) {
		t.Parallel()
		clock := mediaauthtest.NewClock(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
		srv, c := startFake(t, mediaauthtest.WithClock(clock.Now), mediaauthtest.WithTMDbTokenTTL(24*time.Hour))
		mediaauth.SetClock(c, clock.Now)
		rt, err := c.TMDb.CreateRequestToken(t.Context())
		require.NoError(t, err)
		rt.ExpiresAt = clock.Now().Add(time.Hour) // the client's bound, shorter than the server's
		_, err = c.TMDb.PollUntilApproved(t.Context(), *rt, mediaauth.WithPollInterval(time.Millisecond),
			mediaauth.WithWaitObserver(func(mediaauth.WaitEvent) { clock.Advance(25 * time.Minute) }))
		require.ErrorIs(t, err, mediaauth.ErrRequestTokenNotApproved)
		assert.Contains(t, err.Error(), "the request expired before the person approved it")
		assert.Equal(t, 3, srv.RequestCount(http.MethodPost, sessionPath), "after 0, 25 and 50 minutes")
	})
}

// v4Exchange registers an exchange of the v4 request token that answers
// each of answers in turn (status, body), then the access token.
func v4Exchange(mt *httpmock.MockTransport, log *recorder, answers ...[2]any) {
	var mu sync.Mutex
	mt.RegisterResponder(http.MethodPost, v4UnitBase+"/4/auth/access_token", func(req *http.Request) (*http.Response, error) {
		mu.Lock()
		defer mu.Unlock()
		if len(answers) == 0 {
			return log.respondTMDb(http.StatusOK, v4UnitAccessJSON)(req)
		}
		a := answers[0]
		answers = answers[1:]
		return log.respondTMDb(a[0].(int), a[1].(string), "Retry-After", "0")(req)
	})
}

var (
	v4NotApproved = [2]any{http.StatusUnprocessableEntity, `{"success":false,"status_code":41,"status_message":"This request token hasn't been approved by the user."}`}
	v4RateLimited = [2]any{http.StatusTooManyRequests, `{"success":false,"status_code":25,"status_message":"Your request count (41) is over the allowed limit of 40."}`}
	v4Unavailable = [2]any{http.StatusServiceUnavailable, `{"success":false,"status_code":9,"status_message":"Service offline."}`}
	v4Refused     = [2]any{http.StatusUnauthorized, `{"success":false,"status_code":33,"status_message":"Invalid request token: The request token is either expired or invalid."}`}
)

// TestPollUntilApprovedV4Schedule checks the schedule of the TMDb waits:
// one interval before each attempt while TMDb says "not approved", twice
// the wait after a 429, 5xx tried again, and one request per attempt.
func TestPollUntilApprovedV4Schedule(t *testing.T) {
	t.Parallel()
	c, mt := v4Client(t, mediaauth.WithRetry(0, time.Millisecond, time.Millisecond))
	var log recorder
	v4Exchange(mt, &log, v4NotApproved, v4RateLimited, v4NotApproved, v4Unavailable, v4NotApproved)
	var next []time.Duration
	var statuses []int
	tok, err := c.TMDb.PollUntilApprovedV4(t.Context(), mediaauth.TMDbV4RequestToken{Token: v4UnitRequest},
		mediaauth.WithPollInterval(2*time.Millisecond), mediaauth.WithWaitObserver(func(ev mediaauth.WaitEvent) {
			assert.Equal(t, len(next)+1, ev.Attempt)
			next = append(next, ev.NextPoll)
			statuses = append(statuses, ev.StatusCode)
		}))
	require.NoError(t, err)
	assert.Equal(t, &mediaauth.TMDbAccessToken{AccessToken: v4UnitAccess, AccountID: v4UnitAccount}, tok)
	assert.Equal(t, []int{422, 429, 422, 503, 422, 200}, statuses)
	ms := time.Millisecond
	assert.Equal(t, []time.Duration{2 * ms, 4 * ms, 2 * ms, 2 * ms, 2 * ms, 0}, next)
	reqs := log.requests()
	require.Len(t, reqs, 6)
	for _, r := range reqs {
		assert.JSONEq(t, `{"request_token":"`+v4UnitRequest+`"}`, string(r.Body))
	}
}

// TestPollUntilApprovedV4Ends: a refused token that has not expired is a
// denial, one that has is not; an error that waiting cannot fix ends the
// wait at once; 5xx answers end it after 5 in a row.
func TestPollUntilApprovedV4Ends(t *testing.T) {
	t.Parallel()
	wait := mediaauth.WithPollInterval(time.Millisecond)
	t.Run("refused before it expired", func(t *testing.T) {
		t.Parallel()
		c, mt := v4Client(t)
		var log recorder
		v4Exchange(mt, &log, v4Refused)
		_, err := c.TMDb.PollUntilApprovedV4(t.Context(), mediaauth.TMDbV4RequestToken{Token: v4UnitRequest, ExpiresAt: time.Now().Add(time.Minute)}, wait)
		require.ErrorIs(t, err, mediaauth.ErrApprovalDenied)
		require.ErrorIs(t, err, mediaauth.ErrInvalidRequestToken)
		assert.NotContains(t, err.Error(), v4UnitRequest)
		assert.Len(t, log.requests(), 1)
	})
	t.Run("refused after it expired", func(t *testing.T) {
		t.Parallel()
		c, mt := v4Client(t)
		var log recorder
		v4Exchange(mt, &log, v4Refused)
		_, err := c.TMDb.PollUntilApprovedV4(t.Context(), mediaauth.TMDbV4RequestToken{Token: v4UnitRequest, ExpiresAt: time.Now().Add(-time.Minute)}, wait)
		require.ErrorIs(t, err, mediaauth.ErrRequestTokenNotApproved, "expired: not even one attempt")
		assert.Empty(t, log.requests())
	})
	t.Run("server errors", func(t *testing.T) {
		t.Parallel()
		c, mt := v4Client(t, mediaauth.WithRetry(0, time.Millisecond, time.Millisecond))
		var log recorder
		v4Exchange(mt, &log, v4Unavailable, v4Unavailable, v4Unavailable, v4Unavailable, v4Unavailable, v4Unavailable)
		_, err := c.TMDb.PollUntilApprovedV4(t.Context(), mediaauth.TMDbV4RequestToken{Token: v4UnitRequest}, wait)
		require.ErrorIs(t, err, mediaauth.ErrServer)
		assert.Contains(t, err.Error(), "giving up after 5 failed attempts in a row")
		assert.Len(t, log.requests(), 5)
	})
}

// A wait for the approval of a TMDb v4 request token, against the fake,
// which approves it for the user here.
func ExampleTMDb_PollUntilApprovedV4() {
	srv := mediaauthtest.NewServer(mediaauthtest.WithTMDbAutoApprove())
	defer srv.Close()
	client, err := srv.Client(mediaauth.WithCredentials(mediaauth.TMDbReadAccessToken(mediaauthtest.DemoTMDbReadAccessToken)))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	rt, err := client.TMDb.CreateV4RequestToken(ctx, "")
	if err != nil {
		log.Fatal(err)
	}
	tok, err := client.TMDb.PollUntilApprovedV4(ctx, *rt,
		mediaauth.WithPollInterval(10*time.Millisecond),
		mediaauth.WithPageOpener(func(_ context.Context, page string) (bool, error) {
			page = strings.Replace(page, srv.TMDb.SiteURL(), "SITE", 1)
			fmt.Println("Approve at", strings.Replace(page, rt.Token, "TOKEN", 1))
			return false, nil // printed, not opened
		}))
	if err != nil {
		log.Fatal(err)
	}
	sess, err := client.TMDb.CreateSessionFromV4Token(ctx, *tok)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("account", tok.AccountID, "session", sess.ID != "")
	// Output:
	// Approve at SITE/auth/access?request_token=TOKEN
	// account 4bc889000000000000000224 session true
}

// A wait for the approval of a TMDb v3 request token, against the fake,
// which approves it for the user here; the wait returns the session.
func ExampleTMDb_PollUntilApproved() {
	srv := mediaauthtest.NewServer(mediaauthtest.WithTMDbAutoApprove())
	defer srv.Close()
	client, err := srv.Client(mediaauth.WithCredentials(mediaauth.TMDbAPIKey(mediaauthtest.DemoTMDbAPIKey)))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	rt, err := client.TMDb.CreateRequestToken(ctx)
	if err != nil {
		log.Fatal(err)
	}
	sess, err := client.TMDb.PollUntilApproved(ctx, *rt,
		mediaauth.WithPollInterval(10*time.Millisecond),
		mediaauth.WithPageOpener(func(_ context.Context, page string) (bool, error) {
			page = strings.Replace(page, srv.TMDb.SiteURL(), "SITE", 1)
			fmt.Println("Approve at", strings.Replace(page, rt.Token, "TOKEN", 1))
			return false, nil // printed, not opened
		}))
	if err != nil {
		log.Fatal(err)
	}
	var account struct {
		Username string `json:"username"`
	}
	if err := client.TMDb.With(*sess).Do(ctx, http.MethodGet, "/3/account", nil, &account); err != nil {
		log.Fatal(err)
	}
	fmt.Println("session for", account.Username)
	// Output:
	// Approve at SITE/authenticate/TOKEN
	// session for demo
}
