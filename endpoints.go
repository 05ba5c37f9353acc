package mediaauth

import (
	"net/http"
	"strings"
)

// endpoint describes one operation of an API for the pipeline: where it
// is, which credentials it sends, when it may be resent, and which
// sentinels its statuses map to. Every method of Client that calls an API
// names one of these; none does HTTP itself.
type endpoint struct {
	// name is the Client method, for errors and the resend audit.
	name     string
	api      API
	method   string
	path     string // relative to the API's base URL, no query
	role     role
	resend   retryMode
	statuses statusTable
	// appBearer: the application's credential must be sent as a Bearer
	// token (TMDb v4 authentication needs the read access token).
	appBearer bool
}

// The endpoints of the Movies API (its contract: movies-auth.openapi.yaml).
var (
	epMoviesRegister = &endpoint{name: "Movies.Register", api: APIMovies, method: http.MethodPost, path: "/register",
		role: roleNone, resend: retryUnsafe, statuses: moviesStatuses}
	// The verification token is single-use: resent only when the server
	// certainly did not receive it.
	epMoviesVerifyEmail = &endpoint{name: "Movies.VerifyEmail", api: APIMovies, method: http.MethodPost, path: "/verify-email",
		role: roleNone, resend: retryUnsafe, statuses: moviesStatuses}
	epMoviesLogin = &endpoint{name: "Movies.Login", api: APIMovies, method: http.MethodPost, path: "/login",
		role: roleNone, resend: retryUnsafe, statuses: moviesLoginStatuses}
	epMoviesFormLogin = &endpoint{name: "Movies.FormLogin", api: APIMovies, method: http.MethodPost, path: "/auth/login",
		role: roleNone, resend: retryUnsafe, statuses: moviesLoginStatuses}
	epMoviesProfile = &endpoint{name: "Movies.Profile", api: APIMovies, method: http.MethodGet, path: "/user/profile",
		role: roleRequired, resend: retryIdempotent, statuses: moviesStatuses}
	// PUT of the same fields twice leaves the same profile.
	epMoviesUpdateProfile = &endpoint{name: "Movies.UpdateProfile", api: APIMovies, method: http.MethodPut, path: "/user/profile",
		role: roleRequired, resend: retryIdempotent, statuses: moviesStatuses}
	epMoviesResetRequest = &endpoint{name: "Movies.RequestPasswordReset", api: APIMovies, method: http.MethodPost, path: "/password/reset",
		role: roleNone, resend: retryUnsafe, statuses: moviesStatuses}
	epMoviesResetConfirm = &endpoint{name: "Movies.ConfirmPasswordReset", api: APIMovies, method: http.MethodPost, path: "/password/reset/confirm",
		role: roleNone, resend: retryUnsafe, statuses: moviesStatuses}
	epMoviesGetAPIKey = &endpoint{name: "Movies.FetchAPIKey", api: APIMovies, method: http.MethodGet, path: "/user/api-key",
		role: roleRequired, resend: retryIdempotent, statuses: moviesStatuses}
	// Each POST makes a new key and revokes the last one.
	epMoviesNewAPIKey = &endpoint{name: "Movies.GenerateAPIKey", api: APIMovies, method: http.MethodPost, path: "/user/api-key",
		role: roleRequired, resend: retryUnsafe, statuses: moviesStatuses}
)

// The endpoints of TVmaze's user API (tvmaze-user-v1.openapi.yaml).
var (
	epTVmazeStart = &endpoint{name: "TVmaze.StartAuth", api: APITVmaze, method: http.MethodPost, path: "/auth/start",
		role: roleIfAny, resend: retryUnsafe, statuses: tvmazeStartStatuses}
	// The key is handed out once: a poll is never resent by the transport.
	epTVmazePoll = &endpoint{name: "TVmaze.PollAuth", api: APITVmaze, method: http.MethodPost, path: "/auth/poll",
		role: roleIfAny, resend: retryNever, statuses: tvmazePollStatuses}
	epTVmazeValidate = &endpoint{name: "TVmaze.Validate", api: APITVmaze, method: http.MethodGet, path: "/auth/validate",
		role: roleRequired, resend: retryIdempotent}
)

