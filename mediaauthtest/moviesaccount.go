package mediaauthtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mediaauth/mediaauth"
)

// The account endpoints of the fake Movies API, under /user: the profile
// (GET and PUT /user/profile) and the API key (GET and POST /user/api-key).
// Each runs inside moviesAuthed, with Server.mu held.

// moviesGetProfile is GET /user/profile.
func (s *Server) moviesGetProfile(w http.ResponseWriter, _ *http.Request, acct *moviesAccount) {
	writeJSON(w, http.StatusOK, acct.user)
}

// moviesPutProfile is PUT /user/profile: only the fields present change.
func (s *Server) moviesPutProfile(w http.ResponseWriter, r *http.Request, acct *moviesAccount) {
	var raw map[string]json.RawMessage
	if !decodeJSON(w, r, &raw) {
		return
	}
	fields := map[string]*string{}
	for _, name := range []string{"name", "email", "bio"} {
		v, present := raw[name]
		if !present {
			continue
		}
		var str string
		if bytes.Equal(bytes.TrimSpace(v), []byte("null")) || json.Unmarshal(v, &str) != nil {
			badRequest(w, name+" must be a string")
			return
		}
		fields[name] = &str
	}
	if len(fields) == 0 {
		badRequest(w, "nothing to update: send at least one of name, email, bio")
		return
	}
	if bio := fields["bio"]; bio != nil && utf8.RuneCountInString(*bio) > moviesMaxBio {
		badRequest(w, "bio must be at most "+strconv.Itoa(moviesMaxBio)+" characters")
		return
	}
	newEmail := fields["email"]
	if newEmail != nil && !validEmail(*newEmail) {
		badRequest(w, "email is not a valid email address")
		return
	}
	emailChanged := newEmail != nil && !strings.EqualFold(*newEmail, acct.user.Email)
	if emailChanged && s.movies.byEmail[strings.ToLower(*newEmail)] != nil {
		moviesError(w, http.StatusConflict, codeConflict, "email is already registered")
		return
	}
	if v := fields["name"]; v != nil {
		acct.user.Name = *v
	}
	if v := fields["bio"]; v != nil {
		acct.user.Bio = *v
	}
	if newEmail != nil {
		delete(s.movies.byEmail, strings.ToLower(acct.user.Email))
		acct.user.Email = *newEmail
		s.movies.byEmail[strings.ToLower(*newEmail)] = acct
		if emailChanged {
			acct.user.EmailVerified = false
			s.movies.sendVerification(acct)
		}
	}
	writeJSON(w, http.StatusOK, acct.user)
}

// moviesGetAPIKey is GET /user/api-key.
func (s *Server) moviesGetAPIKey(w http.ResponseWriter, _ *http.Request, acct *moviesAccount) {
	if acct.apiKey == nil {
		moviesError(w, http.StatusNotFound, codeNotFound, "no API key generated yet")
		return
	}
	noStore(w)
	writeJSON(w, http.StatusOK, *acct.apiKey)
}

// moviesNewAPIKey is POST /user/api-key: the earlier key stops working.
func (s *Server) moviesNewAPIKey(w http.ResponseWriter, _ *http.Request, acct *moviesAccount) {
	if acct.apiKey != nil {
		delete(s.movies.apiKeys, acct.apiKey.Key)
	}
	acct.apiKey = &mediaauth.APIKey{Key: "mk_" + s.randomHex(20), CreatedAt: s.now().UTC().Truncate(time.Second)}
	s.movies.apiKeys[acct.apiKey.Key] = acct.user.ID
	noStore(w)
	writeJSON(w, http.StatusCreated, *acct.apiKey)
}
