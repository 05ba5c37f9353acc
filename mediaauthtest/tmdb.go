package mediaauthtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/mediaauth/mediaauth"
)

// The fake TMDb v3 authentication follows specs/tmdb/tmdb-auth-v3.openapi.yaml:
//
//	GET    /3/authentication                         200 Status; 401
//	GET    /3/authentication/token/new               200 RequestToken; 401
//	POST   /3/authentication/token/validate_with_login 200 RequestToken; 400; 401
//	POST   /3/authentication/session/new             200 Session; 401; 422
//	POST   /3/authentication/session/convert/4       200 Session; 401
//	DELETE /3/authentication/session                 200 {success}; 401; 404
//	GET    /3/authentication/guest_session/new       200 GuestSession; 401
//
// Every call takes the api_key query parameter or "Authorization: Bearer
// <read access token>" (the header wins when both are sent). Errors carry
// TMDb's body {"success": false, "status_code": N, "status_message": "..."}
// with the HTTP status of TMDb's error table: a missing or unknown key is
// 401 code 7, a suspended one 401 code 10, missing username or password 400
// code 26, a wrong password 401 code 30, an unverified account 401 code 32,
// an unknown, expired or used request token 401 code 33, a token the user
// denied 401 code 17, a token not approved yet 422 code 41, an unknown v4
// access token 401 code 35, and an unknown or deleted session 404 code 37.
// The v4 authentication under /4 is in tmdbv4.go.

// tmdbCode is one row of TMDb's published error table.
type tmdbCode struct {
	status  int
	message string
}

// tmdbCodes is TMDb's published table of status codes
// (https://developer.themoviedb.org/docs/errors).
var tmdbCodes = map[int]tmdbCode{
	1:  {200, "Success."},
	2:  {501, "Invalid service: this service does not exist."},
	3:  {401, "Authentication failed: You do not have permissions to access the service."},
	4:  {405, "Invalid format: This service doesn't exist in that format."},
	5:  {422, "Invalid parameters: Your request parameters are incorrect."},
	6:  {404, "Invalid id: The pre-requisite id is invalid or not found."},
	7:  {401, "Invalid API key: You must be granted a valid key."},
	8:  {403, "Duplicate entry: The data you tried to submit already exists."},
	9:  {503, "Service offline: This service is temporarily offline, try again later."},
	10: {401, "Suspended API key: Access to your account has been suspended, contact TMDB."},
	11: {500, "Internal error: Something went wrong, contact TMDB."},
	12: {201, "The item/record was updated successfully."},
	13: {200, "The item/record was deleted successfully."},
	14: {401, "Authentication failed."},
	15: {500, "Failed."},
	16: {401, "Device denied."},
	17: {401, "Session denied."},
	18: {400, "Validation failed."},
	19: {406, "Invalid accept header."},
	20: {422, "Invalid date range: Should be a range no longer than 14 days."},
	21: {200, "Entry not found: The item you are trying to edit cannot be found."},
	22: {400, "Invalid page: Pages start at 1 and max at 500."},
	23: {400, "Invalid date: Format needs to be YYYY-MM-DD."},
	24: {504, "Your request to the backend server timed out. Try again."},
	25: {429, "Your request count (#) is over the allowed limit of (40)."},
	26: {400, "You must provide a username and password."},
	27: {400, "Too many append to response objects: The maximum number of remote calls is 20."},
	28: {400, "Invalid timezone: Please consult the documentation for a valid timezone."},
	29: {400, "You must confirm this action: Please provide a confirm=true parameter."},
	30: {401, "Invalid username and/or password: You did not provide a valid login."},
	31: {401, "Account disabled: Your account is no longer active. Contact TMDB if this is an error."},
	32: {401, "Email not verified: Your email address has not been verified."},
	33: {401, "Invalid request token: The request token is either expired or invalid."},
	34: {404, "The resource you requested could not be found."},
	35: {401, "Invalid token."},
	36: {401, "This token hasn't been granted write permission by the user."},
	37: {404, "The requested session could not be found."},
	38: {401, "You don't have permission to edit this resource."},
	39: {401, "This resource is private."},
	40: {200, "Nothing to update."},
	41: {422, "This request token hasn't been approved by the user."},
	42: {405, "This request method is not supported for this resource."},
	43: {502, "Couldn't connect to the backend server."},
	44: {500, "The ID is invalid."},
	45: {403, "This user has been suspended."},
	46: {503, "The API is undergoing maintenance. Try again later."},
	47: {400, "The input is not valid."},
}

