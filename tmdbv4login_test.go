package mediaauth_test

import (
	"context"
	"errors"
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

// Unit tests of LoginV4 on an httpmock transport (fixtures in
// tmdbv4_test.go), and its example against the fake.

// v4LoginMock registers a request token, an exchange that answers "not
// approved" pending times before the access token, and convert/4.
func v4LoginMock(mt *httpmock.MockTransport, log *recorder, pending int) {
	mt.RegisterResponder(http.MethodPost, v4UnitBase+"/4/auth/request_token", log.respondTMDb(http.StatusOK, v4UnitRequestJSON))
	var mu sync.Mutex
	mt.RegisterResponder(http.MethodPost, v4UnitBase+"/4/auth/access_token", func(req *http.Request) (*http.Response, error) {
		mu.Lock()
		left := pending
		pending--
		mu.Unlock()
		if left > 0 {
			return log.respondTMDb(http.StatusUnprocessableEntity,
				`{"success":false,"status_code":41,"status_message":"This request token hasn't been approved by the user."}`)(req)
		}
		return log.respondTMDb(http.StatusOK, v4UnitAccessJSON)(req)
	})
	mt.RegisterResponder(http.MethodPost, v4UnitBase+"/3/authentication/session/convert/4", log.respondTMDb(http.StatusOK, v4UnitSessionJSON))
}

// TestTMDbLoginV4Polling checks the polling schedule of LoginV4: one
// interval before the first attempt, doubling up to the cap.
func TestTMDbLoginV4Polling(t *testing.T) {
	t.Parallel()
	c, mt := v4Client(t)
	var log recorder
	v4LoginMock(mt, &log, 5)
	var shown string
	var pending []time.Duration
	start := time.Now()
	tok, sess, err := c.TMDb.LoginV4(t.Context(), mediaauth.TMDbV4Login{
		RedirectTo:      "https://app.example/cb",
		ShowApprovalURL: func(_ context.Context, u string) error { shown = u; return nil },
		PollInterval:    time.Millisecond,
		MaxPollInterval: 8 * time.Millisecond,
		OnPending: func(attempt int, next time.Duration) {
			assert.Equal(t, len(pending)+1, attempt)
			pending = append(pending, next)
		},
	})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, &mediaauth.TMDbAccessToken{AccessToken: v4UnitAccess, AccountID: v4UnitAccount}, tok)
	assert.Equal(t, &mediaauth.Session{ID: "v4-unit-session-5ecret"}, sess)
	assert.Equal(t, "https://www.themoviedb.org/auth/access?request_token="+v4UnitRequest, shown)
	assert.Equal(t, []time.Duration{2, 4, 8, 8, 8}, scaleDurations(pending, time.Millisecond))

	var got []string
	for _, r := range log.requests() {
		got = append(got, r.Method+" "+r.Path)
	}
	assert.Equal(t, append(append([]string{"POST /4/auth/request_token"},
		repeat("POST /4/auth/access_token", 6)...), "POST /3/authentication/session/convert/4"), got)
	reqs := log.requests()
	assert.JSONEq(t, `{"redirect_to":"https://app.example/cb"}`, string(reqs[0].Body))
	assert.JSONEq(t, `{"access_token":"`+v4UnitAccess+`"}`, string(reqs[len(reqs)-1].Body))
}

func scaleDurations(ds []time.Duration, unit time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d / unit
	}
	return out
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// TestTMDbLoginV4Wait checks LoginV4 with WaitForApproval: one exchange per
// wait, and a wait that gives up ends the login.
func TestTMDbLoginV4Wait(t *testing.T) {
	t.Parallel()
	t.Run("approved on the second try", func(t *testing.T) {
		t.Parallel()
		c, mt := v4Client(t)
		var log recorder
		v4LoginMock(mt, &log, 1)
		waits := 0
		var nexts []time.Duration
		tok, sess, err := c.TMDb.LoginV4(t.Context(), mediaauth.TMDbV4Login{
			ShowApprovalURL: func(context.Context, string) error { return nil },
			WaitForApproval: func(context.Context) error { waits++; return nil },
			PollInterval:    time.Hour, // not used when waiting
			OnPending:       func(_ int, next time.Duration) { nexts = append(nexts, next) },
		})
		require.NoError(t, err)
		assert.NotNil(t, tok)
		assert.NotNil(t, sess)
		assert.Equal(t, 2, waits)
		assert.Equal(t, []time.Duration{0}, nexts)
	})
	t.Run("gives up", func(t *testing.T) {
		t.Parallel()
		c, mt := v4Client(t)
		var log recorder
		v4LoginMock(mt, &log, 100)
		errGaveUp := errors.New("user typed no for " + v4UnitRequest)
		waits := 0
		_, _, err := c.TMDb.LoginV4(t.Context(), mediaauth.TMDbV4Login{
			ShowApprovalURL: func(context.Context, string) error { return nil },
			WaitForApproval: func(context.Context) error {
				waits++
				if waits == 3 {
					return errGaveUp
				}
				return nil
			},
		})
		require.ErrorIs(t, err, errGaveUp)
		require.ErrorIs(t, err, mediaauth.ErrRequestTokenNotApproved, "the last answer is kept")
		assert.NotContains(t, err.Error(), v4UnitRequest)
		assert.Len(t, log.requests(), 3, "request token and two exchanges")
	})
	t.Run("show fails", func(t *testing.T) {
		t.Parallel()
		c, mt := v4Client(t)
		var log recorder
		v4LoginMock(mt, &log, 0)
		_, _, err := c.TMDb.LoginV4(t.Context(), mediaauth.TMDbV4Login{
			ShowApprovalURL: func(_ context.Context, u string) error { return fmt.Errorf("no browser for %s", u) },
		})
		require.ErrorContains(t, err, "no browser for")
		assert.NotContains(t, err.Error(), "v4-request-5ecret")
		assert.Len(t, log.requests(), 1, "no exchange")
	})
}

