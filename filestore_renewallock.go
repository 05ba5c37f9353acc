package mediaauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// The renewal lock of a FileStore entry is a lock file of its own beside
// the credentials file, ".credentials.json.renew-movies-default.lock" for
// the Movies entry of profile "default", locked as the file's lock is
// (flock(2) where there is one). Its failure record is a small JSON file
// beside it, ending in ".failed". Both stay in place when the lock is
// released, like the file's lock.

var _ RenewalLocker = (*FileStore)(nil)

// maxFailureFile bounds the failure record read.
const maxFailureFile = 4 << 10

// LockRenewal takes the renewal lock of the entry of api and profile, for
// every process on this host (and every FileStore of this process) that
// uses the same file, waiting while another holds it; it returns an error
// wrapping ctx's error when ctx ends first. It makes FileStore a
// [RenewalLocker], so that [StoredMoviesTokenSource] renews once for all
// of them.
//
// The lock never expires: the system releases it when its holder's
// process ends, however it ends, even killed with SIGKILL; the next
// waiter then takes it at once (within 10 ms) and renews. Where flock(2)
// is missing, as on Windows, the lock is a file whose holder removes it,
// and a lock file older than 30 seconds is taken to be a dead holder's.
func (s *FileStore) LockRenewal(ctx context.Context, api API, profile string) (RenewalLock, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if err := checkStoreKey(api, profile); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return nil, fmt.Errorf("mediaauth: credentials directory: %w", err)
	}
	if _, err := s.checkDir(); err != nil {
		return nil, err
	}
	base := s.renewalBase(api, profile)
	unlock, err := lockFile(ctx, base+".lock")
	if err != nil {
		return nil, fmt.Errorf("mediaauth: credentials file %s: taking the renewal lock of %s profile %q: %w", s.path, api, profile, err)
	}
	return &fileRenewalLock{s: s, api: api, profile: profile, base: base, unlock: unlock}, nil
}

// renewalBase is the path of the renewal lock of an entry, without its
// ending: the profile with every byte but letters, digits, '-', '_' and
// '.' escaped as %XX, so that any profile makes one valid file name.
func (s *FileStore) renewalBase(api API, profile string) string {
	var b strings.Builder
	for i := 0; i < len(profile); i++ {
		c := profile[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return filepath.Join(filepath.Dir(s.path), "."+filepath.Base(s.path)+".renew-"+string(api)+"-"+b.String())
}

// fileRenewalLock is a held renewal lock of a FileStore.
type fileRenewalLock struct {
	s       *FileStore
	api     API
	profile string
	base    string
	unlock  func()
	once    sync.Once
	mu      sync.Mutex
	done    bool // guarded by mu
}

// Deadline is zero: the lock does not expire.
func (l *fileRenewalLock) Deadline() time.Time { return time.Time{} }

// held returns ErrLockLost once the lock is released.
func (l *fileRenewalLock) held() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return fmt.Errorf("mediaauth: %s profile %q: the renewal lock was released: %w", l.api, l.profile, ErrLockLost)
	}
	return nil
}

// Save saves creds in the file while the lock is held.
func (l *fileRenewalLock) Save(ctx context.Context, creds *StoredCredentials) error {
	if err := l.held(); err != nil {
		return err
	}
	if creds != nil && (creds.API != l.api || creds.Profile != l.profile) {
		return fmt.Errorf("mediaauth: the renewal lock of %s profile %q cannot save %s profile %q: %w",
			l.api, l.profile, creds.API, truncate(creds.Profile, maxProfileLen), ErrInvalidArgument)
	}
	return l.s.Save(ctx, creds)
}

// Failure reads the failure record. A record that cannot be read (left
// half-written, say) counts as none: it must not stop renewals for good.
func (l *fileRenewalLock) Failure(ctx context.Context) (*RenewalFailure, error) {
	if err := l.held(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path := l.base + ".failed"
	if fi, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("mediaauth: reading the renewal failure record: %w", err)
	} else if !fi.Mode().IsRegular() {
		// Opening a FIFO would block every renewal of the host.
		return nil, fmt.Errorf("mediaauth: renewal failure record %s is not a regular file (%s); remove it", path, fi.Mode().Type())
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mediaauth: reading the renewal failure record: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFailureFile))
	if err != nil {
		return nil, fmt.Errorf("mediaauth: reading the renewal failure record: %w", err)
	}
	var rec RenewalFailure
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if dec.Decode(&rec) != nil || rec.Until.IsZero() || !time.Now().Before(rec.Until) {
		return nil, nil
	}
	return &rec, nil
}

// SetFailure writes the failure record (mode 0600, replaced atomically),
// or removes it.
func (l *fileRenewalLock) SetFailure(ctx context.Context, f *RenewalFailure) error {
	if err := l.held(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	path := l.base + ".failed"
	if f == nil {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("mediaauth: removing the renewal failure record: %w", err)
		}
		return nil
	}
	rec := *f
	rec.Message = truncate(rec.Message, maxFailureMessage)
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("mediaauth: encoding the renewal failure record: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("mediaauth: writing the renewal failure record: %w", err)
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("mediaauth: writing the renewal failure record: %w", err)
	}
	return nil
}

// Unlock releases the lock, once.
func (l *fileRenewalLock) Unlock(context.Context) error {
	l.once.Do(func() {
		l.mu.Lock()
		l.done = true
		l.mu.Unlock()
		l.unlock()
	})
	return nil
}