// tmdbCodeRow returns the table row of code; an unknown code is a 500.
func tmdbCodeRow(code int) tmdbCode {
	if row, ok := tmdbCodes[code]; ok {
		return row
	}
	return tmdbCode{http.StatusInternalServerError, "Unknown error."}
}

// tmdbStatusBody is TMDb's Status body.
type tmdbStatusBody struct {
	Success       bool   `json:"success"`
	StatusCode    int    `json:"status_code"`
	StatusMessage string `json:"status_message"`
}

// TMDbFault is a Fault that answers like TMDb with code, one of the codes
// of TMDb's error table: its HTTP status and its body
// {"success": false, "status_code": code, "status_message": "..."}. For
// example TMDbFault(25) is TMDb's rate-limit answer (add a Retry-After
// header to its Header if the test needs one).
func TMDbFault(code int) Fault {
	row := tmdbCodeRow(code)
	body, _ := json.Marshal(tmdbStatusBody{Success: row.status < 300, StatusCode: code, StatusMessage: row.message})
	return Fault{Status: row.status, Body: string(body), Header: http.Header{}}
}

// tmdbError answers with TMDb's error body for code.
func tmdbError(w http.ResponseWriter, code int) {
	row := tmdbCodeRow(code)
	writeJSON(w, row.status, tmdbStatusBody{Success: false, StatusCode: code, StatusMessage: row.message})
}

// tmdbTime formats an expiry like TMDb: "2016-08-26 17:04:39 UTC".
func tmdbTime(t time.Time) string { return t.UTC().Format(mediaauth.TMDbTimeLayout) }

// tmdbData is the fake TMDb API data. It is guarded by Server.mu.
type tmdbData struct {
	apiKeys   map[string]bool // API key → suspended
	readToks  map[string]bool // read access token → suspended
	users     map[string]*tmdbUser
	v4Tokens  map[string]string // v4 access token → username
	tokens    map[string]*tmdbRequestToken
	sessions  map[string]string // session id → username
	guests    map[string]time.Time
	dummyHash passwordHash // compared against for unknown users
}

type tmdbUser struct {
	id            int // the v3 account id
	password      passwordHash
	emailVerified bool
}

type tmdbRequestToken struct {
	v4         bool // a v4 request token (tmdbv4.go), not a v3 one
	expires    time.Time
	approvedBy string // username, "" until approved
	denied     bool
	used       bool
	// redirectTo is where the approval page sends the browser afterwards
	// (v4: the redirect_to of the request; v3 takes it from the page's URL).
	redirectTo string
}

func (st *tmdbData) init() {
	st.apiKeys = map[string]bool{DemoTMDbAPIKey: false}
	st.readToks = map[string]bool{DemoTMDbReadAccessToken: false}
	st.users = map[string]*tmdbUser{
		DemoTMDbUsername: {id: DemoTMDbAccountID, password: hashPassword(DemoTMDbPassword), emailVerified: true},
	}
	st.v4Tokens = map[string]string{DemoTMDbAccessToken: DemoTMDbUsername}
	st.tokens = map[string]*tmdbRequestToken{}
	st.sessions = map[string]string{}
	st.guests = map[string]time.Time{}
	st.dummyHash = hashPassword(randomHex(16))
}

// liveToken returns the request token, v3 or v4, if it is known,
// unexpired and unused.
func (st *tmdbData) liveToken(token string, now time.Time) *tmdbRequestToken {
	t := st.tokens[token]
	if t == nil || t.used || !now.Before(t.expires) {
		return nil
	}
	return t
}

// liveTokenOf is liveToken for one kind of token: a v3 call does not take
// a v4 request token, nor the other way round.
func (st *tmdbData) liveTokenOf(token string, v4 bool, now time.Time) *tmdbRequestToken {
	if t := st.liveToken(token, now); t != nil && t.v4 == v4 {
		return t
	}
	return nil
}

