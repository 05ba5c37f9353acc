package redislimit_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/redislimit"
	"github.com/redis/go-redis/v9"
)

// The entries of a CredentialStore in a real redis-server: kept, listed,
// deleted, checked, and sealed at rest.

// tvmazeEntry is a valid TVmaze entry of profile.
func tvmazeEntry(profile, key string) *mediaauth.StoredCredentials {
	return &mediaauth.StoredCredentials{API: mediaauth.APITVmaze, Profile: profile,
		TVmaze: &mediaauth.TVmazeCredentials{Username: "alice", APIKey: key}}
}

// newStore returns a CredentialStore on rdb with opts, or fails t.
func newStore(t *testing.T, rdb redis.UniversalClient, opts ...redislimit.StoreOption) *redislimit.CredentialStore {
	t.Helper()
	s, err := redislimit.NewCredentialStore(rdb, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewCredentialStoreRejectsInvalidInput(t *testing.T) {
	rdb := unreachable(t)
	tests := []struct {
		name string
		rdb  redis.UniversalClient
		opt  redislimit.StoreOption
		want string
	}{
		{"nil client", nil, nil, "nil Redis client"},
		{"typed nil client", (*redis.Client)(nil), nil, "nil Redis client"},
		{"short key", rdb, redislimit.WithSealKey([]byte("short")), "want 16, 24 or 32 bytes"},
		{"short previous key", rdb, redislimit.WithSealKey(bytes.Repeat([]byte{1}, 32), []byte("x")), "key 2"},
		{"short lock TTL", rdb, redislimit.WithLockTTL(time.Millisecond), "under 100ms"},
		{"empty prefix", rdb, redislimit.WithStorePrefix(""), "non-empty"},
		{"prefix with a brace", rdb, redislimit.WithStorePrefix("a{b"), "brace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := redislimit.NewCredentialStore(tt.rdb, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) || s != nil {
				t.Fatalf("NewCredentialStore: got %v, %v; want an error containing %q", s, err, tt.want)
			}
		})
	}
}

// TestCredentialStoreChecksBeforeRedis: invalid arguments fail with
// ErrInvalidArgument before Redis is asked (there is none here).
func TestCredentialStoreChecksBeforeRedis(t *testing.T) {
	s := newStore(t, unreachable(t))
	ctx := context.Background()
	if _, err := s.Load(ctx, "netflix", "default"); !errors.Is(err, mediaauth.ErrInvalidArgument) {
		t.Errorf("Load of an unknown API: %v", err)
	}
	if err := s.Delete(ctx, mediaauth.APITVmaze, "a/b"); !errors.Is(err, mediaauth.ErrInvalidArgument) {
		t.Errorf("Delete of a profile with a slash: %v", err)
	}
	if err := s.Save(ctx, tvmazeEntry("default", "")); !errors.Is(err, mediaauth.ErrInvalidArgument) {
		t.Errorf("Save of an empty key: %v", err)
	}
	if _, err := s.LockRenewal(ctx, mediaauth.APIMovies, ""); !errors.Is(err, mediaauth.ErrInvalidArgument) {
		t.Errorf("LockRenewal of an empty profile: %v", err)
	}
	var zero *redislimit.CredentialStore
	if _, err := zero.List(ctx); err == nil {
		t.Error("List of a nil store: no error")
	}
}

