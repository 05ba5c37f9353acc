//go:build !linux

package contract_test

import "os/exec"

// setProcessGroup leaves cmd as it is: Prism runs as a single process.
func setProcessGroup(*exec.Cmd) {}

// signalGroup stops cmd's process; a graceful stop is not attempted.
func signalGroup(cmd *exec.Cmd, _ bool) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}

// groupGone reports whether cmd's process has ended and been waited for.
func groupGone(cmd *exec.Cmd) bool { return cmd.ProcessState != nil }
