package redislimit_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
	"github.com/mediaauth/mediaauth/redislimit"
	"github.com/redis/go-redis/v9"
)

// The renewal lock of a CredentialStore: exclusion, expiry and fencing in
// one process; then one renewal for several OS processes (this test
// binary run again as TestStoreHelperProcess) against the loopback fake.

func TestRenewalLockExcludesExpiresAndFences(t *testing.T) {
	rdb := startRedis(t).client(t)
	const ttl = 300 * time.Millisecond
	s := newStore(t, rdb, redislimit.WithLockTTL(ttl))
	ctx := context.Background()
	first, err := s.LockRenewal(ctx, mediaauth.APITVmaze, "default")
	if err != nil {
		t.Fatal(err)
	}
	if left := time.Until(first.Deadline()); left <= 0 || left > ttl {
		t.Errorf("deadline in %s, want within the TTL %s", left, ttl)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := s.LockRenewal(short, mediaauth.APITVmaze, "default"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a second holder while the first holds: %v", err)
	}
	other, err := s.LockRenewal(ctx, mediaauth.APITVmaze, "work")
	if err != nil {
		t.Fatalf("another entry has a lock of its own: %v", err)
	}
	_ = other.Unlock(ctx)

	// The first holder stalls past its TTL: the next takes the lock, and
	// the first can no longer write.
	start := time.Now()
	second, err := s.LockRenewal(ctx, mediaauth.APITVmaze, "default")
	if err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited > ttl+200*time.Millisecond {
		t.Errorf("the second holder waited %s for a lock of TTL %s", waited, ttl)
	}
	if err := second.Save(ctx, tvmazeEntry("default", "second-key")); err != nil {
		t.Fatal(err)
	}
	if err := first.Save(ctx, tvmazeEntry("default", "stale-key")); !errors.Is(err, mediaauth.ErrLockLost) {
		t.Errorf("Save by a holder whose lock expired: %v", err)
	}
	if err := first.SetFailure(ctx, nil); !errors.Is(err, mediaauth.ErrLockLost) {
		t.Errorf("SetFailure by a holder whose lock expired: %v", err)
	}
	if err := second.Save(ctx, tvmazeEntry("work", "k")); !errors.Is(err, mediaauth.ErrInvalidArgument) {
		t.Errorf("Save of another entry under the lock: %v", err)
	}
	if got, _ := s.Load(ctx, mediaauth.APITVmaze, "default"); got.TVmaze.APIKey != "second-key" {
		t.Errorf("the stale holder's write reached the store: %v", got)
	}
	// The first holder's Unlock leaves the second's lock in place.
	_ = first.Unlock(ctx)
	short2, cancel2 := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel2()
	if _, err := s.LockRenewal(short2, mediaauth.APITVmaze, "default"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a stale Unlock released the current holder's lock: %v", err)
	}
	if err := second.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	third, err := s.LockRenewal(ctx, mediaauth.APITVmaze, "default")
	if err != nil {
		t.Fatal(err)
	}
	_ = third.Unlock(ctx)
}

func TestRenewalFailureRecordExpires(t *testing.T) {
	rdb := startRedis(t).client(t)
	s := newStore(t, rdb)
	ctx := context.Background()
	lock, err := s.LockRenewal(ctx, mediaauth.APIMovies, "default")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock(ctx)
	until := time.Now().Add(150 * time.Millisecond)
	if err := lock.SetFailure(ctx, &mediaauth.RenewalFailure{At: time.Now(), Until: until, Message: "login refused"}); err != nil {
		t.Fatal(err)
	}
	if f, err := lock.Failure(ctx); err != nil || f == nil || f.Message != "login refused" {
		t.Fatalf("Failure: %v, %v", f, err)
	}
	time.Sleep(time.Until(until))
	if f, err := lock.Failure(ctx); err != nil || f != nil {
		t.Errorf("Failure after its end: %v, %v", f, err)
	}
	if n, _ := rdb.Exists(ctx, "{mediaauth:credentials}:failure:movies/default").Result(); n != 0 {
		t.Error("the record outlived its back-off in Redis")
	}
}

// Environment of TestStoreHelperProcess.
const (
	envMode     = "REDISLIMIT_RENEWAL_MODE" // "calls", "hold" or "failing"
	envMovies   = "REDISLIMIT_MOVIES_URL"
	envStart    = "REDISLIMIT_START"
	envMark     = "REDISLIMIT_MARK"
	envLockTTL  = "REDISLIMIT_LOCK_TTL"
	envBackoff  = "REDISLIMIT_BACKOFF"
	envFor      = "REDISLIMIT_FOR"
	renewalDone = "redislimit renewal helper done:"
)

// TestStoreHelperProcess is one process of the cross-process renewal
// tests; it runs only in the processes they start. After the start file,
// if any: calls makes CALLS concurrent Profile calls that must succeed;
// hold does the same but creates MARK when its login begins; failing keeps
// CALLS goroutines calling for FOR, each call failing with the login's
// error or ErrRenewalBackoff.
func TestStoreHelperProcess(t *testing.T) {
	mode := os.Getenv(envMode)
	if os.Getenv(helperEnv) == "" || mode == "" {
		t.Skip("a process of the cross-process renewal tests, run by them")
	}
	ttl, _ := time.ParseDuration(os.Getenv(envLockTTL))
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv(envRedisAddr)})
	defer rdb.Close()
	store := newStore(t, rdb, redislimit.WithLockTTL(ttl))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	me := renewingClient(t, mode, store)
	calls, err := strconv.Atoi(os.Getenv(envCalls))
	if err != nil {
		t.Fatal(err)
	}
	if start := os.Getenv(envStart); start != "" {
		waitFor(t, ctx, start)
	}
	if mark := os.Getenv(envMark); mark != "" && mode == "calls" {
		touch(t, mark)
	}
	if mode == "failing" {
		fmt.Println(renewalDone, failing(t, ctx, me, calls))
		return
	}
	for i, err := range concurrently(calls, func() error { _, err := me.Profile(ctx); return err }) {
		if err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	fmt.Println(renewalDone, calls, "calls ok")
}

