// TMDb: v3 sessions (seed 004).

package mediaauth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

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

// Validate checks the handle's application credential, the
// [TMDbAPIKey] or [TMDbReadAccessToken] (GET /3/authentication). A refused
// credential is [ErrInvalidAPIKey]; a handle without one gets
// [ErrMissingCredentials] before anything is sent.
func (t *TMDb) Validate(ctx context.Context) error {
	var st tmdbStatus
	return t.hp().send(ctx, &call{ep: epTMDbValidateKey, out: &st})
}

// CreateSession turns an approved request token into a [Session], a
// [Credential] for [TMDb.With] (POST /3/authentication/session/new). Until the
// user approves the token it is [ErrRequestTokenNotApproved] (keep waiting); a
// token the user denied is [ErrSessionDenied]; an unknown, expired or already
// used token is [ErrInvalidRequestToken].
func (t *TMDb) CreateSession(ctx context.Context, tok RequestToken) (*Session, error) {
	sess, _, err := t.createSession(ctx, tok.Token, 0)
	return sess, err
}

// createSession is CreateSession with an answer grace (see keepAnswer); it
// also returns the HTTP status of the answer.
func (t *TMDb) createSession(ctx context.Context, requestToken string, grace time.Duration) (*Session, int, error) {
	if err := requireArgs("TMDb.CreateSession", "request token", requestToken); err != nil {
		return nil, 0, err
	}
	cl := &call{
		ep: epTMDbSession,
		body: struct {
			RequestToken string `json:"request_token"`
		}{requestToken},
		secrets: [2]string{requestToken},
	}
	defer t.hp().guard(ctx, cl, grace).release()
	sess, err := t.session(ctx, cl)
	return sess, cl.status, err
}

// CreateSessionFromV4Token turns a user's v4 access token (from
// [TMDb.CreateV4AccessToken]) into a v3 [Session]
// (POST /3/authentication/session/convert/4). A token that was logged out
// is [ErrInvalidAccessToken].
func (t *TMDb) CreateSessionFromV4Token(ctx context.Context, tok TMDbAccessToken) (*Session, error) {
	accessToken := tok.AccessToken
	if err := requireArgs("TMDb.CreateSessionFromV4Token", "access token", accessToken); err != nil {
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
// user's TMDb username and password: [TMDb.CreateRequestToken], then
// [TMDb.ValidateRequestTokenWithLogin], then [TMDb.CreateSession]. TMDb
// prefers that users approve request tokens in their browser on the page
// [TMDb.AuthenticateURL] names, so that the program never sees the
// password; use that flow when you can.
func (t *TMDb) LoginSession(ctx context.Context, username, password string) (*Session, error) {
	if err := requireArgs("TMDb.LoginSession", "username", username, "password", password); err != nil {
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

// DeleteSession logs the handle's [Session] out
// (DELETE /3/authentication/session). The handle must carry it:
// tmdb.With(session).DeleteSession(ctx); one without a Session gets
// [ErrMissingCredentials] before anything is sent. An unknown or already
// deleted session is [ErrNotFound].
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
