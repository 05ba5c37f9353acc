package contract_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/mediaauth/mediaauth"
)

// sdkCase calls the SDK method that wraps one operation.
type sdkCase struct {
	// op is the operation's ID in the contract.
	op string
	// kinds are the endpoint-specific errors expected for some statuses;
	// every error status also matches its class (ErrNotFound for 404...).
	kinds map[int]error
	// call calls the SDK and returns an error when a success lacks the
	// fields the contract requires.
	call func(ctx context.Context, c *mediaauth.Client) error
}

// moviesCases covers the ten Movies API operations.
func moviesCases() []sdkCase {
	loginKinds := map[int]error{
		401: mediaauth.ErrInvalidCredentials,
		403: mediaauth.ErrEmailNotVerified,
	}
	return []sdkCase{
		{op: "register", call: func(ctx context.Context, c *mediaauth.Client) error {
			u, err := c.Movies.Register(ctx, mediaauth.RegisterRequest{
				Username: "contract_user", Password: "contract-password-1",
				Email: "contract@example.com", Name: "Contract Test",
			})
			return errorIfEmpty(err, u != nil && u.ID != "" && u.Username != "")
		}},
		{op: "verifyEmail", call: func(ctx context.Context, c *mediaauth.Client) error {
			return c.Movies.VerifyEmail(ctx, "verification-token")
		}},
		{op: "login", kinds: loginKinds, call: func(ctx context.Context, c *mediaauth.Client) error {
			tok, err := c.Movies.Login(ctx, "contract_user", "contract-password-1")
			return errorIfEmpty(err, tok != nil && tok.AccessToken != "")
		}},
		{op: "formLogin", kinds: loginKinds, call: func(ctx context.Context, c *mediaauth.Client) error {
			tok, err := c.Movies.FormLogin(ctx, "contract@example.com", "contract-password-1")
			return errorIfEmpty(err, tok != nil && tok.AccessToken != "")
		}},
		{op: "getProfile", call: func(ctx context.Context, c *mediaauth.Client) error {
			u, err := c.Movies.Profile(ctx)
			return errorIfEmpty(err, u != nil && u.ID != "")
		}},
		{op: "updateProfile", call: func(ctx context.Context, c *mediaauth.Client) error {
			u, err := c.Movies.UpdateProfile(ctx, mediaauth.ProfileUpdate{
				Name:  mediaauth.String("Contract Tester"),
				Email: mediaauth.String("contract.new@example.com"),
				Bio:   mediaauth.String("Checks requests against the contract."),
			})
			return errorIfEmpty(err, u != nil && u.ID != "")
		}},
		{op: "getAPIKey", call: func(ctx context.Context, c *mediaauth.Client) error {
			k, err := c.Movies.FetchAPIKey(ctx)
			return errorIfEmpty(err, k != nil && k.Key != "")
		}},
		{op: "generateAPIKey", call: func(ctx context.Context, c *mediaauth.Client) error {
			k, err := c.Movies.GenerateAPIKey(ctx)
			return errorIfEmpty(err, k != nil && k.Key != "")
		}},
		{op: "requestPasswordReset", call: func(ctx context.Context, c *mediaauth.Client) error {
			return c.Movies.RequestPasswordReset(ctx, "contract@example.com")
		}},
		{op: "confirmPasswordReset", call: func(ctx context.Context, c *mediaauth.Client) error {
			return c.Movies.ConfirmPasswordReset(ctx, "reset-token", "contract-password-2")
		}},
	}
}

// tvmazeCases covers TVmaze's three auth operations and the followed
// shows, read through Client.Do.
func tvmazeCases() []sdkCase {
	return []sdkCase{
		{op: "POST /auth/start", kinds: map[int]error{
			401: mediaauth.ErrEmailNotConfirmed,
			404: mediaauth.ErrEmailNotFound,
		}, call: func(ctx context.Context, c *mediaauth.Client) error {
			req, err := c.TVmaze.StartAuth(ctx, "contract@example.com")
			return errorIfEmpty(err, req != nil && req.Token != "")
		}},
		{op: "POST /auth/poll", kinds: map[int]error{
			403: mediaauth.ErrAuthorizationPending,
			404: mediaauth.ErrAuthRequestNotFound,
		}, call: func(ctx context.Context, c *mediaauth.Client) error {
			creds, err := c.TVmaze.PollAuth(ctx, mediaauth.AuthRequest{Token: "poll-token"})
			return errorIfEmpty(err, creds != nil && creds.APIKey != "")
		}},
		{op: "GET /auth/validate", call: func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.TVmaze.Validate(ctx)
			return err
		}},
		{op: "GET /user/follows/shows", call: func(ctx context.Context, c *mediaauth.Client) error {
			follows, err := followedShows(ctx, c)
			return errorIfEmpty(err, follows != nil)
		}},
	}
}

