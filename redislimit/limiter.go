package redislimit

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/mediaauth/mediaauth"
	"github.com/redis/go-redis/v9"
)

// DefaultPrefix is put before every key given to [New], so that the
// budgets of this package stay apart from other data in the same Redis.
// [WithPrefix] replaces it.
const DefaultPrefix = "mediaauth:ratelimit:"

// Limiter is a rate limit whose state lives in Redis, so that every process
// that builds a Limiter with the same Redis, prefix, key and limit spends
// one budget. It satisfies [mediaauth.RateLimiter]; pass it to
// [mediaauth.WithRateLimiter]. A Limiter is safe for concurrent use.
type Limiter struct {
	rl    *redis_rate.Limiter
	key   string
	limit redis_rate.Limit
}

var _ mediaauth.RateLimiter = (*Limiter)(nil)

// Option configures [New].
type Option func(*options)

type options struct {
	prefix string
}

// WithPrefix replaces [DefaultPrefix] as the namespace put before the key.
// An empty prefix uses the key as it is.
func WithPrefix(prefix string) Option {
	return func(o *options) { o.prefix = prefix }
}

// AtMost returns the limit that lets at most n requests through in any
// window of the given length: a burst of up to burst requests at once,
// refilled at n-burst per window. TVmaze's "20 calls every 10 seconds" is
// AtMost(20, 10*time.Second, 5): five at once, then one every 2/3 second.
// A smaller burst spreads the requests more evenly. [New] rejects the result
// unless 0 < burst < n and window > 0.
func AtMost(n int, window time.Duration, burst int) redis_rate.Limit {
	return redis_rate.Limit{Rate: n - burst, Burst: burst, Period: window}
}

// TVmaze is TVmaze's documented budget (it allows at least 20 calls every
// 10 seconds per IP address): [AtMost](20, 10*time.Second, 5), the same limit
// a [mediaauth.Client] applies on its own by default.
func TVmaze() redis_rate.Limit { return AtMost(20, 10*time.Second, 5) }

// TMDb stays under TMDb's limit, which sits "somewhere in the 40 requests
// per second range": [AtMost](39, time.Second, 4), that is a burst of 4 and
// 35 per second, the same limit a [mediaauth.Client] applies on its own by
// default.
func TMDb() redis_rate.Limit { return AtMost(39, time.Second, 4) }

// New returns a Limiter that keeps limit in rdb under prefix+key (Redis
// stores it as "rate:"+prefix+key, "rate:" being redis_rate's own prefix).
// Processes that should share a budget use the same key and limit; separate
// budgets use separate keys, for example "tvmaze" and "tmdb".
//
// limit needs Rate and Burst of at least 1 and a positive Period; see
// [AtMost], [TVmaze] and [TMDb]. A nil rdb or an empty key is an error.
func New(rdb redis.UniversalClient, key string, limit redis_rate.Limit, opts ...Option) (*Limiter, error) {
	if isNil(rdb) {
		return nil, errors.New("redislimit: nil Redis client")
	}
	if key == "" {
		return nil, errors.New("redislimit: empty key")
	}
	if limit.Rate <= 0 || limit.Burst <= 0 || limit.Period <= 0 {
		return nil, fmt.Errorf("redislimit: invalid limit %d per %s with burst %d: rate, burst and period must be positive",
			limit.Rate, limit.Period, limit.Burst)
	}
	o := options{prefix: DefaultPrefix}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return &Limiter{rl: redis_rate.NewLimiter(rdb), key: o.prefix + key, limit: limit}, nil
}

// isNil reports whether rdb is nil or a typed nil pointer such as a nil
// *redis.Client, which would panic on first use.
func isNil(rdb redis.UniversalClient) bool {
	if rdb == nil {
		return true
	}
	v := reflect.ValueOf(rdb)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// Key returns the key given to [New] with its prefix: the budget the
// limiter spends, named without redis_rate's own "rate:".
func (l *Limiter) Key() string { return l.key }

// Limit returns the limit given to [New].
func (l *Limiter) Limit() redis_rate.Limit { return l.limit }

// Wait blocks until Redis lets one more request through, and takes it from
// the budget. It asks Redis, and while the budget is spent it sleeps for as
// long as Redis says and asks again; another process may take the request
// first, in which case it waits again.
//
// When ctx ends, Wait returns promptly with an error that wraps ctx.Err()
// (and context.Cause(ctx) when that differs). When the wait Redis asks for
// would pass ctx's deadline, Wait returns at once with an error that wraps
// [context.DeadlineExceeded]. A Redis error is returned wrapped: Wait never
// lets a request through without Redis's consent.
func (l *Limiter) Wait(ctx context.Context) error {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if ctx.Err() != nil {
			return ctxError(ctx)
		}
		res, err := l.rl.Allow(ctx, l.key, l.limit)
		if err != nil {
			if ctx.Err() != nil {
				return ctxError(ctx)
			}
			return fmt.Errorf("redislimit: %s: %w", l.key, err)
		}
		if res.Allowed > 0 {
			return nil
		}
		wait := res.RetryAfter
		if wait <= 0 {
			// Redis refused without saying how long to wait; ask again
			// soon rather than spin.
			wait = time.Millisecond
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return fmt.Errorf("redislimit: %s: waiting %s would pass the context deadline: %w",
				l.key, wait, context.DeadlineExceeded)
		}
		if timer == nil {
			timer = time.NewTimer(wait)
		} else {
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			return ctxError(ctx)
		case <-timer.C:
		}
	}
}

// ctxError wraps ctx.Err(), and its cause when that says more.
func ctxError(ctx context.Context) error {
	err := ctx.Err()
	if cause := context.Cause(ctx); cause != nil && cause != err {
		return fmt.Errorf("redislimit: %w: %w", err, cause)
	}
	return fmt.Errorf("redislimit: %w", err)
}