// tmdbPaths are the paths the fake serves, with their methods.
var tmdbPaths = map[string]string{
	"/authentication":                           http.MethodGet,
	"/authentication/token/new":                 http.MethodGet,
	"/authentication/token/validate_with_login": http.MethodPost,
	"/authentication/session/new":               http.MethodPost,
	"/authentication/session/convert/4":         http.MethodPost,
	"/authentication/session":                   http.MethodDelete,
	"/authentication/guest_session/new":         http.MethodGet,
	"/account":                                  http.MethodGet,
}

// routeTMDb registers the fake TMDb API handlers.
func (s *Server) routeTMDb(mux *http.ServeMux) {
	p := TMDbPrefix
	mux.HandleFunc("GET "+p+"/authentication", s.tmdbAuthed(s.tmdbValidateKey))
	mux.HandleFunc("GET "+p+"/authentication/token/new", s.tmdbAuthed(s.tmdbNewToken))
	mux.HandleFunc("POST "+p+"/authentication/token/validate_with_login", s.tmdbValidateWithLogin)
	mux.HandleFunc("POST "+p+"/authentication/session/new", s.tmdbNewSession)
	mux.HandleFunc("POST "+p+"/authentication/session/convert/4", s.tmdbConvertV4)
	mux.HandleFunc("DELETE "+p+"/authentication/session", s.tmdbDeleteSession)
	mux.HandleFunc("GET "+p+"/authentication/guest_session/new", s.tmdbAuthed(s.tmdbNewGuest))
	mux.HandleFunc("GET "+p+"/account", s.tmdbAuthed(s.tmdbAccountOfSession))
	mux.HandleFunc("GET "+p+"/account/{account_id}", s.tmdbAuthed(s.tmdbAccountDetails))
	mux.HandleFunc(p+"/", tmdbNotFound(TMDbPrefix, tmdbPaths))
	s.routeTMDbV4(mux)
}

// tmdbNotFound answers what no route under prefix serves: a known path
// (one of paths, with its method) asked with another method is 405 code
// 42, anything else 404 code 34.
func tmdbNotFound(prefix string, paths map[string]string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if m, ok := paths[strings.TrimPrefix(r.URL.Path, prefix)]; ok {
			w.Header().Set("Allow", m)
			tmdbError(w, 42)
			return
		}
		tmdbError(w, 34)
	}
}

// tmdbCredentialOK answers 401 code 7 for an unknown credential and code
// 10 for a suspended one, and reports whether the credential was good.
func tmdbCredentialOK(w http.ResponseWriter, known, suspended bool) bool {
	switch {
	case !known:
		tmdbError(w, 7)
		return false
	case suspended:
		tmdbError(w, 10)
		return false
	}
	return true
}

// tmdbCheckAuth checks the request's API key or read access token. It
// answers 401 and returns false when they are missing, unknown or
// suspended. Server.mu must be held.
func (s *Server) tmdbCheckAuth(w http.ResponseWriter, r *http.Request) bool {
	suspended, ok := false, false
	if scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " "); strings.EqualFold(scheme, "Bearer") {
		cred = strings.TrimSpace(cred)
		suspended, ok = s.tmdb.readToks[cred]
		if !ok {
			// A user's v4 access token authenticates like a read token.
			_, ok = s.tmdb.v4Tokens[cred]
		}
	} else if key := r.URL.Query().Get("api_key"); key != "" {
		suspended, ok = s.tmdb.apiKeys[key]
	}
	return tmdbCredentialOK(w, ok, suspended)
}

// tmdbAuthed wraps a handler without a body that needs credentials; the
// handler runs with Server.mu held.
func (s *Server) tmdbAuthed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.tmdbCheckAuth(w, r) {
			return
		}
		h(w, r)
	}
}

// tmdbValidateKey is GET /3/authentication.
func (s *Server) tmdbValidateKey(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, tmdbStatusBody{Success: true, StatusCode: 1, StatusMessage: tmdbCodes[1].message})
}

// tmdbRequestTokenBody is the RequestToken schema.
type tmdbRequestTokenBody struct {
	Success      bool   `json:"success"`
	ExpiresAt    string `json:"expires_at"`
	RequestToken string `json:"request_token"`
}

