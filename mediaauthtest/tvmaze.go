package mediaauthtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mediaauth/mediaauth"
)

// maxTVmazeBody bounds the request bodies the fake TVmaze API reads.
const maxTVmazeBody = 64 << 10

// tvmazeState is the fake TVmaze API's data. It is guarded by Server.mu.
type tvmazeState struct {
	users     map[string]*tvmazeUser        // by lower-case email
	requests  map[string]*tvmazeAuthRequest // by poll token
	byCode    map[string]*tvmazeAuthRequest // by confirm-URL code
	lastStart map[string]time.Time          // by lower-case email
	latest    map[string]string             // lower-case email → newest token
	outbox    []TVmazeEmail                 // the confirmation emails sent (tvmazeemail.go)
}

type tvmazeUser struct {
	username  string
	email     string
	confirmed bool
	premium   mediaauth.PremiumLevel
	apiKey    string
	follows   []int // followed show ids, in the order followed
}

// tvmazeAuthRequest is one auth request between start and key delivery.
type tvmazeAuthRequest struct {
	token     string
	code      string // in the confirm URL; not the poll token
	app       string // the application that started it, from its User-Agent
	user      *tvmazeUser
	started   time.Time
	lastPoll  time.Time // zero until the first poll
	confirmed bool
}

func (st *tvmazeState) init() {
	st.users = map[string]*tvmazeUser{}
	st.requests = map[string]*tvmazeAuthRequest{}
	st.byCode = map[string]*tvmazeAuthRequest{}
	st.lastStart = map[string]time.Time{}
	st.latest = map[string]string{}
	st.users[DemoTVmazeEmail] = &tvmazeUser{
		username: DemoTVmazeUsername, email: DemoTVmazeEmail,
		confirmed: true, premium: DemoTVmazePremiumLevel, apiKey: DemoTVmazeAPIKey,
		follows: DemoTVmazeFollowedShows(),
	}
	st.users[DemoTVmazeUnconfirmedEmail] = &tvmazeUser{
		username: "unconfirmed", email: DemoTVmazeUnconfirmedEmail,
		apiKey: "fake-tvmaze-unconfirmed-api-key",
	}
}

// userByName finds an account by username.
func (st *tvmazeState) userByName(username string) *tvmazeUser {
	for _, u := range st.users {
		if u.username == username {
			return u
		}
	}
	return nil
}

// TVmazeUser describes an account for [TVmaze.AddUser].
type TVmazeUser struct {
	// Username is the account's username (required), which HTTP Basic
	// authentication sends with its API key.
	Username string
	// Email is the address auth requests start for (required).
	Email string
	// Unconfirmed leaves the email address unconfirmed with TVmaze: such an
	// account cannot start auth requests (401). By default it can.
	Unconfirmed bool
	// PremiumLevel is the account's premium subscription, from
	// [mediaauth.PremiumNone] (the zero value) to [mediaauth.PremiumGold].
	PremiumLevel mediaauth.PremiumLevel
}

// AddUser adds a TVmaze account, replacing any with that email or
// username, and returns its new API key. Username and Email are required.
func (t *TVmaze) AddUser(u TVmazeUser) (apiKey string, err error) {
	if u.Username == "" || u.Email == "" {
		return "", errors.New("mediaauthtest: TVmaze.AddUser: username and email are required")
	}
	if u.PremiumLevel < mediaauth.PremiumNone || u.PremiumLevel > mediaauth.PremiumGold {
		return "", fmt.Errorf("mediaauthtest: TVmaze.AddUser: premium level %d outside 0..3", int(u.PremiumLevel))
	}
	username, email, confirmed, premium := u.Username, u.Email, !u.Unconfirmed, u.PremiumLevel
	s := t.srv
	apiKey = s.randomHex(16)
	key := strings.ToLower(email)
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, u := range s.tvmaze.users {
		if u.username == username {
			delete(s.tvmaze.users, k)
		}
	}
	s.tvmaze.users[key] = &tvmazeUser{
		username: username, email: email, confirmed: confirmed, premium: premium, apiKey: apiKey,
	}
	return apiKey, nil
}

