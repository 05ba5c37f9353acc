//go:build !(darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd)

package mediaauth

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"time"
)

// Where flock(2) is missing (Windows among others), the lock is the lock
// file itself: created with O_EXCL by the one writer that holds it, removed
// when it is done. A lock file older than staleLockAge was left by a
// process that died while holding it, since a read-modify-write takes
// milliseconds, and is removed. A lock file that cannot be created for
// lack of permission is waited on for at most maxDeniedWait, since Windows
// denies access to a file that is being removed.
const (
	staleLockAge  = 30 * time.Second
	maxDeniedWait = 2 * time.Second
)

// lockFile takes the lock the file at path stands for, trying again every
// lockPollInterval until ctx ends, and returns the function that releases
// it.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	var denied time.Time
	err = retryEvery(ctx, lockPollInterval, func() (bool, error) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, _ = f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
			if err := f.Close(); err != nil {
				_ = os.Remove(path)
				return false, err
			}
			return true, nil
		}
		switch {
		case errors.Is(err, fs.ErrExist):
			if fi, err := os.Stat(path); err == nil && time.Since(fi.ModTime()) > staleLockAge {
				_ = os.Remove(path)
			}
			return false, nil
		case errors.Is(err, fs.ErrPermission):
			if denied.IsZero() {
				denied = time.Now()
			}
			if time.Since(denied) < maxDeniedWait {
				return false, nil
			}
		}
		return false, err
	})
	if err != nil {
		return nil, err
	}
	return func() { _ = os.Remove(path) }, nil
}
