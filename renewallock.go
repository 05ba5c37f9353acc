package mediaauth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// One renewal for a fleet: a CredentialStore that can lock an entry across
// the processes that share it (a RenewalLocker) lets StoredMoviesTokenSource
// renew as one transaction under that lock: read; take a fresh token that
// another process stored; else renew once and save. A renewal that fails
// is recorded under the lock, and every process returns its error for a
// short back-off instead of trying again.

// DefaultRenewalBackoff is how long after a failed renewal the token
// sources return its error again instead of trying again: one attempt per
// back-off for a whole fleet, not one per caller. [WithRenewalBackoff]
// changes it.
const DefaultRenewalBackoff = 5 * time.Second

// RenewalLocker is a [CredentialStore] that can lock one of its entries
// for every process that shares it, so that a fleet renews a credential
// once. [StoredMoviesTokenSource] renews through it when its store is
// one: [FileStore] on one host, and the Redis store of the module
// github.com/mediaauth/mediaauth/redislimit across hosts.
type RenewalLocker interface {
	// LockRenewal waits until the renewal lock of api and profile is free
	// and takes it. It returns an error that wraps ctx's when ctx ends
	// first, and one that wraps [ErrInvalidArgument] for an invalid api or
	// profile.
	LockRenewal(ctx context.Context, api API, profile string) (RenewalLock, error)
}

// RenewalLock is the lock of one entry of a [RenewalLocker], held by one
// caller in a fleet. Its writes are fenced: a lock that expired writes
// nothing and returns [ErrLockLost].
type RenewalLock interface {
	// Deadline is when the lock expires if it is still held: the holder
	// must be done by then. It is zero for a lock that does not expire,
	// such as a FileStore's, which the system releases when its process
	// dies.
	Deadline() time.Time
	// Save keeps creds, which must be for the locked API and profile, as
	// [CredentialStore.Save] does, while the lock is held.
	Save(ctx context.Context, creds *StoredCredentials) error
	// Failure returns the renewal failure the last holder recorded, or
	// nil when none is recorded or it is over.
	Failure(ctx context.Context) (*RenewalFailure, error)
	// SetFailure records f for the next holders, in place of what was
	// recorded; nil removes the record.
	SetFailure(ctx context.Context, f *RenewalFailure) error
	// Unlock releases the lock. Later calls do nothing.
	Unlock(ctx context.Context) error
}

// RenewalFailure is a failed renewal, as a [RenewalLock] records it for
// the other processes of a fleet.
type RenewalFailure struct {
	// At is when the renewal failed.
	At time.Time `json:"at"`
	// Until is when the next renewal may be tried.
	Until time.Time `json:"until"`
	// Message is the renewal's error, scrubbed of secrets and cut at 512
	// bytes.
	Message string `json:"message"`
}

// maxFailureMessage bounds RenewalFailure.Message.
const maxFailureMessage = 512

// TokenSourceOption configures [ReuseMoviesTokenSource] and
// [StoredMoviesTokenSource].
type TokenSourceOption func(*tokenSourceConfig)

// tokenSourceConfig is what the options of a token source say.
type tokenSourceConfig struct {
	backoff time.Duration
}

// newTokenSourceConfig applies opts to the defaults.
func newTokenSourceConfig(opts []TokenSourceOption) tokenSourceConfig {
	c := tokenSourceConfig{backoff: DefaultRenewalBackoff}
	for _, opt := range opts {
		if opt != nil {
			opt(&c)
		}
	}
	return c
}

// WithRenewalBackoff replaces [DefaultRenewalBackoff]: after a renewal
// fails, the source returns its error ([ErrRenewalBackoff]) for d instead
// of trying again. Zero (or less) turns the back-off off: every caller
// that finds no valid token tries.
func WithRenewalBackoff(d time.Duration) TokenSourceOption {
	return func(c *tokenSourceConfig) { c.backoff = max(d, 0) }
}

// failureMemo remembers the last failed renewal of one process, for the
// back-off.
type failureMemo struct {
	mu    sync.Mutex
	err   error
	until time.Time
}

// active returns the error to return again while the back-off lasts.
func (m *failureMemo) active(now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err == nil || !now.Before(m.until) {
		return nil
	}
	return fmt.Errorf("mediaauth: the last renewal of the Movies token failed; the next is not tried before %s: %w: %w",
		m.until.Format(time.RFC3339Nano), ErrRenewalBackoff, m.err)
}

// record remembers err until until; clear forgets it.
func (m *failureMemo) record(err error, until time.Time) {
	m.mu.Lock()
	m.err, m.until = err, until
	m.mu.Unlock()
}

func (m *failureMemo) clear() { m.record(nil, time.Time{}) }

// worthBackingOff reports whether err, a renewal's error under ctx, is
// one to share for the back-off: not the end of the caller's context,
// and not itself a back-off or a lost lock.
func worthBackingOff(ctx context.Context, err error) bool {
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return false
	}
	return !errors.Is(err, ErrRenewalBackoff) && !errors.Is(err, ErrLockLost)
}

