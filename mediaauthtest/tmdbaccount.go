package mediaauthtest

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
)

// The fake TMDb account calls follow specs/tmdb/tmdb-account-v3.openapi.yaml:
//
//	GET /3/account?session_id=...            200 Account; 401 code 3
//	GET /3/account/{account_id}?session_id=  200 Account; 401; 404 code 34
//
// They take the application's credentials like every TMDb call, plus the
// user's session_id; a user's v4 access token as the Bearer token stands
// for both. The accounts themselves are added with [TMDb.AddUser], below.

// tmdbAccount is the Account schema.
type tmdbAccount struct {
	ID           int    `json:"id"`
	Username     string `json:"username"`
	Name         string `json:"name"`
	IncludeAdult bool   `json:"include_adult"`
	ISO6391      string `json:"iso_639_1"`
	ISO31661     string `json:"iso_3166_1"`
}

// tmdbSessionUser returns the account a request acts for: its session_id,
// or the user's v4 access token it carries as the Bearer token. It answers
// 401 code 3 and returns "" when there is none or it is unknown. Server.mu
// must be held.
func (s *Server) tmdbSessionUser(w http.ResponseWriter, r *http.Request) string {
	if id := r.URL.Query().Get("session_id"); id != "" {
		if user, ok := s.tmdb.sessions[id]; ok {
			return user
		}
		tmdbError(w, 3)
		return ""
	}
	if scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " "); strings.EqualFold(scheme, "Bearer") {
		if user, ok := s.tmdb.v4Tokens[strings.TrimSpace(cred)]; ok {
			return user
		}
	}
	tmdbError(w, 3)
	return ""
}

func (s *Server) tmdbAccountBody(username string) tmdbAccount {
	id := 0
	if u := s.tmdb.users[username]; u != nil {
		id = u.id
	}
	return tmdbAccount{ID: id, Username: username, Name: username, ISO6391: "en", ISO31661: "US"}
}

// tmdbAccountOfSession is GET /3/account.
func (s *Server) tmdbAccountOfSession(w http.ResponseWriter, r *http.Request) {
	user := s.tmdbSessionUser(w, r)
	if user == "" {
		return
	}
	writeJSON(w, http.StatusOK, s.tmdbAccountBody(user))
}

// tmdbAccountDetails is GET /3/account/{account_id}: the account of the
// session, when the id is its own.
func (s *Server) tmdbAccountDetails(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("account_id"))
	if err != nil {
		tmdbError(w, 34)
		return
	}
	user := s.tmdbSessionUser(w, r)
	if user == "" {
		return
	}
	acct := s.tmdbAccountBody(user)
	if acct.ID != id {
		tmdbError(w, 34)
		return
	}
	writeJSON(w, http.StatusOK, acct)
}

// TMDbUser describes an account for [TMDb.AddUser], and for the TMDb
// accounts of a [State] (its JSON names are the fields' in snake_case).
// Printing or logging it never shows Password.
type TMDbUser struct {
	// Username is what the account logs in with (required).
	Username string `json:"username"`
	// Password is the account's password (required).
	Password string `json:"password"`
	// Unverified leaves the account's email address unverified: its logins
	// get 401 code 32. By default it is verified.
	Unverified bool `json:"unverified,omitempty"`
}

// String describes the account without its password.
func (u TMDbUser) String() string {
	return "mediaauthtest.TMDbUser{Username:" + strconv.Quote(u.Username) + " Password:" + mark(u.Password) +
		" Unverified:" + strconv.FormatBool(u.Unverified) + "}"
}

// Format prints the account like String for every verb.
func (u TMDbUser) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, u.String()) }

// LogValue keeps the password out of slog output.
func (u TMDbUser) LogValue() slog.Value { return slog.StringValue(u.String()) }

// AddUser adds (or replaces) a TMDb account for validate_with_login and
// the approval pages. Username and Password are required.
func (t *TMDb) AddUser(user TMDbUser) error {
	if err := user.check(); err != nil {
		return fmt.Errorf("mediaauthtest: TMDb.AddUser: %w", err)
	}
	hash := hashPassword(user.Password) // slow: outside the lock
	s := t.srv
	s.mu.Lock()
	s.addTMDbUser(user, hash)
	s.mu.Unlock()
	return nil
}

// check reports what makes u unfit for AddUser.
func (u TMDbUser) check() error {
	if u.Username == "" || u.Password == "" {
		return invalidf("username and password are required")
	}
	return nil
}

// addTMDbUser adds or replaces the checked account u, with its password
// hash. Server.mu must be held.
func (s *Server) addTMDbUser(user TMDbUser, hash passwordHash) {
	u := &tmdbUser{password: hash, emailVerified: !user.Unverified}
	if old := s.tmdb.users[user.Username]; old != nil {
		u.id = old.id
	} else {
		u.id = DemoTMDbAccountID + len(s.tmdb.users)
	}
	s.tmdb.users[user.Username] = u
}
