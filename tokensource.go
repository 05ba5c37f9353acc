package mediaauth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"
)

// LoginTokenSource returns a source that logs in ([Movies.Login]) with username
// and the password that password returns, each time it is asked for a token.
// Wrap it in [ReuseMoviesTokenSource] so that it is asked only when the token
// expires, and give that to [RenewingMoviesToken]. password is called at each
// login, so that the password need not be kept in memory longer than the caller
// wants.
func (m *Movies) LoginTokenSource(username string, password func(ctx context.Context) (string, error)) MoviesTokenSource {
	return MoviesTokenSourceFunc(func(ctx context.Context) (*Token, error) {
		if password == nil {
			return nil, argError("Movies.LoginTokenSource", "nil password function")
		}
		pw, err := password(ctx)
		if err != nil {
			return nil, fmt.Errorf("mediaauth: LoginTokenSource: password: %w", err)
		}
		return m.Login(ctx, username, pw)
	})
}

// DefaultTokenExpiryDelta is how long before its ExpiresAt a cached token
// is renewed by [ReuseMoviesTokenSource]; a token that lives less than
// twice as long is renewed halfway through its life instead.
const DefaultTokenExpiryDelta = 10 * time.Second

// ReuseMoviesTokenSource returns a source that returns tok (which may be nil)
// until shortly before it expires, then asks src for a new one and keeps that.
// Shortly is [DefaultTokenExpiryDelta], or half the time the token had left
// when the source got it if that is shorter, so that a token that lives only a
// few seconds is still used. A token that src gives already expired (expires_in
// 0, or a clock ahead of the server's) is used until the server refuses it:
// asking src again at once would give no better one. Concurrent callers wait
// for one renewal instead of renewing each, and take its result: when it
// fails, its error is returned to every caller, wrapped in
// [ErrRenewalBackoff], for [DefaultRenewalBackoff] (see
// [WithRenewalBackoff]) before src is asked again. When the Movies API says a
// token has expired ([ErrTokenExpired]), the engine tells the source, which
// renews once for all the calls that saw that token fail (and tells src
// first, when src caches tokens too, like [StoredMoviesTokenSource]).
func ReuseMoviesTokenSource(tok *Token, src MoviesTokenSource, opts ...TokenSourceOption) MoviesTokenSource {
	return newReuseMoviesTokenSource(tok, src, time.Now, opts...)
}

// newReuseMoviesTokenSource is ReuseMoviesTokenSource reading the time from now.
func newReuseMoviesTokenSource(tok *Token, src MoviesTokenSource, now func() time.Time, opts ...TokenSourceOption) *reuseMoviesTokenSource {
	s := &reuseMoviesTokenSource{src: src, now: now, sem: make(chan struct{}, 1), cfg: newTokenSourceConfig(opts)}
	if tok != nil {
		cp := *tok
		s.tok = &cp
		// A token the caller kept may have expired while it was kept:
		// that one is renewed by the first call.
		if s.renewAt = renewTime(cp.ExpiresAt, now()); s.renewAt.IsZero() {
			s.renewAt = cp.ExpiresAt
		}
	}
	return s
}

// reuseMoviesTokenSource caches a token; sem serialises renewals and can
// be waited on with a context, unlike a mutex.
type reuseMoviesTokenSource struct {
	src MoviesTokenSource
	now func() time.Time
	sem chan struct{}
	cfg tokenSourceConfig
	// failed is the last renewal's failure, for the back-off.
	failed failureMemo
	tok    *Token // guarded by sem
	// refused is set when the server refused tok as expired, until the
	// next renewal. Guarded by sem.
	refused bool
	// renewAt is when tok is renewed before a call; zero for never (its
	// expiry is unknown, or it had none left when the source got it), and
	// then only a refusal from the server renews it. Guarded by sem.
	renewAt time.Time
}

// renewTime is when a token that expires at exp, got at got, is renewed
// before a call: DefaultTokenExpiryDelta before exp, or halfway through
// what it had left at got if that comes later. It is zero when exp is
// unknown or not after got.
func renewTime(exp, got time.Time) time.Time {
	left := exp.Sub(got)
	if exp.IsZero() || left <= 0 {
		return time.Time{}
	}
	return exp.Add(-min(DefaultTokenExpiryDelta, left/2))
}

