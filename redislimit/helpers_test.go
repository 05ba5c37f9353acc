package redislimit_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// helperEnv makes the test binary act as one replica of the multi-process
// test (TestHelperProcess) instead of running the tests.
const helperEnv = "REDISLIMIT_HELPER_PROCESS"

// noRedisMessage says why the Redis tests cannot run.
const noRedisMessage = "redis-server not found on PATH or at /usr/bin/redis-server " +
	"(Debian: apt-get install redis-server); the tests need a real Redis"

// TestMain starts one redis-server for the examples, which read its address
// from REDIS_ADDR. The tests start their own, one each. Without
// redis-server the examples are skipped, or the run fails when CI=true.
func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(m.Run())
	}
	flag.Parse()
	os.Exit(runWithExampleRedis(m))
}

func runWithExampleRedis(m *testing.M) int {
	bin, err := redisServerPath()
	if err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "FAIL: "+noRedisMessage)
			return 1
		}
		fmt.Fprintln(os.Stderr, "skipping the examples: "+noRedisMessage)
		skip := "^Example"
		if prev := flag.Lookup("test.skip").Value.String(); prev != "" {
			skip = prev + "|" + skip
		}
		if err := flag.Set("test.skip", skip); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "redislimit-example-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	srv, err := startRedisServer(bin, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: starting redis-server for the examples:", err)
		return 1
	}
	defer srv.stop()
	os.Setenv("REDIS_ADDR", srv.addr)
	return m.Run()
}

// redisServerPath finds redis-server on PATH or at /usr/bin/redis-server.
func redisServerPath() (string, error) {
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p, nil
	}
	const fallback = "/usr/bin/redis-server"
	if _, err := os.Stat(fallback); err != nil {
		return "", errors.New(noRedisMessage)
	}
	return fallback, nil
}

// redisServer is a redis-server process of a test, on a loopback port.
type redisServer struct {
	addr string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	log  *lockedBuffer
	once sync.Once
}

// startRedis starts a redis-server for t in t.TempDir(), waits until it
// answers PING and stops it when t ends. Without redis-server it skips t,
// or fails it when CI=true.
func startRedis(t testing.TB) *redisServer {
	t.Helper()
	bin, err := redisServerPath()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(noRedisMessage + "; CI=true requires it")
		}
		t.Skip(noRedisMessage)
	}
	dir := t.TempDir()
	srv, err := startRedisServer(bin, dir)
	if err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	t.Cleanup(srv.stop)
	return srv
}

// startRedisServer starts redis-server without persistence on a free
// loopback port, working in dir, and waits until it answers PING. The port
// is found by listening on port 0 and closing, so another process may take
// it first: each attempt that fails is retried on a new port.
func startRedisServer(bin, dir string) (*redisServer, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		srv, err := tryRedisServer(bin, dir, port)
		if err == nil {
			return srv, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func tryRedisServer(bin, dir string, port int) (*redisServer, error) {
	srv := &redisServer{
		addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		done: make(chan struct{}),
		log:  &lockedBuffer{},
	}
	srv.cmd = exec.Command(bin,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir)
	srv.cmd.Stdout = srv.log
	srv.cmd.Stderr = srv.log
	if err := srv.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		_ = srv.cmd.Wait()
		close(srv.done)
	}()

	rdb := redis.NewClient(&redis.Options{Addr: srv.addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return srv, nil
		}
		select {
		case <-srv.done:
			return nil, fmt.Errorf("redis-server on %s exited: %s", srv.addr, srv.log.String())
		default:
		}
		if time.Now().After(deadline) {
			srv.stop()
			return nil, fmt.Errorf("redis-server on %s does not answer PING: %v; its output: %s", srv.addr, err, srv.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends the server, with SIGTERM and then, if need be, SIGKILL, and
// waits for it to exit. It may be called more than once.
func (s *redisServer) stop() {
	s.once.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
}

// client returns a go-redis client of the server, closed when t ends.
func (s *redisServer) client(t testing.TB) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: s.addr})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// lockedBuffer collects a process's output for error messages.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
