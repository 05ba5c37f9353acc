package mediaauthtest

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The fake TMDb v4 user authentication follows
// specs/tmdb/tmdb-auth-v4.openapi.yaml:
//
//	POST   /4/auth/request_token  200 {success, status_code, status_message, request_token}; 401; 429
//	POST   /4/auth/access_token   200 {..., access_token, account_id}; 401; 422; 429
//	DELETE /4/auth/access_token   200 {success, status_code 13, status_message}; 401; 429
//
// Every call takes the application's read access token as
// "Authorization: Bearer" (an API key or a user's access token is not
// enough): without a known one it is 401 code 7, with a suspended one 401
// code 10. A request token lives 15 minutes unused (WithTMDbV4TokenTTL);
// the user approves or denies it with the hooks of v3 request tokens
// (TMDb.Approve, TMDb.ApproveAs, TMDb.Deny, WithTMDbAutoApprove).
// Exchanging it before the approval is 422 code 41; an unknown, expired,
// denied or already exchanged token is 401 code 33. The access token it makes belongs
// to the approving user: session/convert/4 turns it into a session, and as
// the Bearer token it authenticates /3/account. Logging it out ends both;
// an unknown or logged out access token is 401 code 35. A request body
// that is not the JSON object the contract describes is 400 code 47 for
// request_token (a case the contract leaves out), 401 code 33 or 35 for
// the others.

// TMDbV4Prefix is the path prefix of TMDb's v4 API on the fake [Server],
// beside [TMDbPrefix] for v3.
const TMDbV4Prefix = "/4"

// tmdbV4AccountID is the v4 account id of the account with v3 id id: 24
// hex digits, like TMDb's.
func tmdbV4AccountID(id int) string { return fmt.Sprintf("4bc889%018x", id) }

// WithTMDbV4TokenTTL sets how long an unused TMDb v4 request token lives
// (default 15 minutes, as TMDb); [WithTMDbTokenTTL] sets it for v3 tokens.
func WithTMDbV4TokenTTL(d time.Duration) Option { return func(c *config) { c.tmdbV4TokenTTL = d } }

// tmdbV4Paths are the v4 paths the fake serves, with their methods.
var tmdbV4Paths = map[string]string{
	"/auth/request_token": http.MethodPost,
	"/auth/access_token":  http.MethodPost + ", " + http.MethodDelete,
}

// routeTMDbV4 registers the fake TMDb v4 authentication handlers.
func (s *Server) routeTMDbV4(mux *http.ServeMux) {
	p := TMDbV4Prefix
	mux.HandleFunc("POST "+p+"/auth/request_token", s.tmdbV4NewRequestToken)
	mux.HandleFunc("POST "+p+"/auth/access_token", s.tmdbV4NewAccessToken)
	mux.HandleFunc("DELETE "+p+"/auth/access_token", s.tmdbV4DeleteAccessToken)
	mux.HandleFunc(p+"/", tmdbNotFound(TMDbV4Prefix, tmdbV4Paths))
}

// tmdbCheckReadToken checks the request's read access token, the only
// credential of the v4 authentication calls. It answers 401 and returns
// false when it is missing, unknown or suspended. Server.mu must be held.
func (s *Server) tmdbCheckReadToken(w http.ResponseWriter, r *http.Request) bool {
	suspended, ok := false, false
	if scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " "); strings.EqualFold(scheme, "Bearer") {
		suspended, ok = s.tmdb.readToks[strings.TrimSpace(cred)]
	}
	return tmdbCredentialOK(w, ok, suspended)
}

// tmdbV4Success is the Status body of a v4 success answer.
func tmdbV4Success(code int) tmdbStatusBody {
	return tmdbStatusBody{Success: true, StatusCode: code, StatusMessage: tmdbCodes[code].message}
}

// tmdbV4NewRequestToken is POST /4/auth/request_token.
func (s *Server) tmdbV4NewRequestToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		RedirectTo string `json:"redirect_to"`
	}
	var bodyErr error
	if r.ContentLength != 0 { // the body is optional
		bodyErr = readJSONObject(w, r, &req, true)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tmdbCheckReadToken(w, r) {
		return
	}
	if bodyErr != nil {
		tmdbError(w, 47)
		return
	}
	token := s.randomHex(24)
	t := &tmdbRequestToken{v4: true, expires: s.now().Add(s.cfg.tmdbV4TokenTTL), redirectTo: req.RedirectTo}
	if s.cfg.tmdbAutoApprove {
		t.approvedBy = DemoTMDbUsername
	}
	s.tmdb.tokens[token] = t
	noStore(w)
	writeJSON(w, http.StatusOK, struct {
		tmdbStatusBody
		RequestToken string `json:"request_token"`
	}{tmdbV4Success(1), token})
}

// tmdbV4NewAccessToken is POST /4/auth/access_token: an approved request
// token becomes the approving user's access token, once.
func (s *Server) tmdbV4NewAccessToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		RequestToken string `json:"request_token"`
	}
	bodyErr := readJSONObject(w, r, &req, true)

	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tmdbCheckReadToken(w, r) {
		return
	}
	var t *tmdbRequestToken
	if bodyErr == nil {
		t = s.tmdb.liveTokenOf(req.RequestToken, true, s.now())
	}
	switch {
	case t == nil || t.denied:
		tmdbError(w, 33)
	case t.approvedBy == "":
		tmdbError(w, 41)
	default:
		t.used = true
		token := s.randomHex(32)
		s.tmdb.v4Tokens[token] = t.approvedBy
		id := 0
		if u := s.tmdb.users[t.approvedBy]; u != nil {
			id = u.id
		}
		noStore(w)
		writeJSON(w, http.StatusOK, struct {
			tmdbStatusBody
			AccountID   string `json:"account_id"`
			AccessToken string `json:"access_token"`
		}{tmdbV4Success(1), tmdbV4AccountID(id), token})
	}
}

// tmdbV4DeleteAccessToken is DELETE /4/auth/access_token: the access token
// is logged out.
func (s *Server) tmdbV4DeleteAccessToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AccessToken string `json:"access_token"`
	}
	bodyErr := readJSONObject(w, r, &req, true)

	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tmdbCheckReadToken(w, r) {
		return
	}
	if _, ok := s.tmdb.v4Tokens[req.AccessToken]; bodyErr != nil || !ok {
		tmdbError(w, 35)
		return
	}
	delete(s.tmdb.v4Tokens, req.AccessToken)
	writeJSON(w, http.StatusOK, tmdbV4Success(13))
}

// ApproveAs approves a request token, v3 or v4, as username would on
// TMDb's page, like [TMDb.Approve] does as the demo user: the session or
// access token it makes belongs to that account. It fails for an unknown
// user (see [TMDb.AddUser]), and for an unknown, expired or used token.
func (t *TMDb) ApproveAs(token, username string) error {
	s := t.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tmdb.users[username] == nil {
		return notFoundf("mediaauthtest: unknown TMDb user %q", username)
	}
	rt := s.tmdb.liveToken(token, s.now())
	if rt == nil {
		return errTMDbToken
	}
	rt.approvedBy, rt.denied = username, false
	return nil
}

// AccessTokenValid reports whether a user's v4 access token (a
// [mediaauth.TMDbAccessToken]) is known, made by /4/auth/access_token or
// added with [TMDb.AddAccessToken], and not logged out.
func (t *TMDb) AccessTokenValid(accessToken string) bool {
	s := t.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.tmdb.v4Tokens[accessToken]
	return ok
}
