package mediaauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

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
func (c *Client) ValidateTMDbCredentials(ctx context.Context) error {
	var st tmdbStatus
	return c.do(ctx, &call{ep: epTMDbValidateKey, out: &st})
}

// CreateSession turns an approved request token into a session
// (POST /authentication/session/new). Until the user approves the token it
// is ErrRequestTokenNotApproved (keep waiting); a token the user denied is
// ErrSessionDenied; an unknown, expired or already used token is
// ErrInvalidRequestToken.
func (c *Client) CreateSession(ctx context.Context, requestToken string) (*Session, error) {
	if err := requireArgs("CreateSession", "request token", requestToken); err != nil {
		return nil, err
	}
	return c.session(ctx, &call{
		ep: epTMDbSession,
		body: struct {
			RequestToken string `json:"request_token"`
		}{requestToken},
		secrets: [2]string{requestToken},
	})
}

// CreateSessionFromV4Token turns a user-approved TMDb v4 access token into
// a v3 session (POST /authentication/session/convert/4).
func (c *Client) CreateSessionFromV4Token(ctx context.Context, accessToken string) (*Session, error) {
	if err := requireArgs("CreateSessionFromV4Token", "access token", accessToken); err != nil {
		return nil, err
	}
	return c.session(ctx, &call{
		ep: epTMDbSessionFromV4,
		body: struct {
			AccessToken string `json:"access_token"`
		}{accessToken},
		secrets: [2]string{accessToken},
	})
}

func (c *Client) session(ctx context.Context, cl *call) (*Session, error) {
	var r sessionResponse
	cl.out = &r
	if err := c.do(ctx, cl); err != nil {
		return nil, err
	}
	return &Session{ID: r.SessionID}, nil
}

// LoginSession runs the whole login in one call for programs that hold the
// user's TMDb username and password: CreateRequestToken, then
// ValidateRequestTokenWithLogin, then CreateSession. TMDb prefers that users
// approve request tokens in their browser on the page AuthenticateURL names,
// so that the program never sees the password; use that flow when you can.
func (c *Client) LoginSession(ctx context.Context, username, password string) (*Session, error) {
	if err := requireArgs("LoginSession", "username", username, "password", password); err != nil {
		return nil, err
	}
	tok, err := c.CreateRequestToken(ctx)
	if err != nil {
		return nil, err
	}
	tok, err = c.ValidateRequestTokenWithLogin(ctx, username, password, tok.Token)
	if err != nil {
		return nil, err
	}
	return c.CreateSession(ctx, tok.Token)
}

// DeleteSession logs a session out (DELETE /authentication/session). An
// unknown or already deleted session is ErrNotFound.
func (c *Client) DeleteSession(ctx context.Context, sessionID string) error {
	if err := requireArgs("DeleteSession", "session id", sessionID); err != nil {
		return err
	}
	var st tmdbDeleted
	return c.do(ctx, &call{
		ep: epTMDbDeleteSession,
		body: struct {
			SessionID string `json:"session_id"`
		}{sessionID},
		out: &st, secrets: [2]string{sessionID},
	})
}
