package contract_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// tvmazeNextPoll is how far the fake clock moves between TVmaze polls:
// past TVmaze's (and the fake's default) 10-second minimum.
const tvmazeNextPoll = mediaauth.DefaultPollInterval + time.Second

// flow runs the steps of one contract's flow through its proxy; each step
// is one SDK call whose single request must be for op and get status.
type flow struct {
	t     *testing.T
	index *specIndex
	// c sends the contract's API to its proxy, with the fake's TMDb API
	// key and no other credentials.
	c *mediaauth.Client
	// tmdb sends each TMDb request to the proxy of the contract of its
	// operation (see prismSet.tmdbClient), with the fake's TMDb API key:
	// for steps and calls that span TMDb contracts.
	tmdb *mediaauth.Client
	// srv is the fake behind every proxy, and clock its clock.
	srv   *mediaauthtest.Server
	clock *mediaauthtest.Clock
	// accountFaults is held by a flow while it injects faults into the
	// TMDb account paths, and by a flow that calls them expecting the
	// real answer: an injected fault hits whichever request comes first.
	accountFaults *sync.Mutex
}

// step runs fn through the proxy, fails the test on any contract
// violation, and checks that the fake answered want with the SDK's typed
// error (kind, when not nil) for an error status. The flow stops at the
// first failed step: the next steps build on it.
func (f flow) step(opID string, want int, kind error, fn func(ctx context.Context) error) {
	f.t.Helper()
	op := f.index.op(f.t, opID)
	statuses, err := contractCall(f.t, op, 0, fn)
	assert.Equal(f.t, []int{want}, statuses, "%v: statuses", op)
	assertOutcome(f.t, op, want, err, kind)
	if f.t.Failed() {
		f.t.FailNow()
	}
}

// testProxy runs the flow of every contract through Prism's proxy of it in
// front of mediaauthtest, so that each request of the SDK and each answer
// of the fake, success or error, is checked against the contract. The
// flows run in parallel against the one fake.
func testProxy(t *testing.T, index *specIndex, log *contractLog, proxies prismSet, srv *mediaauthtest.Server, clock *mediaauthtest.Clock) {
	rt := proxies.transport(t, index, log)
	key := mediaauth.WithCredentials(mediaauth.TMDbAPIKey(mediaauthtest.DemoTMDbAPIKey))
	tmdb := proxies.tmdbClient(t, index, rt, key)
	var accountFaults sync.Mutex
	for _, cf := range index.contracts {
		c := contractClient(t, rt, append(proxies.apiOptions(cf), key)...)
		t.Run(cf.name, func(t *testing.T) {
			t.Parallel()
			cf.flow(flow{t: t, index: index, c: c, tmdb: tmdb, srv: srv, clock: clock, accountFaults: &accountFaults})
		})
	}
}

