package mediaauth_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
)

// newTestStore returns a FileStore whose file is in a directory that does
// not exist yet, under t.TempDir.
func newTestStore(t *testing.T) *mediaauth.FileStore {
	t.Helper()
	s, err := mediaauth.NewFileStore(filepath.Join(t.TempDir(), "config", "mediaauth", "credentials.json"))
	require.NoError(t, err)
	return s
}

// storeWithFile returns a FileStore whose file already holds content, with
// the file mode 0600 in a directory of mode 0700.
func storeWithFile(t *testing.T, content string) *mediaauth.FileStore {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mediaauth")
	require.NoError(t, os.Mkdir(dir, 0o700))
	path := filepath.Join(dir, "credentials.json")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	s, err := mediaauth.NewFileStore(path)
	require.NoError(t, err)
	return s
}

// apiKeyEntry is a small valid entry: a Movies API key for profile.
func apiKeyEntry(profile, key string) *mediaauth.StoredCredentials {
	return &mediaauth.StoredCredentials{
		API: mediaauth.APIMovies, Profile: profile, SavedAt: goldenTime,
		MoviesAPIKey: &mediaauth.APIKey{Key: key},
	}
}

// fullEntries are entries that set every field of StoredCredentials, in
// List order.
func fullEntries() []mediaauth.StoredCredentials {
	return []mediaauth.StoredCredentials{
		{
			API: mediaauth.APIMovies, Profile: mediaauth.DefaultProfile, SavedAt: goldenTime,
			MoviesToken:  &mediaauth.Token{AccessToken: "movies-SECRET-access", TokenType: "bearer", ExpiresAt: goldenTime},
			MoviesAPIKey: &mediaauth.APIKey{Key: "movies-SECRET-key", CreatedAt: goldenNanoTime},
		},
		{
			API: mediaauth.APITMDb, Profile: "work", SavedAt: goldenNanoTime,
			TMDbSession:      &mediaauth.Session{ID: "tmdb-SECRET-session"},
			TMDbGuestSession: &mediaauth.GuestSession{ID: "tmdb-SECRET-guest", ExpiresAt: goldenTime},
			TMDbAccessToken:  &mediaauth.TMDbAccessToken{AccessToken: "tmdb-SECRET-v4", AccountID: "4bc8892a017a3c0f92000002"},
		},
		{
			API: mediaauth.APITVmaze, Profile: "Ünïcode profile ✓", SavedAt: goldenTime,
			TVmaze: &mediaauth.TVmazeCredentials{Username: "alice", APIKey: "tvmaze-SECRET-key"},
		},
	}
}

// requireSameCreds compares credentials field by field, times with Equal;
// on a difference it shows both as JSON, since printing hides secrets.
func requireSameCreds(t *testing.T, want, got any) {
	t.Helper()
	if !sameValue(reflect.ValueOf(want), reflect.ValueOf(got)) {
		t.Fatalf("got\n%s\nwant\n%s", prettyJSON(t, got), prettyJSON(t, want))
	}
}

// readFile returns the content of path, failing the test if it cannot.
func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

// dirNames lists the names in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestFileStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	for _, e := range fullEntries() {
		t.Run(string(e.API), func(t *testing.T) {
			require.NoError(t, s.Save(ctx, &e))
			got, err := s.Load(ctx, e.API, e.Profile)
			require.NoError(t, err)
			requireSameCreds(t, &e, got)
		})
	}
	list, err := s.List(ctx)
	require.NoError(t, err)
	requireSameCreds(t, fullEntries(), list)

	// A second FileStore on the same file reads the same.
	again, err := mediaauth.NewFileStore(s.Path())
	require.NoError(t, err)
	list, err = again.List(ctx)
	require.NoError(t, err)
	requireSameCreds(t, fullEntries(), list)
}

