package mediaauthtest

import (
	"net/http"
	"strings"
)

// The control API's operations on the fake Movies API (control.go): the
// hooks of [Movies] over HTTP.

// controlMoviesRoutes lists the operations of the Movies handle.
func (s *Server) controlMoviesRoutes() []controlRoute {
	return []controlRoute{
		{http.MethodPost, "/movies/users", s.controlMoviesAddUser},
		{http.MethodGet, "/movies/emails", s.controlMoviesEmails},
		{http.MethodGet, "/movies/emails/last", s.controlMoviesLastEmail},
		{http.MethodPost, "/movies/expire-tokens", s.controlMoviesExpireTokens},
	}
}

// FakeEmailsPath is the path of the fake's Movies outbox in the control
// API: GET it with ?to=ADDRESS for the emails sent to ADDRESS.
const FakeEmailsPath = ControlPrefix + "/movies/emails"

// controlMoviesAddUser is POST /_fake/movies/users: a MoviesUser.
func (s *Server) controlMoviesAddUser(w http.ResponseWriter, r *http.Request) {
	var u MoviesUser
	if !readControlBody(w, r, &u, controlBodyLimit, false) {
		return
	}
	user, err := s.Movies.AddUser(u)
	if err != nil {
		hookError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, user)
}

// outboxEmail is one email of the Movies outbox's JSON.
type outboxEmail struct {
	To    string `json:"to"`
	Kind  string `json:"kind"`
	Token string `json:"token"`
}

// emailQuery reads the to and kind parameters of the Movies outbox.
func emailQuery(r *http.Request) (to, kind string, err error) {
	q := r.URL.Query()
	to, kind = q.Get("to"), q.Get("kind")
	if kind != "" && kind != EmailVerify && kind != EmailReset {
		return "", "", invalidf("kind must be %s or %s", EmailVerify, EmailReset)
	}
	return to, kind, nil
}

// controlMoviesEmails is GET /_fake/movies/emails?to=ADDRESS&kind=KIND:
// the emails the fake Movies API sent (to ADDRESS, compared without case,
// and of KIND, when given), oldest first.
func (s *Server) controlMoviesEmails(w http.ResponseWriter, r *http.Request) {
	to, kind, err := emailQuery(r)
	if err != nil {
		hookError(w, err)
		return
	}
	out := []outboxEmail{}
	for _, e := range s.Movies.Emails() {
		if (to == "" || strings.EqualFold(e.To, to)) && (kind == "" || e.Kind == kind) {
			out = append(out, outboxEmail(e))
		}
	}
	noStore(w)
	writeJSON(w, http.StatusOK, struct {
		Emails []outboxEmail `json:"emails"`
	}{out})
}

// controlMoviesLastEmail is GET /_fake/movies/emails/last?to=ADDRESS: the
// last email sent to ADDRESS (of kind, when given).
func (s *Server) controlMoviesLastEmail(w http.ResponseWriter, r *http.Request) {
	to, kind, err := emailQuery(r)
	if err == nil && to == "" {
		err = invalidf("the to query parameter names the address")
	}
	if err != nil {
		hookError(w, err)
		return
	}
	// Movies.LastEmail, or Movies.VerificationToken and ResetToken with
	// the email they read the token from.
	e, ok := s.lastEmail(to, kind)
	if !ok {
		controlError(w, http.StatusNotFound, codeNotFound, "no such email sent to "+to)
		return
	}
	noStore(w)
	writeJSON(w, http.StatusOK, outboxEmail(e))
}

// controlMoviesExpireTokens is POST /_fake/movies/expire-tokens.
func (s *Server) controlMoviesExpireTokens(w http.ResponseWriter, r *http.Request) {
	var none struct{}
	if !readControlBody(w, r, &none, controlBodyLimit, true) {
		return
	}
	s.Movies.ExpireTokens()
	w.WriteHeader(http.StatusNoContent)
}
