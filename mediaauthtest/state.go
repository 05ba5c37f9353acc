package mediaauthtest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The state a fake starts with, and its reset. Every server holds the demo
// accounts ([DemoMoviesUsername], ...); a [State] given to [WithState]
// (or to "mediaauth fake --state FILE") adds the accounts and credentials a
// test suite needs, [Server.LoadState] (POST /_fake/state) adds more while
// it runs, and [Server.Reset] (POST /_fake/reset) brings back the starting
// state: the demo accounts and the State of WithState, nothing else.

// State is accounts and credentials for a fake to hold, besides its demo
// accounts: the accounts of each API, TMDb's application credentials and
// user access tokens. Its JSON form is the document of
// "mediaauth fake --state FILE" and of POST /_fake/state:
//
//	{
//	  "movies": {"users": [{"username": "ann", "email": "ann@example.com", "password": "ann-password",
//	                        "api_key": "mk_ann"}]},
//	  "tvmaze": {"users": [{"username": "ann", "email": "ann@example.com", "api_key": "ann-tvmaze-key",
//	                        "premium_level": 2, "followed_shows": [1, 82]}]},
//	  "tmdb":   {"api_keys": ["ann-api-key"], "read_access_tokens": ["ann-read-token"],
//	             "users": [{"username": "ann", "password": "ann-password"}],
//	             "access_tokens": [{"access_token": "ann-v4-token", "username": "ann"}]}
//	}
//
// Every part may be left out. [ParseState] reads the document and refuses
// names it does not know; mediaauthtest/testdata/state.json is a complete
// example.
type State struct {
	// Movies holds Movies API accounts.
	Movies MoviesState `json:"movies,omitzero"`
	// TVmaze holds TVmaze accounts.
	TVmaze TVmazeState `json:"tvmaze,omitzero"`
	// TMDb holds TMDb application credentials, accounts and user tokens.
	TMDb TMDbState `json:"tmdb,omitzero"`
}

// MoviesState is the Movies API part of a [State].
type MoviesState struct {
	// Users are added as by [Movies.AddUser]: no two may share a
	// username, an email address or an API key, nor take the demo
	// account's.
	Users []MoviesUser `json:"users,omitempty"`
}

// TVmazeState is the TVmaze part of a [State].
type TVmazeState struct {
	// Users are added as by [TVmaze.AddUser]; one that has the username or
	// email address of a demo account replaces it. No two may share a
	// username or an email address.
	Users []TVmazeUser `json:"users,omitempty"`
}

// TMDbState is the TMDb part of a [State].
type TMDbState struct {
	// APIKeys are accepted as API keys (api_key), like [TMDb.AddAPIKey].
	APIKeys []string `json:"api_keys,omitempty"`
	// ReadAccessTokens are accepted as read access tokens, like
	// [TMDb.AddReadAccessToken].
	ReadAccessTokens []string `json:"read_access_tokens,omitempty"`
	// Users are added as by [TMDb.AddUser]; one named like the demo
	// account replaces it. No two may share a username.
	Users []TMDbUser `json:"users,omitempty"`
	// AccessTokens are users' v4 access tokens, like [TMDb.AddAccessToken].
	AccessTokens []TMDbUserToken `json:"access_tokens,omitempty"`
}

// TMDbUserToken is a user's v4 access token in a [TMDbState]: the fake
// takes AccessToken as a token of Username, as [TMDb.AddAccessToken] does.
type TMDbUserToken struct {
	// AccessToken is the token (required).
	AccessToken string `json:"access_token"`
	// Username is the account it acts for (required).
	Username string `json:"username"`
}

// ParseState reads a [State] from its JSON document: one object, whose
// every name the State knows, that passes [State.Validate].
func ParseState(data []byte) (State, error) {
	var st State
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return State{}, fmt.Errorf("mediaauthtest: state: %w", err)
	}
	if dec.More() {
		return State{}, errors.New("mediaauthtest: state: data after the JSON object")
	}
	if err := st.Validate(); err != nil {
		return State{}, err
	}
	return st, nil
}

