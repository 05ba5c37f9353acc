//go:build contract

package mediaauth_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/stretchr/testify/assert"
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
			u, err := c.Register(ctx, mediaauth.RegisterRequest{
				Username: "contract_user", Password: "contract-password-1",
				Email: "contract@example.com", Name: "Contract Test",
			})
			return errorIfEmpty(err, u != nil && u.ID != "" && u.Username != "")
		}},
		{op: "verifyEmail", call: func(ctx context.Context, c *mediaauth.Client) error {
			return c.VerifyMoviesEmail(ctx, "verification-token")
		}},
		{op: "login", kinds: loginKinds, call: func(ctx context.Context, c *mediaauth.Client) error {
			tok, err := c.Login(ctx, "contract_user", "contract-password-1")
			return errorIfEmpty(err, tok != nil && tok.AccessToken != "")
		}},
		{op: "formLogin", kinds: loginKinds, call: func(ctx context.Context, c *mediaauth.Client) error {
			tok, err := c.FormLogin(ctx, "contract@example.com", "contract-password-1")
			return errorIfEmpty(err, tok != nil && tok.AccessToken != "")
		}},
		{op: "getProfile", call: func(ctx context.Context, c *mediaauth.Client) error {
			u, err := c.Profile(ctx)
			return errorIfEmpty(err, u != nil && u.ID != "")
		}},
		{op: "updateProfile", call: func(ctx context.Context, c *mediaauth.Client) error {
			u, err := c.UpdateProfile(ctx, mediaauth.ProfileUpdate{
				Name:  mediaauth.String("Contract Tester"),
				Email: mediaauth.String("contract.new@example.com"),
				Bio:   mediaauth.String("Checks requests against the contract."),
			})
			return errorIfEmpty(err, u != nil && u.ID != "")
		}},
		{op: "getAPIKey", call: func(ctx context.Context, c *mediaauth.Client) error {
			k, err := c.FetchMoviesAPIKey(ctx)
			return errorIfEmpty(err, k != nil && k.Key != "")
		}},
		{op: "generateAPIKey", call: func(ctx context.Context, c *mediaauth.Client) error {
			k, err := c.GenerateMoviesAPIKey(ctx)
			return errorIfEmpty(err, k != nil && k.Key != "")
		}},
		{op: "requestPasswordReset", call: func(ctx context.Context, c *mediaauth.Client) error {
			return c.RequestPasswordReset(ctx, "contract@example.com")
		}},
		{op: "confirmPasswordReset", call: func(ctx context.Context, c *mediaauth.Client) error {
			return c.ConfirmPasswordReset(ctx, "reset-token", "contract-password-2")
		}},
	}
}

// tvmazeCases covers TVmaze's three auth operations.
func tvmazeCases() []sdkCase {
	return []sdkCase{
		{op: "POST /auth/start", kinds: map[int]error{
			401: mediaauth.ErrEmailNotConfirmed,
			404: mediaauth.ErrEmailNotFound,
		}, call: func(ctx context.Context, c *mediaauth.Client) error {
			req, err := c.StartAuth(ctx, "contract@example.com")
			return errorIfEmpty(err, req != nil && req.Token != "")
		}},
		{op: "POST /auth/poll", kinds: map[int]error{
			403: mediaauth.ErrAuthorizationPending,
			404: mediaauth.ErrAuthRequestNotFound,
		}, call: func(ctx context.Context, c *mediaauth.Client) error {
			creds, err := c.PollAuth(ctx, "poll-token")
			return errorIfEmpty(err, creds != nil && creds.APIKey != "")
		}},
		{op: "GET /auth/validate", call: func(ctx context.Context, c *mediaauth.Client) error {
			_, err := c.ValidateTVmazeCredentials(ctx)
			return err
		}},
	}
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
			return c.ValidateTMDbCredentials(ctx)
		}},
		{op: "createRequestToken", kinds: kinds, call: func(ctx context.Context, c *mediaauth.Client) error {
			tok, err := c.CreateRequestToken(ctx)
			return errorIfEmpty(err, tok != nil && tok.Token != "" && !tok.ExpiresAt.IsZero())
		}},
		{op: "validateRequestTokenWithLogin", kinds: kinds, call: func(ctx context.Context, c *mediaauth.Client) error {
			tok, err := c.ValidateRequestTokenWithLogin(ctx, "contract_user", "contract-password-1", "request-token")
			return errorIfEmpty(err, tok != nil && tok.Token != "")
		}},
		{op: "createSession", kinds: kinds, call: func(ctx context.Context, c *mediaauth.Client) error {
			s, err := c.CreateSession(ctx, "request-token")
			return errorIfEmpty(err, s != nil && s.ID != "")
		}},
		{op: "createSessionFromV4Token", kinds: kinds, call: func(ctx context.Context, c *mediaauth.Client) error {
			s, err := c.CreateSessionFromV4Token(ctx, "v4-access-token")
			return errorIfEmpty(err, s != nil && s.ID != "")
		}},
		{op: "deleteSession", kinds: kinds, call: func(ctx context.Context, c *mediaauth.Client) error {
			return c.DeleteSession(ctx, "session-id")
		}},
		{op: "createGuestSession", kinds: kinds, call: func(ctx context.Context, c *mediaauth.Client) error {
			g, err := c.CreateGuestSession(ctx)
			return errorIfEmpty(err, g != nil && g.ID != "" && !g.ExpiresAt.IsZero())
		}},
	}
}