// The endpoints of TMDb's authentication (tmdb-auth-v3.openapi.yaml and
// tmdb-auth-v4.openapi.yaml), relative to the API's root.
var (
	epTMDbValidateKey = &endpoint{name: "TMDb.Validate", api: APITMDb, method: http.MethodGet, path: "/3/authentication",
		role: roleRequired, resend: retryIdempotent}
	// A new unused request token is harmless: it expires on its own.
	epTMDbRequestToken = &endpoint{name: "TMDb.CreateRequestToken", api: APITMDb, method: http.MethodGet, path: "/3/authentication/token/new",
		role: roleRequired, resend: retryIdempotent}
	epTMDbValidateWithLogin = &endpoint{name: "TMDb.ValidateRequestTokenWithLogin", api: APITMDb, method: http.MethodPost, path: "/3/authentication/token/validate_with_login",
		role: roleRequired, resend: retryUnsafe}
	// A request token makes one session only.
	epTMDbSession = &endpoint{name: "TMDb.CreateSession", api: APITMDb, method: http.MethodPost, path: "/3/authentication/session/new",
		role: roleRequired, resend: retryUnsafe}
	epTMDbSessionFromV4 = &endpoint{name: "TMDb.CreateSessionFromV4Token", api: APITMDb, method: http.MethodPost, path: "/3/authentication/session/convert/4",
		role: roleRequired, resend: retryUnsafe}
	epTMDbGuestSession = &endpoint{name: "TMDb.CreateGuestSession", api: APITMDb, method: http.MethodGet, path: "/3/authentication/guest_session/new",
		role: roleRequired, resend: retryIdempotent}
	// Deleting a session twice leaves it deleted.
	epTMDbDeleteSession = &endpoint{name: "TMDb.DeleteSession", api: APITMDb, method: http.MethodDelete, path: "/3/authentication/session",
		role: roleRequired, resend: retryIdempotent}

	// The v4 calls authenticate with the application's read access token
	// only. Creating a v4 request token is a POST, but sending it twice
	// does no harm: the extra token is one nobody approves, and it expires
	// on its own after 15 minutes, like the v3 token/new above (a GET that
	// also makes a token). So it is resent like an idempotent call.
	epTMDbV4RequestToken = &endpoint{name: "TMDb.CreateV4RequestToken", api: APITMDb, method: http.MethodPost, path: "/4/auth/request_token",
		role: roleRequired, appBearer: true, resend: retryIdempotent}
	// An approved request token makes one access token only.
	epTMDbV4AccessToken = &endpoint{name: "TMDb.CreateV4AccessToken", api: APITMDb, method: http.MethodPost, path: "/4/auth/access_token",
		role: roleRequired, appBearer: true, resend: retryUnsafe}
	// Logging a token out twice leaves it logged out (the second answer is
	// code 35, ErrInvalidAccessToken).
	epTMDbV4DeleteAccessToken = &endpoint{name: "TMDb.DeleteV4AccessToken", api: APITMDb, method: http.MethodDelete, path: "/4/auth/access_token",
		role: roleRequired, appBearer: true, resend: retryIdempotent}
)

// endpoints lists every endpoint the SDK wraps, for the resend audit and
// the contract tests.
var endpoints = []*endpoint{
	epMoviesRegister, epMoviesVerifyEmail, epMoviesLogin, epMoviesFormLogin,
	epMoviesProfile, epMoviesUpdateProfile, epMoviesResetRequest, epMoviesResetConfirm,
	epMoviesGetAPIKey, epMoviesNewAPIKey,
	epTVmazeStart, epTVmazePoll, epTVmazeValidate,
	epTMDbValidateKey, epTMDbRequestToken, epTMDbValidateWithLogin, epTMDbSession,
	epTMDbSessionFromV4, epTMDbGuestSession, epTMDbDeleteSession,
	epTMDbV4RequestToken, epTMDbV4AccessToken, epTMDbV4DeleteAccessToken,
}

// endpointFor returns the endpoint of api whose method is method and whose
// path ends path (a request's URL path: the base URL's path and the
// endpoint's), or a description of an endpoint the SDK does not wrap, with
// no status table of its own. CheckResponse and Do use it, so that every
// door maps an endpoint's statuses alike.
func endpointFor(api API, method, path string) *endpoint {
	for _, ep := range endpoints {
		if ep.api == api && ep.method == method && strings.HasSuffix(path, ep.path) {
			return ep
		}
	}
	return &endpoint{name: "Do", api: api, method: method, path: path, role: openRole(api), resend: methodMode(method)}
}
