// Package redislimit is a client-side rate limit for package mediaauth whose
// budget lives in Redis, so that several replicas of a service together stay
// within one API's limit. Each replica builds a [Limiter] with the same
// Redis, key and limit and hands it to [mediaauth.WithRateLimiter]:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379"})
//	lim, err := redislimit.New(rdb, "tvmaze", redislimit.TVmaze())
//	if err != nil { ... }
//	client, err := mediaauth.New(
//		mediaauth.WithCredentials(creds),
//		mediaauth.WithRateLimiter(mediaauth.APITVmaze, lim),
//	)
//
// Every request the client sends to that API then first waits on
// [Limiter.Wait], which asks Redis whether one more request fits. The limit
// is GCRA (the generic cell rate algorithm) as implemented by
// github.com/go-redis/redis_rate/v10 in a Lua script: a burst, then an even
// pace. The script reads Redis's own clock, so the replicas' clocks need not
// agree.
//
// # Budgets
//
// [TVmaze] and [TMDb] are the services' documented limits, the same as a
// mediaauth.Client applies per process by default; [AtMost] builds others
// from "at most n requests in any window". A redis_rate.Limit built by hand
// works too (Rate and Burst of at least 1, positive Period).
//
// # Keys
//
// A budget is named by its key, put after [DefaultPrefix]
// ("mediaauth:ratelimit:") or the prefix given with [WithPrefix]; redis_rate
// adds its own "rate:" before that. Several budgets, for several APIs or
// several accounts, can share one Redis under different keys. Every process
// that spends one key must use the same limit.
//
// # Failures
//
// Wait honours its context: it returns promptly with an error wrapping
// ctx.Err() when ctx ends, and at once with an error wrapping
// context.DeadlineExceeded when the wait would pass ctx's deadline. When
// Redis cannot be reached, Wait returns the error wrapped, so the request is
// not sent; it never lets a request through unchecked. How long a Redis call
// may take is go-redis's business: set redis.Options' DialTimeout and
// ReadTimeout, and ContextTimeoutEnabled to make a call end with its
// context.
package redislimit
