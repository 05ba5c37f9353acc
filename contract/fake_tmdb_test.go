package contract_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// answer is a response of the fake with its body read.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// tmdbAuth says how a request to the fake's TMDb authenticates.
type tmdbAuth struct {
	apiKey string // api_key query parameter, "" for none
	bearer string // Authorization: Bearer, "" for none
}

// fakeTMDb sends raw requests to the fake's TMDb and checks every answer
// against the contract of its path.
type fakeTMDb struct {
	t    *testing.T
	srv  *mediaauthtest.Server
	docs []*openAPIDoc
}

// newFakeTMDb starts a fake with clock and opts, checked against every
// TMDb contract.
func newFakeTMDb(t *testing.T, clock *mediaauthtest.Clock, opts ...mediaauthtest.Option) *fakeTMDb {
	t.Helper()
	f := &fakeTMDb{t: t}
	for _, file := range []string{tmdbSpec, tmdbV4Spec, tmdbAccountSpec} {
		f.docs = append(f.docs, loadOpenAPIDoc(t, file, requireSpecs(t, file)))
	}
	f.srv = mediaauthtest.NewServer(append([]mediaauthtest.Option{mediaauthtest.WithClock(clock.Now)}, opts...)...)
	t.Cleanup(f.srv.Close)
	return f
}

// expect sends method target (a path below the root, with its query) and
// checks that the fake answers status, with TMDb code (when not 0) in its
// body, and that the contract allows the answer. It returns the body's
// fields.
func (f *fakeTMDb) expect(method, target string, auth tmdbAuth, body string, status, code int) map[string]any {
	t := f.t
	t.Helper()
	path, query, _ := strings.Cut(target, "?")
	q, err := url.ParseQuery(query)
	require.NoError(t, err)
	if auth.apiKey != "" {
		q.Set("api_key", auth.apiKey)
	}
	u := f.srv.TMDb.URL() + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(t.Context(), method, u, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+auth.bearer)
	}
	resp, err := f.srv.HTTPClient().Do(req)
	require.NoError(t, err)
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	a := answer{status: resp.StatusCode, header: resp.Header, body: data}

	require.Equal(t, status, a.status, "%s %s: body %s", method, target, a.body)
	var doc *openAPIDoc
	for _, d := range f.docs {
		if _, item := d.pathItem(path); item != nil {
			doc = d
		}
	}
	require.NotNil(t, doc, "%s is in none of the TMDb contracts", path)
	doc.checkAnswer(t, method, path, a)
	var fields map[string]any
	require.NoError(t, json.Unmarshal(a.body, &fields))
	if code != 0 {
		assert.Equal(t, float64(code), fields["status_code"], "%s %s: TMDb code", method, target)
	}
	return fields
}