// tvmazeShowFollow is the part of TVmaze's ShowFollow the tests read.
type tvmazeShowFollow struct {
	ShowID int `json:"show_id"`
}

// followedShows reads the shows the user of c follows, through Client.Do.
func followedShows(ctx context.Context, c *mediaauth.Client) ([]tvmazeShowFollow, error) {
	var follows []tvmazeShowFollow
	err := c.TVmaze.Do(ctx, http.MethodGet, "/user/follows/shows", nil, &follows)
	return follows, err
}

// tmdbCases covers the seven TMDb authentication operations. The
// contract's error examples carry TMDb codes 26 (400), 7 (401), 34 (404),
// 41 (422), 25 (429) and 9 (503).
func tmdbCases() []sdkCase {
	kinds := map[int]error{
		401: mediaauth.ErrInvalidAPIKey,
		404: mediaauth.ErrNotFound,
		422: mediaauth.ErrRequestTokenNotApproved,
		429: mediaauth.ErrRateLimited,
	}
	return []sdkCase{
		{op: "validateKey", kinds: kinds, call: func(ctx context.Context, c *mediaauth.Client) error {
			return c.TMDb.Validate(ctx)
		}},
		{op: "createRequestToken", kinds: kinds, call: func(ctx context.Context, c *mediaauth.Client) error {
			tok, err := c.TMDb.CreateRequestToken(ctx)
			return errorIfEmpty(err, tok != nil && tok.Token != "" && !tok.ExpiresAt.IsZero())
		}},
		{op: "validateRequestTokenWithLogin", kinds: kinds, call: func(ctx context.Context, c *mediaauth.Client) error {
			tok, err := c.TMDb.ValidateRequestTokenWithLogin(ctx, "contract_user", "contract-password-1", mediaauth.RequestToken{Token: "request-token"})
			return errorIfEmpty(err, tok != nil && tok.Token != "")
		}},
		{op: "createSession", kinds: kinds, call: func(ctx context.Context, c *mediaauth.Client) error {
			s, err := c.TMDb.CreateSession(ctx, mediaauth.RequestToken{Token: "request-token"})
			return errorIfEmpty(err, s != nil && s.ID != "")
		}},
		{op: "createSessionFromV4Token", kinds: kinds, call: func(ctx context.Context, c *mediaauth.Client) error {
			s, err := c.TMDb.CreateSessionFromV4Token(ctx, mediaauth.TMDbAccessToken{AccessToken: "v4-access-token"})
			return errorIfEmpty(err, s != nil && s.ID != "")
		}},
		{op: "deleteSession", kinds: kinds, call: func(ctx context.Context, c *mediaauth.Client) error {
			return c.TMDb.With(mediaauth.Session{ID: "session-id"}).DeleteSession(ctx)
		}},
		{op: "createGuestSession", kinds: kinds, call: func(ctx context.Context, c *mediaauth.Client) error {
			g, err := c.TMDb.CreateGuestSession(ctx)
			return errorIfEmpty(err, g != nil && g.ID != "" && !g.ExpiresAt.IsZero())
		}},
	}
}

// contractReadToken is the TMDb read access token the clients of the mocks
// send where the application's Bearer token is wanted.
const contractReadToken = "contract-read-access-token"

