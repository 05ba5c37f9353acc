package mediaauth

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// FileStore is a [CredentialStore] that keeps every credential in one JSON
// file, by default the one [DefaultCredentialsPath] names. Create it with
// [NewFileStore] (the zero FileStore is not usable); it is safe for
// concurrent use, also by several processes.
//
// The file is
//
//	{"version": 1, "credentials": [ ... ]}
//
// with one [StoredCredentials] in its JSON form for each API and profile.
//
// Writes are atomic: Save and Delete write a new file beside the old one
// (mode 0600, in a directory of mode 0700 that they create if missing),
// flush it to disk and rename it over the old one, so that a crash leaves
// either the old file or the new one. They hold an exclusive lock on a
// sibling lock file (the path with ".lock" appended, which stays in place)
// from reading the file to replacing it, so that two processes saving at
// once both keep their credentials. Waiting for that lock honours the
// context. Load and List take no lock: they read the old file or the new
// one, never a mix.
//
// Like ssh with a private key, a FileStore refuses a file or directory that
// group or others may read or write, saying how to fix it (chmod 600 or
// chmod 700); Windows, whose permissions are not mode bits, is not checked.
// It also refuses a file that is not valid, or of an unknown version, or
// that holds a string that is not valid UTF-8 (which encoding/json would
// read altered), naming the file, and never writes over such a file: what
// it holds is the user's to recover. A missing file is an empty store. No error it returns
// contains a secret.
//
// A FileStore is a [RenewalLocker] ([FileStore.LockRenewal]): the
// processes of one host that share its file renew a token once between
// them through [StoredMoviesTokenSource].
type FileStore struct {
	path string
	// sem is held by the one Save or Delete of this FileStore at work in
	// this process; the lock file orders it with other processes.
	sem chan struct{}
	// now is the clock of SavedAt.
	now func() time.Time
	// beforeRename, when set, is called between writing the new file and
	// renaming it over the old one; an error stops the write there. Tests
	// use it to simulate a crash.
	beforeRename func() error
}

var (
	_ CredentialStore = (*FileStore)(nil)
	_ SaveChecker     = (*FileStore)(nil)
)

// The credentials file: its format version, the longest file read, and how
// often a writer tries again to take the lock another process holds.
const (
	fileStoreVersion = 1
	maxStoreFileSize = 16 << 20
	lockPollInterval = 10 * time.Millisecond
)

// storeFile is the JSON document of a FileStore.
type storeFile struct {
	Version     int                 `json:"version"`
	Credentials []StoredCredentials `json:"credentials"`
}

// DefaultCredentialsPath returns the file a program keeps credentials in
// when the user does not name one: credentials.json in the mediaauth
// directory of the user's configuration directory ([os.UserConfigDir]:
// $XDG_CONFIG_HOME or ~/.config on Linux, ~/Library/Application Support on
// macOS, %AppData% on Windows). Pass it to [NewFileStore].
func DefaultCredentialsPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("mediaauth: no configuration directory for the credentials file: %w", err)
	}
	return filepath.Join(dir, "mediaauth", "credentials.json"), nil
}

// NewFileStore returns a [FileStore] that keeps credentials in the file at
// path (made absolute). It does not touch the file system: the file, and
// its directory when missing, are created by the first Save.
func NewFileStore(path string) (*FileStore, error) {
	if path == "" {
		return nil, fmt.Errorf("mediaauth: NewFileStore: empty path (see DefaultCredentialsPath): %w", ErrInvalidArgument)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("mediaauth: NewFileStore: %w", err)
	}
	return &FileStore{path: abs, sem: make(chan struct{}, 1), now: time.Now}, nil
}

// Path returns the file s keeps credentials in.
func (s *FileStore) Path() string { return s.path }