func TestFileStoreSavedAt(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	now := time.Date(2031, time.March, 4, 5, 6, 7, 891, time.FixedZone("CET", 3600))
	mediaauth.SetStoreClock(s, func() time.Time { return now })

	unset := apiKeyEntry("unset", "k1")
	unset.SavedAt = time.Time{}
	require.NoError(t, s.Save(ctx, unset))
	assert.True(t, unset.SavedAt.IsZero(), "Save changed the caller's value")
	got, err := s.Load(ctx, mediaauth.APIMovies, "unset")
	require.NoError(t, err)
	assert.True(t, got.SavedAt.Equal(now.Truncate(time.Second)), "SavedAt = %s, want the clock's time to the second", got.SavedAt)
	assert.Equal(t, time.UTC, got.SavedAt.Location())

	set := apiKeyEntry("set", "k2")
	require.NoError(t, s.Save(ctx, set))
	got, err = s.Load(ctx, mediaauth.APIMovies, "set")
	require.NoError(t, err)
	assert.True(t, got.SavedAt.Equal(goldenTime), "a SavedAt the caller set is kept")
}

func TestFileStoreSaveReplaces(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	require.NoError(t, s.Save(ctx, apiKeyEntry("p", "old-key")))
	require.NoError(t, s.Save(ctx, &mediaauth.StoredCredentials{
		API: mediaauth.APIMovies, Profile: "p", SavedAt: goldenTime,
		MoviesToken: &mediaauth.Token{AccessToken: "new-token"},
	}))
	list, err := s.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Nil(t, list[0].MoviesAPIKey, "Save replaces the whole entry")
	require.NotNil(t, list[0].MoviesToken)
	assert.Equal(t, "new-token", list[0].MoviesToken.AccessToken)
	assert.NotContains(t, readFile(t, s.Path()), "old-key")
}

// TestFileStoreFormat pins the file a FileStore writes to
// testdata/credentials/store_v1.json (rewritten by -update), and reads that
// file back.
func TestFileStoreFormat(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	entries := fullEntries()
	for _, i := range []int{2, 0, 1} { // saved out of order, written sorted
		require.NoError(t, s.Save(ctx, &entries[i]))
	}
	checkGolden(t, "store_v1.json", []byte(readFile(t, s.Path())))

	golden := storeWithFile(t, readFile(t, goldenPath("store_v1.json")))
	list, err := golden.List(ctx)
	require.NoError(t, err)
	requireSameCreds(t, entries, list)
}

func TestFileStoreFileModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows permissions are not mode bits")
	}
	ctx := context.Background()
	s := newTestStore(t)
	require.NoError(t, s.Save(ctx, apiKeyEntry("p", "k")))
	require.NoError(t, s.Save(ctx, apiKeyEntry("q", "k"))) // a replace keeps the mode

	for path, want := range map[string]fs.FileMode{
		s.Path():                             0o600,
		s.Path() + ".lock":                   0o600,
		filepath.Dir(s.Path()):               0o700 | fs.ModeDir,
		filepath.Dir(filepath.Dir(s.Path())): 0o700 | fs.ModeDir, // created too
	} {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, want, fi.Mode(), "mode of %s", path)
	}
}

func TestFileStoreAtomicReplace(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	require.NoError(t, s.Save(ctx, apiKeyEntry("old", "old-key")))
	before := readFile(t, s.Path())
	dir := filepath.Dir(s.Path())

	crash := errors.New("simulated crash")
	var sawTemp bool
	mediaauth.SetBeforeRename(s, func() error {
		// The new file is written in full beside the old one, which is
		// still as it was.
		for _, name := range dirNames(t, dir) {
			if strings.Contains(name, ".tmp-") {
				sawTemp = strings.Contains(readFile(t, filepath.Join(dir, name)), "new-key")
			}
		}
		assert.Equal(t, before, readFile(t, s.Path()))
		return crash
	})
	err := s.Save(ctx, apiKeyEntry("new", "new-key"))
	require.ErrorIs(t, err, crash)
	assert.Contains(t, err.Error(), s.Path())
	assert.True(t, sawTemp, "no complete temporary file before the rename")

	assert.Equal(t, before, readFile(t, s.Path()), "a failed write changed the file")
	_, err = s.Load(ctx, mediaauth.APIMovies, "new")
	require.ErrorIs(t, err, mediaauth.ErrCredentialNotFound)
	got, err := s.Load(ctx, mediaauth.APIMovies, "old")
	require.NoError(t, err)
	assert.Equal(t, "old-key", got.MoviesAPIKey.Key)
	assert.Equal(t, []string{"credentials.json", "credentials.json.lock"}, dirNames(t, dir), "the failed write left files behind")

	// Without the failure the same Save goes through.
	mediaauth.SetBeforeRename(s, nil)
	require.NoError(t, s.Save(ctx, apiKeyEntry("new", "new-key")))
	require.NoError(t, s.Delete(ctx, mediaauth.APIMovies, "old"))
	assert.Equal(t, []string{"credentials.json", "credentials.json.lock"}, dirNames(t, dir), "stray files after a successful write")
}

