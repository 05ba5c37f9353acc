package mediaauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/zalando/go-keyring"
)

// ErrKeychainUnavailable is what [KeychainStore] returns when no OS
// keychain answers: no Secret Service on the D-Bus session bus (or no
// session bus at all) on Linux and the BSDs, say. Keep credentials in a
// [FileStore] then.
var ErrKeychainUnavailable = newSentinel("no OS keychain available")

// KeychainStore is a [CredentialStore] that keeps each entry in the
// operating system's keychain, as the GitHub CLI does, through
// github.com/zalando/go-keyring: the macOS Keychain, the Windows
// Credential Manager, or the Secret Service (GNOME Keyring, KWallet) over
// D-Bus on Linux and the BSDs. Create it with [NewKeychainStore]; it is
// safe for concurrent use.
//
// Each entry is one keychain item of the store's service, whose account is
// "API/PROFILE" ("tmdb/default") and whose secret is the entry's JSON
// form; one more item, "index", lists the entries for List (a keychain
// cannot be listed on every system); Load never needs it. Save and Delete
// rewrite the index under a lock file of the user's cache directory
// (mediaauth/keychain-SERVICE.lock), so that two processes saving at once
// both keep their entries listed.
//
// The keychain's calls cannot be cancelled: when ctx ends first, a method
// returns ctx's error and the call finishes in the background. A keychain
// that is locked may ask the user to unlock it. No error contains a
// secret.
type KeychainStore struct {
	service string
	kr      keychainBackend
	// mu orders this process's read-modify-writes of the index, and
	// lockPath (when not empty) those of other processes.
	mu       sync.Mutex
	lockPath string
	now      func() time.Time
}

// keychainBackend is the keychain's calls: go-keyring's, or a test's.
type keychainBackend interface {
	Set(service, user, secret string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

// goKeyring is the OS keychain, through go-keyring.
type goKeyring struct{}

func (goKeyring) Set(service, user, secret string) error   { return keyring.Set(service, user, secret) }
func (goKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (goKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }

var (
	_ CredentialStore = (*KeychainStore)(nil)
	_ SaveChecker     = (*KeychainStore)(nil)
)

// keychainIndex is the account of the item that lists the entries; it
// holds no slash, so no entry's account can be it.
const keychainIndex = "index"

// NewKeychainStore returns a [KeychainStore] whose items belong to service
// ("mediaauth", say: the name the keychain shows). It does not touch the
// keychain; [KeychainStore.Available] says whether there is one.
func NewKeychainStore(service string) (*KeychainStore, error) {
	if strings.TrimSpace(service) == "" || strings.ContainsFunc(service, isControl) {
		return nil, fmt.Errorf("mediaauth: NewKeychainStore: empty service name or one with a control character: %w", ErrInvalidArgument)
	}
	s := &KeychainStore{service: service, kr: goKeyring{}, now: time.Now}
	if dir, err := os.UserCacheDir(); err == nil {
		s.lockPath = filepath.Join(dir, "mediaauth", "keychain-"+lockName(service)+".lock")
	}
	return s, nil
}

// lockName is service as a file name: letters, digits, '.', '-' and '_'
// kept, anything else as '_', and a hash of service when that changed it.
func lockName(service string) string {
	name := strings.Map(func(r rune) rune {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(".-_", r)) {
			return r
		}
		return '_'
	}, service)
	if name != service || len(name) > 64 {
		sum := sha256.Sum256([]byte(service))
		name = truncate(name, 40) + "-" + hex.EncodeToString(sum[:6])
	}
	return name
}

// lock takes the store's lock for a read-modify-write of the index and
// returns the function that releases it.
func (s *KeychainStore) lock(ctx context.Context) (func(), error) {
	s.mu.Lock()
	if s.lockPath == "" {
		return s.mu.Unlock, nil
	}
	if err := os.MkdirAll(filepath.Dir(s.lockPath), 0o700); err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("mediaauth: keychain %q: the lock's directory: %w", s.service, err)
	}
	unlock, err := lockFile(ctx, s.lockPath)
	if err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("mediaauth: keychain %q: taking the lock %s: %w", s.service, s.lockPath, err)
	}
	return func() { unlock(); s.mu.Unlock() }, nil
}

// Service returns the service name of the store's items.
func (s *KeychainStore) Service() string {
	if s == nil {
		return ""
	}
	return s.service
}

// Available returns nil when the OS keychain answers, else an error that
// wraps [ErrKeychainUnavailable] and says why (or ctx's error). It reads
// one item.
func (s *KeychainStore) Available(ctx context.Context) error {
	if err := s.ready(); err != nil {
		return err
	}
	_, err := s.get(ctx, keychainIndex)
	if errors.Is(err, ErrCredentialNotFound) {
		return nil
	}
	return err
}

// CheckSave reports whether Save of credentials for api and profile would
// succeed now as far as the store can tell: valid arguments and a keychain
// that answers.
func (s *KeychainStore) CheckSave(ctx context.Context, api API, profile string) error {
	if err := s.ready(); err != nil {
		return err
	}
	if err := checkStoreKey(api, profile); err != nil {
		return err
	}
	return s.Available(ctx)
}

// Load returns the credentials kept for api and profile, or an error
// matching [ErrCredentialNotFound] when there are none.
func (s *KeychainStore) Load(ctx context.Context, api API, profile string) (*StoredCredentials, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if err := checkStoreKey(api, profile); err != nil {
		return nil, err
	}
	data, err := s.get(ctx, keychainAccount(api, profile))
	if errors.Is(err, ErrCredentialNotFound) {
		return nil, notFound(api, profile)
	}
	if err != nil {
		return nil, err
	}
	return s.decode(api, profile, data)
}