// Confirm confirms an auth request as the user would by clicking the
// link: the next poll of token gets the API key. It fails when the request
// is unknown, expired or its key was already handed out.
func (t *TVmaze) Confirm(token string) error {
	s := t.srv
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	req := s.tvmaze.live(token, now, s.cfg.tvmazeRequestTTL)
	if req == nil {
		return errors.New("mediaauthtest: TVmaze auth request not found, expired or already used")
	}
	req.confirmed = true
	return nil
}

// AuthToken returns the poll token of the newest auth request started
// for email, as if read from the confirmation email.
func (t *TVmaze) AuthToken(email string) (string, bool) {
	s := t.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, ok := s.tvmaze.latest[strings.ToLower(email)]
	return tok, ok
}

// live returns the auth request for token if it exists and has not expired;
// an expired one is forgotten.
func (st *tvmazeState) live(token string, now time.Time, ttl time.Duration) *tvmazeAuthRequest {
	req := st.requests[token]
	if req == nil {
		return nil
	}
	if ttl > 0 && !now.Before(req.started.Add(ttl)) {
		st.forget(req)
		return nil
	}
	return req
}

func (st *tvmazeState) forget(req *tvmazeAuthRequest) {
	delete(st.requests, req.token)
	delete(st.byCode, req.code)
}

// routeTVmaze registers the fake TVmaze API's handlers.
func (s *Server) routeTVmaze(mux *http.ServeMux) {
	mux.HandleFunc("POST "+TVmazePrefix+"/auth/start", s.tvmazeStart)
	mux.HandleFunc("POST "+TVmazePrefix+"/auth/poll", s.tvmazePoll)
	mux.HandleFunc("GET "+TVmazePrefix+"/auth/validate", s.tvmazeValidate)
	mux.HandleFunc("GET "+TVmazePrefix+"/user/follows/shows", s.tvmazeFollowedShows)
	// Not part of the API: the page the confirm URL points to, standing in
	// for the user confirming on TVmaze's site (pages.go).
	mux.HandleFunc("GET "+TVmazePrefix+"/auth/confirm/{code}", s.tvmazeConfirmPage)
	mux.HandleFunc("POST "+TVmazePrefix+"/auth/confirm/{code}", s.tvmazeConfirmSubmit)
}

// tvmazeError answers with TVmaze's error body.
func tvmazeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, struct {
		Name    string `json:"name"`
		Message string `json:"message"`
		Code    int    `json:"code"`
		Status  int    `json:"status"`
	}{http.StatusText(status), msg, 0, status})
}

// tvmazeTooFast answers 429 with a Retry-After of wait, in whole seconds
// rounded up.
func tvmazeTooFast(w http.ResponseWriter, wait time.Duration, msg string) {
	secs := int64((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
	tvmazeError(w, http.StatusTooManyRequests, msg)
}

// decodeTVmazeBody reads a JSON request body into v.
func decodeTVmazeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxTVmazeBody+1))
	if err != nil || len(data) > maxTVmazeBody {
		tvmazeError(w, http.StatusBadRequest, "Could not read the request body.")
		return false
	}
	if err := json.Unmarshal(data, v); err != nil {
		tvmazeError(w, http.StatusBadRequest, "The request body is not valid JSON.")
		return false
	}
	return true
}