// tmdbSessionBody is the Session schema.
type tmdbSessionBody struct {
	Success   bool   `json:"success"`
	SessionID string `json:"session_id"`
}

// tmdbNewToken is GET /3/authentication/token/new.
func (s *Server) tmdbNewToken(w http.ResponseWriter, _ *http.Request) {
	token := s.randomHex(20)
	t := &tmdbRequestToken{expires: s.now().Add(s.cfg.tmdbTokenTTL).Truncate(time.Second)}
	if s.cfg.tmdbAutoApprove {
		t.approvedBy = DemoTMDbUsername
	}
	s.tmdb.tokens[token] = t
	noStore(w)
	writeJSON(w, http.StatusOK, tmdbRequestTokenBody{Success: true, ExpiresAt: tmdbTime(t.expires), RequestToken: token})
}

// tmdbValidateWithLogin is POST /3/authentication/token/validate_with_login.
func (s *Server) tmdbValidateWithLogin(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Username     string `json:"username"`
		Password     string `json:"password"`
		RequestToken string `json:"request_token"`
	}
	bodyErr := readJSONObject(w, r, &req, true)

	s.mu.Lock()
	if !s.tmdbCheckAuth(w, r) {
		s.mu.Unlock()
		return
	}
	user := s.tmdb.users[req.Username]
	hash := s.tmdb.dummyHash
	if user != nil {
		hash = user.password
	}
	s.mu.Unlock()

	switch {
	case bodyErr != nil:
		tmdbError(w, 47)
		return
	case req.Username == "" || req.Password == "":
		tmdbError(w, 26)
		return
	}
	ok := hash.matches(req.Password) // slow: outside the lock

	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tmdb.liveTokenOf(req.RequestToken, false, s.now())
	switch {
	case t == nil:
		tmdbError(w, 33)
	case !ok || user == nil:
		tmdbError(w, 30)
	case !user.emailVerified:
		tmdbError(w, 32)
	default:
		t.approvedBy = req.Username
		t.denied = false
		noStore(w)
		writeJSON(w, http.StatusOK, tmdbRequestTokenBody{Success: true, ExpiresAt: tmdbTime(t.expires), RequestToken: req.RequestToken})
	}
}

// tmdbNewSession is POST /3/authentication/session/new: an approved request
// token becomes a session, once.
func (s *Server) tmdbNewSession(w http.ResponseWriter, r *http.Request) {
	var req struct {
		RequestToken string `json:"request_token"`
	}
	bodyErr := readJSONObject(w, r, &req, true)

	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tmdbCheckAuth(w, r) {
		return
	}
	if bodyErr != nil {
		tmdbError(w, 5)
		return
	}
	t := s.tmdb.liveTokenOf(req.RequestToken, false, s.now())
	switch {
	case t == nil:
		tmdbError(w, 33)
	case t.denied:
		tmdbError(w, 17)
	case t.approvedBy == "":
		tmdbError(w, 41)
	default:
		t.used = true
		id := s.randomHex(20)
		s.tmdb.sessions[id] = t.approvedBy
		noStore(w)
		writeJSON(w, http.StatusOK, tmdbSessionBody{Success: true, SessionID: id})
	}
}

// tmdbConvertV4 is POST /3/authentication/session/convert/4.
func (s *Server) tmdbConvertV4(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AccessToken string `json:"access_token"`
	}
	bodyErr := readJSONObject(w, r, &req, true)

	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tmdbCheckAuth(w, r) {
		return
	}
	user, ok := s.tmdb.v4Tokens[req.AccessToken]
	if bodyErr != nil || !ok {
		tmdbError(w, 35)
		return
	}
	id := s.randomHex(20)
	s.tmdb.sessions[id] = user
	noStore(w)
	writeJSON(w, http.StatusOK, tmdbSessionBody{Success: true, SessionID: id})
}

// tmdbDeleteSession is DELETE /3/authentication/session.
func (s *Server) tmdbDeleteSession(w http.ResponseWriter, r *http.Request) {
	var req struct {
		SessionID string `json:"session_id"`
	}
	bodyErr := readJSONObject(w, r, &req, true)

	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tmdbCheckAuth(w, r) {
		return
	}
	if bodyErr != nil || req.SessionID == "" {
		tmdbError(w, 6)
		return
	}
	if _, ok := s.tmdb.sessions[req.SessionID]; !ok {
		tmdbError(w, 37)
		return
	}
	delete(s.tmdb.sessions, req.SessionID)
	writeJSON(w, http.StatusOK, struct {
		Success bool `json:"success"`
	}{true})
}

