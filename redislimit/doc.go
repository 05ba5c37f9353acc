// Package redislimit keeps in Redis what the replicas of a service that
// uses package mediaauth share: the rate limit of an API ([Limiter]), so
// that together they stay within it, and the credentials with their
// renewal lock ([CredentialStore]), so that together they renew a token
// once.
//
// # Rate limits
//
// Each replica builds a [Limiter] with the same Redis, key and limit and
// hands it to [mediaauth.WithRateLimiter]:
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
//
// # Credentials and their renewal
//
// A [CredentialStore] is a [mediaauth.CredentialStore] whose entries live
// in Redis, for replicas on several hosts (on one host, a
// [mediaauth.FileStore] does the same). It is a [mediaauth.RenewalLocker]:
// give it to [mediaauth.StoredMoviesTokenSource], and a token that is due
// for renewal is renewed once for the whole fleet:
//
//	store, err := redislimit.NewCredentialStore(rdb, redislimit.WithSealKey(key))
//	src := mediaauth.ReuseMoviesTokenSource(nil,
//		mediaauth.StoredMoviesTokenSource(store, "default", client.Movies.LoginTokenSource(user, password)))
//	movies := client.Movies.With(mediaauth.RenewingMoviesToken(src))
//
// The replica that finds the token due takes the entry's renewal lock,
// reads the entry again, and logs in only if no other replica has saved
// a fresh token meanwhile; the others wait for the lock and take the
// token it saved. A login that fails is recorded in Redis, and for the
// back-off ([mediaauth.DefaultRenewalBackoff]) every replica returns its
// error ([mediaauth.ErrRenewalBackoff]) instead of logging in again.
//
// The lock is a Redis key set with NX that expires [DefaultLockTTL] (15 s,
// or [WithLockTTL]) after it was taken; its value is a fencing token, a
// number Redis increments for each lock. The holder's login must end by
// then: it runs with the lock's deadline. When the holder dies (killed,
// its host lost) or stalls, its lock expires at that deadline, and one of
// the replicas waiting takes it and logs in: the others wait for the
// lock's TTL at most, plus one login, and their calls wait with them
// (honouring their contexts) rather than fail. A holder that goes on past
// its deadline can no longer write: every write under the lock is one Lua
// script that first checks the lock still holds its token, and otherwise
// changes nothing and returns [mediaauth.ErrLockLost].
//
// # Secrets at rest
//
// Entries are JSON in one Redis hash. With [WithSealKey], each is sealed
// with AES-GCM under the caller's key and bound to its API and profile:
// Redis, its backups and whoever reads them see no secret, and an entry
// cannot be planted or moved without the key. Keys rotate: the new key
// seals, the previous ones still open.
package redislimit
