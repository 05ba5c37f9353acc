package mediaauth

import (
	"context"
	"errors"
	"time"
)

// guestSessionResponse is the answer of GET /authentication/guest_session/new.
type guestSessionResponse struct {
	Success        *bool  `json:"success"`
	GuestSessionID string `json:"guest_session_id"`
	ExpiresAt      string `json:"expires_at"`

	expires time.Time // parsed by validate
}

func (r *guestSessionResponse) validate() error {
	if err := checkSuccess(r.Success, true); err != nil {
		return err
	}
	if r.GuestSessionID == "" {
		return errors.New("answer without guest_session_id")
	}
	t, err := parseTMDbTime(r.ExpiresAt)
	if err != nil {
		return err
	}
	r.expires = t
	return nil
}

// CreateGuestSession starts a TMDb [GuestSession], a [Credential] for
// [TMDb.With] (GET /3/authentication/guest_session/new). It needs the
// handle's application credential, like every TMDb call.
func (t *TMDb) CreateGuestSession(ctx context.Context) (*GuestSession, error) {
	var r guestSessionResponse
	err := t.hp().send(ctx, &call{ep: epTMDbGuestSession, out: &r})
	if err != nil {
		return nil, err
	}
	return &GuestSession{ID: r.GuestSessionID, ExpiresAt: r.expires}, nil
}