func TestCredentialStoreEntries(t *testing.T) {
	rdb := startRedis(t).client(t)
	s := newStore(t, rdb)
	ctx := context.Background()
	if _, err := s.Load(ctx, mediaauth.APITVmaze, "default"); !errors.Is(err, mediaauth.ErrCredentialNotFound) {
		t.Fatalf("Load of nothing: %v", err)
	}
	if list, err := s.List(ctx); err != nil || list == nil || len(list) != 0 {
		t.Fatalf("List of nothing: %v, %v; want an empty list", list, err)
	}
	for _, e := range []*mediaauth.StoredCredentials{tvmazeEntry("work", "k2"), tvmazeEntry("default", "k1"),
		{API: mediaauth.APIMovies, Profile: "default", MoviesAPIKey: &mediaauth.APIKey{Key: "movies-key"}}} {
		if err := s.Save(ctx, e); err != nil {
			t.Fatal(err)
		}
		if !e.SavedAt.IsZero() {
			t.Fatal("Save changed its argument")
		}
	}
	got, err := s.Load(ctx, mediaauth.APITVmaze, "default")
	if err != nil || got.TVmaze.APIKey != "k1" || time.Since(got.SavedAt) > time.Minute {
		t.Fatalf("Load: %v, %v", got, err)
	}
	got.TVmaze.APIKey = "changed"
	if again, _ := s.Load(ctx, mediaauth.APITVmaze, "default"); again.TVmaze.APIKey != "k1" {
		t.Error("a change to what Load returned reached the store")
	}
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range list {
		names = append(names, string(e.API)+"/"+e.Profile)
	}
	if want := "movies/default tvmaze/default tvmaze/work"; strings.Join(names, " ") != want {
		t.Errorf("List: %v, want %s", names, want)
	}
	if err := s.Delete(ctx, mediaauth.APITVmaze, "work"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, mediaauth.APITVmaze, "work"); !errors.Is(err, mediaauth.ErrCredentialNotFound) {
		t.Errorf("second Delete: %v", err)
	}
	other := newStore(t, rdb, redislimit.WithStorePrefix("other"))
	if list, _ := other.List(ctx); len(list) != 0 {
		t.Errorf("a store of another prefix sees %d entries", len(list))
	}
}

// TestCredentialStoreSealed: with a key, no secret is readable in Redis;
// the entry opens only with that key, in its own field; keys rotate.
func TestCredentialStoreSealed(t *testing.T) {
	rdb := startRedis(t).client(t)
	ctx := context.Background()
	key, newKey := bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{9}, 32)
	const secret = "tvmaze-sealed-SECRET-key"
	sealed := newStore(t, rdb, redislimit.WithSealKey(key))
	if err := sealed.Save(ctx, tvmazeEntry("default", secret)); err != nil {
		t.Fatal(err)
	}
	raw, err := rdb.HGet(ctx, "{mediaauth:credentials}:entries", "tvmaze/default").Result()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(raw, "sealed:v1:") || strings.Contains(raw, secret) || strings.Contains(raw, "alice") {
		t.Fatalf("the value in Redis is not sealed: %q", raw)
	}
	if got, err := sealed.Load(ctx, mediaauth.APITVmaze, "default"); err != nil || got.TVmaze.APIKey != secret {
		t.Fatalf("Load with the key: %v, %v", got, err)
	}
	for name, s := range map[string]*redislimit.CredentialStore{
		"no key":    newStore(t, rdb),
		"other key": newStore(t, rdb, redislimit.WithSealKey(newKey)),
	} {
		_, err := s.Load(ctx, mediaauth.APITVmaze, "default")
		if err == nil || !strings.Contains(err.Error(), `"tvmaze/default"`) || strings.Contains(err.Error(), raw[10:30]) {
			t.Errorf("%s: Load gave %v; want an error naming the entry, without its content", name, err)
		}
	}
	// Moved to another field, the sealed value does not open.
	rdb.HSet(ctx, "{mediaauth:credentials}:entries", "tvmaze/work", raw)
	if _, err := sealed.Load(ctx, mediaauth.APITVmaze, "work"); err == nil {
		t.Error("a sealed entry opened in another field")
	}
	// A new key reads what the previous one sealed, and seals with the new.
	rotated := newStore(t, rdb, redislimit.WithSealKey(newKey, key))
	got, err := rotated.Load(ctx, mediaauth.APITVmaze, "default")
	if err != nil {
		t.Fatal(err)
	}
	if err := rotated.Save(ctx, got); err != nil {
		t.Fatal(err)
	}
	if _, err := sealed.Load(ctx, mediaauth.APITVmaze, "default"); err == nil {
		t.Error("the old key opens what the new one sealed")
	}
	// A store with a key refuses an entry that is not sealed, and leaves it.
	plain := newStore(t, rdb, redislimit.WithStorePrefix("plain"))
	if err := plain.Save(ctx, tvmazeEntry("default", secret)); err != nil {
		t.Fatal(err)
	}
	strict := newStore(t, rdb, redislimit.WithStorePrefix("plain"), redislimit.WithSealKey(key))
	if _, err := strict.Load(ctx, mediaauth.APITVmaze, "default"); err == nil || !strings.Contains(err.Error(), "not sealed") {
		t.Errorf("Load of an unsealed entry with a key: %v", err)
	}
	if _, err := plain.Load(ctx, mediaauth.APITVmaze, "default"); err != nil {
		t.Errorf("the refused entry was changed: %v", err)
	}
}

