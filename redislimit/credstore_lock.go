package redislimit

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/redis/go-redis/v9"
)

// The renewal lock of a CredentialStore entry is the key
// "{prefix}:lock:api/profile", set with NX and an expiry. Its value, the
// lock's token, is a fencing number that Redis increments for each lock
// ("{prefix}:fence") and a random part. Every write under the lock is one
// Lua script that checks the lock still holds that token, so that a
// holder whose lock expired writes nothing. The failure record of a
// renewal is "{prefix}:failure:api/profile", which expires with the
// back-off.

// acquireScript takes the lock KEYS[1] if it is free, with a fencing
// number from KEYS[2] and the random part ARGV[1], for ARGV[2] ms; it
// returns the token, or false while another holds the lock.
var acquireScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2]) .. ':' .. ARGV[1]
redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
return token`)

// releaseScript deletes the lock KEYS[1] if it still holds the token ARGV[1].
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// fencedSetScript sets KEYS[2] to ARGV[2] for ARGV[3] ms, or deletes it
// when ARGV[2] is empty, if the lock KEYS[1] still holds the token
// ARGV[1]; it returns 1 when it did.
var fencedSetScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[2]) else redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3]) end
return 1`)

// randomToken returns the random part of a lock's token.
func randomToken() string {
	var b [12]byte
	_, _ = crand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// LockRenewal takes the renewal lock of the entry of api and profile for
// every process that uses this Redis and prefix, waiting while another
// holds it: it asks Redis every 25 ms or so, until the lock is free or
// ctx ends (then the error wraps ctx's). The lock lasts the lock TTL
// ([DefaultLockTTL], or [WithLockTTL]) from when it is taken: its
// Deadline. It makes the store a [mediaauth.RenewalLocker].
//
// When the holder dies (killed, its host lost) or stops (paused,
// partitioned), the lock expires at its deadline, and the next waiter
// takes it then: the others wait at most the lock TTL, plus one renewal.
// A holder that goes on after its deadline can no longer write under the
// lock: Save and SetFailure return [mediaauth.ErrLockLost] and change
// nothing, so that it cannot overwrite what the next holder saved.
func (s *CredentialStore) LockRenewal(ctx context.Context, api mediaauth.API, profile string) (mediaauth.RenewalLock, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if err := mediaauth.ValidateStoreKey(api, profile); err != nil {
		return nil, err
	}
	f := field(api, profile)
	keys := []string{s.key("lock:" + f), s.key("fence")}
	random := randomToken()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("redislimit: waiting for the renewal lock of %s profile %q: %w", api, profile, ctx.Err())
		case <-timer.C:
		}
		start := time.Now()
		token, err := acquireScript.Run(ctx, s.rdb, keys, random, s.lockTTL.Milliseconds()).Text()
		switch {
		case err == nil:
			return &redisLock{s: s, api: api, profile: profile, field: f, token: token,
				lockKey: keys[0], deadline: start.Add(s.lockTTL)}, nil
		case !errors.Is(err, redis.Nil):
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			return nil, fmt.Errorf("redislimit: taking the renewal lock of %s profile %q: %w", api, profile, err)
		}
		// Held by another: ask again after the poll interval, give or
		// take a quarter, so that waiters do not ask in step.
		timer.Reset(s.lockPoll*3/4 + rand.N(s.lockPoll/2))
	}
}

// redisLock is a held renewal lock of a CredentialStore.
type redisLock struct {
	s        *CredentialStore
	api      mediaauth.API
	profile  string
	field    string
	token    string
	lockKey  string
	deadline time.Time
	once     sync.Once
}

// Deadline is when the lock expires: its TTL after it was asked for.
func (l *redisLock) Deadline() time.Time { return l.deadline }

// lost is the error of a write the lock no longer allows.
func (l *redisLock) lost() error {
	return fmt.Errorf("redislimit: %s profile %q: the renewal lock expired and may be another's: %w", l.api, l.profile, mediaauth.ErrLockLost)
}

// Save keeps creds, which must be for the lock's entry, if the lock still
// holds; else it returns [mediaauth.ErrLockLost] and changes nothing.
func (l *redisLock) Save(ctx context.Context, creds *mediaauth.StoredCredentials) error {
	f, value, err := l.s.encode(creds)
	if err != nil {
		return err
	}
	if f != l.field {
		return fmt.Errorf("redislimit: the renewal lock of %s profile %q cannot save another entry: %w", l.api, l.profile, mediaauth.ErrInvalidArgument)
	}
	if err := l.s.write(ctx, l.api, l.profile, f, value, l.lockKey, l.token); err != nil {
		if errors.Is(err, errFenced) {
			return l.lost()
		}
		return err
	}
	return nil
}

// Failure returns the failure record, nil when there is none or it is over.
func (l *redisLock) Failure(ctx context.Context) (*mediaauth.RenewalFailure, error) {
	raw, err := l.s.rdb.Get(ctx, l.s.key("failure:"+l.field)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("redislimit: reading the renewal failure of %s profile %q: %w", l.api, l.profile, err)
	}
	var f mediaauth.RenewalFailure
	if json.Unmarshal(raw, &f) != nil || !time.Now().Before(f.Until) {
		return nil, nil
	}
	return &f, nil
}

// SetFailure records f until f.Until (nil removes the record), if the lock
// still holds; else it returns [mediaauth.ErrLockLost].
func (l *redisLock) SetFailure(ctx context.Context, f *mediaauth.RenewalFailure) error {
	value, ttl := "", int64(0)
	if f != nil {
		left := time.Until(f.Until)
		if left <= 0 {
			return l.SetFailure(ctx, nil)
		}
		data, err := json.Marshal(f)
		if err != nil {
			return fmt.Errorf("redislimit: encoding the renewal failure: %w", err)
		}
		value, ttl = string(data), max(left.Milliseconds(), 1)
	}
	done, err := fencedSetScript.Run(ctx, l.s.rdb, []string{l.lockKey, l.s.key("failure:" + l.field)}, l.token, value, ttl).Int()
	if err != nil {
		return fmt.Errorf("redislimit: recording the renewal failure of %s profile %q: %w", l.api, l.profile, err)
	}
	if done == 0 {
		return l.lost()
	}
	return nil
}

// Unlock releases the lock if it still holds it; later calls do nothing.
func (l *redisLock) Unlock(ctx context.Context) error {
	var err error
	l.once.Do(func() {
		if e := releaseScript.Run(ctx, l.s.rdb, []string{l.lockKey}, l.token).Err(); e != nil {
			err = fmt.Errorf("redislimit: releasing the renewal lock of %s profile %q: %w", l.api, l.profile, e)
		}
	})
	return err
}
