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
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Credential is one API's credential as a value that authorizes requests
// itself: it knows which API it belongs to, whether it is the
// application's or the user's, how it goes on a request (a header or a
// query parameter) and which secrets it holds, so that they are scrubbed
// from error and log text. Give credentials to [New] with
// [WithCredentials], or derive a client or handle that carries them with
// [Client.With] or a handle's With ([Movies.With], [TVmaze.With],
// [TMDb.With]). A handle carries at most one application credential and
// one user credential: a later credential of the same role replaces the
// earlier one.
//
// The credentials of each API:
//   - Movies API: [Token] (an access token from [Movies.Login]) or
//     [APIKey], both sent as "Authorization: Bearer";
//     [RenewingMoviesToken] for a token that is renewed;
//   - TVmaze: [TVmazeCredentials], sent as HTTP Basic username:apikey;
//   - TMDb, the application: [TMDbAPIKey] (the api_key query parameter) or
//     [TMDbReadAccessToken] ("Authorization: Bearer");
//   - TMDb, the user: [Session] (session_id), [GuestSession]
//     (guest_session_id) or [TMDbAccessToken] (the user's v4 token, sent as
//     the Bearer token of the user's requests).
//
// The interface is sealed: only this package's types implement it.
type Credential interface {
	// CredentialAPI names the API the credential belongs to.
	CredentialAPI() API
	// attachment checks the credential and returns how it authorizes a
	// request, worked out once when a client takes it.
	attachment() (*attachment, error)
}

// attachment is a checked credential in the form the engine puts on a
// request: its authorizer is the one method that attaches it, and secrets
// lists what the scrubber must hide.
type attachment struct {
	api API
	// user is set for a user's credential (a TMDb session or v4 token), the
	// second a handle may hold beside the application's.
	user bool
	auth authorizer
	// secrets are the raw and escaped forms of the credential's secrets.
	secrets []string
	// name describes the credential in String, without a secret.
	name string
	// cred is the credential itself, for the calls that act on the
	// handle's own (DeleteSession, DeleteV4AccessToken).
	cred Credential
}

// authorizer puts a credential on a request. It returns the bearer a
// token source gave, if any, so that a refusal can be traced to it.
type authorizer interface {
	authorize(req *http.Request) (sent string, err error)
}

// authHeader is a credential sent as an Authorization header (Bearer or
// Basic), its value made once.
type authHeader []string

func (h authHeader) authorize(req *http.Request) (string, error) {
	req.Header["Authorization"] = h
	return "", nil
}

// queryParam is a credential sent as an escaped "name=value" query
// parameter.
type queryParam string

func (p queryParam) authorize(req *http.Request) (string, error) {
	req.URL.RawQuery = joinQuery(req.URL.RawQuery, string(p))
	return "", nil
}

// sourcedBearer is the Movies bearer a token source gives at each request.
type sourcedBearer struct{ src MoviesTokenSource }

func (s sourcedBearer) authorize(req *http.Request) (string, error) {
	tok, err := s.src.Token(req.Context())
	if err != nil {
		return "", fmt.Errorf("movies token source: %w", err)
	}
	if tok == nil {
		return "", fmt.Errorf("movies token source: %w: no token", ErrMissingCredentials)
	}
	if err := checkSecret("Movies access token", tok.AccessToken); err != nil {
		return "", err
	}
	req.Header["Authorization"] = []string{"Bearer " + tok.AccessToken}
	return tok.AccessToken, nil
}

// renewer is an authorizer whose credential can be renewed when the
// server refuses the one it gave (sent) as expired.
type renewer interface {
	renew(ctx context.Context, sent string) error
}

// renew tells the source (when it caches) that sent was refused as
// expired, and asks it for a new token, so that the next request has it.
func (s sourcedBearer) renew(ctx context.Context, sent string) error {
	if inv, ok := s.src.(invalidator); ok {
		inv.invalidate(ctx, sent)
	}
	_, err := s.src.Token(ctx)
	return err
}

// bearer is the attachment of a credential sent as "Authorization: Bearer".
func bearer(api API, what, name, secret string, user bool) (*attachment, error) {
	if err := checkSecret(what, secret); err != nil {
		return nil, err
	}
	return &attachment{api: api, user: user, name: name, auth: authHeader{"Bearer " + secret}, secrets: appendSecret(nil, secret)}, nil
}

