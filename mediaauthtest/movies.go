package mediaauthtest

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mediaauth/mediaauth"
)

// The fake Movies API follows specs/movies/movies-auth.openapi.yaml:
//
//	POST /register              201 User; 400; 409 username or email taken
//	POST /verify-email          204; 400; 404 unknown or used token
//	POST /login                 200 Token; 400; 401; 403 email not verified
//	POST /auth/login            the same with a form body; username or email
//	GET  /user/profile          200 User; 401
//	PUT  /user/profile          200 User; 400; 401; 409 email taken
//	GET  /user/api-key          200 APIKey; 401; 404 none generated yet
//	POST /user/api-key          201 APIKey; 401 (the earlier key stops working)
//	POST /password/reset        202 always; 400
//	POST /password/reset/confirm 204; 400; 404 (access tokens are revoked)
//
// Protected calls take "Authorization: Bearer <access token or API key>".
// Changing the email address with PUT /user/profile marks it unverified and
// sends a new verification email; the user's tokens and key keep working,
// but logging in again needs the new address verified.
//
// This file holds the accounts, registration, login and access tokens;
// moviesaccount.go the /user endpoints, moviesemail.go the emails and the
// calls that use their tokens.

// Limits of the fake Movies API.
const (
	// moviesMaxBio is the contract's maxLength of bio, in characters.
	moviesMaxBio = 1000
	// moviesResetTTL is how long a password-reset token works.
	moviesResetTTL = time.Hour
	// pbkdf2Iterations is low: the fake is for tests, not for guarding secrets.
	pbkdf2Iterations = 4096
	// moviesRealm is the realm of the Bearer challenge.
	moviesRealm = "movies"
)

// MoviesUser describes an account for [Movies.AddUser], and for the
// Movies accounts of a [State] (its JSON names are the fields' in
// snake_case). Printing or logging it never shows Password or APIKey.
type MoviesUser struct {
	// Username is what the account logs in with (required).
	Username string `json:"username"`
	// Email is the account's email address (required); the form login
	// takes it in place of the username.
	Email string `json:"email"`
	// Password is the account's password (required).
	Password string `json:"password"`
	// Name is the account's display name (optional).
	Name string `json:"name,omitempty"`
	// Bio is the account's biography (optional, at most 1000 characters).
	Bio string `json:"bio,omitempty"`
	// Unverified leaves the email address unverified (a verification email
	// is then sent); by default the account is ready to log in.
	Unverified bool `json:"unverified,omitempty"`
	// APIKey, when set, is the account's API key from the start, as if
	// generated with POST /user/api-key (optional; no two accounts share
	// one).
	APIKey string `json:"api_key,omitempty"`
}

// String describes the account without its password.
func (u MoviesUser) String() string {
	return "mediaauthtest.MoviesUser{Username:" + strconv.Quote(u.Username) + " Email:" + strconv.Quote(u.Email) +
		" Name:" + strconv.Quote(u.Name) + " Password:" + mark(u.Password) + " Unverified:" + strconv.FormatBool(u.Unverified) +
		" APIKey:" + mark(u.APIKey) + "}"
}

// Format prints the account like String for every verb.
func (u MoviesUser) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, u.String()) }

// LogValue keeps the password out of slog output.
func (u MoviesUser) LogValue() slog.Value { return slog.StringValue(u.String()) }

// mark stands in for a secret in printed values.
func mark(secret string) string {
	if secret == "" {
		return `""`
	}
	return "[REDACTED]"
}

// moviesData is the fake Movies API's data. It is guarded by Server.mu.
type moviesData struct {
	users      map[string]*moviesAccount // by id
	byUsername map[string]*moviesAccount // by lower-cased username
	byEmail    map[string]*moviesAccount // by lower-cased email
	verify     map[string]string         // verification token → user id
	resets     map[string]moviesReset    // reset token → user and expiry
	tokens     map[string]moviesAccess   // access token → user and expiry
	apiKeys    map[string]string         // API key → user id
	outbox     []Email
	jwtSecret  []byte
	dummyHash  passwordHash // compared against for unknown users
	// randomHex makes ids and tokens: the Server's (see WithSeed).
	randomHex func(n int) string
}

type moviesAccount struct {
	user     mediaauth.User
	password *passwordHash // replaced, never modified, on a password change
	apiKey   *mediaauth.APIKey
}

type moviesReset struct {
	userID  string
	expires time.Time
}

type moviesAccess struct {
	userID  string
	expires time.Time
}

type passwordHash struct {
	salt, key []byte
}

