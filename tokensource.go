package mediaauth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// LoginTokenSource returns a source that logs in with username and
// the password that password returns, each time it is asked for a token.
// Wrap it in [ReuseMoviesTokenSource] so that it is asked only when the
// token expires. password is called at each login, so that the password
// need not be kept in memory longer than the caller wants.
func (m *Movies) LoginTokenSource(username string, password func(ctx context.Context) (string, error)) MoviesTokenSource {
	return MoviesTokenSourceFunc(func(ctx context.Context) (*Token, error) {
		if password == nil {
			return nil, argError("LoginTokenSource", "nil password function")
		}
		pw, err := password(ctx)
		if err != nil {
			return nil, fmt.Errorf("mediaauth: LoginTokenSource: password: %w", err)
		}
		return m.Login(ctx, username, pw)
	})
}

// DefaultTokenExpiryDelta is how long before its ExpiresAt a cached token
// is renewed by [ReuseMoviesTokenSource].
const DefaultTokenExpiryDelta = 10 * time.Second

// ReuseMoviesTokenSource returns a source that returns tok (which may be
// nil) until shortly before it expires ([DefaultTokenExpiryDelta]), then
// asks src for a new one and keeps that. Concurrent callers wait for one
// renewal instead of renewing each. When the Movies API says a token has
// expired before its time, the client tells the source, which renews once
// for all the calls that saw that token fail.
func ReuseMoviesTokenSource(tok *Token, src MoviesTokenSource) MoviesTokenSource {
	s := &reuseMoviesTokenSource{src: src, now: time.Now, sem: make(chan struct{}, 1)}
	if tok != nil {
		cp := *tok
		s.tok = &cp
	}
	return s
}

// reuseMoviesTokenSource caches a token; sem serialises renewals and can
// be waited on with a context, unlike a mutex.
type reuseMoviesTokenSource struct {
	src MoviesTokenSource
	now func() time.Time
	sem chan struct{}
	tok *Token // guarded by sem
}

// Token returns the cached token, or renews it.
func (s *reuseMoviesTokenSource) Token(ctx context.Context) (*Token, error) {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.sem }()
	if s.tok != nil && (s.tok.ExpiresAt.IsZero() || s.now().Add(DefaultTokenExpiryDelta).Before(s.tok.ExpiresAt)) {
		cp := *s.tok
		return &cp, nil
	}
	if s.src == nil {
		return nil, errors.New("mediaauth: the Movies token expired and the source has nothing to renew it with")
	}
	tok, err := s.src.Token(ctx)
	if err != nil {
		return nil, err
	}
	if tok == nil || tok.AccessToken == "" {
		return nil, errors.New("mediaauth: the Movies token source returned no token")
	}
	cp := *tok
	s.tok = &cp
	return tok, nil
}

// invalidate forgets the cached token if it is still accessToken, the one
// a server refused as expired; a token renewed since then is kept.
func (s *reuseMoviesTokenSource) invalidate(ctx context.Context, accessToken string) {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	if s.tok != nil && s.tok.AccessToken == accessToken {
		s.tok = nil
	}
	<-s.sem
}

// StoredMoviesTokenSource returns a source that keeps the Movies token of
// profile in store: it returns the stored token while it is valid, and
// otherwise gets a new one from renew and saves it (beside any API key
// stored with it), so that other processes and later runs find it. Wrap it
// in [ReuseMoviesTokenSource] so that the store is read only when the
// cached token expires.
func StoredMoviesTokenSource(store CredentialStore, profile string, renew MoviesTokenSource) MoviesTokenSource {
	return MoviesTokenSourceFunc(func(ctx context.Context) (*Token, error) {
		if store == nil || renew == nil {
			return nil, argError("StoredMoviesTokenSource", "nil store or renewing source")
		}
		stored, err := store.Load(ctx, APIMovies, profile)
		switch {
		case errors.Is(err, ErrCredentialNotFound):
			stored = &StoredCredentials{API: APIMovies, Profile: profile}
		case err != nil:
			return nil, fmt.Errorf("mediaauth: StoredMoviesTokenSource: %w", err)
		}
		if t := stored.MoviesToken; t != nil && t.AccessToken != "" &&
			(t.ExpiresAt.IsZero() || time.Now().Add(DefaultTokenExpiryDelta).Before(t.ExpiresAt)) {
			return t, nil
		}
		tok, err := renew.Token(ctx)
		if err != nil {
			return nil, err
		}
		if tok == nil || tok.AccessToken == "" {
			return nil, errors.New("mediaauth: StoredMoviesTokenSource: the renewing source returned no token")
		}
		stored.MoviesToken, stored.SavedAt = tok, time.Time{}
		if err := store.Save(ctx, stored); err != nil {
			return nil, fmt.Errorf("mediaauth: StoredMoviesTokenSource: saving the renewed token: %w", err)
		}
		return tok, nil
	})
}