func (s *Server) tvmazeStart(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Email             string `json:"email"`
		EmailConfirmation *bool  `json:"email_confirmation"`
	}
	if !decodeTVmazeBody(w, r, &body) {
		return
	}
	now := s.now()
	key := strings.ToLower(strings.TrimSpace(body.Email))
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.tvmaze
	user := st.users[key]
	switch {
	case user == nil:
		tvmazeError(w, http.StatusNotFound, "No user with this email address was found.")
		return
	case !user.confirmed:
		tvmazeError(w, http.StatusUnauthorized, "This email address has not been confirmed yet.")
		return
	}
	if last, ok := st.lastStart[key]; ok && now.Sub(last) < s.cfg.tvmazeStartGap {
		tvmazeTooFast(w, s.cfg.tvmazeStartGap-now.Sub(last), "You are starting authentication requests too quickly, please back off.")
		return
	}
	st.lastStart[key] = now
	req := &tvmazeAuthRequest{token: s.randomHex(20), code: s.randomHex(12), app: appName(r), user: user, started: now}
	st.requests[req.token] = req
	st.byCode[req.code] = req
	st.latest[key] = req.token
	resp := struct {
		Token      string `json:"token"`
		ConfirmURL string `json:"confirm_url,omitempty"`
	}{Token: req.token}
	confirmURL := s.ts.URL + TVmazePrefix + "/auth/confirm/" + req.code
	if body.EmailConfirmation != nil && !*body.EmailConfirmation {
		resp.ConfirmURL = confirmURL
	} else {
		st.outbox = append(st.outbox, TVmazeEmail{To: user.email, App: req.app, ConfirmURL: confirmURL, SentAt: now})
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) tvmazePoll(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Token string `json:"token"`
	}
	if !decodeTVmazeBody(w, r, &body) {
		return
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.tvmaze
	req := st.live(body.Token, now, s.cfg.tvmazeRequestTTL)
	if req == nil {
		tvmazeError(w, http.StatusNotFound, "Authentication request not found.")
		return
	}
	// Every poll counts, including refused ones; the first one is measured
	// from the start.
	prev := req.lastPoll
	if prev.IsZero() {
		prev = req.started
	}
	req.lastPoll = now
	if gap := now.Sub(prev); gap < s.cfg.tvmazeMinInterval {
		tvmazeTooFast(w, s.cfg.tvmazeMinInterval, "You are polling too quickly, please back off.")
		return
	}
	if d := s.cfg.tvmazeAutoConfirm; d > 0 && !now.Before(req.started.Add(d)) {
		req.confirmed = true
	}
	if !req.confirmed {
		tvmazeError(w, http.StatusForbidden, "The authentication request has not been confirmed yet.")
		return
	}
	// The key is handed out once; the request is gone afterwards.
	st.forget(req)
	writeJSON(w, http.StatusOK, struct {
		Username string `json:"username"`
		APIKey   string `json:"apikey"`
	}{req.user.username, req.user.apiKey})
}

// tvmazeBasicUser returns the user whose HTTP Basic credentials r carries,
// or answers 401 and returns nil. Server.mu must be held.
func (s *Server) tvmazeBasicUser(w http.ResponseWriter, r *http.Request) *tvmazeUser {
	username, apiKey, ok := r.BasicAuth()
	var user *tvmazeUser
	if ok {
		user = s.tvmaze.userByName(username)
	}
	if user == nil || apiKey == "" || apiKey != user.apiKey {
		w.Header().Set("WWW-Authenticate", `Basic realm="api"`)
		tvmazeError(w, http.StatusUnauthorized, "Your request was made with invalid credentials.")
		return nil
	}
	return user
}

func (s *Server) tvmazeValidate(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	user := s.tvmazeBasicUser(w, r)
	premium := 0
	if user != nil {
		premium = int(user.premium)
	}
	s.mu.Unlock()
	if user == nil {
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Premium int `json:"premium"`
	}{premium})
}

// tvmazeShowFollow is one item of GET /v1/user/follows/shows.
type tvmazeShowFollow struct {
	ShowID int `json:"show_id"`
}

// tvmazeFollowedShows is GET /v1/user/follows/shows (HTTP Basic): the
// shows the user follows.
func (s *Server) tvmazeFollowedShows(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	user := s.tvmazeBasicUser(w, r)
	var out []tvmazeShowFollow
	if user != nil {
		out = make([]tvmazeShowFollow, 0, len(user.follows))
		for _, id := range user.follows {
			out = append(out, tvmazeShowFollow{ShowID: id})
		}
	}
	s.mu.Unlock()
	if user != nil {
		writeJSON(w, http.StatusOK, out)
	}
}

// FollowShows makes the TVmaze user username follow the shows, for
// GET /v1/user/follows/shows. It reports false for an unknown user.
func (t *TVmaze) FollowShows(username string, showIDs ...int) bool {
	s := t.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	user := s.tvmaze.userByName(username)
	if user == nil {
		return false
	}
	for _, id := range showIDs {
		if !slices.Contains(user.follows, id) {
			user.follows = append(user.follows, id)
		}
	}
	return true
}