// renewingClient returns the Movies handle of the demo account, whose
// token is kept in store and renewed by a login; in mode hold, the login
// creates the MARK file first.
func renewingClient(t *testing.T, mode string, store *redislimit.CredentialStore) *mediaauth.Movies {
	client, err := mediaauth.New(mediaauth.WithMoviesBaseURL(os.Getenv(envMovies)))
	if err != nil {
		t.Fatal(err)
	}
	password := func(context.Context) (string, error) { return mediaauthtest.DemoMoviesPassword, nil }
	login := client.Movies.LoginTokenSource(mediaauthtest.DemoMoviesUsername, password)
	if mode == "hold" {
		inner := login
		login = mediaauth.MoviesTokenSourceFunc(func(ctx context.Context) (*mediaauth.Token, error) {
			touch(t, os.Getenv(envMark))
			return inner.Token(ctx)
		})
	}
	backoff, _ := time.ParseDuration(os.Getenv(envBackoff))
	opt := mediaauth.WithRenewalBackoff(max(backoff, time.Millisecond))
	src := mediaauth.ReuseMoviesTokenSource(nil, mediaauth.StoredMoviesTokenSource(store, mediaauth.DefaultProfile, login, opt), opt)
	return client.Movies.With(mediaauth.RenewingMoviesToken(src))
}

