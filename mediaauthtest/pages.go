package mediaauthtest

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

// The fake's web pages stand in for the services' websites, so that a
// browser flow runs end to end against the fake, in a real browser or in a
// test that plays one. They are not part of any API contract.
//
//	GET  /authenticate/{token}?redirect_to=URL   TMDb's v3 approval page: Approve and Deny buttons
//	POST /authenticate/{token}                   the buttons: action=approve or action=deny
//	GET  /auth/access?request_token=TOKEN        TMDb's v4 approval page
//	POST /auth/access                            its buttons: request_token and action
//	GET  /v1/auth/confirm/{code}                 TVmaze's confirm page (a Confirm button)
//	POST /v1/auth/confirm/{code}                 the button
//
// Approving on a TMDb page is [TMDb.Approve] (as the demo user) and
// denying is [TMDb.Deny]. A v3 page then sends the browser to its
// redirect_to with TMDb's query parameters, request_token=TOKEN and
// approved=true or denied=true; a v4 page sends it to the redirect_to of
// POST /4/auth/request_token as it was given (the application learns the
// outcome from /4/auth/access_token). Without a redirect_to, the page says
// what happened. An unknown, expired or used token is a 404 page.
//
// The TVmaze confirm page confirms the request on its button, like
// [TVmaze.Confirm]. A GET that does not accept text/html (a script or
// a test with a plain HTTP client, not a browser) confirms at once, so that
// following the confirm URL is enough outside a browser.
//
// The outboxes of the Movies API and TVmaze, and the TVmaze outbox's page,
// are in the control API (controlmovies.go, controltvmaze.go).

// routePages registers the fake's web pages (the TVmaze confirm page is
// registered with the TVmaze API, under its prefix).
func (s *Server) routePages(mux *http.ServeMux) {
	mux.HandleFunc("GET /authenticate/{token}", s.tmdbApprovalPage)
	mux.HandleFunc("POST /authenticate/{token}", s.tmdbApprovalSubmit)
	mux.HandleFunc("GET /auth/access", s.tmdbV4ApprovalPage)
	mux.HandleFunc("POST /auth/access", s.tmdbV4ApprovalSubmit)
}

// pageData is what the page template shows.
type pageData struct {
	Title   string
	Message string
	// Action, when set, is where the form posts; Buttons are its submit
	// buttons and Hidden its hidden fields.
	Action  string
	Hidden  map[string]string
	Buttons []pageButton
}

