package mediaauth_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zalando/go-keyring"

	"github.com/mediaauth/mediaauth"
)

// envTestKeychain set to 1 makes the tests against the OS keychain run, and
// fail when there is none: CI sets it under a Secret Service (gnome-keyring
// in a D-Bus session). Without it they run when a keychain answers and are
// skipped otherwise.
const envTestKeychain = "MEDIAAUTH_TEST_KEYCHAIN"

// osKeychain returns a KeychainStore of the OS keychain with a service of
// its own, whose items are removed when the test ends, or skips the test
// when no keychain answers (see envTestKeychain).
func osKeychain(t *testing.T) *mediaauth.KeychainStore {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	service := "mediaauth-test-" + hex.EncodeToString(b)
	s, err := mediaauth.NewKeychainStore(service)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := s.Available(ctx); err != nil {
		if os.Getenv(envTestKeychain) == "1" {
			t.Fatalf("%s=1 but the OS keychain does not answer: %v", envTestKeychain, err)
		}
		t.Skipf("no OS keychain answers (%v): run under a Secret Service with %s=1, as .ci/run does", err, envTestKeychain)
	}
	t.Cleanup(func() { _ = keyring.DeleteAll(service) })
	return s
}

// testKeychainStore runs the CredentialStore contract against s.
func testKeychainStore(t *testing.T, s *mediaauth.KeychainStore) {
	ctx := t.Context()
	require.NoError(t, s.CheckSave(ctx, mediaauth.APITMDb, mediaauth.DefaultProfile))
	list, err := s.List(ctx)
	require.NoError(t, err)
	assert.Empty(t, list)
	_, err = s.Load(ctx, mediaauth.APITMDb, mediaauth.DefaultProfile)
	require.ErrorIs(t, err, mediaauth.ErrCredentialNotFound)

	saved := fullEntries()
	for i := range saved {
		require.NoError(t, s.Save(ctx, &saved[i]))
	}
	for _, want := range saved {
		got, err := s.Load(ctx, want.API, want.Profile)
		require.NoError(t, err)
		requireSameCreds(t, want, *got)
	}
	list, err = s.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, len(saved))
	for i := 1; i < len(list); i++ {
		assert.True(t, list[i-1].API < list[i].API || list[i-1].API == list[i].API && list[i-1].Profile < list[i].Profile, "sorted")
	}

	// Save replaces; SavedAt is set on the stored copy only.
	entry := apiKeyEntry("other", "first-5ecret")
	require.NoError(t, s.Save(ctx, entry))
	entry.MoviesAPIKey.Key, entry.SavedAt = "replaced-5ecret", time.Time{}
	require.NoError(t, s.Save(ctx, entry))
	assert.True(t, entry.SavedAt.IsZero())
	got, err := s.Load(ctx, mediaauth.APIMovies, "other")
	require.NoError(t, err)
	assert.Equal(t, "replaced-5ecret", got.MoviesAPIKey.Key)
	assert.WithinDuration(t, time.Now(), got.SavedAt, time.Minute)

	for _, e := range saved {
		require.NoError(t, s.Delete(ctx, e.API, e.Profile))
		require.ErrorIs(t, s.Delete(ctx, e.API, e.Profile), mediaauth.ErrCredentialNotFound)
	}
	list, err = s.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1, "the replaced entry, under a profile fullEntries does not use")
	assert.Equal(t, "other", list[0].Profile)

	// Arguments are checked before the keychain is touched.
	require.ErrorIs(t, s.Save(ctx, &mediaauth.StoredCredentials{API: mediaauth.APITMDb, Profile: "../x"}), mediaauth.ErrInvalidArgument)
	_, err = s.Load(ctx, "netflix", "p")
	require.ErrorIs(t, err, mediaauth.ErrInvalidArgument)
	require.ErrorIs(t, s.CheckSave(ctx, mediaauth.APITVmaze, ""), mediaauth.ErrInvalidArgument)
}

// TestKeychainStoreMemory runs the store's logic on a keychain in memory.
func TestKeychainStoreMemory(t *testing.T) {
	t.Parallel()
	testKeychainStore(t, mediaauth.NewMemoryKeychainStore("mediaauth-test", &mediaauth.MemoryKeychain{}, filepath.Join(t.TempDir(), "k.lock")))
}

// TestKeychainStoreOS runs the store against the OS keychain: a Secret
// Service in CI (gnome-keyring under dbus-run-session).
func TestKeychainStoreOS(t *testing.T) {
	testKeychainStore(t, osKeychain(t))
}

