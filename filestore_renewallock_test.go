package mediaauth_test

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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// One renewal for several OS processes on one FileStore: each process is
// this test binary run again as TestRenewalHelperProcess, with a client of
// the loopback fake that the test runs and counts logins at.

// Environment of TestRenewalHelperProcess.
const (
	renewModeEnv    = "MEDIAAUTH_RENEWAL_HELPER" // "calls", "hold" or "failing"
	renewPathEnv    = "MEDIAAUTH_RENEWAL_PATH"
	renewURLEnv     = "MEDIAAUTH_RENEWAL_MOVIES_URL"
	renewStartEnv   = "MEDIAAUTH_RENEWAL_START"
	renewMarkEnv    = "MEDIAAUTH_RENEWAL_MARK"
	renewCallsEnv   = "MEDIAAUTH_RENEWAL_CALLS"
	renewBackoffEnv = "MEDIAAUTH_RENEWAL_BACKOFF"
	renewForEnv     = "MEDIAAUTH_RENEWAL_FOR"
	renewDone       = "renewal helper done:"
)

// TestRenewalHelperProcess is not a test of its own: it is a process of the
// tests below. It waits for the start file, if any, and then, by mode:
//
//   - calls: makes CALLS concurrent Profile calls, which must all succeed;
//   - hold: the same, but creates the MARK file when its login begins (the
//     test kills it then);
//   - failing: keeps CALLS goroutines calling Profile for FOR, each call
//     failing with the login's error or ErrRenewalBackoff.
func TestRenewalHelperProcess(t *testing.T) {
	mode := os.Getenv(renewModeEnv)
	if mode == "" {
		t.Skip("a process of the cross-process renewal tests, run by them")
	}
	store, err := mediaauth.NewFileStore(os.Getenv(renewPathEnv))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	runRenewalHelper(t, ctx, mode, store)
}

// runRenewalHelper is the body of TestRenewalHelperProcess on store.
func runRenewalHelper(t *testing.T, ctx context.Context, mode string, store mediaauth.CredentialStore) {
	client, err := mediaauth.New(mediaauth.WithMoviesBaseURL(os.Getenv(renewURLEnv)))
	require.NoError(t, err)
	password := func(context.Context) (string, error) { return mediaauthtest.DemoMoviesPassword, nil }
	login := client.Movies.LoginTokenSource(mediaauthtest.DemoMoviesUsername, password)
	if mode == "hold" {
		inner := login
		login = mediaauth.MoviesTokenSourceFunc(func(ctx context.Context) (*mediaauth.Token, error) {
			require.NoError(t, os.WriteFile(os.Getenv(renewMarkEnv), nil, 0o600))
			return inner.Token(ctx)
		})
	}
	backoff, _ := time.ParseDuration(os.Getenv(renewBackoffEnv))
	opts := []mediaauth.TokenSourceOption{mediaauth.WithRenewalBackoff(max(backoff, time.Millisecond))}
	src := mediaauth.ReuseMoviesTokenSource(nil, mediaauth.StoredMoviesTokenSource(store, mediaauth.DefaultProfile, login, opts...), opts...)
	me := client.Movies.With(mediaauth.RenewingMoviesToken(src))
	calls, err := strconv.Atoi(os.Getenv(renewCallsEnv))
	require.NoError(t, err)
	if start := os.Getenv(renewStartEnv); start != "" {
		for {
			if _, err := os.Stat(start); err == nil {
				break
			}
			require.NoError(t, ctx.Err(), "no start file")
			time.Sleep(time.Millisecond)
		}
	}
	if mark := os.Getenv(renewMarkEnv); mark != "" && mode == "calls" {
		require.NoError(t, os.WriteFile(mark, nil, 0o600))
	}
	if mode == "failing" {
		fmt.Println(renewDone, failingCalls(t, ctx, me, calls))
		return
	}
	errs := concurrently(calls, func() error { _, err := me.Profile(ctx); return err })
	for i, err := range errs {
		require.NoError(t, err, "call %d", i+1)
	}
	fmt.Println(renewDone, calls, "calls ok")
}

// failingCalls keeps n goroutines calling Profile for the time FOR says,
// and checks that every call fails as a failing login makes it fail.
func failingCalls(t *testing.T, ctx context.Context, me *mediaauth.Movies, n int) string {
	d, err := time.ParseDuration(os.Getenv(renewForEnv))
	require.NoError(t, err)
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
		require.NoError(t, err)
	}
	return fmt.Sprintf("%d calls, %d backing off", total.Load(), backoffs.Load())
}

// fleet is the processes of one cross-process test.
type fleet struct {
	t    *testing.T
	env  []string
	cmds []*exec.Cmd
	outs []*strings.Builder
}

