package mediaauth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
)

// Keep a user's TVmaze credentials between runs of a program. A program
// would use mediaauth.DefaultCredentialsPath() rather than a temporary
// directory.
func ExampleFileStore() {
	dir, err := os.MkdirTemp("", "mediaauth-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	store, err := mediaauth.NewFileStore(filepath.Join(dir, "credentials.json"))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	// After a login (PollUntilConfirmed for TVmaze), keep what it returned.
	err = store.Save(ctx, &mediaauth.StoredCredentials{
		API:     mediaauth.APITVmaze,
		Profile: mediaauth.DefaultProfile,
		TVmaze:  &mediaauth.TVmazeCredentials{Username: "alice", APIKey: "s3cr3t-api-key"},
	})
	if err != nil {
		log.Fatal(err)
	}

	// On the next run, load them instead of logging in again.
	creds, err := store.Load(ctx, mediaauth.APITVmaze, mediaauth.DefaultProfile)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(creds.TVmaze.Username)
	fmt.Println(creds.TVmaze) // printing never shows the API key

	// Credentials never saved are ErrCredentialNotFound: time to log in.
	_, err = store.Load(ctx, mediaauth.APITMDb, "work")
	fmt.Println(errors.Is(err, mediaauth.ErrCredentialNotFound))

	// Output:
	// alice
	// mediaauth.TVmazeCredentials{Username:"alice" APIKey:[REDACTED]}
	// true
}

func TestStoredCredentialsString(t *testing.T) {
	c := mediaauth.StoredCredentials{
		API: mediaauth.APITVmaze, Profile: "work", SavedAt: goldenTime,
		TVmaze: &mediaauth.TVmazeCredentials{Username: "alice", APIKey: "tvmaze-SECRET"},
	}
	want := `mediaauth.StoredCredentials{API:"tvmaze" Profile:"work" SavedAt:2030-01-02T03:04:05Z ` +
		`MoviesToken:nil MoviesAPIKey:nil TVmaze:mediaauth.TVmazeCredentials{Username:"alice" APIKey:[REDACTED]} ` +
		`TMDbSession:nil TMDbGuestSession:nil TMDbAccessToken:nil}`
	assert.Equal(t, want, c.String())
	assert.Equal(t, want, fmt.Sprintf("%+v", &c))
	assert.Equal(t, `mediaauth.StoredCredentials{API:"" Profile:"" SavedAt:unknown `+
		`MoviesToken:nil MoviesAPIKey:nil TVmaze:nil TMDbSession:nil TMDbGuestSession:nil TMDbAccessToken:nil}`,
		mediaauth.StoredCredentials{}.String())
}

// validStored returns a valid entry of each API, for the table below to
// break.
func validStored(api mediaauth.API) *mediaauth.StoredCredentials {
	c := &mediaauth.StoredCredentials{API: api, Profile: mediaauth.DefaultProfile}
	switch api {
	case mediaauth.APIMovies:
		c.MoviesToken = &mediaauth.Token{AccessToken: "SECRET-access", TokenType: "bearer"}
	case mediaauth.APITVmaze:
		c.TVmaze = &mediaauth.TVmazeCredentials{Username: "alice", APIKey: "SECRET-key"}
	case mediaauth.APITMDb:
		c.TMDbSession = &mediaauth.Session{ID: "SECRET-session"}
	}
	return c
}

func TestStoredCredentialsValidation(t *testing.T) {
	with := func(api mediaauth.API, change func(*mediaauth.StoredCredentials)) *mediaauth.StoredCredentials {
		c := validStored(api)
		change(c)
		return c
	}
	profile := func(p string) *mediaauth.StoredCredentials {
		return with(mediaauth.APITMDb, func(c *mediaauth.StoredCredentials) { c.Profile = p })
	}
	for _, tc := range []struct {
		name  string
		creds *mediaauth.StoredCredentials
		why   string // in the error; "" when valid
	}{
		{name: "movies token", creds: validStored(mediaauth.APIMovies)},
		{name: "tvmaze", creds: validStored(mediaauth.APITVmaze)},
		{name: "tmdb session", creds: validStored(mediaauth.APITMDb)},
		{name: "movies token and key", creds: with(mediaauth.APIMovies, func(c *mediaauth.StoredCredentials) {
			c.MoviesAPIKey = &mediaauth.APIKey{Key: "SECRET-key"}
		})},
		{name: "movies key alone", creds: with(mediaauth.APIMovies, func(c *mediaauth.StoredCredentials) {
			c.MoviesToken, c.MoviesAPIKey = nil, &mediaauth.APIKey{Key: "SECRET-key"}
		})},
		{name: "tmdb guest and v4 without account id", creds: with(mediaauth.APITMDb, func(c *mediaauth.StoredCredentials) {
			c.TMDbSession = nil
			c.TMDbGuestSession = &mediaauth.GuestSession{ID: "SECRET-guest"}
			c.TMDbAccessToken = &mediaauth.TMDbAccessToken{AccessToken: "SECRET-v4"}
		})},
		{name: "profile of 64 bytes", creds: profile(strings.Repeat("é", 32))},
		{name: "profile with spaces and symbols", creds: profile("my work: account #2 (ñ)")},

		{name: "nil", creds: nil, why: "nil StoredCredentials"},
		{name: "no API", creds: with(mediaauth.APIMovies, func(c *mediaauth.StoredCredentials) { c.API = "" }), why: "unknown API"},
		{name: "unknown API", creds: with(mediaauth.APIMovies, func(c *mediaauth.StoredCredentials) { c.API = "Movies" }), why: "unknown API"},
		{name: "empty profile", creds: profile(""), why: "empty profile"},
		{name: "profile of 65 bytes", creds: profile(strings.Repeat("a", 65)), why: "longer than 64 bytes"},
		{name: "profile with slash", creds: profile("work/home"), why: "path separator"},
		{name: "profile with backslash", creds: profile(`work\home`), why: "path separator"},
		{name: "profile dot", creds: profile("."), why: "not allowed"},
		{name: "profile dot dot", creds: profile(".."), why: "not allowed"},
		{name: "profile with newline", creds: profile("work\nhome"), why: "control character"},
		{name: "profile with NUL", creds: profile("work\x00"), why: "control character"},
		{name: "profile with C1 control", creds: profile("work\u0085"), why: "control character"},
		{name: "profile not UTF-8", creds: profile("work\xff"), why: "not valid UTF-8"},
		{name: "no credential", creds: &mediaauth.StoredCredentials{API: mediaauth.APITMDb, Profile: "p"}, why: "no credential set"},
		{name: "tvmaze with tmdb session", creds: with(mediaauth.APITVmaze, func(c *mediaauth.StoredCredentials) {
			c.TMDbSession = &mediaauth.Session{ID: "SECRET-session"}
		}), why: "TMDbSession is a TMDb credential"},
		{name: "movies with tvmaze", creds: with(mediaauth.APIMovies, func(c *mediaauth.StoredCredentials) {
			c.TVmaze = &mediaauth.TVmazeCredentials{Username: "u", APIKey: "SECRET-key"}
		}), why: "TVmaze is a TVmaze credential"},
		{name: "tmdb with movies key", creds: with(mediaauth.APITMDb, func(c *mediaauth.StoredCredentials) {
			c.MoviesAPIKey = &mediaauth.APIKey{Key: "SECRET-key"}
		}), why: "MoviesAPIKey is a Movies API credential"},
		{name: "tmdb with v4 token only, under tvmaze", creds: with(mediaauth.APITVmaze, func(c *mediaauth.StoredCredentials) {
			c.TVmaze, c.TMDbAccessToken = nil, &mediaauth.TMDbAccessToken{AccessToken: "SECRET-v4"}
		}), why: "TMDbAccessToken is a TMDb credential"},
		{name: "empty access token", creds: with(mediaauth.APIMovies, func(c *mediaauth.StoredCredentials) {
			c.MoviesToken.AccessToken = ""
		}), why: "MoviesToken.AccessToken is empty"},
		{name: "empty api key", creds: with(mediaauth.APIMovies, func(c *mediaauth.StoredCredentials) {
			c.MoviesAPIKey = &mediaauth.APIKey{}
		}), why: "MoviesAPIKey.Key is empty"},
		{name: "empty tvmaze username", creds: with(mediaauth.APITVmaze, func(c *mediaauth.StoredCredentials) {
			c.TVmaze.Username = ""
		}), why: "TVmaze.Username is empty"},
		{name: "empty tvmaze key", creds: with(mediaauth.APITVmaze, func(c *mediaauth.StoredCredentials) {
			c.TVmaze.APIKey = ""
		}), why: "TVmaze.APIKey is empty"},
		{name: "empty session id", creds: with(mediaauth.APITMDb, func(c *mediaauth.StoredCredentials) {
			c.TMDbSession.ID = ""
		}), why: "TMDbSession.ID is empty"},
		{name: "empty guest session id", creds: with(mediaauth.APITMDb, func(c *mediaauth.StoredCredentials) {
			c.TMDbGuestSession = &mediaauth.GuestSession{}
		}), why: "TMDbGuestSession.ID is empty"},
		{name: "empty v4 token", creds: with(mediaauth.APITMDb, func(c *mediaauth.StoredCredentials) {
			c.TMDbAccessToken = &mediaauth.TMDbAccessToken{AccountID: "a"}
		}), why: "TMDbAccessToken.AccessToken is empty"},
		{name: "secret not UTF-8", creds: with(mediaauth.APITMDb, func(c *mediaauth.StoredCredentials) {
			c.TMDbSession.ID = "SECRET-\xff"
		}), why: "TMDbSession.ID is not valid UTF-8"},
		{name: "token type not UTF-8", creds: with(mediaauth.APIMovies, func(c *mediaauth.StoredCredentials) {
			c.MoviesToken.TokenType = "bearer\xff"
		}), why: "MoviesToken.TokenType is not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestStore(t)
			err := s.Save(context.Background(), tc.creds)
			if tc.why == "" {
				require.NoError(t, err)
				got, err := s.Load(context.Background(), tc.creds.API, tc.creds.Profile)
				require.NoError(t, err)
				assert.Equal(t, tc.creds.Profile, got.Profile)
				return
			}
			require.ErrorIs(t, err, mediaauth.ErrInvalidArgument)
			assert.Contains(t, err.Error(), tc.why)
			assert.NotContains(t, err.Error(), "SECRET")
			_, statErr := os.Stat(filepath.Dir(s.Path()))
			assert.ErrorIs(t, statErr, os.ErrNotExist, "an invalid Save touched the file system")
		})
	}
}

