package redislimit

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mediaauth/mediaauth"
	"github.com/redis/go-redis/v9"
)

// DefaultStorePrefix names the keys of a [CredentialStore] in Redis, unless
// [WithStorePrefix] names others.
const DefaultStorePrefix = "mediaauth:credentials"

// DefaultLockTTL is how long a renewal lock of a [CredentialStore] lasts,
// unless [WithLockTTL] says otherwise: the longest a renewal may take, and
// the longest the others wait when its holder dies.
const DefaultLockTTL = 15 * time.Second

// sealedPrefix begins an entry sealed with AES-GCM.
const sealedPrefix = "sealed:v1:"

// CredentialStore is a [mediaauth.CredentialStore] in Redis, for a fleet
// of processes on several hosts: every process that builds one on the
// same Redis and prefix shares its entries. It is also a
// [mediaauth.RenewalLocker], whose lock expires and fences its writes, so
// that [mediaauth.StoredMoviesTokenSource] renews once for the whole
// fleet (see the package documentation). Build it with
// [NewCredentialStore]; it is safe for concurrent use.
//
// The entries are the fields of one Redis hash, "{prefix}:entries", named
// "api/profile", each holding the entry's JSON, or that JSON sealed with
// AES-GCM when [WithSealKey] gives a key. The braces keep every key of a
// store in one Redis Cluster slot.
type CredentialStore struct {
	rdb      redis.UniversalClient
	prefix   string
	seal     cipher.AEAD   // nil: entries are kept as JSON
	open     []cipher.AEAD // the sealing key, then the previous ones
	lockTTL  time.Duration
	lockPoll time.Duration
}

// ErrUnreadableEntry is what Load and List return for an entry the store
// cannot read (sealed under a key it does not have, not sealed while it
// seals every entry, or not a valid entry), and what Save returns rather
// than replace such an entry: another replica may hold its key, and the
// credentials in it may be the only copy.
var ErrUnreadableEntry = errors.New("unreadable entry")

var (
	_ mediaauth.CredentialStore = (*CredentialStore)(nil)
	_ mediaauth.RenewalLocker   = (*CredentialStore)(nil)
)

// StoreOption configures [NewCredentialStore].
type StoreOption func(*storeOptions) error

type storeOptions struct {
	prefix  string
	keys    [][]byte
	lockTTL time.Duration
}

// WithStorePrefix replaces [DefaultStorePrefix]. Stores with different
// prefixes keep separate entries in one Redis.
func WithStorePrefix(prefix string) StoreOption {
	return func(o *storeOptions) error {
		if prefix == "" || strings.ContainsAny(prefix, "{}") {
			return errors.New("redislimit: WithStorePrefix: the prefix must be non-empty and hold no brace")
		}
		o.prefix = prefix
		return nil
	}
}

// WithSealKey seals every entry at rest with AES-GCM under key (16, 24 or
// 32 bytes: AES-128, -192 or -256), bound to its API and profile, so that
// whoever reads or writes Redis without the key can neither read an entry
// nor plant one. previous are former keys, used only to read entries they
// sealed: a store that rotates keys reads the old entries and seals what
// it saves with the new key. A store with a key refuses entries that are
// not sealed, and one without refuses sealed entries; neither changes
// them. The key is the caller's to keep secret, and is not copied out of
// the store.
func WithSealKey(key []byte, previous ...[]byte) StoreOption {
	return func(o *storeOptions) error {
		o.keys = append([][]byte{key}, previous...)
		return nil
	}
}

// WithLockTTL replaces [DefaultLockTTL], at least 100 ms.
func WithLockTTL(d time.Duration) StoreOption {
	return func(o *storeOptions) error {
		if d < 100*time.Millisecond {
			return fmt.Errorf("redislimit: WithLockTTL: %s is under 100ms", d)
		}
		o.lockTTL = d
		return nil
	}
}

// NewCredentialStore returns a [CredentialStore] in rdb. A nil rdb, or an
// invalid option, is an error; nothing is sent to Redis.
func NewCredentialStore(rdb redis.UniversalClient, opts ...StoreOption) (*CredentialStore, error) {
	if isNil(rdb) {
		return nil, errors.New("redislimit: nil Redis client")
	}
	o := storeOptions{prefix: DefaultStorePrefix, lockTTL: DefaultLockTTL}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	s := &CredentialStore{rdb: rdb, prefix: o.prefix, lockTTL: o.lockTTL, lockPoll: 25 * time.Millisecond}
	for i, key := range o.keys {
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("redislimit: WithSealKey: key %d: want 16, 24 or 32 bytes, got %d", i+1, len(key))
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("redislimit: WithSealKey: %w", err)
		}
		s.open = append(s.open, aead)
	}
	if len(s.open) > 0 {
		s.seal = s.open[0]
	}
	return s, nil
}