// Save keeps creds in the keychain, replacing what was kept for its API
// and profile. creds is not changed: when its SavedAt is zero, the stored
// copy gets the current time.
func (s *KeychainStore) Save(ctx context.Context, creds *StoredCredentials) error {
	if err := s.ready(); err != nil {
		return err
	}
	entry, err := creds.toSave(s.now)
	if err != nil {
		return err
	}
	data, err := json.Marshal(entry)
	if err != nil {
		return fmt.Errorf("mediaauth: encoding the credentials: %w", err)
	}
	account := keychainAccount(entry.API, entry.Profile)
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if err := s.call(ctx, "saving "+account, func() error { return s.kr.Set(s.service, account, string(data)) }); err != nil {
		return err
	}
	return s.updateIndex(ctx, account, true)
}

// Delete forgets the credentials kept for api and profile, or returns an
// error matching [ErrCredentialNotFound] when there are none.
func (s *KeychainStore) Delete(ctx context.Context, api API, profile string) error {
	if err := s.ready(); err != nil {
		return err
	}
	if err := checkStoreKey(api, profile); err != nil {
		return err
	}
	account := keychainAccount(api, profile)
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	err = s.call(ctx, "deleting "+account, func() error { return s.kr.Delete(s.service, account) })
	if errors.Is(err, ErrCredentialNotFound) {
		_ = s.updateIndex(ctx, account, false)
		return notFound(api, profile)
	}
	if err != nil {
		return err
	}
	return s.updateIndex(ctx, account, false)
}

// List returns every entry the index names, sorted by API then profile;
// an entry the index names but the keychain no longer holds is left out.
func (s *KeychainStore) List(ctx context.Context) ([]StoredCredentials, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	accounts, err := s.index(ctx)
	if err != nil {
		return nil, err
	}
	entries := []StoredCredentials{}
	for _, account := range accounts {
		api, profile, _ := strings.Cut(account, "/")
		c, err := s.Load(ctx, API(api), profile)
		if errors.Is(err, ErrCredentialNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		entries = append(entries, *c)
	}
	slices.SortFunc(entries, compareEntries)
	return entries, nil
}

// ready refuses a KeychainStore that NewKeychainStore did not make.
func (s *KeychainStore) ready() error {
	if s == nil || s.kr == nil {
		return fmt.Errorf("mediaauth: KeychainStore not made by NewKeychainStore: %w", ErrInvalidArgument)
	}
	return nil
}

// keychainAccount is the account of the item of api and profile.
func keychainAccount(api API, profile string) string { return string(api) + "/" + profile }

// get reads the secret of the item account: ErrCredentialNotFound when
// there is none.
func (s *KeychainStore) get(ctx context.Context, account string) (string, error) {
	var data string
	err := s.call(ctx, "reading "+account, func() (err error) {
		data, err = s.kr.Get(s.service, account)
		return err
	})
	return data, err
}

// call runs one keychain call, returning when ctx ends if the call has
// not, and turns its errors into the store's.
func (s *KeychainStore) call(ctx context.Context, what string, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- fn() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		return fmt.Errorf("mediaauth: keychain %q: %s: %w", s.service, what, ctx.Err())
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return fmt.Errorf("mediaauth: keychain %q: %s: %w", s.service, what, ErrCredentialNotFound)
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return fmt.Errorf("mediaauth: keychain %q: %s: the entry is too large for the keychain", s.service, what)
	}
	return fmt.Errorf("mediaauth: keychain %q: %s: %w: %s", s.service, what, ErrKeychainUnavailable, truncate(err.Error(), maxCauseLen))
}

// decode reads the JSON of the item of api and profile, strictly.
func (s *KeychainStore) decode(api API, profile, data string) (*StoredCredentials, error) {
	corrupt := func(why string) error {
		return fmt.Errorf("mediaauth: keychain %q item %s is not valid credentials JSON: %s; delete it to start again",
			s.service, keychainAccount(api, profile), why)
	}
	dec := json.NewDecoder(strings.NewReader(data))
	dec.DisallowUnknownFields()
	var c StoredCredentials
	if err := dec.Decode(&c); err != nil {
		return nil, corrupt(describeJSONError(err))
	}
	if why := c.problem(true); why != "" {
		return nil, corrupt(why)
	}
	if c.API != api || c.Profile != profile {
		return nil, corrupt("it holds the entry of another API or profile")
	}
	return &c, nil
}

// index returns the accounts the index item lists.
func (s *KeychainStore) index(ctx context.Context) ([]string, error) {
	data, err := s.get(ctx, keychainIndex)
	if errors.Is(err, ErrCredentialNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var accounts []string
	if err := json.Unmarshal([]byte(data), &accounts); err != nil {
		return nil, fmt.Errorf("mediaauth: keychain %q item %s is not a JSON list; delete it to start again", s.service, keychainIndex)
	}
	return accounts, nil
}

// updateIndex adds account to the index, or removes it. The store's lock
// is held.
func (s *KeychainStore) updateIndex(ctx context.Context, account string, add bool) error {
	accounts, err := s.index(ctx)
	if err != nil {
		return err
	}
	if slices.Contains(accounts, account) == add {
		return nil
	}
	if add {
		accounts = append(accounts, account)
		slices.Sort(accounts)
	} else {
		accounts = slices.DeleteFunc(accounts, func(a string) bool { return a == account })
	}
	data, _ := json.Marshal(accounts)
	return s.call(ctx, "writing the index", func() error { return s.kr.Set(s.service, keychainIndex, string(data)) })
}