// pageButton is one submit button: name=action, value=Value.
type pageButton struct{ Value, Label string }

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · mediaauthtest</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 34em; margin: 4em auto; padding: 0 1em; color: #1b1b1b; }
p.note { color: #666; font-size: 0.9em; }
button { font-size: 1em; padding: 0.5em 1.5em; margin-right: 1em; cursor: pointer; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
{{if .Action}}<form method="post" action="{{.Action}}">
{{range $name, $value := .Hidden}}<input type="hidden" name="{{$name}}" value="{{$value}}">
{{end}}{{range .Buttons}}<button type="submit" name="action" value="{{.Value}}">{{.Label}}</button>
{{end}}</form>
{{end}}<p class="note">A page of mediaauthtest, the fake of the Movies API, TVmaze and TMDb. Nothing here is real.</p>
</body>
</html>
`))

// writePage answers status with an HTML page.
func writePage(w http.ResponseWriter, status int, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_ = pageTemplate.Execute(w, d)
}

// tokenGone is the page for a request token the fake does not hold.
var tokenGone = pageData{
	Title:   "Request token not found",
	Message: "This request token is unknown, has expired or was already used. Start the login again.",
}

// redirectTarget checks a redirect_to value: an absolute http or https URL.
func redirectTarget(raw string) (*url.URL, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, false
	}
	return u, true
}

// withParams appends TMDb's callback parameters to u's query, keeping what
// it already holds as it was.
func withParams(u *url.URL, params url.Values) string {
	v := *u
	extra := params.Encode()
	if v.RawQuery == "" {
		v.RawQuery = extra
	} else {
		v.RawQuery += "&" + extra
	}
	return v.String()
}

// liveTokenKind reports whether token is a live request token of the kind
// (v3 or v4).
func (s *Server) liveTokenKind(token string, v4 bool) (redirectTo string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tmdb.liveTokenOf(token, v4, s.now())
	if t == nil {
		return "", false
	}
	return t.redirectTo, true
}

// approvalButtons are the buttons of both TMDb approval pages.
var approvalButtons = []pageButton{{"approve", "Approve"}, {"deny", "Deny"}}

// approvalMessage is what a TMDb approval page asks.
const approvalMessage = "An application asks to act for your TMDb account " + DemoTMDbUsername +
	". Approve it to let it read and change your account's data; Deny to refuse."

// tmdbApprovalPage is GET /authenticate/{token}: TMDb's v3 approval page.
func (s *Server) tmdbApprovalPage(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	if _, ok := s.liveTokenKind(token, false); !ok {
		writePage(w, http.StatusNotFound, tokenGone)
		return
	}
	hidden := map[string]string{}
	if rt := r.URL.Query().Get("redirect_to"); rt != "" {
		if _, ok := redirectTarget(rt); !ok {
			writePage(w, http.StatusBadRequest, pageData{Title: "Bad redirect_to", Message: "redirect_to must be an absolute http or https URL."})
			return
		}
		hidden["redirect_to"] = rt
	}
	writePage(w, http.StatusOK, pageData{
		Title: "Approve access to your TMDb account", Message: approvalMessage,
		Action: "/authenticate/" + url.PathEscape(token), Hidden: hidden, Buttons: approvalButtons,
	})
}

// tmdbApprovalSubmit is POST /authenticate/{token}: the user pressed
// Approve or Deny on the v3 page.
func (s *Server) tmdbApprovalSubmit(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	action := r.PostFormValue("action")
	var target *url.URL
	if rt := r.PostFormValue("redirect_to"); rt != "" {
		var ok bool
		if target, ok = redirectTarget(rt); !ok {
			writePage(w, http.StatusBadRequest, pageData{Title: "Bad redirect_to", Message: "redirect_to must be an absolute http or https URL."})
			return
		}
	}
	if _, ok := s.liveTokenKind(token, false); !ok {
		writePage(w, http.StatusNotFound, tokenGone)
		return
	}
	params := url.Values{"request_token": {token}}
	switch action {
	case "approve":
		if s.TMDb.Approve(token) != nil {
			writePage(w, http.StatusNotFound, tokenGone)
			return
		}
		params.Set("approved", "true")
	case "deny":
		if s.TMDb.Deny(token) != nil {
			writePage(w, http.StatusNotFound, tokenGone)
			return
		}
		params.Set("denied", "true")
	default:
		writePage(w, http.StatusBadRequest, pageData{Title: "Bad request", Message: "action must be approve or deny."})
		return
	}
	if target != nil {
		http.Redirect(w, r, withParams(target, params), http.StatusFound)
		return
	}
	writePage(w, http.StatusOK, outcomePage(action))
}

// outcomePage is the page shown after a button when there is nowhere to
// send the browser.
func outcomePage(action string) pageData {
	if action == "approve" {
		return pageData{Title: "Approved", Message: "You approved the request token. Go back to the application; you can close this page."}
	}
	return pageData{Title: "Denied", Message: "You denied the request token. The application gets no access; you can close this page."}
}

// tmdbV4ApprovalPage is GET /auth/access?request_token=: TMDb's v4
// approval page.
func (s *Server) tmdbV4ApprovalPage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("request_token")
	if _, ok := s.liveTokenKind(token, true); token == "" || !ok {
		writePage(w, http.StatusNotFound, tokenGone)
		return
	}
	writePage(w, http.StatusOK, pageData{
		Title: "Approve access to your TMDb account", Message: approvalMessage,
		Action: "/auth/access", Hidden: map[string]string{"request_token": token}, Buttons: approvalButtons,
	})
}

// tmdbV4ApprovalSubmit is POST /auth/access: the user pressed Approve or
// Deny on the v4 page.
func (s *Server) tmdbV4ApprovalSubmit(w http.ResponseWriter, r *http.Request) {
	token := r.PostFormValue("request_token")
	action := r.PostFormValue("action")
	redirectTo, ok := s.liveTokenKind(token, true)
	if token == "" || !ok {
		writePage(w, http.StatusNotFound, tokenGone)
		return
	}
	var err error
	switch action {
	case "approve":
		err = s.TMDb.Approve(token)
	case "deny":
		err = s.TMDb.Deny(token)
	default:
		writePage(w, http.StatusBadRequest, pageData{Title: "Bad request", Message: "action must be approve or deny."})
		return
	}
	if err != nil {
		writePage(w, http.StatusNotFound, tokenGone)
		return
	}
	if target, ok := redirectTarget(redirectTo); ok {
		http.Redirect(w, r, target.String(), http.StatusFound)
		return
	}
	writePage(w, http.StatusOK, outcomePage(action))
}

// acceptsHTML reports whether the request comes from a browser: its
// Accept header names text/html.
func acceptsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// tvmazeConfirmPage is GET /v1/auth/confirm/{code}: a page with a Confirm
// button for a browser, or the confirmation itself for any other client.
func (s *Server) tvmazeConfirmPage(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if !acceptsHTML(r) {
		s.tvmazeConfirmSubmit(w, r)
		return
	}
	now := s.now()
	s.mu.Lock()
	req := s.tvmaze.byCode[code]
	if req != nil {
		req = s.tvmaze.live(req.token, now, s.cfg.tvmazeRequestTTL)
	}
	username, app := "", "An application"
	if req != nil {
		username = req.user.username
		if req.app != "" {
			app = "The application " + req.app
		}
	}
	s.mu.Unlock()
	if req == nil {
		writePage(w, http.StatusNotFound, pageData{Title: "Request not found", Message: "This authentication request does not exist or has expired."})
		return
	}
	writePage(w, http.StatusOK, pageData{
		Title:   "Confirm the login",
		Message: app + " asks for the API key of your TVmaze account " + username + ". Confirm to give it.",
		Action:  TVmazePrefix + "/auth/confirm/" + url.PathEscape(code),
		Buttons: []pageButton{{"confirm", "Confirm"}},
	})
}

// tvmazeConfirmSubmit confirms the auth request of the confirm URL's code.
func (s *Server) tvmazeConfirmSubmit(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	s.mu.Lock()
	req := s.tvmaze.byCode[r.PathValue("code")]
	if req != nil {
		req = s.tvmaze.live(req.token, now, s.cfg.tvmazeRequestTTL)
	}
	if req != nil {
		req.confirmed = true
	}
	username := ""
	if req != nil {
		username = req.user.username
	}
	s.mu.Unlock()
	html := acceptsHTML(r)
	switch {
	case req == nil && html:
		writePage(w, http.StatusNotFound, pageData{Title: "Request not found", Message: "This authentication request does not exist or has expired."})
	case req == nil:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("This authentication request does not exist or has expired.\n"))
	case html:
		writePage(w, http.StatusOK, pageData{Title: "Confirmed", Message: "Authentication request for " + username + " confirmed. You can close this page."})
	default:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("Authentication request for " + username + " confirmed. You can close this page.\n"))
	}
}