// key returns the Redis key of name, in the store's hash slot.
func (s *CredentialStore) key(name string) string { return "{" + s.prefix + "}:" + name }

// field names the hash field of an entry.
func field(api mediaauth.API, profile string) string { return string(api) + "/" + profile }

// ready refuses a store that NewCredentialStore did not make.
func (s *CredentialStore) ready() error {
	if s == nil || s.rdb == nil {
		return errors.New("redislimit: CredentialStore not made by NewCredentialStore")
	}
	return nil
}

// Load returns the credentials kept for api and profile, or an error
// matching [mediaauth.ErrCredentialNotFound] when there are none.
func (s *CredentialStore) Load(ctx context.Context, api mediaauth.API, profile string) (*mediaauth.StoredCredentials, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if err := mediaauth.ValidateStoreKey(api, profile); err != nil {
		return nil, err
	}
	f := field(api, profile)
	raw, err := s.rdb.HGet(ctx, s.key("entries"), f).Result()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("redislimit: %s profile %q: %w", api, profile, mediaauth.ErrCredentialNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("redislimit: loading %s profile %q: %w", api, profile, err)
	}
	return s.decode(f, raw)
}

// Save keeps creds, replacing what was kept for its API and profile,
// unless Redis holds an entry there that the store cannot read: then it
// returns an error matching [ErrUnreadableEntry] and changes nothing.
// creds is not changed: when its SavedAt is zero, the stored copy gets
// the current time. Invalid credentials are an error matching
// [mediaauth.ErrInvalidArgument], returned before Redis is asked.
func (s *CredentialStore) Save(ctx context.Context, creds *mediaauth.StoredCredentials) error {
	f, value, err := s.encode(creds)
	if err != nil {
		return err
	}
	return s.write(ctx, creds.API, creds.Profile, f, value, "", "")
}

// Delete forgets the credentials kept for api and profile, or returns an
// error matching [mediaauth.ErrCredentialNotFound] when there are none.
func (s *CredentialStore) Delete(ctx context.Context, api mediaauth.API, profile string) error {
	if err := s.ready(); err != nil {
		return err
	}
	if err := mediaauth.ValidateStoreKey(api, profile); err != nil {
		return err
	}
	n, err := s.rdb.HDel(ctx, s.key("entries"), field(api, profile)).Result()
	if err != nil {
		return fmt.Errorf("redislimit: deleting %s profile %q: %w", api, profile, err)
	}
	if n == 0 {
		return fmt.Errorf("redislimit: %s profile %q: %w", api, profile, mediaauth.ErrCredentialNotFound)
	}
	return nil
}

// List returns every entry, sorted by API then profile; an error when one
// of them cannot be read (it is named, its content is not shown).
func (s *CredentialStore) List(ctx context.Context) ([]mediaauth.StoredCredentials, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	all, err := s.rdb.HGetAll(ctx, s.key("entries")).Result()
	if err != nil {
		return nil, fmt.Errorf("redislimit: listing credentials: %w", err)
	}
	list := make([]mediaauth.StoredCredentials, 0, len(all))
	for f, raw := range all {
		c, err := s.decode(f, raw)
		if err != nil {
			return nil, err
		}
		list = append(list, *c)
	}
	slices.SortFunc(list, func(a, b mediaauth.StoredCredentials) int {
		if a.API != b.API {
			return strings.Compare(string(a.API), string(b.API))
		}
		return strings.Compare(a.Profile, b.Profile)
	})
	return list, nil
}

// encode checks creds and returns its field and the value to store.
func (s *CredentialStore) encode(creds *mediaauth.StoredCredentials) (string, string, error) {
	if err := s.ready(); err != nil {
		return "", "", err
	}
	if err := creds.Validate(); err != nil {
		return "", "", err
	}
	entry := *creds
	if entry.SavedAt.IsZero() {
		entry.SavedAt = time.Now().UTC().Truncate(time.Second)
	}
	data, err := json.Marshal(entry)
	if err != nil {
		return "", "", fmt.Errorf("redislimit: encoding %s profile %q: %w", creds.API, creds.Profile, err)
	}
	f := field(creds.API, creds.Profile)
	if s.seal == nil {
		return f, string(data), nil
	}
	nonce := make([]byte, s.seal.NonceSize(), s.seal.NonceSize()+len(data)+s.seal.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", "", fmt.Errorf("redislimit: sealing: %w", err)
	}
	sealed := s.seal.Seal(nonce, nonce, data, s.aad(f))
	return f, sealedPrefix + base64.StdEncoding.EncodeToString(sealed), nil
}

