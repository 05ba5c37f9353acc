package mediaauth

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// DefaultProfile is the profile of a user who keeps a single account for
// each API.
const DefaultProfile = "default"

// maxProfileLen is the longest profile name, in bytes.
const maxProfileLen = 64

// StoredCredentials is what a [CredentialStore] keeps for one API and
// profile: the credentials of that API that a program needs to act for the
// user again later. Only the fields of its API may be set, and at least one
// of them must be: MoviesToken and MoviesAPIKey for [APIMovies], TVmaze for
// [APITVmaze], and TMDbSession, TMDbGuestSession and TMDbAccessToken for
// [APITMDb]. [StoredCredentials.Credentials] gives them back as values for
// [Client.With].
//
// Its JSON form is stable: snake_case names, times in RFC 3339, unset fields
// left out. Printing or logging a StoredCredentials never shows a secret.
type StoredCredentials struct {
	// API is the API the credentials are for: [APIMovies], [APITVmaze] or [APITMDb].
	API API `json:"api"`
	// Profile names the account, so that one user can keep several:
	// "default" ([DefaultProfile]), "work", ... It is at most 64 bytes of
	// UTF-8 without control characters, slashes or backslashes, and is
	// neither "." nor "..", so that a store may use it as a file name.
	Profile string `json:"profile"`
	// SavedAt is when the credentials were saved. Save sets it on the stored
	// copy when it is zero.
	SavedAt time.Time `json:"saved_at,omitzero"`

	// MoviesToken is a Movies API access token (from [Movies.Login] or
	// [Movies.FormLogin]).
	MoviesToken *Token `json:"movies_token,omitempty"`
	// MoviesAPIKey is a Movies API key.
	MoviesAPIKey *APIKey `json:"movies_api_key,omitempty"`

	// TVmaze is a TVmaze username and API key.
	TVmaze *TVmazeCredentials `json:"tvmaze,omitempty"`

	// TMDbSession is a TMDb v3 user session.
	TMDbSession *Session `json:"tmdb_session,omitempty"`
	// TMDbGuestSession is a TMDb v3 guest session.
	TMDbGuestSession *GuestSession `json:"tmdb_guest_session,omitempty"`
	// TMDbAccessToken is a TMDb v4 user access token.
	TMDbAccessToken *TMDbAccessToken `json:"tmdb_access_token,omitempty"`
}

// String describes the credentials without any secret: each credential it
// holds is printed by its own String method, which shows only whether the
// secret is set.
func (c StoredCredentials) String() string {
	return safeString("StoredCredentials",
		"API", strconv.Quote(string(c.API)),
		"Profile", strconv.Quote(c.Profile),
		"SavedAt", timeString(c.SavedAt),
		"MoviesToken", safePtr(c.MoviesToken),
		"MoviesAPIKey", safePtr(c.MoviesAPIKey),
		"TVmaze", safePtr(c.TVmaze),
		"TMDbSession", safePtr(c.TMDbSession),
		"TMDbGuestSession", safePtr(c.TMDbGuestSession),
		"TMDbAccessToken", safePtr(c.TMDbAccessToken),
	)
}

// Format prints the credentials like String for every verb.
func (c StoredCredentials) Format(f fmt.State, _ rune) { formatSafe(f, c.String()) }

// LogValue keeps every secret out of slog output.
func (c StoredCredentials) LogValue() slog.Value { return logSafe(c.String()) }

// safePtr is the String of a credential, or "nil" when it is not set.
func safePtr[T fmt.Stringer](p *T) string {
	if p == nil {
		return "nil"
	}
	return (*p).String()
}

// CredentialStore keeps credentials by API and profile, so that a program
// can act for a user again without a new login. [FileStore] keeps them in a
// file; other implementations may use a system keyring or a database.
//
// Implementations must be safe for concurrent use, must return copies that
// the caller may change, and must check their arguments as
// [StoredCredentials] documents, with errors that match
// [ErrInvalidArgument]. No error may contain a secret.
type CredentialStore interface {
	// Load returns the credentials kept for api and profile, or an error
	// matching [ErrCredentialNotFound] when there are none.
	Load(ctx context.Context, api API, profile string) (*StoredCredentials, error)
	// Save keeps creds, replacing what was kept for its API and profile.
	// It does not change creds: when creds.SavedAt is zero, the stored copy
	// gets the current time.
	Save(ctx context.Context, creds *StoredCredentials) error
	// Delete forgets the credentials kept for api and profile, or returns
	// an error matching [ErrCredentialNotFound] when there are none.
	Delete(ctx context.Context, api API, profile string) error
	// List returns every kept entry, sorted by API then profile (both
	// compared as strings). An empty store gives an empty list.
	List(ctx context.Context) ([]StoredCredentials, error)
}