// TestContractFakeTMDb checks the answers of mediaauthtest's TMDb, success
// and error, against TMDb's contracts without Prism: a run through the
// authentication and account calls that meets every error the fake has
// for them. (Prism's proxy checks the answers of the SDK's flows in
// TestContract; mediaauthtest's own tests check the fake's behaviour.)
func TestContractFakeTMDb(t *testing.T) {
	t.Parallel()
	clock := mediaauthtest.NewClock(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	f := newFakeTMDb(t, clock)
	srv := f.srv
	const ok = http.StatusOK
	key := tmdbAuth{apiKey: mediaauthtest.DemoTMDbAPIKey}
	bearer := tmdbAuth{bearer: mediaauthtest.DemoTMDbReadAccessToken}

	// Credentials: both ways, missing, unknown, suspended; every path
	// checks them first.
	f.expect("GET", "/3/authentication", key, "", ok, 1)
	f.expect("GET", "/3/authentication", bearer, "", ok, 1)
	f.expect("GET", "/3/authentication", tmdbAuth{}, "", 401, 7)
	f.expect("GET", "/3/authentication", tmdbAuth{bearer: "wrong"}, "", 401, 7)
	srv.TMDb.AddAPIKey("key-2")
	require.True(t, srv.TMDb.SuspendAPIKey("key-2"))
	f.expect("GET", "/3/authentication", tmdbAuth{apiKey: "key-2"}, "", 401, 10)
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/3/authentication/token/new", ""},
		{"POST", "/3/authentication/token/validate_with_login", `{"username":"demo"}`},
		{"POST", "/3/authentication/session/new", `not json`},
		{"POST", "/3/authentication/session/convert/4", `{}`},
		{"DELETE", "/3/authentication/session", ``},
		{"GET", "/3/authentication/guest_session/new", ""},
		{"GET", "/3/account?session_id=any", ""},
		{"GET", "/3/account/548?session_id=any", ""},
	} {
		f.expect(r.method, r.path, tmdbAuth{apiKey: "wrong"}, r.body, 401, 7)
	}

	// Request tokens and their approval with a login.
	newToken := func() string {
		tok, _ := f.expect("GET", "/3/authentication/token/new", key, "", ok, 0)["request_token"].(string)
		require.NotEmpty(t, tok)
		return tok
	}
	login := func(user, pass, tok string) string {
		b, err := json.Marshal(map[string]string{"username": user, "password": pass, "request_token": tok})
		require.NoError(t, err)
		return string(b)
	}
	const validate = "/3/authentication/token/validate_with_login"
	user, pass := mediaauthtest.DemoTMDbUsername, mediaauthtest.DemoTMDbPassword
	require.NoError(t, srv.TMDb.AddUser(mediaauthtest.TMDbUser{Username: "unverified", Password: "pw-unverified", Unverified: true}))
	tok := newToken()
	f.expect("POST", validate, key, `{"password":"x","request_token":"`+tok+`"}`, 400, 26)
	f.expect("POST", validate, key, `{"username":`, 400, 47)
	f.expect("POST", validate, key, login(user, pass, "unknown"), 401, 33)
	f.expect("POST", validate, key, login(user, "wrong", tok), 401, 30)
	f.expect("POST", validate, key, login("unverified", "pw-unverified", tok), 401, 32)

	// Sessions: unapproved, approved, used, malformed, denied, from v4.
	const newSession = "/3/authentication/session/new"
	tokBody := func(tok string) string { return `{"request_token":"` + tok + `"}` }
	f.expect("POST", newSession, key, tokBody(tok), 422, 41)
	f.expect("POST", validate, key, login(user, pass, tok), ok, 0)
	session, _ := f.expect("POST", newSession, key, tokBody(tok), ok, 0)["session_id"].(string)
	require.NotEmpty(t, session)
	f.expect("POST", newSession, key, tokBody(tok), 401, 33)
	f.expect("POST", newSession, key, `nope`, 422, 5)
	denied := newToken()
	require.NoError(t, srv.TMDb.Deny(denied))
	f.expect("POST", newSession, key, tokBody(denied), 401, 17)
	const convert = "/3/authentication/session/convert/4"
	f.expect("POST", convert, bearer, `{"access_token":"`+mediaauthtest.DemoTMDbAccessToken+`"}`, ok, 0)
	f.expect("POST", convert, bearer, `{"access_token":"unknown"}`, 401, 35)
	f.expect("GET", "/3/authentication/guest_session/new", bearer, "", ok, 0)
	f.expect("GET", "/3/authentication/guest_session/new", key, "", ok, 0)

	// The account of the session, of a v4 access token, and of nobody.
	me := strconv.Itoa(mediaauthtest.DemoTMDbAccountID)
	f.expect("GET", "/3/account?session_id="+session, key, "", ok, 0)
	f.expect("GET", "/3/account?session_id=unknown", key, "", 401, 3)
	f.expect("GET", "/3/account/"+me+"?session_id="+session, key, "", ok, 0)
	f.expect("GET", "/3/account/"+me, tmdbAuth{bearer: mediaauthtest.DemoTMDbAccessToken}, "", ok, 0)
	f.expect("GET", "/3/account/"+me+"1?session_id="+session, key, "", 404, 34)
	f.expect("GET", "/3/account/"+me+"?session_id=unknown", key, "", 401, 3)

	// Ending the session.
	const del = "/3/authentication/session"
	f.expect("DELETE", del, key, `{"session_id":"`+session+`"}`, ok, 0)
	f.expect("DELETE", del, key, `{"session_id":"`+session+`"}`, 404, 37)
	f.expect("DELETE", del, key, `{"session_id":""}`, 404, 6)
	f.expect("GET", "/3/account?session_id="+session, key, "", 401, 3)

	// An expired request token, and TMDb's rate limit.
	late := newToken()
	clock.Advance(time.Hour)
	f.expect("POST", validate, key, login(user, pass, late), 401, 33)
	for _, path := range []string{"/3/authentication/token/new", "/3/account", "/3/account/" + me} {
		fault := mediaauthtest.TMDbFault(25)
		fault.Header.Set("Retry-After", "3")
		srv.InjectFault(path, fault)
		f.expect("GET", path+"?session_id=any", key, "", 429, 25)
	}
}