func (st *moviesData) init() {
	st.users = map[string]*moviesAccount{}
	st.byUsername = map[string]*moviesAccount{}
	st.byEmail = map[string]*moviesAccount{}
	st.verify = map[string]string{}
	st.resets = map[string]moviesReset{}
	st.tokens = map[string]moviesAccess{}
	st.apiKeys = map[string]string{}
	st.jwtSecret = make([]byte, 32)
	_, _ = rand.Read(st.jwtSecret)
	st.dummyHash = hashPassword(randomHex(16))
}

// hashPassword derives a PBKDF2-SHA256 key with a fresh random salt.
func hashPassword(password string) passwordHash {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key, _ := pbkdf2.Key(sha256.New, password, salt, pbkdf2Iterations, 32)
	return passwordHash{salt: salt, key: key}
}

// matches compares password with the hash in constant time.
func (h passwordHash) matches(password string) bool {
	key, err := pbkdf2.Key(sha256.New, password, h.salt, pbkdf2Iterations, len(h.key))
	return err == nil && subtle.ConstantTimeCompare(key, h.key) == 1
}

// routeMovies registers the fake Movies API's handlers.
func (s *Server) routeMovies(mux *http.ServeMux) {
	p := MoviesPrefix
	mux.HandleFunc("POST "+p+"/register", s.moviesRegister)
	mux.HandleFunc("POST "+p+"/verify-email", s.moviesVerifyEmail)
	mux.HandleFunc("POST "+p+"/login", s.moviesLogin)
	mux.HandleFunc("POST "+p+"/auth/login", s.moviesLogin)
	mux.HandleFunc("GET "+p+"/user/profile", s.moviesAuthed(s.moviesGetProfile))
	mux.HandleFunc("PUT "+p+"/user/profile", s.moviesAuthed(s.moviesPutProfile))
	mux.HandleFunc("GET "+p+"/user/api-key", s.moviesAuthed(s.moviesGetAPIKey))
	mux.HandleFunc("POST "+p+"/user/api-key", s.moviesAuthed(s.moviesNewAPIKey))
	mux.HandleFunc("POST "+p+"/password/reset", s.moviesResetRequest)
	mux.HandleFunc("POST "+p+"/password/reset/confirm", s.moviesResetConfirm)
}

// Machine codes of the contract's Error schema.
const (
	codeInvalidRequest     = "invalid_request"
	codeInvalidCredentials = "invalid_credentials"
	codeInvalidToken       = "invalid_token"
	codeTokenExpired       = "token_expired"
	codeEmailNotVerified   = "email_not_verified"
	codeConflict           = "conflict"
	codeNotFound           = "not_found"
)

// moviesError answers with the contract's error body. Every 401 carries a
// Bearer challenge (tokenError adds RFC 6750's invalid_token to it).
func moviesError(w http.ResponseWriter, status int, code, message string) {
	if status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+moviesRealm+`"`)
	}
	writeJSON(w, status, struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}{code, message})
}

