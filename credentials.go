package mediaauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"unicode/utf8"
)

// Credential is one API's credential as a value. It knows which API it
// belongs to, how it is attached to a request, and which secrets it holds
// (so that they can be scrubbed from error and log text). Give credentials
// to [New] with [WithCredentials], or derive a client that carries them with
// [Client.With].
//
// The credentials of each API:
//   - Movies API: [Token] (an access token from [Client.Login]) or [APIKey],
//     both sent as "Authorization: Bearer"; [MoviesTokenSource] for a token
//     that is renewed;
//   - TVmaze: [TVmazeCredentials], sent as HTTP Basic username:apikey;
//   - TMDb, the application: [TMDbAPIKey] (the api_key query parameter) or
//     [TMDbReadAccessToken] ("Authorization: Bearer"; wins over the key);
//   - TMDb, the user: [Session] (session_id), [GuestSession]
//     (guest_session_id) or [TMDbAccessToken] (the user's v4 token, sent as
//     the Bearer token of the user's requests).
//
// The interface is sealed: only this package's types implement it.
type Credential interface {
	// CredentialAPI names the API the credential belongs to.
	CredentialAPI() API
	// apply checks the credential and stores it in a credential set.
	apply(cs *credentials) error
}

// TMDbAPIKey is a TMDb application's v3 API key, sent as the api_key query
// parameter. Printing or logging it never shows the key.
type TMDbAPIKey string

// TMDbReadAccessToken is a TMDb application's API read access token, sent
// as "Authorization: Bearer". It wins over a [TMDbAPIKey], and the TMDb v4
// authentication calls need it. Printing or logging it never shows the token.
type TMDbReadAccessToken string

// CredentialAPI returns [APIMovies].
func (Token) CredentialAPI() API { return APIMovies }

// CredentialAPI returns [APIMovies].
func (APIKey) CredentialAPI() API { return APIMovies }

// CredentialAPI returns [APITVmaze].
func (TVmazeCredentials) CredentialAPI() API { return APITVmaze }

// CredentialAPI returns [APITMDb].
func (TMDbAPIKey) CredentialAPI() API { return APITMDb }

// CredentialAPI returns [APITMDb].
func (TMDbReadAccessToken) CredentialAPI() API { return APITMDb }

// CredentialAPI returns [APITMDb].
func (Session) CredentialAPI() API { return APITMDb }

// CredentialAPI returns [APITMDb].
func (GuestSession) CredentialAPI() API { return APITMDb }

// CredentialAPI returns [APITMDb].
func (TMDbAccessToken) CredentialAPI() API { return APITMDb }

func (t Token) apply(cs *credentials) error {
	if err := checkSecret("Movies access token", t.AccessToken); err != nil {
		return err
	}
	cs.movies, cs.moviesSource = t.AccessToken, nil
	return nil
}

func (k APIKey) apply(cs *credentials) error {
	if err := checkSecret("Movies API key", k.Key); err != nil {
		return err
	}
	cs.movies, cs.moviesSource = k.Key, nil
	return nil
}

func (t TVmazeCredentials) apply(cs *credentials) error {
	if err := checkSecret("TVmaze username", t.Username); err != nil {
		return err
	}
	if strings.ContainsRune(t.Username, ':') {
		return fmt.Errorf("%w: TVmaze username contains ':'", ErrInvalidArgument)
	}
	if err := checkSecret("TVmaze API key", t.APIKey); err != nil {
		return err
	}
	cs.tvmazeUser, cs.tvmazeKey = t.Username, t.APIKey
	return nil
}

func (k TMDbAPIKey) apply(cs *credentials) error {
	if err := checkSecret("TMDb API key", string(k)); err != nil {
		return err
	}
	cs.tmdbKey = string(k)
	return nil
}

func (t TMDbReadAccessToken) apply(cs *credentials) error {
	if err := checkSecret("TMDb read access token", string(t)); err != nil {
		return err
	}
	cs.tmdbRead = string(t)
	return nil
}

func (s Session) apply(cs *credentials) error {
	if err := checkSecret("TMDb session id", s.ID); err != nil {
		return err
	}
	cs.tmdbUser = tmdbUser{param: "session_id", value: s.ID}
	return nil
}

func (g GuestSession) apply(cs *credentials) error {
	if err := checkSecret("TMDb guest session id", g.ID); err != nil {
		return err
	}
	cs.tmdbUser = tmdbUser{param: "guest_session_id", value: g.ID}
	return nil
}

