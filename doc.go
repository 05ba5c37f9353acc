// Package mediaauth is a client for the authentication APIs of film and TV
// data services: the Movies API's user management, TVmaze's device-style
// login, and TMDb's v3 and v4 authentication; and, with what a login gave,
// for the rest of each API.
//
// # One handle per API
//
// [New] builds a [Client] from options. A Client holds one handle per API,
// each with that API's typed calls:
//
//   - [Client.Movies] ([Movies]): [Movies.Register], [Movies.VerifyEmail],
//     [Movies.Login] (JSON), [Movies.FormLogin] (OAuth2 password form),
//     [Movies.Profile], [Movies.UpdateProfile],
//     [Movies.RequestPasswordReset], [Movies.ConfirmPasswordReset],
//     [Movies.FetchAPIKey], [Movies.GenerateAPIKey], and
//     [Movies.LoginTokenSource] for a token that is renewed;
//   - [Client.TVmaze] ([TVmaze]): [TVmaze.StartAuth], [TVmaze.PollAuth],
//     [TVmaze.PollUntilConfirmed] and [TVmaze.Validate];
//   - [Client.TMDb] ([TMDb]): v3 request tokens ([TMDb.CreateRequestToken],
//     [TMDb.AuthenticateURL], [TMDb.ValidateRequestTokenWithLogin]),
//     sessions ([TMDb.CreateSession], [TMDb.LoginSession],
//     [TMDb.CreateGuestSession], [TMDb.DeleteSession]), [TMDb.Validate],
//     and the v4 user authentication ([TMDb.CreateV4RequestToken],
//     [TMDb.V4ApprovalURL], [TMDb.CreateV4AccessToken],
//     [TMDb.CreateSessionFromV4Token], [TMDb.DeleteV4AccessToken]).
//
// The Client and its handles are immutable and safe for concurrent use.
// Every network call takes a [context.Context] first.
//
//	c, err := mediaauth.New(mediaauth.WithMoviesBaseURL("https://api.example.com"))
//	tok, err := c.Movies.Login(ctx, "john_doe", password)
//	me, err := c.Movies.With(tok).Profile(ctx)
//
// # Credentials are values
//
// A [Credential] knows its API, whether it is the application's or the
// user's, how it goes on a request, and which secrets it holds: [Token],
// [APIKey] and [RenewingMoviesToken] for the Movies API;
// [TVmazeCredentials] for TVmaze; [TMDbAPIKey] or [TMDbReadAccessToken]
// for a TMDb application, and [Session], [GuestSession] or
// [TMDbAccessToken] for a TMDb user. Give them to [New] with
// [WithCredentials], or derive a handle that carries them with
// [Movies.With], [TVmaze.With] or [TMDb.With] ([Client.With] derives a
// whole client, [Client.Without] drops an API's). A handle carries at most
// one application credential and one user credential: a later one of the
// same role replaces the earlier. Derived clients and handles share the
// parent's connections and rate limiters. The calls that revoke a
// credential act on the handle's own:
//
//	err = c.TMDb.With(session).DeleteSession(ctx)
//
// [StoredCredentials] and a [CredentialStore] ([FileStore], or
// [KeychainStore] for the OS keychain) keep credentials between runs.
// [StoredMoviesTokenSource] renews a Movies token through a store that is
// a [RenewalLocker] as one transaction under the store's lock, so that
// every process sharing the store (a FileStore on one host, the Redis
// store of the redislimit module across hosts) renews once, and a failed
// login is shared for a short back-off ([ErrRenewalBackoff]) rather than
// repeated by every caller.
//
// # Traces and metrics
//
// [WithObserver] tells an [Observer] of every call, attempt, rate-limit
// wait, retry, renewal and TVmaze poll ([Event]), without a secret; the
// module github.com/mediaauth/mediaauth/mediaauthotel turns them into
// OpenTelemetry spans and metrics. Without an Observer, observing costs
// nothing.
//
// # Waiting for a person's approval
//
// The logins that a person approves elsewhere have one shape. Starting one
// returns a pending value with what the person needs, ApprovalURL, Token
// and ExpiresAt: [AuthRequest] from [TVmaze.StartAuth], [RequestToken]
// from [TMDb.CreateRequestToken], [TMDbV4RequestToken] from
// [TMDb.CreateV4RequestToken]. One wait per flow takes it, with the same
// per-call options ([WaitOption]: [WithPollInterval], [WithFastPolling],
// [WithPollAnswerGrace], [WithWaitObserver], [WithPageOpener]) and the
// same events ([WaitEvent]): [TVmaze.PollUntilConfirmed],
// [TMDb.PollUntilApproved] and [TMDb.PollUntilApprovedV4].
// [TMDb.LoginInBrowser] and [TMDb.LoginInBrowserV4] run TMDb's whole login
// in the user's browser ([SystemBrowser]) with a callback on 127.0.0.1.
//
// # Three doors, one engine
//
// Each handle sends through one engine, a pipeline of stages: the origin
// lock, the credential that authorizes the request, the API's rate
// limiter, the retries (only of calls safe to repeat), logging and
// scrubbing, and a transport whose answers are capped. Three doors lead
// into it, with the same rules:
//
//   - the typed calls above;
//   - Do ([Movies.Do], [TVmaze.Do], [TMDb.Do]): one JSON call to any path
//     of the API, with the handle's credentials;
//   - HTTPClient ([Movies.HTTPClient], [TVmaze.HTTPClient],
//     [TMDb.HTTPClient]): an *[http.Client] for the rest of the API,
//     whose answers [CheckResponse] turns into the typed calls' errors.
//     BaseURL ([Movies.BaseURL], ...) builds its URLs.
//
// # Errors
//
// A failed call returns an *[APIError] (the server answered), a
// *[NetworkError] (no complete answer), or an error wrapping the context's
// error. A check made before sending fails with [ErrInvalidArgument], as
// does every network call of a nil handle or a zero Client, and a call that
// needs a credential the handle does not carry fails with
// [ErrMissingCredentials]; neither sends anything. *APIError
// unwraps to the class of its HTTP status ([ErrUnauthorized],
// [ErrNotFound], [ErrServer], ...) and to the endpoint's own sentinel
// where there is one ([ErrInvalidCredentials], [ErrEmailNotVerified],
// [ErrTokenExpired], [ErrAuthorizationPending],
// [ErrRequestTokenNotApproved], ...), whichever door the answer came
// through:
//
//	if errors.Is(err, mediaauth.ErrEmailNotVerified) { ... }
//	var apiErr *mediaauth.APIError
//	if errors.As(err, &apiErr) { log.Println(apiErr.StatusCode, apiErr.Path, apiErr.Message) }
//
// # The boundary
//
// Credentials and request bodies go only to the configured origin of
// their API: a request for another origin through HTTPClient fails with
// [ErrOriginMismatch], and a redirect to another origin, or of a request
// with a body, is not followed ([ErrRedirect]). Credentials are refused
// over plain http unless the host is loopback or [WithInsecureHTTP] is
// given. Passwords, tokens, API keys and session ids never appear in
// errors, log lines, or the %v, %+v and %#v output of any type of this
// package: types that carry them print "[REDACTED]" and implement
// [slog.LogValuer], and one scrubber removes them from every error and log
// text, whoever wrote it; read a secret through its field. A call that
// consumes a single-use token (a verification or reset token, a TMDb
// request token) or that TVmaze answers with a key it hands out once (a
// poll) is never resent once the server may have received it. Success
// bodies are capped at 1 MiB, error bodies
// at 64 KiB, and the header section at 64 KiB on the transport New
// builds. The caller's context is honoured; the one exception is the short
// grace a TVmaze poll has to read a key already arriving
// ([WithPollAnswerGrace]).
//
// # Testing
//
// Package [github.com/mediaauth/mediaauth/mediaauthtest] serves an
// in-memory fake of all three APIs on a loopback port, for examples and
// tests.
package mediaauth