// testMock points a Client at Prism's mock of each contract and makes every
// call of the SDK, asking Prism for every documented status in turn: each
// request must satisfy the contract, each success must decode, and each
// error status must give the SDK's typed error.
func testMock(t *testing.T, index *specIndex, log *contractLog, urls prismURLs) {
	rt := urls.transport(t, index, log)
	c := contractClient(t, rt,
		mediaauth.WithMoviesBaseURL(urls.movies),
		mediaauth.WithCredentials(mediaauth.Token{AccessToken: "contract-access-token"}),
		// TVmaze's contract puts HTTP Basic on every path, /auth/start and
		// /auth/poll included: the mock refuses them without it. The SDK
		// sends Basic there whenever the client has credentials.
		mediaauth.WithTVmazeBaseURL(urls.tvmaze),
		mediaauth.WithCredentials(&mediaauth.TVmazeCredentials{Username: "contract", APIKey: "contract-tvmaze-key"}),
		mediaauth.WithPollInterval(10*time.Millisecond),
		// The TMDb contract's paths start with /3.
		mediaauth.WithTMDbBaseURL(urls.tmdb+"/3"),
		mediaauth.WithCredentials(mediaauth.TMDbAPIKey("contract-tmdb-key")),
	)

	groups := []struct {
		name  string
		cases []sdkCase
	}{
		{"movies", moviesCases()},
		{"tvmaze", tvmazeCases()},
		{"tmdb", tmdbCases()},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range g.cases {
				op := index.op(t, tc.op)
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
	t.Run("tmdb-bearer", func(t *testing.T) {
		t.Parallel()
		bearer := c.Without(mediaauth.APITMDb).With(mediaauth.TMDbReadAccessToken("contract-read-access-token"))
		for _, tc := range tmdbCases() {
			op := index.op(t, tc.op)
			_, err := contractCall(t, op, 0, func(ctx context.Context) error { return tc.call(ctx, bearer) })
			assert.NoError(t, err, "%v with a read access token", op)
		}
	})
	t.Run("tvmaze-confirm-url", func(t *testing.T) {
		t.Parallel()
		_, err := contractCall(t, index.op(t, "POST /auth/start"), 0, func(ctx context.Context) error {
			req, err := c.StartAuth(ctx, "contract@example.com", mediaauth.WithoutEmailConfirmation())
			return errorIfEmpty(err, req != nil && req.Token != "" && req.ConfirmURL != "")
		})
		assert.NoError(t, err)
	})
	t.Run("tvmaze-poll-until-confirmed", func(t *testing.T) {
		t.Parallel()
		statuses, err := contractCall(t, index.op(t, "POST /auth/poll"), 0, func(ctx context.Context) error {
			creds, err := c.PollUntilConfirmed(ctx, "poll-token")
			return errorIfEmpty(err, creds != nil && creds.APIKey != "")
		})
		assert.NoError(t, err)
		assert.Equal(t, []int{200}, statuses)
	})
	t.Run("tmdb-login-session", func(t *testing.T) {
		t.Parallel()
		statuses, err := contractCall(t, nil, 0, func(ctx context.Context) error {
			s, err := c.LoginSession(ctx, "contract_user", "contract-password-1")
			return errorIfEmpty(err, s != nil && s.ID != "")
		})
		assert.NoError(t, err)
		assert.Equal(t, []int{200, 200, 200}, statuses)
	})
}
