// TMDb: v3 sessions (seed 004).

package mediaauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
)

// TMDb is the TMDb API handle of a [Client]: request tokens, sessions, guest sessions and v4 access tokens. Get it from
// [Client.TMDb]; derive one that carries other credentials with
// [TMDb.With]. It is immutable and safe for concurrent use; the methods of
// a nil *TMDb return an error wrapping [ErrInvalidArgument].
type TMDb struct{ h handle }

// hp returns the handle, nil for a nil *TMDb.
func (t *TMDb) hp() *handle {
	if t == nil {
		return nil
	}
	return &t.h
}

// With returns a handle that carries creds in place of the TMDb API
// credentials of the same role (credentials of other APIs are ignored)
// and shares t's engine: transport, rate limiter and settings. An
// invalid credential makes every call of the returned handle fail with
// [ErrInvalidArgument] before anything is sent.
func (t *TMDb) With(creds ...Credential) *TMDb {
	if t == nil || t.h.e == nil {
		return t
	}
	return &TMDb{h: t.h.with(APITMDb, creds)}
}

// HTTPClient returns the handle's engine for the rest of the TMDb API: an
// *http.Client whose requests to the API's origin get the handle's
// credentials (the application's API key or read access token, and the user's session or v4 access token when it has one), wait on the same rate limiter as the typed calls,
// are resent only when that is safe, are logged and scrubbed the same way,
// and follow redirects only within the origin, without a body and without
// a credential in the target. A request to any other origin fails with
// [ErrOriginMismatch] and is never sent. Use [CheckResponse] with
// [APITMDb] to turn its error answers into the typed calls' errors.
func (t *TMDb) HTTPClient() *http.Client { return t.hp().httpClient() }

// BaseURL returns the TMDb API's base URL ("" when none is configured),
// for building the URLs given to [TMDb.HTTPClient].
func (t *TMDb) BaseURL() string { return t.hp().baseURL() }

// Do sends one request through the handle's engine, the one the typed
// calls use, and decodes the JSON answer into out. path is relative to the
// base URL and may carry a query string ("/3/account"). in, when not nil, is
// sent as the JSON body; out, when not nil, must be a non-nil pointer.
// The request carries the handle's credentials (the application's API key or read access token, and the user's session or v4 access token when it has one), waits on the
// rate limiter, and is resent only when that is safe: GET, HEAD, PUT and
// DELETE on network errors and 5xx, other methods only when the server
// certainly did not act. Error answers are *APIError, exactly as
// [CheckResponse] makes them, and a missing answer is *NetworkError. An
// invalid method, path, in or out fails with [ErrInvalidArgument] before
// anything is sent.
func (t *TMDb) Do(ctx context.Context, method, path string, in, out any) error {
	return t.hp().do(ctx, method, path, in, out)
}

// Session is a TMDb user session, the session_id that TMDb's account
// methods take. End it with DeleteSession. Printing or logging a Session
// never shows ID.
type Session struct {
	// ID is the session id.
	ID string `json:"session_id"`
}

// String describes the session without its id.
func (s Session) String() string {
	return safeString("Session", "ID", secretMark(s.ID))
}

// Format prints the session like String for every verb.
func (s Session) Format(f fmt.State, _ rune) { formatSafe(f, s.String()) }

// LogValue keeps the session id out of slog output.
func (s Session) LogValue() slog.Value { return logSafe(s.String()) }

// checkSuccess refuses a 2xx answer whose success field is false, or
// missing when the contract requires it.
func checkSuccess(success *bool, required bool) error {
	switch {
	case success == nil && required:
		return errors.New("answer without success")
	case success != nil && !*success:
		return errors.New(`answer has "success": false`)
	}
	return nil
}

// tmdbStatus is TMDb's Status body: {success, status_code, status_message},
// where success is optional.
type tmdbStatus struct {
	Success       *bool  `json:"success"`
	StatusCode    int    `json:"status_code"`
	StatusMessage string `json:"status_message"`
}

func (s *tmdbStatus) validate() error { return checkSuccess(s.Success, false) }