// TestCredentialStoreKeyValidation: Load and Delete check the API and
// profile as Save does, before reading anything.
func TestCredentialStoreKeyValidation(t *testing.T) {
	ctx := context.Background()
	var store mediaauth.CredentialStore = newTestStore(t)
	for _, tc := range []struct {
		name    string
		api     mediaauth.API
		profile string
		why     string
	}{
		{"unknown API", "netflix", mediaauth.DefaultProfile, `unknown API "netflix"`},
		{"empty API", "", mediaauth.DefaultProfile, "unknown API"},
		{"empty profile", mediaauth.APIMovies, "", "empty profile"},
		{"path in profile", mediaauth.APITMDb, "../../etc/passwd", "path separator"},
		{"control character", mediaauth.APITVmaze, "a\tb", "control character"},
		{"too long", mediaauth.APITVmaze, strings.Repeat("x", 100), "longer than 64 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := store.Load(ctx, tc.api, tc.profile)
			require.ErrorIs(t, err, mediaauth.ErrInvalidArgument, "Load")
			assert.Contains(t, err.Error(), tc.why)
			err = store.Delete(ctx, tc.api, tc.profile)
			require.ErrorIs(t, err, mediaauth.ErrInvalidArgument, "Delete")
			assert.Contains(t, err.Error(), tc.why)
		})
	}
}