// param is the attachment of a TMDb credential sent as a query parameter.
func param(what, name, key, secret string, user bool) (*attachment, error) {
	if err := checkSecret(what, secret); err != nil {
		return nil, err
	}
	return &attachment{api: APITMDb, user: user, name: name, auth: queryParam(key + "=" + url.QueryEscape(secret)), secrets: appendSecret(nil, secret)}, nil
}

// TMDbAPIKey is a TMDb application's v3 API key, sent as the api_key query
// parameter. A [TMDbReadAccessToken] given later to the same client or
// handle replaces it. Printing or logging it never shows the key.
type TMDbAPIKey string

// TMDbReadAccessToken is a TMDb application's API read access token, sent
// as "Authorization: Bearer". The TMDb v4 authentication calls need it. A
// [TMDbAPIKey] given later to the same client or handle replaces it.
// Printing or logging it never shows the token.
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

func (t Token) attachment() (*attachment, error) {
	return bearer(APIMovies, "Movies access token", "movies-token", t.AccessToken, false)
}

func (k APIKey) attachment() (*attachment, error) {
	return bearer(APIMovies, "Movies API key", "movies-api-key", k.Key, false)
}

func (t TVmazeCredentials) attachment() (*attachment, error) {
	if err := checkSecret("TVmaze username", t.Username); err != nil {
		return nil, err
	}
	if strings.ContainsRune(t.Username, ':') {
		return nil, fmt.Errorf("%w: TVmaze username contains ':'", ErrInvalidArgument)
	}
	if err := checkSecret("TVmaze API key", t.APIKey); err != nil {
		return nil, err
	}
	basic := base64.StdEncoding.EncodeToString([]byte(t.Username + ":" + t.APIKey))
	return &attachment{
		api: APITVmaze, name: "tvmaze:" + scrub(t.Username) + ":" + redacted,
		auth:    authHeader{"Basic " + basic},
		secrets: appendSecret(appendSecret(nil, t.APIKey), basic),
	}, nil
}

func (k TMDbAPIKey) attachment() (*attachment, error) {
	return param("TMDb API key", "tmdb-api-key", "api_key", string(k), false)
}

func (t TMDbReadAccessToken) attachment() (*attachment, error) {
	return bearer(APITMDb, "TMDb read access token", "tmdb-read-access-token", string(t), false)
}

func (s Session) attachment() (*attachment, error) {
	return param("TMDb session id", "tmdb-session-id", "session_id", s.ID, true)
}

func (g GuestSession) attachment() (*attachment, error) {
	return param("TMDb guest session id", "tmdb-guest-session-id", "guest_session_id", g.ID, true)
}

func (t TMDbAccessToken) attachment() (*attachment, error) {
	return bearer(APITMDb, "TMDb v4 access token", "tmdb-v4-access-token", t.AccessToken, true)
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

// credentialSet is what one handle carries: at most the application's
// credential and the user's, checked. err is set when a credential given
// to With was invalid: every call of that handle then fails with it
// before anything is sent.
type credentialSet struct {
	app, user *attachment
	err       error
	// others are the secrets of the credentials of other APIs (and those
	// replaced) given to the same With: scrubbed from this handle's text
	// too, whoever echoes them.
	others []string
}

// with returns a copy of cs holding creds of api in place of those of the
// same role; creds of other APIs are left out. A nil credential, a typed
// nil pointer or an invalid credential is an error.
func (cs credentialSet) with(api API, creds []Credential) (credentialSet, error) {
	for _, cr := range creds {
		a, err := attach(cr)
		if err != nil {
			return cs, err
		}
		switch {
		case a.api != api:
			cs.others = append(cs.others[:len(cs.others):len(cs.others)], a.secrets...)
		case a.user:
			cs.user = a
		default:
			cs.app = a
		}
	}
	return cs, nil
}

// attach checks one credential and returns its attachment.
func attach(cr Credential) (*attachment, error) {
	if cr == nil {
		return nil, fmt.Errorf("%w: nil credential", ErrInvalidArgument)
	}
	if v := reflect.ValueOf(cr); v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil, fmt.Errorf("%w: nil %T", ErrInvalidArgument, cr)
		}
		// A copy of the value: a later change to *cr changes nothing here.
		if val, ok := v.Elem().Interface().(Credential); ok {
			cr = val
		}
	}
	a, err := cr.attachment()
	if err != nil {
		return nil, err
	}
	a.cred = cr
	return a, nil
}

// appCredential returns the application's credential of the set, or nil.
func (cs *credentialSet) appCredential() Credential {
	if cs.app == nil {
		return nil
	}
	return cs.app.cred
}