// TestTMDbLoginV4Ends checks how LoginV4 ends without an approval: the
// token's life by the client's clock, ctx, a refused token, and a failed
// conversion.
func TestTMDbLoginV4Ends(t *testing.T) {
	t.Parallel()
	login := mediaauth.TMDbV4Login{ShowApprovalURL: func(context.Context, string) error { return nil }, PollInterval: time.Millisecond}
	t.Run("token expires", func(t *testing.T) {
		t.Parallel()
		c, mt := v4Client(t)
		// Each reading of the clock is a minute later.
		var mu sync.Mutex
		now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
		mediaauth.SetClock(c, func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			now = now.Add(time.Minute)
			return now
		})
		var log recorder
		v4LoginMock(mt, &log, 1000)
		_, _, err := c.TMDb.LoginV4(t.Context(), login)
		require.ErrorIs(t, err, mediaauth.ErrRequestTokenNotApproved)
		assert.Contains(t, err.Error(), "expired before the user approved it")
		n := len(log.requests())
		assert.Greater(t, n, 3)
		assert.Less(t, n, 20, "bounded by the 15 minutes")
	})
	t.Run("ctx ends", func(t *testing.T) {
		t.Parallel()
		c, mt := v4Client(t)
		var log recorder
		v4LoginMock(mt, &log, 1_000_000)
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, _, err := c.TMDb.LoginV4(ctx, mediaauth.TMDbV4Login{
			ShowApprovalURL: login.ShowApprovalURL, PollInterval: 5 * time.Millisecond, MaxPollInterval: 5 * time.Millisecond,
		})
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 2*time.Second)
		n := len(log.requests())
		time.Sleep(30 * time.Millisecond)
		// httpmock runs a responder on a goroutine of its own and returns
		// when ctx ends, so the poll in flight at that moment may be
		// recorded just after LoginV4 returned; no further one may be.
		assert.LessOrEqual(t, len(log.requests()), n+1, "nothing sent after LoginV4 returned")
	})
	t.Run("token refused", func(t *testing.T) {
		t.Parallel()
		c, mt := v4Client(t)
		var log recorder
		v4LoginMock(mt, &log, 0)
		mt.RegisterResponder(http.MethodPost, v4UnitBase+"/4/auth/access_token", log.respondTMDb(http.StatusUnauthorized,
			`{"success":false,"status_code":33,"status_message":"Invalid request token: The request token is either expired or invalid."}`))
		_, _, err := c.TMDb.LoginV4(t.Context(), login)
		require.ErrorIs(t, err, mediaauth.ErrInvalidRequestToken)
		assert.Len(t, log.requests(), 2, "no second try")
	})
	t.Run("conversion fails", func(t *testing.T) {
		t.Parallel()
		c, mt := v4Client(t)
		var log recorder
		v4LoginMock(mt, &log, 0)
		mt.RegisterResponder(http.MethodPost, v4UnitBase+"/3/authentication/session/convert/4", log.respondTMDb(http.StatusUnauthorized,
			`{"success":false,"status_code":35,"status_message":"Invalid token."}`))
		tok, sess, err := c.TMDb.LoginV4(t.Context(), login)
		require.ErrorIs(t, err, mediaauth.ErrInvalidAccessToken)
		assert.Nil(t, sess)
		require.NotNil(t, tok, "the access token is handed back to log it out")
		assert.Equal(t, v4UnitAccess, tok.AccessToken)
	})
}

// A login through TMDb's v4 user authentication, to a v3 session, against
// the fake. The fake approves the request token for the user here.
func ExampleTMDb_LoginV4() {
	srv := mediaauthtest.NewServer(mediaauthtest.WithTMDbAutoApprove())
	defer srv.Close()
	client, err := srv.Client()
	if err != nil {
		log.Fatal(err)
	}
	// The v4 calls need the application's read access token.
	client = client.With(mediaauth.TMDbReadAccessToken(mediaauthtest.DemoTMDbReadAccessToken))
	ctx := context.Background()

	tok, session, err := client.TMDb.LoginV4(ctx, mediaauth.TMDbV4Login{
		ShowApprovalURL: func(_ context.Context, approvalURL string) error {
			fmt.Println("approve at:", strings.HasPrefix(approvalURL, srv.TMDb.SiteURL()+"/auth/access?request_token="))
			return nil
		},
		PollInterval: 10 * time.Millisecond,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("account:", tok.AccountID)
	fmt.Println("session:", session.ID != "")

	// The access token is the user's credential; the session too.
	var acct struct {
		Username string `json:"username"`
	}
	if err := client.With(tok).TMDb.Do(ctx, http.MethodGet, "/3/account", nil, &acct); err != nil {
		log.Fatal(err)
	}
	fmt.Println("user:", acct.Username)

	fmt.Println("logged out:", client.TMDb.With(*tok).DeleteV4AccessToken(ctx) == nil)
	_, err = client.TMDb.CreateSessionFromV4Token(ctx, *tok)
	fmt.Println("then:", errors.Is(err, mediaauth.ErrInvalidAccessToken))
	// Output:
	// approve at: true
	// account: 4bc889000000000000000224
	// session: true
	// user: demo
	// logged out: true
	// then: true
}
