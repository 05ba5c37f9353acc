//go:build darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd

package mediaauth

import (
	"context"
	"errors"
	"os"
	"syscall"
)

// lockFile takes an exclusive flock(2) lock on the file at path, creating
// it (mode 0600) if missing, and returns the function that releases it.
// While another process (or another open of the file) holds the lock, it
// tries again every lockPollInterval until ctx ends. The kernel releases
// the lock of a process that dies, so a crash never leaves it taken; the
// file itself stays, since removing it would let two writers lock two
// different files.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	conn, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	err = retryEvery(ctx, lockPollInterval, func() (bool, error) {
		var lockErr error
		if err := conn.Control(func(fd uintptr) {
			lockErr = syscall.Flock(int(fd), syscall.LOCK_EX|syscall.LOCK_NB)
		}); err != nil {
			return false, err
		}
		switch {
		case lockErr == nil:
			return true, nil
		case errors.Is(lockErr, syscall.EWOULDBLOCK), errors.Is(lockErr, syscall.EINTR):
			return false, nil
		}
		return false, lockErr
	})
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	// Closing the file releases the lock.
	return func() { _ = f.Close() }, nil
}