// secrets lists the secrets of the set's credentials.
func (cs *credentialSet) secrets() []string {
	list := cs.others[:len(cs.others):len(cs.others)]
	for _, a := range [...]*attachment{cs.app, cs.user} {
		if a != nil {
			list = append(list, a.secrets...)
		}
	}
	return list
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

// MoviesTokenSource supplies the Movies API access token a client sends.
// A client that carries [RenewingMoviesToken] asks it before each call that
// needs a token. Implementations must be safe for concurrent use.
// golang.org/x/oauth2's TokenSource is the model.
type MoviesTokenSource interface {
	Token(ctx context.Context) (*Token, error)
}

// MoviesTokenSourceFunc adapts a function to [MoviesTokenSource]: for
// example one that logs in again with stored credentials.
type MoviesTokenSourceFunc func(ctx context.Context) (*Token, error)

// Token calls f.
func (f MoviesTokenSourceFunc) Token(ctx context.Context) (*Token, error) { return f(ctx) }

// invalidator is implemented by sources that cache: told that a token was
// refused as expired, they renew on the next Token call.
type invalidator interface {
	invalidate(ctx context.Context, accessToken string)
}

// RenewingMoviesToken is the Movies credential of a token that is renewed:
// the engine asks src for the bearer before each request, through every
// door (the typed calls, Do and HTTPClient). Use it with [Client.With],
// [Movies.With] or [WithCredentials]:
//
//	src := mediaauth.ReuseMoviesTokenSource(tok, client.Movies.LoginTokenSource(user, readPassword))
//	me := client.Movies.With(mediaauth.RenewingMoviesToken(src))
//
// When the Movies API answers [ErrTokenExpired], the engine tells src (if it
// caches, like [ReuseMoviesTokenSource]) and asks it for a new token once. A
// request that is safe to repeat (GET, PUT, DELETE) is then sent again with
// the new token; any other returns [ErrTokenExpired], and the next request
// carries the new token.
func RenewingMoviesToken(src MoviesTokenSource) Credential { return renewingMoviesToken{src: src} }

type renewingMoviesToken struct{ src MoviesTokenSource }

// CredentialAPI returns [APIMovies].
func (renewingMoviesToken) CredentialAPI() API { return APIMovies }

func (r renewingMoviesToken) attachment() (*attachment, error) {
	if r.src == nil {
		return nil, fmt.Errorf("%w: nil Movies token source", ErrInvalidArgument)
	}
	return &attachment{api: APIMovies, name: "movies-token", auth: sourcedBearer(r)}, nil
}

// String describes the credential without a token.
func (r renewingMoviesToken) String() string {
	return "mediaauth.RenewingMoviesToken(" + redacted + ")"
}

// The credential values of the three APIs and how they print: never a
// secret, whatever the verb.

// Token is a Movies API access token from [Movies.Login] or
// [Movies.FormLogin]. It is a [Credential]: a handle derived with
// [Movies.With] sends it as the Bearer token. Printing or logging a Token
// never shows AccessToken.
type Token struct {
	// AccessToken is the bearer credential (often a JWT).
	AccessToken string `json:"access_token"`
	// TokenType is what the server calls it, normally "bearer".
	TokenType string `json:"token_type,omitempty"`
	// ExpiresAt is when the token stops working: from expires_in when the
	// server sent it, else from the JWT exp claim; zero when unknown.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// Expired reports whether the token's expiry is known and not after now.
func (t Token) Expired(now time.Time) bool {
	return expired(t.ExpiresAt, now)
}

// String describes the token without the access token itself.
func (t Token) String() string {
	return safeString("Token", "TokenType", strconv.Quote(t.TokenType), "AccessToken", secretMark(t.AccessToken), "ExpiresAt", timeString(t.ExpiresAt))
}

// Format prints the token like String for every verb.
func (t Token) Format(f fmt.State, _ rune) { formatSafe(f, t.String()) }

// LogValue keeps the access token out of slog output.
func (t Token) LogValue() slog.Value { return logSafe(t.String()) }

// APIKey is a Movies API key, from [Movies.GenerateAPIKey] or
// [Movies.FetchAPIKey]: Key is the key itself, CreatedAt when it was made
// (zero when the server did not say). It is a [Credential]: a handle
// derived with [Movies.With] sends it as the Bearer token, like an access
// token. Printing or logging an APIKey never shows Key.
type APIKey struct {
	Key       string    `json:"api_key"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// String describes the key without the key itself.
func (k APIKey) String() string {
	return safeString("APIKey", "Key", secretMark(k.Key), "CreatedAt", timeString(k.CreatedAt))
}

// Format prints the key like String for every verb.
func (k APIKey) Format(f fmt.State, _ rune) { formatSafe(f, k.String()) }

// LogValue keeps the key out of slog output.
func (k APIKey) LogValue() slog.Value { return logSafe(k.String()) }

// TVmazeCredentials are what TVmaze's HTTP Basic auth takes: the Username
// and the user's APIKey, from [TVmaze.PollUntilConfirmed] or
// [TVmaze.PollAuth]. They are a [Credential]: a handle derived with
// [TVmaze.With] sends them as HTTP Basic username:apikey. Printing or
// logging them never shows APIKey.
type TVmazeCredentials struct {
	Username string `json:"username"`
	APIKey   string `json:"api_key"`
}

// String describes the credentials without the API key.
func (c TVmazeCredentials) String() string {
	return safeString("TVmazeCredentials", "Username", strconv.Quote(c.Username), "APIKey", secretMark(c.APIKey))
}

// Format prints the credentials like String for every verb.
func (c TVmazeCredentials) Format(f fmt.State, _ rune) { formatSafe(f, c.String()) }

// LogValue keeps the API key out of slog output.
func (c TVmazeCredentials) LogValue() slog.Value { return logSafe(c.String()) }

// Session is a TMDb user session, the session_id that TMDb's account
// methods take. It is a [Credential]: a handle derived with [TMDb.With]
// sends it as the session_id query parameter, and [TMDb.DeleteSession] on
// that handle ends it. Printing or logging a Session never shows ID.
type Session struct {
	// ID is the session id.
	ID string `json:"session_id"`
}

// String describes the session without its id.
func (s Session) String() string {
	return safeString("Session", "ID", secretMark(s.ID))
}

// Format prints the session like String for every verb.
func (s Session) Format(f fmt.State, _ rune) { formatSafe(f, s.String()) }

// LogValue keeps the session id out of slog output.
func (s Session) LogValue() slog.Value { return logSafe(s.String()) }

// GuestSession is a TMDb guest session: it lets someone without a TMDb
// account rate movies and TV shows. TMDb deletes a guest session that is
// not used within 24 hours; create one per user or device, not one per
// call. It is a [Credential]: a handle derived with [TMDb.With] sends it
// as the guest_session_id query parameter. Printing or logging a
// GuestSession never shows ID.
type GuestSession struct {
	// ID is the guest session id.
	ID string `json:"guest_session_id"`
	// ExpiresAt is when TMDb deletes the session if it stays unused (UTC).
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// Expired reports whether the session's expiry is known and not after now.
func (g GuestSession) Expired(now time.Time) bool {
	return expired(g.ExpiresAt, now)
}

// String describes the guest session without its id.
func (g GuestSession) String() string {
	return safeString("GuestSession", "ID", secretMark(g.ID), "ExpiresAt", timeString(g.ExpiresAt))
}

// Format prints the guest session like String for every verb.
func (g GuestSession) Format(f fmt.State, _ rune) { formatSafe(f, g.String()) }

// LogValue keeps the guest session id out of slog output.
func (g GuestSession) LogValue() slog.Value { return logSafe(g.String()) }

// TMDbAccessToken is a TMDb user's v4 access token with the account it
// belongs to: what TMDb's v4 user authentication hands out once the user
// approved a v4 request token ([TMDb.CreateV4AccessToken]). It is a
// [Credential]: a handle derived with [TMDb.With] sends it as the Bearer
// token of the user's requests. It never expires on its own: to end it,
// call [TMDb.DeleteV4AccessToken] on that handle. Printing or logging a
// TMDbAccessToken never shows AccessToken.
type TMDbAccessToken struct {
	// AccessToken is the user's v4 bearer token.
	AccessToken string `json:"access_token"`
	// AccountID is TMDb's v4 account id (a string, unlike v3's numeric id).
	AccountID string `json:"account_id"`
}

// String describes the token without the token itself.
func (t TMDbAccessToken) String() string {
	return safeString("TMDbAccessToken", "AccountID", strconv.Quote(t.AccountID), "AccessToken", secretMark(t.AccessToken))
}

// Format prints the token like String for every verb.
func (t TMDbAccessToken) Format(f fmt.State, _ rune) { formatSafe(f, t.String()) }

// LogValue keeps the token out of slog output.
func (t TMDbAccessToken) LogValue() slog.Value { return logSafe(t.String()) }