// TestFileStoreRemovesStaleTempFiles: a process that died between writing
// its new file and renaming it leaves the file behind; the next writer,
// holding the lock, removes it.
func TestFileStoreRemovesStaleTempFiles(t *testing.T) {
	ctx := context.Background()
	s := storeWithFile(t, `{"version":1,"credentials":[]}`)
	dir := filepath.Dir(s.Path())
	stale := filepath.Join(dir, ".credentials.json.tmp-123456")
	require.NoError(t, os.WriteFile(stale, []byte(`{"version":1,"credentials":[{"api":"movies"`), 0o600))
	other := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(other, nil, 0o600))

	require.NoError(t, s.Save(ctx, apiKeyEntry("p", "k")))
	assert.Equal(t, []string{"credentials.json", "credentials.json.lock", "notes.txt"}, dirNames(t, dir))
}

func TestFileStoreCanceledContext(t *testing.T) {
	s := newTestStore(t)
	require.NoError(t, s.Save(context.Background(), apiKeyEntry("p", "k")))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	_, err := s.Load(ctx, mediaauth.APIMovies, "p")
	assert.ErrorIs(t, err, context.Canceled, "Load")
	_, err = s.List(ctx)
	assert.ErrorIs(t, err, context.Canceled, "List")
	assert.ErrorIs(t, s.Save(ctx, apiKeyEntry("q", "k")), context.Canceled, "Save")
	assert.ErrorIs(t, s.Delete(ctx, mediaauth.APIMovies, "p"), context.Canceled, "Delete")
}

func TestFileStoreRefusesOpenPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows permissions are not mode bits")
	}
	const content = `{"version":1,"credentials":[]}`
	for _, tc := range []struct {
		name              string
		fileMode, dirMode fs.FileMode
		wantFix           string // the chmod, %s standing for the path
		dir               bool   // the path in the fix is the directory's
	}{
		{name: "file readable by all", fileMode: 0o644, dirMode: 0o700, wantFix: "chmod 600 %s"},
		{name: "file readable by group", fileMode: 0o640, dirMode: 0o700, wantFix: "chmod 600 %s"},
		{name: "file writable by others", fileMode: 0o602, dirMode: 0o700, wantFix: "chmod 600 %s"},
		{name: "file open to all", fileMode: 0o666, dirMode: 0o700, wantFix: "chmod 600 %s"},
		{name: "directory readable by all", fileMode: 0o600, dirMode: 0o755, wantFix: "chmod 700 %s", dir: true},
		{name: "directory writable by group", fileMode: 0o600, dirMode: 0o770, wantFix: "chmod 700 %s", dir: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := storeWithFile(t, content)
			dir := filepath.Dir(s.Path())
			require.NoError(t, os.Chmod(s.Path(), tc.fileMode))
			require.NoError(t, os.Chmod(dir, tc.dirMode))
			fixed := s.Path()
			if tc.dir {
				fixed = dir
			}
			wantFix := fmt.Sprintf(tc.wantFix, fixed)

			_, loadErr := s.Load(ctx, mediaauth.APIMovies, "p")
			_, listErr := s.List(ctx)
			for op, err := range map[string]error{
				"Load":      loadErr,
				"List":      listErr,
				"Save":      s.Save(ctx, apiKeyEntry("p", "k")),
				"Delete":    s.Delete(ctx, mediaauth.APIMovies, "p"),
				"CheckSave": s.CheckSave(ctx, mediaauth.APIMovies, "p"),
			} {
				require.Error(t, err, op)
				assert.Contains(t, err.Error(), wantFix, "%s: the error says how to fix it", op)
				assert.NotErrorIs(t, err, mediaauth.ErrCredentialNotFound, op)
			}
			assert.Equal(t, content, readFile(t, s.Path()), "the file was changed")

			// Once fixed, the store works.
			require.NoError(t, os.Chmod(s.Path(), 0o600))
			require.NoError(t, os.Chmod(dir, 0o700))
			require.NoError(t, s.Save(ctx, apiKeyEntry("p", "k")))
		})
	}
}

func TestFileStoreRefusesSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	ctx := context.Background()
	s := storeWithFile(t, `{"version":1,"credentials":[]}`)
	target := s.Path() + ".target"
	require.NoError(t, os.Rename(s.Path(), target))
	require.NoError(t, os.Symlink(target, s.Path()))

	_, err := s.List(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a regular file")
	err = s.Save(ctx, apiKeyEntry("p", "k"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a regular file")
	fi, err := os.Lstat(s.Path())
	require.NoError(t, err)
	assert.Equal(t, fs.ModeSymlink, fi.Mode().Type(), "the link was replaced")
}

func TestFileStoreCorruptFile(t *testing.T) {
	// Every secret-looking string below must stay out of the errors.
	for _, tc := range []struct {
		name, content, why string
	}{
		{name: "empty", content: "", why: "not JSON"},
		{name: "truncated", content: `{"version":1,"credentials":[{"api":"movies","profile":"p","movies_api_key":{"api_key":"SECRET-1"`, why: "not JSON"},
		{name: "not JSON", content: "api_key=SECRET-2\n", why: "not JSON"},
		{name: "trailing data", content: `{"version":1,"credentials":[]} {"SECRET-3":1}`, why: "not JSON"},
		{name: "array", content: `["SECRET-4"]`, why: "not a JSON object"},
		{name: "null", content: `null`, why: "no version"},
		{name: "no version", content: `{"credentials":[]}`, why: "no version"},
		{name: "newer version", content: `{"version":2,"credentials":"SECRET-5"}`, why: "version 2"},
		{name: "version zero", content: `{"version":0,"credentials":[]}`, why: "version 0"},
		{name: "unknown field", content: `{"version":1,"credentials":[{"api":"tmdb","profile":"p","tmdb_session":{"session_id":"s"},"SECRET-6":"x"}]}`, why: "field this version"},
		{name: "wrong type", content: `{"version":1,"credentials":[{"api":"tmdb","profile":"p","tmdb_session":{"session_id":12345}}]}`, why: "credentials.tmdb_session.session_id has the wrong type"},
		{name: "bad time", content: `{"version":1,"credentials":[{"api":"tmdb","profile":"p","tmdb_guest_session":{"guest_session_id":"g","expires_at":"SECRET-7"}}]}`, why: "RFC 3339"},
		{name: "unknown API", content: `{"version":1,"credentials":[{"api":"netflix","profile":"p","movies_api_key":{"api_key":"SECRET-8"}}]}`, why: "entry 1: unknown API"},
		{name: "bad profile", content: `{"version":1,"credentials":[{"api":"movies","profile":"../x","movies_api_key":{"api_key":"SECRET-9"}}]}`, why: "path separator"},
		{name: "credential of another API", content: `{"version":1,"credentials":[{"api":"tvmaze","profile":"p","tvmaze":{"username":"u","api_key":"SECRET-10"},"tmdb_session":{"session_id":"SECRET-11"}}]}`, why: "tmdb_session is a TMDb credential"},
		{name: "no credential", content: `{"version":1,"credentials":[{"api":"tmdb","profile":"p"}]}`, why: "no credential set"},
		{name: "empty secret", content: `{"version":1,"credentials":[{"api":"tvmaze","profile":"p","tvmaze":{"username":"SECRET-12","api_key":""}}]}`, why: "tvmaze.api_key is empty"},
		{name: "empty token", content: `{"version":1,"credentials":[{"api":"movies","profile":"p","movies_token":{"access_token":""}}]}`, why: "movies_token.access_token is empty"},
		{name: "duplicate", content: `{"version":1,"credentials":[` +
			`{"api":"movies","profile":"p","movies_api_key":{"api_key":"SECRET-13"}},` +
			`{"api":"movies","profile":"p","movies_api_key":{"api_key":"SECRET-14"}}]}`, why: "entries 1 and 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := storeWithFile(t, tc.content)
			_, loadErr := s.Load(ctx, mediaauth.APIMovies, "p")
			_, listErr := s.List(ctx)
			for op, err := range map[string]error{
				"Load":      loadErr,
				"List":      listErr,
				"Save":      s.Save(ctx, apiKeyEntry("new", "k")),
				"Delete":    s.Delete(ctx, mediaauth.APIMovies, "p"),
				"CheckSave": s.CheckSave(ctx, mediaauth.APIMovies, "new"),
			} {
				require.Error(t, err, op)
				msg := err.Error()
				assert.Contains(t, msg, s.Path(), "%s: the error names the file", op)
				assert.Contains(t, msg, "not a valid credentials file", op)
				assert.Contains(t, msg, tc.why, op)
				assert.NotContains(t, msg, "SECRET", "%s: the error shows the file's content", op)
				assert.NotErrorIs(t, err, mediaauth.ErrCredentialNotFound, op)
			}
			assert.Equal(t, tc.content, readFile(t, s.Path()), "a corrupt file was overwritten")
		})
	}
}

// TestFileStoreCheckSave: CheckSave says whether a Save would succeed
// without saving anything: it makes the directory a Save would make, and
// leaves no file behind.
func TestFileStoreCheckSave(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestStore(t)
	require.NoError(t, s.CheckSave(ctx, mediaauth.APITVmaze, mediaauth.DefaultProfile))
	dir := filepath.Dir(s.Path())
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	if runtime.GOOS != "windows" {
		assert.Equal(t, fs.FileMode(0o700), fi.Mode().Perm())
	}
	assert.Equal(t, []string{"credentials.json.lock"}, dirNames(t, dir), "no credentials file, no temporary file")

	require.NoError(t, s.Save(ctx, apiKeyEntry("p", "k")))
	before := readFile(t, s.Path())
	require.NoError(t, s.CheckSave(ctx, mediaauth.APIMovies, "p"))
	assert.Equal(t, before, readFile(t, s.Path()), "nothing changed")

	for _, bad := range []struct {
		api     mediaauth.API
		profile string
	}{{mediaauth.APIMovies, "../x"}, {mediaauth.APIMovies, ""}, {"netflix", "p"}} {
		err := s.CheckSave(ctx, bad.api, bad.profile)
		assert.ErrorIs(t, err, mediaauth.ErrInvalidArgument, bad.profile)
	}
	require.ErrorIs(t, mediaauth.CheckProfile("../x"), mediaauth.ErrInvalidArgument)
	assert.Contains(t, mediaauth.CheckProfile("a/b").Error(), `profile "a/b" contains a path separator`)
	require.NoError(t, mediaauth.CheckProfile("work"))

	// A file where the directory should be.
	blocked, err := mediaauth.NewFileStore(filepath.Join(s.Path(), "credentials.json"))
	require.NoError(t, err)
	require.Error(t, blocked.CheckSave(ctx, mediaauth.APIMovies, "p"))
}

func TestFileStoreMissingFile(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	_, err := s.Load(ctx, mediaauth.APITVmaze, mediaauth.DefaultProfile)
	require.ErrorIs(t, err, mediaauth.ErrCredentialNotFound)
	list, err := s.List(ctx)
	require.NoError(t, err)
	assert.NotNil(t, list)
	assert.Empty(t, list)
	_, err = os.Stat(filepath.Dir(s.Path()))
	assert.ErrorIs(t, err, fs.ErrNotExist, "Load or List created the directory")

	require.ErrorIs(t, s.Delete(ctx, mediaauth.APITVmaze, mediaauth.DefaultProfile), mediaauth.ErrCredentialNotFound)
	_, err = os.Stat(s.Path())
	assert.ErrorIs(t, err, fs.ErrNotExist, "Delete of nothing created the file")
}

func TestFileStoreDelete(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	for _, e := range fullEntries() {
		require.NoError(t, s.Save(ctx, &e))
	}
	require.NoError(t, s.Delete(ctx, mediaauth.APITMDb, "work"))

	_, err := s.Load(ctx, mediaauth.APITMDb, "work")
	require.ErrorIs(t, err, mediaauth.ErrCredentialNotFound)
	err = s.Delete(ctx, mediaauth.APITMDb, "work")
	require.ErrorIs(t, err, mediaauth.ErrCredentialNotFound)
	assert.Contains(t, err.Error(), `"work"`)
	assert.NotContains(t, readFile(t, s.Path()), "tmdb-SECRET", "the deleted secrets are still in the file")

	list, err := s.List(ctx)
	require.NoError(t, err)
	want := fullEntries()
	requireSameCreds(t, []mediaauth.StoredCredentials{want[0], want[2]}, list)

	// Deleting the last entries leaves an empty, valid file.
	require.NoError(t, s.Delete(ctx, mediaauth.APIMovies, mediaauth.DefaultProfile))
	require.NoError(t, s.Delete(ctx, mediaauth.APITVmaze, want[2].Profile))
	list, err = s.List(ctx)
	require.NoError(t, err)
	assert.Empty(t, list)
	assert.JSONEq(t, `{"version":1,"credentials":[]}`, readFile(t, s.Path()))
}

func TestFileStoreListOrder(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	keys := []struct {
		api     mediaauth.API
		profile string
	}{
		{mediaauth.APITVmaze, "b"}, {mediaauth.APIMovies, "work"}, {mediaauth.APITMDb, "default"},
		{mediaauth.APIMovies, "Work"}, {mediaauth.APITVmaze, "a"}, {mediaauth.APIMovies, "default"},
	}
	for _, k := range keys {
		e := &mediaauth.StoredCredentials{API: k.api, Profile: k.profile}
		switch k.api {
		case mediaauth.APIMovies:
			e.MoviesAPIKey = &mediaauth.APIKey{Key: "k"}
		case mediaauth.APITVmaze:
			e.TVmaze = &mediaauth.TVmazeCredentials{Username: "u", APIKey: "k"}
		case mediaauth.APITMDb:
			e.TMDbSession = &mediaauth.Session{ID: "s"}
		}
		require.NoError(t, s.Save(ctx, e))
	}
	list, err := s.List(ctx)
	require.NoError(t, err)
	var got []string
	for _, e := range list {
		got = append(got, string(e.API)+"/"+e.Profile)
	}
	assert.Equal(t, []string{
		"movies/Work", "movies/default", "movies/work", "tmdb/default", "tvmaze/a", "tvmaze/b",
	}, got)
	assert.True(t, slices.IsSortedFunc(list, func(a, b mediaauth.StoredCredentials) int {
		return strings.Compare(string(a.API)+"\x00"+a.Profile, string(b.API)+"\x00"+b.Profile)
	}))
}

func TestNewFileStore(t *testing.T) {
	_, err := mediaauth.NewFileStore("")
	require.ErrorIs(t, err, mediaauth.ErrInvalidArgument)

	var zero mediaauth.FileStore
	_, err = zero.List(context.Background())
	require.ErrorContains(t, err, "NewFileStore", "the zero FileStore is refused, not a hang or a panic")
	require.ErrorContains(t, zero.Save(context.Background(), apiKeyEntry("p", "k")), "NewFileStore")

	t.Chdir(t.TempDir())
	s, err := mediaauth.NewFileStore("creds.json")
	require.NoError(t, err)
	assert.True(t, filepath.IsAbs(s.Path()), "Path() = %q is not absolute", s.Path())
	assert.Equal(t, "creds.json", filepath.Base(s.Path()))
	_, err = os.Stat("creds.json")
	assert.ErrorIs(t, err, fs.ErrNotExist, "NewFileStore created the file")
}

func TestDefaultCredentialsPath(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "xdg"))
	t.Setenv("HOME", home)
	t.Setenv("AppData", filepath.Join(home, "appdata"))
	configDir, err := os.UserConfigDir()
	require.NoError(t, err)

	got, err := mediaauth.DefaultCredentialsPath()
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(configDir, "mediaauth", "credentials.json"), got)
}