// Load returns the credentials kept for api and profile, or an error
// matching [ErrCredentialNotFound] when there are none (or no file yet).
func (s *FileStore) Load(ctx context.Context, api API, profile string) (*StoredCredentials, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if err := checkStoreKey(api, profile); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	entries, err := s.read()
	if err != nil {
		return nil, err
	}
	if i := findEntry(entries, api, profile); i >= 0 {
		return &entries[i], nil
	}
	return nil, notFound(api, profile)
}

// List returns every entry of the file, sorted by API then profile; an
// empty list when there is no file yet.
func (s *FileStore) List(ctx context.Context) ([]StoredCredentials, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	entries, err := s.read()
	if err != nil {
		return nil, err
	}
	if entries == nil {
		entries = []StoredCredentials{}
	}
	slices.SortFunc(entries, compareEntries)
	return entries, nil
}

// Save keeps creds, replacing what the file held for its API and profile.
// creds is not changed: when its SavedAt is zero, the stored copy gets the
// current time. An argument that [StoredCredentials] does not allow is an
// error matching [ErrInvalidArgument], returned before the file is read.
func (s *FileStore) Save(ctx context.Context, creds *StoredCredentials) error {
	if err := s.ready(); err != nil {
		return err
	}
	entry, err := creds.toSave(s.now)
	if err != nil {
		return err
	}
	return s.update(ctx, func(entries []StoredCredentials) ([]StoredCredentials, error) {
		if i := findEntry(entries, entry.API, entry.Profile); i >= 0 {
			entries[i] = entry
			return entries, nil
		}
		return append(entries, entry), nil
	})
}

// CheckSave reports whether Save of credentials for api and profile would
// succeed now, so that a program can find out before it asks a server for
// a credential it could not keep. It checks the arguments, creates the
// directory (mode 0700) when it is missing, refuses a directory or file
// open to others or a file that is not valid, takes and releases the lock,
// and writes and removes a file in the directory. It changes no
// credential.
func (s *FileStore) CheckSave(ctx context.Context, api API, profile string) error {
	if err := s.ready(); err != nil {
		return err
	}
	if err := checkStoreKey(api, profile); err != nil {
		return err
	}
	return s.update(ctx, nil)
}

// Delete forgets the credentials kept for api and profile, or returns an
// error matching [ErrCredentialNotFound] when there are none.
func (s *FileStore) Delete(ctx context.Context, api API, profile string) error {
	if err := s.ready(); err != nil {
		return err
	}
	if err := checkStoreKey(api, profile); err != nil {
		return err
	}
	return s.update(ctx, func(entries []StoredCredentials) ([]StoredCredentials, error) {
		i := findEntry(entries, api, profile)
		if i < 0 {
			return nil, notFound(api, profile)
		}
		return slices.Delete(entries, i, i+1), nil
	})
}

// ready refuses a FileStore that NewFileStore did not make.
func (s *FileStore) ready() error {
	if s == nil || s.sem == nil {
		return errors.New("mediaauth: FileStore not made by NewFileStore")
	}
	return nil
}

func notFound(api API, profile string) error {
	return fmt.Errorf("mediaauth: %s credentials, profile %q: %w", api.name(), profile, ErrCredentialNotFound)
}

func findEntry(entries []StoredCredentials, api API, profile string) int {
	return slices.IndexFunc(entries, func(e StoredCredentials) bool { return e.API == api && e.Profile == profile })
}

// compareEntries orders entries by API then profile, as List returns them.
func compareEntries(a, b StoredCredentials) int {
	return cmp.Or(cmp.Compare(a.API, b.API), cmp.Compare(a.Profile, b.Profile))
}