func (t TMDbAccessToken) apply(cs *credentials) error {
	if err := checkSecret("TMDb v4 access token", t.AccessToken); err != nil {
		return err
	}
	cs.tmdbUser = tmdbUser{bearer: t.AccessToken}
	return nil
}

// String hides the key.
func (k TMDbAPIKey) String() string { return "mediaauth.TMDbAPIKey(" + secretMark(string(k)) + ")" }

// Format prints the key like String for every verb.
func (k TMDbAPIKey) Format(f fmt.State, _ rune) { formatSafe(f, k.String()) }

// LogValue keeps the key out of slog output.
func (k TMDbAPIKey) LogValue() slog.Value { return logSafe(k.String()) }

// String hides the token.
func (t TMDbReadAccessToken) String() string {
	return "mediaauth.TMDbReadAccessToken(" + secretMark(string(t)) + ")"
}

// Format prints the token like String for every verb.
func (t TMDbReadAccessToken) Format(f fmt.State, _ rune) { formatSafe(f, t.String()) }

// LogValue keeps the token out of slog output.
func (t TMDbReadAccessToken) LogValue() slog.Value { return logSafe(t.String()) }

// checkSecret refuses a credential that is empty, not UTF-8, or holds a
// byte that cannot go into an HTTP header (a control character).
func checkSecret(what, v string) error {
	if v == "" {
		return fmt.Errorf("%w: empty %s", ErrInvalidArgument, what)
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidArgument, what)
	}
	if strings.IndexFunc(v, isControl) >= 0 {
		return fmt.Errorf("%w: %s holds a control character", ErrInvalidArgument, what)
	}
	return nil
}

// tmdbUser is the user part of TMDb credentials: a session (param and
// value for the query) or a v4 user access token (bearer).
type tmdbUser struct {
	param, value string
	bearer       string
}

// credentials is the credential set of a Client: at most one credential per
// slot, and what the pipeline attaches for each API, computed once.
type credentials struct {
	movies       string
	moviesSource MoviesTokenSource
	tvmazeUser   string
	tvmazeKey    string
	tmdbKey      string
	tmdbRead     string
	tmdbUser     tmdbUser
	// err is set when a credential given to Client.With was invalid: every
	// call of that client fails with it, before anything is sent.
	err error

	// Computed by finish.
	moviesHeader  []string
	tvmazeHeader  []string
	tmdbAppHeader []string
	tmdbUsrHeader []string
	tmdbKeyQuery  string
	tmdbUsrQuery  string
	secrets       []string
}

// add stores creds in the set; typed nil pointers are refused.
func (cs *credentials) add(creds []Credential) error {
	for _, cr := range creds {
		if cr == nil {
			return fmt.Errorf("%w: nil credential", ErrInvalidArgument)
		}
		if v := reflect.ValueOf(cr); v.Kind() == reflect.Pointer && v.IsNil() {
			return fmt.Errorf("%w: nil %T", ErrInvalidArgument, cr)
		}
		if err := cr.apply(cs); err != nil {
			return err
		}
	}
	cs.finish()
	return nil
}

// finish computes the header values, query parameters and secret list.
func (cs *credentials) finish() {
	cs.moviesHeader, cs.tvmazeHeader, cs.tmdbAppHeader, cs.tmdbUsrHeader = nil, nil, nil, nil
	cs.tmdbKeyQuery, cs.tmdbUsrQuery = "", ""
	cs.secrets = cs.secrets[:0:0]
	if cs.movies != "" {
		cs.moviesHeader = []string{"Bearer " + cs.movies}
		cs.addSecret(cs.movies)
	}
	if cs.tvmazeUser != "" && cs.tvmazeKey != "" {
		basic := base64.StdEncoding.EncodeToString([]byte(cs.tvmazeUser + ":" + cs.tvmazeKey))
		cs.tvmazeHeader = []string{"Basic " + basic}
		cs.addSecret(cs.tvmazeKey)
		cs.addSecret(basic)
	}
	if cs.tmdbRead != "" {
		cs.tmdbAppHeader = []string{"Bearer " + cs.tmdbRead}
		cs.addSecret(cs.tmdbRead)
	}
	if cs.tmdbKey != "" {
		cs.tmdbKeyQuery = "api_key=" + url.QueryEscape(cs.tmdbKey)
		cs.addSecret(cs.tmdbKey)
	}
	if u := cs.tmdbUser; u.bearer != "" {
		cs.tmdbUsrHeader = []string{"Bearer " + u.bearer}
		cs.addSecret(u.bearer)
	} else if u.value != "" {
		cs.tmdbUsrQuery = u.param + "=" + url.QueryEscape(u.value)
		cs.addSecret(u.value)
	}
}

