package mediaauth_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
)

// The JSON of every credential type is a stable, documented format: programs
// keep credentials in it (FileStore among them) and read them back with a
// later version of the package. These tests pin each type's JSON to a
// golden file under testdata/credentials; run them with -update to rewrite
// the golden files after a deliberate change, and review the diff.

var updateGoldens = flag.Bool("update", false, "rewrite the golden files under testdata/ instead of comparing with them")

// credJSONCase is one credential value: its golden file, the secrets it
// holds, and how to unmarshal the golden file into a value of its type.
type credJSONCase struct {
	golden  string // file name under testdata/credentials
	value   any    // the fixed value (not a pointer)
	secrets []string
	decode  func([]byte) (any, error)
}

// credCase builds a credJSONCase for a value of type T.
func credCase[T any](golden string, v T, secrets ...string) credJSONCase {
	return credJSONCase{golden: golden, value: v, secrets: secrets, decode: func(data []byte) (any, error) {
		var got T
		err := json.Unmarshal(data, &got)
		return got, err
	}}
}

// Fixed times of the golden values: whole seconds, and one with nanoseconds
// to show that RFC 3339 keeps them.
var (
	goldenTime     = time.Date(2030, time.January, 2, 3, 4, 5, 0, time.UTC)
	goldenNanoTime = time.Date(2024, time.May, 6, 7, 8, 9, 123456789, time.UTC)
)

func credJSONCases() []credJSONCase {
	return []credJSONCase{
		credCase("token.json", mediaauth.Token{
			AccessToken: "eyJhbGciOiJIUzI1NiJ9.movies-SECRET-access.sig", TokenType: "bearer", ExpiresAt: goldenTime,
		}, "movies-SECRET-access"),
		credCase("token_without_expiry.json", mediaauth.Token{AccessToken: "movies-SECRET-noexp", TokenType: "bearer"}, "movies-SECRET-noexp"),
		credCase("api_key.json", mediaauth.APIKey{Key: "movies-SECRET-apikey", CreatedAt: goldenNanoTime}, "movies-SECRET-apikey"),
		credCase("tvmaze_credentials.json", mediaauth.TVmazeCredentials{Username: "alice", APIKey: "tvmaze-SECRET-apikey"}, "tvmaze-SECRET-apikey"),
		credCase("auth_request.json", mediaauth.AuthRequest{
			Token: "tvmaze-SECRET-authtoken", ApprovalURL: "https://www.tvmaze.com/auth/confirm?token=tvmaze-SECRET-inurl",
		}, "tvmaze-SECRET-authtoken", "tvmaze-SECRET-inurl"),
		credCase("request_token.json", mediaauth.RequestToken{Token: "tmdb-SECRET-requesttoken", ExpiresAt: goldenTime}, "tmdb-SECRET-requesttoken"),
		credCase("session.json", mediaauth.Session{ID: "tmdb-SECRET-session"}, "tmdb-SECRET-session"),
		credCase("guest_session.json", mediaauth.GuestSession{ID: "tmdb-SECRET-guest", ExpiresAt: goldenTime}, "tmdb-SECRET-guest"),
		credCase("tmdb_access_token.json", mediaauth.TMDbAccessToken{AccessToken: "tmdb-SECRET-v4token", AccountID: "4bc8892a017a3c0f92000002"}, "tmdb-SECRET-v4token"),
		credCase("stored_credentials_movies.json", mediaauth.StoredCredentials{
			API: mediaauth.APIMovies, Profile: "default", SavedAt: goldenTime,
			MoviesToken:  &mediaauth.Token{AccessToken: "movies-SECRET-stored-access", TokenType: "bearer", ExpiresAt: goldenTime},
			MoviesAPIKey: &mediaauth.APIKey{Key: "movies-SECRET-stored-key", CreatedAt: goldenNanoTime},
		}, "movies-SECRET-stored-access", "movies-SECRET-stored-key"),
		credCase("stored_credentials_tvmaze.json", mediaauth.StoredCredentials{
			API: mediaauth.APITVmaze, Profile: "work", SavedAt: goldenTime,
			TVmaze: &mediaauth.TVmazeCredentials{Username: "alice", APIKey: "tvmaze-SECRET-stored"},
		}, "tvmaze-SECRET-stored"),
		credCase("stored_credentials_tmdb.json", mediaauth.StoredCredentials{
			API: mediaauth.APITMDb, Profile: "default", SavedAt: goldenTime,
			TMDbSession:      &mediaauth.Session{ID: "tmdb-SECRET-stored-session"},
			TMDbGuestSession: &mediaauth.GuestSession{ID: "tmdb-SECRET-stored-guest", ExpiresAt: goldenTime},
			TMDbAccessToken:  &mediaauth.TMDbAccessToken{AccessToken: "tmdb-SECRET-stored-v4", AccountID: "4bc8892a017a3c0f92000002"},
		}, "tmdb-SECRET-stored-session", "tmdb-SECRET-stored-guest", "tmdb-SECRET-stored-v4"),
	}
}

