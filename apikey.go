package mediaauth

import (
	"context"
	"errors"
)

func (k *APIKey) validate() error {
	if k.Key == "" {
		return errors.New("answer without api_key")
	}
	return nil
}

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