// tmdbV4Cases covers TMDb's three v4 authentication operations, which the
// SDK makes with the application's read access token only. The contract's
// error examples carry TMDb codes 7 (401), 41 (422) and 25 (429); the
// fake's codes 33 and 35 go through the proxy (tmdbV4Flow).
func tmdbV4Cases() []sdkCase {
	kinds := map[int]error{
		401: mediaauth.ErrInvalidAPIKey,
		422: mediaauth.ErrRequestTokenNotApproved,
		429: mediaauth.ErrRateLimited,
	}
	app := func(c *mediaauth.Client) *mediaauth.Client {
		return c.With(mediaauth.TMDbReadAccessToken(contractReadToken))
	}
	return []sdkCase{
		{op: "createV4RequestToken", kinds: kinds, call: func(ctx context.Context, c *mediaauth.Client) error {
			tok, err := app(c).TMDb.CreateV4RequestToken(ctx, "https://app.example.com/tmdb/approved")
			return errorIfEmpty(err, tok != nil && tok.Token != "" && !tok.ExpiresAt.IsZero())
		}},
		{op: "createV4AccessToken", kinds: kinds, call: func(ctx context.Context, c *mediaauth.Client) error {
			tok, err := app(c).TMDb.CreateV4AccessToken(ctx, mediaauth.TMDbV4RequestToken{Token: "v4-request-token"})
			return errorIfEmpty(err, tok != nil && tok.AccessToken != "" && tok.AccountID != "")
		}},
		{op: "deleteV4AccessToken", kinds: kinds, call: func(ctx context.Context, c *mediaauth.Client) error {
			return app(c).TMDb.With(mediaauth.TMDbAccessToken{AccessToken: "v4-access-token"}).DeleteV4AccessToken(ctx)
		}},
	}
}

// tmdbAccountCases covers the two TMDb account operations, which the SDK
// does not wrap in methods of its own: they go through the open pipeline,
// one through Client.Do and one through Client.HTTPClient with
// CheckResponse. The contract's error examples carry TMDb codes 3 (401),
// 34 (404) and 25 (429).
func tmdbAccountCases() []sdkCase {
	session := mediaauth.Session{ID: "contract-session-id"}
	kinds := map[int]error{
		404: mediaauth.ErrNotFound,
		429: mediaauth.ErrRateLimited,
	}
	return []sdkCase{
		{op: "accountOfSession", kinds: kinds, call: func(ctx context.Context, c *mediaauth.Client) error {
			acct, err := accountOfSession(ctx, c.With(session))
			return errorIfEmpty(err, acct != nil && acct.ID != 0 && acct.Username != "")
		}},
		{op: "accountDetails", kinds: kinds, call: func(ctx context.Context, c *mediaauth.Client) error {
			acct, err := accountDetails(ctx, c.With(session), 548)
			return errorIfEmpty(err, acct != nil && acct.ID != 0 && acct.Username != "")
		}},
	}
}

// tmdbAccount is the part of TMDb's Account the tests read.
type tmdbAccount struct {
	ID       int    `json:"id"`
	Username string `json:"username"`
}

// accountOfSession reads the account of the client's session with
// Client.Do.
func accountOfSession(ctx context.Context, c *mediaauth.Client) (*tmdbAccount, error) {
	var acct tmdbAccount
	if err := c.TMDb.Do(ctx, http.MethodGet, "/3/account", nil, &acct); err != nil {
		return nil, err
	}
	return &acct, nil
}

// accountDetails reads account id with the client's session, through
// Client.HTTPClient and CheckResponse.
func accountDetails(ctx context.Context, c *mediaauth.Client, id int) (*tmdbAccount, error) {
	target := c.TMDb.BaseURL() + "/3/account/" + strconv.Itoa(id)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.TMDb.HTTPClient().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := mediaauth.CheckResponse(mediaauth.APITMDb, resp); err != nil {
		return nil, err
	}
	var acct tmdbAccount
	if err := json.NewDecoder(resp.Body).Decode(&acct); err != nil {
		return nil, err
	}
	return &acct, nil
}

