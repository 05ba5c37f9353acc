package mediaauthtest

import (
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The confirmation emails of the fake TVmaze API: POST /v1/auth/start
// "sends" one, unless the request asked for a confirm URL instead, and
// they are readable here, so that a login by email completes against the
// fake: from a test ([TVmaze.Emails], [TVmaze.LastEmail]), from a script
// (GET /_fake/tvmaze/emails?to=ADDRESS, JSON) and from a browser (the
// outbox page, GET /_fake/tvmaze/outbox, whose links open the confirm
// page).

// Paths of the TVmaze outbox.
const (
	// FakeTVmazeEmailsPath serves the TVmaze confirmation emails sent to
	// ?to=ADDRESS as JSON: {"emails": [{"to", "confirm_url", "sent_at"}]},
	// oldest first.
	FakeTVmazeEmailsPath = "/_fake/tvmaze/emails"
	// FakeTVmazeOutboxPath is a page that lists every TVmaze confirmation
	// email, newest first, with its confirm link.
	FakeTVmazeOutboxPath = "/_fake/tvmaze/outbox"
)

// TVmazeEmail is a confirmation email the fake TVmaze API "sent" when an
// auth request started. Printing it never shows ConfirmURL, whose code
// confirms the request; read the field.
type TVmazeEmail struct {
	// To is the address of the account.
	To string
	// App names the application that started the request (from its
	// User-Agent), or is empty.
	App string
	// ConfirmURL is the link in the email: the confirm page.
	ConfirmURL string
	// SentAt is when the request started, by the server's clock.
	SentAt time.Time
}

// String describes the email without its link.
func (e TVmazeEmail) String() string {
	return "mediaauthtest.TVmazeEmail{To:" + strconv.Quote(e.To) + " App:" + strconv.Quote(e.App) + " ConfirmURL:" + mark(e.ConfirmURL) + "}"
}

// Format prints the email like String for every verb.
func (e TVmazeEmail) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.String()) }

// LogValue keeps the link out of slog output.
func (e TVmazeEmail) LogValue() slog.Value { return slog.StringValue(e.String()) }

// Emails returns a copy of every confirmation email the fake TVmaze API
// sent, oldest first.
func (t *TVmaze) Emails() []TVmazeEmail {
	s := t.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]TVmazeEmail(nil), s.tvmaze.outbox...)
}

// LastEmail returns the last confirmation email sent to address (compared
// without regard to case).
func (t *TVmaze) LastEmail(address string) (TVmazeEmail, bool) {
	emails := t.Emails()
	for i := len(emails) - 1; i >= 0; i-- {
		if strings.EqualFold(emails[i].To, address) {
			return emails[i], true
		}
	}
	return TVmazeEmail{}, false
}

// appName names the application of a request by the first product of its
// User-Agent ("mediaauth-cli/1"), or "" when it sent none.
func appName(r *http.Request) string {
	fields := strings.Fields(r.UserAgent())
	if len(fields) == 0 {
		return ""
	}
	return truncateRunes(fields[0], 64)
}

// truncateRunes cuts s to at most n runes.
func truncateRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// routeTVmazeOutbox registers the outbox's JSON and page.
func (s *Server) routeTVmazeOutbox(mux *http.ServeMux) {
	mux.HandleFunc("GET "+FakeTVmazeEmailsPath, s.tvmazeEmailsJSON)
	mux.HandleFunc("GET "+FakeTVmazeOutboxPath, s.tvmazeOutboxPage)
}

// tvmazeEmailsJSON is GET /_fake/tvmaze/emails?to=ADDRESS.
func (s *Server) tvmazeEmailsJSON(w http.ResponseWriter, r *http.Request) {
	to := r.URL.Query().Get("to")
	if to == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the to query parameter names the address"})
		return
	}
	type email struct {
		To         string    `json:"to"`
		App        string    `json:"app,omitempty"`
		ConfirmURL string    `json:"confirm_url"`
		SentAt     time.Time `json:"sent_at"`
	}
	out := []email{}
	for _, e := range s.TVmaze.Emails() {
		if strings.EqualFold(e.To, to) {
			out = append(out, email(e))
		}
	}
	noStore(w)
	writeJSON(w, http.StatusOK, struct {
		Emails []email `json:"emails"`
	}{out})
}

var outboxTemplate = template.Must(template.New("outbox").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<title>TVmaze confirmation emails · mediaauthtest</title>
<style>body { font-family: system-ui, sans-serif; max-width: 40em; margin: 4em auto; padding: 0 1em; }
li { margin: 1em 0; } p.note { color: #666; font-size: 0.9em; }</style>
</head><body><h1>TVmaze confirmation emails</h1>
{{if .}}<ul>{{range .}}
<li><strong>To {{.To}}</strong>, {{.SentAt.Format "15:04:05 MST"}}: {{if .App}}the application {{.App}}{{else}}an application{{end}}
asks for the API key of your TVmaze account. <a href="{{.Link}}">Open the confirm link</a></li>{{end}}
</ul>{{else}}<p>No email yet. Start a login: mediaauth login tvmaze --email ADDRESS</p>{{end}}
<p class="note">The outbox of mediaauthtest, the fake of the Movies API, TVmaze and TMDb. Nothing here is real.</p>
</body></html>
`))

// tvmazeOutboxPage is GET /_fake/tvmaze/outbox[?to=ADDRESS]: the emails,
// newest first, each with its confirm link (relative, so that it works
// whatever address the browser reached the fake at).
func (s *Server) tvmazeOutboxPage(w http.ResponseWriter, r *http.Request) {
	to := r.URL.Query().Get("to")
	type item struct {
		TVmazeEmail
		Link string
	}
	var items []item
	emails := s.TVmaze.Emails()
	for i := len(emails) - 1; i >= 0; i-- {
		e := emails[i]
		if to != "" && !strings.EqualFold(e.To, to) {
			continue
		}
		link := e.ConfirmURL
		if u, err := url.Parse(link); err == nil {
			link = u.RequestURI()
		}
		items = append(items, item{e, link})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	noStore(w)
	w.Header().Set("Referrer-Policy", "no-referrer")
	_ = outboxTemplate.Execute(w, items)
}