// TestContractFakeTMDbV4 checks the answers of mediaauthtest's TMDb v4
// user authentication, success and error, against its contract, and the
// v3 calls that take a v4 access token against theirs: every error the
// fake has for them but the 400 code 47 of a request_token body that is
// not JSON, a case the contract leaves out.
func TestContractFakeTMDbV4(t *testing.T) {
	t.Parallel()
	clock := mediaauthtest.NewClock(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	f := newFakeTMDb(t, clock)
	srv := f.srv
	const (
		ok      = http.StatusOK
		reqTok  = "/4/auth/request_token"
		access  = "/4/auth/access_token"
		convert = "/3/authentication/session/convert/4"
	)
	app := tmdbAuth{bearer: mediaauthtest.DemoTMDbReadAccessToken}
	me := "/3/account/" + strconv.Itoa(mediaauthtest.DemoTMDbAccountID)
	tokBody := func(tok string) string { return `{"request_token":"` + tok + `"}` }
	accessBody := func(tok string) string { return `{"access_token":"` + tok + `"}` }

	// Only the application's read access token will do: not an API key,
	// nor a user's access token; a suspended one is code 10.
	for _, auth := range []tmdbAuth{
		{}, {apiKey: mediaauthtest.DemoTMDbAPIKey}, {bearer: "wrong"},
		{bearer: mediaauthtest.DemoTMDbAccessToken},
	} {
		f.expect("POST", reqTok, auth, "", 401, 7)
	}
	srv.TMDb.AddReadAccessToken("read-2")
	require.True(t, srv.TMDb.SuspendAPIKey("read-2"))
	f.expect("POST", reqTok, tmdbAuth{bearer: "read-2"}, "", 401, 10)
	for _, r := range []struct{ method, path, body string }{
		{"POST", reqTok, `{"redirect_to":"https://app.example.com/tmdb/approved"}`},
		{"POST", access, tokBody("any")},
		{"DELETE", access, accessBody(mediaauthtest.DemoTMDbAccessToken)},
	} {
		f.expect(r.method, r.path, tmdbAuth{bearer: "wrong"}, r.body, 401, 7)
	}
	assert.True(t, srv.TMDb.AccessTokenValid(mediaauthtest.DemoTMDbAccessToken), "a refused logout logged out")

	newToken := func(body string) string {
		tok, _ := f.expect("POST", reqTok, app, body, ok, 1)["request_token"].(string)
		require.NotEmpty(t, tok)
		return tok
	}
	exchange := func(tok string) string {
		fields := f.expect("POST", access, app, tokBody(tok), ok, 1)
		assert.Equal(t, mediaauthtest.DemoTMDbV4AccountID, fields["account_id"])
		user, _ := fields["access_token"].(string)
		require.NotEmpty(t, user)
		return user
	}

	// A request token: refused until approved, then exchanged once.
	tok := newToken("")
	f.expect("POST", access, app, tokBody(tok), 422, 41)
	require.NoError(t, srv.TMDb.Approve(tok))
	user := exchange(tok)
	f.expect("POST", access, app, tokBody(tok), 401, 33)
	f.expect("POST", access, app, tokBody("unknown"), 401, 33)
	f.expect("POST", access, app, `nope`, 401, 33)

	// A v3 request token is no v4 one, nor the other way round.
	v3tok, _ := f.expect("GET", "/3/authentication/token/new", app, "", ok, 0)["request_token"].(string)
	require.NotEmpty(t, v3tok)
	require.NoError(t, srv.TMDb.Approve(v3tok))
	f.expect("POST", access, app, tokBody(v3tok), 401, 33)
	v4tok := newToken(`{"redirect_to":"https://app.example.com/tmdb/approved"}`)
	require.NoError(t, srv.TMDb.Approve(v4tok))
	f.expect("POST", "/3/authentication/session/new", app, tokBody(v4tok), 401, 33)

	// A token the user denied, and one left unused for its 15 minutes.
	denied := newToken("")
	require.NoError(t, srv.TMDb.Deny(denied))
	f.expect("POST", access, app, tokBody(denied), 401, 33)
	late := newToken("")
	require.NoError(t, srv.TMDb.Approve(late))
	clock.Advance(mediaauth.TMDbV4RequestTokenLifetime)
	f.expect("POST", access, app, tokBody(late), 401, 33)

	// The user's access token: a v3 session and the account, then the
	// logout, after which neither is possible.
	f.expect("POST", convert, app, accessBody(user), ok, 0)
	f.expect("GET", me, tmdbAuth{bearer: user}, "", ok, 0)
	f.expect("DELETE", access, app, accessBody(user), ok, 13)
	f.expect("DELETE", access, app, accessBody(user), 401, 35)
	f.expect("DELETE", access, app, accessBody("unknown"), 401, 35)
	f.expect("DELETE", access, app, `nope`, 401, 35)
	f.expect("POST", convert, app, accessBody(user), 401, 35)
	f.expect("GET", me, tmdbAuth{bearer: user}, "", 401, 7)

	// TMDb's rate limit on each operation.
	for _, r := range []struct{ method, path, body string }{
		{"POST", reqTok, ""},
		{"POST", access, tokBody(v4tok)},
		{"DELETE", access, accessBody(mediaauthtest.DemoTMDbAccessToken)},
	} {
		fault := mediaauthtest.TMDbFault(25)
		fault.Method = r.method
		fault.Header.Set("Retry-After", "3")
		srv.InjectFault(r.path, fault)
		f.expect(r.method, r.path, app, r.body, 429, 25)
	}

	// A fake that approves every token at once, and keeps them a minute.
	auto := newFakeTMDb(t, clock, mediaauthtest.WithTMDbAutoApprove(), mediaauthtest.WithTMDbV4TokenTTL(time.Minute))
	tok, _ = auto.expect("POST", reqTok, app, "", ok, 1)["request_token"].(string)
	require.NotEmpty(t, tok)
	auto.expect("POST", access, app, tokBody(tok), ok, 1)
	tok, _ = auto.expect("POST", reqTok, app, "", ok, 1)["request_token"].(string)
	require.NotEmpty(t, tok)
	clock.Advance(time.Minute)
	auto.expect("POST", access, app, tokBody(tok), 401, 33)
}
