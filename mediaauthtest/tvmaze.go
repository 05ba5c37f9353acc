package mediaauthtest

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mediaauth/mediaauth"
)

// maxTVmazeBody bounds the request bodies the fake TVmaze API reads.
const maxTVmazeBody = 64 << 10

// tvmazeData is the fake TVmaze API's data. It is guarded by Server.mu.
type tvmazeData struct {
	users     map[string]*tvmazeUser        // by lower-case email
	requests  map[string]*tvmazeAuthRequest // by poll token
	byCode    map[string]*tvmazeAuthRequest // by confirm-URL code
	lastStart map[string]time.Time          // by lower-case email
	latest    map[string]string             // lower-case email → newest token
	outbox    []TVmazeEmail                 // confirmation emails, oldest first
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

func (st *tvmazeData) init() {
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
func (st *tvmazeData) userByName(username string) *tvmazeUser {
	for _, u := range st.users {
		if u.username == username {
			return u
		}
	}
	return nil
}

// TVmazeUser describes an account for [TVmaze.AddUser], and for the
// TVmaze accounts of a [State] (its JSON names are the fields' in
// snake_case).
type TVmazeUser struct {
	// Username is the account's username (required), which HTTP Basic
	// authentication sends with its API key.
	Username string `json:"username"`
	// Email is the address auth requests start for (required).
	Email string `json:"email"`
	// Unconfirmed leaves the email address unconfirmed with TVmaze: such an
	// account cannot start auth requests (401). By default it can.
	Unconfirmed bool `json:"unconfirmed,omitempty"`
	// PremiumLevel is the account's premium subscription, from
	// [mediaauth.PremiumNone] (the zero value) to [mediaauth.PremiumGold].
	PremiumLevel mediaauth.PremiumLevel `json:"premium_level,omitempty"`
	// APIKey, when set, is the account's API key, which a confirmed auth
	// request hands out; by default AddUser makes a new one.
	APIKey string `json:"api_key,omitempty"`
	// FollowedShows are the ids of the shows the account follows, for
	// GET /v1/user/follows/shows (optional; see [TVmaze.FollowShows]).
	FollowedShows []int `json:"followed_shows,omitempty"`
}

// String describes the account without its API key.
func (u TVmazeUser) String() string {
	return fmt.Sprintf("mediaauthtest.TVmazeUser{Username:%q Email:%q Unconfirmed:%t PremiumLevel:%d APIKey:%s FollowedShows:%v}",
		u.Username, u.Email, u.Unconfirmed, int(u.PremiumLevel), mark(u.APIKey), u.FollowedShows)
}

// Format prints the account like String for every verb.
func (u TVmazeUser) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, u.String()) }

// LogValue keeps the API key out of slog output.
func (u TVmazeUser) LogValue() slog.Value { return slog.StringValue(u.String()) }

// AddUser adds a TVmaze account, replacing any with that email or
// username, and returns its API key (u.APIKey, or a new one). Username
// and Email are required.
func (t *TVmaze) AddUser(u TVmazeUser) (apiKey string, err error) {
	if err := u.check(); err != nil {
		return "", fmt.Errorf("mediaauthtest: TVmaze.AddUser: %w", err)
	}
	s := t.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addTVmazeUser(u), nil
}

// check reports what makes u unfit for AddUser.
func (u TVmazeUser) check() error {
	if u.Username == "" || u.Email == "" {
		return invalidf("username and email are required")
	}
	if u.PremiumLevel < mediaauth.PremiumNone || u.PremiumLevel > mediaauth.PremiumGold {
		return invalidf("premium level %d outside 0..3", int(u.PremiumLevel))
	}
	return nil
}

// addTVmazeUser adds the checked account u, replacing any with its email
// or username, and returns its API key. Server.mu must be held.
func (s *Server) addTVmazeUser(u TVmazeUser) string {
	apiKey := u.APIKey
	if apiKey == "" {
		apiKey = s.randomHex(16)
	}
	for k, old := range s.tvmaze.users {
		if old.username == u.Username {
			delete(s.tvmaze.users, k)
		}
	}
	user := &tvmazeUser{
		username: u.Username, email: u.Email, confirmed: !u.Unconfirmed, premium: u.PremiumLevel, apiKey: apiKey,
	}
	for _, id := range u.FollowedShows {
		if !slices.Contains(user.follows, id) {
			user.follows = append(user.follows, id)
		}
	}
	s.tvmaze.users[strings.ToLower(u.Email)] = user
	return apiKey
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
		return notFoundf("mediaauthtest: TVmaze auth request not found, expired or already used")
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
func (st *tvmazeData) live(token string, now time.Time, ttl time.Duration) *tvmazeAuthRequest {
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

func (st *tvmazeData) forget(req *tvmazeAuthRequest) {
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
		st.outbox = append(st.outbox, TVmazeEmail{To: user.email, Username: user.username, App: req.app, ConfirmURL: confirmURL, SentAt: now})
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