// renewLocked is the fleet's renewal transaction: under the store's lock,
// take a fresh token another process saved, or return the error of a
// renewal that failed less than the back-off ago, or renew and save. seen
// is the access token the store held before the lock was taken: a token
// another process saved since is taken even when it arrived with no
// lifetime to spare, as [ReuseMoviesTokenSource] uses such a token until
// the server refuses it, so that a fleet still renews it once.
func (s *storedMoviesTokenSource) renewLocked(ctx context.Context, locker RenewalLocker, seen string) (*Token, error) {
	start := time.Now()
	lock, err := locker.LockRenewal(ctx, APIMovies, s.profile)
	if err != nil {
		err = fmt.Errorf("mediaauth: StoredMoviesTokenSource: taking the renewal lock: %w", err)
		reportRenewal(ctx, RenewalExpiring, RenewalFailed, start, err)
		return nil, err
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = lock.Unlock(uctx)
		cancel()
	}()
	stored, err := s.load(ctx)
	if err != nil {
		reportRenewal(ctx, RenewalExpiring, RenewalFailed, start, err)
		return nil, err
	}
	reason := s.reason(stored)
	if s.fresh(stored) || s.savedSince(stored, seen) {
		reportRenewal(ctx, reason, RenewalStored, start, nil)
		return stored.MoviesToken, nil
	}
	failure, err := lock.Failure(ctx)
	if err != nil {
		err = fmt.Errorf("mediaauth: StoredMoviesTokenSource: reading the last renewal failure: %w", err)
		reportRenewal(ctx, reason, RenewalFailed, start, err)
		return nil, err
	}
	if failure != nil && time.Now().Before(failure.Until) {
		err := failureError(s.profile, failure)
		reportRenewal(ctx, reason, RenewalBackoff, start, err)
		return nil, err
	}
	tok, err := s.renewUnder(ctx, lock, stored, failure != nil)
	outcome := RenewalRenewed
	if tok == nil {
		outcome = RenewalFailed
	}
	reportRenewal(ctx, reason, outcome, start, err)
	if tok != nil {
		// A token that could not be saved is still the caller's: the
		// server handed it out (err says why the store did not keep it).
		return tok, nil
	}
	return nil, err
}

// savedSince reports whether stored holds a token other than seen, saved
// by another process while this one waited for the lock, that the server
// has not refused.
func (s *storedMoviesTokenSource) savedSince(stored *StoredCredentials, seen string) bool {
	t := stored.MoviesToken
	return t != nil && t.AccessToken != "" && t.AccessToken != seen && !s.wasRefused(t.AccessToken)
}

// renewUnder renews the token under lock, within the lock's deadline, and
// saves it beside what stored holds; a failure is recorded for the back-off,
// and a recorded one (hadFailure) is removed after a success. A token saved
// too late, when the lock was lost, is still returned: it is valid, and the
// store keeps the one of the lock's next holder. A token the store refused
// for another reason is returned too, with the store's error: the server
// handed it out, and it must not be lost.
func (s *storedMoviesTokenSource) renewUnder(ctx context.Context, lock RenewalLock, stored *StoredCredentials, hadFailure bool) (*Token, error) {
	rctx := ctx
	if dl := lock.Deadline(); !dl.IsZero() {
		var cancel context.CancelFunc
		rctx, cancel = context.WithDeadline(ctx, dl)
		defer cancel()
	}
	tok, err := s.renewToken(rctx)
	if err != nil {
		if s.cfg.backoff > 0 && worthBackingOff(ctx, err) {
			now := time.Now()
			msg := truncate(scrub(err.Error(), s.oldSecrets(stored)), maxFailureMessage)
			_ = lock.SetFailure(ctx, &RenewalFailure{At: now.UTC(), Until: now.Add(s.cfg.backoff).UTC(), Message: msg})
		}
		return nil, err
	}
	stored.MoviesToken, stored.SavedAt = tok, time.Time{}
	if err := lock.Save(ctx, stored); err != nil {
		if errors.Is(err, ErrLockLost) {
			return tok, nil
		}
		return tok, fmt.Errorf("mediaauth: StoredMoviesTokenSource: saving the renewed token: %w", err)
	}
	if hadFailure {
		_ = lock.SetFailure(ctx, nil)
	}
	return tok, nil
}

// oldSecrets lists the secrets of the token stored before the renewal.
func (s *storedMoviesTokenSource) oldSecrets(stored *StoredCredentials) []string {
	if stored.MoviesToken == nil {
		return nil
	}
	return appendSecret(nil, stored.MoviesToken.AccessToken)
}

// failureError is the error of a renewal not tried because of f.
func failureError(profile string, f *RenewalFailure) error {
	return fmt.Errorf("mediaauth: Movies token of profile %q: the last renewal failed at %s (%s); the next is not tried before %s: %w",
		profile, f.At.UTC().Format(time.RFC3339Nano), f.Message, f.Until.UTC().Format(time.RFC3339Nano), ErrRenewalBackoff)
}