// SaveChecker is implemented by a [CredentialStore] that can tell, before
// a program asks a server for a credential, whether saving it would
// succeed: a credential some APIs hand out once (TVmaze's key) must not be
// received into a store that cannot keep it. [FileStore] and
// [KeychainStore] implement it.
type SaveChecker interface {
	// CheckSave returns the error Save of credentials for api and profile
	// would return now for a reason of the store's (its arguments, its
	// permissions, its lock, its reachability), or nil. It changes nothing
	// the store keeps.
	CheckSave(ctx context.Context, api API, profile string) error
}

// CheckProfile returns an error wrapping [ErrInvalidArgument] when profile
// cannot name an account in a [CredentialStore] (see
// [StoredCredentials.Profile]), or nil.
func CheckProfile(profile string) error {
	if why := profileProblem(profile); why != "" {
		return fmt.Errorf("mediaauth: %s: %w", why, ErrInvalidArgument)
	}
	return nil
}

// Validate checks that c can be kept by a [CredentialStore], as
// [StoredCredentials] documents: a known API, a valid profile, at least
// one credential, each of c's API, with its required fields set and every
// string valid UTF-8. The error wraps [ErrInvalidArgument] and names
// fields, never their values. Implementations of CredentialStore call it
// in Save, and on what they read back.
func (c *StoredCredentials) Validate() error { return c.validate() }

// ValidateStoreKey checks the API and profile given to a
// [CredentialStore]'s Load, Delete or LockRenewal, as [StoredCredentials]
// documents them; the error wraps [ErrInvalidArgument].
func ValidateStoreKey(api API, profile string) error { return checkStoreKey(api, profile) }

// checkStoreKey checks the API and profile a CredentialStore method is
// given; the error wraps ErrInvalidArgument.
func checkStoreKey(api API, profile string) error {
	if why := keyProblem(api, profile); why != "" {
		return fmt.Errorf("mediaauth: %s: %w", why, ErrInvalidArgument)
	}
	return nil
}

// keyProblem says what is wrong with an API and profile, or "".
func keyProblem(api API, profile string) string {
	if !api.valid() {
		return fmt.Sprintf("unknown API %q (want %q, %q or %q)", truncate(string(api), 32), APIMovies, APITVmaze, APITMDb)
	}
	return profileProblem(profile)
}

