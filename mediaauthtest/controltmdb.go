package mediaauthtest

import (
	"net/http"
	"time"
)

// The control API's operations on the fake TMDb API, v3 and v4
// (control.go): the hooks of [TMDb] over HTTP.

// controlTMDbRoutes lists the operations of the TMDb handle.
func (s *Server) controlTMDbRoutes() []controlRoute {
	return []controlRoute{
		{http.MethodPost, "/tmdb/users", s.controlTMDbAddUser},
		{http.MethodPost, "/tmdb/api-keys", s.controlTMDbAddAPIKey},
		{http.MethodPost, "/tmdb/read-access-tokens", s.controlTMDbAddReadAccessToken},
		{http.MethodPost, "/tmdb/access-tokens", s.controlTMDbAddAccessToken},
		{http.MethodPost, "/tmdb/suspend", s.controlTMDbSuspend},
		{http.MethodPost, "/tmdb/approve", s.controlTMDbApprove},
		{http.MethodPost, "/tmdb/deny", s.controlTMDbDeny},
		{http.MethodGet, "/tmdb/request-tokens/{token}", s.controlTMDbTokenExpiry},
		{http.MethodGet, "/tmdb/sessions/{session_id}", s.controlTMDbSessionValid},
		{http.MethodGet, "/tmdb/guest-sessions/{guest_session_id}", s.controlTMDbGuestSessionValid},
		{http.MethodGet, "/tmdb/access-tokens/{access_token}", s.controlTMDbAccessTokenValid},
	}
}

// controlTMDbAddUser is POST /_fake/tmdb/users: a TMDbUser.
func (s *Server) controlTMDbAddUser(w http.ResponseWriter, r *http.Request) {
	var u TMDbUser
	if !readControlBody(w, r, &u, controlBodyLimit, false) {
		return
	}
	if err := s.TMDb.AddUser(u); err != nil {
		hookError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// readCredential reads a body {name: VALUE} whose value must not be
// empty. On failure it answers 400 and returns "".
func readCredential(w http.ResponseWriter, r *http.Request, name string) string {
	var req map[string]string
	if !readControlBody(w, r, &req, controlBodyLimit, false) {
		return ""
	}
	v := req[name]
	if v == "" || len(req) != 1 {
		controlError(w, http.StatusBadRequest, codeInvalidRequest, "send {\""+name+"\": VALUE}, and nothing else")
		return ""
	}
	return v
}

// controlTMDbAddAPIKey is POST /_fake/tmdb/api-keys: {"api_key": KEY}.
func (s *Server) controlTMDbAddAPIKey(w http.ResponseWriter, r *http.Request) {
	if key := readCredential(w, r, "api_key"); key != "" {
		s.TMDb.AddAPIKey(key)
		w.WriteHeader(http.StatusNoContent)
	}
}

// controlTMDbAddReadAccessToken is POST /_fake/tmdb/read-access-tokens:
// {"read_access_token": TOKEN}.
func (s *Server) controlTMDbAddReadAccessToken(w http.ResponseWriter, r *http.Request) {
	if tok := readCredential(w, r, "read_access_token"); tok != "" {
		s.TMDb.AddReadAccessToken(tok)
		w.WriteHeader(http.StatusNoContent)
	}
}

// controlTMDbSuspend is POST /_fake/tmdb/suspend: {"credential": API KEY
// OR READ ACCESS TOKEN}.
func (s *Server) controlTMDbSuspend(w http.ResponseWriter, r *http.Request) {
	cred := readCredential(w, r, "credential")
	if cred == "" {
		return
	}
	if !s.TMDb.SuspendAPIKey(cred) {
		controlError(w, http.StatusNotFound, codeNotFound, "no such TMDb API key or read access token")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// controlTMDbAddAccessToken is POST /_fake/tmdb/access-tokens:
// {"access_token": TOKEN, "username": NAME}.
func (s *Server) controlTMDbAddAccessToken(w http.ResponseWriter, r *http.Request) {
	var req TMDbUserToken
	if !readControlBody(w, r, &req, controlBodyLimit, false) {
		return
	}
	if req.AccessToken == "" || req.Username == "" {
		controlError(w, http.StatusBadRequest, codeInvalidRequest, "access_token and username are required")
		return
	}
	s.TMDb.AddAccessToken(req.AccessToken, req.Username)
	w.WriteHeader(http.StatusNoContent)
}

// controlTMDbApprove is POST /_fake/tmdb/approve: {"request_token": TOKEN}
// approves as the demo user, with "username": NAME as that user.
func (s *Server) controlTMDbApprove(w http.ResponseWriter, r *http.Request) {
	var req struct {
		RequestToken string `json:"request_token"`
		Username     string `json:"username"`
	}
	if !readControlBody(w, r, &req, controlBodyLimit, false) {
		return
	}
	if req.RequestToken == "" {
		controlError(w, http.StatusBadRequest, codeInvalidRequest, "request_token is required")
		return
	}
	var err error
	if req.Username == "" {
		err = s.TMDb.Approve(req.RequestToken)
	} else {
		err = s.TMDb.ApproveAs(req.RequestToken, req.Username)
	}
	if err != nil {
		hookError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// controlTMDbDeny is POST /_fake/tmdb/deny: {"request_token": TOKEN}.
func (s *Server) controlTMDbDeny(w http.ResponseWriter, r *http.Request) {
	tok := readCredential(w, r, "request_token")
	if tok == "" {
		return
	}
	if err := s.TMDb.Deny(tok); err != nil {
		hookError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// controlTMDbTokenExpiry is GET /_fake/tmdb/request-tokens/{token}.
func (s *Server) controlTMDbTokenExpiry(w http.ResponseWriter, r *http.Request) {
	expires, ok := s.TMDb.TokenExpiry(r.PathValue("token"))
	if !ok {
		controlError(w, http.StatusNotFound, codeNotFound, "no such TMDb request token")
		return
	}
	writeJSON(w, http.StatusOK, struct {
		ExpiresAt time.Time `json:"expires_at"`
	}{expires.UTC()})
}

// writeValid answers {"valid": valid}.
func writeValid(w http.ResponseWriter, valid bool) {
	writeJSON(w, http.StatusOK, struct {
		Valid bool `json:"valid"`
	}{valid})
}

// controlTMDbSessionValid is GET /_fake/tmdb/sessions/{session_id}.
func (s *Server) controlTMDbSessionValid(w http.ResponseWriter, r *http.Request) {
	writeValid(w, s.TMDb.SessionValid(r.PathValue("session_id")))
}

// controlTMDbGuestSessionValid is GET
// /_fake/tmdb/guest-sessions/{guest_session_id}.
func (s *Server) controlTMDbGuestSessionValid(w http.ResponseWriter, r *http.Request) {
	writeValid(w, s.TMDb.GuestSessionValid(r.PathValue("guest_session_id")))
}

// controlTMDbAccessTokenValid is GET /_fake/tmdb/access-tokens/{access_token}.
func (s *Server) controlTMDbAccessTokenValid(w http.ResponseWriter, r *http.Request) {
	writeValid(w, s.TMDb.AccessTokenValid(r.PathValue("access_token")))
}