// moviesFlow: register, verify, log in both ways, profile, API keys,
// password reset, expiry, and the fake's error answers on the way.
func moviesFlow(f flow) {
	t, c, srv := f.t, f.c, f.srv
	const (
		user, email, pass = "proxy_user", "proxy.user@example.com", "proxy-password-1"
		other, otherEmail = "proxy_other", "proxy.other@example.com"
		newPass           = "proxy-password-2"
	)
	register := func(username, address string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			u, err := c.Movies.Register(ctx, mediaauth.RegisterRequest{Username: username, Password: pass, Email: address, Name: "Proxy User"})
			return errorIfEmpty(err, u != nil && u.ID != "")
		}
	}
	var tok *mediaauth.Token
	login := func(form bool, name, password string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			var err error
			if form {
				tok, err = c.Movies.FormLogin(ctx, name, password)
			} else {
				tok, err = c.Movies.Login(ctx, name, password)
			}
			return errorIfEmpty(err, tok != nil && tok.AccessToken != "")
		}
	}
	profile := func(cl func() *mediaauth.Client) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			u, err := cl().Movies.Profile(ctx)
			return errorIfEmpty(err, u != nil && u.Username == user)
		}
	}
	withAccess := func() *mediaauth.Client { return c.With(mediaauth.Token{AccessToken: tok.AccessToken}) }

	f.step("register", 201, nil, register(user, email))
	f.step("register", 409, nil, register(user, "proxy.again@example.com"))
	f.step("register", 201, nil, register(other, otherEmail))
	f.step("login", 403, mediaauth.ErrEmailNotVerified, login(false, user, pass))
	f.step("verifyEmail", 404, nil, func(ctx context.Context) error { return c.Movies.VerifyEmail(ctx, "vrf_unknown") })
	verify, ok := srv.Movies.VerificationToken(email)
	require.True(t, ok, "no verification email")
	f.step("verifyEmail", 204, nil, func(ctx context.Context) error { return c.Movies.VerifyEmail(ctx, verify) })
	f.step("login", 401, mediaauth.ErrInvalidCredentials, login(false, user, "wrong-password"))
	f.step("formLogin", 401, mediaauth.ErrInvalidCredentials, login(true, email, "wrong-password"))
	f.step("formLogin", 200, nil, login(true, email, pass))
	f.step("login", 200, nil, login(false, user, pass))

	f.step("getProfile", 401, mediaauth.ErrUnauthorized, profile(func() *mediaauth.Client { return c.With(mediaauth.Token{AccessToken: "not-a-token"}) }))
	f.step("getProfile", 200, nil, profile(withAccess))
	f.step("updateProfile", 200, nil, func(ctx context.Context) error {
		u, err := withAccess().Movies.UpdateProfile(ctx, mediaauth.ProfileUpdate{
			Name: mediaauth.String("Proxy User Renamed"), Bio: mediaauth.String("Checked by Prism."),
		})
		return errorIfEmpty(err, u != nil && u.Name == "Proxy User Renamed")
	})
	f.step("updateProfile", 409, mediaauth.ErrConflict, func(ctx context.Context) error {
		_, err := withAccess().Movies.UpdateProfile(ctx, mediaauth.ProfileUpdate{Email: mediaauth.String(otherEmail)})
		return err
	})
	f.step("updateProfile", 401, nil, func(ctx context.Context) error {
		_, err := c.With(mediaauth.Token{AccessToken: "not-a-token"}).Movies.UpdateProfile(ctx, mediaauth.ProfileUpdate{Bio: mediaauth.String("x")})
		return err
	})

	var key *mediaauth.APIKey
	f.step("getAPIKey", 404, nil, func(ctx context.Context) error {
		_, err := withAccess().Movies.FetchAPIKey(ctx)
		return err
	})
	f.step("generateAPIKey", 201, nil, func(ctx context.Context) error {
		var err error
		key, err = withAccess().Movies.GenerateAPIKey(ctx)
		return errorIfEmpty(err, key != nil && key.Key != "")
	})
	f.step("getAPIKey", 200, nil, func(ctx context.Context) error {
		k, err := withAccess().Movies.FetchAPIKey(ctx)
		return errorIfEmpty(err, k != nil && k.Key == key.Key)
	})
	f.step("getProfile", 200, nil, profile(func() *mediaauth.Client { return c.With(mediaauth.Token{AccessToken: key.Key}) }))
	f.step("generateAPIKey", 401, nil, func(ctx context.Context) error {
		_, err := c.With(mediaauth.Token{AccessToken: "not-a-token"}).Movies.GenerateAPIKey(ctx)
		return err
	})
	f.step("getAPIKey", 401, nil, func(ctx context.Context) error {
		_, err := c.With(mediaauth.Token{AccessToken: "not-a-token"}).Movies.FetchAPIKey(ctx)
		return err
	})

	f.step("requestPasswordReset", 202, nil, func(ctx context.Context) error { return c.Movies.RequestPasswordReset(ctx, email) })
	f.step("requestPasswordReset", 202, nil, func(ctx context.Context) error {
		return c.Movies.RequestPasswordReset(ctx, "nobody@example.com")
	})
	f.step("confirmPasswordReset", 404, nil, func(ctx context.Context) error {
		return c.Movies.ConfirmPasswordReset(ctx, "rst_unknown", newPass)
	})
	reset, ok := srv.Movies.ResetToken(email)
	require.True(t, ok, "no reset email")
	f.step("confirmPasswordReset", 204, nil, func(ctx context.Context) error {
		return c.Movies.ConfirmPasswordReset(ctx, reset, newPass)
	})
	f.step("login", 401, mediaauth.ErrInvalidCredentials, login(false, user, pass))
	f.step("login", 200, nil, login(false, user, newPass))

	srv.Movies.ExpireTokens()
	f.step("getProfile", 401, mediaauth.ErrTokenExpired, profile(withAccess))

	// An injected server failure answers with the contract's error body too.
	srv.InjectFault("/user/profile", mediaauthtest.Fault{Method: "GET", Status: 500})
	f.step("getProfile", 500, nil, profile(func() *mediaauth.Client { return c.With(mediaauth.Token{AccessToken: key.Key}) }))
}

