package contract_test

import (
	"errors"
	"os/exec"
	"syscall"
)

// setProcessGroup starts cmd in a process group of its own, so that it and
// anything it forks can be stopped together, and has the kernel kill it if
// the test binary dies first (a test timeout, say).
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// signalGroup sends SIGTERM, or SIGKILL when kill is set, to cmd's process
// group.
func signalGroup(cmd *exec.Cmd, kill bool) {
	if cmd.Process == nil {
		return
	}
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}

// groupGone reports whether no process is left in cmd's process group.
func groupGone(cmd *exec.Cmd) bool {
	return cmd.Process != nil && errors.Is(syscall.Kill(-cmd.Process.Pid, 0), syscall.ESRCH)
}
