package mediaauthtest

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The emails of the fake TVmaze API. As on TVmaze, POST /v1/auth/start
// mails the account a link that confirms the auth request, unless the
// request says "email_confirmation": false (the answer then carries the
// link as confirm_url). Tests read the emails with [TVmaze.Emails] and
// [TVmaze.LastEmail], or over HTTP at /_fake/tvmaze/emails, and a person
// sees them on the outbox page /_fake/tvmaze/outbox, links and all.

// TVmazeEmail is a confirmation email the fake TVmaze API "sent" when an
// auth request started. Following its ConfirmURL (a plain GET, or the
// Confirm button of the page it shows a browser) confirms the request, like
// [TVmaze.Confirm]. Printing or logging a TVmazeEmail never shows
// ConfirmURL, which is as good as the confirmation itself; read the field.
type TVmazeEmail struct {
	// To is the account's email address.
	To string `json:"to"`
	// Username is the account's username.
	Username string `json:"username"`
	// App names the application that started the request (the first
	// product of its User-Agent, "mediaauth-cli/1"), or is empty.
	App string `json:"app,omitempty"`
	// ConfirmURL is the link of the email, the confirm page of the request.
	ConfirmURL string `json:"confirm_url"`
	// SentAt is when the request started, by the server's clock.
	SentAt time.Time `json:"sent_at"`
}

// String describes the email without its link.
func (e TVmazeEmail) String() string {
	return "mediaauthtest.TVmazeEmail{To:" + strconv.Quote(e.To) + " Username:" + strconv.Quote(e.Username) +
		" App:" + strconv.Quote(e.App) + " ConfirmURL:" + mark(e.ConfirmURL) + " SentAt:" + e.SentAt.UTC().Format(time.RFC3339) + "}"
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
	out := make([]TVmazeEmail, len(s.tvmaze.outbox))
	copy(out, s.tvmaze.outbox)
	return out
}

// LastEmail returns the last confirmation email sent to address (compared
// without regard to case).
func (t *TVmaze) LastEmail(address string) (TVmazeEmail, bool) {
	s := t.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.tvmaze.outbox) - 1; i >= 0; i-- {
		if e := s.tvmaze.outbox[i]; strings.EqualFold(e.To, address) {
			return e, true
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
	if name := []rune(fields[0]); len(name) > 64 {
		return string(name[:64])
	}
	return fields[0]
}
