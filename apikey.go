package mediaauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// APIKey is a Movies API key. Send it with Client.WithToken(k.Key): the API
// takes it as a Bearer credential like an access token. Printing or logging
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
func (c *Client) FetchMoviesAPIKey(ctx context.Context) (*APIKey, error) {
	var k APIKey
	err := c.do(ctx, &call{
		api: APIMovies, method: http.MethodGet, path: "/user/api-key",
		auth: authMoviesBearer, retry: retryIdempotent, statuses: moviesStatuses, out: &k,
	})
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// GenerateMoviesAPIKey creates a new API key (POST /user/api-key, Bearer); any
// earlier key stops working.
func (c *Client) GenerateMoviesAPIKey(ctx context.Context) (*APIKey, error) {
	var k APIKey
	err := c.do(ctx, &call{
		api: APIMovies, method: http.MethodPost, path: "/user/api-key",
		auth: authMoviesBearer, retry: retryUnsafe, statuses: moviesStatuses, out: &k,
	})
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// WithToken returns a client that sends "Authorization: Bearer <token>" to
// the Movies API, where token is an access token or an API key. It shares
// c's transport, rate limiters and other credentials.
func (c *Client) WithToken(token string) *Client {
	return c.derive(func(d *Client) { d.token = token })
}

// derive returns a copy of c changed by set: the derived client shares c's
// transport, limiters and settings. A nil c gives a client without them,
// whose calls fail with an error that says to use New.
func (c *Client) derive(set func(*Client)) *Client {
	var d Client
	if c != nil {
		d = *c
	}
	set(&d)
	return &d
}
