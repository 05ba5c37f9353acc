package redislimit_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
	"github.com/mediaauth/mediaauth/redislimit"
	"github.com/redis/go-redis/v9"
)

// unreachable is a client of a Redis that is never started; building a
// Limiter on it sends nothing.
func unreachable(t *testing.T) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// perMinute is one request a minute: after the first, Wait has long to go.
var perMinute = redis_rate.Limit{Rate: 1, Burst: 1, Period: time.Minute}

func TestNewRejectsInvalidInput(t *testing.T) {
	rdb := unreachable(t)
	tests := []struct {
		name  string
		rdb   redis.UniversalClient
		key   string
		limit redis_rate.Limit
		want  string
	}{
		{"nil client", nil, "k", redislimit.TVmaze(), "nil Redis client"},
		{"typed nil client", (*redis.Client)(nil), "k", redislimit.TVmaze(), "nil Redis client"},
		{"empty key", rdb, "", redislimit.TVmaze(), "empty key"},
		{"zero limit", rdb, "k", redis_rate.Limit{}, "invalid limit"},
		{"zero rate", rdb, "k", redis_rate.Limit{Rate: 0, Burst: 1, Period: time.Second}, "invalid limit"},
		{"negative rate", rdb, "k", redis_rate.Limit{Rate: -1, Burst: 1, Period: time.Second}, "invalid limit"},
		{"zero burst", rdb, "k", redis_rate.Limit{Rate: 1, Burst: 0, Period: time.Second}, "invalid limit"},
		{"zero period", rdb, "k", redis_rate.Limit{Rate: 1, Burst: 1}, "invalid limit"},
		{"negative period", rdb, "k", redis_rate.Limit{Rate: 1, Burst: 1, Period: -time.Second}, "invalid limit"},
		{"AtMost burst equal to n", rdb, "k", redislimit.AtMost(5, time.Second, 5), "invalid limit"},
		{"AtMost zero burst", rdb, "k", redislimit.AtMost(5, time.Second, 0), "invalid limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim, err := redislimit.New(tt.rdb, tt.key, tt.limit)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: got %v, %v; want an error containing %q", lim, err, tt.want)
			}
			if lim != nil {
				t.Errorf("New returned a limiter with its error: %v", lim)
			}
		})
	}
}

func TestBudgets(t *testing.T) {
	tests := []struct {
		name     string
		got      redis_rate.Limit
		want     redis_rate.Limit
		inWindow int
	}{
		{"TVmaze", redislimit.TVmaze(), redis_rate.Limit{Rate: 15, Burst: 5, Period: 10 * time.Second}, 20},
		{"TMDb", redislimit.TMDb(), redis_rate.Limit{Rate: 35, Burst: 4, Period: time.Second}, 39},
		{"AtMost", redislimit.AtMost(10, time.Minute, 3), redis_rate.Limit{Rate: 7, Burst: 3, Period: time.Minute}, 10},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s() = %v, want %v", tt.name, tt.got, tt.want)
		}
		// A full burst, then one request per Period/Rate: Burst+Rate fit
		// in a closed window of one Period, never more.
		if n := tt.got.Burst + tt.got.Rate; n != tt.inWindow {
			t.Errorf("%s() lets %d through in one window, want %d", tt.name, n, tt.inWindow)
		}
	}
}