// update runs one read-modify-write of the file under both locks: change
// gets the current entries and returns those to write, or an error that
// leaves the file as it is. A nil change only checks that a write would
// succeed (CheckSave).
func (s *FileStore) update(ctx context.Context, change func([]StoredCredentials) ([]StoredCredentials, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("mediaauth: credentials file %s: %w", s.path, ctx.Err())
	}
	defer func() { <-s.sem }()

	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("mediaauth: credentials directory: %w", err)
	}
	if _, err := s.checkDir(); err != nil {
		return err
	}
	unlock, err := lockFile(ctx, s.path+".lock")
	if err != nil {
		return fmt.Errorf("mediaauth: credentials file %s: taking the lock %s.lock: %w", s.path, s.path, err)
	}
	defer unlock()

	entries, err := s.read()
	if err != nil {
		return err
	}
	if change == nil {
		return s.probeWrite()
	}
	if entries, err = change(entries); err != nil {
		return err
	}
	s.removeTempFiles()
	return s.write(entries)
}

// probeWrite creates and removes a file where write makes the new file.
func (s *FileStore) probeWrite() error {
	tmp, err := os.CreateTemp(filepath.Dir(s.path), s.tempPrefix()+"*")
	if err != nil {
		return fmt.Errorf("mediaauth: credentials file %s cannot be written: %w", s.path, err)
	}
	_ = tmp.Close()
	return os.Remove(tmp.Name())
}

// tempPrefix begins the name of the new file while it is written; a
// random string follows.
func (s *FileStore) tempPrefix() string { return "." + filepath.Base(s.path) + ".tmp-" }

// removeTempFiles removes what a writer that crashed before its rename left
// behind. It runs under the lock, when no other writer is at work.
func (s *FileStore) removeTempFiles() {
	dir := filepath.Dir(s.path)
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		if de.Type().IsRegular() && strings.HasPrefix(de.Name(), s.tempPrefix()) {
			_ = os.Remove(filepath.Join(dir, de.Name()))
		}
	}
}

// write replaces the file with one holding entries: a new file in the same
// directory, flushed to disk, renamed over the old one; then the directory
// is flushed so that the rename lasts too (best effort: not every system
// can flush a directory). Until the rename, the old file is untouched.
func (s *FileStore) write(entries []StoredCredentials) (err error) {
	if entries == nil {
		entries = []StoredCredentials{}
	}
	slices.SortFunc(entries, compareEntries)
	data, err := json.MarshalIndent(storeFile{Version: fileStoreVersion, Credentials: entries}, "", "  ")
	if err != nil {
		return fmt.Errorf("mediaauth: encoding the credentials file: %w", err)
	}
	data = append(data, '\n')

	dir := filepath.Dir(s.path)
	tmp, err := os.CreateTemp(dir, s.tempPrefix()+"*")
	if err != nil {
		return fmt.Errorf("mediaauth: writing the credentials file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
			err = fmt.Errorf("mediaauth: writing the credentials file %s (left as it was): %w", s.path, err)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if s.beforeRename != nil {
		if err := s.beforeRename(); err != nil {
			return err
		}
	}
	if err := rename(tmp.Name(), s.path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// rename moves the new file over the old one. Windows refuses to replace a
// file that another process has open (a reader of the old file, say):
// there it tries again for up to a second.
func rename(from, to string) error {
	err := os.Rename(from, to)
	for i := 0; err != nil && runtime.GOOS == "windows" && errors.Is(err, fs.ErrPermission) && i < 100; i++ {
		time.Sleep(lockPollInterval)
		err = os.Rename(from, to)
	}
	return err
}

// read returns the entries of the file: none when it or its directory does
// not exist, an error when either is open to others or the file is not a
// valid credentials file.
func (s *FileStore) read() ([]StoredCredentials, error) {
	if exists, err := s.checkDir(); err != nil || !exists {
		return nil, err
	}
	if fi, err := os.Lstat(s.path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("mediaauth: credentials file: %w", err)
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("mediaauth: credentials file %s is not a regular file (%s); make it one, or use another path", s.path, fi.Mode().Type())
	}
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mediaauth: credentials file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("mediaauth: credentials file: %w", err)
	}
	if err := checkPrivate(s.path, fi, "file", 0o600); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxStoreFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("mediaauth: credentials file: %w", err)
	}
	if len(data) > maxStoreFileSize {
		return nil, s.corrupt(fmt.Sprintf("larger than %d MiB", maxStoreFileSize>>20))
	}
	return s.decode(data)
}

// checkDir reports whether the file's directory exists, and refuses one
// open to others.
func (s *FileStore) checkDir() (exists bool, err error) {
	dir := filepath.Dir(s.path)
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mediaauth: credentials directory: %w", err)
	}
	if !fi.IsDir() {
		return false, fmt.Errorf("mediaauth: credentials directory %s is not a directory", dir)
	}
	return true, checkPrivate(dir, fi, "directory", 0o700)
}

// checkPrivate refuses a file or directory that group or others may read
// or write (or, for a directory, enter), with the chmod that fixes it.
func checkPrivate(path string, fi fs.FileInfo, kind string, fix fs.FileMode) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("mediaauth: credentials %s %s has mode %04o: group or others can access it and it may hold secrets; "+
			"make it private to you with: chmod %o %s", kind, path, perm, fix, shellQuote(path))
	}
	return nil
}

