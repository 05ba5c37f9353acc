package mediaauthtest

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
)

// The emails of the fake Movies API: the verification email sent after
// registration (or an email change) with POST /verify-email, the
// password-reset email with POST /password/reset and
// POST /password/reset/confirm, and the hooks that let tests read them.

// Kinds of Email.
const (
	EmailVerify = "verify"
	EmailReset  = "reset"
)

// Email is a message the fake Movies API "sent": a verification email after
// registration (or an email change), or a password-reset email. Printing or
// logging an Email never shows Token; read the field.
type Email struct {
	// To is the address it was sent to.
	To string
	// Kind is EmailVerify or EmailReset.
	Kind string
	// Token is the token of the link in the message.
	Token string
}

// String describes the email without its token.
func (e Email) String() string {
	return "mediaauthtest.Email{To:" + strconv.Quote(e.To) + " Kind:" + strconv.Quote(e.Kind) + " Token:" + mark(e.Token) + "}"
}

// Format prints the email like String for every verb.
func (e Email) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.String()) }

// LogValue keeps the token out of slog output.
func (e Email) LogValue() slog.Value { return slog.StringValue(e.String()) }

// sendVerification replaces any pending verification token of acct and
// mails a new one to its address.
func (st *moviesData) sendVerification(acct *moviesAccount) {
	for tok, id := range st.verify {
		if id == acct.user.ID {
			delete(st.verify, tok)
		}
	}
	tok := "vrf_" + st.randomHex(16)
	st.verify[tok] = acct.user.ID
	st.outbox = append(st.outbox, Email{To: acct.user.Email, Kind: EmailVerify, Token: tok})
}

// moviesVerifyEmail is POST /verify-email.
func (s *Server) moviesVerifyEmail(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Token string `json:"token"`
	}
	if !decodeJSON(w, r, &req) || !required(w, "token", req.Token) {
		return
	}
	s.mu.Lock()
	id, ok := s.movies.verify[req.Token]
	if ok {
		delete(s.movies.verify, req.Token)
		if acct := s.movies.users[id]; acct != nil {
			acct.user.EmailVerified = true
		}
	}
	s.mu.Unlock()
	if !ok {
		moviesError(w, http.StatusNotFound, codeNotFound, "verification token not found or already used")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// moviesResetRequest is POST /password/reset: 202 whether or not the
// address is known, so that it tells nothing about accounts.
func (s *Server) moviesResetRequest(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Email string `json:"email"`
	}
	if !decodeJSON(w, r, &req) || !required(w, "email", req.Email) {
		return
	}
	if !validEmail(req.Email) {
		badRequest(w, "email is not a valid email address")
		return
	}
	s.mu.Lock()
	if acct := s.movies.byEmail[strings.ToLower(req.Email)]; acct != nil {
		// A new reset email replaces the previous one.
		for tok, rs := range s.movies.resets {
			if rs.userID == acct.user.ID {
				delete(s.movies.resets, tok)
			}
		}
		tok := "rst_" + s.randomHex(16)
		s.movies.resets[tok] = moviesReset{userID: acct.user.ID, expires: s.now().Add(moviesResetTTL)}
		s.movies.outbox = append(s.movies.outbox, Email{To: acct.user.Email, Kind: EmailReset, Token: tok})
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// moviesResetConfirm is POST /password/reset/confirm: it sets the password
// and revokes the user's access tokens.
func (s *Server) moviesResetConfirm(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if !decodeJSON(w, r, &req) || !required(w, "token", req.Token, "password", req.Password) {
		return
	}
	hash := hashPassword(req.Password) // slow: outside the lock
	s.mu.Lock()
	rs, ok := s.movies.resets[req.Token]
	if ok {
		delete(s.movies.resets, req.Token)
		ok = s.now().Before(rs.expires)
	}
	acct := s.movies.users[rs.userID]
	if ok && acct != nil {
		acct.password = &hash
		for tok, access := range s.movies.tokens {
			if access.userID == acct.user.ID {
				delete(s.movies.tokens, tok)
			}
		}
	}
	s.mu.Unlock()
	if !ok || acct == nil {
		moviesError(w, http.StatusNotFound, codeNotFound, "reset token not found, expired or already used")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// LastEmail returns the last verification or reset email sent to address
// (compared without regard to case).
func (m *Movies) LastEmail(address string) (Email, bool) {
	return m.srv.lastEmail(address, "")
}

// VerificationToken returns the token of the last verification email sent
// to address.
func (m *Movies) VerificationToken(address string) (string, bool) {
	e, ok := m.srv.lastEmail(address, EmailVerify)
	return e.Token, ok
}

// ResetToken returns the token of the last password-reset email sent to
// address.
func (m *Movies) ResetToken(address string) (string, bool) {
	e, ok := m.srv.lastEmail(address, EmailReset)
	return e.Token, ok
}

// Emails returns a copy of every email the fake Movies API sent, oldest
// first.
func (m *Movies) Emails() []Email {
	s := m.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Email, len(s.movies.outbox))
	copy(out, s.movies.outbox)
	return out
}

// lastEmail returns the last email of kind ("" for any) sent to address.
func (s *Server) lastEmail(address, kind string) (Email, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.movies.outbox) - 1; i >= 0; i-- {
		e := s.movies.outbox[i]
		if strings.EqualFold(e.To, address) && (kind == "" || e.Kind == kind) {
			return e, true
		}
	}
	return Email{}, false
}