// TestCredentialStoreInvalidEntries: what is not a valid entry of its
// field is refused, named, never quoted.
func TestCredentialStoreInvalidEntries(t *testing.T) {
	rdb := startRedis(t).client(t)
	s := newStore(t, rdb)
	ctx := context.Background()
	for value, why := range map[string]string{
		`{"api":"tvmaze","profile":"default","tvmaze":{"username":"a","api_key":"SECRET-1"},"extra":1}`: "unknown field",
		`{"api":"tvmaze","profile":"work","tvmaze":{"username":"a","api_key":"SECRET-2"}}`:              "another profile",
		`{"api":"tvmaze","profile":"default","tvmaze":{"username":"a","api_key":""}}`:                   "empty key",
		"not JSON SECRET-3":                   "not JSON",
		"{\"api\":\"tvmaze\",\"x\":\"\xff\"}": "not UTF-8",
	} {
		rdb.HSet(ctx, "{mediaauth:credentials}:entries", "tvmaze/default", value)
		_, err := s.Load(ctx, mediaauth.APITVmaze, "default")
		if err == nil || strings.Contains(err.Error(), "SECRET") || !strings.Contains(err.Error(), "tvmaze/default") {
			t.Errorf("%s: Load gave %v", why, err)
		}
		if _, err := s.List(ctx); err == nil {
			t.Errorf("%s: List gave no error", why)
		}
	}
}

// TestCredentialStoreLeavesWhatItCannotRead: a replica without the key, or
// with another, neither replaces a sealed entry (Save, or the Save of a
// renewal lock) nor writes a plain one over it; it says so with
// ErrUnreadableEntry, and the replica with the key still reads its entry.
func TestCredentialStoreLeavesWhatItCannotRead(t *testing.T) {
	rdb := startRedis(t).client(t)
	ctx := context.Background()
	key := bytes.Repeat([]byte{7}, 32)
	sealed := newStore(t, rdb, redislimit.WithSealKey(key))
	if err := sealed.Save(ctx, tvmazeEntry("default", "the-only-copy")); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*redislimit.CredentialStore{
		"no key":    newStore(t, rdb),
		"other key": newStore(t, rdb, redislimit.WithSealKey(bytes.Repeat([]byte{9}, 32))),
	} {
		if err := s.Save(ctx, tvmazeEntry("default", "a-replacement")); !errors.Is(err, redislimit.ErrUnreadableEntry) {
			t.Errorf("%s: Save gave %v, want ErrUnreadableEntry", name, err)
		}
		lock, err := s.LockRenewal(ctx, mediaauth.APITVmaze, "default")
		if err != nil {
			t.Fatal(err)
		}
		if err := lock.Save(ctx, tvmazeEntry("default", "a-replacement")); !errors.Is(err, redislimit.ErrUnreadableEntry) {
			t.Errorf("%s: the lock's Save gave %v, want ErrUnreadableEntry", name, err)
		}
		if err := lock.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Load(ctx, mediaauth.APITVmaze, "default"); !errors.Is(err, redislimit.ErrUnreadableEntry) {
			t.Errorf("%s: Load gave %v, want ErrUnreadableEntry", name, err)
		}
	}
	got, err := sealed.Load(ctx, mediaauth.APITVmaze, "default")
	if err != nil || got.TVmaze.APIKey != "the-only-copy" {
		t.Fatalf("the entry was changed: %v, %v", got, err)
	}
}