// shellQuote quotes path for a POSIX shell when it needs quoting.
func shellQuote(path string) string {
	if path != "" && !strings.ContainsFunc(path, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+,:@%", r))
	}) {
		return path
	}
	return "'" + strings.ReplaceAll(path, "'", `'\''`) + "'"
}

// corrupt is the error for a file that is not a valid credentials file.
func (s *FileStore) corrupt(why string) error {
	return fmt.Errorf("mediaauth: credentials file %s is not a valid credentials file: %s; "+
		"it is left as it is: repair it, or move it away to start again", s.path, why)
}

// decode reads a credentials file strictly: a known version, no unknown
// field, every string valid UTF-8 (named by its JSON path when it is not),
// every entry valid and no two for the same API and profile. Its
// errors describe where the file is wrong without quoting it, since the
// text around a mistake may be a secret.
func (s *FileStore) decode(data []byte) ([]StoredCredentials, error) {
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, s.corrupt(describeJSONError(err))
	}
	switch {
	case head.Version == nil:
		return nil, s.corrupt("no version")
	case *head.Version != fileStoreVersion:
		return nil, s.corrupt(fmt.Sprintf("version %d, and this version of mediaauth reads version %d only", *head.Version, fileStoreVersion))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var file storeFile
	if err := dec.Decode(&file); err != nil {
		return nil, s.corrupt(describeJSONError(err))
	}
	if field, ok := invalidUTF8Field(data); ok {
		return nil, s.corrupt(field + " is not valid UTF-8")
	}
	for i := range file.Credentials {
		e := &file.Credentials[i]
		if why := e.problem(true); why != "" {
			return nil, s.corrupt(fmt.Sprintf("entry %d: %s", i+1, why))
		}
		if j := findEntry(file.Credentials[:i], e.API, e.Profile); j >= 0 {
			return nil, s.corrupt(fmt.Sprintf("entries %d and %d are both for %s profile %q", j+1, i+1, e.API, e.Profile))
		}
	}
	return file.Credentials, nil
}

// describeJSONError says what is wrong with a JSON document without the
// document's text: encoding/json quotes unknown field names, and time
// parsing quotes the value it could not parse.
func describeJSONError(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("not JSON (syntax error at byte %d)", syntax.Offset)
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Sprintf("field %s has the wrong type", typ.Field)
	case errors.As(err, &typ):
		return "not a JSON object"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "a field this version of mediaauth does not know"
	}
	return "a value of the wrong form (a time that is not RFC 3339?)"
}

// retryEvery calls try every interval until it reports done, returns an
// error, or ctx ends.
func retryEvery(ctx context.Context, interval time.Duration, try func() (done bool, err error)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if done, err := try(); done || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