// Token returns the cached token, or renews it.
func (s *reuseMoviesTokenSource) Token(ctx context.Context) (*Token, error) {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.sem }()
	if s.tok != nil && (s.renewAt.IsZero() || s.now().Before(s.renewAt)) {
		cp := *s.tok
		return &cp, nil
	}
	if s.src == nil {
		return nil, errors.New("mediaauth: the Movies token expired and the source has nothing to renew it with")
	}
	return s.renew(ctx)
}

// renew asks src for a new token, unless a renewal failed less than the
// back-off ago. The renewal is reported to the Observer ctx carries,
// unless src is a StoredMoviesTokenSource, which reports its own.
func (s *reuseMoviesTokenSource) renew(ctx context.Context) (*Token, error) {
	start := time.Now()
	reason := RenewalExpiring
	if s.refused {
		reason = RenewalRefused
	}
	_, reports := s.src.(*storedMoviesTokenSource)
	if err := s.failed.active(s.now()); err != nil {
		reportRenewal(ctx, reason, RenewalBackoff, start, err)
		return nil, err
	}
	tok, err := s.src.Token(ctx)
	if err == nil && (tok == nil || tok.AccessToken == "") {
		err = errors.New("mediaauth: the Movies token source returned no token")
	}
	if err != nil {
		if s.cfg.backoff > 0 && worthBackingOff(ctx, err) {
			s.failed.record(err, s.now().Add(s.cfg.backoff))
		}
		if !reports {
			reportRenewal(ctx, reason, RenewalFailed, start, err)
		}
		return nil, err
	}
	s.failed.clear()
	cp := *tok
	s.tok, s.renewAt, s.refused = &cp, renewTime(cp.ExpiresAt, s.now()), false
	if !reports {
		reportRenewal(ctx, reason, RenewalRenewed, start, nil)
	}
	return tok, nil
}

// invalidate forgets the cached token if it is still accessToken, the one
// a server refused as expired, and then tells src if it caches too (like
// StoredMoviesTokenSource), so that it does not give that token back; a
// token renewed since then is kept, and src is told once per token.
func (s *reuseMoviesTokenSource) invalidate(ctx context.Context, accessToken string) {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-s.sem }()
	if s.tok == nil || s.tok.AccessToken != accessToken {
		return
	}
	s.tok, s.refused = nil, true
	if inv, ok := s.src.(invalidator); ok {
		inv.invalidate(ctx, accessToken)
	}
}

// StoredMoviesTokenSource returns a source that keeps the Movies token of
// profile in store: it returns the stored token while it is valid, and
// otherwise gets a new one from renew and saves it (beside any API key
// stored with it), so that other processes and later runs find it. Wrap it
// in [ReuseMoviesTokenSource] so that the store is read only when the
// cached token expires; that source also tells it when the Movies API
// refuses the stored token as expired before its time, and it then renews
// the token instead of handing it out again.
//
// When store is a [RenewalLocker] ([FileStore] is one, and so is the Redis
// store of github.com/mediaauth/mediaauth/redislimit), a renewal is one
// transaction under the store's lock of that entry, so that every process
// sharing the store renews once: it reads the entry again under the lock,
// takes the token another process saved if it is fresh, and otherwise
// renews and saves. A renewal that fails is recorded under the lock, and
// for [DefaultRenewalBackoff] (see [WithRenewalBackoff]) every process
// returns its error ([ErrRenewalBackoff]) instead of trying again. A
// renewal runs within the lock's deadline, if it has one.
func StoredMoviesTokenSource(store CredentialStore, profile string, renew MoviesTokenSource, opts ...TokenSourceOption) MoviesTokenSource {
	return &storedMoviesTokenSource{store: store, profile: profile, renew: renew, cfg: newTokenSourceConfig(opts)}
}

// storedMoviesTokenSource is the source of StoredMoviesTokenSource.
type storedMoviesTokenSource struct {
	store   CredentialStore
	profile string
	renew   MoviesTokenSource
	cfg     tokenSourceConfig
	// failed is the last failure of a renewal made without a lock.
	failed failureMemo
	mu     sync.Mutex
	// refused is the SHA-256 of the last token refused as expired, kept
	// rather than the token so that printing the source shows no secret.
	refused [sha256.Size]byte // guarded by mu
}

