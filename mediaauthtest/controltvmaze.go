package mediaauthtest

import (
	"html/template"
	"net/http"
	"strings"
)

// The control API's operations on the fake TVmaze API (control.go): the
// hooks of [TVmaze] over HTTP, and the outbox of confirmation emails as
// JSON and as a page with their links.

// controlTVmazeRoutes lists the operations of the TVmaze handle.
func (s *Server) controlTVmazeRoutes() []controlRoute {
	return []controlRoute{
		{http.MethodPost, "/tvmaze/users", s.controlTVmazeAddUser},
		{http.MethodPost, "/tvmaze/confirm", s.controlTVmazeConfirm},
		{http.MethodGet, "/tvmaze/auth-token", s.controlTVmazeAuthToken},
		{http.MethodPost, "/tvmaze/follows", s.controlTVmazeFollowShows},
		{http.MethodGet, "/tvmaze/emails", s.controlTVmazeEmails},
		{http.MethodGet, "/tvmaze/emails/last", s.controlTVmazeLastEmail},
		{http.MethodGet, "/tvmaze/outbox", s.controlTVmazeOutbox},
	}
}

// TVmazeOutboxPath is the page of the fake TVmaze API's outbox in the
// control API: the confirmation emails, newest first, each with its
// confirm link, for a person to open in a browser.
const TVmazeOutboxPath = ControlPrefix + "/tvmaze/outbox"

// controlTVmazeAddUser is POST /_fake/tvmaze/users: a TVmazeUser.
func (s *Server) controlTVmazeAddUser(w http.ResponseWriter, r *http.Request) {
	var u TVmazeUser
	if !readControlBody(w, r, &u, controlBodyLimit, false) {
		return
	}
	key, err := s.TVmaze.AddUser(u)
	if err != nil {
		hookError(w, err)
		return
	}
	noStore(w)
	writeJSON(w, http.StatusCreated, struct {
		Username string `json:"username"`
		Email    string `json:"email"`
		APIKey   string `json:"api_key"`
	}{u.Username, u.Email, key})
}

// controlTVmazeConfirm is POST /_fake/tvmaze/confirm: {"token": POLL
// TOKEN} or {"email": ADDRESS} for the newest request of the address.
func (s *Server) controlTVmazeConfirm(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Token string `json:"token"`
		Email string `json:"email"`
	}
	if !readControlBody(w, r, &req, controlBodyLimit, false) {
		return
	}
	if (req.Token == "") == (req.Email == "") {
		controlError(w, http.StatusBadRequest, codeInvalidRequest, "send one of token and email")
		return
	}
	token := req.Token
	if req.Email != "" {
		var ok bool
		if token, ok = s.TVmaze.AuthToken(req.Email); !ok {
			controlError(w, http.StatusNotFound, codeNotFound, "no auth request started for "+req.Email)
			return
		}
	}
	if err := s.TVmaze.Confirm(token); err != nil {
		hookError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// controlTVmazeAuthToken is GET /_fake/tvmaze/auth-token?email=ADDRESS.
func (s *Server) controlTVmazeAuthToken(w http.ResponseWriter, r *http.Request) {
	email := r.URL.Query().Get("email")
	if email == "" {
		controlError(w, http.StatusBadRequest, codeInvalidRequest, "the email query parameter names the address")
		return
	}
	token, ok := s.TVmaze.AuthToken(email)
	if !ok {
		controlError(w, http.StatusNotFound, codeNotFound, "no auth request started for "+email)
		return
	}
	noStore(w)
	writeJSON(w, http.StatusOK, struct {
		Token string `json:"token"`
	}{token})
}

// controlTVmazeFollowShows is POST /_fake/tvmaze/follows:
// {"username": NAME, "show_ids": [ID, ...]}.
func (s *Server) controlTVmazeFollowShows(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Username string `json:"username"`
		ShowIDs  []int  `json:"show_ids"`
	}
	if !readControlBody(w, r, &req, controlBodyLimit, false) {
		return
	}
	if req.Username == "" {
		controlError(w, http.StatusBadRequest, codeInvalidRequest, "username is required")
		return
	}
	if !s.TVmaze.FollowShows(req.Username, req.ShowIDs...) {
		controlError(w, http.StatusNotFound, codeNotFound, "no TVmaze user "+req.Username)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// tvmazeEmailsTo returns the TVmaze emails sent to address ("" for all),
// oldest first.
func (s *Server) tvmazeEmailsTo(address string) []TVmazeEmail {
	out := []TVmazeEmail{}
	for _, e := range s.TVmaze.Emails() {
		if address == "" || strings.EqualFold(e.To, address) {
			out = append(out, e)
		}
	}
	return out
}

// controlTVmazeEmails is GET /_fake/tvmaze/emails?to=ADDRESS.
func (s *Server) controlTVmazeEmails(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	writeJSON(w, http.StatusOK, struct {
		Emails []TVmazeEmail `json:"emails"`
	}{s.tvmazeEmailsTo(r.URL.Query().Get("to"))})
}

// controlTVmazeLastEmail is GET /_fake/tvmaze/emails/last?to=ADDRESS.
func (s *Server) controlTVmazeLastEmail(w http.ResponseWriter, r *http.Request) {
	to := r.URL.Query().Get("to")
	if to == "" {
		controlError(w, http.StatusBadRequest, codeInvalidRequest, "the to query parameter names the address")
		return
	}
	e, ok := s.TVmaze.LastEmail(to)
	if !ok {
		controlError(w, http.StatusNotFound, codeNotFound, "no email sent to "+to)
		return
	}
	noStore(w)
	writeJSON(w, http.StatusOK, e)
}

var outboxTemplate = template.Must(template.New("outbox").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>TVmaze outbox · mediaauthtest</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 46em; margin: 4em auto; padding: 0 1em; color: #1b1b1b; }
li { margin: 0 0 1.2em 0; }
p.note { color: #666; font-size: 0.9em; }
</style>
</head>
<body>
<h1>TVmaze outbox</h1>
{{if .}}<ol reversed>
{{range .}}<li><b>To:</b> {{.To}} ({{.Username}}), {{.SentAt.UTC.Format "2006-01-02 15:04:05 UTC"}}<br>
{{if .App}}The application {{.App}}{{else}}An application{{end}} asks for the API key of your TVmaze account. <a href="{{.ConfirmURL}}">Confirm the login</a></li>
{{end}}</ol>
{{else}}<p>No confirmation email sent yet. Start a TVmaze login (POST /v1/auth/start) and reload this page.</p>
{{end}}<p class="note">The emails the fake TVmaze API sent, newest first. A page of mediaauthtest, the fake of the Movies API, TVmaze and TMDb. Nothing here is real.</p>
</body>
</html>
`))

// controlTVmazeOutbox is GET /_fake/tvmaze/outbox?to=ADDRESS: the emails
// as a page, newest first, with their confirm links.
func (s *Server) controlTVmazeOutbox(w http.ResponseWriter, r *http.Request) {
	emails := s.tvmazeEmailsTo(r.URL.Query().Get("to"))
	for i, j := 0, len(emails)-1; i < j; i, j = i+1, j-1 {
		emails[i], emails[j] = emails[j], emails[i]
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	_ = outboxTemplate.Execute(w, emails)
}
