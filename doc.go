// Package mediaauth is a client for the authentication APIs of film and TV
// data services:
//
//   - the Movies API's user management: Register, VerifyEmail, Login (JSON),
//     FormLogin (OAuth2 password form), Profile, UpdateProfile, password
//     reset, and API keys (APIKey, GenerateAPIKey), with every protected call
//     sending "Authorization: Bearer <access token or API key>";
//   - TVmaze's device-style login: StartAuth, PollAuth, PollUntilConfirmed
//     and ValidateCredentials (HTTP Basic username:apikey);
//   - TMDb v3 authentication: request tokens, validation with a login,
//     sessions, guest sessions and session deletion, with the api_key query
//     parameter or a Bearer read access token.
//   - TMDb v4 user authentication: CreateV4RequestToken, V4ApprovalURL,
//     CreateV4AccessToken, DeleteV4AccessToken, with the Bearer read
//     access token;
//   - one shape for waiting on a person's approval: a pending value
//     (AuthRequest, RequestToken, TMDbV4RequestToken) and one wait per flow
//     with the same WaitOptions and WaitEvents (PollUntilConfirmed,
//     PollUntilApproved, PollUntilApprovedV4), and TMDb's browser login
//     with a loopback callback (LoginInBrowser, LoginInBrowserV4).
//
// # Clients
//
// [New] builds a [Client] from options; the Client is immutable and safe
// for concurrent use. Credentials are values ([Credential]: [Token],
// [APIKey], [TVmazeCredentials], [TMDbAPIKey], [TMDbReadAccessToken],
// [Session], [GuestSession], [TMDbAccessToken]); [Client.With] derives a
// client that carries them and shares the parent's transport and rate
// limiters:
//
//	c, err := mediaauth.New(mediaauth.WithMoviesBaseURL("https://api.example.com"))
//	tok, err := c.Login(ctx, "john_doe", password)
//	me, err := c.With(tok).Profile(ctx)
//
// The same pipeline serves the rest of each API: [Client.HTTPClient] gives
// an *http.Client that adds the API's credentials, waits on its limiter and
// keeps credentials on its origin; [Client.Do] sends one JSON call; and
// [CheckResponse] turns any answer into the SDK's typed errors.
//
// Every network call takes a context.Context first and goes through one
// pipeline: credentials, a client-side rate limiter per API, a retrying
// transport that knows which calls are safe to repeat (network errors and
// 5xx for idempotent calls; 429, 503 with Retry-After and refused
// connections for the rest), capped response bodies, and typed errors.
//
// # Errors
//
// A failed call returns an *APIError (the server answered), a *NetworkError
// (no complete answer), or an error wrapping the context's error. *APIError
// unwraps to the class of its HTTP status (ErrUnauthorized, ErrNotFound,
// ErrServer, ...) and to the endpoint's own sentinel where there is one
// (ErrInvalidCredentials, ErrEmailNotVerified, ErrTokenExpired,
// ErrAuthorizationPending, ErrRequestTokenNotApproved, ...):
//
//	if errors.Is(err, mediaauth.ErrEmailNotVerified) { ... }
//	var apiErr *mediaauth.APIError
//	if errors.As(err, &apiErr) { log.Println(apiErr.StatusCode, apiErr.Message) }
//
// # Secrets
//
// Passwords, tokens, API keys and session ids never appear in errors, log
// lines, or the %v, %+v and %#v output of any type of this package: types
// that carry them print "[REDACTED]" and implement slog.LogValuer, and one
// scrubber removes them from every error and log text, whoever wrote it.
// Read the secret through its field. Credentials and request bodies go only
// to the configured origin of their API: redirects elsewhere are not
// followed ([ErrRedirect]). Credentials are refused over plain http unless
// the host is loopback or [WithInsecureHTTP] is given.
//
// # Testing
//
// Package mediaauthtest serves an in-memory fake of all three APIs on a
// loopback port, for examples and tests.
package mediaauth
