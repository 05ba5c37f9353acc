package mediaauth_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// The renewal transaction of StoredMoviesTokenSource on a RenewalLocker,
// and the back-off the token sources share after a failed renewal, within
// one process. filestore_renewallock_test.go runs them across processes.

// countingSource is a renewing source that counts its calls and answers
// with tok or err.
type countingSource struct {
	calls atomic.Int32
	err   error
	delay time.Duration
	// noLifetime makes its tokens expire as they are handed out, as an
	// answer with expires_in 0 does.
	noLifetime bool
}

func (s *countingSource) Token(ctx context.Context) (*mediaauth.Token, error) {
	n := s.calls.Add(1)
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if s.err != nil {
		return nil, s.err
	}
	exp := time.Now().Add(time.Hour)
	if s.noLifetime {
		exp = time.Now()
	}
	return &mediaauth.Token{AccessToken: fmt.Sprintf("renewed-token-%d", n), ExpiresAt: exp}, nil
}

// concurrently runs n calls of f at once and returns their errors.
func concurrently(n int, f func() error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f()
		}()
	}
	wg.Wait()
	return errs
}

// TestReuseSharesAFailedRenewal: 20 concurrent callers that meet a failing
// renewal make one attempt; each gets its error, wrapped in
// ErrRenewalBackoff, until the back-off is over.
func TestReuseSharesAFailedRenewal(t *testing.T) {
	t.Parallel()
	clk := mediaauthtest.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	src := &countingSource{err: fmt.Errorf("login: %w", mediaauth.ErrInvalidCredentials)}
	reuse := mediaauth.ReuseMoviesTokenSourceAt(nil, src, clk.Now, mediaauth.WithRenewalBackoff(2*time.Second))
	ctx := context.Background()

	errs := concurrently(20, func() error { _, err := reuse.Token(ctx); return err })
	assert.Equal(t, int32(1), src.calls.Load(), "one renewal for 20 callers")
	for _, err := range errs {
		require.ErrorIs(t, err, mediaauth.ErrInvalidCredentials)
	}
	_, err := reuse.Token(ctx)
	require.ErrorIs(t, err, mediaauth.ErrRenewalBackoff)
	require.ErrorIs(t, err, mediaauth.ErrInvalidCredentials, "the renewal's own error is wrapped")
	assert.Equal(t, int32(1), src.calls.Load())

	clk.Advance(2 * time.Second)
	src.err = nil
	tok, err := reuse.Token(ctx)
	require.NoError(t, err, "the back-off is over: the source is asked again")
	assert.Equal(t, "renewed-token-2", tok.AccessToken)
}

// TestReuseBackoffIgnoresCallerContext: a renewal that ends with the
// caller's context is not a failure to share.
func TestReuseBackoffIgnoresCallerContext(t *testing.T) {
	t.Parallel()
	src := &countingSource{delay: time.Minute}
	reuse := mediaauth.ReuseMoviesTokenSource(nil, src)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := reuse.Token(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	src.delay = 0
	_, err = reuse.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int32(2), src.calls.Load())
}

// TestReuseBackoffOff: WithRenewalBackoff(0) lets every caller try.
func TestReuseBackoffOff(t *testing.T) {
	t.Parallel()
	src := &countingSource{err: errors.New("down")}
	reuse := mediaauth.ReuseMoviesTokenSource(nil, src, mediaauth.WithRenewalBackoff(0))
	errs := concurrently(5, func() error { _, err := reuse.Token(context.Background()); return err })
	assert.Equal(t, int32(5), src.calls.Load())
	for _, err := range errs {
		assert.NotErrorIs(t, err, mediaauth.ErrRenewalBackoff)
	}
}

// storedToken saves, for the Movies profile "default" of store, a token
// that expires in left and was saved an hour ago.
func storedToken(t *testing.T, store mediaauth.CredentialStore, token string, left time.Duration) {
	t.Helper()
	now := time.Now()
	require.NoError(t, store.Save(context.Background(), &mediaauth.StoredCredentials{
		API: mediaauth.APIMovies, Profile: mediaauth.DefaultProfile, SavedAt: now.Add(-time.Hour),
		MoviesToken: &mediaauth.Token{AccessToken: token, ExpiresAt: now.Add(left)},
	}))
}