// aad binds a sealed entry to its store and field.
func (s *CredentialStore) aad(f string) []byte { return []byte(s.prefix + "|" + f) }

// decode reads the value of field f strictly: sealed if and only if the
// store has a key, valid JSON of a valid entry of that API and profile.
// Its errors name the entry, never its content.
func (s *CredentialStore) decode(f, raw string) (*mediaauth.StoredCredentials, error) {
	bad := func(why string) error {
		return fmt.Errorf("redislimit: the entry %q in Redis is not valid: %s; it is left as it is: %w", f, why, ErrUnreadableEntry)
	}
	data := []byte(raw)
	switch sealed := strings.HasPrefix(raw, sealedPrefix); {
	case sealed && s.seal == nil:
		return nil, bad("it is sealed, and the store has no key (WithSealKey)")
	case !sealed && s.seal != nil:
		return nil, bad("it is not sealed, and the store seals every entry")
	case sealed:
		var err error
		if data, err = s.unseal(f, raw); err != nil {
			return nil, bad(err.Error())
		}
	}
	if !utf8.Valid(data) {
		return nil, bad("not valid UTF-8")
	}
	var c mediaauth.StoredCredentials
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, bad("not a credentials entry")
	}
	if err := c.Validate(); err != nil || field(c.API, c.Profile) != f {
		return nil, bad("not an entry of that API and profile")
	}
	return &c, nil
}

// unseal opens a sealed value with the store's keys.
func (s *CredentialStore) unseal(f, raw string) ([]byte, error) {
	sealed, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(raw, sealedPrefix))
	if err != nil {
		return nil, errors.New("its sealed form is not base64")
	}
	for _, aead := range s.open {
		n := aead.NonceSize()
		if len(sealed) < n {
			break
		}
		if data, err := aead.Open(nil, sealed[:n], sealed[n:], s.aad(f)); err == nil {
			return data, nil
		}
	}
	return nil, errors.New("no key of the store opens it (another key, or changed since it was sealed)")
}

// casScript sets field ARGV[1] of hash KEYS[1] to ARGV[2] if the field
// still holds ARGV[3] (is absent, when ARGV[4] is '1'), and, with a lock
// KEYS[2], only while the lock holds the token ARGV[5]. It returns 1 when
// it set the field, 0 when the field changed, -1 when the lock was lost.
var casScript = redis.NewScript(`
if KEYS[2] and redis.call('GET', KEYS[2]) ~= ARGV[5] then return -1 end
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[4] == '1' then
  if cur then return 0 end
elseif cur ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`)

// errFenced is write's error when the lock lockKey no longer holds.
var errFenced = errors.New("the renewal lock no longer holds")

// write sets field f, the entry of api and profile, to value, unless it
// holds an entry the store cannot read; with lockKey, only while that
// lock holds token (else errFenced). The value it replaces is read and
// checked first, and replaced only if it has not changed since.
func (s *CredentialStore) write(ctx context.Context, api mediaauth.API, profile, f, value, lockKey, token string) error {
	keys := []string{s.key("entries")}
	if lockKey != "" {
		keys = append(keys, lockKey)
	}
	for range 3 {
		absent := "0"
		cur, err := s.rdb.HGet(ctx, keys[0], f).Result()
		switch {
		case errors.Is(err, redis.Nil):
			absent = "1"
		case err != nil:
			return fmt.Errorf("redislimit: saving %s profile %q: %w", api, profile, err)
		default:
			if _, err := s.decode(f, cur); err != nil {
				return fmt.Errorf("redislimit: saving %s profile %q: %w", api, profile, err)
			}
		}
		n, err := casScript.Run(ctx, s.rdb, keys, f, value, cur, absent, token).Int()
		switch {
		case err != nil:
			return fmt.Errorf("redislimit: saving %s profile %q: %w", api, profile, err)
		case n == 1:
			return nil
		case n == -1:
			return errFenced
		}
	}
	return fmt.Errorf("redislimit: saving %s profile %q: the entry kept changing while it was saved; try again", api, profile)
}