func TestNewKeyAndLimit(t *testing.T) {
	rdb := unreachable(t)
	lim, err := redislimit.New(rdb, "tvmaze", redislimit.TVmaze())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := lim.Key(), "mediaauth:ratelimit:tvmaze"; got != want {
		t.Errorf("Key() = %q, want %q", got, want)
	}
	if lim.Limit() != redislimit.TVmaze() {
		t.Errorf("Limit() = %v, want %v", lim.Limit(), redislimit.TVmaze())
	}
	lim, err = redislimit.New(rdb, "tmdb", redislimit.TMDb(), redislimit.WithPrefix("app:"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := lim.Key(), "app:tmdb"; got != want {
		t.Errorf("Key() with WithPrefix = %q, want %q", got, want)
	}
}

func TestWaitBurstThenEmissionInterval(t *testing.T) {
	srv := startRedis(t)
	// 20 per second with a burst of 20: one request every 50 ms after it.
	lim, err := redislimit.New(srv.client(t), "burst", redis_rate.PerSecond(20))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	start := time.Now()
	for i := range 20 {
		if err := lim.Wait(ctx); err != nil {
			t.Fatalf("Wait %d: %v", i+1, err)
		}
	}
	burst := time.Since(start)
	if burst > 500*time.Millisecond {
		t.Errorf("the burst of 20 took %s; want it let through at once", burst)
	}
	if err := lim.Wait(ctx); err != nil {
		t.Fatalf("Wait 21: %v", err)
	}
	// Redis allows the 21st one emission interval (50 ms) after the first,
	// which was granted after start.
	if got := time.Since(start); got < 45*time.Millisecond || got > 50*time.Millisecond+time.Second {
		t.Errorf("the 21st request was let through %s after the first Wait began; want about 50ms", got)
	}
	t.Logf("burst of 20 in %s; the 21st at %s", burst, time.Since(start))
}

func TestWaitReturnsPromptlyWhenCanceled(t *testing.T) {
	srv := startRedis(t)
	lim, err := redislimit.New(srv.client(t), "cancel", perMinute)
	if err != nil {
		t.Fatal(err)
	}
	if err := lim.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	cause := errors.New("shutting down")
	ctx, cancel := context.WithCancelCause(t.Context())
	timer := time.AfterFunc(100*time.Millisecond, func() { cancel(cause) })
	defer timer.Stop()
	start := time.Now()
	err = lim.Wait(ctx)
	elapsed := time.Since(start)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, cause) {
		t.Fatalf("Wait = %v; want an error wrapping context.Canceled and the cause", err)
	}
	if elapsed < 90*time.Millisecond || elapsed > time.Second {
		t.Errorf("Wait returned %s after it began; want soon after the cancel at 100ms", elapsed)
	}
}

func TestWaitAlreadyCanceledSendsNothing(t *testing.T) {
	lim, err := redislimit.New(unreachable(t), "canceled", perMinute)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := lim.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v; want an error wrapping context.Canceled", err)
	}
}

func TestWaitDeadlineTooShortReturnsAtOnce(t *testing.T) {
	srv := startRedis(t)
	lim, err := redislimit.New(srv.client(t), "deadline", perMinute)
	if err != nil {
		t.Fatal(err)
	}
	if err := lim.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	start := time.Now()
	err = lim.Wait(ctx)
	elapsed := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v; want an error wrapping context.DeadlineExceeded", err)
	}
	if ctx.Err() != nil || elapsed > time.Second {
		t.Errorf("Wait returned after %s (ctx.Err() = %v); want at once, before the deadline", elapsed, ctx.Err())
	}
}

func TestWaitRedisDownIsAnError(t *testing.T) {
	srv := startRedis(t)
	lim, err := redislimit.New(srv.client(t), "down", redislimit.TVmaze())
	if err != nil {
		t.Fatal(err)
	}
	if err := lim.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv.stop()

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	start := time.Now()
	err = lim.Wait(ctx)
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("Wait let a request through with Redis down")
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v; want the Redis error, not the context's", err)
	}
	if !strings.Contains(err.Error(), "redislimit: mediaauth:ratelimit:down:") {
		t.Errorf("Wait = %q; want it to name the package and key", err)
	}
	if elapsed > 10*time.Second {
		t.Errorf("Wait took %s to report Redis down", elapsed)
	}
	t.Logf("Redis down: %v after %s", err, elapsed)
}