// TestStoredRenewalOnceForSeveralStores: the sources of several FileStores
// on one file (as several processes would have) renew once; the others
// take the token the first saved.
func TestStoredRenewalOnceForSeveralStores(t *testing.T) {
	t.Parallel()
	first := newTestStore(t)
	storedToken(t, first, "old-token-inside-the-margin", 5*time.Second)
	src := &countingSource{delay: 50 * time.Millisecond}
	log := &observerLog{}
	var sources []mediaauth.MoviesTokenSource
	for range 4 {
		store, err := mediaauth.NewFileStore(first.Path())
		require.NoError(t, err)
		sources = append(sources, mediaauth.ReuseMoviesTokenSource(nil, mediaauth.StoredMoviesTokenSource(store, mediaauth.DefaultProfile, src)))
	}
	ctx := mediaauth.WithObserverContext(context.Background(), log)
	var next atomic.Int32
	tokens := make([]string, 40)
	errs := concurrently(40, func() error {
		i := next.Add(1) - 1
		tok, err := sources[i%4].Token(ctx)
		if err == nil {
			tokens[i] = tok.AccessToken
		}
		return err
	})
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int32(1), src.calls.Load(), "one renewal for the 4 stores")
	for _, tok := range tokens {
		assert.Equal(t, "renewed-token-1", tok)
	}
	stored, err := first.Load(ctx, mediaauth.APIMovies, mediaauth.DefaultProfile)
	require.NoError(t, err)
	assert.Equal(t, "renewed-token-1", stored.MoviesToken.AccessToken)
	outcomes := map[string]int{}
	for _, ev := range log.all() {
		outcomes[ev.Reason+" "+ev.Outcome]++
	}
	assert.Equal(t, map[string]int{"expiring renewed": 1, "expiring stored": 3}, outcomes,
		"one source renewed, each of the others took the stored token")
}

// TestStoredRenewalFailureShared: a renewal that fails is recorded under
// the lock; the source of another store returns its error without trying
// until the back-off is over.
func TestStoredRenewalFailureShared(t *testing.T) {
	t.Parallel()
	first := newTestStore(t)
	storedToken(t, first, "old-token", time.Second)
	second, err := mediaauth.NewFileStore(first.Path())
	require.NoError(t, err)
	ctx := context.Background()
	const backoff = 200 * time.Millisecond
	failing := &countingSource{err: fmt.Errorf("login: %w", mediaauth.ErrInvalidCredentials)}
	_, err = mediaauth.StoredMoviesTokenSource(first, mediaauth.DefaultProfile, failing, mediaauth.WithRenewalBackoff(backoff)).Token(ctx)
	require.ErrorIs(t, err, mediaauth.ErrInvalidCredentials)
	failedAt := time.Now()

	working := &countingSource{}
	other := mediaauth.StoredMoviesTokenSource(second, mediaauth.DefaultProfile, working, mediaauth.WithRenewalBackoff(backoff))
	_, err = other.Token(ctx)
	require.ErrorIs(t, err, mediaauth.ErrRenewalBackoff)
	assert.Contains(t, err.Error(), "invalid username or password", "the recorded failure says why")
	assert.Zero(t, working.calls.Load(), "no renewal during the back-off")

	time.Sleep(time.Until(failedAt.Add(backoff)))
	tok, err := other.Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, "renewed-token-1", tok.AccessToken)
	// The success removed the record: the first source renews at once
	// when its token is refused.
	_, err = mediaauth.StoredMoviesTokenSource(first, mediaauth.DefaultProfile, working).Token(ctx)
	require.NoError(t, err)
}

// TestFileStoreRenewalLock: the lock excludes another holder until it is
// released; writes after Unlock are refused; a lock saves its own entry
// only.
func TestFileStoreRenewalLock(t *testing.T) {
	t.Parallel()
	store := newTestStore(t)
	ctx := context.Background()
	lock, err := store.LockRenewal(ctx, mediaauth.APIMovies, "work/../x")
	require.ErrorIs(t, err, mediaauth.ErrInvalidArgument)
	require.Nil(t, lock)
	lock, err = store.LockRenewal(ctx, mediaauth.APIMovies, "Ünïcode profile %")
	require.NoError(t, err)
	assert.True(t, lock.Deadline().IsZero(), "a FileStore's lock does not expire")

	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	_, err = store.LockRenewal(short, mediaauth.APIMovies, "Ünïcode profile %")
	require.ErrorIs(t, err, context.DeadlineExceeded, "held by the first")
	other, err := store.LockRenewal(ctx, mediaauth.APIMovies, mediaauth.DefaultProfile)
	require.NoError(t, err, "another entry has a lock of its own")
	require.NoError(t, other.Unlock(ctx))

	err = lock.Save(ctx, apiKeyEntry("another", "k"))
	require.ErrorIs(t, err, mediaauth.ErrInvalidArgument)
	require.NoError(t, lock.SetFailure(ctx, &mediaauth.RenewalFailure{At: time.Now(), Until: time.Now().Add(time.Hour), Message: "down"}))
	f, err := lock.Failure(ctx)
	require.NoError(t, err)
	require.NotNil(t, f)
	assert.Equal(t, "down", f.Message)
	require.NoError(t, lock.Unlock(ctx))
	require.NoError(t, lock.Unlock(ctx), "a second Unlock does nothing")
	require.ErrorIs(t, lock.Save(ctx, apiKeyEntry("Ünïcode profile %", "k")), mediaauth.ErrLockLost)
	require.ErrorIs(t, lock.SetFailure(ctx, nil), mediaauth.ErrLockLost)

	again, err := store.LockRenewal(ctx, mediaauth.APIMovies, "Ünïcode profile %")
	require.NoError(t, err, "free again")
	f, err = again.Failure(ctx)
	require.NoError(t, err)
	assert.Equal(t, "down", f.Message, "the record outlives the lock")
	require.NoError(t, again.SetFailure(ctx, nil))
	f, err = again.Failure(ctx)
	require.NoError(t, err)
	assert.Nil(t, f)
	require.NoError(t, again.Unlock(ctx))
}