// profileProblem says what is wrong with a profile name, or "".
func profileProblem(p string) string {
	switch {
	case p == "":
		return fmt.Sprintf("empty profile (use %q)", DefaultProfile)
	case !utf8.ValidString(p):
		return fmt.Sprintf("profile %s is not valid UTF-8", strconv.QuoteToASCII(truncate(p, maxProfileLen)))
	case len(p) > maxProfileLen:
		return fmt.Sprintf("profile %q is longer than %d bytes", truncate(p, maxProfileLen), maxProfileLen)
	case p == "." || p == "..":
		return fmt.Sprintf("profile %q is not allowed", p)
	case strings.ContainsAny(p, `/\`):
		return fmt.Sprintf("profile %q contains a path separator", p)
	case strings.ContainsFunc(p, unicode.IsControl):
		return fmt.Sprintf("profile %q contains a control character", p)
	}
	return ""
}

// Credentials returns the credentials c holds, as values to give to
// [Client.With] or a handle's With:
//
//	stored, err := store.Load(ctx, mediaauth.APITMDb, mediaauth.DefaultProfile)
//	tmdb := client.TMDb.With(stored.Credentials()...)
func (c StoredCredentials) Credentials() []Credential {
	var creds []Credential
	for _, cr := range []Credential{ptrCredential(c.MoviesToken), ptrCredential(c.MoviesAPIKey), ptrCredential(c.TVmaze),
		ptrCredential(c.TMDbSession), ptrCredential(c.TMDbGuestSession), ptrCredential(c.TMDbAccessToken)} {
		if cr != nil {
			creds = append(creds, cr)
		}
	}
	return creds
}

// ptrCredential returns *p as a Credential, nil for a nil p.
func ptrCredential[T Credential](p *T) Credential {
	if p == nil {
		return nil
	}
	return *p
}

// strField is one string field of a credential, for validate: its Go and
// JSON names.
type strField struct {
	name, json, value string
	required          bool
}

// credFields is one credential a StoredCredentials holds, for validate:
// the Go and JSON names of its field.
type credFields struct {
	name, json string
	api        API
	fields     []strField
}

// held lists the credentials c holds, in the order of the struct.
func (c *StoredCredentials) held() []credFields {
	var h []credFields
	if t := c.MoviesToken; t != nil {
		h = append(h, credFields{"MoviesToken", "movies_token", APIMovies, []strField{{"AccessToken", "access_token", t.AccessToken, true}, {"TokenType", "token_type", t.TokenType, false}}})
	}
	if k := c.MoviesAPIKey; k != nil {
		h = append(h, credFields{"MoviesAPIKey", "movies_api_key", APIMovies, []strField{{"Key", "api_key", k.Key, true}}})
	}
	if t := c.TVmaze; t != nil {
		h = append(h, credFields{"TVmaze", "tvmaze", APITVmaze, []strField{{"Username", "username", t.Username, true}, {"APIKey", "api_key", t.APIKey, true}}})
	}
	if s := c.TMDbSession; s != nil {
		h = append(h, credFields{"TMDbSession", "tmdb_session", APITMDb, []strField{{"ID", "session_id", s.ID, true}}})
	}
	if g := c.TMDbGuestSession; g != nil {
		h = append(h, credFields{"TMDbGuestSession", "tmdb_guest_session", APITMDb, []strField{{"ID", "guest_session_id", g.ID, true}}})
	}
	if t := c.TMDbAccessToken; t != nil {
		h = append(h, credFields{"TMDbAccessToken", "tmdb_access_token", APITMDb, []strField{{"AccessToken", "access_token", t.AccessToken, true}, {"AccountID", "account_id", t.AccountID, false}}})
	}
	return h
}

// validate checks that c can be stored (see problem); the error wraps
// ErrInvalidArgument.
// toSave checks c and returns the copy of it that a store keeps: c itself
// is not changed, and a zero SavedAt becomes now, to the second.
func (c *StoredCredentials) toSave(now func() time.Time) (StoredCredentials, error) {
	if err := c.validate(); err != nil {
		return StoredCredentials{}, err
	}
	entry := *c
	if entry.SavedAt.IsZero() {
		entry.SavedAt = now().UTC().Truncate(time.Second)
	}
	return entry, nil
}

func (c *StoredCredentials) validate() error {
	if c == nil {
		return fmt.Errorf("mediaauth: nil StoredCredentials: %w", ErrInvalidArgument)
	}
	if why := c.problem(false); why != "" {
		return fmt.Errorf("mediaauth: %s: %w", why, ErrInvalidArgument)
	}
	return nil
}

// problem says why c cannot be stored, or "": an unknown API, an invalid
// profile, no credential, one of another API, or an empty or non-UTF-8
// string (JSON would not keep invalid UTF-8 as it is). It names fields,
// never their values: by their JSON names when jsonNames (a file's
// reader), else by their Go names.
func (c *StoredCredentials) problem(jsonNames bool) string {
	if why := keyProblem(c.API, c.Profile); why != "" {
		return why
	}
	held := c.held()
	if len(held) == 0 {
		return fmt.Sprintf("%s profile %q: no credential set", c.API, c.Profile)
	}
	for _, cred := range held {
		name := cred.name
		if jsonNames {
			name = cred.json
		}
		if cred.api != c.API {
			return fmt.Sprintf("%s profile %q: %s is a %s credential", c.API, c.Profile, name, cred.api.name())
		}
		for _, f := range cred.fields {
			field := name + "." + f.name
			if jsonNames {
				field = name + "." + f.json
			}
			if !utf8.ValidString(f.value) {
				return fmt.Sprintf("%s profile %q: %s is not valid UTF-8", c.API, c.Profile, field)
			}
			if f.required && f.value == "" {
				return fmt.Sprintf("%s profile %q: %s is empty", c.API, c.Profile, field)
			}
		}
	}
	return ""
}