// goldenPath is where a golden file of testdata/credentials lives.
func goldenPath(name string) string { return filepath.Join("testdata", "credentials", name) }

// prettyJSON is the form of the golden files: indented by two spaces,
// ending with a newline.
func prettyJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	return append(data, '\n')
}

// checkGolden compares got with the golden file name, or rewrites the file
// under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := goldenPath(name)
	if *updateGoldens {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		t.Logf("rewrote %s", path)
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing: run go test -run %s -update", t.Name())
	assert.Equal(t, string(want), string(got), "JSON differs from %s (if the change is meant, run with -update)", path)
}

func TestCredentialJSONGolden(t *testing.T) {
	for _, tc := range credJSONCases() {
		t.Run(tc.golden, func(t *testing.T) {
			checkGolden(t, tc.golden, prettyJSON(t, tc.value))
		})
	}
}

func TestCredentialJSONRoundTrip(t *testing.T) {
	for _, tc := range credJSONCases() {
		t.Run(tc.golden, func(t *testing.T) {
			data, err := os.ReadFile(goldenPath(tc.golden))
			require.NoError(t, err)
			got, err := tc.decode(data)
			require.NoError(t, err)
			if !sameValue(reflect.ValueOf(tc.value), reflect.ValueOf(got)) {
				// %v would hide the secrets: show both as JSON.
				t.Errorf("%s decodes to\n%s\nwant\n%s", tc.golden, prettyJSON(t, got), prettyJSON(t, tc.value))
			}
		})
	}
}

// sameValue is reflect.DeepEqual except that times are compared with
// time.Time.Equal, since a time read from JSON may carry another Location.
func sameValue(a, b reflect.Value) bool {
	if a.Type() != b.Type() {
		return false
	}
	if a.Type() == reflect.TypeFor[time.Time]() {
		return a.Interface().(time.Time).Equal(b.Interface().(time.Time))
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return sameValue(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			if !sameValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !sameValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// pointerTo returns a pointer to a copy of v.
func pointerTo(v any) any {
	p := reflect.New(reflect.TypeOf(v))
	p.Elem().Set(reflect.ValueOf(v))
	return p.Interface()
}

func TestCredentialsNeverPrintSecrets(t *testing.T) {
	for _, tc := range credJSONCases() {
		t.Run(tc.golden, func(t *testing.T) {
			for _, v := range []any{tc.value, pointerTo(tc.value)} {
				outputs := map[string]string{
					"fmt": fmt.Sprintf("%v %+v %#v %s %q %x %X %d", v, v, v, v, v, v, v, v),
				}
				var jsonLog, textLog bytes.Buffer
				slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("credential", "value", v, slog.Any("attr", v), slog.Group("g", "nested", v))
				slog.New(slog.NewTextHandler(&textLog, nil)).Info("credential", "value", v, slog.Any("attr", v), slog.Group("g", "nested", v))
				outputs["slog JSON"] = jsonLog.String()
				outputs["slog text"] = textLog.String()

				for kind, out := range outputs {
					assert.Contains(t, out, "[REDACTED]", "%s output of %T", kind, v)
					for _, secret := range tc.secrets {
						assert.NotContains(t, out, secret, "%s output of %T shows a secret", kind, v)
					}
				}
			}
		})
	}
}

// TestCredentialGoldensHoldTheirSecrets makes sure the secret checks above
// look for strings that are really there: each secret is in the JSON form.
func TestCredentialGoldensHoldTheirSecrets(t *testing.T) {
	for _, tc := range credJSONCases() {
		t.Run(tc.golden, func(t *testing.T) {
			data := string(prettyJSON(t, tc.value))
			require.NotEmpty(t, tc.secrets)
			for _, secret := range tc.secrets {
				assert.True(t, strings.Contains(data, secret), "the JSON of %s lacks the secret the test looks for", tc.golden)
			}
		})
	}
}
