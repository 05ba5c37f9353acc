//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The prompts end at once on Ctrl-C: tests of the built command, as a
// process of its own, waiting at each prompt with its stdin a pipe that
// stays open, or a pseudo-terminal.

// promptEnv is the environment of a login that only gets as far as its
// prompts: nothing is sent before they are answered.
func promptEnv(t *testing.T) map[string]string {
	return map[string]string{
		envConfigDir:       filepath.Join(t.TempDir(), "config"),
		envInsecureStorage: "1",
		envMoviesURL:       "http://127.0.0.1:9",
		envTMDbAPIKey:      "tmdb-app-key",
	}
}

// waitReadingStdin waits until a thread of process pid is blocked reading
// its stdin (the read(2) system call on fd 0, by /proc).
func waitReadingStdin(t *testing.T, pid int, what func() string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/syscall")
		for _, task := range tasks {
			data, err := os.ReadFile(task)
			if err != nil {
				continue
			}
			f := strings.Fields(string(data))
			// read(2) is system call 0 on amd64, 63 on arm64; its first
			// argument is the fd.
			if len(f) > 1 && (f[0] == "0" || f[0] == "63") && f[1] == "0x0" {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("the command never read its stdin; it wrote:\n%s", what())
}

// maxInterruptDelay is how long the command may take to exit after SIGINT.
const maxInterruptDelay = 200 * time.Millisecond

// interrupt sends SIGINT to cmd (or types Ctrl-C into the terminal's
// master, when typed is set), checks that it exits with status 130, and
// returns how long that took.
func interrupt(t *testing.T, cmd *exec.Cmd, typed *os.File, output func() string) time.Duration {
	t.Helper()
	waited := make(chan error, 1)
	start := time.Now()
	if typed != nil {
		_, err := typed.Write([]byte{3})
		require.NoError(t, err)
	} else {
		require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	}
	go func() { waited <- cmd.Wait() }()
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("still running 5 s after SIGINT; it wrote:\n%s", output())
	}
	took := time.Since(start)
	assert.Equal(t, exitInterrupted, cmd.ProcessState.ExitCode(), output())
	// A terminal's last bytes may reach its master after the exit.
	waitFor(t, `"mediaauth: interrupted"`, func() bool { return strings.Contains(output(), "mediaauth: interrupted") })
	t.Logf("exited %s after SIGINT", took)
	return took
}

// fastInterrupt runs attempt, which starts the command at a prompt and
// interrupts it, and checks that the command exited within
// maxInterruptDelay. A machine busy with other tests may delay the exit
// past it once: a second attempt must then make it. A command that waits
// for its read never exits, and fails both.
func fastInterrupt(t *testing.T, attempt func() time.Duration) {
	t.Helper()
	took := attempt()
	if took >= maxInterruptDelay && !t.Failed() {
		t.Logf("slow exit (%s): the machine is busy; once more", took)
		took = attempt()
	}
	assert.Less(t, took, maxInterruptDelay, "exit after SIGINT")
}

// TestPromptsEndOnSIGINTWithAPipe: a login reading its password from a
// stdin pipe that stays open ends at once on SIGINT, with status 130.
func TestPromptsEndOnSIGINTWithAPipe(t *testing.T) {
	for name, args := range map[string][]string{
		"movies password": {"login", "movies", "--username", fanName},
		"tmdb password":   {"login", "tmdb", "--password", "--username", "demo"},
	} {
		t.Run(name, func(t *testing.T) {
			fastInterrupt(t, func() time.Duration {
				cmd := exec.Command(builtCommand(t), args...)
				cmd.Env = childEnv(promptEnv(t))
				stdin, err := cmd.StdinPipe() // stays open: the read waits
				require.NoError(t, err)
				defer stdin.Close()
				var out syncBuffer
				cmd.Stdout, cmd.Stderr = &out, &out
				require.NoError(t, cmd.Start())
				waitReadingStdin(t, cmd.Process.Pid, out.String)
				return interrupt(t, cmd, nil, out.String)
			})
		})
	}
}

// TestPromptsEndOnSIGINTWithATerminal: each prompt on a terminal (a
// pseudo-terminal the command has as its controlling terminal) ends at
// once on SIGINT, or on Ctrl-C typed, with status 130, and the password
// prompt leaves the terminal's echo on. The cases run one at a time, so
// that they do not slow each other down.
func TestPromptsEndOnSIGINTWithATerminal(t *testing.T) {
	for _, tt := range []struct {
		name, prompt string
		args         []string
		typed        bool
	}{
		{"movies username", "Movies API username: ", []string{"login", "movies"}, false},
		{"movies password", "Password for " + fanName + ": ", []string{"login", "movies", "--username", fanName}, false},
		{"movies password, Ctrl-C typed", "Password for " + fanName + ": ", []string{"login", "movies", "--username", fanName}, true},
		{"tmdb username", "TMDb username: ", []string{"login", "tmdb", "--password"}, false},
		{"tmdb password", "TMDb password for demo: ", []string{"login", "tmdb", "--password", "--username", "demo"}, false},
		{"tvmaze email", "TVmaze account email: ", []string{"login", "tvmaze"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fastInterrupt(t, func() time.Duration {
				master, tty := openPTY(t)
				cmd := exec.Command(builtCommand(t), tt.args...)
				cmd.Env = childEnv(promptEnv(t))
				cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
				cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
				require.NoError(t, cmd.Start())
				var out syncBuffer
				go func() { _, _ = copyUntilError(&out, master) }()
				waitFor(t, "the prompt", func() bool { return strings.Contains(out.String(), tt.prompt) })
				waitReadingStdin(t, cmd.Process.Pid, out.String)
				var typed *os.File
				if tt.typed {
					typed = master
				}
				took := interrupt(t, cmd, typed, out.String)
				assert.True(t, echoOn(t, tty), "the terminal's echo is back on")
				return took
			})
		})
	}
}

// copyUntilError copies r to w until a read fails (the terminal closed).
func copyUntilError(w *syncBuffer, r *os.File) (int, error) {
	buf := make([]byte, 4096)
	total := 0
	for {
		n, err := r.Read(buf)
		if n > 0 {
			_, _ = w.Write(buf[:n])
			total += n
		}
		if err != nil {
			return total, err
		}
	}
}

// openPTY opens a pseudo-terminal: its master, and its terminal end,
// closed when the test ends.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { _ = master.Close() })
	var unlock int32
	require.NoError(t, ioctl(master, syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)))
	var n uint32
	require.NoError(t, ioctl(master, syscall.TIOCGPTN, unsafe.Pointer(&n)))
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tty.Close() })
	return master, tty
}

// echoOn reports whether the terminal tty echoes what is typed.
func echoOn(t *testing.T, tty *os.File) bool {
	t.Helper()
	var tio syscall.Termios
	require.NoError(t, ioctl(tty, syscall.TCGETS, unsafe.Pointer(&tio)))
	return tio.Lflag&syscall.ECHO != 0
}

// ioctl runs the ioctl(2) req on f with the argument arg.
func ioctl(f *os.File, req uintptr, arg unsafe.Pointer) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), req, uintptr(arg)); errno != 0 {
		return errno
	}
	return nil
}