func TestKeysAreSeparateBudgets(t *testing.T) {
	srv := startRedis(t)
	rdb := srv.client(t)
	ctx := t.Context()
	newLimiter := func(key string, opts ...redislimit.Option) *redislimit.Limiter {
		t.Helper()
		lim, err := redislimit.New(rdb, key, perMinute, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return lim
	}
	// Each of these spends its own budget of one.
	for _, lim := range []*redislimit.Limiter{
		newLimiter("tvmaze"), newLimiter("tmdb"), newLimiter("tvmaze", redislimit.WithPrefix("other:")),
	} {
		if err := lim.Wait(ctx); err != nil {
			t.Fatalf("Wait on %s: %v", lim.Key(), err)
		}
	}
	for _, key := range []string{"rate:mediaauth:ratelimit:tvmaze", "rate:mediaauth:ratelimit:tmdb", "rate:other:tvmaze"} {
		if n, err := rdb.Exists(ctx, key).Result(); err != nil || n != 1 {
			t.Errorf("EXISTS %s = %d, %v; want 1", key, n, err)
		}
	}
	// Another Limiter of the same key shares the spent budget.
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := newLimiter("tvmaze").Wait(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait on a second limiter of a spent key = %v; want it to have to wait", err)
	}
}

func TestWaitConcurrentUse(t *testing.T) {
	srv := startRedis(t)
	lim, err := redislimit.New(srv.client(t), "concurrent", redislimit.AtMost(20, time.Second, 10))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				errs <- lim.Wait(ctx)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// 10 at once, then one every 100 ms: the 20th at 1 s at the earliest.
	if elapsed := time.Since(start); elapsed < 950*time.Millisecond {
		t.Errorf("20 requests took %s; the limit allows no fewer than 1s", elapsed)
	}
}

// The multi-process test: replicas of a service, each a process with its
// own mediaauth.Client, share one TVmaze budget through one Redis.
const (
	envRedisAddr = "REDISLIMIT_REDIS_ADDR"
	envTVmazeURL = "REDISLIMIT_TVMAZE_URL"
	envCalls     = "REDISLIMIT_CALLS"
	helperDone   = "redislimit helper: calls succeeded:"
)

// TestWaitSharedAcrossProcesses runs 4 processes that each validate TVmaze
// credentials 10 times against one fake server, through a client limited by
// one Limiter key with TVmaze(). The server must see every call, and at most
// 20 of them in any 10-second window by its own clock. 40 calls at 5 at once
// and then one every 2/3 s take about 23 s.
func TestWaitSharedAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 25s")
	}
	const (
		processes = 4
		calls     = 10
		window    = 10 * time.Second
		inWindow  = 20
	)
	rs := startRedis(t)
	srv := mediaauthtest.NewServer()
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	type result struct {
		out []byte
		err error
	}
	results := make(chan result, processes)
	start := time.Now()
	for range processes {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(),
			helperEnv+"=1",
			envRedisAddr+"="+rs.addr,
			envTVmazeURL+"="+srv.TVmaze.URL(),
			envCalls+"="+strconv.Itoa(calls),
		)
		go func() {
			out, err := cmd.CombinedOutput()
			results <- result{out, err}
		}()
	}
	for range processes {
		r := <-results
		if r.err != nil || !strings.Contains(string(r.out), helperDone+" "+strconv.Itoa(calls)) {
			t.Errorf("a replica failed: %v\n%s", r.err, r.out)
		}
	}
	elapsed := time.Since(start)

	reqs := srv.Requests()
	var arrivals []time.Time
	for _, r := range reqs {
		if r.Method == "GET" && r.Path == mediaauthtest.TVmazePrefix+"/auth/validate" && r.Status == 200 {
			arrivals = append(arrivals, r.At)
		}
	}
	if len(reqs) != processes*calls || len(arrivals) != processes*calls {
		t.Errorf("server saw %d requests, %d of them successful validations; want %d of each",
			len(reqs), len(arrivals), processes*calls)
	}
	if len(arrivals) == 0 {
		t.FailNow()
	}
	slices.SortFunc(arrivals, func(a, b time.Time) int { return a.Compare(b) })
	// Every window that starts at an arrival, end included.
	most, mostAt := 0, 0
	for i, a := range arrivals {
		n := 0
		for _, b := range arrivals[i:] {
			if b.Sub(a) <= window {
				n++
			}
		}
		if n > most {
			most, mostAt = n, i
		}
	}
	span := arrivals[len(arrivals)-1].Sub(arrivals[0])
	t.Logf("%d processes × %d calls: %d requests over %s (test %s); at most %d in any %s window (from arrival %d)",
		processes, calls, len(arrivals), span.Round(time.Millisecond), elapsed.Round(time.Millisecond),
		most, window, mostAt+1)
	if most > inWindow {
		t.Errorf("the server saw %d requests in the %s from arrival %d; the budget is %d", most, window, mostAt+1, inWindow)
	}
}

// TestHelperProcess is one replica of TestWaitSharedAcrossProcesses; it runs
// only in the processes that test starts.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("a replica of TestWaitSharedAcrossProcesses, run by it")
	}
	calls, err := strconv.Atoi(os.Getenv(envCalls))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv(envRedisAddr)})
	defer rdb.Close()
	lim, err := redislimit.New(rdb, "tvmaze", redislimit.TVmaze())
	if err != nil {
		t.Fatal(err)
	}
	client, err := mediaauth.New(
		mediaauth.WithTVmazeBaseURL(os.Getenv(envTVmazeURL)),
		mediaauth.WithCredentials(mediaauth.TVmazeCredentials{
			Username: mediaauthtest.DemoTVmazeUsername, APIKey: mediaauthtest.DemoTVmazeAPIKey,
		}),
		mediaauth.WithRetry(0, 0, 0),
		mediaauth.WithRateLimiter(mediaauth.APITVmaze, lim),
	)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for i := range calls {
		premium, err := client.TVmaze.Validate(ctx)
		if err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
		if premium != mediaauthtest.DemoTVmazePremiumLevel {
			t.Fatalf("call %d: premium level %v, want %v", i+1, premium, mediaauthtest.DemoTVmazePremiumLevel)
		}
	}
	fmt.Println(helperDone, calls)
}