// tokenError answers 401 for a presented token or key that is not accepted.
// A request without any is answered with the bare challenge instead, as RFC
// 6750 section 3.1 asks.
func tokenError(w http.ResponseWriter, code, description string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="`+moviesRealm+`", error="invalid_token", error_description="`+description+`"`)
	moviesError(w, http.StatusUnauthorized, code, description)
}

func badRequest(w http.ResponseWriter, message string) {
	moviesError(w, http.StatusBadRequest, codeInvalidRequest, message)
}

// noStore marks an answer that carries a credential as not cacheable.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

// decodeJSON reads a JSON object body into v. On failure it answers 400 and
// returns false.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	err := readJSONObject(w, r, v, false)
	switch {
	case err == nil:
		return true
	case errors.Is(err, errNotJSONType):
		badRequest(w, "Content-Type must be application/json")
	case errors.Is(err, errBodyUnreadable):
		badRequest(w, "request body too large or unreadable")
	case errors.Is(err, errNotObject):
		badRequest(w, "request body must be a JSON object")
	case errors.Is(err, errTrailingData):
		badRequest(w, "invalid JSON body: data after the object")
	default:
		badRequest(w, "invalid JSON body: "+jsonProblem(err))
	}
	return false
}

// jsonProblem describes a decode error without echoing the body.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "field " + te.Field + " must be a " + te.Type.String()
	}
	return "malformed JSON"
}

// validEmail accepts a bare address such as "a@example.com".
func validEmail(s string) bool {
	addr, err := mail.ParseAddress(s)
	return err == nil && addr.Name == "" && addr.Address == s
}

// required answers 400 naming the first empty field, and returns false.
func required(w http.ResponseWriter, fields ...string) bool {
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i+1] == "" {
			badRequest(w, fields[i]+" is required")
			return false
		}
	}
	return true
}

// moviesRegister is POST /register.
func (s *Server) moviesRegister(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Email    string `json:"email"`
		Name     string `json:"name"`
	}
	if !decodeJSON(w, r, &req) || !required(w, "username", req.Username, "password", req.Password, "email", req.Email) {
		return
	}
	if !validEmail(req.Email) {
		badRequest(w, "email is not a valid email address")
		return
	}
	hash := hashPassword(req.Password) // slow: outside the lock
	s.mu.Lock()
	acct, err := s.movies.addUser(req.Username, req.Email, req.Name, "", hash, s.now())
	var u mediaauth.User
	if err == nil {
		s.movies.sendVerification(acct)
		u = acct.user
	}
	s.mu.Unlock()
	if err != nil {
		moviesError(w, http.StatusConflict, codeConflict, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

// addUser stores a new unverified account, or says which field is taken.
func (st *moviesData) addUser(username, email, name, bio string, hash passwordHash, now time.Time) (*moviesAccount, error) {
	if st.byUsername[strings.ToLower(username)] != nil {
		return nil, errors.New("username is already taken")
	}
	if st.byEmail[strings.ToLower(email)] != nil {
		return nil, errors.New("email is already registered")
	}
	acct := &moviesAccount{
		user: mediaauth.User{
			ID: "usr_" + st.randomHex(8), Username: username, Email: email,
			Name: name, Bio: bio, CreatedAt: now.UTC().Truncate(time.Second),
		},
		password: &hash,
	}
	st.users[acct.user.ID] = acct
	st.byUsername[strings.ToLower(username)] = acct
	st.byEmail[strings.ToLower(email)] = acct
	return acct, nil
}

// moviesLoginBody reads the username and password of a login: a form
// body for POST /auth/login, JSON for POST /login. On failure it answers
// 400 and returns ok false.
func moviesLoginBody(w http.ResponseWriter, r *http.Request, form bool) (username, password string, ok bool) {
	if form {
		if !hasMediaType(r, "application/x-www-form-urlencoded") {
			badRequest(w, "Content-Type must be application/x-www-form-urlencoded")
			return "", "", false
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
		if err := r.ParseForm(); err != nil {
			badRequest(w, "malformed form body")
			return "", "", false
		}
		username, password = r.PostForm.Get("username"), r.PostForm.Get("password")
	} else {
		var req struct {
			Username string `json:"username"`
			Password string `json:"password"`
		}
		if !decodeJSON(w, r, &req) {
			return "", "", false
		}
		username, password = req.Username, req.Password
	}
	return username, password, required(w, "username", username, "password", password)
}

// moviesLogin is POST /login (JSON, username) and POST /auth/login (form,
// username or email).
func (s *Server) moviesLogin(w http.ResponseWriter, r *http.Request) {
	form := r.URL.Path == MoviesPrefix+"/auth/login"
	username, password, ok := moviesLoginBody(w, r, form)
	if !ok {
		return
	}

	s.mu.Lock()
	acct := s.movies.byUsername[strings.ToLower(username)]
	if acct == nil && form {
		acct = s.movies.byEmail[strings.ToLower(username)]
	}
	dummy := s.movies.dummyHash // a copy: Reset replaces the field
	hash := &dummy
	if acct != nil {
		hash = acct.password
	}
	s.mu.Unlock()

	ok = hash.matches(password) // slow: outside the lock
	s.mu.Lock()
	// The password may have changed meanwhile: the old one no longer counts.
	ok = ok && acct != nil && acct.password == hash
	verified := ok && acct.user.EmailVerified
	var tok string
	var ttl time.Duration
	if verified {
		tok, ttl = s.movies.issueToken(acct.user.ID, s.now(), s.cfg.moviesTokenTTL)
	}
	s.mu.Unlock()

	switch {
	case !ok:
		moviesError(w, http.StatusUnauthorized, codeInvalidCredentials, "invalid username or password")
	case !verified:
		moviesError(w, http.StatusForbidden, codeEmailNotVerified, "the email address is not verified yet")
	default:
		noStore(w)
		writeJSON(w, http.StatusOK, struct {
			AccessToken string `json:"access_token"`
			TokenType   string `json:"token_type"`
			ExpiresIn   int64  `json:"expires_in"`
		}{tok, "bearer", int64((ttl + time.Second - 1) / time.Second)})
	}
}

// issueToken makes a JWT-shaped access token (HS256 over sub, iat, exp and
// a random jti) and remembers it until it is revoked.
func (st *moviesData) issueToken(userID string, now time.Time, ttl time.Duration) (string, time.Duration) {
	if ttl < 0 {
		ttl = 0
	}
	exp := now.Add(ttl)
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims, _ := json.Marshal(struct {
		Sub string `json:"sub"`
		Iat int64  `json:"iat"`
		Exp int64  `json:"exp"`
		Jti string `json:"jti"`
	}{userID, now.Unix(), (exp.UnixNano() + int64(time.Second) - 1) / int64(time.Second), st.randomHex(12)})
	unsigned := header + "." + enc.EncodeToString(claims)
	mac := hmac.New(sha256.New, st.jwtSecret)
	mac.Write([]byte(unsigned))
	tok := unsigned + "." + enc.EncodeToString(mac.Sum(nil))
	st.tokens[tok] = moviesAccess{userID: userID, expires: exp}
	return tok, ttl
}

// moviesAuthed wraps a handler that needs a Bearer access token or API key;
// the handler runs with Server.mu held and the caller's account.
func (s *Server) moviesAuthed(h func(w http.ResponseWriter, r *http.Request, acct *moviesAccount)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		cred = strings.TrimSpace(cred)
		if !strings.EqualFold(scheme, "Bearer") || cred == "" {
			moviesError(w, http.StatusUnauthorized, codeInvalidToken, "missing bearer token")
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		var acct *moviesAccount
		if access, ok := s.movies.tokens[cred]; ok {
			if !s.now().Before(access.expires) {
				tokenError(w, codeTokenExpired, "the access token expired")
				return
			}
			acct = s.movies.users[access.userID]
		} else if id, ok := s.movies.apiKeys[cred]; ok {
			acct = s.movies.users[id]
		}
		if acct == nil {
			tokenError(w, codeInvalidToken, "the access token or API key is invalid")
			return
		}
		h(w, r, acct)
	}
}

// AddUser creates a Movies API account directly, verified unless
// u.Unverified is set, and returns it as GET /user/profile would. A taken
// username, email address or API key, or a missing field, is an error.
func (m *Movies) AddUser(u MoviesUser) (mediaauth.User, error) {
	if err := u.check(); err != nil {
		return mediaauth.User{}, fmt.Errorf("mediaauthtest: Movies.AddUser: %w", err)
	}
	hash := hashPassword(u.Password) // slow: outside the lock
	s := m.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	acct, err := s.addMoviesUser(u, hash)
	if err != nil {
		return mediaauth.User{}, fmt.Errorf("mediaauthtest: Movies.AddUser: %w", err)
	}
	return acct.user, nil
}

// check reports what makes u unfit for AddUser, as an invalid-argument error.
func (u MoviesUser) check() error {
	switch {
	case u.Username == "" || u.Password == "" || u.Email == "":
		return invalidf("username, email and password are required")
	case !validEmail(u.Email):
		return invalidf("invalid email address %q", u.Email)
	case utf8.RuneCountInString(u.Bio) > moviesMaxBio:
		return invalidf("bio too long")
	}
	return nil
}

// addMoviesUser adds the checked account u with its password hash; a
// taken username, email address or API key is a conflict error. Server.mu
// must be held.
func (s *Server) addMoviesUser(u MoviesUser, hash passwordHash) (*moviesAccount, error) {
	if _, taken := s.movies.apiKeys[u.APIKey]; u.APIKey != "" && taken {
		return nil, conflictf("API key is already taken")
	}
	acct, err := s.movies.addUser(u.Username, u.Email, u.Name, u.Bio, hash, s.now())
	if err != nil {
		return nil, conflictf("%v", err)
	}
	if u.Unverified {
		s.movies.sendVerification(acct)
	} else {
		acct.user.EmailVerified = true
	}
	if u.APIKey != "" {
		acct.apiKey = &mediaauth.APIKey{Key: u.APIKey, CreatedAt: s.now().UTC().Truncate(time.Second)}
		s.movies.apiKeys[u.APIKey] = acct.user.ID
	}
	return acct, nil
}

// ExpireTokens makes every Movies API access token issued so far expired,
// as if their lifetime had passed (API keys do not expire).
func (m *Movies) ExpireTokens() {
	s := m.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for tok, access := range s.movies.tokens {
		if now.Before(access.expires) {
			access.expires = now
			s.movies.tokens[tok] = access
		}
	}
}