// newFleet returns a fleet whose processes run TestRenewalHelperProcess
// (of run) with env.
func newFleet(t *testing.T, env ...string) *fleet {
	return &fleet{t: t, env: env}
}

// start starts n processes in mode, with extra environment.
func (f *fleet) start(ctx context.Context, run string, n int, mode string, extra ...string) []*exec.Cmd {
	f.t.Helper()
	var started []*exec.Cmd
	for range n {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+run+"$", "-test.count=1", "-test.v")
		cmd.Env = append(append(append(os.Environ(), f.env...), renewModeEnv+"="+mode), extra...)
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		require.NoError(f.t, cmd.Start())
		f.cmds, f.outs = append(f.cmds, cmd), append(f.outs, out)
		started = append(started, cmd)
	}
	return started
}

// wait waits for the processes in cmds and checks that each succeeded,
// returning when the last one ended.
func (f *fleet) wait(cmds ...*exec.Cmd) time.Time {
	f.t.Helper()
	for _, cmd := range cmds {
		i := slices.Index(f.cmds, cmd)
		err := cmd.Wait()
		out := f.outs[i].String()
		if assert.NoError(f.t, err, "process %d:\n%s", i+1, out) {
			assert.Contains(f.t, out, renewDone, "process %d did not run the helper:\n%s", i+1, out)
		}
	}
	return time.Now()
}

// output returns the output of every process.
func (f *fleet) output() string {
	var b strings.Builder
	for i, out := range f.outs {
		fmt.Fprintf(&b, "--- process %d\n%s", i+1, out.String())
	}
	return b.String()
}

// waitFile waits until path exists.
func waitFile(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		require.NoError(t, ctx.Err(), "waiting for %s", path)
		time.Sleep(2 * time.Millisecond)
	}
}

// loginTimes returns the POST /login requests the fake received, in
// order, by status.
func loginTimes(srv *mediaauthtest.Server) (all []time.Time, ok int) {
	for _, r := range srv.Requests() {
		if r.Method == "POST" && r.Path == mediaauthtest.MoviesPrefix+"/login" {
			all = append(all, r.At)
			if r.Status == 200 {
				ok++
			}
		}
	}
	slices.SortFunc(all, time.Time.Compare)
	return all, ok
}

// renewalSetup starts the fake and saves, in a FileStore, a token of the
// demo account that is inside the renewal margin (5 s left).
func renewalSetup(t *testing.T) (*mediaauthtest.Server, *mediaauth.FileStore, []string) {
	srv := mediaauthtest.NewServer()
	t.Cleanup(srv.Close)
	c := fakeClient(t, srv)
	tok, err := c.Movies.Login(context.Background(), mediaauthtest.DemoMoviesUsername, mediaauthtest.DemoMoviesPassword)
	require.NoError(t, err)
	store := newTestStore(t)
	storedToken(t, store, tok.AccessToken, 5*time.Second)
	env := []string{renewPathEnv + "=" + store.Path(), renewURLEnv + "=" + srv.Movies.URL()}
	return srv, store, env
}

// TestFileStoreRenewalOneLoginPerFleet: 8 processes on one FileStore, each
// making 25 concurrent calls once the stored token is inside the renewal
// margin, make exactly one login between them.
func TestFileStoreRenewalOneLoginPerFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	const processes, calls = 8, 25
	srv, store, env := renewalSetup(t)
	before, _ := loginTimes(srv)
	start := filepath.Join(t.TempDir(), "start")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f := newFleet(t, append(env, renewStartEnv+"="+start, renewCallsEnv+"="+strconv.Itoa(calls))...)
	cmds := f.start(ctx, "TestRenewalHelperProcess", processes, "calls")
	require.NoError(t, os.WriteFile(start, nil, 0o600))
	f.wait(cmds...)

	after, ok := loginTimes(srv)
	assert.Equal(t, 1, len(after)-len(before), "logins of %d processes × %d calls", processes, calls)
	assert.Equal(t, 2, ok)
	assert.Equal(t, processes*calls, srv.RequestCount("GET", mediaauthtest.MoviesPrefix+"/user/profile"))
	stored, err := store.Load(ctx, mediaauth.APIMovies, mediaauth.DefaultProfile)
	require.NoError(t, err)
	assert.Greater(t, time.Until(stored.MoviesToken.ExpiresAt), 50*time.Minute, "the new token is stored")
}

