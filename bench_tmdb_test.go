package mediaauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mediaauth/mediaauth"
)

// TMDb: CreateRequestToken, the account of a session, and a 1 GiB answer.

const (
	benchTMDbKey     = "bench-api-key"
	benchTMDbSession = "79191836ddaa0da3df76a5ffef6f07ad6ab0c641"
)

// benchAccountJSON is the answer of GET /3/account (the contract's example).
var benchAccountJSON = []byte(`{"avatar":{"gravatar":{"hash":"c9e9fc152ee756a900db85757c29815d"},"tmdb":{"avatar_path":"/xy44UvpbTgzs9kWmp4C3fEaCl5h.png"}},"id":548,"iso_639_1":"en","iso_3166_1":"CA","name":"Travis Bell","include_adult":false,"username":"travisbell"}`)

// benchTMDb starts the TMDb server of the TMDb benchmarks, which answers
// GET path with the API key and query, and returns it with an SDK client
// (API key credential) and a baseline http.Client.
func benchTMDb(b *testing.B, path, query string, answer []byte) (*httptest.Server, *mediaauth.Client, *http.Client) {
	srv := benchAPIServer(b, "application/json;charset=utf-8", answer,
		expect{method: http.MethodGet, path: path, query: "api_key=" + benchTMDbKey + query})
	c := benchClient(b,
		mediaauth.WithTMDbBaseURL(srv.URL),
		mediaauth.WithCredentials(mediaauth.TMDbAPIKey(benchTMDbKey)),
		mediaauth.WithRateLimit(mediaauth.APITMDb, rate.Inf, 0),
	)
	return srv, c, benchHTTPClient(b)
}

// benchRequestToken is the baseline's RequestToken answer.
type benchRequestToken struct {
	Success      bool   `json:"success"`
	ExpiresAt    string `json:"expires_at"`
	RequestToken string `json:"request_token"`
}

// check reports whether the answer held the token, and parses its expiry.
func (t *benchRequestToken) check() error {
	if !t.Success || t.RequestToken != tmdbUnitToken {
		return fmt.Errorf("token %q", t.RequestToken)
	}
	_, err := time.Parse(mediaauth.TMDbTimeLayout, t.ExpiresAt)
	return err
}

// BenchmarkCreateRequestToken: TMDb.CreateRequestToken, a GET with the API
// key in the query; the answer's expires_at is parsed.
func BenchmarkCreateRequestToken(b *testing.B) {
	const path = "/3/authentication/token/new"
	srv, c, hc := benchTMDb(b, path, "", []byte(tmdbUnitTokenJSON))
	sdk, check := c.TMDb.HTTPClient(), checkWith(mediaauth.APITMDb)
	get := func(ctx context.Context, hc *http.Client, check checker, target string) error {
		var out benchRequestToken
		if err := benchGet(ctx, hc, check, target, &out); err != nil {
			return err
		}
		return out.check()
	}
	target := srv.URL + path
	benchDoors(b, func(ctx context.Context) error {
		return get(ctx, hc, statusOK, target+"?api_key="+benchTMDbKey)
	}, benchDoor{doorTyped, func(ctx context.Context) error {
		tok, err := c.TMDb.CreateRequestToken(ctx)
		if err == nil && tok.Token != tmdbUnitToken {
			err = fmt.Errorf("token %q", tok.Token)
		}
		return err
	}}, benchDoor{doorDo, func(ctx context.Context) error {
		var out benchRequestToken
		if err := c.TMDb.Do(ctx, http.MethodGet, path, nil, &out); err != nil {
			return err
		}
		return out.check()
	}}, benchDoor{doorHTTPClient, func(ctx context.Context) error {
		return get(ctx, sdk, check, target)
	}})
}

// benchAccount is the Account schema of the TMDb contract.
type benchAccount struct {
	Avatar struct {
		Gravatar struct {
			Hash string `json:"hash"`
		} `json:"gravatar"`
		TMDb struct {
			AvatarPath *string `json:"avatar_path"`
		} `json:"tmdb"`
	} `json:"avatar"`
	ID           int64  `json:"id"`
	Username     string `json:"username"`
	Name         string `json:"name"`
	IncludeAdult bool   `json:"include_adult"`
	ISO639_1     string `json:"iso_639_1"`
	ISO3166_1    string `json:"iso_3166_1"`
}