// tvmazeFlow: start (unknown, unconfirmed, too fast), poll (too fast, not
// confirmed, confirmed, consumed), validate, and PollUntilConfirmed.
func tvmazeFlow(f flow) {
	t, c, srv, clock := f.t, f.c, f.srv, f.clock
	// TVmaze's contract puts HTTP Basic on /auth/start and /auth/poll too:
	// the client sends placeholder credentials, which the fake ignores there.
	tv := c.With(&mediaauth.TVmazeCredentials{Username: "contract", APIKey: "placeholder"})
	start := func(email string, opts ...mediaauth.StartAuthOption) (*mediaauth.AuthRequest, func(ctx context.Context) error) {
		req := new(mediaauth.AuthRequest)
		return req, func(ctx context.Context) error {
			r, err := tv.TVmaze.StartAuth(ctx, email, opts...)
			if r != nil {
				*req = *r
			}
			return errorIfEmpty(err, r != nil && r.Token != "")
		}
	}
	var creds *mediaauth.TVmazeCredentials
	poll := func(token string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			var err error
			creds, err = tv.TVmaze.PollAuth(ctx, mediaauth.AuthRequest{Token: token})
			return errorIfEmpty(err, creds != nil && creds.APIKey != "")
		}
	}

	_, fn := start("nobody@example.com")
	f.step("POST /auth/start", 404, mediaauth.ErrEmailNotFound, fn)
	_, fn = start(mediaauthtest.DemoTVmazeUnconfirmedEmail)
	f.step("POST /auth/start", 401, mediaauth.ErrEmailNotConfirmed, fn)
	req, fn := start(mediaauthtest.DemoTVmazeEmail)
	f.step("POST /auth/start", 200, nil, fn)
	_, fn = start(mediaauthtest.DemoTVmazeEmail)
	f.step("POST /auth/start", 429, mediaauth.ErrRateLimited, fn)

	// The fake's clock stands still unless advanced: a poll right after
	// the start is too early.
	f.step("POST /auth/poll", 429, mediaauth.ErrRateLimited, poll(req.Token))
	clock.Advance(tvmazeNextPoll)
	f.step("POST /auth/poll", 403, mediaauth.ErrAuthorizationPending, poll(req.Token))
	require.NoError(t, srv.TVmaze.Confirm(req.Token))
	clock.Advance(tvmazeNextPoll)
	f.step("POST /auth/poll", 200, nil, poll(req.Token))
	got := creds
	require.NotNil(t, got)
	clock.Advance(tvmazeNextPoll)
	f.step("POST /auth/poll", 404, mediaauth.ErrAuthRequestNotFound, poll(req.Token))

	f.step("GET /auth/validate", 200, nil, func(ctx context.Context) error {
		level, err := c.With(got).TVmaze.Validate(ctx)
		if err == nil {
			assert.Equal(t, mediaauthtest.DemoTVmazePremiumLevel, level)
		}
		return err
	})
	f.step("GET /auth/validate", 401, mediaauth.ErrUnauthorized, func(ctx context.Context) error {
		_, err := tv.TVmaze.Validate(ctx)
		return err
	})

	// The rest of the user API goes through Client.Do with the key.
	require.True(t, srv.TVmaze.FollowShows(got.Username, 169))
	f.step("GET /user/follows/shows", 200, nil, func(ctx context.Context) error {
		follows, err := followedShows(ctx, c.With(got))
		if err == nil {
			var want []tvmazeShowFollow
			for _, id := range append(mediaauthtest.DemoTVmazeFollowedShows(), 169) {
				want = append(want, tvmazeShowFollow{ShowID: id})
			}
			assert.Equal(t, want, follows, "the demo user's shows, then the one it followed")
		}
		return err
	})

	// The whole login with PollUntilConfirmed, for a second account that
	// confirms on the page of the confirm URL.
	_, err := srv.TVmaze.AddUser(mediaauthtest.TVmazeUser{Username: "proxy_tv", Email: "proxy.tv@example.com", PremiumLevel: mediaauth.PremiumSilver})
	require.NoError(t, err)
	req, fn = start("proxy.tv@example.com", mediaauth.WithoutEmailConfirmation())
	f.step("POST /auth/start", 200, nil, fn)
	assert.NotEmpty(t, req.ApprovalURL)
	require.NoError(t, srv.TVmaze.Confirm(req.Token))
	clock.Advance(tvmazeNextPoll)
	var confirmed *mediaauth.TVmazeCredentials
	statuses, err := contractCall(t, f.index.op(t, "POST /auth/poll"), 0, func(ctx context.Context) error {
		var err error
		confirmed, err = tv.TVmaze.PollUntilConfirmed(ctx, *req, fastPoll)
		return errorIfEmpty(err, confirmed != nil && confirmed.Username == "proxy_tv")
	})
	require.NoError(t, err)
	assert.Equal(t, []int{200}, statuses)
	f.step("GET /user/follows/shows", 200, nil, func(ctx context.Context) error {
		follows, err := followedShows(ctx, c.With(confirmed))
		if err == nil {
			assert.Empty(t, follows, "a new account follows nothing")
		}
		return errorIfEmpty(err, follows != nil)
	})
}