// failing keeps n goroutines calling Profile for FOR, and checks every
// call fails as a failing login makes it fail.
func failing(t *testing.T, ctx context.Context, me *mediaauth.Movies, n int) string {
	d, err := time.ParseDuration(os.Getenv(envFor))
	if err != nil {
		t.Fatal(err)
	}
	end := time.Now().Add(d)
	var total, backoffs atomic.Int32
	errs := concurrently(n, func() error {
		for time.Now().Before(end) {
			_, err := me.Profile(ctx)
			total.Add(1)
			switch {
			case errors.Is(err, mediaauth.ErrRenewalBackoff):
				backoffs.Add(1)
			case !errors.Is(err, mediaauth.ErrInvalidCredentials):
				return fmt.Errorf("want the login's error or a back-off, got %v", err)
			}
			time.Sleep(5 * time.Millisecond)
		}
		return nil
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return fmt.Sprintf("%d calls, %d backing off", total.Load(), backoffs.Load())
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

// touch creates the file at path.
func touch(t *testing.T, path string) {
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

// waitFor waits until the file at path exists.
func waitFor(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("waiting for %s: %v", path, ctx.Err())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// storeFleet is the processes of one cross-process test.
type storeFleet struct {
	t    *testing.T
	env  []string
	outs map[*exec.Cmd]*strings.Builder
}

// newStoreFleet starts the fake and a redis-server, saves in the store a
// token of the demo account that is inside the renewal margin (5 s left),
// and returns the fake and a fleet whose processes use both, with a lock
// TTL of lockTTL.
func newStoreFleet(t *testing.T, lockTTL time.Duration, env ...string) (*mediaauthtest.Server, *storeFleet) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	rs := startRedis(t)
	srv := mediaauthtest.NewServer()
	t.Cleanup(srv.Close)
	c, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tok, err := c.Movies.Login(ctx, mediaauthtest.DemoMoviesUsername, mediaauthtest.DemoMoviesPassword)
	if err != nil {
		t.Fatal(err)
	}
	tok.ExpiresAt = time.Now().Add(5 * time.Second)
	err = newStore(t, rs.client(t)).Save(ctx, &mediaauth.StoredCredentials{API: mediaauth.APIMovies, Profile: "default",
		SavedAt: time.Now().Add(-time.Hour), MoviesToken: tok})
	if err != nil {
		t.Fatal(err)
	}
	return srv, &storeFleet{t: t, outs: map[*exec.Cmd]*strings.Builder{}, env: append([]string{helperEnv + "=1",
		envRedisAddr + "=" + rs.addr, envMovies + "=" + srv.Movies.URL(), envLockTTL + "=" + lockTTL.String()}, env...)}
}

// start starts n processes in mode with extra environment.
func (f *storeFleet) start(ctx context.Context, n int, mode string, extra ...string) []*exec.Cmd {
	var cmds []*exec.Cmd
	for range n {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestStoreHelperProcess$", "-test.count=1", "-test.v")
		cmd.Env = append(append(append(os.Environ(), f.env...), envMode+"="+mode), extra...)
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			f.t.Fatal(err)
		}
		f.outs[cmd] = out
		cmds = append(cmds, cmd)
	}
	return cmds
}

// wait waits for cmds, checks each succeeded, and returns when the last ended.
func (f *storeFleet) wait(cmds ...*exec.Cmd) time.Time {
	for _, cmd := range cmds {
		err := cmd.Wait()
		if out := f.outs[cmd].String(); err != nil || !strings.Contains(out, renewalDone) {
			f.t.Errorf("a process failed: %v\n%s", err, out)
		}
	}
	return time.Now()
}

// logins returns the arrival times of the POST /login requests the fake
// received, in order, and how many it answered 200.
func logins(srv *mediaauthtest.Server) (at []time.Time, ok int) {
	for _, r := range srv.Requests() {
		if r.Method == "POST" && r.Path == mediaauthtest.MoviesPrefix+"/login" {
			at = append(at, r.At)
			if r.Status == 200 {
				ok++
			}
		}
	}
	slices.SortFunc(at, time.Time.Compare)
	return at, ok
}

// TestRenewalOncePerFleetAcrossProcesses: 4 processes on one Redis store,
// each making 25 concurrent calls once the stored token is inside the
// renewal margin, make exactly one login between them.
func TestRenewalOncePerFleetAcrossProcesses(t *testing.T) {
	srv, f := newStoreFleet(t, redislimit.DefaultLockTTL, envCalls+"=25")
	before, _ := logins(srv)
	start := filepath.Join(t.TempDir(), "start")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmds := f.start(ctx, 4, "calls", envStart+"="+start)
	touch(t, start)
	f.wait(cmds...)
	after, ok := logins(srv)
	if n := len(after) - len(before); n != 1 || ok != 2 {
		t.Errorf("%d logins (%d succeeded, the setup's included); want exactly 1", n, ok)
	}
	if n := srv.RequestCount("GET", mediaauthtest.MoviesPrefix+"/user/profile"); n != 100 {
		t.Errorf("%d profile calls, want 100", n)
	}
}

// TestRenewalFailingLoginBacksOffAcrossProcesses: 4 processes of 20
// callers each meet a login that fails; the fleet tries it at most once
// per back-off.
func TestRenewalFailingLoginBacksOffAcrossProcesses(t *testing.T) {
	const backoff, duration = 300 * time.Millisecond, 1500 * time.Millisecond
	srv, f := newStoreFleet(t, redislimit.DefaultLockTTL, envCalls+"=20",
		envBackoff+"="+backoff.String(), envFor+"="+duration.String())
	srv.InjectFault(mediaauthtest.MoviesPrefix+"/login", mediaauthtest.Fault{Status: 401, Times: -1,
		Body: `{"error":"invalid_credentials","message":"Invalid username or password"}`})
	before, _ := logins(srv)
	start := filepath.Join(t.TempDir(), "start")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmds := f.start(ctx, 4, "failing", envStart+"="+start)
	touch(t, start)
	f.wait(cmds...)
	after, _ := logins(srv)
	tried := after[len(before):]
	t.Logf("%d logins in %s with a back-off of %s", len(tried), duration, backoff)
	if len(tried) < 2 || len(tried) > int(duration/backoff)+1 {
		t.Errorf("%d logins; want 2 to %d", len(tried), int(duration/backoff)+1)
	}
	for i := 1; i < len(tried); i++ {
		if gap := tried[i].Sub(tried[i-1]); gap < backoff {
			t.Errorf("logins %d and %d %s apart, under the back-off", i, i+1, gap)
		}
	}
}

// TestRenewalHolderKilledAcrossProcesses: the process renewing is killed
// with SIGKILL during its login. Its lock stays until it expires, 2 s
// after it was taken; then one of the 3 processes waiting takes it and
// logs in, exactly once, and they all go on.
func TestRenewalHolderKilledAcrossProcesses(t *testing.T) {
	const lockTTL, held = 2 * time.Second, 3 * time.Second
	srv, f := newStoreFleet(t, lockTTL, envCalls+"=5")
	dir := t.TempDir()
	before, _ := logins(srv)
	srv.InjectFault(mediaauthtest.MoviesPrefix+"/login", mediaauthtest.Fault{Delay: held, Status: 503})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	holding := filepath.Join(dir, "holding")
	holder := f.start(ctx, 1, "hold", envMark+"="+holding)[0]
	waitFor(t, ctx, holding)
	lockedAt := time.Now()
	var waiters []*exec.Cmd
	for i := range 3 {
		ready := filepath.Join(dir, fmt.Sprintf("ready-%d", i))
		waiters = append(waiters, f.start(ctx, 1, "calls", envMark+"="+ready)...)
		waitFor(t, ctx, ready)
	}
	if err := holder.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killedAt := time.Now()
	_ = holder.Wait()
	done := f.wait(waiters...)

	// The held login is recorded when the fake answers it.
	time.Sleep(time.Until(lockedAt.Add(held)))
	var after []time.Time
	var ok int
	for range 100 {
		if after, ok = logins(srv); len(after) >= len(before)+2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	tried := after[len(before):]
	free := lockedAt.Add(lockTTL)
	if len(tried) != 2 || ok != 2 {
		t.Fatalf("%d logins (%d succeeded, the setup's included); want the killed one and exactly one more", len(tried), ok)
	}
	t.Logf("killed %s after taking the lock (TTL %s); the next login began %s after the lock expired; the waiters were done %s after it",
		killedAt.Sub(lockedAt).Round(time.Millisecond), lockTTL, tried[1].Sub(free).Round(time.Millisecond), done.Sub(free).Round(time.Millisecond))
	if tried[1].Before(free.Add(-100 * time.Millisecond)) {
		t.Errorf("the next login began %s before the lock expired", free.Sub(tried[1]))
	}
	if late := tried[1].Sub(free); late > time.Second {
		t.Errorf("the next login began %s after the lock expired", late)
	}
	if late := done.Sub(free); late > 5*time.Second {
		t.Errorf("the waiters were done %s after the lock expired", late)
	}
}
