package redislimit_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/redislimit"
	"github.com/redis/go-redis/v9"
)

// Every replica of a service builds the same Limiter, so that together they
// send TVmaze at most 20 requests in any 10 seconds.
func Example() {
	// The Redis that all replicas reach, for example "localhost:6379".
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("REDIS_ADDR")})
	defer rdb.Close()

	lim, err := redislimit.New(rdb, "tvmaze", redislimit.TVmaze())
	if err != nil {
		log.Fatal(err)
	}
	client, err := mediaauth.New(
		mediaauth.WithCredentials(mediaauth.TVmazeCredentials{Username: "demo", APIKey: "..."}),
		mediaauth.WithRateLimiter(mediaauth.APITVmaze, lim),
	)
	if err != nil {
		log.Fatal(err)
	}
	_ = client // Every TVmaze call of client now waits on lim first.

	fmt.Println(lim.Key())
	fmt.Println(lim.Limit())
	// Output:
	// mediaauth:ratelimit:tvmaze
	// 15 req/10s (burst 5)
}

// Wait also limits requests sent without a mediaauth.Client.
func ExampleLimiter_Wait() {
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("REDIS_ADDR")})
	defer rdb.Close()

	lim, err := redislimit.New(rdb, "tmdb", redislimit.TMDb())
	if err != nil {
		log.Fatal(err)
	}
	if err := lim.Wait(context.Background()); err != nil {
		log.Fatal(err) // Redis unreachable, or the context ended.
	}
	fmt.Println("may send one TMDb request")
	// Output: may send one TMDb request
}

// Every replica of a service keeps the user's credentials in one Redis,
// sealed with a key they share.
func ExampleCredentialStore() {
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("REDIS_ADDR")})
	defer rdb.Close()
	// A 32-byte key, from the service's secret manager in a real program.
	key := []byte("an-example-key-of-32-bytes------")

	store, err := redislimit.NewCredentialStore(rdb, redislimit.WithStorePrefix("example"), redislimit.WithSealKey(key))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	err = store.Save(ctx, &mediaauth.StoredCredentials{
		API: mediaauth.APITVmaze, Profile: mediaauth.DefaultProfile,
		TVmaze: &mediaauth.TVmazeCredentials{Username: "alice", APIKey: "s3cr3t-api-key"},
	})
	if err != nil {
		log.Fatal(err)
	}
	creds, err := store.Load(ctx, mediaauth.APITVmaze, mediaauth.DefaultProfile)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(creds.TVmaze) // printing never shows the API key
	// Output: mediaauth.TVmazeCredentials{Username:"alice" APIKey:[REDACTED]}
}