// Validate reports the first problem of st: a missing or invalid field (as
// the AddUser hooks see them), or two entries that cannot both be held. A
// valid State may still conflict with accounts added to a running server
// since it started (see [Server.LoadState]), never with a new server's.
func (st State) Validate() error {
	if err := st.validateMovies(); err != nil {
		return fmt.Errorf("mediaauthtest: state: %w", err)
	}
	if err := st.validateTVmaze(); err != nil {
		return fmt.Errorf("mediaauthtest: state: %w", err)
	}
	if err := st.validateTMDb(); err != nil {
		return fmt.Errorf("mediaauthtest: state: %w", err)
	}
	return nil
}

// distinct remembers the values seen of each field and reports the second
// use of one (compared without regard to case).
type distinct map[string]bool

// again reports whether field already had value, and remembers it.
func (d distinct) again(field, value string) bool {
	k := field + "\x00" + strings.ToLower(value)
	if d[k] {
		return true
	}
	d[k] = true
	return false
}

func (st State) validateMovies() error {
	seen := distinct{}
	seen.again("username", DemoMoviesUsername)
	seen.again("email", DemoMoviesEmail)
	for i, u := range st.Movies.Users {
		if err := u.check(); err != nil {
			return fmt.Errorf("movies.users[%d]: %w", i, err)
		}
		if seen.again("username", u.Username) || seen.again("email", u.Email) ||
			(u.APIKey != "" && seen.again("api_key", u.APIKey)) {
			return invalidf("movies.users[%d]: username, email or api_key used twice (or the demo account's)", i)
		}
	}
	return nil
}

func (st State) validateTVmaze() error {
	seen := distinct{}
	for i, u := range st.TVmaze.Users {
		if err := u.check(); err != nil {
			return fmt.Errorf("tvmaze.users[%d]: %w", i, err)
		}
		if seen.again("username", u.Username) || seen.again("email", u.Email) {
			return invalidf("tvmaze.users[%d]: username or email used twice", i)
		}
	}
	return nil
}

func (st State) validateTMDb() error {
	for name, list := range map[string][]string{"api_keys": st.TMDb.APIKeys, "read_access_tokens": st.TMDb.ReadAccessTokens} {
		if slices.Contains(list, "") {
			return invalidf("tmdb.%s: an empty credential", name)
		}
	}
	seen := distinct{}
	for i, u := range st.TMDb.Users {
		if err := u.check(); err != nil {
			return fmt.Errorf("tmdb.users[%d]: %w", i, err)
		}
		if seen.again("username", u.Username) {
			return invalidf("tmdb.users[%d]: username used twice", i)
		}
	}
	for i, tok := range st.TMDb.AccessTokens {
		if tok.AccessToken == "" || tok.Username == "" {
			return invalidf("tmdb.access_tokens[%d]: access_token and username are required", i)
		}
	}
	return nil
}

// preparedState is a valid State, copied, with its passwords hashed: what
// the lock needs to add it at once.
type preparedState struct {
	state        State
	moviesHashes []passwordHash
	tmdbHashes   []passwordHash
}

// prepare checks st, copies it and hashes its passwords (the slow part,
// done before taking the lock).
func (st State) prepare() (*preparedState, error) {
	if err := st.Validate(); err != nil {
		return nil, err
	}
	p := &preparedState{state: st.clone()}
	for _, u := range p.state.Movies.Users {
		p.moviesHashes = append(p.moviesHashes, hashPassword(u.Password))
	}
	for _, u := range p.state.TMDb.Users {
		p.tmdbHashes = append(p.tmdbHashes, hashPassword(u.Password))
	}
	return p, nil
}

// clone copies st and every slice it holds.
func (st State) clone() State {
	c := st
	c.Movies.Users = slices.Clone(st.Movies.Users)
	c.TVmaze.Users = slices.Clone(st.TVmaze.Users)
	for i := range c.TVmaze.Users {
		c.TVmaze.Users[i].FollowedShows = slices.Clone(c.TVmaze.Users[i].FollowedShows)
	}
	c.TMDb.APIKeys = slices.Clone(st.TMDb.APIKeys)
	c.TMDb.ReadAccessTokens = slices.Clone(st.TMDb.ReadAccessTokens)
	c.TMDb.Users = slices.Clone(st.TMDb.Users)
	c.TMDb.AccessTokens = slices.Clone(st.TMDb.AccessTokens)
	return c
}

