package mediaauth_test

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
)

// TestFileStoreRefusesInvalidUTF8: encoding/json reads a string that is not
// valid UTF-8 as U+FFFD without a word, so a file holding one would load
// altered and the next Save would write the altered secret back. The store
// refuses such a file instead, naming it and the JSON field, for every
// operation, and leaves its bytes as they are.
func TestFileStoreRefusesInvalidUTF8(t *testing.T) {
	const other = `{"api":"movies","profile":"other","movies_api_key":{"api_key":"SECRET-ok"}}`
	for _, tc := range []struct {
		name, content, field string
	}{
		{name: "access token", field: "credentials[0].movies_token.access_token",
			content: `{"version":1,"credentials":[{"api":"movies","profile":"p","movies_token":{"access_token":"SECRET-` + "\xff\xfe" + `-tok"}}]}`},
		{name: "second entry, token type", field: "credentials[1].movies_token.token_type",
			content: `{"version":1,"credentials":[` + other + `,{"api":"movies","profile":"p","movies_token":{"access_token":"SECRET-a","token_type":"bea` + "\xc3" + `rer"}}]}`},
		{name: "API key", field: "credentials[0].movies_api_key.api_key",
			content: `{"version":1,"credentials":[{"api":"movies","profile":"p","movies_api_key":{"api_key":"SECRET-` + "\xed\xa0\x80" + `"}}]}`},
		{name: "TVmaze username", field: "credentials[0].tvmaze.username",
			content: `{"version":1,"credentials":[{"api":"tvmaze","profile":"p","tvmaze":{"username":"al` + "\x80" + `ice","api_key":"SECRET-k"}}]}`},
		{name: "TMDb account", field: "credentials[0].tmdb_access_token.account_id",
			content: `{"version":1,"credentials":[{"api":"tmdb","profile":"p","tmdb_access_token":{"access_token":"SECRET-v4","account_id":"4bc` + "\xf0\x9f" + `"}}]}`},
		{name: "profile", field: "credentials[0].profile",
			content: `{"version":1,"credentials":[{"api":"tmdb","profile":"work` + "\xff" + `","tmdb_session":{"session_id":"SECRET-s"}}]}`},
		{name: "lone surrogate escape", field: "credentials[0].tmdb_guest_session.guest_session_id",
			content: `{"version":1,"credentials":[{"api":"tmdb","profile":"p","tmdb_guest_session":{"guest_session_id":"SECRET-\ud800-g"}}]}`},
		{name: "surrogates reversed", field: "credentials[0].tmdb_session.session_id",
			content: `{"version":1,"credentials":[{"api":"tmdb","profile":"p","tmdb_session":{"session_id":"SECRET-\ude00\ud83d"}}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := storeWithFile(t, tc.content)
			_, loadErr := s.Load(ctx, mediaauth.APIMovies, "p")
			_, listErr := s.List(ctx)
			for op, err := range map[string]error{
				"Load":   loadErr,
				"List":   listErr,
				"Save":   s.Save(ctx, apiKeyEntry("new", "k")),
				"Delete": s.Delete(ctx, mediaauth.APIMovies, "p"),
			} {
				require.Error(t, err, op)
				msg := err.Error()
				assert.Contains(t, msg, s.Path(), "%s: the error names the file", op)
				assert.Contains(t, msg, "not a valid credentials file", op)
				assert.Contains(t, msg, tc.field+" is not valid UTF-8", op)
				assert.NotContains(t, msg, "SECRET", "%s: the error shows the file's content", op)
				assert.NotErrorIs(t, err, mediaauth.ErrCredentialNotFound, op)
			}
			data, err := os.ReadFile(s.Path())
			require.NoError(t, err)
			assert.Equal(t, []byte(tc.content), data, "the file was rewritten")
		})
	}
}

// TestFileStoreKeepsValidEscapes: what JSON escapes stand for in valid
// UTF-8 (a surrogate pair, a control character, a quote) is read as it is.
func TestFileStoreKeepsValidEscapes(t *testing.T) {
	ctx := context.Background()
	s := storeWithFile(t, `{"version":1,"credentials":[{"api":"tmdb","profile":"p \u00e9\u2713",`+
		`"tmdb_session":{"session_id":"s-\ud83d\ude00-\u0001-\"-\\ud800-é"}}]}`)
	got, err := s.Load(ctx, mediaauth.APITMDb, "p é✓")
	require.NoError(t, err)
	assert.Equal(t, "s-\U0001F600-\x01-\"-\\ud800-é", got.TMDbSession.ID)
	require.NoError(t, s.Save(ctx, apiKeyEntry("new", "k")))
	got, err = s.Load(ctx, mediaauth.APITMDb, "p é✓")
	require.NoError(t, err)
	assert.Equal(t, "s-\U0001F600-\x01-\"-\\ud800-é", got.TMDbSession.ID, "kept through a Save")
}