// TestFileStoreRenewalFailingLoginBacksOff: 4 processes of 20 callers
// each meet a login that fails; the fleet tries it at most once per
// back-off.
func TestFileStoreRenewalFailingLoginBacksOff(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	const backoff, duration = 300 * time.Millisecond, 1500 * time.Millisecond
	srv, _, env := renewalSetup(t)
	srv.InjectFault(mediaauthtest.MoviesPrefix+"/login", mediaauthtest.Fault{Status: 401, Times: -1,
		Body: `{"error":"invalid_credentials","message":"Invalid username or password"}`})
	before, _ := loginTimes(srv)
	start := filepath.Join(t.TempDir(), "start")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f := newFleet(t, append(env, renewStartEnv+"="+start, renewCallsEnv+"=20",
		renewBackoffEnv+"="+backoff.String(), renewForEnv+"="+duration.String())...)
	cmds := f.start(ctx, "TestRenewalHelperProcess", 4, "failing")
	require.NoError(t, os.WriteFile(start, nil, 0o600))
	f.wait(cmds...)

	after, _ := loginTimes(srv)
	logins := after[len(before):]
	t.Logf("%d logins in %s with a back-off of %s; %s", len(logins), duration, backoff, f.output())
	assert.LessOrEqual(t, len(logins), int(duration/backoff)+1)
	assert.GreaterOrEqual(t, len(logins), 2, "tried again after the back-off")
	for i := 1; i < len(logins); i++ {
		assert.GreaterOrEqual(t, logins[i].Sub(logins[i-1]), backoff, "logins %d and %d", i, i+1)
	}
}

// TestFileStoreRenewalHolderKilled: the process renewing is killed with
// SIGKILL during its login; the system releases its lock at once, and the
// processes waiting for it renew with exactly one more login.
func TestFileStoreRenewalHolderKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	srv, _, env := renewalSetup(t)
	testHolderKilled(t, srv, env, 0)
}

// testHolderKilled starts a process whose login the fake holds for 2 s,
// kills it once its login began and 3 other processes wait for the lock,
// and checks that they then renew with exactly one login, begun as soon
// as the lock is free: when its holder dies (lockTTL 0), or lockTTL after
// the holder took it.
func testHolderKilled(t *testing.T, srv *mediaauthtest.Server, env []string, lockTTL time.Duration) {
	dir := t.TempDir()
	before, _ := loginTimes(srv)
	// The fake answers the held login 503 after 2 s, to nobody; it records
	// the login then.
	const held = 2 * time.Second
	srv.InjectFault(mediaauthtest.MoviesPrefix+"/login", mediaauthtest.Fault{Delay: held, Status: 503})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f := newFleet(t, append(env, renewCallsEnv+"=5")...)
	holding := filepath.Join(dir, "holding")
	holder := f.start(ctx, "TestRenewalHelperProcess", 1, "hold", renewMarkEnv+"="+holding)[0]
	waitFile(t, ctx, holding)
	lockedAt := time.Now()
	var waiters []*exec.Cmd
	for i := range 3 {
		ready := filepath.Join(dir, fmt.Sprintf("ready-%d", i))
		waiters = append(waiters, f.start(ctx, "TestRenewalHelperProcess", 1, "calls", renewMarkEnv+"="+ready)...)
		waitFile(t, ctx, ready)
	}
	time.Sleep(100 * time.Millisecond) // the waiters are waiting for the lock
	require.NoError(t, holder.Process.Signal(syscall.SIGKILL))
	killedAt := time.Now()
	_ = holder.Wait()
	var wg sync.WaitGroup
	var done time.Time
	wg.Add(1)
	go func() { defer wg.Done(); done = f.wait(waiters...) }()
	wg.Wait()

	// The held login is recorded when the fake answers it.
	time.Sleep(time.Until(killedAt.Add(held)))
	var after []time.Time
	var ok int
	for range 100 {
		if after, ok = loginTimes(srv); len(after) >= len(before)+2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	logins := after[len(before):]
	require.Len(t, logins, 2, "the killed login and exactly one more:\n%s", f.output())
	assert.Equal(t, 2, ok, "the setup's login and the one after the kill succeeded")
	// The lock is free when the holder dies (lockTTL 0) or when it
	// expires; the next login begins within the lock's poll interval.
	free := lockedAt.Add(lockTTL)
	if free.Before(killedAt) {
		free = killedAt
	}
	t.Logf("lock taken %s before the kill (lock TTL %s); the next login began %s after the lock was free, and the waiters were done %s after it",
		killedAt.Sub(lockedAt).Round(time.Millisecond), lockTTL, logins[1].Sub(free).Round(time.Millisecond), done.Sub(free).Round(time.Millisecond))
	assert.False(t, logins[1].Before(free.Add(-50*time.Millisecond)), "the next login waited for the lock to be free")
	assert.WithinDuration(t, free, logins[1], time.Second, "the next login began soon after the lock was free")
	assert.WithinDuration(t, free, done, 5*time.Second, "the waiters were done soon after")
}