// tmdbDeleted is the answer of DELETE /authentication/session: {success}.
type tmdbDeleted struct {
	Success *bool `json:"success"`
}

func (s *tmdbDeleted) validate() error { return checkSuccess(s.Success, true) }

// sessionResponse is the Session schema of the TMDb contract.
type sessionResponse struct {
	Success   *bool  `json:"success"`
	SessionID string `json:"session_id"`
}

func (r *sessionResponse) validate() error {
	if err := checkSuccess(r.Success, true); err != nil {
		return err
	}
	if r.SessionID == "" {
		return errors.New("answer without session_id")
	}
	return nil
}

// ValidateTMDbCredentials checks the client's TMDb API key or read access token
// (GET /authentication). A refused credential is ErrInvalidAPIKey.
func (t *TMDb) Validate(ctx context.Context) error {
	var st tmdbStatus
	return t.hp().send(ctx, &call{ep: epTMDbValidateKey, out: &st})
}

// CreateSession turns an approved request token into a session
// (POST /authentication/session/new). Until the user approves the token it
// is ErrRequestTokenNotApproved (keep waiting); a token the user denied is
// ErrSessionDenied; an unknown, expired or already used token is
// ErrInvalidRequestToken.
func (t *TMDb) CreateSession(ctx context.Context, tok RequestToken) (*Session, error) {
	requestToken := tok.Token
	if err := requireArgs("CreateSession", "request token", requestToken); err != nil {
		return nil, err
	}
	return t.session(ctx, &call{
		ep: epTMDbSession,
		body: struct {
			RequestToken string `json:"request_token"`
		}{requestToken},
		secrets: [2]string{requestToken},
	})
}

// CreateSessionFromV4Token turns a user-approved TMDb v4 access token into
// a v3 session (POST /authentication/session/convert/4).
func (t *TMDb) CreateSessionFromV4Token(ctx context.Context, tok TMDbAccessToken) (*Session, error) {
	accessToken := tok.AccessToken
	if err := requireArgs("CreateSessionFromV4Token", "access token", accessToken); err != nil {
		return nil, err
	}
	return t.session(ctx, &call{
		ep: epTMDbSessionFromV4,
		body: struct {
			AccessToken string `json:"access_token"`
		}{accessToken},
		secrets: [2]string{accessToken},
	})
}

func (t *TMDb) session(ctx context.Context, cl *call) (*Session, error) {
	var r sessionResponse
	cl.out = &r
	if err := t.hp().send(ctx, cl); err != nil {
		return nil, err
	}
	return &Session{ID: r.SessionID}, nil
}

// LoginSession runs the whole login in one call for programs that hold the
// user's TMDb username and password: CreateRequestToken, then
// ValidateRequestTokenWithLogin, then CreateSession. TMDb prefers that users
// approve request tokens in their browser on the page AuthenticateURL names,
// so that the program never sees the password; use that flow when you can.
func (t *TMDb) LoginSession(ctx context.Context, username, password string) (*Session, error) {
	if err := requireArgs("LoginSession", "username", username, "password", password); err != nil {
		return nil, err
	}
	tok, err := t.CreateRequestToken(ctx)
	if err != nil {
		return nil, err
	}
	tok, err = t.ValidateRequestTokenWithLogin(ctx, username, password, *tok)
	if err != nil {
		return nil, err
	}
	return t.CreateSession(ctx, *tok)
}

// DeleteSession logs the handle's session out
// (DELETE /authentication/session). The handle must carry it:
// tmdb.With(session).DeleteSession(ctx). An unknown or already deleted
// session is ErrNotFound.
func (t *TMDb) DeleteSession(ctx context.Context) error {
	if err := t.hp().usable(); err != nil {
		return err
	}
	sess, ok := userCredential[Session](t.hp())
	if !ok {
		return fmt.Errorf("mediaauth: DeleteSession: the handle carries no Session (use With): %w", ErrMissingCredentials)
	}
	var st tmdbDeleted
	return t.hp().send(ctx, &call{
		ep: epTMDbDeleteSession,
		body: struct {
			SessionID string `json:"session_id"`
		}{sess.ID},
		out: &st, secrets: [2]string{sess.ID},
	})
}