func TestStoreSentinels(t *testing.T) {
	assert.Equal(t, "credential not found", mediaauth.ErrCredentialNotFound.Error())
	assert.Equal(t, "invalid argument", mediaauth.ErrInvalidArgument.Error())
	assert.NotErrorIs(t, mediaauth.ErrInvalidArgument, mediaauth.ErrBadRequest)
	assert.NotErrorIs(t, mediaauth.ErrCredentialNotFound, mediaauth.ErrNotFound)
	assert.Equal(t, "default", mediaauth.DefaultProfile)
}

// TestStoredCredentialsCredentials checks that a StoredCredentials gives
// back the values it holds, in a form With takes.
func TestStoredCredentialsCredentials(t *testing.T) {
	t.Parallel()
	sess := mediaauth.Session{ID: "session-id"}
	at := mediaauth.TMDbAccessToken{AccessToken: "access-token", AccountID: "a1"}
	stored := mediaauth.StoredCredentials{API: mediaauth.APITMDb, Profile: "default", TMDbSession: &sess, TMDbAccessToken: &at}
	assert.Equal(t, []mediaauth.Credential{sess, at}, stored.Credentials())
	assert.Empty(t, mediaauth.StoredCredentials{}.Credentials())
	tok := mediaauth.Token{AccessToken: "movies-token"}
	key := mediaauth.APIKey{Key: "movies-key"}
	tv := mediaauth.TVmazeCredentials{Username: "u", APIKey: "k"}
	all := mediaauth.StoredCredentials{MoviesToken: &tok, MoviesAPIKey: &key, TVmaze: &tv}
	assert.Equal(t, []mediaauth.Credential{tok, key, tv}, all.Credentials())
}