// lostLocker is a RenewalLocker whose lock expires at once: its Save
// reports ErrLockLost, as a lock that expired during the renewal would.
type lostLocker struct {
	*mediaauth.FileStore
	deadline time.Time
	saveErr  error // nil: ErrLockLost
}

func (l lostLocker) LockRenewal(ctx context.Context, api mediaauth.API, profile string) (mediaauth.RenewalLock, error) {
	lock, err := l.FileStore.LockRenewal(ctx, api, profile)
	if err != nil {
		return nil, err
	}
	return lostLock{RenewalLock: lock, deadline: l.deadline, saveErr: l.saveErr}, nil
}

type lostLock struct {
	mediaauth.RenewalLock
	deadline time.Time
	saveErr  error
}

func (l lostLock) Deadline() time.Time { return l.deadline }
func (l lostLock) Save(context.Context, *mediaauth.StoredCredentials) error {
	if l.saveErr != nil {
		return l.saveErr
	}
	return fmt.Errorf("saving: %w", mediaauth.ErrLockLost)
}

// TestStoredRenewalLockLostKeepsToken: a token renewed under a lock that
// expired before it was saved is still returned: the server handed it
// out, and it is valid. The renewal runs within the lock's deadline.
func TestStoredRenewalLockLostKeepsToken(t *testing.T) {
	t.Parallel()
	store := newTestStore(t)
	deadline := time.Now().Add(time.Hour)
	var sawDeadline time.Time
	src := mediaauth.MoviesTokenSourceFunc(func(ctx context.Context) (*mediaauth.Token, error) {
		sawDeadline, _ = ctx.Deadline()
		return &mediaauth.Token{AccessToken: "handed-out-token"}, nil
	})
	tok, err := mediaauth.StoredMoviesTokenSource(lostLocker{FileStore: store, deadline: deadline}, mediaauth.DefaultProfile, src).Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "handed-out-token", tok.AccessToken)
	assert.True(t, sawDeadline.Equal(deadline), "the renewal ran within the lock's deadline")
}

// TestStoredRenewalKeepsTokenTheStoreRefused: a token renewed and then
// refused by the store (a full disk, an unreachable Redis) is still
// returned, with or without the store's lock: the server handed it out.
// The observer is told the renewal succeeded and why it was not saved.
func TestStoredRenewalKeepsTokenTheStoreRefused(t *testing.T) {
	t.Parallel()
	full := errors.New("no space left on device")
	stores := map[string]mediaauth.CredentialStore{
		"locked":   lostLocker{FileStore: newTestStore(t), saveErr: full},
		"unlocked": refusingStore{CredentialStore: newTestStore(t), err: full},
	}
	for name, store := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := &countingSource{}
			log := &observerLog{}
			ctx := mediaauth.WithObserverContext(context.Background(), log)
			tok, err := mediaauth.StoredMoviesTokenSource(store, mediaauth.DefaultProfile, src).Token(ctx)
			require.NoError(t, err)
			assert.Equal(t, "renewed-token-1", tok.AccessToken)
			assert.Equal(t, int32(1), src.calls.Load())
			evs := log.all()
			require.Len(t, evs, 1)
			assert.Equal(t, mediaauth.RenewalRenewed, evs[0].Outcome)
			require.ErrorIs(t, evs[0].Err, full)
		})
	}
}

// refusingStore is a CredentialStore without a renewal lock whose Save
// fails with err.
type refusingStore struct {
	mediaauth.CredentialStore
	err error
}

func (s refusingStore) Save(context.Context, *mediaauth.StoredCredentials) error { return s.err }

// TestStoredRenewalOnceWithoutLifetime: a renewed token that arrives with
// no lifetime left (expires_in 0) is taken by the sources that waited for
// the lock, not renewed again by each of them.
func TestStoredRenewalOnceWithoutLifetime(t *testing.T) {
	t.Parallel()
	first := newTestStore(t)
	storedToken(t, first, "old-token-inside-the-margin", 5*time.Second)
	src := &countingSource{delay: 50 * time.Millisecond, noLifetime: true}
	var sources []mediaauth.MoviesTokenSource
	for range 4 {
		store, err := mediaauth.NewFileStore(first.Path())
		require.NoError(t, err)
		sources = append(sources, mediaauth.ReuseMoviesTokenSource(nil, mediaauth.StoredMoviesTokenSource(store, mediaauth.DefaultProfile, src)))
	}
	var next atomic.Int32
	errs := concurrently(40, func() error {
		tok, err := sources[(next.Add(1)-1)%4].Token(context.Background())
		if err == nil && tok.AccessToken != "renewed-token-1" {
			return fmt.Errorf("got %s", tok.AccessToken)
		}
		return err
	})
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int32(1), src.calls.Load(), "one renewal for the 4 stores")
}