// addSecret records a secret and the forms it takes in a URL or JSON text.
func (cs *credentials) addSecret(s string) { cs.secrets = appendSecret(cs.secrets, s) }

// authMode says what credentials an endpoint sends.
type authMode uint8

const (
	// authNone: no credentials (Movies register and login, for instance).
	authNone authMode = iota
	// authIfAny: the API's credential when the client has one.
	authIfAny
	// authRequired: the API's credential, or ErrMissingCredentials.
	authRequired
	// authTMDbUser: a TMDb user request: the user's v4 token or the
	// application credential, plus the session when the client has one.
	authTMDbUser
	// authTMDbAppBearer: the TMDb read access token, required (v4 auth).
	authTMDbAppBearer
)

// attach adds the credentials an endpoint of api needs, in mode, to h and
// returns the query with the TMDb parameters appended. It fails with
// ErrMissingCredentials when a required credential is missing.
func (c *Client) attach(ctx context.Context, api API, mode authMode, h http.Header, query string) (string, error) {
	if mode == authNone {
		return query, nil
	}
	cs := c.creds
	switch api {
	case APIMovies:
		hdr := cs.moviesHeader
		if cs.moviesSource != nil {
			tok, err := cs.moviesSource.Token(ctx)
			if err != nil {
				return "", fmt.Errorf("movies token source: %w", err)
			}
			if err := checkSecret("Movies access token", tok.AccessToken); err != nil {
				return "", err
			}
			hdr = []string{"Bearer " + tok.AccessToken}
		}
		if hdr == nil {
			return missing(mode, query, "no Movies access token or API key (use Client.With or WithCredentials)")
		}
		h["Authorization"] = hdr
	case APITVmaze:
		if cs.tvmazeHeader == nil {
			return missing(mode, query, "no TVmaze username and API key (use Client.With or WithCredentials)")
		}
		h["Authorization"] = cs.tvmazeHeader
	case APITMDb:
		switch {
		case mode == authTMDbAppBearer:
			if cs.tmdbAppHeader == nil {
				return "", fmt.Errorf("%w: TMDb v4 authentication needs the read access token (TMDbReadAccessToken); an API key is not enough", ErrMissingCredentials)
			}
			h["Authorization"] = cs.tmdbAppHeader
			return query, nil
		case mode == authTMDbUser && cs.tmdbUsrHeader != nil:
			h["Authorization"] = cs.tmdbUsrHeader
		case cs.tmdbAppHeader != nil:
			h["Authorization"] = cs.tmdbAppHeader
		case cs.tmdbKeyQuery != "":
			query = joinQuery(query, cs.tmdbKeyQuery)
		default:
			return missing(mode, query, "no TMDb API key or read access token (use TMDbAPIKey or TMDbReadAccessToken)")
		}
		if mode == authTMDbUser && cs.tmdbUsrQuery != "" {
			query = joinQuery(query, cs.tmdbUsrQuery)
		}
	}
	return query, nil
}

// missing is the result of attach when the client has no credential.
func missing(mode authMode, query, hint string) (string, error) {
	if mode == authIfAny {
		return query, nil
	}
	return "", fmt.Errorf("%w: %s", ErrMissingCredentials, hint)
}

func joinQuery(q, extra string) string {
	if q == "" {
		return extra
	}
	return q + "&" + extra
}

// appendSecret adds s to list with the forms it takes when escaped into a
// URL query or path, or into a JSON string, so that the scrubber finds it
// however the text that holds it was made. Very short values are left out:
// replacing them would garble unrelated text.
func appendSecret(list []string, s string) []string {
	if len(s) < minSecretLen {
		return list
	}
	list = append(list, s)
	for _, form := range []string{url.QueryEscape(s), url.PathEscape(s), jsonEscape(s)} {
		if form != s {
			list = append(list, form)
		}
	}
	return list
}

// jsonEscape returns s as it appears inside a JSON string.
func jsonEscape(s string) string {
	b, err := json.Marshal(s)
	if err != nil || len(b) < 2 {
		return s
	}
	return string(b[1 : len(b)-1])
}