// WithState makes the server start with st besides the demo accounts, and
// come back to it on every [Server.Reset]. NewServer panics when st is not
// valid: check it first with [State.Validate], or read it with
// [ParseState]. With several WithState options, the last one counts.
func WithState(st State) Option {
	return func(c *config) { c.state = &st }
}

// LoadState adds st to what the server holds, at once: every part of it or
// none. Beyond [State.Validate]'s checks, a Movies account whose
// username, email address or API key is already taken is refused.
// [Server.Reset] forgets what LoadState added.
func (s *Server) LoadState(st State) error {
	p, err := st.prepare()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applyState(p)
}

// applyState adds p, or returns a conflict error and adds nothing.
// Server.mu must be held.
func (s *Server) applyState(p *preparedState) error {
	st := p.state
	for i, u := range st.Movies.Users {
		_, keyTaken := s.movies.apiKeys[u.APIKey]
		if s.movies.byUsername[strings.ToLower(u.Username)] != nil || s.movies.byEmail[strings.ToLower(u.Email)] != nil ||
			(u.APIKey != "" && keyTaken) {
			return conflictf("mediaauthtest: state: movies.users[%d]: username, email address or API key already taken", i)
		}
	}
	for i, u := range st.Movies.Users {
		if _, err := s.addMoviesUser(u, p.moviesHashes[i]); err != nil {
			// Checked above, within the same lock.
			panic("mediaauthtest: state: " + err.Error())
		}
	}
	for _, u := range st.TVmaze.Users {
		s.addTVmazeUser(u)
	}
	for _, key := range st.TMDb.APIKeys {
		s.tmdb.apiKeys[key] = false
	}
	for _, tok := range st.TMDb.ReadAccessTokens {
		s.tmdb.readToks[tok] = false
	}
	for i, u := range st.TMDb.Users {
		s.addTMDbUser(u, p.tmdbHashes[i])
	}
	for _, tok := range st.TMDb.AccessTokens {
		s.tmdb.v4Tokens[tok.AccessToken] = tok.Username
	}
	return nil
}

// Reset brings the server back to its starting state, as if it had just
// started: the demo accounts and the State of [WithState] only, no
// emails, no faults, an empty request log, the clock of [WithClock] with
// no move, and, with [WithSeed], the same tokens and ids again. Tokens,
// sessions and keys handed out before are unknown from then on. The
// connection count ([Server.Connections]) stays.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults, s.requests = nil, nil
	s.clockOffset.Store(0)
	s.initState()
}

// initState makes the starting state: fresh data for the three APIs, the
// demo accounts, and the State of WithState. Server.mu must be held, or
// the server not serve yet.
func (s *Server) initState() {
	if s.rnd != nil {
		s.rndMu.Lock()
		s.rnd.Seed(chachaSeed(s.cfg.seed))
		s.rndMu.Unlock()
	}
	s.movies = moviesData{randomHex: s.randomHex}
	s.movies.init()
	s.tvmaze = tvmazeData{}
	s.tvmaze.init()
	s.tmdb = tmdbData{}
	s.tmdb.init()
	if s.rnd != nil {
		s.rndMu.Lock()
		_, _ = s.rnd.Read(s.movies.jwtSecret)
		s.rndMu.Unlock()
	}
	s.addDemoMoviesUser()
	if s.start != nil {
		if err := s.applyState(s.start); err != nil {
			// A valid State fits the demo accounts: see validateMovies.
			panic(err.Error())
		}
	}
}

// chachaSeed is the ChaCha8 seed of WithSeed's seed.
func chachaSeed(seed int64) [32]byte {
	var b [32]byte
	binary.LittleEndian.PutUint64(b[:], uint64(seed))
	return b
}