// tmdbNewGuest is GET /3/authentication/guest_session/new.
func (s *Server) tmdbNewGuest(w http.ResponseWriter, _ *http.Request) {
	id := s.randomHex(16)
	expires := s.now().Add(s.cfg.tmdbGuestTTL).Truncate(time.Second)
	s.tmdb.guests[id] = expires
	noStore(w)
	writeJSON(w, http.StatusOK, struct {
		Success        bool   `json:"success"`
		GuestSessionID string `json:"guest_session_id"`
		ExpiresAt      string `json:"expires_at"`
	}{true, id, tmdbTime(expires)})
}

// AddAPIKey makes the server accept key as a TMDb API key (api_key).
func (t *TMDb) AddAPIKey(key string) {
	t.srv.mu.Lock()
	t.srv.tmdb.apiKeys[key] = false
	t.srv.mu.Unlock()
}

// AddReadAccessToken makes the server accept token as a TMDb read access
// token (Authorization: Bearer), like a [mediaauth.TMDbReadAccessToken].
func (t *TMDb) AddReadAccessToken(token string) {
	t.srv.mu.Lock()
	t.srv.tmdb.readToks[token] = false
	t.srv.mu.Unlock()
}

// SuspendAPIKey suspends an API key or read access token: requests that
// use it get 401 code 10. It reports whether the server knew the credential.
func (t *TMDb) SuspendAPIKey(key string) bool {
	s := t.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	found := false
	if _, ok := s.tmdb.apiKeys[key]; ok {
		s.tmdb.apiKeys[key], found = true, true
	}
	if _, ok := s.tmdb.readToks[key]; ok {
		s.tmdb.readToks[key], found = true, true
	}
	return found
}

// AddAccessToken makes the server accept accessToken as a user-approved v4
// access token of username (a [mediaauth.TMDbAccessToken]), for
// session/convert/4 and as the Bearer token of the user's calls.
func (t *TMDb) AddAccessToken(accessToken, username string) {
	t.srv.mu.Lock()
	t.srv.tmdb.v4Tokens[accessToken] = username
	t.srv.mu.Unlock()
}

// errTMDbToken is returned by the approval hooks for a token they cannot
// act on.
var errTMDbToken = notFoundf("mediaauthtest: unknown, expired or used TMDb request token")

// Approve approves a request token as the demo user
// (DemoTMDbUsername) would on TMDb's authenticate page: session/new then
// turns it into a session (or, for a v4 request token, /4/auth/access_token
// into an access token). It fails for an unknown, expired or used token.
func (t *TMDb) Approve(token string) error {
	return t.ApproveAs(token, DemoTMDbUsername)
}

// Deny denies a request token as a user who clicked Deny would:
// session/new then answers 401 code 17 (and /4/auth/access_token, for a v4
// request token, 401 code 33). It fails for an unknown, expired or used
// token.
func (t *TMDb) Deny(token string) error {
	s := t.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := s.tmdb.liveToken(token, s.now())
	if rt == nil {
		return errTMDbToken
	}
	rt.approvedBy, rt.denied = "", true
	return nil
}

// SessionValid reports whether a TMDb session exists and has not been
// deleted.
func (t *TMDb) SessionValid(sessionID string) bool {
	s := t.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.tmdb.sessions[sessionID]
	return ok
}

// GuestSessionValid reports whether a TMDb guest session exists and has
// not expired by the server's clock.
func (t *TMDb) GuestSessionValid(guestSessionID string) bool {
	s := t.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	expires, ok := s.tmdb.guests[guestSessionID]
	return ok && s.now().Before(expires)
}

// TokenExpiry returns when a request token the server issued, v3 or v4,
// expires by the server's clock, and whether it knows the token.
func (t *TMDb) TokenExpiry(token string) (time.Time, bool) {
	s := t.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := s.tmdb.tokens[token]
	if rt == nil {
		return time.Time{}, false
	}
	return rt.expires, true
}