// BenchmarkAccount: GET /3/account with a session, which no typed call
// wraps: through Do and HTTPClient of a handle that carries the session.
func BenchmarkAccount(b *testing.B) {
	const path = "/3/account"
	srv, c, hc := benchTMDb(b, path, "&session_id="+benchTMDbSession, benchAccountJSON)
	user := c.TMDb.With(mediaauth.Session{ID: benchTMDbSession})
	sdk, check := user.HTTPClient(), checkWith(mediaauth.APITMDb)
	get := func(ctx context.Context, hc *http.Client, check checker, target string) error {
		var acct benchAccount
		if err := benchGet(ctx, hc, check, target, &acct); err != nil {
			return err
		}
		if acct.ID != 548 {
			return fmt.Errorf("account %d", acct.ID)
		}
		return nil
	}
	target := srv.URL + path
	benchDoors(b, func(ctx context.Context) error {
		return get(ctx, hc, statusOK, target+"?api_key="+benchTMDbKey+"&session_id="+benchTMDbSession)
	}, benchDoor{doorDo, func(ctx context.Context) error {
		var acct benchAccount
		if err := user.Do(ctx, http.MethodGet, path, nil, &acct); err != nil {
			return err
		}
		if acct.ID != 548 {
			return fmt.Errorf("account %d", acct.ID)
		}
		return nil
	}}, benchDoor{doorHTTPClient, func(ctx context.Context) error {
		return get(ctx, sdk, check, target)
	}})
}

// BenchmarkHugeBody reports the B/op of one call against a 1 GiB answer
// through each door, as TestHugeBodyMemory measures it: after a first call
// has warmed up the connection pool and the body buffer pool (b.Loop
// starts measuring at its first call). The typed call and Do refuse the
// body past 1 MiB; through HTTPClient the engine hands the body over as it
// comes, and the caller reads at most 1 MiB of it.
func BenchmarkHugeBody(b *testing.B) {
	srv := httptest.NewServer(hugeBody(false))
	defer srv.Close()
	c := benchClient(b, mediaauth.WithTMDbBaseURL(srv.URL), mediaauth.WithCredentials(mediaauth.TMDbAPIKey("k")),
		mediaauth.WithRetry(0, 0, 0), mediaauth.WithRateLimit(mediaauth.APITMDb, 1e9, 1))
	const path = "/3/authentication/token/new"
	sdk := c.TMDb.HTTPClient()
	for _, d := range []benchDoor{
		{doorTyped, func(ctx context.Context) error {
			_, err := c.TMDb.CreateRequestToken(ctx)
			return err
		}},
		{doorDo, func(ctx context.Context) error {
			var out benchRequestToken
			return c.TMDb.Do(ctx, http.MethodGet, path, nil, &out)
		}},
		{doorHTTPClient, func(ctx context.Context) error { return cappedGet(ctx, sdk, srv.URL+path) }},
	} {
		b.Run(d.name, func(b *testing.B) {
			if err := d.sdk(context.Background()); !errors.Is(err, mediaauth.ErrResponseTooLarge) {
				b.Fatalf("a 1 GiB body: %v", err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := d.sdk(context.Background()); !errors.Is(err, mediaauth.ErrResponseTooLarge) {
					b.Fatalf("a 1 GiB body: %v", err)
				}
			}
		})
	}
}

// cappedGet is a GET through hc whose caller reads at most 1 MiB of the
// answer: a longer one is ErrResponseTooLarge.
func cappedGet(ctx context.Context, hc *http.Client, target string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := mediaauth.CheckResponse(mediaauth.APITMDb, resp); err != nil {
		return err
	}
	const limit = 1 << 20
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, limit+1))
	if n > limit {
		return fmt.Errorf("body over %d bytes: %w", limit, mediaauth.ErrResponseTooLarge)
	}
	return err
}
