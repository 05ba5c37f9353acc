package mediaauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// GuestSession is a TMDb guest session: it lets someone without a TMDb
// account rate movies and TV shows. TMDb deletes a guest session that is
// not used within 24 hours; create one per user or device, not one per
// call. Printing or logging a GuestSession never shows ID.
type GuestSession struct {
	// ID is the guest session id.
	ID string `json:"guest_session_id"`
	// ExpiresAt is when TMDb deletes the session if it stays unused (UTC).
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// Expired reports whether the session's expiry is known and not after now.
func (g GuestSession) Expired(now time.Time) bool {
	return expired(g.ExpiresAt, now)
}

// String describes the guest session without its id.
func (g GuestSession) String() string {
	return safeString("GuestSession", "ID", secretMark(g.ID), "ExpiresAt", timeString(g.ExpiresAt))
}

// Format prints the guest session like String for every verb.
func (g GuestSession) Format(f fmt.State, _ rune) { formatSafe(f, g.String()) }

// LogValue keeps the guest session id out of slog output.
func (g GuestSession) LogValue() slog.Value { return logSafe(g.String()) }

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

// CreateGuestSession starts a TMDb guest session
// (GET /authentication/guest_session/new).
func (t *TMDb) CreateGuestSession(ctx context.Context) (*GuestSession, error) {
	var r guestSessionResponse
	err := t.hp().send(ctx, &call{ep: epTMDbGuestSession, out: &r})
	if err != nil {
		return nil, err
	}
	return &GuestSession{ID: r.GuestSessionID, ExpiresAt: r.expires}, nil
}
