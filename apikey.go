package mediaauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// APIKey is a Movies API key. Send it with [Movies.With] (it is a
// [Credential]): the API takes it as a Bearer credential like an access
// token. Printing or logging
// an APIKey never shows Key.
type APIKey struct {
	Key       string    `json:"api_key"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

func (k *APIKey) validate() error {
	if k.Key == "" {
		return errors.New("answer without api_key")
	}
	return nil
}

// String describes the key without the key itself.
func (k APIKey) String() string {
	return safeString("APIKey", "Key", secretMark(k.Key), "CreatedAt", timeString(k.CreatedAt))
}

// Format prints the key like String for every verb.
func (k APIKey) Format(f fmt.State, _ rune) { formatSafe(f, k.String()) }

// LogValue keeps the key out of slog output.
func (k APIKey) LogValue() slog.Value { return logSafe(k.String()) }

// FetchMoviesAPIKey returns the caller's current API key (GET /user/api-key, Bearer).
// A user who never generated one gets ErrNotFound.
func (m *Movies) FetchAPIKey(ctx context.Context) (*APIKey, error) {
	var k APIKey
	err := m.hp().send(ctx, &call{ep: epMoviesGetAPIKey, out: &k})
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// GenerateMoviesAPIKey creates a new API key (POST /user/api-key, Bearer); any
// earlier key stops working.
func (m *Movies) GenerateAPIKey(ctx context.Context) (*APIKey, error) {
	var k APIKey
	err := m.hp().send(ctx, &call{ep: epMoviesNewAPIKey, out: &k})
	if err != nil {
		return nil, err
	}
	return &k, nil
}