// TestKeychainStoreTwoWriters: two stores sharing one keychain and lock
// file (two processes) saving at once both keep every entry in the index.
func TestKeychainStoreTwoWriters(t *testing.T) {
	t.Parallel()
	kc := &mediaauth.MemoryKeychain{}
	lock := filepath.Join(t.TempDir(), "k.lock")
	stores := []*mediaauth.KeychainStore{mediaauth.NewMemoryKeychainStore("svc", kc, lock), mediaauth.NewMemoryKeychainStore("svc", kc, lock)}
	var wg sync.WaitGroup
	for w, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				assert.NoError(t, s.Save(t.Context(), apiKeyEntry(fmt.Sprintf("w%d-%02d", w, i), "k")))
			}
		}()
	}
	wg.Wait()
	list, err := stores[0].List(t.Context())
	require.NoError(t, err)
	assert.Len(t, list, 50)
}

// TestKeychainStoreCorruptItem: an item that is not an entry's JSON is an
// error that names it without quoting it; an entry the index names but the
// keychain lost is left out of List.
func TestKeychainStoreCorruptItem(t *testing.T) {
	t.Parallel()
	kc := &mediaauth.MemoryKeychain{}
	s := mediaauth.NewMemoryKeychainStore("svc", kc, filepath.Join(t.TempDir(), "k.lock"))
	ctx := t.Context()
	require.NoError(t, kc.Set("svc", "movies/p", `{"api":"movies","profile":"p","movies_api_key":{"api_key":""},"x":"SECRET-1"}`))
	_, err := s.Load(ctx, mediaauth.APIMovies, "p")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `keychain "svc" item movies/p is not valid credentials JSON`)
	assert.NotContains(t, err.Error(), "SECRET")
	require.NoError(t, kc.Set("svc", "movies/p", `{"api":"movies","profile":"p","movies_token":{"access_token":""}}`))
	_, err = s.Load(ctx, mediaauth.APIMovies, "p")
	assert.ErrorContains(t, err, "movies_token.access_token is empty")
	require.NoError(t, kc.Set("svc", "movies/p", `{"api":"movies","profile":"q","movies_api_key":{"api_key":"k"}}`))
	_, err = s.Load(ctx, mediaauth.APIMovies, "p")
	assert.ErrorContains(t, err, "another API or profile")

	require.NoError(t, s.Save(ctx, apiKeyEntry("lost", "k")))
	require.NoError(t, kc.Delete("svc", "movies/lost"))
	list, err := s.List(ctx)
	require.NoError(t, err)
	assert.Empty(t, list)
}

// TestKeychainStoreUnavailable: without a D-Bus session bus, the store
// says at once that there is no keychain. It runs in a process of its own,
// since the D-Bus library keeps its first connection.
func TestKeychainStoreUnavailable(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the Secret Service is reached over D-Bus on Linux only")
	}
	if os.Getenv("MEDIAAUTH_KEYCHAIN_HELPER") == "1" {
		s, err := mediaauth.NewKeychainStore("mediaauth-test")
		require.NoError(t, err)
		err = s.Available(t.Context())
		require.ErrorIs(t, err, mediaauth.ErrKeychainUnavailable)
		require.ErrorIs(t, s.Save(t.Context(), apiKeyEntry("p", "k")), mediaauth.ErrKeychainUnavailable)
		return
	}
	t.Parallel()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestKeychainStoreUnavailable$", "-test.count=1")
	cmd.Env = append(os.Environ(), "MEDIAAUTH_KEYCHAIN_HELPER=1", "DBUS_SESSION_BUS_ADDRESS=unix:path="+t.TempDir()+"/no-bus")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "PASS")
	assert.Less(t, time.Since(start), 5*time.Second)
}

// TestNewKeychainStore checks the service name.
func TestNewKeychainStore(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "  ", "a\nb"} {
		_, err := mediaauth.NewKeychainStore(bad)
		assert.ErrorIs(t, err, mediaauth.ErrInvalidArgument, "%q", bad)
	}
	s, err := mediaauth.NewKeychainStore("mediaauth")
	require.NoError(t, err)
	assert.Equal(t, "mediaauth", s.Service())
	var zero mediaauth.KeychainStore
	require.ErrorIs(t, zero.Available(t.Context()), mediaauth.ErrInvalidArgument)
}

// Credentials in the OS keychain where one answers, else in a 0600 file,
// as the mediaauth command keeps them. (Not run: it would write to the
// keychain of the machine that runs the tests.)
func ExampleKeychainStore() {
	ctx := context.Background()
	var store mediaauth.CredentialStore
	keychain, err := mediaauth.NewKeychainStore("my-app")
	if err == nil {
		err = keychain.Available(ctx)
	}
	if err == nil {
		store = keychain
	} else {
		// No keychain here (errors.Is(err, mediaauth.ErrKeychainUnavailable)).
		dir, err := os.UserConfigDir()
		if err != nil {
			fmt.Println(err)
			return
		}
		file, err := mediaauth.NewFileStore(filepath.Join(dir, "my-app", "credentials.json"))
		if err != nil {
			fmt.Println(err)
			return
		}
		store = file
	}
	creds, err := store.Load(ctx, mediaauth.APITVmaze, mediaauth.DefaultProfile)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(creds.TVmaze) // printing never shows the API key
}
