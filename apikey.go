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

// FetchAPIKey returns the current API key of the user the handle acts for
// (GET /user/api-key, Bearer, like [Movies.Profile]). A user who never
// generated one gets [ErrNotFound].
func (m *Movies) FetchAPIKey(ctx context.Context) (*APIKey, error) {
	var k APIKey
	err := m.hp().send(ctx, &call{ep: epMoviesGetAPIKey, out: &k})
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// GenerateAPIKey creates a new API key for the user the handle acts for
// (POST /user/api-key, Bearer, like [Movies.Profile]); any earlier key
// stops working. The key is a [Credential] for [Movies.With].
func (m *Movies) GenerateAPIKey(ctx context.Context) (*APIKey, error) {
	var k APIKey
	err := m.hp().send(ctx, &call{ep: epMoviesNewAPIKey, out: &k})
	if err != nil {
		return nil, err
	}
	return &k, nil
}