// Token returns the stored token, or renews and saves it.
func (s *storedMoviesTokenSource) Token(ctx context.Context) (*Token, error) {
	if s.store == nil || s.renew == nil {
		return nil, argError("StoredMoviesTokenSource", "nil store or renewing source")
	}
	stored, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	if s.fresh(stored) {
		return stored.MoviesToken, nil
	}
	if locker, ok := s.store.(RenewalLocker); ok {
		var seen string
		if stored.MoviesToken != nil {
			seen = stored.MoviesToken.AccessToken
		}
		return s.renewLocked(ctx, locker, seen)
	}
	return s.renewUnlocked(ctx, stored)
}

// load reads the entry of the profile; an empty one when there is none.
func (s *storedMoviesTokenSource) load(ctx context.Context) (*StoredCredentials, error) {
	stored, err := s.store.Load(ctx, APIMovies, s.profile)
	switch {
	case errors.Is(err, ErrCredentialNotFound):
		return &StoredCredentials{API: APIMovies, Profile: s.profile}, nil
	case err != nil:
		return nil, fmt.Errorf("mediaauth: StoredMoviesTokenSource: %w", err)
	}
	return stored, nil
}

// fresh reports whether stored holds a token to use: one the server has
// not refused, that is not due for renewal (see renewTime, from when it
// was saved).
func (s *storedMoviesTokenSource) fresh(stored *StoredCredentials) bool {
	t := stored.MoviesToken
	if t == nil || t.AccessToken == "" || s.wasRefused(t.AccessToken) {
		return false
	}
	if t.ExpiresAt.IsZero() {
		return true
	}
	now := time.Now()
	if at := renewTime(t.ExpiresAt, stored.SavedAt); !at.IsZero() {
		return now.Before(at)
	}
	return now.Before(t.ExpiresAt)
}

// reason is why the token of stored is renewed.
func (s *storedMoviesTokenSource) reason(stored *StoredCredentials) string {
	if t := stored.MoviesToken; t != nil && s.wasRefused(t.AccessToken) {
		return RenewalRefused
	}
	return RenewalExpiring
}

// renewToken asks the renewing source for a token.
func (s *storedMoviesTokenSource) renewToken(ctx context.Context) (*Token, error) {
	tok, err := s.renew.Token(ctx)
	if err != nil {
		return nil, err
	}
	if tok == nil || tok.AccessToken == "" {
		return nil, errors.New("mediaauth: StoredMoviesTokenSource: the renewing source returned no token")
	}
	return tok, nil
}

// renewUnlocked renews and saves the token of a store that cannot lock
// across processes; within this process, a failure is shared for the
// back-off.
func (s *storedMoviesTokenSource) renewUnlocked(ctx context.Context, stored *StoredCredentials) (*Token, error) {
	start, reason := time.Now(), s.reason(stored)
	if err := s.failed.active(start); err != nil {
		reportRenewal(ctx, reason, RenewalBackoff, start, err)
		return nil, err
	}
	tok, err := s.renewToken(ctx)
	if err == nil {
		stored.MoviesToken, stored.SavedAt = tok, time.Time{}
		if err := s.store.Save(ctx, stored); err != nil {
			// The server handed the token out: it stays the caller's, and
			// the observer learns why the store did not keep it.
			s.failed.clear()
			reportRenewal(ctx, reason, RenewalRenewed, start, fmt.Errorf("mediaauth: StoredMoviesTokenSource: saving the renewed token: %w", err))
			return tok, nil
		}
	}
	if err != nil {
		if s.cfg.backoff > 0 && worthBackingOff(ctx, err) {
			s.failed.record(err, time.Now().Add(s.cfg.backoff))
		}
		reportRenewal(ctx, reason, RenewalFailed, start, err)
		return nil, err
	}
	s.failed.clear()
	reportRenewal(ctx, reason, RenewalRenewed, start, nil)
	return tok, nil
}

// wasRefused reports whether accessToken is the last token refused as expired.
func (s *storedMoviesTokenSource) wasRefused(accessToken string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused == sha256.Sum256([]byte(accessToken))
}

// invalidate remembers accessToken, refused as expired, so that Token
// renews it even while the store holds it, and tells renew if it caches.
func (s *storedMoviesTokenSource) invalidate(ctx context.Context, accessToken string) {
	s.mu.Lock()
	s.refused = sha256.Sum256([]byte(accessToken))
	s.mu.Unlock()
	if inv, ok := s.renew.(invalidator); ok {
		inv.invalidate(ctx, accessToken)
	}
}