// testMock points a Client at Prism's mock of each contract and makes every
// call of the SDK, asking Prism for every documented status in turn: each
// request must satisfy the contract, each success must decode, and each
// error status must give the SDK's typed error.
func testMock(t *testing.T, index *specIndex, log *contractLog, mocks prismSet) {
	rt := mocks.transport(t, index, log)
	// client returns a Client whose API of cf is cf's mock, with
	// credentials for every API.
	client := func(t testing.TB, cf *contractFile) *mediaauth.Client {
		return contractClient(t, rt, append(mocks.apiOptions(cf),
			mediaauth.WithCredentials(mediaauth.Token{AccessToken: "contract-access-token"}),
			// TVmaze's contract puts HTTP Basic on every path, /auth/start
			// and /auth/poll included: the mock refuses them without it. The
			// SDK sends Basic there whenever the client has credentials.
			mediaauth.WithCredentials(&mediaauth.TVmazeCredentials{Username: "contract", APIKey: "contract-tvmaze-key"}),
			mediaauth.WithCredentials(mediaauth.TMDbAPIKey("contract-tmdb-key")),
		)...)
	}

	for _, cf := range index.contracts {
		c := client(t, cf)
		t.Run(cf.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range cf.cases() {
				op := index.op(t, tc.op)
				if op.Contract != cf {
					t.Errorf("case %s of %s is an operation of %s", tc.op, cf.name, op.Contract.name)
					continue
				}
				t.Run(tc.op, func(t *testing.T) {
					for _, status := range op.Statuses {
						t.Run(strconv.Itoa(status), func(t *testing.T) {
							_, err := contractCall(t, op, status, func(ctx context.Context) error { return tc.call(ctx, c) })
							assertOutcome(t, op, status, err, tc.kinds[status])
						})
					}
				})
			}
		})
	}

	// The other ways of calling: TMDb with a read access token instead of
	// the api_key parameter, TVmaze without email confirmation, and the
	// calls made of several requests.
	for _, cf := range index.contracts {
		if cf.api != mediaauth.APITMDb {
			continue
		}
		bearer := client(t, cf).Without(mediaauth.APITMDb).With(mediaauth.TMDbReadAccessToken(contractReadToken))
		t.Run(cf.name+"-bearer", func(t *testing.T) {
			t.Parallel()
			for _, tc := range cf.cases() {
				op := index.op(t, tc.op)
				_, err := contractCall(t, op, 0, func(ctx context.Context) error { return tc.call(ctx, bearer) })
				assert.NoError(t, err, "%v with a read access token", op)
			}
		})
	}
	tv := client(t, index.op(t, "POST /auth/start").Contract)
	t.Run("tvmaze-confirm-url", func(t *testing.T) {
		t.Parallel()
		_, err := contractCall(t, index.op(t, "POST /auth/start"), 0, func(ctx context.Context) error {
			req, err := tv.TVmaze.StartAuth(ctx, "contract@example.com", mediaauth.WithoutEmailConfirmation())
			return errorIfEmpty(err, req != nil && req.Token != "" && req.ApprovalURL != "")
		})
		assert.NoError(t, err)
	})
	t.Run("tvmaze-poll-until-confirmed", func(t *testing.T) {
		t.Parallel()
		statuses, err := contractCall(t, index.op(t, "POST /auth/poll"), 0, func(ctx context.Context) error {
			creds, err := tv.TVmaze.PollUntilConfirmed(ctx, mediaauth.AuthRequest{Token: "poll-token"}, fastPoll)
			return errorIfEmpty(err, creds != nil && creds.APIKey != "")
		})
		assert.NoError(t, err)
		assert.Equal(t, []int{200}, statuses)
	})
	tmdb := client(t, index.op(t, "createSession").Contract)
	t.Run("tmdb-login-session", func(t *testing.T) {
		t.Parallel()
		statuses, err := contractCall(t, nil, 0, func(ctx context.Context) error {
			s, err := tmdb.TMDb.LoginSession(ctx, "contract_user", "contract-password-1")
			return errorIfEmpty(err, s != nil && s.ID != "")
		})
		assert.NoError(t, err)
		assert.Equal(t, []int{200, 200, 200}, statuses)
	})
	// A v4 login spans two contracts: its requests go to the mock of each.
	tmdbAll := mocks.tmdbClient(t, index, rt, mediaauth.WithCredentials(mediaauth.TMDbReadAccessToken(contractReadToken)))
	t.Run("tmdb-login-v4", func(t *testing.T) {
		t.Parallel()
		statuses, err := contractCall(t, nil, 0, func(ctx context.Context) error {
			rt, err := tmdbAll.TMDb.CreateV4RequestToken(ctx, "")
			if err != nil {
				return err
			}
			tok, err := tmdbAll.TMDb.PollUntilApprovedV4(ctx, *rt, mediaauth.WithPollInterval(time.Millisecond))
			if err != nil {
				return err
			}
			s, err := tmdbAll.TMDb.CreateSessionFromV4Token(ctx, *tok)
			return errorIfEmpty(err, tok.AccessToken != "" && s != nil && s.ID != "")
		})
		assert.NoError(t, err)
		assert.Equal(t, []int{200, 200, 200}, statuses)
	})
}
