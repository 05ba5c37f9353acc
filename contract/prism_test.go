package contract_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Environment of the contract tests; scripts/contract.sh sets all of it.
const (
	// envPrism is the path of the prism executable (@stoplight/prism-cli).
	// Without it the tests look for "prism" on PATH.
	envPrism = "MEDIAAUTH_PRISM"
	// envSpecs is the folder of the API contracts (default ../shared/specs,
	// relative to the repository root: ../../shared/specs from here).
	envSpecs = "MEDIAAUTH_SPECS"
	// envPIDFile names a file each started Prism's process id is appended
	// to, so that the script can make sure none outlives the run.
	envPIDFile = "MEDIAAUTH_PRISM_PIDFILE"
)

// prismStartTimeout bounds how long one Prism may take to listen.
const prismStartTimeout = 90 * time.Second

// prismEnv is where Prism and the contracts are.
type prismEnv struct {
	bin     string
	specs   string
	pidFile string
}

// spec returns the path of a contract file.
func (e prismEnv) spec(rel string) string { return filepath.Join(e.specs, filepath.FromSlash(rel)) }

// requirePrism finds Prism and the contracts. When something is missing the
// test fails under CI (CI=true) and is skipped elsewhere.
func requirePrism(t testing.TB) prismEnv {
	t.Helper()
	missing := unavailable(t)
	specs := specsDir(t, missing)

	bin := os.Getenv(envPrism)
	if bin == "" {
		found, err := exec.LookPath("prism")
		if err != nil {
			missing("Prism not found: set %s to the prism executable or put prism on PATH", envPrism)
		}
		bin = found
	} else if _, err := os.Stat(bin); err != nil {
		missing("%s=%s: %v", envPrism, bin, err)
	}
	return prismEnv{bin: bin, specs: specs, pidFile: os.Getenv(envPIDFile)}
}

// specsDir returns the folder of the contracts, after checking that every
// contract is there; it calls missing when one is not.
func specsDir(t testing.TB, missing func(format string, args ...any)) string {
	t.Helper()
	specs := os.Getenv(envSpecs)
	if specs == "" {
		specs = filepath.Join("..", "..", "shared", "specs")
	}
	for _, cf := range contractFiles() {
		p := filepath.Join(specs, filepath.FromSlash(cf.file))
		if _, err := os.Stat(p); err != nil {
			missing("API contract %s not found (set %s to the specs folder)", p, envSpecs)
		}
	}
	return specs
}

// requireSpecs finds the contracts for the tests that need no Prism: it
// fails the test under CI (CI=true) when they are missing, and skips it
// elsewhere. It returns the path of the contract file rel.
func requireSpecs(t testing.TB, rel string) string {
	t.Helper()
	specs := specsDir(t, unavailable(t))
	return filepath.Join(specs, filepath.FromSlash(rel))
}

// unavailable returns what a test does when something it needs is
// missing: it fails under CI (CI=true) and is skipped elsewhere.
func unavailable(t testing.TB) func(format string, args ...any) {
	return func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatalf("contract tests: %s", msg)
		}
		t.Skipf("contract tests skipped: %s (run: bash scripts/contract.sh)", msg)
	}
}

// prismProc is one running Prism.
type prismProc struct {
	name string
	// URL is where it listens, e.g. http://127.0.0.1:41234.
	URL string

	cmd    *exec.Cmd
	out    *tailBuffer
	exited chan struct{} // closed when the process has been waited for
	err    error         // Wait's result, set before exited is closed
}

// prismArgs describes a Prism to start: its name in messages and its
// arguments without port and host (e.g. mock --errors SPEC).
type prismArgs struct {
	name string
	args []string
}

// startPrisms starts every Prism at once, waits until each listens, and
// stops them all (process group and all) when the test ends, pass or fail.
func startPrisms(t *testing.T, env prismEnv, specs ...prismArgs) []*prismProc {
	t.Helper()
	procs := make([]*prismProc, len(specs))
	for i, s := range specs {
		procs[i] = launchPrism(t, env, s)
	}
	for i, p := range procs {
		err := p.waitListening(prismStartTimeout)
		if err != nil && p.addrInUse() {
			// Another process took the free port we picked: once more.
			procs[i] = launchPrism(t, env, specs[i])
			err = procs[i].waitListening(prismStartTimeout)
		}
		if err != nil {
			t.Fatalf("prism %s: %v\n%s", p.name, err, procs[i].out.String())
		}
	}
	return procs
}

// launchPrism starts one Prism on a free loopback port and registers its
// stop with t.Cleanup.
func launchPrism(t *testing.T, env prismEnv, s prismArgs) *prismProc {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatalf("prism %s: %v", s.name, err)
	}
	args := append(append([]string{}, s.args...), "--host", "127.0.0.1", "--port", strconv.Itoa(port))
	cmd := exec.Command(env.bin, args...)
	out := &tailBuffer{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "FORCE_COLOR=0")
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("prism %s: starting %s: %v", s.name, env.bin, err)
	}
	p := &prismProc{
		name:   s.name,
		URL:    "http://127.0.0.1:" + strconv.Itoa(port),
		cmd:    cmd,
		out:    out,
		exited: make(chan struct{}),
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	if env.pidFile != "" {
		if err := appendPID(env.pidFile, cmd.Process.Pid); err != nil {
			p.stop()
			t.Fatalf("prism %s: recording its pid: %v", s.name, err)
		}
	}
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("prism %s output (last part):\n%s", p.name, p.out.last(4<<10))
		}
	})
	return p
}

// waitListening waits until the process accepts connections, exits, or the
// timeout passes.
func (p *prismProc) waitListening(timeout time.Duration) error {
	addr := strings.TrimPrefix(p.URL, "http://")
	deadline := time.Now().Add(timeout)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = conn.Close()
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("exited before listening: %v", p.err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening on %s after %s", addr, timeout)
		}
	}
}

// addrInUse reports whether the process exited because its port was taken.
func (p *prismProc) addrInUse() bool {
	select {
	case <-p.exited:
		return strings.Contains(p.out.String(), "EADDRINUSE")
	default:
		return false
	}
}

// stop ends the process group: SIGTERM, then SIGKILL if the process is
// still there after a grace period. It returns when the process is gone.
// (Prism runs as one process: it is started without --multiprocess.)
func (p *prismProc) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	signalGroup(p.cmd, false)
	select {
	case <-p.exited:
	case <-time.After(3 * time.Second):
		signalGroup(p.cmd, true)
		<-p.exited
	}
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("listener without a TCP address")
	}
	return addr.Port, nil
}

// appendPID adds pid to the file the script reads after the run.
func appendPID(path string, pid int) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(f, pid)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// tailBuffer keeps the last max bytes written to it; it is safe for
// concurrent use.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - b.max; over > 0 {
		b.buf.Next(over)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// last returns the last n bytes written.
func (b *tailBuffer) last(n int) string {
	s := b.String()
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}
